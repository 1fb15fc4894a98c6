/*
 * daemon.h - the live recorder: capture rings on a libuv loop, rotation,
 * write-out on worker threads, signals, configuration reloads, interfaces
 * coming and going, and retention.
 *
 * Called by flowrecd's main() when it is not in --read mode.  daemon.c owns
 * the uv loop; everything it starts is closed again before daemon_run()
 * returns (uv_loop_close() succeeds).  The functions below taking a
 * struct daemon are for the control API (api.c), on the loop thread.
 */
#ifndef FLOWREC_DAEMON_H
#define FLOWREC_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "conf.h"
#include "retention.h"

struct daemon_options {
	const char	*config_path;	/* -c FILE, NULL when -i is used */
	int		 check_only;	/* -t: check the config and exit */
	const char	*iface;		/* -i IFACE: record one interface
					   without a config file; the caller
					   checked it (names_check_iface()) */
	const char	*db_dir;	/* --db DIR (overrides config db_path) */
	uint32_t	 interval;	/* --interval S, 0: the config's */
	size_t		 max_flows;	/* --max-flows N, 0: the config's */
	int		 verbose;	/* -v count: log level bump */
};

/* Run the daemon until SIGTERM/SIGINT; returns the process exit status (0 ok, 2 bad config). */
int	daemon_run(const struct daemon_options *);

struct daemon;

/* One change a reload made, goProbe's capturetypes.IfaceChange. */
enum daemon_change_kind {
	DAEMON_CHANGE_ENABLED,		/* an interface added */
	DAEMON_CHANGE_UPDATED,		/* its settings changed: restarted */
	DAEMON_CHANGE_DISABLED		/* removed: stopped */
};

struct daemon_change {
	enum daemon_change_kind kind;
	char		*name;
	int		 success;	/* ENABLED: recording now; UPDATED,
					   DISABLED: its stop has begun */
	const char	*note;		/* why not, or what follows; NULL */
};

struct daemon_changes {
	struct daemon_change *v;
	size_t		 n;
};

void	daemon_changes_free(struct daemon_changes *);

/*
 * Read the configuration file again and apply it as SIGHUP does: interfaces
 * added are started, removed ones stopped, changed ones restarted (each
 * after its open bin is written), the others not touched.  why names the
 * trigger in the log ("SIGHUP", "API", "file changed").  Returns 0 with
 * *changes filled when not NULL (caller frees with daemon_changes_free()),
 * or a negative code with *cause set (caller frees) and the running
 * configuration kept: -ENOENT when started with -i (no file), -EINVAL for
 * a file that does not load (the message names file, line and key),
 * -ESHUTDOWN while stopping.  Either way daemon_reload_status() tells.
 */
int	daemon_reload(struct daemon *, const char *why,
	    struct daemon_changes *changes, char **cause);

struct export_status;

/*
 * Each export destination's status (export.h), for /status and the
 * metrics; loop thread.  Returns their number (0 without an export);
 * caller frees *out with export_status_free().
 */
size_t	daemon_export_status(const struct daemon *, struct export_status **out);

/* The outcome of the last reload, for /status and the metrics. */
struct daemon_reload_status {
	int		 last_ok;	/* 1 ok, 0 refused, -1 none yet */
	int64_t		 last_ns;	/* Unix ns of the last reload, 0 */
	const char	*last_message;	/* why it was refused, or NULL */
	const char	*last_trigger;	/* "SIGHUP", "API", "file changed" */
	uint64_t	 ok_total;
	uint64_t	 failed_total;
};

/* Borrowed until the next reload. */
const struct daemon_reload_status *daemon_reload_status(const struct daemon *);

/*
 * Retention's counters (totals, and per interface: *n entries borrowed
 * until the next pass ends); see retention.h.
 */
void	daemon_retention_stats(const struct daemon *, struct retention_stats *);
const struct retention_iface_stats *daemon_retention_iface_stats(
	    const struct daemon *, size_t *n);

/* One interface as /status and the metrics show it (loop thread). */
struct daemon_iface_info {
	char		*name;
	const char	*state;		/* "recording", "waiting" (the interface
					   is missing), "stopping" */
	int		 has_capture;	/* st, bin, flows are set */
	struct capture_stats st;	/* since its capture started */
	struct flowtab_stats bin;	/* the open bin: since the last
					   write-out */
	size_t		 flows, max_flows;
	const struct conf_iface *cfg;	/* its settings; borrowed until the
					   next reload */
};

/*
 * Every interface the daemon records or waits for, in order of name.
 * Returns their number; caller frees *out with daemon_ifaces_free().
 */
size_t	daemon_ifaces(struct daemon *, struct daemon_iface_info **out);
void	daemon_ifaces_free(struct daemon_iface_info *, size_t n);

/*
 * A copy of every recording interface's open bin, for a "live" query
 * (POST /_query with live: true; on the loop thread).  Returns their
 * number; caller frees *out with daemon_live_bins_free().
 */
struct qapi_live;
size_t	daemon_live_bins(struct daemon *, struct qapi_live **out);
void	daemon_live_bins_free(struct qapi_live *, size_t n);

/*
 * The bins written or given up so far, over every interface, and (in
 * *queued) those waiting for the store now: a live query whose figures
 * moved while it ran is run again (status.c).
 */
uint64_t daemon_write_gen(struct daemon *, size_t *queued);

/* The running configuration; borrowed until the next reload. */
const struct conf *daemon_conf(const struct daemon *);

/* Unix ns the daemon started. */
int64_t	daemon_started_ns(const struct daemon *);

/* The loop (for work the API queues) and the API's counters (zero
   without an API). */
uv_loop_t *daemon_loop(struct daemon *);
struct api_counts;
/* The taps of GET /tap (taps.h); NULL without an API. */
struct tapset	*daemon_taps(struct daemon *);
void	daemon_api_counts(const struct daemon *, struct api_counts *);

/* 1 while running, 0 once stopping. */
int	daemon_running(const struct daemon *);

/*
 * A flag that turns 1 when the daemon starts to stop, for work on other
 * threads to give up (a query's cancel).  Valid until the loop ends.
 */
volatile int *daemon_stopping(struct daemon *);

/*
 * Write name's open bin now (capture_flush()): done(arg, written) once
 * stored.  0, -ENOENT (not recording), or capture_flush()'s error.
 */
int	daemon_flush_iface(struct daemon *, const char *name,
	    void (*done)(void *, int written), void *arg);

#endif
