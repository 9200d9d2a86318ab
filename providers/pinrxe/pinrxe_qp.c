/*
 * pinrxe userspace verbs provider: queue pairs, shared receive queues, XRC
 * domains and address handles.
 *
 * Send, receive and shared receive queues are rings mapped from the kernel
 * (pinrxe_abi.h).  Posting writes WQEs to the ring and publishes them with
 * a release store of the producer index; the kernel copies each WQE out
 * and checks it again, so the checks here exist to give the application
 * the immediate EINVAL or ENOMEM that verbs promise, not to protect the
 * kernel.  A send batch then rings the doorbell: a post_send command with
 * no work requests.  Receives need no doorbell, except on a QP in the
 * error state, whose task flushes what was posted only when it runs.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "pinrxe.h"

static_assert(sizeof(struct pinrxe_send_wqe) == 64, "pinrxe_send_wqe");
static_assert(sizeof(struct pinrxe_recv_wqe) == 16, "pinrxe_recv_wqe");
/* SGEs are copied as they come from the application. */
static_assert(sizeof(struct ibv_sge) == sizeof(struct pinrxe_sge), "sge");
static_assert(offsetof(struct ibv_sge, addr) ==
	      offsetof(struct pinrxe_sge, addr), "sge.addr");
static_assert(offsetof(struct ibv_sge, length) ==
	      offsetof(struct pinrxe_sge, length), "sge.length");
static_assert(offsetof(struct ibv_sge, lkey) ==
	      offsetof(struct pinrxe_sge, lkey), "sge.lkey");
/* Opcodes and flags are written as the verbs values. */
#define SAME_VALUE(a, b) static_assert((int)(a) == (int)(b), #a)
SAME_VALUE(IBV_SEND_FENCE, PINRXE_SEND_FENCE);
SAME_VALUE(IBV_SEND_SIGNALED, PINRXE_SEND_SIGNALED);
SAME_VALUE(IBV_SEND_SOLICITED, PINRXE_SEND_SOLICITED);
SAME_VALUE(IBV_SEND_INLINE, PINRXE_SEND_INLINE);
SAME_VALUE(IBV_WR_RDMA_WRITE, IB_UVERBS_WR_RDMA_WRITE);
SAME_VALUE(IBV_WR_RDMA_WRITE_WITH_IMM, IB_UVERBS_WR_RDMA_WRITE_WITH_IMM);
SAME_VALUE(IBV_WR_SEND, IB_UVERBS_WR_SEND);
SAME_VALUE(IBV_WR_SEND_WITH_IMM, IB_UVERBS_WR_SEND_WITH_IMM);
SAME_VALUE(IBV_WR_RDMA_READ, IB_UVERBS_WR_RDMA_READ);
SAME_VALUE(IBV_WR_ATOMIC_CMP_AND_SWP, IB_UVERBS_WR_ATOMIC_CMP_AND_SWP);
SAME_VALUE(IBV_WR_ATOMIC_FETCH_AND_ADD, IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD);
SAME_VALUE(IBV_WR_LOCAL_INV, IB_UVERBS_WR_LOCAL_INV);
SAME_VALUE(IBV_WR_BIND_MW, IB_UVERBS_WR_BIND_MW);
SAME_VALUE(IBV_WR_SEND_WITH_INV, IB_UVERBS_WR_SEND_WITH_INV);
#undef SAME_VALUE

#define PINRXE_SEND_FLAGS (IBV_SEND_FENCE | IBV_SEND_SIGNALED | \
			   IBV_SEND_SOLICITED | IBV_SEND_INLINE)

/* Rights a window can grant; local write means nothing for one, allowed. */
#define PINRXE_MW_ACCESS (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			  IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC)

/* XRC send QPs have RC's operations but binds and atomic writes. */
#define PINRXE_XRC_SEND_OPS (PINRXE_SEND_OPS & ~(IBV_QP_EX_WITH_BIND_MW | \
						 IBV_QP_EX_WITH_ATOMIC_WRITE))

/* The ibv_wr_*() operations this provider implements. */
#define PINRXE_SEND_OPS (IBV_QP_EX_WITH_RDMA_WRITE |			\
			 IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM |		\
			 IBV_QP_EX_WITH_SEND |				\
			 IBV_QP_EX_WITH_SEND_WITH_IMM |			\
			 IBV_QP_EX_WITH_RDMA_READ |			\
			 IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP |		\
			 IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD |		\
			 IBV_QP_EX_WITH_LOCAL_INV |			\
			 IBV_QP_EX_WITH_BIND_MW |			\
			 IBV_QP_EX_WITH_SEND_WITH_INV |			\
			 IBV_QP_EX_WITH_ATOMIC_WRITE)

/* Rings */

static void *wq_slot(struct pinrxe_wq *wq, uint32_t index)
{
	return (char *)wq->ring + PINRXE_RING_HDR_SIZE +
	       (size_t)(index & (wq->num_wqe - 1)) * wq->wqe_size;
}

/* The slot at prod is free once the kernel consumed what it held. */
static bool wq_full(struct pinrxe_wq *wq)
{
	uint32_t cons = __atomic_load_n(&wq->ring->consumer, __ATOMIC_ACQUIRE);

	return wq->prod - cons >= wq->num_wqe;
}

static void wq_publish(struct pinrxe_wq *wq)
{
	__atomic_store_n(&wq->ring->producer, wq->prod, __ATOMIC_RELEASE);
}

/*
 * Map a ring the kernel describes, after checking that the description is
 * one we understand and that elements of wqe_size hold min_wqe bytes.
 * Returns 0 or an errno.
 */
static int wq_map(struct ibv_context *context, struct pinrxe_wq *wq,
		  const struct pinrxe_mmap_info *mi, uint32_t num_wqe,
		  uint32_t wqe_size, uint64_t min_wqe)
{
	void *ring;

	if (!num_wqe || (num_wqe & (num_wqe - 1)) || !wqe_size ||
	    (wqe_size & (wqe_size - 1)) || wqe_size < min_wqe ||
	    mi->size < PINRXE_RING_HDR_SIZE + (uint64_t)num_wqe * wqe_size)
		return EPROTO;
	ring = mmap(NULL, mi->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    context->cmd_fd, mi->offset);
	if (ring == MAP_FAILED)
		return errno;
	wq->ring = ring;
	wq->map_size = mi->size;
	wq->num_wqe = num_wqe;
	wq->wqe_size = wqe_size;
	wq->prod = 0;
	pthread_spin_init(&wq->lock, PTHREAD_PROCESS_PRIVATE);
	return 0;
}

