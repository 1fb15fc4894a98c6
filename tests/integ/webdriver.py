"""webdriver.py - a headless Chromium driven over the W3C WebDriver protocol
(Debian's chromium + chromium-driver), with nothing but the standard
library: start chromedriver on a free port, open a session, load pages,
wait for a condition, run scripts, take screenshots.  Used by web_ui.py.
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request


def find_browser():
    """(chromium, chromedriver) paths, or None when either is missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if driver is None and os.path.exists("/usr/lib/chromium/chromedriver"):
        driver = "/usr/lib/chromium/chromedriver"
    if chromium is None or driver is None:
        return None
    return chromium, driver


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class WebDriverError(Exception):
    pass


class Browser:
    """One chromedriver process and one headless browser session."""

    def __init__(self, chromium, driver, width=1280, height=1000, log=None):
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="flowrec-chromium.")
        self.proc = subprocess.Popen(
            [driver, "--port=%d" % self.port],
            stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.base = "http://127.0.0.1:%d" % self.port
        self.session = None
        for _ in range(200):
            try:
                self._call("GET", "/status")
                break
            except (OSError, WebDriverError):
                if self.proc.poll() is not None:
                    raise WebDriverError("chromedriver exited")
                time.sleep(0.05)
        else:
            self.close()
            raise WebDriverError("chromedriver does not answer")
        args = ["--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run",
                "--disable-extensions", "--disable-background-networking",
                "--disable-sync", "--disable-default-apps",
                "--user-data-dir=" + self.profile,
                "--window-size=%d,%d" % (width, height)]
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args}}}}
        try:
            v = self._call("POST", "/session", caps)
        except Exception:
            self.close()
            raise
        self.session = v["sessionId"]

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base + path, data=data, method=method,
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                doc = json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            try:
                doc = json.loads(e.read())
                msg = doc["value"].get("message", "")
            except (ValueError, KeyError, AttributeError):
                msg = str(e)
            raise WebDriverError("%s %s: %s" % (method, path, msg))
        return doc.get("value")

    def _s(self, path):
        return "/session/%s%s" % (self.session, path)

    def get(self, url):
        self._call("POST", self._s("/url"), {"url": url})

    def run(self, script, *args):
        """The value of a script body (use `return`)."""
        return self._call("POST", self._s("/execute/sync"),
                          {"script": script, "args": list(args)})

    def wait(self, script, timeout=60.0):
        """Poll a script until it returns a true value; that value."""
        end = time.monotonic() + timeout
        while True:
            v = self.run(script)
            if v:
                return v
            if time.monotonic() > end:
                raise WebDriverError("timed out waiting for: " + script)
            time.sleep(0.1)

    def url(self):
        return self._call("GET", self._s("/url"))

    def screenshot(self, path):
        png = base64.b64decode(self._call("GET", self._s("/screenshot")))
        with open(path, "wb") as f:
            f.write(png)

    def close(self):
        if self.session is not None:
            try:
                self._call("DELETE", self._s(""))
            except (OSError, WebDriverError):
                pass
            self.session = None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
