/*
 * qexec_plan.c - one day file of a query (qexec__run_file(), called by
 * qexec.c): open it, read its bins and complete rollups in range, find the
 * matching key ids, cut the ts range into units (each read from one
 * table), choose seek or scan, share the units out to jobs (threads) by
 * their row estimate, run them and merge their sums (qexec_scan.c).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "qexec_int.h"
#include "qpaste.h"
#include "util.h"

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
	qexec__show_sql(fc->q, sql, &cs, INT64_MIN, 0);
	rc = sqlite3_prepare_v2(fc->db, sql, -1, &st, NULL);
	free(sql);
	if (rc == SQLITE_OK)
		rc = qexec__bind_cond(st, 1, &cs);
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
	return q->resolution > 0 && q->resolution % qexec__src_span[s] == 0;
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
		if (span == qexec__src_span[SRC_DAY])
			s = SRC_DAY;
		else if (span == qexec__src_span[SRC_HOUR])
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
			while (d < nd && days[d].ts + qexec__src_span[SRC_DAY] - 1 <
			    r[i].ts)
				d++;
			if (d < nd && r[i].ts + qexec__src_span[SRC_HOUR] - 1 >=
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
		end = r[i].ts + qexec__src_span[r[i].src] - 1;
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
			b = roll[r].ts + qexec__src_span[roll[r].src] - 1;
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

int
qexec__run_file(const struct qquery *q, const struct qwatch *w,
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
		pthread_mutex_lock(&qexec__show_lock);
		qpaste_print(stderr, q, f->path, ifname, fc.lo, fc.hi);
		pthread_mutex_unlock(&qexec__show_lock);
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
	if (qexec__arena_fit(ar, fc.maxkey, fc.maxaddr, 0) != 0) {
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
			qexec__fctx_error(&fc, "selecting flow keys", fc.db);
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
		/* number the matching keys: their slots (see qexec__key_slot()) */
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
	if (qexec__arena_fit(ar, fc.maxkey, fc.maxaddr, njobs) != 0) {
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
		if (pthread_create(&jobs[t].th, NULL, qexec__job_run, &jobs[t]) == 0)
			jobs[t].started = 1;
		else
			qexec__job_run(&jobs[t]);
	}
	qexec__job_run(&jobs[0]);
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
		qexec__job_flush(&jobs[0]);
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

