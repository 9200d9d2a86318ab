/*
 * XRC tests for pinrxe, run in the test guest by tests/cases/54-xrc.sh,
 * over loopback traffic on one device (an XRC initiator QP and an XRC
 * target QP of the same device, connected to each other).
 *
 * usage: xrc_test DEV TEST...
 *        xrc_test DEV open FILE QPN   the second process of "open": opens
 *                the XRC domain of FILE and the target QP QPN in it, says
 *                "ready", and closes them when a line arrives on stdin
 *
 * Tests:
 *   send     two XRC SRQs in one XRC domain, one initiator QP sending to
 *            both by SRQ number (ibv_post_send and ibv_wr_set_xrc_srqn):
 *            each receive completes on its SRQ's CQ with the target QP's
 *            number; send with immediate
 *   rdma     RDMA WRITE, READ, fetch-and-add and compare-and-swap through
 *            XRC; memory access is checked against the PD of the SRQ the
 *            request names, not the initiator's
 *   badsrq   a send naming an SRQ number that does not exist, or an XRC
 *            SRQ of another XRC domain, completes with
 *            IBV_WC_REM_INV_REQ_ERR, the target QP goes to ERR
 *   open     a second process opens the target QP by number
 *            (ibv_open_qp) and keeps it alive after its creator destroyed
 *            its handle: traffic still flows to it
 *   busy     an XRC domain with SRQs or QPs refuses to close (EBUSY), a CQ
 *            of an XRC SRQ refuses destroy; posting to the wrong side of
 *            an XRC QP fails with EINVAL
 *
 * Every check prints "ok: ..." or "FAIL: ..." and a failure exits 1.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <infiniband/verbs.h>

#include "../common/check.h"
#include "../common/verbs_util.h"

#define BUF_SIZE	8192
#define PSN		0x4242

static struct ibv_context *ctx;
static struct ibv_port_attr pattr;
static struct ibv_pd *pd, *pd2;
static struct ibv_cq *scq, *cq1, *cq2;
static struct ibv_xrcd *xrcd, *xrcd2;
static struct ibv_srq *srq1, *srq2, *srq_pd2, *srq_other;
static uint32_t srqn1, srqn2, srqn_pd2, srqn_other;
static struct ibv_mr *mr, *mr2;
static char *buf, *buf2;
static int sgid_index = -1;
static union ibv_gid gid;
static char xrcd_path[64];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The device's RoCEv2 IPv4 GID: loopback traffic goes to it. */
static void find_gid(void)
{
	sgid_index = roce_v2_ipv4_gid(ctx, &gid);
	CHECK(sgid_index >= 0, "no RoCEv2 IPv4 GID (%d)", sgid_index);
}

static void poll_n(struct ibv_cq *c, int n, struct ibv_wc *wc,
		   const char *what)
{
	double end = now() + 20;
	int got = 0, ret;

	while (got < n) {
		ret = ibv_poll_cq(c, n - got, wc + got);
		CHECK(ret >= 0, "%s: ibv_poll_cq: %d", what, ret);
		got += ret;
		if (got < n) {
			CHECK(now() < end, "%s: %d of %d completions", what,
			      got, n);
			usleep(1000);
		}
	}
}

static void expect_wc(struct ibv_cq *c, uint64_t wr_id,
		      enum ibv_wc_status status, const char *what)
{
	struct ibv_wc wc;

	poll_n(c, 1, &wc, what);
	CHECK(wc.wr_id == wr_id && wc.status == status,
	      "%s: completion wr_id %llx status %s, want %llx %s", what,
	      (unsigned long long)wc.wr_id, ibv_wc_status_str(wc.status),
	      (unsigned long long)wr_id, ibv_wc_status_str(status));
}

static struct ibv_srq *xrc_srq(struct ibv_xrcd *x, struct ibv_pd *p,
			       struct ibv_cq *c, uint32_t *num)
{
	struct ibv_srq_init_attr_ex a = {
		.attr = { .max_wr = 16, .max_sge = 2 },
		.comp_mask = IBV_SRQ_INIT_ATTR_TYPE | IBV_SRQ_INIT_ATTR_PD |
			     IBV_SRQ_INIT_ATTR_XRCD | IBV_SRQ_INIT_ATTR_CQ,
		.srq_type = IBV_SRQT_XRC,
		.pd = p,
		.xrcd = x,
		.cq = c,
	};
	struct ibv_srq *s = ibv_create_srq_ex(ctx, &a);
	int ret;

