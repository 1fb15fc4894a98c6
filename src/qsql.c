/*
 * qsql.c - `flowq sql` (see qsql.h).
 *
 * Up to SQLite's ATTACH limit the day files are attached and `flows` is a
 * view over them (UNION ALL, one branch per file); beyond it the rows in
 * range are copied into a temporary table, a batch of files at a time.
 * The authorizer is installed only after `flows` is built, so that the
 * statement itself can neither attach nor set pragmas.  Only numbers
 * flowq chose (file indexes, times) are ever spliced into SQL text; the
 * interface names are bound.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "qexec.h"
#include "qsql.h"
#include "util.h"

/*
 * The SQL functions a reading statement may call: SQLite's core scalar,
 * aggregate, window, date and math functions and the JSON readers.
 * Everything else is refused, among them fts3_tokenizer() (it hands out
 * a library address), load_extension(), zeroblob() and randomblob() (a
 * gigabyte on request) and the sqlite_*() introspection.
 */
static const char *const allowed_functions[] = {
	"abs", "avg", "ceil", "ceiling", "char", "coalesce", "concat",
	"concat_ws", "count", "cume_dist", "date", "datetime", "dense_rank",
	"exp", "first_value", "floor", "format", "glob", "group_concat",
	"hex", "ifnull", "iif", "instr", "json", "json_array",
	"json_array_length", "json_extract", "json_object", "json_type",
	"json_valid", "julianday", "lag", "last_value", "lead", "length",
	"like", "likelihood", "likely", "ln", "log", "log10", "log2", "lower",
	"ltrim", "max", "min", "mod", "nth_value", "ntile", "nullif",
	"octet_length", "percent_rank", "pi", "pow", "power", "printf",
	"quote", "rank", "replace", "round", "row_number", "rtrim", "sign",
	"sqrt", "strftime", "string_agg", "substr", "substring", "sum",
	"time", "timediff", "total", "trim", "trunc", "typeof", "unhex",
	"unicode", "unixepoch", "unlikely", "upper", "->", "->>",
};

static int
function_allowed(const char *name)
{
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; i < sizeof allowed_functions /
	    sizeof allowed_functions[0]; i++) {
		if (strcasecmp(name, allowed_functions[i]) == 0)
			return 1;
	}
	return 0;
}

static int
authorize(void *arg, int action, const char *a, const char *b,
    const char *c, const char *d)
{
	(void)arg; (void)a; (void)c; (void)d;
	switch (action) {
	case SQLITE_ATTACH:
	case SQLITE_DETACH:
	case SQLITE_PRAGMA:
		return SQLITE_DENY;
	case SQLITE_FUNCTION:
		return function_allowed(b) ? SQLITE_OK : SQLITE_DENY;
	default:
		return SQLITE_OK;
	}
}

