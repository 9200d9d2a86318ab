# librdmapin-preload.so between pinrxe0 and pinrxe1: ib_write_bw and
# ibv_rc_pingpong under each RDMAPIN_POLICY, checked through
# `rdmapin mr --pid` while they run; AUTO's fallback to ODP under a 64 KiB
# memlock limit without CAP_IPC_LOCK, with its reason; every registration
# entry point (tests/cli/preload_entry.c); no variable: the same behaviour
# as without the shim; a bad value: one message, and the program still
# works.  RDMAPIN_PREFETCH=1: an ODP MR (the program's own or the policy's)
# is resident right after registration (every page faulted, counted by
# pinrxe per MR), without it none is; a prefetch that fails leaves the MR
# usable and says so under RDMAPIN_DEBUG.
# guest-timeout: 900
. "$RDMAPIN_TOP/tests/lib.sh"
. "$RDMAPIN_TOP/tests/cli/cli_lib.sh"

ENTRY="$RDMAPIN_BUILD/tests/cli/preload_entry"

load_pinrxe
make_netns_pair
check "rdma link add pinrxe0" pinrxe_add pinrxe0 veth0
check "rdma link add pinrxe1 (namespace peer)" \
	ip netns exec peer rdma link add pinrxe1 type pinrxe netdev veth1
