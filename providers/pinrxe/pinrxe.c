/*
 * pinrxe userspace verbs provider.
 *
 * The pinrxe kernel driver has no driver-private uverbs data, so every verb
 * is a plain ibv_cmd_* call.  Only the device/context/port/PD verbs exist
 * for now; all other members of the ops table stay NULL and libibverbs
 * reports them as not supported.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "pinrxe.h"

static void pinrxe_free_context(struct ibv_context *ibctx);

static const struct verbs_match_ent hca_table[] = {
	/* no driver_id (RDMA_DRIVER_UNKNOWN): match ib device names pinrxe* */
	VERBS_NAME_MATCH("pinrxe", NULL),
	{},
};

/*
 * Also serves ibv_query_device(): libibverbs calls this with input == NULL
 * and attr_size == sizeof(struct ibv_device_attr).
 */
static int pinrxe_query_device(struct ibv_context *context,
			       const struct ibv_query_device_ex_input *input,
			       struct ibv_device_attr_ex *attr,
			       size_t attr_size)
{
	struct ib_uverbs_ex_query_device_resp resp;
	size_t resp_size = sizeof(resp);
	unsigned int major, minor, sub_minor;
	uint64_t raw_fw_ver;
	int ret;

	ret = ibv_cmd_query_device_any(context, input, attr, attr_size, &resp,
				       &resp_size);
	if (ret)
		return ret;

	raw_fw_ver = resp.base.fw_ver;
	major = (raw_fw_ver >> 32) & 0xffff;
	minor = (raw_fw_ver >> 16) & 0xffff;
	sub_minor = raw_fw_ver & 0xffff;

	snprintf(attr->orig_attr.fw_ver, sizeof(attr->orig_attr.fw_ver),
		 "%u.%u.%u", major, minor, sub_minor);

	return 0;
}

static int pinrxe_query_port(struct ibv_context *context, uint8_t port,
			     struct ibv_port_attr *attr)
{
	struct ibv_query_port cmd = {};

	return ibv_cmd_query_port(context, port, attr, &cmd, sizeof(cmd));
}

static struct ibv_pd *pinrxe_alloc_pd(struct ibv_context *context)
{
	struct ib_uverbs_alloc_pd_resp resp = {};
	struct ibv_alloc_pd cmd = {};
	struct ibv_pd *pd;
	int ret;

	pd = calloc(1, sizeof(*pd));
	if (!pd)
		return NULL;

	ret = ibv_cmd_alloc_pd(context, pd, &cmd, sizeof(cmd), &resp,
			       sizeof(resp));
	if (ret) {
		free(pd);
		errno = ret;
		return NULL;
	}

	return pd;
}

static int pinrxe_dealloc_pd(struct ibv_pd *pd)
{
	int ret;

	ret = ibv_cmd_dealloc_pd(pd);
	if (ret)
		return ret;

	free(pd);
	return 0;
}

static const struct verbs_context_ops pinrxe_ctx_ops = {
	.alloc_pd = pinrxe_alloc_pd,
	.dealloc_pd = pinrxe_dealloc_pd,
	.free_context = pinrxe_free_context,
	.query_device_ex = pinrxe_query_device,
	.query_port = pinrxe_query_port,
};

static struct verbs_context *pinrxe_alloc_context(struct ibv_device *ibdev,
						  int cmd_fd,
						  void *private_data)
{
	struct ib_uverbs_get_context_resp resp = {};
	struct ibv_get_context cmd = {};
	struct pinrxe_context *context;
	int ret;

	(void)private_data;

	context = verbs_init_and_alloc_context(ibdev, cmd_fd, context, ibv_ctx,
					       RDMA_DRIVER_UNKNOWN);
	if (!context)
		return NULL;

	ret = ibv_cmd_get_context(&context->ibv_ctx, &cmd, sizeof(cmd), &resp,
				  sizeof(resp));
	if (ret)
		goto err;

	verbs_set_ops(&context->ibv_ctx, &pinrxe_ctx_ops);

	return &context->ibv_ctx;

err:
	verbs_uninit_context(&context->ibv_ctx);
	free(context);
	errno = ret;
	return NULL;
}

static void pinrxe_free_context(struct ibv_context *ibctx)
{
	struct pinrxe_context *context = to_pctx(ibctx);

	verbs_uninit_context(&context->ibv_ctx);
	free(context);
}

static struct verbs_device *
pinrxe_device_alloc(struct verbs_sysfs_dev *sysfs_dev)
{
	struct pinrxe_device *dev;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;

	dev->abi_version = sysfs_dev->abi_ver;

	return &dev->ibv_dev;
}

static void pinrxe_uninit_device(struct verbs_device *verbs_device)
{
	free(to_pdev(&verbs_device->device));
}

static const struct verbs_device_ops pinrxe_dev_ops = {
	.name = "pinrxe",
	.match_min_abi_version = PINRXE_UVERBS_ABI_VERSION,
	.match_max_abi_version = PINRXE_UVERBS_ABI_VERSION,
	.match_table = hca_table,
	.alloc_device = pinrxe_device_alloc,
	.uninit_device = pinrxe_uninit_device,
	.alloc_context = pinrxe_alloc_context,
};
PROVIDER_DRIVER(pinrxe, pinrxe_dev_ops);
