/*
 * export.c - the export's destinations and their threads (see export.h).
 *
 * One thread per destination, so that a slow or dead one never holds up
 * another, and none holds up the caller's loop: the loop only takes the
 * mutex to set a horizon, to kick, or to copy the status.  A thread:
 *
 *   1. registers its destination in export.db (export_spool.c), retrying
 *      while the file cannot be written;
 *   2. takes the destination's lock, so that a --read beside a running
 *      daemon (or two daemons on one store) never sends a bin twice;
 *   3. loops: look at the day files again when kicked or every
 *      EXPORT_SCAN_S seconds, take the oldest final pending bin, send it
 *      (paced to the configured rows per second), record it; after a
 *      failure wait 1, 2, 4 ... retry_max seconds and try again, from the
 *      same bin, so the backlog drains oldest first once the destination
 *      is back.
 *
 * Stopping abandons the bin in flight (it stays pending: the only bin a
 * destination may receive twice) after the caller's deadline.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export.h"
#include "export_int.h"
#include "util.h"

#define EXPORT_SCAN_S		10	/* bins written by other processes */
#define EXPORT_REGISTER_S	10	/* retry registering, or the lock */
#define EXPORT_RETRY_MIN_MS	1000

struct export_dest {
	struct export	*exp;
	char		*name;
	const struct export_driver *drv;
	void		*impl;
	char		**pats;		/* interface names or /regex/ */
	regex_t		*res;		/* compiled /regex/ entries */
	size_t		 npats;
	int		 backfill;
	int		 resend_changed;
	uint32_t	 rate;
	uint32_t	 retry_max_ms;
	pthread_t	 thread;
	int		 started;
	atomic_int	 cancel;
	/* Under exp->mu. */
	struct export_status st;
	int		 registered;	/* 0 not yet, 1 yes, -1 failed */
	int		 drained;	/* export_drain(): done with it */
	int		 retry_now;	/* export_drain(): no back-off */
	int		 drain_fails;	/* failures in a row while draining */
	int		 exited;
};

struct export_hz {
	char		*iface;
	int64_t		 ts;
};

struct export {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cond;
	char		*db_dir;
	struct export_dest *dests;
	size_t		 ndests;
	struct export_hz *hz;
	size_t		 nhz;
	uint64_t	 kicks;
	int		 stopping;
	int		 draining;
	int		 joined;
};

static int64_t
export_unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Wait on the condition for at most ms (mutex held). */
static void
export_wait(struct export *e, uint64_t ms)
{
	struct timespec ts;

	if (ms > 3600000)
		ms = 3600000;
	util_deadline(&ts, (unsigned)ms);
	pthread_cond_timedwait(&e->cond, &e->mu, &ts);
}

/* --------------------------------------------------- the schedule */

static int
dest_want(void *arg, const char *iface)
{
	struct export_dest *d = arg;
	size_t i;

	if (d->npats == 0)
		return 1;
	for (i = 0; i < d->npats; i++) {
		if (d->pats[i][0] == '/' ? regexec(&d->res[i], iface, 0, NULL,
		    0) == 0 : strcmp(d->pats[i], iface) == 0)
			return 1;
	}
	return 0;
}

static int
dest_ready(void *arg, const char *iface, int64_t ts, uint32_t interval)
{
	struct export_dest *d = arg;
	struct export *e = d->exp;
	size_t i;
	int r;

	pthread_mutex_lock(&e->mu);
	for (i = 0; i < e->nhz; i++)
		if (strcmp(e->hz[i].iface, iface) == 0)
			break;
	if (i < e->nhz)
		r = ts < e->hz[i].ts;
	else
		r = ts + (int64_t)interval + EXPORT_SETTLE_S <=
		    (int64_t)time(NULL);
	pthread_mutex_unlock(&e->mu);
	return r;
}

static void
dest_error(struct export_dest *d, const char *state, char *cause)
{
	d->st.state = state;
	d->st.last_error_time = export_unix_ns();
	free(d->st.last_error);
	d->st.last_error = cause ? cause : util_strdup("unknown error");
}

