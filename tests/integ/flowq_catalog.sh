#!/bin/sh
# flowq_catalog.sh - `flowq list` from the store's catalog.db prints what
# it prints from the day files themselves (FLOWQ_NO_CATALOG=1), in every
# format and range; a falsified row shows (the catalog is read), and is
# ignored again once its day file changed (a stale row); a missing or
# unreadable catalog, or a -wal the row did not see, falls back to the
# files.
. "$(dirname "$0")/lib.sh"

export TZ=UTC LC_ALL=C
[ -x "$FLOWQ" ] || { echo "Bail out! $FLOWQ not built"; exit 99; }
command -v sqlite3 > /dev/null || skip_all "no sqlite3"

"$MKPCAP" --long "$TEST_TMP/a.pcap" || exit 99
mkdir -p "$TEST_TMP/cap" && "$MKPCAP" "$TEST_TMP/cap" > /dev/null || exit 99
db="$TEST_TMP/db"
"$FLOWRECD" --read "$TEST_TMP/a.pcap" --iface t0 --db "$db" --no-progress \
    > /dev/null 2>&1 || fail "flowrecd --read long (t0)"
"$FLOWRECD" --read "$TEST_TMP/a.pcap" --iface t1 --interval 60 --db "$db" \
    --no-progress > /dev/null 2>&1 || fail "flowrecd --read long (t1)"
for c in tcp dirs frags; do
	"$FLOWRECD" --read "$TEST_TMP/cap/$c".pcap* --iface cap0 --db "$db" \
	    --no-progress > /dev/null 2>&1 || fail "flowrecd --read $c"
