/*
 * store.c - write frozen bins into per-interface, per-day SQLite files.
 *
 * The offline reader and the daemon's writer thread call store_write_bin()
 * with each frozen bin; the store opens (creating, checking or migrating)
 * the day file of the bin's ts, and writes the bin in one transaction:
 * addresses and flow keys new to the day get ids in sorted order and are
 * inserted, rows are appended (or added to, when the bin was written
 * before), and the bin's counters are added to bins and bin_skips
 * (store_sql.c has the steps, store_ids.c the maps and sorts behind them).
 * The first bin of a day, when large, skips the INSERTs: btload lays its
 * trees out in a new file that takes the day's name when whole
 * (store_newday.c); the ids and maps are the same either way.
 *
 * This file holds the API, the day file's lifecycle (open, create, check,
 * migrate, configure, load the maps, analyze, roll up and close) and the
 * bin's transaction.  store_int.h says how the four parts fit and their
 * one error convention.
 *
 * Invariants: one store per interface, used by one thread at a time, and
 * the only writer of its files (the maps and next ids are trusted between
 * transactions).  A map is either complete (it holds every row of its
 * table: a miss means new) or, once the day outgrows store__cache_max,
 * per-bin (cleared for each bin: a miss is looked up through the table's
 * UNIQUE index).  After a failed transaction the maps and next ids are
 * dropped and reloaded from the file, so a retry starts from the truth.
 * No allocation per row: work arrays grow with the largest bin seen.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "catalog.h"
#include "rollup.h"
#include "store_int.h"
#include "util.h"

/* Page size of new files, and the page cache of an open file (KiB). */
#ifndef STORE_PAGE_SIZE
#define STORE_PAGE_SIZE		4096
#endif
#ifndef STORE_CACHE_KIB
#define STORE_CACHE_KIB		65536
#endif
/* How long a statement waits for a lock held by another connection. */
#define STORE_BUSY_MS		10000
/* Rows ANALYZE reads per index (PRAGMA analysis_limit). */
#define STORE_ANALYZE_LIMIT	1000
/* A WAL larger than this after a checkpoint is truncated (bytes). */
#define STORE_WAL_LIMIT		(64 << 20)
/* Checkpoint once the WAL holds this many pages (SQLite's default). */
#define STORE_CKPT_PAGES	1000

/* Generated from sql/migrate-NNN.sql: [v] turns a version v-1 file into v. */
extern const char *const store_migrate_sql[];
extern const int store_migrate_count;

int store__version = STORE_SCHEMA_VERSION;
const char *store__schema;
const char *const *store__migrations;
int store__migrations_count;
size_t store__cache_max = STORE_CACHE_MAX;
size_t store__bulk_keys = STORE_BULK_KEYS;
size_t store__new_day_rows = STORE_BULK_KEYS;

/* ------------------------------------------------------------ errors */

static int
store_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return -EINVAL;
	default:
		return -EIO;
	}
}

int
store__fail(struct store *st, sqlite3 *db, int rc, char **cause)
{
	const char *msg = sqlite3_errstr(rc);
	int e;

	/* SQLite's own message when the failure was SQLite's. */
	if (db != NULL && (sqlite3_errcode(db) & 0xff) == (rc & 0xff))
		msg = sqlite3_errmsg(db);
	/*
	 * "unable to open database file" says nothing of why (a read-only
	 * file system, permissions, a symbolic link): the system's errno does.
	 */
	if ((rc & 0xff) == SQLITE_CANTOPEN) {
		if (rc == SQLITE_CANTOPEN_SYMLINK)
			return util_cause(cause, -ELOOP, "%s: a symbolic link;"
			    " flowrec writes only files it made", st->path);
		if (db != NULL && (e = sqlite3_system_errno(db)) > 0)
			return util_cause(cause, -e, "%s: %s: %s", st->path, msg,
			    strerror(e));
	}
	return util_cause(cause, store_errno(rc), "%s: %s", st->path, msg);
}

/* Run SQL that returns no rows we need; 0 or negative with *cause. */
static int
store_exec(struct store *st, sqlite3 *db, const char *sql, char **cause)
{
	int rc;

	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store__fail(st, db, rc, cause);
	return 0;
}

int
store__ids_exhausted(struct store *st, const char *what, char **cause)
{
	return util_cause(cause, -EOVERFLOW, "%s: no %s ids left: a day holds"
	    " at most %u", st->path, what, STORE_MAX_ID);
}

/* One integer from a query (NULL reads as 0); 0 or negative. */
int
store__query_int(struct store *st, sqlite3 *db, const char *sql,
    int64_t *out, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	*out = 0;
	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store__fail(st, db, rc, cause);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE) {
		rc = store__fail(st, db, rc, cause);
		sqlite3_finalize(s);
		return rc;
	}
	sqlite3_finalize(s);
	return 0;
}

