# Completion queues: create/destroy at many sizes, bad arguments, resize,
# polling from the mapped ring, notification and completion channels,
# max_cq, overrun, a hostile process scribbling on its ring (tests/cq),
# rdma-core's own CQ API tests, and clean teardown when a process holding
# CQs is killed or its device is removed.  Completions come from the test
# module pinrxe_cqinject.ko until the data path exists.
. "$RDMAPIN_TOP/tests/lib.sh"

CQ_TEST=$RDMAPIN_BUILD/tests/cq_test
CQINJECT_KO=$RDMAPIN_BUILD/tests/kmod/cqinject/pinrxe_cqinject.ko

# User CQs the rdma tool lists for pinrxe0 (those with an owning pid: the
# device has a kernel CQ too, ib_mad's), and ring buffers allocated by
# pinrxe for user CQs and QPs (vmallocinfo names the allocating function;
# kernel rings have their own).
cq_count() { rdma res show cq dev pinrxe0 | grep ' cqn ' | grep -c ' pid ' || true; }
ring_count() { grep -c pinrxe_queue_init /proc/vmallocinfo || true; }
no_cqs_left() { [ "$(cq_count)" = 0 ] && [ "$(ring_count)" = 0 ]; }
export -f cq_count ring_count no_cqs_left

load_pinrxe
check "load the completion injector" insmod "$CQINJECT_KO"
make_veth veth0 veth1
ip addr add 192.0.2.1/24 dev veth0
check "rdma link add pinrxe0" pinrxe_add pinrxe0 veth0

step "the device advertises its CQ limits"
info=$(ibv_devinfo -v -d pinrxe0)
check "max_cq 16384" grep -Eq 'max_cq:[[:space:]]+16384$' <<<"$info"
check "max_cqe 65536" grep -Eq 'max_cqe:[[:space:]]+65536$' <<<"$info"

step "CQ verbs through the provider (tests/cq/cq_test.c)"
check "no CQ and no ring before" no_cqs_left
check "cq_test" "$CQ_TEST" pinrxe0 sizes bad resize empty notify channel \
	many inject_poll ex_poll wrap events resize_keep overrun hostile
check "no CQ and no ring after" no_cqs_left

step "rdma-core's CQ API tests (tests/test_cq.py)"
rm -rf /tmp/rdma-core-tests
mkdir -p /tmp/rdma-core-tests
cp -r /usr/share/doc/rdma-core/tests /tmp/rdma-core-tests/
gunzip -f /tmp/rdma-core-tests/tests/*.gz
out=$(cd /tmp/rdma-core-tests &&
	/usr/bin/python3 tests/run_tests.py --dev pinrxe0 -v -k CQAPITest 2>&1) ||
	fail "rdma-core CQAPITest: $out"
echo "$out"
check "all 3 CQAPITest tests ran and passed, none skipped" bash -c \
	'grep -q "^Ran 3 tests" <<<"$1" && grep -qx OK <<<"$1"' _ "$out"
check "no CQ and no ring after" no_cqs_left

step "a process killed while holding CQs leaves nothing behind"
rm -f /tmp/held
"$CQ_TEST" pinrxe0 hold 300 /tmp/held >/tmp/hold.log 2>&1 &
holder=$!
check "the holder created 300 CQs" wait_until 120 test -e /tmp/held
check "300 CQs listed" bash -c '[ "$(cq_count)" = 300 ]'
check "300 rings allocated" bash -c '[ "$(ring_count)" = 300 ]'
# Armed CQs with pending completions and events, on and off a channel.
for cqn in $(rdma res show cq dev pinrxe0 | grep ' pid ' |
	sed -n 's/.* cqn \([0-9]*\) .*/\1/p' | head -n 20); do
	echo "pinrxe0 $cqn 1 1 $cqn" >/sys/module/pinrxe_cqinject/parameters/post ||
		fail "inject into held CQ $cqn"
done
pass "completions posted to 20 of them"
kill -KILL $holder
wait $holder 2>/dev/null || true
check "its CQs and rings are gone" wait_until 20 no_cqs_left

step "removing the device under a process holding CQs"
remove_under_holder pinrxe0 "destroyed 100 CQs" "$CQ_TEST" pinrxe0 hold 100
check "no ring left" bash -c '[ "$(ring_count)" = 0 ]'

step "unload"
check "rmmod pinrxe_cqinject" rmmod pinrxe_cqinject
check "rmmod pinrxe" rmmod pinrxe
