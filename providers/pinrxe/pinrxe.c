/*
 * pinrxe userspace verbs provider.
 *
 * Most verbs are plain ibv_cmd_* calls.  Completion queues are rings the
 * kernel fills and this provider maps and polls (see pinrxe_abi.h for the
 * layout and the index protocol).  Members of the ops table left NULL are
 * reported by libibverbs as not supported.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "pinrxe.h"
#include "pinrxedv.h"

static void pinrxe_free_context(struct ibv_context *ibctx);

static const struct verbs_match_ent hca_table[] = {
	/* no driver_id (RDMA_DRIVER_UNKNOWN): match ib device names pinrxe* */
	VERBS_NAME_MATCH("pinrxe", NULL),
	{},
};

/*
 * Also serves ibv_query_device(): libibverbs calls this with input == NULL
 * and attr_size == sizeof(struct ibv_device_attr).
 */
static int pinrxe_query_device(struct ibv_context *context,
			       const struct ibv_query_device_ex_input *input,
			       struct ibv_device_attr_ex *attr,
			       size_t attr_size)
{
	struct ib_uverbs_ex_query_device_resp resp;
	size_t resp_size = sizeof(resp);
	unsigned int major, minor, sub_minor;
	uint64_t raw_fw_ver;
	int ret;

	ret = ibv_cmd_query_device_any(context, input, attr, attr_size, &resp,
				       &resp_size);
	if (ret)
		return ret;

	raw_fw_ver = resp.base.fw_ver;
	major = (raw_fw_ver >> 32) & 0xffff;
	minor = (raw_fw_ver >> 16) & 0xffff;
	sub_minor = raw_fw_ver & 0xffff;

	snprintf(attr->orig_attr.fw_ver, sizeof(attr->orig_attr.fw_ver),
		 "%u.%u.%u", major, minor, sub_minor);

	return 0;
}

static int pinrxe_query_port(struct ibv_context *context, uint8_t port,
			     struct ibv_port_attr *attr)
{
	struct ibv_query_port cmd = {};

	return ibv_cmd_query_port(context, port, attr, &cmd, sizeof(cmd));
}

static struct ibv_pd *pinrxe_alloc_pd(struct ibv_context *context)
{
	struct ib_uverbs_alloc_pd_resp resp = {};
	struct ibv_alloc_pd cmd = {};
	struct ibv_pd *pd;
	int ret;

	pd = calloc(1, sizeof(*pd));
	if (!pd)
		return NULL;

	ret = ibv_cmd_alloc_pd(context, pd, &cmd, sizeof(cmd), &resp,
			       sizeof(resp));
	if (ret) {
		free(pd);
		errno = ret;
		return NULL;
	}

	return pd;
}

static int pinrxe_dealloc_pd(struct ibv_pd *pd)
{
	int ret;

	ret = ibv_cmd_dealloc_pd(pd);
	if (ret)
		return ret;

	free(pd);
	return 0;
}

static_assert(sizeof(struct pinrxe_ring_hdr) == PINRXE_RING_HDR_SIZE,
	      "pinrxe_ring_hdr");
static_assert(sizeof(struct pinrxe_cqe) == 64, "pinrxe_cqe");

/*
 * Map a CQ ring described by the kernel, after checking that the
 * description is one this provider understands.  Returns the mapping, or
 * NULL with errno set.
 */
static struct pinrxe_ring_hdr *pinrxe_map_cq_ring(struct ibv_context *context,
						  const struct pinrxe_mmap_info *mi,
						  uint32_t num_cqe)
{
	void *ring;

	if (!num_cqe || (num_cqe & (num_cqe - 1)) ||
	    mi->size < PINRXE_RING_HDR_SIZE +
		       (uint64_t)num_cqe * sizeof(struct pinrxe_cqe)) {
		errno = EPROTO;
		return NULL;
	}
	ring = mmap(NULL, mi->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    context->cmd_fd, mi->offset);
	return ring == MAP_FAILED ? NULL : ring;
}

/*
 * Map the ring of a CQ the kernel just created; on failure the CQ is
 * destroyed again.  Returns 0 or an errno.
 */
