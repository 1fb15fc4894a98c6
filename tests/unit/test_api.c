/*
 * test_api.c - the control API's server (api.c) with a stub backend: the
 * loop runs on the main thread as in flowrecd, a client thread speaks raw
 * HTTP to it over the UNIX socket and TCP (127.0.0.1, a port the kernel
 * picks) and checks every answer.
 *
 * Covered: the routes and their JSON, 404/405, {iface} and ?ifaces=,
 * a body where none belongs, the body limit (413 from the Content-Length
 * alone: the body is never sent), headers too large (431), garbage (400)
 * and truncated requests (the server stays up), a request that is too
 * slow to arrive (closed), tokens over TCP (none, wrong, right, case of
 * "Bearer"), the connection limit (503), the long-request limit (429),
 * the request timeout (504, the backend's late answer dropped), chunked
 * bodies, the counters, the socket's mode, and a stop with idle
 * connections open that ends the loop.  Streams (api_stream_*(), GET
 * /tap/{iface} here): chunked, a header of their own, past the API's
 * timeout, and a client that closes while the stream idles is seen by
 * api_stream_peer_closed().
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "api.h"
#include "tap.h"

#define TOKEN	"s3cret-token-0123456789"

static uv_loop_t loop;
static struct api *api;
static uv_async_t done_async;
static char sock_path[256];
static int tcp_port;

/* The stub backend's state (loop thread). */
static int stall;			/* long requests never answered */
static struct api_req *stalled[8];
static size_t nstalled;
static int late_answers;

/* A stream of the stub (GET /tap/three: 3 chunks; /tap/idle: 1, then
   waits for its client to close). */
struct stub_stream {
	struct api_req	*r;
	uv_timer_t	 timer;
	int		 sent, idle;
	char		 buf[32];
};
static int stream_peer_closed;		/* read by the client thread */
static int stream_stops;

static void
stub_stream_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
stub_stream_end(struct stub_stream *st)
{
	st->r = NULL;
	uv_close((uv_handle_t *)&st->timer, stub_stream_closed);
}

static void
stub_stream_proceed(void *arg)
{
	struct stub_stream *st = arg;
	struct api_req *r = st->r;

	if (st->idle)
		return;
	if (st->sent == 3) {
		api_stream_send(r, NULL, 0, 1);
		stub_stream_end(st);
		return;
	}
	snprintf(st->buf, sizeof st->buf, "chunk-%d\n", st->sent++);
	api_stream_send(r, st->buf, strlen(st->buf), 0);
}

static void
stub_stream_stop(void *arg)
{
	stream_stops++;
	stub_stream_end(arg);
}

static const struct api_stream_ops stub_stream_ops = {
	stub_stream_proceed, stub_stream_stop
};

static void
stub_stream_tick(uv_timer_t *t)
{
	struct stub_stream *st = t->data;

	if (st->r == NULL || !api_stream_peer_closed(st->r))
		return;
	__atomic_store_n(&stream_peer_closed, 1, __ATOMIC_SEQ_CST);
	api_stream_send(st->r, NULL, 0, 1);
	stub_stream_end(st);
}

static void
stub_stream(struct api_req *r, const char *p)
{
	struct stub_stream *st = calloc(1, sizeof *st);

	st->r = r;
	st->idle = strcmp(p, "idle") == 0;
	uv_timer_init(&loop, &st->timer);
	st->timer.data = st;
	api_stream_header(r, "X-Stub-Stream", p);
	api_stream_start(r, "text/plain", &stub_stream_ops, st);
	if (st->idle) {
		snprintf(st->buf, sizeof st->buf, "first\n");
		api_stream_send(r, st->buf, strlen(st->buf), 0);
		uv_timer_start(&st->timer, stub_stream_tick, 50, 50);
	} else
		stub_stream_proceed(st);
}

/* ------------------------------------------------------------ backend */

static void
stub_handle(void *arg, enum api_op op, struct api_req *r)
{
	const char *p = api_req_param(r), *q;
	size_t len;
	json_t *o;

	(void)arg;
	switch (op) {
	case API_STATUS:
		q = api_req_query(r, "ifaces");
		o = json_pack("{s:s?,s:s?}", "iface", p, "ifaces", q);
		api_reply_json(r, 200, o);
		return;
	case API_QUERY:
		api_req_body(r, &len);
		api_reply_json(r, 200, json_pack("{s:I}", "body_bytes",
		    (json_int_t)len));
		return;
	case API_METRICS:
		api_reply_text(r, 200, "text/plain; version=0.0.4",
		    strdup("# HELP x y\n# TYPE x gauge\nx 1\n"), 31);
		return;
	case API_TAP:
		stub_stream(r, p);
		return;
	case API_FLUSH:
		if (stall && nstalled < 8) {
			stalled[nstalled++] = r;
			return;
		}
		api_reply_json(r, 200, json_pack("{s:{}}", "flushed"));
		return;
	default:
		api_reply_error(r, 501, "stub");
		return;
	}
}

