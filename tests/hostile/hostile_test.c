/*
 * A hostile process against pinrxe, run in the test guest by
 * tests/cases/37-hostile.sh (issue 7, "Userspace" and "Limits").  All
 * traffic is loopback: QPs of one device connected to each other.
 *
 * usage: hostile_test DEV TEST...
 *        hostile_test DEV stream FILE   verified RC sends until FILE exists
 *        hostile_test DEV fuzz ITERATIONS SEED
 *
 * Tests:
 *   badwr    bad work requests on RC, UC and UD, each with its exact
 *            completion status or post error, the QP's state afterwards,
 *            and a verified stream on another QP pair undisturbed
 *   fuzz     random garbage in send, receive and SRQ WQEs and in the
 *            producer and consumer indices of every ring, doorbells rung;
 *            outcomes counted; memory around the MR never touched and the
 *            verified stream intact
 *   limits   max_qp, max_cq, max_mr and max_srq: up to the limit works,
 *            one more fails with ENOMEM, and freeing one makes room
 *   overrun  a CQ overrun by real traffic: IBV_EVENT_CQ_ERR for the CQ,
 *            IBV_EVENT_QP_FATAL and ERR for the QP that lost a completion
 *   srqlimit IBV_EVENT_SRQ_LIMIT_REACHED when real sends consume an SRQ
 *            below its armed limit
 *
 * Every check prints "ok: ..." or "FAIL: ..." and a failure exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include <infiniband/verbs.h>

/* White-box access to the provider's rings, to play a hostile process. */
#include "pinrxe.h"

#include "../common/check.h"
#include "../common/verbs_util.h"

enum { BUF = 4096, QKEY = 0x11111111 };

static struct ibv_context *ctx;
static struct ibv_device_attr dattr;
static struct ibv_port_attr pattr;
static struct ibv_pd *pd;
static union ibv_gid own_gid;
static int sgid_index;
static const char *dev_name;
static struct ibv_qp_cap last_cap;	/* what the newest QP got */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *qpt_str(enum ibv_qp_type type)
{
	return type == IBV_QPT_RC ? "RC" : type == IBV_QPT_UC ? "UC" : "UD";
}

/* ---- objects ---- */

static struct ibv_mr *reg(void *buf, size_t len, int access)
{
	struct ibv_mr *mr = ibv_reg_mr(pd, buf, len, access);

	CHECK(mr, "ibv_reg_mr(%zu, %#x): %s", len, access, strerror(errno));
	return mr;
}

static struct ibv_cq *mkcq(int cqe)
{
	struct ibv_cq *cq = ibv_create_cq(ctx, cqe, NULL, NULL, 0);

	CHECK(cq, "ibv_create_cq(%d): %s", cqe, strerror(errno));
	return cq;
}

static struct ibv_qp *mkqp(enum ibv_qp_type type, struct ibv_cq *scq,
			   struct ibv_cq *rcq, struct ibv_srq *srq,
			   uint32_t wr, uint32_t sge)
{
	struct ibv_qp_init_attr init = {
		.send_cq = scq, .recv_cq = rcq, .srq = srq,
		.cap = { wr, srq ? 0 : wr, sge, srq ? 0 : sge, 64 },
		.qp_type = type,
	};
	struct ibv_qp *qp = ibv_create_qp(pd, &init);

	CHECK(qp, "ibv_create_qp %s: %s", qpt_str(type), strerror(errno));
	last_cap = init.cap;
	return qp;
}

static void modify(struct ibv_qp *qp, struct ibv_qp_attr *a, int mask,
		   const char *what)
{
	int ret = ibv_modify_qp(qp, a, mask);

	CHECK(ret == 0, "%s QP %u %s: %s", qpt_str(qp->qp_type), qp->qp_num,
	      what, strerror(ret));
}

static void to_state(struct ibv_qp *qp, enum ibv_qp_state state)
{
	struct ibv_qp_attr a = { .qp_state = state };

	modify(qp, &a, IBV_QP_STATE, "state change");
}

static void to_init(struct ibv_qp *qp)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT, .port_num = 1, .qkey = QKEY,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_ATOMIC,
	};
	int mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT;

	mask |= qp->qp_type == IBV_QPT_UD ? IBV_QP_QKEY : IBV_QP_ACCESS_FLAGS;
	modify(qp, &a, mask, "to INIT");
}

/* RTR and RTS, connected to dest_qpn on this device (UD: unconnected). */
static void to_rts(struct ibv_qp *qp, uint32_t dest_qpn)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTR, .path_mtu = pattr.active_mtu,
		.dest_qp_num = dest_qpn, .rq_psn = 0x100,
		.max_dest_rd_atomic = 4, .min_rnr_timer = 1,
		.ah_attr = {
			.is_global = 1, .port_num = 1,
			.grh = { .dgid = own_gid, .sgid_index = sgid_index,
				 .hop_limit = 64 },
		},
	};
	int mask = IBV_QP_STATE;

	if (qp->qp_type != IBV_QPT_UD)
		mask |= IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			IBV_QP_RQ_PSN;
	if (qp->qp_type == IBV_QPT_RC)
		mask |= IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
	modify(qp, &a, mask, "to RTR");
	a = (struct ibv_qp_attr){
		.qp_state = IBV_QPS_RTS, .sq_psn = 0x100, .timeout = 12,
		.retry_cnt = 3, .rnr_retry = 7, .max_rd_atomic = 4,
	};
	mask = IBV_QP_STATE | IBV_QP_SQ_PSN;
	if (qp->qp_type == IBV_QPT_RC)
		mask |= IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			IBV_QP_MAX_QP_RD_ATOMIC;
	modify(qp, &a, mask, "to RTS");
}

/* Wait for a QP to reach a state (the data path moves it). */
static void expect_state(struct ibv_qp *qp, enum ibv_qp_state want,
			 const char *what)
{
	enum ibv_qp_state st = wait_qp_state(qp, want, 30);

	CHECK(st == want, "%s: QP %u in state %d, want %d", what, qp->qp_num,
	      st, want);
}

/* A QP pair on its own CQs, each QP connected to the other. */
struct pair {
	struct ibv_cq *cq[2];
	struct ibv_qp *qp[2];
};

static void pair_make(struct pair *p, enum ibv_qp_type type, int cqe)
{
	int i;

	for (i = 0; i < 2; i++) {
		p->cq[i] = mkcq(cqe);
		p->qp[i] = mkqp(type, p->cq[i], p->cq[i], NULL, 16, 4);
		to_init(p->qp[i]);
	}
	to_rts(p->qp[0], p->qp[1]->qp_num);
	to_rts(p->qp[1], p->qp[0]->qp_num);
}

