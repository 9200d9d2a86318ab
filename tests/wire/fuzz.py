#!/usr/bin/python3
"""Hostile RoCEv2 packets at live QPs, for the robustness test (case 35).

usage: fuzz.py FRAMES IFACE DST [--count N] [--seed S] [--protect QPN,...]
               [--spoof ADDR] [--dev DEV] [--ns NS] [--sock-ns NS]

Sends COUNT frames out of IFACE (a raw AF_PACKET socket), each made from a
frame of FRAMES (captured by `roce.py capture` from real traffic, so that
its Ethernet and IP addresses reach the device) whose destination is DST,
changed at random:

  bits      1 to 8 random bits flipped after the UDP header
  field     one header field set to a random or boundary value: opcode,
            pad, version, P_Key, QPN, PSN, RETH/atomic rkey, address and
            length, AETH syndrome, DETH Q_Key
  length    cut short or extended with random bytes
  garbage   random bytes after the BTH
  udp       UDP length that disagrees with the datagram
  live      a frame aimed at a live QP (`rdma resource`): its number, a PSN
            near the one it expects, and a live MR's rkey and address
            (`rdma resource show mr`), then a field strategy on top

Most frames get a correct ICRC afterwards, so they reach the checks behind
it.  Frames for a QP in --protect (the verified traffic) are sent from the
--spoof address instead of the real peer: a connected QP must drop them
(rcv_drop_path) and its traffic must stay correct.  Everything else may
be hit from the real peer's address, and traffic there may fail.

--dev/--ns name the device that owns DST and the namespace to ask
`rdma resource` in, for the live strategy (default: no live frames).
--sock-ns opens the packet socket in another namespace (IFACE's), while
the program stays where `rdma resource` sees DEV.
Prints how many frames of each strategy were sent.
"""
import argparse
import ctypes
import ipaddress
import json
import os
import random
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import roce  # noqa: E402  (the framing, in the same directory)

BTH_LEN, ICRC_LEN = roce.BTH_LEN, roce.ICRC_LEN
BOUNDARY32 = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]
BOUNDARY64 = [0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 4096,
              (1 << 64) - 1]


def ext_offset(f):
    """Where the extension header after the BTH starts (XRC: after XRCETH)."""
    return BTH_LEN + (4 if f.opcode >> 5 == 5 else 0)


def set_src(f, addr):
    addr = ipaddress.ip_address(addr)
    if f.ipver == 4:
        f.ip[12:16] = addr.packed
    else:
        f.ip[8:24] = addr.packed


def put(f, off, fmt, val):
    """Write a field if the frame is long enough to hold it."""
    size = struct.calcsize(fmt)
    if off + size <= len(f.ib) - ICRC_LEN:
        f.ib[off:off + size] = struct.pack(fmt, val)


def rnd32(r):
    return r.choice(BOUNDARY32) if r.random() < 0.5 else r.getrandbits(32)


def rnd64(r):
    return r.choice(BOUNDARY64) if r.random() < 0.5 else r.getrandbits(64)


def s_bits(r, f, live):
    for _ in range(r.randint(1, 8)):
        i = r.randrange(len(f.ib))
        f.ib[i] ^= 1 << r.randrange(8)


def s_field(r, f, live):
    e = ext_offset(f)
    choice = r.randrange(11)
    if choice == 0:
        f.ib[0] = r.randrange(256)                      # opcode
    elif choice == 1:
        f.ib[1] = (f.ib[1] & 0xcf) | (r.randrange(4) << 4)  # pad
    elif choice == 2:
        f.ib[1] = (f.ib[1] & 0xf0) | r.randrange(16)    # version
    elif choice == 3:
        f.ib[2:4] = struct.pack("!H", r.choice([0, 0x7fff, 0x8000,
                                                r.getrandbits(16)]))
    elif choice == 4:
        qpn = r.choice([0, 1, 0xffffff, r.getrandbits(24)] + live["qpns"])
        f.ib[5:8] = struct.pack("!I", qpn)[1:]
    elif choice == 5:
        psn = (struct.unpack("!I", b"\0" + f.ib[9:12])[0] +
               r.choice([-1, 1, 1 << 23, r.getrandbits(24)])) & 0xffffff
        f.ib[9:12] = struct.pack("!I", psn)[1:]
    elif choice == 6:
        put(f, e, "!Q", rnd64(r))                       # RETH/AtomicETH VA
    elif choice == 7:
        put(f, e + 8, "!I", rnd32(r))                   # rkey
    elif choice == 8:
        put(f, e + 12, "!I", rnd32(r))                  # DMA length
    elif choice == 9:
        put(f, e, "!B", r.getrandbits(8))               # AETH syndrome
    else:
        put(f, e, "!I", rnd32(r))                       # DETH Q_Key, IETH
    if r.random() < 0.3:
        f.ib[0] = r.randrange(256)


def s_length(r, f, live):
    if r.random() < 0.5 and len(f.ib) > 1:
        cut = r.randrange(1, len(f.ib))
        f.ib = f.ib[:cut]
    else:
        f.ib += bytes(r.getrandbits(8) for _ in range(r.randint(1, 2048)))
    f.fix_lengths()


def s_garbage(r, f, live):
    n = r.choice([0, 4, 16, 28, r.randint(0, 4200)])
    f.ib = f.ib[:BTH_LEN] + bytearray(r.getrandbits(8) for _ in range(n)) + \
        bytearray(ICRC_LEN)
    f.fix_lengths()


