/*
 * qexec_scan.c - one job of a day file (see qexec_int.h): the statements
 * that read its units (a scan of ts ranges testing the key bitmap, or a
 * seek of each matching key), the rows summed per key slot inside SQLite's
 * loop (flowq_acc()), the dictionary loaded on demand, and the touched
 * keys mapped to groups (qexec__job_flush()).  Also the arena: the
 * id-indexed arrays every file of a run reuses.  Called by qexec_plan.c,
 * on the caller's thread or one thread per job.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <sqlite3.h>

#include "qexec_int.h"
#include "util.h"

/* ------------------------------------------------------------ memory */

#define ZHDR		64	/* keeps the arrays cache-line aligned */
#define ZPOPULATE	(1 << 20)


/*
 * Zeroed arrays indexed by dictionary ids (up to millions of slots per
 * file) come straight from the kernel: its fresh pages are zero, and a
 * page costs only when touched, so a seek that touches a few keys does
 * not pay for clearing megabytes (malloc would, once its mmap threshold
 * has grown past the array's size).  NULL when the system has no room
 * (qexec__arena_fit() says so).  Free with zfree().
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


/*
 * Room for key ids 0..maxkey, address ids 0..maxaddr and njobs jobs: 0, or
 * -1 with the arena emptied when the system has no room for them.
 */
int
qexec__arena_fit(struct arena *a, int64_t maxkey, int64_t maxaddr, size_t njobs)
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
		qexec__arena_free(a);
	return fail ? -1 : 0;
}

void
qexec__arena_free(struct arena *a)
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

static inline int64_t
slot_key(const struct fctx *fc, uint32_t slot)
{
	return fc->ids != NULL ? (int64_t)fc->ids[slot] : (int64_t)slot;
}

void
qexec__fctx_error(struct fctx *fc, const char *what, sqlite3 *db)
{
	pthread_mutex_lock(&fc->lock);
	fctx_error_locked(fc, what, db);
	pthread_mutex_unlock(&fc->lock);
}

pthread_mutex_t qexec__show_lock = PTHREAD_MUTEX_INITIALIZER;

/* --sql: a statement (once) and its parameters, on stderr. */
void
qexec__show_sql(const struct qquery *q, const char *sql,
    const struct cond_sql *cs, int64_t lo, int64_t hi)
{
	static char	*shown[16];
	size_t		 i, j;

	if (!q->print_sql)
		return;
	pthread_mutex_lock(&qexec__show_lock);
	for (i = 0; i < 16 && shown[i] != NULL; i++) {
		if (strcmp(shown[i], sql) == 0) {
			pthread_mutex_unlock(&qexec__show_lock);
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
	pthread_mutex_unlock(&qexec__show_lock);
}

/* --sql: the ts range a statement reads (the last two parameters). */
static void
show_range(const struct qquery *q, const char *path, const char *table,
    int64_t lo, int64_t hi)
{
	if (!q->print_sql)
		return;
	pthread_mutex_lock(&qexec__show_lock);
	fprintf(stderr, "--   %s: %s ts > %lld AND ts <= %lld\n", path, table,
	    (long long)lo, (long long)hi);
	pthread_mutex_unlock(&qexec__show_lock);
}

int
qexec__bind_cond(sqlite3_stmt *st, int first, const struct cond_sql *cs)
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
		if ((slot = qexec__key_slot(fc, id)) < 0)
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
void
qexec__job_flush(struct job *j)
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
		qexec__gtab_add(fc->g, &k, a->br, a->bs, a->pr, a->ps);
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

	if ((slot = qexec__key_slot(j->fc, key)) < 0)
		return;
	if (q->attrs & QA_TIME) {
		b = q->resolution > 0 ? ts - ((ts % q->resolution) +
		    q->resolution) % q->resolution : ts;
		if (b != j->bucket) {
			qexec__job_flush(j);
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

static const char *const src_table[SRC_N] = { "flow_rows", "flow_rows_1h",
    "flow_rows_1d" };
const int64_t qexec__src_span[SRC_N] = { 0, 3600, 86400 };

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
	sqlite3_bind_int64(st, 1, qexec__src_span[s]);
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
			    src_table[s], (long long)qexec__src_span[s]);
		else
			sql = util_printf(j->fc->key_index ? seek_key_sql_fmt :
			    seek_sql_fmt, cs->where);
		*first = (int)cs->nparams + 1;
	}
	rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);
	if (rc == SQLITE_OK && j->seek)
		rc = qexec__bind_cond(*st, 1, cs);
	qexec__show_sql(q, sql, j->seek ? cs : NULL, INT64_MIN, 0);
	free(sql);
	return rc;
}

void *
qexec__job_run(void *arg)
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
			qexec__fctx_error(fc, "reading flow rows", db);
			break;
		}
		rc = sqlite3_reset(st[s]);
	}
	if (rc != SQLITE_OK && rc != SQLITE_DONE)
		qexec__fctx_error(fc, "preparing the row query", db);
	else if (fc->q->attrs & QA_TIME)
		qexec__job_flush(j);
	for (s = 0; s < SRC_N; s++)
		sqlite3_finalize(st[s]);
	cond_sql_clear(&cs);
	if (own) {
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(db);
	}
	return NULL;
}

