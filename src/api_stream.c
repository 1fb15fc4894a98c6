/*
 * api_stream.c - the control API's streamed answers (api_stream_*() in
 * api.h), called by a route's backend (tap.c for GET /tap/{iface}) on the
 * loop thread.
 *
 * A stream is a 200 answer on libh2o's generator, its body sent one
 * buffer at a time: libh2o calls proceed() when a buffer has gone out and
 * stop() when the connection is gone.  Once started the request counts as
 * answered for the API's limits and its timer (api__req_finish()); its
 * api_req is freed once the stream has ended or been stopped
 * (api__req_maybe_free()).  libh2o 2.2 reads nothing of a connection
 * while its request is handled, so a client that went away is found by
 * peeking at the socket (api_stream_peer_closed()).
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include <h2o.h>

#include "api.h"
#include "api_int.h"

static void
api_stream_proceed(h2o_generator_t *g, h2o_req_t *req)
{
	struct api_req *r = (void *)((char *)g - offsetof(struct api_req,
	    gen));

	(void)req;
	if (r->sreq != NULL)
		r->sops->proceed(r->sarg);
}

/* The connection is gone (libh2o disposes of the request). */
static void
api_stream_stop(h2o_generator_t *g, h2o_req_t *req)
{
	struct api_req *r = (void *)((char *)g - offsetof(struct api_req,
	    gen));

	(void)req;
	if (r->sreq == NULL)
		return;
	r->sreq = NULL;
	r->sops->stop(r->sarg);
	r->backend_done = 1;
	api__req_maybe_free(r);
}

int
api_stream_start(struct api_req *r, const char *ctype,
    const struct api_stream_ops *ops, void *arg)
{
	h2o_req_t *req = r->req;

	if (r->answered || req == NULL)
		return -ECONNRESET;
	r->sreq = req;
	r->sops = ops;
	r->sarg = arg;
	r->gen.proceed = api_stream_proceed;
	r->gen.stop = api_stream_stop;
	req->res.status = 200;
	req->res.reason = "OK";
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
	    NULL, ctype, strlen(ctype));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL,
	    NULL, H2O_STRLIT("no-store"));
	h2o_start_response(req, &r->gen);
	/* Answered as far as the API's limits and timer go. */
	api__req_finish(r, 200);
	return 0;
}

void
api_stream_header(struct api_req *r, const char *name, const char *value)
{
	h2o_req_t *req = r->req;
	char *n;

	if (r->answered || req == NULL)
		return;
	/* libh2o keeps the name; lower case as HTTP/2 would want it */
	n = h2o_mem_alloc_pool(&req->pool, strlen(name) + 1);
	memcpy(n, name, strlen(name) + 1);
	h2o_strtolower(n, strlen(n));
	h2o_add_header_by_str(&req->pool, &req->res.headers, n, strlen(n), 0,
	    name, h2o_strdup(&req->pool, value, SIZE_MAX).base, strlen(value));
}

void
api_stream_send(struct api_req *r, const void *data, size_t len, int final)
{
	h2o_iovec_t v = h2o_iovec_init(data, len);
	h2o_req_t *req = r->sreq;

	if (req == NULL)
		return;
	if (final) {
		r->sreq = NULL;
		h2o_send(req, &v, len > 0 ? 1 : 0, H2O_SEND_STATE_FINAL);
		r->backend_done = 1;
		api__req_maybe_free(r);
		return;
	}
	h2o_send(req, &v, 1, H2O_SEND_STATE_IN_PROGRESS);
}

/*
 * libh2o 2.2 reads nothing of a connection while its request is handled,
 * so a client that went away is seen only by the next write.  Peek at
 * the socket instead: libh2o's HTTP/1 connection keeps its socket right
 * after the h2o_conn_t, and it is used only when it is one of ours.
 */
static int
api_stream_fd(struct api_req *r, uv_os_fd_t *fd)
{
	struct api_conn *c;
	h2o_socket_t *sock;

	if (r->sreq == NULL)
		return -1;
	memcpy(&sock, (char *)r->sreq->conn + sizeof(h2o_conn_t),
	    sizeof sock);
	for (c = r->api->conns; c != NULL; c = c->next)
		if (c->u.h.data == sock && uv_fileno(&c->u.h, fd) == 0)
			return 0;
	return -1;
}

int
api_stream_peer_closed(struct api_req *r)
{
	uv_os_fd_t fd;
	char b;
	ssize_t n;

	if (r->sreq == NULL)
		return 1;
	if (api_stream_fd(r, &fd) != 0)
		return 0;
	n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR);
}

void
api_stream_abort(struct api_req *r)
{
	uv_os_fd_t fd;

	if (api_stream_fd(r, &fd) == 0)
		shutdown(fd, SHUT_RDWR);
}
