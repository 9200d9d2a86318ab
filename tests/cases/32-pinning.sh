# Pinning behaviour of ibv_reg_mr() on pinrxe across memory types
# (tests/pin/pin_test.c): FOLL_PIN and VmPin accounting, RLIMIT_MEMLOCK,
# process death, ZONE_MOVABLE migration, fork, rereg, a refused pin on
# ext4, and no pin left behind by a failure.  Then with data moving
# between pinrxe0 and pinrxe1 over the veth pair (tests/pin/pin_traffic.c):
# a peer's RDMA WRITE into memfd and shmem mappings is in the file after
# deregistration, an MR stays coherent in the parent across fork() (with
# and without MADV_DONTFORK and ibv_fork_init()), and a process killed
# mid-transfer leaves no pin and only a failed peer QP.
# guest-append: hugepages=8 movablecore=512M
. "$RDMAPIN_TOP/tests/lib.sh"

load_pinrxe
make_netns_pair
check "rdma link add pinrxe0" pinrxe_add pinrxe0 veth0
check "rdma link add pinrxe1 (namespace peer)" \
	ip netns exec peer rdma link add pinrxe1 type pinrxe netdev veth1
# POSIX shared memory (shm_open) for pin_traffic's shm test.
mkdir -p /dev/shm
mountpoint -q /dev/shm || mount -t tmpfs tmpfs /dev/shm

step "ext4 scratch filesystem on a loop device"
modprobe loop
modprobe ext4
truncate -s 64M /tmp/ext4.img
mkfs.ext4 -q -F /tmp/ext4.img
mkdir -p /mnt/ext4
check "mount ext4" mount -o loop /tmp/ext4.img /mnt/ext4

# The quiescent count: our own output crossing the 9p share can hold a
# pin for a moment (see below), so the least of a few samples.
held0=$(pins_quiescent)
echo "FOLL_PIN pins held at the start: $held0"
# The pin counters are global: output goes to a file in tmpfs, since
# writing it live to the 9p results share would take transient pins of its
# own and blur the counts.
rc=0
"$RDMAPIN_BUILD/tests/pin_test" pinrxe0 anon thp shmem bad-input odp memlock \
	kill fork rereg hugetlb movable ext4 --ext4-file /mnt/ext4/mapped \
	>/tmp/pin_test.log 2>&1 || rc=$?
cat /tmp/pin_test.log
check "pin_test passed" test "$rc" = 0

step "pinning with traffic between pinrxe0 and pinrxe1"
# pin_traffic counts pins system-wide too: let our output settle first.
settled() {
	wait_until 30 bash -c "[ \"\$(pins_held)\" = $held0 ]" ||
		{ echo "$(pins_held) pins held, $held0 at the start"; false; }
}
check "pins settled" settled
rc=0
"$RDMAPIN_BUILD/tests/pin_traffic" pinrxe0 pinrxe1 memfd shm fork \
	fork-dontfork kill >/tmp/pin_traffic.log 2>&1 || rc=$?
cat /tmp/pin_traffic.log
check "pin_traffic passed" test "$rc" = 0
# ibv_fork_init() must be in force before the first registration: its own
# process, with RDMAV_FORK_SAFE making ibv_get_device_list() call it.
check "pins settled" settled
rc=0
RDMAV_FORK_SAFE=1 "$RDMAPIN_BUILD/tests/pin_traffic" pinrxe0 pinrxe1 \
	fork-forkinit >/tmp/pin_traffic.log 2>&1 || rc=$?
cat /tmp/pin_traffic.log
check "pin_traffic fork-forkinit (RDMAV_FORK_SAFE=1) passed" test "$rc" = 0

step "nothing left pinned"
# Our own output crossing the 9p share holds a pin while it is written,
# so wait for the count to settle; a leaked pin never would.
check "as many pins held as before ($held0)" \
	wait_until 10 bash -c "[ \"\$(pins_held)\" = $held0 ]"
check "nr_foll_pin_acquired == nr_foll_pin_released" \
	wait_until 10 bash -c '[ "$(pins_held)" = 0 ]'
for dev in pinrxe0 pinrxe1; do
	check "$dev: pinned_pages 0" bash -c \
		"rdma statistic show link $dev/1 | grep -q 'pinned_pages 0 '"
done
check "rdma link del pinrxe0" rdma link del pinrxe0
check "rdma link del pinrxe1" ip netns exec peer rdma link del pinrxe1
check "module unloads" rmmod pinrxe
umount /mnt/ext4
