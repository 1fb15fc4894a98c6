#!/bin/sh
# store_guard.sh - the store's guards, with real processes.
#
# One writer per interface: while bench/store_bench fills an interface,
# `flowrecd --read` into the same interface is refused, naming the
# writer's pid, and writes nothing; once that writer is killed (SIGKILL:
# the kernel drops its lock), the same --read succeeds.  A read-only store
# (a read-only bind mount in a mount namespace of its own; root only) is
# refused with the system's reason, not "unable to open database file".
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || skip_all "no sqlite3 command"
WRITER="$top_builddir/bench/store_bench"
[ -x "$WRITER" ] || skip_all "no $WRITER (make check builds it)"
PCAP="$top_srcdir/examples/sample.pcap"
DB="$TEST_TMP/db"

# A writer that never ends (bins of 2000 rows, 300 s apart) on fill0.
"$WRITER" fill "$DB" 2000 0 0 300 >"$TEST_TMP/out" 2>"$TEST_TMP/err" &
pid=$!
# Ready when it has committed a bin (it holds the lock from its first).
i=0
while ! grep -q '^wrote' "$TEST_TMP/out" 2>/dev/null; do
	kill -0 $pid 2>/dev/null || break
	i=$((i + 1))
	[ $i -lt 6000 ] || break
	sleep 0.01
done
if kill -0 $pid 2>/dev/null; then
	pass "a writer on fill0 (pid $pid)"
else
	fail "the writer died: $(cat "$TEST_TMP/err")"
fi
"$FLOWRECD" --read "$PCAP" --iface fill0 --db "$DB" --no-progress \
    >"$TEST_TMP/read.out" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q "another writer records this interface (pid $pid)" "$TEST_TMP/read.out"; then
	pass "a second writer is refused, naming the first (exit $rc)"
else
	fail "a second writer: exit $rc: $(cat "$TEST_TMP/read.out")"
fi
ls "$DB/fill0" >"$TEST_TMP/refused.ls"
kill -KILL $pid
wait $pid 2>/dev/null
if "$FLOWRECD" --read "$PCAP" --iface fill0 --db "$DB" --no-progress \
    >"$TEST_TMP/read.out" 2>&1; then
	pass "after the first was killed (-9), the second writes"
else
	fail "after the kill: $(cat "$TEST_TMP/read.out")"
fi
# The capture's day file is there now, and was not after the refusal.
ls "$DB/fill0" >"$TEST_TMP/after.ls"
day=$(sqlite3 -batch "$DB"/fill0/fill0-2026-*.db "SELECT value FROM meta WHERE name = 'day'" 2>/dev/null)
if [ -n "$day" ] && grep -q "^fill0-$day\.db\$" "$TEST_TMP/after.ls" &&
    ! grep -q "^fill0-$day\.db" "$TEST_TMP/refused.ls"; then
	pass "the refused writer wrote nothing (fill0-$day.db came after)"
else
	fail "the capture's day file '$day': $(cat "$TEST_TMP/refused.ls" | tr '\n' ' ')"
fi

# A read-only store: the reason, from the system.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null &&
    unshare -m true 2>/dev/null; then
	out=$(unshare -m sh -c "mount --bind -o ro '$DB' '$DB' &&
	    '$FLOWRECD' --read '$PCAP' --iface fill0 --db '$DB' --no-progress;
	    echo exit \$?" 2>&1)
	case $out in
	*"Read-only file system"*"exit 1")
		pass "a read-only store: says so" ;;
	*)	fail "a read-only store: $out" ;;
	esac
	out=$(unshare -m sh -c "mount --bind -o ro '$DB' '$DB' &&
	    '$FLOWRECD' --read '$PCAP' --iface other --db '$DB' --no-progress;
	    echo exit \$?" 2>&1)
	case $out in
	*"other: Read-only file system"*"exit 1")
		pass "a read-only store, a new interface: says so" ;;
	*)	fail "a read-only store, a new interface: $out" ;;
	esac
else
	pass "# SKIP read-only store: needs root and unshare -m"
fi
done_testing