static void wq_unmap(struct pinrxe_wq *wq)
{
	if (!wq->ring)
		return;
	munmap(wq->ring, wq->map_size);
	pthread_spin_destroy(&wq->lock);
	wq->ring = NULL;
}

/*
 * The doorbell: post_send or post_recv with no work requests, in the
 * legacy write() form (there is no ioctl form of these commands).
 */
static int ring_doorbell(struct ibv_qp *ibqp, uint32_t command)
{
	struct ib_uverbs_post_send_resp resp;
	struct ibv_post_wq_cmd cmd = {
		.hdr = {
			.command = command,
			.in_words = sizeof(cmd) / 4,
			.out_words = sizeof(resp) / 4,
		},
		.response = (uintptr_t)&resp,
		.qp_handle = ibqp->handle,
		.wqe_size = command == IB_USER_VERBS_CMD_POST_SEND ?
			    sizeof(struct ib_uverbs_send_wr) :
			    sizeof(struct ib_uverbs_recv_wr),
	};

	if (write(ibqp->context->cmd_fd, &cmd, sizeof(cmd)) != sizeof(cmd))
		return errno;
	return 0;
}

/* Queue pairs */

static void init_qp_ex(struct pinrxe_qp *qp);

struct ibv_qp *pinrxe_create_qp_ex(struct ibv_context *context,
				   struct ibv_qp_init_attr_ex *attr)
{
	struct upinrxe_create_qp_resp resp = {};
	struct ibv_create_qp_ex cmd = {};
	struct pinrxe_qp *qp;
	uint64_t data;
	int ret;

	if (attr->comp_mask & ~(IBV_QP_INIT_ATTR_PD |
				IBV_QP_INIT_ATTR_XRCD |
				IBV_QP_INIT_ATTR_CREATE_FLAGS |
				IBV_QP_INIT_ATTR_SEND_OPS_FLAGS)) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	if ((attr->comp_mask & IBV_QP_INIT_ATTR_SEND_OPS_FLAGS) &&
	    (attr->send_ops_flags &
	     ~(attr->qp_type == IBV_QPT_XRC_SEND ? PINRXE_XRC_SEND_OPS :
						   PINRXE_SEND_OPS))) {
		errno = EOPNOTSUPP;
		return NULL;
	}

	/* Zeroed: the error paths look at what was mapped. */
	qp = calloc(1, sizeof(*qp));
	if (!qp)
		return NULL;
	ret = ibv_cmd_create_qp_ex2(context, &qp->vqp, attr, &cmd, sizeof(cmd),
				    &resp.ibv_resp, sizeof(resp));
	if (ret) {
		free(qp);
		errno = ret;
		return NULL;
	}
	/* An XRC receive QP lives in the kernel alone: no rings to map. */
	if (attr->qp_type == IBV_QPT_XRC_RECV)
		return &qp->vqp.qp;

	data = attr->cap.max_send_sge * sizeof(struct pinrxe_sge);
	if (data < attr->cap.max_inline_data)
		data = attr->cap.max_inline_data;
	ret = wq_map(context, &qp->sq, &resp.drv.sq_mi, resp.drv.sq_num_wqe,
		     resp.drv.sq_wqe_size,
		     sizeof(struct pinrxe_send_wqe) + data);
	if (ret)
		goto err;
	qp->sq.max_sge = attr->cap.max_send_sge;
	qp->sq.max_inline = attr->cap.max_inline_data;
	if (!attr->srq && attr->qp_type != IBV_QPT_XRC_SEND) {
		ret = wq_map(context, &qp->rq, &resp.drv.rq_mi,
			     resp.drv.rq_num_wqe, resp.drv.rq_wqe_size,
			     sizeof(struct pinrxe_recv_wqe) +
			     attr->cap.max_recv_sge *
			     (uint64_t)sizeof(struct pinrxe_sge));
		if (ret)
			goto err;
		qp->rq.max_sge = attr->cap.max_recv_sge;
	}
	if (attr->comp_mask & IBV_QP_INIT_ATTR_SEND_OPS_FLAGS)
		init_qp_ex(qp);
	return &qp->vqp.qp;

err:
	wq_unmap(&qp->rq);
	wq_unmap(&qp->sq);
	ibv_cmd_destroy_qp(&qp->vqp.qp);
	free(qp);
	errno = ret;
	return NULL;
}

struct ibv_qp *pinrxe_create_qp(struct ibv_pd *pd,
				struct ibv_qp_init_attr *attr)
{
	struct ibv_qp_init_attr_ex attr_ex = {
		.qp_context = attr->qp_context,
		.send_cq = attr->send_cq,
		.recv_cq = attr->recv_cq,
		.srq = attr->srq,
		.cap = attr->cap,
		.qp_type = attr->qp_type,
		.sq_sig_all = attr->sq_sig_all,
		.comp_mask = IBV_QP_INIT_ATTR_PD,
		.pd = pd,
	};
	struct ibv_qp *qp;

	qp = pinrxe_create_qp_ex(pd->context, &attr_ex);
	if (qp)
		attr->cap = attr_ex.cap;
	return qp;
}

/*
 * The kernel discards a QP's outstanding work when it moves to RESET; its
 * completions not yet polled go too (pinrxe_cq_clean()).
 */
