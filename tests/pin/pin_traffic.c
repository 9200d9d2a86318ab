// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pin_traffic: what long-term pins mean for data that moves, between two
 * RDMA devices over a wire (pinrxe0 and pinrxe1 on the two ends of a veth
 * pair), in the spirit of the kernel's selftests/mm/gup_longterm.c:
 *
 *   memfd, shm   a peer's RDMA WRITE into a registered MAP_SHARED file
 *                mapping (memfd, a POSIX shm file on tmpfs) is in the file
 *                once the MR is deregistered: pread() finds it
 *   fork         after fork() the parent's MR stays coherent: its writes
 *                are what a peer's RDMA READ sees, and the peer's RDMA
 *                WRITE lands where the parent reads; the child's writes
 *                (its copy, which the kernel made at fork as the pages
 *                are pinned) are never seen, and it never sees the peer's
 *   fork-dontfork  the same with the application's own MADV_DONTFORK on
 *                the buffer: the child has no copy, and faults
 *   fork-forkinit  the same under ibv_fork_init() (run with
 *                RDMAV_FORK_SAFE=1), where libibverbs marks the MR
 *                MADV_DONTFORK
 *   kill         a process moving data through a registered region, in
 *                both directions, is killed with SIGKILL mid-stream, three
 *                times: its pins all go, the device's pinned_pages gauge
 *                drops to zero, and the peer's QP just fails
 *
 * Every test ends by checking that as many FOLL_PIN pins are held as
 * before (/proc/vmstat nr_foll_pin_acquired - nr_foll_pin_released) and
 * that VmPin (/proc/self/status) is back where it was.
 *
 * usage: pin_traffic LOCAL_DEV PEER_DEV TEST...
 * LOCAL_DEV's memory is under test; PEER_DEV moves data to and from it.
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
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <infiniband/verbs.h>

#include <rdmapin.h>

#include "../common/check.h"
#include "../common/verbs_util.h"
#include "pin_common.h"

#define RW (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
	    IBV_ACCESS_REMOTE_READ)

static struct side local, peer;
static size_t page_size;

/* --- what the kernel says ------------------------------------------------ */

/* VmPin of another process, in bytes, from /proc/PID/status. */
static long vm_pin_of(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

/* The device's pinned_pages gauge (`rdma statistic`, hw_counters). */
static long pinned_pages(const char *dev)
{
	return hw_counter(dev, "pinned_pages");
}

/* The state before a test, and the check that it is back after it. */
struct baseline {
	long pins;
	uint64_t vm_pin;
};

static struct baseline baseline(void)
{
	struct baseline b = { .pins = pins_quiescent(), .vm_pin = vm_pin() };

	return b;
}

/* Exactly @want more pins than @b held, once transient ones are gone. */
static bool pins_added(struct baseline b, long want)
{
	return WAIT_FOR(10, pins_held() - b.pins == want);
}

static void check_back_to(const char *what, struct baseline b)
{
	long held;

	check_pins_back(what, b.pins, b.vm_pin);
	held = pinned_pages(local.name);
	CHECK(held == 0, "%s: %s pinned_pages %ld", what, local.name, held);
	ok("%s: pins and VmPin back as before (%ld held system-wide), "
	   "%s pinned_pages 0", what, b.pins, local.name);
}

/* --- devices and an RC connection ---------------------------------------- */

/*
 * The RC connection between the two devices.  A short retransmission
 * timeout and few retries: a peer that died must fail its QP quickly
 * (within about 0.3 s).  Not shorter: a 256 KiB read under the debug
 * kernel (KASAN, lockdep) in an emulated guest can go 17 ms without a
 * response packet, and four such gaps ended the QP.
 */
static const struct rc_conn_params conn = {
	.mtu = IBV_MTU_1024, .rd_atomic = 16,
	.timeout = 14,		/* 4.096 us * 2^14: about 67 ms */
	.retry_cnt = 3, .rnr_retry = 3, .min_rnr_timer = 1,
	.access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ,
};

static void connect_pair(void)
{
	sides_connect(&local, &peer, 64, &conn);
}

static void disconnect_pair(void)
{
	sides_disconnect(&local, &peer);
}

/* --- data ---------------------------------------------------------------- */

/* Byte @i of pattern @seed: differs per page and per seed. */
static uint8_t pattern(size_t i, unsigned int seed)
{
	return (uint8_t)(i * 7 + i / 4096 * 13 + seed * 101 + 1);
}

static void fill(void *buf, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = pattern(i, seed);
}

/* Index of the first byte not of pattern @seed, or -1. */
static long mismatch(const void *buf, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		if (((const uint8_t *)buf)[i] != pattern(i, seed))
			return i;
	return -1;
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED, "mmap %zu KiB: %s", len / KiB, strerror(errno));
	return p;
}

