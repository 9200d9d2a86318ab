/*
 * Queue pair, shared receive queue and address handle tests for pinrxe,
 * run in the test guest by tests/cases/34-qp.sh: everything about these
 * objects that needs no traffic on the wire.
 *
 * usage: qp_test DEV PEER TEST...
 *        qp_test DEV PEER hold N FILE   create N QPs with WRs outstanding,
 *                touch FILE, wait for IBV_EVENT_DEVICE_FATAL, clean up
 *
 * DEV is the device under test, PEER another pinrxe device whose RoCEv2
 * IPv4 GID serves as the destination of paths and address handles.  Tests:
 *   create   RC/UC/UD QPs with various caps, with and without an SRQ,
 *            ibv_create_qp and ibv_create_qp_ex; the caps they get
 *   bad      caps over the device limits, unsupported types and flags
 *   states   RESET-INIT-RTR-RTS-SQD-RTS-ERR-RESET for RC, UC and UD, with
 *            query_qp checks of every attribute set
 *   invalid  transitions and attributes the IBA or the device refuse,
 *            leaving the QP as it was
 *   post     posting in each state, bad work requests, full queues
 *   flush    outstanding receives and sends complete with
 *            IBV_WC_WR_FLUSH_ERR when the QP enters ERR; RESET discards
 *   events   SQ drained and last WQE reached asynchronous events
 *   srq      SRQ create/query/modify/post, limits, QPs using it
 *   srqtake  WQEs taken by the kernel (tests/kmod/srqtake): the copies,
 *            their validation, the SRQ limit event
 *   ah       address handles
 *   busy     objects in use cannot be destroyed (EBUSY)
 *   hostile  a process that corrupts its rings hurts only itself
 *   many     many QPs at once, QPNs unique and >= 2
 *   inflight with the data path running (loopback RC): ERR mid-transfer
 *            completes every WR exactly once; destroy mid-transfer
 *
 * Every check prints "ok: ..." or "FAIL: ..." and a failure exits 1.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <infiniband/verbs.h>

/* White-box access to the provider's rings, to play a hostile process. */
#include "pinrxe.h"

#include "../common/check.h"
#include "../common/verbs_util.h"
#include "../common/fatal.h"

static struct ibv_context *ctx;
static struct ibv_device_attr dattr;
static struct ibv_port_attr pattr;
static struct ibv_pd *pd;
static struct ibv_cq *cq;
static const char *dev_name;
static int sgid_index = -1;
static union ibv_gid peer_gid;


static const char *qpt_str(enum ibv_qp_type type)
{
	switch (type) {
	case IBV_QPT_RC: return "RC";
	case IBV_QPT_UC: return "UC";
	case IBV_QPT_UD: return "UD";
	default: return "?";
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* QPs */

static struct ibv_qp *create_qp_caps(enum ibv_qp_type type,
				     struct ibv_qp_cap *cap,
				     struct ibv_srq *srq)
{
	struct ibv_qp_init_attr init = {
		.send_cq = cq,
		.recv_cq = cq,
		.srq = srq,
		.cap = *cap,
		.qp_type = type,
	};
	struct ibv_qp *qp = ibv_create_qp(pd, &init);

	CHECK(qp, "ibv_create_qp %s (wr %u/%u sge %u/%u inline %u): %s",
	      qpt_str(type), cap->max_send_wr, cap->max_recv_wr,
	      cap->max_send_sge, cap->max_recv_sge, cap->max_inline_data,
	      strerror(errno));
	*cap = init.cap;
	return qp;
}

static struct ibv_qp *create_qp(enum ibv_qp_type type)
{
	struct ibv_qp_cap cap = {
		.max_send_wr = 16, .max_recv_wr = 16,
		.max_send_sge = 2, .max_recv_sge = 2,
		.max_inline_data = 64,
	};

	return create_qp_caps(type, &cap, NULL);
}

static void destroy_qp(struct ibv_qp *qp)
{
	int ret = ibv_destroy_qp(qp);

	CHECK(ret == 0, "ibv_destroy_qp: %s", strerror(ret));
}

static enum ibv_qp_state query_state(struct ibv_qp *qp)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr a;
	int ret;

	memset(&a, 0xa5, sizeof(a));
	ret = ibv_query_qp(qp, &a, IBV_QP_STATE, &init);
	CHECK(ret == 0, "ibv_query_qp: %s", strerror(ret));
	CHECK(a.cur_qp_state == a.qp_state, "cur_qp_state %d, qp_state %d",
	      a.cur_qp_state, a.qp_state);
	return a.qp_state;
}

static void expect_state(struct ibv_qp *qp, enum ibv_qp_state state,
			 const char *what)
{
	enum ibv_qp_state got = query_state(qp);

	CHECK(got == state, "%s: QP state %d, want %d", what, got, state);
}

static int modify(struct ibv_qp *qp, struct ibv_qp_attr *a, int mask)
{
	return ibv_modify_qp(qp, a, mask);
}

static void must_modify(struct ibv_qp *qp, struct ibv_qp_attr *a, int mask,
			const char *what)
{
	int ret = modify(qp, a, mask);

	CHECK(ret == 0, "%s: ibv_modify_qp: %s", what, strerror(ret));
	if (mask & IBV_QP_STATE)
		expect_state(qp, a->qp_state, what);
}

static void fill_ah(struct ibv_ah_attr *ah)
{
	memset(ah, 0, sizeof(*ah));
	ah->is_global = 1;
	ah->grh.dgid = peer_gid;
	ah->grh.sgid_index = sgid_index;
	ah->grh.hop_limit = 64;
	ah->grh.traffic_class = 0x20;
	ah->grh.flow_label = 0x1234;
	ah->sl = 1;
	ah->port_num = 1;
}

static void to_init(struct ibv_qp *qp)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.pkey_index = 0,
		.port_num = 1,
		.qkey = 0x11111111,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ,
	};
	int mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT;

	mask |= qp->qp_type == IBV_QPT_UD ? IBV_QP_QKEY : IBV_QP_ACCESS_FLAGS;
	must_modify(qp, &a, mask, "to INIT");
}

static void to_rtr(struct ibv_qp *qp, uint32_t dest_qpn)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTR,
		.path_mtu = pattr.active_mtu,
		.dest_qp_num = dest_qpn,
		.rq_psn = 0x123456,
		.max_dest_rd_atomic = 1,
		.min_rnr_timer = 12,
	};
	int mask = IBV_QP_STATE;

	if (qp->qp_type != IBV_QPT_UD) {
		fill_ah(&a.ah_attr);
		mask |= IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			IBV_QP_RQ_PSN;
	}
	if (qp->qp_type == IBV_QPT_RC)
		mask |= IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
	must_modify(qp, &a, mask, "to RTR");
}

static void to_rts(struct ibv_qp *qp)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTS,
		.sq_psn = 0x654321,
		.timeout = 14,
		.retry_cnt = 7,
		.rnr_retry = 6,
		.max_rd_atomic = 1,
	};
	int mask = IBV_QP_STATE | IBV_QP_SQ_PSN;

	if (qp->qp_type == IBV_QPT_RC)
		mask |= IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			IBV_QP_MAX_QP_RD_ATOMIC;
	must_modify(qp, &a, mask, "to RTS");
}

static void to_state(struct ibv_qp *qp, enum ibv_qp_state state)
{
	struct ibv_qp_attr a = { .qp_state = state };

	must_modify(qp, &a, IBV_QP_STATE, "state change");
}

static void connect_qp(struct ibv_qp *qp)
{
	to_init(qp);
	to_rtr(qp, 0x77);
	to_rts(qp);
}

/* Completions */

/* Poll until n completions arrived; fail after a few seconds. */
static void poll_n(struct ibv_cq *c, int n, struct ibv_wc *wc,
		   const char *what)
{
	double end = now() + 10;
	int got = 0, ret;

	while (got < n) {
		ret = ibv_poll_cq(c, n - got, wc + got);
		CHECK(ret >= 0, "%s: ibv_poll_cq: %d", what, ret);
		got += ret;
		if (got < n) {
			CHECK(now() < end, "%s: %d of %d completions", what,
			      got, n);
			usleep(1000);
		}
	}
}

/* Nothing more arrives within a while. */
static void expect_no_more(struct ibv_cq *c, const char *what)
{
	struct ibv_wc wc;
	int i;

	for (i = 0; i < 20; i++) {
		CHECK(ibv_poll_cq(c, 1, &wc) == 0,
		      "%s: unexpected completion wr_id %llu status %d", what,
		      (unsigned long long)wc.wr_id, wc.status);
		usleep(5000);
	}
}

static void check_flushed(struct ibv_wc *wc, int n, uint64_t first_wr_id,
			  uint32_t qpn, enum ibv_wc_opcode opcode,
			  const char *what)
{
	int i;

	for (i = 0; i < n; i++) {
		CHECK(wc[i].wr_id == first_wr_id + i,
		      "%s: completion %d has wr_id %llu, want %llu", what, i,
		      (unsigned long long)wc[i].wr_id,
		      (unsigned long long)(first_wr_id + i));
		CHECK(wc[i].status == IBV_WC_WR_FLUSH_ERR,
		      "%s: wr_id %llu status %s", what,
		      (unsigned long long)wc[i].wr_id,
		      ibv_wc_status_str(wc[i].status));
		CHECK(wc[i].qp_num == qpn, "%s: qp_num %u, want %u", what,
		      wc[i].qp_num, qpn);
		CHECK(wc[i].opcode == opcode, "%s: opcode %d, want %d", what,
		      wc[i].opcode, opcode);
	}
}

/* Asynchronous events */

