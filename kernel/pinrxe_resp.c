// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The responder: executes the requests a QP receives.  SENDs scatter into
 * receive WQEs (and a SEND with invalidate invalidates the rkey it names),
 * RDMA WRITEs and READs, atomics and atomic writes act on memory named by
 * an rkey, an MR's or a memory window's, every access checked against the
 * bounds and rights of what the rkey names (pinrxe_rkey_get()).  An RC
 * responder enforces PSN order: a packet from the future gets one PSN
 * sequence NAK, a duplicate gets its answer again (an ACK, the read data,
 * or the saved result of an atomic, which must not run twice).
 *
 * An XRC target QP is an RC responder whose requests each name an XRC SRQ
 * of its XRC domain (pinrxe_resp_xrc()): a SEND takes its receive WQE
 * from that SRQ and completes to its CQ, and every memory access is
 * checked against its PD (pinrxe_qp_pd()).  A request naming no such SRQ
 * gets an invalid request NAK.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <rdma/ib_mad.h>

#include "pinrxe.h"
#include "pinrxe_counters.h"
#include "pinrxe_hdr.h"
#include "pinrxe_opcode.h"

/* ACK syndrome with the credit field saying "no flow control". */
#define PINRXE_ACK_SYNDROME	(PINRXE_AETH_ACK | PINRXE_AETH_NO_CREDIT)

/*
 * Longest read, in response packets, answered in softirq context (see
 * pinrxe_task.c); a longer one waits for the work item.
 */
#define PINRXE_RESP_ATOMIC_READ_PKTS	64

static struct pinrxe_dev *qp_pdev(struct pinrxe_qp *qp)
{
	return to_pdev(qp->ibqp.device);
}

/* The transport of the responses: an XRC target answers as XRC. */
static u8 pinrxe_resp_transport(struct pinrxe_qp *qp)
{
	return qp->ibqp.qp_type == IB_QPT_XRC_TGT ? PINRXE_OPCODE_XRC :
						    IB_OPCODE_RC;
}

/* Where receives complete: an XRC target's go to the SRQ's CQ. */
static struct pinrxe_cq *pinrxe_resp_cq(struct pinrxe_qp *qp)
{
	return qp->resp.xsrq ? to_pcq(qp->resp.xsrq->ibsrq.ext.cq) : qp->rcq;
}

/* Send an ACK, NAK or RNR NAK carrying @syndrome for @psn. */
static void pinrxe_resp_ack(struct pinrxe_qp *qp, u8 syndrome, u32 psn)
{
	struct pinrxe_pkt_info pkt;
	struct sk_buff *skb;

	if (!qp->req.av_valid)
		return;
	skb = pinrxe_xfer_pkt(qp, &qp->av,
			      pinrxe_resp_transport(qp) + IB_OPCODE_ACKNOWLEDGE,
			      0, psn, false, false, qp->attr.dest_qp_num, &pkt);
	if (IS_ERR(skb))
		return;
	pinrxe_aeth_set_syn(&pkt, syndrome);
	pinrxe_aeth_set_msn(&pkt, qp->resp.msn);
	pinrxe_xfer_send(qp, skb, &pkt, &qp->av);
}

static void pinrxe_resp_nak(struct pinrxe_qp *qp, u8 code, u32 psn)
{
	pinrxe_counter_inc(qp_pdev(qp), PINRXE_CNT_NAK_SENT);
	pinrxe_resp_ack(qp, PINRXE_AETH_NAK | code, psn);
}

/* Complete the receive WQE in use with @status. */
static void pinrxe_resp_complete(struct pinrxe_qp *qp,
				 struct pinrxe_pkt_info *pkt, u32 status,
				 u32 opcode)
{
	struct pinrxe_cqe cqe = {
		.wr_id = qp->resp.rwqe.wr_id,
		.status = status,
		.opcode = opcode,
		.byte_len = qp->resp.msg_len,
		.qp_num = qp->ibqp.qp_num,
		.src_qp = pinrxe_qp_is_ud(qp) ?
			  pinrxe_deth_sqp(pkt) : qp->attr.dest_qp_num,
		.pkey_index = pkt->pkey_index,
	};

	if (pkt->mask & PINRXE_IMMDT_MASK) {
		cqe.ex.imm_data = pinrxe_immdt_imm(pkt);
		cqe.flags |= PINRXE_CQE_WITH_IMM;
	}
	if ((pkt->mask & PINRXE_IETH_MASK) && status == IB_WC_SUCCESS) {
		cqe.ex.invalidate_rkey = pinrxe_ieth_rkey(pkt);
		cqe.flags |= PINRXE_CQE_WITH_INV;
	}
	if (pinrxe_qp_is_ud(qp)) {
		cqe.flags |= PINRXE_CQE_GRH;
		if (ip_hdr(pinrxe_pkt_skb(pkt))->version == 4)
			cqe.flags |= PINRXE_CQE_GRH_IPV4;
	}
	qp->resp.have_rwqe = false;
	pinrxe_qp_cq_lost(qp, pinrxe_cq_post(pinrxe_resp_cq(qp), &cqe, qp,
					     pinrxe_bth_se(pkt)));
}

