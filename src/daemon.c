/*
 * daemon.c - flowrecd's live mode: owns the libuv loop (see daemon.h).
 *
 * One entry per interface to record, each with its capture (capture.c)
 * while the interface exists.  Which interfaces: ifsel.c's answer for the
 * configuration and the interfaces that exist now, asked again whenever
 * either changes (netlink tells about interfaces, watch.c).  Everything
 * runs on the loop thread except the store writes (writer.c) and the
 * retention passes (retention.c), on worker threads:
 *   SIGTERM/SIGINT  stop every capture (each drains its ring and writes its
 *                   open bin), wait for the writers, close all handles,
 *                   print "kernel_packets=N kernel_drops=N" per interface.
 *   SIGHUP, the file changing, POST /config/_reload
 *                   re-read the configuration; interfaces added, removed or
 *                   changed are started, stopped or restarted (after the old
 *                   capture has written out); unchanged ones are not touched.
 *                   A bad file keeps the running configuration.
 *   interfaces      a capture starts only once its interface exists, so a
 *                   missing one writes nothing (no empty bins: a gap reads
 *                   as missing data); one that goes away is stopped once
 *                   its capture has walked what its ring held, and started
 *                   again when it returns.
 *   UTC midnight    (and at start and after a reload) a retention pass.
 * The export (export.c, when export: names a destination) runs on threads
 * of its own; the loop only tells it, through the writer's commit hook,
 * which bins are final, restarts it when a reload changes it, and stops it
 * last.  The control API (api.c, with status.c answering its routes)
 * serves on this loop; it stops listening first at shutdown and is freed
 * after the loop ended.
 */
#include "config.h"

#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "api.h"
#include "capture.h"
#include "conf.h"
#include "daemon.h"
#include "export.h"
#include "ifsel.h"
#include "qapi.h"
#include "retention.h"
#include "status.h"
#include "taps.h"
#include "util.h"
#include "watch.h"
#include "writer.h"

#define WRITE_DEADLINE_MS	5000	/* a failing store at shutdown */
#define GONE_POLL_MS		100	/* a vanished interface's capture */
#define FILE_SETTLE_MS		250	/* config file events merged */
#define RETENTION_GRACE_S	60	/* after midnight: last bin written */
#define RETENTION_RETRY_MS	60000	/* an interface's writer was busy */
#define EXPORT_DEADLINE_MS	5000	/* a bin in flight at shutdown */

struct daemon;

struct daemon_iface {
	struct daemon	*d;
	char		*name;
	struct capture	*cap;		/* NULL: waiting, or between stop and
					   restart */
	int		 stopping;
	int		 gone;		/* stopped because it went away */
	int		 waiting_logged;
	enum ifsel_how	 how;
	/* What the capture was started with, to tell a change. */
	struct conf_iface cfg;		/* cfg.name owned: the interface's */
	char		*db_path;
	uint32_t	 interval;
	uint32_t	 queue_rows;
	int64_t		 horizon;	/* the writer's, for a new exporter */
	struct daemon_iface *next;
};

struct daemon {
	uv_loop_t	 loop;
	uv_signal_t	 sig_term, sig_int, sig_hup;
	uv_timer_t	 gone_timer;	/* runs while a capture is vanishing */
	uv_timer_t	 day_timer;	/* UTC midnight: retention */
	const struct daemon_options *opt;
	struct conf	*conf;
	struct ifsel	*sel;
	struct daemon_iface *ifaces;
	struct watch_links *links;
	struct watch_file *file;
	struct retention *ret;
	struct daemon_reload_status rs;
	char		*rs_message;
	struct export	*exp;		/* NULL: no export configured */
	struct export	**retired;	/* replaced by a reload, stopping */
	size_t		 nretired;
	volatile int	 shutting_down;	/* read by workers: daemon_stopping() */
	int		 closed;
	struct api	*api;		/* NULL: not serving */
	struct tapset	*taps;		/* GET /tap (tap.c) */
	int64_t		 started_ns;
};

static void	daemon_reconcile(struct daemon *, struct daemon_changes *);
static void	daemon_gone_cb(uv_timer_t *);

/* ---------------------------------------------------- configuration */

/* Command-line settings win over the file's. */
static void
daemon_apply_options(const struct daemon_options *opt, struct conf *conf)
{
	size_t i;

	if (opt->db_dir != NULL) {
		free(conf->db_path);
		conf->db_path = util_strdup(opt->db_dir);
	}
	if (opt->interval != 0)
		conf->interval = opt->interval;
	if (opt->max_flows != 0)
		for (i = 0; i < conf->nifaces; i++)
			conf->ifaces[i].max_flows = (uint32_t)opt->max_flows;
}

