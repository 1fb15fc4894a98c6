/*
 * api_int.h - the control API's internals, shared by its three parts
 * (libuv's rule: api_ in api.h is the API, api__ here is not; nothing
 * outside src/api*.c includes this file).
 *
 *   api.c         libh2o's context and host configurations, the route
 *                 table, authentication, limits, requests and their
 *                 answers (api_reply*()), the JSON errors and the filter
 *                 that rewrites libh2o's own, the lifecycle;
 *   api_stream.c  streamed answers on libh2o's generator (api_stream_*(),
 *                 flowctl tap's packets);
 *   api_listen.c  the listeners (UNIX socket, TCP), the connections they
 *                 accept (counted, refused past the limit, handed to
 *                 libh2o) and TLS (the certificate and its key).
 *
 * The web view's files are api_www.c's (api_www.h), not part of these.
 */
#ifndef FLOWREC_API_INT_H
#define FLOWREC_API_INT_H

#include <h2o.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>

#include "api.h"

struct api;
struct api_route;
struct www;

/* One accepted connection (either kind of stream). */
struct api_conn {
	union {
		uv_handle_t	h;
		uv_stream_t	s;
		uv_pipe_t	pipe;
		uv_tcp_t	tcp;
	}		 u;
	struct api	*api;
	int		 tcp;
	struct api_conn	*prev, *next;
};

/* One listener. */
struct api_listener {
	union {
		uv_handle_t	h;
		uv_stream_t	s;
		uv_pipe_t	pipe;
		uv_tcp_t	tcp;
	}		 u;
	struct api	*api;
	int		 tcp;
	int		 open;
};

struct api_req {
	struct api	*api;
	h2o_req_t	*req;		/* NULL once answered */
	const struct api_route *route;
	char		*param;
	char		*query;		/* the raw query string, or NULL */
	char		*qvalue;	/* api_req_query()'s last answer */
	uv_timer_t	 timer;
	int		 timer_open;
	int		 answered;
	int		 backend_done;	/* the backend has answered */
	int		 long_running;
	struct api_req	*prev, *next;	/* the pending list */
	/* a streamed answer (api_stream_start()) */
	h2o_generator_t	 gen;
	h2o_req_t	*sreq;		/* NULL once ended or stopped */
	const struct api_stream_ops *sops;
	void		*sarg;
};

struct api {
	uv_loop_t	*loop;
	struct conf_api	 cfg;		/* tokens[] our own copies */
	unsigned char	(*digests)[SHA256_DIGEST_LENGTH]; /* of the tokens */
	struct api_backend be;

	h2o_globalconf_t globalconf;
	h2o_hostconf_t	*host_unix, *host_tcp;
	h2o_hostconf_t	*hosts_unix[2], *hosts_tcp[2];
	h2o_context_t	 ctx;
	h2o_accept_ctx_t accept_unix, accept_tcp;
	SSL_CTX		*ssl;
	int		 ctx_ready;

	struct api_listener l_unix, l_tcp;
	char		*sock_path;	/* unlinked at stop */
	int		 tcp_port;
	struct api_conn	*conns;
	struct api_req	*pending;
	int		 stopping;
	struct api_counts counts;
	struct www	*www;		/* the web view's files, or NULL */
	char		*www_why;	/* why there are none */
};

/* ------------------------------------------------------------ api.c */

/*
 * The request leaves our hands: counted, limits released, its timer
 * closed.
 */
void	 api__req_finish(struct api_req *, int status);
/* Frees r once the backend has answered and its timer is closed. */
void	 api__req_maybe_free(struct api_req *);

/* ----------------------------------------------------- api_listen.c */

/*
 * Listen on api.socket, on api.listen, load api.tls_cert and tls_key
 * into api->ssl.  Return 0, or a negative code and *cause (caller frees
 * it); what was opened is closed by api_stop().
 */
int	 api__listen_unix(struct api *, char **cause);
int	 api__listen_tcp(struct api *, char **cause);
int	 api__tls(struct api *, char **cause);

#endif /* FLOWREC_API_INT_H */
