# Sourced by the benchmark guest script.  self_pair NS A B IPA IPB: a veth
# pair with both ends in one network namespace (NS, or "" for the initial
# one), addressed IPA/IPB, whose traffic between IPA and IPB really crosses
# the veth instead of short-cutting through loopback as traffic between
# two local addresses normally does.  rdma_rxe in 6.12 only receives in
# the initial namespace, so two rxe devices can only talk there, over a
# pair like this one; the pinrxe pair gets the same topology in its own
# namespace, so that both devices do the same work per packet.
self_pair() {
	local ns=$1 a=$2 b=$3 ipa=$4 ipb=$5 nsx=()
	[ -n "$ns" ] && nsx=(ip netns exec "$ns")
	modprobe veth
	if [ -n "$ns" ]; then
		ip netns add "$ns"
		ip link add "$a" netns "$ns" type veth peer name "$b" netns "$ns"
	else
		ip link add "$a" type veth peer name "$b"
	fi
	"${nsx[@]}" bash -e -s "$a" "$b" "$ipa" "$ipb" <<'SH'
a=$1 b=$2 ipa=$3 ipb=$4
ip link set lo up
ip addr add "$ipa/32" dev "$a"
ip addr add "$ipb/32" dev "$b"
ip link set "$a" up
ip link set "$b" up
# A packet from one local address to another arrives on the other veth
# end: accept it and do not reverse-path filter it.
for d in all "$a" "$b"; do
	sysctl -qw "net.ipv4.conf.$d.accept_local=1" "net.ipv4.conf.$d.rp_filter=0"
done
# Locally sent packets between the two addresses are routed out of the
# veth (rules before the local table); received ones still hit "local".
ip rule add pref 1000 lookup local
ip rule del pref 0
ip rule add pref 100 iif lo from "$ipa" to "$ipb" lookup 100
ip rule add pref 101 iif lo from "$ipb" to "$ipa" lookup 101
ip route add "$ipb" dev "$a" src "$ipa" table 100
ip route add "$ipa" dev "$b" src "$ipb" table 101
ip neigh replace "$ipb" lladdr "$(cat /sys/class/net/$b/address)" dev "$a" nud permanent
ip neigh replace "$ipa" lladdr "$(cat /sys/class/net/$a/address)" dev "$b" nud permanent
SH
}
