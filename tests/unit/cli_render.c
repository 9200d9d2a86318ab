// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rdmapin command's output on canned data, with no device: every
 * renderer's JSON parses and carries the values given (null where the
 * device reports nothing), strings are escaped, and the tables show the
 * values people need (path, fallback reason, '-' for what is unknown).
 */
#include <errno.h>

#include "cli_common.h"

/* Render into a buffer: @fn is called with the FILE. */
#define RENDER(buf, len, call)                                              \
	do {                                                                \
		FILE *f = open_memstream(&(buf), &(len));                   \
		call;                                                       \
		fclose(f);                                                  \
	} while (0)

static const struct rdmapin_device devs[] = {
	{ .name = "rxe0", .index = 1, .driver = "rxe", .netdev = "veth0" },
	{ .name = "pinrxe1", .index = 2, .driver = "pinrxe",
	  .netdev = "veth1", .pinrxe = true, .odp = true },
	{ .name = "odd\"name", .index = 3, .driver = "x" },
};

static void test_devices(void)
{
	char *buf = NULL;
	size_t len;

	RENDER(buf, len, render_devices(f, true, devs, 3));
	CHECK(json_check(buf, "len(d) == 3 and d[0]['driver'] == 'rxe' and "
			      "d[0]['odp'] is False and d[1]['pinning_info'] and "
			      "d[1]['odp'] and d[1]['netdev'] == 'veth1' and "
			      "d[2]['netdev'] is None and d[2]['name'] == 'odd\"name'") == 0,
	      "devices JSON: %s", buf);
	free(buf);
	RENDER(buf, len, render_devices(f, false, devs, 2));
	CHECK(strstr(buf, "DEVICE") && strstr(buf, "pinrxe1") &&
	      strstr(buf, "veth1") && strstr(buf, "rxe "),
	      "devices table:\n%s", buf);
	free(buf);
	RENDER(buf, len, render_devices(f, true, devs, 0));
	CHECK(json_check(buf, "d == []") == 0, "no devices: [] ('%s')", buf);
	free(buf);
	RENDER(buf, len, render_devices(f, false, devs, 0));
	CHECK(strstr(buf, "no RDMA devices") != NULL, "no devices: said so");
	free(buf);
}

static void fill_mrs(struct rdmapin_mr_entry *e)
{
	memset(e, 0, 3 * sizeof(*e));
	strcpy(e[0].dev, "pinrxe0");
	e[0].mrn = 5;
	e[0].pid = 1234;
	strcpy(e[0].comm, "ib_write_bw");
	e[0].lkey = 0x1a2b;
	e[0].rkey = 0x1a2b;
	e[0].info = (struct rdmapin_mr_info){
		.path = RDMAPIN_PATH_PINNED, .length = 2 << 20,
		.pinned_pages = 512, .folio_pages = { 0, 0, 512, 0 },
		.from_kernel = true };
	strcpy(e[1].dev, "pinrxe0");
	e[1].mrn = 6;
	e[1].pid = 1234;
	strcpy(e[1].comm, "we\"ird\\\x01\xc3\xa9");
	e[1].info = (struct rdmapin_mr_info){
		.path = RDMAPIN_PATH_ODP, .reason = RDMAPIN_REASON_MEMLOCK,
		.pin_errno = ENOMEM, .length = 1 << 20, .odp_faults = 7,
		.odp_pages_faulted = 112, .odp_invalidations = 3,
		.odp_prefetches = 1, .from_kernel = true };
	strcpy(e[2].dev, "rxe0");
	e[2].mrn = 1;
	e[2].info.length = 4096;
}

