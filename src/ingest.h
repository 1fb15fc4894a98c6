/*
 * ingest.h - the one path from a captured frame to the flow table, for
 * live capture (capture.c, frames of a TPACKET_V3 ring) and --read
 * (offline.c, records of a capture file) alike.
 *
 * Per frame: the clock (a frame stamped past the open bin rotates the
 * table; SEMANTICS 8), the parser, the skip reason counted, then the IP
 * packets counted into the flow table in batches, with an early write
 * (a rotation to the same bin) when the table is full.  Frozen bins go to
 * the owner through a callback.  Because both sources feed this code, a
 * file gives the same bins and counters as the same frames captured live.
 *
 * Hooks for the packet features (an archive, per-connection header
 * capture, address anonymisation, a relay): a rewrite of the parsed
 * packets before the flow table, and a per-frame callback that sees the
 * frame, the parser's verdict, the parsed packet and its connection.  An
 * ingest without hooks pays one test per batch for them.
 *
 * Used by one thread.  ingest_add() is inline: it is the whole per-frame
 * cost besides the parser and the flow table; the struct is public only
 * for it, its members are private.
 */
#ifndef FLOWREC_INGEST_H
#define FLOWREC_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "flowtab.h"
#include "parse.h"

#define INGEST_BATCH		64	/* frames parsed, then counted */
#define INGEST_LINKTYPES	16	/* undecoded link types noted */

/* 2100-01-01 00:00:00 UTC: a record stamped here or later is malformed. */
#define INGEST_TIME_LIMIT_NS	(4102444800LL * FLOWTAB_NS_PER_S)

/* A frame as its source hands it over. */
struct ingest_frame {
	struct parse_input in;		/* bytes, caplen, wirelen, link type,
					   direction hint, stripped VLAN tag */
	int64_t		 time_ns;	/* Unix time in nanoseconds */
	uint8_t		 has_time;	/* 0: no time: it moves no clock */
	uint8_t		 bad;		/* unreadable record: malformed */
};

/* What the packet hook is told of one frame. */
struct ingest_packet {
	const struct parse_input *frame; /* as given to ingest_add() */
	int64_t		 time_ns;
	enum parse_reason verdict;	/* PARSE_OK: an IP packet */
	const struct parse_packet *pkt;	/* PARSE_OK only, else NULL; its
					   addresses as rewritten */
	const struct flowtab_conn *conn; /* its connection; NULL unless
					   counted (no memory for a table) */
};

struct ingest_hooks {
	/*
	 * Rewrite parsed IP packets before the flow table sees them (e.g.
	 * addresses to their /24 or /64): n packets of one bin, in order.
	 * NULL: none.
	 */
	void		(*rewrite)(void *arg, struct parse_packet *pkts,
			    size_t n);
	/*
	 * Called for every frame, in the order they came, once it is
	 * counted: IP packets after the flow table (with their
	 * connection), others with their verdict (BAD_RECORD and BAD_TIME
	 * frames included; their bytes may be anything).  Everything it is
	 * given is borrowed for the call.  NULL: none.
	 */
	void		(*packet)(void *arg, const struct ingest_packet *);
	/*
	 * With packet: called before the packet hooks of a batch with the
	 * connections of its first n IP packets (a hint, e.g. to prefetch
	 * what the packet hook will look up).  NULL: none.
	 */
	void		(*prefetch)(void *arg, const struct flowtab_conn *conns,
			    size_t n);
	void		*arg;
};

struct ingest_config {
	struct flowtab	*ft;		/* counted into; the caller's */
	/*
	 * A frozen bin (the open bin rotated by time, written early, or the
	 * last one): from here it is the owner's, who stores it and gives
	 * it back with flowtab_bin_release().  May be called from any
	 * ingest_*() call.
	 */
	void		(*bin_out)(void *arg, struct flowtab_bin *);
	void		*arg;
};

