/*
 * store_int.h - the store's internals, shared by its four parts and its
 * unit tests (libuv's rule: store_ in store.h is the API, store__ here is
 * not; nothing outside src/store*.c and tests/unit/test_store*.c includes
 * this file).
 *
 *   store.c         the API, the day file's lifecycle (open, create,
 *                   check, migrate, load the maps, analyze, close) and the
 *                   bin's transaction;
 *   store_ids.c     the id maps, the radix sorts and the address text:
 *                   plain C, no SQLite, unit-tested alone;
 *   store_sql.c     the SQL insert path: statements, addresses, keys,
 *                   rows and counters of one bin;
 *   store_newday.c  a new day's first bin laid out by btload, with its two
 *                   threads.
 *
 * One error convention inside: 0 on success, a negative errno and *cause
 * set ("path: message") on failure.  An SQLite result code is turned into
 * that once, where the SQLite call returned it (store__fail()); no other
 * code travels between the parts.
 *
 * Ids: a map slot's id is 0 when empty, an addrs or flow_keys id, or
 * STORE_PENDING | n for the nth entry new to the day in the bin being
 * written (new_id[n] gets its id once the new entries are sorted).
 */
#ifndef FLOWREC_STORE_INT_H
#define FLOWREC_STORE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flowtab.h"
#include "store.h"

/* sqlite3.h's types, without sqlite3.h (store_ids.c does without it). */
struct sqlite3;
struct sqlite3_stmt;

/* A map holding more entries than this is dropped for per-bin lookups. */
#define STORE_CACHE_MAX		(8u << 20)
/* Map lookups started this far ahead of their use. */
#define STORE_PREFETCH		16
/* Rows per multi-row INSERT (one statement's overhead for all of them). */
#ifndef STORE_BATCH
#define STORE_BATCH		64
#endif
/* New keys into an empty file go in bulk; a first bin this large, btload. */
#define STORE_BULK_KEYS		4096

/* In <db>/<iface>/: one writer per interface (flowq reads only *.db). */
#define STORE_LOCK_NAME		".writer.lock"

#define STORE_PENDING		0x80000000u
#define STORE_MAX_ID		(STORE_PENDING - 1)

/* The prepared statements of an open day file (store_sql.c has their SQL). */
enum {
	STORE_STMT_BEGIN,
	STORE_STMT_COMMIT,
	STORE_STMT_ROLLBACK,
	STORE_STMT_ADDR_FIND,
	STORE_STMT_ADDR_INSERT,
	STORE_STMT_ADDR_BATCH,
	STORE_STMT_KEY_FIND,
	STORE_STMT_KEY_INSERT,
	STORE_STMT_KEY_BATCH,
	STORE_STMT_ROW_ANY,
	STORE_STMT_ROW_APPEND,
	STORE_STMT_ROW_BATCH,
	STORE_STMT_ROW_INSERT,
	STORE_STMT_ROW_ADD,
	STORE_STMT_BIN_ADD,
	STORE_STMT_SKIP_ADD,
	STORE_STMT_COUNT
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
	struct sqlite3	*db;
	char		*path;
	char		 day[16];
	int64_t		 day_ts;	/* the day's first second */
	struct sqlite3_stmt *stmt[STORE_STMT_COUNT];
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
	struct store_new_addr *addr_tmp;	/* 2 * work_rows: their sort */
	struct store_new_key *new_key;		/* work_rows */
	uint32_t	*new_id;		/* 2 * work_rows */

	size_t		 new_day_rows;	/* btload a first bin this large */
	int		 last;		/* store_set_last(): no maps after */

	/* Batch mode (store_set_batch()): a transaction across writes. */
	size_t		 batch_max;	/* rows before a commit; 0: no batches */
	int		 in_batch;	/* a batch's transaction is open */
	size_t		 batch_rows;	/* rows written in it */
	int64_t		 batch_last_ts;	/* the ts of its last write */
	int64_t		 batch_end;	/* end of its last whole bin */
	int64_t		 committed_end;	/* store_committed_end() */
	int		 lock_fd;	/* STORE_LOCK_NAME, flock()ed; or -1 */
	int		 dir_fd;	/* the interface's directory, or -1 */
};

/* What a bin's rows add up to (bins' row counters). */
struct store_bin_sums {
	uint64_t	 flows, flows_v4, flows_v6;
	uint64_t	 bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent;
};

/*
 * Tunables, variables only so that test_store can pose as a later schema
 * version, create files with another schema, shrink the caches or move
 * the bulk and btload thresholds.  store__schema NULL means the embedded
 * store_schema_sql, store__migrations NULL the embedded store_migrate_sql.
 */
