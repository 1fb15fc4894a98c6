/*
 * tap.c - packet relay: GET /tap/{iface}?filter=F&snaplen=N&count=N&
 * seconds=N (see tap.h), the capture side of packeteur inside flowrecd.
 *
 * Each tap opens an AF_PACKET socket of its own: the filter, compiled by
 * libpcap on a dead handle of the interface's link type, is attached
 * before the socket is bound, so nothing unfiltered is ever read; the
 * recording's TPACKET ring is not touched.  The socket is read on the
 * loop (uv_poll, at most TAP_BURST packets a wakeup) into a byte ring of
 * TAP_QUEUE bytes holding the pcapng blocks to send; the ring is sent as
 * a chunked HTTP answer one contiguous span at a time (api_stream_send(),
 * the span stays put until libh2o asks for more).  A packet that does not
 * fit, or is past api.tap_rate / api.tap_bytes, is dropped and counted:
 * a slow client costs its own packets and nothing else.
 *
 * The stream is pcapng: a section header, one interface description
 * (if_name, nanosecond timestamps), an enhanced packet block a packet
 * and, when the tap ends (count, seconds, the daemon stopping), an
 * interface statistics block whose isb_ifdrop is the packets dropped
 * and whose comment says why; flowctl reports it.  TAP_RESERVE bytes of
 * the ring are kept for that last block.
 *
 * A client that goes away ends its tap at once: libh2o stops the stream
 * on a failed write, and a timer peeks at the socket of an idle one.
 */
#include "config.h"

#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "taps.h"
#include "util.h"

#define TAP_QUEUE	(1u << 20)	/* bytes of blocks waiting per tap */
#define TAP_RESERVE	512		/* kept for the statistics block */
#define TAP_BURST	256		/* packets read per wakeup */
#define TAP_TICK_MS	200		/* peer check, seconds, stop grace */
#define TAP_GRACE_MS	2000		/* a stopping tap's client, at most */
#define TAP_SNAPLEN	65535
#define TAP_RCVBUF	(4 << 20)	/* the tap socket's buffer */

#define LINKTYPE_ETHERNET	1
#define LINKTYPE_RAW		101

/* The kernel's struct sock_fprog; libpcap's bpf_insn is sock_filter. */
struct tap_fprog {
	unsigned short	 len;
	struct bpf_insn	*filter;
};

struct tap {
	struct tapset	*set;
	struct tap	*prev, *next;
	uint64_t	 id;
	char		 iface[IFNAMSIZ];
	char		*filter;
	int		 linktype;	/* of the pcapng file */
	uint32_t	 snaplen;
	uint64_t	 count;		/* 0: no limit */
	uint64_t	 deadline_ms;	/* loop time; 0: none */
	uint64_t	 stop_ms;	/* tapset_stop()'s time; 0: running */
	int64_t		 started_ns;

	int		 fd;
	uv_poll_t	 poll;
	uv_timer_t	 timer;
	int		 polling, open_handles;

	struct api_req	*r;		/* NULL once the stream ended */
	int		 ending;	/* the statistics block is queued */

	uint8_t		*ring;
	size_t		 tail, used, sending;

	double		 tok_pkts, tok_bytes;
	uint64_t	 tok_ms;
	uint32_t	 rate;
	uint64_t	 byte_rate;

	uint64_t	 seen, packets, bytes, drops_queue, drops_limit;
	uint64_t	 drops_socket;	/* the kernel's, socket buffer full */
};

struct tapset {
	uv_loop_t	*loop;
	struct tap	*taps;
	uint64_t	 next_id;
	size_t		 ntaps;
	int		 stopping;
	struct tap_totals tot;
	uint8_t		 buf[TAP_SNAPLEN];
};

static const struct api_stream_ops tap_ops;

/* ------------------------------------------------------------ the ring */

static size_t
tap_free_bytes(const struct tap *t)
{
	return TAP_QUEUE - t->used;
}

