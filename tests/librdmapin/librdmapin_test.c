// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Every librdmapin call against one device, pinrxe or another provider's
 * (rdma_rxe), run in the guest by tests/cases/70-librdmapin.sh.  What
 * the device cannot do must fail with a message, and what pinrxe reports
 * must agree with pinrxedv_query_mr().
 *
 * usage: librdmapin_test DEV TEST [ARG...]
 *   devices | args | pin | odp | auto | memlock | ext4 FILE |
 *   hold | list PID LENGTH | stats
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <infiniband/pinrxedv.h>
#include <rdmapin.h>

static int failures;

#define CHECK(cond, ...)                                                    \
	do {                                                                \
		printf((cond) ? "ok   " : "FAIL ");                         \
		if (!(cond))                                                \
			failures++;                                         \
		printf(__VA_ARGS__);                                        \
		printf("\n");                                               \
	} while (0)

#define MiB (1024 * 1024)

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static bool is_pinrxe, has_odp;
static const char *devname;

static void open_dev(const char *name)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_device_attr_ex attr;

	for (int i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name)) {
			ctx = ibv_open_device(list[i]);
			is_pinrxe = pinrxedv_is_supported(list[i]);
		}
	if (!ctx || !(pd = ibv_alloc_pd(ctx))) {
		fprintf(stderr, "cannot open %s\n", name);
		exit(2);
	}
	has_odp = !ibv_query_device_ex(ctx, NULL, &attr) &&
		  (attr.odp_caps.general_caps & IBV_ODP_SUPPORT);
	printf("%s: %s provider, ODP %s\n", name, is_pinrxe ? "pinrxe" : "other",
	       has_odp ? "yes" : "no");
}

static void *anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		exit(2);
	memset(p, 1, len);
	return p;
}

static const unsigned int RW = IBV_ACCESS_LOCAL_WRITE |
			       IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;

/* mr_info agrees with pinrxedv_query_mr() and with the expectations. */
static void check_info(struct ibv_mr *mr, const char *what,
		       enum rdmapin_path path, enum rdmapin_reason reason,
		       int pin_errno)
{
	struct rdmapin_mr_info info;
	struct pinrxedv_mr_info dv;
	uint64_t sum = 0;
	int ret;

	ret = rdmapin_mr_info(mr, &info);
	CHECK(ret == 0, "%s: rdmapin_mr_info (%s)", what, rdmapin_last_error());
	if (ret)
		return;
	printf("     path %s reason %s pin_errno %d length %llu pinned %llu folios %llu/%llu/%llu/%llu faults %llu prefetches %llu from_kernel %d lkey %u\n",
	       rdmapin_path_str(info.path), rdmapin_reason_str(info.reason),
	       info.pin_errno, (unsigned long long)info.length,
	       (unsigned long long)info.pinned_pages,
	       (unsigned long long)info.folio_pages[0],
	       (unsigned long long)info.folio_pages[1],
	       (unsigned long long)info.folio_pages[2],
	       (unsigned long long)info.folio_pages[3],
	       (unsigned long long)info.odp_faults,
	       (unsigned long long)info.odp_prefetches, info.from_kernel,
	       mr->lkey);
	CHECK(info.path == path, "%s: path %s", what, rdmapin_path_str(path));
	CHECK(info.reason == reason, "%s: reason %s", what,
	      rdmapin_reason_str(reason));
	CHECK(info.pin_errno == pin_errno, "%s: pin_errno %d", what, pin_errno);
	CHECK(info.length == mr->length, "%s: length", what);
	CHECK(info.from_kernel == is_pinrxe, "%s: from_kernel %d", what,
	      is_pinrxe);
	for (int i = 0; i < 4; i++)
		sum += info.folio_pages[i];
	CHECK(sum == info.pinned_pages, "%s: folio pages add up to pinned pages",
	      what);
	if (info.from_kernel && path == RDMAPIN_PATH_PINNED)
		CHECK(info.pinned_pages == (mr->length + 4095) / 4096,
		      "%s: every page pinned", what);
	if (path != RDMAPIN_PATH_PINNED)
		CHECK(info.pinned_pages == 0, "%s: nothing pinned", what);
	ret = pinrxedv_query_mr(mr, &dv);
	if (!is_pinrxe) {
		CHECK(ret == EOPNOTSUPP, "%s: pinrxedv_query_mr not supported",
		      what);
		return;
	}
	CHECK(ret == 0 && (int)dv.mode == (int)info.path &&
	      (int)dv.fallback_reason == (int)info.reason &&
	      dv.pin_errno == info.pin_errno,
	      "%s: pinrxedv_query_mr agrees (mode %d reason %d errno %d)", what,
	      dv.mode, dv.fallback_reason, dv.pin_errno);
}