int pinrxe_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
		     int attr_mask)
{
	struct ibv_modify_qp cmd = {};
	int ret;

	ret = ibv_cmd_modify_qp(ibqp, attr, attr_mask, &cmd, sizeof(cmd));
	if (ret || !(attr_mask & IBV_QP_STATE) ||
	    attr->qp_state != IBV_QPS_RESET)
		return ret;
	/* XRC QPs have no receive CQ, an XRC receive QP no CQ at all. */
	if (ibqp->recv_cq)
		pinrxe_cq_clean(ibqp->recv_cq, ibqp->qp_num);
	if (ibqp->send_cq && ibqp->send_cq != ibqp->recv_cq)
		pinrxe_cq_clean(ibqp->send_cq, ibqp->qp_num);
	return 0;
}

/*
 * Open an XRC receive QP by number in an XRC domain: the QP another
 * process (or this one) created there, now this process's to modify and
 * query too.  It has no rings here either.
 */
struct ibv_qp *pinrxe_open_qp(struct ibv_context *context,
			      struct ibv_qp_open_attr *attr)
{
	struct ib_uverbs_create_qp_resp resp = {};
	struct ibv_open_qp cmd = {};
	struct pinrxe_qp *qp;
	int ret;

	qp = calloc(1, sizeof(*qp));
	if (!qp)
		return NULL;
	ret = ibv_cmd_open_qp(context, &qp->vqp, sizeof(qp->vqp), attr, &cmd,
			      sizeof(cmd), &resp, sizeof(resp));
	if (ret) {
		free(qp);
		errno = ret;
		return NULL;
	}
	return &qp->vqp.qp;
}

int pinrxe_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
		    int attr_mask, struct ibv_qp_init_attr *init_attr)
{
	struct ibv_query_qp cmd = {};

	return ibv_cmd_query_qp(ibqp, attr, attr_mask, init_attr, &cmd,
				sizeof(cmd));
}

int pinrxe_destroy_qp(struct ibv_qp *ibqp)
{
	struct pinrxe_qp *qp = to_pqp(ibqp);
	int ret;

	ret = ibv_cmd_destroy_qp(ibqp);
	if (ret)
		return ret;
	wq_unmap(&qp->rq);
	wq_unmap(&qp->sq);
	free(qp);
	return 0;
}

/* Send work requests */

static bool opcode_ok(enum ibv_qp_type type, enum ibv_wr_opcode opcode)
{
	bool xrc = type == IBV_QPT_XRC_SEND;

	switch (opcode) {
	case IBV_WR_SEND:
	case IBV_WR_SEND_WITH_IMM:
		return type == IBV_QPT_RC || type == IBV_QPT_UC ||
		       type == IBV_QPT_UD || xrc;
	case IBV_WR_RDMA_WRITE:
	case IBV_WR_RDMA_WRITE_WITH_IMM:
		return type == IBV_QPT_RC || type == IBV_QPT_UC || xrc;
	case IBV_WR_BIND_MW:
		return type == IBV_QPT_RC || type == IBV_QPT_UC;
	case IBV_WR_SEND_WITH_INV:
	case IBV_WR_RDMA_READ:
	case IBV_WR_ATOMIC_CMP_AND_SWP:
	case IBV_WR_ATOMIC_FETCH_AND_ADD:
	case IBV_WR_LOCAL_INV:
		return type == IBV_QPT_RC || xrc;
	case IBV_WR_ATOMIC_WRITE:
		return type == IBV_QPT_RC;
	default:
		return false;
	}
}

static bool opcode_inline(uint32_t opcode)
{
	return opcode == IBV_WR_SEND || opcode == IBV_WR_SEND_WITH_IMM ||
	       opcode == IBV_WR_SEND_WITH_INV || opcode == IBV_WR_RDMA_WRITE ||
	       opcode == IBV_WR_RDMA_WRITE_WITH_IMM;
}

static bool opcode_atomic(uint32_t opcode)
{
	return opcode == IBV_WR_ATOMIC_CMP_AND_SWP ||
	       opcode == IBV_WR_ATOMIC_FETCH_AND_ADD;
}

/* Start a WQE in the free slot at sq.prod; the caller checked for room. */
static struct pinrxe_send_wqe *wqe_begin(struct pinrxe_qp *qp,
					 uint64_t wr_id, uint32_t opcode,
					 unsigned int flags)
{
	struct pinrxe_send_wqe *wqe = wq_slot(&qp->sq, qp->sq.prod);

	memset(wqe, 0, sizeof(*wqe));
	wqe->wr_id = wr_id;
	wqe->opcode = opcode;
	wqe->send_flags = flags;
	return wqe;
}

static int wqe_set_sges(struct pinrxe_qp *qp, struct pinrxe_send_wqe *wqe,
			size_t num_sge, const struct ibv_sge *sg_list)
{
	if (num_sge > qp->sq.max_sge)
		return EINVAL;
	memcpy(wqe->sge, sg_list, num_sge * sizeof(*sg_list));
	wqe->num_sge = num_sge;
	return 0;
}

/*
 * Inline data is gathered into the WQE: its content is sent, the buffers
 * are not read again.  Buffers come as ibv_data_buf (ibv_wr_*()) or as
 * SGEs (ibv_post_send()).
 */
static int wqe_inline_begin(struct pinrxe_qp *qp, struct pinrxe_send_wqe *wqe,
			    uint64_t len)
{
	if (!opcode_inline(wqe->opcode) || len > qp->sq.max_inline)
		return EINVAL;
	wqe->send_flags |= IBV_SEND_INLINE;
	wqe->num_sge = 0;
	wqe->inline_len = len;
	return 0;
}

static int wqe_set_inline(struct pinrxe_qp *qp, struct pinrxe_send_wqe *wqe,
			  size_t num_buf, const struct ibv_data_buf *bufs)
{
	char *dst = (char *)wqe->sge;
	uint64_t len = 0;
	size_t i;
	int ret;

	for (i = 0; i < num_buf; i++)
		len += bufs[i].length;
	ret = wqe_inline_begin(qp, wqe, len);
	if (ret)
		return ret;
	for (i = 0; i < num_buf; i++) {
		memcpy(dst, bufs[i].addr, bufs[i].length);
		dst += bufs[i].length;
	}
	return 0;
}

