#!/bin/sh
# fuzz_ring.sh - replay every file of tests/corpus/ring through the ring
# walker's fuzz target (built as tests/fuzz/replay_ring): none may crash.
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}"
corpus="$top_srcdir/tests/corpus/ring"
n=$(ls "$corpus" | wc -l)
[ "$n" -gt 0 ] || { echo "fuzz_ring.sh: empty corpus $corpus" >&2; exit 1; }
"$top_builddir/tests/fuzz/replay_ring" "$corpus"/*
echo "fuzz_ring.sh: $n ring blocks replayed"
