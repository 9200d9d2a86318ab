// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * librdmapin-preload.so: a registration policy for programs that cannot be
 * changed.  LD_PRELOAD=librdmapin-preload.so RDMAPIN_POLICY=pin|odp|auto
 * makes every memory registration through libibverbs follow the policy
 * (rdmapin_reg_mr()); without RDMAPIN_POLICY each entry point calls the
 * real one straight away.  RDMAPIN_DEBUG=1 prints one line per registration
 * with the path it took.  See rdmapin-preload(7).
 *
 * libibverbs exports ibv_reg_mr@IBVERBS_1.0 (the 1.0 compat layer's, whose
 * PD is a wrapper), ibv_reg_mr@@IBVERBS_1.1, ibv_reg_mr_iova@@IBVERBS_1.7
 * and ibv_reg_mr_iova2@@IBVERBS_1.8; verbs.h's inline __ibv_reg_mr() calls
 * ibv_reg_mr or ibv_reg_mr_iova2 depending on the access flags.  The shim
 * defines each under the same version (preload.map) and finds the real one
 * with dlvsym(RTLD_NEXT).
 *
 * librdmapin itself registers through these same symbols, which resolve to
 * the shim again: a per-thread flag sends those nested calls straight to
 * libibverbs.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <infiniband/verbs.h>
#include <rdmapin.h>

#define SHIM "librdmapin-preload"

typedef struct ibv_mr *(*reg_mr_fn)(struct ibv_pd *pd, void *addr,
				    size_t length, int access);
typedef struct ibv_mr *(*reg_mr_iova_fn)(struct ibv_pd *pd, void *addr,
					 size_t length, uint64_t iova,
					 int access);
typedef struct ibv_mr *(*reg_mr_iova2_fn)(struct ibv_pd *pd, void *addr,
					  size_t length, uint64_t iova,
					  unsigned int access);
/* pinrxedv_reg_mr(), looked up at run time: pinrxe may not be installed. */
typedef struct ibv_mr *(*dv_reg_mr_fn)(struct ibv_pd *pd, void *addr,
				       size_t length, uint64_t iova,
				       unsigned int access, uint32_t flags);
typedef bool (*dv_supported_fn)(struct ibv_device *device);

/* pinrxedv.h's flags; the shim does not need the header at build time. */
#define DV_REG_FALLBACK_ODP (1u << 0)
#define DV_REG_NO_FALLBACK (1u << 1)

static struct {
	reg_mr_fn reg_mr_1_0;	/* takes the 1.0 compat layer's PD */
	reg_mr_fn reg_mr_1_1;
	reg_mr_iova_fn reg_mr_iova;
	reg_mr_iova2_fn reg_mr_iova2;
	dv_reg_mr_fn dv_reg_mr;
	dv_supported_fn dv_supported;
	bool active;		/* RDMAPIN_POLICY names a policy */
	enum rdmapin_policy policy;
	bool debug;
} shim;

static pthread_once_t shim_once = PTHREAD_ONCE_INIT;
static __thread bool in_policy;

static void *real(const char *name, const char *version)
{
	void *fn = dlvsym(RTLD_NEXT, name, version);

	/* Without it the program's own call could not be served. */
	if (!fn) {
		fprintf(stderr, SHIM ": %s@%s not found in libibverbs: %s\n",
			name, version, dlerror());
		abort();
	}
	return fn;
}

static void shim_init(void)
{
	const char *s = getenv("RDMAPIN_POLICY");
	const char *d = getenv("RDMAPIN_DEBUG");

	shim.reg_mr_1_0 = (reg_mr_fn)real("ibv_reg_mr", "IBVERBS_1.0");
	shim.reg_mr_1_1 = (reg_mr_fn)real("ibv_reg_mr", "IBVERBS_1.1");
	shim.reg_mr_iova = (reg_mr_iova_fn)real("ibv_reg_mr_iova", "IBVERBS_1.7");
	shim.reg_mr_iova2 = (reg_mr_iova2_fn)real("ibv_reg_mr_iova2",
						  "IBVERBS_1.8");
	if (!s || !*s)
		return;		/* no policy: every call goes straight through */
	if (rdmapin_policy_parse(s, &shim.policy)) {
		fprintf(stderr,
			SHIM ": RDMAPIN_POLICY=%s is not one of pin, odp, auto: registrations are left as the program makes them\n",
			s);
		return;
	}
	shim.active = true;
	shim.debug = d && !strcmp(d, "1");
}

