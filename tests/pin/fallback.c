// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fallback: pinned registrations that become on-demand paging (ODP) ones
 * when pinning is impossible, through the pinrxedv API (pinrxedv.h) and the
 * reg_mr driver ABI (pinrxe_abi.h) underneath it.
 *
 *   query     pinrxedv on pinrxe (an ibv_reg_mr() MR is PINNED/NONE, one
 *             with IBV_ACCESS_ON_DEMAND ODP, implicit ODP ODP_IMPLICIT) and,
 *             with --rxe DEV, on a device of another provider: not
 *             supported (EOPNOTSUPP); bad pinrxedv flags
 *   abi       the driver command as the kernel checks it: no command, a
 *             short one, reserved bits, unknown flags, both flags,
 *             trailing bytes; a short response buffer
 *   memlock   without CAP_IPC_LOCK and with RLIMIT_MEMLOCK 1 MiB, a 2 MiB
 *             registration: pinned-only fails with ENOMEM and pins nothing;
 *             with PINRXEDV_REG_FALLBACK_ODP (or with no flag when the
 *             module's odp_fallback parameter is set, --param-set) it is
 *             ODP for reason MEMLOCK, pins nothing, and carries a peer's
 *             RDMA WRITE and READ; PINRXEDV_REG_NO_FALLBACK always fails
 *   ext4      a writable MAP_SHARED mapping of a file on ext4
 *             (--ext4-file): the long-term pin is refused (EFAULT, nothing
 *             pinned) unless fallback is allowed, then it is ODP for reason
 *             PIN_REFUSED; the peer RDMA WRITEs into it, msync, caches
 *             dropped, the file has the bytes.  A read-only registration of
 *             it stays pinned
 *   unmapped  an unmapped range with fallback allowed fails with EFAULT
 *
 * Where the device offers no ODP (ibv_query_device_ex), a fallback has
 * nothing to fall back to: the checks then are that the registration
 * fails with the pin's error and leaves nothing behind.  Every test checks
 * the device's odp_fallbacks counter moved by exactly its fallbacks, and
 * that the process's VmPin and the system's FOLL_PIN pins are as before.
 *
 * usage: fallback LOCAL_DEV PEER_DEV [TEST...] [--rxe DEV]
 *	[--ext4-file PATH] [--param-set]
 * LOCAL_DEV's memory is under test; PEER_DEV (pinrxe1 in netns peer) moves
 * data to and from it.  Prints "ok: ..." per check; the first failure
 * prints "FAIL: ..." and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <infiniband/verbs.h>
#include <infiniband/pinrxedv.h>

#include <rdmapin.h>

#include "../common/caps.h"
#include "../common/check.h"
#include "../common/verbs_util.h"
#include "pin_common.h"
/* White-box, for the abi test: the provider's command layout. */
#include "pinrxe.h"

#define RW (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
	    IBV_ACCESS_REMOTE_READ)

static struct side local, peer;
static const char *local_name, *peer_name, *rxe_name, *ext4_file;
static bool param_set, have_odp, have_implicit_odp;
static size_t page_size;

/* --- what the kernel says ------------------------------------------------ */


/*
 * The state a test must leave behind as it found it.  The pin count is
 * system-wide and writes to the 9p share hold pins for a moment: the least
 * of a few samples is the quiescent count.
 */
struct baseline {
	long pins;
	uint64_t vm_pin;
	long fallbacks;
};

static struct baseline baseline(void)
{
	struct baseline b = { .pins = pins_held(), .vm_pin = vm_pin() };
	int i;

	for (i = 0; i < 5; i++) {
		usleep(40000);
		if (pins_held() < b.pins)
			b.pins = pins_held();
	}
	b.fallbacks = hw_counter(local_name, "odp_fallbacks");
	CHECK(b.fallbacks >= 0, "%s has no odp_fallbacks counter", local_name);
	return b;
}

/* Nothing pinned or charged since @b, and @fallbacks counted. */
static void check_back_to(const char *what, struct baseline b, long fallbacks)
{
	long n;

	check_pins_back(what, b.pins, b.vm_pin);
	n = hw_counter(local_name, "odp_fallbacks") - b.fallbacks;
	CHECK(n == fallbacks, "%s: odp_fallbacks moved by %ld, not %ld", what,
	      n, fallbacks);
	ok("%s: no pin left, VmPin as before, odp_fallbacks +%ld", what,
	   fallbacks);
}

/* --- devices and an RC connection ---------------------------------------- */

