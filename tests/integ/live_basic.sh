#!/bin/bash
# live_basic.sh - record a veth end in a namespace while known traffic
# crosses it, stop with SIGTERM, and check every row and counter.
#
# Traffic: (1) the IPv4 stack's own: a TCP connection each way, UDP
# request/reply, ICMP echo; received packets and bytes are checked against
# the namespace's IP counters (/proc/net/snmp InReceives, InOctets), sent
# ones against a second packet socket (python) that counts outgoing IPv4
# frames and their IP total lengths (the IP counters miss the ACKs that
# TCP sends from its control socket).  (2) frames injected
# with tests/livesend: IPv6, VLAN tags (stripped 802.1Q, 802.1ad+802.1Q,
# 0x9100 kept in the frame), IPv4 fragments, PPPoE, MPLS, ICMP, and ARP
# that the kernel filter must drop; checked row by row.
. "${top_srcdir:-.}/tests/integ/live_lib.sh"

mk_pair
start_fr $NSB -i $IFB --db "$T/db" --interval 300
wait_log "$IFB: recording"
before=$(snmp $NSB)
cat >"$T/sniff.py" <<'PY'
import os, socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind((sys.argv[1], 0)); s.settimeout(0.05)
print("ready", flush=True)
n = b = 0
stop = False
while True:
    try:
        d, a = s.recvfrom(65536)
    except socket.timeout:
        if stop: break
        stop = os.path.exists(sys.argv[2])
        continue
    if a[2] == socket.PACKET_OUTGOING and d[12:14] == b"\x08\x00":
        n += 1; b += struct.unpack("!H", d[16:18])[0]
print(n, b)
PY
ip netns exec $NSB python3 "$T/sniff.py" $IFB "$T/sniff.stop" >"$T/sniff" &
SN=$!
wait_for 10 grep -q ready "$T/sniff" || fail "sniffer"

# --- (1) the stack's traffic ------------------------------------------------
cat >"$T/srv.py" <<'PY'
import socket, sys, threading
host, tport, uport, nin, nout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((host, tport)); t.listen(1)
if uport:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((host, uport))
print("ready", flush=True)
c, _ = t.accept()
got = 0
while got < nin:
    d = c.recv(65536)
    if not d: break
    got += len(d)
c.sendall(b"s" * nout); c.shutdown(socket.SHUT_WR)
while c.recv(65536): pass
c.close()
if uport:
    for i in range(10):
        d, a = u.recvfrom(2048); u.sendto(d, a)
PY
cat >"$T/cli.py" <<'PY'
import socket, sys
host, tport, uport, nout, nin = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
c = socket.create_connection((host, tport))
c.sendall(b"c" * nout)
got = 0
while got < nin:
    d = c.recv(65536)
    if not d: break
    got += len(d)
c.shutdown(socket.SHUT_WR)
while c.recv(65536): pass
c.close()
if uport:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(10):
        u.sendto(b"u" * 100, (host, uport)); u.recvfrom(2048)
PY
cat >"$T/ping.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(5)
def csum(b):
    if len(b) % 2: b += b"\0"
    n = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    n = (n >> 16) + (n & 0xffff); n += n >> 16
    return ~n & 0xffff
for seq in range(3):
    h = struct.pack("!BBHHH", 8, 0, 0, 0x4242, seq) + b"p" * 56
    h = h[:2] + struct.pack("!H", csum(h)) + h[4:]
    s.sendto(h, (sys.argv[1], 0))
    while True:
        d = s.recv(2048)
        if d[20] == 0 and struct.unpack("!H", d[24:26])[0] == 0x4242: break
PY
ip netns exec $NSB python3 "$T/srv.py" 10.200.0.2 8080 5353 5000 3000 >"$T/srvB" 2>&1 &
SB=$!
ip netns exec $NSA python3 "$T/srv.py" 10.200.0.1 8081 0 2000 1000 >"$T/srvA" 2>&1 &
SA=$!
wait_for 10 grep -q ready "$T/srvB" || fail "server B"
wait_for 10 grep -q ready "$T/srvA" || fail "server A"
ip netns exec $NSA python3 "$T/cli.py" 10.200.0.2 8080 5353 5000 3000 || fail "client A"
ip netns exec $NSB python3 "$T/cli.py" 10.200.0.1 8081 0 2000 1000 || fail "client B"
ip netns exec $NSA python3 "$T/ping.py" 10.200.0.2 || fail "ping"
wait $SB $SA || fail "servers"
# Until every TCP socket is closed or in TIME-WAIT, FINs may still fly.
settled() {
	! ip netns exec $NSA ss -tanH | grep -vqE 'TIME-WAIT|LISTEN' &&
	! ip netns exec $NSB ss -tanH | grep -vqE 'TIME-WAIT|LISTEN'
}
wait_for 10 settled || fail "TCP did not settle"
after=$(snmp $NSB)
touch "$T/sniff.stop"
wait $SN
read -r sn_pkts sn_bytes <<EOF2
$(tail -n 1 "$T/sniff")
EOF2

