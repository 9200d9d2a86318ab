# Object lifetimes under traffic between pinrxe0 (initial namespace) and
# pinrxe1 (namespace peer), through tests/life/life_test.c:
#  1. the victim deregisters a pinned or an ODP MR, destroys its QP, or its
#     QP and CQ (after EBUSY for the CQ alone), while the peer's RDMA WRITE,
#     READ or SEND stream targets it; and deregisters its own MR under its
#     own READs and WRITEs: the peer fails, nothing hangs, and nothing
#     writes the victim's buffer after the object is gone;
#  2. 100 processes moving data (writer, reader, sender, target; pinned or
#     ODP) killed with SIGKILL after a random delay (seed printed;
#     LIFE_SEED=N repeats a run);
#  3. with traffic running: `rdma link del`, removal of the netdev, and
#     `rmmod pinrxe`, which disassociates the open contexts (pinrxe has
#     disassociate_ucontext, so ib_uverbs holds no module reference);
#  4. after each part: FOLL_PIN pins back to where they were, no pinned
#     page and no ODP MR (notifier) left, no user QP/MR/CQ/PD in `rdma
#     resource`, no ring in vmallocinfo, pinrxe's slab caches (if it has
#     any) back to their counts; finally the module unloads.
. "$RDMAPIN_TOP/tests/lib.sh"

LIFE=$RDMAPIN_BUILD/tests/life_test
SEED=${LIFE_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}

# rdma resource listing of DEV (NS: the namespace to ask from, or empty)
# for TYPE, only the objects a process owns (kernel ones have no pid).
user_res() {	# TYPE DEV NS
	local out where=dev
	[ "$1" = qp ] && where=link	# QPs are listed per port
	out=$(${3:+ip netns exec $3} rdma res show "$1" "$where" "$2") ||
		{ echo "rdma res show $1 $where $2 failed"; return; }
	grep ' pid ' <<<"$out" || true
}
# Rings pinrxe allocates for user QPs, SRQs and CQs (as case 34 counts).
ring_count() { grep -c pinrxe_queue_init /proc/vmallocinfo || true; }
no_ring() { [ "$(ring_count)" = 0 ]; }
# pinrxe's own slab caches with their active object counts.
pinrxe_slabs() { awk '/^pinrxe/ {print $1, $2}' /proc/slabinfo; }

devices_up() {
	check "rdma link add pinrxe0" pinrxe_add pinrxe0 veth0
	check "rdma link add pinrxe1 (namespace peer)" \
		ip netns exec peer rdma link add pinrxe1 type pinrxe netdev veth1
	check "pinrxe0 has its GID" \
		wait_until 30 has_gid pinrxe0 "$(gid_of 192.0.2.1)"
	check "pinrxe1 has its GID" \
		wait_until 30 has_gid pinrxe1 "$(gid_of 192.0.2.2)"
}

nothing_left_on() {	# DEV NS
	local t left
	for t in qp mr cq pd; do
		left=$(user_res "$t" "$1" "$2")
		[ -z "$left" ] || { echo "$1: $t left: $left"; return 1; }
	done
	[ "$(hw_counter "$1" pinned_pages)" = 0 ] ||
		{ echo "$1: pinned_pages $(hw_counter "$1" pinned_pages)"; return 1; }
	[ "$(hw_counter "$1" odp_mrs_live)" = 0 ] ||
		{ echo "$1: odp_mrs_live $(hw_counter "$1" odp_mrs_live)"; return 1; }
}

# leak_checks WHAT: after part WHAT, nothing of it is left.
leak_checks() {
	local dev
	check "$1: as many FOLL_PIN pins held as at the start ($held0)" \
		wait_until 30 bash -c "[ \"\$(pins_held)\" = $held0 ]"
	for dev in pinrxe0 pinrxe1; do
		ib_exists "$dev" || continue
		check "$1: $dev: no user QP/MR/CQ/PD, no pinned page, no ODP MR" \
			wait_until 30 nothing_left_on "$dev" \
			"$([ "$dev" = pinrxe1 ] && echo peer)"
	done
	check "$1: no ring left" wait_until 30 no_ring
	check "$1: pinrxe slab caches as at the start" \
		test "$(pinrxe_slabs)" = "$slabs0"
}

