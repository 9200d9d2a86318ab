#!/usr/bin/env python3
"""The report of `rdmapin bench` (and `make bench`): markdown tables, gnuplot
plots and the verdicts on the benchmark targets, from the engine's CSV files.

usage: report.py [--check-targets] [--history FILE] DIR

Reads, from DIR (any file may be missing or partial; a value NA is a run
that failed):
  bench.csv  test,size,metric,device,round,value   perftest (metrics
             bw_MBps, mpps, lat_usec; steady_bw_MBps and steady_mpps from
             duration mode, the steady state)
  reg.csv    kind,size,mode,device,rep,usec        bench/regbench
  ref.csv    test,size,metric,round,value          memcpy, UDP stream
  meta.csv   key,value                             the machine and the run
and history.md next to this script (--history FILE reads another one).

Writes DIR/report.md and DIR/plots/NAME.png with the gnuplot script and data
that drew it (NAME.gp, NAME.dat): `cd DIR/plots && gnuplot NAME.gp` redraws
it.  Without gnuplot the report says so, and the scripts are still written.

Every table cell is min / median / max over the rounds (registration: over
the repetitions); every ratio divides medians.

Exit status: 0, also when a target fails (the report says FAIL); 2 when an
input file cannot be read (or the report cannot be written); 3 with
--check-targets when a measured target fails.
"""
import argparse
import csv
import math
import os
import shutil
import statistics
import subprocess
import sys

# perftest's MB is 2^20 bytes (its MBS format factor); memcpy and the UDP
# stream are reported in the same unit, so bandwidths compare directly and
# a size divided by a bandwidth is a time.
MB = 1 << 20

DEVICES = ["rxe", "pinrxe", "pinrxe-odp", "pinrxe-odp-prefetch"]
BW_TESTS = ["ib_send_bw", "ib_write_bw", "ib_read_bw"]
LAT_TESTS = ["ib_send_lat", "ib_write_lat", "ib_read_lat", "ib_atomic_lat"]
MODES = ["pinned_touched", "pinned_untouched", "pinned_thp", "pinned_hugetlb",
         "odp", "odp_prefetch"]

COLUMNS = {
    "bench.csv": ("test", "size", "metric", "device", "round", "value"),
    "reg.csv": ("kind", "size", "mode", "device", "rep", "usec"),
    "ref.csv": ("test", "size", "metric", "round", "value"),
    "meta.csv": ("key", "value"),
}

# Thresholds of the targets.
BW_SPEEDUP = 2.0        # pinrxe pinned / rxe bandwidth at 64 KiB
ODP_FRACTION = 0.9      # pinrxe-odp / pinrxe bandwidth
REG_SPEEDUP = 100.0     # pinned_untouched / odp registration time at 1 GiB
STEADY = "steady_bw_MBps"  # bandwidth in perftest's duration mode
KIB64, MIB1, GIB1 = 1 << 16, 1 << 20, 1 << 30

NOT_MEASURED = "—"


class InputError(Exception):
    """An input file that exists but cannot be read as its schema says."""


# ---------------------------------------------------------------- input

