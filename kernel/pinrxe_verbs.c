// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Verbs glue: the ib_device_ops table and the device- and port-level verbs.
 *
 * Only what works is advertised; what is missing (raw packet QPs,
 * integrity MRs) has no op or fails with EOPNOTSUPP.  The port is a
 * RoCEv2 port with the MAD and CM capabilities: ib_mad creates its GSI QP
 * (QP1) on it, and ib_cm and rdma_cm work over it, with the kernel verbs
 * their consumers need.
 */
#include <linux/module.h>
#include <net/addrconf.h>
#include <rdma/ib_addr.h>
#include <rdma/ib_mad.h>
#include <rdma/ib_verbs.h>

#include "pinrxe.h"

/**
 * pinrxe_query_device() - report the device attributes
 * @ibdev: the device
 * @attr: filled with the attributes fixed at creation
 * @udata: extended query input from userspace; must carry no request
 *
 * Return: 0, or -EINVAL when userspace passed input this driver does not
 * understand.
 */
static int pinrxe_query_device(struct ib_device *ibdev,
			       struct ib_device_attr *attr,
			       struct ib_udata *udata)
{
	if (udata->inlen || udata->outlen)
		return -EINVAL;
	*attr = to_pdev(ibdev)->attr;
	return 0;
}

/* The IBA's port violation counters are 16 bits and stop at the top. */
static u16 pinrxe_port_cntr(struct pinrxe_dev *pdev, enum pinrxe_counter c)
{
	return min_t(s64, atomic64_read(&pdev->counters[c]), U16_MAX);
}

/**
 * pinrxe_query_port() - report the port attributes
 * @ibdev: the device
 * @port_num: the port, always 1
 * @attr: zeroed by ib_core, filled here
 *
 * State and MTU are read from the netdev each time, so they follow carrier
 * and MTU changes without a cache to keep in step.  While a netdev removal
 * is unregistering the device, ib_core no longer hands out the netdev and
 * the speed cannot be read: the port then reads as down at the lowest
 * speed rather than failing the query.
 *
 * Return: 0.
 */
static int pinrxe_query_port(struct ib_device *ibdev, u32 port_num,
			     struct ib_port_attr *attr)
{
	struct pinrxe_dev *pdev = to_pdev(ibdev);
	struct net_device *ndev = pdev->ndev;
	int mtu;

	attr->state = pinrxe_netdev_port_state(ndev);
	attr->phys_state = attr->state == IB_PORT_ACTIVE ?
		IB_PORT_PHYS_STATE_LINK_UP : IB_PORT_PHYS_STATE_DISABLED;
	attr->max_mtu = IB_MTU_4096;
	mtu = iboe_get_mtu(READ_ONCE(ndev->mtu));
	attr->active_mtu = mtu ? mtu : IB_MTU_256;
	attr->gid_tbl_len = PINRXE_GID_TBL_LEN;
	attr->pkey_tbl_len = PINRXE_PKEY_TBL_LEN;
	attr->max_msg_sz = PINRXE_MAX_MSG_SZ;
	attr->max_vl_num = 1;
	attr->ip_gids = true;
	attr->port_cap_flags = IB_PORT_CM_SUP;
	attr->bad_pkey_cntr = pinrxe_port_cntr(pdev, PINRXE_CNT_DROP_PKEY);
	attr->qkey_viol_cntr = pinrxe_port_cntr(pdev, PINRXE_CNT_DROP_QKEY);
	if (ib_get_eth_speed(ibdev, port_num, &attr->active_speed,
			     &attr->active_width)) {
		attr->state = IB_PORT_DOWN;
		attr->phys_state = IB_PORT_PHYS_STATE_DISABLED;
		attr->active_speed = IB_SPEED_SDR;
		attr->active_width = IB_WIDTH_1X;
	}
	return 0;
}

/**
 * pinrxe_query_pkey() - read the P_Key table, which holds the default key
 * @ibdev: the device
 * @port_num: the port
 * @index: table index
 * @pkey: the key
 *
 * Return: 0, or -EINVAL for an index past the table.
 */
