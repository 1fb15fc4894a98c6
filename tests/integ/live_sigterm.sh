#!/bin/bash
# live_sigterm.sh - SIGTERM while traffic is still arriving loses nothing:
# every packet the kernel put in the ring (tp_packets - tp_drops) is
# walked, counted and in the DB, with no kernel drops.
. "${top_srcdir:-.}/tests/integ/live_lib.sh"

mk_pair
start_fr $NSB -i $IFB --db "$T/db" --max-flows 100000
wait_log "$IFB: recording"
printf '400000 4 17 198.51.100.1 198.51.100.2 40000 1000 payload=18 dports=20000\n' >"$T/spec"
ip netns exec $NSA "$LIVESEND" $IFA <"$T/spec" >"$T/sent" &
SENDER=$!
# Stop once the ring has seen traffic, with the sender still going.
wait_for 20 sh -c "ip netns exec $NSB cat /sys/class/net/$IFB/statistics/rx_packets | awk '{ exit !(\$1 > 50000) }'" ||
	fail "no traffic arrived"
stop_fr TERM
still=0; kill -0 $SENDER 2>/dev/null && still=1
wait $SENDER
kp=$(exitline $IFB kernel_packets); kd=$(exitline $IFB kernel_drops)
frames=$(exitline $IFB frames)
[ "$kd" = 0 ] || fail "kernel drops: $kd"
[ "$frames" = "$kp" ] || fail "walked $frames of $kp delivered"
[ "$(binsum "$T/db" $IFB packets)" = "$kp" ] || fail "bins.packets != $kp"
pr=$(rows "$T/db" $IFB | awk -F, '{ p += $8 } END { print p + 0 }')
[ "$pr" = "$kp" ] || fail "rows hold $pr packets of $kp"
n=$(rows "$T/db" $IFB | wc -l)
pass "SIGTERM under load (sender still running: $still): $kp packets delivered, $kp in $n rows, 0 drops"
exit 0