static int pinrxe_cq_setup(struct ibv_context *context, struct pinrxe_cq *cq,
			   const struct pinrxe_create_cq_resp *drv)
{
	int ret;

	cq->ring = pinrxe_map_cq_ring(context, &drv->mi, drv->num_cqe);
	if (!cq->ring) {
		ret = errno;
		ibv_cmd_destroy_cq(&cq->vcq.cq);
		return ret;
	}
	cq->map_size = drv->mi.size;
	cq->num_cqe = drv->num_cqe;
	cq->cons = 0;
	cq->cur = NULL;
	pthread_spin_init(&cq->lock, PTHREAD_PROCESS_PRIVATE);
	return 0;
}

static struct ibv_cq *pinrxe_create_cq(struct ibv_context *context, int cqe,
				       struct ibv_comp_channel *channel,
				       int comp_vector)
{
	struct upinrxe_create_cq_resp resp = {};
	struct pinrxe_cq *cq;
	int ret;

	/* Zeroed: ibv_cmd_destroy_cq() on the error path uses its mutex. */
	cq = calloc(1, sizeof(*cq));
	if (!cq)
		return NULL;

	ret = ibv_cmd_create_cq(context, cqe, channel, comp_vector, &cq->vcq.cq,
				NULL, 0, &resp.ibv_resp, sizeof(resp));
	if (!ret)
		ret = pinrxe_cq_setup(context, cq, &resp.drv);
	if (ret) {
		free(cq);
		errno = ret;
		return NULL;
	}
	return &cq->vcq.cq;
}

static int pinrxe_destroy_cq(struct ibv_cq *ibcq)
{
	struct pinrxe_cq *cq = to_pcq(ibcq);
	int ret;

	ret = ibv_cmd_destroy_cq(ibcq);
	if (ret)
		return ret;

	if (cq->ring)
		munmap(cq->ring, cq->map_size);
	pthread_spin_destroy(&cq->lock);
	free(cq);
	return 0;
}

/*
 * The kernel copies the completions not yet polled to the start of the
 * new ring, so holding the lock across the switch (no poll in between)
 * loses none and the consumer index restarts from the new header.
 */
static int pinrxe_resize_cq(struct ibv_cq *ibcq, int cqe)
{
	struct pinrxe_cq *cq = to_pcq(ibcq);
	struct upinrxe_resize_cq_resp resp = {};
	struct ibv_resize_cq cmd = {};
	struct pinrxe_ring_hdr *ring;
	int ret;

	pthread_spin_lock(&cq->lock);
	if (!cq->ring) {
		ret = EIO;
		goto out;
	}
	ret = ibv_cmd_resize_cq(ibcq, cqe, &cmd, sizeof(cmd), &resp.ibv_resp,
				sizeof(resp));
	if (ret)
		goto out;

	/* From here on the old ring is dead, whatever happens next. */
	ring = pinrxe_map_cq_ring(ibcq->context, &resp.drv.mi,
				  resp.drv.num_cqe);
	munmap(cq->ring, cq->map_size);
	if (!ring) {
		ret = errno;
		cq->ring = NULL;
		cq->map_size = 0;
		goto out;
	}
	cq->ring = ring;
	cq->map_size = resp.drv.mi.size;
	cq->num_cqe = resp.drv.num_cqe;
	cq->cons = __atomic_load_n(&ring->consumer, __ATOMIC_RELAXED);
out:
	pthread_spin_unlock(&cq->lock);
	return ret;
}

/* CQE opcodes are the kernel's uverbs values, which libibverbs shares. */
static_assert(IBV_WC_BIND_MW == (int)IB_UVERBS_WC_BIND_MW, "IBV_WC_BIND_MW");
static_assert(IBV_WC_LOCAL_INV == (int)IB_UVERBS_WC_LOCAL_INV,
	      "IBV_WC_LOCAL_INV");

static unsigned int pinrxe_wc_flags(uint32_t flags)
{
	return (flags & PINRXE_CQE_GRH ? IBV_WC_GRH : 0) |
	       (flags & PINRXE_CQE_WITH_IMM ? IBV_WC_WITH_IMM : 0) |
	       (flags & PINRXE_CQE_WITH_INV ? IBV_WC_WITH_INV : 0);
}

