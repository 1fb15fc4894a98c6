#!/bin/bash
# bench/tap.sh - what a tap costs the recorder: flowrecd records 300000
# UDP frames sent at line rate over a veth (tests/livesend), once alone
# and once with `flowctl tap tap0 udp -w FILE` relaying every one of them.
# Prints per run the send time, the loop thread's CPU (flowrecd's exit
# line), the recording's kernel packets and drops, and the tap's relayed
# and dropped counts.  Root; run from a built tree.  See doc/tap.md.
B=${top_builddir:-.}
N=${N:-300000}
T=$(mktemp -d /tmp/tapbench.XXXXXX) S=tapbS$$ R=tapbR$$
cleanup() {
	[ -n "$FR" ] && kill -9 $FR 2>/dev/null
	ip netns del $S 2>/dev/null
	ip netns del $R 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
ip netns add $S && ip netns add $R || exit 1
ip link add tbs$$ netns $S type veth peer name tap0 netns $R || exit 1
for e in "$S tbs$$" "$R tap0"; do
	set -- $e
	ip -n $1 link set lo up
	ip -n $1 link set $2 up
done
printf '%s\n' "db_path: $T/db" "interval: 3600" "interfaces:" "  tap0: {}" \
    "api:" "  socket: $T/a.sock" "  tap: true" "  tap_rate: 10000000" \
    "  tap_bytes: 16G" >"$T/c.yaml"
for mode in alone tap; do
	ip netns exec $R "$B/flowrecd" -c "$T/c.yaml" >"$T/out" 2>"$T/err" &
	FR=$!
	for i in $(seq 100); do
		grep -qs "tap0: recording" "$T/err" && [ -S "$T/a.sock" ] && break
		sleep 0.1
	done
	if [ $mode = tap ]; then
		"$B/flowctl" -s unix:$T/a.sock tap tap0 udp -w "$T/t.pcap" \
		    2>"$T/cli.err" &
		CLI=$!
		for i in $(seq 100); do
			curl -s --unix-socket "$T/a.sock" http://x/status |
				grep -q '"taps":\[{' && break
			sleep 0.1
		done
	fi
	s=$(date +%s.%N)
	echo "$N 4 17 10.9.0.1 10.9.0.2 1000 5353 payload=100" |
		ip netns exec $S "$B/tests/livesend" tbs$$ >/dev/null
	e=$(date +%s.%N)
	sleep 1
	if [ $mode = tap ]; then kill -INT $CLI; wait $CLI; fi
	kill -TERM $FR
	wait $FR
	FR=
	echo "$mode: send_s=$(echo "$e - $s" | bc)" \
	    "$(grep loop_thread "$T/out")" \
	    "$(grep '^tap0: kernel' "$T/out" | tr ' ' '\n' |
		grep -E 'kernel_packets|kernel_drops' | tr '\n' ' ')"
	[ $mode = tap ] && sed 's/^flowctl: /  /' "$T/cli.err"
done
