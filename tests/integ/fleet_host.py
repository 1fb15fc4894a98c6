#!/usr/bin/env python3
"""fleet_host.py - a stand-in for a flowrecd host's POST /_query, for
fleet tests where the daemon's API is not wanted: it answers each query
by running flowq over its store (flowq -e json prints the same
results.Result document as the daemon).

usage: fleet_host.py FLOWQ DBDIR ADDR PORT TOKEN

Checks "Authorization: Bearer TOKEN" (401 otherwise), maps goProbe's
query.Args JSON to flowq's flags, answers 200 with flowq's JSON, or 400
with {"error": flowq's message}.  Prints "ready" once it listens.
"""
import json
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FLOWQ, DB, ADDR, PORT, TOKEN = sys.argv[1:6]


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, data):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            self.send(401, b'{"status_code":401,"error":"unauthorized"}')
            return
        a = json.loads(body)
        argv = [FLOWQ, "-d", DB, "-e", "json"]
        for key, flag in (("ifaces", "-i"), ("condition", "-c"),
                          ("first", "-f"), ("last", "-l"),
                          ("sort_by", "-s"), ("num_results", "-n")):
            if key in a:
                argv += [flag, str(a[key])]
        for key in ("in", "out", "sum"):
            if a.get(key):
                argv.append("--" + key)
        if a.get("sort_ascending"):
            argv.append("-a")
        argv.append(a.get("query", "talk_src"))
        p = subprocess.run(argv, capture_output=True)
        if p.returncode != 0:
            self.send(400, json.dumps({"status_code": 400, "error":
                                       p.stderr.decode().strip()}).encode())
            return
        self.send(200, p.stdout)


s = ThreadingHTTPServer((ADDR, int(PORT)), H)
s.daemon_threads = True
print("ready", flush=True)
s.serve_forever()
