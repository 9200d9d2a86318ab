/*
 * Memory window, LOCAL_INV and SEND_WITH_INV tests for pinrxe, run in the
 * test guest by tests/cases/53-mw.sh.  Traffic runs over RC QP pairs
 * looped back on one device: QP "a" is the requester, QP "b" the
 * responder that owns the remote buffer and binds type 2 windows on it.
 * The remote buffer's MR grants no remote rights itself (local write and
 * MW bind only): every remote access in these tests goes through a
 * window.
 *
 * usage: mw_test DEV TEST...
 *        mw_test DEV exit   bind windows of both types and exit with
 *                           them bound (the case checks the cleanup)
 *        mw_test DEV hold FILE  bind them, create FILE and wait for the
 *                           device's removal
 * Tests:
 *   caps      the device advertises type 1 and 2B windows and max_mw
 *   type1     ibv_bind_mw(): WRITE/READ through the window, rebinds with
 *             a new key, the old key dead, a zero-length bind unbinds
 *   type2     BIND_MW work requests: WRITE/READ/atomics through the
 *             window; a key used by the peer right after a bind and a
 *             send posted behind it; the window tied to its QP (2B)
 *   outside   accesses outside the window or beyond its rights fail with
 *             a remote access error
 *   binderr   binds IBTA refuses complete with IBV_WC_MW_BIND_ERR; binds
 *             the provider refuses fail to post
 *   localinv  LOCAL_INV of a type 2 window, then access fails; the window
 *             binds again; LOCAL_INV of a type 1 window or an MR fails
 *   fence     a fenced LOCAL_INV after an RDMA READ through the window
 *             waits for the read
 *   sendinv   SEND_WITH_INV invalidates a type 2 window: the receive
 *             completion carries IBV_WC_WITH_INV and the rkey, then
 *             access fails; also through ibv_wr_send_inv()
 *   sendinv1  SEND_WITH_INV naming a type 1 window, or an MR, or a window
 *             of another QP: the receive completes in error and the
 *             receiving QP goes to the error state
 *   dealloc   deallocating a bound window kills its rkey
 *   dereg     an MR with bound windows cannot be deregistered or
 *             reregistered (EBUSY) until they are unbound
 *   wrapi     ibv_wr_bind_mw() and ibv_wr_local_inv()
 *   cqex      ibv_wc_read_invalidated_rkey() on an extended CQ
 *   atomicw   ATOMIC_WRITE through windows of both types, its completion
 *             (IBV_WC_ATOMIC_WRITE) read on an extended CQ; through a
 *             read-only window it fails with a remote access error
 *   raw       bind work requests the provider refuses, written into the
 *             send ring directly, fail in the kernel too
 *
 * Every check prints "ok: ..." or "FAIL: ..." and a failure exits 1.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

/* White-box access to the provider's send ring, for the "raw" test. */
#include "pinrxe.h"

#include "../common/check.h"
#include "../common/verbs_util.h"
#include "../common/fatal.h"

enum { BUF_SIZE = 1 << 20, WIN_OFF = 4096, WIN_LEN = 65536 };

static struct ibv_context *ctx;
static struct ibv_port_attr pattr;
static struct ibv_pd *pd, *pd2;
static int sgid_index = -1;
static union ibv_gid gid;

/* The requester's buffer (l_buf) and the responder's (r_buf). */
static char *l_buf, *r_buf;
static struct ibv_mr *l_mr, *r_mr;

struct side {
	struct ibv_qp *qp;
	struct ibv_cq *cq;
	struct ibv_cq_ex *cqx;	/* when created with an extended CQ */
};

struct conn {
	struct side a;	/* requester */
	struct side b;	/* responder, owner of the windows */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *status_str(enum ibv_wc_status s)
{
	return ibv_wc_status_str(s);
}

/* QPs */

static void create_rc(struct ibv_pd *p, struct side *s, bool cqex)
{
	struct ibv_qp_init_attr_ex init = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 32, .max_recv_wr = 32,
			 .max_send_sge = 2, .max_recv_sge = 2,
			 .max_inline_data = 64 },
		.comp_mask = IBV_QP_INIT_ATTR_PD |
			     IBV_QP_INIT_ATTR_SEND_OPS_FLAGS,
		.pd = p,
		.send_ops_flags = IBV_QP_EX_WITH_SEND |
				  IBV_QP_EX_WITH_SEND_WITH_INV |
				  IBV_QP_EX_WITH_RDMA_WRITE |
				  IBV_QP_EX_WITH_BIND_MW |
				  IBV_QP_EX_WITH_LOCAL_INV |
				  IBV_QP_EX_WITH_ATOMIC_WRITE,
	};

	if (cqex) {
		struct ibv_cq_init_attr_ex ca = {
			.cqe = 64,
			.wc_flags = IBV_WC_STANDARD_FLAGS,
		};

		s->cqx = ibv_create_cq_ex(ctx, &ca);
		CHECK(s->cqx, "ibv_create_cq_ex: %s", strerror(errno));
		s->cq = ibv_cq_ex_to_cq(s->cqx);
	} else {
		s->cqx = NULL;
		s->cq = ibv_create_cq(ctx, 64, NULL, NULL, 0);
		CHECK(s->cq, "ibv_create_cq: %s", strerror(errno));
	}
	init.send_cq = s->cq;
	init.recv_cq = s->cq;
	s->qp = ibv_create_qp_ex(ctx, &init);
	CHECK(s->qp, "ibv_create_qp_ex: %s", strerror(errno));
}

static void modify(struct ibv_qp *qp, struct ibv_qp_attr *a, int mask,
		   const char *what)
{
	int ret = ibv_modify_qp(qp, a, mask);

	CHECK(ret == 0, "%s: ibv_modify_qp: %s", what, strerror(ret));
}

static void connect_to(struct ibv_qp *qp, uint32_t dest_qpn)
{
	/* A short retry budget: a failed responder must not stall a test. */
	static const struct rc_conn_params p = {
		.psn = 0x100, .rd_atomic = 4, .timeout = 12, .retry_cnt = 2,
		.rnr_retry = 7, .min_rnr_timer = 1,
		.access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			  IBV_ACCESS_REMOTE_ATOMIC,
	};
	const char *step = "?";
	int ret = rc_connect(qp, dest_qpn, &gid, sgid_index, &p, &step);

	CHECK(ret == 0, "%s: ibv_modify_qp: %s", step, strerror(ret));
}

/* A connected pair, both in pd; a_cqex, b_cqex: whose CQ is extended. */
static void conn_open_cq(struct conn *c, bool a_cqex, bool b_cqex)
{
	create_rc(pd, &c->a, a_cqex);
	create_rc(pd, &c->b, b_cqex);
	connect_to(c->a.qp, c->b.qp->qp_num);
	connect_to(c->b.qp, c->a.qp->qp_num);
}

static void conn_open(struct conn *c)
{
	conn_open_cq(c, false, false);
}

static void side_close(struct side *s)
{
	int ret = ibv_destroy_qp(s->qp);

	CHECK(ret == 0, "ibv_destroy_qp: %s", strerror(ret));
	ret = ibv_destroy_cq(s->cq);
	CHECK(ret == 0, "ibv_destroy_cq: %s", strerror(ret));
}

static void conn_close(struct conn *c)
{
	side_close(&c->a);
	side_close(&c->b);
}

/* Completions */

static void poll_one(struct side *s, struct ibv_wc *wc, const char *what)
{
	double end = now() + 20;
	int ret;

	for (;;) {
		ret = ibv_poll_cq(s->cq, 1, wc);
		CHECK(ret >= 0, "%s: ibv_poll_cq: %d", what, ret);
		if (ret)
			return;
		CHECK(now() < end, "%s: no completion", what);
		usleep(500);
	}
}

static void expect_wc(struct side *s, uint64_t wr_id, enum ibv_wc_opcode op,
		      enum ibv_wc_status status, const char *what)
{
	struct ibv_wc wc;

	poll_one(s, &wc, what);
	CHECK(wc.wr_id == wr_id, "%s: wr_id %llu, want %llu", what,
	      (unsigned long long)wc.wr_id, (unsigned long long)wr_id);
	CHECK(wc.status == status, "%s: status %s, want %s", what,
	      status_str(wc.status), status_str(status));
	/* The opcode of a completion in error is not defined. */
	if (status == IBV_WC_SUCCESS)
		CHECK(wc.opcode == op, "%s: opcode %d, want %d", what,
		      wc.opcode, op);
}

/* Work requests */

static void post_send(struct side *s, struct ibv_send_wr *wr, const char *what)
{
	struct ibv_send_wr *bad = NULL;
	int ret = ibv_post_send(s->qp, wr, &bad);

	CHECK(ret == 0, "%s: ibv_post_send: %s", what, strerror(ret));
}

static void post_recv(struct side *s, uint64_t wr_id, void *addr,
		      uint32_t len, const char *what)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)addr, .length = len, .lkey = r_mr->lkey,
	};
	struct ibv_recv_wr wr = { .wr_id = wr_id, .sg_list = &sge,
				  .num_sge = 1 }, *bad;
	int ret = ibv_post_recv(s->qp, &wr, &bad);

	CHECK(ret == 0, "%s: ibv_post_recv: %s", what, strerror(ret));
}

