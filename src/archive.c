/*
 * archive.c - an interface's packet archive (see archive.h).
 *
 * The queue is a ring of bytes with one producer (the capture thread) and
 * one consumer (the archive's thread): head and tail are positions that
 * only grow, each written by one side and read by the other with
 * acquire/release.  A record is a struct rec and the frame's bytes,
 * rounded up to 8; one that does not fit before the end of the ring
 * starts at its beginning, after a WRAP record (or, when not even a
 * header fits, the space is skipped by both sides).  The consumer sleeps
 * on a condition variable when the ring is empty and says so in
 * `sleeping'; the producer publishes each record with a plain release
 * store and signals only in archive_kick(), which its source calls once
 * per batch of frames (a ring block, a file batch), and only when the
 * consumer sleeps (a timed wait covers a signal that came just before
 * the wait).  Blocking producers (--read)
 * wait on `room' the same way.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anon.h"
#include "arconn.h"
#include "archive.h"
#include "hdrout.h"
#include "pcapout.h"
#include "util.h"

#define NS		1000000000LL
#define WAIT_MS		1000
#define ARCHIVE_NICE	19	/* the writer's, live */
#define ARCHIVE_PREFETCH 256	/* connections prefetched at once */

enum rec_kind {
	REC_PACKET,
	REC_HEADER,		/* a header capture's packet */
	REC_CLOCK,		/* time_ns: the wall clock */
	REC_WRAP		/* the rest of the ring is unused */
};

struct rec {
	uint64_t	 id;		/* REC_HEADER: the flow id */
	int64_t		 start_ns;	/* ... its connection's start */
	int64_t		 time_ns;
	uint32_t	 caplen;
	uint32_t	 wirelen;
	uint16_t	 linktype;
	uint16_t	 kind;
	uint32_t	 pad;
};

#define REC_ALIGN(n)	(((n) + 7) & ~(size_t)7)

struct archive {
	struct conf_archive cfg;	/* path owned */
	struct conf_headers hcfg;	/* path owned */
	char		*iface;
	int		 block;
	int		 anonymize;
	struct arconn	*conns;		/* NULL: no archive */
	struct pcapout	*out;
	struct arconn	*hconns;	/* NULL: no header captures */
	struct hdrout	*hdr;
	uint64_t	 salt;		/* the flow ids' random half */
	int64_t		 hclock_s;	/* the writer's last hdrout_clock() */

	/* The ring; each side's position on a cache line of its own. */
	uint8_t		*ring;
	size_t		 cap;
	uint64_t	 head __attribute__((aligned(64)));	/* producer's */
	uint64_t	 tail_seen;	/* producer's copy of tail */
	uint64_t	 unkicked;	/* bytes published since the last kick */
	int		 sleeping __attribute__((aligned(64)));	/* consumer
					   waits for data */
	uint64_t	 tail __attribute__((aligned(64)));	/* consumer's */
	int		 waiting;	/* producer waits for room */
	int		 stop;
	pthread_mutex_t	 mu;
	pthread_cond_t	 data;
	pthread_cond_t	 room;
	pthread_t	 thread;
	int		 inited;	/* mu and the conditions */
	int		 started;

	/* Capture thread's. */
	struct archive_stats st;
	int64_t		 period;	/* of the last log line */
	uint64_t	 log_packets, log_bytes, log_archived, log_removed;

	/* The writer's, under mu. */
	struct pcapout_stats ws;
	struct hdrout_stats hs;
};

/* ------------------------------------------------------ the consumer */

/* Give the ring up to tail back; wake a producer waiting for room. */
static void
archive_done(struct archive *ar, uint64_t tail)
{
	__atomic_store_n(&ar->tail, tail, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&ar->waiting, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&ar->mu);
		pthread_cond_signal(&ar->room);
		pthread_mutex_unlock(&ar->mu);
	}
}

/* The writer's statistics, for the capture thread; under mu. */
static void
archive_writer_stats(struct archive *ar)
{
	if (ar->out != NULL)
		pcapout_get_stats(ar->out, &ar->ws);
	if (ar->hdr != NULL)
		hdrout_get_stats(ar->hdr, &ar->hs);
}

