/*
 * pinrxe userspace verbs provider: private types.
 */

#ifndef PINRXE_H
#define PINRXE_H

#include "verbs_driver_abi.h"

/*
 * Per-device uverbs ABI, i.e. the kernel driver's ib_device_ops.uverbs_abi_ver
 * (kernel/pinrxe.h), which the kernel shows in
 * /sys/class/infiniband_verbs/uverbsN/abi_version and libibverbs checks
 * against match_{min,max}_abi_version.  Not to be confused with the class-wide
 * /sys/class/infiniband_verbs/abi_version (6), which libibverbs checks itself.
 */
#define PINRXE_UVERBS_ABI_VERSION	1

struct pinrxe_device {
	struct verbs_device	ibv_dev;
	int			abi_version;
};

struct pinrxe_context {
	struct verbs_context	ibv_ctx;
};

static inline struct pinrxe_device *to_pdev(struct ibv_device *ibdev)
{
	return container_of(verbs_get_device(ibdev), struct pinrxe_device,
			    ibv_dev);
}

static inline struct pinrxe_context *to_pctx(struct ibv_context *ibctx)
{
	return container_of(verbs_get_ctx(ibctx), struct pinrxe_context,
			    ibv_ctx);
}

#endif /* PINRXE_H */
