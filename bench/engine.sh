#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The engine of `rdmapin bench` (rdmapin(1)), which execs it as root.  It
# measures the machine it runs on:
#   - perftest bandwidth (ib_send_bw, ib_write_bw, ib_read_bw over message
#     sizes, ib_atomic_bw) and latency (ib_send_lat, ib_write_lat,
#     ib_read_lat at 2 B and 4 KiB, ib_atomic_lat) over four devices:
#       rxe                  two stock rdma_rxe devices
#       pinrxe               two pinrxe devices, pinned memory
#       pinrxe-odp           the same with on-demand paging (perftest --odp)
#       pinrxe-odp-prefetch  ODP, every registration prefetched before any
#                            traffic (librdmapin-preload.so, RDMAPIN_PREFETCH)
#     perftest refuses --odp for atomics, so the atomic tests get their ODP
#     memory from the preload shim's RDMAPIN_POLICY=odp instead;
#   - steady-state bandwidth: the same bandwidth tests at 64 KiB and 1 MiB
#     in perftest's duration mode, which counts only the middle of a run
#     (the margins at either end are not measured), so that a run's first
#     touch of fresh ODP pages and its start and end are left out;
#   - registration and deregistration time against size, and the first
#     access to fresh memory (regbench), on pinrxe and on rxe;
#   - the physical reference: memcpy bandwidth (memcpybench) and a UDP
#     stream (iperf3) over the pinrxe pair's veth.
# Each round measures every figure once, its devices one after another in
# an order that rotates from round to round, so that drift in the
# machine's load hits all devices alike.  Writes bench.csv, reg.csv,
# ref.csv and meta.csv into the output directory, then runs report.py on
# it (report.md, plots/).
#
# Both device pairs sit on the same topology (net.sh): a veth pair whose
# two ends are local addresses with policy routing across the veth, the
# rxe pair in the initial network namespace (where rdma_rxe receives),
# the pinrxe pair in a namespace of its own.  Everything it creates it
# removes again, and it unloads the modules it loaded.
#
# usage: engine.sh --out DIR [--rounds N] [--quick]
# Environment: RDMAPIN_PINRXE_KO, a pinrxe.ko to insmod instead of
# `modprobe pinrxe`; paths.sh (next to this script) sets the rest.
# Exit status: 0 when every figure was measured; 1 on a failure or when
# some figure is NA (the reasons are on stderr and in failures.log);
# 2 on a usage error.
set -uo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=/dev/null
. "$bench_dir/paths.sh"
# shellcheck source=bench/net.sh
. "$bench_dir/net.sh"

say() { echo "rdmapin bench: $*"; }
warn() { echo "rdmapin bench: $*" >&2; }
die() { warn "$*"; exit 1; }

out=rdmapin-bench rounds=3 quick=0 rounds_given=0
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=${2:?--out needs a directory}; shift 2 ;;
	--rounds) rounds=${2:?--rounds needs a number}; rounds_given=1; shift 2 ;;
	--quick) quick=1; shift ;;
	*) warn "unknown argument '$1' (usage: engine.sh --out DIR [--rounds N] [--quick])"; exit 2 ;;
	esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { warn "--rounds wants a positive number, not '$rounds'"; exit 2; }
[ "$quick" = 1 ] && [ "$rounds_given" = 0 ] && rounds=1
[ "$(id -u)" = 0 ] ||
	die "needs root: it loads kernel modules and creates network namespaces, veth pairs and RDMA devices"

# --- what is measured -----------------------------------------------------

LABELS=(rxe pinrxe pinrxe-odp pinrxe-odp-prefetch)
BW_TESTS=(ib_send_bw ib_write_bw ib_read_bw)
LAT_TESTS=(ib_send_lat ib_write_lat ib_read_lat)
if [ "$quick" = 1 ]; then
	BW_SIZES=(64 65536)
	STEADY_SIZES=(65536)
	LAT_SIZES=(2)
	REG_MAX=$((4 << 20))
	UDP_SECONDS=1
else
	BW_SIZES=(64 256 1024 4096 16384 65536 262144 1048576)
	STEADY_SIZES=(65536 1048576)
	LAT_SIZES=(2 4096)
	REG_MAX=$((1 << 30))
	UDP_SECONDS=3
