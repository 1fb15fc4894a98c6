#!/usr/bin/env python3
# qfleet_peer.py - fake flowrecd /_query servers for test_qfleet: one per
# mode given on the command line, on 127.0.0.1 (or a UNIX socket for
# "unix:PATH"), each behaving as its mode says.  Prints one JSON line,
# {"MODE": port or path, ..., "ctl": port}, once every server listens;
# exits when its stdin closes (the test ended).
#
# Modes: ok (a results.Result if the token is "good", else 401), delay
# (ok after 0.3 s), slow (ok after 3 s), garbage (200 with HTML), e500
# (500 with a JSON error), huge (200 with 100 MB), never (reads the
# request, never answers), close (closes without an answer), empty
# (200 without a body), unix:PATH (ok on a UNIX socket).  The ctl port
# answers GET /stats: {"max": most requests at once, "count": requests,
# "runtime_ids": [...]}.
import json
import os
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
stats = {"now": 0, "max": 0, "count": 0, "runtime_ids": []}


def result(name, body):
    args = json.loads(body or b"{}")
    return {
        "hostname": name,
        "status": {"code": "ok"},
        "hosts_statuses": {name: {"code": "ok"}},
        "summary": {"interfaces": ["eth0"], "totals": {"br": 10, "pr": 1},
                    "hits": {"displayed": 1, "total": 1},
                    "data_available": True},
        "query": {"attributes": ["sip"],
                  "condition": args.get("condition", ""),
                  "got_query_hosts": "query_hosts" in args},
        "rows": [{"labels": {"iface": "eth0"},
                  "attributes": {"sip": "10.0.0.1"},
                  "counters": {"br": 10, "pr": 1}}],
    }


def handler_for(mode):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def address_string(self):
            return "peer"

        def send(self, code, obj=None, raw=None):
            data = raw if raw is not None else json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            with lock:
                self.send(200, {k: stats[k] for k in
                                ("max", "count", "runtime_ids")})

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            with lock:
                stats["now"] += 1
                stats["count"] += 1
                stats["max"] = max(stats["max"], stats["now"])
                rid = self.headers.get("X-Goprobe-Runtime-Id")
                if rid is not None:
                    stats["runtime_ids"].append(rid)
            try:
                self.serve(body)
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                with lock:
                    stats["now"] -= 1

        def serve(self, body):
            if self.path != "/_query":
                self.send(404, {"error": "no such route"})
                return
            m = mode.split(":")[0]
            if m == "delay":
                time.sleep(0.3)
            elif m == "slow":
                time.sleep(3)
            elif m == "never":
                time.sleep(3600)
                return
            elif m == "close":
                self.close_connection = True
                self.connection.close()
                return
            elif m == "garbage":
                self.send(200, raw=b"<html>hello</html>")
                return
            elif m == "e500":
                self.send(500, {"error": "disk on fire"})
                return
            elif m == "empty":
                self.send(200, raw=b"")
                return
            elif m == "huge":
                self.send_response(200)
                self.send_header("Content-Length", str(100 << 20))
                self.end_headers()
                chunk = b"[" * 65536
                for _ in range(1600):
                    self.wfile.write(chunk)
                return
            if self.headers.get("Authorization") != "Bearer good":
                self.send(401, {"error": "unauthorized"})
                return
            self.send(200, result(mode, body))
    return H


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    out = {}
    servers = []
    for mode in sys.argv[1:]:
        if mode.startswith("unix:"):
            path = mode[5:]
            if os.path.exists(path):
                os.unlink(path)
            s = UnixServer(path, handler_for("unix"))
            out[mode] = path
        else:
            s = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(mode))
            s.daemon_threads = True
            out[mode] = s.server_address[1]
        servers.append(s)
    ctl = ThreadingHTTPServer(("127.0.0.1", 0), handler_for("ctl"))
    ctl.daemon_threads = True
    out["ctl"] = ctl.server_address[1]
    servers.append(ctl)
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print(json.dumps(out), flush=True)
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
