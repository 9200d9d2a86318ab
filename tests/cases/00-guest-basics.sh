# The guest itself: the host root is visible beneath a writable overlay
# (tests/host/guest-runner.sh checks that writes never reach the host), results reach the host, the kernel is the recorded one, and the
# guest has no network interface but loopback.
. "$RDMAPIN_TOP/tests/lib.sh"

step "kernel and modules"
check "guest runs the recorded kernel" test "$(uname -r)" = "$RDMAPIN_KVER"
check "the kernel's modules are reachable" \
	test -d "/lib/modules/$RDMAPIN_KVER/kernel/drivers/infiniband"

step "filesystems"
check "root is an overlay" test "$(findmnt -n -o FSTYPE /)" = overlay
echo scratch >/etc/rdmapin-overlay-test
check "the overlay is writable" grep -q scratch /etc/rdmapin-overlay-test
echo result >"$RDMAPIN_OUT/basics-result"
check "the results share is writable" test -s "$RDMAPIN_OUT/basics-result"
check "the build tree is visible" test -f "$PINRXE_KO"

step "network"
ifaces=$(ls /sys/class/net)
check "only loopback exists (no NIC): $ifaces" test "$ifaces" = lo
