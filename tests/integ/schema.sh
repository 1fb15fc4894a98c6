#!/bin/sh
# schema.sh - the sqlite3 command-line tool sees the contract of
# flowrec-schema(5) in day files: the tables and the `flows` view with its
# columns, the versions, WAL mode, integrity, exact rows, and every query
# of the man page's EXAMPLES runs.  The files come from test_store
# --make-db (rows known exactly) and from flowrecd --read of a capture
# made by tests/mkpcap.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || skip_all "no sqlite3 command"
TEST_STORE="$top_builddir/tests/unit/test_store"
MAN="$top_srcdir/man/flowrec-schema.5"
[ -x "$TEST_STORE" ] || skip_all "no $TEST_STORE (make check builds it)"

q() { sqlite3 -batch "$@" 2>&1; }

# expect NAME GOT WANT
expect() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1"
		printf '# got:\n%s\n# want:\n%s\n' "$2" "$3" | sed 's/^/# /'
	fi
}

# contract NAME DB: what every day file has.
contract() {
	expect "$1: PRAGMA application_id" "$(q "$2" 'PRAGMA application_id')" \
	    1718382455
	expect "$1: PRAGMA user_version" "$(q "$2" 'PRAGMA user_version')" 2
	expect "$1: WAL mode" "$(q "$2" 'PRAGMA journal_mode')" wal
	expect "$1: PRAGMA integrity_check" "$(q "$2" 'PRAGMA integrity_check')" ok
	expect "$1: tables and view" "$(q "$2" "SELECT type, name FROM
	    sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE
	    'sqlite_%' ORDER BY name")" "table|addrs
table|bin_skips
table|bins
table|flow_keys
table|flow_rows
table|flow_rows_1d
table|flow_rows_1h
view|flows
table|meta
table|rollups"
	expect "$1: columns of SELECT * FROM flows" \
	    "$(q -header -csv "$2" 'SELECT * FROM flows LIMIT 1' | head -n 1)" \
	    "ts,sip,dip,dport,proto,vlan,bytes_rcvd,bytes_sent,pkts_rcvd,pkts_sent"
	expect "$1: columns of bins" "$(q "$2" "SELECT group_concat(name, ',')
	    FROM pragma_table_info('bins')")" \
	    "ts,interval,writes,packets,ip,non_ip,malformed,flows,flows_v4,flows_v6,bytes_rcvd,bytes_sent,pkts_rcvd,pkts_sent,conn_overflow,frag_evicted,early_writes,kernel_packets,kernel_drops,kernel_freezes"
	expect "$1: columns of bin_skips" "$(q "$2" "SELECT group_concat(name,
	    ',') FROM pragma_table_info('bin_skips')")" "ts,reason,packets"
	expect "$1: meta names" "$(q "$2" "SELECT group_concat(name, ',')
	    FROM (SELECT name FROM meta ORDER BY name)")" \
	    "created,created_by,day,iface,interval"
	expect "$1: bins.flows counts the rows" "$(q "$2" "SELECT count(*)
	    FROM bins AS b WHERE flows != (SELECT count(*) FROM flow_rows
	    WHERE ts = b.ts)")" 0
	expect "$1: every row's key and addresses exist" "$(q "$2" "SELECT
	    (SELECT count(*) FROM flow_rows WHERE key NOT IN
	    (SELECT id FROM flow_keys)) + (SELECT count(*) FROM flow_keys
	    WHERE sip NOT IN (SELECT id FROM addrs) OR dip NOT IN
	    (SELECT id FROM addrs))")" 0
	expect "$1: planner statistics present" "$(q "$2" "SELECT count(*) > 0
	    FROM sqlite_stat1 WHERE tbl = 'flow_rows'")" 1
}

DB="$TEST_TMP/db"
"$TEST_STORE" --make-db "$DB" || { echo "Bail out! test_store --make-db failed"; exit 99; }
D1="$DB/eth0/eth0-2025-03-24.db"
D2="$DB/eth0/eth0-2025-03-25.db"
[ -f "$D1" ] && [ -f "$D2" ] && pass "one file per UTC day" ||
	fail "one file per UTC day: $(ls -R "$DB")"