	CHECK(s, "ibv_create_srq_ex XRC: %s", strerror(errno));
	ret = ibv_get_srq_num(s, num);
	CHECK(ret == 0, "ibv_get_srq_num: %s", strerror(ret));
	return s;
}

static struct ibv_xrcd *open_xrcd(const char *path, int oflags)
{
	struct ibv_xrcd_init_attr a = {
		.comp_mask = IBV_XRCD_INIT_ATTR_FD | IBV_XRCD_INIT_ATTR_OFLAGS,
		.oflags = oflags,
	};
	struct ibv_xrcd *x;

	a.fd = open(path, O_RDONLY | O_CREAT, 0600);
	CHECK(a.fd >= 0, "open %s: %s", path, strerror(errno));
	x = ibv_open_xrcd(ctx, &a);
	CHECK(x, "ibv_open_xrcd %s: %s", path, strerror(errno));
	close(a.fd);
	return x;
}

static void setup(const char *dev)
{
	ctx = open_device_by_name(dev);
	CHECK(ctx, "open %s: %s", dev, strerror(errno));
	CHECK(ibv_query_port(ctx, 1, &pattr) == 0, "ibv_query_port");
	find_gid();
	pd = ibv_alloc_pd(ctx);
	pd2 = ibv_alloc_pd(ctx);
	scq = ibv_create_cq(ctx, 64, NULL, NULL, 0);
	cq1 = ibv_create_cq(ctx, 64, NULL, NULL, 0);
	cq2 = ibv_create_cq(ctx, 64, NULL, NULL, 0);
	CHECK(pd && pd2 && scq && cq1 && cq2, "PDs and CQs");
	buf = aligned_alloc(4096, BUF_SIZE);
	buf2 = aligned_alloc(4096, BUF_SIZE);
	CHECK(buf && buf2, "buffers");
	memset(buf, 0, BUF_SIZE);
	memset(buf2, 0, BUF_SIZE);
	mr = ibv_reg_mr(pd, buf, BUF_SIZE, IBV_ACCESS_LOCAL_WRITE |
			IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			IBV_ACCESS_REMOTE_ATOMIC);
	mr2 = ibv_reg_mr(pd2, buf2, BUF_SIZE, IBV_ACCESS_LOCAL_WRITE |
			 IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
	CHECK(mr && mr2, "ibv_reg_mr: %s", strerror(errno));

	snprintf(xrcd_path, sizeof(xrcd_path), "/tmp/xrc_test.%d", getpid());
	xrcd = open_xrcd(xrcd_path, O_CREAT);
	xrcd2 = ibv_open_xrcd(ctx, &(struct ibv_xrcd_init_attr){
		.comp_mask = IBV_XRCD_INIT_ATTR_FD | IBV_XRCD_INIT_ATTR_OFLAGS,
		.fd = -1,
	});
	CHECK(xrcd2, "ibv_open_xrcd without a file: %s", strerror(errno));
	srq1 = xrc_srq(xrcd, pd, cq1, &srqn1);
	srq2 = xrc_srq(xrcd, pd, cq2, &srqn2);
	srq_pd2 = xrc_srq(xrcd, pd2, cq1, &srqn_pd2);
	srq_other = xrc_srq(xrcd2, pd, cq1, &srqn_other);
	CHECK(srqn1 != srqn2 && srqn1 != srqn_pd2 && srqn1 != srqn_other &&
	      srqn2 != srqn_pd2, "SRQ numbers %u %u %u %u differ", srqn1,
	      srqn2, srqn_pd2, srqn_other);
	ok("XRC domains and four XRC SRQs (numbers %u, %u, %u, %u)", srqn1,
	   srqn2, srqn_pd2, srqn_other);
}

static void modify(struct ibv_qp *qp, struct ibv_qp_attr *a, int mask,
		   const char *what)
{
	int ret = ibv_modify_qp(qp, a, mask);

	CHECK(ret == 0, "%s: ibv_modify_qp: %s", what, strerror(ret));
}

/* RESET to RTS, connected to dest_qpn on this device. */
static void connect_qp(struct ibv_qp *qp, uint32_t dest_qpn)
{
	bool tgt = qp->qp_type == IBV_QPT_XRC_RECV;
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = 1,
		.qp_access_flags = tgt ? IBV_ACCESS_REMOTE_WRITE |
					 IBV_ACCESS_REMOTE_READ |
					 IBV_ACCESS_REMOTE_ATOMIC : 0,
	};
	int mask;

	modify(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
	       IBV_QP_ACCESS_FLAGS, "INIT");
	a = (struct ibv_qp_attr){
		.qp_state = IBV_QPS_RTR,
		.path_mtu = pattr.active_mtu,
		.dest_qp_num = dest_qpn,
		.rq_psn = PSN,
		.max_dest_rd_atomic = 4,
		.min_rnr_timer = 1,
		.ah_attr = {
			.is_global = 1,
			.grh = { .dgid = gid, .sgid_index = sgid_index,
				 .hop_limit = 64 },
			.port_num = 1,
		},
	};
	mask = IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
	       IBV_QP_RQ_PSN;
	if (tgt)
		mask |= IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
	modify(qp, &a, mask, "RTR");
	a = (struct ibv_qp_attr){
		.qp_state = IBV_QPS_RTS, .sq_psn = PSN, .timeout = 12,
		.retry_cnt = 7, .rnr_retry = 7, .max_rd_atomic = 4,
	};
	mask = IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT;
	if (!tgt)
		mask |= IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			IBV_QP_MAX_QP_RD_ATOMIC;
	modify(qp, &a, mask, "RTS");
}

