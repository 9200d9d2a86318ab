// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pin_test: pinning behaviour of ibv_reg_mr() on an RDMA device, across
 * memory types, in the spirit of the kernel's selftests/mm/gup_longterm.c.
 *
 * Every registration must take exactly one FOLL_PIN per page
 * (nr_foll_pin_acquired), show up in the process's VmPin, and give both
 * back at deregistration or process death; pins must respect
 * RLIMIT_MEMLOCK, migrate pages out of ZONE_MOVABLE, keep a parent's
 * pages after fork(), and a failed registration must leave nothing.
 *
 * usage: pin_test DEVICE [TEST...] [--ext4-file PATH]
 *   TEST: a test name (see the table at the bottom); default all but the
 *   ones that need setup (ext4, movable).
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
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <infiniband/verbs.h>

#include <rdmapin.h>

#include "../common/caps.h"

#define MiB (1024UL * 1024)

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static const char *dev_name;
static const char *ext4_file;
static size_t page_size;
static int failures;

#define CHECK(cond, ...)                                                    \
	do {                                                                \
		bool ok_ = (cond);                                          \
		printf("%s ", ok_ ? "ok  " : "FAIL");                       \
		printf(__VA_ARGS__);                                        \
		printf("\n");                                               \
		if (!ok_)                                                   \
			failures++;                                         \
	} while (0)

/* --- what the kernel says ------------------------------------------------ */

static long vmstat(const char *name)
{
	char key[64];
	long val = -1, v;
	FILE *f = fopen("/proc/vmstat", "re");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name))
			val = v;
	fclose(f);
	return val;
}

struct pin_counts {
	long acquired;
	long released;
};

/*
 * Node statistics are kept per CPU and folded into the totals lazily; a
 * write to stat_refresh folds them now, so small deltas are exact.
 */
static void vmstat_refresh(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			perror("stat_refresh");
		close(fd);
	}
}

static struct pin_counts pin_counts(void)
{
	vmstat_refresh();
	struct pin_counts c = {
		.acquired = vmstat("nr_foll_pin_acquired"),
		.released = vmstat("nr_foll_pin_released"),
	};

	return c;
}

/*
 * Pins taken and released since @before.  A long-term pin of a page in
 * ZONE_MOVABLE or CMA is taken, dropped, the page migrated and pinned
 * again, so "taken" can exceed the pages pinned; the net count, taken
 * minus released, is what is held.
 */
static long taken_since(struct pin_counts before)
{
	return pin_counts().acquired - before.acquired;
}

static long held_since(struct pin_counts before)
{
	struct pin_counts now = pin_counts();

	return (now.acquired - before.acquired) -
	       (now.released - before.released);
}

static uint64_t vm_pin(void)
{
	struct rdmapin_limits lim;

	if (rdmapin_limits(0, &lim))
		return UINT64_MAX;
	return lim.pinned_bytes;
}

/* PFN backing @addr (needs CAP_SYS_ADMIN), or 0 when not present. */
static uint64_t pfn_of(const void *addr)
{
	uint64_t entry = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	off_t off = (uintptr_t)addr / page_size * sizeof(entry);

	if (fd < 0)
		return 0;
	if (pread(fd, &entry, sizeof(entry), off) != sizeof(entry))
		entry = 0;
	close(fd);
	if (!(entry >> 63 & 1))
		return 0;
	return entry & ((1ULL << 55) - 1);
}

/* The PFN range of ZONE_MOVABLE on node 0, from /proc/zoneinfo. */
static bool movable_zone(uint64_t *start, uint64_t *end)
{
	char line[256];
	bool in_movable = false;
	uint64_t spanned = 0, first = 0;
	FILE *f = fopen("/proc/zoneinfo", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Node", 4)) {
			in_movable = strstr(line, "zone  Movable") != NULL;
			continue;
		}
		if (!in_movable)
			continue;
		sscanf(line, " spanned %lu", &spanned);
		if (sscanf(line, " start_pfn: %lu", &first) == 1)
			break;
	}
	fclose(f);
	*start = first;
	*end = first + spanned;
	return spanned && first;
}

/* --- memory and registrations -------------------------------------------- */

static void *map_anon(size_t len, int extra)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void touch(void *p, size_t len, unsigned char v)
{
	for (size_t i = 0; i < len; i += page_size)
		((volatile unsigned char *)p)[i] = v;
}

static struct ibv_mr *reg(void *p, size_t len, int access)
{
	return ibv_reg_mr(pd, p, len, access);
}

