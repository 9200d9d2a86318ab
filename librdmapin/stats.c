// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rdmapin_dev_stats(): a port's hardware counters, as `rdma statistic
 * show link DEV/PORT` shows them (RDMA_NLDEV_CMD_STAT_GET).  pinrxe's
 * include the pinning gauge (pinned_pages), fallbacks and ODP faults.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rdma/rdma_netlink.h>

#include "rdmapin_int.h"

static int parse_stats(const struct nlmsghdr *nlh, void *arg)
{
	return rdmapin_nl_parse_stats(nlh, arg);
}

int rdmapin_dev_stats(const char *dev, uint32_t port, struct rdmapin_stat **out,
		      size_t *n)
{
	struct rdmapin_stat_vec vec = {};
	uint32_t index;
	int ret;

	rdmapin_err_clear();
	if (!dev || !out || !n)
		return rdmapin_err(EINVAL, "rdmapin_dev_stats: NULL argument");
	if (!port)
		return rdmapin_err(EINVAL, "port numbers start at 1");
	ret = rdmapin_nl_dev_index(dev, &index);
	if (ret == ENODEV)
		return rdmapin_err(ret, "no RDMA device named %s", dev);
	if (ret)
		return rdmapin_err(ret, "rdma netlink: %s", strerror(ret));
	ret = rdmapin_nl_request(RDMA_NLDEV_CMD_STAT_GET, false, index, port,
				 NULL, parse_stats, &vec);
	if (!ret && !vec.seen)
		ret = EOPNOTSUPP;
	if (ret) {
		free(vec.v);
		if (ret == EOPNOTSUPP)
			return rdmapin_err(ret,
					   "%s has no hardware counters (not supported)",
					   dev);
		if (ret == EINVAL)
			return rdmapin_err(ret, "%s has no port %u", dev, port);
		return rdmapin_err(ret, "reading %s/%u counters: %s", dev,
				   port, strerror(ret));
	}
	*out = vec.v ? vec.v : calloc(1, sizeof(**out));
	*n = vec.n;
	return 0;
}
