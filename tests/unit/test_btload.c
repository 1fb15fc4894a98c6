/*
 * test_btload.c - unit tests of the b-tree loader (src/btload.c).
 *
 * Each case creates a file with SQLite (a rowid table with a text index,
 * a WITHOUT ROWID table), loads generated rows into its three trees with
 * btload, then opens it with SQLite again: PRAGMA integrity_check must say
 * "ok" (page use, order, free space, depth, every index entry of every
 * row), every row must read back as written, through the table and
 * through each index, and SQLite must be able to go on writing into it.
 * Sizes run over every count up to a few pages of small pages, so that
 * each way a level can end (including the ones btload must repair) comes
 * up, and on to trees of several levels.  Then what it must refuse: a
 * WAL or a hot journal beside the file, reserved bytes, UTF-16, auto-
 * vacuum, free pages, a record that needs overflow pages (one byte over
 * the limit, and the limit itself taken); and each of its writes, and its
 * fsync, failing through btload_fault: an error naming the file and the
 * call, never a crash or a leak.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "btload.h"
#include "tap.h"

static char path[256];

struct row {
	int64_t	 id, a;
	uint8_t	 b[320];
	size_t	 blen;
	char	 c[64];
	size_t	 clen;
	int64_t	 x, y;		/* w's key */
};

/* w's blob: a leaf-sized one would need overflow pages in an index. */
#define WLEN(r)	((r)->blen > 40 ? 8 : (r)->blen)

static uint64_t rng = 88172645463325252ULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int
exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);

	if (rc != SQLITE_OK)
		printf("# %s: %s\n", sql, err);
	sqlite3_free(err);
	return rc;
}

static char *
query_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	char *out = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		out = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return out;
}

static uint32_t
root_of(sqlite3 *db, const char *name)
{
	sqlite3_stmt *s;
	uint32_t root = 0;

	sqlite3_prepare_v2(db, "SELECT rootpage FROM sqlite_master"
	    " WHERE name = ?1", -1, &s, NULL);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		root = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return root;
}

/* Index order of t_c: text bytes, then length, then rowid. */
static int
cmp_c(const void *pa, const void *pb)
{
	const struct row *a = *(struct row *const *)pa;
	const struct row *b = *(struct row *const *)pb;
	int c = memcmp(a->c, b->c, a->clen < b->clen ? a->clen : b->clen);

	if (c == 0)
		c = (a->clen > b->clen) - (a->clen < b->clen);
	if (c == 0)
		c = (a->id > b->id) - (a->id < b->id);
	return c;
}

static int
cmp_xy(const void *pa, const void *pb)
{
	const struct row *a = *(struct row *const *)pa;
	const struct row *b = *(struct row *const *)pb;

	if (a->x != b->x)
		return a->x < b->x ? -1 : 1;
	return (a->y > b->y) - (a->y < b->y);
}

/*
 * Rows of one case.  fixed 1: every record of a tree the same size, so
 * that pages end at every possible place as n grows; 2: likewise with one
 * row a leaf of 512 bytes, so that a table's interior pages do; 0: random
 * sizes, values over the whole int64 range and duplicate texts.
 */
static void
make_rows(struct row *r, size_t n, int fixed)
{
	static const int64_t edge[] = { 0, 1, -1, 127, 128, -128, -129,
	    32767, 32768, 8388607, 8388608, 2147483647, 2147483648LL,
	    -2147483649LL, 140737488355327LL, 140737488355328LL,
	    INT64_MAX, INT64_MIN };
	size_t i, k;

	for (i = 0; i < n; i++) {
		memset(&r[i], 0, sizeof r[i]);
		r[i].id = fixed ? (int64_t)i + 1 : (int64_t)(3 * i + 1 +
		    (i > n / 2 ? 1000000 : 0));
		if (fixed) {
			r[i].a = 1000;
			r[i].blen = fixed == 2 ? 300 : 8;
			memcpy(r[i].b, &i, sizeof i);
			r[i].clen = (size_t)snprintf(r[i].c, sizeof r[i].c,
			    "%08zu", (i * 7919) % 100000000);
			r[i].x = (int64_t)i;
			r[i].y = 5;
		} else {
			k = next() % 40;
			r[i].a = k < 18 ? edge[k] : (int64_t)next();
			r[i].blen = next() % 40;
			for (k = 0; k < r[i].blen; k++)
				r[i].b[k] = (uint8_t)next();
			r[i].clen = next() % 60;
			for (k = 0; k < r[i].clen; k++)
				r[i].c[k] = (char)('a' + next() % 3);
			r[i].x = (int64_t)(next() % 50) - 25;
			r[i].y = (int64_t)i * 1000003;
		}
	}
}