/*
 * An RDMA WRITE or READ of len bytes between l_buf + loff and raddr under
 * rkey, or an atomic on raddr; returns the completion status.
 */
static enum ibv_wc_status rdma(struct side *s, enum ibv_wr_opcode op,
			       size_t loff, uint32_t len, uint64_t raddr,
			       uint32_t rkey)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)l_buf + loff, .length = len,
		.lkey = l_mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = 7, .sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
	};
	struct ibv_wc wc;

	if (op == IBV_WR_ATOMIC_FETCH_AND_ADD ||
	    op == IBV_WR_ATOMIC_CMP_AND_SWP) {
		wr.wr.atomic.remote_addr = raddr;
		wr.wr.atomic.rkey = rkey;
		wr.wr.atomic.compare_add = 5;
		wr.wr.atomic.swap = 0;
	} else {
		wr.wr.rdma.remote_addr = raddr;
		wr.wr.rdma.rkey = rkey;
	}
	post_send(s, &wr, "RDMA");
	poll_one(s, &wc, "RDMA");
	CHECK(wc.wr_id == 7, "RDMA: wr_id %llu", (unsigned long long)wc.wr_id);
	return wc.status;
}

static void expect_rdma(struct side *s, enum ibv_wr_opcode op, size_t loff,
			uint32_t len, uint64_t raddr, uint32_t rkey,
			enum ibv_wc_status want, const char *what)
{
	enum ibv_wc_status st = rdma(s, op, loff, len, raddr, rkey);

	CHECK(st == want, "%s: %s, want %s", what, status_str(st),
	      status_str(want));
	ok("%s: %s", what, status_str(st));
}

static uint64_t r_addr(size_t off)
{
	return (uintptr_t)r_buf + off;
}

/* The bind work request of a window onto [addr, addr + len) of mr. */
static struct ibv_send_wr bind_wr(struct ibv_mw *mw, uint32_t rkey,
				  struct ibv_mr *mr, uint64_t addr,
				  uint64_t len, unsigned int access)
{
	struct ibv_send_wr wr = {
		.wr_id = 0xb1, .opcode = IBV_WR_BIND_MW,
		.send_flags = IBV_SEND_SIGNALED,
	};

	wr.bind_mw.mw = mw;
	wr.bind_mw.rkey = rkey;
	wr.bind_mw.bind_info.mr = mr;
	wr.bind_mw.bind_info.addr = addr;
	wr.bind_mw.bind_info.length = len;
	wr.bind_mw.bind_info.mw_access_flags = access;
	return wr;
}

/*
 * Bind a type 2 window through the responder's QP with the next key byte;
 * returns its rkey.  Keeping mw->rkey current is the application's job
 * for type 2 windows: a bind names the window by its current rkey.
 */
static uint32_t bind2(struct conn *c, struct ibv_mw *mw, struct ibv_mr *mr,
		      uint64_t addr, uint64_t len, unsigned int access,
		      enum ibv_wc_status want, const char *what)
{
	uint32_t rkey = ibv_inc_rkey(mw->rkey);
	struct ibv_send_wr wr = bind_wr(mw, rkey, mr, addr, len, access);

	post_send(&c->b, &wr, what);
	expect_wc(&c->b, 0xb1, IBV_WC_BIND_MW, want, what);
	if (want == IBV_WC_SUCCESS)
		mw->rkey = rkey;
	return rkey;
}

/* Bind a type 1 window with ibv_bind_mw() through the responder's QP. */
static void bind1(struct conn *c, struct ibv_mw *mw, struct ibv_mr *mr,
		  uint64_t addr, uint64_t len, unsigned int access,
		  enum ibv_wc_status want, const char *what)
{
	struct ibv_mw_bind b = {
		.wr_id = 0xb1, .send_flags = IBV_SEND_SIGNALED,
		.bind_info = { .mr = mr, .addr = addr, .length = len,
			       .mw_access_flags = access },
	};
	uint32_t old = mw->rkey;
	int ret = ibv_bind_mw(c->b.qp, mw, &b);

	CHECK(ret == 0, "%s: ibv_bind_mw: %s", what, strerror(ret));
	CHECK(mw->rkey == ibv_inc_rkey(old),
	      "%s: rkey %#x after bind, was %#x", what, mw->rkey, old);
	expect_wc(&c->b, 0xb1, IBV_WC_BIND_MW, want, what);
}

static void local_inv(struct side *s, uint32_t rkey, unsigned int flags,
		      enum ibv_wc_status want, const char *what)
{
	struct ibv_send_wr wr = {
		.wr_id = 0x1a, .opcode = IBV_WR_LOCAL_INV,
		.send_flags = IBV_SEND_SIGNALED | flags,
		.invalidate_rkey = rkey,
	};

	post_send(s, &wr, what);
	expect_wc(s, 0x1a, IBV_WC_LOCAL_INV, want, what);
}

static struct ibv_mw *alloc_mw(struct ibv_pd *p, enum ibv_mw_type type)
{
	struct ibv_mw *mw = ibv_alloc_mw(p, type);

	CHECK(mw, "ibv_alloc_mw type %d: %s", type, strerror(errno));
	CHECK(mw->type == type && mw->pd == p, "ibv_alloc_mw: type %d",
	      mw->type);
	return mw;
}

static void dealloc_mw(struct ibv_mw *mw)
{
	int ret = ibv_dealloc_mw(mw);

	CHECK(ret == 0, "ibv_dealloc_mw: %s", strerror(ret));
}

static void fill(char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (char)(seed + i * 7);
}

static bool same(const char *a, const char *b, size_t len)
{
	return !memcmp(a, b, len);
}

/* Tests */

static void test_caps(void)
{
	struct ibv_device_attr_ex attr;
	int ret = ibv_query_device_ex(ctx, NULL, &attr);

	CHECK(ret == 0, "ibv_query_device_ex: %s", strerror(ret));
	CHECK(attr.orig_attr.device_cap_flags & IBV_DEVICE_MEM_WINDOW,
	      "no IBV_DEVICE_MEM_WINDOW");
	CHECK(attr.orig_attr.device_cap_flags & IBV_DEVICE_MEM_WINDOW_TYPE_2B,
	      "no IBV_DEVICE_MEM_WINDOW_TYPE_2B");
	CHECK(!(attr.orig_attr.device_cap_flags &
		IBV_DEVICE_MEM_WINDOW_TYPE_2A), "claims type 2A windows");
	CHECK(attr.orig_attr.max_mw > 0, "max_mw %d", attr.orig_attr.max_mw);
	errno = 0;
	CHECK(!ibv_alloc_mw(pd, (enum ibv_mw_type)3) && errno == EINVAL,
	      "a type 3 window: errno %s", strerror(errno));
	ok("type 1 and 2B windows, max_mw %d; type 3 refused with EINVAL",
	   attr.orig_attr.max_mw);
}

static void test_type1(void)
{
	struct ibv_mw *mw = alloc_mw(pd, IBV_MW_TYPE_1);
	uint32_t old;
	struct conn c;

	conn_open(&c);
	bind1(&c, mw, r_mr, r_addr(WIN_OFF), WIN_LEN,
	      IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ,
	      IBV_WC_SUCCESS, "type 1 bind");
	ok("ibv_bind_mw of a type 1 window: IBV_WC_BIND_MW, new rkey %#x",
	   mw->rkey);

	fill(l_buf, WIN_LEN, 1);
	expect_rdma(&c.a, IBV_WR_RDMA_WRITE, 0, WIN_LEN, r_addr(WIN_OFF),
		    mw->rkey, IBV_WC_SUCCESS, "WRITE 64 KiB through it");
	CHECK(same(l_buf, r_buf + WIN_OFF, WIN_LEN), "written data differ");
	fill(r_buf + WIN_OFF + 100, 5000, 2);
	expect_rdma(&c.a, IBV_WR_RDMA_READ, 8192, 5000, r_addr(WIN_OFF + 100),
		    mw->rkey, IBV_WC_SUCCESS, "READ 5000 bytes through it");
	CHECK(same(l_buf + 8192, r_buf + WIN_OFF + 100, 5000),
	      "read data differ");
	ok("data written and read through the window are right");

	/* Rebind elsewhere: new key, new range, the old key dead. */
	old = mw->rkey;
	bind1(&c, mw, r_mr, r_addr(2 * WIN_OFF), 4096,
	      IBV_ACCESS_REMOTE_READ, IBV_WC_SUCCESS, "type 1 rebind");
	expect_rdma(&c.a, IBV_WR_RDMA_READ, 0, 4096, r_addr(2 * WIN_OFF),
		    mw->rkey, IBV_WC_SUCCESS, "READ through the rebound window");
	expect_rdma(&c.a, IBV_WR_RDMA_READ, 0, 16, r_addr(2 * WIN_OFF), old,
		    IBV_WC_REM_ACCESS_ERR, "the key before the rebind");
	conn_close(&c);

	/* A zero-length bind unbinds: the window stays, access fails. */
	conn_open(&c);
	bind1(&c, mw, r_mr, r_addr(WIN_OFF), 0, 0, IBV_WC_SUCCESS,
	      "zero-length bind");
	expect_rdma(&c.a, IBV_WR_RDMA_READ, 0, 16, r_addr(WIN_OFF), mw->rkey,
		    IBV_WC_REM_ACCESS_ERR, "READ through an unbound window");
	conn_close(&c);
	dealloc_mw(mw);
}

