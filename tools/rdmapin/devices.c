// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rdmapin devices: the RDMA devices, their drivers and what they report. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void render_devices(FILE *f, bool json, const struct rdmapin_device *d,
		    size_t n)
{
	static const char *const heads[] = { "DEVICE", "INDEX", "DRIVER",
					     "NETDEV", "PINNING", "ODP" };
	static const bool right[] = { false, true, false, false, false, false };
	struct table t;
	struct jw w;
	size_t i;

	if (json) {
		jw_init(&w, f);
		jw_begin_array(&w);
		for (i = 0; i < n; i++) {
			jw_begin_object(&w);
			jw_key(&w, "name");
			jw_string(&w, d[i].name);
			jw_key(&w, "index");
			jw_uint(&w, d[i].index);
			jw_key(&w, "driver");
			jw_string(&w, d[i].driver);
			jw_key(&w, "netdev");
			if (d[i].netdev[0])
				jw_string(&w, d[i].netdev);
			else
				jw_null(&w);
			jw_key(&w, "pinning_info");
			jw_bool(&w, d[i].pinrxe);
			jw_key(&w, "odp");
			jw_bool(&w, d[i].odp);
			jw_end_object(&w);
		}
		jw_end_array(&w);
		jw_finish(&w);
		return;
	}
	if (!n) {
		fprintf(f, "no RDMA devices\n");
		return;
	}
	table_init(&t, 6, heads, right);
	for (i = 0; i < n; i++) {
		char idx[16];

		snprintf(idx, sizeof(idx), "%" PRIu32, d[i].index);
		table_add(&t, d[i].name, idx, d[i].driver,
			  d[i].netdev[0] ? d[i].netdev : "-",
			  d[i].pinrxe ? "yes" : "no", d[i].odp ? "yes" : "no");
	}
	table_print(&t, f);
	table_free(&t);
}

static int run_devices(const struct cli_opts *opts, const struct cli_io *io)
{
	struct rdmapin_device *d = NULL;
	size_t n = 0;
	int ret;

	ret = rdmapin_devices(&d, &n);
	if (ret)
		return cli_fail(io, "devices", ret, "listing RDMA devices: %s",
				rdmapin_last_error());
	render_devices(io->out, opts->json, d, n);
	free(d);
	return CLI_EXIT_OK;
}

const struct cli_cmd cli_cmd_devices = {
	.name = "devices",
	.synopsis = "[--json]",
	.help = "List the RDMA devices: index, kernel driver, port 1's network device,\n"
		"whether the device reports pinning information (pinned pages, folio\n"
		"sizes, ODP counters per MR) and whether it offers on-demand paging.\n\n"
		"  --json   one JSON array of objects\n"
		"  --help   this text\n",
	.run = run_devices,
};
