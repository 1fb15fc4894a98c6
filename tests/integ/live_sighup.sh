#!/bin/bash
# live_sighup.sh - SIGHUP adds and removes interfaces while another one
# records undisturbed; an interface named before it exists is waited for;
# one that vanishes is logged while the others go on; a bad file on
# SIGHUP keeps the running configuration.
. "${top_srcdir:-.}/tests/integ/live_lib.sh"

mk_pair
IFA2=ga$TAG IFB2=gb$TAG
conf() {
	{ echo "db_path: $T/db"; echo "interfaces:"
	  for i in "$@"; do echo "  $i: {ring: {block_size: 65536, block_count: 8, retire_ms: 20}}"; done
	} >"$T/conf.yaml.new"
	mv "$T/conf.yaml.new" "$T/conf.yaml"
}
send() {	# send IFACE N DPORT
	printf '%s 4 17 198.51.100.1 198.51.100.2 40000 %s payload=10\n' $2 $3 |
		ip netns exec $NSA "$LIVESEND" $1 >/dev/null || fail "send on $1"
}
count() { grep -c -- "$1" "$T/fr.err"; }

conf $IFB
start_fr $NSB -c "$T/conf.yaml"
wait_log "$IFB: recording"
send $IFA 10 1001

# Add an interface that does not exist yet: waited for, then recorded.
conf $IFB $IFB2
kill -HUP $FR_PID
wait_log "$IFB2: no such interface; waiting"
ip link add $IFA2 netns $NSA type veth peer name $IFB2 netns $NSB
ip -n $NSA link set $IFA2 up; ip -n $NSB link set $IFB2 up
wait_log "$IFB2: recording"
pass "SIGHUP added $IFB2; missing at first, recorded once it appeared"
send $IFA2 20 2002
send $IFA 30 1003

# A bad file changes nothing.
echo "interfaces: {$IFB: {snaplen: 1}}" >"$T/conf.yaml"
kill -HUP $FR_PID
wait_log "keeping the running configuration"
pass "bad file on SIGHUP: $(grep -o "SIGHUP: .*" "$T/fr.err" | tail -1)"

# Remove the first one; the second is not touched.
conf $IFB2
kill -HUP $FR_PID
wait_log "$IFB: stopped"
grep -q "^$IFB: kernel_packets=" "$T/fr.out" || fail "no exit line for $IFB"
send $IFA2 40 2004

# The second one vanishes and comes back.
ip -n $NSB link del $IFB2
wait_log "$IFB2: interface is gone"
ip link add $IFA2 netns $NSA type veth peer name $IFB2 netns $NSB
ip -n $NSA link set $IFA2 up; ip -n $NSB link set $IFB2 up
wait_for 10 sh -c "[ \$(grep -c '$IFB2: recording' '$T/fr.err') = 2 ]" ||
	fail "$IFB2 not reopened"
send $IFA2 50 2005
stop_fr TERM

[ "$(count "$IFB: recording")" = 1 ] || fail "$IFB was restarted"
[ "$(count "$IFB2: settings changed")" = 0 ] || fail "$IFB2 was restarted"
rows "$T/db" $IFB >"$T/r1"; rows "$T/db" $IFB2 >"$T/r2"
grep -q ',1001,17,0,.*,10,0$' "$T/r1" && grep -q ',1003,17,0,.*,30,0$' "$T/r1" ||
	fail "$IFB rows: $(cat "$T/r1")"
grep -q ',2002,17,0,.*,20,0$' "$T/r2" && grep -q ',2004,17,0,.*,40,0$' "$T/r2" &&
	grep -q ',2005,17,0,.*,50,0$' "$T/r2" || fail "$IFB2 rows: $(cat "$T/r2")"
[ "$(wc -l <"$T/r1")" = 2 ] && [ "$(wc -l <"$T/r2")" = 3 ] || fail "extra rows"
pass "removed $IFB kept its rows; $IFB2 recorded across reload, vanish and return"
exit 0
