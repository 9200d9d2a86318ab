// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The completer: matches the responses an RC QP or XRC initiator
 * receives (ACKs, NAKs,
 * read responses, atomic ACKs) to its outstanding send WQEs, completes
 * them in order, and drives retransmission: on a timeout or a PSN
 * sequence NAK it has the requester resend from the oldest PSN not
 * acknowledged; after an RNR NAK it waits the responder's RNR time first.
 */
#include <linux/jiffies.h>

#include "pinrxe.h"
#include "pinrxe_counters.h"
#include "pinrxe_hdr.h"
#include "pinrxe_opcode.h"

/* The IBA's RNR NAK timer values (9.7.5.2.8), in microseconds. */
static const u32 pinrxe_rnr_usecs[32] = {
	655360, 10, 20, 30, 40, 60, 80, 120, 160, 240, 320, 480, 640, 960,
	1280, 1920, 2560, 3840, 5120, 7680, 10240, 15360, 20480, 30720,
	40960, 61440, 81920, 122880, 163840, 245760, 327680, 491520,
};

/* Retire the completed WQEs at the tail, in order. */
static void pinrxe_comp_retire(struct pinrxe_qp *qp)
{
	bool retired = false;

	while (qp->sq.tail != qp->sq.head &&
	       pinrxe_sq_wqe(qp, qp->sq.tail)->progress == PINRXE_WQE_DONE) {
		pinrxe_sq_retire(qp);
		retired = true;
	}
	if (retired)
		pinrxe_task_sched(qp, PINRXE_TASK_REQ);
}

/**
 * pinrxe_comp_wqe() - complete a send WQE
 * @qp: the QP; from its task
 * @swqe: the WQE
 * @status: its completion status
 *
 * Posts the completion when the WQE asked for one or failed, and retires
 * what is complete at the tail.  A failure ends the QP (RC) or its send
 * queue (UC, UD).
 */
void pinrxe_comp_wqe(struct pinrxe_qp *qp, struct pinrxe_swqe *swqe,
		     u32 status)
{
	struct pinrxe_send_wqe *wqe = pinrxe_swqe_wqe(swqe);

	if (swqe->progress == PINRXE_WQE_SENT && pinrxe_wqe_is_rd_atomic(wqe) &&
	    qp->req.rd_atomic) {
		qp->req.rd_atomic--;
		qp->req.rd_bytes -= min(qp->req.rd_bytes,
					pinrxe_swqe_rd_bytes(swqe));
	}
	swqe->progress = PINRXE_WQE_DONE;
	if (status != IB_WC_SUCCESS || qp->sq_sig_all ||
	    (wqe->send_flags & PINRXE_SEND_SIGNALED)) {
		struct pinrxe_cqe cqe = {
			.wr_id = wqe->wr_id,
			.status = status,
			.opcode = pinrxe_wc_opcode(wqe->opcode),
			.byte_len = swqe->length,
			.qp_num = qp->ibqp.qp_num,
		};

		pinrxe_qp_cq_lost(qp, pinrxe_cq_post(qp->scq, &cqe, qp, false));
	}
	if (qp->req.index == qp->sq.tail)
		qp->req.index++;
	pinrxe_comp_retire(qp);
	if (status != IB_WC_SUCCESS) {
		del_timer(&qp->comp.retrans_timer);
		pinrxe_qp_sq_error(qp);
	}
}

/* The oldest WQE with packets out, or NULL. */
static struct pinrxe_swqe *pinrxe_comp_oldest(struct pinrxe_qp *qp)
{
	u32 index;

	for (index = qp->sq.tail; index != qp->req.index &&
	     index != qp->sq.head; index++) {
		struct pinrxe_swqe *swqe = pinrxe_sq_wqe(qp, index);

		if (swqe->progress == PINRXE_WQE_DONE)
			continue;
		if (swqe->progress == PINRXE_WQE_NEW)
			return NULL;
		return swqe;
	}
	/* The WQE being sent may have packets out too. */
	if (index == qp->req.index && index != qp->sq.head) {
		struct pinrxe_swqe *swqe = pinrxe_sq_wqe(qp, index);

		if (swqe->progress == PINRXE_WQE_SENDING)
			return swqe;
	}
	return NULL;
}

/* Restart the retransmission timer while packets are out, else stop it. */
static void pinrxe_comp_update_timer(struct pinrxe_qp *qp)
{
	if (!pinrxe_comp_oldest(qp) || !qp->attr.timeout) {
		del_timer(&qp->comp.retrans_timer);
		return;
	}
	mod_timer(&qp->comp.retrans_timer,
		  jiffies + pinrxe_xfer_retrans_jiffies(qp));
}

