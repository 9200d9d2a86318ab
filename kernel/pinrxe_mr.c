// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory registration with long-term pins, following the FOLL_PIN rules:
 *
 * - pages are pinned with pin_user_pages_fast(FOLL_LONGTERM), plus
 *   FOLL_WRITE when the region may be written, so the kernel can migrate
 *   them out of ZONE_MOVABLE/CMA first, refuse file pages that need dirty
 *   tracking, and break COW before the device sees the page;
 * - the pins are charged to mm->pinned_vm against RLIMIT_MEMLOCK
 *   (CAP_IPC_LOCK exempts), before anything is pinned, so a registration
 *   over the limit pins nothing;
 * - deregistration unpins with unpin_user_pages_dirty_lock(), dirtying
 *   exactly when the pages were pinned for writing, so writeback sees what
 *   the device wrote;
 * - every failure undoes every pin and every bit of accounting;
 * - when the pins cannot be had because of RLIMIT_MEMLOCK or because the
 *   kernel refuses the long-term pin, and the caller allowed it (or the
 *   odp_fallback module parameter made it the default), the registration
 *   becomes an on-demand paging one (pinrxe_odp.c), which pins nothing;
 *   the MR records which path it took and why.
 *
 * The MRs of kernel consumers (the DMA MR, fast-registration MRs) live in
 * pinrxe_kmr.c; they share the key space, the lookups and the state rules
 * here, and memory windows (pinrxe_mw.c) share the key space too.  Every
 * data-path access, local or remote, goes through pinrxe_mr_get(), or
 * for a window's rkey through pinrxe_rkey_get(); both hand out VALID MRs
 * only: a deregistered, invalidated or not yet registered key fails.
 */
#include <linux/backing-dev.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/wait_bit.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <net/netlink.h>
#include <rdma/rdma_netlink.h>
#include <rdma/restrack.h>

#include "pinrxe.h"

/* Pages handed to one pin_user_pages_fast() call: one page of pointers. */
#define PINRXE_PIN_BATCH (PAGE_SIZE / sizeof(struct page *))

static bool pinrxe_odp_fallback;
module_param_named(odp_fallback, pinrxe_odp_fallback, bool, 0644);
MODULE_PARM_DESC(odp_fallback,
		 "register as ODP when pinning hits RLIMIT_MEMLOCK or the kernel refuses the long-term pin, unless the caller forbids it (default: only when the caller asks)");

/* Pinned registrations; on-demand paging has its own (pinrxe_odp.c). */
static int pinrxe_check_access(int access)
{
	if (access & ~PINRXE_MR_ACCESS)
		return -EOPNOTSUPP;
	return 0;
}

/* Charge @npages to @mm->pinned_vm, within RLIMIT_MEMLOCK. */
static int pinrxe_charge(struct mm_struct *mm, unsigned long npages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	s64 pinned = atomic64_add_return(npages, &mm->pinned_vm);

	if (pinned > limit && !capable(CAP_IPC_LOCK)) {
		atomic64_sub(npages, &mm->pinned_vm);
		return -ENOMEM;
	}
	return 0;
}

/* The restrack size class of the folio holding @page. */
static enum pinrxe_folio_class pinrxe_folio_class(struct page *page)
{
	size_t size = folio_size(page_folio(page));

	if (size >= SZ_1G)
		return PINRXE_FOLIO_1G;
	if (size >= SZ_2M)
		return PINRXE_FOLIO_2M;
	if (size >= SZ_64K)
		return PINRXE_FOLIO_64K;
	return PINRXE_FOLIO_4K;
}

/*
 * Append @n pinned pages to the run list, merging consecutive PFNs, and
 * count them by folio size while the page pointers are at hand.
 */
static int pinrxe_add_pages(struct pinrxe_pins *pins, unsigned int *cap,
			    struct page **pages, unsigned long first,
			    unsigned int n)
{
	struct pinrxe_seg *seg;
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned long pfn = page_to_pfn(pages[i]);

		pins->folio_pages[pinrxe_folio_class(pages[i])]++;
		seg = pins->nsegs ? &pins->segs[pins->nsegs - 1] : NULL;
		if (seg && seg->pfn + seg->npages == pfn &&
		    seg->npages < UINT_MAX) {
			seg->npages++;
			continue;
		}
		if (pins->nsegs == *cap) {
			unsigned int ncap = *cap ? *cap * 2 : 16;
			struct pinrxe_seg *segs;

			segs = kvmalloc_array(ncap, sizeof(*segs), GFP_KERNEL);
			if (!segs)
				return -ENOMEM;
			if (pins->nsegs)
				memcpy(segs, pins->segs,
				       pins->nsegs * sizeof(*segs));
			kvfree(pins->segs);
			pins->segs = segs;
			*cap = ncap;
		}
		seg = &pins->segs[pins->nsegs++];
		seg->pfn = pfn;
		seg->npages = 1;
		seg->first = first + i;
	}
	return 0;
}

/*
 * Unpin every page of @pins, in batches through a page-sized pointer array
 * rebuilt from the runs.
 */
static void pinrxe_unpin_all(struct pinrxe_pins *pins, struct page **batch)
{
	unsigned int s, n = 0;
	unsigned long i;

	for (s = 0; s < pins->nsegs; s++) {
		for (i = 0; i < pins->segs[s].npages; i++) {
			batch[n++] = pfn_to_page(pins->segs[s].pfn + i);
			if (n == PINRXE_PIN_BATCH) {
				unpin_user_pages_dirty_lock(batch, n,
							    pins->writable);
				n = 0;
			}
		}
		cond_resched();
	}
	if (n)
		unpin_user_pages_dirty_lock(batch, n, pins->writable);
}

/**
 * pinrxe_pins_release() - unpin, uncharge and free a registration's pins
 * @pins: the pins; may be empty
 *
 * Safe from any context that may sleep, including after the owning
 * process has exited: the charge goes back to the mm it was taken from.
 */
static void pinrxe_pins_release(struct pinrxe_pins *pins)
{
	struct page **batch;

	if (pins->npages) {
		batch = (struct page **)__get_free_page(GFP_KERNEL |
							__GFP_NOFAIL);
		pinrxe_unpin_all(pins, batch);
		free_page((unsigned long)batch);
		atomic64_sub(pins->npages, &pins->mm->pinned_vm);
	}
	if (pins->mm)
		mmdrop(pins->mm);
	kvfree(pins->segs);
	memset(pins, 0, sizeof(*pins));
}