#define RW (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
	    IBV_ACCESS_REMOTE_READ)

/*
 * Register @len bytes at @p and check: one pin per page, VmPin grows by
 * the same, deregistration gives both back.
 */
static void check_reg_cycle(const char *what, void *p, size_t len, int access)
{
	struct pin_counts before = pin_counts();
	uint64_t pin0 = vm_pin();
	long held, pages = len / page_size;
	struct ibv_mr *mr;

	mr = reg(p, len, access);
	CHECK(mr, "%s: register %zu KiB (%s)", what, len / 1024,
	      mr ? "ok" : strerror(errno));
	if (!mr)
		return;
	held = held_since(before);
	CHECK(held == pages, "%s: %ld pages, %ld pins held (%ld taken)", what,
	      pages, held, taken_since(before));
	CHECK(vm_pin() - pin0 == len, "%s: VmPin grew by %zu KiB (%llu)", what,
	      len / 1024, (unsigned long long)(vm_pin() - pin0) / 1024);
	CHECK(mr->lkey && (!(access & IBV_ACCESS_REMOTE_READ) || mr->rkey),
	      "%s: keys lkey 0x%x rkey 0x%x", what, mr->lkey, mr->rkey);
	CHECK(ibv_dereg_mr(mr) == 0, "%s: deregister", what);
	held = held_since(before);
	CHECK(held == 0, "%s: all pins released (%ld held)", what, held);
	CHECK(vm_pin() == pin0, "%s: VmPin back to %llu KiB", what,
	      (unsigned long long)pin0 / 1024);
}

/* --- the tests ------------------------------------------------------------ */

static void test_anon(void)
{
	size_t len = 4 * MiB;
	void *p = map_anon(len, 0);

	touch(p, len, 1);
	check_reg_cycle("anon touched rw", p, len, RW);
	check_reg_cycle("anon touched ro", p, len, IBV_ACCESS_REMOTE_READ);
	munmap(p, len);

	p = map_anon(len, 0);
	check_reg_cycle("anon untouched rw", p, len, RW);
	munmap(p, len);

	/* A sub-page buffer pins the pages it touches, no more. */
	p = map_anon(2 * page_size, 0);
	{
		struct pin_counts before = pin_counts();
		struct ibv_mr *mr = reg((char *)p + page_size - 8, 16, RW);
		long held = held_since(before);

		CHECK(mr && held == 2,
		      "16 bytes across a page boundary pin 2 pages (%ld)",
		      held);
		if (mr)
			ibv_dereg_mr(mr);
		held = held_since(before);
		CHECK(held == 0, "and unpins them at dereg (%ld held)", held);
	}
	munmap(p, 2 * page_size);
}

static void test_thp(void)
{
	size_t len = 8 * MiB;
	char *raw = map_anon(len + 2 * MiB, 0);
	char *p = (char *)(((uintptr_t)raw + 2 * MiB - 1) & ~(2 * MiB - 1));

	madvise(p, len, MADV_HUGEPAGE);
	touch(p, len, 2);
	check_reg_cycle("THP", p, len, RW);
	munmap(raw, len + 2 * MiB);
}

static void test_hugetlb(void)
{
	size_t len = 8 * MiB;
	void *p = map_anon(len, MAP_HUGETLB);

	CHECK(p, "hugetlb: 8 MiB of 2 MiB pages (boot with hugepages=)");
	if (!p)
		return;
	touch(p, len, 3);
	check_reg_cycle("hugetlb", p, len, RW);
	munmap(p, len);
}

