// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rdmapin stats: a port's hardware counters (rdma statistic). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void json_stats(FILE *f, const struct cli_port_stats *p, size_t n)
{
	struct jw w;
	size_t i, j;

	jw_init(&w, f);
	jw_begin_array(&w);
	for (i = 0; i < n; i++) {
		jw_begin_object(&w);
		jw_key(&w, "dev");
		jw_string(&w, p[i].dev);
		jw_key(&w, "port");
		jw_uint(&w, p[i].port);
		jw_key(&w, "supported");
		jw_bool(&w, p[i].supported);
		jw_key(&w, "counters");
		if (p[i].supported) {
			jw_begin_object(&w);
			for (j = 0; j < p[i].n; j++) {
				jw_key(&w, p[i].stats[j].name);
				jw_uint(&w, p[i].stats[j].value);
			}
			jw_end_object(&w);
		} else {
			jw_null(&w);
		}
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_finish(&w);
}

void render_stats(FILE *f, bool json, const struct cli_port_stats *p,
		  size_t n)
{
	static const char *const heads[] = { "DEVICE", "PORT", "COUNTER",
					     "VALUE" };
	static const bool right[] = { false, true, false, true };
	struct table t;
	size_t i, j;

	if (json) {
		json_stats(f, p, n);
		return;
	}
	if (!n) {
		fprintf(f, "no RDMA devices\n");
		return;
	}
	table_init(&t, 4, heads, right);
	for (i = 0; i < n; i++) {
		char port[16], val[24];

		snprintf(port, sizeof(port), "%" PRIu32, p[i].port);
		if (!p[i].supported)
			table_add(&t, p[i].dev, port, "(no counters)", "-");
		for (j = 0; p[i].supported && j < p[i].n; j++) {
			snprintf(val, sizeof(val), "%" PRIu64,
				 p[i].stats[j].value);
			table_add(&t, p[i].dev, port, p[i].stats[j].name, val);
		}
	}
	table_print(&t, f);
	table_free(&t);
}

/* Fill @p for DEV/PORT; EOPNOTSUPP is recorded, not returned. */
static int read_port(struct cli_port_stats *p, const char *dev, uint32_t port)
{
	int ret;

	memset(p, 0, sizeof(*p));
	snprintf(p->dev, sizeof(p->dev), "%s", dev);
	p->port = port;
	ret = rdmapin_dev_stats(dev, port, &p->stats, &p->n);
	if (ret == EOPNOTSUPP)
		return 0;
	if (!ret)
		p->supported = true;
	return ret;
}

static int stats_one(const struct cli_opts *opts, const struct cli_io *io)
{
	struct cli_port_stats p;
	char dev[64];
	uint32_t port;
	int ret;

	if (cli_parse_target(opts->target, dev, sizeof(dev), &port)) {
		fprintf(io->err,
			"rdmapin stats: '%s' is not DEV or DEV/PORT (PORT from 1)\n"
			"Try 'rdmapin stats --help'.\n", opts->target);
		return CLI_EXIT_USAGE;
	}
	ret = read_port(&p, dev, port);
	/* librdmapin says EINVAL for a port the device does not have. */
	if (ret == EINVAL)
		return cli_fail(io, "stats", ENODEV, "%s/%" PRIu32 ": no such port",
				dev, port);
	if (ret)
		return cli_fail(io, "stats", ret, "%s/%" PRIu32 ": %s", dev, port,
				rdmapin_last_error());
	if (!p.supported)
		return cli_fail(io, "stats", EOPNOTSUPP,
				"%s/%" PRIu32 ": the device has no hardware counters",
				dev, port);
	render_stats(io->out, opts->json, &p, 1);
	free(p.stats);
	return CLI_EXIT_OK;
}

static int stats_all(const struct cli_opts *opts, const struct cli_io *io)
{
	struct rdmapin_device *d = NULL;
	struct cli_port_stats *p;
	size_t n = 0, i;
	int ret;

	ret = rdmapin_devices(&d, &n);
	if (ret)
		return cli_fail(io, "stats", ret, "listing RDMA devices: %s",
				rdmapin_last_error());
	p = calloc(n ? n : 1, sizeof(*p));
	if (!p) {
		free(d);
		return cli_fail(io, "stats", ENOMEM, "out of memory");
	}
	for (i = 0; i < n && !ret; i++) {
		ret = read_port(&p[i], d[i].name, 1);
		if (ret)
			ret = cli_fail(io, "stats", ret, "%s/1: %s", d[i].name,
				       rdmapin_last_error());
	}
	if (!ret)
		render_stats(io->out, opts->json, p, n);
	for (i = 0; i < n; i++)
		free(p[i].stats);
	free(p);
	free(d);
	return ret;
}

static int run_stats(const struct cli_opts *opts, const struct cli_io *io)
{
	return opts->target ? stats_one(opts, io) : stats_all(opts, io);
}

const struct cli_cmd cli_cmd_stats = {
	.name = "stats",
	.synopsis = "[DEV[/PORT]] [--json]",
	.help = "Show a port's hardware counters (what 'rdma statistic show link' shows),\n"
		"read over rdma netlink.  On pinrxe they include pinned_pages, the ODP\n"
		"counters and odp_fallbacks.  Without DEV: port 1 of every device, and a\n"
		"device without counters is listed as such; with DEV, a device without\n"
		"counters is an error (exit 3).  PORT defaults to 1.\n\n"
		"  --json   one JSON array: {dev, port, supported, counters: {NAME: VALUE}}\n"
		"  --help   this text\n",
	.accepts = CLI_OPT_TARGET,
	.run = run_stats,
};
