/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * librdmapin: the pinning ABI for RDMA applications.
 *
 * Registration with a policy (pinned, on-demand paging, or pinned with an
 * automatic fallback to ODP), what a registration costs (its path, pinned
 * pages by folio size, ODP counters), the devices, their counters and the
 * MRs of every process as the kernel's rdma netlink reports them, and the
 * process limits that bound pinning.
 *
 * Errors: functions return 0 or a pointer on success, an errno value (or
 * NULL with errno set) on failure, and rdmapin_last_error() then says, for
 * the calling thread, what failed and what to do about it.
 */
#ifndef RDMAPIN_H
#define RDMAPIN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <infiniband/verbs.h>

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

/*
 * How rdmapin_reg_mr() registers memory.
 *
 * RDMAPIN_POLICY_PIN: long-term pinned, never ODP (also on a pinrxe device
 *	whose odp_fallback module parameter is set).
 * RDMAPIN_POLICY_ODP: on-demand paging; EOPNOTSUPP where the device has no
 *	ODP.
 * RDMAPIN_POLICY_AUTO: pinned; ODP instead when RLIMIT_MEMLOCK or a refused
 *	long-term pin stops pinning and the device has ODP.
 */
enum rdmapin_policy {
	RDMAPIN_POLICY_PIN,
	RDMAPIN_POLICY_ODP,
	RDMAPIN_POLICY_AUTO,
};

/* "pin", "odp", "auto" (any case) -> *out; EINVAL otherwise. */
int rdmapin_policy_parse(const char *s, enum rdmapin_policy *out);
/* "pin", "odp", "auto"; "unknown" for anything else. */
const char *rdmapin_policy_str(enum rdmapin_policy p);

/* How a registration maps its memory. */
enum rdmapin_path {
	RDMAPIN_PATH_UNKNOWN,
	RDMAPIN_PATH_PINNED,
	RDMAPIN_PATH_ODP,
	RDMAPIN_PATH_ODP_IMPLICIT,
};

/* Why a registration took another path than the policy's first one. */
enum rdmapin_reason {
	RDMAPIN_REASON_NONE,		/* took the path asked for first */
	RDMAPIN_REASON_MEMLOCK,		/* AUTO fell back: RLIMIT_MEMLOCK */
	RDMAPIN_REASON_PIN_REFUSED,	/* AUTO fell back: the kernel refused
					   the long-term pin */
};

/* "pinned", "odp", "odp_implicit", "unknown" */
const char *rdmapin_path_str(enum rdmapin_path p);
/* "none", "memlock", "pin_refused" ("unknown" for other values) */
const char *rdmapin_reason_str(enum rdmapin_reason r);

/**
 * rdmapin_reg_mr() - register memory with a policy
 * @pd: the protection domain
 * @addr: start of the region
 * @length: bytes
 * @access: IBV_ACCESS_* flags (IBV_ACCESS_ON_DEMAND only with the ODP
 *	policy, which adds it anyway)
 * @policy: enum rdmapin_policy
 *
 * Deregister with ibv_dereg_mr().
 *
 * Return: the MR, or NULL with errno set: EINVAL for bad arguments,
 * EOPNOTSUPP for ODP on a device without it, ENOMEM over RLIMIT_MEMLOCK,
 * EFAULT for an unmapped range or a refused long-term pin, and the other
 * errors of ibv_reg_mr(); rdmapin_last_error() explains.
 */
struct ibv_mr *rdmapin_reg_mr(struct ibv_pd *pd, void *addr, size_t length,
			      unsigned int access, enum rdmapin_policy policy);

/* Folio size classes of struct rdmapin_mr_info's folio_pages. */
enum {
	RDMAPIN_FOLIO_4K,	/* base pages */
	RDMAPIN_FOLIO_64K,	/* 64 KiB up to 2 MiB */
	RDMAPIN_FOLIO_2M,	/* 2 MiB up to 1 GiB */
	RDMAPIN_FOLIO_1G,	/* 1 GiB and up */
	RDMAPIN_FOLIO_NUM,
};

