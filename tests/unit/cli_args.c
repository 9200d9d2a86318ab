// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rdmapin command's argument parsing and exit codes, with no device:
 * usage errors exit 2 with a message naming the problem and pointing at
 * --help, --help exits 0 on stdout, bench exits 5, a process that does not
 * exist exits 4.  `rdmapin limits` needs no device and runs for real.
 */
#include <errno.h>
#include <sys/wait.h>

#include "cli_common.h"

/* The exit code and a fragment of stderr (or of stdout when rc is 0). */
static void expect(struct run r, int rc, const char *fragment,
		   const char *what)
{
	const char *text = rc ? r.err : r.out;

	CHECK(r.rc == rc && (!fragment || strstr(text, fragment)),
	      "%s: exit %d (want %d), %s '%s'", what, r.rc, rc,
	      rc ? "stderr" : "stdout", text);
	if (rc == 0)
		CHECK(r.errlen == 0, "%s: nothing on stderr ('%s')", what, r.err);
	else
		CHECK(r.outlen == 0, "%s: nothing on stdout ('%s')", what, r.out);
	run_free(&r);
}

static pid_t dead_pid(void)
{
	pid_t pid = fork();

	if (!pid)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

static void test_top_level(void)
{
	expect(run_cli(NULL), 2, "usage: rdmapin", "no command");
	expect(run_cli("--help", NULL), 0, "commands:", "--help");
	expect(run_cli("-h", NULL), 0, "limits", "-h");
	expect(run_cli("--version", NULL), 0, "rdmapin 0.", "--version");
	expect(run_cli("frobnicate", NULL), 2, "unknown command 'frobnicate'",
	       "unknown command");
	expect(run_cli("--json", NULL), 2, "unknown command '--json'",
	       "an option without a command");
}

static void test_help(void)
{
	static const char *const cmds[] = { "devices", "mr", "stats", "limits",
					    "bench" };
	char want[64];
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(want, sizeof(want), "usage: rdmapin %s", cmds[i]);
		expect(run_cli(cmds[i], "--help", NULL), 0, want, cmds[i]);
		/* --help wins over other options, and -h is the same. */
		expect(run_cli(cmds[i], "--json", "-h", NULL), 0, want, cmds[i]);
	}
	expect(run_cli("mr", "--help", NULL), 0, "--pid PID", "mr --help");
	expect(run_cli("stats", "--help", NULL), 0, "DEV[/PORT]",
	       "stats --help");
}

static void test_usage_errors(void)
{
	expect(run_cli("devices", "--bogus", NULL), 2,
	       "unknown option '--bogus'", "devices --bogus");
	expect(run_cli("devices", "extra", NULL), 2,
	       "unexpected argument 'extra'", "devices extra");
	expect(run_cli("devices", "--pid", "1", NULL), 2, "no option --pid",
	       "devices --pid");
	expect(run_cli("limits", "--dev", "x", NULL), 2, "no option --dev",
	       "limits --dev");
	expect(run_cli("mr", "--pid", NULL), 2, "--pid needs a value",
	       "mr --pid without a value");
	expect(run_cli("mr", "--pid", "abc", NULL), 2, "not 'abc'",
	       "mr --pid abc");
	expect(run_cli("mr", "--pid", "0", NULL), 2, "positive number",
	       "mr --pid 0");
	expect(run_cli("mr", "--pid", "-3", NULL), 2, "not '-3'", "mr --pid -3");
	expect(run_cli("mr", "--pid", "12x", NULL), 2, "not '12x'",
	       "mr --pid 12x");
	expect(run_cli("mr", "--pid=99999999999", NULL), 2, "not '99999999999'",
	       "mr --pid out of range");
	expect(run_cli("mr", "--dev", "", NULL), 2, "RDMA device name",
	       "mr --dev ''");
	expect(run_cli("mr", "--dev", NULL), 2, "--dev needs a value",
	       "mr --dev without a value");
	expect(run_cli("stats", "a", "b", NULL), 2, "unexpected argument 'b'",
	       "stats with two devices");
	expect(run_cli("stats", "pinrxe0/x", NULL), 2, "not DEV or DEV/PORT",
	       "stats DEV/x");
	expect(run_cli("stats", "pinrxe0/0", NULL), 2, "not DEV or DEV/PORT",
	       "stats DEV/0");
	expect(run_cli("stats", "/1", NULL), 2, "not DEV or DEV/PORT",
	       "stats /1");
	expect(run_cli("limits", "--pid", "1", "2", NULL), 2,
	       "unexpected argument '2'", "limits with an extra argument");
	expect(run_cli("bench", "x", NULL), 2, "unexpected argument 'x'",
	       "bench x");
}