static enum util_log_level
daemon_log_level(const struct daemon_options *opt, const struct conf *conf)
{
	int level = (int)conf->log_level + opt->verbose;

	return level > LOG_LEVEL_DEBUG ? LOG_LEVEL_DEBUG :
	    (enum util_log_level)level;
}

static int
daemon_load(const struct daemon_options *opt, struct conf **out,
    struct ifsel **sel, char **cause)
{
	struct conf *conf;
	int rc;

	if (opt->config_path != NULL) {
		if ((rc = conf_load(opt->config_path, &conf, cause)) != 0)
			return rc;
	} else {
		conf = conf_new_default();
		conf_add_iface(conf, opt->iface);
	}
	daemon_apply_options(opt, conf);
	if ((rc = ifsel_new(conf, sel, cause)) != 0) {
		conf_free(conf);
		return rc;
	}
	*out = conf;
	return 0;
}

/* ------------------------------------------------------- interfaces */

static struct daemon_iface *
daemon_find(struct daemon *d, const char *name)
{
	struct daemon_iface *di;

	for (di = d->ifaces; di != NULL; di = di->next)
		if (strcmp(di->name, name) == 0)
			return di;
	return NULL;
}

static void
daemon_iface_free(struct daemon *d, struct daemon_iface *di)
{
	struct daemon_iface **pp;

	for (pp = &d->ifaces; *pp != NULL; pp = &(*pp)->next)
		if (*pp == di) {
			*pp = di->next;
			break;
		}
	free(di->cfg.name);
	free(di->cfg.archive.path);
	free(di->cfg.headers.path);
	free(di->db_path);
	free(di->name);
	free(di);
}

/* Remember the settings di records with (a pattern's, under di's name). */
static void
daemon_iface_set(struct daemon *d, struct daemon_iface *di,
    const struct ifsel_want *w)
{
	free(di->cfg.name);
	free(di->cfg.archive.path);
	free(di->cfg.headers.path);
	free(di->db_path);
	di->cfg = *w->cfg;	/* pointers: the name, archive and headers paths */
	di->cfg.name = util_strdup(di->name);
	if (w->cfg->archive.path != NULL)
		di->cfg.archive.path = util_strdup(w->cfg->archive.path);
	if (w->cfg->headers.path != NULL)
		di->cfg.headers.path = util_strdup(w->cfg->headers.path);
	di->how = w->how;
	di->db_path = util_strdup(d->conf->db_path);
	di->interval = d->conf->interval;
	di->queue_rows = d->conf->queue_rows;
}

/* Start di's capture; 1 when recording, 0 when waiting or failed. */
static int
daemon_start(struct daemon *d, struct daemon_iface *di)
{
	if (if_nametoindex(di->name) == 0) {
		if (!di->waiting_logged)
			log_warn("%s: no such interface; waiting for it "
			    "(nothing is written for it meanwhile)", di->name);
		di->waiting_logged = 1;
		return 0;
	}
	di->waiting_logged = 0;
	di->gone = 0;
	di->cap = capture_new(&d->loop, d->conf, &di->cfg);
	if (di->cap == NULL) {
		log_error("%s: not recording", di->name);
		return 0;
	}
	/* Its first bin (maybe begun by an earlier run) is not final. */
	di->horizon = (int64_t)time(NULL) / di->interval * di->interval;
	if (d->exp != NULL)
		export_set_horizon(d->exp, di->name, di->horizon);
	return 1;
}

/* The writer's commit hook: bins before horizon are final. */
static void
daemon_committed(void *arg, const char *iface, int64_t horizon)
{
	struct daemon *d = arg;
	struct daemon_iface *di;

	for (di = d->ifaces; di != NULL; di = di->next)
		if (strcmp(di->name, iface) == 0)
			di->horizon = horizon;
	if (d->exp != NULL)
		export_set_horizon(d->exp, iface, horizon);
}

