#!/bin/sh
# read_own.sh - flowrecd --read on the project's own captures (made by
# tests/mkpcap, each with its hand-worked expected rows and counts):
# pcap and pcapng, both byte orders, us and ns, several interfaces and
# link types, bins, idle connections, fragments, junk, truncation, refusal.
. "$(dirname "$0")/lib.sh"

"$MKPCAP" "$TEST_TMP" || { echo "Bail out! mkpcap failed"; exit 99; }
for exp in "$TEST_TMP"/*.expected; do
	name=$(basename "$exp" .expected)
	cap=$(ls "$TEST_TMP/$name".pcap* 2>/dev/null | head -n 1)
	db="$TEST_TMP/db-$name"
	args=""
	[ "$name" = bins ] && args="--interval 60"
	out=$("$FLOWRECD" --read "$cap" --iface cap0 --db "$db" $args 2>"$TEST_TMP/err")
	status=$?
	want_status=$(sed -n 's/^# exit=//p' "$exp")
	want_counts=$(sed -n 's/^# \(packets=.*\)/\1/p' "$exp")
	if [ "$status" = "$want_status" ]; then
		pass "$name: exit status $status"
	else
		fail "$name: exit status $status, want $want_status"
		sed 's/^/# /' "$TEST_TMP/err"
	fi
	if [ "$want_status" = 2 ]; then
		if [ ! -e "$db" ] && grep -q "not a pcap or pcapng file" "$TEST_TMP/err"; then
			pass "$name: refused with a clear error, nothing written"
		else
			fail "$name: refusal wrote something or said: $(cat "$TEST_TMP/err")"
		fi
		continue
	fi
	case "$out" in
	*"$want_counts rows="*) pass "$name: summary $want_counts" ;;
	*) fail "$name: summary '$out', want '$want_counts'" ;;
	esac
	grep -v '^#' "$exp" > "$TEST_TMP/want.csv"
	flows_csv "$db" cap0 > "$TEST_TMP/got.csv"
	if cmp -s "$TEST_TMP/want.csv" "$TEST_TMP/got.csv"; then
		pass "$name: rows equal the expected rows"
	else
		fail "$name: rows differ"
		diff "$TEST_TMP/want.csv" "$TEST_TMP/got.csv" | sed 's/^/# /'
	fi
	# The oracle, when it is there, must agree with the hand-worked rows.
	if [ -f "$SHARED/oracle/flowtab.py" ] && command -v python3 >/dev/null; then
		python3 "$SHARED/oracle/flowtab.py" $args "$cap" 2>/dev/null > "$TEST_TMP/oracle.csv"
		if cmp -s "$TEST_TMP/want.csv" "$TEST_TMP/oracle.csv"; then
			pass "$name: the oracle agrees"
		else
			fail "$name: the oracle disagrees with the expected rows"
			diff "$TEST_TMP/want.csv" "$TEST_TMP/oracle.csv" | sed 's/^/# /'
		fi
	fi
done

# Reading the same file twice adds up rather than duplicating rows.
db="$TEST_TMP/db-twice"
"$FLOWRECD" --read "$TEST_TMP/tcp.pcap" --iface cap0 --db "$db" >/dev/null 2>&1
"$FLOWRECD" --read "$TEST_TMP/tcp.pcap" --iface cap0 --db "$db" >/dev/null 2>&1
got=$(sqlite3 "$db"/cap0/cap0-*.db "SELECT count(*), sum(pkts_rcvd), sum(bytes_rcvd) FROM flows")
if [ "$got" = "1|10|2600" ]; then
	pass "a bin written twice adds up (one row, doubled counters)"
else
	fail "a bin written twice: got '$got', want '1|10|2600'"
fi
got=$(sqlite3 "$db"/cap0/cap0-*.db "SELECT writes, packets, ip, flows FROM bins")
if [ "$got" = "2|10|10|1" ]; then
	pass "bin counters add up over both writes"
else
	fail "bin counters: got '$got', want '2|10|10|1'"
fi
# A capture without direction (classic pcap on Ethernet) says so in its
# summary line and a note; one with it (pcapng epb_flags, SLL) does not.
# flowq's footer says when the queried bins hold no sent packet.
for name in tcp dirs bins; do
	cap=$(ls "$TEST_TMP/$name".pcap* | head -n 1)
	db="$TEST_TMP/db-dir-$name"
	args=""
	[ "$name" = bins ] && args="--interval 60"
	out=$("$FLOWRECD" --read "$cap" --iface cap0 --db "$db" $args 2>"$TEST_TMP/err")
	case "$name:$out" in
	tcp:*" rows=1")
		if grep -q "^flowrecd: note: .*tcp.pcap carries no direction.*counted as received" "$TEST_TMP/err"; then
			pass "tcp.pcap: the counts line as ever, a note after it on stderr"
		else
			fail "tcp.pcap: no note on stderr: $(cat "$TEST_TMP/err")"
		fi ;;
	tcp:*) fail "tcp.pcap: summary '$out'" ;;
	*) if grep -q "direction" "$TEST_TMP/err"; then
		fail "$name: a direction note: $(cat "$TEST_TMP/err")"
	   else
		pass "$name: it has direction, nothing said"
	   fi ;;
	esac
	"$FLOWQ" -d "$db" -f 0 -l 2100-01-01T00:00:00Z talk_conv > "$TEST_TMP/q" 2>&1
	footer=$(grep -c "^Direction *: none sent, all received" "$TEST_TMP/q")
	sent=$(sqlite3 "$db"/cap0/cap0-*.db "SELECT sum(pkts_sent) FROM bins")
	if [ "$sent" = 0 ] && [ "$footer" = 1 ]; then
		pass "$name: flowq's footer says nothing was sent"
	elif [ "$sent" != 0 ] && [ "$footer" = 0 ]; then
		pass "$name: $sent packets sent, no direction line in the footer"
	else
		fail "$name: $sent sent, the footer's direction line $footer times"
		sed 's/^/# /' "$TEST_TMP/q"
	fi
done
done_testing
