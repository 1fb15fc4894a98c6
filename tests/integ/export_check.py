#!/usr/bin/env python3
"""export_check.py - compare what a destination holds with the store.

usage: export_check.py KIND FILE DBDIR IFACE INTERVAL [DUPS]

KIND is what FILE holds:
  nfdump      `nfdump -o csv` output (TZ=UTC)
  nfacctd     pmacct's print plugin, JSON lines, aggregated by tag (1
              ingress, 2 egress by a pre_tag_map on flowDirection),
              src_host, dst_host, dst_port, proto, vlan, timestamp_start,
              timestamp_end
  ipfixtcp    the JSON lines tests/integ/export_tcp.py writes
  clickhouse  TabSeparated rows of SELECT toUInt32(ts), sip, dip, dport,
              proto, vlan, bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent

KIND count prints the number of IPFIX records the store makes (FILE is
ignored).  The store's side: every row of every day file of IFACE (a
comma-separated list: their rows together).  IPFIX kinds are
compared per (bin, key, direction): packets and bytes, flowEnd = bin
start + INTERVAL, and both VLAN fields.  DUPS (ipfix kinds) allows that
many bins to have been received more than once (a bin in flight when a
connection was reset); every other bin must be exact.  With
EXPORT_SENT=NAME in the environment only the bins that DBDIR/export.db
records as sent to the destination NAME are compared (a live store whose
last bin is still open).  Prints what differs and exits 1, or prints a
summary and exits 0.
"""
import calendar
import collections
import csv
import glob
import ipaddress
import json
import os
import sqlite3
import sys
import time

PROTO = {'ICMP': 1, 'TCP': 6, 'UDP': 17, 'ICMP6': 58, 'IPv6-ICMP': 58,
         'icmp': 1, 'tcp': 6, 'udp': 17, 'ipv6-icmp': 58}


def addr(s):
    return str(ipaddress.ip_address(s.strip()))


def proto(s):
    s = s.strip()
    return int(s) if s.isdigit() else PROTO[s]


def utc(s):
    s = s.strip().split('.')[0]
    return calendar.timegm(time.strptime(s, '%Y-%m-%d %H:%M:%S'))


def store_rows(dbdir, ifaces):
    rows = []
    files = []
    for iface in ifaces.split(','):
        files += glob.glob('%s/%s/%s-*.db' % (dbdir, iface, iface))
    for f in sorted(files):
        db = sqlite3.connect('file:%s?mode=ro' % f, uri=True)
        rows += db.execute('SELECT ts, sip, dip, dport, proto, vlan, '
                           'bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent '
                           'FROM flows').fetchall()
        db.close()
    return rows


def store_dirs(rows):
    out = {}
    for ts, sip, dip, dport, pr, vlan, br, bs, pkr, pks in rows:
        key = (ts, addr(sip), addr(dip), dport, pr, vlan)
        if pkr or br:
            out[key + (0,)] = (pkr, br)
        if pks or bs:
            out[key + (1,)] = (pks, bs)
    return out


def got_nfdump(path, interval, bad):
    out = collections.defaultdict(lambda: [0, 0])
    with open(path) as f:
        lines = []
        for line in f:
            if line.startswith('Summary'):
                break       # then the totals, in columns of their own
            lines.append(line)
    for r in csv.DictReader(lines):
        ts, te = utc(r['ts']), utc(r['te'])
        if te - ts != interval:
            bad.append('flow end %s is not bin start + %d: %s'
                       % (r['te'], interval, r))
        if r['svln'] != r['dvln']:
            bad.append('vlanId %s != postVlanId %s' % (r['svln'],
                                                      r['dvln']))
        key = (ts, addr(r['sa']), addr(r['da']), int(r['dp']),
               proto(r['pr']), int(r['svln']), int(r['dir']))
        out[key][0] += int(r['ipkt'])
        out[key][1] += int(r['ibyt'])
        if int(r['sp']) != 0:
            bad.append('a source port: %s' % r)
    return out