/* ------------------------------------------------------------ files */

char *
store_day_path(const char *db_dir, const char *iface, int64_t ts)
{
	char day[16];

	util_utc_day(ts, day, sizeof day);
	return util_printf("%s/%s/%s-%s.db", db_dir, iface, iface, day);
}

/*
 * The journal of a file: WAL for a day file; a rollback journal while a
 * new day's ".new" is built, whose pages btload writes behind SQLite's
 * back (so all of them must be in the file itself, none in a WAL).
 */
struct store_journal {
	const char	*pragma;	/* journal_mode's value */
	const char	*name;		/* for messages */
};

static const struct store_journal store_wal = { "wal", "WAL" };
static const struct store_journal store_rollback = { "delete", "DELETE" };

/* Fill a new, empty file: schema, version, meta rows. */
static int
store_create(struct store *st, sqlite3 *db, const struct flowtab_bin *bin,
    const struct store_journal *journal, char **cause)
{
	static const char *const meta_sql = "INSERT INTO meta (name, value)"
	    " VALUES ('iface', ?1), ('day', ?2), ('interval', ?3),"
	    " ('created_by', ?4), ('created', ?5)";
	sqlite3_stmt *s = NULL;
	char *sql, created[32];
	int64_t n;
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	/*
	 * All three only take effect before the first page is written.  No
	 * auto-vacuum, whatever the library's default: btload cannot extend
	 * a file with pointer maps, and nothing here deletes data.
	 */
	sql = util_printf("PRAGMA page_size = %d; PRAGMA auto_vacuum = NONE;"
	    " PRAGMA journal_mode = %s", STORE_PAGE_SIZE, journal->pragma);
	rc = store_exec(st, db, sql, cause);
	free(sql);
	if (rc != 0)
		return rc;
	if ((rc = store_exec(st, db, "BEGIN IMMEDIATE", cause)) != 0)
		return rc;
	/* Someone may have created it since we looked. */
	rc = store__query_int(st, db, "SELECT count(*) FROM sqlite_master",
	    &n, cause);
	if (rc != 0)
		goto fail;
	if (n != 0) {
		rc = util_cause(cause, -EAGAIN,
		    "%s: created by someone else meanwhile", st->path);
		goto fail;
	}
	if ((rc = store_exec(st, db, store__schema != NULL ? store__schema :
	    store_schema_sql, cause)) != 0)
		goto fail;
	sql = util_printf("PRAGMA application_id = %d; PRAGMA user_version = %d",
	    (int)STORE_APPLICATION_ID, store__version);
	rc = store_exec(st, db, sql, cause);
	free(sql);
	if (rc != 0)
		goto fail;

	gmtime_r(&now, &tm);
	strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
	rc = sqlite3_prepare_v2(db, meta_sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, st->iface, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, st->day, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, bin->interval);
		sqlite3_bind_text(s, 4, "flowrec " PACKAGE_VERSION, -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(s, 5, created, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
	}
	if (rc != SQLITE_DONE) {
		rc = store__fail(st, db, rc, cause);
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	if ((rc = store_exec(st, db, "COMMIT", cause)) != 0)
		goto fail;
	return 0;

fail:
	sqlite3_finalize(s);
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Bring a version `from` file to store__version, in one transaction. */
static int
store_migrate(struct store *st, sqlite3 *db, int from, char **cause)
{
	const char *const *mig = store__migrations ? store__migrations :
	    store_migrate_sql;
	int nmig = store__migrations ? store__migrations_count :
	    store_migrate_count;
	char *sql;
	int v, rc;

	for (v = from + 1; v <= store__version; v++) {
		if (v >= nmig || mig[v] == NULL)
			return util_cause(cause, -ENOTSUP,
			    "%s: no migration from schema version %d to %d",
			    st->path, v - 1, v);
	}
	if ((rc = store_exec(st, db, "BEGIN IMMEDIATE", cause)) != 0)
		return rc;
	for (v = from + 1; v <= store__version; v++) {
		rc = store_exec(st, db, mig[v], cause);
		if (rc != 0) {
			util_cause(cause, rc,
			    "%s: migrating to schema version %d: %s", st->path,
			    v, sqlite3_errmsg(db));
			goto fail;
		}
	}
	sql = util_printf("PRAGMA user_version = %d", store__version);
	rc = store_exec(st, db, sql, cause);
	free(sql);
	if (rc != 0)
		goto fail;
	if ((rc = store_exec(st, db, "COMMIT", cause)) != 0)
		goto fail;
	log_info("%s: migrated from schema version %d to %d", st->path, from,
	    store__version);
	return 0;

fail:
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/*
 * Check what the file is: create it when empty, migrate it when older,
 * refuse it when it is not ours or newer.  Never writes to a file that
 * is not a flowrec database.
 */
static int
store_check(struct store *st, sqlite3 *db, const struct flowtab_bin *bin,
    const struct store_journal *journal, char **cause)
{
	int64_t app, version, objects;
	int rc;

	if ((rc = store__query_int(st, db, "PRAGMA application_id", &app,
	    cause)) != 0)
		return rc;
	if ((rc = store__query_int(st, db, "PRAGMA user_version", &version,
	    cause)) != 0)
		return rc;
	if ((rc = store__query_int(st, db, "SELECT count(*) FROM sqlite_master",
	    &objects, cause)) != 0)
		return rc;

	if (app == 0 && version == 0 && objects == 0)
		return store_create(st, db, bin, journal, cause);
	if (app != (int64_t)STORE_APPLICATION_ID)
		return util_cause(cause, -EINVAL, "%s: not a flowrec database "
		    "(application_id %#llx, not %#x); not touching it",
		    st->path, (unsigned long long)(uint32_t)app,
		    STORE_APPLICATION_ID);
	if (version > store__version)
		return util_cause(cause, -EPROTONOSUPPORT, "%s: schema version "
		    "%lld is newer than this flowrec's (%d); use a newer "
		    "flowrec", st->path, (long long)version, store__version);
	if (version < 1)
		return util_cause(cause, -EINVAL, "%s: flowrec database "
		    "without a schema version; not touching it", st->path);
	if (version < store__version)
		return store_migrate(st, db, (int)version, cause);
	return 0;
}

/* The per-connection settings; see doc/storage.md for the choices. */
static int
store_configure(struct store *st, sqlite3 *db,
    const struct store_journal *journal, char **cause)
{
	char *sql, mode[16] = "";
	sqlite3_stmt *s;
	int rc;

	/*
	 * A file someone converted to a rollback journal goes back to WAL, and
	 * a new day's file switches to it when it opens under the day's name.
	 */
	sql = util_printf("PRAGMA journal_mode = %s", journal->pragma);
	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return store__fail(st, db, rc, cause);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		snprintf(mode, sizeof mode, "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store__fail(st, db, rc, cause);
	if (strcmp(mode, journal->pragma) != 0)
		return util_cause(cause, -ENOTSUP, "%s: cannot use %s mode "
		    "(journal_mode is %s)", st->path, journal->name, mode);

	sql = util_printf("PRAGMA synchronous = NORMAL;"
	    " PRAGMA cache_size = -%d;"
	    " PRAGMA secure_delete = OFF;"
	    " PRAGMA journal_size_limit = %d",
	    STORE_CACHE_KIB, STORE_WAL_LIMIT);
	rc = store_exec(st, db, sql, cause);
	free(sql);
	return rc;
}

void
store__forget(struct store *st)
{
	st->loaded = 0;
	store__addr_map_clear(&st->addrs);
	store__key_map_clear(&st->keys);
}

/*
 * Statistics for the planner.  A query on the view finds keys through the
 * dictionaries' indexes (skip-scanning proto for a dport condition), then
 * their rows with a skip-scan of flow_rows over ts; the planner only picks
 * those when sqlite_stat1 says proto and ts have few distinct values.
 *
 * ANALYZE with analysis_limit is cheap but guesses a leading column from
 * its first rows (it takes the proto or ts of those for hundreds of
 * values), so it only serves the first analysis of a new file; later ones
 * read the dictionaries in full.  flow_rows, the big table, is never read:
 * the store knows its rows and bins, and writes that line itself.
 */
static void
store_analyze(struct store *st)
{
	char *err = NULL, *sql;
	int rc;

	sql = util_printf("BEGIN IMMEDIATE; PRAGMA analysis_limit = %d;"
	    " ANALYZE addrs; ANALYZE flow_keys;"
	    " DELETE FROM sqlite_stat1 WHERE tbl = 'flow_rows';"
	    " INSERT INTO sqlite_stat1 (tbl, idx, stat)"
	    " SELECT 'flow_rows', 'flow_rows', sum(flows) || ' ' ||"
	    " max(1, sum(flows) / count(*)) || ' 1' FROM bins WHERE flows > 0"
	    " HAVING count(*) > 0; COMMIT",
	    st->rows_analyzed == 0 ? STORE_ANALYZE_LIMIT : 0);
	rc = sqlite3_exec(st->db, sql, NULL, NULL, &err);
	free(sql);
	if (rc != SQLITE_OK) {
		log_warn("%s: ANALYZE: %s", st->path, err ? err : "failed");
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	} else
		st->rows_analyzed = st->rows;
	sqlite3_free(err);
}

/*
 * Readers open a finished day's file as immutable (qstore.c): no locks,
 * the file is trusted not to change.  A writer may open such a day again
 * (a restart, --read of an older capture); its commits go to the WAL,
 * which immutable readers do not see, and only a checkpoint (or the one
 * at close) changes the file itself.  So the writer checkpoints a day that
 * is over only while it holds the interface directory's flock()
 * exclusively, and immutable readers hold it shared for as long as they
 * read: a reader sees the file whole as some commit left it, and a
 * checkpoint that would change it under a reader is put off (the WAL
 * grows meanwhile; readers that come then read through it).  The writer
 * never waits: today's file is never read as immutable and checkpoints
 * as ever; a past day's checkpoint is tried again at the next commit.
 * The hour of margin readers add (QSTORE_FINISHED_AFTER) covers a
 * checkpoint that began just before the day ended.
 */
static int
store_ckpt_lock(struct store *st)
{
	if (st->dir_fd < 0 || st->day_ts + 86400 > (int64_t)time(NULL))
		return 0;
	return flock(st->dir_fd, LOCK_EX | LOCK_NB) == 0 ? 1 : -1;
}

static void
store_ckpt_unlock(struct store *st, int locked)
{
	if (locked == 1)
		flock(st->dir_fd, LOCK_UN);
}

/* sqlite3_wal_hook(): SQLite's automatic checkpoint, under the lock. */
static int
store_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct store *st = arg;
	int locked;

	if (pages < STORE_CKPT_PAGES || (locked = store_ckpt_lock(st)) < 0)
		return SQLITE_OK;
	sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL,
	    NULL);
	store_ckpt_unlock(st, locked);
	return SQLITE_OK;
}

/* Close the connection; the maps, next ids and path stay. */
void
store__close_db(struct store *st)
{
	int locked;

	store__stmts_finalize(st);
	/* Readers of the day: the WAL stays, to be folded in next time. */
	if ((locked = store_ckpt_lock(st)) < 0)
		sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1,
		    NULL);
	if (sqlite3_close(st->db) != SQLITE_OK)
		log_warn("%s: close: %s", st->path, sqlite3_errmsg(st->db));
	store_ckpt_unlock(st, locked);
	st->db = NULL;
}

/* Roll an open batch back: none of its writes happened. */
static void
store_batch_rollback(struct store *st)
{
	if (!st->in_batch)
		return;
	if (!sqlite3_get_autocommit(st->db))
		store__step(st, st->stmt[STORE_STMT_ROLLBACK], NULL);
	log_debug("%s: batch of %zu rows rolled back", st->path,
	    st->batch_rows);
	st->in_batch = 0;
	st->batch_rows = 0;
	store__forget(st);
}

void
store_close_day(struct store *st)
{
	if (st->db == NULL)
		return;
	store_batch_rollback(st);
	if (st->loaded && st->rows != st->rows_analyzed)
		store_analyze(st);
	store__close_db(st);
	free(st->path);
	st->path = NULL;
	st->day[0] = '\0';
	store__forget(st);
}

/* Record the open day file's totals in the catalog (a cache: only logged). */
static void
store_catalog(struct store *st, const char *path, const char *day,
    const struct catalog_day *d)
{
	char *cause = NULL;

	if (catalog_update(st->dir, st->iface, day, path, d, &cause) != 0)
		log_warn("%s", cause);
	free(cause);
}

/*
 * Close the day file when its day is over (or the store is done with it):
 * roll up what is not rolled up yet, close it, and record its totals in
 * the catalog once the close has folded the WAL into the file.
 */
static void
store_finish_day(struct store *st)
{
	struct catalog_day d;
	char *cause = NULL, *path, day[16];
	int have;

	if (st->db == NULL)
		return;
	store_batch_rollback(st);
	if (st->loaded && rollup_build(st->db, st->path, st->day_ts,
	    st->day_ts + ROLLUP_DAY, 1, &cause) != 0)
		log_warn("%s", cause);
	free(cause);
	have = catalog_day_read(st->db, &d) == SQLITE_OK;
	path = util_strdup(st->path);
	memcpy(day, st->day, sizeof day);
	store_close_day(st);
	if (have)
		store_catalog(st, path, day, &d);
	free(path);
}

/* Remove a ".new" file and what SQLite may have left beside it. */
void
store__unlink_new(const char *tmp)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char *p;
	size_t i;

	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		p = util_printf("%s%s", tmp, sfx[i]);
		unlink(p);
		free(p);
	}
}