static void pair_free(struct pair *p)
{
	int i;

	for (i = 0; i < 2; i++) {
		CHECK(ibv_destroy_qp(p->qp[i]) == 0, "destroy QP");
		CHECK(ibv_destroy_cq(p->cq[i]) == 0, "destroy CQ");
	}
}

/* ---- completions and events ---- */

static void poll1(struct ibv_cq *cq, struct ibv_wc *wc, const char *what)
{
	double end = now() + 30;
	int n;

	while ((n = ibv_poll_cq(cq, 1, wc)) == 0) {
		CHECK(now() < end, "%s: no completion", what);
		usleep(200);
	}
	CHECK(n == 1, "%s: ibv_poll_cq %d", what, n);
}

static void expect_wc(struct ibv_cq *cq, uint64_t wr_id,
		      enum ibv_wc_status status, const char *what)
{
	struct ibv_wc wc;

	poll1(cq, &wc, what);
	CHECK(wc.wr_id == wr_id && wc.status == status,
	      "%s: wr_id %llu %s, want %llu %s", what,
	      (unsigned long long)wc.wr_id, ibv_wc_status_str(wc.status),
	      (unsigned long long)wr_id, ibv_wc_status_str(status));
}

static void expect_empty(struct ibv_cq *cq, const char *what)
{
	struct ibv_wc wc;
	int i;

	for (i = 0; i < 20; i++) {
		CHECK(ibv_poll_cq(cq, 1, &wc) == 0,
		      "%s: unexpected completion wr_id %llu %s", what,
		      (unsigned long long)wc.wr_id,
		      ibv_wc_status_str(wc.status));
		usleep(2000);
	}
}

/* Async events: counted as they come, or waited for one in particular. */
static unsigned long nevents[64];

static bool next_event(struct ibv_async_event *ev, int ms)
{
	struct pollfd pfd = { .fd = ctx->async_fd, .events = POLLIN };

	if (poll(&pfd, 1, ms) <= 0)
		return false;
	if (ibv_get_async_event(ctx, ev))
		return false;	/* the fd is non-blocking: raced */
	ibv_ack_async_event(ev);
	if (ev->event_type < 64)
		nevents[ev->event_type]++;
	return true;
}

static void drain_events(void)
{
	struct ibv_async_event ev;

	while (next_event(&ev, 0))
		;
}

static void expect_event(enum ibv_event_type type, void *element,
			 const char *what)
{
	double end = now() + 30;
	struct ibv_async_event ev;

	while (now() < end) {
		if (!next_event(&ev, 100))
			continue;
		if (ev.event_type == type &&
		    (ev.element.qp == element || ev.element.cq == element ||
		     ev.element.srq == element))
			return;
		printf("note: %s: event %s\n", what,
		       ibv_event_type_str(ev.event_type));
	}
	fail("%s: no %s", what, ibv_event_type_str(type));
}

/* ---- a verified stream: RC sends whose data is checked ---- */

struct stream {
	struct pair p;
	struct ibv_mr *mr;
	uint8_t *buf;		/* BUF to send, BUF to receive */
	unsigned long count;
	unsigned int seed;
};

static void stream_init(struct stream *s, unsigned int seed)
{
	memset(s, 0, sizeof(*s));
	s->seed = seed;
	s->buf = aligned_alloc(4096, 2 * BUF);
	CHECK(s->buf, "alloc");
	s->mr = reg(s->buf, 2 * BUF, IBV_ACCESS_LOCAL_WRITE);
	pair_make(&s->p, IBV_QPT_RC, 16);
}

/* n messages from qp[0] to qp[1], each checked byte for byte. */
static void stream_pump(struct stream *s, int n)
{
	int k, i;

	for (k = 0; k < n; k++) {
		unsigned int len = 1 + (s->count * 977) % BUF;
		struct ibv_sge rsge = { (uintptr_t)s->buf + BUF, BUF,
					s->mr->lkey };
		struct ibv_sge ssge = { (uintptr_t)s->buf, len, s->mr->lkey };
		struct ibv_recv_wr rwr = { .wr_id = s->count, .sg_list = &rsge,
					   .num_sge = 1 }, *rbad;
		struct ibv_send_wr swr = { .wr_id = s->count, .sg_list = &ssge,
					   .num_sge = 1,
					   .opcode = IBV_WR_SEND,
					   .send_flags = IBV_SEND_SIGNALED },
				   *sbad;
		struct ibv_wc wc;

		for (i = 0; i < (int)len; i++)
			s->buf[i] = (uint8_t)(s->seed + s->count * 31 + i);
		memset(s->buf + BUF, 0, BUF);
		CHECK(ibv_post_recv(s->p.qp[1], &rwr, &rbad) == 0,
		      "stream: post_recv");
		CHECK(ibv_post_send(s->p.qp[0], &swr, &sbad) == 0,
		      "stream: post_send");
		poll1(s->p.cq[0], &wc, "stream send");
		CHECK(wc.status == IBV_WC_SUCCESS && wc.wr_id == s->count,
		      "stream send %lu: %s", s->count,
		      ibv_wc_status_str(wc.status));
		poll1(s->p.cq[1], &wc, "stream receive");
		CHECK(wc.status == IBV_WC_SUCCESS && wc.wr_id == s->count &&
		      wc.byte_len == len,
		      "stream receive %lu: %s, %u bytes of %u", s->count,
		      ibv_wc_status_str(wc.status), wc.byte_len, len);
		for (i = 0; i < BUF; i++)
			CHECK(s->buf[BUF + i] ==
			      (i < (int)len ? (uint8_t)(s->seed + s->count * 31 + i)
					    : 0),
			      "stream message %lu: byte %d wrong", s->count, i);
		s->count++;
	}
}

static void stream_free(struct stream *s)
{
	pair_free(&s->p);
	CHECK(ibv_dereg_mr(s->mr) == 0, "dereg");
	free(s->buf);
}

/* Another process: verified sends until FILE exists; at least 10. */
static int run_stream(const char *stop)
{
	struct stream s;

	stream_init(&s, getpid());
	while (access(stop, F_OK) || s.count < 10) {
		stream_pump(&s, 10);
		usleep(2000);	/* leave the CPU to the fuzzer too */
	}
	stream_free(&s);
	ok("stream: %lu messages verified", s.count);
	return 0;
}

/* ---- bad work requests ---- */

static struct stream bystander;
static uint8_t *lbuf, *rbuf;		/* local, remote; BUF each */
static struct ibv_mr *lmr;		/* local write and all remote rights */
static struct ibv_mr *ro_mr;		/* over lbuf: no rights at all */
static struct ibv_mr *rmr_none;		/* over rbuf: local write only */
static struct ibv_ah *ah;