/* Take a receive WQE from the SRQ or RQ; false when there is none. */
static bool pinrxe_resp_take_rwqe(struct pinrxe_qp *qp)
{
	int err;

	if (qp->resp.have_rwqe)
		return true;
	err = pinrxe_rq_take(qp, &qp->resp.rwqe);
	if (err)
		return false;
	qp->resp.have_rwqe = true;
	qp->resp.cur_sge = 0;
	qp->resp.sge_offset = 0;
	qp->resp.msg_len = 0;
	return true;
}

/*
 * Scatter @len bytes into the receive WQE: an IB_WC_* status, or -EAGAIN
 * when on-demand paging pages must be faulted in first (in softirq; the
 * scatter position is as it was).
 */
static int pinrxe_resp_scatter(struct pinrxe_qp *qp, void *data, u32 len)
{
	int err;

	err = pinrxe_copy_sgl(qp_pdev(qp), pinrxe_qp_pd(qp), qp->resp.rwqe.sge,
			      qp->resp.rwqe.num_sge, &qp->resp.cur_sge,
			      &qp->resp.sge_offset, data, len, PINRXE_TO_MR,
			      qp->task.atomic);
	if (err == -EAGAIN)
		return err;
	if (err == -ENOSPC)
		return IB_WC_LOC_LEN_ERR;
	if (err)
		return IB_WC_LOC_PROT_ERR;
	qp->resp.msg_len += len;
	return IB_WC_SUCCESS;
}

/* The QP's access flags allow what @pkt asks for. */
static bool pinrxe_resp_qp_allows(struct pinrxe_qp *qp,
				  struct pinrxe_pkt_info *pkt)
{
	int flags = qp->attr.qp_access_flags;

	/* An atomic write is a write as far as rights go, as with rdma_rxe. */
	if (pkt->mask & (PINRXE_WRITE_MASK | PINRXE_ATOMIC_WRITE_MASK))
		return flags & IB_ACCESS_REMOTE_WRITE;
	if (pkt->mask & PINRXE_READ_MASK)
		return flags & IB_ACCESS_REMOTE_READ;
	if (pkt->mask & PINRXE_ATOMIC_MASK)
		return flags & IB_ACCESS_REMOTE_ATOMIC;
	return true;
}

/* A packet continues or starts a message as the opcode sequence allows. */
static bool pinrxe_resp_in_sequence(struct pinrxe_qp *qp,
				    struct pinrxe_pkt_info *pkt)
{
	u32 kind = pkt->mask & (PINRXE_SEND_MASK | PINRXE_WRITE_MASK);

	if (qp->resp.in_msg)
		return kind && kind == qp->resp.msg_opcode_mask &&
		       !(pkt->mask & PINRXE_FIRST_MASK);
	return !(pkt->mask & (PINRXE_MIDDLE_MASK)) &&
	       (!(pkt->mask & PINRXE_LAST_MASK) ||
		(pkt->mask & PINRXE_FIRST_MASK));
}

enum pinrxe_resp_result {
	PINRXE_RESP_DONE,	/* executed: advance the ePSN */
	PINRXE_RESP_RNR,	/* no receive WQE, or a write's target still
				 * faulting in: RNR NAK, retry later
				 */
	PINRXE_RESP_NAK_INV,	/* invalid request */
	PINRXE_RESP_NAK_ACCESS,	/* remote access error */
	PINRXE_RESP_NAK_OP,	/* remote operational error */
	PINRXE_RESP_DROP,	/* silently dropped (UC, UD) */
	PINRXE_RESP_INV_ERR,	/* executed, but its rkey not invalidated */
	PINRXE_RESP_DEFER,	/* pages to fault in: again from the work item */
};

/* SEND: scatter into a receive WQE, complete it on the last packet. */
static int pinrxe_resp_send(struct pinrxe_qp *qp, struct pinrxe_pkt_info *pkt)
{
	u32 len = pinrxe_pkt_payload_len(pkt);
	int status;

	if (!pinrxe_resp_take_rwqe(qp))
		return pinrxe_qp_is_rc(qp) ? PINRXE_RESP_RNR :
					     PINRXE_RESP_DROP;
	status = pinrxe_resp_scatter(qp, pinrxe_pkt_payload(pkt), len);
	if (status == -EAGAIN)
		return PINRXE_RESP_DEFER;
	if (status != IB_WC_SUCCESS) {
		pinrxe_resp_complete(qp, pkt, status, IB_WC_RECV);
		return status == IB_WC_LOC_LEN_ERR ? PINRXE_RESP_NAK_INV :
						     PINRXE_RESP_NAK_OP;
	}
	if (!(pkt->mask & PINRXE_LAST_MASK))
		return PINRXE_RESP_DONE;
	/*
	 * SEND with invalidate: the rkey goes once the whole message is in,
	 * a type 2 window's or a fast-registration MR's (the requester's
	 * LOCAL_INV path, pinrxe_invalidate_rkey()).  If it cannot (an
	 * unknown key, a type 1 window, a window of another QP or PD, a user
	 * MR or the DMA MR, an MR of another PD or with windows bound), the
	 * message still counts as received (IBA class J, as rdma_rxe): the
	 * receive completes in error and the QP fails.
	 */
	if ((pkt->mask & PINRXE_IETH_MASK) &&
	    pinrxe_invalidate_rkey(qp, pinrxe_ieth_rkey(pkt), true)) {
		pinrxe_resp_complete(qp, pkt, IB_WC_REM_INV_REQ_ERR,
				     IB_WC_RECV);
		return PINRXE_RESP_INV_ERR;
	}
	pinrxe_resp_complete(qp, pkt, IB_WC_SUCCESS, IB_WC_RECV);
	return PINRXE_RESP_DONE;
}

