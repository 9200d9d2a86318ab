// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pinrxe_info: open an RDMA device through libibverbs, show what it
 * reports, allocate a protection domain, and show the process limits that
 * will govern pinned registrations.
 *
 * usage: pinrxe_info [DEVICE]   (default: the first device)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <infiniband/verbs.h>

#include <rdmapin.h>

static void print_bytes(const char *what, uint64_t v)
{
	if (v == RDMAPIN_UNLIMITED)
		printf("  %-22s unlimited\n", what);
	else
		printf("  %-22s %llu KiB\n", what, (unsigned long long)v / 1024);
}

static void print_gids(struct ibv_context *ctx, uint8_t port, int len)
{
	char buf[INET6_ADDRSTRLEN];
	union ibv_gid gid;
	int i;

	for (i = 0; i < len; i++) {
		if (ibv_query_gid(ctx, port, i, &gid))
			break;
		if (!gid.global.subnet_prefix && !gid.global.interface_id)
			continue;
		inet_ntop(AF_INET6, gid.raw, buf, sizeof(buf));
		printf("  gid[%d]                 %s\n", i, buf);
	}
}

static int show(struct ibv_device *dev)
{
	struct ibv_device_attr_ex attr = {};
	struct rdmapin_limits lim;
	struct ibv_port_attr port;
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	int ret;

	ctx = ibv_open_device(dev);
	if (!ctx) {
		fprintf(stderr, "cannot open %s: %s\n", ibv_get_device_name(dev),
			strerror(errno));
		return 1;
	}
	ret = ibv_query_device_ex(ctx, NULL, &attr);
	if (ret) {
		fprintf(stderr, "query_device_ex: %s\n", strerror(ret));
		goto out;
	}
	ret = ibv_query_port(ctx, 1, &port);
	if (ret) {
		fprintf(stderr, "query_port: %s\n", strerror(ret));
		goto out;
	}
	printf("%s\n", ibv_get_device_name(dev));
	printf("  %-22s %s\n", "firmware", attr.orig_attr.fw_ver);
	printf("  %-22s %016llx\n", "node guid",
	       (unsigned long long)be64toh(ibv_get_device_guid(dev)));
	printf("  %-22s %d\n", "max PDs", attr.orig_attr.max_pd);
	printf("  %-22s %d / %d / %d\n", "max QPs / CQs / MRs",
	       attr.orig_attr.max_qp, attr.orig_attr.max_cq,
	       attr.orig_attr.max_mr);
	printf("  %-22s %s, MTU %d\n", "port 1",
	       ibv_port_state_str(port.state), 128 << port.active_mtu);
	print_gids(ctx, 1, port.gid_tbl_len);

	pd = ibv_alloc_pd(ctx);
	if (!pd) {
		ret = errno;
		fprintf(stderr, "alloc_pd: %s\n", strerror(ret));
		goto out;
	}
	printf("  %-22s handle %u\n", "protection domain", pd->handle);
	ret = ibv_dealloc_pd(pd);
	if (ret) {
		fprintf(stderr, "dealloc_pd: %s\n", strerror(ret));
		goto out;
	}

	ret = rdmapin_limits(0, &lim);
	if (ret) {
		fprintf(stderr, "rdmapin_limits: %s\n", strerror(ret));
		goto out;
	}
	printf("this process (librdmapin %s)\n", rdmapin_version());
	print_bytes("RLIMIT_MEMLOCK", lim.memlock_cur);
	print_bytes("pinned now (VmPin)", lim.pinned_bytes);
	printf("  %-22s %s\n", "CAP_IPC_LOCK", lim.cap_ipc_lock ? "yes" : "no");
out:
	ibv_close_device(ctx);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct ibv_device **list, *dev = NULL;
	int i, n, ret;

	list = ibv_get_device_list(&n);
	if (!list) {
		perror("ibv_get_device_list");
		return 1;
	}
	for (i = 0; i < n; i++)
		if (argc < 2 || !strcmp(ibv_get_device_name(list[i]), argv[1])) {
			dev = list[i];
			break;
		}
	if (!dev) {
		fprintf(stderr, "no RDMA device%s%s\n", argc < 2 ? "" : " named ",
			argc < 2 ? "" : argv[1]);
		ibv_free_device_list(list);
		return 1;
	}
	ret = show(dev);
	ibv_free_device_list(list);
	return ret;
}
