/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The BTH opcode table: for each of the 256 opcodes, which headers follow
 * the BTH and where, and what kind of packet it is.  The receive path
 * validates a packet against it before reading any field past the BTH; the
 * requester, responder and completer use the masks to decide what to do.
 */
#ifndef PINRXE_OPCODE_H
#define PINRXE_OPCODE_H

#include <linux/bits.h>
#include <linux/types.h>
#include <rdma/ib_pack.h>

/**
 * enum pinrxe_hdr_type - the parts of a packet after the UDP header
 * @PINRXE_HDR_BTH: base transport header, always first
 * @PINRXE_HDR_RDETH: reliable datagram extended transport header (RD only)
 * @PINRXE_HDR_DETH: datagram extended transport header (UD, RD)
 * @PINRXE_HDR_XRCETH: XRC extended transport header (XRC requests)
 * @PINRXE_HDR_FETH: flush extended transport header (RC FLUSH)
 * @PINRXE_HDR_RETH: RDMA extended transport header (write, read request)
 * @PINRXE_HDR_ATMETH: atomic extended transport header (atomic requests)
 * @PINRXE_HDR_AETH: ACK extended transport header (ACK, read response)
 * @PINRXE_HDR_ATMACK: atomic ACK extended transport header
 * @PINRXE_HDR_IMMDT: immediate data
 * @PINRXE_HDR_IETH: invalidate extended transport header (send with
 *	invalidate)
 * @PINRXE_HDR_CNP: the 16 reserved bytes of a RoCEv2 congestion
 *	notification packet
 * @PINRXE_HDR_PAYLOAD: the payload; its offset is the header length
 * @PINRXE_NUM_HDR_TYPES: number of entries in an offset table
 *
 * The order is the order in which the headers appear on the wire (IBA
 * vol. 1 9.2): every opcode's headers are a subset of this list, in this
 * order, which lets the table compute offsets from the masks alone.
 */
enum pinrxe_hdr_type {
	PINRXE_HDR_BTH,
	PINRXE_HDR_RDETH,
	PINRXE_HDR_DETH,
	PINRXE_HDR_XRCETH,
	PINRXE_HDR_FETH,
	PINRXE_HDR_RETH,
	PINRXE_HDR_ATMETH,
	PINRXE_HDR_AETH,
	PINRXE_HDR_ATMACK,
	PINRXE_HDR_IMMDT,
	PINRXE_HDR_IETH,
	PINRXE_HDR_CNP,
	PINRXE_HDR_PAYLOAD,
	PINRXE_NUM_HDR_TYPES
};

/*
 * Opcode mask bits.  The low bits say which headers are present (one bit
 * per enum pinrxe_hdr_type); an opcode with immediate data has
 * PINRXE_IMMDT_MASK, one that invalidates an rkey has PINRXE_IETH_MASK.
 * The high bits say what the packet is:
 *
 * REQ        a request, handled by the responder
 * RESP       a response (ACK, read response, atomic ACK), handled by the
 *            completer
 * SEND, WRITE, READ (read request), READ_RESP, ACKNOWLEDGE (a plain ACK
 * or NAK), ATOMIC (compare-and-swap, fetch-and-add), ATOMIC_ACK,
 * ATOMIC_WRITE (an 8-byte write placed at once, IBA annex A19, answered
 * by an empty read response)
 * FIRST, MIDDLE, LAST  position in a message; an "only" packet has FIRST
 *            and LAST
 * RWR        consumes a receive WQE at the responder (first packet of a
 *            send, write with immediate)
 * COMP       completes that receive WQE (last packet of a send, write with
 *            immediate)
 * LOOPBACK   not in the table: set on a packet the device sent to itself
 */