static void test_shmem(void)
{
	size_t len = 2 * MiB;
	int fd = memfd_create("pin_test", MFD_CLOEXEC);
	void *p;

	if (fd < 0 || ftruncate(fd, len)) {
		CHECK(0, "memfd: %s", strerror(errno));
		return;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	touch(p, len, 4);
	/* shmem needs no dirty tracking: a writable long-term pin is fine. */
	check_reg_cycle("memfd MAP_SHARED rw", p, len, RW);
	munmap(p, len);
	close(fd);
}

/* A registration that fails must leave no pin and no charge. */
static void check_refused(const char *what, void *p, size_t len, int access,
			  int want_errno)
{
	struct pin_counts before = pin_counts();
	uint64_t pin0 = vm_pin();
	struct ibv_mr *mr;
	long held;

	errno = 0;
	mr = reg(p, len, access);
	CHECK(!mr && errno == want_errno, "%s: refused with %s (got %s)", what,
	      strerror(want_errno), mr ? "success" : strerror(errno));
	if (mr)
		ibv_dereg_mr(mr);
	held = held_since(before);
	CHECK(held == 0, "%s: no pin left (%ld held)", what, held);
	CHECK(vm_pin() == pin0, "%s: VmPin unchanged", what);
}

static void test_bad_input(void)
{
	size_t len = 1 * MiB;
	char *p = map_anon(len, 0);
	char *hole;

	touch(p, len, 5);
	/* The second half unmapped: the pins of the first half go back. */
	munmap(p + len / 2, len / 2);
	check_refused("half unmapped", p, len, RW, EFAULT);

	hole = map_anon(len, 0);
	mprotect(hole, len, PROT_READ);
	check_refused("read-only mapping, write access", hole, len, RW,
		      EFAULT);
	munmap(hole, len);
	munmap(p, len / 2);
}

/* An on-demand paging registration pins nothing and charges nothing. */
static void test_odp_no_pin(void)
{
	size_t len = 1 * MiB;
	char *p = map_anon(len, 0);
	struct pin_counts before;
	struct ibv_mr *mr;
	uint64_t pin0;
	long held;

	touch(p, len, 6);
	before = pin_counts();
	pin0 = vm_pin();
	mr = reg(p, len, IBV_ACCESS_ON_DEMAND | IBV_ACCESS_LOCAL_WRITE);
	CHECK(mr, "on-demand paging: registered (%s)", strerror(errno));
	if (mr) {
		held = held_since(before);
		CHECK(held == 0, "on-demand paging: no pin (%ld held)", held);
		CHECK(vm_pin() == pin0, "on-demand paging: VmPin unchanged");
		ibv_dereg_mr(mr);
	}
	munmap(p, len);
}

/* Runs in a child without CAP_IPC_LOCK and with a 1 MiB memlock limit. */
static void memlock_child(void)
{
	struct rlimit rl = { 1 * MiB, 1 * MiB };
	size_t len = 2 * MiB;
	char *p = map_anon(len, 0);
	struct ibv_mr *a, *b;
	struct pin_counts before;

	touch(p, len, 6);
	CHECK(drop_ipc_lock() == 0 && setrlimit(RLIMIT_MEMLOCK, &rl) == 0,
	      "memlock: drop CAP_IPC_LOCK, RLIMIT_MEMLOCK 1 MiB");
	check_refused("memlock: 2 MiB over a 1 MiB limit", p, len, RW, ENOMEM);

	before = pin_counts();
	a = reg(p, 512 * 1024, RW);
	CHECK(a, "memlock: 512 KiB within the limit (%s)",
	      a ? "ok" : strerror(errno));
	b = reg(p + 512 * 1024, 768 * 1024, RW);
	CHECK(!b && errno == ENOMEM,
	      "memlock: 768 KiB more exceeds it in total: ENOMEM (%s)",
	      b ? "registered" : strerror(errno));
	CHECK(vm_pin() == 512 * 1024, "memlock: VmPin is 512 KiB (%llu)",
	      (unsigned long long)vm_pin() / 1024);
	{
		long held = held_since(before);

		CHECK(held == 128, "memlock: 128 pages pinned (%ld)", held);
	}
	if (a)
		ibv_dereg_mr(a);
	b = reg(p + 512 * 1024, 768 * 1024, RW);
	CHECK(b, "memlock: after dereg, 768 KiB fits (%s)",
	      b ? "ok" : strerror(errno));
	if (b)
		ibv_dereg_mr(b);
	CHECK(vm_pin() == 0, "memlock: VmPin back to 0");
}

static int open_device(void);

static void run_child(const char *what, void (*fn)(void))
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		failures = 0;
		if (open_device())
			_exit(2);
		fn();
		fflush(stdout);
		_exit(failures ? 1 : 0);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "%s: child passed", what);
}

static void test_memlock(void)
{
	run_child("memlock", memlock_child);
}