/* The Q_Key a datagram must carry: QP1 takes only the GSI one. */
static u32 pinrxe_resp_qkey(struct pinrxe_qp *qp)
{
	return qp->ibqp.qp_type == IB_QPT_GSI ? IB_QP1_QKEY : qp->attr.qkey;
}

/* UD SEND: the 40-byte GRH goes first, then the payload. */
static int pinrxe_resp_ud_send(struct pinrxe_qp *qp,
			       struct pinrxe_pkt_info *pkt)
{
	struct sk_buff *skb = pinrxe_pkt_skb(pkt);
	u8 grh[40] = {};
	int status;

	if (pinrxe_deth_qkey(pkt) != pinrxe_resp_qkey(qp)) {
		pinrxe_counter_inc(qp_pdev(qp), PINRXE_CNT_DROP_QKEY);
		return PINRXE_RESP_DROP;
	}
	if (!pinrxe_resp_take_rwqe(qp)) {
		pinrxe_counter_inc(qp_pdev(qp), PINRXE_CNT_DROP_NO_RWQE);
		return PINRXE_RESP_DROP;
	}
	/* RoCEv2: the IPv6 header, or an IPv4 header in the last 20 bytes. */
	if (ip_hdr(skb)->version == 4)
		memcpy(grh + 20, ip_hdr(skb), sizeof(struct iphdr));
	else
		memcpy(grh, ipv6_hdr(skb), sizeof(grh));
	status = pinrxe_resp_scatter(qp, grh, sizeof(grh));
	if (status == IB_WC_SUCCESS)
		status = pinrxe_resp_scatter(qp, pinrxe_pkt_payload(pkt),
					     pinrxe_pkt_payload_len(pkt));
	if (status == -EAGAIN) {
		/* The WQE stays taken; the datagram goes in from its start. */
		qp->resp.cur_sge = 0;
		qp->resp.sge_offset = 0;
		qp->resp.msg_len = 0;
		return PINRXE_RESP_DEFER;
	}
	pinrxe_resp_complete(qp, pkt, status, IB_WC_RECV);
	return PINRXE_RESP_DONE;
}

/*
 * How long the responder's work item waits for an RDMA WRITE's target to
 * be faulted in before it answers with an RNR NAK instead.  Under the
 * shortest retransmission timeout (10 ms, pinrxe_xfer_retrans_jiffies()),
 * so that the requester never hears nothing for long enough to spend a
 * transport retry on it.
 */
#define PINRXE_RESP_FAULT_WAIT_MS	5

/*
 * Make an RC RDMA WRITE's whole target resident ([resp.va, + resp.resid)
 * of @mr, reached by resp.rkey).  Returns 0, -EAGAIN in softirq (pages
 * missing: again from the work item), -EFAULT, or -EBUSY when the fault
 * is still running after PINRXE_RESP_FAULT_WAIT_MS: the request is
 * answered with an RNR NAK and the fault goes on without it, so that a
 * slow one (a file's blocks allocated, pages read back) costs the
 * requester RNR waits, which rnr_retry 7 allows without end, rather than
 * silence and transport retries.  On-demand paging hardware answers a
 * responder page fault the same way.
 */
static int pinrxe_resp_write_fault(struct pinrxe_qp *qp, struct pinrxe_mr *mr)
{
	struct pinrxe_odp_fault *f = &qp->resp.fault;
	u64 va = qp->resp.va, len = qp->resp.resid;
	bool mine;
	int err;

	err = pinrxe_mr_prepare(mr, va, len, true, true);
	if (err != -EAGAIN || qp->task.atomic)
		return err;
	/* UC: nobody waits for an answer; fault here. */
	if (!pinrxe_qp_is_rc(qp))
		return pinrxe_mr_prepare(mr, va, len, true, false);
	mine = f->key == qp->resp.rkey && f->iova == va && f->len == len;
	if (!pinrxe_odp_fault_busy(f)) {
		/* This target's fault ended in error after an RNR NAK. */
		if (mine && f->err) {
			err = f->err;
			f->err = 0;
			return err;
		}
		pinrxe_odp_fault_start(f, mr, qp->resp.rkey, va, len, true);
		mine = true;
	}
	if (!wait_for_completion_timeout(&f->done,
					 msecs_to_jiffies(PINRXE_RESP_FAULT_WAIT_MS)) ||
	    !mine) {
		pinrxe_counter_inc(qp_pdev(qp), PINRXE_CNT_ODP_RNR_NAK);
		return -EBUSY;
	}
	/* Resident, or lost again to an invalidation: the copies fault it. */
	err = f->err;
	f->err = 0;
	return err;
}

