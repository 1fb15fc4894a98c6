#!/bin/sh
# flowq_cond_size.sh - issue 11 item 2: a condition of 32 or more
# comparisons ran into "parser stack overflow" (blamed on a day file).  Any
# condition the language accepts runs, and answers what a short
# equivalent answers: 32 ports as dport < 32, 5000 ports as dport < 5000,
# brackets 200 deep; one comparison past the limit is refused with the
# caret, nothing run.
. "$(dirname "$0")/lib.sh"

export TZ=UTC LC_ALL=C
[ -x "$FLOWQ" ] || { echo "Bail out! $FLOWQ not built"; exit 99; }
mkdir -p "$TEST_TMP/cap" && "$MKPCAP" "$TEST_TMP/cap" > /dev/null || exit 99
db="$TEST_TMP/db"
for c in tcp dirs frags; do
	"$FLOWRECD" --read "$TEST_TMP/cap/$c".pcap* --iface t0 --db "$db" \
	    --no-progress > /dev/null 2>&1 || fail "flowrecd --read $c"
done

# ports N OP: "dport = 0 OP dport = 1 ... dport = N-1"
ports() {
	awk -v n="$1" -v op="$2" 'BEGIN { for (i = 0; i < n; i++)
	    printf "%sdport = %d", (i ? " " op " " : ""), i }'
}
# q COND: flowq's rows for COND (the footer's condition echo left out)
q() {
	"$FLOWQ" -d "$db" -f 0 -e csv -n 0 -c "$1" raw 2>&1 | grep -v -i condition
	echo "exit $?"
}

want=$(q "dport < 32")
echo "$want" | grep -q '^exit 0' && [ "$(echo "$want" | wc -l)" -gt 2 ] ||
    fail "dport < 32 answers rows: $want"
got=$(q "$(ports 32 '|')")
[ "$got" = "$want" ] && pass "32 ports in a chain answer as dport < 32" ||
    fail "32 ports: $got"
got=$(q "$(ports 5000 or)")
[ "$got" = "$(q "dport < 5000")" ] &&
    pass "5000 ports in a chain answer as dport < 5000" ||
    fail "5000 ports: $(echo "$got" | head -3)"
got=$(q "! ($(ports 600 '&' | sed 's/=/!=/g'))")
[ "$got" = "$(q "dport < 600")" ] &&
    pass "not of 600 ports != in a chain of & answers as dport < 600" ||
    fail "600 ports !=: $(echo "$got" | head -3)"

# brackets 200 deep, alternating: dport < 1024 & (proto = 6 | (... ))
deep=$(awk 'BEGIN { s = "dport < 1024"; for (i = 0; i < 199; i++)
    s = "(" s (i % 2 ? " | vlan = 4095" : " & dport < 1024") ")"; print s }')
got=$(q "$deep")
[ "$got" = "$(q "dport < 1024")" ] &&
    pass "brackets 200 deep, alternating, run" ||
    fail "200 deep: $(echo "$got" | head -3)"

# past the limits: refused, the caret under the token beyond
out=$("$FLOWQ" -d "$db" -f 0 -c "$(ports 10001 '|' | tr -d ' ')" raw 2>&1)
rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "condition too long: more than 10000" &&
    echo "$out" | tail -1 | grep -q '^ *\^$' &&
    pass "10001 comparisons refused with a caret (exit $rc)" ||
    fail "10001 comparisons: exit $rc: $(echo "$out" | cut -c1-200 | head -3)"
out=$("$FLOWQ" -d "$db" -f 0 -c "$(awk 'BEGIN { for (i = 0; i < 202; i++)
    printf "("; printf "dport = 1"; for (i = 0; i < 202; i++) printf ")" }')" \
    raw 2>&1)
rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "nested too deeply" &&
    pass "brackets 202 deep refused (exit $rc)" ||
    fail "202 deep: exit $rc: $(echo "$out" | head -2)"
done_testing
