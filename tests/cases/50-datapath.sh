# The verbs data path between two pinrxe devices (one per network
# namespace on a veth pair): RC, UC, UD and SRQ pingpongs and perftest's
# send, write, read and atomic tests, bandwidth and latency.  Every test
# checks its data (pingpong) or completes every operation (perftest).
# guest-timeout: 600
. "$RDMAPIN_TOP/tests/lib.sh"

load_pinrxe
make_netns_pair
check "rdma link add pinrxe0" pinrxe_add pinrxe0 veth0
check "rdma link add pinrxe1 (namespace peer)" \
	ip netns exec peer rdma link add pinrxe1 type pinrxe netdev veth1

step "pingpong"
check "ibv_rc_pingpong 4 KiB (multi-packet)" \
	client_server pinrxe1 pinrxe0 ibv_rc_pingpong -g 1 -n 200 -c
check "ibv_rc_pingpong 64 KiB" \
	client_server pinrxe1 pinrxe0 ibv_rc_pingpong -g 1 -n 50 -s 65536 -c
check "ibv_uc_pingpong" \
	client_server pinrxe1 pinrxe0 ibv_uc_pingpong -g 1 -n 200 -c
check "ibv_ud_pingpong" \
	client_server pinrxe1 pinrxe0 ibv_ud_pingpong -g 1 -n 200 -s 1000 -c
check "ibv_srq_pingpong" \
	client_server pinrxe1 pinrxe0 ibv_srq_pingpong -g 1 -n 100 -c

# sweep TEST: every size from 2 B to 8 MiB (perftest -a), 20 iterations
# each.  The debug kernel (KASAN and lockdep under TCG) moves about
# 0.35 MB/s, so there -a would take over a quarter of an hour a test:
# it runs the sizes around the 1024-byte path MTU's segment boundaries
# instead, 5 iterations each.
sweep() {
	local t=$1 s

	if ! debug_kernel; then
		check "$t all sizes" client_server pinrxe1 pinrxe0 $t -x 1 -a \
			-n 20 -F
		return
	fi
	for s in 1 1023 1024 1025 4096 65537; do
		check "$t $s B" client_server pinrxe1 pinrxe0 $t -x 1 -s $s \
			-n 5 -F
	done
}

step "perftest"
for t in ib_send_bw ib_write_bw ib_read_bw; do
	check "$t 64 KiB" client_server pinrxe1 pinrxe0 $t -x 1 -s 65536 -n 200 -F
	sweep $t
done
check "ib_atomic_bw" client_server pinrxe1 pinrxe0 ib_atomic_bw -x 1 -n 200 -F
for t in ib_send_lat ib_write_lat ib_read_lat ib_atomic_lat; do
	check "$t" client_server pinrxe1 pinrxe0 $t -x 1 -n 200 -F
done

step "loss"
# netem on the responder's side drops 2 % of what it sends.  Lost read
# responses and sends must be recovered (go back N after a PSN gap, NAK,
# or the timer), the data stay right, and the requester count the
# responses it dropped as out of sequence.
check "netem: 2 % loss on veth1" \
	ip netns exec peer tc qdisc add dev veth1 root netem loss 2%
check "ib_read_bw 64 KiB under loss" \
	client_server pinrxe1 pinrxe0 ib_read_bw -x 1 -s 65536 -n 200 -F
check "ibv_rc_pingpong 64 KiB under loss checks its data" \
	client_server pinrxe1 pinrxe0 ibv_rc_pingpong -g 1 -n 50 -s 65536 -c
check "netem: 5 % loss on veth0 too" tc qdisc add dev veth0 root netem loss 5%
# Every byte checked: READs (a lost response must not leave a hole),
# WRITEs, and SENDs each way (a retransmitted one never taken as new).
check "loss_test: 100 rounds, SENDs, READs and WRITEs of 65000 bytes" \
	"$RDMAPIN_BUILD/tests/loss_test" pinrxe0 pinrxe1 100 65000 1
check "loss_test: 40 rounds, 4 READs and 4 WRITEs in flight" \
	"$RDMAPIN_BUILD/tests/loss_test" pinrxe0 pinrxe1 40 65000 4
check "loss_test: 40 rounds, max_rd_atomic 1, 17 ms timeout" \
	env LOSS_TEST_RD_ATOMIC=1 LOSS_TEST_TIMEOUT=12 \
	"$RDMAPIN_BUILD/tests/loss_test" pinrxe0 pinrxe1 40 65000 1
check "netem removed" bash -c \
	"tc qdisc del dev veth0 root && ip netns exec peer tc qdisc del dev veth1 root"
check "the requester counted responses past the expected PSN" \
	counter_moved pinrxe0 rcvd_seq_err
check "and went back for them" counter_moved pinrxe0 retransmissions

step "counters"
rdma statistic show link pinrxe0/1
check "no packet dropped as malformed" bash -c \
	'! rdma statistic show link pinrxe0/1 | grep -Eo "rcv_drop_(udp_len|bad_version|unknown_opcode|bad_length|bad_icrc) [1-9]"'
check "nothing left pinned" test "$(hw_counter pinrxe0 pinned_pages)" = 0
