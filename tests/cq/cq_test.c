/*
 * Completion queue tests for pinrxe, run in the test guest by
 * tests/cases/31-cq.sh.  Modelled on rdma-core's tests/test_cq.py and
 * test_cq_events.py, plus what those cannot reach without QPs: completions
 * are injected by the test module pinrxe_cqinject.ko (tests/kmod/cqinject),
 * which calls the driver's pinrxe_cq_post().
 *
 * usage: cq_test DEV TEST...     run tests (names below); exit 0 if all pass
 *        cq_test DEV hold N FILE create N CQs, touch FILE, then wait for
 *                                IBV_EVENT_DEVICE_FATAL and clean up
 *
 * Every check prints "ok: ..." or "FAIL: ..." and a failure exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <infiniband/verbs.h>

/* White-box access to the provider's CQ, to play a hostile process. */
#include "pinrxe.h"

#include "../common/check.h"
#include "../common/fatal.h"

static struct ibv_context *ctx;
static struct ibv_device_attr attr;
static const char *dev_name;


static struct ibv_cq *create_cq(int cqe, struct ibv_comp_channel *ch,
				int vector)
{
	struct ibv_cq *cq = ibv_create_cq(ctx, cqe, (void *)0x1234, ch, vector);

	CHECK(cq, "ibv_create_cq(cqe %d, vector %d): %s", cqe, vector,
	      strerror(errno));
	CHECK(cq->cqe >= cqe && cq->cqe <= attr.max_cqe,
	      "cqe %d asked, %d given (max_cqe %d)", cqe, cq->cqe,
	      attr.max_cqe);
	return cq;
}

static void destroy_cq(struct ibv_cq *cq)
{
	int ret = ibv_destroy_cq(cq);

	CHECK(ret == 0, "ibv_destroy_cq: %s", strerror(ret));
}

static void expect_create_fails(int cqe, int vector, int err,
				const char *what)
{
	struct ibv_cq *cq;

	errno = 0;
	cq = ibv_create_cq(ctx, cqe, NULL, NULL, vector);
	CHECK(!cq, "%s: ibv_create_cq(cqe %d, vector %d) succeeded", what,
	      cqe, vector);
	CHECK(errno == err, "%s: errno %d (%s), want %d (%s)", what, errno,
	      strerror(errno), err, strerror(err));
	ok("%s fails with %s", what, strerror(err));
}

static void expect_empty(struct ibv_cq *cq)
{
	struct ibv_wc wc[4];
	int n = ibv_poll_cq(cq, 4, wc);

	CHECK(n == 0, "poll of an empty CQ returned %d", n);
}

/*
 * Test module interface.  CQs are found by their restrack id, which the
 * rdma tool lists with the owning pid; ids grow, so this process's newest
 * CQ has the largest.
 */
static unsigned int newest_cqn(void)
{
	char cmd[128], line[512];
	long best = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "rdma res show cq dev %s", dev_name);
	f = popen(cmd, "r");
	CHECK(f, "popen(%s)", cmd);
	while (fgets(line, sizeof(line), f)) {
		char *c = strstr(line, " cqn "), *p = strstr(line, " pid ");

		if (c && p && atol(p + 5) == getpid() && atol(c + 5) > best)
			best = atol(c + 5);
	}
	pclose(f);
	CHECK(best >= 0, "no CQ of pid %d in `%s`", getpid(), cmd);
	return best;
}

/* Returns 0 or the errno of the write. */
static int inject(unsigned int cqn, unsigned int count, int solicited,
		  uint64_t wr_id)
{
	const char *path = "/sys/module/pinrxe_cqinject/parameters/post";
	char buf[128];
	int fd, len, ret = 0;

	fd = open(path, O_WRONLY);
	CHECK(fd >= 0, "open %s: %s (is pinrxe_cqinject loaded?)", path,
	      strerror(errno));
	len = snprintf(buf, sizeof(buf), "%s %u %u %d %llu", dev_name, cqn,
		       count, solicited, (unsigned long long)wr_id);
	if (write(fd, buf, len) != len)
		ret = errno;
	close(fd);
	return ret;
}