static void *
archive_main(void *arg)
{
	struct archive *ar = arg;
	const struct rec *r;
	struct timespec ts;
	uint64_t head, tail;
	size_t pos;
	unsigned n = 0;

	/*
	 * Below the capture thread: on a busy CPU the writer waits, its
	 * queue fills and packets are dropped for the archive, not the ring.
	 * Linux's nice is per thread.
	 */
	if (!ar->block)
		(void)setpriority(PRIO_PROCESS, (id_t)gettid(), ARCHIVE_NICE);
	for (;;) {
		head = __atomic_load_n(&ar->head, __ATOMIC_ACQUIRE);
		tail = ar->tail;
		if (head == tail) {
			pthread_mutex_lock(&ar->mu);
			archive_writer_stats(ar);
			__atomic_store_n(&ar->sleeping, 1, __ATOMIC_SEQ_CST);
			if (__atomic_load_n(&ar->head, __ATOMIC_SEQ_CST) == tail) {
				if (ar->stop) {
					pthread_mutex_unlock(&ar->mu);
					break;
				}
				util_deadline(&ts, WAIT_MS);
				pthread_cond_timedwait(&ar->data, &ar->mu, &ts);
			}
			__atomic_store_n(&ar->sleeping, 0, __ATOMIC_SEQ_CST);
			pthread_mutex_unlock(&ar->mu);
			continue;
		}
		while (tail != head) {
			pos = tail % ar->cap;
			if (ar->cap - pos < sizeof *r) {
				tail += ar->cap - pos;
				continue;
			}
			r = (const struct rec *)(ar->ring + pos);
			switch (r->kind) {
			case REC_WRAP:
				tail += ar->cap - pos;
				continue;
			case REC_CLOCK:
				if (ar->out != NULL)
					pcapout_clock(ar->out, r->time_ns);
				if (ar->hdr != NULL)
					hdrout_clock(ar->hdr, r->time_ns);
				break;
			case REC_HEADER:
				(void)hdrout_write(ar->hdr, r->id, r->start_ns,
				    r->time_ns, r->linktype,
				    (const uint8_t *)(r + 1), r->caplen,
				    r->wirelen);
				if (r->time_ns / NS > ar->hclock_s) {
					ar->hclock_s = r->time_ns / NS;
					hdrout_clock(ar->hdr, r->time_ns);
				}
				break;
			default:
				(void)pcapout_write(ar->out, r->time_ns,
				    r->linktype, (const uint8_t *)(r + 1),
				    r->caplen, r->wirelen);
				break;
			}
			tail += REC_ALIGN(sizeof *r + r->caplen);
			/* Room back now and then, not per record. */
			if ((++n & 63) == 0)
				archive_done(ar, tail);
		}
		archive_done(ar, tail);
	}
	if (ar->out != NULL)
		pcapout_close(ar->out);
	pthread_mutex_lock(&ar->mu);
	if (ar->hdr != NULL) {
		/* Every header file closed and renamed. */
		hdrout_close_all(ar->hdr);
		hdrout_get_stats(ar->hdr, &ar->hs);
		hdrout_free(ar->hdr);
		ar->hdr = NULL;
	}
	archive_writer_stats(ar);
	pthread_mutex_unlock(&ar->mu);
	return NULL;
}

/* ------------------------------------------------------ the producer */

static void	ring_kick(struct archive *);

/*
 * Room for a record of len bytes (header included) at head; returns it,
 * or NULL when the ring is full (after waiting, when blocking).
 */
