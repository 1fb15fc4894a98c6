/*
 * export_ipfix.c - the IPFIX destination: one collector, over UDP or TCP
 * (see export_int.h; ipfix.c encodes the messages).
 *
 * Sessions.  UDP: one connected socket, so that an ICMP error of the
 * collector's host (port unreachable: nothing listens) comes back as
 * ECONNREFUSED on a later send(), and the bin fails instead of vanishing.
 * TCP: one connection; a bin counts as acknowledged only when the peer's
 * TCP has acknowledged every byte of it (SIOCOUTQ 0 while the connection
 * is established), not merely when write() took it.  After any error the
 * socket is closed and the next bin opens a new one.
 *
 * Templates (RFC 7011 8 and 10.3.6).  Templates are scoped to a session
 * and an observation domain (one per interface, from export.db).  Over
 * TCP they are sent in the first message of each domain in each
 * connection; over UDP in the first message of every bin and again
 * every template_refresh seconds within a long one, so a collector that
 * started (or lost a datagram) between two bins reads the next one whole:
 * 100 bytes a bin.
 *
 * Sequence numbers: per domain, the data records sent before the message
 * in the session.  A new TCP connection starts at 0; over UDP they go on
 * across a re-opened socket (the collector tells exporters apart by
 * address and domain, not by port).
 *
 * Size: over UDP a message fits one datagram of the path MTU (mtu minus
 * the IP and UDP headers), so it is never fragmented; over TCP messages
 * are up to 64 KiB.
 */
#include "config.h"

#include <errno.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "export_int.h"
#include "ipfix.h"
#include "util.h"

#define IX_CONNECT_MS	10000	/* a TCP connect */
#define IX_STALL_MS	30000	/* a TCP peer that takes nothing, or does
				   not acknowledge */
#define IX_UDP_ERR_MS	10	/* after a bin's last datagram: an ICMP
				   error that is on its way */
#define IX_TCP_MESSAGE	65000

struct ix_domain {
	uint32_t	 id;
	uint32_t	 seq;
	uint64_t	 tmpl_ns;	/* templates last sent; 0: not in this
					   session */
};

struct ix {
	char		*url;
	char		*host, *port;
	int		 tcp;
	uint32_t	 mtu;
	uint64_t	 refresh_ns;
	int		 fd;
	int		 v6;		/* the peer's family */
	size_t		 cap;		/* message size */
	uint8_t		*buf;
	struct ix_domain *doms;
	size_t		 ndoms;
};

static int
ix_fail(const struct ix *x, int err, const char *what, char **cause)
{
	return util_cause(cause, err, "%s: %s: %s", x->url, what,
	    strerror(-err));
}

static void
ix_reset(void *arg)
{
	struct ix *x = arg;
	size_t i;

	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	for (i = 0; i < x->ndoms; i++) {
		x->doms[i].tmpl_ns = 0;
		if (x->tcp)
			x->doms[i].seq = 0;
	}
}

/* Wait for fd to be ready for events, in slices that see a cancel. */
static int
ix_wait(int fd, short events, int ms, const struct export_bin *bin)
{
	struct pollfd p = { .fd = fd, .events = events };
	int rc, slice;

	for (; ms > 0; ms -= slice) {
		if (bin != NULL && export_bin_cancelled(bin))
			return -ECANCELED;
		slice = ms > 100 ? 100 : ms;
		rc = poll(&p, 1, slice);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -errno;
	}
	return -ETIMEDOUT;
}