static void test_type2(void)
{
	struct ibv_mw *mw = alloc_mw(pd, IBV_MW_TYPE_2);
	struct ibv_send_wr wrs[2];
	struct ibv_sge sge;
	struct ibv_wc wc;
	uint64_t *word;
	uint32_t rkey;
	struct conn c, other;

	conn_open(&c);
	rkey = bind2(&c, mw, r_mr, r_addr(WIN_OFF), WIN_LEN,
		     IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
		     IBV_ACCESS_REMOTE_ATOMIC, IBV_WC_SUCCESS, "type 2 bind");
	ok("BIND_MW of a type 2 window: IBV_WC_BIND_MW, rkey %#x", rkey);

	fill(l_buf, 3000, 3);
	expect_rdma(&c.a, IBV_WR_RDMA_WRITE, 0, 3000,
		    r_addr(WIN_OFF + WIN_LEN - 3000), rkey, IBV_WC_SUCCESS,
		    "WRITE to the end of the window");
	CHECK(same(l_buf, r_buf + WIN_OFF + WIN_LEN - 3000, 3000),
	      "written data differ");
	fill(r_buf + WIN_OFF, WIN_LEN, 4);
	expect_rdma(&c.a, IBV_WR_RDMA_READ, 0, WIN_LEN, r_addr(WIN_OFF), rkey,
		    IBV_WC_SUCCESS, "READ the whole window");
	CHECK(same(l_buf, r_buf + WIN_OFF, WIN_LEN), "read data differ");
	word = (uint64_t *)(r_buf + WIN_OFF + 64);
	*word = 37;
	expect_rdma(&c.a, IBV_WR_ATOMIC_FETCH_AND_ADD, 0, 8,
		    r_addr(WIN_OFF + 64), rkey, IBV_WC_SUCCESS,
		    "FETCH_AND_ADD through it");
	CHECK(*word == 42 && *(uint64_t *)l_buf == 37,
	      "atomic: %llu, fetched %llu", (unsigned long long)*word,
	      (unsigned long long)*(uint64_t *)l_buf);
	ok("data written, read and added through the window are right");

	/* The window belongs to QP b: another QP cannot use it (type 2B). */
	conn_open(&other);
	expect_rdma(&other.a, IBV_WR_RDMA_READ, 0, 16, r_addr(WIN_OFF), rkey,
		    IBV_WC_REM_ACCESS_ERR,
		    "READ through the window by another QP");
	conn_close(&other);
	local_inv(&c.b, rkey, 0, IBV_WC_SUCCESS, "invalidate");

	/*
	 * A bind and a send behind it in one post: the peer that gets the
	 * send can use the key at once, as the bind took effect first.
	 */
	rkey = ibv_inc_rkey(mw->rkey);
	wrs[0] = bind_wr(mw, rkey, r_mr, r_addr(WIN_OFF), 4096,
			 IBV_ACCESS_REMOTE_WRITE);
	wrs[0].send_flags = 0;
	wrs[0].next = &wrs[1];
	sge = (struct ibv_sge){ .addr = (uintptr_t)r_buf, .length = 4,
				.lkey = r_mr->lkey };
	memcpy(r_buf, &rkey, 4);
	wrs[1] = (struct ibv_send_wr){
		.wr_id = 0x5e, .sg_list = &sge, .num_sge = 1,
		.opcode = IBV_WR_SEND, .send_flags = IBV_SEND_SIGNALED,
	};
	{
		struct ibv_sge rsge = { .addr = (uintptr_t)l_buf + 512,
					.length = 64, .lkey = l_mr->lkey };
		struct ibv_recv_wr rwr = { .wr_id = 0x7e, .sg_list = &rsge,
					   .num_sge = 1 }, *rbad;

		CHECK(ibv_post_recv(c.a.qp, &rwr, &rbad) == 0, "recv");
	}
	post_send(&c.b, wrs, "bind + send");
	mw->rkey = rkey;
	expect_wc(&c.b, 0x5e, IBV_WC_SEND, IBV_WC_SUCCESS,
		  "the send after an unsignaled bind");
	poll_one(&c.a, &wc, "the key arrives");
	CHECK(wc.status == IBV_WC_SUCCESS && wc.byte_len == 4,
	      "receive: %s, %u bytes", status_str(wc.status), wc.byte_len);
	CHECK(*(uint32_t *)(l_buf + 512) == rkey, "received key %#x, want %#x",
	      *(uint32_t *)(l_buf + 512), rkey);
	expect_rdma(&c.a, IBV_WR_RDMA_WRITE, 1024, 100, r_addr(WIN_OFF), rkey,
		    IBV_WC_SUCCESS, "WRITE with the key sent right behind the bind");
	conn_close(&c);

	/* Its QP destroyed, the window is of no use, but can be invalidated. */
	conn_open(&c);
	expect_rdma(&c.a, IBV_WR_RDMA_WRITE, 0, 16, r_addr(WIN_OFF), rkey,
		    IBV_WC_REM_ACCESS_ERR,
		    "WRITE through a window whose QP was destroyed");
	conn_close(&c);
	conn_open(&c);
	local_inv(&c.a, rkey, 0, IBV_WC_SUCCESS, "LOCAL_INV by another QP");
	ok("LOCAL_INV of that window through another QP of its PD");
	bind2(&c, mw, r_mr, r_addr(WIN_OFF), 4096, IBV_ACCESS_REMOTE_READ,
	      IBV_WC_SUCCESS, "bind after that");
	expect_rdma(&c.a, IBV_WR_RDMA_READ, 0, 16, r_addr(WIN_OFF), mw->rkey,
		    IBV_WC_SUCCESS, "READ through it, bound to a new QP");
	conn_close(&c);
	dealloc_mw(mw);
}

static void test_outside(void)
{
	static const struct {
		enum ibv_wr_opcode op;
		size_t off;
		uint32_t len;
		const char *what;
	} cases[] = {
		{ IBV_WR_RDMA_WRITE, WIN_OFF - 1, 16, "WRITE starting before" },
		{ IBV_WR_RDMA_WRITE, WIN_OFF + 4096 - 8, 16, "WRITE past the end" },
		{ IBV_WR_RDMA_READ, WIN_OFF + 4096, 1, "READ just past the end" },
		{ IBV_WR_RDMA_READ, WIN_OFF, 4097, "READ one byte too long" },
		{ IBV_WR_ATOMIC_FETCH_AND_ADD, WIN_OFF, 8,
		  "atomic without the right" },
	};
	struct ibv_mw *mw1 = alloc_mw(pd, IBV_MW_TYPE_1);
	struct ibv_mw *mw2 = alloc_mw(pd, IBV_MW_TYPE_2);
	unsigned int i, t;

	for (t = 0; t < 2; t++) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			unsigned int access = IBV_ACCESS_REMOTE_WRITE |
					      IBV_ACCESS_REMOTE_READ;
			struct ibv_mw *mw = t ? mw2 : mw1;
			char what[128];
			struct conn c;

			conn_open(&c);
			if (t)
				bind2(&c, mw, r_mr, r_addr(WIN_OFF), 4096,
				      access, IBV_WC_SUCCESS, "bind");
			else
				bind1(&c, mw, r_mr, r_addr(WIN_OFF), 4096,
				      access, IBV_WC_SUCCESS, "bind");
			/* Inside, it works. */
			expect_rdma(&c.a, cases[i].op == IBV_WR_RDMA_WRITE ?
				    IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ, 0,
				    64, r_addr(WIN_OFF), mw->rkey,
				    IBV_WC_SUCCESS, "inside the window");
			snprintf(what, sizeof(what), "type %d: %s", t + 1,
				 cases[i].what);
			expect_rdma(&c.a, cases[i].op, 0, cases[i].len,
				    r_addr(cases[i].off), mw->rkey,
				    IBV_WC_REM_ACCESS_ERR, what);
			CHECK(wait_qp_state(c.b.qp, IBV_QPS_ERR, 30) ==
			      IBV_QPS_ERR, "%s: the responder is not in ERR",
			      what);
			conn_close(&c);
			/* The type 2 window is still bound to the dead QP. */
			if (t) {
				dealloc_mw(mw2);
				mw2 = alloc_mw(pd, IBV_MW_TYPE_2);
			}
		}
	}
	/*
	 * A read-only window refuses writes; the MR's own key, which is its
	 * rkey too, grants no remote rights.
	 */
	{
		struct conn c;

		conn_open(&c);
		bind2(&c, mw2, r_mr, r_addr(WIN_OFF), 4096,
		      IBV_ACCESS_REMOTE_READ, IBV_WC_SUCCESS, "read-only bind");
		expect_rdma(&c.a, IBV_WR_RDMA_WRITE, 0, 16, r_addr(WIN_OFF),
			    mw2->rkey, IBV_WC_REM_ACCESS_ERR,
			    "WRITE through a read-only window");
		conn_close(&c);
		conn_open(&c);
		expect_rdma(&c.a, IBV_WR_RDMA_READ, 0, 16, r_addr(WIN_OFF),
			    r_mr->lkey, IBV_WC_REM_ACCESS_ERR,
			    "READ with the MR's own key (no remote rights)");
		conn_close(&c);
	}
	dealloc_mw(mw1);
	dealloc_mw(mw2);
}

