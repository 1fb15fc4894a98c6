#!/bin/bash
# live.sh - flowrecd's live capture against its peers, in one command.
#
# usage: bench/live.sh [PACKETS [FLOWS [RATES]]]
#   PACKETS  per run (default 5000000; 80000000 is about 60 s at top rate)
#   FLOWS    distinct flows (default 65536)
#   RATES    space-separated pps limits for the zero-drop curve, 0 = top
#            rate (default "0"); each rate runs for FLOWS in "1000 FLOWS"
# MEM_FLOWS=N (e.g. 1000000): first one run of N flows (2 packets each
# unless MEM_PACKETS, at MEM_RATE pps, default 300000 so that nothing is
# dropped on a loaded machine) with --max-flows N, and flowrecd's peak RSS
# over it, the write-out of the N-row bin at stop included (issue 18's
# memory figure), with the flows and packets the store got; RATES "skip"
# stops after it: MEM_FLOWS=1000000 bench/live.sh 0 0 skip.
# Uses ../shared/bench in place (run_peer.sh, netns.sh, flowgen); results
# go to /var/tmp/flowbench/results (fbutil.py table prints them).  Peers
# in the same run: tcpdump -w /dev/null, softflowd and pmacctd when
# installed (apt-get install tcpdump softflowd pmacct).
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
SB=${FB_SHARED:-$HERE/../shared/bench}
[ -x "$SB/run_peer.sh" ] || { echo "SKIP: $SB not found"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "live.sh: run as root" >&2; exit 2; }
FR=${FLOWRECD:-$HERE/flowrecd}
[ -x "$FR" ] || { echo "live.sh: build flowrecd first ($FR)" >&2; exit 2; }
N=${1:-5000000} F=${2:-65536} RATES=${3:-0}
W=${FB_LIVE_WORK:-/var/tmp/flowbench/live}; mkdir -p "$W"
# The capture side's interface (netns.sh's FB_IF_CAP: other names and
# namespaces, FB_NS_TX, FB_NS_CAP, FB_IF_TX, let runs share a machine).
CAPIF=${FB_IF_CAP:-veth-cap}
export FB_RESULTS=${FB_RESULTS:-/var/tmp/flowbench/results}
RP=("$SB/run_peer.sh" --nice -20 --drain 2 --stop-timeout 60)

frun() {	# frun LABEL FLOWS RATE
	rm -rf "$W/db"
	"${RP[@]}" -l "$1" -n "$N" -f "$2" -r "$3" \
	    --count-cmd "for f in $W/db/$CAPIF/*.db; do sqlite3 \$f 'select count(*), sum(pkts_rcvd) from flow_rows'; done | awk -F'|' '{ n += \$1; p += \$2 } END { print n, \"packets=\" p }'" \
	    --post-cmd "echo db_bytes=\$(du -cb $W/db/$CAPIF/*.db* | tail -1 | cut -f1)" \
	    -- "$FR" -i $CAPIF --db "$W/db" --max-flows ${MAX_FLOWS:-131072} -v
}
if [ -n "${MEM_FLOWS:-}" ]; then
	mp=${MEM_PACKETS:-$((2 * MEM_FLOWS))}
	rm -rf "$W/db"
	"${RP[@]}" -l "live-flowrecd-mem-f$MEM_FLOWS" -n "$mp" -f "$MEM_FLOWS" \
	    -r "${MEM_RATE:-300000}" \
	    --count-cmd "for f in $W/db/$CAPIF/*.db; do sqlite3 \$f 'select count(*), sum(pkts_rcvd + pkts_sent) from flow_rows'; done | awk -F'|' '{ n += \$1; p += \$2 } END { print n, \"packets=\" p }'" \
	    -- "$FR" -i $CAPIF --db "$W/db" --max-flows "$MEM_FLOWS" -v \
	    > "$W/mem.out"
	cat "$W/mem.out"
	awk '/maxrss_kb=/ { for (i = 1; i <= NF; i++) if ($i ~ /^(cap_)?maxrss_kb=/) { split($i, a, "="); printf "# flowrecd, %s flows live: peak RSS %d MB\n", ENVIRON["MEM_FLOWS"], a[2] / 1024 } }' "$W/mem.out"
	[ "$RATES" = skip ] && exit 0
fi
for r in $RATES; do
	for f in $( [ "$r" = 0 ] && echo "$F" || echo "1000 $F" ); do
		frun "live-flowrecd-f$f-r$r" "$f" "$r"
	done
done
"${RP[@]}" -l "live-tcpdump-f$F" -n "$N" -f "$F" -- tcpdump -i $CAPIF -s 128 -w /dev/null
if command -v softflowd >/dev/null; then
	"${RP[@]}" -l "live-softflowd-f$F" -n "$N" -f "$F" \
	    --stats-cmd "softflowctl -c $W/sf.ctl statistics" \
	    -- softflowd -d -6 -i $CAPIF -m 2000000 -c "$W/sf.ctl" -p "$W/sf.pid"
fi
if command -v pmacctd >/dev/null; then
	"${RP[@]}" -l "live-pmacctd-f$F" -n "$N" -f "$F" -- pmacctd -f "$SB/peers/pmacctd-print.conf"
fi
python3 "$SB/fbutil.py" table "$FB_RESULTS/results.jsonl" live-
