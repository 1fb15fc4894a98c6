#!/bin/bash
# archive_status.sh - the packet archive seen from outside (issue 15):
# flowrecd records a veth end with an archive (1 s files, 2 s bins) and a
# control API; two batches of traffic in different bins (HTTP over the
# cutoff, then DNS).  /status's archive counters, /metrics (promtool) and
# `flowctl status` must agree with the files on disk (their number, their
# bytes, the packets tcpdump reads back) and with what was sent; `flowq
# --pcap` must list exactly the files holding the query's packets, each
# readable by `tcpdump -r`.
. "${top_srcdir:-.}/tests/integ/live_lib.sh"
for t in tcpdump curl promtool; do
	command -v $t >/dev/null || fail "$t is not installed"
done
FLOWQ=$top_builddir/flowq
FLOWCTL=$top_builddir/flowctl

mk_pair
SOCK=$T/api.sock
CONF=$T/fr.yaml
cat >"$CONF" <<YAML
db_path: $T/db
interval: 2
api:
  socket: $SOCK
interfaces:
  $IFB:
    archive:
      path: $T/ar
      cutoff_bytes: 3000
      rotate: 1
YAML
start_fr $NSB -c "$CONF"
wait_log "$IFB: recording"
wait_for 10 test -S "$SOCK" || fail "no socket $SOCK"

# st EXPR: a Python expression over /status's archive object as a
st() {
	curl -s -m 10 --unix-socket "$SOCK" http://flowrecd/status >"$T/status" ||
		return 1
	python3 -c "import json; d=json.load(open('$T/status'))
a=d['statuses']['$IFB'].get('archive', {}); s=d['statuses']['$IFB']
print($1)"
}
[ "$(st "a['path']")" = "$T/ar" ] || fail "/status has no archive: $(cat "$T/status")"
[ "$(st "a['packets_total'], a['files_total']")" = "0 0" ] ||
	fail "counters before traffic: $(st a)"
pass "/status names the archive, nothing counted before traffic"

# 1. HTTP: 20 packets of 1442 bytes one way (cut after 3), 10 of 1042 back.
cat >"$T/spec1" <<'SPEC'
20 4 6 198.51.100.1 198.51.100.2 40000 80 payload=1400
10 4 6 198.51.100.2 198.51.100.1 80 40000 payload=1000
SPEC
ip netns exec $NSA "$LIVESEND" $IFA <"$T/spec1" >"$T/sent" || fail "livesend"
# holds EXPR: st EXPR says True
holds() { [ "$(st "$1")" = True ]; }
wait_for 20 holds "a['files_total'] >= 1 and s['rows_written_total'] >= 1" ||
	fail "the first batch's file and bin: $(st a)"
# 2. DNS, in a later bin and file: 12 packets of 642 bytes, all archived.
echo "12 4 17 198.51.100.3 198.51.100.4 5000 53 payload=600" >"$T/spec2"
ip netns exec $NSA "$LIVESEND" $IFA <"$T/spec2" >"$T/sent" || fail "livesend"
wait_for 20 holds "a['packets_total'] == 42 and a['files_total'] == len(__import__('glob').glob('$T/ar/**/*.pcap', recursive=True)) and a['files_total'] >= 2 and s['rows_written_total'] >= 2 and s['active_flows'] == 0" ||
	fail "the second batch: $(st a)"

files=$(find "$T/ar" -name '*.pcap' | sort)
nfiles=$(echo "$files" | wc -l)
disk=0 inpk=0
for f in $files; do
	disk=$((disk + $(stat -c %s "$f")))
	inpk=$((inpk + $(tcpdump -nn -r "$f" 2>/dev/null | wc -l)))
done
[ "$nfiles" -ge 2 ] || fail "$nfiles archive files"
# under the 3000-byte cutoff: 3 HTTP packets (0, 1454, 2908 bytes
# before them; the replies come after the cut), 5 DNS (0 ... 2568)
[ "$inpk" = 8 ] || fail "tcpdump reads $inpk packets from the archive, want 8"
want="42 $((20 * 1454 + 10 * 1054 + 12 * 642)) 8 $nfiles $inpk $disk $disk 0"
got=$(st "a['packets_total'], a['bytes_total'], a['archived_packets_total'], a['files_total'], a['file_packets_total'], a['file_bytes_total'], a['disk_bytes'], a['dropped_total']" | tr -d '(),')
[ "$got" = "$want" ] || fail "/status archive: $got, want $want (packets bytes archived files in-files file-bytes disk dropped)"
[ "$(st "a['connections'], a['connections_total'], a['connections_cut_total'], round(a['outpct'], 2)" | tr -d '(),')" = "2 2 2 19.05" ] ||
	fail "connections and outpct: $(st a)"