/* A new day's file is opened at path, the ".new" beside the day's name. */
int
store__open_day(struct store *st, const struct flowtab_bin *bin,
    const char *path, char **cause)
{
	const struct store_journal *journal = path != NULL ? &store_rollback :
	    &store_wal;
	sqlite3 *db = NULL;
	struct stat sb;
	char *stale;
	int rc;

	free(st->path);		/* one store__close_db() kept */
	st->path = path != NULL ? util_strdup(path) :
	    store_day_path(st->dir, st->iface, bin->ts);
	/* A day's ".new" that a crash left (one writer per interface). */
	if (path == NULL) {
		stale = util_printf("%s.new", st->path);
		store__unlink_new(stale);
		free(stale);
	}
	util_utc_day(bin->ts, st->day, sizeof st->day);
	st->day_ts = bin->ts - bin->ts % ROLLUP_DAY;

	/*
	 * A symbolic link (or anything but a file) in the day file's place is
	 * refused: it would have the store create or write a file somewhere
	 * else.  NOFOLLOW closes the race with this check.
	 */
	if (lstat(st->path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		rc = util_cause(cause, S_ISLNK(sb.st_mode) ? -ELOOP : -EISDIR,
		    "%s: %s; flowrec writes only files it made", st->path,
		    S_ISLNK(sb.st_mode) ? "a symbolic link" : "not a file");
		goto fail;
	}
	/* The store is used by one thread at a time: no mutex per call. */
	rc = sqlite3_open_v2(st->path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
	    NULL);
	if (rc != SQLITE_OK) {
		rc = store__fail(st, db, rc, cause);
		goto fail;
	}
	sqlite3_busy_timeout(db, STORE_BUSY_MS);
	if ((rc = store_check(st, db, bin, journal, cause)) != 0)
		goto fail;
	/* SQLite falls back to reading a file it may not write. */
	if (sqlite3_db_readonly(db, "main") == 1) {
		rc = util_cause(cause, -EACCES, "%s: file is read-only",
		    st->path);
		goto fail;
	}
	if ((rc = store_configure(st, db, journal, cause)) != 0)
		goto fail;
	sqlite3_wal_hook(db, store_wal_hook, st);
	st->db = db;
	if ((rc = store__stmts_prepare(st, cause)) != 0) {
		st->db = NULL;
		goto fail;
	}
	st->loaded = 0;
	return 0;

fail:
	sqlite3_close(db);
	free(st->path);
	st->path = NULL;
	st->day[0] = '\0';
	return rc;
}

/*
 * Read the next ids, and the maps when they fit, from the file.  Runs
 * inside the write transaction so that it sees what the write builds on.
 */
int
store__load(struct store *st, char **cause)
{
	sqlite3_stmt *s = NULL;
	struct store_addr_slot *as;
	struct store_key_slot *ks;
	const void *blob;
	uint8_t ip[16];
	int64_t maxa, maxk, rows, stat;
	uint64_t hi[STORE_PREFETCH], lo[STORE_PREFETCH];
	uint32_t id[STORE_PREFETCH];
	int rc, len, i, n;

	store__forget(st);
	if ((rc = store__query_int(st, st->db, "SELECT max(id) FROM addrs",
	    &maxa, cause)) != 0)
		return rc;
	if ((rc = store__query_int(st, st->db, "SELECT max(id) FROM flow_keys",
	    &maxk, cause)) != 0)
		return rc;
	if ((rc = store__query_int(st, st->db, "SELECT total(flows) FROM bins",
	    &rows, cause)) != 0)
		return rc;
	if (maxa < 0 || maxa >= STORE_MAX_ID || maxk < 0 ||
	    maxk >= STORE_MAX_ID)
		return util_cause(cause, -EINVAL, "%s: ids out of range",
		    st->path);
	st->next_addr = (uint32_t)maxa + 1;
	st->next_key = (uint32_t)maxk + 1;
	st->rows = (uint64_t)rows;

	/* Rows when statistics were last gathered: "N ..." in sqlite_stat1. */
	if ((rc = store__query_int(st, st->db, "SELECT count(*) FROM"
	    " sqlite_master WHERE name = 'sqlite_stat1'", &stat, cause)) != 0)
		return rc;
	if (stat != 0 && (rc = store__query_int(st, st->db, "SELECT"
	    " max(CAST(stat AS INTEGER)) FROM sqlite_stat1"
	    " WHERE tbl = 'flow_rows'", &stat, cause)) != 0)
		return rc;
	st->rows_analyzed = (uint64_t)stat;

	/* The maps count up to max(id) entries; load only what fits. */
	st->addrs.complete = (uint64_t)maxa <= store__cache_max;
	if (st->addrs.complete && maxa > 0) {
		if (store__addr_map_reserve(&st->addrs, (size_t)maxa) != 0)
			goto nomem;
		rc = sqlite3_prepare_v2(st->db, "SELECT id, ip FROM addrs", -1,
		    &s, NULL);
		while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
			rc = SQLITE_OK;
			blob = sqlite3_column_blob(s, 1);
			len = sqlite3_column_bytes(s, 1);
			if ((len != 4 && len != 16) || sqlite3_column_int64(s,
			    0) <= 0)
				continue;	/* not ours: never matches */
			memset(ip, 0, sizeof ip);
			memcpy(ip, blob, (size_t)len);
			as = store__addr_map_find(&st->addrs, ip, len == 4 ? 4 : 6);
			if (as->id == 0)
				st->addrs.count++;
			memcpy(as->ip, ip, 16);
			as->family = len == 4 ? 4 : 6;
			as->id = (uint32_t)sqlite3_column_int64(s, 0);
		}
		if (rc != SQLITE_DONE)
			goto fail;
		sqlite3_finalize(s);
		s = NULL;
	}
	st->keys.complete = (uint64_t)maxk <= store__cache_max;
	if (st->keys.complete && maxk > 0) {
		if (store__key_map_reserve(&st->keys, (size_t)maxk) != 0)
			goto nomem;
		/* Packed as the map packs them: half the column calls. */
		rc = sqlite3_prepare_v2(st->db, "SELECT id, (sip << 32) | dip,"
		    " (dport << 32) | (proto << 16) | vlan FROM flow_keys", -1,
		    &s, NULL);
		/* A few rows at a time, their slots fetched ahead. */
		n = 0;
		while (rc == SQLITE_OK) {
			rc = sqlite3_step(s);
			if (rc == SQLITE_ROW) {
				hi[n] = (uint64_t)sqlite3_column_int64(s, 1);
				lo[n] = (uint64_t)sqlite3_column_int64(s, 2);
				id[n] = (uint32_t)sqlite3_column_int64(s, 0);
				store__key_map_prefetch(&st->keys, hi[n], lo[n]);
				if (++n < STORE_PREFETCH) {
					rc = SQLITE_OK;
					continue;
				}
			}
			for (i = 0; i < n; i++) {
				ks = store__key_map_find(&st->keys, hi[i], lo[i]);
				if (ks->id == 0)
					st->keys.count++;
				store__key_slot_set(ks, hi[i], lo[i], id[i]);
			}
			n = 0;
			if (rc == SQLITE_ROW)
				rc = SQLITE_OK;
		}
		if (rc != SQLITE_DONE)
			goto fail;
		sqlite3_finalize(s);
		s = NULL;
	}
	st->loaded = 1;
	return 0;

nomem:
	store__forget(st);
	return util_cause(cause, -ENOMEM, "%s: out of memory", st->path);
fail:
	rc = store__fail(st, st->db, rc, cause);
	sqlite3_finalize(s);
	store__forget(st);
	return rc;
}