static struct ibv_qp *create_tgt(void)
{
	struct ibv_qp_init_attr_ex a = {
		.qp_type = IBV_QPT_XRC_RECV,
		.comp_mask = IBV_QP_INIT_ATTR_XRCD,
		.xrcd = xrcd,
	};
	struct ibv_qp *qp = ibv_create_qp_ex(ctx, &a);

	CHECK(qp, "create XRC_RECV QP: %s", strerror(errno));
	return qp;
}

static struct ibv_qp *create_ini(void)
{
	struct ibv_qp_init_attr_ex a = {
		.qp_type = IBV_QPT_XRC_SEND,
		.send_cq = scq,
		.cap = { .max_send_wr = 32, .max_send_sge = 2,
			 .max_inline_data = 64 },
		.comp_mask = IBV_QP_INIT_ATTR_PD |
			     IBV_QP_INIT_ATTR_SEND_OPS_FLAGS,
		.pd = pd,
		.send_ops_flags = IBV_QP_EX_WITH_SEND |
				  IBV_QP_EX_WITH_SEND_WITH_IMM |
				  IBV_QP_EX_WITH_RDMA_WRITE,
		.sq_sig_all = 1,
	};
	struct ibv_qp *qp = ibv_create_qp_ex(ctx, &a);

	CHECK(qp, "create XRC_SEND QP: %s", strerror(errno));
	CHECK(a.cap.max_recv_wr == 0 && a.cap.max_send_wr >= 32,
	      "XRC_SEND caps: recv %u send %u", a.cap.max_recv_wr,
	      a.cap.max_send_wr);
	return qp;
}

/* A connected pair: an initiator sending to a target. */
static void make_pair(struct ibv_qp **ini, struct ibv_qp **tgt)
{
	*tgt = create_tgt();
	*ini = create_ini();
	connect_qp(*tgt, (*ini)->qp_num);
	connect_qp(*ini, (*tgt)->qp_num);
}

static void destroy_qp(struct ibv_qp *qp)
{
	int ret = ibv_destroy_qp(qp);

	CHECK(ret == 0, "ibv_destroy_qp: %s", strerror(ret));
}

static void post_srq_recv(struct ibv_srq *s, uint64_t wr_id, void *addr,
			  uint32_t len, uint32_t lkey)
{
	struct ibv_sge sge = { (uintptr_t)addr, len, lkey };
	struct ibv_recv_wr wr = { .wr_id = wr_id, .sg_list = &sge,
				  .num_sge = 1 }, *bad;
	int ret = ibv_post_srq_recv(s, &wr, &bad);

	CHECK(ret == 0, "ibv_post_srq_recv: %s", strerror(ret));
}