/* Settle the environment before main(), so that a bad value is reported
 * once and early even in a program that never registers memory.
 */
__attribute__((constructor)) static void shim_ctor(void)
{
	pthread_once(&shim_once, shim_init);
}

/* @why: librdmapin's explanation of a failure, NULL when it made none. */
static void debug_line(const char *entry, struct ibv_pd *pd, size_t length,
		       struct ibv_mr *mr, int err, const char *why)
{
	struct rdmapin_mr_info info;
	const char *path = "unknown", *reason = "none";

	if (!mr) {
		fprintf(stderr,
			SHIM ": %s %s len %zu policy %s: failed: %s%s%s%s\n",
			entry, ibv_get_device_name(pd->context->device),
			length, rdmapin_policy_str(shim.policy), strerror(err),
			why ? " (" : "", why ? why : "", why ? ")" : "");
		return;
	}
	if (!rdmapin_mr_info(mr, &info)) {
		path = rdmapin_path_str(info.path);
		reason = rdmapin_reason_str(info.reason);
	}
	fprintf(stderr,
		SHIM ": %s %s len %zu policy %s: path %s reason %s lkey 0x%" PRIx32 "\n",
		entry, ibv_get_device_name(pd->context->device), length,
		rdmapin_policy_str(shim.policy), path, reason, mr->lkey);
}

/*
 * pinrxedv, for registrations at an IOVA other than their address; loaded
 * on first need, not at start-up: libibverbs may load the same provider
 * under its plugin name, and a program without such registrations should
 * not carry a second copy.
 */
static pthread_once_t dv_once = PTHREAD_ONCE_INIT;

static void dv_init(void)
{
	void *dv = dlopen("libpinrxe.so.1", RTLD_NOW | RTLD_LOCAL);

	if (!dv)
		return;	/* pinrxe not installed: no pinrxe device either */
	shim.dv_reg_mr = (dv_reg_mr_fn)dlsym(dv, "pinrxedv_reg_mr");
	shim.dv_supported = (dv_supported_fn)dlsym(dv, "pinrxedv_is_supported");
	if (!shim.dv_supported)
		shim.dv_reg_mr = NULL;
}

static bool device_has_odp(struct ibv_context *ctx)
{
	struct ibv_device_attr_ex attr = {};

	return !ibv_query_device_ex(ctx, NULL, &attr) &&
	       (attr.odp_caps.general_caps & IBV_ODP_SUPPORT);
}

/*
 * rdmapin_reg_mr() registers at iova == addr.  For another IOVA
 * (ibv_reg_mr_iova*), the same policy done here: pinrxedv on pinrxe,
 * otherwise pinned and ODP registrations of the real entry point.  Off
 * pinrxe, AUTO falls back on ENOMEM (the memlock limit) only: an EFAULT
 * there cannot tell a refused pin from an unmapped range.
 */
static struct ibv_mr *policy_at_iova(struct ibv_pd *pd, void *addr,
				     size_t length, uint64_t iova,
				     unsigned int access)
{
	struct ibv_mr *mr;

	pthread_once(&dv_once, dv_init);
	if (shim.dv_reg_mr && shim.dv_supported(pd->context->device)) {
		if (shim.policy == RDMAPIN_POLICY_ODP)
			return shim.dv_reg_mr(pd, addr, length, iova,
					      access | IBV_ACCESS_ON_DEMAND, 0);
		return shim.dv_reg_mr(pd, addr, length, iova, access,
				      shim.policy == RDMAPIN_POLICY_AUTO ?
					      DV_REG_FALLBACK_ODP :
					      DV_REG_NO_FALLBACK);
	}
	if (shim.policy == RDMAPIN_POLICY_ODP) {
		if (!device_has_odp(pd->context)) {
			errno = EOPNOTSUPP;
			return NULL;
		}
		return shim.reg_mr_iova2(pd, addr, length, iova,
					 access | IBV_ACCESS_ON_DEMAND);
	}
	mr = shim.reg_mr_iova2(pd, addr, length, iova, access);
	if (mr || shim.policy != RDMAPIN_POLICY_AUTO || errno != ENOMEM ||
	    !device_has_odp(pd->context))
		return mr;
	return shim.reg_mr_iova2(pd, addr, length, iova,
				 access | IBV_ACCESS_ON_DEMAND);
}

