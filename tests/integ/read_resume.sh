#!/bin/sh
# read_resume.sh - a --read that fails or is interrupted half-way keeps
# whole bins only and says which: running it again with the --resume-from
# it names gives exactly the store of one clean run (no bin counted twice,
# none missing), for a failure at a day's start (a day file's place taken),
# a full disk in the middle of a day (a small tmpfs) and SIGTERM.  The
# capture spans three days of 5-minute bins, written in batches of about
# 3000 rows (FLOWREC_BATCH_ROWS) so that a run has many of them.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip_all "no python3"
command -v sqlite3 >/dev/null || skip_all "no sqlite3"
cap=$TEST_TMP/days.pcap
# 120000 packets over 60000 flows, one every 2.16 s from 2023-11-14 00:00
# UTC: three days, 864 bins of about 139 packets each.
python3 - "$cap" <<'PY' || { echo "Bail out! no capture"; exit 99; }
import struct, sys
t0, n, flows = 1699920000, 120000, 60000
out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
for i in range(n):
    k = (i * 7919) % flows
    us = i * 2160000
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0,
                     bytes([198, 18, k >> 8 & 255, k & 255]),
                     bytes([198, 19, k % 97, 1 + k % 200]))
    udp = struct.pack(">HHHH", 1024 + k % 50000, 53 + k % 7, 8, 0)
    frame = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + udp
    frame += b"\0" * (60 - len(frame))
    out.write(struct.pack("<IIII", t0 + us // 1000000, us % 1000000,
                          len(frame), len(frame)))
    out.write(frame)
PY
export FLOWREC_BATCH_ROWS=3000

# store DBDIR: everything a query can see, in a stable order (the rows,
# each bin's counters, the skips, the rollups, the catalog's totals).
store() {
	flows_csv "$1" gen
	for db in "$1"/gen/gen-*.db; do
		sqlite3 -csv "$db" "SELECT ts, interval, packets, ip, non_ip,
		    malformed, flows, flows_v4, flows_v6, bytes_rcvd, bytes_sent,
		    pkts_rcvd, pkts_sent, writes FROM bins ORDER BY ts;
		    SELECT * FROM bin_skips ORDER BY 1, 2;
		    SELECT * FROM flow_rows_1h ORDER BY 1, 2;
		    SELECT * FROM flow_rows_1d ORDER BY 1, 2;
		    SELECT * FROM rollups ORDER BY 1" 2>&1
	done
	sqlite3 -csv "$1/catalog.db" "SELECT iface, day, first, last, bins,
	    packets, flows, bytes_rcvd, bytes_sent FROM days ORDER BY 1, 2"
}

# resume_from ERRFILE: the --resume-from value a failed run printed.
resume_from() {
	sed -n 's/.*run the same command with --resume-from \([0-9]*\)$/\1/p' "$1"
}

"$FLOWRECD" --read "$cap" --iface gen --db "$TEST_TMP/ref" --no-progress \
    >"$TEST_TMP/ref.out" 2>&1 || { cat "$TEST_TMP/ref.out"; echo "Bail out! reference run"; exit 99; }
store "$TEST_TMP/ref" > "$TEST_TMP/ref.txt"
n=$(sqlite3 "$TEST_TMP/ref/gen/gen-2023-11-15.db" "SELECT count(*) FROM bins")
[ "$n" = 288 ] && pass "reference: three days, 288 bins on the second" ||
    fail "reference: $n bins on the second day"

# 1. The second day's file cannot be made (a directory in its place).
db=$TEST_TMP/a
mkdir -p "$db/gen/gen-2023-11-15.db"
"$FLOWRECD" --read "$cap" --iface gen --db "$db" --no-progress >"$TEST_TMP/a.out" 2>"$TEST_TMP/a.err"
st=$?
from=$(resume_from "$TEST_TMP/a.err")
if [ "$st" = 1 ] && [ "$from" = 1700006400 ] &&
    grep -q "gen-2023-11-15.db: not a file" "$TEST_TMP/a.err" &&
    grep -q "its bins before 2023-11-15 00:00:00 UTC are in the store" "$TEST_TMP/a.err"; then
	pass "a day file's place taken: exit 1, the first day is in, resume at 2023-11-15"
else
	fail "a day file's place taken: exit $st, resume '$from'"
	sed 's/^/# /' "$TEST_TMP/a.err"
fi
rmdir "$db/gen/gen-2023-11-15.db"
"$FLOWRECD" --read "$cap" --iface gen --db "$db" --no-progress --resume-from "$from" \
    >"$TEST_TMP/a2.out" 2>"$TEST_TMP/a2.err" || fail "resumed run failed: $(cat "$TEST_TMP/a2.err")"
store "$db" > "$TEST_TMP/a.txt"
if cmp -s "$TEST_TMP/ref.txt" "$TEST_TMP/a.txt"; then
	pass "resumed: the store equals one clean run's"