/* RDMA WRITE: place the payload; WRITE with immediate consumes a WQE. */
static int pinrxe_resp_write(struct pinrxe_qp *qp, struct pinrxe_pkt_info *pkt)
{
	u32 len = pinrxe_pkt_payload_len(pkt);
	struct pinrxe_mr *mr;
	int err;

	if (pkt->mask & PINRXE_RETH_MASK) {
		qp->resp.va = pinrxe_reth_va(pkt);
		qp->resp.rkey = pinrxe_reth_rkey(pkt);
		qp->resp.resid = pinrxe_reth_len(pkt);
		qp->resp.msg_len = 0;
		/*
		 * Check the whole target now, so a bad one fails at once, and
		 * make its on-demand paging pages resident in one go rather
		 * than a fault per packet.
		 */
		if (qp->resp.resid) {
			mr = pinrxe_rkey_get(qp, qp->resp.rkey,
					     IB_ACCESS_REMOTE_WRITE,
					     qp->resp.va, qp->resp.resid,
					     &err);
			if (!mr)
				return PINRXE_RESP_NAK_ACCESS;
			err = pinrxe_resp_write_fault(qp, mr);
			pinrxe_mr_put(mr);
			if (err == -EAGAIN)
				return PINRXE_RESP_DEFER;
			if (err == -EBUSY)
				return PINRXE_RESP_RNR;
			if (err)
				return PINRXE_RESP_NAK_ACCESS;
		}
	}
	if (len > qp->resp.resid ||
	    ((pkt->mask & PINRXE_LAST_MASK) && len != qp->resp.resid) ||
	    (!(pkt->mask & PINRXE_LAST_MASK) && len != qp->mtu))
		return PINRXE_RESP_NAK_INV;
	/* An immediate needs a receive WQE: make sure before writing. */
	if ((pkt->mask & PINRXE_IMMDT_MASK) && !pinrxe_resp_take_rwqe(qp))
		return pinrxe_qp_is_rc(qp) ? PINRXE_RESP_RNR :
					     PINRXE_RESP_DROP;
	if (len) {
		mr = pinrxe_rkey_get(qp, qp->resp.rkey, IB_ACCESS_REMOTE_WRITE,
				     qp->resp.va, len, &err);
		if (!mr)
			return PINRXE_RESP_NAK_ACCESS;
		err = pinrxe_mr_copy(mr, qp->resp.va, pinrxe_pkt_payload(pkt),
				     len, PINRXE_TO_MR, qp->task.atomic);
		pinrxe_mr_put(mr);
		/* Before any state changed: the packet can run again whole. */
		if (err == -EAGAIN)
			return PINRXE_RESP_DEFER;
		if (err)
			return PINRXE_RESP_NAK_ACCESS;
	}
	qp->resp.va += len;
	qp->resp.resid -= len;
	qp->resp.msg_len += len;
	if ((pkt->mask & PINRXE_IMMDT_MASK) && (pkt->mask & PINRXE_LAST_MASK))
		pinrxe_resp_complete(qp, pkt, IB_WC_SUCCESS,
				     IB_WC_RECV_RDMA_WITH_IMM);
	return PINRXE_RESP_DONE;
}

/* The opcode of read response @i of @npkts. */
static u8 pinrxe_resp_read_opcode(u32 i, u32 npkts)
{
	if (npkts == 1)
		return IB_OPCODE_RDMA_READ_RESPONSE_ONLY;
	if (!i)
		return IB_OPCODE_RDMA_READ_RESPONSE_FIRST;
	if (i == npkts - 1)
		return IB_OPCODE_RDMA_READ_RESPONSE_LAST;
	return IB_OPCODE_RDMA_READ_RESPONSE_MIDDLE;
}

/*
 * Fill the payloads of the burst of read responses on @list, @len bytes
 * of the MR from @va on (@vec says where each packet's goes), and send
 * them.  Returns 0, or the copy's error with the burst dropped.
 */
static int pinrxe_resp_read_burst(struct pinrxe_qp *qp, struct pinrxe_mr *mr,
				  u64 va, u64 len, struct sk_buff_head *list,
				  const struct kvec *vec, u32 nvec)
{
	int err;

	/*
	 * The whole burst in one access: one residency check, and one read
	 * section of an ODP umem's lock for all its copies.
	 */
	err = len ? pinrxe_mr_copy_vec(mr, va, vec, nvec, len, PINRXE_FROM_MR,
				       qp->task.atomic) : 0;
	if (err) {
		__skb_queue_purge(list);
		return err;
	}
	pinrxe_xfer_send_list(qp, list);
	return 0;
}

/*
 * Send the read responses for [@va, @va + @len) starting at @psn, a burst
 * at a time (pinrxe_resp_read_burst()).  Used for new reads and,
 * unchanged, for duplicates: a read has no side effect, so a retried one
 * is simply read again.  On-demand paging pages that are not resident in
 * softirq make it PINRXE_RESP_DEFER: found before anything is sent, or
 * (an invalidation meanwhile) after some responses went out, which the
 * requester then takes as duplicates when the whole read is answered
 * again.
 */
