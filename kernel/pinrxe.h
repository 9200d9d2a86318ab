/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pinrxe: a soft-RoCE verbs device whose memory registration follows the
 * FOLL_PIN rules for long-term DMA pins.  This is the driver's one local
 * header: objects, limits and the functions each stage exports to the others.
 */
#ifndef PINRXE_H
#define PINRXE_H

#include <linux/list.h>
#include <linux/netdevice.h>
#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/completion.h>
#include <linux/refcount.h>
#include <linux/skbuff.h>
#include <linux/timer.h>
#include <linux/uio.h>
#include <rdma/ib_verbs.h>

#include "pinrxe_abi.h"
#include "pinrxe_pkt.h"
#include "pinrxe_counters.h"

#define PINRXE_LINK_TYPE	"pinrxe"

#define PINRXE_VENDOR_ID	0xFFFFFF
#define PINRXE_VENDOR_PART_ID	0x7078	/* "px" */
#define PINRXE_HW_VER		1
#define PINRXE_FW_MAJOR		0
#define PINRXE_FW_MINOR		1

#define PINRXE_PORT		1
#define PINRXE_MAX_PD		0x10000
#define PINRXE_MAX_CQ		0x4000
#define PINRXE_MAX_CQE		0x10000	/* a power of two: no rounding past it */
#define PINRXE_MAX_MR		0x40000	/* key index: lkey >> 8, 24 bits */
#define PINRXE_MAX_MW		0x10000	/* MWs share the MRs' key indices */
#define PINRXE_GID_TBL_LEN	1024
#define PINRXE_PKEY_TBL_LEN	1
#define PINRXE_DEFAULT_PKEY	0xffff
#define PINRXE_MAX_MSG_SZ	0x80000000u
#define PINRXE_MAX_QP		0x4000
#define PINRXE_MIN_QPN		2	/* 0 and 1 name the SMI and GSI QPs */
#define PINRXE_MAX_QPN		0xffffff	/* 24-bit QPNs */
#define PINRXE_MAX_QP_WR	0x4000	/* a power of two: no rounding past it */
#define PINRXE_MAX_SGE		32
#define PINRXE_MAX_INLINE	512
/* As rdma_rxe: perftest sets a peer's limit as its own. */
#define PINRXE_MAX_RD_ATOMIC	128
/*
 * Read response bytes a requester lets be on their way: a read starts only
 * while the reads outstanding ask for less than this, and one always may.
 * The responder answers a read at once, so whatever is asked for piles up
 * as packets at the requester: max_rd_atomic reads of 1 MiB are 128 MiB of
 * skbs.  A queue that long takes seconds to drain at a soft device's
 * speed; a retransmission (after one stall) re-asks for all of it, and
 * the duplicates queue in front of new responses for longer than the
 * transport timer, which fires again: a retry storm that ends the QP.
 * 2 MiB keeps a pipeline of reads going, drains in well under the IBA
 * timeouts applications use, and is what is left behind when a QP goes.
 */
#define PINRXE_MAX_READ_INFLIGHT	(2u << 20)
#define PINRXE_MAX_SRQ		0x1000
#define PINRXE_MAX_SRQ_WR	0x4000	/* a power of two, as above */
#define PINRXE_MAX_SRQN		0xffffff	/* 24 bits, as the XRCETH */
#define PINRXE_MAX_AH		0x8000
#define PINRXE_GSI_QPN		1
/* Pages one fast-registration MR can map, as rdma_rxe. */
#define PINRXE_MAX_FR_PAGES	512
/* As rdma_rxe: ib_cm derives its timeouts from it. */
#define PINRXE_LOCAL_CA_ACK_DELAY	15

/**
 * struct pinrxe_dev - one pinrxe device, bound to one Ethernet netdev
 * @ib_dev: the core device; must stay first for ib_alloc_device()
 * @list: entry in the module's device list, for lookup by netdev and unload
 * @ndev: the bound netdev, held until dealloc_driver so that queries made
 *	while a netdev removal is unregistering the device stay safe
 * @ndev_tracker: reference tracker for @ndev
 * @port_state: last port state reported to ib_core; changed under RTNL only
 * @num_pd: protection domains in use, bounded by attr.max_pd
 * @num_cq: completion queues in use, bounded by attr.max_cq
 * @mr_xa: memory regions and windows by key index (key >> 8), for O(1)
 *	key lookup; windows are stored tagged %PINRXE_XA_MW and are looked
 *	up, bound and invalidated under the array's lock (pinrxe_mw.c),
 *	taken with bottom halves off as the data path runs in softirq too
 * @mr_next: cursor for cyclic index allocation, so a stale key is not
 *	reused at once
 * @num_mr: memory regions in use, kernel ones included, bounded by
 *	attr.max_mr
 * @num_mw: memory windows in use, bounded by attr.max_mw
 * @pinned_pages: pages pinned by this device's MRs right now
 * @odp_mrs: on-demand paging MRs alive, each with its mmu interval
 *	notifiers registered; zero once every one is released
 * @num_qp: queue pairs in use, bounded by attr.max_qp
 * @qp_serial: numbers QPs over the device's life, never reused (unlike
 *	QPNs and QP memory), so a type 2 window can name the QP it is bound
 *	through without holding it
 * @qp_xa: queue pairs by QPN, for lookups on packet receive; its lock is
 *	taken with interrupts off, as lookups come from softirq context
 * @qp_next: cursor for cyclic QPN allocation, so a QPN is not reused at
 *	once and late packets for a destroyed QP find nothing
 * @num_srq: shared receive queues in use, bounded by attr.max_srq
 * @srq_xa: shared receive queues by SRQ number, which XRC requests name;
 *	looked up from softirq, so its lock is taken with interrupts off
 * @srq_next: cursor for cyclic SRQ number allocation, so that a request
 *	naming a destroyed XRC SRQ does not find a new one at once
 * @num_ah: address handles in use, bounded by attr.max_ah
 * @ah_xa: address handles by the ah_num UD send WQEs carry
 * @ah_next: cursor for cyclic ah_num allocation
 * @attr: device attributes, fixed at creation
 * @udp: the RoCEv2 UDP sockets of the netdev's network namespace, shared
 *	with the other devices there (pinrxe_udp.c)
 * @counters: hardware counters, indexed by enum pinrxe_counter
 */
struct pinrxe_dev {
	struct ib_device ib_dev;
	struct list_head list;
	struct net_device *ndev;
	netdevice_tracker ndev_tracker;
	enum ib_port_state port_state;
	atomic_t num_pd;
	atomic_t num_cq;
	struct xarray mr_xa;
	u32 mr_next;
	atomic_t num_mr;
	atomic_t num_mw;
	atomic64_t pinned_pages;
	atomic_t odp_mrs;
	atomic_t num_qp;
	atomic64_t qp_serial;
	struct xarray qp_xa;
	u32 qp_next;
	atomic_t num_srq;
	struct xarray srq_xa;
	u32 srq_next;
	atomic_t num_ah;
	struct xarray ah_xa;
	u32 ah_next;
	struct ib_device_attr attr;
	struct pinrxe_udp *udp;
	atomic64_t counters[PINRXE_NUM_COUNTERS];
};

struct pinrxe_ucontext {
	struct ib_ucontext ibuc;
};

