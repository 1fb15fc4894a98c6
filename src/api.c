/*
 * api.c - the control API's server (see api.h): libh2o's context on the
 * daemon's loop, the route table, authentication, limits, requests and
 * their answers, the JSON errors, the lifecycle.
 *
 * One h2o context on the caller's loop; two host configurations, "unix"
 * and "tcp", each with one catch-all handler, so that a request knows
 * which listener it came through (TCP requests need a token).  Each
 * accepted stream is wrapped by h2o_uv_socket_create() and counted; its
 * close callback uncounts and frees it.  HTTP/1.1 only (no ALPN, no h2c
 * upgrade): one request at a time per connection.
 *
 * A request is matched against api_routes[] (the master table), checked
 * (auth, size of the headers, the long-request limit), then handed to the
 * backend with a struct api_req of our own; the h2o request stays alive
 * until we answer it (libh2o 2.2 reads nothing more of a connection while
 * its request is being handled).  Requests the backend answers later get
 * a timer: at the timeout they are answered 504 and the backend's late
 * answer is dropped.  The api_req is freed once both have let go.
 *
 * libh2o answers some requests itself, in plain text: a body larger than
 * max_request_entity_size (413, from the Content-Length, before the body
 * is read), a broken chunked body (400), an unknown Expect (417), no route
 * (404 from its fallback path).  A response filter on every path rewrites
 * those into our JSON error.  A request line or headers it cannot parse at
 * all get its fixed "400 Bad Request" and the connection is closed: there
 * is no request to answer.
 *
 * Shutdown: libh2o 2.2 has no way to close an idle HTTP/1 connection, so
 * api_stop() shuts down the read side of every socket; the idle ones read
 * EOF and close, the busy ones close once answered.  The context's own
 * timers and async handle are unreferenced at creation so they never keep
 * the loop alive; h2o_context_dispose() closes them in api_free().
 *
 * The listeners, connections and TLS are api_listen.c's, the streamed
 * answers api_stream.c's; what they share is in api_int.h.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <h2o.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>

#include "api.h"
#include "api_int.h"
#include "api_www.h"
#include "util.h"
#include "www.h"

#define API_MAX_HEADER_BYTES	16384	/* all header names and values */

/* What a route's method and path are, and how it runs. */
#define API_F_PARAM	0x1	/* path + "/" + one segment: {iface} */
#define API_F_LONG	0x2	/* counts against max_queries */
#define API_F_BODY	0x4	/* takes a JSON body */
#define API_F_OPEN	0x8	/* no token on TCP: the web view's files */

struct api_route {
	const char	*method;
	const char	*path;
	enum api_op	 op;
	unsigned	 flags;
	const char	*name;		/* as shown in the metrics */
};

/* The master table: goProbe's routes first, then ours. */
static const struct api_route api_routes[] = {
	{ "GET", "/-/health", API_HEALTH, 0, "/-/health" },
	{ "GET", "/-/ready", API_READY, 0, "/-/ready" },
	{ "GET", "/-/info", API_INFO, 0, "/-/info" },
	{ "GET", "/status", API_STATUS, 0, "/status" },
	{ "GET", "/status", API_STATUS, API_F_PARAM, "/status/{iface}" },
	{ "GET", "/config", API_CONFIG, 0, "/config" },
	{ "POST", "/config/_reload", API_RELOAD, 0, "/config/_reload" },
	{ "GET", "/config", API_CONFIG, API_F_PARAM, "/config/{iface}" },
	{ "POST", "/_query", API_QUERY, API_F_LONG | API_F_BODY, "/_query" },
	{ "POST", "/_query/validate", API_VALIDATE, API_F_BODY,
	  "/_query/validate" },
	{ "POST", "/flush", API_FLUSH, API_F_LONG, "/flush" },
	{ "GET", "/metrics", API_METRICS, API_F_LONG, "/metrics" },
	{ "GET", "/tap", API_TAP, API_F_PARAM, "/tap/{iface}" },
	/* the web view (api_www.c): files that carry no data */
	{ "GET", "/ui/", API_WWW, API_F_OPEN, "/ui/" },
	{ "GET", "/ui", API_WWW, API_F_OPEN | API_F_PARAM, "/ui/{file}" },
	{ "GET", "/ui", API_WWW, API_F_OPEN, "/ui" },
	{ "GET", "/", API_WWW, API_F_OPEN, "/" },
	{ NULL, NULL, 0, 0, NULL }
};

