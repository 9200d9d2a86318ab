/*
 * pinrxe userspace verbs provider: private types.
 */

#ifndef PINRXE_H
#define PINRXE_H

#include <pthread.h>
#include <stdbool.h>

#include "verbs_driver_abi.h"
#include "pinrxe_abi.h"

struct pinrxe_device {
	struct verbs_device	ibv_dev;
	int			abi_version;
};

struct pinrxe_context {
	struct verbs_context	ibv_ctx;
};

/*
 * A completion queue: the kernel fills the mapped ring, poll_cq drains it
 * here without a system call.  lock serialises pollers with each other and
 * with resize, which replaces the ring.  cons is the consumer index; the
 * copy in the ring header is only for the kernel.  ring is NULL when a
 * resize succeeded in the kernel but the new ring could not be mapped:
 * the CQ then fails every poll and can only be destroyed.  An extended CQ
 * (ibv_create_cq_ex) is polled in sessions, ibv_start_poll() to
 * ibv_end_poll(), which hold lock; cur is the completion the session is
 * on, at cons, still in the ring and not yet consumed, or NULL.
 */
struct pinrxe_cq {
	struct verbs_cq		vcq;
	pthread_spinlock_t	lock;
	struct pinrxe_ring_hdr	*ring;
	size_t			map_size;
	uint32_t		num_cqe;
	uint32_t		cons;
	const struct pinrxe_cqe	*cur;
};

/* The core responses followed by ours, as the ibv_cmd_* helpers want them. */
struct upinrxe_create_cq_resp {
	struct ib_uverbs_create_cq_resp	ibv_resp;
	struct pinrxe_create_cq_resp	drv;
};

struct upinrxe_create_cq_ex_resp {
	struct ib_uverbs_ex_create_cq_resp	ibv_resp;
	struct pinrxe_create_cq_resp		drv;
};

/*
 * A memory region, with the path the kernel says it took (zeroes when the
 * kernel did not say).
 */
struct pinrxe_mr {
	struct verbs_mr			vmr;
	struct pinrxe_reg_mr_resp	info;
};

struct upinrxe_reg_mr {
	struct ibv_reg_mr		ibv_cmd;
	struct pinrxe_reg_mr_cmd	drv;
};

struct upinrxe_reg_mr_resp {
	struct ib_uverbs_reg_mr_resp	ibv_resp;
	struct pinrxe_reg_mr_resp	drv;
};

static_assert(offsetof(struct upinrxe_reg_mr, drv) ==
	      sizeof(struct ibv_reg_mr), "reg_mr driver command");
static_assert(offsetof(struct upinrxe_reg_mr_resp, drv) ==
	      sizeof(struct ib_uverbs_reg_mr_resp), "reg_mr driver response");

static inline struct pinrxe_mr *to_pmr(struct verbs_mr *vmr)
{
	return container_of(vmr, struct pinrxe_mr, vmr);
}

struct upinrxe_resize_cq_resp {
	struct ib_uverbs_resize_cq_resp	ibv_resp;
	struct pinrxe_resize_cq_resp	drv;
};

static inline struct pinrxe_device *to_pdev(struct ibv_device *ibdev)
{
	return container_of(verbs_get_device(ibdev), struct pinrxe_device,
			    ibv_dev);
}

static inline struct pinrxe_context *to_pctx(struct ibv_context *ibctx)
{
	return container_of(verbs_get_ctx(ibctx), struct pinrxe_context,
			    ibv_ctx);
}

static inline struct pinrxe_cq *to_pcq(struct ibv_cq *ibcq)
{
	return container_of(ibcq, struct pinrxe_cq, vcq.cq);
}

static inline struct pinrxe_cq *to_pcq_ex(struct ibv_cq_ex *ibcq)
{
	return container_of(ibcq, struct pinrxe_cq, vcq.cq_ex);
}

/*
 * A work queue ring this process fills and the kernel drains: a QP's send
 * or receive queue, or an SRQ.  lock serialises posters; prod is the
 * producer index, published to the ring header with a release store once
 * the WQEs it covers are written (the kernel's consumer index is read
 * with an acquire load before a slot is reused).
 */
struct pinrxe_wq {
	pthread_spinlock_t	lock;
	struct pinrxe_ring_hdr	*ring;
	size_t			map_size;
	uint32_t		num_wqe;
	uint32_t		wqe_size;
	uint32_t		max_sge;
	uint32_t		max_inline;
	uint32_t		prod;
};

