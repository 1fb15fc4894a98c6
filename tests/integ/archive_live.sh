#!/bin/bash
# archive_live.sh - the packet archive live (issue 15): flowrecd -c records
# a veth end in a namespace with an archive (cutoff 3000 bytes, zstd) while
# tcpdump, the reference, captures the same end; the archive must hold
# exactly the packets archive_check.py's evaluation of the rules keeps from
# tcpdump's capture (lengths and bytes, VLAN tags put back, whole frames:
# the ring's snaplen follows the archive's), read back by zstdcat and
# tcpdump.  Then a disk that fills up (a 256 KiB tmpfs): capture and flows
# go on, the loss is counted.
. "${top_srcdir:-.}/tests/integ/live_lib.sh"
CHECK="python3 ${top_srcdir:-.}/tests/integ/archive_check.py"
for t in tcpdump zstdcat; do
	command -v $t >/dev/null || { echo "FAIL: $t is not installed"; exit 1; }
done

mk_pair
cat >"$T/fr.yaml" <<EOF
db_path: $T/db
interfaces:
  $IFB:
    archive:
      path: $T/ar
      cutoff_bytes: 3000
      compress: zstd
    headers:
      path: $T/hdr
EOF
start_fr $NSB -c "$T/fr.yaml"
wait_log "$IFB: recording"
grep -q "snaplen 65535" "$T/fr.err" || fail "the ring's snaplen is not the archive's: $(grep recording "$T/fr.err")"
pass "the ring keeps 65535 bytes of a frame for the archive"
# The writer thread runs below the capture (nice 19): on a busy CPU the
# archive's queue fills and drops, not the ring.
nice=""
for t in /proc/$FR_PID/task/*; do
	[ "$(cat $t/comm 2>/dev/null)" = fr-archive ] &&
		nice=$(cut -d')' -f2- $t/stat | awk '{ print $17 }')
done
[ "$nice" = 19 ] || fail "the archive's writer thread: nice '$nice', want 19"
pass "the archive's writer thread (fr-archive) runs at nice 19"
ip netns exec $NSB tcpdump -i $IFB -s 0 -w "$T/ref.pcap" -U >"$T/td.out" 2>"$T/td.err" &
TD=$!
wait_for 10 grep -q "listening on" "$T/td.err" || fail "tcpdump did not start"

# Connections over the cutoff and under it, both directions, VLANs, IPv6,
# fragments, ICMP, and ARP that the kernel filter drops.
cat >"$T/spec" <<'SPEC'
20 4 6 198.51.100.1 198.51.100.2 40000 80 payload=1400
10 4 6 198.51.100.2 198.51.100.1 80 40000 payload=1000
5 4 6 198.51.100.1 198.51.100.2 40001 80 payload=100
12 4 17 198.51.100.3 198.51.100.4 5000 53 payload=600 vlans=100
12 4 17 198.51.100.3 198.51.100.4 5000 53 payload=600 vlans=200
8 6 6 2001:db8::1 2001:db8::2 1234 443 payload=900
1 4 17 198.51.100.5 198.51.100.6 6000 7000 id=77 mf=1 payload=1200
1 4 17 198.51.100.5 198.51.100.6 6000 7000 id=77 off=151 mf=1 payload=1200
1 4 17 198.51.100.5 198.51.100.6 6000 7000 id=77 off=301 payload=1200
4 4 1 198.51.100.11 198.51.100.12 0 0 icmp=8 payload=1000
30 4 17 198.51.100.20 198.51.100.21 7000 9000 payload=200 sports=30
arp 5
SPEC
ip netns exec $NSA "$LIVESEND" $IFA <"$T/spec" >"$T/sent" || fail "livesend"
grep -q "sent=109" "$T/sent" || fail "livesend sent $(cat "$T/sent")"
# tcpdump has seen every IP frame sent (the reference is complete).
wait_for 10 sh -c "[ \$(tcpdump -r '$T/ref.pcap' -nn 2>/dev/null | wc -l) -ge 109 ]" ||
	fail "tcpdump saw $(tcpdump -r "$T/ref.pcap" 2>/dev/null | wc -l) frames"
stop_fr TERM
kill -INT $TD
wait $TD

$CHECK expect "$T/ref.pcap" 3000 0 60 65535 | cut -d' ' -f2- >"$T/want"
: >"$T/got"
n=0 tdn=0
for f in $(find "$T/ar" -type f | sort); do
	case "$f" in
	*/$IFB/20*/$IFB-*.pcap.zst) ;;
	*) fail "unexpected file $f" ;;
	esac
	zstdcat -q "$f" | $CHECK dump - "$(basename "$f")" 60 | grep -v '^#' |
		cut -d' ' -f2- >>"$T/got" || fail "$f: packets out of its period"
	tdn=$((tdn + $(zstdcat -q "$f" | tcpdump -nn -r - 2>/dev/null | wc -l)))
	n=$((n + 1))
