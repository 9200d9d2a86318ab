// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rdmapin_limits(): the memlock limit and the pinned/locked memory it
 * reports must be the ones the kernel enforces, for the caller and for
 * another process, with clear errors for processes it cannot read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <rdmapin.h>

static int failures;

#define CHECK(cond, ...)                                                    \
	do {                                                                \
		if (cond) {                                                 \
			printf("ok   ");                                    \
		} else {                                                    \
			printf("FAIL ");                                    \
			failures++;                                         \
		}                                                           \
		printf(__VA_ARGS__);                                        \
		printf("\n");                                               \
	} while (0)

static void test_memlock_limit(void)
{
	struct rlimit old, rl;
	struct rdmapin_limits lim;
	int ret;

	getrlimit(RLIMIT_MEMLOCK, &old);
	rl.rlim_cur = 64 * 1024;
	rl.rlim_max = old.rlim_max;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < rl.rlim_cur)
		rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_MEMLOCK, &rl);

	ret = rdmapin_limits(0, &lim);
	CHECK(ret == 0, "rdmapin_limits(0) succeeds (%s)", strerror(ret));
	CHECK(lim.memlock_cur == rl.rlim_cur,
	      "soft limit %llu reported as %llu",
	      (unsigned long long)rl.rlim_cur,
	      (unsigned long long)lim.memlock_cur);
	CHECK(lim.memlock_max == (rl.rlim_max == RLIM_INFINITY ?
				  RDMAPIN_UNLIMITED : rl.rlim_max),
	      "hard limit reported");
	CHECK(lim.pinned_bytes == 0, "nothing pinned: VmPin %llu",
	      (unsigned long long)lim.pinned_bytes);
	setrlimit(RLIMIT_MEMLOCK, &old);
}

static void test_locked_bytes(void)
{
	struct rdmapin_limits before, after;
	size_t len = 4 * (size_t)sysconf(_SC_PAGESIZE);
	void *buf;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rdmapin_limits(0, &before);
	if (mlock(buf, len)) {
		CHECK(0, "mlock: %s", strerror(errno));
		return;
	}
	rdmapin_limits(0, &after);
	CHECK(after.locked_bytes == before.locked_bytes + len,
	      "mlock of %zu bytes: VmLck %llu -> %llu", len,
	      (unsigned long long)before.locked_bytes,
	      (unsigned long long)after.locked_bytes);
	munlock(buf, len);
	munmap(buf, len);
}

static void test_other_process(void)
{
	struct rdmapin_limits self, other;
	struct rlimit rl = { 32 * 1024, 32 * 1024 }, mine;
	int ret, pipefd[2];
	pid_t child;
	char c;

	if (pipe(pipefd))
		abort();
	child = fork();
	if (child == 0) {
		setrlimit(RLIMIT_MEMLOCK, &rl);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (read(pipefd[0], &c, 1) != 1)
		abort();
	ret = rdmapin_limits(child, &other);
	CHECK(ret == 0 && other.memlock_cur == rl.rlim_cur,
	      "another process's limit is its own (%llu)",
	      (unsigned long long)other.memlock_cur);
	rdmapin_limits(0, &self);
	getrlimit(RLIMIT_MEMLOCK, &mine);
	CHECK(self.memlock_cur == (mine.rlim_cur == RLIM_INFINITY ?
				   RDMAPIN_UNLIMITED : mine.rlim_cur),
	      "the caller still reads its own limit (%llu)",
	      (unsigned long long)self.memlock_cur);

	/* A zombie has no memory left to describe. */
	kill(child, SIGKILL);
	waitid(P_PID, child, NULL, WEXITED | WNOWAIT);
	ret = rdmapin_limits(child, &other);
	CHECK(ret == EPROTO || ret == ESRCH,
	      "zombie gives EPROTO or ESRCH (%s)", strerror(ret));
	waitpid(child, NULL, 0);
	ret = rdmapin_limits(child, &other);
	CHECK(ret == ESRCH, "reaped pid gives ESRCH (%s)", strerror(ret));
	close(pipefd[0]);
	close(pipefd[1]);
}

static void test_bad_args(void)
{
	CHECK(rdmapin_limits(0, NULL) == EINVAL, "NULL result gives EINVAL");
	CHECK(rdmapin_version() && strcmp(rdmapin_version(), "0") > 0,
	      "version string \"%s\"", rdmapin_version());
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_memlock_limit();
	test_locked_bytes();
	test_other_process();
	test_bad_args();
	printf("%s\n", failures ? "test_limits: FAILED" : "test_limits: ok");
	return failures ? 1 : 0;
}