/* ------------------------------------------------------ the thread */

/* Register the destination and take its lock; 0, or -1 to end. */
static int
dest_prepare(struct export_dest *d, struct spool **sp)
{
	struct export *e = d->exp;
	char *cause = NULL;
	int rc;

	for (;;) {
		rc = spool_open(e->db_dir, d->name, d->backfill,
		    d->resend_changed, (int64_t)time(NULL), sp, &cause);
		pthread_mutex_lock(&e->mu);
		d->registered = rc == 0 ? 1 : -1;
		if (rc != 0) {
			log_error("export: %s: %s", d->name, cause);
			dest_error(d, "failing", cause);
			cause = NULL;
		}
		pthread_cond_broadcast(&e->cond);
		if (rc == 0 || e->stopping || e->draining) {
			pthread_mutex_unlock(&e->mu);
			break;
		}
		export_wait(e, EXPORT_REGISTER_S * 1000);
		pthread_mutex_unlock(&e->mu);
	}
	if (rc != 0)
		return -1;
	for (;;) {
		if ((rc = spool_lock(*sp, &cause)) == 0)
			return 0;
		pthread_mutex_lock(&e->mu);
		if (rc == -EAGAIN) {
			if (strcmp(d->st.state, "locked") != 0)
				log_info("export: %s: another flowrecd process "
				    "sends to it; waiting", d->name);
			dest_error(d, "locked", util_strdup("another flowrecd "
			    "process sends to this destination"));
		} else
			dest_error(d, "failing", cause);
		cause = NULL;
		if (e->stopping || e->draining) {
			pthread_mutex_unlock(&e->mu);
			return -1;
		}
		export_wait(e, EXPORT_REGISTER_S * 1000);
		pthread_mutex_unlock(&e->mu);
	}
}

/* One bin out; 0 when it was acknowledged and recorded. */
static int
dest_send(struct export_dest *d, struct spool *sp,
    const struct spool_pick *pick, struct export_bin *bin, char **cause)
{
	int rc;

	if ((rc = spool_bin_open(sp, pick, bin, cause)) != 0)
		return rc;
	bin->rate = d->rate;
	bin->cancel = &d->cancel;
	/* A bin without rows (an idle interface) has nothing to send. */
	if (bin->rows != 0 && (rc = d->drv->send(d->impl, bin, cause)) != 0)
		return rc;
	return spool_mark(sp, bin, cause);
}

