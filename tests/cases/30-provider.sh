# The libibverbs provider: libpinrxe (not librxe) claims pinrxe devices, and
# ibv_devices, ibv_devinfo -v and a verbs program (open, query device and
# port, GIDs, alloc/dealloc PD) work through it.
. "$RDMAPIN_TOP/tests/lib.sh"

load_pinrxe
make_veth veth0 veth1
ip addr add 192.0.2.1/24 dev veth0
check "rdma link add pinrxe0" pinrxe_add pinrxe0 veth0
check "rdma link add pinrxe1" pinrxe_add pinrxe1 veth1

step "without our provider no installed provider claims the device"
check "ibv_devices lists no pinrxe device" bash -c \
	'! env -u RDMAV_DRIVERS ibv_devices 2>/dev/null | grep -q pinrxe'

step "with the provider"
check "ibv_devices lists both" bash -c \
	'[ "$(ibv_devices | grep -c pinrxe)" = 2 ]'
guid=$(sed 's/://g' /sys/class/infiniband/pinrxe0/node_guid)
check "ibv_devices shows the node GUID" bash -c "ibv_devices | grep -q $guid"
info=$(ibv_devinfo -v -d pinrxe0)
echo "$info" | head -40
for want in "hca_id:.*pinrxe0" "transport:.*InfiniBand" "fw_ver:.*0\.1" \
	"max_pd:.*65536" "max_qp:[[:space:]]*16384$" "state:.*PORT_ACTIVE" \
	"link_layer:.*Ethernet" "::ffff:192.0.2.1, RoCE v2"; do
	check "ibv_devinfo -v shows /$want/" bash -c "grep -q '$want' <<<'$info'"
done

step "a verbs program"
check "pinrxe_info pinrxe0" bash -c "'$EXAMPLES/pinrxe_info' pinrxe0 | tee /tmp/info"
check "it allocated a PD" grep -q "protection domain" /tmp/info
check "it read the memlock limit" grep -q "RLIMIT_MEMLOCK" /tmp/info

step "what is not implemented says so"
# Resizing an SRQ is not implemented: it must fail plainly and leave the
# SRQ as it was.
check "ibv_modify_srq(IBV_SRQ_MAX_WR) fails with EOPNOTSUPP" python3 -c '
import errno, sys
import pyverbs.device as d
import pyverbs.enums as e
from pyverbs.pd import PD
from pyverbs.srq import SRQ, SrqInitAttr, SrqAttr
from pyverbs.pyverbs_error import PyverbsRDMAError
ctx = d.Context(name="pinrxe0")
pd = PD(ctx)
srq = SRQ(pd, SrqInitAttr(SrqAttr(max_wr=16, max_sge=1)))
try:
    srq.modify(SrqAttr(max_wr=64), e.IBV_SRQ_MAX_WR)
except PyverbsRDMAError as err:
    if err.error_code != errno.EOPNOTSUPP:
        sys.exit("errno %d" % err.error_code)
    after = srq.query()
    sys.exit(0 if after.max_wr < 64 else "max_wr changed to %d" % after.max_wr)
sys.exit("resize succeeded")'
rdma link del pinrxe0
rdma link del pinrxe1
