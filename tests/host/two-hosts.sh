#!/usr/bin/env bash
# Two hosts: two test guests, each with one virtio NIC, joined through
# QEMU's socket netdev: one QEMU listens on a TCP port of the host's
# 127.0.0.1, the other connects, and Ethernet frames travel over that
# stream (nothing leaves the loopback).  A stream, not datagrams: RoCE
# expects a lossless fabric, and a UDP link between two emulated guests
# drops a third of a 64 KiB write stream in socket buffers (recovery from
# loss is tested on its own, in the wire test).  A pinrxe device on each
# side; pingpong and ib_write_bw run across.
set -uo pipefail
top=$RDMAPIN_TOP
build=$RDMAPIN_BUILD
run=$top/tests/guest/run-guest.sh
tmp=$build/test-results/two-hosts
mkdir -p "$tmp"

fail() { echo "FAIL: $*"; exit 1; }

# A free TCP port on 127.0.0.1.
port=$(python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')

# guest ROLE MAC NETDEV: one side, in the background.
guest() {
	"$run" --out "$tmp/$1" --timeout 900 \
		--qemu-arg -netdev --qemu-arg "socket,id=n0,$3" \
		--qemu-arg -device --qemu-arg "virtio-net-pci,netdev=n0,mac=$2" \
		-- bash "$top/tests/twohost/node.sh" "$1" >"$tmp/$1.run" 2>&1
}
host_listening() { ss -ltn | grep -q "127.0.0.1:$port "; }

echo "== two guests linked over TCP 127.0.0.1:$port"
guest server 52:54:00:0a:00:01 "listen=127.0.0.1:$port" &
srv=$!
# The connecting QEMU gives up at once when nobody listens yet.
for _ in $(seq 300); do
	host_listening && break
	kill -0 "$srv" 2>/dev/null || break
	sleep 0.1
done
host_listening || fail "the server guest's QEMU never listened on $port"
guest client 52:54:00:0a:00:02 "connect=127.0.0.1:$port" &
cli=$!
rc_srv=0 rc_cli=0
wait "$srv" || rc_srv=$?
wait "$cli" || rc_cli=$?

for side in server client; do
	echo "== $side"
	cat "$tmp/$side/output.log" 2>/dev/null
	cat "$tmp/$side.run"
done
[ "$rc_srv" = 0 ] || fail "server guest exited $rc_srv"
[ "$rc_cli" = 0 ] || fail "client guest exited $rc_cli"
echo "ok: pingpong and ib_write_bw between two guests"
