#!/bin/sh
# archive_read.sh - the packet archive (issue 15) from flowrecd --read -c:
# a capture made by archive_check.py (TCP, UDP, ICMP, IPv6, VLANs,
# fragments, idle restarts, ARP, malformed frames, several periods) is
# archived under several configurations, and the files, read back by
# tcpdump, zcat and zstdcat, must hold exactly the packets that
# archive_check.py's own evaluation of the rules keeps: byte and packet
# cutoffs, snaplen, each file its period, nothing left as .tmp; then
# retention by keep_days and max_bytes.
. "$(dirname "$0")/lib.sh"

CHECK="python3 $top_srcdir/tests/integ/archive_check.py"
command -v tcpdump >/dev/null || skip_all "tcpdump is not installed"
command -v zstdcat >/dev/null || skip_all "zstd (zstdcat) is not installed"
command -v tshark >/dev/null || skip_all "tshark is not installed"

$CHECK gen "$TEST_TMP/cap.pcap" 1 || { echo "Bail out! gen failed"; exit 99; }

# conf NAME KEY=VALUE...: a configuration archiving cap0 under $TEST_TMP/NAME.
conf() {
	name=$1
	shift
	{
		echo "interfaces:"
		echo "  cap0:"
		echo "    archive:"
		echo "      path: $TEST_TMP/$name"
		for kv in "$@"; do
			echo "      ${kv%%=*}: ${kv#*=}"
		done
	} > "$TEST_TMP/$name.yaml"
}

# cat_file FILE: the file decompressed by the usual tools.
cat_file() {
	case "$1" in
	*.gz) zcat "$1" ;;
	*.zst) zstdcat -q "$1" ;;
	*) cat "$1" ;;
	esac
}

# run NAME ROTATE EXT CUTOFF_BYTES CUTOFF_PACKETS IDLE SNAPLEN [ANON]
run() {
	name=$1 rotate=$2 ext=$3 an=${8:-0}
	anarg=""
	[ "$an" = 1 ] && anarg=anon
	out=$("$FLOWRECD" --read "$TEST_TMP/cap.pcap" --iface cap0 \
	    --db "$TEST_TMP/db-$name" -c "$TEST_TMP/$name.yaml" \
	    2>"$TEST_TMP/$name.err")
	if [ $? -ne 0 ]; then
		fail "$name: flowrecd failed"
		sed 's/^/# /' "$TEST_TMP/$name.err"
		return
	fi
	$CHECK expect "$TEST_TMP/cap.pcap" "$4" "$5" "$6" "$7" "$an" \
	    > "$TEST_TMP/$name.want"
	: > "$TEST_TMP/$name.got"
	n=0 bad=0 tdn=0
	for f in $(find "$TEST_TMP/$name" -type f | sort); do
		case "$f" in
		*"$ext") ;;
		*) bad=1; echo "# unexpected file $f" ;;
		esac
		cat_file "$f" | $CHECK dump - "$(basename "$f")" "$rotate" \
		    $anarg | grep -v '^#' >> "$TEST_TMP/$name.got" || bad=1
		c=$(cat_file "$f" | tcpdump -nn -r - 2>/dev/null | wc -l)
		tdn=$((tdn + c))
		n=$((n + 1))
	done
	want=$(wc -l < "$TEST_TMP/$name.want")
	if [ "$bad" = 0 ] && [ "$n" -ge 2 ]; then
		pass "$name: $n files $ext, each in its period of ${rotate}s, none left .tmp"
	else
		fail "$name: $n files, or misnamed, misplaced or left .tmp"
	fi
	if cmp -s "$TEST_TMP/$name.want" "$TEST_TMP/$name.got"; then
		pass "$name: the $want archived packets are exactly the rules' (times, lengths, bytes)"
	else
		fail "$name: archived packets differ from the rules'"
		diff "$TEST_TMP/$name.want" "$TEST_TMP/$name.got" | head -n 5 | cut -c1-120 | sed 's/^/# /'
	fi
	if [ "$tdn" = "$want" ]; then
		pass "$name: tcpdump reads $tdn packets back"
	else
		fail "$name: tcpdump reads $tdn packets, want $want"
	fi
	case "$out" in
	*"archived=$want "*"dropped=0 write_errors=0"*)
		pass "$name: summary archived=$want, nothing dropped" ;;
	*) fail "$name: summary '$out'" ;;
	esac
	if grep -q "archive: if=cap0 W=00 flows=[0-9]* removed=[0-9]* bytes=[0-9]* pkts=[0-9]* output=[0-9]* outpct=[0-9.]* recvd=1588 dropped=0" "$TEST_TMP/$name.err"; then
		pass "$name: gotm's log line"
	else
		fail "$name: no gotm log line"
		sed 's/^/# /' "$TEST_TMP/$name.err"
	fi
}