extern int store__version;
extern const char *store__schema;
extern const char *const *store__migrations;
extern int store__migrations_count;
extern size_t store__cache_max;
extern size_t store__bulk_keys;
extern size_t store__new_day_rows;

/* ------------------------------------------------ store.c: lifecycle */

/*
 * Set *cause to "path: SQLite's message" for SQLite result code rc (db's
 * own message when db failed with it; db may be NULL, and the system's
 * reason is added when a file could not be opened) and return the
 * matching negative errno.  The one place SQLite codes are converted.
 */
int	 store__fail(struct store *, struct sqlite3 *db, int rc, char **cause);
/* The day ran out of address or key ids: -EOVERFLOW, saying so. */
int	 store__ids_exhausted(struct store *, const char *what, char **cause);
/* One integer from a query (NULL reads as 0); 0 or negative. */
int	 store__query_int(struct store *, struct sqlite3 *db, const char *sql,
	    int64_t *out, char **cause);

/*
 * Open (creating, checking or migrating) the day file of bin into st, in
 * WAL mode; or the file at path instead, a new day's file being built, in
 * rollback-journal mode (btload writes it behind SQLite's back).  0, or
 * negative with *cause and nothing open.
 */
int	 store__open_day(struct store *, const struct flowtab_bin *bin,
	    const char *path, char **cause);
/* Close the connection; the maps, next ids and path stay. */
void	 store__close_db(struct store *);
/* Drop the maps: the next write reloads them from the file. */
void	 store__forget(struct store *);
/* Read the next ids, and the maps when they fit, inside the transaction. */
int	 store__load(struct store *, char **cause);
/* Remove a ".new" file and what SQLite may have left beside it. */
void	 store__unlink_new(const char *tmp);

/* ------------------------------------------------ store_ids.c: no SQLite */

/* Make room for more entries (load at most 0.7); 0 or -ENOMEM. */
int	 store__addr_map_reserve(struct store_addr_map *, size_t more);
void	 store__addr_map_clear(struct store_addr_map *);
void	 store__addr_map_free(struct store_addr_map *);
int	 store__key_map_reserve(struct store_key_map *, size_t more);
void	 store__key_map_clear(struct store_key_map *);
void	 store__key_map_free(struct store_key_map *);

/*
 * Sort handles (id << 32 | payload) by id, an LSD radix sort of maxid's
 * digits, through tmp (room for n).  Returns the array holding the result
 * (v or tmp).
 */
uint64_t *store__sort_rows(uint64_t *v, uint64_t *tmp, size_t n,
	    uint32_t maxid);
/* New keys into flow_keys' UNIQUE index order (hi, lo), through tmp. */
void	 store__sort_keys(struct store_new_key *v, size_t n,
	    struct store_new_key *tmp);
/*
 * New addresses into addrs.ip's order (a BLOB: bytes, then length),
 * through tmp (room for n).
 */
void	 store__sort_addrs(struct store_new_addr *v, size_t n,
	    struct store_new_addr *tmp);

/*
 * The text of an address exactly as glibc's inet_ntop() writes it; buf
 * has room for INET6_ADDRSTRLEN.  Returns the length.
 */
size_t	 store__addr_text(const uint8_t *ip, uint8_t family, char *buf);

/*
 * After the bin's nnew new addresses (sorted) got ids in new_id[], from
 * next_addr on: advance next_addr, put them in the map, and turn every
 * row's PENDING reference (row_sip, row_dip) into its id.
 */
void	 store__resolve_addrs(struct store *, size_t nrows, size_t nnew);
/* Likewise for the nnew new keys and row_order. */
void	 store__resolve_keys(struct store *, size_t nrows, size_t nnew);

/* ------------------------------------------------ store_sql.c */

/* Prepare (finalize) the statements of the open file st->db. */
int	 store__stmts_prepare(struct store *, char **cause);
void	 store__stmts_finalize(struct store *);
/* Step and reset a statement that returns no row; 0 or negative. */
int	 store__step(struct store *, struct sqlite3_stmt *, char **cause);

/*
 * Map every row's addresses to ids or PENDING references, collecting the
 * ones new to the day in new_addr, sorted; *nnew of them.  A map that is
 * not complete is asked through the UNIQUE index of addrs.
 */
int	 store__collect_addrs(struct store *, const struct flowtab_bin *bin,
	    size_t *nnew, char **cause);

/*
 * The steps of a bin's transaction: addresses, keys, rows, counters.
 * Each returns 0, or negative with *cause (the transaction must then be
 * rolled back).
 */
