// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Rings shared with userspace by mmap: completion, send, receive and
 * shared receive queues.  The layout and the index protocol are in
 * pinrxe_abi.h; this file owns the buffers and the rules the kernel keeps
 * with a peer it cannot trust.
 *
 * Kernel consumers get the same rings in kernel memory, with no mmap
 * entry: their verbs (poll_cq, post_send...) play the part userspace plays
 * for a user queue, through pinrxe_queue_peer_slot(), so the data path
 * cannot tell the two apart.  The peer of a kernel ring is trusted, but
 * keeps the same index protocol.
 *
 * Trust.  Userspace can write anything, at any time, anywhere in a mapped
 * ring.  So the kernel keeps the index it owns in struct pinrxe_queue and
 * only ever stores it to the header; it reads the peer's index exactly
 * once per operation, checks that it is at most num_elems away from its
 * own, and masks every index before it turns into an address.  Elements
 * userspace produced are copied out once and only the copy is used.
 * A bad index costs the offending process its own queue, never kernel
 * memory.
 *
 * Memory ordering.  The kernel publishes its index with smp_store_release()
 * and reads the peer's with smp_load_acquire(); userspace does the same
 * with C11 release stores and acquire loads.  For a kernel-to-user ring:
 * element writes happen before the release of the producer index that
 * covers them, and the peer's acquire of that index happens before its
 * element reads; the peer's element reads happen before its release of the
 * consumer index, and the kernel's acquire of it happens before the kernel
 * overwrites those slots.  A user-to-kernel ring is the mirror image.
 *
 * Lifetime.  A buffer belongs to its rdma_user_mmap_entry.  ib_core keeps
 * the entry (and so the buffer) alive while an mmap() of it is in progress
 * and calls .mmap_free when the last reference goes, after the queue was
 * cleaned up; that covers destroy racing with mmap(), process exit and
 * device disassociation alike.  remap_vmalloc_range() takes a reference on
 * every page it maps, so an existing mapping outlives the buffer safely:
 * the process keeps plain pages that no longer belong to any queue.
 */
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <rdma/ib_verbs.h>

#include "pinrxe.h"

static_assert(sizeof(struct pinrxe_ring_hdr) == PINRXE_RING_HDR_SIZE);
static_assert(offsetof(struct pinrxe_ring_hdr, consumer) == 128);

static void *pinrxe_queue_slot(const struct pinrxe_queue *q, u32 index)
{
	size_t off = (size_t)(index & (q->num_elems - 1)) << q->elem_shift;

	return (u8 *)q->hdr + PINRXE_RING_HDR_SIZE + off;
}

/*
 * Out of line, so /proc/vmallocinfo names it as the owner of the kernel
 * rings it allocates with vmalloc, apart from user rings
 * (pinrxe_queue_init()).
 */
static noinline void *pinrxe_queue_alloc_kernel(size_t size)
{
	return kvzalloc(size, GFP_KERNEL);
}

static void pinrxe_queue_setup(struct pinrxe_queue *q, void *buf,
			       struct pinrxe_mmap_entry *entry,
			       enum pinrxe_queue_dir dir, u32 num_elems,
			       u32 elem_size)
{
	q->hdr = buf;
	q->entry = entry;
	q->kernel = !entry;
	q->dir = dir;
	q->num_elems = num_elems;
	q->elem_shift = ilog2(elem_size);
	q->index = 0;
}

/**
 * pinrxe_queue_init() - allocate a ring and offer it to userspace for mmap
 * @q: the queue to set up
 * @uctx: the user context that may map the ring; NULL for a kernel
 *	consumer's ring, which lives in kernel memory only
 * @dir: whether the data path produces or consumes
 * @num_elems: element count, a power of two
 * @elem_size: element size in bytes, a power of two
 *
 * The buffer is zeroed, so the ring starts empty with both indices at 0
 * and no stale kernel memory reaches userspace.
 *
 * Return: 0, or -ENOMEM; nothing is left allocated on failure.
 */
