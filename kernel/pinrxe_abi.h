/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * The pinrxe user/kernel ABI, shared by the kernel module and the
 * libibverbs provider: everything both sides must agree on lives here.
 */
#ifndef PINRXE_ABI_H
#define PINRXE_ABI_H

#include <linux/types.h>

/*
 * The per-device uverbs ABI version (ib_device_ops.uverbs_abi_ver, shown
 * in /sys/class/infiniband_verbs/uverbsN/abi_version).  libibverbs loads
 * the provider only for devices whose version lies in the provider's
 * match range, so a provider and module that disagree on driver-private
 * data refuse each other instead of misreading it.  Bump on any change to
 * the structures below.  A new driver-private command or response that an
 * older provider never sends (input length 0 means "defaults") and that
 * the kernel writes only as far as the provider's buffer reaches does not
 * change them, and needs no bump.
 */
#define PINRXE_UVERBS_ABI_VERSION	1

/*
 * Rings shared by mmap (completion queues now; send, receive and shared
 * receive queues later).  A ring is one buffer: a struct pinrxe_ring_hdr,
 * then num_elems elements of elem_size bytes, both powers of two and fixed
 * for the ring's life.  The producer and consumer indices are free-running
 * 32-bit counters: element i lives in slot (i & (num_elems - 1)), the ring
 * holds (producer - consumer) elements (mod 2^32), 0 when empty and
 * num_elems when full, so no slot is wasted to tell full from empty.
 *
 * Each index is written by one side only: the producer by whoever fills
 * the ring (the kernel for a CQ), the consumer by whoever drains it (the
 * application for a CQ).  Writers publish an index with a release store
 * after the element writes (producer) or element reads (consumer) it
 * covers; readers load the other side's index with acquire before touching
 * the elements it covers.  The kernel keeps its own copy of the index it
 * writes, never reads it back from the ring, and treats the other index as
 * untrusted input.
 *
 * The two indices sit 128 bytes apart, on separate cache lines even for
 * CPUs that fetch lines in adjacent pairs, so the two sides do not bounce
 * one line between them.
 */
struct pinrxe_ring_hdr {
	__u32 producer;
	__u32 reserved0[31];
	__u32 consumer;
	__u32 reserved1[31];
};

/* Elements start here, after the header. */
#define PINRXE_RING_HDR_SIZE	256

/*
 * Where to map a ring: mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
 * cmd_fd, offset) on the uverbs command fd.  The kernel chooses both; the
 * mapping must be shared and cover exactly size bytes.
 */
struct pinrxe_mmap_info {
	__aligned_u64 offset;
	__aligned_u64 size;
};

/*
 * A completion queue entry, one 64-byte element of a CQ ring.  Status and
 * opcode carry the verbs values (enum ibv_wc_status and ibv_wc_opcode,
 * which equal the kernel's enum ib_wc_status and ib_wc_opcode); the flags
 * are this ABI's own, as the kernel's and libibverbs' IB_WC_ and IBV_WC_
 * flag values differ.  Reserved fields are written as zero.
 */
enum pinrxe_cqe_flags {
	PINRXE_CQE_GRH		= 1 << 0,	/* a GRH precedes the payload */
	PINRXE_CQE_WITH_IMM	= 1 << 1,	/* ex.imm_data is valid */
	PINRXE_CQE_WITH_INV	= 1 << 2,	/* ex.invalidate_rkey is valid */
	/*
	 * With PINRXE_CQE_GRH: the 40-byte GRH area holds an IPv4 header in
	 * its last 20 bytes (RoCEv2 over IPv4), else an IPv6 header.  A
	 * provider may ignore it: the header itself says the same.
	 */
	PINRXE_CQE_GRH_IPV4	= 1 << 3,
};

struct pinrxe_cqe {
	__aligned_u64 wr_id;
	__u32 status;
	__u32 opcode;
	__u32 vendor_err;
	__u32 byte_len;
	union {
		__be32 imm_data;	/* network byte order, as sent */
		__u32 invalidate_rkey;
	} ex;
	__u32 qp_num;
	__u32 src_qp;
	__u32 flags;			/* enum pinrxe_cqe_flags */
	__u16 pkey_index;
	__u16 slid;
	__u8 sl;
	__u8 dlid_path_bits;
	__u8 reserved0[2];
	__u32 reserved1[4];
};