_Static_assert(sizeof api_routes / sizeof api_routes[0] <= API_ROUTE_MAX,
    "API_ROUTE_MAX is too small for the route table");

/* Our handler, one per host configuration. */
struct api_handler {
	h2o_handler_t	 super;
	struct api	*api;
	int		 tcp;
};

/* ------------------------------------------------------------ helpers */

const char *
api_op_path(enum api_op op)
{
	const struct api_route *r;

	for (r = api_routes; r->method != NULL; r++)
		if (r->op == op)
			return r->name;
	return "other";
}

const char *
api_route_name(size_t i)
{
	return i < sizeof api_routes / sizeof api_routes[0] ?
	    api_routes[i].name : NULL;
}

static void
api_count(struct api *api, const struct api_route *route, int status)
{
	size_t i = API_ROUTE_MAX, c = (size_t)status / 100;

	if (route != NULL)
		i = (size_t)(route - api_routes);
	if (c < 1 || c > 5)
		c = 5;
	api->counts.requests[i][c]++;
}

static json_t *
api_error_json(int status, const char *msg)
{
	return json_pack("{s:i,s:s}", "status_code", status, "error", msg);
}

/* Send body (len bytes, copied) as the response to req. */
static void
api_send(h2o_req_t *req, int status, const char *ctype, const char *body,
    size_t len)
{
	req->res.status = status;
	req->res.reason = status < 300 ? "OK" : status == 401 ?
	    "Unauthorized" : status == 404 ? "Not Found" : status == 413 ?
	    "Payload Too Large" : status == 429 ? "Too Many Requests" :
	    status == 504 ? "Gateway Timeout" : "Error";
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
	    NULL, ctype, strlen(ctype));
	if (status == 401)
		h2o_add_header(&req->pool, &req->res.headers,
		    H2O_TOKEN_WWW_AUTHENTICATE, NULL,
		    H2O_STRLIT("Bearer realm=\"flowrecd\""));
	req->res.content_length = len;
	h2o_send_inline(req, body, len);
}

/* Returns the status sent (500 when body could not be encoded). */
static int
api_send_json(h2o_req_t *req, int status, json_t *body)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	size_t len;

	json_decref(body);
	/* A body that could not be made (jansson refuses bad UTF-8). */
	if (text == NULL) {
		status = 500;
		text = util_strdup("{\"status_code\":500,\"error\":\"the "
		    "answer could not be encoded\"}");
	}
	len = strlen(text);
	text = util_realloc(text, len + 2, 1);
	text[len++] = '\n';
	text[len] = '\0';
	api_send(req, status, "application/json", text, len);
	free(text);
	return status;
}

/* ------------------------------------------------- the error filter */

/*
 * libh2o's own error answers (text/plain) rewritten as our JSON: the
 * headers are changed before the first byte goes out, the text body is
 * replaced by ours.
 */
struct api_errstream {
	h2o_ostream_t	 super;
	h2o_iovec_t	 body;
	int		 sent;
};

static void
api_errstream_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs,
    size_t n, h2o_send_state_t state)
{
	struct api_errstream *es = (void *)self;

	(void)bufs;
	(void)n;
	if (!h2o_send_state_is_in_progress(state) && !es->sent) {
		es->sent = 1;
		h2o_ostream_send_next(self, req, &es->body, 1, state);
		return;
	}
	h2o_ostream_send_next(self, req, NULL, 0, state);
}

