/*
 * pinrxe userspace verbs provider: private types.
 */

#ifndef PINRXE_H
#define PINRXE_H

#include "verbs_driver_abi.h"
#include "pinrxe_abi.h"

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