static void inject_ok(unsigned int cqn, unsigned int count, int solicited,
		      uint64_t wr_id)
{
	int ret = inject(cqn, count, solicited, wr_id);

	CHECK(ret == 0, "injecting %u completions: %s", count, strerror(ret));
}

/* What pinrxe_cqinject puts in the completion with this wr_id. */
static void check_wc(const struct ibv_wc *wc, uint64_t wr_id)
{
	uint32_t n = (uint32_t)wr_id;
	unsigned int flags = IBV_WC_WITH_IMM | (n % 2 ? IBV_WC_GRH : 0);

	CHECK(wc->wr_id == wr_id, "wr_id %llu, want %llu",
	      (unsigned long long)wc->wr_id, (unsigned long long)wr_id);
	CHECK(wc->status == (n % 3 ? IBV_WC_SUCCESS : IBV_WC_REM_ACCESS_ERR),
	      "wr %u: status %d", n, wc->status);
	CHECK(wc->opcode == (n % 2 ? IBV_WC_RECV : IBV_WC_RECV_RDMA_WITH_IMM),
	      "wr %u: opcode %d", n, wc->opcode);
	CHECK(wc->vendor_err == (n % 3 ? 0 : 0x77u), "wr %u: vendor_err %u",
	      n, wc->vendor_err);
	CHECK(wc->byte_len == n * 3, "wr %u: byte_len %u", n, wc->byte_len);
	CHECK(wc->imm_data == htonl(n ^ 0xa5a5a5a5), "wr %u: imm_data %#x",
	      n, wc->imm_data);
	CHECK(wc->qp_num == 0x100 + n % 7, "wr %u: qp_num %#x", n,
	      wc->qp_num);
	CHECK(wc->src_qp == 0x200 + n % 5, "wr %u: src_qp %#x", n,
	      wc->src_qp);
	CHECK(wc->wc_flags == flags, "wr %u: wc_flags %#x, want %#x", n,
	      wc->wc_flags, flags);
	CHECK(wc->sl == n % 8 && wc->pkey_index == 0 && wc->slid == 0 &&
	      wc->dlid_path_bits == 0, "wr %u: sl/pkey/slid/path bits", n);
}

/*
 * Polls count completions with consecutive wr_ids, at most ne at a time
 * and never more than count, so that the rest stay in the CQ.
 */
static void poll_n(struct ibv_cq *cq, int count, uint64_t wr_id, int ne)
{
	struct ibv_wc wc[64];
	int got = 0, want, n, i;

	while (got < count) {
		want = count - got < ne ? count - got : ne;
		n = ibv_poll_cq(cq, want, wc);
		CHECK(n == want, "poll of %d returned %d after %d of %d", want,
		      n, got, count);
		for (i = 0; i < n; i++)
			check_wc(&wc[i], wr_id + got + i);
		got += n;
	}
}

/* Polls exactly count completions, then finds the CQ empty. */
static void poll_expect(struct ibv_cq *cq, int count, uint64_t wr_id, int ne)
{
	poll_n(cq, count, wr_id, ne);
	expect_empty(cq);
}

/* Waits up to ms for a readable fd; returns whether it became readable. */
static int readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

static void expect_cq_event(struct ibv_comp_channel *ch, struct ibv_cq *cq)
{
	struct ibv_cq *ev_cq;
	void *ev_ctx;

	CHECK(readable(ch->fd, 5000), "no completion event within 5 s");
	CHECK(ibv_get_cq_event(ch, &ev_cq, &ev_ctx) == 0,
	      "ibv_get_cq_event: %s", strerror(errno));
	CHECK(ev_cq == cq && ev_ctx == (void *)0x1234,
	      "event for cq %p ctx %p, want %p", (void *)ev_cq, ev_ctx,
	      (void *)cq);
	ibv_ack_cq_events(cq, 1);
}

static void expect_no_cq_event(struct ibv_comp_channel *ch)
{
	CHECK(!readable(ch->fd, 300), "unexpected completion event");
}

