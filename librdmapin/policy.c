// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rdmapin_reg_mr(): registration with a policy.
 *
 * The decision is rdmapin_decide(), a pure function of the policy, the
 * device's capabilities and how the pinned attempt failed, so that unit
 * tests cover every combination without a device.  rdmapin_reg_mr() only
 * carries the steps out:
 *
 * - On pinrxe the kernel does the fallback itself (pinrxedv_reg_mr() with
 *   PINRXEDV_REG_FALLBACK_ODP), which leaves nothing of the pinned attempt
 *   behind and records the reason in the MR; PIN asks it never to fall
 *   back, whatever the odp_fallback module parameter says.
 * - Elsewhere AUTO registers pinned and, when that fails with ENOMEM (the
 *   memlock limit) or EFAULT on a range that is mapped (a refused
 *   long-term pin), registers again with IBV_ACCESS_ON_DEMAND if the
 *   device has ODP.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rdmapin_int.h"

static const char *const policy_names[] = {
	[RDMAPIN_POLICY_PIN] = "pin",
	[RDMAPIN_POLICY_ODP] = "odp",
	[RDMAPIN_POLICY_AUTO] = "auto",
};

int rdmapin_policy_parse(const char *s, enum rdmapin_policy *out)
{
	unsigned int i;

	if (!s || !out)
		return rdmapin_err(EINVAL, "no policy string or no result");
	for (i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++) {
		if (!strcasecmp(s, policy_names[i])) {
			*out = i;
			return 0;
		}
	}
	return rdmapin_err(EINVAL,
			   "unknown policy \"%s\": use pin, odp or auto", s);
}

const char *rdmapin_policy_str(enum rdmapin_policy p)
{
	if ((unsigned int)p >= sizeof(policy_names) / sizeof(policy_names[0]))
		return "unknown";
	return policy_names[p];
}

const char *rdmapin_path_str(enum rdmapin_path p)
{
	switch (p) {
	case RDMAPIN_PATH_PINNED:
		return "pinned";
	case RDMAPIN_PATH_ODP:
		return "odp";
	case RDMAPIN_PATH_ODP_IMPLICIT:
		return "odp_implicit";
	default:
		return "unknown";
	}
}

const char *rdmapin_reason_str(enum rdmapin_reason r)
{
	switch (r) {
	case RDMAPIN_REASON_NONE:
		return "none";
	case RDMAPIN_REASON_MEMLOCK:
		return "memlock";
	case RDMAPIN_REASON_PIN_REFUSED:
		return "pin_refused";
	default:
		return "unknown";
	}
}

enum rdmapin_reason rdmapin_pin_failure(int pin_err, bool range_mapped)
{
	if (pin_err == ENOMEM)
		return RDMAPIN_REASON_MEMLOCK;
	/* EFAULT also means "nothing mapped there", which ODP cannot fix. */
	if ((pin_err == EFAULT || pin_err == EOPNOTSUPP) && range_mapped)
		return RDMAPIN_REASON_PIN_REFUSED;
	return RDMAPIN_REASON_NONE;
}

static enum rdmapin_action decide_first(enum rdmapin_policy policy,
					const struct rdmapin_caps *caps)
{
	switch (policy) {
	case RDMAPIN_POLICY_PIN:
		return caps->pinrxedv ? RDMAPIN_ACT_PIN_STRICT : RDMAPIN_ACT_PIN;
	case RDMAPIN_POLICY_ODP:
		return caps->odp ? RDMAPIN_ACT_ODP : RDMAPIN_ACT_FAIL_NO_ODP;
	case RDMAPIN_POLICY_AUTO:
		if (!caps->pinrxedv)
			return RDMAPIN_ACT_PIN;
		return caps->odp ? RDMAPIN_ACT_PIN_OR_ODP :
				   RDMAPIN_ACT_PIN_STRICT;
	default:
		return RDMAPIN_ACT_INVALID;
	}
}

enum rdmapin_action rdmapin_decide(enum rdmapin_policy policy,
				   const struct rdmapin_caps *caps,
				   int pin_err, enum rdmapin_reason why)
{
	if (!pin_err)
		return decide_first(policy, caps);
	if ((unsigned int)policy > RDMAPIN_POLICY_AUTO)
		return RDMAPIN_ACT_INVALID;
	/* Only AUTO falls back, and only for what ODP does not suffer. */
	if (policy != RDMAPIN_POLICY_AUTO || why == RDMAPIN_REASON_NONE)
		return RDMAPIN_ACT_FAIL;
	if (!caps->odp)
		return RDMAPIN_ACT_FAIL_NO_ODP;
	/* pinrxe already tried ODP in the kernel; its error stands. */
	return caps->pinrxedv ? RDMAPIN_ACT_FAIL : RDMAPIN_ACT_ODP;
}

