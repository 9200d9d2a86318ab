// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The receive side of the transport: every packet the UDP socket (or the
 * device's own loopback) delivers is checked in full against the opcode
 * table before any field past the BTH is used, then dispatched to its QP.
 * A packet that fails is dropped and counted under the first reason found.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/ipv6.h>
#include <rdma/ib_addr.h>
#include <rdma/ib_cache.h>

#include "pinrxe.h"
#include "pinrxe_hdr.h"

/*
 * The IP stack delivers to the socket any packet for any local address in
 * the namespace, whatever netdev it came in on.  Like rdma_rxe, take only
 * those sent to one of the device's GIDs, or to a multicast group.  A
 * looped-back packet may carry a GID of a VLAN on the netdev: any netdev
 * of the device matches then.
 */
static bool pinrxe_rcv_dst_ok(struct pinrxe_dev *pdev, struct sk_buff *skb,
			      bool loopback)
{
	const struct ib_gid_attr *attr;
	union ib_gid dgid;

	if (ip_hdr(skb)->version == 4)
		ipv6_addr_set_v4mapped(ip_hdr(skb)->daddr,
				       (struct in6_addr *)dgid.raw);
	else
		memcpy(dgid.raw, &ipv6_hdr(skb)->daddr, sizeof(dgid.raw));
	if (rdma_is_multicast_addr((struct in6_addr *)dgid.raw))
		return true;
	attr = rdma_find_gid_by_port(&pdev->ib_dev, &dgid,
				     IB_GID_TYPE_ROCE_UDP_ENCAP, PINRXE_PORT,
				     loopback ? NULL : skb->dev);
	if (IS_ERR(attr))
		return false;
	rdma_put_gid_attr(attr);
	return true;
}

/*
 * Check everything the opcode table says about the packet's length.
 * Return: 0 or the counter to charge the drop to.
 */
static enum pinrxe_counter pinrxe_rcv_check(struct pinrxe_pkt_info *pkt)
{
	const struct pinrxe_opcode_info *info;
	unsigned int min;

	if (pinrxe_bth_tver(pkt) != PINRXE_TVER)
		return PINRXE_CNT_DROP_VERSION;

	info = &pinrxe_opcode[pinrxe_bth_opcode(pkt)];
	if (!info->name)
		return PINRXE_CNT_DROP_UNKNOWN_OPCODE;
	if (!info->supported)
		return PINRXE_CNT_DROP_UNSUPPORTED_OPCODE;

	/*
	 * Headers, pad and ICRC must fit; the pad makes the whole a multiple
	 * of four bytes (IBA 9.2.4); an opcode without payload has neither
	 * payload nor pad.
	 */
	min = info->length + pinrxe_bth_pad(pkt) + PINRXE_ICRC_BYTES;
	if (pkt->paylen < min || pkt->paylen % 4)
		return PINRXE_CNT_DROP_LENGTH;
	if (!(info->mask & PINRXE_PAYLOAD_MASK) && pkt->paylen != min)
		return PINRXE_CNT_DROP_LENGTH;
	return 0;
}

/**
 * pinrxe_rcv() - validate a received RoCEv2 packet and dispatch it
 * @pdev: the device it arrived on; the caller holds it for the call
 * @skb: the packet, linear, with skb->data at the UDP header and the
 *	network and transport header offsets set; consumed
 * @loopback: the device sent it to itself
 *
 * Called in softirq context, or with bottom halves disabled for loopback.
 */
