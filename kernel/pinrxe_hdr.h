/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * InfiniBand transport headers as RoCEv2 carries them after the UDP header
 * (IBA vol. 1 9.2-9.5, annex A17), with accessors that read and write the
 * fields in place, in network byte order, in the packet a struct
 * pinrxe_pkt_info describes.
 *
 * The extension header accessors find their header through the opcode
 * table, so a header is only there when the packet's mask has its bit:
 * callers check the mask, or know the opcode they built.  All fields are
 * read with unaligned accessors: headers start at multiples of four bytes
 * from the BTH but 64-bit fields need not be 8-byte aligned.
 */
#ifndef PINRXE_HDR_H
#define PINRXE_HDR_H

#include <linux/build_bug.h>
#include <linux/types.h>
#include <linux/unaligned.h>

#include "pinrxe_opcode.h"
#include "pinrxe_pkt.h"

/**
 * struct pinrxe_bth - base transport header
 * @opcode: transport (top 3 bits) and operation
 * @flags: solicited event, migration request, pad count, transport version
 * @pkey: partition key
 * @qpn: reserved byte (FECN/BECN in IBA, masked from the ICRC) and the
 *	24-bit destination QP
 * @apsn: AckReq bit, 7 reserved bits and the 24-bit PSN
 */
struct pinrxe_bth {
	u8 opcode;
	u8 flags;
	__be16 pkey;
	__be32 qpn;
	__be32 apsn;
};

#define PINRXE_BTH_SE		0x80
#define PINRXE_BTH_MIG		0x40
#define PINRXE_BTH_PAD		0x30
#define PINRXE_BTH_PAD_SHIFT	4
#define PINRXE_BTH_TVER		0x0f
#define PINRXE_BTH_FECN		0x80000000
#define PINRXE_BTH_BECN		0x40000000
#define PINRXE_BTH_QPN		0x00ffffff
#define PINRXE_BTH_ACKREQ	0x80000000
#define PINRXE_BTH_PSN		0x00ffffff

/* The only transport header version the IBA defines. */
#define PINRXE_TVER		0
#define PINRXE_DEFAULT_PKEY_FULL	0xffff
/* The destination QP of a multicast packet. */
#define PINRXE_MULTICAST_QPN	0xffffff

/**
 * struct pinrxe_reth - RDMA extended transport header
 * @va: remote virtual address
 * @rkey: remote key
 * @len: DMA length of the whole message
 */
struct pinrxe_reth {
	__be64 va;
	__be32 rkey;
	__be32 len;
} __packed;

/**
 * struct pinrxe_aeth - ACK extended transport header
 * @smsn: syndrome (top byte) and the 24-bit message sequence number
 */
struct pinrxe_aeth {
	__be32 smsn;
};

#define PINRXE_AETH_MSN		0x00ffffff
#define PINRXE_AETH_SYN_SHIFT	24
/* Syndrome: bits 6-5 say what it is, bits 4-0 carry the value. */
#define PINRXE_AETH_TYPE	0x60
#define PINRXE_AETH_ACK		0x00	/* value: credit count */
#define PINRXE_AETH_RNR_NAK	0x20	/* value: RNR timer */
#define PINRXE_AETH_NAK		0x60	/* value: enum pinrxe_aeth_nak */
#define PINRXE_AETH_VALUE	0x1f
#define PINRXE_AETH_NO_CREDIT	0x1f	/* ACK with an invalid credit count */

/**
 * enum pinrxe_aeth_nak - NAK codes in the AETH syndrome value
 * @PINRXE_NAK_PSN_SEQ_ERR: PSN sequence error
 * @PINRXE_NAK_INVALID_REQ: invalid request
 * @PINRXE_NAK_REM_ACCESS_ERR: remote access error
 * @PINRXE_NAK_REM_OP_ERR: remote operational error
 * @PINRXE_NAK_INVALID_RD_REQ: invalid RD request
 */
enum pinrxe_aeth_nak {
	PINRXE_NAK_PSN_SEQ_ERR = 0,
	PINRXE_NAK_INVALID_REQ = 1,
	PINRXE_NAK_REM_ACCESS_ERR = 2,
	PINRXE_NAK_REM_OP_ERR = 3,
	PINRXE_NAK_INVALID_RD_REQ = 4,
};

