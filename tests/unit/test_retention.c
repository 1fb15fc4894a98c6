/*
 * test_retention.c - retention_plan() on made-up days, and
 * retention_sweep() on a store directory of 400 day files with a quota:
 * which files go (with their -wal/-shm), which never do (today, the newest
 * of a recording interface, files not of the store's form), the counters,
 * the catalog rows, directories of interfaces no longer recorded.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "catalog.h"
#include "retention.h"
#include "tap.h"
#include "util.h"

#define DAY	86400
/* 2025-03-24 12:00 UTC */
#define NOW	((int64_t)1742817600)

static char *tmp;

static void
put_file(const char *path, size_t bytes)
{
	FILE *f = fopen(path, "w");
	static char buf[4096];

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	while (bytes > 0) {
		size_t n = bytes < sizeof buf ? bytes : sizeof buf;

		fwrite(buf, 1, n, f);
		bytes -= n;
	}
	fclose(f);
}

static int
exists(const char *fmt, const char *a, const char *b)
{
	char *p = util_printf(fmt, tmp, a, b);
	struct stat sb;
	int rc = stat(p, &sb) == 0;

	free(p);
	return rc;
}

/* Day files of iface: days back from NOW (0 = today), bytes each. */
static void
mk_days(const char *iface, int from_back, int to_back, size_t bytes,
    int with_wal)
{
	char day[16], *dir, *path;
	int b;

	dir = util_printf("%s/%s", tmp, iface);
	mkdir(dir, 0755);
	for (b = from_back; b >= to_back; b--) {
		util_utc_day(NOW - (int64_t)b * DAY, day, sizeof day);
		path = util_printf("%s/%s-%s.db", dir, iface, day);
		put_file(path, bytes);
		free(path);
		if (with_wal) {
			path = util_printf("%s/%s-%s.db-wal", dir, iface, day);
			put_file(path, 100);
			free(path);
			path = util_printf("%s/%s-%s.db-shm", dir, iface, day);
			put_file(path, 28);
			free(path);
		}
	}
	free(dir);
}

static size_t
count_db(const char *iface)
{
	char *dir = util_printf("%s/%s", tmp, iface);
	DIR *dp = opendir(dir);
	struct dirent *de;
	size_t n = 0, l;

	free(dir);
	if (dp == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL) {
		l = strlen(de->d_name);
		n += l > 3 && strcmp(de->d_name + l - 3, ".db") == 0;
	}
	closedir(dp);
	return n;
}

static int
catalog_rows(const char *iface)
{
	char *path = util_printf("%s/catalog.db", tmp);
	sqlite3 *db;
	sqlite3_stmt *s;
	int n = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, "SELECT count(*) FROM days "
	    "WHERE iface = ?1", -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, iface, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	free(path);
	return n;
}

static void
test_plan(void)
{
	struct retention_day d[6];
	struct conf_retention p;
	const char *why;
	const char *days[6] = { "2025-03-01", "2025-03-20", "2025-03-21",
	    "2025-03-22", "2025-03-23", "2025-03-24" };
	size_t i;

	memset(d, 0, sizeof d);
	for (i = 0; i < 6; i++) {
		memcpy(d[i].day, days[i], 10);
		d[i].bytes = 100;
		d[i].has_db = 1;
	}
	memset(&p, 0, sizeof p);
	is_int(retention_plan(d, 6, &p, "2025-03-24", 1, &why), 0,
	    "no bounds: nothing");
	p.keep_days = 3;
	is_int(retention_plan(d, 6, &p, "2025-03-24", 1, &why), 3,
	    "keep_days 3 on the 24th keeps the 22nd, 23rd and 24th");
	is_str(why, "older than keep_days", "why: keep_days");
	p.keep_days = 1;
	is_int(retention_plan(d, 6, &p, "2025-03-24", 1, NULL), 5,
	    "keep_days 1: today only");
	p.keep_days = 30;
	is_int(retention_plan(d, 6, &p, "2025-03-24", 1, NULL), 0,
	    "keep_days 30: the 1st is within 30 days");
	p.keep_days = 24;
	is_int(retention_plan(d, 6, &p, "2025-03-24", 1, NULL), 0,
	    "keep_days 24 on the 24th: the 1st is the oldest kept");
	p.keep_days = 23;
	is_int(retention_plan(d, 6, &p, "2025-03-24", 1, NULL), 1,
	    "keep_days 23: the 1st goes");
	p.keep_days = 0;
	p.max_bytes = 350;
	is_int(retention_plan(d, 6, &p, "2025-03-24", 1, &why), 3,
	    "max_bytes 350 of 600: three oldest go");
	is_str(why, "over max_bytes", "why: max_bytes");
	p.max_bytes = 1;
	is_int(retention_plan(d, 6, &p, "2025-03-24", 1, NULL), 5,
	    "max_bytes 1: everything but today");
	is_int(retention_plan(d, 5, &p, "2025-03-24", 1, NULL), 4,
	    "today missing: the newest (recorded) stays");
	is_int(retention_plan(d, 5, &p, "2025-03-24", 0, NULL), 5,
	    "not recording: the newest may go");
	is_int(retention_plan(d, 6, &p, "2025-03-20", 0, NULL), 1,
	    "days after today (a clock set back) stay");
	p.keep_days = 2;
	p.max_bytes = 250;
	is_int(retention_plan(d, 6, &p, "2025-03-24", 1, NULL), 4,
	    "both: the stricter wins");
	is_int(retention_plan(d, 0, &p, "2025-03-24", 1, NULL), 0,
	    "no days");
}

