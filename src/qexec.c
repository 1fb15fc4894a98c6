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
 *
 * This file is the API (qexec_run() over the files, one after the other,
 * then the daemon's open bins) and the query's watch; the work of a file
 * is in qexec_plan.c, of a job in qexec_scan.c, the groups and the order in
 * qexec_group.c (qexec_int.h lists them).
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
#include "qexec_int.h"
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

/* ------------------------------------------------------------ results */

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
			qexec__gtab_add(g, &k, r->bytes_rcvd, r->bytes_sent,
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
			qexec__finalize(q, &g, &fin, res);
		prev = i;
		if ((rc = qexec__run_file(q, &w, &files->files[i],
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
		qexec__gtab_clear(&g);
		free(fin.rows);
		memset(&fin, 0, sizeof fin);
		qexec__arena_free(&ar);
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
	qexec__arena_free(&ar);
	if (rc != 0) {
		qexec__gtab_clear(&g);
		free(fin.rows);
		qexec_free(res);
		return -1;
	}
	live_add(q, files, &g, res);
	qexec__finalize(q, &g, &fin, res);
	if (q->limit > 0 && fin.n > q->limit) {
		qexec__select_best(q, fin.rows, fin.n, q->limit);
		fin.n = q->limit;
	}
	qexec__sort_rows(q, fin.rows, fin.n);
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

