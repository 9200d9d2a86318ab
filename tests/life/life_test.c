// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * life_test: object lifetimes under traffic between two RDMA devices
 * (pinrxe0 and pinrxe1 on the two ends of a veth pair).  The "victim" is
 * LOCAL_DEV, whose objects go away while PEER_DEV's RC stream targets
 * them; run by tests/cases/36-lifetimes.sh.
 *
 *   mr         the victim deregisters a pinned MR while the peer's RDMA
 *              WRITE, READ or SEND stream targets it
 *   odp        the same with an on-demand paging MR
 *   qp         the victim destroys its QP under the three streams
 *   cq         ibv_destroy_cq() of a CQ a QP uses fails with EBUSY; then
 *              the QP and the CQ go in quick succession under traffic
 *   initiator  the victim deregisters its own MR while its RDMA READs
 *              into it and WRITEs from it are in flight
 *   kill N SEED  N times: a child process moves data (it writes, reads,
 *              sends, or is the target of the peer's writes and reads,
 *              through a pinned or an ODP MR) and is killed with SIGKILL
 *              after a random delay drawn from SEED
 *   stream READY_FILE  traffic both ways until a device goes (DEVICE_FATAL
 *              or an error completion), then destroy everything; creates
 *              READY_FILE once every stream is under way.  For device,
 *              netdev and module removal under traffic.
 *
 * Each victim test checks that the peer gets error completions and never
 * hangs, that nothing changes the victim's buffer after the object is
 * gone (a canary written after dereg or destroy stays), and that the pins
 * (system-wide FOLL_PIN count and VmPin), the device's pinned_pages and
 * odp_mrs_live are back where they were.
 *
 * usage: life_test LOCAL_DEV PEER_DEV TEST...
 * Prints "ok: ..." per check; the first failure prints "FAIL: ..." and
 * exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <infiniband/verbs.h>

#include "../common/check.h"
#include "../common/verbs_util.h"
#include "../pin/pin_common.h"

#define RW (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
	    IBV_ACCESS_REMOTE_READ)
#define BUF_LEN		(256 * KiB)
#define MSG		(4 * KiB)
#define DEPTH		16
#define CANARY		0x5a

static struct side local, peer;

/*
 * A short retransmission timeout and few retries: a QP whose peer is gone
 * must fail within a second, not hang the test.
 */
static const struct rc_conn_params conn = {
	.mtu = IBV_MTU_1024, .rd_atomic = 16,
	.timeout = 12,		/* 4.096 us * 2^12: about 17 ms */
	.retry_cnt = 3, .rnr_retry = 3, .min_rnr_timer = 1,
	.access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ,
};

/* --- QPs and streams ----------------------------------------------------- */

/* An RC QP on @cq, every WR signaled, room for DEPTH * 4 receives. */
static struct ibv_qp *qp_make(struct side *s, struct ibv_cq *cq)
{
	struct ibv_qp_init_attr init = {
		.send_cq = cq, .recv_cq = cq,
		.cap = {
			.max_send_wr = DEPTH * 2, .max_recv_wr = DEPTH * 4,
			.max_send_sge = 1, .max_recv_sge = 1,
		},
		.qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
	};
	struct ibv_qp *qp = ibv_create_qp(s->pd, &init);

	CHECK(qp, "%s: ibv_create_qp: %s", s->name, strerror(errno));
	return qp;
}

static void qp_connect(struct side *s, struct ibv_qp *qp, uint32_t dest_qpn,
		       const union ibv_gid *dgid)
{
	const char *step = "?";
	int ret = rc_connect(qp, dest_qpn, dgid, s->gid_index, &conn, &step);

	CHECK(ret == 0, "%s: to %s: %s", s->name, step, strerror(ret));
}

/*
 * One direction of traffic: WRs of @op from @buf through @mr (the SEND's
 * receives are the other side's business) to @raddr/@rkey, at most DEPTH
 * outstanding, stopping at the first error.
 */
struct stream {
	const char *what;
	struct ibv_qp *qp;
	struct ibv_cq *cq;
	enum ibv_wr_opcode op;	/* or IBV_WR_RDMA_READ mixed with WRITE */
	bool mix;
	size_t msg;		/* bytes per WR; 0 for MSG */
	struct ibv_mr *mr;
	uint8_t *buf;
	uint64_t raddr;
	uint32_t rkey;
	uint64_t posted, completed, ok, errors;
	enum ibv_wc_status first_err;
	bool stopped;
};

