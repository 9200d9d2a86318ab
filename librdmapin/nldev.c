// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rdma netlink (NETLINK_RDMA, RDMA_NL_NLDEV) client: devices, their
 * ports, restrack MRs with the driver's attributes, and port counters.
 *
 * libnl-3 builds the requests and receives the raw replies; the replies
 * are then walked and parsed here, attribute by attribute with their
 * lengths checked, so that the same code parses live replies and the
 * recorded ones of the unit tests, and a truncated or malformed message
 * is EPROTO rather than a read past its end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <rdma/rdma_netlink.h>

#include "rdmapin_int.h"

#define NLDEV_MAX (RDMA_NLDEV_ATTR_MAX - 1)

/* Typed getters: EPROTO unless the attribute has its type's size. */
static int nl_u32(const struct nlattr *a, uint32_t *v)
{
	if (!a || nla_len(a) != sizeof(*v))
		return EPROTO;
	memcpy(v, nla_data(a), sizeof(*v));
	return 0;
}

static int nl_u64(const struct nlattr *a, uint64_t *v)
{
	if (!a || nla_len(a) != sizeof(*v))
		return EPROTO;
	memcpy(v, nla_data(a), sizeof(*v));
	return 0;
}

/* A NUL-terminated string within the attribute, copied (truncated) to @buf. */
static int nl_str(const struct nlattr *a, char *buf, size_t len)
{
	const char *s;
	int alen;

	if (!a)
		return EPROTO;
	alen = nla_len(a);
	s = nla_data(a);
	if (alen < 1 || !memchr(s, 0, alen))
		return EPROTO;
	snprintf(buf, len, "%s", s);
	return 0;
}

static int nl_parse_msg(const struct nlmsghdr *nlh, struct nlattr **tb)
{
	if (nlh->nlmsg_len < NLMSG_HDRLEN)
		return EPROTO;
	if (nlmsg_parse((struct nlmsghdr *)nlh, 0, tb, NLDEV_MAX, NULL))
		return EPROTO;
	return 0;
}

static int nl_parse_nested(const struct nlattr *a, struct nlattr **tb)
{
	if (nla_parse_nested(tb, NLDEV_MAX, (struct nlattr *)a, NULL))
		return EPROTO;
	return 0;
}

/*
 * Walk the messages in @buf.  *@done is set at NLMSG_DONE, an
 * NLMSG_ERROR, or a message that is not part of a multi-part reply (the
 * answer to a request that does not dump).
 */
static int nl_walk(const void *buf, size_t len, rdmapin_nl_msg_fn fn,
		   void *arg, bool *done)
{
	const struct nlmsghdr *nlh = buf;
	size_t left = len;
	int ret;

	*done = false;
	while (left) {
		if (left < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN ||
		    nlh->nlmsg_len > left)
			return EPROTO;
		if (nlh->nlmsg_type == NLMSG_DONE) {
			*done = true;
			return 0;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nlh);

			*done = true;
			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return EPROTO;
			return e->error < 0 ? -e->error : 0;
		}
		if (!(nlh->nlmsg_flags & NLM_F_MULTI))
			*done = true;
		if (nlh->nlmsg_type != NLMSG_NOOP) {
			ret = fn(nlh, arg);
			if (ret)
				return ret;
		}
		if (NLMSG_ALIGN(nlh->nlmsg_len) >= left)
			break;
		left -= NLMSG_ALIGN(nlh->nlmsg_len);
		nlh = (const void *)((const char *)nlh +
				     NLMSG_ALIGN(nlh->nlmsg_len));
	}
	return 0;
}

int rdmapin_nl_walk(const void *buf, size_t len, rdmapin_nl_msg_fn fn,
		    void *arg)
{
	bool done;

	return nl_walk(buf, len, fn, arg, &done);
}