static int pinrxe_query_pkey(struct ib_device *ibdev, u32 port_num, u16 index,
			     u16 *pkey)
{
	if (index >= PINRXE_PKEY_TBL_LEN)
		return -EINVAL;
	*pkey = PINRXE_DEFAULT_PKEY;
	return 0;
}

/**
 * pinrxe_get_port_immutable() - the port's fixed properties for ib_core
 * @ibdev: the device
 * @port_num: the port
 * @immutable: filled here
 *
 * A RoCEv2 port with what rdma_rxe's has: MADs (ib_mad opens QP1 and
 * sizes its buffers by max_mad_size), the IB CM (ib_cm, and rdma_cm on
 * top) and AF_IB addressing for rdma_cm.
 *
 * Return: 0.
 */
static int pinrxe_get_port_immutable(struct ib_device *ibdev, u32 port_num,
				     struct ib_port_immutable *immutable)
{
	immutable->core_cap_flags = RDMA_CORE_PORT_IBA_ROCE_UDP_ENCAP;
	immutable->gid_tbl_len = PINRXE_GID_TBL_LEN;
	immutable->pkey_tbl_len = PINRXE_PKEY_TBL_LEN;
	immutable->max_mad_size = IB_MGMT_MAD_SIZE;
	return 0;
}

static enum rdma_link_layer pinrxe_get_link_layer(struct ib_device *ibdev,
						  u32 port_num)
{
	return IB_LINK_LAYER_ETHERNET;
}

static void pinrxe_get_dev_fw_str(struct ib_device *ibdev, char *str)
{
	snprintf(str, IB_FW_VERSION_NAME_MAX, "%d.%d", PINRXE_FW_MAJOR,
		 PINRXE_FW_MINOR);
}

/**
 * pinrxe_alloc_ucontext() - open a user context
 * @ibuc: the context, allocated by ib_core
 * @udata: carries no driver-private data in either direction
 *
 * Return: 0.
 */
static int pinrxe_alloc_ucontext(struct ib_ucontext *ibuc,
				 struct ib_udata *udata)
{
	return 0;
}

static void pinrxe_dealloc_ucontext(struct ib_ucontext *ibuc)
{
}

/**
 * pinrxe_disassociate_ucontext() - detach a live user context from a
 *	device being removed
 * @ibuc: the context
 *
 * Providing this op tells ib_core that the device may be unregistered
 * while processes still hold it open: ib_core destroys their objects, zaps
 * mappings made through rdma_user_mmap_entry and sends them
 * IBV_EVENT_DEVICE_FATAL.  The only driver-private mappings, rings, are
 * plain pages that each mapping holds a reference to and whose buffers go
 * with their mmap entries (pinrxe_queue.c), so nothing is left to do here;
 * without the op, netdev removal and module unload would wait for every
 * such process to exit.
 */
static void pinrxe_disassociate_ucontext(struct ib_ucontext *ibuc)
{
}

/**
 * pinrxe_alloc_pd() - allocate a protection domain
 * @ibpd: the PD, allocated by ib_core
 * @udata: no driver-private data
 *
 * Return: 0, or -ENOMEM past the device's max_pd.
 */
static int pinrxe_alloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	struct pinrxe_dev *pdev = to_pdev(ibpd->device);

	if (atomic_inc_return(&pdev->num_pd) > pdev->attr.max_pd) {
		atomic_dec(&pdev->num_pd);
		return -ENOMEM;
	}
	return 0;
}

/**
 * pinrxe_dealloc_pd() - free a protection domain
 * @ibpd: the PD
 * @udata: unused
 *
 * Return: 0.
 */
static int pinrxe_dealloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	atomic_dec(&to_pdev(ibpd->device)->num_pd);
	return 0;
}