static int stream_post(struct stream *st)
{
	size_t msg = st->msg ? st->msg : MSG;
	size_t off = st->posted * msg % BUF_LEN;
	enum ibv_wr_opcode op = st->op;
	struct ibv_sge sge = {
		.addr = (uintptr_t)st->buf + off, .length = msg,
		.lkey = st->mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = st->posted, .sg_list = &sge, .num_sge = 1,
	}, *bad;

	if (st->mix && st->posted % 2)
		op = op == IBV_WR_RDMA_READ ? IBV_WR_RDMA_WRITE :
					      IBV_WR_RDMA_READ;
	wr.opcode = op;
	if (op != IBV_WR_SEND) {
		wr.wr.rdma.remote_addr = st->raddr + off;
		wr.wr.rdma.rkey = st->rkey;
	}
	return ibv_post_send(st->qp, &wr, &bad);
}

/* Take one completion of the stream's own (send) queue. */
static void stream_complete(struct stream *st, const struct ibv_wc *wc)
{
	st->completed++;
	if (wc->status == IBV_WC_SUCCESS) {
		st->ok++;
		return;
	}
	if (!st->errors++)
		st->first_err = wc->status;
	st->stopped = true;
}

/* Keep DEPTH WRs outstanding unless stopped. */
static void stream_fill(struct stream *st)
{
	while (!st->stopped && st->posted - st->completed < DEPTH) {
		if (stream_post(st)) {
			st->stopped = true;
			return;
		}
		st->posted++;
	}
}

/*
 * Receives for SENDs: @n WRs of MSG bytes into @mr; returns how many the
 * QP took (it refuses them once it is in ERR, which is no failure here).
 */
static int post_recvs(struct ibv_qp *qp, struct ibv_mr *mr, uint8_t *buf,
		      int n)
{
	static uint64_t next;
	int i;

	for (i = 0; i < n; i++, next++) {
		struct ibv_sge sge = {
			.addr = (uintptr_t)buf + next * MSG % BUF_LEN,
			.length = MSG, .lkey = mr->lkey,
		};
		struct ibv_recv_wr wr = {
			.wr_id = UINT64_MAX, .sg_list = &sge, .num_sge = 1,
		}, *bad;

		if (ibv_post_recv(qp, &wr, &bad))
			break;
	}
	return i;
}

/*
 * Poll @cq: send completions go to @st, receive ones (wr_id UINT64_MAX)
 * are counted in @recvs and their errors in @recv_errs.  Returns how many.
 */
static int poll_into(struct ibv_cq *cq, struct stream *st, uint64_t *recvs,
		     uint64_t *recv_errs)
{
	struct ibv_wc wc[16];
	int n = ibv_poll_cq(cq, 16, wc), i;

	CHECK(n >= 0, "ibv_poll_cq: %d", n);
	for (i = 0; i < n; i++) {
		if (wc[i].wr_id == UINT64_MAX) {
			if (recvs)
				(*recvs)++;
			if (recv_errs && wc[i].status != IBV_WC_SUCCESS)
				(*recv_errs)++;
		} else {
			CHECK(st, "a send completion on a CQ with no stream");
			stream_complete(st, &wc[i]);
		}
	}
	return n;
}

static bool all_canary(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != CANARY)
			return false;
	return true;
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
	memset(p, 0x11, len);
	return p;
}

/* --- what must be back after each test ----------------------------------- */

struct baseline {
	long pins;
	uint64_t vm_pin;
};

static struct baseline baseline(void)
{
	return (struct baseline){ .pins = pins_quiescent(), .vm_pin = vm_pin() };
}

static void check_back_to(const char *what, struct baseline b)
{
	check_pins_back(what, b.pins, b.vm_pin);
	CHECK(WAIT_FOR(10, hw_counter(local.name, "pinned_pages") == 0),
	      "%s: %s pinned_pages %ld", what, local.name,
	      hw_counter(local.name, "pinned_pages"));
	CHECK(hw_counter(local.name, "odp_mrs_live") == 0,
	      "%s: %s odp_mrs_live %ld", what, local.name,
	      hw_counter(local.name, "odp_mrs_live"));
	ok("%s: pins and VmPin as before, no pinned page, no ODP MR left",
	   what);
}

