#!/bin/sh
# fleet.sh - fleet queries (flowq -q) in one command: 10 and 30 hosts,
# each in its own network namespace on one bridge, each with the same
# synthetic day (bench/query_gen; hard links of one file), asked
#   -c "sip = X" sip,dip     (a needle: index seeks on every host)
#   -n 10 talk_conv          (a top 10 over every row of the day)
# by flowq -q from a client namespace, against the slowest of three hosts
# asked alone.  Wall clock, median of 3, process start included.
#
#   bench/fleet.sh [BUILDDIR]
#
# FLEET_SIZES (default "10 30") the fleets to time; "" for the instant
# hosts only.  Run as root (namespaces).  The hosts are flowrecd daemons
# with FLEET_HOSTS=daemon (each recording its veth, the day in its store),
# else tests/integ/fleet_host.py, which answers each query with flowq over
# the host's store (FLEET_HOSTS=standin, the default).  FLEET_NS_PREFIX
# (default fb) starts the namespaces' names.  FLEET_FLOWS rows per bin (default
# 5000: 1.44 M rows a day).  Every host shares this machine's cores: with
# N hosts busy at once, the fleet's time is the slowest host's under
# N-fold load, not what N machines would take; the needle query, where
# each host's work is small, shows the fan-out's own cost.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
FLOWQ=$build/flowq
FLOWRECD=$build/flowrecd
GEN=$build/bench/query_gen
DIR=${FLEET_BENCH_DIR:-/var/tmp/flowrec-fleet-bench}
FLOWS=${FLEET_FLOWS:-5000}
KIND=${FLEET_HOSTS:-standin}
export TZ=UTC
[ "$(id -u)" = 0 ] || { echo "fleet.sh: run as root (namespaces)" >&2; exit 1; }
[ -x "$GEN" ] || { echo "fleet.sh: no $GEN (make check builds it)" >&2; exit 1; }

mkdir -p "$DIR"
if [ ! -f "$DIR/base-$FLOWS.done" ]; then
	echo "generating the day ($FLOWS flows a bin)..."
	rm -rf "$DIR/base-$FLOWS"
	"$GEN" "$DIR/base-$FLOWS" eth0 2024-01-15 288 "$FLOWS" $((FLOWS * 4)) 1 >/dev/null
	touch "$DIR/base-$FLOWS.done"
fi
day=$(ls "$DIR/base-$FLOWS"/eth0/eth0-*.db)

