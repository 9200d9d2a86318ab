// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rdmapin_last_error(): each thread's last failure as a sentence a person
 * can act on.  Thread-local, so that threads registering memory at once
 * do not see each other's messages.
 */
#include <inttypes.h>
#include <stdio.h>

#include "rdmapin_int.h"

static __thread char last_error[512];

int rdmapin_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return err;
}

void rdmapin_err_clear(void)
{
	last_error[0] = 0;
}

const char *rdmapin_last_error(void)
{
	return last_error;
}

void rdmapin_fmt_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned int u = 0;
	uint64_t v = bytes;

	/* Whole units only: exact where it matters (limits are round). */
	while (u < 4 && v >= 1024 && !(v % 1024)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%" PRIu64 " %s", v, unit[u]);
}