/*
 * The RC connection between the two devices, with the timeout most
 * applications use (14, 67 ms).  The first write into a fresh ext4 file
 * makes the responder allocate its blocks while it faults the target in,
 * which has taken over 67 ms on the emulated guest; the responder answers
 * RNR NAKs meanwhile, which rnr_retry 7 waits out without end.
 */
static const struct rc_conn_params conn = {
	.mtu = IBV_MTU_1024, .rd_atomic = 4, .timeout = 14,
	.retry_cnt = 7, .rnr_retry = 7, .min_rnr_timer = 1,
	.access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ,
};

static void connect_pair(void)
{
	sides_connect(&local, &peer, 16, &conn);
}

static void disconnect_pair(void)
{
	sides_disconnect(&local, &peer);
}

/* --- data ---------------------------------------------------------------- */

static uint8_t pattern(size_t i, unsigned int seed)
{
	return (uint8_t)(i * 7 + i / 4096 * 13 + seed * 101 + 1);
}

static void fill(void *buf, size_t len, size_t at, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = pattern(at + i, seed);
}

static long mismatch(const void *buf, size_t len, size_t at,
		     unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		if (((const uint8_t *)buf)[i] != pattern(at + i, seed))
			return i;
	return -1;
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED, "mmap %zu KiB: %s", len / KiB, strerror(errno));
	return p;
}

/* --- registrations ------------------------------------------------------- */

static const char *mode_name(enum pinrxedv_mr_mode m)
{
	switch (m) {
	case PINRXEDV_MR_MODE_PINNED: return "pinned";
	case PINRXEDV_MR_MODE_ODP: return "odp";
	case PINRXEDV_MR_MODE_ODP_IMPLICIT: return "odp_implicit";
	}
	return "?";
}

static const char *reason_name(enum pinrxedv_fallback_reason r)
{
	switch (r) {
	case PINRXEDV_FALLBACK_NONE: return "none";
	case PINRXEDV_FALLBACK_MEMLOCK: return "memlock";
	case PINRXEDV_FALLBACK_PIN_REFUSED: return "pin_refused";
	}
	return "?";
}

/* The MR's path must be @mode for @reason with @pin_errno. */
static void check_info(const char *what, struct ibv_mr *mr,
		       enum pinrxedv_mr_mode mode,
		       enum pinrxedv_fallback_reason reason, int pin_errno)
{
	struct pinrxedv_mr_info info;
	int ret;

	ret = pinrxedv_query_mr(mr, &info);
	CHECK(ret == 0, "%s: pinrxedv_query_mr: %s", what, strerror(ret));
	CHECK(info.mode == mode && info.fallback_reason == reason &&
	      info.pin_errno == pin_errno,
	      "%s: MR is %s/%s/%s, not %s/%s/%s", what, mode_name(info.mode),
	      reason_name(info.fallback_reason),
	      info.pin_errno ? strerror(info.pin_errno) : "0",
	      mode_name(mode), reason_name(reason),
	      pin_errno ? strerror(pin_errno) : "0");
	ok("%s: pinrxedv_query_mr says %s, fallback %s, pin errno %s", what,
	   mode_name(mode), reason_name(reason),
	   pin_errno ? strerror(pin_errno) : "0");
}

/* The registration must fail with @want and leave nothing behind. */
static void check_refused(const char *what, struct ibv_mr *mr, int err,
			  int want, struct baseline b)
{
	CHECK(!mr && err == want, "%s: %s, not %s", what,
	      mr ? "registered" : strerror(err), strerror(want));
	ok("%s: fails with %s", what, strerror(want));
	check_back_to(what, b, 0);
}

/*
 * What a registration that falls back must give: with ODP, an ODP MR for
 * @reason, nothing pinned, counted once; without, the pin's error and
 * nothing left.  Returns the MR, or NULL without ODP.
 */
static struct ibv_mr *expect_fallback(const char *what, struct ibv_mr *mr,
				      int err, int pin_errno,
				      enum pinrxedv_fallback_reason reason,
				      struct baseline b)
{
	if (!have_odp) {
		check_refused(what, mr, err, pin_errno, b);
		return NULL;
	}
	CHECK(mr, "%s: %s", what, strerror(err));
	check_info(what, mr, PINRXEDV_MR_MODE_ODP, reason, pin_errno);
	CHECK(vm_pin() == b.vm_pin, "%s: VmPin grew to %llu KiB", what,
	      (unsigned long long)vm_pin() / KiB);
	CHECK(WAIT_FOR(10, pins_held() == b.pins),
	      "%s: %ld pins held, %ld before", what, pins_held(), b.pins);
	CHECK(WAIT_FOR(1, hw_counter(local_name, "odp_fallbacks") ==
			  b.fallbacks + 1),
	      "%s: odp_fallbacks is %ld, was %ld", what,
	      hw_counter(local_name, "odp_fallbacks"), b.fallbacks);
	ok("%s: ODP, VmPin and FOLL_PIN pins unchanged, odp_fallbacks +1",
	   what);
	return mr;
}