static void test_exit_codes(void)
{
	char pid[16];

	expect(run_cli("bench", NULL), 5, "not yet implemented", "bench");
	expect(run_cli("bench", "--json", NULL), 5, "issue 6", "bench --json");
	snprintf(pid, sizeof(pid), "%d", (int)dead_pid());
	expect(run_cli("mr", "--pid", pid, NULL), 4, "no process",
	       "mr --pid of a process that is gone");
	expect(run_cli("limits", "--pid", pid, NULL), 4, "no such process",
	       "limits --pid of a process that is gone");
	CHECK(cli_exit_for_errno(EOPNOTSUPP) == 3, "EOPNOTSUPP -> 3");
	CHECK(cli_exit_for_errno(ENODEV) == 4, "ENODEV -> 4");
	CHECK(cli_exit_for_errno(EIO) == 1, "EIO -> 1");
}

static void test_limits_runs(void)
{
	struct run r;
	char pid[16];

	expect(run_cli("limits", NULL), 0, "memlock soft limit", "limits");
	snprintf(pid, sizeof(pid), "%d", (int)getppid());
	r = run_cli("limits", "--pid", pid, "--json", NULL);
	CHECK(r.rc == 0 && json_check(r.out, "d['pid'] > 1 and "
					      "isinstance(d['cap_ipc_lock'], bool)") == 0,
	      "limits --pid PARENT --json: valid JSON ('%s')", r.out);
	run_free(&r);
	/* Options after the positional-less command, in either order. */
	r = run_cli("limits", "--json", "--pid", pid, NULL);
	CHECK(r.rc == 0 && json_check(r.out, NULL) == 0,
	      "limits --json --pid: valid JSON");
	run_free(&r);
}

static void test_parsers(void)
{
	char dev[64];
	uint32_t port = 0;

	CHECK(cli_parse_target("rxe0", dev, sizeof(dev), &port) == 0 &&
	      !strcmp(dev, "rxe0") && port == 1, "DEV -> port 1");
	CHECK(cli_parse_target("pinrxe1/2", dev, sizeof(dev), &port) == 0 &&
	      !strcmp(dev, "pinrxe1") && port == 2, "DEV/2");
	CHECK(cli_parse_target("x/", dev, sizeof(dev), &port) < 0, "DEV/ refused");
	CHECK(cli_parse_target("x/+1", dev, sizeof(dev), &port) < 0,
	      "DEV/+1 refused");
	CHECK(cli_parse_target("x/256", dev, sizeof(dev), &port) < 0,
	      "DEV/256 refused");
	CHECK(cli_parse_target("0123456789012345678901234567890123456789"
			       "01234567890123456789012345", dev, sizeof(dev),
			       &port) < 0, "a name too long refused");
	CHECK(cli_parse_pid("42") == 42, "pid 42");
	CHECK(cli_parse_pid(" 42") < 0 && cli_parse_pid("") < 0 &&
	      cli_parse_pid(NULL) < 0 && cli_parse_pid("+4") < 0,
	      "pids with blanks, signs or nothing refused");
}

static void test_bytes(void)
{
	static const struct { uint64_t v; const char *s; } cases[] = {
		{ 0, "0 B" }, { 1023, "1023 B" }, { 65536, "64 KiB" },
		{ 1536 * 1024, "1.5 MiB" }, { 2ull << 30, "2 GiB" },
		{ RDMAPIN_UNLIMITED, "unlimited" },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cli_bytes(buf, sizeof(buf), cases[i].v);
		CHECK(!strcmp(buf, cases[i].s), "cli_bytes: '%s' (want '%s')",
		      buf, cases[i].s);
	}
}

int main(void)
{
	test_top_level();
	test_help();
	test_usage_errors();
	test_exit_codes();
	test_limits_runs();
	test_parsers();
	test_bytes();
	return finish();
}
