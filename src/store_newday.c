/*
 * store_newday.c - a new day's first bin, laid out by btload.
 *
 * The first bin of a day, when it is large, is not inserted: every address,
 * key and row in it is new, so each tree's entries are known and can be
 * sorted, and btload lays out the pages of addrs, flow_keys, flow_rows and
 * their five indexes at once (a third of the CPU and half the writes of
 * the inserts; doc/storage.md, "A new day").  store.c calls
 * store__write_new_day() when no day file is open and the bin has at least
 * new_day_rows rows:
 *
 *   1. SQLite creates "<day file>.new" (schema, meta) and says where the
 *      trees' root pages are; the file is closed.
 *   2. The addresses get ids as on the SQL path (store__collect_addrs())
 *      and a thread makes their texts and text order; the keys get ids by
 *      sorting (every key is new) while a thread fills the key map for the
 *      day's next bins; btload lays out the key trees, the rows, then the
 *      address trees, and fsyncs.
 *   3. SQLite opens the file again and adds the bin's counters; the file
 *      is synced and renamed to the day's name, which must not exist.
 *
 * Until the rename the day has no file, so a crash or kill -9 at any point
 * leaves no partial day behind: a stale ".new" is removed by the next
 * attempt, and flowq never looks at it (not a *.db name).  The ".new" is
 * built in rollback-journal mode (no WAL: btload writes behind SQLite's
 * back, so every page must be in the file itself) and switched to WAL
 * when it is opened under the day's name.  When the schema is not the one
 * btload's records are built for, or btload cannot extend the file,
 * -EAGAIN says: write this bin with SQL instead.  Any other
 * failure is returned with its cause; until the rename nothing of it is
 * visible, so the caller may still write the bin with SQL.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "btload.h"
#include "store_int.h"
#include "util.h"

/*
 * The trees of a new day that btload lays out, as btload lays them out:
 * the records it gets are built for exactly these, and the guard
 * (store_tree_check()) compares each with what SQLite says of the file's
 * schema before anything is written:
 *
 *   columns  a table's columns, name:declared type:pk:hidden in column
 *            order (pragma_table_xinfo): the record's layout and each
 *            value's type; an INTEGER PRIMARY KEY is the rowid (NULL in
 *            the record), no generated columns;
 *   indexes  a table's indexes, name:unique:origin:partial
 *            (pragma_index_list): none partial, none but these, and a
 *            WITHOUT ROWID table's primary key (origin pk);
 *   xinfo    an index's entries (or a WITHOUT ROWID table's),
 *            cid:name:desc:collation:key in record order
 *            (pragma_index_xinfo): ascending, BINARY, no expression, the
 *            rowid last.
 *
 * Column names alone (what the guard compared before) cannot see DESC,
 * COLLATE or a partial index; any difference here makes the store write
 * the bin with SQL instead.
 */
enum {
	TREE_ADDRS, TREE_ADDRS_IP, TREE_ADDRS_TEXT,
	TREE_KEYS, TREE_KEYS_UNIQUE, TREE_KEYS_DIP, TREE_KEYS_PORT,
	TREE_ROWS,
	STORE_TREES
};

#define ROWID_ENTRY	"-1::0:BINARY:0"	/* an index entry's rowid */

