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
check "the plugin is a link to libpinrxe.so.1" bash -c \
	'[ "$(readlink /usr/lib/x86_64-linux-gnu/libibverbs/libpinrxe-rdmav34.so)" = ../libpinrxe.so.1 ]'
check "libpinrxe.so.1 and its dev link installed" \
	test -f /usr/lib/x86_64-linux-gnu/libpinrxe.so.1 -a -L /usr/lib/x86_64-linux-gnu/libpinrxe.so
check "pinrxedv.h installed" test -f /usr/include/infiniband/pinrxedv.h
check "librdmapin's man pages installed, with a page per function" bash -c \
	'for f in rdmapin_reg_mr rdmapin_mr_info rdmapin_mr_list rdmapin_dev_stats rdmapin_devices rdmapin_limits rdmapin_last_error; do
		test -f /usr/share/man/man3/$f.3 || exit 1; done'
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

step "build a pinrxedv application against the installed provider"
cat >/tmp/dv.c <<'C'
#include <stdio.h>
#include <string.h>
#include <infiniband/pinrxedv.h>
int main(void)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct pinrxedv_mr_info info;
	struct ibv_context *ctx;
	static char buf[4096];
	struct ibv_pd *pd;
	struct ibv_mr *mr;

	if (!list || !list[0] || strcmp(ibv_get_device_name(list[0]), "pinrxe0") ||
	    !pinrxedv_is_supported(list[0]))
		return 1;
	ctx = ibv_open_device(list[0]);
	pd = ctx ? ibv_alloc_pd(ctx) : NULL;
	mr = pd ? pinrxedv_reg_mr(pd, buf, sizeof(buf), (uintptr_t)buf,
				  IBV_ACCESS_LOCAL_WRITE,
				  PINRXEDV_REG_NO_FALLBACK) : NULL;
	if (!mr || pinrxedv_query_mr(mr, &info) ||
	    info.mode != PINRXEDV_MR_MODE_PINNED)
		return 2;
	printf("pinrxedv: pinned\n");
	ibv_dereg_mr(mr);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	ibv_free_device_list(list);
	return 0;
}
C
check "compile and link with -lpinrxe" \
	gcc -o /tmp/dv /tmp/dv.c -lpinrxe -libverbs
check "it sees pinrxe0 through the one provider copy libibverbs loaded" \
	bash -c '/tmp/dv | grep -q "pinrxedv: pinned"'
rdma link del pinrxe0
check "modprobe -r pinrxe" modprobe -r pinrxe

step "the benchmark, installed where rdmapin bench looks for it"
bench=$(rdmapin bench --help | sed -n 's/^engine directory: //p')
echo "engine directory: $bench"
check "rdmapin is installed and names its engine directory" test -n "$bench"
check "the engine and its helpers are there" bash -c \
	"test -x '$bench/engine.sh' -a -x '$bench/regbench' -a -x '$bench/memcpybench' \
	 -a -f '$bench/report.py' -a -f '$bench/net.sh' -a -f '$bench/paths.sh'"
check "paths.sh names the installed preload shim" bash -c \
	". '$bench/paths.sh'; test -f \"\$RDMAPIN_PRELOAD_SO\" &&
	 case \$RDMAPIN_PRELOAD_SO in $RDMAPIN_BUILD/*) false ;; esac"
check "the installed helpers run" bash -c "'$bench/memcpybench' --seconds 0.1 4096 | grep -q '^4096 '"