static int pinrxe_resp_read_data(struct pinrxe_qp *qp, u32 psn, u64 va,
				 u32 rkey, u32 len)
{
	u32 npkts = len ? DIV_ROUND_UP(len, qp->mtu) : 1, i, bytes = 0;
	struct kvec vec[PINRXE_XFER_BURST];
	struct pinrxe_mr *mr = NULL;
	struct sk_buff_head list;
	u64 burst_va = va;
	u32 burst_len = 0;
	int err = 0;

	if (len) {
		mr = pinrxe_rkey_get(qp, rkey, IB_ACCESS_REMOTE_READ, va, len,
				     &err);
		if (!mr)
			return PINRXE_RESP_NAK_ACCESS;
		err = pinrxe_mr_prepare(mr, va, len, false, qp->task.atomic);
		if (err)
			goto out;
	}
	__skb_queue_head_init(&list);
	for (i = 0; i < npkts; i++) {
		u32 n = min(len, qp->mtu);
		struct pinrxe_pkt_info pkt;
		struct sk_buff *skb;

		skb = pinrxe_xfer_pkt(qp, &qp->av, pinrxe_resp_transport(qp) +
				      pinrxe_resp_read_opcode(i, npkts), n,
				      (psn + i) & PINRXE_BTH_PSN, false, false,
				      qp->attr.dest_qp_num, &pkt);
		if (IS_ERR(skb))
			break;	/* lost: the requester will ask again */
		if (pkt.mask & PINRXE_AETH_MASK) {
			pinrxe_aeth_set_syn(&pkt, PINRXE_ACK_SYNDROME);
			pinrxe_aeth_set_msn(&pkt, qp->resp.msn);
		}
		*pinrxe_skb_pkt(skb) = pkt;
		vec[skb_queue_len(&list)].iov_base = pinrxe_pkt_payload(&pkt);
		vec[skb_queue_len(&list)].iov_len = n;
		__skb_queue_tail(&list, skb);
		bytes += pkt.paylen;
		burst_len += n;
		len -= n;
		if (skb_queue_len(&list) < PINRXE_XFER_BURST && len &&
		    bytes + qp->mtu + PINRXE_XFER_PKT_OVERHEAD <=
		    PINRXE_XFER_BURST_BYTES)
			continue;
		err = pinrxe_resp_read_burst(qp, mr, burst_va, burst_len,
					     &list, vec, skb_queue_len(&list));
		if (err)
			goto out;
		burst_va += burst_len;
		burst_len = 0;
		bytes = 0;
		/* A long read must not hold the CPU the requester needs. */
		if (!qp->task.atomic)
			cond_resched();
	}
	/* What was built before an allocation failed still goes. */
	if (!skb_queue_empty(&list))
		err = pinrxe_resp_read_burst(qp, mr, burst_va, burst_len,
					     &list, vec, skb_queue_len(&list));
out:
	if (mr)
		pinrxe_mr_put(mr);
	if (err == -EAGAIN)
		return PINRXE_RESP_DEFER;
	return err ? PINRXE_RESP_NAK_ACCESS : PINRXE_RESP_DONE;
}

/* A new RDMA READ request: it counts as a message done once answered. */
static int pinrxe_resp_read(struct pinrxe_qp *qp, struct pinrxe_pkt_info *pkt)
{
	int ret;

	if (pinrxe_reth_len(pkt) > PINRXE_MAX_MSG_SZ)
		return PINRXE_RESP_NAK_INV;
	/* The responses carry the MSN that counts the read. */
	qp->resp.msn++;
	ret = pinrxe_resp_read_data(qp, pkt->psn, pinrxe_reth_va(pkt),
				    pinrxe_reth_rkey(pkt),
				    pinrxe_reth_len(pkt));
	if (ret == PINRXE_RESP_DEFER)
		qp->resp.msn--;
	return ret;
}

static struct pinrxe_resp_res *
pinrxe_resp_find_atomic(struct pinrxe_qp *qp, u32 psn)
{
	int i;

	for (i = 0; i < PINRXE_MAX_RD_ATOMIC; i++)
		if (qp->resp.res[i].kind == PINRXE_ATOMIC_MASK &&
		    qp->resp.res[i].first_psn == psn)
			return &qp->resp.res[i];
	return NULL;
}

static void pinrxe_resp_atomic_ack(struct pinrxe_qp *qp, u32 psn, u64 orig)
{
	struct pinrxe_pkt_info pkt;
	struct sk_buff *skb;

	skb = pinrxe_xfer_pkt(qp, &qp->av, pinrxe_resp_transport(qp) +
			      IB_OPCODE_ATOMIC_ACKNOWLEDGE, 0, psn, false, false,
			      qp->attr.dest_qp_num, &pkt);
	if (IS_ERR(skb))
		return;
	pinrxe_aeth_set_syn(&pkt, PINRXE_ACK_SYNDROME);
	pinrxe_aeth_set_msn(&pkt, qp->resp.msn);
	pinrxe_atmack_set_orig(&pkt, orig);
	pinrxe_xfer_send(qp, skb, &pkt, &qp->av);
}

/* Compare-and-swap or fetch-and-add; the result is kept for duplicates. */
static int pinrxe_resp_atomic(struct pinrxe_qp *qp, struct pinrxe_pkt_info *pkt)
{
	u64 va = pinrxe_atmeth_va(pkt), orig;
	struct pinrxe_resp_res *res;
	struct pinrxe_mr *mr;
	bool cas;
	int err;

	mr = pinrxe_rkey_get(qp, pinrxe_atmeth_rkey(pkt),
			     IB_ACCESS_REMOTE_ATOMIC, va, sizeof(u64), &err);
	if (!mr)
		return PINRXE_RESP_NAK_ACCESS;
	cas = (pkt->opcode & 0x1f) == IB_OPCODE_COMPARE_SWAP;
	err = pinrxe_mr_atomic(mr, va, cas,
			       cas ? pinrxe_atmeth_compare(pkt) :
				     pinrxe_atmeth_swap_add(pkt),
			       pinrxe_atmeth_swap_add(pkt), &orig,
			       qp->task.atomic);
	pinrxe_mr_put(mr);
	if (err == -EAGAIN)
		return PINRXE_RESP_DEFER;	/* not done: again later */
	if (err == -EFAULT)
		return PINRXE_RESP_NAK_ACCESS;
	if (err)
		return PINRXE_RESP_NAK_INV;	/* misaligned */

	res = &qp->resp.res[qp->resp.res_head];
	qp->resp.res_head = (qp->resp.res_head + 1) % PINRXE_MAX_RD_ATOMIC;
	res->kind = PINRXE_ATOMIC_MASK;
	res->first_psn = pkt->psn;
	res->last_psn = pkt->psn;
	res->orig = orig;
	qp->resp.msn++;
	pinrxe_resp_atomic_ack(qp, pkt->psn, orig);
	return PINRXE_RESP_DONE;
}