/* The peer writes a pattern into @len bytes at @p and reads them back. */
static void traffic(const char *what, struct ibv_mr *mr, uint8_t *p,
		    size_t len, unsigned int seed)
{
	const size_t chunk = 256 * KiB;
	uint8_t *pbuf = map_anon(chunk);
	struct ibv_mr *pmr;
	long at;

	pmr = ibv_reg_mr(peer.pd, pbuf, chunk, RW);
	CHECK(pmr, "%s: register the peer's buffer: %s", what,
	      strerror(errno));
	connect_pair();
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		fill(pbuf, n, off, seed);
		side_rdma(&peer, IBV_WR_RDMA_WRITE, pmr, pbuf, mr, p + off, n);
	}
	at = mismatch(p, len, 0, seed);
	CHECK(at < 0, "%s: byte %ld is %#x, the peer wrote %#x", what, at,
	      p[at], pattern(at, seed));
	ok("%s: %s RDMA WRITE of %zu KiB arrived", what, peer.name,
	   len / KiB);
	fill(p, len, 0, seed + 1);
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		memset(pbuf, 0, n);
		side_rdma(&peer, IBV_WR_RDMA_READ, pmr, pbuf, mr, p + off, n);
		at = mismatch(pbuf, n, off, seed + 1);
		CHECK(at < 0, "%s: RDMA READ byte %ld is %#x, not %#x", what,
		      at + (long)off, pbuf[at], pattern(off + at, seed + 1));
	}
	ok("%s: %s RDMA READ of %zu KiB got what is there", what, peer.name,
	   len / KiB);
	disconnect_pair();
	CHECK(ibv_dereg_mr(pmr) == 0, "%s: deregister the peer's", what);
	munmap(pbuf, chunk);
}

/* --- query ---------------------------------------------------------------- */

