# On-demand paging under invalidation (tests/odp/odp_stress.c): RDMA WRITE
# and READ streams into and from ODP MRs, explicit and implicit, while
# another thread munmaps and re-maps (MAP_FIXED), MADV_DONTNEEDs and
# mremaps the target, every byte checked; accesses to unmapped or
# read-only pages fail as access errors; ibv_advise_mr and rereg on ODP
# MRs; a WRITE whose target faults in from a slow disk (dm-delay) gets RNR
# NAKs, not silence, from the responder, and completes.  Then the teardown paths: a process killed mid-stream, `rdma link
# del` and module unload under a process holding ODP MRs; after each, no
# MR, pin or notifier is left (nr_foll_pin_acquired == released, no MR in
# `rdma resource`, module unloads) and the kernel log stays clean.
# guest-timeout: 600
. "$RDMAPIN_TOP/tests/lib.sh"

STRESS="$RDMAPIN_BUILD/tests/odp_stress"

no_mr() { [ -z "$(rdma resource show mr)" ]; }

load_pinrxe
make_netns_pair
check "rdma link add pinrxe0" pinrxe_add pinrxe0 veth0
held0=$(pins_quiescent)
echo "FOLL_PIN pins held at the start: $held0"

step "streams under remapping, errors, advice, rereg"
check "odp_stress" timeout $((400 * TSCALE)) "$STRESS" pinrxe0 stream implicit errors \
	advise rereg
rdma statistic show link pinrxe0/1 | grep -o "odp_[a-z_]* [0-9]*"
check "faults counted" counter_moved pinrxe0 odp_faults
check "pages faulted counted" counter_moved pinrxe0 odp_pages_faulted
check "invalidations counted" test "$(hw_counter pinrxe0 odp_invalidations)" -gt 100
check "prefetches counted" counter_moved pinrxe0 odp_prefetches
check "no MR left" no_mr
check "no pin taken by ODP" test "$(pins_quiescent)" -le "$held0"

step "a slow fault: RNR NAKs while the responder faults, no retry spent"
# A file on ext4 over dm-delay (every read 300 ms late), written and
# synced with no delay, then its pages dropped from the page cache: an RDMA
# WRITE into an ODP MR of it makes the responder read them back from the
# slow disk.  odp_stress gives the requester timeout 14 and retry_cnt 1
# (134 ms of silence fails it) and checks the write completes anyway.
modprobe loop
modprobe ext4
check "modprobe dm-delay" modprobe dm-delay
truncate -s 32M /tmp/slow.img
loopdev=$(losetup -f --show /tmp/slow.img)
sectors=$(blockdev --getsz "$loopdev")
# No udev in the guest: dmsetup neither waits for it nor gets its node.
check "dmsetup create (no delay yet)" dmsetup create --noudevsync slowdisk \
	--table "0 $sectors delay $loopdev 0 0"
dmsetup mknodes slowdisk
mkfs.ext4 -q -F /dev/mapper/slowdisk
mkdir -p /mnt/slow
check "mount it" mount /dev/mapper/slowdisk /mnt/slow
dd if=/dev/urandom of=/mnt/slow/target bs=256K count=1 status=none
sync
check "reads 300 ms late" bash -c "dmsetup suspend --noudevsync slowdisk &&
	dmsetup reload --noudevsync slowdisk --table '0 $sectors delay $loopdev 0 300' &&
	dmsetup resume --noudevsync slowdisk"
echo 3 >/proc/sys/vm/drop_caches
rnr0=$(hw_counter pinrxe0 odp_fault_rnr_naks)
to0=$(hw_counter pinrxe0 retry_timeouts)
check "odp_stress slowfault" timeout $((120 * TSCALE)) "$STRESS" pinrxe0 \
	slowfault /mnt/slow/target
rnr1=$(hw_counter pinrxe0 odp_fault_rnr_naks)
to1=$(hw_counter pinrxe0 retry_timeouts)
echo "odp_fault_rnr_naks $rnr0 -> $rnr1, retry_timeouts $to0 -> $to1"
check "the responder answered RNR NAKs while it faulted" test "$rnr1" -gt "$rnr0"
check "no retry timeout" test "$to1" = "$to0"
check "umount" umount /mnt/slow
check "dmsetup remove" dmsetup remove --noudevsync slowdisk
losetup -d "$loopdev"
rm -f /tmp/slow.img

step "per-MR attributes in rdma resource"
rm -f /tmp/held
"$STRESS" pinrxe0 hold /tmp/held >/tmp/hold.log 2>&1 &
holder=$!
check "the holder registered its ODP MRs" wait_until 120 test -e /tmp/held
rdma resource show mr -dd | tee /tmp/mrs
check "ODP MRs say odp 1 with their faults" bash -c \
	'grep -q "odp 1" /tmp/mrs && grep -q "faults [1-9]" /tmp/mrs'

step "rdma link del under the holder"
check "rdma link del pinrxe0" timeout $((60 * TSCALE)) rdma link del pinrxe0
check "device gone" ib_gone pinrxe0
check "the holder exits after DEVICE_FATAL" timeout $((30 * TSCALE)) tail --pid=$holder \
	-f /dev/null
wait $holder || { cat /tmp/hold.log; fail "the holder failed"; }
check "it released its ODP MRs" grep -q "ODP MRs released" /tmp/hold.log

step "SIGKILL mid-stream"
check "rdma link add pinrxe0 again" pinrxe_add pinrxe0 veth0
rm -f /tmp/streaming
"$STRESS" pinrxe0 run /tmp/streaming >/tmp/run.log 2>&1 &
runner=$!
check "streaming" wait_until 120 test -e /tmp/streaming
sleep 1
kill -9 $runner
wait $runner 2>/dev/null || true
check "no MR left after the kill" wait_until 30 no_mr
check "nr_foll_pin_acquired == nr_foll_pin_released (as at the start)" \
	test "$(pins_quiescent)" -le "$held0"

step "module unload under a holder"
rm -f /tmp/held
"$STRESS" pinrxe0 hold /tmp/held >/tmp/hold.log 2>&1 &
holder=$!
check "the holder registered its ODP MRs" wait_until 120 test -e /tmp/held
check "rmmod pinrxe" timeout $((120 * TSCALE)) rmmod pinrxe
check "the holder exits" timeout $((30 * TSCALE)) tail --pid=$holder -f /dev/null
wait $holder || { cat /tmp/hold.log; fail "the holder failed"; }
check "it released its ODP MRs" grep -q "ODP MRs released" /tmp/hold.log
check "no pin left" test "$(pins_quiescent)" -le "$held0"
