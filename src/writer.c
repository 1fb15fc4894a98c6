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

#include <stdlib.h>
#include <string.h>

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

	int		 closing;
	int		 finished;
	uint64_t	 deadline_ns;
	void		(*done)(void *, const struct writer_stats *);
	void		*done_arg;
};

static void	writer_start(struct writer *);

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

	w->w_cause = NULL;
	memset(&w->w_res, 0, sizeof w->w_res);
	w->w_rc = store_write_bin(w->store, w->head, &w->w_res, &w->w_cause);
}

static void
writer_closed(uv_handle_t *h)
{
	struct writer *w = h->data;
	struct writer_stats st = w->st;

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
		writer_committed(w, b);
		flowtab_bin_release(w->ft, b);
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