static void expect_async_event(enum ibv_event_type type, struct ibv_cq *cq)
{
	struct ibv_async_event ev;

	CHECK(readable(ctx->async_fd, 5000), "no async event within 5 s");
	CHECK(ibv_get_async_event(ctx, &ev) == 0, "ibv_get_async_event: %s",
	      strerror(errno));
	CHECK(ev.event_type == type, "async event %s, want %s",
	      ibv_event_type_str(ev.event_type), ibv_event_type_str(type));
	CHECK(!cq || ev.element.cq == cq, "async event for another CQ");
	ibv_ack_async_event(&ev);
}

/* ---- tests that need no completions ---- */

static void t_sizes(void)
{
	int sizes[] = { 1, 2, 3, 4, 15, 16, 17, 100, 1000, 4096,
			attr.max_cqe / 2, attr.max_cqe - 1, attr.max_cqe };
	struct ibv_cq *cq;
	unsigned int i;
	int v;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (v = 0; v < ctx->num_comp_vectors; v++) {
			cq = create_cq(sizes[i], NULL, v);
			expect_empty(cq);
			destroy_cq(cq);
		}
	}
	ok("create/poll/destroy at %u sizes up to max_cqe %d on %d vector(s)",
	   i, attr.max_cqe, ctx->num_comp_vectors);
}

static void t_bad(void)
{
	struct ibv_cq_init_attr_ex cq_attr = { .cqe = 16 };
	struct ibv_cq_ex *cqx;

	expect_create_fails(0, 0, EINVAL, "cqe 0");
	expect_create_fails(-1, 0, EINVAL, "cqe -1");
	expect_create_fails(attr.max_cqe + 1, 0, EINVAL, "cqe max_cqe + 1");
	expect_create_fails(INT_MAX, 0, EINVAL, "cqe INT_MAX");
	expect_create_fails(16, ctx->num_comp_vectors, EINVAL,
			    "comp_vector num_comp_vectors");
	expect_create_fails(16, ctx->num_comp_vectors + 1, EINVAL,
			    "comp_vector num_comp_vectors + 1");
	expect_create_fails(16, -1, EINVAL, "comp_vector -1");

	/* Extended CQs with the standard fields (ex_poll reads them). */
	cq_attr.wc_flags = IBV_WC_STANDARD_FLAGS;
	cqx = ibv_create_cq_ex(ctx, &cq_attr);
	CHECK(cqx, "ibv_create_cq_ex: %s", strerror(errno));
	CHECK(ibv_cq_ex_to_cq(cqx)->cqe >= 16, "cqe %d",
	      ibv_cq_ex_to_cq(cqx)->cqe);
	destroy_cq(ibv_cq_ex_to_cq(cqx));
	ok("an extended CQ with the standard fields");
	/* What the provider cannot fill in is refused. */
	cq_attr.wc_flags = IBV_WC_EX_WITH_COMPLETION_TIMESTAMP;
	errno = 0;
	cqx = ibv_create_cq_ex(ctx, &cq_attr);
	CHECK(!cqx && errno == EOPNOTSUPP,
	      "ibv_create_cq_ex with timestamps: %p, errno %s", (void *)cqx,
	      strerror(errno));
	ok("an extended CQ with completion timestamps fails with EOPNOTSUPP");
	cq_attr.wc_flags = 0;
	cq_attr.comp_mask = IBV_CQ_INIT_ATTR_MASK_FLAGS;
	cq_attr.flags = IBV_CREATE_CQ_ATTR_IGNORE_OVERRUN;
	errno = 0;
	cqx = ibv_create_cq_ex(ctx, &cq_attr);
	CHECK(!cqx && errno == EOPNOTSUPP,
	      "ibv_create_cq_ex ignoring overrun: %p, errno %s", (void *)cqx,
	      strerror(errno));
	ok("an extended CQ ignoring overrun fails with EOPNOTSUPP");
	cq_attr.comp_mask = 0;
	cq_attr.flags = 0;
	cq_attr.cqe = attr.max_cqe + 1;
	errno = 0;
	cqx = ibv_create_cq_ex(ctx, &cq_attr);
	CHECK(!cqx && errno == EINVAL, "ibv_create_cq_ex cqe max_cqe + 1: %p, "
	      "errno %s", (void *)cqx, strerror(errno));
	ok("an extended CQ of max_cqe + 1 fails with EINVAL");
}

