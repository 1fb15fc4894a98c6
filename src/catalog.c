/*
 * catalog.c - the store's catalog of day files (see catalog.h).
 *
 * The `days` table is described once, by catalog_cols[]: the schema, the
 * INSERT, the SELECT that reads it back and the sums over a day file's
 * `bins` are all made from it, so that a column cannot be added to one and
 * forgotten in another.
 *
 * Writing: one connection per update.  An update follows a bin write
 * (every few minutes per interface), so opening the small file each time
 * costs nothing that matters and no handle is shared between the writers
 * of several interfaces, which may update it at the same moment (WAL and a
 * busy timeout serialise them).
 *
 * Reading: flowq reads every row at once, read-only; see catalog_open()
 * for how it reads a file the store may be writing.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog.h"
#include "qstore.h"
#include "store.h"
#include "util.h"

#define CATALOG_BUSY_MS	5000
/* catalog.db's user_version (its application_id is the store's). */
#define CATALOG_VERSION	1

/*
 * The columns of `days` after its key (iface, day), in table order: the
 * SQL that sums them over a day file's bins (NULL: a stat() value), and
 * where they live in struct catalog_day.
 */
static const struct catalog_col {
	const char	*name;
	const char	*sum;
	size_t		 off;
	int		 brief;		/* summed in a brief sum too */
} catalog_cols[] = {
#define SUM(n, b) { #n, "total(" #n ")", offsetof(struct catalog_day, n), b }
	{ "first", "coalesce(min(ts), -1)",
	    offsetof(struct catalog_day, first), 1 },
	{ "last", "coalesce(max(ts), -1)", offsetof(struct catalog_day, last),
	    0 },
	{ "bins", "count(*)", offsetof(struct catalog_day, bins), 1 },
	SUM(packets, 0), SUM(ip, 0), SUM(non_ip, 0), SUM(malformed, 0),
	SUM(flows, 1), SUM(flows_v4, 1), SUM(flows_v6, 1),
	SUM(bytes_rcvd, 1), SUM(bytes_sent, 1), SUM(pkts_rcvd, 1),
	SUM(pkts_sent, 1), SUM(kernel_packets, 0), SUM(kernel_drops, 1),
#undef SUM
	{ "db_size", NULL, offsetof(struct catalog_day, stat.db_size), 0 },
	{ "db_mtime_ns", NULL, offsetof(struct catalog_day, stat.db_mtime_ns),
	    0 },
	{ "wal_size", NULL, offsetof(struct catalog_day, stat.wal_size), 0 },
	{ "wal_mtime_ns", NULL,
	    offsetof(struct catalog_day, stat.wal_mtime_ns), 0 },
};
#define NCOLS	(sizeof catalog_cols / sizeof catalog_cols[0])

static int64_t *
col_ptr(struct catalog_day *d, size_t i)
{
	return (int64_t *)(void *)((char *)d + catalog_cols[i].off);
}

/* Which columns a list has. */
enum col_set { COLS_ALL, COLS_SUMS, COLS_BRIEF };

static int
col_in(size_t i, enum col_set set)
{
	switch (set) {
	case COLS_SUMS:
		return catalog_cols[i].sum != NULL;
	case COLS_BRIEF:
		return catalog_cols[i].brief;
	default:
		return 1;
	}
}

/* "a, b, c" of a set of columns (sums: their sums over bins). */
static char *
col_list(enum col_set set)
{
	char	*s = util_strdup(""), *t;
	size_t	 i;
	int	 sums = set != COLS_ALL;

	for (i = 0; i < NCOLS; i++) {
		if (!col_in(i, set))
			continue;
		t = util_printf("%s%s%s", s, *s != '\0' ? ", " : "",
		    sums ? catalog_cols[i].sum : catalog_cols[i].name);
		free(s);
		s = t;
	}
	return s;
}

/*
 * The SQL of catalog_day_sum(), made once: every sum or the brief ones,
 * then the end of the latest bin.  `flowq list` runs it on thousands of
 * files, where each aggregate more costs (17 instead of 12: +20 % CPU).
 */
static char		*sum_sql[2];
static pthread_once_t	 sum_once = PTHREAD_ONCE_INIT;

static void
sum_sql_make(void)
{
	char	*cols;
	int	 brief;

	for (brief = 0; brief < 2; brief++) {
		cols = col_list(brief ? COLS_BRIEF : COLS_SUMS);
		sum_sql[brief] = util_printf("SELECT %s, coalesce(max(ts + "
		    "interval), -1) FROM bins WHERE ts >= ?1 AND ts <= ?2",
		    cols);
		free(cols);
	}
}