int	 store__write_addrs(struct store *, const struct flowtab_bin *bin,
	    size_t *addrs_new, char **cause);
int	 store__write_keys(struct store *, const struct flowtab_bin *bin,
	    size_t *keys_new, char **cause);
int	 store__write_rows(struct store *, const struct flowtab_bin *bin,
	    struct store_bin_sums *, struct store_write_result *,
	    char **cause);
int	 store__write_counters(struct store *, const struct flowtab_bin *bin,
	    const struct store_bin_sums *, char **cause);

/* ------------------------------------------------ store_newday.c */

/*
 * Write bin as the first of its day with btload.  0: written, the day
 * file open (or closed when it could not be reopened); -EAGAIN: nothing
 * written, write it with SQL; any other negative code: nothing written,
 * *cause says why (SQL may still try).
 */
int	 store__write_new_day(struct store *, const struct flowtab_bin *bin,
	    struct store_write_result *, struct store_bin_sums *,
	    char **cause);

/* ------------------------------------------------ inline, for the hot loops */

static inline uint64_t
store__mix(uint64_t x)
{
	x *= 0x9e3779b97f4a7c15ULL;
	x ^= x >> 31;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 29;
	return x;
}

static inline uint64_t
store__addr_hash(const uint8_t *ip, uint8_t family)
{
	uint64_t a, b;

	memcpy(&a, ip, 8);
	memcpy(&b, ip + 8, 8);
	return store__mix(a ^ store__mix(b + family));
}

static inline uint64_t
store__key_hash(uint64_t hi, uint64_t lo)
{
	return store__mix(hi ^ store__mix(lo));
}

/* The slot holding the address, or the empty slot where it belongs. */
static inline struct store_addr_slot *
store__addr_map_find(struct store_addr_map *m, const uint8_t *ip,
    uint8_t family)
{
	struct store_addr_slot *s;
	size_t i;

	i = (size_t)store__addr_hash(ip, family) & m->mask;
	for (;;) {
		s = &m->slot[i];
		if (s->id == 0 || (s->family == family &&
		    memcmp(s->ip, ip, 16) == 0))
			return s;
		i = (i + 1) & m->mask;
	}
}

/* Start fetching the slot where an address's probe begins (a cache miss). */
static inline void
store__addr_map_prefetch(const struct store_addr_map *m, const uint8_t *ip,
    uint8_t family)
{
	__builtin_prefetch(&m->slot[store__addr_hash(ip, family) & m->mask], 1);
}

static inline uint64_t
store__key_hi(uint32_t sip, uint32_t dip)
{
	return (uint64_t)sip << 32 | dip;
}

static inline uint64_t
store__key_lo(uint16_t dport, uint8_t proto, uint16_t vlan)
{
	return (uint64_t)dport << 32 | (uint64_t)proto << 16 | vlan;
}

static inline struct store_key_slot *
store__key_map_find(struct store_key_map *m, uint64_t hi, uint64_t lo)
{
	struct store_key_slot *s;
	size_t i;

	i = (size_t)store__key_hash(hi, lo) & m->mask;
	for (;;) {
		s = &m->slot[i];
		if (s->id == 0 || (store__key_hi(s->sip, s->dip) == hi &&
		    store__key_lo(s->dport, s->proto, s->vlan) == lo))
			return s;
		i = (i + 1) & m->mask;
	}
}

static inline void
store__key_slot_set(struct store_key_slot *s, uint64_t hi, uint64_t lo,
    uint32_t id)
{
	s->sip = (uint32_t)(hi >> 32);
	s->dip = (uint32_t)hi;
	s->dport = (uint16_t)(lo >> 32);
	s->proto = (uint8_t)(lo >> 16);
	s->vlan = (uint16_t)lo;
	s->id = id;
}

static inline void
store__key_map_prefetch(const struct store_key_map *m, uint64_t hi,
    uint64_t lo)
{
	__builtin_prefetch(&m->slot[store__key_hash(hi, lo) & m->mask], 1);
}

static inline void
store__sum_row(struct store_bin_sums *sum, const struct flowtab_row *r)
{
	sum->bytes_rcvd += r->bytes_rcvd;
	sum->bytes_sent += r->bytes_sent;
	sum->pkts_rcvd += r->pkts_rcvd;
	sum->pkts_sent += r->pkts_sent;
}

static inline void
store__count_row(struct store_bin_sums *sum, const struct flowtab_row *r)
{
	sum->flows++;
	if (r->key.family == 4)
		sum->flows_v4++;
	else
		sum->flows_v6++;
}

#endif