/* A process killed with registrations outstanding releases every pin. */
static void test_kill(void)
{
	struct pin_counts before = pin_counts();
	int pipefd[2];
	long held;
	pid_t pid;
	char c;

	if (pipe(pipefd))
		return;
	pid = fork();
	if (pid == 0) {
		size_t len = 8 * MiB;
		void *p = map_anon(len, 0);

		touch(p, len, 7);
		if (open_device() || !reg(p, len, RW) ||
		    !reg(p, len / 2, IBV_ACCESS_REMOTE_READ))
			_exit(1);
		if (write(pipefd[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	CHECK(read(pipefd[0], &c, 1) == 1, "kill: child registered 12 MiB");
	held = held_since(before);
	CHECK(held == (long)(12 * MiB / page_size),
	      "kill: %lu pages pinned (%ld)", 12 * MiB / page_size, held);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pipefd[0]);
	/* Teardown of the child's verbs file happens as its files close. */
	for (int i = 0; i < 50 && held_since(before); i++)
		usleep(100000);
	held = held_since(before);
	CHECK(held == 0, "kill: every pin released (%ld held)", held);
}

/* Pages in ZONE_MOVABLE are migrated out before a long-term pin. */
static void test_movable(void)
{
	size_t len = 64 * MiB, n = len / 4096, before = 0, after = 0;
	uint64_t lo, hi;
	struct ibv_mr *mr;
	char *p;

	CHECK(movable_zone(&lo, &hi),
	      "movable: ZONE_MOVABLE exists (boot with movablecore=)");
	if (!lo)
		return;
	p = map_anon(len, 0);
	madvise(p, len, MADV_NOHUGEPAGE);
	touch(p, len, 8);
	for (size_t i = 0; i < n; i++) {
		uint64_t pfn = pfn_of(p + i * page_size);

		before += pfn >= lo && pfn < hi;
	}
	CHECK(before > 0, "movable: %zu of %zu pages start in ZONE_MOVABLE "
	      "[%#lx, %#lx)", before, n, (unsigned long)lo, (unsigned long)hi);
	mr = reg(p, len, RW);
	CHECK(mr, "movable: register 64 MiB (%s)", mr ? "ok" : strerror(errno));
	for (size_t i = 0; i < n; i++) {
		uint64_t pfn = pfn_of(p + i * page_size);

		after += !pfn || (pfn >= lo && pfn < hi);
	}
	CHECK(after == 0, "movable: no pinned page left in ZONE_MOVABLE (%zu)",
	      after);
	for (size_t i = 0; i < len; i += page_size)
		if (p[i] != 8) {
			CHECK(0, "movable: data survived migration");
			break;
		}
	if (mr)
		ibv_dereg_mr(mr);
	munmap(p, len);
}

/*
 * After fork() the parent keeps the pinned pages (the kernel copies
 * maybe-DMA-pinned anonymous pages for the child at fork), so its writes
 * land in the pages the device sees and the child's never do.
 */
static void test_fork(void)
{
	size_t len = 1 * MiB, n = len / page_size, moved = 0, shared = 0;
	uint64_t *pfns = calloc(n, sizeof(*pfns));
	char *p = map_anon(len, 0);
	struct ibv_mr *mr;
	pid_t pid;

	touch(p, len, 9);
	mr = reg(p, len, RW);
	CHECK(mr, "fork: register 1 MiB");
	for (size_t i = 0; i < n; i++)
		pfns[i] = pfn_of(p + i * page_size);
	pid = fork();
	if (pid == 0) {
		size_t same = 0;

		for (size_t i = 0; i < n; i++) {
			p[i * page_size] = 10;	/* child writes */
			same += pfn_of(p + i * page_size) == pfns[i];
		}
		_exit(same ? 1 : 0);
	}
	{
		int status;

		waitpid(pid, &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "fork: the child never writes a pinned page");
	}
	for (size_t i = 0; i < n; i++) {
		p[i * page_size] = 11;	/* parent writes */
		moved += pfn_of(p + i * page_size) != pfns[i];
		shared += p[i * page_size] != 11;
	}
	CHECK(moved == 0, "fork: parent writes land in the pinned pages "
	      "(%zu of %zu moved)", moved, n);
	CHECK(shared == 0, "fork: parent sees its own writes");
	if (mr)
		ibv_dereg_mr(mr);
	munmap(p, len);
	free(pfns);
}

static void test_rereg(void)
{
	size_t len = 2 * MiB;
	char *a = map_anon(len, 0), *b = map_anon(2 * len, 0);
	struct pin_counts before;
	long held, taken;
	struct ibv_mr *mr;
	uint32_t lkey;
	int ret;

	touch(a, len, 12);
	touch(b, 2 * len, 13);
	mr = reg(a, len, IBV_ACCESS_REMOTE_READ);
	CHECK(mr, "rereg: read-only MR");
	if (!mr)
		return;
	lkey = mr->lkey;

	before = pin_counts();
	ret = ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_TRANSLATION, NULL, b,
			   2 * len, 0);
	CHECK(ret == 0, "rereg: new translation (%d)", ret);
	CHECK(vm_pin() == 2 * len, "rereg: VmPin follows (%llu KiB)",
	      (unsigned long long)vm_pin() / 1024);
	held = held_since(before);
	CHECK(held == (long)(len / page_size),
	      "rereg: %zu new pages pinned, %zu old released (net %ld)",
	      2 * len / page_size, len / page_size, held);
	CHECK(mr->addr == b && mr->length == 2 * len && mr->lkey == lkey,
	      "rereg: MR describes the new range, same key");

	before = pin_counts();
	ret = ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, NULL, 0, RW);
	CHECK(ret == 0, "rereg: add write access (%d)", ret);
	taken = taken_since(before);
	held = held_since(before);
	CHECK(taken >= (long)(2 * len / page_size) && held == 0,
	      "rereg: write access re-pins for writing (%ld taken, net %ld)",
	      taken, held);
	CHECK(mr->rkey, "rereg: remote access gives an rkey");

	before = pin_counts();
	munmap(a, len);
	ret = ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_TRANSLATION, NULL, a, len,
			   0);
	CHECK(ret != 0, "rereg: to an unmapped range fails (%d)", ret);
	held = held_since(before);
	CHECK(vm_pin() == 2 * len && held == 0,
	      "rereg: failure leaves the MR as it was (net %ld)", held);
	CHECK(ibv_dereg_mr(mr) == 0 && vm_pin() == 0, "rereg: deregister");
	munmap(b, 2 * len);
}