/* A bind that must complete with IBV_WC_MW_BIND_ERR, on a fresh pair. */
static void expect_bind_err(struct ibv_mw *mw, uint32_t rkey,
			    struct ibv_mr *mr, uint64_t addr, uint64_t len,
			    unsigned int access, const char *what)
{
	struct ibv_send_wr wr = bind_wr(mw, rkey, mr, addr, len, access);
	struct conn c;

	conn_open(&c);
	if (mw->type == IBV_MW_TYPE_1) {
		struct ibv_mw_bind b = {
			.wr_id = 0xb1, .send_flags = IBV_SEND_SIGNALED,
			.bind_info = wr.bind_mw.bind_info,
		};
		uint32_t old = mw->rkey;

		CHECK(ibv_bind_mw(c.b.qp, mw, &b) == 0, "%s: ibv_bind_mw",
		      what);
		/* Verbs leave undoing the new key to the application. */
		mw->rkey = old;
	} else {
		post_send(&c.b, &wr, what);
	}
	expect_wc(&c.b, 0xb1, IBV_WC_BIND_MW, IBV_WC_MW_BIND_ERR, what);
	CHECK(wait_qp_state(c.b.qp, IBV_QPS_ERR, 30) == IBV_QPS_ERR,
	      "%s: QP not in ERR", what);
	ok("%s: IBV_WC_MW_BIND_ERR", what);
	conn_close(&c);
}

static void expect_post_err(struct ibv_qp *qp, struct ibv_send_wr *wr,
			    int err, const char *what)
{
	struct ibv_send_wr *bad = NULL;
	int ret = ibv_post_send(qp, wr, &bad);

	CHECK(ret == err && bad == wr, "%s: ibv_post_send: %s, want %s", what,
	      strerror(ret), strerror(err));
	ok("%s: %s at posting", what, strerror(err));
}

static void test_binderr(void)
{
	unsigned int rw = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;
	struct ibv_mw *mw1 = alloc_mw(pd, IBV_MW_TYPE_1);
	struct ibv_mw *mw2 = alloc_mw(pd, IBV_MW_TYPE_2);
	struct ibv_mw *other = alloc_mw(pd2, IBV_MW_TYPE_2);
	struct ibv_mr *nobind, *ro;
	struct ibv_send_wr wr;
	struct conn c;
	int t;

	nobind = ibv_reg_mr(pd, l_buf, BUF_SIZE, IBV_ACCESS_LOCAL_WRITE);
	CHECK(nobind, "ibv_reg_mr: %s", strerror(errno));
	ro = ibv_reg_mr(pd, l_buf, BUF_SIZE, IBV_ACCESS_MW_BIND);
	CHECK(ro, "ibv_reg_mr: %s", strerror(errno));

	for (t = 1; t <= 2; t++) {
		struct ibv_mw *mw = t == 1 ? mw1 : mw2;
		char what[128];

		snprintf(what, sizeof(what), "type %d: MR without "
			 "IBV_ACCESS_MW_BIND", t);
		expect_bind_err(mw, ibv_inc_rkey(mw->rkey), nobind,
				(uintptr_t)l_buf, 4096, rw, what);
		snprintf(what, sizeof(what), "type %d: beyond the MR's end", t);
		expect_bind_err(mw, ibv_inc_rkey(mw->rkey), r_mr,
				r_addr(BUF_SIZE - 4096), 8192, rw, what);
		snprintf(what, sizeof(what), "type %d: before the MR's start",
			 t);
		expect_bind_err(mw, ibv_inc_rkey(mw->rkey), r_mr,
				r_addr(0) - 1, 16, rw, what);
		snprintf(what, sizeof(what), "type %d: writable window on an "
			 "MR without local write", t);
		expect_bind_err(mw, ibv_inc_rkey(mw->rkey), ro,
				(uintptr_t)l_buf, 4096,
				IBV_ACCESS_REMOTE_WRITE, what);
		snprintf(what, sizeof(what), "type %d: atomic window on an "
			 "MR without local write", t);
		expect_bind_err(mw, ibv_inc_rkey(mw->rkey), ro,
				(uintptr_t)l_buf, 4096,
				IBV_ACCESS_REMOTE_ATOMIC, what);
	}
	/* A read-only window on a read-only MR is fine. */
	conn_open(&c);
	bind2(&c, mw2, ro, (uintptr_t)l_buf, 4096, IBV_ACCESS_REMOTE_READ,
	      IBV_WC_SUCCESS, "read-only window on a read-only MR");
	ok("a read-only window on a read-only MR binds");
	conn_close(&c);
	dealloc_mw(mw2);
	mw2 = alloc_mw(pd, IBV_MW_TYPE_2);

	/* Type 2 specifics (o10-37.2): only from free, never zero-length. */
	expect_bind_err(mw2, ibv_inc_rkey(mw2->rkey), r_mr, r_addr(0), 0, rw,
			"type 2: zero-length bind");
	conn_open(&c);
	bind2(&c, mw2, r_mr, r_addr(0), 4096, rw, IBV_WC_SUCCESS, "bind");
	wr = bind_wr(mw2, ibv_inc_rkey(mw2->rkey), r_mr, r_addr(0), 4096, rw);
	post_send(&c.b, &wr, "rebind of a valid type 2 window");
	expect_wc(&c.b, 0xb1, IBV_WC_BIND_MW, IBV_WC_MW_BIND_ERR,
		  "rebind of a valid type 2 window");
	ok("type 2: rebind while bound: IBV_WC_MW_BIND_ERR");
	conn_close(&c);
	dealloc_mw(mw2);
	mw2 = alloc_mw(pd, IBV_MW_TYPE_2);

	/* C10-72: window, QP and MR in one PD. */
	expect_bind_err(other, ibv_inc_rkey(other->rkey), r_mr, r_addr(0),
			4096, rw, "a window of another PD");
	/* The consumer owns the key byte only. */
	expect_bind_err(mw2, ibv_inc_rkey(mw2->rkey) + 0x100, r_mr,
			r_addr(0), 4096, rw, "a new rkey with another index");

	/* What the provider refuses at once. */
	conn_open(&c);
	wr = bind_wr(mw1, ibv_inc_rkey(mw1->rkey), r_mr, r_addr(0), 4096, rw);
	expect_post_err(c.b.qp, &wr, EINVAL,
			"a type 1 window through ibv_post_send");
	wr = bind_wr(mw2, ibv_inc_rkey(mw2->rkey), r_mr, r_addr(0), 4096,
		     rw | IBV_ACCESS_ZERO_BASED);
	expect_post_err(c.b.qp, &wr, EOPNOTSUPP,
			"a zero-based type 2 window (not supported)");
	wr = bind_wr(mw2, ibv_inc_rkey(mw2->rkey), r_mr, r_addr(0), 4096,
		     rw | IBV_ACCESS_MW_BIND);
	expect_post_err(c.b.qp, &wr, EINVAL, "a window with MW_BIND access");
	{
		struct ibv_mw_bind b = {
			.bind_info = { .mr = r_mr, .addr = r_addr(0),
				       .length = 16,
				       .mw_access_flags = rw |
						IBV_ACCESS_ZERO_BASED },
		};
		uint32_t old = mw1->rkey;

		CHECK(ibv_bind_mw(c.b.qp, mw1, &b) == EINVAL &&
		      mw1->rkey == old,
		      "ibv_bind_mw of a zero-based type 1 window");
		ok("ibv_bind_mw of a zero-based type 1 window: EINVAL "
		   "(o10-36.2.2)");
	}
	wr = bind_wr(NULL, 0, r_mr, r_addr(0), 4096, rw);
	expect_post_err(c.b.qp, &wr, EINVAL, "no window");
	{
		struct ibv_mw_bind b = {
			.bind_info = { .mr = r_mr, .addr = r_addr(0),
				       .length = 16, .mw_access_flags = rw },
		};

		CHECK(ibv_bind_mw(c.b.qp, mw2, &b) == EINVAL,
		      "ibv_bind_mw of a type 2 window");
		ok("ibv_bind_mw of a type 2 window: EINVAL");
	}
	CHECK(qp_state(c.b.qp) == IBV_QPS_RTS, "refused posts changed the QP");
	conn_close(&c);

	CHECK(ibv_dereg_mr(ro) == 0, "dereg");
	CHECK(ibv_dereg_mr(nobind) == 0, "dereg");
	dealloc_mw(mw1);
	dealloc_mw(mw2);
	dealloc_mw(other);
}