static void pinrxe_cqe_to_wc(const struct pinrxe_cqe *cqe, struct ibv_wc *wc)
{
	uint32_t flags = cqe->flags;

	wc->wr_id = cqe->wr_id;
	wc->status = cqe->status;
	wc->opcode = cqe->opcode;
	wc->vendor_err = cqe->vendor_err;
	wc->byte_len = cqe->byte_len;
	if (flags & PINRXE_CQE_WITH_INV)
		wc->invalidated_rkey = cqe->ex.invalidate_rkey;
	else
		wc->imm_data = cqe->ex.imm_data;
	wc->qp_num = cqe->qp_num;
	wc->src_qp = cqe->src_qp;
	wc->wc_flags = pinrxe_wc_flags(flags);
	wc->pkey_index = cqe->pkey_index;
	wc->slid = cqe->slid;
	wc->sl = cqe->sl;
	wc->dlid_path_bits = cqe->dlid_path_bits;
}

/*
 * Polls the ring without a system call.  The acquire load of the producer
 * index pairs with the kernel's release store of it, so the completions it
 * covers are fully written; the release store of the consumer index pairs
 * with the kernel's acquire load of it, so the kernel reuses a slot only
 * after it was read here.
 */
static int pinrxe_poll_cq(struct ibv_cq *ibcq, int ne, struct ibv_wc *wc)
{
	struct pinrxe_cq *cq = to_pcq(ibcq);
	const struct pinrxe_cqe *elems;
	uint32_t prod, cons;
	int n = 0;

	pthread_spin_lock(&cq->lock);
	if (!cq->ring) {
		pthread_spin_unlock(&cq->lock);
		return -EIO;
	}
	elems = (const void *)((const char *)cq->ring + PINRXE_RING_HDR_SIZE);
	cons = cq->cons;
	prod = __atomic_load_n(&cq->ring->producer, __ATOMIC_ACQUIRE);
	if (prod - cons > cq->num_cqe) {
		pthread_spin_unlock(&cq->lock);
		return -EIO;
	}
	for (; n < ne && cons != prod; n++, cons++)
		pinrxe_cqe_to_wc(&elems[cons & (cq->num_cqe - 1)], &wc[n]);
	if (n) {
		__atomic_store_n(&cq->ring->consumer, cons, __ATOMIC_RELEASE);
		cq->cons = cons;
	}
	pthread_spin_unlock(&cq->lock);
	return n;
}

/*
 * Extended CQs.  A polling session reads completions in place in the
 * ring: start_poll takes the lock and points cur at the oldest one,
 * next_poll consumes it and moves on, end_poll consumes the last one read
 * and lets go.  The consumer index is published as completions are
 * consumed, with the ordering poll_cq uses.
 */
static const struct pinrxe_cqe *pinrxe_cqx_at(struct pinrxe_cq *cq,
					      uint32_t index)
{
	const struct pinrxe_cqe *elems =
		(const void *)((const char *)cq->ring + PINRXE_RING_HDR_SIZE);

	return &elems[index & (cq->num_cqe - 1)];
}

/*
 * Point the session at the completion at cons: 0, ENOENT or EIO (also for
 * a CQ whose ring was lost in a failed resize).
 */
static int pinrxe_cqx_load(struct pinrxe_cq *cq)
{
	uint32_t prod;

	cq->cur = NULL;
	if (!cq->ring)
		return EIO;
	prod = __atomic_load_n(&cq->ring->producer, __ATOMIC_ACQUIRE);
	if (prod - cq->cons > cq->num_cqe)
		return EIO;
	if (prod == cq->cons)
		return ENOENT;
	cq->cur = pinrxe_cqx_at(cq, cq->cons);
	cq->vcq.cq_ex.wr_id = cq->cur->wr_id;
	cq->vcq.cq_ex.status = cq->cur->status;
	return 0;
}

static void pinrxe_cqx_consume(struct pinrxe_cq *cq)
{
	if (!cq->cur)
		return;
	cq->cur = NULL;
	cq->cons++;
	__atomic_store_n(&cq->ring->consumer, cq->cons, __ATOMIC_RELEASE);
}

static int pinrxe_cqx_start_poll(struct ibv_cq_ex *cqx,
				 struct ibv_poll_cq_attr *attr)
{
	struct pinrxe_cq *cq = to_pcq_ex(cqx);
	int ret;

	if (attr->comp_mask)
		return EINVAL;
	pthread_spin_lock(&cq->lock);
	ret = pinrxe_cqx_load(cq);
	/* No session unless there is a completion to read. */
	if (ret)
		pthread_spin_unlock(&cq->lock);
	return ret;
}

static int pinrxe_cqx_next_poll(struct ibv_cq_ex *cqx)
{
	struct pinrxe_cq *cq = to_pcq_ex(cqx);

	pinrxe_cqx_consume(cq);
	return pinrxe_cqx_load(cq);
}

