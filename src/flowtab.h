/*
 * flowtab.h - the in-memory flow table: parsed packets in, frozen bins out.
 *
 * The ingest path (ingest.c, for live capture and --read alike) calls
 * flowtab_add_batch() for the IP packets and flowtab_rotate() when the
 * open time bin ends or the table is full; the frozen bin goes to the
 * store and comes back with flowtab_bin_release().  The table
 * implements SEMANTICS.md sections 1, 4 and 7: who is the client, which
 * connection is still active, which flow a later fragment joins.
 *
 * Invariants: counting a packet never allocates and never makes a system
 * call.  Memory changes in three places only, none of them per packet:
 * flowtab_new() maps the tables (address space; pages are committed as
 * they are touched), flowtab_rotate() maps a second row table when no
 * spare one is back from the writer, and flowtab_grow_conns(), which the
 * owner calls between batches, doubles the connection table when it is
 * nearly full (up to what max_conns needs).  Memory is bounded by
 * max_flows rows per bin and max_conns connections: per flow a 64-byte row
 * and 16 bytes of row index per row table (two while a bin is written),
 * per connection a 64-byte slot at a load of 3/8 to 3/4 (85 to 171
 * bytes), plus a fixed 1.6 MB of first fragments.  The table knows
 * nothing of libuv or SQLite and is used by one thread; a frozen bin may
 * be read by another thread until it is released.
 */
#ifndef FLOWREC_FLOWTAB_H
#define FLOWREC_FLOWTAB_H

#include <stddef.h>
#include <stdint.h>

#include "parse.h"

#define FLOWTAB_NS_PER_S	1000000000LL

/* A flow row's key: (sip, dip, dport, proto, vlan); IPv4 in the first 4 bytes. */
struct flowtab_key {
	uint8_t		 sip[16];
	uint8_t		 dip[16];
	uint16_t	 dport;
	uint16_t	 vlan;
	uint8_t		 proto;
	uint8_t		 family;	/* 4 or 6 */
	uint8_t		 pad[2];	/* always zero: keys compare with memcmp */
};

/*
 * One row: 64 bytes, one cache line.  A row's packet counters never wrap:
 * the table asks for an early write (FLOWTAB_FULL) before one would.
 */
struct flowtab_row {
	struct flowtab_key key;
	uint64_t	 bytes_rcvd;
	uint64_t	 bytes_sent;
	uint32_t	 pkts_rcvd;
	uint32_t	 pkts_sent;
};

/* Per-bin counters of one interface; stored with the bin (a gap is visible). */
struct flowtab_stats {
	uint64_t	 packets;	/* records / frames seen */
	uint64_t	 ip;		/* counted into flows */
	uint64_t	 non_ip;
	uint64_t	 malformed;
	uint64_t	 reasons[PARSE_REASON_COUNT];
	uint64_t	 conn_overflow;	/* connection table full: not remembered */
	uint64_t	 frag_evicted;	/* first fragment forgotten for room */
	uint64_t	 early_writes;	/* bin written early: row table full */
	uint64_t	 kernel_packets; /* live: PACKET_STATISTICS tp_packets */
	uint64_t	 kernel_drops;	/* live: tp_drops */
	uint64_t	 kernel_freezes; /* live: tp_freeze_q_cnt */
};

/* A frozen bin: rows of one bin, or part of one when it was written early. */
struct flowtab_bin {
	int64_t		 ts;		/* bin start, Unix seconds */
	uint32_t	 interval;	/* seconds */
	size_t		 nrows;
	struct flowtab_row *rows;	/* nrows, in no particular order */
	struct flowtab_stats stats;
	struct flowtab_bin *next;	/* for the owner's queues */
	void		*table;		/* private: the row table to recycle */
};

struct flowtab_config {
	uint32_t	 interval;	/* bin length in seconds, divides 86400 */
	size_t		 max_flows;	/* rows per bin before an early write */
	size_t		 max_conns;	/* 0: 1.5 times max_flows */
	size_t		 frag_slots;	/* 0: a default */
	size_t		 conns_hint;	/* connections expected: the table's
					   first size (0: small; it grows) */
};

struct flowtab;

/* Caller owns the result; free with flowtab_free().  NULL on ENOMEM. */
struct flowtab	*flowtab_new(const struct flowtab_config *);
void		 flowtab_free(struct flowtab *);

/* Bin number of a time in nanoseconds: floor(t / interval). */
int64_t		 flowtab_bin_of(const struct flowtab *, int64_t time_ns);

