#!/usr/bin/python3
"""RoCEv2 frames for the wire tests: capture, check, mutate, replay.

An independent implementation of the RoCEv2 framing (IBA annex A17) in
plain Python with raw AF_PACKET sockets, so that the kernel driver is
checked against something other than itself:

  capture IFACE OUT STOP    record UDP/4791 frames seen on IFACE (both
                            directions) into OUT, one hex frame per line,
                            until the file STOP exists
  summary FILE              parse every frame, verify its ICRC, print how
                            many frames of each opcode; fails on a frame
                            that does not parse or whose ICRC is wrong
  replay DEV FILE IFACE WHAT [--dst ADDR] [--opcode N] [--mutate M]
         [--limit N]        send the chosen frames out of IFACE, changed by
                            mutation M, and wait until the counters of the
                            pinrxe device DEV (`rdma statistic`) show them
                            all as valid (WHAT=valid: rcvd_pkts and
                            rcvd_bytes, then rcv_drop_no_qp, the device
                            having no QPs) or all under the drop counter
                            WHAT; fails if any other counter moves

Frames are replayed with their Ethernet addresses as captured: the target
netdev is given the MAC and IP addresses of the node the frame was sent to.
"""
import argparse
import ipaddress
import os
import socket
import struct
import subprocess
import sys
import time
import zlib

ROCE_PORT = 4791
BTH_LEN = 12
ICRC_LEN = 4

# Header sizes and the headers after the BTH of the opcodes the tests meet,
# written from IBA vol. 1 9.2-9.3 (not from the driver's table).
RETH, AETH, ATMETH, ATMACK, IMMDT, IETH, DETH = 16, 4, 28, 8, 4, 4, 8
OPCODES = {
    0x00: ("RC_SEND_FIRST", 0), 0x01: ("RC_SEND_MIDDLE", 0),
    0x02: ("RC_SEND_LAST", 0), 0x03: ("RC_SEND_LAST_WITH_IMMEDIATE", IMMDT),
    0x04: ("RC_SEND_ONLY", 0), 0x05: ("RC_SEND_ONLY_WITH_IMMEDIATE", IMMDT),
    0x06: ("RC_RDMA_WRITE_FIRST", RETH), 0x07: ("RC_RDMA_WRITE_MIDDLE", 0),
    0x08: ("RC_RDMA_WRITE_LAST", 0),
    0x09: ("RC_RDMA_WRITE_LAST_WITH_IMMEDIATE", IMMDT),
    0x0a: ("RC_RDMA_WRITE_ONLY", RETH),
    0x0b: ("RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE", RETH + IMMDT),
    0x0c: ("RC_RDMA_READ_REQUEST", RETH),
    0x0d: ("RC_RDMA_READ_RESPONSE_FIRST", AETH),
    0x0e: ("RC_RDMA_READ_RESPONSE_MIDDLE", 0),
    0x0f: ("RC_RDMA_READ_RESPONSE_LAST", AETH),
    0x10: ("RC_RDMA_READ_RESPONSE_ONLY", AETH),
    0x11: ("RC_ACKNOWLEDGE", AETH),
    0x12: ("RC_ATOMIC_ACKNOWLEDGE", AETH + ATMACK),
    0x13: ("RC_COMPARE_SWAP", ATMETH), 0x14: ("RC_FETCH_ADD", ATMETH),
    0x16: ("RC_SEND_LAST_WITH_INVALIDATE", IETH),
    0x17: ("RC_SEND_ONLY_WITH_INVALIDATE", IETH),
    0x20: ("UC_SEND_FIRST", 0), 0x21: ("UC_SEND_MIDDLE", 0),
    0x22: ("UC_SEND_LAST", 0), 0x23: ("UC_SEND_LAST_WITH_IMMEDIATE", IMMDT),
    0x24: ("UC_SEND_ONLY", 0), 0x25: ("UC_SEND_ONLY_WITH_IMMEDIATE", IMMDT),
    0x26: ("UC_RDMA_WRITE_FIRST", RETH), 0x27: ("UC_RDMA_WRITE_MIDDLE", 0),
    0x28: ("UC_RDMA_WRITE_LAST", 0),
    0x29: ("UC_RDMA_WRITE_LAST_WITH_IMMEDIATE", IMMDT),
    0x2a: ("UC_RDMA_WRITE_ONLY", RETH),
    0x2b: ("UC_RDMA_WRITE_ONLY_WITH_IMMEDIATE", RETH + IMMDT),
    0x64: ("UD_SEND_ONLY", DETH),
    0x65: ("UD_SEND_ONLY_WITH_IMMEDIATE", DETH + IMMDT),
}


