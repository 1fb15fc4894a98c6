/*
 * flowtab.c - the in-memory flow table (see flowtab.h).
 *
 * Three open-addressing hash tables, all sized once at flowtab_new():
 *  - connections: the 5-tuple and VLAN of every active connection, in a
 *    canonical order, with who its client is (SEMANTICS 4), the last bin
 *    it saw a packet in, and a cached index of its row in the open bin.
 *    It outlives bins: a connection that saw no packet during a whole bin
 *    is stale and is purged (backward-shift deletion) at a rotation when
 *    the table is half full, or when it is full.
 *  - rows: the open bin's (sip, dip, dport, proto, vlan) counters, a dense
 *    array plus an index.  Rotation hands the whole row table over as the
 *    frozen bin and takes a spare one: O(1), no copying.
 *  - first fragments: (src, dst, proto, id) -> the row and connection of
 *    the first fragment, for the later fragments (SEMANTICS 7); a small
 *    bounded table that forgets the oldest entry of a full probe window.
 *
 * The steady-state packet path is one hash of the 5-tuple, one probe of
 * the connection table (one cache line) and an add into the cached row.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "flowtab.h"

#define FRAG_WINDOW_NS		(30 * FLOWTAB_NS_PER_S)
#define FRAG_PROBES		8
#define FRAG_SLOTS_DEFAULT	16384
#define BATCH			32	/* packets fetched ahead together */
#define CONN_SLOTS_FIRST	65536	/* connection slots before growing */

/*
 * What identifies a connection: its two endpoints in a canonical order, as
 * five 64-bit words so that comparing and hashing are a few instructions.
 * w[0..1] address a, w[2..3] address b, w[4] the rest (see CONN_META).
 */
struct conn_key {
	uint64_t	 w[5];
};

#define CONN_META(pa, pb, vlan, proto, family)				\
	((uint64_t)(pa) | (uint64_t)(pb) << 16 | (uint64_t)(vlan) << 32 |	\
	 (uint64_t)(proto) << 48 | (uint64_t)(family) << 56)
#define META_PA(m)	((uint16_t)(m))
#define META_PB(m)	((uint16_t)((m) >> 16))
#define META_VLAN(m)	((uint16_t)((m) >> 32))
#define META_PROTO(m)	((uint8_t)((m) >> 48))
#define META_FAMILY(m)	((uint8_t)((m) >> 56))

/* One connection: 64 bytes, one cache line. */
struct conn {
	struct conn_key	 key;
	int64_t		 last_bin;
	uint32_t	 hash;		/* upper half of the 64-bit hash */
	uint32_t	 row;		/* row index in the table of gen */
	uint32_t	 gen;
	uint8_t		 used;
	uint8_t		 client_is_a;
	uint16_t	 pad;
};

_Static_assert(sizeof(struct conn) == 64, "a connection is one cache line");
_Static_assert(sizeof(struct flowtab_row) == 64, "a row is one cache line");

struct frag {
	uint8_t		 src[16];
	uint8_t		 dst[16];
	uint32_t	 id;
	uint8_t		 proto;
	uint8_t		 used;
	uint8_t		 has_conn;
	int64_t		 time_ns;
	struct flowtab_key row_key;
	struct conn_key	 conn_key;
};

struct rowtab {
	struct flowtab_row *rows;	/* max_flows, committed as touched */
	uint64_t	*index;		/* (hash32 << 32) | (row + 1); 0 empty */
	size_t		 rows_size;
	size_t		 index_size;
	size_t		 nrows;
	int		 index_clean;	/* index pages given back: all zero */
	uint32_t	 gen;
	struct flowtab_bin bin;		/* what rotation hands out */
	struct rowtab	*next_spare;
};

struct flowtab {
	uint32_t	 interval;
	int64_t		 interval_ns;
	size_t		 max_flows;
	size_t		 row_mask;	/* row index slots - 1 */

	struct conn	*conns;
	size_t		 conn_mask;	/* slots - 1 now */
	size_t		 conn_mask_max;	/* ... at most: max_conns at load 3/4 */
	size_t		 conn_used;	/* slots in use, stale included */
	size_t		 conn_limit;	/* in use at most: min(max_conns, 3/4
					   of the slots now) */
	size_t		 max_conns;
	int64_t		 purged_bin;	/* open bin of the last purge */

	struct frag	*frags;
	size_t		 frag_mask;

	struct rowtab	*cur;
	struct rowtab	*spares;
	int		 full;		/* FLOWTAB_FULL was returned in this part */
	uint32_t	 next_gen;
	int64_t		 open_bin;
};

/*
 * Tables of many megabytes are mapped, not malloc'ed: zero pages that are
 * committed only as they are touched, in huge pages where the kernel
 * allows (a random probe then costs one TLB miss less).
 */
