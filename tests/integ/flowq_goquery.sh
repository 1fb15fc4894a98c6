#!/bin/sh
# flowq_goquery.sh - flowq where goquery users rely on it (issue 12) and
# where an attacker or an unlucky operator pushes it (issue 11 items 5, 6
# and 8), on a store flowrecd --read makes from the project's captures:
#  - every goquery flag spelling answers as flowq's short flag does;
#    version, examples, help, list IFACES, --stored-query FILE and -;
#  - time queries in time order, ascending, -n keeping the first bins;
#  - an unknown interface is an error naming the known ones;
#  - a corrupt, a truncated, a zero-length and a foreign day file among
#    good ones: each skipped and named on stderr, counted in the footer,
#    in json (summary.stats.blocks_corrupted) and by list, exit 0;
#  - -i .. and names with escapes refused, printed escaped; regex limits;
#  - flowq sql: --query.timeout ends a recursive CTE, SIGINT exits 130,
#    fts3_tokenizer() and zeroblob() refused, json and txt stream.
. "$(dirname "$0")/lib.sh"

export TZ=UTC LC_ALL=C
[ -x "$FLOWQ" ] || { echo "Bail out! $FLOWQ not built"; exit 99; }
[ -x "$FLOWRECD" ] || { echo "Bail out! $FLOWRECD not built"; exit 99; }

mkdir -p "$TEST_TMP/cap" && "$MKPCAP" "$TEST_TMP/cap" > /dev/null ||
    { echo "Bail out! mkpcap failed"; exit 99; }
db="$TEST_TMP/db"
for c in tcp dirs frags junk; do
	"$FLOWRECD" --read "$TEST_TMP/cap/$c".pcap* --iface cap0 --db "$db" \
	    --no-progress > /dev/null 2>&1 || fail "flowrecd --read $c"
done
"$FLOWRECD" --read "$TEST_TMP/cap/bins.pcap" --iface cap1 --interval 60 \
    --db "$db" --no-progress > /dev/null 2>&1 || fail "flowrecd --read bins"
R="-f 0 -l 2100-01-01T00:00:00Z"

# same NAME ARGS1 -- ARGS2: both print the same and exit the same
same() {
	name=$1
	shift
	a=""
	while [ "$1" != "--" ]; do a="$a $1"; shift; done
	shift
	# shellcheck disable=SC2086
	"$FLOWQ" -d "$db" $a > "$TEST_TMP/a" 2>&1; ra=$?
	"$FLOWQ" -d "$db" "$@" > "$TEST_TMP/b" 2>&1; rb=$?
	sed -i 's/ in [0-9.]*[mµn]*s$//; s/"query_start":"[^"]*"//; s/"query_duration_ns":[0-9]*//' \
	    "$TEST_TMP/a" "$TEST_TMP/b"
	if [ $ra -eq $rb ] && cmp -s "$TEST_TMP/a" "$TEST_TMP/b" &&
	    [ -s "$TEST_TMP/a" ]; then
		pass "$name"
	else
		fail "$name: '$a' exit $ra vs '$*' exit $rb"
		diff "$TEST_TMP/a" "$TEST_TMP/b" | head -10 | sed 's/^/# /'
	fi
}

# ---- goquery's flag spellings
same "--sort.by" $R -s packets -- $R --sort.by packets
same "--sort.ascending" $R -a -- $R --sort.ascending
same "--results.limit" $R -n 2 -- $R --results.limit 2
same "--results.format" $R -e csv -- $R --results.format csv
same "--db.path" $R -e csv -- $R --db.path "$db" -e csv
same "--ifaces --condition" $R -i cap0 -c "dport=53" -- \
    $R --ifaces cap0 --condition "dport=53"
same "--first --last" -f 0 -l 2100-01-01T00:00:00Z -- \
    --first 0 --last 2100-01-01T00:00:00Z
same "--query.time-resolution" $R --resolution 1h time -- \
    $R --query.time-resolution 1h time
same "--query.timeout" $R --timeout 30 -- $R --query.timeout 30s
same "--dns-resolution.*" $R -i cap1 -r talk_conv -- $R -i cap1 \
    --dns-resolution.enabled --dns-resolution.max-rows 25 \
    --dns-resolution.timeout 1s talk_conv
same "--memory.max-pct --memory.low-mode -k" $R -- $R --memory.max-pct 50 \
    --memory.low-mode -k 2s