static void check_fail(struct ibv_mr *mr, int err, int want, const char *what,
		       const char *needle)
{
	const char *msg = rdmapin_last_error();

	CHECK(!mr && err == want, "%s: fails with %s (got %s)", what,
	      strerror(want), mr ? "success" : strerror(err));
	CHECK(strstr(msg, needle) != NULL,
	      "%s: message says \"%s\": %s", what, needle, msg);
	if (mr)
		ibv_dereg_mr(mr);
}

static void test_devices(void)
{
	struct rdmapin_device *d;
	size_t n, i;
	int ret, found = 0;

	ret = rdmapin_devices(&d, &n);
	CHECK(ret == 0, "rdmapin_devices (%s)", rdmapin_last_error());
	for (i = 0; !ret && i < n; i++) {
		printf("     %s index %u driver %s netdev '%s' pinrxe %d odp %d\n",
		       d[i].name, d[i].index, d[i].driver, d[i].netdev,
		       d[i].pinrxe, d[i].odp);
		if (strcmp(d[i].name, devname))
			continue;
		found = 1;
		CHECK(d[i].pinrxe == is_pinrxe, "%s: pinrxe flag", devname);
		CHECK(d[i].odp == has_odp, "%s: odp flag", devname);
		CHECK(!strcmp(d[i].driver, is_pinrxe ? "pinrxe" : "rxe"),
		      "%s: driver %s", devname, d[i].driver);
	}
	CHECK(found, "%s is listed", devname);
	if (!ret)
		free(d);
}

static void test_args(void)
{
	enum rdmapin_policy p;
	struct rdmapin_stat *s;
	struct rdmapin_mr_entry *e;
	struct ibv_mr *mr;
	void *buf = anon(4096);
	size_t n;

	mr = rdmapin_reg_mr(pd, buf, 4096, 0, (enum rdmapin_policy)7);
	check_fail(mr, errno, EINVAL, "policy 7", "unknown policy");
	mr = rdmapin_reg_mr(pd, buf, 4096, IBV_ACCESS_ON_DEMAND,
			    RDMAPIN_POLICY_PIN);
	check_fail(mr, errno, EINVAL, "PIN with IBV_ACCESS_ON_DEMAND",
		   "ODP policy");
	mr = rdmapin_reg_mr(pd, buf + 1, 1UL << 40, 0, RDMAPIN_POLICY_AUTO);
	check_fail(mr, errno, EFAULT, "AUTO over unmapped memory", "mapped");
	CHECK(rdmapin_policy_parse("Auto", &p) == 0 && p == RDMAPIN_POLICY_AUTO,
	      "policy \"Auto\"");
	CHECK(rdmapin_dev_stats("nosuchdev", 1, &s, &n) == ENODEV,
	      "stats of a device that is not there: ENODEV (%s)",
	      rdmapin_last_error());
	CHECK(rdmapin_dev_stats(devname, 9, &s, &n) == EINVAL,
	      "stats of port 9: EINVAL (%s)", rdmapin_last_error());
	CHECK(rdmapin_mr_list("nosuchdev", 0, &e, &n) == ENODEV,
	      "MRs of a device that is not there: ENODEV (%s)",
	      rdmapin_last_error());
}

static void test_pin(void)
{
	void *buf = anon(MiB);
	struct ibv_mr *mr = rdmapin_reg_mr(pd, buf, MiB, RW, RDMAPIN_POLICY_PIN);

	CHECK(mr, "PIN 1 MiB (%s)", rdmapin_last_error());
	if (mr) {
		check_info(mr, "PIN", RDMAPIN_PATH_PINNED, RDMAPIN_REASON_NONE, 0);
		ibv_dereg_mr(mr);
	}
}

