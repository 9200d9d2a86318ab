# Queue pairs, shared receive queues and address handles as objects,
# through tests/qp/qp_test.c: creation with
# their caps and limits, the IBA state machine and attribute checks of
# modify_qp and query_qp, posting rules, the flush of outstanding WRs on
# ERR, asynchronous events, SRQ limits with WQEs taken by the kernel
# (tests/kmod/srqtake), AHs, EBUSY for objects in use, corrupt rings,
# ERR and destroy in the middle of loopback RC traffic,
# rdma-core's QP and AH API tests, and clean teardown when a process
# holding QPs is killed or its device is removed.
. "$RDMAPIN_TOP/tests/lib.sh"

QP_TEST=$RDMAPIN_BUILD/tests/qp_test
SRQTAKE_KO=$RDMAPIN_BUILD/tests/kmod/srqtake/pinrxe_srqtake.ko

# User objects the rdma tool lists for pinrxe0 (those with an owning pid:
# the port has ib_mad's GSI QP too), and rings pinrxe allocated for user
# objects (vmallocinfo names the allocating function; kernel rings have
# their own).  QPs are listed per link (port), SRQs per device.
res_count() {
	local out
	out=$(rdma res show "$1" "$2" pinrxe0) || {
		echo "rdma res show $1 $2 pinrxe0 failed" >&2
		echo error
		return
	}
	grep "$3" <<<"$out" | grep -c ' pid ' || true
}
ring_count() { grep -c pinrxe_queue_init /proc/vmallocinfo || true; }
nothing_left() {
	[ "$(res_count qp link ' lqpn ')" = 0 ] &&
		[ "$(res_count srq dev ' srqn ')" = 0 ] &&
		[ "$(ring_count)" = 0 ]
}
export -f res_count ring_count nothing_left

load_pinrxe
check "load the SRQ taker" insmod "$SRQTAKE_KO"
make_veth veth0 veth1
ip addr add 192.0.2.1/24 dev veth0
ip addr add 192.0.2.2/24 dev veth1
# Both ends live in this namespace, where ARP between them finds the
# sender's address local and stays unanswered: static neighbours give
# ib_core the MACs it resolves paths to (no traffic flows in this test).
ip neigh replace 192.0.2.2 lladdr "$(cat /sys/class/net/veth1/address)" \
	dev veth0 nud permanent
ip neigh replace 192.0.2.1 lladdr "$(cat /sys/class/net/veth0/address)" \
	dev veth1 nud permanent
pinrxe_ready pinrxe0 veth0 192.0.2.1
pinrxe_ready pinrxe1 veth1 192.0.2.2

step "the device advertises its QP, SRQ and AH limits"
info=$(ibv_devinfo -v -d pinrxe0)
for want in "max_qp:[[:space:]]+16384$" "max_qp_wr:[[:space:]]+16384$" \
	"max_sge:[[:space:]]+32$" "max_sge_rd:[[:space:]]+32$" \
	"max_qp_rd_atom:[[:space:]]+128$" "max_qp_init_rd_atom:[[:space:]]+128$" \
	"max_srq:[[:space:]]+4096$" "max_srq_wr:[[:space:]]+16384$" \
	"max_srq_sge:[[:space:]]+32$" "max_ah:[[:space:]]+32768$"; do
	check "ibv_devinfo -v shows /$want/" grep -Eq "$want" <<<"$info"
done

step "QP, SRQ and AH verbs through the provider (tests/qp/qp_test.c)"
check "nothing before" nothing_left
check "qp_test" "$QP_TEST" pinrxe0 pinrxe1 create bad states invalid post \
	flush events srq srqtake ah busy hostile many inflight
check "no QP, no SRQ, no ring after" nothing_left
check "the other device, the other way" "$QP_TEST" pinrxe1 pinrxe0 states \
	flush
check "nothing left on pinrxe1" bash -c \
	'out=$(rdma res show qp link pinrxe1) && ! grep " lqpn " <<<"$out" | grep -q " pid "'

step "rdma-core's QP and AH API tests (tests/test_qp.py, test_addr.py)"
rm -rf /tmp/rdma-core-tests
mkdir -p /tmp/rdma-core-tests
cp -r /usr/share/doc/rdma-core/tests /tmp/rdma-core-tests/
gunzip -f /tmp/rdma-core-tests/tests/*.gz
out=$(cd /tmp/rdma-core-tests &&
	/usr/bin/python3 tests/run_tests.py --dev pinrxe0 -v \
		-k test_qp.QPTest -k test_addr.AHTest 2>&1) ||
	fail "rdma-core QPTest/AHTest: $out"
echo "$out"
# Raw packet QPs are not supported: those five skip, nothing else does.
check "all 29 QPTest and AHTest tests ran and passed" bash -c \
	'grep -q "^Ran 29 tests" <<<"$1" && grep -Eq "^OK \(skipped=5\)$" <<<"$1"' \
	_ "$out"
check "only raw packet tests skipped" bash -c \
	'[ "$(grep -c "skipped .Create Raw Packet QP" <<<"$1")" = 5 ]' _ "$out"
check "nothing left" nothing_left

step "a process killed while holding QPs leaves nothing behind"
rm -f /tmp/held
"$QP_TEST" pinrxe0 pinrxe1 hold 200 /tmp/held >/tmp/hold.log 2>&1 &
holder=$!
check "the holder created 200 QPs" wait_until 120 test -e /tmp/held
check "200 QPs listed" bash -c '[ "$(res_count qp link " lqpn ")" = 200 ]'
check "its SRQ listed" bash -c '[ "$(res_count srq dev " srqn ")" = 1 ]'
# 200 send rings, 150 receive rings (50 QPs use the SRQ), the SRQ's, the CQ's.
check "352 rings allocated" bash -c '[ "$(ring_count)" = 352 ]'
kill -KILL $holder
wait $holder 2>/dev/null || true
check "its QPs, SRQ and rings are gone" wait_until 30 nothing_left

step "removing the device under a process holding QPs"
remove_under_holder pinrxe0 "destroyed 100 QPs" \
	"$QP_TEST" pinrxe0 pinrxe1 hold 100
check "no ring left" bash -c '[ "$(ring_count)" = 0 ]'

step "unload"
check "rdma link del pinrxe1" rdma link del pinrxe1
check "rmmod pinrxe_srqtake" rmmod pinrxe_srqtake
check "rmmod pinrxe" rmmod pinrxe