static const struct {
	const char	*name;		/* in sqlite_master */
	const char	*table;		/* its tbl_name */
	const char	*columns;	/* a table's; NULL for an index */
	const char	*indexes;	/* likewise */
	const char	*xinfo;		/* NULL for a rowid table */
} store_trees[STORE_TREES] = {
	[TREE_ADDRS] = { "addrs", "addrs",
	    "id:INTEGER:1:0,ip:BLOB:0:0,text:TEXT:0:0",
	    "sqlite_autoindex_addrs_1:1:u:0,sqlite_autoindex_addrs_2:1:u:0",
	    NULL },
	[TREE_ADDRS_IP] = { "sqlite_autoindex_addrs_1", "addrs", NULL, NULL,
	    "1:ip:0:BINARY:1," ROWID_ENTRY },
	[TREE_ADDRS_TEXT] = { "sqlite_autoindex_addrs_2", "addrs", NULL, NULL,
	    "2:text:0:BINARY:1," ROWID_ENTRY },
	[TREE_KEYS] = { "flow_keys", "flow_keys",
	    "id:INTEGER:1:0,sip:INTEGER:0:0,dip:INTEGER:0:0,"
	    "dport:INTEGER:0:0,proto:INTEGER:0:0,vlan:INTEGER:0:0",
	    "flow_keys_dip:0:c:0,flow_keys_proto_dport:0:c:0,"
	    "sqlite_autoindex_flow_keys_1:1:u:0",
	    NULL },
	[TREE_KEYS_UNIQUE] = { "sqlite_autoindex_flow_keys_1", "flow_keys",
	    NULL, NULL,
	    "1:sip:0:BINARY:1,2:dip:0:BINARY:1,3:dport:0:BINARY:1,"
	    "4:proto:0:BINARY:1,5:vlan:0:BINARY:1," ROWID_ENTRY },
	[TREE_KEYS_DIP] = { "flow_keys_dip", "flow_keys", NULL, NULL,
	    "2:dip:0:BINARY:1," ROWID_ENTRY },
	[TREE_KEYS_PORT] = { "flow_keys_proto_dport", "flow_keys", NULL, NULL,
	    "4:proto:0:BINARY:1,3:dport:0:BINARY:1," ROWID_ENTRY },
	[TREE_ROWS] = { "flow_rows", "flow_rows",
	    "ts:INTEGER:1:0,key:INTEGER:2:0,bytes_rcvd:INTEGER:0:0,"
	    "bytes_sent:INTEGER:0:0,pkts_rcvd:INTEGER:0:0,"
	    "pkts_sent:INTEGER:0:0",
	    "sqlite_autoindex_flow_rows_1:1:pk:0",
	    "0:ts:0:BINARY:1,1:key:0:BINARY:1,2:bytes_rcvd:0:BINARY:0,"
	    "3:bytes_sent:0:BINARY:0,4:pkts_rcvd:0:BINARY:0,"
	    "5:pkts_sent:0:BINARY:0" },
};

struct store_addr_job;

/* One new day being written: the file btload extends, and its trees. */
struct store_newday {
	struct store	*st;
	struct btload	 bl;
	uint32_t	 root[STORE_TREES];
	struct btload_recs recs;
	struct store_addr_job *addr_job;	/* the addresses' texts */
};

/* NULL and NULL are the same; a NULL and a string are not. */
static int
store_same(const unsigned char *got, const char *want)
{
	if (got == NULL || want == NULL)
		return got == NULL && want == NULL;
	return strcmp((const char *)got, want) == 0;
}

/*
 * Check each tree against store_trees and find its root page.  0, or
 * -ENOTSUP with *cause naming the first tree that differs (the bin then
 * goes to SQL), or another error.
 */
static int
store_tree_check(struct store_newday *nd, char **cause)
{
	static const char *const sql = "SELECT m.type, m.rootpage,"
	    " m.tbl_name,"
	    " (SELECT group_concat(x) FROM (SELECT cid || ':' ||"
	    " coalesce(name, '') || ':' || desc || ':' || coalesce(coll, '')"
	    " || ':' || key AS x FROM pragma_index_xinfo(m.name)"
	    " ORDER BY seqno)),"
	    " (SELECT group_concat(x) FROM (SELECT name || ':' || type || ':'"
	    " || pk || ':' || hidden AS x FROM pragma_table_xinfo(m.name)"
	    " ORDER BY cid)),"
	    " (SELECT group_concat(x) FROM (SELECT name || ':' || \"unique\""
	    " || ':' || origin || ':' || partial AS x"
	    " FROM pragma_index_list(m.name) ORDER BY name))"
	    " FROM sqlite_master m WHERE m.name = ?1";
	struct store *st = nd->st;
	sqlite3_stmt *q = NULL;
	const unsigned char *type;
	int64_t n;
	int i, rc, table;

	/* Nothing else on the three tables: no other index, no trigger. */
	rc = store__query_int(st, st->db, "SELECT count(*) FROM sqlite_master"
	    " WHERE tbl_name IN ('addrs', 'flow_keys', 'flow_rows')", &n,
	    cause);
	if (rc != 0)
		return rc;
	if (n != STORE_TREES)
		return util_cause(cause, -ENOTSUP, "%s: %lld schema objects on"
		    " addrs, flow_keys and flow_rows, btload knows %d",
		    st->path, (long long)n, STORE_TREES);
	rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);
	if (rc != SQLITE_OK)
		return store__fail(st, st->db, rc, cause);
	for (i = 0; i < STORE_TREES; i++) {
		table = store_trees[i].columns != NULL;
		sqlite3_bind_text(q, 1, store_trees[i].name, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			rc = store__fail(st, st->db, rc, cause);
			break;
		}
		type = sqlite3_column_text(q, 0);
		if (rc == SQLITE_ROW)
			nd->root[i] = (uint32_t)sqlite3_column_int64(q, 1);
		rc = 0;
		if (type == NULL || !store_same(type, table ? "table" : "index") ||
		    !store_same(sqlite3_column_text(q, 2), store_trees[i].table) ||
		    !store_same(sqlite3_column_text(q, 3), store_trees[i].xinfo) ||
		    (table && (!store_same(sqlite3_column_text(q, 4),
		    store_trees[i].columns) ||
		    !store_same(sqlite3_column_text(q, 5),
		    store_trees[i].indexes)))) {
			rc = util_cause(cause, -ENOTSUP, "%s: %s is not as btload"
			    " lays it out", st->path, store_trees[i].name);
			break;
		}
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	return rc;
}

