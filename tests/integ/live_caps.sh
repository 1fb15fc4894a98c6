#!/bin/bash
# live_caps.sh - flowrecd runs as an unprivileged user that holds only
# CAP_NET_RAW and CAP_IPC_LOCK (as the systemd unit in examples/ does with
# AmbientCapabilities), records, and writes its store; without them it
# says why and exits 1.
. "${top_srcdir:-.}/tests/integ/live_lib.sh"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is not installed"

# LeakSanitizer cannot stop the world of a process that changed its uid
# (it is no longer dumpable): no leak check in the sanitizer build here.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

mk_pair
# uid 65534 may not be able to reach the build tree (a clone under /root
# is mode 0700): run a copy from $T, which it can.
cp "$FLOWRECD" "$T/flowrecd" || fail "cannot copy $FLOWRECD"
chmod 755 "$T/flowrecd"
FLOWRECD=$T/flowrecd
mkdir -p "$T/db"
chown 65534:65534 "$T/db"
chmod 755 "$T"
# As nobody, with the two capabilities ambient (kept across exec).
start_fr_as() {
	: >"$T/fr.out"; : >"$T/fr.err"
	ip netns exec $NSB setpriv --reuid=65534 --regid=65534 --clear-groups \
	    --inh-caps=-all,+net_raw,+ipc_lock --ambient-caps=+net_raw,+ipc_lock \
	    --bounding-set=-all,+net_raw,+ipc_lock \
	    "$FLOWRECD" "$@" >"$T/fr.out" 2>"$T/fr.err" &
	FR_PID=$!
	FR_PIDS="$FR_PIDS $FR_PID"
}
start_fr_as -i $IFB --db "$T/db" --max-flows 10000
wait_log "$IFB: recording"
pid_caps=$(grep CapEff /proc/$FR_PID/status | awk '{print $2}')
uid=$(awk '/^Uid:/ {print $2}' /proc/$FR_PID/status)
printf '300 4 17 198.51.100.1 198.51.100.2 40000 53 payload=18\n' >"$T/spec"
ip netns exec $NSA "$LIVESEND" $IFA <"$T/spec" >"$T/sent" || fail "livesend"
wait_for 10 sh -c "ip netns exec $NSB cat /sys/class/net/$IFB/statistics/rx_packets | awk '{ exit !(\$1 >= 300) }'" ||
	fail "traffic did not arrive"
stop_fr TERM
[ "$uid" = 65534 ] || fail "ran as uid $uid"
# CAP_NET_RAW is bit 13, CAP_IPC_LOCK bit 14: 0x6000 and nothing else.
[ "$pid_caps" = 0000000000006000 ] || fail "effective capabilities $pid_caps"
n=$(rows "$T/db" $IFB | awk -F, '{ p += $8 } END { print p + 0 }')
[ "$n" -ge 300 ] || fail "rows hold $n packets"
owner=$(stat -c %u "$T/db/$IFB"/*.db | sort -u)
[ "$owner" = 65534 ] || fail "day file owned by $owner"
pass "as uid 65534 with only CAP_NET_RAW+CAP_IPC_LOCK: recorded $n packets"

# Without the capabilities: a clear error, exit status 1.
ip netns exec $NSB setpriv --reuid=65534 --regid=65534 --clear-groups \
    --inh-caps=-all --bounding-set=-all \
    "$FLOWRECD" -i $IFB --db "$T/db" >"$T/fr2.out" 2>"$T/fr2.err"
rc=$?
[ "$rc" = 1 ] || fail "without capabilities: exit $rc"
grep -q "Operation not permitted\|CAP_NET_RAW" "$T/fr2.err" ||
	fail "without capabilities: $(cat "$T/fr2.err")"
pass "without CAP_NET_RAW: exit 1, $(grep -m1 -o 'error: .*' "$T/fr2.err")"
exit 0