/* --- memfd, shm: a peer's writes reach the file -------------------------- */

/*
 * Register @len bytes of @p, a MAP_SHARED mapping of @fd, have the peer
 * RDMA WRITE a pattern into it, deregister, and read the file: the data
 * must be there (the pins were taken for writing and dirtied the pages
 * when they went), through the mapping gone or not.  Unmaps @p.
 */
static void shared_file_case(const char *what, int fd, void *p, size_t len)
{
	struct baseline b0 = baseline(), b;
	void *pbuf = map_anon(len), *back = map_anon(len);
	struct ibv_mr *mr, *pmr;
	long held, at;

	memset(p, 0xee, len);

	pmr = ibv_reg_mr(peer.pd, pbuf, len, RW);
	CHECK(pmr, "%s: register the peer's buffer: %s", what,
	      strerror(errno));
	b = baseline();
	mr = ibv_reg_mr(local.pd, p, len, RW);
	CHECK(mr, "%s: register %zu KiB MAP_SHARED: %s", what, len / KiB,
	      strerror(errno));
	CHECK(pins_added(b, len / page_size), "%s: %zu pages, %ld pins held",
	      what, len / page_size, pins_held() - b.pins);
	held = len / page_size;
	CHECK(vm_pin() - b.vm_pin == len, "%s: VmPin grew by %llu KiB", what,
	      (unsigned long long)(vm_pin() - b.vm_pin) / KiB);
	CHECK(pinned_pages(local.name) == (long)(len / page_size),
	      "%s: %s pinned_pages %ld", what, local.name,
	      pinned_pages(local.name));
	ok("%s: %zu KiB registered: %ld pins, VmPin and pinned_pages agree",
	   what, len / KiB, held);

	connect_pair();
	fill(pbuf, len, 1);
	side_rdma(&peer, IBV_WR_RDMA_WRITE, pmr, pbuf, mr, p, len);
	ok("%s: %s wrote %zu KiB into it with RDMA WRITE", what, peer.name,
	   len / KiB);
	disconnect_pair();

	CHECK(ibv_dereg_mr(mr) == 0, "%s: deregister", what);
	CHECK(pread(fd, back, len, 0) == (ssize_t)len, "%s: pread: %s", what,
	      strerror(errno));
	at = mismatch(back, len, 1);
	CHECK(at < 0, "%s: byte %ld of the file is %#x, the peer wrote %#x",
	      what, at, ((uint8_t *)back)[at], pattern(at, 1));
	ok("%s: after ibv_dereg_mr, pread() finds what the peer wrote", what);

	munmap(p, len);
	memset(back, 0, len);
	CHECK(pread(fd, back, len, 0) == (ssize_t)len, "%s: pread: %s", what,
	      strerror(errno));
	CHECK(mismatch(back, len, 1) < 0, "%s: data gone after munmap", what);
	ok("%s: and so it does with the mapping gone", what);

	CHECK(ibv_dereg_mr(pmr) == 0, "%s: deregister the peer's", what);
	munmap(pbuf, len);
	munmap(back, len);
	check_back_to(what, b0);
}

