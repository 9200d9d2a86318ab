# Deleting the netdev under a live device removes the device, even while a
# process holds it open: the process is told (IBV_EVENT_DEVICE_FATAL) and
# the netdev is freed (no "waiting for veth0 to become free").
. "$RDMAPIN_TOP/tests/lib.sh"

load_pinrxe
make_veth veth0 veth1
check "rdma link add pinrxe0" pinrxe_add pinrxe0 veth0

step "idle device"
ip link del veth0
check "pinrxe0 removed with its netdev" wait_until 10 ib_gone pinrxe0
check "rdma link no longer lists it" bash -c '! rdma link | grep -q pinrxe0'

step "device held open by a process"
make_veth veth0 veth1
check "rdma link add pinrxe0 again" pinrxe_add pinrxe0 veth0
events=/tmp/events
stdbuf -oL ibv_asyncwatch -d pinrxe0 >"$events" 2>&1 &
watcher=$!
sleep 1
check "watcher holds pinrxe0 open" kill -0 $watcher
check "netdev deletion completes" timeout $((20 * TSCALE)) ip link del veth0
check "pinrxe0 removed" wait_until 10 ib_gone pinrxe0
check "the process got DEVICE_FATAL" wait_until 20 grep -q DEVICE_FATAL "$events"
kill $watcher 2>/dev/null || true
wait $watcher 2>/dev/null || true

step "clean afterwards"
check "module unloads" rmmod pinrxe
check "no device left" bash -c '[ -z "$(ls /sys/class/infiniband)" ]'
