// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: a kernel verbs consumer of two RoCE devices, the way
 * ULPs (NVMe-oF, iSER, SMB Direct) use a device, through ib_core's API
 * only.  On devices A and B it creates kernel PDs, CQs and RC QPs (B's
 * receiving from a kernel SRQ), connects them with modify_qp, and checks:
 *
 * - SEND both ways, inline and from the PD's DMA lkey, into B's SRQ and
 *   A's receive queue, with the completion fields a kernel consumer reads,
 *   and CQ notification: one event per arming, and
 *   IB_CQ_REPORT_MISSED_EVENTS saying whether completions are waiting;
 * - IB_WR_REG_MR of a fast-registration MR over separately kmalloc'd
 *   pages, RDMA WRITE and READ through its rkey across page boundaries,
 *   the data checked byte for byte, bytes outside untouched;
 * - IB_WR_LOCAL_INV, registration again under a new key, a registration
 *   of an MR that is already valid failing, and then accesses with an
 *   invalidated key failing: a remote RDMA WRITE with IB_WC_REM_ACCESS_ERR
 *   (the target memory unchanged), a local SGE with IB_WC_LOC_PROT_ERR;
 * - IB_WR_SEND_WITH_INV from the peer invalidating the fast-registration
 *   MR's rkey (B's receive completion saying which), after which an RDMA
 *   WRITE with it fails; and one naming the DMA MR's key, which cannot be
 *   invalidated, failing B's receive with IB_WC_REM_INV_REQ_ERR.
 *
 *   echo "DEV_A DEV_B" > /sys/module/pinrxe_kverbs/parameters/run
 *   cat /sys/module/pinrxe_kverbs/parameters/log
 *
 * The write fails (EIO) when a check failed, or with the error of a setup
 * step; "log" has one line per check, "ok: ..." or "FAIL: ...".  The
 * devices need RoCEv2 GIDs with IPv4 addresses that reach each other.
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <net/ipv6.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_verbs.h>

#define KV_PAGES	4
#define KV_MSG		2048
#define KV_INLINE	32
#define KV_PSN		0x1234
#define KV_WAIT_MS	30000
#define KV_ACCESS	(IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE | \
			 IB_ACCESS_REMOTE_READ)

/* One end: its device, objects, address and a DMA-mapped buffer. */
struct kv_side {
	struct ib_device *dev;
	struct ib_pd *pd;
	struct ib_cq *cq;
	struct ib_srq *srq;
	struct ib_qp *qp;
	union ib_gid gid;
	u8 mac[ETH_ALEN];
	u32 gid_index;
	u8 *buf;		/* 4 pages: send, receive, read target */
	u64 dma;
	bool mapped;
	atomic_t events;	/* completion events of @cq */
};

static DEFINE_MUTEX(kv_mutex);
static char kv_log[PAGE_SIZE];
static size_t kv_len;
static int kv_failed;

static __printf(1, 2) void kv_logf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(kv_log + kv_len, sizeof(kv_log) - kv_len, fmt, ap);
	va_end(ap);
	if (n > 0 && kv_len + n < sizeof(kv_log))
		kv_len += n;
	else
		kv_log[kv_len] = '\0';
}

