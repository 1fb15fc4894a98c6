/*
 * tapcli.c - `flowctl tap` (see tapcli.h): the streams of GET /tap/{iface}
 * from every host at once over libcurl's multi interface, each parsed as
 * the pcapng flowrecd sends (tap.c: a section header, one interface, its
 * packets, a statistics block at the end), merged into one output.
 *
 * Merging: each host's packets come in time order, so a packet goes out
 * when it is the earliest of all queued and either every running host has
 * one queued (nothing earlier can come) or it has waited TAPCLI_WINDOW_MS
 * (a quiet host does not hold the others up).  Packets of two hosts more
 * than that window apart in transit can leave out of order; that is the
 * price of a live stream.  Every packet is written whole and flushed, so
 * `tcpdump -r -` reads it at once and the file is valid whenever the
 * program stops (count, seconds, the streams' end, SIGINT or SIGTERM).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "tapcli.h"
#include "taps.h"
#include "util.h"

#define TAPCLI_WINDOW_MS	300
#define TAPCLI_MAX_BLOCK	(1u << 20)
#define TAPCLI_GRACE_S		10	/* past -G: the hosts' own end */

#define LINKTYPE_ETHERNET	1

struct tapcli_pkt {
	struct tapcli_pkt *next;
	uint64_t	 ts_ns;
	uint64_t	 arrived_ms;
	uint32_t	 caplen, origlen;
	uint8_t		 data[];
};

struct tapcli_src {
	const struct hosts_target *t;
	CURL		*e;
	struct curl_slist *hdrs;
	char		*url;
	char		*label;		/* host:iface */
	char		 errbuf[CURL_ERROR_SIZE];
	long		 status;
	char		*err;		/* a non-200 body */
	size_t		 errlen;
	uint8_t		*in;
	size_t		 inlen, incap;
	int		 have_idb;
	uint16_t	 linktype;
	uint32_t	 snaplen;
	int		 tsresol;	/* 10^-tsresol s */
	struct tapcli_pkt *head, *tail;
	int		 done, broken, have_stats;
	uint64_t	 received, drops, relayed;
	char		*comment;
	uint32_t	 out_ifid;
	int		 out_idb;	/* written to the output */
	long long	 tap_id;	/* TAP_ID_HEADER; 0: none */
	int		 have_live;	/* live_* from GET /status */
	uint64_t	 live_packets, live_queue, live_limit, live_socket;
};

struct tapcli {
	const struct tapcli_opts *o;
	struct tapcli_src *src;
	size_t		 n;
	FILE		*out;
	int		 out_header;
	uint16_t	 out_linktype;
	uint32_t	 next_ifid;
	uint64_t	 emitted;
	int		 full;		/* count reached */
};

static volatile sig_atomic_t tapcli_signal;

static void
tapcli_on_signal(int sig)
{
	tapcli_signal = sig;
}

static uint64_t
tapcli_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t
rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* ------------------------------------------------------------ output */

static void
tapcli_put(struct tapcli *c, const void *p, size_t len)
{
	if (fwrite(p, 1, len, c->out) != len) {
		fprintf(stderr, "flowctl: tap: write: %s\n", strerror(errno));
		exit(1);
	}
}

static void
tapcli_opt(struct tapcli *c, uint16_t code, const void *v, size_t len)
{
	static const uint8_t zero[4];
	uint16_t h[2] = { code, (uint16_t)len };

	tapcli_put(c, h, 4);
	tapcli_put(c, v, len);
	tapcli_put(c, zero, (4 - len % 4) % 4);
}

#define PAD4(n)	(((n) + 3) & ~(size_t)3)

static void
tapcli_header(struct tapcli *c, uint16_t linktype)
{
	uint32_t ph[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, linktype };
	uint32_t shb[7] = { 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0xffffffff,
	    0xffffffff, 28 };

	if (c->out_header)
		return;
	c->out_header = 1;
	c->out_linktype = linktype;
	if (c->o->pcapng)
		tapcli_put(c, shb, sizeof shb);
	else
		tapcli_put(c, ph, sizeof ph);
	fflush(c->out);
}