/*
 * A queue pair.  rq is unused with an SRQ and by XRC QPs; an XRC receive
 * QP (a target, created here or opened by number) has no rings at all.  The ex_* fields carry a batch
 * of the ibv_wr_*() API between ibv_wr_start() and ibv_wr_complete() or
 * ibv_wr_abort(), which hold sq.lock: ex_start is the producer index at
 * the start, ex_wqe the WQE being built (at sq.prod, not yet counted),
 * ex_err the first error of the batch.
 */
struct pinrxe_qp {
	struct verbs_qp		vqp;
	struct pinrxe_wq	sq;
	struct pinrxe_wq	rq;
	uint32_t		ex_start;
	struct pinrxe_send_wqe	*ex_wqe;
	bool			ex_ud_addr;
	int			ex_err;
};

/*
 * A shared receive queue, basic or XRC (made by create_srq_ex, which
 * fills in vsrq: type, XRC domain, CQ and the SRQ number XRC senders
 * name).
 */
struct pinrxe_srq {
	struct verbs_srq	vsrq;
	struct pinrxe_wq	rq;
};

struct pinrxe_xrcd {
	struct verbs_xrcd	vxrcd;
};

/* An address handle: UD send WQEs name it by the kernel's number. */
struct pinrxe_ah {
	struct ibv_ah		ibv_ah;
	uint32_t		ah_num;
};

struct upinrxe_create_qp_resp {
	struct ib_uverbs_ex_create_qp_resp	ibv_resp;
	struct pinrxe_create_qp_resp		drv;
};

struct upinrxe_create_srq_resp {
	struct ib_uverbs_create_srq_resp	ibv_resp;
	struct pinrxe_create_srq_resp		drv;
};

struct upinrxe_create_ah_resp {
	struct ib_uverbs_create_ah_resp		ibv_resp;
	struct pinrxe_create_ah_resp		drv;
};

static inline struct pinrxe_qp *to_pqp(struct ibv_qp *ibqp)
{
	return container_of(ibqp, struct pinrxe_qp, vqp.qp);
}

static inline struct pinrxe_srq *to_psrq(struct ibv_srq *ibsrq)
{
	return container_of(ibsrq, struct pinrxe_srq, vsrq.srq);
}

static inline struct pinrxe_xrcd *to_pxrcd(struct ibv_xrcd *ibxrcd)
{
	return container_of(ibxrcd, struct pinrxe_xrcd, vxrcd.xrcd);
}

static inline struct pinrxe_ah *to_pah(struct ibv_ah *ibah)
{
	return container_of(ibah, struct pinrxe_ah, ibv_ah);
}

/* pinrxe.c */
void pinrxe_cq_clean(struct ibv_cq *ibcq, uint32_t qpn);

/* pinrxe_qp.c: queue pairs, shared receive queues, address handles */
struct ibv_qp *pinrxe_create_qp(struct ibv_pd *pd,
				struct ibv_qp_init_attr *attr);
struct ibv_qp *pinrxe_create_qp_ex(struct ibv_context *context,
				   struct ibv_qp_init_attr_ex *attr);
int pinrxe_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
		     int attr_mask);
int pinrxe_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
		    int attr_mask, struct ibv_qp_init_attr *init_attr);
int pinrxe_destroy_qp(struct ibv_qp *ibqp);
struct ibv_qp *pinrxe_open_qp(struct ibv_context *context,
			      struct ibv_qp_open_attr *attr);
int pinrxe_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
		     struct ibv_send_wr **bad_wr);
int pinrxe_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr,
		     struct ibv_recv_wr **bad_wr);
int pinrxe_bind_mw(struct ibv_qp *ibqp, struct ibv_mw *mw,
		   struct ibv_mw_bind *mw_bind);
struct ibv_srq *pinrxe_create_srq(struct ibv_pd *pd,
				  struct ibv_srq_init_attr *attr);
struct ibv_srq *pinrxe_create_srq_ex(struct ibv_context *context,
				     struct ibv_srq_init_attr_ex *attr);
int pinrxe_get_srq_num(struct ibv_srq *ibsrq, uint32_t *srq_num);
struct ibv_xrcd *pinrxe_open_xrcd(struct ibv_context *context,
				  struct ibv_xrcd_init_attr *attr);
int pinrxe_close_xrcd(struct ibv_xrcd *ibxrcd);
int pinrxe_modify_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr,
		      int attr_mask);
int pinrxe_query_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr);
int pinrxe_destroy_srq(struct ibv_srq *ibsrq);
int pinrxe_post_srq_recv(struct ibv_srq *ibsrq, struct ibv_recv_wr *wr,
			 struct ibv_recv_wr **bad_wr);
struct ibv_ah *pinrxe_create_ah(struct ibv_pd *pd, struct ibv_ah_attr *attr);
int pinrxe_destroy_ah(struct ibv_ah *ibah);

#endif /* PINRXE_H */
