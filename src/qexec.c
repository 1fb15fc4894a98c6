/*
 * qexec.c - query execution over day files (see qexec.h).
 *
 * Per file: the bins in range give the row estimate, the time span and
 * the ts ranges to split the work by; the key condition gives a bitmap of
 * matching key ids.  Few keys: one statement walks the bins and seeks
 * (ts, key) for each matching key through the primary key.  Many keys:
 * threads scan contiguous ts ranges of flow_rows and test the bitmap.
 * Either way rows are summed into a dense array indexed by key id (key
 * ids are small and dense: INTEGER PRIMARY KEY of the day's dictionary),
 * and each touched key is mapped once to the selected attributes and
 * merged into the global group table.
 *
 * Rollups (schema version 2): a whole UTC day or hour of the query range
 * that the file lists in `rollups` as complete is read from flow_rows_1d or
 * flow_rows_1h (one row per key instead of one per key and bin) when the
 * query does not need finer time.  The range is cut into units, each read
 * from one table; consecutive units of one table are read by one
 * statement.  The units partition exactly the ts range that flow_rows
 * would be read over, and a rollup row is the sum of the flow_rows it
 * replaces, so the sums, and the answer, are the same.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "flowtab.h"
#include "qexec.h"
#include "qpaste.h"
#include "util.h"

static volatile sig_atomic_t interrupted;

void
qexec_interrupt(void)
{
	interrupted = 1;
}

int
qexec_interrupted(void)
{
	return interrupted != 0;
}

void
qwatch_init(struct qwatch *w, volatile int *cancel, double timeout)
{
	w->cancel = cancel;
	w->deadline = timeout > 0 ? util_now_ns() + (uint64_t)(timeout * 1e9) :
	    0;
}

int
qwatch_stopped(const struct qwatch *w)
{
	if (interrupted)
		return QWATCH_INTERRUPTED;
	if (w == NULL)
		return 0;
	if (w->cancel != NULL && *w->cancel)
		return QWATCH_INTERRUPTED;
	if (w->deadline != 0 && util_now_ns() > w->deadline)
		return QWATCH_TIMEOUT;
	return 0;
}

const char *
qwatch_why(const struct qwatch *w)
{
	return qwatch_stopped(w) == QWATCH_TIMEOUT ? "the query timed out" :
	    "interrupted";
}

static int
watch_progress(void *arg)
{
	return qwatch_stopped(arg) != 0;
}

void
qexec_watch(void *db, const struct qwatch *w)
{
	sqlite3_progress_handler(db, 4000, watch_progress, (void *)w);
}

/* ------------------------------------------------------------ memory */

#define ZHDR		64	/* keeps the arrays cache-line aligned */
#define ZPOPULATE	(1 << 20)
/* Ids index arrays (and uint32_t lists of them): the store's limit. */
#define QEXEC_MAX_ID	0x7ffffffe

/*
 * Zeroed arrays indexed by dictionary ids (up to millions of slots per
 * file) come straight from the kernel: its fresh pages are zero, and a
 * page costs only when touched, so a seek that touches a few keys does
 * not pay for clearing megabytes (malloc would, once its mmap threshold
 * has grown past the array's size).  NULL when the system has no room
 * (arena_fit() says so).  Free with zfree().
 */
static void *
zalloc(size_t n, size_t size)
{
	size_t	 len;
	char	*p;

	if (size != 0 && n > (SIZE_MAX - ZHDR) / size)
		return NULL;
	len = n * size + ZHDR;
	/* a small array is faulted in at once: cheaper than page by page */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS | (len <= ZPOPULATE ? MAP_POPULATE : 0), -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, &len, sizeof len);
	return p + ZHDR;
}

static void
zfree(void *v)
{
	char	*p = v;
	size_t	 len;

	if (p == NULL)
		return;
	p -= ZHDR;
	memcpy(&len, p, sizeof len);
	munmap(p, len);
}

/* ------------------------------------------------------------ groups */

struct gtab {
	struct qrow	*rows;
	size_t		 n, cap;
	uint32_t	*slots;		/* row index + 1; 0: empty */
	size_t		 nslots;	/* power of two */
};

static uint64_t
key_hash(const struct qkey *k)
{
	uint64_t	 w[sizeof *k / 8], h = 0x243f6a8885a308d3ULL;
	size_t		 i;

	memcpy(w, k, sizeof w);
	for (i = 0; i < sizeof w / sizeof w[0]; i++) {
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return h;
}

static void
gtab_grow(struct gtab *g)
{
	size_t		 i, j, mask;
	uint32_t	*s;

	g->nslots = g->nslots ? g->nslots * 2 : 1024;
	if ((s = calloc(g->nslots, sizeof *s)) == NULL)
		abort();
	mask = g->nslots - 1;
	for (i = 0; i < g->n; i++) {
		j = key_hash(&g->rows[i].k) & mask;
		while (s[j] != 0)
			j = (j + 1) & mask;
		s[j] = (uint32_t)(i + 1);
	}
	free(g->slots);
	g->slots = s;
}

static void
gtab_add(struct gtab *g, const struct qkey *k, uint64_t br, uint64_t bs,
    uint64_t pr, uint64_t ps)
{
	struct qrow	*r;
	size_t		 j, mask;

	if ((g->n + 1) * 2 > g->nslots)
		gtab_grow(g);
	mask = g->nslots - 1;
	j = key_hash(k) & mask;
	while (g->slots[j] != 0) {
		r = &g->rows[g->slots[j] - 1];
		if (memcmp(&r->k, k, sizeof *k) == 0) {
			r->bytes_rcvd += br;
			r->bytes_sent += bs;
			r->pkts_rcvd += pr;
			r->pkts_sent += ps;
			return;
		}
		j = (j + 1) & mask;
	}
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 1024;
		if ((g->rows = realloc(g->rows, g->cap * sizeof *g->rows)) ==
		    NULL)
			abort();
	}
	r = &g->rows[g->n];
	r->k = *k;
	r->bytes_rcvd = br;
	r->bytes_sent = bs;
	r->pkts_rcvd = pr;
	r->pkts_sent = ps;
	g->slots[j] = (uint32_t)++g->n;
}

static void
gtab_clear(struct gtab *g)
{
	free(g->rows);
	free(g->slots);
	memset(g, 0, sizeof *g);
}

/* ------------------------------------------------------------ order */

static int
cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int
key_compare(const struct qkey *a, const struct qkey *b)
{
	int c;

	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	if (a->iface != b->iface)
		return a->iface < b->iface ? -1 : 1;
	if (a->salen != b->salen)
		return a->salen < b->salen ? -1 : 1;
	if ((c = memcmp(a->sip, b->sip, sizeof a->sip)) != 0)
		return c;
	if (a->dalen != b->dalen)
		return a->dalen < b->dalen ? -1 : 1;
	if ((c = memcmp(a->dip, b->dip, sizeof a->dip)) != 0)
		return c;
	if (a->dport != b->dport)
		return a->dport < b->dport ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->vlan != b->vlan)
		return a->vlan < b->vlan ? -1 : 1;
	return 0;
}

/* Compare two rows in the query's order (ties broken by the key). */
static int
qexec_compare(const struct qquery *q, const struct qrow *a,
    const struct qrow *b)
{
	uint64_t	 va = 0, vb = 0, wa = 0, wb = 0;
	int		 c = 0;

	switch (q->sort) {
	case QSORT_TIME:
		c = a->k.ts < b->k.ts ? -1 : a->k.ts > b->k.ts;
		if (!q->ascending)
			c = -c;
		break;
	case QSORT_BYTES:
	case QSORT_PACKETS:
		/* the sort counter, then the other one as a tie-break */
		switch (q->dir) {
		case QDIR_IN:
			va = a->bytes_rcvd; vb = b->bytes_rcvd;
			wa = a->pkts_rcvd; wb = b->pkts_rcvd;
			break;
		case QDIR_OUT:
			va = a->bytes_sent; vb = b->bytes_sent;
			wa = a->pkts_sent; wb = b->pkts_sent;
			break;
		default:
			va = a->bytes_rcvd + a->bytes_sent;
			vb = b->bytes_rcvd + b->bytes_sent;
			wa = a->pkts_rcvd + a->pkts_sent;
			wb = b->pkts_rcvd + b->pkts_sent;
			break;
		}
		if (q->sort == QSORT_PACKETS) {
			uint64_t t;

			t = va; va = wa; wa = t;
			t = vb; vb = wb; wb = t;
		}
		if ((c = cmp_u64(va, vb)) == 0)
			c = cmp_u64(wa, wb);
		if (!q->ascending)
			c = -c;
		break;
	}
	if (c != 0)
		return c;
	return key_compare(&a->k, &b->k);
}

