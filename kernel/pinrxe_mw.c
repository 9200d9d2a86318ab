// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory windows, types 1 and 2B, and the invalidation of rkeys.
 *
 * A window grants remote access to a range of an MR registered with
 * IB_ACCESS_MW_BIND, under an rkey of its own.  Type 1 windows are valid
 * from allocation on and are (re)bound by the ibv_bind_mw() verb; type 2
 * windows start free, are bound by a BIND_MW work request, and go back to
 * free when a LOCAL_INV or a SEND_WITH_INV names their rkey.  A type 2
 * window is tied to the QP it was bound through (type 2B): only that QP
 * can reach memory through it or invalidate it remotely.  Both kinds of
 * bind reach the kernel as BIND_MW work requests, executed by the
 * requester as local operations (pinrxe_mw_bind()), and invalidations,
 * of windows and of fast-registration MRs alike, go through
 * pinrxe_invalidate_rkey(), from LOCAL_INV and from SEND_WITH_INV.
 *
 * Windows share the device's key array with MRs (pinrxe_mr.c), so an
 * rkey is resolved in O(1) whatever it names; window entries are tagged
 * %PINRXE_XA_MW.  ib_core frees a window the moment dealloc_mw returns,
 * so window state is only ever touched under the key array's lock: bind,
 * invalidate, the data path's rkey lookup and dealloc all take it, and a
 * lookup leaves holding a reference on the window's MR, never the window.
 * A bound window counts in its MR's num_mw, and an MR with windows bound
 * refuses deregistration, reregistration and invalidation (-EBUSY), as
 * IBTA requires: the window always points to a live, unchanged, VALID
 * MR.  A type 2 window names its QP by the QP's serial number, not a
 * pointer, so destroying the QP needs no cleanup here: the window simply
 * stops working, and goes away when it is invalidated (LOCAL_INV through
 * another QP of its PD) or deallocated.
 */
#include <linux/random.h>
#include <linux/xarray.h>
#include <rdma/ib_verbs.h>

#include "pinrxe.h"

/* Rights a bind may give: local write is meaningless for a window, allowed. */
#define PINRXE_MW_ACCESS	(IB_ACCESS_REMOTE_READ | IB_ACCESS_REMOTE_WRITE | \
				 IB_ACCESS_REMOTE_ATOMIC)
#define PINRXE_MW_BIND_ACCESS	(PINRXE_MW_ACCESS | IB_ACCESS_LOCAL_WRITE)

/*
 * The window whose rkey is @rkey, or NULL.  Under the key array's lock,
 * which keeps it from being deallocated while the caller uses it.
 */
static struct pinrxe_mw *pinrxe_mw_find(struct pinrxe_dev *pdev, u32 rkey)
{
	void *entry = xa_load(&pdev->mr_xa, rkey >> 8);
	struct pinrxe_mw *mw;

	lockdep_assert_held(&pdev->mr_xa.xa_lock);
	if (xa_pointer_tag(entry) != PINRXE_XA_MW)
		return NULL;
	mw = xa_untag_pointer(entry);
	return mw->ibmw.rkey == rkey ? mw : NULL;
}

/* Whether @key names a window: a peek at the entry's tag, no dereference. */
static bool pinrxe_key_is_mw(struct pinrxe_dev *pdev, u32 key)
{
	void *entry;

	rcu_read_lock();
	entry = xa_load(&pdev->mr_xa, key >> 8);
	rcu_read_unlock();
	return xa_pointer_tag(entry) == PINRXE_XA_MW;
}

/**
 * pinrxe_alloc_mw() - allocate a memory window
 * @ibmw: the window, allocated by ib_core with its type (1 or 2, checked
 *	by ib_core) and PD set
 * @udata: no driver-private data either way
 *
 * The rkey is the window's key index and a random 8-bit key; binds
 * replace the key byte (for type 1 windows the provider picks the next
 * one, ibv_inc_rkey()).
 *
 * Return: 0; -EOPNOTSUPP for request data this driver does not know;
 * -ENOMEM past max_mw or when no key index is free.
 */