static bool odp_rc_supported(struct ibv_context *ctx)
{
	const uint32_t need = IBV_ODP_SUPPORT_SEND | IBV_ODP_SUPPORT_RECV |
			      IBV_ODP_SUPPORT_WRITE | IBV_ODP_SUPPORT_READ;
	struct ibv_device_attr_ex attr = {};

	if (ibv_query_device_ex(ctx, NULL, &attr))
		return false;
	return (attr.odp_caps.general_caps & IBV_ODP_SUPPORT) &&
	       (attr.odp_caps.per_transport_caps.rc_odp_caps & need) == need;
}

static const char *op_name(enum ibv_wr_opcode op)
{
	return op == IBV_WR_RDMA_WRITE ? "WRITE" :
	       op == IBV_WR_RDMA_READ ? "READ" : "SEND";
}

/* --- the victim's object goes under the peer's stream -------------------- */

enum victim_kind { GO_MR, GO_ODP_MR, GO_QP, GO_CQ };

static const char *kind_name(enum victim_kind k)
{
	return k == GO_MR ? "dereg pinned MR" : k == GO_ODP_MR ?
	       "dereg ODP MR" : k == GO_QP ? "destroy QP" : "destroy QP+CQ";
}

/*
 * Run the peer's @op stream into the victim's buffer, let it get under
 * way, make the victim's object of @kind go, write the canary, and follow
 * the stream to its error: the peer must see one, within a minute.
 */
