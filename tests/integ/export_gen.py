#!/usr/bin/env python3
"""export_gen.py - a pcapng capture for the export tests.

usage: export_gen.py OUT.pcapng FLOWS BINS INTERVAL START [SEED]

FLOWS UDP and TCP conversations spread over BINS bins of INTERVAL seconds
from START (a Unix time): a tenth over IPv6, a quarter in an 802.1Q VLAN,
packets in both directions (the pcapng flags say inbound or outbound, so
rows have bytes received and sent).  What the rows are is the store's
business; the tests compare the destinations with the store, not with
this script.
"""
import random
import struct
import sys


def block(btype, body):
    pad = (-len(body)) % 4
    length = 12 + len(body) + pad
    return struct.pack('<II', btype, length) + body + b'\0' * pad + \
        struct.pack('<I', length)


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(v6, vlan, src, dst, proto, sport, dport, payload):
    if proto == 6:
        l4 = struct.pack('!HHIIBBHHH', sport, dport, 1, 0, 5 << 4, 0x10,
                         65535, 0, 0)
    else:
        l4 = struct.pack('!HHHH', sport, dport, 8 + payload, 0)
    l4 += b'x' * payload
    if v6:
        ip = struct.pack('!IHBB', 6 << 28, len(l4), proto, 64) + src + dst
        etype = 0x86dd
    else:
        hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), 0, 0, 64,
                          proto, 0, src, dst)
        ip = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
        etype = 0x0800
    eth = b'\x02\0\0\0\0\x02' + b'\x02\0\0\0\0\x01'
    if vlan:
        eth += struct.pack('!HH', 0x8100, vlan)
    return eth + struct.pack('!H', etype) + ip + l4


def main():
    out, flows, bins, interval, start = sys.argv[1:6]
    flows, bins, interval, start = int(flows), int(bins), int(interval), \
        int(start)
    rnd = random.Random(int(sys.argv[6]) if len(sys.argv) > 6 else 1)
    conv = []
    for i in range(flows):
        v6 = i % 10 == 3
        if v6:
            c = bytes.fromhex('20010db8000000000000000000%06x' % (i + 1))
            s = bytes.fromhex('20010db8ffff00000000000000%06x' % (i % 50))
        else:
            c = bytes([10, (i >> 16) & 255, (i >> 8) & 255, i & 255])
            s = bytes([192, 0, 2, i % 50])
        vlan = 100 + i % 3 if i % 4 == 1 else 0
        proto = 6 if i % 3 == 0 else 17
        conv.append((v6, vlan, c, s, proto, 40000 + i % 20000,
                     [53, 80, 443, 123, 8080][i % 5]))
    pkts = []
    for b in range(bins if flows else 0):       # FLOWS 0: no packets
        for idx in rnd.sample(range(flows), max(1, flows * 2 // 3)):
            v6, vlan, c, s, proto, sp, dp = conv[idx]
            for k in range(rnd.randint(1, 4)):
                t = start + b * interval + rnd.uniform(0.5, interval - 0.5)
                if rnd.random() < 0.6:
                    f = frame(v6, vlan, c, s, proto, sp, dp, rnd.randint(0, 400))
                    flags = 1           # inbound: received
                else:
                    f = frame(v6, vlan, s, c, proto, dp, sp, rnd.randint(0, 400))
                    flags = 2           # outbound: sent
                pkts.append((t, f, flags))
    pkts.sort(key=lambda p: p[0])
    with open(out, 'wb') as o:
        o.write(block(0x0A0D0D0A, struct.pack('<IHHq', 0x1A2B3C4D, 1, 0, -1)))
        o.write(block(1, struct.pack('<HHI', 1, 0, 65535)))
        for t, f, flags in pkts:
            us = int(t * 1e6)
            opt = struct.pack('<HHI', 2, 4, flags) + b'\0' * 4
            pad = (-len(f)) % 4
            body = struct.pack('<IIIII', 0, us >> 32, us & 0xffffffff,
                               len(f), len(f)) + f + b'\0' * pad + opt
            o.write(block(6, body))


main()