static void test_localinv(void)
{
	struct ibv_mw *mw = alloc_mw(pd, IBV_MW_TYPE_2);
	struct ibv_mw *mw1 = alloc_mw(pd, IBV_MW_TYPE_1);
	uint32_t rkey;
	struct conn c;
	int round;

	for (round = 0; round < 2; round++) {
		conn_open(&c);
		rkey = bind2(&c, mw, r_mr, r_addr(WIN_OFF), 4096,
			     IBV_ACCESS_REMOTE_WRITE, IBV_WC_SUCCESS, "bind");
		expect_rdma(&c.a, IBV_WR_RDMA_WRITE, 0, 64, r_addr(WIN_OFF),
			    rkey, IBV_WC_SUCCESS, "WRITE through the window");
		local_inv(&c.b, rkey, 0, IBV_WC_SUCCESS, "LOCAL_INV");
		/* The next round binds the free window again. */
		ok("round %d: LOCAL_INV of the window: IBV_WC_LOCAL_INV",
		   round);
		expect_rdma(&c.a, IBV_WR_RDMA_WRITE, 0, 64, r_addr(WIN_OFF),
			    rkey, IBV_WC_REM_ACCESS_ERR,
			    "WRITE after LOCAL_INV");
		conn_close(&c);
	}

	conn_open(&c);
	local_inv(&c.b, rkey, 0, IBV_WC_LOC_QP_OP_ERR,
		  "LOCAL_INV of a free window");
	ok("LOCAL_INV of a window already invalid: IBV_WC_LOC_QP_OP_ERR");
	conn_close(&c);

	conn_open(&c);
	bind1(&c, mw1, r_mr, r_addr(WIN_OFF), 4096, IBV_ACCESS_REMOTE_READ,
	      IBV_WC_SUCCESS, "type 1 bind");
	local_inv(&c.b, mw1->rkey, 0, IBV_WC_LOC_QP_OP_ERR,
		  "LOCAL_INV of a type 1 window");
	ok("LOCAL_INV of a type 1 window: IBV_WC_LOC_QP_OP_ERR");
	conn_close(&c);
	/* The type 1 window is unharmed. */
	conn_open(&c);
	expect_rdma(&c.a, IBV_WR_RDMA_READ, 0, 64, r_addr(WIN_OFF), mw1->rkey,
		    IBV_WC_SUCCESS, "READ through the type 1 window after");
	conn_close(&c);

	conn_open(&c);
	local_inv(&c.b, l_mr->lkey, 0, IBV_WC_LOC_QP_OP_ERR,
		  "LOCAL_INV of an MR's key");
	ok("LOCAL_INV of a registered MR's key: IBV_WC_LOC_QP_OP_ERR");
	conn_close(&c);
	conn_open(&c);
	local_inv(&c.b, 0x00ffff00, 0, IBV_WC_LOC_QP_OP_ERR,
		  "LOCAL_INV of an unknown key");
	ok("LOCAL_INV of an unknown key: IBV_WC_LOC_QP_OP_ERR");
	conn_close(&c);
	dealloc_mw(mw);
	dealloc_mw(mw1);
}

static void test_fence(void)
{
	struct ibv_mw *mw = alloc_mw(pd, IBV_MW_TYPE_2);
	enum { LEN = 256 * 1024 };
	struct ibv_sge sge = { .addr = (uintptr_t)l_buf, .length = LEN,
			       .lkey = l_mr->lkey };
	struct ibv_send_wr wrs[2] = {
		{ .wr_id = 0x4d, .sg_list = &sge, .num_sge = 1,
		  .opcode = IBV_WR_RDMA_READ, .send_flags = IBV_SEND_SIGNALED },
		{ .wr_id = 0x1a, .opcode = IBV_WR_LOCAL_INV,
		  .send_flags = IBV_SEND_SIGNALED | IBV_SEND_FENCE },
	};
	uint32_t rkey;
	struct conn c;

	conn_open(&c);
	rkey = bind2(&c, mw, r_mr, r_addr(0), LEN, IBV_ACCESS_REMOTE_READ,
		     IBV_WC_SUCCESS, "bind");
	fill(r_buf, LEN, 9);
	memset(l_buf, 0, LEN);
	wrs[0].next = &wrs[1];
	wrs[0].wr.rdma.remote_addr = r_addr(0);
	wrs[0].wr.rdma.rkey = rkey;
	wrs[1].invalidate_rkey = rkey;
	/* Any QP of the window's PD may invalidate it locally. */
	post_send(&c.a, wrs, "READ + fenced LOCAL_INV");
	expect_wc(&c.a, 0x4d, IBV_WC_RDMA_READ, IBV_WC_SUCCESS,
		  "the READ before the fence");
	expect_wc(&c.a, 0x1a, IBV_WC_LOCAL_INV, IBV_WC_SUCCESS,
		  "the fenced LOCAL_INV");
	CHECK(same(l_buf, r_buf, LEN), "read data differ");
	ok("a 256 KiB READ then a fenced LOCAL_INV of its window: the read "
	   "completes whole, then the invalidation");
	expect_rdma(&c.a, IBV_WR_RDMA_READ, 0, 64, r_addr(0), rkey,
		    IBV_WC_REM_ACCESS_ERR, "READ after the invalidation");
	conn_close(&c);
	dealloc_mw(mw);
}

/* SEND_WITH_INV of rkey from a to b; returns b's receive completion. */
static void send_inv(struct conn *c, uint32_t rkey, bool wr_api,
		     struct ibv_wc *rwc)
{
	struct ibv_sge sge = { .addr = (uintptr_t)l_buf, .length = 100,
			       .lkey = l_mr->lkey };
	struct ibv_send_wr wr = {
		.wr_id = 0x51, .sg_list = &sge, .num_sge = 1,
		.opcode = IBV_WR_SEND_WITH_INV,
		.send_flags = IBV_SEND_SIGNALED, .invalidate_rkey = rkey,
	};

	post_recv(&c->b, 0x52, r_buf + BUF_SIZE - 4096, 4096, "recv");
	if (wr_api) {
		struct ibv_qp_ex *qpx = ibv_qp_to_qp_ex(c->a.qp);
		int ret;

		CHECK(qpx, "ibv_qp_to_qp_ex");
		ibv_wr_start(qpx);
		qpx->wr_id = 0x51;
		qpx->wr_flags = IBV_SEND_SIGNALED;
		ibv_wr_send_inv(qpx, rkey);
		ibv_wr_set_sge(qpx, l_mr->lkey, (uintptr_t)l_buf, 100);
		ret = ibv_wr_complete(qpx);
		CHECK(ret == 0, "ibv_wr_complete: %s", strerror(ret));
	} else {
		post_send(&c->a, &wr, "SEND_WITH_INV");
	}
	expect_wc(&c->a, 0x51, IBV_WC_SEND, IBV_WC_SUCCESS,
		  "the SEND_WITH_INV");
	poll_one(&c->b, rwc, "its receive");
	CHECK(rwc->wr_id == 0x52, "receive wr_id %llu",
	      (unsigned long long)rwc->wr_id);
}

static void test_sendinv(void)
{
	struct ibv_mw *mw = alloc_mw(pd, IBV_MW_TYPE_2);
	struct ibv_wc wc;
	uint32_t rkey;
	struct conn c;
	int round;

	for (round = 0; round < 2; round++) {
		const char *api = round ? "ibv_wr_send_inv" : "ibv_post_send";

		conn_open(&c);
		rkey = bind2(&c, mw, r_mr, r_addr(WIN_OFF), 4096,
			     IBV_ACCESS_REMOTE_WRITE, IBV_WC_SUCCESS, "bind");
		expect_rdma(&c.a, IBV_WR_RDMA_WRITE, 0, 64, r_addr(WIN_OFF),
			    rkey, IBV_WC_SUCCESS, "WRITE through the window");
		fill(l_buf, 100, 11);
		send_inv(&c, rkey, round, &wc);
		CHECK(wc.status == IBV_WC_SUCCESS && wc.opcode == IBV_WC_RECV,
		      "%s: receive %s, opcode %d", api, status_str(wc.status),
		      wc.opcode);
		CHECK(wc.byte_len == 100 &&
		      same(l_buf, r_buf + BUF_SIZE - 4096, 100),
		      "%s: %u bytes received", api, wc.byte_len);
		CHECK((wc.wc_flags & IBV_WC_WITH_INV) &&
		      !(wc.wc_flags & IBV_WC_WITH_IMM),
		      "%s: wc_flags %#x", api, wc.wc_flags);
		CHECK(wc.invalidated_rkey == rkey,
		      "%s: invalidated rkey %#x, want %#x", api,
		      wc.invalidated_rkey, rkey);
		ok("%s: SEND_WITH_INV received, IBV_WC_WITH_INV, rkey %#x",
		   api, rkey);
		expect_rdma(&c.a, IBV_WR_RDMA_WRITE, 0, 64, r_addr(WIN_OFF),
			    rkey, IBV_WC_REM_ACCESS_ERR,
			    "WRITE after the remote invalidation");
		conn_close(&c);
	}
	dealloc_mw(mw);
}

/* A SEND_WITH_INV the responder cannot carry out (IBA class J). */
static void expect_inv_fails(struct conn *c, uint32_t rkey, const char *what)
{
	struct ibv_wc wc;

	send_inv(c, rkey, false, &wc);
	CHECK(wc.status == IBV_WC_REM_INV_REQ_ERR, "%s: receive %s", what,
	      status_str(wc.status));
	CHECK(wait_qp_state(c->b.qp, IBV_QPS_ERR, 30) == IBV_QPS_ERR,
	      "%s: receiver not in ERR", what);
	ok("%s: sender acknowledged, receive IBV_WC_REM_INV_REQ_ERR, "
	   "receiver in ERR", what);
}

