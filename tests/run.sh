#!/usr/bin/env bash
# The test runner: host unit tests, host tests of the guest itself, and
# guest cases, each guest case in a fresh guest boot.  Prints one line per
# test and a last line "N passed, N failed"; exits non-zero on any failure.
#
# usage: tests/run.sh [PATTERN...]   (run only tests whose name matches)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
export RDMAPIN_TOP=$top
# RDMAPIN_GUEST_KERNEL=DIR: the guests boot the debug kernel built in DIR
# (tests/debug-kernel/build.sh), with the build tree made for it.
if [ -n "${RDMAPIN_GUEST_KERNEL:-}" ]; then
	RDMAPIN_GUEST_KERNEL=$(cd "$RDMAPIN_GUEST_KERNEL" && pwd) || exit 2
	export RDMAPIN_GUEST_KERNEL
	export RDMAPIN_BUILD=${RDMAPIN_BUILD:-$RDMAPIN_GUEST_KERNEL/build}
fi
export RDMAPIN_BUILD=${RDMAPIN_BUILD:-$top/build}
# The debug kernel runs several times slower: guest time limits are
# multiplied by RDMAPIN_TIMEOUT_SCALE (3 with it, 1 without).
scale=1
[ -z "${RDMAPIN_GUEST_KERNEL:-}" ] || scale=3
scale=${RDMAPIN_TIMEOUT_SCALE:-$scale}
# Cases scale their own inner time limits by it too (tests/lib.sh).
export RDMAPIN_TIMEOUT_SCALE=$scale
results=$RDMAPIN_BUILD/test-results
rm -rf "$results"
mkdir -p "$results"

patterns=("$@")
passed=0 failed=0 failures=()

selected() {
	local p
	[ ${#patterns[@]} -eq 0 ] && return 0
	for p in "${patterns[@]}"; do
		[[ $1 == *$p* ]] && return 0
	done
	return 1
}

# report NAME RC SECONDS LOG
report() {
	if [ "$2" = 0 ]; then
		passed=$((passed + 1))
		printf 'PASS  %-40s %4ss\n' "$1" "$3"
	else
		failed=$((failed + 1))
		failures+=("$1")
		printf 'FAIL  %-40s %4ss  (exit %s, log %s)\n' "$1" "$3" "$2" "$4"
		# A kernel splat is shown whole (run-guest prints it); otherwise
		# the end of the log says what failed.
		if grep -q '^run-guest: the kernel log from the first splat' "$4"; then
			sed -n '/^run-guest: kernel log shows a splat/,/^run-guest: the kernel log from/p;/^  kernel| /p' "$4" |
				head -n 90 | sed 's/^/      | /'
		fi
		# Programs often say what went wrong well before the log's end
		# (stderr is not buffered, stdout is): their error lines first.
		grep -inE 'error|fail|couldn|unable|timed out|refused|denied|invalid' "$4" |
			grep -vE '^[0-9]+:(ok: |PASS )' | head -n 25 | sed 's/^/      ! /'
		tail -n 15 "$4" | sed 's/^/      | /'
	fi
}

run_one() {
	local name=$1 log=$results/$1.log start rc
	shift
	selected "$name" || return 0
	mkdir -p "$(dirname "$log")"
	start=$SECONDS
	"$@" >"$log" 2>&1
	rc=$?
	report "$name" "$rc" $((SECONDS - start)) "$log"
}

# A case may ask for kernel command-line arguments with a line
# "# guest-append: ARGS" (huge pages, movablecore=...), and for more than
# the default 300 s with "# guest-timeout: SECONDS".
guest_case() {
	local out=$results/$1 append timeout
	shift
	append=$(sed -n 's/^# guest-append: //p' "$1")
	timeout=$(sed -n 's/^# guest-timeout: //p' "$1")
	"$top/tests/guest/run-guest.sh" --out "$out" \
		--timeout "$((${timeout:-300} * scale))" \
		--append "$append" bash "$@"
	local rc=$?
	# The guest's own view of the case: what it printed.
	[ -f "$out/output.log" ] && cat "$out/output.log"
	return $rc
}

for t in "$RDMAPIN_BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done

for t in "$top"/tests/host/*.sh; do
	run_one "host/$(basename "$t" .sh)" bash "$t"
done

for t in "$top"/tests/cases/*.sh; do
	name=$(basename "$t" .sh)
	run_one "guest/$name" guest_case "guest/$name" "$t"
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
