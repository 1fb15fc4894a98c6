#!/bin/sh
# fuzz_api.sh - replay every saved input of tests/corpus/api (the seeds:
# routes, pipelined and chunked requests, tokens, a 20 MB Content-Length,
# garbage, truncated requests, and what the fuzzer found) through the
# control API's fuzz target built without libFuzzer (tests/fuzz/
# replay_api): none may crash, leak under ASan, or break a promise the
# target checks (whole responses, JSON errors carrying their status, no
# connection or request left over).
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}"
corpus="$top_srcdir/tests/corpus/api"
n=$(ls "$corpus" | wc -l)
[ "$n" -gt 0 ] || { echo "fuzz_api.sh: empty corpus $corpus" >&2; exit 1; }
"$top_builddir/tests/fuzz/replay_api" -q "$corpus"
echo "fuzz_api.sh: $n files replayed"