# stream_start: life_test streams WRITE, READ (ODP) and SEND both ways
# until a device goes; returns once the traffic is under way.
stream_start() {
	rm -f /tmp/streaming
	"$LIFE" pinrxe0 pinrxe1 stream /tmp/streaming >/tmp/stream.log 2>&1 &
	streamer=$!
	wait_until 120 test -e /tmp/streaming ||
		{ cat /tmp/stream.log; fail "the stream did not get going"; }
	pass "traffic under way"
}

# stream_end: the streamer saw its device go, destroyed everything, exited.
stream_end() {
	local rc=0
	timeout $((60 * TSCALE)) tail --pid="$streamer" -f /dev/null ||
		fail "the streamer did not stop within 60 s of the removal"
	wait "$streamer" || rc=$?
	cat /tmp/stream.log
	check "the streamer destroyed everything and exited cleanly" \
		test "$rc" = 0
	check "it stopped on DEVICE_FATAL" grep -q DEVICE_FATAL /tmp/stream.log
}

load_pinrxe
make_netns_pair
devices_up
held0=$(pins_quiescent)
slabs0=$(pinrxe_slabs)
echo "FOLL_PIN pins held at the start: $held0; pinrxe slab caches: ${slabs0:-none}"
# life_test's output goes to tmpfs: live output to the 9p results share
# would take transient pins and blur the system-wide counts it checks.

step "1. objects go while the peer's traffic targets them"
rc=0
"$LIFE" pinrxe0 pinrxe1 mr odp qp cq initiator >/tmp/life.log 2>&1 || rc=$?
cat /tmp/life.log
check "life_test mr odp qp cq initiator" test "$rc" = 0
leak_checks "part 1"

step "2. SIGKILL at random moments, 100 times (seed $SEED)"
rc=0
"$LIFE" pinrxe0 pinrxe1 kill 100 "$SEED" >/tmp/kill.log 2>&1 || rc=$?
cat /tmp/kill.log
check "life_test kill 100 $SEED" test "$rc" = 0
for role in writer reader sender target; do
	check "some $role was killed" grep -q " $role, SIGKILL" /tmp/kill.log
done
leak_checks "part 2"

step "3a. rdma link del pinrxe0 under traffic"
stream_start
check "rdma link del pinrxe0" timeout $((60 * TSCALE)) rdma link del pinrxe0
check "pinrxe0 gone" ib_gone pinrxe0
stream_end
leak_checks "part 3a"
check "rdma link add pinrxe0 again" pinrxe_add pinrxe0 veth0
check "pinrxe0 has its GID" wait_until 30 has_gid pinrxe0 "$(gid_of 192.0.2.1)"

step "3b. the netdev goes under traffic (ip link del veth0)"
stream_start
check "ip link del veth0" timeout $((60 * TSCALE)) ip link del veth0
check "both devices gone" wait_until 60 bash -c 'ib_gone pinrxe0 && ib_gone pinrxe1'
stream_end
leak_checks "part 3b"
ip link add veth0 type veth peer name veth1 netns peer
ip addr add 192.0.2.1/24 dev veth0
ip -n peer addr add 192.0.2.2/24 dev veth1
ip link set veth0 up
ip -n peer link set veth1 up
devices_up

step "3c. rmmod pinrxe under traffic: open contexts are disassociated"
stream_start
check "rmmod pinrxe completes with the streamer's contexts open" \
	timeout $((60 * TSCALE)) rmmod pinrxe
check "both devices gone" bash -c 'ib_gone pinrxe0 && ib_gone pinrxe1'
stream_end
leak_checks "part 3c"

step "4. reload, and a clean unload with nothing running"
check "insmod" insmod "$PINRXE_KO"
devices_up
rc=0
"$LIFE" pinrxe0 pinrxe1 qp >/tmp/life.log 2>&1 || rc=$?
cat /tmp/life.log
check "traffic works after all that (life_test qp)" test "$rc" = 0
leak_checks "part 4"
check "rdma link del pinrxe0" rdma link del pinrxe0
check "rdma link del pinrxe1" ip netns exec peer rdma link del pinrxe1
check "rmmod pinrxe" rmmod pinrxe
