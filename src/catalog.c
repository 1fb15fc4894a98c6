/*
 * catalog.c - the store's catalog of day files (see catalog.h).
 *
 * One connection per update: an update follows a bin write (every few
 * minutes per interface), so opening the small file each time costs
 * nothing that matters and no handle is shared between the writers of
 * several interfaces, which may update it at the same moment (WAL and a
 * busy timeout serialise them).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog.h"
#include "util.h"

#define CATALOG_BUSY_MS	5000

static const char catalog_schema[] =
    "PRAGMA journal_mode = WAL;"
    "CREATE TABLE IF NOT EXISTS days ("
    " iface TEXT NOT NULL, day TEXT NOT NULL,"
    " first INTEGER, last INTEGER, bins INTEGER,"
    " packets INTEGER, ip INTEGER, non_ip INTEGER, malformed INTEGER,"
    " flows INTEGER, flows_v4 INTEGER, flows_v6 INTEGER,"
    " bytes_rcvd INTEGER, bytes_sent INTEGER,"
    " pkts_rcvd INTEGER, pkts_sent INTEGER,"
    " kernel_packets INTEGER, kernel_drops INTEGER,"
    " db_size INTEGER, db_mtime_ns INTEGER,"
    " wal_size INTEGER, wal_mtime_ns INTEGER,"
    " PRIMARY KEY (iface, day)) WITHOUT ROWID;";

int
catalog_day_read(sqlite3 *db, struct catalog_day *d)
{
	sqlite3_stmt *s;
	int64_t *v[] = { &d->first, &d->last, &d->bins, &d->packets, &d->ip,
	    &d->non_ip, &d->malformed, &d->flows, &d->flows_v4, &d->flows_v6,
	    &d->bytes_rcvd, &d->bytes_sent, &d->pkts_rcvd, &d->pkts_sent,
	    &d->kernel_packets, &d->kernel_drops };
	size_t i;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT coalesce(min(ts), -1),"
	    " coalesce(max(ts), -1), count(*), total(packets), total(ip),"
	    " total(non_ip), total(malformed), total(flows), total(flows_v4),"
	    " total(flows_v6), total(bytes_rcvd), total(bytes_sent),"
	    " total(pkts_rcvd), total(pkts_sent), total(kernel_packets),"
	    " total(kernel_drops) FROM bins", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (i = 0; i < sizeof v / sizeof v[0]; i++)
			*v[i] = sqlite3_column_int64(s, (int)i);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
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

void
catalog_stat_files(const char *day_path, struct catalog_stat *cs)
{
	char *wal = util_printf("%s-wal", day_path);

	stat_one(day_path, &cs->db_size, &cs->db_mtime_ns);
	stat_one(wal, &cs->wal_size, &cs->wal_mtime_ns);
	free(wal);
}

int
catalog_update(const char *db_dir, const char *iface, const char *day,
    const char *day_path, const struct catalog_day *d, char **cause)
{
	struct catalog_stat cs;
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char *path = util_printf("%s/catalog.db", db_dir);
	int64_t v[22];
	int rc, i = 0;

	catalog_stat_files(day_path, &cs);
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, CATALOG_BUSY_MS);
		rc = sqlite3_exec(db, catalog_schema, NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO days VALUES"
		    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
		    " ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)", -1, &s,
		    NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, iface, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, day, -1, SQLITE_STATIC);
		v[i++] = d->first; v[i++] = d->last; v[i++] = d->bins;
		v[i++] = d->packets; v[i++] = d->ip; v[i++] = d->non_ip;
		v[i++] = d->malformed; v[i++] = d->flows; v[i++] = d->flows_v4;
		v[i++] = d->flows_v6; v[i++] = d->bytes_rcvd;
		v[i++] = d->bytes_sent; v[i++] = d->pkts_rcvd;
		v[i++] = d->pkts_sent; v[i++] = d->kernel_packets;
		v[i++] = d->kernel_drops; v[i++] = cs.db_size;
		v[i++] = cs.db_mtime_ns; v[i++] = cs.wal_size;
		v[i++] = cs.wal_mtime_ns;
		while (i-- > 0)
			sqlite3_bind_int64(s, i + 3, v[i]);
		rc = sqlite3_step(s);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	if (rc != SQLITE_OK)
		rc = util_cause(cause, -EIO, "%s: %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(path);
	return rc;
}
