# Pinned registrations that fall back to on-demand paging (ODP) when the
# pages cannot be pinned: RLIMIT_MEMLOCK, or a long-term pin the kernel
# refuses (a writable MAP_SHARED mapping of a file on ext4), through the
# pinrxedv API (PINRXEDV_REG_FALLBACK_ODP / PINRXEDV_REG_NO_FALLBACK) and
# through plain ibv_reg_mr() with the module parameter odp_fallback set;
# an unmapped range never falls back; the reg_mr driver ABI's checks;
# pinrxedv on an rdma_rxe device is "not supported"; the odp_fallbacks
# counter and the MRs' restrack attributes (`rdma resource show mr -dd`);
# no FOLL_PIN pin left anywhere (tests/pin/fallback.c).
#
# Where the device offers no ODP, fallback.c checks instead that a
# fallback fails with the pin's error and leaves nothing behind.
# guest-timeout: 900
. "$RDMAPIN_TOP/tests/lib.sh"

FALLBACK="$RDMAPIN_BUILD/tests/fallback"
PARAM=/sys/module/pinrxe/parameters/odp_fallback

load_pinrxe
make_netns_pair
check "rdma link add pinrxe1 (namespace peer)" \
	ip netns exec peer rdma link add pinrxe1 type pinrxe netdev veth1

# run_fallback LOG ARGS...: the program's output goes to tmpfs first: live
# output to the 9p results share would take pins of its own and blur the
# system-wide counts it checks.
run_fallback() {
	local log=$1 rc=0
	shift
	"$FALLBACK" "$@" >"$log" 2>&1 || rc=$?
	cat "$log"
	return "$rc"
}

step "pinrxedv on another provider's device (rdma_rxe)"
# rdma_rxe takes UDP port 4791 in this namespace: pinrxe0 comes after it.
modprobe rdma_rxe
check "rdma link add rxe0" rdma link add rxe0 type rxe netdev veth0
check "query: pinrxe1 supported, rxe0 not" \
	run_fallback /tmp/fallback-rxe.log pinrxe1 pinrxe1 query --rxe rxe0
check "rdma link del rxe0" rdma link del rxe0
check "rmmod rdma_rxe" rmmod rdma_rxe
check "rdma link add pinrxe0" pinrxe_add pinrxe0 veth0

step "ext4 scratch filesystem on a loop device"
modprobe loop
modprobe ext4
truncate -s 64M /tmp/ext4.img
mkfs.ext4 -q -F /tmp/ext4.img
mkdir -p /mnt/ext4
check "mount ext4" mount -o loop /tmp/ext4.img /mnt/ext4

held0=$(pins_quiescent)
echo "FOLL_PIN pins held at the start: $held0"
odp=no
ibv_devinfo -v -d pinrxe0 | grep -q "ODP_SUPPORT\b" && odp=yes
echo "pinrxe0 offers ODP: $odp"

step "fallback on request (module default: no fallback)"
check "odp_fallback parameter is there, off" grep -qx N "$PARAM"
f0=$(hw_counter pinrxe0 odp_fallbacks)
check "fallback.c: query abi unmapped memlock ext4 ext4-write" \
	run_fallback /tmp/fallback.log pinrxe0 pinrxe1 query abi unmapped \
	memlock ext4 ext4-write --ext4-file /mnt/ext4/mapped

step "fallback by default (odp_fallback=1)"
echo 1 >"$PARAM"
check "fallback.c --param-set: memlock ext4" \
	run_fallback /tmp/fallback-param.log pinrxe0 pinrxe1 memlock ext4 \
	--ext4-file /mnt/ext4/mapped --param-set
echo 0 >"$PARAM"
f1=$(hw_counter pinrxe0 odp_fallbacks)
echo "odp_fallbacks: $f0 before, $f1 after"
if [ "$odp" = yes ]; then
	# query 0, memlock 1, ext4 1, ext4-write 1; with the parameter set:
	# memlock 2, ext4 2.
	check "rdma statistic: odp_fallbacks moved by 7" \
		bash -c "rdma statistic show link pinrxe0/1 | grep -q ' odp_fallbacks $((f0 + 7)) '"
else
	check "rdma statistic: odp_fallbacks unchanged without ODP" \
		bash -c "rdma statistic show link pinrxe0/1 | grep -q ' odp_fallbacks $f0 '"
fi

step "restrack: an MR's path in rdma resource show mr -dd"
check "fallback.c restrack" \
	run_fallback /tmp/fallback-res.log pinrxe0 pinrxe1 restrack

step "nothing left pinned"
check_pins_back "$held0" pinrxe0 pinrxe1
check "nr_foll_pin_acquired == nr_foll_pin_released" \
	wait_until 10 bash -c '[ "$(pins_held)" = 0 ]'
check "rdma link del pinrxe0" rdma link del pinrxe0
check "rdma link del pinrxe1" ip netns exec peer rdma link del pinrxe1
check "module unloads" rmmod pinrxe
umount /mnt/ext4
