# RoCEv2 wire compatibility with rdma_rxe, receive side, and the UDP
# socket per network namespace.
#
# 1. Two stock rdma_rxe devices on the two ends of a veth pair in the
#    initial namespace (where rdma_rxe holds UDP port 4791) exchange RC,
#    UC and UD sends, RDMA writes and reads and atomics over IPv4 and IPv6;
#    tests/wire/roce.py captures the frames and checks every ICRC with its
#    own implementation of the IBA rules.
# 2. Two pinrxe devices, each in a namespace of its own, impersonate the
#    two rxe nodes: their netdevs get the rxe netdevs' MAC and IP addresses
#    (so the same IPv6 link-local address), so the captured frames are
#    replayed byte for byte, no header rewritten and no ICRC recomputed.
#    They must all be received as valid (then dropped as "no such QP": no
#    QP is created here), and each kind of damage must be dropped and
#    counted under its own reason.  Changing only the fields the ICRC masks
#    (TTL/hop limit, DSCP/ECN, flow label, UDP checksum, FECN/BECN) must
#    keep a frame valid; any covered field (IPv4 identification, UDP source
#    port, payload) must not.
# 3. Sockets: opened in a device's namespace, shared by the devices there,
#    closed with the last; -EADDRINUSE in the initial namespace while
#    rdma_rxe is loaded, with nothing left behind; namespace deletion.
#
# The transmit side needs QPs to drive it: it is checked by traffic between
# pinrxe and rdma_rxe QPs, with the data path.
. "$RDMAPIN_TOP/tests/lib.sh"

wire() { /usr/bin/python3 "$RDMAPIN_TOP/tests/wire/roce.py" "$@"; }
cap=/tmp/rxe-frames.txt

# gid_index DEV ADDR...: the indices of the RoCE v2 GIDs of IP addresses
# in DEV's table, one per line; fails unless all are there.  Stops at the
# last one found: lib.sh's gid_table reads all 1024 entries, slow in TCG.
gid_index() {
	python3 - "$@" <<'PY'
import ipaddress, sys
port = "/sys/class/infiniband/%s/ports/1" % sys.argv[1]
want = []
for a in sys.argv[2:]:
    a = ipaddress.ip_address(a)
    if a.version == 4:
        a = ipaddress.IPv6Address("::ffff:" + str(a))
    want.append(a)
found = {}
for i in range(1024):
    try:
        gid = ipaddress.IPv6Address(open("%s/gids/%d" % (port, i)).read().strip())
        kind = open("%s/gid_attrs/types/%d" % (port, i)).read().strip()
    except (OSError, ValueError):
        continue
    if gid in want and kind == "RoCE v2":
        found.setdefault(gid, i)
        if len(found) == len(set(want)):
            break
if len(found) < len(set(want)):
    sys.exit(1)
for a in want:
    print(found[a])
PY
}
export -f gid_index

# The link-local IPv6 address of a netdev, once DAD has finished.
link_local() {
	ip ${2:+-n "$2"} -6 -o addr show dev "$1" scope link -tentative |
		awk '{sub("/.*", "", $4); print $4; exit}'
}
has_link_local() { [ -n "$(link_local "$@")" ]; }
export -f link_local

listening() { ss -Hltn "sport = :$1" | grep -q .; }

# rxe_try PORT CMD ARGS...: CMD as server on rxe1 and client on rxe0 (the
# verbs programs of rdma-core and perftest share these options); fails
# when either side does.
rxe_try() {
	local port=$1 srv rc=0
	shift
	env -u RDMAV_DRIVERS timeout $((150 * TSCALE)) "$@" -p "$port" -d rxe1 \
		>/tmp/server.log 2>&1 &
	srv=$!
	wait_until 20 listening "$port" ||
		fail "$1 server did not start: $(cat /tmp/server.log)"
	env -u RDMAV_DRIVERS timeout $((120 * TSCALE)) "$@" -p "$port" -d rxe0 127.0.0.1 \
		>/tmp/client.log 2>&1 || rc=$?
	wait "$srv" || rc=$?
	[ "$rc" = 0 ] || perftest_clock_only /tmp/server.log /tmp/client.log
}

