# Stock rdma_rxe in the guest: proves the guest's RDMA stack (ib_core,
# uverbs, libibverbs with Debian's providers) works before pinrxe is judged
# on it, and is the reference pinrxe is compared with later.
. "$RDMAPIN_TOP/tests/lib.sh"
unset RDMAV_DRIVERS

load_rdma_core
modprobe rdma_rxe
make_veth veth0 veth1
ip addr add 192.0.2.1/24 dev veth0

step "rxe device"
check "rdma link add rxe0" rdma link add rxe0 type rxe netdev veth0
check "rxe0 is in rdma link" bash -c 'rdma link show rxe0/1 | grep -q "netdev veth0"'
check "port becomes active" wait_until 10 port_is rxe0 ACTIVE
check "ibv_devices lists rxe0" bash -c 'ibv_devices | grep -qw rxe0'
check "ibv_devinfo shows PORT_ACTIVE" \
	bash -c 'ibv_devinfo -d rxe0 | grep -q "state:.*PORT_ACTIVE"'
check "IPv4 GID present" has_gid rxe0 "$(gid_of 192.0.2.1)"

step "teardown"
check "rdma link del rxe0" rdma link del rxe0
check "rxe0 is gone" wait_until 5 ib_gone rxe0
