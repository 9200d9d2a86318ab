// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The pinrxe provider's direct verbs (<infiniband/pinrxedv.h>), reached
 * through dlopen("libpinrxe.so.1") so that librdmapin needs no pinrxe at
 * link time and still works, with less to tell, where pinrxe is not
 * installed.  libibverbs loads the provider as libpinrxe-rdmav34.so, a
 * link to the same file, so the dynamic loader maps it once and these
 * calls see the devices and MRs libibverbs opened.
 */
#include <dlfcn.h>
#include <pthread.h>

#include "rdmapin_int.h"

/* Mirrors of pinrxedv.h's ABI (PINRXE_1.0), checked by the unit tests. */
struct dv_mr_info {
	int mode;
	int fallback_reason;
	int pin_errno;
};

static struct {
	bool (*is_supported)(struct ibv_device *dev);
	struct ibv_mr *(*reg_mr)(struct ibv_pd *pd, void *addr, size_t len,
				 uint64_t iova, unsigned int access,
				 uint32_t flags);
	int (*query_mr)(struct ibv_mr *mr, struct dv_mr_info *info);
} dv;

static pthread_once_t dv_once = PTHREAD_ONCE_INIT;

static void dv_load(void)
{
	void *h = dlopen("libpinrxe.so.1", RTLD_NOW | RTLD_LOCAL);

	if (!h)
		return;
	dv.is_supported = dlsym(h, "pinrxedv_is_supported");
	dv.reg_mr = dlsym(h, "pinrxedv_reg_mr");
	dv.query_mr = dlsym(h, "pinrxedv_query_mr");
	if (!dv.is_supported || !dv.reg_mr || !dv.query_mr) {
		dv.is_supported = NULL;
		dlclose(h);
	}
	/* Kept open for the life of the process, as libibverbs keeps it. */
}

bool rdmapin_dv_supported(struct ibv_device *dev)
{
	pthread_once(&dv_once, dv_load);
	return dv.is_supported && dev && dv.is_supported(dev);
}

struct ibv_mr *rdmapin_dv_reg_mr(struct ibv_pd *pd, void *addr, size_t len,
				 unsigned int access, uint32_t flags)
{
	return dv.reg_mr(pd, addr, len, (uintptr_t)addr, access, flags);
}

int rdmapin_dv_query_mr(struct ibv_mr *mr, struct rdmapin_dv_info *info)
{
	struct dv_mr_info dvi;
	int ret;

	if (!rdmapin_dv_supported(mr->context->device))
		return EOPNOTSUPP;
	ret = dv.query_mr(mr, &dvi);
	if (ret)
		return ret;
	info->mode = dvi.mode;
	info->reason = dvi.fallback_reason;
	info->pin_errno = dvi.pin_errno;
	return 0;
}