static void test_query(void)
{
	struct baseline b = baseline();
	struct pinrxedv_mr_info info;
	uint8_t *p = map_anon(64 * KiB);
	struct ibv_mr *mr;
	int ret;

	CHECK(pinrxedv_is_supported(local.ctx->device),
	      "%s: pinrxedv_is_supported is false", local.name);
	ok("pinrxedv_is_supported(%s)", local.name);
	mr = ibv_reg_mr(local.pd, p, 64 * KiB, RW);
	CHECK(mr, "ibv_reg_mr: %s", strerror(errno));
	check_info("ibv_reg_mr", mr, PINRXEDV_MR_MODE_PINNED,
		   PINRXEDV_FALLBACK_NONE, 0);
	CHECK(ibv_dereg_mr(mr) == 0, "ibv_reg_mr: deregister");

	mr = pinrxedv_reg_mr(local.pd, p, 64 * KiB, (uintptr_t)p, RW,
			     PINRXEDV_REG_FALLBACK_ODP);
	CHECK(mr, "pinrxedv_reg_mr: %s", strerror(errno));
	CHECK(mr->addr == p && mr->length == 64 * KiB && mr->pd == local.pd &&
	      mr->context == local.ctx, "pinrxedv_reg_mr: MR fields");
	check_info("pinrxedv_reg_mr, fallback allowed, pinnable",
		   mr, PINRXEDV_MR_MODE_PINNED, PINRXEDV_FALLBACK_NONE, 0);
	CHECK(ibv_dereg_mr(mr) == 0, "pinrxedv_reg_mr: deregister");

	if (have_odp) {
		mr = ibv_reg_mr(local.pd, p, 64 * KiB,
				RW | IBV_ACCESS_ON_DEMAND);
		CHECK(mr, "ibv_reg_mr ODP: %s", strerror(errno));
		check_info("ibv_reg_mr IBV_ACCESS_ON_DEMAND", mr,
			   PINRXEDV_MR_MODE_ODP, PINRXEDV_FALLBACK_NONE, 0);
		CHECK(ibv_dereg_mr(mr) == 0, "ibv_reg_mr ODP: deregister");
	}
	if (have_implicit_odp) {
		mr = ibv_reg_mr(local.pd, NULL, SIZE_MAX,
				RW | IBV_ACCESS_ON_DEMAND);
		CHECK(mr, "implicit ODP: %s", strerror(errno));
		check_info("ibv_reg_mr implicit ODP", mr,
			   PINRXEDV_MR_MODE_ODP_IMPLICIT,
			   PINRXEDV_FALLBACK_NONE, 0);
		CHECK(ibv_dereg_mr(mr) == 0, "implicit ODP: deregister");
	}

	errno = 0;
	mr = pinrxedv_reg_mr(local.pd, p, 64 * KiB, (uintptr_t)p, RW,
			     PINRXEDV_REG_FALLBACK_ODP |
			     PINRXEDV_REG_NO_FALLBACK);
	CHECK(!mr && errno == EINVAL, "both flags: %s",
	      mr ? "registered" : strerror(errno));
	mr = pinrxedv_reg_mr(local.pd, p, 64 * KiB, (uintptr_t)p, RW, 1 << 7);
	CHECK(!mr && errno == EINVAL, "unknown flag: %s",
	      mr ? "registered" : strerror(errno));
	ok("pinrxedv_reg_mr: both flags, an unknown flag: EINVAL");
	check_back_to("query", b, 0);

	if (rxe_name) {
		struct ibv_context *ctx = open_dev(rxe_name);
		struct ibv_pd *pd = ibv_alloc_pd(ctx);

		CHECK(pd, "%s: ibv_alloc_pd: %s", rxe_name, strerror(errno));
		CHECK(!pinrxedv_is_supported(ctx->device),
		      "pinrxedv_is_supported(%s) is true", rxe_name);
		ok("pinrxedv_is_supported(%s) is false", rxe_name);
		errno = 0;
		mr = pinrxedv_reg_mr(pd, p, 64 * KiB, (uintptr_t)p, RW, 0);
		CHECK(!mr && errno == EOPNOTSUPP,
		      "pinrxedv_reg_mr on %s: %s", rxe_name,
		      mr ? "registered" : strerror(errno));
		mr = ibv_reg_mr(pd, p, 64 * KiB, RW);
		CHECK(mr, "%s: ibv_reg_mr: %s", rxe_name, strerror(errno));
		ret = pinrxedv_query_mr(mr, &info);
		CHECK(ret == EOPNOTSUPP, "pinrxedv_query_mr on %s: %s",
		      rxe_name, strerror(ret));
		ok("pinrxedv_reg_mr, pinrxedv_query_mr on %s: EOPNOTSUPP",
		   rxe_name);
		CHECK(ibv_dereg_mr(mr) == 0, "%s: dereg", rxe_name);
		CHECK(ibv_dealloc_pd(pd) == 0, "%s: dealloc PD", rxe_name);
		CHECK(ibv_close_device(ctx) == 0, "%s: close", rxe_name);
	}
	munmap(p, 64 * KiB);
}

/* --- abi ------------------------------------------------------------------ */

/*
 * Register through the provider's private command with @cmd_size bytes of
 * command (the driver part being @drv) and @resp_size of response.
 */
static int raw_reg(void *p, size_t len, const void *drv, size_t drv_size,
		   size_t resp_size, struct pinrxe_reg_mr_resp *out)
{
	struct {
		struct ibv_reg_mr ibv_cmd;
		uint8_t drv[32];
	} cmd = {};
	struct upinrxe_reg_mr_resp resp;
	struct verbs_mr *vmr = calloc(1, sizeof(*vmr));
	int ret;

	CHECK(vmr && drv_size <= sizeof(cmd.drv), "raw_reg: setup");
	memcpy(cmd.drv, drv, drv_size);
	memset(&resp, 0xa5, sizeof(resp));
	ret = ibv_cmd_reg_mr(local.pd, p, len, (uintptr_t)p, RW, vmr,
			     &cmd.ibv_cmd, sizeof(cmd.ibv_cmd) + drv_size,
			     &resp.ibv_resp,
			     sizeof(resp.ibv_resp) + resp_size);
	if (!ret) {
		*out = resp.drv;
		CHECK(ibv_cmd_dereg_mr(vmr) == 0, "raw_reg: dereg");
	}
	free(vmr);
	return ret;
}

