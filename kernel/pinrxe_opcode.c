// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The BTH opcode table (IBA vol. 1 9.2.1 and 9.3, annex A17).
 *
 * Each entry is written as its name, its mask and whether the driver
 * supports it; header lengths and offsets are derived from the mask at
 * module load, since every opcode's headers follow the one wire order of
 * enum pinrxe_hdr_type.  That keeps one source of truth per opcode instead
 * of a hand-kept offset list per header.
 */
#include <linux/cache.h>
#include <linux/kernel.h>

#include "pinrxe_hdr.h"
#include "pinrxe_opcode.h"

/* What a message part is, common to RC, UC and (with RDETH/DETH) RD. */
#define M_SEND		(PINRXE_REQ_MASK | PINRXE_SEND_MASK | PINRXE_PAYLOAD_MASK)
#define M_SEND_FIRST	(M_SEND | PINRXE_FIRST_MASK | PINRXE_RWR_MASK)
#define M_SEND_MIDDLE	(M_SEND | PINRXE_MIDDLE_MASK)
#define M_SEND_LAST	(M_SEND | PINRXE_LAST_MASK | PINRXE_COMP_MASK)
#define M_SEND_ONLY	(M_SEND_FIRST | M_SEND_LAST)
#define M_WRITE		(PINRXE_REQ_MASK | PINRXE_WRITE_MASK | PINRXE_PAYLOAD_MASK)
#define M_WRITE_FIRST	(M_WRITE | PINRXE_FIRST_MASK | PINRXE_RETH_MASK)
#define M_WRITE_MIDDLE	(M_WRITE | PINRXE_MIDDLE_MASK)
#define M_WRITE_LAST	(M_WRITE | PINRXE_LAST_MASK)
#define M_WRITE_ONLY	(M_WRITE_FIRST | M_WRITE_LAST)
/* A write with immediate consumes and completes a receive WQE. */
#define M_IMM		(PINRXE_IMMDT_MASK | PINRXE_RWR_MASK | PINRXE_COMP_MASK)
#define M_INV		PINRXE_IETH_MASK
#define M_READ_REQ	(PINRXE_REQ_MASK | PINRXE_READ_MASK | PINRXE_ONLY_MASK | \
			 PINRXE_RETH_MASK)
#define M_READ_RESP	(PINRXE_RESP_MASK | PINRXE_READ_RESP_MASK | \
			 PINRXE_PAYLOAD_MASK)
#define M_ACK		(PINRXE_RESP_MASK | PINRXE_ACKNOWLEDGE_MASK | \
			 PINRXE_ONLY_MASK | PINRXE_AETH_MASK)
#define M_ATOMIC_ACK	(PINRXE_RESP_MASK | PINRXE_ATOMIC_ACK_MASK | \
			 PINRXE_ONLY_MASK | PINRXE_AETH_MASK | PINRXE_ATMACK_MASK)
#define M_ATOMIC	(PINRXE_REQ_MASK | PINRXE_ATOMIC_MASK | PINRXE_ONLY_MASK | \
			 PINRXE_ATMETH_MASK)
/* RD requests carry the EE context and the datagram header. */
#define M_RD_REQ	(PINRXE_RDETH_MASK | PINRXE_DETH_MASK)

#define OP(_name, _mask, _supported) \
	[IB_OPCODE_ ## _name] = { \
		.name = #_name, \
		.mask = (_mask), \
		.supported = (_supported), \
	}