/*
 * Does @vma refuse a long-term pin that the access itself would be allowed?
 * The rule of the kernel's check_vma_flags() (mm/gup.c), which it does
 * not export: no long-term pins of DAX mappings, and none for writing of
 * shared writable file mappings whose pages need dirty tracking (a
 * filesystem that wants to know of writes, or one that writes back), as
 * writeback would clean a page the device goes on writing.  Mappings no
 * pin may take at all (I/O, PFN maps) are not refusals of a long-term one.
 */
static bool pinrxe_vma_refuses_longterm(struct vm_area_struct *vma,
					bool writable)
{
	const struct vm_operations_struct *ops = vma->vm_ops;
	struct file *file = vma->vm_file;

	if (vma->vm_flags & (VM_IO | VM_PFNMAP))
		return false;
	if (vma_is_fsdax(vma))
		return true;
	if (!writable || vma_is_anonymous(vma) ||
	    (vma->vm_flags & (VM_WRITE | VM_SHARED)) != (VM_WRITE | VM_SHARED))
		return false;
	if (ops && (ops->page_mkwrite || ops->pfn_mkwrite))
		return true;
	return file && file->f_mapping &&
	       mapping_can_writeback(file->f_mapping);
}

/*
 * pin_user_pages_fast() says -EFAULT both for an address nothing is mapped
 * at and for a long-term pin it refuses (-EOPNOTSUPP for DAX): tell them
 * apart by the mapping at @addr, the page the pin failed at.
 */
static bool pinrxe_pin_refused(struct mm_struct *mm, unsigned long addr,
			       bool writable)
{
	struct vm_area_struct *vma;
	bool refused;

	mmap_read_lock(mm);
	vma = find_vma(mm, addr);
	refused = vma && vma->vm_start <= addr &&
		  pinrxe_vma_refuses_longterm(vma, writable);
	mmap_read_unlock(mm);
	return refused;
}

/**
 * pinrxe_pins_get() - pin the user pages backing [@addr, @addr + @length)
 * @pins: filled on success, untouched (empty) on failure
 * @addr: user address
 * @length: bytes
 * @writable: pin for writing (FOLL_WRITE) and dirty at release
 * @why: if not NULL, set on failure to PINRXE_MR_FALLBACK_MEMLOCK when
 *	the pins would exceed RLIMIT_MEMLOCK, PINRXE_MR_FALLBACK_PIN_REFUSED
 *	when the kernel refused a long-term pin of a mapped page, else
 *	PINRXE_MR_FALLBACK_NONE
 *
 * Return: 0; -ENOMEM over RLIMIT_MEMLOCK or out of memory; -EFAULT when
 * the range is not mapped or the kernel refuses a long-term pin (e.g. a
 * writable pin of a file mapping that needs dirty tracking); -EOPNOTSUPP
 * for a DAX mapping; -EINTR on a fatal signal.  On failure nothing stays
 * pinned or charged.
 */
static int pinrxe_pins_get(struct pinrxe_pins *pins, u64 addr, u64 length,
			   bool writable, enum pinrxe_mr_fallback *why)
{
	unsigned int gup_flags = FOLL_LONGTERM | (writable ? FOLL_WRITE : 0);
	unsigned long start = addr & PAGE_MASK;
	unsigned long npages, done = 0;
	unsigned int cap = 0;
	struct page **batch;
	int ret;

	memset(pins, 0, sizeof(*pins));
	if (why)
		*why = PINRXE_MR_FALLBACK_NONE;
	if (addr + length < addr || PAGE_ALIGN(addr + length) < addr + length)
		return -EINVAL;
	npages = (PAGE_ALIGN(addr + length) - start) >> PAGE_SHIFT;
	if (!length)
		npages = 0;

	pins->mm = current->mm;
	mmgrab(pins->mm);
	pins->start = start;
	pins->writable = writable;
	if (!npages)
		return 0;

	ret = pinrxe_charge(pins->mm, npages);
	if (ret) {
		if (why)
			*why = PINRXE_MR_FALLBACK_MEMLOCK;
		goto err_drop;
	}

	batch = (struct page **)__get_free_page(GFP_KERNEL);
	if (!batch) {
		ret = -ENOMEM;
		goto err_uncharge;
	}

	while (done < npages) {
		int n = min_t(unsigned long, npages - done, PINRXE_PIN_BATCH);

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		ret = pin_user_pages_fast(start + (done << PAGE_SHIFT), n,
					  gup_flags, batch);
		if (ret <= 0) {
			ret = ret ? ret : -EFAULT;
			if (why && (ret == -EFAULT || ret == -EOPNOTSUPP) &&
			    pinrxe_pin_refused(pins->mm,
					       start + (done << PAGE_SHIFT),
					       writable))
				*why = PINRXE_MR_FALLBACK_PIN_REFUSED;
			break;
		}
		n = ret;
		ret = pinrxe_add_pages(pins, &cap, batch, done, n);
		if (ret) {
			/* These n pages are pinned but not yet recorded. */
			unpin_user_pages(batch, n);
			break;
		}
		/* Recorded pages are now counted, so failure unpins them. */
		pins->npages += n;
		done += n;
		cond_resched();
	}
	if (done == npages)
		ret = 0;
	if (ret) {
		/* Nothing was written through these pins: don't dirty. */
		pins->writable = false;
		pinrxe_unpin_all(pins, batch);
	}
	free_page((unsigned long)batch);
	if (!ret)
		return 0;
err_uncharge:
	atomic64_sub(npages, &pins->mm->pinned_vm);
err_drop:
	mmdrop(pins->mm);
	kvfree(pins->segs);
	memset(pins, 0, sizeof(*pins));
	return ret;
}

/**
 * pinrxe_mr_set_keys() - give an MR its keys
 * @mr: the MR, its index and access set, not (or no longer) visible as
 *	VALID to lookups
 * @variant: the key's low 8 bits come from it
 *
 * The rkey is the lkey, whatever the access rights: what a remote access
 * may do is checked against the MR's rights at each access, so a key
 * handed to a peer stays valid when rereg adds remote rights later, as
 * with rdma_rxe and mlx5; and a fast-registration MR, whose rights come
 * with each registration, has the key kernel consumers expect
 * (ib_update_fast_reg_key()).
 */
void pinrxe_mr_set_keys(struct pinrxe_mr *mr, u32 variant)
{
	u32 lkey = mr->index << 8 | (variant & 0xff);

	WRITE_ONCE(mr->lkey, lkey);
	WRITE_ONCE(mr->rkey, lkey);
	mr->ibmr.lkey = lkey;
	mr->ibmr.rkey = lkey;
}

