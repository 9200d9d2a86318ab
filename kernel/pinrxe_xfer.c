// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Data-path state shared by the requester, completer and responder of a
 * QP: its life cycle, the attributes modify_qp hands over, PSN arithmetic,
 * packet building, and the queues that received packets wait in.
 *
 * All three stages run from the QP's task, one at a time, so the state
 * here needs no lock; only the packet queues (filled from softirq) and the
 * timers (which only set a flag and schedule the task) cross contexts.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/jiffies.h>
#include <linux/skbuff.h>
#include <net/ipv6.h>

#include "pinrxe.h"
#include "pinrxe_counters.h"
#include "pinrxe_hdr.h"
#include "pinrxe_opcode.h"

/* More queued packets than this per QP are dropped: the QP is not keeping up. */
#define PINRXE_MAX_QUEUED_PKTS	16384

/**
 * pinrxe_psn_cmp() - compare two 24-bit PSNs
 * @a: a PSN
 * @b: a PSN
 *
 * PSNs wrap at 2^24; @a is "before" @b when it lies in the half of the
 * space behind it.
 *
 * Return: negative, zero or positive as @a is before, equal to or after @b.
 */
int pinrxe_psn_cmp(u32 a, u32 b)
{
	s32 diff = (s32)((a - b) << 8);

	return diff >> 8;
}

static void pinrxe_retrans_timer_fn(struct timer_list *t)
{
	struct pinrxe_qp *qp = from_timer(qp, t, comp.retrans_timer);

	WRITE_ONCE(qp->comp.timeout, true);
	pinrxe_task_sched(qp, PINRXE_TASK_COMP);
}

static void pinrxe_rnr_timer_fn(struct timer_list *t)
{
	struct pinrxe_qp *qp = from_timer(qp, t, comp.rnr_timer);

	WRITE_ONCE(qp->comp.rnr_wait, false);
	WRITE_ONCE(qp->req.rewind, true);
	pinrxe_task_sched(qp, PINRXE_TASK_REQ);
}

/**
 * pinrxe_xfer_init() - set up a new QP's data-path state
 * @qp: the QP, before it can receive packets
 */
void pinrxe_xfer_init(struct pinrxe_qp *qp)
{
	skb_queue_head_init(&qp->comp.pkts);
	skb_queue_head_init(&qp->resp.pkts);
	timer_setup(&qp->comp.retrans_timer, pinrxe_retrans_timer_fn, 0);
	timer_setup(&qp->comp.rnr_timer, pinrxe_rnr_timer_fn, 0);
	pinrxe_odp_fault_init(&qp->resp.fault);
}

static void pinrxe_resp_drop_msg(struct pinrxe_qp *qp)
{
	qp->resp.have_rwqe = false;
	qp->resp.in_msg = false;
	qp->resp.msg_len = 0;
	qp->resp.resid = 0;
}

/**
 * pinrxe_xfer_reset() - forget all data-path progress (QP moved to RESET)
 * @qp: the QP; from its task
 *
 * A receive WQE the responder had taken is dropped with the rest: in
 * RESET the QP's queues are emptied by definition.
 */
void pinrxe_xfer_reset(struct pinrxe_qp *qp)
{
	del_timer(&qp->comp.retrans_timer);
	del_timer(&qp->comp.rnr_timer);
	skb_queue_purge(&qp->comp.pkts);
	skb_queue_purge(&qp->resp.pkts);
	pinrxe_resp_drop_msg(qp);
	memset(qp->resp.res, 0, sizeof(qp->resp.res));
	qp->resp.res_head = 0;
	qp->resp.nak_sent = false;
	qp->resp.drop_msg = false;
	qp->req.index = qp->sq.head;
	qp->req.rd_atomic = 0;
	qp->req.rd_bytes = 0;
	qp->req.pkts_since_ack = 0;
	qp->req.rewind = false;
	qp->comp.timeout = false;
	qp->comp.rnr_wait = false;
	qp->comp.retry_pending = false;
}

/**
 * pinrxe_xfer_cleanup() - release the data-path state of a QP being
 *	destroyed
 * @qp: the QP; its task is drained and no packet can reach it any more
 */
void pinrxe_xfer_cleanup(struct pinrxe_qp *qp)
{
	timer_shutdown_sync(&qp->comp.retrans_timer);
	timer_shutdown_sync(&qp->comp.rnr_timer);
	pinrxe_odp_fault_cancel(&qp->resp.fault);
	skb_queue_purge(&qp->comp.pkts);
	skb_queue_purge(&qp->resp.pkts);
	pinrxe_route_reset(&qp->req.route);
}

/*
 * pinrxe_xfer_sync() - take over attributes modify_qp changed
 * @qp: the QP; from its task
 *
 * modify_qp writes qp->attr with the task stopped and records what it set
 * in attr_changed; the stages pick the changes up here before they act.
 */