pass "/status: 42 packets seen, 8 archived (19.05 %), 2 connections, both cut; $nfiles files of $disk bytes as on disk; none dropped"

curl -s --unix-socket "$SOCK" http://flowrecd/metrics >"$T/metrics" || fail "/metrics"
promtool check metrics <"$T/metrics" >"$T/promtool" 2>&1 || fail "promtool: $(cat "$T/promtool")"
m() { sed -n "s/^$1{iface=\"$IFB\"} //p" "$T/metrics"; }
[ "$(m flowrec_archive_seen_packets_total) $(m flowrec_archive_packets_total) $(m flowrec_archive_files_total) $(m flowrec_archive_disk_bytes) $(m flowrec_archive_connections_cut_total) $(m flowrec_archive_dropped_packets_total)" = "42 8 $nfiles $disk 2 0" ] ||
	fail "metrics: $(grep archive "$T/metrics" | grep -v '^#')"
pass "/metrics: the same figures, clean under promtool"

ip netns exec $NSB "$FLOWCTL" -c "$CONF" status >"$T/fc" 2>&1 || fail "flowctl status: $(cat "$T/fc")"
grep -Eq "^$IFB +2 +2 +42 +8 +19\.05% +$nfiles +[0-9,]+ +0$" "$T/fc" || {
	cat "$T/fc"
	fail "flowctl status has no archive line"
}
[ "$(grep -A1 ARCHIVE "$T/fc" | tail -n 1 | awk '{ print $8 }' | tr -d ,)" = "$disk" ] ||
	fail "flowctl's bytes on disk"
pass "flowctl status: the archive line (conns, cut, packets, archived, outpct, files, on disk, dropped)"

# 3. flowq --pcap: the files holding a query's rows, and only those.
# holding PORT: the archive files with a packet of PORT
holding() {
	for f in $files; do
		[ "$(tcpdump -nn -r "$f" "port $1" 2>/dev/null | wc -l)" -gt 0 ] && echo "$f"
	done
}
for p in 80 53; do
	"$FLOWQ" --config "$CONF" --pcap -i $IFB -c "dport=$p" -f -1h talk_conv >"$T/pcap$p" 2>"$T/pcap.err" ||
		fail "flowq --pcap: $(cat "$T/pcap.err")"
	holding $p >"$T/want$p"
	[ -s "$T/want$p" ] || fail "no file holds port $p"
	cmp -s "$T/pcap$p" "$T/want$p" || fail "--pcap for dport=$p: $(cat "$T/pcap$p"), want $(cat "$T/want$p")"
	for f in $(cat "$T/pcap$p"); do
		tcpdump -nn -r "$f" >/dev/null 2>&1 || fail "tcpdump -r $f"
	done
done
cmp -s "$T/pcap80" "$T/pcap53" && fail "the two batches share their files"
pass "flowq --pcap: dport=80 lists $(wc -l <"$T/pcap80") file(s), dport=53 $(wc -l <"$T/pcap53"): exactly those holding the packets, tcpdump -r reads each"
"$FLOWQ" --config "$CONF" --pcap -i $IFB -f -1h talk_conv >"$T/pcapall" || fail "flowq --pcap"
[ "$(cat "$T/pcapall")" = "$files" ] || fail "--pcap for all: $(cat "$T/pcapall")"
"$FLOWQ" --config "$CONF" --pcap -i $IFB -c "dport=9" -f -1h talk_conv >"$T/pcapnone" || fail "flowq --pcap, no rows"
[ -s "$T/pcapnone" ] && fail "--pcap without rows lists $(cat "$T/pcapnone")"
pass "flowq --pcap: every file for the whole query, none for no rows"
printf 'db_path: %s\ninterfaces:\n  %s: {}\n' "$T/db" $IFB >"$T/noar.yaml"
"$FLOWQ" --config "$T/noar.yaml" --pcap -i $IFB -f -1h talk_conv >"$T/pcapx" 2>"$T/pcapx.err" ||
	fail "--pcap without an archive failed"
grep -q "no packet archive configured for $IFB" "$T/pcapx.err" || fail "--pcap without an archive: $(cat "$T/pcapx.err")"
pass "flowq --pcap names an interface without an archive"
stop_fr TERM
echo "1..7"
exit 0