static void test_abi(void)
{
	struct baseline b = baseline();
	uint8_t *p = map_anon(64 * KiB);
	struct pinrxe_reg_mr_resp r;
	struct pinrxe_reg_mr_cmd c;
	uint8_t longer[16] = {};
	int ret;

	ret = raw_reg(p, 64 * KiB, NULL, 0, sizeof(r), &r);
	CHECK(ret == 0 && r.mode == PINRXE_MR_MODE_PINNED && !r.fallback &&
	      !r.pin_errno && !r.reserved,
	      "no command: %s, mode %u", strerror(ret), r.mode);
	ok("no driver command: registered, response says pinned");
	ret = raw_reg(p, 64 * KiB, NULL, 0, 0, &r);
	CHECK(ret == 0, "no command, no response: %s", strerror(ret));
	ret = raw_reg(p, 64 * KiB, NULL, 0, 4, &r);
	CHECK(ret == 0 && r.mode == PINRXE_MR_MODE_PINNED &&
	      r.fallback == 0xa5a5a5a5,
	      "4-byte response: %s, mode %u, next %#x", strerror(ret), r.mode,
	      r.fallback);
	ok("no response buffer, or a 4-byte one: registered, written only "
	   "as far as it reaches");

	c = (struct pinrxe_reg_mr_cmd){ .flags = PINRXE_REG_MR_NO_FALLBACK };
	ret = raw_reg(p, 64 * KiB, &c, 4, sizeof(r), &r);
	CHECK(ret == EINVAL, "4-byte command: %s", strerror(ret));
	c.reserved = 1;
	ret = raw_reg(p, 64 * KiB, &c, sizeof(c), sizeof(r), &r);
	CHECK(ret == EINVAL, "reserved set: %s", strerror(ret));
	c = (struct pinrxe_reg_mr_cmd){ .flags = PINRXE_REG_MR_NO_FALLBACK |
						 PINRXE_REG_MR_FALLBACK_ODP };
	ret = raw_reg(p, 64 * KiB, &c, sizeof(c), sizeof(r), &r);
	CHECK(ret == EINVAL, "both flags: %s", strerror(ret));
	c = (struct pinrxe_reg_mr_cmd){ .flags = 1 << 9 };
	ret = raw_reg(p, 64 * KiB, &c, sizeof(c), sizeof(r), &r);
	CHECK(ret == EOPNOTSUPP, "unknown flag: %s", strerror(ret));
	ok("short command, reserved set, both flags: EINVAL; unknown flag: "
	   "EOPNOTSUPP");

	c = (struct pinrxe_reg_mr_cmd){ .flags = PINRXE_REG_MR_FALLBACK_ODP };
	memcpy(longer, &c, sizeof(c));
	ret = raw_reg(p, 64 * KiB, longer, sizeof(longer), sizeof(r), &r);
	CHECK(ret == 0 && r.mode == PINRXE_MR_MODE_PINNED,
	      "longer command, zero tail: %s", strerror(ret));
	longer[12] = 1;
	ret = raw_reg(p, 64 * KiB, longer, sizeof(longer), sizeof(r), &r);
	CHECK(ret == EOPNOTSUPP, "longer command, non-zero tail: %s",
	      strerror(ret));
	ok("a longer command: fine with a zero tail, else EOPNOTSUPP");
	munmap(p, 64 * KiB);
	check_back_to("abi", b, 0);
}

/* --- memlock -------------------------------------------------------------- */

static struct ibv_mr *reg(void *p, size_t len, uint32_t flags, int *err,
			  bool plain)
{
	struct ibv_mr *mr;

	errno = 0;
	if (plain)
		mr = ibv_reg_mr(local.pd, p, len, RW);
	else
		mr = pinrxedv_reg_mr(local.pd, p, len, (uintptr_t)p, RW,
				     flags);
	*err = errno;
	return mr;
}

static void test_memlock(void)
{
	size_t len = 2 * MiB;
	uint8_t *p = map_anon(len), *hole;
	struct ibv_mr *mr;
	struct baseline b;
	int err;

	ok("memlock: no CAP_IPC_LOCK, RLIMIT_MEMLOCK 1 MiB; odp_fallback "
	   "parameter %s", param_set ? "set" : "not set");
	memset(p, 0x11, len);

	b = baseline();
	mr = reg(p, len, PINRXEDV_REG_NO_FALLBACK, &err, false);
	check_refused("memlock: 2 MiB, PINRXEDV_REG_NO_FALLBACK", mr, err,
		      ENOMEM, b);

	b = baseline();
	mr = reg(p, len, 0, &err, true);
	if (!param_set) {
		check_refused("memlock: 2 MiB, ibv_reg_mr", mr, err, ENOMEM, b);
	} else {
		mr = expect_fallback("memlock: 2 MiB, ibv_reg_mr, odp_fallback set",
				     mr, err, ENOMEM,
				     PINRXEDV_FALLBACK_MEMLOCK, b);
		if (mr) {
			traffic("memlock: ibv_reg_mr fallback", mr, p, len, 3);
			CHECK(ibv_dereg_mr(mr) == 0, "memlock: dereg");
			check_back_to("memlock: ibv_reg_mr fallback", b, 1);
		}
	}

	b = baseline();
	mr = reg(p, len, PINRXEDV_REG_FALLBACK_ODP, &err, false);
	mr = expect_fallback("memlock: 2 MiB, PINRXEDV_REG_FALLBACK_ODP", mr,
			     err, ENOMEM, PINRXEDV_FALLBACK_MEMLOCK, b);
	if (mr) {
		traffic("memlock: fallback", mr, p, len, 5);
		CHECK(ibv_dereg_mr(mr) == 0, "memlock: dereg");
		check_back_to("memlock: fallback", b, 1);
	}

	/* Over the limit and not mapped either: no fallback to a bad range. */
	hole = map_anon(len);
	munmap(hole, len);
	b = baseline();
	mr = reg(hole, len, PINRXEDV_REG_FALLBACK_ODP, &err, false);
	check_refused("memlock: 2 MiB unmapped, fallback allowed", mr, err,
		      ENOMEM, b);
	munmap(p, len);
}

