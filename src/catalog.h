/*
 * catalog.h - <db_path>/catalog.db: one row per interface and day with the
 * day file's totals, so that `flowq list` reads one small file instead of
 * every day file.
 *
 * This module is the only one that reads or writes catalog.db; its one
 * record type is struct catalog_day, one row of the `days` table, whose
 * columns are listed once, in catalog.c.  The store calls catalog_update()
 * after it committed a bin (and after it closed a day file); flowq reads
 * the catalog read-only (catalog_open()) and trusts a row only while the
 * stat() values it holds (size and mtime of the day file and of its -wal)
 * still match the files (catalog_find()), reading the day file otherwise.
 * The catalog is a cache: losing it, or an update failing, loses nothing.
 */
#ifndef FLOWREC_CATALOG_H
#define FLOWREC_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* stat() values of a day file and its -wal (0, 0: no such file). */
struct catalog_stat {
	int64_t		 db_size, db_mtime_ns;
	int64_t		 wal_size, wal_mtime_ns;
};

/* A row of `days`: one day file's totals, summed over its `bins`. */
struct catalog_day {
	char		*iface;		/* read rows only (else NULL) */
	char		 day[11];	/* YYYY-MM-DD; read rows only */
	int64_t		 first, last;	/* min/max bins.ts; -1 without bins */
	int64_t		 bins;
	int64_t		 packets, ip, non_ip, malformed;
	int64_t		 flows, flows_v4, flows_v6;
	int64_t		 bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent;
	int64_t		 kernel_packets, kernel_drops;
	struct catalog_stat stat;	/* read rows only */
};

/*
 * Sum the bins of an open day file into *d (iface, day and stat cleared).
 * Returns SQLITE_OK or an SQLite error code.
 */
int	catalog_day_read(sqlite3 *db, struct catalog_day *d);

/*
 * The same over the bins with lo <= ts <= hi; brief: only what `flowq
 * list` prints (first, bins, the flows, bytes, packets and kernel_drops;
 * the rest 0).  *end (when not NULL) is the end of the
 * latest of them (max(ts + interval)), -1 without bins.
 */
int	catalog_day_sum(sqlite3 *db, int64_t lo, int64_t hi, int brief,
	    struct catalog_day *d, int64_t *end);

/*
 * Record day (YYYY-MM-DD) of iface with the totals of d and the current
 * stat() of day_path and its -wal.  Returns 0, or a negative code with
 * *cause.
 */
int	catalog_update(const char *db_dir, const char *iface, const char *day,
	    const char *day_path, const struct catalog_day *d, char **cause);

/*
 * Drop the rows of n days (YYYY-MM-DD) of iface, whose files retention
 * removed, in one transaction.  No catalog.db is nothing to do.  Returns
 * 0, or a negative code with *cause.
 */
int	catalog_remove_days(const char *db_dir, const char *iface,
	    const char *const *days, size_t n, char **cause);

/* The rows of a catalog, read at once. */
struct catalog;

/*
 * Read <db_dir>/catalog.db, read-only.  Returns NULL when it is absent or
 * cannot be read (the caller reads the day files instead).  Caller frees
 * with catalog_free().
 */
struct catalog	*catalog_open(const char *db_dir);
void		 catalog_free(struct catalog *);

/*
 * The row of iface's file day_path for the day starting at day (UTC
 * midnight), if it is still valid: the file's and its -wal's size and
 * modification time are those the row recorded.  NULL otherwise.
 * Borrowed until catalog_free().
 */
const struct catalog_day *catalog_find(const struct catalog *,
	    const char *iface, int64_t day, const char *day_path);

#endif
