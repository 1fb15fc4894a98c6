/*
 * qlist.h - `flowq list`: each interface's totals over a time range.
 *
 * flowq's list subcommand calls qlist_run() with the day files of the
 * selected interfaces (qstore_files()) and prints the result with
 * qout_list_print().  Only the per-bin counters (`bins`) are read: from the
 * store's catalog.db where its rows are still valid and wholly inside or
 * outside the range, from the day files otherwise.
 */
#ifndef FLOWREC_QLIST_H
#define FLOWREC_QLIST_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "qstore.h"

/* An interface's totals (or all interfaces'). */
struct qlist_row {
	int		 data;		/* any bin in range */
	int64_t		 first, last;	/* first bin's start, last bin's end */
	struct catalog_day sum;		/* the sums of its bins */
};

/* A day file that could not be read. */
struct qlist_skip {
	size_t		 iface;
	char		*path;
	char		*reason;
};

struct qlist {
	const struct qfiles *files;
	struct qlist_row *rows;		/* one per files->ifaces */
	struct qlist_row total;		/* over the interfaces with data */
	size_t		 nrows;		/* interfaces with data */
	struct qlist_skip *skipped;	/* in file order */
	size_t		 nskipped;
};

/*
 * Sum the bins with lo <= ts <= hi of files (borrowed until qlist_free()),
 * with the catalog of dbdir unless use_catalog is 0.  A file that cannot
 * be read is skipped and listed in out->skipped.  Returns 0 (free *out
 * with qlist_free()), or -1 with *cause when interrupted or out of
 * threads.
 */
int	qlist_run(const struct qfiles *files, int64_t lo, int64_t hi,
	    const char *dbdir, int use_catalog, struct qlist *out,
	    char **cause);
void	qlist_free(struct qlist *);

#endif