/* --- ext4 ------------------------------------------------------------------ */

static void drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);

	CHECK(fd >= 0 && write(fd, "3", 1) == 1, "drop_caches: %s",
	      strerror(errno));
	close(fd);
}

static void test_ext4(void)
{
	size_t len = 1 * MiB;
	uint8_t *p, *back;
	struct ibv_mr *mr;
	struct baseline b;
	int fd, err;
	long at;

	CHECK(ext4_file, "ext4: --ext4-file not given");
	fd = open(ext4_file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && ftruncate(fd, len) == 0, "ext4: %s: %s", ext4_file,
	      strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "ext4: mmap: %s", strerror(errno));
	memset(p, 0xee, len);

	b = baseline();
	mr = reg(p, len, 0, &err, true);
	if (!param_set)
		check_refused("ext4 MAP_SHARED rw, ibv_reg_mr", mr, err,
			      EFAULT, b);
	else if ((mr = expect_fallback("ext4 MAP_SHARED rw, ibv_reg_mr, "
				       "odp_fallback set", mr, err, EFAULT,
				       PINRXEDV_FALLBACK_PIN_REFUSED, b))) {
		CHECK(ibv_dereg_mr(mr) == 0, "ext4: dereg");
		check_back_to("ext4: ibv_reg_mr fallback", b, 1);
	}
	b = baseline();
	mr = reg(p, len, PINRXEDV_REG_NO_FALLBACK, &err, false);
	check_refused("ext4 MAP_SHARED rw, PINRXEDV_REG_NO_FALLBACK", mr, err,
		      EFAULT, b);

	/* Read-only pins are allowed: nothing to fall back from. */
	b = baseline();
	mr = pinrxedv_reg_mr(local.pd, p, len, (uintptr_t)p,
			     IBV_ACCESS_REMOTE_READ, PINRXEDV_REG_FALLBACK_ODP);
	CHECK(mr, "ext4 ro: %s", strerror(errno));
	check_info("ext4 MAP_SHARED ro, fallback allowed", mr,
		   PINRXEDV_MR_MODE_PINNED, PINRXEDV_FALLBACK_NONE, 0);
	CHECK(ibv_dereg_mr(mr) == 0, "ext4 ro: dereg");
	check_back_to("ext4 ro", b, 0);

	b = baseline();
	mr = reg(p, len, PINRXEDV_REG_FALLBACK_ODP, &err, false);
	mr = expect_fallback("ext4 MAP_SHARED rw, PINRXEDV_REG_FALLBACK_ODP",
			     mr, err, EFAULT, PINRXEDV_FALLBACK_PIN_REFUSED,
			     b);
	if (mr) {
		traffic("ext4: fallback", mr, p, len, 7);
		/* The last pattern there: what the peer READ back. */
		CHECK(msync(p, len, MS_SYNC) == 0, "ext4: msync: %s",
		      strerror(errno));
		CHECK(ibv_dereg_mr(mr) == 0, "ext4: dereg");
		check_back_to("ext4: fallback", b, 1);
	}
	CHECK(munmap(p, len) == 0 && close(fd) == 0, "ext4: unmap, close");
	if (!mr)
		return;

	drop_caches();
	back = map_anon(len);
	fd = open(ext4_file, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && pread(fd, back, len, 0) == (ssize_t)len,
	      "ext4: re-read: %s", strerror(errno));
	at = mismatch(back, len, 0, 8);
	CHECK(at < 0, "ext4: file byte %ld is %#x, not %#x", at, back[at],
	      pattern(at, 8));
	ok("ext4: after msync and drop_caches the file holds the data");
	close(fd);
	munmap(back, len);
}

