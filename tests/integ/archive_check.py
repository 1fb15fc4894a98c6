#!/usr/bin/env python3
"""archive_check.py - a capture for the packet archive, the rules worked out
independently of flowrecd, and the archive it wrote checked against them.

  archive_check.py gen FILE.pcap SEED
      writes a capture: TCP, UDP, ICMP, IPv4 and IPv6, VLAN-tagged copies of
      a 5-tuple, IPv4 fragments (matched and unmatched), connections idle
      past the timeout that start again, ARP, truncated (malformed) IPv4,
      over several rotation periods.
  archive_check.py expect FILE.pcap CUTOFF_BYTES CUTOFF_PACKETS IDLE SNAPLEN [ANON]
      (ANON 1: the frames' addresses to their /24 or /64 first) prints the packets the archive must hold, one per line:
      "sec.nsec wirelen hex(first min(caplen, snaplen) bytes)".
  archive_check.py hexpect FILE.pcap DURATION TIMEOUT MAXHDR
  archive_check.py hdump < FILES
      the header captures the rules give, and those in the files: one line
      per TCP connection, its records, sorted (hdump also checks names).
  archive_check.py netblocks < ADDRESSES
      fails unless every address (one a line) is a /24 or /64 netblock.
  archive_check.py dump FILE [NAME ROTATE [anon]]
      prints a pcap (from FILE, or - for stdin) in the format of expect;
      with NAME (the archive file's name) and ROTATE, fails unless every
      packet lies in the period that starts at the time in the name; with
      anon, unless every address is a netblock, IPv4 header sums right.

The rules (issue 15): a connection is the unordered pair of endpoints
(address and port; port 0 for protocols without ports) plus protocol and
VLAN.  A packet is archived while its connection has archived fewer than
CUTOFF_BYTES wire bytes and fewer than CUTOFF_PACKETS packets (0: no bound),
counted before the packet; a connection idle for more than IDLE seconds
starts afresh; later IPv4 fragments follow their first fragment's
connection (SEMANTICS 7: within 30 s; otherwise ports 0); non-IP and
malformed frames are never archived.
"""
import random
import struct
import sys

T0 = 1700000000  # 2023-11-14T22:13:20Z


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(payload, etype, vlan=None):
    h = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02"
    if vlan is not None:
        h += struct.pack("!HH", 0x8100, vlan)
    return h + struct.pack("!H", etype) + payload


def ip4(src, dst, proto, payload, ident=0, frag=0, mf=False):
    flags = (0x2000 if mf else 0) | (frag // 8)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                    flags, 64, proto, 0, bytes(src), bytes(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ip6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64,
                       bytes(src), bytes(dst)) + payload


def tcp(sp, dp, flags, n):
    # Every third size with 12 bytes of options (NOPs): a 32-byte header.
    if n % 3 == 1:
        return struct.pack("!HHIIBBHHH", sp, dp, 1, 0, 0x80, flags, 65535,
                           0, 0) + b"\x01" * 12 + bytes(n)
    return struct.pack("!HHIIBBHHH", sp, dp, 1, 0, 0x50, flags, 65535, 0,
                       0) + bytes(n)


def udp(sp, dp, n):
    return struct.pack("!HHHH", sp, dp, 8 + n, 0) + bytes(n)


def icmp(typ, n):
    return struct.pack("!BBHI", typ, 0, 0, 0) + bytes(n)


def a4(*x):
    return list(x)


