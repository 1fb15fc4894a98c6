#!/bin/sh
# run.sh - fuzz the frame parser, the capture-file reader, the YAML
# configuration loader and flowq's reader of day files with libFuzzer.
#
# usage: tests/fuzz/run.sh [SECONDS [TARGET...]]
#   SECONDS  how long each target runs (default 60)
#   TARGET   parse, capfile, conf, dayfile (default: parse and capfile,
#            one after the other)
#
# 1. Copies the working tree (tracked files and untracked ones that are not
#    ignored) to $FUZZ_BUILD/src (default /tmp/fuzzbuild) and builds the
#    fuzzers there with ./configure --enable-fuzzing CC=clang, so the tree
#    you work in keeps its own configuration.
# 2. Runs each fuzzer for SECONDS on one core.  New inputs go to the work
#    corpus $FUZZ_BUILD/corpus/<target>; it also reads tests/corpus/<target>
#    and, when ../shared/pcaps/dev exists, the shared captures in place
#    (capfile) or frames taken from them into $FUZZ_BUILD/seeds/parse
#    (parse).  Those seeds are read, never copied into the tree.
# 3. Crashes: each is minimized and copied to tests/corpus/<target>/ as
#    crash-<sha1>; fix the bug, then rename the file after what it broke.
# 4. New inputs: those of the work corpus that share no run of 95 bytes
#    with a shared capture or a frame taken from one (notshared.py) are
#    merged (-merge=1) against tests/corpus/<target>/; the ones that add
#    coverage are copied there.
#
# Exit status: 0 no crash, 1 a crash (see above), 2 usage or build error.
set -eu

secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-parse capfile}
case $secs in
''|*[!0-9]*) echo "usage: $0 [SECONDS [parse|capfile|conf|dayfile ...]]" >&2; exit 2 ;;
esac

top=$(cd "$(dirname "$0")/../.." && pwd)
B=${FUZZ_BUILD:-/tmp/fuzzbuild}
dev=$top/../shared/pcaps/dev
CC=${CC:-clang}
mkdir -p "$B/src"

log() { echo "run.sh: $*"; }

# 1. A private copy of the tree, configured for fuzzing.
log "copying $top to $B/src"
(cd "$top" && git ls-files -z -co --exclude-standard |
    tar -cf - --null --ignore-failed-read -T - 2>/dev/null) |
    tar -xf - -C "$B/src"
if [ ! -f "$B/src/config.status" ]; then
	log "configuring (CC=$CC)"
	(cd "$B/src" && autoreconf -fi >"$B/configure.log" 2>&1 &&
	    ./configure --enable-fuzzing CC="$CC" >>"$B/configure.log" 2>&1) ||
	    { log "configure failed, see $B/configure.log"; exit 2; }
fi
log "building"
(cd "$B/src" && make -j2 $(for t in $targets; do echo tests/fuzz/fuzz_$t; done) \
    >"$B/build.log" 2>&1) || { log "build failed, see $B/build.log"; exit 2; }

# Seeds for the parse fuzzer: frames of the shared captures (scratch only).
mkdir -p "$B/seeds/parse"
if [ -d "$dev" ] && [ -z "$(ls -A "$B/seeds/parse")" ]; then
	"$CC" -O1 -I"$B/src" -I"$B/src/src" -o "$B/dumpframes" \
	    "$B/src/tests/fuzz/dumpframes.c" "$B/src/src/capfile.c" \
	    "$B/src/src/util.c"
	"$B/dumpframes" "$B/seeds/parse" "$dev"/*.pcap "$dev"/*.pcapng \
	    "$dev"/*.cap 2>/dev/null || true
	log "$(find "$B/seeds/parse" -type f | wc -l) parse seeds from $dev"
fi

# Candidates (after --) sharing no long run of bytes with a reference.
not_shared() {
	python3 "$top/tests/fuzz/notshared.py" "$@"
}

status=0
for t in $targets; do
	case $t in
	parse)   maxlen=4096;  seeds="$B/seeds/parse" ;;
	capfile) maxlen=65536; seeds=$dev ;;
	conf)    maxlen=4096;  seeds=$top/examples ;;
	dayfile) maxlen=4096;  seeds=$B/seeds/none ;;
	*) echo "run.sh: unknown target $t" >&2; exit 2 ;;
	esac
	fuzzer=$B/src/tests/fuzz/fuzz_$t
	work=$B/corpus/$t
	art=$B/artifacts/$t
	mkdir -p "$work" "$art"
	set -- "$work" "$top/tests/corpus/$t"
	[ -d "$seeds" ] && set -- "$@" "$seeds"

	# 2. Fuzz.
	log "fuzzing $t for ${secs}s"
	rc=0
	"$fuzzer" -max_total_time="$secs" -max_len="$maxlen" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -dict="$top/tests/fuzz/$t.dict" -artifact_prefix="$art/" \
	    "$@" >"$B/fuzz-$t.log" 2>&1 || rc=$?
	grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss)' \
	    "$B/fuzz-$t.log" | sed 's/^/  /' || true
	grep -E 'ERROR|SUMMARY|broken promise' "$B/fuzz-$t.log" |
	    sed 's/^/  /' || true

	# 3. Crashes, minimized, into the tree.
	for a in "$art"/crash-* "$art"/leak-* "$art"/timeout-* "$art"/oom-*; do
		[ -f "$a" ] || continue
		case $(basename "$a") in *.*) continue ;; esac
		status=1
		"$fuzzer" -minimize_crash=1 -max_total_time=30 \
		    -exact_artifact_path="$a.min" "$a" >"$a.minlog" 2>&1 || true
		[ -f "$a.min" ] || cp "$a" "$a.min"
		keep=$(not_shared "$dev" "$B/seeds/parse" -- "$a.min")
		if [ -n "$keep" ]; then
			cp "$a.min" "$top/tests/corpus/$t/$(basename "$a")"
			log "CRASH in $t: tests/corpus/$t/$(basename "$a")"
		else
			log "CRASH in $t on a shared capture: $a (not copied;" \
			    "make a regression input with pcapw)"
		fi
		mv "$a" "$a.seen"
	done
	[ $rc -eq 0 ] || [ $status -ne 0 ] ||
	    { log "$t fuzzer exited $rc, see $B/fuzz-$t.log"; status=1; }

	# 4. New inputs that add coverage, into the tree: the work corpus
	# without anything taken from shared captures, merged against it.
	clean=$B/clean/$t
	merge=$B/merge/$t
	rm -rf "$clean" "$merge"
	mkdir -p "$clean" "$merge"
	for f in $(not_shared "$dev" "$B/seeds/parse" -- "$work"); do
		cp "$f" "$clean/"
	done
	cp "$top/tests/corpus/$t"/* "$merge"/
	"$fuzzer" -merge=1 -max_len="$maxlen" -timeout=10 "$merge" "$clean" \
	    >"$B/merge-$t.log" 2>&1 || { log "merge failed, see" \
	    "$B/merge-$t.log"; status=1; continue; }
	n=0
	for f in "$merge"/*; do
		[ -e "$top/tests/corpus/$t/$(basename "$f")" ] && continue
		cp "$f" "$top/tests/corpus/$t/"
		n=$((n + 1))
	done
	log "$t: $n new inputs copied to tests/corpus/$t"
done
exit $status
