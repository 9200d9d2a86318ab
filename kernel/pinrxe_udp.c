// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * RoCEv2 over UDP: the receiving sockets and the IP/UDP encapsulation of
 * packets to send.
 *
 * RoCEv2 has one well-known UDP port, 4791, for every QP, so each network
 * namespace that has pinrxe devices gets one pair of UDP tunnel sockets
 * (IPv4 and IPv6) bound to it: opened with the first device whose netdev
 * is in the namespace, closed with the last.  A packet that arrives is
 * matched to a device by the netdev it came in on.  rdma_rxe holds the
 * same port in the initial namespace, so the two cannot share one; a
 * device there fails with -EADDRINUSE while rdma_rxe is loaded.
 */
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/mutex.h>
#include <linux/udp.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/ip6_fib.h>
#include <net/ipv6.h>
#include <net/ipv6_stubs.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/route.h>
#include <net/udp_tunnel.h>

#include "pinrxe.h"
#include "pinrxe_hdr.h"

/**
 * struct pinrxe_udp - the RoCEv2 sockets of one network namespace
 * @net: the namespace; NULL once it is gone
 * @sk4: the IPv4 socket
 * @sk6: the IPv6 socket; NULL when the kernel has no IPv6
 * @users: devices using the sockets
 *
 * All fields are under pinrxe_udp_mutex.
 */
struct pinrxe_udp {
	struct net *net;
	struct socket *sk4;
	struct socket *sk6;
	unsigned int users;
};

/* What the netns core keeps per namespace for us. */
struct pinrxe_udp_net {
	struct pinrxe_udp *udp;
};

static unsigned int pinrxe_udp_net_id __read_mostly;
/* Serialises opening, closing and namespace exit. */
static DEFINE_MUTEX(pinrxe_udp_mutex);

/*
 * A packet for port 4791 in a namespace with pinrxe devices.  Runs in
 * softirq context; returns 0: the packet is always consumed.
 */
static int pinrxe_udp_encap_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct net_device *ndev = skb->dev;
	struct pinrxe_dev *pdev;

	pdev = pinrxe_get_dev_by_netdev(ndev);
	/* GIDs of a VLAN on the device's netdev belong to the device. */
	if (!pdev && is_vlan_dev(ndev))
		pdev = pinrxe_get_dev_by_netdev(vlan_dev_real_dev(ndev));
	if (!pdev) {
		/* Not for a pinrxe device: no device to count it on. */
		kfree_skb(skb);
		return 0;
	}
	/* The header accessors and the ICRC want the packet in one piece. */
	if (skb_linearize(skb)) {
		pinrxe_counter_inc(pdev, PINRXE_CNT_DROP_NOMEM);
		kfree_skb(skb);
	} else {
		pinrxe_rcv(pdev, skb, false);
	}
	pinrxe_put_dev(pdev);
	return 0;
}

static struct socket *pinrxe_udp_sock_create(struct net *net, bool ipv6)
{
	struct udp_port_cfg cfg = {
		.local_udp_port = htons(ROCE_V2_UDP_DPORT),
	};
	struct udp_tunnel_sock_cfg tcfg = {
		/* Any non-zero type: it only turns encapsulation on. */
		.encap_type = 1,
		.encap_rcv = pinrxe_udp_encap_rcv,
	};
	struct socket *sock;
	int err;

	if (ipv6) {
		cfg.family = AF_INET6;
		/* IPv4 goes to the IPv4 socket, not as v4-mapped here. */
		cfg.ipv6_v6only = 1;
		/*
		 * use_udp6_rx_checksums stays 0: accept a zero UDP checksum
		 * over IPv6, which rdma_rxe sends; the ICRC protects the
		 * packet.
		 */
	} else {
		cfg.family = AF_INET;
	}
	err = udp_sock_create(net, &cfg, &sock);
	if (err)
		return ERR_PTR(err);
	setup_udp_tunnel_sock(net, sock, &tcfg);
	return sock;
}

static void pinrxe_udp_sock_release(struct pinrxe_udp *udp)
{
	if (udp->sk6)
		udp_tunnel_sock_release(udp->sk6);
	if (udp->sk4)
		udp_tunnel_sock_release(udp->sk4);
	udp->sk4 = NULL;
	udp->sk6 = NULL;
}