def a6(last):
    return [0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [last]


def gen(path, seed, shift_days):
    rnd = random.Random(seed)
    frames = []  # (time_ns, bytes)
    t = [(T0 + shift_days * 86400) * 10**9]

    def add(b, gap_ms=None):
        t[0] += (gap_ms if gap_ms is not None else rnd.randint(1, 40)) * 10**6
        t[0] += rnd.randint(0, 999)  # odd nanoseconds: times are exact
        frames.append((t[0], b))

    hosts = [a4(10, 0, 0, i) for i in range(1, 9)]
    servers = [a4(192, 0, 2, i) for i in range(1, 5)]
    conns = []
    for i in range(40):
        c, s = rnd.choice(hosts), rnd.choice(servers)
        proto = rnd.choice(["tcp", "tcp", "udp", "icmp", "tcp6", "udp6"])
        vlan = rnd.choice([None, None, 10, 20])
        conns.append((c, s, 1024 + i, rnd.choice([80, 443, 53]), proto, vlan))
    # Same 5-tuple on two VLANs and untagged: three connections.
    for v in (None, 30, 31):
        conns.append((hosts[0], servers[0], 5555, 80, "tcp", v))
    for step in range(1500):
        c, s, sp, dp, proto, vlan = rnd.choice(conns)
        n = rnd.choice([0, 10, 100, 600, 1400, 1, 301])
        rev = rnd.random() < 0.4
        src, dst, a, b = (s, c, dp, sp) if rev else (c, s, sp, dp)
        if proto == "tcp":
            p = eth(ip4(src, dst, 6, tcp(a, b, 0x10, n)), 0x0800, vlan)
        elif proto == "udp":
            p = eth(ip4(src, dst, 17, udp(a, b, n)), 0x0800, vlan)
        elif proto == "icmp":
            p = eth(ip4(src, dst, 1, icmp(0 if rev else 8, n)), 0x0800, vlan)
        elif proto == "tcp6":
            p = eth(ip6(a6(src[3]), a6(100 + dst[3]), 6, tcp(a, b, 0x10, n)),
                    0x86DD, vlan)
        else:
            p = eth(ip6(a6(src[3]), a6(100 + dst[3]), 17, udp(a, b, n)),
                    0x86DD, vlan)
        add(p)
        if step % 97 == 0:
            # A fragmented UDP datagram: first, then later fragments.
            ident = rnd.randint(1, 65535)
            body = udp(4000 + step % 5, 53, 1000)
            add(eth(ip4(c, s, 17, body[:504], ident, 0, True), 0x0800, vlan))
            add(eth(ip4(c, s, 17, body[504:1008], ident, 504, True), 0x0800,
                    vlan))
            add(eth(ip4(c, s, 17, body[1008:], ident, 1008, False), 0x0800,
                    vlan))
        if step % 131 == 0:
            # A later fragment whose first was never seen: ports 0.
            add(eth(ip4(c, s, 17, bytes(300), 7, 800, False), 0x0800, vlan))
        if step % 113 == 0:
            add(eth(bytes(28), 0x0806))  # ARP: not IP
            add(eth(b"\x45\x00\x00", 0x0800))  # IPv4 cut short: malformed
        if step == 700:
            # Quiet for 75 s: past an idle timeout of 60, all start again.
            t[0] += 75 * 10**9
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1))
        for tn, b in frames:
            f.write(struct.pack("<IIII", tn // 10**9, tn % 10**9, len(b),
                                len(b)))
            f.write(b)


def read_pcap(f):
    hdr = f.read(24)
    if len(hdr) < 24:
        return None, []
    magic, = struct.unpack("<I", hdr[:4])
    e = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    magic, = struct.unpack(e + "I", hdr[:4])
    nano = magic == 0xA1B23C4D
    snaplen, link = struct.unpack(e + "II", hdr[16:24])
    out = []
    while True:
        r = f.read(16)
        if len(r) < 16:
            break
        s, frac, cap, wire = struct.unpack(e + "IIII", r)
        data = f.read(cap)
        out.append((s * 10**9 + (frac if nano else frac * 1000), wire, data))
    return (snaplen, link), out


def parse(b):
    """(key, frag) of an Ethernet frame, or None when not archived."""
    off, vlan = 12, 0
    et, = struct.unpack("!H", b[off:off + 2])
    if et == 0x8100:
        vlan = struct.unpack("!H", b[14:16])[0] & 0xFFF
        off = 16
        et, = struct.unpack("!H", b[off:off + 2])
    off += 2
    if et == 0x0800:
        if len(b) < off + 20:
            return None
        ihl = (b[off] & 15) * 4
        proto = b[off + 9]
        src, dst = b[off + 12:off + 16], b[off + 16:off + 20]
        ident, fl = struct.unpack("!HH", b[off + 4:off + 8])
        fo = (fl & 0x1FFF) * 8
        mf = bool(fl & 0x2000)
        l4 = off + ihl
    elif et == 0x86DD:
        proto = b[off + 6]
        src, dst = b[off + 8:off + 24], b[off + 24:off + 40]
        fo, mf, ident = 0, False, 0
        l4 = off + 40
    else:
        return None
    sp = dp = 0
    if fo == 0 and proto in (6, 17):
        sp, dp = struct.unpack("!HH", b[l4:l4 + 4])
    frag = None
    if fo > 0:
        frag = ("later", (src, dst, proto, ident))
    elif mf:
        frag = ("first", (src, dst, proto, ident))
    ends = sorted([(src, sp), (dst, dp)])
    return (tuple(ends), proto, vlan), frag


