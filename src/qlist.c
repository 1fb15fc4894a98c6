/*
 * qlist.c - `flowq list` (see qlist.h).
 *
 * Two threads take the day files one by one.  A file whose catalog row is
 * valid and whose bins lie all inside [lo, hi] is answered by the row; one
 * whose bins lie all outside it contributes nothing; any other file is
 * opened and its bins in range summed (catalog_day_sum()).  The catalog
 * knows the start of a day's last bin, not its end, which `list` prints:
 * so each interface's latest file with data is opened to read that bin's
 * interval.  Bins never overlap (one interval, dividing the day,
 * aligned), so no earlier bin can end later.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "qexec.h"
#include "qlist.h"
#include "util.h"

#define QLIST_THREADS	2

/* A catalog row that stands for "no bin in range". */
static const struct catalog_day nothing = { .bins = 0 };

struct work {
	const struct qfiles *files;
	const struct catalog_day **cat;	/* per file: its valid catalog row */
	uint8_t		*end;		/* per file: read the last bin's end */
	struct qlist_row *per_file;
	char		**reason;	/* per file: why it could not be read */
	int64_t		 lo, hi;
	size_t		 next;
	pthread_mutex_t	 lock;
};

/* A file's row from its catalog row (wholly inside the range). */
static void
from_catalog(struct qlist_row *r, const struct catalog_day *d)
{
	r->data = d->bins > 0;
	if (!r->data)
		return;
	r->sum = *d;
	r->sum.iface = NULL;
	r->first = d->first;
	r->last = d->last;	/* the start of the last bin: see plan() */
}

/* Which files the catalog answers (see the top of this file). */
static void
plan(struct work *w, const struct catalog *cat)
{
	const struct qfiles	*files = w->files;
	const struct catalog_day *d, **latest;
	const struct qfile	*f;
	size_t			 i;

	if ((latest = calloc(files->nifaces + 1, sizeof *latest)) == NULL)
		abort();
	for (i = 0; cat != NULL && i < files->nfiles; i++) {
		f = &files->files[i];
		d = catalog_find(cat, files->ifaces[f->iface], f->day, f->path);
		if (d == NULL)
			continue;
		if (d->bins > 0 && (d->last < w->lo || d->first > w->hi)) {
			w->cat[i] = &nothing;
			continue;
		}
		if (d->bins > 0 && (d->first < w->lo || d->last > w->hi))
			continue;
		w->cat[i] = d;
		if (d->bins > 0 && (latest[f->iface] == NULL ||
		    d->last > latest[f->iface]->last))
			latest[f->iface] = d;
	}
	for (i = 0; i < files->nfiles; i++) {
		if (w->cat[i] != NULL &&
		    w->cat[i] == latest[files->files[i].iface])
			w->end[i] = 1;
	}
	free(latest);
}

/* The end of the bin that starts at ts, or -1. */
static int64_t
bin_end(sqlite3 *db, int64_t ts)
{
	sqlite3_stmt	*st;
	int64_t		 end = -1, iv;

	if (sqlite3_prepare_v2(db, "SELECT interval FROM bins WHERE ts = ?",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, ts);
	/* a day file's bin lasts at most a day (a damaged one: no end) */
	if (sqlite3_step(st) == SQLITE_ROW && (iv = sqlite3_column_int64(st,
	    0)) > 0 && iv <= 86400 && ts >= 0 && ts <= INT64_MAX - iv)
		end = ts + iv;
	sqlite3_finalize(st);
	return end;
}

/* Sum file i into w->per_file[i]; NULL, or why it could not be read. */
static char *
run_file(struct work *w, size_t i)
{
	const struct qfile	*f = &w->files->files[i];
	struct qlist_row	*r = &w->per_file[i];
	sqlite3			*db;
	char			*cause = NULL;
	int64_t			 end;

	if (w->cat[i] != NULL && !w->end[i]) {
		from_catalog(r, w->cat[i]);
		return NULL;
	}
	if ((db = qstore_open_day(f->path, f->day, &cause)) == NULL)
		return cause;
	qexec_watch(db, NULL);
	/* the catalog's sums, and the end of the last bin */
	if (w->cat[i] != NULL && (end = bin_end(db, w->cat[i]->last)) >= 0) {
		from_catalog(r, w->cat[i]);
		r->last = end;
		sqlite3_close(db);
		return NULL;
	}
	if (catalog_day_sum(db, w->lo, w->hi, 1, &r->sum, &end) != SQLITE_OK)
		cause = util_printf("%s: %s", f->path, sqlite3_errmsg(db));
	else if (r->sum.bins > 0) {
		r->data = 1;
		r->first = r->sum.first;
		r->last = end;
	}
	sqlite3_close(db);
	return cause;
}

static void *
run(void *arg)
{
	struct work	*w = arg;
	size_t		 i;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		i = w->next++;
		pthread_mutex_unlock(&w->lock);
		if (i >= w->files->nfiles || qexec_interrupted())
			return NULL;
		w->per_file[i].data = 0;
		w->reason[i] = run_file(w, i);
		if (w->reason[i] != NULL)
			memset(&w->per_file[i], 0, sizeof w->per_file[i]);
	}
}

