/*
 * export.h - every stored bin, sent on to IPFIX collectors and ClickHouse
 * (export: in flowrecd.yaml(5)), with the store as the spool.
 *
 * Called by daemon.c (live) and flowrecd.c (--read).  Each destination
 * (each IPFIX collector, the ClickHouse server) has its own thread that
 * reads committed bins back from the day files, read-only, sends the
 * oldest pending one, and records it in <db_path>/export.db once the
 * destination acknowledged it.  Nothing here runs on the caller's loop
 * but a mutex-protected copy: capture and the store's writer never wait
 * for a destination.
 *
 * Which bins are final.  A bin is sent only when no more writes of it
 * will come: for an interface this process writes, when it is before the
 * horizon the caller set (export_set_horizon(): the writer's oldest bin
 * still open or queued); for any other interface, when it ended
 * EXPORT_SETTLE_S seconds ago.  A destination new to export.db starts
 * with the bins stored after it was added, unless backfill is set.
 */
#ifndef FLOWREC_EXPORT_H
#define FLOWREC_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* Seconds after its end a bin of an interface nobody here writes is final. */
#define EXPORT_SETTLE_S	30

struct export;

/* One destination's state, for /status, /metrics and --read's summary. */
struct export_status {
	char		*name;		/* "ipfix udp://HOST:PORT",
					   "clickhouse URL DATABASE.TABLE" */
	const char	*kind;		/* "ipfix" or "clickhouse" */
	const char	*state;		/* "starting", "idle", "sending",
					   "failing", "locked" (another
					   process sends to it), "stopped" */
	uint64_t	 bins_sent;	/* acknowledged, since start */
	uint64_t	 rows_sent;
	uint64_t	 records_sent;	/* IPFIX records; ClickHouse rows */
	uint64_t	 messages_sent;	/* IPFIX messages; HTTP requests */
	uint64_t	 bytes_sent;
	uint64_t	 errors;	/* failed attempts */
	uint64_t	 backlog_bins;	/* final bins not yet sent */
	uint64_t	 backlog_rows;
	int64_t		 backlog_oldest; /* start of the oldest; 0: none */
	uint64_t	 waiting_bins;	/* pending, not final yet */
	uint64_t	 expired_bins;	/* removed (retention) before sent */
	uint64_t	 changed_bins;	/* IPFIX: written again after sent */
	int64_t		 last_success;	/* Unix ns of the last bin sent; 0 */
	int64_t		 last_bin;	/* start of that bin */
	int64_t		 last_error_time; /* Unix ns; 0: none */
	char		*last_error;	/* NULL: none since the last success */
};

/*
 * An exporter for the destinations of cfg, over the store in db_dir.
 * Nothing is opened or sent until export_start().  Returns 0 with *out
 * (NULL when cfg names no destination), or -EINVAL with *cause.  Caller
 * owns the result; free with export_free().
 */
int	 export_new(const struct conf_export *cfg, const char *db_dir,
	    struct export **out, char **cause);

/* Start the threads: each registers its destination and sends backlog. */
void	 export_start(struct export *);

/*
 * Wait until every destination is registered in export.db (so that what
 * is written from now on is for it), or failed to be; --read calls it
 * before it writes.
 */
void	 export_wait_registered(struct export *);

/*
 * Bins of iface starting before ts are final (INT64_MIN: none is,
 * INT64_MAX: all are).  export_clear_horizon(): this process no longer
 * writes iface.  Wakes the threads.
 */
void	 export_set_horizon(struct export *, const char *iface, int64_t ts);
void	 export_clear_horizon(struct export *, const char *iface);

/* Look at the store again now (a bin was written elsewhere). */
void	 export_kick(struct export *);

/*
 * Send what is pending and final, then return: when every destination has
 * nothing left or failed (its backlog waits for the next run), or when
 * another process holds it.  --read calls it at the end.
 */
void	 export_drain(struct export *);

/*
 * Stop: the bin in flight is abandoned after deadline_ms (it stays
 * pending).  wait: join the threads; without it, return at once and let
 * export_free() join them.
 */
void	 export_stop(struct export *, uint32_t deadline_ms, int wait);

/* Stop (if not stopped), join and free; NULL is fine. */
void	 export_free(struct export *);

/*
 * A copy of every destination's status, in configuration order.  Returns
 * their number; caller frees with export_status_free().
 */
size_t	 export_get_status(struct export *, struct export_status **out);
void	 export_status_free(struct export_status *, size_t n);

#endif