static int wait_event(enum ibv_event_type type, void *element, int ms)
{
	struct ibv_async_event ev;
	struct pollfd pfd = { .fd = ctx->async_fd, .events = POLLIN };
	double end = now() + ms / 1000.0;

	while (now() < end) {
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		CHECK(ibv_get_async_event(ctx, &ev) == 0,
		      "ibv_get_async_event: %s", strerror(errno));
		ibv_ack_async_event(&ev);
		if (ev.event_type == type &&
		    (ev.element.qp == element || ev.element.srq == element))
			return 1;
		printf("note: event %s\n", ibv_event_type_str(ev.event_type));
	}
	return 0;
}

/* Tests */

static void check_caps(const struct ibv_qp_cap *want,
		       const struct ibv_qp_cap *got, bool srq, const char *what)
{
	CHECK(got->max_send_wr >= want->max_send_wr &&
	      got->max_send_wr <= (uint32_t)dattr.max_qp_wr,
	      "%s: max_send_wr %u for %u (device %d)", what, got->max_send_wr,
	      want->max_send_wr, dattr.max_qp_wr);
	CHECK(got->max_send_sge >= want->max_send_sge &&
	      got->max_send_sge <= (uint32_t)dattr.max_sge,
	      "%s: max_send_sge %u for %u", what, got->max_send_sge,
	      want->max_send_sge);
	CHECK(got->max_inline_data >= want->max_inline_data,
	      "%s: max_inline_data %u for %u", what, got->max_inline_data,
	      want->max_inline_data);
	if (srq)
		return;
	CHECK(got->max_recv_wr >= want->max_recv_wr &&
	      got->max_recv_wr <= (uint32_t)dattr.max_qp_wr,
	      "%s: max_recv_wr %u for %u", what, got->max_recv_wr,
	      want->max_recv_wr);
	CHECK(got->max_recv_sge >= want->max_recv_sge &&
	      got->max_recv_sge <= (uint32_t)dattr.max_sge,
	      "%s: max_recv_sge %u for %u", what, got->max_recv_sge,
	      want->max_recv_sge);
}

static void test_create(void)
{
	static const enum ibv_qp_type types[] = {
		IBV_QPT_RC, IBV_QPT_UC, IBV_QPT_UD
	};
	struct ibv_qp_cap caps[] = {
		{ 1, 1, 1, 1, 0 },
		{ 0, 0, 0, 0, 0 },
		{ 100, 3, 5, 7, 33 },
		{ 1000, 1000, 16, 16, 256 },
		{ dattr.max_qp_wr, dattr.max_qp_wr, dattr.max_sge,
		  dattr.max_sge, 512 },
	};
	struct ibv_srq_init_attr sattr = { .attr = { .max_wr = 8,
						     .max_sge = 1 } };
	struct ibv_srq *srq;
	unsigned int t, c;

	CHECK(dattr.max_qp > 0 && dattr.max_qp_wr > 0 && dattr.max_sge > 0 &&
	      dattr.max_srq > 0 && dattr.max_srq_wr > 0 && dattr.max_ah > 0,
	      "device reports max_qp %d max_qp_wr %d max_sge %d max_srq %d "
	      "max_srq_wr %d max_ah %d", dattr.max_qp, dattr.max_qp_wr,
	      dattr.max_sge, dattr.max_srq, dattr.max_srq_wr, dattr.max_ah);
	ok("device limits: max_qp %d max_qp_wr %d max_sge %d max_sge_rd %d "
	   "max_srq %d max_srq_wr %d max_srq_sge %d max_ah %d",
	   dattr.max_qp, dattr.max_qp_wr, dattr.max_sge, dattr.max_sge_rd,
	   dattr.max_srq, dattr.max_srq_wr, dattr.max_srq_sge, dattr.max_ah);

	srq = ibv_create_srq(pd, &sattr);
	CHECK(srq, "ibv_create_srq: %s", strerror(errno));
	for (t = 0; t < 3; t++) {
		for (c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
			struct ibv_qp_cap got = caps[c];
			struct ibv_qp_init_attr init;
			struct ibv_qp_attr a;
			struct ibv_qp *qp;
			char what[64];
			int s;

			for (s = 0; s < 2; s++) {
				snprintf(what, sizeof(what), "%s caps #%u%s",
					 qpt_str(types[t]), c,
					 s ? " with SRQ" : "");
				got = caps[c];
				qp = create_qp_caps(types[t], &got,
						    s ? srq : NULL);
				check_caps(&caps[c], &got, s, what);
				CHECK(qp->qp_num >= 2 && qp->qp_num <= 0xffffff,
				      "%s: QPN %u", what, qp->qp_num);
				CHECK(ibv_query_qp(qp, &a, IBV_QP_CAP, &init) == 0,
				      "%s: query", what);
				CHECK(!memcmp(&init.cap, &got, sizeof(got)) &&
				      !memcmp(&a.cap, &got, sizeof(got)),
				      "%s: query_qp caps differ from create's",
				      what);
				CHECK(init.qp_type == types[t] &&
				      init.srq == (s ? srq : NULL) &&
				      init.send_cq == cq && init.recv_cq == cq,
				      "%s: query_qp init attributes", what);
				CHECK(a.qp_state == IBV_QPS_RESET,
				      "%s: new QP in state %d", what,
				      a.qp_state);
				destroy_qp(qp);
			}
		}
		ok("%s QPs with %zu sets of caps, with and without SRQ",
		   qpt_str(types[t]), sizeof(caps) / sizeof(caps[0]));
	}

	/* The extended verb, with the ibv_wr_*() API asked for. */
	for (t = 0; t < 3; t++) {
		struct ibv_qp_init_attr_ex ex = {
			.send_cq = cq, .recv_cq = cq,
			.cap = { 8, 8, 1, 1, 16 },
			.qp_type = types[t],
			.sq_sig_all = 1,
			.comp_mask = IBV_QP_INIT_ATTR_PD |
				     IBV_QP_INIT_ATTR_SEND_OPS_FLAGS,
			.pd = pd,
			.send_ops_flags = IBV_QP_EX_WITH_SEND |
					  IBV_QP_EX_WITH_SEND_WITH_IMM,
		};
		struct ibv_qp_init_attr init;
		struct ibv_qp_attr a;
		struct ibv_qp *qp = ibv_create_qp_ex(ctx, &ex);

		CHECK(qp, "ibv_create_qp_ex %s: %s", qpt_str(types[t]),
		      strerror(errno));
		CHECK(ibv_qp_to_qp_ex(qp), "ibv_qp_to_qp_ex returned NULL");
		CHECK(ibv_query_qp(qp, &a, IBV_QP_CAP, &init) == 0 &&
		      init.sq_sig_all == 1, "sq_sig_all not kept");
		destroy_qp(qp);
	}
	ok("ibv_create_qp_ex with send ops flags, sq_sig_all kept");
	CHECK(ibv_destroy_srq(srq) == 0, "ibv_destroy_srq");
}

static void expect_create_fails(enum ibv_qp_type type, struct ibv_qp_cap cap,
				int err, const char *what)
{
	struct ibv_qp_init_attr init = {
		.send_cq = cq, .recv_cq = cq, .cap = cap, .qp_type = type,
	};
	struct ibv_qp *qp;

	errno = 0;
	qp = ibv_create_qp(pd, &init);
	CHECK(!qp, "%s: ibv_create_qp succeeded", what);
	CHECK(errno == err, "%s: errno %d (%s), want %s", what, errno,
	      strerror(errno), strerror(err));
	ok("%s fails with %s", what, strerror(err));
}

static void test_bad(void)
{
	struct ibv_qp_cap base = { 4, 4, 1, 1, 0 }, c;
	struct ibv_qp_init_attr_ex ex;
	struct ibv_qp *qp;
	int t;

	for (t = 0; t < 3; t++) {
		enum ibv_qp_type type = t == 0 ? IBV_QPT_RC :
					t == 1 ? IBV_QPT_UC : IBV_QPT_UD;
		char what[80];

		c = base;
		c.max_send_wr = dattr.max_qp_wr + 1;
		snprintf(what, sizeof(what), "%s max_send_wr over max_qp_wr",
			 qpt_str(type));
		expect_create_fails(type, c, EINVAL, what);
		c = base;
		c.max_recv_wr = dattr.max_qp_wr + 1;
		snprintf(what, sizeof(what), "%s max_recv_wr over max_qp_wr",
			 qpt_str(type));
		expect_create_fails(type, c, EINVAL, what);
		c = base;
		c.max_send_sge = dattr.max_sge + 1;
		snprintf(what, sizeof(what), "%s max_send_sge over max_sge",
			 qpt_str(type));
		expect_create_fails(type, c, EINVAL, what);
		c = base;
		c.max_recv_sge = dattr.max_sge + 1;
		snprintf(what, sizeof(what), "%s max_recv_sge over max_sge",
			 qpt_str(type));
		expect_create_fails(type, c, EINVAL, what);
		c = base;
		c.max_inline_data = 513;
		snprintf(what, sizeof(what), "%s max_inline_data over 512",
			 qpt_str(type));
		expect_create_fails(type, c, EINVAL, what);
		c = base;
		c.max_send_wr = 0xffffffff;
		snprintf(what, sizeof(what), "%s max_send_wr 2^32-1",
			 qpt_str(type));
		expect_create_fails(type, c, EINVAL, what);
	}
	expect_create_fails(IBV_QPT_RAW_PACKET, base, EOPNOTSUPP,
			    "raw packet QP");

	memset(&ex, 0, sizeof(ex));
	ex.send_cq = cq;
	ex.recv_cq = cq;
	ex.cap = base;
	ex.qp_type = IBV_QPT_UD;
	ex.pd = pd;
	ex.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_CREATE_FLAGS;
	ex.create_flags = IBV_QP_CREATE_BLOCK_SELF_MCAST_LB;
	errno = 0;
	qp = ibv_create_qp_ex(ctx, &ex);
	CHECK(!qp && errno == EOPNOTSUPP, "creation flag: %p errno %s",
	      (void *)qp, strerror(errno));
	ok("a creation flag fails with %s", strerror(EOPNOTSUPP));

	ex.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
	ex.create_flags = 0;
	ex.send_ops_flags = IBV_QP_EX_WITH_TSO;
	errno = 0;
	qp = ibv_create_qp_ex(ctx, &ex);
	CHECK(!qp && errno == EOPNOTSUPP, "TSO send op: %p errno %s",
	      (void *)qp, strerror(errno));
	ok("an unsupported send op fails with %s", strerror(EOPNOTSUPP));
}