contract "day 1" "$D1"
contract "day 2" "$D2"

expect "day 1: rows" "$(q -csv "$D1" 'SELECT * FROM flows ORDER BY ts, sip, dip')" \
"1742860500,192.0.2.1,198.51.100.7,443,6,0,1500,300,3,2
1742860500,192.0.2.1,198.51.100.8,0,1,0,84,84,1,1
1742860500,192.0.2.2,198.51.100.7,443,6,0,60,0,1,0
1742860500,2001:db8::1,2001:db8::53,53,17,10,80,160,1,1"
expect "day 2: rows" "$(q -csv "$D2" 'SELECT * FROM flows ORDER BY ts, sip, dip')" \
"1742860800,192.0.2.1,198.51.100.7,443,6,0,1500,300,3,2
1742860800,192.0.2.1,198.51.100.8,0,1,0,84,84,1,1
1742860800,2001:db8::1,2001:db8::53,53,17,10,80,160,1,1"
expect "day 1: bins" "$(q -csv "$D1" 'SELECT ts, interval, writes, packets,
    ip, non_ip, flows, flows_v4, flows_v6, bytes_rcvd, kernel_packets,
    kernel_drops FROM bins')" "1742860500,300,1,12,11,1,4,3,1,1724,14,2"
expect "day 1: bin_skips" "$(q -csv "$D1" 'SELECT * FROM bin_skips')" \
    "1742860500,ethertype,1"
expect "meta" "$(q -csv "$D2" "SELECT name, value FROM meta WHERE name
    IN ('iface', 'day', 'interval') ORDER BY name")" "day,2025-03-25
iface,eth0
interval,300"
expect "CIDR through addrs.ip" "$(q "$D1" "SELECT group_concat(text, ' ')
    FROM (SELECT text FROM addrs WHERE ip BETWEEN x'c0000200' AND
    x'c00002ff' ORDER BY ip)")" "192.0.2.1 192.0.2.2"

# Every query of the man page's EXAMPLES: literal blocks ending in ';'.
n=0
awk '/^\.Sh EXAMPLES/ { ex = 1 } /^\.Sh SEE ALSO/ { ex = 0 }
    ex && /^\.Bd -literal/ { inb = 1; sql = ""; next }
    ex && /^\.Ed/ { if (sql ~ /;[ \t\n]*$/) { n++; print sql > (dir "/ex" n ".sql") } inb = 0; next }
    inb { sql = sql $0 "\n" }' dir="$TEST_TMP" "$MAN"
for f in "$TEST_TMP"/ex*.sql; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	out=$(sqlite3 -batch -bail "$D1" <"$f" 2>&1)
	if [ $? -eq 0 ] && [ -n "$out" ] && ! echo "$out" | grep -q '^Error'; then
		pass "man page example $(basename "$f" .sql) runs"
	else
		fail "man page example $(basename "$f" .sql): $out"
		sed 's/^/# /' "$f"
	fi
done
[ $n -ge 8 ] && pass "$n man page examples found" || fail "only $n man page examples"
expect "top talkers example" "$(sqlite3 -batch "$D1" <"$TEST_TMP/ex1.sql")" \
    "192.0.2.1|1968|7
2001:db8::1|240|2
192.0.2.2|60|1"

# A file written by flowrecd itself (the offline reader).
mkdir -p "$TEST_TMP/caps"
if [ -x "$FLOWRECD" ] && [ -x "$MKPCAP" ] && "$MKPCAP" "$TEST_TMP/caps" >/dev/null 2>&1; then
	cap=$(ls "$TEST_TMP"/caps/*.pcap* 2>/dev/null | head -n 1)
	if "$FLOWRECD" --read "$cap" --iface cap0 --db "$TEST_TMP/fr" \
	    >/dev/null 2>"$TEST_TMP/fr.err"; then
		for f in "$TEST_TMP"/fr/cap0/cap0-*.db; do
			contract "flowrecd $(basename "$cap")" "$f"
		done
	else
		fail "flowrecd --read $cap: $(cat "$TEST_TMP/fr.err")"
	fi
else
	pass "# SKIP no flowrecd or mkpcap built"
fi
done_testing
