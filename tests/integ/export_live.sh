#!/bin/bash
# export_live.sh - the daemon records live traffic while every destination
# fails: an IPFIX/UDP collector that is not there at start, an IPFIX/TCP
# collector that resets the connection, a "ClickHouse" that answers 500
# (a tiny Python server).  Capture is unaffected (no kernel drops, every
# frame counted), the store keeps the backlog; once nfcapd listens and a
# real ClickHouse (Debian's) replaces the failing one, the backlog drains,
# oldest first, and each destination equals the store.  All inside the
# test's network namespaces.
. "${top_srcdir:-.}/tests/integ/live_lib.sh"
. "$top_srcdir/tests/integ/export_lib.sh"
trap 'ex_cleanup; live_cleanup' EXIT
CHECK=$top_srcdir/tests/integ/export_check.py

mk_pair
EX_NS=$NSB
P_UDP=$(ex_port); P_TCP=$(ex_port); P_CH=$(ex_port)
tcpcoll_start $P_TCP "$T/tcp.json" 2 || fail "the TCP collector did not start"
http500_start $P_CH "$T/http500.log" || fail "the HTTP 500 server did not start"

cat >"$T/conf.yaml" <<EOF
db_path: $T/db
interval: 2
interfaces:
  $IFB: {ring: {block_size: 65536, block_count: 64, retire_ms: 20}}
export:
  ipfix:
    collectors: ["udp://127.0.0.1:$P_UDP", "tcp://127.0.0.1:$P_TCP"]
    retry_max: 1
    rate: 0
  clickhouse:
    url: http://127.0.0.1:$P_CH/
    host: livehost
    retry_max: 1
EOF
start_fr $NSB -c "$T/conf.yaml"
wait_log "$IFB: recording"

# Traffic in every bin while the destinations fail: 20 bursts of 400
# frames over 50 flows, a quarter of a second apart.
sent=0
burst() {
	printf '400 4 17 198.51.100.1 198.51.100.2 40000 53 dports=50 payload=64\n' |
		ip netns exec $NSA "$LIVESEND" $IFA >/dev/null || fail "livesend"
	sent=$((sent + 400))
}
for i in $(seq 20); do burst; sleep 0.25; done
wait_for 10 sh -c "[ \$(ls '$T/db/$IFB' 2>/dev/null | grep -c '\.db$') -ge 1 ]" ||
	fail "no day file"