static void query_all(struct ibv_qp *qp, struct ibv_qp_attr *a)
{
	struct ibv_qp_init_attr init;
	int ret;

	memset(a, 0, sizeof(*a));
	ret = ibv_query_qp(qp, a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			   IBV_QP_PORT | IBV_QP_QKEY | IBV_QP_ACCESS_FLAGS |
			   IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			   IBV_QP_RQ_PSN | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT |
			   IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			   IBV_QP_MAX_QP_RD_ATOMIC |
			   IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER,
			   &init);
	CHECK(ret == 0, "ibv_query_qp: %s", strerror(ret));
}

static void check_connected_attrs(struct ibv_qp *qp)
{
	struct ibv_qp_attr a;

	query_all(qp, &a);
	CHECK(a.pkey_index == 0 && a.port_num == 1, "pkey_index %u port %u",
	      a.pkey_index, a.port_num);
	if (qp->qp_type == IBV_QPT_UD) {
		CHECK(a.qkey == 0x11111111, "qkey %#x", a.qkey);
		CHECK(a.sq_psn == 0x654321, "sq_psn %#x", a.sq_psn);
		return;
	}
	CHECK(a.qp_access_flags == (IBV_ACCESS_REMOTE_WRITE |
				    IBV_ACCESS_REMOTE_READ),
	      "access flags %#x", a.qp_access_flags);
	CHECK(a.path_mtu == pattr.active_mtu, "path_mtu %d, want %d",
	      a.path_mtu, pattr.active_mtu);
	CHECK(a.dest_qp_num == 0x77, "dest_qp_num %#x", a.dest_qp_num);
	CHECK(a.rq_psn == 0x123456 && a.sq_psn == 0x654321,
	      "rq_psn %#x sq_psn %#x", a.rq_psn, a.sq_psn);
	CHECK(a.ah_attr.is_global && a.ah_attr.port_num == 1 &&
	      a.ah_attr.sl == 1 &&
	      !memcmp(&a.ah_attr.grh.dgid, &peer_gid, sizeof(peer_gid)) &&
	      a.ah_attr.grh.sgid_index == sgid_index &&
	      a.ah_attr.grh.hop_limit == 64 &&
	      a.ah_attr.grh.traffic_class == 0x20 &&
	      a.ah_attr.grh.flow_label == 0x1234,
	      "path: global %d port %d sl %d sgid_index %d hop %d tc %#x "
	      "fl %#x", a.ah_attr.is_global, a.ah_attr.port_num,
	      a.ah_attr.sl, a.ah_attr.grh.sgid_index,
	      a.ah_attr.grh.hop_limit, a.ah_attr.grh.traffic_class,
	      a.ah_attr.grh.flow_label);
	if (qp->qp_type != IBV_QPT_RC)
		return;
	CHECK(a.timeout == 14 && a.retry_cnt == 7 && a.rnr_retry == 6 &&
	      a.min_rnr_timer == 12 && a.max_rd_atomic == 1 &&
	      a.max_dest_rd_atomic == 1,
	      "timeout %d retry %d rnr_retry %d min_rnr_timer %d "
	      "rd_atomic %d/%d", a.timeout, a.retry_cnt, a.rnr_retry,
	      a.min_rnr_timer, a.max_rd_atomic, a.max_dest_rd_atomic);
}

static void test_states(void)
{
	static const enum ibv_qp_type types[] = {
		IBV_QPT_RC, IBV_QPT_UC, IBV_QPT_UD
	};
	unsigned int t;
	int round;

	for (t = 0; t < 3; t++) {
		struct ibv_qp *qp = create_qp(types[t]);
		struct ibv_qp_attr a;

		/* Twice: a QP comes back from RESET as good as new. */
		for (round = 0; round < 2; round++) {
			expect_state(qp, IBV_QPS_RESET, "new");
			to_init(qp);
			to_state(qp, IBV_QPS_INIT);	/* INIT to INIT */
			to_rtr(qp, 0x77);
			to_rts(qp);
			check_connected_attrs(qp);
			to_state(qp, IBV_QPS_SQD);
			query_all(qp, &a);
			CHECK(!a.sq_draining, "SQD with nothing in flight "
			      "still draining");
			to_state(qp, IBV_QPS_RTS);
			check_connected_attrs(qp);
			to_state(qp, IBV_QPS_ERR);
			to_state(qp, IBV_QPS_ERR);	/* ERR to ERR */
			to_state(qp, IBV_QPS_RESET);
		}
		/* Straight from RTR and INIT to RESET and ERR, too. */
		to_init(qp);
		to_state(qp, IBV_QPS_ERR);
		to_state(qp, IBV_QPS_RESET);
		to_init(qp);
		to_rtr(qp, 0x77);
		to_state(qp, IBV_QPS_RESET);
		destroy_qp(qp);
		ok("%s: RESET-INIT-RTR-RTS-SQD-RTS-ERR-RESET twice, attributes "
		   "read back", qpt_str(types[t]));
	}
}

static void expect_modify_err(struct ibv_qp *qp, struct ibv_qp_attr *a,
			      int mask, int err, const char *what)
{
	enum ibv_qp_state before = query_state(qp);
	int ret = modify(qp, a, mask);

	CHECK(ret == err, "%s: ibv_modify_qp returned %d (%s), want %s",
	      what, ret, strerror(ret), strerror(err));
	expect_state(qp, before, what);
	ok("%s: %s, QP still in state %d", what, strerror(err), before);
}

static void expect_modify_fails(struct ibv_qp *qp, struct ibv_qp_attr *a,
				int mask, const char *what)
{
	expect_modify_err(qp, a, mask, EINVAL, what);
}

