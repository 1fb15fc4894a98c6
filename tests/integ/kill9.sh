#!/bin/sh
# kill9.sh - a store writer killed with SIGKILL in the middle of large
# write transactions leaves every day file consistent: integrity_check is
# ok, each bin's counters agree with its rows (a bin is in whole or not at
# all), every bin the writer reported committed is there, and the next
# writer opens the files and writes on (into the same bins too).
#
# The writer is bench/store_bench fill: bins of 40000 rows, each written
# in one transaction, "writing TS" printed before and "wrote TS" after.
# Most kills must land between the two.  It runs twice: with bins 300 s
# apart (SQL transactions into one day), and a day apart, so that every
# bin is the first of its day and is laid out by btload into a ".new"
# file renamed when whole: a kill there must leave no day file at all,
# and a later writer must write over the ".new" it left.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || skip_all "no sqlite3 command"
WRITER="$top_builddir/bench/store_bench"
[ -x "$WRITER" ] || skip_all "no $WRITER (make check builds it)"

ROWS=${KILL9_ROWS:-40000}
ROUNDS=${KILL9_ROUNDS:-6}

# rand MAX: a random number in [0, MAX).
rand() { echo $(( $(od -An -N2 -tu2 /dev/urandom) % $1 )); }

# check DB ROUND: every file consistent, every reported bin present.
check() {
	for f in "$1"/fill0/fill0-*.db; do
		[ -f "$f" ] || { fail "$2: no day file"; return; }
		r=$(sqlite3 -batch "$f" 'PRAGMA integrity_check' 2>&1)
		[ "$r" = ok ] || { fail "$2: $f: integrity_check: $r"; return; }
		bad=$(sqlite3 -batch "$f" "SELECT count(*) FROM bins AS b
		    LEFT JOIN (SELECT ts, count(*) AS n, total(bytes_rcvd) AS br,
		    total(pkts_sent) AS ps FROM flow_rows GROUP BY ts) AS r
		    USING (ts) WHERE b.flows != ifnull(r.n, 0) OR
		    b.bytes_rcvd != ifnull(r.br, 0) OR b.pkts_sent != ifnull(r.ps, 0)"
		    2>&1)
		[ "$bad" = 0 ] || { fail "$2: $f: $bad bins disagree with their rows"; return; }
		orphans=$(sqlite3 -batch "$f" "SELECT (SELECT count(*) FROM
		    flow_rows WHERE key NOT IN (SELECT id FROM flow_keys)) +
		    (SELECT count(*) FROM flow_rows WHERE ts NOT IN
		    (SELECT ts FROM bins)) + (SELECT count(*) FROM bins)
		    - (SELECT count(DISTINCT ts) FROM flow_rows)" 2>&1)
		[ "$orphans" = 0 ] || { fail "$2: $f: $orphans rows without key or bin, or bins without rows"; return; }
	done
	for ts in $(sed -n 's/^wrote //p' "$TEST_TMP/out"); do
		day=$(date -u -d "@$ts" +%Y-%m-%d)
		n=$(sqlite3 -batch "$1/fill0/fill0-$day.db" \
		    "SELECT writes >= 1 FROM bins WHERE ts = $ts" 2>&1)
		[ "$n" = 1 ] || { fail "$2: committed bin $ts missing ($n)"; return; }
	done
	pass "$2: $(grep -c '^wrote' "$TEST_TMP/out") commits; files consistent"
}

# rounds DB STEP: ROUNDS writers killed at random, then one to its end.
rounds() {
	db=$1 step=$2 midwrite=0 round=1
	while [ $round -le $ROUNDS ]; do
		# Overlapping bins: later rounds write into bins written before.
		first=$(( (round - 1) * 2 ))
		"$WRITER" fill "$db" $ROWS 0 $first $step >"$TEST_TMP/out" 2>"$TEST_TMP/err" &
		pid=$!
		# Ready when one bin is committed; then kill at a random moment.
		i=0
		while ! grep -q '^wrote' "$TEST_TMP/out" 2>/dev/null; do
			kill -0 $pid 2>/dev/null || break
			i=$((i + 1))
			[ $i -lt 6000 ] || break
			sleep 0.01
		done
		if ! kill -0 $pid 2>/dev/null; then
			fail "step $step round $round: the writer died: $(cat "$TEST_TMP/err")"
			return
		fi
		sleep "0.$(rand 10)$(rand 10)"
		kill -KILL $pid
		wait $pid 2>/dev/null
		last=$(tail -n 1 "$TEST_TMP/out")
		case $last in writing*) midwrite=$((midwrite + 1)) ;; esac
		check "$db" "step $step round $round (killed ${last%% *})"
		# A day whose first write was killed has no file (step 86400).
		if [ "$step" = 86400 ] && [ "${last%% *}" = writing ]; then
			day=$(date -u -d "@${last#* }" +%Y-%m-%d)
			if [ -f "$db/fill0/fill0-$day.db" ] &&
			    ! sqlite3 -batch "$db/fill0/fill0-$day.db" \
			    "SELECT 1 FROM bins WHERE ts = ${last#* }" | grep -q 1; then
				fail "step $step round $round: $day has a file without its bin"
			fi
		fi
		round=$((round + 1))
	done

	# A last writer runs to its end in the same files (over any .new).
	if "$WRITER" fill "$db" 1000 3 1 $step >"$TEST_TMP/out" 2>"$TEST_TMP/err"; then
		pass "step $step: a writer after the kills opens the files and writes"
	else
		fail "step $step: writer after the kills: $(cat "$TEST_TMP/err")"
	fi
	check "$db" "step $step: after the last writer"
	[ $midwrite -ge $((ROUNDS / 2)) ] &&
		pass "step $step: $midwrite of $ROUNDS kills landed in a write" ||
		fail "step $step: only $midwrite of $ROUNDS kills landed in a write"
}

rounds "$TEST_TMP/db" 300
rounds "$TEST_TMP/days" 86400
done_testing