static void test_odp(void)
{
	void *buf = anon(MiB);
	struct ibv_mr *mr = rdmapin_reg_mr(pd, buf, MiB, RW, RDMAPIN_POLICY_ODP);
	struct rdmapin_mr_info info;
	struct ibv_sge sge;

	if (!has_odp) {
		check_fail(mr, errno, EOPNOTSUPP, "ODP without ODP",
			   "does not support on-demand paging");
		return;
	}
	CHECK(mr, "ODP 1 MiB (%s)", rdmapin_last_error());
	if (!mr)
		return;
	check_info(mr, "ODP", RDMAPIN_PATH_ODP, RDMAPIN_REASON_NONE, 0);
	sge = (struct ibv_sge){ .addr = (uintptr_t)buf, .length = MiB,
				.lkey = mr->lkey };
	CHECK(!ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
			     IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1),
	      "ibv_advise_mr prefetch");
	CHECK(!rdmapin_mr_info(mr, &info) && info.odp_prefetches >= 1 &&
	      info.odp_pages_faulted >= 256,
	      "after prefetch: %llu prefetches, %llu pages faulted",
	      (unsigned long long)info.odp_prefetches,
	      (unsigned long long)info.odp_pages_faulted);
	ibv_dereg_mr(mr);
}

static void test_auto(void)
{
	void *buf = anon(MiB);
	struct ibv_mr *mr = rdmapin_reg_mr(pd, buf, MiB, RW, RDMAPIN_POLICY_AUTO);

	CHECK(mr, "AUTO 1 MiB (%s)", rdmapin_last_error());
	if (mr) {
		check_info(mr, "AUTO", RDMAPIN_PATH_PINNED, RDMAPIN_REASON_NONE,
			   0);
		ibv_dereg_mr(mr);
	}
}

static uint64_t vmpin(void)
{
	struct rdmapin_limits l;

	return rdmapin_limits(0, &l) ? UINT64_MAX : l.pinned_bytes;
}

static void test_memlock(void)
{
	struct rlimit rl = { 64 * 1024, 64 * 1024 };
	struct rdmapin_limits l;
	void *buf = anon(MiB);
	struct ibv_mr *mr;
	uint64_t pinned;

	setrlimit(RLIMIT_MEMLOCK, &rl);
	CHECK(!rdmapin_limits(0, &l) && !l.cap_ipc_lock &&
	      l.memlock_cur == 64 * 1024,
	      "64 KiB memlock limit, no CAP_IPC_LOCK (run under setpriv)");
	pinned = vmpin();
	mr = rdmapin_reg_mr(pd, buf, MiB, RW, RDMAPIN_POLICY_PIN);
	check_fail(mr, errno, ENOMEM, "PIN 1 MiB over the limit",
		   "would exceed RLIMIT_MEMLOCK (64 KiB");
	CHECK(vmpin() == pinned, "nothing pinned by the failure");
	mr = rdmapin_reg_mr(pd, buf, MiB, RW, RDMAPIN_POLICY_AUTO);
	if (!has_odp) {
		check_fail(mr, errno, ENOMEM, "AUTO over the limit without ODP",
			   "no on-demand paging");
	} else {
		CHECK(mr, "AUTO 1 MiB over the limit (%s)",
		      rdmapin_last_error());
		if (mr) {
			check_info(mr, "AUTO over the limit", RDMAPIN_PATH_ODP,
				   RDMAPIN_REASON_MEMLOCK, ENOMEM);
			ibv_dereg_mr(mr);
		}
	}
	CHECK(vmpin() == pinned, "nothing left pinned");
	mr = rdmapin_reg_mr(pd, buf, 16 * 1024, RW, RDMAPIN_POLICY_AUTO);
	CHECK(mr, "AUTO 16 KiB under the limit (%s)", rdmapin_last_error());
	if (mr) {
		check_info(mr, "AUTO under the limit", RDMAPIN_PATH_PINNED,
			   RDMAPIN_REASON_NONE, 0);
		ibv_dereg_mr(mr);
	}
}