static int
ix_connect(struct ix *x, const struct export_bin *bin, char **cause)
{
	struct addrinfo hints, *res, *ai;
	socklen_t len;
	int fd = -1, rc, err = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = x->tcp ? SOCK_STREAM : SOCK_DGRAM;
	hints.ai_flags = AI_ADDRCONFIG;
	if ((rc = getaddrinfo(x->host, x->port, &hints, &res)) != 0)
		return util_cause(cause, -EHOSTUNREACH, "%s: %s", x->url,
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    (x->tcp ? SOCK_NONBLOCK : 0), ai->ai_protocol);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = -errno;
		if (x->tcp && errno == EINPROGRESS) {
			err = ix_wait(fd, POLLOUT, IX_CONNECT_MS, bin);
			len = sizeof rc;
			if (err == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR,
			    &rc, &len) == 0)
				err = -rc;
			if (err == 0)
				break;
		}
		close(fd);
		fd = -1;
	}
	if (fd >= 0)
		x->v6 = ai->ai_family == AF_INET6;
	freeaddrinfo(res);
	if (fd < 0)
		return ix_fail(x, err ? err : -EHOSTUNREACH, "connect", cause);
	x->fd = fd;
	if (x->tcp)
		x->cap = IX_TCP_MESSAGE;
	else
		x->cap = x->mtu - (x->v6 ? 40 : 20) - 8;
	return 0;
}

static struct ix_domain *
ix_domain(struct ix *x, uint32_t id)
{
	size_t i;

	for (i = 0; i < x->ndoms; i++)
		if (x->doms[i].id == id)
			return &x->doms[i];
	x->doms = util_realloc(x->doms, x->ndoms + 1, sizeof *x->doms);
	memset(&x->doms[x->ndoms], 0, sizeof *x->doms);
	x->doms[x->ndoms].id = id;
	return &x->doms[x->ndoms++];
}

/* Write len bytes, all of them (TCP), or one datagram (UDP). */
static int
ix_write(struct ix *x, const uint8_t *p, size_t len,
    const struct export_bin *bin, char **cause)
{
	ssize_t n;
	int rc;

	while (len > 0) {
		n = send(x->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			if (!x->tcp && (size_t)n != len)
				return ix_fail(x, -EMSGSIZE, "send", cause);
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != ENOBUFS)
			return ix_fail(x, -errno, "send", cause);
		if ((rc = ix_wait(x->fd, POLLOUT, IX_STALL_MS, bin)) != 0)
			return ix_fail(x, rc, "send", cause);
	}
	return 0;
}

/* A message ends: its header, and out it goes. */
static int
ix_flush(struct ix *x, struct ipfix_msg *m, struct ix_domain *d,
    struct export_bin *bin, char **cause)
{
	size_t len;
	int rc;

	len = ipfix_msg_end(m, (uint32_t)time(NULL), d->seq, d->id);
	if ((rc = ix_write(x, x->buf, len, bin, cause)) != 0)
		return rc;
	d->seq += m->records;
	bin->records += m->records;
	bin->messages++;
	bin->bytes += len;
	return 0;
}

/* Start a message, with the templates when they are due. */
static int
ix_begin(struct ix *x, struct ipfix_msg *m, struct ix_domain *d)
{
	uint64_t now = util_now_ns();

	ipfix_msg_begin(m, x->buf, x->cap);
	if (d->tmpl_ns == 0 || (!x->tcp && now - d->tmpl_ns >= x->refresh_ns)) {
		if (ipfix_msg_add_templates(m) != 0)
			return -ENOSPC;		/* cannot be: cap is checked */
		d->tmpl_ns = now ? now : 1;
	}
	return 0;
}

