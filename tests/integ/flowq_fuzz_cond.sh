#!/bin/sh
# flowq_fuzz_cond.sh - replay every saved input of tests/corpus/cond (the
# seeds and what the fuzzer found) through the condition parser's fuzz
# target built without libFuzzer (tests/fuzz/replay_cond): none may crash
# or break a promise the target checks (SQL only of the fixed templates,
# SQL and cond_match() agree, canonical forms are stable).
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}"
corpus="$top_srcdir/tests/corpus/cond"
n=$(ls "$corpus" | wc -l)
[ "$n" -gt 0 ] || { echo "flowq_fuzz_cond.sh: empty corpus $corpus" >&2; exit 1; }
"$top_builddir/tests/fuzz/replay_cond" "$corpus"
echo "flowq_fuzz_cond.sh: $n conditions replayed"
