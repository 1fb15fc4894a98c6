#!/bin/bash
# live_ifaces.sh - which interfaces flowrecd records, as they come and go:
#  - a listed interface that does not exist writes nothing (no directory,
#    no bin, nothing in `flowq list`) until it appears, then records;
#  - a /regex/ entry records an interface created after start, with the
#    entry's settings, and stops it when it is deleted (no bin after);
#  - autodetect records a veth created after start, and not one that
#    autodetect.exclude names by pattern;
#  - an interface with a dot in its name (as VLAN interfaces have,
#    dt123.100; a veth here, the test kernel may lack 802.1Q) records, and
#    flowq answers for it.
. "${top_srcdir:-.}/tests/integ/live_lib.sh"
FLOWQ=$top_builddir/flowq

mk_pair
MISS=ms$TAG PAT=px$TAG AUTO=au$TAG EXCL=zz$TAG VLAN=dt$TAG.100
RING="ring: {block_size: 65536, block_count: 8, retire_ms: 20}"
cat >"$T/conf.yaml" <<EOF
db_path: $T/db
interval: 1
autodetect:
  enabled: true
  exclude: [lo, "/^zz/"]
interfaces:
  $IFB: {$RING}
  $MISS: {$RING}
  $VLAN: {$RING}
  "/^px[0-9]+\$/": {snaplen: 256, $RING}
EOF
# add_veth NAME: a veth NAME in B (its peer, pNAME, in A), up
add_veth() {
	ip link add p$1 netns $NSA type veth peer name $1 netns $NSB ||
		fail "veth $1"
	ip -n $NSA link set p$1 up; ip -n $NSB link set $1 up
}
send() {	# send IFACE N DPORT [more]
	printf '%s 4 17 198.51.100.1 198.51.100.2 40000 %s payload=10 %s\n' \
		$2 $3 "$4" | ip netns exec $NSA "$LIVESEND" $1 >/dev/null ||
		fail "send on $1"
}
nbins() {	# nbins IFACE: bins written for it so far
	for f in "$T/db/$1"/*.db; do
		[ -f "$f" ] && sqlite3 -readonly "$f" "SELECT count(*) FROM bins"
	done 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}
has_bins() { [ "$(nbins $1)" -ge $2 ]; }	# has_bins IFACE N

add_veth $VLAN
start_fr $NSB -c "$T/conf.yaml"
wait_log "$IFB: recording"
wait_log "$VLAN: recording"
wait_log "$MISS: no such interface; waiting for it"

# Missing: three bins of IFB later, nothing at all for MISS.
wait_for 20 has_bins $IFB 3 ||
	fail "$IFB wrote no bins"
[ ! -e "$T/db/$MISS" ] || fail "$MISS has a store before it exists: $(ls -R "$T/db/$MISS")"
"$FLOWQ" -d "$T/db" list >"$T/list1" || fail "flowq list"
grep -q "$IFB" "$T/list1" || fail "flowq list: no $IFB: $(cat "$T/list1")"
grep -q "$MISS" "$T/list1" && fail "flowq list shows $MISS: $(cat "$T/list1")"
pass "$MISS (missing): no directory, no bin, not in flowq list after $(nbins $IFB) bins of $IFB"
t_miss=$(date +%s)
add_veth $MISS
wait_log "$MISS: recording"
send p$MISS 10 5001

# Pattern and autodetect: interfaces created after start.
add_veth $EXCL
add_veth $PAT
add_veth $AUTO
wait_log "$PAT: selected by /^px\[0-9\]+\$/"
wait_log "$PAT: recording.*snaplen 256"
wait_log "$AUTO: selected by autodetect"
wait_log "$AUTO: recording"
grep -q "$EXCL: selected" "$T/fr.err" && fail "$EXCL was selected: excluded"
[ ! -e "$T/db/$EXCL" ] || fail "$EXCL has a store"
pass "created after start: $PAT by its pattern (snaplen 256), $AUTO by autodetect; $EXCL excluded"
send p$PAT 20 5002
send p$AUTO 30 5003
send p$VLAN 40 5004

# The pattern's interface goes away: stopped, no bin after.
wait_for 10 has_bins $PAT 1 ||
	fail "$PAT wrote no bin"
ip -n $NSB link del $PAT
wait_log "$PAT: stopped"
t_gone=$(date +%s)
grep -q "$PAT: gone; stopping it" "$T/fr.err" || fail "$PAT: no 'gone' line"
n_after=$(nbins $IFB)
wait_for 20 has_bins $IFB $((n_after + 3)) ||
	fail "$IFB stopped writing"
last=$(for f in "$T/db/$PAT"/*.db; do sqlite3 "$f" "SELECT max(ts) FROM bins"; done | sort -n | tail -1)
[ "$last" -le "$t_gone" ] || fail "$PAT: a bin at $last after it went at $t_gone"
pass "$PAT deleted: stopped, its last bin $last <= $t_gone while $IFB went on"
stop_fr TERM

first=$(for f in "$T/db/$MISS"/*.db; do sqlite3 "$f" "SELECT min(ts) FROM bins"; done | sort -n | head -1)
[ "$first" -ge "$t_miss" ] || fail "$MISS: a bin at $first before it appeared at $t_miss"
rows "$T/db" $MISS | grep -q ',5001,17,0,.*,10,0$' || fail "$MISS rows: $(rows "$T/db" $MISS)"
rows "$T/db" $PAT | grep -q ',5002,17,0,.*,20,0$' || fail "$PAT rows: $(rows "$T/db" $PAT)"
rows "$T/db" $AUTO | grep -q ',5003,17,0,.*,30,0$' || fail "$AUTO rows: $(rows "$T/db" $AUTO)"
rows "$T/db" $VLAN | grep -q ',5004,17,0,.*,40,0$' || fail "$VLAN rows: $(rows "$T/db" $VLAN)"
pass "rows: $MISS from its appearance ($first >= $t_miss), $PAT, $AUTO, $VLAN"

"$FLOWQ" -d "$T/db" -i $VLAN -f 0 -e csv dport >"$T/q" 2>&1 || fail "flowq -i $VLAN: $(cat "$T/q")"
grep -q '^5004,' "$T/q" || fail "flowq -i $VLAN: $(cat "$T/q")"
"$FLOWQ" -d "$T/db" list >"$T/list2" || fail "flowq list"
for i in $IFB $MISS $PAT $AUTO $VLAN; do
	grep -q -- "$i" "$T/list2" || fail "flowq list: no $i: $(cat "$T/list2")"
done
pass "flowq answers for $VLAN and lists all five"
exit 0
