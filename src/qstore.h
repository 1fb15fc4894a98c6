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
 * Open a day file read-only (a file that cannot get its WAL index is
 * opened as immutable).  Returns NULL with *cause.
 */
sqlite3	*qstore_open(const char *path, char **cause);

/* The same for the file of a day: finished days open as immutable. */
sqlite3	*qstore_open_day(const char *path, int64_t day, char **cause);

/* The db_path of the flowrecd configuration, or /var/lib/flowrec. */
char	*qstore_default_dir(const char *conf_path);

#endif