static void
api_errfilter_setup(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
	struct api_errstream *es;
	ssize_t i;
	json_t *j;
	char *text, msg[128];

	i = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
	if (req->res.status < 400 || i == -1 ||
	    req->res.headers.entries[i].value.len < 10 ||
	    memcmp(req->res.headers.entries[i].value.base, "text/plain", 10)
	    != 0) {
		h2o_setup_next_ostream(req, slot);
		return;
	}
	(void)self;
	snprintf(msg, sizeof msg, "%s", req->res.status == 413 ?
	    "request body too large" : req->res.status == 404 ?
	    "no such route" : req->res.reason ? req->res.reason :
	    "bad request");
	j = api_error_json(req->res.status, msg);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (text == NULL) {
		h2o_setup_next_ostream(req, slot);
		return;
	}
	es = (void *)h2o_add_ostream(req, sizeof *es, slot);
	es->super.do_send = api_errstream_send;
	es->sent = 0;
	es->body = h2o_strdup(&req->pool, text, SIZE_MAX);
	free(text);
	req->res.headers.entries[i].value = h2o_iovec_init(
	    H2O_STRLIT("application/json"));
	req->res.content_length = es->body.len;
	slot = &es->super.next;
	h2o_setup_next_ostream(req, slot);
}

/* ------------------------------------------------------ api_req */

static void
api_req_unlink(struct api_req *r)
{
	if (r->prev != NULL)
		r->prev->next = r->next;
	else if (r->api->pending == r)
		r->api->pending = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
}

void
api__req_maybe_free(struct api_req *r)
{
	if (!r->backend_done || r->timer_open)
		return;
	api_req_unlink(r);
	free(r->param);
	free(r->query);
	free(r->qvalue);
	free(r);
}

static void
api_req_timer_closed(uv_handle_t *h)
{
	struct api_req *r = h->data;

	r->timer_open = 0;
	api__req_maybe_free(r);
}

/* The request leaves our hands: counted, limits released. */
void
api__req_finish(struct api_req *r, int status)
{
	r->answered = 1;
	r->req = NULL;
	api_count(r->api, r->route, status);
	if (r->long_running) {
		r->long_running = 0;
		r->api->counts.running--;
	}
	if (r->timer_open && !uv_is_closing((uv_handle_t *)&r->timer))
		uv_close((uv_handle_t *)&r->timer, api_req_timer_closed);
}

static void
api_req_timeout(uv_timer_t *t)
{
	struct api_req *r = t->data;
	h2o_req_t *req = r->req;

	if (r->answered)
		return;
	api_send_json(req, 504, api_error_json(504, "the request took "
	    "longer than api.timeout"));
	api__req_finish(r, 504);
}

enum api_op
api_req_op(const struct api_req *r)
{
	return r->route->op;
}

const char *
api_req_param(const struct api_req *r)
{
	return r->param;
}

const char *
api_req_body(const struct api_req *r, size_t *len)
{
	if (r->req == NULL || r->req->entity.base == NULL) {
		*len = 0;
		return "";
	}
	*len = r->req->entity.len;
	return r->req->entity.base;
}

int
api_req_answered(const struct api_req *r)
{
	return r->answered;
}

static int
api_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 1 when s is valid UTF-8 (what a JSON string may hold). */
static int
api_utf8(const char *s)
{
	json_t *j = json_string(s);

	json_decref(j);
	return j != NULL;
}

