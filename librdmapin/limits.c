// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Process limits that govern pinning: RLIMIT_MEMLOCK, against which the
 * kernel charges long-term pins (mm->pinned_vm), and what is pinned now.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "rdmapin.h"

#define CAP_IPC_LOCK_BIT 14

static uint64_t rlim_bytes(rlim_t v)
{
	return v == RLIM_INFINITY ? RDMAPIN_UNLIMITED : (uint64_t)v;
}

/* "VmPin:	     123 kB" -> bytes; returns 1 when @line is @key. */
static int status_kb(const char *line, const char *key, uint64_t *bytes)
{
	size_t len = strlen(key);
	uint64_t kb;

	if (strncmp(line, key, len) != 0 || line[len] != ':')
		return 0;
	if (sscanf(line + len + 1, "%" SCNu64 " kB", &kb) != 1)
		return 0;
	*bytes = kb * 1024;
	return 1;
}

static int read_status(pid_t pid, struct rdmapin_limits *out)
{
	char path[64], line[256];
	unsigned int found = 0;
	uint64_t capeff;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? ESRCH : errno;

	while (fgets(line, sizeof(line), f)) {
		if (status_kb(line, "VmPin", &out->pinned_bytes))
			found |= 1;
		else if (status_kb(line, "VmLck", &out->locked_bytes))
			found |= 2;
		else if (sscanf(line, "CapEff: %" SCNx64, &capeff) == 1) {
			out->cap_ipc_lock = capeff >> CAP_IPC_LOCK_BIT & 1;
			found |= 4;
		}
	}
	fclose(f);
	/* Kernel threads and zombies have no Vm* lines: nothing to report. */
	return found == 7 ? 0 : EPROTO;
}

int rdmapin_limits(pid_t pid, struct rdmapin_limits *out)
{
	struct rlimit rl;
	int ret;

	if (!out)
		return EINVAL;
	memset(out, 0, sizeof(*out));
	if (prlimit(pid, RLIMIT_MEMLOCK, NULL, &rl))
		return errno;
	out->memlock_cur = rlim_bytes(rl.rlim_cur);
	out->memlock_max = rlim_bytes(rl.rlim_max);
	ret = read_status(pid, out);
	if (ret)
		memset(out, 0, sizeof(*out));
	return ret;
}

const char *rdmapin_version(void)
{
	return RDMAPIN_VERSION;
}