static int
exec(sqlite3 *db, const char *sql, char **cause)
{
	char	*err = NULL;
	int	 rc;

	if ((rc = sqlite3_exec(db, sql, NULL, NULL, &err)) != SQLITE_OK) {
		util_cause(cause, -1, "sql: %s", err != NULL ? err :
		    sqlite3_errstr(rc));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Attach a day file read-only as f<n> (immutable if it must be). */
static int
attach(sqlite3 *db, const char *path, size_t n, char **cause)
{
	static const char *const modes[] = { "mode=ro", "mode=ro&immutable=1" };
	sqlite3_stmt	*st;
	char		*uri, *sql, *probe;
	size_t		 i;
	int		 rc = SQLITE_ERROR;

	for (i = 0; i < 2 && rc != SQLITE_OK; i++) {
		uri = util_printf("file:%s?%s", path, modes[i]);
		sql = util_printf("ATTACH ? AS f%zu", n);
		rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
		free(sql);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(st, 1, uri, -1, SQLITE_TRANSIENT);
			rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK :
			    SQLITE_ERROR;
		}
		sqlite3_finalize(st);
		free(uri);
		if (rc != SQLITE_OK)
			continue;
		probe = util_printf("SELECT 1 FROM f%zu.sqlite_master LIMIT 1",
		    n);
		rc = sqlite3_exec(db, probe, NULL, NULL, NULL);
		free(probe);
		if (rc != SQLITE_OK) {
			sql = util_printf("DETACH f%zu", n);
			sqlite3_exec(db, sql, NULL, NULL, NULL);
			free(sql);
		}
	}
	if (rc != SQLITE_OK)
		return util_cause(cause, -1, "%s: %s", path,
		    sqlite3_errmsg(db));
	return 0;
}

static const char columns[] = "ts, sip, dip, dport, proto, vlan, "
    "bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent";

/* bins (flowrec-schema(5)) over every file too, an interface column first */
static const char bins_columns[] = "ts, interval, writes, packets, ip, "
    "non_ip, malformed, flows, flows_v4, flows_v6, bytes_rcvd, bytes_sent, "
    "pkts_rcvd, pkts_sent, conn_overflow, frag_evicted, early_writes, "
    "kernel_packets, kernel_drops, kernel_freezes";

/* temp.flows as a view over the attached files f0.. */
static int
flows_view(sqlite3 *db, const struct qfiles *files, int64_t lo, int64_t hi,
    char **cause)
{
	char	*view = NULL, *bview = NULL, *part, *sql;
	size_t	 i;
	int	 rc;

	for (i = 0; i < files->nfiles; i++) {
		if (attach(db, files->files[i].path, i, cause) != 0) {
			free(view);
			free(bview);
			return -1;
		}
		part = util_printf("%s%sSELECT i.name, f.* FROM f%zu.bins AS f, "
		    "main.ifaces AS i WHERE i.idx = %zu AND f.ts >= %lld AND "
		    "f.ts <= %lld", bview != NULL ? bview : "", bview != NULL ?
		    " UNION ALL " : "", i, files->files[i].iface, (long long)lo,
		    (long long)hi);
		free(bview);
		bview = part;
		part = util_printf("%s%sSELECT i.name, f.ts, f.sip, f.dip, "
		    "f.dport, f.proto, f.vlan, f.bytes_rcvd, f.bytes_sent, "
		    "f.pkts_rcvd, f.pkts_sent FROM f%zu.flows AS f, main.ifaces "
		    "AS i WHERE i.idx = %zu AND f.ts >= %lld AND f.ts <= %lld",
		    view != NULL ? view : "", view != NULL ? " UNION ALL " : "",
		    i, files->files[i].iface, (long long)lo, (long long)hi);
		free(view);
		view = part;
	}
	sql = util_printf("CREATE TEMP VIEW flows (iface, %s) AS %s; CREATE "
	    "TEMP VIEW bins (iface, %s) AS %s", columns, view, bins_columns,
	    bview);
	rc = exec(db, sql, cause);
	free(sql);
	free(view);
	free(bview);
	return rc;
}

/* Copy the rows in range of f<n>.<rel> into temp.<rel>. */
static int
copy_rows(sqlite3 *db, const char *rel, size_t n, size_t iface, int64_t lo,
    int64_t hi, const char *path, char **cause)
{
	sqlite3_stmt	*st;
	char		*sql;
	int		 rc = 0;

	sql = util_printf("INSERT INTO temp.%s SELECT i.name, f.* FROM "
	    "f%zu.%s AS f, main.ifaces AS i WHERE i.idx = ? AND f.ts >= ? AND "
	    "f.ts <= ?", rel, n, rel);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		free(sql);
		return util_cause(cause, -1, "sql: %s", sqlite3_errmsg(db));
	}
	free(sql);
	sqlite3_bind_int64(st, 1, (int64_t)iface);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int64(st, 3, hi);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = util_cause(cause, -1, "%s: %s", path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

/* temp.flows and temp.bins as tables: the rows in range, batch files at
 * a time. */
static int
flows_table(sqlite3 *db, const struct qfiles *files, int64_t lo, int64_t hi,
    size_t batch, char **cause)
{
	static const char *const rel[] = { "flows", "bins" };
	char		*sql;
	size_t		 i, j, r;
	int		 rc;

	sql = util_printf("CREATE TEMP TABLE flows (iface, %s); CREATE TEMP "
	    "TABLE bins (iface, %s)", columns, bins_columns);
	rc = exec(db, sql, cause);
	free(sql);
	for (i = 0; rc == 0 && i < files->nfiles; i += batch) {
		for (j = i; rc == 0 && j < files->nfiles && j < i + batch; j++)
			rc = attach(db, files->files[j].path, j - i, cause);
		for (j = i; rc == 0 && j < files->nfiles && j < i + batch;
		    j++)
			for (r = 0; rc == 0 && r < 2; r++)
				rc = copy_rows(db, rel[r], j - i,
				    files->files[j].iface, lo, hi,
				    files->files[j].path, cause);
		for (j = i; rc == 0 && j < files->nfiles && j < i + batch;
		    j++) {
			sql = util_printf("DETACH f%zu", j - i);
			rc = exec(db, sql, cause);
			free(sql);
		}
	}
	return rc;
}

/* main.ifaces (idx, name), then temp.flows over files. */
static int
flows_build(sqlite3 *db, const struct qfiles *files, int64_t lo, int64_t hi,
    char **cause)
{
	sqlite3_stmt	*st;
	char		*sql;
	size_t		 i;
	int		 rc, maxatt = sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, -1);

	if (exec(db, "CREATE TABLE ifaces (idx INTEGER PRIMARY KEY, name TEXT "
	    "NOT NULL)", cause) != 0)
		return -1;
	if (sqlite3_prepare_v2(db, "INSERT INTO ifaces VALUES (?, ?)", -1,
	    &st, NULL) != SQLITE_OK)
		return util_cause(cause, -1, "sql: %s", sqlite3_errmsg(db));
	for (i = 0; i < files->nifaces; i++) {
		sqlite3_bind_int64(st, 1, (int64_t)i);
		sqlite3_bind_text(st, 2, files->ifaces[i], -1, SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);

	if (files->nfiles == 0) {
		sql = util_printf("CREATE TEMP VIEW flows (iface, %s) AS SELECT "
		    "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
		    "NULL, NULL WHERE 0; CREATE TEMP TABLE bins (iface, %s)",
		    columns, bins_columns);
		rc = exec(db, sql, cause);
		free(sql);
		return rc;
	}
	if (files->nfiles <= (size_t)maxatt)
		return flows_view(db, files, lo, hi, cause);
	return flows_table(db, files, lo, hi, (size_t)maxatt, cause);
}

/* The cells of the current row of st. */
static void
row_cells(sqlite3_stmt *st, struct qout_cell *c, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		memset(&c[i], 0, sizeof c[i]);
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_NULL:
			c[i].type = QOUT_CELL_NULL;
			break;
		case SQLITE_INTEGER:
			c[i].type = QOUT_CELL_INT;
			c[i].i = sqlite3_column_int64(st, i);
			break;
		case SQLITE_FLOAT:
			c[i].type = QOUT_CELL_REAL;
			c[i].r = sqlite3_column_double(st, i);
			break;
		case SQLITE_BLOB:
			c[i].type = QOUT_CELL_BLOB;
			c[i].p = sqlite3_column_blob(st, i);
			c[i].len = (size_t)sqlite3_column_bytes(st, i);
			break;
		default:
			c[i].type = QOUT_CELL_TEXT;
			c[i].p = sqlite3_column_text(st, i);
			c[i].len = (size_t)sqlite3_column_bytes(st, i);
			break;
		}
	}
}