/* Percent-decode [s, s + len) into a new string; NULL when broken. */
static char *
api_unescape(const char *s, size_t len)
{
	char *out = util_malloc(len + 1), *o = out;
	size_t i;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] == '+')
			*o++ = ' ';
		else if (s[i] != '%')
			*o++ = s[i];
		else {
			if (i + 2 >= len)
				goto bad;
			hi = api_hex((unsigned char)s[i + 1]);
			lo = api_hex((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto bad;
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		}
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

const char *
api_req_query(const struct api_req *cr, const char *name)
{
	struct api_req *r = (struct api_req *)cr;
	size_t nlen = strlen(name);
	const char *p, *amp, *eq;

	if (r->query == NULL)
		return NULL;
	for (p = r->query; *p != '\0'; p = *amp ? amp + 1 : amp) {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq == NULL || (size_t)(eq - p) != nlen ||
		    memcmp(p, name, nlen) != 0)
			continue;
		free(r->qvalue);
		r->qvalue = api_unescape(eq + 1, (size_t)(amp - eq - 1));
		if (r->qvalue != NULL && !api_utf8(r->qvalue)) {
			free(r->qvalue);
			r->qvalue = NULL;
		}
		return r->qvalue;
	}
	return NULL;
}

char *
api_req_header(const struct api_req *r, const char *name)
{
	char lower[128];
	size_t i, len = strlen(name);
	ssize_t at;
	h2o_iovec_t v;

	if (r->req == NULL || len >= sizeof lower)
		return NULL;
	for (i = 0; i < len; i++)	/* libh2o keeps names in lower case */
		lower[i] = (char)h2o_tolower(name[i]);
	if ((at = h2o_find_header_by_str(&r->req->headers, lower, len,
	    -1)) < 0)
		return NULL;
	v = r->req->headers.entries[at].value;
	return util_printf("%.*s", (int)v.len, v.base);
}

void
api_reply_json(struct api_req *r, int status, json_t *body)
{
	r->backend_done = 1;
	if (r->answered) {
		json_decref(body);
		api__req_maybe_free(r);
		return;
	}
	if (json_is_object(body) && json_object_get(body, "status_code") ==
	    NULL)
		json_object_set_new(body, "status_code", json_integer(status));
	status = api_send_json(r->req, status, body);
	api__req_finish(r, status);
	api__req_maybe_free(r);
}

void
api_reply_error(struct api_req *r, int status, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = util_vprintf(fmt, ap);
	va_end(ap);
	api_reply_json(r, status, api_error_json(status, msg));
	free(msg);
}

void
api_reply_text(struct api_req *r, int status, const char *ctype, char *text,
    size_t len)
{
	r->backend_done = 1;
	if (!r->answered) {
		api_send(r->req, status, ctype, text, len);
		api__req_finish(r, status);
	}
	free(text);
	api__req_maybe_free(r);
}

/* ------------------------------------------------------ the handler */

/* Constant time: the digests of the token given and of each known one. */
static int
api_token_ok(struct api *api, const char *tok, size_t len)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	size_t i;
	int ok = 0;

	SHA256((const unsigned char *)tok, len, d);
	for (i = 0; i < api->cfg.ntokens; i++)
		ok |= CRYPTO_memcmp(d, api->digests[i], sizeof d) == 0;
	return ok;
}

static int
api_authorized(struct api *api, h2o_req_t *req)
{
	ssize_t i;
	h2o_iovec_t v;

	i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
	if (i == -1)
		return 0;
	v = req->headers.entries[i].value;
	if (v.len <= 7 || !h2o_lcstris(v.base, 7, H2O_STRLIT("bearer ")))
		return 0;
	return api_token_ok(api, v.base + 7, v.len - 7);
}

/* Find the route of method and path; *param set for a {iface} one. */
static const struct api_route *
api_match(h2o_iovec_t method, const char *path, size_t plen, char **param,
    int *wrong_method)
{
	const struct api_route *r;
	size_t n;

	*param = NULL;
	*wrong_method = 0;
	for (r = api_routes; r->method != NULL; r++) {
		n = strlen(r->path);
		if (r->flags & API_F_PARAM) {
			if (plen <= n + 1 || memcmp(path, r->path, n) != 0 ||
			    path[n] != '/' ||
			    memchr(path + n + 1, '/', plen - n - 1) != NULL)
				continue;
			/* "/config/_reload" is its own route. */
			if (path[n + 1] == '_')
				continue;
		} else if (plen != n || memcmp(path, r->path, n) != 0)
			continue;
		if (!h2o_memis(method.base, method.len, r->method,
		    strlen(r->method))) {
			*wrong_method = 1;
			continue;
		}
		if (r->flags & API_F_PARAM) {
			*param = api_unescape(path + n + 1, plen - n - 1);
			if (*param == NULL || **param == '\0' ||
			    strchr(*param, '/') != NULL ||
			    !api_utf8(*param)) {
				free(*param);
				*param = NULL;
				continue;
			}
		}
		return r;
	}
	return NULL;
}

static void
api_answer_now(struct api *api, h2o_req_t *req,
    const struct api_route *route, int status, json_t *body)
{
	if (json_is_object(body) && json_object_get(body, "status_code") ==
	    NULL)
		json_object_set_new(body, "status_code", json_integer(status));
	api_count(api, route, api_send_json(req, status, body));
}

