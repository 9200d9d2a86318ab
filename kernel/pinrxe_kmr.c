// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory regions of kernel consumers.  This device has no DMA engine: it
 * tells ib_core so by having no dma_device (ib_uses_virt_dma()), and the
 * "DMA addresses" ib_core hands kernel consumers are then kernel virtual
 * addresses (ib_dma_map_single(), ib_dma_map_sg()).  So:
 *
 * - the DMA MR (get_dma_mr), which ib_alloc_pd() makes for the PD's
 *   local_dma_lkey, covers all of kernel memory: an SGE address under its
 *   key is used as a pointer;
 * - a fast-registration MR (alloc_mr) holds a page list that map_mr_sg
 *   builds with ib_sg_to_pages(), each entry a page's kernel address.  The
 *   list is staged and only becomes the MR's translation when an
 *   IB_WR_REG_MR work request executes (pinrxe_fast_reg()), as a NIC reads
 *   the list when it executes the registration.  The MR is FREE until then
 *   and again after an invalidation, by a LOCAL_INV or a peer's
 *   SEND_WITH_INV (pinrxe_invalidate_rkey()).
 *
 * Nothing here pins: kernel memory is the consumer's to keep in place.
 * Keys, lookups and state rules are those of pinrxe_mr.c.
 */
#include <linux/log2.h>
#include <linux/slab.h>
#include <rdma/ib_verbs.h>

#include "pinrxe.h"

/* Access a registration may grant; the optional ones are hints. */
#define PINRXE_KMR_ACCESS (IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE | \
			   IB_ACCESS_REMOTE_READ | IB_ACCESS_REMOTE_ATOMIC | \
			   IB_ACCESS_OPTIONAL)

/*
 * The IBA's rule for every registration: remote write and remote atomic
 * need local write.  No IB_ACCESS_MW_BIND: kernel consumers have no
 * memory windows (ib_core offers them none), so a kernel MR never has
 * windows bound.
 */
static bool pinrxe_kmr_access_ok(int access)
{
	if (access & ~PINRXE_KMR_ACCESS)
		return false;
	return !(access & (IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC)) ||
	       (access & IB_ACCESS_LOCAL_WRITE);
}

static struct pinrxe_mr *pinrxe_kmr_alloc(enum ib_mr_type type, int access,
					  int state)
{
	struct pinrxe_mr *mr = kzalloc(sizeof(*mr), GFP_KERNEL);

	if (!mr)
		return NULL;
	mr->type = type;
	mr->access = access;
	refcount_set(&mr->ref, 1);
	mr->state = state;
	return mr;
}

/**
 * pinrxe_get_dma_mr() - the MR of all kernel memory, for a kernel PD
 * @ibpd: the PD; ib_alloc_pd() makes its local_dma_lkey from this MR
 * @access: IB_ACCESS_* rights; remote ones only for a PD created with
 *	IB_PD_UNSAFE_GLOBAL_RKEY, whose owner asked for them
 *
 * SGE and remote addresses under its keys are kernel virtual addresses.
 * Kernel callers only: ib_core offers the verb to no process.
 *
 * Return: the MR, or an ERR_PTR: -EINVAL for unknown access flags or a
 * remote write without local write; -ENOMEM.
 */
struct ib_mr *pinrxe_get_dma_mr(struct ib_pd *ibpd, int access)
{
	struct pinrxe_mr *mr;
	int err;

	if (!pinrxe_kmr_access_ok(access))
		return ERR_PTR(-EINVAL);
	mr = pinrxe_kmr_alloc(IB_MR_TYPE_DMA, access, PINRXE_MR_VALID);
	if (!mr)
		return ERR_PTR(-ENOMEM);
	mr->iova = 0;
	mr->length = U64_MAX;
	err = pinrxe_mr_publish(to_pdev(ibpd->device), mr, GFP_KERNEL);
	if (err) {
		kfree(mr);
		return ERR_PTR(err);
	}
	return &mr->ibmr;
}

/**
 * pinrxe_alloc_mr() - allocate a fast-registration MR
 * @ibpd: the PD
 * @type: IB_MR_TYPE_MEM_REG
 * @max_num_sg: the most pages one registration may map
 *
 * The MR starts FREE, with its keys (the lkey, which is also its rkey) and
 * no translation; an IB_WR_REG_MR work request makes it VALID.
 *
 * Return: the MR, or an ERR_PTR: -EOPNOTSUPP for other MR types (SG gaps,
 * integrity); -EINVAL for no pages or more than max_fast_reg_page_list_len;
 * -ENOMEM.
 */