/* The policy's registration; the access flags' ODP bit is the policy's. */
static struct ibv_mr *apply_policy(const char *entry, struct ibv_pd *pd,
				   void *addr, size_t length, uint64_t iova,
				   unsigned int access)
{
	bool lib = iova == (uintptr_t)addr;
	struct ibv_mr *mr;
	int err;

	access &= ~IBV_ACCESS_ON_DEMAND;
	in_policy = true;
	if (lib)
		mr = rdmapin_reg_mr(pd, addr, length, access, shim.policy);
	else
		mr = policy_at_iova(pd, addr, length, iova, access);
	err = mr ? 0 : errno;
	in_policy = false;
	if (shim.debug)
		debug_line(entry, pd, length, mr, err,
			   lib ? rdmapin_last_error() : NULL);
	if (!mr)
		errno = err;
	return mr;
}

/* No policy, or a registration librdmapin makes for the shim. */
static bool passthrough(void)
{
	pthread_once(&shim_once, shim_init);
	return !shim.active || in_policy;
}

struct ibv_mr *preload_reg_mr_1_1(struct ibv_pd *pd, void *addr,
				  size_t length, int access);
__attribute__((symver("ibv_reg_mr@@IBVERBS_1.1")))
struct ibv_mr *preload_reg_mr_1_1(struct ibv_pd *pd, void *addr,
				  size_t length, int access)
{
	if (passthrough())
		return shim.reg_mr_1_1(pd, addr, length, access);
	return apply_policy("ibv_reg_mr", pd, addr, length, (uintptr_t)addr,
			    (unsigned int)access);
}

/*
 * The 1.0 compat entry point takes a compat PD that wraps the real one and
 * returns a compat MR that its ibv_dereg_mr@IBVERBS_1.0 unwraps; only
 * libibverbs knows that layout.  It registers the real PD through
 * ibv_reg_mr_iova2, which the shim interposes: the policy applies there.
 */
struct ibv_mr *preload_reg_mr_1_0(struct ibv_pd *pd, void *addr,
				  size_t length, int access);
__attribute__((symver("ibv_reg_mr@IBVERBS_1.0")))
struct ibv_mr *preload_reg_mr_1_0(struct ibv_pd *pd, void *addr,
				  size_t length, int access)
{
	pthread_once(&shim_once, shim_init);
	return shim.reg_mr_1_0(pd, addr, length, access);
}

struct ibv_mr *preload_reg_mr_iova(struct ibv_pd *pd, void *addr,
				   size_t length, uint64_t iova, int access);
__attribute__((symver("ibv_reg_mr_iova@@IBVERBS_1.7")))
struct ibv_mr *preload_reg_mr_iova(struct ibv_pd *pd, void *addr,
				   size_t length, uint64_t iova, int access)
{
	if (passthrough())
		return shim.reg_mr_iova(pd, addr, length, iova, access);
	return apply_policy("ibv_reg_mr_iova", pd, addr, length, iova,
			    (unsigned int)access);
}

struct ibv_mr *preload_reg_mr_iova2(struct ibv_pd *pd, void *addr,
				    size_t length, uint64_t iova,
				    unsigned int access);
__attribute__((symver("ibv_reg_mr_iova2@@IBVERBS_1.8")))
struct ibv_mr *preload_reg_mr_iova2(struct ibv_pd *pd, void *addr,
				    size_t length, uint64_t iova,
				    unsigned int access)
{
	if (passthrough())
		return shim.reg_mr_iova2(pd, addr, length, iova, access);
	return apply_policy("ibv_reg_mr_iova2", pd, addr, length, iova, access);
}