struct pinrxe_pd {
	struct ib_pd ibpd;
};

/*
 * An XRC domain.  ib_core does all its bookkeeping (users, the inode
 * sharing of open_xrcd, the target QPs it holds); the device needs no
 * state of its own for one.
 */
struct pinrxe_xrcd {
	struct ib_xrcd ibxrcd;
};

/**
 * enum pinrxe_queue_dir - which side of a ring the data path is
 * @PINRXE_QUEUE_TO_USER: the data path produces, the consumer (userspace,
 *	or the kernel consumer's poll_cq) consumes (CQ)
 * @PINRXE_QUEUE_FROM_USER: the consumer (userspace, or a kernel consumer's
 *	post verbs) produces, the data path consumes (SQ, RQ, SRQ)
 */
enum pinrxe_queue_dir {
	PINRXE_QUEUE_TO_USER,
	PINRXE_QUEUE_FROM_USER,
};

/**
 * struct pinrxe_queue - a ring shared with userspace by mmap, or the same
 *	ring in kernel memory for a kernel consumer
 * @hdr: the ring buffer (vmalloc_user(), or kvzalloc() for a kernel
 *	ring), starting with its header
 * @entry: the mmap entry that owns a user ring's buffer; ib_core frees
 *	both through .mmap_free once the queue and any mmap() in progress let
 *	go.  NULL for a kernel ring
 * @kernel: a kernel ring: the consumer's side is played by the kernel
 *	consumer's verbs (pinrxe_queue_peer_slot()), never by userspace
 * @dir: whether the data path produces or consumes
 * @num_elems: element count, a power of two
 * @elem_shift: log2 of the element size
 * @index: the data path's own index: the producer index for
 *	%PINRXE_QUEUE_TO_USER, the consumer index for %PINRXE_QUEUE_FROM_USER;
 *	authoritative, as the copy in @hdr is writable by userspace
 *
 * Callers serialise the data path's calls on one queue, and the
 * consumer's side (pinrxe_queue_peer_slot()) separately.
 */
struct pinrxe_queue {
	struct pinrxe_ring_hdr *hdr;
	struct pinrxe_mmap_entry *entry;
	bool kernel;
	enum pinrxe_queue_dir dir;
	u32 num_elems;
	u32 elem_shift;
	u32 index;
};

/**
 * struct pinrxe_mmap_entry - a ring buffer offered to userspace for mmap
 * @rdma_entry: ib_core's entry: offset, size and reference count
 * @buf: the vmalloc_user() buffer, freed with the entry
 */
struct pinrxe_mmap_entry {
	struct rdma_user_mmap_entry rdma_entry;
	void *buf;
};

/**
 * struct pinrxe_cq - a completion queue
 * @ibcq: the core CQ
 * @lock: serialises posting, arming, resizing and (kernel CQs) polling;
 *	taken with interrupts off, as completions may be posted from softirq
 *	context
 * @resize_mutex: serialises resizes, which ib_core lets run in parallel
 * @queue: the completion ring, kernel to user: struct pinrxe_cqe for a
 *	user CQ, struct ib_wc for a kernel CQ (queue.kernel)
 * @notify: armed notification, IB_CQ_SOLICITED and/or IB_CQ_NEXT_COMP
 * @overflowed: a completion found the ring full; the CQ is in the error
 *	state and takes no more completions
 */
struct pinrxe_cq {
	struct ib_cq ibcq;
	spinlock_t lock;	/* see above */
	struct mutex resize_mutex;	/* see above */
	struct pinrxe_queue queue;
	u8 notify;
	bool overflowed;
};

/**
 * enum pinrxe_folio_class - folio sizes restrack reports pinned pages by
 * @PINRXE_FOLIO_4K: base pages (folios smaller than 64 KiB)
 * @PINRXE_FOLIO_64K: 64 KiB up to, not including, 2 MiB (mTHP)
 * @PINRXE_FOLIO_2M: 2 MiB up to 1 GiB (PMD-sized THP and huge pages)
 * @PINRXE_FOLIO_1G: 1 GiB and larger (PUD-sized huge pages)
 * @PINRXE_FOLIO_NUM_CLASSES: number of classes
 */
enum pinrxe_folio_class {
	PINRXE_FOLIO_4K,
	PINRXE_FOLIO_64K,
	PINRXE_FOLIO_2M,
	PINRXE_FOLIO_1G,
	PINRXE_FOLIO_NUM_CLASSES,
};

/**
 * struct pinrxe_seg - a run of pinned pages with consecutive PFNs
 * @pfn: PFN of the first page
 * @npages: pages in the run
 * @first: index of the run's first page within the registration
 *
 * Runs follow physical contiguity, so a THP or hugetlb folio costs one
 * entry rather than a pointer per 4 KiB page, and a copy can move a whole
 * run through the direct map without walking per-page pointers.
 */
struct pinrxe_seg {
	unsigned long pfn;
	unsigned int npages;
	unsigned int first;
};

/**
 * struct pinrxe_pins - the long-term pins held for one user registration
 * @mm: the mm charged for the pins (mmgrab()ed), so the charge is undone in
 *	the right mm even when deregistration runs after the process exited
 * @start: page-aligned user address of the first pinned page
 * @npages: pages pinned, and charged to @mm->pinned_vm
 * @segs: the pinned pages as runs of consecutive PFNs
 * @nsegs: entries used in @segs
 * @writable: pinned with FOLL_WRITE; the pages are dirtied at unpin
 * @folio_pages: pinned pages by the size of the folio holding them (enum
 *	pinrxe_folio_class), counted once as they are pinned so that restrack
 *	reports need not walk the pages
 */
struct pinrxe_pins {
	struct mm_struct *mm;
	unsigned long start;
	unsigned long npages;
	struct pinrxe_seg *segs;
	unsigned int nsegs;
	bool writable;
	unsigned long folio_pages[PINRXE_FOLIO_NUM_CLASSES];
};

/**
 * enum pinrxe_mr_state - whether lookups may hand an MR out
 * @PINRXE_MR_VALID: usable
 * @PINRXE_MR_BUSY: its translation is being replaced (rereg, fast
 *	registration)
 * @PINRXE_MR_INVALID: being deregistered
 * @PINRXE_MR_FREE: a fast-registration MR holding no registration: before
 *	its first IB_WR_REG_MR and after an invalidation; the IBA's Free state
 *
 * Only VALID MRs are handed out, for local and remote accesses alike,
 * also through memory windows.
 */
enum pinrxe_mr_state {
	PINRXE_MR_VALID,
	PINRXE_MR_BUSY,
	PINRXE_MR_INVALID,
	PINRXE_MR_FREE,
};

/**
 * struct pinrxe_fr_pages - the page list of a fast-registration MR
 * @addr: each page's DMA address, which for this device (ib_uses_virt_dma())
 *	is its kernel virtual address
 * @npages: entries of @addr in use
 * @page_shift: log2 of the page size
 * @offset: offset of the first byte registered within the first page
 */
struct pinrxe_fr_pages {
	u64 *addr;
	u32 npages;
	u32 page_shift;
	u32 offset;
};

struct pinrxe_mr_odp;