static void test_invalid(void)
{
	struct ibv_qp *qp = create_qp(IBV_QPT_RC);
	struct ibv_qp *ud = create_qp(IBV_QPT_UD);
	struct ibv_qp_attr a, base;
	int rtr_mask = IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
		       IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
		       IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
	int rts_mask = IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT |
		       IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
		       IBV_QP_MAX_QP_RD_ATOMIC;

	a = (struct ibv_qp_attr){ .qp_state = IBV_QPS_RTR };
	expect_modify_fails(qp, &a, IBV_QP_STATE, "RESET to RTR");
	a.qp_state = IBV_QPS_RTS;
	expect_modify_fails(qp, &a, IBV_QP_STATE, "RESET to RTS");
	a.qp_state = IBV_QPS_SQD;
	expect_modify_fails(qp, &a, IBV_QP_STATE, "RESET to SQD");
	a = (struct ibv_qp_attr){ .qp_state = IBV_QPS_INIT, .port_num = 1 };
	expect_modify_fails(qp, &a, IBV_QP_STATE | IBV_QP_PORT,
			    "RC RESET to INIT without P_Key index and access");
	a = (struct ibv_qp_attr){ .qp_state = IBV_QPS_INIT, .port_num = 1,
				  .qkey = 1 };
	expect_modify_fails(qp, &a, IBV_QP_STATE | IBV_QP_PORT |
			    IBV_QP_PKEY_INDEX | IBV_QP_ACCESS_FLAGS |
			    IBV_QP_QKEY, "RC RESET to INIT with a Q_Key");
	a = (struct ibv_qp_attr){ .qp_state = IBV_QPS_INIT, .pkey_index = 1,
				  .port_num = 1 };
	expect_modify_fails(qp, &a, IBV_QP_STATE | IBV_QP_PORT |
			    IBV_QP_PKEY_INDEX | IBV_QP_ACCESS_FLAGS,
			    "P_Key index 1 (the table has one entry)");
	a.pkey_index = 0;
	a.qp_access_flags = IBV_ACCESS_MW_BIND << 1;
	expect_modify_fails(qp, &a, IBV_QP_STATE | IBV_QP_PORT |
			    IBV_QP_PKEY_INDEX | IBV_QP_ACCESS_FLAGS,
			    "unknown access flag");
	to_init(qp);
	a = (struct ibv_qp_attr){ .qp_state = IBV_QPS_RTS };
	expect_modify_fails(qp, &a, IBV_QP_STATE, "INIT to RTS");
	a = (struct ibv_qp_attr){ .qp_state = IBV_QPS_INIT };
	a.cur_qp_state = IBV_QPS_RTS;
	expect_modify_fails(qp, &a, IBV_QP_STATE | IBV_QP_CUR_STATE,
			    "current state given wrong");

	base = (struct ibv_qp_attr){
		.qp_state = IBV_QPS_RTR, .path_mtu = pattr.active_mtu,
		.dest_qp_num = 0x77, .rq_psn = 1, .max_dest_rd_atomic = 1,
		.min_rnr_timer = 12,
	};
	fill_ah(&base.ah_attr);
	a = base;
	expect_modify_fails(qp, &a, rtr_mask & ~IBV_QP_AV,
			    "INIT to RTR without a path");
	a = base;
	expect_modify_fails(qp, &a, rtr_mask | IBV_QP_SQ_PSN,
			    "INIT to RTR with an SQ PSN");
	a = base;
	a.ah_attr.is_global = 0;
	expect_modify_fails(qp, &a, rtr_mask, "a path without GRH");
	a = base;
	a.ah_attr.grh.sgid_index = 200;
	/* ib_core finds no GID there before the driver is asked. */
	expect_modify_err(qp, &a, rtr_mask, ENODATA,
			  "an unused source GID index");
	a = base;
	a.path_mtu = IBV_MTU_4096;
	if (pattr.active_mtu < IBV_MTU_4096)
		expect_modify_fails(qp, &a, rtr_mask,
				    "a path MTU over the port's");
	a = base;
	a.path_mtu = 0;
	expect_modify_fails(qp, &a, rtr_mask, "path MTU 0");
	a = base;
	a.max_dest_rd_atomic = dattr.max_qp_rd_atom + 1;
	expect_modify_fails(qp, &a, rtr_mask,
			    "max_dest_rd_atomic over max_qp_rd_atom");
	a = base;
	a.min_rnr_timer = 32;
	expect_modify_fails(qp, &a, rtr_mask, "min_rnr_timer 32");
	a = base;
	a.dest_qp_num = 0x1000000;
	expect_modify_fails(qp, &a, rtr_mask, "a 25-bit destination QPN");
	a = base;
	a.alt_ah_attr = a.ah_attr;
	a.alt_port_num = 1;
	a.alt_timeout = 14;
	expect_modify_fails(qp, &a, rtr_mask | IBV_QP_ALT_PATH,
			    "an alternate path (no APM on RoCE)");

	to_rtr(qp, 0x77);
	base = (struct ibv_qp_attr){
		.qp_state = IBV_QPS_RTS, .sq_psn = 1, .timeout = 14,
		.retry_cnt = 7, .rnr_retry = 7, .max_rd_atomic = 1,
	};
	a = base;
	a.timeout = 32;
	expect_modify_fails(qp, &a, rts_mask, "timeout 32");
	a = base;
	a.retry_cnt = 8;
	expect_modify_fails(qp, &a, rts_mask, "retry_cnt 8");
	a = base;
	a.rnr_retry = 8;
	expect_modify_fails(qp, &a, rts_mask, "rnr_retry 8");
	a = base;
	a.max_rd_atomic = dattr.max_qp_init_rd_atom + 1;
	expect_modify_fails(qp, &a, rts_mask,
			    "max_rd_atomic over max_qp_init_rd_atom");
	a = base;
	expect_modify_fails(qp, &a, rts_mask & ~IBV_QP_TIMEOUT,
			    "RC RTR to RTS without timeout");
	a = base;
	a.qp_state = IBV_QPS_SQD;
	expect_modify_fails(qp, &a, IBV_QP_STATE, "RTR to SQD");
	to_rts(qp);
	a = (struct ibv_qp_attr){ .qp_state = IBV_QPS_RTR };
	expect_modify_fails(qp, &a, IBV_QP_STATE, "RTS to RTR");
	a = (struct ibv_qp_attr){ .qp_state = IBV_QPS_INIT };
	expect_modify_fails(qp, &a, IBV_QP_STATE, "RTS to INIT");
	to_state(qp, IBV_QPS_ERR);
	a = (struct ibv_qp_attr){ .qp_state = IBV_QPS_RTS };
	expect_modify_fails(qp, &a, IBV_QP_STATE, "ERR to RTS");
	a = (struct ibv_qp_attr){ .qp_state = IBV_QPS_INIT };
	expect_modify_fails(qp, &a, IBV_QP_STATE, "ERR to INIT");
	destroy_qp(qp);

	a = (struct ibv_qp_attr){ .qp_state = IBV_QPS_INIT, .port_num = 1,
				  .qkey = 1 };
	expect_modify_fails(ud, &a, IBV_QP_STATE | IBV_QP_PORT |
			    IBV_QP_PKEY_INDEX, "UD RESET to INIT without Q_Key");
	a.qp_access_flags = IBV_ACCESS_REMOTE_WRITE;
	expect_modify_fails(ud, &a, IBV_QP_STATE | IBV_QP_PORT |
			    IBV_QP_PKEY_INDEX | IBV_QP_QKEY |
			    IBV_QP_ACCESS_FLAGS, "UD with access flags");
	to_init(ud);
	a = (struct ibv_qp_attr){ .qp_state = IBV_QPS_RTR,
				  .path_mtu = IBV_MTU_1024 };
	expect_modify_fails(ud, &a, IBV_QP_STATE | IBV_QP_PATH_MTU,
			    "UD with a path MTU");
	destroy_qp(ud);
}

static int post_send1(struct ibv_qp *qp, uint64_t wr_id, unsigned int flags,
		      struct ibv_ah *ah)
{
	static char buf[64];
	struct ibv_sge sge = {
		.addr = (uintptr_t)buf, .length = 8, .lkey = 0,
	};
	struct ibv_send_wr wr = {
		.wr_id = wr_id, .sg_list = &sge, .num_sge = 1,
		.opcode = IBV_WR_SEND, .send_flags = flags,
	}, *bad = NULL;
	int ret;

	if (qp->qp_type == IBV_QPT_UD) {
		wr.wr.ud.ah = ah;
		wr.wr.ud.remote_qpn = 0x77;
		wr.wr.ud.remote_qkey = 0x11111111;
	}
	ret = ibv_post_send(qp, &wr, &bad);
	CHECK(ret ? bad == &wr : !bad, "%s: bad_wr %p for ret %d", __func__, (void *)bad,
	      ret);
	return ret;
}

static int post_recv1(struct ibv_qp *qp, uint64_t wr_id)
{
	static char buf[64];
	struct ibv_sge sge = {
		.addr = (uintptr_t)buf, .length = sizeof(buf), .lkey = 0,
	};
	struct ibv_recv_wr wr = {
		.wr_id = wr_id, .sg_list = &sge, .num_sge = 1,
	}, *bad = NULL;
	int ret = ibv_post_recv(qp, &wr, &bad);

	CHECK(ret ? bad == &wr : !bad, "%s: bad_wr %p for ret %d", __func__, (void *)bad,
	      ret);
	return ret;
}

static struct ibv_ah *create_ah(void)
{
	struct ibv_ah_attr attr;
	struct ibv_ah *ah;

	fill_ah(&attr);
	ah = ibv_create_ah(pd, &attr);
	CHECK(ah, "ibv_create_ah: %s", strerror(errno));
	return ah;
}

/* Expect ibv_post_send() to refuse a WR list at the WR numbered bad. */
static void expect_send_fails(struct ibv_qp *qp, struct ibv_send_wr *wrs,
			      int bad_index, int err, const char *what)
{
	struct ibv_send_wr *bad = NULL;
	int ret = ibv_post_send(qp, wrs, &bad);

	CHECK(ret == err, "%s: ibv_post_send returned %d (%s), want %s", what,
	      ret, strerror(ret), strerror(err));
	CHECK(bad == &wrs[bad_index], "%s: bad_wr is WR %ld, want %d", what,
	      bad ? (long)(bad - wrs) : -1L, bad_index);
	ok("%s: %s, bad_wr right", what, strerror(err));
}