static int
api_on_req(h2o_handler_t *self, h2o_req_t *req)
{
	struct api_handler *h = (void *)self;
	struct api *api = h->api;
	const struct api_route *route;
	struct api_req *r;
	const char *path = req->path_normalized.base;
	size_t plen = req->path_normalized.len, hbytes = 0, i;
	char *param;
	int wrong;

	for (i = 0; i < req->headers.size; i++)
		hbytes += req->headers.entries[i].name->len +
		    req->headers.entries[i].value.len;
	if (hbytes > API_MAX_HEADER_BYTES) {
		api_answer_now(api, req, NULL, 431, api_error_json(431,
		    "request headers too large"));
		return 0;
	}
	route = api_match(req->method, path, plen, &param, &wrong);
	if (h->tcp && (route == NULL || !(route->flags & API_F_OPEN)) &&
	    !api_authorized(api, req)) {
		free(param);
		api->counts.unauthorized++;
		api_answer_now(api, req, NULL, 401, api_error_json(401,
		    "a valid \"Authorization: Bearer TOKEN\" is needed"));
		return 0;
	}
	if (route == NULL) {
		api_answer_now(api, req, NULL, wrong ? 405 : 404,
		    api_error_json(wrong ? 405 : 404, wrong ?
		    "method not allowed on this route" : "no such route"));
		return 0;
	}
	if (!(route->flags & API_F_BODY) && req->entity.base != NULL &&
	    req->entity.len > 0) {
		free(param);
		api_answer_now(api, req, route, 400, api_error_json(400,
		    "this route takes no body"));
		return 0;
	}
	switch (route->op) {
	case API_HEALTH:
		api_answer_now(api, req, route, 200,
		    json_pack("{s:s}", "status", "healthy"));
		return 0;
	case API_INFO:
		api_answer_now(api, req, route, 200, json_pack("{s:s,s:s}",
		    "name", "flowrecd", "version", PACKAGE_VERSION));
		return 0;
	case API_WWW:
		free(param);
		api_count(api, route, api_www_send(req, api->www,
		    api->www_why));
		return 0;
	case API_READY:
		if (api->be.ready == NULL || api->be.ready(api->be.arg))
			api_answer_now(api, req, route, 200,
			    json_pack("{s:s}", "status", "ready"));
		else
			api_answer_now(api, req, route, 503,
			    json_pack("{s:s}", "status", "not ready"));
		return 0;
	default:
		break;
	}
	if ((route->flags & API_F_LONG) &&
	    api->counts.running >= api->cfg.max_queries) {
		free(param);
		api_answer_now(api, req, route, 429, api_error_json(429,
		    "too many requests running; try again"));
		return 0;
	}

	r = util_calloc(1, sizeof *r);
	r->api = api;
	r->req = req;
	r->route = route;
	r->param = param;
	if (req->query_at != SIZE_MAX && req->query_at + 1 < req->path.len)
		r->query = util_printf("%.*s", (int)(req->path.len -
		    req->query_at - 1), req->path.base + req->query_at + 1);
	if (route->flags & API_F_LONG) {
		r->long_running = 1;
		api->counts.running++;
	}
	r->next = api->pending;
	if (api->pending != NULL)
		api->pending->prev = r;
	api->pending = r;
	uv_timer_init(api->loop, &r->timer);
	r->timer.data = r;
	r->timer_open = 1;
	uv_timer_start(&r->timer, api_req_timeout,
	    (uint64_t)api->cfg.timeout * 1000, 0);
	api->be.handle(api->be.arg, route->op, r);
	return 0;
}

/* ------------------------------------------------------- lifecycle */

static void
api_copy_cfg(struct api *api, const struct conf_api *cfg)
{
	size_t i;

	for (i = 0; i < api->cfg.ntokens; i++)
		free(api->cfg.tokens[i]);
	free(api->cfg.tokens);
	free(api->digests);
	api->cfg.tokens = NULL;
	api->digests = NULL;
	api->cfg.max_connections = cfg->max_connections;
	api->cfg.max_queries = cfg->max_queries;
	api->cfg.max_body = cfg->max_body;
	api->cfg.timeout = cfg->timeout;
	api->cfg.metrics_iface_label = cfg->metrics_iface_label;
	api->cfg.ntokens = cfg->ntokens;
	if (cfg->ntokens > 0) {
		api->cfg.tokens = util_calloc(cfg->ntokens, sizeof(char *));
		api->digests = util_calloc(cfg->ntokens,
		    sizeof *api->digests);
	}
	for (i = 0; i < cfg->ntokens; i++) {
		api->cfg.tokens[i] = util_strdup(cfg->tokens[i]);
		SHA256((const unsigned char *)cfg->tokens[i],
		    strlen(cfg->tokens[i]), api->digests[i]);
	}
	/* libh2o reads these from the global configuration per request. */
	api->globalconf.max_request_entity_size = (size_t)cfg->max_body;
}