/* pcapng: the host's interface, named host:iface. */
static void
tapcli_idb(struct tapcli *c, struct tapcli_src *s)
{
	size_t nlen = strlen(s->label);
	uint32_t len = 16 + 4 + (uint32_t)PAD4(nlen) + 8 + 4 + 4, v;
	uint8_t resol = 9;
	uint16_t lt[2] = { s->linktype, 0 };

	tapcli_header(c, s->linktype);
	if (!c->o->pcapng || s->out_idb)
		return;
	s->out_idb = 1;
	s->out_ifid = c->next_ifid++;
	v = 1;
	tapcli_put(c, &v, 4);
	tapcli_put(c, &len, 4);
	tapcli_put(c, lt, 4);
	tapcli_put(c, &s->snaplen, 4);
	tapcli_opt(c, 2, s->label, nlen);
	tapcli_opt(c, 9, &resol, 1);
	v = 0;
	tapcli_put(c, &v, 4);
	tapcli_put(c, &len, 4);
	fflush(c->out);
}

static void
tapcli_write_pkt(struct tapcli *c, struct tapcli_src *s,
    const struct tapcli_pkt *p)
{
	static const uint8_t zero[4];
	uint32_t h[7];
	size_t blen;

	tapcli_idb(c, s);
	if (c->o->pcapng) {
		blen = 32 + PAD4(p->caplen);
		h[0] = 6;
		h[1] = (uint32_t)blen;
		h[2] = s->out_ifid;
		h[3] = (uint32_t)(p->ts_ns >> 32);
		h[4] = (uint32_t)p->ts_ns;
		h[5] = p->caplen;
		h[6] = p->origlen;
		tapcli_put(c, h, 28);
		tapcli_put(c, p->data, p->caplen);
		tapcli_put(c, zero, PAD4(p->caplen) - p->caplen);
		tapcli_put(c, &h[1], 4);
	} else {
		if (s->linktype != c->out_linktype) {
			/* pcap has one link type: --pcapng has several */
			return;
		}
		h[0] = (uint32_t)(p->ts_ns / 1000000000u);
		h[1] = (uint32_t)(p->ts_ns % 1000000000u / 1000u);
		h[2] = p->caplen;
		h[3] = p->origlen;
		tapcli_put(c, h, 16);
		tapcli_put(c, p->data, p->caplen);
	}
	fflush(c->out);
	c->emitted++;
	if (c->o->count > 0 && c->emitted >= c->o->count)
		c->full = 1;
}

/* pcapng: each host's statistics, as its tap reported them. */
static void
tapcli_isb(struct tapcli *c, struct tapcli_src *s)
{
	uint32_t v, len;
	size_t clen;

	if (!c->o->pcapng || !s->out_idb || !s->have_stats)
		return;
	clen = s->comment != NULL ? strlen(s->comment) : 0;
	len = 12 + 8 + 12 + 12 + (clen ? 4 + (uint32_t)PAD4(clen) : 0) + 4 +
	    4;
	v = 5;
	tapcli_put(c, &v, 4);
	tapcli_put(c, &len, 4);
	tapcli_put(c, &s->out_ifid, 4);
	v = 0;
	tapcli_put(c, &v, 4);
	tapcli_put(c, &v, 4);
	tapcli_opt(c, 5, &s->drops, 8);
	tapcli_opt(c, 8, &s->relayed, 8);
	if (clen)
		tapcli_opt(c, 1, s->comment, clen);
	tapcli_put(c, &v, 4);
	tapcli_put(c, &len, 4);
}

/* ------------------------------------------------------------ input */

static int
tapcli_block(struct tapcli_src *s, const uint8_t *b, uint32_t len)
{
	uint32_t type = rd32(b), caplen, off;
	uint16_t code, olen;
	struct tapcli_pkt *p;
	uint64_t ts, v;

	switch (type) {
	case 0x0A0D0D0A:
		if (len < 28 || rd32(b + 8) != 0x1A2B3C4D)
			return -1;
		return 0;
	case 1:
		if (len < 20)
			return -1;
		s->have_idb = 1;
		s->linktype = rd16(b + 8);
		s->snaplen = rd32(b + 12);
		s->tsresol = 6;
		for (off = 16; off + 4 <= len - 4; off += 4 + (uint32_t)
		    PAD4(olen)) {
			code = rd16(b + off);
			olen = rd16(b + off + 2);
			if (code == 0)
				break;
			if (code == 9 && olen >= 1 && off + 5 <= len - 4)
				s->tsresol = b[off + 4] & 0x7f;
		}
		return 0;
	case 6:
		if (len < 32 || !s->have_idb)
			return -1;
		caplen = rd32(b + 20);
		if (caplen > len - 32)
			return -1;
		ts = (uint64_t)rd32(b + 12) << 32 | rd32(b + 16);
		if (s->tsresol == 6)
			ts *= 1000;
		else if (s->tsresol != 9)
			return -1;
		p = util_malloc(sizeof *p + caplen);
		p->next = NULL;
		p->ts_ns = ts;
		p->arrived_ms = tapcli_ms();
		p->caplen = caplen;
		p->origlen = rd32(b + 24);
		memcpy(p->data, b + 28, caplen);
		if (s->tail != NULL)
			s->tail->next = p;
		else
			s->head = p;
		s->tail = p;
		s->received++;
		return 0;
	case 5:
		s->have_stats = 1;
		for (off = 20; off + 4 <= len - 4; off += 4 + (uint32_t)
		    PAD4(olen)) {
			code = rd16(b + off);
			olen = rd16(b + off + 2);
			if (code == 0 || off + 4 + olen > len - 4)
				break;
			if ((code == 5 || code == 8) && olen == 8) {
				memcpy(&v, b + off + 4, 8);
				if (code == 5)
					s->drops = v;
				else
					s->relayed = v;
			} else if (code == 1) {
				free(s->comment);
				s->comment = util_printf("%.*s", (int)olen,
				    (const char *)b + off + 4);
			}
		}
		return 0;
	default:
		return 0;	/* other blocks are skipped */
	}
}

