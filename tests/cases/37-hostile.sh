# guest-timeout: 900
# A hostile process (issue 7, "Userspace" and "Limits"), through
# tests/hostile/hostile_test.c over loopback traffic on one device:
#  - bad work requests on RC, UC and UD complete with their exact status
#    (or ibv_post_send refuses them with EINVAL), the QP ends in the state
#    the IBA says, and a verified stream on another QP pair goes on;
#  - thousands of iterations (seeded, the seed printed) of garbage written
#    straight into the mmap'd send, receive and SRQ rings and their
#    indices, and into CQ consumer indices, doorbells rung: the memory
#    around the MR is never touched, verified streams in this process and
#    in another one stay correct, and nothing is left afterwards;
#  - max_qp, max_cq, max_mr and max_srq, loaded small through the module
#    parameters, are what ibv_devinfo shows and what is enforced (ENOMEM
#    one past the limit);
#  - a CQ overrun by real traffic raises IBV_EVENT_CQ_ERR and takes the QP
#    that lost a completion to ERR with IBV_EVENT_QP_FATAL;
#  - the SRQ limit event from real sends (34-qp proves it with WQEs taken
#    by its test module, tests/kmod/srqtake).
# Covered elsewhere and not repeated: corrupt QP ring indices through
# ERR/RESET/destroy and a 1000-SGE SRQ WQE (34-qp, qp_test hostile and
# srqtake), a scribbled CQ ring (31-cq, cq_test hostile), the full-queue
# ENOMEM and flush rules (34-qp, qp_test post and flush).
. "$RDMAPIN_TOP/tests/lib.sh"

HOSTILE=$RDMAPIN_BUILD/tests/hostile_test
ITERATIONS=${RDMAPIN_HOSTILE_ITERATIONS:-2500}
SEED=${RDMAPIN_HOSTILE_SEED:-37}

# User objects the rdma tool lists for pinrxe0 (with an owning pid), and
# rings pinrxe allocated for user objects.
res_count() {
	local out
	out=$(rdma res show "$1" "$2" "$3") || {
		echo error
		return
	}
	grep "$4" <<<"$out" | grep -c ' pid ' || true
}
ring_count() { grep -c pinrxe_queue_init /proc/vmallocinfo || true; }
nothing_left() {
	[ "$(res_count qp link pinrxe0/1 ' lqpn ')" = 0 ] &&
		[ "$(res_count cq dev pinrxe0 ' cqn ')" = 0 ] &&
		[ "$(res_count mr dev pinrxe0 ' mrn ')" = 0 ] &&
		[ "$(res_count srq dev pinrxe0 ' srqn ')" = 0 ] &&
		[ "$(ring_count)" = 0 ] &&
		[ "$(hw_counter pinrxe0 pinned_pages)" = 0 ]
}
export -f res_count ring_count nothing_left

load_rdma_core
check "load pinrxe with small object limits" \
	insmod "$PINRXE_KO" max_qp=40 max_cq=48 max_mr=56 max_srq=12
check "the limits are the module's parameters" bash -c \
	'[ "$(cat /sys/module/pinrxe/parameters/max_qp)" = 40 ] &&
	 [ "$(cat /sys/module/pinrxe/parameters/max_srq)" = 12 ]'
make_veth veth0 veth1
ip addr add 192.0.2.1/24 dev veth0
pinrxe_ready pinrxe0 veth0 192.0.2.1

step "the device advertises the limits it was loaded with"
info=$(ibv_devinfo -v -d pinrxe0)
for want in "max_qp:[[:space:]]+40$" "max_cq:[[:space:]]+48$" \
	"max_mr:[[:space:]]+56$" "max_srq:[[:space:]]+12$"; do
	check "ibv_devinfo -v shows /$want/" grep -Eq "$want" <<<"$info"
done
check "nothing before" nothing_left

step "bad work requests (hostile_test badwr)"
check "hostile_test badwr" "$HOSTILE" pinrxe0 badwr
check "nothing left" wait_until 20 nothing_left

step "limits enforced as advertised; CQ overrun; SRQ limit"
check "hostile_test limits overrun srqlimit" \
	"$HOSTILE" pinrxe0 limits overrun srqlimit
check "nothing left" wait_until 20 nothing_left

step "ring fuzz: $ITERATIONS iterations, seed $SEED, another process streaming"
rm -f /tmp/stream.stop
"$HOSTILE" pinrxe0 stream /tmp/stream.stop >/tmp/stream.log 2>&1 &
streamer=$!
check "hostile_test fuzz" "$HOSTILE" pinrxe0 fuzz "$ITERATIONS" "$SEED"
touch /tmp/stream.stop
rc=0
wait "$streamer" || rc=$?
cat /tmp/stream.log
check "the other process's stream stayed correct" test "$rc" = 0
check "nothing left" wait_until 20 nothing_left

step "unload"
check "rdma link del pinrxe0" rdma link del pinrxe0
check "rmmod pinrxe" rmmod pinrxe