/*
 * ATOMIC WRITE (IBA annex A19): 8 bytes placed with one store, answered by
 * an empty read response.  Nothing is kept for a duplicate: the answer
 * carries no data, so it is simply sent again.
 */
static int pinrxe_resp_atomic_write(struct pinrxe_qp *qp,
				    struct pinrxe_pkt_info *pkt)
{
	u64 va = pinrxe_reth_va(pkt), value;
	struct pinrxe_mr *mr;
	int err;

	if (pinrxe_reth_len(pkt) != sizeof(value) ||
	    pinrxe_pkt_payload_len(pkt) != sizeof(value))
		return PINRXE_RESP_NAK_INV;
	mr = pinrxe_rkey_get(qp, pinrxe_reth_rkey(pkt), IB_ACCESS_REMOTE_WRITE,
			     va, sizeof(value), &err);
	if (!mr)
		return PINRXE_RESP_NAK_ACCESS;
	memcpy(&value, pinrxe_pkt_payload(pkt), sizeof(value));
	err = pinrxe_mr_atomic_write(mr, va, value, qp->task.atomic);
	pinrxe_mr_put(mr);
	if (err == -EAGAIN)
		return PINRXE_RESP_DEFER;
	if (err == -EFAULT)
		return PINRXE_RESP_NAK_ACCESS;
	if (err)
		return PINRXE_RESP_NAK_INV;	/* misaligned */
	qp->resp.msn++;
	return pinrxe_resp_read_data(qp, pkt->psn, 0, 0, 0);
}

/*
 * A request from before the ePSN: answer it again, execute nothing new.
 * Returns true when it must wait for the work item (a read's pages).
 */
static bool pinrxe_resp_duplicate(struct pinrxe_qp *qp,
				  struct pinrxe_pkt_info *pkt)
{
	struct pinrxe_resp_res *res;

	if (pkt->mask & PINRXE_READ_MASK) {
		if (pinrxe_resp_read_data(qp, pkt->psn, pinrxe_reth_va(pkt),
					  pinrxe_reth_rkey(pkt),
					  pinrxe_reth_len(pkt)) ==
		    PINRXE_RESP_DEFER)
			return true;
		pinrxe_counter_inc(qp_pdev(qp), PINRXE_CNT_DUP_REQ);
		return false;
	}
	pinrxe_counter_inc(qp_pdev(qp), PINRXE_CNT_DUP_REQ);
	if (pkt->mask & PINRXE_ATOMIC_MASK) {
		res = pinrxe_resp_find_atomic(qp, pkt->psn);
		if (res)
			pinrxe_resp_atomic_ack(qp, pkt->psn, res->orig);
		return false;
	}
	if (pkt->mask & PINRXE_ATOMIC_WRITE_MASK) {
		pinrxe_resp_read_data(qp, pkt->psn, 0, 0, 0);
		return false;
	}
	/* A send or write that was done: the ACK for it got lost. */
	pinrxe_resp_ack(qp, PINRXE_ACK_SYNDROME,
			(qp->resp.psn - 1) & PINRXE_BTH_PSN);
	return false;
}

static int pinrxe_resp_execute(struct pinrxe_qp *qp,
			       struct pinrxe_pkt_info *pkt)
{
	int ret;

	if (!pinrxe_resp_qp_allows(qp, pkt))
		return PINRXE_RESP_NAK_INV;
	if (!pinrxe_resp_in_sequence(qp, pkt))
		return PINRXE_RESP_NAK_INV;

	if (pkt->mask & PINRXE_SEND_MASK)
		ret = pinrxe_resp_send(qp, pkt);
	else if (pkt->mask & PINRXE_WRITE_MASK)
		ret = pinrxe_resp_write(qp, pkt);
	else if (pkt->mask & PINRXE_READ_MASK)
		return pinrxe_resp_read(qp, pkt);
	else if (pkt->mask & PINRXE_ATOMIC_MASK)
		return pinrxe_resp_atomic(qp, pkt);
	else if (pkt->mask & PINRXE_ATOMIC_WRITE_MASK)
		return pinrxe_resp_atomic_write(qp, pkt);
	else
		return PINRXE_RESP_NAK_INV;

	if (ret == PINRXE_RESP_DONE || ret == PINRXE_RESP_INV_ERR) {
		qp->resp.in_msg = !(pkt->mask & PINRXE_LAST_MASK);
		qp->resp.msg_opcode_mask = pkt->mask & (PINRXE_SEND_MASK |
							PINRXE_WRITE_MASK);
		if (!qp->resp.in_msg)
			qp->resp.msn++;
	}
	return ret;
}

