# `rdma link add` mistakes fail with a clear error and leave nothing behind:
# no device, no module reference, the existing device untouched.
. "$RDMAPIN_TOP/tests/lib.sh"

load_pinrxe
make_veth veth0 veth1
make_veth veth2 veth3
check "rdma link add pinrxe0" pinrxe_add pinrxe0 veth0
before=$(ib_devices)

step "bad requests"
check_fails "missing netdev" "No such device" \
	rdma link add pinrxe1 type pinrxe netdev nosuchdev
check_fails "duplicate device name" "File exists" \
	rdma link add pinrxe0 type pinrxe netdev veth1
check_fails "netdev already bound" "File exists" \
	rdma link add pinrxe1 type pinrxe netdev veth0
check_fails "non-Ethernet netdev" "Invalid argument" \
	rdma link add pinrxe1 type pinrxe netdev lo
check_fails "name the provider cannot match" "Invalid argument" \
	rdma link add foo0 type pinrxe netdev veth1
check "the kernel log says why" bash -c \
	'dmesg | grep -q "pinrxe: an RDMA device named pinrxe0 already exists" &&
	 dmesg | grep -q "pinrxe: veth0 already has a pinrxe device" &&
	 dmesg | grep -q "pinrxe: lo is not an Ethernet device" &&
	 dmesg | grep -q "pinrxe: device name foo0 must start with"'

step "nothing left behind"
check "device set unchanged" test "$(ib_devices)" = "$before"
check "pinrxe0 still active" port_is pinrxe0 ACTIVE
check "rdma link lists only pinrxe0" \
	bash -c '[ "$(rdma link | grep -c "^link pinrxe")" = 1 ]'
check "veth1 free for a good request" pinrxe_add pinrxe1 veth1
check "rdma link del" bash -c 'rdma link del pinrxe0 && rdma link del pinrxe1'

step "a name taken by another driver's device"
# Only now can rdma_rxe load: until the last pinrxe device of the namespace
# is gone, pinrxe holds the RoCEv2 UDP port that rdma_rxe binds at load.
check "rdma_rxe loads" modprobe rdma_rxe
rdma link add pinrxe9 type rxe netdev veth1
check_fails "name taken by another driver's device" "File exists" \
	rdma link add pinrxe9 type pinrxe netdev veth2
rdma link del pinrxe9
check "the kernel log says why" bash -c \
	'dmesg | grep -q "pinrxe: an RDMA device named pinrxe9 already exists"'
check "module holds no reference" \
	bash -c '[ "$(cat /sys/module/pinrxe/refcnt)" = 0 ]'
check "module unloads" rmmod pinrxe
