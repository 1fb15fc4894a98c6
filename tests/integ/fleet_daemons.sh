#!/bin/sh
# fleet_daemons.sh - fleet queries (issue 13) against real flowrecd
# daemons: 8 daemons, each in its own network namespace on one bridge,
# each recording its own veth with its own store (flowrecd --read of its
# own generated capture, interface eth0) and its API on TCP with a token
# of its own.  h7's entry in the hosts file has the wrong token, h8 is
# slow (a small python proxy in its namespace, fleet_slow.py, holds each
# request SLOW seconds before it reaches the daemon), h9 is down (an
# address in a namespace of its own with nothing listening).
#
# Checks: flowq -q's merged rows equal each host's own answer (flowq on
# its store) with the host label, totals summed; hosts_statuses; the host
# timeout against the slow host, and the slow host's rows when it has the
# time; -q any; h1 as goProbe's global-query server (POST /_query with
# query_hosts over curl) answers what flowq -q answers; a query_hosts
# request carrying the runtime-id header is refused (400), an address in
# query_hosts 422; Ctrl-C of flowq -q stops within 0.2 s; SIGTERM of h1
# during its fan-out stops it at once; every daemon exits 0.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces)"
for t in ip python3 curl; do
	command -v $t >/dev/null || { echo "Bail out! $t is not installed"; exit 99; }
done

N=8		# daemons h1..h8; h9 is down
SLOW=2		# seconds h8's proxy holds a request
TAG=$$
HUB=fsrvH$TAG
CLI=fsrvC$TAG
NS_LIST=""
PIDS=""
T=$TEST_TMP

cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do
		n=0
		while kill -0 "$p" 2>/dev/null && [ $n -lt 100 ]; do
			sleep 0.05; n=$((n + 1))
		done
		kill -KILL "$p" 2>/dev/null
	done
	for n in $NS_LIST; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

addr() { echo "10.78.0.$((10 + $1))"; }
ifname() { echo "fsa${1}x$TAG"; }

# attach NS ADDR IDX: NS joins the hub's bridge with ADDR on ifname IDX
attach() {
	ip netns add "$1" || { echo "Bail out! ip netns add"; exit 99; }
	NS_LIST="$NS_LIST $1"
	ip link add "$(ifname $3)" netns "$1" type veth peer name "fsb${3}x$TAG" netns $HUB ||
		{ echo "Bail out! veth"; exit 99; }
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip -n "$1" link set lo up
	ip -n "$1" addr add "$2/24" dev "$(ifname $3)"
	ip -n "$1" link set "$(ifname $3)" up
	ip -n $HUB link set "fsb${3}x$TAG" master br0
	ip -n $HUB link set "fsb${3}x$TAG" up
}

ip netns add $HUB || { echo "Bail out! ip netns add"; exit 99; }
NS_LIST="$HUB"
ip -n $HUB link add br0 type bridge
ip -n $HUB link set br0 up
attach $CLI 10.78.0.2 0

start=$(( $(date +%s) - 900 ))
hosts="$T/hosts.yaml"
echo "hosts:" > "$hosts"
i=1
while [ $i -le 9 ]; do
	attach fsrv${i}x$TAG "$(addr $i)" $i
	tok=token-of-fleet-host-$i
	port=8145
	[ $i = 7 ] && tok=wrong-token-0000000	# h7: the fleet's token is wrong
	[ $i = 8 ] && port=8146			# h8: through the slow proxy
	echo "  h$i: {addr: \"$(addr $i):$port\", token: $tok}" >> "$hosts"
	if [ $i -le $N ]; then
		python3 "$top_srcdir/tests/integ/fleet_gen.py" "$T/h$i.pcap" $i $start
		"$FLOWRECD" --read "$T/h$i.pcap" --iface eth0 --db "$T/db$i" \
		    --no-progress >/dev/null 2>"$T/read$i.err" ||
			{ echo "Bail out! flowrecd --read h$i: $(cat "$T/read$i.err")"; exit 99; }
		cat > "$T/conf$i.yaml" <<-EOF
		db_path: $T/db$i
		interval: 3600
		interfaces:
		  $(ifname $i): {max_flows: 4096, ring: {block_size: 65536, block_count: 4}}
		api:
		  socket: $T/api$i.sock
		  listen: $(addr $i):8145
		  tokens: [token-of-fleet-host-$i]
		  hosts_file: $hosts
		  timeout: 20
		EOF
		ip netns exec fsrv${i}x$TAG "$FLOWRECD" -c "$T/conf$i.yaml" \
		    >"$T/d$i.out" 2>"$T/d$i.err" &
		eval "PID$i=$!"
		PIDS="$PIDS $!"
	fi
	i=$((i + 1))
