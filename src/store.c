/*
 * store.c - write frozen bins into per-interface, per-day SQLite files.
 *
 * The offline reader and the daemon's writer thread call store_write_bin()
 * with each frozen bin; the store opens (creating, checking or migrating)
 * the day file of the bin's ts, and writes the bin in one transaction:
 *
 *   1. addresses: each row's sip/dip is looked up in an in-memory map of
 *      the day's addrs; addresses new to the day get ids in sorted address
 *      order and are inserted with their inet_ntop() text;
 *   2. flow keys: likewise (sip_id, dip_id, dport, proto, vlan) in a map
 *      of the day's flow_keys, new keys getting ids in sorted key order;
 *   3. rows, sorted by key id, go to flow_rows: appended by multi-row
 *      INSERTs when the bin is new to the file, else each with INSERT OR
 *      IGNORE and, when that changed nothing (the bin was written
 *      before), an UPDATE that adds the counters;
 *   4. the bin's counters are added to its rows in bins and bin_skips.
 *
 * Ids are handed out in sorted order so that every b-tree receives its
 * new entries in key order and inserts stay near the right edge.  The
 * first bin of a day, when large, skips the INSERTs: btload lays its
 * trees out in a new file that takes the day's name when whole
 * (store_write_new_day()); the ids and maps are the same either way.
 *
 * Invariants: one store per interface, used by one thread at a time, and
 * the only writer of its files (the maps and next ids are trusted between
 * transactions).  A map is either complete (it holds every row of its
 * table: a miss means new) or, once the day outgrows store_cache_max,
 * per-bin (cleared for each bin: a miss is looked up through the table's
 * UNIQUE index).  After a failed transaction the maps and next ids are
 * dropped and reloaded from the file, so a retry starts from the truth.
 * No allocation per row: work arrays grow with the largest bin seen.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "btload.h"
#include "catalog.h"
#include "parse.h"
#include "rollup.h"
#include "store.h"
#include "util.h"

/* A map holding more entries than this is dropped for per-bin lookups. */
#define STORE_CACHE_MAX		(8u << 20)
/* Page size of new files, and the page cache of an open file (KiB). */
#ifndef STORE_PAGE_SIZE
#define STORE_PAGE_SIZE		4096
#endif
#ifndef STORE_CACHE_KIB
#define STORE_CACHE_KIB		65536
#endif
/* How long a statement waits for a lock held by another connection. */
#define STORE_BUSY_MS		10000
/* Rows ANALYZE reads per index (PRAGMA analysis_limit). */
#define STORE_ANALYZE_LIMIT	1000
/* A WAL larger than this after a checkpoint is truncated (bytes). */
#define STORE_WAL_LIMIT		(64 << 20)

/* Map lookups started this far ahead of their use. */
#define STORE_PREFETCH		16

/* Rows per multi-row INSERT (one statement's overhead for all of them). */
#ifndef STORE_BATCH
#define STORE_BATCH		64
#define STORE_BULK_KEYS		4096	/* new keys into an empty file: bulk */
#endif

/*
 * The trees of a new day that btload lays out (store_write_new_day()), by
 * name in sqlite_master, with their columns: "name:pk" in column order for
 * a table, the indexed columns for an index.  The records btload gets are
 * built for exactly these; a schema that differs makes the store write the
 * bin with SQL instead.
 */
enum {
	TREE_ADDRS, TREE_ADDRS_IP, TREE_ADDRS_TEXT,
	TREE_KEYS, TREE_KEYS_UNIQUE, TREE_KEYS_DIP, TREE_KEYS_PORT,
	TREE_ROWS,
	STORE_TREES
};

static const struct {
	const char	*name;
	const char	*columns;
} store_trees[STORE_TREES] = {
	[TREE_ADDRS] = { "addrs", "id:1,ip:0,text:0" },
	[TREE_ADDRS_IP] = { "sqlite_autoindex_addrs_1", "ip" },
	[TREE_ADDRS_TEXT] = { "sqlite_autoindex_addrs_2", "text" },
	[TREE_KEYS] = { "flow_keys",
	    "id:1,sip:0,dip:0,dport:0,proto:0,vlan:0" },
	[TREE_KEYS_UNIQUE] = { "sqlite_autoindex_flow_keys_1",
	    "sip,dip,dport,proto,vlan" },
	[TREE_KEYS_DIP] = { "flow_keys_dip", "dip" },
	[TREE_KEYS_PORT] = { "flow_keys_proto_dport", "proto,dport" },
	[TREE_ROWS] = { "flow_rows", "ts:1,key:2,bytes_rcvd:0,bytes_sent:0,"
	    "pkts_rcvd:0,pkts_sent:0" },
};

/* A map slot's id: 0 empty, PENDING|n the nth new entry of this bin. */
#define STORE_PENDING		0x80000000u
#define STORE_MAX_ID		(STORE_PENDING - 1)

/* Generated from sql/migrate-NNN.sql: [v] turns a version v-1 file into v. */
extern const char *const store_migrate_sql[];
extern const int store_migrate_count;

/*
 * The schema version this build writes, its migrations and the cache
 * bound.  Variables only so that the unit test (which includes this file)
 * can pose as a later version or shrink the caches.
 */
static int store_version = STORE_SCHEMA_VERSION;
static const char *const *store_migrations;	/* NULL: store_migrate_sql */
static int store_migrations_count;
static size_t store_cache_max = STORE_CACHE_MAX;
static size_t store_bulk_keys = STORE_BULK_KEYS;
/* A bin of this many rows starting a day is written by btload (default). */
static size_t store_new_day_rows = STORE_BULK_KEYS;

enum {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_ADDR_FIND,
	STMT_ADDR_INSERT,
	STMT_ADDR_BATCH,
	STMT_KEY_FIND,
	STMT_KEY_INSERT,
	STMT_KEY_BATCH,
	STMT_ROW_ANY,
	STMT_ROW_APPEND,
	STMT_ROW_BATCH,
	STMT_ROW_INSERT,
	STMT_ROW_ADD,
	STMT_BIN_ADD,
	STMT_SKIP_ADD,
	STMT_COUNT
};

static const char *const store_stmt_sql[STMT_COUNT] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_ADDR_FIND] = "SELECT id FROM addrs WHERE ip = ?1",
	[STMT_ADDR_INSERT] = "INSERT INTO addrs (id, ip, text) VALUES (?1, ?2, ?3)",
	[STMT_KEY_FIND] = "SELECT id FROM flow_keys WHERE sip = ?1 AND dip = ?2"
	    " AND dport = ?3 AND proto = ?4 AND vlan = ?5",
	[STMT_KEY_INSERT] = "INSERT INTO flow_keys (id, sip, dip, dport, proto,"
	    " vlan) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STMT_ROW_ANY] = "SELECT 1 FROM flow_rows WHERE ts = ?1 LIMIT 1",
	[STMT_ROW_APPEND] = "INSERT INTO flow_rows (ts, key, bytes_rcvd,"
	    " bytes_sent, pkts_rcvd, pkts_sent) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STMT_ROW_INSERT] = "INSERT OR IGNORE INTO flow_rows (ts, key,"
	    " bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STMT_ROW_ADD] = "UPDATE flow_rows SET bytes_rcvd = bytes_rcvd + ?3,"
	    " bytes_sent = bytes_sent + ?4, pkts_rcvd = pkts_rcvd + ?5,"
	    " pkts_sent = pkts_sent + ?6 WHERE ts = ?1 AND key = ?2",
	[STMT_BIN_ADD] = "INSERT INTO bins (ts, interval, writes, packets, ip,"
	    " non_ip, malformed, flows, flows_v4, flows_v6, bytes_rcvd,"
	    " bytes_sent, pkts_rcvd, pkts_sent, conn_overflow, frag_evicted,"
	    " early_writes, kernel_packets, kernel_drops, kernel_freezes)"
	    " VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
	    " ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
	    " ON CONFLICT (ts) DO UPDATE SET interval = excluded.interval,"
	    " writes = writes + 1, packets = packets + excluded.packets,"
	    " ip = ip + excluded.ip, non_ip = non_ip + excluded.non_ip,"
	    " malformed = malformed + excluded.malformed,"
	    " flows = flows + excluded.flows,"
	    " flows_v4 = flows_v4 + excluded.flows_v4,"
	    " flows_v6 = flows_v6 + excluded.flows_v6,"
	    " bytes_rcvd = bytes_rcvd + excluded.bytes_rcvd,"
	    " bytes_sent = bytes_sent + excluded.bytes_sent,"
	    " pkts_rcvd = pkts_rcvd + excluded.pkts_rcvd,"
	    " pkts_sent = pkts_sent + excluded.pkts_sent,"
	    " conn_overflow = conn_overflow + excluded.conn_overflow,"
	    " frag_evicted = frag_evicted + excluded.frag_evicted,"
	    " early_writes = early_writes + excluded.early_writes,"
	    " kernel_packets = kernel_packets + excluded.kernel_packets,"
	    " kernel_drops = kernel_drops + excluded.kernel_drops,"
	    " kernel_freezes = kernel_freezes + excluded.kernel_freezes",
	[STMT_SKIP_ADD] = "INSERT INTO bin_skips (ts, reason, packets)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (ts, reason)"
	    " DO UPDATE SET packets = packets + excluded.packets",
};

/* Address map: (family, 16 bytes) -> addrs id. */
struct store_addr_slot {
	uint8_t		 ip[16];
	uint32_t	 id;
	uint8_t		 family;
	uint8_t		 pad[3];
};

struct store_addr_map {
	struct store_addr_slot *slot;
	size_t		 mask;		/* slots - 1; 0 before the first insert */
	size_t		 count;
	int		 complete;	/* holds all of addrs: a miss is new */
};

/* Key map: (sip, dip, dport, proto, vlan) -> flow_keys id. */
struct store_key_slot {
	uint32_t	 sip;
	uint32_t	 dip;
	uint16_t	 dport;
	uint16_t	 vlan;
	uint8_t		 proto;
	uint8_t		 pad[3];
	uint32_t	 id;
};

struct store_key_map {
	struct store_key_slot *slot;
	size_t		 mask;
	size_t		 count;
	int		 complete;
};

/*
 * An address or key new to the day.  Rows refer to the nth new one seen
 * (PENDING|n); sorting moves them, so each keeps n, and new_id[n] gets
 * the id it was given.
 */
struct store_new_addr {
	uint8_t		 ip[16];
	uint8_t		 family;
	uint8_t		 pad[3];
	uint32_t	 n;
};

struct store_new_key {
	uint64_t	 hi;		/* sip << 32 | dip */
	uint64_t	 lo;		/* dport << 32 | proto << 16 | vlan */
	uint32_t	 n;
	uint32_t	 pad;
};
_Static_assert(2 * sizeof(struct store_new_addr) >=
    sizeof(struct store_new_key), "new_addr can hold the keys' sort");

struct store {
	char		*dir;
	char		*iface;

	/* The open day file, or db NULL. */
	sqlite3		*db;
	char		*path;
	char		 day[16];
	int64_t		 day_ts;	/* the day's first second */
	sqlite3_stmt	*stmt[STMT_COUNT];
	int		 loaded;	/* maps and next ids are valid */
	uint32_t	 next_addr;
	uint32_t	 next_key;
	uint32_t	 first_new_key;	/* of the bin being written */
	uint64_t	 rows;		/* flow_rows in the file (from bins) */
	uint64_t	 rows_analyzed;	/* ... when ANALYZE last ran */
	struct store_addr_map addrs;
	struct store_key_map keys;

	/* Work arrays, grown to the largest bin. */
	size_t		 work_rows;
	uint32_t	*row_sip;	/* addrs id or PENDING|new index */
	uint32_t	*row_dip;
	uint64_t	*row_order;	/* key id << 32 | row index */
	uint64_t	*row_tmp;
	struct store_new_addr *new_addr;	/* 2 * work_rows */
	struct store_new_key *new_key;		/* work_rows */
	uint32_t	*new_id;		/* 2 * work_rows */

