// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: posts completions to a pinrxe CQ through
 * pinrxe_cq_post(), the function the data path will use, so that tests can
 * drive polling, notification, resize and overrun before QPs exist.
 *
 *   echo "DEV CQN COUNT SOLICITED WR_ID" > /sys/module/pinrxe_cqinject/parameters/post
 *
 * posts COUNT completions to the CQ whose restrack id (`rdma res show cq`)
 * is CQN on device DEV, with wr_id WR_ID, WR_ID + 1, ...; the other fields
 * follow from the wr_id (see below) so that the test can check every one.
 * The write fails with pinrxe_cq_post()'s error for the first completion
 * that could not be posted, after posting the ones before it.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <rdma/ib_verbs.h>
#include <rdma/restrack.h>

#include "pinrxe.h"

static void cqinject_fill(struct pinrxe_cqe *cqe, u64 wr_id)
{
	u32 n = lower_32_bits(wr_id);

	memset(cqe, 0, sizeof(*cqe));
	cqe->wr_id = wr_id;
	cqe->status = n % 3 ? IB_WC_SUCCESS : IB_WC_REM_ACCESS_ERR;
	cqe->opcode = n % 2 ? IB_WC_RECV : IB_WC_RECV_RDMA_WITH_IMM;
	cqe->vendor_err = n % 3 ? 0 : 0x77;
	cqe->byte_len = n * 3;
	cqe->ex.imm_data = cpu_to_be32(n ^ 0xa5a5a5a5);
	cqe->qp_num = 0x100 + n % 7;
	cqe->src_qp = 0x200 + n % 5;
	cqe->flags = PINRXE_CQE_WITH_IMM | (n % 2 ? PINRXE_CQE_GRH : 0);
	cqe->pkey_index = 0;
	cqe->sl = n % 8;
}

static int cqinject_post(const char *val, const struct kernel_param *kp)
{
	struct rdma_restrack_entry *res;
	char name[IB_DEVICE_NAME_MAX];
	u32 cqn, count, solicited, i;
	struct ib_device *ibdev;
	struct pinrxe_cqe cqe;
	struct pinrxe_cq *cq;
	u64 wr_id;
	int err = 0;

	if (sscanf(val, "%63s %u %u %u %llu", name, &cqn, &count, &solicited,
		   &wr_id) != 5)
		return -EINVAL;
	ibdev = ib_device_get_by_name(name, RDMA_DRIVER_UNKNOWN);
	if (!ibdev)
		return -ENODEV;
	/* Only pinrxe's CQs are struct pinrxe_cq. */
	if (!ibdev->ops.owner || strcmp(ibdev->ops.owner->name, "pinrxe")) {
		err = -ENODEV;
		goto put_dev;
	}
	/* The reference makes ib_core's destroy of the CQ wait for us. */
	res = rdma_restrack_get_byid(ibdev, RDMA_RESTRACK_CQ, cqn);
	if (IS_ERR(res)) {
		err = PTR_ERR(res);
		goto put_dev;
	}
	/*
	 * A kernel consumer's CQ (ib_mad's) takes completions of its own QPs
	 * only: made-up ones would reach its handlers as pointers.
	 */
	if (rdma_is_kernel_res(res)) {
		err = -EINVAL;
		goto put_res;
	}
	cq = to_pcq(container_of(res, struct ib_cq, res));
	for (i = 0; i < count && !err; i++) {
		cqinject_fill(&cqe, wr_id + i);
		err = pinrxe_cq_post(cq, &cqe, NULL, solicited);
	}
put_res:
	rdma_restrack_put(res);
put_dev:
	ib_device_put(ibdev);
	return err;
}

static const struct kernel_param_ops cqinject_ops = {
	.set = cqinject_post,
};
module_param_cb(post, &cqinject_ops, NULL, 0200);
MODULE_PARM_DESC(post, "DEV CQN COUNT SOLICITED WR_ID: post completions");

static int __init cqinject_init(void)
{
	return 0;
}

/* Present so that the module, and then pinrxe, can be unloaded. */
static void __exit cqinject_exit(void)
{
}

module_init(cqinject_init);
module_exit(cqinject_exit);

MODULE_IMPORT_NS(PINRXE_TEST);
MODULE_DESCRIPTION("rdmapin test: inject completions into pinrxe CQs");
MODULE_LICENSE("GPL");