/*
 * The interface's directory (made when missing) and the store's lock in
 * it: one writer per interface directory, since two would hand out the
 * same ids.  The lock is flock()ed for the store's life and released by
 * the kernel when the process dies, so a kill -9 leaves none behind; the
 * file holds the writer's pid, for the second writer's message.  A
 * symbolic link in the directory's place is refused: the store writes
 * only where it made its files.
 */
static int
store_lock(struct store *st, char **cause)
{
	struct stat sb;
	char *dir, *path, pid[24];
	ssize_t n;
	int fd, rc = 0;

	if (st->lock_fd >= 0)
		return 0;
	dir = util_printf("%s/%s", st->dir, st->iface);
	path = util_printf("%s/%s", dir, STORE_LOCK_NAME);
	if ((rc = util_mkdir_p(dir)) != 0) {
		rc = util_cause(cause, rc, "%s: %s", dir, strerror(-rc));
		goto out;
	}
	if (lstat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		rc = util_cause(cause, -ENOTDIR, "%s: not a directory (a"
		    " symbolic link?); flowrec writes only where it made its"
		    " files", dir);
		goto out;
	}
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = util_cause(cause, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (st->dir_fd < 0)
		st->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK) {
			rc = util_cause(cause, -errno, "%s: %s", path,
			    strerror(errno));
		} else {
			n = pread(fd, pid, sizeof pid - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			rc = util_cause(cause, -EBUSY, "%s: another writer"
			    " records this interface (pid %s): one writer per"
			    " interface", dir, pid[0] ? pid : "unknown");
		}
		close(fd);
		goto out;
	}
	/* Who holds it; only a message depends on it. */
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn("%s: %s", path, strerror(errno));
	st->lock_fd = fd;
out:
	free(path);
	free(dir);
	return rc;
}