/* Load n rows into a new file of page size psize; 0 when all checks pass. */
static int
load_case(size_t n, int psize, int fixed)
{
	struct btload_recs recs;
	struct btload bl;
	struct btload_val v[4];
	struct row *r = calloc(n ? n : 1, sizeof *r), **o;
	sqlite3 *db;
	sqlite3_stmt *s;
	char sql[128], *cause = NULL, *check;
	uint32_t root_t, root_c, root_w;
	size_t i;
	int bad = 0, rc;

	o = calloc(n ? n : 1, sizeof *o);
	make_rows(r, n, fixed);
	unlink(path);
	sqlite3_open(path, &db);
	snprintf(sql, sizeof sql, "PRAGMA page_size = %d; PRAGMA synchronous"
	    " = OFF; PRAGMA journal_mode = %s", psize, n % 2 ? "WAL" : "DELETE");
	exec(db, sql);
	exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b BLOB,"
	    " c TEXT); CREATE INDEX t_c ON t (c);"
	    " CREATE TABLE w (x INTEGER, y INTEGER, z BLOB,"
	    " PRIMARY KEY (x, y)) WITHOUT ROWID");
	root_t = root_of(db, "t");
	root_c = root_of(db, "t_c");
	root_w = root_of(db, "w");
	sqlite3_close(db);

	memset(&recs, 0, sizeof recs);
	if ((rc = btload_open(&bl, path, &cause)) != 0) {
		printf("# %s\n", cause);
		free(cause);
		free(r);
		free(o);
		return 1;
	}
	for (i = 0; i < n; i++) {
		v[0] = (struct btload_val){ .type = BTLOAD_NULL };
		v[1] = (struct btload_val){ .type = BTLOAD_INT, .i = r[i].a };
		v[2] = (struct btload_val){ .type = BTLOAD_BLOB, .p = r[i].b,
		    .n = r[i].blen };
		v[3] = (struct btload_val){ .type = BTLOAD_TEXT, .p = r[i].c,
		    .n = r[i].clen };
		btload_recs_add(&recs, r[i].id, v, 4);
	}
	bad |= btload_tree(&bl, root_t, 1, &recs, &cause) != 0;
	for (i = 0; i < n; i++)
		o[i] = &r[i];
	qsort(o, n, sizeof *o, cmp_c);
	btload_recs_reset(&recs);
	for (i = 0; i < n; i++) {
		v[0] = (struct btload_val){ .type = BTLOAD_TEXT, .p = o[i]->c,
		    .n = o[i]->clen };
		v[1] = (struct btload_val){ .type = BTLOAD_INT, .i = o[i]->id };
		btload_recs_add(&recs, 0, v, 2);
	}
	bad |= btload_tree(&bl, root_c, 0, &recs, &cause) != 0;
	qsort(o, n, sizeof *o, cmp_xy);
	btload_recs_reset(&recs);
	for (i = 0; i < n; i++) {
		v[0] = (struct btload_val){ .type = BTLOAD_INT, .i = o[i]->x };
		v[1] = (struct btload_val){ .type = BTLOAD_INT, .i = o[i]->y };
		v[2] = (struct btload_val){ .type = BTLOAD_BLOB, .p = o[i]->b,
		    .n = WLEN(o[i]) };
		btload_recs_add(&recs, 0, v, 3);
	}
	bad |= btload_tree(&bl, root_w, 0, &recs, &cause) != 0;
	bad |= btload_close(&bl, &cause) != 0;
	btload_recs_free(&recs);
	if (bad) {
		printf("# %s\n", cause ? cause : "btload failed");
		free(cause);
		free(r);
		free(o);
		return 1;
	}

	sqlite3_open(path, &db);
	exec(db, "PRAGMA synchronous = OFF");
	check = query_text(db, "PRAGMA integrity_check");
	if (check == NULL || strcmp(check, "ok") != 0) {
		printf("# n %zu page %d: %s\n", n, psize, check);
		bad = 1;
	}
	free(check);
	/* Through the table, in rowid order. */
	sqlite3_prepare_v2(db, "SELECT id, a, b, c FROM t ORDER BY id", -1,
	    &s, NULL);
	for (i = 0; !bad && sqlite3_step(s) == SQLITE_ROW; i++) {
		if (i >= n || sqlite3_column_int64(s, 0) != r[i].id ||
		    sqlite3_column_int64(s, 1) != r[i].a ||
		    (size_t)sqlite3_column_bytes(s, 2) != r[i].blen ||
		    (r[i].blen && memcmp(sqlite3_column_blob(s, 2), r[i].b,
		    r[i].blen) != 0) ||
		    (size_t)sqlite3_column_bytes(s, 3) != r[i].clen ||
		    memcmp(sqlite3_column_text(s, 3), r[i].c, r[i].clen) != 0)
			bad = 1;
	}
	sqlite3_finalize(s);
	bad |= i != n;
	/* Through the index, and a lookup of every 97th text. */
	qsort(o, n, sizeof *o, cmp_c);
	sqlite3_prepare_v2(db, "SELECT c, id FROM t INDEXED BY t_c"
	    " WHERE c >= '' ORDER BY c, id", -1, &s, NULL);
	for (i = 0; !bad && sqlite3_step(s) == SQLITE_ROW; i++) {
		if (i >= n || sqlite3_column_int64(s, 1) != o[i]->id)
			bad = 1;
	}
	sqlite3_finalize(s);
	bad |= i != n;
	sqlite3_prepare_v2(db, "SELECT count(*) FROM t INDEXED BY t_c"
	    " WHERE c = ?1 AND id = ?2", -1, &s, NULL);
	for (i = 0; !bad && i < n; i += 97) {
		sqlite3_bind_text(s, 1, r[i].c, (int)r[i].clen, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, r[i].id);
		bad |= sqlite3_step(s) != SQLITE_ROW ||
		    sqlite3_column_int(s, 0) != 1;
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	/* The WITHOUT ROWID table, in key order. */
	qsort(o, n, sizeof *o, cmp_xy);
	sqlite3_prepare_v2(db, "SELECT x, y, length(z) FROM w ORDER BY x, y",
	    -1, &s, NULL);
	for (i = 0; !bad && sqlite3_step(s) == SQLITE_ROW; i++) {
		if (i >= n || sqlite3_column_int64(s, 0) != o[i]->x ||
		    sqlite3_column_int64(s, 1) != o[i]->y ||
		    (size_t)sqlite3_column_int(s, 2) != WLEN(o[i]))
			bad = 1;
	}
	sqlite3_finalize(s);
	bad |= i != n;
	/* SQLite goes on from there: inserts, deletes, still consistent. */
	if (!bad) {
		bad |= exec(db, "BEGIN; INSERT INTO t (a, b, c) SELECT a + 1,"
		    " b, c || 'x' FROM t WHERE id % 3 = 1;"
		    " INSERT INTO w SELECT x, y + 1, z FROM w WHERE y % 2 = 0;"
		    " DELETE FROM t WHERE id % 5 = 0; COMMIT") != SQLITE_OK;
		check = query_text(db, "PRAGMA integrity_check");
		if (check == NULL || strcmp(check, "ok") != 0) {
			printf("# after writes: n %zu page %d: %s\n", n, psize,
			    check);
			bad = 1;
		}
		free(check);
	}
	sqlite3_close(db);
	free(r);
	free(o);
	if (bad)
		printf("# case n %zu page %d fixed %d failed\n", n, psize,
		    fixed);
	return bad;
}

