#!/bin/sh
# run.sh - fuzz the frame parser and the capture-file reader with libFuzzer.
#
# usage: tests/fuzz/run.sh [SECONDS [TARGET...]]
#   SECONDS  how long each target runs (default 60)
#   TARGET   parse, capfile (default: both, one after the other)
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
# 4. New inputs: merged (-merge=1) against tests/corpus/<target>/, and the
#    ones that add coverage are copied there, except any that is a copy or
#    a prefix of a shared capture or of a frame taken from one.
#
# Exit status: 0 no crash, 1 a crash (see above), 2 usage or build error.
set -eu

secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-parse capfile}
case $secs in
''|*[!0-9]*) echo "usage: $0 [SECONDS [parse|capfile ...]]" >&2; exit 2 ;;
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
(cd "$B/src" && make -j2 tests/fuzz/fuzz_parse tests/fuzz/fuzz_capfile \
    >"$B/build.log" 2>&1) || { log "build failed, see $B/build.log"; exit 2; }

# Seeds for the parse fuzzer: frames of the shared captures (scratch only).
mkdir -p "$B/seeds/parse"
if [ -d "$dev" ] && [ -z "$(ls -A "$B/seeds/parse")" ]; then
	"$CC" -O1 -I"$B/src" -I"$B/src/src" -o "$B/dumpframes" \
	    "$B/src/tests/fuzz/dumpframes.c" "$B/src/src/capfile.c" \
	    "$B/src/src/util.c"
	"$B/dumpframes" "$B/seeds/parse" "$dev"/*.pcap "$dev"/*.pcapng \
	    "$dev"/*.cap 2>/dev/null || true
	log "$(ls "$B/seeds/parse" | wc -l) parse seeds from $dev"
fi

# Print the candidate files (arguments after --) that are neither a copy
# nor a prefix of a file under the reference directories (before --).
not_shared() {
	python3 - "$@" <<'EOF'
import os, sys
args = sys.argv[1:]
cut = args.index("--")
refs = []
for d in args[:cut]:
    if os.path.isdir(d):
        for name in os.listdir(d):
            p = os.path.join(d, name)
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    refs.append(f.read(1 << 20))
for c in args[cut + 1:]:
    with open(c, "rb") as f:
        data = f.read()
    # A parse input is selector + flags + frame: compare the frame too.
    if any(r.startswith(data) or (len(data) > 2 and r[2:].startswith(data[2:]))
           for r in refs):
        continue
    print(c)
EOF
}

status=0
for t in $targets; do
	case $t in
	parse)   maxlen=4096;  seeds="$B/seeds/parse" ;;
	capfile) maxlen=65536; seeds=$dev ;;
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

	# 4. New inputs that add coverage, into the tree.
	merge=$B/merge/$t
	rm -rf "$merge"
	mkdir -p "$merge"
	cp "$top/tests/corpus/$t"/* "$merge"/
	"$fuzzer" -merge=1 -max_len="$maxlen" -timeout=10 "$merge" "$work" \
	    >"$B/merge-$t.log" 2>&1 || { log "merge failed, see" \
	    "$B/merge-$t.log"; status=1; continue; }
	new=
	for f in "$merge"/*; do
		[ -e "$top/tests/corpus/$t/$(basename "$f")" ] || new="$new $f"
	done
	n=0
	if [ -n "$new" ]; then
		# shellcheck disable=SC2086
		for f in $(not_shared "$dev" "$B/seeds/parse" -- $new); do
			cp "$f" "$top/tests/corpus/$t/"
			n=$((n + 1))
		done
	fi
	log "$t: $n new inputs copied to tests/corpus/$t"
done
exit $status
