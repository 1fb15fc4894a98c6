#!/bin/bash
# tap.sh - packet relay (flowctl tap, GET /tap/{iface}): two recording
# flowrecd, each in a namespace of its own with an interface called tap0
# joined to one sender namespace.  UDP to port 5353 and to port 9999 goes
# to both; `flowctl -q a,b tap tap0 'udp port 5353' -c N` writes exactly N
# packets, all to 5353, from both hosts, in time order, as a pcap that
# tcpdump reads (and --pcapng: one interface per host:iface); a host that
# is down is its own error (exit 1), the others stream; IPv6 by
# its filter and in the metrics' IPv6 family.  Refused: TCP without a
# token (401), a host with api.tap off (403, exit 1), an interface not
# recorded (404), a filter libpcap does not compile (its
# message, exit 1).  A client that stops reading while 20000 packets
# come: the recording drops nothing, the tap drops and says so at the
# end (and the metrics, promtool-clean); api.max_taps (429) and
# api.tap_rate's drops; a client that goes away ends its tap; SIGINT
# leaves a valid file; an interface deleted under a tap ends it; SIGTERM
# with a client that reads nothing still exits 0.
. "${top_srcdir:-.}/tests/integ/live_lib.sh"

FLOWCTL=$top_builddir/flowctl
command -v tcpdump >/dev/null || fail "tcpdump is not installed"
NSS=tapS$TAG NSA=tapA$TAG NSB=tapB$TAG
PORT=$((20000 + TAG % 20000))
TOKEN=tok-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

ip netns add $NSS || fail "ip netns add"
NETNS_LIST="$NETNS_LIST $NSS"
i=1
for ns in $NSA $NSB; do
	ip netns add $ns || fail "ip netns add"
	NETNS_LIST="$NETNS_LIST $ns"
	ip link add tps$i$TAG netns $NSS type veth peer name tap0 netns $ns ||
		fail "veth"
	ip -n $NSS addr add 10.20$i.0.1/24 dev tps$i$TAG
	ip -n $ns addr add 10.20$i.0.2/24 dev tap0
	ip -n $NSS addr add fd00:20$i::1/64 dev tps$i$TAG nodad
	ip -n $ns addr add fd00:20$i::2/64 dev tap0 nodad
	for e in "$NSS tps$i$TAG" "$ns tap0"; do
		set -- $e
		ip -n $1 link set lo up
		ip netns exec $1 ethtool -K $2 gro off tso off gso off \
			>/dev/null 2>&1 || true
		ip -n $1 link set $2 up
	done
	i=$((i + 1))
done

# conf NAME [EXTRA LINES]: the configuration of host NAME (a or b)
conf() {
	local n=$1
	shift
	printf '%s\n' "db_path: $T/db$n" "interval: 3600" "interfaces:" \
	    "  tap0: {ring: {block_size: 65536, block_count: 16, retire_ms: 20}}" \
	    "api:" "  socket: $T/$n.sock" "  listen: 127.0.0.1:$PORT" \
	    "  tokens: [$TOKEN]" "$@" >"$T/$n.yaml"
}
conf a "  tap: true"
conf b "  tap: true"
# start NAME NS: flowrecd for host NAME, its log in $T/NAME.err
start() {
	ip netns exec $2 "$FLOWRECD" -c "$T/$1.yaml" >"$T/$1.out" \
	    2>"$T/$1.err" &
	eval PID_$1=$!
	FR_PIDS="$FR_PIDS $!"
}
start a $NSA
start b $NSB
for n in a b; do
	wait_for 10 grep -qs "tap0: recording" "$T/$n.err" ||
		fail "host $n: not recording"
	wait_for 10 test -S "$T/$n.sock" || fail "no socket $T/$n.sock"
done
printf '%s\n' "hosts:" "  a: {addr: \"unix:$T/a.sock\"}" \
    "  b: {addr: \"unix:$T/b.sock\"}" "  down: {addr: \"unix:$T/down.sock\"}" \
    >"$T/hosts.yaml"