/* A WITHOUT ROWID table of one integer column: -n/2 .. n/2. */
static int
small_cells(size_t n)
{
	struct btload_recs recs;
	struct btload_val v;
	struct btload bl;
	sqlite3 *db;
	char *cause = NULL, *check, *count, want[32];
	uint32_t root;
	size_t i;
	int bad;

	unlink(path);
	sqlite3_open(path, &db);
	exec(db, "PRAGMA page_size = 512; PRAGMA synchronous = OFF;"
	    " CREATE TABLE v (a INTEGER PRIMARY KEY) WITHOUT ROWID");
	root = root_of(db, "v");
	sqlite3_close(db);
	memset(&recs, 0, sizeof recs);
	for (i = 0; i < n; i++) {
		v = (struct btload_val){ .type = BTLOAD_INT,
		    .i = (int64_t)i - (int64_t)n / 2 };
		btload_recs_add(&recs, 0, &v, 1);
	}
	bad = btload_open(&bl, path, &cause) != 0 ||
	    btload_tree(&bl, root, 0, &recs, &cause) != 0 ||
	    btload_close(&bl, &cause) != 0;
	btload_recs_free(&recs);
	if (bad) {
		printf("# %s\n", cause);
		free(cause);
		return 1;
	}
	sqlite3_open(path, &db);
	check = query_text(db, "PRAGMA integrity_check");
	count = query_text(db, "SELECT count(*) || ',' || min(a) || ',' ||"
	    " max(a) FROM v");
	snprintf(want, sizeof want, "%zu,%lld,%lld", n, -(long long)(n / 2),
	    (long long)(n - 1 - n / 2));
	bad = check == NULL || strcmp(check, "ok") != 0 || count == NULL ||
	    strcmp(count, want) != 0;
	if (bad)
		printf("# n %zu: %s; %s (want %s)\n", n, check, count, want);
	free(check);
	free(count);
	sqlite3_close(db);
	return bad;
}