static void pinrxe_xfer_sync(struct pinrxe_qp *qp)
{
	u32 changed = qp->attr_changed;

	if (!changed)
		return;
	qp->attr_changed = 0;
	/* modify_qp resolved the path into qp->av when it checked it. */
	if (changed & IB_QP_AV) {
		qp->req.av_valid = true;
		pinrxe_route_reset(&qp->req.route);
	}
	if (changed & IB_QP_SQ_PSN) {
		qp->req.psn = qp->attr.sq_psn & PINRXE_BTH_PSN;
		qp->comp.psn = qp->req.psn;
	}
	if (changed & IB_QP_RQ_PSN)
		qp->resp.psn = qp->attr.rq_psn & PINRXE_BTH_PSN;
	if (changed & IB_QP_RETRY_CNT)
		qp->comp.retry_cnt = qp->attr.retry_cnt;
	if (changed & IB_QP_RNR_RETRY)
		qp->comp.rnr_retry = qp->attr.rnr_retry;
}

/**
 * pinrxe_xfer_enter() - what every stage does first
 * @qp: the QP; from its task
 *
 * Takes over changed attributes and, in RESET, drops all progress.
 *
 * Return: the QP state the stage is to act on; nothing to do in RESET.
 */
enum ib_qp_state pinrxe_xfer_enter(struct pinrxe_qp *qp)
{
	enum ib_qp_state state;

	pinrxe_xfer_sync(qp);
	state = READ_ONCE(qp->state);
	if (state == IB_QPS_RESET)
		pinrxe_xfer_reset(qp);
	return state;
}

/**
 * pinrxe_xfer_retrans_jiffies() - a QP's retransmission timeout
 * @qp: an RC QP with a nonzero attr.timeout (0 means wait forever)
 *
 * Return: 4.096 us * 2^timeout, but at least 10 ms: a software device on a
 * busy host can take that long to answer without anything being lost.
 */
unsigned long pinrxe_xfer_retrans_jiffies(struct pinrxe_qp *qp)
{
	unsigned long usecs = (4096UL << min_t(u8, qp->attr.timeout, 31)) /
			      1000;

	return usecs_to_jiffies(max(usecs, 10000UL));
}

/**
 * pinrxe_qp_rcv() - queue a received packet for the QP's task
 * @qp: the QP, referenced by the caller
 * @skb: the packet, validated, its pinrxe_pkt_info in skb->cb
 *
 * Called from softirq.  Requests go to the responder, responses (ACKs,
 * read responses, atomic ACKs) to the completer.
 */
void pinrxe_qp_rcv(struct pinrxe_qp *qp, struct sk_buff *skb)
{
	struct pinrxe_pkt_info *pkt = pinrxe_skb_pkt(skb);
	struct sk_buff_head *q;
	unsigned long what;
	bool full;

	if (pkt->mask & PINRXE_REQ_MASK) {
		q = &qp->resp.pkts;
		what = PINRXE_TASK_RESP;
	} else {
		q = &qp->comp.pkts;
		what = PINRXE_TASK_COMP;
	}
	/*
	 * The queues are only used from softirq and the QP's task: bottom
	 * halves off is enough, and cheaper than skb_queue_tail()'s
	 * interrupts off on every packet.
	 */
	spin_lock_bh(&q->lock);
	full = skb_queue_len(q) >= PINRXE_MAX_QUEUED_PKTS;
	if (!full)
		__skb_queue_tail(q, skb);
	spin_unlock_bh(&q->lock);
	if (full) {
		pinrxe_counter_inc(to_pdev(qp->ibqp.device), PINRXE_CNT_DROP_QP_BUSY);
		kfree_skb(skb);
		return;
	}
	/* In this softirq when the QP is idle: no hand-off to a worker. */
	pinrxe_task_run(qp, what, true);
}

/*
 * A connected QP takes packets only from the other end of its path: the
 * IP source must be the path's destination and the IP destination its
 * source (IBA 17.2.3's check of the GRH's GIDs, which RoCEv2 carries as
 * IP addresses).  Anyone on the network can address a QP number; without
 * this, any host could inject into a connection whose PSN it guesses.
 * The path is stable here: modify_qp changes it with the task stopped.
 * Packets a device sends itself come from its own address, which is then
 * also the path's destination, so loopback passes the same check.
 */
