/*
 * api.h - flowrecd's control API: HTTP/1.1 on the daemon's libuv loop,
 * served by libh2o, JSON by jansson (api.c).
 *
 * Routes are goProbe's names (its pkg/api) plus our own; api.c holds the
 * master table (method, path, what it does).  Listeners: a UNIX socket
 * (mode 0660, the file system is the access control) and, optionally, TCP
 * where every request needs "Authorization: Bearer TOKEN" (compared in
 * constant time) and TLS when a certificate is configured.  Limits: open
 * connections (past it a connection gets a 503 and is closed), request
 * bodies (413 before a byte of the body is read: the Content-Length is
 * checked first), long-running requests at once (429), and the time to
 * read a request and to answer it (a request that takes longer is answered
 * 504).  Every error is a JSON object {"status_code": N, "error": "..."},
 * libh2o's own (a broken or too large request) rewritten into one.
 *
 * What a route does is the backend's (status.c for the daemon, a stub in
 * the tests and the fuzzer): api.c calls it on the loop thread with the
 * request, and it answers at once or later with api_reply*(), exactly
 * once, from the loop thread.  Nothing slow may run in the call: queries
 * and anything touching the disk go to worker threads (uv_queue_work()).
 */
#ifndef FLOWREC_API_H
#define FLOWREC_API_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "conf.h"

/* The routes (the table in api.c gives their methods and paths). */
enum api_op {
	API_HEALTH,		/* GET /-/health */
	API_READY,		/* GET /-/ready */
	API_INFO,		/* GET /-/info */
	API_STATUS,		/* GET /status, /status/{iface} */
	API_CONFIG,		/* GET /config, /config/{iface} */
	API_RELOAD,		/* POST /config/_reload */
	API_FLUSH,		/* POST /flush */
	API_METRICS,		/* GET /metrics */
	API_QUERY,		/* POST /_query */
	API_VALIDATE,		/* POST /_query/validate */
	API_WWW,		/* GET /, /ui, /ui/, /ui/{file}: the web view */
	API_TAP,		/* GET /tap/{iface}: a packet stream (tap.c) */
	API_OP_COUNT
};

/* The first route of op, as written ("/status"). */
const char	*api_op_path(enum api_op);

/*
 * Routes by index in the table, as the metrics name them
 * ("/status/{iface}"); NULL past the last (at most API_ROUTE_MAX).
 */
#define API_ROUTE_MAX	24
const char	*api_route_name(size_t);

struct api_req;
typedef struct json_t json_t;

struct api_backend {
	/*
	 * Handle r (loop thread).  Answer with api_reply*() now or later;
	 * r stays valid until then.  API_HEALTH and API_INFO never come here.
	 */
	void		(*handle)(void *arg, enum api_op, struct api_req *r);
	/* 1 when the daemon is ready (GET /-/ready: 200, else 503). */
	int		(*ready)(void *arg);
	void		*arg;
};

/* What a route was given. */
enum api_op	 api_req_op(const struct api_req *);
/* The {iface} of /status/{iface} and /config/{iface}, or NULL. */
const char	*api_req_param(const struct api_req *);
/* The body (not NUL-terminated); len 0 when none. */
const char	*api_req_body(const struct api_req *, size_t *len);
/*
 * The value of query parameter name (?ifaces=eth0,eth1), decoded, or NULL.
 * Borrowed until the reply.
 */
const char	*api_req_query(const struct api_req *, const char *name);
/*
 * The value of request header name (any case), or NULL when absent or
 * once answered.  Caller owns the result; free().
 */
char		*api_req_header(const struct api_req *, const char *name);
/* 1 once the request was answered (by a timeout, say): work is wasted. */
int		 api_req_answered(const struct api_req *);

/* Answer with body (the reference is taken), Content-Type JSON. */
void		 api_reply_json(struct api_req *, int status, json_t *body);
/* Answer {"status_code": status, "error": message}. */
void		 api_reply_error(struct api_req *, int status,
		    const char *fmt, ...) UTIL_PRINTF(3, 4);
/* Answer with text (taken: the API frees it) of content type ctype. */
void		 api_reply_text(struct api_req *, int status, const char *ctype,
		    char *text, size_t len);

/*
 * A streamed answer (chunked): api_stream_start() sends the status and
 * headers; then api_stream_send() one buffer at a time, which must stay
 * valid until ops->proceed() is called (the next may be sent then), the
 * last with final 1 (len may be 0), after which r is gone.  ops->stop()
 * says the connection went away: r is gone, send nothing more.  The API's
 * timeout does not apply to a stream.  0, or -ECONNRESET when r was
 * already answered.
 */
struct api_stream_ops {
	void		(*proceed)(void *arg);
	void		(*stop)(void *arg);
};
/* A header of the stream's answer; before api_stream_start(). */
void		 api_stream_header(struct api_req *, const char *name,
		    const char *value);
int		 api_stream_start(struct api_req *, const char *ctype,
		    const struct api_stream_ops *, void *arg);
void		 api_stream_send(struct api_req *, const void *data,
		    size_t len, int final);
/* 1 when the client of a stream has closed its side (or it is gone). */
int		 api_stream_peer_closed(struct api_req *);
/*
 * Cut a stream's connection (a client that reads nothing while the daemon
 * stops): the pending write fails and ops->stop() follows.
 */
void		 api_stream_abort(struct api_req *);

/* Requests answered, by route and status class, for the metrics. */
struct api_counts {
	uint64_t	 requests[API_ROUTE_MAX + 1][6]; /* [route index, or
					   API_ROUTE_MAX: no route][status /
					   100: 1xx..5xx; 0 unused] */
	uint64_t	 connections;		/* accepted in all */
	uint64_t	 refused_connections;	/* past max_connections */
	uint64_t	 unauthorized;		/* 401 on TCP */
	uint64_t	 open_connections;
	uint64_t	 running;		/* long requests now */
};

struct api;

/*
 * Serve the API on loop as cfg says (copied): listen on its socket and
 * TCP address.  A cfg->socket of "none" (or NULL) and no listen serves
 * nothing but api_serve_fd().  Returns 0 with *out set (caller frees it
 * with api_free() after api_stop() and the loop's end), or a negative code
 * with *cause set (an address in use, a certificate that does not load).
 */
int		 api_new(uv_loop_t *, const struct conf_api *cfg,
		    const struct api_backend *, struct api **out, char **cause);

/*
 * Serve one connected stream socket fd (the API owns it), as a request on
 * the UNIX socket (tcp 0) or on TCP (1: a bearer token is needed).  For
 * the tests and the fuzzer.  0 or -errno.
 */
int		 api_serve_fd(struct api *, int fd, int tcp);

/*
 * Load cfg's tls_cert and tls_key as api_new() would (flowrecd -t):
 * 0, or -EINVAL with *cause naming the key and file.
 */
int		 api_tls_check(const struct conf_api *cfg, char **cause);

/* The TCP port listened on (after "HOST:0" in a test), 0 when none. */
int		 api_tcp_port(const struct api *);

/*
 * Take new settings that need no new listener: tokens, limits, timeout.
 * 0, or -EINVAL when sockets or TLS differ (a restart applies those).
 */
int		 api_update(struct api *, const struct conf_api *);

void		 api_get_counts(const struct api *, struct api_counts *);

/*
 * Stop: close the listeners and the idle connections; requests in
 * progress are answered, then their connections close.  Once every
 * connection is gone the API holds no active handle.
 */
void		 api_stop(struct api *);

/* After the loop ended: release the rest (closes libh2o's handles). */
void		 api_free(struct api *);

#endif