int
qsql_run(const struct qfiles *files, int64_t lo, int64_t hi, const char *sql,
    const struct qwatch *w, struct qout_sql *out, char **cause)
{
	sqlite3			*db;
	sqlite3_stmt		*st = NULL;
	struct qout_cell	*cells = NULL;
	const char		**names = NULL, *tail;
	int			 rc, ncol, i;
	uint64_t		 nrows = 0;

	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return util_cause(cause, -1, "sql: cannot open a connection");
	}
	qexec_watch(db, w);
	/* no value beyond 16 MB: a statement cannot ask for gigabytes */
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 16 << 20);
	if (flows_build(db, files, lo, hi, cause) != 0) {
		if (qwatch_stopped(w)) {
			if (cause != NULL) {
				free(*cause);
				*cause = NULL;
			}
			rc = util_cause(cause, qwatch_stopped(w) ==
			    QWATCH_TIMEOUT ? -1 : QSQL_INTERRUPTED, "%s",
			    qwatch_why(w));
			goto out;
		}
		rc = -1;
		goto out;
	}
	sqlite3_set_authorizer(db, authorize, NULL);

	if (sqlite3_prepare_v2(db, sql, -1, &st, &tail) != SQLITE_OK) {
		rc = util_cause(cause, -1, "sql: %s", sqlite3_errmsg(db));
		goto out;
	}
	rc = -1;
	if (st == NULL) {
		util_cause(cause, -1, "sql: empty statement");
		goto out;
	}
	while (isspace((unsigned char)*tail) || *tail == ';')
		tail++;
	if (*tail != '\0') {
		util_cause(cause, -1, "sql: one statement only (left over: "
		    "'%.40s')", tail);
		goto out;
	}
	if (!sqlite3_stmt_readonly(st)) {
		util_cause(cause, -1, "sql: only read-only statements are "
		    "allowed");
		goto out;
	}

	ncol = sqlite3_column_count(st);
	if ((names = calloc((size_t)ncol + 1, sizeof *names)) == NULL ||
	    (cells = calloc((size_t)ncol + 1, sizeof *cells)) == NULL)
		abort();
	for (i = 0; i < ncol; i++)
		names[i] = sqlite3_column_name(st, i);
	qout_sql_columns(out, ncol, names);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_cells(st, cells, ncol);
		qout_sql_row(out, cells, ncol);
		nrows++;
	}
	if (rc != SQLITE_DONE) {
		if (qwatch_stopped(w) == QWATCH_TIMEOUT)
			rc = util_cause(cause, -1, "sql: the query timed out");
		else if (qwatch_stopped(w))
			rc = util_cause(cause, QSQL_INTERRUPTED, "interrupted");
		else
			rc = util_cause(cause, -1, "sql: %s",
			    sqlite3_errmsg(db));
		goto out;
	}
	qout_sql_end(out, nrows);
	rc = 0;
out:
	free(names);
	free(cells);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
