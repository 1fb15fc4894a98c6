#!/bin/bash
# live.sh - flowrecd's live capture against its peers, in one command.
#
# usage: bench/live.sh [PACKETS [FLOWS [RATES]]]
#   PACKETS  per run (default 5000000; 80000000 is about 60 s at top rate)
#   FLOWS    distinct flows (default 65536)
#   RATES    space-separated pps limits for the zero-drop curve, 0 = top
#            rate (default "0"); each rate runs for FLOWS in "1000 FLOWS"
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
W=/var/tmp/flowbench/live; mkdir -p "$W"
export FB_RESULTS=${FB_RESULTS:-/var/tmp/flowbench/results}
RP=("$SB/run_peer.sh" --nice -20 --drain 2 --stop-timeout 60)

frun() {	# frun LABEL FLOWS RATE
	rm -rf "$W/db"
	"${RP[@]}" -l "$1" -n "$N" -f "$2" -r "$3" \
	    --count-cmd "for f in $W/db/veth-cap/*.db; do sqlite3 \$f 'select count(*), sum(pkts_rcvd) from flow_rows'; done | awk -F'|' '{ n += \$1; p += \$2 } END { print n, \"packets=\" p }'" \
	    --post-cmd "echo db_bytes=\$(du -cb $W/db/veth-cap/*.db* | tail -1 | cut -f1)" \
	    -- "$FR" -i veth-cap --db "$W/db" --max-flows ${MAX_FLOWS:-131072} -v
}
for r in $RATES; do
	for f in $( [ "$r" = 0 ] && echo "$F" || echo "1000 $F" ); do
		frun "live-flowrecd-f$f-r$r" "$f" "$r"
	done
done
"${RP[@]}" -l "live-tcpdump-f$F" -n "$N" -f "$F" -- tcpdump -i veth-cap -s 128 -w /dev/null
if command -v softflowd >/dev/null; then
	"${RP[@]}" -l "live-softflowd-f$F" -n "$N" -f "$F" \
	    --stats-cmd "softflowctl -c $W/sf.ctl statistics" \
	    -- softflowd -d -6 -i veth-cap -m 2000000 -c "$W/sf.ctl" -p "$W/sf.pid"
fi
if command -v pmacctd >/dev/null; then
	"${RP[@]}" -l "live-pmacctd-f$F" -n "$N" -f "$F" -- pmacctd -f "$SB/peers/pmacctd-print.conf"
fi
python3 "$SB/fbutil.py" table "$FB_RESULTS/results.jsonl" live-
