/*
 * rollup.c - hourly and daily sums of a day file's flow rows (see rollup.h).
 *
 * A rollup is built in C, not with GROUP BY: the rows it covers are read
 * in (ts, key) order and summed into an array indexed by key id (ids are
 * dense, 1..max), which is then written out in key order, so the rollup
 * table only ever grows at its right edge.  An hour of a busy day (12
 * bins, about a million rows) takes a fraction of a second; the day is
 * built from its hours' rollups and the bins of the hours without one.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rollup.h"
#include "util.h"

#define ROLLUP_BATCH	64	/* rows per multi-row INSERT */
/*
 * A rollup is kept only when it has at most 1/ROLLUP_MIN_RATIO of the rows
 * it sums.  A rollup row takes about as many bytes as a flow row (27 B), so
 * one level adds at most ~2 B to each row of the day: the file stays
 * within 40 B a row (doc/storage.md).  A rollup that would be larger is
 * declined: listed in `rollups` with rows = -1, so it is not tried again,
 * and queries read its bins.  FLOWREC_ROLLUP_MIN_RATIO overrides it.
 */
#define ROLLUP_MIN_RATIO 13

struct rollup_sum {
	uint64_t	 c[4];		/* bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent */
};

static int
rollup_error(sqlite3 *db, const char *path, char **cause)
{
	return util_cause(cause, -EIO, "%s: rollup: %s", path,
	    sqlite3_errmsg(db));
}

int
rollup_forget(sqlite3 *db, int64_t ts)
{
	static const char *const sql[] = {
		"DELETE FROM rollups WHERE (span = 3600 AND ts = ?1)"
		    " OR (span = 86400 AND ts = ?2)",
		"DELETE FROM flow_rows_1h WHERE ts = ?1",
		"DELETE FROM flow_rows_1d WHERE ts = ?2",
	};
	sqlite3_stmt *s;
	size_t i;
	int rc = SQLITE_DONE;

	for (i = 0; i < sizeof sql / sizeof sql[0]; i++) {
		rc = sqlite3_prepare_v2(db, sql[i], -1, &s, NULL);
		if (rc != SQLITE_OK)
			return rc;
		sqlite3_bind_int64(s, 1, ts - ts % ROLLUP_HOUR);
		sqlite3_bind_int64(s, 2, ts - ts % ROLLUP_DAY);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return rc;
		/* Nothing listed: no rollup rows to drop either. */
		if (i == 0 && sqlite3_changes(db) == 0)
			break;
	}
	return rc;
}

/* The INSERT of ROLLUP_BATCH rows into table, ?1 being the rollup's ts. */
static char *
rollup_insert_sql(const char *table)
{
	char *sql = util_printf("INSERT OR ROLLBACK INTO %s (ts, key,"
	    " bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent) VALUES ", table);
	char *next;
	int i, p;

	for (i = 0; i < ROLLUP_BATCH; i++) {
		p = 2 + i * 5;
		next = util_printf("%s%s(?1, ?%d, ?%d, ?%d, ?%d, ?%d)", sql,
		    i ? ", " : "", p, p + 1, p + 2, p + 3, p + 4);
		free(sql);
		sql = next;
	}
	return sql;
}

