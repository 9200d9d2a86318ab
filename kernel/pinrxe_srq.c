// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Shared receive queues.  An SRQ is a ring the application posts receive
 * WQEs to, like a QP's receive ring, from which the responders of every
 * QP attached to it take WQEs (pinrxe_srq_take()), each under the SRQ
 * lock and as a validated copy.  The SRQ limit is armed by modify_srq and
 * fires once, from a take, when fewer WQEs than the limit are left.
 *
 * Basic and XRC SRQs.  Every SRQ has a number, an XRC SRQ's is the one
 * XRC requests name in their XRCETH: the responder of an XRC target QP
 * finds the SRQ by it (pinrxe_srq_get()), takes the receive WQE from it,
 * checks the request's memory accesses against its PD and completes the
 * receive to its CQ.  An XRC domain is ib_core's business alone: the
 * device only checks that SRQ and target QP share one.
 *
 * Tag-matching SRQs and resizing (IB_SRQ_MAX_WR in modify_srq, not
 * advertised with IB_DEVICE_SRQ_RESIZE) answer -EOPNOTSUPP.  A resize
 * would replace the ring, and modify_srq has no response in which to tell
 * the application where to map the new one.
 * A kernel consumer's SRQ has its ring in kernel memory and is posted to
 * with post_srq_recv (pinrxe_kpost.c).
 */
#include <linux/log2.h>
#include <linux/slab.h>
#include <rdma/ib_verbs.h>
#include <rdma/uverbs_ioctl.h>

#include "pinrxe.h"

static_assert(sizeof(struct pinrxe_create_srq_resp) == 32);

/**
 * pinrxe_alloc_xrcd() - allocate an XRC domain
 * @ibxrcd: the domain, allocated by ib_core, which also shares it between
 *	processes opening the same file and counts its users
 * @udata: carries no driver-private data
 *
 * Return: 0; -EOPNOTSUPP for unknown request data.
 */
int pinrxe_alloc_xrcd(struct ib_xrcd *ibxrcd, struct ib_udata *udata)
{
	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;
	return 0;
}

/**
 * pinrxe_dealloc_xrcd() - free an XRC domain
 * @ibxrcd: the domain; ib_core calls this only once no SRQ or QP uses it
 *	(it refuses with -EBUSY before)
 * @udata: unused
 *
 * Return: 0.
 */
int pinrxe_dealloc_xrcd(struct ib_xrcd *ibxrcd, struct ib_udata *udata)
{
	return 0;
}

/* An SRQ type the device has, with what that type needs. */
static int pinrxe_srq_check_type(const struct ib_srq_init_attr *init)
{
	switch (init->srq_type) {
	case IB_SRQT_BASIC:
		return 0;
	case IB_SRQT_XRC:
		return init->ext.cq && init->ext.xrc.xrcd ? 0 : -EINVAL;
	default:
		return -EOPNOTSUPP;
	}
}

/* Number the SRQ; it becomes visible to lookups only once complete. */
static int pinrxe_srq_reserve_num(struct pinrxe_dev *pdev,
				  struct pinrxe_srq *srq)
{
	int err;

	err = xa_alloc_cyclic_irq(&pdev->srq_xa, &srq->srq_num, NULL,
				  XA_LIMIT(1, PINRXE_MAX_SRQN),
				  &pdev->srq_next, GFP_KERNEL);
	if (err < 0)
		return err == -EBUSY ? -ENOMEM : err;
	refcount_set(&srq->ref, 1);
	init_completion(&srq->released);
	return 0;
}

/**
 * pinrxe_create_srq() - create a shared receive queue
 * @ibsrq: the SRQ, allocated by ib_core
 * @init: type (basic, or XRC with its XRC domain and CQ, which ib_core
 *	keeps in ibsrq.ext and holds as used) and requested max_wr and
 *	max_sge (srq_limit is ignored, as verbs say); max_wr and max_sge are
 *	updated to what the SRQ got
 * @udata: receives struct pinrxe_create_srq_resp; NULL for kernel callers
 *
 * Return: 0; -EINVAL for a max_wr of 0, max_wr or max_sge over the device
 * limits, an XRC SRQ without domain or CQ, or a response buffer too small;
 * -EOPNOTSUPP for tag-matching SRQs and unknown request data; -ENOMEM past
 * max_srq or when memory or SRQ numbers run out.
 */
