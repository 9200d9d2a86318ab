# guest-timeout: 900
# Hostile packets at live QPs (issue 7, "Packets").
#
# Real traffic between pinrxe0 (initial namespace) and pinrxe1 (namespace
# peer) is captured first, to give the fuzzer frames that reach the
# devices.  Then, while a validated RC pingpong runs and perftest traffic
# (write, read, atomics) keeps other QPs busy, tests/wire/fuzz.py sends
# tens of thousands of mutated and random RoCEv2 frames at both devices,
# aimed at live QPs, PSNs and MRs.  Frames for the pingpong's QPs come
# from a spoofed address, which the path check must drop; the perftest
# QPs are hit from the real peer and may fail.  Required: no splat (the
# runner checks the kernel log), the pingpong completes with its data
# verified, the drops are counted by reason, and once every program has
# exited no pin, QP or MR is left and the module unloads.
. "$RDMAPIN_TOP/tests/lib.sh"

wire() { /usr/bin/python3 "$RDMAPIN_TOP/tests/wire/roce.py" "$@"; }
fuzz() { /usr/bin/python3 "$RDMAPIN_TOP/tests/wire/fuzz.py" "$@"; }
frames=/tmp/frames.txt
count=${RDMAPIN_FUZZ_COUNT:-20000}

# Counters from sysfs, as hw_counter (lib.sh) reads them.
drops_of() {	# DEV: sum of the rcv_drop_* counters
	cat "/sys/class/infiniband/$1/ports/1/hw_counters/"rcv_drop_* |
		awk '{s += $1} END {print s}'
}
# Pins held (pins_held, pins_quiescent in lib.sh): our own output crossing
# the 9p share holds a pin for a moment (as case 32 found), so a baseline
# is the least of a few samples and the final check waits for the count to
# settle; a leaked pin never would.
# QP numbers of a program's QPs on a device: `rdma resource` names the
# process that owns each.
qpns_of() {	# DEV NS COMM
	${2:+ip netns exec $2} rdma -j resource show qp link "$1/1" |
		python3 -c 'import json, sys
print(",".join(str(q["lqpn"]) for q in json.load(sys.stdin)
               if q.get("comm") == sys.argv[1]))' "$3"
}
# srv_cli PORT CMD...: CMD's server on pinrxe1 (peer), client on pinrxe0,
# both in the background; their pids in $srv_pid and $cli_pid.
srv_cli() {
	local port=$1
	shift
	ip netns exec peer timeout $((900 * TSCALE)) "$@" -p "$port" -d pinrxe1 \
		>"/tmp/srv-$port.log" 2>&1 &
	srv_pid=$!
	wait_until 30 ip netns exec peer bash -c "ss -ltn | grep -q ':$port '" ||
		fail "$1 server on port $port did not start"
	timeout $((900 * TSCALE)) "$@" -p "$port" -d pinrxe0 192.0.2.2 \
		>"/tmp/cli-$port.log" 2>&1 &
	cli_pid=$!
}

load_pinrxe
make_netns_pair
check "rdma link add pinrxe0" pinrxe_add pinrxe0 veth0
check "rdma link add pinrxe1" \
	ip netns exec peer rdma link add pinrxe1 type pinrxe netdev veth1
check "GIDs" wait_until 30 bash -c "$(declare -f gid_table has_gid gid_of);
	has_gid pinrxe0 \$(gid_of 192.0.2.1)"
held0=$(pins_quiescent)

step "capture real traffic to mutate"
rm -f "$frames" /tmp/capture.stop
wire capture veth0 "$frames" /tmp/capture.stop >/tmp/capture.log 2>&1 &
cap_pid=$!
wait_until 10 test -e "$frames" || fail "capture did not start"
check "ib_write_bw" client_server pinrxe1 pinrxe0 ib_write_bw -x 1 -n 20 -s 8192 -F
check "ib_read_bw" client_server pinrxe1 pinrxe0 ib_read_bw -x 1 -n 20 -s 8192 -F
check "ib_send_bw" client_server pinrxe1 pinrxe0 ib_send_bw -x 1 -n 20 -s 2048 -F
check "ib_atomic_bw" client_server pinrxe1 pinrxe0 ib_atomic_bw -x 1 -n 20 -F
check "ibv_uc_pingpong" client_server pinrxe1 pinrxe0 ibv_uc_pingpong -g 1 -n 10 -c
check "ibv_ud_pingpong" client_server pinrxe1 pinrxe0 ibv_ud_pingpong -g 1 -n 10 -s 512 -c
touch /tmp/capture.stop
wait "$cap_pid"
cat /tmp/capture.log
check "captured frames are well formed" wire summary "$frames"

