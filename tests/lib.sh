# Helpers for guest test cases (tests/cases/*.sh); sourced, runs in the
# guest as root.  A case fails on its first failed check: it exits non-zero
# with a line saying what was expected.
set -euo pipefail

: "${RDMAPIN_TOP:?run this through tests/run.sh or tests/guest/run-guest.sh}"
: "${RDMAPIN_BUILD:=$RDMAPIN_TOP/build}"

# libibverbs loads our provider from the build tree: an absolute path
# prefix in RDMAV_DRIVERS is dlopen()ed as <prefix>-rdmav34.so.
export RDMAV_DRIVERS="$RDMAPIN_BUILD/providers/pinrxe/libpinrxe"
export LD_LIBRARY_PATH="$RDMAPIN_BUILD/librdmapin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# Time limits inside cases are for the Debian kernel; on the debug kernel
# (make test-debug), several times slower, tests/run.sh scales them.
TSCALE=${RDMAPIN_TIMEOUT_SCALE:-1}
PINRXE_KO="$RDMAPIN_BUILD/kernel/pinrxe.ko"
EXAMPLES="$RDMAPIN_BUILD/examples"

# The guest runs the debug kernel (make test-debug; its release ends so).
debug_kernel() { case $(uname -r) in *-rdmapin-debug) ;; *) return 1 ;; esac; }