static int pinrxe_udp_create(struct pinrxe_udp *udp, struct net *net,
			     struct net_device *ndev)
{
	struct socket *sock;

	sock = pinrxe_udp_sock_create(net, false);
	if (IS_ERR(sock))
		goto err;
	udp->sk4 = sock;
	sock = pinrxe_udp_sock_create(net, true);
	if (PTR_ERR(sock) == -EAFNOSUPPORT) {
		pr_warn("pinrxe: no IPv6 in the kernel, RoCEv2 over IPv4 only\n");
	} else if (IS_ERR(sock)) {
		pinrxe_udp_sock_release(udp);
		goto err;
	} else {
		udp->sk6 = sock;
	}
	return 0;

err:
	if (PTR_ERR(sock) == -EADDRINUSE)
		pr_err("pinrxe: UDP port %u is already in use in the network namespace of %s (rdma_rxe binds it in the initial namespace when loaded)\n",
		       ROCE_V2_UDP_DPORT, ndev->name);
	else
		pr_err("pinrxe: cannot open UDP port %u in the network namespace of %s: %ld\n",
		       ROCE_V2_UDP_DPORT, ndev->name, PTR_ERR(sock));
	return PTR_ERR(sock);
}

/**
 * pinrxe_udp_open() - give a new device the sockets of its namespace
 * @pdev: the device, bound to its netdev, not yet registered
 *
 * Opens the namespace's sockets when @pdev is its first device.  Undone by
 * pinrxe_udp_close().
 *
 * Return: 0, -EADDRINUSE when another socket (rdma_rxe's) holds the port,
 * or another error of socket creation.
 */
int pinrxe_udp_open(struct pinrxe_dev *pdev)
{
	struct net *net = dev_net(pdev->ndev);
	struct pinrxe_udp_net *un = net_generic(net, pinrxe_udp_net_id);
	struct pinrxe_udp *udp;
	int err;

	mutex_lock(&pinrxe_udp_mutex);
	udp = un->udp;
	if (!udp) {
		udp = kzalloc(sizeof(*udp), GFP_KERNEL);
		if (!udp) {
			err = -ENOMEM;
			goto out;
		}
		err = pinrxe_udp_create(udp, net, pdev->ndev);
		if (err) {
			kfree(udp);
			goto out;
		}
		udp->net = net;
		un->udp = udp;
	}
	udp->users++;
	pdev->udp = udp;
	err = 0;
out:
	mutex_unlock(&pinrxe_udp_mutex);
	return err;
}

/**
 * pinrxe_udp_close() - drop a device's use of its namespace's sockets
 * @pdev: the device, unregistered; nothing if it never opened them
 *
 * The last device of the namespace closes them, which waits for a
 * receive in progress to finish.
 */
void pinrxe_udp_close(struct pinrxe_dev *pdev)
{
	struct pinrxe_udp *udp = pdev->udp;

	if (!udp)
		return;
	pdev->udp = NULL;
	mutex_lock(&pinrxe_udp_mutex);
	if (--udp->users == 0) {
		pinrxe_udp_sock_release(udp);
		if (udp->net) {
			struct pinrxe_udp_net *un;

			un = net_generic(udp->net, pinrxe_udp_net_id);
			un->udp = NULL;
		}
		kfree(udp);
	}
	mutex_unlock(&pinrxe_udp_mutex);
}

/*
 * A namespace going away.  Its netdevs are unregistered before this runs
 * and wait for their devices to let go, so normally no socket is left.
 * Sockets can outlive their devices' netdevs in the namespace when a netdev
 * moved to another namespace while its device was being created or was
 * already on its way out: close them now, as kernel sockets do not keep a
 * namespace alive, and let the last device free the rest.
 */
static void __net_exit pinrxe_udp_net_exit(struct net *net)
{
	struct pinrxe_udp_net *un = net_generic(net, pinrxe_udp_net_id);

	mutex_lock(&pinrxe_udp_mutex);
	if (un->udp) {
		pinrxe_udp_sock_release(un->udp);
		un->udp->net = NULL;
		un->udp = NULL;
	}
	mutex_unlock(&pinrxe_udp_mutex);
}

