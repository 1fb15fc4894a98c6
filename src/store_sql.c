/*
 * store_sql.c - the store's SQL insert path: one bin into an open day file.
 *
 * store.c's transaction calls the four steps in order, inside BEGIN
 * IMMEDIATE ... COMMIT (store_newday.c only the last, for a new day):
 *
 *   1. store__write_addrs(): each row's sip and dip through the address
 *      map; the addresses new to the day are sorted, numbered from
 *      next_addr and inserted with their text, 64 per statement;
 *   2. store__write_keys(): likewise (sip_id, dip_id, dport, proto, vlan)
 *      through the key map, the new keys in flow_keys' UNIQUE order; many
 *      new keys into a file without any go in bulk, with the secondary
 *      indexes dropped and created again afterwards;
 *   3. store__write_rows(): rows sorted by key id, appended by multi-row
 *      INSERTs when the bin is new to the file, else each INSERT OR
 *      IGNOREd and, when that changed nothing (the bin was written
 *      before), UPDATEd to add its counters;
 *   4. store__write_counters(): the bin's counters added to bins and
 *      bin_skips.
 *
 * Why sorted ids, why 64 rows a statement, why OR ROLLBACK: see
 * doc/storage.md ("Writing a bin").  Each step returns 0 or a negative
 * errno with *cause; an SQLite code is converted where the call returned
 * it.  A failure leaves the maps and next ids wrong for the file: the
 * caller rolls back and drops them (store__forget()).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "parse.h"
#include "store_int.h"
#include "util.h"

static const char *const store_stmt_sql[STORE_STMT_COUNT] = {
	[STORE_STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STORE_STMT_COMMIT] = "COMMIT",
	[STORE_STMT_ROLLBACK] = "ROLLBACK",
	[STORE_STMT_ADDR_FIND] = "SELECT id FROM addrs WHERE ip = ?1",
	[STORE_STMT_ADDR_INSERT] = "INSERT INTO addrs (id, ip, text)"
	    " VALUES (?1, ?2, ?3)",
	[STORE_STMT_KEY_FIND] = "SELECT id FROM flow_keys WHERE sip = ?1"
	    " AND dip = ?2 AND dport = ?3 AND proto = ?4 AND vlan = ?5",
	[STORE_STMT_KEY_INSERT] = "INSERT INTO flow_keys (id, sip, dip, dport,"
	    " proto, vlan) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STORE_STMT_ROW_ANY] = "SELECT 1 FROM flow_rows WHERE ts = ?1 LIMIT 1",
	[STORE_STMT_ROW_APPEND] = "INSERT INTO flow_rows (ts, key, bytes_rcvd,"
	    " bytes_sent, pkts_rcvd, pkts_sent) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STORE_STMT_ROW_INSERT] = "INSERT OR IGNORE INTO flow_rows (ts, key,"
	    " bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STORE_STMT_ROW_ADD] = "UPDATE flow_rows SET bytes_rcvd = bytes_rcvd"
	    " + ?3, bytes_sent = bytes_sent + ?4, pkts_rcvd = pkts_rcvd + ?5,"
	    " pkts_sent = pkts_sent + ?6 WHERE ts = ?1 AND key = ?2",
	[STORE_STMT_BIN_ADD] = "INSERT INTO bins (ts, interval, writes,"
	    " packets, ip, non_ip, malformed, flows, flows_v4, flows_v6,"
	    " bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent, conn_overflow,"
	    " frag_evicted, early_writes, kernel_packets, kernel_drops,"
	    " kernel_freezes)"
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
	[STORE_STMT_SKIP_ADD] = "INSERT INTO bin_skips (ts, reason, packets)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (ts, reason)"
	    " DO UPDATE SET packets = packets + excluded.packets",
};

/* ------------------------------------------------------------ statements */

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
	case STORE_STMT_ADDR_BATCH:
		head = "INSERT OR ROLLBACK INTO addrs (id, ip, text) VALUES ";
		tuple = "(?%d, ?%d, ?%d)";
		per = 3;
		first = 1;
		break;
	case STORE_STMT_KEY_BATCH:
		head = "INSERT OR ROLLBACK INTO flow_keys (id, sip, dip, dport,"
		    " proto, vlan) VALUES ";
		tuple = "(?%d, ?%d, ?%d, ?%d, ?%d, ?%d)";
		per = 6;
		first = 1;
		break;
	case STORE_STMT_ROW_BATCH:
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