static int post1(struct ibv_qp *qp, enum ibv_wr_opcode op, uint64_t wr_id,
		 uint64_t addr, uint32_t len, uint32_t lkey, uint64_t raddr,
		 uint32_t rkey, uint32_t dest_qpn)
{
	struct ibv_sge sge = { addr, len, lkey };
	struct ibv_send_wr wr = {
		.wr_id = wr_id, .sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
	}, *bad = NULL;

	if (op == IBV_WR_ATOMIC_FETCH_AND_ADD) {
		wr.wr.atomic.remote_addr = raddr;
		wr.wr.atomic.rkey = rkey;
		wr.wr.atomic.compare_add = 1;
	} else if (op != IBV_WR_SEND) {
		wr.wr.rdma.remote_addr = raddr;
		wr.wr.rdma.rkey = rkey;
	}
	if (qp->qp_type == IBV_QPT_UD) {
		wr.wr.ud.ah = ah;
		wr.wr.ud.remote_qpn = dest_qpn;
		wr.wr.ud.remote_qkey = QKEY;
	}
	return ibv_post_send(qp, &wr, &bad);
}

static void recv1(struct ibv_qp *qp, uint64_t wr_id, uint64_t addr,
		  uint32_t len, uint32_t lkey)
{
	struct ibv_sge sge = { addr, len, lkey };
	struct ibv_recv_wr wr = { .wr_id = wr_id, .sg_list = &sge,
				  .num_sge = 1 }, *bad;

	CHECK(ibv_post_recv(qp, &wr, &bad) == 0, "post_recv: %s",
	      strerror(errno));
}

/*
 * One bad send WR on a fresh pair of type: the sender completes with
 * sstatus; with rstatus >= 0 the receiver's posted receive completes
 * with it.  The sender ends in sstate; the bystander stream goes on.
 */
struct badwr {
	const char *what;
	enum ibv_qp_type type;
	enum ibv_wr_opcode op;
	int lkey_sel;		/* 0 lmr, 1 ro_mr, 2 bad key */
	uint32_t off, len;	/* of the local SGE in lbuf */
	int rkey_sel;		/* 0 lmr-like remote (rbuf, all), 1 none, 2 bad */
	uint32_t recv_len;	/* receive posted on the peer, 0: none */
	int recv_ro;		/* receive into ro_mr */
	enum ibv_wc_status sstatus;
	int rstatus;		/* the receive's status, -1: none expected */
	enum ibv_qp_state sstate, rstate;
};

static struct ibv_mr *rmr_all;

static void run_badwr(const struct badwr *b)
{
	struct pair p;
	uint32_t lkey, rkey;
	int ret;

	pair_make(&p, b->type, 16);
	lkey = b->lkey_sel == 0 ? lmr->lkey : b->lkey_sel == 1 ?
	       ro_mr->lkey : (lmr->lkey ^ 0x5a5a00);
	rkey = b->rkey_sel == 0 ? rmr_all->rkey : b->rkey_sel == 1 ?
	       rmr_none->rkey : (rmr_all->rkey ^ 0x3c3c00);
	memset(rbuf, 0x77, BUF);
	if (b->recv_len)
		recv1(p.qp[1], 7, (uintptr_t)(b->recv_ro ? lbuf : rbuf),
		      b->recv_len, b->recv_ro ? ro_mr->lkey : rmr_all->lkey);
	ret = post1(p.qp[0], b->op, 1, (uintptr_t)lbuf + b->off, b->len, lkey,
		    (uintptr_t)rbuf, rkey, p.qp[1]->qp_num);
	CHECK(ret == 0, "%s %s: post: %s", qpt_str(b->type), b->what,
	      strerror(ret));
	expect_wc(p.cq[0], 1, b->sstatus, b->what);
	if (b->rstatus >= 0)
		expect_wc(p.cq[1], 7, b->rstatus, b->what);
	expect_state(p.qp[0], b->sstate, b->what);
	expect_state(p.qp[1], b->rstate, b->what);
	if (b->rkey_sel && b->op == IBV_WR_RDMA_WRITE)
		for (ret = 0; ret < BUF; ret++)
			CHECK(rbuf[ret] == 0x77, "%s: target written",
			      b->what);
	stream_pump(&bystander, 3);
	drain_events();
	pair_free(&p);
	ok("%s %s: %s, sender %s%s", qpt_str(b->type), b->what,
	   ibv_wc_status_str(b->sstatus),
	   b->sstate == IBV_QPS_ERR ? "ERR" : b->sstate == IBV_QPS_SQE ?
	   "SQE" : "RTS",
	   b->rstatus >= 0 ? ", receive completes in error" : "");
}

static void test_badwr(void)
{
#define E IBV_QPS_ERR
#define S IBV_QPS_SQE
#define R IBV_QPS_RTS
	static const struct badwr cases[] = {
		/* RC: IBA 9.9 and 11.6.2, as rdma_rxe. */
		{ "send, bad lkey", IBV_QPT_RC, IBV_WR_SEND, 2, 0, 64, 0, 64, 0,
		  IBV_WC_LOC_PROT_ERR, -1, E, R },
		{ "send, SGE past the MR", IBV_QPT_RC, IBV_WR_SEND, 0, BUF - 32,
		  64, 0, 128, 0, IBV_WC_LOC_PROT_ERR, -1, E, R },
		{ "send into a receive without local write", IBV_QPT_RC,
		  IBV_WR_SEND, 0, 0, 64, 0, 128, 1, IBV_WC_REM_OP_ERR,
		  IBV_WC_LOC_PROT_ERR, E, E },
		{ "send longer than the receive", IBV_QPT_RC, IBV_WR_SEND, 0, 0,
		  256, 0, 128, 0, IBV_WC_REM_INV_REQ_ERR, IBV_WC_LOC_LEN_ERR,
		  E, E },
		{ "read into an MR without local write", IBV_QPT_RC,
		  IBV_WR_RDMA_READ, 1, 0, 64, 0, 0, 0, IBV_WC_LOC_PROT_ERR, -1,
		  E, R },
		{ "write, peer MR without remote write", IBV_QPT_RC,
		  IBV_WR_RDMA_WRITE, 0, 0, 64, 1, 0, 0, IBV_WC_REM_ACCESS_ERR,
		  -1, E, E },
		{ "read, peer MR without remote read", IBV_QPT_RC,
		  IBV_WR_RDMA_READ, 0, 0, 64, 1, 0, 0, IBV_WC_REM_ACCESS_ERR,
		  -1, E, E },
		{ "atomic, peer MR without remote atomic", IBV_QPT_RC,
		  IBV_WR_ATOMIC_FETCH_AND_ADD, 0, 0, 8, 1, 0, 0,
		  IBV_WC_REM_ACCESS_ERR, -1, E, E },
		{ "write, bad rkey", IBV_QPT_RC, IBV_WR_RDMA_WRITE, 0, 0, 64, 2,
		  0, 0, IBV_WC_REM_ACCESS_ERR, -1, E, E },
		/* UC and UD: local errors end the send queue only (SQE). */
		{ "send, bad lkey", IBV_QPT_UC, IBV_WR_SEND, 2, 0, 64, 0, 64, 0,
		  IBV_WC_LOC_PROT_ERR, -1, S, R },
		{ "write, SGE past the MR", IBV_QPT_UC, IBV_WR_RDMA_WRITE, 0,
		  BUF - 8, 64, 0, 0, 0, IBV_WC_LOC_PROT_ERR, -1, S, R },
		/* No NAK in UC: the sender succeeds, the target is untouched. */
		{ "write, peer MR without remote write", IBV_QPT_UC,
		  IBV_WR_RDMA_WRITE, 0, 0, 64, 1, 0, 0, IBV_WC_SUCCESS, -1, R,
		  R },
		{ "send into a receive without local write", IBV_QPT_UC,
		  IBV_WR_SEND, 0, 0, 64, 0, 128, 1, IBV_WC_SUCCESS,
		  IBV_WC_LOC_PROT_ERR, R, E },
		{ "send, bad lkey", IBV_QPT_UD, IBV_WR_SEND, 2, 0, 64, 0, 128, 0,
		  IBV_WC_LOC_PROT_ERR, -1, S, R },
		{ "send, SGE past the MR", IBV_QPT_UD, IBV_WR_SEND, 0, BUF - 8,
		  64, 0, 128, 0, IBV_WC_LOC_PROT_ERR, -1, S, R },
		/*
		 * 40 bytes of GRH first: 100 do not fit in 128.  That receive
		 * completes in error; the UD QP takes the next datagram.
		 */
		{ "send longer than the receive", IBV_QPT_UD, IBV_WR_SEND, 0, 0,
		  100, 0, 128, 0, IBV_WC_SUCCESS, IBV_WC_LOC_LEN_ERR, R, R },
	};
	unsigned int i;

#undef E
#undef S
#undef R
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_badwr(&cases[i]);
}