struct pinrxe_opcode_info pinrxe_opcode[PINRXE_NUM_OPCODES] __ro_after_init = {
	OP(RC_SEND_FIRST, M_SEND_FIRST, true),
	OP(RC_SEND_MIDDLE, M_SEND_MIDDLE, true),
	OP(RC_SEND_LAST, M_SEND_LAST, true),
	OP(RC_SEND_LAST_WITH_IMMEDIATE, M_SEND_LAST | M_IMM, true),
	OP(RC_SEND_ONLY, M_SEND_ONLY, true),
	OP(RC_SEND_ONLY_WITH_IMMEDIATE, M_SEND_ONLY | M_IMM, true),
	OP(RC_RDMA_WRITE_FIRST, M_WRITE_FIRST, true),
	OP(RC_RDMA_WRITE_MIDDLE, M_WRITE_MIDDLE, true),
	OP(RC_RDMA_WRITE_LAST, M_WRITE_LAST, true),
	OP(RC_RDMA_WRITE_LAST_WITH_IMMEDIATE, M_WRITE_LAST | M_IMM, true),
	OP(RC_RDMA_WRITE_ONLY, M_WRITE_ONLY, true),
	OP(RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE, M_WRITE_ONLY | M_IMM, true),
	OP(RC_RDMA_READ_REQUEST, M_READ_REQ, true),
	OP(RC_RDMA_READ_RESPONSE_FIRST,
	   M_READ_RESP | PINRXE_FIRST_MASK | PINRXE_AETH_MASK, true),
	OP(RC_RDMA_READ_RESPONSE_MIDDLE, M_READ_RESP | PINRXE_MIDDLE_MASK, true),
	OP(RC_RDMA_READ_RESPONSE_LAST,
	   M_READ_RESP | PINRXE_LAST_MASK | PINRXE_AETH_MASK, true),
	OP(RC_RDMA_READ_RESPONSE_ONLY,
	   M_READ_RESP | PINRXE_ONLY_MASK | PINRXE_AETH_MASK, true),
	OP(RC_ACKNOWLEDGE, M_ACK, true),
	OP(RC_ATOMIC_ACKNOWLEDGE, M_ATOMIC_ACK, true),
	OP(RC_COMPARE_SWAP, M_ATOMIC, true),
	OP(RC_FETCH_ADD, M_ATOMIC, true),
	OP(RC_SEND_LAST_WITH_INVALIDATE, M_SEND_LAST | M_INV, true),
	OP(RC_SEND_ONLY_WITH_INVALIDATE, M_SEND_ONLY | M_INV, true),
	/* Memory placement extensions (IBA 1.5): flush is not implemented. */
	OP(RC_FLUSH, PINRXE_REQ_MASK | PINRXE_ONLY_MASK | PINRXE_FETH_MASK |
	   PINRXE_RETH_MASK, false),
	OP(RC_ATOMIC_WRITE, PINRXE_REQ_MASK | PINRXE_ATOMIC_WRITE_MASK |
	   PINRXE_ONLY_MASK | PINRXE_RETH_MASK | PINRXE_PAYLOAD_MASK, true),

	OP(UC_SEND_FIRST, M_SEND_FIRST, true),
	OP(UC_SEND_MIDDLE, M_SEND_MIDDLE, true),
	OP(UC_SEND_LAST, M_SEND_LAST, true),
	OP(UC_SEND_LAST_WITH_IMMEDIATE, M_SEND_LAST | M_IMM, true),
	OP(UC_SEND_ONLY, M_SEND_ONLY, true),
	OP(UC_SEND_ONLY_WITH_IMMEDIATE, M_SEND_ONLY | M_IMM, true),
	OP(UC_RDMA_WRITE_FIRST, M_WRITE_FIRST, true),
	OP(UC_RDMA_WRITE_MIDDLE, M_WRITE_MIDDLE, true),
	OP(UC_RDMA_WRITE_LAST, M_WRITE_LAST, true),
	OP(UC_RDMA_WRITE_LAST_WITH_IMMEDIATE, M_WRITE_LAST | M_IMM, true),
	OP(UC_RDMA_WRITE_ONLY, M_WRITE_ONLY, true),
	OP(UC_RDMA_WRITE_ONLY_WITH_IMMEDIATE, M_WRITE_ONLY | M_IMM, true),