/* Start the export the configuration asks for (after a reload: again). */
static void
daemon_export(struct daemon *d)
{
	struct daemon_iface *di;
	char *cause = NULL;

	if (export_new(&d->conf->export, d->conf->db_path, &d->exp,
	    &cause) != 0) {
		log_error("export: %s; not exporting", cause);
		free(cause);
		return;
	}
	if (d->exp == NULL)
		return;
	for (di = d->ifaces; di != NULL; di = di->next)
		if (di->cap != NULL)
			export_set_horizon(d->exp, di->name, di->horizon);
	export_start(d->exp);
}

size_t
daemon_export_status(const struct daemon *d, struct export_status **out)
{
	return export_get_status(d->exp, out);
}

static void
daemon_close_cb(uv_handle_t *h)
{
	(void)h;
}

/* Everything has stopped: close the remaining handles, the loop ends. */
static void
daemon_close(struct daemon *d)
{
	if (d->closed)
		return;
	d->closed = 1;
	uv_close((uv_handle_t *)&d->sig_term, daemon_close_cb);
	uv_close((uv_handle_t *)&d->sig_int, daemon_close_cb);
	uv_close((uv_handle_t *)&d->sig_hup, daemon_close_cb);
	uv_close((uv_handle_t *)&d->gone_timer, daemon_close_cb);
	uv_close((uv_handle_t *)&d->day_timer, daemon_close_cb);
}

static void
daemon_stopped(void *arg, const char *name, const struct capture_stats *st)
{
	struct daemon_iface *di = arg;
	struct daemon *d = di->d;

	/* The line the benchmark harness reads; one per interface. */
	printf("%s: kernel_packets=%llu kernel_drops=%llu kernel_freezes=%llu "
	    "frames=%llu ip=%llu bins_written=%llu rows_written=%llu "
	    "write_errors=%llu bins_dropped=%llu rows_dropped=%llu\n", name,
	    (unsigned long long)st->kernel_packets,
	    (unsigned long long)st->kernel_drops,
	    (unsigned long long)st->kernel_freezes,
	    (unsigned long long)st->frames, (unsigned long long)st->ip,
	    (unsigned long long)st->writer.bins_written,
	    (unsigned long long)st->writer.rows_written,
	    (unsigned long long)st->writer.write_errors,
	    (unsigned long long)st->writer.bins_dropped,
	    (unsigned long long)st->writer.rows_dropped);
	if (di->cfg.archive.path != NULL || di->cfg.headers.path != NULL)
		printf("%s: archive packets=%llu archived=%llu dropped=%llu "
		    "connections=%llu cut=%llu files=%llu file_packets=%llu "
		    "file_bytes=%llu write_errors=%llu write_lost=%llu "
		    "header_conns=%llu header_packets=%llu header_files=%llu "
		    "header_errors=%llu\n", name,
		    (unsigned long long)st->archive.packets,
		    (unsigned long long)st->archive.archived,
		    (unsigned long long)st->archive.dropped,
		    (unsigned long long)st->archive.conns_started,
		    (unsigned long long)st->archive.conns_cut,
		    (unsigned long long)st->archive.files,
		    (unsigned long long)st->archive.file_packets,
		    (unsigned long long)st->archive.file_bytes,
		    (unsigned long long)st->archive.write_errors,
		    (unsigned long long)st->archive.write_lost,
		    (unsigned long long)st->archive.hdr_conns,
		    (unsigned long long)st->archive.hdr_packets,
		    (unsigned long long)st->archive.hdr_files,
		    (unsigned long long)st->archive.hdr_errors);
	fflush(stdout);
	log_info("%s: stopped", name);
	di->cap = NULL;
	di->stopping = 0;
	/* Nobody here writes it now: its bins are final by the clock. */
	if (d->exp != NULL)
		export_clear_horizon(d->exp, di->name);
	if (d->shutting_down)
		daemon_iface_free(d, di);
	else
		daemon_reconcile(d, NULL);
	if (d->shutting_down && d->ifaces == NULL)
		daemon_close(d);
}

static void
daemon_stop_iface(struct daemon_iface *di)
{
	if (di->cap == NULL || di->stopping)
		return;
	di->stopping = 1;
	capture_stop(di->cap, WRITE_DEADLINE_MS, daemon_stopped, di);
}

/* Do two settings record alike?  Retention is not the capture's. */
static int
daemon_iface_changed(struct daemon *d, struct daemon_iface *di,
    const struct ifsel_want *w)
{
	struct conf_iface a = di->cfg, b = *w->cfg;

	memset(&a.retention, 0, sizeof a.retention);
	memset(&b.retention, 0, sizeof b.retention);
	b.name = a.name;
	b.line = a.line;
	return !conf_iface_same(&a, &b) ||
	    strcmp(di->db_path, d->conf->db_path) != 0 ||
	    di->interval != d->conf->interval ||
	    di->queue_rows != d->conf->queue_rows;
}

