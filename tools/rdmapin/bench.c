// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rdmapin bench: checks what it can before anything changes on the
 * machine (root, the engine being there), then execs the benchmark
 * engine, a script installed with its helpers in RDMAPIN_BENCH_DIR
 * (bench/engine.sh in the source tree), which does the measuring.  The
 * environment variable RDMAPIN_BENCH_DIR points it at another copy, such
 * as a build tree's bench directory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef RDMAPIN_BENCH_DIR
#error "RDMAPIN_BENCH_DIR: the installed benchmark directory (CMake sets it)"
#endif

#define ENGINE "engine.sh"
#define DEFAULT_OUT "rdmapin-bench"
#define DEFAULT_ROUNDS 3

int cli_bench_exec(const struct cli_opts *opts, const struct cli_io *io,
		   bool root)
{
	const char *dir = getenv("RDMAPIN_BENCH_DIR");
	char engine[4096], rounds[16];
	char *argv[8];
	int argc = 0;

	if (!root)
		return cli_fail(io, "bench", EPERM,
				"needs root: it loads kernel modules (rdma_rxe, pinrxe) and creates a network namespace, veth pairs and RDMA devices (all removed afterwards)");
	if (!dir || !*dir)
		dir = RDMAPIN_BENCH_DIR;
	if (snprintf(engine, sizeof(engine), "%s/%s", dir, ENGINE) >=
	    (int)sizeof(engine))
		return cli_fail(io, "bench", ENAMETOOLONG,
				"RDMAPIN_BENCH_DIR is too long");
	if (access(engine, X_OK))
		return cli_fail(io, "bench", EIO,
				"no benchmark engine at %s (%s): install rdmapin, or set RDMAPIN_BENCH_DIR to a build tree's bench directory",
				engine, strerror(errno));
	/*
	 * --quick alone means one round; --rounds, when given, wins (the
	 * engine decides the default, so it is not passed).
	 */
	argv[argc++] = engine;
	argv[argc++] = (char *)"--out";
	argv[argc++] = (char *)(opts->out ? opts->out : DEFAULT_OUT);
	if (opts->rounds || !opts->quick) {
		snprintf(rounds, sizeof(rounds), "%u",
			 opts->rounds ? opts->rounds : DEFAULT_ROUNDS);
		argv[argc++] = (char *)"--rounds";
		argv[argc++] = rounds;
	}
	if (opts->quick)
		argv[argc++] = (char *)"--quick";
	argv[argc] = NULL;
	/* For the results' meta.csv. */
	setenv("RDMAPIN_BENCH_VERSION", rdmapin_version(), 1);
	fflush(io->out);
	fflush(io->err);
	execv(engine, argv);
	return cli_fail(io, "bench", EIO, "cannot run %s: %s", engine,
			strerror(errno));
}

static int run_bench(const struct cli_opts *opts, const struct cli_io *io)
{
	return cli_bench_exec(opts, io, geteuid() == 0);
}

const struct cli_cmd cli_cmd_bench = {
	.name = "bench",
	.synopsis = "[--out DIR] [--rounds N] [--quick]",
	.help = "Benchmark this machine: perftest bandwidth (64 B to 1 MiB) and latency\n"
		"(2 B and 4 KiB) of send, RDMA write, read and atomics over stock rdma_rxe\n"
		"and over pinrxe with pinned memory, on-demand paging (ODP) and ODP after\n"
		"a prefetch; registration and deregistration time from 4 KiB to 1 GiB\n"
		"(pinned on touched and untouched memory, THP, hugetlb, ODP, ODP with\n"
		"prefetch; on rdma_rxe the pinned kinds) and the first access to fresh\n"
		"memory; memcpy bandwidth and a UDP stream as the physical reference.\n"
		"Writes bench.csv, reg.csv, ref.csv, meta.csv, report.md and plots/ into\n"
		"DIR.  A full run takes about half an hour in a small emulated VM.\n\n"
		"Needs root: it loads rdma_rxe and pinrxe (modprobe, or insmod\n"
		"$RDMAPIN_PINRXE_KO) and creates a network namespace, veth pairs and\n"
		"RDMA devices, which it removes again.\n\n"
		"  --out DIR     where the results go (default ./" DEFAULT_OUT ")\n"
		"  --rounds N    measure every figure N times (default 3)\n"
		"  --quick       one round, sizes 64 B and 64 KiB, latency at 2 B,\n"
		"                registrations up to 4 MiB: every path in a few minutes\n"
		"  --help        this text\n\n"
		"Exit status 0 when every figure was measured, 1 when some could not\n"
		"be (NA in the CSV, reasons in DIR/failures.log) or the run failed.\n\n"
		"engine directory: " RDMAPIN_BENCH_DIR "\n"
		"                  (RDMAPIN_BENCH_DIR overrides)\n",
	.accepts = CLI_OPT_BENCH | CLI_OPT_NO_JSON,
	.run = run_bench,
};