same "--sort-by (flowq's name)" $R -s packets -- $R --sort-by packets
same "list -v / list --detailed" list -v -- list --detailed
same "list IFACES" list -i cap1 -- list cap1

"$FLOWQ" --memory.max-pct 101 -d "$db" > "$TEST_TMP/o" 2>&1 &&
    fail "--memory.max-pct 101 accepted" || pass "--memory.max-pct 101 refused"

for v in -v --version version; do
	out=$("$FLOWQ" $v 2>&1)
	case "$out" in
	"flowq "[0-9]*) pass "$v: $out" ;;
	*) fail "$v: '$out'" ;;
	esac
done
"$FLOWQ" examples | grep -q "talk_conv" && pass "examples" || fail "examples"
"$FLOWQ" help | grep -q -- "--stored-query" && pass "help: long help" ||
    fail "help"
"$FLOWQ" --help | grep -q -- "--sort.by" && pass "--help" || fail "--help"

# ---- bash completion
comp() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _flowq 2>/dev/null; echo "${COMPREPLY[*]}"' \
	    _ "$top_srcdir/contrib/bash-completion/flowq" "$@"
}
[ "$(comp flowq -d "$db" -i "")" = "any cap0 cap1" ] &&
    pass "completion: -i offers the store's interfaces" ||
    fail "completion -i: '$(comp flowq -d "$db" -i "")'"
[ "$(comp flowq talk_c)" = "talk_conv" ] && pass "completion: query words" ||
    fail "completion talk_c: '$(comp flowq talk_c)'"
[ "$(comp flowq sip,dp)" = "sip,dport" ] && pass "completion: after a comma" ||
    fail "completion sip,dp: '$(comp flowq sip,dp)'"
[ "$(comp flowq --sort.)" = "--sort.by --sort.ascending" ] &&
    pass "completion: goquery's long flags" ||
    fail "completion --sort.: '$(comp flowq --sort.)'"
[ "$(comp flowq -d "$db" list c)" = "cap0 cap1" ] &&
    pass "completion: list IFACES" || fail "completion list: '$(comp flowq -d "$db" list c)'"

# ---- --stored-query: goProbe's JSON Args
printf '{"query":"talk_conv","ifaces":"cap0","first":"0","last":"2100-01-01T00:00:00Z","num_results":3,"format":"csv"}' \
    > "$TEST_TMP/args.json"
same "--stored-query FILE" $R -i cap0 -n 3 -e csv talk_conv -- \
    --stored-query "$TEST_TMP/args.json"
"$FLOWQ" -d "$db" --stored-query - < "$TEST_TMP/args.json" > "$TEST_TMP/o" 2>&1 &&
    cmp -s "$TEST_TMP/o" "$TEST_TMP/b" && pass "--stored-query -" ||
    fail "--stored-query -: $(head -3 "$TEST_TMP/o")"
printf '{"query":"talk_conv","ifaces":"cap0","num_results":"x"}' |
    "$FLOWQ" -d "$db" --stored-query - > "$TEST_TMP/o" 2>&1
grep -q "num_results" "$TEST_TMP/o" && pass "--stored-query: a bad field named" ||
    fail "--stored-query bad: $(cat "$TEST_TMP/o")"

# ---- time order and -n on time queries
"$FLOWQ" -d "$db" $R -i cap1 -e csv time > "$TEST_TMP/t" 2>&1
awk -F, 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1 }' "$TEST_TMP/t" > "$TEST_TMP/ts"
if [ -s "$TEST_TMP/ts" ] && sort -n -c "$TEST_TMP/ts" 2>/dev/null; then
	pass "time: ascending time order ($(wc -l < "$TEST_TMP/ts") bins)"
else
	fail "time: not in time order: $(cat "$TEST_TMP/t")"
fi
first=$(head -1 "$TEST_TMP/ts")
"$FLOWQ" -d "$db" $R -i cap1 -e csv -n 1 -s bytes time > "$TEST_TMP/t1" 2>&1
got=$(awk -F, 'NR == 2 { print $1 }' "$TEST_TMP/t1")
[ "$got" = "$first" ] && pass "time -n 1: the first bin ($got)" ||
    fail "time -n 1: got $got, want $first"

