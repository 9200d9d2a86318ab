// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Register memory pinned with librdmapin's PIN policy, and see what it
 * costs: the pages pinned and the process's pinned memory (VmPin).
 *
 * usage: reg_pinned DEVICE [MIB]
 */
#include <sys/mman.h>
#include <rdmapin.h>

#include "common.h"

int main(int argc, char **argv)
{
	size_t len = (argc > 2 ? strtoul(argv[2], NULL, 0) : 1) << 20;
	struct rdmapin_mr_info info;
	struct rdmapin_limits lim;
	struct ibv_mr *mr;
	struct ibv_pd *pd;
	void *buf;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DEVICE [MIB]\n", argv[0]);
		return 2;
	}
	pd = example_open(argv[1]);
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 1;

	/* PIN never turns into ODP: it fails instead, and says why. */
	mr = rdmapin_reg_mr(pd, buf, len, IBV_ACCESS_LOCAL_WRITE,
			    RDMAPIN_POLICY_PIN);
	if (!mr) {
		fprintf(stderr, "rdmapin_reg_mr: %s\n", rdmapin_last_error());
		return 1;
	}
	if (rdmapin_mr_info(mr, &info)) {
		fprintf(stderr, "rdmapin_mr_info: %s\n", rdmapin_last_error());
		return 1;
	}
	printf("registered %zu bytes: path %s\n", len,
	       rdmapin_path_str(info.path));
	/* Counters come from the kernel only where the driver reports them. */
	if (info.from_kernel)
		printf("pinned pages %llu (4 KiB folios %llu, 2 MiB folios %llu)\n",
		       (unsigned long long)info.pinned_pages,
		       (unsigned long long)info.folio_pages[RDMAPIN_FOLIO_4K],
		       (unsigned long long)info.folio_pages[RDMAPIN_FOLIO_2M]);
	if (!rdmapin_limits(0, &lim))
		printf("process pinned memory (VmPin) %llu KiB\n",
		       (unsigned long long)lim.pinned_bytes / 1024);
	ibv_dereg_mr(mr);
	return 0;
}