/**
 * pinrxe_mr_publish() - give a new MR its key index and keys and make it
 *	visible to lookups
 * @pdev: the device
 * @mr: the MR, complete but for its index and keys, with one reference
 *	(the registration's)
 * @gfp: allocation flags for the key table
 *
 * Indices are allocated cyclically, so a stale key is not reused at once.
 *
 * Counts the MR against the device's max_mr; pinrxe_dereg_mr() uncounts it.
 *
 * Return: 0, or -ENOMEM past max_mr, when the table is full or out of
 * memory.
 */
int pinrxe_mr_publish(struct pinrxe_dev *pdev, struct pinrxe_mr *mr,
		      gfp_t gfp)
{
	int ret;

	if (atomic_inc_return(&pdev->num_mr) > pdev->attr.max_mr) {
		atomic_dec(&pdev->num_mr);
		return -ENOMEM;
	}
	/* Reserve the index first: the keys are made from it. */
	ret = xa_alloc_cyclic_bh(&pdev->mr_xa, &mr->index, NULL,
				 XA_LIMIT(1, PINRXE_MAX_MR - 1), &pdev->mr_next,
				 gfp);
	if (ret < 0) {
		atomic_dec(&pdev->num_mr);
		return ret == -EBUSY ? -ENOMEM : ret;
	}
	pinrxe_mr_set_keys(mr, get_random_u32());
	/* Publish only the finished MR to lookups. */
	xa_store_bh(&pdev->mr_xa, mr->index, mr, gfp);
	return 0;
}

static void pinrxe_mr_account(struct pinrxe_dev *pdev, long npages)
{
	atomic64_add(npages, &pdev->pinned_pages);
}

/**
 * pinrxe_mr_wait_users() - wait until an MR that lookups no longer hand
 *	out has no data-path user left
 * @mr: the MR, its state just changed away from VALID
 * @held: references the caller holds besides the registration's
 *
 * A lookup orders its reference before its read of the state, and
 * pinrxe_mr_put() its drop before its read, so either the lookup sees
 * the new state and backs off or this sees its reference and waits for
 * it.  The caller orders its state change before this with a full
 * barrier (smp_mb(), or a value-returning atomic such as cmpxchg()).
 * Sleeps.
 */
void pinrxe_mr_wait_users(struct pinrxe_mr *mr, unsigned int held)
{
	wait_var_event(&mr->ref, refcount_read(&mr->ref) <= 1 + held);
}

/*
 * Stop handing @mr out (@state is BUSY or INVALID) and wait until every
 * data-path user has let go.
 */
static void pinrxe_mr_quiesce(struct pinrxe_mr *mr, int state)
{
	WRITE_ONCE(mr->state, state);
	/* Order the state store before reading the count (see above). */
	smp_mb();
	pinrxe_mr_wait_users(mr, 0);
}

/* The key a lookup of @how must match. */
static u32 pinrxe_mr_key(struct pinrxe_mr *mr, enum pinrxe_mr_lookup how)
{
	return how == PINRXE_LOOKUP_LOCAL ? READ_ONCE(mr->lkey) :
					    READ_ONCE(mr->rkey);
}

/**
 * pinrxe_mr_get() - look an MR up by key for a data-path access
 * @pdev: the device
 * @key: an lkey or rkey, as @how says
 * @how: local (lkey) or remote (rkey) access
 * @pd: the protection domain the access is made in
 * @access: the IB_ACCESS_* rights the access needs (0 for a local read)
 * @iova: first byte accessed
 * @length: bytes accessed
 * @err: on failure, -EINVAL for an unknown key, an MR that is not VALID
 *	(deregistered, invalidated, never registered) or a PD mismatch (bad
 *	key), -EACCES for missing rights, -ERANGE for an access outside the MR
 *
 * The lookup is O(1): the key's upper 24 bits index the device's MR array
 * and the low 8 bits must match the key handed out.
 *
 * Return: the MR with a reference held (drop it with pinrxe_mr_put()), or
 * NULL with @err set.
 */
struct pinrxe_mr *pinrxe_mr_get(struct pinrxe_dev *pdev, u32 key,
				enum pinrxe_mr_lookup how, struct ib_pd *pd,
				int access, u64 iova, u64 length, int *err)
{
	struct pinrxe_mr *mr;
	int state;

	rcu_read_lock();
	/* Not a window's entry: pinrxe_rkey_get() resolves those. */
	mr = pinrxe_mr_load(pdev, key);
	if (!mr || pinrxe_mr_key(mr, how) != key ||
	    !refcount_inc_not_zero(&mr->ref)) {
		rcu_read_unlock();
		*err = -EINVAL;
		return NULL;
	}
	rcu_read_unlock();
	/* Our reference before the state read; pairs with quiesce's smp_mb. */
	smp_mb__after_atomic();
	/*
	 * Acquire: pairs with the release of a new translation (rereg, fast
	 * registration).  The key again: a fast-registration MR may have been
	 * invalidated and registered under another key since the check above.
	 */
	state = smp_load_acquire(&mr->state);
	/* ib_core moves the MR to another PD after a rereg, concurrently. */
	if (state != PINRXE_MR_VALID || pinrxe_mr_key(mr, how) != key ||
	    READ_ONCE(mr->ibmr.pd) != pd) {
		*err = -EINVAL;
		goto err_put;
	}
	if ((mr->access & access) != access) {
		*err = -EACCES;
		goto err_put;
	}
	if (iova < mr->iova || length > mr->length ||
	    iova - mr->iova > mr->length - length) {
		*err = -ERANGE;
		goto err_put;
	}
	return mr;

err_put:
	pinrxe_mr_put(mr);
	return NULL;
}

/**
 * pinrxe_mr_put() - drop a reference taken by pinrxe_mr_get()
 * @mr: the MR
 */
void pinrxe_mr_put(struct pinrxe_mr *mr)
{
	refcount_dec(&mr->ref);
	/* The drop before the state read; pairs with quiesce's smp_mb. */
	smp_mb__after_atomic();
	if (unlikely(READ_ONCE(mr->state) != PINRXE_MR_VALID))
		wake_up_var(&mr->ref);
}

/* The run holding page @pg of the registration: binary search. */
static const struct pinrxe_seg *pinrxe_find_seg(const struct pinrxe_pins *pins,
						unsigned long pg)
{
	unsigned int lo = 0, hi = pins->nsegs;

	while (hi - lo > 1) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (pins->segs[mid].first <= pg)
			lo = mid;
		else
			hi = mid;
	}
	return &pins->segs[lo];
}

/* Where an ODP copy is: the kernel buffer and the direction. */
struct pinrxe_odp_copy_ctx {
	void *buf;
	enum pinrxe_copy_dir dir;
};

