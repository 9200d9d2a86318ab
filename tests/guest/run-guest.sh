#!/usr/bin/env bash
# Boot the recorded 6.12 kernel under QEMU and run one command in it as
# root.  The guest sees the host's root read-only (virtio-9p) under a tmpfs
# overlay and a writable results share; it has no NIC.
#
# usage: run-guest.sh [--out DIR] [--timeout SEC] [--mem MB] [--smp N]
#                     [--append ARGS] [--qemu-arg ARG]... [--verbose] CMD...
#
# Exit status: the command's, or 124 on timeout, 125 when the guest gave
# no status (crash, panic), 126 when the kernel log shows a splat.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
here="$top/tests/guest"

out= timeout=600 mem=2048 mem_given=0 smp=2 append= verbose=0 qemu_extra=()
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--mem) mem=$2 mem_given=1; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--qemu-arg) qemu_extra+=("$2"); shift 2 ;;
	--verbose) verbose=1; shift ;;
	--) shift; break ;;
	-*) echo "run-guest: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "run-guest: no command given" >&2; exit 2; }

[ -f "$top/.rdmapin-kernel" ] || {
	echo "run-guest: no kernel recorded; run scripts/setup.sh" >&2
	exit 2
}
# shellcheck source=/dev/null
. "$top/.rdmapin-kernel"
kernel=/boot/vmlinuz-$KVER
# RDMAPIN_GUEST_KERNEL=DIR boots the debug kernel that
# tests/debug-kernel/build.sh left in DIR instead: its image, its version,
# and its modules, which the guest mounts at /lib/modules/VERSION.
debug=${RDMAPIN_GUEST_KERNEL:-}
guest_modules=
if [ -n "$debug" ]; then
	debug=$(cd "$debug" && pwd)
	[ -s "$debug/release" ] || {
		echo "run-guest: no debug kernel in $debug; run tests/debug-kernel/build.sh" >&2
		exit 2
	}
	KVER=$(cat "$debug/release")
	kernel=$debug/vmlinuz
	guest_modules=$debug/root/lib/modules/$KVER
	[ -d "$guest_modules" ] || {
		echo "run-guest: $guest_modules missing" >&2
		exit 2
	}
	# KASAN's shadow, kmemleak's and lockdep's tables need more room.
	[ "$mem_given" = 1 ] || mem=3072
fi
[ -r "$kernel" ] || { echo "run-guest: $kernel missing" >&2; exit 2; }

cache=${RDMAPIN_GUEST_CACHE:-$top/build/guest}
mkdir -p "$cache"