int rdmapin_nl_parse_dev(const struct nlmsghdr *nlh, struct rdmapin_nl_dev *out)
{
	struct nlattr *tb[NLDEV_MAX + 1];
	int ret;

	memset(out, 0, sizeof(*out));
	ret = nl_parse_msg(nlh, tb);
	if (!ret)
		ret = nl_u32(tb[RDMA_NLDEV_ATTR_DEV_INDEX], &out->index);
	if (!ret)
		ret = nl_str(tb[RDMA_NLDEV_ATTR_DEV_NAME], out->name,
			     sizeof(out->name));
	/* In a device message PORT_INDEX is the number of ports. */
	if (!ret && tb[RDMA_NLDEV_ATTR_PORT_INDEX])
		ret = nl_u32(tb[RDMA_NLDEV_ATTR_PORT_INDEX], &out->nports);
	return ret;
}

int rdmapin_nl_parse_port_ndev(const struct nlmsghdr *nlh, char *ndev,
			       size_t len)
{
	struct nlattr *tb[NLDEV_MAX + 1];
	int ret;

	ndev[0] = 0;
	ret = nl_parse_msg(nlh, tb);
	if (ret)
		return ret;
	/* Absent when the netdev is in another network namespace. */
	if (!tb[RDMA_NLDEV_ATTR_NDEV_NAME])
		return 0;
	return nl_str(tb[RDMA_NLDEV_ATTR_NDEV_NAME], ndev, len);
}

int rdmapin_nl_parse_driver_id(const struct nlmsghdr *nlh, uint64_t *id)
{
	struct nlattr *tb[NLDEV_MAX + 1];
	uint32_t id32;
	int ret;

	*id = 0;
	ret = nl_parse_msg(nlh, tb);
	if (ret || !tb[RDMA_NLDEV_ATTR_UVERBS_DRIVER_ID])
		return ret;
	/* The uapi says u64; ib_uverbs in 6.12 sends a u32. */
	if (!nl_u32(tb[RDMA_NLDEV_ATTR_UVERBS_DRIVER_ID], &id32)) {
		*id = id32;
		return 0;
	}
	return nl_u64(tb[RDMA_NLDEV_ATTR_UVERBS_DRIVER_ID], id);
}

/* One driver attribute of a pinrxe MR into @info. */
static void mr_driver_value(struct rdmapin_mr_info *info, const char *name,
			    const char *sval, uint64_t val)
{
	static const char *const folio[RDMAPIN_FOLIO_NUM] = {
		"folio_4k", "folio_64k", "folio_2m", "folio_1g",
	};
	int i;

	info->from_kernel = true;
	if (sval) {
		if (!strcmp(name, "mode"))
			info->path = !strcmp(sval, "pinned") ? RDMAPIN_PATH_PINNED :
				     !strcmp(sval, "odp") ? RDMAPIN_PATH_ODP :
				     !strcmp(sval, "odp_implicit") ?
				     RDMAPIN_PATH_ODP_IMPLICIT :
				     RDMAPIN_PATH_UNKNOWN;
		else if (!strcmp(name, "fallback"))
			info->reason = !strcmp(sval, "memlock") ?
				       RDMAPIN_REASON_MEMLOCK :
				       !strcmp(sval, "pin_refused") ?
				       RDMAPIN_REASON_PIN_REFUSED :
				       RDMAPIN_REASON_NONE;
		return;
	}
	if (!strcmp(name, "pin_errno"))
		info->pin_errno = (int)val;
	else if (!strcmp(name, "pinned_pages"))
		info->pinned_pages = val;
	else if (!strcmp(name, "faults"))
		info->odp_faults = val;
	else if (!strcmp(name, "pages_faulted"))
		info->odp_pages_faulted = val;
	else if (!strcmp(name, "invalidations"))
		info->odp_invalidations = val;
	else if (!strcmp(name, "prefetches"))
		info->odp_prefetches = val;
	for (i = 0; i < RDMAPIN_FOLIO_NUM; i++)
		if (!strcmp(name, folio[i]))
			info->folio_pages[i] = val;
}