static void
test_sweep(void)
{
	struct retention_iface ifs[2];
	struct retention_stats st;
	struct retention_iface_stats *per = NULL;
	struct conf_retention global = { 0, 0 };
	struct catalog_day cd;
	char day[16], *path, *cause = NULL;
	size_t nper = 0, i;
	int b, rc;

	tmp = util_strdup("/tmp/test_retention.XXXXXX");
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	/* eth0: 400 days of 10 KiB, with -wal and -shm; recording. */
	mk_days("eth0", 399, 0, 10240, 1);
	/* eth0.100: 50 days up to yesterday (today not yet written). */
	mk_days("eth0.100", 50, 1, 1000, 0);
	/* old0: no longer configured, 40 days ending 40 days ago. */
	mk_days("old0", 79, 40, 500, 0);
	path = util_printf("%s/old0/.writer.lock", tmp);	/* the store's */
	put_file(path, 6);
	free(path);
	/* Files that are not the store's: never touched. */
	path = util_printf("%s/eth0/notes.txt", tmp);
	put_file(path, 10);
	free(path);
	path = util_printf("%s/eth0/eth0-2020-01-01.db.bak", tmp);
	put_file(path, 10);
	free(path);
	path = util_printf("%s/eth0/eth1-2020-01-01.db", tmp);
	put_file(path, 10);
	free(path);
	/* A -wal left without its .db (a crash between two unlinks). */
	path = util_printf("%s/eth0/eth0-2019-05-05.db-wal", tmp);
	put_file(path, 64);
	free(path);
	/* Catalog rows for every eth0 day. */
	memset(&cd, 0, sizeof cd);
	for (b = 399; b >= 0; b--) {
		util_utc_day(NOW - (int64_t)b * DAY, day, sizeof day);
		path = util_printf("%s/eth0/eth0-%s.db", tmp, day);
		rc = catalog_update(tmp, "eth0", day, path, &cd, &cause);
		free(path);
		if (rc != 0) {
			ok(0, "catalog_update: %s", cause);
			free(cause);
			return;
		}
	}
	is_int(catalog_rows("eth0"), 400, "catalog: 400 rows for eth0");

	memset(ifs, 0, sizeof ifs);
	ifs[0].name = "eth0";
	ifs[0].policy.keep_days = 365;
	ifs[0].policy.max_bytes = 300 * (10240 + 128);	/* 300 days' worth */
	ifs[0].recording = 1;
	ifs[1].name = "eth0.100";
	ifs[1].policy.max_bytes = 1;		/* a quota below one day */
	ifs[1].recording = 1;
	global.keep_days = 30;
	memset(&st, 0, sizeof st);
	rc = retention_sweep(tmp, ifs, 2, &global, NOW, &st, &per, &nper,
	    &cause);
	ok(rc == 0, "sweep (%s)", rc ? cause : "");

	is_int(count_db("eth0"), 300 + 1, "eth0: 300 days kept (+ eth1- file)");
	util_utc_day(NOW - 299 * DAY, day, sizeof day);
	ok(exists("%s/eth0/eth0-%s.db%s", day, ""), "eth0: the 300th day "
	    "back is kept");
	ok(exists("%s/eth0/eth0-%s.db%s", day, "-wal") &&
	    exists("%s/eth0/eth0-%s.db%s", day, "-shm"),
	    "eth0: with its -wal and -shm");
	util_utc_day(NOW - 300 * DAY, day, sizeof day);
	ok(!exists("%s/eth0/eth0-%s.db%s", day, "") &&
	    !exists("%s/eth0/eth0-%s.db%s", day, "-wal") &&
	    !exists("%s/eth0/eth0-%s.db%s", day, "-shm"),
	    "eth0: the 301st day back is gone, -wal and -shm too");
	ok(!exists("%s/eth0/eth0-%s.db%s", "2019-05-05", "-wal"),
	    "eth0: a leftover -wal without its .db is gone");
	ok(exists("%s/eth0/%s%s", "notes.txt", "") &&
	    exists("%s/eth0/%s%s", "eth0-2020-01-01.db.bak", "") &&
	    exists("%s/eth0/%s%s", "eth1-2020-01-01.db", ""),
	    "eth0: files not of the store's form are left alone");
	is_int(catalog_rows("eth0"), 300, "catalog: eth0's removed days' "
	    "rows are gone");

	is_int(count_db("eth0.100"), 1, "eth0.100: quota below a day keeps "
	    "its newest (still being written)");
	util_utc_day(NOW - 1 * DAY, day, sizeof day);
	ok(exists("%s/eth0.100/eth0.100-%s.db%s", day, ""),
	    "eth0.100: the newest is yesterday's");

	is_int(count_db("old0"), 0, "old0 (not configured): global keep_days "
	    "30 removes all its days, 40..79 days old");
	ok(!exists("%s/%s%s", "old0", ""), "old0: its directory too, with "
	    "the store's lock file");

	is_int(st.days_removed, 100 + 1 + 49 + 40, "days removed counted");
	is_int(st.files_removed, 100 * 3 + 1 + 49 + 40, "files removed "
	    "counted");
	is_int(st.bytes_removed, 100 * (10240 + 128) + 64 + 49 * 1000 +
	    40 * 500, "bytes removed counted");
	is_int(st.errors, 0, "no errors");
	for (i = 0; i < nper && strcmp(per[i].name, "eth0") != 0; i++)
		;
	ok(i < nper && per[i].days_removed == 101 &&
	    per[i].files_removed == 301, "per interface: eth0");
	retention_stats_free(per, nper);

	/* Again: nothing more to do. */
	per = NULL;
	nper = 0;
	memset(&st, 0, sizeof st);
	ifs[1].busy = 1;
	rc = retention_sweep(tmp, ifs, 2, &global, NOW, &st, &per, &nper,
	    NULL);
	ok(rc == 0 && st.days_removed == 0 && st.files_removed == 0 &&
	    st.deferred == 1, "a second pass removes nothing; a busy "
	    "interface is deferred");
	retention_stats_free(per, nper);

	/* A day later, keep_days moves on by one. */
	per = NULL;
	nper = 0;
	memset(&st, 0, sizeof st);
	ifs[0].policy.max_bytes = 0;
	ifs[0].policy.keep_days = 200;
	rc = retention_sweep(tmp, ifs, 1, &global, NOW + DAY, &st, &per,
	    &nper, NULL);
	is_int(count_db("eth0"), 199 + 1, "keep_days 200 a day later: 199 "
	    "old days and today's (not yet written) window");
	retention_stats_free(per, nper);

	ok(retention_sweep("/nonexistent/flowrec", ifs, 1, &global, NOW, &st,
	    &per, &nper, &cause) == -ENOENT && cause != NULL,
	    "a missing db_path is an error (%s)", cause ? cause : "");
	free(cause);
	path = util_printf("rm -rf '%s'", tmp);
	if (system(path) != 0)
		ok(0, "cleanup");
	free(path);
	free(tmp);
}

int
main(void)
{
	test_plan();
	test_sweep();
	return tap_done();
}
