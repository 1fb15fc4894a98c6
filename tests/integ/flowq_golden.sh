#!/bin/sh
# flowq_golden.sh - flowq's output, character for character, against the
# files in tests/data/golden/: the text table (every direction mode, the
# "..." row, status lines, footer), JSON, CSV, `list`, `sql` and the error
# messages, on two stores:
#  - own-*: recorded by flowrecd --read from the project's own captures
#    (tests/mkpcap), so it runs everywhere;
#  - dev-*: recorded from ../shared/pcaps/dev (skipped without ../shared).
# Query durations vary and are replaced by "<dur>".  FLOWQ_GOLDEN_UPDATE=1
# rewrites the golden files instead of comparing (review the diff!).
. "$(dirname "$0")/lib.sh"

GOLDEN="$top_srcdir/tests/data/golden"
export TZ=UTC LC_ALL=C
[ -x "$FLOWQ" ] || { echo "Bail out! $FLOWQ not built"; exit 99; }
[ -x "$FLOWRECD" ] || { echo "Bail out! $FLOWRECD not built"; exit 99; }

host=$(hostname)
normalize() {
	sed -e 's/ in [0-9.]*[mµn]*s$/ in <dur>/' \
	    -e 's/"query_start":"[^"]*"/"query_start":"<t>"/' \
	    -e 's/"query_duration_ns":[0-9]*/"query_duration_ns":0/' \
	    -e 's/"bytes_loaded":[0-9]*,"bytes_decompressed":[0-9]*/"bytes_loaded":0,"bytes_decompressed":0/' \
	    -e "s/\"$host\"/\"<host>\"/g" \
	    -e 's/ in [0-9dhms.]*$/ in <dur>/' \
	    -e 's/"duration_ms": [0-9.e+-]*/"duration_ms": 0/' \
	    -e 's/RDNS took [^,]*/RDNS took <dur>/'
}

# check NAME ARGS...: run flowq ARGS, compare stdout+stderr and status
check() {
	name=$1
	shift
	"$FLOWQ" "$@" > "$TEST_TMP/out" 2>&1
	echo "exit $?" >> "$TEST_TMP/out"
	normalize < "$TEST_TMP/out" > "$TEST_TMP/got"
	if [ -n "${FLOWQ_GOLDEN_UPDATE:-}" ]; then
		cp "$TEST_TMP/got" "$GOLDEN/$name"
		pass "$name: updated"
	elif [ ! -f "$GOLDEN/$name" ]; then
		fail "$name: no golden file $GOLDEN/$name"
	elif cmp -s "$GOLDEN/$name" "$TEST_TMP/got"; then
		pass "$name"
	else
		fail "$name: flowq $*"
		diff "$GOLDEN/$name" "$TEST_TMP/got" | sed 's/^/# /' | head -40
	fi
}

