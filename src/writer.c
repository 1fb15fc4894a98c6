/*
 * writer.c - per-interface write-out of frozen bins (see writer.h).
 *
 * State lives on the loop thread; the worker thread only runs
 * store_write_bin() on the head bin and leaves its result in the writer
 * for after_work.  At most one write is in flight, so the store is used by
 * one thread at a time and the bin being written is never touched by the
 * loop (push appends behind it, drops skip it).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "util.h"
#include "writer.h"

struct writer {
	uv_loop_t	*loop;
	struct store	*store;
	struct flowtab	*ft;
	char		*iface;
	struct writer_config cfg;

	struct flowtab_bin *head, *tail;	/* FIFO through bin->next */
	int		 busy;			/* head is being written */
	uv_work_t	 work;
	uv_timer_t	 retry;
	int		 retry_armed;
	uint32_t	 backoff_ms;

	/* Left by the worker for after_work. */
	int		 w_rc;
	char		*w_cause;
	struct store_write_result w_res;

	struct writer_stats st;
	int		 failing;		/* last write failed */
	uint64_t	 w_ns;			/* the worker's write took */
	uint64_t	 w_bytes;		/* ... of flows of this many bytes */

	/* writer_when_written(): bins out of the queue (written or
	   dropped), and who waits for a count of them. */
	uint64_t	 out;
	struct {
		uint64_t target;
		int	 dropped;
		void	(*done)(void *, int);
		void	*arg;
	}		 waiters[WRITER_WAITERS];
	size_t		 nwaiters;

	int		 closing;
	int		 finished;
	uint64_t	 deadline_ns;
	void		(*done)(void *, const struct writer_stats *);
	void		*done_arg;
};

static void	writer_start(struct writer *);
static void	writer_out(struct writer *, int dropped);

static writer_commit_hook *commit_hook;
static void		*commit_arg;

void
writer_set_commit_hook(writer_commit_hook *fn, void *arg)
{
	commit_hook = fn;
	commit_arg = arg;
}

/* Tell the hook how far this interface's bins are final. */
static void
writer_committed(struct writer *w, const struct flowtab_bin *b)
{
	int64_t open = flowtab_open_bin(w->ft), horizon = INT64_MAX;

	if (commit_hook == NULL)
		return;
	if (open != INT64_MIN)
		horizon = open * (int64_t)b->interval;
	if (w->head != NULL && w->head->ts < horizon)
		horizon = w->head->ts;
	commit_hook(commit_arg, w->iface, horizon);
}

struct writer *
writer_new(uv_loop_t *loop, const char *db_dir, const char *iface,
    struct flowtab *ft, const struct writer_config *cfg)
{
	struct writer *w = util_calloc(1, sizeof *w);

	w->store = store_new(db_dir, iface);
	if (w->store == NULL) {
		free(w);
		return NULL;
	}
	w->loop = loop;
	w->ft = ft;
	w->iface = util_strdup(iface);
	w->cfg = *cfg;
	if (w->cfg.retry_min_ms == 0)
		w->cfg.retry_min_ms = 500;
	if (w->cfg.retry_max_ms < w->cfg.retry_min_ms)
		w->cfg.retry_max_ms = w->cfg.retry_min_ms;
	w->backoff_ms = w->cfg.retry_min_ms;
	uv_timer_init(loop, &w->retry);
	w->retry.data = w;
	return w;
}

static void
writer_drop(struct writer *w, struct flowtab_bin *b, const char *why)
{
	char day[16];

	util_utc_day(b->ts, day, sizeof day);
	log_error("%s: dropping bin %lld (%s) of %zu rows: %s", w->iface,
	    (long long)b->ts, day, b->nrows, why);
	w->st.bins_dropped++;
	w->st.rows_dropped += b->nrows;
	w->st.queued_bins--;
	w->st.queued_rows -= b->nrows;
	flowtab_bin_release(w->ft, b);
	writer_out(w, 1);
}

