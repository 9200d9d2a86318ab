#!/usr/bin/env bash
# The test guest must report what happened inside it: a command's exit
# status, a planted failure, a planted kernel WARNING, and a hang.  If any
# of these went unnoticed every other guest test would be worthless.
set -uo pipefail
top=$RDMAPIN_TOP
build=$RDMAPIN_BUILD
run=$top/tests/guest/run-guest.sh
tmp=$build/test-results/guest-runner
mkdir -p "$tmp"

fail() { echo "FAIL: $*"; exit 1; }

echo "== a command runs as root in the guest and its output comes back"
marker=/etc/rdmapin-guest-write-test
rm -f "$marker"
"$run" --out "$tmp/ok" -- bash -c "id -u; uname -r; echo x >$marker" ||
	fail "guest run failed"
[ ! -e "$marker" ] || fail "a guest write reached the host root"
grep -qx 0 "$tmp/ok/output.log" || fail "command did not run as root"
. "$top/.rdmapin-kernel"
# Or the debug kernel of `make test-debug`.
debug=${RDMAPIN_GUEST_KERNEL:-}
[ -z "$debug" ] || KVER=$(cat "$debug/release")
grep -qx "$KVER" "$tmp/ok/output.log" || fail "guest did not boot $KVER"
[ -s "$tmp/ok/dmesg.log" ] || fail "guest kernel log not kept"
[ -s "$tmp/ok/console.log" ] || fail "guest console not kept"

echo "== a planted failure fails with its own status"
rc=0
"$run" --out "$tmp/exit" -- bash -c 'exit 7' || rc=$?
[ "$rc" = 7 ] || fail "planted exit 7 came back as $rc"

echo "== a planted kernel WARNING fails the run"
rc=0
"$run" --out "$tmp/warn" -- insmod "$build/tests/kmod/rdmapin_splat.ko" ||
	rc=$?
[ "$rc" = 126 ] || fail "planted WARNING came back as $rc, not 126"
grep -q 'WARNING:' "$tmp/warn/splat.log" ||
	fail "splat report does not show the WARNING"
grep -q 'rdmapin_splat' "$tmp/warn/dmesg.log" ||
	fail "kernel log does not show the planted module's warning"

if [ -n "$debug" ]; then
	echo "== a planted memory leak fails the run (debug kernel: kmemleak)"
	rc=0
	"$run" --out "$tmp/leak" -- insmod "$build/tests/kmod/rdmapin_splat.ko" \
		leak=1 || rc=$?
	[ "$rc" = 126 ] || fail "planted leak came back as $rc, not 126"
	grep -q '5a 5a 5a 5a' "$tmp/leak/leaks.log" ||
		fail "the leak report does not show the planted object"
fi

echo "== a hung guest is stopped at the timeout"
rc=0
"$run" --out "$tmp/hang" --timeout 25 -- sleep 600 || rc=$?
[ "$rc" = 124 ] || fail "hung guest came back as $rc, not 124"

echo "all guest runner checks passed"
