// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rdmapin command's shared parts: argument parsing, error reporting and
 * exit codes, the JSON writer and the table printer.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cli_cmd *const commands[] = {
	&cli_cmd_devices, &cli_cmd_mr, &cli_cmd_stats, &cli_cmd_limits,
	&cli_cmd_bench,
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: rdmapin [--help] [--version] COMMAND [ARGS]\n\n"
		   "RDMA memory registrations: pinned or on-demand paging, what they cost.\n\n"
		   "commands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %s %s\n", commands[i]->name, commands[i]->synopsis);
	fprintf(f, "\n'rdmapin COMMAND --help' describes a command; see rdmapin(1).\n");
}

static void cmd_help(const struct cli_cmd *cmd, FILE *f)
{
	fprintf(f, "usage: rdmapin %s %s\n\n%s", cmd->name, cmd->synopsis,
		cmd->help);
}

static int usage_error(const struct cli_cmd *cmd, const struct cli_io *io,
		       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int usage_error(const struct cli_cmd *cmd, const struct cli_io *io,
		       const char *fmt, ...)
{
	va_list ap;

	fprintf(io->err, "rdmapin %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(io->err, fmt, ap);
	va_end(ap);
	fprintf(io->err, "\nTry 'rdmapin %s --help'.\n", cmd->name);
	return CLI_EXIT_USAGE;
}

pid_t cli_parse_pid(const char *s)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > INT_MAX)
		return -1;
	return (pid_t)v;
}

int cli_parse_rounds(const char *s, unsigned int *rounds)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > CLI_BENCH_MAX_ROUNDS)
		return -EINVAL;
	*rounds = (unsigned int)v;
	return 0;
}

int cli_parse_target(const char *s, char *dev, size_t devlen, uint32_t *port)
{
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long v;
	char *end;

	if (!len || len >= devlen)
		return -EINVAL;
	memcpy(dev, s, len);
	dev[len] = '\0';
	*port = 1;
	if (!slash)
		return 0;
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(slash + 1, &end, 10);
	if (errno || *end || v == 0 || v > 255)
		return -EINVAL;
	*port = (uint32_t)v;
	return 0;
}

/* --out, --quick and --rounds (rdmapin bench's); -1 when accepted. */
static int parse_bench_opt(const struct cli_cmd *cmd, const struct cli_io *io,
			   int c, struct cli_opts *opts)
{
	const char *name = c == 'o' ? "--out" : c == 'r' ? "--rounds" :
						   "--quick";

	if (!(cmd->accepts & CLI_OPT_BENCH))
		return usage_error(cmd, io, "no option %s", name);
	switch (c) {
	case 'q':
		opts->quick = true;
		break;
	case 'o':
		if (!*optarg)
			return usage_error(cmd, io, "--out wants a directory");
		opts->out = optarg;
		break;
	default:
		if (cli_parse_rounds(optarg, &opts->rounds))
			return usage_error(cmd, io,
					   "--rounds wants a number from 1 to %d, not '%s'",
					   CLI_BENCH_MAX_ROUNDS, optarg);
	}
	return -1;
}

int cli_parse(const struct cli_cmd *cmd, int argc, char **argv,
	      struct cli_opts *opts, const struct cli_io *io)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "pid", required_argument, NULL, 'p' },
		{ "dev", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "quick", no_argument, NULL, 'q' },
		{}
	};
	int c, ret;

	memset(opts, 0, sizeof(*opts));
	/* getopt keeps state across calls: cli_main may run more than once. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jhp:d:", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opts->json = true;
			break;
		case 'h':
			opts->help = true;
			break;
		case 'p':
			if (!(cmd->accepts & CLI_OPT_PID))
				return usage_error(cmd, io, "no option --pid");
			opts->pid = cli_parse_pid(optarg);
			if (opts->pid < 0)
				return usage_error(cmd, io,
						   "--pid wants a process id (a positive number), not '%s'",
						   optarg);
			break;
		case 'd':
			if (!(cmd->accepts & CLI_OPT_DEV))
				return usage_error(cmd, io, "no option --dev");
			if (!*optarg || strlen(optarg) >= 64)
				return usage_error(cmd, io,
						   "--dev wants an RDMA device name, not '%s'",
						   optarg);
			opts->dev = optarg;
			break;
		case 'o':
		case 'r':
		case 'q':
			ret = parse_bench_opt(cmd, io, c, opts);
			if (ret >= 0)
				return ret;
			break;
		case ':':
			return usage_error(cmd, io, "%s needs a value",
					   argv[optind - 1]);
		default:
			return usage_error(cmd, io, "unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (opts->help) {
		cmd_help(cmd, io->out);
		return CLI_EXIT_OK;
	}
	if (opts->json && (cmd->accepts & CLI_OPT_NO_JSON))
		return usage_error(cmd, io,
				   "no option --json (the results are files)");
	if (optind < argc && (cmd->accepts & CLI_OPT_TARGET))
		opts->target = argv[optind++];
	if (optind < argc)
		return usage_error(cmd, io, "unexpected argument '%s'",
				   argv[optind]);
	return -1;	/* parsed: run the command */
}

int cli_main(int argc, char **argv, const struct cli_io *io)
{
	struct cli_opts opts;
	size_t i;
	int ret;

	if (argc < 2) {
		usage(io->err);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(io->out);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		fprintf(io->out, "rdmapin %s\n", rdmapin_version());
		return CLI_EXIT_OK;
	}
	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[1], commands[i]->name))
			continue;
		ret = cli_parse(commands[i], argc - 1, argv + 1, &opts, io);
		if (ret >= 0)
			return ret;
		ret = commands[i]->run(&opts, io);
		if (fflush(io->out) && ret == CLI_EXIT_OK) {
			fprintf(io->err, "rdmapin: writing output: %s\n",
				strerror(errno));
			ret = CLI_EXIT_FAILURE;
		}
		return ret;
	}
	fprintf(io->err, "rdmapin: unknown command '%s'\n\n", argv[1]);
	usage(io->err);
	return CLI_EXIT_USAGE;
}

