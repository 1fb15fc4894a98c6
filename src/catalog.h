/*
 * catalog.h - <db_path>/catalog.db: one row per interface and day with the
 * day file's totals, so that `flowq list` reads one small file instead of
 * every day file.
 *
 * The store calls catalog_update() after it committed a bin (and after it
 * closed a day file); flowq reads the catalog read-only and trusts a row
 * only while the stat() values it holds (size and mtime of the day file
 * and of its -wal) still match the files, reading the day file otherwise.
 * The catalog is a cache: losing it, or an update failing, loses nothing.
 */
#ifndef FLOWREC_CATALOG_H
#define FLOWREC_CATALOG_H

#include <stdint.h>

#include <sqlite3.h>

/* The totals of one day file, summed over its `bins`. */
struct catalog_day {
	int64_t		 first, last;	/* min/max bins.ts; -1 without bins */
	int64_t		 bins;
	int64_t		 packets, ip, non_ip, malformed;
	int64_t		 flows, flows_v4, flows_v6;
	int64_t		 bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent;
	int64_t		 kernel_packets, kernel_drops;
};

/* Sum the bins of an open day file.  Returns SQLITE_OK or an error code. */
int	catalog_day_read(sqlite3 *db, struct catalog_day *);

/*
 * Record day (YYYY-MM-DD) of iface with totals d and the current stat()
 * of day_path and its -wal.  Returns 0, or a negative code with *cause.
 */
int	catalog_update(const char *db_dir, const char *iface, const char *day,
	    const char *day_path, const struct catalog_day *d, char **cause);

/* stat() values of a day file and its -wal, as the catalog keeps them. */
struct catalog_stat {
	int64_t		 db_size, db_mtime_ns;
	int64_t		 wal_size, wal_mtime_ns;
};
void	catalog_stat_files(const char *day_path, struct catalog_stat *);

#endif
