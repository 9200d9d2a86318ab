/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Device-wide hardware counters, shown by `rdma statistic show link DEV/1`
 * and in sysfs under ports/1/hw_counters.
 *
 * To add a counter: add its enum value before PINRXE_NUM_COUNTERS and its
 * name at the same index in pinrxe_counters.c, then count it with
 * pinrxe_counter_inc() or pinrxe_counter_add().
 */
#ifndef PINRXE_COUNTERS_H
#define PINRXE_COUNTERS_H

/**
 * enum pinrxe_counter - the hardware counters
 * @PINRXE_CNT_SENT_PKTS: packets handed to the IP layer or looped back
 * @PINRXE_CNT_SENT_BYTES: their bytes from the BTH through the ICRC
 * @PINRXE_CNT_SEND_ERR: packets that could not be sent (no route, the IP
 *	layer refused them)
 * @PINRXE_CNT_RCVD_PKTS: packets received that passed validation
 * @PINRXE_CNT_RCVD_BYTES: their bytes from the BTH through the ICRC
 * @PINRXE_CNT_DROP_UDP_LEN: UDP length disagrees with the datagram, or is
 *	too short for a BTH and an ICRC
 * @PINRXE_CNT_DROP_VERSION: BTH transport version is not 0
 * @PINRXE_CNT_DROP_UNKNOWN_OPCODE: opcode reserved by the IBA
 * @PINRXE_CNT_DROP_UNSUPPORTED_OPCODE: opcode known but not implemented (RD,
 *	flush, congestion notification)
 * @PINRXE_CNT_DROP_LENGTH: packet too short for its opcode's headers and
 *	pad, not a multiple of four bytes, or with payload or pad where the
 *	opcode carries none
 * @PINRXE_CNT_DROP_ICRC: ICRC mismatch
 * @PINRXE_CNT_DROP_DST_ADDR: destination IP address is not one of the
 *	device's GIDs (the IP stack accepts any local address on any netdev)
 * @PINRXE_CNT_DROP_NOMEM: no memory to linearize the packet
 * @PINRXE_CNT_DROP_PKEY: valid packet whose P_Key does not match the
 *	device's (the port's P_Key violation counter)
 * @PINRXE_CNT_DROP_NO_QP: valid packet for a QP that does not exist
 * @PINRXE_CNT_DROP_QP_TYPE: packet of another transport than its QP's
 * @PINRXE_CNT_DROP_QP_BUSY: the QP had too many packets queued already
 * @PINRXE_CNT_DROP_QKEY: UD packet with the wrong Q_Key
 * @PINRXE_CNT_DROP_NO_RWQE: UD packet with no receive WQE posted
 * @PINRXE_CNT_DROP_PATH: packet for a connected QP from another address
 *	than the QP's path (IP source not the path's destination, or IP
 *	destination not its source)
 * @PINRXE_CNT_DUP_REQ: duplicate requests answered again
 * @PINRXE_CNT_RETRANS: times a requester went back to resend
 * @PINRXE_CNT_TIMEOUT: retransmission timeouts
 * @PINRXE_CNT_RESP_SEQ_ERR: response packets past the PSN the completer
 *	expected: an earlier one was lost or overtaken, and the requester
 *	goes back to it
 * @PINRXE_CNT_RESP_STALE: response packets for PSNs already completed or
 *	gone back over, or for no outstanding request: discarded
 * @PINRXE_CNT_NAK_SENT: NAKs sent (sequence, invalid request, access, op)
 * @PINRXE_CNT_NAK_RCVD: NAKs received
 * @PINRXE_CNT_RNR_NAK_SENT: RNR NAKs sent
 * @PINRXE_CNT_RNR_NAK_RCVD: RNR NAKs received
 * @PINRXE_CNT_XRC_BAD_SRQN: XRC requests naming no XRC SRQ of the target
 *	QP's XRC domain (answered with an invalid request NAK)
 * @PINRXE_CNT_ODP_FAULTS: page faults the data path or a prefetch made on
 *	on-demand paging MRs (one per hmm_range_fault() round)
 * @PINRXE_CNT_ODP_PAGES_FAULTED: pages those faults mapped
 * @PINRXE_CNT_ODP_INVALIDATIONS: mmu notifier invalidations that unmapped
 *	pages of on-demand paging MRs
 * @PINRXE_CNT_ODP_PREFETCHES: ranges prefetched with ibv_advise_mr()
 * @PINRXE_CNT_ODP_FALLBACKS: user MRs asked to be pinned that became ODP
 *	registrations instead (memlock limit, long-term pin refused)
 * @PINRXE_CNT_ODP_RNR_NAK: RNR NAKs of those in @PINRXE_CNT_RNR_NAK_SENT
 *	sent because an RDMA WRITE's on-demand paging target was still being
 *	faulted in when the responder stopped waiting for it
 * @PINRXE_NUM_COUNTERS: number of counters kept in struct pinrxe_dev
 * @PINRXE_STAT_PINNED_PAGES: not a counter but a gauge, read at query time
 *	from the device's pinned_pages: pages its MRs hold pinned now
 * @PINRXE_STAT_ODP_MRS_LIVE: a gauge too: on-demand paging MRs alive, whose
 *	mmu notifiers are still registered (0 when none is left behind)
 * @PINRXE_NUM_STATS: number of values `rdma statistic` shows
 */