# --- (2) injected frames -----------------------------------------------------
cat >"$T/spec" <<'SPEC'
4 6 17 2001:db8::1 2001:db8::2 1234 53 payload=20
2 6 6 2001:db8::3 2001:db8::4 40000 443 flags=0x02
3 4 17 198.51.100.1 198.51.100.2 5000 53 payload=10 vlans=100
2 4 6 198.51.100.3 198.51.100.4 40001 80 flags=0x02 vlans=300,400 tpid=0x88a8
2 4 17 198.51.100.7 198.51.100.8 40002 123 payload=4 vlans=500 tpid=0x9100
1 4 17 198.51.100.5 198.51.100.6 6000 7000 id=77 mf=1 payload=24
1 4 17 198.51.100.5 198.51.100.6 6000 7000 id=77 off=4 payload=16
3 4 6 198.51.100.9 198.51.100.10 40003 8443 flags=0x02 encap=pppoe
2 6 17 2001:db8::9 2001:db8::a 40004 4789 payload=8 encap=mpls
1 4 1 198.51.100.11 198.51.100.12 0 0 icmp=8
arp 5
SPEC
ip netns exec $NSA "$LIVESEND" $IFA <"$T/spec" >"$T/sent" || fail "livesend"
grep -q "sent=26" "$T/sent" || fail "livesend sent $(cat "$T/sent")"
stop_fr TERM
pass "SIGTERM: exit status 0"

# --- checks ------------------------------------------------------------------
rows "$T/db" $IFB >"$T/rows"
cat >"$T/want" <<'WANT'
198.51.100.1,198.51.100.2,53,17,100,114,0,3,0
198.51.100.11,198.51.100.12,0,1,0,28,0,1,0
198.51.100.3,198.51.100.4,80,6,300,80,0,2,0
198.51.100.6,198.51.100.5,6000,17,0,88,0,2,0
198.51.100.7,198.51.100.8,123,17,500,64,0,2,0
198.51.100.9,198.51.100.10,8443,6,0,120,0,3,0
2001:db8::1,2001:db8::2,53,17,0,272,0,4,0
2001:db8::3,2001:db8::4,443,6,0,120,0,2,0
2001:db8::9,2001:db8::a,4789,17,0,112,0,2,0
WANT
grep -v '^10\.200\.' "$T/rows" >"$T/got"
sort -o "$T/want" "$T/want"
diff -u "$T/want" "$T/got" || fail "injected frames: rows differ"
pass "injected frames: 9 rows exact (IPv6, VLAN 802.1Q/802.1ad/0x9100, fragments, PPPoE, MPLS, ICMP)"

# The stack's traffic: same packets and bytes as the kernel's IP counters.
set -- $before; b_in=$1 b_out=$2 b_ino=$3 b_outo=$4
set -- $after; a_in=$1 a_out=$2 a_ino=$3 a_outo=$4
grep '^10\.200\.' "$T/rows" >"$T/stack"
read -r br bs pr ps <<EOF2
$(awk -F, '{ a += $6; b += $7; c += $8; d += $9 } END { print a+0, b+0, c+0, d+0 }' "$T/stack")
EOF2
[ "$pr" = $((a_in - b_in)) ] || fail "pkts_rcvd $pr != InReceives $((a_in - b_in))"
[ "$ps" = "$sn_pkts" ] || fail "pkts_sent $ps != $sn_pkts seen going out"
[ "$br" = $((a_ino - b_ino)) ] || fail "bytes_rcvd $br != InOctets $((a_ino - b_ino))"
[ "$bs" = "$sn_bytes" ] || fail "bytes_sent $bs != $sn_bytes seen going out"
pass "stack traffic: $pr packets / $br bytes received (= IP counters), $ps / $bs sent (= a second packet socket)"

row() { grep -E "^$1(,|\$)" "$T/stack" || echo "missing,,,,,0,0,0,0"; }
r=$(row 10.200.0.1,10.200.0.2,8080,6,0); set -- ${r//,/ }
[ "$8" -ge 5 ] && [ "$9" -ge 4 ] && [ "$6" -ge 5200 ] && [ "$7" -ge 3200 ] ||
	fail "TCP A->B row $r"
r=$(row 10.200.0.2,10.200.0.1,8081,6,0); set -- ${r//,/ }
[ "$8" -ge 4 ] && [ "$9" -ge 5 ] && [ "$6" -ge 1200 ] && [ "$7" -ge 2200 ] ||
	fail "TCP B->A row $r"
grep -qx 10.200.0.1,10.200.0.2,5353,17,0,1280,1280,10,10 "$T/stack" ||
	fail "UDP row: $(cat "$T/stack")"
grep -qx 10.200.0.1,10.200.0.2,0,1,0,252,252,3,3 "$T/stack" ||
	fail "ICMP echo row: $(cat "$T/stack")"
[ "$(wc -l <"$T/stack")" = 4 ] || fail "stack rows: $(cat "$T/stack")"
pass "TCP both ways (client/server, received/sent), UDP and ICMP echo rows"

# Counters: nothing dropped, the filter passed only IP, all of it walked.
kp=$(exitline $IFB kernel_packets); kd=$(exitline $IFB kernel_drops)
[ -n "$kp" ] && [ "$kd" = 0 ] || fail "exit line: $(cat "$T/fr.out")"
[ "$(binsum "$T/db" $IFB packets)" = "$kp" ] || fail "bins.packets != kernel_packets $kp"
[ "$(binsum "$T/db" $IFB kernel_packets)" = "$kp" ] || fail "bins.kernel_packets != $kp"
[ "$(binsum "$T/db" $IFB kernel_drops)" = 0 ] || fail "bins.kernel_drops"
[ "$(binsum "$T/db" $IFB non_ip)" = 0 ] || fail "non-IP frames passed the filter"
[ "$(binsum "$T/db" $IFB malformed)" = 0 ] || fail "malformed frames"
[ "$(binsum "$T/db" $IFB ip)" = $((pr + ps + 21)) ] || fail "bins.ip $(binsum "$T/db" $IFB ip) != $((pr + ps + 21))"
pass "counters: kernel_packets=$kp = bins.packets = ip, 0 drops, ARP filtered out"
exit 0
