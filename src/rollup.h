/*
 * rollup.h - hourly and daily sums of a day file's flow rows (schema v2).
 *
 * flow_rows_1h and flow_rows_1d hold, per flow key, the sums of flow_rows
 * over an hour and over the day; a (span, ts) row in `rollups` with rows
 * >= 0 says that rollup is complete, one with rows -1 that it was declined
 * (it would not have been 13 times smaller than its rows).  Queries
 * (flowq) read a complete rollup instead of its 12 or 288 bins and fall
 * back to flow_rows for anything else.
 *
 * The store is the only caller: rollup_forget() inside a bin's write
 * transaction (a bin written into a rolled-up hour makes that hour's and
 * that day's rollups stale, so they are dropped), rollup_build() after a
 * write, when an hour or the day is over.  Invariant: a listed rollup
 * always equals the sums of the rows it covers.
 */
#ifndef FLOWREC_ROLLUP_H
#define FLOWREC_ROLLUP_H

#include <stdint.h>

#include <sqlite3.h>

#define ROLLUP_HOUR	3600
#define ROLLUP_DAY	86400

/*
 * Drop the rollups covering bin start ts, if any, in the caller's open
 * transaction.  Returns SQLITE_DONE or an SQLite error code.
 */
int	rollup_forget(sqlite3 *db, int64_t ts);

/*
 * Build (or decline) the missing rollups of the day starting at day:
 * every hour that has bins and ends at or before until, then, when
 * with_day and every hour with bins is decided, the day.  Each rollup is one
 * transaction of its own.  Returns 0, or a negative code with *cause set
 * (what was built before stays).
 */
int	rollup_build(sqlite3 *db, const char *path, int64_t day,
	    int64_t until, int with_day, char **cause);

#endif