	/* Reliable datagram: no verbs expose it, rdma_rxe does not either. */
	OP(RD_SEND_FIRST, M_SEND_FIRST | M_RD_REQ, false),
	OP(RD_SEND_MIDDLE, M_SEND_MIDDLE | M_RD_REQ, false),
	OP(RD_SEND_LAST, M_SEND_LAST | M_RD_REQ, false),
	OP(RD_SEND_LAST_WITH_IMMEDIATE, M_SEND_LAST | M_IMM | M_RD_REQ, false),
	OP(RD_SEND_ONLY, M_SEND_ONLY | M_RD_REQ, false),
	OP(RD_SEND_ONLY_WITH_IMMEDIATE, M_SEND_ONLY | M_IMM | M_RD_REQ, false),
	OP(RD_RDMA_WRITE_FIRST, M_WRITE_FIRST | M_RD_REQ, false),
	OP(RD_RDMA_WRITE_MIDDLE, M_WRITE_MIDDLE | M_RD_REQ, false),
	OP(RD_RDMA_WRITE_LAST, M_WRITE_LAST | M_RD_REQ, false),
	OP(RD_RDMA_WRITE_LAST_WITH_IMMEDIATE, M_WRITE_LAST | M_IMM | M_RD_REQ,
	   false),
	OP(RD_RDMA_WRITE_ONLY, M_WRITE_ONLY | M_RD_REQ, false),
	OP(RD_RDMA_WRITE_ONLY_WITH_IMMEDIATE, M_WRITE_ONLY | M_IMM | M_RD_REQ,
	   false),
	OP(RD_RDMA_READ_REQUEST, M_READ_REQ | M_RD_REQ, false),
	OP(RD_RDMA_READ_RESPONSE_FIRST, M_READ_RESP | PINRXE_FIRST_MASK |
	   PINRXE_AETH_MASK | PINRXE_RDETH_MASK, false),
	OP(RD_RDMA_READ_RESPONSE_MIDDLE, M_READ_RESP | PINRXE_MIDDLE_MASK |
	   PINRXE_RDETH_MASK, false),
	OP(RD_RDMA_READ_RESPONSE_LAST, M_READ_RESP | PINRXE_LAST_MASK |
	   PINRXE_AETH_MASK | PINRXE_RDETH_MASK, false),
	OP(RD_RDMA_READ_RESPONSE_ONLY, M_READ_RESP | PINRXE_ONLY_MASK |
	   PINRXE_AETH_MASK | PINRXE_RDETH_MASK, false),
	OP(RD_ACKNOWLEDGE, M_ACK | PINRXE_RDETH_MASK, false),
	OP(RD_ATOMIC_ACKNOWLEDGE, M_ATOMIC_ACK | PINRXE_RDETH_MASK, false),
	OP(RD_COMPARE_SWAP, M_ATOMIC | M_RD_REQ, false),
	OP(RD_FETCH_ADD, M_ATOMIC | M_RD_REQ, false),
	[PINRXE_OPCODE_RD_RESYNC] = {
		.name = "RD_RESYNC",
		.mask = PINRXE_REQ_MASK | PINRXE_ONLY_MASK | M_RD_REQ,
		.supported = false,
	},
	OP(RD_FLUSH, PINRXE_REQ_MASK | PINRXE_ONLY_MASK | M_RD_REQ |
	   PINRXE_FETH_MASK | PINRXE_RETH_MASK, false),

	OP(UD_SEND_ONLY, M_SEND_ONLY | PINRXE_DETH_MASK, true),
	OP(UD_SEND_ONLY_WITH_IMMEDIATE, M_SEND_ONLY | M_IMM | PINRXE_DETH_MASK,
	   true),

	/*
	 * Congestion notification: RoCEv2 NICs send these to a sender whose
	 * packets arrived ECN-marked; the driver does no congestion control.
	 */
	[PINRXE_OPCODE_CNP] = {
		.name = "CNP",
		.mask = PINRXE_CNP_MASK,
		.supported = false,
	},
};

static const u8 pinrxe_hdr_bytes[PINRXE_HDR_PAYLOAD] = {
	[PINRXE_HDR_BTH] = PINRXE_BTH_BYTES,
	[PINRXE_HDR_RDETH] = PINRXE_RDETH_BYTES,
	[PINRXE_HDR_DETH] = PINRXE_DETH_BYTES,
	[PINRXE_HDR_FETH] = PINRXE_FETH_BYTES,
	[PINRXE_HDR_RETH] = PINRXE_RETH_BYTES,
	[PINRXE_HDR_ATMETH] = PINRXE_ATMETH_BYTES,
	[PINRXE_HDR_AETH] = PINRXE_AETH_BYTES,
	[PINRXE_HDR_ATMACK] = PINRXE_ATMACK_BYTES,
	[PINRXE_HDR_IMMDT] = PINRXE_IMMDT_BYTES,
	[PINRXE_HDR_IETH] = PINRXE_IETH_BYTES,
	[PINRXE_HDR_CNP] = PINRXE_CNP_BYTES,
};

/**
 * pinrxe_opcode_init() - derive header lengths and offsets from the masks
 *
 * Called once at module load, before any device exists; the table is
 * read-only afterwards.
 */
void pinrxe_opcode_init(void)
{
	unsigned int op, h, len;

	for (op = 0; op < PINRXE_NUM_OPCODES; op++) {
		struct pinrxe_opcode_info *info = &pinrxe_opcode[op];

		if (!info->name)
			continue;
		info->mask |= PINRXE_BTH_MASK;
		len = 0;
		for (h = 0; h < PINRXE_HDR_PAYLOAD; h++) {
			if (!(info->mask & BIT(h)))
				continue;
			info->offset[h] = len;
			len += pinrxe_hdr_bytes[h];
		}
		info->offset[PINRXE_HDR_PAYLOAD] = len;
		info->length = len;
	}
}
