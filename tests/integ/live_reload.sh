#!/bin/bash
# live_reload.sh - the configuration file is watched: an interface added,
# changed and removed by editing the file (in place, and the way editors
# do it, a new file renamed over the old one), while another interface
# records a steady stream untouched: it is never restarted, loses no
# packet (every frame sent is counted, no kernel drop) and has every 1 s
# bin from its first to its last (no gap).  A broken file on reload is
# refused with file, line and key, and the running configuration goes on.
. "${top_srcdir:-.}/tests/integ/live_lib.sh"

mk_pair
IFA2=ra$TAG IFB2=rb$TAG
ip link add $IFA2 netns $NSA type veth peer name $IFB2 netns $NSB
ip -n $NSA link set $IFA2 up; ip -n $NSB link set $IFB2 up
CONF=$T/conf.yaml
RING="ring: {block_size: 65536, block_count: 8, retire_ms: 20}"
# edit how: "inplace" truncates and writes the file, "rename" renames a
# new file over it
edit() {
	local how=$1
	shift
	if [ "$how" = inplace ]; then
		printf '%s\n' "$@" >"$CONF"
	else
		printf '%s\n' "$@" >"$T/conf.new"
		mv "$T/conf.new" "$CONF"
	fi
}
count() { grep -c -- "$1" "$T/fr.err"; }

edit inplace "db_path: $T/db" "interval: 1" "interfaces:" \
	"  $IFB: {$RING}"
start_fr $NSB -c "$CONF"
wait_log "$IFB: recording"

# A steady stream on IFB until told to stop: 20 frames every 20 ms.
printf '20 4 17 198.51.100.1 198.51.100.2 40000 7000 payload=10\n' >"$T/spec"
(
	n=0
	while [ ! -e "$T/stop" ]; do
		ip netns exec $NSA "$LIVESEND" $IFA <"$T/spec" >/dev/null ||
			exit 1
		n=$((n + 20))
		echo $n >"$T/sent"
		date +%s >>"$T/secs"
		sleep 0.02
	done
) &
SENDER=$!
wait_for 10 test -s "$T/sent" || fail "sender"

# 1. Add IFB2, renaming a new file over the old one.
edit rename "db_path: $T/db" "interval: 1" "interfaces:" \
	"  $IFB: {$RING}" "  $IFB2: {$RING}"
wait_log "$IFB2: recording"
grep -q "file changed: re-read $CONF" "$T/fr.err" || fail "no reload logged"
printf '30 4 17 198.51.100.1 198.51.100.2 40000 8001 payload=10\n' |
	ip netns exec $NSA "$LIVESEND" $IFA2 >/dev/null || fail "send on $IFA2"
pass "an edit (rename over) added $IFB2"

# 2. Change IFB2's snaplen in place: it alone is restarted.
edit inplace "db_path: $T/db" "interval: 1" "interfaces:" \
	"  $IFB: {$RING}" "  $IFB2: {snaplen: 256, $RING}"
wait_log "$IFB2: settings changed; restarting it"
wait_for 10 sh -c "[ \$(grep -c '$IFB2: recording' '$T/fr.err') = 2 ]" ||
	fail "$IFB2 not restarted"
grep -q "$IFB2: recording.*snaplen 256" "$T/fr.err" ||
	fail "$IFB2 restarted without its new snaplen"
printf '40 4 17 198.51.100.1 198.51.100.2 40000 8002 payload=10\n' |
	ip netns exec $NSA "$LIVESEND" $IFA2 >/dev/null || fail "send on $IFA2"
pass "an edit (in place) changed $IFB2: restarted with snaplen 256"

# 3. A broken file: refused, named, nothing changes.
edit rename "db_path: $T/db" "interval: 1" "interfaces:" \
	"  $IFB: {$RING}" "  $IFB2: {snaplen: 256, ring: {block_size: 5000}}"
wait_log "keeping the running configuration"
msg=$(grep -o "file changed: .*keeping the running configuration" "$T/fr.err")
case "$msg" in
*"$CONF:5: key 'interfaces.$IFB2.ring.block_size': 5000 is not a power of two"*) ;;
*) fail "broken file: $msg" ;;
esac
pass "a broken file is refused: $msg"
printf '50 4 17 198.51.100.1 198.51.100.2 40000 8003 payload=10\n' |
	ip netns exec $NSA "$LIVESEND" $IFA2 >/dev/null || fail "send on $IFA2"

# 4. Remove IFB2; SIGHUP with nothing changed changes nothing.
edit rename "db_path: $T/db" "interval: 1" "interfaces:" "  $IFB: {$RING}"
wait_log "$IFB2: stopped"
grep -q "^$IFB2: kernel_packets=" "$T/fr.out" || fail "no exit line for $IFB2"
n=$(count "re-read $CONF")
kill -HUP $FR_PID
wait_for 10 sh -c "[ \$(grep -c 're-read $CONF' '$T/fr.err') -gt $n ]" ||
	fail "SIGHUP not logged"
pass "an edit removed $IFB2; SIGHUP re-read the same file"

# Enough bins for "no gap" to mean something.
has_bins() {	# has_bins IFACE N: at least N bins written
	[ "$(for f in "$T/db/$1"/*.db; do [ -f "$f" ] &&
		sqlite3 -readonly "$f" 'SELECT count(*) FROM bins'; done 2>/dev/null |
		awk '{ s += $1 } END { print s + 0 }')" -ge $2 ]
}
wait_for 20 has_bins $IFB 6 ||
	fail "$IFB: fewer than 6 bins written"
touch "$T/stop"
wait $SENDER || fail "sender failed"
sent=$(cat "$T/sent")
stop_fr TERM

[ "$(count "$IFB: recording")" = 1 ] || fail "$IFB was restarted"
[ "$(count "$IFB: settings changed")" = 0 ] || fail "$IFB was changed"
[ "$(count "$IFB: stopped")" = 1 ] || fail "$IFB was stopped early"
drops=$(exitline $IFB kernel_drops)
[ "$drops" = 0 ] || fail "$IFB: $drops kernel drops"
got=$(rows "$T/db" $IFB | awk -F, '$3 == 7000 { p += $8 } END { print p + 0 }')
[ "$got" = "$sent" ] || fail "$IFB: $got packets recorded of $sent sent"
# No gap: every second the sender sent in has a bin with packets (that
# second's, or the next one's for a batch sent across the boundary).
for f in "$T/db/$IFB"/*.db; do
	sqlite3 "$f" "SELECT ts FROM bins WHERE packets > 0"
done | sort -n >"$T/bins"
gaps=$(sort -nu "$T/secs" | awk -v B="$T/bins" '
	BEGIN { while ((getline t < B) > 0) b[t] = 1 }
	!($1 in b) && !(($1 + 1) in b) { g++; print "# no bin for second " $1 > "/dev/stderr" }
	END { print g + 0 }')
nsec=$(sort -u "$T/secs" | wc -l)
[ "$gaps" = 0 ] || fail "$IFB: $gaps of the $nsec seconds with traffic have no bin"
pass "$IFB untouched: $sent of $sent packets, 0 drops, a bin for each of the $nsec seconds with traffic"

rows "$T/db" $IFB2 >"$T/r2"
grep -q ',8001,17,0,.*,30,0$' "$T/r2" && grep -q ',8002,17,0,.*,40,0$' "$T/r2" &&
	grep -q ',8003,17,0,.*,50,0$' "$T/r2" || fail "$IFB2 rows: $(cat "$T/r2")"
pass "$IFB2 recorded across add, change and a refused file"
exit 0