static void pinrxe_odp_copy_chunk(void *va, u32 len, void *ctx)
{
	struct pinrxe_odp_copy_ctx *c = ctx;

	if (c->dir == PINRXE_TO_MR)
		memcpy(va, c->buf, len);
	else
		memcpy(c->buf, va, len);
	c->buf += len;
}

/**
 * pinrxe_mr_copy() - copy between an MR and a kernel buffer
 * @mr: the MR, held, with [@iova, @iova + @len) checked by pinrxe_mr_get()
 * @iova: first byte of the MR
 * @buf: the kernel buffer
 * @len: bytes
 * @dir: which way
 * @atomic: the caller must not sleep (see pinrxe.h)
 *
 * Each run of physically consecutive pinned pages is copied in one go
 * through the direct map: no per-page lookups inside a THP or hugetlb
 * folio.  Kernel consumers' MRs hold kernel addresses (pinrxe_kmr_copy()).
 * On-demand paging MRs copy through pinrxe_odp_copy_resident() when
 * their pages are there, else through pinrxe_odp_access().
 *
 * Return: 0; for an ODP MR also -EAGAIN (pages not resident and @atomic;
 * the copy may have been partly done: do it again whole) or -EFAULT (a
 * fault failed).
 */
int pinrxe_mr_copy(struct pinrxe_mr *mr, u64 iova, void *buf, u32 len,
		   enum pinrxe_copy_dir dir, bool atomic)
{
	const struct pinrxe_pins *pins = &mr->pins;
	u64 off = iova - mr->iova + mr->offset;
	const struct pinrxe_seg *seg;

	if (!len)
		return 0;
	if (mr->odp) {
		struct pinrxe_odp_copy_ctx c = { .buf = buf, .dir = dir };

		if (likely(pinrxe_odp_copy_resident(mr, iova, buf, len,
						    dir == PINRXE_TO_MR)))
			return 0;
		return pinrxe_odp_access(mr, iova, len, dir == PINRXE_TO_MR,
					 atomic, pinrxe_odp_copy_chunk, &c);
	}
	if (mr->type != IB_MR_TYPE_USER) {
		pinrxe_kmr_copy(mr, iova, buf, len, dir);
		return 0;
	}
	seg = pinrxe_find_seg(pins, off >> PAGE_SHIFT);
	while (len) {
		u64 in_seg = off - ((u64)seg->first << PAGE_SHIFT);
		u64 avail = ((u64)seg->npages << PAGE_SHIFT) - in_seg;
		u32 n = min_t(u64, len, avail);
		void *va;

		if (IS_ENABLED(CONFIG_HIGHMEM)) {
			/* No direct map of high memory: a page at a time. */
			n = min_t(u32, n, PAGE_SIZE - offset_in_page(in_seg));
			va = kmap_local_pfn(seg->pfn + (in_seg >> PAGE_SHIFT));
			va += offset_in_page(in_seg);
		} else {
			va = page_address(pfn_to_page(seg->pfn)) + in_seg;
		}
		if (dir == PINRXE_TO_MR)
			memcpy(va, buf, n);
		else
			memcpy(buf, va, n);
		if (IS_ENABLED(CONFIG_HIGHMEM))
			kunmap_local(va);
		buf += n;
		off += n;
		len -= n;
		if (n == avail)
			seg++;
	}
	return 0;
}

/* Where a vector ODP copy is: the buffer, and how far into it. */
struct pinrxe_odp_vec_ctx {
	const struct kvec *vec;
	size_t off;
	enum pinrxe_copy_dir dir;
};

/*
 * One page-sized chunk of the MR against the buffers: a chunk may end
 * inside a buffer or span several.
 */
static void pinrxe_odp_vec_chunk(void *va, u32 len, void *ctx)
{
	struct pinrxe_odp_vec_ctx *c = ctx;

	while (len) {
		u32 n = min_t(size_t, len, c->vec->iov_len - c->off);
		void *buf = c->vec->iov_base + c->off;

		if (c->dir == PINRXE_TO_MR)
			memcpy(va, buf, n);
		else
			memcpy(buf, va, n);
		va += n;
		len -= n;
		c->off += n;
		if (c->off == c->vec->iov_len) {
			c->vec++;
			c->off = 0;
		}
	}
}

/**
 * pinrxe_mr_copy_vec() - copy between a range of an MR and several kernel
 *	buffers, in order
 * @mr: the MR, held, with [@iova, @iova + @len) checked by pinrxe_mr_get()
 * @iova: first byte of the MR
 * @vec: the buffers, together @len bytes
 * @nvec: how many
 * @len: bytes
 * @dir: which way
 * @atomic: the caller must not sleep (see pinrxe.h)
 *
 * For the payloads of a burst of packets: an on-demand paging MR is
 * accessed once for all of them, so the residency of the burst's pages is
 * checked once and one read section of the umem's lock covers every copy
 * (an invalidation waits for the whole burst); a per-packet access costs
 * a lock round trip and a lookup each.  Pinned and kernel MRs copy buffer
 * by buffer.
 *
 * Return: as pinrxe_mr_copy().
 */
int pinrxe_mr_copy_vec(struct pinrxe_mr *mr, u64 iova, const struct kvec *vec,
		       u32 nvec, u64 len, enum pinrxe_copy_dir dir,
		       bool atomic)
{
	u32 i;
	int err;

	if (mr->odp) {
		struct pinrxe_odp_vec_ctx c = { .vec = vec, .dir = dir };

		return pinrxe_odp_access(mr, iova, len, dir == PINRXE_TO_MR,
					 atomic, pinrxe_odp_vec_chunk, &c);
	}
	for (i = 0; i < nvec; i++) {
		err = pinrxe_mr_copy(mr, iova, vec[i].iov_base, vec[i].iov_len,
				     dir, atomic);
		if (err)
			return err;
		iova += vec[i].iov_len;
	}
	return 0;
}

/**
 * pinrxe_mr_prepare() - make part of an MR resident before using it
 * @mr: the MR, held, with [@iova, @iova + @len) checked
 * @iova: first byte
 * @len: bytes
 * @write: it will be written
 * @atomic: the caller must not sleep
 *
 * Lets a step with side effects (read responses going out) find out
 * before it starts whether its pages are there.  Pinned and kernel MRs
 * always are.
 *
 * Return: 0, -EAGAIN or -EFAULT, as pinrxe_mr_copy().
 */
int pinrxe_mr_prepare(struct pinrxe_mr *mr, u64 iova, u64 len, bool write,
		      bool atomic)
{
	if (!mr->odp)
		return 0;
	return pinrxe_odp_access(mr, iova, len, write, atomic, NULL, NULL);
}

