"""web_view.py - how long the web view takes to show a view, in headless
Chromium, against a running flowrecd (bench/web_view.sh starts one).

    web_view.py PORT TOKEN QUERYSTRING [RUNS]

Opens http://127.0.0.1:PORT/ui/?QUERYSTRING#token=TOKEN RUNS times (3 by
default), each in a fresh page load, and prints the time from navigation
to the page's "ready" state (its data-ms: the page, its scripts, every
POST /_query and the drawing), each run and the median, in ms.
"""
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integ"))
import webdriver  # noqa: E402


def main():
    port, token, qs = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    found = webdriver.find_browser()
    if found is None:
        sys.exit("web_view: no chromium and chromium-driver")
    times = []
    with webdriver.Browser(*found) as b:
        for i in range(runs):
            b.get("http://127.0.0.1:%s/ui/?%s#token=%s" % (port, qs, token))
            st = b.wait("var s = document.body.getAttribute('data-state');"
                        "return s !== 'loading' && s;", timeout=300)
            if st != "ready":
                sys.exit("web_view: the page says %s: %s" % (st, b.run(
                    "return document.getElementById('status').textContent"
                    " + document.getElementById('auth-message')"
                    ".textContent")))
            ms = int(b.run("return document.body.getAttribute('data-ms')"))
            rows = b.run("return document.querySelectorAll("
                         "'#top-table tbody tr').length")
            print("run %d: %d ms (%d rows)" % (i + 1, ms, rows))
            times.append(ms)
            b.get("about:blank")
    print("median: %d ms" % statistics.median(times))


if __name__ == "__main__":
    main()
