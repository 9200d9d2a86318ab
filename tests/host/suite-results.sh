#!/usr/bin/env bash
# tests/suite/suite_results.py, which judges case 55's two runs of
# rdma-core's test suite, on made-up logs: it must pass a clean run, and
# catch a failure, an error, a test that passes on rdma_rxe only, a log it
# cannot account for in full, a pending list naming no test, and a test
# that must pass on pinrxe (--must-pass) and does not.
set -uo pipefail
top=$RDMAPIN_TOP
judge=$top/tests/suite/suite_results.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*"; exit 1; }

# log FILE STATUS_OF_B STATUS_OF_C: a -v report of three tests, one with a
# docstring (its status on the next line) and output printed in between.
log() {
	local n=3 failures=0 errors=0 skipped=0 s
	for s in "$2" "$3"; do
		case "$s" in
		FAIL) failures=$((failures + 1)) ;;
		ERROR) errors=$((errors + 1)) ;;
		skipped*) skipped=$((skipped + 1)) ;;
		esac
	done
	{
		echo "test_a (tests.test_x.XTest.test_a) ... ok"
		echo "test_b (tests.test_x.XTest.test_b)"
		echo "Test b does things ... $2"
		echo "test_c (tests.test_y.YTest.test_c) ... libfoo: warning"
		echo "$3"
		echo "======================================================================"
		echo "ERROR: test_b (tests.test_x.XTest.test_b)"
		echo "test_z (tests.test_x.XTest.test_z) ... ok"
		echo "----------------------------------------------------------------------"
		echo "Ran $n tests in 0.5s"
		echo
		echo "FAILED (failures=$failures, errors=$errors, skipped=$skipped)"
	} >"$1"
}

expect() {
	local want=$1 what=$2 rc=0
	shift 2
	python3 "$judge" "$@" >"$tmp/out" 2>&1 || rc=$?
	[ "$rc" = "$want" ] || { cat "$tmp/out"; fail "$what: exit $rc, want $want"; }
	echo "ok: $what (exit $rc)"
}

log "$tmp/rxe" ok "skipped 'no'"
log "$tmp/pin" ok "skipped 'no'"
expect 0 "the same results pass" "$tmp/pin" "$tmp/rxe"
grep -q "pinrxe: 3 tests, 2 run: 2 passed" "$tmp/out" ||
	fail "counts: $(cat "$tmp/out")"

log "$tmp/pin" FAIL "skipped 'no'"
expect 1 "a FAIL on pinrxe fails" "$tmp/pin" "$tmp/rxe"
expect 0 "unless pending" "$tmp/pin" "$tmp/rxe" tests.test_x.XTest.test_b
grep -q "tests.test_x.XTest.test_b: FAIL on pinrxe, ok on rdma_rxe" \
	"$tmp/out" || fail "pending not reported: $(cat "$tmp/out")"

log "$tmp/pin" ERROR "skipped 'no'"
expect 1 "an ERROR on pinrxe fails" "$tmp/pin" "$tmp/rxe"

log "$tmp/pin" "skipped 'not supported'" "skipped 'no'"
expect 1 "passing on rdma_rxe only fails" "$tmp/pin" "$tmp/rxe"

log "$tmp/pin" ok ok
expect 0 "passing on pinrxe only is fine" "$tmp/pin" "$tmp/rxe"

log "$tmp/pin" ok "skipped 'no'"
sed -i '/^test_a/d' "$tmp/pin"
expect 2 "a log missing a result fails" "$tmp/pin" "$tmp/rxe"

log "$tmp/pin" ok "skipped 'no'"
expect 2 "a pending id that names no test fails" "$tmp/pin" "$tmp/rxe" \
	tests.test_x.XTest.test_nope
# --must-pass: tests pinrxe must pass whatever rdma_rxe did (test_c skips
# on both here).
log "$tmp/pin" ok "skipped 'no'"
expect 1 "--must-pass: a skip on both fails" --must-pass test_y \
	"$tmp/pin" "$tmp/rxe"
expect 0 "--must-pass: unless pending" --must-pass test_y \
	"$tmp/pin" "$tmp/rxe" tests.test_y.YTest.test_c
log "$tmp/pin" ok ok
expect 0 "--must-pass: passing on pinrxe passes" --must-pass test_y \
	"$tmp/pin" "$tmp/rxe"
expect 2 "--must-pass naming no test fails" --must-pass test_nope \
	"$tmp/pin" "$tmp/rxe"
echo "suite_results.py: all passed"