static void victim_case(enum victim_kind kind, enum ibv_wr_opcode op)
{
	char what[64];
	struct baseline b0;
	uint8_t *vbuf = map_anon(BUF_LEN), *pbuf = map_anon(BUF_LEN);
	struct ibv_cq *vcq;
	struct ibv_qp *vqp, *pqp;
	struct ibv_mr *vmr, *pmr;
	struct stream st = { .op = op };
	uint64_t recvs = 0, recv_errs = 0;
	double deadline;
	int pending = 0, ret;

	snprintf(what, sizeof(what), "%s under %s", kind_name(kind),
		 op_name(op));
	pmr = ibv_reg_mr(peer.pd, pbuf, BUF_LEN, RW);
	CHECK(pmr, "%s: peer's MR: %s", what, strerror(errno));
	b0 = baseline();
	vmr = ibv_reg_mr(local.pd, vbuf, BUF_LEN,
			 RW | (kind == GO_ODP_MR ? IBV_ACCESS_ON_DEMAND : 0));
	CHECK(vmr, "%s: victim's MR: %s", what, strerror(errno));
	vcq = ibv_create_cq(local.ctx, DEPTH * 8, NULL, NULL, 0);
	CHECK(vcq, "%s: victim's CQ: %s", what, strerror(errno));
	vqp = qp_make(&local, vcq);
	pqp = qp_make(&peer, peer.cq);
	qp_connect(&local, vqp, pqp->qp_num, &peer.gid);
	qp_connect(&peer, pqp, vqp->qp_num, &local.gid);
	if (op == IBV_WR_SEND)
		pending = post_recvs(vqp, vmr, vbuf, DEPTH * 4);

	st = (struct stream){ .what = what, .qp = pqp, .cq = peer.cq, .op = op,
			      .mr = pmr, .buf = pbuf,
			      .raddr = (uintptr_t)vbuf, .rkey = vmr->rkey };
	deadline = now() + 60;
	while (st.ok < 3 * DEPTH) {
		CHECK(now() < deadline && !st.stopped,
		      "%s: the stream did not get going (%llu ok, %s)", what,
		      (unsigned long long)st.ok,
		      st.errors ? ibv_wc_status_str(st.first_err) : "stalled");
		stream_fill(&st);
		poll_into(peer.cq, &st, NULL, NULL);
		if (op == IBV_WR_SEND) {
			uint64_t before = recvs;

			poll_into(vcq, NULL, &recvs, &recv_errs);
			pending -= recvs - before;
			pending += post_recvs(vqp, vmr, vbuf,
					      DEPTH * 4 - pending);
		}
	}
	stream_fill(&st);

	/* The object goes, WRs in flight. */
	switch (kind) {
	case GO_MR:
	case GO_ODP_MR:
		CHECK(ibv_dereg_mr(vmr) == 0, "%s: dereg: %s", what,
		      strerror(errno));
		vmr = NULL;
		break;
	case GO_CQ:
		ret = ibv_destroy_cq(vcq);
		CHECK(ret == EBUSY, "%s: destroying the CQ of a live QP gave "
		      "%d (%s), not EBUSY", what, ret, strerror(ret));
		/* fallthrough */
	case GO_QP:
		CHECK(ibv_destroy_qp(vqp) == 0, "%s: destroy QP", what);
		vqp = NULL;
		if (kind == GO_CQ) {
			CHECK(ibv_destroy_cq(vcq) == 0, "%s: destroy CQ",
			      what);
			vcq = NULL;
		}
		break;
	}
	memset(vbuf, CANARY, BUF_LEN);

	/* The peer keeps going until it fails, and must. */
	deadline = now() + 60;
	while (!st.stopped || st.completed < st.posted) {
		CHECK(now() < deadline, "%s: peer stream hangs: %llu posted, "
		      "%llu completed, %llu errors", what,
		      (unsigned long long)st.posted,
		      (unsigned long long)st.completed,
		      (unsigned long long)st.errors);
		stream_fill(&st);
		if (!poll_into(peer.cq, &st, NULL, NULL))
			usleep(1000);
		if (vcq)
			poll_into(vcq, NULL, &recvs, &recv_errs);
	}
	CHECK(st.errors, "%s: the peer's stream never failed", what);
	/* Late packets, retransmissions: give them time to land, wrongly. */
	usleep(300000);
	if (vcq)
		poll_into(vcq, NULL, &recvs, &recv_errs);
	CHECK(all_canary(vbuf, BUF_LEN),
	      "%s: the victim's buffer changed after the %s", what,
	      kind_name(kind));
	ok("%s: %llu transfers, then %s on the peer; the victim's buffer "
	   "untouched after", what, (unsigned long long)st.ok,
	   ibv_wc_status_str(st.first_err));

	CHECK(ibv_destroy_qp(pqp) == 0, "%s: destroy peer QP", what);
	if (vqp)
		CHECK(ibv_destroy_qp(vqp) == 0, "%s: destroy QP", what);
	if (vcq)
		CHECK(ibv_destroy_cq(vcq) == 0, "%s: destroy CQ", what);
	if (vmr)
		CHECK(ibv_dereg_mr(vmr) == 0, "%s: dereg", what);
	check_back_to(what, b0);
	CHECK(ibv_dereg_mr(pmr) == 0, "%s: dereg the peer's MR", what);
	munmap(vbuf, BUF_LEN);
	munmap(pbuf, BUF_LEN);
}

