#!/bin/sh
# fuzz_dayfile.sh - replay the day-file fuzz corpus (tests/corpus/dayfile:
# seeds, the hostile files of issue 11 item 3 and whatever the fuzzer
# found) through tests/fuzz/replay_dayfile: flowq's reader on each damaged
# day file must not crash, and a query that fails must name the file.
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}"
replay=$top_builddir/tests/fuzz/replay_dayfile
[ -x "$replay" ] || { echo "fuzz_dayfile.sh: $replay is not built" >&2; exit 1; }
exec "$replay" "$top_srcdir/tests/corpus/dayfile"
