// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Completion queues.  A CQ is a kernel-to-user ring of struct pinrxe_cqe
 * (pinrxe_queue.c) that the application polls in userspace without a
 * system call; the kernel only fills it (pinrxe_cq_post(), for the data
 * path), arms notification, and replaces the ring on resize.
 *
 * A kernel consumer's CQ (ib_mad's, ULPs') is the same ring in kernel
 * memory, holding struct ib_wc: pinrxe_cq_post() converts each completion
 * when it posts it, which is when the QP it belongs to is known for sure,
 * and poll_cq only copies.
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

/* A kernel CQ's ring element: a struct ib_wc, rounded up to a power of two. */
static u32 pinrxe_cq_elem_size(struct ib_ucontext *uctx)
{
	return uctx ? sizeof(struct pinrxe_cqe) :
		      roundup_pow_of_two(sizeof(struct ib_wc));
}

/**
 * pinrxe_create_cq() - create a completion queue
 * @ibcq: the CQ, allocated by ib_core
 * @attr: requested depth, completion vector and flags
 * @attrs: the uverbs call; NULL for kernel callers, whose CQ is polled
 *	with poll_cq
 *
 * Return: 0; -EINVAL for a depth of 0 or above max_cqe, a completion
 * vector out of range or a response buffer too small for the ring info;
 * -EOPNOTSUPP for any creation flag (completion timestamps, ignoring
 * overrun) and unknown request data; -ENOMEM past max_cq or when memory
 * runs out.
 */
