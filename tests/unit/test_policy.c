// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * librdmapin without a device: the registration policy's decisions for
 * every policy, device capability and pin failure; argument errors and
 * their messages; the names of policies, paths and reasons.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <infiniband/pinrxedv.h>

#include "rdmapin_int.h"
#include "unit.h"

/* librdmapin mirrors pinrxedv.h's ABI: the values must agree. */
_Static_assert(PINRXEDV_REG_FALLBACK_ODP == RDMAPIN_DV_FALLBACK_ODP, "flags");
_Static_assert(PINRXEDV_REG_NO_FALLBACK == RDMAPIN_DV_NO_FALLBACK, "flags");
_Static_assert((int)PINRXEDV_MR_MODE_PINNED == (int)RDMAPIN_PATH_PINNED, "mode");
_Static_assert((int)PINRXEDV_MR_MODE_ODP == (int)RDMAPIN_PATH_ODP, "mode");
_Static_assert((int)PINRXEDV_MR_MODE_ODP_IMPLICIT ==
	       (int)RDMAPIN_PATH_ODP_IMPLICIT, "mode");
_Static_assert((int)PINRXEDV_FALLBACK_MEMLOCK == (int)RDMAPIN_REASON_MEMLOCK,
	       "reason");
_Static_assert((int)PINRXEDV_FALLBACK_PIN_REFUSED ==
	       (int)RDMAPIN_REASON_PIN_REFUSED, "reason");
_Static_assert(sizeof(struct pinrxedv_mr_info) == 3 * sizeof(int), "info");

static const char *act_name(enum rdmapin_action a)
{
	static const char *const n[] = {
		"PIN", "PIN_STRICT", "PIN_OR_ODP", "ODP", "FAIL",
		"FAIL_NO_ODP", "INVALID",
	};

	return (unsigned int)a < 7 ? n[a] : "?";
}

/*
 * The whole table: policy x (pinrxedv, odp) x pin failure (none yet,
 * memlock, refused, other) -> action.
 */
static void test_decisions(void)
{
	static const struct {
		enum rdmapin_policy p;
		bool dv, odp;
		enum rdmapin_action first, memlock, refused, other;
	} t[] = {
#define A(x) RDMAPIN_ACT_##x
		{ RDMAPIN_POLICY_PIN, 0, 0, A(PIN), A(FAIL), A(FAIL), A(FAIL) },
		{ RDMAPIN_POLICY_PIN, 0, 1, A(PIN), A(FAIL), A(FAIL), A(FAIL) },
		{ RDMAPIN_POLICY_PIN, 1, 0, A(PIN_STRICT), A(FAIL), A(FAIL), A(FAIL) },
		{ RDMAPIN_POLICY_PIN, 1, 1, A(PIN_STRICT), A(FAIL), A(FAIL), A(FAIL) },
		{ RDMAPIN_POLICY_ODP, 0, 0, A(FAIL_NO_ODP), A(FAIL), A(FAIL), A(FAIL) },
		{ RDMAPIN_POLICY_ODP, 0, 1, A(ODP), A(FAIL), A(FAIL), A(FAIL) },
		{ RDMAPIN_POLICY_ODP, 1, 0, A(FAIL_NO_ODP), A(FAIL), A(FAIL), A(FAIL) },
		{ RDMAPIN_POLICY_ODP, 1, 1, A(ODP), A(FAIL), A(FAIL), A(FAIL) },
		{ RDMAPIN_POLICY_AUTO, 0, 0, A(PIN), A(FAIL_NO_ODP), A(FAIL_NO_ODP), A(FAIL) },
		{ RDMAPIN_POLICY_AUTO, 0, 1, A(PIN), A(ODP), A(ODP), A(FAIL) },
		{ RDMAPIN_POLICY_AUTO, 1, 0, A(PIN_STRICT), A(FAIL_NO_ODP), A(FAIL_NO_ODP), A(FAIL) },
		{ RDMAPIN_POLICY_AUTO, 1, 1, A(PIN_OR_ODP), A(FAIL), A(FAIL), A(FAIL) },
		{ (enum rdmapin_policy)3, 1, 1, A(INVALID), A(INVALID), A(INVALID), A(INVALID) },
#undef A
	};
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct rdmapin_caps c = { .pinrxedv = t[i].dv, .odp = t[i].odp };
		enum rdmapin_action a[4];

		a[0] = rdmapin_decide(t[i].p, &c, 0, RDMAPIN_REASON_NONE);
		a[1] = rdmapin_decide(t[i].p, &c, ENOMEM,
				      rdmapin_pin_failure(ENOMEM, true));
		a[2] = rdmapin_decide(t[i].p, &c, EFAULT,
				      rdmapin_pin_failure(EFAULT, true));
		a[3] = rdmapin_decide(t[i].p, &c, EFAULT,
				      rdmapin_pin_failure(EFAULT, false));
		CHECK(a[0] == t[i].first && a[1] == t[i].memlock &&
		      a[2] == t[i].refused && a[3] == t[i].other,
		      "%s pinrxedv=%d odp=%d: first %s, memlock %s, refused %s, unmapped %s",
		      rdmapin_policy_str(t[i].p), t[i].dv, t[i].odp,
		      act_name(a[0]), act_name(a[1]), act_name(a[2]),
		      act_name(a[3]));
	}
}

