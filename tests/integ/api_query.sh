#!/bin/bash
# api_query.sh - POST /_query and /_query/validate of a running flowrecd
# answer what `flowq -e json` prints on the same store (goProbe's
# results.Result, timings aside), for several query.Args; validate says
# 204 to good arguments and 422 naming the field to bad ones; a body that
# is not JSON gets 400, an unknown interface 422, no body 400; over TCP a
# query needs the token like every route.  flowctl status shows an export
# destination with its backlog and last error.  "list": true answers
# the document flowq list -e json prints.
. "${top_srcdir:-.}/tests/integ/live_lib.sh"

FLOWQ=$top_builddir/flowq
FLOWCTL=$top_builddir/flowctl
command -v curl >/dev/null || fail "curl is not installed"
mk_pair
mkdir -p "$T/run"
SOCK=$T/run/api.sock
PORT=$((20000 + (TAG + 7) % 20000))
TOKEN=tok-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
"$FLOWRECD" --read "$top_srcdir/examples/sample.pcap" --iface sample \
    --db "$T/db" >/dev/null 2>&1 || fail "flowrecd --read of the sample"
printf '%s\n' "db_path: $T/db" "interval: 3600" "interfaces:" \
    "  $IFB: {}" "api:" "  socket: $SOCK" "  listen: 127.0.0.1:$PORT" \
    "  tokens: [$TOKEN]" "export:" "  ipfix:" \
    "    collectors: [\"tcp://127.0.0.1:9\"]" "    backfill: true" \
    >"$T/conf.yaml"
start_fr $NSB -c "$T/conf.yaml"
wait_log "$IFB: recording"
wait_for 10 test -S "$SOCK" || fail "no socket $SOCK"

# q PATH BODY: the answer's body in $T/body, its status printed
q() {
	curl -s --unix-socket "$SOCK" -o "$T/body" -w '%{http_code}' \
	    -X POST -H 'Content-Type: application/json' \
	    --data-binary "$2" "http://flowrecd$1"
}
# same DOC1 DOC2: the two results.Result documents equal, timings aside
same() {
	python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    d.get("summary", {}).pop("timings", None)
sys.exit(0 if a == b else 1)
PY
}

n=0
for args in \
    'talk_conv|{"query":"talk_conv","ifaces":"sample","first":"0"}|-f 0 talk_conv' \
    'sip,dport -n 3|{"query":"sip,dport","ifaces":"sample","first":"0","num_results":3}|-f 0 -n 3 sip,dport' \
    'time by packets|{"query":"time,proto","ifaces":"sample","first":"0","sort_by":"packets"}|-f 0 -s packets time,proto' \
    'condition|{"query":"dip","ifaces":"sample","first":"0","condition":"proto = udp"}|-f 0 -c proto=udp dip'; do
	name=${args%%|*}; rest=${args#*|}; body=${rest%%|*}; flags=${rest#*|}
	code=$(q /_query "$body")
	[ "$code" = 200 ] || fail "$name: /_query answered $code: $(cat "$T/body")"
	cp "$T/body" "$T/api.$n.json"
	# shellcheck disable=SC2086
	"$FLOWQ" -d "$T/db" -i sample $flags -e json >"$T/flowq.$n.json" ||
	    fail "$name: flowq failed"
	same "$T/api.$n.json" "$T/flowq.$n.json" ||
	    fail "$name: /_query differs from flowq -e json:
$(cat "$T/api.$n.json")
$(cat "$T/flowq.$n.json")"
	n=$((n + 1))
done
grep -q '"rows":\[{' "$T/api.0.json" || fail "the talk_conv answer has no rows"
pass "/_query equals flowq -e json for $n queries"

code=$(q /_query/validate '{"query":"talk_conv","ifaces":"sample"}')
[ "$code" = 204 ] || fail "validate of good args: $code $(cat "$T/body")"
code=$(q /_query/validate '{"query":"nonsense","ifaces":"sample"}')
[ "$code" = 422 ] && grep -q '"error":"query: ' "$T/body" ||
    fail "validate of a bad query: $code $(cat "$T/body")"
pass "/_query/validate: 204, and 422 naming the field"

code=$(q /_query '{"query":')
[ "$code" = 400 ] && grep -q '"status_code":400' "$T/body" ||
    fail "truncated JSON: $code $(cat "$T/body")"
code=$(q /_query '{"query":"sip","ifaces":"nosuch0","first":"0"}')
[ "$code" = 422 ] && grep -q "nosuch0" "$T/body" ||
    fail "unknown interface: $code $(cat "$T/body")"
code=$(q /_query '{"query":"sip","bogus_field":1}')
[ "$code" = 400 ] && grep -q "bogus_field" "$T/body" ||
    fail "unknown field: $code $(cat "$T/body")"
code=$(curl -s --unix-socket "$SOCK" -o "$T/body" -w '%{http_code}' \
    -X POST http://flowrecd/_query)
[ "$code" = 400 ] || fail "no body: $code $(cat "$T/body")"
pass "bad bodies: 400/422 JSON errors naming the problem"

tcp() {
	ip netns exec $NSB curl -s -o "$T/body" -w '%{http_code}' -X POST \
	    --data-binary '{"query":"sip","ifaces":"sample","first":"0"}' \
	    "$@" "http://127.0.0.1:$PORT/_query"
}
[ "$(tcp)" = 401 ] || fail "a query over TCP without a token was not refused"
[ "$(tcp -H "Authorization: Bearer $TOKEN")" = 200 ] &&
    grep -q '"status":{"code":"ok"}' "$T/body" ||
    fail "a query over TCP with the token: $(cat "$T/body")"
pass "over TCP: 401 without the token, the answer with it"

# goquery's list (query.Args' list): the document flowq list -e json prints
for args in 'all|{"list":true}|' 'sample|{"list":true,"ifaces":"sample","first":"0"}|-f 0 sample'; do
	name=${args%%|*}; rest=${args#*|}; body=${rest%%|*}; flags=${rest#*|}
	code=$(q /_query "$body")
	[ "$code" = 200 ] || fail "list $name: /_query answered $code: $(cat "$T/body")"
	# shellcheck disable=SC2086
	"$FLOWQ" -d "$T/db" list -e json $flags >"$T/list.json" || fail "flowq list"
	python3 -c "import json,sys; a=json.load(open('$T/body')); b=json.load(open('$T/list.json'))
sys.exit(0 if a == b and any(i['iface'] == 'sample' and 'kernel_drops' in i for i in a['interfaces']) else 1)" ||
		fail "list $name: $(cat "$T/body") differs from flowq list -e json: $(cat "$T/list.json")"
done
code=$(q /_query '{"list":true,"first":"yesterday"}')
[ "$code" = 422 ] || fail "list with a bad time: $code $(cat "$T/body")"
pass "list: true answers flowq list -e json's document (kernel drops included); a bad time 422"

# flowctl status shows the export destination (a collector that refuses:
# its error, and the sample's bins waiting for it)
fcstat() {
	ip netns exec $NSB "$FLOWCTL" -s "unix:$SOCK" status >"$T/fc" 2>&1 &&
	    grep -q "^EXPORT " "$T/fc" && grep -q "last error: " "$T/fc"
}
wait_for 20 fcstat || fail "flowctl status without the export: $(cat "$T/fc")"
grep -q "^ipfix.*127.0.0.1:9" "$T/fc" && grep -q "backlog of [1-9]" "$T/fc" ||
    fail "flowctl status export line: $(cat "$T/fc")"
pass "flowctl status: the export destination, its backlog and last error"

stop_fr
pass "flowrecd stopped cleanly"
