// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rdmapin command's argument parsing and exit codes, with no device:
 * usage errors exit 2 with a message naming the problem and pointing at
 * --help, --help exits 0 on stdout, a process that does not exist exits
 * 4.  `rdmapin limits` needs no device and runs for real.  `rdmapin bench`
 * is refused without root (exit 1), and otherwise execs the engine of
 * RDMAPIN_BENCH_DIR: here a stand-in that records its arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
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
	expect(run_cli("bench", "--help", NULL), 0, "--rounds N",
	       "bench --help");
	expect(run_cli("bench", "--help", NULL), 0, "Needs root",
	       "bench --help says it needs root");
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

static void test_bench_usage_errors(void)
{
	static const char *const bad_rounds[] = { "0", "101", "abc", "-1",
						  "+3", "2x", "" };
	char what[64];
	size_t i;

	for (i = 0; i < sizeof(bad_rounds) / sizeof(bad_rounds[0]); i++) {
		snprintf(what, sizeof(what), "bench --rounds '%s'",
			 bad_rounds[i]);
		expect(run_cli("bench", "--rounds", bad_rounds[i], NULL), 2,
		       "--rounds wants a number from 1 to 100", what);
	}
	expect(run_cli("bench", "--rounds", NULL), 2, "--rounds needs a value",
	       "bench --rounds without a value");
	expect(run_cli("bench", "--out", NULL), 2, "--out needs a value",
	       "bench --out without a value");
	expect(run_cli("bench", "--out", "", NULL), 2, "--out wants a directory",
	       "bench --out ''");
	expect(run_cli("bench", "--json", NULL), 2, "no option --json",
	       "bench --json");
	expect(run_cli("bench", "--dev", "x", NULL), 2, "no option --dev",
	       "bench --dev");
	expect(run_cli("bench", "--quick", "now", NULL), 2,
	       "unexpected argument 'now'", "bench --quick now");
	expect(run_cli("devices", "--quick", NULL), 2, "no option --quick",
	       "devices --quick");
	expect(run_cli("mr", "--out", "x", NULL), 2, "no option --out",
	       "mr --out x");
	expect(run_cli("limits", "--rounds=2", NULL), 2, "no option --rounds",
	       "limits --rounds=2");
}

static void test_parse_rounds(void)
{
	unsigned int r = 0;

	CHECK(cli_parse_rounds("1", &r) == 0 && r == 1, "rounds 1");
	CHECK(cli_parse_rounds("100", &r) == 0 && r == 100, "rounds 100");
	CHECK(cli_parse_rounds("007", &r) == 0 && r == 7, "rounds 007");
	CHECK(cli_parse_rounds(" 3", &r) < 0 && cli_parse_rounds("3 ", &r) < 0,
	      "rounds with blanks refused");
	CHECK(cli_parse_rounds("99999999999999999999", &r) < 0,
	      "rounds out of range refused");
}

/*
 * A stand-in engine in a fresh directory: it writes its arguments, one a
 * line, then RDMAPIN_BENCH_VERSION to DIR/args and exits 7.  @mode 0644
 * makes it one that cannot be run.
 */
static char bench_dir[] = "/tmp/cli_bench_XXXXXX";

static void fake_engine(mode_t mode)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/engine.sh", bench_dir);
	f = fopen(path, "w");
	if (!f) {
		CHECK(0, "write %s", path);
		return;
	}
	fprintf(f, "#!/bin/sh\n"
		   "printf '%%s\\n' \"$@\" \"$RDMAPIN_BENCH_VERSION\" >%s/args\n"
		   "exit 7\n", bench_dir);
	fclose(f);
	chmod(path, mode);
}

/*
 * "rdmapin bench ARGS..." as root would run it, in a child process (the
 * engine replaces it): its exit status, and in @args what the engine
 * was given ("" when it never ran).
 */