static void test_pin_failure(void)
{
	CHECK(rdmapin_pin_failure(ENOMEM, false) == RDMAPIN_REASON_MEMLOCK,
	      "ENOMEM: memlock");
	CHECK(rdmapin_pin_failure(EFAULT, true) == RDMAPIN_REASON_PIN_REFUSED,
	      "EFAULT on mapped memory: pin refused");
	CHECK(rdmapin_pin_failure(EOPNOTSUPP, true) ==
	      RDMAPIN_REASON_PIN_REFUSED, "EOPNOTSUPP (DAX) on mapped memory: pin refused");
	CHECK(rdmapin_pin_failure(EFAULT, false) == RDMAPIN_REASON_NONE,
	      "EFAULT on unmapped memory: no fallback");
	CHECK(rdmapin_pin_failure(EINVAL, true) == RDMAPIN_REASON_NONE,
	      "EINVAL: no fallback");
}

static void test_names(void)
{
	enum rdmapin_policy p = RDMAPIN_POLICY_PIN;
	static const char *const good[] = { "pin", "ODP", "Auto" };
	static const enum rdmapin_policy want[] = {
		RDMAPIN_POLICY_PIN, RDMAPIN_POLICY_ODP, RDMAPIN_POLICY_AUTO,
	};
	static const char *const bad[] = { "", "pinned", "od", "auto ", "x" };
	unsigned int i;

	for (i = 0; i < 3; i++)
		CHECK(!rdmapin_policy_parse(good[i], &p) && p == want[i],
		      "parse \"%s\"", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(rdmapin_policy_parse(bad[i], &p) == EINVAL &&
		      strstr(rdmapin_last_error(), "pin, odp or auto"),
		      "parse \"%s\": EINVAL, %s", bad[i], rdmapin_last_error());
	}
	CHECK(rdmapin_policy_parse(NULL, &p) == EINVAL, "parse NULL: EINVAL");
	CHECK(rdmapin_policy_parse("pin", NULL) == EINVAL,
	      "parse into NULL: EINVAL");
	CHECK(!strcmp(rdmapin_policy_str(RDMAPIN_POLICY_AUTO), "auto") &&
	      !strcmp(rdmapin_policy_str((enum rdmapin_policy)9), "unknown"),
	      "policy names");
	CHECK(!strcmp(rdmapin_path_str(RDMAPIN_PATH_PINNED), "pinned") &&
	      !strcmp(rdmapin_path_str(RDMAPIN_PATH_ODP), "odp") &&
	      !strcmp(rdmapin_path_str(RDMAPIN_PATH_ODP_IMPLICIT), "odp_implicit") &&
	      !strcmp(rdmapin_path_str(RDMAPIN_PATH_UNKNOWN), "unknown"),
	      "path names");
	CHECK(!strcmp(rdmapin_reason_str(RDMAPIN_REASON_NONE), "none") &&
	      !strcmp(rdmapin_reason_str(RDMAPIN_REASON_MEMLOCK), "memlock") &&
	      !strcmp(rdmapin_reason_str(RDMAPIN_REASON_PIN_REFUSED), "pin_refused"),
	      "reason names");
}

static void test_args(void)
{
	char buf[64];
	struct rdmapin_mr_info info;
	struct rdmapin_device *d;
	struct rdmapin_stat *s;
	struct rdmapin_mr_entry *e;
	size_t n;

	errno = 0;
	CHECK(!rdmapin_reg_mr(NULL, buf, sizeof(buf), 0, RDMAPIN_POLICY_PIN) &&
	      errno == EINVAL && strstr(rdmapin_last_error(), "pd is NULL"),
	      "reg_mr with no PD: EINVAL (%s)", rdmapin_last_error());
	CHECK(rdmapin_mr_info(NULL, &info) == EINVAL, "mr_info(NULL): EINVAL");
	CHECK(rdmapin_devices(NULL, &n) == EINVAL, "devices(NULL): EINVAL");
	CHECK(rdmapin_dev_stats(NULL, 1, &s, &n) == EINVAL,
	      "dev_stats(NULL): EINVAL");
	CHECK(rdmapin_dev_stats("x", 0, &s, &n) == EINVAL &&
	      strstr(rdmapin_last_error(), "start at 1"),
	      "dev_stats port 0: EINVAL (%s)", rdmapin_last_error());
	CHECK(rdmapin_mr_list(NULL, 0, NULL, &n) == EINVAL,
	      "mr_list into NULL: EINVAL");
	CHECK(rdmapin_mr_list(NULL, -1, &e, &n) == EINVAL,
	      "mr_list pid -1: EINVAL");
	(void)d;
}

static void test_bytes(void)
{
	char b[32];

	rdmapin_fmt_bytes(b, sizeof(b), 64 * 1024);
	CHECK(!strcmp(b, "64 KiB"), "64 KiB: %s", b);
	rdmapin_fmt_bytes(b, sizeof(b), 2 << 20);
	CHECK(!strcmp(b, "2 MiB"), "2 MiB: %s", b);
	rdmapin_fmt_bytes(b, sizeof(b), 0);
	CHECK(!strcmp(b, "0 B"), "0 B: %s", b);
	rdmapin_fmt_bytes(b, sizeof(b), 4097);
	CHECK(!strcmp(b, "4097 B"), "4097 B: %s", b);
}

int main(void)
{
	test_decisions();
	test_pin_failure();
	test_names();
	test_args();
	test_bytes();
	printf("%d failures\n", failures);
	return failures ? 1 : 0;
}