/*
 * Map the 8-byte word of a pinned or kernel MR at @iova, which
 * pinrxe_mr_get() checked to be inside the MR and the caller to be 8-byte
 * aligned: an aligned word never crosses a page.  Unmap with
 * pinrxe_mr_unmap_u64().
 */
static u64 *pinrxe_mr_map_u64(struct pinrxe_mr *mr, u64 iova)
{
	u64 off = iova - mr->iova + mr->offset;
	const struct pinrxe_seg *seg;
	u64 in_seg;
	u64 *va;

	if (mr->type != IB_MR_TYPE_USER)
		return pinrxe_kmr_atomic_va(mr, iova);
	seg = pinrxe_find_seg(&mr->pins, off >> PAGE_SHIFT);
	in_seg = off - ((u64)seg->first << PAGE_SHIFT);
	va = kmap_local_pfn(seg->pfn + (in_seg >> PAGE_SHIFT));
	return va + offset_in_page(in_seg) / sizeof(*va);
}

static void pinrxe_mr_unmap_u64(struct pinrxe_mr *mr, u64 *va)
{
	/* A kernel consumer's MR is kernel memory, never mapped here. */
	if (mr->type == IB_MR_TYPE_USER)
		kunmap_local(va);
}

struct pinrxe_atomic_op {
	bool cmp_swap;
	u64 compare_add;
	u64 swap;
	u64 orig;
};

static void pinrxe_atomic_op_run(struct pinrxe_atomic_op *op, u64 *va)
{
	if (op->cmp_swap)
		op->orig = cmpxchg64(va, op->compare_add, op->swap);
	else
		op->orig = atomic64_fetch_add(op->compare_add,
					      (atomic64_t *)va);
}

/* For pinrxe_odp_access(): an aligned word is one chunk. */
static void pinrxe_odp_atomic_chunk(void *va, u32 len, void *ctx)
{
	pinrxe_atomic_op_run(ctx, va);
}

/**
 * pinrxe_mr_atomic() - an RDMA atomic on 8 bytes of an MR
 * @mr: the MR, held, with [@iova, @iova + 8) checked
 * @iova: the operand's address; must be 8-byte aligned
 * @cmp_swap: compare-and-swap, else fetch-and-add
 * @compare_add: the compare value, or the value to add
 * @swap: the swap value
 * @orig: the value before the operation
 * @atomic: the caller must not sleep (see pinrxe.h)
 *
 * Return: 0; -EINVAL for a misaligned address; for an ODP MR, -EAGAIN
 * (nothing was done) or -EFAULT, as pinrxe_mr_copy().
 */
int pinrxe_mr_atomic(struct pinrxe_mr *mr, u64 iova, bool cmp_swap,
		     u64 compare_add, u64 swap, u64 *orig, bool atomic)
{
	struct pinrxe_atomic_op op = {
		.cmp_swap = cmp_swap, .compare_add = compare_add, .swap = swap,
	};
	u64 *va;
	int ret;

	if (iova & 7)
		return -EINVAL;
	if (mr->odp) {
		ret = pinrxe_odp_access(mr, iova, sizeof(u64), true, atomic,
					pinrxe_odp_atomic_chunk, &op);
		if (!ret)
			*orig = op.orig;
		return ret;
	}
	va = pinrxe_mr_map_u64(mr, iova);
	pinrxe_atomic_op_run(&op, va);
	pinrxe_mr_unmap_u64(mr, va);
	*orig = op.orig;
	return 0;
}

/* For pinrxe_odp_access(): the one store of an atomic write. */
static void pinrxe_odp_atomic_write_chunk(void *va, u32 len, void *ctx)
{
	/* Release: the QP's earlier placements are visible before it. */
	smp_store_release((u64 *)va, *(u64 *)ctx);
}

/**
 * pinrxe_mr_atomic_write() - an RDMA atomic write of 8 bytes of an MR
 * @mr: the MR, held, with [@iova, @iova + 8) checked
 * @iova: the target address; must be 8-byte aligned
 * @value: the 8 bytes, in memory order
 * @atomic: the caller must not sleep (see pinrxe.h)
 *
 * One store: an observer sees all of the old value or all of the new one
 * (IBA annex A19), and, as the store releases, everything the QP placed
 * before it, so the word can be a flag saying that the data is there.
 *
 * Return: 0; -EINVAL for a misaligned address; for an ODP MR, -EAGAIN
 * (nothing was done) or -EFAULT, as pinrxe_mr_copy().
 */
int pinrxe_mr_atomic_write(struct pinrxe_mr *mr, u64 iova, u64 value,
			   bool atomic)
{
	u64 *va;

	if (iova & 7)
		return -EINVAL;
	if (mr->odp)
		return pinrxe_odp_access(mr, iova, sizeof(value), true, atomic,
					 pinrxe_odp_atomic_write_chunk, &value);
	va = pinrxe_mr_map_u64(mr, iova);
	/* Release: the QP's earlier placements are visible before @value. */
	smp_store_release(va, value);
	pinrxe_mr_unmap_u64(mr, va);
	return 0;
}

/**
 * pinrxe_copy_sgl() - copy between a scatter/gather list and a buffer
 * @pdev: the device
 * @pd: the PD the SGEs' lkeys must belong to
 * @sge: the list
 * @num_sge: entries in @sge
 * @cur_sge: in/out: the entry to continue at
 * @sge_offset: in/out: the byte offset within that entry
 * @buf: the buffer
 * @len: bytes to copy
 * @dir: PINRXE_TO_MR scatters @buf into the list (needs local write),
 *	PINRXE_FROM_MR gathers from it
 * @atomic: the caller must not sleep (see pinrxe.h)
 *
 * Return: 0; -EINVAL for a bad lkey, -EACCES for a missing right,
 * -ERANGE for an SGE outside its MR, -ENOSPC when the list is too short,
 * -EFAULT when an on-demand paging MR's pages cannot be faulted in;
 * -EAGAIN when they are not resident and @atomic, with @cur_sge and
 * @sge_offset as they were, so the same call can be made again.
 */
int pinrxe_copy_sgl(struct pinrxe_dev *pdev, struct ib_pd *pd,
		    const struct pinrxe_sge *sge, u32 num_sge, u32 *cur_sge,
		    u32 *sge_offset, void *buf, u32 len,
		    enum pinrxe_copy_dir dir, bool atomic)
{
	int access = dir == PINRXE_TO_MR ? IB_ACCESS_LOCAL_WRITE : 0;
	u32 first_sge = *cur_sge, first_offset = *sge_offset;