	/* A new day's first bin written by btload (store_write_new_day). */
	struct btload	*bl;
	uint32_t	 root[STORE_TREES];
	struct btload_recs recs;
	size_t		 new_day_rows;	/* btload a first bin this large */
	struct store_addr_job *addr_job;	/* a new day's address texts */
	int		 bl_rc;		/* a btload failure, and its cause */
	char		*bl_cause;
};

/* ------------------------------------------------------------ hashing */

static inline uint64_t
store_mix(uint64_t x)
{
	x *= 0x9e3779b97f4a7c15ULL;
	x ^= x >> 31;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 29;
	return x;
}

static inline uint64_t
store_addr_hash(const uint8_t *ip, uint8_t family)
{
	uint64_t a, b;

	memcpy(&a, ip, 8);
	memcpy(&b, ip + 8, 8);
	return store_mix(a ^ store_mix(b + family));
}

static inline uint64_t
store_key_hash(uint64_t hi, uint64_t lo)
{
	return store_mix(hi ^ store_mix(lo));
}

static void
store_addr_map_clear(struct store_addr_map *m)
{
	if (m->count != 0)
		memset(m->slot, 0, (m->mask + 1) * sizeof *m->slot);
	m->count = 0;
}

static void
store_addr_map_free(struct store_addr_map *m)
{
	free(m->slot);
	memset(m, 0, sizeof *m);
}

/* The slot holding the address, or the empty slot where it belongs. */
static inline struct store_addr_slot *
store_addr_map_find(struct store_addr_map *m, const uint8_t *ip,
    uint8_t family)
{
	struct store_addr_slot *s;
	size_t i;

	i = (size_t)store_addr_hash(ip, family) & m->mask;
	for (;;) {
		s = &m->slot[i];
		if (s->id == 0 || (s->family == family &&
		    memcmp(s->ip, ip, 16) == 0))
			return s;
		i = (i + 1) & m->mask;
	}
}

static inline void
store_addr_map_prefetch(const struct store_addr_map *m, const uint8_t *ip,
    uint8_t family)
{
	__builtin_prefetch(&m->slot[store_addr_hash(ip, family) & m->mask], 1);
}

/* Make room for one more entry (load at most 0.7); 0 or -ENOMEM. */
static int
store_addr_map_reserve(struct store_addr_map *m, size_t more)
{
	struct store_addr_slot *old = m->slot, *s, *d;
	size_t oldn = m->slot ? m->mask + 1 : 0, n, i;

	n = oldn ? oldn : 1024;
	while ((m->count + more) * 10 > n * 7)
		n *= 2;
	if (n == oldn)
		return 0;
	if ((s = calloc(n, sizeof *s)) == NULL)
		return -ENOMEM;
	m->slot = s;
	m->mask = n - 1;
	for (i = 0; i < oldn; i++) {
		if (old[i].id == 0)
			continue;
		d = store_addr_map_find(m, old[i].ip, old[i].family);
		*d = old[i];
	}
	free(old);
	return 0;
}

static void
store_key_map_clear(struct store_key_map *m)
{
	if (m->count != 0)
		memset(m->slot, 0, (m->mask + 1) * sizeof *m->slot);
	m->count = 0;
}

static void
store_key_map_free(struct store_key_map *m)
{
	free(m->slot);
	memset(m, 0, sizeof *m);
}

static inline uint64_t
store_key_hi(uint32_t sip, uint32_t dip)
{
	return (uint64_t)sip << 32 | dip;
}

static inline uint64_t
store_key_lo(uint16_t dport, uint8_t proto, uint16_t vlan)
{
	return (uint64_t)dport << 32 | (uint64_t)proto << 16 | vlan;
}

static inline struct store_key_slot *
store_key_map_find(struct store_key_map *m, uint64_t hi, uint64_t lo)
{
	struct store_key_slot *s;
	size_t i;

	i = (size_t)store_key_hash(hi, lo) & m->mask;
	for (;;) {
		s = &m->slot[i];
		if (s->id == 0 || (store_key_hi(s->sip, s->dip) == hi &&
		    store_key_lo(s->dport, s->proto, s->vlan) == lo))
			return s;
		i = (i + 1) & m->mask;
	}
}

static inline void
store_key_slot_set(struct store_key_slot *s, uint64_t hi, uint64_t lo,
    uint32_t id)
{
	s->sip = (uint32_t)(hi >> 32);
	s->dip = (uint32_t)hi;
	s->dport = (uint16_t)(lo >> 32);
	s->proto = (uint8_t)(lo >> 16);
	s->vlan = (uint16_t)lo;
	s->id = id;
}

/* Start fetching the slot where a key's probe begins (a cache miss). */
static inline void
store_key_map_prefetch(const struct store_key_map *m, uint64_t hi, uint64_t lo)
{
	__builtin_prefetch(&m->slot[store_key_hash(hi, lo) & m->mask], 1);
}

static int
store_key_map_reserve(struct store_key_map *m, size_t more)
{
	struct store_key_slot *old = m->slot, *s, *d;
	size_t oldn = m->slot ? m->mask + 1 : 0, n, i;

	n = oldn ? oldn : 1024;
	while ((m->count + more) * 10 > n * 7)
		n *= 2;
	if (n == oldn)
		return 0;
	if ((s = calloc(n, sizeof *s)) == NULL)
		return -ENOMEM;
	m->slot = s;
	m->mask = n - 1;
	for (i = 0; i < oldn; i++) {
		if (old[i].id == 0)
			continue;
		d = store_key_map_find(m, store_key_hi(old[i].sip, old[i].dip),
		    store_key_lo(old[i].dport, old[i].proto, old[i].vlan));
		*d = old[i];
	}
	free(old);
	return 0;
}

/* ------------------------------------------------------------ sorting */

/*
 * Sort row handles (key id << 32 | row index) by key id: an LSD radix
 * sort over 11-bit digits of the id, as many as maxid needs.  Returns the
 * array holding the result (v or tmp).
 */
static uint64_t *
store_sort_rows(uint64_t *v, uint64_t *tmp, size_t n, uint32_t maxid)
{
	uint32_t count[2048];
	uint64_t *src = v, *dst = tmp, *t;
	unsigned shift;
	size_t i, sum, c;

	for (shift = 32; shift < 64 && (maxid >> (shift - 32)) != 0;
	    shift += 11) {
		memset(count, 0, sizeof count);
		for (i = 0; i < n; i++)
			count[(src[i] >> shift) & 2047]++;
		for (sum = 0, i = 0; i < 2048; i++) {
			c = count[i];
			count[i] = (uint32_t)sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[count[(src[i] >> shift) & 2047]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	return src;
}

/* Order of addrs.ip (a BLOB): bytes, then length. */
static int
store_cmp_addr(const void *a, const void *b)
{
	const struct store_new_addr *x = a, *y = b;
	size_t lx = x->family == 4 ? 4 : 16, ly = y->family == 4 ? 4 : 16;
	int c;

	c = memcmp(x->ip, y->ip, lx < ly ? lx : ly);
	if (c != 0)
		return c;
	return (lx > ly) - (lx < ly);
}

/*
 * New keys into the order of flow_keys' UNIQUE index (hi, then lo): an LSD
 * radix sort, 11 bits a pass, skipping the digits in which all keys agree
 * (unused high bits, a VLAN that is always 0), through tmp (room for n).
 * A million keys take a fifth of qsort()'s time.
 */
static void
store_sort_keys(struct store_new_key *v, size_t n,
    struct store_new_key *tmp)
{
	struct store_new_key *src = v, *dst, *t;
	uint64_t or_[2] = { 0, 0 }, and_[2] = { ~0ULL, ~0ULL }, w;
	uint32_t count[2048];
	unsigned digit, shift, half;
	size_t i, sum, c;

	if (n < 2)
		return;
	for (i = 0; i < n; i++) {
		or_[0] |= v[i].lo;
		and_[0] &= v[i].lo;
		or_[1] |= v[i].hi;
		and_[1] &= v[i].hi;
	}
	dst = tmp;
	/* Digits of each half at bits 0, 11, ..., 55 (the last one 9 bits). */
	for (digit = 0; digit < 12; digit++) {
		half = digit / 6;
		shift = digit % 6 * 11;
		if ((((or_[half] ^ and_[half]) >> shift) & 2047) == 0)
			continue;
		memset(count, 0, sizeof count);
		for (i = 0; i < n; i++) {
			w = half ? src[i].hi : src[i].lo;
			count[(w >> shift) & 2047]++;
		}
		for (sum = 0, i = 0; i < 2048; i++) {
			c = count[i];
			count[i] = (uint32_t)sum;
			sum += c;
		}
		for (i = 0; i < n; i++) {
			w = half ? src[i].hi : src[i].lo;
			dst[count[(w >> shift) & 2047]++] = src[i];
		}
		t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof *v);
}

/* ------------------------------------------------------------ text */

static char *
store_put_dec(char *p, unsigned v)
{
	if (v >= 100)
		*p++ = (char)('0' + v / 100);
	if (v >= 10)
		*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

static char *
store_put_v4(char *p, const uint8_t *ip)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (i != 0)
			*p++ = '.';
		p = store_put_dec(p, ip[i]);
	}
	return p;
}

/*
 * The text of an address, exactly as glibc's inet_ntop() writes it (the
 * unit test compares them) and several times faster: RFC 5952 for IPv6,
 * lower-case hex without leading zeros, the longest run of two or more
 * zero groups (the first of equals) as "::", and a dotted quad for the
 * last 32 bits of ::ffff:0:0/96 and of ::/96 when the seventh group is
 * not zero.  buf has room for INET6_ADDRSTRLEN.  Returns the length.
 */
static size_t
store_addr_text(const uint8_t *ip, uint8_t family, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	unsigned w[8], v;
	int i, best = -1, bestlen = 0, run = -1, len = 0, started;
	char *p = buf;

	if (family == 4) {
		p = store_put_v4(p, ip);
		*p = '\0';
		return (size_t)(p - buf);
	}
	for (i = 0; i < 8; i++)
		w[i] = (unsigned)ip[2 * i] << 8 | ip[2 * i + 1];
	for (i = 0; i <= 8; i++) {
		if (i < 8 && w[i] == 0) {
			if (run < 0)
				run = i;
			len = i - run + 1;
			continue;
		}
		if (run >= 0 && len > bestlen) {
			best = run;
			bestlen = len;
		}
		run = -1;
	}
	if (bestlen < 2)
		best = -1;
	for (i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + bestlen) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i != 0)
			*p++ = ':';
		/* An embedded IPv4 address ends it. */
		if (i == 6 && best == 0 && (bestlen == 6 ||
		    (bestlen == 5 && w[5] == 0xffff))) {
			p = store_put_v4(p, ip + 12);
			break;
		}
		v = w[i];
		started = 0;
		for (int sh = 12; sh >= 0; sh -= 4) {
			unsigned d = v >> sh & 15;

			if (d != 0 || started || sh == 0) {
				*p++ = hex[d];
				started = 1;
			}
		}
	}
	if (best >= 0 && best + bestlen == 8)
		*p++ = ':';
	*p = '\0';
	return (size_t)(p - buf);
}

/* ------------------------------------------------------------ errors */

static int
store_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* Set *cause to "path: SQLite's message" and return a negative code. */
static int
store_fail(struct store *st, sqlite3 *db, int rc, char **cause)
{
	const char *msg = sqlite3_errstr(rc);

	/* SQLite's own message when the failure was SQLite's. */
	if (db != NULL && (sqlite3_errcode(db) & 0xff) == (rc & 0xff))
		msg = sqlite3_errmsg(db);

	return util_cause(cause, store_errno(rc), "%s: %s", st->path, msg);
}

/* Run SQL that returns no rows we need. */
static int
store_exec(struct store *st, sqlite3 *db, const char *sql, char **cause)
{
	int rc;

	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, db, rc, cause);
	return 0;
}

/* One integer from a query (NULL reads as 0); 0 or negative. */
static int
store_query_int(struct store *st, sqlite3 *db, const char *sql,
    int64_t *out, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	*out = 0;
	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, db, rc, cause);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE) {
		rc = store_fail(st, db, rc, cause);
		sqlite3_finalize(s);
		return rc;
	}
	sqlite3_finalize(s);
	return 0;
}