# rxe_run PORT CMD ARGS...: rxe_try, once more if it failed.  Only stock
# rdma_rxe QPs take part: the runs record reference frames (and, at the
# end, show rxe still works beside pinrxe); they do not test rxe, which
# has been seen to fail a short run in a loaded TCG guest (CI: ib_read_bw
# -n 5 -s 256).  A failed attempt's frames are captured too; they are
# rxe's and just as valid for the replays.
rxe_run() {
	if rxe_try "$@"; then
		pass "rxe traffic: ${*:2}"
		return
	fi
	echo "stock rxe failed ${*:2}; its output, then one more try:"
	sed 's/^/  server| /' /tmp/server.log
	sed 's/^/  client| /' /tmp/client.log
	rxe_try "$((${1} + 100))" "${@:2}" || {
		sed 's/^/  server| /' /tmp/server.log
		sed 's/^/  client| /' /tmp/client.log
		fail "rxe traffic, twice: ${*:2}"
	}
	pass "rxe traffic (second try): ${*:2}"
}

# A RoCEv2 UDP socket (port 4791 = 0x12B7) in a namespace, IPv4 and IPv6.
has_socket() {
	ip netns exec "$1" cat /proc/net/udp | grep -q ':12B7 ' &&
		ip netns exec "$1" cat /proc/net/udp6 | grep -q ':12B7 '
}
no_socket() {
	! ip netns exec "$1" cat /proc/net/udp /proc/net/udp6 |
		grep -q ':12B7 '
}

# replay DEV IFACE WHAT [roce.py replay options]: replay the chosen frames
# into DEV through IFACE and check that exactly they were counted, as
# valid (WHAT=valid) or under the drop counter WHAT, and nothing else.
replay() {
	local dev=$1 ifc=$2 what=$3
	shift 3
	check "$dev: frames $* -> $what" \
		wire replay "$dev" "$cap" "$ifc" "$what" "$@"
}

load_pinrxe
modprobe rdma_rxe

step "capture rdma_rxe traffic"
make_veth rx0 rx1
# Both ends are in one namespace, so each side's source address is also a
# local address of the receiving side: a martian to IPv4 unless allowed.
sysctl -qw net.ipv4.conf.rx0.accept_local=1 net.ipv4.conf.rx1.accept_local=1
ip addr add 192.0.2.1/24 dev rx0
ip addr add 192.0.2.2/24 dev rx1
check "rdma link add rxe0" rdma link add rxe0 type rxe netdev rx0
check "rdma link add rxe1" rdma link add rxe1 type rxe netdev rx1
check "rx0 link-local address" wait_until 20 has_link_local rx0
check "rx1 link-local address" wait_until 20 has_link_local rx1
ll0=$(link_local rx0)
ll1=$(link_local rx1)
check "rxe GIDs present" wait_until 20 bash -c \
	"gid_index rxe0 192.0.2.1 $ll0 >/dev/null &&
	 gid_index rxe1 192.0.2.2 $ll1 >/dev/null"
{ read -r g4; read -r g6; } <<<"$(gid_index rxe0 192.0.2.1 "$ll0")"
[ "$(gid_index rxe1 192.0.2.2 "$ll1" | tr '\n' ' ')" = "$g4 $g6 " ] ||
	fail "rxe0 and rxe1 list their GIDs in different orders"

