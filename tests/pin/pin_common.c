// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What the pinning tests with traffic share; see pin_common.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rdmapin.h>

#include "../common/check.h"
#include "../common/verbs_util.h"
#include "pin_common.h"

long vmstat(const char *name)
{
	char key[64];
	long val = -1, v;
	FILE *f;
	int fd;

	/* Fold the per-CPU counts first, so small deltas are exact. */
	fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			perror("stat_refresh");
		close(fd);
	}
	f = fopen("/proc/vmstat", "re");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name))
			val = v;
	fclose(f);
	return val;
}

long pins_held(void)
{
	long acquired = vmstat("nr_foll_pin_acquired");

	return acquired - vmstat("nr_foll_pin_released");
}

/*
 * The pin count is system-wide, and a write to the 9p share the test
 * guest logs to holds a pin for a moment: the least of a few samples is
 * the quiescent count.
 */
long pins_quiescent(void)
{
	long least = pins_held(), n;
	int i;

	for (i = 0; i < 5; i++) {
		usleep(40000);
		n = pins_held();
		if (n < least)
			least = n;
	}
	return least;
}

uint64_t vm_pin(void)
{
	struct rdmapin_limits lim;

	CHECK(rdmapin_limits(0, &lim) == 0, "rdmapin_limits: %s",
	      strerror(errno));
	return lim.pinned_bytes;
}

void check_pins_back(const char *what, long pins, uint64_t vm_pin_before)
{
	CHECK(WAIT_FOR(30, pins_held() == pins),
	      "%s: %ld FOLL_PIN pins held, %ld before", what, pins_held(),
	      pins);
	CHECK(vm_pin() == vm_pin_before, "%s: VmPin %llu KiB, %llu before",
	      what, (unsigned long long)vm_pin() / KiB,
	      (unsigned long long)vm_pin_before / KiB);
}

long hw_counter(const char *dev, const char *name)
{
	char path[160];
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/class/infiniband/%s/ports/1/hw_counters/%s", dev, name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct ibv_context *open_dev(const char *name)
{
	struct ibv_context *ctx = open_device_by_name(name);

	CHECK(ctx, "open %s: %s", name, strerror(errno));
	return ctx;
}

void side_open(struct side *s, const char *name, int cqe)
{
	s->name = name;
	s->ctx = open_dev(name);
	s->pd = ibv_alloc_pd(s->ctx);
	CHECK(s->pd, "%s: ibv_alloc_pd: %s", name, strerror(errno));
	s->cq = ibv_create_cq(s->ctx, cqe, NULL, NULL, 0);
	CHECK(s->cq, "%s: ibv_create_cq: %s", name, strerror(errno));
	s->gid_index = roce_v2_ipv4_gid(s->ctx, &s->gid);
	CHECK(s->gid_index >= 0, "%s has no RoCEv2 IPv4 GID", name);
}

void side_close(struct side *s)
{
	CHECK(ibv_destroy_cq(s->cq) == 0, "%s: destroy CQ", s->name);
	CHECK(ibv_dealloc_pd(s->pd) == 0, "%s: dealloc PD", s->name);
	CHECK(ibv_close_device(s->ctx) == 0, "%s: close", s->name);
}

void side_qp_create(struct side *s, uint32_t max_send_wr)
{
	struct ibv_qp_init_attr init = {
		.send_cq = s->cq,
		.recv_cq = s->cq,
		.cap = {
			.max_send_wr = max_send_wr, .max_recv_wr = 4,
			.max_send_sge = 1, .max_recv_sge = 1,
		},
		.qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
	};

	s->qp = ibv_create_qp(s->pd, &init);
	CHECK(s->qp, "%s: ibv_create_qp: %s", s->name, strerror(errno));
}

void side_connect(struct side *s, uint32_t dest_qpn, const union ibv_gid *dgid,
		  const struct rc_conn_params *p)
{
	const char *step = "?";
	int ret = rc_connect(s->qp, dest_qpn, dgid, s->gid_index, p, &step);

	CHECK(ret == 0, "%s: to %s: %s", s->name, step, strerror(ret));
}

void sides_connect(struct side *a, struct side *b, uint32_t max_send_wr,
		   const struct rc_conn_params *p)
{
	side_qp_create(a, max_send_wr);
	side_qp_create(b, max_send_wr);
	side_connect(a, b->qp->qp_num, &b->gid, p);
	side_connect(b, a->qp->qp_num, &a->gid, p);
}

void sides_disconnect(struct side *a, struct side *b)
{
	CHECK(ibv_destroy_qp(a->qp) == 0, "destroy %s QP", a->name);
	CHECK(ibv_destroy_qp(b->qp) == 0, "destroy %s QP", b->name);
	a->qp = b->qp = NULL;
}

int side_post_rdma(struct side *s, enum ibv_wr_opcode op, struct ibv_mr *mr,
		   void *addr, uint32_t len, uint64_t raddr, uint32_t rkey,
		   uint64_t wr_id)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)addr, .length = len, .lkey = mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = wr_id,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = raddr, .rkey = rkey },
	}, *bad;

	return ibv_post_send(s->qp, &wr, &bad);
}

enum ibv_wc_status side_wait_wc(struct side *s)
{
	double end = now() + 60;
	struct ibv_wc wc;
	int n;

	while ((n = ibv_poll_cq(s->cq, 1, &wc)) == 0 && now() < end)
		;
	CHECK(n == 1, "%s: no completion within 60 s (%d)", s->name, n);
	return wc.status;
}

void side_rdma(struct side *s, enum ibv_wr_opcode op, struct ibv_mr *lmr,
	       void *laddr, struct ibv_mr *rmr, void *raddr, size_t len)
{
	enum ibv_wc_status st;
	int ret;

	ret = side_post_rdma(s, op, lmr, laddr, len, (uintptr_t)raddr,
			     rmr->rkey, 0);
	CHECK(ret == 0, "%s: post: %s", s->name, strerror(ret));
	st = side_wait_wc(s);
	CHECK(st == IBV_WC_SUCCESS, "%s RDMA %s of %zu KiB: %s", s->name,
	      op == IBV_WR_RDMA_READ ? "READ" : "WRITE", len / KiB,
	      ibv_wc_status_str(st));
}