/* ------------------------------------------------------------ files */

char *
store_day_path(const char *db_dir, const char *iface, int64_t ts)
{
	char day[16];

	util_utc_day(ts, day, sizeof day);
	return util_printf("%s/%s/%s-%s.db", db_dir, iface, iface, day);
}

/* Fill a new, empty file: schema, version, meta rows. */
static int
store_create(struct store *st, sqlite3 *db, const struct flowtab_bin *bin,
    char **cause)
{
	static const char *const meta_sql = "INSERT INTO meta (name, value)"
	    " VALUES ('iface', ?1), ('day', ?2), ('interval', ?3),"
	    " ('created_by', ?4), ('created', ?5)";
	sqlite3_stmt *s = NULL;
	char *sql, created[32];
	int64_t n;
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	/* Both only take effect before the first page is written. */
	sql = util_printf("PRAGMA page_size = %d; PRAGMA journal_mode = WAL",
	    STORE_PAGE_SIZE);
	rc = store_exec(st, db, sql, cause);
	free(sql);
	if (rc != 0)
		return rc;
	if ((rc = store_exec(st, db, "BEGIN IMMEDIATE", cause)) != 0)
		return rc;
	/* Someone may have created it since we looked. */
	rc = store_query_int(st, db, "SELECT count(*) FROM sqlite_master",
	    &n, cause);
	if (rc != 0)
		goto fail;
	if (n != 0) {
		rc = util_cause(cause, -EAGAIN,
		    "%s: created by someone else meanwhile", st->path);
		goto fail;
	}
	if ((rc = store_exec(st, db, store_schema_sql, cause)) != 0)
		goto fail;
	sql = util_printf("PRAGMA application_id = %d; PRAGMA user_version = %d",
	    (int)STORE_APPLICATION_ID, store_version);
	rc = store_exec(st, db, sql, cause);
	free(sql);
	if (rc != 0)
		goto fail;

	gmtime_r(&now, &tm);
	strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
	rc = sqlite3_prepare_v2(db, meta_sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, st->iface, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, st->day, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, bin->interval);
		sqlite3_bind_text(s, 4, "flowrec " PACKAGE_VERSION, -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(s, 5, created, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
	}
	if (rc != SQLITE_DONE) {
		rc = store_fail(st, db, rc, cause);
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	if ((rc = store_exec(st, db, "COMMIT", cause)) != 0)
		goto fail;
	return 0;

fail:
	sqlite3_finalize(s);
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Bring a version `from` file to store_version, in one transaction. */
static int
store_migrate(struct store *st, sqlite3 *db, int from, char **cause)
{
	const char *const *mig = store_migrations ? store_migrations :
	    store_migrate_sql;
	int nmig = store_migrations ? store_migrations_count :
	    store_migrate_count;
	char *sql;
	int v, rc;

	for (v = from + 1; v <= store_version; v++) {
		if (v >= nmig || mig[v] == NULL)
			return util_cause(cause, -ENOTSUP,
			    "%s: no migration from schema version %d to %d",
			    st->path, v - 1, v);
	}
	if ((rc = store_exec(st, db, "BEGIN IMMEDIATE", cause)) != 0)
		return rc;
	for (v = from + 1; v <= store_version; v++) {
		rc = store_exec(st, db, mig[v], cause);
		if (rc != 0) {
			util_cause(cause, rc,
			    "%s: migrating to schema version %d: %s", st->path,
			    v, sqlite3_errmsg(db));
			goto fail;
		}
	}
	sql = util_printf("PRAGMA user_version = %d", store_version);
	rc = store_exec(st, db, sql, cause);
	free(sql);
	if (rc != 0)
		goto fail;
	if ((rc = store_exec(st, db, "COMMIT", cause)) != 0)
		goto fail;
	log_info("%s: migrated from schema version %d to %d", st->path, from,
	    store_version);
	return 0;

fail:
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/*
 * Check what the file is: create it when empty, migrate it when older,
 * refuse it when it is not ours or newer.  Never writes to a file that
 * is not a flowrec database.
 */
static int
store_check(struct store *st, sqlite3 *db, const struct flowtab_bin *bin,
    char **cause)
{
	int64_t app, version, objects;
	int rc;

	if ((rc = store_query_int(st, db, "PRAGMA application_id", &app,
	    cause)) != 0)
		return rc;
	if ((rc = store_query_int(st, db, "PRAGMA user_version", &version,
	    cause)) != 0)
		return rc;
	if ((rc = store_query_int(st, db, "SELECT count(*) FROM sqlite_master",
	    &objects, cause)) != 0)
		return rc;

	if (app == 0 && version == 0 && objects == 0)
		return store_create(st, db, bin, cause);
	if (app != (int64_t)STORE_APPLICATION_ID)
		return util_cause(cause, -EINVAL, "%s: not a flowrec database "
		    "(application_id %#llx, not %#x); not touching it",
		    st->path, (unsigned long long)(uint32_t)app,
		    STORE_APPLICATION_ID);
	if (version > store_version)
		return util_cause(cause, -EPROTONOSUPPORT, "%s: schema version "
		    "%lld is newer than this flowrec's (%d); use a newer "
		    "flowrec", st->path, (long long)version, store_version);
	if (version < 1)
		return util_cause(cause, -EINVAL, "%s: flowrec database "
		    "without a schema version; not touching it", st->path);
	if (version < store_version)
		return store_migrate(st, db, (int)version, cause);
	return 0;
}

/* The per-connection settings; see doc/storage.md for the choices. */
static int
store_configure(struct store *st, sqlite3 *db, char **cause)
{
	char *sql, mode[16] = "";
	sqlite3_stmt *s;
	int rc;

	/* A file someone converted to a rollback journal goes back to WAL. */
	rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, db, rc, cause);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		snprintf(mode, sizeof mode, "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_fail(st, db, rc, cause);
	if (strcmp(mode, "wal") != 0)
		return util_cause(cause, -ENOTSUP, "%s: cannot use WAL mode "
		    "(journal_mode is %s)", st->path, mode);

	sql = util_printf("PRAGMA synchronous = NORMAL;"
	    " PRAGMA cache_size = -%d;"
	    " PRAGMA secure_delete = OFF;"
	    " PRAGMA journal_size_limit = %d",
	    STORE_CACHE_KIB, STORE_WAL_LIMIT);
	rc = store_exec(st, db, sql, cause);
	free(sql);
	return rc;
}

static void
store_forget(struct store *st)
{
	st->loaded = 0;
	store_addr_map_clear(&st->addrs);
	store_key_map_clear(&st->keys);
}

/*
 * Statistics for the planner.  A query on the view finds keys through the
 * dictionaries' indexes (skip-scanning proto for a dport condition), then
 * their rows with a skip-scan of flow_rows over ts; the planner only picks
 * those when sqlite_stat1 says proto and ts have few distinct values.
 *
 * ANALYZE with analysis_limit is cheap but guesses a leading column from
 * its first rows (it takes the proto or ts of those for hundreds of
 * values), so it only serves the first analysis of a new file; later ones
 * read the dictionaries in full.  flow_rows, the big table, is never read:
 * the store knows its rows and bins, and writes that line itself.
 */
static void
store_analyze(struct store *st)
{
	char *err = NULL, *sql;
	int rc;

	sql = util_printf("BEGIN IMMEDIATE; PRAGMA analysis_limit = %d;"
	    " ANALYZE addrs; ANALYZE flow_keys;"
	    " DELETE FROM sqlite_stat1 WHERE tbl = 'flow_rows';"
	    " INSERT INTO sqlite_stat1 (tbl, idx, stat)"
	    " SELECT 'flow_rows', 'flow_rows', sum(flows) || ' ' ||"
	    " max(1, sum(flows) / count(*)) || ' 1' FROM bins WHERE flows > 0"
	    " HAVING count(*) > 0; COMMIT",
	    st->rows_analyzed == 0 ? STORE_ANALYZE_LIMIT : 0);
	rc = sqlite3_exec(st->db, sql, NULL, NULL, &err);
	free(sql);
	if (rc != SQLITE_OK) {
		log_warn("%s: ANALYZE: %s", st->path, err ? err : "failed");
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	} else
		st->rows_analyzed = st->rows;
	sqlite3_free(err);
}

/* Close the connection; the maps, next ids and path stay. */
static void
store_close_db(struct store *st)
{
	int i;

	for (i = 0; i < STMT_COUNT; i++) {
		sqlite3_finalize(st->stmt[i]);
		st->stmt[i] = NULL;
	}
	if (sqlite3_close(st->db) != SQLITE_OK)
		log_warn("%s: close: %s", st->path, sqlite3_errmsg(st->db));
	st->db = NULL;
}

void
store_close_day(struct store *st)
{
	if (st->db == NULL)
		return;
	if (st->loaded && st->rows != st->rows_analyzed)
		store_analyze(st);
	store_close_db(st);
	free(st->path);
	st->path = NULL;
	st->day[0] = '\0';
	store_forget(st);
}

/* Record the open day file's totals in the catalog (a cache: only logged). */
static void
store_catalog(struct store *st, const char *path, const char *day,
    const struct catalog_day *d)
{
	char *cause = NULL;

	if (catalog_update(st->dir, st->iface, day, path, d, &cause) != 0)
		log_warn("%s", cause);
	free(cause);
}

/*
 * Close the day file when its day is over (or the store is done with it):
 * roll up what is not rolled up yet, close it, and record its totals in
 * the catalog once the close has folded the WAL into the file.
 */
static void
store_finish_day(struct store *st)
{
	struct catalog_day d;
	char *cause = NULL, *path, day[16];
	int have;

	if (st->db == NULL)
		return;
	if (st->loaded && rollup_build(st->db, st->path, st->day_ts,
	    st->day_ts + ROLLUP_DAY, 1, &cause) != 0)
		log_warn("%s", cause);
	free(cause);
	have = catalog_day_read(st->db, &d) == SQLITE_OK;
	path = util_strdup(st->path);
	memcpy(day, st->day, sizeof day);
	store_close_day(st);
	if (have)
		store_catalog(st, path, day, &d);
	free(path);
}

/*
 * The multi-row INSERTs: STORE_BATCH rows in one statement, the first
 * parameter of each row numbered after the previous row's.  In flow_rows
 * every row shares ?1, the bin's ts.  NULL for the other statements.
 *
 * OR ROLLBACK: a statement writing several rows that may stop half-way
 * needs a statement journal (a copy of every page it changes, spilled to
 * a temporary file), which made them three times slower than one row at
 * a time.  Any failure rolls the whole bin back anyway.
 */
static char *
store_batch_sql(int which)
{
	const char *head, *tuple;
	char *sql, *t, *u;
	int i, per, first;

	switch (which) {
	case STMT_ADDR_BATCH:
		head = "INSERT OR ROLLBACK INTO addrs (id, ip, text) VALUES ";
		tuple = "(?%d, ?%d, ?%d)";
		per = 3;
		first = 1;
		break;
	case STMT_KEY_BATCH:
		head = "INSERT OR ROLLBACK INTO flow_keys (id, sip, dip, dport,"
		    " proto, vlan) VALUES ";
		tuple = "(?%d, ?%d, ?%d, ?%d, ?%d, ?%d)";
		per = 6;
		first = 1;
		break;
	case STMT_ROW_BATCH:
		head = "INSERT OR ROLLBACK INTO flow_rows (ts, key, bytes_rcvd,"
		    " bytes_sent, pkts_rcvd, pkts_sent) VALUES ";
		tuple = "(?1, ?%d, ?%d, ?%d, ?%d, ?%d)";
		per = 5;
		first = 2;
		break;
	default:
		return NULL;
	}
	sql = util_strdup(head);
	for (i = 0; i < STORE_BATCH; i++) {
		int p = first + i * per;

		t = util_printf(tuple, p, p + 1, p + 2, p + 3, p + 4, p + 5);
		u = util_printf("%s%s%s", sql, i ? ", " : "", t);
		free(t);
		free(sql);
		sql = u;
	}
	return sql;
}

/* Remove a ".new" file and what SQLite may have left beside it. */
static void
store_unlink_new(const char *tmp)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char *p;
	size_t i;

	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		p = util_printf("%s%s", tmp, sfx[i]);
		unlink(p);
		free(p);
	}
}

/*
 * Open (creating, checking or migrating) the day file of the bin, or the
 * file at path (the day's file being built by store_write_new_day()).
 */
static int
store_open_day(struct store *st, const struct flowtab_bin *bin,
    const char *path, char **cause)
{
	sqlite3 *db = NULL;
	char *dir, *sql, *stale;
	int i, rc;

	free(st->path);		/* one store_close_db() kept */
	st->path = path != NULL ? util_strdup(path) :
	    store_day_path(st->dir, st->iface, bin->ts);
	/* A day's ".new" that a crash left (one writer per interface). */
	if (path == NULL) {
		stale = util_printf("%s.new", st->path);
		store_unlink_new(stale);
		free(stale);
	}
	util_utc_day(bin->ts, st->day, sizeof st->day);
	st->day_ts = bin->ts - bin->ts % ROLLUP_DAY;
	dir = util_printf("%s/%s", st->dir, st->iface);
	rc = util_mkdir_p(dir);
	if (rc != 0) {
		util_cause(cause, rc, "%s: %s", dir, strerror(-rc));
		free(dir);
		goto fail;
	}
	free(dir);

	/* The store is used by one thread at a time: no mutex per call. */
	rc = sqlite3_open_v2(st->path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = store_fail(st, db, rc, cause);
		goto fail;
	}
	sqlite3_busy_timeout(db, STORE_BUSY_MS);
	if ((rc = store_check(st, db, bin, cause)) != 0)
		goto fail;
	/* SQLite falls back to reading a file it may not write. */
	if (sqlite3_db_readonly(db, "main") == 1) {
		rc = util_cause(cause, -EACCES, "%s: file is read-only",
		    st->path);
		goto fail;
	}
	if ((rc = store_configure(st, db, cause)) != 0)
		goto fail;
	for (i = 0; i < STMT_COUNT; i++) {
		sql = store_batch_sql(i);
		rc = sqlite3_prepare_v3(db, sql ? sql : store_stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL);
		free(sql);
		if (rc != SQLITE_OK) {
			rc = store_fail(st, db, rc, cause);
			goto fail;
		}
	}
	st->db = db;
	st->loaded = 0;
	return 0;

fail:
	for (i = 0; i < STMT_COUNT; i++) {
		sqlite3_finalize(st->stmt[i]);
		st->stmt[i] = NULL;
	}
	sqlite3_close(db);
	free(st->path);
	st->path = NULL;
	st->day[0] = '\0';
	return rc;
}

/*
 * Read the next ids, and the maps when they fit, from the file.  Runs
 * inside the write transaction so that it sees what the write builds on.
 */
static int
store_load(struct store *st, char **cause)
{
	sqlite3_stmt *s = NULL;
	struct store_addr_slot *as;
	struct store_key_slot *ks;
	const void *blob;
	uint8_t ip[16];
	int64_t maxa, maxk, rows, stat;
	uint64_t hi[STORE_PREFETCH], lo[STORE_PREFETCH];
	uint32_t id[STORE_PREFETCH];
	int rc, len, i, n;

	store_forget(st);
	if ((rc = store_query_int(st, st->db, "SELECT max(id) FROM addrs",
	    &maxa, cause)) != 0)
		return rc;
	if ((rc = store_query_int(st, st->db, "SELECT max(id) FROM flow_keys",
	    &maxk, cause)) != 0)
		return rc;
	if ((rc = store_query_int(st, st->db, "SELECT total(flows) FROM bins",
	    &rows, cause)) != 0)
		return rc;
	if (maxa < 0 || maxa >= STORE_MAX_ID || maxk < 0 ||
	    maxk >= STORE_MAX_ID)
		return util_cause(cause, -EINVAL, "%s: ids out of range",
		    st->path);
	st->next_addr = (uint32_t)maxa + 1;
	st->next_key = (uint32_t)maxk + 1;
	st->rows = (uint64_t)rows;

	/* Rows when statistics were last gathered: "N ..." in sqlite_stat1. */
	if ((rc = store_query_int(st, st->db, "SELECT count(*) FROM"
	    " sqlite_master WHERE name = 'sqlite_stat1'", &stat, cause)) != 0)
		return rc;
	if (stat != 0 && (rc = store_query_int(st, st->db, "SELECT"
	    " max(CAST(stat AS INTEGER)) FROM sqlite_stat1"
	    " WHERE tbl = 'flow_rows'", &stat, cause)) != 0)
		return rc;
	st->rows_analyzed = (uint64_t)stat;

	/* The maps count up to max(id) entries; load only what fits. */
	st->addrs.complete = (uint64_t)maxa <= store_cache_max;
	if (st->addrs.complete && maxa > 0) {
		if (store_addr_map_reserve(&st->addrs, (size_t)maxa) != 0)
			goto nomem;
		rc = sqlite3_prepare_v2(st->db, "SELECT id, ip FROM addrs", -1,
		    &s, NULL);
		while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
			rc = SQLITE_OK;
			blob = sqlite3_column_blob(s, 1);
			len = sqlite3_column_bytes(s, 1);
			if ((len != 4 && len != 16) || sqlite3_column_int64(s,
			    0) <= 0)
				continue;	/* not ours: never matches */
			memset(ip, 0, sizeof ip);
			memcpy(ip, blob, (size_t)len);
			as = store_addr_map_find(&st->addrs, ip, len == 4 ? 4 : 6);
			if (as->id == 0)
				st->addrs.count++;
			memcpy(as->ip, ip, 16);
			as->family = len == 4 ? 4 : 6;
			as->id = (uint32_t)sqlite3_column_int64(s, 0);
		}
		if (rc != SQLITE_DONE)
			goto fail;
		sqlite3_finalize(s);
		s = NULL;
	}
	st->keys.complete = (uint64_t)maxk <= store_cache_max;
	if (st->keys.complete && maxk > 0) {
		if (store_key_map_reserve(&st->keys, (size_t)maxk) != 0)
			goto nomem;
		/* Packed as the map packs them: half the column calls. */
		rc = sqlite3_prepare_v2(st->db, "SELECT id, (sip << 32) | dip,"
		    " (dport << 32) | (proto << 16) | vlan FROM flow_keys", -1,
		    &s, NULL);
		/* A few rows at a time, their slots fetched ahead. */
		n = 0;
		while (rc == SQLITE_OK) {
			rc = sqlite3_step(s);
			if (rc == SQLITE_ROW) {
				hi[n] = (uint64_t)sqlite3_column_int64(s, 1);
				lo[n] = (uint64_t)sqlite3_column_int64(s, 2);
				id[n] = (uint32_t)sqlite3_column_int64(s, 0);
				store_key_map_prefetch(&st->keys, hi[n], lo[n]);
				if (++n < STORE_PREFETCH) {
					rc = SQLITE_OK;
					continue;
				}
			}
			for (i = 0; i < n; i++) {
				ks = store_key_map_find(&st->keys, hi[i], lo[i]);
				if (ks->id == 0)
					st->keys.count++;
				store_key_slot_set(ks, hi[i], lo[i], id[i]);
			}
			n = 0;
			if (rc == SQLITE_ROW)
				rc = SQLITE_OK;
		}
		if (rc != SQLITE_DONE)
			goto fail;
		sqlite3_finalize(s);
		s = NULL;
	}
	st->loaded = 1;
	return 0;

nomem:
	store_forget(st);
	return util_cause(cause, -ENOMEM, "%s: out of memory", st->path);
fail:
	rc = store_fail(st, st->db, rc, cause);
	sqlite3_finalize(s);
	store_forget(st);
	return rc;
}

/* ------------------------------------------------------------ writing */

static int
store_grow(struct store *st, size_t nrows)
{
	size_t n = st->work_rows ? st->work_rows : 1024;
	void *p;

	if (nrows <= st->work_rows)
		return 0;
	while (n < nrows)
		n *= 2;
#define GROW(field, count) do {						\
	if ((p = realloc(st->field, (count) * sizeof *st->field)) == NULL) \
		return -ENOMEM;						\
	st->field = p;							\
} while (0)
	GROW(row_sip, n);
	GROW(row_dip, n);
	GROW(row_order, n);
	GROW(row_tmp, n);
	GROW(new_addr, 2 * n);
	GROW(new_key, n);
	GROW(new_id, 2 * n);
#undef GROW
	st->work_rows = n;
	return 0;
}