static void pinrxe_comp_retry(struct pinrxe_qp *qp, u32 psn)
{
	struct pinrxe_swqe *swqe = pinrxe_comp_oldest(qp);

	if (!swqe || qp->comp.retry_pending)
		return;
	if (!qp->comp.retry_cnt) {
		pinrxe_comp_wqe(qp, swqe, IB_WC_RETRY_EXC_ERR);
		return;
	}
	/* 7 is the IBA's "retry forever" only for RNR; here it counts. */
	qp->comp.retry_cnt--;
	qp->comp.retry_pending = true;
	qp->req.rewind_psn = psn;
	WRITE_ONCE(qp->req.rewind, true);
	pinrxe_task_sched(qp, PINRXE_TASK_REQ);
}

/*
 * Everything before @psn is acknowledged: complete the sends and writes
 * it covers.  A read, atomic or atomic write it covers whose response
 * never came was lost: go back for it.  Returns false when it did so.
 */
static bool pinrxe_comp_ack_before(struct pinrxe_qp *qp, u32 psn)
{
	struct pinrxe_swqe *swqe;

	while ((swqe = pinrxe_comp_oldest(qp))) {
		struct pinrxe_send_wqe *wqe = pinrxe_swqe_wqe(swqe);

		if (pinrxe_psn_cmp(swqe->last_psn, psn) >= 0)
			break;
		if (swqe->progress != PINRXE_WQE_SENT)
			break;
		if (pinrxe_wqe_is_rd_atomic(wqe)) {
			pinrxe_comp_retry(qp, qp->comp.psn);
			return false;
		}
		qp->comp.psn = (swqe->last_psn + 1) & PINRXE_BTH_PSN;
		pinrxe_comp_wqe(qp, swqe, IB_WC_SUCCESS);
	}
	/*
	 * Nothing outstanding: nothing to move.  This is also the case
	 * while the requester has gone back to the start of a WQE and not
	 * yet sent it again (it is NEW, pinrxe_comp_oldest() skips it); a
	 * late response of its first transmission must not move the
	 * expected PSN into it, or its new responses would be taken as
	 * stale up to there.
	 */
	if (!swqe)
		return true;
	/*
	 * The PSNs of a read or atomic are acknowledged only by its own
	 * responses, each in turn (pinrxe_comp_data()).  A response that
	 * came after a lost one must not move the expected PSN over the
	 * gap: the read would complete with that packet's data missing.
	 */
	if (pinrxe_wqe_is_rd_atomic(pinrxe_swqe_wqe(swqe)) &&
	    pinrxe_psn_cmp(psn, swqe->first_psn) > 0)
		psn = swqe->first_psn;
	if (pinrxe_psn_cmp(psn, qp->comp.psn) > 0) {
		/* Progress: the retries start over, as after an ACK. */
		qp->comp.psn = psn;
		qp->comp.retry_pending = false;
		qp->comp.retry_cnt = qp->attr.retry_cnt;
	}
	return true;
}

static u32 pinrxe_nak_status(u8 code)
{
	switch (code) {
	case PINRXE_NAK_REM_ACCESS_ERR:
		return IB_WC_REM_ACCESS_ERR;
	case PINRXE_NAK_REM_OP_ERR:
		return IB_WC_REM_OP_ERR;
	default:
		return IB_WC_REM_INV_REQ_ERR;
	}
}

static void pinrxe_comp_aeth(struct pinrxe_qp *qp, struct pinrxe_pkt_info *pkt)
{
	u8 syn = pinrxe_aeth_syn(pkt);
	u32 psn = pkt->psn;
	struct pinrxe_swqe *swqe;

	switch (syn & PINRXE_AETH_TYPE) {
	case PINRXE_AETH_ACK:
		/* Acknowledges through @psn. */
		if (!pinrxe_comp_ack_before(qp, (psn + 1) & PINRXE_BTH_PSN))
			return;
		qp->comp.retry_cnt = qp->attr.retry_cnt;
		qp->comp.rnr_retry = qp->attr.rnr_retry;
		break;
	case PINRXE_AETH_RNR_NAK:
		pinrxe_counter_inc(to_pdev(qp->ibqp.device),
				   PINRXE_CNT_RNR_NAK_RCVD);
		if (!pinrxe_comp_ack_before(qp, psn))
			return;
		swqe = pinrxe_comp_oldest(qp);
		if (!swqe)
			return;
		if (!qp->comp.rnr_retry) {
			pinrxe_comp_wqe(qp, swqe, IB_WC_RNR_RETRY_EXC_ERR);
			return;
		}
		if (qp->comp.rnr_retry != 7)
			qp->comp.rnr_retry--;
		del_timer(&qp->comp.retrans_timer);
		qp->req.rewind_psn = psn;
		WRITE_ONCE(qp->comp.rnr_wait, true);
		mod_timer(&qp->comp.rnr_timer, jiffies +
			  usecs_to_jiffies(pinrxe_rnr_usecs[syn &
							   PINRXE_AETH_VALUE]));
		return;
	case PINRXE_AETH_NAK:
		pinrxe_counter_inc(to_pdev(qp->ibqp.device),
				   PINRXE_CNT_NAK_RCVD);
		if (!pinrxe_comp_ack_before(qp, psn))
			return;
		if ((syn & PINRXE_AETH_VALUE) == PINRXE_NAK_PSN_SEQ_ERR) {
			pinrxe_comp_retry(qp, psn);
			return;
		}
		swqe = pinrxe_comp_oldest(qp);
		if (swqe)
			pinrxe_comp_wqe(qp, swqe,
					pinrxe_nak_status(syn & PINRXE_AETH_VALUE));
		return;
	default:
		return;		/* reserved syndrome */
	}
}

