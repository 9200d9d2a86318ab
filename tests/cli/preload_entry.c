// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Every libibverbs entry point that registers memory, called once each, to
 * run under librdmapin-preload.so (tests/cases/72-preload.sh): prints one
 * line per registration, "ENTRY PATH REASON", with the path the MR took as
 * pinrxe reports it (rdmapin_mr_info()).
 *
 * usage: preload_entry DEV [LENGTH]
 *        preload_entry DEV LENGTH ro-odp
 * The second form registers read-only memory once, with write access and
 * IBV_ACCESS_ON_DEMAND: on-demand paging accepts the registration, but
 * the shim's RDMAPIN_PREFETCH cannot make the pages writable, so its
 * prefetch fails, and the MR must stay usable (deregistration works).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <infiniband/verbs.h>
#include <rdmapin.h>

static int report(const char *entry, struct ibv_mr *mr)
{
	struct rdmapin_mr_info info;
	int ret;

	if (!mr) {
		printf("%s failed %s\n", entry, strerror(errno));
		return 1;
	}
	ret = rdmapin_mr_info(mr, &info);
	if (ret) {
		printf("%s info-failed %s\n", entry, strerror(ret));
		ibv_dereg_mr(mr);
		return 1;
	}
	printf("%s %s %s\n", entry, rdmapin_path_str(info.path),
	       rdmapin_reason_str(info.reason));
	return ibv_dereg_mr(mr) ? 1 : 0;
}

int main(int argc, char **argv)
{
	unsigned int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE;
	struct ibv_device **list;
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd;
	size_t len = argc > 2 ? strtoul(argv[2], NULL, 0) : 65536;
	char *buf;
	int i, bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: preload_entry DEV [LENGTH [ro-odp]]\n");
		return 2;
	}
	list = ibv_get_device_list(NULL);
	for (i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), argv[1]))
			ctx = ibv_open_device(list[i]);
	pd = ctx ? ibv_alloc_pd(ctx) : NULL;
	if (argc > 3 && !strcmp(argv[3], "ro-odp")) {
		buf = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
		if (!pd || buf == MAP_FAILED) {
			fprintf(stderr, "preload_entry: cannot open %s\n",
				argv[1]);
			return 1;
		}
		return report("ro-odp",
			      (ibv_reg_mr)(pd, buf, len,
					   (int)(access | IBV_ACCESS_ON_DEMAND)));
	}
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!pd || buf == MAP_FAILED) {
		fprintf(stderr, "preload_entry: cannot open %s\n", argv[1]);
		return 1;
	}
	memset(buf, 1, len);
	/* The functions themselves: parentheses keep verbs.h's macros out. */
	bad |= report("ibv_reg_mr", (ibv_reg_mr)(pd, buf, len, (int)access));
	bad |= report("ibv_reg_mr_iova",
		      (ibv_reg_mr_iova)(pd, buf, len, (uintptr_t)buf, (int)access));
	bad |= report("ibv_reg_mr_iova2",
		      ibv_reg_mr_iova2(pd, buf, len, (uintptr_t)buf, access));
	/* An IOVA that is not the address: the shim's own policy path. */
	bad |= report("ibv_reg_mr_iova@0x10000",
		      (ibv_reg_mr_iova)(pd, buf, len, 0x10000, (int)access));
	/* verbs.h's inline form, constant flags: ibv_reg_mr. */
	bad |= report("inline-const", ibv_reg_mr(pd, buf, len,
						 IBV_ACCESS_LOCAL_WRITE));
	/* An optional-range flag: the inline form calls ibv_reg_mr_iova2. */
	bad |= report("inline-optional",
		      ibv_reg_mr(pd, buf, len, IBV_ACCESS_LOCAL_WRITE |
						      IBV_ACCESS_RELAXED_ORDERING));
	/* The program's own ODP request gives way to the policy. */
	bad |= report("ibv_reg_mr+on_demand",
		      (ibv_reg_mr)(pd, buf, len, (int)(access | IBV_ACCESS_ON_DEMAND)));
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	ibv_free_device_list(list);
	munmap(buf, len);
	return bad;
}