fi
UDP_SIZES=(1024 8192)
LAT_ITERS=1000
# Duration mode: STEADY_SECONDS a run, of which the first and the last
# STEADY_MARGIN seconds are not counted.  The first touch of a 1 MiB ODP
# buffer takes well under a second in an emulated guest.
STEADY_SECONDS=5 STEADY_MARGIN=1
# Steady-state runs per device and round (passes).  On this platform one
# 5 s run of the same figure spreads by a fifth or more from minute to
# minute (the host's speed; memcpy and the UDP stream spread as much), so
# targets 3 and 1 are judged run by run: in every pass pinrxe runs right
# after or before pinrxe-odp and rxe (steady_pass), and the report takes
# the median of the pairs' ratios.
STEADY_REPEATS=2
[ "$quick" = 1 ] && STEADY_REPEATS=1

# bw_iters SIZE: about 32 MiB a run (a second or so at rdma_rxe's speed in
# an emulated guest, less at pinrxe's), at most 10000 messages.
bw_iters() {
	local n=$(((32 << 20) / $1))
	[ "$n" -gt 10000 ] && n=10000
	echo "$n"
}

# --- the machine's state, and putting it back -----------------------------

NS=rdmapin-bench
RXE_NET=(rpb-rxe0 rpb-rxe1) RXE_IP=(198.18.0.1 198.18.0.2) RXE_TABLE=18180
PIN_NET=(rpb-pin0 rpb-pin1) PIN_IP=(198.18.1.1 198.18.1.2) PIN_TABLE=18182
RXE_DEV=(rxe_b0 rxe_b1) PIN_DEV=(pinrxe_b0 pinrxe_b1)
PERFTEST_PORT=18600 IPERF_PORT=18601
LOADED=() SAVED_HUGEPAGES='' WORK=''

