#!/bin/bash
# export_clickhouse.sh - the store into Debian's ClickHouse (18.16), started
# here on private ports with its own configuration and data directory, a
# user with a password.  The table (sql/clickhouse.sql, created by
# flowrecd) equals the store; ClickHouse stopped while bins are stored,
# started again: nothing lost, nothing doubled; flowrecd killed (-9) and
# stopped (TERM) in the middle of the backlog, run again: the same (a bin
# in flight when killed may go twice, and FINAL shows it once).
. "${top_srcdir:-.}/tests/integ/lib.sh"
. "$top_srcdir/tests/integ/export_lib.sh"
trap 'ex_cleanup; rm -rf "$TEST_TMP"' EXIT
T=$TEST_TMP
CHECK=$top_srcdir/tests/integ/export_check.py
GEN=$top_srcdir/tests/integ/export_gen.py
CH_PASSWORD=s3cret

P_CH=$(ex_port)
t0=$(date +%s.%N)
ch_start "$T/ch" $P_CH || fail "clickhouse-server did not start"
echo "# clickhouse-server answered /ping after $(awk "BEGIN { print $(date +%s.%N) - $t0 }") s"

cat >"$T/conf.yaml" <<EOF
db_path: $T/db
interval: 60
export:
  clickhouse:
    url: $CH_URL
    database: default
    table: flows
    user: default
    password: $CH_PASSWORD
    host: testhost
    retry_max: 1
EOF
python3 "$GEN" "$T/empty.pcapng" 0 0 60 0
python3 "$GEN" "$T/a.pcapng" 3000 4 60 1700000040 1
python3 "$GEN" "$T/b.pcapng" 1000 2 60 1700003640 2
python3 "$GEN" "$T/c.pcapng" 20000 6 60 1700007240 3

# table: everything of host testhost, FINAL or not
table() {
	ch_query "SELECT toUInt32(ts), sip, dip, dport, proto, vlan, bytes_rcvd,
	    bytes_sent, pkts_rcvd, pkts_sent FROM flows $1 WHERE host = 'testhost'
	    AND iface = 'ex0' FORMAT TabSeparated" >"$T/table.tsv"
}
rows() { sqlite3 "$1" "SELECT count(*) FROM flow_rows"; }
store_rows() { local n=0 f; for f in "$T"/db/ex0/*.db; do n=$((n + $(rows "$f"))); done; echo $n; }

"$FLOWRECD" --read "$T/a.pcapng" --iface ex0 -c "$T/conf.yaml" >"$T/out" 2>"$T/err" ||
	fail "--read -c: $(cat "$T/err")"
grep -q "^flowrecd: export clickhouse $CH_URL default.flows: bins=4 rows=8000 .*pending=0$" "$T/err" &&
	pass "--read -c: 4 bins, 8000 rows into ClickHouse" || fail "$(cat "$T/err")"
[ "$(ch_query "EXISTS TABLE flows")" = 1 ] &&
	ch_query "SHOW CREATE TABLE flows" | grep -q "ReplacingMergeTree(writes)" &&
	pass "flowrecd created the table of sql/clickhouse.sql" ||
	fail "no table: $(ch_query "SHOW CREATE TABLE flows")"
table FINAL
r=$(python3 "$CHECK" clickhouse "$T/table.tsv" "$T/db" ex0 60) &&
	pass "the table equals the store: $r" || fail "table: $r"
table ""
r=$(python3 "$CHECK" clickhouse "$T/table.tsv" "$T/db" ex0 60) &&
	pass "even without FINAL: no row twice" || fail "without FINAL: $r"

# ClickHouse down while a capture is stored; up again.
ch_stop
"$FLOWRECD" --read "$T/b.pcapng" --iface ex0 -c "$T/conf.yaml" >"$T/out" 2>"$T/err" ||
	fail "--read with ClickHouse down failed: $(cat "$T/err")"
grep -q "bins=0 rows=0 .*pending=2 (left for the next run: .*)" "$T/err" &&
	pass "ClickHouse down: the capture is stored, its 2 bins wait in the store" ||
	fail "ClickHouse down: $(cat "$T/err")"
ch_start "$T/ch" $P_CH || fail "clickhouse-server did not start again"
"$FLOWRECD" --read "$T/empty.pcapng" --iface ex0 -c "$T/conf.yaml" >"$T/out" 2>"$T/err" ||
	fail "drain: $(cat "$T/err")"
grep -q "bins=2 rows=.* pending=0$" "$T/err" &&
	pass "ClickHouse back: the next run sends the 2 waiting bins" ||
	fail "drain: $(cat "$T/err")"
table ""
r=$(python3 "$CHECK" clickhouse "$T/table.tsv" "$T/db" ex0 60) &&
	pass "nothing lost, nothing doubled: $r" || fail "after the outage: $r"

# A backlog of 6 bins of 20000 rows, drained at 40000 rows/s by runs that
# are killed (-9) and stopped (TERM) half-way.
ch_stop
"$FLOWRECD" --read "$T/c.pcapng" --iface ex0 -c "$T/conf.yaml" >"$T/out" 2>"$T/err" ||
	fail "--read of c: $(cat "$T/err")"
ch_start "$T/ch" $P_CH || fail "clickhouse-server did not start a third time"
sed -i 's/^    retry_max: 1/    retry_max: 1\n    rate: 40000/' "$T/conf.yaml"
name="clickhouse $CH_URL default.flows"
before=$(sent_bins "$T/db" "$name")
drain_until() {	# drain_until N SIGNAL: a run, stopped once N more bins are sent
	"$FLOWRECD" --read "$T/empty.pcapng" --iface ex0 -c "$T/conf.yaml" \
		>"$T/out" 2>"$T/err" &
	local pid=$!
	ex_wait 60 sh -c "[ \$(sqlite3 '$T/db/export.db' \"SELECT count(*) FROM sent JOIN destinations AS d ON d.id = sent.dest WHERE d.name = '$name' AND rows >= 0\") -ge $1 ]" ||
		fail "the backlog does not drain: $(cat "$T/err")"
	kill -"$2" $pid
	wait $pid
}
drain_until $((before + 2)) KILL
a=$(sent_bins "$T/db" "$name")
drain_until $((a + 2)) TERM
b=$(sent_bins "$T/db" "$name")
[ $a -lt $((before + 6)) ] && [ $b -lt $((before + 6)) ] &&
	pass "killed with $((a - before)) of 6 bins sent, stopped with $((b - before))" ||
	fail "the runs were not stopped half-way ($before, $a, $b)"
"$FLOWRECD" --read "$T/empty.pcapng" --iface ex0 -c "$T/conf.yaml" >"$T/out" 2>"$T/err" ||
	fail "last drain: $(cat "$T/err")"
[ $(sent_bins "$T/db" "$name") = $(store_bins "$T/db" ex0) ] &&
	pass "a third run sends the rest: every bin of the store is sent" ||
	fail "$(sent_bins "$T/db" "$name") of $(store_bins "$T/db" ex0) bins sent: $(cat "$T/err")"
table FINAL
r=$(python3 "$CHECK" clickhouse "$T/table.tsv" "$T/db" ex0 60) &&
	pass "FINAL: the table equals the store: $r" || fail "FINAL after the restarts: $r"
extra=$(( $(ch_query "SELECT count() FROM flows WHERE host = 'testhost'") - $(store_rows) ))
[ $extra -ge 0 ] && [ $extra -le 20000 ] &&
	pass "without FINAL: $extra rows twice (at most the bin in flight at kill -9)" ||
	fail "without FINAL: $extra rows more than the store"
ch_stop
done_testing