/*
 * The peer's RDMA WRITE (seed 7) was overwritten by the CPU (seed 8) for
 * the READ check; the file must hold the last, and the WRITE checked by
 * traffic() reached the mapping first.  A separate WRITE-only round shows
 * the peer's bytes alone reach the disk.
 */
static void test_ext4_write(void)
{
	size_t len = 512 * KiB;
	uint8_t *p, *pbuf, *back;
	struct ibv_mr *mr, *pmr;
	struct baseline b;
	int fd, err;
	long at;

	if (!have_odp) {
		ok("ext4-write: no ODP on %s, nothing to write through",
		   local.name);
		return;
	}
	fd = open(ext4_file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && ftruncate(fd, len) == 0, "ext4-write: %s",
	      strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "ext4-write: mmap: %s", strerror(errno));
	b = baseline();
	mr = reg(p, len, PINRXEDV_REG_FALLBACK_ODP, &err, false);
	mr = expect_fallback("ext4-write: fallback", mr, err, EFAULT,
			     PINRXEDV_FALLBACK_PIN_REFUSED, b);
	pbuf = map_anon(len);
	pmr = ibv_reg_mr(peer.pd, pbuf, len, RW);
	CHECK(pmr, "ext4-write: peer MR: %s", strerror(errno));
	connect_pair();
	fill(pbuf, len, 0, 9);
	side_rdma(&peer, IBV_WR_RDMA_WRITE, pmr, pbuf, mr, p, len);
	disconnect_pair();
	CHECK(msync(p, len, MS_SYNC) == 0, "ext4-write: msync: %s",
	      strerror(errno));
	CHECK(ibv_dereg_mr(mr) == 0 && ibv_dereg_mr(pmr) == 0,
	      "ext4-write: dereg");
	CHECK(munmap(p, len) == 0 && close(fd) == 0, "ext4-write: close");
	drop_caches();
	back = map_anon(len);
	fd = open(ext4_file, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && pread(fd, back, len, 0) == (ssize_t)len,
	      "ext4-write: re-read: %s", strerror(errno));
	at = mismatch(back, len, 0, 9);
	CHECK(at < 0, "ext4-write: file byte %ld is %#x, the peer wrote %#x",
	      at, back[at], pattern(at, 9));
	ok("ext4-write: %s RDMA WRITE, msync, drop_caches: the file has the "
	   "bytes", peer.name);
	close(fd);
	munmap(back, len);
	munmap(pbuf, len);
	check_back_to("ext4-write", b, 1);
}

/* --- unmapped ------------------------------------------------------------- */

static void test_unmapped(void)
{
	size_t len = 256 * KiB;
	uint8_t *p = map_anon(len);
	struct ibv_mr *mr;
	struct baseline b;
	int err;

	munmap(p, len);
	b = baseline();
	mr = reg(p, len, PINRXEDV_REG_FALLBACK_ODP, &err, false);
	check_refused("unmapped, PINRXEDV_REG_FALLBACK_ODP", mr, err, EFAULT,
		      b);

	/* Half mapped: the pins of the mapped half go back too. */
	p = map_anon(len);
	memset(p, 1, len);
	munmap(p + len / 2, len / 2);
	b = baseline();
	mr = reg(p, len, PINRXEDV_REG_FALLBACK_ODP, &err, false);
	check_refused("half unmapped, PINRXEDV_REG_FALLBACK_ODP", mr, err,
		      EFAULT, b);
	munmap(p, len / 2);
}

/* --- restrack ------------------------------------------------------------ */

/*
 * `rdma resource show mr -dd` lists @mr with @want among its attributes;
 * the tool prefixes driver attributes with "drv_".
 */
static bool restrack_shows(struct ibv_mr *mr, const char *want)
{
	char cmd[128], key[32], line[2048];
	bool found = false;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "rdma -dd resource show mr dev %s",
		 local_name);
	snprintf(key, sizeof(key), "lkey 0x%x ", mr->lkey);
	f = popen(cmd, "re");
	CHECK(f, "popen %s: %s", cmd, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, key) && strstr(line, want))
			found = true;
		if (strstr(line, key))
			printf("   %s", line);
	}
	pclose(f);
	return found;
}