/*
 * The registry of the library's own registrations, for rdmapin_mr_info()
 * on devices that cannot tell the path themselves.  An MR deregistered
 * with ibv_dereg_mr() leaves its record behind until a registration at
 * the same address replaces it: the (pointer, handle, lkey) key keeps a
 * stale record from matching a different MR.
 */
struct record {
	const struct ibv_mr *mr;
	uint32_t handle, lkey;
	struct rdmapin_record rec;
};

static pthread_mutex_t records_lock = PTHREAD_MUTEX_INITIALIZER;
static struct record *records;
static size_t nrecords, records_cap;

static void record_add(struct ibv_mr *mr, const struct rdmapin_record *rec)
{
	size_t i;

	pthread_mutex_lock(&records_lock);
	for (i = 0; i < nrecords; i++)
		if (records[i].mr == mr)
			break;
	if (i == nrecords && nrecords == records_cap) {
		size_t cap = records_cap ? records_cap * 2 : 16;
		void *v = realloc(records, cap * sizeof(*records));

		if (!v)
			goto out;	/* only rdmapin_mr_info() loses */
		records = v;
		records_cap = cap;
	}
	if (i == nrecords)
		nrecords++;
	records[i].mr = mr;
	records[i].handle = mr->handle;
	records[i].lkey = mr->lkey;
	records[i].rec = *rec;
out:
	pthread_mutex_unlock(&records_lock);
}

int rdmapin_record_find(struct ibv_mr *mr, struct rdmapin_record *out)
{
	int ret = ENOENT;
	size_t i;

	pthread_mutex_lock(&records_lock);
	for (i = 0; i < nrecords; i++) {
		if (records[i].mr == mr && records[i].handle == mr->handle &&
		    records[i].lkey == mr->lkey) {
			*out = records[i].rec;
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&records_lock);
	return ret;
}

/* Is every page of the range mapped?  mincore() says ENOMEM where not. */
static bool range_mapped(const void *addr, size_t length)
{
	long psz = sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)addr & ~(uintptr_t)(psz - 1);
	uintptr_t end = (uintptr_t)addr + length;
	unsigned char vec[256];

	while (start < end) {
		size_t chunk = end - start;

		if (chunk > sizeof(vec) * psz)
			chunk = sizeof(vec) * psz;
		if (mincore((void *)start, chunk, vec))
			return false;
		start += chunk;
	}
	return true;
}

static int memlock_message(int err, size_t length)
{
	char want[32], lim[32], now[32];
	struct rdmapin_limits l;

	if (rdmapin_limits(0, &l))
		return rdmapin_err(err,
				   "pinning %zu bytes would exceed RLIMIT_MEMLOCK: raise it with ulimit -l or use the ODP or AUTO policy",
				   length);
	rdmapin_fmt_bytes(want, sizeof(want), length);
	rdmapin_fmt_bytes(now, sizeof(now), l.pinned_bytes);
	if (l.memlock_cur == RDMAPIN_UNLIMITED)
		snprintf(lim, sizeof(lim), "unlimited");
	else
		rdmapin_fmt_bytes(lim, sizeof(lim), l.memlock_cur);
	return rdmapin_err(err,
			   "pinning %s would exceed RLIMIT_MEMLOCK (%s, %s pinned now): raise it with ulimit -l or use the ODP or AUTO policy",
			   want, lim, now);
}

/* The message for a registration that failed for good. */
static int fail_message(enum rdmapin_policy policy, enum rdmapin_action act,
			int err, enum rdmapin_reason why, size_t length,
			const char *dev)
{
	const char *what;

	if (act == RDMAPIN_ACT_FAIL_NO_ODP && why == RDMAPIN_REASON_NONE)
		return rdmapin_err(EOPNOTSUPP,
				   "%s does not support on-demand paging (ODP): use the pin policy",
				   dev);
	what = why == RDMAPIN_REASON_MEMLOCK ? "the memlock limit" :
	       "the kernel's refusal of a long-term pin";
	if (act == RDMAPIN_ACT_FAIL_NO_ODP)
		return rdmapin_err(err,
				   "pinning failed (%s: %s) and %s has no on-demand paging (ODP) to fall back to",
				   what, strerror(err), dev);
	if (why == RDMAPIN_REASON_MEMLOCK)
		return memlock_message(err, length);
	if (why == RDMAPIN_REASON_PIN_REFUSED)
		return rdmapin_err(err,
				   "the kernel refuses to pin this memory long-term (a writable shared mapping of a file whose filesystem tracks dirty pages, or DAX)%s",
				   policy == RDMAPIN_POLICY_AUTO ?
				   ", and registering it for on-demand paging failed too" :
				   ": use the ODP or AUTO policy");
	if (err == EFAULT)
		return rdmapin_err(err,
				   "registration failed: the range is not (entirely) mapped, or not writable as the access flags require");
	return rdmapin_err(err, "registration (%s policy) on %s failed: %s",
			   rdmapin_policy_str(policy), dev, strerror(err));
}