static void test_victim(enum victim_kind kind)
{
	static const enum ibv_wr_opcode ops[] = {
		IBV_WR_RDMA_WRITE, IBV_WR_RDMA_READ, IBV_WR_SEND,
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		victim_case(kind, ops[i]);
}

/* --- the initiator deregisters its own MR -------------------------------- */

static void test_initiator(void)
{
	const char *what = "dereg own MR under own READ+WRITE";
	uint8_t *vbuf = map_anon(BUF_LEN), *pbuf = map_anon(BUF_LEN);
	struct baseline b0;
	struct ibv_qp *vqp, *pqp;
	struct ibv_mr *vmr, *pmr;
	struct stream st;
	double deadline;

	pmr = ibv_reg_mr(peer.pd, pbuf, BUF_LEN, RW);
	CHECK(pmr, "%s: peer's MR: %s", what, strerror(errno));
	b0 = baseline();
	vmr = ibv_reg_mr(local.pd, vbuf, BUF_LEN, RW);
	CHECK(vmr, "%s: MR: %s", what, strerror(errno));
	vqp = qp_make(&local, local.cq);
	pqp = qp_make(&peer, peer.cq);
	qp_connect(&local, vqp, pqp->qp_num, &peer.gid);
	qp_connect(&peer, pqp, vqp->qp_num, &local.gid);

	st = (struct stream){ .what = what, .qp = vqp, .cq = local.cq,
			      .op = IBV_WR_RDMA_READ, .mix = true, .mr = vmr,
			      .msg = 64 * KiB, .buf = vbuf, .raddr = (uintptr_t)pbuf,
			      .rkey = pmr->rkey };
	deadline = now() + 60;
	while (st.ok < DEPTH) {
		CHECK(now() < deadline && !st.stopped,
		      "%s: the stream did not get going", what);
		stream_fill(&st);
		poll_into(local.cq, &st, NULL, NULL);
	}
	stream_fill(&st);
	CHECK(ibv_dereg_mr(vmr) == 0, "%s: dereg: %s", what, strerror(errno));
	memset(vbuf, CANARY, BUF_LEN);
	/* No more posting: the lkey is gone.  What was in flight completes. */
	st.stopped = true;
	deadline = now() + 60;
	while (st.completed < st.posted) {
		CHECK(now() < deadline, "%s: %llu of %llu WRs completed", what,
		      (unsigned long long)st.completed,
		      (unsigned long long)st.posted);
		if (!poll_into(local.cq, &st, NULL, NULL))
			usleep(1000);
	}
	usleep(300000);
	CHECK(all_canary(vbuf, BUF_LEN),
	      "%s: READ responses landed in the buffer after dereg", what);
	ok("%s: %llu WRs completed, %llu in error (first: %s); nothing "
	   "landed after dereg", what, (unsigned long long)st.completed,
	   (unsigned long long)st.errors,
	   st.errors ? ibv_wc_status_str(st.first_err) : "none");
	CHECK(ibv_destroy_qp(vqp) == 0, "%s: destroy QP", what);
	CHECK(ibv_destroy_qp(pqp) == 0, "%s: destroy peer QP", what);
	check_back_to(what, b0);
	CHECK(ibv_dereg_mr(pmr) == 0, "%s: dereg the peer's MR", what);
	munmap(vbuf, BUF_LEN);
	munmap(pbuf, BUF_LEN);
}

/* --- kill -9 at random moments ------------------------------------------- */

enum kill_role { CHILD_WRITES, CHILD_READS, CHILD_SENDS, CHILD_IS_TARGET,
		 NUM_ROLES };

static const char *const role_names[] = {
	"writer", "reader", "sender", "target",
};

/* What the child and the parent (the peer) tell each other. */
struct rendezvous {
	uint32_t child_qpn, parent_qpn;
	uint64_t child_addr, parent_addr;
	uint32_t child_rkey, parent_rkey;
	volatile int ready;	/* the child's MR and QP exist */
	volatile int go;	/* the parent's QP is connected */
	volatile long done;	/* the child's completed transfers */
};

/* The child: its own context, MR and QP; streams until SIGKILL. */
static void __attribute__((noreturn))
kill_child(struct rendezvous *rv, enum kill_role role, bool odp)
{
	struct side c = {};
	uint8_t *buf = map_anon(BUF_LEN);
	struct ibv_mr *mr;
	struct ibv_qp *qp;
	struct stream st;

	side_open(&c, local.name, DEPTH * 8);
	mr = ibv_reg_mr(c.pd, buf, BUF_LEN,
			RW | (odp ? IBV_ACCESS_ON_DEMAND : 0));
	CHECK(mr, "child: register: %s", strerror(errno));
	qp = qp_make(&c, c.cq);
	rv->child_qpn = qp->qp_num;
	rv->child_addr = (uintptr_t)buf;
	rv->child_rkey = mr->rkey;
	__atomic_store_n(&rv->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&rv->go, __ATOMIC_ACQUIRE))
		usleep(1000);
	qp_connect(&c, qp, rv->parent_qpn, &peer.gid);
	st = (struct stream){ .what = "child", .qp = qp, .cq = c.cq,
			      .mr = mr, .buf = buf, .raddr = rv->parent_addr,
			      .rkey = rv->parent_rkey };
	st.op = role == CHILD_WRITES ? IBV_WR_RDMA_WRITE :
		role == CHILD_READS ? IBV_WR_RDMA_READ : IBV_WR_SEND;
	for (;;) {
		if (role != CHILD_IS_TARGET)
			stream_fill(&st);
		if (poll_into(c.cq, &st, NULL, NULL))
			rv->done = st.ok;
		else
			usleep(500);
	}
}

