# The ODP part of the benchmark, sourced by bench/guest.sh once its
# devices are up: pinrxe pinned against pinrxe ODP in steady state
# (perftest with and without --odp, alternating rounds), then what
# registering costs against size and what the first access to fresh
# memory costs (bench/regbench.c).  Writes $RDMAPIN_OUT/odp.csv (as
# bench.csv, devices pinrxe and pinrxe-odp) and $RDMAPIN_OUT/reg.csv.

odp_csv=$RDMAPIN_OUT/odp.csv
echo "test,size,metric,device,round,value" >"$odp_csv"

# measure_odp TEST SIZE METRIC ARGS...: every round, pinned then ODP.
measure_odp() {
	local test=$1 size=$2 metric=$3 r kind out val try odp
	shift 3
	for r in $(seq "$rounds"); do
		for kind in pinrxe pinrxe-odp; do
			odp=()
			[ "$kind" = pinrxe-odp ] && odp=(--odp)
			val=
			for try in 1 2 3; do
				out=$(run pinrxe pb 10.30.0.2 "$test" -s "$size" -F \
					"${odp[@]}" "$@")
				val=$(echo "$out" | awk -v m="$metric" -v s="$size" '
					$1 == s && m == "bw_MBps" { print $4; exit }
					$1 == s && m == "lat_usec" { print $5; exit }')
				[ -n "$val" ] && break
				echo "$test $kind round $r try $try gave no result:" >&2
				echo "$out" | tail -n 3 >&2
			done
			echo "$test,$size,$metric,$kind,$r,${val:-NA}" | tee -a "$odp_csv"
		done
	done
}

measure_odp ib_write_bw 65536 bw_MBps -n 1000
measure_odp ib_read_bw 65536 bw_MBps -n 1000
measure_odp ib_send_bw 65536 bw_MBps -n 1000

echo "kind,size,mode,rep,usec" >"$RDMAPIN_OUT/reg.csv"
ip netns exec pb "$RDMAPIN_BUILD/bench/regbench" pinrxe0 pinrxe1 \
	"$RDMAPIN_OUT/reg.csv" ||
	echo "bench: regbench failed ($?)" >&2
ip netns exec pb rdma statistic show link pinrxe0/1
