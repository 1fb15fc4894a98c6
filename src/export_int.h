/*
 * export_int.h - what the export's parts share (libuv's rule: export_ in
 * export.h is the API, what is here is not; nothing outside src/export*.c,
 * src/clickhouse.c and their unit tests includes this file).
 *
 *   export.c         the destinations' threads, the schedule (which bin
 *                    is final, back-off, pacing), status;
 *   export_spool.c   <db_path>/export.db (what was sent where) and the
 *                    day files read back, read-only: the store is the
 *                    spool;
 *   export_ipfix.c   the IPFIX destination (ipfix.c encodes);
 *   clickhouse.c     the ClickHouse destination (libcurl).
 *
 * A destination is a driver: send() gets a bin and reads its rows with
 * export_bin_next() (which paces them and sees a stop), and returns 0
 * only when the destination acknowledged the whole bin (ClickHouse: HTTP
 * 200; IPFIX over TCP: every byte acknowledged by the peer's TCP; over
 * UDP: every datagram sent without an error).  One error convention: 0,
 * or a negative errno with *cause set.
 */
#ifndef FLOWREC_EXPORT_INT_H
#define FLOWREC_EXPORT_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct sqlite3;
struct sqlite3_stmt;

/* A row of a bin as a driver sees it; texts borrowed until the next. */
struct export_row {
	uint8_t		 sip[16];	/* IPv4 in the first 4 bytes */
	uint8_t		 dip[16];
	uint8_t		 family;	/* 4 or 6 */
	uint8_t		 proto;
	uint16_t	 dport;
	uint16_t	 vlan;
	const char	*sip_text;	/* inet_ntop form, as in the store */
	const char	*dip_text;
	uint64_t	 bytes_rcvd, bytes_sent;
	uint64_t	 pkts_rcvd, pkts_sent;
};

/* A bin being sent: what it is, and its rows read one at a time. */
struct export_bin {
	const char	*iface;
	int64_t		 ts;		/* bin start, Unix seconds */
	uint32_t	 interval;
	int64_t		 writes;	/* bins.writes, read with the rows */
	int64_t		 rows;		/* bins.flows: rows to come */
	uint32_t	 domain;	/* the interface's observation domain */
	/* What the driver sent, for the status. */
	uint64_t	 records;	/* IPFIX records, ClickHouse rows */
	uint64_t	 messages;	/* IPFIX messages, HTTP requests */
	uint64_t	 bytes;
	/* Reading (export_spool.c), pacing and stopping (export.c). */
	struct sqlite3	*db;
	struct sqlite3_stmt *st;
	uint64_t	 nread;
	uint32_t	 rate;		/* rows per second; 0: no limit */
	uint64_t	 t0_ns;
	const atomic_int *cancel;	/* set: stop now */
	char		*cause;		/* a reading error */
};

/*
 * The next row: 1 with *row set, 0 at the end, -ECANCELED when the bin is
 * to be abandoned (stop), -EIO with bin->cause (caller frees) when the
 * day file could not be read.  Sleeps as the rate asks.
 */
int	 export_bin_next(struct export_bin *, struct export_row *);

/* 1 when the bin is to be abandoned (drivers waiting on a peer poll it). */
int	 export_bin_cancelled(const struct export_bin *);

/* A destination's driver. */
struct export_driver {
	const char	*kind;		/* "ipfix", "clickhouse" */
	/* 0 when the destination has the whole bin; -errno and *cause. */
	int		(*send)(void *, struct export_bin *, char **cause);
	/* Drop the connection (after an error; the next send reconnects). */
	void		(*reset)(void *);
	void		(*free)(void *);
};

/* IPFIX to one collector (export_ipfix.c). */
extern const struct export_driver export_ipfix_driver;
int	 export_ipfix_new(const char *url, const struct conf_export_ipfix *,
	    void **out, char **cause);

/* ClickHouse (clickhouse.c). */
extern const struct export_driver clickhouse_driver;
int	 clickhouse_new(const struct conf_export_clickhouse *, void **out,
	    char **cause);

/* ------------------------------------------------------------ spool */

/* One destination's view of the store (export_spool.c). */
struct spool;

/* A pending bin, chosen by spool_next(). */
struct spool_pick {
	const char	*iface;		/* borrowed until the next scan */
	int64_t		 ts;
	uint32_t	 interval;
	int64_t		 rows;
};

/* What is pending, for the status. */
struct spool_backlog {
	uint64_t	 bins;		/* final and not sent */
	uint64_t	 rows;
	int64_t		 oldest;	/* the oldest's start; 0 none */
	uint64_t	 waiting;	/* not final yet (an open bin) */
	uint64_t	 expired;	/* removed before they were sent */
	uint64_t	 changed;	/* written again after they were sent */
};

/* Is a bin final (no more writes will come)?  The caller decides. */
typedef int	 spool_ready_fn(void *arg, const char *iface, int64_t ts,
		    uint32_t interval);
/* Does the destination want this interface? */
typedef int	 spool_want_fn(void *arg, const char *iface);

/*
 * Open db_dir/export.db (created with sql/export.sql when missing) for
 * the destination called name.  A destination new to the file is added;
 * unless backfill is set, every bin then stored that ended by `now`
 * (Unix seconds) is recorded as not to be sent.  resend_changed: a bin
 * written again after it was sent is sent again (ClickHouse replaces its
 * rows) instead of counted as changed (IPFIX counts are deltas).
 * Returns 0 with *out (free with spool_free()), or -errno with *cause.
 */
int	 spool_open(const char *db_dir, const char *name, int backfill,
	    int resend_changed, int64_t now, struct spool **out,
	    char **cause);
void	 spool_free(struct spool *);

/*
 * Take the destination's lock (db_dir/export.lock, one byte per
 * destination): one process at a time sends to it.  0, -EAGAIN when
 * another holds it, or -errno with *cause.  Released by spool_free().
 */
int	 spool_lock(struct spool *, char **cause);

/* Read the day files again where they changed.  0, or -errno, *cause. */
int	 spool_scan(struct spool *, spool_want_fn *, void *arg, char **cause);

/* The oldest final pending bin: 1 with *out, 0 none; *bl filled. */
int	 spool_next(struct spool *, spool_ready_fn *, void *arg,
	    struct spool_pick *out, struct spool_backlog *bl);

/*
 * Open the bin's rows for reading (a read transaction of its day file)
 * into *bin (zeroed first; caller sets rate and cancel after).  0, or
 * -errno with *cause (-ENOENT: the file or the bin is gone).
 */
int	 spool_bin_open(struct spool *, const struct spool_pick *,
	    struct export_bin *, char **cause);
void	 spool_bin_close(struct export_bin *);

/* Record the bin as sent (rows sent).  0, or -errno with *cause. */
int	 spool_mark(struct spool *, const struct export_bin *, char **cause);

#endif