/* A bin left the queue: wake whoever waited for it. */
static void
writer_out(struct writer *w, int dropped)
{
	size_t i = 0;
	void (*done)(void *, int);
	void *arg;
	int ok;

	w->out++;
	while (i < w->nwaiters) {
		if (dropped)
			w->waiters[i].dropped = 1;
		if (w->waiters[i].target > w->out) {
			i++;
			continue;
		}
		done = w->waiters[i].done;
		arg = w->waiters[i].arg;
		ok = !w->waiters[i].dropped;
		w->waiters[i] = w->waiters[--w->nwaiters];
		done(arg, ok);
	}
}

int
writer_when_written(struct writer *w, void (*done)(void *, int), void *arg)
{
	if (w->st.queued_bins == 0) {
		done(arg, 1);
		return 0;
	}
	if (w->nwaiters == WRITER_WAITERS)
		return -EBUSY;
	w->waiters[w->nwaiters].target = w->out + w->st.queued_bins;
	w->waiters[w->nwaiters].dropped = 0;
	w->waiters[w->nwaiters].done = done;
	w->waiters[w->nwaiters].arg = arg;
	w->nwaiters++;
	return 0;
}

/* Drop waiting bins, oldest first, never the one being written. */
static void
writer_bound(struct writer *w, int all)
{
	struct flowtab_bin **pp, *b;

	pp = w->busy ? &w->head->next : &w->head;
	while ((b = *pp) != NULL && (all ||
	    (w->st.queued_rows > w->cfg.max_rows && b != w->tail))) {
		*pp = b->next;
		if (w->tail == b)
			w->tail = w->busy ? w->head : NULL;
		writer_drop(w, b, all ? "giving up at shutdown" :
		    "too many rows waiting for the store");
	}
	if (w->head == NULL)
		w->tail = NULL;
}

void
writer_push(struct writer *w, struct flowtab_bin *b)
{
	b->next = NULL;
	if (w->tail != NULL)
		w->tail->next = b;
	else
		w->head = b;
	w->tail = b;
	w->st.queued_bins++;
	w->st.queued_rows += b->nrows;
	if (w->cfg.max_rows != 0 && w->st.queued_rows > w->cfg.max_rows)
		writer_bound(w, 0);
	writer_start(w);
}

static void
writer_work(uv_work_t *req)
{
	struct writer *w = req->data;
	const struct flowtab_bin *b = w->head;
	uint64_t t0 = util_now_ns();
	size_t i;

	w->w_cause = NULL;
	memset(&w->w_res, 0, sizeof w->w_res);
	w->w_rc = store_write_bin(w->store, b, &w->w_res, &w->w_cause);
	w->w_ns = util_now_ns() - t0;
	w->w_bytes = 0;
	for (i = 0; i < b->nrows; i++)
		w->w_bytes += b->rows[i].bytes_rcvd + b->rows[i].bytes_sent;
}

/* A write-out's time into the stats and the histogram. */
static void
writer_timed(struct writer *w, size_t rows)
{
	static const double bounds[WRITER_HIST_N] = WRITER_HIST_BOUNDS;
	struct timespec ts;
	size_t i;

	clock_gettime(CLOCK_REALTIME, &ts);
	w->st.last_write_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	w->st.last_duration_ns = w->w_ns;
	w->st.last_rows = rows;
	w->st.bytes_written += w->w_bytes;
	w->st.duration_ns_sum += w->w_ns;
	for (i = 0; i < WRITER_HIST_N; i++)
		if ((double)w->w_ns <= bounds[i] * 1e9) {
			w->st.hist[i]++;
			break;
		}
}

static void
writer_closed(uv_handle_t *h)
{
	struct writer *w = h->data;
	struct writer_stats st = w->st;
	size_t i;

	/* Nothing more leaves the queue: whoever still waits, hears it. */
	for (i = 0; i < w->nwaiters; i++)
		w->waiters[i].done(w->waiters[i].arg, 0);
	w->nwaiters = 0;
	store_free(w->store);
	free(w->iface);
	if (w->done != NULL)
		w->done(w->done_arg, &st);
	free(w);
}

