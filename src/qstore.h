/*
 * qstore.h - find and open flowrec's day files for reading.
 *
 * A store is <db>/<iface>/<iface>-YYYY-MM-DD.db (see sql/schema.sql).
 * flowq lists the interfaces, selects them with goquery's -i syntax and
 * opens the day files that overlap the query range, read-only.  Nothing
 * here writes.
 *
 * <db>/catalog.db (schema version 2, kept by the store after each bin it
 * commits) holds each day file's sums over `bins` and the stat() values of
 * the file and its -wal at that moment; `flowq list` reads it instead of
 * opening every day file.  A row counts only while those four values
 * still match the files.
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

/* A day file's row of catalog.db. */
struct qcat_day {
	char		*iface;
	char		 day[11];	/* YYYY-MM-DD */
	int64_t		 first, last;	/* min, max bins.ts */
	int64_t		 bins;
	/* sums over bins */
	int64_t		 packets, ip, non_ip, malformed, flows, flows_v4;
	int64_t		 flows_v6, bytes_rcvd, bytes_sent, pkts_rcvd;
	int64_t		 pkts_sent, kernel_packets, kernel_drops;
	/* stat() of the day file and its -wal (0, 0: none) */
	int64_t		 db_size, db_mtime_ns, wal_size, wal_mtime_ns;
};

struct qcatalog {
	struct qcat_day	*days;		/* sorted by iface, day */
	size_t		 ndays;
};

/*
 * Read <dbdir>/catalog.db, read-only.  Returns NULL when it is absent or
 * cannot be read (the caller reads the day files instead).  Caller frees
 * with qstore_catalog_free().
 */
struct qcatalog	*qstore_catalog_open(const char *dbdir);
void		 qstore_catalog_free(struct qcatalog *);

/*
 * The row of f's day file (of interface iface), if it is still valid:
 * the file's and its -wal's size and modification time are those the row
 * recorded.  NULL otherwise.  Borrowed until qstore_catalog_free().
 */
const struct qcat_day *qstore_catalog_find(const struct qcatalog *,
	    const char *iface, const struct qfile *f);


#endif
