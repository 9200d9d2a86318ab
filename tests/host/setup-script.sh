#!/usr/bin/env bash
# scripts/setup.sh: idempotent and quick when everything is installed, and
# a clear refusal, not an apt failure, when it needs root and lacks it.
set -uo pipefail
top=$RDMAPIN_TOP
tmp=$RDMAPIN_BUILD/test-results/setup-script
rm -rf "$tmp"
mkdir -p "$tmp/scripts"

fail() { echo "FAIL: $*"; exit 1; }

echo "== everything present: nothing to do"
out=$(bash "$top/scripts/setup.sh" 2>&1) || fail "setup failed: $out"
echo "$out" | grep -q "all packages present" || fail "second run did work: $out"
. "$top/.rdmapin-kernel"
[ -e "/boot/vmlinuz-$KVER" ] && [ -d "/lib/modules/$KVER/build" ] ||
	fail "recorded kernel $KVER is not installed with headers"

echo "== unprivileged with no recorded kernel: refuses clearly"
# A copy of the script in a tree with no record must choose and install a
# kernel, which needs root.
cp "$top/scripts/setup.sh" "$tmp/scripts/setup.sh"
chmod -R a+rX "$tmp"
rc=0
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	bash "$tmp/scripts/setup.sh" 2>&1) || rc=$?
[ "$rc" = 1 ] || fail "unprivileged run exited $rc: $out"
echo "$out" | grep -q "needs root" || fail "no clear message: $out"
[ ! -e "$tmp/.rdmapin-kernel" ] || fail "unprivileged run recorded a kernel"
echo "ok: $out"