def got_nfacctd(path, interval, bad):
    out = collections.defaultdict(lambda: [0, 0])
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            ts = utc(r['timestamp_start'])
            if utc(r['timestamp_end']) - ts != interval:
                bad.append('timestamp_end is not bin start + %d: %s'
                           % (interval, r))
            key = (ts, addr(r['ip_src']), addr(r['ip_dst']), r['port_dst'],
                   proto(str(r['ip_proto'])), r['vlan'], r['tag'] - 1)
            out[key][0] += r['packets']
            out[key][1] += r['bytes']
    return out


def got_ipfixtcp(path, interval, bad):
    out = collections.defaultdict(lambda: [0, 0])
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r['end'] - r['start'] != interval * 1000:
                bad.append('flowEnd is not flowStart + %d s: %s'
                           % (interval, r))
            if r['vlan'] != r['postvlan']:
                bad.append('vlanId != postVlanId: %s' % r)
            key = (r['start'] // 1000, addr(r['sip']), addr(r['dip']),
                   r['dport'], r['proto'], r['vlan'], r['dir'])
            out[key][0] += r['packets']
            out[key][1] += r['octets']
    return out


def check_ipfix(kind, path, rows, interval, dups):
    bad = []
    got = {'nfdump': got_nfdump, 'nfacctd': got_nfacctd,
           'ipfixtcp': got_ipfixtcp}[kind](path, interval, bad)
    want = store_dirs(rows)
    over = set()
    for k, v in want.items():
        g = tuple(got.get(k, (0, 0)))
        if g == v:
            continue
        if v[0] and g[0] >= v[0] and g[1] >= v[1] and g[0] % v[0] == 0:
            over.add(k[0])
            continue
        bad.append('%s: store %s, %s %s' % (k, v, kind, g))
    for k, g in got.items():
        if k not in want:
            bad.append('%s: not in the store, %s has %s' % (k, kind, g))
    if len(over) > dups:
        bad.append('%d bins received more than once (%s), %d allowed'
                   % (len(over), sorted(over), dups))
    return bad, '%d records of %d bins, %d rows, %d bins twice' % (
        len(want), len({k[0] for k in want}), len(rows), len(over))


def check_clickhouse(path, rows):
    bad = []
    want = collections.Counter(
        (ts, addr(s), addr(d), dp, pr, vl, br, bs, pkr, pks)
        for ts, s, d, dp, pr, vl, br, bs, pkr, pks in rows)
    got = collections.Counter()
    with open(path) as f:
        for line in f:
            v = line.rstrip('\n').split('\t')
            got[(int(v[0]), addr(v[1]), addr(v[2])) +
                tuple(int(x) for x in v[3:10])] += 1
    for k in set(want) | set(got):
        if want[k] != got[k]:
            bad.append('%s: store %d, clickhouse %d' % (k, want[k], got[k]))
    return bad, '%d rows' % sum(got.values())


def main():
    kind, path, dbdir, iface, interval = sys.argv[1:6]
    dups = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    rows = store_rows(dbdir, iface)
    dest = os.environ.get('EXPORT_SENT')
    if dest:
        db = sqlite3.connect('file:%s/export.db?mode=ro' % dbdir, uri=True)
        sent = {ts for (ts,) in db.execute(
            'SELECT ts FROM sent JOIN destinations AS d ON d.id = sent.dest '
            'WHERE d.name = ? AND rows >= 0', (dest,))}
        rows = [r for r in rows if r[0] in sent]
    if not rows:
        print('the store has no rows')
        return 1
    if kind == 'count':
        print(len(store_dirs(rows)))
        return 0
    if kind == 'clickhouse':
        bad, summary = check_clickhouse(path, rows)
    else:
        bad, summary = check_ipfix(kind, path, rows, int(interval), dups)
    for b in bad[:20]:
        print(b)
    if bad:
        print('%d differences' % len(bad))
        return 1
    print(summary)
    return 0


sys.exit(main())
