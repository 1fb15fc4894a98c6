#!/bin/bash
# export.sh - one command for the export benchmark (issue 14).
#
#   bench/export.sh [RUNS]
#
# Builds flowrecd and bench/store_bench (make, in the build tree: run it
# from there or set top_builddir), writes two stores with store_bench
# (synthetic keys, 10 % IPv6, as bench/store.sh): one bin of 1M rows, and
# an hour of 300 s bins of 100k rows (1.2M rows: the backlog an hour of
# downtime leaves), then sends them with `flowrecd --read EMPTY -c CONF`
# (backfill: true; the export's threads are all the process does) to
#
#   ipfix-tcp   a TCP sink that reads and discards (the exporter's cost)
#   ipfix-udp   a UDP socket nobody reads (the same, over UDP; the
#               kernel drops what does not fit: no error comes back)
#   clickhouse  Debian's clickhouse-server, started here on private ports
#
# and prints per case flowrecd's CPU seconds (user + system) and wall
# seconds, the median of RUNS runs (default 3), and rows/s; for ClickHouse
# also the server's CPU.  The backlog is drained once with each
# destination's default rate (100000 rows/s) and once without a limit.
set -e
RUNS=${1:-3}
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
: "${top_builddir:=$top_srcdir}"
make -C "$top_builddir" flowrecd bench/store_bench >/dev/null
FLOWRECD=$top_builddir/flowrecd
T=$(mktemp -d "${TMPDIR:-/tmp}/export-bench.XXXXXX")
. "$top_srcdir/tests/integ/export_lib.sh"
trap 'ex_cleanup; rm -rf "$T"' EXIT

echo "# export bench: $RUNS runs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) CPUs"
"$top_builddir/bench/store_bench" fill "$T/one" 1000000 1 >/dev/null
"$top_builddir/bench/store_bench" fill "$T/hour" 100000 12 >/dev/null
python3 "$top_srcdir/tests/integ/export_gen.py" "$T/empty.pcapng" 0 0 300 0

P_TCP=$(ex_port); P_UDP=$(ex_port); P_CH=$(ex_port)
cat >"$T/sink.py" <<'EOF'
import socket, sys, threading
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(('127.0.0.1', int(sys.argv[1]))); ls.listen(8)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
u.bind(('127.0.0.1', int(sys.argv[2])))
open(sys.argv[3], 'w').close()
def drain(c):
    buf = bytearray(1 << 20)
    while c.recv_into(buf):
        pass
while True:
    c, _ = ls.accept()
    threading.Thread(target=drain, args=(c,), daemon=True).start()
EOF
ex_bg "$T/sink.log" python3 "$T/sink.py" $P_TCP $P_UDP "$T/sink.ready"
ex_wait 10 test -f "$T/sink.ready"
ch_start "$T/ch" $P_CH >/dev/null || { echo "clickhouse-server did not start"; exit 1; }

ch_cpu() {	# clickhouse-server's CPU seconds so far
	awk '{ print ($14 + $15) / 100 }' "/proc/$CH_PID/stat"
}

# run STORE KIND RATE: one export of STORE; prints "cpu wall rows [chcpu]"
run() {
	local store=$1 kind=$2 rate=$3 dest c0 c1
	rm -f "$T/$store/export.db"* "$T/$store/export.lock"
	case $kind in
	ipfix-tcp) dest="  ipfix:
    collectors: [\"tcp://127.0.0.1:$P_TCP\"]
    backfill: true
    rate: $rate" ;;
	ipfix-udp) dest="  ipfix:
    collectors: [\"udp://127.0.0.1:$P_UDP\"]
    backfill: true
    rate: $rate" ;;
	clickhouse) dest="  clickhouse:
    url: $CH_URL
    backfill: true
    rate: $rate"
		ch_query "DROP TABLE IF EXISTS flows" ;;
	esac
	printf 'db_path: %s\ninterval: 300\nexport:\n%s\n' "$T/$store" "$dest" \
		>"$T/conf.yaml"
	c0=$( [ $kind = clickhouse ] && ch_cpu || echo 0)
	/usr/bin/time -f '%U %S %e' -o "$T/time" "$FLOWRECD" --read \
		"$T/empty.pcapng" --iface fill0 -c "$T/conf.yaml" \
		>/dev/null 2>"$T/err"
	c1=$( [ $kind = clickhouse ] && ch_cpu || echo 0)
	grep -q "pending=0$" "$T/err" || { cat "$T/err"; exit 1; }
	rows=$(sed -n 's/.* rows=\([0-9]*\) .*/\1/p' "$T/err")
	awk -v r="$rows" -v c="$(echo "$c1 - $c0" | awk '{ print $1 - $3 }')" \
		'{ printf "%.2f %.2f %d %.2f\n", $1 + $2, $3, r, c }' "$T/time"
}

# median of field $1 over lines on stdin
median() { sort -n -k"$1" | awk -v f="$1" '{ v[NR] = $f } END { print v[int((NR + 1) / 2)] }'; }

report() {	# report LABEL STORE KIND RATE RUNS
	local i
	: >"$T/runs"
	for i in $(seq "$5"); do run "$2" "$3" "$4" >>"$T/runs"; done
	cpu=$(median 1 <"$T/runs"); wall=$(median 2 <"$T/runs")
	rows=$(head -1 "$T/runs" | cut -d' ' -f3); chc=$(median 4 <"$T/runs")
	printf '%-44s rows=%-8s cpu_s=%-6s wall_s=%-6s rows/s(wall)=%-8.0f rows/s(cpu)=%.0f%s\n' \
		"$1" "$rows" "$cpu" "$wall" "$(awk "BEGIN { print $rows / $wall }")" \
		"$(awk "BEGIN { print $rows / ($cpu > 0 ? $cpu : 0.001) }")" \
		"$([ "$3" = clickhouse ] && echo " server_cpu_s=$chc")"
}

echo "## one bin of 1M rows, no rate limit (median of $RUNS)"
report "ipfix-tcp 1M-row bin" one ipfix-tcp 0 "$RUNS"
report "ipfix-udp 1M-row bin" one ipfix-udp 0 "$RUNS"
report "clickhouse 1M-row bin" one clickhouse 0 "$RUNS"
echo "## backlog of an hour: 12 bins of 100k rows"
report "ipfix-tcp backlog, rate 100000 (default)" hour ipfix-tcp 100000 1
report "ipfix-tcp backlog, no limit" hour ipfix-tcp 0 "$RUNS"
report "clickhouse backlog, rate 100000 (default)" hour clickhouse 100000 1
report "clickhouse backlog, no limit" hour clickhouse 0 "$RUNS"
