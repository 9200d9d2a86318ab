#!/usr/bin/env bash
# The demo: boot the test guest, create two pinrxe devices on the ends of a
# veth pair, and show them as every RDMA tool and a verbs program see them.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export RDMAPIN_BUILD=${RDMAPIN_BUILD:-$top/build}
out=$RDMAPIN_BUILD/demo
rc=0
"$top/tests/guest/run-guest.sh" --out "$out" --timeout 300 \
	bash "$top/tests/demo-guest.sh" >/dev/null || rc=$?
cat "$out/output.log" 2>/dev/null || true
if [ "$rc" != 0 ]; then
	echo "demo failed (exit $rc); guest console: $out/console.log" >&2
	exit "$rc"
fi
echo
echo "demo ok; guest kernel log: $out/dmesg.log"
