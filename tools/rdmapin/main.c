// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rdmapin(1): see cli.h and the man page. */
#include "cli.h"

int main(int argc, char **argv)
{
	const struct cli_io io = { stdout, stderr };

	return cli_main(argc, argv, &io);
}