/*
 * Give the whole pages of a work array back to the kernel once its part
 * of the write is done (they read as zero when next touched): the write's
 * stages then do not stack their arrays' memory.  Only for megabytes.
 */
static void
store_pages_back(void *p, size_t size)
{
	uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
	uintptr_t e = ((uintptr_t)p + size) & ~(uintptr_t)4095;

	if (p != NULL && size >= (1u << 20) && e > a)
		(void)madvise((void *)a, e - a, MADV_DONTNEED);
}

static int
store_newday_nomem(struct store_newday *nd, char **cause)
{
	return util_cause(cause, -ENOMEM, "%s: out of memory", nd->st->path);
}

/*
 * Lay out one tree from nd->recs, which is freed for the next: a tree's
 * records (about 45 MB at 1 M rows) do not stay resident under the next
 * stage's arrays.
 */
static int
store_btload_tree(struct store_newday *nd, int tree, char **cause)
{
	int rc;

	rc = btload_tree(&nd->bl, nd->root[tree], tree == TREE_ADDRS ||
	    tree == TREE_KEYS, &nd->recs, cause);
	btload_recs_free(&nd->recs);
	return rc;
}

/* ------------------------------------------------------------ addresses */

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
		t->len = (uint32_t)store__addr_text(j->addr[i].ip,
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
store_btload_addrs(struct store_newday *nd, size_t nnew, char **cause)
{
	struct store *st = nd->st;
	struct store_addr_job *j;
	size_t i;

	for (i = 0; i < nnew; i++)
		st->new_id[st->new_addr[i].n] = st->next_addr + (uint32_t)i;
	if ((j = calloc(1, sizeof *j)) == NULL)
		return store_newday_nomem(nd, cause);
	j->addr = st->new_addr;
	j->n = nnew;
	nd->addr_job = j;
	j->threaded = pthread_create(&j->thread, NULL, store_addr_job_run,
	    j) == 0;
	if (!j->threaded)
		store_addr_job_run(j);
	return 0;
}

/* Wait for the job; lay out addrs, its ip and its text index when run. */
static int
store_addrs_finish(struct store_newday *nd, int run, char **cause)
{
	struct store_addr_job *j = nd->addr_job;
	const struct store_new_addr *na;
	struct btload_val v[3], ip, id;
	uint32_t first;
	size_t i;
	int tree, nv, rc = 0;

	if (j == NULL)
		return 0;
	if (j->threaded)
		pthread_join(j->thread, NULL);
	nd->addr_job = NULL;
	if (j->rc != 0 && run)
		rc = store_newday_nomem(nd, cause);
	/* The ids were given from next_addr, which has moved past them. */
	first = nd->st->next_addr - (uint32_t)j->n;
	for (tree = TREE_ADDRS; tree <= TREE_ADDRS_TEXT && run && rc == 0;
	    tree++) {
		for (i = 0; i < j->n && rc == 0; i++) {
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
			if (btload_recs_add(&nd->recs, id.i, v, nv) != 0)
				rc = store_newday_nomem(nd, cause);
		}
		if (rc == 0)
			rc = store_btload_tree(nd, tree, cause);
	}
	free(j->texts);
	free(j->t);
	free(j->off);
	free(j);
	return rc;
}

/* ------------------------------------------------------------ keys */

/*
 * flow_keys and its UNIQUE index (both in the new keys' sorted order),
 * then its dip and (proto, dport) indexes: (column << 32 | id) sorted by
 * the column, stably, so ids ascend within a value as in the index.
 */
static int
store_btload_keys(struct store_newday *nd, size_t nnew, uint64_t *a,
    uint64_t *b, char **cause)
{
	struct store *st = nd->st;
	uint64_t *o;
	struct store_new_key *nk;
	struct btload_val v[7];
	uint32_t id, maxdip = 0, maxport = 0, port;
	size_t i, k;
	int unique, rc = 0;

	/*
	 * v is (NULL, sip, dip, dport, proto, vlan, id): the table's record
	 * is v[0..5] (the id is the rowid), the UNIQUE index's v[1..6].
	 */
	v[0] = (struct btload_val){ .type = BTLOAD_NULL };
	for (k = 1; k < 7; k++)
		v[k] = (struct btload_val){ .type = BTLOAD_INT };
	for (unique = 0; unique < 2 && rc == 0; unique++) {
		for (i = 0; i < nnew && rc == 0; i++) {
			nk = &st->new_key[i];
			id = st->next_key + (uint32_t)i;
			v[1].i = (int64_t)(nk->hi >> 32);
			v[2].i = (int64_t)(nk->hi & 0xffffffff);
			v[3].i = (int64_t)(nk->lo >> 32);
			v[4].i = (int64_t)(nk->lo >> 16 & 0xff);
			v[5].i = (int64_t)(nk->lo & 0xffff);
			v[6].i = id;
			if (btload_recs_add(&nd->recs, id, v + unique, 6) != 0)
				rc = store_newday_nomem(nd, cause);
		}
		if (rc == 0)
			rc = store_btload_tree(nd, unique ? TREE_KEYS_UNIQUE :
			    TREE_KEYS, cause);
	}
	if (rc != 0)
		return rc;

	for (i = 0; i < nnew; i++) {
		nk = &st->new_key[i];
		id = st->next_key + (uint32_t)i;
		a[i] = (nk->hi & 0xffffffff) << 32 | id;
		if ((uint32_t)nk->hi > maxdip)
			maxdip = (uint32_t)nk->hi;
	}
	o = store__sort_rows(a, b, nnew, maxdip);
	for (i = 0; i < nnew && rc == 0; i++) {
		v[0] = (struct btload_val){ .type = BTLOAD_INT,
		    .i = (int64_t)(o[i] >> 32) };
		v[1] = (struct btload_val){ .type = BTLOAD_INT,
		    .i = (int64_t)(o[i] & 0xffffffff) };
		if (btload_recs_add(&nd->recs, 0, v, 2) != 0)
			rc = store_newday_nomem(nd, cause);
	}
	if (rc == 0)
		rc = store_btload_tree(nd, TREE_KEYS_DIP, cause);
	if (rc != 0)
		return rc;

	for (i = 0; i < nnew; i++) {
		nk = &st->new_key[i];
		port = (uint32_t)(nk->lo >> 16 & 0xff) << 16 |
		    (uint32_t)(nk->lo >> 32);
		a[i] = (uint64_t)port << 32 | (st->next_key + (uint32_t)i);
		if (port > maxport)
			maxport = port;
	}
	o = store__sort_rows(a, b, nnew, maxport);
	for (i = 0; i < nnew && rc == 0; i++) {
		v[0] = (struct btload_val){ .type = BTLOAD_INT,
		    .i = (int64_t)(o[i] >> 48) };
		v[1] = (struct btload_val){ .type = BTLOAD_INT,
		    .i = (int64_t)(o[i] >> 32 & 0xffff) };
		v[2] = (struct btload_val){ .type = BTLOAD_INT,
		    .i = (int64_t)(o[i] & 0xffffffff) };
		if (btload_recs_add(&nd->recs, 0, v, 3) != 0)
			rc = store_newday_nomem(nd, cause);
	}
	if (rc == 0)
		rc = store_btload_tree(nd, TREE_KEYS_PORT, cause);
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
			store__key_map_prefetch(&st->keys,
			    st->new_key[i + STORE_PREFETCH].hi,
			    st->new_key[i + STORE_PREFETCH].lo);
		nk = &st->new_key[i];
		s = store__key_map_find(&st->keys, nk->hi, nk->lo);
		store__key_slot_set(s, nk->hi, nk->lo, st->next_key +
		    (uint32_t)i);
	}
	st->keys.count += n;
	return NULL;
}

