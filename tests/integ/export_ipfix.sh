#!/bin/bash
# export_ipfix.sh - flowrecd --read -c exports what it stores to real IPFIX
# collectors: nfcapd (nfdump 1.7.1) over UDP, pmacct's nfacctd over UDP to
# ::1, and a TCP collector (export_tcp.py) that resets the first
# connection mid-stream.  Per bin, key and direction, the packets and
# bytes each holds equal the store's (nfdump -o csv; nfacctd's print
# plugin, JSON), with the bin's start and end as flow times, the VLAN in
# vlanId and postVlanId, IPv6 rows too; tshark decodes every message
# without an expert warning.  A second --read of another capture into the
# same store sends only the new bins; a collector added later starts with
# the bins stored after it, unless backfill: true.
. "${top_srcdir:-.}/tests/integ/lib.sh"
. "$top_srcdir/tests/integ/export_lib.sh"
trap 'ex_cleanup; rm -rf "$TEST_TMP"' EXIT
T=$TEST_TMP
CHECK=$top_srcdir/tests/integ/export_check.py
GEN=$top_srcdir/tests/integ/export_gen.py

python3 "$GEN" "$T/a.pcapng" 3000 4 60 1700000040 1
python3 "$GEN" "$T/b.pcapng" 500 2 60 1700003640 2

P_NF=$(ex_port); P_NA=$(ex_port); P_TCP=$(ex_port)
nfcapd_start $P_NF "$T/nf" || fail "nfcapd did not start: $(cat "$T/nf.log")"
nfacctd_start $P_NA "$T/na" ::1 || fail "nfacctd did not start on ::1"
tcpcoll_start $P_TCP "$T/tcp.json" 3 || fail "the TCP collector did not start"
have_tshark=0
if [ "$(id -u)" = 0 ]; then
	tshark_start "$P_NF or port $P_NA or port $P_TCP" "$T/cap.pcap" &&
		have_tshark=1 || fail "tshark did not start: $(cat "$T/cap.pcap.log")"
fi

cat >"$T/conf.yaml" <<EOF
db_path: $T/db
interval: 60
export:
  ipfix:
    collectors: ["udp://127.0.0.1:$P_NF", "udp://[::1]:$P_NA", "tcp://127.0.0.1:$P_TCP"]
    rate: 5000
    retry_max: 1
EOF
"$FLOWRECD" --read "$T/a.pcapng" --iface ex0 -c "$T/conf.yaml" >"$T/out" 2>"$T/err" ||
	fail "flowrecd --read -c: $(cat "$T/err")"
grep -q "^flowrecd: export ipfix udp://127.0.0.1:$P_NF: bins=4 rows=8000 .*pending=0$" "$T/err" &&
    grep -q "^flowrecd: export ipfix udp://\[::1\]:$P_NA: bins=4 rows=8000 .*pending=0$" "$T/err" &&
    grep -q "^flowrecd: export ipfix tcp://127.0.0.1:$P_TCP: bins=4 rows=8000 .*pending=0$" "$T/err" &&
	pass "--read -c: 4 bins, 8000 rows to each of three collectors" ||
	fail "--read -c summary: $(cat "$T/err")"
grep -q "Connection reset by peer" "$T/err" && grep -q "sending again" "$T/err" &&
	[ "$(cat "$T/tcp.json.conns")" = 2 ] &&
	pass "the TCP collector reset the first connection; a second one finished" ||
	fail "TCP reset: conns=$(cat "$T/tcp.json.conns" 2>/dev/null) $(cat "$T/err")"

# Every record the store has: wait until the collectors have read them.
want=$(python3 "$CHECK" count - "$T/db" ex0 60)
[ -n "$want" ] && [ "$want" -gt 8000 ] || fail "cannot count the store's records ($want)"
lines() { cat "$1" 2>/dev/null | wc -l; }
ex_wait 30 sh -c "[ \$(cat '$T/na/flows.json' 2>/dev/null | wc -l) -ge $want ]" ||
	fail "nfacctd has $(lines "$T/na/flows.json") of $want records"
ex_wait 30 sh -c "[ \$(cat '$T/tcp.json' 2>/dev/null | wc -l) -ge $want ]" ||
	fail "the TCP collector has $(lines "$T/tcp.json") of $want records"

nfcapd_csv "$T/nf" "$T/nf.csv"
r=$(python3 "$CHECK" nfdump "$T/nf.csv" "$T/db" ex0 60) &&
	pass "nfdump -o csv equals the store: $r" || fail "nfdump: $r"
grep -q ',2001:db8::' "$T/nf.csv" && grep -q ',101,101,' "$T/nf.csv" &&
	pass "nfdump has the IPv6 rows and vlanId = postVlanId = the VLAN" ||
	fail "no IPv6 or VLAN rows in nfdump's output"
r=$(python3 "$CHECK" nfacctd "$T/na/flows.json" "$T/db" ex0 60) &&
	pass "nfacctd (print plugin, JSON, over ::1) equals the store: $r" ||
	fail "nfacctd: $r"
r=$(python3 "$CHECK" ipfixtcp "$T/tcp.json" "$T/db" ex0 60 1) &&
	pass "TCP collector equals the store, at most the bin in flight twice: $r" ||
	fail "TCP collector: $r"
[ ! -s "$T/tcp.json.errors" ] &&
	pass "TCP: templates before data on each connection, sequence numbers right" ||
	fail "TCP collector saw: $(head -5 "$T/tcp.json.errors")"