static struct ibv_mr *do_reg(struct ibv_pd *pd, void *addr, size_t length,
			     unsigned int access, enum rdmapin_action act)
{
	switch (act) {
	case RDMAPIN_ACT_PIN:
		return ibv_reg_mr(pd, addr, length, access);
	case RDMAPIN_ACT_PIN_STRICT:
		return rdmapin_dv_reg_mr(pd, addr, length, access,
					 RDMAPIN_DV_NO_FALLBACK);
	case RDMAPIN_ACT_PIN_OR_ODP:
		return rdmapin_dv_reg_mr(pd, addr, length, access,
					 RDMAPIN_DV_FALLBACK_ODP);
	case RDMAPIN_ACT_ODP:
		return ibv_reg_mr(pd, addr, length,
				  access | IBV_ACCESS_ON_DEMAND);
	default:
		errno = EINVAL;
		return NULL;
	}
}

/* Record what the registration @act produced. */
static void record_mr(struct ibv_mr *mr, enum rdmapin_action act,
		      enum rdmapin_reason why, int pin_err)
{
	struct rdmapin_record rec = { .path = RDMAPIN_PATH_PINNED };
	struct rdmapin_dv_info dvi;

	if (act == RDMAPIN_ACT_ODP) {
		rec.path = RDMAPIN_PATH_ODP;
		rec.reason = why;
		rec.pin_errno = pin_err;
	} else if (act == RDMAPIN_ACT_PIN_OR_ODP &&
		   !rdmapin_dv_query_mr(mr, &dvi)) {
		rec.path = dvi.mode == 2 ? RDMAPIN_PATH_ODP :
			   dvi.mode == 3 ? RDMAPIN_PATH_ODP_IMPLICIT :
			   RDMAPIN_PATH_PINNED;
		rec.reason = dvi.reason;
		rec.pin_errno = dvi.pin_errno;
	}
	record_add(mr, &rec);
}

static bool is_pin_action(enum rdmapin_action act)
{
	return act == RDMAPIN_ACT_PIN || act == RDMAPIN_ACT_PIN_STRICT ||
	       act == RDMAPIN_ACT_PIN_OR_ODP;
}

static int check_args(struct ibv_pd *pd, void *addr, unsigned int access,
		      enum rdmapin_policy policy)
{
	if (!pd)
		return rdmapin_err(EINVAL, "no protection domain (pd is NULL)");
	if (!addr)
		return rdmapin_err(EINVAL,
				   "no address: use an ODP implicit MR through ibv_reg_mr() for the whole address space");
	if ((unsigned int)policy > RDMAPIN_POLICY_AUTO)
		return rdmapin_err(EINVAL,
				   "unknown policy %d: use RDMAPIN_POLICY_PIN, _ODP or _AUTO",
				   (int)policy);
	if ((access & IBV_ACCESS_ON_DEMAND) && policy != RDMAPIN_POLICY_ODP)
		return rdmapin_err(EINVAL,
				   "IBV_ACCESS_ON_DEMAND contradicts the %s policy: use the ODP policy",
				   rdmapin_policy_str(policy));
	return 0;
}

struct ibv_mr *rdmapin_reg_mr(struct ibv_pd *pd, void *addr, size_t length,
			      unsigned int access, enum rdmapin_policy policy)
{
	enum rdmapin_reason why = RDMAPIN_REASON_NONE;
	enum rdmapin_action act;
	struct rdmapin_caps caps;
	struct ibv_mr *mr;
	int err, pin_err = 0;
	const char *dev;

	rdmapin_err_clear();
	err = check_args(pd, addr, access, policy);
	if (err) {
		errno = err;
		return NULL;
	}
	dev = ibv_get_device_name(pd->context->device);
	caps.pinrxedv = rdmapin_dv_supported(pd->context->device);
	caps.odp = rdmapin_ctx_odp(pd->context);
	act = rdmapin_decide(policy, &caps, 0, why);
	for (;;) {
		if (act == RDMAPIN_ACT_FAIL || act == RDMAPIN_ACT_FAIL_NO_ODP ||
		    act == RDMAPIN_ACT_INVALID)
			break;
		mr = do_reg(pd, addr, length, access, act);
		if (mr) {
			record_mr(mr, act, why, pin_err);
			return mr;
		}
		err = errno;
		if (!is_pin_action(act)) {
			act = RDMAPIN_ACT_FAIL;
			break;
		}
		pin_err = err;
		why = rdmapin_pin_failure(err, range_mapped(addr, length));
		act = rdmapin_decide(policy, &caps, pin_err, why);
	}
	if (pin_err)
		err = pin_err;
	errno = fail_message(policy, act, err, why, length, dev);
	return NULL;
}
