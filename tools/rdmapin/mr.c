// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rdmapin mr: memory regions as the kernel's resource tracking shows them,
 * with the path each took (pinned or ODP), why, and what it holds.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const folio_keys[] = { "4k", "64k", "2m", "1g" };

static void json_info(struct jw *w, const struct rdmapin_mr_info *in)
{
	size_t i;

	jw_key(w, "length");
	jw_uint(w, in->length);
	jw_key(w, "from_kernel");
	jw_bool(w, in->from_kernel);
	/* Without the driver's attributes the path is unknown: null, not 0. */
	if (!in->from_kernel) {
		static const char *const keys[] = { "path", "reason",
						    "pin_errno", "pinned_pages",
						    "folio_pages", "odp" };

		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			jw_key(w, keys[i]);
			jw_null(w);
		}
		return;
	}
	jw_key(w, "path");
	jw_string(w, rdmapin_path_str(in->path));
	jw_key(w, "reason");
	jw_string(w, rdmapin_reason_str(in->reason));
	jw_key(w, "pin_errno");
	jw_int(w, in->pin_errno);
	jw_key(w, "pinned_pages");
	jw_uint(w, in->pinned_pages);
	jw_key(w, "folio_pages");
	jw_begin_object(w);
	for (i = 0; i < 4; i++) {
		jw_key(w, folio_keys[i]);
		jw_uint(w, in->folio_pages[i]);
	}
	jw_end_object(w);
	jw_key(w, "odp");
	jw_begin_object(w);
	jw_key(w, "faults");
	jw_uint(w, in->odp_faults);
	jw_key(w, "pages_faulted");
	jw_uint(w, in->odp_pages_faulted);
	jw_key(w, "invalidations");
	jw_uint(w, in->odp_invalidations);
	jw_key(w, "prefetches");
	jw_uint(w, in->odp_prefetches);
	jw_end_object(w);
}

static void json_mrs(FILE *f, const struct rdmapin_mr_entry *e, size_t n)
{
	struct jw w;
	size_t i;

	jw_init(&w, f);
	jw_begin_array(&w);
	for (i = 0; i < n; i++) {
		jw_begin_object(&w);
		jw_key(&w, "dev");
		jw_string(&w, e[i].dev);
		jw_key(&w, "mrn");
		jw_uint(&w, e[i].mrn);
		jw_key(&w, "pid");
		jw_uint(&w, e[i].pid);
		jw_key(&w, "comm");
		jw_string(&w, e[i].comm);
		jw_key(&w, "lkey");
		jw_uint(&w, e[i].lkey);
		jw_key(&w, "rkey");
		jw_uint(&w, e[i].rkey);
		json_info(&w, &e[i].info);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_finish(&w);
}

#define U64(buf, v) snprintf(buf, sizeof(buf), "%" PRIu64, (uint64_t)(v))

/* One table row; cells the device cannot report are "-". */
static void table_mr(struct table *t, const struct rdmapin_mr_entry *e)
{
	const struct rdmapin_mr_info *in = &e->info;
	char mrn[16], pid[16], lkey[16], rkey[16], len[32], pinned[24];
	char folios[96], faults[24], inval[24], reason[48];
	bool k = in->from_kernel;

	U64(mrn, e->mrn);
	U64(pid, e->pid);
	snprintf(lkey, sizeof(lkey), "0x%" PRIx32, e->lkey);
	snprintf(rkey, sizeof(rkey), "0x%" PRIx32, e->rkey);
	cli_bytes(len, sizeof(len), in->length);
	U64(pinned, in->pinned_pages);
	snprintf(folios, sizeof(folios),
		 "%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64,
		 in->folio_pages[0], in->folio_pages[1], in->folio_pages[2],
		 in->folio_pages[3]);
	U64(faults, in->odp_faults);
	U64(inval, in->odp_invalidations);
	if (in->reason != RDMAPIN_REASON_NONE && in->pin_errno)
		snprintf(reason, sizeof(reason), "%s (%s)",
			 rdmapin_reason_str(in->reason),
			 strerrorname_np(in->pin_errno) ?: "?");
	else
		snprintf(reason, sizeof(reason), "%s",
			 rdmapin_reason_str(in->reason));
	table_add(t, e->dev, mrn, pid, e->comm[0] ? e->comm : "[kernel]", lkey,
		  rkey, len, k ? rdmapin_path_str(in->path) : NULL,
		  k ? reason : NULL, k ? pinned : NULL, k ? folios : NULL,
		  k ? faults : NULL, k ? inval : NULL);
}

void render_mrs(FILE *f, bool json, const struct rdmapin_mr_entry *e,
		size_t n)
{
	static const char *const heads[] = {
		"DEV", "MRN", "PID", "COMM", "LKEY", "RKEY", "LENGTH", "PATH",
		"REASON", "PINNED", "4K/64K/2M/1G", "FAULTS", "INVAL" };
	static const bool right[] = { false, true, true, false, false, false,
				      true, false, false, true, true, true,
				      true };
	struct table t;
	size_t i;

	if (json) {
		json_mrs(f, e, n);
		return;
	}
	if (!n) {
		fprintf(f, "no memory regions\n");
		return;
	}
	table_init(&t, 13, heads, right);
	for (i = 0; i < n; i++)
		table_mr(&t, &e[i]);
	table_print(&t, f);
	table_free(&t);
	for (i = 0; i < n; i++)
		if (!e[i].info.from_kernel) {
			fprintf(f, "(-: the device's driver does not report pinning information)\n");
			break;
		}
}

static int run_mr(const struct cli_opts *opts, const struct cli_io *io)
{
	struct rdmapin_mr_entry *e = NULL;
	size_t n = 0;
	int ret;

	/* "No MRs" and "no such process" must differ for scripts. */
	if (opts->pid && kill(opts->pid, 0) && errno == ESRCH)
		return cli_fail(io, "mr", ESRCH, "no process %d", (int)opts->pid);
	ret = rdmapin_mr_list(opts->dev, opts->pid, &e, &n);
	if (ret)
		return cli_fail(io, "mr", ret, "listing memory regions%s%s: %s",
				opts->dev ? " of " : "",
				opts->dev ? opts->dev : "",
				rdmapin_last_error());
	render_mrs(io->out, opts->json, e, n);
	free(e);
	return CLI_EXIT_OK;
}

const struct cli_cmd cli_cmd_mr = {
	.name = "mr",
	.synopsis = "[--pid PID] [--dev DEV] [--json]",
	.help = "List memory regions as the kernel tracks them (rdma netlink), of every\n"
		"process or of one: the path each registration took (pinned, odp,\n"
		"odp_implicit), why a pinned registration fell back to ODP (memlock,\n"
		"pin_refused, with the pin's error), the pages it holds pinned by folio\n"
		"size (4 KiB, 64 KiB..2 MiB, 2 MiB..1 GiB, 1 GiB and up), and its ODP page\n"
		"faults and invalidations.  Devices whose driver does not report these\n"
		"(rdma_rxe) show '-' (null in JSON).\n\n"
		"  --pid PID  only that process's MRs (exit 4 when there is no such process)\n"
		"  --dev DEV  only that device's MRs\n"
		"  --json     one JSON array of objects\n"
		"  --help     this text\n",
	.accepts = CLI_OPT_PID | CLI_OPT_DEV,
	.run = run_mr,
};