/* The whole bin acknowledged: UDP no error, TCP every byte acked. */
static int
ix_confirm(struct ix *x, const struct export_bin *bin, char **cause)
{
	struct tcp_info ti;
	socklen_t len;
	int err = 0, outq, ms, rc;

	if (!x->tcp) {
		rc = ix_wait(x->fd, POLLERR, IX_UDP_ERR_MS, bin);
		if (rc == -ECANCELED)
			return ix_fail(x, rc, "send", cause);
		len = sizeof err;
		if (getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
		    err != 0)
			return ix_fail(x, -err, "send", cause);
		return 0;
	}
	for (ms = 0; ms < IX_STALL_MS; ms += 5) {
		len = sizeof err;
		if (getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
		    err != 0)
			return ix_fail(x, -err, "connection", cause);
		len = sizeof ti;
		if (getsockopt(x->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
			return ix_fail(x, -errno, "TCP_INFO", cause);
		if (ti.tcpi_state != TCP_ESTABLISHED &&
		    ti.tcpi_state != TCP_CLOSE_WAIT)
			return ix_fail(x, -ECONNRESET, "connection", cause);
		if (ioctl(x->fd, SIOCOUTQ, &outq) != 0)
			return ix_fail(x, -errno, "SIOCOUTQ", cause);
		if (outq == 0)
			return 0;
		if (export_bin_cancelled(bin))
			return ix_fail(x, -ECANCELED, "send", cause);
		usleep(5000);
	}
	return ix_fail(x, -ETIMEDOUT, "the collector acknowledges nothing",
	    cause);
}

static int
ix_send(void *arg, struct export_bin *bin, char **cause)
{
	struct ix *x = arg;
	struct ix_domain *d;
	struct ipfix_record rec;
	struct export_row row;
	struct ipfix_msg m;
	int rc, dir;

	if (x->fd < 0 && (rc = ix_connect(x, bin, cause)) != 0)
		return rc;
	d = ix_domain(x, bin->domain);
	if (!x->tcp)
		d->tmpl_ns = 0;
	ix_begin(x, &m, d);
	memset(&rec, 0, sizeof rec);
	rec.start_ms = (uint64_t)bin->ts * 1000;
	rec.end_ms = ((uint64_t)bin->ts + bin->interval) * 1000;
	while ((rc = export_bin_next(bin, &row)) == 1) {
		rec.family = row.family;
		memcpy(rec.sip, row.sip, sizeof rec.sip);
		memcpy(rec.dip, row.dip, sizeof rec.dip);
		rec.dport = row.dport;
		rec.proto = row.proto;
		rec.vlan = row.vlan;
		for (dir = IPFIX_INGRESS; dir <= IPFIX_EGRESS; dir++) {
			rec.direction = (uint8_t)dir;
			rec.octets = dir == IPFIX_INGRESS ? row.bytes_rcvd :
			    row.bytes_sent;
			rec.packets = dir == IPFIX_INGRESS ? row.pkts_rcvd :
			    row.pkts_sent;
			if (rec.packets == 0 && rec.octets == 0)
				continue;
			if (ipfix_msg_add_record(&m, &rec) == 0)
				continue;
			if ((rc = ix_flush(x, &m, d, bin, cause)) != 0)
				return rc;
			ix_begin(x, &m, d);
			ipfix_msg_add_record(&m, &rec);
		}
	}
	if (rc == -ECANCELED)
		return ix_fail(x, rc, "send", cause);
	if (rc < 0) {
		rc = util_cause(cause, rc, "%s", bin->cause);
		return rc;
	}
	if (m.records > 0 && (rc = ix_flush(x, &m, d, bin, cause)) != 0)
		return rc;
	if (bin->messages == 0)
		return 0;	/* an empty bin: nothing to confirm */
	return ix_confirm(x, bin, cause);
}

static void
ix_free(void *arg)
{
	struct ix *x = arg;

	if (x == NULL)
		return;
	ix_reset(x);
	free(x->url);
	free(x->host);
	free(x->port);
	free(x->buf);
	free(x->doms);
	free(x);
}

const struct export_driver export_ipfix_driver = {
	.kind = "ipfix",
	.send = ix_send,
	.reset = ix_reset,
	.free = ix_free,
};

int
export_ipfix_new(const char *url, const struct conf_export_ipfix *cfg,
    void **out, char **cause)
{
	struct ix *x = util_calloc(1, sizeof *x);
	int rc;

	x->fd = -1;
	if ((rc = ipfix_parse_url(url, &x->tcp, &x->host, &x->port,
	    cause)) != 0) {
		free(x);
		return rc;
	}
	x->url = util_strdup(url);
	x->mtu = cfg->mtu;
	x->refresh_ns = (uint64_t)cfg->template_refresh * 1000000000ull;
	x->buf = util_malloc(IPFIX_MESSAGE_MAX);
	*out = x;
	return 0;
}