static void test_mrs(void)
{
	struct rdmapin_mr_entry e[3];
	char *buf = NULL;
	size_t len;

	fill_mrs(e);
	RENDER(buf, len, render_mrs(f, true, e, 3));
	CHECK(json_check(buf,
			 "len(d) == 3 and d[0]['path'] == 'pinned' and "
			 "d[0]['pinned_pages'] == 512 and d[0]['folio_pages']['2m'] == 512 and "
			 "d[0]['lkey'] == 0x1a2b and d[0]['comm'] == 'ib_write_bw' and "
			 "d[0]['length'] == 2 << 20 and d[0]['reason'] == 'none' and "
			 "d[1]['path'] == 'odp' and d[1]['reason'] == 'memlock' and "
			 "d[1]['pin_errno'] == 12 and d[1]['odp']['faults'] == 7 and "
			 "d[1]['odp']['invalidations'] == 3 and "
			 "d[1]['odp']['pages_faulted'] == 112 and "
			 "d[1]['comm'].startswith('we\"ird\\\\\\x01') and "
			 "d[2]['from_kernel'] is False and d[2]['path'] is None and "
			 "d[2]['odp'] is None and d[2]['pid'] == 0 and d[2]['length'] == 4096") == 0,
	      "mr JSON: %s", buf);
	free(buf);
	RENDER(buf, len, render_mrs(f, false, e, 3));
	CHECK(strstr(buf, "PATH") && strstr(buf, "pinned") &&
	      strstr(buf, "0/0/512/0") && strstr(buf, "2 MiB") &&
	      strstr(buf, "memlock (ENOMEM)") && strstr(buf, "[kernel]") &&
	      strstr(buf, "does not report pinning information"),
	      "mr table:\n%s", buf);
	free(buf);
	RENDER(buf, len, render_mrs(f, false, e, 2));
	CHECK(!strstr(buf, "does not report"),
	      "no '-' note when every MR is reported");
	free(buf);
	RENDER(buf, len, render_mrs(f, true, e, 0));
	CHECK(json_check(buf, "d == []") == 0, "no MRs: []");
	free(buf);
}

static void test_stats(void)
{
	struct rdmapin_stat s[] = { { "pinned_pages", 512 },
				    { "odp_faults", 9 } };
	struct cli_port_stats p[2] = {
		{ .dev = "pinrxe0", .port = 1, .supported = true, .stats = s,
		  .n = 2 },
		{ .dev = "mlx", .port = 2 },
	};
	char *buf = NULL;
	size_t len;

	RENDER(buf, len, render_stats(f, true, p, 2));
	CHECK(json_check(buf, "d[0]['counters'] == {'pinned_pages': 512, 'odp_faults': 9} "
			      "and d[0]['supported'] and d[1]['counters'] is None "
			      "and d[1]['port'] == 2 and not d[1]['supported']") == 0,
	      "stats JSON: %s", buf);
	free(buf);
	RENDER(buf, len, render_stats(f, false, p, 2));
	CHECK(strstr(buf, "pinned_pages") && strstr(buf, "512") &&
	      strstr(buf, "(no counters)"), "stats table:\n%s", buf);
	free(buf);
}

static void test_limits(void)
{
	struct rdmapin_limits lim = { .memlock_cur = 64 << 10,
				      .memlock_max = RDMAPIN_UNLIMITED,
				      .pinned_bytes = 16 << 10 };
	char *buf = NULL;
	size_t len;

	RENDER(buf, len, render_limits(f, true, 77, &lim));
	CHECK(json_check(buf, "d['pid'] == 77 and d['memlock_soft_bytes'] == 65536 "
			      "and d['memlock_hard_bytes'] is None and "
			      "d['pinned_bytes'] == 16384 and d['pinnable_bytes'] == 49152 "
			      "and d['cap_ipc_lock'] is False") == 0,
	      "limits JSON: %s", buf);
	free(buf);
	RENDER(buf, len, render_limits(f, false, 77, &lim));
	CHECK(strstr(buf, "64 KiB") && strstr(buf, "unlimited") &&
	      strstr(buf, "48 KiB"), "limits table:\n%s", buf);
	free(buf);
	lim.cap_ipc_lock = true;
	RENDER(buf, len, render_limits(f, true, 77, &lim));
	CHECK(json_check(buf, "d['pinnable_bytes'] is None and d['cap_ipc_lock']") == 0,
	      "CAP_IPC_LOCK: no limit on pinning");
	free(buf);
}

static void test_json_writer(void)
{
	char *buf = NULL;
	size_t len;
	struct jw w;

	RENDER(buf, len, {
		jw_init(&w, f);
		jw_begin_object(&w);
		jw_key(&w, "a");
		jw_begin_array(&w);
		jw_begin_array(&w);
		jw_end_array(&w);
		jw_begin_object(&w);
		jw_end_object(&w);
		jw_int(&w, -5);
		jw_string(&w, "tab\tnl\n");
		jw_end_array(&w);
		jw_key(&w, "b");
		jw_bool(&w, true);
		jw_end_object(&w);
		jw_finish(&w);
	});
	CHECK(json_check(buf, "d == {'a': [[], {}, -5, 'tab\\tnl\\n'], 'b': True}") == 0,
	      "nesting, separators and escapes: %s", buf);
	free(buf);
}

int main(void)
{
	test_devices();
	test_mrs();
	test_stats();
	test_limits();
	test_json_writer();
	return finish();
}