/* Totals since ingest_new(): the sums of every bin's counters. */
struct ingest_stats {
	uint64_t	 packets;	/* frames seen */
	uint64_t	 ip;		/* counted into flows */
	uint64_t	 non_ip;
	uint64_t	 malformed;
	uint64_t	 lost;		/* IP, not counted: table full and no
					   memory for another */
	uint64_t	 reasons[PARSE_REASON_COUNT]; /* skipped, by reason */
	size_t		 nlinktypes;	/* link types not decoded, in order */
	int		 linktypes[INGEST_LINKTYPES];
	uint64_t	 linktype_packets[INGEST_LINKTYPES];
};

/* Private: read through ingest_*(). */
struct ingest {
	struct flowtab	*ft;
	struct flowtab_stats *stats;	/* the open bin's */
	int64_t		 next_bin_ns;	/* frames from here: the slow path */
	size_t		 n;		/* frames waiting to be counted */
	struct parse_input in[INGEST_BATCH];
	struct parse_packet pkts[INGEST_BATCH];
	int64_t		 times[INGEST_BATCH];
	struct flowtab_conn *conns;	/* INGEST_BATCH; with a packet hook */
	struct ingest_config cfg;
	struct ingest_hooks hooks;
	struct ingest_stats done;	/* bins handed out */
};

/*
 * Caller owns the result; free with ingest_free().  Never NULL: its size
 * is fixed (util.h's allocation rule).
 */
struct ingest	*ingest_new(const struct ingest_config *);

/* Frees the ingest (not its flow table); what waits is not counted. */
void		 ingest_free(struct ingest *);

/*
 * Set (or with NULL clear) the hooks; copied.  What waits is counted
 * first, with the hooks it was parsed under.
 */
void		 ingest_set_hooks(struct ingest *, const struct ingest_hooks *);

/* Internal: the rare frames of ingest_add(), and a skipped one. */
void		 ingest__add_slow(struct ingest *, const struct ingest_frame *);
void		 ingest__skip(struct ingest *, enum parse_reason);

/*
 * Count what waits, call the packet hook for it, and keep room in the
 * connection table for the next batch.  The frames given to ingest_add()
 * are borrowed until this (or anything that counts them) returns: the
 * source calls it before the frames' memory goes (a ring block handed
 * back, the next file batch read).
 */
void		 ingest_flush(struct ingest *);

/*
 * Take one frame; *f is copied, its bytes are borrowed until the next
 * ingest_flush().  The fast path (a readable frame of the open bin) is
 * here; the rest is ingest__add_slow().
 */
static inline void
ingest_add(struct ingest *ing, const struct ingest_frame *f)
{
	size_t n = ing->n;
	enum parse_reason r;

	if (__builtin_expect(f->time_ns >= ing->next_bin_ns || f->bad, 0)) {
		ingest__add_slow(ing, f);
		return;
	}
	ing->stats->packets++;
	ing->in[n] = f->in;
	ing->times[n] = f->time_ns;
	r = parse_frame(&ing->in[n], &ing->pkts[n]);
	if (__builtin_expect(r != PARSE_OK, 0)) {
		ingest__skip(ing, r);
		return;
	}
	ing->n = ++n;
	if (n == INGEST_BATCH)
		ingest_flush(ing);
}

/*
 * Rotate: count what waits, freeze the open bin (to bin_out) and open
 * bin (>= the open bin; equal for an early write).  The first rotation
 * only opens a bin.  Returns 0, or -ENOMEM when there is no memory for a
 * fresh table: counting goes on in the open bin, and packet time rotates
 * no more until ingest_rearm().
 */
int		 ingest_rotate(struct ingest *, int64_t bin);

/*
 * After a failed rotation: let the next frame past the open bin try
 * again (called now and then, so that not every frame tries).
 */
void		 ingest_rearm(struct ingest *);

/*
 * The end: count what waits, freeze the open bin as it is (SEMANTICS 8)
 * and close the flow table (flowtab_close(): its connection memory goes
 * before the last bin is written), then hand that bin to bin_out.
 * Nothing may be added after it.
 */
void		 ingest_finish(struct ingest *);

/*
 * Totals, the open bin included; IP packets waiting to be counted (fewer
 * than INGEST_BATCH, until the next flush) are in packets, not yet in ip.
 */
void		 ingest_get_stats(const struct ingest *, struct ingest_stats *);

#endif