int
store__stmts_prepare(struct store *st, char **cause)
{
	char *sql;
	int i, rc;

	for (i = 0; i < STORE_STMT_COUNT; i++) {
		sql = store_batch_sql(i);
		rc = sqlite3_prepare_v3(st->db, sql ? sql : store_stmt_sql[i],
		    -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL);
		free(sql);
		if (rc != SQLITE_OK) {
			rc = store__fail(st, st->db, rc, cause);
			store__stmts_finalize(st);
			return rc;
		}
	}
	return 0;
}

void
store__stmts_finalize(struct store *st)
{
	int i;

	for (i = 0; i < STORE_STMT_COUNT; i++) {
		sqlite3_finalize(st->stmt[i]);
		st->stmt[i] = NULL;
	}
}

int
store__step(struct store *st, sqlite3_stmt *s, char **cause)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store__fail(st, st->db, rc, cause);
}

/* ------------------------------------------------------------ addresses */

/*
 * The addrs id of an address into *id, or PENDING|n when it is new to the
 * day (the nth such in this bin, recorded in new_addr).
 */
static inline int
store_addr_ref(struct store *st, const uint8_t *ip, uint8_t family,
    size_t *nnew, uint32_t *out, char **cause)
{
	struct store_addr_slot *s;
	struct store_new_addr *na;
	sqlite3_stmt *q;
	uint32_t id = 0;
	int rc;

	/* Grow before looking: a slot found stays valid until it is filled. */
	if ((st->addrs.count + 1) * 10 > (st->addrs.mask + 1) * 7 &&
	    store__addr_map_reserve(&st->addrs, 1) != 0)
		return util_cause(cause, -ENOMEM, "%s: out of memory",
		    st->path);
	s = store__addr_map_find(&st->addrs, ip, family);
	if (s->id != 0) {
		*out = s->id;
		return 0;
	}
	if (!st->addrs.complete) {
		q = st->stmt[STORE_STMT_ADDR_FIND];
		sqlite3_bind_blob(q, 1, ip, family == 4 ? 4 : 16,
		    SQLITE_STATIC);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW)
			id = (uint32_t)sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return store__fail(st, st->db, rc, cause);
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
	*out = id;
	return 0;
}

int
store__collect_addrs(struct store *st, const struct flowtab_bin *bin,
    size_t *nnew, char **cause)
{
	const struct flowtab_row *r;
	size_t i;
	int rc;

	*nnew = 0;
	if (!st->addrs.complete)
		store__addr_map_clear(&st->addrs);
	for (i = 0; i < bin->nrows; i++) {
		/* Both slots of a row a few rows ahead, as for the keys. */
		if (i + STORE_PREFETCH < bin->nrows && st->addrs.slot != NULL) {
			r = &bin->rows[i + STORE_PREFETCH];
			store__addr_map_prefetch(&st->addrs, r->key.sip,
			    r->key.family);
			store__addr_map_prefetch(&st->addrs, r->key.dip,
			    r->key.family);
		}
		r = &bin->rows[i];
		if ((rc = store_addr_ref(st, r->key.sip, r->key.family, nnew,
		    &st->row_sip[i], cause)) != 0)
			return rc;
		if ((rc = store_addr_ref(st, r->key.dip, r->key.family, nnew,
		    &st->row_dip[i], cause)) != 0)
			return rc;
	}
	if (*nnew > STORE_MAX_ID - st->next_addr)
		return store__ids_exhausted(st, "address", cause);
	store__sort_addrs(st->new_addr, *nnew, st->addr_tmp);
	return 0;
}

