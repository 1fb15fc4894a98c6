#!/usr/bin/env python3
"""fleet_gen.py - a pcap capture of one host of the fleet test.

usage: fleet_gen.py OUT.pcap HOST START

HOST (a number) decides the traffic, START (Unix time) its first second:
every host has TCP conversations from 10.1.HOST.K to 10.9.9.9:443 (sizes
depending on HOST and K), the same DNS conversation 10.8.8.8 ->
10.9.9.9:53 (identical attributes on every host, told apart by the host
label only), and every third host an SSH conversation from
211.154.236.12 (the question of goProbe's talk: "has it touched any of
our sites over SSH?").  Timestamps lie within a few minutes of START.
What the rows are is the store's business: the test compares the fleet's
answer with each host's own.
"""
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(s):
    return bytes(int(x) for x in s.split('.'))


def frame(src, dst, proto, sport, dport, payload):
    if proto == 6:
        l4 = struct.pack('!HHIIBBHHH', sport, dport, 1, 0, 5 << 4, 0x18,
                         65535, 0, 0)
    else:
        l4 = struct.pack('!HHHH', sport, dport, 8 + payload, 0)
    l4 += b'x' * payload
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), 0, 0, 64,
                      proto, 0, ip4(src), ip4(dst))
    ip = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
    return b'\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00' + ip + l4


def main():
    out, host, start = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    pkts = []   # (time, frame)
    t = float(start)

    def conv(src, dst, proto, sport, dport, n, size):
        nonlocal t
        for i in range(n):
            t += 0.01
            if i % 2 == 0:
                pkts.append((t, frame(src, dst, proto, sport, dport, size)))
            else:
                pkts.append((t, frame(dst, src, proto, dport, sport,
                                      size // 2)))

    for k in range(1, 6):
        conv('10.1.%d.%d' % (host, k), '10.9.9.9', 6, 40000 + k, 443,
             2 + (host * 7 + k * 3) % 11, 100 + 37 * host + 13 * k)
    conv('10.8.8.8', '10.9.9.9', 17, 5353, 53, 4, 60)
    if host % 3 == 0:
        conv('211.154.236.12', '10.1.%d.1' % host, 6, 51000 + host, 22,
             3 + host, 200)
    with open(out, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for ts, fr in pkts:
            sec = int(ts)
            usec = int(round((ts - sec) * 1e6))
            if usec >= 1000000:
                sec, usec = sec + 1, usec - 1000000
            f.write(struct.pack('<IIII', sec, usec, len(fr), len(fr)))
            f.write(fr)


if __name__ == '__main__':
    main()