/* ------------------------------------------------------------ writing */

static int
store_grow(struct store *st, size_t nrows)
{
	size_t n = st->work_rows ? st->work_rows : 1024;
	void *p;

	if (nrows <= st->work_rows)
		return 0;
	while (n < nrows)
		n *= 2;
#define GROW(field, count) do {						\
	if ((p = realloc(st->field, (count) * sizeof *st->field)) == NULL) \
		return -ENOMEM;						\
	st->field = p;							\
} while (0)
	GROW(row_sip, n);
	GROW(row_dip, n);
	GROW(row_order, n);
	GROW(row_tmp, n);
	GROW(new_addr, 2 * n);
	GROW(addr_tmp, 2 * n);
	GROW(new_key, n);
	GROW(new_id, 2 * n);
#undef GROW
	st->work_rows = n;
	return 0;
}

/*
 * After a commit whose last write was of bin ts: statistics when the rows
 * have doubled, rollups of the hours that are over, the catalog's totals.
 */
static void
store_after_commit(struct store *st, int64_t ts)
{
	struct catalog_day cday;
	char *rcause = NULL;
	uint64_t t0;

	if (st->rows >= 2 * st->rows_analyzed && st->rows != 0) {
		t0 = util_now_ns();
		store_analyze(st);
		log_debug("%s: ANALYZE %.3f s", st->path,
		    (double)(util_now_ns() - t0) / 1e9);
	}
	if (rollup_build(st->db, st->path, st->day_ts,
	    ts - ts % ROLLUP_HOUR, 0, &rcause) != 0)
		log_warn("%s", rcause);
	free(rcause);
	if (catalog_day_read(st->db, &cday) == SQLITE_OK)
		store_catalog(st, st->path, st->day, &cday);
}

