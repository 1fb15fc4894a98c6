/*
 * retention.h - remove the oldest day files of the store until the
 * configured bounds hold (flowrecd.yaml(5), retention:).
 *
 * daemon.c owns one struct retention and asks for a pass at start-up,
 * after each UTC midnight and when a reload changes retention.  A pass runs
 * on a libuv worker thread: for every interface directory under db_path
 * it lists <iface>-YYYY-MM-DD.db, removes the oldest days (the file, its
 * -wal, -shm and -journal, then its catalog.db row) while the days are
 * more than keep_days or their bytes more than max_bytes, and logs each
 * removal.  The loop thread only queues passes and reads the counters
 * (retention_get_stats(), for /status and /metrics).
 *
 * Invariants: today's day file (UTC, by the wall clock of the pass) is
 * never removed, nor the newest day file of an interface being recorded
 * (its writer may still hold it open: with interval 86400 the day before's
 * file is the one written last); an interface whose writer has bins
 * waiting is left for the next pass.  Only names of the store's own form
 * are ever removed.
 */
#ifndef FLOWREC_RETENTION_H
#define FLOWREC_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "conf.h"

/* One day of an interface: the day file and its companions. */
struct retention_day {
	char		 day[11];	/* YYYY-MM-DD */
	uint64_t	 bytes;		/* .db + -wal + -shm + -journal */
	int		 has_db;	/* 0: only companions left behind */
};

/*
 * Which days go.  days[0..n) is sorted oldest first; today is the UTC day
 * of the pass; protect_newest keeps days[n-1] too.  Returns k: days[0..k)
 * are removed, the shortest prefix after which at most keep_days days
 * (counted back from today, today included) remain and the rest take at
 * most max_bytes, but never a day >= today nor a protected newest day.
 * *why, when not NULL, says which bound removed the last of them.
 */
size_t	 retention_plan(const struct retention_day *days, size_t n,
	    const struct conf_retention *, const char *today,
	    int protect_newest, const char **why);

/* What the daemon knows of one configured or recorded interface. */
struct retention_iface {
	const char	*name;
	struct conf_retention policy;
	int		 recording;	/* a capture exists: protect its newest */
	int		 busy;		/* its writer has bins waiting: skip */
};

/* Counters of one interface since the daemon started. */
struct retention_iface_stats {
	char		*name;
	uint64_t	 days_removed;
	uint64_t	 files_removed;
	uint64_t	 bytes_removed;
	uint64_t	 errors;	/* files that could not be removed */
};

/* Counters of all passes. */
struct retention_stats {
	uint64_t	 passes;
	uint64_t	 days_removed;
	uint64_t	 files_removed;
	uint64_t	 bytes_removed;
	uint64_t	 errors;
	uint64_t	 deferred;	/* interfaces skipped: writer busy */
	int64_t		 last_pass_ns;	/* Unix ns of the last pass's end, 0 */
	int		 running;	/* a pass is in flight */
};

/*
 * One pass over db_dir, synchronously, in the calling thread (the worker
 * of retention_run(), and tests).  ifaces are the interfaces the daemon
 * knows, with their policies; other directories take global.  now is
 * Unix seconds.  Removals are logged and added to stats and, per
 * interface, to *per (an array of *nper entries, grown as needed; caller
 * frees with retention_stats_free()).  Returns 0, or a negative code with
 * *cause set when db_dir cannot be read (nothing is removed then).
 */
int	 retention_sweep(const char *db_dir, const struct retention_iface *ifaces,
	    size_t n, const struct conf_retention *global, int64_t now,
	    struct retention_stats *stats, struct retention_iface_stats **per,
	    size_t *nper, char **cause);

void	 retention_stats_free(struct retention_iface_stats *, size_t n);

struct retention;

/* The daemon's retention on loop.  Caller owns it; retention_free(). */
struct retention *retention_new(uv_loop_t *);

/*
 * Queue a pass with these settings (copied).  A pass already running is
 * not interrupted: the newest request runs after it (requests in between
 * are merged into it).
 */
void	 retention_run(struct retention *, const char *db_dir,
	    const struct retention_iface *ifaces, size_t n,
	    const struct conf_retention *global);

/* No new pass from now on (shutdown); the one running finishes. */
void	 retention_stop(struct retention *);

/*
 * The counters: totals, and per interface (borrowed until the next pass
 * ends on the loop thread; *n entries).  On the loop thread.
 */
void	 retention_get_stats(const struct retention *, struct retention_stats *);
const struct retention_iface_stats *retention_get_iface_stats(
	    const struct retention *, size_t *n);

/* After the loop has run down (no pass in flight). */
void	 retention_free(struct retention *);

#endif
