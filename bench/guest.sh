# The benchmark, run inside one guest boot by bench/run.sh: perftest over
# two stock rdma_rxe devices, then over two pinrxe devices,
# the same topology for both (a veth pair whose ends are both local, see
# bench/net.sh), alternating rxe and pinrxe rounds so that drift in the
# host's load hits both alike.  Writes CSV lines
#   test,size,metric,device,round,value
# to $RDMAPIN_OUT/bench.csv (latency: perftest's t_typical, the median).
. "$RDMAPIN_TOP/tests/lib.sh"
. "$RDMAPIN_TOP/bench/net.sh"
set +e

rounds=${RDMAPIN_BENCH_ROUNDS:-3}
csv=$RDMAPIN_OUT/bench.csv
echo "test,size,metric,device,round,value" >"$csv"

load_rdma_core
modprobe rdma_rxe
insmod "$PINRXE_KO"
self_pair "" rb0 rb1 10.20.0.1 10.20.0.2
rdma link add rxe0 type rxe netdev rb0
rdma link add rxe1 type rxe netdev rb1
self_pair pb pb0 pb1 10.30.0.1 10.30.0.2
ip netns exec pb rdma link add pinrxe0 type pinrxe netdev pb0
ip netns exec pb rdma link add pinrxe1 type pinrxe netdev pb1

# gid_index DEV IP: the index of IP's RoCE v2 GID on DEV.
gid_index() {
	local want f
	want=$(gid_of "$2")
	for f in /sys/class/infiniband/$1/ports/1/gids/*; do
		[ "$(cat "$f")" = "$want" ] && { basename "$f"; return 0; }
	done
	return 1
}
for d in rxe0:10.20.0.1 rxe1:10.20.0.2 pinrxe0:10.30.0.1 pinrxe1:10.30.0.2; do
	wait_until 30 gid_index "${d%%:*}" "${d#*:}" >/dev/null ||
		fail "${d%%:*} never got the GID of ${d#*:}"
done

# run DEV NS SERVER_IP TEST ARGS...: one perftest run, server on DEV's
# peer (…1), client on DEV (…0); prints the client's output.
run() {
	local kind=$1 ns=$2 ip=$3 nsx=() sgid cgid
	shift 3
	[ -n "$ns" ] && nsx=(ip netns exec "$ns")
	sgid=$(gid_index "${kind}1" "${ip%.*}.2")
	cgid=$(gid_index "${kind}0" "${ip%.*}.1")
	"${nsx[@]}" timeout 300 "$@" -d "${kind}1" -x "$sgid" \
		>/tmp/bench-server.log 2>&1 &
	local pid=$!
	"${nsx[@]}" bash -c "$(declare -f listening wait_until); wait_until 30 listening"
	"${nsx[@]}" timeout 300 "$@" -d "${kind}0" -x "$cgid" "${ip%.*}.2" \
		2>&1
	wait "$pid"
}

# measure CSV LABELS TEST SIZE METRIC ARGS...: every round, one run per
# label of the space-separated LABELS, in that order (rxe: the rdma_rxe
# pair; pinrxe: the pinrxe pair; pinrxe-odp: the pinrxe pair with
# perftest's --odp), each appended to CSV; a perftest run whose clock
# calibration fails under TCG is repeated.
measure() {
	local out_csv=$1 labels=$2 test=$3 size=$4 metric=$5
	local r label kind ns ip out val try extra
	shift 5
	for r in $(seq "$rounds"); do
		for label in $labels; do
			kind=pinrxe ns=pb ip=10.30.0.2 extra=()
			case $label in
			rxe) kind=rxe ns= ip=10.20.0.2 ;;
			pinrxe-odp) extra=(--odp) ;;
			esac
			val=
			for try in 1 2 3; do
				out=$(run "$kind" "$ns" "$ip" "$test" -s "$size" -F \
					"${extra[@]}" "$@")
				val=$(echo "$out" | awk -v m="$metric" -v s="$size" '
					$1 == s && m == "bw_MBps" { print $4; exit }
					$1 == s && m == "lat_usec" { print $5; exit }')
				[ -n "$val" ] && break
				echo "$test $label round $r try $try gave no result:" >&2
				echo "$out" | tail -n 3 >&2
			done
			echo "$test,$size,$metric,$label,$r,${val:-NA}" |
				tee -a "$out_csv"
		done
	done
}

measure "$csv" "rxe pinrxe" ib_write_bw 65536 bw_MBps -n 1000
measure "$csv" "rxe pinrxe" ib_read_bw 65536 bw_MBps -n 1000
measure "$csv" "rxe pinrxe" ib_send_bw 65536 bw_MBps -n 1000
measure "$csv" "rxe pinrxe" ib_write_lat 2 lat_usec -n 2000
ip netns exec pb rdma statistic show link pinrxe0/1

. "$RDMAPIN_TOP/bench/odp.sh"
