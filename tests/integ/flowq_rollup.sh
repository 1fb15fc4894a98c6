#!/bin/sh
# flowq_rollup.sh - flowq's answers from schema v2 rollups equal, byte for
# byte, its answers from flow_rows alone (FLOWQ_NO_ROLLUPS=1) and from a
# version 1 copy of the same files:
#  - full: a day and a half read by flowrecd (rollups built by the store),
#    then a shifted capture of the same hours read into it (rolled-up hours
#    written again, their rollups dropped and rebuilt);
#  - partial: a copy where a day's rollup and some hours are no longer
#    listed, their rows left behind and falsified (unlisted rows must not
#    be read);
#  - declined: read with FLOWREC_ROLLUP_MIN_RATIO=2, so that every hour
#    and two days are declined (listed with rows -1) and one day is kept;
#  - gen: days written by bench/query_gen -r (every hour and day rolled up)
#    and a v1 twin.
# Ranges start and end on, just before and just after bin, hour and day
# boundaries; queries scan, seek, bucket time by 5m/1h/2h/1d, filter by
# direction, on one thread and on several.  --sql shows which tables were
# read, so the test also checks that the rollups are used (the equality
# would hold trivially otherwise), and a falsified listed rollup must show.
. "$(dirname "$0")/lib.sh"

export TZ=UTC LC_ALL=C
GEN="$top_builddir/bench/query_gen"
[ -x "$FLOWQ" ] || { echo "Bail out! $FLOWQ not built"; exit 99; }
[ -x "$GEN" ] || { echo "Bail out! $GEN not built"; exit 99; }
command -v sqlite3 > /dev/null || skip_all "no sqlite3"

"$MKPCAP" --long "$TEST_TMP/a.pcap" || exit 99
"$MKPCAP" --long-shifted "$TEST_TMP/b.pcap" || exit 99
# Every rollup kept: these small captures compress far less than the
# store's default ratio asks (13); "declined" below uses a ratio of 2.
export FLOWREC_ROLLUP_MIN_RATIO=1
full="$TEST_TMP/full"
"$FLOWRECD" --read "$TEST_TMP/a.pcap" --iface t0 --db "$full" --no-progress \
    > /dev/null 2>&1 || fail "flowrecd --read a"
"$FLOWRECD" --read "$TEST_TMP/b.pcap" --iface t0 --db "$full" --no-progress \
    > /dev/null 2>&1 || fail "flowrecd --read b"
"$FLOWRECD" --read "$TEST_TMP/a.pcap" --iface t1 --db "$full" --no-progress \
    > /dev/null 2>&1 || fail "flowrecd --read a (t1)"
declined="$TEST_TMP/declined"
FLOWREC_ROLLUP_MIN_RATIO=2 "$FLOWRECD" --read "$TEST_TMP/a.pcap" --iface t0 \
    --db "$declined" --no-progress > /dev/null 2>&1 || fail "flowrecd --read a (ratio 2)"