static struct pernet_operations pinrxe_udp_net_ops = {
	.exit = pinrxe_udp_net_exit,
	.id = &pinrxe_udp_net_id,
	.size = sizeof(struct pinrxe_udp_net),
};

/**
 * pinrxe_udp_init() - set up per-namespace socket tracking at module load
 *
 * Return: 0 or the error of registering the pernet operations.
 */
int pinrxe_udp_init(void)
{
	return register_pernet_subsys(&pinrxe_udp_net_ops);
}

/**
 * pinrxe_udp_exit() - undo pinrxe_udp_init() at module unload, once every
 * device is gone
 */
void pinrxe_udp_exit(void)
{
	unregister_pernet_subsys(&pinrxe_udp_net_ops);
}

/**
 * pinrxe_pkt_alloc() - allocate a packet to send
 * @pdev: the sending device
 * @av: where it goes; only its network type is used here
 * @opcode: the BTH opcode, supported by the driver
 * @payload_len: bytes of payload; 0 for an opcode without payload
 * @pkt: filled in: @pkt->hdr points at the BTH, zeroed through the
 *	headers, with the opcode, pad count and transport version set
 *
 * The skb has room for the UDP, IP and link-layer headers in front and
 * holds the transport headers, the payload, the pad and the ICRC, in that
 * order; the caller fills in headers and payload with the pinrxe_hdr.h
 * accessors and pinrxe_pkt_payload(), then calls pinrxe_pkt_send().
 * GFP_ATOMIC: the requester and responder may run in softirq context.
 *
 * Return: the skb, or ERR_PTR(-EOPNOTSUPP) for an opcode the driver does
 * not send, -EINVAL for payload on an opcode that has none, -EMSGSIZE for
 * a packet longer than a UDP datagram, -ENOMEM.
 */
struct sk_buff *pinrxe_pkt_alloc(struct pinrxe_dev *pdev,
				 const struct pinrxe_av *av, u8 opcode,
				 u32 payload_len, struct pinrxe_pkt_info *pkt)
{
	const struct pinrxe_opcode_info *info = &pinrxe_opcode[opcode];
	struct net_device *ndev = pdev->ndev;
	unsigned int pad, paylen, head;
	struct sk_buff *skb;

	if (!info->supported)
		return ERR_PTR(-EOPNOTSUPP);
	if (payload_len && !(info->mask & PINRXE_PAYLOAD_MASK))
		return ERR_PTR(-EINVAL);
	if (payload_len > U16_MAX)
		return ERR_PTR(-EMSGSIZE);
	pad = -payload_len & 3;
	paylen = info->length + payload_len + pad + PINRXE_ICRC_BYTES;
	if (paylen > U16_MAX - sizeof(struct udphdr))
		return ERR_PTR(-EMSGSIZE);

	head = LL_RESERVED_SPACE(ndev) + sizeof(struct udphdr) +
	       (av->network_type == RDMA_NETWORK_IPV4 ?
		sizeof(struct iphdr) : sizeof(struct ipv6hdr));
	skb = alloc_skb(head + paylen, GFP_ATOMIC);
	if (!skb)
		return ERR_PTR(-ENOMEM);
	skb_reserve(skb, head);
	skb->dev = ndev;
	skb->protocol = htons(av->network_type == RDMA_NETWORK_IPV4 ?
			      ETH_P_IP : ETH_P_IPV6);

	memset(pkt, 0, sizeof(*pkt));
	pkt->pdev = pdev;
	pkt->opcode = opcode;
	pkt->mask = info->mask;
	pkt->paylen = paylen;
	pkt->hdr = skb_put(skb, paylen);
	/* Headers zeroed; the pad goes out as zeros, the ICRC is set later. */
	memset(pkt->hdr, 0, info->length);
	memset(pkt->hdr + paylen - PINRXE_ICRC_BYTES - pad, 0,
	       pad + PINRXE_ICRC_BYTES);
	pinrxe_bth_set_opcode(pkt, opcode);
	pinrxe_bth_set_pad(pkt, pad);
	pinrxe_bth_set_tver(pkt, PINRXE_TVER);
	return skb;
}

