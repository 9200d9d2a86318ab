/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pinrxe direct verbs: what the pinrxe provider offers beyond libibverbs,
 * in the manner of mlx5dv and efadv.  Link with -lpinrxe.
 *
 * A memory registration on pinrxe is pinned (long-term FOLL_PIN pins,
 * charged to RLIMIT_MEMLOCK) or on-demand paging (ODP: nothing pinned, pages
 * faulted in as the device touches them).  pinrxedv_reg_mr() lets the
 * caller say whether a pinned registration may become an ODP one when
 * pinning is impossible, and pinrxedv_query_mr() tells which path any
 * pinrxe MR took, and why.
 */
#ifndef PINRXEDV_H
#define PINRXEDV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <infiniband/verbs.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * pinrxedv_is_supported - Is this a pinrxe device?
 * @device: a device from ibv_get_device_list()
 *
 * Return: true when the pinrxe provider drives @device, so that the other
 * pinrxedv functions work on its PDs and MRs.
 */
bool pinrxedv_is_supported(struct ibv_device *device);

/*
 * What a pinned registration may do when the pages cannot be pinned
 * because RLIMIT_MEMLOCK would be exceeded or because the kernel refuses
 * the long-term pin (a writable registration of a MAP_SHARED mapping of a
 * file on a filesystem that tracks dirty pages, such as ext4 or xfs):
 *
 * PINRXEDV_REG_FALLBACK_ODP: register the range as ODP instead.
 * PINRXEDV_REG_NO_FALLBACK: fail, even when the pinrxe module's
 *	odp_fallback parameter makes falling back the default.
 * Neither: the module's default (no fallback unless odp_fallback is set).
 *
 * No other failure falls back: an address range that is not mapped fails
 * with EFAULT whatever the flags.
 */
enum pinrxedv_reg_flags {
	PINRXEDV_REG_FALLBACK_ODP = 1 << 0,
	PINRXEDV_REG_NO_FALLBACK = 1 << 1,
};

/**
 * pinrxedv_reg_mr - Register a memory region, choosing the fallback policy
 * @pd: a protection domain of a pinrxe device
 * @addr: start of the region
 * @length: its length in bytes
 * @iova: the address the region has in work requests (ibv_reg_mr_iova2)
 * @access: IBV_ACCESS_* flags; with IBV_ACCESS_ON_DEMAND the region is
 *	ODP from the start and @flags do not matter
 * @flags: enum pinrxedv_reg_flags; at most one of them
 *
 * The MR is deregistered with ibv_dereg_mr() and otherwise used like one
 * from ibv_reg_mr().  A fallback MR behaves as one registered with
 * IBV_ACCESS_ON_DEMAND.
 *
 * Return: the MR, or NULL with errno set: EOPNOTSUPP when @pd is not a
 * pinrxe PD, EINVAL for unknown or contradictory @flags, and the errors of
 * ibv_reg_mr(): ENOMEM over RLIMIT_MEMLOCK, EFAULT for an unmapped range
 * or a refused long-term pin, when no fallback was allowed.
 */
struct ibv_mr *pinrxedv_reg_mr(struct ibv_pd *pd, void *addr, size_t length,
			       uint64_t iova, unsigned int access,
			       uint32_t flags);

/* How an MR maps its memory. */
enum pinrxedv_mr_mode {
	PINRXEDV_MR_MODE_PINNED = 1,
	PINRXEDV_MR_MODE_ODP = 2,
	PINRXEDV_MR_MODE_ODP_IMPLICIT = 3,	/* the whole address space */
};

/* Why an MR that was asked to be pinned is ODP. */
enum pinrxedv_fallback_reason {
	PINRXEDV_FALLBACK_NONE = 0,
	PINRXEDV_FALLBACK_MEMLOCK = 1,		/* RLIMIT_MEMLOCK */
	PINRXEDV_FALLBACK_PIN_REFUSED = 2,	/* the long-term pin refused */
};

/**
 * struct pinrxedv_mr_info - The path a registration took
 * @mode: pinned or ODP
 * @fallback_reason: for an MR asked to be pinned that is ODP, why;
 *	else PINRXEDV_FALLBACK_NONE
 * @pin_errno: the errno the pinned attempt failed with (ENOMEM for the
 *	memlock limit, EFAULT for a refused pin), 0 without a fallback
 */
struct pinrxedv_mr_info {
	enum pinrxedv_mr_mode mode;
	enum pinrxedv_fallback_reason fallback_reason;
	int pin_errno;
};

/**
 * pinrxedv_query_mr - Which path did a registration take?
 * @mr: any MR of a pinrxe device, from ibv_reg_mr() or pinrxedv_reg_mr()
 * @info: filled in on success
 *
 * Return: 0, or an errno value: EOPNOTSUPP when @mr is not a pinrxe MR or
 * its kernel module did not report the path.
 */
int pinrxedv_query_mr(struct ibv_mr *mr, struct pinrxedv_mr_info *info);

#ifdef __cplusplus
}
#endif

#endif /* PINRXEDV_H */
