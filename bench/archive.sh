#!/bin/bash
# archive.sh - the packet archive (issue 15) live at the generator's top
# rate, in one command.
#
# usage: bench/archive.sh [PACKETS [FLOWS [RUNS]]]
#   PACKETS  per run (default 10000000, about 8 s at top rate)
#   FLOWS    distinct flows (default 100000)
#   RUNS     runs of each case; the table shows their median (default 1)
#   ARB_CASES  the cases to run (default "base gzip zstd none tcpdump")
#
# On a veth pair of its own (network namespaces arb-tx and arb-cap,
# veth-arb-tx -> veth-arb-cap; ../shared/bench's netns.sh, flowgen and
# run_peer.sh), each case records the same blast of 60-byte frames round
# robin over FLOWS flows, flowgen's top rate, capture pinned to CPU 1 and
# the generator to CPU 0 (run_peer.sh's defaults):
#   base   flowrecd -c, no archive (the minimal snaplen)
#   gzip   flowrecd -c with archive {cutoff_bytes: 65536, compress: gzip}
#   zstd   the same, compress: zstd
#   none   the same, uncompressed
#   tcpdump  tcpdump -s 0 -B 65536 -w FILE (flowrecd's ring is 64 MiB too)
# and prints per case: offered pps, kernel drops on the ring, the
# process's CPU (user + system, wait4 rusage by procmon.py, from the start
# of sending to the stop signal; not wall time) per packet, of which the
# capture thread's (flowrecd's exit line) and the archive's writer
# thread's (fr-archive, from /proc/PID/task/TID/stat),
# packets archived and dropped for the archive, and what was written:
# the pcap bytes (the files decompressed after the run) and the file bytes
# on disk, per second of sending; then
# the ratios against base and tcpdump, and gotm's published ballpark.
# The generator's frames are too few per flow to reach the 64 KiB cutoff
# (about PACKETS / FLOWS * 60 bytes each), so every packet is archived:
# the archive's worst case.
# Work files in /var/tmp/flowbench/archive (removed), results in
# /var/tmp/flowbench/archive/results-STAMP.jsonl.  Root only.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
SB=${FB_SHARED:-$HERE/../shared/bench}
[ -x "$SB/run_peer.sh" ] || { echo "SKIP: $SB not found"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "archive.sh: run as root" >&2; exit 2; }
FR=${FLOWRECD:-$HERE/flowrecd}
[ -x "$FR" ] || { echo "archive.sh: build flowrecd first ($FR)" >&2; exit 2; }
command -v tcpdump >/dev/null || { echo "archive.sh: tcpdump is not installed" >&2; exit 2; }
N=${1:-10000000} F=${2:-100000} RUNS=${3:-1}
CASES=${ARB_CASES:-base gzip zstd none tcpdump}

export FB_NS_TX=arb-tx FB_NS_CAP=arb-cap FB_IF_TX=veth-arb-tx FB_IF_CAP=veth-arb-cap
IF=$FB_IF_CAP
W=/var/tmp/flowbench/archive
STAMP=$(date +%Y%m%d-%H%M%S)
mkdir -p "$W"
export FB_RESULTS=$W/results-$STAMP
RES=$FB_RESULTS/results.jsonl
cleanup() {
	"$SB/netns.sh" down >/dev/null 2>&1 || true
	rm -rf "$W/db" "$W/ar" "$W/td.pcap"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$SB/netns.sh" down >/dev/null 2>&1 || true
"$SB/netns.sh" up >/dev/null
RP=("$SB/run_peer.sh" --nice -20 --drain 2 --stop-timeout 120 -n "$N" -f "$F")

echo "# archive bench $STAMP: $N packets, $F flows, $RUNS run(s) a case;" \
    "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

# Per thread CPU ticks of the capture (before the stop): the archive's
# writer thread and the rest.
THREADS='pid=$(pgrep -g "$(cat "$RUN/cap.pid")" -x flowrecd | head -n 1);
for t in /proc/$pid/task/*; do
	echo "$(cat $t/comm) $(cut -d")" -f2- $t/stat | awk "{ print \$12 + \$13 }")"
done | awk "\$1 == \"fr-archive\" { a += \$2; next } { o += \$2 }
    END { printf \"thr_archive_s=%.2f\nthr_other_s=%.2f\n\", a / 100, o / 100 }" >"$RUN/threads"'
# After the exit: the archive's exit line and the bytes on disk.
ARPOST="cat \"\$RUN/threads\" 2>/dev/null;
sed -n 's/^loop_thread: user_s=\([0-9.]*\) sys_s=\([0-9.]*\).*/loop_user_s=\1 loop_sys_s=\2/p' \"\$RUN/cap.out\";
sed -n 's/^$IF: archive //p' \"\$RUN/cap.out\" | tr ' ' '\n' | sed -n 's/^/ar_/p';
echo ar_disk_bytes=\$(find $W/ar -type f -printf '%s\n' 2>/dev/null | awk '{ s += \$1 } END { print s + 0 }');
echo ar_nfiles=\$(find $W/ar -type f 2>/dev/null | wc -l);
echo ar_pcap_bytes=\$(for f in \$(find $W/ar -type f | sort); do
	case \$f in *.gz) zcat \$f ;; *.zst) zstdcat -q \$f ;; *) cat \$f ;; esac
done | wc -c);
rm -rf $W/ar $W/db"

