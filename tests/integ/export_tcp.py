#!/usr/bin/env python3
"""export_tcp.py - an IPFIX collector over TCP for the export tests.

usage: export_tcp.py PORT OUT [RESET_AFTER]

Listens on 127.0.0.1:PORT (writes OUT.ready once it does), decodes each
message with the templates its connection sent (RFC 7011: templates are
per session and observation domain), and appends every data record to
OUT as a JSON line.  It checks what a collector relies on and writes
each breach to OUT.errors: version 10, lengths that add up, data only
after its template, sequence numbers that count the data records of the
connection and domain.  With RESET_AFTER, the first connection is reset
(RST, SO_LINGER 0) after that many messages: an exporter must reconnect,
send its templates again and go on.  It reads everything its kernel has
before it resets, as a collector that closes (not one that crashes)
would: what TCP acknowledged is what it read.  Stops on SIGTERM.
"""
import ipaddress
import json
import signal
import socket
import struct
import sys

port, out = int(sys.argv[1]), sys.argv[2]
reset_after = int(sys.argv[3]) if len(sys.argv) > 3 else 0
FIELDS = {8: 'sip', 27: 'sip', 12: 'dip', 28: 'dip', 11: 'dport', 4: 'proto',
          58: 'vlan', 59: 'postvlan', 61: 'dir', 1: 'octets', 2: 'packets',
          152: 'start', 153: 'end'}


def stop(*_):
    sys.exit(0)


def messages(conn, nconn, errs):
    """Yield whole messages; after a reset is due, only what is there."""
    buf = b''
    while True:
        while len(buf) >= 16:
            ver, length = struct.unpack('!HH', buf[:4])
            if ver != 10 or length < 16:
                errs.write('conn %d: bad header %r\n' % (nconn, buf[:16]))
                return
            if len(buf) < length:
                break
            msg, buf = buf[:length], buf[length:]
            yield msg
        try:
            chunk = conn.recv(1 << 16)
        except BlockingIOError:
            return          # all there was, read
        if not chunk:
            if buf:
                errs.write('conn %d: message cut short\n' % nconn)
            return
        buf += chunk


def serve(conn, recs, errs, nconn):
    templates = {}
    seq = {}
    msgs = 0
    for msg in messages(conn, nconn, errs):
        _v, _l, _t, sq, dom = struct.unpack('!HHIII', msg[:16])
        body = msg[16:]
        msgs += 1
        if sq != seq.get(dom, 0):
            errs.write('conn %d domain %d: sequence %d, want %d\n'
                       % (nconn, dom, sq, seq.get(dom, 0)))
        off = 0
        while off < len(body):
            sid, slen = struct.unpack('!HH', body[off:off + 4])
            if slen < 4 or off + slen > len(body):
                errs.write('conn %d: bad set length\n' % nconn)
                return
            end, off = off + slen, off + 4
            if sid == 2:
                while off + 4 <= end:
                    tid, n = struct.unpack('!HH', body[off:off + 4])
                    off += 4
                    f = [struct.unpack('!HH', body[off + 4 * i:off + 4 * i + 4])
                         for i in range(n)]
                    off += 4 * n
                    templates[(dom, tid)] = f
            elif (dom, sid) in templates:
                f = templates[(dom, sid)]
                rlen = sum(x[1] for x in f)
                while off + rlen <= end:
                    r = {'domain': dom}
                    for ie, ln in f:
                        v = body[off:off + ln]
                        off += ln
                        if ie in (8, 12, 27, 28):
                            r[FIELDS[ie]] = str(ipaddress.ip_address(v))
                        else:
                            r[FIELDS[ie]] = int.from_bytes(v, 'big')
                    recs.write(json.dumps(r) + '\n')
                    seq[dom] = seq.get(dom, 0) + 1
            else:
                errs.write('conn %d: data set %d before its template\n'
                           % (nconn, sid))
            if off != end:
                errs.write('conn %d: set of %d bytes, %d used\n'
                           % (nconn, slen, slen - (end - off)))
            off = end
        recs.flush()
        if reset_after and nconn == 1 and msgs == reset_after:
            conn.setblocking(False)     # read what is there, then reset
        if reset_after and nconn == 1 and msgs >= reset_after:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack('ii', 1, 0))


def main():
    signal.signal(signal.SIGTERM, stop)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', port))
    ls.listen(4)
    ls.settimeout(0.2)
    open(out + '.ready', 'w').close()
    nconn = 0
    with open(out, 'a') as recs, open(out + '.errors', 'a') as errs:
        while True:
            try:
                conn, _ = ls.accept()
            except socket.timeout:
                continue
            except InterruptedError:
                continue
            nconn += 1
            conn.settimeout(None)
            try:
                serve(conn, recs, errs, nconn)
            except (ConnectionError, OSError):
                pass
            conn.close()
            with open(out + '.conns', 'w') as c:
                c.write('%d\n' % nconn)


main()