int pinrxe_queue_init(struct pinrxe_queue *q, struct ib_ucontext *uctx,
		      enum pinrxe_queue_dir dir, u32 num_elems, u32 elem_size)
{
	struct pinrxe_mmap_entry *entry;
	size_t size;
	void *buf;
	int err;

	if (WARN_ON(!is_power_of_2(num_elems) || !is_power_of_2(elem_size)))
		return -EINVAL;
	size = PAGE_ALIGN(PINRXE_RING_HDR_SIZE + (size_t)num_elems * elem_size);

	if (!uctx) {
		buf = pinrxe_queue_alloc_kernel(size);
		if (!buf)
			return -ENOMEM;
		pinrxe_queue_setup(q, buf, NULL, dir, num_elems, elem_size);
		return 0;
	}

	entry = kzalloc(sizeof(*entry), GFP_KERNEL);
	if (!entry)
		return -ENOMEM;
	entry->buf = vmalloc_user(size);
	if (!entry->buf) {
		kfree(entry);
		return -ENOMEM;
	}
	err = rdma_user_mmap_entry_insert(uctx, &entry->rdma_entry, size);
	if (err) {
		vfree(entry->buf);
		kfree(entry);
		return err;
	}

	pinrxe_queue_setup(q, entry->buf, entry, dir, num_elems, elem_size);
	return 0;
}

/**
 * pinrxe_queue_cleanup() - give up a ring
 * @q: the queue
 *
 * No new mappings can be made after this.  The buffer is freed through
 * .mmap_free as soon as no mmap() of it is in progress, so the queue
 * forgets it here.  A kernel ring is freed at once.
 */
void pinrxe_queue_cleanup(struct pinrxe_queue *q)
{
	if (q->kernel) {
		kvfree(q->hdr);
		q->hdr = NULL;
		q->kernel = false;
		return;
	}
	if (!q->entry)
		return;
	rdma_user_mmap_entry_remove(&q->entry->rdma_entry);
	q->entry = NULL;
	q->hdr = NULL;
}

/**
 * pinrxe_queue_mmap_info() - where userspace maps a ring
 * @q: the queue
 * @mi: filled with the mmap offset and size
 */
void pinrxe_queue_mmap_info(const struct pinrxe_queue *q,
			    struct pinrxe_mmap_info *mi)
{
	mi->offset = rdma_user_mmap_get_offset(&q->entry->rdma_entry);
	mi->size = (u64)q->entry->rdma_entry.npages << PAGE_SHIFT;
}

/**
 * pinrxe_queue_count() - elements in a ring
 * @q: the queue
 *
 * Reads the peer's index once, with acquire semantics (see the top of
 * this file).
 *
 * Return: the number of elements produced and not yet consumed, or -EIO
 * when the index userspace wrote cannot be right (more than num_elems
 * away from the kernel's).
 */
int pinrxe_queue_count(const struct pinrxe_queue *q)
{
	u32 prod, cons;

	if (q->dir == PINRXE_QUEUE_TO_USER) {
		prod = q->index;
		/* The peer's slot reads before our reuse of the slots. */
		cons = smp_load_acquire(&q->hdr->consumer);
	} else {
		/* The peer's element writes before our reads of them. */
		prod = smp_load_acquire(&q->hdr->producer);
		cons = q->index;
	}
	/* Unsigned: a consumer "ahead" of the producer wraps to a huge count. */
	if (prod - cons > q->num_elems)
		return -EIO;
	return prod - cons;
}

/**
 * pinrxe_queue_produce_slot() - the slot the kernel fills next
 * @q: a kernel-to-user queue
 *
 * Return: the slot, to be written and then published with
 * pinrxe_queue_produce(), or NULL when the ring is full or its consumer
 * index is corrupt.
 */
