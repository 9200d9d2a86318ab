// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * regbench: what a registration costs against its size and the memory
 * behind it, for `rdmapin bench` (bench/engine.sh runs it).
 *
 *   reg, dereg    ibv_reg_mr / ibv_dereg_mr time, for
 *                 pinned_touched   pinned, every page written beforehand
 *                 pinned_untouched pinned, fresh anonymous memory (the pin
 *                                  faults every page in)
 *                 pinned_thp       pinned, 2 MiB-aligned anonymous memory
 *                                  with MADV_HUGEPAGE, written beforehand
 *                 pinned_hugetlb   pinned, MAP_HUGETLB memory (2 MiB pages
 *                                  the caller reserved), written beforehand
 *                 odp              IBV_ACCESS_ON_DEMAND, fresh memory
 *                 odp_prefetch     the same plus a synchronous
 *                                  ibv_advise_mr(PREFETCH_WRITE) of all of
 *                                  it, timed together
 *   first_write   a peer's RDMA WRITE into an MR right after registration
 *   next_write    the same WRITE once more, pages now resident
 *                 (modes pinned_untouched, odp, odp_prefetch: fresh memory)
 *
 * Every measurement maps fresh memory and unmaps it afterwards, so no
 * mode profits from another's faults.  The ODP modes run on devices that
 * report ODP only (rdma_rxe in 6.12 does not; stderr says so).  A
 * measurement that cannot be made is an NA row with the reason on stderr:
 * the device refused the mode, no huge page was left, or THP did not back
 * the whole buffer.
 *
 * usage: regbench [--device LABEL] [--min SIZE] [--max SIZE]
 *                 LOCAL_DEV PEER_DEV OUT_CSV
 * LOCAL_DEV holds the memory under test; PEER_DEV writes into it over an
 * RC connection.  Sizes from --min (4 KiB) to --max (1 GiB) in steps of
 * 4x; first accesses at 64 KiB, 1 MiB and 16 MiB where in that range.
 * Appends "kind,size,mode,device,rep,usec" rows to OUT_CSV, LABEL (the
 * local device's name unless given) in the device column.
 */
#include <errno.h>
#include <getopt.h>
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
#define HUGE_SIZE (2 * MiB)

#define RW (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
	    IBV_ACCESS_REMOTE_READ)

/* The sizes a first-access measurement moves, and the largest. */
static const size_t first_sizes[] = { 64 * KiB, 1 * MiB, 16 * MiB };
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
static const char *label;
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

static void __attribute__((format(printf, 1, 2)))
note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "regbench: %s: ", label);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* One row; a negative @usec is NA. */
static void record(const char *kind, size_t size, const char *mode, int rep,
		   double usec)
{
	if (usec < 0)
		fprintf(out, "%s,%zu,%s,%s,%d,NA\n", kind, size, mode, label,
			rep);
	else
		fprintf(out, "%s,%zu,%s,%s,%d,%.1f\n", kind, size, mode, label,
			rep, usec);
	if (fflush(out))
		die("writing the CSV: %s", strerror(errno));
}

/* --- memory -------------------------------------------------------------- */

enum mode {
	PINNED_TOUCHED, PINNED_UNTOUCHED, PINNED_THP, PINNED_HUGETLB,
	ODP, ODP_PREFETCH, NMODES
};

static const char *const mode_name[NMODES] = {
	"pinned_touched", "pinned_untouched", "pinned_thp", "pinned_hugetlb",
	"odp", "odp_prefetch",
};

static bool is_odp(enum mode m)
{
	return m == ODP || m == ODP_PREFETCH;
}

/* A buffer under test: @addr inside the mapping [@map, @map + @maplen). */
struct buf {
	void *map;
	size_t maplen;
	char *addr;
};

static size_t huge_round(size_t size)
{
	return (size + HUGE_SIZE - 1) / HUGE_SIZE * HUGE_SIZE;
}

/*
 * The AnonHugePages of the mapping that starts at @addr, in bytes; -1
 * when smaps cannot tell.  A mapping's first line in smaps is
 * "START-END PERMS ...", its fields follow as "NAME: VALUE".
 */
