/*
 * fuzz_api.c - libFuzzer target for the control API's request handling:
 * libh2o's HTTP/1 parser and api.c behind it (routing, query strings,
 * tokens, limits, the error rewriting), with a stub backend.
 *
 * Built with -fsanitize=fuzzer as tests/fuzz/fuzz_api (configure
 * --enable-fuzzing CC=clang) and with tests/fuzz/replay.c as
 * tests/fuzz/replay_api, which `make check` runs over tests/corpus/api
 * (tests/integ/fuzz_api.sh).
 *
 * Input: byte 0 picks the listener (bit 0: TCP, a token needed), the rest
 * is what a client sends on one connection, then it closes its side.  The
 * server lives across inputs, as in flowrecd.  Besides not crashing or
 * leaking, the target checks that the server keeps these promises, or it
 * aborts:
 *  - everything it sends is a sequence of whole HTTP/1.1 responses
 *    (and 100 Continue where asked);
 *  - each JSON response parses and its status_code is its HTTP status;
 *  - a response that is not JSON is a /metrics text (200) or libh2o's
 *    own fixed "400 Bad Request" for what it could not parse;
 *  - every connection is closed once the client's side is, and no
 *    request is left pending.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "api.h"

#define FUZZ_MAX_INPUT	65536

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uv_loop_t loop;
static struct api *api;
static uv_timer_t later;
static struct api_req *deferred[64];
static size_t ndeferred;

static void
fuzz_fail(const char *what, const char *out, size_t len)
{
	fprintf(stderr, "fuzz_api: broken promise: %s\n%.*s\n", what,
	    (int)(len > 2000 ? 2000 : len), out);
	abort();
}

static void
fuzz_later(uv_timer_t *t)
{
	size_t i;

	(void)t;
	for (i = 0; i < ndeferred; i++)
		api_reply_json(deferred[i], 200, json_pack("{s:{}}",
		    "flushed"));
	ndeferred = 0;
}

static void
fuzz_handle(void *arg, enum api_op op, struct api_req *r)
{
	const char *q = api_req_query(r, "ifaces");
	json_t *j = NULL;
	size_t len;

	(void)arg;
	api_req_body(r, &len);
	switch (op) {
	case API_FLUSH:
		/* Answered later, from a timer: the asynchronous path. */
		if (ndeferred < 64) {
			deferred[ndeferred++] = r;
			uv_timer_start(&later, fuzz_later, 0, 0);
			return;
		}
		break;
	case API_METRICS:
		api_reply_text(r, 200, "text/plain; version=0.0.4",
		    strdup("x 1\n"), 4);
		return;
	case API_QUERY:
		if (len > 0 && (j = json_loadb(api_req_body(r, &len), len, 0,
		    NULL)) == NULL) {
			api_reply_error(r, 400, "not JSON");
			return;
		}
		json_decref(j);
		break;
	default:
		break;
	}
	api_reply_json(r, 200, json_pack("{s:s?,s:s?,s:I}", "iface",
	    api_req_param(r), "ifaces", q, "body", (json_int_t)len));
}

static void
fuzz_init(void)
{
	static char *tokens[] = { "fuzz-token-0123456789" };
	struct conf_api cfg;
	struct api_backend be;
	char *cause = NULL;

	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&loop);
	uv_timer_init(&loop, &later);
	memset(&cfg, 0, sizeof cfg);
	cfg.tokens = tokens;
	cfg.ntokens = 1;
	cfg.max_connections = 4;
	cfg.max_queries = 64;
	cfg.max_body = 4096;
	cfg.timeout = 5;
	memset(&be, 0, sizeof be);
	be.handle = fuzz_handle;
	if (api_new(&loop, &cfg, &be, &api, &cause) != 0) {
		fprintf(stderr, "fuzz_api: %s\n", cause);
		abort();
	}
}

/* Check that out[0, len) is whole responses keeping the promises. */
static void
fuzz_check(const char *out, size_t len)
{
	const char *p = out, *end = out + len, *hend, *cl, *ct;
	char head[8192];
	size_t hlen, clen;
	int status;
	json_t *j;

	while (p < end) {
		if ((size_t)(end - p) < 12 || memcmp(p, "HTTP/1.1 ", 9) != 0)
			fuzz_fail("not a response", p, (size_t)(end - p));
		hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (hend == NULL)
			fuzz_fail("headers cut", p, (size_t)(end - p));
		hlen = (size_t)(hend - p) + 4;
		if (hlen >= sizeof head)
			fuzz_fail("headers too long", p, hlen);
		memcpy(head, p, hlen);
		head[hlen] = '\0';
		status = atoi(head + 9);
		if (status == 100) {	/* Expect: 100-continue */
			p += hlen;
			continue;
		}
		if ((cl = strcasestr(head, "\r\ncontent-length: ")) == NULL)
			fuzz_fail("no content-length", head, hlen);
		clen = strtoul(cl + 18, NULL, 10);
		if (hlen + clen > (size_t)(end - p))
			fuzz_fail("body cut", p, (size_t)(end - p));
		ct = strcasestr(head, "\r\ncontent-type: ");
		if (ct != NULL && strncasecmp(ct + 16, "application/json", 16)
		    == 0) {
			j = json_loadb(p + hlen, clen, 0, NULL);
			if (j == NULL || json_integer_value(json_object_get(j,
			    "status_code")) != status)
				fuzz_fail("a JSON answer without its status",
				    p, hlen + clen);
			json_decref(j);
		} else if (!(status == 200 && ct != NULL &&
		    strncasecmp(ct + 16, "text/plain; version=0.0.4", 25) ==
		    0) && !(status == 400 && clen == 11))
			fuzz_fail("a text answer", p, hlen + clen);
		p += hlen + clen;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct api_counts c;
	char *out = NULL;
	size_t olen = 0, ocap = 0, sent = 0, i;
	int sv[2], shut = 0;
	ssize_t n;

	if (!ready) {
		fuzz_init();
		ready = 1;
	}
	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	if (api_serve_fd(api, sv[0], data[0] & 1) != 0)
		abort();
	data++;
	size--;
	for (;;) {
		while (!shut && sent < size) {
			n = write(sv[1], data + sent, size - sent);
			if (n <= 0)
				break;
			sent += (size_t)n;
		}
		if (!shut && sent == size) {
			shutdown(sv[1], SHUT_WR);
			shut = 1;
		}
		for (;;) {
			if (olen == ocap) {
				ocap = ocap ? ocap * 2 : 65536;
				if ((out = realloc(out, ocap)) == NULL)
					abort();
			}
			n = read(sv[1], out + olen, ocap - olen);
			if (n <= 0)
				break;
			olen += (size_t)n;
		}
		if (n == 0)
			break;		/* the server closed */
		uv_run(&loop, UV_RUN_ONCE);
	}
	/* Its close callback runs on the loop's next turn. */
	for (i = 0; i < 100; i++) {
		api_get_counts(api, &c);
		if (c.open_connections == 0)
			break;
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	api_get_counts(api, &c);
	if (c.open_connections != 0 || c.running != 0 || ndeferred != 0)
		fuzz_fail("a connection or request left over", "", 0);
	fuzz_check(out, olen);
	free(out);
	close(sv[1]);
	return 0;
}
