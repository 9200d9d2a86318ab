// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * On-demand paging (ODP) MRs: registration pins nothing; the data path
 * faults pages in when it touches them, and an mmu interval notifier
 * takes them away again whenever the CPU page tables change (munmap,
 * MADV_DONTNEED, mremap, migration, COW, writeback's page_mkclean), so
 * the mm stays free to reclaim, migrate and write back.
 *
 * ib_core's ib_umem_odp does the bookkeeping: per page of the range, the
 * page's "DMA address" with its permission in the low bits (dma_list).
 * This device has no DMA engine (no dma_device), so that address is the
 * page's kernel address, which the data path copies through.
 * ib_umem_odp_map_dma_and_lock() fills entries (hmm_range_fault() under
 * the notifier's read_begin/read_retry) and returns with umem_mutex held;
 * the notifier's invalidate callback empties them under umem_mutex.
 *
 * The data path runs in softirq as well, where umem_mutex cannot be
 * taken.  So each umem also has an rwlock (struct pinrxe_odp):
 *
 * - an access takes it for reading, checks that every page it needs is
 *   mapped with the permission it needs and is outside the range being
 *   invalidated, and copies while holding it: no mutex and no fault call
 *   when the pages are resident;
 * - the invalidate callback, holding umem_mutex, marks the range it is
 *   about to unmap under the lock taken for writing, which waits out the
 *   accesses in flight and keeps new ones off the range; then it unmaps
 *   (ib_umem_odp_unmap_dma_pages() also dirties the pages that were
 *   mapped writable) and clears the mark.  The unmap itself runs outside
 *   the spinlock: dirtying a file page takes the mapping's locks, which
 *   must not nest inside a lock softirqs take;
 * - an access that finds a page missing faults the range in when it may
 *   sleep and copies under umem_mutex, which keeps invalidations off
 *   until it is done; in softirq (the @atomic argument) it fails with
 *   -EAGAIN before it has changed anything, and the stage hands the
 *   packet, unchanged, to the QP's work item (PINRXE_STAGE_DEFER).
 *
 * Faults into one umem are serialised (@fault_mutex): the no-fault
 * mapping of a PREFETCH_NO_FAULT must not meet a page that another fault
 * mapped after its own look at the page tables (umem_odp.c warns then).
 *
 * Implicit ODP (start 0, length U64_MAX) covers the address space: a
 * root umem from ib_umem_odp_alloc_implicit() and children of
 * PINRXE_ODP_CHILD_SIZE, created on first use in process context and
 * kept, in an xarray the data path reads locklessly, until deregistration;
 * a missing child in softirq defers like a missing page.
 */
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/netlink.h>
#include <rdma/ib_umem_odp.h>
#include <rdma/rdma_netlink.h>
#include <rdma/restrack.h>

#include "pinrxe.h"

/* Implicit MRs: children of 64 MiB, aligned, each with its own notifier. */
#define PINRXE_ODP_CHILD_SHIFT	26
#define PINRXE_ODP_CHILD_SIZE	BIT_ULL(PINRXE_ODP_CHILD_SHIFT)

/*
 * A fault maps at least this much from the faulting address on (within
 * the umem), so a stream of packets into fresh memory takes one fault per
 * 64 KiB rather than one per page; it falls back to the exact range when
 * the rest is not mapped.
 */
#define PINRXE_ODP_FAULT_AROUND	SZ_64K

/* Access flags an ODP registration may carry. */
#define PINRXE_ODP_ACCESS	(PINRXE_MR_ACCESS | IB_ACCESS_ON_DEMAND | \
				 IB_ACCESS_HUGETLB)

enum pinrxe_odp_stat {
	PINRXE_ODP_FAULTS,
	PINRXE_ODP_PAGES_FAULTED,
	PINRXE_ODP_INVALIDATIONS,
	PINRXE_ODP_PREFETCHES,
	PINRXE_ODP_NUM_STATS,
};

/* The device counter each per-MR statistic also counts in. */
static const enum pinrxe_counter pinrxe_odp_dev_counter[] = {
	[PINRXE_ODP_FAULTS] = PINRXE_CNT_ODP_FAULTS,
	[PINRXE_ODP_PAGES_FAULTED] = PINRXE_CNT_ODP_PAGES_FAULTED,
	[PINRXE_ODP_INVALIDATIONS] = PINRXE_CNT_ODP_INVALIDATIONS,
	[PINRXE_ODP_PREFETCHES] = PINRXE_CNT_ODP_PREFETCHES,
};

/**
 * struct pinrxe_odp - one ODP umem as the data path uses it
 * @umem: ib_core's umem: notifier, page and DMA lists, umem_mutex; its
 *	@private points back here
 * @lock: taken for reading by accesses that use @umem's dma_list without
 *	umem_mutex, for writing by the invalidate callback to set and clear
 *	@inval_start/@inval_end
 * @inval_start: first address of the range an invalidation is unmapping
 * @inval_end: the address after it; equal to @inval_start when none is
 * @fault_mutex: serialises the calls that map pages into @umem
 * @modp: the MR's ODP state, for its statistics
 */
struct pinrxe_odp {
	struct ib_umem_odp *umem;
	rwlock_t lock;	/* see above */
	unsigned long inval_start;
	unsigned long inval_end;
	struct mutex fault_mutex;	/* see above */
	struct pinrxe_mr_odp *modp;
};

/**
 * struct pinrxe_mr_odp - the ODP state of one MR
 * @pdev: the device, for its counters (the MR's ibmr.device is set by
 *	ib_core only once registration returns, and a notifier may fire
 *	before)
 * @start: explicit: the user address the MR starts at
 * @odp: explicit: its one umem; NULL for an implicit MR
 * @root: implicit: the root umem, which only anchors the children
 * @mm: implicit: the owning mm, grabbed so children can be made later
 * @children: implicit: struct pinrxe_odp by address >> PINRXE_ODP_CHILD_SHIFT
 * @child_mutex: serialises the creation of children
 * @stats: enum pinrxe_odp_stat counts, shown by `rdma resource show mr`
 */
struct pinrxe_mr_odp {
	struct pinrxe_dev *pdev;
	unsigned long start;
	struct pinrxe_odp *odp;
	struct ib_umem_odp *root;
	struct mm_struct *mm;
	struct xarray children;
	struct mutex child_mutex;	/* see above */
	atomic64_t stats[PINRXE_ODP_NUM_STATS];
};

/* Runs asynchronous prefetches (advise_mr without FLUSH). */
static struct workqueue_struct *pinrxe_odp_wq;

static void pinrxe_odp_count(struct pinrxe_mr_odp *modp,
			     enum pinrxe_odp_stat stat, s64 n)
{
	atomic64_add(n, &modp->stats[stat]);
	pinrxe_counter_add(modp->pdev, pinrxe_odp_dev_counter[stat], n);
}

/*
 * The mmu interval notifier's callback: the pages of @range are about to
 * go or change.  Returns only once no access uses them any more.
 */
static bool pinrxe_odp_invalidate(struct mmu_interval_notifier *mni,
				  const struct mmu_notifier_range *range,
				  unsigned long cur_seq)
{
	struct ib_umem_odp *umem = container_of(mni, struct ib_umem_odp,
						notifier);
	struct pinrxe_odp *odp;
	unsigned long start, end;
	int mapped;

	if (mmu_notifier_range_blockable(range))
		mutex_lock(&umem->umem_mutex);
	else if (!mutex_trylock(&umem->umem_mutex))
		return false;
	mmu_interval_set_seq(mni, cur_seq);
	odp = umem->private;
	mapped = umem->npages;
	/* Nothing mapped (e.g. still registering): no access can race. */
	if (!odp || !mapped)
		goto out;
	start = max(range->start, ib_umem_start(umem));
	end = min(range->end, ib_umem_end(umem));
	write_lock_bh(&odp->lock);
	odp->inval_start = start;
	odp->inval_end = end;
	write_unlock_bh(&odp->lock);
	ib_umem_odp_unmap_dma_pages(umem, start, end);
	write_lock_bh(&odp->lock);
	odp->inval_start = 0;
	odp->inval_end = 0;
	write_unlock_bh(&odp->lock);
	if (umem->npages != mapped)
		pinrxe_odp_count(odp->modp, PINRXE_ODP_INVALIDATIONS, 1);
out:
	mutex_unlock(&umem->umem_mutex);
	return true;
}

static const struct mmu_interval_notifier_ops pinrxe_odp_ops = {
	.invalidate = pinrxe_odp_invalidate,
};

/*
 * Whether every page of [@va, @va + @len) is mapped with @perm and not
 * being invalidated.  Under @odp->lock, or umem_mutex.
 */
static bool pinrxe_odp_mapped(struct pinrxe_odp *odp, unsigned long va,
			      u64 len, u64 perm)
{
	struct ib_umem_odp *umem = odp->umem;
	unsigned long base = ib_umem_start(umem);
	unsigned long i, last;

	if (va < odp->inval_end && va + len > odp->inval_start)
		return false;
	last = (va + len - 1 - base) >> umem->page_shift;
	for (i = (va - base) >> umem->page_shift; i <= last; i++)
		if ((READ_ONCE(umem->dma_list[i]) & perm) != perm)
			return false;
	return true;
}

/*
 * Hand each page-sized chunk of a mapped range to @fn.  Always inlined so
 * that a caller passing a constant @fn (the resident copy below) gets a
 * direct memcpy per page instead of an indirect call.
 */
static __always_inline void pinrxe_odp_walk(struct pinrxe_odp *odp,
					    unsigned long va, u64 len,
					    pinrxe_odp_fn fn, void *ctx)
{
	struct ib_umem_odp *umem = odp->umem;
	unsigned long base = ib_umem_start(umem);
	u64 psize = BIT_ULL(umem->page_shift);

	while (len) {
		unsigned long idx = (va - base) >> umem->page_shift;
		u64 off = (va - base) & (psize - 1);
		u32 n = min_t(u64, len, psize - off);
		void *kva;

		kva = (void *)(uintptr_t)(READ_ONCE(umem->dma_list[idx]) &
					  ODP_DMA_ADDR_MASK);
		fn(kva + off, n, ctx);
		va += n;
		len -= n;
	}
}

/*
 * Map [@va, @va + @len) of @odp: fault the pages in (@fault), or take only
 * those present.  Sleeps.  Returns 0 with umem_mutex held, or -EFAULT:
 * the range is not mapped, cannot be written though @write asks, or the
 * owning process is gone.
 */
static int pinrxe_odp_map(struct pinrxe_odp *odp, unsigned long va, u64 len,
			  bool write, bool fault)
{
	struct ib_umem_odp *umem = odp->umem;
	u64 mask = ODP_READ_ALLOWED_BIT;
	int ret;

	/* Map writable what may be written, so a later write needs no fault. */
	if (umem->umem.writable)
		mask |= ODP_WRITE_ALLOWED_BIT;
	mutex_lock(&odp->fault_mutex);
	ret = ib_umem_odp_map_dma_and_lock(umem, va, len, mask, fault);
	if (ret < 0 && fault && !write && (mask & ODP_WRITE_ALLOWED_BIT))
		/* A read of a mapping that cannot be written: read-only. */
		ret = ib_umem_odp_map_dma_and_lock(umem, va, len,
						   ODP_READ_ALLOWED_BIT, true);
	mutex_unlock(&odp->fault_mutex);
	if (ret < 0)
		return -EFAULT;
	if (fault) {
		pinrxe_odp_count(odp->modp, PINRXE_ODP_FAULTS, 1);
		pinrxe_odp_count(odp->modp, PINRXE_ODP_PAGES_FAULTED, ret);
	}
	return 0;
}

/* An access within one umem; see pinrxe_odp_access(). */
static int pinrxe_odp_access_one(struct pinrxe_odp *odp, unsigned long va,
				 u64 len, bool write, bool atomic,
				 pinrxe_odp_fn fn, void *ctx)
{
	u64 perm = ODP_READ_ALLOWED_BIT | (write ? ODP_WRITE_ALLOWED_BIT : 0);
	u64 around;
	int ret;

	read_lock_bh(&odp->lock);
	if (likely(pinrxe_odp_mapped(odp, va, len, perm))) {
		if (fn)
			pinrxe_odp_walk(odp, va, len, fn, ctx);
		read_unlock_bh(&odp->lock);
		return 0;
	}
	read_unlock_bh(&odp->lock);
	if (atomic)
		return -EAGAIN;
	around = min_t(u64, max_t(u64, len, PINRXE_ODP_FAULT_AROUND),
		       ib_umem_end(odp->umem) - va);
	ret = pinrxe_odp_map(odp, va, around, write, true);
	if (ret && around > len)
		ret = pinrxe_odp_map(odp, va, len, write, true);
	if (ret)
		return ret;
	/* umem_mutex keeps invalidations off until the access is done. */
	if (!pinrxe_odp_mapped(odp, va, len, perm))
		ret = -EFAULT;
	else if (fn)
		pinrxe_odp_walk(odp, va, len, fn, ctx);
	mutex_unlock(&odp->umem->umem_mutex);
	return ret;
}

static struct pinrxe_odp *pinrxe_odp_alloc(struct pinrxe_mr_odp *modp)
{
	struct pinrxe_odp *odp = kzalloc(sizeof(*odp), GFP_KERNEL);

	if (!odp)
		return NULL;
	rwlock_init(&odp->lock);
	mutex_init(&odp->fault_mutex);
	odp->modp = modp;
	return odp;
}

/* Tie a new umem and its pinrxe_odp together, for the notifier. */
static void pinrxe_odp_attach(struct pinrxe_odp *odp,
			      struct ib_umem_odp *umem)
{
	odp->umem = umem;
	mutex_lock(&umem->umem_mutex);
	umem->private = odp;
	mutex_unlock(&umem->umem_mutex);
}

/* Unmap everything, remove the notifier, free.  Sleeps. */
static void pinrxe_odp_free(struct pinrxe_odp *odp)
{
	ib_umem_odp_release(odp->umem);
	mutex_destroy(&odp->fault_mutex);
	kfree(odp);
}

/* Create the child of an implicit MR holding @va.  Process context. */
static struct pinrxe_odp *pinrxe_odp_new_child(struct pinrxe_mr_odp *modp,
					       unsigned long va)
{
	unsigned long index = va >> PINRXE_ODP_CHILD_SHIFT;
	struct ib_umem_odp *umem;
	struct pinrxe_odp *odp;
	int ret;

	odp = pinrxe_odp_alloc(modp);
	if (!odp)
		return ERR_PTR(-ENOMEM);
	umem = ib_umem_odp_alloc_child(modp->root,
				       index << PINRXE_ODP_CHILD_SHIFT,
				       PINRXE_ODP_CHILD_SIZE, &pinrxe_odp_ops);
	if (IS_ERR(umem)) {
		kfree(odp);
		return ERR_CAST(umem);
	}
	pinrxe_odp_attach(odp, umem);
	/* Published complete: the data path loads it without a lock. */
	ret = xa_err(xa_store(&modp->children, index, odp, GFP_KERNEL));
	if (ret) {
		pinrxe_odp_free(odp);
		return ERR_PTR(ret);
	}
	return odp;
}

/*
 * The umem holding @va: the MR's own, or an implicit MR's child, made
 * now if it may sleep (!@atomic).  NULL with @err: -EAGAIN (a child is
 * missing in softirq), -EFAULT (it cannot be made).
 */
static struct pinrxe_odp *pinrxe_odp_lookup(struct pinrxe_mr_odp *modp,
					    unsigned long va, bool atomic,
					    int *err)
{
	unsigned long index = va >> PINRXE_ODP_CHILD_SHIFT;
	struct pinrxe_odp *odp;

	if (modp->odp)
		return modp->odp;
	odp = xa_load(&modp->children, index);
	if (likely(odp))
		return odp;
	if (atomic) {
		*err = -EAGAIN;
		return NULL;
	}
	mutex_lock(&modp->child_mutex);
	odp = xa_load(&modp->children, index);
	if (!odp)
		odp = pinrxe_odp_new_child(modp, va);
	mutex_unlock(&modp->child_mutex);
	if (IS_ERR(odp)) {
		*err = -EFAULT;
		return NULL;
	}
	return odp;
}

/* The user address of @iova, which pinrxe_mr_get() checked. */
static unsigned long pinrxe_odp_va(struct pinrxe_mr *mr, u64 iova)
{
	struct pinrxe_mr_odp *modp = mr->odp;

	return modp->odp ? modp->start + (iova - mr->iova) : iova;
}

/*
 * Split [@va, @va + @len) at umem boundaries and call @step on each
 * piece; an implicit MR's range must lie in user space.
 */
static int pinrxe_odp_for_each(struct pinrxe_mr_odp *modp, unsigned long va,
			       u64 len, bool atomic,
			       int (*step)(struct pinrxe_odp *odp,
					   unsigned long va, u64 len,
					   void *arg),
			       void *arg)
{
	struct pinrxe_odp *odp;
	int err = 0;

	if (!modp->odp && (va >= TASK_SIZE_MAX || len > TASK_SIZE_MAX - va))
		return -EFAULT;
	while (len) {
		u64 n;

		odp = pinrxe_odp_lookup(modp, va, atomic, &err);
		if (!odp)
			return err;
		n = min_t(u64, len, ib_umem_end(odp->umem) - va);
		err = step(odp, va, n, arg);
		if (err)
			return err;
		va += n;
		len -= n;
	}
	return 0;
}

struct pinrxe_odp_access_args {
	bool write;
	bool atomic;
	pinrxe_odp_fn fn;
	void *ctx;
};

static int pinrxe_odp_access_step(struct pinrxe_odp *odp, unsigned long va,
				  u64 len, void *arg)
{
	struct pinrxe_odp_access_args *a = arg;

	return pinrxe_odp_access_one(odp, va, len, a->write, a->atomic, a->fn,
				     a->ctx);
}

/**
 * pinrxe_odp_access() - use the pages behind part of an ODP MR
 * @mr: an ODP MR, held, with [@iova, @iova + @len) checked by
 *	pinrxe_mr_get()
 * @iova: first byte
 * @len: bytes
 * @write: the access writes (the pages must be mapped writable)
 * @atomic: the caller must not sleep: missing pages are not faulted in
 * @fn: called for each page-sized chunk with its kernel address while the
 *	pages are known to stay, in address order; may not sleep.  NULL only
 *	makes the pages resident
 * @ctx: for @fn
 *
 * A chunk handed to @fn before a failure may be handed to it again when
 * the caller retries: callers make their steps restartable.
 *
 * Return: 0; -EAGAIN when @atomic and a page (or an implicit MR's child)
 * is missing; -EFAULT when a fault fails (the address is not mapped, or
 * not writable though @write asks, or the owning process is gone).
 */
int pinrxe_odp_access(struct pinrxe_mr *mr, u64 iova, u64 len, bool write,
		      bool atomic, pinrxe_odp_fn fn, void *ctx)
{
	struct pinrxe_odp_access_args a = {
		.write = write, .atomic = atomic, .fn = fn, .ctx = ctx,
	};

	if (!len)
		return 0;
	return pinrxe_odp_for_each(mr->odp, pinrxe_odp_va(mr, iova), len,
				   atomic, pinrxe_odp_access_step, &a);
}

/* Chunk callbacks of pinrxe_odp_copy_resident(): @ctx is the buffer cursor. */
static __always_inline void pinrxe_odp_copy_in(void *kva, u32 n, void *ctx)
{
	void **buf = ctx;

	memcpy(kva, *buf, n);
	*buf += n;
}

static __always_inline void pinrxe_odp_copy_out(void *kva, u32 n, void *ctx)
{
	void **buf = ctx;

	memcpy(*buf, kva, n);
	*buf += n;
}

/**
 * pinrxe_odp_copy_resident() - copy between an explicit ODP MR and a
 *	kernel buffer if its pages are resident
 * @mr: an ODP MR, held, with [@iova, @iova + @len) checked by
 *	pinrxe_mr_get()
 * @iova: first byte
 * @buf: the kernel buffer
 * @len: bytes
 * @to_mr: copy into the MR (its pages must be mapped writable)
 *
 * The packet-sized copy every request and response makes, done in one
 * function: one read section of the umem's lock, the residency check and
 * the copy, page by page, with the per-page step inlined.  The general path
 * (pinrxe_odp_access()) splits the range over umems and hands each page to
 * a callback; for a packet of an explicit MR that is two indirect calls
 * and a chain of nested calls per packet, on the one worker that carries
 * a busy QP's requester and responder.
 *
 * Return: true when the copy is done; false, with nothing copied, when the
 * MR is implicit or a page is not resident with the permission needed (or
 * is being invalidated): the caller takes pinrxe_odp_access(), which
 * faults pages in or defers.
 */
bool pinrxe_odp_copy_resident(struct pinrxe_mr *mr, u64 iova, void *buf,
			      u32 len, bool to_mr)
{
	struct pinrxe_odp *odp = mr->odp->odp;
	u64 perm = ODP_READ_ALLOWED_BIT | (to_mr ? ODP_WRITE_ALLOWED_BIT : 0);
	unsigned long va;

	if (!odp || !len)
		return false;
	va = pinrxe_odp_va(mr, iova);
	read_lock_bh(&odp->lock);
	if (unlikely(!pinrxe_odp_mapped(odp, va, len, perm))) {
		read_unlock_bh(&odp->lock);
		return false;
	}
	/* Two calls with constant callbacks: each inlines to a memcpy loop. */
	if (to_mr)
		pinrxe_odp_walk(odp, va, len, pinrxe_odp_copy_in, &buf);
	else
		pinrxe_odp_walk(odp, va, len, pinrxe_odp_copy_out, &buf);
	read_unlock_bh(&odp->lock);
	return true;
}

/**
 * pinrxe_odp_reg_user_mr() - register user memory for on-demand paging
 * @ibpd: the protection domain
 * @start: user address; 0 with @length U64_MAX registers the whole
 *	address space (implicit ODP)
 * @length: bytes
 * @iova: the address the region is known by; 0 for implicit ODP
 * @access: IB_ACCESS_* flags, with IB_ACCESS_ON_DEMAND; IB_ACCESS_HUGETLB
 *	maps the (explicit) range in huge pages, which must back it
 * @udata: no driver-private data
 *
 * Nothing is pinned or charged to RLIMIT_MEMLOCK: only an mmu interval
 * notifier is registered.
 *
 * Return: the MR, or an ERR_PTR: -EINVAL for a range or iova that cannot
 * be registered, -EOPNOTSUPP for unknown access flags (or a kernel with
 * high memory, whose pages have no permanent kernel address), -ENOMEM.
 */
struct ib_mr *pinrxe_odp_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
				     u64 iova, int access,
				     struct ib_udata *udata)
{
	struct pinrxe_dev *pdev = to_pdev(ibpd->device);
	bool implicit = !start && length == U64_MAX;
	struct pinrxe_mr_odp *modp;
	struct ib_umem_odp *umem;
	struct pinrxe_mr *mr;
	int ret;

