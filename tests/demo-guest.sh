# The demo, guest side (see tests/demo.sh).
. "$RDMAPIN_TOP/tests/lib.sh"

show() {
	echo
	echo "\$ $*"
	"$@"
}

load_pinrxe
make_netns_pair
echo "guest kernel $(uname -r); pinrxe.ko from $PINRXE_KO"
echo "# veth0 (192.0.2.1) here, veth1 (192.0.2.2) in namespace 'peer'"
show rdma link add pinrxe0 type pinrxe netdev veth0
show ip netns exec peer rdma link add pinrxe1 type pinrxe netdev veth1
show rdma link
show ibv_devices
show ibv_devinfo -d pinrxe0
show "$EXAMPLES/pinrxe_info" pinrxe0

echo
echo "# RC traffic between the two devices: pingpong, then RDMA WRITE bandwidth"
show client_server pinrxe1 pinrxe0 ibv_rc_pingpong -g 1 -n 100 -s 16384 -c
show client_server pinrxe1 pinrxe0 ib_write_bw -x 1 -s 65536 -n 500 -F
echo
echo "# a registration pins its pages while it lives (pinned_pages gauge):"
ip netns exec peer timeout 60 ib_write_bw -d pinrxe1 -x 1 -s 1048576 -D 4 -F \
	>/dev/null 2>&1 &
wait_until 30 ip netns exec peer bash -c "$(declare -f listening); listening"
timeout 60 ib_write_bw -d pinrxe0 -x 1 -s 1048576 -D 4 -F 192.0.2.2 \
	>/dev/null 2>&1 &
sleep 3
show bash -c "rdma statistic show link pinrxe0/1 | grep -o 'pinned_pages [0-9]*'"
wait
show bash -c "rdma statistic show link pinrxe0/1 | grep -o 'pinned_pages [0-9]*'"
show bash -c "rdma statistic show link pinrxe0/1 | grep -oE '(sent|rcvd)_pkts [0-9]*'"

echo
echo "# on-demand paging (--odp): the same transfer pins nothing; the data path"
echo "# faults pages in as it touches them and mmu notifiers take them away"
ip netns exec peer timeout 60 ib_write_bw -d pinrxe1 -x 1 -s 1048576 -D 4 -F \
	--odp >/dev/null 2>&1 &
wait_until 30 ip netns exec peer bash -c "$(declare -f listening); listening"
timeout 60 ib_write_bw -d pinrxe0 -x 1 -s 1048576 -D 4 -F --odp 192.0.2.2 \
	>/dev/null 2>&1 &
sleep 3
show bash -c "rdma statistic show link pinrxe0/1 | grep -o 'pinned_pages [0-9]*'"
show bash -c "rdma resource show mr -dd | grep -o 'mrlen.*'"
wait
show bash -c "rdma statistic show link pinrxe0/1 | grep -oE 'odp_[a-z_]+ [0-9]*'"

echo
echo "# fallback: with RLIMIT_MEMLOCK at 64 KiB and no CAP_IPC_LOCK, pinning a"
echo "# 1 MiB buffer fails..."
cat >/tmp/nolock <<'EOF'
#!/bin/sh
# Run a command with RLIMIT_MEMLOCK at 64 KiB and without CAP_IPC_LOCK.
ulimit -l 64
exec setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock "$@"
EOF
chmod +x /tmp/nolock
show ip netns exec peer timeout 30 /tmp/nolock ibv_rc_pingpong -d pinrxe1 -g 1 \
	-s 1048576 -n 10 && fail "a pinned 1 MiB registration over the limit worked"
echo
echo "# ...unless registrations may fall back to ODP (odp_fallback=1, or per"
echo "# registration through pinrxedv_reg_mr()):"
show sh -c "echo 1 > /sys/module/pinrxe/parameters/odp_fallback"
show client_server pinrxe1 pinrxe0 /tmp/nolock ibv_rc_pingpong -g 1 \
	-s 1048576 -n 10
show bash -c "rdma statistic show link pinrxe0/1 | grep -oE 'odp_fallbacks [0-9]*'"
show sh -c "echo 0 > /sys/module/pinrxe/parameters/odp_fallback"

echo
echo "# the port follows the netdev's carrier:"
show ip -n peer link set veth1 down
wait_until 5 port_is pinrxe0 DOWN
show rdma link show pinrxe0/1
show ip -n peer link set veth1 up
wait_until 5 port_is pinrxe0 ACTIVE
show rdma link show pinrxe0/1
show ip netns exec peer rdma link del pinrxe1
show ip link del veth0
wait_until 10 ib_gone pinrxe0
show rdma link
show rmmod pinrxe
echo
echo "# kernel log:"
dmesg | grep pinrxe