# The initramfs holds busybox, the five modules needed to reach the host
# root, and the first-stage init.  Rebuilt when any input changes.  The
# debug kernel has them built in: none of them is among its modules.
initrd="$cache/initrd-$KVER.cpio.gz"
if [ ! -s "$initrd" ] || [ "$here/initramfs-init" -nt "$initrd" ] ||
   { [ -n "$debug" ] && [ "$kernel" -nt "$initrd" ]; }; then
	stage=$(mktemp -d)
	mkdir -p "$stage"/{bin,lib,proc,sys,dev}
	cp /bin/busybox "$stage/bin/busybox"
	for m in netfs 9pnet 9pnet_virtio 9p overlay; do
		if [ -n "$debug" ]; then
			f=$(find "$guest_modules/kernel" -name "$m.ko*" -print -quit)
			[ -n "$f" ] || continue
		else
			f=$(modinfo -k "$KVER" -n "$m")
		fi
		case "$f" in
		*.xz) xz -dc "$f" >"$stage/lib/$m.ko" ;;
		*.zst) zstd -dc "$f" >"$stage/lib/$m.ko" ;;
		*) cp "$f" "$stage/lib/$m.ko" ;;
		esac
	done
	install -m 0755 "$here/initramfs-init" "$stage/init"
	(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd.tmp"
	mv "$initrd.tmp" "$initrd"
	rm -rf "$stage"
fi

# KVM when a quick boot under it works on this host; otherwise TCG.  The
# answer is cached: probing costs a boot.
accel_file="$cache/accel"
if [ ! -s "$accel_file" ]; then
	accel=tcg
	if [ -w /dev/kvm ]; then
		probe=$(mktemp -d)
		(timeout 30 qemu-system-x86_64 -accel kvm -cpu host -m 256 \
			-nographic -no-reboot -nic none -kernel "$kernel" \
			-append "console=ttyS0 panic=-1 rdinit=/bin/none" \
			>"$probe/log" 2>&1) 2>/dev/null || true
		# Reaching the "no working init" panic means the kernel ran.
		grep -q 'Kernel panic\|No working init\|Run /bin/none' \
			"$probe/log" && accel=kvm
		rm -rf "$probe"
	fi
	echo "$accel" >"$accel_file"
fi
accel=$(cat "$accel_file")
if [ "$accel" = kvm ]; then
	accel_args=(-accel kvm -cpu host)
else
	# One TCG thread for all vCPUs.  With thread=multi, QEMU 7.2 has been
	# seen to run a stale translation of kernel text that another vCPU had
	# just live-patched (a static key flip: int3 written, then replaced),
	# so the guest dies of an "Oops: int3" that no real CPU would raise;
	# about one boot in thirty on a loaded host.  Round-robin TCG executes
	# one vCPU at a time and invalidates translations before the next runs.
	# RDMAPIN_TCG_THREAD=multi brings the faster mode back for experiments.
	accel_args=(-accel "tcg,thread=${RDMAPIN_TCG_THREAD:-single}" -cpu max)
fi

if [ -z "$out" ]; then
	mkdir -p "$cache/runs"
	out=$(mktemp -d "$cache/runs/run.XXXXXX")
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/{rc,dmesg.log,output.log,console.log,kmemleak.log}

# The command runs under bash in the guest, from the caller's directory.
printf '%q ' "$@" >"$out/cmd"
echo >>"$out/cmd"
{
	printf 'export RDMAPIN_CWD=%q\n' "$PWD"
	printf 'export RDMAPIN_TOP=%q\n' "$top"
	printf 'export RDMAPIN_KVER=%q\n' "$KVER"
	printf 'export RDMAPIN_BUILD=%q\n' "${RDMAPIN_BUILD:-$top/build}"
	printf 'export RDMAPIN_OUT=/rdmapin-out\n'
	[ -z "$guest_modules" ] ||
		printf 'export RDMAPIN_GUEST_MODULES=%q\n' "$guest_modules"
	env | grep -E '^(RDMAPIN_[A-Z_]+|RDMAV_[A-Z_]+|VERBS_LOG_[A-Z_]+)=' |
		grep -v -E '^RDMAPIN_(CWD|TOP|KVER|OUT|BUILD|GUEST_MODULES)=' |
		sed 's/^\([^=]*\)=\(.*\)$/export \1='"'"'\2'"'"'/' || true
} >"$out/env"
install -m 0755 "$here/stage2" "$out/stage2"

# tsc=reliable: under TCG on a busy host the clocksource watchdog can
# declare the TSC unstable mid-test; the runtime switch of sched_clock then
# live-patches kernel text, which TCG has been seen to fault on (an int3
# Oops in sched_clock_cpu).  The emulated TSC is derived from the host's
# monotonic clock and is in fact stable.
#
# no5lvl: -cpu max offers LA57, and with 5-level paging a KASAN kernel can
# report a bogus "wild-memory-access" at boot.  identify_cpu() zeroes the
# boot CPU's feature bits for a moment, so pgtable_l5_enabled() reads false
# and KASAN's shadow bounds shrink to the 4-level ones; an interrupt taken
# in that window touches a 5-level direct-map address (ff11...) that then
# looks unshadowed.  Seen in 3 of about 20 debug-kernel boots.  A guest of
# a few GiB gains nothing from 57-bit addresses.
cmdline="console=ttyS0 panic=-1 oops=panic loglevel=5 nokaslr tsc=reliable"
cmdline="$cmdline no5lvl"
cmdline="$cmdline rdinit=/init $append"
set +e
if [ "$verbose" = 1 ]; then
	timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
		"${accel_args[@]}" -smp "$smp" -m "$mem" \
		-nographic -no-reboot -nic none \
		-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs local,path="$out",mount_tag=out,security_model=none,multidevs=remap \
		"${qemu_extra[@]}" </dev/null 2>&1 | tee "$out/console.log"
	qrc=${PIPESTATUS[0]}
else
	timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
		"${accel_args[@]}" -smp "$smp" -m "$mem" \
		-nographic -no-reboot -nic none \
		-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs local,path="$out",mount_tag=out,security_model=none,multidevs=remap \
		"${qemu_extra[@]}" </dev/null >"$out/console.log" 2>&1
	qrc=$?
fi
set -e

echo "run-guest: logs in $out" >&2

# A splat can only be judged from the saved log, or from the console when
# the guest died before saving it.
log="$out/dmesg.log"
[ -s "$log" ] || log="$out/console.log"
splat='BUG:|WARNING:|Oops|refcount_t:|possible circular locking|possible recursive locking|inconsistent lock state|lockdep|KASAN|UBSAN|kmemleak|general protection fault|Kernel panic|kernel BUG at|Call Trace:|INFO: task .* blocked'
# kmemleak (debug kernel only) announces itself and each scan, and RCU
# says lockdep is on; kmemleak's leaks
# are judged from its report, below, not from those lines.
benign='kmemleak: (Kernel memory leak detector initialized|[0-9]+ new suspected memory leaks)|RCU lockdep checking is enabled'
grep -E -n "$splat" "$log" 2>/dev/null | {
	if [ -n "$debug" ]; then grep -E -v "$benign"; else cat; fi
} >"$out/splat.log" || true
if [ -s "$out/splat.log" ]; then
	echo "run-guest: kernel log shows a splat ($log):" >&2
	head -20 "$out/splat.log" >&2
	# The splat itself (RIP, registers, call trace), so that a failure
	# seen only in CI's output can still be diagnosed.
	first=$(head -1 "$out/splat.log" | cut -d: -f1)
	echo "run-guest: the kernel log from the first splat line:" >&2
	sed -n "$((first > 5 ? first - 5 : 1)),$((first + 60))p" "$log" |
		sed 's/^/  kernel| /' >&2
	exit 126
fi
rm -f "$out/splat.log"

# The debug kernel's leak report (tests/guest/stage2 scans at the end of the
# command): a leaked object allocated through the RDMA stack fails the run.
# A frame printed as a bare address was in module code gone since: a
# module's init code, or a module unloaded, and the cases unload only RDMA
# modules (pinrxe, its test modules, rdma_rxe).
if [ -n "$debug" ] && [ -s "$out/kmemleak.log" ]; then
	awk -v RS='unreferenced object ' '
		NR > 1 && /\[(pinrxe[a-z_]*|ib_[a-z_]+|rdma_[a-z_]+|iw_cm)\]|\n    0xffffffff[0-9a-f]+\n/ {
			printf "unreferenced object %s", $0
		}' "$out/kmemleak.log" >"$out/leaks.log"
	if [ -s "$out/leaks.log" ]; then
		echo "run-guest: kmemleak reports leaks from the RDMA stack ($out/leaks.log):" >&2
		head -n 60 "$out/leaks.log" | sed 's/^/  kmemleak| /' >&2
		exit 126
	fi
	rm -f "$out/leaks.log"
fi

if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "run-guest: timed out after ${timeout}s (see $out/console.log)" >&2
	exit 124
fi
if [ ! -s "$out/rc" ]; then
	echo "run-guest: the guest gave no exit status (see $out/console.log)" >&2
	exit 125
fi
exit "$(cat "$out/rc")"
