// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Queue pairs: RC, UC and UD, of userspace and of kernel consumers, the
 * GSI QP (QP1) ib_mad creates for the port, and the two halves of XRC: the
 * initiator (XRC_INI), a send queue whose requests name an XRC SRQ at the
 * responder, and the target (XRC_TGT), which has no queue a consumer posts
 * to and executes the requests it receives with the receive WQEs, PD and
 * CQ of the XRC SRQ each one names (pinrxe_resp.c).  This file creates them
 * with their rings, runs the IBA state machine in modify_qp, answers
 * query_qp, destroys them, takes the doorbells, and gives the data path
 * what it needs to use the rings safely: validated copies of send and
 * receive WQEs, retirement of finished send WQEs, and the flush of
 * everything left when the QP fails.
 *
 * Rings.  The application writes WQEs to mmap()ed rings (pinrxe_abi.h);
 * the kernel copies each one out (pinrxe_queue_consume()) and validates
 * the copy before anything acts on it.  Send WQEs stay in progress after
 * they leave the ring (an RC request is retransmitted until it is
 * acknowledged), so the copies live in a per-QP shadow ring until the data
 * path retires them.  Receive WQEs are handed to the responder one at a
 * time.  A kernel consumer's QP has the same rings in kernel memory, which
 * its post verbs fill in the same format (pinrxe_kpost.c), so the data
 * path treats both alike.  QP1 is a UD QP whose QPN is 1 and whose Q_Key
 * is fixed (pinrxe_qp_is_ud()).
 *
 * Concurrency.  The data path runs only in the QP's task (pinrxe_task.c),
 * which serialises it; modify_qp and destroy_qp stop the task while they
 * change what it reads, so the stored attributes, the state and the
 * shadow ring need no lock.  Packet receive (softirq) finds QPs by QPN
 * through a refcounted lookup and only reads the state.
 */
#include <linux/log2.h>
#include <linux/slab.h>
#include <rdma/ib_addr.h>
#include <rdma/ib_verbs.h>
#include <rdma/uverbs_ioctl.h>

#include "pinrxe.h"

static_assert(sizeof(struct pinrxe_sge) == 16);
static_assert(sizeof(struct pinrxe_send_wqe) == 64);
static_assert(sizeof(struct pinrxe_recv_wqe) == 16);
static_assert(sizeof(struct pinrxe_create_qp_resp) == 48);
static_assert(sizeof(struct pinrxe_swqe) % 8 == 0);

#define PINRXE_PSN_MASK		0xffffff
/*
 * IB_ACCESS_ON_DEMAND means nothing for a QP, but rdma-core's ODP tests
 * give a QP their MR's flags, which mlx5 and rdma_rxe take: ignored.
 */
#define PINRXE_QP_ACCESS	(IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE | \
				 IB_ACCESS_REMOTE_READ | IB_ACCESS_REMOTE_ATOMIC | \
				 IB_ACCESS_ON_DEMAND)
#define PINRXE_SEND_FLAGS	(PINRXE_SEND_FENCE | PINRXE_SEND_SIGNALED | \
				 PINRXE_SEND_SOLICITED | PINRXE_SEND_INLINE)

/* The IBA limits of the 3- and 5-bit fields these attributes go to. */
#define PINRXE_MAX_TIMEOUT	31
#define PINRXE_MAX_RETRY	7
#define PINRXE_MAX_RNR_TIMER	31

/* The port MTU as query_port reports it: what the netdev can carry. */
static enum ib_mtu pinrxe_port_mtu(struct pinrxe_dev *pdev)
{
	int mtu = iboe_get_mtu(READ_ONCE(pdev->ndev->mtu));

	return mtu ? mtu : IB_MTU_256;
}

/*
 * The provider sends no request data, and a response buffer too small for
 * the ring info would leave the QP unusable.
 */
