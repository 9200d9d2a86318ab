/*
 * On-demand paging under invalidation, for pinrxe; run in the test guest
 * by tests/cases/62-odp-invalidate.sh.  Traffic runs over an RC QP pair
 * looped back on one device: QP "a" posts RDMA WRITEs and READs from its
 * buffer (an ODP MR) into the target region (another ODP MR, explicit or
 * implicit), whose pages a second thread keeps taking away.
 *
 * usage: odp_stress DEV TEST...
 *        odp_stress DEV run          stream writes until killed (the case
 *                                    kills it with SIGKILL mid-stream)
 *        odp_stress DEV slowfault FILE
 *                                    an RDMA WRITE into a mapping of FILE,
 *                                    on a slow disk (test_slowfault())
 *        odp_stress DEV hold FILE    register ODP MRs, stream a little,
 *                                    create FILE, wait for the device's
 *                                    removal
 * Tests:
 *   stream    rounds of two phases.  Apart: the remapper thread replaces
 *             the target's pages (munmap and mmap MAP_FIXED, mmap
 *             MAP_FIXED over it, MADV_DONTNEED, mremap away and back) and
 *             sets what they hold; then, after a barrier, the RDMA thread
 *             writes and reads random ranges, checking each READ against
 *             a model of the target and, at the end, the target's bytes
 *             as the CPU sees them (writes after a remap land in the new
 *             pages).  Together: the remapper MADV_DONTNEEDs and re-mmaps
 *             the target's second half in a loop while the RDMA thread
 *             writes and reads both halves: the first half must be exact,
 *             and each byte of the second either what was there, what was
 *             written, or zero (a write lost to a concurrent
 *             invalidation: the only loss the design allows)
 *   implicit  the same through an implicit ODP MR (the whole address space)
 *   errors    a WRITE into an unmapped part of the target fails with a
 *             remote access error, into a read-only mapping too (a READ of
 *             it works), and a local SGE in an unmapped part of the local
 *             ODP MR completes with a local protection error
 *   advise    ibv_advise_mr: prefetches work (sync, async, no fault);
 *             a bad lkey, a range outside the MR, a pinned MR, an unknown
 *             advice fail; an MR deregistered right after an asynchronous
 *             prefetch of 64 MiB goes away cleanly
 *   rereg     an ODP MR changes its access and PD in place, but not its
 *             translation (libibverbs 44 already refuses that for ODP
 *             MRs; the kernel would, with EOPNOTSUPP); a pinned MR does
 *             not become ODP (the kernel refuses)
 *
 * Every check prints "ok: ..." or "FAIL: ..." and a failure exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "../common/check.h"
#include "../common/verbs_util.h"
#include "../common/fatal.h"

enum {
	PAGE = 4096,
	TGT_SIZE = 1 << 20,		/* the target region */
	HALF = TGT_SIZE / 2,
	LBUF_SIZE = 1 << 20,		/* the local buffer */
	MAX_IO = 3 * PAGE + 123,	/* longest WRITE or READ */
	ROUNDS = 16,
	OPS_APART = 48,
	OPS_TOGETHER = 64,
};

static struct ibv_context *ctx;
static struct ibv_port_attr pattr;
static struct ibv_pd *pd;
static int sgid_index = -1;
static union ibv_gid gid;

static uint8_t *l_buf;		/* local buffer, an ODP MR */
static struct ibv_mr *l_mr;
static uint8_t *tgt;		/* the target region's address */
static struct ibv_mr *t_mr;	/* its MR: explicit or implicit ODP */
static uint8_t *model;		/* what the target must hold */

struct conn {
	struct ibv_qp *a, *b;
	struct ibv_cq *cq_a, *cq_b;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct ibv_qp *create_rc(struct ibv_cq **cq)
{
	struct ibv_qp_init_attr init = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 64, .max_recv_wr = 16,
			 .max_send_sge = 2, .max_recv_sge = 2 },
	};
	struct ibv_qp *qp;

	*cq = ibv_create_cq(ctx, 128, NULL, NULL, 0);
	CHECK(*cq, "ibv_create_cq: %s", strerror(errno));
	init.send_cq = *cq;
	init.recv_cq = *cq;
	qp = ibv_create_qp(pd, &init);
	CHECK(qp, "ibv_create_qp: %s", strerror(errno));
	return qp;
}