/*
 * The RDMA_NLDEV_ATTR_DRIVER table is a flat list of pairs: a
 * DRIVER_STRING name, an optional PRINT_TYPE, then the value (a string or
 * a number).  Unknown names are skipped: other drivers report their own.
 */
static int mr_parse_driver(const struct nlattr *table,
			   struct rdmapin_mr_info *info)
{
	char name[64], sval[64];
	const struct nlattr *a;
	bool have_name = false;
	uint32_t v32;
	uint64_t v64;
	int rem, ret;

	nla_for_each_nested(a, (struct nlattr *)table, rem) {
		switch (nla_type(a)) {
		case RDMA_NLDEV_ATTR_DRIVER_STRING:
			ret = nl_str(a, have_name ? sval : name,
				     have_name ? sizeof(sval) : sizeof(name));
			if (ret)
				return ret;
			if (have_name)
				mr_driver_value(info, name, sval, 0);
			have_name = !have_name;
			break;
		case RDMA_NLDEV_ATTR_DRIVER_PRINT_TYPE:
			break;
		case RDMA_NLDEV_ATTR_DRIVER_U32:
		case RDMA_NLDEV_ATTR_DRIVER_S32:
			if (!have_name || nl_u32(a, &v32))
				return EPROTO;
			mr_driver_value(info, name, NULL, v32);
			have_name = false;
			break;
		case RDMA_NLDEV_ATTR_DRIVER_U64:
		case RDMA_NLDEV_ATTR_DRIVER_S64:
			if (!have_name || nl_u64(a, &v64))
				return EPROTO;
			mr_driver_value(info, name, NULL, v64);
			have_name = false;
			break;
		default:
			return EPROTO;
		}
	}
	if (rem || have_name)
		return EPROTO;
	return 0;
}

static int mr_parse_entry(const struct nlattr *nest, const char *dev,
			  struct rdmapin_mr_entry *e)
{
	struct nlattr *tb[NLDEV_MAX + 1];
	int ret;

	memset(e, 0, sizeof(*e));
	snprintf(e->dev, sizeof(e->dev), "%s", dev);
	ret = nl_parse_nested(nest, tb);
	if (!ret)
		ret = nl_u32(tb[RDMA_NLDEV_ATTR_RES_MRN], &e->mrn);
	if (!ret)
		ret = nl_u64(tb[RDMA_NLDEV_ATTR_RES_MRLEN], &e->info.length);
	/* User MRs have a pid, kernel MRs the module's name. */
	if (!ret && tb[RDMA_NLDEV_ATTR_RES_PID])
		ret = nl_u32(tb[RDMA_NLDEV_ATTR_RES_PID], &e->pid);
	if (!ret && tb[RDMA_NLDEV_ATTR_RES_KERN_NAME])
		ret = nl_str(tb[RDMA_NLDEV_ATTR_RES_KERN_NAME], e->comm,
			     sizeof(e->comm));
	/* Keys only for a caller with CAP_NET_ADMIN. */
	if (!ret && tb[RDMA_NLDEV_ATTR_RES_LKEY])
		ret = nl_u32(tb[RDMA_NLDEV_ATTR_RES_LKEY], &e->lkey);
	if (!ret && tb[RDMA_NLDEV_ATTR_RES_RKEY])
		ret = nl_u32(tb[RDMA_NLDEV_ATTR_RES_RKEY], &e->rkey);
	if (!ret && tb[RDMA_NLDEV_ATTR_DRIVER])
		ret = mr_parse_driver(tb[RDMA_NLDEV_ATTR_DRIVER], &e->info);
	return ret;
}

/* Where a process's name is: restrack sends the pid, /proc has the rest. */
static void mr_fill_comm(struct rdmapin_mr_entry *e)
{
	char path[64];
	FILE *f;

	if (e->comm[0] || !e->pid)
		return;
	snprintf(path, sizeof(path), "/proc/%u/comm", e->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(e->comm, sizeof(e->comm), f))
		e->comm[strcspn(e->comm, "\n")] = 0;
	fclose(f);
}