static void *map_file(const char *what, int fd, size_t len)
{
	void *p;

	CHECK(ftruncate(fd, len) == 0, "%s: ftruncate: %s", what,
	      strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "%s: mmap: %s", what, strerror(errno));
	return p;
}

static void test_memfd(void)
{
	size_t len = 1 * MiB;
	int fd = memfd_create("pin_traffic", MFD_CLOEXEC);

	CHECK(fd >= 0, "memfd_create: %s", strerror(errno));
	shared_file_case("memfd", fd, map_file("memfd", fd, len), len);
	close(fd);
}

/*
 * shmem two more ways: a POSIX shm file (tmpfs on /dev/shm), and a shared
 * anonymous mapping, whose shmem file /proc/self/map_files opens.
 */
static void test_shm(void)
{
	size_t len = 1 * MiB;
	char name[64];
	void *p;
	int fd;

	snprintf(name, sizeof(name), "/pin_traffic.%d", (int)getpid());
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "shm_open %s: %s (is tmpfs mounted on /dev/shm?)",
	      name, strerror(errno));
	shm_unlink(name);
	shared_file_case("POSIX shm", fd, map_file("POSIX shm", fd, len),
			 len);
	close(fd);

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap shared anonymous: %s", strerror(errno));
	snprintf(name, sizeof(name), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)p, (unsigned long)p + len);
	fd = open(name, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open %s: %s", name, strerror(errno));
	shared_file_case("MAP_SHARED|MAP_ANONYMOUS", fd, p, len);
	close(fd);
}

/* --- fork: the parent's MR stays coherent -------------------------------- */

enum { CHILD_WROTE = 'w', PEER_WROTE = 'p', CHILD_OK = 'k' };

static void xwrite(int fd, char c)
{
	CHECK(write(fd, &c, 1) == 1, "pipe write: %s", strerror(errno));
}

/* A byte from the pipe, or 0 at EOF (the writer died). */
static char xread_or_eof(int fd)
{
	char c = 0;
	ssize_t n = read(fd, &c, 1);

	CHECK(n >= 0, "pipe read: %s", strerror(errno));
	return n ? c : 0;
}

static char xread(int fd)
{
	char c = xread_or_eof(fd);

	CHECK(c, "pipe read: EOF");
	return c;
}

/*
 * The child: write its own pattern over the whole buffer, say so, wait
 * until the peer has written into the parent's MR, and check that its
 * copy still holds its own data.  With the buffer MADV_DONTFORK it has no
 * copy: the first write kills it with SIGSEGV.
 */
static void fork_child(uint8_t *buf, size_t len, int to_parent,
		       int from_parent)
{
	fill(buf, len, 3);
	xwrite(to_parent, CHILD_WROTE);
	if (xread(from_parent) != PEER_WROTE)
		_exit(3);
	if (mismatch(buf, len, 3) >= 0)
		_exit(4);
	xwrite(to_parent, CHILD_OK);
	_exit(0);
}

/*
 * Whether the VMA holding @addr is not copied at fork (VM_DONTCOPY, "dc"
 * in /proc/self/smaps): MADV_DONTFORK from the application or libibverbs.
 */
static bool vma_dontcopy(const void *addr)
{
	unsigned long lo, hi, a = (unsigned long)addr;
	bool in = false, dc = false;
	char line[512];
	FILE *f = fopen("/proc/self/smaps", "re");

	CHECK(f, "open smaps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			dc = strstr(line, " dc") != NULL;
			break;
		}
	}
	fclose(f);
	return dc;
}

enum fork_mode {
	FORK_PLAIN,		/* no ibv_fork_init(): the kernel copies */
	FORK_APP_DONTFORK,	/* the application's MADV_DONTFORK */
	FORK_FORK_INIT,		/* ibv_fork_init() (RDMAV_FORK_SAFE) */
};