conf plain cutoff_bytes=3000 rotate=10
run plain 10 .pcap 3000 0 60 65535
conf gzip compress=gzip cutoff_bytes=0 cutoff_packets=5 snaplen=80 rotate=20
run gzip 20 .pcap.gz 0 5 60 80
conf zstd compress=zstd idle_timeout=30 rotate=1m
run zstd 60 .pcap.zst 65536 0 30 65535
conf both cutoff_bytes=1500 cutoff_packets=2 idle_timeout=100
run both 60 .pcap 1500 2 100 65535

# Anonymised: the rules on the frames' netblocks, no host bits in the
# archive (IPv4 header sums right) nor in the store.
conf anon compress=gzip cutoff_bytes=3000 rotate=10
sed -i "s|^  cap0:|  cap0:\n    anonymize: netblock|" "$TEST_TMP/anon.yaml"
run anon 10 .pcap.gz 3000 0 60 65535 1
if sqlite3 "$TEST_TMP/db-anon/cap0/"cap0-*.db "SELECT sip FROM flows UNION SELECT dip FROM flows" |
    $CHECK netblocks && [ "$(sqlite3 "$TEST_TMP/db-anon/cap0/"cap0-*.db "SELECT count(*) FROM flows")" -gt 10 ]; then
	pass "anon: the store holds netblocks only"
else
	fail "anon: the store holds host bits"
fi
if ! cmp -s "$TEST_TMP/anon.want" "$(echo "$TEST_TMP/plain.want")"; then
	pass "anon: anonymisation changes what is archived (the addresses, merged connections)"
else
	fail "anon: the same archive as without"
fi

# Header captures (packet-headers'): one file per TCP connection, its
# packets of the first 10 s, each cut at the end of its TCP header (options
# included) and at 60 bytes, the wire length kept; 30 s idle ends one.
cat > "$TEST_TMP/hdr.yaml" <<EOF
interfaces:
  cap0:
    headers:
      path: $TEST_TMP/hdr
      capture_duration: 10
      flow_timeout: 30
      max_header_size: 60
EOF
out=$("$FLOWRECD" --read "$TEST_TMP/cap.pcap" --iface cap0 --db "$TEST_TMP/db-hdr" \
    -c "$TEST_TMP/hdr.yaml" 2>"$TEST_TMP/hdr.err")
$CHECK hexpect "$TEST_TMP/cap.pcap" 10 30 60 > "$TEST_TMP/hdr.want"
find "$TEST_TMP/hdr" -type f | sort | $CHECK hdump > "$TEST_TMP/hdr.got" 2>"$TEST_TMP/hdr.why"
nconn=$(wc -l < "$TEST_TMP/hdr.want")
if [ -s "$TEST_TMP/hdr.want" ] && cmp -s "$TEST_TMP/hdr.want" "$TEST_TMP/hdr.got"; then
	pass "headers: $nconn TCP connections, a file each, named by start and a unique id, holding the rules' cut packets"
else
	fail "headers: the files differ from the rules' $(cat "$TEST_TMP/hdr.why")"
	diff "$TEST_TMP/hdr.want" "$TEST_TMP/hdr.got" | head -n 3 | cut -c1-150 | sed 's/^/# /'
fi
case "$out" in
*"header_files=$nconn") pass "headers: the summary counts $nconn files" ;;
*) fail "headers: summary '$out'" ;;
esac
cut60=$(tr ' ' '\n' < "$TEST_TMP/hdr.got" | awk -F/ 'length($3) == 2 * 60 { n++ } END { print n + 0 }')
short=$(tr ' ' '\n' < "$TEST_TMP/hdr.got" | awk -F/ 'length($3) == 2 * 54 { n++ } END { print n + 0 }')
if [ "$cut60" -gt 0 ] && [ "$short" -gt 0 ] && [ -z "$(find "$TEST_TMP/hdr" -name '*.tmp')" ]; then
	pass "headers: cut at max_header_size ($cut60) and at the TCP header ($short), none left .tmp"
else
	fail "headers: cuts not exercised ($cut60, $short)"
fi

# A cutoff that can fail: the plain run must have cut something off.
if [ "$(wc -l < "$TEST_TMP/plain.want")" -lt 1588 ] &&
    [ "$(wc -l < "$TEST_TMP/plain.want")" -gt 100 ]; then
	pass "the capture exercises the cutoff"
else
	fail "the capture does not exercise the cutoff"
fi

# Retention by days: an older capture two days back, then today's.
$CHECK gen "$TEST_TMP/old.pcap" 2 -2
conf days keep_days=1 rotate=10
"$FLOWRECD" --read "$TEST_TMP/old.pcap" --iface cap0 --db "$TEST_TMP/db-days" \
    -c "$TEST_TMP/days.yaml" >/dev/null 2>&1
old=$(find "$TEST_TMP/days" -name '*.pcap' | wc -l)
"$FLOWRECD" --read "$TEST_TMP/cap.pcap" --iface cap0 --db "$TEST_TMP/db-days" \
    -c "$TEST_TMP/days.yaml" >/dev/null 2>&1