done
[ "$n" -ge 1 ] || fail "no archive file"
want=$(wc -l <"$T/want")
[ "$want" -lt 104 ] && [ "$want" -gt 40 ] || fail "the traffic does not exercise the cutoff ($want of 104)"
cmp -s "$T/want" "$T/got" || {
	diff "$T/want" "$T/got" | head -n 5 | cut -c1-100
	fail "the archive differs from the rules applied to tcpdump's capture"
}
pass "the $want archived packets (of 104) are the rules' on tcpdump's capture, frames whole, VLAN tags back"
[ "$tdn" = "$want" ] || fail "tcpdump reads $tdn packets back, want $want"
pass "zstdcat | tcpdump reads $tdn packets back"
grep -q "^$IFB: archive packets=104 archived=$want dropped=0 .* write_errors=0 write_lost=0" "$T/fr.out" ||
	fail "exit line: $(grep archive "$T/fr.out")"
pass "the exit line counts 104 packets, $want archived, none dropped"
grep -q "archive: if=$IFB W=00 flows=[0-9]* removed=0 bytes=[0-9]* pkts=104 output=$want outpct=[0-9.]* recvd=104 dropped=0" "$T/fr.err" ||
	fail "no gotm log line: $(grep 'archive: if' "$T/fr.err")"
pass "gotm's log line"
[ -z "$(find "$T/ar" -name '*.tmp')" ] || fail ".tmp left"
[ "$(rows "$T/db" $IFB | awk -F, '$1 == "198.51.100.1" && $3 == 80 { print $8 + $9 }')" = 35 ] ||
	fail "flows: $(rows "$T/db" $IFB | head -n 3)"
[ "$(exitline $IFB ip)" = 104 ] || fail "flows: ip=$(exitline $IFB ip)"
pass "flows recorded all the same (104 IP packets, the cut connections' 35)"

# The header captures: the TCP connections of tcpdump's capture, a file each.
$CHECK hexpect "$T/ref.pcap" 30 30 256 | sed 's/[0-9]*\.[0-9]*\///g' >"$T/hwant"
find "$T/hdr" -type f | sort | $CHECK hdump | sed 's/[0-9]*\.[0-9]*\///g' >"$T/hgot" ||
	fail "header files misnamed"
[ "$(wc -l <"$T/hwant")" = 3 ] && cmp -s "$T/hwant" "$T/hgot" ||
	fail "header captures differ: $(diff "$T/hwant" "$T/hgot" | head -n 3 | cut -c1-100)"
pass "header captures: the 3 TCP connections, a file each, headers cut as the rules say"

# --- a disk that fills up -----------------------------------------------------
mkdir -p "$T/full"
mount -t tmpfs -o size=256k tmpfs "$T/full" || fail "tmpfs"
cat >"$T/full.yaml" <<EOF
db_path: $T/db2
interfaces:
  $IFB:
    archive:
      path: $T/full/ar
      cutoff_bytes: 0
EOF
start_fr $NSB -c "$T/full.yaml"
wait_log "$IFB: recording"
echo "400 4 17 198.51.100.30 198.51.100.31 40000 2000 payload=1400 sports=50" >"$T/spec2"
ip netns exec $NSA "$LIVESEND" $IFA <"$T/spec2" >"$T/sent" || fail "livesend"
stop_fr TERM
umount "$T/full"
line=$(grep "^$IFB: archive " "$T/fr.out")
lost=$(echo "$line" | tr ' ' '\n' | sed -n 's/^write_lost=//p')
errs=$(echo "$line" | tr ' ' '\n' | sed -n 's/^write_errors=//p')
[ "${errs:-0}" -ge 1 ] && [ "${lost:-0}" -ge 1 ] || fail "disk full: $line"
grep -q "archive: .*No space left on device" "$T/fr.err" || fail "disk full not logged"
[ "$(exitline $IFB kernel_drops)" = 0 ] || fail "kernel drops with the disk full"
[ "$(rows "$T/db2" $IFB | awk -F, '$3 == 2000 { p += $8 + $9 } END { print p }')" = 400 ] ||
	fail "flows with the disk full: $(rows "$T/db2" $IFB)"
pass "disk full: $errs file(s) lost with $lost packets, counted and logged; flows all recorded, no kernel drops"
echo "1..9"
exit 0