static void t_resize(void)
{
	struct ibv_cq *cq = create_cq(16, NULL, 0);
	int sizes[] = { 100, 4, attr.max_cqe, 1, 17, 16 };
	unsigned int i;
	int ret, before;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ret = ibv_resize_cq(cq, sizes[i]);
		CHECK(ret == 0, "resize to %d: %s", sizes[i], strerror(ret));
		CHECK(cq->cqe >= sizes[i] && cq->cqe <= attr.max_cqe,
		      "resize to %d gave %d", sizes[i], cq->cqe);
		expect_empty(cq);
	}
	before = cq->cqe;
	for (i = 0; i < 3; i++) {
		int bad = i == 0 ? 0 : i == 1 ? -1 : attr.max_cqe + 1;

		ret = ibv_resize_cq(cq, bad);
		CHECK(ret == EINVAL, "resize to %d: %s, want EINVAL", bad,
		      strerror(ret));
		CHECK(cq->cqe == before, "failed resize changed cqe");
		expect_empty(cq);
	}
	destroy_cq(cq);
	ok("resize up and down; 0, -1 and max_cqe + 1 fail with EINVAL");
}

static void t_empty_poll(void)
{
	struct ibv_cq *cq = create_cq(8, NULL, 0);
	struct ibv_wc wc[8];
	int i;

	for (i = 0; i < 1000; i++)
		CHECK(ibv_poll_cq(cq, 1 + i % 8, wc) == 0, "poll %d", i);
	CHECK(ibv_poll_cq(cq, 0, wc) == 0, "poll with ne 0");
	destroy_cq(cq);
	ok("polling an empty CQ returns 0");
}

static void t_notify(void)
{
	struct ibv_cq *cq = create_cq(8, NULL, 0);
	int ret;

	ret = ibv_req_notify_cq(cq, 0);
	CHECK(ret == 0, "req_notify_cq(next): %s", strerror(ret));
	ret = ibv_req_notify_cq(cq, 1);
	CHECK(ret == 0, "req_notify_cq(solicited): %s", strerror(ret));
	ret = ibv_req_notify_cq(cq, 0);
	CHECK(ret == 0, "req_notify_cq(next) again: %s", strerror(ret));
	destroy_cq(cq);
	ok("req_notify_cq without a channel");
}

static void t_channel(void)
{
	struct ibv_comp_channel *ch = ibv_create_comp_channel(ctx);
	struct ibv_cq *cq[3], *ev_cq;
	void *ev_ctx;
	int i, ret;

	CHECK(ch, "ibv_create_comp_channel: %s", strerror(errno));
	for (i = 0; i < 3; i++) {
		cq[i] = create_cq(1 << (2 * i), ch, 0);
		CHECK(cq[i]->channel == ch, "cq->channel");
		CHECK(ibv_req_notify_cq(cq[i], i % 2) == 0, "req_notify_cq");
	}
	CHECK(fcntl(ch->fd, F_SETFL, fcntl(ch->fd, F_GETFL) | O_NONBLOCK) == 0,
	      "O_NONBLOCK");
	errno = 0;
	CHECK(ibv_get_cq_event(ch, &ev_cq, &ev_ctx) == -1 && errno == EAGAIN,
	      "an event without completions (errno %s)", strerror(errno));
	ret = ibv_destroy_comp_channel(ch);
	CHECK(ret == EBUSY, "destroying a channel in use: %s, want EBUSY",
	      strerror(ret));
	for (i = 0; i < 3; i++)
		destroy_cq(cq[i]);
	ret = ibv_destroy_comp_channel(ch);
	CHECK(ret == 0, "ibv_destroy_comp_channel: %s", strerror(ret));
	ok("CQs on a completion channel; channel busy until they are gone");
}

/*
 * CQs of the device that belong to the kernel (ib_mad's): the rdma tool
 * lists them with no owning pid.  They count against max_cq too.
 */
static int kernel_cqs(void)
{
	char cmd[128], line[512];
	int n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "rdma res show cq dev %s", dev_name);
	f = popen(cmd, "r");
	CHECK(f, "popen(%s)", cmd);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, " cqn ") && !strstr(line, " pid ");
	pclose(f);
	return n;
}