	while (len) {
		const struct pinrxe_sge *s;
		struct pinrxe_mr *mr;
		u32 n;
		int err;

		if (*cur_sge >= num_sge)
			return -ENOSPC;
		s = &sge[*cur_sge];
		if (*sge_offset >= s->length) {
			(*cur_sge)++;
			*sge_offset = 0;
			continue;
		}
		n = min(len, s->length - *sge_offset);
		mr = pinrxe_mr_get(pdev, s->lkey, PINRXE_LOOKUP_LOCAL, pd,
				   access, s->addr + *sge_offset, n, &err);
		if (!mr)
			return err;
		err = pinrxe_mr_copy(mr, s->addr + *sge_offset, buf, n, dir,
				     atomic);
		pinrxe_mr_put(mr);
		if (err) {
			if (err == -EAGAIN) {
				*cur_sge = first_sge;
				*sge_offset = first_offset;
			}
			return err;
		}
		buf += n;
		len -= n;
		*sge_offset += n;
	}
	return 0;
}

/*
 * The optional reg_mr driver command: may the registration fall back to
 * ODP?  No command (an old provider, a kernel caller) takes the module's
 * default.
 */
static int pinrxe_reg_mr_cmd(struct ib_udata *udata, bool *fallback)
{
	const u32 known = PINRXE_REG_MR_FALLBACK_ODP | PINRXE_REG_MR_NO_FALLBACK;
	struct pinrxe_reg_mr_cmd cmd;

	*fallback = READ_ONCE(pinrxe_odp_fallback);
	if (!udata || !udata->inlen)
		return 0;
	if (udata->inlen < sizeof(cmd))
		return -EINVAL;
	/* A newer provider's extension this module does not know. */
	if (udata->inlen > sizeof(cmd) &&
	    !ib_is_udata_cleared(udata, sizeof(cmd),
				 udata->inlen - sizeof(cmd)))
		return -EOPNOTSUPP;
	if (ib_copy_from_udata(&cmd, udata, sizeof(cmd)))
		return -EFAULT;
	if (cmd.flags & ~known)
		return -EOPNOTSUPP;
	if (cmd.reserved || (cmd.flags & known) == known)
		return -EINVAL;
	if (cmd.flags & PINRXE_REG_MR_FALLBACK_ODP)
		*fallback = true;
	if (cmd.flags & PINRXE_REG_MR_NO_FALLBACK)
		*fallback = false;
	return 0;
}

/* Tell the provider the path the MR took, as far as its buffer reaches. */
static int pinrxe_reg_mr_resp(struct ib_udata *udata, struct pinrxe_mr *mr)
{
	struct pinrxe_reg_mr_resp resp = {
		.mode = mr->mode,
		.fallback = mr->fallback,
		.pin_errno = mr->pin_errno,
	};

	if (!udata || !udata->outlen)
		return 0;
	return ib_copy_to_udata(udata, &resp, min(udata->outlen, sizeof(resp)));
}

/*
 * Is all of [@start, @start + @length) mapped, with the rights the access
 * needs?  A fallback must not turn a bad address into a registration that
 * only fails at its first use.
 */
static bool pinrxe_range_mapped(struct mm_struct *mm, u64 start, u64 length,
				bool writable)
{
	unsigned long addr = start & PAGE_MASK, end = start + length;
	vm_flags_t need = VM_READ | (writable ? VM_WRITE : 0);
	struct vm_area_struct *vma;
	bool ok = true;

	mmap_read_lock(mm);
	for (; ok && addr < end; addr = vma->vm_end) {
		vma = find_vma(mm, addr);
		ok = vma && vma->vm_start <= addr &&
		     !(vma->vm_flags & (VM_IO | VM_PFNMAP)) &&
		     (vma->vm_flags & need) == need;
	}
	mmap_read_unlock(mm);
	return ok;
}

/*
 * Register [@start, @start + @length) with long-term pins.  On failure,
 * @why says whether it was for a reason ODP would not have (see
 * pinrxe_pins_get()).
 */
static struct pinrxe_mr *pinrxe_reg_pinned(struct pinrxe_dev *pdev, u64 start,
					   u64 length, u64 iova, int access,
					   enum pinrxe_mr_fallback *why)
{
	struct pinrxe_mr *mr;
	int ret;

	*why = PINRXE_MR_FALLBACK_NONE;
	ret = pinrxe_check_access(access);
	if (ret)
		return ERR_PTR(ret);

	mr = kzalloc(sizeof(*mr), GFP_KERNEL);
	if (!mr)
		return ERR_PTR(-ENOMEM);

	ret = pinrxe_pins_get(&mr->pins, start, length,
			      ib_access_writable(access), why);
	if (ret)
		goto err_free;

	mr->type = IB_MR_TYPE_USER;
	mr->mode = PINRXE_MR_MODE_PINNED;
	mr->iova = iova;
	mr->length = length;
	mr->offset = start & ~PAGE_MASK;
	mr->access = access;
	refcount_set(&mr->ref, 1);
	mr->state = PINRXE_MR_VALID;

	pinrxe_mr_account(pdev, mr->pins.npages);
	ret = pinrxe_mr_publish(pdev, mr, GFP_KERNEL);
	if (ret)
		goto err_unpin;
	return mr;

err_unpin:
	pinrxe_mr_account(pdev, -(long)mr->pins.npages);
	pinrxe_pins_release(&mr->pins);
err_free:
	kfree(mr);
	return ERR_PTR(ret);
}

/*
 * The pinned registration failed with @pin_err for reason @why: register
 * the range as ODP instead, which pins nothing.  The MR keeps the access
 * rights asked for, plus IB_ACCESS_ON_DEMAND.  When ODP fails too, the
 * pin's error is the one that explains the failure.
 */
static struct ib_mr *pinrxe_reg_fallback(struct ib_pd *ibpd, u64 start,
					 u64 length, u64 iova, int access,
					 struct ib_udata *udata,
					 enum pinrxe_mr_fallback why,
					 int pin_err)
{
	struct pinrxe_dev *pdev = to_pdev(ibpd->device);
	struct pinrxe_mr *mr;
	struct ib_mr *ibmr;

	if (!pinrxe_range_mapped(current->mm, start, length,
				 ib_access_writable(access)))
		return ERR_PTR(pin_err);
	ibmr = pinrxe_odp_reg_user_mr(ibpd, start, length, iova,
				      access | IB_ACCESS_ON_DEMAND, udata);
	if (IS_ERR(ibmr)) {
		ibdev_dbg_ratelimited(&pdev->ib_dev,
				      "ODP fallback failed (%pe) after pin (%pe)\n",
				      ibmr, ERR_PTR(pin_err));
		return ERR_PTR(pin_err);
	}
	mr = to_pmr(ibmr);
	mr->mode = PINRXE_MR_MODE_ODP;
	mr->fallback = why;
	mr->pin_errno = -pin_err;
	return ibmr;
}