static void test_ext4(const char *file)
{
	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
	struct ibv_mr *mr;
	void *buf;

	if (fd < 0 || ftruncate(fd, MiB)) {
		CHECK(0, "create %s", file);
		return;
	}
	buf = mmap(NULL, MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (buf == MAP_FAILED)
		exit(2);
	memset(buf, 2, MiB);
	mr = rdmapin_reg_mr(pd, buf, MiB, RW, RDMAPIN_POLICY_PIN);
	check_fail(mr, errno, EFAULT, "PIN of a shared ext4 mapping",
		   "refuses to pin");
	mr = rdmapin_reg_mr(pd, buf, MiB, RW, RDMAPIN_POLICY_AUTO);
	if (!has_odp) {
		check_fail(mr, errno, EFAULT, "AUTO on ext4 without ODP",
			   "no on-demand paging");
	} else {
		CHECK(mr, "AUTO on a shared ext4 mapping (%s)",
		      rdmapin_last_error());
		if (mr) {
			check_info(mr, "AUTO on ext4", RDMAPIN_PATH_ODP,
				   RDMAPIN_REASON_PIN_REFUSED, EFAULT);
			ibv_dereg_mr(mr);
		}
	}
	munmap(buf, MiB);
	close(fd);
}

/* Register 192 KiB pinned and wait for stdin to close: for other processes. */
static void hold(void)
{
	void *buf = anon(192 * 1024);
	struct ibv_mr *mr = rdmapin_reg_mr(pd, buf, 192 * 1024, RW,
					   RDMAPIN_POLICY_PIN);
	char c;

	if (!mr) {
		printf("FAIL hold: %s\n", rdmapin_last_error());
		exit(1);
	}
	printf("holding pid %d lkey %u length %zu\n", getpid(), mr->lkey,
	       mr->length);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	ibv_dereg_mr(mr);
}

static void test_list(pid_t pid, uint64_t len)
{
	struct rdmapin_mr_entry *e;
	size_t n, i;
	int ret, found = 0;

	ret = rdmapin_mr_list(devname, pid, &e, &n);
	CHECK(ret == 0, "rdmapin_mr_list(%s, %d) (%s)", devname, pid,
	      rdmapin_last_error());
	for (i = 0; !ret && i < n; i++) {
		printf("     %s mrn %u pid %u comm %s lkey %u len %llu path %s pinned %llu from_kernel %d\n",
		       e[i].dev, e[i].mrn, e[i].pid, e[i].comm, e[i].lkey,
		       (unsigned long long)e[i].info.length,
		       rdmapin_path_str(e[i].info.path),
		       (unsigned long long)e[i].info.pinned_pages,
		       e[i].info.from_kernel);
		CHECK(e[i].pid == (uint32_t)pid, "only pid %d's MRs", pid);
		if (e[i].info.length != len)
			continue;
		found = 1;
		CHECK(e[i].info.from_kernel == is_pinrxe,
		      "from_kernel %d", is_pinrxe);
		if (is_pinrxe)
			CHECK(e[i].info.path == RDMAPIN_PATH_PINNED &&
			      e[i].info.pinned_pages == len / 4096,
			      "pinned, %llu pages", (unsigned long long)len / 4096);
	}
	CHECK(found, "the other process's %llu-byte MR is listed",
	      (unsigned long long)len);
	if (!ret)
		free(e);
	ret = rdmapin_mr_list(NULL, 0, &e, &n);
	CHECK(ret == 0 && n >= 1, "rdmapin_mr_list(NULL, 0): %zu MRs", n);
	if (!ret)
		free(e);
}

static void test_stats(void)
{
	struct rdmapin_stat *s;
	size_t n, i;
	int ret;

	ret = rdmapin_dev_stats(devname, 1, &s, &n);
	CHECK(ret == 0 && n > 0, "rdmapin_dev_stats(%s, 1): %zu counters (%s)",
	      devname, n, rdmapin_last_error());
	for (i = 0; !ret && i < n; i++)
		printf("stat %s %llu\n", s[i].name,
		       (unsigned long long)s[i].value);
	if (!ret)
		free(s);
}

int main(int argc, char **argv)
{
	const char *t;

	if (argc < 3) {
		fprintf(stderr, "usage: %s DEV TEST [ARG...]\n", argv[0]);
		return 2;
	}
	devname = argv[1];
	t = argv[2];
	open_dev(devname);
	if (!strcmp(t, "devices"))
		test_devices();
	else if (!strcmp(t, "args"))
		test_args();
	else if (!strcmp(t, "pin"))
		test_pin();
	else if (!strcmp(t, "odp"))
		test_odp();
	else if (!strcmp(t, "auto"))
		test_auto();
	else if (!strcmp(t, "memlock"))
		test_memlock();
	else if (!strcmp(t, "ext4") && argc > 3)
		test_ext4(argv[3]);
	else if (!strcmp(t, "hold"))
		hold();
	else if (!strcmp(t, "list") && argc > 4)
		test_list(atoi(argv[3]), strtoull(argv[4], NULL, 0));
	else if (!strcmp(t, "stats"))
		test_stats();
	else
		return 2;
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	printf("%d failures\n", failures);
	return failures ? 1 : 0;
}