static struct dst_entry *pinrxe_route4(struct net *net,
				       const struct pinrxe_av *av, u16 sport)
{
	struct flowi4 fl4 = {
		.flowi4_oif = av->ifindex,
		.flowi4_proto = IPPROTO_UDP,
		.saddr = av->saddr.v4.s_addr,
		.daddr = av->daddr.v4.s_addr,
		.fl4_sport = htons(sport),
		.fl4_dport = htons(ROCE_V2_UDP_DPORT),
	};
	struct rtable *rt = ip_route_output_key(net, &fl4);

	return IS_ERR(rt) ? ERR_CAST(rt) : &rt->dst;
}

static struct dst_entry *pinrxe_route6(struct net *net,
				       const struct pinrxe_av *av, u16 sport)
{
	struct flowi6 fl6 = {
		.flowi6_oif = av->ifindex,
		.flowi6_proto = IPPROTO_UDP,
		.saddr = av->saddr.v6,
		.daddr = av->daddr.v6,
		.flowlabel = ip6_make_flowinfo(av->traffic_class,
					       htonl(av->flow_label)),
		.fl6_sport = htons(sport),
		.fl6_dport = htons(ROCE_V2_UDP_DPORT),
	};

	/* Through the stub: IPv6 may be a module. */
	return ipv6_stub->ipv6_dst_lookup_flow(net, NULL, &fl6, NULL);
}

/**
 * pinrxe_route_reset() - drop a kept route
 * @route: the route; its owner sends nothing meanwhile
 */
void pinrxe_route_reset(struct pinrxe_route *route)
{
	dst_release(route->dst);
	route->dst = NULL;
}

/* The kept route, referenced, if it still holds; else NULL. */
static struct dst_entry *pinrxe_route_get(struct pinrxe_route *route)
{
	struct dst_entry *dst = route->dst;

	if (!dst)
		return NULL;
	if (!dst_check(dst, route->cookie)) {
		pinrxe_route_reset(route);
		return NULL;
	}
	dst_hold(dst);
	return dst;
}

static void pinrxe_route_keep(struct pinrxe_route *route,
			      struct dst_entry *dst, bool ipv4)
{
	pinrxe_route_reset(route);
	dst_hold(dst);
	route->dst = dst;
	route->cookie = ipv4 ? 0 : rt6_get_cookie((struct rt6_info *)dst);
}

/* The route for a packet to @av: the kept one, or a lookup, then kept. */
static struct dst_entry *pinrxe_route(struct net *net,
				      const struct pinrxe_av *av, u16 sport,
				      struct pinrxe_route *route)
{
	bool ipv4 = av->network_type == RDMA_NETWORK_IPV4;
	struct dst_entry *dst;

	dst = route ? pinrxe_route_get(route) : NULL;
	if (dst)
		return dst;
	dst = ipv4 ? pinrxe_route4(net, av, sport) :
		     pinrxe_route6(net, av, sport);
	if (!IS_ERR(dst) && route)
		pinrxe_route_keep(route, dst, ipv4);
	return dst;
}

static void pinrxe_push_udp(struct sk_buff *skb, u16 sport)
{
	struct udphdr *udph;

	udph = skb_push(skb, sizeof(*udph));
	skb_reset_transport_header(skb);
	udph->source = htons(sport);
	udph->dest = htons(ROCE_V2_UDP_DPORT);
	udph->len = htons(skb->len);
	/*
	 * No UDP checksum, over IPv6 too, as rdma_rxe and RoCEv2 NICs send:
	 * the ICRC covers the packet end to end.
	 */
	udph->check = 0;
}

static void pinrxe_push_ip4(struct net *net, struct sk_buff *skb,
			    const struct pinrxe_av *av, u8 ttl)
{
	struct iphdr *iph;

	iph = skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph->version = 4;
	iph->ihl = sizeof(*iph) >> 2;
	iph->tos = av->traffic_class;
	iph->tot_len = htons(skb->len);
	/* Never fragmented: the requester sizes packets to the path MTU. */
	iph->frag_off = htons(IP_DF);
	iph->ttl = ttl;
	iph->protocol = IPPROTO_UDP;
	iph->saddr = av->saddr.v4.s_addr;
	iph->daddr = av->daddr.v4.s_addr;
	/* Set before the ICRC, which covers the identification. */
	ip_select_ident(net, skb, NULL);
	ip_send_check(iph);
}

