#!/usr/bin/env python3
"""fleet_slow.py - a slow host for fleet_daemons.sh: a TCP proxy in front
of a real flowrecd that holds every connection DELAY seconds before it
passes it on, so the daemon answers late but answers.

usage: fleet_slow.py ADDR PORT UPSTREAM_PORT DELAY

Listens on ADDR:PORT, forwards to ADDR:UPSTREAM_PORT after DELAY seconds
(the request waits in the socket meanwhile).  Prints "ready" once it
listens.
"""
import socket
import sys
import threading
import time

ADDR, PORT, UP, DELAY = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    float(sys.argv[4])


def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (b,):
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(c):
    time.sleep(DELAY)
    try:
        u = socket.create_connection((ADDR, UP))
    except OSError:
        c.close()
        return
    t = threading.Thread(target=pipe, args=(u, c), daemon=True)
    t.start()
    pipe(c, u)
    t.join()
    c.close()
    u.close()


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((ADDR, PORT))
s.listen(64)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
