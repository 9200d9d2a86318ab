// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * loss_test: RDMA READs and WRITEs between two devices whose wire loses
 * packets (the case script puts netem on the veth ends), every byte
 * checked.  RC must recover every loss; a transfer that completes
 * successfully with wrong data is the failure this looks for, and it
 * says which MTU-sized chunks were wrong and what they held instead
 * (never written, or an earlier round's data), to tell a hole from
 * stale data.
 *
 * usage: loss_test DEV_A DEV_B ROUNDS SIZE DEPTH
 * DEV_B reads DEV_A's buffer and writes into another of DEV_A's buffers,
 * DEPTH transfers in flight at a time, each of SIZE bytes.  Prints
 * "ok: ..." per check; the first failure prints "FAIL: ..." and exits 1.
 * LOSS_TEST_TIMEOUT sets the QPs' transport timeout exponent (default
 * 14): a short one makes retransmissions overlap the late originals.
 * LOSS_TEST_RD_ATOMIC sets max_rd_atomic (default 16; rdma_cm users
 * such as rping get 1).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <infiniband/verbs.h>

#include "../common/check.h"
#include "../pin/pin_common.h"

#define MTU_BYTES 1024
#define UNWRITTEN 0xee

static struct side a, b;

/* Byte @i of transfer @slot in round @round: differs per round and chunk. */
static uint8_t pattern(unsigned int round, unsigned int slot, size_t i)
{
	return (uint8_t)(round * 37 + slot * 101 + i / MTU_BYTES * 13 + i);
}

static void fill(uint8_t *p, size_t len, unsigned int round,
		 unsigned int slot)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern(round, slot, i);
}

/* What a wrong chunk holds: unwritten, another round's, or other. */
static const char *chunk_kind(const uint8_t *p, size_t off, size_t len,
			      unsigned int round, unsigned int slot)
{
	size_t i;
	int r;

	for (i = 0; i < len && p[off + i] == UNWRITTEN; i++)
		;
	if (i == len)
		return "never written";
	for (r = (int)round - 1; r >= 0 && r >= (int)round - 4; r--) {
		for (i = 0; i < len && p[off + i] ==
		     pattern(r, slot, off + i); i++)
			;
		if (i == len)
			return "an earlier round's data";
	}
	return "other data";
}

/* Compare @got with the round's pattern; report each wrong chunk. */
static void verify(const char *what, const uint8_t *got, size_t len,
		   unsigned int round, unsigned int slot)
{
	size_t off, n, bad = 0;

	for (off = 0; off < len; off += MTU_BYTES) {
		size_t i;

		n = len - off < MTU_BYTES ? len - off : MTU_BYTES;
		for (i = 0; i < n; i++)
			if (got[off + i] != pattern(round, slot, off + i))
				break;
		if (i == n)
			continue;
		fprintf(stderr, "%s round %u slot %u: chunk %zu (offset %zu) "
			"wrong from byte %zu: %s\n", what, round, slot,
			off / MTU_BYTES, off, i,
			chunk_kind(got, off, n, round, slot));
		bad++;
	}
	CHECK(!bad, "%s round %u slot %u: %zu of %zu chunks wrong after a "
	      "successful completion", what, round, slot, bad,
	      (len + MTU_BYTES - 1) / MTU_BYTES);
}

/* @n completions on @sd's CQ, each successful. */
static void wait_completions(struct side *sd, unsigned int n,
			     const char *what)
{
	enum ibv_wc_status st;

	while (n--) {
		st = side_wait_wc(sd);
		CHECK(st == IBV_WC_SUCCESS, "%s: completion %s", what,
		      ibv_wc_status_str(st));
	}
}

static void post_recv(struct side *to, struct ibv_mr *tmr, uint32_t *tbuf)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)tbuf, .length = 64, .lkey = tmr->lkey,
	};
	struct ibv_recv_wr wr = { .sg_list = &sge, .num_sge = 1 }, *bad;

	CHECK(ibv_post_recv(to->qp, &wr, &bad) == 0, "post recv");
}

/*
 * A small SEND from @from to @to carrying @round, as rping's control
 * messages go: the receiver keeps two receives posted on one buffer and
 * posts a new one as each completes, and the sender does not wait for its
 * completion before the receiver has the message.  A retransmitted SEND
 * taken as a new one would complete an extra receive, which the next
 * round's message then finds in place of its own.
 */
static void message(struct side *from, struct side *to, struct ibv_mr *fmr,
		    uint32_t *fbuf, struct ibv_mr *tmr, uint32_t *tbuf,
		    unsigned int round)
{
	struct ibv_sge ssge = {
		.addr = (uintptr_t)fbuf, .length = 16, .lkey = fmr->lkey,
	};
	struct ibv_send_wr swr = {
		.sg_list = &ssge, .num_sge = 1, .opcode = IBV_WR_SEND,
		.send_flags = IBV_SEND_SIGNALED,
	}, *sbad;
	int i;

	for (i = 0; i < 4; i++)
		fbuf[i] = round * 4 + i;
	CHECK(ibv_post_send(from->qp, &swr, &sbad) == 0, "post SEND");
	wait_completions(to, 1, "RECV");
	for (i = 0; i < 4; i++)
		CHECK(tbuf[i] == round * 4 + i,
		      "SEND %s -> %s round %u: word %d is %#x, not %#x",
		      from->name, to->name, round, i, tbuf[i], round * 4 + i);
	post_recv(to, tmr, tbuf);
	wait_completions(from, 1, "SEND");
}