static void t_many(void)
{
	struct ibv_comp_channel *ch = ibv_create_comp_channel(ctx);
	struct ibv_cq **cqs = calloc(attr.max_cq, sizeof(*cqs));
	int i, n = attr.max_cq - kernel_cqs();

	CHECK(cqs && ch, "alloc");
	for (i = 0; i < n; i++) {
		cqs[i] = ibv_create_cq(ctx, 1 + i % 64, NULL, i % 2 ? ch : NULL,
				       0);
		CHECK(cqs[i], "CQ %d of the %d left of max_cq %d: %s", i, n,
		      attr.max_cq, strerror(errno));
	}
	expect_create_fails(1, 0, ENOMEM, "CQ number max_cq + 1");
	for (i = 0; i < n; i += 2)
		destroy_cq(cqs[i]);
	cqs[0] = create_cq(4, NULL, 0);
	destroy_cq(cqs[0]);
	for (i = 1; i < n; i += 2)
		destroy_cq(cqs[i]);
	CHECK(ibv_destroy_comp_channel(ch) == 0, "destroy channel");
	free(cqs);
	ok("max_cq (%d) CQs, %d of them the kernel's, half of ours on a channel",
	   attr.max_cq, attr.max_cq - n);
}

/* ---- tests with injected completions ---- */

static void t_inject_poll(void)
{
	struct ibv_cq *cq = create_cq(64, NULL, 0);
	unsigned int cqn = newest_cqn();

	inject_ok(cqn, 10, 0, 1000);
	poll_expect(cq, 10, 1000, 4);
	inject_ok(cqn, cq->cqe, 0, 5000);
	poll_expect(cq, cq->cqe, 5000, 64);
	destroy_cq(cq);
	ok("injected completions poll back in order with every field");
}

/* What pinrxe_cqinject puts in the completion, read through ibv_cq_ex. */
static void check_wc_ex(struct ibv_cq_ex *cqx, uint64_t wr_id)
{
	struct ibv_wc wc = {
		.wr_id = cqx->wr_id,
		.status = cqx->status,
		.opcode = ibv_wc_read_opcode(cqx),
		.vendor_err = ibv_wc_read_vendor_err(cqx),
		.byte_len = ibv_wc_read_byte_len(cqx),
		.imm_data = ibv_wc_read_imm_data(cqx),
		.qp_num = ibv_wc_read_qp_num(cqx),
		.src_qp = ibv_wc_read_src_qp(cqx),
		.wc_flags = ibv_wc_read_wc_flags(cqx),
		.slid = ibv_wc_read_slid(cqx),
		.sl = ibv_wc_read_sl(cqx),
		.dlid_path_bits = ibv_wc_read_dlid_path_bits(cqx),
	};

	check_wc(&wc, wr_id);
}

/*
 * The ibv_cq_ex poll API on injected completions: start_poll, next_poll
 * and end_poll, batches left half-read, and the classic poll on the same
 * CQ in between.
 */