void *pinrxe_queue_produce_slot(struct pinrxe_queue *q)
{
	int count;

	if (WARN_ON_ONCE(q->dir != PINRXE_QUEUE_TO_USER))
		return NULL;
	count = pinrxe_queue_count(q);
	if (count < 0 || count == q->num_elems)
		return NULL;
	return pinrxe_queue_slot(q, q->index);
}

/**
 * pinrxe_queue_produce() - publish the slot filled last
 * @q: a kernel-to-user queue
 */
void pinrxe_queue_produce(struct pinrxe_queue *q)
{
	q->index++;
	/* Orders the element writes before the index that makes them visible. */
	smp_store_release(&q->hdr->producer, q->index);
}

/**
 * pinrxe_queue_consume() - take the next element userspace produced
 * @q: a user-to-kernel queue
 * @elem: receives a copy of the element (elem_size bytes)
 *
 * The element is copied before the slot is handed back, and the caller
 * must validate and use only the copy: userspace may rewrite the slot at
 * any moment.
 *
 * Return: 0, -EAGAIN when the ring is empty, or -EIO when its producer
 * index is corrupt.
 */
int pinrxe_queue_consume(struct pinrxe_queue *q, void *elem)
{
	int count;

	if (WARN_ON_ONCE(q->dir != PINRXE_QUEUE_FROM_USER))
		return -EINVAL;
	count = pinrxe_queue_count(q);
	if (count < 0)
		return count;
	if (!count)
		return -EAGAIN;
	memcpy(elem, pinrxe_queue_slot(q, q->index), 1U << q->elem_shift);
	q->index++;
	/* Orders the copy before userspace may reuse the slot. */
	smp_store_release(&q->hdr->consumer, q->index);
	return 0;
}

/**
 * pinrxe_queue_peer_slot() - the slot the consumer's side of a kernel ring
 *	uses next
 * @q: a kernel ring (@q->kernel)
 *
 * The kernel consumer's verbs do with this what userspace does with a
 * mapped ring: poll_cq reads the next completion of a kernel-to-user
 * ring, post_send and post_recv fill the next free slot of a user-to-kernel
 * ring.  The data path's index is read with acquire, pairing with its
 * release.  Callers serialise their own calls on one queue.
 *
 * Return: the slot, to be used and then handed over with
 * pinrxe_queue_peer_advance(); NULL when there is no completion to take,
 * or no free slot to fill.
 */
void *pinrxe_queue_peer_slot(struct pinrxe_queue *q)
{
	u32 prod, cons;

	if (WARN_ON_ONCE(!q->kernel))
		return NULL;
	if (q->dir == PINRXE_QUEUE_TO_USER) {
		/* The data path's slot writes before our reads. */
		prod = smp_load_acquire(&q->hdr->producer);
		cons = q->hdr->consumer;
		return prod == cons ? NULL : pinrxe_queue_slot(q, cons);
	}
	/* The data path's copy out of a slot before our reuse of it. */
	cons = smp_load_acquire(&q->hdr->consumer);
	prod = q->hdr->producer;
	return prod - cons >= q->num_elems ? NULL : pinrxe_queue_slot(q, prod);
}

/**
 * pinrxe_queue_peer_advance() - hand over the slot pinrxe_queue_peer_slot()
 *	returned
 * @q: the kernel ring
 *
 * Publishes the consumer's index with release, after the slot's use.
 */
void pinrxe_queue_peer_advance(struct pinrxe_queue *q)
{
	u32 *index = q->dir == PINRXE_QUEUE_TO_USER ? &q->hdr->consumer :
						      &q->hdr->producer;

	/* The slot's use before the index that hands it over. */
	smp_store_release(index, *index + 1);
}