/* Errors ibv_post_send gives at once, and posting by QP state. */
static void test_post_rules(void)
{
	static const enum ibv_qp_type types[] = {
		IBV_QPT_RC, IBV_QPT_UC, IBV_QPT_UD
	};
	unsigned int t;

	for (t = 0; t < 3; t++) {
		struct ibv_cq *cq = mkcq(64);
		struct ibv_qp *qp = mkqp(types[t], cq, cq, NULL, 8, 2);
		struct ibv_qp_cap cap = last_cap;
		struct ibv_sge sges[40];
		struct ibv_send_wr wr = {
			.wr_id = 5, .sg_list = sges,
			.num_sge = cap.max_send_sge + 1,
			.opcode = IBV_WR_SEND,
			.wr.ud = { .ah = ah, .remote_qpn = qp->qp_num,
				   .remote_qkey = QKEY },
		}, *bad;
		struct ibv_wc wc;
		unsigned int i;
		int ret;

		CHECK(cap.max_send_sge < 40 && cap.max_inline_data < BUF,
		      "caps %u %u", cap.max_send_sge, cap.max_inline_data);
		for (i = 0; i < 40; i++)
			sges[i] = (struct ibv_sge){ (uintptr_t)lbuf + 8 * i, 8,
						    lmr->lkey };
		CHECK(post1(qp, IBV_WR_SEND, 1, (uintptr_t)lbuf, 8, lmr->lkey,
			    0, 0, qp->qp_num) == EINVAL, "send in RESET");
		to_init(qp);
		CHECK(post1(qp, IBV_WR_SEND, 1, (uintptr_t)lbuf, 8, lmr->lkey,
			    0, 0, qp->qp_num) == EINVAL, "send in INIT");
		to_rts(qp, qp->qp_num);
		ret = ibv_post_send(qp, &wr, &bad);
		CHECK(ret == EINVAL && bad == &wr, "%u SGEs of %u: %d",
		      cap.max_send_sge + 1, cap.max_send_sge, ret);
		wr.num_sge = 1;
		sges[0].length = cap.max_inline_data + 1;
		wr.send_flags = IBV_SEND_INLINE;
		ret = ibv_post_send(qp, &wr, &bad);
		CHECK(ret == EINVAL && bad == &wr, "%u bytes inline of %u: %d",
		      cap.max_inline_data + 1, cap.max_inline_data, ret);
		to_state(qp, IBV_QPS_ERR);
		CHECK(post1(qp, IBV_WR_SEND, 9, (uintptr_t)lbuf, 8, lmr->lkey,
			    0, 0, qp->qp_num) == 0, "send in ERR");
		poll1(cq, &wc, "send in ERR");
		CHECK(wc.wr_id == 9 && wc.status == IBV_WC_WR_FLUSH_ERR,
		      "send in ERR: %s", ibv_wc_status_str(wc.status));
		expect_empty(cq, "after the flush");
		CHECK(ibv_destroy_qp(qp) == 0 && ibv_destroy_cq(cq) == 0,
		      "destroy");
		stream_pump(&bystander, 2);
		ok("%s: send in RESET, INIT: EINVAL; too many SGEs, inline too "
		   "long: EINVAL; in ERR: flushed", qpt_str(types[t]));
	}
}

static void setup_bad(void)
{
	struct ibv_ah_attr aa = {
		.is_global = 1, .port_num = 1,
		.grh = { .dgid = own_gid, .sgid_index = sgid_index,
			 .hop_limit = 64 },
	};

	lbuf = aligned_alloc(4096, BUF);
	rbuf = aligned_alloc(4096, BUF);
	CHECK(lbuf && rbuf, "alloc");
	memset(lbuf, 1, BUF);
	lmr = reg(lbuf, BUF, IBV_ACCESS_LOCAL_WRITE);
	ro_mr = reg(lbuf, BUF, 0);
	rmr_all = reg(rbuf, BUF, IBV_ACCESS_LOCAL_WRITE |
		      IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
		      IBV_ACCESS_REMOTE_ATOMIC);
	rmr_none = reg(rbuf, BUF, IBV_ACCESS_LOCAL_WRITE);
	ah = ibv_create_ah(pd, &aa);
	CHECK(ah, "ibv_create_ah: %s", strerror(errno));
	stream_init(&bystander, 1);
	stream_pump(&bystander, 5);
}

static void teardown_bad(void)
{
	stream_pump(&bystander, 5);
	ok("bystander stream: %lu messages verified", bystander.count);
	stream_free(&bystander);
	CHECK(ibv_destroy_ah(ah) == 0, "destroy AH");
	CHECK(!ibv_dereg_mr(lmr) && !ibv_dereg_mr(ro_mr) &&
	      !ibv_dereg_mr(rmr_all) && !ibv_dereg_mr(rmr_none), "dereg");
	free(lbuf);
	free(rbuf);
}

