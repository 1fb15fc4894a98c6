#!/bin/sh
# conf_cli.sh - flowrecd's command line and configuration at their entry
# points: interface names from -i, --iface and the file are checked by one
# rule and refused with a clear message before anything is written (no
# directory outside the store, no escape sequence on the terminal); -c
# with -i is refused instead of ignoring -i; a bad file names its line and
# key through -t; the example configuration checks.  No root needed: every
# refusal comes before a packet socket is opened.
. "$(dirname "$0")/lib.sh"

store="$TEST_TMP/a/b/store"
mkdir -p "$store"
sample="$top_srcdir/examples/sample.pcap"

# Everything under $TEST_TMP but the output files.
tree() {
	(cd "$TEST_TMP" && find . ! -name out ! -name err | sort)
}

# refused WANT_TEXT DESCRIPTION -- ARGS: exit 2, WANT_TEXT on stderr,
# nothing written anywhere under $TEST_TMP but what was there.
refused() {
	want=$1 what=$2
	shift 3
	before=$(tree)
	# A check that regressed would start a daemon: bounded, it fails.
	timeout 30 "$FLOWRECD" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	status=$?
	after=$(tree)
	if [ "$status" -eq 2 ] && grep -qF -- "$want" "$TEST_TMP/err" &&
	    [ "$before" = "$after" ]; then
		pass "$what: refused, '$want'"
	else
		fail "$what: exit $status, said: $(cat "$TEST_TMP/err")"
		[ "$before" = "$after" ] || echo "# it wrote: $after"
	fi
}

refused "flowrecd: -i '../../evil': an interface name cannot contain '/'" \
    "-i ../../evil" -- -i ../../evil --db "$store"
refused "flowrecd: -i '..': '..' is not an interface name" \
    "-i .." -- -i .. --db "$store"
refused "flowrecd: -i 'catalog.db': 'catalog.db' is a file of the store" \
    "-i catalog.db" -- -i catalog.db --db "$store"
refused "an interface name has 1 to 15 bytes" \
    "-i with 16 bytes" -- -i abcdefghijklmnop --db "$store"
refused "flowrecd: --iface '../../evil': an interface name cannot contain '/'" \
    "--read --iface ../../evil" -- --read "$sample" --iface ../../evil \
    --db "$store"
refused "flowrecd: --iface 'eth0:1': an interface name cannot contain ':'" \
    "--read --iface eth0:1" -- --read "$sample" --iface eth0:1 --db "$store"
refused "--iface names a capture file's interface (with --read)" \
    "--iface without --read" -- --iface eth0 --db "$store"

# A name with an escape sequence comes back escaped, never raw.
esc=$(printf 'a\033[2Jb')
refused "flowrecd: -i 'a\\x1b[2Jb': an interface name cannot contain control" \
    "-i with an escape sequence" -- -i "$esc" --db "$store"
if grep -q "$(printf '\033')" "$TEST_TMP/err"; then
	fail "the escape byte reached the terminal"
else
	pass "the escape byte did not reach the terminal"
fi

# -c and -i: refused, not -i silently ignored.
printf 'interfaces:\n  eth0:\n' >"$TEST_TMP/good.yaml"
refused "-c and -i do not go together" "-c FILE -i IFACE" -- \
    -c "$TEST_TMP/good.yaml" -i eth1
refused "-c and -i do not go together" "-c FILE -i IFACE -t" -- \
    -t -c "$TEST_TMP/good.yaml" -i eth1

# Bad files: file, line and key.
cfg="$TEST_TMP/bad.yaml"
printf 'db_path: %s\ninterfaces:\n  eth0:\n  ../../evil:\n' "$store" >"$cfg"
refused "$cfg:4: key 'interfaces.../../evil': an interface name cannot contain '/'" \
    "a config with ../../evil" -- -t -c "$cfg"
refused "$cfg:4: key 'interfaces.../../evil'" \
    "the same file, not only with -t" -- -c "$cfg"
printf 'interfaces:\n  "a\\e[2J":\n' >"$cfg"
refused "$cfg:2: key 'interfaces.a\\x1b[2J': a name cannot contain control characters" \
    "a config with an escape in a name" -- -t -c "$cfg"
printf '# bins\ninterval: 3e2\n' >"$cfg"
refused "$cfg:2: key 'interval': '3e2' is not a whole number >= 0" \
    "interval: 3e2" -- -t -c "$cfg"
printf 'interval: 300abc\n' >"$cfg"
refused "$cfg:1: key 'interval': '300abc' is not a whole number >= 0" \
    "interval: 300abc" -- -t -c "$cfg"
printf 'interval: 60\ninterfaces:\n  eth0:\n    max_flows: 7_0\n' >"$cfg"
refused "$cfg:4: key 'interfaces.eth0.max_flows': '7_0' is not a whole number >= 0" \
    "max_flows: 7_0" -- -t -c "$cfg"
printf 'db_path: ~\n' >"$cfg"
refused "$cfg:1: key 'db_path': no value ('~' is YAML's null); leave the key out for the default /var/lib/flowrec" \
    "db_path: ~" -- -t -c "$cfg"

# What is good stays good.
out=$("$FLOWRECD" -t -c "$top_srcdir/examples/flowrecd.yaml" 2>&1)
case "$out" in
*"configuration ok (2 interfaces, 2 enabled)"*)
	pass "examples/flowrecd.yaml checks" ;;
*)	fail "examples/flowrecd.yaml: $out" ;;
esac
out=$("$FLOWRECD" -t -c "$TEST_TMP/good.yaml" 2>&1)
case "$out" in
*"configuration ok (1 interfaces, 1 enabled)"*) pass "a one-interface file checks" ;;
*)	fail "good.yaml: $out" ;;
esac
if "$FLOWRECD" --read "$sample" --iface eth0.100 --db "$store" \
    >"$TEST_TMP/out" 2>"$TEST_TMP/err" &&
    ls "$store/eth0.100/eth0.100-"*.db >/dev/null 2>&1; then
	pass "--iface eth0.100 (a VLAN name) records"
else
	fail "--iface eth0.100: $(cat "$TEST_TMP/err")"
fi
done_testing
