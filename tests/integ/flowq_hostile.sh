#!/bin/sh
# flowq_hostile.sh - flowq on damaged, hostile and foreign day files
# (issue 11 items 3 and 7): each gets a clear error naming the file and
# exit 1, never an abort, a crash or undefined behaviour; a symbolic link
# or a file without flowrec's markers is refused, not read.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 > /dev/null || skip_all "no sqlite3 (the files are damaged with it)"
cd "$TEST_TMP" || exit 99
"$MKPCAP" . > /dev/null || { echo "Bail out! mkpcap failed"; exit 99; }
"$FLOWRECD" --read bins.pcap --iface cap0 --db good --interval 60 > /dev/null 2>&1 ||
	{ echo "Bail out! no store"; exit 99; }
day=$(cd good/cap0 && ls cap0-*.db)

# case NAME SQL WANT: a copy of the store damaged by SQL; every query
# form exits 1 (not 0, not a signal) with WANT and the file's name.
case_sql() {
	name=$1 sql=$2 want=$3
	rm -rf "s-$name"
	cp -a good "s-$name"
	f="s-$name/cap0/$day"
	[ -z "$sql" ] || sqlite3 "$f" "$sql" || { fail "$name: sqlite3 $sql"; return; }
	judge "$name" "$f" "$want" "s-$name"
}

judge() {
	name=$1 f=$2 want=$3 db=$4
	for q in "talk_src" "-n 0 raw" "-c dport=80 talk_dst" "--resolution 1h time,proto"; do
		"$FLOWQ" -d "$db" -f 0 $q > out 2> err
		st=$?
		if [ $st -eq 1 ] && grep -q "$f" err && grep -q -- "$want" err; then
			pass "$name: flowq $q: exit 1, '$(head -n 1 err)'"
		else
			fail "$name: flowq $q: exit $st, '$(cat err)', want 1 and '$want' naming $f"
		fi
	done
	# list: whatever it makes of the file, no signal (list's own rules
	# for damaged files are not this test's)
	"$FLOWQ" list -d "$db" -f 0 > out 2> err
	st=$?
	if [ $st -le 2 ]; then
		pass "$name: flowq list: exit $st"
	else
		fail "$name: flowq list: exit $st, $(cat err)"
	fi
}

# the store as written reads
if "$FLOWQ" -d good -f 0 talk_src > out 2> err; then
	pass "the undamaged store reads"
else
	fail "the undamaged store: $(cat err)"
fi

case_sql key_max "UPDATE flow_keys SET id = 2147483647 WHERE id = (SELECT max(id) FROM flow_keys);
    UPDATE flow_rows SET key = 2147483647 WHERE key NOT IN (SELECT id FROM flow_keys)" \
    "implausible dictionary ids"
case_sql key_huge "UPDATE flow_keys SET id = 1099511627776 WHERE id = 1" "implausible dictionary ids"
case_sql key_neg "UPDATE flow_keys SET id = -5 WHERE id = 1" "implausible dictionary ids"
case_sql addr_max "UPDATE addrs SET id = 2147483647 WHERE id = (SELECT max(id) FROM addrs)" \
    "implausible dictionary ids"
case_sql interval_max "UPDATE bins SET interval = 9223372036854775807" "implausible bin interval"
case_sql interval_one_max "UPDATE bins SET interval = 9223372036854775807 WHERE ts = (SELECT min(ts) FROM bins)" \
    "implausible bin interval"
case_sql interval_zero "UPDATE bins SET interval = 0 WHERE ts = (SELECT max(ts) FROM bins)" \
    "implausible bin interval"
case_sql interval_neg "UPDATE bins SET interval = -9223372036854775808" "implausible bin interval"
case_sql flows_max "UPDATE bins SET flows = 9223372036854775807 WHERE ts = (SELECT min(ts) FROM bins)" \
    "implausible bin"
case_sql foreign_app "PRAGMA application_id = 1234" "not a flowrec day file"
case_sql newer "PRAGMA user_version = 99" "schema version 99"
case_sql no_version "PRAGMA user_version = 0" "schema version 0"

# not SQLite at all, and a file cut short
rm -rf s-junk && cp -a good s-junk && head -c 3000 /dev/urandom > "s-junk/cap0/$day"
judge junk "s-junk/cap0/$day" "not a database" s-junk
rm -rf s-cut && cp -a good s-cut && head -c 5000 "good/cap0/$day" > cut && mv cut "s-cut/cap0/$day"
judge cut "s-cut/cap0/$day" "cap0" s-cut

# a symbolic link in a day file's place, to a good file elsewhere
rm -rf s-link && cp -a good s-link && mv "s-link/cap0/$day" elsewhere.db &&
	ln -s "$TEST_TMP/elsewhere.db" "s-link/cap0/$day"
judge symlink "s-link/cap0/$day" "symbolic link" s-link

# rows whose key is no key of the file are not counted, and nothing breaks
rm -rf s-orphan && cp -a good s-orphan
sqlite3 "s-orphan/cap0/$day" "INSERT INTO flow_rows SELECT ts, 1099511627776, 1, 1, 1, 1 FROM bins LIMIT 1;
    INSERT INTO flow_rows SELECT ts, -1, 1, 1, 1, 1 FROM bins LIMIT 1"
"$FLOWQ" -d good -f 0 -e csv -n 0 raw > want 2>&1
"$FLOWQ" -d s-orphan -f 0 -e csv -n 0 raw > got 2> err
st=$?
if [ $st -le 1 ] && ! grep -qi "abort\|sanitizer\|runtime error" err; then
	pass "rows of no key: exit $st, $(head -n 1 err)"
else
	fail "rows of no key: exit $st: $(cat err)"
fi
done_testing
