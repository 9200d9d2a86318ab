#!/usr/bin/env bash
# Turn the addresses in a debug-kernel log (a case's dmesg.log or
# console.log, a splat printed by run-guest) into file:line, with the
# kernel's scripts/decode_stacktrace.sh: vmlinux and the in-tree modules
# from the debug kernel's tree, pinrxe.ko and the test modules from its
# build tree.
#
# usage: tests/debug-kernel/decode.sh [LOG]   (standard input without LOG)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${RDMAPIN_DEBUG_DIR:-$top/build/debug-kernel}
src=$dir/linux-source-6.12
[ -f "$src/vmlinux" ] || {
	echo "decode: no $src/vmlinux; run tests/debug-kernel/build.sh" >&2
	exit 2
}
if [ $# -gt 0 ]; then
	exec <"$1"
fi
# run-guest prefixes the splat it prints; the script wants bare lines.
sed 's/^ *\(| \)\?\( *kernel| \)\?//' |
	"$src/scripts/decode_stacktrace.sh" "$src/vmlinux" "$src" "$dir/build"