static void pinrxe_cqx_end_poll(struct ibv_cq_ex *cqx)
{
	struct pinrxe_cq *cq = to_pcq_ex(cqx);

	pinrxe_cqx_consume(cq);
	pthread_spin_unlock(&cq->lock);
}

static enum ibv_wc_opcode pinrxe_cqx_read_opcode(struct ibv_cq_ex *cqx)
{
	return to_pcq_ex(cqx)->cur->opcode;
}

static uint32_t pinrxe_cqx_read_vendor_err(struct ibv_cq_ex *cqx)
{
	return to_pcq_ex(cqx)->cur->vendor_err;
}

static uint32_t pinrxe_cqx_read_byte_len(struct ibv_cq_ex *cqx)
{
	return to_pcq_ex(cqx)->cur->byte_len;
}

/* Also ibv_wc_read_invalidated_rkey(): the CQE keeps either in one place. */
static __be32 pinrxe_cqx_read_imm_data(struct ibv_cq_ex *cqx)
{
	return to_pcq_ex(cqx)->cur->ex.imm_data;
}

static uint32_t pinrxe_cqx_read_qp_num(struct ibv_cq_ex *cqx)
{
	return to_pcq_ex(cqx)->cur->qp_num;
}

static uint32_t pinrxe_cqx_read_src_qp(struct ibv_cq_ex *cqx)
{
	return to_pcq_ex(cqx)->cur->src_qp;
}

static unsigned int pinrxe_cqx_read_wc_flags(struct ibv_cq_ex *cqx)
{
	return pinrxe_wc_flags(to_pcq_ex(cqx)->cur->flags);
}

static uint32_t pinrxe_cqx_read_slid(struct ibv_cq_ex *cqx)
{
	return to_pcq_ex(cqx)->cur->slid;
}

static uint8_t pinrxe_cqx_read_sl(struct ibv_cq_ex *cqx)
{
	return to_pcq_ex(cqx)->cur->sl;
}

static uint8_t pinrxe_cqx_read_dlid_path_bits(struct ibv_cq_ex *cqx)
{
	return to_pcq_ex(cqx)->cur->dlid_path_bits;
}

/*
 * The standard completion fields only: no timestamps (the kernel refuses
 * IB_UVERBS_CQ_FLAGS_TIMESTAMP_COMPLETION), VLANs, flow tags or tag
 * matching, and no parent domain.  IBV_CREATE_CQ_ATTR_SINGLE_THREADED is
 * a hint this provider may ignore; ignoring overruns is not offered.
 */
static struct ibv_cq_ex *pinrxe_create_cq_ex(struct ibv_context *context,
					     struct ibv_cq_init_attr_ex *attr)
{
	struct upinrxe_create_cq_ex_resp resp = {};
	struct ibv_create_cq_ex cmd = {};
	struct ibv_cq_ex *cqx;
	struct pinrxe_cq *cq;
	int ret;

	if ((attr->wc_flags & ~(uint64_t)IBV_WC_STANDARD_FLAGS) ||
	    (attr->comp_mask & ~IBV_CQ_INIT_ATTR_MASK_FLAGS) ||
	    ((attr->comp_mask & IBV_CQ_INIT_ATTR_MASK_FLAGS) &&
	     (attr->flags & ~IBV_CREATE_CQ_ATTR_SINGLE_THREADED))) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	cq = calloc(1, sizeof(*cq));
	if (!cq)
		return NULL;
	ret = ibv_cmd_create_cq_ex(context, attr, &cq->vcq, &cmd, sizeof(cmd),
				   &resp.ibv_resp, sizeof(resp), 0);
	if (!ret)
		ret = pinrxe_cq_setup(context, cq, &resp.drv);
	if (ret) {
		free(cq);
		errno = ret;
		return NULL;
	}

	cqx = &cq->vcq.cq_ex;
	cqx->start_poll = pinrxe_cqx_start_poll;
	cqx->next_poll = pinrxe_cqx_next_poll;
	cqx->end_poll = pinrxe_cqx_end_poll;
	cqx->read_opcode = pinrxe_cqx_read_opcode;
	cqx->read_vendor_err = pinrxe_cqx_read_vendor_err;
	cqx->read_byte_len = pinrxe_cqx_read_byte_len;
	cqx->read_imm_data = pinrxe_cqx_read_imm_data;
	cqx->read_qp_num = pinrxe_cqx_read_qp_num;
	cqx->read_src_qp = pinrxe_cqx_read_src_qp;
	cqx->read_wc_flags = pinrxe_cqx_read_wc_flags;
	cqx->read_slid = pinrxe_cqx_read_slid;
	cqx->read_sl = pinrxe_cqx_read_sl;
	cqx->read_dlid_path_bits = pinrxe_cqx_read_dlid_path_bits;
	return cqx;
}

