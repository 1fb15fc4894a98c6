#!/bin/bash
# api_live.sh - the control API of a recording flowrecd, as clients use
# it: curl over the UNIX socket (mode 0660: another user cannot connect)
# and over TCP with bearer tokens (none and a wrong one refused); every
# route with good and bad input; /config hides the tokens; POST /flush
# makes frames sent a moment ago readable in the store; /metrics passes
# `promtool check metrics` and counts them; reload good and broken; a 20 MB
# body refused unread, garbage, truncated and slow requests answered or
# closed; then clients hammer the API (status, metrics, flush, garbage,
# refused tokens) while a steady stream is recorded: every frame sent is
# counted and the kernel dropped none.  SIGTERM with an idle keep-alive
# connection open still exits 0 at once and removes the socket.  flowctl
# as an operator uses it: status, flush, reload, config, version, -e json,
# and its errors: no token, a wrong one, a token file, no permission on
# the socket, a server that never answers, flowrecd not running.
. "${top_srcdir:-.}/tests/integ/live_lib.sh"

for t in curl promtool; do
	command -v $t >/dev/null || fail "$t is not installed"
done
mk_pair
chmod 711 "$T"
mkdir -m 755 "$T/run"
SOCK=$T/run/api.sock
PORT=$((20000 + TAG % 20000))
TOKEN=tok-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
CONF=$T/conf.yaml
RING="ring: {block_size: 65536, block_count: 16, retire_ms: 20}"
conf() {
	printf '%s\n' "db_path: $T/db" "interval: 3600" "interfaces:" \
	    "  $IFB: {$RING}" "api:" "  socket: $SOCK" \
	    "  listen: 127.0.0.1:$PORT" "  tokens: [$TOKEN]" "  timeout: 2" \
	    "  max_connections: 32" "$@" >"$CONF"
}
conf
start_fr $NSB -c "$CONF"
wait_log "$IFB: recording"
wait_for 10 test -S "$SOCK" || fail "no socket $SOCK"

# u PATH [CURL ARGS]: body of a request over the socket; $T/code the status
u() {
	local p=$1
	shift
	ip netns exec $NSB curl -s -m 20 -o "$T/body" -w '%{http_code}' \
	    --unix-socket "$SOCK" "$@" "http://flowrecd$p" >"$T/code"
	cat "$T/body"
}
# t PATH [CURL ARGS]: the same over TCP (no token unless given)
t() {
	local p=$1
	shift
	ip netns exec $NSB curl -s -m 20 -o "$T/body" -w '%{http_code}' \
	    "$@" "http://127.0.0.1:$PORT$p" >"$T/code"
	cat "$T/body"
}
code() { cat "$T/code"; }
# j EXPR: a Python expression over the last body as d
j() { python3 -c "import json,sys; d=json.load(open('$T/body')); print($1)"; }

# 1. The socket and who may use it.
[ "$(stat -c %a "$SOCK")" = 660 ] || fail "socket mode $(stat -c %a "$SOCK")"
if ip netns exec $NSB setpriv --reuid=65534 --regid=65534 --clear-groups \
    curl -s -m 5 --unix-socket "$SOCK" http://x/-/health >/dev/null 2>&1; then
	fail "uid 65534 could use the socket"
fi
pass "the socket is mode 0660; another user cannot connect"

