// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Verbs chores shared by the test programs and the benchmark. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "verbs_util.h"

struct ibv_context *open_device_by_name(const char *name)
{
	struct ibv_context *ctx = NULL;
	struct ibv_device **list;
	int i, err = ENODEV;

	list = ibv_get_device_list(NULL);
	if (!list)
		return NULL;
	for (i = 0; list[i]; i++) {
		if (strcmp(ibv_get_device_name(list[i]), name))
			continue;
		ctx = ibv_open_device(list[i]);
		err = errno;
		break;
	}
	ibv_free_device_list(list);
	if (!ctx)
		errno = err;
	return ctx;
}

int roce_v2_ipv4_gid(struct ibv_context *ctx, union ibv_gid *gid)
{
	/* An IPv4 address in a GID is mapped: ::ffff:a.b.c.d */
	static const uint8_t v4mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	struct ibv_gid_entry entries[64];
	ssize_t n, i;

	n = ibv_query_gid_table(ctx, entries, 64, 0);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (entries[i].port_num != 1 ||
		    entries[i].gid_type != IBV_GID_TYPE_ROCE_V2 ||
		    memcmp(entries[i].gid.raw, v4mapped, sizeof(v4mapped)))
			continue;
		if (gid)
			*gid = entries[i].gid;
		return entries[i].gid_index;
	}
	return -1;
}

static int modify(struct ibv_qp *qp, struct ibv_qp_attr *a, int mask,
		  const char *what, const char **step)
{
	int ret = ibv_modify_qp(qp, a, mask);

	if (ret && step)
		*step = what;
	return ret;
}

int rc_connect(struct ibv_qp *qp, uint32_t dest_qpn, const union ibv_gid *dgid,
	       int sgid_index, const struct rc_conn_params *p,
	       const char **step)
{
	uint8_t rd_atomic = p->rd_atomic ? p->rd_atomic : 1;
	struct ibv_port_attr port;
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = 1,
		.qp_access_flags = p->access,
	};
	int ret;

	ret = modify(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
		     IBV_QP_ACCESS_FLAGS, "INIT", step);
	if (ret)
		return ret;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = p->mtu;
	if (!a.path_mtu) {
		ret = ibv_query_port(qp->context, 1, &port);
		if (ret) {
			if (step)
				*step = "query port";
			return ret;
		}
		a.path_mtu = port.active_mtu;
	}
	a.dest_qp_num = dest_qpn;
	a.rq_psn = p->psn;
	a.max_dest_rd_atomic = rd_atomic;
	a.min_rnr_timer = p->min_rnr_timer;
	a.ah_attr.is_global = 1;
	a.ah_attr.grh.dgid = *dgid;
	a.ah_attr.grh.sgid_index = sgid_index;
	a.ah_attr.grh.hop_limit = 64;
	a.ah_attr.port_num = 1;
	ret = modify(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
		     IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
		     IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER, "RTR",
		     step);
	if (ret)
		return ret;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.sq_psn = p->psn;
	a.timeout = p->timeout;
	a.retry_cnt = p->retry_cnt;
	a.rnr_retry = p->rnr_retry;
	a.max_rd_atomic = rd_atomic;
	return modify(qp, &a, IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT |
		      IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
		      IBV_QP_MAX_QP_RD_ATOMIC, "RTS", step);
}

enum ibv_qp_state qp_state(struct ibv_qp *qp)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr a;
	int ret = ibv_query_qp(qp, &a, IBV_QP_STATE, &init);

	if (ret) {
		errno = ret;
		return IBV_QPS_UNKNOWN;
	}
	return a.qp_state;
}

enum ibv_qp_state wait_qp_state(struct ibv_qp *qp, enum ibv_qp_state want,
				double seconds)
{
	struct timespec t0, t;
	enum ibv_qp_state st;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		st = qp_state(qp);
		if (st == want)
			return st;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9 >
		    seconds)
			return st;
		usleep(2000);
	}
}
