/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The unit tests' check macro: one line per check, a count of failures. */
#ifndef RDMAPIN_UNIT_H
#define RDMAPIN_UNIT_H

#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                                    \
	do {                                                                \
		printf((cond) ? "ok   " : "FAIL ");                         \
		if (!(cond))                                                \
			failures++;                                         \
		printf(__VA_ARGS__);                                        \
		printf("\n");                                               \
	} while (0)

#endif