static int pinrxe_qp_check_udata(struct ib_udata *udata)
{
	if (udata->inlen && !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;
	if (udata->outlen < sizeof(struct pinrxe_create_qp_resp))
		return -EINVAL;
	return 0;
}

/* Receive caps are ignored with an SRQ: receives come from it. */
static int pinrxe_qp_check_cap(struct pinrxe_dev *pdev,
			       const struct ib_qp_cap *cap, bool has_srq)
{
	const struct ib_device_attr *dattr = &pdev->attr;

	if (cap->max_send_wr > dattr->max_qp_wr ||
	    cap->max_send_sge > dattr->max_send_sge ||
	    cap->max_inline_data > PINRXE_MAX_INLINE)
		return -EINVAL;
	if (!has_srq && (cap->max_recv_wr > dattr->max_qp_wr ||
			 cap->max_recv_sge > dattr->max_recv_sge))
		return -EINVAL;
	return 0;
}

/*
 * Rings hold at least what was asked for, rounded up to powers of two;
 * the rounding is given back to the application as larger caps, bounded
 * by the device limits the kernel validates WQEs against.
 */
static int pinrxe_qp_init_sq(struct pinrxe_qp *qp, struct ib_ucontext *uctx,
			     struct ib_qp_cap *cap)
{
	struct pinrxe_sq *sq = &qp->sq;
	u32 data, elem;
	int err;

	spin_lock_init(&sq->post_lock);
	data = max_t(u32, cap->max_send_sge * sizeof(struct pinrxe_sge),
		     cap->max_inline_data);
	elem = roundup_pow_of_two(sizeof(struct pinrxe_send_wqe) + data);
	data = elem - sizeof(struct pinrxe_send_wqe);

	sq->num_wqe = roundup_pow_of_two(max(cap->max_send_wr, 1U));
	sq->max_sge = min_t(u32, data / sizeof(struct pinrxe_sge),
			    PINRXE_MAX_SGE);
	sq->max_inline = min_t(u32, data, PINRXE_MAX_INLINE);
	sq->slot_size = sizeof(struct pinrxe_swqe) + elem;
	sq->shadow = kvcalloc(sq->num_wqe, sq->slot_size, GFP_KERNEL_ACCOUNT);
	if (!sq->shadow)
		return -ENOMEM;
	err = pinrxe_queue_init(&sq->queue, uctx, PINRXE_QUEUE_FROM_USER,
				sq->num_wqe, elem);
	if (err) {
		kvfree(sq->shadow);
		sq->shadow = NULL;
		return err;
	}
	cap->max_send_wr = sq->num_wqe;
	cap->max_send_sge = sq->max_sge;
	cap->max_inline_data = sq->max_inline;
	return 0;
}

static void pinrxe_qp_cleanup_sq(struct pinrxe_qp *qp)
{
	pinrxe_queue_cleanup(&qp->sq.queue);
	kvfree(qp->sq.shadow);
	qp->sq.shadow = NULL;
}

static int pinrxe_qp_init_rq(struct pinrxe_qp *qp, struct ib_ucontext *uctx,
			     struct ib_qp_cap *cap)
{
	struct pinrxe_rq *rq = &qp->rq;
	u32 elem;
	int err;

	spin_lock_init(&rq->post_lock);
	elem = roundup_pow_of_two(sizeof(struct pinrxe_recv_wqe) +
				  cap->max_recv_sge * sizeof(struct pinrxe_sge));
	rq->num_wqe = roundup_pow_of_two(max(cap->max_recv_wr, 1U));
	rq->max_sge = min_t(u32, (elem - sizeof(struct pinrxe_recv_wqe)) /
				 sizeof(struct pinrxe_sge), PINRXE_MAX_SGE);
	rq->elem = kmalloc(elem, GFP_KERNEL_ACCOUNT);
	if (!rq->elem)
		return -ENOMEM;
	err = pinrxe_queue_init(&rq->queue, uctx, PINRXE_QUEUE_FROM_USER,
				rq->num_wqe, elem);
	if (err) {
		kfree(rq->elem);
		rq->elem = NULL;
		return err;
	}
	cap->max_recv_wr = rq->num_wqe;
	cap->max_recv_sge = rq->max_sge;
	return 0;
}

static void pinrxe_qp_cleanup_rq(struct pinrxe_qp *qp)
{
	if (!pinrxe_qp_has_rq(qp))
		return;
	pinrxe_queue_cleanup(&qp->rq.queue);
	kfree(qp->rq.elem);
	qp->rq.elem = NULL;
}

/* Tell the provider where its rings are. */
static int pinrxe_qp_copy_resp(struct pinrxe_qp *qp, struct ib_udata *udata)
{
	struct pinrxe_create_qp_resp resp = {};

	pinrxe_queue_mmap_info(&qp->sq.queue, &resp.sq_mi);
	resp.sq_num_wqe = qp->sq.num_wqe;
	resp.sq_wqe_size = 1U << qp->sq.queue.elem_shift;
	if (pinrxe_qp_has_rq(qp)) {
		pinrxe_queue_mmap_info(&qp->rq.queue, &resp.rq_mi);
		resp.rq_num_wqe = qp->rq.num_wqe;
		resp.rq_wqe_size = 1U << qp->rq.queue.elem_shift;
	}
	return ib_copy_to_udata(udata, &resp, sizeof(resp));
}

/*
 * Reserve the QPN, published only once the QP is complete: 1 for the GSI
 * QP, of which the port has one, else the next free one from 2 on.
 */
static int pinrxe_qp_reserve_qpn(struct pinrxe_dev *pdev,
				 enum ib_qp_type type, u32 *qpn)
{
	int err;

	if (type == IB_QPT_GSI) {
		*qpn = PINRXE_GSI_QPN;
		err = xa_insert_irq(&pdev->qp_xa, PINRXE_GSI_QPN, NULL,
				    GFP_KERNEL);
		return err == -EBUSY ? -EINVAL : err;
	}
	err = xa_alloc_cyclic_irq(&pdev->qp_xa, qpn, NULL,
				  XA_LIMIT(PINRXE_MIN_QPN, PINRXE_MAX_QPN),
				  &pdev->qp_next, GFP_KERNEL);
	if (err < 0)
		return err == -EBUSY ? -ENOSPC : err;
	return 0;
}

/*
 * QP types: RC, UC, UD, QP1 for ib_mad (RoCE has no QP0), and XRC.  An
 * XRC initiator is for processes only: a kernel work request has no field
 * for the SRQ number.  ib_core creates every XRC target QP without udata,
 * also for processes (they share it through the XRC domain).
 */
static int pinrxe_qp_check_type(const struct ib_qp_init_attr *init,
				struct ib_udata *udata)
{
	switch (init->qp_type) {
	case IB_QPT_RC:
	case IB_QPT_UC:
	case IB_QPT_UD:
		return init->send_cq && init->recv_cq ? 0 : -EINVAL;
	case IB_QPT_XRC_INI:
		if (!udata)
			return -EOPNOTSUPP;
		return init->send_cq && !init->srq ? 0 : -EINVAL;
	case IB_QPT_XRC_TGT:
		return init->xrcd && !init->srq ? 0 : -EINVAL;
	case IB_QPT_GSI:
		if (udata)
			return -EOPNOTSUPP;
		if (!init->send_cq || !init->recv_cq)
			return -EINVAL;
		return init->port_num == PINRXE_PORT ? 0 : -EINVAL;
	default:
		return -EOPNOTSUPP;
	}
}

/**
 * pinrxe_create_qp() - create a queue pair
 * @ibqp: the QP, allocated by ib_core, which also holds the PD, CQs and
 *	SRQ as used for as long as the QP exists
 * @init: type, CQs, SRQ (or for an XRC target, the XRC domain) and
 *	requested caps; the caps are updated to what the QP got, which may be
 *	more.  An XRC initiator has no receive side (no receive CQ, SRQ or
 *	receive caps), an XRC target neither side (no CQs or caps)
 * @udata: receives struct pinrxe_create_qp_resp; NULL for kernel callers,
 *	whose QP gets its rings in kernel memory and is posted to with
 *	post_send and post_recv
 *
 * The QP starts in RESET with a QPN of at least 2, or 1 for the GSI QP
 * (0 names the SMI QP, which RoCE has not), and becomes visible to packet
 * receive only once complete.
 *
 * Return: 0; -EINVAL for caps over the device limits, a missing CQ or
 * XRC domain, an SRQ given to an XRC QP, a response buffer too small, a
 * GSI QP on another port or when the port has one already; -EOPNOTSUPP
 * for QP types other than RC, UC, UD, XRC and (kernel callers only) GSI,
 * XRC initiators of kernel callers, creation flags, XRC or tag-matching
 * SRQs and unknown request data; -ENOMEM past max_qp or when memory runs out;
 * -ENOSPC when no QPN is free.
 */
int pinrxe_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init,
		     struct ib_udata *udata)
{
	struct pinrxe_dev *pdev = to_pdev(ibqp->device);
	struct pinrxe_qp *qp = to_pqp(ibqp);
	struct ib_ucontext *uctx = NULL;
	u32 qpn;
	int err;

	err = pinrxe_qp_check_type(init, udata);
	if (err)
		return err;
	if (init->create_flags)
		return -EOPNOTSUPP;
	if (init->srq && init->srq->srq_type != IB_SRQT_BASIC)
		return -EOPNOTSUPP;
	/* A target has no queues to size: its caps mean nothing. */
	if (init->qp_type == IB_QPT_XRC_TGT)
		memset(&init->cap, 0, sizeof(init->cap));
	err = pinrxe_qp_check_cap(pdev, &init->cap,
				  init->srq || init->qp_type == IB_QPT_XRC_INI);
	if (err)
		return err;
	if (udata) {
		err = pinrxe_qp_check_udata(udata);
		if (err)
			return err;
		uctx = &rdma_udata_to_drv_context(udata,
						  struct pinrxe_ucontext,
						  ibuc)->ibuc;
	}

	if (atomic_inc_return(&pdev->num_qp) > pdev->attr.max_qp) {
		err = -ENOMEM;
		goto err_count;
	}
	err = pinrxe_qp_reserve_qpn(pdev, init->qp_type, &qpn);
	if (err)
		goto err_count;