def l3_of(b):
    """(offset of the IP header, family) of an Ethernet frame, or None."""
    off = 12
    et, = struct.unpack("!H", b[off:off + 2])
    if et == 0x8100:
        off = 16
        et, = struct.unpack("!H", b[off:off + 2])
    off += 2
    if et == 0x0800 and len(b) >= off + 20:
        return off, 4
    if et == 0x86DD and len(b) >= off + 40:
        return off, 6
    return None


def anon(b):
    """The frame with its addresses at their /24 or /64 (netblock)."""
    r = l3_of(b)
    if r is None:
        return b
    off, fam = r
    b = bytearray(b)
    if fam == 6:
        b[off + 16:off + 24] = bytes(8)
        b[off + 32:off + 40] = bytes(8)
        return bytes(b)
    b[off + 15] = 0
    b[off + 19] = 0
    hl = (b[off] & 15) * 4
    b[off + 10:off + 12] = b"\0\0"
    b[off + 10:off + 12] = struct.pack("!H", csum(bytes(b[off:off + hl])))
    return bytes(b)


def anon_check(recs):
    """Fails unless every address is a netblock and IPv4 sums are right."""
    for tn, _, b in recs:
        r = l3_of(b)
        if r is None:
            continue
        off, fam = r
        if fam == 4:
            hl = (b[off] & 15) * 4
            if b[off + 15] or b[off + 19] or csum(b[off:off + hl]) != 0:
                sys.exit("%d.%09d: host bits or a bad checksum: %s" %
                         (tn // 10**9, tn % 10**9, b[off:off + 20].hex()))
        elif any(b[off + 16:off + 24]) or any(b[off + 32:off + 40]):
            sys.exit("%d.%09d: IPv6 host bits" % (tn // 10**9, tn % 10**9))


def expect(path, cutoff_bytes, cutoff_packets, idle, snaplen, anonymize=0):
    with open(path, "rb") as f:
        _, recs = read_pcap(f)
    if anonymize:
        recs = [(tn, wire, anon(data)) for tn, wire, data in recs]
    conns = {}   # key -> [bytes, pkts, last_ns]
    firsts = {}  # fragment match -> (key, time)
    out = []
    for tn, wire, data in recs:
        r = parse(data)
        if r is None:
            continue
        key, frag = r
        if frag and frag[0] == "first":
            firsts[frag[1]] = (key, tn)
        elif frag and frag[0] == "later":
            m = firsts.get(frag[1])
            if m and tn - m[1] <= 30 * 10**9:
                key = m[0]
        c = conns.get(key)
        if c is None or tn - c[2] > idle * 10**9:
            c = conns[key] = [0, 0, tn]
        c[2] = max(c[2], tn)
        if (cutoff_bytes == 0 or c[0] < cutoff_bytes) and \
                (cutoff_packets == 0 or c[1] < cutoff_packets):
            c[0] += wire
            c[1] += 1
            out.append((tn, wire, data[:snaplen]))
    return out


def check_period(name, rotate, recs):
    # <iface>-YYYY-MM-DDTHH-MM-SS[-N].pcap...
    import calendar
    import re
    m = re.search(r"-(\d{4})-(\d\d)-(\d\d)T(\d\d)-(\d\d)-(\d\d)"
                  r"(-\d+)?\.pcap", name)
    if not m:
        sys.exit("%s: not an archive file name" % name)
    start = calendar.timegm(tuple(int(x) for x in m.groups()[:6]))
    if start % rotate:
        sys.exit("%s: does not start a period of %d s" % (name, rotate))
    for tn, _, _ in recs:
        if not start <= tn // 10**9 < start + rotate:
            sys.exit("%s: a packet at %d.%09d" % (name, tn // 10**9,
                                                  tn % 10**9))


def hexpect(path, duration, timeout, maxhdr):
    """The header captures: one list of records per TCP connection."""
    with open(path, "rb") as f:
        _, recs = read_pcap(f)
    conns = {}  # key -> [start, last, records]
    done = []
    for tn, wire, data in recs:
        r = parse(data)
        if r is None or r[0][1] != 6 or r[1]:
            continue
        key = r[0]
        c = conns.get(key)
        if c is None or tn - c[1] > timeout * 10**9:
            c = conns[key] = [tn, tn, []]
            done.append(c)
        c[1] = max(c[1], tn)
        if tn - c[0] >= duration * 10**9:
            continue
        off, fam = l3_of(data)
        l4 = off + ((data[off] & 15) * 4 if fam == 4 else 40)
        cut = l4 + (data[l4 + 12] >> 4) * 4
        c[2].append((tn, wire, data[:min(cut, maxhdr, len(data))]))
    return [c[2] for c in done if c[2]]


def show_conns(conns):
    out = []
    for recs in conns:
        out.append(" ".join("%d.%09d/%d/%s" % (tn // 10**9, tn % 10**9, w,
                                                d.hex()) for tn, w, d in recs))
    for line in sorted(out):
        print(line)


def show(recs):
    for tn, wire, data in recs:
        print("%d.%09d %d %s" % (tn // 10**9, tn % 10**9, wire, data.hex()))


def main():
    cmd = sys.argv[1]
    if cmd == "gen":
        gen(sys.argv[2], int(sys.argv[3]),
            int(sys.argv[4]) if len(sys.argv) > 4 else 0)
    elif cmd == "expect":
        show(expect(sys.argv[2], *[int(x) for x in sys.argv[3:]]))
    elif cmd == "dump":
        f = sys.stdin.buffer if sys.argv[2] == "-" else open(sys.argv[2], "rb")
        hdr, recs = read_pcap(f)
        if hdr is not None:
            print("# snaplen=%d linktype=%d" % hdr)
        if len(sys.argv) > 3:
            check_period(sys.argv[3], int(sys.argv[4]), recs)
        if len(sys.argv) > 5:
            anon_check(recs)
        show(recs)
    elif cmd == "hexpect":
        show_conns(hexpect(sys.argv[2], *[int(x) for x in sys.argv[3:6]]))
    elif cmd == "hdump":
        # Header files named on stdin: each one connection's records,
        # named by the start of its first packet and a unique id.
        import calendar
        import re
        conns, ids = [], set()
        for name in sys.stdin.read().split():
            m = re.search(r"/(\w+)-(\d{4})-(\d\d)-(\d\d)T(\d\d)-(\d\d)-"
                          r"(\d\d)-([0-9a-f]{16})\.pcap$", name)
            if not m:
                sys.exit("%s: not a header file name" % name)
            if m.group(8) in ids:
                sys.exit("%s: its id is not unique" % name)
            ids.add(m.group(8))
            with open(name, "rb") as f:
                hdr, recs = read_pcap(f)
            start = calendar.timegm(tuple(int(x) for x in m.groups()[1:7]))
            if not recs or recs[0][0] // 10**9 != start:
                sys.exit("%s: does not start at its name's time" % name)
            if "/%04d/%02d/%02d/" % tuple(int(x) for x in m.groups()[1:4]) \
                    not in name:
                sys.exit("%s: not in its day's directory" % name)
            conns.append(recs)
        show_conns(conns)
    elif cmd == "netblocks":
        # Addresses on stdin, one a line: each must be a netblock.
        import ipaddress
        for line in sys.stdin:
            a = ipaddress.ip_address(line.strip())
            host = 8 if a.version == 4 else 64
            if int(a) & ((1 << host) - 1):
                sys.exit("%s has host bits" % a)
    else:
        sys.exit("usage: archive_check.py gen|expect|dump ...")


if __name__ == "__main__":
    main()