static void kill_round(int round, uint64_t *rng, struct ibv_mr *pmr,
		       uint8_t *pbuf, bool odp_ok)
{
	struct rendezvous *rv = mmap(NULL, sizeof(*rv), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	enum kill_role role;
	struct ibv_qp *pqp;
	struct stream st;
	uint64_t recvs = 0;
	unsigned int delay_ms;
	int pending = 0, status;
	double deadline, kill_at;
	bool odp;
	pid_t pid;

	CHECK(rv != MAP_FAILED, "mmap rendezvous");
	/* xorshift64: the same seed gives the same rounds. */
	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	role = *rng % NUM_ROLES;
	odp = odp_ok && (*rng >> 8) % 2;
	delay_ms = (*rng >> 16) % 400;

	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0)
		kill_child(rv, role, odp);

	pqp = qp_make(&peer, peer.cq);
	deadline = now() + 60;
	while (!__atomic_load_n(&rv->ready, __ATOMIC_ACQUIRE)) {
		CHECK(now() < deadline && waitpid(pid, &status, WNOHANG) == 0,
		      "kill %d: the child did not come up", round);
		usleep(1000);
	}
	/* From here the child is fair game: the delay runs. */
	kill_at = now() + delay_ms / 1000.0;
	qp_connect(&peer, pqp, rv->child_qpn, &local.gid);
	if (role == CHILD_SENDS)
		pending = post_recvs(pqp, pmr, pbuf, DEPTH * 4);
	rv->parent_qpn = pqp->qp_num;
	rv->parent_addr = (uintptr_t)pbuf;
	rv->parent_rkey = pmr->rkey;
	__atomic_store_n(&rv->go, 1, __ATOMIC_RELEASE);

	st = (struct stream){ .what = "parent", .qp = pqp, .cq = peer.cq,
			      .op = IBV_WR_RDMA_WRITE, .mix = true, .mr = pmr,
			      .buf = pbuf, .raddr = rv->child_addr,
			      .rkey = rv->child_rkey };
	while (now() < kill_at) {
		uint64_t before = recvs;

		if (role == CHILD_IS_TARGET)
			stream_fill(&st);
		if (!poll_into(peer.cq, &st, &recvs, NULL))
			usleep(500);
		pending -= recvs - before;
		if (role == CHILD_SENDS && !st.stopped)
			pending += post_recvs(pqp, pmr, pbuf,
					      DEPTH * 4 - pending);
	}
	CHECK(kill(pid, SIGKILL) == 0, "kill: %s", strerror(errno));
	CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	      WTERMSIG(status) == SIGKILL,
	      "kill %d: the child exited on its own (status %#x)", round,
	      status);

	/* The parent's own WRs must all complete, in error at worst. */
	st.stopped = true;
	deadline = now() + 60;
	while (st.completed < st.posted) {
		CHECK(now() < deadline, "kill %d: %llu of the parent's %llu "
		      "WRs completed", round,
		      (unsigned long long)st.completed,
		      (unsigned long long)st.posted);
		if (!poll_into(peer.cq, &st, &recvs, NULL))
			usleep(1000);
	}
	CHECK(ibv_destroy_qp(pqp) == 0, "kill %d: destroy the QP", round);
	/* Flushed receives of the destroyed QP must not linger in the CQ. */
	while (poll_into(peer.cq, &st, &recvs, NULL))
		;
	printf("kill %d: %s %s, SIGKILL after %u ms, %ld transfers by the "
	       "child, %llu by the parent\n", round, odp ? "ODP" : "pinned",
	       role_names[role], delay_ms, rv->done,
	       (unsigned long long)st.ok);
	munmap(rv, sizeof(*rv));
}

