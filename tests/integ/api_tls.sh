#!/bin/bash
# api_tls.sh - the API over TLS (api.tls_cert, api.tls_key on api.listen):
# a certificate made here for 127.0.0.1; curl and flowctl with it as the
# CA get answers with the token and 401 without; a client that does not
# trust it, and plain HTTP to the TLS port, get no answer; the UNIX socket
# stays plain HTTP.  flowrecd -t refuses a key that is not the
# certificate's and a certificate without its key.
. "${top_srcdir:-.}/tests/integ/live_lib.sh"

FLOWCTL=$top_builddir/flowctl
for t in curl openssl; do
	command -v $t >/dev/null || fail "$t is not installed"
done
mk_pair
SOCK=$T/api.sock
PORT=$((20000 + (TAG + 7919) % 20000))
TOKEN=tok-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" \
    -out "$T/cert.pem" >/dev/null 2>&1 || fail "openssl req"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other \
    -keyout "$T/other.key" -out "$T/other.pem" >/dev/null 2>&1 ||
	fail "openssl req (other)"
RING="ring: {block_size: 65536, block_count: 16, retire_ms: 20}"
conf() {	# conf CERT KEY
	printf '%s\n' "db_path: $T/db" "interval: 3600" "interfaces:" \
	    "  $IFB: {$RING}" "api:" "  socket: $SOCK" \
	    "  listen: 127.0.0.1:$PORT" "  tokens: [$TOKEN]" "  timeout: 5" \
	    "$@" >"$T/conf.yaml"
}

# A key that is not the certificate's: flowrecd -t says so (exit 2); a
# daemon started anyway records, without an API (capture first).
conf "  tls_cert: $T/cert.pem" "  tls_key: $T/other.key"
ip netns exec $NSB "$FLOWRECD" -c "$T/conf.yaml" -t >"$T/t.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "api.tls_key: $T/other.key: .*not tls_cert's" "$T/t.out" ||
	fail "flowrecd -t with a foreign key: exit $rc, $(cat "$T/t.out")"
pass "flowrecd -t, a key that is not the certificate's: $(head -n 1 "$T/t.out")"
start_fr $NSB -c "$T/conf.yaml"
wait_log "$IFB: recording"
wait_log "tls_key.*not serving the API"
[ ! -S "$SOCK" ] || fail "the socket exists though the API is not served"
stop_fr
pass "flowrecd with that key records without an API and says why"
conf "  tls_cert: $T/cert.pem"
ip netns exec $NSB "$FLOWRECD" -c "$T/conf.yaml" -t >"$T/t.out" 2>&1 &&
	fail "a certificate without its key passed"
grep -q "tls_cert and tls_key go together" "$T/t.out" ||
	fail "no clear error: $(cat "$T/t.out")"
pass "a certificate without its key: $(head -n 1 "$T/t.out")"

conf "  tls_cert: $T/cert.pem" "  tls_key: $T/key.pem"
start_fr $NSB -c "$T/conf.yaml"
wait_log "$IFB: recording"
wait_for 10 test -S "$SOCK" || fail "no socket"

c() { ip netns exec $NSB curl -s -m 10 -o "$T/body" -w '%{http_code}' "$@"; }
code=$(c --cacert "$T/cert.pem" -H "Authorization: Bearer $TOKEN" \
    "https://127.0.0.1:$PORT/status")
[ "$code" = 200 ] && grep -q "\"$IFB\"" "$T/body" ||
	fail "https with the token: $code $(cat "$T/body")"
pass "https://127.0.0.1:$PORT/status with the CA and the token: 200"
code=$(c --cacert "$T/cert.pem" "https://127.0.0.1:$PORT/-/health")
[ "$code" = 401 ] || fail "https without a token: $code"
pass "https without the token: 401"
code=$(c -H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$PORT/-/health")
[ "$code" = 000 ] || fail "a client that does not trust the certificate got $code"
pass "a client without the CA: the handshake fails, nothing answered"
code=$(c -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/-/health")
[ "$code" != 200 ] || fail "plain HTTP on the TLS port answered 200"
pass "plain HTTP on the TLS port: no answer ($code)"
code=$(c --unix-socket "$SOCK" http://flowrecd/-/health)
[ "$code" = 200 ] || fail "the socket: $code"
pass "the UNIX socket stays plain HTTP"

# flowctl over https with the CA file and the token
out=$(ip netns exec $NSB "$FLOWCTL" -s "https://127.0.0.1:$PORT" \
    --ca "$T/cert.pem" -t "$TOKEN" status 2>&1) ||
	fail "flowctl over https: $out"
echo "$out" | grep -q "$IFB" || fail "flowctl status over https: $out"
pass "flowctl -s https://... --ca CERT -t TOKEN status lists $IFB"
if out=$(ip netns exec $NSB "$FLOWCTL" -s "https://127.0.0.1:$PORT" \
    -t "$TOKEN" status 2>&1); then
	fail "flowctl trusted an unknown certificate: $out"
fi
pass "flowctl without the CA: exits non-zero ($(echo "$out" | head -n 1))"
stop_fr
pass "flowrecd stopped with exit 0"
echo "ok - all"