	ibqp->qp_num = qpn;
	qp->serial = atomic64_inc_return(&pdev->qp_serial);
	refcount_set(&qp->ref, 1);
	init_completion(&qp->released);
	mutex_init(&qp->modify_mutex);
	qp->state = IB_QPS_RESET;
	qp->attr.port_num = PINRXE_PORT;
	qp->attr.path_mtu = IB_MTU_256;
	qp->attr.path_mig_state = IB_MIG_MIGRATED;
	qp->mtu = ib_mtu_enum_to_int(IB_MTU_256);
	qp->src_port = pinrxe_qp_src_port(qpn);
	qp->sq_sig_all = init->sq_sig_type == IB_SIGNAL_ALL_WR;
	qp->scq = init->send_cq ? to_pcq(init->send_cq) : NULL;
	qp->rcq = init->recv_cq && init->qp_type != IB_QPT_XRC_INI ?
		  to_pcq(init->recv_cq) : NULL;
	qp->srq = init->srq ? to_psrq(init->srq) : NULL;
	pinrxe_task_init(qp);
	pinrxe_xfer_init(qp);

	/*
	 * An XRC target gets the smallest send ring, in kernel memory, which
	 * nothing posts to: the code that empties send rings on reset and
	 * flush need not know about it.
	 */
	err = pinrxe_qp_init_sq(qp, init->qp_type == IB_QPT_XRC_TGT ? NULL :
				    uctx, &init->cap);
	if (err)
		goto err_qpn;
	if (pinrxe_qp_has_rq(qp)) {
		err = pinrxe_qp_init_rq(qp, uctx, &init->cap);
		if (err)
			goto err_sq;
	} else {
		/* No receive queue of its own, as query_qp says too. */
		init->cap.max_recv_wr = 0;
		init->cap.max_recv_sge = 0;
	}
	if (init->qp_type == IB_QPT_XRC_TGT)
		memset(&init->cap, 0, sizeof(init->cap));

	if (udata && init->qp_type != IB_QPT_XRC_TGT) {
		err = pinrxe_qp_copy_resp(qp, udata);
		if (err)
			goto err_rq;
	}
	/* Over the reserved entry: needs no memory, cannot fail. */
	xa_store_irq(&pdev->qp_xa, qpn, qp, GFP_KERNEL);
	return 0;

err_rq:
	pinrxe_qp_cleanup_rq(qp);
err_sq:
	pinrxe_qp_cleanup_sq(qp);
err_qpn:
	mutex_destroy(&qp->modify_mutex);
	xa_erase_irq(&pdev->qp_xa, qpn);
err_count:
	atomic_dec(&pdev->num_qp);
	return err;
}

/* @av receives the resolved path when @mask has IB_QP_AV. */
static int pinrxe_qp_check_attr(struct pinrxe_qp *qp,
				const struct ib_qp_attr *attr, int mask,
				struct pinrxe_av *av)
{
	struct pinrxe_dev *pdev = to_pdev(qp->ibqp.device);

	if ((mask & IB_QP_PKEY_INDEX) &&
	    attr->pkey_index >= PINRXE_PKEY_TBL_LEN)
		return -EINVAL;
	if ((mask & IB_QP_PORT) && attr->port_num != PINRXE_PORT)
		return -EINVAL;
	if ((mask & IB_QP_ACCESS_FLAGS) &&
	    (attr->qp_access_flags & ~PINRXE_QP_ACCESS))
		return -EINVAL;
	if ((mask & IB_QP_AV) && pinrxe_av_check(&attr->ah_attr, av))
		return -EINVAL;
	/* No automatic path migration: ib_core refuses it on RoCE anyway. */
	if (mask & IB_QP_ALT_PATH)
		return -EINVAL;
	if ((mask & IB_QP_PATH_MIG_STATE) &&
	    attr->path_mig_state != IB_MIG_MIGRATED)
		return -EINVAL;
	if ((mask & IB_QP_PATH_MTU) &&
	    (attr->path_mtu < IB_MTU_256 ||
	     attr->path_mtu > pinrxe_port_mtu(pdev)))
		return -EINVAL;
	if ((mask & IB_QP_TIMEOUT) && attr->timeout > PINRXE_MAX_TIMEOUT)
		return -EINVAL;
	if ((mask & IB_QP_RETRY_CNT) && attr->retry_cnt > PINRXE_MAX_RETRY)
		return -EINVAL;
	if ((mask & IB_QP_RNR_RETRY) && attr->rnr_retry > PINRXE_MAX_RETRY)
		return -EINVAL;
	if ((mask & IB_QP_MIN_RNR_TIMER) &&
	    attr->min_rnr_timer > PINRXE_MAX_RNR_TIMER)
		return -EINVAL;
	if ((mask & IB_QP_MAX_QP_RD_ATOMIC) &&
	    attr->max_rd_atomic > pdev->attr.max_qp_init_rd_atom)
		return -EINVAL;
	if ((mask & IB_QP_MAX_DEST_RD_ATOMIC) &&
	    attr->max_dest_rd_atomic > pdev->attr.max_qp_rd_atom)
		return -EINVAL;
	if ((mask & IB_QP_RQ_PSN) && (attr->rq_psn & ~PINRXE_PSN_MASK))
		return -EINVAL;
	if ((mask & IB_QP_SQ_PSN) && (attr->sq_psn & ~PINRXE_PSN_MASK))
		return -EINVAL;
	if ((mask & IB_QP_DEST_QPN) && attr->dest_qp_num > PINRXE_MAX_QPN)
		return -EINVAL;
	return 0;
}

static void pinrxe_qp_store_attr(struct pinrxe_qp *qp,
				 const struct ib_qp_attr *attr, int mask,
				 const struct pinrxe_av *av)
{
	struct ib_qp_attr *qa = &qp->attr;

	if (mask & IB_QP_PKEY_INDEX)
		qa->pkey_index = attr->pkey_index;
	if (mask & IB_QP_PORT)
		qa->port_num = attr->port_num;
	if (mask & IB_QP_QKEY)
		qa->qkey = attr->qkey;
	if (mask & IB_QP_ACCESS_FLAGS)
		qa->qp_access_flags = attr->qp_access_flags;
	/*
	 * A plain copy: the GID attribute it points to is held by ib_core
	 * (ib_qp.av_sgid_attr) until the path next changes, which happens
	 * only here, with the task stopped.
	 */
	if (mask & IB_QP_AV) {
		qa->ah_attr = attr->ah_attr;
		qp->av = *av;
	}
	if (mask & IB_QP_PATH_MIG_STATE)
		qa->path_mig_state = attr->path_mig_state;
	if (mask & IB_QP_PATH_MTU) {
		qa->path_mtu = attr->path_mtu;
		qp->mtu = ib_mtu_enum_to_int(attr->path_mtu);
	}
	if (mask & IB_QP_TIMEOUT)
		qa->timeout = attr->timeout;
	if (mask & IB_QP_RETRY_CNT)
		qa->retry_cnt = attr->retry_cnt;
	if (mask & IB_QP_RNR_RETRY)
		qa->rnr_retry = attr->rnr_retry;
	if (mask & IB_QP_MIN_RNR_TIMER)
		qa->min_rnr_timer = attr->min_rnr_timer;
	if (mask & IB_QP_MAX_QP_RD_ATOMIC)
		qa->max_rd_atomic = attr->max_rd_atomic;
	if (mask & IB_QP_MAX_DEST_RD_ATOMIC)
		qa->max_dest_rd_atomic = attr->max_dest_rd_atomic;
	if (mask & IB_QP_RQ_PSN)
		qa->rq_psn = attr->rq_psn;
	if (mask & IB_QP_SQ_PSN)
		qa->sq_psn = attr->sq_psn;
	if (mask & IB_QP_DEST_QPN)
		qa->dest_qp_num = attr->dest_qp_num;
	/* The notification is asked for with each move to SQD, or not. */
	if ((mask & IB_QP_STATE) && attr->qp_state == IB_QPS_SQD)
		qa->en_sqd_async_notify = (mask & IB_QP_EN_SQD_ASYNC_NOTIFY) &&
					  attr->en_sqd_async_notify;
	/* Spread the QP's flows as rdma_rxe does once the path is known. */
	if (mask & IB_QP_AV)
		qp->src_port = rdma_get_udp_sport(qa->ah_attr.grh.flow_label,
						  qp->ibqp.qp_num,
						  qa->dest_qp_num);
	qp->attr_changed |= mask;
}