# 2. The routes.
u /-/health >/dev/null
[ "$(code)" = 200 ] && [ "$(j "d['status']")" = healthy ] || fail "/-/health"
u /-/ready >/dev/null; [ "$(j "d['status']")" = ready ] || fail "/-/ready"
u /-/info >/dev/null
[ "$(j "d['name'], d['version']")" = "flowrecd $(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"/\1/p' "$top_builddir/config.h")" ] ||
	fail "/-/info $(cat "$T/body")"
u /status >/dev/null
[ "$(code)" = 200 ] && [ "$(j "d['statuses']['$IFB']['state']")" = recording ] ||
	fail "/status: $(cat "$T/body")"
u "/status/$IFB" >/dev/null
[ "$(j "list(d['statuses'])")" = "['$IFB']" ] || fail "/status/$IFB"
u "/status?ifaces=nosuch0" >/dev/null
[ "$(j "d['statuses']")" = "{}" ] || fail "/status?ifaces=nosuch0"
u /status/nosuch0 >/dev/null
[ "$(code)" = 404 ] && [ "$(j "d['status_code']")" = 404 ] || fail "/status/nosuch0"
u /config >/dev/null
[ "$(j "d['ifaces']['$IFB']['ring']['retire_ms']")" = 20 ] || fail "/config"
[ "$(j "d['config']['api']['tokens']")" = "['********']" ] || fail "/config tokens"
grep -q -- "$TOKEN" "$T/body" && fail "/config shows the token"
u "/config/$IFB" >/dev/null
[ "$(j "list(d['ifaces'])")" = "['$IFB']" ] || fail "/config/$IFB"
u /config/nosuch0 >/dev/null; [ "$(code)" = 404 ] || fail "/config/nosuch0"
u /nosuch >/dev/null
[ "$(code)" = 404 ] && [ "$(j "d['error']")" = "no such route" ] || fail "/nosuch"
u /status -X DELETE >/dev/null; [ "$(code)" = 405 ] || fail "DELETE /status"
pass "routes: health, ready, info, status, config (tokens hidden), 404, 405"

# 3. TCP: a token or nothing.
t /status >/dev/null
[ "$(code)" = 401 ] && [ "$(j "d['status_code']")" = 401 ] || fail "TCP, no token: $(code)"
t /status -H "Authorization: Bearer ${TOKEN}x" >/dev/null
[ "$(code)" = 401 ] || fail "TCP, a wrong token: $(code)"
t /status -H "Authorization: Bearer $TOKEN" >/dev/null
[ "$(code)" = 200 ] || fail "TCP with the token: $(code)"
pass "TCP: no token and a wrong one 401, the right one 200"

# 4. Flush: frames sent a moment ago, stored before their bin ends.
printf '500 4 17 198.51.100.1 198.51.100.2 40000 7000 payload=10\n' |
	ip netns exec $NSA "$LIVESEND" $IFA >/dev/null || fail livesend
sleep 0.1	# the ring's retire timeout (20 ms) hands the block over
u /flush -X POST >/dev/null
[ "$(code)" = 200 ] && [ "$(j "d['flushed']['$IFB']")" = True ] ||
	fail "/flush: $(cat "$T/body")"
[ "$(binsum "$T/db" $IFB ip)" = 500 ] || fail "after /flush the store has $(binsum "$T/db" $IFB ip) of 500"
u "/status/$IFB" >/dev/null
[ "$(j "d['statuses']['$IFB']['rows_written_total']")" -ge 1 ] ||
	fail "/status after flush: $(cat "$T/body")"
pass "POST /flush: 500 frames sent a moment ago are in the store"

# 5. Metrics.
u /metrics >"$T/metrics"
[ "$(code)" = 200 ] || fail "/metrics $(code)"
promtool check metrics <"$T/metrics" >"$T/promtool" 2>&1 ||
	fail "promtool: $(cat "$T/promtool")"
grep -q "^flowrec_packets_processed_total{iface=\"$IFB\"} 500$" "$T/metrics" ||
	fail "metrics: $(grep processed "$T/metrics")"
grep -q '^flowrec_api_requests_total{route="/status/{iface}",code="4xx"} 1$' "$T/metrics" ||
	fail "metrics: api requests $(grep api_requests "$T/metrics")"
grep -q "^flowrec_disk_bytes{iface=\"$IFB\"} [1-9]" "$T/metrics" || fail "disk bytes"
pass "/metrics: promtool check metrics is clean; counts the 500 frames"

# 6. Reload: good, then broken (kept, and said so everywhere).
u /config/_reload -X POST >/dev/null
[ "$(code)" = 200 ] && [ "$(j "d['enabled'], d['updated'], d['disabled']")" = "[] [] []" ] ||
	fail "reload: $(cat "$T/body")"
printf '%s\n' "db_path: $T/db" "interval: 3600" "interfaces:" \
	"  $IFB: {snaplen: 10}" >"$T/bad.yaml"
cp "$CONF" "$T/good.yaml"
kill -STOP $FR_PID	# the watcher must not see the edit first
cp "$T/bad.yaml" "$CONF"
kill -CONT $FR_PID
u /config/_reload -X POST >/dev/null
[ "$(code)" = 422 ] || fail "broken reload: $(code) $(cat "$T/body")"
case "$(j "d['error']")" in
"$CONF:4: key 'interfaces.$IFB.snaplen'"*) ;;
*) fail "broken reload: $(cat "$T/body")" ;;
esac
u /status >/dev/null
[ "$(j "d['reload']['last_ok']")" = False ] || fail "/status reload"
u /metrics | grep -q '^flowrec_config_last_reload_successful 0$' || fail "metrics reload"
cp "$T/good.yaml" "$CONF"
u /config/_reload -X POST >/dev/null; [ "$(code)" = 200 ] || fail "reload back"
pass "POST /config/_reload: applied; a broken file refused with file:line:key (422), in /status and the metrics"