void pinrxe_rcv(struct pinrxe_dev *pdev, struct sk_buff *skb, bool loopback)
{
	struct pinrxe_pkt_info *pkt = pinrxe_skb_pkt(skb);
	struct udphdr *udph = udp_hdr(skb);
	enum pinrxe_counter why;
	unsigned int ulen;

	memset(pkt, 0, sizeof(*pkt));
	pkt->pdev = pdev;

	/* The UDP layer has trimmed the datagram to the UDP length already. */
	ulen = ntohs(udph->len);
	if (ulen != skb->len ||
	    ulen < sizeof(*udph) + PINRXE_BTH_BYTES + PINRXE_ICRC_BYTES) {
		why = PINRXE_CNT_DROP_UDP_LEN;
		goto drop;
	}
	pkt->hdr = skb->data + sizeof(*udph);
	pkt->paylen = ulen - sizeof(*udph);

	why = pinrxe_rcv_check(pkt);
	if (why)
		goto drop;
	pkt->opcode = pinrxe_bth_opcode(pkt);
	pkt->mask = pinrxe_opcode[pkt->opcode].mask;
	if (loopback)
		pkt->mask |= PINRXE_LOOPBACK_MASK;
	pkt->psn = pinrxe_bth_psn(pkt);

	if (!pinrxe_icrc_valid(skb, pkt)) {
		why = PINRXE_CNT_DROP_ICRC;
		goto drop;
	}
	if (!pinrxe_rcv_dst_ok(pdev, skb, loopback)) {
		why = PINRXE_CNT_DROP_DST_ADDR;
		goto drop;
	}

	pinrxe_counter_inc(pdev, PINRXE_CNT_RCVD_PKTS);
	pinrxe_counter_add(pdev, PINRXE_CNT_RCVD_BYTES, pkt->paylen);
	/* From here on skb->data is the BTH, as pkt->hdr. */
	__skb_pull(skb, sizeof(*udph));
	pinrxe_rcv_dispatch(skb);
	return;

drop:
	pinrxe_counter_inc(pdev, why);
	kfree_skb(skb);
}

/*
 * The IBA's P_Key match against the one table entry, the default
 * full-member key: the same partition, and not two limited members.
 */
static bool pinrxe_rcv_pkey_ok(struct pinrxe_pkt_info *pkt)
{
	u16 pkey = pinrxe_bth_pkey(pkt);

	if ((pkey & 0x7fff) == 0 ||
	    (pkey & 0x7fff) != (PINRXE_DEFAULT_PKEY & 0x7fff) ||
	    !((pkey | PINRXE_DEFAULT_PKEY) & 0x8000))
		return false;
	pkt->pkey_index = 0;
	return true;
}

/*
 * The QP type a packet's transport is for; QP1 is a UD QP.  XRC requests
 * go to target QPs, XRC responses to initiators.
 */
static bool pinrxe_rcv_type_ok(struct pinrxe_qp *qp,
			       struct pinrxe_pkt_info *pkt)
{
	switch (pinrxe_opcode_transport(pkt->opcode)) {
	case IB_OPCODE_RC:
		return qp->ibqp.qp_type == IB_QPT_RC;
	case IB_OPCODE_UC:
		return qp->ibqp.qp_type == IB_QPT_UC;
	case PINRXE_OPCODE_XRC:
		return qp->ibqp.qp_type == (pkt->mask & PINRXE_REQ_MASK ?
					    IB_QPT_XRC_TGT : IB_QPT_XRC_INI);
	default:
		return pinrxe_qp_is_ud(qp);
	}
}

/**
 * pinrxe_rcv_dispatch() - hand a valid packet to its QP
 * @skb: the packet, consumed; skb->data is the BTH, pinrxe_skb_pkt(@skb)
 *	is filled in except for qp, and the network header is still there
 *	for checks of the IP addresses
 *
 * Everything pinrxe_rcv() checked holds: known and supported opcode,
 * lengths that fit, valid ICRC, a destination address of this device.
 * What is left is the P_Key, checked here, and the QP: whether it exists
 * and has the packet's type, checked here, then its state, the Q_Key and
 * the source address of a connected QP.
 */
void pinrxe_rcv_dispatch(struct sk_buff *skb)
{
	struct pinrxe_pkt_info *pkt = pinrxe_skb_pkt(skb);
	struct pinrxe_qp *qp;

	if (!pinrxe_rcv_pkey_ok(pkt)) {
		pinrxe_counter_inc(pkt->pdev, PINRXE_CNT_DROP_PKEY);
		kfree_skb(skb);
		return;
	}
	/*
	 * QP1, the GSI QP, is found under its own number.  No QP0 (RoCE
	 * has none) and no multicast yet: those find no QP.
	 */
	qp = pinrxe_qp_get(pkt->pdev, pinrxe_bth_qpn(pkt));
	if (!qp) {
		pinrxe_counter_inc(pkt->pdev, PINRXE_CNT_DROP_NO_QP);
		kfree_skb(skb);
		return;
	}
	if (!pinrxe_rcv_type_ok(qp, pkt)) {
		pinrxe_counter_inc(pkt->pdev, PINRXE_CNT_DROP_QP_TYPE);
		kfree_skb(skb);
	} else {
		pkt->qp = qp;
		pinrxe_qp_rcv(qp, skb);
	}
	pinrxe_qp_put(qp);
}
