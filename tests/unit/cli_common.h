/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the rdmapin command's unit tests share: CHECK, running cli_main()
 * into memory buffers, and checking JSON with Python's parser.
 */
#ifndef CLI_TEST_COMMON_H
#define CLI_TEST_COMMON_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

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

struct run {
	int rc;
	char *out, *err;
	size_t outlen, errlen;
};

static inline void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* Run "rdmapin ARGS..." (NULL-terminated) in this process. */
static inline struct run run_cli(const char *arg, ...)
{
	char *argv[32] = { (char *)"rdmapin" };
	struct run r = {};
	struct cli_io io;
	int argc = 1;
	va_list ap;

	va_start(ap, arg);
	for (; arg && argc < 31; arg = va_arg(ap, const char *))
		argv[argc++] = (char *)arg;
	va_end(ap);
	io.out = open_memstream(&r.out, &r.outlen);
	io.err = open_memstream(&r.err, &r.errlen);
	r.rc = cli_main(argc, argv, &io);
	fclose(io.out);
	fclose(io.err);
	return r;
}

/*
 * @json must parse as JSON and, when @expr is given, make the Python
 * expression true with the parsed document as d.
 */
static inline int json_check(const char *json, const char *expr)
{
	char path[] = "/tmp/cli_json_XXXXXX", cmd[4096];
	FILE *f;
	int fd, rc;

	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	fputs(json, f);
	fclose(f);
	/* The expression goes through the environment: no shell quoting. */
	setenv("CLI_JSON_EXPR", expr ? expr : "True", 1);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json, os, sys\n"
		 "d = json.load(open(sys.argv[1]))\n"
		 "sys.exit(0 if eval(os.environ[\"CLI_JSON_EXPR\"]) else 1)' %s",
		 path);
	rc = system(cmd);
	unlink(path);
	return rc;
}

static inline int finish(void)
{
	printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
	return failures ? 1 : 0;
}

#endif