/**
 * struct pinrxe_mr - a memory region
 * @ibmr: the core MR
 * @ref: one reference for the registration plus one per data-path user;
 *	rereg, invalidation and dereg wait for the users to drain
 * @state: enum pinrxe_mr_state, read locklessly by lookups
 * @rcu: frees the MR after lookups that raced with dereg are done
 * @type: IB_MR_TYPE_USER (pinned user pages), IB_MR_TYPE_DMA (all of
 *	kernel memory) or IB_MR_TYPE_MEM_REG (fast registration); our own
 *	copy, as ib_core sets ibmr.type only once the driver has returned
 * @index: key index in the device's @mr_xa
 * @lkey: the lkey lookups match; the device's own, as a kernel consumer
 *	rewrites ibmr.lkey and ibmr.rkey (ib_update_fast_reg_key()) before
 *	the registration that makes the new key valid
 * @rkey: likewise the rkey; 0 when remote access is not allowed
 * @iova: the I/O virtual address the MR starts at
 * @length: length in bytes
 * @offset: offset of @iova within the first page
 * @access: IB_ACCESS_* flags
 * @num_mw: memory windows bound to the MR; while there are any, the MR
 *	can be neither deregistered, reregistered nor invalidated.  Under the
 *	lock of the device's @mr_xa
 * @pins: the pinned user pages (IB_MR_TYPE_USER)
 * @fr: the registered pages (IB_MR_TYPE_MEM_REG)
 * @fr_map: the pages map_mr_sg staged for the next registration, which
 *	copies them to @fr, as a NIC reads a page list when it executes the
 *	registration
 * @max_pages: entries of @fr and @fr_map
 * @odp: an on-demand paging MR's state (pinrxe_odp.c), NULL for every
 *	other MR; such an MR is IB_MR_TYPE_USER with empty @pins
 * @mode: a user MR's enum pinrxe_mr_mode: pinned, or on-demand paging
 *	(ODP) of a range or of the whole address space
 * @fallback: enum pinrxe_mr_fallback: why an MR asked to be pinned is ODP
 *	(pinrxe_reg_user_mr()), else PINRXE_MR_FALLBACK_NONE
 * @pin_errno: the errno the pinned attempt failed with, for a fallback
 */
struct pinrxe_mr {
	struct ib_mr ibmr;
	refcount_t ref;
	int state;
	struct rcu_head rcu;
	u8 type;
	u32 index;
	u32 lkey;
	u32 rkey;
	u64 iova;
	u64 length;
	unsigned int offset;
	int access;
	unsigned int num_mw;
	struct pinrxe_pins pins;
	struct pinrxe_fr_pages fr;
	struct pinrxe_fr_pages fr_map;
	u32 max_pages;
	struct pinrxe_mr_odp *odp;
	u8 mode;
	u8 fallback;
	u16 pin_errno;
};

/* The tag of memory window entries in the device's @mr_xa. */
#define PINRXE_XA_MW	1

/**
 * enum pinrxe_mw_state - the IBA memory window states
 * @PINRXE_MW_FREE: a type 2 window not bound (allocated, or invalidated)
 * @PINRXE_MW_VALID: usable: a type 1 window from allocation on (bound or
 *	not), a type 2 window once bound
 * @PINRXE_MW_INVALID: deallocated; no key finds it any more
 */
enum pinrxe_mw_state {
	PINRXE_MW_FREE,
	PINRXE_MW_VALID,
	PINRXE_MW_INVALID,
};

/**
 * struct pinrxe_mw - a memory window
 * @ibmw: the core MW; ib_core frees it as soon as dealloc_mw returns, so
 *	no one may hold a pointer to it outside the lock of the device's
 *	@mr_xa, which all window state is changed and read under
 * @index: key index in the device's @mr_xa, the upper 24 bits of its rkey
 * @state: enum pinrxe_mw_state
 * @mr: the MR the window is bound to, or NULL; counted in its @num_mw
 * @qp_serial: type 2: the serial of the QP it was bound through, the only
 *	QP that may access or remotely invalidate it (type 2B)
 * @addr: the first address of the window, in the MR's address space
 * @length: its length; 0 when unbound
 * @access: the remote rights it grants (IB_ACCESS_REMOTE_*)
 */
struct pinrxe_mw {
	struct ib_mw ibmw;
	u32 index;
	int state;
	struct pinrxe_mr *mr;
	u64 qp_serial;
	u64 addr;
	u64 length;
	int access;
};

/**
 * struct pinrxe_task - what runs a QP's data path, and when
 * @work: queued on the module's workqueue when the stages must run later
 *	or elsewhere (pinrxe_task_sched())
 * @pending: PINRXE_TASK_* bits: what to run next time the task runs
 * @state: whether someone runs the stages right now (the work item, or a
 *	doorbell or packet receive running them in place, pinrxe_task_run()),
 *	in which context, and how many pinrxe_task_stop() calls hold it
 *	stopped; see pinrxe_task.c.  Whoever runs the stages is the only one,
 *	so the requester, completer, responder and flush of one QP are
 *	serialised without a lock
 * @atomic: the run in progress is in softirq context (or with bottom
 *	halves off) and must not sleep; the stages hand what could take long
 *	back to the work item (%PINRXE_STAGE_DEFER).  Set and read by the
 *	runner only
 */
struct pinrxe_task {
	struct work_struct work;
	atomic_long_t pending;
	atomic_t state;
	bool atomic;
};

#define PINRXE_TASK_REQ		BIT(0)	/* pinrxe_requester() */
#define PINRXE_TASK_COMP	BIT(1)	/* pinrxe_completer() */
#define PINRXE_TASK_RESP	BIT(2)	/* pinrxe_responder() */
#define PINRXE_TASK_ALL		(PINRXE_TASK_REQ | PINRXE_TASK_COMP | \
				 PINRXE_TASK_RESP)

/**
 * struct pinrxe_swqe - a send WQE the kernel took from a send ring
 * @status: IB_WC_SUCCESS when the copy passed validation; else the status
 *	its completion must carry, after which the QP goes to the error state
 * @length: total message length: the inline bytes or the SGE lengths summed
 * @first_psn: the first PSN the WQE's packets use (for a read, its response
 *	packets), set when its first packet is built
 * @last_psn: the last such PSN
 * @sent: bytes of the message sent so far (requested, for a read)
 * @cur_sge: the SGE the next payload byte comes from
 * @sge_offset: the offset in that SGE
 * @progress: enum pinrxe_wqe_progress
 * @reserved: keeps the size a multiple of 8
 *
 * The validated copy of the struct pinrxe_send_wqe, with its SGEs or inline
 * data, follows this header in the same slot (pinrxe_swqe_wqe()).  The data
 * path may add its own per-WQE state here; keep the size a multiple of 8.
 */
struct pinrxe_swqe {
	u32 status;
	u32 length;
	/* data path: */
	u32 first_psn;
	u32 last_psn;
	u32 sent;
	u32 cur_sge;
	u32 sge_offset;
	u8 progress;
	u8 reserved[3];
} __aligned(8);

/* How far the data path got with a send WQE (struct pinrxe_swqe). */
enum pinrxe_wqe_progress {
	PINRXE_WQE_NEW,		/* nothing sent yet */
	PINRXE_WQE_SENDING,	/* some packets sent */
	PINRXE_WQE_SENT,	/* all packets sent, waiting for the answer */
	PINRXE_WQE_DONE,	/* completed: retire when at the tail */
};