rm -f "$cap" /tmp/capture.stop
wire capture rx1 "$cap" /tmp/capture.stop >/tmp/capture.log 2>&1 &
capture=$!
wait_until 10 test -e "$cap" || fail "capture did not start"
rxe_run 18515 ibv_rc_pingpong -g "$g4" -n 2 -s 100
rxe_run 18516 ibv_rc_pingpong -g "$g6" -n 2 -s 3000 -m 1024
rxe_run 18517 ibv_uc_pingpong -g "$g4" -n 2 -s 2000 -m 1024
rxe_run 18518 ibv_ud_pingpong -g "$g4" -n 2 -s 512
rxe_run 18519 ib_write_bw -x "$g4" -n 5 -s 2500 -m 1024
rxe_run 18520 ib_write_bw -x "$g6" -n 5 -s 256
rxe_run 18521 ib_read_bw -x "$g4" -n 5 -s 2500 -m 1024
rxe_run 18522 ib_read_bw -x "$g4" -n 5 -s 256
rxe_run 18523 ib_atomic_bw -x "$g4" -n 5 -A CMP_AND_SWAP
rxe_run 18524 ib_atomic_bw -x "$g6" -n 5 -A FETCH_AND_ADD
touch /tmp/capture.stop
wait "$capture" || fail "capture failed: $(cat /tmp/capture.log)"
cat /tmp/capture.log
wire summary "$cap" | tee /tmp/summary || fail "captured frames fail the ICRC and length checks"
pass "every rdma_rxe frame passes roce.py's own ICRC and length checks"
for op in "IPv4 RC_SEND_ONLY" "IPv4 RC_ACKNOWLEDGE" "IPv4 UC_SEND_FIRST" \
	"IPv4 UC_SEND_LAST" "IPv4 UD_SEND_ONLY" "IPv4 RC_RDMA_WRITE_FIRST" \
	"IPv4 RC_RDMA_WRITE_MIDDLE" "IPv4 RC_RDMA_WRITE_LAST" \
	"IPv4 RC_RDMA_READ_REQUEST" "IPv4 RC_RDMA_READ_RESPONSE_FIRST" \
	"IPv4 RC_RDMA_READ_RESPONSE_MIDDLE" "IPv4 RC_RDMA_READ_RESPONSE_LAST" \
	"IPv4 RC_RDMA_READ_RESPONSE_ONLY" "IPv4 RC_COMPARE_SWAP" \
	"IPv4 RC_ATOMIC_ACKNOWLEDGE" "IPv6 RC_SEND_FIRST" "IPv6 RC_SEND_MIDDLE" \
	"IPv6 RC_SEND_LAST" "IPv6 RC_ACKNOWLEDGE" "IPv6 RC_RDMA_WRITE_ONLY" \
	"IPv6 RC_FETCH_ADD" "IPv6 RC_ATOMIC_ACKNOWLEDGE"; do
	grep -q "^$op [1-9]" /tmp/summary || fail "no $op frame captured"
done
pass "the capture has every kind of frame looked for"

step "pinrxe devices impersonating the rxe nodes, one namespace each"
for n in 0 1; do
	ip netns add "w$n"
	ip link add "i$n" type veth peer name "t$n" netns "w$n"
	# The MAC first: the link-local address derives from it.
	ip -n "w$n" link set "t$n" address "$(cat /sys/class/net/rx$n/address)"
	ip -n "w$n" addr add "192.0.2.$((n + 1))/24" dev "t$n"
	ip link set "i$n" up
	ip -n "w$n" link set "t$n" up
	check "rdma link add pinrxe$n in namespace w$n" \
		ip netns exec "w$n" rdma link add "pinrxe$n" type pinrxe netdev "t$n"
	check "RoCEv2 sockets open in w$n" has_socket "w$n"
done
check "t0 has rx0's link-local address" \
	wait_until 20 bash -c "[ \"\$(link_local t0 w0)\" = $ll0 ]"
check "t1 has rx1's link-local address" \
	wait_until 20 bash -c "[ \"\$(link_local t1 w1)\" = $ll1 ]"
check "pinrxe GIDs present" wait_until 20 bash -c \
	"gid_index pinrxe0 192.0.2.1 $ll0 >/dev/null &&
	 gid_index pinrxe1 192.0.2.2 $ll1 >/dev/null"
check "rdma_rxe still holds port 4791 in the initial namespace" \
	grep -q ':12B7 ' /proc/net/udp

step "rdma_rxe's frames, unchanged, are valid"
replay pinrxe1 i1 valid --dst 192.0.2.2
replay pinrxe0 i0 valid --dst 192.0.2.1
replay pinrxe1 i1 valid --dst "$ll1"
replay pinrxe0 i0 valid --dst "$ll0"

step "only fields the ICRC masks changed: still valid"
replay pinrxe1 i1 valid --dst 192.0.2.2 --mutate variant
replay pinrxe0 i0 valid --dst 192.0.2.1 --mutate variant
replay pinrxe1 i1 valid --dst "$ll1" --mutate variant
replay pinrxe0 i0 valid --dst "$ll0" --mutate variant