static void test_kill(int rounds, uint64_t seed)
{
	uint8_t *pbuf = map_anon(BUF_LEN);
	struct ibv_mr *pmr = ibv_reg_mr(peer.pd, pbuf, BUF_LEN, RW);
	bool odp_ok = odp_rc_supported(local.ctx);
	struct baseline b0;
	uint64_t rng = seed ? seed : 1;
	int i;

	CHECK(pmr, "kill: the peer's MR: %s", strerror(errno));
	CHECK(odp_ok, "%s offers no ODP for RC", local.name);
	b0 = baseline();
	printf("kill: %d rounds, seed %llu\n", rounds,
	       (unsigned long long)seed);
	for (i = 0; i < rounds; i++)
		kill_round(i, &rng, pmr, pbuf, odp_ok);
	ok("kill: %d children killed mid-transfer, every parent WR completed",
	   rounds);
	check_back_to("kill", b0);
	CHECK(ibv_dereg_mr(pmr) == 0, "kill: dereg the peer's MR");
	munmap(pbuf, BUF_LEN);
}

/* --- stream until the device goes ---------------------------------------- */

static bool device_fatal(struct ibv_context *ctx)
{
	struct ibv_async_event ev;
	bool fatal = false;

	while (ibv_get_async_event(ctx, &ev) == 0) {
		if (ev.event_type == IBV_EVENT_DEVICE_FATAL)
			fatal = true;
		ibv_ack_async_event(&ev);
	}
	return fatal;
}

static void nonblocking(struct ibv_context *ctx)
{
	int fl = fcntl(ctx->async_fd, F_GETFL);

	CHECK(fl >= 0 && fcntl(ctx->async_fd, F_SETFL, fl | O_NONBLOCK) == 0,
	      "async fd: %s", strerror(errno));
}

/*
 * Three streams, each on its own QP pair and CQ: pinrxe0 WRITEs into a
 * pinned MR of pinrxe1, pinrxe1 READs from an ODP MR of pinrxe0, and
 * pinrxe0 SENDs into pinrxe1's receives.  Runs until a device goes.
 */
