// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The invariant CRC (IBA vol. 1 7.8.1, annex A17.3.3 for RoCEv2).
 *
 * The ICRC is the standard CRC-32 (the Ethernet polynomial, reflected,
 * complemented) over a pseudo packet: 64 one-bits standing in for the
 * InfiniBand LRH that RoCEv2 does not carry, then the IP header, the UDP
 * header, the BTH and everything after it up to the ICRC.  Fields that
 * routers and switches may change on the way are replaced by ones before
 * summing:
 *
 *   IPv4: type of service (DSCP and ECN), time to live, header checksum
 *   IPv6: traffic class, flow label, hop limit
 *   UDP:  checksum
 *   BTH:  the byte before the destination QP (FECN, BECN, reserved)
 *
 * Everything else is covered, the IPv4 identification and flags included,
 * so a packet whose addresses or lengths change on the way is rejected.
 * The CRC's complement goes on the wire least significant byte first,
 * which is what rdma_rxe writes on a little-endian host and what hardware
 * RoCE NICs expect.
 */
#include <linux/crc32.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/checksum.h>

#include "pinrxe_hdr.h"
#include "pinrxe_pkt.h"

/* Longest IP header summed: IPv4 with the most options. */
#define PINRXE_ICRC_MAX_IPHDR	60

static u32 pinrxe_icrc_compute(struct sk_buff *skb,
			       struct pinrxe_pkt_info *pkt)
{
	static const u8 masked_lrh[8] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	u8 ip[PINRXE_ICRC_MAX_IPHDR];
	struct pinrxe_bth bth;
	struct udphdr udph;
	unsigned int iplen;
	u32 crc;

	if (ip_hdr(skb)->version == 4) {
		struct iphdr *iph = (struct iphdr *)ip;

		iplen = ip_hdrlen(skb);
		memcpy(ip, ip_hdr(skb), iplen);
		iph->tos = 0xff;
		iph->ttl = 0xff;
		iph->check = CSUM_MANGLED_0;
	} else {
		struct ipv6hdr *ip6h = (struct ipv6hdr *)ip;

		/*
		 * Extension headers are not summed: the UDP header is
		 * summed where it really is, not assumed to follow.
		 */
		iplen = sizeof(*ip6h);
		memcpy(ip, ipv6_hdr(skb), iplen);
		ip6h->priority = 0xf;
		memset(ip6h->flow_lbl, 0xff, sizeof(ip6h->flow_lbl));
		ip6h->hop_limit = 0xff;
	}
	memcpy(&udph, udp_hdr(skb), sizeof(udph));
	udph.check = CSUM_MANGLED_0;
	memcpy(&bth, pkt->hdr, sizeof(bth));
	bth.qpn |= cpu_to_be32(~(u32)PINRXE_BTH_QPN);

	crc = crc32_le(~0U, masked_lrh, sizeof(masked_lrh));
	crc = crc32_le(crc, ip, iplen);
	crc = crc32_le(crc, (u8 *)&udph, sizeof(udph));
	crc = crc32_le(crc, (u8 *)&bth, sizeof(bth));
	/* Extension headers, payload and pad. */
	crc = crc32_le(crc, pkt->hdr + PINRXE_BTH_BYTES,
		       pkt->paylen - PINRXE_BTH_BYTES - PINRXE_ICRC_BYTES);
	return ~crc;
}

static __le32 *pinrxe_icrc_field(struct pinrxe_pkt_info *pkt)
{
	return (__le32 *)(pkt->hdr + pkt->paylen - PINRXE_ICRC_BYTES);
}

/**
 * pinrxe_icrc_generate() - fill in the ICRC of a packet to send
 * @skb: the packet, with its IP and UDP headers built (network and
 *	transport header offsets set)
 * @pkt: its info; @pkt->paylen includes the ICRC's four bytes
 *
 * Must run after every covered field is final: the IP length and
 * identification, the UDP length and all of the transport packet.
 */
void pinrxe_icrc_generate(struct sk_buff *skb, struct pinrxe_pkt_info *pkt)
{
	put_unaligned_le32(pinrxe_icrc_compute(skb, pkt),
			   pinrxe_icrc_field(pkt));
}

/**
 * pinrxe_icrc_valid() - check the ICRC of a received packet
 * @skb: the packet, with network and transport header offsets set
 * @pkt: its info, with @pkt->hdr, @pkt->paylen and @pkt->opcode already
 *	checked against the packet's length
 *
 * Return: true when the ICRC in the packet matches its contents.
 */
bool pinrxe_icrc_valid(struct sk_buff *skb, struct pinrxe_pkt_info *pkt)
{
	return pinrxe_icrc_compute(skb, pkt) ==
	       get_unaligned_le32(pinrxe_icrc_field(pkt));
}