/*
 * Drop the completions of QP @qpn that were not yet polled, for a QP moved
 * to RESET: its work is gone, and completions left behind would be taken
 * for those of the work posted after it is brought up again (libmlx5 does
 * the same).  The kernel adds no completion for a QP in RESET, and only
 * writes slots past the producer index read here, so the entries of other
 * QPs are moved up over the dropped ones, keeping their order, and the
 * consumer index advances past the space freed.
 */
void pinrxe_cq_clean(struct ibv_cq *ibcq, uint32_t qpn)
{
	struct pinrxe_cq *cq = to_pcq(ibcq);
	struct pinrxe_cqe *elems;
	uint32_t prod, cons, mask, i, freed = 0;

	pthread_spin_lock(&cq->lock);
	if (!cq->ring)
		goto out;
	elems = (void *)((char *)cq->ring + PINRXE_RING_HDR_SIZE);
	mask = cq->num_cqe - 1;
	cons = cq->cons;
	prod = __atomic_load_n(&cq->ring->producer, __ATOMIC_ACQUIRE);
	/* A corrupt ring is left for poll_cq to report. */
	if (prod - cons > cq->num_cqe)
		goto out;
	for (i = prod; i != cons;) {
		i--;
		if (elems[i & mask].qp_num == qpn)
			freed++;
		else if (freed)
			elems[(i + freed) & mask] = elems[i & mask];
	}
	if (freed) {
		cq->cons = cons + freed;
		__atomic_store_n(&cq->ring->consumer, cq->cons,
				 __ATOMIC_RELEASE);
	}
out:
	pthread_spin_unlock(&cq->lock);
}

/*
 * Register through the kernel; with @send_cmd the driver command carries
 * @flags, else the module's default applies.  The response is asked for
 * either way, so every MR knows its path.
 */
static struct ibv_mr *pinrxe_reg_mr_flags(struct ibv_pd *pd, void *addr,
					  size_t length, uint64_t hca_va,
					  int access, uint32_t flags,
					  bool send_cmd)
{
	struct upinrxe_reg_mr_resp resp = {};
	struct upinrxe_reg_mr cmd = {};
	struct pinrxe_mr *mr;
	int ret;

	mr = calloc(1, sizeof(*mr));
	if (!mr)
		return NULL;

	cmd.drv.flags = flags;
	ret = ibv_cmd_reg_mr(pd, addr, length, hca_va, access, &mr->vmr,
			     &cmd.ibv_cmd,
			     send_cmd ? sizeof(cmd) : sizeof(cmd.ibv_cmd),
			     &resp.ibv_resp, sizeof(resp));
	if (ret) {
		free(mr);
		errno = ret;
		return NULL;
	}
	mr->info = resp.drv;

	return &mr->vmr.ibv_mr;
}

static struct ibv_mr *pinrxe_reg_mr(struct ibv_pd *pd, void *addr,
				    size_t length, uint64_t hca_va, int access)
{
	return pinrxe_reg_mr_flags(pd, addr, length, hca_va, access, 0, false);
}

static int pinrxe_rereg_mr(struct verbs_mr *vmr, int flags, struct ibv_pd *pd,
			   void *addr, size_t length, int access)
{
	struct ib_uverbs_rereg_mr_resp resp;
	struct ibv_rereg_mr cmd;

	return ibv_cmd_rereg_mr(vmr, flags, addr, length, (uintptr_t)addr,
				access, pd, &cmd, sizeof(cmd), &resp,
				sizeof(resp));
}

static int pinrxe_dereg_mr(struct verbs_mr *vmr)
{
	int ret;

	ret = ibv_cmd_dereg_mr(vmr);
	if (ret)
		return ret;

	free(to_pmr(vmr));
	return 0;
}

/*
 * Memory windows: type 1 and type 2 (2B: bound to the QP that binds it),
 * as the kernel checks.  Other types fail here with EINVAL, as in the
 * kernel, rather than EOPNOTSUPP: no device has them.
 */