done
ip netns exec fsrv8x$TAG python3 "$top_srcdir/tests/integ/fleet_slow.py" \
    "$(addr 8)" 8146 8145 $SLOW >"$T/slow.out" 2>"$T/slow.err" &
PIDS="$PIDS $!"

cli() { ip netns exec $CLI "$@"; }

# Ready: each daemon's /-/ready over TCP from the client namespace.
ready() {
	cli curl -sf -m 2 -o /dev/null -H "Authorization: Bearer token-of-fleet-host-$1" \
	    "http://$(addr $1):8145/-/ready"
}
i=1
while [ $i -le $N ]; do
	n=0
	eval "p=\$PID$i"
	until ready $i; do
		n=$((n + 1))
		if [ $n -gt 300 ] || ! kill -0 "$p" 2>/dev/null; then
			echo "Bail out! h$i never became ready"
			sed 's/^/# /' "$T/d$i.err"
			exit 99
		fi
		sleep 0.05
	done
	i=$((i + 1))
done
n=0
until grep -q ready "$T/slow.out"; do
	n=$((n + 1)); [ $n -gt 200 ] && { echo "Bail out! slow proxy"; exit 99; }
	sleep 0.05
done
pass "8 flowrecd daemons on a bridge, each in its namespace; h9 down"

Q="-i eth0 talk_conv"
ALL=h1,h2,h3,h4,h5,h6,h7,h8,h9

# Each host's own answer, from its store.
i=1
while [ $i -le $N ]; do
	"$FLOWQ" -d "$T/db$i" -n 1000 -e json $Q > "$T/local$i.json" ||
		fail "local query of h$i"
	i=$((i + 1))
done

# check_merge FILE HOSTS...: FILE's rows are those hosts' own rows
# (labels.host added), its totals their sums.
check_merge() {
	python3 - "$T" "$@" <<-'EOF'
	import json, sys
	t, got = sys.argv[1], json.load(open(sys.argv[2]))
	want, tot = {}, [0, 0, 0, 0]
	for h in sys.argv[3:]:
	    loc = json.load(open("%s/local%s.json" % (t, h[1:])))
	    for r in loc["rows"] or []:
	        key = (h, json.dumps(r["attributes"], sort_keys=True),
	               r.get("labels", {}).get("iface"))
	        want[key] = tuple(r["counters"].get(c, 0) for c in ("br", "bs", "pr", "ps"))
	    for j, c in enumerate(("br", "bs", "pr", "ps")):
	        tot[j] += loc["summary"]["totals"].get(c, 0)
	have = {}
	for r in got.get("rows") or []:
	    key = (r["labels"]["host"], json.dumps(r["attributes"], sort_keys=True),
	           r["labels"].get("iface"))
	    have[key] = tuple(r["counters"].get(c, 0) for c in ("br", "bs", "pr", "ps"))
	gt = tuple(got.get("summary", {}).get("totals", {}).get(c, 0) for c in ("br", "bs", "pr", "ps"))
	if not want:
	    print("# no rows wanted: the local answers are empty")
	    sys.exit(1)
	if have != want:
	    print("# rows differ: %d got, %d want" % (len(have), len(want)))
	    for k in sorted(set(have) | set(want))[:20]:
	        if have.get(k) != want.get(k):
	            print("#  ", k, have.get(k), want.get(k))
	    sys.exit(1)
	if gt != tuple(tot):
	    print("# totals %s, want %s" % (gt, tot))
	    sys.exit(1)
	EOF
}

