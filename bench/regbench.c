// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * regbench: what a registration costs, pinned against on-demand paging,
 * for the ODP part of `make bench` (bench/odp.sh).
 *
 *   reg, dereg    ibv_reg_mr / ibv_dereg_mr time against size, for
 *                 pinned_touched   pinned, every page written beforehand
 *                 pinned_untouched pinned, fresh anonymous memory (the pin
 *                                  faults every page in)
 *                 odp              IBV_ACCESS_ON_DEMAND, fresh memory
 *                 odp_prefetch     the same plus a synchronous
 *                                  ibv_advise_mr(PREFETCH_WRITE) of all of
 *                                  it, timed together
 *   first_write   a peer's RDMA WRITE into an MR right after registration
 *   next_write    the same WRITE once more, pages now resident
 *                 (modes pinned and odp, fresh memory for both)
 *
 * Every measurement maps fresh memory and unmaps it afterwards, so no
 * mode profits from another's faults.  A mode the device refuses (no ODP,
 * no advise_mr) is reported as NA, not skipped silently.
 *
 * usage: regbench LOCAL_DEV PEER_DEV OUT_CSV [MAX_SIZE]
 * LOCAL_DEV holds the memory under test; PEER_DEV writes into it over an
 * RC connection.  Writes "kind,size,mode,rep,usec" lines to OUT_CSV.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <infiniband/verbs.h>

#include "../tests/common/verbs_util.h"

#define KiB 1024UL
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

#define RW (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
	    IBV_ACCESS_REMOTE_READ)

/* The largest message a first-access measurement moves. */
#define FIRST_MAX (16 * MiB)

struct side {
	const char *name;
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	union ibv_gid gid;
	int gid_index;
};

static struct side local, peer;
static FILE *out;

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("regbench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void record(const char *kind, size_t size, const char *mode, int rep,
		   double usec)
{
	if (usec < 0)
		fprintf(out, "%s,%zu,%s,%d,NA\n", kind, size, mode, rep);
	else
		fprintf(out, "%s,%zu,%s,%d,%.1f\n", kind, size, mode, rep,
			usec);
	fflush(out);
}

static void *fresh(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu: %s", size, strerror(errno));
	return p;
}

/* --- devices and the connection ------------------------------------------ */

static void side_open(struct side *s, const char *name)
{
	struct ibv_qp_init_attr init = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 4, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
		.sq_sig_all = 1,
	};

	s->ctx = open_device_by_name(name);
	if (!s->ctx)
		die("cannot open %s: %s", name, strerror(errno));
	s->name = name;
	s->pd = ibv_alloc_pd(s->ctx);
	s->cq = ibv_create_cq(s->ctx, 8, NULL, NULL, 0);
	if (!s->pd || !s->cq)
		die("%s: PD/CQ: %s", name, strerror(errno));
	s->gid_index = roce_v2_ipv4_gid(s->ctx, &s->gid);
	if (s->gid_index < 0)
		die("%s has no RoCEv2 IPv4 GID", name);
	init.send_cq = init.recv_cq = s->cq;
	s->qp = ibv_create_qp(s->pd, &init);
	if (!s->qp)
		die("%s: create QP: %s", name, strerror(errno));
}

static void side_connect(struct side *s, const struct side *to)
{
	static const struct rc_conn_params p = {
		.timeout = 18, .retry_cnt = 7, .rnr_retry = 7,
		.min_rnr_timer = 1,
		.access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ,
	};
	const char *step = "?";
	int ret = rc_connect(s->qp, to->qp->qp_num, &to->gid, s->gid_index, &p,
			     &step);

	if (ret)
		die("%s: QP to %s: %s", s->name, step, strerror(ret));
}

/* The peer writes @len bytes from @src into @dst; returns microseconds. */
static double peer_write(struct ibv_mr *src, struct ibv_mr *dst, size_t len)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)src->addr, .length = len, .lkey = src->lkey,
	};
	struct ibv_send_wr wr = {
		.sg_list = &sge, .num_sge = 1, .opcode = IBV_WR_RDMA_WRITE,
		.wr.rdma = { .remote_addr = (uintptr_t)dst->addr,
			     .rkey = dst->rkey },
	}, *bad;
	struct ibv_wc wc;
	double t0 = now_us();
	int n;

	if (ibv_post_send(peer.qp, &wr, &bad))
		die("post RDMA WRITE: %s", strerror(errno));
	while ((n = ibv_poll_cq(peer.cq, 1, &wc)) == 0)
		;
	if (n < 0 || wc.status != IBV_WC_SUCCESS)
		die("RDMA WRITE of %zu: %s", len,
		    n < 0 ? "poll failed" : ibv_wc_status_str(wc.status));
	return now_us() - t0;
}