struct ib_mr *pinrxe_alloc_mr(struct ib_pd *ibpd, enum ib_mr_type type,
			      u32 max_num_sg)
{
	struct pinrxe_dev *pdev = to_pdev(ibpd->device);
	struct pinrxe_mr *mr;
	int err = -ENOMEM;

	if (type != IB_MR_TYPE_MEM_REG)
		return ERR_PTR(-EOPNOTSUPP);
	if (!max_num_sg || max_num_sg > pdev->attr.max_fast_reg_page_list_len)
		return ERR_PTR(-EINVAL);
	mr = pinrxe_kmr_alloc(type, 0, PINRXE_MR_FREE);
	if (!mr)
		return ERR_PTR(-ENOMEM);
	mr->max_pages = max_num_sg;
	mr->fr.addr = kvcalloc(max_num_sg, sizeof(u64), GFP_KERNEL);
	mr->fr_map.addr = kvcalloc(max_num_sg, sizeof(u64), GFP_KERNEL);
	if (!mr->fr.addr || !mr->fr_map.addr)
		goto err_free;
	err = pinrxe_mr_publish(pdev, mr, GFP_KERNEL);
	if (err)
		goto err_free;
	return &mr->ibmr;

err_free:
	kvfree(mr->fr.addr);
	kvfree(mr->fr_map.addr);
	kfree(mr);
	return ERR_PTR(err);
}

static int pinrxe_set_page(struct ib_mr *ibmr, u64 addr)
{
	struct pinrxe_mr *mr = to_pmr(ibmr);

	if (mr->fr_map.npages == mr->max_pages)
		return -ENOMEM;
	mr->fr_map.addr[mr->fr_map.npages++] = addr;
	return 0;
}

/**
 * pinrxe_map_mr_sg() - stage the pages of a fast-registration MR
 * @ibmr: the MR
 * @sg: a scatterlist mapped with ib_dma_map_sg()
 * @sg_nents: its entries
 * @sg_offset: in: the offset into the first entry; out, when not all fits,
 *	how far it got (ib_sg_to_pages())
 *
 * ib_core has set ibmr->page_size; ib_sg_to_pages() sets ibmr->iova and
 * ibmr->length and calls back for each page.  What is staged here takes
 * effect with the next IB_WR_REG_MR, not before.
 *
 * Return: the number of entries mapped, or -EINVAL for a page size that
 * is not a power of two of at least 4 KiB.
 */
int pinrxe_map_mr_sg(struct ib_mr *ibmr, struct scatterlist *sg,
		     int sg_nents, unsigned int *sg_offset)
{
	struct pinrxe_mr *mr = to_pmr(ibmr);
	int n;

	if (!is_power_of_2(ibmr->page_size) || ibmr->page_size < SZ_4K)
		return -EINVAL;
	mr->fr_map.npages = 0;
	mr->fr_map.page_shift = ilog2(ibmr->page_size);
	n = ib_sg_to_pages(ibmr, sg, sg_nents, sg_offset, pinrxe_set_page);
	mr->fr_map.offset = ibmr->iova & (ibmr->page_size - 1);
	return n;
}

/*
 * The checks IB_WR_REG_MR needs to pass before the MR changes: a
 * fast-registration MR of the QP's PD (the new key's index names it), a
 * range within the staged pages, valid access.
 */
static bool pinrxe_fast_reg_ok(struct pinrxe_mr *mr, struct ib_pd *pd,
			       const struct pinrxe_send_wqe *wqe)
{
	const struct pinrxe_fr_pages *map = &mr->fr_map;
	u64 size = (u64)map->npages << map->page_shift;

	if (mr->type != IB_MR_TYPE_MEM_REG || mr->ibmr.pd != pd)
		return false;
	if (!pinrxe_kmr_access_ok(wqe->wr.reg.access))
		return false;
	return map->offset <= size && wqe->wr.reg.length <= size - map->offset;
}

/**
 * pinrxe_fast_reg() - execute an IB_WR_REG_MR work request
 * @pdev: the device
 * @pd: the PD of the QP that posted it
 * @wqe: the validated WQE: the MR's new key, which names it, the access,
 *	and the range to register
 *
 * The MR must be FREE: the pages map_mr_sg staged become its translation,
 * the key its lkey and rkey, and it turns VALID.  Run from the QP's task.
 *
 * Return: 0, or -EINVAL when the key names no fast-registration MR of
 * @pd, the MR is not FREE, the access is invalid, the range exceeds the
 * staged pages, or the MR is being deregistered.
 */
