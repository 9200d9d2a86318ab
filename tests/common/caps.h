/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Capabilities for the tests that check RLIMIT_MEMLOCK: root has
 * CAP_IPC_LOCK, which exempts it from the limit, so a test of the limit
 * drops it first (in a child, for good).
 */
#ifndef RDMAPIN_TEST_CAPS_H
#define RDMAPIN_TEST_CAPS_H

#include <unistd.h>
#include <linux/capability.h>
#include <sys/syscall.h>

/* Drop CAP_IPC_LOCK from every set of this thread; 0 or -1 (errno). */
static inline int drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[0].effective &= ~(1U << CAP_IPC_LOCK);
	data[0].permitted &= ~(1U << CAP_IPC_LOCK);
	data[0].inheritable &= ~(1U << CAP_IPC_LOCK);
	return syscall(SYS_capset, &hdr, data);
}

#endif /* RDMAPIN_TEST_CAPS_H */