int pinrxe_alloc_mw(struct ib_mw *ibmw, struct ib_udata *udata)
{
	struct pinrxe_dev *pdev = to_pdev(ibmw->device);
	struct pinrxe_mw *mw = to_pmw(ibmw);
	int ret;

	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;
	if (atomic_inc_return(&pdev->num_mw) > pdev->attr.max_mw) {
		ret = -ENOMEM;
		goto err_count;
	}
	/* Reserved empty first: lookups must not see a half-made window. */
	ret = xa_alloc_cyclic_bh(&pdev->mr_xa, &mw->index, NULL,
				 XA_LIMIT(1, PINRXE_MAX_MR - 1), &pdev->mr_next,
				 GFP_KERNEL);
	if (ret < 0) {
		ret = ret == -EBUSY ? -ENOMEM : ret;
		goto err_count;
	}
	ibmw->rkey = mw->index << 8 | (get_random_u32() & 0xff);
	mw->state = ibmw->type == IB_MW_TYPE_1 ? PINRXE_MW_VALID :
						 PINRXE_MW_FREE;
	/* Over the reserved entry: needs no memory, cannot fail. */
	xa_store_bh(&pdev->mr_xa, mw->index, xa_tag_pointer(mw, PINRXE_XA_MW),
		    GFP_KERNEL);
	return 0;

err_count:
	atomic_dec(&pdev->num_mw);
	return ret;
}

/* Let go of the MR the window is bound to; under the key array's lock. */
static void pinrxe_mw_unbind(struct pinrxe_mw *mw)
{
	if (mw->mr) {
		mw->mr->num_mw--;
		mw->mr = NULL;
	}
	mw->addr = 0;
	mw->length = 0;
	mw->access = 0;
}

/**
 * pinrxe_dealloc_mw() - free a memory window, bound or not
 * @ibmw: the window
 *
 * Its rkey stops working at once and its MR is released.  Accesses that
 * resolved the rkey before hold their own reference on the MR and finish.
 *
 * Return: 0.
 */
int pinrxe_dealloc_mw(struct ib_mw *ibmw)
{
	struct pinrxe_dev *pdev = to_pdev(ibmw->device);
	struct pinrxe_mw *mw = to_pmw(ibmw);

	xa_lock_bh(&pdev->mr_xa);
	__xa_erase(&pdev->mr_xa, mw->index);
	pinrxe_mw_unbind(mw);
	mw->state = PINRXE_MW_INVALID;
	xa_unlock_bh(&pdev->mr_xa);
	atomic_dec(&pdev->num_mw);
	return 0;
}

/**
 * pinrxe_mr_stop_binds() - close an MR to window binds, unless some are
 *	bound to it
 * @mr: the MR, about to be deregistered or reregistered
 * @state: the MR state it moves to (PINRXE_MR_INVALID or PINRXE_MR_BUSY),
 *	in which binds fail to look it up
 *
 * Binds count themselves in num_mw under the same lock, so after this
 * succeeds no window can be bound to @mr until its state is valid again.
 *
 * Return: 0, or -EBUSY when windows are bound to @mr (its state is then
 * unchanged).
 */
int pinrxe_mr_stop_binds(struct pinrxe_mr *mr, int state)
{
	struct pinrxe_dev *pdev = to_pdev(mr->ibmr.device);
	int ret = 0;

	xa_lock_bh(&pdev->mr_xa);
	if (mr->num_mw)
		ret = -EBUSY;
	else
		WRITE_ONCE(mr->state, state);
	xa_unlock_bh(&pdev->mr_xa);
	return ret;
}

/* Checks of a bind that concern the window and the QP (C10-72, o10-37.2). */
static int pinrxe_mw_check_bind(struct pinrxe_qp *qp, struct pinrxe_mw *mw,
				u32 new_rkey, u64 length, int access)
{
	if (mw->ibmw.pd != pinrxe_qp_pd(qp))
		return -EINVAL;
	/* The consumer chooses the key byte only. */
	if (new_rkey >> 8 != mw->index)
		return -EINVAL;
	/* Zero-based windows are not offered (type 1 cannot be one anyway). */
	if (access & ~PINRXE_MW_BIND_ACCESS)
		return -EINVAL;
	if (mw->ibmw.type == IB_MW_TYPE_1)
		return mw->state == PINRXE_MW_VALID ? 0 : -EINVAL;
	/*
	 * Type 2: bound only from free, never to nothing (unbinding is
	 * invalidation).
	 */
	if (mw->state != PINRXE_MW_FREE || !length)
		return -EINVAL;
	return 0;
}

/*
 * Checks of a bind that concern the MR, found by its lkey in the QP's PD
 * with IB_ACCESS_MW_BIND and the window's range inside it (C10-73, C10-75):
 * a window that lets the remote side write needs an MR the local side may
 * write (C10-74), and offsets into zero-based MRs are not supported.
 */
static int pinrxe_mw_check_mr(struct pinrxe_mr *mr, int access)
{
	if (mr->access & IB_ZERO_BASED)
		return -EINVAL;
	if ((access & (IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC)) &&
	    !(mr->access & IB_ACCESS_LOCAL_WRITE))
		return -EACCES;
	return 0;
}