static struct rec *
ring_reserve(struct archive *ar, size_t len)
{
	uint64_t head = ar->head, tail;
	size_t pos = head % ar->cap, need = len;
	struct timespec ts;

	if (ar->cap - pos < len)
		need += ar->cap - pos;		/* skip to the start */
	for (;;) {
		/* The consumer's position is read only when room seems short. */
		if (ar->cap - (head - ar->tail_seen) >= need)
			break;
		tail = __atomic_load_n(&ar->tail, __ATOMIC_ACQUIRE);
		ar->tail_seen = tail;
		if (ar->cap - (head - tail) >= need)
			break;
		if (!ar->block || len > ar->cap / 2)
			return NULL;
		ring_kick(ar);
		pthread_mutex_lock(&ar->mu);
		__atomic_store_n(&ar->waiting, 1, __ATOMIC_SEQ_CST);
		tail = __atomic_load_n(&ar->tail, __ATOMIC_SEQ_CST);
		if (ar->cap - (head - tail) < need) {
			util_deadline(&ts, WAIT_MS);
			pthread_cond_timedwait(&ar->room, &ar->mu, &ts);
		}
		__atomic_store_n(&ar->waiting, 0, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&ar->mu);
	}
	if (need != len) {
		if (ar->cap - pos >= sizeof(struct rec))
			((struct rec *)(ar->ring + pos))->kind = REC_WRAP;
		__atomic_store_n(&ar->head, head + (need - len),
		    __ATOMIC_RELEASE);
		pos = 0;
	}
	return (struct rec *)(ar->ring + pos);
}

static void
ring_publish(struct archive *ar, size_t len)
{
	__atomic_store_n(&ar->head, ar->head + len, __ATOMIC_RELEASE);
	ar->unkicked += len;
}

/* Wake the consumer if it sleeps on data that is there now. */
static void
ring_kick(struct archive *ar)
{
	ar->unkicked = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&ar->sleeping, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&ar->mu);
		pthread_cond_signal(&ar->data);
		pthread_mutex_unlock(&ar->mu);
	}
}

void
archive_kick(struct archive *ar)
{
	if (ar->unkicked > 0)
		ring_kick(ar);
}

static void
archive_log(struct archive *ar)
{
	struct arconn_stats cs;
	uint64_t pk = ar->st.packets - ar->log_packets;
	uint64_t out = ar->st.archived - ar->log_archived;

	if (ar->conns == NULL)
		return;
	arconn_get_stats(ar->conns, &cs);
	log_info("archive: if=%s W=00 flows=%llu removed=%llu bytes=%llu "
	    "pkts=%llu output=%llu outpct=%.1f recvd=%llu dropped=%llu",
	    ar->iface, (unsigned long long)cs.active,
	    (unsigned long long)(cs.removed - ar->log_removed),
	    (unsigned long long)(ar->st.bytes - ar->log_bytes),
	    (unsigned long long)pk, (unsigned long long)out,
	    pk ? 100.0 * (double)out / (double)pk : 0.0,
	    (unsigned long long)ar->st.frames,
	    (unsigned long long)ar->st.dropped);
	ar->log_packets = ar->st.packets;
	ar->log_bytes = ar->st.bytes;
	ar->log_archived = ar->st.archived;
	ar->log_removed = cs.removed;
}

/* A new period of packet time: the line for the one before. */
static void
archive_period(struct archive *ar, int64_t time_ns)
{
	int64_t p;

	if (ar->conns == NULL)
		return;
	p = time_ns / ((int64_t)ar->cfg.rotate * NS);
	if (p > ar->period) {
		if (ar->period != INT64_MIN)
			archive_log(ar);
		ar->period = p;
	}
}

/* The copy d (caplen bytes, extra inserted before the IP header). */
static void
archive_anon(const struct parse_input *f, uint8_t *d, uint32_t caplen,
    uint32_t extra)
{
	struct parse_packet p;
	struct parse_layout lo;

	if (parse_frame_layout(f, &p, &lo) == PARSE_OK)
		anon_frame(d, caplen, lo.l3 + extra, p.family);
}

/*
 * Copy caplen bytes of frame f into the record r (extra: 4 when a VLAN
 * tag goes back in), its addresses anonymised if so configured.
 */
static void
rec_fill(struct archive *ar, struct rec *r, const struct ingest_packet *ip,
    uint32_t caplen, uint32_t extra)
{
	const struct parse_input *f = ip->frame;
	uint8_t *d = (uint8_t *)(r + 1);

	r->time_ns = ip->time_ns;
	r->caplen = caplen;
	r->wirelen = f->wirelen + extra;
	r->linktype = f->linktype;
	if (extra) {
		memcpy(d, f->data, 12);
		d[12] = 0x81;
		d[13] = 0x00;
		d[14] = (uint8_t)(f->vlan_tci >> 8);
		d[15] = (uint8_t)f->vlan_tci;
		memcpy(d + 16, f->data + 12, caplen - 16);
	} else
		memcpy(d, f->data, caplen);
	if (ar->anonymize)
		archive_anon(f, d, caplen, extra);
}

