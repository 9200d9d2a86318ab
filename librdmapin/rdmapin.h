/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * librdmapin: the pinning ABI for RDMA applications.
 *
 * This release carries the process-limit query; registration policies
 * (pinned, ODP, automatic fallback) and per-MR and device counters follow.
 */
#ifndef RDMAPIN_H
#define RDMAPIN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A limit that is not set (RLIM_INFINITY). */
#define RDMAPIN_UNLIMITED UINT64_MAX

/**
 * struct rdmapin_limits - what bounds a process's long-term pins
 * @memlock_cur: RLIMIT_MEMLOCK soft limit in bytes, or RDMAPIN_UNLIMITED;
 *	pinned registrations are charged against it
 * @memlock_max: RLIMIT_MEMLOCK hard limit in bytes, or RDMAPIN_UNLIMITED
 * @pinned_bytes: memory the process has pinned now (VmPin), in bytes
 * @locked_bytes: memory the process has mlock()ed now (VmLck), in bytes
 * @cap_ipc_lock: the process has CAP_IPC_LOCK, which exempts it from the
 *	limit
 */
struct rdmapin_limits {
	uint64_t memlock_cur;
	uint64_t memlock_max;
	uint64_t pinned_bytes;
	uint64_t locked_bytes;
	bool cap_ipc_lock;
};

/**
 * rdmapin_limits() - read a process's memlock limit and pinned memory
 * @pid: the process, or 0 for the caller
 * @out: filled on success
 *
 * Return: 0, or an errno value: ESRCH when @pid does not exist, EPERM when
 * its limits may not be read, EINVAL for a NULL @out, EPROTO when
 * /proc/PID/status lacks the fields this kernel should have.
 */
int rdmapin_limits(pid_t pid, struct rdmapin_limits *out);

/* The library's version, "MAJOR.MINOR.PATCH". */
const char *rdmapin_version(void);

#ifdef __cplusplus
}
#endif

#endif /* RDMAPIN_H */