void
store_set_last(struct store *st, int last)
{
	st->last = last;
}

void
store_set_batch(struct store *st, size_t rows)
{
	st->batch_max = rows;
}

int64_t
store_committed_end(const struct store *st)
{
	return st->committed_end;
}

int
store_commit(struct store *st, char **cause)
{
	int rc;

	if (!st->in_batch)
		return 0;
	if ((rc = store__step(st, st->stmt[STORE_STMT_COMMIT], cause)) != 0) {
		store_close_day(st);	/* rolls the batch back */
		return rc;
	}
	log_debug("%s: batch of %zu rows committed", st->path,
	    st->batch_rows);
	st->in_batch = 0;
	st->batch_rows = 0;
	st->committed_end = st->batch_end;
	store_after_commit(st, st->batch_last_ts);
	return 0;
}

int
store_write_bin(struct store *st, const struct flowtab_bin *bin,
    struct store_write_result *res, char **cause)
{
	struct store_write_result dummy;
	struct store_bin_sums sum;
	uint64_t t[6];
	char day[16];
	/* This write completes its bin: a batch may end after it. */
	int whole = bin->stats.early_writes == 0;
	int rc;

	if (res == NULL)
		res = &dummy;
	memset(res, 0, sizeof *res);
	memset(&sum, 0, sizeof sum);