static struct ibv_mw *pinrxe_alloc_mw(struct ibv_pd *pd, enum ibv_mw_type type)
{
	struct ib_uverbs_alloc_mw_resp resp = {};
	struct ibv_alloc_mw cmd = {};
	struct ibv_mw *mw;
	int ret;

	if (type != IBV_MW_TYPE_1 && type != IBV_MW_TYPE_2) {
		errno = EINVAL;
		return NULL;
	}
	mw = calloc(1, sizeof(*mw));
	if (!mw)
		return NULL;
	ret = ibv_cmd_alloc_mw(pd, type, mw, &cmd, sizeof(cmd), &resp,
			       sizeof(resp));
	if (ret) {
		free(mw);
		errno = ret;
		return NULL;
	}
	return mw;
}

static int pinrxe_dealloc_mw(struct ibv_mw *mw)
{
	int ret;

	ret = ibv_cmd_dealloc_mw(mw);
	if (ret)
		return ret;
	free(mw);
	return 0;
}

static const struct verbs_context_ops pinrxe_ctx_ops = {
	/* Prefetch of on-demand paging MRs: all in the kernel. */
	.advise_mr = ibv_cmd_advise_mr,
	.alloc_mw = pinrxe_alloc_mw,
	.alloc_pd = pinrxe_alloc_pd,
	.bind_mw = pinrxe_bind_mw,
	.close_xrcd = pinrxe_close_xrcd,
	.create_ah = pinrxe_create_ah,
	.create_cq = pinrxe_create_cq,
	.create_cq_ex = pinrxe_create_cq_ex,
	.create_qp = pinrxe_create_qp,
	.create_qp_ex = pinrxe_create_qp_ex,
	.create_srq = pinrxe_create_srq,
	.create_srq_ex = pinrxe_create_srq_ex,
	.dealloc_mw = pinrxe_dealloc_mw,
	.dealloc_pd = pinrxe_dealloc_pd,
	.dereg_mr = pinrxe_dereg_mr,
	.destroy_ah = pinrxe_destroy_ah,
	.destroy_cq = pinrxe_destroy_cq,
	.destroy_qp = pinrxe_destroy_qp,
	.destroy_srq = pinrxe_destroy_srq,
	.free_context = pinrxe_free_context,
	.get_srq_num = pinrxe_get_srq_num,
	.modify_qp = pinrxe_modify_qp,
	.modify_srq = pinrxe_modify_srq,
	.open_qp = pinrxe_open_qp,
	.open_xrcd = pinrxe_open_xrcd,
	.poll_cq = pinrxe_poll_cq,
	.post_recv = pinrxe_post_recv,
	.post_send = pinrxe_post_send,
	.post_srq_recv = pinrxe_post_srq_recv,
	.query_device_ex = pinrxe_query_device,
	.query_port = pinrxe_query_port,
	.query_qp = pinrxe_query_qp,
	.query_srq = pinrxe_query_srq,
	.reg_mr = pinrxe_reg_mr,
	.req_notify_cq = ibv_cmd_req_notify_cq,
	.rereg_mr = pinrxe_rereg_mr,
	.resize_cq = pinrxe_resize_cq,
};

static struct verbs_context *pinrxe_alloc_context(struct ibv_device *ibdev,
						  int cmd_fd,
						  void *private_data)
{
	struct ib_uverbs_get_context_resp resp = {};
	struct ibv_get_context cmd = {};
	struct pinrxe_context *context;
	int ret;

	(void)private_data;

	context = verbs_init_and_alloc_context(ibdev, cmd_fd, context, ibv_ctx,
					       RDMA_DRIVER_UNKNOWN);
	if (!context)
		return NULL;

	ret = ibv_cmd_get_context(&context->ibv_ctx, &cmd, sizeof(cmd), &resp,
				  sizeof(resp));
	if (ret)
		goto err;

	verbs_set_ops(&context->ibv_ctx, &pinrxe_ctx_ops);

	return &context->ibv_ctx;

err:
	verbs_uninit_context(&context->ibv_ctx);
	free(context);
	errno = ret;
	return NULL;
}

static void pinrxe_free_context(struct ibv_context *ibctx)
{
	struct pinrxe_context *context = to_pctx(ibctx);

	verbs_uninit_context(&context->ibv_ctx);
	free(context);
}