/*
 * Driver-private responses to create_cq and resize_cq (after the core
 * responses, struct ib_uverbs_create_cq_resp and ib_uverbs_resize_cq_resp).
 * num_cqe is the ring's element count, the CQ's actual depth, also
 * reported as the core response's cqe.  After a resize the old ring is
 * dead: the application maps the new one, whose header and leading
 * elements carry the completions it had not yet polled.
 */
struct pinrxe_create_cq_resp {
	struct pinrxe_mmap_info mi;
	__u32 num_cqe;
	__u32 reserved;
};

struct pinrxe_resize_cq_resp {
	struct pinrxe_mmap_info mi;
	__u32 num_cqe;
	__u32 reserved;
};

/*
 * Work queues.  Send, receive and shared receive queues are rings as above
 * that the application produces and the kernel consumes.  The kernel copies
 * each element out of the ring before it looks at it and validates the copy
 * (opcode, flags, SGE count, lengths): what the application writes to the
 * ring afterwards cannot change what the kernel acts on.
 */
struct pinrxe_sge {
	__aligned_u64 addr;
	__u32 length;
	__u32 lkey;
};

/* Send flags: the verbs values (IBV_SEND_*, equal to the kernel's IB_SEND_*). */
enum pinrxe_send_flags {
	PINRXE_SEND_FENCE	= 1 << 0,
	PINRXE_SEND_SIGNALED	= 1 << 1,
	PINRXE_SEND_SOLICITED	= 1 << 2,
	PINRXE_SEND_INLINE	= 1 << 3,
};

/*
 * A send work request.  opcode is enum ib_uverbs_wr_opcode (equal to
 * enum ibv_wr_opcode).  num_sge SGEs follow the fixed part, or, with
 * PINRXE_SEND_INLINE, inline_len bytes of data in the same place.  An
 * ATOMIC_WRITE has neither: its 8 bytes are wr.atomic.swap, in memory
 * order, its target wr.atomic.remote_addr (8-byte aligned) and rkey.  UD work
 * requests name their address handle by the ah_num the kernel returned
 * when it was created, never by address: the kernel builds the packet
 * headers from its own copy of the address.  Work requests of an XRC
 * initiator QP name the XRC SRQ at the responder in xrc_srqn (24 bits).
 */
struct pinrxe_send_wqe {
	__aligned_u64 wr_id;
	__u32 opcode;
	__u32 send_flags;		/* enum pinrxe_send_flags */
	union {
		__be32 imm_data;	/* network byte order, as sent */
		__u32 invalidate_rkey;
	} ex;
	__u32 num_sge;
	__u32 inline_len;
	__u32 xrc_srqn;			/* XRC initiator QPs; else 0 */
	union {
		struct {
			__aligned_u64 remote_addr;
			__u32 rkey;
			__u32 reserved;
		} rdma;
		struct {
			__aligned_u64 remote_addr;
			__aligned_u64 compare_add;
			__aligned_u64 swap;
			__u32 rkey;
			__u32 reserved;
		} atomic;
		struct {
			__u32 ah_num;
			__u32 remote_qpn;
			__u32 remote_qkey;
			__u32 pkey_index;	/* GSI QPs only; else 0 */
		} ud;
		struct {
			__aligned_u64 addr;
			__aligned_u64 length;
			__u32 mw_rkey;		/* the MW to bind: its rkey now */
			__u32 rkey;		/* the MW's rkey once bound */
			__u32 mr_lkey;		/* the MR it is bound to */
			__u32 access;		/* IB_ACCESS_* */
		} bind_mw;
		/*
		 * IB_WR_REG_MR, which only kernel consumers post (to kernel
		 * QPs, whose rings userspace never sees): register the
		 * fast-registration MR named by key's index with the pages
		 * its map_mr_sg staged.
		 */
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__u32 key;		/* the MR's new lkey and rkey */
			__u32 access;		/* IB_ACCESS_* */
		} reg;
	} wr;
	struct pinrxe_sge sge[];	/* or inline data */
};

