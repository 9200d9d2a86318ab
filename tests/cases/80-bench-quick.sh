# rdmapin bench --quick from the build tree: refused without root, with
# nothing changed; as root it runs every part of the benchmark once and
# writes well-formed CSV files with a number for every figure a quick run
# measures (no NA), meta.csv and report.md, and leaves the machine as it
# found it (devices, namespace, veth pairs, routing rules, sysctls, huge
# pages, modules).
# guest-timeout: 2400
. "$RDMAPIN_TOP/tests/lib.sh"

RDMAPIN="$RDMAPIN_BUILD/tools/rdmapin/rdmapin"
export RDMAPIN_BENCH_DIR="$RDMAPIN_BUILD/bench"
OUT=/tmp/bench-quick

# state: what the benchmark must leave as it was.
state() {
	lsmod | awk '$1 == "pinrxe" || $1 == "rdma_rxe" { print $1 }' | sort
	ip netns list
	ip -o link show | awk -F': ' '{print $2}' | sort
	ip rule show
	ls /sys/class/infiniband 2>/dev/null || true
	sysctl -n net.ipv4.conf.all.rp_filter vm.nr_hugepages
}

step "without root: refused, nothing changed"
state >/tmp/state.before
# as_nobody CMD...: CMD as user nobody; exit 1 and "needs root" wanted.
as_nobody() {
	local rc=0
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@" \
		>/tmp/nobody.out 2>/tmp/nobody.err || rc=$?
	cat /tmp/nobody.err
	[ "$rc" = 1 ] && grep -q "needs root" /tmp/nobody.err && [ ! -s /tmp/nobody.out ]
}
check "rdmapin bench --quick as nobody: exit 1, needs root" \
	as_nobody "$RDMAPIN" bench --quick --out /tmp/nobody
check "the engine itself refuses too" \
	as_nobody "$RDMAPIN_BENCH_DIR/engine.sh" --quick --out /tmp/nobody
check "no output directory made" test ! -e /tmp/nobody
state >/tmp/state.after
check "nothing changed" cmp /tmp/state.before /tmp/state.after

step "rdmapin bench --quick"
rc=0
"$RDMAPIN" bench --quick --out "$OUT" || rc=$?
[ -f "$OUT/failures.log" ] && cat "$OUT/failures.log"
check "it measured everything (exit 0, got $rc)" test "$rc" = 0

step "the CSV files"
check "well formed, a number for every figure of a quick run" \
	python3 - "$OUT" <<'PY'
import csv, os, sys

d = sys.argv[1]
bad = []


def rows(name, header):
    with open(os.path.join(d, name), newline="") as f:
        r = csv.reader(f)
        head = next(r)
        if head != header:
            bad.append("%s: header %s, want %s" % (name, head, header))
        out = []
        for n, row in enumerate(r, 2):
            if len(row) != len(header):
                bad.append("%s line %d: %d fields: %s" % (name, n, len(row), row))
            else:
                out.append(dict(zip(header, row)))
        return out


def number(name, row, key):
    try:
        v = float(row[key])
    except ValueError:
        bad.append("%s: not a number: %s" % (name, row))
        return
    if not v > 0:
        bad.append("%s: not positive: %s" % (name, row))


devices = ["rxe", "pinrxe", "pinrxe-odp", "pinrxe-odp-prefetch"]
want = set()
for t in ("ib_send_bw", "ib_write_bw", "ib_read_bw"):
    for s in (64, 65536):
        for m in ("bw_MBps", "mpps"):
            want |= {(t, str(s), m, dev) for dev in devices}
    # The steady state (duration mode) at 64 KiB.
    for m in ("steady_bw_MBps", "steady_mpps"):
        want |= {(t, "65536", m, dev) for dev in devices}
for m in ("bw_MBps", "mpps"):
    want |= {("ib_atomic_bw", "8", m, dev) for dev in devices}
