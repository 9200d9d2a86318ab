# Wire compatibility with the in-tree rdma_rxe: an rxe device on one end
# of a veth pair (initial namespace, where rdma_rxe owns UDP 4791) and a
# pinrxe device on the other (its own namespace), each side as server and
# as client.
. "$RDMAPIN_TOP/tests/lib.sh"

load_rdma_core
modprobe rdma_rxe
insmod "$PINRXE_KO"
make_netns_pair
check "rdma link add rxe0" rdma link add rxe0 type rxe netdev veth0
check "rdma link add pinrxe1 (namespace peer)" \
	ip netns exec peer rdma link add pinrxe1 type pinrxe netdev veth1

for reverse in 0 1; do
	export REVERSE=$reverse
	if [ "$reverse" = 0 ]; then
		who="pinrxe server, rxe client"
	else
		who="rxe server, pinrxe client"
	fi
	step "$who"
	if [ "$reverse" = 0 ]; then srv=pinrxe1 cli=rxe0; else srv=rxe0 cli=pinrxe1; fi
	check "ibv_rc_pingpong 16 KiB ($who)" \
		client_server $srv $cli ibv_rc_pingpong -g 1 -n 100 -s 16384 -c
	check "ibv_ud_pingpong ($who)" \
		client_server $srv $cli ibv_ud_pingpong -g 1 -n 100 -s 1000 -c
	for t in ib_write_bw ib_read_bw ib_send_bw; do
		check "$t 64 KiB ($who)" \
			client_server $srv $cli $t -x 1 -s 65536 -n 200 -F
	done
	check "ib_atomic_bw ($who)" \
		client_server $srv $cli ib_atomic_bw -x 1 -n 100 -F
done
unset REVERSE
rdma statistic show link pinrxe1/1
check "pinrxe dropped nothing rxe sent as malformed" bash -c \
	'! rdma statistic show link pinrxe1/1 | grep -Eo "rcv_drop_(udp_len|bad_version|unknown_opcode|bad_length|bad_icrc) [1-9]"'
