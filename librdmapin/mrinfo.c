// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rdmapin_mr_info() and rdmapin_mr_list(): what registrations are and
 * cost, from the kernel's restrack over rdma netlink (RES_MR_GET), whose
 * driver attributes pinrxe fills (path, reason, pinned pages by folio
 * size, ODP counters), completed by pinrxedv_query_mr() and by the
 * library's record of its own registrations.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rdma/rdma_netlink.h>

#include "rdmapin_int.h"

static int parse_mrs(const struct nlmsghdr *nlh, void *arg)
{
	return rdmapin_nl_parse_mrs(nlh, arg);
}

static int list_dev(uint32_t index, struct rdmapin_mr_vec *vec)
{
	return rdmapin_nl_request(RDMA_NLDEV_CMD_RES_MR_GET, true, index, 0,
				  NULL, parse_mrs, vec);
}

int rdmapin_mr_list(const char *dev, pid_t pid, struct rdmapin_mr_entry **out,
		    size_t *n)
{
	struct rdmapin_mr_vec vec = { .pid = pid };
	struct rdmapin_nl_dev *devs;
	size_t ndevs, i;
	bool found = false;
	int ret;

	rdmapin_err_clear();
	if (!out || !n || pid < 0)
		return rdmapin_err(EINVAL, "rdmapin_mr_list: bad argument");
	ret = rdmapin_nl_devs(&devs, &ndevs);
	if (ret)
		return rdmapin_err(ret, "rdma netlink: %s", strerror(ret));
	for (i = 0; i < ndevs; i++) {
		if (dev && strcmp(dev, devs[i].name))
			continue;
		found = true;
		ret = list_dev(devs[i].index, &vec);
		if (ret)
			break;
	}
	if (!ret && dev && !found)
		ret = rdmapin_err(ENODEV, "no RDMA device named %s", dev);
	else if (ret)
		rdmapin_err(ret, "listing the MRs of %s: %s", devs[i].name,
			    strerror(ret));
	free(devs);
	if (ret) {
		free(vec.v);
		return ret;
	}
	*out = vec.v ? vec.v : calloc(1, sizeof(**out));
	*n = vec.n;
	return 0;
}

/*
 * The restrack entry of @mr: by lkey when the kernel shows keys (to
 * CAP_NET_ADMIN), else the one MR of this process with its length.
 * Restrack knows the creating thread, so both the process and the
 * calling thread's id count as ours.
 */
static int kernel_entry(struct ibv_mr *mr, struct rdmapin_mr_info *out)
{
	const char *dev = ibv_get_device_name(mr->context->device);
	struct rdmapin_mr_vec vec = {};
	uint32_t index;
	size_t i, found = 0, at = 0;
	int ret;

	ret = rdmapin_nl_dev_index(dev, &index);
	if (!ret)
		ret = list_dev(index, &vec);
	for (i = 0; !ret && i < vec.n; i++) {
		const struct rdmapin_mr_entry *e = &vec.v[i];

		if (e->pid != (uint32_t)getpid() && e->pid != (uint32_t)gettid())
			continue;
		if (e->lkey ? e->lkey == mr->lkey :
			      e->info.length == mr->length) {
			found++;
			at = i;
		}
	}
	if (!ret && found != 1)
		ret = ENOENT;
	if (!ret)
		*out = vec.v[at].info;
	free(vec.v);
	return ret;
}

static enum rdmapin_path dv_path(int mode)
{
	return mode == 1 ? RDMAPIN_PATH_PINNED :
	       mode == 2 ? RDMAPIN_PATH_ODP :
	       mode == 3 ? RDMAPIN_PATH_ODP_IMPLICIT : RDMAPIN_PATH_UNKNOWN;
}

int rdmapin_mr_info(struct ibv_mr *mr, struct rdmapin_mr_info *out)
{
	struct rdmapin_mr_info k;
	struct rdmapin_dv_info dvi;
	struct rdmapin_record rec;
	bool have_rec, have_dv;

	rdmapin_err_clear();
	if (!mr || !out)
		return rdmapin_err(EINVAL, "rdmapin_mr_info: NULL argument");
	memset(out, 0, sizeof(*out));
	out->length = mr->length;
	have_rec = !rdmapin_record_find(mr, &rec);
	have_dv = !rdmapin_dv_query_mr(mr, &dvi);
	if (have_rec) {
		out->path = rec.path;
		out->reason = rec.reason;
		out->pin_errno = rec.pin_errno;
	}
	if (have_dv) {
		out->path = dv_path(dvi.mode);
		out->reason = dvi.reason;
		out->pin_errno = dvi.pin_errno;
	}
	/* The kernel's counters, from drivers that report them (pinrxe). */
	if (!kernel_entry(mr, &k) && k.from_kernel) {
		k.reason = out->reason;
		k.pin_errno = out->pin_errno;
		if (out->path != RDMAPIN_PATH_UNKNOWN)
			k.path = out->path;
		*out = k;
		return 0;
	}
	if (have_rec || have_dv)
		return 0;
	return rdmapin_err(EOPNOTSUPP,
			   "%s does not report MR information (not supported) and the MR was not registered through rdmapin_reg_mr()",
			   ibv_get_device_name(mr->context->device));
}
