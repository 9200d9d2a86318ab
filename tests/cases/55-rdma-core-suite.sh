# rdma-core's own test suite (the pyverbs tests rdma-core installs) on
# pinrxe and, in the same boot, on rdma_rxe as the reference.  pinrxe must
# have no failure and no error, and every test that passes on rdma_rxe must
# pass on pinrxe, except those in the PENDING list below.  XRC, which
# rdma_rxe lacks (its XRC tests skip), must pass on pinrxe all the same.
#
# rdma_rxe and pinrxe cannot both bind UDP 4791 in one network namespace:
# rxe0 sits on veth0 in the initial namespace, pinrxe1 on veth1 in
# namespace "peer", and pinrxe's suite runs there.  rdma_rxe is never
# unloaded (that takes about 50 s in the guest).  Full logs land in the
# case's results directory as suite-{pinrxe,rxe}.{log,out}.
# guest-timeout: 900
. "$RDMAPIN_TOP/tests/lib.sh"

# ---------------------------------------------------------------------
# PENDING, OWNED BY OTHER WORK: tests that need what other branches are
# building right now.  They may fail or be skipped on pinrxe today; the
# case reports each of them, and says when one passes so that it can be
# taken off.  Empty this list as that work is merged.  Nothing else may go
# here.
#
# (The rdma_cm tests, test_rdmacm and test_cm_*, which need the GSI QP,
# are not here: run_tests.py skips them on rdma_rxe and pinrxe alike, as
# neither device has a parent with a net/ directory in sysfs.)
PENDING=(
)
# ---------------------------------------------------------------------

load_rdma_core
modprobe rdma_rxe
insmod "$PINRXE_KO"
make_netns_pair
check "rdma link add rxe0" rdma link add rxe0 type rxe netdev veth0
check "rdma link add pinrxe1 (namespace peer)" \
	ip netns exec peer rdma link add pinrxe1 type pinrxe netdev veth1

step "the suite, unpacked"
suite=/tmp/rtests
rm -rf "$suite"
cp -r /usr/share/doc/rdma-core/tests "$suite"
gunzip -r "$suite"
check "run_tests.py is there" test -f "$suite/run_tests.py"

# run_suite NAME DEV [PREFIX...]: the whole suite on DEV; unittest's -v
# report (stderr) to /tmp/suite-NAME.log, what tests print to .out.
run_suite() {
	local name=$1 dev=$2 start=$SECONDS rc=0
	shift 2
	(cd /tmp && timeout $((400 * TSCALE)) "$@" python3 "$suite/run_tests.py" \
		--dev "$dev" -v >"/tmp/suite-$name.out" 2>"/tmp/suite-$name.log") ||
		rc=$?
	cp "/tmp/suite-$name.log" "/tmp/suite-$name.out" "$RDMAPIN_OUT/" || true
	echo "$name: run_tests.py exited $rc after $((SECONDS - start)) s"
	tail -n 3 "/tmp/suite-$name.log"
}

step "rdma_rxe (rxe0)"
run_suite rxe rxe0
step "pinrxe (pinrxe1, namespace peer)"
run_suite pinrxe pinrxe1 ip netns exec peer

step "results"
check "pinrxe passes what rdma_rxe passes, with no failure or error" \
	python3 "$RDMAPIN_TOP/tests/suite/suite_results.py" --must-pass xrc \
	/tmp/suite-pinrxe.log /tmp/suite-rxe.log "${PENDING[@]}"

rdma statistic show link pinrxe1/1
check "nothing left pinned" test "$(hw_counter pinrxe1 pinned_pages)" = 0