enum pinrxe_counter {
	PINRXE_CNT_SENT_PKTS,
	PINRXE_CNT_SENT_BYTES,
	PINRXE_CNT_SEND_ERR,
	PINRXE_CNT_RCVD_PKTS,
	PINRXE_CNT_RCVD_BYTES,
	PINRXE_CNT_DROP_UDP_LEN,
	PINRXE_CNT_DROP_VERSION,
	PINRXE_CNT_DROP_UNKNOWN_OPCODE,
	PINRXE_CNT_DROP_UNSUPPORTED_OPCODE,
	PINRXE_CNT_DROP_LENGTH,
	PINRXE_CNT_DROP_ICRC,
	PINRXE_CNT_DROP_DST_ADDR,
	PINRXE_CNT_DROP_NOMEM,
	PINRXE_CNT_DROP_PKEY,
	PINRXE_CNT_DROP_NO_QP,
	PINRXE_CNT_DROP_QP_TYPE,
	PINRXE_CNT_DROP_QP_BUSY,
	PINRXE_CNT_DROP_QKEY,
	PINRXE_CNT_DROP_NO_RWQE,
	PINRXE_CNT_DROP_PATH,
	PINRXE_CNT_DUP_REQ,
	PINRXE_CNT_RETRANS,
	PINRXE_CNT_TIMEOUT,
	PINRXE_CNT_RESP_SEQ_ERR,
	PINRXE_CNT_RESP_STALE,
	PINRXE_CNT_NAK_SENT,
	PINRXE_CNT_NAK_RCVD,
	PINRXE_CNT_RNR_NAK_SENT,
	PINRXE_CNT_RNR_NAK_RCVD,
	PINRXE_CNT_XRC_BAD_SRQN,
	PINRXE_CNT_ODP_FAULTS,
	PINRXE_CNT_ODP_PAGES_FAULTED,
	PINRXE_CNT_ODP_INVALIDATIONS,
	PINRXE_CNT_ODP_PREFETCHES,
	PINRXE_CNT_ODP_FALLBACKS,
	PINRXE_CNT_ODP_RNR_NAK,
	PINRXE_NUM_COUNTERS,

	PINRXE_STAT_PINNED_PAGES = PINRXE_NUM_COUNTERS,
	PINRXE_STAT_ODP_MRS_LIVE,
	PINRXE_NUM_STATS
};

#endif /* PINRXE_COUNTERS_H */
