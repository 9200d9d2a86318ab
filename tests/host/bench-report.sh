#!/usr/bin/env bash
# bench/report.py on made-up benchmark results: the medians and ratios it
# prints, its verdict on each target (a run that meets them all, and one
# that just misses each target in turn), NA rounds and cut-short lines, a
# --quick run's few sizes, --check-targets' exit status, input it must
# refuse, and real PNG plots (or, without gnuplot, the report saying so).
set -uo pipefail
top=$RDMAPIN_TOP
report=$top/bench/report.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The interpreter itself, not a shim that needs PATH: the runs without
# gnuplot empty PATH.
py=$(python3 -c 'import sys; print(sys.executable)')
# A PATH with python3 and no gnuplot.
mkdir -p "$tmp/nobin"
ln -s "$py" "$tmp/nobin/python3"

fail() { echo "FAIL: $*"; exit 1; }

# row TEST SIZE METRIC DEVICE VALUE...: one bench.csv line per round.
row() {
	local t=$1 s=$2 m=$3 d=$4 r=0 v
	shift 4
	for v in "$@"; do
		r=$((r + 1))
		echo "$t,$s,$m,$d,$r,$v"
	done
}

# reg KIND SIZE MODE DEVICE USEC...: one reg.csv line per repetition.
reg() {
	local k=$1 s=$2 m=$3 d=$4 r=0 v
	shift 4
	for v in "$@"; do
		echo "$k,$s,$m,$d,$r,$v"
		r=$((r + 1))
	done
}

# dataset DIR: a full run of three rounds, every target met, some of them
# exactly on the line (ODP at 0.9 of pinned run by run: 36/40, 45/50,
# 100/60; latency equal to rxe's, registration 100x).  The variables below make it miss one.  ODP_BW is
# the steady state (duration mode), which target 3 is judged on; the
# whole-run ODP figures stay as they are.
pin_bw="40 50 60" odp_bw="36 45 100" pin_lat="31 31 90" odp_reg="10000 9000 11000"
dataset() {
	mkdir -p "$1"
	{
		echo "test,size,metric,device,round,value"
		for t in ib_send_bw ib_write_bw ib_read_bw; do
			for s in 4096 65536 1048576; do
				row $t $s bw_MBps rxe 10 20 30
				row $t $s bw_MBps pinrxe $pin_bw
				row $t $s bw_MBps pinrxe-odp 45 44 100
				row $t $s bw_MBps pinrxe-odp-prefetch NA 47 48
				row $t $s mpps rxe 1 2 3
			done
			for s in 65536 1048576; do
				row $t $s steady_bw_MBps rxe 10 20 30
				row $t $s steady_bw_MBps pinrxe $pin_bw
				row $t $s steady_bw_MBps pinrxe-odp $odp_bw
				row $t $s steady_bw_MBps pinrxe-odp-prefetch NA 47 48
				row $t $s steady_mpps rxe 1 2 3
			done
		done
		row ib_atomic_bw 8 mpps rxe 0.1 0.2 0.3
		row ib_atomic_bw 8 mpps pinrxe 0.3 0.4 0.5
		row ib_atomic_bw 8 bw_MBps rxe 1 2 3
		row ib_atomic_bw 8 bw_MBps pinrxe 3 4 5
		for t in ib_send_lat ib_write_lat ib_read_lat; do
			row $t 2 lat_usec rxe 30 31 32
			row $t 2 lat_usec pinrxe $pin_lat
			row $t 4096 lat_usec rxe 40 40 40
			row $t 4096 lat_usec pinrxe 20 20 20
		done
		row ib_atomic_lat 8 lat_usec rxe 50 50 50
		row ib_atomic_lat 8 lat_usec pinrxe NA NA NA
	} >"$1/bench.csv"
	{
		echo "kind,size,mode,device,rep,usec"
		for s in 4096 1048576 1073741824; do
			reg reg $s pinned_untouched pinrxe 1000000 1000000 1000000
			reg reg $s pinned_untouched rxe 2000000 2000000 2000000
			reg reg $s odp pinrxe $odp_reg
			reg dereg $s pinned_untouched pinrxe 300 300 300
			reg dereg $s pinned_untouched rxe 600 600 600
			reg dereg $s odp pinrxe 100 100 100
			reg reg $s pinned_hugetlb pinrxe NA NA NA
		done
		reg first_write 65536 odp pinrxe 900 900 900
		reg next_write 65536 odp pinrxe 300 300 300
	} >"$1/reg.csv"
	{
		echo "test,size,metric,round,value"
		for s in 64 4096 65536 1048576; do
			echo "memcpy,$s,bw_MBps,1,1000"
			echo "memcpy,$s,bw_MBps,2,2000"
			echo "memcpy,$s,bw_MBps,3,3000"
		done
		echo "udp_stream,1024,bw_MBps,1,100"
	} >"$1/ref.csv"
	printf 'key,value\nkernel,6.12.117+deb12-amd64\nrounds,3\nquick,0\n' \
		>"$1/meta.csv"
}