static void test_stream(const char *ready_file)
{
	uint8_t *lbuf = map_anon(BUF_LEN), *lobuf = map_anon(BUF_LEN),
		*pbuf = map_anon(BUF_LEN);
	struct ibv_mr *lmr, *lomr, *pmr;
	struct ibv_cq *lcq[3], *pcq[3];
	struct ibv_qp *lqp[3], *pqp[3];
	struct stream st[3];
	uint64_t recvs = 0, recv_errs = 0, before;
	bool fatal_l = false, fatal_p = false, going = false, failed = false;
	double deadline;
	int i, pending;
	FILE *f;

	nonblocking(local.ctx);
	nonblocking(peer.ctx);
	lmr = ibv_reg_mr(local.pd, lbuf, BUF_LEN, RW);
	lomr = ibv_reg_mr(local.pd, lobuf, BUF_LEN, RW | IBV_ACCESS_ON_DEMAND);
	pmr = ibv_reg_mr(peer.pd, pbuf, BUF_LEN, RW);
	CHECK(lmr && lomr && pmr, "stream: MRs: %s", strerror(errno));
	for (i = 0; i < 3; i++) {
		lcq[i] = ibv_create_cq(local.ctx, DEPTH * 8, NULL, NULL, 0);
		pcq[i] = ibv_create_cq(peer.ctx, DEPTH * 8, NULL, NULL, 0);
		CHECK(lcq[i] && pcq[i], "stream: CQs: %s", strerror(errno));
		lqp[i] = qp_make(&local, lcq[i]);
		pqp[i] = qp_make(&peer, pcq[i]);
		qp_connect(&local, lqp[i], pqp[i]->qp_num, &peer.gid);
		qp_connect(&peer, pqp[i], lqp[i]->qp_num, &local.gid);
	}
	st[0] = (struct stream){ .what = "WRITE", .qp = lqp[0], .cq = lcq[0],
				 .op = IBV_WR_RDMA_WRITE, .mr = lmr,
				 .buf = lbuf, .raddr = (uintptr_t)pbuf,
				 .rkey = pmr->rkey };
	st[1] = (struct stream){ .what = "READ", .qp = pqp[1], .cq = pcq[1],
				 .op = IBV_WR_RDMA_READ, .mr = pmr,
				 .buf = pbuf, .raddr = (uintptr_t)lobuf,
				 .rkey = lomr->rkey };
	st[2] = (struct stream){ .what = "SEND", .qp = lqp[2], .cq = lcq[2],
				 .op = IBV_WR_SEND, .mr = lmr, .buf = lbuf };
	pending = post_recvs(pqp[2], pmr, pbuf, DEPTH * 4);

	while (!failed && !fatal_l && !fatal_p) {
		int n = 0;

		for (i = 0; i < 3; i++) {
			stream_fill(&st[i]);
			n += poll_into(st[i].cq, &st[i], NULL, NULL);
			failed |= st[i].stopped;
		}
		before = recvs;
		n += poll_into(pcq[2], NULL, &recvs, &recv_errs);
		pending -= recvs - before;
		pending += post_recvs(pqp[2], pmr, pbuf, DEPTH * 4 - pending);
		failed |= recv_errs > 0;
		fatal_l = device_fatal(local.ctx);
		fatal_p = device_fatal(peer.ctx);
		if (!going && st[0].ok > DEPTH && st[1].ok > DEPTH &&
		    st[2].ok > DEPTH) {
			going = true;
			f = fopen(ready_file, "we");
			CHECK(f && !fclose(f), "create %s", ready_file);
			ok("stream: WRITE, READ (ODP) and SEND under way");
		}
		if (!n)
			usleep(1000);
	}
	/*
	 * An error completion can come before the event: the removal makes
	 * the device fail, and the event must follow.
	 */
	deadline = now() + 60;
	while (!fatal_l && !fatal_p && now() < deadline) {
		fatal_l = device_fatal(local.ctx);
		fatal_p = device_fatal(peer.ctx);
		usleep(10000);
	}
	printf("stream: stopped after %llu WRITEs, %llu READs, %llu SENDs: "
	       "%s%s%s\n", (unsigned long long)st[0].ok,
	       (unsigned long long)st[1].ok, (unsigned long long)st[2].ok,
	       fatal_l ? "DEVICE_FATAL on the local device " : "",
	       fatal_p ? "DEVICE_FATAL on the peer device " : "",
	       failed ? "an error completion" : "");
	CHECK(fatal_l || fatal_p, "stream: traffic failed, no device went");
	/* Everything goes, whatever state the devices are in. */
	for (i = 0; i < 3; i++) {
		CHECK(ibv_destroy_qp(lqp[i]) == 0, "stream: destroy QP: %s",
		      strerror(errno));
		CHECK(ibv_destroy_qp(pqp[i]) == 0, "stream: destroy QP: %s",
		      strerror(errno));
		CHECK(ibv_destroy_cq(lcq[i]) == 0, "stream: destroy CQ");
		CHECK(ibv_destroy_cq(pcq[i]) == 0, "stream: destroy CQ");
	}
	CHECK(ibv_dereg_mr(lmr) == 0 && ibv_dereg_mr(lomr) == 0 &&
	      ibv_dereg_mr(pmr) == 0, "stream: dereg: %s", strerror(errno));
	side_close(&local);
	side_close(&peer);
	ok("stream: destroyed everything");
}

/* --- main ---------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: life_test LOCAL_DEV PEER_DEV TEST...\n"
		"tests: mr odp qp cq initiator 'kill N SEED' "
		"'stream READY_FILE'\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int i;

	if (argc < 4)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	side_open(&local, argv[1], DEPTH * 8);
	side_open(&peer, argv[2], DEPTH * 8);
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "mr")) {
			test_victim(GO_MR);
		} else if (!strcmp(argv[i], "odp")) {
			CHECK(odp_rc_supported(local.ctx),
			      "%s offers no ODP for RC", local.name);
			test_victim(GO_ODP_MR);
		} else if (!strcmp(argv[i], "qp")) {
			test_victim(GO_QP);
		} else if (!strcmp(argv[i], "cq")) {
			test_victim(GO_CQ);
		} else if (!strcmp(argv[i], "initiator")) {
			test_initiator();
		} else if (!strcmp(argv[i], "kill") && i + 2 < argc) {
			test_kill(atoi(argv[i + 1]),
				  strtoull(argv[i + 2], NULL, 0));
			i += 2;
		} else if (!strcmp(argv[i], "stream") && i + 1 < argc) {
			test_stream(argv[++i]);
			return 0;
		} else {
			usage();
		}
	}
	side_close(&local);
	side_close(&peer);
	return 0;
}