#define PINRXE_BTH_MASK		BIT(PINRXE_HDR_BTH)
#define PINRXE_RDETH_MASK	BIT(PINRXE_HDR_RDETH)
#define PINRXE_DETH_MASK	BIT(PINRXE_HDR_DETH)
#define PINRXE_XRCETH_MASK	BIT(PINRXE_HDR_XRCETH)
#define PINRXE_FETH_MASK	BIT(PINRXE_HDR_FETH)
#define PINRXE_RETH_MASK	BIT(PINRXE_HDR_RETH)
#define PINRXE_ATMETH_MASK	BIT(PINRXE_HDR_ATMETH)
#define PINRXE_AETH_MASK	BIT(PINRXE_HDR_AETH)
#define PINRXE_ATMACK_MASK	BIT(PINRXE_HDR_ATMACK)
#define PINRXE_IMMDT_MASK	BIT(PINRXE_HDR_IMMDT)
#define PINRXE_IETH_MASK	BIT(PINRXE_HDR_IETH)
#define PINRXE_CNP_MASK		BIT(PINRXE_HDR_CNP)
#define PINRXE_PAYLOAD_MASK	BIT(PINRXE_HDR_PAYLOAD)

#define PINRXE_REQ_MASK		BIT(16)
#define PINRXE_RESP_MASK	BIT(17)
#define PINRXE_SEND_MASK	BIT(18)
#define PINRXE_WRITE_MASK	BIT(19)
#define PINRXE_READ_MASK	BIT(20)
#define PINRXE_READ_RESP_MASK	BIT(21)
#define PINRXE_ACKNOWLEDGE_MASK	BIT(22)
#define PINRXE_ATOMIC_MASK	BIT(23)
#define PINRXE_ATOMIC_ACK_MASK	BIT(24)
#define PINRXE_FIRST_MASK	BIT(25)
#define PINRXE_MIDDLE_MASK	BIT(26)
#define PINRXE_LAST_MASK	BIT(27)
#define PINRXE_RWR_MASK		BIT(28)
#define PINRXE_COMP_MASK	BIT(29)
#define PINRXE_LOOPBACK_MASK	BIT(30)
#define PINRXE_ATOMIC_WRITE_MASK	BIT(31)

#define PINRXE_ONLY_MASK	(PINRXE_FIRST_MASK | PINRXE_LAST_MASK)

/*
 * The XRC transport (IBA annex A14): RC's operations under the prefix
 * 101b, missing from <rdma/ib_pack.h>.  Requests carry an XRCETH after
 * the BTH; responses have RC's headers.
 */
#define PINRXE_OPCODE_XRC	0xa0

/* The RoCEv2 congestion notification packet (IBA annex A17.9.3). */
#define PINRXE_OPCODE_CNP	0x81
/* RD's resynchronisation request, missing from <rdma/ib_pack.h>. */
#define PINRXE_OPCODE_RD_RESYNC	(IB_OPCODE_RD + 0x15)

#define PINRXE_NUM_OPCODES	256

/**
 * struct pinrxe_opcode_info - what one BTH opcode means
 * @name: the opcode's IBA name ("RC_SEND_ONLY"); NULL for an opcode the
 *	IBA reserves, which is unknown to the driver
 * @mask: PINRXE_*_MASK bits: headers present and kind of packet
 * @supported: the driver handles this opcode; a known but unsupported
 *	opcode (RD, flush, CNP) is dropped on receive
 * @length: bytes from the start of the BTH to the payload
 * @offset: offset of each header present, from the start of the BTH
 */
struct pinrxe_opcode_info {
	const char *name;
	u32 mask;
	bool supported;
	u8 length;
	u8 offset[PINRXE_NUM_HDR_TYPES];
};

extern struct pinrxe_opcode_info pinrxe_opcode[PINRXE_NUM_OPCODES];

void pinrxe_opcode_init(void);

/**
 * pinrxe_opcode_transport() - the transport an opcode belongs to
 * @opcode: a BTH opcode
 *
 * Return: IB_OPCODE_RC, IB_OPCODE_UC, IB_OPCODE_RD, IB_OPCODE_UD,
 * IB_OPCODE_CNP, PINRXE_OPCODE_XRC or another value of the top three bits.
 */
static inline u8 pinrxe_opcode_transport(u8 opcode)
{
	return opcode & 0xe0;
}

#endif /* PINRXE_OPCODE_H */