# run WANT WHAT ARGS...: report.py ARGS must exit WANT.
run() {
	local want=$1 what=$2 rc=0
	shift 2
	"$py" "$report" "$@" >"$tmp/out" 2>&1 || rc=$?
	[ "$rc" = "$want" ] || { cat "$tmp/out"; fail "$what: exit $rc, want $want"; }
	echo "ok: $what (exit $rc)"
}

# has DIR TEXT...: DIR/report.md holds every TEXT as a fixed string.
has() {
	local d=$1 t
	shift
	for t in "$@"; do
		grep -qF -- "$t" "$d/report.md" ||
			fail "$d/report.md lacks: $t"
	done
}

# verdicts DIR PASS FAIL NOT: the summary line counts.
verdicts() {
	has "$1" "Summary: $2 PASS, $3 FAIL, $4 not measured."
}

if command -v gnuplot >/dev/null; then
	plots=yes
elif [ "${CI:-}" = true ]; then
	fail "gnuplot is not installed (scripts/setup.sh installs gnuplot-nox)"
else
	plots=no
	echo "note: gnuplot is not installed: PNGs not checked"
fi

echo "== a run that meets every target"
d=$tmp/pass
dataset "$d"
run 0 "report" "$d"
run 0 "--check-targets, all met" --check-targets --history /nonexistent "$d"
verdicts "$d" 13 0 0
# Cells: min / median / max; run-by-run ratios 40/10, 50/20, 60/30 (target
# 1: median 2.5) and 36/40, 45/50, 100/60 (target 3: exactly 0.9); rxe's
# latency over pinrxe's, 1e6 / 10000 (exactly 100).
has "$d" "| 64 KiB | 10.0 / 20.0 / 30.0 | 40.0 / 50.0 / 60.0 | 44.0 / 45.0 / 100.0 |" \
	"| ib_write_bw 64 KiB steady state: pinrxe / rxe, run by run | median of 3 = 2.500 (2.00-4.00; medians 50.0 / 20.0 MB/s); whole runs: 50.0 / 20.0 MB/s = 2.50 | ≥ 2.00 | **PASS** |" \
	"| ib_send_bw 1 MiB steady state: pinrxe-odp / pinrxe, run by run | median of 3 = 0.900 (0.90-1.67; medians 45.0 / 50.0 MB/s) | ≥ 0.90 | **PASS** |" \
	"| ib_read_lat 2 B: pinrxe vs rxe | 31.0 µs vs 31.0 µs | pinrxe ≤ rxe | **PASS** |" \
	"| 1000000 / 10000 µs = 100.0 | ≥ 100 | **PASS** |" \
	"| 64 KiB | 2.50x | 2.25x | 2.38x | 2000 | 1 % | 2.5 % | 2.2 % | 2.4 % |" \
	"| ib_write_lat | 4 KiB | 40.0 / 40.0 / 40.0 | 20.0 / 20.0 / 20.0 | 2.00x |"