static long long anon_huge_bytes(const void *addr)
{
	unsigned long start, end;
	long long kb = -1;
	char line[256];
	bool in = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
			in = start == (uintptr_t)addr;
		else if (in && sscanf(line, "AnonHugePages: %lld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

/*
 * 2 MiB-aligned anonymous memory advised for THP, written so that the
 * pages exist; false (with the reason on stderr) unless THP backs all of
 * it.  Sizes under 2 MiB sit in one huge page.
 */
static bool thp_buf(struct buf *b, size_t size)
{
	size_t len = huge_round(size);
	long long huge;

	b->maplen = len + HUGE_SIZE;
	b->map = mmap(NULL, b->maplen, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->map == MAP_FAILED)
		die("mmap %zu: %s", b->maplen, strerror(errno));
	b->addr = (char *)(((uintptr_t)b->map + HUGE_SIZE - 1) &
			   ~(uintptr_t)(HUGE_SIZE - 1));
	if (madvise(b->addr, len, MADV_HUGEPAGE)) {
		note("pinned_thp %zu: madvise(MADV_HUGEPAGE): %s", size,
		     strerror(errno));
		return false;
	}
	memset(b->addr, 0x5a, len);
	huge = anon_huge_bytes(b->addr);
	if (huge < (long long)len) {
		note("pinned_thp %zu: THP backs %lld of %zu bytes (fragmented memory, or THP disabled)",
		     size, huge, len);
		return false;
	}
	return true;
}

/* MAP_HUGETLB memory, written; false when no huge pages are left. */
static bool hugetlb_buf(struct buf *b, size_t size)
{
	b->maplen = huge_round(size);
	b->map = mmap(NULL, b->maplen, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (b->map == MAP_FAILED) {
		note("pinned_hugetlb %zu: mmap(MAP_HUGETLB) of %zu: %s (reserve more in /proc/sys/vm/nr_hugepages)",
		     size, b->maplen, strerror(errno));
		b->map = NULL;
		return false;
	}
	b->addr = b->map;
	memset(b->addr, 0x5a, b->maplen);
	return true;
}

/* Memory for mode @m, ready to register; false when it cannot be had. */
static bool buf_get(struct buf *b, enum mode m, size_t size)
{
	memset(b, 0, sizeof(*b));
	if (m == PINNED_THP)
		return thp_buf(b, size);
	if (m == PINNED_HUGETLB)
		return hugetlb_buf(b, size);
	b->maplen = size;
	b->map = mmap(NULL, size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->map == MAP_FAILED)
		die("mmap %zu: %s", size, strerror(errno));
	b->addr = b->map;
	if (m == PINNED_TOUCHED)
		memset(b->addr, 0x5a, size);
	return true;
}

static void buf_put(struct buf *b)
{
	if (b->map && b->map != MAP_FAILED)
		munmap(b->map, b->maplen);
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

static bool device_has_odp(struct ibv_context *ctx)
{
	struct ibv_device_attr_ex attr = {};

	return !ibv_query_device_ex(ctx, NULL, &attr) &&
	       (attr.odp_caps.general_caps & IBV_ODP_SUPPORT);
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

/*
 * Register @size bytes at @addr the way @m says; *@usec gets the time it
 * took, prefetch included.  NULL, with errno, when the device refuses.
 */
static struct ibv_mr *reg(enum mode m, void *addr, size_t size, double *usec)
{
	int access = RW | (is_odp(m) ? IBV_ACCESS_ON_DEMAND : 0);
	struct ibv_sge sge = {
		.addr = (uintptr_t)addr, .length = size,
	};
	struct ibv_mr *mr;
	double t0;
	int ret;

	t0 = now_us();
	mr = ibv_reg_mr(local.pd, addr, size, access);
	if (mr && m == ODP_PREFETCH) {
		sge.lkey = mr->lkey;
		ret = ibv_advise_mr(local.pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
				    IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1);
		if (ret) {
			ibv_dereg_mr(mr);
			mr = NULL;
			errno = ret;
		}
	}
	*usec = now_us() - t0;
	return mr;
}

static int reps_for(size_t size)
{
	return size >= 256 * MiB ? 2 : size >= 16 * MiB ? 3 : 7;
}

/* One reg and dereg measurement; false when the mode is refused. */
static bool reg_once(enum mode m, size_t size, int rep)
{
	double t = -1, d = -1, t0;
	struct ibv_mr *mr = NULL;
	struct buf b;
	bool ok = true;

	if (buf_get(&b, m, size)) {
		mr = reg(m, b.addr, size, &t);
		if (!mr) {
			note("%s %zu refused: %s", mode_name[m], size,
			     strerror(errno));
			ok = false;
			t = -1;
		} else {
			t0 = now_us();
			if (ibv_dereg_mr(mr))
				die("dereg: %s", strerror(errno));
			d = now_us() - t0;
		}
	}
	record("reg", size, mode_name[m], rep, t);
	record("dereg", size, mode_name[m], rep, d);
	buf_put(&b);
	return ok;
}

static void bench_reg(size_t min, size_t max, bool odp)
{
	bool refused[NMODES] = { false };
	size_t size;
	int m, r;

	for (size = min; size <= max; size *= 4) {
		for (r = 0; r < reps_for(size); r++) {
			for (m = 0; m < NMODES; m++) {
				if (is_odp(m) && !odp)
					continue;
				if (refused[m]) {
					record("reg", size, mode_name[m], r, -1);
					record("dereg", size, mode_name[m], r, -1);
					continue;
				}
				/* A refusal is the device's answer for
				 * every size: say it once.
				 */
				refused[m] = !reg_once(m, size, r);
			}
		}
	}
}

/* The first and the next WRITE into fresh memory registered as @m. */
static void first_once(enum mode m, struct ibv_mr *src, size_t size, int rep)
{
	double t, first = -1, next = -1;
	struct ibv_mr *mr;
	struct buf b;

	buf_get(&b, m, size);
	mr = reg(m, b.addr, size, &t);
	if (mr) {
		first = peer_write(src, mr, size);
		next = peer_write(src, mr, size);
		if (memcmp(b.addr, src->addr, size))
			die("%s: WRITE of %zu not in memory", mode_name[m],
			    size);
		ibv_dereg_mr(mr);
	} else {
		note("first_write %s %zu: registration refused: %s",
		     mode_name[m], size, strerror(errno));
	}
	record("first_write", size, mode_name[m], rep, first);
	record("next_write", size, mode_name[m], rep, next);
	buf_put(&b);
}

static void bench_first(size_t min, size_t max, bool odp)
{
	static const enum mode modes[] = {
		PINNED_UNTOUCHED, ODP, ODP_PREFETCH,
	};
	struct ibv_mr *src;
	struct buf sb;
	unsigned int i, m;
	int r;

	buf_get(&sb, PINNED_TOUCHED, FIRST_MAX);
	memset(sb.addr, 0xa5, FIRST_MAX);
	src = ibv_reg_mr(peer.pd, sb.addr, FIRST_MAX, IBV_ACCESS_LOCAL_WRITE);
	if (!src)
		die("peer MR: %s", strerror(errno));
	for (i = 0; i < sizeof(first_sizes) / sizeof(first_sizes[0]); i++) {
		if (first_sizes[i] < min || first_sizes[i] > max)
			continue;
		for (r = 0; r < reps_for(first_sizes[i]); r++)
			for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
				if (odp || !is_odp(modes[m]))
					first_once(modes[m], src,
						   first_sizes[i], r);
	}
	ibv_dereg_mr(src);
	buf_put(&sb);
}

/* "4096", "64K", "1M", "1G" (binary units). */
static size_t parse_size(const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	switch (*end) {
	case 'G':
		v *= 1024;
		/* fall through */
	case 'M':
		v *= 1024;
		/* fall through */
	case 'K':
		v *= 1024;
		end++;
		break;
	}
	if (errno || *end || v < 4096 || v > 64 * GiB || (v & 4095))
		die("'%s' is not a size (4K to 64G, a multiple of 4 KiB)", s);
	return v;
}

static void usage(void)
{
	die("usage: regbench [--device LABEL] [--min SIZE] [--max SIZE] LOCAL_DEV PEER_DEV OUT_CSV");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "min", required_argument, NULL, 'm' },
		{ "max", required_argument, NULL, 'M' },
		{}
	};
	size_t min = 4 * KiB, max = GiB;
	bool odp;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			label = optarg;
			break;
		case 'm':
			min = parse_size(optarg);
			break;
		case 'M':
			max = parse_size(optarg);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 3 || min > max)
		usage();
	if (!label)
		label = argv[optind];
	out = fopen(argv[optind + 2], "a");
	if (!out)
		die("%s: %s", argv[optind + 2], strerror(errno));
	side_open(&local, argv[optind]);
	side_open(&peer, argv[optind + 1]);
	side_connect(&local, &peer);
	side_connect(&peer, &local);
	odp = device_has_odp(local.ctx);
	if (!odp)
		note("%s reports no ODP: modes odp and odp_prefetch not run",
		     local.name);
	bench_reg(min, max, odp);
	bench_first(min, max, odp);
	if (fclose(out))
		die("writing the CSV: %s", strerror(errno));
	return 0;
}