if [ $have_tshark = 1 ]; then
	ex_stop $TSHARK_PID
	tshark -r "$T/cap.pcap" -d udp.port==$P_NF,cflow -d udp.port==$P_NA,cflow \
		-d tcp.port==$P_TCP,cflow -Y cflow -T fields -e frame.number \
		-e cflow.version -e _ws.expert.message >"$T/ts.txt" 2>"$T/ts.err"
	msgs=$(sed -n "s/.*ipfix udp:.* messages=\([0-9]*\) .*/\1/p" "$T/err" | awk '{ s += $1 } END { print s }')
	frames=$(awk -F'\t' '$2 ~ /^10(,10)*$/' "$T/ts.txt" | wc -l)
	warn=$(awk -F'\t' '$3 != ""' "$T/ts.txt" | head -3)
	[ -z "$warn" ] && [ "$frames" -ge "$msgs" ] && [ "$msgs" -gt 0 ] &&
		pass "tshark decodes all $frames frames (UDP: $msgs messages sent) without an expert warning" ||
		fail "tshark: $frames frames for $msgs messages; $warn"
else
	pass "# SKIP tshark needs root to capture"
fi

# A second capture: only its own bins go, to every collector.
nfcapd_start $P_NF "$T/nf2" || fail "nfcapd did not start again"
"$FLOWRECD" --read "$T/b.pcapng" --iface ex0 -c "$T/conf.yaml" >"$T/out" 2>"$T/err" ||
	fail "second --read: $(cat "$T/err")"
grep -q "^flowrecd: export ipfix udp://127.0.0.1:$P_NF: bins=2 .*pending=0$" "$T/err" &&
	pass "a second --read sends its 2 new bins only" ||
	fail "second --read: $(cat "$T/err")"
nfcapd_csv "$T/nf2" "$T/nf2.csv"
n=$(TZ=UTC awk -F, 'NR > 1 && $1 ~ /^2023-11-14 23:/' "$T/nf2.csv" | wc -l)
o=$(TZ=UTC awk -F, 'NR > 1 && $1 ~ /^2023-11-14 22:/' "$T/nf2.csv" | wc -l)
[ "$n" -gt 0 ] && [ "$o" = 0 ] &&
	pass "nfcapd got $n records of the new bins, none of the old" ||
	fail "second --read: $n new, $o old records"

# Collectors added later: the stored bins only with backfill: true.
P_NF3=$(ex_port); P_NF4=$(ex_port)
sed "s|collectors: .*|collectors: [\"udp://127.0.0.1:$P_NF3\"]|" \
	"$T/conf.yaml" >"$T/conf3.yaml"
nfcapd_start $P_NF3 "$T/nf3" || fail "nfcapd did not start on $P_NF3"
python3 "$GEN" "$T/c.pcapng" 10 1 60 1700007240 3
"$FLOWRECD" --read "$T/c.pcapng" --iface ex1 -c "$T/conf3.yaml" >"$T/out" 2>"$T/err" ||
	fail "third --read: $(cat "$T/err")"
nfcapd_csv "$T/nf3" "$T/nf3.csv"
grep -q "^flowrecd: export ipfix udp://127.0.0.1:$P_NF3: bins=1 .*pending=0$" "$T/err" &&
	[ "$(awk -F, 'NR > 1 && /^2023/ { print substr($1, 1, 16) }' "$T/nf3.csv" | sort -u)" = "2023-11-15 00:14" ] &&
	pass "a collector added without backfill gets only the bin written after it" ||
	fail "no backfill: $(cat "$T/err"; cut -c1-20 "$T/nf3.csv" | sort -u)"
sed "s|collectors: .*|collectors: [\"udp://127.0.0.1:$P_NF4\"]\n    backfill: true|" \
	"$T/conf.yaml" >"$T/conf4.yaml"
nfcapd_start $P_NF4 "$T/nf4" || fail "nfcapd did not start on $P_NF4"
python3 "$GEN" "$T/d.pcapng" 10 1 60 1700010840 4
"$FLOWRECD" --read "$T/d.pcapng" --iface ex1 -c "$T/conf4.yaml" >"$T/out" 2>"$T/err" ||
	fail "fourth --read: $(cat "$T/err")"
nfcapd_csv "$T/nf4" "$T/nf4.csv"
grep -q "^flowrecd: export ipfix udp://127.0.0.1:$P_NF4: bins=8 .*pending=0$" "$T/err" &&
	pass "a collector added with backfill: true gets every stored bin (8, both interfaces)" ||
	fail "backfill: $(cat "$T/err")"
r=$(python3 "$CHECK" nfdump "$T/nf4.csv" "$T/db" ex0,ex1 60) &&
	pass "and they equal the store's: $r" || fail "backfill: $r"

# An interface filter: a collector for ex1 only (a /regex/), with backfill.
P_NF5=$(ex_port)
sed "s|collectors: .*|collectors: [\"udp://127.0.0.1:$P_NF5\"]\n    backfill: true\n    interfaces: [\"/^ex1\$/\"]|" \
	"$T/conf.yaml" >"$T/conf5.yaml"
nfcapd_start $P_NF5 "$T/nf5" || fail "nfcapd did not start on $P_NF5"
python3 "$GEN" "$T/f.pcapng" 10 1 60 1700014440 5
"$FLOWRECD" --read "$T/f.pcapng" --iface ex1 -c "$T/conf5.yaml" >"$T/out" 2>"$T/err" ||
	fail "fifth --read: $(cat "$T/err")"
nfcapd_csv "$T/nf5" "$T/nf5.csv"
r=$(python3 "$CHECK" nfdump "$T/nf5.csv" "$T/db" ex1 60) &&
	grep -q "^flowrecd: export ipfix udp://127.0.0.1:$P_NF5: bins=3 .*pending=0$" "$T/err" &&
	pass "interfaces: [/^ex1\$/]: ex1's 3 bins only, equal to the store: $r" ||
	fail "interface filter: $r $(cat "$T/err")"
done_testing