# The steady-state tables: cells, ODP / pinned (run by run: prefetch's
# 47/50 and 48/60), device / rxe, % of memcpy.
has "$d" "## Steady-state bandwidth" \
	"| ib_read_bw | 1 MiB | 10.0 / 20.0 / 30.0 | 40.0 / 50.0 / 60.0 | 36.0 / 45.0 / 100.0 | 47.0 / 47.5 / 48.0 (+1 NA) |" \
	"| ib_read_bw | 64 KiB | 0.90x | 0.87x | 2.50x | 2.25x | 2.38x | 1 % | 2.5 % | 2.2 % | 2.4 % |"
# Latency's memcpy column: 4096 B at 2000 MB/s of 2^20 B; 2 B at the
# nearest block size measured, 64 B.
has "$d" "| 1.95 |" "| 0.000954 (memcpy at 64 B) |"
# Registration: pinned_untouched 1 GiB against rxe and against memcpy
# (2^30 B at 2000 MB/s from the 1 MiB block: 512 s).
has "$d" "| 1 GiB | pinned_untouched | 512000 | 1000000 / 1000000 / 1000000 | 2000000 / 2000000 / 2000000 | 2.00x | 1.95x |" \
	"| pinrxe | odp | 64 KiB | — | 900.0 / 900.0 / 900.0 | 300.0 / 300.0 / 300.0 | 3.00x |" \
	"| udp_stream | 1 KiB | bw_MBps | 100.0 / 100.0 / 100.0 | 0.05x (memcpy at 4 KiB) |"
# NA: some rounds failed, every round failed, with the ratios left out.
has "$d" "| 47.0 / 47.5 / 48.0 (+1 NA) |" "| ib_atomic_lat | 8 B | 50.0 / 50.0 / 50.0 | NA | — |" \
	"| 1 GiB | pinned_hugetlb | 512000 | NA | — | — | — |" \
	"| kernel | 6.12.117+deb12-amd64 |" \
	"No history recorded yet (nonexistent does not exist)."