/* Classic ibv_post_send of one WR naming the XRC SRQ srqn. */
static void post_xrc(struct ibv_qp *ini, struct ibv_send_wr *wr,
		     uint32_t srqn)
{
	struct ibv_send_wr *bad;
	int ret;

	wr->qp_type.xrc.remote_srqn = srqn;
	wr->send_flags |= IBV_SEND_SIGNALED;
	ret = ibv_post_send(ini, wr, &bad);
	CHECK(ret == 0, "ibv_post_send: %s", strerror(ret));
}

static void send_to(struct ibv_qp *ini, uint32_t srqn, uint64_t wr_id,
		    void *addr, uint32_t len, uint32_t lkey)
{
	struct ibv_sge sge = { (uintptr_t)addr, len, lkey };
	struct ibv_send_wr wr = {
		.wr_id = wr_id, .sg_list = &sge, .num_sge = 1,
		.opcode = IBV_WR_SEND,
	};

	post_xrc(ini, &wr, srqn);
}

static void expect_recv(struct ibv_cq *c, uint64_t wr_id, uint32_t qpn,
			uint32_t len, const char *what)
{
	struct ibv_wc wc;

	poll_n(c, 1, &wc, what);
	CHECK(wc.status == IBV_WC_SUCCESS && wc.wr_id == wr_id &&
	      wc.opcode == IBV_WC_RECV && wc.qp_num == qpn &&
	      wc.byte_len == len,
	      "%s: status %s wr_id %llx opcode %d qp_num %u byte_len %u; "
	      "want wr_id %llx qp_num %u byte_len %u", what,
	      ibv_wc_status_str(wc.status), (unsigned long long)wc.wr_id,
	      wc.opcode, wc.qp_num, wc.byte_len, (unsigned long long)wr_id,
	      qpn, len);
}

static void test_send(void)
{
	struct ibv_qp *ini, *tgt;
	struct ibv_qp_ex *qpx;
	struct ibv_wc wc;
	int i, ret;

	make_pair(&ini, &tgt);
	memset(buf, 0, BUF_SIZE);
	post_srq_recv(srq1, 0x101, buf + 1024, 1024, mr->lkey);
	post_srq_recv(srq2, 0x201, buf + 2048, 1024, mr->lkey);
	strcpy(buf, "to the first SRQ");
	strcpy(buf + 100, "and to the second, a longer message");
	send_to(ini, srqn1, 1, buf, 17, mr->lkey);
	send_to(ini, srqn2, 2, buf + 100, 36, mr->lkey);
	expect_wc(scq, 1, IBV_WC_SUCCESS, "send to SRQ 1");
	expect_wc(scq, 2, IBV_WC_SUCCESS, "send to SRQ 2");
	expect_recv(cq1, 0x101, tgt->qp_num, 17, "receive on SRQ 1's CQ");
	expect_recv(cq2, 0x201, tgt->qp_num, 36, "receive on SRQ 2's CQ");
	CHECK(!strcmp(buf + 1024, "to the first SRQ") &&
	      !strcmp(buf + 2048, "and to the second, a longer message"),
	      "received data");
	CHECK(ibv_poll_cq(cq1, 1, &wc) == 0 && ibv_poll_cq(cq2, 1, &wc) == 0,
	      "one completion per SRQ");
	ok("one initiator QP sends to two XRC SRQs by number; each receive "
	   "completes on its SRQ's CQ with the target QP's number");

	/* A message of several packets, through the ibv_wr_*() API. */
	for (i = 0; i < 4000; i++)
		buf[i] = (char)(i * 7);
	post_srq_recv(srq2, 0x202, buf + 4096, 4096, mr->lkey);
	qpx = ibv_qp_to_qp_ex(ini);
	CHECK(qpx, "ibv_qp_to_qp_ex");
	ibv_wr_start(qpx);
	qpx->wr_id = 3;
	qpx->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_send_imm(qpx, htobe32(0x1234abcd));
	ibv_wr_set_xrc_srqn(qpx, srqn2);
	ibv_wr_set_sge(qpx, mr->lkey, (uintptr_t)buf, 4000);
	ret = ibv_wr_complete(qpx);
	CHECK(ret == 0, "ibv_wr_complete: %s", strerror(ret));
	expect_wc(scq, 3, IBV_WC_SUCCESS, "send with immediate");
	poll_n(cq2, 1, &wc, "receive with immediate");
	CHECK(wc.status == IBV_WC_SUCCESS && wc.wr_id == 0x202 &&
	      wc.byte_len == 4000 && (wc.wc_flags & IBV_WC_WITH_IMM) &&
	      wc.imm_data == htobe32(0x1234abcd) && wc.qp_num == tgt->qp_num,
	      "receive with immediate: status %s byte_len %u flags %x imm %x",
	      ibv_wc_status_str(wc.status), wc.byte_len, wc.wc_flags,
	      be32toh(wc.imm_data));
	CHECK(!memcmp(buf, buf + 4096, 4000), "multi-packet data");
	ok("ibv_wr_set_xrc_srqn: a 4000-byte send with immediate to SRQ 2");

	destroy_qp(ini);
	destroy_qp(tgt);
}