/* An atomic write is answered by one empty read response. */
static void pinrxe_comp_atomic_write(struct pinrxe_qp *qp,
				     struct pinrxe_swqe *swqe,
				     struct pinrxe_pkt_info *pkt)
{
	if ((pkt->mask & PINRXE_ONLY_MASK) != PINRXE_ONLY_MASK ||
	    pinrxe_pkt_payload_len(pkt)) {
		pinrxe_comp_wqe(qp, swqe, IB_WC_BAD_RESP_ERR);
		return;
	}
	qp->comp.psn = (pkt->psn + 1) & PINRXE_BTH_PSN;
	pinrxe_comp_wqe(qp, swqe, IB_WC_SUCCESS);
}

/*
 * A read response packet or atomic ACK for the oldest outstanding WQE.
 * Returns PINRXE_STAGE_DEFER when the packet must wait for the work item
 * (its target pages are not resident, in softirq): nothing it changed
 * before that differs when it is processed again.
 */
static int pinrxe_comp_data(struct pinrxe_qp *qp, struct pinrxe_pkt_info *pkt)
{
	struct pinrxe_dev *pdev = to_pdev(qp->ibqp.device);
	struct pinrxe_swqe *swqe;
	struct pinrxe_send_wqe *wqe;
	u32 psn = pkt->psn, len, off, cur = 0, sge_off = 0;
	u64 orig;
	int err;

	/* A response acknowledges every request before it. */
	if (!pinrxe_comp_ack_before(qp, psn))
		return 0;
	swqe = pinrxe_comp_oldest(qp);
	if (!swqe || pinrxe_psn_cmp(psn, swqe->first_psn) < 0 ||
	    pinrxe_psn_cmp(psn, swqe->last_psn) > 0) {
		/* Stale (a duplicate after going back) or stray. */
		pinrxe_counter_inc(pdev, PINRXE_CNT_RESP_STALE);
		return 0;
	}
	wqe = pinrxe_swqe_wqe(swqe);
	if (psn != qp->comp.psn) {
		/*
		 * Past the expected PSN: an earlier response was lost, or
		 * overtaken.  A local veth reorders when the sender moves to
		 * another CPU (each CPU has its own receive backlog), so
		 * this is not always loss; go back either way, as a RoCE NIC
		 * does, and count it, since the packet is dropped.
		 */
		if (pinrxe_psn_cmp(psn, qp->comp.psn) > 0) {
			pinrxe_counter_inc(pdev, PINRXE_CNT_RESP_SEQ_ERR);
			pinrxe_comp_retry(qp, qp->comp.psn);
		} else {
			pinrxe_counter_inc(pdev, PINRXE_CNT_RESP_STALE);
		}
		return 0;
	}

	if (pkt->mask & PINRXE_ATOMIC_ACK_MASK) {
		if (!pinrxe_wqe_is_atomic(wqe)) {
			/* A response of the wrong kind for its request. */
			pinrxe_counter_inc(pdev, PINRXE_CNT_RESP_STALE);
			return 0;
		}
		orig = pinrxe_atmack_orig(pkt);
		err = pinrxe_copy_sgl(pdev, qp->ibqp.pd,
				      wqe->sge, wqe->num_sge, &cur, &sge_off,
				      &orig, sizeof(orig), PINRXE_TO_MR,
				      qp->task.atomic);
		if (err == -EAGAIN)
			return PINRXE_STAGE_DEFER;
		qp->comp.psn = (psn + 1) & PINRXE_BTH_PSN;
		pinrxe_comp_wqe(qp, swqe, err ? IB_WC_LOC_PROT_ERR :
						IB_WC_SUCCESS);
		return 0;
	}

	if (pinrxe_wqe_is_atomic_write(wqe)) {
		pinrxe_comp_atomic_write(qp, swqe, pkt);
		return 0;
	}
	if (!pinrxe_wqe_is_read(wqe)) {
		/* A response of the wrong kind for its request. */
		pinrxe_counter_inc(pdev, PINRXE_CNT_RESP_STALE);
		return 0;
	}
	off = ((psn - swqe->first_psn) & PINRXE_BTH_PSN) * qp->mtu;
	len = pinrxe_pkt_payload_len(pkt);
	/* Full MTU except at the end, and never past the requested length. */
	if (off + len > swqe->length ||
	    (!(pkt->mask & PINRXE_LAST_MASK) && len != qp->mtu) ||
	    ((pkt->mask & PINRXE_LAST_MASK) && off + len != swqe->length)) {
		pinrxe_comp_wqe(qp, swqe, IB_WC_BAD_RESP_ERR);
		return 0;
	}
	pinrxe_xfer_skip(wqe->sge, wqe->num_sge, &cur, &sge_off, off);
	err = pinrxe_copy_sgl(pdev, qp->ibqp.pd, wqe->sge,
			      wqe->num_sge, &cur, &sge_off,
			      pinrxe_pkt_payload(pkt), len, PINRXE_TO_MR,
			      qp->task.atomic);
	if (err == -EAGAIN)
		return PINRXE_STAGE_DEFER;
	if (err) {
		pinrxe_comp_wqe(qp, swqe, IB_WC_LOC_PROT_ERR);
		return 0;
	}
	qp->comp.psn = (psn + 1) & PINRXE_BTH_PSN;
	qp->comp.retry_cnt = qp->attr.retry_cnt;
	qp->comp.retry_pending = false;
	if (pkt->mask & PINRXE_LAST_MASK)
		pinrxe_comp_wqe(qp, swqe, IB_WC_SUCCESS);
	return 0;
}

