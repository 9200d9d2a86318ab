// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rdma netlink parsers on replies recorded from a 6.12 guest
 * (fixtures/, recorded with tests/librdmapin/nlrecord: rdma_rxe rxe0 with
 * index 0, pinrxe pinrxe1 with index 1, each with one 192 KiB pinned MR of
 * a librdmapin_test process), then on every truncation and on corrupted
 * copies of them: a bad message is EPROTO, never a crash or a read past
 * its end (this program is built with AddressSanitizer).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rdma/rdma_netlink.h>

#include "rdmapin_int.h"
#include "unit.h"

#ifndef FIXTURES
#error FIXTURES must name the fixture directory
#endif

struct blob {
	unsigned char *p;
	size_t len;
};

static struct blob load(const char *name)
{
	char path[512];
	struct blob b = {};
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0) {
		printf("FAIL cannot read %s\n", path);
		exit(1);
	}
	rewind(f);
	b.p = malloc(n);
	b.len = fread(b.p, 1, n, f);
	fclose(f);
	return b;
}

/* Parsers with the walker's signature, each collecting into its own state. */
struct devs {
	struct rdmapin_nl_dev d[8];
	int n;
};

static int on_dev(const struct nlmsghdr *nlh, void *arg)
{
	struct devs *ds = arg;

	if (ds->n == 8)
		return E2BIG;
	return rdmapin_nl_parse_dev(nlh, &ds->d[ds->n++]);
}

static int on_mrs(const struct nlmsghdr *nlh, void *arg)
{
	return rdmapin_nl_parse_mrs(nlh, arg);
}

static int on_stats(const struct nlmsghdr *nlh, void *arg)
{
	return rdmapin_nl_parse_stats(nlh, arg);
}

static int on_id(const struct nlmsghdr *nlh, void *arg)
{
	return rdmapin_nl_parse_driver_id(nlh, arg);
}

static int on_ndev(const struct nlmsghdr *nlh, void *arg)
{
	return rdmapin_nl_parse_port_ndev(nlh, arg, 32);
}

/* Run one parser on @len bytes of @p with fresh state; free what it made. */
static int parse(const char *kind, const void *p, size_t len)
{
	struct rdmapin_mr_vec mv = {};
	struct rdmapin_stat_vec sv = {};
	struct devs ds = {};
	uint64_t id;
	char ndev[32];
	int ret;

	if (!strcmp(kind, "get"))
		return rdmapin_nl_walk(p, len, on_dev, &ds);
	if (!strcmp(kind, "mrs")) {
		ret = rdmapin_nl_walk(p, len, on_mrs, &mv);
		free(mv.v);
		return ret;
	}
	if (!strcmp(kind, "stat")) {
		ret = rdmapin_nl_walk(p, len, on_stats, &sv);
		free(sv.v);
		return ret;
	}
	if (!strcmp(kind, "chardev"))
		return rdmapin_nl_walk(p, len, on_id, &id);
	return rdmapin_nl_walk(p, len, on_ndev, ndev);
}

static void test_devices(void)
{
	struct blob b = load("get.bin");
	struct devs ds = {};
	int ret;

	ret = rdmapin_nl_walk(b.p, b.len, on_dev, &ds);
	CHECK(ret == 0 && ds.n == 2, "get: 2 devices (ret %d)", ret);
	CHECK(ds.d[0].index == 0 && !strcmp(ds.d[0].name, "rxe0") &&
	      ds.d[0].nports == 1, "get: rxe0, index 0, 1 port");
	CHECK(ds.d[1].index == 1 && !strcmp(ds.d[1].name, "pinrxe1") &&
	      ds.d[1].nports == 1, "get: pinrxe1, index 1, 1 port");
	free(b.p);
}

