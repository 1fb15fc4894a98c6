/*
 * fuzz_dayfile.c - libFuzzer target for flowq's reader of day files
 * (qstore.c, qexec.c, qlist.c), issue 11.
 *
 * Built with -fsanitize=fuzzer as tests/fuzz/fuzz_dayfile (configure
 * --enable-fuzzing CC=clang) and with tests/fuzz/replay.c as
 * tests/fuzz/replay_dayfile, which `make check` runs over
 * tests/corpus/dayfile (tests/integ/fuzz_dayfile.sh).
 *
 * Each input damages a copy of a small day file the store wrote (three
 * bins of a past day, rolled up), in two parts:
 *  - rows, until an op byte of 7: op = byte % 8 is a row of flow_keys
 *    (0), addrs (1), bins (2), flow_rows (3), rollups (4), flow_rows_1h
 *    or _1d (5), or a PRAGMA application_id / user_version (6), its
 *    values taken from the following bytes (an integer: one byte picks
 *    one of a few edge values or the next 8 bytes, see take_int());
 *    INSERT OR REPLACE, whatever the constraints allow;
 *  - then raw pages: a page number, an offset (2 bytes), a length and
 *    that many bytes written into the file.
 * Then five queries (every key; a key condition; time at an hour's
 * resolution; raw rows without rollups; two threads) and a list run over
 * the file.  Besides not crashing, the promise: a query either succeeds
 * or fails naming the file, or the target aborts.  FUZZ_DAYFILE_VERBOSE
 * set prints each query's outcome.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cond.h"
#include "flowtab.h"
#include "qexec.h"
#include "qlist.h"
#include "qstore.h"
#include "store.h"
#include "util.h"

#define DAY	1700006400LL		/* 2023-11-15T00:00:00Z */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	*fz_dir, *fz_path;
static uint8_t	*fz_template;
static size_t	 fz_len;

static void
fz_fail(const char *what, const char *cause)
{
	fprintf(stderr, "fuzz_dayfile: broken promise: %s (%s)\n", what,
	    cause != NULL ? cause : "no cause");
	abort();
}

static void
fz_rm(const char *sfx)
{
	char *p = util_printf("%s%s", fz_path, sfx);

	unlink(p);
	free(p);
}