/*
 * Every key of a new day's first bin is new: ids come from sorting the
 * bin's keys (into new_key, d of them), not from the map; each row's key
 * id goes to row_order for the rows' tree.
 */
static int
store_sort_new_keys(struct store_newday *nd, const struct flowtab_bin *bin,
    size_t *dp, struct store_new_key *scratch, char **cause)
{
	struct store *st = nd->st;
	const struct flowtab_row *r;
	struct store_new_key *nk, k;
	size_t i, d, n = bin->nrows;

	for (i = 0; i < n; i++) {
		r = &bin->rows[i];
		nk = &st->new_key[i];
		nk->hi = store__key_hi(st->row_sip[i], st->row_dip[i]);
		nk->lo = store__key_lo(r->key.dport, r->key.proto, r->key.vlan);
		nk->n = (uint32_t)i;
	}
	store__sort_keys(st->new_key, n, scratch);
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
		return store__ids_exhausted(st, "flow key", cause);
	*dp = d;
	return 0;
}

/*
 * The key trees of the d sorted keys, sorting their indexes in row_order
 * and row_tmp (free once the rows' tree is laid out).  The map, for the
 * bins after, is filled by a second thread meanwhile.
 */
static int
store_write_new_keys(struct store_newday *nd, size_t d, size_t *keys_new,
    char **cause)
{
	struct store *st = nd->st;
	struct store_key_fill fill;
	pthread_t filler;
	int threaded, rc;

	/* The store's last write: no bin after it needs the map. */
	if (st->last) {
		rc = store_btload_keys(nd, d, st->row_order, st->row_tmp,
		    cause);
		if (rc != 0)
			return rc;
		st->next_key += (uint32_t)d;
		*keys_new = d;
		return 0;
	}
	if (store__key_map_reserve(&st->keys, d) != 0)
		return store_newday_nomem(nd, cause);

	fill.st = st;
	fill.n = d;
	threaded = pthread_create(&filler, NULL, store_key_map_fill,
	    &fill) == 0;
	if (!threaded)
		store_key_map_fill(&fill);
	rc = store_btload_keys(nd, d, st->row_order, st->row_tmp, cause);
	if (threaded)
		pthread_join(filler, NULL);
	if (rc != 0)
		return rc;
	st->next_key += (uint32_t)d;
	*keys_new = d;
	return 0;
}

