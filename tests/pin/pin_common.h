/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the pinning tests with traffic share (pin_traffic.c, fallback.c):
 * the kernel's pin counts, VmPin and device counters, polling, and the
 * two ends of an RC connection between two devices.  Failures stop the
 * program through CHECK() (../common/check.h).
 */
#ifndef RDMAPIN_TEST_PIN_COMMON_H
#define RDMAPIN_TEST_PIN_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>
#include <infiniband/verbs.h>

#include "../common/verbs_util.h"

#define KiB 1024UL
#define MiB (1024 * KiB)

/* A /proc/vmstat counter, per-CPU counts folded first; -1 if absent. */
long vmstat(const char *name);
/* FOLL_PIN pins held in the whole system. */
long pins_held(void);
/* pins_held() with transient pins (a 9p write of the test's output) out. */
long pins_quiescent(void);
/* VmPin of this process, in bytes. */
uint64_t vm_pin(void);
/*
 * Fail unless the system's FOLL_PIN count returns to @pins within 30 s
 * and this process's VmPin is @vm_pin_before; @what names the step.
 */
void check_pins_back(const char *what, long pins, uint64_t vm_pin_before);
/* A port-1 hardware counter of @dev (`rdma statistic`); -1 if absent. */
long hw_counter(const char *dev, const char *name);
/* CLOCK_MONOTONIC in seconds. */
double now(void);

/* Poll @cond for up to @secs seconds; its last value. */
#define WAIT_FOR(secs, cond)						\
	({								\
		double end_ = now() + (secs);				\
		bool ok_;						\
		while (!(ok_ = (cond)) && now() < end_)			\
			usleep(20000);					\
		ok_;							\
	})

/* One device's end of an RC connection. */
struct side {
	const char *name;
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	union ibv_gid gid;
	int gid_index;
};

/* Open the device called @name, or stop the test. */
struct ibv_context *open_dev(const char *name);
/* Open @name with a PD, a CQ of @cqe entries and its RoCE v2 IPv4 GID. */
void side_open(struct side *s, const char *name, int cqe);
void side_close(struct side *s);
/* An RC QP on the side's CQ, every WR signaled, one SGE, 4 receives. */
void side_qp_create(struct side *s, uint32_t max_send_wr);
/* Take the side's QP from RESET to RTS, connected to @dest_qpn at @dgid. */
void side_connect(struct side *s, uint32_t dest_qpn, const union ibv_gid *dgid,
		  const struct rc_conn_params *p);
/* A QP on each side (side_qp_create()), connected to each other. */
void sides_connect(struct side *a, struct side *b, uint32_t max_send_wr,
		   const struct rc_conn_params *p);
/* Destroy the QPs sides_connect() made. */
void sides_disconnect(struct side *a, struct side *b);

/*
 * Post one signaled RDMA READ or WRITE of @len bytes at @addr (@mr) to or
 * from @raddr (@rkey) on the side's QP; ibv_post_send()'s result.
 */
int side_post_rdma(struct side *s, enum ibv_wr_opcode op, struct ibv_mr *mr,
		   void *addr, uint32_t len, uint64_t raddr, uint32_t rkey,
		   uint64_t wr_id);
/* Wait up to 60 s for one completion on the side's CQ; its status. */
enum ibv_wc_status side_wait_wc(struct side *s);
/*
 * Move @len bytes between @lmr at @laddr and @rmr at @raddr with one
 * RDMA READ or WRITE posted on @s, which must succeed.
 */
void side_rdma(struct side *s, enum ibv_wr_opcode op, struct ibv_mr *lmr,
	       void *laddr, struct ibv_mr *rmr, void *raddr, size_t len);

#endif /* RDMAPIN_TEST_PIN_COMMON_H */