static void
tap_put(struct tap *t, const void *p, size_t len)
{
	size_t head = (t->tail + t->used) % TAP_QUEUE, n;

	n = len < TAP_QUEUE - head ? len : TAP_QUEUE - head;
	memcpy(t->ring + head, p, n);
	memcpy(t->ring, (const uint8_t *)p + n, len - n);
	t->used += len;
}

static void
tap_put32(struct tap *t, uint32_t v)
{
	tap_put(t, &v, 4);
}

static void
tap_pad(struct tap *t, size_t len)
{
	static const uint8_t zero[4];

	tap_put(t, zero, (4 - len % 4) % 4);
}

#define PAD4(n)	(((n) + 3) & ~(size_t)3)

/* An option: code, length, value, padding. */
static void
tap_opt(struct tap *t, uint16_t code, const void *v, size_t len)
{
	uint16_t h[2] = { code, (uint16_t)len };

	tap_put(t, h, 4);
	tap_put(t, v, len);
	tap_pad(t, len);
}

static void
tap_put_header(struct tap *t)
{
	uint32_t shb[7] = { 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0xffffffff,
	    0xffffffff, 28 };
	uint8_t resol = 9;
	size_t nlen = strlen(t->iface);
	uint32_t len = 20 + 4 + (uint32_t)PAD4(nlen) + 8 + 4;
	uint16_t lt[2] = { (uint16_t)t->linktype, 0 };

	tap_put(t, shb, sizeof shb);
	tap_put32(t, 1);
	tap_put32(t, len);
	tap_put(t, lt, 4);
	tap_put32(t, t->snaplen);
	tap_opt(t, 2, t->iface, nlen);		/* if_name */
	tap_opt(t, 9, &resol, 1);		/* if_tsresol: ns */
	tap_put32(t, 0);			/* opt_endofopt */
	tap_put32(t, len);
}

static uint64_t
tap_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The interface statistics block: what was dropped, and why. */
static void
tap_put_stats(struct tap *t)
{
	char comment[200];
	uint64_t now = tap_now_ns(), drops = t->drops_queue + t->drops_limit +
	    t->drops_socket;
	size_t clen;
	uint32_t len;

	snprintf(comment, sizeof comment, "flowrecd tap %s: %llu packets "
	    "relayed, %llu dropped (%llu queue, %llu limit, %llu socket)",
	    t->iface, (unsigned long long)t->packets,
	    (unsigned long long)drops, (unsigned long long)t->drops_queue,
	    (unsigned long long)t->drops_limit,
	    (unsigned long long)t->drops_socket);
	clen = strlen(comment);
	len = 20 + 3 * 12 + 4 + (uint32_t)PAD4(clen) + 4 + 4;
	tap_put32(t, 5);
	tap_put32(t, len);
	tap_put32(t, 0);
	tap_put32(t, (uint32_t)(now >> 32));
	tap_put32(t, (uint32_t)now);
	tap_opt(t, 5, &drops, 8);		/* isb_ifdrop */
	tap_opt(t, 6, &t->seen, 8);		/* isb_filteraccept */
	tap_opt(t, 8, &t->packets, 8);		/* isb_usrdeliv */
	tap_opt(t, 1, comment, clen);		/* opt_comment */
	tap_put32(t, 0);
	tap_put32(t, len);
}

/* ------------------------------------------------------- lifecycle */

static void
tap_closed(uv_handle_t *h)
{
	struct tap *t = h->data;

	if (--t->open_handles > 0)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t->filter);
	free(t->ring);
	free(t);
}

