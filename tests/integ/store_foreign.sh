#!/bin/sh
# store_foreign.sh - symbolic links and foreign files in a store (issue 11
# item 7): flowrecd never writes through a symbolic link it did not make
# nor into a file without flowrec's markers (application_id "flow",
# user_version), and flowq refuses such files by the same markers.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 > /dev/null || skip_all "no sqlite3"
cd "$TEST_TMP" || exit 99
"$MKPCAP" . > /dev/null || { echo "Bail out! mkpcap failed"; exit 99; }
day=cap0-2023-11-14.db
read_into() {	# read_into DB: the tcp capture into store DB
	"$FLOWRECD" --read tcp.pcap --iface cap0 --db "$1" > out 2> err
}
sum() { md5sum < "$1" | cut -d' ' -f1; }

# A dangling day-file link: refused, nothing made where it points.
mkdir -p s1/cap0
ln -s "$TEST_TMP/outside.db" "s1/cap0/$day"
read_into s1
st=$?
if [ $st -ne 0 ] && grep -q "symbolic link" err && [ ! -e outside.db ]; then
	pass "a dangling day-file link: exit $st, nothing made outside ($(head -n 1 err))"
else
	fail "a dangling day-file link: exit $st, outside.db $(ls outside.db 2>&1), $(cat err)"
fi

# catalog.db a dangling link: the bins are stored, nothing made outside.
mkdir -p s2
ln -s "$TEST_TMP/outside-cat.db" s2/catalog.db
read_into s2
st=$?
if [ $st -eq 0 ] && [ ! -e outside-cat.db ] && [ -f "s2/cap0/$day" ] &&
    grep -q "catalog.db: a symbolic link" err; then
	pass "catalog.db a dangling link: the bin stored, nothing made outside, said"
else
	fail "catalog.db a dangling link: exit $st, $(ls outside-cat.db 2>&1), $(cat err)"
fi

# catalog.db a link to a file flowrec made: not written through either.
read_into s3a > /dev/null
cp s3a/catalog.db target-cat.db
before=$(sum target-cat.db)
mkdir -p s3/cap0
ln -s "$TEST_TMP/target-cat.db" s3/catalog.db
read_into s3
if [ "$(sum target-cat.db)" = "$before" ] && [ ! -e target-cat.db-wal ]; then
	pass "catalog.db a link to a catalog: the target untouched"
else
	fail "catalog.db a link to a catalog: the target changed"
fi

# A foreign SQLite file at catalog.db: not switched to WAL, no table.
mkdir -p s4
sqlite3 s4/catalog.db "PRAGMA application_id = 1234; CREATE TABLE t (x); INSERT INTO t VALUES (1)"
before=$(sum s4/catalog.db)
read_into s4
st=$?
mode=$(sqlite3 s4/catalog.db "PRAGMA journal_mode")
tables=$(sqlite3 s4/catalog.db "SELECT group_concat(name) FROM sqlite_master")
if [ $st -eq 0 ] && [ "$(sum s4/catalog.db)" = "$before" ] && [ "$mode" = delete ] &&
    [ "$tables" = t ] && grep -q "not flowrec's catalog" err; then
	pass "a foreign catalog.db: untouched (journal $mode, tables $tables), said"
else
	fail "a foreign catalog.db: exit $st, journal $mode, tables $tables, $(cat err)"
fi
# ... nor one with the markers of nothing and a table of its own
mkdir -p s5
sqlite3 s5/catalog.db "CREATE TABLE days (x); CREATE TABLE other (y)"
before=$(sum s5/catalog.db)
read_into s5
if [ "$(sum s5/catalog.db)" = "$before" ] && grep -q "not flowrec's catalog" err; then
	pass "a catalog.db with a table not flowrec's: untouched"
else
	fail "a catalog.db with a table not flowrec's: changed, or silently: $(cat err)"
fi

# The catalog flowrec makes carries the markers; one an earlier flowrec
# made (no markers, the days table alone) gets them and is kept.
got=$(sqlite3 s3a/catalog.db "PRAGMA application_id; PRAGMA user_version" | tr '\n' ' ')
[ "$got" = "1718382455 1 " ] && pass "catalog.db: application_id and user_version 1" ||
	fail "catalog.db markers: $got"
cp -a s3a s6
sqlite3 s6/catalog.db "PRAGMA application_id = 0; PRAGMA user_version = 0"
"$FLOWRECD" --read bins.pcap --iface cap1 --db s6 --interval 60 > out 2> err
got=$(sqlite3 s6/catalog.db "PRAGMA application_id; PRAGMA user_version;
    SELECT count(DISTINCT iface) FROM days" | tr '\n' ' ')
[ "$got" = "1718382455 1 2 " ] && pass "an earlier catalog.db is adopted: $got" ||
	fail "an earlier catalog.db: $got, $(cat err)"

# flowq: a linked or foreign catalog.db is not read; list reads the day
# files instead, and says why.
FLOWQ_NO_CATALOG=1 "$FLOWQ" list -d s3a -f 0 > want 2>&1
for s in s3 s4; do
	"$FLOWQ" list -d $s -f 0 > got 2> err
	st=$?
	if [ $st -eq 0 ] && cmp -s want got && grep -q "catalog.db.*ignored" err; then
		pass "flowq list, catalog.db $s: ignored ($(head -n 1 err)), the day files answer"
	else
		fail "flowq list, catalog.db $s: exit $st, $(cat err)"
		diff want got | sed 's/^/# /'
	fi
done
# a falsified row in a foreign catalog would show if it were read
cp -a s3a s7
sqlite3 s7/catalog.db "UPDATE days SET pkts_rcvd = pkts_rcvd + 1000000; PRAGMA application_id = 99"
"$FLOWQ" list -d s7 -f 0 > got 2> err
if cmp -s want got; then
	pass "flowq list: a catalog.db of another application_id is not believed"
else
	fail "flowq list read a foreign catalog.db"
fi
done_testing