static const struct ib_device_ops pinrxe_dev_ops = {
	.owner = THIS_MODULE,
	.driver_id = RDMA_DRIVER_UNKNOWN,
	.uverbs_abi_ver = PINRXE_UVERBS_ABI_VERSION,

	.advise_mr = pinrxe_advise_mr,
	.alloc_hw_port_stats = pinrxe_alloc_hw_port_stats,
	.alloc_mr = pinrxe_alloc_mr,
	.alloc_mw = pinrxe_alloc_mw,
	.alloc_pd = pinrxe_alloc_pd,
	.alloc_xrcd = pinrxe_alloc_xrcd,
	.alloc_ucontext = pinrxe_alloc_ucontext,
	.create_ah = pinrxe_create_ah,
	.create_cq = pinrxe_create_cq,
	.create_qp = pinrxe_create_qp,
	.create_srq = pinrxe_create_srq,
	.create_user_ah = pinrxe_create_ah,
	.dealloc_driver = pinrxe_dealloc_driver,
	.dealloc_mw = pinrxe_dealloc_mw,
	.dealloc_pd = pinrxe_dealloc_pd,
	.dealloc_ucontext = pinrxe_dealloc_ucontext,
	.dealloc_xrcd = pinrxe_dealloc_xrcd,
	.dereg_mr = pinrxe_dereg_mr,
	.destroy_ah = pinrxe_destroy_ah,
	.destroy_cq = pinrxe_destroy_cq,
	.destroy_qp = pinrxe_destroy_qp,
	.destroy_srq = pinrxe_destroy_srq,
	.modify_qp = pinrxe_modify_qp,
	.modify_srq = pinrxe_modify_srq,
	.poll_cq = pinrxe_poll_cq,
	.post_recv = pinrxe_post_recv,
	.post_send = pinrxe_post_send,
	.post_srq_recv = pinrxe_post_srq_recv,
	.disassociate_ucontext = pinrxe_disassociate_ucontext,
	.get_dev_fw_str = pinrxe_get_dev_fw_str,
	.fill_res_mr_entry = pinrxe_fill_res_mr_entry,
	.get_dma_mr = pinrxe_get_dma_mr,
	.get_hw_stats = pinrxe_get_hw_stats,
	.get_link_layer = pinrxe_get_link_layer,
	.get_port_immutable = pinrxe_get_port_immutable,
	.map_mr_sg = pinrxe_map_mr_sg,
	.mmap = pinrxe_mmap,
	.mmap_free = pinrxe_mmap_free,
	.query_device = pinrxe_query_device,
	.query_qp = pinrxe_query_qp,
	.query_srq = pinrxe_query_srq,
	.query_pkey = pinrxe_query_pkey,
	.query_port = pinrxe_query_port,
	.reg_user_mr = pinrxe_reg_user_mr,
	.req_notify_cq = pinrxe_req_notify_cq,
	.rereg_user_mr = pinrxe_rereg_user_mr,
	.resize_cq = pinrxe_resize_cq,

	INIT_RDMA_OBJ_SIZE(ib_ah, pinrxe_ah, ibah),
	INIT_RDMA_OBJ_SIZE(ib_cq, pinrxe_cq, ibcq),
	INIT_RDMA_OBJ_SIZE(ib_mw, pinrxe_mw, ibmw),
	INIT_RDMA_OBJ_SIZE(ib_pd, pinrxe_pd, ibpd),
	INIT_RDMA_OBJ_SIZE(ib_qp, pinrxe_qp, ibqp),
	INIT_RDMA_OBJ_SIZE(ib_srq, pinrxe_srq, ibsrq),
	INIT_RDMA_OBJ_SIZE(ib_ucontext, pinrxe_ucontext, ibuc),
	INIT_RDMA_OBJ_SIZE(ib_xrcd, pinrxe_xrcd, ibxrcd),
};

/*
 * Object limits, read when a device is created: smaller values let a test
 * reach them quickly.  Each is clamped to what the driver can index.
 */
static uint pinrxe_max_qp = PINRXE_MAX_QP;
module_param_named(max_qp, pinrxe_max_qp, uint, 0444);
MODULE_PARM_DESC(max_qp, "queue pairs per device, 1 to 16384 (default 16384)");

static uint pinrxe_max_cq = PINRXE_MAX_CQ;
module_param_named(max_cq, pinrxe_max_cq, uint, 0444);
MODULE_PARM_DESC(max_cq,
		 "completion queues per device, kernel ones included, 1 to 16384 (default 16384)");