static size_t
tapcli_header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct tapcli_src *s = arg;
	size_t n = size * nmemb, hl = strlen(TAP_ID_HEADER);

	if (n > hl + 1 && strncasecmp(data, TAP_ID_HEADER, hl) == 0 &&
	    data[hl] == ':')
		s->tap_id = strtoll(data + hl + 1, NULL, 10);
	return n;
}

/*
 * A tap still running when we stop (-c, SIGINT): its counts from the
 * host's GET /status, before the stream is closed.
 */
static void
tapcli_live_stats(struct tapcli_src *s)
{
	struct { char *p; size_t len; } b = { NULL, 0 };
	struct curl_slist *h = NULL;
	FILE *mf;
	CURL *e;
	char *url, *auth;
	json_t *j, *tap;
	size_t i;

	if (s->tap_id <= 0 || (e = curl_easy_init()) == NULL)
		return;
	if ((mf = open_memstream(&b.p, &b.len)) == NULL) {
		curl_easy_cleanup(e);
		return;
	}
	url = util_printf("%s/status", s->t->url);
	curl_easy_setopt(e, CURLOPT_URL, url);
	if (s->t->unix_path != NULL)
		curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, s->t->unix_path);
	if (s->t->ca != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, s->t->ca);
	if (s->t->token != NULL) {
		auth = util_printf("Authorization: Bearer %s", s->t->token);
		h = curl_slist_append(h, auth);
		free(auth);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	}
	curl_easy_setopt(e, CURLOPT_WRITEDATA, mf);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(e) == CURLE_OK) {
		fclose(mf);
		mf = NULL;
		j = json_loads(b.p != NULL ? b.p : "", 0, NULL);
		json_array_foreach(json_object_get(j, "taps"), i, tap) {
			if (json_integer_value(json_object_get(tap, "id")) !=
			    s->tap_id)
				continue;
			s->have_live = 1;
			s->live_packets = (uint64_t)json_integer_value(
			    json_object_get(tap, "packets"));
			s->live_queue = (uint64_t)json_integer_value(
			    json_object_get(tap, "drops_queue"));
			s->live_limit = (uint64_t)json_integer_value(
			    json_object_get(tap, "drops_limit"));
			s->live_socket = (uint64_t)json_integer_value(
			    json_object_get(tap, "drops_socket"));
		}
		json_decref(j);
	}
	if (mf != NULL)
		fclose(mf);
	free(b.p);
	free(url);
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
}

static size_t
tapcli_recv(char *data, size_t size, size_t nmemb, void *arg)
{
	struct tapcli_src *s = arg;
	size_t n = size * nmemb, off = 0;
	uint32_t len;

	if (s->status == 0)
		curl_easy_getinfo(s->e, CURLINFO_RESPONSE_CODE, &s->status);
	if (s->status != 200) {
		if (s->errlen < 4096) {
			s->err = util_realloc(s->err, s->errlen + n + 1, 1);
			memcpy(s->err + s->errlen, data, n);
			s->errlen += n;
			s->err[s->errlen] = '\0';
		}
		return n;
	}
	if (s->inlen + n > s->incap) {
		s->incap = (s->inlen + n) * 2;
		s->in = util_realloc(s->in, s->incap, 1);
	}
	memcpy(s->in + s->inlen, data, n);
	s->inlen += n;
	while (s->inlen - off >= 12) {
		len = rd32(s->in + off + 4);
		if (len < 12 || len % 4 != 0 || len > TAPCLI_MAX_BLOCK) {
			s->broken = 1;
			return 0;
		}
		if (s->inlen - off < len)
			break;
		if (tapcli_block(s, s->in + off, len) != 0) {
			s->broken = 1;
			return 0;
		}
		off += len;
	}
	memmove(s->in, s->in + off, s->inlen - off);
	s->inlen -= off;
	return n;
}

