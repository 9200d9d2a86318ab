# The demo, guest side (see tests/demo.sh).
. "$RDMAPIN_TOP/tests/lib.sh"

show() {
	echo
	echo "\$ $*"
	"$@"
}

load_pinrxe
make_veth veth0 veth1
ip addr add 192.0.2.1/24 dev veth0
ip addr add 192.0.2.2/24 dev veth1
echo "guest kernel $(uname -r); pinrxe.ko from $PINRXE_KO"
show rdma link add pinrxe0 type pinrxe netdev veth0
show rdma link add pinrxe1 type pinrxe netdev veth1
show rdma link
show ibv_devices
show ibv_devinfo -d pinrxe0
show "$EXAMPLES/pinrxe_info" pinrxe0
echo
echo "# the port follows the netdev's carrier:"
show ip link set veth1 down
wait_until 5 port_is pinrxe0 DOWN
show rdma link show pinrxe0/1
show ip link set veth1 up
wait_until 5 port_is pinrxe0 ACTIVE
show rdma link show pinrxe0/1
show rdma link del pinrxe1
show ip link del veth0
wait_until 10 ib_gone pinrxe0
show rdma link
show rmmod pinrxe
echo
echo "# kernel log:"
dmesg | grep pinrxe