/* ---- ring fuzz ---- */

/*
 * The fuzz target memory: one MR in the middle of a mapping whose pages
 * before and after hold a canary the kernel must never change.
 */
enum { GUARD = 4096, FBUF = 8192 };
static uint8_t *fmap;
static struct ibv_mr *fmr;

static uint64_t rng;

static uint32_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545F4914F6CDD1DULL) >> 32);
}

/* A value of a field: mostly plausible, sometimes wild. */
static uint32_t pick(uint32_t plausible, uint32_t range)
{
	switch (rnd() % 4) {
	case 0:
		return rnd();
	case 1:
		return plausible + rnd() % (range + 1);
	default:
		return plausible;
	}
}

static uint64_t pick_addr(void)
{
	switch (rnd() % 5) {
	case 0:
		return ((uint64_t)rnd() << 32) | rnd();
	case 1:		/* just before or after the MR */
		return (uintptr_t)fmap + GUARD - 64 + rnd() % 128;
	case 2:
		return (uintptr_t)fmap + GUARD + FBUF - 64 + rnd() % 128;
	default:
		return (uintptr_t)fmap + GUARD + rnd() % FBUF;
	}
}

static void fuzz_sge(struct pinrxe_sge *sge)
{
	sge->addr = pick_addr();
	sge->length = rnd() % 3 ? rnd() % (FBUF + 256) : rnd();
	sge->lkey = rnd() % 4 ? fmr->lkey : rnd() % 2 ? fmr->lkey ^ 1 : rnd();
}

static const uint32_t fuzz_ops[] = {
	IBV_WR_RDMA_WRITE, IBV_WR_RDMA_WRITE_WITH_IMM, IBV_WR_SEND,
	IBV_WR_SEND_WITH_IMM, IBV_WR_RDMA_READ, IBV_WR_ATOMIC_CMP_AND_SWP,
	IBV_WR_ATOMIC_FETCH_AND_ADD, IBV_WR_LOCAL_INV, IBV_WR_BIND_MW,
	IBV_WR_SEND_WITH_INV, IBV_WR_TSO, IBV_WR_DRIVER1, 14, 255,
};

static void fuzz_send_wqe(struct pinrxe_wq *wq, struct pinrxe_send_wqe *w,
			  uint32_t ah_num, uint32_t dest_qpn)
{
	uint32_t room = (wq->wqe_size - sizeof(*w)) / sizeof(struct pinrxe_sge);
	uint32_t i, n;

	if (rnd() % 8 == 0) {	/* pure garbage */
		uint32_t *p = (uint32_t *)w;

		for (i = 0; i < wq->wqe_size / 4; i++)
			p[i] = rnd();
		return;
	}
	memset(w, 0, wq->wqe_size);
	w->wr_id = rnd();
	w->opcode = rnd() % 6 ? fuzz_ops[rnd() % 7] :
		    fuzz_ops[rnd() % (sizeof(fuzz_ops) / sizeof(fuzz_ops[0]))];
	w->send_flags = rnd() % 4 ? PINRXE_SEND_SIGNALED | (rnd() & 0xd) :
			rnd();
	w->num_sge = pick(1, room);
	w->inline_len = pick(16, wq->wqe_size);
	w->xrc_srqn = rnd() % 8 ? 0 : rnd();
	if (rnd() % 2) {
		w->wr.rdma.remote_addr = pick_addr();
		w->wr.rdma.rkey = rnd() % 4 ? fmr->rkey : rnd();
		if (w->opcode == IBV_WR_ATOMIC_CMP_AND_SWP ||
		    w->opcode == IBV_WR_ATOMIC_FETCH_AND_ADD) {
			w->wr.atomic.remote_addr = pick_addr() & ~7ULL;
			w->wr.atomic.rkey = w->wr.rdma.rkey;
		}
	} else {
		w->wr.ud.ah_num = pick(ah_num, 2);
		w->wr.ud.remote_qpn = pick(dest_qpn, 3);
		w->wr.ud.remote_qkey = rnd() % 4 ? QKEY : rnd();
		w->wr.ud.pkey_index = rnd() % 8 ? 0 : rnd();
	}
	n = w->num_sge < room ? w->num_sge : room;
	if (w->send_flags & PINRXE_SEND_INLINE) {
		uint8_t *d = (uint8_t *)w->sge;

		for (i = 0; i < wq->wqe_size - sizeof(*w); i++)
			d[i] = rnd();
		return;
	}
	for (i = 0; i < n; i++)
		fuzz_sge(&w->sge[i]);
}

static void fuzz_recv_wqe(struct pinrxe_wq *wq, struct pinrxe_recv_wqe *w)
{
	uint32_t room = (wq->wqe_size - sizeof(*w)) / sizeof(struct pinrxe_sge);
	uint32_t i;

	w->wr_id = rnd();
	w->num_sge = pick(1, room);
	w->reserved = rnd() % 8 ? 0 : rnd();
	for (i = 0; i < room; i++)
		fuzz_sge(&w->sge[i]);
}

static void *wq_slot(struct pinrxe_wq *wq, uint32_t idx)
{
	return (char *)wq->ring + PINRXE_RING_HDR_SIZE +
	       (size_t)(idx & (wq->num_wqe - 1)) * wq->wqe_size;
}

/* Publish a producer index: mostly the right one, sometimes not. */
static void fuzz_publish(struct pinrxe_wq *wq, uint32_t n, unsigned long *wild)
{
	uint32_t prod = wq->prod + n;

	if (rnd() % 6 == 0) {
		prod = rnd() % 2 ? rnd() : wq->prod + wq->num_wqe + 1 +
					   rnd() % 64;
		(*wild)++;
	}
	wq->prod += n;
	__atomic_store_n(&wq->ring->producer, prod, __ATOMIC_RELEASE);
	if (rnd() % 8 == 0)	/* the kernel's index: must be ignored */
		__atomic_store_n(&wq->ring->consumer, rnd(), __ATOMIC_RELEASE);
}

static int doorbell(struct ibv_qp *qp, uint32_t command)
{
	struct ib_uverbs_post_send_resp resp;
	struct ibv_post_wq_cmd cmd = {
		.hdr = { .command = command, .in_words = sizeof(cmd) / 4,
			 .out_words = sizeof(resp) / 4 },
		.response = (uintptr_t)&resp,
		.qp_handle = qp->handle,
		.wqe_size = command == IB_USER_VERBS_CMD_POST_SEND ?
			    sizeof(struct ib_uverbs_send_wr) :
			    sizeof(struct ib_uverbs_recv_wr),
	};

	if (write(qp->context->cmd_fd, &cmd, sizeof(cmd)) != sizeof(cmd))
		return errno;
	return 0;
}