/* ------------------------------------------------------------ merging */

/* Write what may go now (all of it when force); stop at the count. */
static void
tapcli_emit(struct tapcli *c, int force)
{
	struct tapcli_src *best, *s;
	struct tapcli_pkt *p;
	uint64_t now = tapcli_ms();
	size_t i;
	int all;

	while (!c->full) {
		best = NULL;
		all = 1;
		for (i = 0; i < c->n; i++) {
			s = &c->src[i];
			if (s->head == NULL) {
				if (!s->done)
					all = 0;
				continue;
			}
			if (best == NULL || s->head->ts_ns < best->head->ts_ns)
				best = s;
		}
		if (best == NULL)
			return;
		if (!force && !all &&
		    now < best->head->arrived_ms + TAPCLI_WINDOW_MS)
			return;
		p = best->head;
		best->head = p->next;
		if (best->head == NULL)
			best->tail = NULL;
		tapcli_write_pkt(c, best, p);
		free(p);
	}
}

/* ------------------------------------------------------------ run */

static void
tapcli_src_start(struct tapcli *c, struct tapcli_src *s, CURLM *m)
{
	const struct tapcli_opts *o = c->o;
	char *auth, *ef, *ei;

	s->e = curl_easy_init();
	if (s->e == NULL)
		abort();	/* libcurl's allocation; see util.h */
	ef = curl_easy_escape(s->e, o->filter, 0);
	ei = curl_easy_escape(s->e, o->iface, 0);
	s->url = util_printf("%s/tap/%s?filter=%s&count=%llu&seconds=%u&"
	    "snaplen=%u", s->t->url, ei, ef, (unsigned long long)o->count,
	    o->seconds, o->snaplen ? o->snaplen : 65535);
	curl_free(ef);
	curl_free(ei);
	s->label = util_printf("%s:%s", s->t->name, o->iface);
	curl_easy_setopt(s->e, CURLOPT_URL, s->url);
	if (s->t->unix_path != NULL)
		curl_easy_setopt(s->e, CURLOPT_UNIX_SOCKET_PATH,
		    s->t->unix_path);
	if (s->t->ca != NULL)
		curl_easy_setopt(s->e, CURLOPT_CAINFO, s->t->ca);
	if (s->t->token != NULL) {
		auth = util_printf("Authorization: Bearer %s", s->t->token);
		s->hdrs = curl_slist_append(s->hdrs, auth);
		free(auth);
		curl_easy_setopt(s->e, CURLOPT_HTTPHEADER, s->hdrs);
	}
	curl_easy_setopt(s->e, CURLOPT_WRITEFUNCTION, tapcli_recv);
	curl_easy_setopt(s->e, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->e, CURLOPT_HEADERFUNCTION, tapcli_header_cb);
	curl_easy_setopt(s->e, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(s->e, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(s->e, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(s->e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->e, CURLOPT_USERAGENT, "flowctl/" PACKAGE_VERSION);
	curl_easy_setopt(s->e, CURLOPT_PRIVATE, s);
	curl_multi_add_handle(m, s->e);
}

/* The host's outcome on stderr; 0 when it streamed. */
static int
tapcli_src_report(const struct tapcli *c, const struct tapcli_src *s,
    CURLcode rc)
{
	json_t *j;
	const char *msg;

	if (s->status != 0 && s->status != 200) {
		j = json_loads(s->err != NULL ? s->err : "", 0, NULL);
		msg = json_string_value(json_object_get(j, "error"));
		fprintf(stderr, "flowctl: %s: %ld %s\n", s->t->name, s->status,
		    msg != NULL ? msg : s->status == 401 ? "unauthorized: a "
		    "token is needed (-t, FLOWCTL_TOKEN or the hosts file)" :
		    "error");
		json_decref(j);
		return 1;
	}
	if (s->broken || (s->inlen > 0 && s->done)) {
		fprintf(stderr, "flowctl: %s: not a tap's pcapng stream\n",
		    s->t->name);
		return 1;
	}
	/* (rc is CURLE_OK for a transfer we ended ourselves) */
	if (rc != CURLE_OK) {
		fprintf(stderr, "flowctl: %s: %s\n", s->t->name,
		    s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
		return 1;
	}
	if (c->o->quiet)
		return 0;
	if (s->have_stats)
		fprintf(stderr, "flowctl: %s: %llu packets relayed, %llu "
		    "dropped by the tap (%s)\n", s->label,
		    (unsigned long long)s->relayed,
		    (unsigned long long)s->drops,
		    s->comment != NULL ? s->comment : "");
	else if (s->have_live)
		fprintf(stderr, "flowctl: %s: %llu packets received; stopped "
		    "before the tap's end, it had relayed %llu and dropped "
		    "%llu (%llu queue, %llu limit, %llu socket)\n", s->label,
		    (unsigned long long)s->received,
		    (unsigned long long)s->live_packets,
		    (unsigned long long)(s->live_queue + s->live_limit +
		    s->live_socket), (unsigned long long)s->live_queue,
		    (unsigned long long)s->live_limit,
		    (unsigned long long)s->live_socket);
	else
		fprintf(stderr, "flowctl: %s: %llu packets received\n",
		    s->label, (unsigned long long)s->received);
	return 0;
}

int
tapcli_run(const struct tapcli_opts *o, const struct hosts_target *t,
    size_t n)
{
	struct tapcli c;
	struct sigaction sa, old_int, old_term;
	struct tapcli_src *s;
	struct tapcli_pkt *p;
	CURLcode *rcs;
	CURLMsg *msg;
	CURLM *m;
	uint64_t deadline = 0;
	size_t i;
	int running = 0, left, status = 0;

	memset(&c, 0, sizeof c);
	c.o = o;
	c.n = n;
	c.src = util_calloc(n, sizeof *c.src);
	rcs = util_calloc(n, sizeof *rcs);
	if (o->out == NULL || strcmp(o->out, "-") == 0)
		c.out = stdout;
	else if ((c.out = fopen(o->out, "wb")) == NULL) {
		fprintf(stderr, "flowctl: %s: %s\n", o->out, strerror(errno));
		free(c.src);
		free(rcs);
		return 1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tapcli_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (o->seconds > 0)
		deadline = tapcli_ms() + (uint64_t)(o->seconds +
		    TAPCLI_GRACE_S) * 1000;

	if ((m = curl_multi_init()) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		c.src[i].t = &t[i];
		tapcli_src_start(&c, &c.src[i], m);
	}
	for (;;) {
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&s);
			s->done = 1;
			rcs[s - c.src] = msg->data.result;
			if (s->status == 0)
				curl_easy_getinfo(s->e,
				    CURLINFO_RESPONSE_CODE, &s->status);
		}
		/* An interface description opens the output at once. */
		for (i = 0; i < n; i++)
			if (c.src[i].have_idb && !c.src[i].broken)
				tapcli_idb(&c, &c.src[i]);
		tapcli_emit(&c, 0);
		if (c.full || tapcli_signal || running == 0 ||
		    (deadline > 0 && tapcli_ms() >= deadline))
			break;
		curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	/* What arrived goes out: the file ends on a whole packet. */
	tapcli_emit(&c, 1);
	for (i = 0; i < n; i++) {
		s = &c.src[i];
		if (!s->done) {
			curl_easy_getinfo(s->e, CURLINFO_RESPONSE_CODE,
			    &s->status);
			rcs[i] = CURLE_OK;
			if (s->status == 200 && !s->have_stats && !o->quiet)
				tapcli_live_stats(s);
		}
		if (s->have_idb)
			tapcli_isb(&c, s);
		status |= tapcli_src_report(&c, s, rcs[i]);
	}
	/* Nothing came: still a valid (empty) capture. */
	if (!c.out_header && status == 0)
		tapcli_header(&c, LINKTYPE_ETHERNET);
	if (c.out != stdout)
		fclose(c.out);
	else
		fflush(stdout);
	for (i = 0; i < n; i++) {
		s = &c.src[i];
		curl_multi_remove_handle(m, s->e);
		curl_easy_cleanup(s->e);
		curl_slist_free_all(s->hdrs);
		while ((p = s->head) != NULL) {
			s->head = p->next;
			free(p);
		}
		free(s->url);
		free(s->label);
		free(s->err);
		free(s->in);
		free(s->comment);
	}
	curl_multi_cleanup(m);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	free(c.src);
	free(rcs);
	return status;
}
