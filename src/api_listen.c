/*
 * api_listen.c - the control API's listeners and connections (see api.c's
 * top): the UNIX socket and TCP, each accepted stream counted, wrapped by
 * h2o_uv_socket_create() and handed to libh2o; its close callback
 * uncounts and frees it.  Past api.max_connections, or once api_stop()
 * has run, a connection gets a fixed 503 and is closed.  Also TLS: the
 * certificate and its key, for the TCP listener and for the configuration
 * check (api_tls_check()).
 *
 * The UNIX socket is mode 0660, given to api.socket_group when that group
 * exists; a socket file left by a killed daemon is removed, one that
 * answers is refused.  Called from api_new() (api__listen_unix(),
 * api__listen_tcp(), api__tls()); api_serve_fd() adopts a connected
 * descriptor (the fuzzer's socketpair).
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <h2o.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "api.h"
#include "api_int.h"
#include "util.h"

#define API_BACKLOG		128

/* ------------------------------------------------------ connections */

static void
api_conn_closed(uv_handle_t *h)
{
	/* libh2o owned h->data; the handle is our struct's first member. */
	struct api_conn *c = (struct api_conn *)(void *)h;
	struct api *api = c->api;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		api->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	api->counts.open_connections--;
	free(c);
}

static void
api_refused_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
api_refuse(struct api_conn *c)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Type: application/json\r\nConnection: close\r\n"
	    "Content-Length: 61\r\n\r\n"
	    "{\"status_code\":503,\"error\":\"too many connections; try again\"}";
	uv_buf_t b = uv_buf_init((char *)busy, sizeof busy - 1);

	c->api->counts.refused_connections++;
	(void)uv_try_write(&c->u.s, &b, 1);
	c->u.h.data = c;
	uv_close(&c->u.h, api_refused_closed);
}

/* Hand an accepted (or adopted) stream to libh2o. */
static void
api_conn_start(struct api *api, struct api_conn *c)
{
	h2o_socket_t *sock;

	if (api->counts.open_connections >= api->cfg.max_connections ||
	    api->stopping) {
		api_refuse(c);
		return;
	}
	api->counts.connections++;
	api->counts.open_connections++;
	c->u.h.data = c;
	c->next = api->conns;
	if (api->conns != NULL)
		api->conns->prev = c;
	api->conns = c;
	sock = h2o_uv_socket_create(&c->u.s, api_conn_closed);
	h2o_accept(c->tcp ? &api->accept_tcp : &api->accept_unix, sock);
}

static void
api_on_connect(uv_stream_t *server, int status)
{
	struct api_listener *l = server->data;
	struct api *api = l->api;
	struct api_conn *c;

	if (status != 0)
		return;
	c = util_calloc(1, sizeof *c);
	c->api = api;
	c->tcp = l->tcp;
	if (l->tcp)
		uv_tcp_init(api->loop, &c->u.tcp);
	else
		uv_pipe_init(api->loop, &c->u.pipe, 0);
	if (uv_accept(server, &c->u.s) != 0) {
		c->u.h.data = c;
		uv_close(&c->u.h, api_refused_closed);
		return;
	}
	api_conn_start(api, c);
}

int
api_serve_fd(struct api *api, int fd, int tcp)
{
	struct api_conn *c = util_calloc(1, sizeof *c);
	int rc;

	c->api = api;
	c->tcp = tcp;
	uv_pipe_init(api->loop, &c->u.pipe, 0);
	if ((rc = uv_pipe_open(&c->u.pipe, fd)) != 0) {
		c->u.h.data = c;
		uv_close(&c->u.h, api_refused_closed);
		return rc;
	}
	api_conn_start(api, c);
	return 0;
}

/* ------------------------------------------------------ listeners */

/* 1 when something accepts connections on the UNIX socket path. */
static int
api_socket_live(const char *path)
{
	struct sockaddr_un sun;
	int fd, rc;

	if (strlen(path) >= sizeof sun.sun_path)
		return 0;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	close(fd);
	return rc == 0;
}

