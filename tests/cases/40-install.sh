# `make install` (cmake --install) makes everything work without the build
# tree: modprobe finds the module, libibverbs finds the provider through
# /etc/libibverbs.d, and programs build against librdmapin with pkg-config.
# It runs in the guest, so the install lands in the guest's tmpfs overlay
# and the host stays untouched.
. "$RDMAPIN_TOP/tests/lib.sh"
unset RDMAV_DRIVERS LD_LIBRARY_PATH

step "install"
check "cmake --install" cmake --install "$RDMAPIN_BUILD"
check "modprobe finds the installed module" bash -c \
	'[ "$(modinfo -n pinrxe)" = "/lib/modules/$(uname -r)/updates/pinrxe.ko" ]'
check "the provider is where libibverbs looks" \
	test -f /usr/lib/x86_64-linux-gnu/libibverbs/libpinrxe-rdmav34.so
check "its driver file names it" grep -qx "driver pinrxe" /etc/libibverbs.d/pinrxe.driver
check "DKMS source tree" test -f /usr/src/pinrxe-0.1.0/dkms.conf

step "use without the build tree"
load_rdma_core
check "modprobe pinrxe" modprobe pinrxe
make_veth veth0 veth1
check "rdma link add" pinrxe_add pinrxe0 veth0
check "ibv_devices lists pinrxe0 with no RDMAV_DRIVERS" \
	bash -c 'ibv_devices | grep -q pinrxe0'
check "installed pinrxe_info runs" bash -c '/usr/bin/pinrxe_info pinrxe0 | grep -q "protection domain"'

step "build an application against the installed library"
cat >/tmp/app.c <<'C'
#include <stdio.h>
#include <rdmapin.h>
int main(void)
{
	struct rdmapin_limits lim;

	if (rdmapin_limits(0, &lim))
		return 1;
	printf("librdmapin %s\n", rdmapin_version());
	return 0;
}
C
check "pkg-config knows rdmapin" bash -c '[ "$(pkg-config --modversion rdmapin)" = 0.1.0 ]'
check "compile and link with pkg-config flags" \
	bash -c 'gcc -o /tmp/app /tmp/app.c $(pkg-config --cflags --libs rdmapin)'
check "it runs against the installed library" bash -c '/tmp/app | grep -q "librdmapin 0.1.0"'
rdma link del pinrxe0
check "modprobe -r pinrxe" modprobe -r pinrxe
