#!/bin/sh
# query_bench.sh FLOWQ QUERY_GEN DIR - the body of bench/query.sh.
#
# Stores (bench/query_gen.c documents the traffic model), each twice:
# schema version 1 (flow_rows only) and version 2 (the same files with
# their hourly and daily rollups and the store's catalog.db, made by
# query_gen -u from a copy of the version 1 files):
#   busy: one day, 288 bins x ~100k flows (28.8 M rows), 400k keys
#   month: 30 days of ~1 M rows (288 x ~3.5k flows, 60k keys per day)
#   many: 100 interfaces x 30 days, 288 bins each (for `flowq list`)
# The stores are made once and reused (about 4 GB in all; the first run
# takes some minutes more).  flowq's times are the median of 5 runs (3 for
# the slow ones), wall clock, process start included, measured by
# query_gen -t; beside them the same question asked naively of sqlite3,
# once (v1: the `flows` view; v2: the rollup table or the catalog), and
# the goal.  The machine's load average is printed: on a shared
# 2-core machine, other work inflates every number.
set -eu
FLOWQ=$1
GEN=$2
DIR=$3
export TZ=UTC
[ -x "$FLOWQ" ] || { echo "query_bench: no $FLOWQ (make first)" >&2; exit 1; }
[ -x "$GEN" ] || { echo "query_bench: no $GEN (make check builds it)" >&2; exit 1; }
command -v sqlite3 > /dev/null || { echo "query_bench: no sqlite3" >&2; exit 1; }
mkdir -p "$DIR"

days() {	# the 30 days of the month stores
	d=0
	while [ $d -lt 30 ]; do
		date -u -d "2024-02-01 +$d days" +%Y-%m-%d
		d=$((d + 1))
	done
}

if [ ! -f "$DIR/busy.done" ]; then
	echo "generating the busy day (a few minutes)..."
	rm -rf "$DIR/busy"
	"$GEN" "$DIR/busy" eth0 2024-01-15 288 100000 400000 1
	touch "$DIR/busy.done"
fi
if [ ! -f "$DIR/month.done" ]; then
	echo "generating 30 days of 1 M rows..."
	rm -rf "$DIR/month"
	i=1
	for day in $(days); do
		"$GEN" "$DIR/month" eth0 "$day" 288 3472 60000 $i > /dev/null
		i=$((i + 1))
	done
	touch "$DIR/month.done"
fi
if [ ! -f "$DIR/many.done" ]; then
	echo "generating 100 interfaces x 30 days..."
	rm -rf "$DIR/many"
	n=0
	while [ $n -lt 100 ]; do
		for day in $(days); do
			"$GEN" "$DIR/many" "if$n" "$day" 288 10 40 $n > /dev/null
		done
		n=$((n + 1))
	done
	touch "$DIR/many.done"