/* qsort_r: several queries may sort at once (the daemon's workers). */
static int
sort_cmp(const void *a, const void *b, void *q)
{
	return qexec_compare(q, a, b);
}

static void
sort_rows(const struct qquery *q, struct qrow *rows, size_t n)
{
	if (n < 2)
		return;
	qsort_r(rows, n, sizeof *rows, sort_cmp, (void *)q);
}

static void
heap_down(const struct qquery *q, struct qrow *h, size_t n, size_t i)
{
	struct qrow	 t;
	size_t		 c;

	for (; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && qexec_compare(q, &h[c + 1], &h[c]) > 0)
			c++;
		if (qexec_compare(q, &h[c], &h[i]) <= 0)
			break;
		t = h[i];
		h[i] = h[c];
		h[c] = t;
	}
}

/*
 * Move the first keep rows of the query's order to rows[0..keep), in no
 * particular order: a heap of the best so far, its worst on top, which
 * most rows fail to beat (a top 10 of 400k groups costs one comparison a
 * row, not a sort).  The order is total, so these are exactly the rows a
 * full sort would put first.
 */
static void
select_best(const struct qquery *q, struct qrow *rows, size_t n, size_t keep)
{
	size_t	i;

	if (keep == 0 || keep >= n)
		return;
	for (i = keep / 2; i-- > 0;)
		heap_down(q, rows, keep, i);
	for (i = keep; i < n; i++) {
		if (qexec_compare(q, &rows[i], &rows[0]) < 0) {
			rows[0] = rows[i];
			heap_down(q, rows, keep, 0);
		}
	}
}

/* ------------------------------------------------------------ files */

struct kinfo {
	int64_t		 sip, dip;
	uint16_t	 dport, vlan;
	uint8_t		 proto;
	uint8_t		 loaded;
};

struct ainfo {
	uint8_t		 ip[16];
	uint8_t		 len;
};

struct kacc {
	uint64_t	 br, bs, pr, ps;
};

/*
 * The arrays indexed by key or address id, reused by every file of a run
 * (allocating and freeing megabytes per file costs more than a seek):
 * each file leaves them zero again, clearing only what it touched.
 */
struct arena {
	size_t		  keys, addrs;	/* slots */
	size_t		  njobs;
	struct kacc	**acc;		/* per job */
	uint32_t	**touched;	/* per job */
	struct kinfo	 *kinfo;
	struct ainfo	 *ainfo;
	uint8_t		 *bitmap;
};

/*
 * Room for key ids 0..maxkey, address ids 0..maxaddr and njobs jobs: 0, or
 * -1 with the arena emptied when the system has no room for them.
 */
static void arena_free(struct arena *);

static int
arena_fit(struct arena *a, int64_t maxkey, int64_t maxaddr, size_t njobs)
{
	size_t	i, keys = (size_t)maxkey + 1, addrs = (size_t)maxaddr + 1;
	int	fail = 0;

	if (keys > a->keys) {
		for (i = 0; i < a->njobs; i++) {
			zfree(a->acc[i]);
			zfree(a->touched[i]);
			a->acc[i] = NULL;
			a->touched[i] = NULL;
		}
		zfree(a->kinfo);
		zfree(a->bitmap);
		a->keys = keys + keys / 4;
		a->kinfo = zalloc(a->keys, sizeof *a->kinfo);
		a->bitmap = zalloc(a->keys / 8 + 1, 1);
		fail |= a->kinfo == NULL || a->bitmap == NULL;
	}
	if (addrs > a->addrs) {
		zfree(a->ainfo);
		a->addrs = addrs + addrs / 4;
		a->ainfo = zalloc(a->addrs, sizeof *a->ainfo);
		fail |= a->ainfo == NULL;
	}
	if (njobs > a->njobs) {
		if ((a->acc = realloc(a->acc, njobs * sizeof *a->acc)) == NULL ||
		    (a->touched = realloc(a->touched, njobs *
		    sizeof *a->touched)) == NULL)
			abort();
		for (i = a->njobs; i < njobs; i++) {
			a->acc[i] = NULL;
			a->touched[i] = NULL;
		}
		a->njobs = njobs;
	}
	for (i = 0; i < njobs && !fail; i++) {
		if (a->acc[i] == NULL) {
			a->acc[i] = zalloc(a->keys, sizeof *a->acc[i]);
			a->touched[i] = zalloc(a->keys, sizeof *a->touched[i]);
			fail |= a->acc[i] == NULL || a->touched[i] == NULL;
		}
	}
	if (fail)
		arena_free(a);
	return fail ? -1 : 0;
}

static void
arena_free(struct arena *a)
{
	size_t i;

	for (i = 0; i < a->njobs; i++) {
		zfree(a->acc[i]);
		zfree(a->touched[i]);
	}
	free(a->acc);
	free(a->touched);
	zfree(a->kinfo);
	zfree(a->ainfo);
	zfree(a->bitmap);
	memset(a, 0, sizeof *a);
}

struct job;

/* Where a unit's rows are read from. */
enum src { SRC_ROWS, SRC_HOUR, SRC_DAY, SRC_N };

static const char *const src_table[SRC_N] = { "flow_rows", "flow_rows_1h",
    "flow_rows_1d" };
static const int64_t src_span[SRC_N] = { 0, 3600, 86400 };

/*
 * A piece [a, b] of the ts range that one table answers: bins of
 * flow_rows (a bin with the gap before it), or one complete rollup.  The
 * units of a file are sorted and partition [lo + 1, hi].
 */
struct unit {
	int64_t		 a, b;
	int64_t		 rows;		/* estimate */
	size_t		 nbins;		/* bins of flow_rows inside */
	enum src	 src;
};

/* What all threads of one file share. */
struct fctx {
	const struct qquery *q;
	const struct qwatch *w;		/* what stops the query */
	const struct qfile *f;
	sqlite3		*db;		/* main thread's connection */
	int64_t		 lo, hi;	/* rows with lo < ts <= hi */
	int64_t		 maxkey, maxaddr;
	int64_t		 bytes;		/* the file's size */
	uint8_t		*bitmap;	/* matching keys; NULL: all */
	struct kinfo	*kinfo;		/* by slot, loaded on demand */
	struct ainfo	*ainfo;		/* by address id */
	int		 bulk;		/* the whole dictionary is loaded */
	uint32_t	*loaded;	/* slots loaded one by one */
	size_t		 nloaded, loaded_cap;
	int		 key_index;	/* flow_rows has an index on key */
	int64_t		 version;	/* PRAGMA user_version */
	sqlite3_stmt	*keyst;		/* one key's attributes */
	struct unit	*units;
	size_t		 nunits;
	uint32_t	*ids;		/* seeks: the matching key ids, sorted */
	size_t		 nids;
	struct arena	*ar;
	struct gtab	*g;
	pthread_mutex_t	 lock;		/* g and the dictionary */
	char		*err;
};

/* One thread's share: units [u0, u1), a counter slot per key id. */
struct job {
	struct fctx	*fc;
	size_t		 u0, u1;
	int		 seek;
	struct kacc	*acc;
	uint32_t	*touched;
	size_t		 ntouched;
	int64_t		 bucket;
	uint64_t	 rows;
	int		 own_conn;
	pthread_t	 th;
	int		 started;
};

