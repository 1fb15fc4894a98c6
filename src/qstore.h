/*
 * qstore.h - find and open flowrec's day files for reading.
 *
 * A store is <db>/<iface>/<iface>-YYYY-MM-DD.db (see sql/schema.sql).
 * flowq lists the interfaces, selects them with goquery's -i syntax and
 * opens the day files that overlap the query range, read-only.  Nothing
 * here writes.
 */
#ifndef FLOWREC_QSTORE_H
#define FLOWREC_QSTORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct qfile {
	size_t		 iface;		/* index into the interface list */
	int64_t		 day;		/* UTC midnight of the file's day */
	char		*path;
};

struct qfiles {
	char		**ifaces;	/* selected interfaces, sorted */
	size_t		 nifaces;
	struct qfile	*files;		/* sorted by day, then interface */
	size_t		 nfiles;
};

/*
 * The interfaces under dbdir (directories holding day files), sorted.
 * Returns 0, or -1 with *cause.  Caller frees with qstore_strv_free().
 */
int	 qstore_ifaces(const char *dbdir, char ***names, size_t *n,
	    char **cause);
void	 qstore_strv_free(char **v, size_t n);

/*
 * Select interfaces with goquery's -i syntax: a comma list of names,
 * "any" (every interface), "!name" (exclude), "/regex/" (every interface
 * matching the POSIX extended regex).  A list of only exclusions starts
 * from every interface.  Returns 0 (*out sorted, without duplicates), or
 * -1 with *cause (a bad regex).
 */
int	 qstore_select(char **all, size_t nall, const char *spec,
	    char ***out, size_t *nout, char **cause);

/*
 * The day files of the selected interfaces whose day overlaps
 * [first, last].  Takes ownership of ifaces.  Caller frees with
 * qstore_files_free().
 */
void	 qstore_files(const char *dbdir, char **ifaces, size_t nifaces,
	    int64_t first, int64_t last, struct qfiles *out);
void	 qstore_files_free(struct qfiles *);

/*
 * Open a file of the store read-only: as immutable (no locks, nothing
 * created beside it) when immutable is set or when the file cannot get
 * its WAL index; an immutable connection holds the file's directory
 * flock()ed shared until it closes (see qstore_open_day()).  A symbolic
 * link is refused.  Returns NULL with *cause (when cause is not NULL).
 */
sqlite3	*qstore_open_ro(const char *path, int immutable, char **cause);

/*
 * The same for the file of a day, which must carry flowrec's markers
 * (application_id, a user_version this flowq reads).  A day over for
 * QSTORE_FINISHED_AFTER seconds is opened as immutable when its -wal is
 * empty, under the directory's shared flock(): the writer checkpoints a
 * past day only while it holds that lock exclusively (store.c), so the
 * file cannot change while it is read.
 */
#define QSTORE_FINISHED_AFTER	3600
sqlite3	*qstore_open_day(const char *path, int64_t day, char **cause);

#endif