/* The stream is over (ended or stopped): let go of everything. */
static void
tap_close(struct tap *t)
{
	struct tapset *s = t->set;

	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		s->taps = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	s->ntaps--;
	s->tot.active = s->ntaps;
	log_info("tap %llu on %s ended: %llu packets, %llu bytes, %llu "
	    "dropped (%llu queue, %llu limit, %llu socket)",
	    (unsigned long long)t->id, t->iface,
	    (unsigned long long)t->packets, (unsigned long long)t->bytes,
	    (unsigned long long)(t->drops_queue + t->drops_limit +
	    t->drops_socket), (unsigned long long)t->drops_queue,
	    (unsigned long long)t->drops_limit,
	    (unsigned long long)t->drops_socket);
	uv_close((uv_handle_t *)&t->poll, tap_closed);
	uv_close((uv_handle_t *)&t->timer, tap_closed);
}

/* Send what is queued; the end once all of it went. */
static void
tap_kick(struct tap *t)
{
	struct api_req *r = t->r;
	size_t span;

	if (r == NULL || t->sending > 0)
		return;
	if (t->used > 0) {
		span = t->used < TAP_QUEUE - t->tail ? t->used :
		    TAP_QUEUE - t->tail;
		t->sending = span;
		api_stream_send(r, t->ring + t->tail, span, 0);
		return;
	}
	if (t->ending) {
		t->r = NULL;
		api_stream_send(r, NULL, 0, 1);
		tap_close(t);
	}
}

static void
tap_proceed(void *arg)
{
	struct tap *t = arg;

	t->tail = (t->tail + t->sending) % TAP_QUEUE;
	t->used -= t->sending;
	t->sending = 0;
	tap_kick(t);
}

/* The client went away: the request is gone. */
static void
tap_stopped(void *arg)
{
	struct tap *t = arg;

	t->r = NULL;
	tap_close(t);
}

static const struct api_stream_ops tap_ops = { tap_proceed, tap_stopped };

/* What the kernel dropped since the last call: the socket's buffer full. */
static void
tap_socket_drops(struct tap *t)
{
	struct tpacket_stats st;
	socklen_t len = sizeof st;

	if (t->fd < 0 || getsockopt(t->fd, SOL_PACKET, PACKET_STATISTICS, &st,
	    &len) != 0)
		return;
	t->drops_socket += st.tp_drops;
	t->set->tot.drops_socket += st.tp_drops;
}

/* No more packets: the statistics block, then the end of the stream. */
static void
tap_end(struct tap *t)
{
	if (t->ending || t->r == NULL)
		return;
	t->ending = 1;
	tap_socket_drops(t);
	if (t->polling) {
		uv_poll_stop(&t->poll);
		t->polling = 0;
	}
	tap_put_stats(t);
	tap_kick(t);
}

/* ------------------------------------------------------- packets */

/* 0 IPv4, 1 IPv6, 2 anything else. */
static int
tap_family(const struct tap *t, const uint8_t *p, size_t len)
{
	size_t off = 12;
	unsigned et;

	if (t->linktype == LINKTYPE_RAW)
		return len < 1 ? 2 : p[0] >> 4 == 4 ? 0 : p[0] >> 4 == 6 ?
		    1 : 2;
	for (;;) {
		if (len < off + 2)
			return 2;
		et = (unsigned)p[off] << 8 | p[off + 1];
		if (et != ETH_P_8021Q && et != ETH_P_8021AD)
			break;
		off += 4;
	}
	return et == ETH_P_IP ? 0 : et == ETH_P_IPV6 ? 1 : 2;
}

static int
tap_limit_ok(struct tap *t, size_t bytes)
{
	uint64_t now = uv_now(t->set->loop);
	double dt = (double)(now - t->tok_ms) / 1000.0;

	t->tok_ms = now;
	t->tok_pkts += dt * t->rate;
	if (t->tok_pkts > t->rate)
		t->tok_pkts = t->rate;
	t->tok_bytes += dt * (double)t->byte_rate;
	if (t->tok_bytes > (double)t->byte_rate)
		t->tok_bytes = (double)t->byte_rate;
	if (t->tok_pkts < 1 || t->tok_bytes < (double)bytes)
		return 0;
	t->tok_pkts -= 1;
	t->tok_bytes -= (double)bytes;
	return 1;
}