static void check_guards(const char *when)
{
	int i;

	for (i = 0; i < GUARD; i++) {
		CHECK(fmap[i] == 0xc5, "%s: byte %d before the MR changed",
		      when, GUARD - i);
		CHECK(fmap[GUARD + FBUF + i] == 0xc5,
		      "%s: byte %d after the MR changed", when, i);
	}
}

struct fuzz_stats {
	unsigned long iters, wqes, wild_idx, cq_scribbles, db_err;
	unsigned long wc_ok, wc_err[32], err_state, sqe_state;
};

static void fuzz_one(struct fuzz_stats *st, struct ibv_ah *fah)
{
	static const enum ibv_qp_type types[] = {
		IBV_QPT_RC, IBV_QPT_UC, IBV_QPT_UD
	};
	enum ibv_qp_type type = types[rnd() % 3];
	struct ibv_srq_init_attr sattr = { .attr = { .max_wr = 8,
						     .max_sge = 2 } };
	bool want_srq = rnd() % 3 == 0;
	struct ibv_srq *srq = want_srq ? ibv_create_srq(pd, &sattr) : NULL;
	struct ibv_cq *cq[2] = { mkcq(rnd() % 2 ? 4 : 64), mkcq(64) };
	struct ibv_qp *qp[2];
	struct ibv_wc wc[16];
	struct pinrxe_qp *pq;
	double end;
	uint32_t i, n;
	int got, ret;

	CHECK(srq || !want_srq, "ibv_create_srq: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		qp[i] = mkqp(type, cq[i], cq[i], i ? srq : NULL, 8, 2);
		to_init(qp[i]);
	}
	to_rts(qp[0], qp[1]->qp_num);
	to_rts(qp[1], qp[0]->qp_num);

	/* Receives: good ones and garbage, on the RQ or the SRQ. */
	{
		struct pinrxe_wq *rq = srq ? &to_psrq(srq)->rq :
					     &to_pqp(qp[1])->rq;

		n = 1 + rnd() % rq->num_wqe;
		for (i = 0; i < n; i++)
			fuzz_recv_wqe(rq, wq_slot(rq, rq->prod + i));
		fuzz_publish(rq, n, &st->wild_idx);
		st->wqes += n;
	}
	/* Sends from qp[0]. */
	pq = to_pqp(qp[0]);
	n = 1 + rnd() % pq->sq.num_wqe;
	for (i = 0; i < n; i++)
		fuzz_send_wqe(&pq->sq, wq_slot(&pq->sq, pq->sq.prod + i),
			      to_pah(fah)->ah_num, qp[1]->qp_num);
	fuzz_publish(&pq->sq, n, &st->wild_idx);
	st->wqes += n;
	/* A CQ whose consumer index the process scribbled on. */
	if (rnd() % 5 == 0) {
		struct pinrxe_cq *pcq = to_pcq(cq[rnd() % 2]);

		__atomic_store_n(&pcq->ring->consumer, rnd(),
				 __ATOMIC_RELEASE);
		st->cq_scribbles++;
	}
	ret = doorbell(qp[0], IB_USER_VERBS_CMD_POST_SEND);
	if (ret)
		st->db_err++;
	if (rnd() % 4 == 0)
		doorbell(qp[1], IB_USER_VERBS_CMD_POST_RECV);

	/* Whatever completes within a short while. */
	end = now() + 0.02;
	while (now() < end) {
		for (i = 0; i < 2; i++) {
			got = ibv_poll_cq(cq[i], 16, wc);
			for (ret = 0; ret < got; ret++) {
				if (wc[ret].status == IBV_WC_SUCCESS)
					st->wc_ok++;
				else
					st->wc_err[wc[ret].status & 31]++;
			}
		}
		usleep(500);
	}
	for (i = 0; i < 2; i++) {
		enum ibv_qp_state s = qp_state(qp[i]);

		st->err_state += s == IBV_QPS_ERR;
		st->sqe_state += s == IBV_QPS_SQE;
	}
	/* Before the destroys, which discard their objects' events. */
	drain_events();
	/* Half the time through ERR and RESET first, as a recycler would. */
	if (rnd() % 2) {
		to_state(qp[0], IBV_QPS_ERR);
		to_state(qp[0], IBV_QPS_RESET);
	}
	for (i = 0; i < 2; i++)
		CHECK(ibv_destroy_qp(qp[i]) == 0, "destroy QP");
	if (srq)
		CHECK(ibv_destroy_srq(srq) == 0, "destroy SRQ");
	for (i = 0; i < 2; i++)
		CHECK(ibv_destroy_cq(cq[i]) == 0, "destroy CQ");
	drain_events();
	st->iters++;
}

static void test_fuzz(unsigned long iters, unsigned long seed)
{
	struct ibv_ah_attr aa = {
		.is_global = 1, .port_num = 1,
		.grh = { .dgid = own_gid, .sgid_index = sgid_index,
			 .hop_limit = 64 },
	};
	struct fuzz_stats st = { 0 };
	struct ibv_ah *fah;
	unsigned long i;
	int s;

	printf("fuzz: seed %lu, %lu iterations\n", seed, iters);
	fflush(stdout);
	rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	fmap = mmap(NULL, GUARD + FBUF + GUARD, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(fmap != MAP_FAILED, "mmap");
	memset(fmap, 0xc5, GUARD + FBUF + GUARD);
	fmr = reg(fmap + GUARD, FBUF, IBV_ACCESS_LOCAL_WRITE |
		  IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
		  IBV_ACCESS_REMOTE_ATOMIC);
	fah = ibv_create_ah(pd, &aa);
	CHECK(fah, "ibv_create_ah: %s", strerror(errno));
	stream_init(&bystander, 2);

	for (i = 0; i < iters; i++) {
		fuzz_one(&st, fah);
		if (i % 50 == 0) {
			check_guards("fuzz");
			stream_pump(&bystander, 1);
		}
		if (i % 500 == 0) {
			printf("fuzz: %lu iterations\n", i);
			fflush(stdout);
		}
	}
	check_guards("after the fuzz");
	stream_pump(&bystander, 10);
	printf("fuzz: %lu iterations, %lu WQEs, %lu wild producer indices, "
	       "%lu CQ consumer scribbles, %lu doorbell errors\n",
	       st.iters, st.wqes, st.wild_idx, st.cq_scribbles, st.db_err);
	printf("fuzz: completions: %lu successful", st.wc_ok);
	for (s = 0; s < 32; s++)
		if (st.wc_err[s])
			printf(", %lu %s", st.wc_err[s],
			       ibv_wc_status_str(s));
	printf("\nfuzz: QPs found in ERR %lu, in SQE %lu; events: "
	       "QP_FATAL %lu, CQ_ERR %lu, QP_REQ_ERR %lu, QP_ACCESS_ERR %lu\n",
	       st.err_state, st.sqe_state, nevents[IBV_EVENT_QP_FATAL],
	       nevents[IBV_EVENT_CQ_ERR], nevents[IBV_EVENT_QP_REQ_ERR],
	       nevents[IBV_EVENT_QP_ACCESS_ERR]);
	for (s = 0; s < 32; s++)
		st.wc_ok += s != IBV_WC_WR_FLUSH_ERR ? st.wc_err[s] : 0;
	CHECK(st.wc_ok > 0 && st.err_state > 0 && nevents[IBV_EVENT_CQ_ERR] > 0,
	      "the fuzz never got garbage executed, a QP to ERR or a CQ "
	      "overrun");
	ok("fuzz: %lu iterations, nothing outside the MR touched, bystander "
	   "stream verified (%lu messages)", st.iters, bystander.count);
	stream_free(&bystander);
	CHECK(ibv_destroy_ah(fah) == 0, "destroy AH");
	CHECK(ibv_dereg_mr(fmr) == 0, "dereg");
	munmap(fmap, GUARD + FBUF + GUARD);
}

/* ---- limits ---- */

/* Objects of a kind the device holds that no process owns. */
static int kernel_objs(const char *what, const char *key)
{
	char cmd[160], line[1024];
	FILE *f;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "rdma res show %s %s %s%s", what,
		 strcmp(what, "qp") ? "dev" : "link", dev_name,
		 strcmp(what, "qp") ? "" : "/1");
	f = popen(cmd, "r");
	CHECK(f, "popen %s", cmd);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, key) && !strstr(line, " pid ");
	CHECK(pclose(f) == 0, "%s failed", cmd);
	return n;
}