/**
 * struct rdmapin_mr_info - what a registration is and costs
 * @path: pinned or ODP
 * @reason: why AUTO took ODP, else RDMAPIN_REASON_NONE
 * @pin_errno: errno of the refused pin, for a fallback
 * @length: bytes registered
 * @pinned_pages: pages this MR holds pinned
 * @folio_pages: pinned pages by folio size (RDMAPIN_FOLIO_*)
 * @odp_faults: page faults the device took on the MR
 * @odp_pages_faulted: pages those faults mapped
 * @odp_invalidations: MMU notifier invalidations of the MR's pages
 * @odp_prefetches: prefetches (ibv_advise_mr)
 * @from_kernel: the counters come from the kernel (pinrxe); false: only
 *	what the library knows (path and reason of its own registrations)
 */
struct rdmapin_mr_info {
	enum rdmapin_path path;
	enum rdmapin_reason reason;
	int pin_errno;
	uint64_t length;
	uint64_t pinned_pages;
	uint64_t folio_pages[4];
	uint64_t odp_faults, odp_pages_faulted, odp_invalidations,
		 odp_prefetches;
	bool from_kernel;
};

/**
 * rdmapin_mr_info() - information on an MR of the calling process
 * @mr: the MR
 * @out: filled on success
 *
 * Return: 0 (with @out->from_kernel false when only the library's record
 * is known), or an errno value: EINVAL for NULL arguments, EOPNOTSUPP when
 * the device cannot report on an MR the library did not register.
 */
int rdmapin_mr_info(struct ibv_mr *mr, struct rdmapin_mr_info *out);

/**
 * struct rdmapin_mr_entry - an MR as the kernel's restrack shows it
 * @dev: device name
 * @mrn: restrack id
 * @pid: owning process, 0 for kernel MRs
 * @comm: its command name (or the kernel module's name)
 * @lkey: local key (0 when the caller lacks CAP_NET_ADMIN)
 * @rkey: remote key (likewise)
 * @info: @info.from_kernel is true when the driver reports its attributes
 */
struct rdmapin_mr_entry {
	char dev[64];
	uint32_t mrn;
	uint32_t pid;
	char comm[32];
	uint32_t lkey, rkey;
	struct rdmapin_mr_info info;
};

/**
 * rdmapin_mr_list() - MRs of any process, over rdma netlink
 * @dev: a device name, or NULL for every device
 * @pid: a process, or 0 for every process
 * @out: set to a malloc()ed array; free() it
 * @n: set to the number of entries
 *
 * Return: 0, or an errno value: ENODEV for an unknown @dev, EPROTO for a
 * malformed kernel reply, and the errors of the netlink socket.
 */
int rdmapin_mr_list(const char *dev, pid_t pid, struct rdmapin_mr_entry **out,
		    size_t *n);

/**
 * struct rdmapin_device - an RDMA device
 * @name: its name
 * @index: its kernel index
 * @driver: "pinrxe", "rxe", ... as the kernel says, or from sysfs
 * @netdev: port 1's netdev (in the caller's network namespace), "" if none
 * @pinrxe: pinning information and ODP counters available
 * @odp: the device reports ODP support
 */
struct rdmapin_device {
	char name[64];
	uint32_t index;
	char driver[32];
	char netdev[32];
	bool pinrxe;
	bool odp;
};

/* Every RDMA device; *out is malloc()ed, free() it. */
int rdmapin_devices(struct rdmapin_device **out, size_t *n);

/* One counter. */
struct rdmapin_stat {
	char name[64];
	uint64_t value;
};

/**
 * rdmapin_dev_stats() - a port's hardware counters (`rdma statistic`)
 * @dev: device name
 * @port: port number (1 for RoCE devices)
 * @out: set to a malloc()ed array; free() it
 * @n: set to the number of counters
 *
 * Return: 0, or an errno value: ENODEV for an unknown device, EINVAL for a
 * bad port, EOPNOTSUPP when the device has no counters.
 */
int rdmapin_dev_stats(const char *dev, uint32_t port, struct rdmapin_stat **out,
		      size_t *n);

/* The calling thread's last failure, explained; "" when none yet. */
const char *rdmapin_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* RDMAPIN_H */