/* ------------------------------------------------------------ rows */

/* flow_rows, by key id; a key that came twice is one row (never here). */
static int
store_btload_rows(struct store_newday *nd, const struct flowtab_bin *bin,
    uint32_t keys_end, struct store_bin_sums *sum,
    struct store_write_result *res, char **cause)
{
	struct store *st = nd->st;
	const struct flowtab_row *r;
	struct btload_val v[6];
	uint64_t *order, c[4];
	size_t i, j, k, n = bin->nrows;
	int rc = 0;

	order = store__sort_rows(st->row_order, st->row_tmp, n, keys_end);
	for (i = 0; i < n && rc == 0; i = j) {
		/* The rows are in flowtab order: fetch ahead of key order. */
		if (i + STORE_PREFETCH < n)
			__builtin_prefetch(&bin->rows[(uint32_t)order[i +
			    STORE_PREFETCH]]);
		r = &bin->rows[(uint32_t)order[i]];
		store__count_row(sum, r);
		store__sum_row(sum, r);
		c[0] = r->bytes_rcvd;
		c[1] = r->bytes_sent;
		c[2] = r->pkts_rcvd;
		c[3] = r->pkts_sent;
		for (j = i + 1; j < n && order[j] >> 32 == order[i] >> 32;
		    j++) {
			r = &bin->rows[(uint32_t)order[j]];
			store__sum_row(sum, r);
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
		if (btload_recs_add(&nd->recs, 0, v, 6) != 0)
			rc = store_newday_nomem(nd, cause);
		res->rows_new++;
	}
	if (rc == 0)
		rc = store_btload_tree(nd, TREE_ROWS, cause);
	return rc;
}

/* ------------------------------------------------------------ the file */

/* fsync a file or directory by name; 0 or -errno. */
static int
store_fsync_path(const char *path, int dir)
{
	int fd, rc = 0;

	fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR | O_NOFOLLOW) |
	    O_CLOEXEC);
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

int
store__write_new_day(struct store *st, const struct flowtab_bin *bin,
    struct store_write_result *res, struct store_bin_sums *sum, char **cause)
{
	struct store_new_key *scratch = NULL;
	struct store_newday nd;
	struct stat sb;
	char *final, *tmp, *dir;
	size_t nnew, nkeys = 0;
	int rc;