static void
daemon_change(struct daemon_changes *ch, enum daemon_change_kind kind,
    const char *name, int success, const char *note)
{
	struct daemon_change *c;

	if (ch == NULL)
		return;
	ch->v = util_realloc(ch->v, ch->n + 1, sizeof *ch->v);
	c = &ch->v[ch->n++];
	c->kind = kind;
	c->name = util_strdup(name);
	c->success = success;
	c->note = note;
}

void
daemon_changes_free(struct daemon_changes *ch)
{
	size_t i;

	if (ch == NULL)
		return;
	for (i = 0; i < ch->n; i++)
		free(ch->v[i].name);
	free(ch->v);
	ch->v = NULL;
	ch->n = 0;
}

/* The interfaces that exist now (names borrowed from *ni). */
static size_t
daemon_links(struct if_nameindex **ni, char ***names)
{
	size_t n = 0;

	*ni = if_nameindex();
	if (*ni != NULL)
		while ((*ni)[n].if_index != 0)
			n++;
	*names = util_calloc(n + 1, sizeof **names);
	for (n = 0; *ni != NULL && (*ni)[n].if_index != 0; n++)
		(*names)[n] = (*ni)[n].if_name;
	return n;
}

static const struct ifsel_want *
daemon_wanted(const struct ifsel_want *w, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(w[i].name, name) == 0)
			return &w[i];
	return NULL;
}

/*
 * Make the running captures match d->conf and the interfaces that exist;
 * with ch, note what a reload changed.
 */
static void
daemon_reconcile(struct daemon *d, struct daemon_changes *ch)
{
	struct daemon_iface *di, *next;
	const struct ifsel_want *w;
	struct ifsel_want *want;
	struct if_nameindex *ni;
	char **links;
	size_t nlinks, nwant, i;
	int vanishing = 0, ok;

	if (d->shutting_down)
		return;
	nlinks = daemon_links(&ni, &links);
	nwant = ifsel_select(d->sel, links, nlinks, &want);
	/*
	 * An interface a pattern or autodetect found whose link type capture
	 * does not decode (CAN, InfiniBand, a radiotap monitor) would never
	 * open: leave it out rather than keep a capture waiting on it.
	 */
	for (i = 0; i < nwant; i++)
		if (want[i].how != IFSEL_NAME &&
		    capture_link_supported(want[i].name) == 0) {
			log_debug("%s: link type not decoded; not recorded",
			    want[i].name);
			want[i--] = want[--nwant];
		}
	for (di = d->ifaces; di != NULL; di = next) {
		next = di->next;
		if (di->stopping)
			continue;	/* daemon_stopped() comes back here */
		w = daemon_wanted(want, nwant, di->name);
		if (di->cap == NULL) {
			if (w == NULL) {
				daemon_iface_free(d, di);
				continue;
			}
			daemon_iface_set(d, di, w);
			daemon_start(d, di);
			continue;
		}
		if (w == NULL && di->how != IFSEL_NAME &&
		    if_nametoindex(di->name) == 0) {
			/* A pattern's or autodetect's, gone: as below. */
			if (capture_is_open(di->cap)) {
				vanishing = 1;
				continue;
			}
			log_info("%s: gone; stopping it (it is recorded again "
			    "if it returns)", di->name);
			daemon_stop_iface(di);
		} else if (w == NULL) {
			log_info("%s: removed from the configuration",
			    di->name);
			daemon_change(ch, DAEMON_CHANGE_DISABLED, di->name, 1,
			    NULL);
			daemon_stop_iface(di);
		} else if (daemon_iface_changed(d, di, w)) {
			log_info("%s: settings changed; restarting it",
			    di->name);
			daemon_change(ch, DAEMON_CHANGE_UPDATED, di->name, 1,
			    "restarted once its open bin is written");
			daemon_stop_iface(di);
		} else {
			/* Same settings: retention may differ, no restart. */
			di->cfg.retention = w->cfg->retention;
			di->how = w->how;
			if (if_nametoindex(di->name) == 0) {
				/*
				 * Gone: once the capture has walked what its
				 * ring held (capture_is_open() turns 0), stop
				 * it before it writes bins of the gap.
				 */
				if (capture_is_open(di->cap))
					vanishing = 1;
				else {
					log_info("%s: gone; its open bin is "
					    "written, and it is recorded again "
					    "when it returns", di->name);
					di->gone = 1;
					daemon_stop_iface(di);
				}
			}
		}
	}
	for (i = 0; i < nwant; i++) {
		if (daemon_find(d, want[i].name) != NULL)
			continue;
		di = util_calloc(1, sizeof *di);
		di->d = d;
		di->name = util_strdup(want[i].name);
		di->next = d->ifaces;
		d->ifaces = di;
		daemon_iface_set(d, di, &want[i]);
		if (want[i].how != IFSEL_NAME)
			log_info("%s: selected by %s", di->name,
			    want[i].how == IFSEL_AUTO ? "autodetect" :
			    want[i].cfg->name);
		ok = daemon_start(d, di);
		daemon_change(ch, DAEMON_CHANGE_ENABLED, di->name, ok,
		    ok ? NULL : di->waiting_logged ? "no such interface; "
		    "recorded once it appears" : "could not start: see the log");
	}
	free(want);
	free(links);
	if (ni != NULL)
		if_freenameindex(ni);
	if (!vanishing)
		uv_timer_stop(&d->gone_timer);
	else if (!uv_is_active((uv_handle_t *)&d->gone_timer))
		uv_timer_start(&d->gone_timer, daemon_gone_cb, GONE_POLL_MS,
		    GONE_POLL_MS);
}