TAG=$$
NSP=${FLEET_NS_PREFIX:-fb}	# namespaces' prefix
HUB=${NSP}H$TAG
CLI=${NSP}C$TAG
NS_LIST=""
PIDS=""
cleanup() {
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	for n in $NS_LIST; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$DIR/run.$TAG"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
addr() { echo "10.78.$(($1 / 200)).$(($1 % 200 + 10))"; }

attach() {	# NS ADDR IDX
	ip netns add "$1"
	NS_LIST="$NS_LIST $1"
	ip link add "ba${3}x$TAG" netns "$1" type veth peer name "bb${3}x$TAG" netns $HUB
	ip -n "$1" link set lo up
	ip -n "$1" addr add "$2/16" dev "ba${3}x$TAG"
	ip -n "$1" link set "ba${3}x$TAG" up
	ip -n $HUB link set "bb${3}x$TAG" master br0
	ip -n $HUB link set "bb${3}x$TAG" up
}

ip netns add $HUB
NS_LIST=$HUB
ip -n $HUB link add br0 type bridge
ip -n $HUB link set br0 up
attach $CLI 10.78.250.2 0
R=$DIR/run.$TAG
mkdir -p "$R"
echo "hosts:" > "$R/hosts.yaml"

tok() { if [ "$KIND" = daemon ]; then echo token-of-bench-host-$1; else echo tok$1; fi; }
started=0
start_hosts() {	# up to N
	while [ $started -lt "$1" ]; do
		started=$((started + 1))
		i=$started
		attach ${NSP}h${i}x$TAG "$(addr $i)" $i
		mkdir -p "$R/db$i/eth0"
		ln "$day" "$R/db$i/eth0/"
		echo "  h$i: {addr: \"$(addr $i):8145\", token: $(tok $i)}" >> "$R/hosts.yaml"
		if [ "$KIND" = daemon ]; then
			# records its veth (quiet: bins written hourly); the
			# day is the hard-linked eth0 store
			printf 'db_path: %s\ninterval: 3600\ninterfaces:\n  %s: {max_flows: 4096, ring: {block_size: 65536, block_count: 4}}\napi:\n  socket: none\n  listen: "%s:8145"\n  tokens: [token-of-bench-host-%s]\n  hosts_file: %s\n' \
			    "$R/db$i" "ba${i}x$TAG" "$(addr $i)" $i "$R/hosts.yaml" > "$R/h$i.yaml"
			ip netns exec ${NSP}h${i}x$TAG "$FLOWRECD" -c "$R/h$i.yaml" \
			    >"$R/h$i.out" 2>&1 &
		else
			ip netns exec ${NSP}h${i}x$TAG python3 "$top/tests/integ/fleet_host.py" \
			    "$FLOWQ" "$R/db$i" "$(addr $i)" 8145 "$(tok $i)" >"$R/h$i.out" 2>&1 &
		fi
		PIDS="$PIDS $!"
	done
	i=1
	while [ $i -le "$1" ]; do	# every host answers a query
		n=0
		until ip netns exec $CLI "$FLOWQ" -q h$i --hosts-file "$R/hosts.yaml" \
		    --host-timeout 2 -f 2024-01-15T00:00:00Z -l 2024-01-15T00:05:00Z \
		    -c "sip = 10.0.0.1" sip >/dev/null 2>&1; do
			n=$((n + 1))
			[ $n -gt 200 ] && { echo "host h$i never answered" >&2; exit 1; }
			sleep 0.1
		done
		i=$((i + 1))
	done
}

hostlist() { i=1; l=h1; while [ $i -lt "$1" ]; do i=$((i + 1)); l="$l,h$i"; done; echo $l; }
bday="-f 2024-01-15T00:00:00Z -l 2024-01-16T00:00:00Z"
X=10.128.6.200
t() {	# median of 3 wall times (ms) of flowq -q HOSTS ARGS...
	hs=$1
	shift
	"$GEN" -t 3 ip netns exec $CLI "$FLOWQ" -q "$hs" --hosts-file "$R/hosts.yaml" \
	    --host-timeout 600 $bday "$@"
}

echo "hosts: $KIND; a day of 288 x $FLOWS rows on each; load average $(cut -d' ' -f1-3 /proc/loadavg)"
fmt='%-28s %6s %12s %10s %10s\n'
printf "$fmt" "query" "hosts" "slowest (ms)" "fleet (ms)" "fleet - slowest"
for N in ${FLEET_SIZES-10 30}; do
	start_hosts $N
	for q in needle conv; do
		if [ $q = needle ]; then set -- -c "sip = $X" sip,dip; name="-c \"sip = X\" sip,dip"
		else set -- -n 10 talk_conv; name="-n 10 talk_conv"; fi
		s1=$(t h1 "$@"); s2=$(t h2 "$@"); s3=$(t h3 "$@")
		slow=$(echo "$s1 $s2 $s3" | awk '{m=$1; if ($2>m) m=$2; if ($3>m) m=$3; print m}')
		f=$(t "$(hostlist $N)" "$@")
		printf "$fmt" "$name" $N "$slow" "$f" "$(echo "$f $slow" | awk '{printf "%.1f", $1 - $2}')"
		[ "$KIND" = daemon ] || continue
		# the same through h1 as global-query server (curl, POST /_query)
		if [ $q = needle ]; then a='"query":"sip,dip","condition":"sip = '$X'"'
		else a='"query":"talk_conv","num_results":10'; fi
		g=$("$GEN" -t 3 ip netns exec $CLI curl -sf -o /dev/null -m 600 \
		    -H "Authorization: Bearer $(tok 1)" -d '{'"$a"',"ifaces":"eth0","first":"2024-01-15T00:00:00Z","last":"2024-01-16T00:00:00Z","query_hosts":"'"$(hostlist $N)"'"}' \
		    "http://$(addr 1):8145/_query")
		printf "$fmt" "  via h1's POST /_query" $N "$slow" "$g" "$(echo "$g $slow" | awk '{printf "%.1f", $1 - $2}')"
	done
done

# The fan-out's own cost: 30 hosts that answer at once (tests/unit/
# qfleet_peer.py, a canned one-row answer each, on the client's loopback):
# wall time and flowq's CPU seconds, against one such host.
modes=""
i=1
while [ $i -le 30 ]; do modes="$modes ok:h$i"; i=$((i + 1)); done
mkfifo "$R/peer.in"
ip netns exec $CLI python3 "$top/tests/unit/qfleet_peer.py" $modes \
    < "$R/peer.in" > "$R/peer.out" 2>&1 &
PIDS="$PIDS $!"
exec 9> "$R/peer.in"
n=0
until [ -s "$R/peer.out" ]; do n=$((n + 1)); [ $n -gt 300 ] && break; sleep 0.1; done
python3 - "$R/peer.out" > "$R/instant.yaml" <<-'EOF2'
import json, sys
ports = json.loads(open(sys.argv[1]).readline())
print("hosts:")
for m, p in ports.items():
    if m.startswith("ok:"):
        print("  %s: {addr: \"127.0.0.1:%d\", token: good}" % (m[3:], p))
EOF2
for N in 1 30; do
	w=$("$GEN" -t 5 ip netns exec $CLI "$FLOWQ" -q "$(hostlist $N)" \
	    --hosts-file "$R/instant.yaml" sip)
	ip netns exec $CLI /usr/bin/time -o "$R/time" -f "%U %S" "$FLOWQ" \
	    -q "$(hostlist $N)" --hosts-file "$R/instant.yaml" sip >/dev/null 2>&1
	cpu=$(cat "$R/time")
	echo "instant hosts: $N: wall $w ms (median of 5), flowq CPU user+sys $cpu s"
done
exec 9>&-
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
