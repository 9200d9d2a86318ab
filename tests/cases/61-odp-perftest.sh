# perftest with --odp, pinrxe to pinrxe: bandwidth and latency of RDMA
# WRITE, READ and SEND with every buffer an on-demand paging MR.  Debian's
# perftest checks the device's RC ODP capabilities (SEND included, even for
# the write tests) before it registers.  Each run must succeed and report
# numbers; the devices' ODP counters must show the faults it took.
# guest-timeout: 600
. "$RDMAPIN_TOP/tests/lib.sh"

load_pinrxe
make_netns_pair
check "rdma link add pinrxe0" pinrxe_add pinrxe0 veth0
check "rdma link add pinrxe1 (namespace peer)" \
	ip netns exec peer rdma link add pinrxe1 type pinrxe netdev veth1

# reports LOG: the result table of a perftest run has a numeric data row:
# size and iterations first, then figures.
reports() {
	grep -Eq '^ *[0-9]+ +[0-9]+ +[0-9.]+ +[0-9.]+' "$1"
}

# faults: the ODP faults pinrxe0 and pinrxe1 took so far, summed.  Each
# run registers its buffers anew, so each must fault on both sides.
faults() {
	echo $(($(hw_counter pinrxe0 odp_faults) + $(hw_counter pinrxe1 odp_faults)))
}

for t in ib_write_bw ib_read_bw ib_send_bw; do
	step "$t --odp"
	before=$(faults)
	check "$t 64 KiB with --odp" client_server pinrxe1 pinrxe0 \
		$t --odp -x 1 -s 65536 -n 200 -F
	check "$t reported bandwidth" reports /tmp/client.log
	check "$t faulted ODP pages in" test "$(faults)" -gt "$before"
done
for t in ib_write_lat ib_read_lat ib_send_lat; do
	step "$t --odp"
	before=$(faults)
	check "$t with --odp" client_server pinrxe1 pinrxe0 \
		$t --odp -x 1 -n 200 -F
	check "$t reported latency" reports /tmp/client.log
	check "$t faulted ODP pages in" test "$(faults)" -gt "$before"
done

step "counters"
rdma statistic show link pinrxe0/1 | grep -o "odp_[a-z_]* [0-9]*"
ip netns exec peer rdma statistic show link pinrxe1/1 |
	grep -o "odp_[a-z_]* [0-9]*"
check "pinrxe0 took ODP faults" bash -c \
	'rdma statistic show link pinrxe0/1 | grep -q "odp_faults [1-9]"'
check "pinrxe1 took ODP faults" bash -c \
	'ip netns exec peer rdma statistic show link pinrxe1/1 |
	 grep -q "odp_faults [1-9]"'
check "no MR left" bash -c '[ -z "$(rdma resource show mr)" ] &&
	[ -z "$(ip netns exec peer rdma resource show mr)" ]'
