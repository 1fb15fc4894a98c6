/*
 * store.h - write frozen bins into per-interface, per-day SQLite files.
 *
 * <db_dir>/<iface>/<iface>-YYYY-MM-DD.db, one per UTC day, WAL mode, the
 * schema of sql/schema.sql (PRAGMA user_version; older files are migrated
 * when opened, newer ones refused).  The offline reader and the daemon's
 * writer call store_write_bin() on a worker thread: one store belongs to
 * one interface and is used by one thread at a time.  This is the only
 * module that writes SQLite.
 *
 * Writing a bin is one transaction: addresses and flow keys new to the day
 * are added, rows are inserted, or added to when the bin was written
 * before (an early write, a restart), and the bin's counters are added to
 * its row in `bins`.  A crash or kill -9 at any point leaves the file
 * consistent (SQLite's WAL): at most that bin is lost.
 */
#ifndef FLOWREC_STORE_H
#define FLOWREC_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "flowtab.h"

#define STORE_SCHEMA_VERSION	2
#define STORE_APPLICATION_ID	0x666c6f77	/* "flow" */

struct store;

/* What one store_write_bin() did. */
struct store_write_result {
	size_t		 rows_new;	/* rows inserted */
	size_t		 rows_updated;	/* rows added to (bin written before) */
	size_t		 keys_new;	/* flow keys new to the day */
	size_t		 addrs_new;	/* addresses new to the day */
	int		 new_day;	/* 1: laid out as a new day by btload */
};

/*
 * A store for one interface under db_dir.  Nothing is opened until the
 * first write.  Caller owns the result; free with store_free().
 */
struct store	*store_new(const char *db_dir, const char *iface);
void		 store_free(struct store *);

/*
 * Write one bin in one transaction.  Returns 0, or a negative code with
 * *cause set ("/db/eth0/eth0-2025-03-24.db: database or disk is full");
 * the bin was then not written at all and may be retried.  res may be NULL.
 */
int		 store_write_bin(struct store *, const struct flowtab_bin *,
		    struct store_write_result *res, char **cause);

/*
 * Batches, for flowrecd --read of a capture spanning many bins: after
 * store_set_batch(st, rows) store_write_bin() leaves its transaction open
 * and the next writes join it.  The batch is committed, as one
 * transaction, by the first write that completes its bin (one that is not
 * an early write) once the batch holds at least rows rows, by a write of
 * another day (before it), and by store_commit().  So a batch ends at a
 * bin's end: the store holds every write of the bins before some time and
 * none after.  A failed write or commit rolls the whole batch back
 * (returned as the write's failure); closing or freeing the store with a
 * batch open rolls it back too.  rows 0: one transaction per write (the
 * daemon's way).
 */
void		 store_set_batch(struct store *, size_t rows);
/* Commit the open batch, if any: 0, or negative with *cause (rolled back). */
int		 store_commit(struct store *, char **cause);
/*
 * The end (ts + interval) of the last bin committed whole by this store,
 * in batch mode; INT64_MIN when none was.  A bin at or after it has no
 * write of this store in the store.
 */
int64_t		 store_committed_end(const struct store *);

/*
 * store_set_last(st, 1): the next write is the last before the store is
 * closed or freed (flowrecd --read's last bin, the daemon's at stop), so
 * it need not keep the day's id maps for the writes after it: a new day's
 * first bin then skips filling them (the key map alone is 42 MB at 1 M
 * keys) and the maps are dropped after the write.  A write after it all
 * the same reloads them from the file, as after a failed write.
 */
void		 store_set_last(struct store *, int last);

/* Close the open day file (a later write reopens it).  Runs ANALYZE if due. */
void		 store_close_day(struct store *);

/* The day file holding bin start ts; caller frees the result. */
char		*store_day_path(const char *db_dir, const char *iface, int64_t ts);

/* The embedded schema (generated from sql/ at build time). */
extern const char store_schema_sql[];

#endif
