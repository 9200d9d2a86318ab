#!/usr/bin/env bash
# ODP against pinned, quickly: ib_read_bw and ib_write_bw between two
# pinrxe devices set up as the benchmark engine sets them up (a veth pair
# in its own namespace, bench/net.sh), at 64 KiB and 1 MiB, with and
# without --odp, alternating, ROUNDS rounds (default 3); prints each
# figure and, per test and size, the medians and the ratio ODP/pinned.
# Only ratios from one run (one boot) compare: the host's load varies.
#
# In a guest, from the top of the tree:
#   RDMAPIN_TCG_THREAD=multi tests/guest/run-guest.sh --out build/scratch/q \
#       --timeout 900 --mem 3072 bash bench/odpquick.sh [ROUNDS] [TEST...]
# TESTS default to "ib_read_bw ib_write_bw"; RDMAPIN_ODPQ_SIZES overrides the
# sizes (e.g. "65536 1048576").  RDMAPIN_ODPQ_PERF=DIR records each client
# run system-wide with perf (cpu-clock, call graphs) and writes
# DIR/TEST-SIZE-MODE-ROUND.txt, perf report's flat profile.
# (run-guest.sh passes RDMAPIN_* variables on; in a guest, DIR is best
# under $RDMAPIN_OUT, the --out directory.)  RDMAPIN_ODPQ_MB sets the
# data per run (default 256 MiB; make bench moves 32 MiB, where the
# first touch of ODP pages weighs more); RDMAPIN_ODPQ_KO another pinrxe.ko;
# RDMAPIN_ODPQ_MODES=odp (or pinned) measures only that;
# RDMAPIN_ODPQ_ARGS more perftest options for both sides of every run.
set -uo pipefail
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/net.sh
. "$bench_dir/net.sh"
build=${RDMAPIN_BUILD:-$bench_dir/../build}
export RDMAV_DRIVERS=$build/providers/pinrxe/libpinrxe
export LD_LIBRARY_PATH=$build/librdmapin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

rounds=${1:-3}
shift || true
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(ib_read_bw ib_write_bw)
read -r -a sizes <<<"${RDMAPIN_ODPQ_SIZES:-65536 1048576}"
NS=odpq IP=(198.18.1.1 198.18.1.2) DEV=(pinrxe_q0 pinrxe_q1) PORT=18700
nsx=(ip netns exec "$NS")

die() { echo "odpquick: $*" >&2; exit 1; }

for m in ib_uverbs rdma_ucm udp_tunnel ip6_udp_tunnel; do
	modprobe "$m" || die "cannot load $m"
done
ko=${RDMAPIN_ODPQ_KO:-$build/kernel/pinrxe.ko}
[ -e /sys/module/pinrxe ] || insmod "$ko" ||
	die "insmod $ko failed"
self_pair "$NS" odpq0 odpq1 "${IP[@]}" 18700 || die "no veth pair"
trap 'self_pair_remove "$NS" odpq0 18700' EXIT
"${nsx[@]}" rdma link add "${DEV[0]}" type pinrxe netdev odpq0 || die "no ${DEV[0]}"
"${nsx[@]}" rdma link add "${DEV[1]}" type pinrxe netdev odpq1 || die "no ${DEV[1]}"

# gid DEV IP: the index of IP's RoCE v2 GID on DEV.
gid() {
	local want f a b c d
	IFS=. read -r a b c d <<<"$2"
	want=$(printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x' "$a" "$b" "$c" "$d")
	for f in /sys/class/infiniband/"$1"/ports/1/gids/*; do
		[ "$(cat "$f" 2>/dev/null)" = "$want" ] &&
			[ "$(cat "/sys/class/infiniband/$1/ports/1/gid_attrs/types/${f##*/}" 2>/dev/null)" = "RoCE v2" ] &&
			{ echo "${f##*/}"; return 0; }
	done
	return 1
}
declare -a G
for i in 0 1; do
	for _ in $(seq 300); do
		G[i]=$(gid "${DEV[i]}" "${IP[i]}") && break
		sleep 0.1
	done
	[ -n "${G[i]}" ] || die "${DEV[i]} never got its GID"
done

