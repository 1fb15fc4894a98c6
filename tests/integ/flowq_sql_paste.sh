#!/bin/sh
# flowq_sql_paste.sh - flowq --sql prints, for each day file it reads, one
# plain statement that the sqlite3 shell runs as printed (stderr piped into
# sqlite3, nothing edited): its rows are flowq's own rows, in flowq's order,
# for conditions with addresses, ports, lists and dir filters, each sort,
# limits and time buckets.  And `flowq sql` reads `bins` of every day file
# in range, as it reads `flows`, below SQLite's ATTACH limit and above it.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || { echo "1..0 # SKIP no sqlite3"; exit 77; }
"$MKPCAP" "$TEST_TMP" >/dev/null || { echo "Bail out! mkpcap failed"; exit 99; }
db="$TEST_TMP/db"
for c in tcp dirs bins frags; do
	"$FLOWRECD" --read "$(ls "$TEST_TMP/$c".pcap* | head -n 1)" --iface all \
	    --db "$db" --interval 60 >/dev/null 2>&1
done
range="-f 0 -l 2100-01-01T00:00:00Z"

# paste N ARGS...: flowq ARGS -e csv (N attribute columns) against
# sqlite3 fed flowq --sql ARGS's stderr.
paste_check() {
	n=$1
	shift
	# shellcheck disable=SC2086
	"$FLOWQ" -d "$db" -i all $range -e csv "$@" > "$TEST_TMP/csv" 2>/dev/null
	# flowq's csv: attributes, packets in/out, %, bytes in/out, %
	awk -F, -v n="$n" 'NR > 1 && $1 !~ /^(Received|Sent|Total)/ && NF > n + 5 {
		s = ""; for (i = 1; i <= n; i++) s = s $i ","
		print s $(n + 4) "," $(n + 5) "," $(n + 1) "," $(n + 2) }' \
	    "$TEST_TMP/csv" > "$TEST_TMP/want"
	# shellcheck disable=SC2086
	"$FLOWQ" -d "$db" -i all $range --sql "$@" 2> "$TEST_TMP/sql" >/dev/null
	if ! sqlite3 -bail -csv < "$TEST_TMP/sql" > "$TEST_TMP/got" 2> "$TEST_TMP/err"; then
		fail "flowq --sql $*: sqlite3 refused it: $(cat "$TEST_TMP/err")"
		sed 's/^/# /' "$TEST_TMP/sql"
		return
	fi
	if [ -s "$TEST_TMP/want" ] && cmp -s "$TEST_TMP/want" "$TEST_TMP/got"; then
		pass "flowq --sql $*: sqlite3 gives flowq's $(wc -l < "$TEST_TMP/got") rows"
	else
		fail "flowq --sql $*: rows differ"
		diff "$TEST_TMP/want" "$TEST_TMP/got" | sed 's/^/# /'
		sed 's/^/# /' "$TEST_TMP/sql"
	fi
}

paste_check 2 talk_conv
paste_check 1 talk_src
paste_check 1 -s packets talk_dst
paste_check 1 --sort.ascending talk_src
paste_check 2 -n 2 talk_conv
paste_check 2 -c "dport < 1000 | sip = 10.1.0.1" talk_conv
paste_check 2 -c "sip != 10.1.0.1 & dport != 53" talk_conv
paste_check 2 -c "snet = 192.0.2.0/24 | dip = 2001:db8::53" talk_conv
paste_check 1 -c "dir = uni" sip
paste_check 1 -c "dir = bi" sip
paste_check 1 -c "dir = in" dip
paste_check 1 dport
paste_check 3 sip,dip,dport
# a statement has no ? left and calls nothing of flowq's
"$FLOWQ" -d "$db" -i all $range --sql -c "dport = 53" talk_conv 2> "$TEST_TMP/sql" >/dev/null
if grep -v '^--' "$TEST_TMP/sql" | grep -q '?\|flowq_'; then
	fail "a statement still holds a ? or a flowq function"
else
	pass "no placeholders, no flowq function outside the comments"
fi
# flowq sql: bins and flows over three days of four interfaces (12 files:
# more than SQLite attaches at once) and of one (3 files, attached).
"$MKPCAP" --long "$TEST_TMP/long.pcap" || { echo "Bail out! mkpcap --long"; exit 99; }
ldb="$TEST_TMP/ldb"
for i in 0 1 2 3; do
	"$FLOWRECD" --read "$TEST_TMP/long.pcap" --iface "l$i" --db "$ldb" >/dev/null 2>&1
done
for ifs in l0 l0,l1,l2,l3; do
	want_b=0 want_p=0 want_f=0 nf=0
	for i in $(echo "$ifs" | tr , ' '); do
		for f in "$ldb/$i"/*.db; do
			set -- $(sqlite3 -separator ' ' "$f" "SELECT count(*), sum(packets), (SELECT count(*) FROM flow_rows) FROM bins")
			want_b=$((want_b + $1)) want_p=$((want_p + $2)) want_f=$((want_f + $3))
			nf=$((nf + 1))
		done
	done
	got=$("$FLOWQ" sql -d "$ldb" -i "$ifs" $range -e csv \
	    "SELECT (SELECT count(*) FROM bins), (SELECT sum(packets) FROM bins), (SELECT count(*) FROM flows), (SELECT count(DISTINCT iface) FROM bins)" | tail -n 1)
	nif=$(echo "$ifs" | tr , '\n' | wc -l)
	if [ "$got" = "$want_b,$want_p,$want_f,$nif" ]; then
		pass "flowq sql -i $ifs ($nf files): bins and flows of every file ($got)"
	else
		fail "flowq sql -i $ifs ($nf files): got $got, want $want_b,$want_p,$want_f,$nif"
	fi
done
done_testing