# 7. Bad requests.
head -c 20000000 /dev/zero >"$T/big"
u /_query -X POST --data-binary @"$T/big" -H 'Content-Type: application/json' >/dev/null
[ "$(code)" = 413 ] && [ "$(j "d['status_code']")" = 413 ] || fail "20 MB: $(code)"
cat >"$T/raw.py" <<'EOF'
import socket, sys, time
path, what = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
s.connect(path)
if what == "garbage":
    s.sendall(b"\x16\x03\x01 not http at all\r\n\r\n")
elif what == "truncated":
    s.sendall(b"GET /stat")
    s.shutdown(socket.SHUT_WR)
elif what == "slow":
    s.sendall(b"GET /status HTTP/1.1\r\nHo")
elif what == "bigheader":
    s.sendall(b"GET /status HTTP/1.1\r\nX: " + b"a" * 30000 + b"\r\n\r\n")
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
    if what == "bigheader" and b"\r\n\r\n" in out:
        break
print(out.split(b"\r\n")[0].decode() if out else "closed")
EOF
r=$(ip netns exec $NSB python3 "$T/raw.py" "$SOCK" garbage)
[ "$r" = "HTTP/1.1 400 Bad Request" ] || fail "garbage: $r"
r=$(ip netns exec $NSB python3 "$T/raw.py" "$SOCK" truncated)
[ "$r" = closed ] || fail "truncated: $r"
r=$(ip netns exec $NSB python3 "$T/raw.py" "$SOCK" slow)
[ "$r" = closed ] || fail "slow: $r"
r=$(ip netns exec $NSB python3 "$T/raw.py" "$SOCK" bigheader)
[ "$r" = "HTTP/1.1 431 Error" ] || fail "big header: $r"
u /-/health >/dev/null; [ "$(code)" = 200 ] || fail "health after bad requests"
pass "a 20 MB body 413 unread; garbage 400; truncated and slow requests closed; 30 kB of headers 431"