step "damaged frames are dropped and counted by reason"
replay pinrxe1 i1 rcv_drop_bad_icrc --dst 192.0.2.2 --mutate payload --limit 8
replay pinrxe1 i1 rcv_drop_bad_icrc --dst "$ll1" --mutate payload --limit 8
replay pinrxe1 i1 rcv_drop_bad_icrc --dst 192.0.2.2 --mutate icrc --limit 4
replay pinrxe0 i0 rcv_drop_bad_icrc --dst "$ll0" --mutate icrc --limit 4
replay pinrxe1 i1 rcv_drop_bad_icrc --dst 192.0.2.2 --mutate ip_id --limit 4
replay pinrxe1 i1 rcv_drop_bad_icrc --dst "$ll1" --mutate udp_sport --limit 4
replay pinrxe1 i1 rcv_drop_bad_version --dst 192.0.2.2 --mutate version --limit 4
replay pinrxe0 i0 rcv_drop_bad_version --dst "$ll0" --mutate version --limit 4
replay pinrxe1 i1 rcv_drop_unknown_opcode --dst 192.0.2.2 \
	--mutate reserved_opcode --limit 4
replay pinrxe1 i1 rcv_drop_unsupported_opcode --dst 192.0.2.2 \
	--mutate rd_opcode --limit 4
replay pinrxe1 i1 rcv_drop_unsupported_opcode --dst "$ll1" --mutate cnp \
	--limit 4
replay pinrxe0 i0 rcv_drop_bad_length --dst 192.0.2.1 --opcode 0x11 \
	--mutate short --limit 4
replay pinrxe1 i1 rcv_drop_bad_length --dst 192.0.2.2 --opcode 0x0c \
	--mutate short --limit 4
replay pinrxe1 i1 rcv_drop_bad_length --dst 192.0.2.2 --mutate unaligned \
	--limit 4
replay pinrxe0 i0 rcv_drop_bad_length --dst 192.0.2.1 --opcode 0x11 \
	--mutate extra --limit 4
replay pinrxe0 i0 rcv_drop_bad_length --dst "$ll0" --opcode 0x11 \
	--mutate pad --limit 4
replay pinrxe1 i1 rcv_drop_udp_len --dst 192.0.2.2 --mutate udp_short \
	--limit 4
replay pinrxe1 i1 rcv_drop_udp_len --dst "$ll1" --mutate udp_short --limit 4
# An address of the namespace that is not one of the device's GIDs: the IP
# stack takes it on any netdev, the device must not.
ip -n w1 link add d1 type dummy
ip -n w1 addr add 198.51.100.9/32 dev d1
ip -n w1 addr add 2001:db8::9/128 dev d1 nodad
ip -n w1 link set d1 up
replay pinrxe1 i1 rcv_drop_dst_addr --dst 192.0.2.2 \
	--mutate dst=198.51.100.9 --limit 4
replay pinrxe1 i1 rcv_drop_dst_addr --dst "$ll1" --mutate dst=2001:db8::9 \
	--limit 4

step "one socket pair per namespace, shared by its devices"
check "a second device in w1" \
	ip netns exec w1 rdma link add pinrxe2 type pinrxe netdev d1
check "rdma link del pinrxe1" rdma link del pinrxe1
check "pinrxe1 is gone" wait_until 10 ib_gone pinrxe1
check "w1 keeps its sockets for pinrxe2" has_socket w1
check "rdma link del pinrxe2" rdma link del pinrxe2
check "pinrxe2 is gone" wait_until 10 ib_gone pinrxe2
check "w1's sockets closed with its last device" wait_until 10 no_socket w1
check "w0 keeps its sockets" has_socket w0
replay pinrxe0 i0 valid --dst 192.0.2.1 --limit 4

step "the initial namespace, where rdma_rxe holds the port"
before=$(ib_devices)
refcnt=$(cat /sys/module/pinrxe/refcnt)
check_fails "pinrxe device beside rdma_rxe" "Address already in use" \
	rdma link add pinrxe9 type pinrxe netdev i1
check "the kernel log says why" bash -c \
	'dmesg | grep -q "pinrxe: UDP port 4791 is already in use in the network namespace of i1"'
check "nothing left behind" test "$(ib_devices)" = "$before"
check "no module reference left" \
	test "$(cat /sys/module/pinrxe/refcnt)" = "$refcnt"
rxe_run 18525 ibv_rc_pingpong -g "$g4" -n 2 -s 100

step "namespace deletion takes its device and sockets"
ip netns del w0
check "pinrxe0 is gone with w0" wait_until 30 ib_gone pinrxe0
ip netns del w1
check "rdma link del rxe0 rxe1" bash -c 'rdma link del rxe0 && rdma link del rxe1'
check "no pinrxe device left" bash -c '! ls /sys/class/infiniband | grep -q pinrxe'
check "module unloads" rmmod pinrxe
