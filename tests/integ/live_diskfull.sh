#!/bin/bash
# live_diskfull.sh - the DB directory fills up: writes fail, are logged and
# counted, capture goes on, bins wait in memory and are retried; past the
# queue bound the oldest are dropped and counted; when space returns the
# writes resume.  The store is a small tmpfs.
. "${top_srcdir:-.}/tests/integ/live_lib.sh"

mk_pair
mkdir -p "$T/db"
mount -t tmpfs -o size=256k flowrec-test "$T/db" || fail "mount tmpfs"
MOUNTED="$T/db"
trap 'umount "$MOUNTED" 2>/dev/null; live_cleanup' EXIT
cat >"$T/conf.yaml" <<YAML
db_path: $T/db
queue_rows: 20000
interfaces:
  $IFB:
    max_flows: 4096
    ring: {block_size: 1048576, block_count: 8, retire_ms: 20}
YAML
start_fr $NSB -c "$T/conf.yaml"
wait_log "$IFB: recording"
printf '100000 4 17 198.51.100.1 198.51.100.2 40000 1000 payload=18 dports=50000\n' >"$T/spec"
ip netns exec $NSA "$LIVESEND" $IFA <"$T/spec" >/dev/null || fail "sender"
wait_log "failed, keeping it" 20
wait_log "dropping bin" 20
pass "disk full: write failure logged, bins kept, oldest dropped past queue_rows"

# Capture went on: a new flow still reaches the ring while the disk is full.
printf '50 4 17 198.51.100.7 198.51.100.8 40000 4242 payload=18\n' | ip netns exec $NSA "$LIVESEND" $IFA >/dev/null
mount -o remount,size=64m "$MOUNTED" || fail "remount"
wait_log "writing again" 30
pass "space returned: writing again"
stop_fr TERM
[ "$(exitline $IFB write_errors)" -gt 0 ] || fail "write_errors not counted"
[ "$(exitline $IFB bins_dropped)" -gt 0 ] || fail "bins_dropped not counted"
[ "$(exitline $IFB kernel_drops)" = 0 ] || fail "kernel drops while the disk was full"
for f in "$T/db/$IFB"/*.db; do
	[ "$(sqlite3 "$f" 'PRAGMA integrity_check')" = ok ] || fail "$f integrity"
done
rows "$T/db" $IFB | grep -q '^198.51.100.7,198.51.100.8,4242,17,0,.*,50,0$' ||
	fail "the flow sent while the disk was full is missing"
pass "counted: write_errors=$(exitline $IFB write_errors) bins_dropped=$(exitline $IFB bins_dropped) rows_dropped=$(exitline $IFB rows_dropped); no kernel drops; later flow stored"
exit 0