static void fork_case(const char *what, enum fork_mode mode)
{
	enum ibv_fork_status fs = ibv_is_fork_initialized();
	size_t len = 256 * KiB;
	uint8_t *buf = map_anon(len), *pbuf = map_anon(len);
	struct baseline b = baseline();
	int up[2], down[2], status;
	struct ibv_mr *mr, *pmr;
	bool dontfork;
	long at;
	pid_t pid;

	printf("%s: ibv_is_fork_initialized() = %s\n", what,
	       fs == IBV_FORK_UNNEEDED ? "IBV_FORK_UNNEEDED" :
	       fs == IBV_FORK_ENABLED ? "IBV_FORK_ENABLED" :
	       "IBV_FORK_DISABLED");
	CHECK(mode == FORK_FORK_INIT ? getenv("RDMAV_FORK_SAFE") != NULL :
	      !getenv("RDMAV_FORK_SAFE") && !getenv("IBV_FORK_SAFE"),
	      "%s: run with RDMAV_FORK_SAFE=1 exactly for fork-forkinit", what);
	/* Already done by ibv_get_device_list() then: a no-op now. */
	if (mode == FORK_FORK_INIT)
		CHECK(ibv_fork_init() == 0, "%s: ibv_fork_init", what);

	fill(buf, len, 2);
	if (mode == FORK_APP_DONTFORK)
		CHECK(madvise(buf, len, MADV_DONTFORK) == 0,
		      "%s: MADV_DONTFORK: %s", what, strerror(errno));
	pmr = ibv_reg_mr(peer.pd, pbuf, len, RW);
	mr = ibv_reg_mr(local.pd, buf, len, RW);
	CHECK(mr && pmr, "%s: register: %s", what, strerror(errno));
	/*
	 * Who keeps the child away from the pages: nobody without
	 * ibv_fork_init() (the kernel copies pinned pages at fork), the
	 * application, or libibverbs, which in rdma-core 44 still marks
	 * every MR MADV_DONTFORK under ibv_fork_init() even though it
	 * reports IBV_FORK_UNNEEDED.  The VMA says which it is.
	 */
	dontfork = vma_dontcopy(buf);
	CHECK(dontfork == (mode != FORK_PLAIN),
	      "%s: the MR is %sMADV_DONTFORK", what, dontfork ? "" : "not ");
	printf("%s: %s\n", what, dontfork ?
	       "the MR is MADV_DONTFORK: the child gets no copy" :
	       "no MADV_DONTFORK: the kernel copies the pinned pages at fork");
	CHECK(pins_added(b, 2 * len / page_size), "%s: %ld pins held, want "
	      "%zu", what, pins_held() - b.pins, 2 * len / page_size);
	connect_pair();

	CHECK(pipe(up) == 0 && pipe(down) == 0, "pipe");
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		fork_child(buf, len, up[1], down[0]);
	}
	close(up[1]);
	close(down[0]);

	if (dontfork) {
		CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
		      WTERMSIG(status) == SIGSEGV,
		      "%s: the child has no copy of a MADV_DONTFORK buffer: "
		      "status %#x", what, status);
		ok("%s: the child's write to the buffer faults (SIGSEGV)",
		   what);
	} else if (xread_or_eof(up[0]) != CHILD_WROTE) {
		waitpid(pid, &status, 0);
		fail("%s: the child died before writing its copy: status %#x",
		     what, status);
	}

	/* What the child wrote is nowhere the device can see. */
	side_rdma(&peer, IBV_WR_RDMA_READ, pmr, pbuf, mr, buf, len);
	at = mismatch(pbuf, len, 2);
	CHECK(at < 0, "%s: RDMA READ byte %ld is %#x, not the parent's %#x",
	      what, at, pbuf[at], pattern(at, 2));
	ok("%s: RDMA READ through the MR sees the parent's data, not the "
	   "child's writes", what);

	/* The parent writes after the fork: the device sees it. */
	fill(buf, len, 4);
	side_rdma(&peer, IBV_WR_RDMA_READ, pmr, pbuf, mr, buf, len);
	at = mismatch(pbuf, len, 4);
	CHECK(at < 0, "%s: RDMA READ byte %ld is %#x after the parent wrote "
	      "%#x", what, at, pbuf[at], pattern(at, 4));
	ok("%s: the parent's writes after fork() are what RDMA READ sees",
	   what);

	/* The device writes: the parent sees it, the child does not. */
	fill(pbuf, len, 5);
	side_rdma(&peer, IBV_WR_RDMA_WRITE, pmr, pbuf, mr, buf, len);
	at = mismatch(buf, len, 5);
	CHECK(at < 0, "%s: the parent reads %#x at byte %ld after RDMA WRITE "
	      "of %#x", what, buf[at], at, pattern(at, 5));
	ok("%s: an RDMA WRITE into the MR is what the parent reads", what);
	if (!dontfork) {
		xwrite(down[1], PEER_WROTE);
		CHECK(xread(up[0]) == CHILD_OK,
		      "%s: the child's copy changed under it", what);
		CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		      !WEXITSTATUS(status), "%s: child status %#x", what,
		      status);
		ok("%s: the child's copy kept the child's data throughout",
		   what);
	}
	close(up[0]);
	close(down[1]);

	disconnect_pair();
	CHECK(ibv_dereg_mr(mr) == 0 && ibv_dereg_mr(pmr) == 0, "%s: dereg",
	      what);
	munmap(buf, len);
	munmap(pbuf, len);
	check_back_to(what, b);
}

