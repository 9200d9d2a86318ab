#!/usr/bin/env python3
"""Compare two runs of rdma-core's pyverbs test suite (run_tests.py -v).

usage: suite_results.py [--must-pass SUBSTR]... PINRXE_LOG RXE_LOG
                        [PENDING_TEST_ID...]

Each log is what unittest wrote to stderr with -v: one result per test,
"test_x (tests.mod.Class.test_x) ... ok", where a test with a docstring
has its first docstring line, and the " ... STATUS", on the next line.
The parse must account for every test of the "Ran N tests" summary.

Exits 1 when pinrxe has a FAIL, ERROR or unexpected success, or when a
test that passed on rdma_rxe did not pass on pinrxe, unless the test is
one of the PENDING ids (work other branches own); 2 when a log cannot be
parsed in full or a pending id names no test.  With --must-pass, every
test whose id contains SUBSTR must pass on pinrxe, whatever rdma_rxe did
(for what pinrxe has and rdma_rxe lacks, such as XRC), unless pending.
"""
import re
import sys

# "name (tests.module.Class.name)", optionally followed by " ... STATUS".
TEST_RE = re.compile(r"^(\w+) \((tests\.[\w.]+)\)(?: \.\.\. (.*))?$")
STATUS_RE = re.compile(r"^(ok|FAIL|ERROR|skipped\b.*|expected failure|"
                       r"unexpected success)$")
RAN_RE = re.compile(r"^Ran (\d+) tests? in ")
KINDS = {"ok": "ok", "FAIL": "FAIL", "ERROR": "ERROR",
         "expected failure": "xfail", "unexpected success": "XPASS"}


def kind(status):
    return "skip" if status.startswith("skipped") else KINDS[status]


def parse(path):
    """Return ({test id: kind}, tests run per the summary)."""
    results, ran, cur, done = {}, None, None, False
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = RAN_RE.match(line)
            if m:
                ran = int(m.group(1))
                continue
            # The failure details and the summary follow the results.
            if line.startswith("=" * 20) or line.startswith("-" * 20):
                done = True
            if done:
                continue
            m = TEST_RE.match(line)
            if m:
                cur = m.group(2)
                rest = m.group(3)
                if rest is not None and STATUS_RE.match(rest):
                    results[cur] = kind(rest)
                    cur = None
                continue
            if cur is None:
                continue
            # The docstring line, or output the test printed, then status.
            tail = line.rsplit(" ... ", 1)[-1]
            if STATUS_RE.match(tail):
                results[cur] = kind(tail)
                cur = None
    return results, ran


def counts(results):
    c = {k: 0 for k in ("ok", "FAIL", "ERROR", "skip", "xfail", "XPASS")}
    for v in results.values():
        c[v] += 1
    return c


def summary(name, results):
    c = counts(results)
    run = len(results) - c["skip"]
    return (f"{name}: {len(results)} tests, {run} run: {c['ok']} passed, "
            f"{c['FAIL']} failed, {c['ERROR']} errors, "
            f"{c['xfail'] + c['XPASS']} expected failures/unexpected "
            f"successes; {c['skip']} skipped")


def main(argv):
    must = []
    while len(argv) > 2 and argv[1] == "--must-pass":
        must.append(argv[2])
        argv = argv[:1] + argv[3:]
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    runs = {}
    for name, path in (("pinrxe", argv[1]), ("rdma_rxe", argv[2])):
        results, ran = parse(path)
        if ran is None or ran != len(results):
            print(f"{name}: could not account for every test in {path} "
                  f"(summary says {ran}, parsed {len(results)}); did the "
                  f"suite crash?")
            return 2
        runs[name] = results
        print(summary(name, results))
    pin, rxe = runs["pinrxe"], runs["rdma_rxe"]
    pending = argv[3:]
    rc = 0
    for t in pending:
        if t not in pin:
            print(f"pending list names no test of the suite: {t}")
            rc = 2

    bad = []
    for sub in must:
        if not any(sub in t for t in pin):
            print(f"--must-pass {sub} names no test of the suite")
            rc = 2
    for t, k in sorted(pin.items()):
        if k in ("FAIL", "ERROR", "XPASS"):
            bad.append((t, f"{k} on pinrxe"))
        elif rxe.get(t) == "ok" and k != "ok":
            bad.append((t, f"passes on rdma_rxe, {k} on pinrxe"))
        elif k != "ok" and any(sub in t for sub in must):
            bad.append((t, f"must pass on pinrxe, {k}"))
    print(f"pending, owned by other work ({len(pending)} listed):")
    for t in pending:
        if t not in pin:
            continue
        note = f"{pin[t]} on pinrxe, {rxe.get(t, '?')} on rdma_rxe"
        if pin[t] == "ok":
            note += ": passes now, take it off the list"
        print(f"  {t}: {note}")
    real = [(t, why) for t, why in bad if t not in pending]
    for t, why in real:
        print(f"FAIL {t}: {why}")
    if real:
        rc = rc or 1
    print(f"pinrxe: {len(real)} unexpected results, "
          f"{len(bad) - len(real)} pending")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