	if (IS_ENABLED(CONFIG_HIGHMEM) || (access & ~PINRXE_ODP_ACCESS))
		return ERR_PTR(-EOPNOTSUPP);
	if (!(access & IB_ACCESS_ON_DEMAND) || !length)
		return ERR_PTR(-EINVAL);
	if (implicit && (iova || (access & IB_ACCESS_HUGETLB)))
		return ERR_PTR(-EINVAL);

	mr = kzalloc(sizeof(*mr), GFP_KERNEL);
	modp = kzalloc(sizeof(*modp), GFP_KERNEL);
	if (!mr || !modp) {
		ret = -ENOMEM;
		goto err_free;
	}
	modp->pdev = pdev;
	modp->start = start;
	xa_init(&modp->children);
	mutex_init(&modp->child_mutex);
	mr->odp = modp;

	if (implicit) {
		umem = ib_umem_odp_alloc_implicit(&pdev->ib_dev, access);
		if (IS_ERR(umem)) {
			ret = PTR_ERR(umem);
			goto err_free;
		}
		modp->root = umem;
		/* Children are made later, from the data path's contexts. */
		modp->mm = current->mm;
		mmgrab(modp->mm);
	} else {
		modp->odp = pinrxe_odp_alloc(modp);
		if (!modp->odp) {
			ret = -ENOMEM;
			goto err_free;
		}
		umem = ib_umem_odp_get(&pdev->ib_dev, start, length, access,
				       &pinrxe_odp_ops);
		if (IS_ERR(umem)) {
			kfree(modp->odp);
			modp->odp = NULL;
			ret = PTR_ERR(umem);
			goto err_free;
		}
		pinrxe_odp_attach(modp->odp, umem);
	}
	/* From here pinrxe_odp_release() takes it down, and counts it out. */
	atomic_inc(&pdev->odp_mrs);