static void
daemon_gone_cb(uv_timer_t *t)
{
	daemon_reconcile(t->data, NULL);
}

static void
daemon_links_changed(void *arg)
{
	daemon_reconcile(arg, NULL);
}

/* -------------------------------------------------------- retention */

/* Queue a pass; 1 when an interface was left out (its writer busy). */
static int
daemon_retention_pass(struct daemon *d)
{
	struct retention_iface *ri;
	struct capture_stats st;
	struct daemon_iface *di;
	size_t n = 0, i;
	int busy = 0;

	for (di = d->ifaces; di != NULL; di = di->next)
		n++;
	ri = util_calloc(n + d->conf->nifaces + 1, sizeof *ri);
	n = 0;
	for (di = d->ifaces; di != NULL; di = di->next) {
		ri[n].name = di->name;
		ri[n].policy = di->cfg.retention;
		ri[n].recording = di->cap != NULL;
		if (di->cap != NULL) {
			capture_get_stats(di->cap, &st);
			ri[n].busy = st.writer.queued_bins > 0;
			busy |= ri[n].busy;
		}
		n++;
	}
	/* Listed interfaces not recorded (disabled): their own policy. */
	for (i = 0; i < d->conf->nifaces; i++) {
		if (conf_is_pattern(d->conf->ifaces[i].name) ||
		    daemon_find(d, d->conf->ifaces[i].name) != NULL)
			continue;
		ri[n].name = d->conf->ifaces[i].name;
		ri[n++].policy = d->conf->ifaces[i].retention;
	}
	retention_run(d->ret, d->conf->db_path, ri, n, &d->conf->retention);
	free(ri);
	return busy;
}

static void	daemon_day_cb(uv_timer_t *);

/* Arm the day timer: next UTC midnight plus the grace, or a retry. */
static void
daemon_day_arm(struct daemon *d, uint64_t ms)
{
	time_t now;

	if (ms == 0) {
		now = time(NULL);
		ms = ((uint64_t)(86400 - now % 86400) + RETENTION_GRACE_S) *
		    1000;
	}
	uv_timer_start(&d->day_timer, daemon_day_cb, ms, 0);
}

static void
daemon_day_cb(uv_timer_t *t)
{
	struct daemon *d = t->data;

	if (d->shutting_down)
		return;
	daemon_day_arm(d, daemon_retention_pass(d) ? RETENTION_RETRY_MS : 0);
}

/* ---------------------------------------------------------- reloads */

static void
daemon_reload_done(struct daemon *d, const char *why, int ok,
    const char *message)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	free(d->rs_message);
	d->rs_message = message ? util_strdup(message) : NULL;
	d->rs.last_ok = ok;
	d->rs.last_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	d->rs.last_message = d->rs_message;
	d->rs.last_trigger = why;
	if (ok)
		d->rs.ok_total++;
	else
		d->rs.failed_total++;
}