static inline struct pinrxe_send_wqe *pinrxe_swqe_wqe(struct pinrxe_swqe *swqe)
{
	return (struct pinrxe_send_wqe *)(swqe + 1);
}

static inline bool pinrxe_wqe_is_read(const struct pinrxe_send_wqe *wqe)
{
	return wqe->opcode == IB_UVERBS_WR_RDMA_READ;
}

static inline bool pinrxe_wqe_is_atomic(const struct pinrxe_send_wqe *wqe)
{
	return wqe->opcode == IB_UVERBS_WR_ATOMIC_CMP_AND_SWP ||
	       wqe->opcode == IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD;
}

/*
 * Local operations (bind, invalidate, fast registration): executed by the
 * requester in order with the rest of the send queue, nothing goes on the
 * wire.
 */
static inline bool pinrxe_wqe_is_local(const struct pinrxe_send_wqe *wqe)
{
	return wqe->opcode == IB_UVERBS_WR_BIND_MW ||
	       wqe->opcode == IB_UVERBS_WR_LOCAL_INV ||
	       wqe->opcode == IB_WR_REG_MR;
}

static inline bool pinrxe_wqe_is_atomic_write(const struct pinrxe_send_wqe *wqe)
{
	return wqe->opcode == IB_UVERBS_WR_ATOMIC_WRITE;
}

/*
 * Reads, atomics and atomic writes: bounded in number by max_rd_atomic,
 * and complete only on their own response.
 */
static inline bool pinrxe_wqe_is_rd_atomic(const struct pinrxe_send_wqe *wqe)
{
	return pinrxe_wqe_is_read(wqe) || pinrxe_wqe_is_atomic(wqe) ||
	       pinrxe_wqe_is_atomic_write(wqe);
}

/* What a WQE counts against PINRXE_MAX_READ_INFLIGHT: a read's length. */
static inline u32 pinrxe_swqe_rd_bytes(struct pinrxe_swqe *swqe)
{
	return pinrxe_wqe_is_read(pinrxe_swqe_wqe(swqe)) ? swqe->length : 0;
}

/**
 * struct pinrxe_sq - a send queue
 * @queue: the ring the application posts to
 * @shadow: the kernel's own copies of the WQEs taken from the ring and not
 *	yet retired, @num_wqe slots of @slot_size bytes indexed like a ring
 * @slot_size: bytes per @shadow slot: struct pinrxe_swqe and a ring element
 * @head: free-running count of WQEs taken from the ring (pinrxe_sq_fetch())
 * @tail: free-running count of WQEs retired (pinrxe_sq_retire()); the
 *	WQEs in progress are tail .. head - 1
 * @num_wqe: ring and shadow size, reported as max_send_wr
 * @max_sge: SGEs a WQE may carry
 * @max_inline: inline bytes a WQE may carry
 * @draining: the QP entered SQD and WQEs taken before are still in progress
 * @post_lock: kernel QPs: serialises post_send, which kernel consumers
 *	may call from several contexts at once, also with interrupts off
 *
 * Taking a WQE frees its ring slot at once, so the application can have
 * up to twice @num_wqe WQEs outstanding: @num_wqe in the ring and as many
 * in the shadow.
 */
struct pinrxe_sq {
	struct pinrxe_queue queue;
	void *shadow;
	u32 slot_size;
	u32 head;
	u32 tail;
	u32 num_wqe;
	u32 max_sge;
	u32 max_inline;
	bool draining;
	spinlock_t post_lock;	/* see above */
};

/**
 * struct pinrxe_rwqe - a receive WQE as the responder uses it
 * @wr_id: the application's work request id
 * @num_sge: entries used in @sge
 * @length: the SGE lengths summed, capped at PINRXE_MAX_MSG_SZ (no message
 *	can fill more)
 * @sge: the scatter list
 */
struct pinrxe_rwqe {
	u64 wr_id;
	u32 num_sge;
	u32 length;
	struct pinrxe_sge sge[PINRXE_MAX_SGE];
};

/**
 * struct pinrxe_rq - a receive queue of a QP without an SRQ
 * @queue: the ring the application posts to
 * @elem: a buffer of one ring element, the copy pinrxe_queue_consume()
 *	makes before validation; used from the QP's task only
 * @num_wqe: ring size, reported as max_recv_wr
 * @max_sge: SGEs a WQE may carry
 * @post_lock: kernel QPs: serialises post_recv, as @post_lock of
 *	struct pinrxe_sq
 */
struct pinrxe_rq {
	struct pinrxe_queue queue;
	void *elem;
	u32 num_wqe;
	u32 max_sge;
	spinlock_t post_lock;	/* see above */
};

/**
 * struct pinrxe_srq - a shared receive queue
 * @ibsrq: the core SRQ; for an XRC SRQ, ibsrq.ext.xrc.srq_num is @srq_num
 * @srq_num: the SRQ's number in the device's @srq_xa, which XRC requests
 *	carry in their XRCETH
 * @ref: references: one for the number table, one per pinrxe_srq_get()
 * @released: completed when @ref drops to zero, for destroy to wait on
 * @lock: serialises taking WQEs (by the tasks of every QP using the SRQ)
 *	with arming the limit and, for a kernel SRQ, with posting; taken with
 *	interrupts off
 * @queue: the ring the application posts to
 * @elem: a buffer of one ring element, used under @lock
 * @num_wqe: ring size, reported as max_wr
 * @max_sge: SGEs a WQE may carry
 * @limit: armed limit: when a take leaves fewer WQEs than this, the SRQ
 *	gets IB_EVENT_SRQ_LIMIT_REACHED and the limit disarms (0)
 */
struct pinrxe_srq {
	struct ib_srq ibsrq;
	u32 srq_num;
	refcount_t ref;
	struct completion released;
	spinlock_t lock;	/* see above */
	struct pinrxe_queue queue;
	void *elem;
	u32 num_wqe;
	u32 max_sge;
	u32 limit;
};

/**
 * struct pinrxe_req_state - the requester's side of a QP
 * @psn: PSN of the next packet to send
 * @index: free-running SQ index of the WQE being sent
 * @av_valid: the QP has a path (qp->av): connected QPs may send
 * @rd_atomic: reads and atomics outstanding (bounded by max_rd_atomic)
 * @rd_bytes: bytes those reads ask for (bounded by PINRXE_MAX_READ_INFLIGHT)
 * @pkts_since_ack: packets sent since the last ack request
 * @rewind_psn: set with @rewind: go back and resend from this PSN
 * @rewind: a retransmission is due from @rewind_psn
 * @route: the route to qp->av, for every packet the QP sends on its path
 *	(requests, and the responder's ACKs and responses); dropped when
 *	the path changes
 */
struct pinrxe_req_state {
	u32 psn;
	u32 index;
	bool av_valid;
	u32 rd_atomic;
	u32 rd_bytes;
	u32 pkts_since_ack;
	u32 rewind_psn;
	bool rewind;
	struct pinrxe_route route;
};