/* Insert the nnew new addresses (sorted) with ids from next_addr on. */
static int
store_insert_addrs(struct store *st, size_t nnew, char **cause)
{
	struct store_new_addr *na;
	sqlite3_stmt *ins = st->stmt[STORE_STMT_ADDR_INSERT];
	sqlite3_stmt *batch = st->stmt[STORE_STMT_ADDR_BATCH], *q;
	char text[STORE_BATCH][INET6_ADDRSTRLEN];
	size_t i, k, tlen;
	uint32_t id;
	int rc = 0;

	for (i = 0; i < nnew; i += k) {
		/* STORE_BATCH rows at a time, then the rest one by one. */
		q = nnew - i >= STORE_BATCH ? batch : ins;
		for (k = 0; k < (q == batch ? STORE_BATCH : 1); k++) {
			na = &st->new_addr[i + k];
			id = st->next_addr + (uint32_t)(i + k);
			st->new_id[na->n] = id;
			tlen = store__addr_text(na->ip, na->family, text[k]);
			sqlite3_bind_int64(q, 3 * k + 1, id);
			sqlite3_bind_blob(q, 3 * k + 2, na->ip,
			    na->family == 4 ? 4 : 16, SQLITE_STATIC);
			sqlite3_bind_text(q, 3 * k + 3, text[k], (int)tlen,
			    SQLITE_STATIC);
		}
		if ((rc = store__step(st, q, cause)) != 0)
			break;
	}
	/* Nothing may point into text[] or new_addr[] later. */
	sqlite3_clear_bindings(ins);
	sqlite3_clear_bindings(batch);
	return rc;
}

int
store__write_addrs(struct store *st, const struct flowtab_bin *bin,
    size_t *addrs_new, char **cause)
{
	size_t nnew;
	int rc;

	if ((rc = store__collect_addrs(st, bin, &nnew, cause)) != 0)
		return rc;
	if (nnew == 0)
		return 0;
	if ((rc = store_insert_addrs(st, nnew, cause)) != 0)
		return rc;
	store__resolve_addrs(st, bin->nrows, nnew);
	*addrs_new = nnew;
	return 0;
}

