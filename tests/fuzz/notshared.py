#!/usr/bin/env python3
"""notshared.py - keep fuzz inputs that are not pieces of someone else's capture.

usage: notshared.py REFDIR... -- CANDIDATE...

Prints each candidate (a file, or every file of a directory) that shares no
run of 95 bytes or more with any file under the reference directories.
tests/fuzz/run.sh uses it before copying fuzzer inputs into tests/corpus:
what is committed must be made here (our seeds and what the fuzzer made of
them), not a copy, prefix or lightly mutated piece of a shared capture.
"""

import os
import sys

WINDOW = 64        # reference windows every 32 bytes: any run of 95 has one
STEP = 32


def windows(refdirs):
    refs = set()
    for d in refdirs:
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            path = os.path.join(d, name)
            if not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                data = f.read()
            for i in range(0, len(data) - WINDOW + 1, STEP):
                w = data[i:i + WINDOW]
                if len(set(w)) > 4:            # not padding or a fill pattern
                    refs.add(w)
    return refs


def candidates(args):
    for c in args:
        if os.path.isdir(c):
            for name in sorted(os.listdir(c)):
                yield os.path.join(c, name)
        else:
            yield c


def main(argv):
    if "--" not in argv:
        sys.stderr.write(__doc__)
        return 2
    cut = argv.index("--")
    refs = windows(argv[1:cut])
    for path in candidates(argv[cut + 1:]):
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        if not any(data[i:i + WINDOW] in refs
                   for i in range(len(data) - WINDOW + 1)):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
