/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Packets and addresses: the per-packet state the data path passes around,
 * the address vector a QP or AH sends to, and the network layer's API
 * (pinrxe_udp.c, pinrxe_recv.c, pinrxe_icrc.c, pinrxe_av.c).
 *
 * Sending a packet (requester, responder, completer):
 *
 *	skb = pinrxe_pkt_alloc(pdev, av, opcode, payload_len, &pkt);
 *	pinrxe_bth_init(&pkt, ...);		// pinrxe_hdr.h accessors
 *	pinrxe_reth_set_va(&pkt, ...);		// extension headers
 *	memcpy(pinrxe_pkt_payload(&pkt), data, payload_len);
 *	err = pinrxe_pkt_send(skb, &pkt, av, src_port);
 *
 * Packets to one address can also go together, as one GSO packet, from a
 * list of such skbs, each with its struct pinrxe_pkt_info in its skb->cb
 * (pinrxe_pkt_send_list()).  A QP keeps its route in a struct
 * pinrxe_route (pinrxe_pkt_send_route()).
 *
 * Receiving: the UDP socket validates a packet completely, fills the
 * struct pinrxe_pkt_info in skb->cb and calls pinrxe_rcv_dispatch().
 */
#ifndef PINRXE_PKT_H
#define PINRXE_PKT_H

#include <linux/hash.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/skbuff.h>
#include <rdma/ib_verbs.h>

struct pinrxe_dev;
struct pinrxe_qp;
struct pinrxe_udp;

#define PINRXE_ICRC_BYTES	4

/**
 * struct pinrxe_pkt_info - what the data path knows about one packet
 * @pdev: the device that sends or received it
 * @qp: the QP it belongs to; set on receive by the QP lookup in
 *	pinrxe_rcv_dispatch(), NULL until then
 * @hdr: the start of the BTH, in the skb's linear data
 * @mask: the opcode's PINRXE_*_MASK bits, plus PINRXE_LOOPBACK_MASK for a
 *	packet the device sent to itself
 * @psn: the BTH PSN
 * @pkey_index: the P_Key table index the packet matched (the table has one
 *	entry)
 * @paylen: bytes from the start of the BTH through the ICRC, as rdma_rxe
 *	counts it: headers, payload, pad and the 4-byte ICRC
 * @opcode: the BTH opcode
 *
 * On receive it lives in skb->cb (see pinrxe_skb_pkt()) and skb->data
 * points at the BTH.  On transmit the caller keeps it (on its stack): the
 * IP layer owns skb->cb once the packet is handed to it.
 */
struct pinrxe_pkt_info {
	struct pinrxe_dev *pdev;
	struct pinrxe_qp *qp;
	u8 *hdr;
	u32 mask;
	u32 psn;
	u16 pkey_index;
	u16 paylen;
	u8 opcode;
};

/**
 * pinrxe_skb_pkt() - the packet info of a received skb
 * @skb: a packet passed to pinrxe_rcv_dispatch() or queued after it
 *
 * Return: the struct pinrxe_pkt_info kept in @skb->cb.
 */
static inline struct pinrxe_pkt_info *pinrxe_skb_pkt(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct pinrxe_pkt_info) > sizeof(skb->cb));
	return (struct pinrxe_pkt_info *)skb->cb;
}

/**
 * pinrxe_pkt_skb() - the skb that holds a received packet's info
 * @pkt: info returned by pinrxe_skb_pkt()
 *
 * Return: the skb.
 */
static inline struct sk_buff *pinrxe_pkt_skb(struct pinrxe_pkt_info *pkt)
{
	return container_of((void *)pkt, struct sk_buff, cb);
}

/**
 * union pinrxe_ip_addr - an IPv4 or IPv6 address
 * @v4: used when the AV's network type is RDMA_NETWORK_IPV4
 * @v6: used when it is RDMA_NETWORK_IPV6
 */
union pinrxe_ip_addr {
	struct in_addr v4;
	struct in6_addr v6;
};