/**
 * struct pinrxe_comp_state - the completer's side of a QP
 * @psn: PSN of the oldest packet not yet acknowledged
 * @pkts: response packets (ACKs, read responses, atomic ACKs) received
 *	and not yet processed
 * @retrans_timer: fires when the oldest outstanding packet went
 *	unanswered for the QP's timeout
 * @rnr_timer: ends the wait after an RNR NAK
 * @timeout: set by @retrans_timer, consumed by the completer
 * @rnr_wait: waiting for @rnr_timer
 * @retry_pending: a retransmission was asked for and its first answer has
 *	not come yet; the rest of a burst lost together must not use up
 *	retries of its own
 * @retry_cnt: retries left for this WQE (attr.retry_cnt)
 * @rnr_retry: RNR retries left (attr.rnr_retry; 7 means unlimited)
 */
struct pinrxe_comp_state {
	u32 psn;
	struct sk_buff_head pkts;
	struct timer_list retrans_timer;
	struct timer_list rnr_timer;
	bool timeout;
	bool rnr_wait;
	bool retry_pending;
	u8 retry_cnt;
	u8 rnr_retry;
};

/**
 * struct pinrxe_resp_res - a read or atomic the responder executed, kept
 *	so a duplicate request can be answered again
 * @kind: 0 (free), PINRXE_READ_MASK or PINRXE_ATOMIC_MASK
 * @first_psn: PSN of the request (and of the first response packet)
 * @last_psn: PSN of the last response packet
 * @va: read: remote address
 * @rkey: read: its key
 * @length: read: bytes
 * @orig: atomic: the value returned
 */
struct pinrxe_resp_res {
	u32 kind;
	u32 first_psn;
	u32 last_psn;
	u64 va;
	u32 rkey;
	u32 length;
	u64 orig;
};

/**
 * struct pinrxe_odp_fault - an ODP fault run on the ODP workqueue, for a
 *	caller that must not wait for it (pinrxe_odp_fault_start())
 * @work: runs the fault
 * @done: completed when @err holds the outcome; complete while idle
 * @mr: the MR, held by the fault until it is done
 * @key: what the caller reached @mr by, for it to recognise the fault
 * @iova: first byte of the range
 * @len: bytes
 * @write: mapped writable
 * @err: 0 or -EFAULT, as pinrxe_odp_access()
 */
struct pinrxe_odp_fault {
	struct work_struct work;
	struct completion done;
	struct pinrxe_mr *mr;
	u32 key;
	u64 iova;
	u64 len;
	bool write;
	int err;
};

/**
 * struct pinrxe_resp_state - the responder's side of a QP
 * @psn: the expected PSN (ePSN) of the next request packet
 * @msn: message sequence number, counts completed requests
 * @pkts: request packets received and not yet processed
 * @rwqe: the receive WQE the current SEND message scatters into
 * @have_rwqe: @rwqe is taken from the RQ/SRQ and in use
 * @cur_sge: scatter position in @rwqe
 * @sge_offset: scatter position in @rwqe
 * @msg_len: bytes of the current SEND message received so far
 * @in_msg: inside a multi-packet message (a FIRST was accepted)
 * @msg_opcode_mask: PINRXE_SEND_MASK or PINRXE_WRITE_MASK of that message
 * @va: RDMA WRITE: where the next payload byte goes
 * @rkey: RDMA WRITE: the target key
 * @resid: RDMA WRITE: bytes of the RETH length still to come
 * @nak_sent: a sequence-error NAK went out; no more until ePSN arrives
 * @drop_msg: UC: the current message lost a packet, drop until FIRST/ONLY
 * @res: read/atomic resources, a ring of max_dest_rd_atomic entries
 * @res_head: next @res entry to use
 * @xsrq: XRC target QPs: the XRC SRQ the request being executed names,
 *	referenced for the time of its execution only, else NULL.  Its PD
 *	checks the request's memory accesses, its receive WQEs and CQ take
 *	the request's SEND (pinrxe_qp_pd())
 * @xrc_srqn: XRC target QPs: the SRQ number of the current message, which
 *	its later packets must name too
 * @fault: RC: the fault of an RDMA WRITE's target that outlasted the
 *	responder's wait, answered with RNR NAKs until it is done
 */
struct pinrxe_resp_state {
	u32 psn;
	u32 msn;
	struct sk_buff_head pkts;
	struct pinrxe_rwqe rwqe;
	bool have_rwqe;
	u32 cur_sge;
	u32 sge_offset;
	u32 msg_len;
	bool in_msg;
	u32 msg_opcode_mask;
	u64 va;
	u32 rkey;
	u32 resid;
	bool nak_sent;
	bool drop_msg;
	struct pinrxe_resp_res res[PINRXE_MAX_RD_ATOMIC];
	u32 res_head;
	struct pinrxe_srq *xsrq;
	u32 xrc_srqn;
	struct pinrxe_odp_fault fault;
};

/**
 * struct pinrxe_qp - a queue pair
 * @ibqp: the core QP
 * @serial: the device's QP serial number of this QP (@qp_serial)
 * @ref: references: one for the QPN lookup table, one per pinrxe_qp_get()
 * @released: completed when @ref drops to zero, for destroy to wait on
 * @modify_mutex: serialises modify_qp and query_qp, which ib_core lets run
 *	in parallel on one QP
 * @state: the QP state.  Changed only by modify_qp, with @task stopped, and
 *	by the task itself (pinrxe_qp_error()), so never concurrently; read
 *	with READ_ONCE() from other contexts (packet receive)
 * @attr: the attributes as last set by modify_qp (its qp_state and
 *	cur_qp_state are not kept up to date: see @state).  Only modify_qp
 *	writes them, and only while @task is stopped, so the data path reads
 *	them from the task without a lock.  @attr.ah_attr is the path as
 *	given, its sgid_attr held by ib_core until the path changes; @av is
 *	the same path already resolved
 * @attr_changed: IB_QP_* mask of the attributes modify_qp set since the
 *	data path last cleared it; e.g. on IB_QP_SQ_PSN the requester reloads
 *	its next PSN from @attr.sq_psn.  Written by modify_qp with @task
 *	stopped, read and cleared by the data path from the task
 * @av: the primary path of an RC or UC QP, resolved from @attr.ah_attr
 *	when modify_qp sets IB_QP_AV
 * @src_port: the UDP source port of the QP's packets: pinrxe_qp_src_port()
 *	until the path is set, then rdma_get_udp_sport() of its flow label
 *	and the two QPNs, as rdma_rxe does
 * @mtu: path MTU in bytes, from @attr.path_mtu
 * @sq_sig_all: every send WR completes, signaled or not
 * @last_wqe_reached: IB_EVENT_QP_LAST_WQE_REACHED was sent since the QP
 *	last entered ERR (QPs with an SRQ only)
 * @scq: the send CQ; NULL for an XRC target QP, which sends nothing
 * @rcq: the receive CQ; NULL for XRC QPs: an XRC initiator receives
 *	nothing, a target completes to its XRC SRQs' CQs
 * @srq: the SRQ receives come from, or NULL (then @rq is used; XRC target
 *	QPs take them from the XRC SRQ each request names)
 * @sq: the send queue; an XRC target QP has a kernel ring of one WQE,
 *	which nothing can post to (pinrxe_post_send())
 * @rq: the receive queue, unused with an SRQ and by XRC QPs
 *	(pinrxe_qp_has_rq())
 * @task: runs the data path
 * @req: the requester's state (pinrxe_req.c)
 * @comp: the completer's state (pinrxe_comp.c)
 * @resp: the responder's state (pinrxe_resp.c)
 *
 * CQs, SRQ and PD stay alive while the QP exists: ib_core counts the QP as
 * their user and refuses to destroy them before it.
 */