/* Step a statement that returns nothing; SQLITE_DONE or an error. */
static inline int
store_step(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc;
}

/*
 * The addrs id of an address, or PENDING|n when it is new to the day
 * (the nth such in this bin, recorded in new_addr).  Negative on error.
 */
static int64_t
store_addr_ref(struct store *st, const uint8_t *ip, uint8_t family,
    size_t *nnew)
{
	struct store_addr_slot *s;
	struct store_new_addr *na;
	sqlite3_stmt *q;
	uint32_t id = 0;
	int rc;

	/* Grow before looking: a slot found stays valid until it is filled. */
	if ((st->addrs.count + 1) * 10 > (st->addrs.mask + 1) * 7 &&
	    store_addr_map_reserve(&st->addrs, 1) != 0)
		return -SQLITE_NOMEM;
	s = store_addr_map_find(&st->addrs, ip, family);
	if (s->id != 0)
		return s->id;
	if (!st->addrs.complete) {
		q = st->stmt[STMT_ADDR_FIND];
		sqlite3_bind_blob(q, 1, ip, family == 4 ? 4 : 16,
		    SQLITE_STATIC);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW)
			id = (uint32_t)sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return -rc;
	}
	if (id == 0) {
		na = &st->new_addr[*nnew];
		memcpy(na->ip, ip, 16);
		na->family = family;
		na->n = (uint32_t)*nnew;
		id = STORE_PENDING | (uint32_t)(*nnew)++;
	}
	memcpy(s->ip, ip, 16);
	s->family = family;
	s->id = id;
	st->addrs.count++;
	return id;
}

/* Insert the nnew new addresses (sorted) with ids from next_addr on. */
static int
store_insert_addrs(struct store *st, size_t nnew)
{
	struct store_new_addr *na;
	sqlite3_stmt *ins = st->stmt[STMT_ADDR_INSERT];
	sqlite3_stmt *batch = st->stmt[STMT_ADDR_BATCH], *q;
	char text[STORE_BATCH][INET6_ADDRSTRLEN];
	size_t i, k, tlen;
	uint32_t id;
	int rc = SQLITE_DONE;

	for (i = 0; i < nnew; i += k) {
		/* STORE_BATCH rows at a time, then the rest one by one. */
		q = nnew - i >= STORE_BATCH ? batch : ins;
		for (k = 0; k < (q == batch ? STORE_BATCH : 1); k++) {
			na = &st->new_addr[i + k];
			id = st->next_addr + (uint32_t)(i + k);
			st->new_id[na->n] = id;
			tlen = store_addr_text(na->ip, na->family, text[k]);
			sqlite3_bind_int64(q, 3 * k + 1, id);
			sqlite3_bind_blob(q, 3 * k + 2, na->ip,
			    na->family == 4 ? 4 : 16, SQLITE_STATIC);
			sqlite3_bind_text(q, 3 * k + 3, text[k], (int)tlen,
			    SQLITE_STATIC);
		}
		if ((rc = store_step(q)) != SQLITE_DONE)
			break;
	}
	/* Nothing may point into text[] or new_addr[] later. */
	sqlite3_clear_bindings(ins);
	sqlite3_clear_bindings(batch);
	return rc;
}

static int store_btload_addrs(struct store *, size_t);

