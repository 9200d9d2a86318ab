#!/usr/bin/env bash
# make bench: boot one guest, run bench/guest.sh in it, and print stock
# rdma_rxe and pinrxe side by side with pinrxe's speedup (bandwidth:
# pinrxe/rxe; latency: rxe/pinrxe; above 1 means pinrxe is faster), then
# pinrxe's ODP against its pinned memory: steady-state bandwidth, and what
# registration and first access cost (bench/odp.sh).
# Results: $BUILD/bench/{bench,odp,reg}.csv (every round) and report.md.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${RDMAPIN_BUILD:-$top/build}
out=$build/bench
mkdir -p "$out"
export RDMAPIN_BUILD=$build
export RDMAPIN_BENCH_ROUNDS=${RDMAPIN_BENCH_ROUNDS:-3}
# Multi-threaded TCG, unlike the tests: under round-robin TCG a vCPU that
# busy-polls a CQ keeps the other vCPU waiting for the next timer tick, so
# every latency reads 4 ms whatever the device.  The rare boot-time TCG
# fault that keeps the tests on round-robin (tests/guest/run-guest.sh)
# costs a benchmark a rerun, never a wrong number.
export RDMAPIN_TCG_THREAD=${RDMAPIN_TCG_THREAD:-multi}

rc=0
"$top/tests/guest/run-guest.sh" --out "$out/guest" --timeout 3000 --mem 3072 \
	-- bash "$top/bench/guest.sh" || rc=$?
[ -s "$out/guest/bench.csv" ] || {
	echo "bench: the guest produced no results (exit $rc, see $out/guest)" >&2
	exit 1
}
for f in bench.csv odp.csv reg.csv; do
	if [ -s "$out/guest/$f" ]; then cp "$out/guest/$f" "$out/$f"; fi
done
python3 "$top/bench/report.py" "$out"
echo "bench: CSV and report in $out"
exit "$rc"