/* ext4 MAP_SHARED: writable long-term pins are refused (dirty tracking). */
static void test_ext4(void)
{
	size_t len = 1 * MiB;
	int fd;
	void *p;

	CHECK(ext4_file, "ext4: --ext4-file given");
	if (!ext4_file)
		return;
	fd = open(ext4_file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, len)) {
		CHECK(0, "ext4: create %s: %s", ext4_file, strerror(errno));
		return;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	touch(p, len, 14);
	check_refused("ext4 MAP_SHARED rw", p, len, RW, EFAULT);
	/* Read-only pins are allowed: nothing will dirty the pages. */
	check_reg_cycle("ext4 MAP_SHARED ro", p, len, IBV_ACCESS_REMOTE_READ);
	munmap(p, len);
	close(fd);
}

/* --- main ----------------------------------------------------------------- */

static const struct {
	const char *name;
	void (*fn)(void);
	bool needs_setup;
} tests[] = {
	{ "anon", test_anon, false },
	{ "thp", test_thp, false },
	{ "shmem", test_shmem, false },
	{ "bad-input", test_bad_input, false },
	{ "odp", test_odp_no_pin, false },
	{ "memlock", test_memlock, false },
	{ "kill", test_kill, false },
	{ "fork", test_fork, false },
	{ "rereg", test_rereg, false },
	{ "hugetlb", test_hugetlb, true },
	{ "movable", test_movable, true },
	{ "ext4", test_ext4, true },
};

static int open_device(void)
{
	struct ibv_device **list;
	int i, n;

	list = ibv_get_device_list(&n);
	for (i = 0; list && i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), dev_name))
			ctx = ibv_open_device(list[i]);
	if (list)
		ibv_free_device_list(list);
	if (!ctx) {
		fprintf(stderr, "cannot open %s\n", dev_name);
		return 1;
	}
	pd = ibv_alloc_pd(ctx);
	return pd ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *only[32];
	int nonly = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	if (argc < 2) {
		fprintf(stderr, "usage: %s DEVICE [TEST...] [--ext4-file F]\n",
			argv[0]);
		return 2;
	}
	dev_name = argv[1];
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--ext4-file") && i + 1 < argc)
			ext4_file = argv[++i];
		else if (nonly < 32)
			only[nonly++] = argv[i];
	}
	if (open_device())
		return 2;

	for (size_t t = 0; t < sizeof(tests) / sizeof(tests[0]); t++) {
		bool run = !nonly && !tests[t].needs_setup;

		for (int i = 0; i < nonly; i++)
			run |= !strcmp(only[i], tests[t].name);
		if (!run)
			continue;
		printf("== %s\n", tests[t].name);
		tests[t].fn();
	}
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	printf("pin_test: %s\n", failures ? "FAILED" : "all passed");
	return failures ? 1 : 0;
}
