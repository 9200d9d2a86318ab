#!/usr/bin/env bash
# Kernel style gate: checkpatch.pl --strict and kernel-doc -Wall over the
# kernel code, with the tools of the kernel we build for, taken from
# Debian's linux-source-6.12 (installed by scripts/setup.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tools=${RDMAPIN_BUILD:-$top/build}/kernel-tools
tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1)
[ -n "$tarball" ] || {
	echo "checkpatch: linux-source-6.12 is not installed; run scripts/setup.sh" >&2
	exit 2
}
if [ ! -x "$tools/scripts/checkpatch.pl" ] || [ "$tarball" -nt "$tools/stamp" ]; then
	rm -rf "$tools"
	mkdir -p "$tools"
	tar -xf "$tarball" -C "$tools" --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch' '*/scripts/kernel-doc'
	touch "$tools/stamp"
fi

cd "$top"
files=(kernel/*.c kernel/*.h tests/kmod/*.c tests/kmod/*/*.c)
rc=0
"$tools/scripts/checkpatch.pl" --no-tree --strict --terse --show-types \
	-f "${files[@]}" || rc=1
# kernel-doc prints nothing for a clean file.
doc=$("$tools/scripts/kernel-doc" -none -Wall "${files[@]}" 2>&1) || rc=1
if [ -n "$doc" ]; then
	echo "$doc"
	rc=1
fi
[ "$rc" = 0 ] && echo "checkpatch: ${#files[@]} files clean"
exit "$rc"
