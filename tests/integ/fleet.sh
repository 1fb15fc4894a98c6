#!/bin/sh
# fleet.sh - fleet queries (issue 13): 10 hosts, each in its own network
# namespace on one bridge, each with its own store (made with flowrecd
# --read of its own generated capture) and an API on TCP with a token of
# its own.  The hosts are stand-ins, fleet_host.py answering POST /_query
# through flowq on the store; fleet_daemons.sh does the same with real
# flowrecd daemons and the daemon as global-query server.  h9 is down (no
# host), h10 is slow (stopped with SIGSTOP while a query runs), h8 is given
# a wrong token.  flowq -q asks them from a client namespace; section 9
# (the global-query server) runs only with DAEMONS set.
#
# Checks: the merged rows are the union of each host's own answer (flowq
# on its store), with the host label; totals; statuses and the txt
# footer; the host timeout, the overall timeout, a slow host answering
# late; -q any and -q @FILE; exit status 0 with one host answering, not
# with none; the daemon as global-query server and its loop refusal;
# Ctrl-C.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces)"
for t in ip python3 curl; do
	command -v $t >/dev/null || { echo "Bail out! $t is not installed"; exit 99; }
done

N=10
TAG=$$
HUB=flH$TAG
CLI=flC$TAG
NS_LIST=""
PIDS=""
T=$TEST_TMP

cleanup() {
	for p in $PIDS; do kill -CONT "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
	for n in $NS_LIST; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

addr() { echo "10.77.0.$((10 + $1))"; }

# attach NS ADDR IDX: NS joins the hub's bridge with ADDR
attach() {
	ip netns add "$1" || { echo "Bail out! ip netns add"; exit 99; }
	NS_LIST="$NS_LIST $1"
	ip link add "fa${3}x$TAG" netns "$1" type veth peer name "fb${3}x$TAG" netns $HUB ||
		{ echo "Bail out! veth"; exit 99; }
	ip -n "$1" link set lo up
	ip -n "$1" addr add "$2/24" dev "fa${3}x$TAG"
	ip -n "$1" link set "fa${3}x$TAG" up
	ip -n $HUB link set "fb${3}x$TAG" master br0
	ip -n $HUB link set "fb${3}x$TAG" up
}

# start_host I: host I's API on $(addr I):8145 with token tokI.
start_host() {
	ip netns exec flh${1}x$TAG python3 "$top_srcdir/tests/integ/fleet_host.py" \
	    "$FLOWQ" "$T/db$1" "$(addr $1)" 8145 "tok$1" >"$T/h$1.out" 2>"$T/h$1.err" &
	eval "PID$1=$!"
	PIDS="$PIDS $!"
}

host_ready() { grep -q ready "$T/h$1.out"; }

ip netns add $HUB || { echo "Bail out! ip netns add"; exit 99; }
NS_LIST="$HUB"
ip -n $HUB link add br0 type bridge
ip -n $HUB link set br0 up
attach $CLI 10.77.0.2 0

start=$(( $(date +%s) - 900 ))
hosts="$T/hosts.yaml"
echo "hosts:" > "$hosts"
i=1
while [ $i -le $N ]; do
	attach flh${i}x$TAG "$(addr $i)" $i
	python3 "$top_srcdir/tests/integ/fleet_gen.py" "$T/h$i.pcap" $i $start
	"$FLOWRECD" --read "$T/h$i.pcap" --iface eth0 --db "$T/db$i" \
	    --no-progress >/dev/null 2>"$T/read$i.err" ||
		{ echo "Bail out! flowrecd --read h$i: $(cat "$T/read$i.err")"; exit 99; }
	tok=tok$i
	[ $i = 8 ] && tok=wrong		# h8: the fleet has the wrong token
	echo "  h$i: {addr: \"$(addr $i):8145\", token: $tok}" >> "$hosts"
	if [ $i != 9 ]; then		# h9: down
		start_host $i
	fi
	i=$((i + 1))
done

# Ready: each daemon's health over its TCP address, from the client.
cli() { ip netns exec $CLI "$@"; }
i=1
while [ $i -le $N ]; do
	if [ $i != 9 ]; then
		n=0
		until host_ready $i; do
			n=$((n + 1))
			if [ $n -gt 500 ]; then
				echo "Bail out! h$i never answered /-/health"
				sed 's/^/# /' "$T/h$i.err"
				exit 99
			fi
			sleep 0.05
		done
	fi
	i=$((i + 1))
done
pass "10 hosts on a bridge, 9 answering"

Q="-i eth0 talk_conv"
ALL=h1,h2,h3,h4,h5,h6,h7,h8,h9,h10

# Each host's own answer, from its store.
i=1
while [ $i -le $N ]; do
	"$FLOWQ" -d "$T/db$i" -i eth0 -n 1000 -e json $Q > "$T/local$i.json" ||
		fail "local query of h$i"
	i=$((i + 1))
done

# check_merge FILE HOSTS...: FILE's rows are the union of those hosts'
# own rows (labels.host added), totals their sums.
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
	for r in got["rows"]:
	    key = (r["labels"]["host"], json.dumps(r["attributes"], sort_keys=True),
	           r["labels"].get("iface"))
	    have[key] = tuple(r["counters"].get(c, 0) for c in ("br", "bs", "pr", "ps"))
	gt = tuple(got["summary"]["totals"].get(c, 0) for c in ("br", "bs", "pr", "ps"))
	if have != want:
	    print("# rows differ: %d got, %d want" % (len(have), len(want)))
	    for k in sorted(set(have) | set(want)):
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

# 1. The fleet, h10 stopped: host timeout.
kill -STOP $PID10
cli "$FLOWQ" -q $ALL --hosts-file "$hosts" --host-timeout 8 -n 1000 -e json $Q \
    > "$T/all.json" 2>"$T/all.err"
rc=$?
kill -CONT $PID10
[ $rc = 0 ] && pass "exit 0 with 7 of 10 hosts answering" ||
	fail "exit $rc: $(cat "$T/all.err")"
check_merge "$T/all.json" h1 h2 h3 h4 h5 h6 h7 &&
	pass "merged rows are the union of each host's own rows, totals summed" ||
	fail "merged rows"
for h in h1 h2 h3 h4 h5 h6 h7; do
	case $(status_of "$T/all.json" $h) in
	ok*) ;;
	*) fail "$h: $(status_of "$T/all.json" $h)" ;;
	esac