	mr->type = IB_MR_TYPE_USER;
	mr->iova = iova;
	mr->length = length;
	mr->offset = start & ~PAGE_MASK;
	mr->access = access;
	refcount_set(&mr->ref, 1);
	mr->state = PINRXE_MR_VALID;
	ret = pinrxe_mr_publish(pdev, mr, GFP_KERNEL);
	if (ret)
		goto err_release;
	return &mr->ibmr;

err_release:
	pinrxe_odp_release(mr);
	kfree(mr);
	return ERR_PTR(ret);
err_free:
	kfree(modp);
	kfree(mr);
	return ERR_PTR(ret);
}

/**
 * pinrxe_odp_release() - release an MR's ODP state: unmap every page,
 *	remove every notifier, free
 * @mr: the MR, no longer used by the data path; may be a non-ODP MR
 *
 * Sleeps.
 */
void pinrxe_odp_release(struct pinrxe_mr *mr)
{
	struct pinrxe_mr_odp *modp = mr->odp;
	struct pinrxe_odp *odp;
	unsigned long index;

	if (!modp)
		return;
	if (modp->odp)
		pinrxe_odp_free(modp->odp);
	xa_for_each(&modp->children, index, odp)
		pinrxe_odp_free(odp);
	xa_destroy(&modp->children);
	if (modp->root)
		ib_umem_odp_release(modp->root);
	if (modp->mm)
		mmdrop(modp->mm);
	/* Every notifier of the MR is removed: it no longer counts as live. */
	atomic_dec(&modp->pdev->odp_mrs);
	mutex_destroy(&modp->child_mutex);
	kfree(modp);
	mr->odp = NULL;
}