/* Write the non-empty sums in key order as table's rows at ts. */
static int
rollup_write(sqlite3 *db, const char *table, int64_t ts,
    const struct rollup_sum *sums, int64_t maxkey, int64_t *nrows)
{
	char *bsql = rollup_insert_sql(table);
	char *osql = util_printf("INSERT INTO %s (ts, key, bytes_rcvd,"
	    " bytes_sent, pkts_rcvd, pkts_sent) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	    table);
	sqlite3_stmt *batch = NULL, *one = NULL;
	int64_t key, pending[ROLLUP_BATCH];
	int n = 0, rc, i, j;

	*nrows = 0;
	rc = sqlite3_prepare_v2(db, bsql, -1, &batch, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, osql, -1, &one, NULL);
	free(bsql);
	free(osql);
	if (rc != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(batch, 1, ts);
	sqlite3_bind_int64(one, 1, ts);
	rc = SQLITE_DONE;
	for (key = 1; key <= maxkey + 1 && rc == SQLITE_DONE; key++) {
		if (key <= maxkey) {
			if ((sums[key].c[2] | sums[key].c[3]) == 0)
				continue;
			pending[n++] = key;
			if (n < ROLLUP_BATCH)
				continue;
		}
		/* A full batch, or the last rows one by one. */
		for (i = 0; i < n && rc == SQLITE_DONE; i++) {
			sqlite3_stmt *s = n == ROLLUP_BATCH ? batch : one;
			int p = n == ROLLUP_BATCH ? 2 + i * 5 : 2;

			sqlite3_bind_int64(s, p, pending[i]);
			for (j = 0; j < 4; j++)
				sqlite3_bind_int64(s, p + 1 + j,
				    (int64_t)sums[pending[i]].c[j]);
			if (s == one || i == n - 1) {
				rc = sqlite3_step(s);
				sqlite3_reset(s);
			}
		}
		*nrows += n;
		n = 0;
	}
out:
	sqlite3_finalize(batch);
	sqlite3_finalize(one);
	return rc == SQLITE_OK ? SQLITE_DONE : rc;
}

/*
 * Add the rows of [from, to) by key into sums: for an hour, its bins;
 * for the day, its rolled-up hours plus the bins of the hours that are
 * not (those with a single bin, and declined ones).
 */
static int
rollup_sum(sqlite3 *db, int span, int64_t from, int64_t to,
    struct rollup_sum *sums, int64_t maxkey)
{
	static const char *const hour_sql = "SELECT key, bytes_rcvd,"
	    " bytes_sent, pkts_rcvd, pkts_sent FROM flow_rows"
	    " WHERE ts >= ?1 AND ts < ?2";
	static const char *const day_sql = "SELECT key, bytes_rcvd,"
	    " bytes_sent, pkts_rcvd, pkts_sent FROM flow_rows_1h"
	    " WHERE ts >= ?1 AND ts < ?2 UNION ALL"
	    " SELECT key, bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent"
	    " FROM flow_rows WHERE ts >= ?1 AND ts < ?2 AND ts - ts % 3600"
	    " NOT IN (SELECT ts FROM rollups WHERE span = 3600"
	    " AND rows >= 0)";
	sqlite3_stmt *s;
	int64_t key;
	int rc, j;

	memset(sums, 0, (size_t)(maxkey + 1) * sizeof *sums);
	rc = sqlite3_prepare_v2(db, span == ROLLUP_HOUR ? hour_sql : day_sql,
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		key = sqlite3_column_int64(s, 0);
		if (key < 1 || key > maxkey)
			continue;	/* cannot happen: keys precede rows */
		for (j = 0; j < 4; j++)
			sums[key].c[j] += (uint64_t)sqlite3_column_int64(s,
			    1 + j);
	}
	sqlite3_finalize(s);
	return rc;
}

static int64_t
rollup_min_ratio(void)
{
	const char *v = getenv("FLOWREC_ROLLUP_MIN_RATIO");
	char *end;
	long r;

	if (v == NULL || *v == '\0')
		return ROLLUP_MIN_RATIO;
	r = strtol(v, &end, 10);
	return *end == '\0' && r >= 1 && r <= 1000000 ? r : ROLLUP_MIN_RATIO;
}

/*
 * The flow rows of [from, to), what the bins say they hold, and the most
 * any one bin holds.
 */
static int
rollup_base_rows(sqlite3 *db, int64_t from, int64_t to, int64_t *rows,
    int64_t *most)
{
	sqlite3_stmt *s;
	int rc;

	*rows = *most = 0;
	rc = sqlite3_prepare_v2(db, "SELECT coalesce(sum(flows), 0),"
	    " coalesce(max(flows), 0) FROM bins WHERE ts >= ?1 AND ts < ?2",
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, to);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*rows = sqlite3_column_int64(s, 0);
		*most = sqlite3_column_int64(s, 1);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(s);
	return rc;
}

/* Build one rollup of span at ts, or decline it (rows -1) when too big. */
static int
rollup_one(sqlite3 *db, int span, int64_t ts, struct rollup_sum *sums,
    int64_t maxkey)
{
	const char *to_table = span == ROLLUP_HOUR ? "flow_rows_1h" :
	    "flow_rows_1d";
	sqlite3_stmt *s = NULL;
	char *sql;
	int64_t nrows = 0, base = 0, least = 0, key;
	int64_t ratio = rollup_min_ratio();
	int declined, rc;

	if ((rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) !=
	    SQLITE_OK)
		return rc;
	/*
	 * A rollup has at least the rows of its largest bin, and the day's
	 * has one per key of the file (every key has rows): when even that
	 * is too many, it is declined without reading its rows.  With 300 s
	 * bins that is every hour.
	 */
	rc = rollup_base_rows(db, ts, ts + span, &base, &least);
	if (span == ROLLUP_DAY)
		least = maxkey;
	declined = least * ratio > base;
	if (rc == SQLITE_DONE && !declined) {
		rc = rollup_sum(db, span, ts, ts + span, sums, maxkey);
		for (key = 1, nrows = 0; key <= maxkey; key++)
			if ((sums[key].c[2] | sums[key].c[3]) != 0)
				nrows++;
		declined = nrows * ratio > base;
	}
	if (rc == SQLITE_DONE) {
		sql = util_printf("DELETE FROM %s WHERE ts = %lld", to_table,
		    (long long)ts);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		free(sql);
		rc = rc == SQLITE_OK ? SQLITE_DONE : rc;
	}
	if (rc == SQLITE_DONE && declined)
		nrows = -1;	/* not worth its bytes */
	else if (rc == SQLITE_DONE)
		rc = rollup_write(db, to_table, ts, sums, maxkey, &nrows);
	if (rc == SQLITE_DONE) {
		rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO rollups"
		    " (span, ts, rows) VALUES (?1, ?2, ?3)", -1, &s, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int(s, 1, span);
			sqlite3_bind_int64(s, 2, ts);
			sqlite3_bind_int64(s, 3, nrows);
			rc = sqlite3_step(s);
		}
		sqlite3_finalize(s);
	}
	if (rc == SQLITE_DONE)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK && rc != SQLITE_DONE) {
		if (!sqlite3_get_autocommit(db))
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return SQLITE_OK;
}

/* One integer column of a query with ?1 = day, ?2 = until. */
static int
rollup_list(sqlite3 *db, const char *sql, int64_t day, int64_t until,
    int64_t *out, int max, int *n)
{
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, day);
	sqlite3_bind_int64(s, 2, until);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max)
		out[(*n)++] = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

