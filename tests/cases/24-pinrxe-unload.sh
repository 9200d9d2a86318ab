# Module unload removes every pinrxe device, idle or held open by a
# process, and the module loads again afterwards.
. "$RDMAPIN_TOP/tests/lib.sh"

load_pinrxe
make_veth veth0 veth1
make_veth veth2 veth3
check "three devices" bash -c \
	'rdma link add pinrxe0 type pinrxe netdev veth0 &&
	 rdma link add pinrxe1 type pinrxe netdev veth1 &&
	 rdma link add pinrxe2 type pinrxe netdev veth2'

step "unload with idle devices"
check "rmmod pinrxe" rmmod pinrxe
check "all devices gone" bash -c '! ls /sys/class/infiniband | grep -q pinrxe'
check "netdevs survive" ip link show veth0

step "unload with a device held open"
check "reload" insmod "$PINRXE_KO"
check "rdma link add pinrxe0" pinrxe_add pinrxe0 veth0
events=/tmp/events
stdbuf -oL ibv_asyncwatch -d pinrxe0 >"$events" 2>&1 &
watcher=$!
sleep 1
check "watcher holds pinrxe0 open" kill -0 $watcher
check "rmmod pinrxe completes" timeout $((20 * TSCALE)) rmmod pinrxe
check "device gone" ib_gone pinrxe0
check "the process got DEVICE_FATAL" wait_until 20 grep -q DEVICE_FATAL "$events"
kill $watcher 2>/dev/null || true
wait $watcher 2>/dev/null || true

step "reload after all that"
check "insmod" insmod "$PINRXE_KO"
check "rdma link add works" pinrxe_add pinrxe0 veth0
check "port active" wait_until 20 port_is pinrxe0 ACTIVE
check "final rmmod" rmmod pinrxe