/**
 * struct pinrxe_atmeth - atomic extended transport header
 * @va: remote virtual address, 8-byte aligned
 * @rkey: remote key
 * @swap_add: swap value (compare-and-swap) or addend (fetch-and-add)
 * @compare: compare value (compare-and-swap)
 */
struct pinrxe_atmeth {
	__be64 va;
	__be32 rkey;
	__be64 swap_add;
	__be64 compare;
} __packed;

/**
 * struct pinrxe_atmack - atomic ACK extended transport header
 * @orig: the original remote value
 */
struct pinrxe_atmack {
	__be64 orig;
} __packed;

/**
 * struct pinrxe_immdt - immediate data
 * @imm: the data, opaque: verbs keep it in network order too
 */
struct pinrxe_immdt {
	__be32 imm;
};

/**
 * struct pinrxe_ieth - invalidate extended transport header
 * @rkey: the remote key to invalidate
 */
struct pinrxe_ieth {
	__be32 rkey;
};

/**
 * struct pinrxe_deth - datagram extended transport header
 * @qkey: queue key
 * @sqp: reserved byte and the 24-bit source QP
 */
struct pinrxe_deth {
	__be32 qkey;
	__be32 sqp;
};

#define PINRXE_DETH_SQP		0x00ffffff
/* The well-known Q_Key of the GSI QP (QP1). */
#define PINRXE_GSI_QKEY		0x80010000

/**
 * struct pinrxe_rdeth - reliable datagram extended transport header
 * @een: reserved byte and the 24-bit EE context
 */
struct pinrxe_rdeth {
	__be32 een;
};

/**
 * struct pinrxe_xrceth - XRC extended transport header
 * @srqn: reserved byte and the 24-bit number of the XRC SRQ at the
 *	responder that the request is for
 */
struct pinrxe_xrceth {
	__be32 srqn;
};

#define PINRXE_XRCETH_SRQN	0x00ffffff

/**
 * struct pinrxe_feth - flush extended transport header
 * @bits: placement type and selectivity level
 */
struct pinrxe_feth {
	__be32 bits;
};

enum {
	PINRXE_BTH_BYTES = sizeof(struct pinrxe_bth),
	PINRXE_RETH_BYTES = sizeof(struct pinrxe_reth),
	PINRXE_AETH_BYTES = sizeof(struct pinrxe_aeth),
	PINRXE_ATMETH_BYTES = sizeof(struct pinrxe_atmeth),
	PINRXE_ATMACK_BYTES = sizeof(struct pinrxe_atmack),
	PINRXE_IMMDT_BYTES = sizeof(struct pinrxe_immdt),
	PINRXE_IETH_BYTES = sizeof(struct pinrxe_ieth),
	PINRXE_DETH_BYTES = sizeof(struct pinrxe_deth),
	PINRXE_RDETH_BYTES = sizeof(struct pinrxe_rdeth),
	PINRXE_FETH_BYTES = sizeof(struct pinrxe_feth),
	PINRXE_XRCETH_BYTES = sizeof(struct pinrxe_xrceth),
	PINRXE_CNP_BYTES = 16,
};

/* The sizes IBA vol. 1 9.2-9.3 gives; a wrong struct breaks the wire. */
static_assert(PINRXE_BTH_BYTES == 12);
static_assert(PINRXE_RETH_BYTES == 16);
static_assert(PINRXE_AETH_BYTES == 4);
static_assert(PINRXE_ATMETH_BYTES == 28);
static_assert(PINRXE_ATMACK_BYTES == 8);
static_assert(PINRXE_IMMDT_BYTES == 4);
static_assert(PINRXE_IETH_BYTES == 4);
static_assert(PINRXE_DETH_BYTES == 8);
static_assert(PINRXE_RDETH_BYTES == 4);
static_assert(PINRXE_FETH_BYTES == 4);
static_assert(PINRXE_XRCETH_BYTES == 4);

static inline struct pinrxe_bth *pinrxe_bth(const struct pinrxe_pkt_info *pkt)
{
	return (struct pinrxe_bth *)pkt->hdr;
}

