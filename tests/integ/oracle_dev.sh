#!/bin/sh
# oracle_dev.sh - every capture in ../shared/pcaps/dev read with
# flowrecd --read: the rows must equal the oracle's <capture>.flows.csv
# exactly, and the exit status and counts those of EXPECTED_COUNTS.tsv.
# No capture may crash or hang the recorder (each run has a time limit).
# Each capture is read twice: as the defaults write it (SQL inserts, these
# captures being small), and with the first bin of every day laid out by
# btload (FLOWREC_NEW_DAY_ROWS=1); both stores must equal the oracle.
# SKIP when ../shared is not there (make check on a bare clone).
. "$(dirname "$0")/lib.sh"

dev="$SHARED/pcaps/dev"
[ -f "$dev/EXPECTED_COUNTS.tsv" ] || skip_all "no $dev"
command -v sqlite3 >/dev/null || skip_all "sqlite3 not installed"

tail -n +2 "$dev/EXPECTED_COUNTS.tsv" > "$TEST_TMP/expected.tsv"
for mode in sql btload; do
[ "$mode" = btload ] && { FLOWREC_NEW_DAY_ROWS=1; export FLOWREC_NEW_DAY_ROWS; }
while IFS="$(printf '\t')" read -r file packets ip non_ip malformed flows exit_want notes; do
	db="$TEST_TMP/db"
	rm -rf "$db"
	out=$(timeout 60 "$FLOWRECD" --read "$dev/$file" --iface dev --db "$db" 2>"$TEST_TMP/err")
	status=$?
	if [ "$status" != "$exit_want" ]; then
		fail "$file ($mode): exit status $status, want $exit_want"
		sed 's/^/# /' "$TEST_TMP/err"
		continue
	fi
	if [ "$exit_want" = 2 ]; then
		if [ -e "$db" ]; then
			fail "$file ($mode): refused but wrote $db"
		else
			pass "$file ($mode): refused ($(sed 's/^flowrecd: //' "$TEST_TMP/err" | head -n 1))"
		fi
		continue
	fi
	want="packets=$packets ip=$ip non_ip=$non_ip malformed=$malformed flows=$flows"
	case "$out" in
	*"$want rows=$flows") ;;
	*) fail "$file ($mode): summary '$out', want '$want rows=$flows'"; continue ;;
	esac
	flows_csv "$db" dev > "$TEST_TMP/got.csv"
	if cmp -s "$dev/$file.flows.csv" "$TEST_TMP/got.csv"; then
		pass "$file ($mode): $flows rows equal the oracle's"
	else
		fail "$file ($mode): rows differ from the oracle's"
		diff "$dev/$file.flows.csv" "$TEST_TMP/got.csv" | head -n 20 | sed 's/^/# /'
	fi
done < "$TEST_TMP/expected.tsv"
done
done_testing