# status_of FILE HOST: its code and message
status_of() {
	python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["hosts_statuses"].get(sys.argv[2], {}); print(s.get("code", "absent"), s.get("message", ""))' "$1" "$2"
}

# 1. The fleet with a host timeout shorter than h8's delay.
cli "$FLOWQ" -q $ALL --hosts-file "$hosts" --host-timeout 1 -n 1000 -e json $Q \
    > "$T/all.json" 2>"$T/all.err"
rc=$?
[ $rc = 0 ] && pass "exit 0 with 6 of 9 hosts answering" ||
	fail "exit $rc: $(cat "$T/all.err")"
check_merge "$T/all.json" h1 h2 h3 h4 h5 h6 &&
	pass "merged rows equal each daemon's own rows, totals summed" ||
	fail "merged rows"
bad=""
for h in h1 h2 h3 h4 h5 h6; do
	case $(status_of "$T/all.json" $h) in
	ok*) ;;
	*) bad="$bad $h: $(status_of "$T/all.json" $h)" ;;
	esac
done
[ -z "$bad" ] && pass "h1..h6 ok in hosts_statuses" || fail "statuses:$bad"
case $(status_of "$T/all.json" h7) in
error*401*) pass "h7 (wrong token): error 401" ;;
*) fail "h7: $(status_of "$T/all.json" h7)" ;;
esac
case $(status_of "$T/all.json" h8) in
"error no answer within 1.000 s"*) pass "h8 (slow): the host timeout" ;;
*) fail "h8: $(status_of "$T/all.json" h8)" ;;
esac
case $(status_of "$T/all.json" h9) in
error*onnect*|error*o\ route*|error*imed*) pass "h9 (down): error ($(status_of "$T/all.json" h9 | cut -c1-60))" ;;
*) fail "h9: $(status_of "$T/all.json" h9)" ;;
esac

# 2. txt footer
cli "$FLOWQ" -q $ALL --hosts-file "$hosts" --host-timeout 1 -n 1000 $Q \
    > "$T/all.txt" 2>/dev/null
grep -q "Interface / Hosts *: eth0 on 9 hosts: 6 ok / 0 empty / 3 error" "$T/all.txt" &&
	pass "txt footer: eth0 on 9 hosts: 6 ok / 0 empty / 3 error" ||
	{ fail "txt footer"; tail -n 6 "$T/all.txt" | sed 's/^/# /'; }

# 3. The slow host with time enough: its rows arrive.
cli "$FLOWQ" -q h1,h8 --hosts-file "$hosts" --host-timeout 10 -n 1000 -e json $Q \
    > "$T/slow.json" 2>/dev/null
check_merge "$T/slow.json" h1 h8 && pass "the slow host's rows, given the time" ||
	fail "slow host: $(status_of "$T/slow.json" h8)"

# 4. The overall timeout cuts the slow host, keeps the rest.
cli "$FLOWQ" -q h2,h8 --hosts-file "$hosts" --host-timeout 60 --timeout 1 \
    -n 1000 -e json $Q > "$T/tmo.json" 2>/dev/null
rc=$?
check_merge "$T/tmo.json" h2 && [ $rc = 0 ] &&
	case $(status_of "$T/tmo.json" h8) in
	"error no answer before the query's timeout"*) true ;;
	*) false ;;
	esac && pass "overall timeout: h2's rows, h8's status says why" ||
	fail "overall timeout (exit $rc): $(status_of "$T/tmo.json" h8)"

# 5. -q any
cli "$FLOWQ" -q any --hosts-file "$hosts" --host-timeout 10 -n 1000 -e json $Q \
    > "$T/any.json" 2>/dev/null
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["hosts_statuses"]))' "$T/any.json")" = 9 ] &&
	check_merge "$T/any.json" h1 h2 h3 h4 h5 h6 h8 &&
	pass "-q any: every host of the file, h8 given the time" || fail "-q any"

