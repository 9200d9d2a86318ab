# The kernel's RDMA stack on pinrxe: ib_mad's GSI QP (QP1) on each port,
# MADs between two pinrxe devices (one per network namespace on a veth
# pair) carrying ib_cm and rdma_cm, and what runs on them: rping with data
# validation, ucmatose, udaddy, perftest over rdma_cm (ib_write_bw -R);
# a kernel verbs consumer with fast-registration MRs, local and remote
# invalidation (tests/kmod/kverbs);
# rping between pinrxe and rdma_rxe; and module unload while rdma_cm
# listeners are bound to a pinrxe device.
. "$RDMAPIN_TOP/tests/lib.sh"

KVERBS_KO=$RDMAPIN_BUILD/tests/kmod/kverbs/pinrxe_kverbs.ko

# in_ns NS CMD...: run CMD in network namespace NS ("-": this one).
in_ns() {
	local ns=$1
	shift
	if [ "$ns" = - ]; then "$@"; else ip netns exec "$ns" "$@"; fi
}

# An rdma_cm listener on port PORT exists (any device, any namespace).
cm_listening() { rdma res show cm_id | grep 'state LISTEN' | grep -q ":$1 "; }

# cm_pair PORT SRV_NS CLI_NS SERVER_CMD CLIENT_CMD: start the server in
# SRV_NS, wait for its rdma_cm listener, run the client in CLI_NS.  Both
# must succeed; their output goes to /tmp/cm_server.log and
# /tmp/cm_client.log.
cm_pair() {
	local port=$1 sns=$2 cns=$3 srv=$4 cli=$5 pid rc=0 srv_rc=0
	in_ns "$sns" timeout $((150 * TSCALE)) bash -c "$srv" >/tmp/cm_server.log 2>&1 &
	pid=$!
	if ! wait_until 60 cm_listening "$port"; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		echo "no rdma_cm listener on port $port; server said:"
		cat /tmp/cm_server.log
		return 1
	fi
	in_ns "$cns" timeout $((150 * TSCALE)) bash -c "$cli" >/tmp/cm_client.log 2>&1 ||
		rc=$?
	wait "$pid" || srv_rc=$?
	tail -n 3 /tmp/cm_client.log
	if [ "$rc" != 0 ] || [ "$srv_rc" != 0 ]; then
		if perftest_clock_only /tmp/cm_client.log /tmp/cm_server.log; then
			echo "(perftest could not calibrate its clock for the report;"
			echo " every operation completed successfully)"
			return 0
		fi
		echo "client exit $rc, server exit $srv_rc; client and server said:"
		tail -n 8 /tmp/cm_client.log
		tail -n 8 /tmp/cm_server.log
		return 1
	fi
}

# rping_pair SRV_NS CLI_NS ADDR WHO: rping -C 10 with validation; both
# sides saw the same ten pings.
rping_pair() {
	local sns=$1 cns=$2 addr=$3
	cm_pair 7174 "$sns" "$cns" "rping -s -a $addr -v -V -C 10" \
		"rping -c -a $addr -v -V -C 10" || return 1
	[ "$(grep -c 'ping data: rdma-ping-' /tmp/cm_client.log)" = 10 ] ||
		{ echo "the client did not see 10 pings"; return 1; }
	sed -n 's/.*ping data: //p' /tmp/cm_client.log >/tmp/cm_client.data
	sed -n 's/.*ping data: //p' /tmp/cm_server.log >/tmp/cm_server.data
	cmp /tmp/cm_client.data /tmp/cm_server.data ||
		{ echo "client and server saw different data"; return 1; }
}

# A device's counters show no drop that a working GSI QP would avoid.
no_gsi_drops() {
	! in_ns "$1" rdma statistic show link "$2/1" |
		grep -Eo 'rcv_drop_(pkey|qkey|no_qp|qp_type|no_recv_wqe) [1-9]'
}

load_pinrxe
# The MAD layer's userspace face: a umad device per port with MADs.
modprobe ib_umad
make_netns_pair
check "rdma link add pinrxe0" pinrxe_add pinrxe0 veth0
check "rdma link add pinrxe1 (namespace peer)" \
	ip netns exec peer rdma link add pinrxe1 type pinrxe netdev veth1
check "pinrxe0 has its RoCEv2 GID" \
	wait_until 20 has_gid pinrxe0 "$(gid_of 192.0.2.1)"
check "pinrxe1 has its RoCEv2 GID" \
	wait_until 20 has_gid pinrxe1 "$(gid_of 192.0.2.2)"

step "ib_mad's GSI QP"
rdma res show qp
for d in pinrxe0 pinrxe1; do
	check "$d has QP1 (GSI) in RTS" bash -c \
		"rdma res show qp link $d/1 | grep -q 'lqpn 1 type GSI state RTS'"
	check "$d has a umad device" bash -c \
		"grep -lx $d /sys/class/infiniband_mad/umad*/ibdev"
done
# IB_PORT_CM_SUP, bit 16 of the port capability mask, as rdma_rxe says.
cap=$(ibv_devinfo -v -d pinrxe0 | sed -n 's/.*port_cap_flags:[[:space:]]*//p')
check "the port says it supports the CM (port_cap_flags $cap)" \
	bash -c "(( $cap & (1 << 16) ))"
