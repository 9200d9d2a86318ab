#!/usr/bin/env python3
"""The report of `make bench`: markdown tables from the guest's CSV files.

usage: report.py DIR   (reads DIR/bench.csv, DIR/odp.csv, DIR/reg.csv if
present; writes DIR/report.md and prints it)

bench.csv, odp.csv: test,size,metric,device,round,value
reg.csv:            kind,size,mode,rep,usec
Every cell is min / median / max over the rounds; ratios compare medians.
"""
import csv
import os
import statistics
import sys


def load(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def spread(v):
    return "%.2f / %.2f / %.2f" % (min(v), statistics.median(v), max(v))


def perftest_table(rows, base, other, ratio_name):
    """Two devices side by side; ratio: bandwidth other/base, latency
    base/other (above 1: other is faster)."""
    keys, vals = [], {}
    for r in rows:
        k = (r["test"], r["size"], r["metric"])
        if k not in keys:
            keys.append(k)
        if r["value"] != "NA":
            vals.setdefault(k + (r["device"],), []).append(float(r["value"]))
    out = ["| test | size | metric | %s (min/median/max) | %s (min/median/max) | %s |"
           % (base, other, ratio_name), "|---|---|---|---|---|---|"]
    for k in keys:
        cells, med = [], {}
        for dev in (base, other):
            v = vals.get(k + (dev,), [])
            if v:
                med[dev] = statistics.median(v)
                cells.append(spread(v))
            else:
                cells.append("no result")
        ratio = "n/a"
        if len(med) == 2 and min(med.values()) > 0:
            if k[2].startswith("lat"):
                ratio = "%.2fx" % (med[base] / med[other])
            else:
                ratio = "%.2fx" % (med[other] / med[base])
        out.append("| %s | %s | %s | %s | %s | %s |" % (k + tuple(cells) + (ratio,)))
    return out


def human(size):
    size = int(size)
    for unit, div in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= div and size % div == 0:
            return "%d %s" % (size // div, unit)
    return "%d B" % size


def reg_tables(rows):
    med = {}
    for r in rows:
        if r["usec"] != "NA":
            med.setdefault((r["kind"], int(r["size"]), r["mode"]), []).append(
                float(r["usec"]))
    med = {k: statistics.median(v) for k, v in med.items()}

    def cell(k):
        return "%.0f" % med[k] if k in med else "NA"

    modes = ["pinned_touched", "pinned_untouched", "odp", "odp_prefetch"]
    sizes = sorted({k[1] for k in med if k[0] == "reg"})
    out = ["### Registration and deregistration time (microseconds, median)", "",
           "| size | " + " | ".join("reg %s" % m for m in modes) +
           " | dereg pinned_untouched | dereg odp | pinned_untouched / odp |",
           "|---" * (len(modes) + 4) + "|"]
    for s in sizes:
        ratio = "n/a"
        a, b = med.get(("reg", s, "pinned_untouched")), med.get(("reg", s, "odp"))
        if a and b:
            ratio = "%.0fx" % (a / b)
        out.append("| %s | " % human(s) +
                   " | ".join(cell(("reg", s, m)) for m in modes) +
                   " | %s | %s | %s |" % (cell(("dereg", s, "pinned_untouched")),
                                          cell(("dereg", s, "odp")), ratio))
    fsizes = sorted({k[1] for k in med if k[0] == "first_write"})
    if fsizes:
        out += ["", "### First access: a peer's RDMA WRITE into fresh memory "
                "(microseconds, median)", "",
                "| size | pinned: reg | pinned: first write | pinned: next write "
                "| odp: reg | odp: first write | odp: next write |",
                "|---|---|---|---|---|---|---|"]
        for s in fsizes:
            out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                human(s), cell(("reg", s, "pinned_untouched")),
                cell(("first_write", s, "pinned")), cell(("next_write", s, "pinned")),
                cell(("reg", s, "odp")), cell(("first_write", s, "odp")),
                cell(("next_write", s, "odp"))))
    return out


def main():
    d = sys.argv[1]
    bench, odp, reg = (load(os.path.join(d, n)) for n in
                       ("bench.csv", "odp.csv", "reg.csv"))
    rounds = max((int(r["round"]) for r in bench + odp), default=0)
    text = ["# pinrxe benchmark, one guest boot", "",
            "Medians of %d rounds unless said otherwise; bandwidth in MB/s, "
            "latency in microseconds (perftest's t_typical)." % rounds, ""]
    if bench:
        text += ["## pinrxe against stock rdma_rxe", ""]
        text += perftest_table(bench, "rxe", "pinrxe", "pinrxe speedup") + [""]
    if odp:
        text += ["## pinrxe: on-demand paging against pinned memory, steady state", ""]
        text += perftest_table(odp, "pinrxe", "pinrxe-odp", "ODP / pinned") + [""]
    if reg:
        text += ["## Registration cost, pinned against on-demand paging", ""]
        text += reg_tables(reg) + [""]
    report = "\n".join(text)
    with open(os.path.join(d, "report.md"), "w") as f:
        f.write(report)
    print(report, end="")


if __name__ == "__main__":
    main()
