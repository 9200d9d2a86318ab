// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Register memory for on-demand paging (the ODP policy), which pins
 * nothing, then prefetch it with ibv_advise_mr() so that the device's
 * first accesses need not fault, and show the MR's ODP counters.
 *
 * usage: reg_odp_prefetch DEVICE [MIB]
 */
#include <errno.h>
#include <sys/mman.h>
#include <rdmapin.h>

#include "common.h"

int main(int argc, char **argv)
{
	size_t len = (argc > 2 ? strtoul(argv[2], NULL, 0) : 1) << 20;
	struct rdmapin_mr_info info;
	struct ibv_sge sge;
	struct ibv_mr *mr;
	struct ibv_pd *pd;
	void *buf;
	int ret;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DEVICE [MIB]\n", argv[0]);
		return 2;
	}
	pd = example_open(argv[1]);
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 1;

	/* EOPNOTSUPP, with a message, where the device has no ODP. */
	mr = rdmapin_reg_mr(pd, buf, len, IBV_ACCESS_LOCAL_WRITE,
			    RDMAPIN_POLICY_ODP);
	if (!mr) {
		fprintf(stderr, "rdmapin_reg_mr: %s\n", rdmapin_last_error());
		return errno == EOPNOTSUPP ? 3 : 1;
	}

	/* Fault the whole range in now, and wait for it (FLUSH). */
	sge.addr = (uintptr_t)buf;
	sge.length = len;
	sge.lkey = mr->lkey;
	ret = ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
			    IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1);
	if (ret) {
		fprintf(stderr, "ibv_advise_mr: %s\n", strerror(ret));
		return 1;
	}
	if (!rdmapin_mr_info(mr, &info))
		printf("path %s, pinned pages %llu, prefetches %llu, pages faulted %llu\n",
		       rdmapin_path_str(info.path),
		       (unsigned long long)info.pinned_pages,
		       (unsigned long long)info.odp_prefetches,
		       (unsigned long long)info.odp_pages_faulted);
	ibv_dereg_mr(mr);
	return 0;
}