struct pinrxe_qp {
	struct ib_qp ibqp;
	u64 serial;
	refcount_t ref;
	struct completion released;
	struct mutex modify_mutex;	/* see above */
	enum ib_qp_state state;
	struct ib_qp_attr attr;
	u32 attr_changed;
	struct pinrxe_av av;
	u16 src_port;
	u32 mtu;
	bool sq_sig_all;
	bool last_wqe_reached;
	struct pinrxe_cq *scq;
	struct pinrxe_cq *rcq;
	struct pinrxe_srq *srq;
	struct pinrxe_sq sq;
	struct pinrxe_rq rq;
	struct pinrxe_task task;
	struct pinrxe_req_state req;
	struct pinrxe_comp_state comp;
	struct pinrxe_resp_state resp;
};

/**
 * struct pinrxe_ah_av - what a requester needs of an address handle
 * @ref: references: one for the device's AH table, one per
 *	pinrxe_ah_get(); the last one frees it
 * @pd: the AH's PD, which a UD QP sending with it must share; compared,
 *	never dereferenced
 * @av: the address, resolved when the AH was created
 *
 * Kept apart from struct pinrxe_ah so that destroying an AH never waits
 * for a requester: kernel consumers (ib_cm) destroy AHs with interrupts
 * off, and ib_core frees the AH itself as soon as destroy returns.
 */
struct pinrxe_ah_av {
	refcount_t ref;
	struct ib_pd *pd;
	struct pinrxe_av av;
};

/**
 * struct pinrxe_ah - an address handle
 * @ibah: the core AH
 * @ah_num: its number in the device's @ah_xa, which UD send WQEs carry
 * @av: its address, also in the device's @ah_xa
 */
struct pinrxe_ah {
	struct ib_ah ibah;
	u32 ah_num;
	struct pinrxe_ah_av *av;
};

static inline struct pinrxe_dev *to_pdev(struct ib_device *ibdev)
{
	return container_of(ibdev, struct pinrxe_dev, ib_dev);
}

/* QP1 takes UD packets and behaves as a UD QP with fixed Q_Key rules. */
static inline bool pinrxe_qp_is_ud(const struct pinrxe_qp *qp)
{
	return qp->ibqp.qp_type == IB_QPT_UD || qp->ibqp.qp_type == IB_QPT_GSI;
}

/*
 * The reliable connected transports: RC, and the two halves of XRC, which
 * follow RC's rules for PSNs, acknowledgments, retries, reads and atomics.
 */
static inline bool pinrxe_qp_is_rc(const struct pinrxe_qp *qp)
{
	return qp->ibqp.qp_type == IB_QPT_RC ||
	       qp->ibqp.qp_type == IB_QPT_XRC_INI ||
	       qp->ibqp.qp_type == IB_QPT_XRC_TGT;
}

/* A QP with a receive ring of its own: neither SRQ nor XRC. */
static inline bool pinrxe_qp_has_rq(const struct pinrxe_qp *qp)
{
	return !qp->srq && qp->ibqp.qp_type != IB_QPT_XRC_INI &&
	       qp->ibqp.qp_type != IB_QPT_XRC_TGT;
}

/*
 * The PD the data path of @qp acts under: the QP's own, or while an XRC
 * target QP executes a request, the PD of the XRC SRQ the request names
 * (an XRC target QP has no PD).  From the QP's task.
 */
static inline struct ib_pd *pinrxe_qp_pd(const struct pinrxe_qp *qp)
{
	return qp->resp.xsrq ? qp->resp.xsrq->ibsrq.pd : qp->ibqp.pd;
}

/* A kernel consumer's QP: its rings are kernel memory (queue.kernel). */
static inline bool pinrxe_qp_is_kernel(const struct pinrxe_qp *qp)
{
	return qp->sq.queue.kernel;
}

/* pinrxe_main.c */
struct pinrxe_dev *pinrxe_get_dev_by_netdev(struct net_device *ndev);
void pinrxe_put_dev(struct pinrxe_dev *pdev);
void pinrxe_dealloc_driver(struct ib_device *ibdev);

static inline struct pinrxe_mr *to_pmr(struct ib_mr *ibmr)
{
	return container_of(ibmr, struct pinrxe_mr, ibmr);
}

/* Access flags a pinned user registration may carry; optional ones are hints. */
#define PINRXE_MR_ACCESS (IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE | \
			  IB_ACCESS_REMOTE_READ | IB_ACCESS_REMOTE_ATOMIC | \
			  IB_ACCESS_MW_BIND | IB_ZERO_BASED | \
			  IB_ACCESS_OPTIONAL)

/* pinrxe_mr.c */
struct ib_mr *pinrxe_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
				 u64 iova, int access, struct ib_udata *udata);
struct ib_mr *pinrxe_rereg_user_mr(struct ib_mr *ibmr, int flags, u64 start,
				   u64 length, u64 iova, int access,
				   struct ib_pd *ibpd, struct ib_udata *udata);
int pinrxe_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata);
int pinrxe_mr_fill_res_path(struct sk_buff *msg, struct pinrxe_mr *mr);

/* What a data-path access to an MR is: local or by rkey, and its rights. */
enum pinrxe_mr_lookup {
	PINRXE_LOOKUP_LOCAL,	/* by lkey */
	PINRXE_LOOKUP_REMOTE,	/* by rkey */
};

/* Which way a copy moves data. */
enum pinrxe_copy_dir {
	PINRXE_TO_MR,
	PINRXE_FROM_MR,
};

struct pinrxe_mr *pinrxe_mr_get(struct pinrxe_dev *pdev, u32 key,
				enum pinrxe_mr_lookup how, struct ib_pd *pd,
				int access, u64 iova, u64 length, int *err);
void pinrxe_mr_put(struct pinrxe_mr *mr);
/*
 * The data-path accesses to an MR's memory take @atomic, the context's
 * qp->task.atomic: with it set they must not sleep, and an on-demand
 * paging MR whose pages are not resident fails them with -EAGAIN, after
 * which the stage hands the packet, unchanged, to the work item.  Without
 * it they fault the pages in; a fault that fails is -EFAULT.
 */
int pinrxe_mr_copy(struct pinrxe_mr *mr, u64 iova, void *buf, u32 len,
		   enum pinrxe_copy_dir dir, bool atomic);
int pinrxe_mr_copy_vec(struct pinrxe_mr *mr, u64 iova, const struct kvec *vec,
		       u32 nvec, u64 len, enum pinrxe_copy_dir dir,
		       bool atomic);
int pinrxe_mr_prepare(struct pinrxe_mr *mr, u64 iova, u64 len, bool write,
		      bool atomic);
int pinrxe_mr_atomic(struct pinrxe_mr *mr, u64 iova, bool cmp_swap,
		     u64 compare_add, u64 swap, u64 *orig, bool atomic);
int pinrxe_mr_atomic_write(struct pinrxe_mr *mr, u64 iova, u64 value,
			   bool atomic);