	util_utc_day(bin->ts, day, sizeof day);
	if (st->db != NULL && strcmp(day, st->day) != 0) {
		/* A batch never spans two files. */
		if ((rc = store_commit(st, cause)) != 0)
			return rc;
		store_finish_day(st);
	}
	/* Two new addresses a row must fit beside STORE_PENDING. */
	if (bin->nrows > STORE_MAX_ID / 2)
		return util_cause(cause, -E2BIG, "%s/%s: a bin of %zu rows is"
		    " too large", st->dir, st->iface, bin->nrows);
	if (store_grow(st, bin->nrows) != 0)
		return util_cause(cause, -ENOMEM, "%s/%s: out of memory",
		    st->dir, st->iface);
	if ((rc = store_lock(st, cause)) != 0)
		return rc;

	t[0] = util_now_ns();
	/*
	 * A large first bin of a day: laid out at once (store_newday.c).  It
	 * commits itself, so in batch mode only a whole bin may take it.
	 */
	if (st->db == NULL && bin->nrows >= st->new_day_rows &&
	    (st->batch_max == 0 || whole)) {
		rc = store__write_new_day(st, bin, res, &sum, cause);
		if (rc == 0) {
			log_debug("%s: bin %lld: %zu rows, %zu keys, %zu addrs:"
			    " a new day laid out by btload in %.3f s",
			    st->path ? st->path : "", (long long)bin->ts,
			    bin->nrows, res->keys_new, res->addrs_new,
			    (double)(util_now_ns() - t[0]) / 1e9);
			res->new_day = 1;
			if (st->batch_max != 0)
				st->committed_end = bin->ts + bin->interval;
			goto written;
		}
		/* Nothing of it is visible: SQL can write the bin still. */
		if (rc != -EAGAIN && cause != NULL && *cause != NULL) {
			log_warn("%s; writing the bin with SQL", *cause);
			free(*cause);
			*cause = NULL;
		}
		memset(res, 0, sizeof *res);
		memset(&sum, 0, sizeof sum);
		t[0] = util_now_ns();
	}
	if (st->db == NULL && (rc = store__open_day(st, bin, NULL, cause)) != 0)
		return rc;
	if (!st->in_batch &&
	    (rc = store__step(st, st->stmt[STORE_STMT_BEGIN], cause)) != 0)
		goto rollback;
	if (!st->loaded && (rc = store__load(st, cause)) != 0)
		goto rollback;
	t[1] = util_now_ns();
	/* A bin of a rolled-up hour makes its rollups stale: drop them. */
	if ((rc = rollup_forget(st->db, bin->ts)) != SQLITE_DONE)
		rc = store__fail(st, st->db, rc, cause);
	else
		rc = store__write_addrs(st, bin, &res->addrs_new, cause);
	t[2] = util_now_ns();
	st->first_new_key = st->next_key;
	if (rc == 0)
		rc = store__write_keys(st, bin, &res->keys_new, cause);
	t[3] = util_now_ns();
	if (rc == 0)
		rc = store__write_rows(st, bin, &sum, res, cause);
	t[4] = util_now_ns();
	if (rc == 0)
		rc = store__write_counters(st, bin, &sum, cause);
	if (rc != 0)
		goto rollback;
	st->rows += sum.flows;
	if (st->batch_max != 0) {
		/* The batch goes on, unless this bin is whole and it is full. */
		st->in_batch = 1;
		st->batch_rows += bin->nrows;
		st->batch_last_ts = bin->ts;
		if (whole)
			st->batch_end = bin->ts + bin->interval;
		if (!whole || st->batch_rows < st->batch_max) {
			log_debug("%s: bin %lld: %zu rows (%zu new), %zu keys"
			    " new, %zu addrs new, in a batch of %zu rows",
			    st->path, (long long)bin->ts, bin->nrows,
			    res->rows_new, res->keys_new, res->addrs_new,
			    st->batch_rows);
			goto written;
		}
	}
	rc = store__step(st, st->stmt[STORE_STMT_COMMIT], cause);
	t[5] = util_now_ns();
	if (rc != 0)
		goto rollback;
	if (st->in_batch) {
		log_debug("%s: batch of %zu rows committed", st->path,
		    st->batch_rows);
		st->in_batch = 0;
		st->batch_rows = 0;
		st->committed_end = st->batch_end;
	}