static uint pinrxe_max_mr = PINRXE_MAX_MR - 1;
module_param_named(max_mr, pinrxe_max_mr, uint, 0444);
MODULE_PARM_DESC(max_mr,
		 "memory regions per device, kernel ones included, 1 to 262143 (default 262143)");

static uint pinrxe_max_srq = PINRXE_MAX_SRQ;
module_param_named(max_srq, pinrxe_max_srq, uint, 0444);
MODULE_PARM_DESC(max_srq, "shared receive queues per device, 1 to 4096 (default 4096)");

static void pinrxe_init_attr(struct pinrxe_dev *pdev)
{
	struct ib_device_attr *attr = &pdev->attr;

	attr->vendor_id = PINRXE_VENDOR_ID;
	attr->vendor_part_id = PINRXE_VENDOR_PART_ID;
	attr->hw_ver = PINRXE_HW_VER;
	attr->fw_ver = (u64)PINRXE_FW_MAJOR << 32 | PINRXE_FW_MINOR << 16;
	attr->sys_image_guid = pdev->ib_dev.node_guid;
	attr->page_size_cap = PAGE_SIZE;
	attr->max_pd = PINRXE_MAX_PD;
	attr->max_cq = clamp_t(uint, pinrxe_max_cq, 1, PINRXE_MAX_CQ);
	attr->max_cqe = PINRXE_MAX_CQE;
	attr->max_mr = clamp_t(uint, pinrxe_max_mr, 1, PINRXE_MAX_MR - 1);
	attr->max_mr_size = U64_MAX;
	attr->max_mw = PINRXE_MAX_MW;
	attr->max_pkeys = PINRXE_PKEY_TBL_LEN;
	attr->max_qp = clamp_t(uint, pinrxe_max_qp, 1, PINRXE_MAX_QP);
	attr->max_qp_wr = PINRXE_MAX_QP_WR;
	attr->max_send_sge = PINRXE_MAX_SGE;
	attr->max_recv_sge = PINRXE_MAX_SGE;
	attr->max_sge_rd = PINRXE_MAX_SGE;
	attr->max_qp_rd_atom = PINRXE_MAX_RD_ATOMIC;
	attr->max_qp_init_rd_atom = PINRXE_MAX_RD_ATOMIC;
	attr->max_res_rd_atom = attr->max_qp * PINRXE_MAX_RD_ATOMIC;
	attr->max_srq = clamp_t(uint, pinrxe_max_srq, 1, PINRXE_MAX_SRQ);
	attr->max_srq_wr = PINRXE_MAX_SRQ_WR;
	attr->max_srq_sge = PINRXE_MAX_SGE;
	attr->max_ah = PINRXE_MAX_AH;
	attr->max_fast_reg_page_list_len = PINRXE_MAX_FR_PAGES;
	attr->local_ca_ack_delay = PINRXE_LOCAL_CA_ACK_DELAY;
	/*
	 * Memory windows of type 1 and 2B (bound to a QP), as rdma_rxe
	 * offers, for processes; the memory management extensions (fast
	 * registration, local and remote invalidation) for kernel consumers.
	 * Atomics run as CPU atomic instructions on the target page; the
	 * promise made is rdma_rxe's: atomic among this device's atomics.
	 */
	attr->atomic_cap = IB_ATOMIC_HCA;
	attr->device_cap_flags = IB_DEVICE_SYS_IMAGE_GUID |
				 IB_DEVICE_MEM_MGT_EXTENSIONS |
				 IB_DEVICE_MEM_WINDOW |
				 IB_DEVICE_MEM_WINDOW_TYPE_2B |
				 IB_DEVICE_ATOMIC_WRITE |
				 IB_DEVICE_XRC;
	/* Devices made with `rdma link add` may be removed with `link del`. */
	attr->kernel_cap_flags = IBK_ALLOW_USER_UNREG;
	/*
	 * On-demand paging (pinrxe_odp.c), explicit and implicit, for every
	 * operation that touches memory on the QP types that have it.
	 * Its pages are kernel addresses: not with high memory.
	 */
	if (!IS_ENABLED(CONFIG_HIGHMEM)) {
		attr->kernel_cap_flags |= IBK_ON_DEMAND_PAGING;
		attr->odp_caps.general_caps = IB_ODP_SUPPORT |
					      IB_ODP_SUPPORT_IMPLICIT;
		attr->odp_caps.per_transport_caps.rc_odp_caps =
			IB_ODP_SUPPORT_SEND | IB_ODP_SUPPORT_RECV |
			IB_ODP_SUPPORT_WRITE | IB_ODP_SUPPORT_READ |
			IB_ODP_SUPPORT_ATOMIC | IB_ODP_SUPPORT_SRQ_RECV;
		attr->odp_caps.per_transport_caps.uc_odp_caps =
			IB_ODP_SUPPORT_SEND | IB_ODP_SUPPORT_RECV |
			IB_ODP_SUPPORT_WRITE;
		attr->odp_caps.per_transport_caps.ud_odp_caps =
			IB_ODP_SUPPORT_SEND | IB_ODP_SUPPORT_RECV;
		/* XRC runs RC's data path; its receives come from SRQs only. */
		attr->odp_caps.per_transport_caps.xrc_odp_caps =
			IB_ODP_SUPPORT_SEND | IB_ODP_SUPPORT_WRITE |
			IB_ODP_SUPPORT_READ | IB_ODP_SUPPORT_ATOMIC |
			IB_ODP_SUPPORT_SRQ_RECV;
	}
}

