#!/bin/sh
# rollup.sh - the store's hourly and daily rollups and its catalog.
#
# A day and a half of traffic is read into a store, then a second capture
# of the same hours is read into it too (so rolled-up hours are written
# again and their rollups must be dropped and rebuilt).  After each read,
# every listed rollup must equal, key by key, the sums of the rows it
# covers (in both directions), every hour and day that is over must be
# rolled up, and the catalog's rows must equal each day file's bins.
# Those reads keep every rollup (FLOWREC_ROLLUP_MIN_RATIO=1); a last one,
# with a ratio of 2 (this capture's hours are about 1.1 times smaller
# than their rows, its days 1.6 and 4.1), must decline the rollups that
# are not 2 times smaller (the store's default is 13) and keep the others.
. "$(dirname "$0")/lib.sh"

"$MKPCAP" --long "$TEST_TMP/a.pcap" || exit 99
"$MKPCAP" --long-shifted "$TEST_TMP/b.pcap" || exit 99
db="$TEST_TMP/db"

# rollup_differs FILE SPAN TABLE: bad = rows of the kept rollups of SPAN in
# TABLE that differ from the sums of flow_rows, in either direction.
rollup_differs() {
	bad=$(sqlite3 "$1" "
	    WITH r(t, key, a, b, c, d) AS (
	      SELECT ts - ts % $2, key, sum(bytes_rcvd), sum(bytes_sent),
	             sum(pkts_rcvd), sum(pkts_sent) FROM flow_rows
	      WHERE ts - ts % $2 IN (SELECT ts FROM rollups
	                             WHERE span = $2 AND rows >= 0)
	      GROUP BY 1, 2)
	    SELECT (SELECT count(*) FROM (SELECT * FROM r EXCEPT
	            SELECT ts, key, bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent
	            FROM $3))
	         + (SELECT count(*) FROM (SELECT ts, key, bytes_rcvd, bytes_sent,
	            pkts_rcvd, pkts_sent FROM $3 EXCEPT SELECT * FROM r))")
}

check() {	# check LABEL
	for f in "$db"/t0/t0-*.db; do
		d=$(basename "$f" .db)
		rollup_differs "$f" 3600 flow_rows_1h
		[ "$bad" = 0 ] && pass "$1: $d: hourly rollups equal their rows" ||
		    fail "$1: $d: $bad hourly rollup rows differ from flow_rows"
		rollup_differs "$f" 86400 flow_rows_1d
		[ "$bad" = 0 ] && pass "$1: $d: daily rollup equals its rows" ||
		    fail "$1: $d: $bad daily rollup rows differ from flow_rows"
		# The store is done with the file: every hour of two bins or
		# more, and the day, are rolled up.
		missing=$(sqlite3 "$f" "SELECT count(*) FROM (SELECT ts - ts % 3600 AS h
		    FROM bins GROUP BY h HAVING count(*) >= 2)
		    WHERE h NOT IN (SELECT ts FROM rollups WHERE span = 3600)")
		days=$(sqlite3 "$f" "SELECT count(*) FROM rollups WHERE span = 86400")
		[ "$missing/$days" = 0/1 ] && pass "$1: $d: every hour of 2+ bins and the day rolled up (or declined)" ||
		    fail "$1: $d: $missing hours not rolled up, $days day rollups"
		day=${d#t0-}
		want=$(sqlite3 "$f" "SELECT min(ts), max(ts), count(*), sum(packets),
		    sum(flows), sum(bytes_rcvd) FROM bins")
		got=$(sqlite3 "$db/catalog.db" "SELECT first, last, bins, packets, flows,
		    bytes_rcvd FROM days WHERE iface = 't0' AND day = '$day'")
		[ "$got" = "$want" ] && pass "$1: $d: catalog row equals the file's bins" ||
		    fail "$1: $d: catalog '$got', bins '$want'"
	done
}

export FLOWREC_ROLLUP_MIN_RATIO=1
"$FLOWRECD" --read "$TEST_TMP/a.pcap" --iface t0 --db "$db" >/dev/null || fail "read a"
[ "$(ls "$db"/t0/t0-*.db | wc -l)" = 3 ] && pass "the capture spans three days" ||
    fail "day files: $(ls "$db"/t0)"
check "first read"
"$FLOWRECD" --read "$TEST_TMP/b.pcap" --iface t0 --db "$db" >/dev/null || fail "read b"
check "second read into rolled-up hours"

# A rollup is kept only with at most 1/ratio of the rows it sums; the
# others are listed as declined (rows -1) and have no rows.
export FLOWREC_ROLLUP_MIN_RATIO=2
db="$TEST_TMP/db2"
"$FLOWRECD" --read "$TEST_TMP/a.pcap" --iface t0 --db "$db" >/dev/null || fail "read a (ratio 2)"
check "ratio 2"
kept=0 declined=0 wrong=0
for f in "$db"/t0/t0-*.db; do
	r=$(sqlite3 "$f" "
	    WITH b(span, ts, base) AS (
	      SELECT 3600, ts - ts % 3600, sum(flows) FROM bins GROUP BY 2
	      UNION ALL SELECT 86400, ts - ts % 86400, sum(flows) FROM bins GROUP BY 2),
	    o(span, ts, n) AS (
	      SELECT 3600, ts, count(*) FROM flow_rows_1h GROUP BY ts
	      UNION ALL SELECT 86400, ts, count(*) FROM flow_rows_1d GROUP BY ts)
	    SELECT sum(u.rows >= 0), sum(u.rows < 0),
	           sum(CASE WHEN u.rows >= 0 THEN coalesce(o.n, 0) != u.rows
	                      OR u.rows * 2 > b.base
	                    ELSE coalesce(o.n, 0) != 0 END)
	    FROM rollups AS u JOIN b USING (span, ts) LEFT JOIN o USING (span, ts)")
	kept=$((kept + ${r%%|*})); r=${r#*|}
	declined=$((declined + ${r%%|*})); wrong=$((wrong + ${r#*|}))
done
if [ "$kept" -ge 1 ] && [ "$declined" -ge 1 ] && [ "$wrong" = 0 ]; then
	pass "ratio 2: $kept rollups kept (2x smaller), $declined declined without rows"
else
	fail "ratio 2: kept $kept, declined $declined, wrong $wrong"
fi
unset FLOWREC_ROLLUP_MIN_RATIO

# Early writes (a flow table of 700 rows: every bin in several parts,
# later ones with keys both old and new to the day) store the same rows
# as one write per bin.
"$MKPCAP" --wide "$TEST_TMP/w.pcap" || exit 99
"$FLOWRECD" --read "$TEST_TMP/w.pcap" --iface t0 --db "$TEST_TMP/one" >/dev/null
"$FLOWRECD" --read "$TEST_TMP/w.pcap" --iface t0 --db "$TEST_TMP/parts" \
    --max-flows 700 >/dev/null
early=$(for f in "$TEST_TMP"/parts/t0/*.db; do sqlite3 "$f" "SELECT sum(early_writes) FROM bins"; done |
    awk '{ n += $1 } END { print n + 0 }')
for d in one parts; do
	for f in "$TEST_TMP/$d"/t0/*.db; do
		sqlite3 "$f" "SELECT * FROM flows ORDER BY 1, 2, 3, 4, 5, 6"
	done > "$TEST_TMP/$d.rows"
done
if [ "$early" -ge 6 ] && cmp -s "$TEST_TMP/one.rows" "$TEST_TMP/parts.rows"; then
	pass "$early early writes store exactly the rows of one write per bin"
else
	fail "early writes ($early): rows differ from one write per bin"
fi
done_testing
