# One of two test guests joined by a virtual Ethernet link that QEMU
# carries over UDP on the host's 127.0.0.1 (see tests/host/two-hosts.sh).
# usage: node.sh server|client
# Each guest creates pinrxe0 on its virtio NIC; the client runs
# ibv_rc_pingpong and ib_write_bw against the server across the link.
. "$RDMAPIN_TOP/tests/lib.sh"

role=$1
server_ip=10.10.0.1
case $role in
server) me=$server_ip ;;
client) me=10.10.0.2 ;;
*) fail "role must be server or client" ;;
esac

# The NIC QEMU gave this guest: the only Ethernet device besides lo.
modprobe virtio_net
nic_up() { ls /sys/class/net | grep -v -e '^lo$' | grep -q .; }
check "the virtio NIC appeared" wait_until 30 nic_up
nic=$(ls /sys/class/net | grep -v -e '^lo$' | head -n 1)
ip addr add "$me/24" dev "$nic"
ip link set "$nic" up

load_pinrxe
check "rdma link add pinrxe0 netdev $nic" pinrxe_add pinrxe0 "$nic"
check "pinrxe0 port ACTIVE" wait_until 30 port_is pinrxe0 ACTIVE
check "pinrxe0 has the GID of $me" wait_until 30 has_gid pinrxe0 "$(gid_of "$me")"

# The index of our IPv4 address's GID, for -g/-x.
gid_index() {
	local want i
	want=$(gid_of "$me")
	for i in /sys/class/infiniband/pinrxe0/ports/1/gids/*; do
		if [ "$(cat "$i")" = "$want" ]; then
			basename "$i"
			return
		fi
	done
	return 1
}
gidx=$(gid_index)

# retry_connect CMD...: the client side; the other guest may still be
# booting, so a refused connection is retried (it costs the server
# nothing: pingpong and perftest servers accept one connection only).
retry_connect() {
	local deadline=$((SECONDS + 240)) rc
	while :; do
		rc=0
		timeout 180 "$@" >/tmp/client.log 2>&1 || rc=$?
		[ "$rc" = 0 ] && { tail -n 4 /tmp/client.log; return 0; }
		grep -q "Couldn't connect" /tmp/client.log || break
		[ "$SECONDS" -lt "$deadline" ] || break
		sleep 1
	done
	cat /tmp/client.log
	echo "(exit $rc)"
	perftest_clock_only /tmp/client.log && return 0
	return 1
}

serve() {
	local rc=0
	timeout 300 "$@" >/tmp/server.log 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		tail -n 4 /tmp/server.log
		return 0
	fi
	cat /tmp/server.log
	echo "(exit $rc)"
	perftest_clock_only /tmp/server.log
}

# Each guest runs its two vCPUs on one TCG thread, and the two guests and
# the link share a loaded host: a round trip can take tens of
# milliseconds (pingpong shows ~50 ms under load), near perftest's default
# transport timeout (4.096 us * 2^14 = 67 ms, 7 retries), so a slow but
# lossless link could end in "retry exceeded".  -u 18 (1.07 s) keeps the
# test about delivery, not about the host's scheduling.
if [ "$role" = server ]; then
	check "ibv_rc_pingpong server" \
		serve ibv_rc_pingpong -d pinrxe0 -g "$gidx" -n 100 -s 4096 -c
	check "ib_write_bw server" \
		serve ib_write_bw -d pinrxe0 -x "$gidx" -s 65536 -n 300 -u 18 -F
else
	check "ibv_rc_pingpong across the hosts" retry_connect \
		ibv_rc_pingpong -d pinrxe0 -g "$gidx" -n 100 -s 4096 -c "$server_ip"
	check "ib_write_bw 64 KiB across the hosts" retry_connect \
		ib_write_bw -d pinrxe0 -x "$gidx" -s 65536 -n 300 -u 18 -F "$server_ip"
fi

step "counters"
rdma statistic show link pinrxe0/1
counter() {
	rdma statistic show link pinrxe0/1 | grep -Eo "(^| )$1 [0-9]+" |
		awk '{print $2}'
}
check "packets went out over the NIC" test "$(counter sent_pkts)" -gt 500
check "packets came in over the NIC" test "$(counter rcvd_pkts)" -gt 500
check "nothing left pinned" test "$(counter pinned_pages)" = 0