/* A fatal error on the receive side: the QP goes to ERR. */
static void pinrxe_resp_fatal(struct pinrxe_qp *qp, enum ib_event_type ev)
{
	pinrxe_qp_error(qp);
	pinrxe_qp_event(qp, ev);
}

/*
 * Returns true when @pkt must wait for the work item, with nothing done
 * that running it again would not do the same way.
 */
static bool pinrxe_resp_rc(struct pinrxe_qp *qp, struct pinrxe_pkt_info *pkt)
{
	int cmp = pinrxe_psn_cmp(pkt->psn, qp->resp.psn);
	int ret;

	if (cmp > 0) {
		/* A packet went missing: say so once, drop until it comes. */
		if (!qp->resp.nak_sent) {
			qp->resp.nak_sent = true;
			pinrxe_resp_nak(qp, PINRXE_NAK_PSN_SEQ_ERR,
					qp->resp.psn);
		}
		return false;
	}
	if (cmp < 0)
		return pinrxe_resp_duplicate(qp, pkt);

	ret = pinrxe_resp_execute(qp, pkt);
	if (ret == PINRXE_RESP_DEFER)
		return true;
	qp->resp.nak_sent = false;
	switch (ret) {
	case PINRXE_RESP_DONE:
	case PINRXE_RESP_INV_ERR:
		if (pkt->mask & PINRXE_READ_MASK)
			qp->resp.psn = (pkt->psn +
					(pinrxe_reth_len(pkt) ?
					 DIV_ROUND_UP(pinrxe_reth_len(pkt),
						      qp->mtu) : 1)) &
				       PINRXE_BTH_PSN;
		else
			qp->resp.psn = (pkt->psn + 1) & PINRXE_BTH_PSN;
		if ((pkt->mask & (PINRXE_SEND_MASK | PINRXE_WRITE_MASK)) &&
		    pinrxe_bth_ackreq(pkt))
			pinrxe_resp_ack(qp, PINRXE_ACK_SYNDROME, pkt->psn);
		/* Acknowledged, as it was received; then the QP fails. */
		if (ret == PINRXE_RESP_INV_ERR)
			pinrxe_resp_fatal(qp, IB_EVENT_QP_REQ_ERR);
		return false;
	case PINRXE_RESP_RNR:
		pinrxe_counter_inc(qp_pdev(qp), PINRXE_CNT_RNR_NAK_SENT);
		pinrxe_resp_ack(qp, PINRXE_AETH_RNR_NAK |
				(qp->attr.min_rnr_timer & PINRXE_AETH_VALUE),
				pkt->psn);
		/*
		 * The packets already in flight behind this one are out of
		 * sequence now.  No sequence NAK for them: it would make the
		 * requester go back at once, spending a transport retry,
		 * instead of waiting the RNR time.  The request sent again
		 * at the ePSN ends the silence.
		 */
		qp->resp.nak_sent = true;
		return false;
	case PINRXE_RESP_NAK_ACCESS:
		pinrxe_resp_nak(qp, PINRXE_NAK_REM_ACCESS_ERR, pkt->psn);
		pinrxe_resp_fatal(qp, IB_EVENT_QP_ACCESS_ERR);
		return false;
	case PINRXE_RESP_NAK_OP:
		pinrxe_resp_nak(qp, PINRXE_NAK_REM_OP_ERR, pkt->psn);
		pinrxe_resp_fatal(qp, IB_EVENT_QP_FATAL);
		return false;
	default:
		pinrxe_resp_nak(qp, PINRXE_NAK_INVALID_REQ, pkt->psn);
		pinrxe_resp_fatal(qp, IB_EVENT_QP_REQ_ERR);
		return false;
	}
}

/*
 * XRC target: the request names an XRC SRQ, which must exist, be an XRC
 * SRQ of the QP's XRC domain, and stay the same within a message.  The
 * request then runs as an RC one with the SRQ's receive WQEs, PD and CQ;
 * the SRQ is held for that time only, so that destroying it never waits
 * for the next request.  A request from before or after the ePSN that
 * names no such SRQ is a duplicate or sequence error first.  Returns true
 * when @pkt must wait for the work item, as pinrxe_resp_rc().
 */
static bool pinrxe_resp_xrc(struct pinrxe_qp *qp, struct pinrxe_pkt_info *pkt)
{
	u32 srqn = pinrxe_xrceth_srqn(pkt);
	struct pinrxe_srq *srq = pinrxe_srq_get(qp_pdev(qp), srqn);
	bool deferred;

	if (srq && (srq->ibsrq.srq_type != IB_SRQT_XRC ||
		    srq->ibsrq.ext.xrc.xrcd != qp->ibqp.xrcd ||
		    (qp->resp.in_msg && srqn != qp->resp.xrc_srqn))) {
		pinrxe_srq_put(srq);
		srq = NULL;
	}
	if (!srq && pkt->psn == qp->resp.psn) {
		pinrxe_counter_inc(qp_pdev(qp), PINRXE_CNT_XRC_BAD_SRQN);
		qp->resp.nak_sent = false;
		pinrxe_resp_nak(qp, PINRXE_NAK_INVALID_REQ, pkt->psn);
		pinrxe_resp_fatal(qp, IB_EVENT_QP_REQ_ERR);
		return false;
	}
	if (!qp->resp.in_msg)
		qp->resp.xrc_srqn = srqn;
	qp->resp.xsrq = srq;
	deferred = pinrxe_resp_rc(qp, pkt);
	qp->resp.xsrq = NULL;
	if (srq)
		pinrxe_srq_put(srq);
	return deferred;
}

