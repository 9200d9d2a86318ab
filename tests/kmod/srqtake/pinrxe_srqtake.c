// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: takes receive WQEs from a pinrxe SRQ through
 * pinrxe_srq_take(), the function the responder uses, so that tests can
 * check the kernel's validated copies and the SRQ limit event without
 * traffic.
 *
 *   echo "DEV SRQN COUNT" > /sys/module/pinrxe_srqtake/parameters/take
 *   cat /sys/module/pinrxe_srqtake/parameters/taken
 *
 * The write takes COUNT WQEs from the SRQ whose restrack id (`rdma res
 * show srq`) is SRQN on device DEV, and fails with the error of the first
 * take that failed, after the ones before it.  "taken" lists what the last
 * write took, one WQE per line: "WR_ID NUM_SGE LENGTH ADDR LKEY" with the
 * first SGE (0 0 without one), or "WR_ID invalid" for a WQE the kernel
 * refused.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <rdma/ib_verbs.h>
#include <rdma/restrack.h>

#include "pinrxe.h"

static DEFINE_MUTEX(srqtake_mutex);
static char srqtake_log[PAGE_SIZE];
static size_t srqtake_len;

/* Append one line to the log; lines that do not fit are dropped. */
static void srqtake_logf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(srqtake_log + srqtake_len,
		      sizeof(srqtake_log) - srqtake_len, fmt, ap);
	va_end(ap);
	if (n > 0 && srqtake_len + n < sizeof(srqtake_log))
		srqtake_len += n;
	else
		srqtake_log[srqtake_len] = '\0';
}

static int srqtake_take(struct pinrxe_srq *srq, u32 count)
{
	struct pinrxe_rwqe *rwqe;
	int err = 0;
	u32 i;

	rwqe = kmalloc(sizeof(*rwqe), GFP_KERNEL);
	if (!rwqe)
		return -ENOMEM;
	for (i = 0; i < count && !err; i++) {
		err = pinrxe_srq_take(srq, rwqe);
		if (err == -EINVAL)
			srqtake_logf("%llu invalid\n", rwqe->wr_id);
		if (err)
			break;
		srqtake_logf("%llu %u %u %llu %u\n", rwqe->wr_id,
			     rwqe->num_sge, rwqe->length,
			     rwqe->num_sge ? rwqe->sge[0].addr : 0,
			     rwqe->num_sge ? rwqe->sge[0].lkey : 0);
	}
	kfree(rwqe);
	return err;
}

static int srqtake_set(const char *val, const struct kernel_param *kp)
{
	struct rdma_restrack_entry *res;
	char name[IB_DEVICE_NAME_MAX];
	struct ib_device *ibdev;
	u32 srqn, count;
	int err;

	if (sscanf(val, "%63s %u %u", name, &srqn, &count) != 3)
		return -EINVAL;
	ibdev = ib_device_get_by_name(name, RDMA_DRIVER_UNKNOWN);
	if (!ibdev)
		return -ENODEV;
	/* Only pinrxe's SRQs are struct pinrxe_srq. */
	if (!ibdev->ops.owner || strcmp(ibdev->ops.owner->name, "pinrxe")) {
		err = -ENODEV;
		goto put_dev;
	}
	/* The reference makes ib_core's destroy of the SRQ wait for us. */
	res = rdma_restrack_get_byid(ibdev, RDMA_RESTRACK_SRQ, srqn);
	if (IS_ERR(res)) {
		err = PTR_ERR(res);
		goto put_dev;
	}
	mutex_lock(&srqtake_mutex);
	srqtake_len = 0;
	srqtake_log[0] = '\0';
	err = srqtake_take(to_psrq(container_of(res, struct ib_srq, res)),
			   count);
	mutex_unlock(&srqtake_mutex);
	rdma_restrack_put(res);
put_dev:
	ib_device_put(ibdev);
	return err;
}

static int srqtake_get(char *buffer, const struct kernel_param *kp)
{
	int n;

	mutex_lock(&srqtake_mutex);
	n = sysfs_emit(buffer, "%s", srqtake_log);
	mutex_unlock(&srqtake_mutex);
	return n;
}

static const struct kernel_param_ops srqtake_take_ops = {
	.set = srqtake_set,
};
module_param_cb(take, &srqtake_take_ops, NULL, 0200);
MODULE_PARM_DESC(take, "DEV SRQN COUNT: take receive WQEs from an SRQ");

static const struct kernel_param_ops srqtake_taken_ops = {
	.get = srqtake_get,
};
module_param_cb(taken, &srqtake_taken_ops, NULL, 0400);
MODULE_PARM_DESC(taken, "what the last take took");

static int __init srqtake_init(void)
{
	return 0;
}

/* Present so that the module, and then pinrxe, can be unloaded. */
static void __exit srqtake_exit(void)
{
}

module_init(srqtake_init);
module_exit(srqtake_exit);

MODULE_IMPORT_NS(PINRXE_TEST);
MODULE_DESCRIPTION("rdmapin test: take receive WQEs from pinrxe SRQs");
MODULE_LICENSE("GPL");
