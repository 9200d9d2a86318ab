# Memory windows of types 1 and 2B, LOCAL_INV and SEND_WITH_INV, through
# tests/mw/mw_test.c over loopback RC traffic on one device: binds and
# the IBTA checks on them, remote WRITE/READ/atomics through windows and
# accesses outside them, atomic writes through windows (completions on
# an extended CQ), invalidation by LOCAL_INV and by SEND_WITH_INV
# (with the invalidated rkey in the receive completion), the class J
# error of an rkey that cannot be invalidated, deallocation of bound
# windows, MRs that refuse dereg while windows are bound; then the
# teardown of a process, and of a device, with windows still bound; and
# rdma-core's own memory window tests (tests/test_mr.py MWTest) and
# extended CQ tests (tests/test_cqex.py).
. "$RDMAPIN_TOP/tests/lib.sh"

MW_TEST=$RDMAPIN_BUILD/tests/mw_test

mr_count() {
	local out
	out=$(rdma res show mr dev "$1") || { echo error; return; }
	grep -c " mrn " <<<"$out" || true
}
export -f mr_count

load_pinrxe
make_veth veth0 veth1
ip addr add 192.0.2.1/24 dev veth0
pinrxe_ready pinrxe0 veth0 192.0.2.1

step "the device advertises memory windows"
info=$(ibv_devinfo -v -d pinrxe0)
check "max_mw 65536" grep -Eq "max_mw:[[:space:]]+65536$" <<<"$info"
check "MEM_WINDOW in device_cap_flags" grep -qw "MEM_WINDOW" <<<"$info"
check "MEM_WINDOW_TYPE_2B in device_cap_flags" \
	grep -qw "MEM_WINDOW_TYPE_2B" <<<"$info"

step "memory windows, LOCAL_INV and SEND_WITH_INV (tests/mw/mw_test.c)"
check "mw_test" "$MW_TEST" pinrxe0 caps type1 type2 outside binderr \
	localinv fence sendinv sendinv1 dealloc dereg wrapi cqex atomicw raw
check "no MR left" bash -c '[ "$(mr_count pinrxe0)" = 0 ]'
check "nothing left pinned" bash -c '[ "$(hw_counter pinrxe0 pinned_pages)" = 0 ]'

step "a process exits with windows bound to its MRs"
check "mw_test exit" "$MW_TEST" pinrxe0 exit
check "its MRs are deregistered" wait_until 30 \
	bash -c '[ "$(mr_count pinrxe0)" = 0 ]'
check "nothing left pinned" bash -c '[ "$(hw_counter pinrxe0 pinned_pages)" = 0 ]'

step "a process killed with windows bound"
rm -f /tmp/held
"$MW_TEST" pinrxe0 hold /tmp/held >/tmp/hold.log 2>&1 &
holder=$!
check "the holder bound its windows" wait_until 60 test -e /tmp/held
kill -KILL $holder
wait $holder 2>/dev/null || true
check "its MRs are deregistered" wait_until 30 \
	bash -c '[ "$(mr_count pinrxe0)" = 0 ]'
check "nothing left pinned" bash -c '[ "$(hw_counter pinrxe0 pinned_pages)" = 0 ]'

step "rdma-core's memory window and extended CQ tests"
rm -rf /tmp/rdma-core-tests
mkdir -p /tmp/rdma-core-tests
cp -r /usr/share/doc/rdma-core/tests /tmp/rdma-core-tests/
gunzip -f /tmp/rdma-core-tests/tests/*.gz
rdma_core_tests() {
	(cd /tmp/rdma-core-tests &&
		/usr/bin/python3 tests/run_tests.py --dev pinrxe0 -v "$@" 2>&1)
}
out=$(rdma_core_tests -k test_mr.MWTest) || fail "rdma-core MWTest: $out"
echo "$out"
check "all 7 MWTest tests ran and passed, none skipped" bash -c \
	'grep -q "^Ran 7 tests" <<<"$1" && grep -Eq "^OK$" <<<"$1"' _ "$out"
# Extended CQs (ibv_wc_read_invalidated_rkey() is theirs), XRC's too.
out=$(rdma_core_tests tests.test_cqex) || fail "rdma-core test_cqex: $out"
echo "$out"
check "all 5 test_cqex tests ran and passed, none skipped" bash -c \
	'grep -q "^Ran 5 tests" <<<"$1" && grep -Eq "^OK$" <<<"$1"' \
	_ "$out"
check "no MR left" bash -c '[ "$(mr_count pinrxe0)" = 0 ]'

step "removing the device under a process with windows bound"
remove_under_holder pinrxe0 "device fatal with windows bound" \
	"$MW_TEST" pinrxe0 hold

step "unload"
check "rmmod pinrxe" rmmod pinrxe
