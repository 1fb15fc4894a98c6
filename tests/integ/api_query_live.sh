#!/bin/bash
# api_query_live.sh - POST /_query with "live": true (issue 10, goProbe's
# live flag): the flows of the open bin, not written yet, are merged into
# the answer and are absent without it.  A bin of 3600 s holds traffic
# written early by POST /flush (in the store) and traffic after it (only
# in memory, one key in both): live sums the key once per row, a
# condition applies to the open bin's flows too, a time attribute puts
# them in the open bin; after another flush the answer without live is
# the live answer, and live then counts nothing twice.  With 1 s bins,
# live queries while the packets' bin is rotated and written count each
# packet once.
. "${top_srcdir:-.}/tests/integ/live_lib.sh"
command -v curl >/dev/null || fail "curl is not installed"
mk_pair
SOCK=$T/api.sock
printf '%s\n' "db_path: $T/db" "interval: 3600" "interfaces:" "  $IFB: {}" \
    "api:" "  socket: $SOCK" >"$T/conf.yaml"
start_fr $NSB -c "$T/conf.yaml"
wait_log "$IFB: recording"
wait_for 10 test -S "$SOCK" || fail "no socket $SOCK"

# q PATH [BODY]: POST, the answer's body in $T/body, its status printed
q() {
	curl -s -m 20 --unix-socket "$SOCK" -o "$T/body" -w '%{http_code}' \
	    -X POST -H 'Content-Type: application/json' \
	    ${2:+--data-binary "$2"} "http://flowrecd$1"
}
processed() {
	curl -s --unix-socket "$SOCK" http://flowrecd/status | python3 -c \
	    "import json,sys; print(json.load(sys.stdin)['statuses']['$IFB']['processed_total'])"
}
# rows: the attributes (by name: dip dport sip), packets and IP bytes
# of each row of $T/body, then "total packets bytes"; sorted
rows() {
	python3 -c "import json,sys
d = json.load(open('$T/body'))
for r in d.get('rows', []):
    a, c = r['attributes'], r['counters']
    key = ' '.join(str(a[k]) for k in sorted(a))
    print(key, c.get('pr', 0) + c.get('ps', 0), c.get('br', 0) + c.get('bs', 0))
s = d['summary']['totals']
print('total', s.get('pr', 0) + s.get('ps', 0), s.get('br', 0) + s.get('bs', 0))" | sort
}
ask() {	# ask NAME BODY: the rows of the answer in $T/NAME
	local c
	c=$(q /_query "$2")
	[ "$c" = 200 ] || fail "$1: /_query answered $c: $(cat "$T/body")"
	cp "$T/body" "$T/$1.json"
	rows >"$T/$1"
}
send() { echo "$1" | ip netns exec $NSA "$LIVESEND" $IFA >/dev/null || fail livesend; }

# A: 10 UDP packets of 128 bytes to port 80, written early by POST /flush.
send "10 4 17 198.51.100.1 198.51.100.2 4000 80 payload=100"
wait_for 10 sh -c "[ \$(curl -s --unix-socket '$SOCK' http://flowrecd/status | grep -o '\"processed_total\":[0-9]*' | cut -d: -f2) = 10 ]" ||
	fail "A: processed $(processed)"
[ "$(q /flush)" = 200 ] || fail "POST /flush: $(cat "$T/body")"
# B: 7 of 228 bytes to port 53; C: 5 more of A's key.  Not written.
send "7 4 17 198.51.100.3 198.51.100.4 40000 53 payload=200"
send "5 4 17 198.51.100.1 198.51.100.2 4000 80 payload=100"
wait_for 10 sh -c "[ \$(curl -s --unix-socket '$SOCK' http://flowrecd/status | grep -o '\"processed_total\":[0-9]*' | cut -d: -f2) = 22 ]" ||
	fail "B, C: processed $(processed)"

BASE='"query":"sip,dip,dport","ifaces":"'$IFB'","first":"-1h"'
ask stored "{$BASE}"
printf '%s\n' "198.51.100.2 80 198.51.100.1 10 1280" "total 10 1280" | sort >"$T/want"
cmp -s "$T/stored" "$T/want" || fail "without live: $(cat "$T/stored")"
pass "without live: only what was written (A: 10 packets to port 80)"