static struct verbs_device *
pinrxe_device_alloc(struct verbs_sysfs_dev *sysfs_dev)
{
	struct pinrxe_device *dev;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;

	dev->abi_version = sysfs_dev->abi_ver;

	return &dev->ibv_dev;
}

static void pinrxe_uninit_device(struct verbs_device *verbs_device)
{
	free(to_pdev(&verbs_device->device));
}

static const struct verbs_device_ops pinrxe_dev_ops = {
	.name = "pinrxe",
	.match_min_abi_version = PINRXE_UVERBS_ABI_VERSION,
	.match_max_abi_version = PINRXE_UVERBS_ABI_VERSION,
	.match_table = hca_table,
	.alloc_device = pinrxe_device_alloc,
	.uninit_device = pinrxe_uninit_device,
	.alloc_context = pinrxe_alloc_context,
};
PROVIDER_DRIVER(pinrxe, pinrxe_dev_ops);

/* --- pinrxe direct verbs (pinrxedv.h) ------------------------------------ */

/* The public values are the kernel ABI's, passed through unchanged. */
static_assert((int)PINRXEDV_MR_MODE_PINNED == PINRXE_MR_MODE_PINNED &&
	      (int)PINRXEDV_MR_MODE_ODP == PINRXE_MR_MODE_ODP &&
	      (int)PINRXEDV_MR_MODE_ODP_IMPLICIT == PINRXE_MR_MODE_ODP_IMPLICIT,
	      "MR modes");
static_assert((int)PINRXEDV_FALLBACK_NONE == PINRXE_MR_FALLBACK_NONE &&
	      (int)PINRXEDV_FALLBACK_MEMLOCK == PINRXE_MR_FALLBACK_MEMLOCK &&
	      (int)PINRXEDV_FALLBACK_PIN_REFUSED ==
		      PINRXE_MR_FALLBACK_PIN_REFUSED,
	      "fallback reasons");

bool pinrxedv_is_supported(struct ibv_device *device)
{
	return device && verbs_get_device(device)->ops == &pinrxe_dev_ops;
}

struct ibv_mr *pinrxedv_reg_mr(struct ibv_pd *pd, void *addr, size_t length,
			       uint64_t iova, unsigned int access,
			       uint32_t flags)
{
	const uint32_t both = PINRXEDV_REG_FALLBACK_ODP |
			      PINRXEDV_REG_NO_FALLBACK;
	struct verbs_device *vdev;
	bool odp = access & IBV_ACCESS_ON_DEMAND;
	struct ibv_mr *mr;
	uint32_t kflags = 0;

	if (!pd || !pinrxedv_is_supported(pd->context->device)) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	if ((flags & ~both) || (flags & both) == both) {
		errno = EINVAL;
		return NULL;
	}
	if (flags & PINRXEDV_REG_FALLBACK_ODP)
		kflags |= PINRXE_REG_MR_FALLBACK_ODP;
	if (flags & PINRXEDV_REG_NO_FALLBACK)
		kflags |= PINRXE_REG_MR_NO_FALLBACK;

	/* What ibv_reg_mr_iova2() does around the provider's reg_mr. */
	vdev = verbs_get_device(pd->context->device);
	if (!(vdev->core_support & IB_UVERBS_CORE_SUPPORT_OPTIONAL_MR_ACCESS))
		access &= ~IBV_ACCESS_OPTIONAL_RANGE;
	if (!odp && ibv_dontfork_range(addr, length))
		return NULL;

	mr = pinrxe_reg_mr_flags(pd, addr, length, iova, access, kflags, true);
	if (!mr) {
		if (!odp)
			ibv_dofork_range(addr, length);
		return NULL;
	}
	mr->context = pd->context;
	mr->pd = pd;
	mr->addr = addr;
	mr->length = length;
	return mr;
}

int pinrxedv_query_mr(struct ibv_mr *mr, struct pinrxedv_mr_info *info)
{
	const struct pinrxe_reg_mr_resp *ki;

	if (!mr || !pinrxedv_is_supported(mr->context->device) ||
	    verbs_get_mr(mr)->mr_type != IBV_MR_TYPE_MR)
		return EOPNOTSUPP;
	ki = &to_pmr(verbs_get_mr(mr))->info;
	/* A module that predates the reg_mr response leaves it zero. */
	if (!ki->mode)
		return EOPNOTSUPP;
	info->mode = ki->mode;
	info->fallback_reason = ki->fallback;
	info->pin_errno = ki->pin_errno;
	return 0;
}
