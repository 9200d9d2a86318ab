// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * TEMPORARY, for the fallback branch only: on-demand paging is not in
 * this branch yet, so the ODP registration that the pinned-to-ODP
 * fallback (pinrxe_mr.c) calls is declared in pinrxe.h and defined here
 * as unsupported.  The merge with the ODP branch deletes this file (and
 * its lines in Kbuild and CMakeLists.txt): pinrxe_odp.c defines the real
 * pinrxe_odp_reg_user_mr().
 */
#include "pinrxe.h"

/**
 * pinrxe_odp_reg_user_mr() - register user memory for on-demand paging
 * @ibpd: the protection domain
 * @start: user address of the region
 * @length: bytes
 * @iova: the address the region is known by
 * @access: IB_ACCESS_* flags, with IB_ACCESS_ON_DEMAND
 * @udata: the reg_mr driver data
 *
 * Return: ERR_PTR(-EOPNOTSUPP): this build has no on-demand paging.
 */
struct ib_mr *pinrxe_odp_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
				     u64 iova, int access,
				     struct ib_udata *udata)
{
	return ERR_PTR(-EOPNOTSUPP);
}