/* Add the counters of b to a, and widen a's time span by b's. */
static void
row_add(struct qlist_row *a, const struct qlist_row *b)
{
	struct catalog_day	*x = &a->sum;
	const struct catalog_day *y = &b->sum;

	if (!b->data)
		return;
	if (!a->data || b->first < a->first)
		a->first = b->first;
	if (!a->data || b->last > a->last)
		a->last = b->last;
	a->data = 1;
	x->bins += y->bins;
	x->packets += y->packets;
	x->ip += y->ip;
	x->non_ip += y->non_ip;
	x->malformed += y->malformed;
	x->flows += y->flows;
	x->flows_v4 += y->flows_v4;
	x->flows_v6 += y->flows_v6;
	x->bytes_rcvd += y->bytes_rcvd;
	x->bytes_sent += y->bytes_sent;
	x->pkts_rcvd += y->pkts_rcvd;
	x->pkts_sent += y->pkts_sent;
	x->kernel_packets += y->kernel_packets;
	x->kernel_drops += y->kernel_drops;
}

int
qlist_run(const struct qfiles *files, int64_t lo, int64_t hi,
    const char *dbdir, int use_catalog, struct qlist *out, char **cause)
{
	struct catalog	*cat = NULL;
	struct work	 w;
	struct qlist_skip *s;
	pthread_t	 th[QLIST_THREADS];
	size_t		 i, nth = 0;
	int		 rc = 0;

	memset(out, 0, sizeof *out);
	memset(&w, 0, sizeof w);
	out->files = files;
	w.files = files;
	w.lo = lo;
	w.hi = hi;
	if ((w.cat = calloc(files->nfiles + 1, sizeof *w.cat)) == NULL ||
	    (w.end = calloc(files->nfiles + 1, 1)) == NULL ||
	    (w.per_file = calloc(files->nfiles + 1, sizeof *w.per_file)) ==
	    NULL || (w.reason = calloc(files->nfiles + 1,
	    sizeof *w.reason)) == NULL ||
	    (out->rows = calloc(files->nifaces + 1, sizeof *out->rows)) ==
	    NULL)
		abort();
	if (use_catalog)
		cat = catalog_open(dbdir);
	plan(&w, cat);
	pthread_mutex_init(&w.lock, NULL);
	for (nth = 0; nth < QLIST_THREADS; nth++) {
		if (pthread_create(&th[nth], NULL, run, &w) != 0)
			break;
	}
	if (nth == 0)
		run(&w);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	if (qexec_interrupted())
		rc = util_cause(cause, -1, "interrupted");

	for (i = 0; i < files->nfiles; i++) {
		row_add(&out->rows[files->files[i].iface], &w.per_file[i]);
		if (w.reason[i] == NULL)
			continue;
		if ((out->skipped = realloc(out->skipped, (out->nskipped + 1) *
		    sizeof *out->skipped)) == NULL)
			abort();
		s = &out->skipped[out->nskipped++];
		s->iface = files->files[i].iface;
		s->path = util_strdup(files->files[i].path);
		s->reason = w.reason[i];
	}
	for (i = 0; i < files->nifaces; i++) {
		if (!out->rows[i].data)
			continue;
		out->nrows++;
		row_add(&out->total, &out->rows[i]);
	}
	pthread_mutex_destroy(&w.lock);
	catalog_free(cat);
	free(w.cat);
	free(w.end);
	free(w.per_file);
	free(w.reason);
	if (rc != 0)
		qlist_free(out);
	return rc;
}

void
qlist_free(struct qlist *l)
{
	size_t i;

	for (i = 0; i < l->nskipped; i++) {
		free(l->skipped[i].path);
		free(l->skipped[i].reason);
	}
	free(l->skipped);
	free(l->rows);
	memset(l, 0, sizeof *l);
}