static void test_chardev_port(void)
{
	struct blob b = load("chardev-rxe.bin");
	uint64_t id = 99;
	char ndev[32];

	CHECK(!rdmapin_nl_walk(b.p, b.len, on_id, &id) && id == 14,
	      "chardev: rxe0's uverbs driver id is RDMA_DRIVER_RXE (%llu)",
	      (unsigned long long)id);
	free(b.p);
	b = load("chardev-pinrxe.bin");
	CHECK(!rdmapin_nl_walk(b.p, b.len, on_id, &id) && id == 0,
	      "chardev: pinrxe1 has no driver id (RDMA_DRIVER_UNKNOWN)");
	free(b.p);
	b = load("port-rxe.bin");
	CHECK(!rdmapin_nl_walk(b.p, b.len, on_ndev, ndev) &&
	      !strcmp(ndev, "veth0"), "port: rxe0/1's netdev is veth0 (%s)",
	      ndev);
	free(b.p);
}

static void test_mrs(void)
{
	struct rdmapin_mr_vec mv = {};
	struct blob b = load("mrs-pinrxe.bin");
	const struct rdmapin_mr_entry *e;
	int ret;

	ret = rdmapin_nl_walk(b.p, b.len, on_mrs, &mv);
	CHECK(ret == 0 && mv.n == 1, "mrs pinrxe1: 1 MR (ret %d, %zu)", ret,
	      mv.n);
	if (mv.n == 1) {
		e = &mv.v[0];
		CHECK(!strcmp(e->dev, "pinrxe1") && e->pid &&
		      e->info.length == 196608 && e->lkey && e->lkey == e->rkey,
		      "mrs pinrxe1: device, pid %u, length, keys", e->pid);
		CHECK(e->info.from_kernel && e->info.path == RDMAPIN_PATH_PINNED &&
		      e->info.reason == RDMAPIN_REASON_NONE &&
		      e->info.pinned_pages == 48 && e->info.folio_pages[0] == 48 &&
		      !e->info.folio_pages[1] && !e->info.folio_pages[2] &&
		      !e->info.folio_pages[3],
		      "mrs pinrxe1: driver attributes: pinned, 48 pages of 4 KiB folios");
	}
	free(mv.v);
	free(b.p);

	b = load("mrs-rxe.bin");
	memset(&mv, 0, sizeof(mv));
	ret = rdmapin_nl_walk(b.p, b.len, on_mrs, &mv);
	CHECK(ret == 0 && mv.n == 1 && !mv.v[0].info.from_kernel &&
	      mv.v[0].info.path == RDMAPIN_PATH_UNKNOWN &&
	      mv.v[0].info.length == 196608,
	      "mrs rxe0: 1 MR without driver attributes");
	free(mv.v);

	/* A pid filter keeps only that process's MRs. */
	memset(&mv, 0, sizeof(mv));
	mv.pid = 1;
	ret = rdmapin_nl_walk(b.p, b.len, on_mrs, &mv);
	CHECK(ret == 0 && mv.n == 0, "mrs rxe0, pid 1: none");
	free(mv.v);
	free(b.p);
}

static const char *find_stat(const struct rdmapin_stat_vec *sv,
			     const char *name, uint64_t *v)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i].name, name)) {
			*v = sv->v[i].value;
			return name;
		}
	return NULL;
}

static void test_stats(void)
{
	struct rdmapin_stat_vec sv = {};
	struct blob b = load("stat-pinrxe.bin");
	uint64_t v = 0;
	int ret;

	ret = rdmapin_nl_walk(b.p, b.len, on_stats, &sv);
	CHECK(ret == 0 && sv.seen && sv.n == 33, "stat pinrxe1/1: 33 counters (%zu)",
	      sv.n);
	CHECK(find_stat(&sv, "pinned_pages", &v) && v == 0 &&
	      find_stat(&sv, "odp_fallbacks", &v),
	      "stat pinrxe1/1: pinned_pages 0 (recorded before any MR), odp_fallbacks");
	free(sv.v);
	free(b.p);
	b = load("stat-rxe.bin");
	memset(&sv, 0, sizeof(sv));
	ret = rdmapin_nl_walk(b.p, b.len, on_stats, &sv);
	CHECK(ret == 0 && sv.seen && sv.n == 15 && find_stat(&sv, "sent_pkts", &v),
	      "stat rxe0/1: 15 counters, sent_pkts among them");
	free(sv.v);
	free(b.p);
}