	log_debug("%s: bin %lld: %zu rows (%zu new), %zu keys new, %zu addrs"
	    " new; seconds: load %.3f, addrs %.3f, keys %.3f, rows %.3f,"
	    " commit %.3f", st->path, (long long)bin->ts, bin->nrows,
	    res->rows_new, res->keys_new, res->addrs_new,
	    (double)(t[1] - t[0]) / 1e9, (double)(t[2] - t[1]) / 1e9,
	    (double)(t[3] - t[2]) / 1e9, (double)(t[4] - t[3]) / 1e9,
	    (double)(t[5] - t[4]) / 1e9);

written:
	/* Outgrown maps serve one bin at a time from now on. */
	if (st->addrs.complete && st->addrs.count > store__cache_max) {
		st->addrs.complete = 0;
		store__addr_map_clear(&st->addrs);
	}
	if (st->keys.complete && st->keys.count > store__cache_max) {
		st->keys.complete = 0;
		store__key_map_clear(&st->keys);
	}
	if (st->db == NULL)
		return 0;	/* a new day that could not be reopened */
	if (!st->in_batch)
		store_after_commit(st, bin->ts);
	return 0;

rollback:
	if (!sqlite3_get_autocommit(st->db))
		store__step(st, st->stmt[STORE_STMT_ROLLBACK], NULL);
	/* The retry starts from the file: reopened, maps reloaded. */
	st->in_batch = 0;
	st->batch_rows = 0;
	store__forget(st);
	store_close_day(st);
	memset(res, 0, sizeof *res);
	return rc;
}

struct store *
store_new(const char *db_dir, const char *iface)
{
	struct store *st;
	const char *v;
	char *end;
	unsigned long long n;

	if ((st = calloc(1, sizeof *st)) == NULL)
		return NULL;
	st->dir = util_strdup(db_dir);
	st->iface = util_strdup(iface);
	st->lock_fd = -1;
	st->dir_fd = -1;
	st->committed_end = INT64_MIN;
	st->batch_end = INT64_MIN;
	st->new_day_rows = store__new_day_rows;
	/* FLOWREC_NEW_DAY_ROWS=N: btload from N rows on; 0: never. */
	if ((v = getenv("FLOWREC_NEW_DAY_ROWS")) != NULL && *v != '\0') {
		n = strtoull(v, &end, 10);
		if (*end == '\0')
			st->new_day_rows = n == 0 ? SIZE_MAX : (size_t)n;
	}
	return st;
}

void
store_free(struct store *st)
{
	if (st == NULL)
		return;
	store_finish_day(st);
	store__addr_map_free(&st->addrs);
	store__key_map_free(&st->keys);
	free(st->row_sip);
	free(st->row_dip);
	free(st->row_order);
	free(st->row_tmp);
	free(st->new_addr);
	free(st->addr_tmp);
	free(st->new_key);
	free(st->new_id);
	if (st->lock_fd >= 0)
		close(st->lock_fd);	/* the lock goes with it */
	if (st->dir_fd >= 0)
		close(st->dir_fd);
	free(st->dir);
	free(st->iface);
	free(st);
}