/*
 * (Re)read the web view's files from dir (NULL: where make install put
 * them; "none": no web view).  A directory that does not load is logged;
 * /ui/ then answers 404 saying why.
 */
static void
api_www_load(struct api *api, const char *dir)
{
	struct www *w = NULL;
	char *why = NULL;

	if (dir == NULL)
		dir = FLOWREC_WWW_DIR;
	if (strcmp(dir, "none") == 0)
		why = util_strdup("api.www_dir is none");
	else if (www_load(dir, &w, &why) != 0)
		util_log(LOG_LEVEL_WARN, "api: no web view: %s", why);
	else
		util_log(LOG_LEVEL_DEBUG, "api: web view: %zu files from %s",
		    www_count(w), dir);
	www_free(api->www);
	free(api->www_why);
	api->www = w;
	api->www_why = why;
}

static h2o_hostconf_t *
api_host(struct api *api, const char *name, int tcp)
{
	h2o_hostconf_t *hc;
	h2o_pathconf_t *pc;
	struct api_handler *h;
	h2o_filter_t *f;

	hc = h2o_config_register_host(&api->globalconf,
	    h2o_iovec_init(name, strlen(name)), 65535);
	pc = h2o_config_register_path(hc, "/", 0);
	h = (void *)h2o_create_handler(pc, sizeof *h);
	h->super.on_req = api_on_req;
	h->api = api;
	h->tcp = tcp;
	f = h2o_create_filter(pc, sizeof *f);
	f->on_setup_ostream = api_errfilter_setup;
	f = h2o_create_filter(&hc->fallback_path, sizeof *f);
	f->on_setup_ostream = api_errfilter_setup;
	return hc;
}

/* libh2o's context handles must not keep the loop alive (see the top). */
static void
api_walk_unref(uv_handle_t *h, void *arg)
{
	uv_handle_t **before = arg;
	size_t i;

	if (h->type != UV_ASYNC && h->type != UV_TIMER)
		return;
	for (i = 0; before[i] != NULL; i++)
		if (before[i] == h)
			return;
	uv_unref(h);
}

static void
api_walk_collect(uv_handle_t *h, void *arg)
{
	uv_handle_t ***v = arg;
	size_t n = 0;

	while ((*v)[n] != NULL)
		n++;
	*v = util_realloc(*v, n + 2, sizeof **v);
	(*v)[n] = h;
	(*v)[n + 1] = NULL;
}