def read_csv(path, columns):
    """(line number, row) pairs of PATH; none when it is missing or empty
    (the engine did not get that far)."""
    if not os.path.exists(path):
        return []
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None:
                return []
            missing = [c for c in columns if c not in reader.fieldnames]
            if missing:
                raise InputError("%s: no column %s (header: %s)" % (
                    path, ", ".join(missing), ",".join(reader.fieldnames)))
            return [(reader.line_num, row) for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputError("%s: %s" % (path, e)) from e


def number(text):
    """A CSV value as a float; None for NA, a run that failed."""
    text = text.strip()
    if text in ("", "NA"):
        return None
    v = float(text)
    if math.isnan(v):
        return None
    return v


class Samples:
    """One cell: its values over the rounds, and how many rounds failed."""

    def __init__(self):
        self.values = []
        self.failed = 0
        # (round, value) in the order of the file, for pairing runs.
        self.runs = []

    def median(self):
        return statistics.median(self.values) if self.values else None

    def spread(self):
        """(median, min, max), or None when no round gave a value."""
        if not self.values:
            return None
        return self.median(), min(self.values), max(self.values)


def collect(name, rows, keys, value, notes):
    """Samples per key tuple.  A row that is cut short or holds something
    that is not a number is left out and named in NOTES: a report must not
    drop data silently, but one broken line must not lose all the others."""
    cells = {}
    for line, row in rows:
        try:
            key = tuple(int(row[k]) if k == "size" else row[k].strip()
                        for k in keys)
            # Every schema has the size second.
            if "" in key or key[1] <= 0:
                raise ValueError("empty field or size")
            v = number(row[value])
        except (ValueError, TypeError, AttributeError):
            fields = ",".join(str(row.get(k)) for k in keys + (value,))
            notes.append("%s line %d ignored: %s" % (name, line, fields))
            continue
        cell = cells.setdefault(key, Samples())
        if v is None:
            cell.failed += 1
        else:
            cell.values.append(v)
            cell.runs.append(((row.get("round") or "").strip(), v))
    return cells


def paired_ratios(a, b):
    """A's runs over B's, run by run: the k-th run of A in a round over the
    k-th run of B in that round.  The engine measures the two sides of a
    steady-state comparison next to each other, so each pair saw the same
    load on the machine, which drifts by more than the effect measured."""
    def by_round(cell):
        out = {}
        for r, v in cell.runs if cell else ():
            out.setdefault(r, []).append(v)
        return out
    ra, rb = by_round(a), by_round(b)
    return [x / y for r in ra if r in rb
            for x, y in zip(ra[r], rb[r]) if y > 0]


class Data:
    """The measurements of one run."""

    def __init__(self, d, notes):
        def rows(name):
            return read_csv(os.path.join(d, name), COLUMNS[name])

        self.bench = collect("bench.csv", rows("bench.csv"),
                             ("test", "size", "metric", "device"), "value",
                             notes)
        self.reg = collect("reg.csv", rows("reg.csv"),
                           ("kind", "size", "mode", "device"), "usec", notes)
        self.ref = collect("ref.csv", rows("ref.csv"),
                           ("test", "size", "metric"), "value", notes)
        # A value with an unquoted comma (a CPU model) spills into extra
        # fields, which DictReader files under None.
        self.meta = [(r["key"], ",".join([r["value"]] + r.get(None, [])))
                     for _, r in rows("meta.csv")
                     if r["key"] and r["value"] is not None]
        self.memcpy = {k[1]: c.median() for k, c in self.ref.items()
                       if k[0] == "memcpy" and k[2] == "bw_MBps"
                       and c.median()}

    def cell(self, test, size, metric, device):
        return self.bench.get((test, size, metric, device))

    def med(self, test, size, metric, device):
        c = self.cell(test, size, metric, device)
        return c.median() if c else None

    def tests(self, suffix, canonical):
        """The tests of the data ending in SUFFIX, the known ones first."""
        seen = {k[0] for k in self.bench if k[0].endswith(suffix)}
        return [t for t in canonical if t in seen] + \
            sorted(seen - set(canonical))

    def devices(self, keys):
        """The devices in KEYS (tuples ending in a device), in order."""
        seen = {k[-1] for k in keys}
        return [d for d in DEVICES if d in seen] + sorted(seen - set(DEVICES))

    def memcpy_at(self, size):
        """memcpy's median bandwidth at the measured block size nearest to
        SIZE (on a log scale), and that block size; (None, None) without
        memcpy results."""
        if not self.memcpy:
            return None, None
        near = min(self.memcpy, key=lambda s: (abs(math.log2(s / size)), s))
        return self.memcpy[near], near

    def memcpy_usec(self, size):
        """How long memcpy takes to copy SIZE bytes, in microseconds."""
        bw, near = self.memcpy_at(size)
        if not bw:
            return None, None
        return size / (bw * MB) * 1e6, near


# ---------------------------------------------------------------- text

def human(size):
    for unit, div in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= div and size % div == 0:
            return "%d %s" % (size // div, unit)
    return "%d B" % size


def num(v):
    """A number with as many digits as tell something."""
    if v is None:
        return "NA"
    if abs(v) >= 1000:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    if abs(v) >= 0.1:
        return "%.2f" % v
    return "%.3g" % v


def cell_text(c):
    """min / median / max of a cell; NA when every round failed, a dash
    when the run did not measure it."""
    if c is None:
        return NOT_MEASURED
    s = c.spread()
    if s is None:
        return "NA"
    text = "%s / %s / %s" % (num(s[1]), num(s[0]), num(s[2]))
    if c.failed:
        text += " (+%d NA)" % c.failed
    return text


def ratio(a, b):
    if a is None or b is None or b <= 0:
        return None
    return a / b


def times(r):
    if r is None:
        return NOT_MEASURED
    return "%.2fx" % r if r >= 0.1 else "%.2gx" % r


def percent(r):
    """A share, such as of memcpy's bandwidth, in per cent."""
    if r is None:
        return NOT_MEASURED
    return ("%.0f %%" if r >= 0.1 else "%.2g %%") % (r * 100)


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out + [""]


# ---------------------------------------------------------------- plots

def gp_string(s):
    """S as a gnuplot single-quoted string."""
    return "'" + s.replace("'", "''") + "'"


def has_spread(points):
    """True when the values of POINTS are (median, min, max) triples."""
    return any(isinstance(v, tuple) for v in points.values())


def middle(v):
    return v[0] if isinstance(v, tuple) else v


# One colour per device and per registration mode in every figure, so that
# a device looks the same in all of them.
COLOURS = {
    "rxe": "#555555", "pinrxe": "#1f77b4", "pinrxe-odp": "#2ca02c",
    "pinrxe-odp-prefetch": "#ff7f0e",
    "pinned_touched": "#1f77b4", "pinned_untouched": "#d62728",
    "pinned_thp": "#9467bd", "pinned_hugetlb": "#8c564b", "odp": "#2ca02c",
    "odp_prefetch": "#ff7f0e",
}
REF_COLOURS = ["#333333", "#d62728"]


def colour(title):
    """The colour of a series: its device, or the mode its title ends in."""
    c = COLOURS.get(title) or COLOURS.get(title.split()[-1])
    return " lc rgb '%s'" % c if c else ""


class Plots:
    """The figures of the report.  Each is written as NAME.dat (its
    numbers) and NAME.gp (the gnuplot script drawing NAME.png from them),
    then drawn when gnuplot is installed.  A figure method returns the
    markdown that shows the PNG, or nothing when there is no PNG."""

    def __init__(self, plotdir):
        self.dir = plotdir
        self.gnuplot = shutil.which("gnuplot")
        self.terminal = self._terminal()
        self.made = []          # names of the PNGs drawn
        self.failed = []        # (name, gnuplot's last complaint)
        os.makedirs(plotdir, exist_ok=True)
        # An earlier run's pictures must not pass for this run's.
        for f in os.listdir(plotdir):
            if f.endswith((".png", ".gp", ".dat")):
                os.remove(os.path.join(plotdir, f))

    def _terminal(self):
        """pngcairo draws smoother text and lines; libgd's png is what a
        gnuplot built without cairo offers."""
        if not self.gnuplot:
            return "pngcairo"
        try:
            p = subprocess.run([self.gnuplot], input="set terminal pngcairo\n",
                               capture_output=True, text=True, timeout=60)
            return "pngcairo" if p.returncode == 0 else "png"
        except (OSError, subprocess.SubprocessError):
            return "png"

    def _preamble(self, name, title, xlabel, ylabel):
        return [
            "# %s: %s" % (name, title),
            "# Written by bench/report.py: draws %s.png from %s.dat."
            % (name, name),
            "# Redraw with: gnuplot %s.gp   (a gnuplot without cairo: "
            "set terminal png)" % name,
            "set terminal %s size 960,600 noenhanced" % self.terminal,
            "set output %s" % gp_string(name + ".png"),
            "set datafile missing 'NA'",
            "set title %s" % gp_string(title),
            "set xlabel %s" % gp_string(xlabel),
            "set ylabel %s" % gp_string(ylabel),
            "set grid",
            "set key below",
        ]

    @staticmethod
    def _refs(refs):
        """Plot clauses of horizontal reference lines, (y, title) each."""
        return ["%r with lines dt 2 lw 2 lc rgb '%s' title %s"
                % (float(y), REF_COLOURS[i % len(REF_COLOURS)], gp_string(t))
                for i, (y, t) in enumerate(refs)]

    def lines(self, name, title, xlabel, ylabel, series, logy=False,
              refs=(), colours=True):
        """Lines over a log2 size axis.  SERIES: (title, {size: value}) with
        a value a number or (median, min, max), drawn with error bars.
        REFS: (y, title) horizontal lines.  COLOURS: a device's or mode's
        own colour (else gnuplot's sequence)."""
        def usable(v):
            v = middle(v)
            return v is not None and (v > 0 or not logy)

        series = [(t, {x: v for x, v in pts.items() if usable(v)})
                  for t, pts in series]
        series = [(t, pts) for t, pts in series if pts]
        if not series:
            return []
        xs = sorted({x for _, pts in series for x in pts})
        dat = ["# size, then per series its median, or median min max: " +
               ", ".join(t for t, _ in series)]
        for x in xs:
            row = [str(x)]
            for _, pts in series:
                width = 3 if has_spread(pts) else 1
                v = pts.get(x)
                if v is None:
                    row += ["NA"] * width
                else:
                    row += ["%.6g" % e for e in (v if width == 3 else (v,))]
            dat.append(" ".join(row))
        gp = self._preamble(name, title, xlabel, ylabel)
        gp += ["set logscale x 2",
               "set xrange [%r:%r]" % (xs[0] / 2, xs[-1] * 2),
               "set xtics (%s)" % ", ".join(
                   "%s %d" % (gp_string(human(x)), x) for x in xs)]
        gp += ["set logscale y"] if logy else ["set yrange [0:*]"]
        clauses, col = [], 2
        for t, pts in series:
            src = gp_string(name + ".dat") if not clauses else "''"
            # rxe dotted: in the registration figures it shares its mode's
            # colour with pinrxe.
            dash = (colour(t) if colours else "") + \
                (" dt 3" if t.startswith("rxe") else "")
            if has_spread(pts):
                clauses.append("%s using 1:%d:%d:%d with yerrorlines lw 2%s "
                               "title %s" % (src, col, col + 1, col + 2, dash,
                                             gp_string(t)))
                col += 3
            else:
                clauses.append("%s using 1:%d with linespoints lw 2%s title %s"
                               % (src, col, dash, gp_string(t)))
                col += 1
        gp.append("plot " + ", \\\n     ".join(clauses + self._refs(refs)))
        return self._write(name, title, dat, gp)

    def bars(self, name, title, ylabel, groups, series, refs=()):
        """Grouped bars: GROUPS the labels along x, SERIES (title, {group:
        value}) one bar in each group, a value a number or (median, min,
        max), drawn with error bars."""
        series = [(t, pts) for t, pts in series
                  if any(middle(v) is not None for v in pts.values())]
        if not series or not groups:
            return []
        spread = all(has_spread(pts) for _, pts in series)
        dat = ["# group, then per series its median%s: %s" % (
            " min max" if spread else "", ", ".join(t for t, _ in series))]
        for g in groups:
            row = ['"%s"' % g]
            for _, pts in series:
                v = pts.get(g)
                if spread:
                    row += ["NA"] * 3 if v is None else ["%.6g" % e for e in v]
                else:
                    row.append("NA" if v is None else "%.6g" % v)
            dat.append(" ".join(row))
        gp = self._preamble(name, title, "", ylabel)
        gp += ["set style data histograms",
               "set style histogram %s gap 1" % (
                   "errorbars lw 1" if spread else "clustered"),
               "set style fill solid 0.7 border -1",
               "set xrange [-0.6:%r]" % (len(groups) - 0.4),
               "set yrange [0:*]",
               "set xtics rotate by 20 right"]
        clauses = []
        for i, (t, _) in enumerate(series):
            src = gp_string(name + ".dat") if not clauses else "''"
            tics = ":xtic(1)" if not clauses else ""
            if spread:
                c = 2 + 3 * i
                clauses.append("%s using %d:%d:%d%s%s title %s" % (
                    src, c, c + 1, c + 2, tics, colour(t), gp_string(t)))
            else:
                clauses.append("%s using %d%s%s title %s" % (
                    src, 2 + i, tics, colour(t), gp_string(t)))
        gp.append("plot " + ", \\\n     ".join(clauses + self._refs(refs)))
        return self._write(name, title, dat, gp)

    def _write(self, name, title, dat, gp):
        with open(os.path.join(self.dir, name + ".dat"), "w") as f:
            f.write("\n".join(dat) + "\n")
        with open(os.path.join(self.dir, name + ".gp"), "w") as f:
            f.write("\n".join(gp) + "\n")
        if not self._draw(name):
            return []
        return ["![%s](plots/%s.png)" % (title, name), ""]

    def _draw(self, name):
        """Runs gnuplot on NAME.gp; True when it made a non-empty NAME.png."""
        if not self.gnuplot:
            return False
        png = os.path.join(self.dir, name + ".png")
        try:
            p = subprocess.run([self.gnuplot, name + ".gp"], cwd=self.dir,
                               capture_output=True, text=True, timeout=120)
            complaint = p.stderr.strip().splitlines()
            ok = (p.returncode == 0 and os.path.exists(png)
                  and os.path.getsize(png) > 0)
        except (OSError, subprocess.SubprocessError) as e:
            complaint, ok = [str(e)], False
        if not ok:
            self.failed.append((name, complaint[-1] if complaint else
                                "no picture"))
            return False
        self.made.append(name)
        return True


# ---------------------------------------------------------------- sections

def bw_points(data, test, metric, device):
    """{size: (median, min, max)} of DEVICE's results in TEST."""
    return {k[1]: c.spread() for k, c in data.bench.items()
            if k[0] == test and k[2] == metric and k[3] == device
            and c.spread()}


def memcpy_cell(data, size):
    """memcpy's median bandwidth for SIZE, naming the block size used when
    it is not SIZE itself."""
    bw, near = data.memcpy_at(size)
    if bw is None:
        return NOT_MEASURED
    return num(bw) + ("" if near == size else " (at %s)" % human(near))


def bandwidth_section(data, plots):
    tests = [t for t in data.tests("_bw", BW_TESTS) if "atomic" not in t]
    if not tests:
        return []
    out = ["## Bandwidth", "",
           "perftest's average bandwidth per message size.  *device / rxe*: "
           "that device's bandwidth over stock rdma_rxe's in the same boot "
           "(above 1: faster than rxe).  *% of memcpy*: the device's "
           "bandwidth as a share of this machine's memcpy bandwidth at the "
           "same block size (or the nearest block size measured, which the "
           "memcpy column names); it divides out much of the machine's own "
           "speed, so that results from different machines compare.", ""]
    for test in tests:
        keys = [k for k in data.bench if k[0] == test and k[2] == "bw_MBps"]
        sizes = sorted({k[1] for k in keys})
        devs = data.devices(keys)
        out += ["### %s" % test, ""]
        out += table(["size"] + ["%s (MB/s)" % d for d in devs],
                     [[human(s)] + [cell_text(data.cell(test, s, "bw_MBps", d))
                                    for d in devs] for s in sizes])
        others = [d for d in devs if d != "rxe"]
        rows = []
        for s in sizes:
            med = {d: data.med(test, s, "bw_MBps", d) for d in devs}
            mc = data.memcpy_at(s)[0]
            rows.append([human(s)] +
                        [times(ratio(med[d], med.get("rxe")))
                         for d in others] +
                        [memcpy_cell(data, s)] +
                        [percent(ratio(med[d], mc)) for d in devs])
        out += table(["size"] + ["%s / rxe" % d for d in others] +
                     ["memcpy (MB/s)"] +
                     ["%s, %% of memcpy" % d for d in devs], rows)

        absolute = [(d, bw_points(data, test, "bw_MBps", d)) for d in devs]
        out += plots.lines("bw_%s" % test, "%s: bandwidth" % test,
                           "message size", "MB/s (2^20 bytes/s)", absolute,
                           logy=True)
        to_rxe = [(d, {s: ratio(middle(v), data.med(test, s, "bw_MBps", "rxe"))
                       for s, v in pts.items()}) for d, pts in absolute
                  if d != "rxe"]
        refs = [(1, "rxe = 1")]
        if test in BW_TESTS:
            refs.append((BW_SPEEDUP, "target for pinrxe: %gx rxe at 64 KiB"
                         % BW_SPEEDUP))
        out += plots.lines("bw_%s_vs_rxe" % test,
                           "%s: bandwidth / rxe bandwidth" % test,
                           "message size", "device / rxe", to_rxe, refs=refs)
        to_memcpy = [(d, {s: ratio(middle(v), data.memcpy_at(s)[0])
                          for s, v in pts.items()}) for d, pts in absolute]
        out += plots.lines("bw_%s_vs_memcpy" % test,
                           "%s: bandwidth / memcpy bandwidth at that size"
                           % test, "message size", "fraction of memcpy",
                           to_memcpy, logy=True)
    return out


def paired_median(a, b):
    r = paired_ratios(a, b)
    return statistics.median(r) if r else None


def steady_section(data, plots):
    keys = [k for k in data.bench if k[2] == STEADY]
    if not keys:
        return []
    tests = [t for t in BW_TESTS if any(k[0] == t for k in keys)]
    tests += sorted({k[0] for k in keys} - set(tests))
    devs = data.devices(keys)
    others = [d for d in devs if d != "rxe"]
    odps = [d for d in devs if d.startswith("pinrxe-odp")]
    out = ["## Steady-state bandwidth", "",
           "The bandwidth tests in perftest's duration mode (-D): each run "
           "lasts a fixed time and only its middle is counted, the margins "
           "at the start and the end (-f) are not.  So a run's first touch "
           "of its fresh buffers (ODP faults), its start and its end are "
           "left out: this is the rate a long-running application sees, "
           "and what targets 1 and 3 are judged on.  *device / rxe* and *% "
           "of memcpy* as in *Bandwidth*.  A cell's min / median / max is "
           "over every run of it: steady_repeats runs a round (see *this "
           "run*).  In each of them the devices run one right after the "
           "other, rxe next to pinrxe and pinrxe next to pinrxe-odp (the "
           "order reverses every pass), and *ODP / pinned* is the median "
           "of their ratios run by run: on a host "
           "whose speed drifts by a fifth from minute to minute, two runs "
           "side by side compare better than two medians.", ""]
    rows, ratios = [], []
    groups, absolute, to_rxe, to_memcpy = [], {}, {}, {}
    for test in tests:
        for s in sorted({k[1] for k in keys if k[0] == test}):
            g = "%s %s" % (test, human(s))
            groups.append(g)
            med = {d: data.med(test, s, STEADY, d) for d in devs}
            mc = data.memcpy_at(s)[0]
            rows.append([test, human(s)] +
                        [cell_text(data.cell(test, s, STEADY, d))
                         for d in devs])
            ratios.append([test, human(s)] +
                          [times(paired_median(
                              data.cell(test, s, STEADY, d),
                              data.cell(test, s, STEADY, "pinrxe")))
                           for d in odps] +
                          [times(ratio(med[d], med.get("rxe")))
                           for d in others] +
                          [percent(ratio(med[d], mc)) for d in devs])
            for d in devs:
                c = data.cell(test, s, STEADY, d)
                if c and c.spread():
                    absolute.setdefault(d, {})[g] = c.spread()
                r = ratio(med[d], med.get("rxe"))
                if d != "rxe" and r is not None:
                    to_rxe.setdefault(d, {})[g] = r
                r = ratio(med[d], mc)
                if r is not None:
                    to_memcpy.setdefault(d, {})[g] = r
    out += table(["test", "size"] + ["%s (MB/s)" % d for d in devs], rows)
    out += table(["test", "size"] +
                 ["%s / pinrxe, run by run" % d for d in odps] +
                 ["%s / rxe" % d for d in others] +
                 ["%s, %% of memcpy" % d for d in devs], ratios)
    out += plots.bars("steady_bw", "steady-state bandwidth", "MB/s (2^20 "
                      "bytes/s)", groups,
                      [(d, absolute[d]) for d in devs if d in absolute])
    out += plots.bars("steady_bw_vs_rxe", "steady-state bandwidth / rxe "
                      "bandwidth", "device / rxe", groups,
                      [(d, to_rxe[d]) for d in others if d in to_rxe],
                      refs=[(1, "rxe = 1")])
    out += plots.bars("steady_bw_vs_memcpy", "steady-state bandwidth / "
                      "memcpy bandwidth at that size", "fraction of memcpy",
                      groups, [(d, to_memcpy[d]) for d in devs
                               if d in to_memcpy])
    return out


def atomic_section(data, plots):
    tests = [t for t in data.tests("_bw", BW_TESTS) if "atomic" in t]
    if not tests:
        return []
    out = ["## Atomics: message rate", "",
           "Million atomic operations per second (perftest's MsgRate) and "
           "the bytes they move.  There is no memcpy ratio: an 8-byte "
           "compare-and-swap or fetch-and-add is a round trip, not a copy, "
           "and memcpy of 8 bytes measures nothing that compares.", ""]
    groups, rate, to_rxe = [], {}, {}
    for test in tests:
        keys = [k for k in data.bench if k[0] == test]
        devs = data.devices(keys)
        rows = []
        for s in sorted({k[1] for k in keys}):
            rxe = data.med(test, s, "mpps", "rxe")
            g = "%s %s" % (test, human(s))
            groups.append(g)
            for d in devs:
                c = data.cell(test, s, "mpps", d)
                r = ratio(c.median() if c else None, rxe)
                rows.append([test, human(s), d, cell_text(c),
                             cell_text(data.cell(test, s, "bw_MBps", d)),
                             times(r) if d != "rxe" else ""])
                if c and c.spread():
                    rate.setdefault(d, {})[g] = c.spread()
                if d != "rxe" and r is not None:
                    to_rxe.setdefault(d, {})[g] = r
        out += table(["test", "size", "device", "Mpps", "MB/s",
                      "device / rxe (Mpps)"], rows)
    devs = [d for d in DEVICES if d in rate] + sorted(set(rate) - set(DEVICES))
    out += plots.bars("atomic_rate", "atomics: message rate", "Mpps", groups,
                      [(d, rate[d]) for d in devs])
    out += plots.bars("atomic_rate_vs_rxe",
                      "atomics: message rate / rxe message rate",
                      "device / rxe", groups,
                      [(d, to_rxe[d]) for d in devs if d in to_rxe],
                      refs=[(1, "rxe = 1")])
    return out


def latency_section(data, plots):
    tests = data.tests("_lat", LAT_TESTS)
    if not tests:
        return []
    keys = [k for k in data.bench if k[0] in tests and k[2] == "lat_usec"]
    devs = data.devices(keys)
    others = [d for d in devs if d != "rxe"]
    out = ["## Latency", "",
           "perftest's typical latency (its median over the iterations), "
           "microseconds.  *rxe / device*: rxe's latency over the device's "
           "(above 1: the device is faster).  *memcpy time*: how long this "
           "machine's memcpy takes to copy the same number of bytes, at the "
           "bandwidth measured for the nearest block size — the cost of "
           "moving the payload once in memory, a floor no transport can "
           "beat.  It is a reference, not a ratio: at 2 bytes it is "
           "nanoseconds, and the latency is almost all per-message work "
           "(system calls, the network stack, completion), which the "
           "comparison with rxe measures.", ""]
    rows, groups, lat, to_rxe = [], [], {}, {}
    for test in tests:
        for s in sorted({k[1] for k in keys if k[0] == test}):
            g = "%s %s" % (test, human(s))
            groups.append(g)
            rxe = data.med(test, s, "lat_usec", "rxe")
            row = [test, human(s)]
            for d in devs:
                c = data.cell(test, s, "lat_usec", d)
                row.append(cell_text(c))
                if c and c.spread():
                    lat.setdefault(d, {})[g] = c.spread()
            for d in others:
                r = ratio(rxe, data.med(test, s, "lat_usec", d))
                row.append(times(r))
                if r is not None:
                    to_rxe.setdefault(d, {})[g] = r
            t, near = data.memcpy_usec(s)
            row.append(NOT_MEASURED if t is None else
                       "%.3g" % t + ("" if near == s else
                                     " (memcpy at %s)" % human(near)))
            rows.append(row)
    out += table(["test", "size"] + ["%s (µs)" % d for d in devs] +
                 ["rxe / %s" % d for d in others] + ["memcpy time (µs)"],
                 rows)
    out += plots.bars("latency", "latency (typical)", "microseconds", groups,
                      [(d, lat[d]) for d in devs if d in lat])
    out += plots.bars("latency_vs_rxe", "latency: rxe latency / device latency"
                      " (above 1: faster than rxe)", "rxe / device", groups,
                      [(d, to_rxe[d]) for d in others if d in to_rxe],
                      refs=[(1, "rxe = 1")])
    return out


def reg_modes(data):
    seen = {k[2] for k in data.reg}
    return [m for m in MODES if m in seen] + sorted(seen - set(MODES))


def reg_points(data, kind, mode, device):
    return {k[1]: c.spread() for k, c in data.reg.items()
            if k[0] == kind and k[2] == mode and k[3] == device and c.spread()}


def reg_med(data, kind, size, mode, device):
    c = data.reg.get((kind, size, mode, device))
    return c.median() if c else None


def registration_section(data, plots):
    keys = [k for k in data.reg if k[0] in ("reg", "dereg")]
    if not keys:
        return []
    modes = reg_modes(data)
    out = ["## Registration", "",
           "`ibv_reg_mr` and `ibv_dereg_mr` time (bench/regbench), "
           "microseconds, min / median / max over the repetitions.  Modes: "
           "pinned memory already written (touched) or fresh (untouched: "
           "pinning faults every page in), backed by transparent huge pages "
           "(thp) or hugetlbfs 2 MiB pages (hugetlb), on-demand paging (odp), "
           "and ODP followed by a synchronous prefetch (odp_prefetch).  "
           "Stock rdma_rxe offers the pinned modes only.  *rxe / pinrxe*: "
           "rxe's time over pinrxe's in the same mode (above 1: pinrxe is "
           "faster).  *memcpy time*: how long memcpy takes to copy a buffer "
           "of that size at the bandwidth measured for the nearest block "
           "size (µs); *pinrxe / memcpy* says how many such copies one "
           "registration costs.", ""]
    rows = []
    for s in sorted({k[1] for k in keys}):
        copy = data.memcpy_usec(s)[0]
        for m in modes:
            if not any((kind, s, m, dev) in data.reg
                       for kind in ("reg", "dereg")
                       for dev in ("pinrxe", "rxe")):
                continue
            row = [human(s), m, NOT_MEASURED if copy is None else num(copy)]
            for kind in ("reg", "dereg"):
                pin = data.reg.get((kind, s, m, "pinrxe"))
                rxe = data.reg.get((kind, s, m, "rxe"))
                row += [cell_text(pin), cell_text(rxe),
                        times(ratio(rxe.median() if rxe else None,
                                    pin.median() if pin else None)),
                        times(ratio(pin.median() if pin else None, copy))]
            rows.append(row)
    out += table(["size", "mode", "memcpy time",
                  "reg pinrxe", "reg rxe", "reg rxe / pinrxe",
                  "reg pinrxe / memcpy",
                  "dereg pinrxe", "dereg rxe", "dereg rxe / pinrxe",
                  "dereg pinrxe / memcpy"], rows)

    for kind, what in (("reg", "registration"), ("dereg", "deregistration")):
        pin = {m: reg_points(data, kind, m, "pinrxe") for m in modes}
        series = [("pinrxe %s" % m, pin[m]) for m in modes]
        series += [("rxe %s" % m, reg_points(data, kind, m, "rxe"))
                   for m in modes]
        out += plots.lines("%s_time" % kind, "%s time" % what, "buffer size",
                           "microseconds", series, logy=True)
        vs_rxe = [(m, {s: ratio(reg_med(data, kind, s, m, "rxe"), v[0])
                       for s, v in pin[m].items()}) for m in modes]
        out += plots.lines("%s_vs_rxe" % kind,
                           "%s: rxe time / pinrxe time, same mode (above 1: "
                           "pinrxe faster)" % what, "buffer size",
                           "rxe / pinrxe", vs_rxe, logy=True,
                           refs=[(1, "rxe = 1")])
        vs_memcpy = [(m, {s: ratio(v[0], data.memcpy_usec(s)[0])
                          for s, v in pin[m].items()}) for m in modes]
        out += plots.lines("%s_vs_memcpy" % kind,
                           "%s on pinrxe: time / time memcpy needs to copy "
                           "the buffer" % what, "buffer size",
                           "pinrxe time / memcpy time", vs_memcpy, logy=True,
                           refs=[(1, "one memcpy of the buffer")])
    return out


def first_access_section(data):
    keys = sorted({(k[3], k[2], k[1]) for k in data.reg
                   if k[0] in ("first_write", "next_write")},
                  key=lambda k: (DEVICES.index(k[0]) if k[0] in DEVICES
                                 else len(DEVICES), k[0],
                                 MODES.index(k[1]) if k[1] in MODES
                                 else len(MODES), k[1], k[2]))
    if not keys:
        return []
    out = ["## First access", "",
           "A peer's RDMA WRITE into freshly registered memory against the "
           "next WRITE into the same memory, microseconds: what the first "
           "touch costs (on ODP, the page faults the device takes).", ""]
    rows = []
    for dev, mode, s in keys:
        first = data.reg.get(("first_write", s, mode, dev))
        nxt = data.reg.get(("next_write", s, mode, dev))
        rows.append([dev, mode, human(s),
                     cell_text(data.reg.get(("reg", s, mode, dev))),
                     cell_text(first), cell_text(nxt),
                     times(ratio(first.median() if first else None,
                                 nxt.median() if nxt else None))])
    return out + table(["device", "mode", "size", "reg", "first write",
                        "next write", "first / next"], rows)


def reference_section(data):
    if not data.ref:
        return []
    out = ["## Reference: this machine without RDMA", "",
           "memcpy: blocks of each size copied through a buffer too big for "
           "the caches.  udp_stream: a UDP stream over the same veth pair "
           "between the two network namespaces, per datagram size.  MB/s "
           "(2^20 bytes/s).", ""]
    rows = []
    for k in sorted(data.ref):
        test, s, metric = k
        r = ""
        if test != "memcpy":
            bw, near = data.memcpy_at(s)
            r = times(ratio(data.ref[k].median(), bw))
            if bw is not None and near != s:
                r += " (memcpy at %s)" % human(near)
        rows.append([test, human(s), metric, cell_text(data.ref[k]), r])
    return out + table(["test", "size", "metric", "min / median / max",
                        "/ memcpy"], rows)


def history_section(path):
    out = ["## History", "",
           "What each optimisation of pinrxe gained, as recorded in "
           "bench/history.md by whoever made it.  Numbers there come from "
           "their runs; the tables above are this run's.", ""]
    try:
        with open(path) as f:
            text = f.read().rstrip("\n")
    except FileNotFoundError:
        return out + ["No history recorded yet (%s does not exist)."
                      % os.path.basename(path), ""]
    except (OSError, UnicodeDecodeError) as e:
        raise InputError("%s: %s" % (path, e)) from e
    return out + [text, ""]


# ---------------------------------------------------------------- targets

class Verdict:
    """One target checked against the data: PASS, FAIL or not measured."""

    def __init__(self, target, what, measured, needed, ok):
        self.target, self.what = target, what
        self.measured, self.needed = measured, needed
        self.verdict = ("not measured" if ok is None else
                        "PASS" if ok else "FAIL")


def missing(data, test, size, metric, devices):
    """Why a comparison has no number: which device gave none."""
    why = []
    for d in devices:
        c = data.cell(test, size, metric, d)
        if c is None:
            why.append("no %s result" % d)
        elif c.median() is None:
            why.append("every %s run failed (NA)" % d)
    return "; ".join(why) or "a median of 0"


def steady_ratio(data, target, test, size, dev, base, least):
    """Targets 1 and 3: the median of DEV's steady-state runs over BASE's,
    pair by pair (paired_ratios)."""
    a = data.cell(test, size, STEADY, dev)
    b = data.cell(test, size, STEADY, base)
    what = "%s %s steady state: %s / %s, run by run" % (test, human(size),
                                                        dev, base)
    needed = "≥ %.2f" % least
    r = paired_ratios(a, b)
    if not r:
        return Verdict(target, what, missing(data, test, size, STEADY,
                                             (dev, base)) +
                       " (or no pair of runs)", needed, None)
    m = statistics.median(r)
    return Verdict(target, what,
                   "median of %d = %.3f (%.2f-%.2f; medians %s / %s MB/s)" %
                   (len(r), m, min(r), max(r), num(a.median()),
                    num(b.median())), needed, m >= least)


def speedup(data, target, test, size, dev, base, least):
    """Target 1: judged like target 3, run by run on the steady state.  A
    whole run at 64 KiB moves 32 MiB, half a second at pinrxe's speed, and
    this platform's rate sits for seconds at a time in a slow or a fast
    state (52 or 80 MB/s): three such runs a device decide little.  The
    ratio of the whole-run medians is shown alongside."""
    v = steady_ratio(data, target, test, size, dev, base, least)
    a = data.med(test, size, "bw_MBps", dev)
    b = data.med(test, size, "bw_MBps", base)
    r = ratio(a, b)
    if r is not None:
        v.measured += "; whole runs: %s / %s MB/s = %.2f" % (num(a), num(b),
                                                             r)
    return v


def targets(data):
    out = []
    t1 = "1. pinned bandwidth at least %gx rxe at 64 KiB" % BW_SPEEDUP
    for test in ("ib_write_bw", "ib_read_bw", "ib_send_bw"):
        out.append(speedup(data, t1, test, KIB64, "pinrxe", "rxe",
                           BW_SPEEDUP))

    t2 = "2. latency at 2 B no worse than rxe"
    lat_tests = ["ib_send_lat", "ib_write_lat", "ib_read_lat"]
    lat_tests += [t for t in data.tests("_lat", LAT_TESTS)
                  if t not in lat_tests and (t, 2, "lat_usec", "pinrxe")
                  in data.bench]
    for test in lat_tests:
        a = data.med(test, 2, "lat_usec", "pinrxe")
        b = data.med(test, 2, "lat_usec", "rxe")
        what = "%s 2 B: pinrxe vs rxe" % test
        if a is None or b is None:
            out.append(Verdict(t2, what, missing(data, test, 2, "lat_usec",
                                                 ("pinrxe", "rxe")),
                               "pinrxe ≤ rxe", None))
        else:
            out.append(Verdict(t2, what, "%s µs vs %s µs" % (num(a), num(b)),
                               "pinrxe ≤ rxe", a <= b))

    t3 = "3. ODP steady state at least %d %% of pinned bandwidth" % round(
        ODP_FRACTION * 100)
    for size in (KIB64, MIB1):
        for test in ("ib_write_bw", "ib_read_bw", "ib_send_bw"):
            out.append(steady_ratio(data, t3, test, size, "pinrxe-odp",
                                    "pinrxe", ODP_FRACTION))

    t4 = "4. ODP registration of 1 GiB at least %gx faster than pinned " \
        "untouched" % REG_SPEEDUP
    pinned = reg_med(data, "reg", GIB1, "pinned_untouched", "pinrxe")
    odp = reg_med(data, "reg", GIB1, "odp", "pinrxe")
    what = "reg 1 GiB on pinrxe: pinned_untouched / odp"
    r = ratio(pinned, odp)
    if r is None:
        why = []
        for m, v in (("pinned_untouched", pinned), ("odp", odp)):
            if ("reg", GIB1, m, "pinrxe") not in data.reg:
                why.append("no %s result" % m)
            elif v is None:
                why.append("every %s repetition failed (NA)" % m)
        out.append(Verdict(t4, what, "; ".join(why) or "an odp time of 0",
                           "≥ %g" % REG_SPEEDUP, None))
    else:
        out.append(Verdict(t4, what, "%s / %s µs = %.1f" % (num(pinned),
                                                            num(odp), r),
                           "≥ %g" % REG_SPEEDUP, r >= REG_SPEEDUP))
    return out


def over_pinned(data, test, size, dev):
    """DEV's median bandwidth over pinrxe's with pinned memory."""
    return ratio(data.med(test, size, "bw_MBps", dev),
                 data.med(test, size, "bw_MBps", "pinrxe"))


def targets_section(data, verdicts, plots):
    count = {v: sum(1 for x in verdicts if x.verdict == v)
             for v in ("PASS", "FAIL", "not measured")}
    out = ["## Targets", "",
           "Each target computed from this run's figures: latency and "
           "registration from the medians, the bandwidth targets (1 and 3) "
           "from the median of the steady-state ratios run by run (see "
           "*Steady-state bandwidth*).  *not measured*: the run has no "
           "number for one side (missing, or every round failed).", ""]
    out += table(["target", "comparison", "measured", "needed", "verdict"],
                 [[v.target, v.what, v.measured, v.needed,
                   "**%s**" % v.verdict] for v in verdicts])
    out += ["Summary: %d PASS, %d FAIL, %d not measured." % (
        count["PASS"], count["FAIL"], count["not measured"]), ""]

    # ODP against pinned at every size of the whole-run table, with the
    # prefetch variant alongside.
    sizes = sorted({k[1] for k in data.bench
                    if k[0] in BW_TESTS and k[2] == "bw_MBps"
                    and k[3] in ("pinrxe-odp", "pinrxe-odp-prefetch")})
    if sizes:
        out += ["Target 3 is judged on the steady state (perftest's duration "
                "mode, see *Steady-state bandwidth*).  For comparison, ODP "
                "bandwidth over pinned bandwidth at every size of the "
                "whole-run figures (*Bandwidth*), which include each run's "
                "start and its first touch of fresh ODP pages:", ""]
        rows = []
        for s in sizes:
            row = [human(s)]
            for test in BW_TESTS:
                for dev in ("pinrxe-odp", "pinrxe-odp-prefetch"):
                    row.append(times(over_pinned(data, test, s, dev)))
            rows.append(row)
        out += table(["size"] + ["%s %s / pinrxe" % (t, d) for t in BW_TESTS
                                 for d in ("odp", "odp-prefetch")], rows)
        series = []
        for test in BW_TESTS:
            for dev in ("pinrxe-odp", "pinrxe-odp-prefetch"):
                series.append(("%s %s" % (test, dev), {
                    s: over_pinned(data, test, s, dev)
                    for s in bw_points(data, test, "bw_MBps", dev)}))
        out += plots.lines("odp_vs_pinned", "ODP bandwidth / pinned bandwidth "
                           "on pinrxe", "message size", "ODP / pinned", series,
                           refs=[(1, "pinned = 1"),
                                 (ODP_FRACTION, "target: %g" % ODP_FRACTION)],
                           colours=False)
    return out


# ---------------------------------------------------------------- report

def header(data, plots):
    meta = dict(data.meta)
    out = ["# pinrxe benchmark report", ""]
    if data.meta:
        out += table(["this run", ""], [[k, v] for k, v in data.meta])
    else:
        out += ["No meta.csv: the machine and the run are not described.", ""]
    if meta.get("quick", "").strip().lower() in ("1", "yes", "true"):
        out += ["**Quick run**: one round over a few sizes, a smoke test of "
                "every code path; its numbers are indicative only.", ""]
    out += ["Cells read min / median / max over the rounds; ratios divide "
            "medians.  NA: every round failed; (+N NA): N rounds failed; "
            "%s: not measured in this run.  Bandwidth in MB/s of 2^20 bytes "
            "(perftest's unit), times in microseconds.  Devices: rxe is "
            "stock rdma_rxe, pinrxe uses pinned memory, pinrxe-odp "
            "on-demand paging (perftest --odp), pinrxe-odp-prefetch ODP with "
            "every registration prefetched before traffic." % NOT_MEASURED, ""]
    if not plots.gnuplot:
        out += ["plots not made: gnuplot not installed (the scripts that "
                "draw them are in plots/: `cd plots && gnuplot NAME.gp`)", ""]
    return out


def notes_section(notes, plots):
    out = []
    if plots.failed:
        out += ["gnuplot failed on %s: %s" % (n, why)
                for n, why in plots.failed]
    out += notes
    if not out:
        return []
    return ["## Notes on this report", ""] + ["- " + n for n in out] + [""]


def write_report(d, data, history, notes):
    """Writes D/report.md and D/plots/; returns the report's path, the
    Plots and the verdicts on the targets."""
    plots = Plots(os.path.join(d, "plots"))
    verdicts = targets(data)
    body = targets_section(data, verdicts, plots)
    body += bandwidth_section(data, plots)
    body += steady_section(data, plots)
    body += atomic_section(data, plots)
    body += latency_section(data, plots)
    body += registration_section(data, plots)
    body += first_access_section(data)
    body += reference_section(data)
    body += history
    body += notes_section(notes, plots)
    report = header(data, plots) + body

    path = os.path.join(d, "report.md")
    with open(path, "w") as f:
        f.write("\n".join(report).rstrip("\n") + "\n")
    return path, plots, verdicts


def main():
    p = argparse.ArgumentParser(
        description="Write DIR/report.md and DIR/plots/ from the CSV files "
        "of a pinrxe benchmark run in DIR.")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--check-targets", action="store_true",
                   help="exit 3 when a measured target fails")
    p.add_argument("--history", metavar="FILE",
                   default=os.path.join(os.path.dirname(
                       os.path.abspath(__file__)), "history.md"),
                   help="the optimisation history to include "
                   "(default: history.md next to this script)")
    args = p.parse_args()
    if not os.path.isdir(args.dir):
        print("report.py: %s: not a directory" % args.dir, file=sys.stderr)
        return 2
    notes = []
    try:
        data = Data(args.dir, notes)
        history = history_section(args.history)
    except InputError as e:
        print("report.py: %s" % e, file=sys.stderr)
        return 2
    if not (data.bench or data.reg or data.ref):
        notes.append("no measurements: bench.csv, reg.csv and ref.csv are "
                     "missing or empty")

    try:
        path, plots, verdicts = write_report(args.dir, data, history, notes)
    except OSError as e:
        print("report.py: cannot write the report: %s" % e, file=sys.stderr)
        return 2

    for n in notes:
        print("report.py: %s" % n, file=sys.stderr)
    for n, why in plots.failed:
        print("report.py: gnuplot failed on %s.gp: %s" % (n, why),
              file=sys.stderr)
    if plots.gnuplot:
        made = "%d plots" % len(plots.made)
    else:
        made = "plots not made: gnuplot not installed"
    print("report: %s (%s in %s)" % (path, made,
                                     os.path.join(args.dir, "plots")))
    for v in verdicts:
        print("  %-12s %s: %s (needed %s)" % (v.verdict, v.what, v.measured,
                                              v.needed))
    if args.check_targets and any(v.verdict == "FAIL" for v in verdicts):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
