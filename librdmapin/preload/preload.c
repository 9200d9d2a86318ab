// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * librdmapin-preload.so: a registration policy for programs that cannot be
 * changed.  LD_PRELOAD=librdmapin-preload.so RDMAPIN_POLICY=pin|odp|auto
 * makes every memory registration through libibverbs follow the policy
 * (rdmapin_reg_mr()); without RDMAPIN_POLICY each entry point calls the
 * real one straight away.  RDMAPIN_PREFETCH=1 prefetches every on-demand
 * paging registration, the program's own or the policy's, synchronously
 * and whole, before the program gets it (ibv_advise_mr), so that no
 * traffic waits for page faults.  RDMAPIN_DEBUG=1 prints one line per
 * registration with the path it took, and one per prefetch.  See
 * rdmapin-preload(7).
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
	bool prefetch;		/* RDMAPIN_PREFETCH=1 */
	bool debug;
} shim;

static pthread_once_t shim_once = PTHREAD_ONCE_INIT;
static __thread bool in_policy;
/*
 * Inside a real entry point the shim called for the program: libibverbs's
 * ibv_reg_mr calls ibv_reg_mr_iova2 through the PLT, which comes back to
 * the shim; only the outermost call prefetches.
 */
static __thread bool in_real;

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

static void prefetch_init(void)
{
	const char *p = getenv("RDMAPIN_PREFETCH");

	if (!p || !*p || !strcmp(p, "0"))
		return;
	if (strcmp(p, "1")) {
		fprintf(stderr,
			SHIM ": RDMAPIN_PREFETCH=%s is not 0 or 1: nothing is prefetched\n",
			p);
		return;
	}
	shim.prefetch = true;
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
	shim.debug = d && !strcmp(d, "1");
	prefetch_init();
	if (!s || !*s)
		return;		/* no policy: every call goes straight through */
	if (rdmapin_policy_parse(s, &shim.policy)) {
		fprintf(stderr,
			SHIM ": RDMAPIN_POLICY=%s is not one of pin, odp, auto: registrations are left as the program makes them\n",
			s);
		return;
	}
	shim.active = true;
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

/* ibv_advise_mr() takes 32-bit SGE lengths: larger MRs go in pieces. */
#define PREFETCH_PIECE (1UL << 30)

/*
 * RDMAPIN_PREFETCH: make all of @mr, an ODP MR of @length bytes at @iova,
 * resident now, writable when the MR is.  A failure leaves the MR as it
 * is, on-demand paging serving each access, and is told under
 * RDMAPIN_DEBUG only: the program asked for nothing of this.
 */
static void prefetch(struct ibv_pd *pd, struct ibv_mr *mr, uint64_t iova,
		     size_t length, unsigned int access)
{
	bool wr = access & IBV_ACCESS_LOCAL_WRITE;
	struct ibv_sge sge = { .lkey = mr->lkey };
	int saved = errno, ret = 0;
	size_t done = 0;

	if (!mr->addr && length == SIZE_MAX) {
		if (shim.debug)
			fprintf(stderr,
				SHIM ": prefetch %s: implicit ODP (the whole address space): nothing prefetched\n",
				ibv_get_device_name(pd->context->device));
		return;
	}
	while (done < length && !ret) {
		sge.addr = iova + done;
		sge.length = length - done < PREFETCH_PIECE ?
				     (uint32_t)(length - done) : PREFETCH_PIECE;
		ret = ibv_advise_mr(pd, wr ? IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE :
					     IBV_ADVISE_MR_ADVICE_PREFETCH,
				    IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1);
		done += sge.length;
	}
	if (shim.debug)
		fprintf(stderr,
			SHIM ": prefetch %s len %zu lkey 0x%" PRIx32 " %s: %s%s\n",
			ibv_get_device_name(pd->context->device), length,
			mr->lkey, wr ? "PREFETCH_WRITE" : "PREFETCH",
			ret ? "failed: " : "done", ret ? strerror(ret) : "");
	if (ret && shim.debug)
		fprintf(stderr,
			SHIM ": the MR stays registered; its pages fault in as they are used\n");
	errno = saved;
}

/* Before calling a real entry point: is this the outermost call? */
static bool real_enter(void)
{
	bool outer = !in_real;

	in_real = true;
	return outer;
}

/*
 * After it: a registration the program made itself, prefetched if it is
 * ODP and this is the outermost call.
 */
static struct ibv_mr *real_leave(bool outer, struct ibv_pd *pd,
				 struct ibv_mr *mr, uint64_t iova,
				 size_t length, unsigned int access)
{
	if (!outer)
		return mr;
	in_real = false;
	if (mr && shim.prefetch && !in_policy &&
	    (access & IBV_ACCESS_ON_DEMAND))
		prefetch(pd, mr, iova, length, access);
	return mr;
}

/* Did the policy make @mr an ODP registration? */
static bool policy_made_odp(struct ibv_mr *mr)
{
	struct rdmapin_mr_info info;

	if (shim.policy == RDMAPIN_POLICY_ODP)
		return true;
	if (shim.policy != RDMAPIN_POLICY_AUTO)
		return false;
	return !rdmapin_mr_info(mr, &info) &&
	       (info.path == RDMAPIN_PATH_ODP ||
		info.path == RDMAPIN_PATH_ODP_IMPLICIT);
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
	if (mr && shim.prefetch && policy_made_odp(mr))
		prefetch(pd, mr, iova, length, access);
	if (!mr)
		errno = err;
	return mr;
}

/*
 * No policy, or a registration librdmapin makes for the shim: the real
 * entry point (whose ODP registrations RDMAPIN_PREFETCH still prefetches
 * when they are the program's own).
 */
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
	bool outer;

	if (passthrough()) {
		outer = real_enter();
		return real_leave(outer, pd,
				  shim.reg_mr_1_1(pd, addr, length, access),
				  (uintptr_t)addr, length, (unsigned int)access);
	}
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
	bool outer;

	if (passthrough()) {
		outer = real_enter();
		return real_leave(outer, pd,
				  shim.reg_mr_iova(pd, addr, length, iova,
						   access),
				  iova, length, (unsigned int)access);
	}
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
	bool outer;

	if (passthrough()) {
		outer = real_enter();
		return real_leave(outer, pd,
				  shim.reg_mr_iova2(pd, addr, length, iova,
						    access),
				  iova, length, access);
	}
	return apply_policy("ibv_reg_mr_iova2", pd, addr, length, iova, access);
}