/* The start of bin number bin in nanoseconds (bin * interval). */
int64_t		 flowtab_bin_start_ns(const struct flowtab *, int64_t bin);

/* The open bin's number; INT64_MIN before the first flowtab_rotate(). */
int64_t		 flowtab_open_bin(const struct flowtab *);

/* Counters of the open bin, for the caller to add non-IP and malformed. */
struct flowtab_stats *flowtab_stats(struct flowtab *);

/*
 * Count one IP packet stamped time_ns in the open bin.  Returns 0, or
 * FLOWTAB_FULL when the bin holds max_flows rows and this packet needs a
 * new one: the packet was not counted; rotate (an early write of the same
 * bin) and add it again.
 */
#define FLOWTAB_FULL 1
int		 flowtab_add(struct flowtab *, const struct parse_packet *,
		    int64_t time_ns);

/*
 * The same for n packets of the open bin at once, faster: the table
 * fetches the memory of many packets before it needs any of it.  Returns
 * how many were counted, from the first; fewer than n means that
 * pkts[ret] hit FLOWTAB_FULL: rotate and pass the rest again.
 */
size_t		 flowtab_add_batch(struct flowtab *,
		    const struct parse_packet *pkts, const int64_t *times_ns,
		    size_t n);

/*
 * The connection a counted packet belongs to (SEMANTICS 4 and 7), as the
 * packet users see it (ingest.h): its two ends in a canonical order, the
 * same for both directions of the connection; a later fragment belongs to
 * its first fragment's connection, or to (src, 0, dst, 0) when that one is
 * not known.  port_x is 0 for protocols without ports.  hash is a hash of
 * the ends, ports, protocol and VLAN, for the user's own tables.
 */
struct flowtab_conn {
	uint8_t		 a[16];		/* end a's address (IPv4: 4 bytes) */
	uint8_t		 b[16];
	uint16_t	 port_a;
	uint16_t	 port_b;
	uint16_t	 vlan;
	uint8_t		 proto;
	uint8_t		 family;	/* 4 or 6 */
	uint64_t	 hash;
	uint8_t		 sender_is_a;	/* this packet went from a to b */
	uint8_t		 client_is_a;	/* a is the client (SEMANTICS 4) */
};

/*
 * flowtab_add_batch() that also fills conns[i] for each packet counted.
 * The same counting; the plain call pays nothing for this one.
 */
size_t		 flowtab_add_batch_conns(struct flowtab *,
		    const struct parse_packet *pkts, const int64_t *times_ns,
		    size_t n, struct flowtab_conn *conns);

/*
 * Keep room in the connection table for FLOWTAB_GROW_AHEAD more
 * connections: double it when it is fuller than that (and below what
 * max_conns needs).  The only call that grows it; the owner calls it
 * between batches, each batch having at most FLOWTAB_GROW_AHEAD packets
 * (a packet makes at most one connection).  Without it a full table
 * forgets its stale connections, then counts packets without one
 * (stats.conn_overflow).  Returns 0, or -ENOMEM (the table stays as it
 * is).  Costs a mapping and a rehash when it grows, which it does at most
 * log2(max_conns / 49152) + 1 times in a table's life.
 */
#define FLOWTAB_GROW_AHEAD	4096
int		 flowtab_grow_conns(struct flowtab *);

/*
 * Freeze the open bin and open bin number next (next >= the open bin; the
 * same number for an early write).  Connections stay as they are.  The
 * first call only opens a bin and returns NULL.  Caller owns the result
 * until flowtab_bin_release(); it may be read from another thread.
 */
struct flowtab_bin *flowtab_rotate(struct flowtab *, int64_t next);

/* Give a frozen bin back to the table that made it, for reuse. */
void		 flowtab_bin_release(struct flowtab *, struct flowtab_bin *);

/*
 * No packet will come any more (the last bin is frozen): free what only
 * packets need, the connection and fragment tables (hundreds of MB with
 * a million flows), before the last write needs memory of its own.
 * Frozen bins are still released as usual; adding and rotating are not
 * allowed after it.
 */
void		 flowtab_close(struct flowtab *);

/* Rows of the open bin: the flows active now (for status and metrics). */
size_t		 flowtab_open_rows(const struct flowtab *);

/*
 * The open bin's rows (*n of them; NULL when none), for a copy made on
 * the owner's thread ("live" queries).  Borrowed until the next add,
 * rotate or close.
 */
const struct flowtab_row *flowtab_open_view(const struct flowtab *, size_t *n);

/* Live connections remembered (for status and tests). */
size_t		 flowtab_conn_count(const struct flowtab *);

#endif