/* A new file: page size 512, a table t (a) and an index on it. */
static sqlite3 *
make_db(const char *pragmas)
{
	sqlite3 *db;
	char *sql;

	unlink(path);
	sqlite3_open(path, &db);
	sql = sqlite3_mprintf("PRAGMA page_size = 512; %s; CREATE TABLE t (a);"
	    " CREATE INDEX t_a ON t (a)", pragmas);
	exec(db, sql);
	sqlite3_free(sql);
	return db;
}

/* btload_open() of path: its code, and whether *cause has want in it. */
static int
open_refused(const char *want, const char *what)
{
	struct btload bl;
	char *cause = NULL;
	int rc;

	rc = btload_open(&bl, path, &cause);
	if (rc == 0)
		btload_abort(&bl);
	ok(rc == -ENOTSUP && cause != NULL && strstr(cause, want) != NULL &&
	    strstr(cause, path) != NULL, "refuses %s: %s", what,
	    cause ? cause : "(accepted)");
	free(cause);
	return rc;
}

/*
 * Files and records btload must not touch: they would come out wrong
 * (pages with reserved bytes a VFS fills, UTF-16 text, a cell needing
 * overflow pages) or be undone by SQLite (pages in a WAL or a hot journal
 * beside the file).
 */
static void
refusals(void)
{
	struct btload_recs recs;
	struct btload_val v;
	struct btload bl;
	sqlite3 *db, *other;
	char *cause = NULL, *side, big[480];
	int n = 8, rc;

	/* Reserved bytes at the end of each page (a checksum VFS's). */
	unlink(path);
	sqlite3_open(path, &db);
	exec(db, "PRAGMA page_size = 512");
	rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &n);
	exec(db, "CREATE TABLE t (a)");
	sqlite3_close(db);
	ok(rc == SQLITE_OK, "a file with 8 reserved bytes a page");
	open_refused("reserved bytes", "reserved bytes");

	db = make_db("PRAGMA encoding = 'UTF-16le'");
	sqlite3_close(db);
	open_refused("UTF-8", "a UTF-16 file");

	/* A leftover WAL: a connection's commits not yet in the file. */
	db = make_db("PRAGMA journal_mode = WAL");
	exec(db, "PRAGMA wal_autocheckpoint = 0; INSERT INTO t VALUES (1)");
	open_refused("-wal file beside it", "a file with a WAL beside it");
	sqlite3_close(db);
	rc = btload_open(&bl, path, &cause);
	ok(rc == 0, "the same file once its WAL is folded in and gone%s%s",
	    cause ? ": " : "", cause ? cause : "");
	if (rc == 0)
		btload_abort(&bl);
	free(cause);
	cause = NULL;

	/* A hot journal: another writer in the middle of a transaction. */
	db = make_db("PRAGMA journal_mode = DELETE");
	sqlite3_close(db);
	sqlite3_open(path, &other);
	exec(other, "PRAGMA cache_size = 1; BEGIN; INSERT INTO t"
	    " SELECT zeroblob(400) FROM (SELECT 1 UNION SELECT 2 UNION"
	    " SELECT 3 UNION SELECT 4 UNION SELECT 5)");
	side = sqlite3_mprintf("%s-journal", path);
	ok(access(side, F_OK) == 0, "a writer's journal beside the file");
	open_refused("-journal file beside it",
	    "a file with a journal beside it");
	exec(other, "ROLLBACK");
	sqlite3_close(other);
	sqlite3_free(side);

	/*
	 * Records that would need overflow pages.  On a 512-byte page a cell
	 * keeps an index record of (512 - 12) * 64 / 255 - 23 = 102 bytes
	 * and a table record of 512 - 35 = 477; a text of n bytes makes a
	 * record of n + 3 (header size, serial type of two bytes).
	 */
	db = make_db("PRAGMA journal_mode = DELETE");
	sqlite3_close(db);
	memset(big, 'x', sizeof big);
	memset(&recs, 0, sizeof recs);
	rc = btload_open(&bl, path, &cause);
	ok(rc == 0, "a plain file opens");
	v = (struct btload_val){ .type = BTLOAD_TEXT, .p = big, .n = 100 };
	btload_recs_add(&recs, 0, &v, 1);
	rc = btload_tree(&bl, 3, 0, &recs, &cause);
	is_int(rc, -ENOTSUP, "refuses an index record of 103 bytes");
	ok(cause != NULL && strstr(cause, "103 bytes needs overflow pages") !=
	    NULL, "names why: %s", cause ? cause : "(none)");
	free(cause);
	cause = NULL;
	btload_recs_reset(&recs);
	v.n = 99;
	btload_recs_add(&recs, 0, &v, 1);
	rc = btload_tree(&bl, 3, 0, &recs, &cause);
	is_int(rc, 0, "takes an index record of 102 bytes");
	free(cause);
	cause = NULL;
	btload_recs_reset(&recs);
	v.n = 474;
	btload_recs_add(&recs, 1, &v, 1);
	v.n = 475;
	btload_recs_add(&recs, 2, &v, 1);
	rc = btload_tree(&bl, 2, 1, &recs, &cause);
	is_int(rc, -ENOTSUP, "refuses a table record of 478 bytes");
	ok(cause != NULL && strstr(cause, "478 bytes needs overflow pages") !=
	    NULL, "names why: %s", cause ? cause : "(none)");
	free(cause);
	cause = NULL;
	btload_recs_reset(&recs);
	v.n = 474;
	btload_recs_add(&recs, 1, &v, 1);
	rc = btload_tree(&bl, 2, 1, &recs, &cause);
	is_int(rc, 0, "takes a table record of 477 bytes");
	free(cause);
	btload_recs_free(&recs);
	btload_abort(&bl);
}

