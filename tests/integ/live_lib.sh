# live_lib.sh - helpers for the live_*.sh tests (sourced, not run).
#
# Each test gets its own network namespaces and veth pair with names made
# unique by the test's PID, and a trap that removes them and stops any
# flowrecd it started.  Readiness is always a log line or a file, never a
# fixed sleep: wait_for polls a condition with a deadline.
: "${top_srcdir:=.}" "${top_builddir:=.}"
FLOWRECD=$top_builddir/flowrecd
LIVESEND=$top_builddir/tests/livesend

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: live tests need root (network namespaces, packet sockets)"
	exit 77
fi
for t in ip sqlite3 python3; do
	command -v $t >/dev/null || { echo "FAIL: $t is not installed"; exit 1; }
done

T=$(mktemp -d /tmp/flowrec-live.XXXXXX)
TAG=$$
NSA=frA$TAG NSB=frB$TAG		# A sends, B records
IFA=fa$TAG IFB=fb$TAG
FR_PIDS=""
NETNS_LIST=""

live_cleanup() {
	for p in $FR_PIDS; do kill -KILL "$p" 2>/dev/null; done
	for n in $NETNS_LIST; do ip netns del "$n" 2>/dev/null; done
	[ -n "$KEEP" ] || rm -rf "$T"
}
trap live_cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*"; [ -f "$T/fr.err" ] && tail -n 30 "$T/fr.err"; exit 1; }
pass() { echo "ok - $*"; }

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds
wait_for() {
	local limit=$1 i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ $i -gt $((limit * 50)) ] && return 1
		sleep 0.02
	done
}

# mk_pair: namespaces A and B joined by veth IFA (10.200.0.1) - IFB (10.200.0.2)
mk_pair() {
	ip netns add $NSA || fail "ip netns add"
	NETNS_LIST="$NETNS_LIST $NSA"
	ip netns add $NSB || fail "ip netns add"
	NETNS_LIST="$NETNS_LIST $NSB"
	ip link add $IFA netns $NSA type veth peer name $IFB netns $NSB ||
		fail "veth"
	for e in "$NSA $IFA 10.200.0.1" "$NSB $IFB 10.200.0.2"; do
		set -- $e
		ip netns exec $1 sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip netns exec $1 sysctl -qw net.ipv6.conf.default.disable_ipv6=1
		ip -n $1 link set lo up
		ip -n $1 addr add $3/24 dev $2
		ip netns exec $1 ethtool -K $2 gro off tso off gso off \
			>/dev/null 2>&1 || true
		ip -n $1 link set $2 up
	done
	wait_for 5 sh -c "[ \"\$(ip netns exec $NSB cat /sys/class/net/$IFB/operstate)\" = up ]" ||
		fail "veth did not come up"
}

# start_fr NS ARGS...: flowrecd in NS, output in $T/fr.out, $T/fr.err
start_fr() {
	local ns=$1
	shift
	: >"$T/fr.out"; : >"$T/fr.err"
	ip netns exec "$ns" "$FLOWRECD" "$@" >"$T/fr.out" 2>"$T/fr.err" &
	FR_PID=$!
	FR_PIDS="$FR_PIDS $FR_PID"
}

# wait_log PATTERN [SECONDS]: until flowrecd's log has PATTERN
wait_log() {
	wait_for "${2:-10}" grep -q -- "$1" "$T/fr.err" ||
		fail "no log line '$1'"
}

# stop_fr [SIGNAL]: stop flowrecd and check it exits 0
stop_fr() {
	kill -"${1:-TERM}" "$FR_PID"
	wait "$FR_PID"
	FR_RC=$?
	[ "$FR_RC" = 0 ] || fail "flowrecd exited $FR_RC"
}

# rows DBDIR IFACE: every flow row of every day file, summed over bins:
# sip,dip,dport,proto,vlan,bytes_rcvd,bytes_sent,pkts_rcvd,pkts_sent
rows() {
	for f in "$1/$2"/*.db; do
		[ -f "$f" ] || continue
		sqlite3 -csv "$f" "SELECT sip,dip,dport,proto,vlan,bytes_rcvd,
		    bytes_sent,pkts_rcvd,pkts_sent FROM flows"
	done | awk -F, '{ k = $1 "," $2 "," $3 "," $4 "," $5
		b1[k] += $6; b2[k] += $7; p1[k] += $8; p2[k] += $9 }
		END { for (k in b1) print k "," b1[k] "," b2[k] "," p1[k] "," p2[k] }' |
		sort
}

# binsum DBDIR IFACE COLUMN: a bins counter summed over every day file
binsum() {
	local s=0 v f
	for f in "$1/$2"/*.db; do
		[ -f "$f" ] || continue
		v=$(sqlite3 "$f" "SELECT coalesce(sum($3),0) FROM bins")
		s=$((s + v))
	done
	echo $s
}

# snmp NS: "InReceives OutRequests InOctets OutOctets" of the IPv4 stack
snmp() {
	ip netns exec "$1" awk '
		$1 == "Ip:" && !ip { for (i = 2; i <= NF; i++) h[i] = $i; ip = 1; next }
		$1 == "Ip:" && ip == 1 { for (i = 2; i <= NF; i++) v[h[i]] = $i; ip = 2 }
		$1 == "IpExt:" && !ix { for (i = 2; i <= NF; i++) g[i] = $i; ix = 1; next }
		$1 == "IpExt:" && ix == 1 { for (i = 2; i <= NF; i++) w[g[i]] = $i; ix = 2 }
		END { print v["InReceives"], v["OutRequests"], w["InOctets"], w["OutOctets"] }
	' /proc/net/snmp /proc/net/netstat
}

# exitline IFACE FIELD: a counter from flowrecd's exit line
exitline() {
	grep "^$1: kernel_packets=" "$T/fr.out" | tr ' ' '\n' |
		sed -n "s/^$2=//p"
}
