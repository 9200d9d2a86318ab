# librdmapin against pinrxe and rdma_rxe (tests/librdmapin/librdmapin_test.c):
# the PIN, ODP and AUTO policies on anonymous memory, under a 64 KiB
# memlock limit without CAP_IPC_LOCK, and on a MAP_SHARED file on ext4;
# rdmapin_mr_info agreeing with pinrxedv_query_mr and with `rdma resource
# show mr -dd`; rdmapin_mr_list finding another process's MR by pid;
# rdmapin_devices; rdmapin_dev_stats moving with traffic; and the
# examples.  rdma_rxe (no ODP, no driver attributes) must fail or degrade
# with clear messages.  rxe0 is in the initial namespace, pinrxe1 in
# namespace "peer", as in case 55.
# guest-timeout: 900
. "$RDMAPIN_TOP/tests/lib.sh"

T="$RDMAPIN_BUILD/tests/librdmapin_test"
NOCAP=(setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock)

load_rdma_core
modprobe rdma_rxe
insmod "$PINRXE_KO"
make_netns_pair
check "rdma link add rxe0" rdma link add rxe0 type rxe netdev veth0
check "rdma link add pinrxe1 (namespace peer)" \
	ip netns exec peer rdma link add pinrxe1 type pinrxe netdev veth1

step "ext4 scratch filesystem on a loop device"
modprobe loop
modprobe ext4
truncate -s 64M /tmp/ext4.img
mkfs.ext4 -q -F /tmp/ext4.img
mkdir -p /mnt/ext4
check "mount ext4" mount -o loop /tmp/ext4.img /mnt/ext4

for dev in pinrxe1 rxe0; do
	for t in devices args pin odp auto stats; do
		step "$dev: $t"
		check "librdmapin_test $dev $t" "$T" "$dev" "$t"
	done
	step "$dev: memlock (64 KiB, no CAP_IPC_LOCK)"
	check "librdmapin_test $dev memlock" "${NOCAP[@]}" "$T" "$dev" memlock
	step "$dev: ext4 MAP_SHARED"
	check "librdmapin_test $dev ext4" "$T" "$dev" ext4 /mnt/ext4/f-$dev
done

# hold DEV: start a process holding a 192 KiB pinned MR; sets HOLD_PID
# and HOLD_LKEY.  It exits when its stdin (a fifo) is closed.
hold() {
	rm -f /tmp/hold.fifo
	mkfifo /tmp/hold.fifo
	"$T" "$1" hold </tmp/hold.fifo >/tmp/hold.log 2>&1 &
	exec 7>/tmp/hold.fifo
	wait_until 30 grep -q holding /tmp/hold.log || fail "hold on $1: $(cat /tmp/hold.log)"
	HOLD_PID=$(awk '/holding/ {print $3}' /tmp/hold.log)
	HOLD_LKEY=$(awk '/holding/ {print $5}' /tmp/hold.log)
}
release() {
	exec 7>&-
	wait
}

for dev in pinrxe1 rxe0; do
	step "$dev: another process's MR, by pid"
	hold "$dev"
	check "rdmapin_mr_list($dev, $HOLD_PID) lists it" \
		"$T" "$dev" list "$HOLD_PID" 196608
	lkey=$(printf '0x%x' "$HOLD_LKEY")
	rdma resource show mr -dd dev "$dev" | tee /tmp/res.txt
	if [ "$dev" = pinrxe1 ]; then
		check "rdma resource: pid $HOLD_PID's MR, lkey $lkey, 48 pages pinned in 4 KiB folios" \
			grep -Eq "lkey $lkey .*pid $HOLD_PID .*drv_mode pinned .*drv_pinned_pages 48 drv_folio_4k 48 drv_folio_64k 0 drv_folio_2m 0 drv_folio_1g 0" /tmp/res.txt
	else
		check "rdma resource: pid $HOLD_PID's MR, no driver attributes" \
			bash -c "grep -E 'lkey $lkey .*pid $HOLD_PID' /tmp/res.txt | grep -vq drv_"
	fi
	release
done

step "rdmapin_mr_info against rdma resource show mr -dd (pinrxe1)"
"$T" pinrxe1 pin >/tmp/pin.log 2>&1 || { cat /tmp/pin.log; fail "pin"; }
grep -q "path pinned .*pinned 256 folios 256/0/0/0 .*from_kernel 1" /tmp/pin.log ||
	fail "mr_info of a 1 MiB pinned MR: $(cat /tmp/pin.log)"
pass "mr_info: 256 pinned pages, all in 4 KiB folios, from the kernel"

step "rdmapin_dev_stats moves with traffic"
stat() { "$T" "$1" stats | awk -v n="$2" '$1 == "stat" && $2 == n {print $3}'; }
s0=$(stat pinrxe1 rcvd_pkts)
r0=$(stat rxe0 sent_pkts)
check "rxe0 -> pinrxe1: ibv_rc_pingpong" \
	client_server pinrxe1 rxe0 ibv_rc_pingpong -g 1 -n 50
s1=$(stat pinrxe1 rcvd_pkts)
r1=$(stat rxe0 sent_pkts)
echo "pinrxe1 rcvd_pkts $s0 -> $s1, rxe0 sent_pkts $r0 -> $r1"
check "pinrxe1 rcvd_pkts moved by at least 50" test "$((s1 - s0))" -ge 50
check "rxe0 sent_pkts moved by at least 50" test "$((r1 - r0))" -ge 50
check "the same value as rdma statistic" bash -c \
	"ip netns exec peer rdma statistic show link pinrxe1/1 | grep -q ' rcvd_pkts $s1 '"

step "examples"
check "reg_pinned pinrxe1" bash -c \
	"$EXAMPLES/reg_pinned pinrxe1 | tee /dev/stderr | grep -q 'pinned pages 256'"
check "reg_pinned rxe0" bash -c \
	"$EXAMPLES/reg_pinned rxe0 | grep -q 'path pinned'"
check "reg_odp_prefetch pinrxe1" bash -c \
	"$EXAMPLES/reg_odp_prefetch pinrxe1 | tee /dev/stderr | grep -q 'path odp, pinned pages 0, prefetches 1, pages faulted 256'"
check_fails "reg_odp_prefetch rxe0: no ODP" "does not support on-demand paging" \
	"$EXAMPLES/reg_odp_prefetch" rxe0
check "auto_fallback pinrxe1 on ext4" bash -c \
	"$EXAMPLES/auto_fallback pinrxe1 /mnt/ext4/ex | tee /dev/stderr | grep -q 'path odp, reason pin_refused'"
check_fails "auto_fallback rxe0 on ext4: no ODP to fall back to" \
	"no on-demand paging" "$EXAMPLES/auto_fallback" rxe0 /mnt/ext4/ex
check "mr_info pinrxe1" bash -c \
	"$EXAMPLES/mr_info pinrxe1 | tee /dev/stderr | grep -q 'kernel MR pinrxe1/.*262144 bytes, path pinned, pinned pages 64'"
check "mr_info rxe0" bash -c \
	"$EXAMPLES/mr_info rxe0 | tee /dev/stderr | grep -q 'from kernel no'"

step "nothing left pinned"
check "pinrxe1: pinned_pages 0" test "$(hw_counter pinrxe1 pinned_pages)" = 0
umount /mnt/ext4
check "rdma link del pinrxe1" ip netns exec peer rdma link del pinrxe1
check "rdma link del rxe0" rdma link del rxe0
check "module unloads" rmmod pinrxe