static void *
big_alloc(size_t size)
{
	void *p;

	if (size == 0)
		size = 1;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (size >= (2u << 20))
		(void)madvise(p, size, MADV_HUGEPAGE);
#endif
	return p;
}

static void
big_free(void *p, size_t size)
{
	if (p != NULL)
		munmap(p, size ? size : 1);
}

/*
 * Give the pages of [p, p + size) back to the kernel; they read as zero
 * when next touched.  Worth a system call only for megabytes: a frozen
 * bin's index (the bin is read through its rows), and a written bin's
 * rows, which would otherwise stay resident in the spare table until the
 * next bin overwrites them.
 */
#define PAGES_BACK_MIN	(1u << 20)
static int
pages_back(void *p, size_t size)
{
	uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
	uintptr_t e = ((uintptr_t)p + size) & ~(uintptr_t)4095;

	if (size < PAGES_BACK_MIN || e <= a)
		return -1;
	return madvise((void *)a, e - a, MADV_DONTNEED);
}

static size_t
pow2_at_least(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static inline uint64_t
hash_mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 32);
}

static inline uint64_t
hash_final(uint64_t h)
{
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

static inline uint64_t
load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint64_t
hash_row_key(const struct flowtab_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 0x243f6a8885a308d3ULL;

	h = hash_mix(h, load64(p));
	h = hash_mix(h, load64(p + 8));
	h = hash_mix(h, load64(p + 16));
	h = hash_mix(h, load64(p + 24));
	h = hash_mix(h, load64(p + 32));
	return hash_final(h);
}

/*
 * Every packet hashes its connection key: one multiply per word by a
 * different odd constant (independent, so they overlap), folded, then the
 * final mix spreads that over the slot bits.
 */
static inline uint64_t
hash_conn_key(const struct conn_key *k)
{
	uint64_t h;

	h = k->w[0] * 0x9e3779b97f4a7c15ULL ^ k->w[1] * 0xc2b2ae3d27d4eb4fULL ^
	    k->w[2] * 0x165667b19e3779f9ULL ^ k->w[3] * 0xd6e8feb86659fd93ULL ^
	    k->w[4] * 0xff51afd7ed558ccdULL;
	return hash_final(h ^ h >> 32);
}

static inline int
conn_key_equal(const struct conn_key *a, const struct conn_key *b)
{
	return ((a->w[0] ^ b->w[0]) | (a->w[1] ^ b->w[1]) |
	    (a->w[2] ^ b->w[2]) | (a->w[3] ^ b->w[3]) |
	    (a->w[4] ^ b->w[4])) == 0;
}

/* ---------------------------------------------------------------- rows */

static struct rowtab *
rowtab_new(struct flowtab *ft)
{
	struct rowtab *t = calloc(1, sizeof *t);

	if (t == NULL)
		return NULL;
	t->rows_size = ft->max_flows * sizeof *t->rows;
	t->index_size = (ft->row_mask + 1) * sizeof *t->index;
	t->rows = big_alloc(t->rows_size);
	t->index = big_alloc(t->index_size);
	if (t->rows == NULL || t->index == NULL) {
		big_free(t->rows, t->rows_size);
		big_free(t->index, t->index_size);
		free(t);
		return NULL;
	}
	t->bin.table = t;
	return t;
}

static void
rowtab_free(struct rowtab *t)
{
	if (t == NULL)
		return;
	big_free(t->rows, t->rows_size);
	big_free(t->index, t->index_size);
	free(t);
}

/* Empty a row table for reuse: zero only the used slots when few. */
static void
rowtab_clear(struct flowtab *ft, struct rowtab *t)
{
	size_t i, slot;

	if (t->index_clean) {
		t->index_clean = 0;	/* zero pages since the freeze */
	} else if (t->nrows > (ft->row_mask + 1) / 16) {
		memset(t->index, 0, (ft->row_mask + 1) * sizeof *t->index);
	} else {
		for (i = 0; i < t->nrows; i++) {
			slot = hash_row_key(&t->rows[i].key) & ft->row_mask;
			while ((t->index[slot] & 0xffffffffu) != i + 1)
				slot = (slot + 1) & ft->row_mask;
			t->index[slot] = 0;
		}
	}
	t->nrows = 0;
}

/* The open bin's row for key, created when new; NULL when the bin is full. */
static struct flowtab_row *
row_get(struct flowtab *ft, const struct flowtab_key *key, uint32_t *row_out)
{
	struct rowtab *t = ft->cur;
	uint64_t h = hash_row_key(key), s;
	uint32_t tag = (uint32_t)(h >> 32);
	size_t slot = h & ft->row_mask;
	struct flowtab_row *row;

	while ((s = t->index[slot]) != 0) {
		row = &t->rows[(s & 0xffffffffu) - 1];
		if ((uint32_t)(s >> 32) == tag &&
		    memcmp(&row->key, key, sizeof *key) == 0) {
			*row_out = (uint32_t)((s & 0xffffffffu) - 1);
			return row;
		}
		slot = (slot + 1) & ft->row_mask;
	}
	if (t->nrows >= ft->max_flows)
		return NULL;
	*row_out = (uint32_t)t->nrows;
	row = &t->rows[t->nrows++];
	memcpy(&row->key, key, sizeof *key);
	row->bytes_rcvd = row->bytes_sent = 0;
	row->pkts_rcvd = row->pkts_sent = 0;
	t->index[slot] = (uint64_t)tag << 32 | t->nrows;
	return row;
}

static inline void
row_count(struct flowtab_row *row, const struct parse_packet *p)
{
	if (p->sent) {
		row->bytes_sent += p->nbytes;
		row->pkts_sent++;
	} else {
		row->bytes_rcvd += p->nbytes;
		row->pkts_rcvd++;
	}
}

/* --------------------------------------------------------- client side */

static inline int
port_rule_keeps(uint16_t sport, uint16_t dport)
{
	int src_eph = sport >= 32768 || sport == 0;
	int dst_eph = dport >= 32768 || dport == 0;

	if (src_eph != dst_eph)
		return src_eph;
	return dport <= sport;
}

static inline int
dst_is_multicast(const struct parse_packet *p)
{
	if (p->family == 6)
		return p->dst[0] == 0xff;
	return (p->dst[0] & 0xf0) == 0xe0;
}

/* SEMANTICS 4 rules 1-6: 1 when the sender of p is the client. */
static int
sender_is_client(const struct parse_packet *p)
{
	switch (p->proto) {
	case 6:
		if (p->has_hint && (p->hint & 0x02))
			return !(p->hint & 0x10);
		return port_rule_keeps(p->sport, p->dport);
	case 17: case 136:
		if (dst_is_multicast(p) || (p->family == 4 &&
		    p->dst[0] == 255 && p->dst[1] == 255 &&
		    p->dst[2] == 255 && p->dst[3] == 255))
			return 1;
		return port_rule_keeps(p->sport, p->dport);
	case 33: case 132:
		return port_rule_keeps(p->sport, p->dport);
	case 1:
		if (!p->has_hint)
			return 1;
		switch (p->hint) {
		case 0: case 3: case 11: case 12: case 14:
			return 0;
		}
		return 1;
	case 58:
		if (dst_is_multicast(p) || !p->has_hint)
			return 1;
		switch (p->hint) {
		case 129: case 1: case 3: case 4:
			return 0;
		}
		return 1;
	}
	return 1;
}

/* ---------------------------------------------------------- connections */

static inline size_t
conn_home(const struct flowtab *ft, const struct conn *c)
{
	return hash_conn_key(&c->key) & ft->conn_mask;
}

/* Remove slot i by shifting the rest of its cluster back. */
static void
conn_delete(struct flowtab *ft, size_t i)
{
	size_t j = i, h;

	for (;;) {
		j = (j + 1) & ft->conn_mask;
		if (!ft->conns[j].used)
			break;
		h = conn_home(ft, &ft->conns[j]);
		/* Stays if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
			continue;
		ft->conns[i] = ft->conns[j];
		i = j;
	}
	ft->conns[i].used = 0;
	ft->conn_used--;
}

/* Forget every connection that saw no packet in the bin before the open one. */
static void
conn_purge(struct flowtab *ft)
{
	size_t cap = ft->conn_mask + 1, start, k, i;

	/* Nothing turns stale until the open bin changes. */
	if (ft->purged_bin == ft->open_bin)
		return;
	ft->purged_bin = ft->open_bin;
	for (start = 0; start < cap && ft->conns[start].used; start++)
		;
	if (start == cap)
		start = 0;	/* cannot happen: load is kept below 1 */
	for (k = 1; k < cap; k++) {
		i = (start + k) & ft->conn_mask;
		while (ft->conns[i].used &&
		    ft->conns[i].last_bin < ft->open_bin - 1)
			conn_delete(ft, i);
	}
}

/* The canonical key of (src, sport) -> (dst, dport); 1 when src is a. */
static inline int
conn_key_make(struct conn_key *k, const uint8_t *src, uint16_t sport,
    const uint8_t *dst, uint16_t dport, const struct parse_packet *p)
{
	uint64_t s0 = load64(src), s1 = load64(src + 8);
	uint64_t d0 = load64(dst), d1 = load64(dst + 8);
	int src_is_a;

	/* Any total order will do: it only names the two ends. */
	if (s0 != d0)
		src_is_a = s0 < d0;
	else if (s1 != d1)
		src_is_a = s1 < d1;
	else
		src_is_a = sport <= dport;
	if (src_is_a) {
		k->w[0] = s0;
		k->w[1] = s1;
		k->w[2] = d0;
		k->w[3] = d1;
		k->w[4] = CONN_META(sport, dport, p->vlan, p->proto, p->family);
	} else {
		k->w[0] = d0;
		k->w[1] = d1;
		k->w[2] = s0;
		k->w[3] = s1;
		k->w[4] = CONN_META(dport, sport, p->vlan, p->proto, p->family);
	}
	return src_is_a;
}

static void
row_key_from(struct flowtab_key *rk, const struct conn_key *k, int client_is_a)
{
	uint64_t m = k->w[4];

	memset(rk, 0, sizeof *rk);
	if (client_is_a) {
		memcpy(rk->sip, &k->w[0], 16);
		memcpy(rk->dip, &k->w[2], 16);
		rk->dport = META_PB(m);
	} else {
		memcpy(rk->sip, &k->w[2], 16);
		memcpy(rk->dip, &k->w[0], 16);
		rk->dport = META_PA(m);
	}
	rk->vlan = META_VLAN(m);
	rk->proto = META_PROTO(m);
	rk->family = META_FAMILY(m);
}

static void
conn_set_limit(struct flowtab *ft)
{
	size_t cap = (ft->conn_mask + 1) / 4 * 3;

	ft->conn_limit = cap < ft->max_conns ? cap : ft->max_conns;
}

/*
 * Double the connection table.  It starts small and grows with the
 * traffic up to what max_conns needs, so a table sized for a million
 * flows costs a link with a thousand what a thousand need: memory, and
 * above all cache and TLB misses on every packet.  Only
 * flowtab_grow_conns() calls it, between batches: never while a packet
 * is counted.  Returns 0, or -1 when there is no memory (the table stays
 * as it is, only fuller).
 */
static int
conn_grow(struct flowtab *ft)
{
	/* Old slots given back per 2 MB read (a huge page when it is one). */
	const size_t chunk = (2u << 20) / sizeof(struct conn);
	size_t old_cap = ft->conn_mask + 1, i, slot;
	struct conn *old = ft->conns, *fresh;

	fresh = big_alloc(old_cap * 2 * sizeof *fresh);
	if (fresh == NULL)
		return -1;
	ft->conns = fresh;
	ft->conn_mask = old_cap * 2 - 1;
	/*
	 * In slot order: a connection's new home is its old one or that plus
	 * old_cap, so the new table is written in two sequential runs while
	 * the old one is given back behind the reading.  The two are never
	 * resident whole at once: the doubling costs no more than the table
	 * it makes (at 1 M connections 128 MB, not 192).
	 */
	for (i = 0; i < old_cap; i++) {
		if (i != 0 && i % chunk == 0)
			(void)pages_back(&old[i - chunk], chunk * sizeof *old);
		if (!old[i].used)
			continue;
		slot = conn_home(ft, &old[i]);
		while (fresh[slot].used)
			slot = (slot + 1) & ft->conn_mask;
		fresh[slot] = old[i];
	}
	big_free(old, old_cap * sizeof *old);
	conn_set_limit(ft);
	return 0;
}

/*
 * Find the live connection of key, or remember a new one whose client is
 * decided by p's first-packet rules (or is the sender when p is NULL).
 * Returns NULL when the table is full of live connections; *client_is_a
 * is set either way.
 */
static inline __attribute__((always_inline)) struct conn *
conn_get(struct flowtab *ft, const struct conn_key *key, uint64_t h,
    int sender_is_a, const struct parse_packet *p, int *client_is_a)
{
	int keep;

	uint32_t tag = (uint32_t)(h >> 32);
	size_t slot = h & ft->conn_mask;
	struct conn *c;

	for (;;) {
		c = &ft->conns[slot];
		if (!c->used)
			break;
		if (c->hash == tag && conn_key_equal(&c->key, key)) {
			if (c->last_bin < ft->open_bin - 1) {
				/* Stale: its next packet decides again. */
				keep = p == NULL || sender_is_client(p);
				c->client_is_a = keep ? sender_is_a : !sender_is_a;
				c->gen = 0;
			}
			c->last_bin = ft->open_bin;
			*client_is_a = c->client_is_a;
			return c;
		}
		slot = (slot + 1) & ft->conn_mask;
	}
	keep = p == NULL || sender_is_client(p);
	*client_is_a = keep ? sender_is_a : !sender_is_a;
	/*
	 * Never grown here (flowtab_grow_conns() keeps room ahead, between
	 * batches): a full table forgets its stale connections, and when
	 * none is stale the packet is counted without one.
	 */
	if (ft->conn_used >= ft->conn_limit) {
		conn_purge(ft);
		if (ft->conn_used >= ft->conn_limit)
			return NULL;
		/* The purge moved entries: find the free slot again. */
		slot = h & ft->conn_mask;
		while (ft->conns[slot].used)
			slot = (slot + 1) & ft->conn_mask;
		c = &ft->conns[slot];
	}
	c->key = *key;
	c->used = 1;
	c->client_is_a = (uint8_t)*client_is_a;
	c->hash = tag;
	c->gen = 0;
	c->row = 0;
	c->last_bin = ft->open_bin;
	ft->conn_used++;
	return c;
}

/* Look a connection up without creating it; NULL when absent or stale. */
static struct conn *
conn_find_live(struct flowtab *ft, const struct conn_key *key)
{
	uint64_t h = hash_conn_key(key);
	uint32_t tag = (uint32_t)(h >> 32);
	size_t slot = h & ft->conn_mask;
	struct conn *c;

	for (;;) {
		c = &ft->conns[slot];
		if (!c->used)
			return NULL;
		if (c->hash == tag && conn_key_equal(&c->key, key))
			return c->last_bin < ft->open_bin - 1 ? NULL : c;
		slot = (slot + 1) & ft->conn_mask;
	}
}

/* ------------------------------------------------------------ fragments */

static uint64_t
frag_hash(const uint8_t *src, const uint8_t *dst, uint8_t proto, uint32_t id)
{
	uint64_t h = 0xa4093822299f31d0ULL;

	h = hash_mix(h, load64(src));
	h = hash_mix(h, load64(src + 8));
	h = hash_mix(h, load64(dst));
	h = hash_mix(h, load64(dst + 8));
	h = hash_mix(h, (uint64_t)id << 8 | proto);
	return hash_final(h);
}

static struct frag *
frag_find(struct flowtab *ft, const struct parse_packet *p)
{
	size_t slot = frag_hash(p->src, p->dst, p->frag_proto, p->frag_id) &
	    ft->frag_mask;
	struct frag *f;
	int i;

	for (i = 0; i < FRAG_PROBES; i++) {
		f = &ft->frags[(slot + (size_t)i) & ft->frag_mask];
		if (f->used && f->id == p->frag_id &&
		    f->proto == p->frag_proto &&
		    memcmp(f->src, p->src, 16) == 0 &&
		    memcmp(f->dst, p->dst, 16) == 0)
			return f;
	}
	return NULL;
}

/* Remember a first fragment; the latest one for a match key wins. */
static void
frag_remember(struct flowtab *ft, const struct parse_packet *p,
    int64_t time_ns, const struct flowtab_key *row_key,
    const struct conn_key *conn_key, int has_conn)
{
	size_t slot = frag_hash(p->src, p->dst, p->frag_proto, p->frag_id) &
	    ft->frag_mask;
	struct frag *f, *victim = NULL;
	int i;

	f = frag_find(ft, p);
	if (f == NULL) {
		for (i = 0; i < FRAG_PROBES; i++) {
			f = &ft->frags[(slot + (size_t)i) & ft->frag_mask];
			if (!f->used)
				break;
			if (victim == NULL || f->time_ns < victim->time_ns)
				victim = f;
			f = NULL;
		}
		if (f == NULL) {
			f = victim;
			if (time_ns - f->time_ns <= FRAG_WINDOW_NS)
				ft->cur->bin.stats.frag_evicted++;
		}
	}
	memcpy(f->src, p->src, 16);
	memcpy(f->dst, p->dst, 16);
	f->id = p->frag_id;
	f->proto = p->frag_proto;
	f->used = 1;
	f->has_conn = (uint8_t)has_conn;
	f->time_ns = time_ns;
	f->row_key = *row_key;
	f->conn_key = *conn_key;
}

/* ------------------------------------------------------------------ API */

struct flowtab *
flowtab_new(const struct flowtab_config *cfg)
{
	struct flowtab *ft = calloc(1, sizeof *ft);
	size_t frag_slots, first;

	if (ft == NULL)
		return NULL;
	ft->interval = cfg->interval ? cfg->interval : 300;
	ft->interval_ns = (int64_t)ft->interval * FLOWTAB_NS_PER_S;
	ft->max_flows = cfg->max_flows ? cfg->max_flows : 1000000;
	if (ft->max_flows > UINT32_MAX - 1)
		ft->max_flows = UINT32_MAX - 1;
	ft->row_mask = pow2_at_least(ft->max_flows * 2) - 1;
	ft->max_conns = cfg->max_conns ? cfg->max_conns :
	    ft->max_flows + ft->max_flows / 2;
	ft->conn_mask_max = pow2_at_least(ft->max_conns + ft->max_conns / 3 +
	    1) - 1;
	first = pow2_at_least(cfg->conns_hint + cfg->conns_hint / 3 + 1);
	if (first < CONN_SLOTS_FIRST)
		first = CONN_SLOTS_FIRST;
	ft->conn_mask = (first < ft->conn_mask_max + 1 ? first :
	    ft->conn_mask_max + 1) - 1;
	conn_set_limit(ft);
	frag_slots = cfg->frag_slots ? cfg->frag_slots : FRAG_SLOTS_DEFAULT;
	ft->frag_mask = pow2_at_least(frag_slots) - 1;
	ft->conns = big_alloc((ft->conn_mask + 1) * sizeof *ft->conns);
	ft->frags = big_alloc((ft->frag_mask + 1) * sizeof *ft->frags);
	ft->cur = rowtab_new(ft);
	if (ft->conns == NULL || ft->frags == NULL || ft->cur == NULL) {
		flowtab_free(ft);
		return NULL;
	}
	ft->next_gen = 1;
	ft->cur->gen = ft->next_gen++;
	ft->open_bin = INT64_MIN;
	ft->purged_bin = INT64_MIN;
	return ft;
}

void
flowtab_close(struct flowtab *ft)
{
	big_free(ft->conns, (ft->conn_mask + 1) * sizeof *ft->conns);
	big_free(ft->frags, (ft->frag_mask + 1) * sizeof *ft->frags);
	ft->conns = NULL;
	ft->frags = NULL;
}

void
flowtab_free(struct flowtab *ft)
{
	struct rowtab *t;

	if (ft == NULL)
		return;
	while ((t = ft->spares) != NULL) {
		ft->spares = t->next_spare;
		rowtab_free(t);
	}
	rowtab_free(ft->cur);
	flowtab_close(ft);
	free(ft);
}

int64_t
flowtab_bin_of(const struct flowtab *ft, int64_t time_ns)
{
	int64_t q = time_ns / ft->interval_ns;

	if (time_ns % ft->interval_ns < 0)
		q--;
	return q;
}

int64_t
flowtab_bin_start_ns(const struct flowtab *ft, int64_t bin)
{
	return bin * ft->interval_ns;
}

int64_t
flowtab_open_bin(const struct flowtab *ft)
{
	return ft->open_bin;
}

struct flowtab_stats *
flowtab_stats(struct flowtab *ft)
{
	return &ft->cur->bin.stats;
}

size_t
flowtab_open_rows(const struct flowtab *ft)
{
	return ft->cur != NULL ? ft->cur->nrows : 0;
}

const struct flowtab_row *
flowtab_open_view(const struct flowtab *ft, size_t *n)
{
	*n = flowtab_open_rows(ft);
	return ft->cur != NULL ? ft->cur->rows : NULL;
}

size_t
flowtab_conn_count(const struct flowtab *ft)
{
	size_t i, n = 0;

	if (ft->conns == NULL)		/* closed */
		return 0;
	for (i = 0; i <= ft->conn_mask; i++)
		if (ft->conns[i].used &&
		    ft->conns[i].last_bin >= ft->open_bin - 1)
			n++;
	return n;
}

/* Room for BATCH more packets in a row's counters? */
static inline int
row_has_room(const struct flowtab_row *row)
{
	return row->pkts_rcvd <= UINT32_MAX - BATCH &&
	    row->pkts_sent <= UINT32_MAX - BATCH;
}

/* The row of connection c (or of key when c is NULL); NULL when full. */
static struct flowtab_row *
row_of(struct flowtab *ft, struct conn *c, const struct flowtab_key *key)
{
	struct flowtab_row *row;
	uint32_t idx;

	if (c != NULL && c->gen == ft->cur->gen)
		row = &ft->cur->rows[c->row];
	else {
		row = row_get(ft, key, &idx);
		if (row == NULL)
			return NULL;
		if (c != NULL) {
			c->gen = ft->cur->gen;
			c->row = idx;
		}
	}
	return row_has_room(row) ? row : NULL;
}

/*
 * The row a later fragment belongs to; NULL when full.  When ck is not
 * NULL it gets the connection the fragment belongs to and *sender_is_a
 * which end sent it.
 */
static struct flowtab_row *
later_fragment_row(struct flowtab *ft, const struct parse_packet *p,
    int64_t time_ns, struct conn_key *ck, uint8_t *sender_is_a_out)
{
	struct frag *f = frag_find(ft, p);
	struct flowtab_row *row;
	struct conn_key own;
	struct flowtab_key rk;
	struct conn *c;
	int sender_is_a, client_is_a;

	if (f != NULL && time_ns - f->time_ns <= FRAG_WINDOW_NS) {
		row = row_of(ft, NULL, &f->row_key);
		if (row != NULL && f->has_conn &&
		    (c = conn_find_live(ft, &f->conn_key)) != NULL)
			c->last_bin = ft->open_bin;
		if (ck != NULL) {
			*ck = f->conn_key;
			*sender_is_a_out = memcmp(p->src, &ck->w[0], 16) == 0;
		}
		return row;
	}
	/* Unmatched: the connection (src, 0, dst, 0, proto, vlan), keep. */
	if (ck == NULL)
		ck = &own;
	sender_is_a = conn_key_make(ck, p->src, 0, p->dst, 0, p);
	if (sender_is_a_out != NULL)
		*sender_is_a_out = (uint8_t)sender_is_a;
	c = conn_get(ft, ck, hash_conn_key(ck), sender_is_a, NULL,
	    &client_is_a);
	if (c == NULL)
		ft->cur->bin.stats.conn_overflow++;
	row_key_from(&rk, ck, client_is_a);
	return row_of(ft, c, &rk);
}

/*
 * Resolve the row of a packet whose connection key and hash are known,
 * creating connection and row as needed; NULL when the bin is full.
 * *client_is_a (when not NULL) gets the connection's client side.
 */
static inline __attribute__((always_inline)) struct flowtab_row *
packet_row(struct flowtab *ft, const struct parse_packet *p,
    const struct conn_key *ck, uint64_t h, int sender_is_a, int64_t time_ns,
    uint8_t *client_is_a_out)
{
	struct flowtab_row *row;
	struct flowtab_key rk;
	struct conn *c;
	int client_is_a;

	c = conn_get(ft, ck, h, sender_is_a, p, &client_is_a);
	if (client_is_a_out != NULL)
		*client_is_a_out = (uint8_t)client_is_a;
	if (c != NULL && c->gen == ft->cur->gen) {
		/* The hot path: the row of this bin is known. */
		row = &ft->cur->rows[c->row];
		if (!row_has_room(row))
			return NULL;
	} else {
		if (c == NULL)
			ft->cur->bin.stats.conn_overflow++;
		row_key_from(&rk, ck, client_is_a);
		row = row_of(ft, c, &rk);
	}
	if (row != NULL && p->frag == PARSE_FRAG_FIRST)
		frag_remember(ft, p, time_ns, &row->key, ck, c != NULL);
	return row;
}

/* What a packet user sees of a connection key (flowtab.h). */
static void
conn_export(struct flowtab_conn *out, const struct conn_key *k, uint64_t h,
    int sender_is_a, int client_is_a)
{
	uint64_t m = k->w[4];

	memcpy(out->a, &k->w[0], 16);
	memcpy(out->b, &k->w[2], 16);
	out->port_a = META_PA(m);
	out->port_b = META_PB(m);
	out->vlan = META_VLAN(m);
	out->proto = META_PROTO(m);
	out->family = META_FAMILY(m);
	out->hash = h;
	out->sender_is_a = (uint8_t)sender_is_a;
	out->client_is_a = (uint8_t)client_is_a;
}

/*
 * flowtab_add_batch(), and with conns not NULL flowtab_add_batch_conns():
 * inlined into each, so the first pays nothing for the second's output.
 */
static inline __attribute__((always_inline)) size_t
add_batch(struct flowtab *ft, const struct parse_packet *pkts,
    const int64_t *times_ns, size_t n, struct flowtab_conn *conns)
{
	struct conn_key keys[BATCH];
	struct flowtab_row *rows[BATCH];
	uint64_t hashes[BATCH];
	uint8_t sender_is_a[BATCH], client_is_a[BATCH];
	struct flowtab_row *cur_rows;
	size_t done = 0, m, k, resolved;
	uint32_t gen;

	assert(ft->open_bin != INT64_MIN);
	/* The open bin's row table stays the same during a batch. */
	gen = ft->cur->gen;
	cur_rows = ft->cur->rows;
	while (done < n) {
		m = n - done < BATCH ? n - done : BATCH;
		/* 1: hash every connection and fetch its slot. */
		for (k = 0; k < m; k++) {
			const struct parse_packet *p = &pkts[done + k];

			if (p->frag == PARSE_FRAG_LATER)
				continue;
			sender_is_a[k] = (uint8_t)conn_key_make(&keys[k],
			    p->src, p->sport, p->dst, p->dport, p);
			hashes[k] = hash_conn_key(&keys[k]);
			__builtin_prefetch(&ft->conns[hashes[k] & ft->conn_mask],
			    1);
		}
		/* 2: find connections and rows in order; fetch the rows. */
		for (k = 0; k < m; k++) {
			const struct parse_packet *p = &pkts[done + k];
			const struct conn *c;

			/*
			 * Most packets: the connection sits in its home
			 * slot and already has a row in this bin (so it
			 * was seen in this bin: nothing else to update).
			 */
			if (p->frag == PARSE_FRAG_NONE &&
			    (c = &ft->conns[hashes[k] & ft->conn_mask],
			    c->gen == gen) && c->used &&
			    c->hash == (uint32_t)(hashes[k] >> 32) &&
			    conn_key_equal(&c->key, &keys[k]) &&
			    row_has_room(&cur_rows[c->row])) {
				rows[k] = &cur_rows[c->row];
				if (conns != NULL)
					client_is_a[k] = c->client_is_a;
				__builtin_prefetch(rows[k], 1);
				continue;
			}
			if (p->frag == PARSE_FRAG_LATER) {
				rows[k] = later_fragment_row(ft, p,
				    times_ns[done + k],
				    conns != NULL ? &keys[k] : NULL,
				    conns != NULL ? &sender_is_a[k] : NULL);
				if (conns != NULL) {
					hashes[k] = hash_conn_key(&keys[k]);
					client_is_a[k] = rows[k] != NULL &&
					    memcmp(rows[k]->key.sip,
					    &keys[k].w[0], 16) == 0;
				}
			} else
				rows[k] = packet_row(ft, p, &keys[k], hashes[k],
				    sender_is_a[k], times_ns[done + k],
				    conns != NULL ? &client_is_a[k] : NULL);
			if (rows[k] == NULL)
				break;
			__builtin_prefetch(rows[k], 1);
		}
		resolved = k;
		/* 3: count. */
		for (k = 0; k < resolved; k++)
			row_count(rows[k], &pkts[done + k]);
		if (conns != NULL)
			for (k = 0; k < resolved; k++)
				conn_export(&conns[done + k], &keys[k],
				    hashes[k], sender_is_a[k], client_is_a[k]);
		ft->cur->bin.stats.ip += resolved;
		done += resolved;
		if (resolved < m) {
			ft->full = 1;
			break;
		}
	}
	return done;
}

size_t
flowtab_add_batch(struct flowtab *ft, const struct parse_packet *pkts,
    const int64_t *times_ns, size_t n)
{
	return add_batch(ft, pkts, times_ns, n, NULL);
}

size_t
flowtab_add_batch_conns(struct flowtab *ft, const struct parse_packet *pkts,
    const int64_t *times_ns, size_t n, struct flowtab_conn *conns)
{
	return add_batch(ft, pkts, times_ns, n, conns);
}

int
flowtab_add(struct flowtab *ft, const struct parse_packet *p, int64_t time_ns)
{
	return flowtab_add_batch(ft, p, &time_ns, 1) == 1 ? 0 : FLOWTAB_FULL;
}

int
flowtab_grow_conns(struct flowtab *ft)
{
	if (ft->conns == NULL || ft->conn_mask >= ft->conn_mask_max ||
	    ft->conn_used + FLOWTAB_GROW_AHEAD <= ft->conn_limit)
		return 0;
	return conn_grow(ft) == 0 ? 0 : -ENOMEM;
}

struct flowtab_bin *
flowtab_rotate(struct flowtab *ft, int64_t next)
{
	struct rowtab *old = ft->cur, *fresh;
	int early;

	if (ft->open_bin == INT64_MIN) {
		ft->open_bin = next;
		return NULL;
	}
	assert(next >= ft->open_bin);
	early = next == ft->open_bin;	/* table full, or the final write */
	if ((fresh = ft->spares) != NULL)
		ft->spares = fresh->next_spare;
	else if ((fresh = rowtab_new(ft)) == NULL) {
		/*
		 * No memory for a second table: keep counting into this
		 * one.  Nothing is lost; the bin is written later.
		 */
		return NULL;
	}
	fresh->gen = ft->next_gen++;
	if (ft->next_gen == 0)
		ft->next_gen = 1;
	memset(&fresh->bin.stats, 0, sizeof fresh->bin.stats);
	old->bin.ts = ft->open_bin * (int64_t)ft->interval;
	old->bin.interval = ft->interval;
	old->bin.nrows = old->nrows;
	old->bin.rows = old->rows;
	old->bin.next = NULL;
	if (early && ft->full)
		old->bin.stats.early_writes++;
	ft->full = 0;
	ft->cur = fresh;
	ft->open_bin = next;
	/* The frozen bin needs no index: zero it now, in the kernel. */
	if (old->nrows > (ft->row_mask + 1) / 16 &&
	    pages_back(old->index, old->index_size) == 0)
		old->index_clean = 1;
	/* Forget idle connections while it is cheap to do so. */
	if (!early && ft->conn_used > ft->max_conns / 2)
		conn_purge(ft);
	return &old->bin;
}

void
flowtab_bin_release(struct flowtab *ft, struct flowtab_bin *bin)
{
	struct rowtab *t = bin->table;
	size_t used = t->nrows * sizeof *t->rows;

	rowtab_clear(ft, t);
	/* A spare holds no rows: its written ones need no memory meanwhile. */
	(void)pages_back(t->rows, used);
	t->next_spare = ft->spares;
	ft->spares = t;
}