static void test_fork(void)
{
	fork_case("fork", FORK_PLAIN);
}

static void test_fork_dontfork(void)
{
	fork_case("fork, MADV_DONTFORK", FORK_APP_DONTFORK);
}

static void test_fork_init(void)
{
	fork_case("fork, ibv_fork_init()", FORK_FORK_INIT);
}

/* --- kill: death mid-stream ---------------------------------------------- */

/* What the victim and the peer tell each other, in a shared page. */
struct rendezvous {
	uint32_t peer_qpn;
	uint32_t victim_qpn;
	uint64_t victim_addr;
	uint64_t peer_addr;
	uint32_t victim_rkey;
	uint32_t peer_rkey;
	uint32_t victim_len;
	volatile int ready;		/* the victim's QP is in RTS */
	volatile int go;		/* the peer's QP is in RTS */
	volatile long done;		/* the victim's completed transfers */
};

#define KILL_MSG	(64 * KiB)
#define KILL_DEPTH	8

/* Post transfer @n: even ones write, odd ones read, a message each. */
static int kill_post(struct side *s, struct ibv_mr *mr, uint8_t *buf,
		     size_t len, uint64_t raddr, uint32_t rkey, uint64_t n)
{
	size_t off = n * KILL_MSG % len;

	return side_post_rdma(s, n % 2 ? IBV_WR_RDMA_READ : IBV_WR_RDMA_WRITE,
			      mr, buf + off, KILL_MSG, raddr + off, rkey, n);
}

/*
 * The victim, a child: its own device context, a 4 MiB region registered
 * on the local device, and an endless stream of RDMA WRITEs and READs
 * between that region and the peer's buffer, until SIGKILL.
 */
static void __attribute__((noreturn)) kill_victim(struct rendezvous *rv)
{
	struct side v = {};
	size_t len = 4 * MiB;
	uint8_t *buf = map_anon(len);
	uint64_t posted = 0;
	struct ibv_mr *mr;
	struct ibv_wc wc[16];
	int n, i;

	fill(buf, len, 6);
	side_open(&v, local.name, 256);
	mr = ibv_reg_mr(v.pd, buf, len, RW);
	CHECK(mr, "victim: register: %s", strerror(errno));
	side_qp_create(&v, 64);
	side_connect(&v, rv->peer_qpn, &peer.gid, &conn);
	rv->victim_qpn = v.qp->qp_num;
	rv->victim_addr = (uintptr_t)buf;
	rv->victim_rkey = mr->rkey;
	rv->victim_len = len;
	__atomic_store_n(&rv->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&rv->go, __ATOMIC_ACQUIRE))
		usleep(1000);
	for (;;) {
		while (posted - rv->done < KILL_DEPTH)
			CHECK(!kill_post(&v, mr, buf, len, rv->peer_addr,
					 rv->peer_rkey, posted++),
			      "victim: post");
		n = ibv_poll_cq(v.cq, 16, wc);
		CHECK(n >= 0, "victim: poll");
		for (i = 0; i < n; i++)
			CHECK(wc[i].status == IBV_WC_SUCCESS,
			      "victim: completion %s",
			      ibv_wc_status_str(wc[i].status));
		__atomic_add_fetch(&rv->done, n, __ATOMIC_RELEASE);
	}
}