static int
fz_write(const uint8_t *data, size_t len)
{
	FILE	*f;
	int	 rc;

	if ((f = fopen(fz_path, "wb")) == NULL)
		return -1;
	rc = fwrite(data, 1, len, f) == len ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

static void
fz_cleanup(void)
{
	char *cmd = util_printf("rm -rf '%s'", fz_dir);

	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_dayfile: could not remove %s\n", fz_dir);
	free(cmd);
}

/* The template: what the store writes for three bins of a past day. */
static void
fz_init(void)
{
	struct flowtab_row	 rows[6];
	struct flowtab_bin	 bin;
	struct store		*st;
	char			*cause = NULL;
	FILE			*f;
	int			 b, i;

	/* in memory when the system has it: thousands of files a minute */
	fz_dir = util_printf("%s/fuzz_dayfile.XXXXXX", access("/dev/shm",
	    W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(fz_dir) == NULL)
		abort();
	atexit(fz_cleanup);
	st = store_new(fz_dir, "cap0");
	for (b = 0; b < 3; b++) {
		memset(rows, 0, sizeof rows);
		for (i = 0; i < 6; i++) {
			struct flowtab_row *r = &rows[i];

			r->key.family = i % 3 == 2 ? 6 : 4;
			r->key.sip[0] = r->key.family == 4 ? 10 : 0x20;
			r->key.sip[3] = (uint8_t)(i + 1);
			r->key.dip[0] = r->key.family == 4 ? 192 : 0xfd;
			r->key.dip[3] = (uint8_t)(b + 1);
			r->key.dport = (uint16_t)(80 + i);
			r->key.proto = i & 1 ? 17 : 6;
			r->key.vlan = (uint16_t)(i == 5 ? 7 : 0);
			r->bytes_rcvd = 100u * (uint64_t)(i + 1);
			r->bytes_sent = 10u * (uint64_t)b;
			r->pkts_rcvd = (uint64_t)i + 1;
			r->pkts_sent = (uint64_t)b;
		}
		memset(&bin, 0, sizeof bin);
		bin.ts = DAY + 3600 * b + 300 * b;
		bin.interval = 300;
		bin.rows = rows;
		bin.nrows = 6;
		if (store_write_bin(st, &bin, NULL, &cause) != 0)
			fz_fail("the template cannot be written", cause);
	}
	store_free(st);		/* rolls the day up, folds the WAL in */
	fz_path = util_printf("%s/cap0/cap0-2023-11-15.db", fz_dir);
	if ((f = fopen(fz_path, "rb")) == NULL)
		abort();
	fseek(f, 0, SEEK_END);
	fz_len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	if ((fz_template = malloc(fz_len)) == NULL ||
	    fread(fz_template, 1, fz_len, f) != fz_len)
		abort();
	fclose(f);
	fz_rm("-wal");
	fz_rm("-shm");
}

struct fz_in {
	const uint8_t	*p;
	size_t		 n;
};

static unsigned
take_byte(struct fz_in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

/* An integer: mostly edges, sometimes any 8 bytes. */
static int64_t
take_int(struct fz_in *in)
{
	static const int64_t edges[] = { 0, 1, 2, -1, 300, 3600, 86400,
	    DAY, DAY + 300, DAY + 3600, DAY + 86400, 2147483646LL,
	    2147483647LL, 4294967295LL, 4294967296LL, INT64_MAX, INT64_MIN,
	    INT64_MAX - 300, 65535, 65536 };
	unsigned	 c = take_byte(in);
	uint64_t	 v = 0;
	int		 i;

	if (c < 2 * sizeof edges / sizeof edges[0])
		return edges[c / 2];
	if (c < 200)
		return (int64_t)(c - 2 * sizeof edges / sizeof edges[0]);
	for (i = 0; i < 8; i++)
		v = v << 8 | take_byte(in);
	return (int64_t)v;
}

static void
fz_rows(sqlite3 *db, struct fz_in *in)
{
	static const char *const sql[] = {
		"INSERT OR REPLACE INTO flow_keys VALUES (?1, ?2, ?3, ?4, ?5,"
		" ?6)",
		"INSERT OR REPLACE INTO addrs VALUES (?1, ?7, ?8)",
		"INSERT OR REPLACE INTO bins (ts, interval, flows, pkts_rcvd,"
		" bytes_rcvd) VALUES (?1, ?2, ?3, ?4, ?5)",
		"INSERT OR REPLACE INTO flow_rows VALUES (?1, ?2, ?3, ?4, ?5,"
		" ?6)",
		"INSERT OR REPLACE INTO rollups VALUES (?1, ?2, ?3)",
		"INSERT OR REPLACE INTO flow_rows_1h VALUES (?1, ?2, ?3, ?4, ?5,"
		" ?6)",
		"INSERT OR REPLACE INTO flow_rows_1d VALUES (?1, ?2, ?3, ?4, ?5,"
		" ?6)",
	};
	sqlite3_stmt	*st;
	uint8_t		 blob[17];
	char		 text[48];
	unsigned	 op, len, i;
	int		 k;

	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (i = 0; i < 64 && in->n > 0; i++) {
		op = take_byte(in) % 8;
		if (op == 7)
			break;
		if (op == 6) {
			const char *what = take_byte(in) & 1 ?
			    "user_version" : "application_id";
			char *p = util_printf("PRAGMA %s = %lld", what,
			    (long long)(int32_t)take_int(in));
			sqlite3_exec(db, p, NULL, NULL, NULL);
			free(p);
			continue;
		}
		if (op == 5)
			op = take_byte(in) & 1 ? 5 : 6;
		if (sqlite3_prepare_v2(db, sql[op], -1, &st, NULL) != SQLITE_OK)
			continue;
		for (k = 1; k <= 6; k++)
			sqlite3_bind_int64(st, k, take_int(in));
		len = take_byte(in) % 18;
		for (k = 0; k < (int)len; k++)
			blob[k] = (uint8_t)take_byte(in);
		sqlite3_bind_blob(st, 7, blob, (int)len, SQLITE_TRANSIENT);
		snprintf(text, sizeof text, "t%u", take_byte(in));
		sqlite3_bind_text(st, 8, text, -1, SQLITE_TRANSIENT);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
}

/* Raw bytes into pages; the rest of the input. */
static void
fz_pages(struct fz_in *in)
{
	FILE		*f;
	unsigned	 page, off, len;
	uint8_t		 buf[256];
	size_t		 npages = fz_len / 4096, k;

	if (in->n == 0 || npages == 0 || (f = fopen(fz_path, "r+b")) == NULL)
		return;
	while (in->n > 0) {
		page = take_byte(in) % npages;
		off = (take_byte(in) << 8 | take_byte(in)) % 4096;
		len = take_byte(in) % (4096 - off + 1);
		if (len > sizeof buf)
			len = sizeof buf;
		for (k = 0; k < len; k++)
			buf[k] = (uint8_t)take_byte(in);
		if (fseek(f, (long)page * 4096 + off, SEEK_SET) == 0)
			fwrite(buf, 1, len, f);
	}
	fclose(f);
}

static void
fz_query(const struct qquery *q, const struct qfiles *files)
{
	struct qresult	 res;
	char		*cause = NULL;

	memset(&res, 0, sizeof res);
	if (qexec_run(q, files, &res, &cause) == 0)
		qexec_free(&res);
	else if (cause == NULL || strstr(cause, fz_path) == NULL)
		fz_fail("a query failed without naming the file", cause);
	if (getenv("FUZZ_DAYFILE_VERBOSE") != NULL)
		fprintf(stderr, "  %s\n", cause != NULL ? cause : "ok");
	free(cause);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cond_options	 co;
	struct fz_in		 in = { data, size };
	struct qquery		 q;
	struct qfiles		 files;
	struct qlist		 list;
	struct cond		*cond = NULL;
	sqlite3			*db;
	char			**ifaces, *cause = NULL;

	if (fz_template == NULL)
		fz_init();
	fz_rm("-wal");
	fz_rm("-shm");
	if (fz_write(fz_template, fz_len) != 0)
		abort();
	/* rows through SQLite, in the file itself (no WAL to fold) */
	if (sqlite3_open(fz_path, &db) == SQLITE_OK &&
	    sqlite3_exec(db, "PRAGMA journal_mode = DELETE; PRAGMA "
	    "synchronous = OFF", NULL, NULL, NULL) == SQLITE_OK)
		fz_rows(db, &in);
	sqlite3_close(db);
	fz_rm("-wal");
	fz_rm("-shm");
	fz_pages(&in);

	ifaces = calloc(1, sizeof *ifaces);
	ifaces[0] = util_strdup("cap0");
	qstore_files(fz_dir, ifaces, 1, 0, DAY + 2 * 86400, &files);

	memset(&q, 0, sizeof q);
	q.first = 0;
	q.last = DAY + 2 * 86400;
	q.threads = 1;
	q.limit = 10;
	q.attrs = QA_SIP | QA_DIP | QA_DPORT | QA_PROTO;
	fz_query(&q, &files);

	memset(&co, 0, sizeof co);
	if (cond_parse("dport = 80 | sip = 10.0.0.1 | proto = 17", &co,
	    &cond, &cause) == 0) {
		q.cond = cond;
		q.attrs = QA_SIP;
		fz_query(&q, &files);
		q.cond = NULL;
		cond_free(cond);
	}
	free(cause);
	cause = NULL;

	q.attrs = QA_TIME | QA_PROTO;
	q.resolution = 3600;
	q.limit = 0;
	fz_query(&q, &files);

	q.attrs = QA_TIME | QA_IFACE | QA_SIP | QA_DIP | QA_DPORT | QA_PROTO |
	    QA_VLAN;
	q.resolution = 0;
	q.no_rollups = 1;
	q.first = DAY + 600;
	q.last = DAY + 7000;
	fz_query(&q, &files);

	q.no_rollups = 0;
	q.threads = 2;
	q.first = 0;
	q.last = DAY + 2 * 86400;
	q.attrs = QA_DPORT;
	q.dir = QDIR_SUM;
	fz_query(&q, &files);

	memset(&list, 0, sizeof list);
	if (qlist_run(&files, 0, DAY + 2 * 86400, fz_dir, 0, &list,
	    &cause) == 0)
		qlist_free(&list);
	free(cause);
	qstore_files_free(&files);
	return 0;
}