def s_udp(r, f, live):
    ulen = 8 + len(f.ib)
    f.udp[4:6] = struct.pack("!H", r.choice([0, 7, 8, 20, ulen - 4, ulen + 4,
                                             0xffff]) & 0xffff)


def s_live(r, f, live):
    """Aim at a live QP with a plausible PSN, rkey and address."""
    if not live["qps"]:
        return s_field(r, f, live)
    qpn, psn = r.choice(live["qps"])
    f.ib[5:8] = struct.pack("!I", qpn)[1:]
    psn = (psn + r.randint(-4, 64)) & 0xffffff
    f.ib[9:12] = struct.pack("!I", psn)[1:]
    e = ext_offset(f)
    if live["mrs"]:
        rkey, iova, length = r.choice(live["mrs"])
        va = iova + r.choice([0, length - 1, length, r.randrange(length + 1),
                              -1])
        put(f, e, "!Q", va & ((1 << 64) - 1))
        put(f, e + 8, "!I", rkey)
        put(f, e + 12, "!I", r.choice([0, 1, 8, 4096, length, length + 1,
                                       r.getrandbits(31)]))
    if r.random() < 0.5:
        s_field(r, f, live)


STRATEGIES = [("bits", s_bits, 3), ("field", s_field, 4),
              ("length", s_length, 1), ("garbage", s_garbage, 1),
              ("udp", s_udp, 1), ("live", s_live, 4)]


def rdma_json(ns, *what):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + \
        ["rdma", "-j", "-d", "resource", "show"] + list(what)
    try:
        out = subprocess.run(cmd, capture_output=True, text=True,
                             timeout=20).stdout
        return json.loads(out or "[]")
    except (subprocess.SubprocessError, ValueError):
        return []


def live_state(dev, ns):
    """Live QPs (number, expected PSN) and MRs (rkey, iova, length)."""
    qps, mrs = [], []
    if not dev:
        return {"qps": qps, "mrs": mrs, "qpns": []}
    for q in rdma_json(ns, "qp", "link", dev + "/1"):
        if q.get("lqpn", 0) > 1 and "rq-psn" in q:
            qps.append((q["lqpn"], q["rq-psn"]))
    for m in rdma_json(ns, "mr", "dev", dev):
        if "rkey" in m and "iova" in m and m.get("mrlen"):
            mrs.append((int(str(m["rkey"]), 0), int(str(m["iova"]), 0),
                        int(m["mrlen"])))
    return {"qps": qps, "mrs": mrs, "qpns": [q for q, _ in qps]}


def packet_socket(iface, ns):
    """A raw packet socket bound to IFACE, made inside namespace NS."""
    if not ns:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((iface, 0))
        return s
    libc = ctypes.CDLL(None, use_errno=True)
    clone_newnet = 0x40000000
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    there = os.open("/run/netns/" + ns, os.O_RDONLY)
    if libc.setns(there, clone_newnet):
        sys.exit("fuzz.py: setns %s: %s" % (ns, os.strerror(ctypes.get_errno())))
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((iface, 0))
    finally:
        # A socket stays in the namespace it was made in.
        if libc.setns(home, clone_newnet):
            sys.exit("fuzz.py: setns back: %s" %
                     os.strerror(ctypes.get_errno()))
        os.close(there)
        os.close(home)
    return s


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("frames")
    p.add_argument("iface")
    p.add_argument("dst")
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--protect", default="")
    p.add_argument("--spoof")
    p.add_argument("--dev")
    p.add_argument("--ns")
    p.add_argument("--sock-ns")
    args = p.parse_args()

    dst = ipaddress.ip_address(args.dst)
    templates = [f for f in roce.load(args.frames) if f.dst == dst]
    if not templates:
        sys.exit("fuzz.py: no captured frame to %s" % dst)
    protect = {int(q, 0) for q in args.protect.split(",") if q}
    if protect and not args.spoof:
        sys.exit("fuzz.py: --protect needs --spoof")
    r = random.Random(args.seed)
    weights = [w for _, _, w in STRATEGIES]
    s = packet_socket(args.iface, args.sock_ns)
    live = live_state(args.dev, args.ns)
    sent = {name: 0 for name, _, _ in STRATEGIES}
    spoofed = 0
    for n in range(args.count):
        if n % 2000 == 1999:
            live = live_state(args.dev, args.ns)
        name, fn, _ = r.choices(STRATEGIES, weights)[0]
        f = roce.Frame(r.choice(templates).raw())
        fn(r, f, live)
        if name not in ("udp", "garbage") or r.random() < 0.5:
            if r.random() < 0.9 and len(f.ib) >= BTH_LEN + ICRC_LEN:
                f.fix_icrc()
        qpn = struct.unpack("!I", b"\0" + bytes(f.ib[5:8]))[0] \
            if len(f.ib) >= 8 else -1
        if qpn in protect:
            set_src(f, args.spoof)
            f.fix_ip_csum()
            if len(f.ib) >= BTH_LEN + ICRC_LEN and r.random() < 0.9:
                f.fix_icrc()
            spoofed += 1
        try:
            s.send(f.raw())
        except OSError:
            pass                    # a frame too long for the MTU
        sent[name] += 1
        if n % 64 == 63:
            time.sleep(0.005)       # below the veth backlog's limit
    print("sent %d frames to %s: %s; %d spoofed at protected QPs" %
          (args.count, dst, ", ".join("%s %d" % kv for kv in sent.items()),
           spoofed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
