/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Verbs chores shared by the guest test programs and the benchmark: the
 * RoCE v2 GID to use, connecting an RC QP, and a QP's state.  They return errors rather
 * than abort, so each program reports failures its own way.
 */
#ifndef RDMAPIN_TEST_VERBS_UTIL_H
#define RDMAPIN_TEST_VERBS_UTIL_H

#include <stdint.h>
#include <infiniband/verbs.h>

/**
 * open_device_by_name() - open the RDMA device called @name
 * @name: its name, e.g. "pinrxe0"
 *
 * Return: the context, or NULL with errno set (ENODEV when there is no
 * such device).
 */
struct ibv_context *open_device_by_name(const char *name);

/**
 * roce_v2_ipv4_gid() - the first RoCE v2 GID of port 1 holding an IPv4
 *	address (an IPv4-mapped IPv6 GID)
 * @ctx: the device
 * @gid: receives the GID, unless NULL
 *
 * Return: its GID table index, -1 when the port has none, or -errno when
 * the table cannot be read.
 */
int roce_v2_ipv4_gid(struct ibv_context *ctx, union ibv_gid *gid);

/**
 * struct rc_conn_params - how rc_connect() sets up an RC connection
 * @mtu: path MTU; 0 for the port's active MTU
 * @psn: the first PSN, of both the send and the receive queue
 * @rd_atomic: outstanding reads/atomics each way; 0 means 1
 * @timeout: the local ACK timeout exponent (4.096 us * 2^timeout)
 * @retry_cnt: transport retries
 * @rnr_retry: RNR retries (7: for ever)
 * @min_rnr_timer: the RNR NAK timer code the QP asks its peer to wait
 * @access: the QP's remote access rights (IBV_ACCESS_REMOTE_*)
 */
struct rc_conn_params {
	enum ibv_mtu mtu;
	uint32_t psn;
	uint8_t rd_atomic;
	uint8_t timeout;
	uint8_t retry_cnt;
	uint8_t rnr_retry;
	uint8_t min_rnr_timer;
	unsigned int access;
};

/**
 * rc_connect() - take an RC QP from RESET to RTS, connected to a peer QP
 * @qp: the QP, in RESET
 * @dest_qpn: the peer QP's number
 * @dgid: the peer's GID
 * @sgid_index: the local GID index to send from (port 1)
 * @p: the connection's parameters
 * @step: receives the name of the step that failed, unless NULL
 *
 * Return: 0, or the errno ibv_modify_qp() gave at the failed step.
 */
int rc_connect(struct ibv_qp *qp, uint32_t dest_qpn, const union ibv_gid *dgid,
	       int sgid_index, const struct rc_conn_params *p,
	       const char **step);

/**
 * qp_state() - the state a QP is in now (the data path moves it to ERR)
 * @qp: the QP
 *
 * Return: its state, or IBV_QPS_UNKNOWN with errno set when it cannot be
 * queried: a value no test waits for, so a failed query fails the check.
 */
enum ibv_qp_state qp_state(struct ibv_qp *qp);

/**
 * wait_qp_state() - wait for a QP to reach a state the data path moves it
 *	to (ERR), which may come a little after the peer's completion says so
 * @qp: the QP
 * @want: the state
 * @seconds: how long to wait at most
 *
 * Return: the state last seen: @want, or what it was when time ran out.
 */
enum ibv_qp_state wait_qp_state(struct ibv_qp *qp, enum ibv_qp_state want,
				double seconds);

#endif /* RDMAPIN_TEST_VERBS_UTIL_H */