static void t_ex_poll(void)
{
	struct ibv_cq_init_attr_ex cq_attr = {
		.cqe = 16,
		.cq_context = (void *)0x1234,
		.wc_flags = IBV_WC_STANDARD_FLAGS,
	};
	struct ibv_poll_cq_attr pattr = {};
	struct ibv_cq_ex *cqx = ibv_create_cq_ex(ctx, &cq_attr);
	unsigned int cqn;
	uint64_t id;
	int ret;

	CHECK(cqx, "ibv_create_cq_ex: %s", strerror(errno));
	cqn = newest_cqn();
	ret = ibv_start_poll(cqx, &pattr);
	CHECK(ret == ENOENT, "start_poll of an empty CQ: %d", ret);

	inject_ok(cqn, 10, 0, 300);
	ret = ibv_start_poll(cqx, &pattr);
	CHECK(ret == 0, "start_poll: %d", ret);
	check_wc_ex(cqx, 300);
	for (id = 301; id < 304; id++) {
		ret = ibv_next_poll(cqx);
		CHECK(ret == 0, "next_poll: %d", ret);
		check_wc_ex(cqx, id);
	}
	ibv_end_poll(cqx);
	/* 300..303 are consumed; the classic poll takes up from 304. */
	poll_n(ibv_cq_ex_to_cq(cqx), 2, 304, 2);
	ret = ibv_start_poll(cqx, &pattr);
	CHECK(ret == 0, "start_poll after poll_cq: %d", ret);
	for (id = 306; id < 310; id++) {
		check_wc_ex(cqx, id);
		ret = ibv_next_poll(cqx);
		CHECK(ret == (id < 309 ? 0 : ENOENT), "next_poll at %llu: %d",
		      (unsigned long long)id, ret);
	}
	ibv_end_poll(cqx);
	expect_empty(ibv_cq_ex_to_cq(cqx));

	/* A full ring, twice over, read through the ex API only. */
	for (id = 0; id < 2; id++) {
		int n = 0;

		inject_ok(cqn, cqx->cqe, 0, 1000 * (id + 1));
		for (ret = ibv_start_poll(cqx, &pattr); !ret;
		     ret = ibv_next_poll(cqx))
			check_wc_ex(cqx, 1000 * (id + 1) + n++);
		CHECK(ret == ENOENT && n == cqx->cqe, "read %d of %d: %d", n,
		      cqx->cqe, ret);
		ibv_end_poll(cqx);
	}
	CHECK(ibv_destroy_cq(ibv_cq_ex_to_cq(cqx)) == 0, "destroy");
	ok("ibv_cq_ex: start/next/end_poll read every field, mixed with "
	   "ibv_poll_cq, through a wrapping ring");
}

static void t_wrap(void)
{
	struct ibv_cq *cq = create_cq(4, NULL, 0);
	unsigned int cqn = newest_cqn();
	int round;

	CHECK(cq->cqe == 4, "cqe %d", cq->cqe);
	for (round = 0; round < 20; round++) {
		inject_ok(cqn, 3, 0, 100 * round);
		poll_expect(cq, 3, 100 * round, 1 + round % 3);
	}
	inject_ok(cqn, 4, 0, 7);
	poll_expect(cq, 4, 7, 8);
	destroy_cq(cq);
	ok("the ring wraps around; a full ring polls back");
}

static void t_events(void)
{
	struct ibv_comp_channel *ch = ibv_create_comp_channel(ctx);
	struct ibv_cq *cq;
	unsigned int cqn;

	CHECK(ch, "ibv_create_comp_channel");
	cq = create_cq(16, ch, 0);
	cqn = newest_cqn();

	inject_ok(cqn, 1, 0, 1);
	expect_no_cq_event(ch);
	poll_expect(cq, 1, 1, 4);
	ok("no event while not armed");

	CHECK(ibv_req_notify_cq(cq, 0) == 0, "arm next");
	inject_ok(cqn, 2, 0, 2);
	expect_cq_event(ch, cq);
	expect_no_cq_event(ch);
	poll_expect(cq, 2, 2, 4);
	inject_ok(cqn, 1, 0, 4);
	expect_no_cq_event(ch);
	poll_expect(cq, 1, 4, 4);
	ok("armed for the next completion: one event, then disarmed");

	CHECK(ibv_req_notify_cq(cq, 1) == 0, "arm solicited");
	inject_ok(cqn, 1, 0, 5);
	expect_no_cq_event(ch);
	inject_ok(cqn, 1, 1, 6);
	expect_cq_event(ch, cq);
	poll_expect(cq, 2, 5, 4);
	ok("armed for solicited: only a solicited completion fires");

	CHECK(ibv_req_notify_cq(cq, 1) == 0, "arm solicited");
	CHECK(ibv_req_notify_cq(cq, 0) == 0, "arm next");
	inject_ok(cqn, 1, 0, 7);
	expect_cq_event(ch, cq);
	poll_expect(cq, 1, 7, 4);
	ok("solicited then next: the next completion fires");

	/* An event never read goes with the CQ; destroy does not wait. */
	CHECK(ibv_req_notify_cq(cq, 0) == 0, "arm next");
	inject_ok(cqn, 1, 0, 8);
	CHECK(readable(ch->fd, 5000), "event pending");
	destroy_cq(cq);
	expect_no_cq_event(ch);
	CHECK(ibv_destroy_comp_channel(ch) == 0, "destroy channel");
	ok("CQ destroyed with an unread event on its channel");
}