static void pinrxe_push_ip6(struct sk_buff *skb, const struct pinrxe_av *av,
			    u8 hop_limit)
{
	struct ipv6hdr *ip6h;

	ip6h = skb_push(skb, sizeof(*ip6h));
	skb_reset_network_header(skb);
	ip6_flow_hdr(ip6h, av->traffic_class, htonl(av->flow_label));
	ip6h->payload_len = htons(skb->len - sizeof(*ip6h));
	ip6h->nexthdr = IPPROTO_UDP;
	ip6h->hop_limit = hop_limit;
	ip6h->saddr = av->saddr.v6;
	ip6h->daddr = av->daddr.v6;
}

/*
 * A packet to the device itself, as rdma_rxe does: the IP stack would
 * deliver it through the loopback netdev, which has no device.  It goes
 * through the same validation as one from the wire.
 */
static void pinrxe_loopback(struct pinrxe_dev *pdev, struct sk_buff *skb)
{
	__skb_pull(skb, skb_transport_offset(skb));
	skb->pkt_type = PACKET_HOST;
	local_bh_disable();
	pinrxe_rcv(pdev, skb, true);
	local_bh_enable();
}

/**
 * pinrxe_pkt_send() - encapsulate a packet in UDP and IP and send it
 * @skb: from pinrxe_pkt_alloc(), headers and payload filled in; consumed,
 *	also on error
 * @pkt: its info, as pinrxe_pkt_alloc() left it
 * @av: where it goes
 * @src_port: the UDP source port: pinrxe_qp_src_port() of the sending QP,
 *	or rdma_get_udp_sport() once a connected QP has its AV, as rdma_rxe
 *	does, so that a QP's packets are one flow
 *
 * Builds the UDP header and the IP header (DSCP/ECN from the AV's traffic
 * class, TTL or hop limit from its hop limit), computes the ICRC, and hands
 * the packet to the IP layer of the netdev's namespace after a route
 * lookup out of the source GID's netdev.  A packet to the device's own MAC
 * address is received directly instead.  Counts sent_pkts or send_err.
 *
 * Return: 0; -ENETUNREACH, -EHOSTUNREACH or another routing error when
 * there is no route; an error of the IP layer.
 */
int pinrxe_pkt_send(struct sk_buff *skb, struct pinrxe_pkt_info *pkt,
		    const struct pinrxe_av *av, u16 src_port)
{
	return pinrxe_pkt_send_route(skb, pkt, av, src_port, NULL);
}

/**
 * pinrxe_pkt_send_route() - pinrxe_pkt_send() with a kept route
 * @skb: as for pinrxe_pkt_send()
 * @pkt: as for pinrxe_pkt_send()
 * @av: as for pinrxe_pkt_send(); the address @route is kept for
 * @src_port: as for pinrxe_pkt_send()
 * @route: the route kept for @av and @src_port: used if it still holds,
 *	else looked up and kept; NULL to look it up every time
 *
 * Return: as for pinrxe_pkt_send().
 */
int pinrxe_pkt_send_route(struct sk_buff *skb, struct pinrxe_pkt_info *pkt,
			  const struct pinrxe_av *av, u16 src_port,
			  struct pinrxe_route *route)
{
	struct pinrxe_dev *pdev = pkt->pdev;
	struct net *net = dev_net(pdev->ndev);
	bool ipv4 = av->network_type == RDMA_NETWORK_IPV4;
	struct dst_entry *dst = NULL;
	unsigned int len = pkt->paylen;
	u8 ttl = av->hop_limit;
	int err;

	if (!ether_addr_equal(av->dmac, pdev->ndev->dev_addr)) {
		dst = pinrxe_route(net, av, src_port, route);
		if (IS_ERR(dst)) {
			err = PTR_ERR(dst);
			goto drop;
		}
	}
	if (!ttl)
		ttl = ipv4 ? IPDEFTTL : IPV6_DEFAULT_HOPLIMIT;

