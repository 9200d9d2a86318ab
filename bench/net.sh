# shellcheck shell=bash
# Sourced by the benchmark engine (bench/engine.sh).
#
# self_pair NS A B IPA IPB TABLE: a veth pair with both ends in one network
# namespace (NS, or "" for the initial one), addressed IPA/IPB, whose
# traffic between IPA and IPB really crosses the veth instead of
# short-cutting through loopback as traffic between two local addresses
# normally does.  rdma_rxe in 6.12 only receives in the initial namespace,
# so two rxe devices can only talk there, over a pair like this one; the
# pinrxe pair gets the same topology in its own namespace, so that both
# devices do the same work per packet.  Routing tables TABLE and TABLE+1
# (and rules of the same preference) are the pair's own.
#
# self_pair_remove NS A TABLE: undo self_pair in the initial namespace
# (NS "") or delete NS; whatever self_pair changed there is restored.
#
# The initial namespace may be a real machine's: self_pair changes there
# only what it names (its rules match its two addresses only), remembers
# the one global setting it changes (net.ipv4.conf.all.rp_filter, which
# caps every interface's) and the local rule's place, and
# self_pair_remove puts both back.
NET_SAVED_RP_FILTER=
NET_MOVED_LOCAL_RULE=0

self_pair() {
	local ns=$1 a=$2 b=$3 ipa=$4 ipb=$5 table=$6 nsx=()
	[ -n "$ns" ] && nsx=(ip netns exec "$ns")
	modprobe veth || return 1
	if [ -n "$ns" ]; then
		ip netns add "$ns" || return 1
		ip link add "$a" netns "$ns" type veth peer name "$b" netns "$ns" ||
			return 1
	else
		ip link add "$a" type veth peer name "$b" || return 1
		NET_SAVED_RP_FILTER=$(sysctl -n net.ipv4.conf.all.rp_filter)
		# The local table's rule moves behind the pair's rules (see
		# below); it is put back at preference 0 afterwards.
		ip rule show pref 0 | grep -q 'lookup local' && NET_MOVED_LOCAL_RULE=1
	fi
	"${nsx[@]}" bash -e -s "$a" "$b" "$ipa" "$ipb" "$table" <<'SH'
a=$1 b=$2 ipa=$3 ipb=$4 table=$5
ip link set lo up
ip addr add "$ipa/32" dev "$a"
ip addr add "$ipb/32" dev "$b"
ip link set "$a" up
ip link set "$b" up
# A packet from one local address to another arrives on the other veth
# end: accept it and do not reverse-path filter it (the strictest of
# "all" and the interface's rp_filter applies, so "all" goes to 0 too).
sysctl -qw net.ipv4.conf.all.rp_filter=0
for d in "$a" "$b"; do
	sysctl -qw "net.ipv4.conf.$d.accept_local=1" "net.ipv4.conf.$d.rp_filter=0"
done
# Locally sent packets between the two addresses are routed out of the
# veth (rules before the local table); received ones still hit "local".
if ip rule show pref 0 | grep -q 'lookup local'; then
	ip rule add pref 1000 lookup local
	ip rule del pref 0 lookup local
fi
ip rule add pref "$table" iif lo from "$ipa" to "$ipb" lookup "$table"
ip rule add pref "$((table + 1))" iif lo from "$ipb" to "$ipa" lookup "$((table + 1))"
ip route add "$ipb" dev "$a" src "$ipa" table "$table"
ip route add "$ipa" dev "$b" src "$ipb" table "$((table + 1))"
ip neigh replace "$ipb" lladdr "$(cat /sys/class/net/$b/address)" dev "$a" nud permanent
ip neigh replace "$ipa" lladdr "$(cat /sys/class/net/$a/address)" dev "$b" nud permanent
SH
}

self_pair_remove() {
	local ns=$1 a=$2 table=$3
	if [ -n "$ns" ]; then
		ip netns del "$ns" 2>/dev/null
		return 0
	fi
	# The pair's routes go with its link.
	ip link del "$a" 2>/dev/null
	ip rule del pref "$table" 2>/dev/null
	ip rule del pref "$((table + 1))" 2>/dev/null
	if [ "$NET_MOVED_LOCAL_RULE" = 1 ]; then
		ip rule add pref 0 lookup local 2>/dev/null
		ip rule del pref 1000 lookup local 2>/dev/null
		NET_MOVED_LOCAL_RULE=0
	fi
	if [ -n "$NET_SAVED_RP_FILTER" ]; then
		sysctl -qw "net.ipv4.conf.all.rp_filter=$NET_SAVED_RP_FILTER"
		NET_SAVED_RP_FILTER=
	fi
	return 0
}