# 6. h1 as the global-query server: POST /_query with query_hosts.
gq() {
	out=$1
	shift
	cli curl -s -m 30 -o "$T/$out" -w '%{http_code}' \
	    -H "Authorization: Bearer token-of-fleet-host-1" \
	    -H "Content-Type: application/json" "$@" \
	    "http://$(addr 1):8145/_query"
}
body='{"query":"talk_conv","ifaces":"eth0","num_results":1000,"query_hosts":"'$ALL'"}'
code=$(gq gq.json -d "$body")
[ "$code" = 200 ] && check_merge "$T/gq.json" h1 h2 h3 h4 h5 h6 h8 &&
	pass "flowrecd as global-query server: 200, each host's rows merged" ||
	fail "global-query server: $code $(head -c 300 "$T/gq.json")"
python3 - "$T/gq.json" "$T/any.json" <<-'EOF' && pass "the daemon's answer equals flowq -q's (rows, totals, statuses)" || fail "daemon and flowq -q differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
def norm(d):
    s = dict(d["summary"]); s.pop("timings", None); s.pop("stats", None)
    st = {h: v["code"] for h, v in d["hosts_statuses"].items()}
    return d["rows"], s, st, d["status"]
if norm(a) != norm(b):
    for x, y in zip(norm(a), norm(b)):
        if x != y:
            print("# daemon:", json.dumps(x)[:300]); print("# flowq: ", json.dumps(y)[:300])
    sys.exit(1)
EOF
case $(status_of "$T/gq.json" h7) in
error*401*) pass "global-query server: h7's 401 in hosts_statuses" ;;
*) fail "global-query server h7: $(status_of "$T/gq.json" h7)" ;;
esac

# goquery's list through h1 for the fleet: every host's interfaces, each
# with its host, equal to what each host lists itself; h7's 401 and the
# down host in hosts_statuses.
code=$(gq list.json -d '{"list":true,"ifaces":"any","query_hosts":"'$ALL'"}')
for i in 1 2 3 4 5 6; do
	cli curl -s -m 10 -H "Authorization: Bearer token-of-fleet-host-$i" \
	    -d '{"list":true,"ifaces":"any"}' "http://$(addr $i):8145/_query" > "$T/list$i.json"
done
python3 - "$T/list.json" "$T"/list[1-6].json <<-'EOF' && [ "$code" = 200 ] &&
import json, sys
d = json.load(open(sys.argv[1]))
# h8 (slow) may answer in time or not: the others are compared
got = sorted(json.dumps(i, sort_keys=True) for i in d["interfaces"] if i["host"] != "h8")
want = []
for n, p in enumerate(sys.argv[2:], 1):
    for i in json.load(open(p))["interfaces"]:
        i["host"] = "h%d" % n
        want.append(json.dumps(i, sort_keys=True))
st = d["hosts_statuses"]
ok = got == sorted(want) and len(got) >= 6 and \
    all(st["h%d" % n]["code"] == "ok" for n in range(1, 7)) and \
    st["h7"]["code"] == "error" and "401" in st["h7"]["message"] and \
    st["h9"]["code"] == "error"
if not ok:
    print("# got", got[:3], "\n# want", sorted(want)[:3], "\n# statuses", st)
sys.exit(0 if ok else 1)
EOF
	pass "list through h1 for the fleet: each host's interfaces with their host, statuses" ||
	fail "fleet list: $code $(head -c 400 "$T/list.json")"

# to_h8 NS: wait (5 s at most) till NS holds a connection to h8's slow
# proxy, so that a fan-out is known to be waiting on h8; 1 if it never did
to_h8() {
	n=0
	until ip netns exec "$1" ss -tnH state established "( dport = :8146 )" \
	    2>/dev/null | grep -q "$(addr 8):8146"; do
		n=$((n + 1)); [ $n -gt 250 ] && return 1; sleep 0.02
	done
}

# The fan-out runs on a worker: while h1 waits for slow h8, its loop
# answers at once.
cli curl -s -m 30 -o "$T/bg.json" -H "Authorization: Bearer token-of-fleet-host-1" \
    -d '{"query":"sip","ifaces":"eth0","query_hosts":"h8"}' "http://$(addr 1):8145/_query" &