static void
writer_finish(struct writer *w)
{
	if (w->finished)
		return;
	w->finished = 1;
	uv_timer_stop(&w->retry);
	uv_close((uv_handle_t *)&w->retry, writer_closed);
}

static void
writer_retry_cb(uv_timer_t *t)
{
	struct writer *w = t->data;

	w->retry_armed = 0;
	writer_start(w);
}

static void
writer_after_work(uv_work_t *req, int status)
{
	struct writer *w = req->data;
	struct flowtab_bin *b = w->head;
	uint64_t delay;

	w->busy = 0;
	if (status == 0 && w->w_rc == 0) {
		w->head = b->next;
		if (w->head == NULL)
			w->tail = NULL;
		w->st.bins_written++;
		w->st.rows_written += b->nrows;
		w->st.queued_bins--;
		w->st.queued_rows -= b->nrows;
		if (w->failing)
			log_info("%s: writing again (bin %lld)", w->iface,
			    (long long)b->ts);
		else
			log_debug("%s: bin %lld written: %zu rows (%zu new, "
			    "%zu added to)", w->iface, (long long)b->ts,
			    b->nrows, w->w_res.rows_new, w->w_res.rows_updated);
		w->failing = 0;
		w->backoff_ms = w->cfg.retry_min_ms;
		writer_timed(w, b->nrows);
		writer_committed(w, b);
		flowtab_bin_release(w->ft, b);
		writer_out(w, 0);
		writer_start(w);
		return;
	}

	w->st.write_errors++;
	log_error("%s: writing bin %lld failed, keeping it (retry in %u ms): "
	    "%s", w->iface, (long long)b->ts, w->backoff_ms,
	    w->w_cause ? w->w_cause : uv_strerror(status));
	free(w->w_cause);
	w->w_cause = NULL;
	w->failing = 1;
	store_close_day(w->store);
	if (w->closing && util_now_ns() >= w->deadline_ns) {
		writer_bound(w, 1);
		writer_finish(w);
		return;
	}
	delay = w->backoff_ms;
	if (w->closing && (w->deadline_ns - util_now_ns()) / 1000000 < delay)
		delay = (w->deadline_ns - util_now_ns()) / 1000000 + 1;
	w->backoff_ms = w->backoff_ms * 2 > w->cfg.retry_max_ms ?
	    w->cfg.retry_max_ms : w->backoff_ms * 2;
	w->retry_armed = 1;
	uv_timer_start(&w->retry, writer_retry_cb, delay, 0);
}

static void
writer_start(struct writer *w)
{
	if (w->busy || w->retry_armed)
		return;
	if (w->head == NULL) {
		if (w->closing)
			writer_finish(w);
		return;
	}
	w->busy = 1;
	/* Closing, with this bin the last: the store keeps no maps for more. */
	store_set_last(w->store, w->closing && w->head->next == NULL);
	w->work.data = w;
	if (uv_queue_work(w->loop, &w->work, writer_work,
	    writer_after_work) != 0) {
		w->busy = 0;
		log_error("%s: cannot queue a write", w->iface);
	}
}

void
writer_close(struct writer *w, uint32_t deadline_ms,
    void (*done)(void *, const struct writer_stats *), void *arg)
{
	w->closing = 1;
	w->deadline_ns = util_now_ns() + (uint64_t)deadline_ms * 1000000;
	w->done = done;
	w->done_arg = arg;
	/* A bin waiting for its back-off is tried again at once. */
	if (w->retry_armed) {
		uv_timer_stop(&w->retry);
		w->retry_armed = 0;
	}
	writer_start(w);
}

void
writer_get_stats(const struct writer *w, struct writer_stats *st)
{
	*st = w->st;
}