static void test_post(void)
{
	static const enum ibv_qp_type types[] = {
		IBV_QPT_RC, IBV_QPT_UC, IBV_QPT_UD
	};
	struct ibv_ah *ah = create_ah();
	struct ibv_wc wc[64];
	char buf[1024];
	unsigned int t;

	for (t = 0; t < 3; t++) {
		struct ibv_qp_cap cap = { 8, 8, 2, 2, 64 };
		struct ibv_qp *qp = create_qp_caps(types[t], &cap, NULL);
		struct ibv_sge sges[40];
		struct ibv_send_wr wrs[3];
		struct ibv_recv_wr rwr, *rbad;
		uint32_t i, n;
		int ret;

		/* The state rules. */
		CHECK(post_send1(qp, 1, IBV_SEND_SIGNALED, ah) == EINVAL,
		      "send in RESET not refused");
		CHECK(post_recv1(qp, 1) == EINVAL,
		      "receive in RESET not refused");
		to_init(qp);
		CHECK(post_send1(qp, 1, IBV_SEND_SIGNALED, ah) == EINVAL,
		      "send in INIT not refused");
		CHECK(post_recv1(qp, 1) == 0, "receive in INIT refused");
		to_rtr(qp, 0x77);
		CHECK(post_send1(qp, 1, IBV_SEND_SIGNALED, ah) == EINVAL,
		      "send in RTR not refused");
		CHECK(post_recv1(qp, 2) == 0, "receive in RTR refused");
		to_rts(qp);
		/* SQD keeps what is posted in the ring: nothing is sent. */
		to_state(qp, IBV_QPS_SQD);
		ok("%s: sends refused in RESET, INIT, RTR; receives from INIT",
		   qpt_str(types[t]));

		/* Bad WRs; the good ones before them are posted. */
		memset(sges, 0, sizeof(sges));
		for (i = 0; i < 40; i++) {
			sges[i].addr = (uintptr_t)buf;
			sges[i].length = 16;
		}
		memset(wrs, 0, sizeof(wrs));
		for (i = 0; i < 3; i++) {
			wrs[i].wr_id = 100 + i;
			wrs[i].sg_list = sges;
			wrs[i].num_sge = 1;
			wrs[i].opcode = IBV_WR_SEND;
			wrs[i].next = i < 2 ? &wrs[i + 1] : NULL;
			wrs[i].wr.ud.ah = ah;
		}
		wrs[1].num_sge = cap.max_send_sge + 1;
		expect_send_fails(qp, wrs, 1, EINVAL, "too many SGEs");
		wrs[0].next = NULL;	/* WR 0 is posted; keep count */
		wrs[1].num_sge = 1;
		wrs[1].send_flags = IBV_SEND_INLINE;
		wrs[1].num_sge = 40;	/* 640 bytes, over max_inline */
		expect_send_fails(qp, &wrs[1], 0, EINVAL, "inline too long");
		wrs[1].num_sge = 1;
		wrs[1].send_flags = IBV_SEND_IP_CSUM;
		expect_send_fails(qp, &wrs[1], 0, EINVAL, "unknown send flag");
		wrs[1].send_flags = 0;
		wrs[1].opcode = types[t] == IBV_QPT_UD ? IBV_WR_RDMA_WRITE :
				types[t] == IBV_QPT_UC ? IBV_WR_RDMA_READ :
				IBV_WR_TSO;
		expect_send_fails(qp, &wrs[1], 0, EINVAL,
				  "opcode the QP type lacks");
		if (types[t] == IBV_QPT_RC) {
			wrs[1].opcode = IBV_WR_ATOMIC_FETCH_AND_ADD;
			wrs[1].wr.atomic.remote_addr = 0x1000;
			sges[0].length = 4;
			expect_send_fails(qp, &wrs[1], 0, EINVAL,
					  "atomic into 4 bytes");
			sges[0].length = 8;
			wrs[1].wr.atomic.remote_addr = 0x1004;
			expect_send_fails(qp, &wrs[1], 0, EINVAL,
					  "atomic at an unaligned address");
			sges[0].length = 16;
		}
		if (types[t] == IBV_QPT_UD) {
			wrs[1].opcode = IBV_WR_SEND;
			wrs[1].wr.ud.ah = NULL;
			expect_send_fails(qp, &wrs[1], 0, EINVAL,
					  "UD send without an AH");
		}

		/* Fill the send queue: exactly max_send_wr, then ENOMEM. */
		for (n = 1; n < cap.max_send_wr; n++)
			CHECK(post_send1(qp, 100 + n, 0, ah) == 0,
			      "send %u of %u: %s", n + 1, cap.max_send_wr,
			      strerror(errno));
		ret = post_send1(qp, 999, 0, ah);
		CHECK(ret == ENOMEM, "send past max_send_wr %u: %d (%s)",
		      cap.max_send_wr, ret, strerror(ret));
		ok("%s: send queue full at max_send_wr %u: ENOMEM",
		   qpt_str(types[t]), cap.max_send_wr);

		/* Receives: the bad one, then fill. */
		rwr = (struct ibv_recv_wr){ .wr_id = 50, .sg_list = sges,
					    .num_sge = cap.max_recv_sge + 1 };
		rbad = NULL;
		CHECK(ibv_post_recv(qp, &rwr, &rbad) == EINVAL && rbad == &rwr,
		      "receive with too many SGEs not refused");
		for (n = 2; n < cap.max_recv_wr; n++)
			CHECK(post_recv1(qp, n + 1) == 0, "receive %u: %s",
			      n + 1, strerror(errno));
		ret = post_recv1(qp, 999);
		CHECK(ret == ENOMEM, "receive past max_recv_wr %u: %d",
		      cap.max_recv_wr, ret);
		ok("%s: receive queue full at max_recv_wr %u: ENOMEM",
		   qpt_str(types[t]), cap.max_recv_wr);

		/*
		 * ERR flushes all of them, unsignaled sends too, each queue
		 * in order (one CQ: the two queues interleave).
		 */
		to_state(qp, IBV_QPS_ERR);
		n = cap.max_recv_wr + cap.max_send_wr;
		poll_n(cq, n, wc, "flush");
		{
			struct ibv_wc rwc[64], swc[64];
			uint32_t nr = 0, ns = 0;

			for (i = 0; i < n; i++) {
				if (wc[i].opcode == IBV_WC_RECV)
					rwc[nr++] = wc[i];
				else
					swc[ns++] = wc[i];
			}
			CHECK(nr == cap.max_recv_wr && ns == cap.max_send_wr,
			      "%u receive and %u send completions", nr, ns);
			check_flushed(rwc, nr, 1, qp->qp_num, IBV_WC_RECV,
				      "receive flush");
			check_flushed(swc, ns, 100, qp->qp_num, IBV_WC_SEND,
				      "send flush");
		}
		expect_no_more(cq, "after the flush");
		ok("%s: %u receives and %u sends (unsignaled) flushed in order",
		   qpt_str(types[t]), cap.max_recv_wr, cap.max_send_wr);
		destroy_qp(qp);
	}
	CHECK(ibv_destroy_ah(ah) == 0, "ibv_destroy_ah");
}

static void test_flush(void)
{
	struct ibv_ah *ah = create_ah();
	struct ibv_wc wc[16];
	int t;

	for (t = 0; t < 3; t++) {
		enum ibv_qp_type type = t == 0 ? IBV_QPT_RC :
					t == 1 ? IBV_QPT_UC : IBV_QPT_UD;
		struct ibv_qp *qp = create_qp(type);
		int i;

		/* Receives posted in INIT. */
		to_init(qp);
		for (i = 0; i < 5; i++)
			CHECK(post_recv1(qp, 10 + i) == 0, "recv");
		to_state(qp, IBV_QPS_ERR);
		poll_n(cq, 5, wc, "receives posted before ERR");
		check_flushed(wc, 5, 10, qp->qp_num, IBV_WC_RECV,
			      "receives posted before ERR");
		/* Posted in ERR: flushed too. */
		for (i = 0; i < 3; i++)
			CHECK(post_recv1(qp, 20 + i) == 0, "recv in ERR");
		poll_n(cq, 3, wc, "receives posted in ERR");
		check_flushed(wc, 3, 20, qp->qp_num, IBV_WC_RECV,
			      "receives posted in ERR");
		for (i = 0; i < 3; i++)
			CHECK(post_send1(qp, 30 + i, i == 1 ?
					 IBV_SEND_SIGNALED : 0, ah) == 0,
			      "send in ERR");
		poll_n(cq, 3, wc, "sends posted in ERR");
		check_flushed(wc, 3, 30, qp->qp_num, IBV_WC_SEND,
			      "sends posted in ERR");
		expect_no_more(cq, "ERR");
		ok("%s: receives posted before and in ERR, sends posted in ERR "
		   "flushed", qpt_str(type));

		/* RESET discards without completions; the QP is reusable. */
		to_state(qp, IBV_QPS_RESET);
		to_init(qp);
		for (i = 0; i < 4; i++)
			CHECK(post_recv1(qp, 40 + i) == 0, "recv");
		to_rtr(qp, 0x77);
		to_rts(qp);
		to_state(qp, IBV_QPS_SQD);
		for (i = 0; i < 4; i++)
			CHECK(post_send1(qp, 50 + i, 0, ah) == 0, "send");
		to_state(qp, IBV_QPS_RESET);
		expect_no_more(cq, "RESET");
		to_init(qp);
		CHECK(post_recv1(qp, 60) == 0, "recv after RESET");
		to_state(qp, IBV_QPS_ERR);
		poll_n(cq, 1, wc, "after RESET");
		check_flushed(wc, 1, 60, qp->qp_num, IBV_WC_RECV,
			      "only the receive posted after RESET");
		expect_no_more(cq, "after RESET");
		ok("%s: RESET discards outstanding WRs without completions",
		   qpt_str(type));

		/* Sends held in SQD, then ERR. */
		to_state(qp, IBV_QPS_RESET);
		connect_qp(qp);
		to_state(qp, IBV_QPS_SQD);
		for (i = 0; i < 6; i++)
			CHECK(post_send1(qp, 70 + i, i % 2 ?
					 IBV_SEND_SIGNALED : 0, ah) == 0,
			      "send in SQD");
		to_state(qp, IBV_QPS_ERR);
		poll_n(cq, 6, wc, "sends held in SQD");
		check_flushed(wc, 6, 70, qp->qp_num, IBV_WC_SEND,
			      "sends held in SQD");
		expect_no_more(cq, "SQD flush");
		ok("%s: sends held in SQD flushed on ERR", qpt_str(type));
		destroy_qp(qp);
	}
	CHECK(ibv_destroy_ah(ah) == 0, "ibv_destroy_ah");
}