int pinrxe_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		      struct ib_udata *udata)
{
	struct pinrxe_dev *pdev = to_pdev(ibsrq->device);
	struct pinrxe_create_srq_resp resp = {};
	struct pinrxe_srq *srq = to_psrq(ibsrq);
	struct ib_srq_attr *attr = &init->attr;
	struct ib_ucontext *uctx = NULL;
	u32 elem;
	int err;

	err = pinrxe_srq_check_type(init);
	if (err)
		return err;
	if (!attr->max_wr || attr->max_wr > pdev->attr.max_srq_wr ||
	    attr->max_sge > pdev->attr.max_srq_sge)
		return -EINVAL;
	if (udata) {
		if (udata->inlen &&
		    !ib_is_udata_cleared(udata, 0, udata->inlen))
			return -EOPNOTSUPP;
		if (udata->outlen < sizeof(resp))
			return -EINVAL;
		uctx = &rdma_udata_to_drv_context(udata,
						  struct pinrxe_ucontext,
						  ibuc)->ibuc;
	}

	if (atomic_inc_return(&pdev->num_srq) > pdev->attr.max_srq) {
		err = -ENOMEM;
		goto err_count;
	}
	spin_lock_init(&srq->lock);
	elem = roundup_pow_of_two(sizeof(struct pinrxe_recv_wqe) +
				  attr->max_sge * sizeof(struct pinrxe_sge));
	srq->num_wqe = roundup_pow_of_two(attr->max_wr);
	srq->max_sge = min_t(u32, (elem - sizeof(struct pinrxe_recv_wqe)) /
				  sizeof(struct pinrxe_sge), PINRXE_MAX_SGE);
	srq->limit = 0;
	srq->elem = kmalloc(elem, GFP_KERNEL_ACCOUNT);
	if (!srq->elem) {
		err = -ENOMEM;
		goto err_count;
	}
	err = pinrxe_queue_init(&srq->queue, uctx, PINRXE_QUEUE_FROM_USER,
				srq->num_wqe, elem);
	if (err)
		goto err_elem;
	err = pinrxe_srq_reserve_num(pdev, srq);
	if (err)
		goto err_queue;
	if (init->srq_type == IB_SRQT_XRC)
		ibsrq->ext.xrc.srq_num = srq->srq_num;

	if (udata) {
		pinrxe_queue_mmap_info(&srq->queue, &resp.mi);
		resp.num_wqe = srq->num_wqe;
		resp.wqe_size = elem;
		resp.srq_num = srq->srq_num;
		err = ib_copy_to_udata(udata, &resp, sizeof(resp));
		if (err)
			goto err_num;
	}
	attr->max_wr = srq->num_wqe;
	attr->max_sge = srq->max_sge;
	/* Over the reserved entry: needs no memory, cannot fail. */
	xa_store_irq(&pdev->srq_xa, srq->srq_num, srq, GFP_KERNEL);
	return 0;

err_num:
	xa_erase_irq(&pdev->srq_xa, srq->srq_num);
err_queue:
	pinrxe_queue_cleanup(&srq->queue);
err_elem:
	kfree(srq->elem);
err_count:
	atomic_dec(&pdev->num_srq);
	return err;
}

/**
 * pinrxe_modify_srq() - arm an SRQ's limit
 * @ibsrq: the SRQ
 * @attr: the new srq_limit; 0 disarms
 * @mask: IB_SRQ_LIMIT; IB_SRQ_MAX_WR (resize) is not supported
 * @udata: carries no driver-private data
 *
 * The limit fires once, at the first take that leaves fewer WQEs than the
 * limit, and then reads 0 again.
 *
 * Return: 0; -EINVAL for a limit over the SRQ's size or an unknown mask
 * bit; -EOPNOTSUPP for a resize or unknown request data.
 */
int pinrxe_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		      enum ib_srq_attr_mask mask, struct ib_udata *udata)
{
	struct pinrxe_srq *srq = to_psrq(ibsrq);
	unsigned long flags;

	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;
	if (mask & ~(IB_SRQ_MAX_WR | IB_SRQ_LIMIT))
		return -EINVAL;
	if (mask & IB_SRQ_MAX_WR)
		return -EOPNOTSUPP;
	if (mask & IB_SRQ_LIMIT) {
		if (attr->srq_limit > srq->num_wqe)
			return -EINVAL;
		spin_lock_irqsave(&srq->lock, flags);
		srq->limit = attr->srq_limit;
		spin_unlock_irqrestore(&srq->lock, flags);
	}
	return 0;
}

/**
 * pinrxe_query_srq() - report an SRQ's size and armed limit
 * @ibsrq: the SRQ
 * @attr: filled here
 *
 * Return: 0.
 */
