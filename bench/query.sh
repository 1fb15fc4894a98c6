#!/bin/sh
# query.sh - flowq's benchmark in one command: generate (once) the
# synthetic stores, then time flowq against the naive SQL run by sqlite3.
#
#   bench/query.sh [BUILDDIR]
#
# BUILDDIR holds flowq and bench/query_gen (`make check` builds the
# latter); default the source tree.  The stores are kept in
# $FLOWQ_BENCH_DIR (default /var/tmp/flowq-bench, about 1.5 GB) and reused.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
exec sh "$top/bench/query_bench.sh" "$build/flowq" "$build/bench/query_gen" \
    "${FLOWQ_BENCH_DIR:-/var/tmp/flowq-bench}"