int
rollup_build(sqlite3 *db, const char *path, int64_t day, int64_t until,
    int with_day, char **cause)
{
	/*
	 * Hours over by until, not rolled up yet, with two bins or more (the
	 * rollup of a single bin would only repeat its rows).
	 */
	static const char *const hours_sql =
	    "SELECT ts - ts % 3600 AS h FROM bins"
	    " WHERE ts >= ?1 AND ts < ?1 + 86400 AND ts - ts % 3600 + 3600 <= ?2"
	    " GROUP BY h HAVING count(*) >= 2"
	    " AND h NOT IN (SELECT ts FROM rollups WHERE span = 3600)"
	    " ORDER BY h";
	/*
	 * For the day: hours of two bins or more still without a rollup,
	 * hours with bins (the day is rolled up only when it spans two or
	 * more: else its one hour says it all), and day rollups there are.
	 */
	static const char *const missing_sql =
	    "SELECT count(*) FROM (SELECT ts - ts % 3600 AS h FROM bins"
	    " WHERE ts >= ?1 AND ts < ?1 + 86400 GROUP BY h"
	    " HAVING count(*) >= 2)"
	    " WHERE h NOT IN (SELECT ts FROM rollups WHERE span = 3600)"
	    " UNION ALL SELECT count(DISTINCT ts - ts % 3600) FROM bins"
	    " WHERE ts >= ?1 AND ts < ?1 + 86400"
	    " UNION ALL SELECT count(*) FROM rollups"
	    " WHERE span = 86400 AND ts = ?1";
	struct rollup_sum *sums = NULL;
	int64_t hours[24], maxkey = 0, counts[3];
	uint64_t t0 = util_now_ns();
	sqlite3_stmt *s;
	int nhours, n, i, rc;

	rc = rollup_list(db, hours_sql, day, until, hours, 24, &nhours);
	if (rc != SQLITE_DONE)
		return rollup_error(db, path, cause);
	if (with_day) {
		rc = rollup_list(db, missing_sql, day, until, counts, 3, &n);
		if (rc != SQLITE_DONE || n != 3)
			return rollup_error(db, path, cause);
		/* Build the day only if the hours will all be there. */
		with_day = counts[0] == nhours && counts[1] >= 2 &&
		    counts[2] == 0;
	}
	if (nhours == 0 && !with_day)
		return 0;
	rc = sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) FROM"
	    " flow_keys", -1, &s, NULL);
	if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		maxkey = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_OK)
		return rollup_error(db, path, cause);
	sums = calloc((size_t)maxkey + 1, sizeof *sums);
	if (sums == NULL)
		return util_cause(cause, -ENOMEM, "%s: rollup: out of memory",
		    path);
	for (i = 0; i < nhours; i++) {
		rc = rollup_one(db, ROLLUP_HOUR, hours[i], sums, maxkey);
		if (rc != SQLITE_OK)
			goto fail;
	}
	if (with_day) {
		rc = rollup_one(db, ROLLUP_DAY, day, sums, maxkey);
		if (rc != SQLITE_OK)
			goto fail;
	}
	free(sums);
	log_debug("%s: rolled up %d hours%s in %.3f s", path, nhours,
	    with_day ? " and the day" : "",
	    (double)(util_now_ns() - t0) / 1e9);
	return 0;

fail:
	free(sums);
	return rollup_error(db, path, cause);
}
