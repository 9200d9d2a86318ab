# XRC (IBA annex A14) through tests/xrc/xrc_test.c over loopback traffic
# on one device: XRC domains, XRC SRQs and their numbers, an initiator QP
# sending to two SRQs, RDMA WRITE/READ and atomics checked against the
# PD of the SRQ a request names, invalid request NAKs for bad SRQ
# numbers (counted as xrc_bad_srqn), a target QP opened by a second
# process with ibv_open_qp, EBUSY for domains and CQs in use; then a
# process killed holding XRC objects, and rdma-core's XRC tests (the XRC
# cases of test_qpex, test_atomic, test_cqex, test_relaxed_ordering),
# every one of which must run and pass.
. "$RDMAPIN_TOP/tests/lib.sh"

XRC_TEST=$RDMAPIN_BUILD/tests/xrc_test

res_count() {
	local out
	out=$(rdma res show "$1" "$2" pinrxe0) || { echo error; return; }
	grep "$3" <<<"$out" | grep -c ' pid ' || true
}
nothing_left() {
	[ "$(res_count qp link ' lqpn ')" = 0 ] &&
		[ "$(res_count srq dev ' srqn ')" = 0 ] &&
		! grep -q pinrxe_queue_init /proc/vmallocinfo
}
export -f res_count nothing_left

load_pinrxe
make_veth veth0 veth1
ip addr add 192.0.2.1/24 dev veth0
pinrxe_ready pinrxe0 veth0 192.0.2.1

step "the device advertises XRC"
check "XRC in device_cap_flags" \
	bash -c 'ibv_devinfo -v -d pinrxe0 | grep -qw XRC'

step "XRC traffic and objects (tests/xrc/xrc_test.c)"
bad_before=$(hw_counter pinrxe0 xrc_bad_srqn)
check "xrc_bad_srqn counter exists" test -n "$bad_before"
check "xrc_test" "$XRC_TEST" pinrxe0 send rdma badsrq open busy
check "two bad SRQ numbers counted" \
	bash -c '[ "$(hw_counter pinrxe0 xrc_bad_srqn)" = $(($1 + 2)) ]' _ \
	"$bad_before"
check "no QP, SRQ or ring left" wait_until 10 nothing_left

step "a process killed in the middle of XRC traffic"
"$XRC_TEST" pinrxe0 send rdma open send rdma >/tmp/xrc-kill.log 2>&1 &
pid=$!
sleep 1
kill -KILL $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
# Its second process, if it had started one, dies with the pipe.
check "nothing left after the kill" wait_until 30 nothing_left

step "rdma-core's XRC tests"
rm -rf /tmp/rdma-core-tests
mkdir -p /tmp/rdma-core-tests
cp -r /usr/share/doc/rdma-core/tests /tmp/rdma-core-tests/
gunzip -f /tmp/rdma-core-tests/tests/*.gz
# test_odp's XRC case needs ODP as well, which is other work's.
out=$(cd /tmp/rdma-core-tests && /usr/bin/python3 tests/run_tests.py \
	--dev pinrxe0 -v -k xrc tests.test_qpex tests.test_atomic \
	tests.test_cqex tests.test_relaxed_ordering 2>&1) ||
	fail "rdma-core XRC tests: $out"
echo "$out"
check "rdma-core's 6 XRC tests ran and passed, none skipped" bash -c \
	'grep -q "^Ran 6 tests" <<<"$1" && grep -Eq "^OK$" <<<"$1"' _ "$out"
check "no QP, SRQ or ring left" wait_until 30 nothing_left

step "unload"
check "rmmod pinrxe" rmmod pinrxe