/* Empty a ring without completions; bounded, as userspace may keep adding. */
static void pinrxe_queue_discard(struct pinrxe_queue *q, void *buf)
{
	u32 n;

	for (n = 0; n < q->num_elems; n++)
		if (pinrxe_queue_consume(q, buf))
			break;
}

/*
 * The move to RESET: the stages drop what they hold, then whatever the
 * queues still hold is discarded.  WRs outstanding on a QP that is reset
 * complete neither successfully nor in error: they are gone.
 */
static void pinrxe_qp_reset(struct pinrxe_qp *qp)
{
	WRITE_ONCE(qp->state, IB_QPS_RESET);
	pinrxe_task_drain(qp);
	pinrxe_xfer_reset(qp);
	qp->sq.tail = qp->sq.head;
	pinrxe_queue_discard(&qp->sq.queue,
			     pinrxe_swqe_wqe(pinrxe_sq_wqe(qp, qp->sq.head)));
	if (pinrxe_qp_has_rq(qp))
		pinrxe_queue_discard(&qp->rq.queue, qp->rq.elem);
	WRITE_ONCE(qp->sq.draining, false);
	qp->last_wqe_reached = false;
}

static void pinrxe_qp_sq_drained(struct pinrxe_qp *qp)
{
	WRITE_ONCE(qp->sq.draining, false);
	if (qp->attr.en_sqd_async_notify)
		pinrxe_qp_event(qp, IB_EVENT_SQ_DRAINED);
}

/* Carry out a transition ib_modify_qp_is_ok() allowed; the task is stopped. */
static void pinrxe_qp_transition(struct pinrxe_qp *qp, enum ib_qp_state cur,
				 enum ib_qp_state next)
{
	switch (next) {
	case IB_QPS_RESET:
		pinrxe_qp_reset(qp);
		break;
	case IB_QPS_SQD:
		WRITE_ONCE(qp->state, IB_QPS_SQD);
		/*
		 * The requester starts nothing new in SQD; the SQ has drained
		 * once what it started is retired, at once if nothing is.
		 */
		if (cur == IB_QPS_RTS) {
			WRITE_ONCE(qp->sq.draining, true);
			if (qp->sq.tail == qp->sq.head)
				pinrxe_qp_sq_drained(qp);
		}
		break;
	case IB_QPS_ERR:
		WRITE_ONCE(qp->state, IB_QPS_ERR);
		/* The stages stop, then the task flushes the queues. */
		pinrxe_task_sched(qp, PINRXE_TASK_ALL);
		break;
	case IB_QPS_RTS:
		WRITE_ONCE(qp->state, IB_QPS_RTS);
		/* WQEs posted before, or held back in SQD, may go now. */
		pinrxe_task_sched(qp, PINRXE_TASK_REQ);
		break;
	default:
		WRITE_ONCE(qp->state, next);
		break;
	}
}

/**
 * pinrxe_modify_qp() - change a QP's attributes and state
 * @ibqp: the QP
 * @attr: the new attributes; for a RoCE path ib_core has looked up the
 *	source GID and resolved the destination MAC
 * @mask: IB_QP_* attributes to change
 * @udata: carries no driver-private data
 *
 * The transition must be one the IBA allows with exactly the required and
 * optional attributes (ib_modify_qp_is_ok()), from the QP's actual state
 * (a given IB_QP_CUR_STATE must match it).  On failure nothing changes.
 * The QP's task is stopped meanwhile, so the data path never sees half of
 * a change.  Moving to ERR flushes every outstanding WR with
 * IB_WC_WR_FLUSH_ERR, asynchronously; moving to RESET discards them.
 * While an SQD transition is still draining, only RESET and ERR are
 * allowed.
 *
 * Return: 0; -EINVAL for a transition or attribute the IBA or the device
 * does not allow (a path MTU over the port's, an unknown P_Key index, a
 * non-RoCEv2 path, APM, out-of-range timers, retry counts, RD atomic
 * depths or PSNs); -EOPNOTSUPP for unknown request data.
 */
int pinrxe_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		     struct ib_udata *udata)
{
	struct pinrxe_qp *qp = to_pqp(ibqp);
	enum ib_qp_state cur, next;
	struct pinrxe_av av;
	int err;

	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;
	err = pinrxe_qp_check_attr(qp, attr, mask, &av);
	if (err)
		return err;

	mutex_lock(&qp->modify_mutex);
	pinrxe_task_stop(qp);
	cur = qp->state;
	next = mask & IB_QP_STATE ? attr->qp_state : cur;
	err = -EINVAL;
	if ((mask & IB_QP_CUR_STATE) && attr->cur_qp_state != cur)
		goto out;
	if (!ib_modify_qp_is_ok(cur, next, ibqp->qp_type, mask))
		goto out;
	if (cur == IB_QPS_SQD && READ_ONCE(qp->sq.draining) &&
	    next != IB_QPS_RESET && next != IB_QPS_ERR)
		goto out;
	err = 0;
	pinrxe_qp_store_attr(qp, attr, mask, &av);
	if (mask & IB_QP_STATE)
		pinrxe_qp_transition(qp, cur, next);
out:
	pinrxe_task_start(qp);
	mutex_unlock(&qp->modify_mutex);
	return err;
}

/**
 * pinrxe_query_qp() - report a QP's attributes
 * @ibqp: the QP
 * @attr: filled with every attribute, whatever @mask asks for
 * @mask: IB_QP_* attributes wanted
 * @init: filled with the creation attributes and actual caps
 *
 * PSNs are those last set by modify_qp, the state is the current one
 * (the QP may have moved to ERR or SQE on its own).
 *
 * Return: 0.
 */