static struct rdmapin_mr_entry *mr_vec_add(struct rdmapin_mr_vec *vec)
{
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 16;
		void *v = realloc(vec->v, cap * sizeof(*vec->v));

		if (!v)
			return NULL;
		vec->v = v;
		vec->cap = cap;
	}
	return &vec->v[vec->n++];
}

int rdmapin_nl_parse_mrs(const struct nlmsghdr *nlh, struct rdmapin_mr_vec *vec)
{
	struct nlattr *tb[NLDEV_MAX + 1];
	struct rdmapin_mr_entry *e;
	const struct nlattr *a;
	char dev[64];
	int rem, ret;

	ret = nl_parse_msg(nlh, tb);
	if (!ret)
		ret = nl_str(tb[RDMA_NLDEV_ATTR_DEV_NAME], dev, sizeof(dev));
	if (ret)
		return ret;
	if (!tb[RDMA_NLDEV_ATTR_RES_MR])
		return 0;
	nla_for_each_nested(a, tb[RDMA_NLDEV_ATTR_RES_MR], rem) {
		if (nla_type(a) != RDMA_NLDEV_ATTR_RES_MR_ENTRY)
			return EPROTO;
		e = mr_vec_add(vec);
		if (!e)
			return ENOMEM;
		ret = mr_parse_entry(a, dev, e);
		if (ret)
			return ret;
		if (vec->pid && e->pid != (uint32_t)vec->pid) {
			vec->n--;
			continue;
		}
		mr_fill_comm(e);
	}
	return rem ? EPROTO : 0;
}

static int stat_parse_entry(const struct nlattr *nest, struct rdmapin_stat *s)
{
	struct nlattr *tb[NLDEV_MAX + 1];
	int ret;

	memset(s, 0, sizeof(*s));
	ret = nl_parse_nested(nest, tb);
	if (!ret)
		ret = nl_str(tb[RDMA_NLDEV_ATTR_STAT_HWCOUNTER_ENTRY_NAME],
			     s->name, sizeof(s->name));
	if (!ret)
		ret = nl_u64(tb[RDMA_NLDEV_ATTR_STAT_HWCOUNTER_ENTRY_VALUE],
			     &s->value);
	return ret;
}

int rdmapin_nl_parse_stats(const struct nlmsghdr *nlh,
			   struct rdmapin_stat_vec *vec)
{
	struct nlattr *tb[NLDEV_MAX + 1];
	const struct nlattr *a;
	int rem, ret;

	ret = nl_parse_msg(nlh, tb);
	if (ret)
		return ret;
	if (!tb[RDMA_NLDEV_ATTR_STAT_HWCOUNTERS])
		return 0;
	vec->seen = true;
	nla_for_each_nested(a, tb[RDMA_NLDEV_ATTR_STAT_HWCOUNTERS], rem) {
		if (nla_type(a) != RDMA_NLDEV_ATTR_STAT_HWCOUNTER_ENTRY)
			return EPROTO;
		if (vec->n == vec->cap) {
			size_t cap = vec->cap ? vec->cap * 2 : 32;
			void *v = realloc(vec->v, cap * sizeof(*vec->v));

			if (!v)
				return ENOMEM;
			vec->v = v;
			vec->cap = cap;
		}
		ret = stat_parse_entry(a, &vec->v[vec->n]);
		if (ret)
			return ret;
		vec->n++;
	}
	return rem ? EPROTO : 0;
}

/* libnl's negative NLE_* codes, for the socket calls, as errno values. */
static int nle_errno(int nle)
{
	switch (-nle) {
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_PERM:
		return EPERM;
	case NLE_NOACCESS:
		return EACCES;
	case NLE_PROTO_MISMATCH:
		return EPROTONOSUPPORT;
	case NLE_AGAIN:
		return EAGAIN;
	default:
		return EIO;
	}
}