typedef void *(*make_fn)(void);
typedef int (*free_fn)(void *);

static struct ibv_cq *lim_cq;
static uint8_t lim_buf[64];

static void *mk_qp(void)
{
	struct ibv_qp_init_attr init = {
		.send_cq = lim_cq, .recv_cq = lim_cq,
		.cap = { 1, 1, 1, 1, 0 }, .qp_type = IBV_QPT_UD,
	};

	return ibv_create_qp(pd, &init);
}

static int rm_qp(void *o) { return ibv_destroy_qp(o); }
static void *mk_cq(void) { return ibv_create_cq(ctx, 1, NULL, NULL, 0); }
static int rm_cq(void *o) { return ibv_destroy_cq(o); }
static void *mk_mr(void)
{
	return ibv_reg_mr(pd, lim_buf, sizeof(lim_buf), IBV_ACCESS_LOCAL_WRITE);
}

static int rm_mr(void *o) { return ibv_dereg_mr(o); }
static void *mk_srq(void)
{
	struct ibv_srq_init_attr a = { .attr = { .max_wr = 1, .max_sge = 1 } };

	return ibv_create_srq(pd, &a);
}

static int rm_srq(void *o) { return ibv_destroy_srq(o); }

/* Create up to max, one more fails with ENOMEM, free one makes room. */
static void limit(const char *what, int max, int theirs, make_fn mk,
		  free_fn rm)
{
	int n = max - theirs, i;
	void **o = calloc(n + 1, sizeof(*o));

	CHECK(o && n > 0, "%s: max %d, %d the kernel's", what, max, theirs);
	for (i = 0; i < n; i++)
		CHECK((o[i] = mk()), "%s %d of the %d left of %d: %s", what,
		      i + 1, n, max, strerror(errno));
	errno = 0;
	o[n] = mk();
	CHECK(!o[n] && errno == ENOMEM, "%s number %d of max %d: %s", what,
	      max + 1, max, o[n] ? "created" : strerror(errno));
	CHECK(rm(o[0]) == 0, "free a %s", what);
	CHECK((o[0] = mk()), "a %s after one was freed: %s", what,
	      strerror(errno));
	for (i = 0; i < n; i++)
		CHECK(rm(o[i]) == 0, "free %s %d", what, i);
	free(o);
	ok("max_%s %d: %d of ours (%d the kernel's), one more ENOMEM, "
	   "room again once one is freed", what, max, n, theirs);
}

static void test_limits(void)
{
	int kcq = kernel_objs("cq", " cqn "), kqp = kernel_objs("qp", " lqpn ");
	/*
	 * A kernel PD (ib_mad's) holds a DMA MR that ib_core makes for it
	 * and restrack does not list: one per kernel PD.
	 */
	int kmr = kernel_objs("mr", " mrn ") + kernel_objs("pd", " pdn ");

	/* lim_cq is one of ours when counting QPs. */
	lim_cq = mkcq(4);
	limit("qp", dattr.max_qp, kqp, mk_qp, rm_qp);
	CHECK(ibv_destroy_cq(lim_cq) == 0, "destroy CQ");
	limit("cq", dattr.max_cq, kcq, mk_cq, rm_cq);
	limit("mr", dattr.max_mr, kmr, mk_mr, rm_mr);
	limit("srq", dattr.max_srq, 0, mk_srq, rm_srq);
}

/* ---- CQ overrun by real traffic; SRQ limit by real traffic ---- */