int pinrxe_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		    struct ib_qp_init_attr *init)
{
	struct pinrxe_qp *qp = to_pqp(ibqp);
	bool tgt = ibqp->qp_type == IB_QPT_XRC_TGT;
	struct ib_qp_cap cap = {
		.max_send_wr = tgt ? 0 : qp->sq.num_wqe,
		.max_send_sge = tgt ? 0 : qp->sq.max_sge,
		.max_inline_data = tgt ? 0 : qp->sq.max_inline,
		.max_recv_wr = pinrxe_qp_has_rq(qp) ? qp->rq.num_wqe : 0,
		.max_recv_sge = pinrxe_qp_has_rq(qp) ? qp->rq.max_sge : 0,
	};

	mutex_lock(&qp->modify_mutex);
	*attr = qp->attr;
	mutex_unlock(&qp->modify_mutex);
	/* The caller gets no reference to the GID attribute. */
	attr->ah_attr.grh.sgid_attr = NULL;
	attr->qp_state = READ_ONCE(qp->state);
	attr->cur_qp_state = attr->qp_state;
	attr->sq_draining = READ_ONCE(qp->sq.draining);
	attr->cap = cap;

	memset(init, 0, sizeof(*init));
	init->event_handler = ibqp->event_handler;
	init->qp_context = ibqp->qp_context;
	init->send_cq = ibqp->send_cq;
	init->recv_cq = ibqp->recv_cq;
	init->srq = ibqp->srq;
	init->xrcd = ibqp->xrcd;
	init->cap = cap;
	init->sq_sig_type = qp->sq_sig_all ? IB_SIGNAL_ALL_WR : IB_SIGNAL_REQ_WR;
	init->qp_type = ibqp->qp_type;
	init->port_num = PINRXE_PORT;
	return 0;
}

/**
 * pinrxe_destroy_qp() - destroy a queue pair
 * @ibqp: the QP
 * @udata: unused
 *
 * Works in any state and while packets for the QP are arriving: the QP
 * leaves the QPN table first, then this waits for lookups that found it
 * to let go and for a task run in progress to end.  Outstanding WRs are
 * discarded without completions.  The rings' mappings may outlive the QP
 * (see pinrxe_queue.c).
 *
 * Return: 0.
 */
int pinrxe_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata)
{
	struct pinrxe_dev *pdev = to_pdev(ibqp->device);
	struct pinrxe_qp *qp = to_pqp(ibqp);

	xa_erase_irq(&pdev->qp_xa, ibqp->qp_num);
	pinrxe_qp_put(qp);
	wait_for_completion(&qp->released);

	pinrxe_task_stop(qp);
	WRITE_ONCE(qp->state, IB_QPS_RESET);
	pinrxe_task_drain(qp);
	pinrxe_xfer_cleanup(qp);

	pinrxe_qp_cleanup_rq(qp);
	pinrxe_qp_cleanup_sq(qp);
	mutex_destroy(&qp->modify_mutex);
	atomic_dec(&pdev->num_qp);
	return 0;
}

/**
 * pinrxe_post_send() - the send doorbell of a user QP, or post_send of a
 *	kernel consumer's QP (pinrxe_kpost_send())
 * @ibqp: the QP
 * @wr: for a user QP, must be NULL: user QPs post to their ring, and ring
 *	the doorbell with a post_send command carrying no work request
 * @bad_wr: set to @wr when it is not NULL
 *
 * Runs the requester, which takes the new WQEs from the ring (or the
 * flush, in the error states), in the caller's system call when the QP's
 * task is idle (pinrxe_task_run()).
 *
 * Return: 0, or -EINVAL for a work request passed through the kernel or
 * posted to an XRC target QP, which has no send queue.
 */
int pinrxe_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		     const struct ib_send_wr **bad_wr)
{
	if (ibqp->qp_type == IB_QPT_XRC_TGT) {
		*bad_wr = wr;
		return wr ? -EINVAL : 0;
	}
	if (pinrxe_qp_is_kernel(to_pqp(ibqp)))
		return pinrxe_kpost_send(to_pqp(ibqp), wr, bad_wr);
	if (wr) {
		*bad_wr = wr;
		return -EINVAL;
	}
	pinrxe_task_run(to_pqp(ibqp), PINRXE_TASK_REQ, false);
	return 0;
}

/**
 * pinrxe_post_recv() - the receive doorbell of a user QP, or post_recv of
 *	a kernel consumer's QP (pinrxe_kpost_recv())
 * @ibqp: the QP
 * @wr: for a user QP, must be NULL, as for pinrxe_post_send()
 * @bad_wr: set to @wr when it is not NULL
 *
 * Receive WQEs need no doorbell to be found, but the responder may be
 * waiting for one (RNR), and a QP in the error state flushes the WQEs
 * posted to it only when its task runs: the provider rings this after
 * posting in the error state.
 *
 * Return: 0, or -EINVAL for a work request passed through the kernel or
 * posted to an XRC target QP, which has no receive queue.
 */
int pinrxe_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		     const struct ib_recv_wr **bad_wr)
{
	if (ibqp->qp_type == IB_QPT_XRC_TGT) {
		*bad_wr = wr;
		return wr ? -EINVAL : 0;
	}
	if (pinrxe_qp_is_kernel(to_pqp(ibqp)))
		return pinrxe_kpost_recv(to_pqp(ibqp), wr, bad_wr);
	if (wr) {
		*bad_wr = wr;
		return -EINVAL;
	}
	pinrxe_task_run(to_pqp(ibqp), PINRXE_TASK_RESP, false);
	return 0;
}

/**
 * pinrxe_qp_get() - find a QP by QPN, for packet receive
 * @pdev: the device
 * @qpn: the QPN
 *
 * Callable from any context.  QPs that are being destroyed, and QPNs
 * reserved by a creation still in progress, are not found.
 *
 * Return: the QP with a reference held (drop it with pinrxe_qp_put()), or
 * NULL.
 */
struct pinrxe_qp *pinrxe_qp_get(struct pinrxe_dev *pdev, u32 qpn)
{
	struct pinrxe_qp *qp;
	unsigned long flags;

	/*
	 * Under the table lock: destroy takes the QP out of the table under
	 * it, so a QP found here has not yet been freed.
	 */
	xa_lock_irqsave(&pdev->qp_xa, flags);
	qp = xa_load(&pdev->qp_xa, qpn);
	if (qp && !refcount_inc_not_zero(&qp->ref))
		qp = NULL;
	xa_unlock_irqrestore(&pdev->qp_xa, flags);
	return qp;
}

/**
 * pinrxe_qp_put() - drop a reference from pinrxe_qp_get()
 * @qp: the QP
 */
void pinrxe_qp_put(struct pinrxe_qp *qp)
{
	if (refcount_dec_and_test(&qp->ref))
		complete(&qp->released);
}

/* The next QP at or after QPN *@qpn, with a reference, or NULL. */
static struct pinrxe_qp *pinrxe_qp_next(struct pinrxe_dev *pdev,
					unsigned long *qpn)
{
	struct pinrxe_qp *qp;
	unsigned long flags;

	/* As in pinrxe_qp_get(): a QP still in the table is not yet freed. */
	xa_lock_irqsave(&pdev->qp_xa, flags);
	for (qp = xa_find(&pdev->qp_xa, qpn, ULONG_MAX, XA_PRESENT); qp;
	     qp = xa_find_after(&pdev->qp_xa, qpn, ULONG_MAX, XA_PRESENT))
		if (refcount_inc_not_zero(&qp->ref))
			break;
	xa_unlock_irqrestore(&pdev->qp_xa, flags);
	return qp;
}

