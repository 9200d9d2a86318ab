// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The post verbs of kernel consumers (ib_mad, ib_cm, ULPs).  A kernel QP's
 * or SRQ's rings live in kernel memory and hold the very WQEs a process
 * writes into its mapped rings (pinrxe_abi.h), so post_send, post_recv and
 * post_srq_recv turn each work request into that format, fill the next
 * free slot (pinrxe_queue_peer_slot()) and leave the rest to the data
 * path: it copies, validates and executes the WQE exactly as for a user
 * QP.  What differs is where SGE addresses point (kernel virtual
 * addresses, under the PD's DMA lkey or a fast-registration MR) and that
 * work requests name AHs and MRs by pointer, which become the numbers the
 * WQEs carry.
 *
 * A work request the ring cannot hold (too many SGEs, inline data too
 * long, no AH, a full ring, a QP in the wrong state) fails at once with
 * bad_wr set, as kernel consumers expect of hardware; anything else is
 * taken and, if it is bad, completes in error like a user's.
 */
#include <rdma/ib_verbs.h>

#include "pinrxe.h"

static_assert(sizeof(struct pinrxe_sge) == sizeof(struct ib_sge));

/*
 * Send WRs are taken from RTS on (ERR flushes them), receives from INIT
 * on, as the IBA says.
 */
static bool pinrxe_kpost_state_ok(struct pinrxe_qp *qp, bool send)
{
	enum ib_qp_state state = READ_ONCE(qp->state);

	if (state == IB_QPS_RESET)
		return false;
	return !send || (state != IB_QPS_INIT && state != IB_QPS_RTR);
}

/* The datagram fields; only sends on UD QPs have them (struct ib_ud_wr). */
static int pinrxe_kwr_ud(const struct ib_send_wr *wr,
			 struct pinrxe_send_wqe *wqe)
{
	const struct ib_ud_wr *ud = ud_wr(wr);

	if (wr->opcode != IB_WR_SEND && wr->opcode != IB_WR_SEND_WITH_IMM)
		return 0;	/* refused by the validation, which says so */
	if (!ud->ah)
		return -EINVAL;
	wqe->wr.ud.ah_num = to_pah(ud->ah)->ah_num;
	wqe->wr.ud.remote_qpn = ud->remote_qpn;
	wqe->wr.ud.remote_qkey = ud->remote_qkey;
	wqe->wr.ud.pkey_index = ud->pkey_index;
	return 0;
}

/* The opcode's own fields, from the work request type that carries them. */
static int pinrxe_kwr_fields(struct pinrxe_qp *qp, const struct ib_send_wr *wr,
			     struct pinrxe_send_wqe *wqe)
{
	if (pinrxe_qp_is_ud(qp))
		return pinrxe_kwr_ud(wr, wqe);

	switch (wr->opcode) {
	case IB_WR_RDMA_WRITE:
	case IB_WR_RDMA_WRITE_WITH_IMM:
	case IB_WR_RDMA_READ:
		wqe->wr.rdma.remote_addr = rdma_wr(wr)->remote_addr;
		wqe->wr.rdma.rkey = rdma_wr(wr)->rkey;
		break;
	case IB_WR_ATOMIC_CMP_AND_SWP:
	case IB_WR_ATOMIC_FETCH_AND_ADD:
		wqe->wr.atomic.remote_addr = atomic_wr(wr)->remote_addr;
		wqe->wr.atomic.compare_add = atomic_wr(wr)->compare_add;
		wqe->wr.atomic.swap = atomic_wr(wr)->swap;
		wqe->wr.atomic.rkey = atomic_wr(wr)->rkey;
		break;
	case IB_WR_REG_MR:
		/*
		 * The MR is named by the new key's index; the range is the
		 * one its map_mr_sg set, as the consumer sees it now.
		 */
		if (!reg_wr(wr)->mr)
			return -EINVAL;
		wqe->wr.reg.iova = reg_wr(wr)->mr->iova;
		wqe->wr.reg.length = reg_wr(wr)->mr->length;
		wqe->wr.reg.key = reg_wr(wr)->key;
		wqe->wr.reg.access = reg_wr(wr)->access;
		break;
	default:
		break;
	}
	return 0;
}

/* Inline data is copied now: the consumer may reuse its buffer at once. */
static int pinrxe_kwr_inline(struct pinrxe_qp *qp, const struct ib_send_wr *wr,
			     struct pinrxe_send_wqe *wqe)
{
	u8 *data = (u8 *)wqe->sge;
	u32 len = 0;
	int i;

	for (i = 0; i < wr->num_sge; i++) {
		const struct ib_sge *sge = &wr->sg_list[i];

		if (sge->length > qp->sq.max_inline - len)
			return -EINVAL;
		memcpy(data + len, (void *)(uintptr_t)sge->addr, sge->length);
		len += sge->length;
	}
	wqe->inline_len = len;
	return 0;
}

static int pinrxe_kwr_sgl(struct pinrxe_qp *qp, const struct ib_send_wr *wr,
			  struct pinrxe_send_wqe *wqe)
{
	int i;

	if (wr->num_sge < 0 || wr->num_sge > qp->sq.max_sge)
		return -EINVAL;
	for (i = 0; i < wr->num_sge; i++) {
		wqe->sge[i].addr = wr->sg_list[i].addr;
		wqe->sge[i].length = wr->sg_list[i].length;
		wqe->sge[i].lkey = wr->sg_list[i].lkey;
	}
	wqe->num_sge = wr->num_sge;
	return 0;
}

/* Write @wr into a free ring slot in the format the provider uses. */
static int pinrxe_kwr_to_wqe(struct pinrxe_qp *qp, const struct ib_send_wr *wr,
			     struct pinrxe_send_wqe *wqe)
{
	int err;

	memset(wqe, 0, sizeof(*wqe));
	wqe->wr_id = wr->wr_id;
	wqe->opcode = wr->opcode;
	wqe->send_flags = wr->send_flags;
	/* Either member: the union is copied whole. */
	wqe->ex.invalidate_rkey = wr->ex.invalidate_rkey;
	err = pinrxe_kwr_fields(qp, wr, wqe);
	if (err)
		return err;
	if (wr->send_flags & IB_SEND_INLINE)
		return pinrxe_kwr_inline(qp, wr, wqe);
	return pinrxe_kwr_sgl(qp, wr, wqe);
}

/**
 * pinrxe_kpost_send() - post send work requests to a kernel QP
 * @qp: the QP, with kernel rings
 * @wr: the first of a chain of work requests
 * @bad_wr: set to the first one not taken, on failure
 *
 * Callable from any context, also concurrently on one QP.  Schedules the
 * requester, which takes the new WQEs from the ring (or flushes them in
 * the error states).
 *
 * Return: 0; -EINVAL for a QP in RESET, INIT or RTR, or for a work
 * request with too many SGEs, too much inline data or no AH; -ENOMEM when
 * the ring is full.  The work requests before @bad_wr were taken.
 */
int pinrxe_kpost_send(struct pinrxe_qp *qp, const struct ib_send_wr *wr,
		      const struct ib_send_wr **bad_wr)
{
	struct pinrxe_send_wqe *wqe;
	bool posted = false;
	unsigned long flags;
	int err = 0;

	if (!pinrxe_kpost_state_ok(qp, true)) {
		*bad_wr = wr;
		return -EINVAL;
	}
	spin_lock_irqsave(&qp->sq.post_lock, flags);
	for (; wr; wr = wr->next) {
		wqe = pinrxe_queue_peer_slot(&qp->sq.queue);
		if (!wqe) {
			err = -ENOMEM;
			break;
		}
		err = pinrxe_kwr_to_wqe(qp, wr, wqe);
		if (err)
			break;
		pinrxe_queue_peer_advance(&qp->sq.queue);
		posted = true;
	}
	spin_unlock_irqrestore(&qp->sq.post_lock, flags);
	if (err)
		*bad_wr = wr;
	if (posted)
		pinrxe_task_sched(qp, PINRXE_TASK_REQ);
	return err;
}

/* Post a chain of receive WRs to a kernel ring; the caller holds its lock. */
static int pinrxe_krecv_post(struct pinrxe_queue *q, u32 max_sge,
			     const struct ib_recv_wr *wr,
			     const struct ib_recv_wr **bad_wr, bool *posted)
{
	struct pinrxe_recv_wqe *wqe;
	int i;

	for (; wr; wr = wr->next) {
		if (wr->num_sge < 0 || wr->num_sge > max_sge)
			goto err;
		wqe = pinrxe_queue_peer_slot(q);
		if (!wqe) {
			*bad_wr = wr;
			return -ENOMEM;
		}
		memset(wqe, 0, sizeof(*wqe));
		wqe->wr_id = wr->wr_id;
		wqe->num_sge = wr->num_sge;
		for (i = 0; i < wr->num_sge; i++) {
			wqe->sge[i].addr = wr->sg_list[i].addr;
			wqe->sge[i].length = wr->sg_list[i].length;
			wqe->sge[i].lkey = wr->sg_list[i].lkey;
		}
		pinrxe_queue_peer_advance(q);
		*posted = true;
	}
	return 0;

err:
	*bad_wr = wr;
	return -EINVAL;
}

/**
 * pinrxe_kpost_recv() - post receive work requests to a kernel QP
 * @qp: the QP, with kernel rings and no SRQ
 * @wr: the first of a chain of work requests
 * @bad_wr: set to the first one not taken, on failure
 *
 * Callable from any context.  The responder finds the WQEs when a message
 * arrives; only a QP in ERR needs its task run, to flush them.
 *
 * Return: 0; -EINVAL for a QP in RESET, with an SRQ or of an XRC type, or
 * a work request with too many SGEs; -ENOMEM when the ring is full.
 */
int pinrxe_kpost_recv(struct pinrxe_qp *qp, const struct ib_recv_wr *wr,
		      const struct ib_recv_wr **bad_wr)
{
	bool posted = false;
	unsigned long flags;
	int err;

	if (!pinrxe_qp_has_rq(qp) || !pinrxe_kpost_state_ok(qp, false)) {
		*bad_wr = wr;
		return -EINVAL;
	}
	spin_lock_irqsave(&qp->rq.post_lock, flags);
	err = pinrxe_krecv_post(&qp->rq.queue, qp->rq.max_sge, wr, bad_wr,
				&posted);
	spin_unlock_irqrestore(&qp->rq.post_lock, flags);
	if (posted && READ_ONCE(qp->state) == IB_QPS_ERR)
		pinrxe_task_sched(qp, PINRXE_TASK_RESP);
	return err;
}

/**
 * pinrxe_post_srq_recv() - post receive work requests to a kernel SRQ
 * @ibsrq: the SRQ
 * @wr: the first of a chain of work requests
 * @bad_wr: set to the first one not taken, on failure
 *
 * Callable from any context.  User SRQs are posted to in userspace; ib_core
 * keeps this verb from them.
 *
 * Return: 0; -EINVAL for a user SRQ or a work request with too many SGEs;
 * -ENOMEM when the ring is full.
 */
int pinrxe_post_srq_recv(struct ib_srq *ibsrq, const struct ib_recv_wr *wr,
			 const struct ib_recv_wr **bad_wr)
{
	struct pinrxe_srq *srq = to_psrq(ibsrq);
	bool posted = false;
	unsigned long flags;
	int err;

	if (!srq->queue.kernel) {
		*bad_wr = wr;
		return -EINVAL;
	}
	/* The lock the responders take WQEs under: posting is the other end. */
	spin_lock_irqsave(&srq->lock, flags);
	err = pinrxe_krecv_post(&srq->queue, srq->max_sge, wr, bad_wr,
				&posted);
	spin_unlock_irqrestore(&srq->lock, flags);
	return err;
}
