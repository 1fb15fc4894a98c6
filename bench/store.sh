#!/bin/sh
# store.sh - one command for the store benchmark of doc/storage.md.
#
#   bench/store.sh [ROWS [BINS [RUNS]]]
#
# Builds bench/store_bench (make, in the build tree: run it from there or
# set top_builddir), then RUNS times (default 3) writes, into fresh day
# files under a scratch directory ($TMPDIR or /tmp; needs about 1 GB for
# the default 1000000 rows x 20 bins): a 1M-row bin into a new file; a
# day of BINS bins with 95 % recurring keys; then (a) a bin of mostly
# recurring keys, (b) a bin of all-new keys, (c) (a) again after
# reopening.  Prints CPU seconds, rows/s and bytes/row of each, and a
# summary line per case with the median over the runs.  FLOWREC_DEBUG=1
# adds the store's time per phase.
set -e
ROWS=${1:-1000000}
BINS=${2:-20}
RUNS=${3:-3}
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
: "${top_builddir:=$top_srcdir}"

make -C "$top_builddir" bench/store_bench >/dev/null
BENCH="$top_builddir/bench/store_bench"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/store-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

echo "# store_bench: $ROWS rows a bin, a day of $BINS bins, $RUNS runs"
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) CPUs; sqlite $(sqlite3 -version 2>/dev/null | cut -d' ' -f1)"
run=1
while [ $run -le "$RUNS" ]; do
	echo "## run $run"
	"$BENCH" bench "$WORK/run$run" "$ROWS" "$BINS" | tee "$WORK/out$run"
	rm -rf "$WORK/run$run"
	run=$((run + 1))
done

# Median CPU seconds of each case over the runs.
echo "## median over $RUNS runs (CPU seconds, rows/s from CPU)"
for c in "fresh file " "(a) recurring keys" "(b) new keys" "(c) recurring, reopened"; do
	cat "$WORK"/out* | grep -F "$c" | grep -F "cpu " |
	    sed 's/.*cpu \([0-9.]*\) s.*/\1/' | sort -n |
	    awk -v c="$c" -v rows="$ROWS" '{ v[NR] = $1 }
	    END { if (NR) { m = v[int((NR + 1) / 2)];
	    printf "%-26s %5.2f s  %8.0f rows/s\n", c, m, rows / m } }'
done
cat "$WORK"/out* | grep -E "^day bin" | sed 's/.*cpu \([0-9.]*\) s.*/\1/' |
    sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%-26s %5.2f s (median of %d bins)\n", "day bins 2..", v[int((NR + 1) / 2)], NR }'
grep -h "B/row" "$WORK"/out1