int
catalog_day_sum(sqlite3 *db, int64_t lo, int64_t hi, int brief,
    struct catalog_day *d, int64_t *end)
{
	sqlite3_stmt	*s;
	size_t		 i;
	int		 rc, c = 0;

	memset(d, 0, sizeof *d);
	if (end != NULL)
		*end = -1;
	pthread_once(&sum_once, sum_sql_make);
	rc = sqlite3_prepare_v2(db, sum_sql[brief != 0], -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, lo);
	sqlite3_bind_int64(s, 2, hi);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (i = 0; i < NCOLS; i++) {
			if (col_in(i, brief ? COLS_BRIEF : COLS_SUMS))
				*col_ptr(d, i) = sqlite3_column_int64(s, c++);
		}
		if (end != NULL)
			*end = sqlite3_column_int64(s, c);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

int
catalog_day_read(sqlite3 *db, struct catalog_day *d)
{
	return catalog_day_sum(db, INT64_MIN, INT64_MAX, 0, d, NULL);
}

static void
stat_one(const char *path, int64_t *size, int64_t *mtime_ns)
{
	struct stat sb;

	if (stat(path, &sb) != 0) {
		*size = *mtime_ns = 0;
		return;
	}
	*size = (int64_t)sb.st_size;
	*mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 +
	    sb.st_mtim.tv_nsec;
}

/* stat() values of a day file and its -wal, as the catalog keeps them. */
static void
catalog_stat_files(const char *day_path, struct catalog_stat *cs)
{
	char *wal = util_printf("%s-wal", day_path);

	stat_one(day_path, &cs->db_size, &cs->db_mtime_ns);
	stat_one(wal, &cs->wal_size, &cs->wal_mtime_ns);
	free(wal);
}

/* The schema and the INSERT, made from catalog_cols[]. */
static void
write_sql(char **schema, char **insert)
{
	char	*defs = util_strdup(""), *params = util_strdup("?1, ?2"), *t;
	size_t	 i;

	for (i = 0; i < NCOLS; i++) {
		t = util_printf("%s %s INTEGER,", defs, catalog_cols[i].name);
		free(defs);
		defs = t;
		t = util_printf("%s, ?%zu", params, i + 3);
		free(params);
		params = t;
	}
	*schema = util_printf("PRAGMA journal_mode = WAL;"
	    "CREATE TABLE IF NOT EXISTS days (iface TEXT NOT NULL, day TEXT "
	    "NOT NULL,%s PRIMARY KEY (iface, day)) WITHOUT ROWID;", defs);
	*insert = util_printf("INSERT OR REPLACE INTO days VALUES (%s)",
	    params);
	free(defs);
	free(params);
}

/*
 * Open catalog.db to write it: never through a symbolic link (the store
 * writes only files it made), never a file that is not flowrec's catalog
 * (flowrec-schema(5): application_id "flow", user_version
 * CATALOG_VERSION).  A new, empty file, and one an earlier flowrec made
 * (no markers, the days table alone), get the markers; any other file is
 * refused and left as it is.  Returns 0, 1 when the file is absent and
 * not to be created, or -1 with *cause.
 */
static int
catalog_open_rw(const char *path, int create, sqlite3 **dbp, char **cause)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*s = NULL;
	int64_t		 app = -1, version = -1, objects = -1, ours = -1;
	struct stat	 sb;
	char		*sql;
	int		 rc;

