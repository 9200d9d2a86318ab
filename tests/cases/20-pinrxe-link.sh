# `rdma link add/del` for pinrxe: the device appears bound to its netdev
# with an active port, can be removed and re-created, and two devices on
# the two ends of a veth pair coexist.
. "$RDMAPIN_TOP/tests/lib.sh"

load_pinrxe
make_veth veth0 veth1

step "add"
check "rdma link add pinrxe0" pinrxe_add pinrxe0 veth0
check "rdma link shows pinrxe0 on veth0, ACTIVE" \
	bash -c 'rdma link show pinrxe0/1 | grep -Eq "state ACTIVE physical_state LINK_UP netdev veth0"'
check "rdma dev shows a CA" bash -c 'rdma dev show pinrxe0 | grep -q "node_type ca"'
check "sysfs port state ACTIVE" port_is pinrxe0 ACTIVE
check "ibv_devinfo shows PORT_ACTIVE" \
	bash -c 'ibv_devinfo -d pinrxe0 | grep -q "state:.*PORT_ACTIVE"'
check "ibv_devinfo shows the Ethernet link layer" \
	bash -c 'ibv_devinfo -d pinrxe0 | grep -q "link_layer:.*Ethernet"'
mac=$(cat /sys/class/net/veth0/address)
guid=$(cat /sys/class/infiniband/pinrxe0/node_guid)
# EUI-64: flip the universal/local bit of the first octet, put ff:fe in
# the middle.
IFS=: read -r m0 m1 m2 m3 m4 m5 <<<"$mac"
want=$(printf '%02x%s:%sff:fe%s:%s%s' $((0x$m0 ^ 2)) "$m1" "$m2" "$m3" "$m4" "$m5")
check "node GUID $guid is the EUI-64 of $mac" test "$guid" = "$want"

step "a second device on the peer"
check "rdma link add pinrxe1 on veth1" pinrxe_add pinrxe1 veth1
check "both devices listed" \
	bash -c '[ "$(rdma link | grep -c "^link pinrxe")" = 2 ]'

step "del and re-add"
check "rdma link del pinrxe0" rdma link del pinrxe0
check "pinrxe0 gone from sysfs" wait_until 20 ib_gone pinrxe0
check "pinrxe0 gone from rdma link" bash -c '! rdma link | grep -q pinrxe0'
check "pinrxe1 untouched" port_is pinrxe1 ACTIVE
check "re-add pinrxe0" pinrxe_add pinrxe0 veth0
check "re-added device is active" wait_until 20 port_is pinrxe0 ACTIVE
check "rdma link del both" bash -c 'rdma link del pinrxe0 && rdma link del pinrxe1'
check "no pinrxe device left" bash -c '! ls /sys/class/infiniband | grep -q pinrxe'
check "module unloads" rmmod pinrxe