ask live "{$BASE,\"live\":true}"
printf '%s\n' "198.51.100.2 80 198.51.100.1 15 1920" \
    "198.51.100.4 53 198.51.100.3 7 1596" "total 22 3516" | sort >"$T/want"
cmp -s "$T/live" "$T/want" || fail "live: $(cat "$T/live"), want $(cat "$T/want")"
pass "live: the open bin merged (port 80: 10 written + 5 open in one row; port 53: 7 open)"

ask cond "{$BASE,\"live\":true,\"condition\":\"dport = 53\"}"
printf '%s\n' "198.51.100.4 53 198.51.100.3 7 1596" "total 7 1596" | sort >"$T/want"
cmp -s "$T/cond" "$T/want" || fail "live with a condition: $(cat "$T/cond")"
ask sorted "{$BASE,\"live\":true,\"num_results\":1,\"sort_by\":\"packets\"}"
head -n 1 "$T/sorted" | grep -q "^198.51.100.2 80 198.51.100.1 15 1920$" ||
	fail "live, the top row by packets: $(cat "$T/sorted")"
pass "live: the condition applies to the open flows; sorted and cut after merging"

ask time "{\"query\":\"time,dport\",\"ifaces\":\"$IFB\",\"first\":\"-1h\",\"live\":true}"
python3 -c "import json
d = json.load(open('$T/time.json'))
ts = {r['attributes']['dport']: r['labels']['timestamp'] for r in d['rows']}
assert ts[80] == ts[53], ts
" || fail "live with time: $(cat "$T/time.json")"
pass "live with time: the open flows in the open bin, with the written part of it"

code=$(q /_query/validate "{$BASE,\"live\":true}")
[ "$code" = 204 ] || fail "validate with live: $code $(cat "$T/body")"
pass "validate accepts live"

[ "$(q /flush)" = 200 ] || fail "POST /flush: $(cat "$T/body")"
ask after "{$BASE}"
cmp -s "$T/after" "$T/live" || fail "after a flush, without live: $(cat "$T/after")"
ask again "{$BASE,\"live\":true}"
cmp -s "$T/again" "$T/live" || fail "after a flush, live: $(cat "$T/again")"
pass "after a flush: the store holds the live answer, and live counts nothing twice"
stop_fr

# Bins of 1 s: 40 packets, then live queries while their bin rotates and
# is written (a query that saw the store and the open bin change under
# it is run again): every answer counts each packet once.
printf '%s\n' "db_path: $T/db2" "interval: 1" "interfaces:" "  $IFB: {}" \
    "api:" "  socket: $SOCK" >"$T/conf2.yaml"
start_fr $NSB -c "$T/conf2.yaml"
wait_log "$IFB: recording"
wait_for 10 test -S "$SOCK" || fail "no socket $SOCK"
send "1 4 17 198.51.100.9 198.51.100.8 40000 53 payload=10"
[ "$(q /flush)" = 200 ] || fail "POST /flush: $(cat "$T/body")"
send "40 4 17 198.51.100.1 198.51.100.2 4000 80 payload=100"
wait_for 10 sh -c "[ \$(curl -s --unix-socket '$SOCK' http://flowrecd/status | grep -o '\"processed_total\":[0-9]*' | cut -d: -f2) = 41 ]" ||
	fail "processed $(processed)"
body='{"query":"dport","ifaces":"'$IFB'","first":"-1h","live":true,"condition":"dport = 80"}'
written() {
	curl -s --unix-socket "$SOCK" http://flowrecd/status | python3 -c \
	    "import json,sys; print(json.load(sys.stdin)['statuses']['$IFB']['rows_written_total'])"
}
# at least 3 s, and until the packets' bin is stored (the flushed row
# was the first), then once more
n=0 end=$((SECONDS + 3)) limit=$((SECONDS + 20)) stored=0
while [ $stored -lt 2 ]; do
	[ $SECONDS -lt $limit ] || fail "the packets' bin was not written in 20 s"
	[ $SECONDS -ge $end ] && [ "$(written)" -ge 2 ] && stored=$((stored + 1))
	[ "$(q /_query "$body")" = 200 ] || fail "live query: $(cat "$T/body")"
	rows >"$T/rot"
	grep -q "^total 40 " "$T/rot" || fail "live across a rotation, query $n: $(cat "$T/rot")"
	n=$((n + 1))
done
pass "$n live queries before, while and after the packets' 1 s bin was written: 40 packets each time"
stop_fr
echo "1..7"
exit 0