/* --- registration -------------------------------------------------------- */

enum mode { PINNED_TOUCHED, PINNED_UNTOUCHED, ODP, ODP_PREFETCH, NMODES };

static const char *const mode_name[NMODES] = {
	"pinned_touched", "pinned_untouched", "odp", "odp_prefetch",
};

/*
 * Register @buf (@size bytes) the way @m says; *@usec gets the time it
 * took, prefetch included.  NULL when the device refuses the mode.
 */
static struct ibv_mr *reg(enum mode m, void *buf, size_t size, double *usec)
{
	int access = RW | (m >= ODP ? IBV_ACCESS_ON_DEMAND : 0);
	struct ibv_sge sge = {
		.addr = (uintptr_t)buf, .length = size,
	};
	struct ibv_mr *mr;
	double t0;

	if (m == PINNED_TOUCHED)
		memset(buf, 0x5a, size);
	t0 = now_us();
	mr = ibv_reg_mr(local.pd, buf, size, access);
	if (mr && m == ODP_PREFETCH) {
		sge.lkey = mr->lkey;
		if (ibv_advise_mr(local.pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
				  IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1)) {
			ibv_dereg_mr(mr);
			mr = NULL;
		}
	}
	*usec = now_us() - t0;
	return mr;
}

static int reps_for(size_t size)
{
	return size >= 256 * MiB ? 2 : size >= 16 * MiB ? 3 : 7;
}

static void bench_reg(size_t max)
{
	bool refused[NMODES] = { false };
	size_t size;
	int m, r;

	for (size = 4 * KiB; size <= max; size *= 4) {
		for (r = 0; r < reps_for(size); r++) {
			for (m = 0; m < NMODES; m++) {
				void *buf = fresh(size);
				struct ibv_mr *mr = NULL;
				double t = -1, d = -1;

				if (!refused[m])
					mr = reg(m, buf, size, &t);
				if (mr) {
					double t0 = now_us();

					if (ibv_dereg_mr(mr))
						die("dereg: %s", strerror(errno));
					d = now_us() - t0;
				} else {
					if (!refused[m])
						fprintf(stderr,
							"regbench: %s refused: %s\n",
							mode_name[m],
							strerror(errno));
					refused[m] = true;
					t = -1;
				}
				record("reg", size, mode_name[m], r, t);
				record("dereg", size, mode_name[m], r, d);
				munmap(buf, size);
			}
		}
		/* 4 KiB .. 1 GiB in steps of 4x, and 1 GiB itself. */
		if (size < max && size * 4 > max)
			size = max / 4;
	}
}

static void bench_first(size_t max)
{
	size_t sizes[] = { 64 * KiB, 1 * MiB, FIRST_MAX };
	void *srcbuf = fresh(FIRST_MAX);
	struct ibv_mr *src;
	unsigned int i;
	int m, r;

	memset(srcbuf, 0xa5, FIRST_MAX);
	src = ibv_reg_mr(peer.pd, srcbuf, FIRST_MAX, IBV_ACCESS_LOCAL_WRITE);
	if (!src)
		die("peer MR: %s", strerror(errno));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (sizes[i] > max)
			break;
		for (r = 0; r < reps_for(sizes[i]); r++) {
			for (m = PINNED_UNTOUCHED; m <= ODP; m++) {
				const char *name = m == ODP ? "odp" : "pinned";
				void *buf = fresh(sizes[i]);
				double t, first = -1, next = -1;
				struct ibv_mr *mr = reg(m, buf, sizes[i], &t);

				if (mr) {
					first = peer_write(src, mr, sizes[i]);
					next = peer_write(src, mr, sizes[i]);
					if (memcmp(buf, srcbuf, sizes[i]))
						die("%s: WRITE of %zu not in memory",
						    name, sizes[i]);
					ibv_dereg_mr(mr);
				}
				record("first_write", sizes[i], name, r, first);
				record("next_write", sizes[i], name, r, next);
				munmap(buf, sizes[i]);
			}
		}
	}
	ibv_dereg_mr(src);
	munmap(srcbuf, FIRST_MAX);
}

int main(int argc, char **argv)
{
	size_t max = GiB;

	if (argc < 4 || argc > 5)
		die("usage: regbench LOCAL_DEV PEER_DEV OUT_CSV [MAX_SIZE]");
	if (argc == 5)
		max = strtoull(argv[4], NULL, 0);
	out = fopen(argv[3], "a");
	if (!out)
		die("%s: %s", argv[3], strerror(errno));
	side_open(&local, argv[1]);
	side_open(&peer, argv[2]);
	side_connect(&local, &peer);
	side_connect(&peer, &local);
	bench_reg(max);
	bench_first(max);
	fclose(out);
	return 0;
}