/* The fault hook: fail call number fault_at of fault_op; count them. */
static const char *fault_op;
static int fault_at, fault_calls;

static int
fault(const char *op)
{
	if (strcmp(op, fault_op) != 0)
		return 0;
	return ++fault_calls == fault_at ? ENOSPC : 0;
}

/* Load rows into a fresh file of 512-byte pages; 0 or btload's code. */
static int
load_small(size_t n, char **cause)
{
	struct btload_recs recs;
	struct btload_val v[2];
	struct btload bl;
	sqlite3 *db;
	uint32_t root;
	size_t i;
	int rc;

	db = make_db("PRAGMA journal_mode = DELETE");
	root = root_of(db, "t");
	sqlite3_close(db);
	memset(&recs, 0, sizeof recs);
	for (i = 0; i < n; i++) {
		v[0] = (struct btload_val){ .type = BTLOAD_INT,
		    .i = (int64_t)i };
		btload_recs_add(&recs, (int64_t)i + 1, v, 1);
	}
	if ((rc = btload_open(&bl, path, cause)) == 0) {
		rc = btload_tree(&bl, root, 1, &recs, cause);
		if (rc == 0)
			rc = btload_close(&bl, cause);
		else
			btload_abort(&bl);
	}
	btload_recs_free(&recs);
	return rc;
}