/* Whether an ODP MR's pages were mapped for writing at registration. */
static bool pinrxe_odp_writable(struct pinrxe_mr_odp *modp)
{
	return modp->odp ? modp->odp->umem->umem.writable :
			   modp->root->umem.writable;
}

/**
 * pinrxe_odp_rereg_check() - whether rereg may change an MR as asked,
 *	where on-demand paging is involved
 * @mr: the MR
 * @flags: IB_MR_REREG_* flags
 * @access: the access flags the MR would have
 *
 * An ODP MR may change PD and access rights in place, but not its
 * translation (its notifiers cover the old range), not between pinning
 * and ODP either way, and not to writable when its pages are mapped
 * read-only (ib_umem_odp fixes that at registration).
 *
 * Return: 0, or -EOPNOTSUPP.
 */
int pinrxe_odp_rereg_check(struct pinrxe_mr *mr, int flags, int access)
{
	bool odp = access & IB_ACCESS_ON_DEMAND;

	if (!mr->odp != !odp)
		return -EOPNOTSUPP;
	if (!odp)
		return 0;
	if ((flags & IB_MR_REREG_TRANS) || (access & ~PINRXE_ODP_ACCESS) ||
	    ((access ^ mr->access) & IB_ACCESS_HUGETLB))
		return -EOPNOTSUPP;
	if (ib_access_writable(access) && !pinrxe_odp_writable(mr->odp))
		return -EOPNOTSUPP;
	return 0;
}

