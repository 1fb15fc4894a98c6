#!/bin/sh
# bench/read_days.sh - flowrecd --read of a capture spanning many bins
# against the same packets in one bin (issue 18: at most 2x the CPU).
#
# Usage: bench/read_days.sh [-n PACKETS] [-f FLOWS] [-d DAYS] [-r REPS] [--strace]
#
# Makes a capture with ../shared/bench's flowgen (default 3M packets over
# 3M flows: every row a new key), and a copy whose timestamps are spread
# evenly over DAYS days (default 2) from 2023-11-14 00:00 UTC: 576 bins of
# 300 s.  Then runs, alternating, for each repetition:
#   days      flowrecd --read of the spread copy (batches, the default)
#   days-bin  the same with FLOWREC_BATCH_ROWS=0 (one transaction a bin,
#             as before batches)
#   one-bin   flowrecd --read of the original (all of it in one bin)
# and prints user + sys CPU seconds and peak RSS (/usr/bin/time), and the
# ratio of each to one-bin.  --strace also counts fdatasync and pwrite64
# calls of one run of each (strace -c; slower, not timed).
# Work files go to /var/tmp/flowbench (FB_WORK).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
shared=${FLOWREC_SHARED:-$top/../shared}
W=${FB_WORK:-/var/tmp/flowbench}
n=3000000 f=3000000 days=2 reps=1 st=0
while [ $# -gt 0 ]; do
	case $1 in
	-n) n=$2; shift ;;
	-f) f=$2; shift ;;
	-d) days=$2; shift ;;
	-r) reps=$2; shift ;;
	--strace) st=1 ;;
	*) echo "usage: $0 [-n PACKETS] [-f FLOWS] [-d DAYS] [-r REPS] [--strace]" >&2; exit 2 ;;
	esac
	shift
done
[ -x "$top/flowrecd" ] || { echo "build flowrecd first (make)" >&2; exit 2; }
[ -f "$shared/bench/flowgen.c" ] || { echo "SKIP: no $shared/bench" >&2; exit 77; }
mkdir -p "$W/pcap" "$W/days"
gen=$shared/bench/.build/flowgen
[ -x "$gen" ] || "$shared/bench/build.sh" >/dev/null
pcap=$W/pcap/gen-$n-$f.pcap
spread=$W/pcap/days$days-$n-$f.pcap
[ -f "$pcap" ] || "$gen" -q -w "$pcap" -n "$n" -f "$f" >/dev/null
if [ ! -f "$spread" ]; then
	python3 - "$pcap" "$spread.tmp" "$days" <<'PY'
import struct, sys
src, dst, days = sys.argv[1], sys.argv[2], float(sys.argv[3])
data = bytearray(open(src, "rb").read())
offs, o = [], 24
while o < len(data):
    offs.append(o)
    o += 16 + struct.unpack_from("<I", data, o + 8)[0]
step = days * 86400 / len(offs)
for i, o in enumerate(offs):
    us = int(i * step * 1e6)
    struct.pack_into("<II", data, o, 1699920000 + us // 1000000, us % 1000000)
open(dst, "wb").write(data)
PY
	mv "$spread.tmp" "$spread"
fi

# run LABEL ENV CAPTURE: one timed run; prints "LABEL cpu_s rss_mb"
run() {
	rm -rf "$W/days/db"
	env FLOWREC_BATCH_ROWS="$2" /usr/bin/time -f "%U %S %M" -o "$W/days/time" \
	    "$top/flowrecd" --read "$3" --iface gen --db "$W/days/db" --no-progress \
	    >"$W/days/$1.out" 2>&1 || { cat "$W/days/$1.out" >&2; exit 1; }
	read -r user sys rss < "$W/days/time"
	echo "$1 $(echo "$user $sys" | awk '{print $1 + $2}') $((rss / 1024))"
}

results=$W/days/results.txt
: > "$results"
i=0
while [ "$i" -lt "$reps" ]; do
	i=$((i + 1))
	run days "" "$spread" >> "$results"
	run days-bin 0 "$spread" >> "$results"
	run one-bin "" "$pcap" >> "$results"
done
echo "# $n packets, $f flows; spread over $days days of 300 s bins ($spread); median of $reps run(s)"
base=$(grep '^one-bin ' "$results" | sort -k2 -n | awk -v r="$reps" 'NR == int((r + 1) / 2) {print $2}')
printf '%-10s %9s %8s %8s\n' run cpu_s rss_MB vs_one_bin
for t in days days-bin one-bin; do
	grep "^$t " "$results" | sort -k2 -n | awk -v r="$reps" 'NR == int((r + 1) / 2)'
done | awk -v base="$base" '{printf "%-10s %9.2f %8d %7.2fx\n", $1, $2, $3, $2 / base}'

if [ "$st" = 1 ] && command -v strace >/dev/null; then
	for c in "days::$spread" "days-bin:0:$spread" "one-bin::$pcap"; do
		label=${c%%:*}; rest=${c#*:}; env=${rest%%:*}; cap=${rest#*:}
		rm -rf "$W/days/db"
		env FLOWREC_BATCH_ROWS="$env" strace -f -c -o "$W/days/strace-$label.txt" \
		    "$top/flowrecd" --read "$cap" --iface gen --db "$W/days/db" --no-progress >/dev/null 2>&1
		awk -v l="$label" '$NF == "fdatasync" || $NF == "pwrite64" {c[$NF] = $4}
		    END {printf "# strace %-9s fdatasync %7d  pwrite64 %9d\n", l, c["fdatasync"], c["pwrite64"]}' \
		    "$W/days/strace-$label.txt"
	done
fi