int pinrxe_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr)
{
	struct pinrxe_srq *srq = to_psrq(ibsrq);

	attr->max_wr = srq->num_wqe;
	attr->max_sge = srq->max_sge;
	attr->srq_limit = READ_ONCE(srq->limit);
	return 0;
}

/**
 * pinrxe_destroy_srq() - destroy a shared receive queue
 * @ibsrq: the SRQ
 * @udata: unused
 *
 * ib_core calls this only once no QP uses the SRQ (it refuses with -EBUSY
 * before).  XRC target QPs do not count as its users, and take from it
 * whenever a request names it: the SRQ leaves the number table first, then
 * this waits for a responder that found it to be done with it.
 *
 * Return: 0.
 */
int pinrxe_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata)
{
	struct pinrxe_dev *pdev = to_pdev(ibsrq->device);
	struct pinrxe_srq *srq = to_psrq(ibsrq);

	xa_erase_irq(&pdev->srq_xa, srq->srq_num);
	pinrxe_srq_put(srq);
	wait_for_completion(&srq->released);
	pinrxe_queue_cleanup(&srq->queue);
	kfree(srq->elem);
	atomic_dec(&to_pdev(ibsrq->device)->num_srq);
	return 0;
}

/**
 * pinrxe_srq_take() - take the next receive WQE from an SRQ
 * @srq: the SRQ; the caller's QP keeps it alive
 * @rwqe: receives the validated WQE
 *
 * Callable from any context, by the responders of all QPs using @srq at
 * once.  When the take leaves fewer WQEs than the armed limit, the limit
 * disarms and the SRQ gets IB_EVENT_SRQ_LIMIT_REACHED.
 *
 * Exported, in namespace PINRXE_TEST, for the test module that takes WQEs
 * the way the responder does (tests/kmod/srqtake).
 *
 * Return: 0; -EAGAIN when the SRQ is empty; -EINVAL for a WQE with too
 * many SGEs (@rwqe has its wr_id); -EIO when the ring is corrupt.
 */
int pinrxe_srq_take(struct pinrxe_srq *srq, struct pinrxe_rwqe *rwqe)
{
	struct ib_srq *ibsrq = &srq->ibsrq;
	bool limit_reached = false;
	unsigned long flags;
	int err, count;

	spin_lock_irqsave(&srq->lock, flags);
	err = pinrxe_queue_consume(&srq->queue, srq->elem);
	if (!err) {
		err = pinrxe_rwqe_copy(srq->elem, srq->max_sge, rwqe);
		count = pinrxe_queue_count(&srq->queue);
		if (srq->limit && count >= 0 && count < srq->limit) {
			srq->limit = 0;
			limit_reached = true;
		}
	}
	spin_unlock_irqrestore(&srq->lock, flags);

	if (limit_reached && ibsrq->event_handler) {
		struct ib_event ev = {
			.device = ibsrq->device,
			.element.srq = ibsrq,
			.event = IB_EVENT_SRQ_LIMIT_REACHED,
		};

		ibsrq->event_handler(&ev, ibsrq->srq_context);
	}
	return err;
}
EXPORT_SYMBOL_NS_GPL(pinrxe_srq_take, PINRXE_TEST);

/**
 * pinrxe_srq_get() - find an SRQ by number, for a request that names it
 * @pdev: the device
 * @srq_num: the number, from an XRCETH
 *
 * Callable from any context.  SRQs being destroyed, and numbers reserved
 * by a creation still in progress, are not found.
 *
 * Return: the SRQ with a reference held (drop it with pinrxe_srq_put()),
 * or NULL.
 */
struct pinrxe_srq *pinrxe_srq_get(struct pinrxe_dev *pdev, u32 srq_num)
{
	struct pinrxe_srq *srq;
	unsigned long flags;

	/* Destroy takes the SRQ out of the table under this lock first. */
	xa_lock_irqsave(&pdev->srq_xa, flags);
	srq = xa_load(&pdev->srq_xa, srq_num);
	if (srq && !refcount_inc_not_zero(&srq->ref))
		srq = NULL;
	xa_unlock_irqrestore(&pdev->srq_xa, flags);
	return srq;
}

/**
 * pinrxe_srq_put() - drop a reference from pinrxe_srq_get()
 * @srq: the SRQ
 */
void pinrxe_srq_put(struct pinrxe_srq *srq)
{
	if (refcount_dec_and_test(&srq->ref))
		complete(&srq->released);
}