/* One range of a prefetch: the MR, held, and where. */
struct pinrxe_prefetch_ent {
	struct pinrxe_mr *mr;
	u64 iova;
	u64 len;
};

struct pinrxe_prefetch {
	struct work_struct work;
	enum ib_uverbs_advise_mr_advice advice;
	u32 num;
	struct pinrxe_prefetch_ent ent[];
};

static int pinrxe_prefetch_step(struct pinrxe_odp *odp, unsigned long va,
				u64 len, void *arg)
{
	enum ib_uverbs_advise_mr_advice advice = *(int *)arg;
	int ret;

	ret = pinrxe_odp_map(odp, va, len,
			     advice == IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_WRITE,
			     advice != IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT);
	if (ret)
		return ret;
	mutex_unlock(&odp->umem->umem_mutex);
	return 0;
}

/* Run a prefetch and drop its MR references; the first error counts. */
static int pinrxe_prefetch_run(struct pinrxe_prefetch *pf)
{
	int advice = pf->advice, ret = 0, err;
	u32 i;

	for (i = 0; i < pf->num; i++) {
		struct pinrxe_prefetch_ent *e = &pf->ent[i];
		struct pinrxe_mr_odp *modp = e->mr->odp;

		err = e->len ? pinrxe_odp_for_each(modp,
						   pinrxe_odp_va(e->mr, e->iova),
						   e->len, false,
						   pinrxe_prefetch_step,
						   &advice) : 0;
		if (!err)
			pinrxe_odp_count(modp, PINRXE_ODP_PREFETCHES, 1);
		if (err && !ret)
			ret = err;
		pinrxe_mr_put(e->mr);
	}
	return ret;
}