static void test_sendinv1(void)
{
	struct ibv_mw *mw1 = alloc_mw(pd, IBV_MW_TYPE_1);
	struct ibv_mw *mw2 = alloc_mw(pd, IBV_MW_TYPE_2);
	struct ibv_mr *rmr;
	uint32_t rkey;
	struct conn c, other;

	conn_open(&c);
	bind1(&c, mw1, r_mr, r_addr(WIN_OFF), 4096,
	      IBV_ACCESS_REMOTE_WRITE, IBV_WC_SUCCESS, "type 1 bind");
	expect_inv_fails(&c, mw1->rkey, "SEND_WITH_INV of a type 1 window");
	conn_close(&c);
	conn_open(&c);
	expect_rdma(&c.a, IBV_WR_RDMA_WRITE, 0, 64, r_addr(WIN_OFF), mw1->rkey,
		    IBV_WC_SUCCESS, "the type 1 window still works");
	conn_close(&c);

	/* A type 2 window bound through another QP. */
	conn_open(&other);
	rkey = bind2(&other, mw2, r_mr, r_addr(WIN_OFF), 4096,
		     IBV_ACCESS_REMOTE_WRITE, IBV_WC_SUCCESS, "bind");
	conn_open(&c);
	expect_inv_fails(&c, rkey, "SEND_WITH_INV of another QP's window");
	conn_close(&c);
	expect_rdma(&other.a, IBV_WR_RDMA_WRITE, 0, 64, r_addr(WIN_OFF), rkey,
		    IBV_WC_SUCCESS, "that window still works on its QP");
	conn_close(&other);

	/* An MR's rkey: registered memory cannot be invalidated. */
	rmr = ibv_reg_mr(pd, r_buf, 4096, IBV_ACCESS_LOCAL_WRITE |
			 IBV_ACCESS_REMOTE_WRITE);
	CHECK(rmr, "ibv_reg_mr: %s", strerror(errno));
	conn_open(&c);
	expect_inv_fails(&c, rmr->rkey, "SEND_WITH_INV of an MR's rkey");
	conn_close(&c);
	conn_open(&c);
	expect_rdma(&c.a, IBV_WR_RDMA_WRITE, 0, 64, (uintptr_t)r_buf,
		    rmr->rkey, IBV_WC_SUCCESS, "the MR still works");
	conn_close(&c);
	CHECK(ibv_dereg_mr(rmr) == 0, "dereg");

	conn_open(&c);
	expect_inv_fails(&c, 0x00fffe00, "SEND_WITH_INV of an unknown key");
	conn_close(&c);
	dealloc_mw(mw1);
	dealloc_mw(mw2);
}

static void test_dealloc(void)
{
	struct ibv_mw *mw2 = alloc_mw(pd, IBV_MW_TYPE_2);
	struct ibv_mw *mw1 = alloc_mw(pd, IBV_MW_TYPE_1);
	uint32_t rkey2, rkey1;
	struct conn c;

	conn_open(&c);
	rkey2 = bind2(&c, mw2, r_mr, r_addr(WIN_OFF), 4096,
		      IBV_ACCESS_REMOTE_WRITE, IBV_WC_SUCCESS, "bind");
	bind1(&c, mw1, r_mr, r_addr(WIN_OFF), 4096, IBV_ACCESS_REMOTE_WRITE,
	      IBV_WC_SUCCESS, "bind");
	rkey1 = mw1->rkey;
	expect_rdma(&c.a, IBV_WR_RDMA_WRITE, 0, 64, r_addr(WIN_OFF), rkey2,
		    IBV_WC_SUCCESS, "WRITE through the type 2 window");
	dealloc_mw(mw2);
	dealloc_mw(mw1);
	ok("bound windows of both types deallocated");
	expect_rdma(&c.a, IBV_WR_RDMA_WRITE, 0, 64, r_addr(WIN_OFF), rkey2,
		    IBV_WC_REM_ACCESS_ERR,
		    "WRITE through a deallocated type 2 window");
	conn_close(&c);
	conn_open(&c);
	expect_rdma(&c.a, IBV_WR_RDMA_WRITE, 0, 64, r_addr(WIN_OFF), rkey1,
		    IBV_WC_REM_ACCESS_ERR,
		    "WRITE through a deallocated type 1 window");
	conn_close(&c);
}

static void test_dereg(void)
{
	char *buf = aligned_alloc(4096, 8192);
	struct ibv_mw *mw1 = alloc_mw(pd, IBV_MW_TYPE_1);
	struct ibv_mw *mw2 = alloc_mw(pd, IBV_MW_TYPE_2);
	struct ibv_mr *mr;
	uint32_t rkey;
	struct conn c;
	int ret;

	CHECK(buf, "alloc");
	mr = ibv_reg_mr(pd, buf, 8192, IBV_ACCESS_LOCAL_WRITE |
			IBV_ACCESS_MW_BIND);
	CHECK(mr, "ibv_reg_mr: %s", strerror(errno));
	conn_open(&c);
	rkey = bind2(&c, mw2, mr, (uintptr_t)buf, 4096,
		     IBV_ACCESS_REMOTE_WRITE, IBV_WC_SUCCESS, "type 2 bind");
	bind1(&c, mw1, mr, (uintptr_t)buf + 4096, 4096,
	      IBV_ACCESS_REMOTE_READ, IBV_WC_SUCCESS, "type 1 bind");

	ret = ibv_dereg_mr(mr);
	CHECK(ret == EBUSY, "dereg with windows bound: %s", strerror(ret));
	ret = ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, NULL, 0,
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_MW_BIND |
			   IBV_ACCESS_REMOTE_READ);
	CHECK(ret != 0, "rereg with windows bound succeeded");
	ok("an MR with windows bound: dereg EBUSY, rereg fails");
	/* The MR and windows still work. */
	fill(l_buf, 64, 5);
	expect_rdma(&c.a, IBV_WR_RDMA_WRITE, 0, 64, (uintptr_t)buf, rkey,
		    IBV_WC_SUCCESS, "WRITE through its window after");
	CHECK(same(buf, l_buf, 64), "data differ");

	local_inv(&c.b, rkey, 0, IBV_WC_SUCCESS, "invalidate the type 2");
	ret = ibv_dereg_mr(mr);
	CHECK(ret == EBUSY, "dereg with a type 1 window bound: %s",
	      strerror(ret));
	ok("still EBUSY with the type 1 window bound");
	bind1(&c, mw1, NULL, 0, 0, 0, IBV_WC_SUCCESS, "unbind the type 1");
	ret = ibv_dereg_mr(mr);
	CHECK(ret == 0, "dereg with no window bound: %s", strerror(ret));
	ok("dereg once the windows were invalidated and unbound");

	/* Deallocation unbinds too. */
	mr = ibv_reg_mr(pd, buf, 8192, IBV_ACCESS_LOCAL_WRITE |
			IBV_ACCESS_MW_BIND);
	CHECK(mr, "ibv_reg_mr: %s", strerror(errno));
	bind1(&c, mw1, mr, (uintptr_t)buf, 4096, IBV_ACCESS_REMOTE_READ,
	      IBV_WC_SUCCESS, "bind again");
	CHECK(ibv_dereg_mr(mr) == EBUSY, "dereg: not EBUSY");
	dealloc_mw(mw1);
	CHECK(ibv_dereg_mr(mr) == 0, "dereg after dealloc");
	ok("dereg once the window was deallocated");
	conn_close(&c);
	dealloc_mw(mw2);
	free(buf);
}

static void test_wrapi(void)
{
	struct ibv_mw *mw = alloc_mw(pd, IBV_MW_TYPE_2);
	struct ibv_mw *mw1 = alloc_mw(pd, IBV_MW_TYPE_1);
	struct ibv_mw_bind_info info = {
		.mr = r_mr, .addr = r_addr(WIN_OFF), .length = 4096,
		.mw_access_flags = IBV_ACCESS_REMOTE_READ,
	};
	struct ibv_qp_ex *qpx;
	uint32_t rkey;
	struct conn c;
	int ret;

	conn_open(&c);
	qpx = ibv_qp_to_qp_ex(c.b.qp);
	CHECK(qpx, "ibv_qp_to_qp_ex");
	rkey = ibv_inc_rkey(mw->rkey);
	ibv_wr_start(qpx);
	qpx->wr_id = 0xb1;
	qpx->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_bind_mw(qpx, mw, rkey, &info);
	ret = ibv_wr_complete(qpx);
	CHECK(ret == 0, "ibv_wr_complete: %s", strerror(ret));
	expect_wc(&c.b, 0xb1, IBV_WC_BIND_MW, IBV_WC_SUCCESS,
		  "ibv_wr_bind_mw");
	expect_rdma(&c.a, IBV_WR_RDMA_READ, 0, 4096, r_addr(WIN_OFF), rkey,
		    IBV_WC_SUCCESS, "READ through a window ibv_wr_bind_mw bound");

	ibv_wr_start(qpx);
	qpx->wr_id = 0x1a;
	qpx->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_local_inv(qpx, rkey);
	ret = ibv_wr_complete(qpx);
	CHECK(ret == 0, "ibv_wr_complete: %s", strerror(ret));
	expect_wc(&c.b, 0x1a, IBV_WC_LOCAL_INV, IBV_WC_SUCCESS,
		  "ibv_wr_local_inv");
	expect_rdma(&c.a, IBV_WR_RDMA_READ, 0, 16, r_addr(WIN_OFF), rkey,
		    IBV_WC_REM_ACCESS_ERR, "READ after ibv_wr_local_inv");
	conn_close(&c);

	/* Type 1 windows are for ibv_bind_mw(): the batch fails whole. */
	conn_open(&c);
	qpx = ibv_qp_to_qp_ex(c.b.qp);
	ibv_wr_start(qpx);
	qpx->wr_id = 1;
	qpx->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_send(qpx);
	ibv_wr_set_sge(qpx, r_mr->lkey, (uintptr_t)r_buf, 8);
	ibv_wr_bind_mw(qpx, mw1, ibv_inc_rkey(mw1->rkey), &info);
	ret = ibv_wr_complete(qpx);
	CHECK(ret == EINVAL, "ibv_wr_bind_mw of a type 1 window: %s",
	      strerror(ret));
	ok("ibv_wr_bind_mw of a type 1 window: the batch fails with EINVAL");
	conn_close(&c);
	dealloc_mw(mw);
	dealloc_mw(mw1);
}