static void *
dest_main(void *arg)
{
	struct export_dest *d = arg;
	struct export *e = d->exp;
	struct spool *sp = NULL;
	struct spool_pick pick;
	struct spool_backlog bl;
	struct export_bin bin;
	uint64_t kicks, seen = UINT64_MAX, now, next_scan = 0, retry_at = 0;
	uint64_t backoff = 0;
	char *cause = NULL;
	int have, rc;

	if (dest_prepare(d, &sp) != 0)
		goto out;
	for (;;) {
		pthread_mutex_lock(&e->mu);
		if (e->stopping) {
			pthread_mutex_unlock(&e->mu);
			break;
		}
		kicks = e->kicks;
		if (d->retry_now) {
			d->retry_now = 0;
			retry_at = 0;
		}
		pthread_mutex_unlock(&e->mu);

		now = util_now_ns();
		if (kicks != seen || now >= next_scan) {
			seen = kicks;
			next_scan = now + EXPORT_SCAN_S * 1000000000ull;
			if (spool_scan(sp, dest_want, d, &cause) != 0) {
				log_warn("export: %s: %s", d->name, cause);
				free(cause);
				cause = NULL;
			}
		}
		have = spool_next(sp, dest_ready, d, &pick, &bl);

		pthread_mutex_lock(&e->mu);
		d->st.backlog_bins = bl.bins;
		d->st.backlog_rows = bl.rows;
		d->st.backlog_oldest = bl.oldest;
		d->st.waiting_bins = bl.waiting;
		d->st.expired_bins = bl.expired;
		d->st.changed_bins = bl.changed;
		if (!have || (retry_at != 0 && now < retry_at)) {
			if (!have && d->st.last_error == NULL)
				d->st.state = "idle";
			if (!have && e->draining && !d->drained) {
				d->drained = 1;
				pthread_cond_broadcast(&e->cond);
			}
			if (e->kicks == seen && !e->stopping && !d->retry_now)
				export_wait(e, ((have ? retry_at : next_scan) -
				    now) / 1000000 + 1);
			pthread_mutex_unlock(&e->mu);
			continue;
		}
		d->st.state = d->st.last_error ? "failing" : "sending";
		pthread_mutex_unlock(&e->mu);

		rc = dest_send(d, sp, &pick, &bin, &cause);

		pthread_mutex_lock(&e->mu);
		d->st.records_sent += bin.records;
		d->st.messages_sent += bin.messages;
		d->st.bytes_sent += bin.bytes;
		if (rc == 0) {
			if (d->st.last_error != NULL)
				log_info("export: %s: sending again", d->name);
			d->st.bins_sent++;
			d->st.rows_sent += bin.nread;
			d->st.last_success = export_unix_ns();
			d->st.last_bin = bin.ts;
			d->st.state = "sending";
			free(d->st.last_error);
			d->st.last_error = NULL;
			backoff = 0;
			retry_at = 0;
			d->drain_fails = 0;
		} else if (rc == -ECANCELED) {
			free(cause);
		} else {
			backoff = backoff == 0 ? EXPORT_RETRY_MIN_MS :
			    backoff * 2;
			if (backoff > d->retry_max_ms)
				backoff = d->retry_max_ms;
			/* a bin gone (retention) is no reason to wait */
			retry_at = rc == -ENOENT ? 0 : util_now_ns() +
			    backoff * 1000000;
			if (rc == -ENOENT)
				next_scan = 0;
			if (d->st.last_error == NULL ||
			    strcmp(d->st.last_error, cause) != 0)
				log_warn("export: %s: %s (%llu bins waiting; "
				    "trying again in %llu s)", d->name, cause,
				    (unsigned long long)bl.bins,
				    (unsigned long long)(backoff / 1000));
			d->st.errors++;
			dest_error(d, "failing", cause);
			/* draining: two failures in a row (the second after
			 * a back-off) and the rest waits for the next run */
			if (e->draining && rc != -ENOENT &&
			    ++d->drain_fails >= 2 && !d->drained) {
				d->drained = 1;
				pthread_cond_broadcast(&e->cond);
			}
		}
		cause = NULL;
		pthread_mutex_unlock(&e->mu);
		spool_bin_close(&bin);
		if (rc != 0)
			d->drv->reset(d->impl);
	}
out:
	d->drv->reset(d->impl);
	spool_free(sp);
	pthread_mutex_lock(&e->mu);
	d->st.state = "stopped";
	d->drained = 1;
	d->exited = 1;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

/* ------------------------------------------------------------- API */

static int
dest_add(struct export *e, const char *name, const struct export_driver *drv,
    void *impl, char **pats, size_t npats, int backfill, uint32_t rate,
    uint32_t retry_max, char **cause)
{
	struct export_dest *d;
	size_t i;

	e->dests = util_realloc(e->dests, e->ndests + 1, sizeof *e->dests);
	d = &e->dests[e->ndests];
	memset(d, 0, sizeof *d);
	d->name = util_strdup(name);
	d->drv = drv;
	d->impl = impl;
	d->backfill = backfill;
	d->resend_changed = drv == &clickhouse_driver;
	d->rate = rate;
	d->retry_max_ms = retry_max * 1000;
	d->st.name = d->name;
	d->st.kind = drv->kind;
	d->st.state = "starting";
	atomic_init(&d->cancel, 0);
	d->pats = util_calloc(npats + 1, sizeof *d->pats);
	d->res = util_calloc(npats + 1, sizeof *d->res);
	for (i = 0; i < npats; i++) {
		size_t len = strlen(pats[i]);
		char *re;

		d->pats[i] = util_strdup(pats[i]);
		d->npats = i + 1;
		if (len < 2 || pats[i][0] != '/' || pats[i][len - 1] != '/')
			continue;
		re = util_strdup(pats[i] + 1);
		re[len - 2] = '\0';
		if (regcomp(&d->res[i], re, REG_EXTENDED | REG_NOSUB) != 0) {
			free(re);
			return util_cause(cause, -EINVAL, "export: %s: '%s' is "
			    "not a regular expression", name, pats[i]);
		}
		free(re);
	}
	e->ndests++;
	return 0;
}

static void
dest_free(struct export_dest *d)
{
	size_t i;

	for (i = 0; i < d->npats; i++) {
		size_t len = strlen(d->pats[i]);

		if (len >= 2 && d->pats[i][0] == '/' &&
		    d->pats[i][len - 1] == '/')
			regfree(&d->res[i]);
		free(d->pats[i]);
	}
	free(d->pats);
	free(d->res);
	if (d->impl != NULL)
		d->drv->free(d->impl);
	free(d->st.last_error);
	free(d->name);
}

int
export_new(const struct conf_export *cfg, const char *db_dir,
    struct export **out, char **cause)
{
	const struct conf_export_ipfix *ix = &cfg->ipfix;
	const struct conf_export_clickhouse *ch = &cfg->clickhouse;
	struct export *e;
	void *impl;
	char *name;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (ix->ncollectors == 0 && ch->url == NULL)
		return 0;
	e = util_calloc(1, sizeof *e);
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cond, NULL);
	e->db_dir = util_strdup(db_dir);
	for (i = 0; rc == 0 && i < ix->ncollectors; i++) {
		if ((rc = export_ipfix_new(ix->collectors[i], ix, &impl,
		    cause)) != 0)
			break;
		name = util_printf("ipfix %s", ix->collectors[i]);
		rc = dest_add(e, name, &export_ipfix_driver, impl, ix->ifaces,
		    ix->nifaces, ix->backfill, ix->rate, ix->retry_max, cause);
		free(name);
	}
	if (rc == 0 && ch->url != NULL &&
	    (rc = clickhouse_new(ch, &impl, cause)) == 0) {
		name = util_printf("clickhouse %s %s.%s", ch->url,
		    ch->database, ch->table);
		rc = dest_add(e, name, &clickhouse_driver, impl, ch->ifaces,
		    ch->nifaces, ch->backfill, ch->rate, ch->retry_max, cause);
		free(name);
	}
	if (rc != 0) {
		e->joined = 1;
		export_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

void
export_start(struct export *e)
{
	struct export_dest *d;
	size_t i;

	for (i = 0; i < e->ndests; i++) {
		d = &e->dests[i];
		d->exp = e;
		if (pthread_create(&d->thread, NULL, dest_main, d) != 0) {
			log_error("export: %s: cannot start a thread", d->name);
			pthread_mutex_lock(&e->mu);
			dest_error(d, "stopped", util_strdup("no thread"));
			d->registered = -1;
			d->drained = d->exited = 1;
			pthread_mutex_unlock(&e->mu);
			continue;
		}
		d->started = 1;
	}
}

void
export_wait_registered(struct export *e)
{
	size_t i;

	pthread_mutex_lock(&e->mu);
	for (i = 0; i < e->ndests; i++)
		while (e->dests[i].registered == 0 && !e->dests[i].exited)
			pthread_cond_wait(&e->cond, &e->mu);
	pthread_mutex_unlock(&e->mu);
}

void
export_set_horizon(struct export *e, const char *iface, int64_t ts)
{
	size_t i;

	pthread_mutex_lock(&e->mu);
	for (i = 0; i < e->nhz; i++)
		if (strcmp(e->hz[i].iface, iface) == 0)
			break;
	if (i == e->nhz) {
		e->hz = util_realloc(e->hz, e->nhz + 1, sizeof *e->hz);
		e->hz[e->nhz++].iface = util_strdup(iface);
	}
	if (e->hz[i].ts != ts) {
		e->hz[i].ts = ts;
		e->kicks++;
		pthread_cond_broadcast(&e->cond);
	}
	pthread_mutex_unlock(&e->mu);
}

void
export_clear_horizon(struct export *e, const char *iface)
{
	size_t i;

	pthread_mutex_lock(&e->mu);
	for (i = 0; i < e->nhz; i++)
		if (strcmp(e->hz[i].iface, iface) == 0) {
			free(e->hz[i].iface);
			e->hz[i] = e->hz[--e->nhz];
			e->kicks++;
			pthread_cond_broadcast(&e->cond);
			break;
		}
	pthread_mutex_unlock(&e->mu);
}

void
export_kick(struct export *e)
{
	pthread_mutex_lock(&e->mu);
	e->kicks++;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->mu);
}

void
export_drain(struct export *e)
{
	size_t i;

	pthread_mutex_lock(&e->mu);
	e->draining = 1;
	e->kicks++;
	for (i = 0; i < e->ndests; i++) {
		e->dests[i].retry_now = 1;
		e->dests[i].drain_fails = 0;
	}
	pthread_cond_broadcast(&e->cond);
	for (i = 0; i < e->ndests; i++)
		while (!e->dests[i].drained)
			pthread_cond_wait(&e->cond, &e->mu);
	pthread_mutex_unlock(&e->mu);
}

void
export_stop(struct export *e, uint32_t deadline_ms, int wait)
{
	struct timespec ts;
	size_t i;
	int all;

	pthread_mutex_lock(&e->mu);
	e->stopping = 1;
	pthread_cond_broadcast(&e->cond);
	if (wait) {
		util_deadline(&ts, deadline_ms);
		for (;;) {
			for (all = 1, i = 0; i < e->ndests; i++)
				all &= e->dests[i].exited ||
				    !e->dests[i].started;
			if (all || pthread_cond_timedwait(&e->cond, &e->mu,
			    &ts) == ETIMEDOUT)
				break;
		}
	}
	for (i = 0; i < e->ndests; i++)
		atomic_store(&e->dests[i].cancel, 1);
	pthread_mutex_unlock(&e->mu);
	if (!wait || e->joined)
		return;
	for (i = 0; i < e->ndests; i++)
		if (e->dests[i].started)
			pthread_join(e->dests[i].thread, NULL);
	e->joined = 1;
}

void
export_free(struct export *e)
{
	size_t i;

	if (e == NULL)
		return;
	if (!e->joined)
		export_stop(e, 0, 1);
	for (i = 0; i < e->ndests; i++)
		dest_free(&e->dests[i]);
	free(e->dests);
	for (i = 0; i < e->nhz; i++)
		free(e->hz[i].iface);
	free(e->hz);
	free(e->db_dir);
	pthread_cond_destroy(&e->cond);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

size_t
export_get_status(struct export *e, struct export_status **out)
{
	struct export_status *s;
	size_t i;

	if (e == NULL || e->ndests == 0) {
		*out = NULL;
		return 0;
	}
	s = util_calloc(e->ndests, sizeof *s);
	pthread_mutex_lock(&e->mu);
	for (i = 0; i < e->ndests; i++) {
		s[i] = e->dests[i].st;
		s[i].name = util_strdup(e->dests[i].st.name);
		if (s[i].last_error != NULL)
			s[i].last_error = util_strdup(s[i].last_error);
	}
	pthread_mutex_unlock(&e->mu);
	*out = s;
	return e->ndests;
}

void
export_status_free(struct export_status *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(s[i].name);
		free(s[i].last_error);
	}
	free(s);
}