static void pinrxe_prefetch_work(struct work_struct *work)
{
	struct pinrxe_prefetch *pf = container_of(work, struct pinrxe_prefetch,
						  work);

	/* Nobody to tell: a failed prefetch leaves faults for later. */
	pinrxe_prefetch_run(pf);
	kvfree(pf);
}

/*
 * Resolve one SGE of an advice: an ODP MR of @pd covering it, with write
 * access for PREFETCH_WRITE.
 */
static int pinrxe_prefetch_get(struct pinrxe_dev *pdev, struct ib_pd *pd,
			       const struct ib_sge *sge,
			       enum ib_uverbs_advise_mr_advice advice,
			       struct pinrxe_prefetch_ent *e)
{
	int access = advice == IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_WRITE ?
		     IB_ACCESS_LOCAL_WRITE : 0;
	struct pinrxe_mr *mr;
	int err;

	mr = pinrxe_mr_get(pdev, sge->lkey, PINRXE_LOOKUP_LOCAL, pd, access,
			   sge->addr, sge->length, &err);
	if (!mr)
		return err == -EINVAL ? -ENOENT : -EINVAL;
	if (!mr->odp) {
		pinrxe_mr_put(mr);
		return -EINVAL;
	}
	e->mr = mr;
	e->iova = sge->addr;
	e->len = sge->length;
	return 0;
}