# ---- unknown interface
"$FLOWQ" -d "$db" -i fpt > "$TEST_TMP/o" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "unknown interface 'fpt'" "$TEST_TMP/o" &&
    grep -q "cap0, cap1" "$TEST_TMP/o" &&
    pass "-i fpt: unknown, names the known ones, exit 1" ||
    fail "-i fpt: exit $rc: $(cat "$TEST_TMP/o")"

# ---- names (issue 11 item 6)
for bad in .. ../cap0 "a/b"; do
	"$FLOWQ" -d "$db/cap0" -i "$bad" $R > "$TEST_TMP/o" 2>&1
	rc=$?
	[ $rc -eq 1 ] && grep -q "invalid interface name" "$TEST_TMP/o" &&
	    pass "-i '$bad' refused" || fail "-i '$bad': exit $rc $(cat "$TEST_TMP/o")"
	"$FLOWQ" -d "$db/cap0" -i "$bad" list > "$TEST_TMP/o" 2>&1 &&
	    fail "list -i '$bad' accepted" || pass "list -i '$bad' refused"
	"$FLOWQ" -d "$db/cap0" -i "$bad" sql "SELECT 1" > "$TEST_TMP/o" 2>&1 &&
	    fail "sql -i '$bad' accepted" || pass "sql -i '$bad' refused"
done
esc=$(printf 'x\033[31my')
"$FLOWQ" -d "$db" -i "$esc" > "$TEST_TMP/o" 2>&1
if grep -q "$(printf '\033')" "$TEST_TMP/o"; then
	fail "an escape in -i reaches the terminal raw"
else
	grep -q 'x\\x1b\[31my' "$TEST_TMP/o" && pass "-i with ESC printed escaped" ||
	    fail "-i with ESC: $(cat -v "$TEST_TMP/o")"
fi
mkdir -p "$db/$esc"
cp "$db"/cap1/cap1-*.db "$db/$esc/" 2>/dev/null
"$FLOWQ" -d "$db" list > "$TEST_TMP/o" 2>&1
grep -q "$(printf '\033')" "$TEST_TMP/o" &&
    fail "list prints a directory name with ESC raw" ||
    pass "list leaves out a directory no interface can be named"
rm -rf "$db/$esc"
"$FLOWQ" -d "$db" -i '/(a)\1/' $R > "$TEST_TMP/o" 2>&1 &&
    fail "a back-reference accepted" || pass "-i /(a)\\1/: back-references refused"
long=$(printf '/%0300d/' 0)
"$FLOWQ" -d "$db" -i "$long" $R > "$TEST_TMP/o" 2>&1 &&
    fail "a 300-byte regex accepted" || pass "-i: a 300-byte regex refused"

# ---- flowq sql bounded (issue 11 item 8)
cte="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
"$FLOWQ" -d "$db" sql --query.timeout 1s "$cte" > "$TEST_TMP/o" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "timed out" "$TEST_TMP/o" &&
    pass "sql: --query.timeout ends a recursive CTE" ||
    fail "sql --timeout: exit $rc $(cat "$TEST_TMP/o")"
"$FLOWQ" -d "$db" sql "$cte" > "$TEST_TMP/o" 2>&1 &
pid=$!
n=0
while [ $n -lt 50 ] && ! grep -q . /proc/$pid/stat 2>/dev/null; do
	sleep 0.1; n=$((n + 1))
done
sleep 0.5
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] && pass "sql: SIGINT exits 130" || fail "sql SIGINT: exit $rc"
for f in "fts3_tokenizer('simple')" "zeroblob(1000000000)" \
    "load_extension('x')" "randomblob(1000000000)"; do
	"$FLOWQ" -d "$db" sql "SELECT $f" > "$TEST_TMP/o" 2>&1 &&
	    fail "sql: $f allowed: $(cat "$TEST_TMP/o")" ||
	    pass "sql: $f refused ($(head -c 60 "$TEST_TMP/o"))"
done
"$FLOWQ" -d "$db" sql "SELECT length(replace(printf('%.*c', 10000000, 'x'), 'x', 'xxxxxxxxxx'))" \
    > "$TEST_TMP/o" 2>&1 && fail "sql: a 100 MB value allowed: $(cat "$TEST_TMP/o")" ||
    pass "sql: values past 16 MB refused ($(head -c 60 "$TEST_TMP/o"))"