	final = store_day_path(st->dir, st->iface, bin->ts);
	if (lstat(final, &sb) == 0 || errno != ENOENT) {
		free(final);
		return -EAGAIN;
	}
	tmp = util_printf("%s.new", final);
	store__unlink_new(tmp);
	memset(&nd, 0, sizeof nd);
	nd.st = st;
	nd.bl.fd = -1;

	/* 1. The schema, by SQLite; where the trees' roots are. */
	if ((rc = store__open_day(st, bin, tmp, cause)) != 0)
		goto fail;
	if ((rc = store_tree_check(&nd, cause)) != 0 ||
	    (rc = store__load(st, cause)) != 0)
		goto fail;
	store__close_db(st);

	/* 2. The trees, by btload. */
	if ((rc = btload_open(&nd.bl, tmp, cause)) != 0)
		goto fail;
	/* The keys' sort: 24 B a row, freed before the trees. */
	if ((scratch = malloc(bin->nrows * sizeof *scratch)) == NULL) {
		rc = util_cause(cause, -ENOMEM, "%s: out of memory", tmp);
		goto fail;
	}
	rc = store__collect_addrs(st, bin, &nnew, cause);
	if (rc == 0 && nnew > 0 && (rc = store_btload_addrs(&nd, nnew,
	    cause)) == 0) {
		store__resolve_addrs(st, bin->nrows, nnew);
		res->addrs_new = nnew;
	}
	/* The addresses' sort is done; the last write needs no map after. */
	store_pages_back(st->addr_tmp, 2 * st->work_rows * sizeof *st->addr_tmp);
	if (st->last)
		store__addr_map_free(&st->addrs);
	/*
	 * The keys' ids, then the rows' tree, then the keys' trees: the
	 * keys' sort is freed before either tree's records are made, and
	 * the keys' trees sort in the rows' work arrays.
	 */
	if (rc == 0)
		rc = store_sort_new_keys(&nd, bin, &nkeys, scratch, cause);
	free(scratch);
	scratch = NULL;
	/* The rows' addresses are in their keys now. */
	store_pages_back(st->row_sip, st->work_rows * sizeof *st->row_sip);
	store_pages_back(st->row_dip, st->work_rows * sizeof *st->row_dip);
	if (rc == 0)
		rc = store_btload_rows(&nd, bin, st->next_key +
		    (uint32_t)nkeys, sum, res, cause);
	if (rc == 0)
		rc = store_write_new_keys(&nd, nkeys, &res->keys_new, cause);
	if (rc == 0)
		rc = store_addrs_finish(&nd, 1, cause);
	btload_recs_free(&nd.recs);
	if (rc != 0)
		goto fail;
	if ((rc = btload_close(&nd.bl, cause)) != 0)
		goto fail;

	/* 3. The counters, by SQLite; then the day's name. */
	if ((rc = store__open_day(st, bin, tmp, cause)) != 0)
		goto fail;
	rc = store__step(st, st->stmt[STORE_STMT_BEGIN], cause);
	if (rc == 0)
		rc = store__write_counters(st, bin, sum, cause);
	if (rc == 0)
		rc = store__step(st, st->stmt[STORE_STMT_COMMIT], cause);
	if (rc != 0)
		goto fail;
	store__close_db(st);
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
	if ((rc = store_fsync_path(dir, 1)) != 0)
		log_warn("%s: fsync: %s", dir, strerror(-rc));
	free(dir);

	/* The day file as any other; the maps and ids are what it holds. */
	if ((rc = store__open_day(st, bin, NULL, cause)) != 0) {
		/* Written all the same: the next bin opens it afresh. */
		if (cause != NULL) {
			log_warn("%s", *cause);
			free(*cause);
			*cause = NULL;
		}
		store__forget(st);
	} else if (st->last) {
		/* No map was filled: a write after all reloads them. */
		store__forget(st);
		store__addr_map_free(&st->addrs);
		store__key_map_free(&st->keys);
	} else
		st->loaded = 1;
	st->rows = sum->flows;
	free(tmp);
	free(final);
	return 0;

fail:
	store_addrs_finish(&nd, 0, NULL);
	free(scratch);
	btload_recs_free(&nd.recs);
	btload_abort(&nd.bl);
	if (st->db != NULL)
		store__close_db(st);
	free(st->path);
	st->path = NULL;
	st->day[0] = '\0';
	store__forget(st);
	store__unlink_new(tmp);
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