static void t_resize_keep(void)
{
	struct ibv_cq *cq = create_cq(16, NULL, 0);
	unsigned int cqn = newest_cqn();
	int ret;

	inject_ok(cqn, 5, 0, 1);
	poll_n(cq, 1, 1, 1);
	ret = ibv_resize_cq(cq, 3);
	CHECK(ret == EINVAL, "shrinking below 4 pending: %s, want EINVAL",
	      strerror(ret));
	CHECK(cq->cqe == 16, "cqe %d after failed resize", cq->cqe);
	ok("shrinking below the completions pending fails with EINVAL");

	ret = ibv_resize_cq(cq, 4);
	CHECK(ret == 0 && cq->cqe == 4, "shrink to 4: %s, cqe %d",
	      strerror(ret), cq->cqe);
	CHECK(inject(cqn, 1, 0, 99) == ENOSPC, "a 5th completion in 4 fits");
	expect_async_event(IBV_EVENT_CQ_ERR, cq);
	poll_expect(cq, 4, 2, 3);
	destroy_cq(cq);

	cq = create_cq(4, NULL, 0);
	cqn = newest_cqn();
	inject_ok(cqn, 3, 0, 10);
	poll_n(cq, 1, 10, 1);
	ret = ibv_resize_cq(cq, 1000);
	CHECK(ret == 0 && cq->cqe >= 1000, "grow: %s", strerror(ret));
	inject_ok(cqn, 900, 0, 13);
	poll_expect(cq, 2 + 900, 11, 64);
	ret = ibv_resize_cq(cq, 2);
	CHECK(ret == 0 && cq->cqe == 2, "shrink empty: %s", strerror(ret));
	inject_ok(cqn, 2, 0, 20);
	poll_expect(cq, 2, 20, 1);
	destroy_cq(cq);
	ok("resize keeps unpolled completions in order, up and down");
}

static void t_overrun(void)
{
	struct ibv_cq *cq = create_cq(4, NULL, 0);
	unsigned int cqn = newest_cqn();
	int ret;

	inject_ok(cqn, 4, 0, 1);
	ret = inject(cqn, 1, 0, 5);
	CHECK(ret == ENOSPC, "overrun: %s, want ENOSPC", strerror(ret));
	expect_async_event(IBV_EVENT_CQ_ERR, cq);
	ret = inject(cqn, 1, 0, 6);
	CHECK(ret == EIO, "after overrun: %s, want EIO", strerror(ret));
	CHECK(!readable(ctx->async_fd, 300), "a second CQ_ERR event");
	poll_expect(cq, 4, 1, 2);
	destroy_cq(cq);
	ok("overrun: IBV_EVENT_CQ_ERR once, then the CQ takes no more");
}

/* A process scribbling over its own ring hurts only its own CQ. */
static void t_hostile(void)
{
	struct ibv_cq *cq = create_cq(8, NULL, 0);
	struct pinrxe_cq *pcq = to_pcq(cq);
	unsigned int cqn = newest_cqn();
	int ret;

	/* The kernel never reads back the producer index it owns. */
	pcq->ring->producer = 0xdeadbeef;
	inject_ok(cqn, 2, 0, 1);
	poll_expect(cq, 2, 1, 8);
	ok("a scribbled producer index is overwritten, not trusted");

	/* An impossible consumer index: the CQ looks full, nothing else. */
	__atomic_store_n(&pcq->ring->consumer, pcq->cons + 1000,
			 __ATOMIC_RELEASE);
	ret = ibv_resize_cq(cq, 16);
	CHECK(ret == EINVAL, "resize with a corrupt ring: %s", strerror(ret));
	ret = inject(cqn, 1, 0, 3);
	CHECK(ret == ENOSPC, "post to a corrupt ring: %s, want ENOSPC",
	      strerror(ret));
	expect_async_event(IBV_EVENT_CQ_ERR, cq);
	destroy_cq(cq);

	cq = create_cq(8, NULL, 0);
	pcq = to_pcq(cq);
	cqn = newest_cqn();
	/* Consumer behind the producer by more than the ring: also corrupt. */
	__atomic_store_n(&pcq->ring->consumer, 0x80000000u, __ATOMIC_RELEASE);
	CHECK(inject(cqn, 1, 0, 1) == ENOSPC, "post with cons far behind");
	expect_async_event(IBV_EVENT_CQ_ERR, cq);
	destroy_cq(cq);
	ok("an impossible consumer index overruns that CQ only");
}

