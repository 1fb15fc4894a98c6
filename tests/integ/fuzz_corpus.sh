#!/bin/sh
# fuzz_corpus.sh - replay every saved fuzz input through the fuzz targets
# built without libFuzzer (tests/fuzz/replay_parse, replay_capfile): the
# seeds, the regression inputs of past crashes and what the fuzzers found
# (tests/corpus/parse, tests/corpus/capfile).  None may crash or break a
# promise the target checks; under --enable-asan/--enable-ubsan that
# includes every memory error the fuzzers would see.  The shared dev
# captures go through the capfile target too when ../shared is there.
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}"
fuzz=$top_builddir/tests/fuzz
corpus=$top_srcdir/tests/corpus
for t in parse capfile; do
	if [ ! -x "$fuzz/replay_$t" ]; then
		echo "fuzz_corpus.sh: $fuzz/replay_$t is not built" >&2
		exit 1
	fi
	"$fuzz/replay_$t" "$corpus/$t"
done
dev=$top_srcdir/../shared/pcaps/dev
if [ -d "$dev" ]; then
	"$fuzz/replay_capfile" "$dev"
else
	echo "fuzz_corpus.sh: no $dev, shared captures not replayed"
fi