static void pinrxe_mw_do_bind(struct pinrxe_qp *qp, struct pinrxe_mw *mw,
			      struct pinrxe_mr *mr, u32 new_rkey, u64 addr,
			      u64 length, int access)
{
	/* A type 1 rebind replaces the old binding, whatever it was. */
	pinrxe_mw_unbind(mw);
	mw->ibmw.rkey = new_rkey;
	mw->state = PINRXE_MW_VALID;
	if (length) {
		mw->mr = mr;
		mr->num_mw++;
		mw->addr = addr;
		mw->length = length;
		mw->access = access & PINRXE_MW_ACCESS;
	}
	if (mw->ibmw.type == IB_MW_TYPE_2)
		mw->qp_serial = qp->serial;
}

/**
 * pinrxe_mw_bind() - execute a BIND_MW work request
 * @qp: the QP; from its task, once every earlier WQE has completed
 * @wqe: the validated WQE
 *
 * Both kinds of bind come this way: type 1 ones from ibv_bind_mw(),
 * which the provider posts as BIND_MW, type 2 ones as posted.
 *
 * Return: 0, or a negative errno with the window unchanged.
 */
int pinrxe_mw_bind(struct pinrxe_qp *qp, const struct pinrxe_send_wqe *wqe)
{
	struct pinrxe_dev *pdev = to_pdev(qp->ibqp.device);
	u64 addr = wqe->wr.bind_mw.addr, length = wqe->wr.bind_mw.length;
	u32 new_rkey = wqe->wr.bind_mw.rkey;
	int access = wqe->wr.bind_mw.access;
	struct pinrxe_mr *mr = NULL;
	struct pinrxe_mw *mw;
	int err;

	xa_lock_bh(&pdev->mr_xa);
	mw = pinrxe_mw_find(pdev, wqe->wr.bind_mw.mw_rkey);
	if (!mw) {
		err = -EINVAL;
		goto out;
	}
	err = pinrxe_mw_check_bind(qp, mw, new_rkey, length, access);
	if (err)
		goto out;
	if (length) {
		mr = pinrxe_mr_get(pdev, wqe->wr.bind_mw.mr_lkey,
				   PINRXE_LOOKUP_LOCAL, qp->ibqp.pd,
				   IB_ACCESS_MW_BIND, addr, length, &err);
		if (!mr)
			goto out;
		err = pinrxe_mw_check_mr(mr, access);
		if (err)
			goto out;
	}
	pinrxe_mw_do_bind(qp, mw, mr, new_rkey, addr, length, access);
out:
	/* The binding counts in num_mw; the lookup's reference goes. */
	if (mr)
		pinrxe_mr_put(mr);
	xa_unlock_bh(&pdev->mr_xa);
	return err;
}

/*
 * Invalidate @mw, found by its rkey under the key array's lock: a type 2
 * window, valid, of the QP's PD, and for a remote invalidation bound
 * through this very QP (o10-37.2.26: type 1 windows cannot be
 * invalidated, only rebound).
 */
static int pinrxe_mw_invalidate(struct pinrxe_qp *qp, struct pinrxe_mw *mw,
				bool remote)
{
	if (mw->ibmw.type != IB_MW_TYPE_2 || mw->state != PINRXE_MW_VALID ||
	    mw->ibmw.pd != pinrxe_qp_pd(qp) ||
	    (remote && mw->qp_serial != qp->serial))
		return -EINVAL;
	pinrxe_mw_unbind(mw);
	mw->state = PINRXE_MW_FREE;
	return 0;
}

/*
 * Invalidate the fast-registration MR @key names, if it can be
 * (pinrxe_mr_invalidate()).  Returns it referenced for the wait for its
 * users, or NULL with *@err set.  Under the key array's lock.
 */
static struct pinrxe_mr *pinrxe_mr_key_invalidate(struct pinrxe_qp *qp,
						  u32 key, int *err)
{
	struct pinrxe_mr *mr = pinrxe_mr_load(to_pdev(qp->ibqp.device), key);

	*err = mr ? pinrxe_mr_invalidate(mr, pinrxe_qp_pd(qp), key) : -EINVAL;
	if (*err)
		return NULL;
	/* The registration's reference stays until dereg erases the entry. */
	refcount_inc(&mr->ref);
	return mr;
}