cleanup() {
	local m p
	# Servers of a run cut short by a signal.
	for p in $(jobs -p); do
		kill "$p" 2>/dev/null
	done
	[ -n "$SAVED_HUGEPAGES" ] && echo "$SAVED_HUGEPAGES" >/proc/sys/vm/nr_hugepages
	SAVED_HUGEPAGES=
	rdma link del "${RXE_DEV[0]}" 2>/dev/null
	rdma link del "${RXE_DEV[1]}" 2>/dev/null
	if [ -e "/var/run/netns/$NS" ]; then
		ip netns exec "$NS" rdma link del "${PIN_DEV[0]}" 2>/dev/null
		ip netns exec "$NS" rdma link del "${PIN_DEV[1]}" 2>/dev/null
	fi
	self_pair_remove "" "${RXE_NET[0]}" "$RXE_TABLE"
	self_pair_remove "$NS" "${PIN_NET[0]}" "$PIN_TABLE"
	for m in "${LOADED[@]}"; do
		rmmod "$m" 2>/dev/null || warn "could not unload $m (still in use?)"
	done
	LOADED=()
	[ -n "$WORK" ] && rm -rf "$WORK"
	WORK=
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need_tools() {
	local t missing=()
	for t in "${BW_TESTS[@]}" "${LAT_TESTS[@]}" ib_atomic_bw ib_atomic_lat \
		 iperf3 rdma ip ss sysctl modprobe python3; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	for t in regbench memcpybench; do
		[ -x "$bench_dir/$t" ] || missing+=("$bench_dir/$t")
	done
	[ -r "$bench_dir/report.py" ] || missing+=("$bench_dir/report.py")
	[ -r "$RDMAPIN_PRELOAD_SO" ] || missing+=("$RDMAPIN_PRELOAD_SO")
	[ ${#missing[@]} = 0 ] ||
		die "missing: ${missing[*]} (Debian: apt-get install perftest iperf3 rdma-core iproute2; scripts/setup.sh installs all)"
}

# load MODULE: modprobe it unless loaded; remember it for cleanup.
load() {
	[ -e "/sys/module/$1" ] && return 0
	if ! modprobe "$1"; then
		[ "$1" = rdma_rxe ] &&
			warn "(rdma_rxe cannot load while a pinrxe device in the initial network namespace holds UDP port 4791)"
		die "modprobe $1 failed"
	fi
	LOADED=("$1" "${LOADED[@]}")
}

load_pinrxe() {
	if [ -e /sys/module/pinrxe ]; then
		say "using the pinrxe module already loaded"
	elif [ -n "${RDMAPIN_PINRXE_KO:-}" ]; then
		insmod "$RDMAPIN_PINRXE_KO" ||
			die "insmod $RDMAPIN_PINRXE_KO (RDMAPIN_PINRXE_KO) failed"
		LOADED=(pinrxe "${LOADED[@]}")
	else
		modprobe pinrxe ||
			die "cannot load pinrxe: install it (make install) or set RDMAPIN_PINRXE_KO to a pinrxe.ko"
		LOADED=(pinrxe "${LOADED[@]}")
	fi
}

# Leftovers of a run that was killed: the names are the benchmark's own.
remove_leftovers() {
	if ip link show "${RXE_NET[0]}" >/dev/null 2>&1 || [ -e "/var/run/netns/$NS" ]; then
		warn "removing what an earlier, interrupted run left ($NS, ${RXE_NET[0]})"
		rdma link del "${RXE_DEV[0]}" 2>/dev/null
		rdma link del "${RXE_DEV[1]}" 2>/dev/null
		ip link del "${RXE_NET[0]}" 2>/dev/null
		ip rule del pref "$RXE_TABLE" 2>/dev/null
		ip rule del pref "$((RXE_TABLE + 1))" 2>/dev/null
		ip netns del "$NS" 2>/dev/null
	fi
}

# gid_of IPV4: its IPv4-mapped GID as sysfs shows it.
gid_of() {
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x\n' "$a" "$b" "$c" "$d"
}

# gid_index DEV IP: the index of IP's RoCE v2 GID on DEV's port 1.
gid_index() {
	local want f
	want=$(gid_of "$2")
	for f in /sys/class/infiniband/"$1"/ports/1/gids/*; do
		[ "$(cat "$f" 2>/dev/null)" = "$want" ] || continue
		[ "$(cat "/sys/class/infiniband/$1/ports/1/gid_attrs/types/${f##*/}" 2>/dev/null)" = "RoCE v2" ] ||
			continue
		echo "${f##*/}"
		return 0
	done
	return 1
}

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

declare -A GID
setup_devices() {
	local i
	self_pair "" "${RXE_NET[@]}" "${RXE_IP[@]}" "$RXE_TABLE" ||
		die "cannot set up the rxe pair's veth"
	self_pair "$NS" "${PIN_NET[@]}" "${PIN_IP[@]}" "$PIN_TABLE" ||
		die "cannot set up the pinrxe pair's veth"
	for i in 0 1; do
		rdma link add "${RXE_DEV[i]}" type rxe netdev "${RXE_NET[i]}" ||
			die "rdma link add ${RXE_DEV[i]} type rxe failed"
		ip netns exec "$NS" rdma link add "${PIN_DEV[i]}" type pinrxe \
			netdev "${PIN_NET[i]}" ||
			die "rdma link add ${PIN_DEV[i]} type pinrxe failed"
	done
	for i in 0 1; do
		if ! wait_for 30 gid_index "${RXE_DEV[i]}" "${RXE_IP[i]}" >/dev/null ||
		   ! wait_for 30 gid_index "${PIN_DEV[i]}" "${PIN_IP[i]}" >/dev/null; then
			die "the devices never got the RoCE v2 GIDs of their addresses"
		fi
		GID[${RXE_DEV[i]}]=$(gid_index "${RXE_DEV[i]}" "${RXE_IP[i]}")
		GID[${PIN_DEV[i]}]=$(gid_index "${PIN_DEV[i]}" "${PIN_IP[i]}")
	done
	ibv_devinfo -v -d "${PIN_DEV[0]}" 2>/dev/null | grep -q ODP_SUPPORT ||
		die "${PIN_DEV[0]} reports no on-demand paging (ibv_devinfo -v): the ODP figures cannot be measured"
}

# --- CSV ------------------------------------------------------------------

# csv_field TEXT: TEXT as one CSV field (quoted when it needs it).
csv_field() {
	case $1 in
	*[,\"]*) printf '"%s"' "${1//\"/\"\"}" ;;
	*) printf '%s' "$1" ;;
	esac
}

meta() { echo "$1,$(csv_field "$2")" >>"$out/meta.csv"; }

write_meta() {
	local cpu perftest mem
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	mem=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
	perftest=$(dpkg-query -W -f='${Version}' perftest 2>/dev/null) ||
		perftest=$(ib_write_bw --version 2>&1 | head -n 1)
	echo "key,value" >"$out/meta.csv"
	meta kernel "$(uname -r)"
	meta rounds "$rounds"
	meta quick "$quick"
	meta steady_repeats "$STEADY_REPEATS"
	meta date_utc "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	meta cpu "${cpu:-unknown}"
	meta vcpus "$(nproc)"
	meta memory_mib "$((mem / 1024))"
	meta perftest_version "${perftest:-unknown}"
	meta rdmapin_version "${RDMAPIN_BENCH_VERSION:-unknown}"
	meta thp "$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo unknown)"
}

# --- perftest ---------------------------------------------------------------

is_atomic() { [[ $1 == ib_atomic_* ]]; }

# listening NS PORT: something listens on TCP PORT in namespace NS ("": the
# initial one).
listening() {
	local nsx=()
	[ -n "$1" ] && nsx=(ip netns exec "$1")
	"${nsx[@]}" ss -Hltn "sport = :$2" | grep -q .
}

# perftest_pair LABEL TEST ARGS...: one run of TEST, server on the label's
# device 1, client on device 0; their output in $WORK/server.log and
# $WORK/client.log.  Prints why when the run failed.
perftest_pair() {
	local label=$1 test=$2 dev ns='' ip nsx=() env=() extra=() spid crc=0 src=0
	shift 2
	if [ "$label" = rxe ]; then
		dev=("${RXE_DEV[@]}") ip=${RXE_IP[1]}
	else
		dev=("${PIN_DEV[@]}") ip=${PIN_IP[1]} ns=$NS nsx=(ip netns exec "$NS")
	fi
	case $label in
	pinrxe-odp*)
		if is_atomic "$test"; then
			env+=(RDMAPIN_POLICY=odp)
		else
			extra+=(--odp)
		fi ;;
	esac
	[ "$label" = pinrxe-odp-prefetch ] && env+=(RDMAPIN_PREFETCH=1)
	[ ${#env[@]} -gt 0 ] && env+=(LD_PRELOAD="$RDMAPIN_PRELOAD_SO" RDMAPIN_DEBUG=1)
	"${nsx[@]}" timeout 120 env "${env[@]}" "$test" -d "${dev[1]}" \
		-x "${GID[${dev[1]}]}" -p "$PERFTEST_PORT" -F "${extra[@]}" "$@" \
		>"$WORK/server.log" 2>&1 &
	spid=$!
	if ! wait_for 30 listening "$ns" "$PERFTEST_PORT"; then
		kill "$spid" 2>/dev/null
		wait "$spid"
		echo "the server never listened: $(tail -n 2 "$WORK/server.log" | tr '\n' ' ')"
		return 1
	fi
	"${nsx[@]}" timeout 120 env "${env[@]}" "$test" -d "${dev[0]}" \
		-x "${GID[${dev[0]}]}" -p "$PERFTEST_PORT" -F "${extra[@]}" "$@" \
		"$ip" >"$WORK/client.log" 2>&1 || crc=$?
	# A client that failed early leaves the server waiting: end it.
	[ "$crc" = 0 ] || kill "$spid" 2>/dev/null
	wait "$spid" || src=$?
	if [ "$crc" != 0 ] || [ "$src" != 0 ]; then
		echo "client exit $crc, server exit $src: $(grep -v '^librdmapin-preload' "$WORK/client.log" | tail -n 2 | tr '\n' ' ')"
		return 1
	fi
	# The shim's lines show that the memory really was what the label says.
	if [ "$label" = pinrxe-odp-prefetch ] &&
	   ! grep -q '^librdmapin-preload: prefetch .*: done' "$WORK/client.log"; then
		echo "the preload shim prefetched nothing (RDMAPIN_PREFETCH): not an ODP-after-prefetch run"
		return 1
	fi
	if [[ $label == pinrxe-odp* ]] && is_atomic "$test" &&
	   ! grep -q 'policy odp: path odp' "$WORK/client.log"; then
		echo "the preload shim made no ODP registration (RDMAPIN_POLICY=odp)"
		return 1
	fi
}

# result KIND SIZE: the figures of the client's report row for SIZE:
# "BW MPPS" (bandwidth, perftest's MB/s, and message rate; KIND bw or
# steady) or, KIND lat, the typical latency; nothing when there is no
# such row.
result() {
	awk -v k="$1" -v s="$2" '
		$1 == s && $2 ~ /^[0-9]+$/ && NF >= 5 {
			if (k == "lat") print $5; else print $4, $5
			exit
		}' "$WORK/client.log"
}

FAILED=0 DONE=0 TOTAL=0

# failure WHAT WHY: an attempt that failed, on stderr and in failures.log
# with both sides' output.
failure() {
	warn "$1: $2"
	{
		echo "== $1: $2"
		for f in client server; do
			[ -f "$WORK/$f.log" ] && sed "s/^/$f: /" "$WORK/$f.log" | tail -n 15
		done
	} >>"$out/failures.log"
}

# measure ROUND KIND TEST SIZE LABEL ARGS...: one figure, up to three tries.
# KIND: bw, steady (bandwidth in duration mode) or lat.
measure() {
	local round=$1 kind=$2 test=$3 size=$4 label=$5 try val='' why bw mpps
	shift 5
	DONE=$((DONE + 1))
	for try in 1 2 3; do
		rm -f "$WORK/client.log" "$WORK/server.log"
		if why=$(perftest_pair "$label" "$test" "$@"); then
			val=$(result "$kind" "$size")
			[ -n "$val" ] && break
			why="no result row (perftest: $(grep -v '^librdmapin-preload' "$WORK/client.log" | tail -n 1))"
		fi
		failure "$test $size B $label round $round try $try" "$why"
	done
	if [ -z "$val" ]; then
		FAILED=$((FAILED + 1))
		warn "$test $size B $label round $round: NA after 3 tries"
	fi
	if [ "$kind" = bw ] || [ "$kind" = steady ]; then
		local p=''
		[ "$kind" = steady ] && p=steady_
		read -r bw mpps <<<"${val:-NA NA}"
		echo "$test,$size,${p}bw_MBps,$label,$round,$bw" >>"$out/bench.csv"
		echo "$test,$size,${p}mpps,$label,$round,$mpps" >>"$out/bench.csv"
		say "[$DONE/$TOTAL] round $round $test $size B $label${p:+ (steady state)}: $bw MB/s, $mpps Mpps"
	else
		echo "$test,$size,lat_usec,$label,$round,${val:-NA}" >>"$out/bench.csv"
		say "[$DONE/$TOTAL] round $round $test $size B $label: ${val:-NA} usec"
	fi
}

# each_label ROUND KIND TEST SIZE ARGS...: the figure on every device,
# starting with a different one each round.
each_label() {
	local round=$1 n=${#LABELS[@]} i
	for ((i = 0; i < n; i++)); do
		measure "$1" "$2" "$3" "$4" "${LABELS[(i + round - 1) % n]}" "${@:5}"
	done
}

perftest_round() {
	local r=$1 t s k
	for t in "${BW_TESTS[@]}"; do
		for s in "${BW_SIZES[@]}"; do
			each_label "$r" bw "$t" "$s" -s "$s" -n "$(bw_iters "$s")"
		done
	done
	each_label "$r" bw ib_atomic_bw 8 -n 10000
	for t in "${LAT_TESTS[@]}"; do
		for s in "${LAT_SIZES[@]}"; do
			each_label "$r" lat "$t" "$s" -s "$s" -n "$LAT_ITERS"
		done
	done
	each_label "$r" lat ib_atomic_lat 8 -n "$LAT_ITERS"
	for ((k = 0; k < STEADY_REPEATS; k++)); do
		for t in "${BW_TESTS[@]}"; do
			for s in "${STEADY_SIZES[@]}"; do
				steady_pass "$r" $(((r - 1) * STEADY_REPEATS + k)) \
					"$t" "$s"
			done
		done
	done
}

# steady_pass ROUND PASS TEST SIZE: the steady-state figure on every
# device, in LABELS' order on even passes and the reverse on odd ones:
# pinrxe always next to rxe and to pinrxe-odp, each first in turn (LABELS
# starts rxe pinrxe pinrxe-odp).
steady_pass() {
	local order=("${LABELS[@]}") i
	if (($2 % 2)); then
		order=()
		for ((i = ${#LABELS[@]} - 1; i >= 0; i--)); do
			order+=("${LABELS[i]}")
		done
	fi
	for i in "${order[@]}"; do
		measure "$1" steady "$3" "$4" "$i" -s "$4" \
			-D "$STEADY_SECONDS" -f "$STEADY_MARGIN"
	done
}

# --- the reference: memcpy and UDP ------------------------------------------

# memcpy_round ROUND: memcpy bandwidth at each perftest size, the better of
# glibc's memcpy as it comes and with its "rep movsb" path turned off:
# QEMU's TCG runs rep movsb some 50 times slower than the vector loops
# (about 30 MB/s), which would make the reference a measure of the
# emulator's weak spot rather than of the machine's memory.
memcpy_round() {
	local r=$1 size val a b
	"$bench_dir/memcpybench" --seconds 0.5 "${BW_SIZES[@]}" \
		>"$WORK/memcpy.out" 2>"$WORK/memcpy.err" ||
		warn "memcpybench failed: $(cat "$WORK/memcpy.err")"
	GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=$((1 << 40)) \
		"$bench_dir/memcpybench" --seconds 0.5 "${BW_SIZES[@]}" \
		>"$WORK/memcpy-norep.out" 2>"$WORK/memcpy.err" ||
		warn "memcpybench without rep movsb failed: $(cat "$WORK/memcpy.err")"
	for size in "${BW_SIZES[@]}"; do
		a=$(awk -v s="$size" '$1 == s { print $2 }' "$WORK/memcpy.out")
		b=$(awk -v s="$size" '$1 == s { print $2 }' "$WORK/memcpy-norep.out")
		val=$(echo "${a:-0} ${b:-0}" | awk '{ v = $1 > $2 ? $1 : $2; if (v > 0) print v }')
		[ -n "$val" ] || FAILED=$((FAILED + 1))
		echo "memcpy,$size,bw_MBps,$r,${val:-NA}" >>"$out/ref.csv"
		say "round $r memcpy $size B: ${val:-NA} MB/s (glibc as is ${a:-NA}, without rep movsb ${b:-NA})"
	done
}

# udp_once DGRAM: the receiver's rate of an iperf3 UDP stream of DGRAM-byte
# datagrams as fast as the sender can, across the pinrxe pair's veth, in
# 2^20 bytes per second.
udp_once() {
	local nsx=(ip netns exec "$NS") spid
	"${nsx[@]}" timeout 60 iperf3 -s -1 -B "${PIN_IP[1]}" -p "$IPERF_PORT" \
		>"$WORK/server.log" 2>&1 &
	spid=$!
	wait_for 30 listening "$NS" "$IPERF_PORT" || { kill "$spid"; wait "$spid"; return 1; }
	"${nsx[@]}" timeout 60 iperf3 -c "${PIN_IP[1]}" -B "${PIN_IP[0]}" \
		-p "$IPERF_PORT" -u -b 0 -l "$1" -t "$UDP_SECONDS" --json \
		>"$WORK/client.log" 2>&1 || { kill "$spid"; wait "$spid"; return 1; }
	wait "$spid"
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print("%.2f" % (d["end"]["sum_received"]["bits_per_second"] / 8 / 2**20))' \
		"$WORK/client.log" 2>/dev/null
}

udp_round() {
	local r=$1 size try val
	for size in "${UDP_SIZES[@]}"; do
		val=
		for try in 1 2 3; do
			val=$(udp_once "$size") && [ -n "$val" ] && break
			val=
			failure "udp_stream $size B round $r try $try" "iperf3 failed"
		done
		[ -n "$val" ] || FAILED=$((FAILED + 1))
		echo "udp_stream,$size,bw_MBps,$r,${val:-NA}" >>"$out/ref.csv"
		say "round $r udp_stream $size B: ${val:-NA} MB/s"
	done
}

# --- registration -----------------------------------------------------------

# Enough 2 MiB huge pages for the largest pinned_hugetlb buffer; a size
# they cannot back is NA in reg.csv (regbench says why).
reserve_hugepages() {
	local want=$((REG_MAX / (2 << 20) + 1)) got
	SAVED_HUGEPAGES=$(cat /proc/sys/vm/nr_hugepages)
	[ "$SAVED_HUGEPAGES" -ge "$want" ] && return 0
	echo "$want" >/proc/sys/vm/nr_hugepages
	got=$(cat /proc/sys/vm/nr_hugepages)
	[ "$got" -ge "$want" ] ||
		warn "only $got of $want huge pages could be reserved: larger pinned_hugetlb sizes will be NA"
}

reg_phase() {
	local size=4096 rc
	echo "kind,size,mode,device,rep,usec" >"$out/reg.csv"
	reserve_hugepages
	while [ "$size" -le "$REG_MAX" ]; do
		say "registration, $size B: pinrxe, then rxe"
		ip netns exec "$NS" "$bench_dir/regbench" --device pinrxe \
			--min "$size" --max "$size" "${PIN_DEV[@]}" "$out/reg.csv" ||
			{ rc=$?; warn "regbench on pinrxe at $size B failed (exit $rc)"; FAILED=$((FAILED + 1)); }
		"$bench_dir/regbench" --device rxe --min "$size" --max "$size" \
			"${RXE_DEV[@]}" "$out/reg.csv" ||
			{ rc=$?; warn "regbench on rxe at $size B failed (exit $rc)"; FAILED=$((FAILED + 1)); }
		size=$((size * 4))
	done
	echo "$SAVED_HUGEPAGES" >/proc/sys/vm/nr_hugepages
	SAVED_HUGEPAGES=
}

# --- the run ----------------------------------------------------------------

start=$SECONDS
need_tools
mkdir -p "$out" || die "cannot create $out"
out=$(cd "$out" && pwd)
rm -f "$out"/{bench,reg,ref,meta}.csv "$out/failures.log" "$out/report.md"
WORK=$(mktemp -d) || die "mktemp failed"

for m in ib_uverbs rdma_ucm udp_tunnel ip6_udp_tunnel veth rdma_rxe; do
	load "$m"
done
load_pinrxe
remove_leftovers
setup_devices
write_meta
say "devices up: ${RXE_DEV[*]} (rdma_rxe), ${PIN_DEV[*]} (pinrxe, namespace $NS)"
say "$rounds round(s)$([ "$quick" = 1 ] && echo ", quick"); results in $out"

echo "test,size,metric,device,round,value" >"$out/bench.csv"
echo "test,size,metric,round,value" >"$out/ref.csv"
TOTAL=$(((${#BW_TESTS[@]} * (${#BW_SIZES[@]} +
	${#STEADY_SIZES[@]} * STEADY_REPEATS) + 1 +
	${#LAT_TESTS[@]} * ${#LAT_SIZES[@]} + 1) *
	${#LABELS[@]} * rounds))
for r in $(seq "$rounds"); do
	perftest_round "$r"
	memcpy_round "$r"
	udp_round "$r"
done
reg_phase
meta duration_sec "$((SECONDS - start))"

cleanup
trap - EXIT
say "measured in $((SECONDS - start)) s; writing the report"
if ! python3 "$bench_dir/report.py" "$out"; then
	warn "report.py failed; the CSV files are in $out"
	exit 1
fi
if [ "$FAILED" != 0 ]; then
	warn "$FAILED figure(s) could not be measured (NA; see $out/failures.log)"
	exit 1
fi
say "done: $out/report.md, CSV files and plots in $out"
