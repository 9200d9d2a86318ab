// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Address handles.  A UD send WQE names its destination by the ah_num the
 * kernel returned when the AH was created, never by an address the
 * application could rewrite in the ring: the requester looks the number
 * up (pinrxe_ah_get()) and builds the headers from the kernel's own copy.
 * Kernel consumers' AHs (ib_mad's, ib_cm's) get numbers too, which their
 * post_send puts in the WQE (pinrxe_kpost.c).
 *
 * The address the requester uses is a refcounted object of its own
 * (struct pinrxe_ah_av), so destroying an AH never waits: ib_cm creates
 * and destroys AHs in atomic context.
 */
#include <linux/etherdevice.h>
#include <rdma/ib_verbs.h>
#include <rdma/uverbs_ioctl.h>

#include "pinrxe.h"

static_assert(sizeof(struct pinrxe_create_ah_resp) == 8);

/**
 * pinrxe_av_check() - resolve an address that must be a RoCEv2 path of ours
 * @ah: an address vector from ib_core (create_ah, or modify_qp's path)
 * @av: filled with the resolved address (pinrxe_av_from_attr())
 *
 * The path needs a GRH with a RoCEv2 source GID of our port, which ib_core
 * has looked up (so its index is valid), and a destination MAC, which
 * ib_core has resolved from the destination GID (or mapped from a
 * multicast group).
 *
 * Return: 0; -EINVAL for anything else, including a source GID that is
 * not RoCEv2 or whose netdev is gone.
 */
int pinrxe_av_check(const struct rdma_ah_attr *ah, struct pinrxe_av *av)
{
	const struct ib_global_route *grh;

	if (ah->type != RDMA_AH_ATTR_TYPE_ROCE ||
	    !(rdma_ah_get_ah_flags(ah) & IB_AH_GRH) ||
	    rdma_ah_get_port_num(ah) != PINRXE_PORT)
		return -EINVAL;
	grh = rdma_ah_read_grh(ah);
	if (!grh->sgid_attr || grh->sgid_attr->index != grh->sgid_index ||
	    is_zero_ether_addr(ah->roce.dmac))
		return -EINVAL;
	/* An unusable source GID is a bad address for the caller. */
	if (pinrxe_av_from_attr(av, ah))
		return -EINVAL;
	return 0;
}

/*
 * Reserve an AH number.  ib_cm creates AHs under its own spinlock with
 * interrupts off (no RDMA_CREATE_AH_SLEEPABLE): the table lock must then
 * restore the interrupt state rather than enable interrupts, and nothing
 * may sleep.
 */
static int pinrxe_ah_reserve(struct pinrxe_dev *pdev, u32 *ah_num,
			     bool sleepable)
{
	unsigned long flags;
	int err;

	if (sleepable)
		return xa_alloc_cyclic_irq(&pdev->ah_xa, ah_num, NULL,
					   xa_limit_32b, &pdev->ah_next,
					   GFP_KERNEL);
	xa_lock_irqsave(&pdev->ah_xa, flags);
	err = __xa_alloc_cyclic(&pdev->ah_xa, ah_num, NULL, xa_limit_32b,
				&pdev->ah_next, GFP_ATOMIC);
	xa_unlock_irqrestore(&pdev->ah_xa, flags);
	return err;
}

/* Publish, or (@av NULL) erase, an AH number; callable with interrupts off. */
static void pinrxe_ah_set(struct pinrxe_dev *pdev, u32 ah_num,
			  struct pinrxe_ah_av *av)
{
	unsigned long flags;

	xa_lock_irqsave(&pdev->ah_xa, flags);
	/* Over the reserved entry: needs no memory, cannot fail. */
	if (av)
		__xa_store(&pdev->ah_xa, ah_num, av, GFP_ATOMIC);
	else
		__xa_erase(&pdev->ah_xa, ah_num);
	xa_unlock_irqrestore(&pdev->ah_xa, flags);
}