static int bench_as_root(char *args, size_t len, const char *arg, ...)
{
	char *argv[16] = { (char *)"bench" }, path[128];
	struct cli_opts opts;
	int argc = 1, status, n = 0, fd;
	pid_t pid;
	va_list ap;

	va_start(ap, arg);
	for (; arg && argc < 15; arg = va_arg(ap, const char *))
		argv[argc++] = (char *)arg;
	va_end(ap);
	snprintf(path, sizeof(path), "%s/args", bench_dir);
	unlink(path);
	/* The child's stdio must not print this process's pending output. */
	fflush(stdout);
	pid = fork();
	if (!pid) {
		struct cli_io io = { stdout, fopen("/dev/null", "w") };
		int rc = cli_parse(&cli_cmd_bench, argc, argv, &opts, &io);

		setenv("RDMAPIN_BENCH_DIR", bench_dir, 1);
		_exit(rc >= 0 ? rc : cli_bench_exec(&opts, &io, true));
	}
	waitpid(pid, &status, 0);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, args, len - 1);
		close(fd);
	}
	args[n > 0 ? n : 0] = '\0';
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_bench_exec(void)
{
	char args[1024], want[512];
	int rc;

	if (!mkdtemp(bench_dir)) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	fake_engine(0755);
	rc = bench_as_root(args, sizeof(args), NULL);
	snprintf(want, sizeof(want), "--out\nrdmapin-bench\n--rounds\n3\n%s\n",
		 rdmapin_version());
	CHECK(rc == 7 && !strcmp(args, want),
	      "bench: the engine runs with the defaults, its status is bench's (exit %d, args '%s')",
	      rc, args);
	rc = bench_as_root(args, sizeof(args), "--quick", NULL);
	snprintf(want, sizeof(want), "--out\nrdmapin-bench\n--quick\n%s\n",
		 rdmapin_version());
	CHECK(rc == 7 && !strcmp(args, want),
	      "bench --quick: the engine's own round count (args '%s')", args);
	rc = bench_as_root(args, sizeof(args), "--rounds", "5", "--out=/tmp/r",
			   "--quick", NULL);
	snprintf(want, sizeof(want), "--out\n/tmp/r\n--rounds\n5\n--quick\n%s\n",
		 rdmapin_version());
	CHECK(rc == 7 && !strcmp(args, want),
	      "bench --rounds 5 --out=/tmp/r --quick (args '%s')", args);
	rc = bench_as_root(args, sizeof(args), "--rounds", "0", NULL);
	CHECK(rc == 2 && !*args, "bench --rounds 0: exit 2, no engine run");
	fake_engine(0644);
	rc = bench_as_root(args, sizeof(args), NULL);
	CHECK(rc == 1 && !*args, "an engine that cannot run: exit 1 (exit %d)",
	      rc);
	snprintf(want, sizeof(want), "rm -rf '%s'", bench_dir);
	CHECK(system(want) == 0, "clean up %s", bench_dir);
}

/* Without root nothing runs: exit 1 and why, whoever the test runs as. */
static void test_bench_needs_root(void)
{
	struct cli_opts opts = {};
	struct run r = {};
	struct cli_io io;
	pid_t pid;
	int status;

	io.out = open_memstream(&r.out, &r.outlen);
	io.err = open_memstream(&r.err, &r.errlen);
	r.rc = cli_bench_exec(&opts, &io, false);
	fclose(io.out);
	fclose(io.err);
	expect(r, 1, "needs root", "bench without root");
	if (geteuid() != 0) {
		expect(run_cli("bench", "--quick", NULL), 1, "needs root",
		       "rdmapin bench as this user");
		return;
	}
	/* As root: the real command, dropped to nobody in a child. */
	fflush(stdout);
	pid = fork();
	if (!pid) {
		setenv("RDMAPIN_BENCH_DIR", "/nonexistent", 1);
		if (setgid(65534) || setuid(65534))
			_exit(99);
		r = run_cli("bench", "--quick", NULL);
		_exit(r.rc == 1 && strstr(r.err, "needs root") && !r.outlen ?
			      0 : 1);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "rdmapin bench as nobody: exit 1, 'needs root' (child status %d)",
	      status);
	/* And as root, an engine directory without an engine. */
	setenv("RDMAPIN_BENCH_DIR", "/nonexistent", 1);
	expect(run_cli("bench", NULL), 1, "no benchmark engine at /nonexistent/engine.sh",
	       "bench with no engine");
	unsetenv("RDMAPIN_BENCH_DIR");
}

static void test_exit_codes(void)
{
	char pid[16];

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
	test_bench_usage_errors();
	test_parse_rounds();
	test_exit_codes();
	test_bench_needs_root();
	test_bench_exec();
	test_limits_runs();
	test_parsers();
	test_bytes();
	return finish();
}
