#!/usr/bin/env bash
# The installed module source rebuilds under DKMS: stage `make install`
# into a DESTDIR, then `dkms add` and `dkms build` from there with DKMS's
# own tree relocated, so the host's DKMS state is not touched.
set -euo pipefail
build=$RDMAPIN_BUILD
. "$RDMAPIN_TOP/.rdmapin-kernel"
tmp=$build/test-results/dkms
rm -rf "$tmp"
mkdir -p "$tmp/dkms"
DESTDIR=$tmp/stage cmake --install "$build" >/dev/null
src=$tmp/stage/usr/src
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$src"/pinrxe-*/dkms.conf)
dkms add -m pinrxe -v "$ver" --dkmstree "$tmp/dkms" --sourcetree "$src"
dkms build -m pinrxe -v "$ver" -k "$KVER" --dkmstree "$tmp/dkms" \
	--sourcetree "$src"
ko=$(find "$tmp/dkms/pinrxe/$ver/$KVER" -name 'pinrxe.ko*' | head -n1)
[ -n "$ko" ] || { echo "FAIL: dkms built no pinrxe.ko"; exit 1; }
vermagic=$(modinfo -F vermagic "$ko")
case "$vermagic" in
"$KVER "*) echo "ok: DKMS built $ko for $KVER" ;;
*) echo "FAIL: vermagic '$vermagic' is not for $KVER"; exit 1 ;;
esac