/* Map every row's addresses to ids, adding the new ones sorted. */
static int
store_write_addrs(struct store *st, const struct flowtab_bin *bin,
    size_t *addrs_new)
{
	const struct flowtab_row *r;
	struct store_new_addr *na;
	struct store_addr_slot *s;
	size_t i, nnew = 0;
	int64_t ref;
	uint32_t id;
	int rc;

	if (!st->addrs.complete)
		store_addr_map_clear(&st->addrs);
	for (i = 0; i < bin->nrows; i++) {
		/* Both slots of a row a few rows ahead, as for the keys. */
		if (i + STORE_PREFETCH < bin->nrows && st->addrs.slot != NULL) {
			r = &bin->rows[i + STORE_PREFETCH];
			store_addr_map_prefetch(&st->addrs, r->key.sip,
			    r->key.family);
			store_addr_map_prefetch(&st->addrs, r->key.dip,
			    r->key.family);
		}
		r = &bin->rows[i];
		if ((ref = store_addr_ref(st, r->key.sip, r->key.family,
		    &nnew)) < 0)
			return (int)-ref;
		st->row_sip[i] = (uint32_t)ref;
		if ((ref = store_addr_ref(st, r->key.dip, r->key.family,
		    &nnew)) < 0)
			return (int)-ref;
		st->row_dip[i] = (uint32_t)ref;
	}
	if (nnew == 0)
		return SQLITE_DONE;
	if (nnew > STORE_MAX_ID - st->next_addr)
		return SQLITE_FULL;

	qsort(st->new_addr, nnew, sizeof *st->new_addr, store_cmp_addr);
	rc = st->bl != NULL ? store_btload_addrs(st, nnew) :
	    store_insert_addrs(st, nnew);
	if (rc != SQLITE_DONE)
		return rc;
	st->next_addr += (uint32_t)nnew;
	*addrs_new = nnew;

	for (i = 0; i < nnew; i++) {
		na = &st->new_addr[i];
		s = store_addr_map_find(&st->addrs, na->ip, na->family);
		s->id = st->new_id[na->n];
	}
	for (i = 0; i < bin->nrows; i++) {
		if ((id = st->row_sip[i]) & STORE_PENDING)
			st->row_sip[i] = st->new_id[id & ~STORE_PENDING];
		if ((id = st->row_dip[i]) & STORE_PENDING)
			st->row_dip[i] = st->new_id[id & ~STORE_PENDING];
	}
	return SQLITE_DONE;
}

/*
 * The secondary indexes of flow_keys (those with SQL: not the UNIQUE
 * constraint's) are dropped, their names and CREATE statements kept in
 * *out.
 * store_indexes_restore() runs them again: one sorted pass over the table
 * instead of an insert at a random place per new key, which costs about
 * three times as much for a million keys (doc/storage.md).  Both happen
 * inside the bin's transaction, so no reader ever sees the table without
 * them, and a failure rolls the drop back.
 */
struct store_index {
	char		*name;
	char		*sql;		/* its CREATE INDEX statement */
};