static void rdma(struct ibv_qp *ini, enum ibv_wr_opcode op, uint32_t srqn,
		 void *laddr, uint32_t len, uint32_t lkey, void *raddr,
		 uint32_t rkey, uint64_t cmp_add, uint64_t swap,
		 enum ibv_wc_status status, const char *what)
{
	struct ibv_sge sge = { (uintptr_t)laddr, len, lkey };
	struct ibv_send_wr wr = {
		.wr_id = 0x77, .sg_list = &sge, .num_sge = 1, .opcode = op,
	};

	if (op == IBV_WR_ATOMIC_FETCH_AND_ADD ||
	    op == IBV_WR_ATOMIC_CMP_AND_SWP) {
		wr.wr.atomic.remote_addr = (uintptr_t)raddr;
		wr.wr.atomic.rkey = rkey;
		wr.wr.atomic.compare_add = cmp_add;
		wr.wr.atomic.swap = swap;
	} else {
		wr.wr.rdma.remote_addr = (uintptr_t)raddr;
		wr.wr.rdma.rkey = rkey;
	}
	post_xrc(ini, &wr, srqn);
	expect_wc(scq, 0x77, status, what);
}

static void test_rdma(void)
{
	uint64_t *target = (uint64_t *)(buf + 6144), *orig = target + 1;
	struct ibv_qp *ini, *tgt;
	int i;

	make_pair(&ini, &tgt);
	for (i = 0; i < 3000; i++)
		buf[i] = (char)(i * 13 + 1);
	memset(buf + 3072, 0, 3072);
	rdma(ini, IBV_WR_RDMA_WRITE, srqn1, buf, 3000, mr->lkey, buf + 3072,
	     mr->rkey, 0, 0, IBV_WC_SUCCESS, "RDMA WRITE");
	CHECK(!memcmp(buf, buf + 3072, 3000), "RDMA WRITE data");
	memset(buf, 0, 3000);
	rdma(ini, IBV_WR_RDMA_READ, srqn2, buf, 3000, mr->lkey, buf + 3072,
	     mr->rkey, 0, 0, IBV_WC_SUCCESS, "RDMA READ");
	CHECK(!memcmp(buf, buf + 3072, 3000), "RDMA READ data");
	ok("RDMA WRITE and READ of 3000 bytes through XRC");

	*target = 40;
	rdma(ini, IBV_WR_ATOMIC_FETCH_AND_ADD, srqn1, orig, 8, mr->lkey,
	     target, mr->rkey, 2, 0, IBV_WC_SUCCESS, "fetch and add");
	CHECK(*orig == 40 && *target == 42, "fetch and add: %llu, %llu",
	      (unsigned long long)*orig, (unsigned long long)*target);
	rdma(ini, IBV_WR_ATOMIC_CMP_AND_SWP, srqn1, orig, 8, mr->lkey,
	     target, mr->rkey, 42, 7, IBV_WC_SUCCESS, "compare and swap");
	CHECK(*orig == 42 && *target == 7, "compare and swap: %llu, %llu",
	      (unsigned long long)*orig, (unsigned long long)*target);
	rdma(ini, IBV_WR_ATOMIC_CMP_AND_SWP, srqn1, orig, 8, mr->lkey,
	     target, mr->rkey, 42, 9, IBV_WC_SUCCESS, "failed swap");
	CHECK(*orig == 7 && *target == 7, "failed compare and swap");
	ok("fetch-and-add and compare-and-swap through XRC");

	/* The SRQ's PD decides: an MR of pd2 through the SRQ of pd2. */
	strcpy(buf, "into the other PD");
	rdma(ini, IBV_WR_RDMA_WRITE, srqn_pd2, buf, 18, mr->lkey, buf2,
	     mr2->rkey, 0, 0, IBV_WC_SUCCESS, "RDMA WRITE to pd2's MR");
	CHECK(!strcmp(buf2, "into the other PD"), "pd2 write data");
	/* ...and not through an SRQ of pd: remote access error. */
	rdma(ini, IBV_WR_RDMA_WRITE, srqn1, buf, 18, mr->lkey, buf2,
	     mr2->rkey, 0, 0, IBV_WC_REM_ACCESS_ERR,
	     "RDMA WRITE to pd2's MR through pd's SRQ");
	ok("remote accesses are checked against the PD of the named SRQ");

	destroy_qp(ini);
	destroy_qp(tgt);
}