echo "== plots"
if [ $plots = yes ]; then
	n=0
	for f in "$d"/plots/*.gp; do
		png=${f%.gp}.png
		[ -s "$png" ] || fail "no picture for $f"
		[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
			fail "$png is not a PNG"
		[ -s "${f%.gp}.dat" ] || fail "no data for $f"
		grep -qF "(plots/$(basename "$png"))" "$d/report.md" ||
			fail "$png is not in the report"
		n=$((n + 1))
	done
	# Three per bandwidth test and for the steady state, two each for
	# atomics and latency, six for registration, one for ODP against pinned.
	[ "$n" = 23 ] || fail "$n plots, want 23"
	# The numbers behind the ratio figures: 50/20, 45/20, 47.5/20, and
	# rxe's registration time over pinrxe's (2e6 / 1e6).
	grep -qx "65536 2.5 2.25 2.375" "$d/plots/bw_ib_write_bw_vs_rxe.dat" ||
		fail "bw_ib_write_bw_vs_rxe.dat: $(cat "$d/plots/bw_ib_write_bw_vs_rxe.dat")"
	grep -qx "1073741824 2" "$d/plots/reg_vs_rxe.dat" ||
		fail "reg_vs_rxe.dat: $(cat "$d/plots/reg_vs_rxe.dat")"
	# Median, min, max per device for the error bars.
	grep -qx "65536 20 10 30 50 40 60 45 44 100 47.5 47 48" \
		"$d/plots/bw_ib_write_bw.dat" || fail "bw_ib_write_bw.dat"
	grep -qx '"ib_send_bw 1 MiB" 2.5 2.25 2.375' "$d/plots/steady_bw_vs_rxe.dat" ||
		fail "steady_bw_vs_rxe.dat: $(cat "$d/plots/steady_bw_vs_rxe.dat")"
	# A plot redraws from its own directory, as its script says.
	rm "$d/plots/reg_time.png"
	(cd "$d/plots" && gnuplot reg_time.gp) || fail "reg_time.gp does not redraw"
	[ -s "$d/plots/reg_time.png" ] || fail "reg_time.gp drew nothing"
	echo "ok: $n PNG plots, each with its script and data"
fi
# Without gnuplot: the report says so, the scripts are there, and no
# picture is left over from the run before.
touch "$d/plots/stale.png"
PATH=$tmp/nobin run 0 "no gnuplot" "$d"
has "$d" "plots not made: gnuplot not installed"
! grep -qF "](plots/" "$d/report.md" || fail "images promised without gnuplot"
! ls "$d"/plots/*.png 2>/dev/null || fail "PNGs left without gnuplot"
[ -s "$d/plots/bw_ib_write_bw.gp" ] || fail "no scripts without gnuplot"
echo "ok: without gnuplot, scripts only"

echo "== the history goes in verbatim"
printf -- '- **write path**: one GSO packet per message, 2.1x\n- `odp`: faster faults\n' \
	>"$tmp/history.md"
run 0 "with a history" --history "$tmp/history.md" "$d"
has "$d" "## History" "- **write path**: one GSO packet per message, 2.1x" \
	"- \`odp\`: faster faults"

echo "== runs that just miss one target each"
# name PIN_BW ODP_BW PIN_LAT ODP_REG FAILS ROW: ROW must read FAIL, FAILS
# rows in all.  Without plots, which the full run has checked.
miss() {
	local name=$1 fails=$6 row=$7
	pin_bw=$2 odp_bw=$3 pin_lat=$4 odp_reg=$5
	dataset "$tmp/$name"
	PATH=$tmp/nobin run 0 "$name: report, no --check-targets" "$tmp/$name"
	PATH=$tmp/nobin run 3 "$name: --check-targets" --check-targets "$tmp/$name"
	verdicts "$tmp/$name" $((13 - fails)) "$fails" 0
	grep -F -- "$row" "$tmp/$name/report.md" | grep -qF "**FAIL**" ||
		fail "$name: not FAIL: $row"
	grep -qF "FAIL         $row" "$tmp/out" || fail "$name: not in the summary: $(cat "$tmp/out")"
}
miss bandwidth "39.9 39.9 39.9" "45 45 45" "31 31 31" "10000 10000 10000" 3 \
	"ib_read_bw 64 KiB steady state: pinrxe / rxe"
miss latency "40 50 60" "45 45 45" "31.01 31.01 31.01" "10000 10000 10000" 3 \
	"ib_send_lat 2 B: pinrxe vs rxe"
miss odp "40 50 60" "44.9 44.9 44.9" "31 31 31" "10000 10000 10000" 6 \
	"ib_write_bw 1 MiB steady state: pinrxe-odp / pinrxe"
miss registration "40 50 60" "45 45 45" "31 31 31" "10001 10001 10001" 1 \
	"reg 1 GiB on pinrxe: pinned_untouched / odp"
pin_bw="40 50 60" odp_bw="36 45 100" pin_lat="31 31 90" odp_reg="10000 9000 11000"

echo "== a --quick run: one round, two sizes, registration up to 4 MiB"
d=$tmp/quick
mkdir -p "$d"
{
	echo "test,size,metric,device,round,value"
	for t in ib_send_bw ib_write_bw ib_read_bw; do
		for dev in rxe pinrxe pinrxe-odp pinrxe-odp-prefetch; do
			row $t 64 bw_MBps $dev 1
			row $t 64 mpps $dev 0.01
			row $t 65536 bw_MBps $dev 50
			row $t 65536 mpps $dev 0.0008
			row $t 65536 steady_bw_MBps $dev 50
		done
	done
	for t in ib_send_lat ib_write_lat ib_read_lat; do
		for dev in rxe pinrxe pinrxe-odp pinrxe-odp-prefetch; do
			row $t 2 lat_usec $dev 20
		done
	done
} >"$d/bench.csv"
# At 64 KiB pinrxe twice as fast as rxe (whole runs and steady state); ODP
# in the steady state at 90 % of pinned.
sed -Ei '/,65536,(steady_)?bw_MBps,rxe,/s/,50$/,25/; /,65536,steady_bw_MBps,pinrxe-odp,/s/,50$/,45/' \
	"$d/bench.csv"
{
	echo "kind,size,mode,device,rep,usec"
	reg reg 4096 odp pinrxe 100
	reg reg 4194304 odp pinrxe 150
	reg reg 4194304 pinned_untouched pinrxe 15000
} >"$d/reg.csv"
printf 'key,value\nrounds,1\nquick,1\n' >"$d/meta.csv"
run 0 "quick run" --check-targets "$d"
verdicts "$d" 9 0 4
has "$d" "**Quick run**" "| 64 KiB | 25.0 / 25.0 / 25.0 | 50.0 / 50.0 / 50.0 | 50.0 / 50.0 / 50.0 |" \
	"| ib_send_bw 1 MiB steady state: pinrxe-odp / pinrxe, run by run | no pinrxe-odp result; no pinrxe result (or no pair of runs) | ≥ 0.90 | **not measured** |" \
	"| ib_send_bw 64 KiB steady state: pinrxe-odp / pinrxe, run by run | median of 1 = 0.900 (0.90-0.90; medians 45.0 / 50.0 MB/s) | ≥ 0.90 | **PASS** |" \
	"| no pinned_untouched result; no odp result | ≥ 100 | **not measured** |" \
	"| ib_write_lat 2 B: pinrxe vs rxe | 20.0 µs vs 20.0 µs | pinrxe ≤ rxe | **PASS** |"
if [ $plots = yes ]; then
	[ -s "$d/plots/bw_ib_send_bw.png" ] && [ -s "$d/plots/reg_time.png" ] ||
		fail "quick run: plots missing"
	# No memcpy numbers: no figure against memcpy, and no empty one.
	[ ! -e "$d/plots/bw_ib_send_bw_vs_memcpy.png" ] ||
		fail "a memcpy figure without memcpy numbers"
fi

echo "== NA, broken lines, nothing at all"
d=$tmp/na
mkdir -p "$d"
{
	echo "test,size,metric,device,round,value"
	row ib_write_bw 65536 bw_MBps rxe NA NA
	row ib_write_bw 65536 bw_MBps pinrxe 50 NA
	echo "ib_write_bw,65536,bw_MBps,pinrxe,3,fifty"
	echo "ib_read_bw,65536,bw"
	row ib_write_bw 65536 steady_bw_MBps rxe NA NA
	row ib_write_bw 65536 steady_bw_MBps pinrxe 50 NA
} >"$d/bench.csv"
run 0 "NA and broken lines" --check-targets "$d"
has "$d" "| ib_write_bw 64 KiB steady state: pinrxe / rxe, run by run | every rxe run failed (NA) (or no pair of runs) | ≥ 2.00 | **not measured** |" \
	"| 64 KiB | NA | 50.0 / 50.0 / 50.0 (+1 NA) |" \
	"bench.csv line 6 ignored" "bench.csv line 7 ignored"
verdicts "$d" 0 0 13
grep -q "bench.csv line 6 ignored" "$tmp/out" || fail "broken line not on stderr"

d=$tmp/empty
mkdir -p "$d"
run 0 "no CSV at all" --check-targets "$d"
verdicts "$d" 0 0 13
has "$d" "no measurements" "No meta.csv"

echo "== input it must refuse"
run 2 "no such directory" "$tmp/nope"
d=$tmp/bad
mkdir -p "$d"
printf 'kind,size,mode,rep,usec\nreg,4096,odp,0,100\n' >"$d/reg.csv"
run 2 "reg.csv without its device column" "$d"
grep -q "reg.csv: no column device" "$tmp/out" || fail "unclear: $(cat "$tmp/out")"
rm "$d/reg.csv"
printf 'test,size,metric,device,round,value\n\377\376,1\n' >"$d/bench.csv"
run 2 "bench.csv not text" "$d"
echo "bench/report.py: all passed"