/**
 * pinrxe_queue_resize() - replace a ring by one of another size, keeping
 *	its contents
 * @q: the queue
 * @uctx: the user context that may map the new ring; NULL for a kernel
 *	ring
 * @num_elems: new element count, a power of two
 * @max_pending: the most elements that may be pending; at most @num_elems
 * @lock: the lock that serialises every other use of @q; taken here with
 *	interrupts off around the switch
 *
 * The elements not yet consumed move, in order, to the start of the new
 * ring, whose indices then count from 0.  The old ring is dead from the
 * switch on: its owner must map the new one (pinrxe_queue_mmap_info())
 * before using the queue again.
 *
 * Return: 0; -EINVAL when more than @max_pending elements are pending,
 * or when the ring's user-written index is corrupt; -ENOMEM.  @q is
 * unchanged on failure.
 */
int pinrxe_queue_resize(struct pinrxe_queue *q, struct ib_ucontext *uctx,
			u32 num_elems, u32 max_pending, spinlock_t *lock)
{
	struct pinrxe_queue nq, old;
	u32 count, first, i;
	unsigned long flags;
	int ret;

	/* Allocate before taking the lock: vmalloc may sleep. */
	ret = pinrxe_queue_init(&nq, uctx, q->dir, num_elems,
				1U << q->elem_shift);
	if (ret)
		return ret;

	spin_lock_irqsave(lock, flags);
	ret = pinrxe_queue_count(q);
	if (ret < 0 || ret > min(max_pending, num_elems)) {
		spin_unlock_irqrestore(lock, flags);
		pinrxe_queue_cleanup(&nq);
		return -EINVAL;
	}
	count = ret;
	first = q->dir == PINRXE_QUEUE_TO_USER ? q->index - count : q->index;
	for (i = 0; i < count; i++)
		memcpy(pinrxe_queue_slot(&nq, i), pinrxe_queue_slot(q, first + i),
		       1U << q->elem_shift);
	/*
	 * Nobody has the new ring's offset yet, so plain stores do; the
	 * system call's return orders them before the owner's first look.
	 */
	nq.hdr->producer = count;
	nq.index = q->dir == PINRXE_QUEUE_TO_USER ? count : 0;
	old = *q;
	*q = nq;
	spin_unlock_irqrestore(lock, flags);

	pinrxe_queue_cleanup(&old);
	return 0;
}

/**
 * pinrxe_mmap() - map a ring into a process
 * @uctx: the user context whose command fd is being mapped
 * @vma: the new mapping; ib_core has installed its vm_ops
 *
 * The offset selects the ring; the mapping must be shared and exactly
 * the ring's size (both checked by rdma_user_mmap_entry_get()).  The entry
 * reference taken by the lookup keeps the buffer alive while its pages
 * are inserted, even if the queue is destroyed meanwhile.
 *
 * Return: 0; -EINVAL for an unknown offset, a private mapping or a wrong
 * size; -EPERM for an executable mapping; or the error of the remap.
 */
int pinrxe_mmap(struct ib_ucontext *uctx, struct vm_area_struct *vma)
{
	struct rdma_user_mmap_entry *rdma_entry;
	struct pinrxe_mmap_entry *entry;
	int err;

	/* Rings hold data, never code. */
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	rdma_entry = rdma_user_mmap_entry_get(uctx, vma);
	if (!rdma_entry)
		return -EINVAL;
	entry = container_of(rdma_entry, struct pinrxe_mmap_entry, rdma_entry);

	vm_flags_clear(vma, VM_MAYEXEC);
	err = remap_vmalloc_range(vma, entry->buf, 0);
	rdma_user_mmap_entry_put(rdma_entry);
	return err;
}

/**
 * pinrxe_mmap_free() - free a ring once ib_core is done with its entry
 * @rdma_entry: the entry, removed and unreferenced
 */
void pinrxe_mmap_free(struct rdma_user_mmap_entry *rdma_entry)
{
	struct pinrxe_mmap_entry *entry =
		container_of(rdma_entry, struct pinrxe_mmap_entry, rdma_entry);

	vfree(entry->buf);
	kfree(entry);
}
