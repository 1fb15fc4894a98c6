#!/bin/bash
# live_kill9.sh - kill -9 in the middle of write-outs: every DB passes
# PRAGMA integrity_check, and a restarted flowrecd writes to the same
# files again.  Small bins (max_flows) under many flows make flowrecd
# write early over and over, so the kill lands during a write.
. "${top_srcdir:-.}/tests/integ/live_lib.sh"

mk_pair
start_fr $NSB -i $IFB --db "$T/db" --max-flows 2048 -v
wait_log "$IFB: recording"
printf '300000 4 17 198.51.100.1 198.51.100.2 40000 1000 payload=18 dports=30000\n' >"$T/spec"
ip netns exec $NSA "$LIVESEND" $IFA <"$T/spec" >/dev/null &
SENDER=$!
# Kill once several bins have been written, while more are.
wait_for 30 sh -c "[ \$(grep -c 'written:' '$T/fr.err') -ge 5 ]" ||
	fail "no early writes"
kill -KILL $FR_PID
wait $FR_PID 2>/dev/null
wait $SENDER
n=0
for f in "$T/db/$IFB"/*.db; do
	r=$(sqlite3 "$f" 'PRAGMA integrity_check') || fail "$f: sqlite3 failed"
	[ "$r" = ok ] || fail "$f: integrity_check: $r"
	n=$((n + 1))
done
[ $n -ge 1 ] || fail "no DB file"
before=$(binsum "$T/db" $IFB writes)
pass "kill -9 during write-outs: $n DB files pass integrity_check ($before bin writes)"

start_fr $NSB -i $IFB --db "$T/db" --max-flows 2048 -v
wait_log "$IFB: recording"
printf '1000 4 17 198.51.100.3 198.51.100.4 40000 53 payload=18\n' | ip netns exec $NSA "$LIVESEND" $IFA >/dev/null
stop_fr TERM
for f in "$T/db/$IFB"/*.db; do
	[ "$(sqlite3 "$f" 'PRAGMA integrity_check')" = ok ] || fail "$f after restart"
done
rows "$T/db" $IFB | grep -q '^198.51.100.3,198.51.100.4,53,17,0,' || fail "no row after restart"
[ "$(binsum "$T/db" $IFB writes)" -gt "$before" ] || fail "nothing written after restart"
pass "restart after kill -9: writes go on into the same files"
exit 0
