// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rdmapin bench: registration benchmarks belong to issue 6.  Until then the
 * command exists so that scripts get a distinct exit code, not a usage
 * error that could be mistaken for a typo.
 */
#include "cli.h"

static int run_bench(const struct cli_opts *opts, const struct cli_io *io)
{
	fprintf(io->err,
		"rdmapin bench: not yet implemented (planned: issue 6); see rdmapin(1)\n");
	return CLI_EXIT_NOT_IMPLEMENTED;
}

const struct cli_cmd cli_cmd_bench = {
	.name = "bench",
	.synopsis = "(not yet implemented)",
	.help = "Registration and access benchmarks, pinned against ODP.  Not yet\n"
		"implemented: the command exits with status 5.\n\n"
		"  --help   this text\n",
	.run = run_bench,
};
