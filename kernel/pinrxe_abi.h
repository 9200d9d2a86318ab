/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * The pinrxe user/kernel ABI, shared by the kernel module and the
 * libibverbs provider: everything both sides must agree on lives here.
 */
#ifndef PINRXE_ABI_H
#define PINRXE_ABI_H

/*
 * The per-device uverbs ABI version (ib_device_ops.uverbs_abi_ver, shown
 * in /sys/class/infiniband_verbs/uverbsN/abi_version).  libibverbs loads
 * the provider only for devices whose version lies in the provider's
 * match range, so a provider and module that disagree on driver-private
 * data refuse each other instead of misreading it.  Bump on any change to
 * the structures below.
 */
#define PINRXE_UVERBS_ABI_VERSION	1

#endif /* PINRXE_ABI_H */