/* B posts an RDMA READ or WRITE between @local and A's @remote. */
static void post(enum ibv_wr_opcode op, struct ibv_mr *lmr, uint8_t *local,
		 struct ibv_mr *rmr, uint8_t *remote, size_t len)
{
	CHECK(side_post_rdma(&b, op, lmr, local, len, (uintptr_t)remote,
			     rmr->rkey, 0) == 0, "post %s",
	      op == IBV_WR_RDMA_READ ? "READ" : "WRITE");
}

static struct ibv_mr *reg(struct side *s, void *p, size_t len)
{
	struct ibv_mr *mr = ibv_reg_mr(s->pd, p, len,
				       IBV_ACCESS_LOCAL_WRITE |
				       IBV_ACCESS_REMOTE_WRITE |
				       IBV_ACCESS_REMOTE_READ);

	CHECK(mr, "%s: ibv_reg_mr: %s", s->name, strerror(errno));
	return mr;
}

int main(int argc, char **argv)
{
	struct rc_conn_params p = {
		.mtu = IBV_MTU_1024, .psn = 0x123, .rd_atomic = 16,
		.timeout = 14, .retry_cnt = 7, .rnr_retry = 7,
		.min_rnr_timer = 1,
		.access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ,
	};
	unsigned int rounds, depth, r, s;
	uint8_t *src, *dst, *wsrc, *wdst;
	struct ibv_mr *src_mr, *dst_mr, *wsrc_mr, *wdst_mr, *amsg_mr, *bmsg_mr;
	uint32_t *amsg, *bmsg;
	size_t size, total;

	if (argc != 6) {
		fprintf(stderr, "usage: loss_test DEV_A DEV_B ROUNDS SIZE DEPTH\n");
		return 2;
	}
	rounds = strtoul(argv[3], NULL, 0);
	size = strtoul(argv[4], NULL, 0);
	depth = strtoul(argv[5], NULL, 0);
	CHECK(size && depth && depth <= 16, "SIZE > 0, 1 <= DEPTH <= 16");
	total = size * depth;
	if (getenv("LOSS_TEST_TIMEOUT"))
		p.timeout = strtoul(getenv("LOSS_TEST_TIMEOUT"), NULL, 0);
	if (getenv("LOSS_TEST_RD_ATOMIC"))
		p.rd_atomic = strtoul(getenv("LOSS_TEST_RD_ATOMIC"), NULL, 0);

	side_open(&a, argv[1], 64);
	side_open(&b, argv[2], 64);
	sides_connect(&a, &b, 32, &p);
	src = malloc(total);
	dst = malloc(total);
	wsrc = malloc(total);
	wdst = malloc(total);
	amsg = calloc(1, 128);
	bmsg = calloc(1, 128);
	CHECK(src && dst && wsrc && wdst && amsg && bmsg, "malloc");
	amsg_mr = reg(&a, amsg, 128);
	bmsg_mr = reg(&b, bmsg, 128);
	src_mr = reg(&a, src, total);
	wdst_mr = reg(&a, wdst, total);
	dst_mr = reg(&b, dst, total);
	wsrc_mr = reg(&b, wsrc, total);

	/* Two receives on one buffer each, as rping keeps them. */
	for (s = 0; s < 2; s++) {
		post_recv(&a, amsg_mr, amsg + 16);
		post_recv(&b, bmsg_mr, bmsg + 16);
	}
	for (r = 0; r < rounds; r++) {
		/* READ: B pulls A's buffer into memory it first marks. */
		for (s = 0; s < depth; s++)
			fill(src + s * size, size, r, s);
		message(&a, &b, amsg_mr, amsg, bmsg_mr, bmsg + 16, r);
		memset(dst, UNWRITTEN, total);
		for (s = 0; s < depth; s++)
			post(IBV_WR_RDMA_READ, dst_mr, dst + s * size, src_mr,
			     src + s * size, size);
		wait_completions(&b, depth, "READ");
		for (s = 0; s < depth; s++)
			verify("READ", dst + s * size, size, r, s);

		/* WRITE: B pushes into A's marked buffer. */
		for (s = 0; s < depth; s++)
			fill(wsrc + s * size, size, r, s);
		memset(wdst, UNWRITTEN, total);
		for (s = 0; s < depth; s++)
			post(IBV_WR_RDMA_WRITE, wsrc_mr, wsrc + s * size,
			     wdst_mr, wdst + s * size, size);
		wait_completions(&b, depth, "WRITE");
		message(&b, &a, bmsg_mr, bmsg, amsg_mr, amsg + 16, r);
		for (s = 0; s < depth; s++)
			verify("WRITE", wdst + s * size, size, r, s);
	}
	ok("%u rounds of a SEND each way, %u READs and %u WRITEs of %zu "
	   "bytes, every byte right", rounds, depth, depth, size);
	printf("counters %s: retransmissions %ld rcvd_seq_err %ld "
	       "rcvd_stale_resp %ld\n", b.name,
	       hw_counter(b.name, "retransmissions"),
	       hw_counter(b.name, "rcvd_seq_err"),
	       hw_counter(b.name, "rcvd_stale_resp"));

	ibv_dereg_mr(src_mr);
	ibv_dereg_mr(wdst_mr);
	ibv_dereg_mr(dst_mr);
	ibv_dereg_mr(wsrc_mr);
	ibv_dereg_mr(amsg_mr);
	ibv_dereg_mr(bmsg_mr);
	sides_disconnect(&a, &b);
	side_close(&a);
	side_close(&b);
	return 0;
}