"$FLOWQ" -d "$db" sql -e json "SELECT iface, count(*) AS n FROM flows GROUP BY 1 ORDER BY 1" \
    > "$TEST_TMP/o" 2>&1
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["columns"]==["iface","n"] and [r[0] for r in d["rows"]]==["cap0","cap1"], d' \
    "$TEST_TMP/o" && pass "sql -e json: streamed, valid JSON" ||
    fail "sql json: $(cat "$TEST_TMP/o")"
"$FLOWQ" -d "$db" sql "$(echo "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 2500) SELECT x FROM c")" \
    > "$TEST_TMP/o" 2>&1
[ "$(grep -c '^ *[0-9][0-9]* *$' "$TEST_TMP/o")" -eq 2500 ] &&
    grep -q "(2500 rows)" "$TEST_TMP/o" && pass "sql txt: 2500 rows in blocks" ||
    fail "sql txt blocks: $(tail -3 "$TEST_TMP/o")"

# ---- broken files among good ones (issue 12 item 7, issue 11 item 5)
bad="$TEST_TMP/bad"
cp -r "$db" "$bad"
good=$(ls "$bad"/cap0/cap0-*.db | head -1)
cp "$good" "$bad/cap0/cap0-2030-01-01.db"
cp "$good" "$bad/cap0/cap0-2030-01-02.db"
cp "$good" "$bad/cap0/cap0-2030-01-03.db"
# corrupt: pages overwritten; truncated; zero length; foreign SQLite
dd if=/dev/urandom of="$bad/cap0/cap0-2030-01-01.db" bs=4096 seek=1 count=8 \
    conv=notrunc 2>/dev/null
truncate -s 6000 "$bad/cap0/cap0-2030-01-02.db"
: > "$bad/cap0/cap0-2030-01-03.db"
sqlite3 "$bad/cap0/cap0-2030-01-04.db" "CREATE TABLE t(x); INSERT INTO t VALUES (1)"
echo x > "$bad/cap1/cap1-2030-01-05.db"
"$FLOWQ" -d "$db" $R -e csv talk_conv > "$TEST_TMP/want" 2>&1
"$FLOWQ" -d "$bad" $R -e csv talk_conv > "$TEST_TMP/got" 2> "$TEST_TMP/err"
rc=$?
[ $rc -eq 0 ] && pass "broken files: exit 0" || fail "broken files: exit $rc $(cat "$TEST_TMP/err")"
cmp -s "$TEST_TMP/want" "$TEST_TMP/got" &&
    pass "broken files: the good files' answer, unchanged" ||
    fail "broken files changed the answer: $(diff "$TEST_TMP/want" "$TEST_TMP/got" | head -5)"
for d in 01 02 03 04; do
	grep -q "cap0-2030-01-$d.db" "$TEST_TMP/err" &&
	    pass "broken file 2030-01-$d named on stderr" ||
	    fail "2030-01-$d not named: $(cat "$TEST_TMP/err")"
done
grep -q "cap1-2030-01-05.db" "$TEST_TMP/err" && pass "cap1's broken file named" ||
    fail "cap1-2030-01-05 not named"
"$FLOWQ" -d "$bad" $R talk_conv 2>/dev/null | grep -q "Skipped files *: 5" &&
    pass "txt footer counts 5 skipped files" || fail "txt footer: no skipped count"
"$FLOWQ" -d "$bad" $R -e json talk_conv 2>/dev/null |
    grep -q '"blocks_corrupted":5' && pass "json: summary.stats.blocks_corrupted 5" ||
    fail "json: blocks_corrupted"
"$FLOWQ" -d "$bad" list > "$TEST_TMP/o" 2> "$TEST_TMP/err"
rc=$?
# list reads only the bins table: a file damaged elsewhere still lists
[ $rc -eq 0 ] && grep -q "Skipped files *: [45]" "$TEST_TMP/o" &&
    grep -q "cap0-2030-01-02.db" "$TEST_TMP/err" &&
    grep -q "cap0" "$TEST_TMP/o" &&
    pass "list: shows cap0 and the skipped files, names them" ||
    fail "list: exit $rc $(cat "$TEST_TMP/o" "$TEST_TMP/err")"
"$FLOWQ" -d "$bad" -i cap1 -f 2030-01-05T00:00:00Z -l 2030-01-05T23:00:00Z \
    > "$TEST_TMP/o" 2>&1
[ $? -eq 1 ] && grep -q "no day file in range could be read" "$TEST_TMP/o" &&
    pass "only broken files: exit 1 with the reason" ||
    fail "only broken files: $(cat "$TEST_TMP/o")"
done_testing
