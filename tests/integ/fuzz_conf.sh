#!/bin/sh
# fuzz_conf.sh - replay every saved input of tests/corpus/conf (the seeds:
# the example file, the man page's, the unit tests' good and bad files,
# and what the fuzzer found) through the YAML loader's fuzz target built
# without libFuzzer (tests/fuzz/replay_conf): none may crash, leak under
# ASan, or break a promise the target checks (a refusal names its line,
# holds no control character; a loaded file keeps every bound).
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}"
corpus="$top_srcdir/tests/corpus/conf"
n=$(ls "$corpus" | wc -l)
[ "$n" -gt 0 ] || { echo "fuzz_conf.sh: empty corpus $corpus" >&2; exit 1; }
"$top_builddir/tests/fuzz/replay_conf" -q "$corpus"
echo "fuzz_conf.sh: $n files replayed"
