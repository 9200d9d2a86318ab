/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The rdmapin command: what its subcommands share.
 *
 * Each subcommand lives in its own file and is split in two: a part that
 * asks librdmapin (the kernel) for data, and a renderer that turns that
 * data into a table or JSON on a FILE.  The renderers take plain data, so
 * the unit tests (tests/unit/cli_*) drive them with canned records and no
 * device; they also drive cli_main() for argument errors and exit codes.
 */
#ifndef RDMAPIN_CLI_H
#define RDMAPIN_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <rdmapin.h>

/* Exit codes, documented in rdmapin(1); scripts depend on them. */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,		/* the request failed at run time */
	CLI_EXIT_USAGE = 2,		/* bad command line */
	CLI_EXIT_NOT_SUPPORTED = 3,	/* the device cannot report this */
	CLI_EXIT_NOT_FOUND = 4,		/* no such device, port or process */
	/* 5 was "not yet implemented" (bench, before it was); kept free. */
};

/* Where a subcommand writes: stdout and stderr, or test buffers. */
struct cli_io {
	FILE *out;
	FILE *err;
};

/* Options every subcommand parses; each uses the ones it documents. */
struct cli_opts {
	bool json;
	bool help;
	pid_t pid;		/* --pid, 0 when absent */
	const char *dev;	/* --dev */
	const char *target;	/* the one positional argument (stats) */
	const char *out;	/* bench --out, NULL when absent */
	unsigned int rounds;	/* bench --rounds, 0 when absent */
	bool quick;		/* bench --quick */
};

/* Which options a subcommand accepts. */
enum {
	CLI_OPT_PID = 1 << 0,
	CLI_OPT_DEV = 1 << 1,
	CLI_OPT_TARGET = 1 << 2,
	CLI_OPT_BENCH = 1 << 3,		/* --out, --rounds, --quick */
	CLI_OPT_NO_JSON = 1 << 4,	/* the command has no JSON output */
};

/* bench --rounds: at most this many. */
#define CLI_BENCH_MAX_ROUNDS 100

struct cli_cmd {
	const char *name;
	const char *synopsis;	/* after "rdmapin NAME " */
	const char *help;	/* what --help adds after the synopsis */
	unsigned int accepts;
	int (*run)(const struct cli_opts *opts, const struct cli_io *io);
};

extern const struct cli_cmd cli_cmd_devices, cli_cmd_mr, cli_cmd_stats,
	cli_cmd_limits, cli_cmd_bench;

/* The whole command: returns an exit code (enum cli_exit). */
int cli_main(int argc, char **argv, const struct cli_io *io);

/*
 * rdmapin bench after parsing: as root (@root), exec the engine in the
 * benchmark directory (env RDMAPIN_BENCH_DIR, else the installed one);
 * returns only on failure, with an exit code.  Separate from the
 * command's run() so that the unit tests can drive it either way.
 */
int cli_bench_exec(const struct cli_opts *opts, const struct cli_io *io,
		   bool root);

/* Parse a subcommand's arguments (argv[0] is the subcommand's name). */
int cli_parse(const struct cli_cmd *cmd, int argc, char **argv,
	      struct cli_opts *opts, const struct cli_io *io);
/* "DEV" or "DEV/PORT" -> dev (copied into @dev), port (1 when absent). */
int cli_parse_target(const char *s, char *dev, size_t devlen, uint32_t *port);
/* bench --rounds: 1 to CLI_BENCH_MAX_ROUNDS, decimal; -EINVAL otherwise. */
int cli_parse_rounds(const char *s, unsigned int *rounds);
/* A positive decimal process id; -1 for anything else. */
pid_t cli_parse_pid(const char *s);

/* "rdmapin CMD: MESSAGE" on io->err; returns the exit code for @err. */
int cli_fail(const struct cli_io *io, const char *cmd, int err,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int cli_exit_for_errno(int err);

/* Byte counts for people: "64 KiB", "2.0 MiB", "unlimited". */
void cli_bytes(char *buf, size_t len, uint64_t bytes);

/*
 * A small JSON writer: values separated and nested correctly, strings
 * escaped.  Keys are given with jw_key() before an object member's value.
 */
struct jw {
	FILE *f;
	int depth;
	bool need_comma[16];
	bool after_key;
};
void jw_init(struct jw *w, FILE *f);
void jw_begin_object(struct jw *w);
void jw_end_object(struct jw *w);
void jw_begin_array(struct jw *w);
void jw_end_array(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_string(struct jw *w, const char *s);
void jw_uint(struct jw *w, uint64_t v);
void jw_int(struct jw *w, int64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
void jw_finish(struct jw *w);	/* the final newline */

/*
 * A table for people: columns sized to their widest cell, numbers right
 * aligned.  Cells are copied.
 */
struct table {
	size_t ncols, nrows, cap;
	const char *const *heads;
	const bool *right;	/* right-align column i */
	char **cells;		/* nrows * ncols, row-major, row 0 is heads */
};
void table_init(struct table *t, size_t ncols, const char *const *heads,
		const bool *right);
void table_add(struct table *t, ...);	/* ncols const char * */
void table_print(struct table *t, FILE *f);
void table_free(struct table *t);

/* Renderers (pure: data in, text out). */
void render_devices(FILE *f, bool json, const struct rdmapin_device *d,
		    size_t n);
void render_mrs(FILE *f, bool json, const struct rdmapin_mr_entry *e,
		size_t n);

/* One port's counters; supported false when the device has none. */
struct cli_port_stats {
	char dev[64];
	uint32_t port;
	bool supported;
	struct rdmapin_stat *stats;
	size_t n;
};
void render_stats(FILE *f, bool json, const struct cli_port_stats *p,
		  size_t n);
void render_limits(FILE *f, bool json, pid_t pid,
		   const struct rdmapin_limits *lim);

#endif /* RDMAPIN_CLI_H */