static void test_events(void)
{
	struct ibv_srq_init_attr sattr = { .attr = { .max_wr = 8,
						     .max_sge = 1 } };
	struct ibv_qp_init_attr init = {
		.send_cq = cq, .recv_cq = cq,
		.cap = { 4, 0, 1, 0, 0 }, .qp_type = IBV_QPT_RC,
	};
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_SQD,
				 .en_sqd_async_notify = 1 };
	struct ibv_qp *qp;
	struct ibv_srq *srq;

	qp = create_qp(IBV_QPT_RC);
	connect_qp(qp);
	must_modify(qp, &a, IBV_QP_STATE | IBV_QP_EN_SQD_ASYNC_NOTIFY,
		    "to SQD with notification");
	CHECK(wait_event(IBV_EVENT_SQ_DRAINED, qp, 5000),
	      "no IBV_EVENT_SQ_DRAINED");
	ok("RTS to SQD with nothing in flight: IBV_EVENT_SQ_DRAINED");
	to_state(qp, IBV_QPS_RTS);
	to_state(qp, IBV_QPS_SQD);
	CHECK(!wait_event(IBV_EVENT_SQ_DRAINED, qp, 300),
	      "IBV_EVENT_SQ_DRAINED without notification asked for");
	ok("no IBV_EVENT_SQ_DRAINED unless asked for");
	destroy_qp(qp);

	srq = ibv_create_srq(pd, &sattr);
	CHECK(srq, "ibv_create_srq: %s", strerror(errno));
	init.srq = srq;
	qp = ibv_create_qp(pd, &init);
	CHECK(qp, "QP with SRQ: %s", strerror(errno));
	to_init(qp);
	to_state(qp, IBV_QPS_ERR);
	CHECK(wait_event(IBV_EVENT_QP_LAST_WQE_REACHED, qp, 5000),
	      "no IBV_EVENT_QP_LAST_WQE_REACHED");
	expect_no_more(cq, "SRQ QP in ERR");
	ok("QP with an SRQ to ERR: IBV_EVENT_QP_LAST_WQE_REACHED");
	destroy_qp(qp);
	CHECK(ibv_destroy_srq(srq) == 0, "ibv_destroy_srq");
}

static int post_srq1(struct ibv_srq *srq, uint64_t wr_id, int num_sge)
{
	static char buf[4096];
	struct ibv_sge sges[40];
	struct ibv_recv_wr wr = {
		.wr_id = wr_id, .sg_list = sges, .num_sge = num_sge,
	}, *bad = NULL;
	int i, ret;

	for (i = 0; i < num_sge && i < 40; i++) {
		sges[i].addr = (uintptr_t)buf + 100 * i;
		sges[i].length = 10 + i;
		sges[i].lkey = 0x1000 + i;
	}
	ret = ibv_post_srq_recv(srq, &wr, &bad);
	CHECK(ret ? bad == &wr : !bad, "%s: bad_wr %p for ret %d", __func__, (void *)bad,
	      ret);
	return ret;
}

static void test_srq(void)
{
	struct ibv_srq_init_attr sattr = { .attr = { .max_wr = 10,
						     .max_sge = 3 } };
	struct ibv_qp_init_attr init = {
		.send_cq = cq, .recv_cq = cq,
		.cap = { 4, 4, 1, 1, 0 }, .qp_type = IBV_QPT_RC,
	};
	struct ibv_srq_attr sa;
	struct ibv_srq *srq;
	struct ibv_qp *qp;
	uint32_t n;
	int ret;

	srq = ibv_create_srq(pd, &sattr);
	CHECK(srq, "ibv_create_srq: %s", strerror(errno));
	CHECK(sattr.attr.max_wr >= 10 && sattr.attr.max_sge >= 3 &&
	      sattr.attr.max_wr <= (uint32_t)dattr.max_srq_wr &&
	      sattr.attr.max_sge <= (uint32_t)dattr.max_srq_sge,
	      "SRQ got max_wr %u max_sge %u", sattr.attr.max_wr,
	      sattr.attr.max_sge);
	CHECK(ibv_query_srq(srq, &sa) == 0 && sa.max_wr == sattr.attr.max_wr &&
	      sa.max_sge == sattr.attr.max_sge && sa.srq_limit == 0,
	      "query_srq: max_wr %u max_sge %u limit %u", sa.max_wr,
	      sa.max_sge, sa.srq_limit);
	ok("SRQ created with max_wr %u max_sge %u, queried back",
	   sattr.attr.max_wr, sattr.attr.max_sge);

	sa.srq_limit = 4;
	CHECK(ibv_modify_srq(srq, &sa, IBV_SRQ_LIMIT) == 0, "arm limit");
	CHECK(ibv_query_srq(srq, &sa) == 0 && sa.srq_limit == 4,
	      "limit reads %u", sa.srq_limit);
	sa.srq_limit = sattr.attr.max_wr + 1;
	CHECK(ibv_modify_srq(srq, &sa, IBV_SRQ_LIMIT) == EINVAL,
	      "limit over max_wr accepted");
	sa.max_wr = 64;
	ret = ibv_modify_srq(srq, &sa, IBV_SRQ_MAX_WR);
	CHECK(ret == EOPNOTSUPP, "resize: %d (%s)", ret, strerror(ret));
	CHECK(!(dattr.device_cap_flags & IBV_DEVICE_SRQ_RESIZE),
	      "SRQ resize advertised");
	ok("SRQ limit armed and read back; over max_wr EINVAL; resize "
	   "EOPNOTSUPP and not advertised");

	CHECK(post_srq1(srq, 1, sattr.attr.max_sge + 1) == EINVAL,
	      "SRQ receive with too many SGEs");
	for (n = 0; n < sattr.attr.max_wr; n++)
		CHECK(post_srq1(srq, n, 1) == 0, "SRQ receive %u", n);
	CHECK(post_srq1(srq, 99, 1) == ENOMEM, "SRQ past max_wr");
	ok("SRQ takes max_wr receives, then ENOMEM; too many SGEs EINVAL");

	init.srq = srq;
	qp = ibv_create_qp(pd, &init);
	CHECK(qp, "QP with SRQ: %s", strerror(errno));
	to_init(qp);
	CHECK(post_recv1(qp, 1) == EINVAL, "post_recv on a QP with an SRQ");
	ok("post_recv on a QP with an SRQ: EINVAL");
	destroy_qp(qp);

	errno = 0;
	sattr.attr.max_wr = dattr.max_srq_wr + 1;
	CHECK(!ibv_create_srq(pd, &sattr) && errno == EINVAL,
	      "SRQ over max_srq_wr: errno %d", errno);
	sattr.attr.max_wr = 4;
	sattr.attr.max_sge = dattr.max_srq_sge + 1;
	CHECK(!ibv_create_srq(pd, &sattr) && errno == EINVAL,
	      "SRQ over max_srq_sge: errno %d", errno);
	sattr.attr.max_wr = 0;
	sattr.attr.max_sge = 1;
	CHECK(!ibv_create_srq(pd, &sattr) && errno == EINVAL,
	      "SRQ of 0 WRs: errno %d", errno);
	ok("SRQs over max_srq_wr or max_srq_sge, or of 0 WRs: EINVAL");
	CHECK(ibv_destroy_srq(srq) == 0, "ibv_destroy_srq");
}

/* The restrack id of this process's newest SRQ on the device. */
static unsigned int newest_srqn(void)
{
	char cmd[128], line[512];
	long best = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "rdma res show srq dev %s", dev_name);
	f = popen(cmd, "r");
	CHECK(f, "popen(%s)", cmd);
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, " srqn ");
		long n;

		if (!p)
			continue;
		n = strtol(p + 6, NULL, 10);
		if (n > best)
			best = n;
	}
	pclose(f);
	CHECK(best >= 0, "no SRQ listed by rdma res show srq");
	return best;
}

/* Have the test module take WQEs; returns 0 or the write's errno. */
static int srq_take(unsigned int srqn, unsigned int count, char *taken,
		    size_t len)
{
	FILE *f;
	int ret = 0;
	size_t n;

	f = fopen("/sys/module/pinrxe_srqtake/parameters/take", "w");
	CHECK(f, "pinrxe_srqtake not loaded");
	fprintf(f, "%s %u %u\n", dev_name, srqn, count);
	if (fflush(f))
		ret = errno;
	fclose(f);
	f = fopen("/sys/module/pinrxe_srqtake/parameters/taken", "r");
	CHECK(f, "taken");
	n = fread(taken, 1, len - 1, f);
	taken[n] = '\0';
	fclose(f);
	return ret;
}