static int wqe_set_inline_sges(struct pinrxe_qp *qp,
			       struct pinrxe_send_wqe *wqe, size_t num_sge,
			       const struct ibv_sge *sg_list)
{
	char *dst = (char *)wqe->sge;
	uint64_t len = 0;
	size_t i;
	int ret;

	for (i = 0; i < num_sge; i++)
		len += sg_list[i].length;
	ret = wqe_inline_begin(qp, wqe, len);
	if (ret)
		return ret;
	for (i = 0; i < num_sge; i++) {
		memcpy(dst, (void *)(uintptr_t)sg_list[i].addr,
		       sg_list[i].length);
		dst += sg_list[i].length;
	}
	return 0;
}

/* What can only be checked once the WQE is complete. */
static int wqe_check(struct pinrxe_qp *qp, const struct pinrxe_send_wqe *wqe,
		     bool ud_addr)
{
	uint64_t len = 0;
	uint32_t i;

	if (qp->vqp.qp.qp_type == IBV_QPT_UD && !ud_addr)
		return EINVAL;
	if (opcode_atomic(wqe->opcode)) {
		for (i = 0; i < wqe->num_sge; i++)
			len += wqe->sge[i].length;
		/* The original value, 8 bytes, lands in the local buffer. */
		if (len < 8 || (wqe->wr.atomic.remote_addr & 7))
			return EINVAL;
	}
	/* Its 8 bytes are in the WQE: no SGEs, no inline data. */
	if (wqe->opcode == IBV_WR_ATOMIC_WRITE &&
	    (wqe->num_sge || (wqe->wr.atomic.remote_addr & 7)))
		return EINVAL;
	if ((wqe->opcode == IBV_WR_LOCAL_INV ||
	     wqe->opcode == IBV_WR_BIND_MW) && wqe->num_sge)
		return EINVAL;
	return 0;
}

/*
 * A bind work request, of a type 2 window, or of a type 1 window when it
 * comes from ibv_bind_mw() (type1): IBTA binds type 1 windows with that
 * verb only.  A window bound to nothing (length 0) is how a type 1 window
 * is unbound.  Zero-based windows, which IBTA allows for type 2 only, are
 * not supported.  The kernel checks the rest (states, PDs, the MR's rights
 * and range) when it executes the bind, which then completes with
 * IBV_WC_MW_BIND_ERR if they fail.
 */
static int wqe_set_bind(struct pinrxe_send_wqe *wqe, struct ibv_mw *mw,
			uint32_t rkey, const struct ibv_mw_bind_info *info,
			bool type1)
{
	if (!mw || (mw->type == IBV_MW_TYPE_1) != type1 ||
	    (!info->mr && info->length))
		return EINVAL;
	if (info->mw_access_flags & ~(PINRXE_MW_ACCESS | IBV_ACCESS_ZERO_BASED))
		return EINVAL;
	if (info->mw_access_flags & IBV_ACCESS_ZERO_BASED)
		return type1 ? EINVAL : EOPNOTSUPP;
	wqe->wr.bind_mw.addr = info->addr;
	wqe->wr.bind_mw.length = info->length;
	wqe->wr.bind_mw.mw_rkey = mw->rkey;
	wqe->wr.bind_mw.rkey = rkey;
	wqe->wr.bind_mw.mr_lkey = info->mr ? info->mr->lkey : 0;
	wqe->wr.bind_mw.access = info->mw_access_flags;
	return 0;
}

static int post_one_send(struct pinrxe_qp *qp, struct ibv_send_wr *wr,
			 bool bind_type1)
{
	struct pinrxe_send_wqe *wqe;
	int ret;

	/* ibv_send_wr has no room for an atomic write's data: ibv_wr_*() only. */
	if (!opcode_ok(qp->vqp.qp.qp_type, wr->opcode) ||
	    wr->opcode == IBV_WR_ATOMIC_WRITE ||
	    (wr->send_flags & ~PINRXE_SEND_FLAGS) || wr->num_sge < 0)
		return EINVAL;
	if (wq_full(&qp->sq))
		return ENOMEM;

	wqe = wqe_begin(qp, wr->wr_id, wr->opcode,
			wr->send_flags & ~IBV_SEND_INLINE);
	switch (wr->opcode) {
	case IBV_WR_SEND_WITH_IMM:
	case IBV_WR_RDMA_WRITE_WITH_IMM:
		wqe->ex.imm_data = wr->imm_data;
		break;
	case IBV_WR_SEND_WITH_INV:
	case IBV_WR_LOCAL_INV:
		wqe->ex.invalidate_rkey = wr->invalidate_rkey;
		break;
	default:
		break;
	}
	switch (wr->opcode) {
	case IBV_WR_RDMA_WRITE:
	case IBV_WR_RDMA_WRITE_WITH_IMM:
	case IBV_WR_RDMA_READ:
		wqe->wr.rdma.remote_addr = wr->wr.rdma.remote_addr;
		wqe->wr.rdma.rkey = wr->wr.rdma.rkey;
		break;
	case IBV_WR_ATOMIC_CMP_AND_SWP:
	case IBV_WR_ATOMIC_FETCH_AND_ADD:
		wqe->wr.atomic.remote_addr = wr->wr.atomic.remote_addr;
		wqe->wr.atomic.compare_add = wr->wr.atomic.compare_add;
		wqe->wr.atomic.swap = wr->wr.atomic.swap;
		wqe->wr.atomic.rkey = wr->wr.atomic.rkey;
		break;
	case IBV_WR_BIND_MW:
		ret = wqe_set_bind(wqe, wr->bind_mw.mw, wr->bind_mw.rkey,
				   &wr->bind_mw.bind_info, bind_type1);
		if (ret)
			return ret;
		break;
	default:
		break;
	}
	/* The XRC SRQ at the responder; the kernel checks its 24 bits. */
	if (qp->vqp.qp.qp_type == IBV_QPT_XRC_SEND)
		wqe->xrc_srqn = wr->qp_type.xrc.remote_srqn;
	if (qp->vqp.qp.qp_type == IBV_QPT_UD && wr->wr.ud.ah) {
		wqe->wr.ud.ah_num = to_pah(wr->wr.ud.ah)->ah_num;
		wqe->wr.ud.remote_qpn = wr->wr.ud.remote_qpn;
		wqe->wr.ud.remote_qkey = wr->wr.ud.remote_qkey;
	}

	if (wr->send_flags & IBV_SEND_INLINE) {
		ret = wqe_set_inline_sges(qp, wqe, wr->num_sge, wr->sg_list);
	} else {
		ret = wqe_set_sges(qp, wqe, wr->num_sge, wr->sg_list);
	}
	if (!ret)
		ret = wqe_check(qp, wqe,
				qp->vqp.qp.qp_type != IBV_QPT_UD ||
				wr->wr.ud.ah);
	if (ret)
		return ret;
	qp->sq.prod++;
	return 0;
}