done
pass "h1..h7 ok in hosts_statuses"
case $(status_of "$T/all.json" h8) in
error*401*) pass "h8 (wrong token): error 401" ;;
*) fail "h8: $(status_of "$T/all.json" h8)" ;;
esac
case $(status_of "$T/all.json" h9) in
error*onnect*) pass "h9 (down): error, connection refused" ;;
*) fail "h9: $(status_of "$T/all.json" h9)" ;;
esac
case $(status_of "$T/all.json" h10) in
"error no answer within 8.000 s"*) pass "h10 (stopped): the host timeout" ;;
*) fail "h10: $(status_of "$T/all.json" h10)" ;;
esac

# Progress: never into a pipe, on a terminal (script(1) gives one).
grep -q "hosts done" "$T/all.err" && fail "progress written into a pipe" ||
	pass "no progress in a pipe"
if command -v script >/dev/null; then
	cli script -qec "$FLOWQ -q h1,h2 --hosts-file $hosts -e json $Q >/dev/null" /dev/null \
	    > "$T/tty.out" 2>&1
	grep -q "2/2 hosts done" "$T/tty.out" && pass "progress on a terminal" ||
		fail "no progress on a terminal: $(cat "$T/tty.out")"
fi

# 2. txt: errors above the table, the host column, the footer.
cli "$FLOWQ" -q $ALL --hosts-file "$hosts" -n 1000 $Q \
    > "$T/all.txt" 2>"$T/all.txt.err"
rc=$?
grep -q "Interface / Hosts *: eth0 on 10 hosts: 8 ok / 0 empty / 2 error" "$T/all.txt" &&
	pass "txt footer: eth0 on 10 hosts: 8 ok / 0 empty / 2 error" ||
	{ fail "txt footer"; sed 's/^/# /' "$T/all.txt" | tail -n 12; }
grep -q "^ *host " "$T/all.txt" && pass "txt: a host column" || fail "txt: no host column"
grep -q '^Host h8 returned with error "error": HTTP 401' "$T/all.txt" &&
	grep -q '^Host h9 returned with error "error": .*onnect' "$T/all.txt" &&
	pass "txt: each host's error above the table" || fail "txt: host errors not shown"
[ $rc = 0 ] || fail "txt: exit $rc"

# 3. csv carries the host column
cli "$FLOWQ" -q h1,h2 --hosts-file "$hosts" -n 1000 -e csv $Q > "$T/two.csv" 2>/dev/null
head -n 1 "$T/two.csv" | grep -q "^host," && [ "$(grep -c '^h[12],' "$T/two.csv")" -gt 10 ] &&
	pass "csv: host column" || { fail "csv"; head -n 3 "$T/two.csv" | sed 's/^/# /'; }

# 4. A slow host answering within the host timeout: its rows are there.
kill -STOP $PID10
ip netns exec $CLI "$FLOWQ" -q h1,h10 --hosts-file "$hosts" -n 1000 -e json $Q \
    > "$T/slow.json" 2>"$T/slow.err" &
fq=$!
n=0
until cli ss -tnH state established "( dport = :8145 )" 2>/dev/null | grep -q "$(addr 10):8145"; do
	n=$((n + 1)); [ $n -gt 250 ] && break; sleep 0.02
done
sleep 0.5
kill -CONT $PID10
wait $fq
check_merge "$T/slow.json" h1 h10 && pass "a slow host's rows arrive when it answers" ||
	fail "slow host"

# 5. The overall timeout: the stopped host's status says so, the rest is there.
kill -STOP $PID10
cli "$FLOWQ" -q h1,h2,h10 --hosts-file "$hosts" --host-timeout 60 --timeout 8 \
    -n 1000 -e json $Q > "$T/tmo.json" 2>"$T/tmo.err"