/**
 * pinrxe_qp_settle_cq() - let the data path catch up with a CQ's work
 * @cq: the CQ
 *
 * The data path runs deferred, in each QP's task, so a work request
 * posted before a verb on @cq may have no completion in it yet although
 * it needs nothing more from anyone (a UD send, a flush).  This waits for
 * a task run of every QP that completes to @cq, scheduled before the call,
 * so those completions are in the CQ when it returns.  Work that waits for
 * a peer (an RC request not yet acknowledged) is not waited for.  Sleeps.
 */
void pinrxe_qp_settle_cq(struct pinrxe_cq *cq)
{
	struct pinrxe_dev *pdev = to_pdev(cq->ibcq.device);
	unsigned long qpn = 0;
	struct pinrxe_qp *qp;

	while ((qp = pinrxe_qp_next(pdev, &qpn))) {
		if (qp->scq == cq || qp->rcq == cq)
			pinrxe_task_flush(qp);
		pinrxe_qp_put(qp);
		qpn++;
	}
}

/**
 * pinrxe_qp_event() - deliver an affiliated asynchronous event for a QP
 * @qp: the QP
 * @type: the event, e.g. IB_EVENT_QP_FATAL or IB_EVENT_COMM_EST
 *
 * Callable from any context.
 */
void pinrxe_qp_event(struct pinrxe_qp *qp, enum ib_event_type type)
{
	struct ib_event ev = {
		.device = qp->ibqp.device,
		.element.qp = &qp->ibqp,
		.event = type,
	};

	if (qp->ibqp.event_handler)
		qp->ibqp.event_handler(&ev, qp->ibqp.qp_context);
}

/**
 * pinrxe_qp_error() - move a QP to the error state on the data path
 * @qp: the QP
 *
 * For a failure that ends the QP (retries exhausted, a fatal NAK, a bad
 * WQE, a corrupt ring).  Call from the QP's task only: modify_qp relies
 * on the state not changing while it has the task stopped.  The stages
 * then stop and the task flushes the queues.  The caller raises the
 * asynchronous event the failure calls for, if any.
 */
void pinrxe_qp_error(struct pinrxe_qp *qp)
{
	if (READ_ONCE(qp->state) == IB_QPS_RESET)
		return;
	WRITE_ONCE(qp->state, IB_QPS_ERR);
	pinrxe_task_sched(qp, PINRXE_TASK_ALL);
}

/**
 * pinrxe_qp_cq_lost() - a completion of a QP did not fit in its CQ
 * @qp: the QP; from its task
 * @err: what pinrxe_cq_post() returned for it
 *
 * A CQ that overran (or had overrun before) is in error and the
 * completion is lost, so the work it reported cannot be accounted for:
 * as the IBA allows and rdma_rxe does, the QP goes to ERR, with
 * IB_EVENT_QP_FATAL once.  Its flushed WRs then meet the CQ in error too.
 */
void pinrxe_qp_cq_lost(struct pinrxe_qp *qp, int err)
{
	enum ib_qp_state state = READ_ONCE(qp->state);

	if (!err || state == IB_QPS_ERR || state == IB_QPS_RESET)
		return;
	pinrxe_qp_error(qp);
	pinrxe_qp_event(qp, IB_EVENT_QP_FATAL);
}

/**
 * pinrxe_qp_sq_error() - a send WQE of a QP completed in error
 * @qp: the QP
 *
 * An unreliable QP (UC, UD) moves to SQE: its send queue is flushed and
 * the application may bring it back to RTS, while receives go on.  An RC
 * or XRC QP moves to ERR.  Call from the QP's task only.
 */
void pinrxe_qp_sq_error(struct pinrxe_qp *qp)
{
	enum ib_qp_state state = READ_ONCE(qp->state);

	if (pinrxe_qp_is_rc(qp)) {
		pinrxe_qp_error(qp);
		return;
	}
	if (state != IB_QPS_RTS && state != IB_QPS_SQD)
		return;
	WRITE_ONCE(qp->state, IB_QPS_SQE);
	pinrxe_task_sched(qp, PINRXE_TASK_REQ);
}

/**
 * pinrxe_wc_opcode() - the completion opcode of a send work request
 * @wr_opcode: enum ib_uverbs_wr_opcode
 *
 * Return: enum ib_uverbs_wc_opcode, or IB_WC_REG_MR for a registration by
 * a kernel consumer; IB_UVERBS_WC_SEND for an opcode this device does not
 * know (only a flushed, never-validated WQE has one).
 */
u32 pinrxe_wc_opcode(u32 wr_opcode)
{
	switch (wr_opcode) {
	case IB_UVERBS_WR_RDMA_WRITE:
	case IB_UVERBS_WR_RDMA_WRITE_WITH_IMM:
		return IB_UVERBS_WC_RDMA_WRITE;
	case IB_UVERBS_WR_RDMA_READ:
		return IB_UVERBS_WC_RDMA_READ;
	case IB_UVERBS_WR_ATOMIC_CMP_AND_SWP:
		return IB_UVERBS_WC_COMP_SWAP;
	case IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD:
		return IB_UVERBS_WC_FETCH_ADD;
	case IB_UVERBS_WR_ATOMIC_WRITE:
		return IB_UVERBS_WC_ATOMIC_WRITE;
	case IB_UVERBS_WR_LOCAL_INV:
		return IB_UVERBS_WC_LOCAL_INV;
	case IB_UVERBS_WR_BIND_MW:
		return IB_UVERBS_WC_BIND_MW;
	case IB_WR_REG_MR:
		return IB_WC_REG_MR;	/* kernel consumers only */
	default:
		return IB_UVERBS_WC_SEND;
	}
}

static void pinrxe_flush_send(struct pinrxe_qp *qp,
			      const struct pinrxe_send_wqe *wqe)
{
	struct pinrxe_cqe cqe = {
		.wr_id = wqe->wr_id,
		.status = IB_WC_WR_FLUSH_ERR,
		.opcode = pinrxe_wc_opcode(wqe->opcode),
		.qp_num = qp->ibqp.qp_num,
	};

	/* On overrun the CQ is in error: nothing more to tell anyone. */
	pinrxe_cq_post(qp->scq, &cqe, qp, false);
}

/*
 * Flushed send WRs all complete, signaled or not: completions in error
 * are always generated.  Returns false when it stopped at its bound with
 * more in the ring.
 */
static bool pinrxe_flush_sq(struct pinrxe_qp *qp)
{
	struct pinrxe_sq *sq = &qp->sq;
	struct pinrxe_send_wqe *wqe;
	u32 n;

	while (sq->tail != sq->head) {
		pinrxe_flush_send(qp, pinrxe_swqe_wqe(pinrxe_sq_wqe(qp, sq->tail)));
		sq->tail++;
	}
	WRITE_ONCE(sq->draining, false);
	/* The shadow is empty: its slot at head takes the copies. */
	wqe = pinrxe_swqe_wqe(pinrxe_sq_wqe(qp, sq->head));
	for (n = 0; n < sq->num_wqe; n++) {
		if (pinrxe_queue_consume(&sq->queue, wqe))
			return true;
		pinrxe_flush_send(qp, wqe);
	}
	return false;
}