/* A receive work request; num_sge SGEs follow. */
struct pinrxe_recv_wqe {
	__aligned_u64 wr_id;
	__u32 num_sge;
	__u32 reserved;
	struct pinrxe_sge sge[];
};

/*
 * Driver-private create_qp response.  Element counts and sizes are the
 * kernel's choice (powers of two, at least what was asked for); the
 * receive ring is absent (size 0) when the QP takes receives from an SRQ.
 * Posting is: write the element, release-store the producer index, then
 * for sends ring the doorbell, a post_send command with no work requests.
 */
struct pinrxe_create_qp_resp {
	struct pinrxe_mmap_info sq_mi;
	struct pinrxe_mmap_info rq_mi;
	__u32 sq_num_wqe;
	__u32 sq_wqe_size;
	__u32 rq_num_wqe;
	__u32 rq_wqe_size;
};

/*
 * srq_num is the SRQ's number, which for an XRC SRQ is the one XRC work
 * requests name (the core response carries it too, as srqn).
 */
struct pinrxe_create_srq_resp {
	struct pinrxe_mmap_info mi;
	__u32 num_wqe;
	__u32 wqe_size;
	__u32 srq_num;
	__u32 reserved;
};

/* Driver-private create_ah response: the number UD work requests use. */
struct pinrxe_create_ah_resp {
	__u32 ah_num;
	__u32 reserved;
};

/*
 * Driver-private reg_mr command and response (after the core ones, struct
 * ib_uverbs_reg_mr and ib_uverbs_reg_mr_resp).  Both are optional: a
 * provider that sends no command gets the module's default (its
 * odp_fallback parameter), and one that asks for no response gets none.
 *
 * A pinned registration that fails because RLIMIT_MEMLOCK would be
 * exceeded, or because the kernel refuses the long-term pin (a writable
 * pin of a file mapping that needs dirty tracking, e.g. MAP_SHARED on
 * ext4; a DAX mapping), may become an on-demand paging (ODP) one instead,
 * which pins nothing: with PINRXE_REG_MR_FALLBACK_ODP, or by default when
 * the module parameter odp_fallback is set.  PINRXE_REG_MR_NO_FALLBACK
 * forbids it whatever the default; both together are invalid.  Any other
 * failure (an unmapped range among them) never falls back.  reserved and
 * any bytes past the command must be zero; unknown flags fail with
 * EOPNOTSUPP.
 */
enum pinrxe_reg_mr_flags {
	PINRXE_REG_MR_FALLBACK_ODP	= 1 << 0,
	PINRXE_REG_MR_NO_FALLBACK	= 1 << 1,
};

struct pinrxe_reg_mr_cmd {
	__u32 flags;			/* enum pinrxe_reg_mr_flags */
	__u32 reserved;
};

/* How the MR maps its memory; 0 is never a mode, so "not reported". */
enum pinrxe_mr_mode {
	PINRXE_MR_MODE_PINNED		= 1,	/* long-term pins */
	PINRXE_MR_MODE_ODP		= 2,	/* on-demand paging, a range */
	PINRXE_MR_MODE_ODP_IMPLICIT	= 3,	/* ODP, the whole address space */
};

/* Why an MR is ODP though it was asked to be pinned. */
enum pinrxe_mr_fallback {
	PINRXE_MR_FALLBACK_NONE		= 0,
	PINRXE_MR_FALLBACK_MEMLOCK	= 1,	/* RLIMIT_MEMLOCK */
	PINRXE_MR_FALLBACK_PIN_REFUSED	= 2,	/* long-term pin refused */
};

/*
 * pin_errno is the (positive) errno the pinned attempt failed with
 * (ENOMEM for the memlock limit, what pin_user_pages_fast() said for a
 * refused pin), 0 without a fallback.  Only __u32 fields: the response
 * follows the 12-byte struct ib_uverbs_reg_mr_resp without padding.
 */
struct pinrxe_reg_mr_resp {
	__u32 mode;			/* enum pinrxe_mr_mode */
	__u32 fallback;			/* enum pinrxe_mr_fallback */
	__u32 pin_errno;
	__u32 reserved;
};

#endif /* PINRXE_ABI_H */