/**
 * pinrxe_completer() - process one response packet or timeout of a QP
 * @qp: the QP; from its task
 *
 * Return: 0 to be called again, -EAGAIN when there is nothing to do,
 * PINRXE_STAGE_DEFER when the next response waits for the work item.
 */
int pinrxe_completer(struct pinrxe_qp *qp)
{
	struct pinrxe_pkt_info *pkt;
	enum ib_qp_state state;
	struct sk_buff *skb;

	state = pinrxe_xfer_enter(qp);
	if (state == IB_QPS_RESET)
		return -EAGAIN;
	if (state != IB_QPS_RTS && state != IB_QPS_SQD) {
		skb_queue_purge(&qp->comp.pkts);
		return -EAGAIN;
	}
	if (!pinrxe_qp_is_rc(qp)) {
		skb_queue_purge(&qp->comp.pkts);
		return -EAGAIN;
	}

	if (READ_ONCE(qp->comp.timeout)) {
		WRITE_ONCE(qp->comp.timeout, false);
		/*
		 * Responses waiting in the queue did arrive in time: the
		 * task was just slow to get to them.  Not a timeout.
		 */
		if (!skb_queue_empty(&qp->comp.pkts)) {
			pinrxe_comp_update_timer(qp);
			return 0;
		}
		if (!READ_ONCE(qp->comp.rnr_wait) && pinrxe_comp_oldest(qp)) {
			pinrxe_counter_inc(to_pdev(qp->ibqp.device),
					   PINRXE_CNT_TIMEOUT);
			/* The retransmission itself may have been lost. */
			qp->comp.retry_pending = false;
			pinrxe_comp_retry(qp, qp->comp.psn);
		}
		return 0;
	}

	skb = pinrxe_xfer_next_pkt(qp, &qp->comp.pkts);
	if (!skb)
		return -EAGAIN;
	pkt = pinrxe_skb_pkt(skb);
	if ((pkt->mask & (PINRXE_READ_RESP_MASK | PINRXE_ATOMIC_ACK_MASK)) &&
	    pinrxe_comp_data(qp, pkt) == PINRXE_STAGE_DEFER) {
		/* Its pages must be faulted in: the work item takes it. */
		skb_queue_head(&qp->comp.pkts, skb);
		return PINRXE_STAGE_DEFER;
	}
	/* ACKs, NAKs, and the AETH of first/last/only read responses. */
	if ((pkt->mask & PINRXE_AETH_MASK) &&
	    !(pkt->mask & (PINRXE_READ_RESP_MASK | PINRXE_ATOMIC_ACK_MASK)))
		pinrxe_comp_aeth(qp, pkt);
	consume_skb(skb);
	if (READ_ONCE(qp->state) == IB_QPS_RTS ||
	    READ_ONCE(qp->state) == IB_QPS_SQD)
		pinrxe_comp_update_timer(qp);
	return 0;
}