/* Generous timeouts: faults under TCG take a while. */
static const struct rc_conn_params conn_params = {
	.psn = 0x100, .rd_atomic = 4, .timeout = 16, .retry_cnt = 7,
	.rnr_retry = 7, .min_rnr_timer = 1,
	.access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
		  IBV_ACCESS_REMOTE_ATOMIC,
};

static void connect_to(struct ibv_qp *qp, uint32_t dest_qpn,
		       const struct rc_conn_params *p)
{
	const char *step = "?";
	int ret = rc_connect(qp, dest_qpn, &gid, sgid_index, p, &step);

	CHECK(ret == 0, "%s: ibv_modify_qp: %s", step, strerror(ret));
}

static void conn_open_with(struct conn *c, const struct rc_conn_params *p)
{
	c->a = create_rc(&c->cq_a);
	c->b = create_rc(&c->cq_b);
	connect_to(c->a, c->b->qp_num, p);
	connect_to(c->b, c->a->qp_num, p);
}

static void conn_open(struct conn *c)
{
	conn_open_with(c, &conn_params);
}

static void conn_close(struct conn *c)
{
	CHECK(!ibv_destroy_qp(c->a) && !ibv_destroy_qp(c->b), "destroy QPs");
	CHECK(!ibv_destroy_cq(c->cq_a) && !ibv_destroy_cq(c->cq_b),
	      "destroy CQs");
}

/* The completion of the one signaled WR outstanding on QP a. */
static enum ibv_wc_status wait_wc(struct conn *c, const char *what)
{
	double end = now() + 60;
	struct ibv_wc wc;
	int ret;

	for (;;) {
		ret = ibv_poll_cq(c->cq_a, 1, &wc);
		CHECK(ret >= 0, "%s: ibv_poll_cq: %d", what, ret);
		if (ret)
			return wc.status;
		CHECK(now() < end, "%s: no completion", what);
		sched_yield();
	}
}

/* One RDMA WRITE or READ between l_buf + loff and raddr; its status. */
static enum ibv_wc_status rdma(struct conn *c, enum ibv_wr_opcode op,
			       size_t loff, uint32_t len, uint64_t raddr,
			       uint32_t rkey, const char *what)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)l_buf + loff, .length = len,
		.lkey = l_mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = 1, .sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = raddr, .rkey = rkey },
	}, *bad;
	int ret = ibv_post_send(c->a, &wr, &bad);

	CHECK(ret == 0, "%s: ibv_post_send: %s", what, strerror(ret));
	return wait_wc(c, what);
}

static void rdma_ok(struct conn *c, enum ibv_wr_opcode op, size_t loff,
		    uint32_t len, size_t toff, const char *what)
{
	enum ibv_wc_status st = rdma(c, op, loff, len,
				     (uintptr_t)tgt + toff, t_mr->rkey, what);

	CHECK(st == IBV_WC_SUCCESS, "%s (%u bytes at %zu): %s", what, len,
	      toff, ibv_wc_status_str(st));
}

/* The byte a write of round r, op k puts at target offset off. */
static uint8_t pat(size_t off, unsigned int r, unsigned int k)
{
	return (uint8_t)(off * 31 + off / PAGE * 7 + r * 101 + k * 13 + 1);
}

static void *map_fixed_anon(void *addr, size_t len)
{
	void *p = mmap(addr, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | (addr ? MAP_FIXED : 0),
		       -1, 0);

	CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
	CHECK(!addr || p == addr, "mmap MAP_FIXED moved");
	return p;
}

/* Remapper and RDMA thread meet here between phases. */
static pthread_barrier_t bar;
static volatile bool together_stop;
static unsigned int cur_round;
static unsigned long remaps;