int
daemon_reload(struct daemon *d, const char *why, struct daemon_changes *ch,
    char **cause)
{
	struct conf *conf;
	struct ifsel *sel;
	char *msg = NULL;
	int rc;

	if (ch != NULL)
		memset(ch, 0, sizeof *ch);
	if (d->shutting_down)
		return util_cause(cause, -ESHUTDOWN, "flowrecd is stopping");
	if (d->opt->config_path == NULL) {
		log_info("%s: no configuration file to re-read (started "
		    "with -i)", why);
		return util_cause(cause, -ENOENT, "no configuration file to "
		    "re-read: flowrecd was started with -i");
	}
	if ((rc = daemon_load(d->opt, &conf, &sel, &msg)) != 0) {
		log_error("%s: %s; keeping the running configuration", why,
		    msg);
		daemon_reload_done(d, why, 0, msg);
		if (cause != NULL)
			*cause = msg;
		else
			free(msg);
		return rc;
	}
	log_info("%s: re-read %s", why, d->opt->config_path);
	if (!conf_export_same(&d->conf->export, &conf->export) ||
	    strcmp(d->conf->db_path, conf->db_path) != 0) {
		if (d->exp != NULL) {
			log_info("%s: export settings changed; restarting the "
			    "export", why);
			export_stop(d->exp, 0, 0);
			d->retired = util_realloc(d->retired, d->nretired + 1,
			    sizeof *d->retired);
			d->retired[d->nretired++] = d->exp;
			d->exp = NULL;
		}
		ifsel_free(d->sel);
		conf_free(d->conf);
		d->conf = conf;
		d->sel = sel;
		daemon_export(d);
	} else {
		ifsel_free(d->sel);
		conf_free(d->conf);
		d->conf = conf;
		d->sel = sel;
	}
	util_log_open("flowrecd", daemon_log_level(d->opt, conf),
	    conf->log_syslog);
	if (d->api != NULL && api_update(d->api, &conf->api) != 0)
		log_warn("%s: api: the socket, the listen address or TLS "
		    "changed; restart flowrecd to apply them", why);
	daemon_reconcile(d, ch);
	daemon_reload_done(d, why, 1, NULL);
	if (daemon_retention_pass(d))
		daemon_day_arm(d, RETENTION_RETRY_MS);
	return 0;
}

const struct daemon_reload_status *
daemon_reload_status(const struct daemon *d)
{
	return &d->rs;
}

void
daemon_retention_stats(const struct daemon *d, struct retention_stats *st)
{
	retention_get_stats(d->ret, st);
}

const struct retention_iface_stats *
daemon_retention_iface_stats(const struct daemon *d, size_t *n)
{
	return retention_get_iface_stats(d->ret, n);
}

static void
daemon_file_changed(void *arg)
{
	struct daemon *d = arg;
	struct stat sb;

	/*
	 * An empty file is a valid configuration that records nothing; seen
	 * through the watcher it is far more likely a file being rewritten
	 * in place (truncated, not yet written), so it waits for the next
	 * change.  SIGHUP and the API apply it.
	 */
	if (stat(d->opt->config_path, &sb) == 0 && sb.st_size == 0) {
		log_info("file changed: %s is empty; waiting for it to be "
		    "written (SIGHUP applies an empty file)",
		    d->opt->config_path);
		return;
	}
	daemon_reload(d, "file changed", NULL, NULL);
}

/* ---------------------------------------------------- for the API */

static int
daemon_info_cmp(const void *a, const void *b)
{
	return strcmp(((const struct daemon_iface_info *)a)->name,
	    ((const struct daemon_iface_info *)b)->name);
}

size_t
daemon_ifaces(struct daemon *d, struct daemon_iface_info **out)
{
	struct daemon_iface_info *v;
	struct daemon_iface *di;
	size_t n = 0;

	for (di = d->ifaces; di != NULL; di = di->next)
		n++;
	v = util_calloc(n + 1, sizeof *v);
	n = 0;
	for (di = d->ifaces; di != NULL; di = di->next, n++) {
		v[n].name = util_strdup(di->name);
		v[n].cfg = &di->cfg;
		v[n].state = di->stopping ? "stopping" : di->cap == NULL ?
		    "waiting" : capture_is_open(di->cap) ? "recording" :
		    "waiting";
		if (di->cap == NULL)
			continue;
		v[n].has_capture = 1;
		capture_get_stats(di->cap, &v[n].st);
		capture_get_bin(di->cap, &v[n].bin, &v[n].flows,
		    &v[n].max_flows);
	}
	if (n > 1)
		qsort(v, n, sizeof *v, daemon_info_cmp);
	*out = v;
	return n;
}

