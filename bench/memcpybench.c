// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * memcpybench: the memory bandwidth of this machine as the physical
 * reference for `rdmapin bench` (bench/engine.sh runs it).  For each block
 * size it copies blocks of that size from one 64 MiB buffer to another,
 * walking through both, for a fixed time: the buffers are larger than the
 * caches, so a small block is not copied from and to cache lines still
 * hot from the previous copy (as a device's copies are not either).
 *
 * usage: memcpybench [--seconds S] SIZE...
 * Prints "SIZE MBPS" per size, MBPS in perftest's unit (2^20 bytes per
 * second).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>

#define AREA (64UL << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *area(void)
{
	char *p = mmap(NULL, AREA, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("memcpybench: mmap");
		exit(1);
	}
	/* Fault everything in first: page faults are not copying. */
	memset(p, 0x5a, AREA);
	return p;
}

/* MiB/s copying @block bytes at a time for about @seconds. */
static double copy_rate(char *dst, const char *src, size_t block,
			double seconds)
{
	size_t nblocks = AREA / block, i = 0, done = 0, batch;
	double t0 = now(), t;

	/* Look at the clock every ~1 MiB of copying, not every block. */
	batch = block >= (1 << 20) ? 1 : (1 << 20) / block;
	do {
		size_t k;

		for (k = 0; k < batch; k++) {
			memcpy(dst + i * block, src + i * block, block);
			if (++i == nblocks)
				i = 0;
		}
		done += batch;
		t = now() - t0;
	} while (t < seconds);
	return done * (double)block / t / (1 << 20);
}

int main(int argc, char **argv)
{
	double seconds = 0.5;
	char *src, *dst, *end;
	unsigned long size;
	int i = 1;

	if (argc > 2 && !strcmp(argv[1], "--seconds")) {
		seconds = strtod(argv[2], &end);
		if (*end || seconds <= 0 || seconds > 60) {
			fprintf(stderr, "memcpybench: bad --seconds '%s'\n",
				argv[2]);
			return 2;
		}
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: memcpybench [--seconds S] SIZE...\n");
		return 2;
	}
	src = area();
	dst = area();
	for (; i < argc; i++) {
		errno = 0;
		size = strtoul(argv[i], &end, 10);
		if (errno || *end || !size || size > AREA) {
			fprintf(stderr,
				"memcpybench: '%s' is not a block size (1 to %lu)\n",
				argv[i], AREA);
			return 2;
		}
		printf("%lu %.2f\n", size, copy_rate(dst, src, size, seconds));
		fflush(stdout);
	}
	/* The copies have an observer: the compiler keeps them. */
	return dst[AREA - 1] == src[AREA - 1] ? 0 : 1;
}