	*dbp = NULL;
	/* NOFOLLOW closes the race with lstat(), which says it clearly */
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX |
	    SQLITE_OPEN_NOFOLLOW, NULL);
	if ((lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode)) || (db != NULL &&
	    sqlite3_extended_errcode(db) == SQLITE_CANTOPEN_SYMLINK)) {
		sqlite3_close(db);
		return util_cause(cause, -1, "%s: a symbolic link; flowrec "
		    "writes only files it made", path);
	}
	if (rc == SQLITE_CANTOPEN && !create) {
		sqlite3_close(db);
		return 1;
	}
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, CATALOG_BUSY_MS);
		rc = sqlite3_prepare_v2(db, "SELECT (SELECT application_id "
		    "FROM pragma_application_id), (SELECT user_version FROM "
		    "pragma_user_version), (SELECT count(*) FROM sqlite_master),"
		    " (SELECT count(*) FROM sqlite_master WHERE type = 'table' "
		    "AND name = 'days')", -1, &s, NULL);
	}
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		app = sqlite3_column_int64(s, 0);
		version = sqlite3_column_int64(s, 1);
		objects = sqlite3_column_int64(s, 2);
		ours = sqlite3_column_int64(s, 3);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK) {
		util_cause(cause, -1, "%s: %s", path, db != NULL ?
		    sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	if (app == 0 && version == 0 && objects == ours) {
		sql = util_printf("PRAGMA application_id = %d; PRAGMA "
		    "user_version = %d", (int)STORE_APPLICATION_ID,
		    CATALOG_VERSION);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		free(sql);
		if (rc != SQLITE_OK) {
			util_cause(cause, -1, "%s: %s", path,
			    sqlite3_errmsg(db));
			sqlite3_close(db);
			return -1;
		}
	} else if (app != STORE_APPLICATION_ID || version != CATALOG_VERSION) {
		util_cause(cause, -1, "%s: not flowrec's catalog "
		    "(application_id %#llx, user_version %lld); not touching "
		    "it", path, (unsigned long long)(uint32_t)app,
		    (long long)version);
		sqlite3_close(db);
		return -1;
	}
	*dbp = db;
	return 0;
}

int
catalog_update(const char *db_dir, const char *iface, const char *day,
    const char *day_path, const struct catalog_day *d, char **cause)
{
	struct catalog_day row = *d;
	sqlite3		*db = NULL;
	sqlite3_stmt	*s = NULL;
	char		*path = util_printf("%s/catalog.db", db_dir);
	char		*schema, *insert;
	size_t		 i;
	int		 rc;

	catalog_stat_files(day_path, &row.stat);
	if (catalog_open_rw(path, 1, &db, cause) != 0) {
		free(path);
		return -EIO;
	}
	write_sql(&schema, &insert);
	rc = sqlite3_exec(db, schema, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, insert, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, iface, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, day, -1, SQLITE_STATIC);
		for (i = 0; i < NCOLS; i++)
			sqlite3_bind_int64(s, (int)i + 3, *col_ptr(&row, i));
		rc = sqlite3_step(s);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	if (rc != SQLITE_OK)
		rc = util_cause(cause, -EIO, "%s: %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(schema);
	free(insert);
	free(path);
	return rc;
}

int
catalog_remove_days(const char *db_dir, const char *iface,
    const char *const *days, size_t n, char **cause)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*s = NULL;
	char		*path = util_printf("%s/catalog.db", db_dir);
	char		*schema, *insert;
	size_t		 i;
	int		 rc;

	if ((rc = catalog_open_rw(path, 0, &db, cause)) != 0) {
		free(path);
		return rc > 0 ? 0 : -EIO;
	}
	write_sql(&schema, &insert);
	rc = sqlite3_exec(db, schema, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "DELETE FROM days WHERE iface = ?1"
		    " AND day = ?2", -1, &s, NULL);
	for (i = 0; rc == SQLITE_OK && i < n; i++) {
		sqlite3_bind_text(s, 1, iface, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, days[i], -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = util_cause(cause, -EIO, "%s: %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_close(db);
	free(schema);
	free(insert);
	free(path);
	return rc;
}

/* ------------------------------------------------------------ reading */

struct catalog {
	struct catalog_day *days;	/* sorted by iface, day */
	size_t		 ndays;
};

static int
day_cmp(const void *a, const void *b)
{
	const struct catalog_day	*x = a, *y = b;
	int				 c;

	if ((c = strcmp(x->iface, y->iface)) != 0)
		return c;
	return strcmp(x->day, y->day);
}

/* Every row of an open catalog.db.  NULL if it cannot be read. */
static struct catalog *
catalog_read(sqlite3 *db)
{
	struct catalog		*cat;
	struct catalog_day	*d;
	sqlite3_stmt		*st = NULL;
	const char		*iface, *day;
	char			*cols = col_list(COLS_ALL), *sql;
	size_t			 cap = 0, i;
	int			 rc = SQLITE_ERROR;

	if ((cat = calloc(1, sizeof *cat)) == NULL)
		abort();
	sql = util_printf("SELECT iface, day, %s FROM days", cols);
	free(cols);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		iface = (const char *)sqlite3_column_text(st, 0);
		day = (const char *)sqlite3_column_text(st, 1);
		if (iface == NULL || day == NULL || strlen(day) != 10)
			continue;
		for (i = 0; i < NCOLS; i++) {
			if (sqlite3_column_type(st, (int)i + 2) !=
			    SQLITE_INTEGER)
				break;
		}
		if (i < NCOLS)
			continue;	/* a row with a gap is no row */
		if (cat->ndays == cap) {
			cap = cap ? cap * 2 : 256;
			if ((cat->days = realloc(cat->days, cap *
			    sizeof *cat->days)) == NULL)
				abort();
		}
		d = &cat->days[cat->ndays++];
		memset(d, 0, sizeof *d);
		d->iface = util_strdup(iface);
		memcpy(d->day, day, 11);
		for (i = 0; i < NCOLS; i++)
			*col_ptr(d, i) = sqlite3_column_int64(st, (int)i + 2);
	}
fail:
	free(sql);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		catalog_free(cat);
		return NULL;
	}
	if (cat->ndays > 1)
		qsort(cat->days, cat->ndays, sizeof *cat->days, day_cmp);
	return cat;
}

/* flowrec's catalog, or one an earlier flowrec made (no markers). */
static int
catalog_markers(sqlite3 *db)
{
	sqlite3_stmt	*s;
	int		 rc, ok = 0;

	if (sqlite3_prepare_v2(db, "SELECT (SELECT application_id FROM "
	    "pragma_application_id), (SELECT user_version FROM "
	    "pragma_user_version)", -1, &s, NULL) != SQLITE_OK)
		return 0;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		ok = (sqlite3_column_int64(s, 0) == STORE_APPLICATION_ID &&
		    sqlite3_column_int64(s, 1) == CATALOG_VERSION) ||
		    (sqlite3_column_int64(s, 0) == 0 &&
		    sqlite3_column_int64(s, 1) == 0);
	sqlite3_finalize(s);
	return ok;
}

static int
same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

struct catalog *
catalog_open(const char *db_dir)
{
	struct catalog	*cat = NULL;
	struct stat	 sb, before, after;
	sqlite3		*db;
	char		*path, *wal, *cause = NULL;
	int		 try, immutable;

	path = util_printf("%s/catalog.db", db_dir);
	wal = util_printf("%s-wal", path);
	for (try = 0; cat == NULL && try < 3; try++) {
		if (lstat(path, &before) != 0)
			break;
		/* a symbolic link or a foreign file: the day files answer */
		if (!S_ISREG(before.st_mode)) {
			cause = util_printf("%s: %s", path,
			    S_ISLNK(before.st_mode) ? "a symbolic link; not a "
			    "file flowrec made" : "not a file");
			break;
		}
		/*
		 * Without a -wal there is nothing but the file to read:
		 * open it as immutable, which creates no -wal or -shm beside
		 * it, and read it again if the store changed it meanwhile
		 * (an immutable read takes no lock).  With a -wal (the
		 * store is writing) like a day file: read-only, as
		 * immutable when its WAL index cannot be had.  Rows an
		 * immutable read misses leave it with stale ones, which fail
		 * the stat() check: never a wrong answer.
		 */
		immutable = stat(wal, &sb) != 0 || sb.st_size == 0;
		if ((db = qstore_open_ro(path, immutable, &cause)) == NULL)
			break;
		if (!catalog_markers(db)) {
			cause = util_printf("%s: not flowrec's catalog", path);
			sqlite3_close(db);
			break;
		}
		cat = catalog_read(db);
		sqlite3_close(db);
		if (cat == NULL || !immutable)
			break;
		if (stat(path, &after) != 0 || !same_stat(&before, &after)) {
			catalog_free(cat);
			cat = NULL;
		}
	}
	if (cause != NULL)
		log_warn("%s; ignored", cause);
	free(cause);
	free(wal);
	free(path);
	return cat;
}

void
catalog_free(struct catalog *cat)
{
	size_t i;

	if (cat == NULL)
		return;
	for (i = 0; i < cat->ndays; i++)
		free(cat->days[i].iface);
	free(cat->days);
	free(cat);
}

const struct catalog_day *
catalog_find(const struct catalog *cat, const char *iface, int64_t day,
    const char *day_path)
{
	struct catalog_day	 key;
	struct catalog_stat	 now;
	const struct catalog_day *d;

	if (cat == NULL || cat->ndays == 0)
		return NULL;
	memset(&key, 0, sizeof key);
	key.iface = (char *)(uintptr_t)iface;
	util_utc_day(day, key.day, sizeof key.day);
	d = bsearch(&key, cat->days, cat->ndays, sizeof *cat->days, day_cmp);
	if (d == NULL)
		return NULL;
	/* a missing file and a -wal of none stat() as 0, 0 */
	catalog_stat_files(day_path, &now);
	if (now.db_size == 0 && now.db_mtime_ns == 0)
		return NULL;
	return memcmp(&now, &d->stat, sizeof now) == 0 ? d : NULL;
}
