#!/bin/bash
# live_retention.sh - flowrecd applies retention to a store of 120 day
# files at start: keep_days for one interface, a max_bytes quota (per
# interface, inherited from the global one) for another, the global
# values for the directory of an interface no longer configured; each day
# file goes with its -wal/-shm and its catalog.db row, is logged, and
# `flowq list` shows only what is kept.  A reload that tightens retention
# (an edit of the watched file) removes more at once, while today's file
# of the interface being recorded stays.
. "${top_srcdir:-.}/tests/integ/live_lib.sh"
FLOWQ=$top_builddir/flowq

mk_pair
A=$IFB Q=qb$TAG OLD=od$TAG
# A real day file as the template of every day: the sample capture.
"$FLOWRECD" --read "$top_srcdir/examples/sample.pcap" --iface tpl \
	--db "$T/tpl" >/dev/null || fail "flowrecd --read"
tpl=$(ls "$T"/tpl/tpl/*.db)
size=$(stat -c %s "$tpl")
day() { date -u -d "@$(( $(date +%s) - $1 * 86400 ))" +%F; }
# mk IFACE FROM TO: day files FROM..TO days back (0 = today), with a -wal
mk() {
	mkdir -p "$T/db/$1"
	for b in $(seq "$2" -1 "$3"); do
		cp "$tpl" "$T/db/$1/$1-$(day $b).db"
		printf 'x%.0s' $(seq 100) >"$T/db/$1/$1-$(day $b).db-wal"
	done
}
mk $A 59 1		# 59 days up to yesterday; today's comes live
mk $Q 39 0		# 40 days, today's included
mk $OLD 29 10		# no longer configured
# The catalog, as the store keeps it: the template's row for every day.
cp "$T/tpl/catalog.db" "$T/db/catalog.db" || fail "no catalog.db"
for i in $A $Q; do
	for f in "$T/db/$i"/*.db; do
		d=${f##*/$i-}; d=${d%.db}
		echo "INSERT INTO days SELECT '$i', '$d', first, last, bins, packets, ip, non_ip, malformed, flows, flows_v4, flows_v6, bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent, kernel_packets, kernel_drops, db_size, db_mtime_ns, wal_size, wal_mtime_ns FROM days WHERE iface = 'tpl';"
	done
done | sqlite3 "$T/db/catalog.db" || fail "catalog rows"
cat_rows() { sqlite3 "$T/db/catalog.db" "SELECT count(*) FROM days WHERE iface = '$1'"; }
ndb() { ls "$T/db/$1" 2>/dev/null | grep -c '\.db$'; }
[ "$(cat_rows $A)" = 59 ] && [ "$(cat_rows $Q)" = 40 ] || fail "catalog: $(cat_rows $A) $(cat_rows $Q)"

RING="ring: {block_size: 65536, block_count: 8, retire_ms: 20}"
conf() {	# conf KEEP_DAYS_A: the file, replaced as an editor does
	cat >"$T/conf.new" <<EOF
db_path: $T/db
interval: 1
retention:
  keep_days: 15
  max_bytes: $((10 * (size + 100)))
interfaces:
  $A: {retention: {keep_days: $1, max_bytes: 0}, $RING}
  $Q: {enabled: false}
EOF
	mv "$T/conf.new" "$T/conf.yaml"
}
conf 30
start_fr $NSB -c "$T/conf.yaml"
wait_log "$A: recording"
wait_log "retention: pass done"

# A: keep_days 30 keeps 29 old days and today's.
[ "$(ndb $A)" = 29 ] || fail "$A: $(ndb $A) day files, want 29 (+ today's to come)"
[ -e "$T/db/$A/$A-$(day 29).db" ] && [ ! -e "$T/db/$A/$A-$(day 30).db" ] &&
	[ ! -e "$T/db/$A/$A-$(day 30).db-wal" ] || fail "$A: the wrong days went"
# Q: disabled, its own entry inherits max_bytes (10 days) and keep_days 15.
[ "$(ndb $Q)" = 10 ] || fail "$Q: $(ndb $Q) day files, want 10 (max_bytes)"
[ -e "$T/db/$Q/$Q-$(day 0).db" ] && [ -e "$T/db/$Q/$Q-$(day 9).db" ] &&
	[ ! -e "$T/db/$Q/$Q-$(day 10).db" ] || fail "$Q: the wrong days went"
# OLD: not configured, the global keep_days 15 and max_bytes.
[ "$(ndb $OLD)" = 5 ] || fail "$OLD: $(ndb $OLD) day files, want 5"
n=$(grep -c "retention: .*: removed " "$T/fr.err")
[ "$n" = $((30 + 30 + 15)) ] || fail "$n removals logged, want 75"
grep -q "retention: $A: removed $(day 30) ($((size + 100)) bytes): older than keep_days" "$T/fr.err" ||
	fail "no log line for $A's $(day 30)"
grep -q "retention: $Q: removed $(day 10) .*: over max_bytes" "$T/fr.err" ||
	fail "no log line for $Q's $(day 10)"
pass "at start: $A keep_days 30 -> 29 + today, $Q max_bytes -> 10, $OLD global -> 5; 75 removals logged"

# A's today's row comes from the store once its first bin is written.
[ "$(cat_rows $Q)" = 10 ] && [ "$(cat_rows $A)" = "$(ndb $A)" ] ||
	fail "catalog rows left: $A $(cat_rows $A), $Q $(cat_rows $Q)"
"$FLOWQ" -d "$T/db" list -i $Q -f 0 >"$T/list1" 2>&1 || fail "flowq list: $(cat "$T/list1")"
pass "catalog rows of removed days gone ($A $(cat_rows $A), $Q $(cat_rows $Q)); flowq list: $(grep $Q "$T/list1" | tr -s " ")"

# Tighten A to one day by editing the file: today's live file stays.
wait_for 10 test -e "$T/db/$A/$A-$(day 0).db" || fail "$A: no file for today"
conf 1
wait_log "file changed: re-read"
wait_for 10 sh -c "[ \$(grep -c 'retention: pass done' '$T/fr.err') -ge 2 ]" ||
	fail "no second pass"
[ "$(ndb $A)" = 1 ] && [ -e "$T/db/$A/$A-$(day 0).db" ] ||
	fail "$A: $(ls "$T/db/$A")"
grep -q "$A: stopped" "$T/fr.err" && fail "$A restarted by a retention change"
pass "keep_days 1 by an edit: $A keeps only today's file, still recording"
stop_fr TERM
"$FLOWQ" -d "$T/db" -i $A -f 0 list >"$T/list2" 2>&1 || fail "flowq list after"
exit 0