fi
# version 2: copies of the same files, rolled up and catalogued
for s in busy month many; do
	[ -f "$DIR/$s-v2.done" ] && continue
	echo "making the version 2 twin of $s (rollups, catalog.db)..."
	rm -rf "$DIR/$s-v2"
	cp -a "$DIR/$s" "$DIR/$s-v2"
	"$GEN" -u "$DIR/$s-v2"/*/*.db
	touch "$DIR/$s-v2.done"
done

now_ms() { echo $(($(date +%s%N) / 1000000)); }
timeit() { "$GEN" -t 5 "$@"; }		# median of 5 (ms)
timeit3() { "$GEN" -t 3 "$@"; }
once() {
	t1=$(now_ms); "$@" > /dev/null 2>&1 || true; t2=$(now_ms)
	echo $((t2 - t1))
}

bday="-f 2024-01-15T00:00:00Z -l 2024-01-16T00:00:00Z"
month="-f 2024-02-01T00:00:00Z -l 2024-03-01T23:59:59Z"
typical=10.128.6.200	# a client with 20 keys on the busy day
heavy=10.128.1.1	# a busy client (73 keys on the busy day)
monthly=10.128.24.168	# 4 to 5 keys a day in the 30-day store

# The naive equivalents: v1 through the flows view, v2 through the day's
# rollup (flow_rows_1d) or the catalog, GROUP BY in SQL.
naive_sip() {
	for f in "$@"; do
		sqlite3 "$f" "SELECT dip, sum(bytes_rcvd), sum(bytes_sent), \
sum(pkts_rcvd), sum(pkts_sent) FROM flows WHERE sip = '$X' GROUP BY dip \
ORDER BY sum(bytes_rcvd) + sum(bytes_sent) DESC LIMIT 10"
	done
}
naive_sip2() {
	for f in "$@"; do
		sqlite3 "$f" "SELECT d.text, sum(r.bytes_rcvd), \
sum(r.bytes_sent), sum(r.pkts_rcvd), sum(r.pkts_sent) FROM addrs AS s \
JOIN flow_keys AS k ON k.sip = s.id JOIN flow_rows_1d AS r ON r.key = k.id \
JOIN addrs AS d ON d.id = k.dip WHERE s.text = '$X' GROUP BY d.text \
ORDER BY sum(r.bytes_rcvd) + sum(r.bytes_sent) DESC LIMIT 10"
	done
}
naive_conv() {
	timeout 300 sqlite3 "$1" "SELECT sip, dip, sum(bytes_rcvd), \
sum(bytes_sent), sum(pkts_rcvd), sum(pkts_sent) FROM flows GROUP BY sip, dip \
ORDER BY sum(bytes_rcvd) + sum(bytes_sent) DESC LIMIT 10"
}
naive_conv2() {
	timeout 300 sqlite3 "$1" "SELECT s.text, d.text, sum(r.bytes_rcvd), \
sum(r.bytes_sent), sum(r.pkts_rcvd), sum(r.pkts_sent) FROM flow_rows_1d AS r \
JOIN flow_keys AS k ON k.id = r.key JOIN addrs AS s ON s.id = k.sip \
JOIN addrs AS d ON d.id = k.dip GROUP BY k.sip, k.dip \
ORDER BY sum(r.bytes_rcvd) + sum(r.bytes_sent) DESC LIMIT 10"
}
naive_list() {
	for f in "$DIR"/many/*/*.db; do
		sqlite3 "$f" "SELECT min(ts), max(ts + interval), \
sum(pkts_rcvd + pkts_sent), sum(bytes_rcvd + bytes_sent), sum(flows) FROM bins"
	done
}
naive_list2() {
	sqlite3 "$DIR/many-v2/catalog.db" "SELECT iface, min(first), max(last), \
sum(pkts_rcvd + pkts_sent), sum(bytes_rcvd + bytes_sent), sum(flows) \
FROM days GROUP BY iface"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
fmt='%-38s %9s %9s %11s %11s %7s\n'
printf "$fmt" "" "flowq" "flowq" "sqlite3" "sqlite3" ""
printf "$fmt" "query (ms)" "v1" "v2" "v1 naive" "v2 naive" "goal"
row() { printf "$fmt" "$@"; }

busy=$DIR/busy
busy2=$DIR/busy-v2
X=$typical
a=$(timeit "$FLOWQ" -d "$busy" $bday -c "sip = $X" talk_dst)
b=$(timeit "$FLOWQ" -d "$busy2" $bday -c "sip = $X" talk_dst)
c=$(once naive_sip "$busy"/eth0/*.db)
d=$(once naive_sip2 "$busy2"/eth0/*.db)
row "busy day: sip = $X (typical)" "$a" "$b" "$c" "$d" 10
X=$heavy
a=$(timeit "$FLOWQ" -d "$busy" $bday -c "sip = $X" talk_dst)
b=$(timeit "$FLOWQ" -d "$busy2" $bday -c "sip = $X" talk_dst)
c=$(once naive_sip "$busy"/eth0/*.db)
d=$(once naive_sip2 "$busy2"/eth0/*.db)
row "busy day: sip = $X (busy host)" "$a" "$b" "$c" "$d" 10
X=$monthly
a=$(timeit "$FLOWQ" -d "$DIR/month" $month -c "sip = $X" talk_dst)
b=$(timeit "$FLOWQ" -d "$DIR/month-v2" $month -c "sip = $X" talk_dst)
c=$(once naive_sip "$DIR"/month/eth0/*.db)
d=$(once naive_sip2 "$DIR"/month-v2/eth0/*.db)
row "30 days: sip = $X" "$a" "$b" "$c" "$d" 100
a=$(timeit3 "$FLOWQ" -d "$busy" $bday -n 10 talk_conv)
b=$(timeit3 "$FLOWQ" -d "$busy2" $bday -n 10 talk_conv)
c=$(once naive_conv "$busy"/eth0/eth0-2024-01-15.db)
d=$(once naive_conv2 "$busy2"/eth0/eth0-2024-01-15.db)
row "busy day: top-10 talk_conv" "$a" "$b" "$c" "$d" 2000
a=$(timeit "$FLOWQ" -d "$DIR/many" list)
b=$(timeit "$FLOWQ" -d "$DIR/many-v2" list)
c=$(once naive_list)
d=$(once naive_list2)
row "list: 100 interfaces x 30 days" "$a" "$b" "$c" "$d" 200
# v2 beyond the goals: hours of rollups, and part of a day from the bins
a=$(timeit3 "$FLOWQ" -d "$busy" $bday --resolution 1h -n 0 time,proto)
b=$(timeit3 "$FLOWQ" -d "$busy2" $bday --resolution 1h -n 0 time,proto)
row "busy day: --resolution 1h time,proto" "$a" "$b" "" "" ""
a=$(timeit "$FLOWQ" -d "$busy" -f 2024-01-15T08:17:00Z \
    -l 2024-01-15T17:00:00Z -c "sip = $typical" talk_dst)
b=$(timeit "$FLOWQ" -d "$busy2" -f 2024-01-15T08:17:00Z \
    -l 2024-01-15T17:00:00Z -c "sip = $typical" talk_dst)
row "busy 08:17-17:00: sip = $typical" "$a" "$b" "" "" ""
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