/* The header capture of a TCP packet (packet-headers'). */
static void
archive_header(struct archive *ar, const struct ingest_packet *ip,
    const struct arconn_key *key, uint32_t extra)
{
	const struct parse_input *f = ip->frame;
	struct arconn_verdict v;
	struct parse_packet p;
	struct parse_layout lo;
	struct rec *r;
	uint32_t cut, doff;
	size_t len;

	arconn_admit(ar->hconns, key, ip->time_ns, f->wirelen, &v);
	if (ip->time_ns - v.start_ns >= (int64_t)ar->hcfg.capture_duration * NS)
		return;
	if (parse_frame_layout(f, &p, &lo) != PARSE_OK || lo.l4 == 0)
		return;
	/* The end of the TCP header, options included, as captured. */
	cut = f->caplen;
	if ((uint64_t)lo.l4 + 13 <= f->caplen) {
		doff = (uint32_t)(f->data[lo.l4 + 12] >> 4) * 4;
		if (doff < 20)
			doff = 20;
		if (lo.l4 + doff < cut)
			cut = lo.l4 + doff;
	}
	cut += extra;
	if (cut > ar->hcfg.max_header_size)
		cut = ar->hcfg.max_header_size;
	len = REC_ALIGN(sizeof *r + cut);
	if ((r = ring_reserve(ar, len)) == NULL) {
		ar->st.hdr_dropped++;
		return;
	}
	ar->st.hdr_packets++;
	r->kind = REC_HEADER;
	r->id = ar->salt << 32 | (v.id & 0xffffffffu);
	r->start_ns = v.start_ns;
	rec_fill(ar, r, ip, cut, extra);
	ring_publish(ar, len);
}

/*
 * Before a batch's packet hooks: their connections' buckets, then their
 * entries, so that the lookups do not wait for memory one by one (the
 * table is far larger than the caches with many connections).
 */
void
archive_prefetch(void *arg, const struct flowtab_conn *conns, size_t n)
{
	struct archive *ar = arg;
	struct arconn_key key;
	uint64_t h[ARCHIVE_PREFETCH];
	size_t i, k;

	if (ar->conns == NULL)
		return;
	for (; n > 0; conns += k, n -= k) {
		k = n < ARCHIVE_PREFETCH ? n : ARCHIVE_PREFETCH;
		for (i = 0; i < k; i++) {
			arconn_key_conn(&key, &conns[i]);
			h[i] = arconn_hash(&key);
			arconn_prefetch(ar->conns, h[i], 0);
		}
		for (i = 0; i < k; i++)
			arconn_prefetch(ar->conns, h[i], 1);
	}
}

void
archive_hook(void *arg, const struct ingest_packet *ip)
{
	struct archive *ar = arg;
	const struct parse_input *f = ip->frame;
	struct arconn_key key;
	struct arconn_verdict v;
	struct rec *r;
	uint32_t caplen, extra = 0;
	size_t len;

	ar->st.frames++;
	if (ip->verdict != PARSE_OK)
		return;
	archive_period(ar, ip->time_ns);
	ar->st.packets++;
	ar->st.bytes += f->wirelen;
	if (ip->conn != NULL)
		arconn_key_conn(&key, ip->conn);
	else
		arconn_key_packet(&key, ip->pkt);
	/* The tag the kernel took off goes back after the MAC addresses. */
	if (f->has_vlan_tci && f->linktype == PARSE_LINK_ETHERNET &&
	    f->caplen >= 12)
		extra = 4;
	if (ar->hconns != NULL && ip->pkt->proto == 6)
		archive_header(ar, ip, &key, extra);
	if (ar->conns == NULL)
		return;
	arconn_admit(ar->conns, &key, ip->time_ns, f->wirelen, &v);
	if (!v.keep)
		return;
	ar->st.archived++;
	ar->st.archived_bytes += f->wirelen;
	caplen = f->caplen + extra;
	if (caplen > ar->cfg.snaplen)
		caplen = ar->cfg.snaplen;
	len = REC_ALIGN(sizeof *r + caplen);
	if ((r = ring_reserve(ar, len)) == NULL) {
		ar->st.dropped++;
		return;
	}
	r->kind = REC_PACKET;
	rec_fill(ar, r, ip, caplen, extra);
	ring_publish(ar, len);
}