/*
 * Work requests the provider would refuse, written into the send ring
 * behind its back: the kernel checks them again.  A good bind is posted
 * in SQD, where the kernel takes nothing from the ring, then rewritten in
 * place before the QP goes back to RTS.
 */
static void raw_bind(struct ibv_mw *mw, void (*spoil)(struct pinrxe_send_wqe *),
		     enum ibv_wc_status want, const char *what)
{
	struct ibv_send_wr wr = bind_wr(mw, ibv_inc_rkey(mw->rkey), r_mr,
					r_addr(0), 4096,
					IBV_ACCESS_REMOTE_READ);
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_SQD };
	struct pinrxe_send_wqe *wqe;
	struct pinrxe_wq *sq;
	struct conn c;

	conn_open(&c);
	modify(c.b.qp, &a, IBV_QP_STATE, "SQD");
	post_send(&c.b, &wr, what);
	sq = &to_pqp(c.b.qp)->sq;
	wqe = (void *)((char *)sq->ring + PINRXE_RING_HDR_SIZE +
		       (size_t)((sq->prod - 1) & (sq->num_wqe - 1)) *
		       sq->wqe_size);
	spoil(wqe);
	/* Back in RTS the kernel takes what waits in the ring. */
	a.qp_state = IBV_QPS_RTS;
	modify(c.b.qp, &a, IBV_QP_STATE, "RTS");
	expect_wc(&c.b, 0xb1, IBV_WC_BIND_MW, want, what);
	ok("%s: %s", what, status_str(want));
	conn_close(&c);
}

static void spoil_zero_based(struct pinrxe_send_wqe *wqe)
{
	wqe->wr.bind_mw.access |= IBV_ACCESS_ZERO_BASED;
}

static void spoil_access(struct pinrxe_send_wqe *wqe)
{
	wqe->wr.bind_mw.access |= IBV_ACCESS_MW_BIND;
}

static void spoil_length(struct pinrxe_send_wqe *wqe)
{
	wqe->wr.bind_mw.length = UINT64_MAX;
}

static void spoil_sge(struct pinrxe_send_wqe *wqe)
{
	wqe->num_sge = 1;
	wqe->sge[0] = (struct pinrxe_sge){ .addr = (uintptr_t)l_buf,
					   .length = 8, .lkey = l_mr->lkey };
}

static void spoil_mw_rkey(struct pinrxe_send_wqe *wqe)
{
	wqe->wr.bind_mw.mw_rkey ^= 0x80;
}

static struct ibv_mw *raw_mw1;

static void spoil_type1(struct pinrxe_send_wqe *wqe)
{
	wqe->wr.bind_mw.mw_rkey = raw_mw1->rkey;
	wqe->wr.bind_mw.rkey = ibv_inc_rkey(raw_mw1->rkey);
}

static void test_raw(void)
{
	struct ibv_mw *mw = alloc_mw(pd, IBV_MW_TYPE_2);
	struct ibv_mw *mw1 = alloc_mw(pd, IBV_MW_TYPE_1);

	raw_mw1 = mw1;

	raw_bind(mw, spoil_zero_based, IBV_WC_MW_BIND_ERR,
		 "a zero-based window, written to the ring");
	raw_bind(mw, spoil_access, IBV_WC_MW_BIND_ERR,
		 "MW_BIND access for a window, written to the ring");
	raw_bind(mw, spoil_length, IBV_WC_MW_BIND_ERR,
		 "a window 2^64 - 1 bytes long, written to the ring");
	raw_bind(mw, spoil_mw_rkey, IBV_WC_MW_BIND_ERR,
		 "a window's stale rkey, written to the ring");
	raw_bind(mw, spoil_sge, IBV_WC_LOC_QP_OP_ERR,
		 "a bind with an SGE, written to the ring");
	/* Both bind work requests: the kernel cannot tell them apart. */
	raw_bind(mw, spoil_type1, IBV_WC_SUCCESS,
		 "a type 1 window bound by a work request written to the ring");
	dealloc_mw(mw);
	dealloc_mw(mw1);
}

static void test_cqex(void)
{
	struct ibv_mw *mw = alloc_mw(pd, IBV_MW_TYPE_2);
	struct ibv_poll_cq_attr pa = {};
	struct ibv_cq_ex *cqx;
	uint32_t rkey;
	double end;
	struct conn c;
	int ret;

	conn_open_cq(&c, false, true);
	cqx = c.b.cqx;
	rkey = bind2(&c, mw, r_mr, r_addr(WIN_OFF), 4096,
		     IBV_ACCESS_REMOTE_WRITE, IBV_WC_SUCCESS,
		     "bind (completion polled with ibv_poll_cq)");
	post_recv(&c.b, 0x52, r_buf + BUF_SIZE - 4096, 4096, "recv");
	{
		struct ibv_sge sge = { .addr = (uintptr_t)l_buf, .length = 10,
				       .lkey = l_mr->lkey };
		struct ibv_send_wr wr = {
			.wr_id = 0x51, .sg_list = &sge, .num_sge = 1,
			.opcode = IBV_WR_SEND_WITH_INV,
			.send_flags = IBV_SEND_SIGNALED,
			.invalidate_rkey = rkey,
		};

		post_send(&c.a, &wr, "SEND_WITH_INV");
	}
	expect_wc(&c.a, 0x51, IBV_WC_SEND, IBV_WC_SUCCESS, "SEND_WITH_INV");

	end = now() + 20;
	while ((ret = ibv_start_poll(cqx, &pa)) == ENOENT) {
		CHECK(now() < end, "no completion on the extended CQ");
		usleep(500);
	}
	CHECK(ret == 0, "ibv_start_poll: %s", strerror(ret));
	CHECK(cqx->wr_id == 0x52 && cqx->status == IBV_WC_SUCCESS,
	      "wr_id %llu status %s", (unsigned long long)cqx->wr_id,
	      status_str(cqx->status));
	CHECK(ibv_wc_read_opcode(cqx) == IBV_WC_RECV, "opcode %d",
	      ibv_wc_read_opcode(cqx));
	CHECK(ibv_wc_read_wc_flags(cqx) & IBV_WC_WITH_INV, "wc_flags %#x",
	      ibv_wc_read_wc_flags(cqx));
	CHECK(ibv_wc_read_invalidated_rkey(cqx) == rkey,
	      "invalidated rkey %#x, want %#x",
	      ibv_wc_read_invalidated_rkey(cqx), rkey);
	CHECK(ibv_wc_read_byte_len(cqx) == 10, "byte_len %u",
	      ibv_wc_read_byte_len(cqx));
	CHECK(ibv_wc_read_qp_num(cqx) == c.b.qp->qp_num, "qp_num");
	CHECK(ibv_next_poll(cqx) == ENOENT, "more completions");
	ibv_end_poll(cqx);
	ok("extended CQ: IBV_WC_RECV with IBV_WC_WITH_INV, "
	   "ibv_wc_read_invalidated_rkey() %#x", rkey);

	local_inv(&c.b, rkey, 0, IBV_WC_LOC_QP_OP_ERR,
		  "LOCAL_INV of the invalidated window (ibv_poll_cq)");
	conn_close(&c);
	dealloc_mw(mw);
}

/* Post an ATOMIC_WRITE of @value to @raddr under @rkey with ibv_wr_*(). */
static void atomic_write(struct side *s, uint64_t wr_id, uint32_t rkey,
			 uint64_t raddr, uint64_t value)
{
	struct ibv_qp_ex *qpx = ibv_qp_to_qp_ex(s->qp);
	int ret;

	CHECK(qpx, "ibv_qp_to_qp_ex");
	ibv_wr_start(qpx);
	qpx->wr_id = wr_id;
	qpx->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_atomic_write(qpx, rkey, raddr, &value);
	ret = ibv_wr_complete(qpx);
	CHECK(ret == 0, "ibv_wr_complete of an atomic write: %s",
	      strerror(ret));
}