/**
 * pinrxe_advise_mr() - ibv_advise_mr(): prefetch ranges of ODP MRs
 * @ibpd: the PD the SGEs' lkeys must belong to
 * @advice: PREFETCH (map for reading, or writing where the MR may be
 *	written), PREFETCH_WRITE (map writable), PREFETCH_NO_FAULT (map only
 *	the pages present now, faulting nothing)
 * @flags: IB_UVERBS_ADVISE_MR_FLAG_FLUSH: done when this returns;
 *	otherwise queued, holding its MRs, which deregistration then waits for
 * @sg_list: the ranges: lkey, address, length
 * @num_sge: entries in @sg_list
 * @attrs: unused
 *
 * Return: 0; -EOPNOTSUPP for another advice or flag; -ENOENT for an lkey
 * that names no MR of @ibpd; -EINVAL for an MR that is not ODP, lacks
 * write access for PREFETCH_WRITE, or does not cover the range; -ENOMEM;
 * with FLUSH, -EFAULT when a range cannot be faulted in.
 */
int pinrxe_advise_mr(struct ib_pd *ibpd,
		     enum ib_uverbs_advise_mr_advice advice, u32 flags,
		     struct ib_sge *sg_list, u32 num_sge,
		     struct uverbs_attr_bundle *attrs)
{
	struct pinrxe_dev *pdev = to_pdev(ibpd->device);
	struct pinrxe_prefetch *pf;
	int ret = 0;
	u32 i;

	if (advice != IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH &&
	    advice != IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_WRITE &&
	    advice != IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT)
		return -EOPNOTSUPP;
	if (flags & ~IB_UVERBS_ADVISE_MR_FLAG_FLUSH)
		return -EOPNOTSUPP;

	pf = kvzalloc(struct_size(pf, ent, num_sge), GFP_KERNEL);
	if (!pf)
		return -ENOMEM;
	pf->advice = advice;
	for (i = 0; i < num_sge; i++) {
		ret = pinrxe_prefetch_get(pdev, ibpd, &sg_list[i], advice,
					  &pf->ent[i]);
		if (ret)
			break;
		pf->num = i + 1;
	}
	if (ret || (flags & IB_UVERBS_ADVISE_MR_FLAG_FLUSH)) {
		if (ret)
			/* Nothing done: only the references go. */
			for (i = 0; i < pf->num; i++)
				pinrxe_mr_put(pf->ent[i].mr);
		else
			ret = pinrxe_prefetch_run(pf);
		kvfree(pf);
		return ret;
	}
	INIT_WORK(&pf->work, pinrxe_prefetch_work);
	queue_work(pinrxe_odp_wq, &pf->work);
	return 0;
}

static void pinrxe_odp_fault_work(struct work_struct *work)
{
	struct pinrxe_odp_fault *f = container_of(work, struct pinrxe_odp_fault,
						  work);

	f->err = pinrxe_odp_access(f->mr, f->iova, f->len, f->write, false,
				   NULL, NULL);
	pinrxe_mr_put(f->mr);
	complete_all(&f->done);
}

/**
 * pinrxe_odp_fault_init() - set up an idle asynchronous fault
 * @f: the fault, in its owner's memory
 *
 * Idle means done: pinrxe_odp_fault_busy() is false until the first
 * pinrxe_odp_fault_start().
 */
void pinrxe_odp_fault_init(struct pinrxe_odp_fault *f)
{
	INIT_WORK(&f->work, pinrxe_odp_fault_work);
	init_completion(&f->done);
	complete_all(&f->done);
}

/**
 * pinrxe_odp_fault_start() - fault part of an ODP MR in on the ODP workqueue
 * @f: an idle fault (!pinrxe_odp_fault_busy())
 * @mr: an ODP MR, held by the caller, with [@iova, @iova + @len) checked;
 *	the fault takes a reference of its own, so that deregistration waits
 *	for it as for any other user
 * @key: the key the caller reached @mr by, kept for it to recognise the
 *	fault by later (@f->key)
 * @iova: first byte
 * @len: bytes
 * @write: map the pages writable
 *
 * For a caller that must not wait for a long fault: it goes on, and finds
 * the outcome in @f->err once @f->done completes.
 */