void
archive_clock(struct archive *ar, int64_t now_ns)
{
	struct rec *r;
	size_t len = sizeof *r;

	if ((r = ring_reserve(ar, len)) == NULL)
		return;
	memset(r, 0, sizeof *r);
	r->time_ns = now_ns;
	r->kind = REC_CLOCK;
	ring_publish(ar, len);
	ring_kick(ar);
}

/* ------------------------------------------------------------- the API */

int
archive_new(const struct archive_config *cfg, struct archive **out,
    char **cause)
{
	const struct conf_headers *hc = cfg->headers;
	struct arconn_config cc;
	struct pcapout_config pc;
	struct hdrout_config hoc;
	struct archive *ar;
	char *dir = NULL, *hdir = NULL;
	int rc, nomem = 0;

	*out = NULL;
	if (hc != NULL && hc->path == NULL)
		hc = NULL;
	if (cfg->conf->path != NULL) {
		dir = util_printf("%s/%s", cfg->conf->path, cfg->iface);
		if ((rc = util_mkdir_p(dir)) != 0) {
			util_cause(cause, rc, "archive: cannot create %s: %s",
			    dir, strerror(-rc));
			free(dir);
			return rc;
		}
	}
	if (hc != NULL) {
		hdir = util_printf("%s/%s", hc->path, cfg->iface);
		if ((rc = util_mkdir_p(hdir)) != 0) {
			util_cause(cause, rc, "headers: cannot create %s: %s",
			    hdir, strerror(-rc));
			free(dir);
			free(hdir);
			return rc;
		}
	}
	/* Aligned for its cache-line members (util_calloc() gives 16). */
	if (posix_memalign((void **)&ar, 64, sizeof *ar) != 0) {
		free(dir);
		free(hdir);
		return util_cause(cause, -ENOMEM, "archive: no memory");
	}
	memset(ar, 0, sizeof *ar);
	ar->cfg = *cfg->conf;
	if (ar->cfg.path != NULL)
		ar->cfg.path = util_strdup(ar->cfg.path);
	if (hc != NULL) {
		ar->hcfg = *hc;
		ar->hcfg.path = util_strdup(hc->path);
	}
	ar->iface = util_strdup(cfg->iface);
	ar->block = cfg->block;
	ar->anonymize = cfg->anonymize;
	ar->period = INT64_MIN;
	ar->hclock_s = INT64_MIN;
	if (getrandom(&ar->salt, sizeof ar->salt, 0) != sizeof ar->salt)
		ar->salt = (uint64_t)util_now_ns() ^ (uint64_t)getpid() << 40;
	ar->salt &= 0xffffffffu;
	ar->cap = cfg->queue_bytes ? cfg->queue_bytes : ARCHIVE_QUEUE_BYTES;
	ar->ring = malloc(ar->cap);
	nomem = ar->ring == NULL;
	if (dir != NULL) {
		memset(&cc, 0, sizeof cc);
		cc.cutoff_bytes = ar->cfg.cutoff_bytes;
		cc.cutoff_packets = ar->cfg.cutoff_packets;
		cc.idle_ns = (int64_t)ar->cfg.idle_timeout * NS;
		cc.max_conns = cfg->max_conns;
		ar->conns = arconn_new(&cc);
		nomem |= ar->conns == NULL;
	}
	if (hc != NULL) {
		memset(&cc, 0, sizeof cc);
		cc.idle_ns = (int64_t)hc->flow_timeout * NS;
		cc.max_conns = cfg->max_conns;
		ar->hconns = arconn_new(&cc);
		nomem |= ar->hconns == NULL;
	}
	if (nomem) {
		free(dir);
		free(hdir);
		archive_free(ar);
		return util_cause(cause, -ENOMEM, "archive: no memory for its "
		    "connections and queue");
	}
	if (dir != NULL) {
		memset(&pc, 0, sizeof pc);
		pc.dir = dir;
		pc.iface = cfg->iface;
		pc.compress = ar->cfg.compress;
		pc.snaplen = ar->cfg.snaplen;
		pc.rotate_ns = (int64_t)ar->cfg.rotate * NS;
		pc.keep_days = ar->cfg.keep_days;
		pc.max_bytes = ar->cfg.max_bytes;
		ar->out = pcapout_new(&pc);
	}
	if (hc != NULL) {
		memset(&hoc, 0, sizeof hoc);
		hoc.dir = hdir;
		hoc.iface = cfg->iface;
		hoc.duration_ns = (int64_t)hc->capture_duration * NS;
		hoc.snaplen = hc->max_header_size;
		ar->hdr = hdrout_new(&hoc);
	}
	free(dir);
	free(hdir);
	pthread_mutex_init(&ar->mu, NULL);
	pthread_cond_init(&ar->data, NULL);
	pthread_cond_init(&ar->room, NULL);
	ar->inited = 1;
	if ((rc = pthread_create(&ar->thread, NULL, archive_main, ar)) != 0) {
		archive_free(ar);
		return util_cause(cause, -rc, "archive: cannot start its "
		    "thread: %s", strerror(rc));
	}
	ar->started = 1;
	/* Its own name, so top -H and the benchmark can tell its CPU. */
	(void)pthread_setname_np(ar->thread, "fr-archive");
	*out = ar;
	return 0;
}

