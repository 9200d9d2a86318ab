# The ODP part of the benchmark, sourced by bench/guest.sh once its
# devices are up: pinrxe pinned against pinrxe ODP in steady state
# (perftest with and without --odp, alternating rounds), then what
# registering costs against size and what the first access to fresh
# memory costs (bench/regbench.c).  Writes $RDMAPIN_OUT/odp.csv (as
# bench.csv, devices pinrxe and pinrxe-odp) and $RDMAPIN_OUT/reg.csv.

odp_csv=$RDMAPIN_OUT/odp.csv
echo "test,size,metric,device,round,value" >"$odp_csv"

measure "$odp_csv" "pinrxe pinrxe-odp" ib_write_bw 65536 bw_MBps -n 1000
measure "$odp_csv" "pinrxe pinrxe-odp" ib_read_bw 65536 bw_MBps -n 1000
measure "$odp_csv" "pinrxe pinrxe-odp" ib_send_bw 65536 bw_MBps -n 1000

echo "kind,size,mode,rep,usec" >"$RDMAPIN_OUT/reg.csv"
ip netns exec pb "$RDMAPIN_BUILD/bench/regbench" pinrxe0 pinrxe1 \
	"$RDMAPIN_OUT/reg.csv" ||
	echo "bench: regbench failed ($?)" >&2
ip netns exec pb rdma statistic show link pinrxe0/1