static void
tap_packet(struct tap *t, const uint8_t *p, size_t caplen, size_t len,
    uint64_t ns)
{
	struct tap_totals *tot = &t->set->tot;
	struct tap_family *f;
	size_t blen = 32 + PAD4(caplen);
	uint32_t h[7];
	int b;

	t->seen++;
	if (!tap_limit_ok(t, caplen)) {
		t->drops_limit++;
		tot->drops_limit++;
		return;
	}
	if (tap_free_bytes(t) < blen + TAP_RESERVE) {
		t->drops_queue++;
		tot->drops_queue++;
		return;
	}
	h[0] = 6;
	h[1] = (uint32_t)blen;
	h[2] = 0;
	h[3] = (uint32_t)(ns >> 32);
	h[4] = (uint32_t)ns;
	h[5] = (uint32_t)caplen;
	h[6] = (uint32_t)len;
	tap_put(t, h, sizeof h);
	tap_put(t, p, caplen);
	tap_pad(t, caplen);
	tap_put32(t, (uint32_t)blen);
	t->packets++;
	t->bytes += len;
	f = &tot->fam[tap_family(t, p, caplen)];
	f->packets++;
	f->bytes += len;
	for (b = 0; b < TAP_HIST_BUCKETS && len > (size_t)64 << b; b++)
		;
	f->hist[b]++;
	if (t->count > 0 && t->packets >= t->count)
		tap_end(t);
}

static void
tap_readable(uv_poll_t *h, int status, int events)
{
	struct tap *t = h->data;
	uint8_t *buf = t->set->buf;
	union {
		struct cmsghdr	 c;
		char		 b[CMSG_SPACE(sizeof(struct timespec))];
	} cm;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *c;
	struct timespec ts;
	uint64_t ns;
	ssize_t n;
	int i;

	(void)events;
	if (status < 0) {
		tap_end(t);
		return;
	}
	for (i = 0; i < TAP_BURST && !t->ending && t->r != NULL; i++) {
		iov.iov_base = buf;
		iov.iov_len = t->snaplen;
		memset(&mh, 0, sizeof mh);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = &cm;
		mh.msg_controllen = sizeof cm;
		n = recvmsg(t->fd, &mh, MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR))
			break;
		if (n < 0) {
			/* the interface went down or away: the tap ends */
			log_info("tap %llu on %s: %s", (unsigned long long)t->id,
			    t->iface, strerror(errno));
			tap_end(t);
			return;
		}
		ns = 0;
		for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh,
		    c))
			if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SCM_TIMESTAMPNS) {
				memcpy(&ts, CMSG_DATA(c), sizeof ts);
				ns = (uint64_t)ts.tv_sec * 1000000000u +
				    (uint64_t)ts.tv_nsec;
			}
		if (ns == 0)
			ns = tap_now_ns();
		tap_packet(t, buf, (size_t)n < t->snaplen ? (size_t)n :
		    t->snaplen, (size_t)n, ns);
	}
	tap_kick(t);
}

static void
tap_tick(uv_timer_t *h)
{
	struct tap *t = h->data;
	uint64_t now = uv_now(t->set->loop);

	if (t->r == NULL)
		return;
	if (!t->ending)
		tap_socket_drops(t);
	if (api_stream_peer_closed(t->r)) {
		/* Nobody reads: the rest goes nowhere. */
		t->used = t->sending;
		t->ending = 1;
		if (t->sending == 0) {
			tap_kick(t);
			return;
		}
		api_stream_abort(t->r);
		return;
	}
	if (t->deadline_ms > 0 && now >= t->deadline_ms)
		tap_end(t);
	if (t->stop_ms > 0 && now >= t->stop_ms + TAP_GRACE_MS && t->r != NULL)
		api_stream_abort(t->r);
}

/* ------------------------------------------------------- starting */

