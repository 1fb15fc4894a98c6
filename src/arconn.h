/*
 * arconn.h - the connections of a packet archive and their cutoff
 * (gotm's): which packets of a connection are kept.
 *
 * A connection is the unordered pair of endpoints (address and port; port
 * 0 for protocols without ports) plus protocol and VLAN.  A packet is kept
 * while its connection has kept fewer than cutoff_bytes wire bytes and
 * fewer than cutoff_packets packets, counted before the packet (0: no
 * bound); a connection idle for more than idle_ns starts afresh.
 *
 * Called by archive.c on the capture thread, per IP packet.  The table is
 * allocated whole by arconn_new() (the packet path never allocates): when
 * every entry is in use the connection idle the longest is forgotten
 * (counted as evicted).  Pure: no I/O, no clock but the packets' times.
 */
#ifndef FLOWREC_ARCONN_H
#define FLOWREC_ARCONN_H

#include <stddef.h>
#include <stdint.h>

#include "flowtab.h"
#include "parse.h"

struct arconn_key {
	uint8_t		 a[16];		/* the lower endpoint */
	uint8_t		 b[16];
	uint16_t	 port_a;
	uint16_t	 port_b;
	uint16_t	 vlan;
	uint8_t		 proto;
	uint8_t		 family;
};	/* 40 bytes, no padding: hashed as five words */

struct arconn_config {
	uint64_t	 cutoff_bytes;	/* 0: no bound */
	uint64_t	 cutoff_packets; /* 0: no bound */
	int64_t		 idle_ns;	/* idle longer than this: afresh */
	size_t		 max_conns;	/* entries; 0: ARCONN_DEFAULT_CONNS */
};

#define ARCONN_DEFAULT_CONNS	(1u << 18)

struct arconn_stats {
	uint64_t	 active;	/* connections in the table */
	uint64_t	 started;	/* connections begun (afresh included) */
	uint64_t	 removed;	/* forgotten after idle_timeout */
	uint64_t	 evicted;	/* forgotten for room */
	uint64_t	 cut;		/* connections that reached a cutoff */
};

/* One decision: what arconn_admit() says of a packet. */
struct arconn_verdict {
	int		 keep;		/* 1: archive it */
	int		 fresh;		/* its connection began with it */
	uint64_t	 id;		/* the connection's number, unique in
					   the table's life (from 1) */
	int64_t		 start_ns;	/* when the connection began */
};

/* Caller owns the result; free with arconn_free().  NULL: no memory. */
struct arconn	*arconn_new(const struct arconn_config *);
void		 arconn_free(struct arconn *);

/* The key of a flow table connection (already unordered). */
void		 arconn_key_conn(struct arconn_key *,
		    const struct flowtab_conn *);

/* The key of a parsed packet, made unordered (ports 0 for fragments). */
void		 arconn_key_packet(struct arconn_key *,
		    const struct parse_packet *);

/* Decide for one packet of wirelen bytes at time_ns, and count it. */
void		 arconn_admit(struct arconn *, const struct arconn_key *,
		    int64_t time_ns, uint32_t wirelen, struct arconn_verdict *);

/* The same with the key's arconn_hash(), computed once by the caller. */
void		 arconn_admit_hashed(struct arconn *, const struct arconn_key *,
		    uint64_t hash, int64_t time_ns, uint32_t wirelen,
		    struct arconn_verdict *);

/* The key's hash (arconn_admit_hashed(), arconn_prefetch()). */
uint64_t	 arconn_hash(const struct arconn_key *);

/*
 * A hint for a lookup to come, changing nothing: stage 0 fetches the
 * hash's bucket, stage 1 (after stage 0 of a batch of them) the first
 * entry of its chain.
 */
void		 arconn_prefetch(const struct arconn *, uint64_t hash, int stage);

/* Forget the connections idle for longer than idle_ns at now_ns. */
void		 arconn_expire(struct arconn *, int64_t now_ns);

void		 arconn_get_stats(const struct arconn *, struct arconn_stats *);

#endif