/* Each write and the fsync failing: an error naming the file and the call. */
static void
faults(void)
{
	char *cause = NULL;
	int rc, total, at, bad = 0;

	btload_fault = fault;
	fault_op = "write";
	fault_at = 0;
	fault_calls = 0;
	rc = load_small(20000, &cause);
	total = fault_calls;
	ok(rc == 0 && total > 3, "a load of 20000 rows: %d writes", total);
	for (at = 1; at <= total; at++) {
		fault_at = at;
		fault_calls = 0;
		free(cause);
		cause = NULL;
		rc = load_small(20000, &cause);
		if (rc != -ENOSPC || cause == NULL || strstr(cause, path) ==
		    NULL || strstr(cause, ": write: ") == NULL) {
			printf("# write %d: %d %s\n", at, rc, cause);
			bad++;
		}
	}
	is_int(bad, 0, "each of its writes failing is reported (-ENOSPC,"
	    " the file, write)");
	fault_op = "fsync";
	fault_at = 1;
	fault_calls = 0;
	free(cause);
	cause = NULL;
	rc = load_small(20000, &cause);
	ok(rc == -ENOSPC && cause != NULL && strstr(cause, ": fsync: ") !=
	    NULL, "a failing fsync is reported: %s", cause ? cause : "");
	free(cause);
	btload_fault = NULL;
}

int
main(void)
{
	struct btload bl;
	sqlite3 *db;
	char *cause = NULL;
	const char *tmp = getenv("TMPDIR");
	size_t n;
	int bad, rc, old;
	FILE *f;

	snprintf(path, sizeof path, "%s/test_btload.%d.db", tmp ? tmp : "/tmp",
	    (int)getpid());
	/*
	 * SQLite never uses the page holding its lock bytes (at 1 GiB): move
	 * them to 64 KiB, before any file is opened, so that most trees below
	 * run over that page and btload must leave it out as SQLite does.
	 */
	old = sqlite3_test_control(SQLITE_TESTCTRL_PENDING_BYTE, 0x10000);
	ok(old == 0x40000000, "SQLite's lock bytes moved to 64 KiB (were at"
	    " %#x)", old);
	btload_pending_byte = 0x10000;

	/* Every count up to several pages of 512 bytes, fixed sizes. */
	for (bad = 0, n = 0; n <= 600; n++)
		bad += load_case(n, 512, 1);
	is_int(bad, 0, "0..600 fixed-size rows, 512-byte pages");
	for (bad = 0, n = 0; n <= 300; n++)
		bad += load_case(n, 512, 2);
	is_int(bad, 0, "0..300 rows of a leaf each, 512-byte pages");
	for (bad = 0, n = 0; n <= 300; n++)
		bad += load_case(n, 512, 0);
	is_int(bad, 0, "0..300 random rows, 512-byte pages");
	bad = load_case(50000, 512, 1) + load_case(50000, 512, 0);
	is_int(bad, 0, "50000 rows, 512-byte pages (4 levels)");
	bad = load_case(200000, 4096, 0) + load_case(100000, 65536, 0) +
	    load_case(7, 65536, 1);
	is_int(bad, 0, "4096- and 65536-byte pages");

	/*
	 * Records of 2 bytes (one column of 0 or 1) make leaf cells of 3:
	 * each must still take 4 bytes of its page, as SQLite reads it.
	 */
	bad = 0;
	for (n = 2; n <= 2000; n = n * 3 / 2)
		bad += small_cells(n);
	is_int(bad, 0, "cells of less than 4 bytes take 4");

	/* Files it must refuse. */
	unlink(path);
	sqlite3_open(path, &db);
	exec(db, "PRAGMA auto_vacuum = FULL; CREATE TABLE t (a)");
	sqlite3_close(db);
	rc = btload_open(&bl, path, &cause);
	is_int(rc, -ENOTSUP, "refuses an auto-vacuum file");
	ok(cause != NULL && strstr(cause, path) != NULL, "names it: %s",
	    cause ? cause : "(none)");
	free(cause);
	cause = NULL;
	unlink(path);
	sqlite3_open(path, &db);
	exec(db, "CREATE TABLE t (a); INSERT INTO t VALUES (zeroblob(5000));"
	    " DELETE FROM t");
	sqlite3_close(db);
	rc = btload_open(&bl, path, &cause);
	is_int(rc, -ENOTSUP, "refuses a file with free pages");
	free(cause);
	cause = NULL;
	f = fopen(path, "w");
	fputs("not a database, not at all, but long enough for a header."
	    " not a database, not at all, but long enough.\n", f);
	fclose(f);
	rc = btload_open(&bl, path, &cause);
	is_int(rc, -ENOTSUP, "refuses a file that is not SQLite");
	free(cause);
	cause = NULL;

	refusals();
	faults();
	unlink(path);
	return tap_done();
}