/* One send naming a bad SRQ number fails the pair. */
static void bad_srqn(uint32_t srqn, const char *what)
{
	struct ibv_qp *ini, *tgt;
	enum ibv_qp_state st;

	make_pair(&ini, &tgt);
	send_to(ini, srqn, 9, buf, 8, mr->lkey);
	expect_wc(scq, 9, IBV_WC_REM_INV_REQ_ERR, what);
	st = wait_qp_state(tgt, IBV_QPS_ERR, 30);
	CHECK(st == IBV_QPS_ERR, "%s: target QP state %d", what, st);
	CHECK(qp_state(ini) == IBV_QPS_ERR, "%s: initiator not in ERR", what);
	ok("%s: IBV_WC_REM_INV_REQ_ERR, both QPs in ERR", what);
	destroy_qp(ini);
	destroy_qp(tgt);
}

static void test_badsrq(void)
{
	bad_srqn(0xfffff0, "send naming no SRQ");
	bad_srqn(srqn_other, "send naming an XRC SRQ of another XRC domain");
}

/* The second process: open the domain and the QP, hold them. */
static int open_child(const char *path, uint32_t qpn)
{
	struct ibv_qp_open_attr oa = {
		.comp_mask = IBV_QP_OPEN_ATTR_NUM | IBV_QP_OPEN_ATTR_XRCD |
			     IBV_QP_OPEN_ATTR_TYPE,
		.qp_num = qpn,
		.qp_type = IBV_QPT_XRC_RECV,
	};
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr a;
	struct ibv_xrcd *x;
	struct ibv_qp *qp;
	char line[16];
	int ret;

	x = open_xrcd(path, 0);
	oa.xrcd = x;
	qp = ibv_open_qp(ctx, &oa);
	CHECK(qp, "ibv_open_qp %u: %s", qpn, strerror(errno));
	ret = ibv_query_qp(qp, &a, IBV_QP_STATE | IBV_QP_DEST_QPN, &init);
	CHECK(ret == 0 && a.qp_state == IBV_QPS_RTS && qp->qp_num == qpn,
	      "opened QP: query %d state %d qp_num %u", ret, a.qp_state,
	      qp->qp_num);
	oa.qp_num = qpn + 100000;
	CHECK(!ibv_open_qp(ctx, &oa), "opening a QP number not in the domain");
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		fail("child: no go-ahead");
	destroy_qp(qp);
	ret = ibv_close_xrcd(x);
	CHECK(ret == 0, "child: ibv_close_xrcd: %s", strerror(ret));
	printf("child done\n");
	return 0;
}

static void test_open(const char *dev)
{
	int to_child[2], from_child[2], status;
	struct ibv_qp *ini, *tgt;
	char qpn[16], line[64];
	FILE *in;
	pid_t pid;

	make_pair(&ini, &tgt);
	CHECK(pipe(to_child) == 0 && pipe(from_child) == 0, "pipes");
	snprintf(qpn, sizeof(qpn), "%u", tgt->qp_num);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (!pid) {
		dup2(to_child[0], 0);
		dup2(from_child[1], 1);
		close(to_child[1]);
		close(from_child[0]);
		execl("/proc/self/exe", "xrc_test", dev, "open", xrcd_path,
		      qpn, (char *)NULL);
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	in = fdopen(from_child[0], "r");
	CHECK(in, "fdopen");
	while (fgets(line, sizeof(line), in) && strcmp(line, "ready\n"))
		fputs(line, stdout);
	CHECK(!strcmp(line, "ready\n"), "the second process did not open "
	      "the QP");
	ok("a second process opened XRC QP %s with ibv_open_qp, in RTS", qpn);

	/* The creator's handle goes; the second process keeps the QP. */
	destroy_qp(tgt);
	post_srq_recv(srq1, 0x111, buf + 1024, 64, mr->lkey);
	send_to(ini, srqn1, 0x11, buf, 32, mr->lkey);
	expect_wc(scq, 0x11, IBV_WC_SUCCESS, "send to the opened QP");
	poll_n(cq1, 1, &(struct ibv_wc){}, "receive through the opened QP");
	ok("the QP lives on in the second process after its creator "
	   "destroyed its handle");

	CHECK(write(to_child[1], "go\n", 3) == 3, "write to child");
	while (fgets(line, sizeof(line), in))
		fputs(line, stdout);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "second process failed (%x)", status);
	fclose(in);
	close(to_child[1]);
	destroy_qp(ini);
	ok("the second process closed the QP and the XRC domain");
}