static int
stub_ready(void *arg)
{
	(void)arg;
	return 1;
}

/* The client is done: answer what stalled (late: dropped), stop. */
static void
on_done(uv_async_t *a)
{
	size_t i;

	for (i = 0; i < nstalled; i++) {
		late_answers += api_req_answered(stalled[i]);
		api_reply_json(stalled[i], 200, json_object());
	}
	nstalled = 0;
	api_stop(api);
	uv_close((uv_handle_t *)a, NULL);
}

/* ------------------------------------------------------------- client */

static int
conn_unix(void)
{
	struct sockaddr_un sun;
	struct timeval tv = { 15, 0 };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, sock_path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

static int
conn_tcp(void)
{
	struct sockaddr_in sin;
	struct timeval tv = { 15, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)tcp_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

struct resp {
	int		 status;
	char		 head[4096];
	char		*body;
	size_t		 body_len;
	json_t		*json;
	int		 closed;	/* the server closed after it */
};

static void
resp_free(struct resp *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof *r);
}

/* Read one response (headers, Content-Length body) from fd. */
static int
read_resp(int fd, struct resp *r)
{
	char buf[65536];
	size_t have = 0, hlen, clen = 0;
	ssize_t n;
	char *end, *cl;

	memset(r, 0, sizeof *r);
	for (;;) {
		buf[have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
		n = read(fd, buf + have, sizeof buf - 1 - have);
		if (n <= 0) {
			r->closed = 1;
			return have == 0 ? -1 : -2;
		}
		have += (size_t)n;
	}
	hlen = (size_t)(end - buf) + 4;
	memcpy(r->head, buf, hlen < sizeof r->head ? hlen : sizeof r->head - 1);
	sscanf(buf, "HTTP/1.%*d %d", &r->status);
	if ((cl = strcasestr(r->head, "content-length:")) != NULL)
		clen = strtoul(cl + 15, NULL, 10);
	r->body = calloc(1, clen + 1);
	memcpy(r->body, buf + hlen, have - hlen > clen ? clen : have - hlen);
	r->body_len = have - hlen > clen ? clen : have - hlen;
	while (r->body_len < clen) {
		n = read(fd, r->body + r->body_len, clen - r->body_len);
		if (n <= 0)
			return -3;
		r->body_len += (size_t)n;
	}
	r->json = json_loadb(r->body, r->body_len, 0, NULL);
	return 0;
}

/* Send raw on a new connection (tcp or not), read one response, close. */
static int
once(int tcp, const char *raw, struct resp *r)
{
	int fd = tcp ? conn_tcp() : conn_unix(), rc;

	if (fd < 0)
		return -1;
	/*
	 * A server that refuses at accept (503 past max_connections) may
	 * have answered and closed before the request is written: the
	 * write then fails (EPIPE) but its answer is still there to read.
	 */
	(void)!write(fd, raw, strlen(raw));
	rc = read_resp(fd, r);
	close(fd);
	return rc;
}

static const char *
jstr(const struct resp *r, const char *key)
{
	return json_string_value(json_object_get(r->json, key));
}

static long long
jint(const struct resp *r, const char *key)
{
	return json_integer_value(json_object_get(r->json, key));
}

/* An error answer is {"status_code": N, "error": "..."}. */
static int
is_json_error(const struct resp *r, int status)
{
	return r->status == status && jint(r, "status_code") == status &&
	    jstr(r, "error") != NULL &&
	    strcasestr(r->head, "content-type: application/json") != NULL;
}

static void
test_routes(void)
{
	struct resp r;
	struct stat sb;

	ok(stat(sock_path, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
	    (sb.st_mode & 0777) == 0660, "the socket has mode 0660");

	once(0, "GET /-/health HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	is_int(r.status, 200, "/-/health 200");
	is_str(jstr(&r, "status"), "healthy", "/-/health says healthy");
	resp_free(&r);
	once(0, "GET /-/ready HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	is_str(jstr(&r, "status"), "ready", "/-/ready says ready");
	resp_free(&r);
	once(0, "GET /-/info HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	is_str(jstr(&r, "name"), "flowrecd", "/-/info names flowrecd");
	is_str(jstr(&r, "version"), PACKAGE_VERSION, "/-/info: the version");
	resp_free(&r);

	once(0, "GET /status HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	ok(r.status == 200 && json_object_get(r.json, "iface") == json_null(),
	    "/status: no {iface}");
	is_int(jint(&r, "status_code"), 200, "status_code added to the body");
	resp_free(&r);
	once(0, "GET /status/eth0.100 HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	is_str(jstr(&r, "iface"), "eth0.100", "/status/{iface} with a dot");
	resp_free(&r);
	once(0, "GET /status?ifaces=eth0%2Ceth1 HTTP/1.1\r\nHost: x\r\n\r\n",
	    &r);
	is_str(jstr(&r, "ifaces"), "eth0,eth1", "?ifaces= decoded");
	resp_free(&r);
	once(0, "GET /status/a%2Fb HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	ok(is_json_error(&r, 404), "an {iface} with a / in it: 404 JSON");
	resp_free(&r);
	once(0, "GET /status/ HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	ok(is_json_error(&r, 404), "an empty {iface}: 404 JSON");
	resp_free(&r);
	once(0, "GET /nosuch HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	ok(is_json_error(&r, 404), "no such route: 404 JSON");
	resp_free(&r);
	once(0, "DELETE /status HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	ok(is_json_error(&r, 405), "a wrong method: 405 JSON");
	resp_free(&r);
	once(0, "GET /flush HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	ok(is_json_error(&r, 405), "GET /flush: 405 JSON");
	resp_free(&r);
	once(0, "POST /flush HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
	    &r);
	ok(r.status == 200 && json_is_object(json_object_get(r.json,
	    "flushed")), "POST /flush answered later by the backend");
	resp_free(&r);
	once(0, "POST /config/_reload HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 0\r\n\r\n", &r);
	ok(is_json_error(&r, 501), "POST /config/_reload is not "
	    "GET /config/{iface}");
	resp_free(&r);
	once(0, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	ok(r.status == 200 && strcasestr(r.head, "content-type: text/plain; "
	    "version=0.0.4") != NULL && strstr(r.body, "x 1\n") != NULL,
	    "/metrics: text");
	resp_free(&r);
	once(0, "GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n"
	    "abc", &r);
	ok(is_json_error(&r, 400), "a body where none belongs: 400 JSON");
	resp_free(&r);
	ok(once(0, "POST /_query HTTP/1.1\r\nHost: x\r\nContent-Length: 5"
	    "\r\n\r\n{\"a\"", &r) < 0 && r.closed, "a body shorter than its "
	    "Content-Length: closed at the timeout, unanswered");
	resp_free(&r);
	once(0, "POST /_query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", &r);
	is_int(jint(&r, "body_bytes"), 5, "a chunked body, reassembled");
	resp_free(&r);
}

static void
test_limits(void)
{
	struct resp r;
	char *big;
	int fd, fds[4], i;
	size_t n;

	/* 20 MB announced, not one byte of it sent: the answer comes. */
	once(0, "POST /_query HTTP/1.1\r\nHost: x\r\nContent-Length: "
	    "20000000\r\n\r\n", &r);
	ok(is_json_error(&r, 413), "a 20 MB body: 413 JSON before it is read");
	resp_free(&r);

	n = 20000;
	big = calloc(1, n + 200);
	strcpy(big, "GET /status HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(big + strlen(big), 'a', n);
	strcat(big, "\r\n\r\n");
	once(0, big, &r);
	ok(is_json_error(&r, 431), "headers of 20 kB: 431 JSON");
	resp_free(&r);
	free(big);

	once(0, "\x01\x02garbage\x7f\r\n\r\n", &r);
	is_int(r.status, 400, "garbage: 400");
	resp_free(&r);
	once(0, "GET /status HTTP/1.1\r\nHost: x\r\nBroken header\r\n\r\n", &r);
	is_int(r.status, 400, "a header without a colon: 400");
	resp_free(&r);
	once(0, "POST /_query HTTP/1.1\r\nHost: x\r\nContent-Length: x1\r\n\r\n",
	    &r);
	ok(is_json_error(&r, 400), "a broken Content-Length: 400 JSON");
	resp_free(&r);
	once(0, "POST /_query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
	    "chunked\r\n\r\nzz\r\n", &r);
	ok(is_json_error(&r, 400), "a broken chunked body: 400 JSON");
	resp_free(&r);

	/* Truncated: the client goes away mid-request; the server stays. */
	fd = conn_unix();
	(void)!write(fd, "GET /sta", 8);
	shutdown(fd, SHUT_WR);
	ok(read_resp(fd, &r) < 0 && r.closed, "a truncated request: closed");
	close(fd);
	resp_free(&r);
	once(0, "GET /-/health HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	is_int(r.status, 200, "... and the server answers the next one");
	resp_free(&r);

	/* Slow: half a request, then nothing; closed at the timeout. */
	fd = conn_unix();
	(void)!write(fd, "GET /status HTTP/1.1\r\nHo", 24);
	ok(read_resp(fd, &r) < 0 && r.closed, "a request too slow to arrive: "
	    "the connection is closed");
	close(fd);
	resp_free(&r);

	/* Connections: 4 at most; a fifth gets 503 and is closed. */
	for (i = 0; i < 4; i++) {
		fds[i] = conn_unix();
		(void)!write(fds[i], "GET /-/health HTTP/1.1\r\nHost: x\r\n\r\n",
		    35);
		read_resp(fds[i], &r);
		resp_free(&r);
	}
	once(0, "GET /-/health HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	ok(is_json_error(&r, 503), "past max_connections: 503 JSON");
	resp_free(&r);
	for (i = 0; i < 4; i++)
		close(fds[i]);
	usleep(200000);
	once(0, "GET /-/health HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	is_int(r.status, 200, "connections closed: served again");
	resp_free(&r);
}

static void
test_long(void)
{
	struct resp r;
	int a, b;

	stall = 1;
	a = conn_unix();
	b = conn_unix();
	(void)!write(a, "POST /flush HTTP/1.1\r\nHost: x\r\n\r\n", 33);
	(void)!write(b, "POST /flush HTTP/1.1\r\nHost: x\r\n\r\n", 33);
	usleep(200000);
	once(0, "POST /flush HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	ok(is_json_error(&r, 429), "a third long request with max_queries "
	    "2: 429 JSON");
	resp_free(&r);
	read_resp(a, &r);
	ok(is_json_error(&r, 504), "a request the backend does not answer in "
	    "time: 504 JSON");
	resp_free(&r);
	read_resp(b, &r);
	ok(is_json_error(&r, 504), "... the other one too");
	resp_free(&r);
	close(a);
	close(b);
	stall = 0;
}

static void
test_tcp(void)
{
	struct resp r;

	once(1, "GET /status HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	ok(is_json_error(&r, 401), "TCP without a token: 401 JSON");
	ok(strcasestr(r.head, "www-authenticate: Bearer") != NULL,
	    "... with WWW-Authenticate: Bearer");
	resp_free(&r);
	once(1, "GET /-/health HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	ok(is_json_error(&r, 401), "TCP: even /-/health needs the token");
	resp_free(&r);
	once(1, "GET /status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
	    "s3cret-token-012345678\r\n\r\n", &r);
	ok(is_json_error(&r, 401), "TCP, a token one character short: 401");
	resp_free(&r);
	once(1, "GET /status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
	    "s3cret-token-01234567890\r\n\r\n", &r);
	ok(is_json_error(&r, 401), "TCP, a token one character long: 401");
	resp_free(&r);
	once(1, "GET /status HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
	    "czNjcmV0\r\n\r\n", &r);
	ok(is_json_error(&r, 401), "TCP, Basic: 401");
	resp_free(&r);
	once(1, "GET /status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
	    TOKEN "\r\n\r\n", &r);
	is_int(r.status, 200, "TCP with the token: 200");
	resp_free(&r);
	once(1, "GET /status HTTP/1.1\r\nHost: unix\r\nAuthorization: bearer "
	    TOKEN "\r\n\r\n", &r);
	is_int(r.status, 200, "TCP, \"bearer\", Host: unix: still TCP, 200");
	resp_free(&r);
	once(0, "GET /status HTTP/1.1\r\nHost: tcp\r\n\r\n", &r);
	is_int(r.status, 200, "the UNIX socket needs no token (Host: tcp)");
	resp_free(&r);
}

static size_t
route_index(const char *name)
{
	size_t i;

	for (i = 0; api_route_name(i) != NULL; i++)
		if (strcmp(api_route_name(i), name) == 0)
			return i;
	return API_ROUTE_MAX;
}

/* Idle connections stay open across the stop: the loop still ends. */
/* Read from fd until what has come contains end (or ms pass). */
static size_t
read_until(int fd, char *buf, size_t size, const char *end, int ms)
{
	struct timeval tv = { ms / 1000, ms % 1000 * 1000 };
	size_t have = 0;
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	buf[0] = '\0';
	while (have + 1 < size && strstr(buf, end) == NULL) {
		if ((n = read(fd, buf + have, size - 1 - have)) <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
	}
	return have;
}

static void
test_stream(void)
{
	char buf[4096];
	const char *req3 = "GET /tap/three HTTP/1.1\r\nHost: x\r\n\r\n";
	const char *reqi = "GET /tap/idle HTTP/1.1\r\nHost: x\r\n\r\n";
	int fd, i;

	fd = conn_unix();
	(void)!write(fd, req3, strlen(req3));
	read_until(fd, buf, sizeof buf, "\r\n0\r\n\r\n", 3000);
	close(fd);
	ok(strncmp(buf, "HTTP/1.1 200", 12) == 0 &&
	    strcasestr(buf, "transfer-encoding: chunked") != NULL &&
	    strcasestr(buf, "x-stub-stream: three") != NULL,
	    "a stream: 200, chunked, its own header");
	ok(strstr(buf, "chunk-0\n") != NULL && strstr(buf, "chunk-2\n") !=
	    NULL && strstr(buf, "\r\n0\r\n\r\n") != NULL,
	    "a stream: every chunk, then its end");

	fd = conn_unix();
	(void)!write(fd, reqi, strlen(reqi));
	read_until(fd, buf, sizeof buf, "first\n", 3000);
	ok(strstr(buf, "first\n") != NULL, "an idle stream: its first chunk");
	usleep(1500 * 1000);	/* past the API's timeout of 1 s */
	read_until(fd, buf, sizeof buf, "504", 300);
	ok(strstr(buf, "504") == NULL, "an idle stream is not answered 504 "
	    "past the API's timeout");
	close(fd);
	for (i = 0; i < 100 && !__atomic_load_n(&stream_peer_closed,
	    __ATOMIC_SEQ_CST); i++)
		usleep(20 * 1000);
	ok(__atomic_load_n(&stream_peer_closed, __ATOMIC_SEQ_CST),
	    "a client closing an idle stream is seen (%d ms)", i * 20);
}

static int idle_fd = -1;

static void *
client(void *arg)
{
	(void)arg;
	test_routes();
	test_limits();
	test_long();
	test_tcp();
	test_stream();
	idle_fd = conn_unix();
	uv_async_send(&done_async);
	return NULL;
}

int
main(void)
{
	struct conf_api cfg;
	struct api_backend be;
	struct api_counts c;
	pthread_t th;
	char dir[] = "/tmp/test_api.XXXXXX", *cause = NULL;
	char *tokens[] = { TOKEN };
	int rc;

	signal(SIGPIPE, SIG_IGN);
	alarm(120);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(sock_path, sizeof sock_path, "%s/api.sock", dir);
	memset(&cfg, 0, sizeof cfg);
	cfg.socket = sock_path;
	cfg.listen = "127.0.0.1:0";
	cfg.tokens = tokens;
	cfg.ntokens = 1;
	cfg.max_connections = 4;
	cfg.max_queries = 2;
	cfg.max_body = 1 << 20;
	cfg.timeout = 1;
	memset(&be, 0, sizeof be);
	be.handle = stub_handle;
	be.ready = stub_ready;

	uv_loop_init(&loop);
	rc = api_new(&loop, &cfg, &be, &api, &cause);
	ok(rc == 0, "api_new: %s", cause ? cause : "ok");
	if (rc != 0)
		return tap_done();
	tcp_port = api_tcp_port(api);
	ok(tcp_port > 0, "listening on TCP port %d", tcp_port);
	uv_async_init(&loop, &done_async, on_done);
	pthread_create(&th, NULL, client, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	pthread_join(th, NULL);
	ok(1, "the loop ended after api_stop() with an idle connection open");
	is_int(late_answers, 2, "the backend's late answers were dropped");
	api_get_counts(api, &c);
	ok(c.requests[route_index("/-/health")][2] >= 5,
	    "counted: /-/health 2xx");
	ok(c.requests[API_ROUTE_MAX][4] >= 2, "counted: no route, 4xx");
	ok(c.requests[route_index("/flush")][5] == 2 &&
	    c.requests[route_index("/flush")][4] == 1,
	    "counted: /flush 504 twice, 429 once");
	ok(c.requests[route_index("/status/{iface}")][2] == 1,
	    "counted: /status/{iface} apart from /status");
	ok(c.unauthorized == 5, "counted: 5 refused tokens");
	ok(c.refused_connections >= 1, "counted: refused connections");
	is_int(c.open_connections, 0, "no connection open");
	ok(access(sock_path, F_OK) != 0, "the socket is removed at the stop");
	api_free(api);
	uv_run(&loop, UV_RUN_NOWAIT);
	is_int(uv_loop_close(&loop), 0, "every handle closed");
	close(idle_fd);
	rmdir(dir);
	return tap_done();
}
