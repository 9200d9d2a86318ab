# rdma-core's on-demand paging tests (test_odp.py) on pinrxe: explicit and
# implicit ODP MRs, RC/UD/SRQ traffic, RDMA READ/WRITE and atomics into
# ODP memory, huge pages, and ibv_advise_mr prefetches (sync, async,
# no-fault).  Every test must pass; the only skip allowed is
# test_odp_xrc_traffic while pinrxe has no XRC (other work).  The guest
# gets 2 MiB huge pages so that the huge-page tests run.
# guest-timeout: 600
. "$RDMAPIN_TOP/tests/lib.sh"

# Skips allowed, by test name: XRC is another branch's work.
ALLOWED_SKIPS=(test_odp_xrc_traffic)

load_pinrxe
make_netns_pair
check "rdma link add pinrxe0" pinrxe_add pinrxe0 veth0

step "huge pages"
echo 32 >/proc/sys/vm/nr_hugepages
grep -i huge /proc/meminfo
check "2 MiB huge pages are free" bash -c \
	'[ "$(awk "/HugePages_Free/ {print \$2}" /proc/meminfo)" -ge 16 ]'

step "ODP capabilities as ibv_devinfo sees them"
ibv_devinfo -v -d pinrxe0 | sed -n '/general_odp_caps/,/xrc_odp_caps/p' |
	tee /tmp/odp-caps
check "general caps: ODP and implicit ODP" bash -c \
	'grep -q ODP_SUPPORT$ /tmp/odp-caps && grep -q ODP_SUPPORT_IMPLICIT /tmp/odp-caps'
check "RC caps: send, receive, write, read, atomic, SRQ receive" bash -c \
	'sed -n "/rc_odp_caps/,/uc_odp_caps/p" /tmp/odp-caps | grep -c -E \
	 "SUPPORT_(SEND|RECV|WRITE|READ|ATOMIC|SRQ)$" | grep -qx 6'

step "test_odp.py"
suite=/tmp/rtests
rm -rf "$suite"
cp -r /usr/share/doc/rdma-core/tests "$suite"
gunzip -r "$suite"
rc=0
(cd /tmp && timeout 450 python3 "$suite/run_tests.py" --dev pinrxe0 -v \
	test_odp >/tmp/odp.out 2>/tmp/odp.log) || rc=$?
cp /tmp/odp.log /tmp/odp.out "$RDMAPIN_OUT/" || true
cat /tmp/odp.log
echo "run_tests.py exited $rc"

step "results"
check "tests ran" grep -q "^Ran [1-9][0-9]* tests" /tmp/odp.log
check "no failure or error" bash -c \
	'! grep -E "\.\.\. (FAIL|ERROR)$|^(FAIL|ERROR):" /tmp/odp.log'
# Every skip must be an allowed one.
bad_skips=$(grep -E "\.\.\. skipped" /tmp/odp.log | grep -v -E \
	"^($(IFS='|'; echo "${ALLOWED_SKIPS[*]}")) " || true)
[ -z "$bad_skips" ] || echo "$bad_skips"
check "no skip but ${ALLOWED_SKIPS[*]}" test -z "$bad_skips"
ran=$(sed -n 's/^Ran \([0-9]*\) tests.*/\1/p' /tmp/odp.log)
passed=$(grep -c "\.\.\. ok$" /tmp/odp.log || true)
skipped=$(grep -c "\.\.\. skipped" /tmp/odp.log || true)
echo "ran $ran, passed $passed, skipped $skipped"
check "every test ran passed or is an allowed skip" \
	test "$ran" -ge 16 -a "$((passed + skipped))" -eq "$ran"

step "counters and cleanup"
rdma statistic show link pinrxe0/1 | tee /tmp/stats
check "faults were counted" bash -c \
	'grep -o "odp_faults [0-9]*" /tmp/stats | grep -qv "odp_faults 0$"'
check "prefetches were counted" bash -c \
	'grep -o "odp_prefetches [0-9]*" /tmp/stats | grep -qv "odp_prefetches 0$"'
check "no MR left" bash -c '[ -z "$(rdma resource show mr)" ]'
check "nothing left pinned" bash -c \
	'rdma statistic show link pinrxe0/1 | grep -q "pinned_pages 0"'
check "rdma link del pinrxe0" rdma link del pinrxe0
check "rmmod pinrxe" rmmod pinrxe