# The same queries on both stores.
queries() {
	p=$1
	db=$2
	range="-f 0 -l 2100-01-01T00:00:00Z"
	check "$p-talk_src.txt" -d "$db" $range
	check "$p-talk_conv.txt" -d "$db" $range talk_conv
	check "$p-talk_dst_sum.txt" -d "$db" $range --sum talk_dst
	check "$p-apps_port_in.txt" -d "$db" $range --in apps_port
	check "$p-apps_port_out_packets.txt" -d "$db" $range --out -s packets \
	    apps_port
	check "$p-agg_talk_port_limit.txt" -d "$db" $range -n 3 agg_talk_port
	check "$p-raw.txt" -d "$db" $range -n 0 raw
	check "$p-time_1h.txt" -d "$db" $range --resolution 1h -s time -a \
	    time,proto
	check "$p-vlan_cond.txt" -d "$db" $range -c "vlan > 0 | proto = udp" \
	    sip,dip,vlan
	check "$p-dir_uni.txt" -d "$db" $range -c "dir = uni" talk_conv
	check "$p-not_net.txt" -d "$db" $range \
	    -c "! (snet = 10.0.0.0/8 | dnet = 2001:db8::/32)" -n 5 talk_conv
	check "$p-empty.txt" -d "$db" $range -c "dport = 1 & proto = 132"
	check "$p-missing.txt" -d "$db" -f 100000 -l 200000
	check "$p-talk_conv.json" -d "$db" $range -n 5 -e json talk_conv
	check "$p-raw.csv" -d "$db" $range -n 0 -e csv raw
	check "$p-apps_sum.csv" -d "$db" $range --sum -e csv apps_port
	check "$p-empty.json" -d "$db" $range -c "dport = 1 & proto = 132" \
	    -e json
	check "$p-list.txt" -d "$db" list
	check "$p-list_v.txt" -d "$db" list -v
	check "$p-list.csv" -d "$db" list -v -e csv
	check "$p-list.json" -d "$db" list -e json
	check "$p-sql.txt" -d "$db" sql "SELECT iface, count(*) AS rows, \
sum(bytes_rcvd + bytes_sent) AS bytes FROM flows GROUP BY iface ORDER BY iface"
	check "$p-sql.csv" -d "$db" sql -e csv "SELECT iface, ts, sip, dip, \
dport, proto, vlan, pkts_rcvd FROM flows ORDER BY 1, 2, 3, 4, 5, 6, 7 LIMIT 20"
	check "$p-sql.json" -d "$db" sql -e json "SELECT proto, count(*) AS n \
FROM flows GROUP BY proto ORDER BY proto"
}

# ---- own captures
mkdir -p "$TEST_TMP/cap" && "$MKPCAP" "$TEST_TMP/cap" > /dev/null || { echo "Bail out! mkpcap failed"; exit 99; }
own="$TEST_TMP/own"
for c in tcp dirs frags junk; do
	"$FLOWRECD" --read "$TEST_TMP/cap/$c".pcap* --iface cap0 --db "$own" \
	    --no-progress > /dev/null 2>&1 || fail "flowrecd --read $c"
done
"$FLOWRECD" --read "$TEST_TMP/cap/bins.pcap" --iface cap1 --interval 60 \
    --db "$own" --no-progress > /dev/null 2>&1 || fail "flowrecd --read bins"
queries own "$own"
check own-one_iface.txt -d "$own" -f 0 -l 2100-01-01T00:00:00Z -i cap0 \
    talk_conv
check own-iface_regex.txt -d "$own" -f 0 -l 2100-01-01T00:00:00Z \
    -i '/^cap[01]$/,!cap0' apps_port
check own-reverse_dns.txt -d "$own" -f 0 -l 2100-01-01T00:00:00Z -i cap1 -r \
    talk_conv
# errors: one message, a caret under the token, exit status 1
check own-err_cond.txt -d "$own" -c "dport = 80 & sip < 10.0.0.1"
check own-err_cond_end.txt -d "$own" -c "(proto = tcp | dport = 443"
check own-err_time.txt -d "$own" -f yesterday
check own-err_range.txt -d "$own" -f "2024-01-02 00:00" -l "01.01.2024 00:00"
check own-err_query.txt -d "$own" talk_sideways
check own-err_sql_write.txt -d "$own" sql "DELETE FROM flows"
check own-err_sql_attach.txt -d "$own" sql "ATTACH '/tmp/x.db' AS x"
check own-err_sql_two.txt -d "$own" sql "SELECT 1; SELECT 2"

# ---- the shared dev captures
dev="$SHARED/pcaps/dev"
if [ -d "$dev" ]; then
	devdb="$TEST_TMP/dev"
	i=0
	for cap in "$dev"/*.pcap "$dev"/*.pcapng; do
		[ -f "$cap" ] || continue
		"$FLOWRECD" --read "$cap" --iface "dev$((i % 3))" --db "$devdb" \
		    --no-progress > /dev/null 2>&1
		i=$((i + 1))
	done
	queries dev "$devdb"
else
	echo "# SKIP dev store: no $dev"
fi
done_testing
