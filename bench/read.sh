#!/bin/sh
# bench/read.sh - flowrecd --read against its peers, in the same run.
#
# Usage: bench/read.sh [-n PACKETS] [-f FLOWS] [-r REPS] [--no-peers] [--no-cg]
#
# Makes a capture with ../shared/bench's flowgen (default 10M packets over
# 1M flows, the size PEERS.md uses), then times, on the same file:
#   flowrecd --read (store included), pmacctd -I (print plugin),
#   softflowd -r, nfpcapd -r -w (nfdump's: it also stores what it
#   aggregates), tcpdump -r -w /dev/null (the libpcap read floor),
# and prints wall and CPU seconds, peak RSS, and flowrecd's speed-up over
# each.  Then counts instructions per packet with callgrind, as PEERS.md
# does: Ir(100k packets, 10k flows) - Ir(1k packets, 100 flows), / 99000,
# for flowrecd as a whole and for its packet path alone.
# Work files go to /var/tmp/flowbench (FB_WORK), not to the repository.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
shared=${FLOWREC_SHARED:-$top/../shared}
W=${FB_WORK:-/var/tmp/flowbench}
n=10000000 f=1000000 reps=1 peers=1 cg=1
while [ $# -gt 0 ]; do
	case $1 in
	-n) n=$2; shift ;;
	-f) f=$2; shift ;;
	-r) reps=$2; shift ;;
	--no-peers) peers=0 ;;
	--no-cg) cg=0 ;;
	*) echo "usage: $0 [-n PACKETS] [-f FLOWS] [-r REPS] [--no-peers] [--no-cg]" >&2; exit 2 ;;
	esac
	shift
done
[ -x "$top/flowrecd" ] || { echo "build flowrecd first (make)" >&2; exit 2; }
[ -f "$shared/bench/flowgen.c" ] || { echo "SKIP: no $shared/bench" >&2; exit 77; }
mkdir -p "$W/pcap" "$W/read"
gen=$shared/bench/.build/flowgen
[ -x "$gen" ] || "$shared/bench/build.sh" >/dev/null
pcap=$W/pcap/gen-$n-$f.pcap
[ -f "$pcap" ] || "$gen" -q -w "$pcap" -n "$n" -f "$f" >/dev/null

# run LABEL CMD...: one timed run; prints "LABEL wall cpu rss_mb"
run() {
	label=$1; shift
	/usr/bin/time -f "%e %U %S %M" -o "$W/read/time" "$@" >"$W/read/$label.out" 2>&1 || true
	read -r wall user sys rss < "$W/read/time"
	echo "$label $wall $(echo "$user $sys" | awk '{print $1 + $2}') $((rss / 1024))"
}

results=$W/read/results.txt
: > "$results"
i=0
while [ "$i" -lt "$reps" ]; do
	i=$((i + 1))
	rm -rf "$W/read/db"
	run flowrecd "$top/flowrecd" --read "$pcap" --iface gen --db "$W/read/db" --no-progress >> "$results"
	if [ "$peers" = 1 ]; then
		command -v pmacctd >/dev/null && mkdir -p "$W/pmacct" &&
		    run pmacctd pmacctd -f "$shared/bench/peers/pmacctd-offline.conf" -I "$pcap" >> "$results"
		command -v softflowd >/dev/null &&
		    run softflowd softflowd -d -6 -m 2000000 -r "$pcap" >> "$results"
		command -v nfpcapd >/dev/null && rm -rf "$W/nfpcapd" &&
		    mkdir -p "$W/nfpcapd" &&
		    run nfpcapd nfpcapd -r "$pcap" -w "$W/nfpcapd" >> "$results"
		command -v tcpdump >/dev/null &&
		    run tcpdump-r tcpdump -r "$pcap" -w /dev/null >> "$results"
	fi
done
echo "# $n packets, $f flows ($pcap); median of $reps run(s)"
printf '%-12s %9s %9s %8s %10s\n' tool wall_s cpu_s rss_MB "cpu_vs_flowrecd"
for t in flowrecd pmacctd softflowd nfpcapd tcpdump-r; do
	grep "^$t " "$results" | sort -k3 -n | awk -v r="$reps" 'NR == int((r + 1) / 2)'
done | awk -v base="$(grep '^flowrecd ' "$results" | sort -k3 -n | awk -v r="$reps" 'NR == int((r + 1) / 2) {print $3}')" \
    '{printf "%-12s %9.2f %9.2f %8d %9.1fx\n", $1, $2, $3, $4, $3 / base}'
sed -n 's/^flowrecd: .*: /# flowrecd: /p' "$W/read/flowrecd.out"
db=$(ls "$W"/read/db/gen/*.db | head -n 1)
rows=$(sqlite3 "$db" 'SELECT count(*) FROM flow_rows')
size=$(du -b "$db" | cut -f1)
echo "# store: $rows rows, $size bytes, $((size / rows)) bytes/row"

if [ "$cg" = 1 ] && command -v valgrind >/dev/null; then
	for k in 1k:1000:100 100k:100000:10000; do
		name=${k%%:*}; rest=${k#*:}
		[ -f "$W/pcap/cg-$name.pcap" ] || "$gen" -q -w "$W/pcap/cg-$name.pcap" -n "${rest%%:*}" -f "${rest#*:}" >/dev/null
		rm -rf "$W/read/cgdb"
		valgrind --tool=callgrind --callgrind-out-file="$W/read/cg-$name.out" \
		    "$top/flowrecd" --read "$W/pcap/cg-$name.pcap" --iface g --db "$W/read/cgdb" --no-progress >/dev/null 2>&1
	done
	python3 - "$W/read" <<'PY'
import re, sys, subprocess
d = sys.argv[1]
def totals(name):
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", d + "/cg-%s.out" % name],
                         capture_output=True, text=True).stdout
    tot = int(re.search(r"([\d,]+) \(100.0%\)\s+PROGRAM TOTALS", out).group(1).replace(",", ""))
    def f(fn):
        m = re.search(r"([\d,]+) \([^)]*\)\s+\S*:%s \[" % fn, out)
        return int(m.group(1).replace(",", "")) if m else 0
    # The store's work: writing bins, and closing the day file (rollups,
    # statistics, the WAL folded in) when the reader is done; a new day's
    # key map and address texts are made by threads of their own.
    store = (f("store_write_bin") + f("store_free") + f("store_key_map_fill") +
             f("store_addr_job_run"))
    return tot, store
t1, s1 = totals("1k")
t2, s2 = totals("100k")
print("# callgrind, (100k pkts/10k flows - 1k pkts/100 flows) / 99000:")
print("#   flowrecd --read, all:           %5d instructions/packet" % ((t2 - t1) / 99000))
print("#   packet path (without the store): %5d instructions/packet" % (((t2 - s2) - (t1 - s1)) / 99000))
print("#   store: %d instructions/row (every row a new flow key)" % ((s2 - s1) / 9900))
PY
fi