done
n=$(sqlite3 "$db/catalog.db" "SELECT count(*) FROM days")
files=$(ls "$db"/*/*.db | wc -l)
[ "$n" = "$files" ] && pass "the store lists its $files day files in catalog.db" ||
    fail "catalog.db: $n rows for $files day files"

# list STORE ENV ARGS...: flowq list's output and status (without the
# warning that names a catalog.db it ignores: see below)
list() {
	store=$1 envv=$2
	shift 2
	env $envv "$FLOWQ" -d "$store" list "$@" > "$TEST_TMP/list.out" 2>&1
	st=$?
	grep -v 'catalog.db: .*; ignored$' "$TEST_TMP/list.out"
	echo "exit $st"
}

# same NAME STORE: with and without the catalog, the same for every
# format and range (whole days, days cut in the middle, nothing)
same() {
	name=$1 store=$2 bad=
	for args in "" "-v" "-v -e csv" "-e json" "-i t0" "-i cap0,t1 -v" \
	    "-f 2023-11-15T00:00:00Z" "-l 2023-11-15T12:00:00Z -v" \
	    "-f 2023-11-14T23:00:00Z -l 2023-11-16T00:00:00Z -e csv -v" \
	    "-f 2023-11-15T07:00:00Z -l 2023-11-15T07:00:00Z" \
	    "-f 1990-01-01T00:00:00Z -l 1990-01-02T00:00:00Z"; do
		list "$store" "" $args > "$TEST_TMP/a"
		list "$store" FLOWQ_NO_CATALOG=1 $args > "$TEST_TMP/b"
		if ! cmp -s "$TEST_TMP/a" "$TEST_TMP/b"; then
			bad="$bad [$args]"
			diff "$TEST_TMP/a" "$TEST_TMP/b" | head -6 | sed 's/^/# /'
		fi
	done
	[ -z "$bad" ] && pass "$name: list with and without the catalog" ||
	    fail "$name: list differs:$bad"
}

same "store's catalog" "$db"

# A falsified row (its files unchanged) is believed: the catalog is read.
# t0's middle day: each interface's latest day is opened for the end of
# its last bin, the others are not.
fake="$TEST_TMP/fake"
cp -a "$db" "$fake"
sqlite3 "$fake/catalog.db" "UPDATE days SET pkts_rcvd = pkts_rcvd + 1000000,
    packets = packets + 1000000 WHERE iface = 't0' AND day = '2023-11-15'" ||
    fail "falsifying a catalog row"
list "$fake" "" -e csv > "$TEST_TMP/a"
list "$fake" FLOWQ_NO_CATALOG=1 -e csv > "$TEST_TMP/b"
cmp -s "$TEST_TMP/a" "$TEST_TMP/b" && fail "a falsified catalog row went unseen" ||
    pass "a falsified catalog row shows: list reads the catalog"

# The same row once its day file changed: stale, ignored.
f="$fake/t0/t0-2023-11-15.db"
sqlite3 "$f" "UPDATE bins SET packets = packets + 5, pkts_rcvd = pkts_rcvd + 5
    WHERE ts = (SELECT min(ts) FROM bins)" || fail "changing a day file"
same "stale row (day file written)" "$fake"
list "$fake" "" -e csv > "$TEST_TMP/a"
list "$db" "" -e csv > "$TEST_TMP/b"
cmp -s "$TEST_TMP/a" "$TEST_TMP/b" && fail "the changed day file went unseen" ||
    pass "a changed day file is read, not its stale row"

# Only its modification time changed: stale too.
sqlite3 "$fake/catalog.db" "UPDATE days SET db_size = $(stat -c %s "$f"),
    db_mtime_ns = $(stat -c %Y "$f")000000000 + 1 WHERE iface = 't0' AND
    day = '2023-11-15'" || fail "re-falsifying the row"
same "stale row (mtime)" "$fake"

# A -wal the row did not record: stale.
fake2="$TEST_TMP/fake2"
cp -a "$db" "$fake2"
sqlite3 "$fake2/catalog.db" "UPDATE days SET flows = flows + 1000 WHERE
    iface = 't1' AND day = '2023-11-15'" || fail "falsifying a catalog row"
: > "$fake2/t1/t1-2023-11-15.db-wal"
same "stale row (a -wal appeared)" "$fake2"
rm -f "$fake2/t1/t1-2023-11-15.db-wal"
list "$fake2" "" -e csv > "$TEST_TMP/a"
list "$fake2" FLOWQ_NO_CATALOG=1 -e csv > "$TEST_TMP/b"
cmp -s "$TEST_TMP/a" "$TEST_TMP/b" && fail "the -wal check is not what made it stale" ||
    pass "without the -wal the falsified row is believed again"

# No catalog, an unreadable one, one without the table, a row missing.
nocat="$TEST_TMP/nocat"
cp -a "$db" "$nocat"
rm -f "$nocat/catalog.db"
same "no catalog.db" "$nocat"
echo "not a database" > "$nocat/catalog.db"
same "catalog.db not a database" "$nocat"
"$FLOWQ" -d "$nocat" list > /dev/null 2> "$TEST_TMP/err"
grep -q "$nocat/catalog.db: .*; ignored" "$TEST_TMP/err" &&
    pass "catalog.db not a database: named, ignored" ||
    fail "catalog.db not a database, not named: $(cat "$TEST_TMP/err")"
rm -f "$nocat/catalog.db"
sqlite3 "$nocat/catalog.db" "CREATE TABLE other (x)" || fail "making a foreign catalog"
same "catalog.db without days" "$nocat"
cp "$db/catalog.db" "$nocat/catalog.db"
sqlite3 "$nocat/catalog.db" "DELETE FROM days WHERE day = '2023-11-14'" ||
    fail "deleting rows"
same "rows missing" "$nocat"

# catalog.db is never written: not even its -wal or -shm appear.
ro="$TEST_TMP/ro"
cp -a "$db" "$ro"
before=$(ls -l --time-style=+%s.%N "$ro" | md5sum)
list "$ro" "" -v > /dev/null
after=$(ls -l --time-style=+%s.%N "$ro" | md5sum)
[ "$before" = "$after" ] && pass "list leaves catalog.db as it found it" ||
    fail "list changed the store directory: $(ls "$ro")"
done_testing