static void kill_round(int round, struct ibv_mr *pmr, uint8_t *pbuf,
		       size_t plen)
{
	struct rendezvous *rv = mmap(NULL, sizeof(*rv), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t posted = 0, completed = 0, after_kill = 0;
	struct baseline b = baseline();
	enum ibv_wc_status err = IBV_WC_SUCCESS;
	long vpages;
	struct ibv_wc wc[16];
	double deadline;
	int n, i, status;
	pid_t pid;

	CHECK(rv != MAP_FAILED, "mmap rendezvous");
	side_qp_create(&peer, 64);
	rv->peer_qpn = peer.qp->qp_num;
	rv->peer_addr = (uintptr_t)pbuf;
	rv->peer_rkey = pmr->rkey;
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0)
		kill_victim(rv);

	CHECK(WAIT_FOR(60, __atomic_load_n(&rv->ready, __ATOMIC_ACQUIRE)),
	      "kill %d: the victim did not come up", round);
	side_connect(&peer, rv->victim_qpn, &local.gid, &conn);
	vpages = rv->victim_len / page_size;
	CHECK(pins_added(b, vpages), "kill %d: the victim holds %ld pins, "
	      "want %ld", round, pins_held() - b.pins, vpages);
	CHECK(vm_pin_of(pid) == (long)rv->victim_len,
	      "kill %d: the victim's VmPin is %ld", round, vm_pin_of(pid));
	CHECK(pinned_pages(local.name) == vpages,
	      "kill %d: %s pinned_pages %ld, want %ld", round, local.name,
	      pinned_pages(local.name), vpages);
	__atomic_store_n(&rv->go, 1, __ATOMIC_RELEASE);

	/* Traffic both ways; kill once both directions are under way. */
	deadline = now() + 120;
	while (completed < 40 || __atomic_load_n(&rv->done,
						 __ATOMIC_ACQUIRE) < 40) {
		CHECK(now() < deadline, "kill %d: traffic stalled (%llu, %ld)",
		      round, (unsigned long long)completed, rv->done);
		while (posted - completed < KILL_DEPTH)
			CHECK(!kill_post(&peer, pmr, pbuf, plen,
					 rv->victim_addr, rv->victim_rkey,
					 posted++), "peer: post");
		n = ibv_poll_cq(peer.cq, 16, wc);
		for (i = 0; i < n; i++)
			CHECK(wc[i].status == IBV_WC_SUCCESS,
			      "kill %d: peer completion %s before the kill",
			      round, ibv_wc_status_str(wc[i].status));
		completed += n > 0 ? n : 0;
	}
	while (posted - completed < KILL_DEPTH)
		CHECK(!kill_post(&peer, pmr, pbuf, plen, rv->victim_addr,
				 rv->victim_rkey, posted++), "peer: post");
	CHECK(kill(pid, SIGKILL) == 0, "kill: %s", strerror(errno));
	ok("kill %d: SIGKILL after %llu + %ld transfers, %llu of the peer's "
	   "in flight", round, (unsigned long long)completed, rv->done,
	   (unsigned long long)(posted - completed));

	/* The peer keeps its stream going until its QP fails. */
	deadline = now() + 60;
	while (err == IBV_WC_SUCCESS) {
		CHECK(now() < deadline, "kill %d: the peer's QP still works "
		      "60 s after the kill (%llu transfers done)", round,
		      (unsigned long long)after_kill);
		while (posted - completed < KILL_DEPTH)
			CHECK(!kill_post(&peer, pmr, pbuf, plen,
					 rv->victim_addr, rv->victim_rkey,
					 posted++), "peer: post");
		n = ibv_poll_cq(peer.cq, 16, wc);
		for (i = 0; i < n && err == IBV_WC_SUCCESS; i++) {
			if (wc[i].status != IBV_WC_SUCCESS)
				err = wc[i].status;
			else
				after_kill++;
		}
		completed += n > 0 ? n : 0;
	}
	/* The rest of what it posted is flushed. */
	for (deadline = now() + 30; completed < posted && now() < deadline;) {
		n = ibv_poll_cq(peer.cq, 16, wc);
		for (i = 0; i < n; i++)
			CHECK(wc[i].status == IBV_WC_WR_FLUSH_ERR,
			      "kill %d: after the error, a completion %s",
			      round, ibv_wc_status_str(wc[i].status));
		completed += n > 0 ? n : 0;
	}
	CHECK(completed == posted, "kill %d: %llu of %llu completions", round,
	      (unsigned long long)completed, (unsigned long long)posted);
	CHECK(qp_state(peer.qp) == IBV_QPS_ERR, "kill %d: peer QP state %d",
	      round, qp_state(peer.qp));
	ok("kill %d: the peer's QP failed with %s after %llu more "
	   "transfers, the rest flushed, QP in ERR", round,
	   ibv_wc_status_str(err), (unsigned long long)after_kill);

	CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	      WTERMSIG(status) == SIGKILL, "kill %d: victim status %#x",
	      round, status);
	CHECK(ibv_destroy_qp(peer.qp) == 0, "destroy the peer's QP");
	peer.qp = NULL;
	munmap(rv, sizeof(*rv));
	check_back_to("kill", b);
}