/* An extension header of the packet's opcode; only valid if in its mask. */
static inline void *pinrxe_ext_hdr(const struct pinrxe_pkt_info *pkt,
				   enum pinrxe_hdr_type type)
{
	return pkt->hdr + pinrxe_opcode[pkt->opcode].offset[type];
}

/* Read-modify-write of some bits of a big-endian 32-bit field. */
static inline void pinrxe_set_be32_bits(__be32 *field, u32 mask, u32 val)
{
	u32 v = get_unaligned_be32(field);

	put_unaligned_be32((v & ~mask) | (val & mask), field);
}

/* BTH */

static inline u8 pinrxe_bth_opcode(const struct pinrxe_pkt_info *pkt)
{
	return pinrxe_bth(pkt)->opcode;
}

static inline void pinrxe_bth_set_opcode(struct pinrxe_pkt_info *pkt,
					 u8 opcode)
{
	pinrxe_bth(pkt)->opcode = opcode;
}

static inline bool pinrxe_bth_se(const struct pinrxe_pkt_info *pkt)
{
	return pinrxe_bth(pkt)->flags & PINRXE_BTH_SE;
}

static inline void pinrxe_bth_set_se(struct pinrxe_pkt_info *pkt, bool se)
{
	struct pinrxe_bth *bth = pinrxe_bth(pkt);

	bth->flags = (bth->flags & ~PINRXE_BTH_SE) | (se ? PINRXE_BTH_SE : 0);
}

static inline bool pinrxe_bth_mig(const struct pinrxe_pkt_info *pkt)
{
	return pinrxe_bth(pkt)->flags & PINRXE_BTH_MIG;
}

static inline void pinrxe_bth_set_mig(struct pinrxe_pkt_info *pkt, bool mig)
{
	struct pinrxe_bth *bth = pinrxe_bth(pkt);

	bth->flags = (bth->flags & ~PINRXE_BTH_MIG) |
		     (mig ? PINRXE_BTH_MIG : 0);
}

static inline u8 pinrxe_bth_pad(const struct pinrxe_pkt_info *pkt)
{
	return (pinrxe_bth(pkt)->flags & PINRXE_BTH_PAD) >>
	       PINRXE_BTH_PAD_SHIFT;
}

static inline void pinrxe_bth_set_pad(struct pinrxe_pkt_info *pkt, u8 pad)
{
	struct pinrxe_bth *bth = pinrxe_bth(pkt);

	bth->flags = (bth->flags & ~PINRXE_BTH_PAD) |
		     ((pad << PINRXE_BTH_PAD_SHIFT) & PINRXE_BTH_PAD);
}

static inline u8 pinrxe_bth_tver(const struct pinrxe_pkt_info *pkt)
{
	return pinrxe_bth(pkt)->flags & PINRXE_BTH_TVER;
}

static inline void pinrxe_bth_set_tver(struct pinrxe_pkt_info *pkt, u8 tver)
{
	struct pinrxe_bth *bth = pinrxe_bth(pkt);

	bth->flags = (bth->flags & ~PINRXE_BTH_TVER) |
		     (tver & PINRXE_BTH_TVER);
}

static inline u16 pinrxe_bth_pkey(const struct pinrxe_pkt_info *pkt)
{
	return get_unaligned_be16(&pinrxe_bth(pkt)->pkey);
}

static inline void pinrxe_bth_set_pkey(struct pinrxe_pkt_info *pkt, u16 pkey)
{
	put_unaligned_be16(pkey, &pinrxe_bth(pkt)->pkey);
}

static inline u32 pinrxe_bth_qpn(const struct pinrxe_pkt_info *pkt)
{
	return get_unaligned_be32(&pinrxe_bth(pkt)->qpn) & PINRXE_BTH_QPN;
}

static inline void pinrxe_bth_set_qpn(struct pinrxe_pkt_info *pkt, u32 qpn)
{
	pinrxe_set_be32_bits(&pinrxe_bth(pkt)->qpn, PINRXE_BTH_QPN, qpn);
}

static inline bool pinrxe_bth_fecn(const struct pinrxe_pkt_info *pkt)
{
	return get_unaligned_be32(&pinrxe_bth(pkt)->qpn) & PINRXE_BTH_FECN;
}