rc=$?
kill -CONT $PID10
check_merge "$T/tmo.json" h1 h2 && [ $rc = 0 ] &&
	pass "overall timeout: the answered hosts' rows, exit 0" || fail "overall timeout (exit $rc)"
case $(status_of "$T/tmo.json" h10) in
"error no answer before the query's timeout"*) pass "overall timeout: h10's status" ;;
*) fail "h10: $(status_of "$T/tmo.json" h10)" ;;
esac

# 6. -q any and -q @FILE
cli "$FLOWQ" -q any --hosts-file "$hosts" -n 1000 -e json $Q > "$T/any.json" 2>/dev/null
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["hosts_statuses"]))' "$T/any.json")" = 10 ] &&
	check_merge "$T/any.json" h1 h2 h3 h4 h5 h6 h7 h10 &&
	pass "-q any: every host of the file" || fail "-q any"
printf '# web\nh3\n\nh5\n%s:8145\n' "$(addr 6)" > "$T/list"
FLOWQ_TOKEN=tok6 cli env FLOWQ_TOKEN=tok6 "$FLOWQ" -q "@$T/list" --hosts-file "$hosts" -n 1000 -e json $Q \
    > "$T/list.json" 2>/dev/null
python3 - "$T/list.json" "$(addr 6):8145" <<-'EOF' && pass "-q @FILE, an address with FLOWQ_TOKEN" || fail "-q @FILE"
import json, sys
d = json.load(open(sys.argv[1]))
assert sorted(d["hosts_statuses"]) == sorted(["h3", "h5", sys.argv[2]]), d["hosts_statuses"]
assert all(s["code"] == "ok" for s in d["hosts_statuses"].values()), d["hosts_statuses"]
EOF

# 7. No host answering: exit status not 0, the reasons on stderr.
cli "$FLOWQ" -q h8,h9 --hosts-file "$hosts" $Q > "$T/none.txt" 2>"$T/none.err"
rc=$?
[ $rc = 1 ] && grep -q "^Host h9 returned with error" "$T/none.txt" &&
	grep -q "no host answered" "$T/none.err" &&
	pass "no host answered: exit 1, the reasons shown" ||
	fail "no host answered: exit $rc: $(cat "$T/none.err")"

# 8. The headline question: 211.154.236.12 over SSH anywhere?
cli "$FLOWQ" -q any --hosts-file "$hosts" -c "sip = 211.154.236.12 & dport = 22" \
    -e json -n 100 sip,dip,dport > "$T/ssh.json" 2>/dev/null
python3 - "$T/ssh.json" <<-'EOF' && pass "sip = 211.154.236.12 & dport = 22: h3 and h6 only" || fail "ssh question"
import json, sys
d = json.load(open(sys.argv[1]))
assert sorted(r["labels"]["host"] for r in d["rows"]) == ["h3", "h6"], d["rows"]
EOF

# 9. The daemon as global-query server: h1 asks the fleet for its client.
if [ -n "$DAEMONS" ]; then
body='{"query":"talk_conv","ifaces":"eth0","num_results":1000,"query_hosts":"h1,h2,h3,h4,h5,h6,h7"}'
cli curl -s -m 30 -H "Authorization: Bearer tok1" -H "Content-Type: application/json" \
    -d "$body" "http://$(addr 1):8145/_query" > "$T/gq.json"
check_merge "$T/gq.json" h1 h2 h3 h4 h5 h6 h7 &&
	pass "flowrecd as global-query server: the same merged rows" || fail "global-query server"
code=$(cli curl -s -o "$T/loop.json" -w '%{http_code}' -m 10 -H "Authorization: Bearer tok1" \
    -H "X-Goprobe-Runtime-Id: somebody" -d "$body" "http://$(addr 1):8145/_query")
[ "$code" = 400 ] && grep -q "loop" "$T/loop.json" &&
	pass "a fan-out request asking for a fan-out is refused (400)" ||
	fail "loop refusal: $code $(cat "$T/loop.json")"
fi

# 10. Ctrl-C while a host is silent: flowq stops at once.
kill -STOP $PID10
ip netns exec $CLI "$FLOWQ" -q h1,h10 --hosts-file "$hosts" --host-timeout 60 $Q \
    > "$T/int.txt" 2>"$T/int.err" &
fq=$!
n=0
until cli ss -tnH state established "( dport = :8145 )" 2>/dev/null | grep -q "$(addr 10):8145"; do
	n=$((n + 1)); [ $n -gt 250 ] && break; sleep 0.02
done
t0=$(date +%s.%N)
kill -INT $fq
wait $fq
rc=$?
t1=$(date +%s.%N)
kill -CONT $PID10
[ $rc = 130 ] && grep -qi interrupt "$T/int.err" && pass "Ctrl-C: exit 130, 'interrupted'" ||
	fail "Ctrl-C: exit $rc: $(cat "$T/int.err")"
echo "# stopped $(echo "$t1 - $t0" | bc 2>/dev/null || echo "?") s after SIGINT"

done_testing