/* User AHs need their number; kernel callers pass none. */
static int pinrxe_ah_check_udata(struct ib_udata *udata)
{
	if (!udata)
		return 0;
	if (udata->inlen && !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;
	if (udata->outlen < sizeof(struct pinrxe_create_ah_resp))
		return -EINVAL;
	return 0;
}

/**
 * pinrxe_create_ah() - create an address handle
 * @ibah: the AH, allocated by ib_core, which holds its source GID
 *	attribute and PD for as long as it exists
 * @init: the address, its destination MAC resolved by ib_core (or by the
 *	kernel consumer), and RDMA_CREATE_AH_SLEEPABLE unless the caller is
 *	in atomic context
 * @udata: receives struct pinrxe_create_ah_resp; NULL for kernel callers
 *
 * Return: 0; -EINVAL for an address that is not a RoCEv2 path of this
 * port or a response buffer too small; -EOPNOTSUPP for unknown request
 * data; -ENOMEM past max_ah or when memory runs out.
 */
int pinrxe_create_ah(struct ib_ah *ibah, struct rdma_ah_init_attr *init,
		     struct ib_udata *udata)
{
	bool sleepable = init->flags & RDMA_CREATE_AH_SLEEPABLE;
	struct pinrxe_dev *pdev = to_pdev(ibah->device);
	struct pinrxe_create_ah_resp resp = {};
	struct pinrxe_ah *ah = to_pah(ibah);
	struct pinrxe_ah_av *av;
	int err;

	err = pinrxe_ah_check_udata(udata);
	if (err)
		return err;
	av = kzalloc(sizeof(*av), sleepable ? GFP_KERNEL : GFP_ATOMIC);
	if (!av)
		return -ENOMEM;
	err = pinrxe_av_check(init->ah_attr, &av->av);
	if (err)
		goto err_free;
	refcount_set(&av->ref, 1);
	av->pd = ibah->pd;

	if (atomic_inc_return(&pdev->num_ah) > pdev->attr.max_ah) {
		err = -ENOMEM;
		goto err_count;
	}
	/* Reserved now, published once the AH is complete. */
	err = pinrxe_ah_reserve(pdev, &ah->ah_num, sleepable);
	if (err < 0)
		goto err_count;
	ah->av = av;

	if (udata) {
		resp.ah_num = ah->ah_num;
		err = ib_copy_to_udata(udata, &resp, sizeof(resp));
		if (err)
			goto err_num;
	}
	pinrxe_ah_set(pdev, ah->ah_num, av);
	return 0;

err_num:
	pinrxe_ah_set(pdev, ah->ah_num, NULL);
err_count:
	atomic_dec(&pdev->num_ah);
err_free:
	kfree(av);
	return err;
}

/**
 * pinrxe_destroy_ah() - destroy an address handle
 * @ibah: the AH
 * @flags: RDMA_DESTROY_AH_SLEEPABLE, or not for a kernel caller in atomic
 *	context, maybe with interrupts off; never sleeps either way
 *
 * A requester building a packet from the AH keeps its address until it
 * is done; sends posted with the AH and not yet taken fail when they are
 * (the IBA leaves destroying an AH still in use to the application's
 * care).
 *
 * Return: 0.
 */
int pinrxe_destroy_ah(struct ib_ah *ibah, u32 flags)
{
	struct pinrxe_dev *pdev = to_pdev(ibah->device);
	struct pinrxe_ah *ah = to_pah(ibah);

	pinrxe_ah_set(pdev, ah->ah_num, NULL);
	pinrxe_ah_put(ah->av);
	atomic_dec(&pdev->num_ah);
	return 0;
}

/**
 * pinrxe_ah_get() - find an address handle's address by its number
 * @pdev: the device
 * @ah_num: the number a UD send WQE carries
 *
 * Callable from any context.  The requester must also check that the AH
 * belongs to the QP's PD (pd) before using it.
 *
 * Return: the address with a reference held (drop it with
 * pinrxe_ah_put()), or NULL.
 */
struct pinrxe_ah_av *pinrxe_ah_get(struct pinrxe_dev *pdev, u32 ah_num)
{
	struct pinrxe_ah_av *av;
	unsigned long flags;

	/* Under the lock destroy takes it out with: it is not freed yet. */
	xa_lock_irqsave(&pdev->ah_xa, flags);
	av = xa_load(&pdev->ah_xa, ah_num);
	if (av)
		refcount_inc(&av->ref);
	xa_unlock_irqrestore(&pdev->ah_xa, flags);
	return av;
}

/**
 * pinrxe_ah_put() - drop a reference to an AH's address
 * @av: from pinrxe_ah_get(), or the AH table's own
 *
 * Callable from any context; the last reference frees it.
 */
void pinrxe_ah_put(struct pinrxe_ah_av *av)
{
	if (refcount_dec_and_test(&av->ref))
		kfree(av);
}