/*
 * Verbs fail posting to a QP whose send queue is not (yet) running:
 * RESET, INIT and RTR.  In SQD, SQE and ERR the WRs are taken, to be sent
 * later or flushed.
 */
static int post_send_list(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
			  struct ibv_send_wr **bad_wr, bool bind_type1)
{
	struct pinrxe_qp *qp = to_pqp(ibqp);
	uint32_t start;
	int ret = 0;

	*bad_wr = NULL;
	/* An XRC receive QP has no send queue. */
	if (ibqp->state < IBV_QPS_RTS || !qp->sq.ring) {
		*bad_wr = wr;
		return EINVAL;
	}
	pthread_spin_lock(&qp->sq.lock);
	start = qp->sq.prod;
	for (; wr; wr = wr->next) {
		ret = post_one_send(qp, wr, bind_type1);
		if (ret) {
			*bad_wr = wr;
			break;
		}
	}
	if (qp->sq.prod != start)
		wq_publish(&qp->sq);
	pthread_spin_unlock(&qp->sq.lock);

	/* Once per call, for everything posted. */
	if (qp->sq.prod != start) {
		int db = ring_doorbell(ibqp, IB_USER_VERBS_CMD_POST_SEND);

		if (!ret)
			ret = db;
	}
	return ret;
}

int pinrxe_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
		     struct ibv_send_wr **bad_wr)
{
	return post_send_list(ibqp, wr, bad_wr, false);
}

/*
 * ibv_bind_mw() of a type 1 window (libibverbs checked the type and that
 * window and MR share a PD): a bind work request with the next key byte.
 * The window takes the new rkey at once; if the bind completes in error,
 * the application puts the old one back, as verbs specify.
 */
int pinrxe_bind_mw(struct ibv_qp *ibqp, struct ibv_mw *mw,
		   struct ibv_mw_bind *mw_bind)
{
	struct ibv_send_wr wr = {
		.wr_id = mw_bind->wr_id,
		.opcode = IBV_WR_BIND_MW,
		.send_flags = mw_bind->send_flags,
		.bind_mw = {
			.mw = mw,
			.rkey = ibv_inc_rkey(mw->rkey),
			.bind_info = mw_bind->bind_info,
		},
	};
	struct ibv_send_wr *bad_wr;
	int ret;

	ret = post_send_list(ibqp, &wr, &bad_wr, true);
	if (ret) {
		errno = ret;
		return ret;
	}
	mw->rkey = wr.bind_mw.rkey;
	return 0;
}

/* Receive work requests */

static int post_one_recv(struct pinrxe_wq *rq, struct ibv_recv_wr *wr)
{
	struct pinrxe_recv_wqe *wqe;

	if (wr->num_sge < 0 || (uint32_t)wr->num_sge > rq->max_sge)
		return EINVAL;
	if (wq_full(rq))
		return ENOMEM;
	wqe = wq_slot(rq, rq->prod);
	wqe->wr_id = wr->wr_id;
	wqe->num_sge = wr->num_sge;
	wqe->reserved = 0;
	memcpy(wqe->sge, wr->sg_list, wr->num_sge * sizeof(*wr->sg_list));
	rq->prod++;
	return 0;
}

static int post_recv_list(struct pinrxe_wq *rq, struct ibv_recv_wr *wr,
			  struct ibv_recv_wr **bad_wr, bool *posted)
{
	uint32_t start;
	int ret = 0;

	pthread_spin_lock(&rq->lock);
	start = rq->prod;
	for (; wr; wr = wr->next) {
		ret = post_one_recv(rq, wr);
		if (ret) {
			*bad_wr = wr;
			break;
		}
	}
	*posted = rq->prod != start;
	if (*posted)
		wq_publish(rq);
	pthread_spin_unlock(&rq->lock);
	return ret;
}

/* Receives may be posted from INIT on; a QP with an SRQ has no RQ. */
int pinrxe_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr,
		     struct ibv_recv_wr **bad_wr)
{
	struct pinrxe_qp *qp = to_pqp(ibqp);
	bool posted;
	int ret;

	*bad_wr = NULL;
	if (ibqp->state == IBV_QPS_RESET || !qp->rq.ring) {
		*bad_wr = wr;
		return EINVAL;
	}
	ret = post_recv_list(&qp->rq, wr, bad_wr, &posted);
	if (posted && ibqp->state == IBV_QPS_ERR) {
		int db = ring_doorbell(ibqp, IB_USER_VERBS_CMD_POST_RECV);

		if (!ret)
			ret = db;
	}
	return ret;
}

/* The ibv_wr_*() API: a batch of send WRs built in place in the ring */

static struct pinrxe_qp *qpx_to_pqp(struct ibv_qp_ex *qpx)
{
	return container_of(qpx, struct pinrxe_qp, vqp.qp_ex);
}

/* Count the WQE being built, if it is good; the batch fails otherwise. */
static void qpx_commit(struct pinrxe_qp *qp)
{
	if (!qp->ex_wqe)
		return;
	if (!qp->ex_err)
		qp->ex_err = wqe_check(qp, qp->ex_wqe, qp->ex_ud_addr);
	if (!qp->ex_err)
		qp->sq.prod++;
	qp->ex_wqe = NULL;
}

