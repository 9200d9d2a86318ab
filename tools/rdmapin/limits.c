// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rdmapin limits: what bounds a process's pinned registrations. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void json_limit(struct jw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	if (v == RDMAPIN_UNLIMITED)
		jw_null(w);	/* null: no limit */
	else
		jw_uint(w, v);
}

void render_limits(FILE *f, bool json, pid_t pid,
		   const struct rdmapin_limits *lim)
{
	static const char *const heads[] = { "LIMIT", "VALUE" };
	static const bool right[] = { false, true };
	char cur[32], max[32], pinned[32], locked[32], room[32], p[16];
	uint64_t headroom = RDMAPIN_UNLIMITED;
	struct table t;
	struct jw w;

	/* What can still be pinned before the limit refuses a registration. */
	if (!lim->cap_ipc_lock && lim->memlock_cur != RDMAPIN_UNLIMITED)
		headroom = lim->memlock_cur > lim->pinned_bytes ?
				   lim->memlock_cur - lim->pinned_bytes : 0;
	if (json) {
		jw_init(&w, f);
		jw_begin_object(&w);
		jw_key(&w, "pid");
		jw_int(&w, pid);
		json_limit(&w, "memlock_soft_bytes", lim->memlock_cur);
		json_limit(&w, "memlock_hard_bytes", lim->memlock_max);
		jw_key(&w, "pinned_bytes");
		jw_uint(&w, lim->pinned_bytes);
		jw_key(&w, "locked_bytes");
		jw_uint(&w, lim->locked_bytes);
		jw_key(&w, "cap_ipc_lock");
		jw_bool(&w, lim->cap_ipc_lock);
		json_limit(&w, "pinnable_bytes", headroom);
		jw_end_object(&w);
		jw_finish(&w);
		return;
	}
	snprintf(p, sizeof(p), "%d", (int)pid);
	cli_bytes(cur, sizeof(cur), lim->memlock_cur);
	cli_bytes(max, sizeof(max), lim->memlock_max);
	cli_bytes(pinned, sizeof(pinned), lim->pinned_bytes);
	cli_bytes(locked, sizeof(locked), lim->locked_bytes);
	cli_bytes(room, sizeof(room), headroom);
	table_init(&t, 2, heads, right);
	table_add(&t, "pid", p);
	table_add(&t, "memlock soft limit (ulimit -l)", cur);
	table_add(&t, "memlock hard limit", max);
	table_add(&t, "pinned now (VmPin)", pinned);
	table_add(&t, "mlocked now (VmLck)", locked);
	table_add(&t, "CAP_IPC_LOCK (limit waived)",
		  lim->cap_ipc_lock ? "yes" : "no");
	table_add(&t, "can still pin", room);
	table_print(&t, f);
	table_free(&t);
}

static int run_limits(const struct cli_opts *opts, const struct cli_io *io)
{
	pid_t pid = opts->pid ? opts->pid : getpid();
	struct rdmapin_limits lim;
	int ret;

	ret = rdmapin_limits(opts->pid, &lim);
	if (ret)
		return cli_fail(io, "limits", ret, "process %d: %s", (int)pid,
				ret == ESRCH ? "no such process" : strerror(ret));
	render_limits(io->out, opts->json, pid, &lim);
	return CLI_EXIT_OK;
}

const struct cli_cmd cli_cmd_limits = {
	.name = "limits",
	.synopsis = "[--pid PID] [--json]",
	.help = "Show what bounds a process's pinned registrations: RLIMIT_MEMLOCK (soft and\n"
		"hard), the memory it has pinned (VmPin) and mlocked (VmLck) now, whether\n"
		"CAP_IPC_LOCK waives the limit, and how much more it could pin.\n\n"
		"  --pid PID  that process (default: rdmapin itself, which shows the limit\n"
		"             a program started from this shell inherits)\n"
		"  --json     one JSON object; unlimited values are null\n"
		"  --help     this text\n",
	.accepts = CLI_OPT_PID,
	.run = run_limits,
};