/**
 * pinrxe_invalidate_rkey() - invalidate the key a LOCAL_INV work request
 *	or a received SEND_WITH_INV names
 * @qp: the QP executing it; from its task
 * @key: the key: a window's rkey, or a fast-registration MR's key
 * @remote: it came in a SEND_WITH_INV
 *
 * The one invalidation path, for both operations.  The key is resolved
 * and its window or MR goes FREE under the key array's lock, which binds,
 * deallocation, dereg and rereg take too.  A window must be of type 2,
 * valid and of the QP's PD, and for a remote invalidation bound through
 * this very QP.  An MR must be a fast-registration MR of the QP's PD with
 * no windows bound (IBTA lets these operations invalidate no other MR:
 * registered user memory and the DMA MR fail like an unknown key); once
 * the lock is dropped this waits for the accesses that took the MR
 * before, so none touches its pages after the invalidation completes.
 * Sleeps.
 *
 * Return: 0; -EINVAL when the key names nothing this QP may invalidate,
 * -EBUSY for an MR with windows bound.
 */
int pinrxe_invalidate_rkey(struct pinrxe_qp *qp, u32 key, bool remote)
{
	struct pinrxe_dev *pdev = to_pdev(qp->ibqp.device);
	struct pinrxe_mr *mr = NULL;
	struct pinrxe_mw *mw;
	int err;

	xa_lock_bh(&pdev->mr_xa);
	mw = pinrxe_mw_find(pdev, key);
	if (mw)
		err = pinrxe_mw_invalidate(qp, mw, remote);
	else
		mr = pinrxe_mr_key_invalidate(qp, key, &err);
	xa_unlock_bh(&pdev->mr_xa);
	if (mr) {
		pinrxe_mr_wait_users(mr, 1);
		pinrxe_mr_put(mr);
	}
	return err;
}

/*
 * A remote access through @mw by @qp: the window is valid, of the QP's
 * PD, for type 2 bound through this QP, grants the right and covers the
 * range.
 */
static int pinrxe_mw_check_access(struct pinrxe_mw *mw, struct pinrxe_qp *qp,
				  int access, u64 iova, u64 length)
{
	if (mw->state != PINRXE_MW_VALID || mw->ibmw.pd != pinrxe_qp_pd(qp) ||
	    (mw->ibmw.type == IB_MW_TYPE_2 && mw->qp_serial != qp->serial))
		return -EINVAL;
	if ((mw->access & access) != access)
		return -EACCES;
	if (!mw->length || iova < mw->addr || length > mw->length ||
	    iova - mw->addr > mw->length - length)
		return -ERANGE;
	return 0;
}

/*
 * The MR behind the window named by @rkey, referenced, for an access by
 * @qp; NULL with *@err set.  The window's MR is alive, unchanged and VALID
 * while the window is bound to it (it cannot be deregistered,
 * reregistered or invalidated), and the window's range lies inside it.
 * Its state is checked all the same: no lookup hands out an MR that is
 * not VALID.
 */
static struct pinrxe_mr *pinrxe_mw_get_mr(struct pinrxe_qp *qp, u32 rkey,
					  int access, u64 iova, u64 length,
					  int *err)
{
	struct pinrxe_dev *pdev = to_pdev(qp->ibqp.device);
	struct pinrxe_mr *mr = NULL;
	struct pinrxe_mw *mw;

	xa_lock_bh(&pdev->mr_xa);
	mw = pinrxe_mw_find(pdev, rkey);
	*err = mw ? pinrxe_mw_check_access(mw, qp, access, iova, length) :
		    -EINVAL;
	if (!*err && READ_ONCE(mw->mr->state) != PINRXE_MR_VALID)
		*err = -EINVAL;
	if (!*err) {
		mr = mw->mr;
		refcount_inc(&mr->ref);
	}
	xa_unlock_bh(&pdev->mr_xa);
	return mr;
}

/**
 * pinrxe_rkey_get() - resolve an rkey for a remote access
 * @qp: the QP the request came to
 * @rkey: the key in the request, an MR's or a window's
 * @access: the IB_ACCESS_REMOTE_* right the access needs
 * @iova: first byte accessed, in the MR's or window's address space
 * @length: bytes accessed
 * @err: on failure, -EINVAL for a bad key, -EACCES for missing rights,
 *	-ERANGE for an access outside the MR or window
 *
 * An access through a window is checked against the window (its state,
 * PD, QP for type 2, rights and range) and goes to its MR at the same
 * address: windows are not zero-based.
 *
 * Return: the MR with a reference held (drop it with pinrxe_mr_put()), or
 * NULL with @err set.
 */
struct pinrxe_mr *pinrxe_rkey_get(struct pinrxe_qp *qp, u32 rkey, int access,
				  u64 iova, u64 length, int *err)
{
	struct pinrxe_dev *pdev = to_pdev(qp->ibqp.device);

	if (pinrxe_key_is_mw(pdev, rkey))
		return pinrxe_mw_get_mr(qp, rkey, access, iova, length, err);
	return pinrxe_mr_get(pdev, rkey, PINRXE_LOOKUP_REMOTE, pinrxe_qp_pd(qp),
			     access, iova, length, err);
}