static inline void pinrxe_bth_set_fecn(struct pinrxe_pkt_info *pkt, bool fecn)
{
	pinrxe_set_be32_bits(&pinrxe_bth(pkt)->qpn, PINRXE_BTH_FECN,
			     fecn ? PINRXE_BTH_FECN : 0);
}

static inline bool pinrxe_bth_becn(const struct pinrxe_pkt_info *pkt)
{
	return get_unaligned_be32(&pinrxe_bth(pkt)->qpn) & PINRXE_BTH_BECN;
}

static inline void pinrxe_bth_set_becn(struct pinrxe_pkt_info *pkt, bool becn)
{
	pinrxe_set_be32_bits(&pinrxe_bth(pkt)->qpn, PINRXE_BTH_BECN,
			     becn ? PINRXE_BTH_BECN : 0);
}

static inline bool pinrxe_bth_ackreq(const struct pinrxe_pkt_info *pkt)
{
	return get_unaligned_be32(&pinrxe_bth(pkt)->apsn) & PINRXE_BTH_ACKREQ;
}

static inline void pinrxe_bth_set_ackreq(struct pinrxe_pkt_info *pkt,
					 bool ackreq)
{
	pinrxe_set_be32_bits(&pinrxe_bth(pkt)->apsn, PINRXE_BTH_ACKREQ,
			     ackreq ? PINRXE_BTH_ACKREQ : 0);
}

static inline u32 pinrxe_bth_psn(const struct pinrxe_pkt_info *pkt)
{
	return get_unaligned_be32(&pinrxe_bth(pkt)->apsn) & PINRXE_BTH_PSN;
}

static inline void pinrxe_bth_set_psn(struct pinrxe_pkt_info *pkt, u32 psn)
{
	pinrxe_set_be32_bits(&pinrxe_bth(pkt)->apsn, PINRXE_BTH_PSN, psn);
}

/**
 * pinrxe_bth_init() - write a whole BTH
 * @pkt: the packet; its opcode and pad count are kept
 * @se: solicited event
 * @mig: migration state
 * @pkey: partition key
 * @qpn: destination QP
 * @ackreq: ask the responder for an ACK
 * @psn: packet sequence number
 *
 * The transport version is 0 and the reserved bits are zero, as the IBA
 * requires of a sender.
 */
static inline void pinrxe_bth_init(struct pinrxe_pkt_info *pkt, bool se,
				   bool mig, u16 pkey, u32 qpn, bool ackreq,
				   u32 psn)
{
	struct pinrxe_bth *bth = pinrxe_bth(pkt);

	bth->flags = (bth->flags & PINRXE_BTH_PAD) |
		     (se ? PINRXE_BTH_SE : 0) | (mig ? PINRXE_BTH_MIG : 0) |
		     PINRXE_TVER;
	put_unaligned_be16(pkey, &bth->pkey);
	put_unaligned_be32(qpn & PINRXE_BTH_QPN, &bth->qpn);
	put_unaligned_be32((ackreq ? PINRXE_BTH_ACKREQ : 0) |
			   (psn & PINRXE_BTH_PSN), &bth->apsn);
}

/* RETH */

static inline struct pinrxe_reth *pinrxe_reth(const struct pinrxe_pkt_info *pkt)
{
	return pinrxe_ext_hdr(pkt, PINRXE_HDR_RETH);
}

static inline u64 pinrxe_reth_va(const struct pinrxe_pkt_info *pkt)
{
	return get_unaligned_be64(&pinrxe_reth(pkt)->va);
}

static inline void pinrxe_reth_set_va(struct pinrxe_pkt_info *pkt, u64 va)
{
	put_unaligned_be64(va, &pinrxe_reth(pkt)->va);
}

static inline u32 pinrxe_reth_rkey(const struct pinrxe_pkt_info *pkt)
{
	return get_unaligned_be32(&pinrxe_reth(pkt)->rkey);
}

static inline void pinrxe_reth_set_rkey(struct pinrxe_pkt_info *pkt, u32 rkey)
{
	put_unaligned_be32(rkey, &pinrxe_reth(pkt)->rkey);
}