void
daemon_ifaces_free(struct daemon_iface_info *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

size_t
daemon_live_bins(struct daemon *d, struct qapi_live **out)
{
	struct daemon_iface *di;
	struct qapi_live *v;
	size_t n = 0;

	for (di = d->ifaces; di != NULL; di = di->next)
		n++;
	v = util_calloc(n + 1, sizeof *v);
	n = 0;
	for (di = d->ifaces; di != NULL; di = di->next) {
		if (di->cap == NULL || di->stopping)
			continue;
		v[n].iface = util_strdup(di->name);
		v[n].nrows = capture_live_rows(di->cap, &v[n].rows, &v[n].ts,
		    &v[n].interval);
		n++;
	}
	*out = v;
	return n;
}

uint64_t
daemon_write_gen(struct daemon *d, size_t *queued)
{
	struct daemon_iface *di;
	struct capture_stats st;
	uint64_t gen = 0;

	*queued = 0;
	for (di = d->ifaces; di != NULL; di = di->next) {
		if (di->cap == NULL)
			continue;
		capture_get_stats(di->cap, &st);
		gen += st.writer.bins_written + st.writer.bins_dropped;
		*queued += st.writer.queued_bins;
	}
	return gen;
}

void
daemon_live_bins_free(struct qapi_live *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].iface);
		free(v[i].rows);
	}
	free(v);
}

const struct conf *
daemon_conf(const struct daemon *d)
{
	return d->conf;
}

int64_t
daemon_started_ns(const struct daemon *d)
{
	return d->started_ns;
}

uv_loop_t *
daemon_loop(struct daemon *d)
{
	return &d->loop;
}

struct tapset *
daemon_taps(struct daemon *d)
{
	return d->taps;
}

void
daemon_api_counts(const struct daemon *d, struct api_counts *c)
{
	if (d->api != NULL)
		api_get_counts(d->api, c);
	else
		memset(c, 0, sizeof *c);
}

volatile int *
daemon_stopping(struct daemon *d)
{
	return &d->shutting_down;
}

int
daemon_running(const struct daemon *d)
{
	return !d->shutting_down;
}

int
daemon_flush_iface(struct daemon *d, const char *name,
    void (*done)(void *, int), void *arg)
{
	struct daemon_iface *di = daemon_find(d, name);

	if (di == NULL || di->cap == NULL || di->stopping)
		return -ENOENT;
	return capture_flush(di->cap, done, arg);
}

/* --------------------------------------------------------- lifecycle */

static void
daemon_shutdown(struct daemon *d, const char *why)
{
	struct daemon_iface *di, *next;

	if (d->shutting_down) {
		log_info("%s: already stopping", why);
		return;
	}
	log_info("%s: writing open bins and stopping", why);
	d->shutting_down = 1;
	tapset_stop(d->taps);
	if (d->api != NULL)
		api_stop(d->api);
	retention_stop(d->ret);
	watch_links_close(d->links);
	d->links = NULL;
	watch_file_close(d->file);
	d->file = NULL;
	uv_timer_stop(&d->gone_timer);
	uv_timer_stop(&d->day_timer);
	for (di = d->ifaces; di != NULL; di = next) {
		next = di->next;
		if (di->cap == NULL)
			daemon_iface_free(d, di);
		else
			daemon_stop_iface(di);
	}
	if (d->ifaces == NULL)
		daemon_close(d);
}