/* ------------------------------------------------------------ keys */

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
store_indexes_drop(struct store *st, struct store_index **out, size_t *n,
    char **cause)
{
	struct store_index *ix = NULL, *more;
	sqlite3_stmt *q;
	char *drop;
	size_t i;
	int rc;

	*n = 0;
	*out = NULL;
	rc = sqlite3_prepare_v2(st->db, "SELECT name, sql FROM sqlite_master"
	    " WHERE type = 'index' AND tbl_name = 'flow_keys'"
	    " AND sql IS NOT NULL ORDER BY name", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return store__fail(st, st->db, rc, cause);
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
	*out = ix;
	if (rc != SQLITE_DONE) {
		rc = store__fail(st, st->db, rc, cause);
		sqlite3_finalize(q);
		return rc;
	}
	sqlite3_finalize(q);	/* nothing may read the schema while it changes */
	for (i = 0; i < *n; i++) {
		drop = sqlite3_mprintf("DROP INDEX \"%w\"", ix[i].name);
		rc = drop == NULL ? SQLITE_NOMEM :
		    sqlite3_exec(st->db, drop, NULL, NULL, NULL);
		sqlite3_free(drop);
		if (rc != SQLITE_OK)
			return store__fail(st, st->db, rc, cause);
	}
	return 0;
}

/* Create the dropped indexes again when run; free them either way. */
static int
store_indexes_restore(struct store *st, struct store_index *ix, size_t n,
    int run, char **cause)
{
	size_t i;
	int rc = SQLITE_OK;

	for (i = 0; i < n && run && rc == SQLITE_OK; i++)
		rc = sqlite3_exec(st->db, ix[i].sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		rc = store__fail(st, st->db, rc, cause);
	for (i = 0; i < n; i++) {
		free(ix[i].name);
		free(ix[i].sql);
	}
	free(ix);
	return rc;
}

/* Insert the nnew new keys (sorted) with ids from next_key on. */
static int
store_insert_keys(struct store *st, size_t nnew, char **cause)
{
	sqlite3_stmt *ins = st->stmt[STORE_STMT_KEY_INSERT];
	sqlite3_stmt *batch = st->stmt[STORE_STMT_KEY_BATCH], *q;
	struct store_new_key *nk;
	size_t i, k;
	uint32_t id;
	int p, rc = 0;

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
		if ((rc = store__step(st, q, cause)) != 0)
			break;
	}
	return rc;
}

/* Map every row's key to an id (into row_order), adding the new ones. */
int
store__write_keys(struct store *st, const struct flowtab_bin *bin,
    size_t *keys_new, char **cause)
{
	const struct flowtab_row *r;
	struct store_key_slot *s;
	struct store_new_key *nk;
	sqlite3_stmt *find = st->stmt[STORE_STMT_KEY_FIND];
	struct store_index *dropped = NULL;
	uint64_t hi, lo;
	size_t i, nnew = 0, nindex = 0;
	uint32_t id;
	int rc;

	if (!st->keys.complete)
		store__key_map_clear(&st->keys);
	/* An empty map (a new day) takes every row's key: size it once. */
	if (st->keys.count == 0 &&
	    store__key_map_reserve(&st->keys, bin->nrows) != 0)
		goto nomem;
	for (i = 0; i < bin->nrows; i++) {
		if (i + STORE_PREFETCH < bin->nrows) {
			r = &bin->rows[i + STORE_PREFETCH];
			store__key_map_prefetch(&st->keys,
			    store__key_hi(st->row_sip[i + STORE_PREFETCH],
			    st->row_dip[i + STORE_PREFETCH]),
			    store__key_lo(r->key.dport, r->key.proto,
			    r->key.vlan));
		}
		r = &bin->rows[i];
		hi = store__key_hi(st->row_sip[i], st->row_dip[i]);
		lo = store__key_lo(r->key.dport, r->key.proto, r->key.vlan);
		if ((st->keys.count + 1) * 10 > (st->keys.mask + 1) * 7 &&
		    store__key_map_reserve(&st->keys, 1) != 0)
			goto nomem;
		s = store__key_map_find(&st->keys, hi, lo);
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
					return store__fail(st, st->db, rc,
					    cause);
			}
			if (id == 0) {
				nk = &st->new_key[nnew];
				nk->hi = hi;
				nk->lo = lo;
				nk->n = (uint32_t)nnew;
				id = STORE_PENDING | (uint32_t)nnew++;
			}
			store__key_slot_set(s, hi, lo, id);
			st->keys.count++;
		}
		/* A flowtab bin never repeats a key; the map makes sure. */
		st->row_order[i] = (uint64_t)id << 32 | i;
	}
	if (nnew == 0)
		return 0;
	if (nnew > STORE_MAX_ID - st->next_key)
		return store__ids_exhausted(st, "flow key", cause);
	/* Many keys into a file that has none yet (a new day): in bulk. */
	if (st->next_key == 1 && nnew >= store__bulk_keys &&
	    (rc = store_indexes_drop(st, &dropped, &nindex, cause)) != 0) {
		store_indexes_restore(st, dropped, nindex, 0, NULL);
		return rc;
	}

	/* new_addr is spent by now: its room (2 a row) is the sort's. */
	store__sort_keys(st->new_key, nnew,
	    (struct store_new_key *)(void *)st->new_addr);
	rc = store_insert_keys(st, nnew, cause);
	if (dropped != NULL) {
		if (rc == 0)
			rc = store_indexes_restore(st, dropped, nindex, 1,
			    cause);
		else
			store_indexes_restore(st, dropped, nindex, 0, NULL);
	}
	if (rc != 0)
		return rc;
	store__resolve_keys(st, bin->nrows, nnew);
	*keys_new = nnew;
	return 0;

