// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Address vectors: what ib_core resolved for a QP or AH (source GID entry,
 * destination GID, next-hop MAC) turned into what the network layer needs
 * to build and route a RoCEv2 packet.
 */
#include <linux/etherdevice.h>
#include <net/ipv6.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_verbs.h>

#include "pinrxe_pkt.h"

/**
 * pinrxe_av_from_attr() - build an address vector
 * @av: filled in
 * @attr: a RoCE address with a GRH and the source GID entry that ib_core
 *	attached (grh.sgid_attr), as create_ah and modify_qp (IB_QP_AV)
 *	receive it
 *
 * The network type comes from the source GID, as for rdma_rxe: an IPv4
 * (v4-mapped) source GID sends IPv4, any other RoCEv2 GID IPv6.  The
 * destination GID must be of the same family.
 *
 * Return: 0; -EINVAL for an address that is not RoCE with a GRH, has no
 * source GID entry, or mixes IPv4 and IPv6; -EOPNOTSUPP for a source GID
 * that is not RoCEv2; -ENODEV when the source GID's netdev is gone.
 */
int pinrxe_av_from_attr(struct pinrxe_av *av, const struct rdma_ah_attr *attr)
{
	const struct ib_global_route *grh;
	const struct ib_gid_attr *sgid_attr;
	const struct in6_addr *sgid, *dgid;
	struct net_device *ndev;

	if (attr->type != RDMA_AH_ATTR_TYPE_ROCE ||
	    !(rdma_ah_get_ah_flags(attr) & IB_AH_GRH))
		return -EINVAL;
	grh = rdma_ah_read_grh(attr);
	sgid_attr = grh->sgid_attr;
	if (!sgid_attr)
		return -EINVAL;
	if (sgid_attr->gid_type != IB_GID_TYPE_ROCE_UDP_ENCAP)
		return -EOPNOTSUPP;

	memset(av, 0, sizeof(*av));
	sgid = (const struct in6_addr *)sgid_attr->gid.raw;
	dgid = (const struct in6_addr *)grh->dgid.raw;
	av->network_type = rdma_gid_attr_network_type(sgid_attr);
	if (av->network_type == RDMA_NETWORK_IPV4) {
		if (!ipv6_addr_v4mapped(dgid))
			return -EINVAL;
		av->saddr.v4.s_addr = sgid->s6_addr32[3];
		av->daddr.v4.s_addr = dgid->s6_addr32[3];
	} else {
		if (ipv6_addr_v4mapped(dgid))
			return -EINVAL;
		av->saddr.v6 = *sgid;
		av->daddr.v6 = *dgid;
	}
	ether_addr_copy(av->dmac, attr->roce.dmac);
	av->hop_limit = grh->hop_limit;
	av->traffic_class = grh->traffic_class;
	av->flow_label = grh->flow_label & IB_GRH_FLOWLABEL_MASK;
	av->sgid_index = grh->sgid_index;
	av->dgid = grh->dgid;

	rcu_read_lock();
	ndev = rdma_read_gid_attr_ndev_rcu(sgid_attr);
	if (!IS_ERR(ndev))
		av->ifindex = ndev->ifindex;
	rcu_read_unlock();
	return IS_ERR(ndev) ? -ENODEV : 0;
}
