/*
 * daemon.c - flowrecd's live mode: owns the libuv loop (see daemon.h).
 *
 * One entry per configured interface, each with its capture (capture.c).
 * Signals are libuv signal handles on the loop, so everything runs on the
 * loop thread except the store writes (writer.c, on worker threads):
 *   SIGTERM/SIGINT  stop every capture (each drains its ring and writes its
 *                   open bin), wait for the writers, close all handles,
 *                   print "kernel_packets=N kernel_drops=N" per interface.
 *   SIGHUP          re-read the configuration; interfaces added, removed or
 *                   changed are started, stopped or restarted (after the old
 *                   capture has written out); unchanged ones are not touched.
 *                   A bad file keeps the running configuration.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "capture.h"
#include "conf.h"
#include "daemon.h"
#include "util.h"

#define WRITE_DEADLINE_MS	5000	/* a failing store at shutdown */

struct daemon;

struct daemon_iface {
	struct daemon	*d;
	char		*name;
	struct capture	*cap;		/* NULL between stop and restart */
	int		 stopping;
	/* What the capture was started with, to tell a change. */
	struct conf_iface cfg;
	char		*db_path;
	uint32_t	 interval;
	uint32_t	 queue_rows;
	struct daemon_iface *next;
};

struct daemon {
	uv_loop_t	 loop;
	uv_signal_t	 sig_term, sig_int, sig_hup;
	const struct daemon_options *opt;
	struct conf	*conf;
	struct daemon_iface *ifaces;
	int		 shutting_down;
	int		 closed;
};

static void	daemon_reconcile(struct daemon *);

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
daemon_load(const struct daemon_options *opt, struct conf **out, char **cause)
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
	*out = conf;
	return 0;
}

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
	free(di->db_path);
	free(di->name);
	free(di);
}

static void
daemon_start(struct daemon *d, struct daemon_iface *di,
    const struct conf_iface *ifc)
{
	free(di->cfg.name);
	free(di->db_path);
	di->cfg = *ifc;
	di->cfg.name = util_strdup(ifc->name);
	di->db_path = util_strdup(d->conf->db_path);
	di->interval = d->conf->interval;
	di->queue_rows = d->conf->queue_rows;
	di->cap = capture_new(&d->loop, d->conf, ifc);
	if (di->cap == NULL)
		log_error("%s: not recording", ifc->name);
}

static void
daemon_close_cb(uv_handle_t *h)
{
	(void)h;
}

/* Everything has stopped: close the signal handles, the loop ends. */
static void
daemon_close(struct daemon *d)
{
	if (d->closed)
		return;
	d->closed = 1;
	uv_close((uv_handle_t *)&d->sig_term, daemon_close_cb);
	uv_close((uv_handle_t *)&d->sig_int, daemon_close_cb);
	uv_close((uv_handle_t *)&d->sig_hup, daemon_close_cb);
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
	fflush(stdout);
	log_info("%s: stopped", name);
	di->cap = NULL;
	di->stopping = 0;
	if (d->shutting_down || conf_find_iface(d->conf, di->name) == NULL)
		daemon_iface_free(d, di);
	else
		daemon_reconcile(d);
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

static int
daemon_iface_changed(struct daemon *d, struct daemon_iface *di,
    const struct conf_iface *ifc)
{
	return !conf_iface_same(&di->cfg, ifc) ||
	    strcmp(di->db_path, d->conf->db_path) != 0 ||
	    di->interval != d->conf->interval ||
	    di->queue_rows != d->conf->queue_rows;
}

/* Make the running captures match d->conf. */
static void
daemon_reconcile(struct daemon *d)
{
	struct daemon_iface *di, *next;
	const struct conf_iface *ifc;
	size_t i;

	if (d->shutting_down)
		return;
	for (di = d->ifaces; di != NULL; di = next) {
		next = di->next;
		if (di->stopping)
			continue;	/* daemon_stopped() comes back here */
		ifc = conf_find_iface(d->conf, di->name);
		if (di->cap == NULL) {
			if (ifc != NULL && ifc->enabled)
				daemon_start(d, di, ifc);
			else
				daemon_iface_free(d, di);
			continue;
		}
		if (ifc == NULL || !ifc->enabled) {
			log_info("%s: removed from the configuration", di->name);
			daemon_stop_iface(di);
		} else if (daemon_iface_changed(d, di, ifc)) {
			log_info("%s: settings changed; restarting it",
			    di->name);
			daemon_stop_iface(di);
		}
	}
	for (i = 0; i < d->conf->nifaces; i++) {
		ifc = &d->conf->ifaces[i];
		if (!ifc->enabled || daemon_find(d, ifc->name) != NULL)
			continue;
		di = util_calloc(1, sizeof *di);
		di->d = d;
		di->name = util_strdup(ifc->name);
		di->next = d->ifaces;
		d->ifaces = di;
		daemon_start(d, di, ifc);
	}
}

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
	struct conf *conf;
	char *cause = NULL;

	if (signum != SIGHUP) {
		daemon_shutdown(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
		return;
	}
	if (d->shutting_down)
		return;
	if (d->opt->config_path == NULL) {
		log_info("SIGHUP: no configuration file to re-read");
		return;
	}
	if (daemon_load(d->opt, &conf, &cause) != 0) {
		log_error("SIGHUP: %s; keeping the running configuration",
		    cause);
		free(cause);
		return;
	}
	log_info("SIGHUP: re-read %s", d->opt->config_path);
	conf_free(d->conf);
	d->conf = conf;
	util_log_open("flowrecd", daemon_log_level(d->opt, conf),
	    conf->log_syslog);
	daemon_reconcile(d);
}

int
daemon_run(const struct daemon_options *opt)
{
	struct daemon d;
	struct conf *conf;
	struct rusage ru;
	char *cause = NULL;
	size_t i, n = 0;
	int fd, rc;

	if (daemon_load(opt, &conf, &cause) != 0) {
		fprintf(stderr, "flowrecd: %s\n", cause);
		free(cause);
		return 2;
	}
	for (i = 0; i < conf->nifaces; i++)
		n += conf->ifaces[i].enabled != 0;
	if (opt->check_only) {
		printf("flowrecd: %s: configuration ok (%zu interfaces, %zu "
		    "enabled)\n", conf->path ? conf->path : "-i", conf->nifaces,
		    n);
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
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&d.loop);
	uv_signal_init(&d.loop, &d.sig_term);
	uv_signal_init(&d.loop, &d.sig_int);
	uv_signal_init(&d.loop, &d.sig_hup);
	d.sig_term.data = d.sig_int.data = d.sig_hup.data = &d;
	uv_signal_start(&d.sig_term, daemon_signal_cb, SIGTERM);
	uv_signal_start(&d.sig_int, daemon_signal_cb, SIGINT);
	uv_signal_start(&d.sig_hup, daemon_signal_cb, SIGHUP);

	log_info("started: %zu interfaces, db %s, interval %u s, pid %ld", n,
	    conf->db_path, conf->interval, (long)getpid());
	daemon_reconcile(&d);
	if (d.ifaces == NULL)
		log_warn("no interface to record; waiting for SIGHUP or "
		    "SIGTERM");

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
	rc = uv_loop_close(&d.loop);
	if (rc != 0)
		log_error("loop still had handles at exit: %s", uv_strerror(rc));
	conf_free(d.conf);
	log_info("exiting");
	return 0;
}