for t in ("ib_send_lat", "ib_write_lat", "ib_read_lat"):
    want |= {(t, "2", "lat_usec", dev) for dev in devices}
want |= {("ib_atomic_lat", "8", "lat_usec", dev) for dev in devices}
got = set()
for r in rows("bench.csv", ["test", "size", "metric", "device", "round", "value"]):
    k = (r["test"], r["size"], r["metric"], r["device"])
    if r["round"] != "1":
        bad.append("bench.csv: round %s in a quick run" % r["round"])
    if k in got:
        bad.append("bench.csv: twice: %s" % (k,))
    got.add(k)
    number("bench.csv", r, "value")
if got != want:
    bad.append("bench.csv: missing %s, unexpected %s" %
               (sorted(want - got), sorted(got - want)))

sizes = [4096 << (2 * i) for i in range(6)]  # 4 KiB .. 4 MiB
pinned = ["pinned_touched", "pinned_untouched", "pinned_thp", "pinned_hugetlb"]
modes = {"pinrxe": pinned + ["odp", "odp_prefetch"], "rxe": pinned}
first = {"pinrxe": ["pinned_untouched", "odp", "odp_prefetch"],
         "rxe": ["pinned_untouched"]}
want = set()
for dev in modes:
    for s in sizes:
        for m in modes[dev]:
            want |= {(k, str(s), m, dev) for k in ("reg", "dereg")}
    for s in (65536, 1 << 20):
        for m in first[dev]:
            want |= {(k, str(s), m, dev) for k in ("first_write", "next_write")}
got = set()
for r in rows("reg.csv", ["kind", "size", "mode", "device", "rep", "usec"]):
    got.add((r["kind"], r["size"], r["mode"], r["device"]))
    number("reg.csv", r, "usec")
if got != want:
    bad.append("reg.csv: missing %s, unexpected %s" %
               (sorted(want - got), sorted(got - want)))

want = {("memcpy", "64"), ("memcpy", "65536"),
        ("udp_stream", "1024"), ("udp_stream", "8192")}
got = set()
for r in rows("ref.csv", ["test", "size", "metric", "round", "value"]):
    got.add((r["test"], r["size"]))
    if r["metric"] != "bw_MBps" or r["round"] != "1":
        bad.append("ref.csv: %s" % r)
    number("ref.csv", r, "value")
if got != want:
    bad.append("ref.csv: missing %s, unexpected %s" %
               (sorted(want - got), sorted(got - want)))

meta = {r["key"]: r["value"] for r in rows("meta.csv", ["key", "value"])}
for k in ("kernel", "rounds", "quick", "date_utc", "cpu", "vcpus", "memory_mib",
          "perftest_version"):
    if not meta.get(k):
        bad.append("meta.csv: no %s" % k)
if meta.get("rounds") != "1" or meta.get("quick") != "1" or \
        meta.get("kernel") != os.uname().release:
    bad.append("meta.csv: %s" % meta)

for b in bad:
    print(b)
print("bench.csv, reg.csv, ref.csv, meta.csv: %s" % ("bad" if bad else "good"))
sys.exit(1 if bad else 0)
PY
check "report.md written" test -s "$OUT/report.md"
# pngs_made: report.py drew its plots (setup.sh installs gnuplot).
pngs_made() {
	local f n=0
	for f in "$OUT"/plots/*.png; do
		[ -s "$f" ] && [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' ')" = 89504e47 ] ||
			return 1
		n=$((n + 1))
	done
	echo "$n PNG plots"
	[ "$n" -gt 0 ]
}
if command -v gnuplot >/dev/null; then
	check "its plots are PNG files" pngs_made
else
	echo "gnuplot is not installed: no plots to check (scripts/setup.sh installs it)"
fi
head -n 20 "$OUT/report.md"

step "nothing left behind"
state >/tmp/state.after
diff /tmp/state.before /tmp/state.after || true
check "modules, namespaces, links, rules, devices, sysctls as before" \
	cmp /tmp/state.before /tmp/state.after