# run TEST SIZE MODE ROUND: one run's MB/s (average), or nothing.
run() {
	local t=$1 s=$2 extra=() more n spid ppid v
	[ "$3" = odp ] && extra=(--odp)
	read -r -a more <<<"${RDMAPIN_ODPQ_ARGS:-}"
	extra+=("${more[@]}")
	n=$(((${RDMAPIN_ODPQ_MB:-256} << 20) / s))
	[ "$n" -gt 20000 ] && n=20000
	"${nsx[@]}" timeout 300 "$t" -d "${DEV[1]}" -x "${G[1]}" -p "$PORT" -F \
		-s "$s" -n "$n" "${extra[@]}" >/tmp/odpq-srv.log 2>&1 &
	spid=$!
	for _ in $(seq 300); do
		"${nsx[@]}" ss -Hltn "sport = :$PORT" | grep -q . && break
		sleep 0.1
	done
	if [ -n "${RDMAPIN_ODPQ_PERF:-}" ]; then
		perf record -q -a -g -e cpu-clock -o /tmp/odpq.perf >/dev/null 2>&1 &
		ppid=$!
		sleep 1
	fi
	"${nsx[@]}" timeout 300 "$t" -d "${DEV[0]}" -x "${G[0]}" -p "$PORT" -F \
		-s "$s" -n "$n" "${extra[@]}" "${IP[1]}" >/tmp/odpq-cli.log 2>&1 ||
		kill "$spid" 2>/dev/null
	wait "$spid"
	if [ -n "${RDMAPIN_ODPQ_PERF:-}" ]; then
		kill -INT "$ppid"
		wait "$ppid"
		mkdir -p "$RDMAPIN_ODPQ_PERF"
		perf report -q -i /tmp/odpq.perf --no-children --sort sym \
			--stdio -g none 2>/dev/null | grep -v '^$' | head -n 60 \
			>"$RDMAPIN_ODPQ_PERF/$t-$s-$3-$4.txt"
	fi
	v=$(awk -v s="$s" '$1 == s && $2 ~ /^[0-9]+$/ { print $4; exit }' /tmp/odpq-cli.log)
	if [ -z "$v" ]; then
		# Why there is no figure: both sides' last words, on stderr.
		{
			echo "odpquick: $t $s $3 round $4: no result"
			tail -n 8 /tmp/odpq-cli.log | sed 's/^/  client: /'
			tail -n 8 /tmp/odpq-srv.log | sed 's/^/  server: /'
		} >&2
	fi
	echo "$v"
}

# counters: the devices' counters and the backlog drops, "name value" lines.
counters() {
	local i f
	for i in 0 1; do
		for f in /sys/class/infiniband/"${DEV[i]}"/ports/1/hw_counters/*; do
			echo "$i:${f##*/} $(cat "$f")"
		done
	done
	local d=0 x
	while read -r _ x _; do
		d=$((d + 16#$x))
	done </proc/net/softnet_stat
	echo "backlog_drops $d"
	# Losses on the way that the devices cannot see: the UDP layer's
	# errors in the pair's namespace and the veth ends' drops.
	"${nsx[@]}" awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ {
		print "udp_in_errors", $4; print "udp_rcvbuf_errors", $6 }' /proc/net/snmp
	for i in 0 1; do
		for x in rx_dropped tx_dropped; do
			echo "odpq$i:$x $("${nsx[@]}" cat /sys/class/net/odpq$i/statistics/$x)"
		done
	done
}

# counters_delta BEFORE AFTER: the counters that changed, on one line.
counters_delta() {
	awk 'NR == FNR { b[$1] = $2; next }
	     $2 != b[$1] && $1 !~ /(sent|rcvd)_(pkts|bytes)$/ { printf " %s+%d", $1, $2 - b[$1] }
	     END { print "" }' "$1" "$2"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "NA" }'; }

declare -A R
for ((r = 1; r <= rounds; r++)); do
	for t in "${tests[@]}"; do
		for s in "${sizes[@]}"; do
			# Alternate which mode goes first.
			read -r -a modes <<<"${RDMAPIN_ODPQ_MODES:-pinned odp}"
			((r % 2)) || [ ${#modes[@]} != 2 ] || modes=(odp pinned)
			for m in "${modes[@]}"; do
				counters >/tmp/odpq-c0
				v=$(run "$t" "$s" "$m" "$r")
				counters >/tmp/odpq-c1
				echo "round $r $t $s $m: ${v:-NA} MB/s;$(counters_delta /tmp/odpq-c0 /tmp/odpq-c1)"
				[ -n "$v" ] && R[$t,$s,$m]+="$v "
			done
		done
	done
done
echo "== medians ($rounds rounds)"
for t in "${tests[@]}"; do
	for s in "${sizes[@]}"; do
		p=$(tr ' ' '\n' <<<"${R[$t,$s,pinned]:-}" | grep . | median)
		o=$(tr ' ' '\n' <<<"${R[$t,$s,odp]:-}" | grep . | median)
		ratio=$(awk -v p="$p" -v o="$o" 'BEGIN { if (p + 0 > 0 && o + 0 > 0) printf "%.2f", o / p; else print "NA" }')
		echo "$t $s: pinned $p odp $o MB/s, odp/pinned $ratio"
	done
done