/**
 * pinrxe_reg_user_mr() - register user memory: pinned, or on demand
 * @ibpd: the protection domain
 * @start: user address of the region
 * @length: bytes
 * @iova: the address the region is known by in work requests and keys
 * @access: IB_ACCESS_* flags
 * @udata: optional struct pinrxe_reg_mr_cmd in, optional struct
 *	pinrxe_reg_mr_resp out (see pinrxe_abi.h)
 *
 * With IB_ACCESS_ON_DEMAND the region is registered for on-demand paging.
 * Else it is pinned; when that fails because of RLIMIT_MEMLOCK or a
 * long-term pin the kernel refuses, and falling back is allowed (the
 * command's PINRXE_REG_MR_FALLBACK_ODP, else the odp_fallback module
 * parameter, unless PINRXE_REG_MR_NO_FALLBACK), it is registered for
 * on-demand paging instead, with nothing of the pinned attempt left.
 *
 * Return: the MR, or an ERR_PTR: -EINVAL or -EOPNOTSUPP for a bad
 * command, -EOPNOTSUPP for unknown access flags, -ENOMEM over
 * RLIMIT_MEMLOCK or the device's MR limit, -EFAULT for an unmapped range
 * or a long-term pin the kernel refuses (and no fallback to ODP).
 */
struct ib_mr *pinrxe_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
				 u64 iova, int access, struct ib_udata *udata)
{
	struct pinrxe_dev *pdev = to_pdev(ibpd->device);
	enum pinrxe_mr_fallback why;
	struct pinrxe_mr *mr;
	struct ib_mr *ibmr;
	bool fallback;
	int ret;

	ret = pinrxe_reg_mr_cmd(udata, &fallback);
	if (ret)
		return ERR_PTR(ret);

	if (access & IB_ACCESS_ON_DEMAND) {
		ibmr = pinrxe_odp_reg_user_mr(ibpd, start, length, iova, access,
					      udata);
		if (IS_ERR(ibmr))
			return ibmr;
		/* ib_core's encoding of "the whole address space". */
		to_pmr(ibmr)->mode = !start && length == U64_MAX ?
				     PINRXE_MR_MODE_ODP_IMPLICIT :
				     PINRXE_MR_MODE_ODP;
	} else {
		mr = pinrxe_reg_pinned(pdev, start, length, iova, access, &why);
		if (!IS_ERR(mr))
			ibmr = &mr->ibmr;
		else if (why && fallback)
			ibmr = pinrxe_reg_fallback(ibpd, start, length, iova,
						   access, udata, why,
						   PTR_ERR(mr));
		else
			return ERR_CAST(mr);
		if (IS_ERR(ibmr))
			return ibmr;
	}

	ret = pinrxe_reg_mr_resp(udata, to_pmr(ibmr));
	if (ret) {
		/* ib_core sets these once we return; dereg needs them now. */
		ibmr->device = ibpd->device;
		ibmr->pd = ibpd;
		pinrxe_dereg_mr(ibmr, udata);
		return ERR_PTR(ret);
	}
	if (to_pmr(ibmr)->fallback)
		pinrxe_counter_inc(pdev, PINRXE_CNT_ODP_FALLBACKS);
	return ibmr;
}

/**
 * pinrxe_rereg_user_mr() - change an MR's translation, PD or access
 * @ibmr: the MR
 * @flags: IB_MR_REREG_TRANS, IB_MR_REREG_PD, IB_MR_REREG_ACCESS
 * @start: new user address (IB_MR_REREG_TRANS)
 * @length: new length (IB_MR_REREG_TRANS)
 * @iova: new I/O virtual address (IB_MR_REREG_TRANS)
 * @access: new access flags (IB_MR_REREG_ACCESS)
 * @ibpd: new PD (IB_MR_REREG_PD); ib_core moves the MR between PDs
 * @udata: no driver-private data
 *
 * The MR is changed in place and keeps its keys.  A new translation, or
 * write access added to pages pinned read-only, pins afresh before the old
 * pins go, so a failure leaves the MR as it was.
 *
 * An on-demand paging MR can change its PD and rights only (see
 * pinrxe_odp_rereg_check()).
 *
 * Return: NULL (changed in place) or an ERR_PTR: -EBUSY while memory
 * windows are bound to the MR, -EOPNOTSUPP for what cannot change; the MR
 * is unchanged on error.
 */
struct ib_mr *pinrxe_rereg_user_mr(struct ib_mr *ibmr, int flags, u64 start,
				   u64 length, u64 iova, int access,
				   struct ib_pd *ibpd, struct ib_udata *udata)
{
	struct pinrxe_dev *pdev = to_pdev(ibmr->device);
	struct pinrxe_mr *mr = to_pmr(ibmr);
	struct pinrxe_pins pins;
	int new_access = flags & IB_MR_REREG_ACCESS ? access : mr->access;
	bool repin;
	int ret;

	if (flags & ~(IB_MR_REREG_TRANS | IB_MR_REREG_PD | IB_MR_REREG_ACCESS))
		return ERR_PTR(-EOPNOTSUPP);
	if (mr->odp || (new_access & IB_ACCESS_ON_DEMAND))
		ret = pinrxe_odp_rereg_check(mr, flags, new_access);
	else
		ret = pinrxe_check_access(new_access);
	if (ret)
		return ERR_PTR(ret);

	/* An ODP MR keeps its notifiers: only PD and rights change. */
	repin = !mr->odp && (flags & IB_MR_REREG_TRANS ||
			     (ib_access_writable(new_access) &&
			      !mr->pins.writable));
	if (repin) {
		if (!(flags & IB_MR_REREG_TRANS)) {
			start = mr->pins.start + mr->offset;
			length = mr->length;
			iova = mr->iova;
		}
		ret = pinrxe_pins_get(&pins, start, length,
				      ib_access_writable(new_access), NULL);
		if (ret)
			return ERR_PTR(ret);
		/* Bound windows rely on the MR as it is (pinrxe_mw.c). */
		ret = pinrxe_mr_stop_binds(mr, PINRXE_MR_BUSY);
		if (ret) {
			pinrxe_pins_release(&pins);
			return ERR_PTR(ret);
		}
		/* No data-path user may see the translation change. */
		pinrxe_mr_quiesce(mr, PINRXE_MR_BUSY);
		pinrxe_mr_account(pdev, (long)pins.npages -
					(long)mr->pins.npages);
		pinrxe_pins_release(&mr->pins);
		mr->pins = pins;
		mr->iova = iova;
		mr->length = length;
		mr->offset = start & ~PAGE_MASK;
	} else {
		ret = pinrxe_mr_stop_binds(mr, PINRXE_MR_BUSY);
		if (ret)
			return ERR_PTR(ret);
		pinrxe_mr_quiesce(mr, PINRXE_MR_BUSY);
	}
	mr->access = new_access;
	/* Publish the new translation and rights before lookups resume. */
	smp_store_release(&mr->state, PINRXE_MR_VALID);
	return NULL;
}