static bool pinrxe_flush_rq(struct pinrxe_qp *qp)
{
	const struct pinrxe_recv_wqe *wqe = qp->rq.elem;
	struct pinrxe_cqe cqe = {
		.status = IB_WC_WR_FLUSH_ERR,
		.opcode = IB_WC_RECV,
		.qp_num = qp->ibqp.qp_num,
	};
	u32 n;

	for (n = 0; n < qp->rq.num_wqe; n++) {
		if (pinrxe_queue_consume(&qp->rq.queue, qp->rq.elem))
			return true;
		cqe.wr_id = wqe->wr_id;
		pinrxe_cq_post(qp->rcq, &cqe, qp, false);
	}
	return false;
}

/**
 * pinrxe_qp_flush() - complete a failed QP's outstanding WRs
 * @qp: the QP
 *
 * Run by the task after the stages stopped; does nothing unless the QP is
 * in ERR or SQE.  Every send WR (those in progress in the shadow ring,
 * then those still in the send ring) and, in ERR, every receive WR of the
 * QP's own receive queue completes with IB_WC_WR_FLUSH_ERR, in order.  The
 * receives of an SRQ stay there for other QPs; a QP using one gets
 * IB_EVENT_QP_LAST_WQE_REACHED instead, once.  An XRC target QP has no
 * work requests of its own: those of its XRC SRQs stay there.  A ring with more than it
 * can hold (the application kept posting) is finished in a later run.
 */
void pinrxe_qp_flush(struct pinrxe_qp *qp)
{
	enum ib_qp_state state = READ_ONCE(qp->state);
	bool done;

	if (state != IB_QPS_ERR && state != IB_QPS_SQE)
		return;
	done = pinrxe_flush_sq(qp);
	if (state == IB_QPS_ERR) {
		if (pinrxe_qp_has_rq(qp)) {
			done &= pinrxe_flush_rq(qp);
		} else if (qp->srq && !qp->last_wqe_reached) {
			qp->last_wqe_reached = true;
			pinrxe_qp_event(qp, IB_EVENT_QP_LAST_WQE_REACHED);
		}
	}
	if (!done)
		pinrxe_task_sched(qp, PINRXE_TASK_REQ);
}

/*
 * An XRC initiator has RC's operations, except memory window binds (a
 * type 2 window is bound to a QP, and at an XRC responder requests come
 * through a target QP) and atomic writes (there is no XRC opcode for one).
 */
static bool pinrxe_xrc_opcode_ok(u32 opcode)
{
	switch (opcode) {
	case IB_UVERBS_WR_SEND:
	case IB_UVERBS_WR_SEND_WITH_IMM:
	case IB_UVERBS_WR_SEND_WITH_INV:
	case IB_UVERBS_WR_RDMA_WRITE:
	case IB_UVERBS_WR_RDMA_WRITE_WITH_IMM:
	case IB_UVERBS_WR_RDMA_READ:
	case IB_UVERBS_WR_ATOMIC_CMP_AND_SWP:
	case IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD:
	case IB_UVERBS_WR_LOCAL_INV:
		return true;
	default:
		return false;
	}
}

static bool pinrxe_opcode_ok(struct pinrxe_qp *qp, u32 opcode)
{
	enum ib_qp_type type = qp->ibqp.qp_type;

	if (type == IB_QPT_XRC_INI)
		return pinrxe_xrc_opcode_ok(opcode);
	switch (opcode) {
	case IB_UVERBS_WR_SEND:
	case IB_UVERBS_WR_SEND_WITH_IMM:
		return true;
	case IB_UVERBS_WR_RDMA_WRITE:
	case IB_UVERBS_WR_RDMA_WRITE_WITH_IMM:
	case IB_UVERBS_WR_BIND_MW:
		return type == IB_QPT_RC || type == IB_QPT_UC;
	case IB_WR_REG_MR:
		/* Names a kernel MR: never from a ring userspace writes. */
		return (type == IB_QPT_RC || type == IB_QPT_UC) &&
		       pinrxe_qp_is_kernel(qp);
	case IB_UVERBS_WR_SEND_WITH_INV:
	case IB_UVERBS_WR_RDMA_READ:
	case IB_UVERBS_WR_ATOMIC_CMP_AND_SWP:
	case IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD:
	case IB_UVERBS_WR_ATOMIC_WRITE:
	case IB_UVERBS_WR_LOCAL_INV:
		return type == IB_QPT_RC;
	default:
		return false;
	}
}

/* Sends and writes may carry their payload inline. */
static bool pinrxe_opcode_inline(u32 opcode)
{
	return opcode == IB_UVERBS_WR_SEND ||
	       opcode == IB_UVERBS_WR_SEND_WITH_IMM ||
	       opcode == IB_UVERBS_WR_SEND_WITH_INV ||
	       opcode == IB_UVERBS_WR_RDMA_WRITE ||
	       opcode == IB_UVERBS_WR_RDMA_WRITE_WITH_IMM;
}

/* Returns the completion status the WQE must end with. */
static u32 pinrxe_swqe_check(struct pinrxe_qp *qp,
			     const struct pinrxe_send_wqe *wqe, u64 *length)
{
	struct pinrxe_dev *pdev = to_pdev(qp->ibqp.device);
	u32 opcode = wqe->opcode;
	u64 len = 0;
	u32 i;

	if (!pinrxe_opcode_ok(qp, opcode) ||
	    (wqe->send_flags & ~PINRXE_SEND_FLAGS))
		return IB_WC_LOC_QP_OP_ERR;
	if (wqe->send_flags & PINRXE_SEND_INLINE) {
		if (!pinrxe_opcode_inline(opcode) || wqe->num_sge ||
		    wqe->inline_len > qp->sq.max_inline)
			return IB_WC_LOC_QP_OP_ERR;
		len = wqe->inline_len;
	} else {
		if (wqe->num_sge > qp->sq.max_sge)
			return IB_WC_LOC_QP_OP_ERR;
		for (i = 0; i < wqe->num_sge; i++)
			len += wqe->sge[i].length;
	}

	switch (opcode) {
	case IB_UVERBS_WR_ATOMIC_CMP_AND_SWP:
	case IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD:
		/* The original value, 8 bytes, lands in the local buffer. */
		if (wqe->wr.atomic.remote_addr & 7)
			return IB_WC_LOC_QP_OP_ERR;
		if (len < 8)
			return IB_WC_LOC_LEN_ERR;
		break;
	case IB_UVERBS_WR_ATOMIC_WRITE:
		/* The 8 bytes travel in the WQE (wr.atomic.swap). */
		if ((wqe->wr.atomic.remote_addr & 7) || wqe->num_sge ||
		    (wqe->send_flags & PINRXE_SEND_INLINE))
			return IB_WC_LOC_QP_OP_ERR;
		len = sizeof(wqe->wr.atomic.swap);
		break;
	case IB_UVERBS_WR_RDMA_READ:
		if (wqe->num_sge > pdev->attr.max_sge_rd)
			return IB_WC_LOC_QP_OP_ERR;
		break;
	case IB_UVERBS_WR_LOCAL_INV:
	case IB_UVERBS_WR_BIND_MW:
	case IB_WR_REG_MR:
		if (wqe->num_sge)
			return IB_WC_LOC_QP_OP_ERR;
		break;
	default:
		break;
	}
	if (len > PINRXE_MAX_MSG_SZ)
		return IB_WC_LOC_LEN_ERR;
	/* A UD message is one packet. */
	if (pinrxe_qp_is_ud(qp) &&
	    len > ib_mtu_enum_to_int(pinrxe_port_mtu(pdev)))
		return IB_WC_LOC_LEN_ERR;
	/* An XRC SRQ number has 24 bits, as the XRCETH. */
	if (qp->ibqp.qp_type == IB_QPT_XRC_INI &&
	    wqe->xrc_srqn > PINRXE_MAX_SRQN)
		return IB_WC_LOC_QP_OP_ERR;
	/* QP1 sends with the P_Key of an index of the table. */
	if (qp->ibqp.qp_type == IB_QPT_GSI &&
	    wqe->wr.ud.pkey_index >= PINRXE_PKEY_TBL_LEN)
		return IB_WC_LOC_QP_OP_ERR;
	*length = len;
	return IB_WC_SUCCESS;
}