static void test_kill(void)
{
	size_t plen = 4 * MiB;
	uint8_t *pbuf = map_anon(plen);
	struct baseline b = baseline();
	struct ibv_mr *pmr;
	int round;

	fill(pbuf, plen, 7);
	pmr = ibv_reg_mr(peer.pd, pbuf, plen, RW);
	CHECK(pmr, "kill: register the peer's buffer: %s", strerror(errno));
	for (round = 1; round <= 3; round++)
		kill_round(round, pmr, pbuf, plen);
	CHECK(ibv_dereg_mr(pmr) == 0, "kill: dereg the peer's buffer");
	CHECK(pinned_pages(peer.name) == 0, "kill: %s pinned_pages %ld",
	      peer.name, pinned_pages(peer.name));
	munmap(pbuf, plen);
	check_back_to("kill (all rounds)", b);
}

/* --- main ---------------------------------------------------------------- */

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "memfd", test_memfd },
	{ "shm", test_shm },
	{ "fork", test_fork },
	{ "fork-dontfork", test_fork_dontfork },
	{ "fork-forkinit", test_fork_init },
	{ "kill", test_kill },
};

int main(int argc, char **argv)
{
	int i, j, n = sizeof(tests) / sizeof(tests[0]);

	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	if (argc < 4) {
		fprintf(stderr, "usage: %s LOCAL_DEV PEER_DEV TEST...\n",
			argv[0]);
		return 2;
	}
	side_open(&local, argv[1], 256);
	side_open(&peer, argv[2], 256);
	for (j = 3; j < argc; j++) {
		for (i = 0; i < n; i++)
			if (!strcmp(argv[j], tests[i].name))
				break;
		CHECK(i < n, "no test %s", argv[j]);
		printf("== %s\n", argv[j]);
		tests[i].fn();
	}
	side_close(&local);
	side_close(&peer);
	printf("pin_traffic: all passed\n");
	return 0;
}
