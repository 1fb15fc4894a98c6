#!/bin/sh
# web_ui.sh - the web view in headless Chromium against flowrecd's API
# (tests/integ/web_ui.py).  SKIP without chromium + chromium-driver or
# python3.  FLOWREC_WEB_SCREENSHOT=FILE keeps the screenshot.
. "$(dirname "$0")/lib.sh"

command -v python3 > /dev/null || skip_all "no python3"
[ -x "$FLOWQ" ] || { echo "Bail out! $FLOWQ not built"; exit 99; }
[ -x "$FLOWRECD" ] || { echo "Bail out! $FLOWRECD not built"; exit 99; }
[ -x "$MKPCAP" ] || { echo "Bail out! $MKPCAP not built"; exit 99; }
python3 "$top_srcdir/tests/integ/web_ui.py" "$FLOWRECD" "$FLOWQ" \
    "$MKPCAP" "$top_srcdir" "$TEST_TMP"
