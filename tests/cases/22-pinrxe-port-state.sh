# The port follows the netdev: carrier loss (peer down) and admin down make
# it DOWN, recovery makes it ACTIVE, and each transition reaches userspace
# as an async event.
. "$RDMAPIN_TOP/tests/lib.sh"

load_pinrxe
make_veth veth0 veth1
check "rdma link add pinrxe0" pinrxe_add pinrxe0 veth0
events=/tmp/events
stdbuf -oL ibv_asyncwatch -d pinrxe0 >"$events" 2>&1 &
watcher=$!
sleep 1
check "event watcher opened the device" kill -0 $watcher

step "carrier"
ip link set veth1 down
check "peer down: port DOWN" wait_until 20 port_is pinrxe0 DOWN
check "ibv_devinfo agrees" bash -c 'ibv_devinfo -d pinrxe0 | grep -q "state:.*PORT_DOWN"'
check "PORT_ERR event delivered" wait_until 20 grep -q PORT_ERR "$events"
ip link set veth1 up
check "peer up: port ACTIVE" wait_until 20 port_is pinrxe0 ACTIVE
check "PORT_ACTIVE event delivered" wait_until 20 grep -q PORT_ACTIVE "$events"

step "admin state"
ip link set veth0 down
check "own link down: port DOWN" wait_until 20 port_is pinrxe0 DOWN
check "physical state disabled" bash -c 'grep -q Disabled /sys/class/infiniband/pinrxe0/ports/1/phys_state'
ip link set veth0 up
check "own link up: port ACTIVE" wait_until 20 port_is pinrxe0 ACTIVE
check "one event per transition (2 ERR, 2 ACTIVE)" bash -c \
	'[ "$(grep -c PORT_ERR '"$events"')" = 2 ] && [ "$(grep -c PORT_ACTIVE '"$events"')" = 2 ]'

step "MTU"
ip link set veth0 mtu 9000
ip link set veth1 mtu 9000
check "MTU 9000 gives active_mtu 4096" \
	bash -c 'ibv_devinfo -d pinrxe0 | grep -q "active_mtu:.*4096"'
ip link set veth0 mtu 1500
check "MTU 1500 gives active_mtu 1024" \
	bash -c 'ibv_devinfo -d pinrxe0 | grep -q "active_mtu:.*1024"'
kill $watcher
wait $watcher 2>/dev/null || true
rdma link del pinrxe0
