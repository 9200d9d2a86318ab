// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Completion queues.  A CQ is a kernel-to-user ring of struct pinrxe_cqe
 * (pinrxe_queue.c) that the application polls in userspace without a
 * system call; the kernel only fills it (pinrxe_cq_post(), for the data
 * path), arms notification, and replaces the ring on resize.
 *
 * Only user CQs exist: ib_core offers a device to kernel clients only when
 * it implements the kernel verbs (QPs, MRs...), and even then a kernel CQ
 * would need a kernel poll path, so kernel callers get -EOPNOTSUPP.
 */
#include <linux/log2.h>
#include <rdma/ib_verbs.h>
#include <rdma/uverbs_ioctl.h>

#include "pinrxe.h"

static_assert(sizeof(struct pinrxe_cqe) == 64);
static_assert(sizeof(struct pinrxe_create_cq_resp) == 24);
static_assert(sizeof(struct pinrxe_resize_cq_resp) == 24);

/*
 * The ring size for a requested depth: rounded up to a power of two and
 * reported back as the CQ's actual depth, which verbs allow to exceed the
 * request.  max_cqe is itself a power of two, so a valid request never
 * rounds past it.
 */
static int pinrxe_cq_depth(struct pinrxe_dev *pdev, unsigned int cqe,
			   u32 *num_cqe)
{
	if (!cqe || cqe > pdev->attr.max_cqe)
		return -EINVAL;
	*num_cqe = roundup_pow_of_two(cqe);
	return 0;
}

/*
 * The provider sends no driver-private request; data from a newer one
 * would ask for something this driver does not know.
 */
static int pinrxe_cq_check_udata(struct ib_udata *udata, size_t resp_len)
{
	if (udata->inlen && !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;
	/* Without the ring's mmap info the CQ would be unusable. */
	if (udata->outlen < resp_len)
		return -EINVAL;
	return 0;
}

/**
 * pinrxe_create_cq() - create a completion queue
 * @ibcq: the CQ, allocated by ib_core
 * @attr: requested depth, completion vector and flags
 * @attrs: the uverbs call; NULL for kernel callers
 *
 * Return: 0; -EINVAL for a depth of 0 or above max_cqe, a completion
 * vector out of range or a response buffer too small for the ring info;
 * -EOPNOTSUPP for kernel callers, any creation flag (completion
 * timestamps, ignoring overrun) and unknown request data; -ENOMEM past
 * max_cq or when memory runs out.
 */
int pinrxe_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		     struct uverbs_attr_bundle *attrs)
{
	struct pinrxe_dev *pdev = to_pdev(ibcq->device);
	struct pinrxe_create_cq_resp resp = {};
	struct pinrxe_cq *cq = to_pcq(ibcq);
	struct pinrxe_ucontext *uctx;
	struct ib_udata *udata;
	u32 num_cqe;
	int err;

	if (!attrs)
		return -EOPNOTSUPP;
	udata = &attrs->driver_udata;
	if (attr->flags)
		return -EOPNOTSUPP;
	if (attr->comp_vector >= ibcq->device->num_comp_vectors)
		return -EINVAL;
	err = pinrxe_cq_depth(pdev, attr->cqe, &num_cqe);
	if (err)
		return err;
	err = pinrxe_cq_check_udata(udata, sizeof(resp));
	if (err)
		return err;

	if (atomic_inc_return(&pdev->num_cq) > pdev->attr.max_cq) {
		err = -ENOMEM;
		goto err_count;
	}

	spin_lock_init(&cq->lock);
	mutex_init(&cq->resize_mutex);
	uctx = rdma_udata_to_drv_context(udata, struct pinrxe_ucontext, ibuc);
	err = pinrxe_queue_init(&cq->queue, &uctx->ibuc, PINRXE_QUEUE_TO_USER,
				num_cqe, sizeof(struct pinrxe_cqe));
	if (err)
		goto err_mutex;

	pinrxe_queue_mmap_info(&cq->queue, &resp.mi);
	resp.num_cqe = num_cqe;
	err = ib_copy_to_udata(udata, &resp, sizeof(resp));
	if (err)
		goto err_queue;
	ibcq->cqe = num_cqe;
	return 0;

err_queue:
	pinrxe_queue_cleanup(&cq->queue);
err_mutex:
	mutex_destroy(&cq->resize_mutex);
err_count:
	atomic_dec(&pdev->num_cq);
	return err;
}

/**
 * pinrxe_destroy_cq() - destroy a completion queue
 * @ibcq: the CQ
 * @udata: unused
 *
 * ib_core calls this only once no QP uses the CQ (it refuses with -EBUSY
 * before) and no other verb is running on it, so nothing can post to it
 * any more.  The ring's mapping may outlive the CQ (see pinrxe_queue.c).
 *
 * Return: 0.
 */
int pinrxe_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata)
{
	struct pinrxe_cq *cq = to_pcq(ibcq);

	pinrxe_queue_cleanup(&cq->queue);
	mutex_destroy(&cq->resize_mutex);
	atomic_dec(&to_pdev(ibcq->device)->num_cq);
	return 0;
}

/**
 * pinrxe_resize_cq() - change the depth of a completion queue
 * @ibcq: the CQ
 * @cqe: the new minimum depth
 * @udata: receives the new ring's mmap info; NULL for kernel callers
 *
 * Completions not yet polled move to the new ring; first the QPs that
 * complete to the CQ catch up on work posted before (pinrxe_qp_settle_cq()),
 * so their completions count.  Completions posted meanwhile wait for the
 * switch on the CQ lock, so none is lost.  The application must not poll
 * while this runs (the provider holds its CQ lock) and must map the new
 * ring afterwards: the old one is dead.
 *
 * Return: 0; -EINVAL for a depth of 0 or above max_cqe, for a depth below
 * the number of completions pending (the requested depth, even when the
 * rounded-up ring would hold them), for a corrupt ring, or a response
 * buffer too small; -EOPNOTSUPP for kernel callers or unknown request
 * data; -ENOMEM; -EFAULT when the response cannot be written (the new
 * ring is in place then).
 */