static void
daemon_signal_cb(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	if (signum != SIGHUP) {
		daemon_shutdown(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
		return;
	}
	if (!d->shutting_down)
		daemon_reload(d, "SIGHUP", NULL, NULL);
}

int
daemon_run(const struct daemon_options *opt)
{
	struct daemon d;
	struct conf *conf;
	struct ifsel *sel;
	struct rusage ru;
	char *cause = NULL;
	size_t i, n = 0;
	int fd, rc;

	if (daemon_load(opt, &conf, &sel, &cause) != 0) {
		fprintf(stderr, "flowrecd: %s\n", cause);
		free(cause);
		return 2;
	}
	for (i = 0; i < conf->nifaces; i++)
		n += conf->ifaces[i].enabled != 0;
	if (opt->check_only) {
		if (api_tls_check(&conf->api, &cause) != 0) {
			fprintf(stderr, "flowrecd: %s: %s\n", conf->path ?
			    conf->path : "-i", cause);
			free(cause);
			ifsel_free(sel);
			conf_free(conf);
			return 2;
		}
		printf("flowrecd: %s: configuration ok (%zu interfaces, %zu "
		    "enabled%s)\n", conf->path ? conf->path : "-i",
		    conf->nifaces, n, conf->autodetect.enabled ?
		    ", autodetect" : "");
		ifsel_free(sel);
		conf_free(conf);
		return 0;
	}
	util_log_open("flowrecd", daemon_log_level(opt, conf),
	    conf->log_syslog);

	/* Without CAP_NET_RAW nothing can be recorded: say so once. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_error("cannot open a packet socket: %s (flowrecd needs "
		    "CAP_NET_RAW)", strerror(errno));
		ifsel_free(sel);
		conf_free(conf);
		return 1;
	}
	close(fd);
	if (util_mkdir_p(conf->db_path) != 0)
		log_warn("%s: cannot create the directory; will retry on "
		    "each write", conf->db_path);

	memset(&d, 0, sizeof d);
	d.opt = opt;
	d.conf = conf;
	d.sel = sel;
	d.rs.last_ok = -1;
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&d.loop);
	uv_signal_init(&d.loop, &d.sig_term);
	uv_signal_init(&d.loop, &d.sig_int);
	uv_signal_init(&d.loop, &d.sig_hup);
	d.sig_term.data = d.sig_int.data = d.sig_hup.data = &d;
	uv_signal_start(&d.sig_term, daemon_signal_cb, SIGTERM);
	uv_signal_start(&d.sig_int, daemon_signal_cb, SIGINT);
	uv_signal_start(&d.sig_hup, daemon_signal_cb, SIGHUP);
	uv_timer_init(&d.loop, &d.gone_timer);
	d.gone_timer.data = &d;
	uv_timer_init(&d.loop, &d.day_timer);
	d.day_timer.data = &d;
	d.ret = retention_new(&d.loop);
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		d.started_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	}
	if (conf->api.socket != NULL || conf->api.listen != NULL) {
		struct api_backend be;

		status_backend(&d, &be);
		d.taps = tapset_new(&d.loop);
		if (api_new(&d.loop, &conf->api, &be, &d.api, &cause) != 0) {
			log_error("%s; not serving the API", cause);
			free(cause);
			cause = NULL;
		}
	}

	log_info("started: %zu interfaces, db %s, interval %u s, pid %ld", n,
	    conf->db_path, conf->interval, (long)getpid());
	writer_set_commit_hook(daemon_committed, &d);
	daemon_export(&d);
	d.links = watch_links_new(&d.loop, daemon_links_changed, &d);
	if (opt->config_path != NULL)
		d.file = watch_file_new(&d.loop, opt->config_path,
		    FILE_SETTLE_MS, daemon_file_changed, &d);
	daemon_reconcile(&d, NULL);
	if (d.ifaces == NULL)
		log_warn("no interface to record; waiting for one to appear, "
		    "a new configuration or SIGTERM");
	daemon_day_arm(&d, daemon_retention_pass(&d) ? RETENTION_RETRY_MS : 0);

	uv_run(&d.loop, UV_RUN_DEFAULT);
	/*
	 * The loop thread does all the capture work (the store's runs on
	 * worker threads): its CPU time is the capture path's cost.
	 */
	if (getrusage(RUSAGE_THREAD, &ru) == 0) {
		printf("loop_thread: user_s=%.3f sys_s=%.3f\n",
		    (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
		fflush(stdout);
	}
	/* libh2o's context closes its handles; the loop runs them out. */
	api_free(d.api);
	d.api = NULL;
	tapset_free(d.taps);
	d.taps = NULL;
	uv_run(&d.loop, UV_RUN_NOWAIT);
	rc = uv_loop_close(&d.loop);
	if (rc != 0)
		log_error("loop still had handles at exit: %s", uv_strerror(rc));
	retention_free(d.ret);
	/* Last: a bin in flight gets its deadline, then stays pending. */
	writer_set_commit_hook(NULL, NULL);
	if (d.exp != NULL)
		export_stop(d.exp, EXPORT_DEADLINE_MS, 1);
	export_free(d.exp);
	for (i = 0; i < d.nretired; i++)
		export_free(d.retired[i]);
	free(d.retired);
	ifsel_free(d.sel);
	conf_free(d.conf);
	free(d.rs_message);
	log_info("exiting");
	return 0;
}