static struct pinrxe_send_wqe *qpx_begin(struct ibv_qp_ex *qpx,
					 uint32_t opcode)
{
	struct pinrxe_qp *qp = qpx_to_pqp(qpx);

	qpx_commit(qp);
	if (qp->ex_err)
		return NULL;
	if (!opcode_ok(qp->vqp.qp.qp_type, opcode) ||
	    (qpx->wr_flags & ~PINRXE_SEND_FLAGS)) {
		qp->ex_err = EINVAL;
		return NULL;
	}
	if (wq_full(&qp->sq)) {
		qp->ex_err = ENOMEM;
		return NULL;
	}
	/* Inline is a property of the data set later, not a flag to trust. */
	qp->ex_wqe = wqe_begin(qp, qpx->wr_id, opcode,
			       qpx->wr_flags & ~IBV_SEND_INLINE);
	qp->ex_ud_addr = false;
	return qp->ex_wqe;
}

static void qpx_wr_start(struct ibv_qp_ex *qpx)
{
	struct pinrxe_qp *qp = qpx_to_pqp(qpx);

	pthread_spin_lock(&qp->sq.lock);
	qp->ex_start = qp->sq.prod;
	qp->ex_wqe = NULL;
	qp->ex_err = qp->vqp.qp.state < IBV_QPS_RTS ? EINVAL : 0;
}

static int qpx_wr_complete(struct ibv_qp_ex *qpx)
{
	struct pinrxe_qp *qp = qpx_to_pqp(qpx);
	bool posted;
	int ret;

	qpx_commit(qp);
	ret = qp->ex_err;
	/* All or nothing: a failed batch leaves the ring as it found it. */
	if (ret)
		qp->sq.prod = qp->ex_start;
	posted = qp->sq.prod != qp->ex_start;
	if (posted)
		wq_publish(&qp->sq);
	pthread_spin_unlock(&qp->sq.lock);
	if (posted)
		ret = ring_doorbell(&qp->vqp.qp, IB_USER_VERBS_CMD_POST_SEND);
	return ret;
}

static void qpx_wr_abort(struct ibv_qp_ex *qpx)
{
	struct pinrxe_qp *qp = qpx_to_pqp(qpx);

	qp->sq.prod = qp->ex_start;
	qp->ex_wqe = NULL;
	pthread_spin_unlock(&qp->sq.lock);
}

static void qpx_send(struct ibv_qp_ex *qpx)
{
	qpx_begin(qpx, IBV_WR_SEND);
}

static void qpx_send_imm(struct ibv_qp_ex *qpx, __be32 imm_data)
{
	struct pinrxe_send_wqe *wqe = qpx_begin(qpx, IBV_WR_SEND_WITH_IMM);

	if (wqe)
		wqe->ex.imm_data = imm_data;
}

static void qpx_send_inv(struct ibv_qp_ex *qpx, uint32_t invalidate_rkey)
{
	struct pinrxe_send_wqe *wqe = qpx_begin(qpx, IBV_WR_SEND_WITH_INV);

	if (wqe)
		wqe->ex.invalidate_rkey = invalidate_rkey;
}

static void qpx_rdma(struct ibv_qp_ex *qpx, uint32_t opcode, uint32_t rkey,
		     uint64_t remote_addr, __be32 imm_data)
{
	struct pinrxe_send_wqe *wqe = qpx_begin(qpx, opcode);

	if (!wqe)
		return;
	wqe->wr.rdma.remote_addr = remote_addr;
	wqe->wr.rdma.rkey = rkey;
	if (opcode == IBV_WR_RDMA_WRITE_WITH_IMM)
		wqe->ex.imm_data = imm_data;
}

static void qpx_rdma_write(struct ibv_qp_ex *qpx, uint32_t rkey,
			   uint64_t remote_addr)
{
	qpx_rdma(qpx, IBV_WR_RDMA_WRITE, rkey, remote_addr, 0);
}

static void qpx_rdma_write_imm(struct ibv_qp_ex *qpx, uint32_t rkey,
			       uint64_t remote_addr, __be32 imm_data)
{
	qpx_rdma(qpx, IBV_WR_RDMA_WRITE_WITH_IMM, rkey, remote_addr, imm_data);
}

static void qpx_rdma_read(struct ibv_qp_ex *qpx, uint32_t rkey,
			  uint64_t remote_addr)
{
	qpx_rdma(qpx, IBV_WR_RDMA_READ, rkey, remote_addr, 0);
}

static void qpx_atomic(struct ibv_qp_ex *qpx, uint32_t opcode, uint32_t rkey,
		       uint64_t remote_addr, uint64_t compare_add,
		       uint64_t swap)
{
	struct pinrxe_send_wqe *wqe = qpx_begin(qpx, opcode);

	if (!wqe)
		return;
	wqe->wr.atomic.remote_addr = remote_addr;
	wqe->wr.atomic.compare_add = compare_add;
	wqe->wr.atomic.swap = swap;
	wqe->wr.atomic.rkey = rkey;
}

static void qpx_atomic_cmp_swp(struct ibv_qp_ex *qpx, uint32_t rkey,
			       uint64_t remote_addr, uint64_t compare,
			       uint64_t swap)
{
	qpx_atomic(qpx, IBV_WR_ATOMIC_CMP_AND_SWP, rkey, remote_addr, compare,
		   swap);
}

static void qpx_atomic_fetch_add(struct ibv_qp_ex *qpx, uint32_t rkey,
				 uint64_t remote_addr, uint64_t add)
{
	qpx_atomic(qpx, IBV_WR_ATOMIC_FETCH_AND_ADD, rkey, remote_addr, add, 0);
}

static void qpx_atomic_write(struct ibv_qp_ex *qpx, uint32_t rkey,
			     uint64_t remote_addr, const void *atomic_wr)
{
	struct pinrxe_send_wqe *wqe = qpx_begin(qpx, IBV_WR_ATOMIC_WRITE);

	if (!wqe)
		return;
	wqe->wr.atomic.remote_addr = remote_addr;
	wqe->wr.atomic.rkey = rkey;
	memcpy(&wqe->wr.atomic.swap, atomic_wr, sizeof(wqe->wr.atomic.swap));
}

static void qpx_local_inv(struct ibv_qp_ex *qpx, uint32_t invalidate_rkey)
{
	struct pinrxe_send_wqe *wqe = qpx_begin(qpx, IBV_WR_LOCAL_INV);

	if (wqe)
		wqe->ex.invalidate_rkey = invalidate_rkey;
}