int pinrxe_resize_cq(struct ib_cq *ibcq, int cqe, struct ib_udata *udata)
{
	struct pinrxe_resize_cq_resp resp = {};
	struct pinrxe_cq *cq = to_pcq(ibcq);
	struct pinrxe_ucontext *uctx;
	u32 num_cqe;
	int err;

	if (!udata)
		return -EOPNOTSUPP;
	/* A negative depth turns into a huge one and fails the range check. */
	err = pinrxe_cq_depth(to_pdev(ibcq->device), cqe, &num_cqe);
	if (err)
		return err;
	err = pinrxe_cq_check_udata(udata, sizeof(resp));
	if (err)
		return err;

	uctx = rdma_udata_to_drv_context(udata, struct pinrxe_ucontext, ibuc);
	/*
	 * ib_core lets resizes of one CQ run in parallel; one at a time keeps
	 * the ring and depth returned to each caller the ones it installed.
	 */
	mutex_lock(&cq->resize_mutex);
	/*
	 * Count the completions of work posted before the resize that the
	 * deferred data path has yet to add, as a hardware CQ would have
	 * them by now.
	 */
	pinrxe_qp_settle_cq(cq);
	/* Fewer completions pending than asked for, not merely than fit. */
	err = pinrxe_queue_resize(&cq->queue, &uctx->ibuc, num_cqe, cqe,
				  &cq->lock);
	if (!err) {
		ibcq->cqe = num_cqe;
		pinrxe_queue_mmap_info(&cq->queue, &resp.mi);
		resp.num_cqe = num_cqe;
		err = ib_copy_to_udata(udata, &resp, sizeof(resp));
	}
	mutex_unlock(&cq->resize_mutex);
	return err;
}

/**
 * pinrxe_req_notify_cq() - arm a completion queue's notification
 * @ibcq: the CQ
 * @flags: IB_CQ_SOLICITED or IB_CQ_NEXT_COMP, optionally with
 *	IB_CQ_REPORT_MISSED_EVENTS
 *
 * The next completion (or the next solicited one) calls the CQ's
 * completion handler once and disarms the CQ.  Arming for the next
 * completion over an armed solicited request widens it; the reverse
 * keeps the wider request, as the IBA requires.
 *
 * Return: 0, or with IB_CQ_REPORT_MISSED_EVENTS 1 when the CQ holds
 * completions already (they trigger no event), so the caller polls again.
 */
int pinrxe_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags)
{
	struct pinrxe_cq *cq = to_pcq(ibcq);
	unsigned long irqflags;
	int ret = 0;

	spin_lock_irqsave(&cq->lock, irqflags);
	cq->notify |= flags & IB_CQ_SOLICITED_MASK;
	/* A corrupt ring counts as non-empty: polling is what reveals it. */
	if (flags & IB_CQ_REPORT_MISSED_EVENTS)
		ret = pinrxe_queue_count(&cq->queue) != 0;
	spin_unlock_irqrestore(&cq->lock, irqflags);
	return ret;
}

/**
 * pinrxe_cq_post() - add a completion to a completion queue
 * @cq: the CQ; the caller holds a reference that keeps it alive (a QP
 *	using it)
 * @cqe: the completion, in the ABI format
 * @solicited: the completion is for a message with the solicited event bit
 *
 * Callable from any context.  A completion that finds the ring full
 * overruns the CQ: per the IBA the CQ enters the error state, its owner
 * gets one IB_EVENT_CQ_ERR affiliated asynchronous event, and the CQ takes
 * no further completions.  Otherwise the completion is published and, when
 * the CQ is armed for it, the completion handler runs once.
 *
 * Exported, in namespace PINRXE_TEST, only for the test module that
 * injects completions (tests/kmod) until the data path exists.
 *
 * Return: 0, -ENOSPC when this completion overran the CQ, or -EIO when
 * the CQ is already in the error state.
 */
int pinrxe_cq_post(struct pinrxe_cq *cq, const struct pinrxe_cqe *cqe,
		   bool solicited)
{
	struct ib_cq *ibcq = &cq->ibcq;
	unsigned long flags;
	void *slot;

	spin_lock_irqsave(&cq->lock, flags);
	if (unlikely(cq->overflowed)) {
		spin_unlock_irqrestore(&cq->lock, flags);
		return -EIO;
	}
	slot = pinrxe_queue_produce_slot(&cq->queue);
	if (unlikely(!slot)) {
		struct ib_event ev = {
			.device = ibcq->device,
			.element.cq = ibcq,
			.event = IB_EVENT_CQ_ERR,
		};

		cq->overflowed = true;
		spin_unlock_irqrestore(&cq->lock, flags);
		if (ibcq->event_handler)
			ibcq->event_handler(&ev, ibcq->cq_context);
		return -ENOSPC;
	}
	memcpy(slot, cqe, sizeof(*cqe));
	pinrxe_queue_produce(&cq->queue);

	/*
	 * Under the lock, so that a req_notify_cq racing with this either
	 * sees the completion (REPORT_MISSED_EVENTS) or gets the event.
	 */
	if ((cq->notify & IB_CQ_NEXT_COMP) ||
	    ((cq->notify & IB_CQ_SOLICITED) && solicited)) {
		cq->notify = 0;
		ibcq->comp_handler(ibcq, ibcq->cq_context);
	}
	spin_unlock_irqrestore(&cq->lock, flags);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(pinrxe_cq_post, PINRXE_TEST);