/* A number query parameter in [0, max]; -1 with the answer sent. */
static int
tap_param(struct api_req *r, const char *name, uint64_t max, uint64_t def,
    uint64_t *out)
{
	const char *v = api_req_query(r, name);
	char *end;
	unsigned long long n;

	*out = def;
	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (*end != '\0' || errno != 0 || n > max || v[0] == '-') {
		api_reply_error(r, 400, "%s: want a number from 0 to %llu, "
		    "not '%s'", name, (unsigned long long)max, v);
		return -1;
	}
	*out = n;
	return 0;
}

/* The socket, its link type and the compiled filter attached; unbound. */
static int
tap_open(struct tap *t, struct api_req *r, unsigned ifindex)
{
	struct sockaddr_ll sll;
	struct bpf_program prog;
	struct tap_fprog fp;
	struct ifreq ifr;
	pcap_t *p;
	int dlt, one = 1, rcvbuf = TAP_RCVBUF;

	t->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		api_reply_error(r, 500, "tap: socket: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", t->iface);
	if (ioctl(t->fd, SIOCGIFHWADDR, &ifr) != 0) {
		api_reply_error(r, 404, "%s: %s", t->iface, strerror(errno));
		return -1;
	}
	switch (ifr.ifr_hwaddr.sa_family) {
	case ARPHRD_ETHER:
	case ARPHRD_LOOPBACK:
		dlt = DLT_EN10MB;
		t->linktype = LINKTYPE_ETHERNET;
		break;
	case ARPHRD_NONE:
#ifdef ARPHRD_RAWIP
	case ARPHRD_RAWIP:
#endif
		dlt = DLT_RAW;
		t->linktype = LINKTYPE_RAW;
		break;
	default:
		api_reply_error(r, 400, "%s: link type %u is not supported by "
		    "taps", t->iface, ifr.ifr_hwaddr.sa_family);
		return -1;
	}
	if ((p = pcap_open_dead(dlt, (int)t->snaplen)) == NULL) {
		api_reply_error(r, 500, "tap: pcap_open_dead failed");
		return -1;
	}
	if (pcap_compile(p, &prog, t->filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		api_reply_error(r, 400, "filter: %s", pcap_geterr(p));
		pcap_close(p);
		return -1;
	}
	pcap_close(p);
	fp.len = (unsigned short)prog.bf_len;
	fp.filter = prog.bf_insns;
	if (setsockopt(t->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp,
	    sizeof fp) != 0) {
		api_reply_error(r, 500, "tap: SO_ATTACH_FILTER: %s",
		    strerror(errno));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	(void)setsockopt(t->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
	/* Bursts wait in the socket until the loop reads them (root: past
	   rmem_max); what still overflows is counted (PACKET_STATISTICS). */
	if (setsockopt(t->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof rcvbuf) != 0)
		(void)setsockopt(t->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof rcvbuf);
	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)ifindex;
	if (bind(t->fd, (struct sockaddr *)&sll, sizeof sll) != 0) {
		api_reply_error(r, 500, "tap: bind %s: %s", t->iface,
		    strerror(errno));
		return -1;
	}
	return 0;
}

void
tap_start(struct tapset *s, struct api_req *r, const struct conf_api *cfg,
    const char *iface)
{
	struct tap *t;
	const char *f;
	uint64_t snaplen, count, seconds;
	unsigned ifindex;
	char idbuf[24];

	if (!cfg->tap) {
		s->tot.refused++;
		api_reply_error(r, 403, "taps are off (api.tap: false)");
		return;
	}
	if (s->stopping) {
		api_reply_error(r, 503, "flowrecd is stopping");
		return;
	}
	if (s->ntaps >= cfg->max_taps) {
		s->tot.refused++;
		api_reply_error(r, 429, "%zu taps are running (api.max_taps); "
		    "try again later", s->ntaps);
		return;
	}
	if (strlen(iface) >= IFNAMSIZ ||
	    (ifindex = if_nametoindex(iface)) == 0) {
		api_reply_error(r, 404, "%s: no such interface", iface);
		return;
	}
	if (tap_param(r, "snaplen", TAP_SNAPLEN, TAP_SNAPLEN, &snaplen) != 0 ||
	    tap_param(r, "count", 1000000000, 0, &count) != 0 ||
	    tap_param(r, "seconds", 86400 * 366, 0, &seconds) != 0)
		return;
	if (snaplen < 16) {
		api_reply_error(r, 400, "snaplen: at least 16");
		return;
	}
	f = api_req_query(r, "filter");
	t = util_calloc(1, sizeof *t);
	t->set = s;
	t->fd = -1;
	snprintf(t->iface, sizeof t->iface, "%s", iface);
	t->filter = util_strdup(f != NULL ? f : "");
	t->snaplen = (uint32_t)snaplen;
	t->count = count;
	if (tap_open(t, r, ifindex) != 0) {
		if (t->fd >= 0)
			close(t->fd);
		free(t->filter);
		free(t);
		return;
	}
	t->id = ++s->next_id;
	t->r = r;
	t->ring = util_malloc(TAP_QUEUE);
	t->rate = cfg->tap_rate;
	t->byte_rate = cfg->tap_bytes;
	t->tok_pkts = t->rate;
	t->tok_bytes = (double)t->byte_rate;
	t->tok_ms = uv_now(s->loop);
	t->started_ns = (int64_t)tap_now_ns();
	if (seconds > 0)
		t->deadline_ms = uv_now(s->loop) + seconds * 1000;
	uv_poll_init(s->loop, &t->poll, t->fd);
	uv_timer_init(s->loop, &t->timer);
	t->poll.data = t->timer.data = t;
	t->open_handles = 2;
	t->next = s->taps;
	if (s->taps != NULL)
		s->taps->prev = t;
	s->taps = t;
	s->ntaps++;
	s->tot.started++;
	s->tot.active = s->ntaps;
	log_info("tap %llu on %s started: filter '%s', snaplen %u, count "
	    "%llu, seconds %llu", (unsigned long long)t->id, t->iface,
	    t->filter, t->snaplen, (unsigned long long)count,
	    (unsigned long long)seconds);
	tap_put_header(t);
	snprintf(idbuf, sizeof idbuf, "%llu", (unsigned long long)t->id);
	api_stream_header(r, TAP_ID_HEADER, idbuf);
	if (api_stream_start(r, "application/x-pcapng", &tap_ops, t) != 0) {
		t->r = NULL;
		tap_close(t);
		return;
	}
	uv_poll_start(&t->poll, UV_READABLE, tap_readable);
	t->polling = 1;
	uv_timer_start(&t->timer, tap_tick, TAP_TICK_MS, TAP_TICK_MS);
	tap_kick(t);
}

/* ------------------------------------------------------- the set */

struct tapset *
tapset_new(uv_loop_t *loop)
{
	struct tapset *s = util_calloc(1, sizeof *s);

	s->loop = loop;
	return s;
}

void
tapset_stop(struct tapset *s)
{
	struct tap *t, *next;

	if (s == NULL)
		return;
	s->stopping = 1;
	for (t = s->taps; t != NULL; t = next) {
		next = t->next;
		t->stop_ms = uv_now(s->loop);
		tap_end(t);	/* may close t */
	}
}

void
tapset_free(struct tapset *s)
{
	free(s);
}

void
tapset_totals(const struct tapset *s, struct tap_totals *out)
{
	if (s == NULL) {
		memset(out, 0, sizeof *out);
		return;
	}
	*out = s->tot;
}

size_t
tapset_list(const struct tapset *s, struct tap_info **out)
{
	const struct tap *t;
	size_t n = 0;

	*out = NULL;
	if (s == NULL || s->ntaps == 0)
		return 0;
	*out = util_calloc(s->ntaps, sizeof **out);
	for (t = s->taps; t != NULL && n < s->ntaps; t = t->next, n++) {
		(*out)[n].id = t->id;
		snprintf((*out)[n].iface, sizeof (*out)[n].iface, "%s",
		    t->iface);
		(*out)[n].filter = util_strdup(t->filter);
		(*out)[n].started_ns = t->started_ns;
		(*out)[n].packets = t->packets;
		(*out)[n].bytes = t->bytes;
		(*out)[n].drops_queue = t->drops_queue;
		(*out)[n].drops_limit = t->drops_limit;
		(*out)[n].drops_socket = t->drops_socket;
		(*out)[n].queued_bytes = t->used;
	}
	return n;
}

void
tap_metrics(FILE *f, const struct tap_totals *t)
{
	static const char *fam[3] = { "IPv4", "IPv6", "other" };
	uint64_t cum;
	int i, b;

	fputs("# HELP flowrec_tap_packets_total Packets relayed by taps "
	    "(flowctl tap).\n# TYPE flowrec_tap_packets_total counter\n", f);
	for (i = 0; i < 3; i++)
		fprintf(f, "flowrec_tap_packets_total{address_family=\"%s\"} "
		    "%llu\n", fam[i], (unsigned long long)t->fam[i].packets);
	fputs("# HELP flowrec_tap_packet_bytes Sizes of the packets relayed "
	    "by taps, on the wire.\n# TYPE flowrec_tap_packet_bytes "
	    "histogram\n", f);
	for (i = 0; i < 3; i++) {
		cum = 0;
		for (b = 0; b < TAP_HIST_BUCKETS; b++) {
			cum += t->fam[i].hist[b];
			fprintf(f, "flowrec_tap_packet_bytes_bucket{address_family="
			    "\"%s\",le=\"%u\"} %llu\n", fam[i], 64u << b,
			    (unsigned long long)cum);
		}
		fprintf(f, "flowrec_tap_packet_bytes_bucket{address_family="
		    "\"%s\",le=\"+Inf\"} %llu\n", fam[i],
		    (unsigned long long)t->fam[i].packets);
		fprintf(f, "flowrec_tap_packet_bytes_sum{address_family="
		    "\"%s\"} %llu\n", fam[i],
		    (unsigned long long)t->fam[i].bytes);
		fprintf(f, "flowrec_tap_packet_bytes_count{address_family="
		    "\"%s\"} %llu\n", fam[i],
		    (unsigned long long)t->fam[i].packets);
	}
	fprintf(f, "# HELP flowrec_tap_dropped_total Packets taps dropped: "
	    "a client too slow (queue), past api.tap_rate/tap_bytes "
	    "(limit), the tap socket's buffer full (socket).\n"
	    "# TYPE flowrec_tap_dropped_total counter\n"
	    "flowrec_tap_dropped_total{reason=\"queue\"} %llu\n"
	    "flowrec_tap_dropped_total{reason=\"limit\"} %llu\n"
	    "flowrec_tap_dropped_total{reason=\"socket\"} %llu\n",
	    (unsigned long long)t->drops_queue,
	    (unsigned long long)t->drops_limit,
	    (unsigned long long)t->drops_socket);
	fprintf(f, "# HELP flowrec_taps_active Taps running now.\n"
	    "# TYPE flowrec_taps_active gauge\nflowrec_taps_active %llu\n"
	    "# HELP flowrec_taps_started_total Taps started.\n"
	    "# TYPE flowrec_taps_started_total counter\n"
	    "flowrec_taps_started_total %llu\n"
	    "# HELP flowrec_taps_refused_total Taps refused: api.tap off or "
	    "api.max_taps reached.\n"
	    "# TYPE flowrec_taps_refused_total counter\n"
	    "flowrec_taps_refused_total %llu\n",
	    (unsigned long long)t->active, (unsigned long long)t->started,
	    (unsigned long long)t->refused);
}

void
tap_info_free(struct tap_info *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].filter);
	free(v);
}