/* Type 2 windows only: type 1 windows are bound with ibv_bind_mw(). */
static void qpx_bind_mw(struct ibv_qp_ex *qpx, struct ibv_mw *mw,
			uint32_t rkey, const struct ibv_mw_bind_info *info)
{
	struct pinrxe_send_wqe *wqe = qpx_begin(qpx, IBV_WR_BIND_MW);
	struct pinrxe_qp *qp = qpx_to_pqp(qpx);
	int ret;

	if (!wqe)
		return;
	ret = wqe_set_bind(wqe, mw, rkey, info, false);
	if (ret && !qp->ex_err)
		qp->ex_err = ret;
}

static void qpx_set_ud_addr(struct ibv_qp_ex *qpx, struct ibv_ah *ah,
			    uint32_t remote_qpn, uint32_t remote_qkey)
{
	struct pinrxe_qp *qp = qpx_to_pqp(qpx);
	struct pinrxe_send_wqe *wqe = qp->ex_wqe;

	if (!wqe)
		return;
	if (qp->vqp.qp.qp_type != IBV_QPT_UD || !ah) {
		qp->ex_err = qp->ex_err ? qp->ex_err : EINVAL;
		return;
	}
	wqe->wr.ud.ah_num = to_pah(ah)->ah_num;
	wqe->wr.ud.remote_qpn = remote_qpn;
	wqe->wr.ud.remote_qkey = remote_qkey;
	qp->ex_ud_addr = true;
}

static void qpx_set_xrc_srqn(struct ibv_qp_ex *qpx, uint32_t remote_srqn)
{
	struct pinrxe_qp *qp = qpx_to_pqp(qpx);

	if (!qp->ex_wqe)
		return;
	if (qp->vqp.qp.qp_type != IBV_QPT_XRC_SEND) {
		qp->ex_err = qp->ex_err ? qp->ex_err : EINVAL;
		return;
	}
	qp->ex_wqe->xrc_srqn = remote_srqn;
}

static void qpx_set_sge_list(struct ibv_qp_ex *qpx, size_t num_sge,
			     const struct ibv_sge *sg_list)
{
	struct pinrxe_qp *qp = qpx_to_pqp(qpx);
	int ret;

	if (!qp->ex_wqe)
		return;
	ret = wqe_set_sges(qp, qp->ex_wqe, num_sge, sg_list);
	if (ret && !qp->ex_err)
		qp->ex_err = ret;
}

static void qpx_set_sge(struct ibv_qp_ex *qpx, uint32_t lkey, uint64_t addr,
			uint32_t length)
{
	struct ibv_sge sge = { .addr = addr, .length = length, .lkey = lkey };

	qpx_set_sge_list(qpx, 1, &sge);
}

static void qpx_set_inline_data_list(struct ibv_qp_ex *qpx, size_t num_buf,
				     const struct ibv_data_buf *buf_list)
{
	struct pinrxe_qp *qp = qpx_to_pqp(qpx);
	int ret;

	if (!qp->ex_wqe)
		return;
	ret = wqe_set_inline(qp, qp->ex_wqe, num_buf, buf_list);
	if (ret && !qp->ex_err)
		qp->ex_err = ret;
}

static void qpx_set_inline_data(struct ibv_qp_ex *qpx, void *addr,
				size_t length)
{
	struct ibv_data_buf buf = { .addr = addr, .length = length };

	qpx_set_inline_data_list(qpx, 1, &buf);
}

static void init_qp_ex(struct pinrxe_qp *qp)
{
	struct ibv_qp_ex *qpx = &qp->vqp.qp_ex;

	qpx->wr_start = qpx_wr_start;
	qpx->wr_complete = qpx_wr_complete;
	qpx->wr_abort = qpx_wr_abort;
	qpx->wr_send = qpx_send;
	qpx->wr_send_imm = qpx_send_imm;
	qpx->wr_send_inv = qpx_send_inv;
	qpx->wr_rdma_write = qpx_rdma_write;
	qpx->wr_rdma_write_imm = qpx_rdma_write_imm;
	qpx->wr_rdma_read = qpx_rdma_read;
	qpx->wr_atomic_cmp_swp = qpx_atomic_cmp_swp;
	qpx->wr_atomic_fetch_add = qpx_atomic_fetch_add;
	qpx->wr_atomic_write = qpx_atomic_write;
	qpx->wr_local_inv = qpx_local_inv;
	qpx->wr_bind_mw = qpx_bind_mw;
	qpx->wr_set_ud_addr = qpx_set_ud_addr;
	qpx->wr_set_xrc_srqn = qpx_set_xrc_srqn;
	qpx->wr_set_sge = qpx_set_sge;
	qpx->wr_set_sge_list = qpx_set_sge_list;
	qpx->wr_set_inline_data = qpx_set_inline_data;
	qpx->wr_set_inline_data_list = qpx_set_inline_data_list;
	/* ibv_qp_to_qp_ex() hands out qp_ex only with this. */
	qp->vqp.comp_mask |= VERBS_QP_EX;
}

/* Shared receive queues */

/*
 * Map the ring of an SRQ the kernel just created; on failure the SRQ is
 * destroyed and freed.  Returns 0 or an errno.
 */
static int srq_map(struct ibv_context *context, struct pinrxe_srq *srq,
		   const struct upinrxe_create_srq_resp *resp,
		   uint32_t max_sge)
{
	int ret;

	ret = wq_map(context, &srq->rq, &resp->drv.mi, resp->drv.num_wqe,
		     resp->drv.wqe_size,
		     sizeof(struct pinrxe_recv_wqe) +
		     max_sge * (uint64_t)sizeof(struct pinrxe_sge));
	if (ret) {
		ibv_cmd_destroy_srq(&srq->vsrq.srq);
		free(srq);
		return ret;
	}
	srq->rq.max_sge = max_sge;
	return 0;
}