wait_log "export: ipfix udp://127.0.0.1:$P_UDP: .*Connection refused" 15
wait_log "export: clickhouse http://127.0.0.1:$P_CH/ default.flows: .*HTTP 500" 15
wait_log "export: ipfix tcp://127.0.0.1:$P_TCP: .*reset" 15
pass "while recording: UDP refused, HTTP 500, TCP reset (all logged)"
# the traffic spans three 2 s bins at least: wait till they are written
# (a loaded machine may still hold the last one open at this point)
n=0
while [ "$(store_bins "$T/db" $IFB)" -lt 3 ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
[ "$(sent_bins "$T/db" "ipfix udp://127.0.0.1:$P_UDP" 1)" = 0 ] &&
	[ "$(sent_bins "$T/db" "clickhouse http://127.0.0.1:$P_CH/ default.flows" 1)" = 0 ] &&
	[ "$(store_bins "$T/db" $IFB)" -ge 3 ] &&
	pass "$(store_bins "$T/db" $IFB) bins stored, none counted as sent to the failing UDP collector and ClickHouse" ||
	fail "sent to a failing destination, or fewer than 3 bins stored ($(store_bins "$T/db" $IFB)): $(sqlite3 "$T/db/export.db" 'SELECT * FROM sent')"

# The destinations come back; more traffic meanwhile.
nfcapd_start $P_UDP "$T/nf" || fail "nfcapd did not start"
ex_stop $HTTP500_PID
ch_start "$T/ch" $P_CH || fail "clickhouse-server did not start"
for i in $(seq 8); do burst; sleep 0.25; done

# Drained: every bin but the newest (maybe still open) sent everywhere.
unsent() {	# unsent DEST: final bins not sent to DEST
	local f n=0
	for f in "$T/db/$IFB"/*.db; do
		n=$((n + $(sqlite3 "$f" "ATTACH '$T/db/export.db' AS x;
		    SELECT count(*) FROM bins AS b WHERE b.ts < (SELECT max(ts)
		    FROM bins) AND NOT EXISTS (SELECT 1 FROM x.sent AS s JOIN
		    x.destinations AS d ON d.id = s.dest WHERE d.name = '$1' AND
		    s.iface = '$IFB' AND s.ts = b.ts AND s.rows >= 0)")))
	done
	echo $n
}
ok=1
for d in "ipfix udp://127.0.0.1:$P_UDP" "ipfix tcp://127.0.0.1:$P_TCP" \
    "clickhouse http://127.0.0.1:$P_CH/ default.flows"; do
	i=0
	while [ "$(unsent "$d")" != 0 ]; do
		i=$((i + 1))
		[ $i -gt 600 ] && { ok=0; echo "# $d: $(unsent "$d") bins not sent"; break; }
		sleep 0.1
	done
done
[ $ok = 1 ] && pass "the backlog drained to all three destinations" ||
	fail "backlog left: $(grep export "$T/fr.err" | tail -5)"

# A reload that changes the export restarts it; sending goes on.
before=$(sent_bins "$T/db" "clickhouse http://127.0.0.1:$P_CH/ default.flows" 1)
sed -i 's/^    rate: 0$/    rate: 50000/' "$T/conf.yaml"
kill -HUP $FR_PID
wait_log "export settings changed; restarting the export"
for i in $(seq 8); do burst; sleep 0.25; done
for d in "ipfix udp://127.0.0.1:$P_UDP" "ipfix tcp://127.0.0.1:$P_TCP" \
    "clickhouse http://127.0.0.1:$P_CH/ default.flows"; do
	i=0
	while [ "$(unsent "$d")" != 0 ]; do
		i=$((i + 1))
		[ $i -gt 600 ] && fail "$d: $(unsent "$d") bins not sent after the reload"
		sleep 0.1
	done
done
# and a bin with rows written after the reload went out as well
wait_for 30 sh -c "[ \$(sqlite3 '$T/db/export.db' \"SELECT count(*) FROM sent
    JOIN destinations AS d ON d.id = sent.dest WHERE d.name LIKE 'clickhouse%'
    AND rows >= 1\") -gt $before ]" || fail "nothing sent after the reload"
pass "a reload changing the export restarted it; the new bins went out too"

stop_fr TERM
[ "$(exitline $IFB kernel_drops)" = 0 ] && [ "$(exitline $IFB bins_dropped)" = 0 ] &&
	[ "$(binsum "$T/db" $IFB pkts_rcvd)" = $sent ] &&
	pass "capture unaffected: $sent frames counted, kernel_drops=0, no bin dropped" ||
	fail "capture: $(grep "^$IFB:" "$T/fr.out"), rows have $(binsum "$T/db" $IFB pkts_rcvd) of $sent packets"

sleep 0.5	# nothing to wait for: the collectors have had the bins for long
nfcapd_csv "$T/nf" "$T/nf.csv"
r=$(EXPORT_SENT="ipfix udp://127.0.0.1:$P_UDP" python3 "$CHECK" nfdump "$T/nf.csv" "$T/db" $IFB 2) &&
	pass "nfcapd equals the store's sent bins: $r" || fail "nfcapd: $r"
r=$(EXPORT_SENT="ipfix tcp://127.0.0.1:$P_TCP" python3 "$CHECK" ipfixtcp "$T/tcp.json" "$T/db" $IFB 2 1) &&
	pass "TCP collector equals them (the bin in flight at the reset at most twice): $r" ||
	fail "TCP collector: $r"
[ ! -s "$T/tcp.json.errors" ] && pass "TCP: templates again after the reset, sequence numbers from 0" ||
	fail "TCP: $(head -3 "$T/tcp.json.errors")"
ch_query "SELECT toUInt32(ts), sip, dip, dport, proto, vlan, bytes_rcvd, bytes_sent,
    pkts_rcvd, pkts_sent FROM flows WHERE host = 'livehost' FORMAT TabSeparated" >"$T/ch.tsv"
r=$(EXPORT_SENT="clickhouse http://127.0.0.1:$P_CH/ default.flows" python3 "$CHECK" clickhouse "$T/ch.tsv" "$T/db" $IFB 2) &&
	pass "ClickHouse equals them, no row twice: $r" || fail "ClickHouse: $r"
[ -s "$T/http500.log" ] && pass "the failing server was asked $(wc -l <"$T/http500.log") times" ||
	fail "the 500 server saw nothing"
ch_stop
exit 0