void pinrxe_odp_fault_start(struct pinrxe_odp_fault *f, struct pinrxe_mr *mr,
			    u32 key, u64 iova, u64 len, bool write)
{
	refcount_inc(&mr->ref);
	f->mr = mr;
	f->key = key;
	f->iova = iova;
	f->len = len;
	f->write = write;
	f->err = 0;
	reinit_completion(&f->done);
	queue_work(pinrxe_odp_wq, &f->work);
}

/**
 * pinrxe_odp_fault_busy() - whether a fault started is still running
 * @f: the fault
 *
 * Return: true until the fault's outcome is in @f->err.
 */
bool pinrxe_odp_fault_busy(struct pinrxe_odp_fault *f)
{
	return !completion_done(&f->done);
}

/**
 * pinrxe_odp_fault_cancel() - stop a fault before its owner goes away
 * @f: the fault
 *
 * One not started yet is dropped with its MR reference; one running is
 * waited for.  May sleep.
 */
void pinrxe_odp_fault_cancel(struct pinrxe_odp_fault *f)
{
	if (cancel_work_sync(&f->work)) {
		pinrxe_mr_put(f->mr);
		complete_all(&f->done);
	}
}

/*
 * A pinned MR's pages, in all and by folio size: how much of the
 * registration huge pages back is what pinning them costs in
 * fragmentation (a 4 KiB pin holds its whole folio in place).
 */
static int pinrxe_fill_res_pins(struct sk_buff *msg,
				const struct pinrxe_pins *pins)
{
	static const char * const names[] = {
		[PINRXE_FOLIO_4K] = "folio_4k",
		[PINRXE_FOLIO_64K] = "folio_64k",
		[PINRXE_FOLIO_2M] = "folio_2m",
		[PINRXE_FOLIO_1G] = "folio_1g",
	};
	int i;

	if (rdma_nl_put_driver_u64(msg, "pinned_pages", pins->npages))
		return -EMSGSIZE;
	for (i = 0; i < PINRXE_FOLIO_NUM_CLASSES; i++)
		if (rdma_nl_put_driver_u64(msg, names[i],
					   pins->folio_pages[i]))
			return -EMSGSIZE;
	return 0;
}

/**
 * pinrxe_fill_res_mr_entry() - an MR's driver attributes for
 *	`rdma resource show mr -dd`
 * @msg: the netlink message
 * @ibmr: the MR
 *
 * User MRs show the path they took (pinrxe_mr_fill_res_path()); ODP MRs
 * whether they are implicit and their fault, page, invalidation and
 * prefetch counts; pinned user MRs the pages they pin, in all and by
 * folio size (folio_4k, folio_64k, folio_2m, folio_1g).
 *
 * Return: 0, or -EMSGSIZE when the message is full.
 */
int pinrxe_fill_res_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr)
{
	static const char * const names[] = {
		[PINRXE_ODP_FAULTS] = "faults",
		[PINRXE_ODP_PAGES_FAULTED] = "pages_faulted",
		[PINRXE_ODP_INVALIDATIONS] = "invalidations",
		[PINRXE_ODP_PREFETCHES] = "prefetches",
	};
	struct pinrxe_mr *mr = to_pmr(ibmr);
	struct pinrxe_mr_odp *modp = mr->odp;
	struct nlattr *table;
	int i;

	table = nla_nest_start_noflag(msg, RDMA_NLDEV_ATTR_DRIVER);
	if (!table)
		return -EMSGSIZE;
	/* The path it took first: pinned or ODP, and why (pinrxe_mr.c). */
	if (pinrxe_mr_fill_res_path(msg, mr) ||
	    rdma_nl_put_driver_u32(msg, "odp", !!modp))
		goto err;
	if (modp) {
		if (rdma_nl_put_driver_u32(msg, "implicit", !modp->odp))
			goto err;
		for (i = 0; i < PINRXE_ODP_NUM_STATS; i++)
			if (rdma_nl_put_driver_u64(msg, names[i],
						   atomic64_read(&modp->stats[i])))
				goto err;
	} else if (mr->type == IB_MR_TYPE_USER &&
		   pinrxe_fill_res_pins(msg, &mr->pins)) {
		goto err;
	}
	nla_nest_end(msg, table);
	return 0;

err:
	nla_nest_cancel(msg, table);
	return -EMSGSIZE;
}

/**
 * pinrxe_odp_module_init() - create the workqueue asynchronous prefetches
 *	run on
 *
 * Return: 0 or -ENOMEM.
 */
int pinrxe_odp_module_init(void)
{
	pinrxe_odp_wq = alloc_workqueue("pinrxe_odp", WQ_UNBOUND, 0);
	return pinrxe_odp_wq ? 0 : -ENOMEM;
}

/**
 * pinrxe_odp_module_exit() - wait for prefetches and destroy the workqueue
 */
void pinrxe_odp_module_exit(void)
{
	destroy_workqueue(pinrxe_odp_wq);
}