int pinrxe_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		     struct uverbs_attr_bundle *attrs)
{
	struct pinrxe_dev *pdev = to_pdev(ibcq->device);
	struct pinrxe_create_cq_resp resp = {};
	struct pinrxe_cq *cq = to_pcq(ibcq);
	struct ib_ucontext *uctx = NULL;
	struct ib_udata *udata = NULL;
	u32 num_cqe;
	int err;

	if (attr->flags)
		return -EOPNOTSUPP;
	if (attr->comp_vector >= ibcq->device->num_comp_vectors)
		return -EINVAL;
	err = pinrxe_cq_depth(pdev, attr->cqe, &num_cqe);
	if (err)
		return err;
	if (attrs) {
		udata = &attrs->driver_udata;
		err = pinrxe_cq_check_udata(udata, sizeof(resp));
		if (err)
			return err;
		uctx = &rdma_udata_to_drv_context(udata,
						  struct pinrxe_ucontext,
						  ibuc)->ibuc;
	}

	if (atomic_inc_return(&pdev->num_cq) > pdev->attr.max_cq) {
		err = -ENOMEM;
		goto err_count;
	}

	spin_lock_init(&cq->lock);
	mutex_init(&cq->resize_mutex);
	err = pinrxe_queue_init(&cq->queue, uctx, PINRXE_QUEUE_TO_USER,
				num_cqe, pinrxe_cq_elem_size(uctx));
	if (err)
		goto err_mutex;

	if (udata) {
		pinrxe_queue_mmap_info(&cq->queue, &resp.mi);
		resp.num_cqe = num_cqe;
		err = ib_copy_to_udata(udata, &resp, sizeof(resp));
		if (err)
			goto err_queue;
	}
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
 * ring afterwards: the old one is dead.  A kernel CQ's poll_cq takes the
 * same lock as the switch.
 *
 * Return: 0; -EINVAL for a depth of 0 or above max_cqe, for a depth below
 * the number of completions pending (the requested depth, even when the
 * rounded-up ring would hold them), for a corrupt ring, a response buffer
 * too small, or a kernel caller resizing a user CQ or the reverse;
 * -EOPNOTSUPP for unknown request data; -ENOMEM; -EFAULT when the
 * response cannot be written (the new ring is in place then).
 */
int pinrxe_resize_cq(struct ib_cq *ibcq, int cqe, struct ib_udata *udata)
{
	struct pinrxe_resize_cq_resp resp = {};
	struct pinrxe_cq *cq = to_pcq(ibcq);
	struct ib_ucontext *uctx = NULL;
	u32 num_cqe;
	int err;

	if (!udata != cq->queue.kernel)
		return -EINVAL;
	/* A negative depth turns into a huge one and fails the range check. */
	err = pinrxe_cq_depth(to_pdev(ibcq->device), cqe, &num_cqe);
	if (err)
		return err;
	if (udata) {
		err = pinrxe_cq_check_udata(udata, sizeof(resp));
		if (err)
			return err;
		uctx = &rdma_udata_to_drv_context(udata,
						  struct pinrxe_ucontext,
						  ibuc)->ibuc;
	}

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
	err = pinrxe_queue_resize(&cq->queue, uctx, num_cqe, cqe, &cq->lock);
	if (!err) {
		ibcq->cqe = num_cqe;
		if (udata) {
			pinrxe_queue_mmap_info(&cq->queue, &resp.mi);
			resp.num_cqe = num_cqe;
			err = ib_copy_to_udata(udata, &resp, sizeof(resp));
		}
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
 * pinrxe_poll_cq() - take completions from a kernel consumer's CQ
 * @ibcq: the CQ
 * @num_entries: room in @wc
 * @wc: filled with the oldest completions, in order
 *
 * Callable from any context; ib_core polls from softirq or a workqueue.
 * User CQs are polled in userspace, never through here.
 *
 * Return: the number of completions taken, 0 when the CQ is empty.
 */
int pinrxe_poll_cq(struct ib_cq *ibcq, int num_entries, struct ib_wc *wc)
{
	struct pinrxe_cq *cq = to_pcq(ibcq);
	unsigned long flags;
	void *slot;
	int n;

	if (WARN_ON_ONCE(!cq->queue.kernel))
		return 0;
	spin_lock_irqsave(&cq->lock, flags);
	for (n = 0; n < num_entries; n++) {
		slot = pinrxe_queue_peer_slot(&cq->queue);
		if (!slot)
			break;
		memcpy(&wc[n], slot, sizeof(*wc));
		pinrxe_queue_peer_advance(&cq->queue);
	}
	spin_unlock_irqrestore(&cq->lock, flags);
	return n;
}

static int pinrxe_wc_flags(u32 cqe_flags)
{
	return (cqe_flags & PINRXE_CQE_GRH ?
		IB_WC_GRH | IB_WC_WITH_NETWORK_HDR_TYPE : 0) |
	       (cqe_flags & PINRXE_CQE_WITH_IMM ? IB_WC_WITH_IMM : 0) |
	       (cqe_flags & PINRXE_CQE_WITH_INV ? IB_WC_WITH_INVALIDATE : 0);
}

/* A completion as a kernel consumer sees it (struct ib_wc). */
static void pinrxe_cqe_to_wc(const struct pinrxe_cqe *cqe,
			     struct pinrxe_qp *qp, struct ib_wc *wc)
{
	memset(wc, 0, sizeof(*wc));
	wc->wr_id = cqe->wr_id;
	wc->status = cqe->status;
	wc->opcode = cqe->opcode;
	wc->vendor_err = cqe->vendor_err;
	wc->byte_len = cqe->byte_len;
	wc->qp = &qp->ibqp;
	wc->ex.invalidate_rkey = cqe->ex.invalidate_rkey;
	wc->src_qp = cqe->src_qp;
	wc->slid = cqe->slid;
	wc->wc_flags = pinrxe_wc_flags(cqe->flags);
	wc->pkey_index = cqe->pkey_index;
	wc->sl = cqe->sl;
	wc->dlid_path_bits = cqe->dlid_path_bits;
	wc->port_num = PINRXE_PORT;
	/* ib_cm builds its reply's address from the GRH and this. */
	if (cqe->flags & PINRXE_CQE_GRH)
		wc->network_hdr_type = cqe->flags & PINRXE_CQE_GRH_IPV4 ?
				       RDMA_NETWORK_IPV4 : RDMA_NETWORK_IPV6;
}

/**
 * pinrxe_cq_post() - add a completion to a completion queue
 * @cq: the CQ; the caller holds a reference that keeps it alive (a QP
 *	using it)
 * @cqe: the completion, in the ABI format
 * @qp: the QP it belongs to; may be NULL for a user CQ only
 * @solicited: the completion is for a message with the solicited event bit
 *
 * Callable from any context.  A completion that finds the ring full
 * overruns the CQ: per the IBA the CQ enters the error state, its owner
 * gets one IB_EVENT_CQ_ERR affiliated asynchronous event, and the CQ takes
 * no further completions.  Otherwise the completion is published (as a
 * struct ib_wc for a kernel CQ) and, when the CQ is armed for it, the
 * completion handler runs once, after the CQ lock is dropped: a kernel
 * consumer's handler may poll or re-arm at once.
 *
 * Exported, in namespace PINRXE_TEST, for the test module that injects
 * completions into user CQs (tests/kmod/cqinject).
 *
 * Return: 0, -ENOSPC when this completion overran the CQ, -EIO when the
 * CQ is already in the error state, or -EINVAL for a kernel CQ without a
 * QP.
 */
int pinrxe_cq_post(struct pinrxe_cq *cq, const struct pinrxe_cqe *cqe,
		   struct pinrxe_qp *qp, bool solicited)
{
	struct ib_cq *ibcq = &cq->ibcq;
	bool notify = false;
	unsigned long flags;
	void *slot;

	if (WARN_ON_ONCE(cq->queue.kernel && !qp))
		return -EINVAL;
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
	if (cq->queue.kernel)
		pinrxe_cqe_to_wc(cqe, qp, slot);
	else
		memcpy(slot, cqe, sizeof(*cqe));
	pinrxe_queue_produce(&cq->queue);

	/*
	 * Decided under the lock, so that a req_notify_cq racing with this
	 * either sees the completion (REPORT_MISSED_EVENTS) or gets the event.
	 */
	if ((cq->notify & IB_CQ_NEXT_COMP) ||
	    ((cq->notify & IB_CQ_SOLICITED) && solicited)) {
		cq->notify = 0;
		notify = true;
	}
	spin_unlock_irqrestore(&cq->lock, flags);
	if (notify)
		ibcq->comp_handler(ibcq, ibcq->cq_context);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(pinrxe_cq_post, PINRXE_TEST);