step "traffic that must stay correct, and traffic that may fail"
srv_cli 18600 ib_write_bw -x 1 -D 60 -s 16384 -F
sac=("$srv_pid" "$cli_pid")
srv_cli 18601 ib_read_bw -x 1 -D 60 -s 16384 -F
sac+=("$srv_pid" "$cli_pid")
srv_cli 18602 ib_atomic_bw -x 1 -D 60 -F
sac+=("$srv_pid" "$cli_pid")
srv_cli 18603 ibv_rc_pingpong -g 1 -n 5000 -s 2048 -c
pp=("$srv_pid" "$cli_pid")
check "pingpong QPs up" wait_until 30 bash -c \
	"$(declare -f qpns_of); [ -n \"\$(qpns_of pinrxe0 '' ibv_rc_pingpong)\" ] &&
	 [ -n \"\$(qpns_of pinrxe1 peer ibv_rc_pingpong)\" ]"
protect0=$(qpns_of pinrxe0 "" ibv_rc_pingpong)
protect1=$(qpns_of pinrxe1 peer ibv_rc_pingpong)
echo "pingpong QPs: pinrxe0 $protect0, pinrxe1 $protect1"
drops0=$(drops_of pinrxe0)
drops1=$(drops_of pinrxe1)

step "fuzz both devices ($count frames each)"
fuzz "$frames" veth1 192.0.2.1 --count "$count" --seed 7 \
	--protect "$protect0" --spoof 192.0.2.3 --dev pinrxe0 \
	--sock-ns peer >/tmp/fuzz0.log 2>&1 &
f0=$!
fuzz "$frames" veth0 192.0.2.2 --count "$count" --seed 11 \
	--protect "$protect1" --spoof 192.0.2.4 --dev pinrxe1 --ns peer \
	>/tmp/fuzz1.log 2>&1 &
f1=$!
wait "$f0" || { cat /tmp/fuzz0.log; fail "fuzzer at pinrxe0"; }
wait "$f1" || { cat /tmp/fuzz1.log; fail "fuzzer at pinrxe1"; }
cat /tmp/fuzz0.log /tmp/fuzz1.log

step "the verified traffic is intact"
rc=0
for p in "${pp[@]}"; do wait "$p" || rc=$?; done
tail -n 3 /tmp/cli-18603.log
[ "$rc" = 0 ] || { tail /tmp/srv-18603.log; fail "pingpong failed ($rc)"; }
pass "ibv_rc_pingpong -c: 5000 exchanges verified under fuzzing"
# They may fail (their QPs were hit from the real peer), but must end: a
# program still waiting when timeout(1) kills it (exit 124) hung.
for p in "${sac[@]}"; do
	rc=0
	wait "$p" || rc=$?
	[ "$rc" = 124 ] && fail "a perftest program hung until killed"
done
for port in 18600 18601 18602; do
	echo "perftest on port $port: $(tail -n 1 /tmp/cli-$port.log)"
done
pass "every sacrificial program ended"

step "the drops are counted"
for dev in pinrxe0 pinrxe1; do
	ns=; [ "$dev" = pinrxe1 ] && ns=peer
	before=$drops0; [ "$dev" = pinrxe1 ] && before=$drops1
	now=$(drops_of "$dev")
	echo "$dev: $((now - before)) frames dropped"
	${ns:+ip netns exec $ns} rdma statistic show link "$dev/1"
	check "$dev dropped at least a third of what it was sent" \
		test $((now - before)) -ge $((count / 3))
	for c in rcv_drop_bad_icrc rcv_drop_bad_length rcv_drop_unknown_opcode \
		 rcv_drop_no_qp rcv_drop_pkey rcv_drop_path rcv_drop_udp_len \
		 rcv_drop_bad_version; do
		check "$dev counted $c" counter_moved "$dev" "$c"
	done
done

step "nothing is left behind"
check "no QP but QP1 on pinrxe0" bash -c \
	"[ -z \"\$(rdma resource show qp link pinrxe0/1 | grep -v 'lqpn 1 ')\" ]"
check "no MR on pinrxe0" bash -c "[ -z \"\$(rdma resource show mr dev pinrxe0)\" ]"
check_pins_back "$held0" pinrxe0 pinrxe1
check "rdma link del pinrxe0" rdma link del pinrxe0
check "rdma link del pinrxe1" ip netns exec peer rdma link del pinrxe1
check "rmmod pinrxe" rmmod pinrxe