static void test_restrack(void)
{
	size_t len = 2 * MiB;
	uint8_t *p = map_anon(len);
	struct ibv_mr *mr;
	struct baseline b;
	int err;

	mr = ibv_reg_mr(local.pd, p, 64 * KiB, RW);
	CHECK(mr, "restrack: ibv_reg_mr: %s", strerror(errno));
	CHECK(restrack_shows(mr, " drv_mode pinned "),
	      "restrack: the pinned MR is not shown as \"drv_mode pinned\"");
	ok("restrack: a pinned MR shows mode pinned");
	CHECK(ibv_dereg_mr(mr) == 0, "restrack: dereg");

	b = baseline();
	mr = reg(p, len, PINRXEDV_REG_FALLBACK_ODP, &err, false);
	mr = expect_fallback("restrack: 2 MiB over the memlock limit", mr, err,
			     ENOMEM, PINRXEDV_FALLBACK_MEMLOCK, b);
	if (mr) {
		CHECK(restrack_shows(mr, " drv_mode odp drv_fallback memlock "
					 "drv_pin_errno 12 "),
		      "restrack: the fallback MR is not shown with mode odp, "
		      "fallback memlock, pin_errno 12");
		ok("restrack: a fallback MR shows mode odp, fallback memlock, "
		   "pin_errno 12");
		CHECK(ibv_dereg_mr(mr) == 0, "restrack: dereg");
		check_back_to("restrack", b, 1);
	}
	munmap(p, len);
}

/* --- main ----------------------------------------------------------------- */

static const struct {
	const char *name;
	void (*fn)(void);
	bool in_child;
} tests[] = {
	{ "query", test_query, false },
	{ "abi", test_abi, false },
	{ "unmapped", test_unmapped, false },
	{ "memlock", test_memlock, true },
	{ "ext4", test_ext4, false },
	{ "ext4-write", test_ext4_write, false },
	{ "restrack", test_restrack, true },
};

static void open_all(void)
{
	struct ibv_device_attr_ex attr = {};

	side_open(&local, local_name, 64);
	side_open(&peer, peer_name, 64);
	CHECK(ibv_query_device_ex(local.ctx, NULL, &attr) == 0,
	      "ibv_query_device_ex: %s", strerror(errno));
	have_odp = attr.odp_caps.general_caps & IBV_ODP_SUPPORT;
	have_implicit_odp = attr.odp_caps.general_caps &
			    IBV_ODP_SUPPORT_IMPLICIT;
}

static void close_all(void)
{
	side_close(&peer);
	side_close(&local);
}

/*
 * Run @fn in a child of its own, without CAP_IPC_LOCK and with
 * RLIMIT_MEMLOCK at 1 MiB.
 */
static void run_child(const char *name, void (*fn)(void))
{
	struct rlimit rl = { 1 * MiB, 1 * MiB };
	pid_t pid = fork();
	int status;

	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		/*
		 * Before the devices are opened: uverbs refuses write()s from
		 * a process whose credentials changed since it opened the
		 * device (ib_safe_file_access()).
		 */
		CHECK(drop_ipc_lock() == 0 && setrlimit(RLIMIT_MEMLOCK, &rl) == 0,
		      "drop CAP_IPC_LOCK, RLIMIT_MEMLOCK 1 MiB: %s",
		      strerror(errno));
		open_all();
		fn();
		close_all();
		exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "%s: child failed", name);
}

int main(int argc, char **argv)
{
	const char *only[16];
	int nonly = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	if (argc < 3) {
		fprintf(stderr, "usage: %s LOCAL_DEV PEER_DEV [TEST...] "
			"[--rxe DEV] [--ext4-file PATH] [--param-set]\n",
			argv[0]);
		return 2;
	}
	local_name = argv[1];
	peer_name = argv[2];
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--rxe") && i + 1 < argc)
			rxe_name = argv[++i];
		else if (!strcmp(argv[i], "--ext4-file") && i + 1 < argc)
			ext4_file = argv[++i];
		else if (!strcmp(argv[i], "--param-set"))
			param_set = true;
		else if (nonly < 16)
			only[nonly++] = argv[i];
	}

	open_all();
	printf("%s %s on-demand paging: %s\n", local_name,
	       have_odp ? "offers" : "does not offer",
	       have_odp ? "fallbacks must give ODP MRs" :
			  "fallbacks must fail with the pin's error");
	for (size_t t = 0; t < sizeof(tests) / sizeof(tests[0]); t++) {
		bool run = !nonly;

		for (int i = 0; i < nonly; i++)
			run |= !strcmp(only[i], tests[t].name);
		if (!run)
			continue;
		printf("== %s\n", tests[t].name);
		if (tests[t].in_child)
			run_child(tests[t].name, tests[t].fn);
		else
			tests[t].fn();
	}
	close_all();
	printf("fallback: all passed\n");
	return 0;
}