left_old=$(find "$TEST_TMP/days" -name 'cap0-2023-11-12T*' | wc -l)
new=$(find "$TEST_TMP/days" -name 'cap0-2023-11-14T*' | wc -l)
if [ "$old" -ge 2 ] && [ "$left_old" = 0 ] && [ "$new" -ge 2 ] &&
    [ ! -d "$TEST_TMP/days/cap0/2023/11/12" ]; then
	pass "keep_days=1: the files (and directory) of two days back are gone, today's kept"
else
	fail "keep_days=1: old=$old left_old=$left_old new=$new"
fi

# Retention by size: the oldest files go until the rest fit.
all=$(find "$TEST_TMP/plain" -type f | sort)
total=$(cat $all | wc -c)
limit=$((total / 2))
conf size cutoff_bytes=3000 rotate=10 max_bytes=$limit
"$FLOWRECD" --read "$TEST_TMP/cap.pcap" --iface cap0 --db "$TEST_TMP/db-size" \
    -c "$TEST_TMP/size.yaml" >/dev/null 2>&1
kept=$(find "$TEST_TMP/size" -type f | sort)
kept_bytes=$(cat $kept | wc -c)
newest_all=$(for f in $all; do basename "$f"; done | tail -n "$(echo "$kept" | wc -l)")
newest_kept=$(for f in $kept; do basename "$f"; done)
if [ "$kept_bytes" -le "$limit" ] && [ "$newest_all" = "$newest_kept" ] &&
    [ "$(echo "$kept" | wc -l)" -lt "$(echo "$all" | wc -l)" ]; then
	pass "max_bytes=$limit: the newest files kept ($kept_bytes bytes), the oldest removed"
else
	fail "max_bytes=$limit: kept $kept_bytes bytes: $newest_kept"
fi

# A second read into the same archive overwrites nothing.
"$FLOWRECD" --read "$TEST_TMP/cap.pcap" --iface cap0 --db "$TEST_TMP/db-plain2" \
    -c "$TEST_TMP/plain.yaml" >/dev/null 2>&1
n1=$(echo "$all" | wc -l)
n2=$(find "$TEST_TMP/plain" -type f -name '*-1.pcap' | wc -l)
if [ "$n2" = "$n1" ]; then
	pass "a second read adds files named -1 beside the first read's"
else
	fail "a second read: $n2 files -1, want $n1"
fi

# The dev captures (../shared): with no cutoff every packet flowrecd counts
# as IP is archived, whatever its link layer, and tshark reads each file
# (one line a frame; tcpdump prints more than one for some protocols).
if [ -d "$SHARED/pcaps/dev" ]; then
	conf dev cutoff_bytes=0 compress=gzip rotate=1d
	bad=0 nfiles=0
	for cap in "$SHARED"/pcaps/dev/*.pcap "$SHARED"/pcaps/dev/*.pcapng; do
		[ -f "$cap" ] || continue
		rm -rf "$TEST_TMP/dev" "$TEST_TMP/db-dev"
		out=$("$FLOWRECD" --read "$cap" --iface cap0 --db "$TEST_TMP/db-dev" \
		    -c "$TEST_TMP/dev.yaml" 2>/dev/null) || continue
		ip=$(echo "$out" | tr ' ' '\n' | sed -n 's/^ip=//p')
		arch=$(echo "$out" | tr ' ' '\n' | sed -n 's/^archived=//p')
		td=0
		for f in $(find "$TEST_TMP/dev" -type f); do
			td=$((td + $(zcat "$f" | tshark -r - -T fields -e frame.number 2>/dev/null | wc -l)))
		done
		if [ "$ip" != "$arch" ] || [ "$td" != "$arch" ]; then
			bad=$((bad + 1))
			echo "# $(basename "$cap"): ip=$ip archived=$arch tshark=$td"
		fi
		nfiles=$((nfiles + 1))
	done
	if [ "$bad" = 0 ] && [ "$nfiles" -gt 10 ]; then
		pass "dev captures: in $nfiles files every IP packet archived, read back by tshark"
	else
		fail "dev captures: $bad of $nfiles differ"
	fi
else
	echo "# no $SHARED/pcaps/dev: the dev captures are not archived"
fi

# A path that cannot be created: a clear error, exit 1.
conf broken
sed -i "s|path: .*|path: /proc/nonexistent/archive|" "$TEST_TMP/broken.yaml"
"$FLOWRECD" --read "$TEST_TMP/cap.pcap" --iface cap0 --db "$TEST_TMP/db-broken" \
    -c "$TEST_TMP/broken.yaml" >/dev/null 2>"$TEST_TMP/broken.err"
st=$?
if [ $st = 1 ] && grep -q "archive: cannot create /proc/nonexistent/archive/cap0" "$TEST_TMP/broken.err"; then
	pass "an archive path that cannot be created: exit 1, named"
else
	fail "an archive path that cannot be created: exit $st: $(cat "$TEST_TMP/broken.err")"
fi

done_testing