static void test_srqtake(void)
{
	struct ibv_srq_init_attr sattr = { .attr = { .max_wr = 16,
						     .max_sge = 2 } };
	struct pinrxe_srq *psrq;
	struct ibv_srq_attr sa;
	struct ibv_srq *srq;
	unsigned int srqn;
	char taken[4096];
	int i, ret;

	srq = ibv_create_srq(pd, &sattr);
	CHECK(srq, "ibv_create_srq: %s", strerror(errno));
	srqn = newest_srqn();
	for (i = 0; i < 6; i++)
		CHECK(post_srq1(srq, 1000 + i, i % 3) == 0, "post");

	/* Six posted, the limit at 3: taking 3 leaves 3, not below. */
	sa.srq_limit = 3;
	CHECK(ibv_modify_srq(srq, &sa, IBV_SRQ_LIMIT) == 0, "arm");
	ret = srq_take(srqn, 3, taken, sizeof(taken));
	CHECK(ret == 0, "take 3: %s", strerror(ret));
	/* Addresses vary: compare field by field. */
	{
		unsigned long long id, addr;
		unsigned int nsge, len, lkey;
		char *line = taken;

		for (i = 0; i < 3; i++) {
			CHECK(sscanf(line, "%llu %u %u %llu %u", &id, &nsge,
				     &len, &addr, &lkey) == 5,
			      "taken line %d: %s", i, line);
			CHECK(id == 1000 + (unsigned int)i &&
			      nsge == (unsigned int)i % 3 &&
			      len == (i == 0 ? 0u : i == 1 ? 10u : 21u) &&
			      (nsge == 0 || lkey == 0x1000),
			      "WQE %d came back as %llu %u %u %u", i, id, nsge,
			      len, lkey);
			line = strchr(line, '\n') + 1;
		}
	}
	CHECK(!wait_event(IBV_EVENT_SRQ_LIMIT_REACHED, srq, 300),
	      "limit event with 3 left and the limit at 3");
	CHECK(ibv_query_srq(srq, &sa) == 0 && sa.srq_limit == 3,
	      "limit %u still armed", sa.srq_limit);
	ok("the kernel took 3 WQEs, in order, copied right; limit 3 not "
	   "reached with 3 left");

	ret = srq_take(srqn, 1, taken, sizeof(taken));
	CHECK(ret == 0, "take 1: %s", strerror(ret));
	CHECK(wait_event(IBV_EVENT_SRQ_LIMIT_REACHED, srq, 5000),
	      "no IBV_EVENT_SRQ_LIMIT_REACHED with 2 left");
	CHECK(ibv_query_srq(srq, &sa) == 0 && sa.srq_limit == 0,
	      "limit %u after the event, want 0 (disarmed)", sa.srq_limit);
	ret = srq_take(srqn, 1, taken, sizeof(taken));
	CHECK(ret == 0, "take 1: %s", strerror(ret));
	CHECK(!wait_event(IBV_EVENT_SRQ_LIMIT_REACHED, srq, 300),
	      "a second limit event without rearming");
	ok("IBV_EVENT_SRQ_LIMIT_REACHED once below the limit, then "
	   "disarmed");

	ret = srq_take(srqn, 5, taken, sizeof(taken));
	CHECK(ret == EAGAIN, "take past the end: %d (%s)", ret,
	      strerror(ret));
	ok("taking from an empty SRQ: EAGAIN");

	/* A hostile WQE: more SGEs than the SRQ allows, written directly. */
	psrq = to_psrq(srq);
	{
		struct pinrxe_recv_wqe *wqe = (void *)((char *)psrq->rq.ring +
			PINRXE_RING_HDR_SIZE +
			(psrq->rq.prod & (psrq->rq.num_wqe - 1)) *
			psrq->rq.wqe_size);

		wqe->wr_id = 4242;
		wqe->num_sge = 1000;
		psrq->rq.prod++;
		__atomic_store_n(&psrq->rq.ring->producer, psrq->rq.prod,
				 __ATOMIC_RELEASE);
	}
	ret = srq_take(srqn, 1, taken, sizeof(taken));
	CHECK(ret == EINVAL && !strcmp(taken, "4242 invalid\n"),
	      "a WQE with 1000 SGEs: %d, %s", ret, taken);
	ok("a WQE claiming 1000 SGEs is refused with its wr_id");
	CHECK(ibv_destroy_srq(srq) == 0, "ibv_destroy_srq");
}

static void test_ah(void)
{
	struct ibv_ah_attr attr;
	struct ibv_ah *ahs[100];
	struct ibv_ah *ah;
	int i;

	for (i = 0; i < 100; i++)
		ahs[i] = create_ah();
	for (i = 0; i < 100; i++)
		CHECK(ibv_destroy_ah(ahs[i]) == 0, "ibv_destroy_ah");
	ok("100 AHs created and destroyed");

	fill_ah(&attr);
	attr.is_global = 0;
	errno = 0;
	ah = ibv_create_ah(pd, &attr);
	CHECK(!ah && errno == EINVAL, "AH without GRH: errno %d", errno);
	fill_ah(&attr);
	attr.grh.sgid_index = 200;
	errno = 0;
	ah = ibv_create_ah(pd, &attr);
	CHECK(!ah && errno == ENODATA,
	      "AH with an unused GID index: errno %d", errno);
	fill_ah(&attr);
	attr.port_num = 2;
	errno = 0;
	ah = ibv_create_ah(pd, &attr);
	CHECK(!ah && errno == EINVAL, "AH on port 2: errno %d", errno);
	ok("AHs without GRH or on port 2: EINVAL; with an unused GID "
	   "index: ENODATA");
}

static void test_busy(void)
{
	struct ibv_srq_init_attr sattr = { .attr = { .max_wr = 4,
						     .max_sge = 1 } };
	struct ibv_qp_init_attr init = {
		.cap = { 4, 4, 1, 1, 0 }, .qp_type = IBV_QPT_RC,
	};
	struct ibv_pd *pd2 = ibv_alloc_pd(ctx);
	struct ibv_cq *scq = ibv_create_cq(ctx, 8, NULL, NULL, 0);
	struct ibv_cq *rcq = ibv_create_cq(ctx, 8, NULL, NULL, 0);
	struct ibv_ah_attr ahattr;
	struct ibv_srq *srq;
	struct ibv_qp *qp;
	struct ibv_ah *ah;
	int ret;

	CHECK(pd2 && scq && rcq, "PD, CQs: %s", strerror(errno));
	srq = ibv_create_srq(pd2, &sattr);
	CHECK(srq, "SRQ: %s", strerror(errno));
	init.send_cq = scq;
	init.recv_cq = rcq;
	init.srq = srq;
	qp = ibv_create_qp(pd2, &init);
	CHECK(qp, "QP: %s", strerror(errno));
	fill_ah(&ahattr);
	ah = ibv_create_ah(pd2, &ahattr);
	CHECK(ah, "AH: %s", strerror(errno));

	ret = ibv_destroy_cq(scq);
	CHECK(ret == EBUSY, "destroy the send CQ of a QP: %d", ret);
	ret = ibv_destroy_cq(rcq);
	CHECK(ret == EBUSY, "destroy the receive CQ of a QP: %d", ret);
	ret = ibv_destroy_srq(srq);
	CHECK(ret == EBUSY, "destroy the SRQ of a QP: %d", ret);
	ret = ibv_dealloc_pd(pd2);
	CHECK(ret == EBUSY, "free a PD with a QP, SRQ and AH: %d", ret);
	ok("CQs, SRQ and PD in use by a QP: EBUSY");
	destroy_qp(qp);
	ret = ibv_dealloc_pd(pd2);
	CHECK(ret == EBUSY, "free a PD with an SRQ and AH: %d", ret);
	CHECK(ibv_destroy_srq(srq) == 0, "destroy the SRQ once unused");
	ret = ibv_dealloc_pd(pd2);
	CHECK(ret == EBUSY, "free a PD with an AH: %d", ret);
	CHECK(ibv_destroy_ah(ah) == 0, "destroy the AH");
	CHECK(ibv_destroy_cq(scq) == 0 && ibv_destroy_cq(rcq) == 0,
	      "destroy the CQs once unused");
	CHECK(ibv_dealloc_pd(pd2) == 0, "free the PD once unused");
	ok("each freed once its users are gone");
}

static void test_hostile(void)
{
	struct ibv_ah *ah = create_ah();
	struct ibv_wc wc[8];
	int t;

	for (t = 0; t < 3; t++) {
		enum ibv_qp_type type = t == 0 ? IBV_QPT_RC :
					t == 1 ? IBV_QPT_UC : IBV_QPT_UD;
		struct ibv_qp *qp = create_qp(type);
		struct pinrxe_qp *pqp = to_pqp(qp);
		int n;

		connect_qp(qp);
		to_state(qp, IBV_QPS_SQD);
		CHECK(post_send1(qp, 1, 0, ah) == 0, "send");
		/* Producer indices that cannot be right. */
		__atomic_store_n(&pqp->sq.ring->producer, 0x80000000u,
				 __ATOMIC_RELEASE);
		__atomic_store_n(&pqp->rq.ring->producer, 0xdeadbeefu,
				 __ATOMIC_RELEASE);
		/* The kernel's indices are its own: scribbling does nothing. */
		__atomic_store_n(&pqp->sq.ring->consumer, 12345u,
				 __ATOMIC_RELEASE);
		to_state(qp, IBV_QPS_ERR);
		usleep(100000);
		n = ibv_poll_cq(cq, 8, wc);
		CHECK(n >= 0, "poll after corrupting the rings: %d", n);
		to_state(qp, IBV_QPS_RESET);
		to_init(qp);
		destroy_qp(qp);
		ok("%s: corrupt ring indices through ERR, RESET, destroy; "
		   "%d completions", qpt_str(type), n);
	}
	CHECK(ibv_destroy_ah(ah) == 0, "ibv_destroy_ah");
}

/* Connect an RC QP to another QP of the same device (loopback). */
static void connect_to(struct ibv_qp *qp, uint32_t dest_qpn,
		       const union ibv_gid *dgid)
{
	static const struct rc_conn_params p = {
		.psn = 0x100, .timeout = 10, .retry_cnt = 7, .rnr_retry = 7,
		.min_rnr_timer = 1,
		.access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ,
	};
	const char *step = "?";
	int ret = rc_connect(qp, dest_qpn, dgid, sgid_index, &p, &step);

	CHECK(ret == 0, "to %s: %s", step, strerror(ret));
}

/*
 * With the data path running: every WR posted completes exactly once,
 * successfully or flushed, when the QPs are moved to ERR mid-transfer;
 * then QPs are destroyed mid-transfer.
 */