odp=no
ibv_devinfo -v -d pinrxe0 | grep -q "ODP_SUPPORT\b" && odp=yes
echo "pinrxe offers ODP: $odp"
[ "$odp" = yes ] || fail "this case needs pinrxe's ODP"

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	# The programs' own logs, for a failure's diagnosis.
	cp /tmp/*.log /tmp/*.err "${RDMAPIN_OUT:-/tmp}/" 2>/dev/null || true
	PIDS=()
}
trap cleanup EXIT

shim() { /tmp/shim "$@"; }
export -f shim

step "the shim's symbols: libibverbs's entry points under their versions"
objdump -T "$SHIM" | grep -v UND | grep ' DF ' | tee /tmp/syms
check "exactly the four entry points, nothing else" bash -c \
	"[ \"\$(awk '{print \$(NF-1), \$NF}' /tmp/syms | sort | tr '\n' ' ')\" = \
	 '(IBVERBS_1.0) ibv_reg_mr IBVERBS_1.1 ibv_reg_mr IBVERBS_1.7 ibv_reg_mr_iova IBVERBS_1.8 ibv_reg_mr_iova2 ' ]"

step "every entry point, each policy (preload_entry)"
# expect_entry POLICY PATH [REASON]: every registration line says PATH.
expect_entry() {
	local policy=$1 want=$2 reason=${3:-none}
	shim "$policy" "$ENTRY" pinrxe0 >/tmp/entry.log 2>/tmp/entry.err || {
		cat /tmp/entry.log /tmp/entry.err
		return 1
	}
	cat /tmp/entry.log
	[ "$(wc -l </tmp/entry.log)" = 7 ] &&
		! grep -v " $want $reason\$" /tmp/entry.log
}
check "pin: all seven pinned" expect_entry pin pinned
check "odp: all seven ODP" expect_entry odp odp
check "auto (root, no limit): all seven pinned" expect_entry auto pinned
check "RDMAPIN_DEBUG=1: one line per registration" bash -c \
	"[ \$(grep -c '^librdmapin-preload: .* policy auto: path pinned reason none' /tmp/entry.err) = 7 ]"
check "auto, 64 KiB limit, 1 MiB buffers, no CAP_IPC_LOCK: all ODP (memlock)" \
	bash -c "/tmp/nolock /tmp/shim auto \"$ENTRY\" pinrxe0 1048576 \
		>/tmp/entry.log 2>/tmp/entry.err; cat /tmp/entry.log; \
		[ \$(grep -c ' odp memlock\$' /tmp/entry.log) = 7 ]"
check "pin under that limit: every registration fails, with the reason" \
	bash -c "! /tmp/nolock /tmp/shim pin \"$ENTRY\" pinrxe0 1048576 \
		>/tmp/entry.log 2>/tmp/entry.err; cat /tmp/entry.log /tmp/entry.err; \
		[ \$(grep -c ' failed ' /tmp/entry.log) = 7 ] &&
		grep -q 'RLIMIT_MEMLOCK' /tmp/entry.err"
check "no policy: the program's own choice (ODP only where it asked)" bash -c \
	"shim - \"$ENTRY\" pinrxe0 >/tmp/entry.log 2>/tmp/entry.err; cat /tmp/entry.log; \
	[ \$(grep -c ' pinned none\$' /tmp/entry.log) = 6 ] &&
	grep -q '^ibv_reg_mr+on_demand odp none\$' /tmp/entry.log &&
	[ ! -s /tmp/entry.err ]"

step "ib_write_bw under each policy, seen by rdmapin mr --pid"
# bw_under POLICY PATH: server (pinrxe1) and client (pinrxe0) under the
# shim; while they run, every MR of both takes PATH.
bw_under() {
	local policy=$1 path=$2 srv cli rc=0
	ip netns exec peer /tmp/shim "$policy" \
		ib_write_bw -d pinrxe1 -x 1 -s 65536 -D 25 -F \
		>/tmp/bw-srv.log 2>&1 &
	srv=$!
	PIDS+=("$srv")
	wait_until 30 ip netns exec peer bash -c "$(declare -f listening); listening"
	/tmp/shim "$policy" ib_write_bw -d pinrxe0 -x 1 -s 65536 -D 25 -F 192.0.2.2 \
		>/tmp/bw-cli.log 2>&1 &
	cli=$!
	PIDS+=("$cli")
	# Stopped while they are looked at (see case 71).  The run lasts long
	# enough for a slow look in a loaded guest (12 s once was not).
	JSON_QUIET=1 wait_until 60 json_is "len(d) > 0" "$RDMAPIN" mr --pid "$cli" \
		--json >/dev/null 2>&1 || rc=1
	kill -STOP "$cli" "$srv"
	mrs_of "$cli" "len(d) >= 1 and all(m['dev'] == 'pinrxe0' and
		m['path'] == '$path' and m['comm'] == 'ib_write_bw' for m in d)" &&
	mrs_of "$srv" "len(d) >= 1 and all(m['dev'] == 'pinrxe1' and
		m['path'] == '$path' for m in d)" || rc=1
	kill -CONT "$cli" "$srv"
	wait "$cli" || perftest_clock_only /tmp/bw-cli.log || rc=1
	wait "$srv" || perftest_clock_only /tmp/bw-srv.log || rc=1
	PIDS=()
	tail -n 3 /tmp/bw-cli.log
	grep -q "policy $policy: path $path" /tmp/bw-cli.log || rc=1
	return $rc
}
check "pin: pinned" bw_under pin pinned
check "odp: odp" bw_under odp odp
check "auto: pinned (no limit)" bw_under auto pinned

step "ibv_rc_pingpong under each policy"
# pp_under POLICY PATH REASON [WRAP...]: the server (pinrxe1) registers
# and waits for its client; rdmapin mr --pid sees its MR; then the client
# (pinrxe0) runs and the data goes through.
pp_under() {
	local policy=$1 path=$2 reason=$3 srv rc=0
	shift 3
	ip netns exec peer "$@" /tmp/shim "$policy" \
		ibv_rc_pingpong -d pinrxe1 -g 1 -s 1048576 -n 20 -c \
		>/tmp/pp-srv.log 2>&1 &
	srv=$!
	PIDS+=("$srv")
	mrs_of "$srv" "len(d) == 1 and d[0]['path'] == '$path' and
		d[0]['reason'] == '$reason' and d[0]['length'] == 1048576" || rc=1
	wait_until 30 ip netns exec peer bash -c "$(declare -f listening); listening"
	timeout $((120 * TSCALE)) "$@" /tmp/shim "$policy" \
		ibv_rc_pingpong -d pinrxe0 -g 1 -s 1048576 -n 20 -c 192.0.2.2 \
		>/tmp/pp-cli.log 2>&1 || rc=1
	wait "$srv" || rc=1
	PIDS=()
	tail -n 2 /tmp/pp-cli.log
	return $rc
}
check "pin: pinned" pp_under pin pinned none
check "odp: odp" pp_under odp odp none
check "auto: pinned" pp_under auto pinned none
check "auto under a 64 KiB limit without CAP_IPC_LOCK: ODP, reason memlock" \
	pp_under auto odp memlock /tmp/nolock
check "its debug line names the fallback" \
	grep -q "policy auto: path odp reason memlock" /tmp/pp-cli.log
check "odp under that limit: ODP, nothing to fall back from" \
	pp_under odp odp none /tmp/nolock

step "RDMAPIN_POLICY unset: as without the shim"
# Under the limit, a pinned 1 MiB registration fails the same way with and
# without the shim, and succeeds the same way without the limit.
run_pp_server() {
	# A lone server fails at registration, before it listens.
	timeout $((30 * TSCALE)) ip netns exec peer "$@" ibv_rc_pingpong -d pinrxe1 -g 1 \
		-s 1048576 -n 1 >/tmp/pp-alone.log 2>&1
	echo "exit $?"
	grep -v "^librdmapin-preload" /tmp/pp-alone.log || true
}
export -f run_pp_server
run_pp_server /tmp/nolock >/tmp/plain.out || true
run_pp_server /tmp/nolock env LD_PRELOAD="$SHIM" RDMAPIN_DEBUG=1 \
	>/tmp/shimmed.out || true
check "and the shim says nothing" bash -c '! grep -q librdmapin-preload /tmp/pp-alone.log'
run_pp_server /tmp/nolock env LD_PRELOAD="$SHIM" RDMAPIN_POLICY= \
	>/tmp/empty.out || true
cat /tmp/plain.out
check "without the shim it fails to register" grep -q "Couldn't register MR" /tmp/plain.out
check "with the shim and no policy: the same exit and messages" \
	cmp /tmp/plain.out /tmp/shimmed.out
check "an empty RDMAPIN_POLICY is no policy" cmp /tmp/plain.out /tmp/empty.out
check "no policy: pingpong works, its MR pinned" pp_under - pinned none

step "a bad RDMAPIN_POLICY: one message, no policy, still works"
check "pingpong with RDMAPIN_POLICY=bogus" \
	client_server pinrxe1 pinrxe0 env LD_PRELOAD="$SHIM" RDMAPIN_POLICY=bogus \
	ibv_rc_pingpong -g 1 -n 20 -c
for log in /tmp/client.log /tmp/server.log; do
	check "$log: the message, once" bash -c \
		"[ \$(grep -c 'RDMAPIN_POLICY=bogus is not one of pin, odp, auto' $log) = 1 ]"
done
check "preload_entry under bogus: the program's own choices" bash -c \
	"env LD_PRELOAD=\"$SHIM\" RDMAPIN_POLICY=bogus \"$ENTRY\" pinrxe0 >/tmp/entry.log; \
	[ \$(grep -c ' pinned none\$' /tmp/entry.log) = 6 ]"

step "RDMAPIN_PREFETCH=1: ODP registrations resident before any traffic"
# prefetch_case ENV EXTRA EXPR: ibv_rc_pingpong's server (pinrxe1, 1 MiB,
# options EXTRA) under the shim with the ENV assignments and
# RDMAPIN_DEBUG=1; right after it registered, before any traffic, its one
# MR makes EXPR true (d: the list); then the client, the same way,
# exchanges with it.
prefetch_case() {
	local envs=$1 extra=$2 expr=$3 srv rc=0
	# shellcheck disable=SC2086
	ip netns exec peer env LD_PRELOAD="$SHIM" RDMAPIN_DEBUG=1 $envs \
		ibv_rc_pingpong -d pinrxe1 -g 1 -s 1048576 -n 20 -c $extra \
		>/tmp/pf-srv.log 2>&1 &
	srv=$!
	PIDS+=("$srv")
	mrs_of "$srv" "len(d) == 1 and $expr" || rc=1
	wait_until 30 ip netns exec peer bash -c "$(declare -f listening); listening"
	# shellcheck disable=SC2086
	timeout $((120 * TSCALE)) env LD_PRELOAD="$SHIM" RDMAPIN_DEBUG=1 $envs \
		ibv_rc_pingpong -d pinrxe0 -g 1 -s 1048576 -n 20 -c $extra \
		192.0.2.2 >/tmp/pf-cli.log 2>&1 || rc=1
	wait "$srv" || rc=1
	PIDS=()
	grep '^librdmapin-preload' /tmp/pf-srv.log || true
	tail -n 2 /tmp/pf-cli.log
	return $rc
}
resident="d[0]['path'] == 'odp' and d[0]['odp']['pages_faulted'] == 256 and
	d[0]['odp']['prefetches'] >= 1"
check "the program's own ODP MR (-o): all 256 pages resident" \
	prefetch_case RDMAPIN_PREFETCH=1 -o "$resident"
check "its debug line: the whole MR, PREFETCH_WRITE, done" grep -q \
	'^librdmapin-preload: prefetch pinrxe1 len 1048576 lkey 0x[0-9a-f]* PREFETCH_WRITE: done$' \
	/tmp/pf-srv.log
check "without RDMAPIN_PREFETCH: no page resident before traffic" \
	prefetch_case "" -o "d[0]['path'] == 'odp' and
		d[0]['odp']['pages_faulted'] == 0 and d[0]['odp']['prefetches'] == 0"
check "and the shim prefetched nothing" bash -c '! grep -q prefetch /tmp/pf-srv.log'
check "RDMAPIN_PREFETCH=0: the same" \
	prefetch_case RDMAPIN_PREFETCH=0 -o "d[0]['odp']['pages_faulted'] == 0"
check "policy odp: the policy's ODP MR resident" \
	prefetch_case "RDMAPIN_POLICY=odp RDMAPIN_PREFETCH=1" "" "$resident"
check "policy pin: pinned, nothing to prefetch" \
	prefetch_case "RDMAPIN_POLICY=pin RDMAPIN_PREFETCH=1" "" \
	"d[0]['path'] == 'pinned'"
check "and no prefetch line" bash -c '! grep -q prefetch /tmp/pf-srv.log'
# Read-only memory registered for writing with ODP: the registration
# stands, the write prefetch cannot.
ro_odp() {
	env LD_PRELOAD="$SHIM" RDMAPIN_PREFETCH=1 "$@" "$ENTRY" pinrxe0 65536 \
		ro-odp >/tmp/ro.log 2>/tmp/ro.err
	local rc=$?
	cat /tmp/ro.log /tmp/ro.err
	[ "$rc" = 0 ] && grep -qx 'ro-odp odp none' /tmp/ro.log
}
check "a failed prefetch: the MR registered, usable and deregistered" \
	ro_odp RDMAPIN_DEBUG=1
check "the failure is on stderr under RDMAPIN_DEBUG" bash -c \
	"grep -q '^librdmapin-preload: prefetch pinrxe0 len 65536 .* PREFETCH_WRITE: failed: ' /tmp/ro.err &&
	 grep -q 'the MR stays registered' /tmp/ro.err"
ro_odp_silent() { ro_odp && [ ! -s /tmp/ro.err ]; }
check "and silent without it" ro_odp_silent
check "RDMAPIN_PREFETCH=yes: one message, nothing prefetched" bash -c \
	"env LD_PRELOAD=\"$SHIM\" RDMAPIN_PREFETCH=yes RDMAPIN_DEBUG=1 \"$ENTRY\" pinrxe0 65536 ro-odp \
		>/tmp/ro.log 2>/tmp/ro.err; cat /tmp/ro.err;
	 [ \$(grep -c 'RDMAPIN_PREFETCH=yes is not 0 or 1' /tmp/ro.err) = 1 ] &&
	 ! grep -q 'prefetch pinrxe0' /tmp/ro.err"

step "nothing left"
for dev in pinrxe0 pinrxe1; do
	check "$dev: pinned_pages 0" bash -c \
		"[ \"\$(counter $dev pinned_pages)\" = 0 ]"
done
check "rdma link del pinrxe0" rdma link del pinrxe0
check "rdma link del pinrxe1" ip netns exec peer rdma link del pinrxe1
check "module unloads" rmmod pinrxe