# 8. Hammering the API while a steady stream is recorded.
printf '50 4 17 198.51.100.1 198.51.100.2 40000 7001 payload=100\n' >"$T/spec"
: >"$T/sent"
(
	n=0
	while [ ! -e "$T/stop" ]; do
		ip netns exec $NSA "$LIVESEND" $IFA <"$T/spec" >/dev/null || exit 1
		n=$((n + 50))
		echo $n >"$T/sent"
	done
) &
SENDER=$!
cat >"$T/hammer.py" <<'EOF'
import socket, sys, threading, os
sock, port, token, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
reqs = [
    (0, b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n"),
    (0, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
    (0, b"POST /flush HTTP/1.1\r\nHost: x\r\n\r\n"),
    (0, b"\x16\x03\x01garbage\r\n\r\n"),
    (0, b"POST /_query HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"),
    (1, b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n"),
    (1, b"GET /metrics HTTP/1.1\r\nAuthorization: Bearer " +
        token.encode() + b"\r\n\r\n"),
]
count = [0] * 4
def run(k):
    i = k
    while not os.path.exists(stop):
        tcp, raw = reqs[i % len(reqs)]
        i += 1
        out = b""
        try:
            if tcp:
                s = socket.create_connection(("127.0.0.1", port))
            else:
                s = socket.socket(socket.AF_UNIX)
                s.connect(sock)
            s.settimeout(20)
            s.sendall(raw)
            while b"\r\n\r\n" not in out:
                b = s.recv(65536)
                if not b:
                    break
                out += b
            s.close()
        except ConnectionResetError:
            # The server may close before reading what it refuses.
            if raw.startswith(b"GET"):
                print("reset on", raw[:30])
                os._exit(1)
            continue
        if out.startswith(b"HTTP/1.1 "):
            count[k] += 1
        else:
            print("no answer to", raw[:30], out[:60])
            os._exit(1)
open(stop + ".started", "w").write("ok")
ts = [threading.Thread(target=run, args=(k,)) for k in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(sum(count))
EOF
ip netns exec $NSB python3 "$T/hammer.py" "$SOCK" $PORT "$TOKEN" "$T/stop" \
    >"$T/hammered" 2>&1 &
HAMMER=$!
wait_for 60 test -e "$T/stop.started" || fail "the hammer did not start"
wait_for 60 test -s "$T/sent" || fail "the sender did not start"
sleep 5
touch "$T/stop"
wait $SENDER || fail "sender"
wait $HAMMER || fail "hammer: $(cat "$T/hammered")"
sent=$(cat "$T/sent")
reqs=$(cat "$T/hammered")
[ "$sent" -gt 0 ] && [ "$reqs" -gt 20 ] || fail "sent $sent, requests $reqs: $(cat "$T/hammered")"
sleep 0.1
u /flush -X POST >/dev/null; [ "$(code)" = 200 ] || fail "flush after"
u "/status/$IFB" >/dev/null
drops=$(j "d['statuses']['$IFB']['dropped_total']")
[ "$drops" = 0 ] || fail "$drops kernel drops while the API was hammered"
[ "$(binsum "$T/db" $IFB ip)" = $((500 + sent)) ] ||
	fail "stored $(binsum "$T/db" $IFB ip) of $((500 + sent)) frames"
pass "$reqs API requests while $sent frames were recorded: every frame counted, 0 kernel drops"

# 9. flowctl, as an operator uses it (the default server from -c).
FLOWCTL=$top_builddir/flowctl
fc() { ip netns exec $NSB "$FLOWCTL" -c "$CONF" "$@"; }
fc status >"$T/fc" 2>&1 || fail "flowctl status: $(cat "$T/fc")"
grep -q "^$IFB  *recording " "$T/fc" || fail "flowctl status: $(cat "$T/fc")"
fc status -v "$IFB" >"$T/fc" 2>&1 || fail "flowctl status -v: $(cat "$T/fc")"
grep -q "rows written [1-9]" "$T/fc" || fail "flowctl status -v: $(cat "$T/fc")"
fc -e json status | python3 -c "import json,sys; d=json.load(sys.stdin); assert d['statuses']['$IFB']['dropped_total'] == 0" ||
	fail "flowctl -e json status"
printf '7 4 6 198.51.100.9 198.51.100.2 40000 22 flags=2\n' |
	ip netns exec $NSA "$LIVESEND" $IFA >/dev/null || fail livesend
sleep 0.1
fc flush >"$T/fc" 2>&1 || fail "flowctl flush: $(cat "$T/fc")"
[ "$(cat "$T/fc")" = "$IFB: written" ] || fail "flowctl flush: $(cat "$T/fc")"
n=$(sqlite3 "$T"/db/$IFB/*.db "SELECT count(*) FROM flows WHERE dport = 22")
[ "$n" -ge 1 ] || fail "after flowctl flush the SSH flow is not stored"
fc reload >"$T/fc" 2>&1 || fail "flowctl reload: $(cat "$T/fc")"
grep -q "no interface changed" "$T/fc" || fail "flowctl reload: $(cat "$T/fc")"
fc config "$IFB" | python3 -c "import json,sys; assert json.load(sys.stdin)['ring']['retire_ms'] == 20" ||
	fail "flowctl config $IFB"
fc version | grep -q "^flowrecd " || fail "flowctl version"
ip netns exec $NSB "$FLOWCTL" -s 127.0.0.1:$PORT status >"$T/fc" 2>&1 &&
	fail "flowctl over TCP without a token succeeded"
grep -q "401 unauthorized: a token is needed" "$T/fc" || fail "flowctl, no token: $(cat "$T/fc")"
echo "$TOKEN" >"$T/token"
ip netns exec $NSB env FLOWCTL_TOKEN="@$T/token" "$FLOWCTL" \
    -s 127.0.0.1:$PORT status >"$T/fc" 2>&1 || fail "flowctl with a token file: $(cat "$T/fc")"
ip netns exec $NSB "$FLOWCTL" -s 127.0.0.1:$PORT -t wrong-token-0123456789 status \
    >"$T/fc" 2>&1 && fail "flowctl with a wrong token succeeded"
grep -q "the token was refused" "$T/fc" || fail "flowctl, wrong token: $(cat "$T/fc")"
ip netns exec $NSB setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$FLOWCTL" -s "unix:$SOCK" status >"$T/fc" 2>&1 && fail "uid 65534 used flowctl"
grep -q "permission denied" "$T/fc" || fail "flowctl, no permission: $(cat "$T/fc")"
# A server that accepts and never answers.
python3 -c "
import socket, time, sys
s = socket.socket(socket.AF_UNIX); s.bind('$T/mute.sock'); s.listen(4)
open('$T/mute', 'w').write('ok')
c = s.accept(); time.sleep(30)" &
MUTE=$!
wait_for 10 test -s "$T/mute" || fail "mute server"
"$FLOWCTL" -s "unix:$T/mute.sock" -w 1 status >"$T/fc" 2>&1 && fail "flowctl: no timeout"
grep -q "no answer within 1 s" "$T/fc" || fail "flowctl, timeout: $(cat "$T/fc")"
kill $MUTE 2>/dev/null
pass "flowctl: status (-v, -e json), flush then the store has it, reload, config, version; 401 without and with a wrong token, a token file, permission denied, a timeout"

# 10. SIGTERM with an idle keep-alive connection: exits at once, 0.
ip netns exec $NSB python3 -c "
import socket, time
s = socket.socket(socket.AF_UNIX); s.connect('$SOCK')
s.sendall(b'GET /-/health HTTP/1.1\r\nHost: x\r\n\r\n'); s.recv(4096)
open('$T/idle', 'w').write('ok'); time.sleep(30)" &
IDLE=$!
wait_for 10 test -s "$T/idle" || fail "idle client"
stop_fr TERM
kill $IDLE 2>/dev/null
[ -e "$SOCK" ] && fail "the socket was left behind"
grep -q "^$IFB: kernel_packets=[0-9]* kernel_drops=0 " "$T/fr.out" || fail "exit line: $(cat "$T/fr.out")"
pass "SIGTERM with an idle API connection: exit 0, the socket removed"
"$FLOWCTL" -s "unix:$SOCK" status >"$T/fc" 2>&1 && fail "flowctl with flowrecd stopped"
grep -q "flowrecd is not running" "$T/fc" || fail "flowctl, not running: $(cat "$T/fc")"
pass "flowctl after the stop: flowrecd is not running"
