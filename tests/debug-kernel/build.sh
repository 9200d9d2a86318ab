#!/usr/bin/env bash
# Build the debug kernel that `make test-debug` runs the suite on: Debian's
# linux-source-6.12 with x86_64 defconfig plus tests/debug-kernel/debug.config
# (KASAN, lockdep, kmemleak, DEBUG_VM...), its modules, and pinrxe.ko, the
# test modules and the userspace parts built against it in a build tree of
# their own.  Each step is skipped when its output is newer than its
# inputs, so a second run after a finished build returns at once.
#
# usage: tests/debug-kernel/build.sh [--config-only]
#
# Layout, under $RDMAPIN_DEBUG_DIR (default build/debug-kernel):
#   linux-source-6.12/     the kernel tree (built in place)
#   root/lib/modules/VER/  its installed modules
#   vmlinuz, release       the image to boot and its version string
#   build/                 the CMake tree with pinrxe.ko for VER
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
here="$top/tests/debug-kernel"
dir=${RDMAPIN_DEBUG_DIR:-$top/build/debug-kernel}
tarball=/usr/src/linux-source-6.12.tar.xz
src="$dir/linux-source-6.12"
fragment="$here/debug.config"
jobs=${RDMAPIN_DEBUG_JOBS:-2}
config_only=0
[ "${1:-}" = --config-only ] && config_only=1

say() { echo "debug-kernel: $*"; }

[ -r "$tarball" ] || {
	echo "debug-kernel: $tarball missing; run scripts/setup.sh" >&2
	exit 1
}
mkdir -p "$dir"

if [ ! -f "$src/Makefile" ]; then
	say "extracting $tarball"
	tar -xJf "$tarball" -C "$dir"
fi

# check_config: every line of the fragment is in the final .config.  A
# "not set" line may also be absent (its menu is off altogether).
check_config() {
	local line name bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$src/.config" || {
				name=${line%%=*}
				echo "debug-kernel: $line did not take:" \
					"$(grep -E "^(# )?${name}[= ]" "$src/.config" || echo absent)" >&2
				bad=1
			}
			;;
		"# CONFIG_"*" is not set")
			name=${line#\# }
			name=${name%% *}
			if grep -q "^$name=" "$src/.config"; then
				echo "debug-kernel: $line did not take:" \
					"$(grep "^$name=" "$src/.config")" >&2
				bad=1
			fi
			;;
		esac
	done <"$fragment"
	return $bad
}

if [ ! -f "$src/.config" ] || [ "$fragment" -nt "$src/.config" ]; then
	say "configuring: defconfig + $(basename "$fragment")"
	make -s -C "$src" defconfig
	(cd "$src" && scripts/kconfig/merge_config.sh -m .config "$fragment") >/dev/null
	make -s -C "$src" olddefconfig
fi
check_config || {
	echo "debug-kernel: the config does not match $fragment" >&2
	exit 1
}
[ "$config_only" = 0 ] || exit 0

image="$src/arch/x86/boot/bzImage"
if [ ! -f "$dir/vmlinuz" ] || [ ! -s "$dir/release" ] ||
   [ "$src/.config" -nt "$dir/vmlinuz" ]; then
	say "building with -j$jobs at nice 19 (12 min on a 2-core host)"
	start=$SECONDS
	nice -n 19 make -s -C "$src" -j"$jobs" bzImage modules
	# Known only once the build has synced the config.
	release=$(make -s -C "$src" kernelrelease)
	rm -rf "$dir/root"
	make -s -C "$src" modules_install INSTALL_MOD_PATH="$dir/root" \
		INSTALL_MOD_STRIP= >/dev/null
	# The tree's own build link would point at the sources: fine for
	# Kbuild, and the guest sees the same path.
	cp "$image" "$dir/vmlinuz.tmp"
	mv "$dir/vmlinuz.tmp" "$dir/vmlinuz"
	echo "$release" >"$dir/release"
	say "kernel built in $(((SECONDS - start) / 60)) min"
fi
release=$(cat "$dir/release")

# pinrxe.ko, the test modules and everything else, for this kernel, in a
# build tree of its own so that build/ stays the Debian kernel's.
bld="$dir/build"
cmake -S "$top" -B "$bld" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DRDMAPIN_KVER="$release" -DRDMAPIN_KDIR="$src" >/dev/null
nice -n 19 cmake --build "$bld" -j"$jobs"
say "ready: $dir/vmlinuz ($release), modules in $dir/root, build in $bld"