bg=$!
to_h8 fsrv1x$TAG; waited=$?
rt=$(cli curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer token-of-fleet-host-1" \
    "http://$(addr 1):8145/-/ready")
wait $bg
[ $waited = 0 ] && python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 0.5 else 1)" "$rt" &&
	[ "$(status_of "$T/bg.json" h8)" = "ok " ] &&
	pass "h1 answers /-/ready in $rt s while its fan-out waits for h8" ||
	fail "h1 during a fan-out: /-/ready in $rt s, h8 $(status_of "$T/bg.json" h8)"

# 7. No loops: a query_hosts request that carries the runtime-id header
# (it came from a fan-out) is refused; the daemon names only its hosts.
code=$(gq loop.json -H "X-Goprobe-Runtime-Id: 0123abcd" -d "$body")
[ "$code" = 400 ] && grep -q '"status_code":400' "$T/loop.json" && grep -q "loop" "$T/loop.json" &&
	pass "a fan-out's request asking for a fan-out: 400 ($(head -c 120 "$T/loop.json"))" ||
	fail "loop refusal: $code $(cat "$T/loop.json")"
code=$(gq addr.json -d '{"query":"sip","ifaces":"eth0","query_hosts":"'"$(addr 2)"':8145"}')
[ "$code" = 422 ] && grep -q "not in the hosts file" "$T/addr.json" &&
	pass "an address in query_hosts: 422" || fail "address: $code $(cat "$T/addr.json")"
# h1's fan-out carried its runtime id, and h2 still answered it (no
# query_hosts reached h2): a fan-out through h1 to h2 is not a loop.
code=$(gq h2.json -d '{"query":"sip","ifaces":"eth0","query_hosts":"h2"}')
[ "$code" = 200 ] && [ "$(status_of "$T/h2.json" h2)" = "ok " ] &&
	pass "h1 -> h2: answered, h2 was not asked to fan out" ||
	fail "h1 -> h2: $code $(head -c 300 "$T/h2.json")"

# 8. Ctrl-C while h8 is being waited for: flowq stops within 0.2 s.
ip netns exec $CLI "$FLOWQ" -q h1,h8 --hosts-file "$hosts" --host-timeout 60 $Q \
    > "$T/int.txt" 2>"$T/int.err" &
fq=$!
to_h8 $CLI
t0=$(date +%s%N)
kill -INT $fq
wait $fq
rc=$?
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
[ $rc = 130 ] && grep -qi interrupt "$T/int.err" && [ $ms -lt 200 ] &&
	pass "Ctrl-C: exit 130, 'interrupted', stopped in $ms ms" ||
	fail "Ctrl-C: exit $rc after $ms ms: $(cat "$T/int.err")"

# 9. SIGTERM while h1's fan-out waits for slow h8: the fan-out is
# cancelled, h1 exits 0 at once rather than after h8's answer.
cli curl -s -m 30 -o "$T/term.json" -w '%{http_code}' -H "Authorization: Bearer token-of-fleet-host-1" \
    -d '{"query":"sip","ifaces":"eth0","query_hosts":"h8"}' "http://$(addr 1):8145/_query" \
    > "$T/term.code" &
bg=$!
to_h8 fsrv1x$TAG
t0=$(date +%s%N)
kill -TERM $PID1
wait $PID1
rc=$?
t1=$(date +%s%N)
wait $bg
ms=$(( (t1 - t0) / 1000000 ))
[ $rc = 0 ] && [ $ms -lt 1000 ] &&
	pass "SIGTERM during a fan-out: h1 exits 0 in $ms ms (h8 needs ${SLOW} s; the client got $(cat "$T/term.code"))" ||
	{ fail "SIGTERM during a fan-out: exit $rc after $ms ms"; tail -n 5 "$T/d1.err" | sed 's/^/# /'; }

# 10. The other daemons stop cleanly (SIGTERM, exit 0).
i=2
bad=""
while [ $i -le $N ]; do
	eval "p=\$PID$i"
	kill -TERM "$p"
	wait "$p" || bad="$bad h$i"
	i=$((i + 1))
done
[ -z "$bad" ] && pass "h2..h$N exited 0 on SIGTERM" ||
	{ fail "daemons that did not exit 0:$bad"; for h in $bad; do tail -n 5 "$T/d${h#h}.err" | sed 's/^/# /'; done; }

done_testing
