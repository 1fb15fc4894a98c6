"""web_ui.py - the web view in a real browser (tests/integ/web_ui.sh).

A store recorded from the project's own captures (tests/mkpcap), flowrecd
serving it on a TCP API listener with a token and api.www_dir = www/, and
headless Chromium (tests/integ/webdriver.py) opening the page with a view
in its address:
  - the static route: / redirects to /ui/, types, cache headers, ETag and
    304, no way out of the directory, the assets need no token, data does;
  - after the page's scripts ran, its table lists the same top rows as
    `flowq -e csv`, in the same order, with the numbers `flowq` prints
    (units and shares), and holds the stacked chart and the interface
    overview; the token went from the address bar to sessionStorage;
  - a click on a row narrows the condition (in the address) to that row;
  - a wrong token (and none) shows a clear message and no data; the
    token typed into the prompt then works.
Usage: web_ui.py FLOWRECD FLOWQ MKPCAP SRCDIR TMPDIR
TAP output; exit 77 (SKIP) without chromium and chromium-driver.
FLOWREC_WEB_SCREENSHOT=FILE keeps the screenshot (doc/web-view.png).
"""

import csv
import glob
import http.client
import io
import json
import os
import re
import shutil
import signal
import sqlite3
import socket
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import webdriver  # noqa: E402

FLOWRECD, FLOWQ, MKPCAP, SRCDIR, TMP = sys.argv[1:6]
TOKEN = "web-ui-test-token-0123456789abcdef"
AUTH = {"Authorization": "Bearer " + TOKEN}
RANGE = {"first": "0", "last": "2100-01-01T00:00:00Z"}

n_tests = 0
n_failed = 0


def ok(cond, name, diag=None):
    global n_tests, n_failed
    n_tests += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n_tests, name))
    if not cond:
        n_failed += 1
        if diag is not None:
            for line in str(diag).splitlines()[:40]:
                print("#   " + line)
    sys.stdout.flush()
    return cond


def bail(msg):
    print("Bail out! " + msg)
    sys.exit(99)


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        bail("%s: exit %d: %s" % (" ".join(cmd), r.returncode, r.stderr))
    return r.stdout


# ------------------------------------------------------------ the store

def make_store():
    cap = os.path.join(TMP, "cap")
    db = os.path.join(TMP, "db")
    os.makedirs(cap)
    run([MKPCAP, cap])
    for c in ["tcp.pcap", "dirs.pcapng", "frags.pcap", "junk.pcap"]:
        run([FLOWRECD, "--read", os.path.join(cap, c), "--iface", "cap0",
             "--db", db, "--no-progress"])
    run([FLOWRECD, "--read", os.path.join(cap, "bins.pcap"), "--iface",
         "cap1", "--interval", "60", "--db", db, "--no-progress"])
    # a capture that lost packets: 7 kernel drops in cap1's first bin
    day = sorted(glob.glob(os.path.join(db, "cap1", "*.db")))[0]
    con = sqlite3.connect(day)
    con.execute("UPDATE bins SET kernel_drops = 7 WHERE rowid = "
                "(SELECT min(rowid) FROM bins)")
    con.commit()
    con.close()
    return db


def flowq_args(view):
    a = ["-d", DB, "-f", view.get("first", "-24h")]
    if view.get("last"):
        a += ["-l", view["last"]]
    if view.get("ifaces"):
        a += ["-i", view["ifaces"]]
    if view.get("condition"):
        a += ["-c", view["condition"]]
    if view.get("sort_by"):
        a += ["-s", view["sort_by"]]
    a += ["-n", view.get("n", "10"), view.get("query", "talk_src")]
    return a


def flowq_csv(view):
    """(attribute column count, rows) of flowq -e csv (goquery's CSV: the
    attributes, packets received, sent, %, data vol. received, sent, %;
    then the summary rows), each row as its attributes and pr, ps, br, bs.
    """
    out = run([FLOWQ, "-e", "csv"] + flowq_args(view))
    lines = list(csv.reader(io.StringIO(out)))
    head = lines[0]
    n = head.index("packets received")
    rows = []
    for r in lines[1:]:
        if len(r) != len(head):
            break
        rows.append(r[:n] + [r[n], r[n + 1], r[n + 3], r[n + 4]])
    return n, rows


