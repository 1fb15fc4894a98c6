#!/bin/sh
# man_pages.sh - the manual pages render without a warning (groff -ww,
# mandoc -Tlint -Wwarning: what `man -l` and a packager's lint would
# show), and flowq(1) describes every long option `flowq --help` lists
# (issue 12: --threads was undocumented, a printf's \n in flowrecd(8)
# was read as a troff register).
. "$(dirname "$0")/lib.sh"

[ -x "$FLOWQ" ] || { echo "Bail out! $FLOWQ not built"; exit 99; }
command -v groff > /dev/null || command -v mandoc > /dev/null ||
    skip_all "neither groff nor mandoc"
man="$top_srcdir/man"

for page in "$man"/*.[158]; do
	name=$(basename "$page")
	if command -v groff > /dev/null; then
		groff -mandoc -ww -Tutf8 "$page" > /dev/null 2> "$TEST_TMP/err"
		if [ -s "$TEST_TMP/err" ]; then
			fail "$name: groff warns: $(head -n 3 "$TEST_TMP/err")"
		else
			pass "$name: groff renders it without a warning"
		fi
	fi
	if command -v mandoc > /dev/null; then
		# "referenced manual not found" is a style note about the
		# installed pages, not about this one
		if mandoc -Tlint -Wwarning "$page" > "$TEST_TMP/err" 2>&1; then
			pass "$name: mandoc -Tlint -Wwarning is silent"
		else
			fail "$name: mandoc: $(grep -v 'mandoc.db' "$TEST_TMP/err" | head -n 3)"
		fi
	fi
done

# Every long option of flowq's help in flowq(1)'s text.
if command -v groff > /dev/null; then
	groff -mandoc -Tutf8 -rLL=200n "$man/flowq.1" 2> /dev/null |
	    sed 's/.\x08//g' > "$TEST_TMP/flowq.txt"
else
	mandoc -Tutf8 -Owidth=200 "$man/flowq.1" | sed 's/.\x08//g' \
	    > "$TEST_TMP/flowq.txt"
fi
missing=
for o in $("$FLOWQ" --help 2>&1 | grep -o -- '--[a-z][a-z.-]*' | sort -u); do
	grep -q -e "$o\$" -e "$o[^a-z.-]" "$TEST_TMP/flowq.txt" ||
	    missing="$missing $o"
done
[ -z "$missing" ] && pass "flowq(1) names every long option of flowq --help" ||
    fail "flowq(1) lacks:$missing"
grep -q -- '--threads N' "$TEST_TMP/flowq.txt" &&
    pass "flowq(1) has an entry for --threads N" ||
    fail "flowq(1) has no --threads entry"

done_testing