static struct nl_msg *nl_build(uint16_t cmd, bool dump, uint32_t dev_index,
			       uint32_t port, const char *chardev_type)
{
	int flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0);
	struct nl_msg *msg;

	msg = nlmsg_alloc_simple(RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, cmd), flags);
	if (!msg)
		return NULL;
	if ((dev_index != UINT32_MAX &&
	     nla_put_u32(msg, RDMA_NLDEV_ATTR_DEV_INDEX, dev_index)) ||
	    (port && nla_put_u32(msg, RDMA_NLDEV_ATTR_PORT_INDEX, port)) ||
	    (chardev_type && nla_put_string(msg, RDMA_NLDEV_ATTR_CHARDEV_TYPE,
					    chardev_type))) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int nl_exchange(struct nl_sock *sk, struct nl_msg *msg,
		       rdmapin_nl_msg_fn fn, void *arg)
{
	struct sockaddr_nl peer;
	unsigned char *buf;
	bool done = false;
	int len, ret;

	ret = nl_send_auto(sk, msg);
	if (ret < 0)
		return nle_errno(ret);
	while (!done) {
		len = nl_recv(sk, &peer, &buf, NULL);
		if (len < 0)
			return nle_errno(len);
		if (len == 0)
			return EPROTO;
		ret = nl_walk(buf, len, fn, arg, &done);
		free(buf);
		if (ret)
			return ret;
	}
	return 0;
}

int rdmapin_nl_request(uint16_t cmd, bool dump, uint32_t dev_index,
		       uint32_t port, const char *chardev_type,
		       rdmapin_nl_msg_fn fn, void *arg)
{
	struct nl_msg *msg;
	struct nl_sock *sk;
	int ret;

	sk = nl_socket_alloc();
	if (!sk)
		return ENOMEM;
	/* Replies are read raw; no ACK after a reply that says it all. */
	nl_socket_disable_auto_ack(sk);
	nl_socket_enable_msg_peek(sk);
	ret = nl_connect(sk, NETLINK_RDMA);
	if (ret < 0) {
		ret = nle_errno(ret);
		goto out;
	}
	msg = nl_build(cmd, dump, dev_index, port, chardev_type);
	if (!msg) {
		ret = ENOMEM;
		goto out;
	}
	ret = nl_exchange(sk, msg, fn, arg);
	nlmsg_free(msg);
out:
	nl_socket_free(sk);
	return ret;
}

struct dev_vec {
	struct rdmapin_nl_dev *v;
	size_t n, cap;
};

static int devs_add(const struct nlmsghdr *nlh, void *arg)
{
	struct dev_vec *vec = arg;

	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 8;
		void *v = realloc(vec->v, cap * sizeof(*vec->v));

		if (!v)
			return ENOMEM;
		vec->v = v;
		vec->cap = cap;
	}
	return rdmapin_nl_parse_dev(nlh, &vec->v[vec->n++]);
}

int rdmapin_nl_devs(struct rdmapin_nl_dev **out, size_t *n)
{
	struct dev_vec vec = {};
	int ret;

	ret = rdmapin_nl_request(RDMA_NLDEV_CMD_GET, true, UINT32_MAX, 0, NULL,
				 devs_add, &vec);
	if (ret) {
		free(vec.v);
		return ret;
	}
	*out = vec.v;
	*n = vec.n;
	return 0;
}

int rdmapin_nl_dev_index(const char *name, uint32_t *index)
{
	struct rdmapin_nl_dev *devs;
	size_t n, i;
	int ret;

	ret = rdmapin_nl_devs(&devs, &n);
	if (ret)
		return ret;
	ret = ENODEV;
	for (i = 0; i < n; i++) {
		if (!strcmp(devs[i].name, name)) {
			*index = devs[i].index;
			ret = 0;
			break;
		}
	}
	free(devs);
	return ret;
}
