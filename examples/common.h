/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What every example does first: open a device by name, allocate a PD. */
#ifndef RDMAPIN_EXAMPLE_COMMON_H
#define RDMAPIN_EXAMPLE_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <infiniband/verbs.h>

static inline struct ibv_pd *example_open(const char *name)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd;

	for (int i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			ctx = ibv_open_device(list[i]);
	if (list)
		ibv_free_device_list(list);
	pd = ctx ? ibv_alloc_pd(ctx) : NULL;
	if (!pd) {
		fprintf(stderr, "cannot open RDMA device %s\n", name);
		exit(1);
	}
	return pd;
}

#endif
