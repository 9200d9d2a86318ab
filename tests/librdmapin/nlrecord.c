// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Record rdma netlink replies byte for byte, as fixtures for the parser's
 * unit tests (tests/unit/fixtures): the request goes out on a plain
 * NETLINK_RDMA socket, and everything the kernel answers until the end of
 * the reply is written to OUT unchanged.
 *
 * usage: nlrecord OUT get|mrs|stat|port|chardev [DEV_INDEX [PORT]]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <rdma/rdma_netlink.h>

struct req {
	struct nlmsghdr h;
	char attrs[64];
};

static void put_u32(struct req *r, unsigned short type, unsigned int v)
{
	struct nlattr *a = (void *)((char *)r + NLMSG_ALIGN(r->h.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + sizeof(v);
	memcpy((char *)a + NLA_HDRLEN, &v, sizeof(v));
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void put_str(struct req *r, unsigned short type, const char *v)
{
	struct nlattr *a = (void *)((char *)r + NLMSG_ALIGN(r->h.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + strlen(v) + 1;
	memcpy((char *)a + NLA_HDRLEN, v, strlen(v) + 1);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

int main(int argc, char **argv)
{
	struct req r = { .h.nlmsg_len = NLMSG_HDRLEN, .h.nlmsg_seq = 1 };
	static char buf[1 << 16];
	int fd, cmd, dump = 1, done = 0;
	FILE *out;

	if (argc < 3)
		return 2;
	if (!strcmp(argv[2], "get"))
		cmd = RDMA_NLDEV_CMD_GET;
	else if (!strcmp(argv[2], "mrs"))
		cmd = RDMA_NLDEV_CMD_RES_MR_GET;
	else if (!strcmp(argv[2], "stat"))
		cmd = RDMA_NLDEV_CMD_STAT_GET, dump = 0;
	else if (!strcmp(argv[2], "port"))
		cmd = RDMA_NLDEV_CMD_PORT_GET, dump = 0;
	else if (!strcmp(argv[2], "chardev"))
		cmd = RDMA_NLDEV_CMD_GET_CHARDEV, dump = 0;
	else
		return 2;
	r.h.nlmsg_type = RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, cmd);
	r.h.nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0);
	if (argc > 3)
		put_u32(&r, RDMA_NLDEV_ATTR_DEV_INDEX, atoi(argv[3]));
	if (argc > 4)
		put_u32(&r, RDMA_NLDEV_ATTR_PORT_INDEX, atoi(argv[4]));
	if (cmd == RDMA_NLDEV_CMD_GET_CHARDEV)
		put_str(&r, RDMA_NLDEV_ATTR_CHARDEV_TYPE, "uverbs");

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_RDMA);
	out = fopen(argv[1], "we");
	if (fd < 0 || !out || send(fd, &r, r.h.nlmsg_len, 0) < 0) {
		perror("nlrecord");
		return 1;
	}
	while (!done) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (void *)buf;

		if (n <= 0) {
			perror("recv");
			return 1;
		}
		fwrite(buf, 1, n, out);
		for (; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == NLMSG_DONE ||
			    h->nlmsg_type == NLMSG_ERROR ||
			    !(h->nlmsg_flags & NLM_F_MULTI))
				done = 1;
	}
	fclose(out);
	return 0;
}