int pinrxe_copy_sgl(struct pinrxe_dev *pdev, struct ib_pd *pd,
		    const struct pinrxe_sge *sge, u32 num_sge, u32 *cur_sge,
		    u32 *sge_offset, void *buf, u32 len,
		    enum pinrxe_copy_dir dir, bool atomic);
int pinrxe_mr_publish(struct pinrxe_dev *pdev, struct pinrxe_mr *mr,
		      gfp_t gfp);
void pinrxe_mr_set_keys(struct pinrxe_mr *mr, u32 variant);
struct pinrxe_mr *pinrxe_mr_load(struct pinrxe_dev *pdev, u32 key);
void pinrxe_mr_wait_users(struct pinrxe_mr *mr, unsigned int held);
int pinrxe_mr_invalidate(struct pinrxe_mr *mr, struct ib_pd *pd, u32 key);

/* pinrxe_odp.c: on-demand paging MRs */
struct ib_mr *pinrxe_odp_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
				     u64 iova, int access,
				     struct ib_udata *udata);
void pinrxe_odp_release(struct pinrxe_mr *mr);
/* What an access to an ODP MR's pages does to each chunk it maps. */
typedef void (*pinrxe_odp_fn)(void *va, u32 len, void *ctx);
int pinrxe_odp_access(struct pinrxe_mr *mr, u64 iova, u64 len, bool write,
		      bool atomic, pinrxe_odp_fn fn, void *ctx);
bool pinrxe_odp_copy_resident(struct pinrxe_mr *mr, u64 iova, void *buf,
			      u32 len, bool to_mr);
int pinrxe_odp_rereg_check(struct pinrxe_mr *mr, int flags, int access);
int pinrxe_advise_mr(struct ib_pd *ibpd,
		     enum ib_uverbs_advise_mr_advice advice, u32 flags,
		     struct ib_sge *sg_list, u32 num_sge,
		     struct uverbs_attr_bundle *attrs);
void pinrxe_odp_fault_init(struct pinrxe_odp_fault *f);
void pinrxe_odp_fault_start(struct pinrxe_odp_fault *f, struct pinrxe_mr *mr,
			    u32 key, u64 iova, u64 len, bool write);
bool pinrxe_odp_fault_busy(struct pinrxe_odp_fault *f);
void pinrxe_odp_fault_cancel(struct pinrxe_odp_fault *f);
int pinrxe_fill_res_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr);
int pinrxe_odp_module_init(void);
void pinrxe_odp_module_exit(void);

/* pinrxe_kmr.c */
struct ib_mr *pinrxe_get_dma_mr(struct ib_pd *ibpd, int access);
struct ib_mr *pinrxe_alloc_mr(struct ib_pd *ibpd, enum ib_mr_type type,
			      u32 max_num_sg);
int pinrxe_map_mr_sg(struct ib_mr *ibmr, struct scatterlist *sg,
		     int sg_nents, unsigned int *sg_offset);
int pinrxe_fast_reg(struct pinrxe_dev *pdev, struct ib_pd *pd,
		    const struct pinrxe_send_wqe *wqe);
void pinrxe_kmr_copy(struct pinrxe_mr *mr, u64 iova, void *buf, u32 len,
		     enum pinrxe_copy_dir dir);
u64 *pinrxe_kmr_atomic_va(struct pinrxe_mr *mr, u64 iova);

static inline struct pinrxe_mw *to_pmw(struct ib_mw *ibmw)
{
	return container_of(ibmw, struct pinrxe_mw, ibmw);
}

/* pinrxe_mw.c */
int pinrxe_alloc_mw(struct ib_mw *ibmw, struct ib_udata *udata);
int pinrxe_dealloc_mw(struct ib_mw *ibmw);
int pinrxe_mr_stop_binds(struct pinrxe_mr *mr, int state);
struct pinrxe_mr *pinrxe_rkey_get(struct pinrxe_qp *qp, u32 rkey, int access,
				  u64 iova, u64 length, int *err);
int pinrxe_mw_bind(struct pinrxe_qp *qp, const struct pinrxe_send_wqe *wqe);
int pinrxe_invalidate_rkey(struct pinrxe_qp *qp, u32 key, bool remote);

static inline struct pinrxe_cq *to_pcq(struct ib_cq *ibcq)
{
	return container_of(ibcq, struct pinrxe_cq, ibcq);
}

/* pinrxe_queue.c */
int pinrxe_queue_init(struct pinrxe_queue *q, struct ib_ucontext *uctx,
		      enum pinrxe_queue_dir dir, u32 num_elems, u32 elem_size);
void pinrxe_queue_cleanup(struct pinrxe_queue *q);
void pinrxe_queue_mmap_info(const struct pinrxe_queue *q,
			    struct pinrxe_mmap_info *mi);
int pinrxe_queue_count(const struct pinrxe_queue *q);
void *pinrxe_queue_produce_slot(struct pinrxe_queue *q);
void pinrxe_queue_produce(struct pinrxe_queue *q);
int pinrxe_queue_consume(struct pinrxe_queue *q, void *elem);
void *pinrxe_queue_peer_slot(struct pinrxe_queue *q);
void pinrxe_queue_peer_advance(struct pinrxe_queue *q);
int pinrxe_queue_resize(struct pinrxe_queue *q, struct ib_ucontext *uctx,
			u32 num_elems, u32 max_pending, spinlock_t *lock);
int pinrxe_mmap(struct ib_ucontext *uctx, struct vm_area_struct *vma);
void pinrxe_mmap_free(struct rdma_user_mmap_entry *rdma_entry);

/* pinrxe_cq.c */
int pinrxe_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		     struct uverbs_attr_bundle *attrs);
int pinrxe_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata);
int pinrxe_resize_cq(struct ib_cq *ibcq, int cqe, struct ib_udata *udata);
int pinrxe_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags);
int pinrxe_poll_cq(struct ib_cq *ibcq, int num_entries, struct ib_wc *wc);
int pinrxe_cq_post(struct pinrxe_cq *cq, const struct pinrxe_cqe *cqe,
		   struct pinrxe_qp *qp, bool solicited);

static inline struct pinrxe_qp *to_pqp(struct ib_qp *ibqp)
{
	return container_of(ibqp, struct pinrxe_qp, ibqp);
}

static inline struct pinrxe_srq *to_psrq(struct ib_srq *ibsrq)
{
	return container_of(ibsrq, struct pinrxe_srq, ibsrq);
}

static inline struct pinrxe_ah *to_pah(struct ib_ah *ibah)
{
	return container_of(ibah, struct pinrxe_ah, ibah);
}

/* pinrxe_qp.c */
int pinrxe_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init,
		     struct ib_udata *udata);