static void test_overrun(void)
{
	uint8_t *buf = aligned_alloc(4096, BUF);
	struct ibv_mr *mr;
	struct pair p;
	int i;

	CHECK(buf, "alloc");
	mr = reg(buf, BUF, IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	stream_init(&bystander, 3);

	/* Receive side: 8 receives into a CQ of 4. */
	pair_make(&p, IBV_QPT_RC, 4);
	CHECK(p.cq[1]->cqe == 4, "CQ of %d", p.cq[1]->cqe);
	for (i = 0; i < 8; i++)
		recv1(p.qp[1], 100 + i, (uintptr_t)buf + 64 * i, 64, mr->lkey);
	for (i = 0; i < 5; i++)
		CHECK(post1(p.qp[0], IBV_WR_SEND, i, (uintptr_t)buf + 1024, 16,
			    mr->lkey, 0, 0, 0) == 0, "send %d", i);
	expect_event(IBV_EVENT_CQ_ERR, p.cq[1], "receive CQ overrun");
	expect_event(IBV_EVENT_QP_FATAL, p.qp[1], "receive CQ overrun");
	expect_state(p.qp[1], IBV_QPS_ERR, "receiver after its CQ overran");
	for (i = 0; i < 4; i++)
		expect_wc(p.cq[1], 100 + i, IBV_WC_SUCCESS, "the 4 that fit");
	stream_pump(&bystander, 3);
	drain_events();
	pair_free(&p);
	ok("a receive CQ of 4 overrun by the 5th send: IBV_EVENT_CQ_ERR, the "
	   "receiver IBV_EVENT_QP_FATAL and ERR, the 4 completions kept");

	/* Send side: 5 signaled writes into a CQ of 4. */
	pair_make(&p, IBV_QPT_RC, 4);
	for (i = 0; i < 5; i++)
		CHECK(post1(p.qp[0], IBV_WR_RDMA_WRITE, i, (uintptr_t)buf, 16,
			    mr->lkey, (uintptr_t)buf + 2048, mr->rkey, 0) == 0,
		      "write %d", i);
	expect_event(IBV_EVENT_CQ_ERR, p.cq[0], "send CQ overrun");
	expect_event(IBV_EVENT_QP_FATAL, p.qp[0], "send CQ overrun");
	expect_state(p.qp[0], IBV_QPS_ERR, "sender after its CQ overran");
	for (i = 0; i < 4; i++)
		expect_wc(p.cq[0], i, IBV_WC_SUCCESS, "the 4 that fit");
	expect_state(p.qp[1], IBV_QPS_RTS, "the responder");
	stream_pump(&bystander, 3);
	drain_events();
	pair_free(&p);
	stream_free(&bystander);
	CHECK(ibv_dereg_mr(mr) == 0, "dereg");
	free(buf);
	ok("a send CQ of 4 overrun by the 5th write: IBV_EVENT_CQ_ERR, the "
	   "sender IBV_EVENT_QP_FATAL and ERR, the responder unharmed");
}

static void test_srqlimit(void)
{
	struct ibv_srq_init_attr sattr = { .attr = { .max_wr = 8,
						     .max_sge = 1 } };
	uint8_t *buf = aligned_alloc(4096, BUF);
	struct ibv_srq_attr sa = { .srq_limit = 4 };
	struct ibv_cq *cq[2] = { mkcq(16), mkcq(16) };
	struct ibv_qp *qp[2];
	struct ibv_srq *srq;
	struct ibv_async_event ev;
	struct ibv_mr *mr;
	int i;

	CHECK(buf, "alloc");
	mr = reg(buf, BUF, IBV_ACCESS_LOCAL_WRITE);
	srq = ibv_create_srq(pd, &sattr);
	CHECK(srq, "ibv_create_srq: %s", strerror(errno));
	for (i = 0; i < 8; i++) {
		struct ibv_sge sge = { (uintptr_t)buf + 64 * i, 64, mr->lkey };
		struct ibv_recv_wr wr = { .wr_id = i, .sg_list = &sge,
					  .num_sge = 1 }, *bad;

		CHECK(ibv_post_srq_recv(srq, &wr, &bad) == 0, "SRQ post");
	}
	CHECK(ibv_modify_srq(srq, &sa, IBV_SRQ_LIMIT) == 0, "arm");
	qp[0] = mkqp(IBV_QPT_RC, cq[0], cq[0], NULL, 8, 1);
	qp[1] = mkqp(IBV_QPT_RC, cq[1], cq[1], srq, 8, 1);
	to_init(qp[0]);
	to_init(qp[1]);
	to_rts(qp[0], qp[1]->qp_num);
	to_rts(qp[1], qp[0]->qp_num);
	for (i = 0; i < 4; i++) {
		CHECK(post1(qp[0], IBV_WR_SEND, i, (uintptr_t)buf + 2048, 8,
			    mr->lkey, 0, 0, 0) == 0, "send");
		expect_wc(cq[0], i, IBV_WC_SUCCESS, "send");
		expect_wc(cq[1], i, IBV_WC_SUCCESS, "receive");
	}
	CHECK(!next_event(&ev, 300), "an event (%s) with 4 left, limit 4",
	      ibv_event_type_str(ev.event_type));
	CHECK(post1(qp[0], IBV_WR_SEND, 4, (uintptr_t)buf + 2048, 8, mr->lkey,
		    0, 0, 0) == 0, "send");
	expect_wc(cq[1], 4, IBV_WC_SUCCESS, "receive");
	expect_event(IBV_EVENT_SRQ_LIMIT_REACHED, srq, "3 left of limit 4");
	CHECK(ibv_query_srq(srq, &sa) == 0 && sa.srq_limit == 0,
	      "limit %u after the event", sa.srq_limit);
	for (i = 0; i < 2; i++)
		CHECK(ibv_destroy_qp(qp[i]) == 0 && ibv_destroy_cq(cq[i]) == 0,
		      "destroy");
	CHECK(ibv_destroy_srq(srq) == 0 && ibv_dereg_mr(mr) == 0, "destroy");
	free(buf);
	drain_events();
	ok("SRQ limit 4: no event with 4 left, IBV_EVENT_SRQ_LIMIT_REACHED "
	   "once real sends leave 3, then disarmed");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} tests[] = {
		{ "badwr", test_badwr }, { "limits", test_limits },
		{ "overrun", test_overrun }, { "srqlimit", test_srqlimit },
	};
	int i, t, flags;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: %s DEV TEST... | DEV stream FILE | "
			"DEV fuzz ITERATIONS SEED\n", argv[0]);
		return 2;
	}
	dev_name = argv[1];
	ctx = open_device_by_name(dev_name);
	CHECK(ctx, "open %s: %s", dev_name, strerror(errno));
	CHECK(ibv_query_device(ctx, &dattr) == 0, "ibv_query_device");
	CHECK(ibv_query_port(ctx, 1, &pattr) == 0, "ibv_query_port");
	sgid_index = roce_v2_ipv4_gid(ctx, &own_gid);
	CHECK(sgid_index >= 0, "no RoCEv2 IPv4 GID on %s", dev_name);
	flags = fcntl(ctx->async_fd, F_GETFL);
	CHECK(fcntl(ctx->async_fd, F_SETFL, flags | O_NONBLOCK) == 0,
	      "non-blocking async fd");
	pd = ibv_alloc_pd(ctx);
	CHECK(pd, "ibv_alloc_pd: %s", strerror(errno));

	if (!strcmp(argv[2], "stream")) {
		CHECK(argc == 4, "stream FILE");
		return run_stream(argv[3]);
	}
	if (!strcmp(argv[2], "fuzz")) {
		CHECK(argc == 5, "fuzz ITERATIONS SEED");
		test_fuzz(strtoul(argv[3], NULL, 0), strtoul(argv[4], NULL, 0));
	} else {
		for (i = 2; i < argc; i++) {
			for (t = 0; t < (int)(sizeof(tests) / sizeof(tests[0]));
			     t++)
				if (!strcmp(argv[i], tests[t].name))
					break;
			CHECK(t < (int)(sizeof(tests) / sizeof(tests[0])),
			      "unknown test %s", argv[i]);
			if (!strcmp(argv[i], "badwr")) {
				setup_bad();
				test_badwr();
				test_post_rules();
				teardown_bad();
				continue;
			}
			tests[t].fn();
		}
	}
	CHECK(ibv_dealloc_pd(pd) == 0, "dealloc PD");
	CHECK(ibv_close_device(ctx) == 0, "close");
	return 0;
}
