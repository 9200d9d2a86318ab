/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reporting for the guest test programs that stop at the first failure
 * (tests/cq, tests/qp): "ok: ..." per passed check, "FAIL: ..." and exit 1
 * at the first failed one, flushed at once so the log shows how far a run
 * got even if the kernel kills it.
 */
#ifndef RDMAPIN_TEST_CHECK_H
#define RDMAPIN_TEST_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static inline void __attribute__((format(printf, 1, 2), noreturn))
fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("FAIL: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
	exit(1);
}

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond))						\
			fail(__VA_ARGS__);				\
	} while (0)

static inline void __attribute__((format(printf, 1, 2)))
ok(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("ok: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
}

#endif /* RDMAPIN_TEST_CHECK_H */
