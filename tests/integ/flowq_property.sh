#!/bin/sh
# flowq_property.sh - random conditions and queries over a store recorded
# from ../shared/pcaps/dev must equal an independent evaluation over the
# oracle's CSVs (tests/integ/flowq_property.py).  SKIP without ../shared
# or python3.  FLOWQ_PROPERTY_SEED and FLOWQ_PROPERTY_N vary the run.
. "$(dirname "$0")/lib.sh"

dev="$SHARED/pcaps/dev"
[ -d "$dev" ] || skip_all "no $dev"
command -v python3 > /dev/null || skip_all "no python3"
[ -x "$FLOWQ" ] || { echo "Bail out! $FLOWQ not built"; exit 99; }
[ -x "$FLOWRECD" ] || { echo "Bail out! $FLOWRECD not built"; exit 99; }
exec python3 "$top_srcdir/tests/integ/flowq_property.py" "$FLOWQ" \
    "$FLOWRECD" "$dev" "$TEST_TMP" "${FLOWQ_PROPERTY_SEED:-1}" \
    "${FLOWQ_PROPERTY_N:-150}"
