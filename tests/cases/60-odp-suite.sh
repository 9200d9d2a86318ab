# rdma-core's on-demand paging tests (test_odp.py) on pinrxe: explicit and
# implicit ODP MRs, RC/UD/SRQ traffic, RDMA READ/WRITE and atomics into
# ODP memory, huge pages, and ibv_advise_mr prefetches (sync, async,
# no-fault), XRC over ODP.  Every test must pass and none may skip.  The
# guest gets 2 MiB huge pages so that the huge-page tests run.
# guest-timeout: 600
. "$RDMAPIN_TOP/tests/lib.sh"


load_pinrxe
make_netns_pair
check "rdma link add pinrxe0" pinrxe_add pinrxe0 veth0

step "huge pages"
echo 32 >/proc/sys/vm/nr_hugepages
grep -i huge /proc/meminfo
check "2 MiB huge pages are free" bash -c \
	'[ "$(awk "/HugePages_Free/ {print \$2}" /proc/meminfo)" -ge 16 ]'

step "ODP capabilities as ibv_devinfo sees them"
# From general_odp_caps through the last capability under xrc_odp_caps.
ibv_devinfo -v -d pinrxe0 | awk '/general_odp_caps/ { on = 1 }
	on && xrc && !/SUPPORT/ { exit }
	on { print }
	/xrc_odp_caps/ { xrc = 1 }' | tee /tmp/odp-caps
check "general caps: ODP and implicit ODP" bash -c \
	'grep -q ODP_SUPPORT$ /tmp/odp-caps && grep -q ODP_SUPPORT_IMPLICIT /tmp/odp-caps'
check "RC caps: send, receive, write, read, atomic, SRQ receive" bash -c \
	'sed -n "/[[:space:]]rc_odp_caps/,/uc_odp_caps/p" /tmp/odp-caps | grep -c -E \
	 "SUPPORT_(SEND|RECV|WRITE|READ|ATOMIC|SRQ)$" | grep -qx 6'
check "XRC caps: send, write, read, atomic, SRQ receive" bash -c \
	'sed -n "/xrc_odp_caps/,\$p" /tmp/odp-caps | grep -c -E \
	 "SUPPORT_(SEND|WRITE|READ|ATOMIC|SRQ)$" | grep -qx 5'

step "test_odp.py"
suite=/tmp/rtests
rm -rf "$suite"
cp -r /usr/share/doc/rdma-core/tests "$suite"
gunzip -r "$suite"
rc=0
(cd /tmp && timeout $((450 * TSCALE)) python3 "$suite/run_tests.py" --dev pinrxe0 -v \
	test_odp >/tmp/odp.out 2>/tmp/odp.log) || rc=$?
cp /tmp/odp.log /tmp/odp.out "$RDMAPIN_OUT/" || true
cat /tmp/odp.log
echo "run_tests.py exited $rc"

step "results"
check "tests ran" grep -q "^Ran [1-9][0-9]* tests" /tmp/odp.log
check "no failure or error" bash -c \
	'! grep -E "\.\.\. (FAIL|ERROR)$|^(FAIL|ERROR):" /tmp/odp.log'
skips=$(grep -E "\.\.\. skipped" /tmp/odp.log || true)
[ -z "$skips" ] || echo "$skips"
check "nothing skipped" test -z "$skips"
ran=$(sed -n 's/^Ran \([0-9]*\) tests.*/\1/p' /tmp/odp.log)
passed=$(grep -c "\.\.\. ok$" /tmp/odp.log || true)
skipped=$(grep -c "\.\.\. skipped" /tmp/odp.log || true)
echo "ran $ran, passed $passed, skipped $skipped"
check "all $ran tests passed" test "$ran" -ge 17 -a "$passed" -eq "$ran"

step "counters and cleanup"
rdma statistic show link pinrxe0/1 | tee /tmp/stats
check "faults were counted" bash -c \
	'grep -o "odp_faults [0-9]*" /tmp/stats | grep -qv "odp_faults 0$"'
check "prefetches were counted" bash -c \
	'grep -o "odp_prefetches [0-9]*" /tmp/stats | grep -qv "odp_prefetches 0$"'
check "no MR left" bash -c '[ -z "$(rdma resource show mr)" ]'
check "nothing left pinned" test "$(hw_counter pinrxe0 pinned_pages)" = 0
check "rdma link del pinrxe0" rdma link del pinrxe0
check "rmmod pinrxe" rmmod pinrxe