/* Offsets where a message ends: cutting there leaves whole messages. */
static bool boundary(const unsigned char *p, size_t len, size_t cut)
{
	size_t off = 0;

	while (off < len) {
		const struct nlmsghdr *h = (const void *)(p + off);

		if (off == cut)
			return true;
		off += NLMSG_ALIGN(h->nlmsg_len);
	}
	return cut >= len;
}

static void test_truncated(const char *file, const char *kind)
{
	struct blob b = load(file);
	size_t cut, bad = 0;
	int ret;

	for (cut = 1; cut < b.len; cut++) {
		/* A copy of exactly @cut bytes, so ASan sees any overread. */
		unsigned char *c = malloc(cut);

		memcpy(c, b.p, cut);
		ret = parse(kind, c, cut);
		if (!boundary(b.p, b.len, cut) && ret != EPROTO)
			bad++;
		free(c);
	}
	CHECK(bad == 0, "%s: every truncation inside a message is EPROTO (%zu not)",
	      file, bad);
	free(b.p);
}

/*
 * Corrupt each attribute's length in turn (0, short, one byte over,
 * far over): each must fail with EPROTO or parse, never crash.  The
 * lengths of whole-message headers are corrupted too.
 */
static void test_corrupt(const char *file, const char *kind)
{
	static const uint16_t lens[] = { 0, 3, 5, 7, 9, 0xfff0 };
	struct blob b = load(file);
	size_t off, eproto = 0, tries = 0;
	unsigned int i;

	for (off = 0; off + 2 <= b.len; off += 2) {
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			unsigned char *c = malloc(b.len);
			int ret;

			memcpy(c, b.p, b.len);
			memcpy(c + off, &lens[i], 2);
			ret = parse(kind, c, b.len);
			tries++;
			eproto += ret == EPROTO;
			free(c);
		}
	}
	CHECK(eproto > 0, "%s: %zu corruptions parsed without a crash, %zu EPROTO",
	      file, tries, eproto);
	free(b.p);
}

static void test_errors(void)
{
	struct {
		struct nlmsghdr h;
		struct nlmsgerr e;
	} m = {
		.h = { .nlmsg_len = sizeof(m), .nlmsg_type = NLMSG_ERROR },
		.e = { .error = -EOPNOTSUPP },
	};
	struct rdmapin_stat_vec sv = {};

	CHECK(rdmapin_nl_walk(&m, sizeof(m), on_stats, &sv) == EOPNOTSUPP,
	      "an NLMSG_ERROR reply gives its errno");
	m.h.nlmsg_len = NLMSG_HDRLEN + 2;
	CHECK(rdmapin_nl_walk(&m, sizeof(m), on_stats, &sv) == EPROTO,
	      "a short NLMSG_ERROR is EPROTO");
	CHECK(rdmapin_nl_walk(&m, 3, on_stats, &sv) == EPROTO,
	      "3 bytes are EPROTO");
	free(sv.v);
}

int main(void)
{
	static const char *const fx[][2] = {
		{ "get.bin", "get" }, { "mrs-pinrxe.bin", "mrs" },
		{ "mrs-rxe.bin", "mrs" }, { "stat-pinrxe.bin", "stat" },
		{ "stat-rxe.bin", "stat" }, { "chardev-rxe.bin", "chardev" },
		{ "port-rxe.bin", "port" },
	};
	unsigned int i;

	test_devices();
	test_chardev_port();
	test_mrs();
	test_stats();
	test_errors();
	for (i = 0; i < sizeof(fx) / sizeof(fx[0]); i++) {
		test_truncated(fx[i][0], fx[i][1]);
		test_corrupt(fx[i][0], fx[i][1]);
	}
	printf("%d failures\n", failures);
	return failures ? 1 : 0;
}