static inline u32 pinrxe_reth_len(const struct pinrxe_pkt_info *pkt)
{
	return get_unaligned_be32(&pinrxe_reth(pkt)->len);
}

static inline void pinrxe_reth_set_len(struct pinrxe_pkt_info *pkt, u32 len)
{
	put_unaligned_be32(len, &pinrxe_reth(pkt)->len);
}

/* AETH */

static inline struct pinrxe_aeth *pinrxe_aeth(const struct pinrxe_pkt_info *pkt)
{
	return pinrxe_ext_hdr(pkt, PINRXE_HDR_AETH);
}

static inline u8 pinrxe_aeth_syn(const struct pinrxe_pkt_info *pkt)
{
	return get_unaligned_be32(&pinrxe_aeth(pkt)->smsn) >>
	       PINRXE_AETH_SYN_SHIFT;
}

static inline void pinrxe_aeth_set_syn(struct pinrxe_pkt_info *pkt, u8 syn)
{
	pinrxe_set_be32_bits(&pinrxe_aeth(pkt)->smsn, ~PINRXE_AETH_MSN,
			     (u32)syn << PINRXE_AETH_SYN_SHIFT);
}

static inline u32 pinrxe_aeth_msn(const struct pinrxe_pkt_info *pkt)
{
	return get_unaligned_be32(&pinrxe_aeth(pkt)->smsn) & PINRXE_AETH_MSN;
}

static inline void pinrxe_aeth_set_msn(struct pinrxe_pkt_info *pkt, u32 msn)
{
	pinrxe_set_be32_bits(&pinrxe_aeth(pkt)->smsn, PINRXE_AETH_MSN, msn);
}

/* AtomicETH */

static inline struct pinrxe_atmeth *
pinrxe_atmeth(const struct pinrxe_pkt_info *pkt)
{
	return pinrxe_ext_hdr(pkt, PINRXE_HDR_ATMETH);
}

static inline u64 pinrxe_atmeth_va(const struct pinrxe_pkt_info *pkt)
{
	return get_unaligned_be64(&pinrxe_atmeth(pkt)->va);
}

static inline void pinrxe_atmeth_set_va(struct pinrxe_pkt_info *pkt, u64 va)
{
	put_unaligned_be64(va, &pinrxe_atmeth(pkt)->va);
}

static inline u32 pinrxe_atmeth_rkey(const struct pinrxe_pkt_info *pkt)
{
	return get_unaligned_be32(&pinrxe_atmeth(pkt)->rkey);
}

static inline void pinrxe_atmeth_set_rkey(struct pinrxe_pkt_info *pkt,
					  u32 rkey)
{
	put_unaligned_be32(rkey, &pinrxe_atmeth(pkt)->rkey);
}

static inline u64 pinrxe_atmeth_swap_add(const struct pinrxe_pkt_info *pkt)
{
	return get_unaligned_be64(&pinrxe_atmeth(pkt)->swap_add);
}

static inline void pinrxe_atmeth_set_swap_add(struct pinrxe_pkt_info *pkt,
					      u64 swap_add)
{
	put_unaligned_be64(swap_add, &pinrxe_atmeth(pkt)->swap_add);
}

static inline u64 pinrxe_atmeth_compare(const struct pinrxe_pkt_info *pkt)
{
	return get_unaligned_be64(&pinrxe_atmeth(pkt)->compare);
}

static inline void pinrxe_atmeth_set_compare(struct pinrxe_pkt_info *pkt,
					     u64 compare)
{
	put_unaligned_be64(compare, &pinrxe_atmeth(pkt)->compare);
}

/* AtomicAckETH */

static inline u64 pinrxe_atmack_orig(const struct pinrxe_pkt_info *pkt)
{
	struct pinrxe_atmack *ack = pinrxe_ext_hdr(pkt, PINRXE_HDR_ATMACK);

	return get_unaligned_be64(&ack->orig);
}

static inline void pinrxe_atmack_set_orig(struct pinrxe_pkt_info *pkt,
					  u64 orig)
{
	struct pinrxe_atmack *ack = pinrxe_ext_hdr(pkt, PINRXE_HDR_ATMACK);

	put_unaligned_be64(orig, &ack->orig);
}