static void test_busy(void)
{
	struct ibv_recv_wr rwr = {}, *rbad;
	struct ibv_send_wr swr = {}, *sbad;
	struct ibv_qp *ini, *tgt;
	int ret;

	make_pair(&ini, &tgt);
	ret = ibv_close_xrcd(xrcd);
	CHECK(ret == EBUSY, "close an XRC domain with SRQs and a QP: %s",
	      strerror(ret));
	ret = ibv_destroy_cq(cq2);
	CHECK(ret == EBUSY, "destroy the CQ of an XRC SRQ: %s", strerror(ret));
	ret = ibv_post_recv(ini, &rwr, &rbad);
	CHECK(ret == EINVAL, "post_recv to an XRC send QP: %s", strerror(ret));
	ret = ibv_post_send(tgt, &swr, &sbad);
	CHECK(ret == EINVAL, "post_send to an XRC receive QP: %s",
	      strerror(ret));
	destroy_qp(ini);
	destroy_qp(tgt);
	ret = ibv_close_xrcd(xrcd);
	CHECK(ret == EBUSY, "close an XRC domain with SRQs: %s",
	      strerror(ret));
	ok("EBUSY for an XRC domain and a CQ in use, EINVAL for posting to "
	   "the missing side of an XRC QP");
}

static void teardown(void)
{
	CHECK(ibv_destroy_srq(srq1) == 0 && ibv_destroy_srq(srq2) == 0 &&
	      ibv_destroy_srq(srq_pd2) == 0 && ibv_destroy_srq(srq_other) == 0,
	      "destroy the SRQs");
	CHECK(ibv_close_xrcd(xrcd) == 0 && ibv_close_xrcd(xrcd2) == 0,
	      "close the XRC domains");
	unlink(xrcd_path);
	CHECK(ibv_dereg_mr(mr) == 0 && ibv_dereg_mr(mr2) == 0, "dereg");
	CHECK(ibv_destroy_cq(scq) == 0 && ibv_destroy_cq(cq1) == 0 &&
	      ibv_destroy_cq(cq2) == 0, "destroy the CQs");
	CHECK(ibv_dealloc_pd(pd) == 0 && ibv_dealloc_pd(pd2) == 0, "PDs");
	CHECK(ibv_close_device(ctx) == 0, "close");
	ok("SRQs, XRC domains and the rest destroyed in order");
}

int main(int argc, char **argv)
{
	struct ibv_device **list;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: %s DEV TEST... | DEV open FILE QPN\n",
			argv[0]);
		return 2;
	}
	if (!strcmp(argv[2], "open") && argc == 5) {
		list = ibv_get_device_list(NULL);
		for (i = 0; list && list[i]; i++)
			if (!strcmp(ibv_get_device_name(list[i]), argv[1]))
				ctx = ibv_open_device(list[i]);
		CHECK(ctx, "child: open %s", argv[1]);
		return open_child(argv[3], strtoul(argv[4], NULL, 0));
	}
	signal(SIGPIPE, SIG_IGN);
	setup(argv[1]);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "send"))
			test_send();
		else if (!strcmp(argv[i], "rdma"))
			test_rdma();
		else if (!strcmp(argv[i], "badsrq"))
			test_badsrq();
		else if (!strcmp(argv[i], "open"))
			test_open(argv[1]);
		else if (!strcmp(argv[i], "busy"))
			test_busy();
		else
			fail("unknown test %s", argv[i]);
	}
	teardown();
	return 0;
}