struct ibv_srq *pinrxe_create_srq(struct ibv_pd *pd,
				  struct ibv_srq_init_attr *attr)
{
	struct upinrxe_create_srq_resp resp = {};
	struct ibv_create_srq cmd = {};
	struct pinrxe_srq *srq;
	int ret;

	srq = calloc(1, sizeof(*srq));
	if (!srq)
		return NULL;
	ret = ibv_cmd_create_srq(pd, &srq->vsrq.srq, attr, &cmd, sizeof(cmd),
				 &resp.ibv_resp, sizeof(resp));
	if (ret) {
		free(srq);
		errno = ret;
		return NULL;
	}
	ret = srq_map(pd->context, srq, &resp, attr->attr.max_sge);
	if (ret) {
		errno = ret;
		return NULL;
	}
	return &srq->vsrq.srq;
}

/*
 * Basic SRQs (libibverbs sends those with no other attribute to
 * create_srq) and XRC SRQs, with their XRC domain and CQ; tag matching is
 * not supported.
 */
struct ibv_srq *pinrxe_create_srq_ex(struct ibv_context *context,
				     struct ibv_srq_init_attr_ex *attr)
{
	struct upinrxe_create_srq_resp resp = {};
	struct ibv_create_xsrq cmd = {};
	struct pinrxe_srq *srq;
	int ret;

	if (attr->comp_mask & ~(IBV_SRQ_INIT_ATTR_TYPE | IBV_SRQ_INIT_ATTR_PD |
				IBV_SRQ_INIT_ATTR_XRCD |
				IBV_SRQ_INIT_ATTR_CQ)) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	if ((attr->comp_mask & IBV_SRQ_INIT_ATTR_TYPE) &&
	    attr->srq_type != IBV_SRQT_BASIC && attr->srq_type != IBV_SRQT_XRC) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	srq = calloc(1, sizeof(*srq));
	if (!srq)
		return NULL;
	ret = ibv_cmd_create_srq_ex(context, &srq->vsrq, attr, &cmd,
				    sizeof(cmd), &resp.ibv_resp, sizeof(resp));
	if (ret) {
		free(srq);
		errno = ret;
		return NULL;
	}
	srq->vsrq.srq.srq_context = attr->srq_context;
	ret = srq_map(context, srq, &resp, attr->attr.max_sge);
	if (ret) {
		errno = ret;
		return NULL;
	}
	return &srq->vsrq.srq;
}

/* XRC senders name the SRQ by the number the kernel gave it. */
int pinrxe_get_srq_num(struct ibv_srq *ibsrq, uint32_t *srq_num)
{
	struct pinrxe_srq *srq = to_psrq(ibsrq);

	if (srq->vsrq.srq_type != IBV_SRQT_XRC)
		return EOPNOTSUPP;
	*srq_num = srq->vsrq.srq_num;
	return 0;
}

/* XRC domains: the kernel shares one between processes by file. */
struct ibv_xrcd *pinrxe_open_xrcd(struct ibv_context *context,
				  struct ibv_xrcd_init_attr *attr)
{
	struct ib_uverbs_open_xrcd_resp resp = {};
	struct ibv_open_xrcd cmd = {};
	struct pinrxe_xrcd *xrcd;
	int ret;

	xrcd = calloc(1, sizeof(*xrcd));
	if (!xrcd)
		return NULL;
	ret = ibv_cmd_open_xrcd(context, &xrcd->vxrcd, sizeof(xrcd->vxrcd),
				attr, &cmd, sizeof(cmd), &resp, sizeof(resp));
	if (ret) {
		free(xrcd);
		errno = ret;
		return NULL;
	}
	return &xrcd->vxrcd.xrcd;
}

/* EBUSY while SRQs or QPs of this process still use the domain. */
int pinrxe_close_xrcd(struct ibv_xrcd *ibxrcd)
{
	struct pinrxe_xrcd *xrcd = to_pxrcd(ibxrcd);
	int ret;

	ret = ibv_cmd_close_xrcd(&xrcd->vxrcd);
	if (ret)
		return ret;
	free(xrcd);
	return 0;
}

int pinrxe_modify_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr,
		      int attr_mask)
{
	struct ibv_modify_srq cmd = {};

	return ibv_cmd_modify_srq(ibsrq, attr, attr_mask, &cmd, sizeof(cmd));
}

int pinrxe_query_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr)
{
	struct ibv_query_srq cmd = {};

	return ibv_cmd_query_srq(ibsrq, attr, &cmd, sizeof(cmd));
}

int pinrxe_destroy_srq(struct ibv_srq *ibsrq)
{
	struct pinrxe_srq *srq = to_psrq(ibsrq);
	int ret;

	ret = ibv_cmd_destroy_srq(ibsrq);
	if (ret)
		return ret;
	wq_unmap(&srq->rq);
	free(srq);
	return 0;
}

int pinrxe_post_srq_recv(struct ibv_srq *ibsrq, struct ibv_recv_wr *wr,
			 struct ibv_recv_wr **bad_wr)
{
	bool posted;

	*bad_wr = NULL;
	return post_recv_list(&to_psrq(ibsrq)->rq, wr, bad_wr, &posted);
}

/* Address handles */

/*
 * The kernel resolves the destination MAC from the GID (uverbs create_ah
 * does it for RoCE), so nothing is resolved here.
 */
struct ibv_ah *pinrxe_create_ah(struct ibv_pd *pd, struct ibv_ah_attr *attr)
{
	struct upinrxe_create_ah_resp resp = {};
	struct pinrxe_ah *ah;
	int ret;

	ah = calloc(1, sizeof(*ah));
	if (!ah)
		return NULL;
	ret = ibv_cmd_create_ah(pd, &ah->ibv_ah, attr, &resp.ibv_resp,
				sizeof(resp));
	if (ret) {
		free(ah);
		errno = ret;
		return NULL;
	}
	ah->ah_num = resp.drv.ah_num;
	return &ah->ibv_ah;
}

int pinrxe_destroy_ah(struct ibv_ah *ibah)
{
	int ret;

	ret = ibv_cmd_destroy_ah(ibah);
	if (ret)
		return ret;
	free(to_pah(ibah));
	return 0;
}