static int
store_indexes_drop(struct store *st, struct store_index **out, size_t *n)
{
	struct store_index *ix = NULL, *more;
	sqlite3_stmt *q;
	char *drop;
	size_t i;
	int rc;

	*n = 0;
	rc = sqlite3_prepare_v2(st->db, "SELECT name, sql FROM sqlite_master"
	    " WHERE type = 'index' AND tbl_name = 'flow_keys'"
	    " AND sql IS NOT NULL ORDER BY name", -1, &q, NULL);
	if (rc != SQLITE_OK) {
		*out = NULL;
		return rc;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if ((more = realloc(ix, (*n + 1) * sizeof *ix)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		ix = more;
		ix[*n].name = util_strdup((const char *)
		    sqlite3_column_text(q, 0));
		ix[(*n)++].sql = util_strdup((const char *)
		    sqlite3_column_text(q, 1));
	}
	sqlite3_finalize(q);	/* nothing may read the schema while it changes */
	*out = ix;
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	for (i = 0; i < *n && rc == SQLITE_OK; i++) {
		drop = sqlite3_mprintf("DROP INDEX \"%w\"", ix[i].name);
		rc = drop == NULL ? SQLITE_NOMEM :
		    sqlite3_exec(st->db, drop, NULL, NULL, NULL);
		sqlite3_free(drop);
	}
	return rc;
}

/* Create the dropped indexes again when run; free them either way. */
static int
store_indexes_restore(struct store *st, struct store_index *ix, size_t n,
    int run)
{
	size_t i;
	int rc = SQLITE_OK;

	for (i = 0; i < n && run && rc == SQLITE_OK; i++)
		rc = sqlite3_exec(st->db, ix[i].sql, NULL, NULL, NULL);
	for (i = 0; i < n; i++) {
		free(ix[i].name);
		free(ix[i].sql);
	}
	free(ix);
	return rc;
}

/* Insert the nnew new keys (sorted) with ids from next_key on. */
static int
store_insert_keys(struct store *st, size_t nnew)
{
	sqlite3_stmt *ins = st->stmt[STMT_KEY_INSERT];
	sqlite3_stmt *batch = st->stmt[STMT_KEY_BATCH], *q;
	struct store_new_key *nk;
	size_t i, k;
	uint32_t id;
	int p, rc = SQLITE_DONE;

	for (i = 0; i < nnew; i += k) {
		q = nnew - i >= STORE_BATCH ? batch : ins;
		for (k = 0; k < (q == batch ? STORE_BATCH : 1); k++) {
			nk = &st->new_key[i + k];
			id = st->next_key + (uint32_t)(i + k);
			st->new_id[nk->n] = id;
			p = 6 * (int)k;
			sqlite3_bind_int64(q, p + 1, id);
			sqlite3_bind_int64(q, p + 2, (int64_t)(nk->hi >> 32));
			sqlite3_bind_int64(q, p + 3,
			    (int64_t)(nk->hi & 0xffffffff));
			sqlite3_bind_int(q, p + 4, (int)(nk->lo >> 32));
			sqlite3_bind_int(q, p + 5, (int)(nk->lo >> 16 & 0xff));
			sqlite3_bind_int(q, p + 6, (int)(nk->lo & 0xffff));
		}
		if ((rc = store_step(q)) != SQLITE_DONE)
			break;
	}
	return rc;
}

/* Map every row's key to an id (into row_order), adding the new ones. */
static int
store_write_keys(struct store *st, const struct flowtab_bin *bin,
    size_t *keys_new)
{
	const struct flowtab_row *r;
	struct store_key_slot *s;
	struct store_new_key *nk;
	sqlite3_stmt *find = st->stmt[STMT_KEY_FIND];
	struct store_index *dropped = NULL;
	uint64_t hi, lo;
	size_t i, nnew = 0, nindex = 0;
	uint32_t id;
	int rc;

	if (!st->keys.complete)
		store_key_map_clear(&st->keys);
	/* An empty map (a new day) takes every row's key: size it once. */
	if (st->keys.count == 0 &&
	    store_key_map_reserve(&st->keys, bin->nrows) != 0)
		return SQLITE_NOMEM;
	for (i = 0; i < bin->nrows; i++) {
		if (i + STORE_PREFETCH < bin->nrows) {
			r = &bin->rows[i + STORE_PREFETCH];
			store_key_map_prefetch(&st->keys,
			    store_key_hi(st->row_sip[i + STORE_PREFETCH],
			    st->row_dip[i + STORE_PREFETCH]),
			    store_key_lo(r->key.dport, r->key.proto,
			    r->key.vlan));
		}
		r = &bin->rows[i];
		hi = store_key_hi(st->row_sip[i], st->row_dip[i]);
		lo = store_key_lo(r->key.dport, r->key.proto, r->key.vlan);
		if ((st->keys.count + 1) * 10 > (st->keys.mask + 1) * 7 &&
		    store_key_map_reserve(&st->keys, 1) != 0)
			return SQLITE_NOMEM;
		s = store_key_map_find(&st->keys, hi, lo);
		if ((id = s->id) == 0) {
			if (!st->keys.complete) {
				sqlite3_bind_int64(find, 1, st->row_sip[i]);
				sqlite3_bind_int64(find, 2, st->row_dip[i]);
				sqlite3_bind_int(find, 3, r->key.dport);
				sqlite3_bind_int(find, 4, r->key.proto);
				sqlite3_bind_int(find, 5, r->key.vlan);
				rc = sqlite3_step(find);
				if (rc == SQLITE_ROW)
					id = (uint32_t)sqlite3_column_int64(
					    find, 0);
				sqlite3_reset(find);
				if (rc != SQLITE_ROW && rc != SQLITE_DONE)
					return rc;
			}
			if (id == 0) {
				nk = &st->new_key[nnew];
				nk->hi = hi;
				nk->lo = lo;
				nk->n = (uint32_t)nnew;
				id = STORE_PENDING | (uint32_t)nnew++;
			}
			store_key_slot_set(s, hi, lo, id);
			st->keys.count++;
		}
		/* A flowtab bin never repeats a key; the map makes sure. */
		st->row_order[i] = (uint64_t)id << 32 | i;
	}
	if (nnew == 0)
		return SQLITE_DONE;
	if (nnew > STORE_MAX_ID - st->next_key)
		return SQLITE_FULL;
	/* Many keys into a file that has none yet (a new day): in bulk. */
	if (st->next_key == 1 && nnew >= store_bulk_keys &&
	    (rc = store_indexes_drop(st, &dropped, &nindex)) != SQLITE_OK) {
		store_indexes_restore(st, dropped, nindex, 0);
		return rc;
	}

	/* new_addr is spent by now: its room (2 a row) is the sort's. */
	store_sort_keys(st->new_key, nnew,
	    (struct store_new_key *)(void *)st->new_addr);
	rc = store_insert_keys(st, nnew);
	if (dropped != NULL) {
		if (rc == SQLITE_DONE)
			rc = store_indexes_restore(st, dropped, nindex, 1);
		else
			store_indexes_restore(st, dropped, nindex, 0);
		if (rc == SQLITE_OK)
			rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE)
		return rc;
	st->next_key += (uint32_t)nnew;
	*keys_new = nnew;

	for (i = 0; i < nnew; i++) {
		nk = &st->new_key[i];
		s = store_key_map_find(&st->keys, nk->hi, nk->lo);
		s->id = st->new_id[nk->n];
	}
	for (i = 0; i < bin->nrows; i++) {
		id = (uint32_t)(st->row_order[i] >> 32);
		if (id & STORE_PENDING)
			st->row_order[i] = (uint64_t)st->new_id[id &
			    ~STORE_PENDING] << 32 | i;
	}
	return SQLITE_DONE;
}

struct store_bin_sums {
	uint64_t	 flows, flows_v4, flows_v6;
	uint64_t	 bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent;
};

static inline void
store_sum_row(struct store_bin_sums *sum, const struct flowtab_row *r)
{
	sum->bytes_rcvd += r->bytes_rcvd;
	sum->bytes_sent += r->bytes_sent;
	sum->pkts_rcvd += r->pkts_rcvd;
	sum->pkts_sent += r->pkts_sent;
}

static inline void
store_count_row(struct store_bin_sums *sum, const struct flowtab_row *r)
{
	sum->flows++;
	if (r->key.family == 4)
		sum->flows_v4++;
	else
		sum->flows_v6++;
}

static inline void
store_bind_row(sqlite3_stmt *s, int p, uint32_t key,
    const struct flowtab_row *r)
{
	sqlite3_bind_int64(s, p, key);
	sqlite3_bind_int64(s, p + 1, (int64_t)r->bytes_rcvd);
	sqlite3_bind_int64(s, p + 2, (int64_t)r->bytes_sent);
	sqlite3_bind_int64(s, p + 3, (int64_t)r->pkts_rcvd);
	sqlite3_bind_int64(s, p + 4, (int64_t)r->pkts_sent);
}

/*
 * Append the rows order[from..n) of bin, which cannot be in the file yet,
 * with multi-row INSERTs (the last few one by one).
 */
static int
store_append_rows(struct store *st, const struct flowtab_bin *bin,
    const uint64_t *order, size_t from, size_t n, struct store_bin_sums *sum)
{
	sqlite3_stmt *one = st->stmt[STMT_ROW_APPEND];
	sqlite3_stmt *batch = st->stmt[STMT_ROW_BATCH], *q;
	const struct flowtab_row *r;
	size_t i, k;
	int rc;

	sqlite3_bind_int64(one, 1, bin->ts);
	sqlite3_bind_int64(batch, 1, bin->ts);
	for (i = from; i < n; i += k) {
		q = n - i >= STORE_BATCH ? batch : one;
		for (k = 0; k < (q == batch ? STORE_BATCH : 1); k++) {
			if (i + k + STORE_PREFETCH < n)
				__builtin_prefetch(&bin->rows[(uint32_t)
				    order[i + k + STORE_PREFETCH]]);
			r = &bin->rows[(uint32_t)order[i + k]];
			store_bind_row(q, 5 * (int)k + 2,
			    (uint32_t)(order[i + k] >> 32), r);
			store_count_row(sum, r);
			store_sum_row(sum, r);
		}
		if ((rc = store_step(q)) != SQLITE_DONE)
			return rc;
	}
	return SQLITE_DONE;
}

/*
 * Insert the rows in key id order.  The usual case, a bin new to the file
 * with distinct keys, is all appends; otherwise (the bin was written
 * before, or a key repeats) each row of a key the day knew is inserted or,
 * when it is there already, added to, and the rows of new keys appended.
 */
static int
store_write_rows(struct store *st, const struct flowtab_bin *bin,
    struct store_bin_sums *sum, struct store_write_result *res)
{
	sqlite3_stmt *any = st->stmt[STMT_ROW_ANY];
	sqlite3_stmt *ins = st->stmt[STMT_ROW_INSERT];
	sqlite3_stmt *add = st->stmt[STMT_ROW_ADD];
	const struct flowtab_row *r;
	uint64_t *order;
	size_t i, n = bin->nrows;
	int append, rc;

	order = store_sort_rows(st->row_order, st->row_tmp, n, st->next_key);

	sqlite3_bind_int64(any, 1, bin->ts);
	rc = sqlite3_step(any);
	sqlite3_reset(any);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rc;
	append = rc == SQLITE_DONE;
	for (i = 1; append && i < n; i++) {
		if (order[i] >> 32 == order[i - 1] >> 32)
			append = 0;
	}

	if (append) {
		if ((rc = store_append_rows(st, bin, order, 0, n, sum)) ==
		    SQLITE_DONE)
			res->rows_new = n;
		return rc;
	}

	/*
	 * The bin has rows already (an early write, a restart).  Rows of keys
	 * new to the day cannot be there: they are appended (they sort last:
	 * new keys have the largest ids).  The others are inserted or, when
	 * there, added to.
	 */
	sqlite3_bind_int64(ins, 1, bin->ts);
	sqlite3_bind_int64(add, 1, bin->ts);
	for (i = 0; i < n && (uint32_t)(order[i] >> 32) < st->first_new_key;
	    i++) {
		r = &bin->rows[(uint32_t)order[i]];
		store_bind_row(ins, 2, (uint32_t)(order[i] >> 32), r);
		if ((rc = store_step(ins)) != SQLITE_DONE)
			return rc;
		if (sqlite3_changes(st->db) != 0) {
			res->rows_new++;
			store_count_row(sum, r);
		} else {
			store_bind_row(add, 2, (uint32_t)(order[i] >> 32), r);
			if ((rc = store_step(add)) != SQLITE_DONE)
				return rc;
			res->rows_updated++;
		}
		store_sum_row(sum, r);
	}
	if ((rc = store_append_rows(st, bin, order, i, n, sum)) == SQLITE_DONE)
		res->rows_new += n - i;
	return rc;
}

/* Add the bin's counters to bins and bin_skips. */
static int
store_write_counters(struct store *st, const struct flowtab_bin *bin,
    const struct store_bin_sums *sum)
{
	const struct flowtab_stats *ss = &bin->stats;
	sqlite3_stmt *s = st->stmt[STMT_BIN_ADD];
	int64_t v[] = {
		bin->ts, bin->interval, (int64_t)ss->packets,
		(int64_t)ss->ip, (int64_t)ss->non_ip, (int64_t)ss->malformed,
		(int64_t)sum->flows, (int64_t)sum->flows_v4,
		(int64_t)sum->flows_v6, (int64_t)sum->bytes_rcvd,
		(int64_t)sum->bytes_sent, (int64_t)sum->pkts_rcvd,
		(int64_t)sum->pkts_sent, (int64_t)ss->conn_overflow,
		(int64_t)ss->frag_evicted, (int64_t)ss->early_writes,
		(int64_t)ss->kernel_packets, (int64_t)ss->kernel_drops,
		(int64_t)ss->kernel_freezes
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof v / sizeof v[0]; i++)
		sqlite3_bind_int64(s, (int)i + 1, v[i]);
	if ((rc = store_step(s)) != SQLITE_DONE)
		return rc;

	s = st->stmt[STMT_SKIP_ADD];
	sqlite3_bind_int64(s, 1, bin->ts);
	for (i = PARSE_OK + 1; i < PARSE_REASON_COUNT; i++) {
		if (ss->reasons[i] == 0)
			continue;
		sqlite3_bind_text(s, 2, parse_reason_name((enum parse_reason)i),
		    -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, (int64_t)ss->reasons[i]);
		if ((rc = store_step(s)) != SQLITE_DONE)
			return rc;
	}
	return SQLITE_DONE;
}

/* ------------------------------------------------------------ a new day */

/*
 * The first bin of a day, when it is large, is not inserted: every address,
 * key and row in it is new, so each tree's entries are known and can be
 * sorted, and btload lays out the pages of addrs, flow_keys, flow_rows and
 * their five indexes at once (a third of the CPU and half the writes of
 * the inserts; doc/storage.md, "A new day").
 *
 *   1. SQLite creates "<day file>.new" (schema, meta) and says where the
 *      trees' root pages are; the file is closed.
 *   2. store_write_addrs() assigns address ids as for any bin, but with
 *      st->bl set starts a thread that makes their texts and text order
 *      instead of INSERTs; store_write_new_keys() gives key ids by sorting
 *      (every key is new) while a thread fills the key map; btload lays
 *      out the key trees, the rows, then the address trees, and fsyncs.
 *   3. SQLite opens the file again and adds the bin's counters; the file
 *      is synced and renamed to the day's name, which must not exist.
 *
 * Until the rename the day has no file, so a crash or kill -9 at any point
 * leaves no partial day behind: a stale ".new" is removed by the next
 * attempt, and flowq never looks at it (not a *.db name).  When the schema
 * is not the one btload's records are built for, or btload cannot extend
 * the file, -EAGAIN says: write this bin with SQL instead.  So does any
 * other failure (logged): until the rename nothing of it is visible.
 */

/* Find the trees' root pages; -EAGAIN when one is not as btload knows it. */
static int
store_tree_roots(struct store *st, char **cause)
{
	sqlite3_stmt *q = NULL;
	const char *type, *sql;
	char *cols = NULL;
	int64_t n;
	int i, rc;

	rc = store_query_int(st, st->db, "SELECT count(*) FROM sqlite_master"
	    " WHERE tbl_name IN ('addrs', 'flow_keys', 'flow_rows')", &n,
	    cause);
	if (rc != 0)
		return rc;
	if (n != STORE_TREES)
		return -EAGAIN;
	for (i = 0; i < STORE_TREES; i++) {
		rc = sqlite3_prepare_v2(st->db, "SELECT type, rootpage, sql,"
		    " CASE type WHEN 'table' THEN (SELECT group_concat(name ||"
		    " ':' || pk) FROM (SELECT name, pk FROM pragma_table_info(?1)"
		    " ORDER BY cid)) ELSE (SELECT group_concat(name) FROM"
		    " (SELECT name FROM pragma_index_info(?1) ORDER BY seqno))"
		    " END FROM sqlite_master WHERE name = ?1", -1, &q, NULL);
		if (rc != SQLITE_OK)
			return store_fail(st, st->db, rc, cause);
		sqlite3_bind_text(q, 1, store_trees[i].name, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			type = (const char *)sqlite3_column_text(q, 0);
			st->root[i] = (uint32_t)sqlite3_column_int64(q, 1);
			sql = (const char *)sqlite3_column_text(q, 2);
			cols = sqlite3_column_text(q, 3) == NULL ? NULL :
			    util_strdup((const char *)sqlite3_column_text(q, 3));
			/* flow_rows is a WITHOUT ROWID table, the others not
			 * (an index of a UNIQUE constraint has no sql). */
			if (type == NULL || cols == NULL ||
			    strcmp(cols, store_trees[i].columns) != 0 ||
			    (strcmp(type, "table") == 0) != (i == TREE_ADDRS ||
			    i == TREE_KEYS || i == TREE_ROWS) ||
			    (sql != NULL && strstr(sql, "WITHOUT ROWID") !=
			    NULL) != (i == TREE_ROWS))
				rc = -EAGAIN;
			free(cols);
		} else if (rc == SQLITE_DONE)
			rc = -EAGAIN;
		else
			rc = store_fail(st, st->db, rc, cause);
		sqlite3_finalize(q);
		if (rc != SQLITE_ROW)
			return rc;
	}
	return 0;
}

/* Lay out one tree from st->recs; SQLITE_DONE, or an error in bl_cause. */
static int
store_btload_tree(struct store *st, int tree)
{
	int rc;

	rc = btload_tree(st->bl, st->root[tree], tree == TREE_ADDRS ||
	    tree == TREE_KEYS, &st->recs, &st->bl_cause);
	btload_recs_reset(&st->recs);
	if (rc == 0)
		return SQLITE_DONE;
	st->bl_rc = rc;
	return SQLITE_ERROR;
}

static int
store_btload_nomem(struct store *st)
{
	st->bl_rc = util_cause(&st->bl_cause, -ENOMEM, "%s: out of memory",
	    st->path);
	return SQLITE_NOMEM;
}

/* An address's text, sortable: its first 8 bytes as a number, then all. */
struct store_text {
	uint64_t	 prefix;
	uint32_t	 off;		/* in the text buffer */
	uint32_t	 len;
	uint32_t	 n;		/* the nth new address */
};

/*
 * The new day's addresses: their texts, and the order of the text index,
 * made by a second thread while this one does the keys and rows; the
 * three address trees are laid out after it.  new_addr (read only) and
 * next_addr stay as they are until store_addrs_finish().
 */
struct store_addr_job {
	const struct store_new_addr *addr;
	size_t		 n;
	char		*texts;
	struct store_text *t;		/* by text */
	uint32_t	*off;		/* address i's text: [off[i], off[i + 1]) */
	pthread_t	 thread;
	int		 threaded;
	int		 rc;		/* 0 or -ENOMEM */
};

static int
store_cmp_text(const void *a, const void *b, void *texts)
{
	const struct store_text *x = a, *y = b;
	int c;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	c = memcmp((char *)texts + x->off, (char *)texts + y->off,
	    x->len < y->len ? x->len : y->len);
	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

static void *
store_addr_job_run(void *arg)
{
	struct store_addr_job *j = arg;
	struct store_text *t;
	size_t i, k, at = 0;

	/* Room for the longest text of each; only what is used is touched. */
	j->texts = malloc(j->n * INET6_ADDRSTRLEN);
	j->t = malloc(j->n * sizeof *j->t);
	j->off = malloc((j->n + 1) * sizeof *j->off);
	if (j->texts == NULL || j->t == NULL || j->off == NULL) {
		j->rc = -ENOMEM;
		return NULL;
	}
	for (i = 0; i < j->n; i++) {
		t = &j->t[i];
		j->off[i] = (uint32_t)at;
		t->off = (uint32_t)at;
		t->len = (uint32_t)store_addr_text(j->addr[i].ip,
		    j->addr[i].family, j->texts + at);
		t->n = (uint32_t)i;
		for (t->prefix = 0, k = 0; k < 8; k++)
			t->prefix = t->prefix << 8 |
			    (k < t->len ? (uint8_t)j->texts[at + k] : 0);
		at += t->len;
	}
	j->off[j->n] = (uint32_t)at;
	qsort_r(j->t, j->n, sizeof *j->t, store_cmp_text, j->texts);
	return NULL;
}

/* Give the new addresses ids (as the SQL path does) and start the job. */
static int
store_btload_addrs(struct store *st, size_t nnew)
{
	struct store_addr_job *j;
	size_t i;

	for (i = 0; i < nnew; i++)
		st->new_id[st->new_addr[i].n] = st->next_addr + (uint32_t)i;
	if ((j = calloc(1, sizeof *j)) == NULL)
		return store_btload_nomem(st);
	j->addr = st->new_addr;
	j->n = nnew;
	st->addr_job = j;
	j->threaded = pthread_create(&j->thread, NULL, store_addr_job_run,
	    j) == 0;
	if (!j->threaded)
		store_addr_job_run(j);
	return SQLITE_DONE;
}

/* Wait for the job; lay out addrs, its ip and its text index when run. */
static int
store_addrs_finish(struct store *st, int run)
{
	struct store_addr_job *j = st->addr_job;
	const struct store_new_addr *na;
	struct btload_val v[3], ip, id;
	uint32_t first;
	size_t i;
	int tree, nv, rc = SQLITE_DONE;

	if (j == NULL)
		return SQLITE_DONE;
	if (j->threaded)
		pthread_join(j->thread, NULL);
	st->addr_job = NULL;
	if (j->rc != 0 && run)
		rc = store_btload_nomem(st);
	/* The ids were given from next_addr, which has moved past them. */
	first = st->next_addr - (uint32_t)j->n;
	for (tree = TREE_ADDRS; tree <= TREE_ADDRS_TEXT && run &&
	    rc == SQLITE_DONE; tree++) {
		for (i = 0; i < j->n && rc == SQLITE_DONE; i++) {
			na = &j->addr[i];
			ip = (struct btload_val){ .type = BTLOAD_BLOB,
			    .p = na->ip, .n = na->family == 4 ? 4 : 16 };
			id = (struct btload_val){ .type = BTLOAD_INT,
			    .i = first + (int64_t)i };
			nv = 2;
			if (tree == TREE_ADDRS) {	/* (NULL, ip, text) */
				v[0] = (struct btload_val){ .type = BTLOAD_NULL };
				v[1] = ip;
				v[2] = (struct btload_val){ .type = BTLOAD_TEXT,
				    .p = j->texts + j->off[i],
				    .n = j->off[i + 1] - j->off[i] };
				nv = 3;
			} else if (tree == TREE_ADDRS_IP) {	/* (ip, id) */
				v[0] = ip;
				v[1] = id;
			} else {	/* (text, id), in text order */
				v[0] = (struct btload_val){ .type = BTLOAD_TEXT,
				    .p = j->texts + j->t[i].off,
				    .n = j->t[i].len };
				v[1] = (struct btload_val){ .type = BTLOAD_INT,
				    .i = first + (int64_t)j->t[i].n };
			}
			if (btload_recs_add(&st->recs, id.i, v, nv) != 0)
				rc = store_btload_nomem(st);
		}
		if (rc == SQLITE_DONE)
			rc = store_btload_tree(st, tree);
	}
	free(j->texts);
	free(j->t);
	free(j->off);
	free(j);
	return rc;
}

/*
 * flow_keys and its UNIQUE index (both in the new keys' sorted order),
 * then its dip and (proto, dport) indexes: (column << 32 | id) sorted by
 * the column, stably, so ids ascend within a value as in the index.
 */
static int
store_btload_keys(struct store *st, size_t nnew, uint64_t *scratch)
{
	uint64_t *a = scratch, *b = a + nnew, *o;
	struct store_new_key *nk;
	struct btload_val v[7];
	uint32_t id, maxdip = 0, maxport = 0, port;
	size_t i, k;
	int unique, rc = SQLITE_DONE;

	/*
	 * v is (NULL, sip, dip, dport, proto, vlan, id): the table's record
	 * is v[0..5] (the id is the rowid), the UNIQUE index's v[1..6].
	 */
	v[0] = (struct btload_val){ .type = BTLOAD_NULL };
	for (k = 1; k < 7; k++)
		v[k] = (struct btload_val){ .type = BTLOAD_INT };
	for (unique = 0; unique < 2 && rc == SQLITE_DONE; unique++) {
		for (i = 0; i < nnew && rc == SQLITE_DONE; i++) {
			nk = &st->new_key[i];
			id = st->next_key + (uint32_t)i;
			v[1].i = (int64_t)(nk->hi >> 32);
			v[2].i = (int64_t)(nk->hi & 0xffffffff);
			v[3].i = (int64_t)(nk->lo >> 32);
			v[4].i = (int64_t)(nk->lo >> 16 & 0xff);
			v[5].i = (int64_t)(nk->lo & 0xffff);
			v[6].i = id;
			if (btload_recs_add(&st->recs, id, v + unique, 6) != 0)
				rc = store_btload_nomem(st);
		}
		if (rc == SQLITE_DONE)
			rc = store_btload_tree(st, unique ? TREE_KEYS_UNIQUE :
			    TREE_KEYS);
	}
	if (rc != SQLITE_DONE)
		return rc;

	for (i = 0; i < nnew; i++) {
		nk = &st->new_key[i];
		id = st->next_key + (uint32_t)i;
		a[i] = (nk->hi & 0xffffffff) << 32 | id;
		if ((uint32_t)nk->hi > maxdip)
			maxdip = (uint32_t)nk->hi;
	}
	o = store_sort_rows(a, b, nnew, maxdip);
	for (i = 0; i < nnew && rc == SQLITE_DONE; i++) {
		v[0] = (struct btload_val){ .type = BTLOAD_INT,
		    .i = (int64_t)(o[i] >> 32) };
		v[1] = (struct btload_val){ .type = BTLOAD_INT,
		    .i = (int64_t)(o[i] & 0xffffffff) };
		if (btload_recs_add(&st->recs, 0, v, 2) != 0)
			rc = store_btload_nomem(st);
	}
	if (rc == SQLITE_DONE)
		rc = store_btload_tree(st, TREE_KEYS_DIP);
	if (rc != SQLITE_DONE)
		return rc;

	for (i = 0; i < nnew; i++) {
		nk = &st->new_key[i];
		port = (uint32_t)(nk->lo >> 16 & 0xff) << 16 |
		    (uint32_t)(nk->lo >> 32);
		a[i] = (uint64_t)port << 32 | (st->next_key + (uint32_t)i);
		if (port > maxport)
			maxport = port;
	}
	o = store_sort_rows(a, b, nnew, maxport);
	for (i = 0; i < nnew && rc == SQLITE_DONE; i++) {
		v[0] = (struct btload_val){ .type = BTLOAD_INT,
		    .i = (int64_t)(o[i] >> 48) };
		v[1] = (struct btload_val){ .type = BTLOAD_INT,
		    .i = (int64_t)(o[i] >> 32 & 0xffff) };
		v[2] = (struct btload_val){ .type = BTLOAD_INT,
		    .i = (int64_t)(o[i] & 0xffffffff) };
		if (btload_recs_add(&st->recs, 0, v, 3) != 0)
			rc = store_btload_nomem(st);
	}
	if (rc == SQLITE_DONE)
		rc = store_btload_tree(st, TREE_KEYS_PORT);
	return rc;
}

/* The key map gets the new day's n keys: a thread of its own. */
struct store_key_fill {
	struct store	*st;
	size_t		 n;
};

static void *
store_key_map_fill(void *arg)
{
	struct store *st = ((struct store_key_fill *)arg)->st;
	struct store_new_key *nk;
	struct store_key_slot *s;
	size_t i, n = ((struct store_key_fill *)arg)->n;

	for (i = 0; i < n; i++) {
		if (i + STORE_PREFETCH < n)
			store_key_map_prefetch(&st->keys,
			    st->new_key[i + STORE_PREFETCH].hi,
			    st->new_key[i + STORE_PREFETCH].lo);
		nk = &st->new_key[i];
		s = store_key_map_find(&st->keys, nk->hi, nk->lo);
		store_key_slot_set(s, nk->hi, nk->lo, st->next_key +
		    (uint32_t)i);
	}
	st->keys.count += n;
	return NULL;
}

/*
 * Every key of a new day's first bin is new: ids come from sorting the
 * bin's keys, not from the map.  The map, for the bins after, is filled
 * by a second thread while this one lays out the key trees.
 */
static int
store_write_new_keys(struct store *st, const struct flowtab_bin *bin,
    size_t *keys_new, struct store_new_key *scratch)
{
	const struct flowtab_row *r;
	struct store_new_key *nk, k;
	struct store_key_fill fill;
	pthread_t filler;
	size_t i, d, n = bin->nrows;
	int threaded, rc;

	for (i = 0; i < n; i++) {
		r = &bin->rows[i];
		nk = &st->new_key[i];
		nk->hi = store_key_hi(st->row_sip[i], st->row_dip[i]);
		nk->lo = store_key_lo(r->key.dport, r->key.proto, r->key.vlan);
		nk->n = (uint32_t)i;
	}
	store_sort_keys(st->new_key, n, scratch);
	/* Ids in key order; a key twice (never, from flowtab) gets one. */
	for (i = 0, d = 0; i < n; i++) {
		k = st->new_key[i];
		if (d == 0 || k.hi != st->new_key[d - 1].hi ||
		    k.lo != st->new_key[d - 1].lo)
			st->new_key[d++] = k;
		st->row_order[k.n] = (uint64_t)(st->next_key +
		    (uint32_t)(d - 1)) << 32 | k.n;
	}
	if (d > STORE_MAX_ID - st->next_key)
		return SQLITE_FULL;
	if (store_key_map_reserve(&st->keys, d) != 0)
		return SQLITE_NOMEM;

	fill.st = st;
	fill.n = d;
	threaded = pthread_create(&filler, NULL, store_key_map_fill,
	    &fill) == 0;
	if (!threaded)
		store_key_map_fill(&fill);
	rc = store_btload_keys(st, d, (uint64_t *)(void *)scratch);
	if (threaded)
		pthread_join(filler, NULL);
	if (rc != SQLITE_DONE)
		return rc;
	st->next_key += (uint32_t)d;
	*keys_new = d;
	return SQLITE_DONE;
}

/* flow_rows, by key id; a key that came twice is one row (never here). */
static int
store_btload_rows(struct store *st, const struct flowtab_bin *bin,
    struct store_bin_sums *sum, struct store_write_result *res)
{
	const struct flowtab_row *r;
	struct btload_val v[6];
	uint64_t *order, c[4];
	size_t i, j, k, n = bin->nrows;
	int rc = SQLITE_DONE;

	order = store_sort_rows(st->row_order, st->row_tmp, n, st->next_key);
	for (i = 0; i < n && rc == SQLITE_DONE; i = j) {
		/* The rows are in flowtab order: fetch ahead of key order. */
		if (i + STORE_PREFETCH < n)
			__builtin_prefetch(&bin->rows[(uint32_t)order[i +
			    STORE_PREFETCH]]);
		r = &bin->rows[(uint32_t)order[i]];
		store_count_row(sum, r);
		store_sum_row(sum, r);
		c[0] = r->bytes_rcvd;
		c[1] = r->bytes_sent;
		c[2] = r->pkts_rcvd;
		c[3] = r->pkts_sent;
		for (j = i + 1; j < n && order[j] >> 32 == order[i] >> 32;
		    j++) {
			r = &bin->rows[(uint32_t)order[j]];
			store_sum_row(sum, r);
			c[0] += r->bytes_rcvd;
			c[1] += r->bytes_sent;
			c[2] += r->pkts_rcvd;
			c[3] += r->pkts_sent;
			res->rows_updated++;
		}
		v[0] = (struct btload_val){ .type = BTLOAD_INT, .i = bin->ts };
		v[1] = (struct btload_val){ .type = BTLOAD_INT,
		    .i = (int64_t)(order[i] >> 32) };
		for (k = 0; k < 4; k++)
			v[2 + k] = (struct btload_val){ .type = BTLOAD_INT,
			    .i = (int64_t)c[k] };
		if (btload_recs_add(&st->recs, 0, v, 6) != 0)
			rc = store_btload_nomem(st);
		res->rows_new++;
	}
	if (rc == SQLITE_DONE)
		rc = store_btload_tree(st, TREE_ROWS);
	return rc;
}

/* fsync a file or directory by name; 0 or -errno. */
static int
store_fsync_path(const char *path, int dir)
{
	int fd, rc = 0;

	fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Give tmp the day file's name unless something has it: 0, -EEXIST, -errno. */
static int
store_rename_new(const char *tmp, const char *final)
{
	struct stat sb;

	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* A file system without RENAME_NOREPLACE: one writer per day. */
	if (stat(final, &sb) == 0)
		return -EEXIST;
	return rename(tmp, final) == 0 ? 0 : -errno;
}

/*
 * Write bin as the first of its day with btload (see above).  0: written,
 * the day file open; -EAGAIN: nothing written, write it with SQL; else
 * the error, nothing written.
 */
static int
store_write_new_day(struct store *st, const struct flowtab_bin *bin,
    struct store_write_result *res, struct store_bin_sums *sum, char **cause)
{
	struct store_new_key *scratch = NULL;
	struct btload bl;
	struct stat sb;
	char *final, *tmp, *dir;
	int rc;

	final = store_day_path(st->dir, st->iface, bin->ts);
	if (stat(final, &sb) == 0 || errno != ENOENT) {
		free(final);
		return -EAGAIN;
	}
	tmp = util_printf("%s.new", final);
	store_unlink_new(tmp);
	memset(&bl, 0, sizeof bl);
	bl.fd = -1;

	/* 1. The schema, by SQLite; where the trees' roots are. */
	if ((rc = store_open_day(st, bin, tmp, cause)) != 0)
		goto fail;
	if ((rc = store_tree_roots(st, cause)) != 0 ||
	    (rc = store_load(st, cause)) != 0)
		goto fail;
	store_close_db(st);

	/* 2. The trees, by btload. */
	if ((rc = btload_open(&bl, tmp, cause)) != 0)
		goto fail;
	/* The keys' sort, then two arrays of its index orders: 24 B a row. */
	if ((scratch = malloc(bin->nrows * sizeof *scratch)) == NULL) {
		rc = util_cause(cause, -ENOMEM, "%s: out of memory", tmp);
		goto fail;
	}
	st->bl = &bl;
	rc = store_write_addrs(st, bin, &res->addrs_new);
	if (rc == SQLITE_DONE)
		rc = store_write_new_keys(st, bin, &res->keys_new, scratch);
	free(scratch);
	scratch = NULL;
	if (rc == SQLITE_DONE)
		rc = store_btload_rows(st, bin, sum, res);
	if (rc == SQLITE_DONE)
		rc = store_addrs_finish(st, 1);
	st->bl = NULL;
	btload_recs_free(&st->recs);
	if (rc != SQLITE_DONE) {
		if (st->bl_cause != NULL) {
			rc = st->bl_rc;
			util_cause(cause, rc, "%s", st->bl_cause);
		} else
			rc = store_fail(st, NULL, rc, cause);
		goto fail;
	}
	if ((rc = btload_close(&bl, cause)) != 0)
		goto fail;

	/* 3. The counters, by SQLite; then the day's name. */
	if ((rc = store_open_day(st, bin, tmp, cause)) != 0)
		goto fail;
	rc = store_step(st->stmt[STMT_BEGIN]);
	if (rc == SQLITE_DONE)
		rc = store_write_counters(st, bin, sum);
	if (rc == SQLITE_DONE)
		rc = store_step(st->stmt[STMT_COMMIT]);
	if (rc != SQLITE_DONE) {
		rc = store_fail(st, st->db, rc, cause);
		goto fail;
	}
	store_close_db(st);
	if ((rc = store_fsync_path(tmp, 0)) != 0) {
		rc = util_cause(cause, rc, "%s: fsync: %s", tmp, strerror(-rc));
		goto fail;
	}
	if ((rc = store_rename_new(tmp, final)) != 0) {
		if (rc != -EEXIST)
			rc = util_cause(cause, rc, "%s: rename: %s", tmp,
			    strerror(-rc));
		else
			rc = -EAGAIN;	/* someone made the day meanwhile */
		goto fail;
	}
	dir = util_printf("%s/%s", st->dir, st->iface);
	if (store_fsync_path(dir, 1) != 0)
		log_warn("%s: fsync: %s", dir, strerror(errno));
	free(dir);

	/* The day file as any other; the maps and ids are what it holds. */
	if ((rc = store_open_day(st, bin, NULL, cause)) != 0) {
		/* Written all the same: the next bin opens it afresh. */
		if (cause != NULL) {
			log_warn("%s", *cause);
			free(*cause);
			*cause = NULL;
		}
		store_forget(st);
	} else
		st->loaded = 1;
	st->rows = sum->flows;
	free(tmp);
	free(final);
	return 0;

fail:
	store_addrs_finish(st, 0);
	free(scratch);
	st->bl = NULL;
	btload_recs_free(&st->recs);
	btload_abort(&bl);
	if (st->db != NULL)
		store_close_db(st);
	free(st->path);
	st->path = NULL;
	st->day[0] = '\0';
	store_forget(st);
	store_unlink_new(tmp);
	free(st->bl_cause);
	st->bl_cause = NULL;
	/* A file btload cannot extend: the SQL inserts can. */
	if (rc == -ENOTSUP || rc == -EAGAIN) {
		if (rc == -ENOTSUP && cause != NULL)
			log_info("%s; writing with SQL", *cause);
		if (cause != NULL) {
			free(*cause);
			*cause = NULL;
		}
		rc = -EAGAIN;
	}
	free(tmp);
	free(final);
	return rc;
}

int
store_write_bin(struct store *st, const struct flowtab_bin *bin,
    struct store_write_result *res, char **cause)
{
	struct store_write_result dummy;
	struct store_bin_sums sum;
	struct catalog_day cday;
	char *rcause = NULL;
	uint64_t t[6];
	char day[16];
	int rc;

	if (res == NULL)
		res = &dummy;
	memset(res, 0, sizeof *res);
	memset(&sum, 0, sizeof sum);

	util_utc_day(bin->ts, day, sizeof day);
	if (st->db != NULL && strcmp(day, st->day) != 0)
		store_finish_day(st);
	/* Two new addresses a row must fit beside STORE_PENDING. */
	if (bin->nrows > STORE_MAX_ID / 2)
		return util_cause(cause, -E2BIG, "%s/%s: a bin of %zu rows is"
		    " too large", st->dir, st->iface, bin->nrows);
	if (store_grow(st, bin->nrows) != 0)
		return util_cause(cause, -ENOMEM, "%s/%s: out of memory",
		    st->dir, st->iface);

	t[0] = util_now_ns();
	/* A large first bin of a day: laid out at once (see above). */
	if (st->db == NULL && bin->nrows >= st->new_day_rows) {
		rc = store_write_new_day(st, bin, res, &sum, cause);
		if (rc == 0) {
			log_debug("%s: bin %lld: %zu rows, %zu keys, %zu addrs:"
			    " a new day laid out by btload in %.3f s",
			    st->path ? st->path : "", (long long)bin->ts,
			    bin->nrows, res->keys_new, res->addrs_new,
			    (double)(util_now_ns() - t[0]) / 1e9);
			res->new_day = 1;
			goto written;
		}
		/* Nothing of it is visible: SQL can write the bin still. */
		if (rc != -EAGAIN && cause != NULL && *cause != NULL) {
			log_warn("%s; writing the bin with SQL", *cause);
			free(*cause);
			*cause = NULL;
		}
		memset(res, 0, sizeof *res);
		memset(&sum, 0, sizeof sum);
		t[0] = util_now_ns();
	}
	if (st->db == NULL && (rc = store_open_day(st, bin, NULL, cause)) != 0)
		return rc;
	if ((rc = store_step(st->stmt[STMT_BEGIN])) != SQLITE_DONE) {
		rc = store_fail(st, st->db, rc, cause);
		goto rollback;
	}
	if (!st->loaded && (rc = store_load(st, cause)) != 0)
		goto rollback;
	t[1] = util_now_ns();
	/* A bin of a rolled-up hour makes its rollups stale: drop them. */
	rc = rollup_forget(st->db, bin->ts);
	if (rc == SQLITE_DONE)
		rc = store_write_addrs(st, bin, &res->addrs_new);
	t[2] = util_now_ns();
	st->first_new_key = st->next_key;
	if (rc == SQLITE_DONE)
		rc = store_write_keys(st, bin, &res->keys_new);
	t[3] = util_now_ns();
	if (rc == SQLITE_DONE)
		rc = store_write_rows(st, bin, &sum, res);
	t[4] = util_now_ns();
	if (rc == SQLITE_DONE)
		rc = store_write_counters(st, bin, &sum);
	if (rc == SQLITE_DONE)
		rc = store_step(st->stmt[STMT_COMMIT]);
	t[5] = util_now_ns();
	if (rc != SQLITE_DONE) {
		rc = store_fail(st, st->db, rc, cause);
		goto rollback;
	}

	st->rows += sum.flows;
	log_debug("%s: bin %lld: %zu rows (%zu new), %zu keys new, %zu addrs"
	    " new; seconds: load %.3f, addrs %.3f, keys %.3f, rows %.3f,"
	    " commit %.3f", st->path, (long long)bin->ts, bin->nrows,
	    res->rows_new, res->keys_new, res->addrs_new,
	    (double)(t[1] - t[0]) / 1e9, (double)(t[2] - t[1]) / 1e9,
	    (double)(t[3] - t[2]) / 1e9, (double)(t[4] - t[3]) / 1e9,
	    (double)(t[5] - t[4]) / 1e9);

written:
	/* Outgrown maps serve one bin at a time from now on. */
	if (st->addrs.complete && st->addrs.count > store_cache_max) {
		st->addrs.complete = 0;
		store_addr_map_clear(&st->addrs);
	}
	if (st->keys.complete && st->keys.count > store_cache_max) {
		st->keys.complete = 0;
		store_key_map_clear(&st->keys);
	}
	if (st->db == NULL)
		return 0;	/* a new day that could not be reopened */
	if (st->rows >= 2 * st->rows_analyzed && st->rows != 0) {
		t[0] = util_now_ns();
		store_analyze(st);
		log_debug("%s: ANALYZE %.3f s", st->path,
		    (double)(util_now_ns() - t[0]) / 1e9);
	}
	/* Hours that are over get their rollups; the catalog its totals. */
	if (rollup_build(st->db, st->path, st->day_ts,
	    bin->ts - bin->ts % ROLLUP_HOUR, 0, &rcause) != 0)
		log_warn("%s", rcause);
	free(rcause);
	if (catalog_day_read(st->db, &cday) == SQLITE_OK)
		store_catalog(st, st->path, st->day, &cday);
	return 0;

rollback:
	if (!sqlite3_get_autocommit(st->db))
		store_step(st->stmt[STMT_ROLLBACK]);
	/* The retry starts from the file: reopened, maps reloaded. */
	store_forget(st);
	store_close_day(st);
	memset(res, 0, sizeof *res);
	return rc;
}

struct store *
store_new(const char *db_dir, const char *iface)
{
	struct store *st;
	const char *v;
	char *end;
	unsigned long long n;

	if ((st = calloc(1, sizeof *st)) == NULL)
		return NULL;
	st->dir = util_strdup(db_dir);
	st->iface = util_strdup(iface);
	st->new_day_rows = store_new_day_rows;
	/* FLOWREC_NEW_DAY_ROWS=N: btload from N rows on; 0: never. */
	if ((v = getenv("FLOWREC_NEW_DAY_ROWS")) != NULL && *v != '\0') {
		n = strtoull(v, &end, 10);
		if (*end == '\0')
			st->new_day_rows = n == 0 ? SIZE_MAX : (size_t)n;
	}
	return st;
}

void
store_free(struct store *st)
{
	if (st == NULL)
		return;
	store_finish_day(st);
	store_addr_map_free(&st->addrs);
	store_key_map_free(&st->keys);
	free(st->row_sip);
	free(st->row_dip);
	free(st->row_order);
	free(st->row_tmp);
	free(st->new_addr);
	free(st->new_key);
	free(st->new_id);
	btload_recs_free(&st->recs);
	free(st->bl_cause);
	free(st->dir);
	free(st->iface);
	free(st);
}