frun() {	# frun CASE COMPRESS ("" = no archive)
	local i
	{
		echo "db_path: $W/db"
		echo "interfaces:"
		echo "  $IF:"
		echo "    max_flows: ${MAX_FLOWS:-131072}"
		if [ -n "$2" ]; then
			echo "    archive:"
			echo "      path: $W/ar"
			echo "      cutoff_bytes: 65536"
			echo "      compress: $2"
		fi
	} >"$W/fr.yaml"
	for i in $(seq "$RUNS"); do
		rm -rf "$W/db" "$W/ar"
		"${RP[@]}" -l "arb-$1" --stats-cmd "$THREADS" --post-cmd "$ARPOST" \
		    -- "$FR" -c "$W/fr.yaml" >/dev/null
	done
}
has() { case " $CASES " in *" $1 "*) return 0 ;; esac; return 1; }
has base && frun base ""
has gzip && frun gzip gzip
has zstd && frun zstd zstd
has none && frun none none
has tcpdump && for i in $(seq "$RUNS"); do
	"${RP[@]}" -l arb-tcpdump \
	    --post-cmd "echo ar_disk_bytes=\$(stat -c %s $W/td.pcap); echo ar_pcap_bytes=\$(stat -c %s $W/td.pcap); rm -f $W/td.pcap" \
	    -- tcpdump -i "$IF" -s 0 -B 65536 -w "$W/td.pcap" >/dev/null
done

python3 - "$RES" <<'EOF'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs.setdefault(r["label"][4:], []).append(r)
def med(case, k):
    v = [r[k] for r in runs.get(case, []) if isinstance(r.get(k), (int, float))]
    return statistics.median(v) if v else None
def f(v, fmt):
    return "-".rjust(int(fmt.split(".")[0])) if v is None else format(v, fmt)
print(f"{'case':8} {'offered':>9} {'k.drops':>8} {'CPU s':>6} {'ns/pkt':>7} "
      f"{'capture':>8} {'archive':>8} {'archived':>9} {'ar.drop':>8} {'pcap MB/s':>9} {'disk MB/s':>9} "
      f"{'files':>5} {'other':>6}")
row = {}
for case in ("base", "gzip", "zstd", "none", "tcpdump"):
    if case not in runs:
        continue
    el = med(case, "gen_elapsed_s") or 0
    dl = med(case, "delivered") or 0
    thr = med(case, "thr_archive_s")
    fb = med(case, "ar_pcap_bytes")
    db = med(case, "ar_disk_bytes")
    # Bytes written per second of sending (the writer may finish in the drain).
    row[case] = d = {
        "pps": med(case, "gen_pps"), "drops": med(case, "tool_drop"),
        "cpu": med(case, "cap_cpu_run_s"), "ns": med(case, "cap_ns_per_pkt"),
        "thr_ns": thr * 1e9 / dl if thr is not None and dl else None,
        "loop_ns": (med(case, "loop_user_s") + med(case, "loop_sys_s")) * 1e9 / dl
            if med(case, "loop_user_s") is not None and dl else None,
        "archived": med(case, "ar_archived"), "ardrop": med(case, "ar_dropped"),
        "pcap": fb / el / 1e6 if fb is not None and el else None,
        "disk": db / el / 1e6 if db is not None and el else None,
        "files": med(case, "ar_nfiles"), "other": med(case, "other_cpu_s"),
        "lost": med(case, "ar_write_lost"),
    }
    print(f"{case:8} {f(d['pps'], '9.0f')} {f(d['drops'], '8.0f')} {f(d['cpu'], '6.2f')} "
          f"{f(d['ns'], '7.0f')} {f(d['loop_ns'], '8.0f')} {f(d['thr_ns'], '8.0f')} {f(d['archived'], '9.0f')} "
          f"{f(d['ardrop'], '8.0f')} {f(d['pcap'], '9.1f')} {f(d['disk'], '9.1f')} "
          f"{f(d['files'], '5.0f')} {f(d['other'], '6.2f')}")
print("(offered: generator pps; k.drops: kernel drops on the ring; CPU s: the "
      "process's user+sys from the start of sending to the stop; ns/pkt: that per "
      "packet delivered; capture: the capture (loop) thread's CPU over its whole life per packet; archive: the writer thread's share; pcap MB/s: "
      "pcap bytes before compression, disk MB/s: bytes in the files, per second "
      "of sending; other: CPU seconds other jobs took meanwhile)")
b, t = row.get("base"), row.get("tcpdump")
def ratio(x, y):
    return "-" if x is None or not y else f"{x / y:.2f}"
for case in ("gzip", "zstd", "none"):
    d = row.get(case)
    if d is None:
        continue
    print(f"{case}: CPU/pkt x{ratio(d['ns'], b and b['ns'])} of no archive, "
          f"x{ratio(d['ns'], t and t['ns'])} of tcpdump -w; offered pps "
          f"x{ratio(d['pps'], b and b['pps'])} of no archive; disk MB/s "
          f"x{ratio(d['disk'], t and t['disk'])} of tcpdump -w's; pcap MB/s "
          f"x{ratio(d['pcap'], t and t['pcap'])}")
print("gotm (its README, ../shared/seeds/gotm-README.md): \"In our environment it "
      "can handle a full 10-20gbit of traffic on a single box without dropped "
      "packets\" (real science-DMZ traffic, Myricom SNF libpcap, several workers; "
      "with a 64k cutoff \"the other 0.2% of connections account for 99% of the "
      "traffic\", so it writes about 1 % of that: roughly 12-25 MB/s); no per-packet "
      "CPU published.  Here every packet is under the cutoff and archived.")
EOF
echo "results: $RES"