/**
 * pinrxe_init_device() - fill in a new device before registration
 * @pdev: the device, allocated and bound to its netdev
 *
 * Return: 0, or the error of binding the port to the netdev.
 */
int pinrxe_init_device(struct pinrxe_dev *pdev)
{
	struct ib_device *ibdev = &pdev->ib_dev;

	ib_set_device_ops(ibdev, &pinrxe_dev_ops);
	ibdev->node_type = RDMA_NODE_IB_CA;
	ibdev->phys_port_cnt = 1;
	ibdev->num_comp_vectors = 1;
	/*
	 * Userspace arms CQs with the req_notify_cq write command (there is
	 * no ioctl method), which ib_core leaves off by default: hardware
	 * arms its CQs through doorbells.
	 */
	ibdev->uverbs_cmd_mask |= BIT_ULL(IB_USER_VERBS_CMD_REQ_NOTIFY_CQ);
	/*
	 * Likewise the doorbells of user QPs: post_send and post_recv write
	 * commands with no work requests (pinrxe_post_send()).
	 */
	ibdev->uverbs_cmd_mask |= BIT_ULL(IB_USER_VERBS_CMD_POST_SEND) |
				  BIT_ULL(IB_USER_VERBS_CMD_POST_RECV);
	/* The GUID is the netdev's EUI-48 expanded to EUI-64, as RoCE does. */
	addrconf_addr_eui48((unsigned char *)&ibdev->node_guid,
			    pdev->ndev->dev_addr);
	strscpy(ibdev->node_desc, "pinrxe", sizeof(ibdev->node_desc));
	pinrxe_init_attr(pdev);
	/* Windows are looked up under its lock by the data path in softirq. */
	xa_init_flags(&pdev->mr_xa, XA_FLAGS_ALLOC1 | XA_FLAGS_LOCK_BH);
	/* Both looked up from softirq (packet receive, sends): irq-safe locks. */
	xa_init_flags(&pdev->qp_xa, XA_FLAGS_ALLOC | XA_FLAGS_LOCK_IRQ);
	xa_init_flags(&pdev->ah_xa, XA_FLAGS_ALLOC1 | XA_FLAGS_LOCK_IRQ);
	xa_init_flags(&pdev->srq_xa, XA_FLAGS_ALLOC1 | XA_FLAGS_LOCK_IRQ);
	pdev->port_state = pinrxe_netdev_port_state(pdev->ndev);
	return ib_device_set_netdev(ibdev, pdev->ndev, PINRXE_PORT);
}