/* Record a check; returns @ok. */
static bool kv_check(bool ok, const char *what)
{
	kv_logf("%s: %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		kv_failed++;
	return ok;
}

/*
 * Wait for the completion of @wr_id on @s's CQ.  Completions of other
 * work requests (flushes after a QP error) are skipped.
 */
static bool kv_wait(struct kv_side *s, u64 wr_id, struct ib_wc *wc)
{
	unsigned long end = jiffies + msecs_to_jiffies(KV_WAIT_MS);

	while (time_before(jiffies, end)) {
		if (ib_poll_cq(s->cq, 1, wc) != 1) {
			usleep_range(500, 1000);
			continue;
		}
		if (wc->wr_id == wr_id)
			return true;
	}
	kv_logf("FAIL: no completion of wr_id %llu on %s\n", wr_id,
		dev_name(&s->dev->dev));
	kv_failed++;
	return false;
}

/* Wait for @wr_id and check its status and opcode. */
static bool kv_expect(struct kv_side *s, u64 wr_id, enum ib_wc_status status,
		      enum ib_wc_opcode opcode, const char *what)
{
	struct ib_wc wc;
	bool ok;

	if (!kv_wait(s, wr_id, &wc))
		return false;
	ok = wc.status == status && wc.qp == s->qp &&
	     (status != IB_WC_SUCCESS || wc.opcode == opcode);
	if (!ok)
		kv_logf("  got status %d (%s) opcode %d qp %s\n", wc.status,
			ib_wc_status_msg(wc.status), wc.opcode,
			wc.qp == s->qp ? "ours" : "other");
	return kv_check(ok, what);
}

/* The first RoCEv2 GID with an IPv4 address, and its netdev's MAC. */
static int kv_find_gid(struct kv_side *s)
{
	const struct ib_gid_attr *attr;
	struct ib_port_attr port;
	int i, err;

	err = ib_query_port(s->dev, 1, &port);
	if (err)
		return err;
	for (i = 0; i < port.gid_tbl_len; i++) {
		attr = rdma_get_gid_attr(s->dev, 1, i);
		if (IS_ERR(attr))
			continue;
		if (attr->gid_type == IB_GID_TYPE_ROCE_UDP_ENCAP &&
		    ipv6_addr_v4mapped((struct in6_addr *)attr->gid.raw)) {
			s->gid = attr->gid;
			s->gid_index = i;
			err = rdma_read_gid_l2_fields(attr, NULL, s->mac);
			rdma_put_gid_attr(attr);
			return err;
		}
		rdma_put_gid_attr(attr);
	}
	return -ENOENT;
}

static void kv_comp_handler(struct ib_cq *cq, void *ctx)
{
	struct kv_side *s = ctx;

	atomic_inc(&s->events);
}

/* Device, GID, PD, a CQ polled directly, and the DMA-mapped buffer. */
static int kv_open(struct kv_side *s, const char *name)
{
	struct ib_cq_init_attr cq_attr = { .cqe = 64 };
	int err;

	s->dev = ib_device_get_by_name(name, RDMA_DRIVER_UNKNOWN);
	if (!s->dev)
		return -ENODEV;
	err = kv_find_gid(s);
	if (err)
		return err;
	s->pd = ib_alloc_pd(s->dev, 0);
	if (IS_ERR(s->pd))
		return PTR_ERR(s->pd);
	s->cq = ib_create_cq(s->dev, kv_comp_handler, NULL, s, &cq_attr);
	if (IS_ERR(s->cq))
		return PTR_ERR(s->cq);
	s->buf = kzalloc(KV_PAGES * PAGE_SIZE, GFP_KERNEL);
	if (!s->buf)
		return -ENOMEM;
	s->dma = ib_dma_map_single(s->dev, s->buf, KV_PAGES * PAGE_SIZE,
				   DMA_BIDIRECTIONAL);
	if (ib_dma_mapping_error(s->dev, s->dma))
		return -EIO;
	s->mapped = true;
	return 0;
}

static int kv_create_qp(struct kv_side *s, bool with_srq)
{
	struct ib_srq_init_attr srq_attr = {
		.attr = { .max_wr = 16, .max_sge = 2 },
		.srq_type = IB_SRQT_BASIC,
	};
	struct ib_qp_init_attr qp_attr = {
		.send_cq = s->cq,
		.recv_cq = s->cq,
		.cap = {
			.max_send_wr = 16, .max_recv_wr = 16,
			.max_send_sge = 2, .max_recv_sge = 2,
			.max_inline_data = KV_INLINE,
		},
		.sq_sig_type = IB_SIGNAL_REQ_WR,
		.qp_type = IB_QPT_RC,
	};

	if (with_srq) {
		s->srq = ib_create_srq(s->pd, &srq_attr);
		if (IS_ERR(s->srq))
			return PTR_ERR(s->srq);
		qp_attr.srq = s->srq;
	}
	s->qp = ib_create_qp(s->pd, &qp_attr);
	return PTR_ERR_OR_ZERO(s->qp);
}

static void kv_close(struct kv_side *s)
{
	if (!IS_ERR_OR_NULL(s->qp))
		ib_destroy_qp(s->qp);
	if (!IS_ERR_OR_NULL(s->srq))
		ib_destroy_srq(s->srq);
	if (!IS_ERR_OR_NULL(s->cq))
		ib_destroy_cq(s->cq);
	if (s->mapped)
		ib_dma_unmap_single(s->dev, s->dma, KV_PAGES * PAGE_SIZE,
				    DMA_BIDIRECTIONAL);
	kfree(s->buf);
	if (!IS_ERR_OR_NULL(s->pd))
		ib_dealloc_pd(s->pd);
	if (s->dev)
		ib_device_put(s->dev);
}

/* RESET, then INIT, RTR and RTS towards @peer: a fresh connection. */
static int kv_connect(struct kv_side *s, struct kv_side *peer)
{
	struct ib_qp_attr attr = {};
	int err;

	attr.qp_state = IB_QPS_RESET;
	err = ib_modify_qp(s->qp, &attr, IB_QP_STATE);
	if (err)
		return err;

	attr.qp_state = IB_QPS_INIT;
	attr.pkey_index = 0;
	attr.port_num = 1;
	attr.qp_access_flags = KV_ACCESS;
	err = ib_modify_qp(s->qp, &attr, IB_QP_STATE | IB_QP_PKEY_INDEX |
			   IB_QP_PORT | IB_QP_ACCESS_FLAGS);
	if (err)
		return err;

	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IB_QPS_RTR;
	attr.path_mtu = IB_MTU_1024;
	attr.dest_qp_num = peer->qp->qp_num;
	attr.rq_psn = KV_PSN;
	attr.max_dest_rd_atomic = 4;
	attr.min_rnr_timer = 1;
	attr.ah_attr.type = RDMA_AH_ATTR_TYPE_ROCE;
	rdma_ah_set_port_num(&attr.ah_attr, 1);
	rdma_ah_set_grh(&attr.ah_attr, &peer->gid, 0, s->gid_index, 64, 0);
	/* Kernel consumers give ib_core the next hop already resolved. */
	memcpy(attr.ah_attr.roce.dmac, peer->mac, ETH_ALEN);
	err = ib_modify_qp(s->qp, &attr, IB_QP_STATE | IB_QP_AV |
			   IB_QP_PATH_MTU | IB_QP_DEST_QPN | IB_QP_RQ_PSN |
			   IB_QP_MAX_DEST_RD_ATOMIC | IB_QP_MIN_RNR_TIMER);
	if (err)
		return err;

	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IB_QPS_RTS;
	attr.sq_psn = KV_PSN;
	attr.timeout = 14;
	attr.retry_cnt = 7;
	attr.rnr_retry = 7;
	attr.max_rd_atomic = 4;
	return ib_modify_qp(s->qp, &attr, IB_QP_STATE | IB_QP_SQ_PSN |
			    IB_QP_TIMEOUT | IB_QP_RETRY_CNT |
			    IB_QP_RNR_RETRY | IB_QP_MAX_QP_RD_ATOMIC);
}

static int kv_connect_both(struct kv_side *a, struct kv_side *b)
{
	int err = kv_connect(a, b);

	return err ? err : kv_connect(b, a);
}

static int kv_post_recv(struct kv_side *s, u64 wr_id, u32 offset, u32 len)
{
	struct ib_sge sge = {
		.addr = s->dma + offset,
		.length = len,
		.lkey = s->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = { .wr_id = wr_id, .sg_list = &sge,
				 .num_sge = 1 };

	if (s->srq)
		return ib_post_srq_recv(s->srq, &wr, NULL);
	return ib_post_recv(s->qp, &wr, NULL);
}

/* A signaled SEND of @len bytes at @offset of the buffer, under @lkey. */
static int kv_post_send(struct kv_side *s, u64 wr_id, u32 offset, u32 len,
			u32 lkey, int flags)
{
	struct ib_sge sge = { .addr = s->dma + offset, .length = len,
			      .lkey = lkey };
	struct ib_send_wr wr = {
		.wr_id = wr_id, .sg_list = &sge, .num_sge = 1,
		.opcode = IB_WR_SEND, .send_flags = IB_SEND_SIGNALED | flags,
	};

	return ib_post_send(s->qp, &wr, NULL);
}

/* A signaled SEND_WITH_INV of @len bytes naming @rkey, from the DMA lkey. */
static int kv_post_send_inv(struct kv_side *s, u64 wr_id, u32 len, u32 rkey)
{
	struct ib_sge sge = { .addr = s->dma, .length = len,
			      .lkey = s->pd->local_dma_lkey };
	struct ib_send_wr wr = {
		.wr_id = wr_id, .sg_list = &sge, .num_sge = 1,
		.opcode = IB_WR_SEND_WITH_INV, .send_flags = IB_SEND_SIGNALED,
		.ex.invalidate_rkey = rkey,
	};

	return ib_post_send(s->qp, &wr, NULL);
}

static int kv_post_rdma(struct kv_side *s, u64 wr_id, enum ib_wr_opcode op,
			u32 offset, u32 len, u64 remote, u32 rkey)
{
	struct ib_sge sge = { .addr = s->dma + offset, .length = len,
			      .lkey = s->pd->local_dma_lkey };
	struct ib_rdma_wr wr = {
		.wr = { .wr_id = wr_id, .sg_list = &sge, .num_sge = 1,
			.opcode = op, .send_flags = IB_SEND_SIGNALED },
		.remote_addr = remote,
		.rkey = rkey,
	};

	return ib_post_send(s->qp, &wr.wr, NULL);
}

static int kv_post_reg(struct kv_side *s, u64 wr_id, struct ib_mr *mr,
		       u32 key)
{
	struct ib_reg_wr wr = {
		.wr = { .wr_id = wr_id, .opcode = IB_WR_REG_MR,
			.send_flags = IB_SEND_SIGNALED },
		.mr = mr,
		.key = key,
		.access = KV_ACCESS,
	};

	return ib_post_send(s->qp, &wr.wr, NULL);
}

static int kv_post_inv(struct kv_side *s, u64 wr_id, u32 key)
{
	struct ib_send_wr wr = {
		.wr_id = wr_id, .opcode = IB_WR_LOCAL_INV,
		.send_flags = IB_SEND_SIGNALED,
		.ex.invalidate_rkey = key,
	};

	return ib_post_send(s->qp, &wr, NULL);
}

/* The fast-registration target: pages kmalloc'd one by one, so apart. */
struct kv_frmr {
	void *page[KV_PAGES];
	struct scatterlist sg[KV_PAGES];
	struct ib_mr *mr;
	bool mapped;
};

static u8 kv_pattern(u32 i, u8 seed)
{
	return (i * 7 + seed) ^ (i >> 8);
}

/* Byte @i of the registered pages. */
static u8 *kv_fr_byte(struct kv_frmr *fr, u32 i)
{
	return (u8 *)fr->page[i / PAGE_SIZE] + i % PAGE_SIZE;
}

/* @len bytes at @off of the MR hold pattern @seed, and the rest @fill. */
static bool kv_fr_holds(struct kv_frmr *fr, u32 off, u32 len, u8 seed,
			u8 fill)
{
	u32 i;

	for (i = 0; i < KV_PAGES * PAGE_SIZE; i++) {
		u8 want = i >= off && i < off + len ?
			  kv_pattern(i - off, seed) : fill;

		if (*kv_fr_byte(fr, i) != want) {
			kv_logf("  byte %u of the MR is %#x, not %#x\n", i,
				*kv_fr_byte(fr, i), want);
			return false;
		}
	}
	return true;
}

static int kv_fr_setup(struct kv_side *b, struct kv_frmr *fr)
{
	int i, n;

	sg_init_table(fr->sg, KV_PAGES);
	for (i = 0; i < KV_PAGES; i++) {
		fr->page[i] = kmalloc(PAGE_SIZE, GFP_KERNEL);
		if (!fr->page[i])
			return -ENOMEM;
		memset(fr->page[i], 0x5a, PAGE_SIZE);
		sg_set_buf(&fr->sg[i], fr->page[i], PAGE_SIZE);
	}
	if (ib_dma_map_sg(b->dev, fr->sg, KV_PAGES, DMA_BIDIRECTIONAL) !=
	    KV_PAGES)
		return -EIO;
	fr->mapped = true;
	fr->mr = ib_alloc_mr(b->pd, IB_MR_TYPE_MEM_REG, KV_PAGES);
	if (IS_ERR(fr->mr))
		return PTR_ERR(fr->mr);
	n = ib_map_mr_sg(fr->mr, fr->sg, KV_PAGES, NULL, PAGE_SIZE);
	return n == KV_PAGES ? 0 : -EIO;
}

static void kv_fr_cleanup(struct kv_side *b, struct kv_frmr *fr)
{
	int i;

	if (!IS_ERR_OR_NULL(fr->mr))
		ib_dereg_mr(fr->mr);
	if (fr->mapped)
		ib_dma_unmap_sg(b->dev, fr->sg, KV_PAGES, DMA_BIDIRECTIONAL);
	for (i = 0; i < KV_PAGES; i++)
		kfree(fr->page[i]);
}

/* Arm @s's CQ until it says completions are waiting, as ib_core's pollers do. */
static bool kv_wait_missed(struct kv_side *s)
{
	unsigned long end = jiffies + msecs_to_jiffies(KV_WAIT_MS);

	while (time_before(jiffies, end)) {
		if (ib_req_notify_cq(s->cq, IB_CQ_NEXT_COMP |
				     IB_CQ_REPORT_MISSED_EVENTS) > 0)
			return true;
		usleep_range(500, 1000);
	}
	return false;
}

/* SENDs both ways, into B's SRQ and A's receive queue. */
static void kv_test_send(struct kv_side *a, struct kv_side *b)
{
	struct ib_wc wc;
	u32 i;

	kv_check(ib_req_notify_cq(b->cq, IB_CQ_NEXT_COMP |
				  IB_CQ_REPORT_MISSED_EVENTS) == 0,
		 "arming B's empty CQ reports no missed completion");
	for (i = 0; i < KV_MSG; i++)
		a->buf[i] = kv_pattern(i, 1);
	kv_post_recv(b, 100, 0, KV_MSG);
	kv_post_recv(b, 101, KV_MSG, KV_MSG);
	kv_post_send(a, 1, 0, KV_MSG, a->pd->local_dma_lkey, 0);
	kv_post_send(a, 2, 0, KV_INLINE, 0, IB_SEND_INLINE);
	kv_expect(a, 1, IB_WC_SUCCESS, IB_WC_SEND, "SEND A to B completes");
	kv_expect(a, 2, IB_WC_SUCCESS, IB_WC_SEND,
		  "inline SEND A to B completes");
	if (kv_wait(b, 100, &wc))
		kv_check(wc.status == IB_WC_SUCCESS && wc.opcode == IB_WC_RECV &&
			 wc.byte_len == KV_MSG && wc.qp == b->qp &&
			 !memcmp(b->buf, a->buf, KV_MSG),
			 "B's SRQ receive has the message, its length and QP");
	if (kv_wait(b, 101, &wc))
		kv_check(wc.status == IB_WC_SUCCESS &&
			 wc.byte_len == KV_INLINE &&
			 !memcmp(b->buf + KV_MSG, a->buf, KV_INLINE),
			 "B's SRQ receive has the inline message");
	kv_check(atomic_read(&b->events) == 1,
		 "B's CQ handler ran once for the two receives after one arming");

	for (i = 0; i < KV_MSG; i++)
		b->buf[i] = kv_pattern(i, 2);
	kv_post_recv(a, 102, 2 * KV_MSG, KV_MSG);
	kv_check(ib_req_notify_cq(a->cq, IB_CQ_NEXT_COMP |
				  IB_CQ_REPORT_MISSED_EVENTS) == 0,
		 "arming A's CQ, polled empty, reports no missed completion");
	kv_post_send(b, 3, 0, KV_MSG, b->pd->local_dma_lkey, 0);
	kv_expect(b, 3, IB_WC_SUCCESS, IB_WC_SEND, "SEND B to A completes");
	kv_check(kv_wait_missed(a) && atomic_read(&a->events) == 1,
		 "A's CQ had its event, then arming it reports the waiting receive");
	if (kv_wait(a, 102, &wc))
		kv_check(wc.status == IB_WC_SUCCESS && wc.qp == a->qp &&
			 wc.byte_len == KV_MSG &&
			 !memcmp(a->buf + 2 * KV_MSG, b->buf, KV_MSG),
			 "A's receive queue has B's message");
}

/* RDMA WRITE of @len bytes to MR offset @off, pattern @seed. */
static void kv_write(struct kv_side *a, struct kv_frmr *fr, u64 wr_id,
		     u32 off, u32 len, u8 seed, u32 rkey,
		     enum ib_wc_status status, const char *what)
{
	u32 i;

	for (i = 0; i < len; i++)
		a->buf[i] = kv_pattern(i, seed);
	kv_post_rdma(a, wr_id, IB_WR_RDMA_WRITE, 0, len, fr->mr->iova + off,
		     rkey);
	kv_expect(a, wr_id, status, IB_WC_RDMA_WRITE, what);
}

static void kv_test_frmr(struct kv_side *a, struct kv_side *b,
			 struct kv_frmr *fr)
{
	u32 len = 3 * PAGE_SIZE - 200, off = PAGE_SIZE / 2 + 100, i;
	u32 k1, k2;

	/* The first registration, under a key of the consumer's choosing. */
	ib_update_fast_reg_key(fr->mr, ib_inc_rkey(fr->mr->rkey) & 0xff);
	k1 = fr->mr->rkey;
	kv_post_reg(b, 10, fr->mr, k1);
	kv_expect(b, 10, IB_WC_SUCCESS, IB_WC_REG_MR, "IB_WR_REG_MR completes");

	kv_write(a, fr, 11, off, len, 3, k1, IB_WC_SUCCESS,
		 "RDMA WRITE through the fast-registered rkey completes");
	kv_check(kv_fr_holds(fr, off, len, 3, 0x5a),
		 "the written bytes landed across the pages, nothing else changed");

	for (i = 0; i < KV_PAGES * PAGE_SIZE; i++)
		*kv_fr_byte(fr, i) = kv_pattern(i, 4);
	memset(a->buf, 0, 3 * PAGE_SIZE);
	kv_post_rdma(a, 12, IB_WR_RDMA_READ, PAGE_SIZE / 4, len,
		     fr->mr->iova + 300, k1);
	if (kv_expect(a, 12, IB_WC_SUCCESS, IB_WC_RDMA_READ,
		      "RDMA READ through the fast-registered rkey completes")) {
		bool same = true;

		for (i = 0; i < len && same; i++)
			same = a->buf[PAGE_SIZE / 4 + i] ==
			       kv_pattern(i + 300, 4);
		kv_check(same, "the bytes read are the MR's");
	}

	kv_post_inv(b, 13, k1);
	kv_expect(b, 13, IB_WC_SUCCESS, IB_WC_LOCAL_INV,
		  "LOCAL_INV of the MR completes");

	/* Registered again, under a new key. */
	ib_update_fast_reg_key(fr->mr, ib_inc_rkey(k1) & 0xff);
	k2 = fr->mr->rkey;
	kv_post_reg(b, 14, fr->mr, k2);
	kv_expect(b, 14, IB_WC_SUCCESS, IB_WC_REG_MR,
		  "IB_WR_REG_MR again, under a new key, completes");
	memset(fr->page[0], 0x5a, PAGE_SIZE);
	memset(fr->page[1], 0x5a, PAGE_SIZE);
	memset(fr->page[2], 0x5a, PAGE_SIZE);
	memset(fr->page[3], 0x5a, PAGE_SIZE);
	kv_write(a, fr, 15, 0, KV_PAGES * PAGE_SIZE, 5, k2, IB_WC_SUCCESS,
		 "RDMA WRITE of the whole MR under the new key completes");
	kv_check(kv_fr_holds(fr, 0, KV_PAGES * PAGE_SIZE, 5, 0),
		 "the whole MR holds what was written");
	kv_write(a, fr, 16, 0, 64, 6, k1, IB_WC_REM_ACCESS_ERR,
		 "RDMA WRITE under the old, invalidated key fails: remote access error");
	kv_check(kv_fr_holds(fr, 0, KV_PAGES * PAGE_SIZE, 5, 0),
		 "the MR is unchanged by the refused write");

	/* Both QPs are in ERR now (B's responder, A's requester). */
	if (!kv_check(!kv_connect_both(a, b), "the QPs reconnect after the error"))
		return;

	/* A valid MR cannot be registered over. */
	kv_post_reg(b, 17, fr->mr, ib_inc_rkey(k2));
	kv_expect(b, 17, IB_WC_LOC_QP_OP_ERR, IB_WC_REG_MR,
		  "IB_WR_REG_MR of an MR that is valid fails");
	if (!kv_check(!kv_connect_both(a, b), "the QPs reconnect again"))
		return;

	kv_post_inv(b, 18, k2);
	kv_expect(b, 18, IB_WC_SUCCESS, IB_WC_LOCAL_INV,
		  "LOCAL_INV under the new key completes");
	kv_write(a, fr, 19, PAGE_SIZE, 64, 7, k2, IB_WC_REM_ACCESS_ERR,
		 "RDMA WRITE with the invalidated rkey fails: remote access error");
	kv_check(kv_fr_holds(fr, 0, KV_PAGES * PAGE_SIZE, 5, 0),
		 "the MR is unchanged by the refused write");

	if (!kv_check(!kv_connect_both(a, b), "the QPs reconnect once more"))
		return;
	/* A local access through the invalidated lkey (the same key). */
	kv_post_recv(a, 103, 0, KV_MSG);
	kv_post_send(b, 20, 0, 64, k2, 0);
	kv_expect(b, 20, IB_WC_LOC_PROT_ERR, IB_WC_SEND,
		  "SEND from the invalidated lkey fails: local protection error");
}

/*
 * Remote invalidation: A's SEND_WITH_INV names the rkey of B's
 * fast-registration MR, registered afresh under @key.
 */
static void kv_test_send_inv(struct kv_side *a, struct kv_side *b,
			     struct kv_frmr *fr)
{
	struct ib_wc wc;
	u32 k3, i;

	ib_update_fast_reg_key(fr->mr, ib_inc_rkey(fr->mr->rkey) & 0xff);
	k3 = fr->mr->rkey;
	kv_post_reg(b, 30, fr->mr, k3);
	kv_expect(b, 30, IB_WC_SUCCESS, IB_WC_REG_MR,
		  "IB_WR_REG_MR after the invalidation completes");
	for (i = 0; i < KV_PAGES; i++)
		memset(fr->page[i], 0x5a, PAGE_SIZE);
	kv_write(a, fr, 31, 0, 256, 8, k3, IB_WC_SUCCESS,
		 "RDMA WRITE through the third key completes");
	kv_check(kv_fr_holds(fr, 0, 256, 8, 0x5a), "the write landed");

	kv_post_recv(b, 104, 0, KV_MSG);
	kv_post_send_inv(a, 32, 64, k3);
	kv_expect(a, 32, IB_WC_SUCCESS, IB_WC_SEND,
		  "SEND_WITH_INV of the MR's rkey from the peer completes");
	if (kv_wait(b, 104, &wc))
		kv_check(wc.status == IB_WC_SUCCESS &&
			 wc.opcode == IB_WC_RECV && wc.byte_len == 64 &&
			 (wc.wc_flags & IB_WC_WITH_INVALIDATE) &&
			 wc.ex.invalidate_rkey == k3,
			 "B's receive says which rkey was invalidated");
	kv_write(a, fr, 33, 0, 64, 9, k3, IB_WC_REM_ACCESS_ERR,
		 "RDMA WRITE with the remotely invalidated rkey fails: remote access error");
	kv_check(kv_fr_holds(fr, 0, 256, 8, 0x5a),
		 "the MR is unchanged by the refused write");

	if (!kv_check(!kv_connect_both(a, b), "the QPs reconnect after it"))
		return;
	/* The DMA MR is not a fast-registration MR: no invalidation. */
	kv_post_recv(b, 105, 0, KV_MSG);
	kv_post_send_inv(a, 34, 64, b->pd->local_dma_lkey);
	kv_expect(a, 34, IB_WC_SUCCESS, IB_WC_SEND,
		  "SEND_WITH_INV of the peer's DMA MR key is delivered");
	if (kv_wait(b, 105, &wc))
		kv_check(wc.status == IB_WC_REM_INV_REQ_ERR && wc.qp == b->qp,
			 "B's receive completes with IB_WC_REM_INV_REQ_ERR");
}

static int kv_run(const char *name_a, const char *name_b)
{
	struct kv_side a = {}, b = {};
	struct kv_frmr fr = {};
	int err;

	err = kv_open(&a, name_a);
	if (!err)
		err = kv_open(&b, name_b);
	if (!err)
		err = kv_create_qp(&a, false);
	if (!err)
		err = kv_create_qp(&b, true);
	if (err) {
		kv_logf("FAIL: setting up kernel PDs, CQs, SRQ and QPs: %d\n",
			err);
		goto out;
	}
	kv_check(true, "kernel PDs, CQs, an SRQ and RC QPs created");
	err = kv_fr_setup(&b, &fr);
	if (err) {
		kv_logf("FAIL: fast-registration MR over kmalloc'd pages: %d\n",
			err);
		goto out;
	}
	kv_check(fr.mr->rkey == fr.mr->lkey && fr.mr->length ==
		 KV_PAGES * PAGE_SIZE,
		 "ib_alloc_mr and ib_map_mr_sg map the separate pages");
	err = kv_connect_both(&a, &b);
	if (!kv_check(!err, "modify_qp connects the RC QPs"))
		goto out;

	kv_test_send(&a, &b);
	kv_test_frmr(&a, &b, &fr);
	/* kv_test_frmr() left the QPs in ERR and the MR FREE. */
	if (kv_check(!kv_connect_both(&a, &b),
		     "the QPs reconnect for remote invalidation"))
		kv_test_send_inv(&a, &b, &fr);
	err = 0;
out:
	kv_fr_cleanup(&b, &fr);
	kv_close(&a);
	kv_close(&b);
	return err;
}

static int kv_set(const char *val, const struct kernel_param *kp)
{
	char a[IB_DEVICE_NAME_MAX], b[IB_DEVICE_NAME_MAX];
	int err;

	if (sscanf(val, "%63s %63s", a, b) != 2)
		return -EINVAL;
	mutex_lock(&kv_mutex);
	kv_len = 0;
	kv_log[0] = '\0';
	kv_failed = 0;
	err = kv_run(a, b);
	if (!err && kv_failed)
		err = -EIO;
	mutex_unlock(&kv_mutex);
	return err;
}

static int kv_get(char *buffer, const struct kernel_param *kp)
{
	int n;

	mutex_lock(&kv_mutex);
	n = sysfs_emit(buffer, "%s", kv_log);
	mutex_unlock(&kv_mutex);
	return n;
}

static const struct kernel_param_ops kv_run_ops = {
	.set = kv_set,
};
module_param_cb(run, &kv_run_ops, NULL, 0200);
MODULE_PARM_DESC(run, "DEV_A DEV_B: run the kernel verbs test");

static const struct kernel_param_ops kv_log_ops = {
	.get = kv_get,
};
module_param_cb(log, &kv_log_ops, NULL, 0400);
MODULE_PARM_DESC(log, "what the last run checked");

static int __init kv_init(void)
{
	return 0;
}

static void __exit kv_exit(void)
{
}

module_init(kv_init);
module_exit(kv_exit);

MODULE_DESCRIPTION("rdmapin test: a kernel verbs consumer with fast registration");
MODULE_LICENSE("GPL");