def flowq_txt(view):
    """The table rows flowq prints, whitespace collapsed."""
    out = run([FLOWQ] + flowq_args(view)).splitlines()
    rows = []
    # a blank line, two header lines, the rows up to a blank line
    for line in out[3:]:
        if line.strip() == "" or set(line.split()) == {"..."}:
            break
        rows.append(" ".join(line.split()))
    return rows


# ------------------------------------------------------------ flowrecd

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start_flowrecd():
    port = free_port()
    conf = os.path.join(TMP, "flowrecd.yaml")
    with open(conf, "w") as f:
        f.write("db_path: %s\n" % DB)
        f.write("log:\n  level: info\n  target: stderr\n")
        # an interface that does not exist: retried, writes nothing
        f.write("interfaces:\n  webnone0:\n    enabled: true\n")
        f.write("api:\n  socket: %s\n" % os.path.join(TMP, "api.sock"))
        f.write("  listen: 127.0.0.1:%d\n" % port)
        f.write("  tokens: [\"%s\"]\n" % TOKEN)
        f.write("  www_dir: %s\n" % os.path.join(SRCDIR, "www"))
        f.write("  hosts_file: %s\n" % os.path.join(TMP, "hosts.yaml"))
        # a fleet view's queries ask this daemon again through "self":
        # each holds a query slot while its fan-out needs another
        f.write("  max_queries: 16\n")
    # the fleet: a host that refuses connections, and this flowrecd
    # itself over its socket
    with open(os.open(os.path.join(TMP, "hosts.yaml"),
                      os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
              "w") as f:
        f.write("hosts:\n  gone: {addr: \"127.0.0.1:1\"}\n")
        f.write("  self: {addr: \"unix:%s\"}\n" %
                os.path.join(TMP, "api.sock"))
    log = open(os.path.join(TMP, "flowrecd.log"), "w")
    p = subprocess.Popen([FLOWRECD, "-c", conf], stdout=log,
                         stderr=subprocess.STDOUT)
    end = time.monotonic() + 20
    while time.monotonic() < end:
        if p.poll() is not None:
            bail("flowrecd exited %d: %s" % (
                p.returncode, open(log.name).read()[-2000:]))
        try:
            st, _, _ = http_req("GET", port, "/-/health",
                                {"Authorization": "Bearer " + TOKEN})
            if st == 200:
                return p, port
        except OSError:
            pass
        time.sleep(0.1)
    p.kill()
    bail("flowrecd's API does not answer: " + open(log.name).read()[-2000:])


def http_req(method, port, path, headers=None, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, hdrs, data


# ------------------------------------------------------------ checks

def test_static(port):
    st, h, _ = http_req("GET", port, "/")
    ok(st == 302 and h.get("location") == "/ui/",
       "GET / redirects to /ui/ without a token", (st, h))
    st, h, _ = http_req("GET", port, "/ui")
    ok(st == 302 and h.get("location") == "/ui/", "GET /ui redirects",
       (st, h))
    st, h, body = http_req("GET", port, "/ui/")
    ok(st == 200 and h.get("content-type", "").startswith("text/html"),
       "GET /ui/: the page, text/html, without a token", (st, h))
    with open(os.path.join(SRCDIR, "www", "index.html"), "rb") as f:
        ok(body == f.read(), "... the installed index.html, byte for byte")
    ok("no-cache" in h.get("cache-control", "") and h.get("etag"),
       "... revalidated (Cache-Control: no-cache) by its ETag", h)
    ok("default-src 'self'" in h.get("content-security-policy", "") and
       h.get("x-content-type-options") == "nosniff",
       "... with a Content-Security-Policy and nosniff", h)
    ok("access-control-allow-origin" not in h and "set-cookie" not in h,
       "... no CORS header, no cookie", h)
    st2, h2, body2 = http_req("GET", port, "/ui/",
                              {"If-None-Match": h.get("etag", "x")})
    ok(st2 == 304 and body2 == b"", "If-None-Match: its ETag -> 304",
       (st2, h2))
    for name, ctype in [("app.js", "text/javascript"),
                        ("app.css", "text/css"),
                        ("index.html", "text/html")]:
        st, h, body = http_req("GET", port, "/ui/" + name + "?v=1")
        ok(st == 200 and h.get("content-type", "").startswith(ctype),
           "GET /ui/%s: %s" % (name, ctype), (st, h))
    for path in ["/ui/../flowrecd.yaml", "/ui/%2e%2e/flowrecd.yaml",
                 "/ui/..%2fflowrecd.yaml", "/ui/nosuch.js", "/ui/sub/x.js",
                 "/ui/.hidden", "/etc/passwd", "/ui/../../../../etc/passwd"]:
        # with the token: past the auth check, the file lookup answers
        st, h, body = http_req("GET", port, path, AUTH)
        ok(st == 404 and b"root:" not in body and b"db_path" not in body,
           "GET %s: 404, nothing from outside www/" % path, (st, body))
        st, h, body = http_req("GET", port, path)
        ok(st in (401, 404) and b"root:" not in body and
           b"db_path" not in body, "... and %d without the token" % st,
           (st, body))
    st, h, body = http_req("POST", port, "/ui/", AUTH, b"x")
    ok(st in (404, 405), "POST /ui/: refused (%d)" % st, (st, body))
    q = json.dumps({"query": "sip", "ifaces": "any", "first": "0"})
    st, h, body = http_req("POST", port, "/_query",
                           {"Content-Type": "application/json"}, q)
    ok(st == 401, "POST /_query without a token: 401", (st, body))
    st, h, body = http_req("GET", port, "/status")
    ok(st == 401, "GET /status without a token: 401 (only the assets are "
       "open)", (st, body))


STATE = ("var s = document.body.getAttribute('data-state');"
         "return s !== 'loading' && s;")

PAGE = """
var rows = Array.from(document.querySelectorAll('#top-table tbody tr'));
return {
  state: document.body.getAttribute('data-state'),
  status: document.getElementById('status').textContent,
  auth: document.getElementById('auth-message').textContent,
  authShown: !document.getElementById('auth').hidden,
  keys: rows.map(function (r) { return r.getAttribute('data-key'); }),
  attrs: rows.map(function (r) {
    return Array.from(r.querySelectorAll('td.attr')).map(function (c) {
      return c.textContent; }).join(','); }),
  counters: rows.map(function (r) {
    return r.getAttribute('data-counters'); }),
  cells: rows.map(function (r) {
    return Array.from(r.cells).slice(0, -1).map(function (c) {
      return c.textContent; }).join(' '); }),
  bands: document.querySelectorAll('#chart path.band').length,
  chart: document.querySelectorAll('svg#chart').length,
  legend: Array.from(document.querySelectorAll('#legend li')).map(
    function (l) { return l.textContent; }),
  ifaces: Array.from(document.querySelectorAll('#iface-table tbody tr'))
    .map(function (r) { return r.getAttribute('data-iface'); }),
  ifaceCounts: Array.from(document.querySelectorAll('#iface-table tbody tr'))
    .map(function (r) { return r.getAttribute('data-iface') + ',' +
      r.getAttribute('data-counts'); }),
  ifaceCells: Array.from(document.querySelectorAll('#iface-table tbody tr'))
    .map(function (r) { return Array.from(r.cells).map(function (c) {
      return c.textContent; }).join(' '); }),
  dropAlerts: Array.from(document.querySelectorAll(
    '#iface-table tbody td.drops.alert')).map(function (c) {
      return c.parentNode.getAttribute('data-iface') + ':' + c.textContent; }),
  hostsShown: !document.getElementById('hosts').hidden,
  hosts: Array.from(document.querySelectorAll('#hosts-table tbody tr'))
    .map(function (r) { return Array.from(r.cells).map(function (c) {
      return c.textContent; }).join('|'); }),
  text: document.getElementById('data').textContent,
  href: location.href,
  stored: sessionStorage.getItem('flowrec.token')
};
"""


def ui_url(port, view, token=None):
    u = "http://127.0.0.1:%d/ui/?%s" % (port, urllib.parse.urlencode(view))
    if token is not None:
        u += "#token=" + urllib.parse.quote(token)
    return u


def open_view(b, port, view, token=None):
    b.get(ui_url(port, view, token))
    b.wait(STATE)
    return b.run(PAGE)


def check_view(b, port, view, what, token=None):
    """The page's table against flowq's CSV and text output."""
    page = open_view(b, port, view, token)
    ok(page["state"] == "ready", "%s: the page loaded (%s)" % (what,
       page["status"]), page)
    ncols, rows = flowq_csv(view)
    want_keys = [",".join(r[:ncols]) for r in rows]
    want_counters = [",".join(r[ncols:]) for r in rows]
    ok(len(want_keys) > 1, "%s: flowq has %d rows" % (what, len(rows)))
    ok(page["attrs"] == want_keys,
       "%s: the same top rows as flowq -e csv, in the same order" % what,
       "page:  %s\nflowq: %s" % (page["attrs"], want_keys))
    ok(page["counters"] == want_counters,
       "%s: the same counters" % what,
       "page:  %s\nflowq: %s" % (page["counters"], want_counters))
    txt = flowq_txt(view)
    cells = [" ".join(c.split()) for c in page["cells"]]
    ok(cells == txt, "%s: the numbers flowq prints (units, shares)" % what,
       "page:\n%s\nflowq:\n%s" % ("\n".join(cells), "\n".join(txt)))
    ok(page["chart"] == 1 and page["bands"] >= 1,
       "%s: a stacked chart with %d bands" % (what, page["bands"]), page)
    ok(page["legend"] and page["legend"][-1] == "other",
       "%s: its legend ends with other" % what, page["legend"])
    return page


def test_views(b, port):
    view = dict(RANGE, query="talk_conv", n="5")
    page = check_view(b, port, view, "talk_conv", TOKEN)
    ok("#" not in page["href"] and TOKEN not in page["href"],
       "the token left the address bar at once", page["href"])
    ok(page["stored"] == TOKEN, "... and is kept in sessionStorage")
    ok(sorted(page["ifaces"]) == ["cap0", "cap1"],
       "the interface overview lists cap0 and cap1", page["ifaces"])
    # flowq list's overview: the API's list answer, flowq list's numbers
    out = subprocess.run([FLOWQ, "-d", DB, "list", "-e", "json", "-f",
                          RANGE["first"], "-l", RANGE["last"]],
                         check=True, capture_output=True, text=True).stdout
    want = ["%s,%d,%d,%d,%d" % (i["iface"], i["packets"], i["bytes"],
                                i["flows"], i["kernel_drops"])
            for i in json.loads(out)["interfaces"]]
    ok(page["ifaceCounts"] == want,
       "the interface overview: packets, bytes, flows and kernel drops "
       "as flowq list -e json", "page:  %s\nflowq: %s" % (
           page["ifaceCounts"], want))
    ok(page["dropAlerts"] == ["cap1:7"],
       "cap1's 7 kernel drops shown as an alert", page["dropAlerts"])
    ok(not page["hostsShown"], "no hosts table without hosts in the view")
    shot = os.path.join(TMP, "web-view.png")
    b.screenshot(shot)
    with open(shot, "rb") as f:
        png = f.read()
    ok(png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000,
       "a screenshot (%d bytes)" % len(png))
    if os.environ.get("FLOWREC_WEB_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["FLOWREC_WEB_SCREENSHOT"])

    # a fleet view (hosts): each host's status from hosts_statuses
    page = open_view(b, port, dict(RANGE, query="talk_conv", hosts="any"))
    ok(page["state"] == "ready" and page["hostsShown"] and
       len(page["hosts"]) == 2 and
       re.match(r"gone\|error\|.*connect", page["hosts"][0]) and
       page["hosts"][1] == "self|ok|",
       "hosts=any: the hosts table, each host's status (an unreachable "
       "one in error with its message)", page)
    ok(len(page["keys"]) > 1 and all(k.startswith("self,") for k in
                                     page["keys"]) and page["bands"] >= 1,
       "... the answering host's rows with their host, and a chart",
       page)
    page = open_view(b, port, dict(RANGE, query="talk_conv"))
    ok(not page["hostsShown"], "... and gone again without hosts", page)

    # the token stays for the session: no fragment needed any more
    check_view(b, port, dict(RANGE, query="apps_port", sort_by="packets",
                             ifaces="cap0"), "apps_port by packets on cap0")
    check_view(b, port, dict(RANGE, query="dip", condition="proto = tcp"),
               "dip where proto = tcp")

    # a click on a row narrows the condition to that row
    view = dict(RANGE, query="talk_conv", ifaces="cap0", n="5")
    page = open_view(b, port, view)
    b.run("document.querySelectorAll('#top-table tbody tr')[1].click();")
    b.wait("return location.search.indexOf('condition=') >= 0 && "
           "document.body.getAttribute('data-state') === 'ready';")
    after = b.run(PAGE)
    cond = urllib.parse.parse_qs(
        urllib.parse.urlparse(after["href"]).query).get("condition", [""])[0]
    sip, dip = page["keys"][1].split(",")
    ok(cond == "sip = %s & dip = %s" % (sip, dip),
       "a click on row 2 narrows the condition: %s" % cond, after["href"])
    ok(after["keys"] == [page["keys"][1]],
       "... and the table shows that conversation only", after["keys"])
    ok(after["bands"] >= 1, "... with its time series")
    ncols, rows = flowq_csv(dict(view, condition=cond))
    ok(after["counters"] == [",".join(rows[0][ncols:])] and len(rows) == 1,
       "... flowq with that condition agrees", (after, rows))
    b.run("history.back();")
    b.wait("return location.search.indexOf('condition=') < 0 && "
           "document.body.getAttribute('data-state') === 'ready';")
    ok(b.run(PAGE)["keys"] == page["keys"],
       "back: the view before the click")


def test_auth(chromium, driver, port):
    view = dict(RANGE, query="talk_conv")
    with webdriver.Browser(chromium, driver) as b:
        page = open_view(b, port, view, "wrong-token-wrong-token-wrong")
        ok(page["state"] == "auth" and page["authShown"],
           "a wrong token: the token prompt", page)
        ok("Access denied" in page["auth"] and "401" in page["auth"] and
           "token" in page["auth"],
           "... with a clear message: %s" % page["auth"])
        ok(page["keys"] == [] and page["bands"] == 0 and
           page["ifaces"] == [] and "192.0.2" not in page["text"] and
           "172.16" not in page["text"], "... and no data", page)
        ok("wrong-token" not in page["href"] and page["stored"] is None,
           "... the wrong token is not kept", page)
        # typed into the prompt, the right one works
        b.run("document.getElementById('token-input').value = arguments[0];"
              "document.querySelector('#token-form button').click();", TOKEN)
        b.wait("return document.body.getAttribute('data-state') === "
               "'ready';")
        page = b.run(PAGE)
        ok(len(page["keys"]) > 1 and page["stored"] == TOKEN,
           "the token typed into the prompt shows the data", page)
    with webdriver.Browser(chromium, driver) as b:
        page = open_view(b, port, view)
        ok(page["state"] == "auth" and "without a token" in page["auth"] and
           page["keys"] == [], "no token: the prompt and no data", page)


def main():
    global DB
    found = webdriver.find_browser()
    if found is None:
        print("1..0 # SKIP no chromium and chromium-driver")
        sys.exit(77)
    chromium, driver = found
    DB = make_store()
    fr, port = start_flowrecd()
    try:
        test_static(port)
        q = json.dumps({"query": "sip", "ifaces": "any", "first": "0"})
        st, _, body = http_req("POST", port, "/_query",
                               dict(AUTH, **{"Content-Type":
                                             "application/json"}), q)
        ok(st == 200, "POST /_query answers the page's queries",
           "%d %s" % (st, body.decode(errors="replace").strip()))
        with webdriver.Browser(chromium, driver) as b:
            test_views(b, port)
        test_auth(chromium, driver, port)
    finally:
        fr.send_signal(signal.SIGTERM)
        try:
            fr.wait(30)
        except subprocess.TimeoutExpired:
            fr.kill()
            fr.wait()
    ok(fr.returncode == 0, "flowrecd stopped on SIGTERM: exit %d" %
       fr.returncode, open(os.path.join(TMP, "flowrecd.log")).read()[-2000:])
    print("1..%d" % n_tests)
    sys.exit(1 if n_failed else 0)


DB = None
if __name__ == "__main__":
    main()
