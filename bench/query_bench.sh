#!/bin/sh
# query_bench.sh FLOWQ QUERY_GEN DIR - the body of bench/query.sh.
#
# Stores (bench/query_gen.c documents the traffic model):
#   busy: one day, 288 bins x ~100k flows (28.8 M rows), 400k keys
#   month: 30 days of ~1 M rows (288 x ~3.5k flows, 60k keys per day)
#   many: 100 interfaces x 30 days, 288 bins each (for `flowq list`)
# Every query runs 3 times; the median wall time is shown beside the same
# question asked naively of sqlite3 (the `flows` view, no flowq), and the
# issue's goal.  The machine's load average is printed: on a shared
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
	echo "generating the busy day (about a minute)..."
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

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# median of 3 wall times (ms) of a command
timeit() {
	t1=$(now_ms); "$@" > /dev/null 2>&1; t2=$(now_ms)
	"$@" > /dev/null 2>&1; t3=$(now_ms)
	"$@" > /dev/null 2>&1; t4=$(now_ms)
	printf '%s\n' $((t2 - t1)) $((t3 - t2)) $((t4 - t3)) | sort -n | sed -n 2p
}
once() {
	t1=$(now_ms); "$@" > /dev/null 2>&1 || true; t2=$(now_ms)
	echo $((t2 - t1))
}

busy="$DIR/busy"
bday="-f 2024-01-15T00:00:00Z -l 2024-01-16T00:00:00Z"
month="-f 2024-02-01T00:00:00Z -l 2024-03-01T23:59:59Z"
typical=10.128.6.200	# a client with 20 keys on the busy day
heavy=10.128.1.1	# a busy client (73 keys on the busy day)
monthly=10.128.24.168	# 4 to 5 keys a day in the 30-day store

naive_sip() {	# the naive equivalent: the flows view, GROUP BY in SQL
	for f in "$@"; do
		sqlite3 "$f" "SELECT dip, sum(bytes_rcvd), sum(bytes_sent), \
sum(pkts_rcvd), sum(pkts_sent) FROM flows WHERE sip = '$X' GROUP BY dip \
ORDER BY sum(bytes_rcvd) + sum(bytes_sent) DESC LIMIT 10"
	done
}
naive_conv() {
	timeout 300 sqlite3 "$1" "SELECT sip, dip, sum(bytes_rcvd), \
sum(bytes_sent), sum(pkts_rcvd), sum(pkts_sent) FROM flows GROUP BY sip, dip \
ORDER BY sum(bytes_rcvd) + sum(bytes_sent) DESC LIMIT 10"
}
naive_list() {
	for f in "$DIR"/many/*/*.db; do
		sqlite3 "$f" "SELECT min(ts), max(ts + interval), \
sum(pkts_rcvd + pkts_sent), sum(bytes_rcvd + bytes_sent), sum(flows) FROM bins"
	done
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %10s %12s %8s\n' "query" "flowq ms" "sqlite3 ms" "goal ms"
row() { printf '%-44s %10s %12s %8s\n' "$1" "$2" "$3" "$4"; }

X=$typical
a=$(timeit "$FLOWQ" -d "$busy" $bday -c "sip = $X" talk_dst)
b=$(once naive_sip "$busy"/eth0/*.db)
row "busy day: -c 'sip = $X' (typical)" "$a" "$b" 10
X=$heavy
a=$(timeit "$FLOWQ" -d "$busy" $bday -c "sip = $X" talk_dst)
b=$(once naive_sip "$busy"/eth0/*.db)
row "busy day: -c 'sip = $X' (busy host)" "$a" "$b" 10
X=$monthly
a=$(timeit "$FLOWQ" -d "$DIR/month" $month -c "sip = $X" talk_dst)
b=$(once naive_sip "$DIR"/month/eth0/*.db)
row "30 days: -c 'sip = $X'" "$a" "$b" 100
a=$(timeit "$FLOWQ" -d "$busy" $bday -n 10 talk_conv)
b=$(once naive_conv "$busy"/eth0/eth0-2024-01-15.db)
row "busy day: top-10 talk_conv" "$a" "$b" 2000
a=$(timeit "$FLOWQ" -d "$DIR/many" list)
b=$(once naive_list)
row "list: 100 interfaces x 30 days" "$a" "$b" 200
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