/* ImmDt: kept in network order, as struct ib_wc and ib_send_wr carry it. */

static inline __be32 pinrxe_immdt_imm(const struct pinrxe_pkt_info *pkt)
{
	struct pinrxe_immdt *immdt = pinrxe_ext_hdr(pkt, PINRXE_HDR_IMMDT);

	return get_unaligned(&immdt->imm);
}

static inline void pinrxe_immdt_set_imm(struct pinrxe_pkt_info *pkt,
					__be32 imm)
{
	struct pinrxe_immdt *immdt = pinrxe_ext_hdr(pkt, PINRXE_HDR_IMMDT);

	put_unaligned(imm, &immdt->imm);
}

/* IETH */

static inline u32 pinrxe_ieth_rkey(const struct pinrxe_pkt_info *pkt)
{
	struct pinrxe_ieth *ieth = pinrxe_ext_hdr(pkt, PINRXE_HDR_IETH);

	return get_unaligned_be32(&ieth->rkey);
}

static inline void pinrxe_ieth_set_rkey(struct pinrxe_pkt_info *pkt, u32 rkey)
{
	struct pinrxe_ieth *ieth = pinrxe_ext_hdr(pkt, PINRXE_HDR_IETH);

	put_unaligned_be32(rkey, &ieth->rkey);
}

/* DETH */

static inline struct pinrxe_deth *pinrxe_deth(const struct pinrxe_pkt_info *pkt)
{
	return pinrxe_ext_hdr(pkt, PINRXE_HDR_DETH);
}

static inline u32 pinrxe_deth_qkey(const struct pinrxe_pkt_info *pkt)
{
	return get_unaligned_be32(&pinrxe_deth(pkt)->qkey);
}

static inline void pinrxe_deth_set_qkey(struct pinrxe_pkt_info *pkt, u32 qkey)
{
	put_unaligned_be32(qkey, &pinrxe_deth(pkt)->qkey);
}

static inline u32 pinrxe_deth_sqp(const struct pinrxe_pkt_info *pkt)
{
	return get_unaligned_be32(&pinrxe_deth(pkt)->sqp) & PINRXE_DETH_SQP;
}

static inline void pinrxe_deth_set_sqp(struct pinrxe_pkt_info *pkt, u32 sqp)
{
	/* The reserved top byte goes out as zero. */
	put_unaligned_be32(sqp & PINRXE_DETH_SQP, &pinrxe_deth(pkt)->sqp);
}

/* XRCETH */

static inline u32 pinrxe_xrceth_srqn(const struct pinrxe_pkt_info *pkt)
{
	struct pinrxe_xrceth *x = pinrxe_ext_hdr(pkt, PINRXE_HDR_XRCETH);

	return get_unaligned_be32(&x->srqn) & PINRXE_XRCETH_SRQN;
}

static inline void pinrxe_xrceth_set_srqn(struct pinrxe_pkt_info *pkt,
					  u32 srqn)
{
	struct pinrxe_xrceth *x = pinrxe_ext_hdr(pkt, PINRXE_HDR_XRCETH);

	/* The reserved top byte goes out as zero. */
	put_unaligned_be32(srqn & PINRXE_XRCETH_SRQN, &x->srqn);
}

/* The payload, between the headers and the pad. */

static inline unsigned int pinrxe_pkt_hdr_len(const struct pinrxe_pkt_info *pkt)
{
	return pinrxe_opcode[pkt->opcode].length;
}

static inline u8 *pinrxe_pkt_payload(const struct pinrxe_pkt_info *pkt)
{
	return pkt->hdr + pinrxe_opcode[pkt->opcode].offset[PINRXE_HDR_PAYLOAD];
}

/* Only for a validated or fully built packet: no underflow check here. */
static inline unsigned int
pinrxe_pkt_payload_len(const struct pinrxe_pkt_info *pkt)
{
	return pkt->paylen - pinrxe_pkt_hdr_len(pkt) - pinrxe_bth_pad(pkt) -
	       PINRXE_ICRC_BYTES;
}

#endif /* PINRXE_HDR_H */