int cli_exit_for_errno(int err)
{
	switch (err) {
	case 0:
		return CLI_EXIT_OK;
	case EOPNOTSUPP:
		return CLI_EXIT_NOT_SUPPORTED;
	case ENODEV:
	case ESRCH:
	case ENOENT:
		return CLI_EXIT_NOT_FOUND;
	default:
		return CLI_EXIT_FAILURE;
	}
}

int cli_fail(const struct cli_io *io, const char *cmd, int err,
	     const char *fmt, ...)
{
	va_list ap;

	fprintf(io->err, "rdmapin %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(io->err, fmt, ap);
	va_end(ap);
	fputc('\n', io->err);
	return cli_exit_for_errno(err);
}

void cli_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = bytes;
	size_t u = 0;

	if (bytes == RDMAPIN_UNLIMITED) {
		snprintf(buf, len, "unlimited");
		return;
	}
	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	/* Whole numbers stay exact ("64 KiB"); others get one decimal. */
	if (v == (double)(uint64_t)v)
		snprintf(buf, len, "%" PRIu64 " %s", (uint64_t)v, units[u]);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
}

/* JSON writer */

void jw_init(struct jw *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
}

/* Before any value: the comma that separates it from the previous one. */
static void jw_sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->need_comma[w->depth])
		fputc(',', w->f);
	w->need_comma[w->depth] = true;
}

static void jw_open(struct jw *w, char c)
{
	jw_sep(w);
	fputc(c, w->f);
	if (w->depth + 1 < (int)(sizeof(w->need_comma) / sizeof(w->need_comma[0])))
		w->depth++;
	w->need_comma[w->depth] = false;
}

static void jw_close(struct jw *w, char c)
{
	fputc(c, w->f);
	if (w->depth)
		w->depth--;
}

void jw_begin_object(struct jw *w) { jw_open(w, '{'); }
void jw_end_object(struct jw *w) { jw_close(w, '}'); }
void jw_begin_array(struct jw *w) { jw_open(w, '['); }
void jw_end_array(struct jw *w) { jw_close(w, ']'); }

static void jw_raw_string(struct jw *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', w->f);
	for (; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", w->f);
			break;
		case '\\':
			fputs("\\\\", w->f);
			break;
		case '\n':
			fputs("\\n", w->f);
			break;
		case '\t':
			fputs("\\t", w->f);
			break;
		default:
			/* Control characters, and bytes that are not ASCII:
			 * comm names are arbitrary bytes, JSON is UTF-8.
			 */
			if (*p < 0x20 || *p >= 0x7f)
				fprintf(w->f, "\\u%04x", *p);
			else
				fputc(*p, w->f);
		}
	}
	fputc('"', w->f);
}

void jw_key(struct jw *w, const char *key)
{
	jw_sep(w);
	jw_raw_string(w, key);
	fputc(':', w->f);
	w->after_key = true;
}

void jw_string(struct jw *w, const char *s)
{
	jw_sep(w);
	jw_raw_string(w, s);
}

void jw_uint(struct jw *w, uint64_t v)
{
	jw_sep(w);
	fprintf(w->f, "%" PRIu64, v);
}

void jw_int(struct jw *w, int64_t v)
{
	jw_sep(w);
	fprintf(w->f, "%" PRId64, v);
}

void jw_bool(struct jw *w, bool v)
{
	jw_sep(w);
	fputs(v ? "true" : "false", w->f);
}

void jw_null(struct jw *w)
{
	jw_sep(w);
	fputs("null", w->f);
}

void jw_finish(struct jw *w)
{
	fputc('\n', w->f);
}

/* Tables */

void table_init(struct table *t, size_t ncols, const char *const *heads,
		const bool *right)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->heads = heads;
	t->right = right;
	t->cap = 16;
	t->cells = calloc(t->cap * ncols, sizeof(char *));
	if (!t->cells) {
		t->cap = 0;
		return;
	}
	for (i = 0; i < ncols; i++)
		t->cells[i] = strdup(heads[i]);
	t->nrows = 1;
}

void table_add(struct table *t, ...)
{
	va_list ap;
	size_t i;

	if (t->nrows == t->cap) {
		char **cells = t->cap ? realloc(t->cells, 2 * t->cap * t->ncols *
							   sizeof(char *)) : NULL;

		if (!cells)
			return;	/* out of memory: the row is dropped */
		t->cells = cells;
		t->cap *= 2;
	}
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);
		char *c = strdup(s ? s : "-"), *p;

		/* Names come from processes (comm): no control characters
		 * on a terminal.
		 */
		for (p = c; p && *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		t->cells[t->nrows * t->ncols + i] = c;
	}
	va_end(ap);
	t->nrows++;
}

void table_print(struct table *t, FILE *f)
{
	size_t r, c, *width = calloc(t->ncols, sizeof(*width));

	if (!width)
		return;
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t len = s ? strlen(s) : 0;

			if (len > width[c])
				width[c] = len;
		}
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			int w = (int)width[c];

			if (!s)
				s = "";
			if (c + 1 == t->ncols && !t->right[c])
				fprintf(f, "%s", s);	/* no trailing blanks */
			else if (t->right[c])
				fprintf(f, "%*s", w, s);
			else
				fprintf(f, "%-*s", w, s);
			if (c + 1 < t->ncols)
				fputs("  ", f);
		}
		fputc('\n', f);
	}
	free(width);
}

void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
