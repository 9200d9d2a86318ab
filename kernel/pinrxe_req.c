// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The requester: turns send WQEs into packets.  A message is cut into
 * path-MTU packets with consecutive PSNs; an RC QP (or XRC initiator,
 * whose requests also name the responder's XRC SRQ) keeps each WQE until the
 * completer has its acknowledgment and, on a timeout or NAK, rewinds and
 * sends again from the first PSN not acknowledged.  UC and UD WQEs
 * complete as soon as their last packet is out.
 *
 * One packet per call, or the packets of a send or write that go out
 * together as one GSO packet (pinrxe_req_send_burst()): the task calls
 * again while there is work, so one busy QP does not starve the others
 * sharing the workqueue.  The requester runs in process context only (the
 * doorbell's system call or the work item), which keeps a QP's packets in
 * order on a local link (see pinrxe_requester()).
 */
#include <linux/jiffies.h>
#include <rdma/ib_mad.h>

#include "pinrxe.h"
#include "pinrxe_counters.h"
#include "pinrxe_hdr.h"
#include "pinrxe_opcode.h"

/* Ask for an ACK at least this often within a long message. */
#define PINRXE_PKTS_PER_ACK	64

/* Packets a WQE takes: for a read, the response packets it asks for. */
static u32 pinrxe_wqe_npkts(struct pinrxe_qp *qp, struct pinrxe_swqe *swqe)
{
	if (pinrxe_wqe_is_atomic(pinrxe_swqe_wqe(swqe)) || !swqe->length ||
	    pinrxe_qp_is_ud(qp))
		return 1;
	return DIV_ROUND_UP(swqe->length, qp->mtu);
}

static u8 pinrxe_req_opcode(struct pinrxe_qp *qp,
			    const struct pinrxe_send_wqe *wqe, bool first,
			    bool last)
{
	u8 base, op;

	switch (qp->ibqp.qp_type) {
	case IB_QPT_RC:
		base = IB_OPCODE_RC;
		break;
	case IB_QPT_XRC_INI:
		base = PINRXE_OPCODE_XRC;
		break;
	case IB_QPT_UC:
		base = IB_OPCODE_UC;
		break;
	default:
		base = IB_OPCODE_UD;
		break;
	}

	switch (wqe->opcode) {
	case IB_UVERBS_WR_SEND:
		op = first ? (last ? IB_OPCODE_SEND_ONLY : IB_OPCODE_SEND_FIRST) :
			     (last ? IB_OPCODE_SEND_LAST :
				     IB_OPCODE_SEND_MIDDLE);
		break;
	case IB_UVERBS_WR_SEND_WITH_IMM:
		op = last ? (first ? IB_OPCODE_SEND_ONLY_WITH_IMMEDIATE :
				     IB_OPCODE_SEND_LAST_WITH_IMMEDIATE) :
			    (first ? IB_OPCODE_SEND_FIRST :
				     IB_OPCODE_SEND_MIDDLE);
		break;
	case IB_UVERBS_WR_SEND_WITH_INV:
		op = last ? (first ? IB_OPCODE_SEND_ONLY_WITH_INVALIDATE :
				     IB_OPCODE_SEND_LAST_WITH_INVALIDATE) :
			    (first ? IB_OPCODE_SEND_FIRST :
				     IB_OPCODE_SEND_MIDDLE);
		break;
	case IB_UVERBS_WR_RDMA_WRITE:
		op = first ? (last ? IB_OPCODE_RDMA_WRITE_ONLY :
				     IB_OPCODE_RDMA_WRITE_FIRST) :
			     (last ? IB_OPCODE_RDMA_WRITE_LAST :
				     IB_OPCODE_RDMA_WRITE_MIDDLE);
		break;
	case IB_UVERBS_WR_RDMA_WRITE_WITH_IMM:
		op = last ? (first ? IB_OPCODE_RDMA_WRITE_ONLY_WITH_IMMEDIATE :
				     IB_OPCODE_RDMA_WRITE_LAST_WITH_IMMEDIATE) :
			    (first ? IB_OPCODE_RDMA_WRITE_FIRST :
				     IB_OPCODE_RDMA_WRITE_MIDDLE);
		break;
	case IB_UVERBS_WR_RDMA_READ:
		op = IB_OPCODE_RDMA_READ_REQUEST;
		break;
	case IB_UVERBS_WR_ATOMIC_CMP_AND_SWP:
		op = IB_OPCODE_COMPARE_SWAP;
		break;
	case IB_UVERBS_WR_ATOMIC_WRITE:
		op = IB_OPCODE_ATOMIC_WRITE;
		break;
	default:
		op = IB_OPCODE_FETCH_ADD;
		break;
	}
	return base + op;
}

/* Arm the retransmission timer unless it runs: attr.timeout 0 is infinite. */
static void pinrxe_req_arm_timer(struct pinrxe_qp *qp)
{
	if (!pinrxe_qp_is_rc(qp) || !qp->attr.timeout ||
	    timer_pending(&qp->comp.retrans_timer))
		return;
	mod_timer(&qp->comp.retrans_timer,
		  jiffies + pinrxe_xfer_retrans_jiffies(qp));
}

/**
 * pinrxe_req_rewind() - go back to retransmit from a PSN
 * @qp: the QP
 *
 * Finds the WQE that sent qp->req.rewind_psn, restarts it from there and
 * every later WQE from scratch.  Reads and atomics before it stay
 * outstanding.
 */
static void pinrxe_req_rewind(struct pinrxe_qp *qp)
{
	u32 psn = qp->req.rewind_psn, index, rd_atomic = 0, rd_bytes = 0;
	struct pinrxe_swqe *swqe = NULL;

	qp->req.rewind = false;
	for (index = qp->sq.tail; index != qp->req.index + 1 &&
	     index != qp->sq.head; index++) {
		swqe = pinrxe_sq_wqe(qp, index);
		if (swqe->progress == PINRXE_WQE_NEW)
			return;	/* nothing sent at or after the PSN */
		if (swqe->progress != PINRXE_WQE_DONE &&
		    pinrxe_psn_cmp(psn, swqe->last_psn) <= 0)
			break;
		if (swqe->progress != PINRXE_WQE_DONE &&
		    pinrxe_wqe_is_rd_atomic(pinrxe_swqe_wqe(swqe))) {
			rd_atomic++;
			rd_bytes += pinrxe_swqe_rd_bytes(swqe);
		}
		swqe = NULL;
	}
	if (!swqe)
		return;
	if (pinrxe_psn_cmp(psn, swqe->first_psn) < 0)
		psn = swqe->first_psn;

	pinrxe_counter_inc(to_pdev(qp->ibqp.device), PINRXE_CNT_RETRANS);
	qp->req.index = index;
	qp->req.psn = psn;
	qp->req.rd_atomic = rd_atomic;
	qp->req.rd_bytes = rd_bytes;
	/* Resume this WQE at its packet @psn: bytes before it are done. */
	swqe->sent = min_t(u32, swqe->length,
			   ((psn - swqe->first_psn) & PINRXE_BTH_PSN) * qp->mtu);
	if (pinrxe_wqe_is_atomic(pinrxe_swqe_wqe(swqe)))
		swqe->sent = 0;
	swqe->cur_sge = 0;
	swqe->sge_offset = 0;
	pinrxe_xfer_skip(pinrxe_swqe_wqe(swqe)->sge,
			 pinrxe_swqe_wqe(swqe)->num_sge, &swqe->cur_sge,
			 &swqe->sge_offset, swqe->sent);
	swqe->progress = swqe->sent || psn != swqe->first_psn ?
			 PINRXE_WQE_SENDING : PINRXE_WQE_NEW;
	/* Everything after it goes again from the start. */
	for (index++; index != qp->sq.head; index++) {
		swqe = pinrxe_sq_wqe(qp, index);
		if (swqe->progress == PINRXE_WQE_DONE)
			continue;
		swqe->progress = PINRXE_WQE_NEW;
	}
}

/* Start a WQE: give it its PSNs.  Returns false when it must wait. */
static bool pinrxe_req_start(struct pinrxe_qp *qp, struct pinrxe_swqe *swqe)
{
	struct pinrxe_send_wqe *wqe = pinrxe_swqe_wqe(swqe);
	u32 max_rd = max_t(u32, qp->attr.max_rd_atomic, 1);

	if (pinrxe_qp_is_rc(qp)) {
		/* A fenced WQE waits for the reads and atomics before it. */
		if ((wqe->send_flags & PINRXE_SEND_FENCE) && qp->req.rd_atomic)
			return false;
		if (pinrxe_wqe_is_rd_atomic(wqe) && qp->req.rd_atomic >= max_rd)
			return false;
		if (qp->req.rd_atomic && pinrxe_swqe_rd_bytes(swqe) >
		    PINRXE_MAX_READ_INFLIGHT - min(qp->req.rd_bytes,
						   PINRXE_MAX_READ_INFLIGHT))
			return false;
	}
	swqe->first_psn = qp->req.psn;
	swqe->last_psn = (qp->req.psn + pinrxe_wqe_npkts(qp, swqe) - 1) &
			 PINRXE_BTH_PSN;
	swqe->sent = 0;
	swqe->cur_sge = 0;
	swqe->sge_offset = 0;
	swqe->progress = PINRXE_WQE_SENDING;
	return true;
}

static int pinrxe_req_payload(struct pinrxe_qp *qp, struct pinrxe_swqe *swqe,
			      struct pinrxe_pkt_info *pkt, u32 len)
{
	struct pinrxe_send_wqe *wqe = pinrxe_swqe_wqe(swqe);

	if (pinrxe_wqe_is_atomic_write(wqe)) {
		memcpy(pinrxe_pkt_payload(pkt), &wqe->wr.atomic.swap, len);
		return 0;
	}
	if (wqe->send_flags & PINRXE_SEND_INLINE) {
		memcpy(pinrxe_pkt_payload(pkt), (u8 *)wqe->sge + swqe->sent,
		       len);
		return 0;
	}
	return pinrxe_copy_sgl(to_pdev(qp->ibqp.device), qp->ibqp.pd,
			       wqe->sge, wqe->num_sge, &swqe->cur_sge,
			       &swqe->sge_offset, pinrxe_pkt_payload(pkt), len,
			       PINRXE_FROM_MR, qp->task.atomic);
}

static u32 pinrxe_sgl_err_status(int err)
{
	return err == -ENOSPC ? IB_WC_LOC_LEN_ERR : IB_WC_LOC_PROT_ERR;
}

/*
 * The Q_Key a datagram goes with: QP1's is fixed; otherwise one with the
 * top bit set (a controlled Q_Key, which only the QP's owner may set with
 * modify_qp) means the QP's own.
 */
static u32 pinrxe_req_qkey(struct pinrxe_qp *qp,
			   const struct pinrxe_send_wqe *wqe)
{
	u32 qkey = wqe->wr.ud.remote_qkey;

	if (qp->ibqp.qp_type == IB_QPT_GSI)
		return IB_QP1_QKEY;
	return qkey & 0x80000000 ? qp->attr.qkey : qkey;
}

/*
 * Build and send the next packet of @swqe; with @list, queue it there
 * instead, for pinrxe_xfer_send_list().
 */
static int pinrxe_req_send_pkt(struct pinrxe_qp *qp, struct pinrxe_swqe *swqe,
			       struct sk_buff_head *list)
{
	struct pinrxe_send_wqe *wqe = pinrxe_swqe_wqe(swqe);
	bool ud = pinrxe_qp_is_ud(qp);
	bool read = pinrxe_wqe_is_read(wqe);
	bool atomic = pinrxe_wqe_is_atomic(wqe);
	const struct pinrxe_av *av = &qp->av;
	struct pinrxe_ah_av *ah = NULL;
	struct pinrxe_pkt_info pkt;
	u32 len = 0, dest_qpn, psn = qp->req.psn;
	bool first = !swqe->sent && psn == swqe->first_psn, last, ackreq;
	struct sk_buff *skb;
	int err;
	u8 opcode;

	/* A UD message is one packet of up to the port MTU (checked at post). */
	if (ud)
		len = swqe->length;
	else if (!read && !atomic)
		len = min(swqe->length - swqe->sent, qp->mtu);
	last = read || atomic || swqe->sent + len == swqe->length;
	if (read)
		first = true;	/* a (re)issued read request is one packet */
	dest_qpn = qp->attr.dest_qp_num;
	if (ud) {
		ah = pinrxe_ah_get(to_pdev(qp->ibqp.device), wqe->wr.ud.ah_num);
		if (!ah)
			return IB_WC_LOC_QP_OP_ERR;
		/* Another PD's AH is not this QP's to use. */
		if (ah->pd != qp->ibqp.pd) {
			pinrxe_ah_put(ah);
			return IB_WC_LOC_QP_OP_ERR;
		}
		av = &ah->av;
		dest_qpn = wqe->wr.ud.remote_qpn;
	} else if (!qp->req.av_valid) {
		return IB_WC_LOC_QP_OP_ERR;
	}

	opcode = pinrxe_req_opcode(qp, wqe, first, last);
	ackreq = pinrxe_qp_is_rc(qp) &&
		 (last || ++qp->req.pkts_since_ack >= PINRXE_PKTS_PER_ACK);
	skb = pinrxe_xfer_pkt(qp, av, opcode, len, psn, ackreq,
			      last && (wqe->send_flags & PINRXE_SEND_SOLICITED),
			      dest_qpn, &pkt);
	if (IS_ERR(skb)) {
		err = PTR_ERR(skb);
		goto out;
	}
	if (ackreq)
		qp->req.pkts_since_ack = 0;

	if (pkt.mask & PINRXE_XRCETH_MASK)
		pinrxe_xrceth_set_srqn(&pkt, wqe->xrc_srqn);
	if (pkt.mask & PINRXE_ATOMIC_WRITE_MASK) {
		pinrxe_reth_set_va(&pkt, wqe->wr.atomic.remote_addr);
		pinrxe_reth_set_rkey(&pkt, wqe->wr.atomic.rkey);
		pinrxe_reth_set_len(&pkt, swqe->length);
	} else if (pkt.mask & PINRXE_RETH_MASK) {
		u64 va = wqe->wr.rdma.remote_addr + swqe->sent;

		pinrxe_reth_set_va(&pkt, va);
		pinrxe_reth_set_rkey(&pkt, wqe->wr.rdma.rkey);
		pinrxe_reth_set_len(&pkt, swqe->length - swqe->sent);
	}
	if (pkt.mask & PINRXE_IMMDT_MASK)
		pinrxe_immdt_set_imm(&pkt, wqe->ex.imm_data);
	if (pkt.mask & PINRXE_IETH_MASK)
		pinrxe_ieth_set_rkey(&pkt, wqe->ex.invalidate_rkey);
	if (pkt.mask & PINRXE_ATMETH_MASK) {
		pinrxe_atmeth_set_va(&pkt, wqe->wr.atomic.remote_addr);
		pinrxe_atmeth_set_rkey(&pkt, wqe->wr.atomic.rkey);
		pinrxe_atmeth_set_swap_add(&pkt,
					   wqe->opcode ==
					   IB_UVERBS_WR_ATOMIC_CMP_AND_SWP ?
					   wqe->wr.atomic.swap :
					   wqe->wr.atomic.compare_add);
		pinrxe_atmeth_set_compare(&pkt, wqe->wr.atomic.compare_add);
	}
	if (pkt.mask & PINRXE_DETH_MASK) {
		pinrxe_deth_set_qkey(&pkt, pinrxe_req_qkey(qp, wqe));
		pinrxe_deth_set_sqp(&pkt, qp->ibqp.qp_num);
	}
	if (len) {
		err = pinrxe_req_payload(qp, swqe, &pkt, len);
		if (err) {
			kfree_skb(skb);
			if (ah)
				pinrxe_ah_put(ah);
			return pinrxe_sgl_err_status(err);
		}
	}

	if (list) {
		/* skb->cb is the sender's until the IP layer has it. */
		*pinrxe_skb_pkt(skb) = pkt;
		__skb_queue_tail(list, skb);
	} else {
		pinrxe_xfer_send(qp, skb, &pkt, av);
	}
	err = 0;

	if (read)
		qp->req.psn = (swqe->last_psn + 1) & PINRXE_BTH_PSN;
	else
		qp->req.psn = (psn + 1) & PINRXE_BTH_PSN;
	swqe->sent += len;
	if (read)
		swqe->sent = swqe->length;
	if (last) {
		swqe->progress = PINRXE_WQE_SENT;
		if (pinrxe_wqe_is_rd_atomic(wqe)) {
			qp->req.rd_atomic++;
			qp->req.rd_bytes += pinrxe_swqe_rd_bytes(swqe);
		}
		qp->req.index++;
	}
	pinrxe_req_arm_timer(qp);
out:
	if (ah)
		pinrxe_ah_put(ah);
	/* No memory for a packet: as good as lost; RC retransmits it. */
	return err == -ENOMEM ? IB_WC_SUCCESS : (err ? IB_WC_LOC_QP_OP_ERR :
						  IB_WC_SUCCESS);
}

/*
 * Execute a local operation: BIND_MW, LOCAL_INV (of a type 2 window or a
 * fast-registration MR, pinrxe_invalidate_rkey()) or IB_WR_REG_MR.  The
 * requester runs one only once every WQE before it has completed, so it
 * takes effect in order with the rest of the send queue: after the reads
 * and atomics before it (so IB_SEND_FENCE is honoured), and before the
 * WQEs after it, such as a send carrying a new rkey to the peer.  Returns
 * the WQE's completion status, the ones rdma_rxe reports: the IBA has a
 * status of its own for a failed bind only.
 */
static u32 pinrxe_req_local(struct pinrxe_qp *qp,
			    const struct pinrxe_send_wqe *wqe)
{
	switch (wqe->opcode) {
	case IB_UVERBS_WR_BIND_MW:
		return pinrxe_mw_bind(qp, wqe) ? IB_WC_MW_BIND_ERR :
						 IB_WC_SUCCESS;
	case IB_UVERBS_WR_LOCAL_INV:
		return pinrxe_invalidate_rkey(qp, wqe->ex.invalidate_rkey,
					      false) ?
		       IB_WC_LOC_QP_OP_ERR : IB_WC_SUCCESS;
	case IB_WR_REG_MR:
		return pinrxe_fast_reg(to_pdev(qp->ibqp.device), qp->ibqp.pd,
				       wqe) ?
		       IB_WC_LOC_QP_OP_ERR : IB_WC_SUCCESS;
	default:
		/* pinrxe_wqe_is_local() lets no other opcode here. */
		return IB_WC_LOC_QP_OP_ERR;
	}
}

/*
 * Whether the next packets of @swqe go out together: several packets of
 * a send or write of a connected QP.  Reads and atomics have one request
 * packet; UD messages are one packet.
 */
static bool pinrxe_req_can_burst(struct pinrxe_qp *qp, struct pinrxe_swqe *swqe)
{
	const struct pinrxe_send_wqe *wqe = pinrxe_swqe_wqe(swqe);

	return !pinrxe_qp_is_ud(qp) && !pinrxe_wqe_is_read(wqe) &&
	       !pinrxe_wqe_is_atomic(wqe) &&
	       swqe->length - swqe->sent > qp->mtu;
}

/*
 * Build the next packets of @swqe (pinrxe_req_can_burst()) and send them
 * together, as one UDP GSO packet (pinrxe_xfer_send_list()): up to the end
 * of the message, PINRXE_XFER_BURST packets or PINRXE_XFER_BURST_BYTES.
 * Returns an IB_WC_* status, as pinrxe_req_send_pkt().
 */
static u32 pinrxe_req_send_burst(struct pinrxe_qp *qp, struct pinrxe_swqe *swqe)
{
	struct sk_buff_head list;
	u32 status, bytes = 0;

	__skb_queue_head_init(&list);
	do {
		status = pinrxe_req_send_pkt(qp, swqe, &list);
		bytes += qp->mtu + PINRXE_XFER_PKT_OVERHEAD;
	} while (status == IB_WC_SUCCESS &&
		 swqe->progress == PINRXE_WQE_SENDING &&
		 skb_queue_len(&list) < PINRXE_XFER_BURST &&
		 bytes + qp->mtu + PINRXE_XFER_PKT_OVERHEAD <=
		 PINRXE_XFER_BURST_BYTES);
	/* What was built goes out, even when a later packet failed. */
	pinrxe_xfer_send_list(qp, &list);
	return status;
}

/**
 * pinrxe_requester() - send the next packet of a QP's send queue
 * @qp: the QP; from its task
 *
 * Return: 0 to be called again, -EAGAIN when there is nothing to send now,
 * PINRXE_STAGE_DEFER when there is, but the caller is in softirq context.
 */
int pinrxe_requester(struct pinrxe_qp *qp)
{
	struct pinrxe_swqe *swqe;
	enum ib_qp_state state;
	u32 status;

	state = pinrxe_xfer_enter(qp);
	if (state != IB_QPS_RTS && state != IB_QPS_SQD)
		return -EAGAIN;
	if (READ_ONCE(qp->comp.rnr_wait))
		return -EAGAIN;
	if (READ_ONCE(qp->req.rewind))
		pinrxe_req_rewind(qp);

	/* Take what the application posted while there is shadow room. */
	while (!pinrxe_sq_fetch(qp))
		;
	if (qp->req.index == qp->sq.head)
		return -EAGAIN;
	/*
	 * Not from softirq: a packet sent there waits in this CPU's receive
	 * backlog until the softirq is done, and one sent meanwhile from
	 * another CPU, by the next doorbell, could overtake it.  Sends from
	 * process context are received before the send returns.
	 */
	if (qp->task.atomic)
		return PINRXE_STAGE_DEFER;

	swqe = pinrxe_sq_wqe(qp, qp->req.index);
	if (swqe->status != IB_WC_SUCCESS ||
	    pinrxe_wqe_is_local(pinrxe_swqe_wqe(swqe))) {
		/*
		 * A WQE that failed validation completes in error, a local
		 * operation (bind, invalidate, registration) is executed;
		 * both once everything before them has completed, so the
		 * completions stay in order and a local operation never
		 * overtakes the transfers before it (pinrxe_req_local()).
		 */
		if (qp->req.index != qp->sq.tail)
			return -EAGAIN;
		status = swqe->status;
		if (status == IB_WC_SUCCESS)
			status = pinrxe_req_local(qp, pinrxe_swqe_wqe(swqe));
		pinrxe_comp_wqe(qp, swqe, status);
		return status == IB_WC_SUCCESS ? 0 : -EAGAIN;
	}

	if (swqe->progress == PINRXE_WQE_NEW && !pinrxe_req_start(qp, swqe))
		return -EAGAIN;

	if (pinrxe_req_can_burst(qp, swqe))
		status = pinrxe_req_send_burst(qp, swqe);
	else
		status = pinrxe_req_send_pkt(qp, swqe, NULL);
	if (status != IB_WC_SUCCESS) {
		if (qp->req.index != qp->sq.tail)
			return -EAGAIN;	/* completes in order, later */
		pinrxe_comp_wqe(qp, swqe, status);
		return -EAGAIN;
	}

	/* Unreliable: done once the last packet is out. */
	if (!pinrxe_qp_is_rc(qp) && swqe->progress == PINRXE_WQE_SENT)
		pinrxe_comp_wqe(qp, swqe, IB_WC_SUCCESS);
	return 0;
}
