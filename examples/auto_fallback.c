// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The AUTO policy on a writable MAP_SHARED mapping of a file on a
 * filesystem that tracks dirty pages (ext4, xfs): the kernel refuses to
 * pin such pages long-term (writeback would clean them under the
 * device), so AUTO registers the range for on-demand paging instead and
 * records why.  On a device without ODP it fails and says so.
 *
 * usage: auto_fallback DEVICE FILE   (FILE is created, 1 MiB)
 */
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <rdmapin.h>

#include "common.h"

int main(int argc, char **argv)
{
	const size_t len = 1 << 20;
	struct rdmapin_mr_info info;
	struct ibv_mr *mr;
	struct ibv_pd *pd;
	void *buf;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: %s DEVICE FILE\n", argv[0]);
		return 2;
	}
	pd = example_open(argv[1]);
	fd = open(argv[2], O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, len)) {
		perror(argv[2]);
		return 1;
	}
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (buf == MAP_FAILED)
		return 1;

	/* Remote write access makes the pin a writable one: refused. */
	mr = rdmapin_reg_mr(pd, buf, len,
			    IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE,
			    RDMAPIN_POLICY_AUTO);
	if (!mr) {
		fprintf(stderr, "rdmapin_reg_mr: %s\n", rdmapin_last_error());
		return 1;
	}
	if (rdmapin_mr_info(mr, &info)) {
		fprintf(stderr, "rdmapin_mr_info: %s\n", rdmapin_last_error());
		return 1;
	}
	printf("path %s, reason %s (pin failed with %s)\n",
	       rdmapin_path_str(info.path), rdmapin_reason_str(info.reason),
	       info.pin_errno ? strerror(info.pin_errno) : "nothing");
	ibv_dereg_mr(mr);
	munmap(buf, len);
	close(fd);
	return 0;
}