int
api_new(uv_loop_t *loop, const struct conf_api *cfg,
    const struct api_backend *be, struct api **out, char **cause)
{
	struct api *api = util_calloc(1, sizeof *api);
	uv_handle_t **before = util_calloc(1, sizeof *before);
	int rc;

	*out = NULL;
	api->loop = loop;
	api->be = *be;
	if (cfg->socket != NULL && strcmp(cfg->socket, "none") != 0)
		api->cfg.socket = util_strdup(cfg->socket);
	if (cfg->socket_group != NULL)
		api->cfg.socket_group = util_strdup(cfg->socket_group);
	if (cfg->listen != NULL)
		api->cfg.listen = util_strdup(cfg->listen);
	if (cfg->tls_cert != NULL)
		api->cfg.tls_cert = util_strdup(cfg->tls_cert);
	if (cfg->tls_key != NULL)
		api->cfg.tls_key = util_strdup(cfg->tls_key);

	h2o_config_init(&api->globalconf);
	api->globalconf.server_name = h2o_iovec_init(H2O_STRLIT("flowrecd"));
	api->globalconf.http1.upgrade_to_http2 = 0;
	api->globalconf.http1.req_timeout = (uint64_t)cfg->timeout * 1000;
	api->globalconf.handshake_timeout = (uint64_t)cfg->timeout * 1000;
	api_copy_cfg(api, cfg);
	api_www_load(api, cfg->www_dir);
	api->host_unix = api_host(api, "unix", 0);
	api->host_tcp = api_host(api, "tcp", 1);
	api->hosts_unix[0] = api->host_unix;
	api->hosts_tcp[0] = api->host_tcp;

	uv_walk(loop, api_walk_collect, &before);
	h2o_context_init(&api->ctx, loop, &api->globalconf);
	uv_walk(loop, api_walk_unref, before);
	free(before);
	api->ctx_ready = 1;
	api->accept_unix.ctx = &api->ctx;
	api->accept_unix.hosts = api->hosts_unix;
	api->accept_tcp.ctx = &api->ctx;
	api->accept_tcp.hosts = api->hosts_tcp;

	if (api->cfg.tls_cert != NULL && (rc = api__tls(api, cause)) != 0)
		goto fail;
	api->accept_tcp.ssl_ctx = api->ssl;
	if (api->cfg.socket != NULL && (rc = api__listen_unix(api, cause)) != 0)
		goto fail;
	if (api->cfg.listen != NULL && (rc = api__listen_tcp(api, cause)) != 0)
		goto fail;
	*out = api;
	return 0;
fail:
	api_stop(api);
	api->stopping = 2;	/* api_free() from the caller's end */
	*out = api;
	return rc;
}

int
api_tcp_port(const struct api *api)
{
	return api->tcp_port;
}

int
api_update(struct api *api, const struct conf_api *cfg)
{
	const char *sock = cfg->socket != NULL &&
	    strcmp(cfg->socket, "none") != 0 ? cfg->socket : NULL;

#define API_SAME(a, b) ((a) == NULL ? (b) == NULL : (b) != NULL && \
	strcmp((a), (b)) == 0)
	if (!API_SAME(api->cfg.socket, sock) ||
	    !API_SAME(api->cfg.socket_group, cfg->socket_group) ||
	    !API_SAME(api->cfg.listen, cfg->listen) ||
	    !API_SAME(api->cfg.tls_cert, cfg->tls_cert) ||
	    !API_SAME(api->cfg.tls_key, cfg->tls_key))
		return -EINVAL;
#undef API_SAME
	api_copy_cfg(api, cfg);
	api_www_load(api, cfg->www_dir);
	return 0;
}

void
api_get_counts(const struct api *api, struct api_counts *c)
{
	*c = api->counts;
}

static void
api_close_noop(uv_handle_t *h)
{
	(void)h;
}

void
api_stop(struct api *api)
{
	struct api_conn *c;
	uv_os_fd_t fd;

	if (api->stopping)
		return;
	api->stopping = 1;
	if (api->l_unix.open) {
		uv_close(&api->l_unix.u.h, api_close_noop);
		api->l_unix.open = 0;
	}
	if (api->l_tcp.open) {
		uv_close(&api->l_tcp.u.h, api_close_noop);
		api->l_tcp.open = 0;
	}
	if (api->sock_path != NULL)
		unlink(api->sock_path);
	/* Idle connections read EOF and close; busy ones after answering. */
	for (c = api->conns; c != NULL; c = c->next)
		if (uv_fileno(&c->u.h, &fd) == 0)
			shutdown(fd, SHUT_RD);
}

void
api_free(struct api *api)
{
	size_t i;

	if (api == NULL)
		return;
	if (api->ctx_ready)
		h2o_context_dispose(&api->ctx);
	h2o_config_dispose(&api->globalconf);
	if (api->ssl != NULL)
		SSL_CTX_free(api->ssl);
	for (i = 0; i < api->cfg.ntokens; i++)
		free(api->cfg.tokens[i]);
	free(api->cfg.tokens);
	free(api->digests);
	free(api->cfg.socket);
	free(api->cfg.socket_group);
	free(api->cfg.listen);
	free(api->cfg.tls_cert);
	free(api->cfg.tls_key);
	free(api->sock_path);
	www_free(api->www);
	free(api->www_why);
	free(api);
}