/* ---- a process holding CQs: killed, or its device removed ---- */

static int hold(int n, const char *ready)
{
	struct ibv_comp_channel *ch = ibv_create_comp_channel(ctx);
	struct ibv_cq **cqs = calloc(n, sizeof(*cqs));
	int i, fd;

	CHECK(ch && cqs, "alloc");
	for (i = 0; i < n; i++) {
		cqs[i] = create_cq(1 + i * 37 % 2000, i % 2 ? ch : NULL, 0);
		CHECK(ibv_req_notify_cq(cqs[i], 0) == 0, "arm");
	}
	fd = open(ready, O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0, "create %s", ready);
	close(fd);
	printf("holding %d CQs\n", n);
	fflush(stdout);

	wait_device_fatal(ctx);
	/* RDMAV_ALLOW_DISASSOC_DESTROY: destroys succeed on a dead device. */
	for (i = 0; i < n; i++)
		destroy_cq(cqs[i]);
	CHECK(ibv_destroy_comp_channel(ch) == 0, "destroy channel");
	CHECK(ibv_close_device(ctx) == 0, "close device");
	ok("device fatal: destroyed %d CQs and closed the device", n);
	return 0;
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "sizes", t_sizes },
	{ "bad", t_bad },
	{ "resize", t_resize },
	{ "empty", t_empty_poll },
	{ "notify", t_notify },
	{ "channel", t_channel },
	{ "many", t_many },
	{ "inject_poll", t_inject_poll },
	{ "ex_poll", t_ex_poll },
	{ "wrap", t_wrap },
	{ "events", t_events },
	{ "resize_keep", t_resize_keep },
	{ "overrun", t_overrun },
	{ "hostile", t_hostile },
};

int main(int argc, char **argv)
{
	struct ibv_device **list;
	int i, j, num;

	if (argc < 3) {
		fprintf(stderr, "usage: %s DEV TEST... | DEV hold N FILE\n",
			argv[0]);
		return 2;
	}
	dev_name = argv[1];
	setenv("RDMAV_ALLOW_DISASSOC_DESTROY", "1", 0);
	list = ibv_get_device_list(&num);
	CHECK(list, "ibv_get_device_list: %s", strerror(errno));
	for (i = 0; i < num; i++)
		if (!strcmp(ibv_get_device_name(list[i]), dev_name))
			break;
	CHECK(i < num, "no device %s", dev_name);
	ctx = ibv_open_device(list[i]);
	CHECK(ctx, "ibv_open_device: %s", strerror(errno));
	ibv_free_device_list(list);
	CHECK(ibv_query_device(ctx, &attr) == 0, "ibv_query_device");
	CHECK(attr.max_cq > 0 && attr.max_cqe > 0, "max_cq %d max_cqe %d",
	      attr.max_cq, attr.max_cqe);

	if (!strcmp(argv[2], "hold")) {
		CHECK(argc == 5, "hold N FILE");
		return hold(atoi(argv[3]), argv[4]);
	}
	for (j = 2; j < argc; j++) {
		for (i = 0; i < (int)(sizeof(tests) / sizeof(tests[0])); i++)
			if (!strcmp(argv[j], tests[i].name))
				break;
		CHECK(i < (int)(sizeof(tests) / sizeof(tests[0])),
		      "no test %s", argv[j]);
		printf("== %s\n", argv[j]);
		tests[i].fn();
	}
	CHECK(ibv_close_device(ctx) == 0, "ibv_close_device");
	return 0;
}