int pinrxe_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		     struct ib_udata *udata);
int pinrxe_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		    struct ib_qp_init_attr *init);
int pinrxe_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata);
int pinrxe_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		     const struct ib_send_wr **bad_wr);
int pinrxe_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		     const struct ib_recv_wr **bad_wr);
struct pinrxe_qp *pinrxe_qp_get(struct pinrxe_dev *pdev, u32 qpn);
void pinrxe_qp_settle_cq(struct pinrxe_cq *cq);
void pinrxe_qp_put(struct pinrxe_qp *qp);
void pinrxe_qp_event(struct pinrxe_qp *qp, enum ib_event_type type);
void pinrxe_qp_error(struct pinrxe_qp *qp);
void pinrxe_qp_cq_lost(struct pinrxe_qp *qp, int err);
void pinrxe_qp_sq_error(struct pinrxe_qp *qp);
void pinrxe_qp_flush(struct pinrxe_qp *qp);
u32 pinrxe_wc_opcode(u32 wr_opcode);
int pinrxe_sq_fetch(struct pinrxe_qp *qp);
struct pinrxe_swqe *pinrxe_sq_wqe(struct pinrxe_qp *qp, u32 index);
void pinrxe_sq_retire(struct pinrxe_qp *qp);
int pinrxe_rq_take(struct pinrxe_qp *qp, struct pinrxe_rwqe *rwqe);
int pinrxe_rwqe_copy(const struct pinrxe_recv_wqe *wqe, u32 max_sge,
		     struct pinrxe_rwqe *rwqe);

/* pinrxe_kpost.c: the post verbs of kernel consumers */
int pinrxe_kpost_send(struct pinrxe_qp *qp, const struct ib_send_wr *wr,
		      const struct ib_send_wr **bad_wr);
int pinrxe_kpost_recv(struct pinrxe_qp *qp, const struct ib_recv_wr *wr,
		      const struct ib_recv_wr **bad_wr);
int pinrxe_post_srq_recv(struct ib_srq *ibsrq, const struct ib_recv_wr *wr,
			 const struct ib_recv_wr **bad_wr);

/* pinrxe_srq.c */
int pinrxe_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		      struct ib_udata *udata);
int pinrxe_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		      enum ib_srq_attr_mask mask, struct ib_udata *udata);
int pinrxe_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr);
int pinrxe_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata);
int pinrxe_srq_take(struct pinrxe_srq *srq, struct pinrxe_rwqe *rwqe);
struct pinrxe_srq *pinrxe_srq_get(struct pinrxe_dev *pdev, u32 srq_num);
void pinrxe_srq_put(struct pinrxe_srq *srq);
int pinrxe_alloc_xrcd(struct ib_xrcd *ibxrcd, struct ib_udata *udata);
int pinrxe_dealloc_xrcd(struct ib_xrcd *ibxrcd, struct ib_udata *udata);

/* pinrxe_ah.c */
int pinrxe_av_check(const struct rdma_ah_attr *ah, struct pinrxe_av *av);
int pinrxe_create_ah(struct ib_ah *ibah, struct rdma_ah_init_attr *init,
		     struct ib_udata *udata);
int pinrxe_destroy_ah(struct ib_ah *ibah, u32 flags);
struct pinrxe_ah_av *pinrxe_ah_get(struct pinrxe_dev *pdev, u32 ah_num);
void pinrxe_ah_put(struct pinrxe_ah_av *av);

/* pinrxe_task.c */
void pinrxe_task_init(struct pinrxe_qp *qp);
void pinrxe_task_sched(struct pinrxe_qp *qp, unsigned long what);
void pinrxe_task_run(struct pinrxe_qp *qp, unsigned long what, bool atomic);
void pinrxe_task_stop(struct pinrxe_qp *qp);
void pinrxe_task_start(struct pinrxe_qp *qp);
void pinrxe_task_drain(struct pinrxe_qp *qp);
void pinrxe_task_flush(struct pinrxe_qp *qp);
int pinrxe_task_module_init(void);
void pinrxe_task_module_exit(void);

/*
 * The data path (pinrxe_req.c, pinrxe_comp.c, pinrxe_resp.c), run by the
 * QP's task: each returns 0 when it wants to be called again at once and
 * -EAGAIN when it ran out of work, or PINRXE_STAGE_DEFER when what it has
 * to do next must not run in the current context (qp->task.atomic is set)
 * and waits for the work item.  They run in every QP state and must
 * check it: in RESET each drops what it holds (queued packets, partial
 * progress, references, timers) and returns -EAGAIN; in ERR (and SQE for
 * the send side) each stops, after which the task flushes the queues
 * (pinrxe_qp_flush()).
 */
#define PINRXE_STAGE_DEFER	1
int pinrxe_requester(struct pinrxe_qp *qp);
int pinrxe_completer(struct pinrxe_qp *qp);
int pinrxe_responder(struct pinrxe_qp *qp);

/* pinrxe_xfer.c: data-path state shared by the three stages */
void pinrxe_xfer_init(struct pinrxe_qp *qp);
void pinrxe_xfer_reset(struct pinrxe_qp *qp);
void pinrxe_xfer_cleanup(struct pinrxe_qp *qp);
enum ib_qp_state pinrxe_xfer_enter(struct pinrxe_qp *qp);
unsigned long pinrxe_xfer_retrans_jiffies(struct pinrxe_qp *qp);
void pinrxe_qp_rcv(struct pinrxe_qp *qp, struct sk_buff *skb);
struct sk_buff *pinrxe_xfer_next_pkt(struct pinrxe_qp *qp,
				     struct sk_buff_head *q);
int pinrxe_psn_cmp(u32 a, u32 b);
struct sk_buff *pinrxe_xfer_pkt(struct pinrxe_qp *qp,
				const struct pinrxe_av *av, u8 opcode,
				u32 payload_len, u32 psn, bool ackreq, bool se,
				u32 dest_qpn, struct pinrxe_pkt_info *pkt);
void pinrxe_xfer_send(struct pinrxe_qp *qp, struct sk_buff *skb,
		      struct pinrxe_pkt_info *pkt, const struct pinrxe_av *av);
void pinrxe_xfer_send_list(struct pinrxe_qp *qp, struct sk_buff_head *list);
/*
 * Packets of one message sent together (pinrxe_xfer_send_list()), and
 * their bytes with their transport headers: the whole, one UDP GSO packet,
 * must fit an IP packet's 64 KiB.
 */
#define PINRXE_XFER_BURST		32
#define PINRXE_XFER_BURST_BYTES		60000
#define PINRXE_XFER_PKT_OVERHEAD	64	/* headers and ICRC, at most */
void pinrxe_xfer_skip(const struct pinrxe_sge *sge, u32 num_sge, u32 *cur_sge,
		      u32 *sge_offset, u32 len);
void pinrxe_comp_wqe(struct pinrxe_qp *qp, struct pinrxe_swqe *swqe,
		     u32 status);

/* pinrxe_verbs.c */
int pinrxe_init_device(struct pinrxe_dev *pdev);

/* pinrxe_counters.c */
static inline void pinrxe_counter_add(struct pinrxe_dev *pdev,
				      enum pinrxe_counter counter, s64 n)
{
	atomic64_add(n, &pdev->counters[counter]);
}

static inline void pinrxe_counter_inc(struct pinrxe_dev *pdev,
				      enum pinrxe_counter counter)
{
	atomic64_inc(&pdev->counters[counter]);
}

struct rdma_hw_stats *pinrxe_alloc_hw_port_stats(struct ib_device *ibdev,
						 u32 port_num);
int pinrxe_get_hw_stats(struct ib_device *ibdev, struct rdma_hw_stats *stats,
			u32 port, int index);

/* pinrxe_net.c */
enum ib_port_state pinrxe_netdev_port_state(struct net_device *ndev);
void pinrxe_port_update(struct pinrxe_dev *pdev);
int pinrxe_net_init(void);
void pinrxe_net_exit(void);

#endif /* PINRXE_H */