static void test_inflight(void)
{
	enum { N = 64, LEN = 16384 };
	struct ibv_qp_cap cap = { N, N, 1, 1, 0 };
	struct ibv_wc wc[4 * N];
	bool seen[2 * N];
	struct ibv_qp *a, *b;
	union ibv_gid own;
	struct ibv_mr *mr;
	char *buf;
	int round, i, n, ok_send, ok_recv, flushed;

	CHECK(roce_v2_ipv4_gid(ctx, &own) >= 0, "own GID");
	buf = calloc(2 * N, LEN);
	CHECK(buf, "alloc");
	mr = ibv_reg_mr(pd, buf, 2 * N * LEN, IBV_ACCESS_LOCAL_WRITE);
	CHECK(mr, "ibv_reg_mr: %s", strerror(errno));

	for (round = 0; round < 2; round++) {
		a = create_qp_caps(IBV_QPT_RC, &cap, NULL);
		cap = (struct ibv_qp_cap){ N, N, 1, 1, 0 };
		b = create_qp_caps(IBV_QPT_RC, &cap, NULL);
		connect_to(a, b->qp_num, &own);
		connect_to(b, a->qp_num, &own);
		for (i = 0; i < N; i++) {
			struct ibv_sge sge = {
				.addr = (uintptr_t)buf + (N + i) * LEN,
				.length = LEN, .lkey = mr->lkey,
			};
			struct ibv_recv_wr wr = { .wr_id = 1000 + i,
						  .sg_list = &sge,
						  .num_sge = 1 }, *bad;

			CHECK(ibv_post_recv(b, &wr, &bad) == 0, "recv");
		}
		for (i = 0; i < N; i++) {
			struct ibv_sge sge = {
				.addr = (uintptr_t)buf + i * LEN,
				.length = LEN, .lkey = mr->lkey,
			};
			struct ibv_send_wr wr = {
				.wr_id = i, .sg_list = &sge, .num_sge = 1,
				.opcode = IBV_WR_SEND,
				.send_flags = IBV_SEND_SIGNALED,
			}, *bad;

			CHECK(ibv_post_send(a, &wr, &bad) == 0, "send");
		}
		if (round == 1) {
			/* Gone with packets in flight and WRs outstanding. */
			destroy_qp(a);
			destroy_qp(b);
			usleep(200000);
			while (ibv_poll_cq(cq, 4 * N, wc) > 0)
				;
			ok("two RC QPs destroyed in the middle of %d sends",
			   N);
			break;
		}
		to_state(a, IBV_QPS_ERR);
		to_state(b, IBV_QPS_ERR);
		poll_n(cq, 2 * N, wc, "every WR completes once");
		expect_no_more(cq, "after ERR mid-transfer");
		ok_send = ok_recv = flushed = 0;
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < 2 * N; i++) {
			uint64_t id = wc[i].wr_id;
			int slot = id >= 1000 ? N + (int)(id - 1000) : (int)id;

			CHECK(slot >= 0 && slot < 2 * N && !seen[slot],
			      "wr_id %llu unknown or completed twice",
			      (unsigned long long)id);
			seen[slot] = true;
			n = wc[i].status == IBV_WC_SUCCESS;
			CHECK(n || wc[i].status == IBV_WC_WR_FLUSH_ERR,
			      "wr_id %llu: %s", (unsigned long long)wc[i].wr_id,
			      ibv_wc_status_str(wc[i].status));
			if (!n)
				flushed++;
			else if (wc[i].wr_id >= 1000)
				ok_recv++;
			else
				ok_send++;
		}
		ok("ERR mid-transfer: %d sends and %d receives done, %d "
		   "flushed, each WR completed once", ok_send, ok_recv,
		   flushed);
		destroy_qp(a);
		destroy_qp(b);
	}
	CHECK(ibv_dereg_mr(mr) == 0, "ibv_dereg_mr");
	free(buf);
}

static void test_many(void)
{
	enum { N = 300 };
	static struct ibv_qp *qps[N];
	int i, j;

	for (i = 0; i < N; i++) {
		struct ibv_qp_cap cap = { 1, 1, 1, 1, 0 };

		qps[i] = create_qp_caps(i % 3 == 0 ? IBV_QPT_RC :
					i % 3 == 1 ? IBV_QPT_UC : IBV_QPT_UD,
					&cap, NULL);
		CHECK(qps[i]->qp_num >= 2, "QPN %u", qps[i]->qp_num);
		for (j = 0; j < i; j++)
			CHECK(qps[j]->qp_num != qps[i]->qp_num,
			      "QPN %u given twice", qps[i]->qp_num);
	}
	for (i = 0; i < N; i++)
		destroy_qp(qps[i]);
	ok("%d QPs at once, QPNs unique and >= 2", N);
}

/*
 * A process holding QPs in every state with WRs outstanding, an SRQ and
 * AHs: the script kills it, or removes its device; then, after
 * IBV_EVENT_DEVICE_FATAL, everything is destroyed (with
 * RDMAV_ALLOW_DISASSOC_DESTROY set, destroys succeed on a dead device).
 */
static int hold(int n, const char *ready)
{
	struct ibv_srq_init_attr sattr = { .attr = { .max_wr = 64,
						     .max_sge = 1 } };
	struct ibv_qp **qps = calloc(n, sizeof(*qps));
	struct ibv_srq *srq;
	struct ibv_ah *ah;
	FILE *f;
	int i;

	CHECK(qps, "alloc");
	srq = ibv_create_srq(pd, &sattr);
	CHECK(srq, "ibv_create_srq: %s", strerror(errno));
	for (i = 0; i < 32; i++)
		CHECK(post_srq1(srq, i, 1) == 0, "SRQ receive");
	ah = create_ah();
	for (i = 0; i < n; i++) {
		enum ibv_qp_type type = i % 3 == 0 ? IBV_QPT_RC :
					i % 3 == 1 ? IBV_QPT_UC : IBV_QPT_UD;
		struct ibv_qp_cap cap = { 8, 8, 1, 1, 0 };

		qps[i] = create_qp_caps(type, &cap, i % 4 == 3 ? srq : NULL);
		switch (i % 5) {
		case 0:
			break;
		case 1:
			to_init(qps[i]);
			break;
		default:
			connect_qp(qps[i]);
			to_state(qps[i], IBV_QPS_SQD);
			CHECK(post_send1(qps[i], i, 0, ah) == 0, "send");
			if (i % 5 == 4)
				to_state(qps[i], IBV_QPS_ERR);
			break;
		}
		if (i % 5 && !qps[i]->srq)
			CHECK(post_recv1(qps[i], i) == 0, "receive");
	}
	f = fopen(ready, "w");
	CHECK(f, "create %s", ready);
	fclose(f);
	printf("holding %d QPs\n", n);
	fflush(stdout);

	wait_device_fatal(ctx);
	for (i = 0; i < n; i++)
		destroy_qp(qps[i]);
	CHECK(ibv_destroy_srq(srq) == 0, "destroy SRQ");
	CHECK(ibv_destroy_ah(ah) == 0, "destroy AH");
	CHECK(ibv_destroy_cq(cq) == 0, "destroy CQ");
	CHECK(ibv_dealloc_pd(pd) == 0, "free PD");
	CHECK(ibv_close_device(ctx) == 0, "close device");
	ok("device fatal: destroyed %d QPs, the SRQ and the AH", n);
	return 0;
}

int main(int argc, char **argv)
{
	struct ibv_device **list;
	struct ibv_context *peer = NULL;
	int i, n;

	if (argc < 4) {
		fprintf(stderr, "usage: %s DEV PEER TEST...\n", argv[0]);
		return 2;
	}
	dev_name = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Read when libibverbs initialises: before the device list. */
	setenv("RDMAV_ALLOW_DISASSOC_DESTROY", "1", 0);
	list = ibv_get_device_list(&n);
	CHECK(list, "ibv_get_device_list: %s", strerror(errno));
	for (i = 0; i < n; i++) {
		if (!strcmp(ibv_get_device_name(list[i]), argv[1]))
			ctx = ibv_open_device(list[i]);
		else if (!strcmp(ibv_get_device_name(list[i]), argv[2]))
			peer = ibv_open_device(list[i]);
	}
	ibv_free_device_list(list);
	CHECK(ctx && peer, "cannot open %s and %s", argv[1], argv[2]);
	CHECK(ibv_query_device(ctx, &dattr) == 0, "ibv_query_device");
	CHECK(ibv_query_port(ctx, 1, &pattr) == 0, "ibv_query_port");
	sgid_index = roce_v2_ipv4_gid(ctx, NULL);
	CHECK(sgid_index >= 0, "%s has no RoCEv2 IPv4 GID", argv[1]);
	CHECK(roce_v2_ipv4_gid(peer, &peer_gid) >= 0,
	      "%s has no RoCEv2 IPv4 GID", argv[2]);
	ibv_close_device(peer);

	pd = ibv_alloc_pd(ctx);
	CHECK(pd, "ibv_alloc_pd: %s", strerror(errno));
	cq = ibv_create_cq(ctx, 4096, NULL, NULL, 0);
	CHECK(cq, "ibv_create_cq: %s", strerror(errno));

	if (!strcmp(argv[3], "hold")) {
		CHECK(argc == 6, "hold N FILE");
		return hold(atoi(argv[4]), argv[5]);
	}
	for (i = 3; i < argc; i++) {
		static const struct {
			const char *name;
			void (*fn)(void);
		} tests[] = {
			{ "create", test_create }, { "bad", test_bad },
			{ "states", test_states }, { "invalid", test_invalid },
			{ "post", test_post }, { "flush", test_flush },
			{ "events", test_events }, { "srq", test_srq },
			{ "srqtake", test_srqtake }, { "ah", test_ah },
			{ "busy", test_busy }, { "hostile", test_hostile },
			{ "many", test_many }, { "inflight", test_inflight },
		};
		size_t t;

		for (t = 0; t < sizeof(tests) / sizeof(tests[0]); t++)
			if (!strcmp(argv[i], tests[t].name))
				break;
		CHECK(t < sizeof(tests) / sizeof(tests[0]), "no test %s",
		      argv[i]);
		printf("== %s\n", argv[i]);
		tests[t].fn();
	}

	CHECK(ibv_destroy_cq(cq) == 0, "ibv_destroy_cq");
	CHECK(ibv_dealloc_pd(pd) == 0, "ibv_dealloc_pd");
	CHECK(ibv_close_device(ctx) == 0, "ibv_close_device");
	printf("all passed\n");
	return 0;
}