class Frame:
    """An Ethernet frame carrying IPv4 or IPv6, UDP and an IB packet."""

    def __init__(self, raw):
        self.eth = bytearray(raw[:14])
        ethertype = struct.unpack("!H", raw[12:14])[0]
        if ethertype == 0x0800:
            self.ipver = 4
            ihl = (raw[14] & 0x0f) * 4
            self.ip = bytearray(raw[14:14 + ihl])
            if self.ip[9] != 17:
                raise ValueError("not UDP")
            total = struct.unpack("!H", raw[16:18])[0]
            l4 = raw[14 + ihl:14 + total]
        elif ethertype == 0x86dd:
            self.ipver = 6
            self.ip = bytearray(raw[14:54])
            if self.ip[6] != 17:
                raise ValueError("not UDP (or IPv6 extension headers)")
            plen = struct.unpack("!H", raw[18:20])[0]
            l4 = raw[54:54 + plen]
        else:
            raise ValueError("ethertype %#x" % ethertype)
        self.udp = bytearray(l4[:8])
        if struct.unpack("!H", self.udp[2:4])[0] != ROCE_PORT:
            raise ValueError("not RoCEv2")
        if struct.unpack("!H", self.udp[4:6])[0] != len(l4):
            raise ValueError("UDP length disagrees with the IP length")
        self.ib = bytearray(l4[8:])

    @property
    def opcode(self):
        return self.ib[0]

    @property
    def dst(self):
        if self.ipver == 4:
            return ipaddress.ip_address(bytes(self.ip[16:20]))
        return ipaddress.ip_address(bytes(self.ip[24:40]))

    def set_dst(self, addr):
        addr = ipaddress.ip_address(addr)
        if self.ipver == 4:
            self.ip[16:20] = addr.packed
        else:
            self.ip[24:40] = addr.packed

    def icrc(self):
        """The ICRC as the IBA defines it, variant fields masked."""
        ip = bytearray(self.ip)
        if self.ipver == 4:
            ip[1] = 0xff                    # type of service
            ip[8] = 0xff                    # time to live
            ip[10:12] = b"\xff\xff"         # header checksum
        else:
            ip[0] |= 0x0f                   # traffic class,
            ip[1:4] = b"\xff\xff\xff"       # flow label
            ip[7] = 0xff                    # hop limit
        udp = bytearray(self.udp)
        udp[6:8] = b"\xff\xff"              # checksum
        bth = bytearray(self.ib[:BTH_LEN])
        bth[4] = 0xff                       # FECN, BECN, reserved
        data = b"\xff" * 8 + ip + udp + bth + self.ib[BTH_LEN:-ICRC_LEN]
        return struct.pack("<I", zlib.crc32(bytes(data)) & 0xffffffff)

    def icrc_ok(self):
        return self.icrc() == bytes(self.ib[-ICRC_LEN:])

    def fix_icrc(self):
        self.ib[-ICRC_LEN:] = self.icrc()

    def fix_lengths(self):
        """IP and UDP lengths and the IPv4 checksum after a change."""
        ulen = 8 + len(self.ib)
        self.udp[4:6] = struct.pack("!H", ulen)
        if self.ipver == 4:
            self.ip[2:4] = struct.pack("!H", len(self.ip) + ulen)
            self.fix_ip_csum()
        else:
            self.ip[4:6] = struct.pack("!H", ulen)

    def fix_ip_csum(self):
        if self.ipver != 4:
            return
        self.ip[10:12] = b"\0\0"
        s = sum(struct.unpack("!%dH" % (len(self.ip) // 2), bytes(self.ip)))
        while s >> 16:
            s = (s & 0xffff) + (s >> 16)
        self.ip[10:12] = struct.pack("!H", ~s & 0xffff)

    def fix_udp_csum(self):
        """A valid UDP checksum instead of none (the ICRC masks it)."""
        ulen = 8 + len(self.ib)
        if self.ipver == 4:
            pseudo = bytes(self.ip[12:20]) + struct.pack("!BBH", 0, 17, ulen)
        else:
            pseudo = bytes(self.ip[8:40]) + struct.pack("!I3xB", ulen, 17)
        self.udp[6:8] = b"\0\0"
        data = pseudo + bytes(self.udp) + bytes(self.ib)
        if len(data) % 2:
            data += b"\0"
        s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
        while s >> 16:
            s = (s & 0xffff) + (s >> 16)
        self.udp[6:8] = struct.pack("!H", (~s & 0xffff) or 0xffff)

    def raw(self):
        return bytes(self.eth + self.ip + self.udp + self.ib)


def load(path):
    with open(path) as f:
        return [Frame(bytes.fromhex(line.split()[0])) for line in f
                if line.strip()]


# Mutations: each changes a frame and returns it, or None when it does not
# apply to that frame.  The comment says which counter must see it.

def m_none(f):
    return f                                # rcv_drop_no_qp (valid)


def m_variant(f):
    """Change only fields the ICRC masks: still valid."""
    if f.ipver == 4:
        f.ip[1] = 0xb9                      # DSCP 46, ECN CE
        f.ip[8] = 7                         # TTL
        f.fix_ip_csum()
    else:
        vtf = struct.unpack("!I", f.ip[0:4])[0]
        vtf = (vtf & 0xf0000000) | (0xb9 << 20) | 0x12345
        f.ip[0:4] = struct.pack("!I", vtf)  # traffic class, flow label
        f.ip[7] = 7                         # hop limit
    f.ib[4] |= 0xc0                         # FECN, BECN
    f.fix_udp_csum()                        # a real UDP checksum
    return f


def m_payload(f):
    f.ib[-ICRC_LEN - 1] ^= 0x01             # rcv_drop_bad_icrc
    return f


def m_icrc(f):
    f.ib[-1] ^= 0x80                        # rcv_drop_bad_icrc
    return f


def m_ip_id(f):
    """The IPv4 identification is covered by the ICRC."""
    if f.ipver != 4:
        return None
    f.ip[4] ^= 0x12                         # rcv_drop_bad_icrc
    f.fix_ip_csum()
    return f


def m_udp_sport(f):
    f.udp[0] ^= 0x01                        # rcv_drop_bad_icrc
    return f


def m_version(f):
    f.ib[1] = (f.ib[1] & 0xf0) | 1          # rcv_drop_bad_version
    f.fix_icrc()
    return f


def m_reserved_opcode(f):
    f.ib[0] = 0x15                          # rcv_drop_unknown_opcode
    f.fix_icrc()
    return f


def m_rd_opcode(f):
    f.ib[0] = 0x44                          # rcv_drop_unsupported_opcode
    f.fix_icrc()
    return f


def m_cnp(f):
    f.ib[0] = 0x81                          # rcv_drop_unsupported_opcode
    f.fix_icrc()
    return f


def m_short(f):
    """Cut to a BTH and an ICRC: too short for any extension header."""
    if not OPCODES.get(f.opcode, ("", 0))[1]:
        return None
    f.ib = f.ib[:BTH_LEN] + f.ib[-ICRC_LEN:]  # rcv_drop_bad_length
    f.fix_lengths()
    f.fix_icrc()
    return f


def m_unaligned(f):
    f.ib[-ICRC_LEN:-ICRC_LEN] = b"\0"       # rcv_drop_bad_length
    f.fix_lengths()
    f.fix_icrc()
    return f


def m_extra(f):
    """Four more bytes: payload on an opcode without payload."""
    f.ib[-ICRC_LEN:-ICRC_LEN] = b"\0\0\0\0"  # rcv_drop_bad_length (ACK)
    f.fix_lengths()
    f.fix_icrc()
    return f


def m_pad(f):
    f.ib[1] |= 0x30                         # rcv_drop_bad_length (ACK)
    f.fix_icrc()
    return f


def m_udp_short(f):
    """A UDP datagram too short for a BTH and an ICRC."""
    f.ib = f.ib[:BTH_LEN]                   # rcv_drop_udp_len
    f.fix_lengths()
    return f


def mutation(name):
    if name.startswith("dst="):
        addr = name[4:]

        def m_dst(f):
            f.set_dst(addr)                 # rcv_drop_dst_addr
            f.fix_ip_csum()
            f.fix_icrc()
            return f
        return m_dst
    fn = globals().get("m_" + name.replace("-", "_"))
    if not fn:
        sys.exit("roce.py: no mutation %s" % name)
    return fn


def cmd_capture(args):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((args.iface, 0))
    s.settimeout(0.1)
    n = 0
    with open(args.out, "w") as out:
        # Ready: the caller waits for the file before starting traffic.
        out.flush()
        while not os.path.exists(args.stop):
            try:
                raw = s.recv(65535)
            except socket.timeout:
                continue
            try:
                Frame(raw)
            except (ValueError, IndexError, struct.error):
                continue
            out.write(raw.hex() + "\n")
            n += 1
    print(n, "RoCEv2 frames captured on", args.iface)


def cmd_summary(args):
    frames = load(args.file)
    counts = {}
    bad = 0
    for i, f in enumerate(frames):
        name, ext = OPCODES.get(f.opcode, ("opcode %#x" % f.opcode, 0))
        key = "IPv%d %s" % (f.ipver, name)
        counts[key] = counts.get(key, 0) + 1
        if not f.icrc_ok():
            print("frame %d (%s): ICRC %s, expected %s" %
                  (i, key, f.ib[-4:].hex(), f.icrc().hex()))
            bad += 1
        pad = (f.ib[1] >> 4) & 3
        if len(f.ib) % 4 or len(f.ib) < BTH_LEN + ext + pad + ICRC_LEN:
            print("frame %d (%s): bad length %d" % (i, key, len(f.ib)))
            bad += 1
    for key in sorted(counts):
        print(key, counts[key])
    print("%d frames, %d bad" % (len(frames), bad))
    return 1 if bad or not frames else 0


def stats(dev):
    out = subprocess.run(["rdma", "statistic", "show", "link", dev + "/1"],
                         check=True, capture_output=True, text=True).stdout
    words = out.split()
    # "link DEV/1 name value name value ..."
    if len(words) < 2 or words[0] != "link":
        sys.exit("roce.py: unexpected rdma statistic output: " + out)
    vals = words[2:]
    return {vals[i]: int(vals[i + 1]) for i in range(0, len(vals) - 1, 2)}


def cmd_replay(args):
    frames = load(args.file)
    fn = mutation(args.mutate)
    before = stats(args.dev)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((args.iface, 0))
    sent = nbytes = 0
    for f in frames:
        if args.dst and f.dst != ipaddress.ip_address(args.dst):
            continue
        if args.opcode is not None and f.opcode != int(args.opcode, 0):
            continue
        f = fn(f)
        if f is None:
            continue
        s.send(f.raw())
        sent += 1
        nbytes += len(f.ib)
        if sent % 32 == 0:
            time.sleep(0.01)        # stay far below the veth backlog
        if args.limit and sent >= args.limit:
            break
    if not sent:
        print("no captured frame to replay")
        return 1

    if args.what == "valid":
        expect = {"rcvd_pkts": sent, "rcvd_bytes": nbytes,
                  "rcv_drop_no_qp": sent}
    else:
        if args.what not in before:
            sys.exit("roce.py: no counter %s" % args.what)
        expect = {args.what: sent}
    deadline = time.time() + 30
    while True:
        now = stats(args.dev)
        diff = {k: now[k] - before[k] for k in before
                if k != "pinned_pages" and now[k] != before[k]}
        if diff == expect:
            print("%d frames counted: %s" % (sent, expect))
            return 0
        if time.time() > deadline:
            print("%d frames sent: expected counter changes %s, got %s" %
                  (sent, expect, diff))
            return 1
        time.sleep(0.2)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("iface")
    c.add_argument("out")
    c.add_argument("stop")
    c = sub.add_parser("summary")
    c.add_argument("file")
    c = sub.add_parser("replay")
    c.add_argument("dev")
    c.add_argument("file")
    c.add_argument("iface")
    c.add_argument("what")
    c.add_argument("--dst")
    c.add_argument("--opcode")
    c.add_argument("--mutate", default="none")
    c.add_argument("--limit", type=int)
    args = p.parse_args()
    return {"capture": cmd_capture, "summary": cmd_summary,
            "replay": cmd_replay}[args.cmd](args) or 0


if __name__ == "__main__":
    sys.exit(main())