else
	fail "resumed: the store differs from one clean run's"
	diff "$TEST_TMP/ref.txt" "$TEST_TMP/a.txt" | head -n 10 | sed 's/^/# /'
fi
grep -q "bin writes before 1700006400 skipped (resumed)" "$TEST_TMP/a2.err" &&
    pass "the resumed run says what it skipped" || fail "no note of the skipped bins"

# 2. The disk fills up in the middle (run as root: a small tmpfs).
if [ "$(id -u)" = 0 ] && mkdir -p "$TEST_TMP/full" &&
    mount -t tmpfs -o size=3m flowrec-test "$TEST_TMP/full" 2>/dev/null; then
	trap 'umount "$TEST_TMP/full" 2>/dev/null; rm -rf "$TEST_TMP"' EXIT
	db=$TEST_TMP/full/db
	"$FLOWRECD" --read "$cap" --iface gen --db "$db" --no-progress >"$TEST_TMP/b.out" 2>"$TEST_TMP/b.err"
	st=$?
	from=$(resume_from "$TEST_TMP/b.err")
	if [ "$st" = 1 ] && grep -q "disk is full" "$TEST_TMP/b.err" && [ -n "$from" ] &&
	    [ "$from" -gt 1699920000 ] && [ $((from % 300)) = 0 ]; then
		pass "disk full: exit 1, bins before $from are in"
	else
		fail "disk full: exit $st, resume '$from'"
		sed 's/^/# /' "$TEST_TMP/b.err"
	fi
	# What is in the store is whole bins, those before the time given.
	late=0
	for f in "$db"/gen/gen-*.db; do
		[ -f "$f" ] || continue
		late=$((late + $(sqlite3 "$f" "SELECT count(*) FROM bins WHERE ts >= ${from:-0}")))
	done
	[ "$late" = 0 ] && pass "disk full: no bin from $from on is in the store" ||
	    fail "disk full: $late bins from $from on are in the store"
	mount -o remount,size=64m "$TEST_TMP/full" || fail "remount"
	"$FLOWRECD" --read "$cap" --iface gen --db "$db" --no-progress --resume-from "$from" \
	    >"$TEST_TMP/b2.out" 2>"$TEST_TMP/b2.err" || fail "resumed run failed: $(cat "$TEST_TMP/b2.err")"
	store "$db" > "$TEST_TMP/b.txt"
	if cmp -s "$TEST_TMP/ref.txt" "$TEST_TMP/b.txt"; then
		pass "disk full, resumed: the store equals one clean run's"
	else
		fail "disk full, resumed: the store differs from one clean run's"
		diff "$TEST_TMP/ref.txt" "$TEST_TMP/b.txt" | head -n 10 | sed 's/^/# /'
	fi
	umount "$TEST_TMP/full"
else
	pass "# SKIP disk full: needs root and tmpfs"
fi

# 3. SIGTERM while reading (a slow reader: batches of one bin).
db=$TEST_TMP/c
FLOWREC_BATCH_ROWS=1 "$FLOWRECD" --read "$cap" --iface gen --db "$db" --no-progress \
    >"$TEST_TMP/c.out" 2>"$TEST_TMP/c.err" &
pid=$!
i=0
while [ ! -f "$db/gen/gen-2023-11-14.db" ] && [ $i -lt 200 ]; do
	sleep 0.05; i=$((i + 1))
done
kill -TERM $pid
wait $pid
st=$?
from=$(resume_from "$TEST_TMP/c.err")
if [ "$st" = 1 ] && grep -q "interrupted" "$TEST_TMP/c.err" && [ -n "$from" ]; then
	pass "SIGTERM: exit 1, interrupted, resume at $from"
	"$FLOWRECD" --read "$cap" --iface gen --db "$db" --no-progress --resume-from "$from" \
	    >"$TEST_TMP/c2.out" 2>"$TEST_TMP/c2.err" || fail "resumed run failed"
elif [ "$st" = 1 ] && grep -q "none of its bins is in the store" "$TEST_TMP/c.err"; then
	pass "SIGTERM before the first commit: nothing is in the store"
	"$FLOWRECD" --read "$cap" --iface gen --db "$db" --no-progress \
	    >"$TEST_TMP/c2.out" 2>"$TEST_TMP/c2.err" || fail "run again failed"
elif [ "$st" = 0 ]; then
	# Finished before the signal came: nothing to resume.
	pass "SIGTERM came after the end (exit 0)"
else
	fail "SIGTERM: exit $st, resume '$from'"
	sed 's/^/# /' "$TEST_TMP/c.err"
fi
store "$db" > "$TEST_TMP/c.txt"
cmp -s "$TEST_TMP/ref.txt" "$TEST_TMP/c.txt" &&
    pass "SIGTERM, resumed: the store equals one clean run's" ||
    fail "SIGTERM, resumed: the store differs from one clean run's"
done_testing
