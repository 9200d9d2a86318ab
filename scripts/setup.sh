#!/usr/bin/env bash
# Install, non-interactively, exactly the Debian packages rdmapin needs, and
# record which 6.12 kernel the module is built for and the guest boots, so
# that the build and the test guest always agree.
#
# Idempotent: when every package is present and the recorded kernel is
# installed it returns at once without touching apt.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
record="$top/.rdmapin-kernel"

# Packages without the kernel; the kernel pair is chosen below.
# linux-source-6.12 brings checkpatch.pl and kernel-doc, and the source
# of `make test-debug`'s kernel, whose build needs bc, flex, bison,
# libelf-dev (objtool) and libssl-dev; iperf3 and gnuplot-nox are the
# benchmark's (its UDP reference stream and the report's plots); dmsetup
# puts dm-delay under 62-odp-invalidate's slow-fault file.
pkgs=(build-essential cmake pkg-config kmod git
      qemu-system-x86 busybox-static xz-utils
      libibverbs-dev librdmacm-dev ibverbs-utils ibverbs-providers
      rdmacm-utils rdma-core perftest python3-pyverbs
      libnl-3-dev libnl-route-3-dev iproute2
      linux-source-6.12 dkms iperf3 gnuplot-nox
      bc flex bison libelf-dev libssl-dev dmsetup)

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

have_kernel() {
	local kver=$1
	[ -e "/boot/vmlinuz-$kver" ] && [ -d "/lib/modules/$kver/build" ]
}

if [ -f "$record" ]; then
	# shellcheck source=/dev/null
	. "$record"
	if [ -n "${KVER:-}" ] && have_kernel "$KVER" &&
	   [ -z "$(missing "${pkgs[@]}")" ]; then
		echo "setup: all packages present, kernel $KVER"
		exit 0
	fi
fi

if [ "$(id -u)" != 0 ]; then
	echo "setup: packages are missing and installing them needs root;" >&2
	echo "setup: run 'sudo $0' (or make as root)." >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -q -y -o Dpkg::Use-Pty=0 "$@"; }

apt_get update >/dev/null

# The newest 6.12 version for which Debian has both the unsigned image and
# the matching headers.
pick_kernel() {
	local images headers v
	images=$(apt-cache search --names-only \
		'^linux-image-6\.12\.[0-9]+\+deb[0-9]+-amd64-unsigned$' |
		sed -n 's/^linux-image-\(6\.12\.[0-9]*+deb[0-9]*-amd64\)-unsigned .*/\1/p')
	headers=$(apt-cache search --names-only \
		'^linux-headers-6\.12\.[0-9]+\+deb[0-9]+-amd64$' |
		sed -n 's/^linux-headers-\(6\.12\.[0-9]*+deb[0-9]*-amd64\) .*/\1/p')
	for v in $(printf '%s\n' $images | sort -V -r); do
		if printf '%s\n' $headers | grep -qxF "$v"; then
			echo "$v"
			return 0
		fi
	done
	return 1
}

KVER=${RDMAPIN_KVER:-}
if [ -z "$KVER" ]; then
	KVER=$(pick_kernel) || {
		echo "setup: no Debian 6.12 kernel with matching headers found" >&2
		exit 1
	}
fi

need=$(missing "${pkgs[@]}" "linux-image-$KVER-unsigned" "linux-headers-$KVER")
if [ -n "$need" ]; then
	echo "setup: installing:" $need
	# shellcheck disable=SC2086
	apt_get install --no-install-recommends $need >/dev/null
fi

have_kernel "$KVER" || {
	echo "setup: kernel $KVER did not install completely" >&2
	exit 1
}
echo "KVER=$KVER" >"$record"
echo "setup: done, kernel $KVER recorded in $record"