/* The one completion of @s's extended CQ: its status and opcode. */
static void expect_wc_ex(struct side *s, uint64_t wr_id,
			 enum ibv_wc_status status, enum ibv_wc_opcode op,
			 const char *what)
{
	struct ibv_poll_cq_attr pa = {};
	double end = now() + 20;
	int ret;

	while ((ret = ibv_start_poll(s->cqx, &pa)) == ENOENT) {
		CHECK(now() < end, "%s: no completion on the extended CQ",
		      what);
		usleep(500);
	}
	CHECK(ret == 0, "%s: ibv_start_poll: %s", what, strerror(ret));
	CHECK(s->cqx->wr_id == wr_id && s->cqx->status == status,
	      "%s: wr_id %#llx status %s, want %#llx %s", what,
	      (unsigned long long)s->cqx->wr_id, status_str(s->cqx->status),
	      (unsigned long long)wr_id, status_str(status));
	if (status == IBV_WC_SUCCESS)
		CHECK(ibv_wc_read_opcode(s->cqx) == op, "%s: opcode %d, want %d",
		      what, ibv_wc_read_opcode(s->cqx), op);
	CHECK(ibv_wc_read_qp_num(s->cqx) == s->qp->qp_num, "%s: qp_num",
	      what);
	CHECK(ibv_next_poll(s->cqx) == ENOENT, "%s: more completions", what);
	ibv_end_poll(s->cqx);
}

static void test_atomicw(void)
{
	const uint64_t v2 = 0x0123456789abcdefULL, v1 = 0xfedcba9876543210ULL;
	struct ibv_mw *mw1 = alloc_mw(pd, IBV_MW_TYPE_1);
	struct ibv_mw *mw2 = alloc_mw(pd, IBV_MW_TYPE_2);
	uint64_t *word2 = (uint64_t *)(r_buf + WIN_OFF + 64);
	uint64_t *word1 = (uint64_t *)(r_buf + WIN_OFF + 4096 + 8);
	uint32_t rkey;
	struct conn c;

	*word1 = 0;
	*word2 = 0;
	conn_open_cq(&c, true, false);
	rkey = bind2(&c, mw2, r_mr, r_addr(WIN_OFF), 4096,
		     IBV_ACCESS_REMOTE_WRITE, IBV_WC_SUCCESS, "type 2 bind");
	atomic_write(&c.a, 0xa2, rkey, r_addr(WIN_OFF + 64), v2);
	expect_wc_ex(&c.a, 0xa2, IBV_WC_SUCCESS, IBV_WC_ATOMIC_WRITE,
		     "atomic write through a type 2 window");
	CHECK(*word2 == v2, "the word is %#llx, want %#llx",
	      (unsigned long long)*word2, (unsigned long long)v2);
	ok("ATOMIC_WRITE through a type 2 window: IBV_WC_ATOMIC_WRITE on "
	   "the extended CQ, 8 bytes placed");

	bind1(&c, mw1, r_mr, r_addr(WIN_OFF + 4096), 4096,
	      IBV_ACCESS_REMOTE_WRITE, IBV_WC_SUCCESS, "type 1 bind");
	atomic_write(&c.a, 0xa1, mw1->rkey, r_addr(WIN_OFF + 4096 + 8), v1);
	expect_wc_ex(&c.a, 0xa1, IBV_WC_SUCCESS, IBV_WC_ATOMIC_WRITE,
		     "atomic write through a type 1 window");
	CHECK(*word1 == v1, "the word is %#llx, want %#llx",
	      (unsigned long long)*word1, (unsigned long long)v1);
	ok("ATOMIC_WRITE through a type 1 window");

	/* The window grants no write: the responder refuses, the QP fails. */
	bind1(&c, mw1, r_mr, r_addr(WIN_OFF + 4096), 4096,
	      IBV_ACCESS_REMOTE_READ, IBV_WC_SUCCESS, "read-only rebind");
	atomic_write(&c.a, 0xa0, mw1->rkey, r_addr(WIN_OFF + 4096 + 8), 0);
	expect_wc_ex(&c.a, 0xa0, IBV_WC_REM_ACCESS_ERR, 0,
		     "atomic write through a read-only window");
	CHECK(*word1 == v1, "the word changed to %#llx",
	      (unsigned long long)*word1);
	ok("ATOMIC_WRITE through a read-only window: IBV_WC_REM_ACCESS_ERR, "
	   "nothing written");
	conn_close(&c);
	dealloc_mw(mw1);
	dealloc_mw(mw2);
}

/*
 * Bind windows of both types to an MR registered after them, so that
 * ib_core's teardown of the context meets the MR first and has to come
 * back to it once the windows are gone; then exit without cleaning up, or
 * (hold) create a file and wait for the device to be removed.
 */
static int leave_bound(const char *ready)
{
	struct ibv_mw *mw1 = alloc_mw(pd, IBV_MW_TYPE_1);
	struct ibv_mw *mw2 = alloc_mw(pd, IBV_MW_TYPE_2);
	struct ibv_mr *mr;
	struct conn c;
	FILE *f;

	mr = ibv_reg_mr(pd, r_buf, 8192, IBV_ACCESS_LOCAL_WRITE |
			IBV_ACCESS_MW_BIND);
	CHECK(mr, "ibv_reg_mr: %s", strerror(errno));
	conn_open(&c);
	bind2(&c, mw2, mr, r_addr(0), 4096, IBV_ACCESS_REMOTE_WRITE,
	      IBV_WC_SUCCESS, "type 2 bind");
	bind1(&c, mw1, mr, r_addr(4096), 4096, IBV_ACCESS_REMOTE_READ,
	      IBV_WC_SUCCESS, "type 1 bind");
	CHECK(ibv_dereg_mr(mr) == EBUSY, "dereg not EBUSY");
	if (!ready) {
		ok("exiting with windows of both types bound");
		_exit(0);
	}
	f = fopen(ready, "w");
	CHECK(f, "create %s", ready);
	fclose(f);
	printf("holding windows of both types bound\n");
	wait_device_fatal(ctx);
	ok("device fatal with windows bound");
	_exit(0);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} tests[] = {
		{ "caps", test_caps }, { "type1", test_type1 },
		{ "type2", test_type2 }, { "outside", test_outside },
		{ "binderr", test_binderr }, { "localinv", test_localinv },
		{ "fence", test_fence }, { "sendinv", test_sendinv },
		{ "sendinv1", test_sendinv1 }, { "dealloc", test_dealloc },
		{ "dereg", test_dereg }, { "wrapi", test_wrapi },
		{ "cqex", test_cqex }, { "atomicw", test_atomicw },
		{ "raw", test_raw },
	};
	struct ibv_device **list;
	int i, n;

	if (argc < 3) {
		fprintf(stderr, "usage: %s DEV TEST...\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	list = ibv_get_device_list(&n);
	CHECK(list, "ibv_get_device_list: %s", strerror(errno));
	for (i = 0; i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), argv[1]))
			ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	CHECK(ctx, "cannot open %s", argv[1]);
	CHECK(ibv_query_port(ctx, 1, &pattr) == 0, "ibv_query_port");
	sgid_index = roce_v2_ipv4_gid(ctx, &gid);
	CHECK(sgid_index >= 0, "%s has no RoCEv2 IPv4 GID", argv[1]);

	pd = ibv_alloc_pd(ctx);
	pd2 = ibv_alloc_pd(ctx);
	CHECK(pd && pd2, "ibv_alloc_pd: %s", strerror(errno));
	l_buf = aligned_alloc(4096, BUF_SIZE);
	r_buf = aligned_alloc(4096, BUF_SIZE);
	CHECK(l_buf && r_buf, "alloc");
	memset(l_buf, 0, BUF_SIZE);
	memset(r_buf, 0, BUF_SIZE);
	l_mr = ibv_reg_mr(pd, l_buf, BUF_SIZE, IBV_ACCESS_LOCAL_WRITE);
	CHECK(l_mr, "ibv_reg_mr: %s", strerror(errno));
	/* No remote rights of its own: remote access only through windows. */
	r_mr = ibv_reg_mr(pd, r_buf, BUF_SIZE, IBV_ACCESS_LOCAL_WRITE |
			  IBV_ACCESS_MW_BIND);
	CHECK(r_mr, "ibv_reg_mr with IBV_ACCESS_MW_BIND: %s", strerror(errno));

	if (!strcmp(argv[2], "exit"))
		return leave_bound(NULL);
	if (!strcmp(argv[2], "hold")) {
		CHECK(argc == 4, "hold FILE");
		return leave_bound(argv[3]);
	}
	for (i = 2; i < argc; i++) {
		size_t t;

		for (t = 0; t < sizeof(tests) / sizeof(tests[0]); t++)
			if (!strcmp(argv[i], tests[t].name))
				break;
		CHECK(t < sizeof(tests) / sizeof(tests[0]), "no test %s",
		      argv[i]);
		printf("== %s\n", argv[i]);
		tests[t].fn();
	}

	CHECK(ibv_dereg_mr(l_mr) == 0, "ibv_dereg_mr");
	CHECK(ibv_dereg_mr(r_mr) == 0, "ibv_dereg_mr");
	CHECK(ibv_dealloc_pd(pd) == 0 && ibv_dealloc_pd(pd2) == 0,
	      "ibv_dealloc_pd");
	CHECK(ibv_close_device(ctx) == 0, "ibv_close_device");
	free(l_buf);
	free(r_buf);
	printf("all passed\n");
	return 0;
}