void
archive_get_stats(struct archive *ar, struct archive_stats *st)
{
	struct arconn_stats cs;

	*st = ar->st;
	if (ar->conns != NULL) {
		arconn_get_stats(ar->conns, &cs);
		st->conns = cs.active;
		st->conns_started = cs.started;
		st->conns_removed = cs.removed;
		st->conns_evicted = cs.evicted;
		st->conns_cut = cs.cut;
	}
	if (ar->hconns != NULL) {
		arconn_get_stats(ar->hconns, &cs);
		st->hdr_conns = cs.started;
	}
	pthread_mutex_lock(&ar->mu);
	st->hdr_files = ar->hs.files;
	st->hdr_written = ar->hs.packets;
	st->hdr_errors = ar->hs.errors;
	st->files = ar->ws.files;
	st->file_packets = ar->ws.packets;
	st->file_bytes = ar->ws.bytes;
	st->write_errors = ar->ws.write_errors;
	st->write_lost = ar->ws.lost;
	st->files_removed = ar->ws.removed;
	st->disk_bytes = ar->ws.disk_bytes;
	pthread_mutex_unlock(&ar->mu);
}

/* Drain the queue, close the file, join the thread, log the last line. */
static void
archive_stop(struct archive *ar)
{
	if (!ar->started)
		return;
	ring_kick(ar);
	pthread_mutex_lock(&ar->mu);
	ar->stop = 1;
	pthread_cond_signal(&ar->data);
	pthread_mutex_unlock(&ar->mu);
	pthread_join(ar->thread, NULL);
	ar->started = 0;
	archive_log(ar);
}

void
archive_free(struct archive *ar)
{
	if (ar == NULL)
		return;
	archive_stop(ar);
	pcapout_free(ar->out);
	hdrout_free(ar->hdr);
	if (ar->inited) {
		pthread_mutex_destroy(&ar->mu);
		pthread_cond_destroy(&ar->data);
		pthread_cond_destroy(&ar->room);
	}
	arconn_free(ar->conns);
	arconn_free(ar->hconns);
	free(ar->ring);
	free(ar->cfg.path);
	free(ar->hcfg.path);
	free(ar->iface);
	free(ar);
}

void
archive_free_stats(struct archive *ar, struct archive_stats *st)
{
	archive_stop(ar);
	archive_get_stats(ar, st);
	archive_free(ar);
}