/*
 * UC: no acknowledgments; a lost packet loses its message, which is
 * dropped until the next first or only packet.  Returns true when @pkt
 * must wait for the work item: the sequence state goes back to what it
 * was, so that the packet is taken the same way then.
 */
static bool pinrxe_resp_uc(struct pinrxe_qp *qp, struct pinrxe_pkt_info *pkt)
{
	struct pinrxe_resp_state *r = &qp->resp;
	u32 psn = r->psn, cur_sge = r->cur_sge, sge_offset = r->sge_offset;
	u32 msg_len = r->msg_len;
	bool in_msg = r->in_msg, drop_msg = r->drop_msg;
	int ret;

	if (pkt->psn != qp->resp.psn) {
		if (qp->resp.in_msg) {
			/* The half-filled receive WQE is used again. */
			qp->resp.in_msg = false;
			qp->resp.cur_sge = 0;
			qp->resp.sge_offset = 0;
			qp->resp.msg_len = 0;
		}
		qp->resp.drop_msg = !(pkt->mask & PINRXE_FIRST_MASK);
	}
	qp->resp.psn = (pkt->psn + 1) & PINRXE_BTH_PSN;
	if (qp->resp.drop_msg) {
		if (!(pkt->mask & PINRXE_FIRST_MASK))
			return false;
		qp->resp.drop_msg = false;
	}
	if (!pinrxe_resp_qp_allows(qp, pkt) ||
	    !pinrxe_resp_in_sequence(qp, pkt)) {
		qp->resp.drop_msg = !(pkt->mask & PINRXE_LAST_MASK);
		return false;
	}
	ret = pinrxe_resp_execute(qp, pkt);
	if (ret == PINRXE_RESP_DEFER) {
		r->psn = psn;
		r->cur_sge = cur_sge;
		r->sge_offset = sge_offset;
		r->msg_len = msg_len;
		r->in_msg = in_msg;
		r->drop_msg = drop_msg;
		return true;
	}
	/*
	 * A bad rkey or missing remote right is a class E error in UC, as
	 * rdma_rxe treats it: the message is dropped, the QP goes on.  What
	 * failed against a receive WQE (completed in error) ends the QP.
	 */
	if (ret == PINRXE_RESP_DROP || ret == PINRXE_RESP_NAK_ACCESS)
		qp->resp.drop_msg = !(pkt->mask & PINRXE_LAST_MASK);
	else if (ret != PINRXE_RESP_DONE)
		pinrxe_resp_fatal(qp, IB_EVENT_QP_FATAL);
	return false;
}

/*
 * Whether @pkt must wait for the work item rather than be executed in
 * softirq context: a read, new or duplicate, too long to answer there, or
 * a send with invalidate, whose invalidation waits for the key's users
 * (pinrxe_invalidate_rkey() sleeps).  (A request whose on-demand paging
 * pages are not resident finds out when it runs and waits then.)
 */
static bool pinrxe_resp_needs_process(struct pinrxe_qp *qp,
				      struct pinrxe_pkt_info *pkt)
{
	if (pkt->mask & PINRXE_IETH_MASK)
		return true;
	return (pkt->mask & PINRXE_READ_MASK) &&
	       pinrxe_reth_len(pkt) > PINRXE_RESP_ATOMIC_READ_PKTS * qp->mtu;
}

/**
 * pinrxe_responder() - execute one received request of a QP
 * @qp: the QP; from its task
 *
 * Return: 0 to be called again, -EAGAIN when there is nothing to do,
 * PINRXE_STAGE_DEFER when the next request waits for the work item.
 */
int pinrxe_responder(struct pinrxe_qp *qp)
{
	struct pinrxe_pkt_info *pkt;
	enum ib_qp_state state;
	bool deferred;
	struct sk_buff *skb;

	state = pinrxe_xfer_enter(qp);
	if (state == IB_QPS_RESET)
		return -EAGAIN;
	skb = pinrxe_xfer_next_pkt(qp, &qp->resp.pkts);
	if (!skb)
		return -EAGAIN;
	/* Requests count from RTR on; before, and in ERR, they are dropped. */
	if (state == IB_QPS_INIT || state == IB_QPS_ERR) {
		kfree_skb(skb);
		return 0;
	}
	pkt = pinrxe_skb_pkt(skb);
	if (qp->task.atomic && pinrxe_resp_needs_process(qp, pkt))
		goto defer;
	switch (qp->ibqp.qp_type) {
	case IB_QPT_RC:
		deferred = pinrxe_resp_rc(qp, pkt);
		break;
	case IB_QPT_XRC_TGT:
		deferred = pinrxe_resp_xrc(qp, pkt);
		break;
	case IB_QPT_UC:
		deferred = pinrxe_resp_uc(qp, pkt);
		break;
	default:
		deferred = pinrxe_resp_ud_send(qp, pkt) == PINRXE_RESP_DEFER;
		break;
	}
	if (deferred)
		goto defer;
	consume_skb(skb);
	return 0;

defer:
	/* First in line again, for the work item. */
	skb_queue_head(&qp->resp.pkts, skb);
	return PINRXE_STAGE_DEFER;
}