	pinrxe_push_udp(skb, src_port);
	if (ipv4)
		pinrxe_push_ip4(net, skb, av, ttl);
	else
		pinrxe_push_ip6(skb, av, ttl);
	pinrxe_icrc_generate(skb, pkt);

	if (!dst) {
		/* Counted first: the receive runs before this returns. */
		pinrxe_counter_inc(pdev, PINRXE_CNT_SENT_PKTS);
		pinrxe_counter_add(pdev, PINRXE_CNT_SENT_BYTES, len);
		pinrxe_loopback(pdev, skb);
		return 0;
	}

	skb_dst_set(skb, dst);
	if (ipv4)
		err = ip_local_out(net, NULL, skb);
	else
		err = ip6_local_out(net, NULL, skb);
	/* A congestion notice from a qdisc still means the packet went out. */
	err = net_xmit_eval(err);
	if (err) {
		pinrxe_counter_inc(pdev, PINRXE_CNT_SEND_ERR);
		return err;
	}
	pinrxe_counter_inc(pdev, PINRXE_CNT_SENT_PKTS);
	pinrxe_counter_add(pdev, PINRXE_CNT_SENT_BYTES, len);
	return 0;

drop:
	pinrxe_counter_inc(pdev, PINRXE_CNT_SEND_ERR);
	kfree_skb(skb);
	return err;
}

/*
 * The packet info a list member carries in its skb->cb, taken out: the IP
 * layer reads skb->cb as its own control block (options, fragment size)
 * and wants it zeroed, as a new skb has it.
 */
static void pinrxe_list_take_pkt(struct sk_buff *skb,
				 struct pinrxe_pkt_info *pkt)
{
	*pkt = *pinrxe_skb_pkt(skb);
	memset(skb->cb, 0, sizeof(skb->cb));
}

/* Send each packet of @list on its own. */
static void pinrxe_pkt_send_each(struct sk_buff_head *list,
				 const struct pinrxe_av *av, u16 src_port,
				 struct pinrxe_route *route)
{
	struct pinrxe_pkt_info pkt;
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(list))) {
		pinrxe_list_take_pkt(skb, &pkt);
		pinrxe_pkt_send_route(skb, &pkt, av, src_port, route);
	}
}

/*
 * Give a packet of a list its UDP and IP headers and its ICRC; the IPv4
 * identification is @id, what segmentation gives the packet at its place
 * in the list.  Returns its UDP payload length.
 */
static unsigned int pinrxe_list_pkt(struct net *net, struct sk_buff *skb,
				    const struct pinrxe_av *av, u16 src_port,
				    u8 ttl, u16 id)
{
	struct pinrxe_pkt_info pkt;

	pinrxe_list_take_pkt(skb, &pkt);
	pinrxe_push_udp(skb, src_port);
	if (av->network_type == RDMA_NETWORK_IPV4) {
		pinrxe_push_ip4(net, skb, av, ttl);
		ip_hdr(skb)->id = htons(id);
		ip_send_check(ip_hdr(skb));
	} else {
		pinrxe_push_ip6(skb, av, ttl);
	}
	pinrxe_icrc_generate(skb, &pkt);
	return pkt.paylen;
}

/*
 * Whether a packet capture watches @dev or, for a veth, its peer (or any
 * netdev): it would see a list as one large datagram, which no RoCE
 * dissector reads, as captures see TCP's GSO packets.  Packets then go
 * one by one, as they do on the wire.
 */
static bool pinrxe_list_watched(struct net_device *dev)
{
	struct net_device *peer = NULL;
	bool watched;

	if (dev_nit_active(dev))
		return true;
	rcu_read_lock();
	if (dev->netdev_ops->ndo_get_peer_dev)
		peer = dev->netdev_ops->ndo_get_peer_dev(dev);
	watched = peer && dev_nit_active(peer);
	rcu_read_unlock();
	return watched;
}

