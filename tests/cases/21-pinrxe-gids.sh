# One RoCEv2 GID per netdev address, link-local IPv6 included, kept in step
# as addresses come and go.
. "$RDMAPIN_TOP/tests/lib.sh"

load_pinrxe
make_veth veth0 veth1
# IPv6 link-local addresses appear once DAD settles; make that immediate.
sysctl -qw net.ipv6.conf.veth0.accept_dad=0
ip link set veth0 down
ip link set veth0 up
ip addr add 192.0.2.1/24 dev veth0
check "rdma link add pinrxe0" pinrxe_add pinrxe0 veth0

ll=$(ip -6 -o addr show dev veth0 scope link | awk '{print $4}' | cut -d/ -f1)
step "GIDs at creation"
check "veth0 has a link-local address ($ll)" test -n "$ll"
check "link-local GID $(gid_of "$ll")" wait_until 20 has_gid pinrxe0 "$(gid_of "$ll")"
check "IPv4 GID for 192.0.2.1" has_gid pinrxe0 "$(gid_of 192.0.2.1)"
check "every GID is RoCE v2" bash -c '! gid_table pinrxe0 | grep -v "RoCE v2$"'

step "addresses added later"
ip addr add 198.51.100.7/24 dev veth0
ip addr add 2001:db8::7/64 dev veth0 nodad
check "GID for an added IPv4 address" wait_until 20 has_gid pinrxe0 "$(gid_of 198.51.100.7)"
check "GID for an added IPv6 address" wait_until 20 has_gid pinrxe0 "$(gid_of 2001:db8::7)"
n=$(gid_table pinrxe0 | wc -l)
addrs=$(ip -o addr show dev veth0 | wc -l)
check "one GID per address ($n GIDs, $addrs addresses)" test "$n" = "$addrs"
check "ibv_devinfo -v lists the IPv4 GID" \
	bash -c 'ibv_devinfo -v -d pinrxe0 | grep -q "::ffff:198.51.100.7, RoCE v2"'

step "addresses removed"
ip addr del 198.51.100.7/24 dev veth0
ip addr del 2001:db8::7/64 dev veth0
check "IPv4 GID removed" wait_until 20 bash -c '! has_gid pinrxe0 "$(gid_of 198.51.100.7)"'
check "IPv6 GID removed" wait_until 20 bash -c '! has_gid pinrxe0 "$(gid_of 2001:db8::7)"'
check "the others stay" has_gid pinrxe0 "$(gid_of 192.0.2.1)"
rdma link del pinrxe0