# taps NAME: the number of taps host NAME runs
taps() {
	curl -s --unix-socket "$T/$1.sock" http://x/status |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)["taps"]))'
}
# running NAME N [NAME N]: host NAME runs N taps (and the next)
running() {
	while [ $# -gt 0 ]; do
		[ "$(taps $1)" = "$2" ] || return 1
		shift 2
	done
}
# send COUNT PORT [GAP_S]: UDP to both hosts in turn from the sender
send() {
	ip netns exec $NSS python3 -c '
import socket, sys, time
n, port, gap = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    for h in ("10.201.0.2", "10.202.0.2"):
        s.sendto(b"tap %d" % i, (h, port))
    if gap:
        time.sleep(gap)
' "$1" "$2" "${3:-0.002}"
}
# kernel_drops NAME: the recording's kernel drops so far
kernel_drops() {
	curl -s --unix-socket "$T/$1.sock" http://x/status/tap0 |
		python3 -c 'import json,sys; s=json.load(sys.stdin)["statuses"]["tap0"]; print(s["dropped_total"])'
}

# 1. Two hosts merged: exactly N packets, all matching, time order.
N=30
"$FLOWCTL" --hosts-file "$T/hosts.yaml" -q a,b tap tap0 udp port 5353 \
    -c $N -w "$T/m.pcap" 2>"$T/m.err" &
CLI=$!
wait_for 10 running a 1 b 1 ||
	fail "the taps did not start: $(cat "$T/m.err")"
send 40 9999 0
send 40 5353
wait_for 10 sh -c "! kill -0 $CLI 2>/dev/null" || fail "flowctl tap -c $N did not end"
wait $CLI || fail "flowctl tap exited $?: $(cat "$T/m.err")"
tcpdump -nn -tt -r "$T/m.pcap" >"$T/m.txt" 2>"$T/m.tcpdump" ||
	fail "tcpdump -r: $(cat "$T/m.tcpdump")"
[ "$(wc -l <"$T/m.txt")" = $N ] || fail "$(wc -l <"$T/m.txt") packets, not $N"
[ "$(grep -c '\.5353: ' "$T/m.txt")" = $N ] || fail "not all to 5353: $(head "$T/m.txt")"
grep -q ' > 10.201.0.2.5353' "$T/m.txt" && grep -q ' > 10.202.0.2.5353' "$T/m.txt" ||
	fail "not from both hosts"
awk '{ print $1 }' "$T/m.txt" | sort -c -n || fail "not in time order"
[ "$(grep -c "tap0: [0-9]* packets received; stopped before the tap's end, it had relayed [0-9]* and dropped 0 " "$T/m.err")" = 2 ] ||
	fail "the summary: $(cat "$T/m.err")"
pass "-q a,b tap tap0 'udp port 5353' -c $N: $N packets from both hosts, in time order, tcpdump reads them"

# 2. --pcapng: one interface per host:iface, readable while it runs.
"$FLOWCTL" --hosts-file "$T/hosts.yaml" -q a,b tap --pcapng tap0 \
    udp port 5353 -c 10 2>"$T/n.err" | tcpdump -nn -r - >"$T/n.txt" 2>&1 &
CLI=$!
wait_for 10 running a 1 b 1 ||
	fail "the pcapng taps did not start: $(cat "$T/n.err")"
send 10 5353
wait $CLI || fail "flowctl tap --pcapng | tcpdump -r -: $(cat "$T/n.txt" "$T/n.err")"
[ "$(grep -c '\.5353: ' "$T/n.txt")" = 10 ] || fail "pcapng: $(cat "$T/n.txt")"
pass "--pcapng piped into tcpdump -r -: 10 packets"

# A host that is down is that host's error; the others' packets still come.
"$FLOWCTL" --hosts-file "$T/hosts.yaml" -q a,down tap tap0 udp port 5353 \
    -c 4 -w "$T/d.pcap" 2>"$T/d.err" &
CLI=$!
wait_for 10 running a 1 || fail "tap with a host down did not start: $(cat "$T/d.err")"
send 4 5353
wait $CLI && fail "a host down: exit 0"
grep -q "^flowctl: down: " "$T/d.err" || fail "a host down: $(cat "$T/d.err")"
[ "$(tcpdump -nn -r "$T/d.pcap" 2>/dev/null | grep -c ' > 10.201.0.2.5353')" = 4 ] ||
	fail "a host down: host a's packets"
pass "-q a,down: host a's 4 packets written, down's error said, exit 1"

# IPv6: the filter as libpcap compiles it, counted by address family.
"$FLOWCTL" -s unix:$T/a.sock tap tap0 ip6 and udp port 5353 -c 3 \
    -w "$T/6.pcap" 2>"$T/6.err" &
CLI=$!
wait_for 10 running a 1 || fail "IPv6 tap did not start"
ip netns exec $NSS python3 -c '
import socket
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3):
    s6.sendto(b"tap6", ("fd00:201::2", 5353))
    s4.sendto(b"tap4", ("10.201.0.2", 5353))
'
wait $CLI || fail "IPv6 tap: $(cat "$T/6.err")"
[ "$(tcpdump -nn -r "$T/6.pcap" 2>/dev/null | grep -c 'IP6 fd00:201::1.[0-9]* > fd00:201::2.5353')" = 3 ] ||
	fail "IPv6: $(tcpdump -nn -r "$T/6.pcap" 2>&1)"
v6=$(curl -s --unix-socket "$T/a.sock" http://x/metrics |
	awk '$1 == "flowrec_tap_packets_total{address_family=\"IPv6\"}" { print $2 }')
[ "$v6" = 3 ] || fail "IPv6 packets in the metrics: $v6"
pass "ip6 and udp port 5353: the 3 IPv6 packets of 6, flowrec_tap_packets_total{address_family=\"IPv6\"} 3"

# 3. Refusals.
ip netns exec $NSA "$FLOWCTL" -s 127.0.0.1:$PORT tap tap0 -c 1 \
    >"$T/o" 2>"$T/e" && fail "TCP without a token was served"
grep -q "401" "$T/e" || fail "TCP without a token: $(cat "$T/e")"
ip netns exec $NSA curl -s -o "$T/body" -w '%{http_code}' \
    "http://127.0.0.1:$PORT/tap/tap0?count=1" >"$T/code"
[ "$(cat "$T/code")" = 401 ] || fail "curl without a token: $(cat "$T/code")"
pass "a tap over TCP without a token: 401, flowctl exits 1"
ip netns exec $NSA "$FLOWCTL" -s 127.0.0.1:$PORT -t "$TOKEN" tap tap0 \
    udp port 5353 -c 4 -w "$T/t.pcap" 2>"$T/t.err" &
CLI=$!
wait_for 10 running a 1 || fail "tap over TCP with the token: $(cat "$T/t.err")"
send 4 5353
wait $CLI || fail "tap over TCP with the token: $(cat "$T/t.err")"
[ "$(tcpdump -nn -r "$T/t.pcap" 2>/dev/null | wc -l)" = 4 ] || fail "TCP: not 4 packets"
pass "a tap over TCP with the token: 4 packets"
CLIS=""
for i in 1 2 3 4; do
	"$FLOWCTL" -s unix:$T/a.sock tap tap0 -G 60 >/dev/null 2>&1 &
	CLIS="$CLIS $!"
done
wait_for 10 running a 4 || fail "4 taps did not start"
"$FLOWCTL" -s unix:$T/a.sock tap tap0 -c 1 >"$T/o" 2>"$T/e" &&
	fail "a fifth tap was started (api.max_taps 4)"
grep -q "429" "$T/e" || fail "a fifth tap: $(cat "$T/e")"
kill $CLIS
wait $CLIS 2>/dev/null
wait_for 5 running a 0 || fail "the 4 taps did not end with their clients"
pass "api.max_taps: a fifth tap is answered 429; 4 clients gone, 4 taps ended"
"$FLOWCTL" -s unix:$T/a.sock tap tap0 'udp port' -c 1 >"$T/o" 2>"$T/e" &&
	fail "a broken filter was accepted"
grep -q "400 filter: .*syntax error" "$T/e" || fail "broken filter: $(cat "$T/e")"
[ "$(taps a)" = 0 ] || fail "a broken filter left a tap"
pass "a filter libpcap refuses: its message ($(head -c 60 "$T/e")...), exit 1"
"$FLOWCTL" -s unix:$T/a.sock tap nosuch0 -c 1 >"$T/o" 2>"$T/e" &&
	fail "a tap on an interface not recorded"
grep -q "404" "$T/e" || fail "not recorded: $(cat "$T/e")"
pass "an interface not recorded: 404, exit 1"
conf b
kill -HUP $PID_b
wait_for 10 sh -c "grep -c 'reload' '$T/b.err' | grep -q ." || true
wait_for 10 sh -c "curl -s --unix-socket $T/b.sock http://x/tap/tap0?count=1 | grep -q 'api.tap'" ||
	fail "api.tap off: $(curl -s --unix-socket "$T/b.sock" "http://x/tap/tap0?count=1")"
"$FLOWCTL" --hosts-file "$T/hosts.yaml" -q b tap tap0 -c 1 >"$T/o" \
    2>"$T/e" && fail "api.tap off: flowctl exited 0"
grep -q "403 taps are off" "$T/e" || fail "api.tap off: $(cat "$T/e")"
pass "api.tap off: 403, exit 1"

# 4. A client that stops reading: the recording loses nothing, the tap
# drops and reports it at its end.
before=$(kernel_drops a)
"$FLOWCTL" -s unix:$T/a.sock tap tap0 udp -G 4 2>"$T/s.err" |
	(sleep 6; cat >"$T/s.pcap") &
CLI=$!
wait_for 10 running a 1 || fail "slow tap did not start"
"$FLOWCTL" -s unix:$T/a.sock status >"$T/st.txt" || fail "flowctl status"
grep -Eq '^[0-9]+ +tap0 .* udp$' "$T/st.txt" || fail "flowctl status: no tap: $(cat "$T/st.txt")"
send 20000 5353 0
wait $CLI
grep -q "tap0: [0-9]* packets relayed, [1-9][0-9]* dropped by the tap" "$T/s.err" ||
	fail "no drops reported: $(cat "$T/s.err")"
tcpdump -nn -r "$T/s.pcap" >/dev/null 2>&1 || fail "slow client's file"
rel=$(sed -n 's/.*tap0: \([0-9]*\) packets relayed, \([0-9]*\) dropped.*/\1 \2/p' "$T/s.err")
set -- $rel
[ $(($1 + $2)) = 20000 ] || fail "relayed $1 + dropped $2 is not the 20000 sent"
[ "$(tcpdump -nn -r "$T/s.pcap" 2>/dev/null | wc -l)" = $1 ] ||
	fail "the file does not hold the $1 packets relayed"
after=$(kernel_drops a)
[ "$before" = "$after" ] || fail "the recording dropped $((after - before))"
curl -s --unix-socket "$T/a.sock" http://x/metrics >"$T/metrics"
promtool check metrics <"$T/metrics" >"$T/promtool" 2>&1 || fail "promtool: $(cat "$T/promtool")"
m() { awk -v k="$1" '$1 == k { print $2 }' "$T/metrics"; }
[ "$(m 'flowrec_tap_dropped_total{reason="queue"}')" -gt 0 ] &&
[ "$(m 'flowrec_tap_packets_total{address_family="IPv4"}')" -gt 10000 ] &&
[ "$(m 'flowrec_tap_packet_bytes_bucket{address_family="IPv4",le="64"}')" -gt 10000 ] &&
[ "$(m 'flowrec_taps_active')" = 0 ] && [ "$(m 'flowrec_taps_refused_total')" = 1 ] ||
	fail "metrics: $(grep tap "$T/metrics")"
pass "metrics: promtool is clean; relayed by family, sizes, drops, active, refused"
pass "a client that does not read: $rel relayed/dropped of 20000 sent, recording kernel drops $before -> $after"

# host b with a rate limit of 50 packets a second: the rest dropped, said
conf b "  tap: true" "  tap_rate: 50"
kill -HUP $PID_b
wait_for 10 sh -c "curl -s --unix-socket $T/b.sock http://x/config | grep -q '\"tap_rate\": *50'" ||
	fail "tap_rate 50 not loaded: $(curl -s --unix-socket $T/b.sock http://x/config)"
"$FLOWCTL" --hosts-file "$T/hosts.yaml" -q b tap tap0 udp port 5353 -G 2 \
    -w "$T/r.pcap" 2>"$T/r.err" &
CLI=$!
wait_for 10 running b 1 || fail "rate-limited tap did not start"
send 300 5353 0
wait $CLI || fail "rate-limited tap: $(cat "$T/r.err")"
got=$(tcpdump -nn -r "$T/r.pcap" 2>/dev/null | wc -l)
grep -q "0 queue, [1-9][0-9]* limit" "$T/r.err" && [ "$got" -ge 50 ] && [ "$got" -le 160 ] ||
	fail "tap_rate 50: $got packets; $(cat "$T/r.err")"
pass "api.tap_rate 50: $got of 300 packets relayed, the rest counted ($(grep -o '[0-9]* limit' "$T/r.err"))"

# 5. A client that goes away ends its tap; SIGINT leaves a valid file.
ip netns exec $NSA true
"$FLOWCTL" -s unix:$T/a.sock tap tap0 udp >/dev/null 2>&1 &
CLI=$!
wait_for 10 running a 1 || fail "tap did not start"
kill -KILL $CLI
wait $CLI 2>/dev/null
wait_for 3 running a 0 || fail "a gone client's tap still runs"
pass "a client killed while idle: its tap ends"
"$FLOWCTL" -s unix:$T/a.sock tap tap0 udp port 5353 -w "$T/i.pcap" 2>"$T/i.err" &
CLI=$!
wait_for 10 running a 1 || fail "tap did not start"
send 5 5353
wait_for 5 sh -c "[ \$(tcpdump -nn -r $T/i.pcap 2>/dev/null | wc -l) = 5 ]" ||
	fail "5 packets not written while running"
kill -INT $CLI
wait $CLI || fail "SIGINT: exit $?"
[ "$(tcpdump -nn -r "$T/i.pcap" 2>/dev/null | wc -l)" = 5 ] || fail "SIGINT: file"
pass "SIGINT: exit 0, the file holds the 5 packets written while it ran"

# 6. Both daemons stop cleanly, a with a tap whose client reads nothing.
"$FLOWCTL" -s unix:$T/a.sock tap tap0 2>/dev/null | sleep 60 &
STUCK=$!
wait_for 10 running a 1 || fail "stuck tap did not start"
send 20000 5353 0
# The interface goes away under a tap: the tap ends, the stream too.
"$FLOWCTL" --hosts-file "$T/hosts.yaml" -q b tap tap0 -w "$T/g.pcap" \
    2>"$T/g.err" &
CLI=$!
wait_for 10 running b 1 || fail "tap on b did not start"
ip -n $NSS link del tps2$TAG
wait_for 10 sh -c "! kill -0 $CLI 2>/dev/null" || fail "the tap outlived its interface"
wait $CLI || fail "interface gone: exit $?: $(cat "$T/g.err")"
grep -q "tap0: [0-9]* packets relayed, 0 dropped by the tap" "$T/g.err" ||
	fail "interface gone: $(cat "$T/g.err")"
pass "the interface deleted under a tap: the tap ends, flowctl exits 0 with its summary"

for n in a b; do
	eval pid=\$PID_$n
	kill -TERM $pid
	wait $pid || fail "flowrecd $n exited $?"
done
FR_PIDS=""
kill $STUCK 2>/dev/null
pass "both flowrecd stop with exit 0 (a with a tap whose client reads nothing)"