int pinrxe_fast_reg(struct pinrxe_dev *pdev, struct ib_pd *pd,
		    const struct pinrxe_send_wqe *wqe)
{
	struct pinrxe_mr *mr;
	int err = -EINVAL;

	rcu_read_lock();
	mr = pinrxe_mr_load(pdev, wqe->wr.reg.key);
	if (mr && !refcount_inc_not_zero(&mr->ref))
		mr = NULL;
	rcu_read_unlock();
	if (!mr)
		return -EINVAL;
	if (!pinrxe_fast_reg_ok(mr, pd, wqe))
		goto out;
	/* Lookups back off while the MR is BUSY. */
	if (cmpxchg(&mr->state, PINRXE_MR_FREE, PINRXE_MR_BUSY) !=
	    PINRXE_MR_FREE)
		goto out;
	memcpy(mr->fr.addr, mr->fr_map.addr,
	       mr->fr_map.npages * sizeof(*mr->fr.addr));
	mr->fr.npages = mr->fr_map.npages;
	mr->fr.page_shift = mr->fr_map.page_shift;
	mr->offset = mr->fr_map.offset;
	mr->iova = wqe->wr.reg.iova;
	mr->length = wqe->wr.reg.length;
	mr->access = wqe->wr.reg.access;
	WRITE_ONCE(mr->lkey, wqe->wr.reg.key);
	WRITE_ONCE(mr->rkey, wqe->wr.reg.key);
	/*
	 * Release: the translation before the state that lets lookups use
	 * it.  Only from BUSY: a dereg that started meanwhile has set
	 * INVALID and waits for our reference; VALID over it would hand the
	 * MR out again while dereg frees it.
	 */
	if (cmpxchg_release(&mr->state, PINRXE_MR_BUSY, PINRXE_MR_VALID) ==
	    PINRXE_MR_BUSY)
		err = 0;
out:
	pinrxe_mr_put(mr);
	return err;
}

/* Copy @len bytes at kernel address @va; the directions of pinrxe_mr_copy(). */
static void pinrxe_kva_copy(void *va, void *buf, u32 len,
			    enum pinrxe_copy_dir dir)
{
	if (dir == PINRXE_TO_MR)
		memcpy(va, buf, len);
	else
		memcpy(buf, va, len);
}

/**
 * pinrxe_kmr_copy() - copy between a kernel consumer's MR and a buffer
 * @mr: a DMA or fast-registration MR, held and checked by pinrxe_mr_get()
 *	for [@iova, @iova + @len)
 * @iova: first byte
 * @buf: the buffer
 * @len: bytes
 * @dir: which way
 *
 * A DMA MR's addresses are kernel addresses; a fast-registration MR's are
 * translated page by page through its registered page list.
 */
void pinrxe_kmr_copy(struct pinrxe_mr *mr, u64 iova, void *buf, u32 len,
		     enum pinrxe_copy_dir dir)
{
	const struct pinrxe_fr_pages *fr = &mr->fr;
	u64 off = iova - mr->iova + mr->offset;
	u64 page_size = 1ULL << fr->page_shift;

	if (mr->type == IB_MR_TYPE_DMA) {
		pinrxe_kva_copy((void *)(uintptr_t)iova, buf, len, dir);
		return;
	}
	while (len) {
		u64 in_page = off & (page_size - 1);
		u32 n = min_t(u64, len, page_size - in_page);
		u64 va = fr->addr[off >> fr->page_shift] + in_page;

		pinrxe_kva_copy((void *)(uintptr_t)va, buf, n, dir);
		buf += n;
		off += n;
		len -= n;
	}
}

/**
 * pinrxe_kmr_atomic_va() - where an atomic operand of a kernel consumer's
 *	MR is
 * @mr: a DMA or fast-registration MR, held, with [@iova, @iova + 8) checked
 * @iova: the operand's address, 8-byte aligned: within one page, as
 *	map_mr_sg gives the MR an iova aligned like its first byte
 *
 * Return: its kernel address.
 */
u64 *pinrxe_kmr_atomic_va(struct pinrxe_mr *mr, u64 iova)
{
	const struct pinrxe_fr_pages *fr = &mr->fr;
	u64 off = iova - mr->iova + mr->offset;

	if (mr->type == IB_MR_TYPE_DMA)
		return (u64 *)(uintptr_t)iova;
	return (u64 *)(uintptr_t)(fr->addr[off >> fr->page_shift] +
				  (off & ((1ULL << fr->page_shift) - 1)));
}