static bool pinrxe_xfer_path_ok(struct pinrxe_qp *qp, struct sk_buff *skb)
{
	const struct pinrxe_av *av = &qp->av;

	if (pinrxe_qp_is_ud(qp))
		return true;
	if (ip_hdr(skb)->version == 4)
		return av->network_type == RDMA_NETWORK_IPV4 &&
		       ip_hdr(skb)->saddr == av->daddr.v4.s_addr &&
		       ip_hdr(skb)->daddr == av->saddr.v4.s_addr;
	return av->network_type == RDMA_NETWORK_IPV6 &&
	       ipv6_addr_equal(&ipv6_hdr(skb)->saddr, &av->daddr.v6) &&
	       ipv6_addr_equal(&ipv6_hdr(skb)->daddr, &av->saddr.v6);
}

/**
 * pinrxe_xfer_next_pkt() - take the oldest packet of a receive queue
 * @qp: the QP whose queue it is; from its task
 * @q: qp->resp.pkts or qp->comp.pkts
 *
 * Packets of a connected QP that do not come from its path are dropped
 * and counted here, where the path cannot change under the check.
 *
 * Return: the packet, or NULL when there is none.
 */
struct sk_buff *pinrxe_xfer_next_pkt(struct pinrxe_qp *qp,
				     struct sk_buff_head *q)
{
	struct sk_buff *skb;

	for (;;) {
		spin_lock_bh(&q->lock);
		skb = __skb_dequeue(q);
		spin_unlock_bh(&q->lock);
		if (!skb || pinrxe_xfer_path_ok(qp, skb))
			return skb;
		pinrxe_counter_inc(to_pdev(qp->ibqp.device),
				   PINRXE_CNT_DROP_PATH);
		kfree_skb(skb);
	}
}

/**
 * pinrxe_xfer_pkt() - allocate a packet of a QP and write its BTH
 * @qp: the sending QP
 * @av: where it goes
 * @opcode: BTH opcode
 * @payload_len: payload bytes the caller will fill in
 * @psn: BTH PSN
 * @ackreq: ask for an acknowledgment
 * @se: solicited event
 * @dest_qpn: the destination QP number
 * @pkt: filled in: the packet's info, for the extension headers
 *
 * Return: the packet, or an ERR_PTR.
 */
struct sk_buff *pinrxe_xfer_pkt(struct pinrxe_qp *qp,
				const struct pinrxe_av *av, u8 opcode,
				u32 payload_len, u32 psn, bool ackreq, bool se,
				u32 dest_qpn, struct pinrxe_pkt_info *pkt)
{
	struct sk_buff *skb;

	skb = pinrxe_pkt_alloc(to_pdev(qp->ibqp.device), av, opcode,
			       payload_len, pkt);
	if (IS_ERR(skb))
		return skb;
	pkt->qp = qp;
	pkt->psn = psn;
	pinrxe_bth_init(pkt, se, false, PINRXE_DEFAULT_PKEY, dest_qpn, ackreq,
			psn);
	return skb;
}

/**
 * pinrxe_xfer_send() - send a packet built with pinrxe_xfer_pkt()
 * @qp: the sending QP
 * @skb: the packet; consumed
 * @pkt: its info
 * @av: where it goes
 *
 * A packet that cannot be sent (no route, no memory) is lost like one
 * dropped on the wire: reliable QPs retransmit it.
 */
void pinrxe_xfer_send(struct pinrxe_qp *qp, struct sk_buff *skb,
		      struct pinrxe_pkt_info *pkt, const struct pinrxe_av *av)
{
	/* The QP's own path keeps its route; a UD AH's is looked up. */
	pinrxe_pkt_send_route(skb, pkt, av, qp->src_port,
			      av == &qp->av ? &qp->req.route : NULL);
}

/**
 * pinrxe_xfer_send_list() - send packets built with pinrxe_xfer_pkt()
 *	together, to the QP's path
 * @qp: the sending QP, connected
 * @list: the packets, in order, each with its struct pinrxe_pkt_info in
 *	its skb->cb; emptied
 *
 * As pinrxe_xfer_send() each, but one trip through the IP layer and the
 * netdev for all (pinrxe_pkt_send_list()).
 */
void pinrxe_xfer_send_list(struct pinrxe_qp *qp, struct sk_buff_head *list)
{
	pinrxe_pkt_send_list(list, &qp->av, qp->src_port, &qp->req.route);
}

/**
 * pinrxe_xfer_skip() - advance an SGE position by a number of bytes
 * @sge: the list
 * @num_sge: its length
 * @cur_sge: in/out position
 * @sge_offset: in/out position
 * @len: bytes to skip
 */
void pinrxe_xfer_skip(const struct pinrxe_sge *sge, u32 num_sge, u32 *cur_sge,
		      u32 *sge_offset, u32 len)
{
	while (len && *cur_sge < num_sge) {
		u32 n = min(len, sge[*cur_sge].length - *sge_offset);

		*sge_offset += n;
		len -= n;
		if (*sge_offset == sge[*cur_sge].length) {
			(*cur_sge)++;
			*sge_offset = 0;
		}
	}
}
