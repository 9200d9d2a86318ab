// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rdmapin_devices(): the RDMA devices as rdma netlink lists them, with
 * their driver, port 1's netdev, and what they offer for pinning
 * decisions (pinrxe's direct verbs, ODP) as libibverbs reports it.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rdma/ib_user_ioctl_verbs.h>
#include <rdma/rdma_netlink.h>

#include "rdmapin_int.h"

bool rdmapin_ctx_odp(struct ibv_context *ctx)
{
	struct ibv_device_attr_ex attr;

	if (ibv_query_device_ex(ctx, NULL, &attr))
		return false;
	return attr.odp_caps.general_caps & IBV_ODP_SUPPORT;
}

static const char *driver_id_name(uint64_t id)
{
	static const char *const names[] = {
		[RDMA_DRIVER_MLX5] = "mlx5",
		[RDMA_DRIVER_MLX4] = "mlx4",
		[RDMA_DRIVER_CXGB3] = "cxgb3",
		[RDMA_DRIVER_CXGB4] = "cxgb4",
		[RDMA_DRIVER_MTHCA] = "mthca",
		[RDMA_DRIVER_BNXT_RE] = "bnxt_re",
		[RDMA_DRIVER_OCRDMA] = "ocrdma",
		[RDMA_DRIVER_NES] = "nes",
		[RDMA_DRIVER_IRDMA] = "irdma",
		[RDMA_DRIVER_VMW_PVRDMA] = "vmw_pvrdma",
		[RDMA_DRIVER_QEDR] = "qedr",
		[RDMA_DRIVER_HNS] = "hns",
		[RDMA_DRIVER_USNIC] = "usnic",
		[RDMA_DRIVER_RXE] = "rxe",
		[RDMA_DRIVER_HFI1] = "hfi1",
		[RDMA_DRIVER_QIB] = "qib",
		[RDMA_DRIVER_EFA] = "efa",
		[RDMA_DRIVER_SIW] = "siw",
		[RDMA_DRIVER_ERDMA] = "erdma",
	};

	if (id >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[id];
}

static int parse_driver_id(const struct nlmsghdr *nlh, void *arg)
{
	return rdmapin_nl_parse_driver_id(nlh, arg);
}

static int parse_ndev(const struct nlmsghdr *nlh, void *arg)
{
	struct rdmapin_device *d = arg;

	return rdmapin_nl_parse_port_ndev(nlh, d->netdev, sizeof(d->netdev));
}

/* A device on a bus has a driver link in sysfs; soft devices have none. */
static void sysfs_driver(struct rdmapin_device *d)
{
	char path[160], target[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/infiniband/%s/device/driver",
		 d->name);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = 0;
	snprintf(d->driver, sizeof(d->driver), "%s", basename(target));
}

/* What libibverbs says: the pinrxe provider claims it; ODP support. */
static void verbs_caps(struct rdmapin_device *d, struct ibv_device **list)
{
	struct ibv_context *ctx;

	for (; list && *list; list++) {
		if (strcmp(ibv_get_device_name(*list), d->name))
			continue;
		d->pinrxe = rdmapin_dv_supported(*list);
		ctx = ibv_open_device(*list);
		if (ctx) {
			d->odp = rdmapin_ctx_odp(ctx);
			ibv_close_device(ctx);
		}
		return;
	}
}

static void fill_device(struct rdmapin_device *d, const struct rdmapin_nl_dev *nd,
			struct ibv_device **list)
{
	uint64_t id = 0;
	const char *drv;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", nd->name);
	d->index = nd->index;
	if (nd->nports)
		rdmapin_nl_request(RDMA_NLDEV_CMD_PORT_GET, false, nd->index, 1,
				   NULL, parse_ndev, d);
	/* The uverbs driver id, when the driver has one (pinrxe has not). */
	rdmapin_nl_request(RDMA_NLDEV_CMD_GET_CHARDEV, false, nd->index, 0,
			   "uverbs", parse_driver_id, &id);
	drv = driver_id_name(id);
	if (drv)
		snprintf(d->driver, sizeof(d->driver), "%s", drv);
	else
		sysfs_driver(d);
	verbs_caps(d, list);
	if (d->pinrxe)
		snprintf(d->driver, sizeof(d->driver), "pinrxe");
	if (!d->driver[0])
		snprintf(d->driver, sizeof(d->driver), "unknown");
}

int rdmapin_devices(struct rdmapin_device **out, size_t *n)
{
	struct rdmapin_nl_dev *nds;
	struct ibv_device **list;
	struct rdmapin_device *v;
	size_t nn, i;
	int ret;

	rdmapin_err_clear();
	if (!out || !n)
		return rdmapin_err(EINVAL, "rdmapin_devices: NULL argument");
	ret = rdmapin_nl_devs(&nds, &nn);
	if (ret)
		return rdmapin_err(ret,
				   "cannot list RDMA devices over rdma netlink: %s",
				   strerror(ret));
	v = calloc(nn ? nn : 1, sizeof(*v));
	if (!v) {
		free(nds);
		return rdmapin_err(ENOMEM, "out of memory");
	}
	list = ibv_get_device_list(NULL);
	for (i = 0; i < nn; i++)
		fill_device(&v[i], &nds[i], list);
	if (list)
		ibv_free_device_list(list);
	free(nds);
	*out = v;
	*n = nn;
	return 0;
}