int
api__listen_unix(struct api *api, char **cause)
{
	const char *path = api->cfg.socket;
	struct group *gr;
	struct stat sb;
	char *dir, *slash;
	int rc;

	/* Its directory (RuntimeDirectory= makes it under systemd). */
	dir = util_strdup(path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (stat(dir, &sb) != 0 && util_mkdir_p(dir) != 0) {
			rc = -errno;
			util_cause(cause, rc, "api.socket: cannot create %s: %s",
			    dir, strerror(errno));
			free(dir);
			return rc;
		}
	}
	free(dir);
	/*
	 * A socket left by a killed daemon is removed; one that answers is
	 * another daemon's; anything else is not ours.
	 */
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode))
			return util_cause(cause, -EEXIST, "api.socket: %s "
			    "exists and is not a socket", path);
		if (api_socket_live(path))
			return util_cause(cause, -EADDRINUSE, "api.socket: "
			    "another process answers on %s", path);
		unlink(path);
	}
	uv_pipe_init(api->loop, &api->l_unix.u.pipe, 0);
	api->l_unix.open = 1;
	api->l_unix.api = api;
	api->l_unix.u.h.data = &api->l_unix;
	if ((rc = uv_pipe_bind(&api->l_unix.u.pipe, path)) != 0)
		return util_cause(cause, -EADDRINUSE, "api.socket: cannot "
		    "bind %s: %s", path, uv_strerror(rc));
	api->sock_path = util_strdup(path);
	/* Mode 0660, group flowrec when it exists (its members may use it). */
	if (chmod(path, 0660) != 0)
		return util_cause(cause, -errno, "api.socket: chmod %s: %s",
		    path, strerror(errno));
	if (api->cfg.socket_group != NULL &&
	    (gr = getgrnam(api->cfg.socket_group)) != NULL &&
	    chown(path, (uid_t)-1, gr->gr_gid) != 0)
		log_warn("api.socket: cannot give %s to group %s: %s", path,
		    api->cfg.socket_group, strerror(errno));
	if ((rc = uv_listen(&api->l_unix.u.s, API_BACKLOG,
	    api_on_connect)) != 0)
		return util_cause(cause, -EIO, "api.socket: cannot listen on "
		    "%s: %s", path, uv_strerror(rc));
	return 0;
}

int
api__listen_tcp(struct api *api, char **cause)
{
	struct sockaddr_storage ss;
	char host[300];
	const char *colon = strrchr(api->cfg.listen, ':');
	size_t hlen = (size_t)(colon - api->cfg.listen);
	int port = atoi(colon + 1), rc, len = sizeof ss;

	if (api->cfg.listen[0] == '[') {
		memcpy(host, api->cfg.listen + 1, hlen - 2);
		host[hlen - 2] = '\0';
	} else {
		memcpy(host, api->cfg.listen, hlen);
		host[hlen] = '\0';
	}
	if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) != 0 &&
	    uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) != 0)
		return util_cause(cause, -EINVAL, "api.listen: '%s' is not an "
		    "IP address", host);
	uv_tcp_init(api->loop, &api->l_tcp.u.tcp);
	api->l_tcp.open = 1;
	api->l_tcp.api = api;
	api->l_tcp.tcp = 1;
	api->l_tcp.u.h.data = &api->l_tcp;
	if ((rc = uv_tcp_bind(&api->l_tcp.u.tcp, (struct sockaddr *)&ss,
	    0)) != 0 || (rc = uv_listen(&api->l_tcp.u.s, API_BACKLOG,
	    api_on_connect)) != 0)
		return util_cause(cause, -EADDRINUSE, "api.listen: cannot "
		    "listen on %s: %s", api->cfg.listen, uv_strerror(rc));
	if (uv_tcp_getsockname(&api->l_tcp.u.tcp, (struct sockaddr *)&ss,
	    &len) == 0)
		api->tcp_port = ss.ss_family == AF_INET ?
		    ntohs(((struct sockaddr_in *)&ss)->sin_port) :
		    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

/* Load a certificate chain and its key into ctx. */
static int
api_tls_files(SSL_CTX *ctx, const char *cert, const char *key, char **cause)
{
	unsigned long e;
	char buf[256];

	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		e = ERR_get_error();
		ERR_error_string_n(e, buf, sizeof buf);
		ERR_clear_error();
		return util_cause(cause, -EINVAL, "api.tls_cert: %s: cannot "
		    "load the certificate (%s)", cert, buf);
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		e = ERR_get_error();
		ERR_error_string_n(e, buf, sizeof buf);
		ERR_clear_error();
		return util_cause(cause, -EINVAL, "api.tls_key: %s: cannot "
		    "load the key, or it is not tls_cert's (%s)", key, buf);
	}
	return 0;
}

int
api__tls(struct api *api, char **cause)
{
	api->ssl = SSL_CTX_new(TLS_server_method());
	if (api->ssl == NULL)
		return util_cause(cause, -ENOMEM, "api: no TLS context");
	SSL_CTX_set_min_proto_version(api->ssl, TLS1_2_VERSION);
	SSL_CTX_set_options(api->ssl, SSL_OP_NO_COMPRESSION);
	return api_tls_files(api->ssl, api->cfg.tls_cert, api->cfg.tls_key,
	    cause);
}

int
api_tls_check(const struct conf_api *cfg, char **cause)
{
	SSL_CTX *ctx;
	int rc;

	if (cfg->tls_cert == NULL || cfg->tls_key == NULL)
		return 0;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return util_cause(cause, -ENOMEM, "api: no TLS context");
	rc = api_tls_files(ctx, cfg->tls_cert, cfg->tls_key, cause);
	SSL_CTX_free(ctx);
	return rc;
}
