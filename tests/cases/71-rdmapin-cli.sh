# The rdmapin command against pinrxe and rdma_rxe in one boot: rxe0 on
# veth0 in the initial namespace, pinrxe1 on veth1 in namespace "peer" (as
# case 55; both cannot bind UDP 4791 in one namespace).  Every subcommand
# with its table, --json (checked by python3 -m json.tool and for values
# another source confirms) and --help; `mr --pid` finds a running
# program's MRs and tells pinned from ODP; `stats` counters move with
# traffic; `limits` follows ulimit -l; exit codes for scripts.
# guest-timeout: 900
. "$RDMAPIN_TOP/tests/lib.sh"
. "$RDMAPIN_TOP/tests/cli/cli_lib.sh"

load_pinrxe
modprobe rdma_rxe
make_netns_pair
check "rdma link add rxe0" rdma link add rxe0 type rxe netdev veth0
check "rdma link add pinrxe1 (namespace peer)" \
	ip netns exec peer rdma link add pinrxe1 type pinrxe netdev veth1

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	# The programs' own logs, for a failure's diagnosis.
	cp /tmp/*.log /tmp/*.err "${RDMAPIN_OUT:-/tmp}/" 2>/dev/null || true
}
trap cleanup EXIT

step "--help and usage errors"
for c in devices mr stats limits bench; do
	check "rdmapin $c --help" bash -c \
		"\"$RDMAPIN\" $c --help | grep -q '^usage: rdmapin $c'"
done
check "rdmapin --help lists the commands" bash -c \
	"\"$RDMAPIN\" --help | grep -q 'limits \[--pid PID\]'"
check "no command: exit 2" exit_is 2 "usage: rdmapin" "$RDMAPIN"
check "unknown option: exit 2" exit_is 2 "unknown option '--bogus'" \
	"$RDMAPIN" mr --bogus
check "bad --pid: exit 2" exit_is 2 "not 'x'" "$RDMAPIN" mr --pid x
check "bench: a bad --rounds, exit 2" exit_is 2 "rounds wants a number from 1 to 100" \
	"$RDMAPIN" bench --rounds 0
check "bench without its engine: exit 1, where it looked" exit_is 1 \
	"no benchmark engine at /nonexistent/engine.sh" \
	env RDMAPIN_BENCH_DIR=/nonexistent "$RDMAPIN" bench --quick

step "devices"
"$RDMAPIN" devices
check "table: rxe0 on veth0, driver rxe" bash -c \
	"\"$RDMAPIN\" devices | grep -Eq '^rxe0 +[0-9]+ +rxe +veth0 +no +no'"
# A netdev shows in the namespace it is in (rdma netlink gives its name
# only there).
check "table: pinrxe1, driver pinrxe, pinning information, no netdev here" \
	bash -c "\"$RDMAPIN\" devices | grep -Eq '^pinrxe1 +[0-9]+ +pinrxe +- +yes'"
check "namespace peer: pinrxe1 on veth1" ip netns exec peer bash -c \
	"\"$RDMAPIN\" devices | grep -Eq '^pinrxe1 +[0-9]+ +pinrxe +veth1 +yes'"
odp=False
ibv_devinfo -v -d pinrxe1 | grep -q "ODP_SUPPORT\b" && odp=True
echo "ibv_devinfo: pinrxe1 offers ODP: $odp"
idx() { rdma dev show "$1" | cut -d: -f1; }
check "JSON: both devices, ODP as ibv_devinfo says, indexes as rdma dev says" \
	json_is "{x['name']: (x['driver'], x['pinning_info'], x['odp'], x['index'])
		  for x in d} ==
		 {'rxe0': ('rxe', False, False, $(idx rxe0)),
		  'pinrxe1': ('pinrxe', True, $odp, $(idx pinrxe1))}" \
	"$RDMAPIN" devices --json

step "mr --pid: a pinned, an ODP and an implicit ODP registration on pinrxe1"
# ibv_rc_pingpong registers its buffer, then waits for a client: a live
# process holding one MR of -s bytes.
ip netns exec peer ibv_rc_pingpong -d pinrxe1 -g 1 -s 65536 -p 18601 \
	>/tmp/pp-pin.log 2>&1 &
pp_pin=$!
ip netns exec peer ibv_rc_pingpong -d pinrxe1 -g 1 -s 131072 -p 18602 -o \
	>/tmp/pp-odp.log 2>&1 &
pp_odp=$!
ip netns exec peer ibv_rc_pingpong -d pinrxe1 -g 1 -s 65536 -p 18603 -O \
	>/tmp/pp-iodp.log 2>&1 &
pp_iodp=$!
PIDS+=("$pp_pin" "$pp_odp" "$pp_iodp")
check "pinned: 16 pages, 4 KiB folios, no ODP faults" mrs_of "$pp_pin" \
	"len(d) == 1 and d[0]['dev'] == 'pinrxe1' and d[0]['pid'] == $pp_pin and
	 d[0]['comm'] == 'ibv_rc_pingpong' and d[0]['length'] == 65536 and
	 d[0]['from_kernel'] and d[0]['path'] == 'pinned' and
	 d[0]['reason'] == 'none' and d[0]['pinned_pages'] == 16 and
	 sum(d[0]['folio_pages'].values()) == 16 and d[0]['odp']['faults'] == 0"
check "the table says pinned" bash -c \
	"\"$RDMAPIN\" mr --pid $pp_pin | grep -Eq '^pinrxe1 .* 64 KiB +pinned +none +16 '"
check "limits --pid: its VmPin holds the 64 KiB" json_is \
	"d['pid'] == $pp_pin and d['pinned_bytes'] >= 65536" \
	"$RDMAPIN" limits --pid "$pp_pin" --json
if [ "$odp" = True ]; then
	check "ODP (-o): nothing pinned" mrs_of "$pp_odp" \
		"len(d) == 1 and d[0]['path'] == 'odp' and d[0]['reason'] == 'none'
		 and d[0]['pinned_pages'] == 0 and d[0]['length'] == 131072"
	check "implicit ODP (-O)" mrs_of "$pp_iodp" \
		"len(d) >= 1 and all(m['path'] == 'odp_implicit' or m['path'] == 'odp' for m in d)
		 and any(m['path'] == 'odp_implicit' for m in d)
		 and all(m['pinned_pages'] == 0 for m in d)"
	check "the table says odp" bash -c \
		"\"$RDMAPIN\" mr --pid $pp_odp | grep -Eq '^pinrxe1 .* 128 KiB +odp +none +0 '"
fi

step "mr on rdma_rxe: the MR is there, its pinning details are not"
ibv_rc_pingpong -d rxe0 -g 1 -s 65536 -p 18604 >/tmp/pp-rxe.log 2>&1 &
pp_rxe=$!
PIDS+=("$pp_rxe")
check "rxe0's MR: from_kernel false, details null" mrs_of "$pp_rxe" \
	"len(d) == 1 and d[0]['dev'] == 'rxe0' and d[0]['length'] == 65536 and
	 not d[0]['from_kernel'] and d[0]['path'] is None and d[0]['odp'] is None"
check "the table shows '-' and says why" bash -c \
	"\"$RDMAPIN\" mr --pid $pp_rxe | grep -q 'does not report pinning information'"
check "--dev rxe0: only rxe0's MRs" json_is \
	"len(d) >= 1 and all(m['dev'] == 'rxe0' for m in d)" \
	"$RDMAPIN" mr --dev rxe0 --json
check "--dev pinrxe1: only pinrxe1's, the three programs' among them" json_is \
	"all(m['dev'] == 'pinrxe1' for m in d) and
	 {$pp_pin, $pp_odp, $pp_iodp} <= {m['pid'] for m in d}" \
	"$RDMAPIN" mr --dev pinrxe1 --json
check "every MR: all four programs" json_is \
	"{$pp_pin, $pp_odp, $pp_iodp, $pp_rxe} <= {m['pid'] for m in d}" \
	"$RDMAPIN" mr --json
"$RDMAPIN" mr
check "the same MR count as rdma resource show mr" bash -c \
	"[ \$(\"$RDMAPIN\" mr --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') = \
	   \$(rdma resource show mr | wc -l) ]"
cleanup
PIDS=()
gone=$pp_pin
check "mr --pid of a process that is gone: exit 4" exit_is 4 "no process" \
	"$RDMAPIN" mr --pid "$gone"

step "mr --pid of a running ib_write_bw (server pinrxe1, client rxe0)"
s0=$(counter pinrxe1 rcvd_pkts)
r0=$(counter rxe0/1 sent_pkts)
ip netns exec peer ib_write_bw -d pinrxe1 -x 1 -s 65536 -D 20 -F \
	>/tmp/bw-srv.log 2>&1 &
bw_srv=$!
PIDS+=("$bw_srv")
wait_until 30 ip netns exec peer bash -c "$(declare -f listening); listening"
ib_write_bw -d rxe0 -x 1 -s 65536 -D 20 -F 192.0.2.2 >/tmp/bw-cli.log 2>&1 &
bw_cli=$!
PIDS+=("$bw_cli")
# Both stopped while they are looked at: however the guest's clock runs,
# the MRs stay (the kernel completes what is in flight meanwhile).
JSON_QUIET=1 check "the client registered" wait_until 60 \
	json_is "len(d) > 0" "$RDMAPIN" mr --pid "$bw_cli" --json >/dev/null 2>&1
kill -STOP "$bw_cli" "$bw_srv"
check "server's MRs on pinrxe1: pinned, holding pages" mrs_of "$bw_srv" \
	"len(d) >= 1 and all(m['dev'] == 'pinrxe1' and m['path'] == 'pinned'
	 and m['pinned_pages'] > 0 and m['comm'] == 'ib_write_bw' for m in d)"
check "pinned_pages as rdma statistic shows, while it runs (stats)" bash -c \
	"rdma statistic show link pinrxe1/1 | grep -q \" pinned_pages \$(counter pinrxe1 pinned_pages) \""
check "and not 0" test "$(counter pinrxe1 pinned_pages)" -gt 0
check "client's MRs on rxe0: found, details not reported" mrs_of "$bw_cli" \
	"len(d) >= 1 and all(m['dev'] == 'rxe0' and not m['from_kernel'] for m in d)"
kill -CONT "$bw_cli" "$bw_srv"

step "stats: counters moved with the traffic"
wait "$bw_cli" || perftest_clock_only /tmp/bw-cli.log || fail "ib_write_bw client failed"
wait "$bw_srv" || perftest_clock_only /tmp/bw-srv.log || fail "ib_write_bw server failed"
PIDS=()
s1=$(counter pinrxe1/1 rcvd_pkts)
r1=$(counter rxe0 sent_pkts)
echo "pinrxe1 rcvd_pkts $s0 -> $s1, rxe0 sent_pkts $r0 -> $r1"
check "pinrxe1 rcvd_pkts moved" test "$s1" -gt "$s0"
check "rxe0 sent_pkts moved" test "$r1" -gt "$r0"
"$RDMAPIN" stats
check "table: a pinrxe1 and an rxe0 row" bash -c \
	"\"$RDMAPIN\" stats | grep -Eq '^pinrxe1 +1 +odp_fallbacks +[0-9]+$' &&
	 \"$RDMAPIN\" stats | grep -Eq '^rxe0 +1 +sent_pkts +[0-9]+$'"
check "JSON: every device, port 1" json_is \
	"{x['dev'] for x in d} == {'rxe0', 'pinrxe1'} and all(x['port'] == 1 for x in d)
	 and d[[x['dev'] for x in d].index('pinrxe1')]['counters']['pinned_pages'] == 0" \
	"$RDMAPIN" stats --json
check "a device that does not exist: exit 4" exit_is 4 "nosuchdev" \
	"$RDMAPIN" stats nosuchdev
check "a port that does not exist: exit 4" exit_is 4 "pinrxe1/2" \
	"$RDMAPIN" stats pinrxe1/2
check "DEV/x: exit 2" exit_is 2 "not DEV or DEV/PORT" "$RDMAPIN" stats pinrxe1/x

step "limits"
"$RDMAPIN" limits
check "ulimit -l 64: soft limit 64 KiB" json_is \
	"d['memlock_soft_bytes'] == 65536 and d['pinned_bytes'] == 0" \
	bash -c "ulimit -l 64; exec \"$RDMAPIN\" limits --json"
check "ulimit -l unlimited: null" json_is "d['memlock_soft_bytes'] is None" \
	bash -c "ulimit -l unlimited; exec \"$RDMAPIN\" limits --json"
check "without CAP_IPC_LOCK: 64 KiB can still be pinned" json_is \
	"not d['cap_ipc_lock'] and d['pinnable_bytes'] == 65536" \
	nolock "$RDMAPIN" limits --json
check "as root: CAP_IPC_LOCK, no bound" json_is \
	"d['cap_ipc_lock'] and d['pinnable_bytes'] is None" "$RDMAPIN" limits --json
check "the table shows the limit" bash -c \
	"ulimit -l 64; \"$RDMAPIN\" limits | grep -Eq 'memlock soft limit .* 64 KiB'"
check "limits --pid of a process that is gone: exit 4" exit_is 4 \
	"no such process" "$RDMAPIN" limits --pid "$gone"

step "nothing left"
check "pinrxe1: pinned_pages 0" bash -c \
	"[ \"\$(counter pinrxe1 pinned_pages)\" = 0 ]"
check "rdma link del pinrxe1" ip netns exec peer rdma link del pinrxe1
check "rdma link del rxe0" rdma link del rxe0