/**
 * pinrxe_pkt_send_list() - send packets to one address together
 * @list: packets from pinrxe_pkt_alloc(), filled in, in order, each with
 *	its struct pinrxe_pkt_info in its skb->cb; emptied, also on error
 * @av: where they go
 * @src_port: as for pinrxe_pkt_send()
 * @route: as for pinrxe_pkt_send_route()
 *
 * The packets go as one UDP GSO packet of the list kind: the first one
 * carries the others on its frag_list, each with its own headers and
 * ICRC, so the IP layer, routing, the netfilter hooks and the netdev (and
 * a local peer's receive path up to its UDP socket) are passed once for
 * all.  Segmentation, where the netdev cannot carry the list (any real
 * one) or before the receiving UDP socket, takes the packets apart again,
 * unchanged but for what it rewrites: the IP lengths and the IPv4
 * identifications, which count up from the first packet's (0, as for any
 * packet sent with DF and no socket) and which the ICRCs were computed
 * for.  A lost or failed send loses them all, as if dropped on the wire.
 * While a packet capture watches the netdev (pinrxe_list_watched()), or
 * to the device itself, they go one by one.
 */
void pinrxe_pkt_send_list(struct sk_buff_head *list,
			  const struct pinrxe_av *av, u16 src_port,
			  struct pinrxe_route *route)
{
	struct sk_buff *head = skb_peek(list), *skb, **tail;
	bool ipv4 = av->network_type == RDMA_NETWORK_IPV4;
	unsigned int n = skb_queue_len(list), len, head_len;
	struct pinrxe_dev *pdev;
	struct dst_entry *dst;
	struct net *net;
	u8 ttl = av->hop_limit;
	u16 id;
	int err;

	if (!head)
		return;
	pdev = pinrxe_skb_pkt(head)->pdev;
	net = dev_net(pdev->ndev);
	/* To itself, packets are received one by one anyway. */
	if (n == 1 || ether_addr_equal(av->dmac, pdev->ndev->dev_addr)) {
		pinrxe_pkt_send_each(list, av, src_port, route);
		return;
	}
	dst = pinrxe_route(net, av, src_port, route);
	if (IS_ERR(dst)) {
		pinrxe_counter_add(pdev, PINRXE_CNT_SEND_ERR, n);
		__skb_queue_purge(list);
		return;
	}
	if (pinrxe_list_watched(dst->dev)) {
		dst_release(dst);
		pinrxe_pkt_send_each(list, av, src_port, route);
		return;
	}
	if (!ttl)
		ttl = ipv4 ? IPDEFTTL : IPV6_DEFAULT_HOPLIMIT;

	head = __skb_dequeue(list);
	head_len = pinrxe_list_pkt(net, head, av, src_port, ttl, 0);
	id = ipv4 ? ntohs(ip_hdr(head)->id) : 0;
	len = head_len;
	tail = &skb_shinfo(head)->frag_list;
	while ((skb = __skb_dequeue(list))) {
		len += pinrxe_list_pkt(net, skb, av, src_port, ttl, ++id);
		/* Members start at their UDP payload, as after GRO. */
		__skb_pull(skb, skb_transport_offset(skb) +
			   sizeof(struct udphdr));
		head->len += skb->len;
		head->data_len += skb->len;
		head->truesize += skb->truesize;
		*tail = skb;
		tail = &skb->next;
	}
	*tail = NULL;
	/* The first packet's ICRC is done: now the lengths of the whole. */
	udp_hdr(head)->len = htons(sizeof(struct udphdr) + len);
	skb_shinfo(head)->gso_size = head_len;
	skb_shinfo(head)->gso_segs = n;
	skb_shinfo(head)->gso_type = SKB_GSO_UDP_L4 | SKB_GSO_FRAGLIST;
	/* No UDP checksum to compute, as for each packet on its own. */
	head->ip_summed = CHECKSUM_UNNECESSARY;

	skb_dst_set(head, dst);
	if (ipv4)
		err = ip_local_out(net, NULL, head);
	else
		err = ip6_local_out(net, NULL, head);
	if (net_xmit_eval(err)) {
		pinrxe_counter_add(pdev, PINRXE_CNT_SEND_ERR, n);
		return;
	}
	pinrxe_counter_add(pdev, PINRXE_CNT_SENT_PKTS, n);
	pinrxe_counter_add(pdev, PINRXE_CNT_SENT_BYTES, len);
}
