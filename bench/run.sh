#!/usr/bin/env bash
# make bench: boot one guest and run the build tree's `rdmapin bench` in it
# (the engine, bench/engine.sh, does the measuring and writes the report),
# then copy the results to $BUILD/bench/ and print report.md.
#
# RDMAPIN_BENCH_ROUNDS=N repeats every figure N times (default 3);
# RDMAPIN_BENCH_QUICK=1 makes it `rdmapin bench --quick` (one round unless
# RDMAPIN_BENCH_ROUNDS says otherwise).  The guest's own logs stay in
# $BUILD/bench/guest/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${RDMAPIN_BUILD:-$top/build}
out=$build/bench
export RDMAPIN_BUILD=$build
# Multi-threaded TCG, unlike the tests: under round-robin TCG a vCPU that
# busy-polls a CQ keeps the other vCPU waiting for the next timer tick, so
# every latency reads 4 ms whatever the device.  The rare boot-time TCG
# fault that keeps the tests on round-robin (tests/guest/run-guest.sh)
# costs a benchmark a rerun, never a wrong number.
export RDMAPIN_TCG_THREAD=${RDMAPIN_TCG_THREAD:-multi}
# The guest runs the build tree's engine, which finds the build's
# provider, library, shim and pinrxe.ko through build/bench/paths.sh.
export RDMAPIN_BENCH_DIR=$build/bench

args=(--out /rdmapin-out)
timeout=5400
if [ "${RDMAPIN_BENCH_QUICK:-0}" = 1 ]; then
	args+=(--quick)
	timeout=1800
fi
[ -n "${RDMAPIN_BENCH_ROUNDS:-}" ] && args+=(--rounds "$RDMAPIN_BENCH_ROUNDS")

if [ ! -x "$build/tools/rdmapin/rdmapin" ] || [ ! -x "$build/bench/regbench" ]; then
	echo "bench: build first (make, or cmake --build $build)" >&2
	exit 1
fi
rm -rf "$out/guest" "$out/plots"
rm -f "$out"/{bench,reg,ref,meta}.csv "$out/report.md" "$out/failures.log"

# 4 GiB: a 1 GiB registration next to 1 GiB of reserved huge pages.
rc=0
"$top/tests/guest/run-guest.sh" --out "$out/guest" --timeout "$timeout" \
	--mem 4096 -- "$build/tools/rdmapin/rdmapin" bench "${args[@]}" || rc=$?
[ -s "$out/guest/bench.csv" ] || {
	echo "bench: the guest produced no results (exit $rc, see $out/guest)" >&2
	exit 1
}
for f in bench.csv reg.csv ref.csv meta.csv report.md failures.log; do
	if [ -f "$out/guest/$f" ]; then cp "$out/guest/$f" "$out/$f"; fi
done
if [ -d "$out/guest/plots" ]; then cp -r "$out/guest/plots" "$out/plots"; fi
if [ -f "$out/report.md" ]; then cat "$out/report.md"; fi
echo "bench: CSV files, report.md and plots in $out (guest exit $rc)"
exit "$rc"
