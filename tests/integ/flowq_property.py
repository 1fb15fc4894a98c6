#!/usr/bin/env python3
"""flowq_property.py - random conditions and queries: flowq against an
independent evaluation over the oracle's CSVs.

Records every capture of ../shared/pcaps/dev with flowrecd --read into a
store of three interfaces (capture i goes to dev<i % 3>), then runs random
queries (attributes, direction mode, interfaces, time window, resolution,
and a random condition in random spellings, with brackets, negations and
a dir filter) through `flowq -e csv -n 0` and compares the rows with what
this script computes from the <capture>.flows.csv files of the oracle.
A third of the queries also run with -n 5 and must return the first five
rows in flowq's documented order (counter, other counter, then the key;
with time: time order, ascending).

usage: flowq_property.py FLOWQ FLOWRECD DEVDIR TMPDIR [SEED [N]]
Prints TAP; exit 0 when every query agreed.
"""
import csv
import ipaddress
import os
import random
import socket
import subprocess
import sys

ATTRS = ["time", "iface", "sip", "dip", "dport", "proto", "vlan"]
INTERVAL = 300


def addr_bytes(text):
    return ipaddress.ip_address(text).packed


def load(devdir, flowrecd, db):
    caps = sorted(f for f in os.listdir(devdir)
                  if f.endswith(".pcap") or f.endswith(".pcapng"))
    rows = {}
    for i, cap in enumerate(caps):
        iface = "dev%d" % (i % 3)
        subprocess.run([flowrecd, "--read", os.path.join(devdir, cap),
                        "--iface", iface, "--db", db, "--no-progress"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        path = os.path.join(devdir, cap + ".flows.csv")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for r in csv.DictReader(f):
                key = (iface, int(r["ts"]), addr_bytes(r["sip"]),
                       addr_bytes(r["dip"]), int(r["dport"]),
                       int(r["proto"]), int(r["vlan"]))
                c = rows.setdefault(key, [0, 0, 0, 0])
                c[0] += int(r["bytes_rcvd"])
                c[1] += int(r["bytes_sent"])
                c[2] += int(r["pkts_rcvd"])
                c[3] += int(r["pkts_sent"])
    return rows


OPS = {
    "=": ["=", "==", "===", "eq", "-eq", "equals"],
    "!=": ["!=", "neq", "-neq", "ne", "-ne"],
    "<": ["<", "l", "-l", "lt", "-lt", "less"],
    ">": [">", "g", "-g", "gt", "-gt", "greater"],
    "<=": ["<=", "le", "-le", "leq", "-leq"],
    ">=": [">=", "ge", "-ge", "geq", "-geq"],
}
PROTO_NAMES = {"tcp": 6, "udp": 17, "icmp": 1, "ipv6-icmp": 58, "gre": 47,
               "sctp": 132}


def cmp(op, a, b):
    return {"=": a == b, "!=": a != b, "<": a < b, ">": a > b,
            "<=": a <= b, ">=": a >= b}[op]


def in_net(ip, net):
    return len(ip) == len(net.network_address.packed) and \
        ipaddress.ip_address(ip) in net


class Gen:
    def __init__(self, rnd, rows):
        self.r = rnd
        keys = list(rows)
        self.addrs = sorted({k[2] for k in keys} | {k[3] for k in keys})
        self.ports = sorted({k[4] for k in keys})
        self.vlans = sorted({k[6] for k in keys})

    def spell(self, op):
        return self.r.choice(OPS[op])

    def addr(self):
        if self.r.random() < 0.9:
            return self.r.choice(self.addrs)
        return ipaddress.ip_address(self.r.getrandbits(32)).packed

    def atom(self):
        r = self.r
        kind = r.choice(["sip", "dip", "host", "snet", "dnet", "net",
                         "dport", "proto", "vlan"])
        if kind in ("sip", "dip", "host"):
            op = r.choice(["=", "!="])
            a = self.addr()
            name = {"sip": r.choice(["sip", "src"]),
                    "dip": r.choice(["dip", "dst"]), "host": "host"}[kind]
            text = "%s %s %s" % (name, self.spell(op),
                                 ipaddress.ip_address(a))
            if kind == "sip":
                f = (lambda k, a=a: k[2] == a)
            elif kind == "dip":
                f = (lambda k, a=a: k[3] == a)
            else:
                f = (lambda k, a=a: k[2] == a or k[3] == a)
            return text, (f if op == "=" else (lambda k, f=f: not f(k)))
        if kind in ("snet", "dnet", "net"):
            op = r.choice(["=", "!="])
            a = self.addr()
            bits = len(a) * 8
            plen = r.choice([0, bits // 4, bits // 2, bits - 8, bits,
                             r.randint(0, bits)])
            net = ipaddress.ip_network((ipaddress.ip_address(a), plen),
                                       strict=False)
            text = "%s %s %s/%d" % (kind, self.spell(op),
                                    ipaddress.ip_address(a), plen)
            if kind == "snet":
                f = (lambda k, n=net: in_net(k[2], n))
            elif kind == "dnet":
                f = (lambda k, n=net: in_net(k[3], n))
            else:
                f = (lambda k, n=net: in_net(k[2], n) or in_net(k[3], n))
            return text, (f if op == "=" else (lambda k, f=f: not f(k)))
        op = r.choice(list(OPS))
        if kind == "dport":
            v = r.choice(self.ports) if r.random() < 0.8 else \
                r.randint(0, 65535)
            return ("%s %s %d" % (r.choice(["dport", "port"]),
                                  self.spell(op), v),
                    lambda k, op=op, v=v: cmp(op, k[4], v))
        if kind == "proto":
            name = r.choice(list(PROTO_NAMES))
            v = PROTO_NAMES[name]
            shown = name.upper() if r.random() < 0.3 else \
                (str(v) if r.random() < 0.5 else name)
            return ("%s %s %s" % (r.choice(["proto", "protocol",
                                            "ipproto"]),
                                  self.spell(op), shown),
                    lambda k, op=op, v=v: cmp(op, k[5], v))
        v = r.choice(self.vlans) if r.random() < 0.8 else r.randint(0, 4095)
        return ("vlan %s %d" % (self.spell(op), v),
                lambda k, op=op, v=v: cmp(op, k[6], v))

    def expr(self, depth=0):
        r = self.r
        x = r.random()
        if depth >= 3 or x < 0.35:
            text, f = self.atom()
        elif x < 0.5:
            text, f = self.expr(depth + 1)
            o, c = r.choice([("(", ")"), ("[", "]"), ("{", "}")])
            text = o + text + c
        elif x < 0.6:
            text, g = self.expr(depth + 1)
            o, c = r.choice([("(", ")"), ("[", "]")])
            text = r.choice(["!", "! ", "not "]) + o + text + c
            f = (lambda k, g=g: not g(k))
        else:
            lt, lf = self.expr(depth + 1)
            rt, rf = self.expr(depth + 1)
            # bracket both sides: precedence is tested in test_cond
            lt, rt = "(" + lt + ")", "(" + rt + ")"
            if r.random() < 0.5:
                op = r.choice(["&", "&&", "and", "AND", "*"])
                f = (lambda k, a=lf, b=rf: a(k) and b(k))
            else:
                op = r.choice(["|", "||", "or", "+"])
                f = (lambda k, a=lf, b=rf: a(k) or b(k))
            text = "%s %s %s" % (lt, op, rt)
        return text, f


def dir_ok(d, pr, ps):
    return {None: True, "in": pr > 0 and ps == 0, "out": ps > 0 and pr == 0,
            "uni": (pr > 0) != (ps > 0), "bi": pr > 0 and ps > 0}[d]


def expected(rows, attrs, ifaces, first, last, res, cond, d, mode):
    groups = {}
    for k, c in rows.items():
        if k[0] not in ifaces or not (k[1] + INTERVAL > first and
                                      k[1] <= last):
            continue
        if cond is not None and not cond(k):
            continue
        ts = k[1] - k[1] % res if res else k[1]
        full = {"time": ts, "iface": k[0], "sip": k[2], "dip": k[3],
                "dport": k[4], "proto": k[5], "vlan": k[6]}
        g = tuple(full[a] for a in attrs)
        s = groups.setdefault(g, [0, 0, 0, 0])
        for i in range(4):
            s[i] += c[i]
    out = []
    for g, s in groups.items():
        br, bs, pr, ps = s
        if not dir_ok(d, pr, ps):
            continue
        cnt = {"both": (pr, ps, br, bs), "sum": (pr + ps, br + bs),
               "in": (pr, br), "out": (ps, bs)}[mode]
        out.append((g, cnt, s))
    return out


# goquery's protocol labels (cond.c's table); others come from
# /etc/protocols as flowq prints them, or as numbers.
PROTO_LABELS = {"HOPOPT": 0, "ICMP": 1, "IGMP": 2, "IP-ENCAP": 4, "TCP": 6,
                "EGP": 8, "UDP": 17, "RDP": 27, "DCCP": 33, "IPv6": 41,
                "IPv6-Route": 43, "IPv6-Frag": 44, "RSVP": 46, "GRE": 47,
                "IPSEC-ESP": 50, "IPSEC-AH": 51, "IPv6-ICMP": 58,
                "IPv6-NoNxt": 59, "IPv6-Opts": 60, "EIGRP": 88,
                "OSPFIGP": 89, "PIM": 103, "VRRP": 112, "L2TP": 115,
                "SCTP": 132, "UDPLite": 136, "MPLS-in-IP": 137}


def proto_number(name):
    if name in PROTO_LABELS:
        return PROTO_LABELS[name]
    try:
        return int(name)
    except ValueError:
        return socket.getprotobyname(name)


def parse_csv(text, attrs):
    """goquery's CSV: an optional status line, the header, the rows (as
    many fields as the header), then two-field summary rows."""
    lines = [ln for ln in text.strip().split("\n")
             if not ln.startswith("Status ")]
    recs = list(csv.reader(lines))
    header = recs[0]
    counters = [i for i in range(len(attrs), len(header))
                if header[i] != "%"]
    out = []
    for f in recs[1:]:
        if len(f) != len(header):
            continue
        g = []
        for i, a in enumerate(attrs):
            if a in ("sip", "dip"):
                g.append(addr_bytes(f[i]))
            elif a == "iface":
                g.append(f[i])
            elif a == "proto":
                g.append(proto_number(f[i]))
            else:
                g.append(int(f[i]))
        out.append((tuple(g), tuple(int(f[i]) for i in counters)))
    return out


def order_key(attrs, ifaces_sorted, mode, item):
    g, cnt, s = item
    br, bs, pr, ps = s
    if mode == "in":
        v, w = br, pr
    elif mode == "out":
        v, w = bs, ps
    else:
        v, w = br + bs, pr + ps
    full = dict(zip(attrs, g))
    sip = full.get("sip", b"")
    dip = full.get("dip", b"")
    key = (full.get("time", 0),
           ifaces_sorted.index(full["iface"]) if "iface" in full else 0,
           len(sip), sip.ljust(16, b"\0"), len(dip), dip.ljust(16, b"\0"),
           full.get("dport", 0), full.get("proto", 0), full.get("vlan", 0))
    # goquery: a query with time is in time order, ascending
    if "time" in full:
        return key
    return (-v, -w) + key


def main():
    flowq, flowrecd, devdir, tmp = sys.argv[1:5]
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    n = int(sys.argv[6]) if len(sys.argv) > 6 else 150
    db = os.path.join(tmp, "devstore")
    rows = load(devdir, flowrecd, db)
    rnd = random.Random(seed)
    gen = Gen(rnd, rows)
    all_ifaces = ["dev0", "dev1", "dev2"]
    tss = sorted({k[1] for k in rows})
    env = dict(os.environ, TZ="UTC")
    failed = 0
    t = 0
    print("# %d oracle rows, seed %d" % (len(rows), seed))
    for q in range(n):
        attrs = sorted(rnd.sample(ATTRS, rnd.randint(1, 4)),
                       key=ATTRS.index)
        sel = rnd.choice([all_ifaces, ["dev0"], ["dev1", "dev2"],
                          ["dev2"]])
        if len(sel) > 1 and "iface" not in attrs:
            attrs = sorted(attrs + ["iface"], key=ATTRS.index)
        mode = rnd.choice(["both", "sum", "in", "out"])
        if rnd.random() < 0.7:
            first, last = 0, 4102444800
        else:
            a, b = sorted(rnd.sample(tss, 2))
            first = max(0, a + rnd.randint(-400, 400))
            last = b + rnd.randint(0, 10)
        res = rnd.choice([0, 0, 3600, 86400]) if "time" in attrs else 0
        cond_text, cond = (None, None)
        d = None
        if rnd.random() < 0.85:
            cond_text, cond = gen.expr()
        if rnd.random() < 0.2:
            d = rnd.choice(["in", "out", "uni", "bi"])
            dt = "%s = %s" % (rnd.choice(["dir", "direction"]), d)
            cond_text = dt if cond_text is None else \
                "(%s) & %s" % (cond_text, dt)
        args = [flowq, "-d", db, "-e", "csv", "-n", "0", "-f", str(first),
                "-l", str(last), "-i", ",".join(sel)]
        args += {"both": [], "sum": ["--sum"], "in": ["--in"],
                 "out": ["--out"]}[mode]
        if res:
            args += ["--resolution", str(res)]
        if cond_text is not None:
            args += ["-c", cond_text]
        args.append(",".join(attrs))
        p = subprocess.run(args, capture_output=True, text=True, env=env)
        want = expected(rows, attrs, sel, first, last, res, cond, d, mode)
        t += 1
        if p.returncode != 0:
            print("not ok %d - exit %d: %s\n# %s" %
                  (t, p.returncode, " ".join(args), p.stderr.strip()))
            failed += 1
            continue
        got = sorted(parse_csv(p.stdout, attrs))
        exp = sorted((g, cnt) for g, cnt, s in want)
        if got == exp:
            print("ok %d - %d rows: %s -c '%s'" %
                  (t, len(got), ",".join(attrs), cond_text))
        else:
            failed += 1
            print("not ok %d - %s" % (t, " ".join(repr(a) for a in args)))
            print("# got %d rows, want %d; first differences:" %
                  (len(got), len(exp)))
            for x in [r for r in got if r not in exp][:3]:
                print("#  only flowq: %r" % (x,))
            for x in [r for r in exp if r not in got][:3]:
                print("#  only oracle: %r" % (x,))
            continue
        if q % 3 == 0 and len(want) > 5:
            args[args.index("-n") + 1] = "5"
            p = subprocess.run(args, capture_output=True, text=True,
                               env=env)
            top = sorted(want, key=lambda it: order_key(attrs, sorted(sel),
                                                        mode, it))[:5]
            t += 1
            got5 = parse_csv(p.stdout, attrs)
            if got5 == [(g, cnt) for g, cnt, s in top]:
                print("ok %d - top 5 in order" % t)
            else:
                failed += 1
                print("not ok %d - top 5 order: %s" % (t, " ".join(args)))
                print("# got  %r\n# want %r" %
                      (got5, [(g, cnt) for g, cnt, s in top]))
    print("1..%d" % t)
    if failed:
        print("# %d of %d failed" % (failed, t))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