# The capture's days: 2023-11-14 (from 18:00), 11-15, 11-16 (to 07:55).
D=1700006400			# 2023-11-15 00:00
H=$((D + 5 * 3600))		# 05:00
H2=$((D + 9 * 3600))		# 09:00
sip=$(sqlite3 "$full/t0/t0-2023-11-15.db" "SELECT s.text FROM flow_keys AS k
    JOIN addrs AS s ON s.id = k.sip GROUP BY 1 ORDER BY count(*) DESC, 1
    LIMIT 1")
ranges="0:4102444800 $D:$((D + 86399)) $D:$((D + 86400)) $((D - 1)):$((D + 86399))
$((D + 1)):$((D + 86398)) $((H - 1)):$H2 $H:$((H2 - 1)) $((H + 1)):$((H2 + 1))
$((H + 299)):$((H2 + 3599)) $((H + 300)):$((H2 + 3600)) $((D + 3 * 3600 + 1020)):$((D + 13 * 3600))
$((H - 299)):$((H2 + 3299)) $((H - 300)):$((H2 + 3300))
$((D - 7200)):$((D + 4 * 3600)) $((D - 300)):$((D + 86400 + 3 * 3600 + 1))"

# run STORE ENV RANGE ARGS...: flowq's CSV answer (or its error)
run() {
	store=$1 envv=$2 r=$3
	shift 3
	env $envv "$FLOWQ" -d "$store" -f "${r%:*}" -l "${r#*:}" -e csv "$@" 2>&1
	echo "exit $?"
}

# same NAME STORE_A ENV_A STORE_B ENV_B ARGS...: equal answers, every range
same() {
	name=$1 sa=$2 ea=$3 sb=$4 eb=$5
	shift 5
	bad=
	for r in $ranges; do
		run "$sa" "$ea" "$r" "$@" > "$TEST_TMP/a"
		run "$sb" "$eb" "$r" "$@" > "$TEST_TMP/b"
		if ! cmp -s "$TEST_TMP/a" "$TEST_TMP/b"; then
			bad="$bad $r"
			diff "$TEST_TMP/a" "$TEST_TMP/b" | head -6 | sed 's/^/# /'
		fi
	done
	[ -z "$bad" ] && pass "$name: flowq $*" || fail "$name: flowq $*:$bad"
}

queries() {	# queries NAME STORE_A ENV_A STORE_B ENV_B [all]
	same "$1" "$2" "$3" "$4" "$5" -n 0 --threads 1 talk_conv
	same "$1" "$2" "$3" "$4" "$5" -n 0 --threads 4 agg_talk_port
	same "$1" "$2" "$3" "$4" "$5" -n 0 -c "sip = $sip" talk_dst
	same "$1" "$2" "$3" "$4" "$5" -n 0 --threads 3 --resolution 1h time,sip
	same "$1" "$2" "$3" "$4" "$5" -n 0 --resolution 1d time,iface
	[ -n "${6:-}" ] || return 0
	same "$1" "$2" "$3" "$4" "$5" -n 0 -c "proto = 6 | proto = 17" apps_port
	same "$1" "$2" "$3" "$4" "$5" -n 0 -c "sip = $sip" --resolution 1h time,dip
	same "$1" "$2" "$3" "$4" "$5" -n 0 -c "dir = in" -s packets --sum talk_src
	same "$1" "$2" "$3" "$4" "$5" -n 0 --in -a dport
	same "$1" "$2" "$3" "$4" "$5" -n 7 talk_src
	same "$1" "$2" "$3" "$4" "$5" -n 0 --resolution 1h -s time time,proto
	same "$1" "$2" "$3" "$4" "$5" -n 0 --resolution 2h time,dip
	same "$1" "$2" "$3" "$4" "$5" -n 0 --resolution 5m time,proto
	same "$1" "$2" "$3" "$4" "$5" -n 0 --resolution auto time
	same "$1" "$2" "$3" "$4" "$5" -n 0 -c "dport < 1000" raw
}

# sql_tables STORE ENV RANGE ARGS...: the tables flowq read, sorted
sql_tables() {
	store=$1 envv=$2 r=$3
	shift 3
	env $envv "$FLOWQ" -d "$store" -f "${r%:*}" -l "${r#*:}" --sql "$@" \
	    2>&1 > /dev/null | sed -n 's/^--   .*: \(flow_rows[_a-z0-9]*\) ts.*/\1/p' |
	    sort -u | tr '\n' ' '
}

# ---- full: the store's own rollups
queries full "$full" "" "$full" FLOWQ_NO_ROLLUPS=1 all
t=$(sql_tables "$full" "" "$D:$((D + 86399))" -i t0 talk_conv)
[ "$t" = "flow_rows flow_rows_1d " ] && pass "a whole day is read from flow_rows_1d" ||
    fail "a whole day: tables '$t'"
t=$(sql_tables "$full" "" "$((H + 1)):$((H2 + 1))" -i t0 -c "sip = $sip" talk_dst)
[ "$t" = "flow_rows flow_rows_1h " ] && pass "whole hours are read from flow_rows_1h" ||
    fail "whole hours: tables '$t'"
t=$(sql_tables "$full" "" "$D:$((D + 86399))" -i t0 --resolution 1h time)
[ "$t" = "flow_rows flow_rows_1h " ] && pass "--resolution 1h reads hours, not the day" ||
    fail "--resolution 1h: tables '$t'"
t=$(sql_tables "$full" "" "$D:$((D + 86399))" -i t0 time)
[ "$t" = "flow_rows " ] && pass "time in bins reads no rollup" ||
    fail "time in bins: tables '$t'"
t=$(sql_tables "$full" FLOWQ_NO_ROLLUPS=1 "$D:$((D + 86399))" -i t0 talk_conv)
[ "$t" = "flow_rows " ] && pass "FLOWQ_NO_ROLLUPS=1 reads flow_rows only" ||
    fail "FLOWQ_NO_ROLLUPS=1: tables '$t'"

# ---- declined: rollups listed with rows -1 are never read
queries declined "$declined" "" "$declined" FLOWQ_NO_ROLLUPS=1
n=$(for f in "$declined"/t0/*.db; do sqlite3 "$f" "SELECT sum(rows < 0) || ' ' ||
    sum(rows >= 0) FROM rollups"; done | awk '{ d += $1; k += $2 } END { print d, k }')
[ "$n" = "37 1" ] && pass "ratio 2: 37 rollups declined, 1 kept" ||
    fail "ratio 2: declined, kept: $n"
t=$(sql_tables "$declined" "" "$D:$((D + 86399))" -i t0 talk_conv)
[ "$t" = "flow_rows flow_rows_1d " ] && pass "declined: the kept day is read from flow_rows_1d" ||
    fail "declined: a whole day: tables '$t'"
t=$(sql_tables "$declined" "" "$((H + 1)):$((H2 + 1))" -i t0 -c "sip = $sip" talk_dst)
[ "$t" = "flow_rows " ] && pass "declined: declined hours are read from flow_rows" ||
    fail "declined: whole hours: tables '$t'"

# ---- version 1 twin: no rollups read, same answers
v1="$TEST_TMP/v1"
cp -R "$full" "$v1"
for f in "$v1"/*/*.db; do
	sqlite3 "$f" "PRAGMA user_version = 1" || fail "user_version 1: $f"
done
t=$(sql_tables "$v1" "" "$D:$((D + 86399))" -i t0 talk_conv)
[ "$t" = "flow_rows " ] && pass "a version 1 file is read from flow_rows" ||
    fail "version 1: tables '$t'"
same v1 "$full" "" "$v1" "" -n 0 talk_conv
same v1 "$full" "" "$v1" "" -n 0 --resolution 1h time,proto

# ---- partial: unlisted rollups, their rows left behind and falsified
part="$TEST_TMP/part"
cp -R "$full" "$part"
sqlite3 "$part/t0/t0-2023-11-15.db" "
    DELETE FROM rollups WHERE span = 86400 OR (span = 3600 AND ts IN
        ($((D + 3 * 3600)), $((D + 6 * 3600)), $((D + 7 * 3600)), $((D + 20 * 3600))));
    UPDATE flow_rows_1h SET bytes_rcvd = bytes_rcvd + 1000003, pkts_rcvd = pkts_rcvd + 7
        WHERE ts IN ($((D + 3 * 3600)), $((D + 6 * 3600)));
    UPDATE flow_rows_1d SET bytes_rcvd = bytes_rcvd + 1000003;" ||
    fail "making the partial store"
sqlite3 "$part/t0/t0-2023-11-16.db" "DELETE FROM rollups WHERE span = 3600 AND
    ts = $((D + 86400 + 2 * 3600))" || fail "making the partial store"
queries partial "$part" "" "$part" FLOWQ_NO_ROLLUPS=1
same "partial vs full" "$part" "" "$full" FLOWQ_NO_ROLLUPS=1 -n 0 talk_conv
same "partial vs full" "$part" "" "$full" FLOWQ_NO_ROLLUPS=1 -n 0 \
    --resolution 1d time,sip
t=$(sql_tables "$part" "" "$D:$((D + 86399))" -i t0 talk_conv)
[ "$t" = "flow_rows flow_rows_1h " ] && pass "a day without its rollup is read by hours" ||
    fail "partial day: tables '$t'"

# ---- a falsified listed rollup shows: the comparisons can fail
bad="$TEST_TMP/bad"
cp -R "$full" "$bad"
sqlite3 "$bad/t0/t0-2023-11-15.db" "UPDATE flow_rows_1d SET bytes_rcvd =
    bytes_rcvd + 5 WHERE key = (SELECT min(key) FROM flow_rows_1d)" ||
    fail "falsifying a rollup"
run "$bad" "" "$D:$((D + 86399))" -i t0 -n 0 talk_conv > "$TEST_TMP/a"
run "$bad" FLOWQ_NO_ROLLUPS=1 "$D:$((D + 86399))" -i t0 -n 0 talk_conv > "$TEST_TMP/b"
cmp -s "$TEST_TMP/a" "$TEST_TMP/b" && fail "a falsified day rollup went unseen" ||
    pass "a falsified day rollup shows in the answer"

# ---- gen: bench/query_gen -r (rollups summed from the written rows)
gen="$TEST_TMP/gen"
"$GEN" -r "$gen" g0 2023-11-15 288 40 150 1 > /dev/null &&
"$GEN" -r "$gen" g0 2023-11-16 288 40 150 2 > /dev/null &&
"$GEN" -r "$gen" g0 2023-11-14 96 60 200 3 > /dev/null ||
    fail "query_gen -r"
gsip=$(sqlite3 "$gen/g0/g0-2023-11-15.db" "SELECT s.text FROM flow_keys AS k
    JOIN addrs AS s ON s.id = k.sip GROUP BY 1 ORDER BY count(*) DESC, 1
    LIMIT 1")
n=$(sqlite3 "$gen/g0/g0-2023-11-15.db" "SELECT count(*) FROM rollups")
[ "$n" = 25 ] && pass "query_gen -r lists 24 hours and the day" ||
    fail "query_gen -r: $n rollups"
genv1="$TEST_TMP/genv1"
"$GEN" "$genv1" g0 2023-11-15 288 40 150 1 > /dev/null &&
"$GEN" "$genv1" g0 2023-11-16 288 40 150 2 > /dev/null &&
"$GEN" "$genv1" g0 2023-11-14 96 60 200 3 > /dev/null ||
    fail "query_gen (v1)"
sip=$gsip
queries gen "$gen" "" "$genv1" "" all

# ---- threads: a scan big enough for several jobs, whose flushes load
# the dictionary while another job reads (once a deadlock: two threads on
# one connection, then an error reported with the lock held).
thr="$TEST_TMP/thr"
"$GEN" -r "$thr" e0 2023-11-15 288 800 15000 5 > /dev/null || fail "query_gen -r (threads)"
r="1700006400:1700092800"
for q in "--resolution 1h time,proto,sip" "talk_conv" "--resolution 5m time,dport"; do
	env FLOWQ_NO_ROLLUPS=1 timeout 120 "$FLOWQ" -d "$thr" -f "${r%:*}" \
	    -l "${r#*:}" -n 0 -e csv --threads 1 $q > "$TEST_TMP/a" 2>&1
	echo "exit $?" >> "$TEST_TMP/a"
	for t in 2 3; do
		env FLOWQ_NO_ROLLUPS=1 timeout 120 "$FLOWQ" -d "$thr" \
		    -f "${r%:*}" -l "${r#*:}" -n 0 -e csv --threads $t $q \
		    > "$TEST_TMP/b" 2>&1
		echo "exit $?" >> "$TEST_TMP/b"
		cmp -s "$TEST_TMP/a" "$TEST_TMP/b" &&
		    pass "threads $t: flowq $q" ||
		    fail "threads $t: flowq $q: $(tail -1 "$TEST_TMP/b")"
	done
done
done_testing