step() { echo "== $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# check DESCRIPTION COMMAND...: the command must succeed.
check() {
	local what=$1
	shift
	"$@" || fail "$what (command: $*)"
	pass "$what"
}

# check_fails DESCRIPTION PATTERN COMMAND...: the command must fail and
# its output must match the extended regex PATTERN (the "clear error").
check_fails() {
	local what=$1 pattern=$2 out rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" != 0 ] || fail "$what: '$*' succeeded"
	echo "$out" | grep -Eq "$pattern" ||
		fail "$what: error '$out' does not match /$pattern/"
	pass "$what ($out)"
}

# wait_until SECONDS COMMAND...: poll until the command succeeds.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

load_rdma_core() {
	modprobe ib_uverbs
	modprobe rdma_ucm
	# pinrxe's UDP sockets; insmod does not load dependencies.
	modprobe udp_tunnel
	modprobe ip6_udp_tunnel
}

load_pinrxe() {
	load_rdma_core
	lsmod | grep -qw '^pinrxe' || insmod "$PINRXE_KO"
}

# make_veth A B: a veth pair, both ends up.
make_veth() {
	modprobe veth
	ip link add "$1" type veth peer name "$2"
	ip link set "$1" up
	ip link set "$2" up
}

pinrxe_add() {
	rdma link add "$1" type pinrxe netdev "$2"
}

# pinrxe_ready DEV NETDEV ADDR: add pinrxe DEV on NETDEV, which has the
# address ADDR, and wait for ADDR's RoCEv2 GID in DEV's table (ib_core
# fills it from a work item, so traffic set up at once could find none).
pinrxe_ready() {
	check "rdma link add $1" pinrxe_add "$1" "$2"
	check "$1 has its RoCEv2 GID" \
		wait_until 20 has_gid "$1" "$(gid_of "$3")"
}

ib_exists() { [ -e "/sys/class/infiniband/$1" ]; }
ib_gone() { ! ib_exists "$1"; }

# The names of all RDMA devices, sorted, one per line.
ib_devices() { ls /sys/class/infiniband 2>/dev/null | sort; }

port_state() {
	sed 's/^[0-9]*: //' "/sys/class/infiniband/$1/ports/1/state"
}

# All non-zero GIDs of a device's port 1, with their types: "GID TYPE".
# One process reads the whole table: a process per entry is far too slow
# under TCG for a 1024-entry table.
gid_table() {
	python3 - "$1" <<'PY'
import os, sys
port = "/sys/class/infiniband/%s/ports/1" % sys.argv[1]
zero = "0000:0000:0000:0000:0000:0000:0000:0000"
for i in sorted(int(n) for n in os.listdir(port + "/gids")):
    gid = open("%s/gids/%d" % (port, i)).read().strip()
    if gid == zero:
        continue
    try:
        kind = open("%s/gid_attrs/types/%d" % (port, i)).read().strip()
    except OSError:
        kind = "?"
    print(gid, kind)
PY
}

# has_gid DEV GID: GID (sysfs form) is in the table as RoCE v2.
has_gid() { gid_table "$1" | grep -q "^$2 RoCE v2$"; }

# The sysfs form of an address's GID: IPv4 maps to ::ffff:a.b.c.d.
gid_of() {
	python3 -c '
import ipaddress, sys
a = ipaddress.ip_address(sys.argv[1])
if a.version == 4:
    a = ipaddress.IPv6Address("::ffff:" + str(a))
h = a.exploded.replace(":", "")
print(":".join(h[i:i+4] for i in range(0, 32, 4)))' "$1"
}

# port_is DEV STATE: port 1 of DEV is in STATE (ACTIVE, DOWN...).
port_is() { [ "$(port_state "$1")" = "$2" ]; }

# Net FOLL_PIN pins held in the whole system (nr_foll_pin_acquired -
# nr_foll_pin_released), per-CPU counts folded first.
pins_held() {
	echo 1 >/proc/sys/vm/stat_refresh
	awk '/^nr_foll_pin_acquired/ {a = $2} /^nr_foll_pin_released/ {r = $2}
	     END {print a - r}' /proc/vmstat
}

# The quiescent pin count: output crossing the guest's 9p results share
# holds a pin while it is written, so the least of ten samples.
pins_quiescent() {
	local i
	for i in $(seq 10); do
		pins_held
		sleep 0.2
	done | sort -n | head -n 1
}

# check_pins_back HELD0 DEV...: the FOLL_PIN count is back to HELD0 (what
# pins_quiescent gave before the test took pins) and no pinrxe DEV holds a
# pinned page.
check_pins_back() {
	local held0=$1 dev
	shift
	check "as many FOLL_PIN pins held as at the start ($held0)" \
		wait_until 10 bash -c "[ \"\$(pins_held)\" = $held0 ]"
	for dev in "$@"; do
		check "$dev: pinned_pages 0" \
			test "$(hw_counter "$dev" pinned_pages)" = 0
	done
}

# hw_counter DEV NAME: the value of counter NAME on port 1 of DEV, from
# sysfs, where (shared RDMA namespace mode) every device shows whatever
# namespace its netdev is in.  Cases that check `rdma statistic` itself
# (63, 70, 71) read it there on purpose, and 71 and 72 read the rdmapin
# tool's stats (tests/cli/cli_lib.sh).
hw_counter() {
	local f="/sys/class/infiniband/$1/ports/1/hw_counters/$2"
	[ -r "$f" ] || { echo "hw_counter: $1 has no counter $2" >&2; return 1; }
	cat "$f"
}

# counter_moved DEV NAME: NAME on DEV is above zero.
counter_moved() { [ "$(hw_counter "$1" "$2")" -gt 0 ]; }

# Functions used through `bash -c` or other shells.
export -f port_state gid_table has_gid gid_of ib_exists ib_gone port_is \
	pins_held hw_counter counter_moved

# make_netns_pair: veth0 (192.0.2.1, initial namespace) and veth1
# (192.0.2.2) in namespace "peer", both up.  Two RoCE devices on one veth
# pair must sit in different namespaces: in one, the kernel would deliver
# their traffic to each other through loopback, never over the veth.
make_netns_pair() {
	modprobe veth
	ip netns add peer
	ip link add veth0 type veth peer name veth1 netns peer
	ip addr add 192.0.2.1/24 dev veth0
	ip -n peer addr add 192.0.2.2/24 dev veth1
	ip link set veth0 up
	ip -n peer link set veth1 up
	ip -n peer link set lo up
}

# perftest_clock_only LOG...: perftest failed only because it could not
# calibrate its cycle counter against the clock ("Correlation coefficient
# ... < 0.9", which a loaded TCG guest can cause) after the traffic itself
# completed without error.  Such a run tested what it was meant to.
perftest_clock_only() {
	grep -q "Can't produce a report" "$@" &&
		! grep -Eq "Completion with error|Failed status|Couldn't|Unable|error" "$@"
}

# A pingpong or perftest server is listening (TCP 18515, their default).
listening() { ss -ltn | grep -q ':18515 '; }

# client_server SRVDEV CLIDEV CMD...: run a two-sided verbs test (pingpong,
# perftest): the server with -d SRVDEV in namespace "peer", the client
# with -d CLIDEV in the initial one, connecting to 192.0.2.2.  With
# REVERSE=1 the server runs in the initial namespace instead.  Both must
# succeed; their output goes to /tmp/server.log and /tmp/client.log.
client_server() {
	local srv=$1 cli=$2 rc=0 srv_rc=0 pid
	shift 2
	if [ "${REVERSE:-0}" = 1 ]; then
		timeout $((120 * TSCALE)) "$@" -d "$srv" >/tmp/server.log 2>&1 &
		pid=$!
		wait_until 30 listening
		ip netns exec peer timeout $((120 * TSCALE)) "$@" -d "$cli" 192.0.2.1 \
			>/tmp/client.log 2>&1 || rc=$?
	else
		ip netns exec peer timeout $((120 * TSCALE)) "$@" -d "$srv" \
			>/tmp/server.log 2>&1 &
		pid=$!
		wait_until 30 ip netns exec peer bash -c "$(declare -f listening); listening"
		timeout $((120 * TSCALE)) "$@" -d "$cli" 192.0.2.2 >/tmp/client.log 2>&1 ||
			rc=$?
	fi
	wait "$pid" || srv_rc=$?
	tail -n 4 /tmp/client.log
	if { [ "$rc" != 0 ] || [ "$srv_rc" != 0 ]; } &&
	   perftest_clock_only /tmp/client.log /tmp/server.log; then
		echo "(perftest could not calibrate its clock for the report;"
		echo " every operation completed successfully)"
		return 0
	fi
	if [ "$rc" != 0 ] || [ "$srv_rc" != 0 ]; then
		echo "client exit $rc, server exit $srv_rc; server said:"
		tail -n 8 /tmp/server.log
		# perftest reports failures on stderr, which reaches the log
		# before its buffered stdout: the tails above can miss them.
		grep -HiE 'error|fail|couldn|unable|timeout|status' \
			/tmp/client.log /tmp/server.log | head -n 12
		return 1
	fi
}

# remove_under_holder DEV PATTERN CMD...: run CMD READY_FILE, a program that
# creates objects on DEV, creates READY_FILE and waits for DEVICE_FATAL;
# delete DEV under it and check that the program exits cleanly, printing
# PATTERN once it has destroyed its objects.
remove_under_holder() {
	local dev=$1 pattern=$2 holder rc=0
	shift 2
	rm -f /tmp/held
	"$@" /tmp/held >/tmp/hold.log 2>&1 &
	holder=$!
	check "the holder set up its objects" wait_until 120 test -e /tmp/held
	check "rdma link del $dev" timeout $((60 * TSCALE)) rdma link del "$dev"
	check "device gone" ib_gone "$dev"
	timeout $((30 * TSCALE)) tail --pid=$holder -f /dev/null || rc=$?
	[ "$rc" = 0 ] || fail "the holder did not exit after DEVICE_FATAL"
	wait $holder || { cat /tmp/hold.log; fail "the holder failed"; }
	cat /tmp/hold.log
	check "it destroyed everything after DEVICE_FATAL ($pattern)" \
		grep -q "$pattern" /tmp/hold.log
}
