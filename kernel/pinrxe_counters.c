// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Hardware counters through ib_core's rdma_hw_stats: ib_core allocates the
 * value array per port with .alloc_hw_port_stats and refreshes it with
 * .get_hw_stats when `rdma statistic` or sysfs asks.
 */
#include <rdma/ib_verbs.h>

#include "pinrxe.h"

/*
 * Names as `rdma statistic` prints them.  Those rdma_rxe also has keep its
 * names, so scripts written for one read the other.
 */
static const struct rdma_stat_desc pinrxe_stat_descs[] = {
	[PINRXE_CNT_SENT_PKTS].name = "sent_pkts",
	[PINRXE_CNT_SENT_BYTES].name = "sent_bytes",
	[PINRXE_CNT_SEND_ERR].name = "send_err",
	[PINRXE_CNT_RCVD_PKTS].name = "rcvd_pkts",
	[PINRXE_CNT_RCVD_BYTES].name = "rcvd_bytes",
	[PINRXE_CNT_DROP_UDP_LEN].name = "rcv_drop_udp_len",
	[PINRXE_CNT_DROP_VERSION].name = "rcv_drop_bad_version",
	[PINRXE_CNT_DROP_UNKNOWN_OPCODE].name = "rcv_drop_unknown_opcode",
	[PINRXE_CNT_DROP_UNSUPPORTED_OPCODE].name = "rcv_drop_unsupported_opcode",
	[PINRXE_CNT_DROP_LENGTH].name = "rcv_drop_bad_length",
	[PINRXE_CNT_DROP_ICRC].name = "rcv_drop_bad_icrc",
	[PINRXE_CNT_DROP_DST_ADDR].name = "rcv_drop_dst_addr",
	[PINRXE_CNT_DROP_NOMEM].name = "rcv_drop_nomem",
	[PINRXE_CNT_DROP_PKEY].name = "rcv_drop_pkey",
	[PINRXE_CNT_DROP_NO_QP].name = "rcv_drop_no_qp",
	[PINRXE_CNT_DROP_QP_TYPE].name = "rcv_drop_qp_type",
	[PINRXE_CNT_DROP_QP_BUSY].name = "rcv_drop_qp_busy",
	[PINRXE_CNT_DROP_QKEY].name = "rcv_drop_qkey",
	[PINRXE_CNT_DROP_NO_RWQE].name = "rcv_drop_no_recv_wqe",
	[PINRXE_CNT_DROP_PATH].name = "rcv_drop_path",
	[PINRXE_CNT_DUP_REQ].name = "duplicate_request",
	[PINRXE_CNT_RETRANS].name = "retransmissions",
	[PINRXE_CNT_TIMEOUT].name = "retry_timeouts",
	[PINRXE_CNT_RESP_SEQ_ERR].name = "rcvd_seq_err",
	[PINRXE_CNT_RESP_STALE].name = "rcvd_stale_resp",
	[PINRXE_CNT_NAK_SENT].name = "nak_sent",
	[PINRXE_CNT_NAK_RCVD].name = "nak_rcvd",
	[PINRXE_CNT_RNR_NAK_SENT].name = "rnr_nak_sent",
	[PINRXE_CNT_RNR_NAK_RCVD].name = "rnr_nak_rcvd",
	[PINRXE_CNT_XRC_BAD_SRQN].name = "xrc_bad_srqn",
	[PINRXE_CNT_ODP_FAULTS].name = "odp_faults",
	[PINRXE_CNT_ODP_PAGES_FAULTED].name = "odp_pages_faulted",
	[PINRXE_CNT_ODP_INVALIDATIONS].name = "odp_invalidations",
	[PINRXE_CNT_ODP_PREFETCHES].name = "odp_prefetches",
	[PINRXE_CNT_ODP_FALLBACKS].name = "odp_fallbacks",
	[PINRXE_CNT_ODP_RNR_NAK].name = "odp_fault_rnr_naks",
	[PINRXE_STAT_PINNED_PAGES].name = "pinned_pages",
	[PINRXE_STAT_ODP_MRS_LIVE].name = "odp_mrs_live",
};

/**
 * pinrxe_alloc_hw_port_stats() - allocate the counter set of a port
 * @ibdev: the device
 * @port_num: the port, always 1
 *
 * The counters are device-wide; the device has one port.
 *
 * Return: the set, or NULL without memory.
 */
struct rdma_hw_stats *pinrxe_alloc_hw_port_stats(struct ib_device *ibdev,
						 u32 port_num)
{
	BUILD_BUG_ON(ARRAY_SIZE(pinrxe_stat_descs) != PINRXE_NUM_STATS);
	return rdma_alloc_hw_stats_struct(pinrxe_stat_descs, PINRXE_NUM_STATS,
					  RDMA_HW_STATS_DEFAULT_LIFESPAN);
}

/**
 * pinrxe_get_hw_stats() - read the counters into ib_core's value array
 * @ibdev: the device
 * @stats: the set allocated by pinrxe_alloc_hw_port_stats()
 * @port: the port
 * @index: the counter asked for; all are read, it is as cheap
 *
 * Return: the number of values filled in.
 */
int pinrxe_get_hw_stats(struct ib_device *ibdev, struct rdma_hw_stats *stats,
			u32 port, int index)
{
	struct pinrxe_dev *pdev = to_pdev(ibdev);
	unsigned int i;

	for (i = 0; i < PINRXE_NUM_COUNTERS; i++)
		stats->value[i] = atomic64_read(&pdev->counters[i]);
	stats->value[PINRXE_STAT_PINNED_PAGES] =
		atomic64_read(&pdev->pinned_pages);
	stats->value[PINRXE_STAT_ODP_MRS_LIVE] = atomic_read(&pdev->odp_mrs);
	return PINRXE_NUM_STATS;
}