/**
 * pinrxe_sq_wqe() - a slot of a QP's shadow send ring
 * @qp: the QP
 * @index: a free-running index; the WQEs in progress are sq.tail to
 *	sq.head - 1
 *
 * Return: the slot.
 */
struct pinrxe_swqe *pinrxe_sq_wqe(struct pinrxe_qp *qp, u32 index)
{
	return qp->sq.shadow +
	       (size_t)(index & (qp->sq.num_wqe - 1)) * qp->sq.slot_size;
}

/**
 * pinrxe_sq_fetch() - take the next send WQE from a QP's send ring
 * @qp: the QP; call from its task
 *
 * Copies the WQE to the shadow slot sq.head, validates the copy and
 * advances sq.head.  The slot's status says whether the WQE may be
 * executed (IB_WC_SUCCESS) or must complete with that status (the QP then
 * goes to ERR, or SQE, pinrxe_qp_sq_error()).  Nothing new is taken
 * unless the QP is in RTS: in SQD the WQEs already taken finish and the
 * rest wait.  A ring whose producer index cannot be right moves the QP to
 * ERR with IB_EVENT_QP_FATAL.
 *
 * Return: 0; -EAGAIN when the ring is empty, the shadow full (sq.num_wqe
 * in progress) or the QP not in RTS; -EIO when the ring is corrupt.
 */
int pinrxe_sq_fetch(struct pinrxe_qp *qp)
{
	struct pinrxe_sq *sq = &qp->sq;
	struct pinrxe_swqe *swqe;
	u64 length = 0;
	int err;

	if (READ_ONCE(qp->state) != IB_QPS_RTS ||
	    sq->head - sq->tail == sq->num_wqe)
		return -EAGAIN;
	swqe = pinrxe_sq_wqe(qp, sq->head);
	err = pinrxe_queue_consume(&sq->queue, pinrxe_swqe_wqe(swqe));
	if (err == -EIO) {
		pinrxe_qp_error(qp);
		pinrxe_qp_event(qp, IB_EVENT_QP_FATAL);
	}
	if (err)
		return err;
	swqe->status = pinrxe_swqe_check(qp, pinrxe_swqe_wqe(swqe), &length);
	swqe->length = length;
	/* The slot may hold a retired WQE's data-path state: start afresh. */
	swqe->progress = PINRXE_WQE_NEW;
	sq->head++;
	return 0;
}

/**
 * pinrxe_sq_retire() - drop the oldest send WQE in progress
 * @qp: the QP; call from its task
 *
 * For the completer, once the WQE has completed (or needs no completion).
 * In SQD, retiring the last WQE in progress completes the drain:
 * sq_draining reads false and, if asked for, IB_EVENT_SQ_DRAINED is sent.
 */
void pinrxe_sq_retire(struct pinrxe_qp *qp)
{
	struct pinrxe_sq *sq = &qp->sq;

	if (WARN_ON_ONCE(sq->tail == sq->head))
		return;
	sq->tail++;
	if (sq->tail == sq->head && READ_ONCE(sq->draining))
		pinrxe_qp_sq_drained(qp);
}

/**
 * pinrxe_rwqe_copy() - validate a receive WQE copied from a ring
 * @wqe: the copy (never the ring itself)
 * @max_sge: SGEs the queue allows
 * @rwqe: filled from @wqe; on failure only its wr_id, so the WQE can
 *	still be completed in error
 *
 * Return: 0, or -EINVAL for too many SGEs.
 */
int pinrxe_rwqe_copy(const struct pinrxe_recv_wqe *wqe, u32 max_sge,
		     struct pinrxe_rwqe *rwqe)
{
	u64 length = 0;
	u32 i;

	rwqe->wr_id = wqe->wr_id;
	rwqe->num_sge = 0;
	rwqe->length = 0;
	if (wqe->num_sge > max_sge)
		return -EINVAL;
	for (i = 0; i < wqe->num_sge; i++) {
		rwqe->sge[i] = wqe->sge[i];
		length += wqe->sge[i].length;
	}
	rwqe->num_sge = wqe->num_sge;
	rwqe->length = min_t(u64, length, PINRXE_MAX_MSG_SZ);
	return 0;
}

/**
 * pinrxe_rq_take() - take the next receive WQE for a QP
 * @qp: the QP; call from its task (the responder)
 * @rwqe: receives the validated WQE
 *
 * From the XRC SRQ the request being executed names (XRC target QPs), the
 * QP's SRQ if it has one (pinrxe_srq_take(), which may raise the SRQ
 * limit event), else from its receive ring.  The WQE is the caller's
 * from now on: it must complete it, or complete it with
 * IB_WC_WR_FLUSH_ERR when the QP fails first.
 *
 * Return: 0; -EAGAIN when no WQE is posted (RNR); -EINVAL for a WQE with
 * too many SGEs (@rwqe has its wr_id: complete it with
 * IB_WC_LOC_QP_OP_ERR); -EIO when the ring is corrupt.
 */
int pinrxe_rq_take(struct pinrxe_qp *qp, struct pinrxe_rwqe *rwqe)
{
	int err;

	if (qp->resp.xsrq)
		return pinrxe_srq_take(qp->resp.xsrq, rwqe);
	if (qp->srq)
		return pinrxe_srq_take(qp->srq, rwqe);
	if (!pinrxe_qp_has_rq(qp))
		return -EAGAIN;
	err = pinrxe_queue_consume(&qp->rq.queue, qp->rq.elem);
	if (err)
		return err;
	return pinrxe_rwqe_copy(qp->rq.elem, qp->rq.max_sge, rwqe);
}