nomem:
	return util_cause(cause, -ENOMEM, "%s: out of memory", st->path);
}

/* ------------------------------------------------------------ rows */

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
    const uint64_t *order, size_t from, size_t n, struct store_bin_sums *sum,
    char **cause)
{
	sqlite3_stmt *one = st->stmt[STORE_STMT_ROW_APPEND];
	sqlite3_stmt *batch = st->stmt[STORE_STMT_ROW_BATCH], *q;
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
			store__count_row(sum, r);
			store__sum_row(sum, r);
		}
		if ((rc = store__step(st, q, cause)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Insert the rows in key id order.  The usual case, a bin new to the file
 * with distinct keys, is all appends; otherwise (the bin was written
 * before, or a key repeats) each row of a key the day knew is inserted or,
 * when it is there already, added to, and the rows of new keys appended.
 */
int
store__write_rows(struct store *st, const struct flowtab_bin *bin,
    struct store_bin_sums *sum, struct store_write_result *res,
    char **cause)
{
	sqlite3_stmt *any = st->stmt[STORE_STMT_ROW_ANY];
	sqlite3_stmt *ins = st->stmt[STORE_STMT_ROW_INSERT];
	sqlite3_stmt *add = st->stmt[STORE_STMT_ROW_ADD];
	const struct flowtab_row *r;
	uint64_t *order;
	size_t i, n = bin->nrows;
	int append, rc;

	order = store__sort_rows(st->row_order, st->row_tmp, n, st->next_key);

	sqlite3_bind_int64(any, 1, bin->ts);
	rc = sqlite3_step(any);
	sqlite3_reset(any);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store__fail(st, st->db, rc, cause);
	append = rc == SQLITE_DONE;
	for (i = 1; append && i < n; i++) {
		if (order[i] >> 32 == order[i - 1] >> 32)
			append = 0;
	}

	if (append) {
		if ((rc = store_append_rows(st, bin, order, 0, n, sum,
		    cause)) == 0)
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
		if ((rc = store__step(st, ins, cause)) != 0)
			return rc;
		if (sqlite3_changes(st->db) != 0) {
			res->rows_new++;
			store__count_row(sum, r);
		} else {
			store_bind_row(add, 2, (uint32_t)(order[i] >> 32), r);
			if ((rc = store__step(st, add, cause)) != 0)
				return rc;
			res->rows_updated++;
		}
		store__sum_row(sum, r);
	}
	if ((rc = store_append_rows(st, bin, order, i, n, sum, cause)) == 0)
		res->rows_new += n - i;
	return rc;
}

/* ------------------------------------------------------------ counters */

int
store__write_counters(struct store *st, const struct flowtab_bin *bin,
    const struct store_bin_sums *sum, char **cause)
{
	const struct flowtab_stats *ss = &bin->stats;
	sqlite3_stmt *s = st->stmt[STORE_STMT_BIN_ADD];
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
	if ((rc = store__step(st, s, cause)) != 0)
		return rc;

	s = st->stmt[STORE_STMT_SKIP_ADD];
	sqlite3_bind_int64(s, 1, bin->ts);
	for (i = PARSE_OK + 1; i < PARSE_REASON_COUNT; i++) {
		if (ss->reasons[i] == 0)
			continue;
		sqlite3_bind_text(s, 2, parse_reason_name((enum parse_reason)i),
		    -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, (int64_t)ss->reasons[i]);
		if ((rc = store__step(st, s, cause)) != 0)
			return rc;
	}
	return 0;
}