/* Apart: take the target's pages away one way or another; set the model. */
static void remap_apart(unsigned int r)
{
	size_t i;
	void *tmp, *p;

	switch (r % 4) {
	case 0:		/* munmap, then a fresh mapping at the same place */
		CHECK(!munmap(tgt, TGT_SIZE), "munmap: %s", strerror(errno));
		map_fixed_anon(tgt, TGT_SIZE);
		for (i = 0; i < TGT_SIZE; i++)
			tgt[i] = model[i] = pat(i, r, 1000);
		break;
	case 1:		/* new pages over the old ones, no munmap */
		map_fixed_anon(tgt, TGT_SIZE);
		memset(model, 0, TGT_SIZE);
		/* Only some pages touched: the rest fault in as zero. */
		for (i = 0; i < TGT_SIZE; i += 2 * PAGE)
			tgt[i] = model[i] = pat(i, r, 1001);
		break;
	case 2:		/* MADV_DONTNEED: private anonymous pages read as 0 */
		CHECK(!madvise(tgt, TGT_SIZE, MADV_DONTNEED), "madvise: %s",
		      strerror(errno));
		memset(model, 0, TGT_SIZE);
		break;
	case 3:		/* mremap away and back: the contents move along */
		tmp = mmap(NULL, TGT_SIZE, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(tmp != MAP_FAILED, "mmap: %s", strerror(errno));
		p = mremap(tgt, TGT_SIZE, TGT_SIZE,
			   MREMAP_MAYMOVE | MREMAP_FIXED, tmp);
		CHECK(p == tmp, "mremap away: %s", strerror(errno));
		p = mremap(tmp, TGT_SIZE, TGT_SIZE,
			   MREMAP_MAYMOVE | MREMAP_FIXED, tgt);
		CHECK(p == (void *)tgt, "mremap back: %s", strerror(errno));
		CHECK(!memcmp(tgt, model, TGT_SIZE), "mremap lost data");
		break;
	}
	remaps++;
}

/* Together: churn the second half until told to stop. */
static void remap_together(void)
{
	unsigned int n = 0;

	while (!together_stop) {
		if (n++ % 2)
			CHECK(!madvise(tgt + HALF, HALF, MADV_DONTNEED),
			      "madvise: %s", strerror(errno));
		else
			map_fixed_anon(tgt + HALF, HALF);
		remaps++;
		usleep(500);
	}
}

static void *remapper(void *arg)
{
	unsigned int r;

	for (r = 0; r < ROUNDS; r++) {
		remap_apart(r);
		pthread_barrier_wait(&bar);	/* RDMA apart */
		pthread_barrier_wait(&bar);	/* together */
		remap_together();
		pthread_barrier_wait(&bar);	/* RDMA thread checks */
		pthread_barrier_wait(&bar);	/* its checks are done */
	}
	return NULL;
}

static void random_io(unsigned int *seed, size_t lo, size_t span,
		      size_t *off, uint32_t *len)
{
	*len = 1 + rand_r(seed) % MAX_IO;
	*off = lo + rand_r(seed) % (span - *len);
}

/* Apart: writes and reads with exact expectations. */
static void rdma_apart(struct conn *c, unsigned int r, unsigned int *seed)
{
	unsigned int k;
	size_t off, i;
	uint32_t len;

	for (k = 0; k < OPS_APART; k++) {
		random_io(seed, 0, TGT_SIZE, &off, &len);
		if (rand_r(seed) % 2) {
			for (i = 0; i < len; i++)
				l_buf[i] = model[off + i] = pat(off + i, r, k);
			rdma_ok(c, IBV_WR_RDMA_WRITE, 0, len, off, "WRITE");
		} else {
			memset(l_buf + PAGE * 64, 0xee, len);
			rdma_ok(c, IBV_WR_RDMA_READ, PAGE * 64, len, off,
				"READ");
			for (i = 0; i < len; i++)
				CHECK(l_buf[PAGE * 64 + i] == model[off + i],
				      "round %u: READ at %zu: byte %zu is %u, want %u",
				      r, off, off + i, l_buf[PAGE * 64 + i],
				      model[off + i]);
		}
	}
	for (i = 0; i < TGT_SIZE; i++)
		CHECK(tgt[i] == model[i],
		      "round %u: target byte %zu is %u, want %u (a write missed the new pages?)",
		      r, i, tgt[i], model[i]);
}

/* Allowed in the churned half: what was there, the round's write, 0. */
static bool churn_ok(size_t off, uint8_t v, unsigned int r)
{
	return v == 0 || v == model[off] || v == pat(off, r, 9999);
}

/* Together: the first half exact, the second half within churn_ok(). */
static void rdma_together(struct conn *c, unsigned int r, unsigned int *seed)
{
	unsigned int k;
	size_t off, i;
	uint32_t len;
	bool churn;

	for (k = 0; k < OPS_TOGETHER; k++) {
		churn = rand_r(seed) % 2;
		random_io(seed, churn ? HALF : 0, HALF, &off, &len);
		if (rand_r(seed) % 2) {
			for (i = 0; i < len; i++) {
				/* One value per byte for the whole round. */
				l_buf[i] = pat(off + i, r, churn ? 9999 : k);
				if (!churn)
					model[off + i] = l_buf[i];
			}
			rdma_ok(c, IBV_WR_RDMA_WRITE, 0, len, off, "WRITE");
			continue;
		}
		rdma_ok(c, IBV_WR_RDMA_READ, PAGE * 64, len, off, "READ");
		for (i = 0; i < len; i++) {
			uint8_t v = l_buf[PAGE * 64 + i];

			CHECK(churn ? churn_ok(off + i, v, r) :
				      v == model[off + i],
			      "round %u: READ together at %zu: byte %zu is %u",
			      r, off, off + i, v);
		}
	}
}

static void register_target(bool implicit)
{
	int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		     IBV_ACCESS_REMOTE_READ | IBV_ACCESS_ON_DEMAND;

	tgt = map_fixed_anon(NULL, TGT_SIZE);
	if (implicit)
		t_mr = ibv_reg_mr(pd, NULL, SIZE_MAX, access);
	else
		t_mr = ibv_reg_mr(pd, tgt, TGT_SIZE, access);
	CHECK(t_mr, "ibv_reg_mr (target, %s ODP): %s",
	      implicit ? "implicit" : "explicit", strerror(errno));
}

static void register_local(void)
{
	l_buf = map_fixed_anon(NULL, LBUF_SIZE);
	l_mr = ibv_reg_mr(pd, l_buf, LBUF_SIZE, IBV_ACCESS_LOCAL_WRITE |
			  IBV_ACCESS_ON_DEMAND);
	CHECK(l_mr, "ibv_reg_mr (local ODP): %s", strerror(errno));
}

static void stream(bool implicit)
{
	unsigned int seed = 12345, r;
	pthread_t th;
	struct conn c;
	size_t i;

	register_target(implicit);
	model = calloc(1, TGT_SIZE);
	CHECK(model, "calloc");
	conn_open(&c);
	CHECK(!pthread_barrier_init(&bar, NULL, 2), "barrier");
	CHECK(!pthread_create(&th, NULL, remapper, NULL), "pthread_create");
	for (r = 0; r < ROUNDS; r++) {
		cur_round = r;
		pthread_barrier_wait(&bar);
		rdma_apart(&c, r, &seed);
		together_stop = false;
		pthread_barrier_wait(&bar);
		rdma_together(&c, r, &seed);
		together_stop = true;
		pthread_barrier_wait(&bar);
		/* The churned half as it ended up, checked byte by byte. */
		for (i = HALF; i < TGT_SIZE; i++) {
			CHECK(churn_ok(i, tgt[i], r),
			      "round %u: churned byte %zu is %u", r, i,
			      tgt[i]);
			model[i] = tgt[i];
		}
		for (i = 0; i < HALF; i++)
			CHECK(tgt[i] == model[i],
			      "round %u: stable byte %zu is %u, want %u", r, i,
			      tgt[i], model[i]);
		pthread_barrier_wait(&bar);
	}
	pthread_join(th, NULL);
	ok("%s ODP: %u rounds, %lu remaps, every byte as it must be",
	   implicit ? "implicit" : "explicit", ROUNDS, remaps);
	conn_close(&c);
	CHECK(!ibv_dereg_mr(t_mr), "dereg target");
	CHECK(!munmap(tgt, TGT_SIZE), "munmap");
	free(model);
}

static void test_stream(void)
{
	stream(false);
}

static void test_implicit(void)
{
	stream(true);
}

static void test_errors(void)
{
	enum ibv_wc_status st;
	struct conn c;
	uint8_t *ro;

	register_target(false);
	conn_open(&c);
	rdma_ok(&c, IBV_WR_RDMA_WRITE, 0, 100, 0, "WRITE before the munmap");
	CHECK(!munmap(tgt + HALF, HALF), "munmap: %s", strerror(errno));
	st = rdma(&c, IBV_WR_RDMA_WRITE, 0, 100, (uintptr_t)tgt + HALF,
		  t_mr->rkey, "WRITE into the hole");
	CHECK(st == IBV_WC_REM_ACCESS_ERR, "WRITE into an unmapped part: %s",
	      ibv_wc_status_str(st));
	ok("a WRITE into an unmapped part of an ODP MR: remote access error");
	conn_close(&c);

	/* A read-only mapping: READ works, WRITE cannot fault it writable. */
	ro = mmap(tgt + HALF, HALF, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
		  MAP_FIXED, -1, 0);
	CHECK(ro == tgt + HALF, "mmap read-only: %s", strerror(errno));
	conn_open(&c);
	rdma_ok(&c, IBV_WR_RDMA_READ, 0, 100, HALF, "READ of read-only pages");
	st = rdma(&c, IBV_WR_RDMA_WRITE, 0, 100, (uintptr_t)tgt + HALF,
		  t_mr->rkey, "WRITE into read-only pages");
	CHECK(st == IBV_WC_REM_ACCESS_ERR, "WRITE into read-only pages: %s",
	      ibv_wc_status_str(st));
	ok("an ODP MR over read-only pages: READ works, WRITE is a remote access error");
	conn_close(&c);

	/* A local SGE in an unmapped part of the local ODP MR. */
	conn_open(&c);
	CHECK(!munmap(l_buf + LBUF_SIZE - PAGE, PAGE), "munmap");
	st = rdma(&c, IBV_WR_RDMA_WRITE, LBUF_SIZE - PAGE, 64, (uintptr_t)tgt,
		  t_mr->rkey, "WRITE from an unmapped local page");
	CHECK(st == IBV_WC_LOC_PROT_ERR, "gather from an unmapped page: %s",
	      ibv_wc_status_str(st));
	ok("a local SGE in an unmapped part of an ODP MR: local protection error");
	conn_close(&c);
	map_fixed_anon(l_buf + LBUF_SIZE - PAGE, PAGE);
	CHECK(!ibv_dereg_mr(t_mr), "dereg target");
	CHECK(!munmap(tgt, TGT_SIZE), "munmap");
}

static int advise(struct ibv_mr *mr, uint64_t addr, uint32_t len, int advice,
		  uint32_t flags)
{
	struct ibv_sge sge = {
		.addr = addr, .length = len, .lkey = mr ? mr->lkey : 0x12345678,
	};

	return ibv_advise_mr(pd, advice, flags, &sge, 1);
}

static void test_advise(void)
{
	size_t big = 64 << 20;
	struct ibv_mr *pinned, *mr;
	uint8_t *p;
	int ret;

	register_target(false);
	CHECK(!advise(t_mr, (uintptr_t)tgt, TGT_SIZE,
		      IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
		      IBV_ADVISE_MR_FLAG_FLUSH), "sync PREFETCH_WRITE");
	CHECK(!advise(t_mr, (uintptr_t)tgt, TGT_SIZE,
		      IBV_ADVISE_MR_ADVICE_PREFETCH, 0), "async PREFETCH");
	CHECK(!advise(t_mr, (uintptr_t)tgt, TGT_SIZE,
		      IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT,
		      IBV_ADVISE_MR_FLAG_FLUSH), "PREFETCH_NO_FAULT");
	ok("prefetches: sync, async, no fault");

	ret = advise(NULL, (uintptr_t)tgt, PAGE,
		     IBV_ADVISE_MR_ADVICE_PREFETCH, IBV_ADVISE_MR_FLAG_FLUSH);
	CHECK(ret == ENOENT, "bad lkey: %s", strerror(ret));
	ret = advise(t_mr, (uintptr_t)tgt + TGT_SIZE - PAGE, 2 * PAGE,
		     IBV_ADVISE_MR_ADVICE_PREFETCH, IBV_ADVISE_MR_FLAG_FLUSH);
	CHECK(ret == EINVAL, "range outside the MR: %s", strerror(ret));
	ret = advise(t_mr, (uintptr_t)tgt, PAGE, 77,
		     IBV_ADVISE_MR_FLAG_FLUSH);
	CHECK(ret == EOPNOTSUPP || ret == EINVAL, "unknown advice: %s",
	      strerror(ret));
	pinned = ibv_reg_mr(pd, l_buf, PAGE, IBV_ACCESS_LOCAL_WRITE);
	CHECK(pinned, "ibv_reg_mr pinned: %s", strerror(errno));
	ret = advise(pinned, (uintptr_t)l_buf, PAGE,
		     IBV_ADVISE_MR_ADVICE_PREFETCH, IBV_ADVISE_MR_FLAG_FLUSH);
	CHECK(ret == EINVAL, "prefetch of a pinned MR: %s", strerror(ret));
	CHECK(!ibv_dereg_mr(pinned), "dereg pinned");
	ok("bad advice: bad lkey ENOENT, outside the MR EINVAL, unknown advice refused, pinned MR EINVAL");

	/* An asynchronous prefetch still running when its MR goes. */
	p = mmap(NULL, big, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap 64 MiB");
	mr = ibv_reg_mr(pd, p, big, IBV_ACCESS_LOCAL_WRITE |
			IBV_ACCESS_ON_DEMAND);
	CHECK(mr, "ibv_reg_mr 64 MiB ODP: %s", strerror(errno));
	CHECK(!advise(mr, (uintptr_t)p, big,
		      IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, 0),
	      "async prefetch of 64 MiB");
	CHECK(!ibv_dereg_mr(mr), "dereg during an async prefetch");
	CHECK(!munmap(p, big), "munmap");
	ok("an MR deregistered while its asynchronous prefetch runs");
	CHECK(!ibv_dereg_mr(t_mr), "dereg target");
	CHECK(!munmap(tgt, TGT_SIZE), "munmap");
}

static void test_rereg(void)
{
	struct ibv_pd *pd2 = ibv_alloc_pd(ctx);
	struct ibv_mr *pinned;
	struct conn c;
	int ret;

	CHECK(pd2, "ibv_alloc_pd");
	tgt = map_fixed_anon(NULL, TGT_SIZE);
	t_mr = ibv_reg_mr(pd, tgt, TGT_SIZE, IBV_ACCESS_LOCAL_WRITE |
			  IBV_ACCESS_ON_DEMAND);
	CHECK(t_mr, "ibv_reg_mr: %s", strerror(errno));
	ret = ibv_rereg_mr(t_mr, IBV_REREG_MR_CHANGE_TRANSLATION, pd,
			   tgt + PAGE, PAGE, IBV_ACCESS_LOCAL_WRITE |
			   IBV_ACCESS_ON_DEMAND);
	CHECK(ret, "rereg of an ODP MR's translation succeeded");
	ok("an ODP MR's translation cannot change (%d, %s)", ret,
	   strerror(errno));
	ret = ibv_rereg_mr(t_mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, NULL, 0,
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ |
			   IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_ON_DEMAND);
	CHECK(!ret, "rereg access of an ODP MR: %d %s", ret, strerror(errno));
	conn_open(&c);
	memset(tgt, 0x5a, 256);
	rdma_ok(&c, IBV_WR_RDMA_READ, 0, 256, 0, "READ after rereg");
	CHECK(l_buf[0] == 0x5a && l_buf[255] == 0x5a, "READ data");
	rdma_ok(&c, IBV_WR_RDMA_WRITE, 0, 256, 4096, "WRITE after rereg");
	conn_close(&c);
	ret = ibv_rereg_mr(t_mr, IBV_REREG_MR_CHANGE_PD, pd2, NULL, 0, 0);
	CHECK(!ret, "rereg PD of an ODP MR: %d %s", ret, strerror(errno));
	ok("an ODP MR changes its access and PD in place");
	CHECK(!ibv_dereg_mr(t_mr), "dereg");
	pinned = ibv_reg_mr(pd, tgt, PAGE, IBV_ACCESS_LOCAL_WRITE);
	CHECK(pinned, "ibv_reg_mr pinned");
	ret = ibv_rereg_mr(pinned, IBV_REREG_MR_CHANGE_ACCESS, NULL, NULL, 0,
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND);
	CHECK(ret, "a pinned MR became ODP");
	CHECK(!ibv_dereg_mr(pinned), "dereg pinned");
	ok("a pinned MR does not become ODP");
	CHECK(!ibv_dealloc_pd(pd2), "dealloc pd2");
	CHECK(!munmap(tgt, TGT_SIZE), "munmap");
}

/* Stream WRITEs and READs into the target with remaps, until killed. */
/*
 * The responder's fault of a WRITE's target outlasts the requester's
 * patience: FILE sits on a disk that delays every read (the case puts
 * dm-delay under it and drops the page cache), so faulting its pages in
 * for the WRITE waits for the disk.  With timeout 14 (67 ms) and
 * retry_cnt 1 the requester gives up after two silent tries; the write
 * must complete all the same, because the responder answers RNR NAKs while
 * the fault runs (rnr_retry 7: no limit).  The bytes must be in the
 * mapping, and the write must really have been slow, or this proved
 * nothing.
 */
static void test_slowfault(const char *file)
{
	static const struct rc_conn_params impatient = {
		.psn = 0x100, .rd_atomic = 4, .timeout = 14, .retry_cnt = 1,
		.rnr_retry = 7, .min_rnr_timer = 1,
		.access = IBV_ACCESS_REMOTE_WRITE,
	};
	const size_t len = 256 * 1024;
	enum ibv_wc_status st;
	struct ibv_mr *mr;
	struct conn c;
	double t;
	uint8_t *p;
	size_t i;
	int fd;

	fd = open(file, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "slowfault: %s: %s", file, strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "slowfault: mmap: %s", strerror(errno));
	mr = ibv_reg_mr(pd, p, len, IBV_ACCESS_LOCAL_WRITE |
			IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_ON_DEMAND);
	CHECK(mr, "slowfault: ibv_reg_mr (ODP): %s", strerror(errno));
	for (i = 0; i < len; i++)
		l_buf[i] = pat(i, 0, 5);
	conn_open_with(&c, &impatient);
	t = now();
	st = rdma(&c, IBV_WR_RDMA_WRITE, 0, len, (uintptr_t)p, mr->rkey,
		  "slowfault: WRITE");
	t = now() - t;
	CHECK(st == IBV_WC_SUCCESS,
	      "slowfault: %zu KiB WRITE into the slow file: %s after %.2f s",
	      len / 1024, ibv_wc_status_str(st), t);
	CHECK(t > 0.3, "slowfault: the WRITE took %.3f s: the fault was not "
	      "slow, the disk delay did not apply", t);
	for (i = 0; i < len; i++)
		CHECK(p[i] == pat(i, 0, 5), "slowfault: byte %zu is %u", i,
		      p[i]);
	ok("slowfault: %zu KiB WRITE into a file on a slow disk took %.2f s, "
	   "past retry_cnt 1 x 67 ms, and completed with every byte", len / 1024,
	   t);
	conn_close(&c);
	CHECK(!ibv_dereg_mr(mr), "slowfault: dereg");
	CHECK(!munmap(p, len) && !close(fd), "slowfault: unmap, close");
}

static void run_forever(const char *ready)
{
	unsigned int r = 0;
	struct conn c;
	FILE *f;

	register_target(false);
	model = calloc(1, TGT_SIZE);
	CHECK(model, "calloc");
	conn_open(&c);
	for (;;) {
		rdma_ok(&c, IBV_WR_RDMA_WRITE, 0, MAX_IO, (r * PAGE) % HALF,
			"WRITE");
		rdma_ok(&c, IBV_WR_RDMA_READ, 0, MAX_IO, (r * PAGE) % HALF,
			"READ");
		if (r % 8 == 0)
			CHECK(!madvise(tgt, TGT_SIZE, MADV_DONTNEED),
			      "madvise");
		if (++r == 32 && ready) {
			f = fopen(ready, "w");
			CHECK(f, "create %s", ready);
			fclose(f);
			printf("streaming\n");
			fflush(stdout);
		}
	}
}

/* Register, stream a little, then wait for the device's removal. */
static void hold(const char *ready)
{
	struct conn c;
	FILE *f;
	int i;

	register_target(false);
	conn_open(&c);
	for (i = 0; i < 16; i++)
		rdma_ok(&c, IBV_WR_RDMA_WRITE, 0, MAX_IO, i * PAGE, "WRITE");
	f = fopen(ready, "w");
	CHECK(f, "create %s", ready);
	fclose(f);
	printf("holding ODP MRs\n");
	fflush(stdout);
	wait_device_fatal(ctx);
	CHECK(!ibv_destroy_qp(c.a) && !ibv_destroy_qp(c.b), "destroy QPs");
	CHECK(!ibv_destroy_cq(c.cq_a) && !ibv_destroy_cq(c.cq_b),
	      "destroy CQs");
	CHECK(!ibv_dereg_mr(t_mr) && !ibv_dereg_mr(l_mr), "dereg");
	CHECK(!ibv_dealloc_pd(pd), "dealloc pd");
	CHECK(!ibv_close_device(ctx), "close");
	printf("device fatal: ODP MRs released\n");
}

static void open_dev(const char *name)
{
	ctx = open_device_by_name(name);
	CHECK(ctx, "open %s: %s", name, strerror(errno));
	CHECK(!ibv_query_port(ctx, 1, &pattr), "ibv_query_port");
	sgid_index = roce_v2_ipv4_gid(ctx, &gid);
	CHECK(sgid_index >= 0, "no RoCEv2 IPv4 GID on %s", name);
	pd = ibv_alloc_pd(ctx);
	CHECK(pd, "ibv_alloc_pd");
	register_local();
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} tests[] = {
		{ "stream", test_stream }, { "implicit", test_implicit },
		{ "errors", test_errors }, { "advise", test_advise },
		{ "rereg", test_rereg },
	};
	unsigned int i;
	int t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	CHECK(argc >= 3, "usage: odp_stress DEV TEST... | run [FILE] | "
	      "slowfault FILE | hold FILE");
	open_dev(argv[1]);
	if (!strcmp(argv[2], "run")) {
		run_forever(argc > 3 ? argv[3] : NULL);
		return 0;
	}
	if (!strcmp(argv[2], "slowfault")) {
		CHECK(argc == 4, "slowfault FILE");
		printf("== slowfault\n");
		test_slowfault(argv[3]);
		goto out;
	}
	if (!strcmp(argv[2], "hold")) {
		CHECK(argc == 4, "hold FILE");
		hold(argv[3]);
		return 0;
	}
	for (t = 2; t < argc; t++) {
		for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
			if (!strcmp(argv[t], tests[i].name))
				break;
		CHECK(i < sizeof(tests) / sizeof(tests[0]), "unknown test %s",
		      argv[t]);
		printf("== %s\n", argv[t]);
		tests[i].fn();
	}
out:
	CHECK(!ibv_dereg_mr(l_mr), "dereg local");
	CHECK(!ibv_dealloc_pd(pd), "dealloc pd");
	CHECK(!ibv_close_device(ctx), "close");
	return 0;
}
