#!/bin/sh
# torn_read.sh - flowq reads a finished day while flowrecd --read adds bins
# to it (issue 11 item 1).  The day's file is read as immutable (no locks)
# and the writer checkpoints a past day only when no such reader holds
# the directory's lock: every answer must be a state the store was in
# (the first bins, then one more bin per transaction), never a mix, never
# "malformed".  The case is run over and over, within a bound of queries
# and of seconds (TORN_QUERIES, TORN_SECONDS).
. "$(dirname "$0")/lib.sh"

command -v sqlite3 > /dev/null || skip_all "no sqlite3 (the states are read with it)"
MAXQ=${TORN_QUERIES:-300}
BUDGET=${TORN_SECONDS:-100}
cd "$TEST_TMP" || exit 99
"$MKPCAP" --day a.pcap 0 30 && "$MKPCAP" --day b.pcap 30 15 ||
	{ echo "Bail out! mkpcap failed"; exit 99; }
"$FLOWRECD" --read a.pcap --iface cap0 --db base > /dev/null 2>&1 ||
	{ echo "Bail out! the first bins were not written"; exit 99; }

# The states, from a run nobody reads: the first bins, then B's one by one.
cp -a base ref
"$FLOWRECD" --read b.pcap --iface cap0 --db ref > /dev/null 2>&1 ||
	{ echo "Bail out! the reference run failed"; exit 99; }
sqlite3 ref/cap0/cap0-2023-11-15.db "SELECT ts, pkts_rcvd + pkts_sent,
    bytes_rcvd + bytes_sent FROM bins ORDER BY ts" | awk -F'|' '
	{ p += $2; b += $3 }
	$1 >= 1700006400 + 30 * 300 { print p, b; next }
	{ bp = p; bb = b }
	END { print bp, bb }' | sort -n > states
nstates=$(wc -l < states)
if [ "$nstates" -eq 16 ]; then
	pass "16 states: the first 30 bins, then 15 more one by one"
else
	fail "$nstates states, want 16"
fi

# The totals of flowq's JSON answer (goProbe's summary.totals: br, bs,
# pr, ps, the zero ones left out): "packets bytes".
totals() {
	tr -d ' \n' < "$1" | sed -n 's/.*"totals":{\([^}]*\)}.*/\1/p' |
	    tr ',' '\n' | awk -F: '$1 ~ /^"b[rs]"$/ { b += $2 }
	    $1 ~ /^"p[rs]"$/ { p += $2 } END { print p + 0, b + 0 }'
}

# query N ARGS...: one flowq beside the writer, its answer judged.
query() {
	qn=$1
	shift
	if ! "$FLOWQ" -d w -f 0 -e json "$@" > "out$qn" 2> "err$qn"; then
		echo "failed" > "verdict$qn"
		echo "# query $qn ($*): $(cat "err$qn")"
	elif ! grep -qx "$(totals "out$qn")" states; then
		echo "torn" > "verdict$qn"
		echo "# query $qn ($*): totals $(totals "out$qn"), a state the store never was in"
	else
		echo "ok" > "verdict$qn"
	fi
}

# A round: a writer adds B's bins to a copy of the day; readers open the
# file as it starts (before its first commit: the file is then read as
# immutable) and while it runs.
start=$(date +%s)
n=0 runs=0 last=""
while [ $n -lt "$MAXQ" ] && [ $(($(date +%s) - start)) -lt "$BUDGET" ]; do
	rm -rf w
	cp -a base w
	"$FLOWRECD" --read b.pcap --iface cap0 --db w > /dev/null 2> w.err &
	pid=$!
	sleep "0.$((runs % 4))"
	query $((n + 1)) -n 1 raw &
	sleep 0.1
	query $((n + 2)) --sum proto &
	n=$((n + 2))
	while kill -0 $pid 2> /dev/null && [ $n -lt "$MAXQ" ]; do
		n=$((n + 1))
		query $n -n 1 raw
	done
	wait $pid || { fail "writer run $runs: $(cat w.err)"; break; }
	wait
	runs=$((runs + 1))
	"$FLOWQ" -d w -f 0 -e json --sum proto > out 2> err
	last=$(totals out)
done
echo "# $n queries over $runs writer runs in $(($(date +%s) - start)) s"
[ $n -gt 0 ] && [ $runs -gt 0 ] || fail "no query ran beside a writer"
failed=$(cat verdict* | grep -c failed)
torn=$(cat verdict* | grep -c torn)
if [ "$failed" -eq 0 ]; then
	pass "$n queries beside the writer: none failed"
else
	fail "$failed of $n queries beside the writer failed"
fi
if [ "$torn" -eq 0 ]; then
	pass "$n queries beside the writer: each saw a state the store was in"
else
	fail "$torn of $n queries saw totals of no state the store was ever in"
fi
if [ "$last" = "$(tail -n 1 states)" ]; then
	pass "after the writer, the whole day: $last"
else
	fail "after the writer: $last, want $(tail -n 1 states)"
fi
done_testing