/* Record the file's first error; the caller holds fc->lock. */
static void
fctx_error_locked(struct fctx *fc, const char *what, sqlite3 *db)
{
	if (fc->err != NULL)
		return;
	if (qwatch_stopped(fc->w) || (db != NULL &&
	    sqlite3_errcode(db) == SQLITE_INTERRUPT))
		fc->err = util_strdup(qwatch_why(fc->w));
	else
		fc->err = util_printf("%s: %s: %s", fc->f->path, what,
		    db != NULL ? sqlite3_errmsg(db) : "error");
}

/*
 * Counters and dictionary entries are indexed by slot: the key id, or for
 * a seek, the key's rank among the matching keys (ids), so that a few
 * keys scattered over a big dictionary use a few pages, not one page
 * each (a first touch of a page costs more than the seek).  -1: no slot.
 */
static inline int64_t
key_slot(const struct fctx *fc, int64_t key)
{
	size_t lo = 0, hi = fc->nids, mid;

	if (fc->ids == NULL)
		return key >= 0 && key <= fc->maxkey ? key : -1;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (fc->ids[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < fc->nids && fc->ids[lo] == key ? (int64_t)lo : -1;
}

static inline int64_t
slot_key(const struct fctx *fc, uint32_t slot)
{
	return fc->ids != NULL ? (int64_t)fc->ids[slot] : (int64_t)slot;
}

static void
fctx_error(struct fctx *fc, const char *what, sqlite3 *db)
{
	pthread_mutex_lock(&fc->lock);
	fctx_error_locked(fc, what, db);
	pthread_mutex_unlock(&fc->lock);
}

static pthread_mutex_t show_lock = PTHREAD_MUTEX_INITIALIZER;

/* --sql: a statement (once) and its parameters, on stderr. */
static void
show_sql(const struct qquery *q, const char *sql, const struct cond_sql *cs,
    int64_t lo, int64_t hi)
{
	static char	*shown[16];
	size_t		 i, j;

	if (!q->print_sql)
		return;
	pthread_mutex_lock(&show_lock);
	for (i = 0; i < 16 && shown[i] != NULL; i++) {
		if (strcmp(shown[i], sql) == 0) {
			pthread_mutex_unlock(&show_lock);
			return;
		}
	}
	if (i < 16)
		shown[i] = util_strdup(sql);
	fprintf(stderr, "-- %s\n", sql);
	fprintf(stderr, "--   params:");
	if (lo != INT64_MIN)
		fprintf(stderr, " %lld %lld", (long long)lo, (long long)hi);
	for (i = 0; cs != NULL && i < cs->nparams; i++) {
		if (cs->params[i].blob) {
			fprintf(stderr, " x'");
			for (j = 0; j < cs->params[i].len; j++)
				fprintf(stderr, "%02x", cs->params[i].b[j]);
			fprintf(stderr, "'");
		} else
			fprintf(stderr, " %lld", (long long)cs->params[i].i);
	}
	fprintf(stderr, "\n");
	pthread_mutex_unlock(&show_lock);
}

/* --sql: the ts range a statement reads (the last two parameters). */
static void
show_range(const struct qquery *q, const char *path, const char *table,
    int64_t lo, int64_t hi)
{
	if (!q->print_sql)
		return;
	pthread_mutex_lock(&show_lock);
	fprintf(stderr, "--   %s: %s ts > %lld AND ts <= %lld\n", path, table,
	    (long long)lo, (long long)hi);
	pthread_mutex_unlock(&show_lock);
}

static int
bind_cond(sqlite3_stmt *st, int first, const struct cond_sql *cs)
{
	size_t	i;
	int	rc = SQLITE_OK;

	for (i = 0; rc == SQLITE_OK && i < cs->nparams; i++) {
		if (cs->params[i].blob)
			rc = sqlite3_bind_blob(st, first + (int)i,
			    cs->params[i].b, (int)cs->params[i].len,
			    SQLITE_TRANSIENT);
		else
			rc = sqlite3_bind_int64(st, first + (int)i,
			    cs->params[i].i);
	}
	return rc;
}

/* Load the whole key dictionary (many keys touched). */
static int
dict_load_all(struct fctx *fc)
{
	const int	 attrs = fc->q->attrs;
	sqlite3_stmt	*st;
	struct kinfo	*k;
	int64_t		 id, slot;
	int		 rc;
	char		 sql[96];

	/* Only the columns the query groups by: 0 costs nothing to read. */
	snprintf(sql, sizeof sql, "SELECT id, %s, %s, %s, %s, %s FROM "
	    "flow_keys", attrs & QA_SIP ? "sip" : "0",
	    attrs & QA_DIP ? "dip" : "0", attrs & QA_DPORT ? "dport" : "0",
	    attrs & QA_PROTO ? "proto" : "0", attrs & QA_VLAN ? "vlan" : "0");
	if (sqlite3_prepare_v2(fc->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if ((slot = key_slot(fc, id)) < 0)
			continue;
		k = &fc->kinfo[slot];
		k->sip = sqlite3_column_int64(st, 1);
		k->dip = sqlite3_column_int64(st, 2);
		k->dport = (uint16_t)sqlite3_column_int(st, 3);
		k->proto = (uint8_t)sqlite3_column_int(st, 4);
		k->vlan = (uint16_t)sqlite3_column_int(st, 5);
		k->loaded = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (!(fc->q->attrs & (QA_SIP | QA_DIP))) {
		fc->bulk = 1;
		return 0;
	}
	if (sqlite3_prepare_v2(fc->db, "SELECT id, ip FROM addrs", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int len = sqlite3_column_bytes(st, 1);

		id = sqlite3_column_int64(st, 0);
		if (id < 0 || id > fc->maxaddr || (len != 4 && len != 16))
			continue;
		/* the key compares all 16 bytes: no stale tail */
		memset(fc->ainfo[id].ip, 0, sizeof fc->ainfo[id].ip);
		memcpy(fc->ainfo[id].ip, sqlite3_column_blob(st, 1),
		    (size_t)len);
		fc->ainfo[id].len = (uint8_t)len;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	fc->bulk = 1;
	return 0;
}

/* Load the key of a slot and its addresses. */
static int
dict_load_key(struct fctx *fc, uint32_t slot)
{
	struct kinfo	*k = &fc->kinfo[slot];
	int		 rc, i, len;
	int64_t		 aid;

	if (fc->keyst == NULL && sqlite3_prepare_v2(fc->db, "SELECT k.sip, "
	    "k.dip, k.dport, k.proto, k.vlan, s.ip, d.ip FROM flow_keys AS k "
	    "JOIN addrs AS s ON s.id = k.sip JOIN addrs AS d ON d.id = k.dip "
	    "WHERE k.id = ?", -1, &fc->keyst, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(fc->keyst, 1, slot_key(fc, slot));
	rc = sqlite3_step(fc->keyst);
	if (rc == SQLITE_ROW) {
		k->sip = sqlite3_column_int64(fc->keyst, 0);
		k->dip = sqlite3_column_int64(fc->keyst, 1);
		k->dport = (uint16_t)sqlite3_column_int(fc->keyst, 2);
		k->proto = (uint8_t)sqlite3_column_int(fc->keyst, 3);
		k->vlan = (uint16_t)sqlite3_column_int(fc->keyst, 4);
		for (i = 0; i < 2; i++) {
			aid = i == 0 ? k->sip : k->dip;
			len = sqlite3_column_bytes(fc->keyst, 5 + i);
			if (aid < 0 || aid > fc->maxaddr ||
			    (len != 4 && len != 16))
				continue;
			memset(fc->ainfo[aid].ip, 0, sizeof fc->ainfo[aid].ip);
			memcpy(fc->ainfo[aid].ip,
			    sqlite3_column_blob(fc->keyst, 5 + i), (size_t)len);
			fc->ainfo[aid].len = (uint8_t)len;
		}
		k->loaded = 1;
		if (fc->nloaded == fc->loaded_cap) {
			fc->loaded_cap = fc->loaded_cap ? fc->loaded_cap * 2 :
			    64;
			if ((fc->loaded = realloc(fc->loaded, fc->loaded_cap *
			    sizeof *fc->loaded)) == NULL)
				abort();
		}
		fc->loaded[fc->nloaded++] = slot;
	}
	sqlite3_reset(fc->keyst);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Hand the touched keys of j to the group table, then clear them. */
static void
job_flush(struct job *j)
{
	struct fctx		*fc = j->fc;
	const struct qquery	*q = fc->q;
	struct qkey		 k;
	struct kacc		*a;
	struct kinfo		*ki;
	size_t			 i, missing = 0;
	int			 need = q->attrs & (QA_SIP | QA_DIP | QA_DPORT |
				    QA_PROTO | QA_VLAN);
	uint32_t		 id;

	if (j->ntouched == 0)
		return;
	pthread_mutex_lock(&fc->lock);
	if (need && !fc->bulk) {
		for (i = 0; i < j->ntouched; i++)
			missing += !fc->kinfo[j->touched[i]].loaded;
		/* bulk when it is a good share of the dictionary */
		if (missing > 2000 && (int64_t)missing * 16 > fc->maxkey &&
		    dict_load_all(fc) != 0)
			fctx_error_locked(fc, "reading the key dictionary",
			    fc->db);
	}
	for (i = 0; i < j->ntouched; i++) {
		id = j->touched[i];
		a = &j->acc[id];
		memset(&k, 0, sizeof k);
		if (q->attrs & QA_TIME)
			k.ts = j->bucket;
		if (q->attrs & QA_IFACE)
			k.iface = (uint32_t)fc->f->iface;
		if (need) {
			ki = &fc->kinfo[id];
			if (!ki->loaded && !fc->bulk &&
			    dict_load_key(fc, id) != 0)
				fctx_error_locked(fc, "reading a flow key",
				    fc->db);
			if (q->attrs & QA_SIP && ki->sip >= 0 &&
			    ki->sip <= fc->maxaddr) {
				k.salen = fc->ainfo[ki->sip].len;
				memcpy(k.sip, fc->ainfo[ki->sip].ip, 16);
			}
			if (q->attrs & QA_DIP && ki->dip >= 0 &&
			    ki->dip <= fc->maxaddr) {
				k.dalen = fc->ainfo[ki->dip].len;
				memcpy(k.dip, fc->ainfo[ki->dip].ip, 16);
			}
			if (q->attrs & QA_DPORT)
				k.dport = ki->dport;
			if (q->attrs & QA_PROTO)
				k.proto = ki->proto;
			if (q->attrs & QA_VLAN)
				k.vlan = ki->vlan;
		}
		gtab_add(fc->g, &k, a->br, a->bs, a->pr, a->ps);
		memset(a, 0, sizeof *a);
	}
	pthread_mutex_unlock(&fc->lock);
	j->ntouched = 0;
}

static inline void
job_add(struct job *j, int64_t ts, int64_t key, uint64_t br, uint64_t bs,
    uint64_t pr, uint64_t ps)
{
	const struct qquery	*q = j->fc->q;
	struct kacc		*a;
	int64_t			 b, slot;

	if ((slot = key_slot(j->fc, key)) < 0)
		return;
	if (q->attrs & QA_TIME) {
		b = q->resolution > 0 ? ts - ((ts % q->resolution) +
		    q->resolution) % q->resolution : ts;
		if (b != j->bucket) {
			job_flush(j);
			j->bucket = b;
		}
	}
	a = &j->acc[slot];
	if ((a->br | a->bs | a->pr | a->ps) == 0)
		j->touched[j->ntouched++] = (uint32_t)slot;
	a->br += br;
	a->bs += bs;
	a->pr += pr;
	a->ps += ps;
	j->rows++;
}

/*
 * The rows are summed inside SQLite's own loop: flowq_acc() is called for
 * every row of the range and adds it to the job's counters, so that the
 * statement steps once instead of once per row (several times faster than
 * fetching each row through the API).
 */
static void
acc_func(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct job	*j = sqlite3_user_data(ctx);
	const uint8_t	*bm = j->seek ? NULL : j->fc->bitmap;
	int		 o = argc - 5;	/* 6 arguments: ts first */
	int64_t		 key = sqlite3_value_int64(argv[o]);

	if (bm == NULL || (key >= 0 && key <= j->fc->maxkey &&
	    (bm[key >> 3] & (1 << (key & 7)))))
		job_add(j, o ? sqlite3_value_int64(argv[0]) : 0, key,
		    (uint64_t)sqlite3_value_int64(argv[o + 1]),
		    (uint64_t)sqlite3_value_int64(argv[o + 2]),
		    (uint64_t)sqlite3_value_int64(argv[o + 3]),
		    (uint64_t)sqlite3_value_int64(argv[o + 4]));
	sqlite3_result_int(ctx, 0);
}

/* Sum the rows of a ts range of one table (many keys). */
static const char scan_sql_fmt[] = "SELECT count(*) FROM %s WHERE ts > ? AND "
    "ts <= ? AND flowq_acc(ts, key, bytes_rcvd, bytes_sent, pkts_rcvd, "
    "pkts_sent)";

/* Without `time` the bucket is not needed: one argument less per row. */
static const char scan_notime_sql_fmt[] = "SELECT count(*) FROM %s WHERE "
    "ts > ? AND ts <= ? AND flowq_acc(key, bytes_rcvd, bytes_sent, "
    "pkts_rcvd, pkts_sent)";

/* Walk the bins, seek each matching key: few keys, no key index. */
static const char seek_sql_fmt[] = "WITH m(id) AS MATERIALIZED (SELECT k.id "
    "FROM flow_keys AS k WHERE %s) SELECT count(*) FROM bins AS b CROSS "
    "JOIN m CROSS JOIN flow_rows AS r WHERE b.ts > ? AND b.ts <= ? AND "
    "r.ts = b.ts AND r.key = m.id AND flowq_acc(r.ts, r.key, r.bytes_rcvd, "
    "r.bytes_sent, r.pkts_rcvd, r.pkts_sent)";

/* With an index on flow_rows(key): one range per matching key. */
static const char seek_key_sql_fmt[] = "WITH m(id) AS MATERIALIZED (SELECT "
    "k.id FROM flow_keys AS k WHERE %s) SELECT count(*) FROM m CROSS JOIN "
    "flow_rows AS r WHERE r.key = m.id AND r.ts > ? AND r.ts <= ? AND "
    "flowq_acc(r.ts, r.key, r.bytes_rcvd, r.bytes_sent, r.pkts_rcvd, "
    "r.pkts_sent)";

/* Walk the complete rollups of a span, seek each matching key. */
static const char seek_rollup_sql_fmt[] = "WITH m(id) AS MATERIALIZED "
    "(SELECT k.id FROM flow_keys AS k WHERE %s) SELECT count(*) FROM "
    "rollups AS b CROSS JOIN m CROSS JOIN %s AS r WHERE b.span = %lld AND "
    "b.ts > ? AND b.ts <= ? AND b.rows >= 0 AND r.ts = b.ts AND "
    "r.key = m.id AND "
    "flowq_acc(r.ts, r.key, r.bytes_rcvd, r.bytes_sent, r.pkts_rcvd, "
    "r.pkts_sent)";

/* How many complete rollups of src start in (lo, hi]. */
static int64_t
rollups_listed(sqlite3 *db, enum src s, int64_t lo, int64_t hi)
{
	sqlite3_stmt	*st;
	int64_t		 n = -1;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM rollups WHERE "
	    "span = ? AND ts > ? AND ts <= ? AND rows >= 0", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, src_span[s]);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int64(st, 3, hi);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The statement that reads units of src; ranges bind after *first - 1. */
static int
job_prepare(struct job *j, sqlite3 *db, enum src s, const struct cond_sql *cs,
    sqlite3_stmt **st, int *first)
{
	const struct qquery	*q = j->fc->q;
	char			*sql;
	int			 rc;

	if (!j->seek) {
		sql = util_printf(q->attrs & QA_TIME ? scan_sql_fmt :
		    scan_notime_sql_fmt, src_table[s]);
		*first = 1;
	} else {
		if (s != SRC_ROWS)
			sql = util_printf(seek_rollup_sql_fmt, cs->where,
			    src_table[s], (long long)src_span[s]);
		else
			sql = util_printf(j->fc->key_index ? seek_key_sql_fmt :
			    seek_sql_fmt, cs->where);
		*first = (int)cs->nparams + 1;
	}
	rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);
	if (rc == SQLITE_OK && j->seek)
		rc = bind_cond(*st, 1, cs);
	show_sql(q, sql, j->seek ? cs : NULL, INT64_MIN, 0);
	free(sql);
	return rc;
}

static void *
job_run(void *arg)
{
	struct job	*j = arg;
	struct fctx	*fc = j->fc;
	sqlite3		*db = fc->db;
	sqlite3_stmt	*st[SRC_N] = { NULL, NULL, NULL };
	int		 first[SRC_N] = { 1, 1, 1 };
	struct cond_sql	 cs;
	char		*cause = NULL;
	size_t		 u, v, ua, ub;
	int64_t		 lo, hi;
	int		 rc, own = 0, mapped = 0;
	enum src	 s;

	memset(&cs, 0, sizeof cs);
	/* with several jobs, each reads on a connection of its own */
	if (j->own_conn) {
		if ((db = qstore_open_day(fc->f->path, fc->f->day, &cause)) ==
		    NULL) {
			pthread_mutex_lock(&fc->lock);
			if (fc->err == NULL)
				fc->err = cause;
			else
				free(cause);
			pthread_mutex_unlock(&fc->lock);
			return NULL;
		}
		qexec_watch(db, fc->w);
		own = 1;
		/* one snapshot for everything this job reads */
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	}
	rc = sqlite3_create_function_v2(db, "flowq_acc", 6, SQLITE_UTF8 |
	    SQLITE_DIRECTONLY, j, acc_func, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(db, "flowq_acc", 5,
		    SQLITE_UTF8 | SQLITE_DIRECTONLY, j, acc_func, NULL, NULL,
		    NULL);
	if (j->seek)
		cond_sql(fc->q->cond, &cs);
	for (u = j->u0; rc == SQLITE_OK && u < j->u1; u = v) {
		/* one statement for consecutive units of one table */
		s = fc->units[u].src;
		for (v = u + 1; v < j->u1 && fc->units[v].src == s; v++)
			;
		ua = u;
		ub = v;
		/* a seek walks the bins: a range without bins has no rows */
		if (j->seek && s == SRC_ROWS && !fc->key_index) {
			while (ua < ub && fc->units[ua].nbins == 0)
				ua++;
			while (ub > ua && fc->units[ub - 1].nbins == 0)
				ub--;
			if (ua == ub)
				continue;
		}
		lo = fc->units[ua].a - 1;
		hi = fc->units[ub - 1].b;
		/*
		 * This connection's snapshot may be later than the one the
		 * units were planned in: a rollup dropped since (its hour was
		 * written again) is read from flow_rows instead.
		 */
		if (own && s != SRC_ROWS && rollups_listed(db, s, lo, hi) !=
		    (int64_t)(ub - ua))
			s = SRC_ROWS;
		/*
		 * A scan reads through a mapping of the file (no copy per
		 * page); seeks do not, a fresh page fault costs more than a
		 * read of the page.
		 */
		if (!j->seek && !mapped) {
			sqlite3_exec(db, "PRAGMA mmap_size = 4294967296", NULL,
			    NULL, NULL);
			mapped = 1;
		}
		if (st[s] == NULL && (rc = job_prepare(j, db, s, &cs, &st[s],
		    &first[s])) != SQLITE_OK)
			break;
		show_range(fc->q, fc->f->path, src_table[s], lo, hi);
		sqlite3_bind_int64(st[s], first[s], lo);
		sqlite3_bind_int64(st[s], first[s] + 1, hi);
		while ((rc = sqlite3_step(st[s])) == SQLITE_ROW)
			;
		if (rc != SQLITE_DONE) {
			fctx_error(fc, "reading flow rows", db);
			break;
		}
		rc = sqlite3_reset(st[s]);
	}
	if (rc != SQLITE_OK && rc != SQLITE_DONE)
		fctx_error(fc, "preparing the row query", db);
	else if (fc->q->attrs & QA_TIME)
		job_flush(j);
	for (s = 0; s < SRC_N; s++)
		sqlite3_finalize(st[s]);
	cond_sql_clear(&cs);
	if (own) {
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(db);
	}
	return NULL;
}

struct binfo {
	int64_t		 ts;
	int64_t		 flows;
};

/* A complete rollup the query may use. */
struct rinfo {
	int64_t		 ts, rows;
	enum src	 src;
};

/* The matching key ids as a bitmap; *nkeys their count. */
static int
file_keys(struct fctx *fc, size_t *nkeys)
{
	sqlite3_stmt	*st;
	struct cond_sql	 cs;
	char		*sql;
	int64_t		 id;
	int		 rc;

	*nkeys = 0;
	cond_sql(fc->q->cond, &cs);
	sql = util_printf("SELECT k.id FROM flow_keys AS k WHERE %s", cs.where);
	show_sql(fc->q, sql, &cs, INT64_MIN, 0);
	rc = sqlite3_prepare_v2(fc->db, sql, -1, &st, NULL);
	free(sql);
	if (rc == SQLITE_OK)
		rc = bind_cond(st, 1, &cs);
	cond_sql_clear(&cs);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	fc->bitmap = fc->ar->bitmap;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if (id < 0 || id > fc->maxkey)
			continue;
		fc->bitmap[id >> 3] |= (uint8_t)(1 << (id & 7));
		(*nkeys)++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int64_t
query_int(sqlite3 *db, const char *sql, int64_t dflt)
{
	sqlite3_stmt	*st;
	int64_t		 v = dflt;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return dflt;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * May the query read a rollup of src?  Not when it asks for finer time
 * than the rollup's span: `time` keeps the bins unless its buckets
 * (--resolution) are whole multiples of the span.
 */
static int
rollup_allowed(const struct qquery *q, enum src s)
{
	if (q->no_rollups || s == SRC_ROWS)
		return 0;
	if (!(q->attrs & QA_TIME))
		return 1;
	return q->resolution > 0 && q->resolution % src_span[s] == 0;
}

/*
 * The complete rollups (schema version 2) that lie wholly inside
 * [lo + 1, hi] and that the query may use, sorted, without overlaps: days
 * first, then the hours outside them.  Returns their number (0 for a
 * version 1 file, or when none fits).  Caller frees *out.
 */
static size_t
file_rollups(struct fctx *fc, struct rinfo **out)
{
	const struct qquery	*q = fc->q;
	sqlite3_stmt		*st;
	struct rinfo		*r = NULL, *days = NULL;
	size_t			 n = 0, nd = 0, i, d;
	int64_t			 span, ts, end = INT64_MIN;
	enum src		 s;

	*out = NULL;
	if (!rollup_allowed(q, SRC_HOUR) && !rollup_allowed(q, SRC_DAY))
		return 0;
	if (fc->version < 2)
		return 0;
	/* a count no file could hold: not a rollup to trust */
	if (sqlite3_prepare_v2(fc->db, "SELECT span, ts, rows FROM rollups "
	    "WHERE ts > ? AND ts <= ? AND rows >= 0 AND rows <= ? ORDER BY ts, "
	    "span", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, fc->lo);
	sqlite3_bind_int64(st, 2, fc->hi);
	sqlite3_bind_int64(st, 3, fc->bytes);
	while (sqlite3_step(st) == SQLITE_ROW) {
		span = sqlite3_column_int64(st, 0);
		ts = sqlite3_column_int64(st, 1);
		if (span == src_span[SRC_DAY])
			s = SRC_DAY;
		else if (span == src_span[SRC_HOUR])
			s = SRC_HOUR;
		else
			continue;
		/* whole inside the range (no overflow: hi is a time) */
		if (!rollup_allowed(q, s) || ts > fc->hi - span + 1)
			continue;
		if (s == SRC_DAY) {
			if (ts <= end)
				continue;	/* overlaps the previous day */
			end = ts + span - 1;
			if ((days = realloc(days, (nd + 1) * sizeof *days)) ==
			    NULL)
				abort();
			days[nd].ts = ts;
			days[nd].rows = sqlite3_column_int64(st, 2);
			days[nd++].src = s;
			continue;
		}
		if ((r = realloc(r, (n + 1) * sizeof *r)) == NULL)
			abort();
		r[n].ts = ts;
		r[n].rows = sqlite3_column_int64(st, 2);
		r[n++].src = s;
	}
	sqlite3_finalize(st);
	if (nd == 0) {
		*out = r;
		r = NULL;
		nd = n;
		n = 0;
	} else {
		/* hours outside the days, merged in ts order */
		end = INT64_MIN;
		for (i = 0, d = 0; i < n; i++) {
			while (d < nd && days[d].ts + src_span[SRC_DAY] - 1 <
			    r[i].ts)
				d++;
			if (d < nd && r[i].ts + src_span[SRC_HOUR] - 1 >=
			    days[d].ts)
				continue;	/* overlaps a day */
			if ((days = realloc(days, (nd + 1) * sizeof *days)) ==
			    NULL)
				abort();
			days[nd++] = r[i];
		}
		*out = days;
		days = NULL;
	}
	free(r);
	free(days);
	/* sorted by ts, and no unit may overlap another */
	r = *out;
	for (i = 1; i < nd; i++) {
		struct rinfo x = r[i];

		for (d = i; d > 0 && r[d - 1].ts > x.ts; d--)
			r[d] = r[d - 1];
		r[d] = x;
	}
	for (i = 0, d = 0, end = INT64_MIN; i < nd; i++) {
		if (r[i].ts <= end)
			continue;
		end = r[i].ts + src_span[r[i].src] - 1;
		r[d++] = r[i];
	}
	return d;
}

static void
unit_add(struct fctx *fc, enum src s, int64_t a, int64_t b, int64_t rows,
    size_t nbins)
{
	struct unit *u;

	if ((fc->units = realloc(fc->units, (fc->nunits + 1) *
	    sizeof *fc->units)) == NULL)
		abort();
	u = &fc->units[fc->nunits++];
	u->a = a;
	u->b = b;
	u->rows = rows;
	u->nbins = nbins;
	u->src = s;
}

/* [a, b] holds no bin: it joins the flow_rows unit before it. */
static void
unit_gap(struct fctx *fc, int64_t a, int64_t b)
{
	if (a > b)
		return;
	if (fc->nunits > 0 && fc->units[fc->nunits - 1].src == SRC_ROWS)
		fc->units[fc->nunits - 1].b = b;
	else
		unit_add(fc, SRC_ROWS, a, b, 0, 0);
}

/*
 * Cut [lo + 1, hi] into units: the rollups, and around them the bins of
 * flow_rows, each with the gap before it (as flow_rows would be read
 * without rollups: every row in the range counts, bin or not).
 */
static void
file_units(struct fctx *fc, const struct binfo *bins, size_t nbins,
    const struct rinfo *roll, size_t nroll)
{
	size_t		 i = 0, r = 0, nb;
	int64_t		 cur = fc->lo + 1, b, sum, est;

	while (i < nbins || r < nroll) {
		if (r < nroll && (i == nbins || bins[i].ts >= roll[r].ts)) {
			unit_gap(fc, cur, roll[r].ts - 1);
			b = roll[r].ts + src_span[roll[r].src] - 1;
			for (sum = 0, nb = 0; i < nbins && bins[i].ts <= b; i++,
			    nb++)
				sum += bins[i].flows;
			/* at most one row per key, at most the bins' rows */
			est = roll[r].rows;
			if (est < 0 || est > sum)
				est = sum;
			if (est > fc->maxkey)
				est = fc->maxkey;
			unit_add(fc, roll[r].src, roll[r].ts, b, est, 0);
			cur = b + 1;
			r++;
			continue;
		}
		unit_add(fc, SRC_ROWS, cur, bins[i].ts, bins[i].flows, 1);
		cur = bins[i].ts + 1;
		i++;
	}
	unit_gap(fc, cur, fc->hi);
}

/*
 * What a file is, in one statement: the bin length, the largest key and
 * address ids, the schema version and whether flow_rows has indexes of
 * its own (someone may have added one on key).
 */
static int
file_info(struct fctx *fc, int64_t *interval, int64_t *nindex)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(fc->db, "SELECT (SELECT max(interval) FROM "
	    "bins), (SELECT max(id) FROM flow_keys), (SELECT max(id) FROM "
	    "addrs), (SELECT user_version FROM pragma_user_version), "
	    "(SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
	    "tbl_name = 'flow_rows' AND sql IS NOT NULL), (SELECT page_count "
	    "* page_size FROM pragma_page_count, pragma_page_size), (SELECT "
	    "min(interval) FROM bins), (SELECT min(id) FROM flow_keys), "
	    "(SELECT min(id) FROM addrs)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*interval = sqlite3_column_type(st, 0) == SQLITE_NULL ? 300 :
		    sqlite3_column_int64(st, 0);
		fc->maxkey = sqlite3_column_int64(st, 1);
		fc->maxaddr = sqlite3_column_int64(st, 2);
		fc->version = sqlite3_column_int64(st, 3);
		*nindex = sqlite3_column_int64(st, 4);
		fc->bytes = sqlite3_column_int64(st, 5);
		/* the shortest bin when it is no length at all */
		if (sqlite3_column_type(st, 6) != SQLITE_NULL &&
		    sqlite3_column_int64(st, 6) <= 0)
			*interval = sqlite3_column_int64(st, 6);
		/* ids start at 1: a negative one is as wrong as a huge one */
		if (sqlite3_column_int64(st, 7) < 0)
			fc->maxkey = -1;
		if (sqlite3_column_int64(st, 8) < 0)
			fc->maxaddr = -1;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Leave the arena zero again: clear what the file touched. */
static void
file_clear(struct fctx *fc)
{
	struct kinfo	*k;
	size_t		 i;

	if (fc->bitmap != NULL)
		memset(fc->bitmap, 0, (size_t)fc->maxkey / 8 + 1);
	if (fc->kinfo == NULL)
		return;
	if (fc->bulk) {
		memset(fc->kinfo, 0, (fc->ids != NULL ? fc->nids :
		    (size_t)fc->maxkey + 1) * sizeof *fc->kinfo);
		memset(fc->ainfo, 0, ((size_t)fc->maxaddr + 1) *
		    sizeof *fc->ainfo);
		return;
	}
	for (i = 0; i < fc->nloaded; i++) {
		k = &fc->kinfo[fc->loaded[i]];
		if (k->sip >= 0 && k->sip <= fc->maxaddr)
			memset(&fc->ainfo[k->sip], 0, sizeof *fc->ainfo);
		if (k->dip >= 0 && k->dip <= fc->maxaddr)
			memset(&fc->ainfo[k->dip], 0, sizeof *fc->ainfo);
		memset(k, 0, sizeof *k);
	}
}

static int
run_file(const struct qquery *q, const struct qwatch *w,
    const struct qfile *f, const char *ifname, struct gtab *g,
    struct arena *ar, struct qresult *res, int nthreads, char **cause)
{
	struct fctx	 fc;
	struct job	*jobs = NULL;
	struct binfo	*bins = NULL;
	struct rinfo	*roll = NULL;
	sqlite3_stmt	*st = NULL;
	size_t		 nbins = 0, nroll = 0, nkeys = 0, i, t, njobs = 1, u0;
	size_t		 nfull = 0, nseek = 0, nrawbins = 0;
	int64_t		 interval, rows = 0, share, acc, nindex;
	int		 rc = 0, seek = 0, data = 0;

	memset(&fc, 0, sizeof fc);
	fc.q = q;
	fc.w = w;
	fc.f = f;
	fc.g = g;
	fc.ar = ar;
	pthread_mutex_init(&fc.lock, NULL);
	if ((fc.db = qstore_open_day(f->path, f->day, cause)) == NULL) {
		pthread_mutex_destroy(&fc.lock);
		return -1;
	}
	qexec_watch(fc.db, w);
	/*
	 * One snapshot for the plan and for what this connection reads: a
	 * live file's rollups may be built or dropped meanwhile.
	 */
	sqlite3_exec(fc.db, "BEGIN", NULL, NULL, NULL);

	/*
	 * The rows read are those with lo < ts <= hi; the bins among them
	 * that overlap [first, last] make the time span.
	 */
	if (file_info(&fc, &interval, &nindex) != 0) {
		fc.err = util_printf("%s: %s", f->path, sqlite3_errmsg(fc.db));
		goto out;
	}
	/* a bin lasts a divisor of a day (flowrecd --interval) */
	if (interval <= 0 || interval > 86400) {
		fc.err = util_printf("%s: implausible bin interval (bins."
		    "interval %lld)", f->path, (long long)interval);
		goto out;
	}
	fc.lo = q->first - interval;
	fc.hi = q->last;
	if (q->print_sql) {
		pthread_mutex_lock(&show_lock);
		qpaste_print(stderr, q, f->path, ifname, fc.lo, fc.hi);
		pthread_mutex_unlock(&show_lock);
	}
	if (sqlite3_prepare_v2(fc.db, "SELECT ts, interval, flows, pkts_rcvd, "
	    "pkts_sent FROM bins WHERE ts > ? AND ts <= ? ORDER BY ts", -1, &st, NULL) != SQLITE_OK) {
		fc.err = util_printf("%s: %s", f->path, sqlite3_errmsg(fc.db));
		goto out;
	}
	sqlite3_bind_int64(st, 1, fc.lo);
	sqlite3_bind_int64(st, 2, fc.hi);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t ts = sqlite3_column_int64(st, 0);
		int64_t iv = sqlite3_column_int64(st, 1);

		if ((bins = realloc(bins, (nbins + 1) * sizeof *bins)) == NULL)
			abort();
		bins[nbins].ts = ts;
		bins[nbins].flows = sqlite3_column_int64(st, 2);
		/* a bin's rows are in the file: no more than its bytes */
		if (bins[nbins].flows < 0 || bins[nbins].flows > fc.bytes) {
			fc.err = util_printf("%s: implausible bin (bins.flows "
			    "%lld at %lld)", f->path,
			    (long long)bins[nbins].flows, (long long)ts);
			sqlite3_finalize(st);
			goto out;
		}
		nbins++;
		if (ts + iv <= q->first)
			continue;
		if (!res->data || ts < res->span_first)
			res->span_first = ts;
		if (!res->data || ts + iv > res->span_last)
			res->span_last = ts + iv;
		res->data = 1;
		res->iface_data[f->iface] = 1;
		res->bins_pkts_rcvd += (uint64_t)sqlite3_column_int64(st, 3);
		res->bins_pkts_sent += (uint64_t)sqlite3_column_int64(st, 4);
		data = 1;
	}
	sqlite3_finalize(st);
	if (!data)
		goto out;

	/*
	 * The arrays are indexed by id: the store numbers ids from 1 up, so
	 * a file holds at least as many bytes as its largest id (ids in a
	 * small file get a million of slack).
	 */
	if (fc.maxkey < 0 || fc.maxkey > QEXEC_MAX_ID || fc.maxaddr < 0 ||
	    fc.maxaddr > QEXEC_MAX_ID || (fc.maxkey > (1 << 20) &&
	    fc.maxkey > fc.bytes) || (fc.maxaddr > (1 << 20) &&
	    fc.maxaddr > fc.bytes)) {
		fc.err = util_printf("%s: implausible dictionary ids (largest"
		    " flow_keys.id %lld, addrs.id %lld in a file of %lld bytes)",
		    f->path, (long long)fc.maxkey, (long long)fc.maxaddr,
		    (long long)fc.bytes);
		goto out;
	}
	if (arena_fit(ar, fc.maxkey, fc.maxaddr, 0) != 0) {
		fc.err = util_printf("%s: no memory for dictionary ids up to "
		    "%lld", f->path, (long long)fc.maxkey);
		goto out;
	}
	nroll = file_rollups(&fc, &roll);
	file_units(&fc, bins, nbins, roll, nroll);
	for (i = 0; i < fc.nunits; i++) {
		rows += fc.units[i].rows;
		nfull += fc.units[i].rows > 0;
		nrawbins += fc.units[i].nbins;
	}
	if (q->cond != NULL && q->cond->root != NULL) {
		if (file_keys(&fc, &nkeys) != 0) {
			fctx_error(&fc, "selecting flow keys", fc.db);
			goto out;
		}
		if (nkeys == 0)
			goto out;
		/* a seek costs about as much as scanning a few dozen rows */
		fc.key_index = nindex > 0 && query_int(fc.db, "SELECT count(*) FROM "
		    "sqlite_master AS m, pragma_index_info(m.name) AS i WHERE "
		    "m.type = 'index' AND m.tbl_name = 'flow_rows' AND "
		    "i.seqno = 0 AND i.name = 'key'", 0) > 0;
		/* seeks per key: one per bin (or per range), one per rollup */
		nseek = nroll + (fc.key_index ? nrawbins > 0 : nrawbins);
		seek = (int64_t)nkeys * (int64_t)nseek * (fc.key_index ? 64 :
		    32) < rows;
	}
	if (seek) {
		/* number the matching keys: their slots (see key_slot()) */
		if ((fc.ids = malloc(nkeys * sizeof *fc.ids)) == NULL)
			abort();
		for (i = 0; i <= (size_t)fc.maxkey / 8 && fc.nids < nkeys;
		    i++) {
			for (t = 0; fc.bitmap[i] != 0 && t < 8; t++) {
				if (fc.bitmap[i] & (1 << t))
					fc.ids[fc.nids++] = (uint32_t)(i * 8 +
					    t);
			}
		}
	}
	fc.kinfo = ar->kinfo;
	fc.ainfo = ar->ainfo;

	if (!seek && rows > 200000 && nthreads > 1)
		njobs = (size_t)nthreads < nfull ? (size_t)nthreads : nfull;
	if (njobs == 0)
		njobs = 1;
	if ((jobs = calloc(njobs, sizeof *jobs)) == NULL)
		abort();
	if (arena_fit(ar, fc.maxkey, fc.maxaddr, njobs) != 0) {
		fc.kinfo = NULL;	/* gone with the arena */
		fc.ainfo = NULL;
		fc.bitmap = NULL;
		fc.err = util_printf("%s: no memory for dictionary ids up to "
		    "%lld", f->path, (long long)fc.maxkey);
		goto out;
	}
	/* contiguous units of about equal rows */
	share = rows / (int64_t)njobs + 1;
	u0 = 0;
	for (t = 0; t < njobs; t++) {
		jobs[t].fc = &fc;
		jobs[t].seek = seek;
		jobs[t].u0 = u0;
		acc = 0;
		i = u0;
		while (i < fc.nunits && (t + 1 == njobs || acc < share ||
		    i == u0))
			acc += fc.units[i++].rows;
		jobs[t].u1 = i;
		u0 = i;
		jobs[t].acc = ar->acc[t];
		jobs[t].touched = ar->touched[t];
		jobs[t].bucket = INT64_MIN;
	}
	/*
	 * With several jobs, each reads on a connection of its own: the
	 * main one (a connection is for one thread at a time) then serves
	 * only the dictionary, under fc.lock, to whichever job flushes.
	 */
	jobs[0].own_conn = njobs > 1;
	for (t = 1; t < njobs; t++) {
		jobs[t].own_conn = 1;
		if (pthread_create(&jobs[t].th, NULL, job_run, &jobs[t]) == 0)
			jobs[t].started = 1;
		else
			job_run(&jobs[t]);
	}
	job_run(&jobs[0]);
	for (t = 1; t < njobs; t++) {
		if (jobs[t].started)
			pthread_join(jobs[t].th, NULL);
	}
	if (fc.err == NULL && !(q->attrs & QA_TIME)) {
		/* one sum per key id across the jobs, then one mapping */
		for (t = 1; t < njobs; t++) {
			for (i = 0; i < jobs[t].ntouched; i++) {
				uint32_t	 id = jobs[t].touched[i];
				struct kacc	*a = &jobs[0].acc[id];
				struct kacc	*b = &jobs[t].acc[id];

				if ((a->br | a->bs | a->pr | a->ps) == 0)
					jobs[0].touched[jobs[0].ntouched++] =
					    id;
				a->br += b->br;
				a->bs += b->bs;
				a->pr += b->pr;
				a->ps += b->ps;
				memset(b, 0, sizeof *b);
			}
		}
		job_flush(&jobs[0]);
	}
out:
	file_clear(&fc);
	free(fc.loaded);
	free(fc.ids);
	free(jobs);
	free(bins);
	free(roll);
	free(fc.units);
	sqlite3_finalize(fc.keyst);
	sqlite3_exec(fc.db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(fc.db);
	pthread_mutex_destroy(&fc.lock);
	if (fc.err != NULL) {
		rc = util_cause(cause, -1, "%s", fc.err);
		free(fc.err);
	}
	return rc;
}

/* ------------------------------------------------------------ results */

struct final {
	struct qrow	*rows;
	size_t		 n, cap;
};

/* Move the groups that pass the dir filter into the final rows. */
static void
finalize(const struct qquery *q, struct gtab *g, struct final *fin,
    struct qresult *res)
{
	enum cond_dir	 dir = q->cond != NULL ? q->cond->dir : COND_DIR_NONE;
	struct qrow	*r;
	size_t		 i, keep;

	for (i = 0; i < g->n; i++) {
		r = &g->rows[i];
		if (!cond_dir_match(dir, r->pkts_rcvd, r->pkts_sent))
			continue;
		res->hits++;
		res->bytes_rcvd += r->bytes_rcvd;
		res->bytes_sent += r->bytes_sent;
		res->pkts_rcvd += r->pkts_rcvd;
		res->pkts_sent += r->pkts_sent;
		if (fin->n == fin->cap) {
			fin->cap = fin->cap ? fin->cap * 2 : 1024;
			fin->rows = realloc(fin->rows, fin->cap *
			    sizeof *fin->rows);
			if (fin->rows == NULL)
				abort();
		}
		fin->rows[fin->n++] = *r;
	}
	gtab_clear(g);
	/* with a limit, only the best rows need to be kept */
	keep = q->limit > 0 ? q->limit : 0;
	if (keep > 0 && fin->n > 4 * keep && fin->n > 65536) {
		select_best(q, fin->rows, fin->n, keep);
		fin->n = keep;
	}
}

/*
 * The daemon's open bins (q->live, already in the query's range),
 * grouped as the files' rows are.
 */
static void
live_add(const struct qquery *q, const struct qfiles *files, struct gtab *g,
    struct qresult *res)
{
	const struct flowtab_row *r;
	const struct qlive *l;
	struct cond_key ck;
	struct qkey k;
	size_t i, j;
	uint8_t alen;

	for (i = 0; i < q->nlive; i++) {
		l = &q->live[i];
		if (l->iface >= files->nifaces)
			continue;
		for (j = 0; j < l->nrows; j++) {
			r = &l->rows[j];
			alen = r->key.family == 4 ? 4 : 16;
			memset(&ck, 0, sizeof ck);
			memcpy(ck.sip, r->key.sip, alen);
			memcpy(ck.dip, r->key.dip, alen);
			ck.alen = alen;
			ck.dport = r->key.dport;
			ck.proto = r->key.proto;
			ck.vlan = r->key.vlan;
			if (q->cond != NULL && !cond_match(q->cond, &ck))
				continue;
			memset(&k, 0, sizeof k);
			if (q->attrs & QA_TIME)
				k.ts = q->resolution > 0 ? l->ts - ((l->ts %
				    q->resolution) + q->resolution) %
				    q->resolution : l->ts;
			if (q->attrs & QA_IFACE)
				k.iface = l->iface;
			if (q->attrs & QA_SIP) {
				k.salen = alen;
				memcpy(k.sip, ck.sip, 16);
			}
			if (q->attrs & QA_DIP) {
				k.dalen = alen;
				memcpy(k.dip, ck.dip, 16);
			}
			if (q->attrs & QA_DPORT)
				k.dport = ck.dport;
			if (q->attrs & QA_PROTO)
				k.proto = ck.proto;
			if (q->attrs & QA_VLAN)
				k.vlan = ck.vlan;
			gtab_add(g, &k, r->bytes_rcvd, r->bytes_sent,
			    r->pkts_rcvd, r->pkts_sent);
			res->data = 1;
			res->iface_data[l->iface] = 1;
		}
	}
}

static int
skipped(const struct qresult *res, size_t file)
{
	size_t i;

	for (i = 0; i < res->nskipped; i++) {
		if (res->skipped[i].file == file)
			return 1;
	}
	return 0;
}

int
qexec_run(const struct qquery *q, const struct qfiles *files,
    struct qresult *res, char **cause)
{
	struct gtab	 g;
	struct final	 fin;
	struct arena	 ar;
	struct qwatch	 w;
	struct qresult	 keep;
	uint64_t	 start = util_now_ns();
	size_t		 i, prev;
	char		*why = NULL;
	int		 nthreads = q->threads, rc = 0;
	long		 ncpu;

	memset(res, 0, sizeof *res);
	memset(&g, 0, sizeof g);
	memset(&fin, 0, sizeof fin);
	memset(&ar, 0, sizeof ar);
	if ((res->iface_data = calloc(files->nifaces + 1, sizeof(int))) ==
	    NULL)
		abort();
	if (nthreads <= 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (int)ncpu;
	}
	qwatch_init(&w, q->cancel, q->timeout);
again:
	prev = SIZE_MAX;
	for (i = 0; i < files->nfiles; i++) {
		if (qwatch_stopped(&w)) {
			rc = util_cause(cause, -1, "%s", qwatch_why(&w));
			break;
		}
		if (skipped(res, i))
			continue;
		/* time buckets never span days: finish each day's groups */
		if ((q->attrs & QA_TIME) && prev != SIZE_MAX &&
		    files->files[i].day != files->files[prev].day)
			finalize(q, &g, &fin, res);
		prev = i;
		if ((rc = run_file(q, &w, &files->files[i],
		    files->ifaces[files->files[i].iface], &g, &ar, res,
		    nthreads, &why)) == 0)
			continue;
		if (qwatch_stopped(&w)) {
			util_cause(cause, -1, "%s", why != NULL ? why :
			    qwatch_why(&w));
			free(why);
			break;
		}
		/*
		 * A file that cannot be read is left out and named; what it
		 * may have added is dropped by running the rest again.
		 */
		res->skipped = util_realloc(res->skipped, res->nskipped + 1,
		    sizeof *res->skipped);
		res->skipped[res->nskipped].file = i;
		res->skipped[res->nskipped++].reason = why;
		why = NULL;
		gtab_clear(&g);
		free(fin.rows);
		memset(&fin, 0, sizeof fin);
		arena_free(&ar);
		memset(&ar, 0, sizeof ar);
		keep = *res;
		memset(res, 0, sizeof *res);
		res->skipped = keep.skipped;
		res->nskipped = keep.nskipped;
		res->iface_data = keep.iface_data;
		memset(res->iface_data, 0, (files->nifaces + 1) * sizeof(int));
		rc = 0;
		goto again;
	}
	arena_free(&ar);
	if (rc != 0) {
		gtab_clear(&g);
		free(fin.rows);
		qexec_free(res);
		return -1;
	}
	live_add(q, files, &g, res);
	finalize(q, &g, &fin, res);
	if (q->limit > 0 && fin.n > q->limit) {
		select_best(q, fin.rows, fin.n, q->limit);
		fin.n = q->limit;
	}
	sort_rows(q, fin.rows, fin.n);
	res->rows = fin.rows;
	res->nrows = fin.n;
	res->duration_ns = util_now_ns() - start;
	return 0;
}

void
qexec_free(struct qresult *res)
{
	size_t i;

	for (i = 0; i < res->nskipped; i++)
		free(res->skipped[i].reason);
	free(res->skipped);
	free(res->rows);
	free(res->iface_data);
	memset(res, 0, sizeof *res);
}