check "ib_mad and ib_cm set the ports up without complaint" bash -c \
	"! dmesg | grep -Ei 'infiniband pinrxe[0-9]+: .*(couldn.t|fail|error)'"

step "rdma_cm between two pinrxe devices"
check "rping -V -C 10, pinrxe0 to pinrxe1" rping_pair peer - 192.0.2.2
check "rping -V -C 10, pinrxe1 to pinrxe0" rping_pair - peer 192.0.2.1
check "rping -V -C 10 on one device (loopback)" rping_pair peer peer 192.0.2.2
check "ucmatose" cm_pair 7471 peer - "ucmatose" "ucmatose -s 192.0.2.2"
check "ucmatose, 4 connections of 50 messages of 4 KiB" cm_pair 7471 peer - \
	"ucmatose -c 4 -C 50 -S 4096" "ucmatose -s 192.0.2.2 -c 4 -C 50 -S 4096"
check "udaddy (UD over rdma_cm, SIDR)" cm_pair 7174 peer - "udaddy" \
	"udaddy -s 192.0.2.2"
check "ib_write_bw -R (perftest over rdma_cm)" cm_pair 18515 peer - \
	"ib_write_bw -R -d pinrxe1 -s 65536 -n 200 -F" \
	"ib_write_bw -R -d pinrxe0 -s 65536 -n 200 -F 192.0.2.2"
check "pinrxe0 dropped nothing for want of a QP or a key" no_gsi_drops - pinrxe0
check "pinrxe1 dropped nothing for want of a QP or a key" \
	no_gsi_drops peer pinrxe1

step "rping under loss"
# netem drops 5 % of the packets each way.  rping's server RDMA READs the
# client's buffer and RDMA WRITEs it back, and -V makes the client check
# every byte: lost read responses, writes and ACKs must all be recovered
# with the data intact.  (Two bugs let a read complete with a hole: a
# response after a lost one moved the expected PSN over the gap, and a
# late response moved it into a read the requester had gone back to.)
check "netem: 5 % loss on veth0 and veth1" bash -c \
	"tc qdisc add dev veth0 root netem loss 5% &&
	 ip netns exec peer tc qdisc add dev veth1 root netem loss 5%"
check "rping -V -C 100 -S 65000 under loss" cm_pair 7174 peer - \
	"rping -s -a 192.0.2.2 -V -C 100 -S 65000" \
	"rping -c -a 192.0.2.2 -V -C 100 -S 65000"
check "netem removed" bash -c \
	"tc qdisc del dev veth0 root && ip netns exec peer tc qdisc del dev veth1 root"
check "the reader (pinrxe1) went back for lost read responses" \
	counter_moved pinrxe1 rcvd_seq_err

step "a kernel verbs consumer: fast registration (tests/kmod/kverbs)"
check "insmod pinrxe_kverbs" insmod "$KVERBS_KO"
for pair in "pinrxe0 pinrxe1" "pinrxe1 pinrxe0"; do
	rc=0
	echo "$pair" >/sys/module/pinrxe_kverbs/parameters/run || rc=$?
	cat /sys/module/pinrxe_kverbs/parameters/log
	check "every kernel verbs check passed ($pair)" \
		bash -c "[ $rc = 0 ] && ! grep -q FAIL /sys/module/pinrxe_kverbs/parameters/log"
done
check "rmmod pinrxe_kverbs" rmmod pinrxe_kverbs
check "the consumer left nothing behind" bash -c \
	"! rdma res show qp | grep -q 'comm \[pinrxe_kverbs\]' &&
	 ! rdma res show mr | grep -q 'comm \[pinrxe_kverbs\]'"

step "rping between pinrxe and rdma_rxe"
# rdma_rxe binds UDP 4791 in this namespace: pinrxe0 goes first.
check "rdma link del pinrxe0" rdma link del pinrxe0
check "modprobe rdma_rxe" modprobe rdma_rxe
check "rdma link add rxe0" rdma link add rxe0 type rxe netdev veth0
check "rxe0 has its RoCEv2 GID" \
	wait_until 20 has_gid rxe0 "$(gid_of 192.0.2.1)"
check "rping -V -C 10, rxe client, pinrxe server" rping_pair peer - 192.0.2.2
check "rping -V -C 10, pinrxe client, rxe server" rping_pair - peer 192.0.2.1
check "ucmatose, rxe client, pinrxe server" cm_pair 7471 peer - "ucmatose" \
	"ucmatose -s 192.0.2.2"
check "pinrxe1 dropped nothing rxe sent for want of a QP or a key" \
	no_gsi_drops peer pinrxe1

step "module unload with rdma_cm listeners on a pinrxe device"
ip netns exec peer rping -s -a 192.0.2.2 -P >/tmp/rping_listen.log 2>&1 &
l1=$!
ip netns exec peer ucmatose >/tmp/ucmatose_listen.log 2>&1 &
l2=$!
check "rping listens" wait_until 60 cm_listening 7174
check "ucmatose listens" wait_until 60 cm_listening 7471
check "rmmod pinrxe completes" timeout $((60 * TSCALE)) rmmod pinrxe
check "pinrxe1 is gone" ib_gone pinrxe1
check "rxe0 is still there" ib_exists rxe0
kill "$l1" "$l2" 2>/dev/null || true
wait "$l1" "$l2" 2>/dev/null || true
check "no rdma_cm id of a pinrxe device left" bash -c \
	'! rdma res show cm_id | grep -q pinrxe'