/**
 * struct pinrxe_av - where and how to send: a resolved RoCEv2 address
 * @network_type: RDMA_NETWORK_IPV4 or RDMA_NETWORK_IPV6, from the source
 *	GID (a v4-mapped GID means IPv4)
 * @saddr: source IP address, from the source GID
 * @daddr: destination IP address, from the destination GID
 * @dmac: next-hop MAC address resolved by ib_core; equal to the device's
 *	own MAC for a packet to itself, which then loops back internally
 * @hop_limit: IPv4 TTL or IPv6 hop limit; 0 sends the default of 64
 * @traffic_class: IPv4 TOS or IPv6 traffic class byte, DSCP and ECN bits
 * @flow_label: IPv6 flow label (20 bits)
 * @ifindex: the netdev of the source GID (the device's netdev or a VLAN
 *	on it), the output interface for the route lookup
 * @sgid_index: the source GID's table index, for query_qp/query_ah
 * @dgid: the destination GID, for query_qp/query_ah
 */
struct pinrxe_av {
	enum rdma_network_type network_type;
	union pinrxe_ip_addr saddr;
	union pinrxe_ip_addr daddr;
	u8 dmac[ETH_ALEN];
	u8 hop_limit;
	u8 traffic_class;
	u32 flow_label;
	int ifindex;
	u32 sgid_index;
	union ib_gid dgid;
};

/**
 * pinrxe_qp_src_port() - a QP's default UDP source port
 * @qpn: the QP number
 *
 * The port rdma_rxe gives a new QP, so that a pinrxe QP's flow hashes (ECMP,
 * RSS) the way the same QP of rdma_rxe would: from the dynamic range
 * 0xc000-0xffff.  Once a connected QP is given its AV (modify_qp with
 * IB_QP_AV and a GRH), rdma_rxe switches to rdma_get_udp_sport(flow_label,
 * qpn, dest_qpn) from ib_core, and pinrxe QPs should do the same.
 *
 * Return: the port, in host order.
 */
static inline u16 pinrxe_qp_src_port(u32 qpn)
{
	return IB_ROCE_UDP_ENCAP_VALID_PORT_MIN + hash_32(qpn, 14);
}

/**
 * struct pinrxe_route - the route of one address, kept for its next packet
 * @dst: the route, referenced; NULL when none is kept
 * @cookie: what dst_check() needs to tell whether it still holds (IPv6)
 *
 * A route lookup (fib rules and tables) costs about as much per packet as
 * the rest of the IP output path.  The owner of one of these (a QP) sends
 * one packet at a time and drops the route when its address changes
 * (pinrxe_route_reset()); a route that no longer holds (the routing
 * tables, addresses or netdevs changed) fails dst_check() and is looked
 * up again.
 */
struct pinrxe_route {
	struct dst_entry *dst;
	u32 cookie;
};

/* pinrxe_av.c */
int pinrxe_av_from_attr(struct pinrxe_av *av,
			const struct rdma_ah_attr *attr);

/* pinrxe_udp.c */
int pinrxe_udp_init(void);
void pinrxe_udp_exit(void);
int pinrxe_udp_open(struct pinrxe_dev *pdev);
void pinrxe_udp_close(struct pinrxe_dev *pdev);
struct sk_buff *pinrxe_pkt_alloc(struct pinrxe_dev *pdev,
				 const struct pinrxe_av *av, u8 opcode,
				 u32 payload_len, struct pinrxe_pkt_info *pkt);
int pinrxe_pkt_send(struct sk_buff *skb, struct pinrxe_pkt_info *pkt,
		    const struct pinrxe_av *av, u16 src_port);
int pinrxe_pkt_send_route(struct sk_buff *skb, struct pinrxe_pkt_info *pkt,
			  const struct pinrxe_av *av, u16 src_port,
			  struct pinrxe_route *route);
void pinrxe_route_reset(struct pinrxe_route *route);
void pinrxe_pkt_send_list(struct sk_buff_head *list,
			  const struct pinrxe_av *av, u16 src_port,
			  struct pinrxe_route *route);

/* pinrxe_icrc.c */
void pinrxe_icrc_generate(struct sk_buff *skb, struct pinrxe_pkt_info *pkt);
bool pinrxe_icrc_valid(struct sk_buff *skb, struct pinrxe_pkt_info *pkt);

/* pinrxe_recv.c */
void pinrxe_rcv(struct pinrxe_dev *pdev, struct sk_buff *skb, bool loopback);
void pinrxe_rcv_dispatch(struct sk_buff *skb);

#endif /* PINRXE_PKT_H */
