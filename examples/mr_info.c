// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Read what librdmapin knows: the devices, a registration's information,
 * the MRs the kernel tracks for this process, and the port's counters
 * (which on pinrxe include the pinned_pages gauge).
 *
 * usage: mr_info DEVICE
 */
#include <unistd.h>
#include <sys/mman.h>
#include <rdmapin.h>

#include "common.h"

static void show_devices(void)
{
	struct rdmapin_device *d;
	size_t n;

	if (rdmapin_devices(&d, &n)) {
		fprintf(stderr, "rdmapin_devices: %s\n", rdmapin_last_error());
		return;
	}
	for (size_t i = 0; i < n; i++)
		printf("device %s: driver %s, netdev %s, pinrxe %s, ODP %s\n",
		       d[i].name, d[i].driver, d[i].netdev[0] ? d[i].netdev : "-",
		       d[i].pinrxe ? "yes" : "no", d[i].odp ? "yes" : "no");
	free(d);
}

static void show_mine(void)
{
	struct rdmapin_mr_entry *e;
	size_t n;

	if (rdmapin_mr_list(NULL, getpid(), &e, &n)) {
		fprintf(stderr, "rdmapin_mr_list: %s\n", rdmapin_last_error());
		return;
	}
	for (size_t i = 0; i < n; i++)
		printf("kernel MR %s/%u: %llu bytes, path %s, pinned pages %llu\n",
		       e[i].dev, e[i].mrn, (unsigned long long)e[i].info.length,
		       rdmapin_path_str(e[i].info.path),
		       (unsigned long long)e[i].info.pinned_pages);
	free(e);
}

static void show_stats(const char *dev)
{
	struct rdmapin_stat *s;
	size_t n;

	/* EOPNOTSUPP for a device without counters. */
	if (rdmapin_dev_stats(dev, 1, &s, &n)) {
		fprintf(stderr, "rdmapin_dev_stats: %s\n", rdmapin_last_error());
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (s[i].value || !strcmp(s[i].name, "pinned_pages"))
			printf("counter %s %llu\n", s[i].name,
			       (unsigned long long)s[i].value);
	free(s);
}

int main(int argc, char **argv)
{
	const size_t len = 256 << 10;
	struct rdmapin_mr_info info;
	struct ibv_mr *mr;
	struct ibv_pd *pd;
	void *buf;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DEVICE\n", argv[0]);
		return 2;
	}
	show_devices();
	pd = example_open(argv[1]);
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 1;
	mr = rdmapin_reg_mr(pd, buf, len, IBV_ACCESS_LOCAL_WRITE,
			    RDMAPIN_POLICY_AUTO);
	if (!mr) {
		fprintf(stderr, "rdmapin_reg_mr: %s\n", rdmapin_last_error());
		return 1;
	}
	if (!rdmapin_mr_info(mr, &info))
		printf("MR: path %s, reason %s, pinned pages %llu, from kernel %s\n",
		       rdmapin_path_str(info.path),
		       rdmapin_reason_str(info.reason),
		       (unsigned long long)info.pinned_pages,
		       info.from_kernel ? "yes" : "no (library's record only)");
	show_mine();
	show_stats(argv[1]);
	ibv_dereg_mr(mr);
	return 0;
}