/**
 * pinrxe_dereg_mr() - deregister an MR, releasing its pins
 * @ibmr: the MR: a user MR, the DMA MR of a kernel PD or a
 *	fast-registration MR, in any state
 * @udata: unused
 *
 * Waits for data-path users of the MR to let go first.  An MR with
 * memory windows bound to it stays registered, as in rdma_rxe (IBA
 * 10.6.7.2.6): the windows must be invalidated, rebound elsewhere or
 * deallocated first.  ib_core's cleanup of a closing or removed context
 * retries, so it gets to the MR once the windows are gone.  (Windows are
 * bound only to user MRs: kernel consumers have none.)
 *
 * Return: 0, or -EBUSY while memory windows are bound to the MR.
 */
int pinrxe_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata)
{
	struct pinrxe_dev *pdev = to_pdev(ibmr->device);
	struct pinrxe_mr *mr = to_pmr(ibmr);
	int ret;

	ret = pinrxe_mr_stop_binds(mr, PINRXE_MR_INVALID);
	if (ret)
		return ret;
	pinrxe_mr_quiesce(mr, PINRXE_MR_INVALID);
	xa_erase_bh(&pdev->mr_xa, mr->index);
	atomic_dec(&pdev->num_mr);
	pinrxe_mr_account(pdev, -(long)mr->pins.npages);
	pinrxe_pins_release(&mr->pins);
	pinrxe_odp_release(mr);
	kvfree(mr->fr.addr);
	kvfree(mr->fr_map.addr);
	/* A lookup may still be looking at it under RCU. */
	kfree_rcu(mr, rcu);
	return 0;
}

/**
 * pinrxe_mr_load() - the MR at a key's index, whatever its state and key
 * @pdev: the device
 * @key: a key; only its index (the upper 24 bits) counts
 *
 * For lookups and for operations on the MR itself (registration,
 * invalidation).  Call under RCU or the lock of the device's @mr_xa: the
 * MR is not freed while either is held.
 *
 * Return: the MR, or NULL when the index holds nothing or a memory window
 * (pinrxe_mw.c).
 */
struct pinrxe_mr *pinrxe_mr_load(struct pinrxe_dev *pdev, u32 key)
{
	void *entry = xa_load(&pdev->mr_xa, key >> 8);

	return xa_pointer_tag(entry) ? NULL : entry;
}

/**
 * pinrxe_mr_invalidate() - take a fast-registration MR from VALID to FREE
 * @mr: the MR at the key's index (pinrxe_mr_load()), under the lock of the
 *	device's @mr_xa, which window binds count themselves under
 * @pd: the PD of the QP that executes the LOCAL_INV or receives the
 *	SEND_WITH_INV; the MR must be in it
 * @key: the key the invalidation names; it must be the MR's current one
 *	(a fast-registration MR's rkey is its lkey)
 *
 * Only MRs allocated for fast registration can be invalidated: user MRs
 * and the DMA MR cannot, and neither can an MR with memory windows bound
 * to it, as with dereg.  From the return on, lookups fail for every key
 * of the MR, local or remote; the caller then waits for the users that
 * took it before (pinrxe_mr_wait_users(), outside the lock), so no
 * transfer touches the pages once the invalidation has completed and the
 * consumer may reuse them.  An MR that is FREE already stays so, as with
 * rdma_rxe.
 *
 * Return: 0; -EINVAL for an MR that is not a fast-registration MR, is in
 * another PD, is not named by @key, or is being registered or
 * deregistered; -EBUSY while windows are bound to it.
 */
int pinrxe_mr_invalidate(struct pinrxe_mr *mr, struct ib_pd *pd, u32 key)
{
	int old;

	lockdep_assert_held(&to_pdev(mr->ibmr.device)->mr_xa.xa_lock);
	if (mr->type != IB_MR_TYPE_MEM_REG || mr->ibmr.pd != pd ||
	    READ_ONCE(mr->lkey) != key)
		return -EINVAL;
	if (mr->num_mw)
		return -EBUSY;
	/* A full barrier, as pinrxe_mr_wait_users() wants. */
	old = cmpxchg(&mr->state, PINRXE_MR_VALID, PINRXE_MR_FREE);
	return old == PINRXE_MR_VALID || old == PINRXE_MR_FREE ? 0 : -EINVAL;
}

/* Names restrack shows for enum pinrxe_mr_mode and enum pinrxe_mr_fallback. */
static const char *const pinrxe_mr_mode_names[] = {
	[PINRXE_MR_MODE_PINNED] = "pinned",
	[PINRXE_MR_MODE_ODP] = "odp",
	[PINRXE_MR_MODE_ODP_IMPLICIT] = "odp_implicit",
};

static const char *const pinrxe_mr_fallback_names[] = {
	[PINRXE_MR_FALLBACK_MEMLOCK] = "memlock",
	[PINRXE_MR_FALLBACK_PIN_REFUSED] = "pin_refused",
};

/**
 * pinrxe_mr_fill_res_path() - an MR's path as restrack driver attributes
 * @msg: the netlink message, inside its RDMA_NLDEV_ATTR_DRIVER nest
 * @mr: the MR
 *
 * A user MR's "mode" (pinned, odp, odp_implicit) and, for one that fell
 * back from pinning to ODP, "fallback" (memlock, pin_refused) and
 * "pin_errno".  Kernel consumers' MRs have none.
 *
 * Return: 0, or -EMSGSIZE when the message is full.
 */
int pinrxe_mr_fill_res_path(struct sk_buff *msg, struct pinrxe_mr *mr)
{
	if (!mr->mode || mr->mode >= ARRAY_SIZE(pinrxe_mr_mode_names))
		return 0;
	if (rdma_nl_put_driver_string(msg, "mode",
				      pinrxe_mr_mode_names[mr->mode]))
		return -EMSGSIZE;
	if (!mr->fallback ||
	    mr->fallback >= ARRAY_SIZE(pinrxe_mr_fallback_names))
		return 0;
	if (rdma_nl_put_driver_string(msg, "fallback",
				      pinrxe_mr_fallback_names[mr->fallback]) ||
	    rdma_nl_put_driver_u32(msg, "pin_errno", mr->pin_errno))
		return -EMSGSIZE;
	return 0;
}
