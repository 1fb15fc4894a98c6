/*
 * export_spool.c - the store as the export's spool (see export_int.h).
 *
 * Each destination's thread has its own struct spool: a connection to
 * <db_path>/export.db (sql/export.sql: which bins each destination was
 * sent), and a copy of every day file's `bins` table (ts, interval,
 * writes, flows), read again only when the file or its -wal changed size
 * or time.  A bin is pending for a destination when export.db has no row
 * for it; the oldest pending bin that the caller says is final goes
 * next, interfaces in name order within a time.  So the backlog is
 * exactly what the day files hold and the cursor lacks: retention, which
 * removes day files, bounds it, and a restart finds it again.
 *
 * Day files are only read, through read-only connections (WAL readers:
 * they never wait for the store's writer, nor it for them); a bin's
 * writes counter and its rows are read in one transaction, so the writes
 * recorded as sent are those of the rows sent.  export.db is written in
 * small transactions with synchronous=FULL: a bin acknowledged survives
 * a crash or a power loss, and the only bin that can go twice is the one
 * in flight.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "export_int.h"
#include "qstore.h"
#include "util.h"

#define SPOOL_VERSION		1
#define SPOOL_APP_ID		0x666c6f77	/* "flow", as the day files */
#define SPOOL_BUSY_MS		60000
#define SPOOL_NONE		INT64_MIN	/* a bin with no sent row */
#define SPOOL_PACE_ROWS		64		/* rows between clock checks */

extern const char export_schema_sql[];

/* A bin of a day file, and what this destination was sent of it. */
struct spool_bin {
	int64_t		 ts;
	uint32_t	 interval;
	int64_t		 writes;
	int64_t		 flows;
	int64_t		 sent_writes;	/* SPOOL_NONE: not sent */
	int64_t		 sent_rows;	/* -1: skipped (no backfill) */
};

struct spool_file {
	char		*iface;
	int64_t		 day;
	char		*path;
	int64_t		 fp[4];		/* size and mtime of file and -wal */
	struct spool_bin *bins;		/* by ts */
	size_t		 nbins;
};

struct spool {
	char		*db_dir;
	char		*name;
	int64_t		 id;		/* destinations.id */
	int		 backfill;
	int		 resend_changed;
	sqlite3		*db;
	int		 lock_fd;
	struct spool_file *files;	/* by day, then interface */
	size_t		 nfiles;
	uint64_t	 expired;
	struct spool_domain {
		char	*iface;
		uint32_t id;
	}		*doms;
	size_t		 ndoms;
};

static int
spool_fail(sqlite3 *db, const char *what, char **cause)
{
	return util_cause(cause, -EIO, "%s: %s", what,
	    db != NULL ? sqlite3_errmsg(db) : "out of memory");
}

static int
spool_exec(struct spool *sp, const char *sql, char **cause)
{
	if (sqlite3_exec(sp->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return spool_fail(sp->db, "export.db", cause);
	return 0;
}

static int64_t
spool_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* ------------------------------------------------------ day files */

static void
spool_fingerprint(const char *path, int64_t fp[4])
{
	struct stat st;
	char *wal = util_printf("%s-wal", path);
	const char *p[2] = { path, wal };
	int i;

	for (i = 0; i < 2; i++) {
		fp[2 * i] = fp[2 * i + 1] = -1;
		if (stat(p[i], &st) == 0) {
			fp[2 * i] = (int64_t)st.st_size;
			fp[2 * i + 1] = (int64_t)st.st_mtim.tv_sec *
			    1000000000 + st.st_mtim.tv_nsec;
		}
	}
	free(wal);
}

/* The bins of a day file, with what was sent of them. */
static int
spool_read_file(struct spool *sp, struct spool_file *f, char **cause)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	struct spool_bin *b = NULL, *nb;
	size_t n = 0, cap = 0, lo, hi, mid;
	int rc;

	if ((db = qstore_open_ro(f->path, 0, cause)) == NULL)
		return -EIO;
	rc = sqlite3_prepare_v2(db, "SELECT ts, interval, writes, flows FROM "
	    "bins ORDER BY ts", -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			nb = realloc(b, cap * sizeof *b);
			if (nb == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			b = nb;
		}
		b[n].ts = sqlite3_column_int64(st, 0);
		b[n].interval = (uint32_t)sqlite3_column_int64(st, 1);
		b[n].writes = sqlite3_column_int64(st, 2);
		b[n].flows = sqlite3_column_int64(st, 3);
		b[n].sent_writes = SPOOL_NONE;
		b[n].sent_rows = 0;
		n++;
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE) {
		rc = spool_fail(db, f->path, cause);
		sqlite3_finalize(st);
		sqlite3_close(db);
		free(b);
		return rc;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);

	/* What export.db says of them. */
	st = NULL;
	rc = sqlite3_prepare_v2(sp->db, "SELECT ts, writes, rows FROM sent "
	    "WHERE dest = ?1 AND iface = ?2 AND ts >= ?3 AND ts < ?3 + 86400",
	    -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, sp->id);
		sqlite3_bind_text(st, 2, f->iface, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, f->day);
	}
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t ts = sqlite3_column_int64(st, 0);

		rc = SQLITE_OK;
		for (lo = 0, hi = n; lo < hi;) {
			mid = (lo + hi) / 2;
			if (b[mid].ts < ts)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < n && b[lo].ts == ts) {
			b[lo].sent_writes = sqlite3_column_int64(st, 1);
			b[lo].sent_rows = sqlite3_column_int64(st, 2);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(b);
		return spool_fail(sp->db, "export.db", cause);
	}
	free(f->bins);
	f->bins = b;
	f->nbins = n;
	return 0;
}

static void
spool_file_free(struct spool_file *f)
{
	free(f->iface);
	free(f->path);
	free(f->bins);
}

/* Is bin b pending?  changed: set when it was written again since. */
static int
spool_pending(const struct spool *sp, const struct spool_bin *b,
    int *changed)
{
	*changed = 0;
	if (b->sent_writes == SPOOL_NONE)
		return 1;
	if (b->sent_rows < 0)
		return sp->backfill;
	if (b->sent_writes < b->writes) {
		if (sp->resend_changed)
			return 1;
		*changed = 1;
	}
	return 0;
}

static void
spool_forget_day(struct spool *sp, const struct spool_file *f)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(sp->db, "DELETE FROM sent WHERE dest = ?1 AND "
	    "iface = ?2 AND ts >= ?3 AND ts < ?3 + 86400", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_int64(st, 1, sp->id);
		sqlite3_bind_text(st, 2, f->iface, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, f->day);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
}

int
spool_scan(struct spool *sp, spool_want_fn *want, void *arg, char **cause)
{
	struct qfiles q;
	struct spool_file *nf, *old;
	char **names = NULL, **sel;
	size_t nnames = 0, nsel = 0, i, j, o = 0;
	int64_t fp[4];
	int changed, rc = 0;

	if (qstore_ifaces(sp->db_dir, &names, &nnames, cause) != 0)
		return -EIO;
	sel = util_calloc(nnames + 1, sizeof *sel);
	for (i = 0; i < nnames; i++)
		if (want == NULL || want(arg, names[i]))
			sel[nsel++] = util_strdup(names[i]);
	qstore_strv_free(names, nnames);
	qstore_files(sp->db_dir, sel, nsel, 0, INT64_MAX, &q);

	nf = util_calloc(q.nfiles + 1, sizeof *nf);
	for (i = 0; i < q.nfiles; i++) {
		nf[i].iface = util_strdup(q.ifaces[q.files[i].iface]);
		nf[i].day = q.files[i].day;
		nf[i].path = q.files[i].path;
		q.files[i].path = NULL;
		/* the old copy, when there is one (both lists are sorted) */
		old = NULL;
		while (o < sp->nfiles && (sp->files[o].day < nf[i].day ||
		    (sp->files[o].day == nf[i].day &&
		    strcmp(sp->files[o].iface, nf[i].iface) < 0)))
			o++;
		if (o < sp->nfiles && sp->files[o].day == nf[i].day &&
		    strcmp(sp->files[o].iface, nf[i].iface) == 0)
			old = &sp->files[o];
		spool_fingerprint(nf[i].path, fp);
		if (old != NULL) {
			nf[i].bins = old->bins;
			nf[i].nbins = old->nbins;
			memcpy(nf[i].fp, old->fp, sizeof fp);
			old->bins = NULL;
			old->nbins = 0;
			old->day = INT64_MIN;	/* taken over */
		}
		if (old == NULL || memcmp(fp, nf[i].fp, sizeof fp) != 0) {
			memcpy(nf[i].fp, fp, sizeof fp);
			if (spool_read_file(sp, &nf[i], rc ? NULL : cause) !=
			    0) {
				rc = -EIO;
				memset(nf[i].fp, 0, sizeof fp);	/* again */
			}
		}
	}
	/*
	 * Files gone: removed (retention), or their interface left the
	 * filter.  A removed file's pending bins are lost to this
	 * destination, and its rows in export.db go too.
	 */
	for (j = 0; j < sp->nfiles; j++) {
		old = &sp->files[j];
		if (old->day != INT64_MIN && (want == NULL ||
		    want(arg, old->iface)) && access(old->path, F_OK) != 0) {
			for (i = 0; i < old->nbins; i++)
				sp->expired += (uint64_t)spool_pending(sp,
				    &old->bins[i], &changed);
			spool_forget_day(sp, old);
		}
		spool_file_free(old);
	}
	free(sp->files);
	sp->files = nf;
	sp->nfiles = q.nfiles;
	qstore_files_free(&q);
	return rc;
}

int
spool_next(struct spool *sp, spool_ready_fn *ready, void *arg,
    struct spool_pick *out, struct spool_backlog *bl)
{
	const struct spool_file *f, *best = NULL;
	const struct spool_bin *b, *bb = NULL;
	size_t i, j;
	int changed;

	memset(bl, 0, sizeof *bl);
	bl->expired = sp->expired;
	for (i = 0; i < sp->nfiles; i++) {
		f = &sp->files[i];
		for (j = 0; j < f->nbins; j++) {
			b = &f->bins[j];
			if (!spool_pending(sp, b, &changed)) {
				bl->changed += (uint64_t)changed;
				continue;
			}
			if (!ready(arg, f->iface, b->ts, b->interval)) {
				bl->waiting++;
				continue;
			}
			bl->bins++;
			bl->rows += (uint64_t)(b->flows > 0 ? b->flows : 0);
			if (bb == NULL || b->ts < bb->ts) {
				bb = b;
				best = f;
			}
		}
	}
	if (bb == NULL)
		return 0;
	bl->oldest = bb->ts;
	out->iface = best->iface;
	out->ts = bb->ts;
	out->interval = bb->interval;
	out->rows = bb->flows;
	return 1;
}

/* ---------------------------------------------------------- domains */

static int
spool_domain(struct spool *sp, const char *iface, uint32_t *out,
    char **cause)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int64_t id = -1;
	int rc;

	for (i = 0; i < sp->ndoms; i++)
		if (strcmp(sp->doms[i].iface, iface) == 0) {
			*out = sp->doms[i].id;
			return 0;
		}
	if ((rc = spool_exec(sp, "BEGIN IMMEDIATE", cause)) != 0)
		return rc;
	rc = sqlite3_prepare_v2(sp->db, "INSERT OR IGNORE INTO domains (iface, "
	    "id) SELECT ?1, coalesce(max(id), 0) + 1 FROM domains", -1, &st,
	    NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, iface, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(sp->db, "SELECT id FROM domains WHERE "
		    "iface = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, iface, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			id = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (id <= 0 || id > UINT32_MAX ||
	    spool_exec(sp, "COMMIT", cause) != 0) {
		rc = spool_fail(sp->db, "export.db: domains", cause);
		sqlite3_exec(sp->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	sp->doms = util_realloc(sp->doms, sp->ndoms + 1, sizeof *sp->doms);
	sp->doms[sp->ndoms].iface = util_strdup(iface);
	sp->doms[sp->ndoms++].id = (uint32_t)id;
	*out = (uint32_t)id;
	return 0;
}

/* ------------------------------------------------------------- bins */

int
spool_bin_open(struct spool *sp, const struct spool_pick *p,
    struct export_bin *bin, char **cause)
{
	const struct spool_file *f = NULL;
	sqlite3_stmt *st = NULL;
	char day[16];
	size_t i;
	int rc;

	memset(bin, 0, sizeof *bin);
	for (i = 0; i < sp->nfiles; i++)
		if (sp->files[i].iface == p->iface &&
		    p->ts >= sp->files[i].day &&
		    p->ts < sp->files[i].day + 86400)
			f = &sp->files[i];
	if (f == NULL) {
		util_utc_day(p->ts, day, sizeof day);
		return util_cause(cause, -ENOENT, "%s: no day file for %s",
		    p->iface, day);
	}
	bin->iface = f->iface;
	bin->ts = p->ts;
	if ((rc = spool_domain(sp, f->iface, &bin->domain, cause)) != 0)
		return rc;
	if ((bin->db = qstore_open_ro(f->path, 0, cause)) == NULL)
		return -ENOENT;
	rc = sqlite3_exec(bin->db, "BEGIN", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(bin->db, "SELECT interval, writes, "
		    "flows FROM bins WHERE ts = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, p->ts);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			bin->interval = (uint32_t)sqlite3_column_int64(st, 0);
			bin->writes = sqlite3_column_int64(st, 1);
			bin->rows = sqlite3_column_int64(st, 2);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			sqlite3_finalize(st);
			spool_bin_close(bin);
			return util_cause(cause, -ENOENT, "%s: no bin %lld",
			    f->path, (long long)p->ts);
		}
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(bin->db, "SELECT s.ip, d.ip, s.text, "
		    "d.text, k.dport, k.proto, k.vlan, r.bytes_rcvd, "
		    "r.bytes_sent, r.pkts_rcvd, r.pkts_sent "
		    "FROM flow_rows AS r "
		    "JOIN flow_keys AS k ON k.id = r.key "
		    "JOIN addrs AS s ON s.id = k.sip "
		    "JOIN addrs AS d ON d.id = k.dip WHERE r.ts = ?1", -1,
		    &bin->st, NULL);
	if (rc != SQLITE_OK) {
		rc = spool_fail(bin->db, f->path, cause);
		spool_bin_close(bin);
		return rc;
	}
	sqlite3_bind_int64(bin->st, 1, p->ts);
	return 0;
}

void
spool_bin_close(struct export_bin *bin)
{
	sqlite3_finalize(bin->st);
	bin->st = NULL;
	if (bin->db != NULL) {
		sqlite3_exec(bin->db, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(bin->db);
		bin->db = NULL;
	}
	free(bin->cause);
	bin->cause = NULL;
}

int
export_bin_cancelled(const struct export_bin *bin)
{
	return bin->cancel != NULL && atomic_load(bin->cancel) != 0;
}

int
export_bin_next(struct export_bin *bin, struct export_row *row)
{
	struct timespec ts;
	uint64_t due, now;
	const void *ip;
	int rc, n;

	if (bin->nread % SPOOL_PACE_ROWS == 0) {
		if (bin->nread == 0)
			bin->t0_ns = util_now_ns();
		for (;;) {
			if (export_bin_cancelled(bin))
				return -ECANCELED;
			if (bin->rate == 0)
				break;
			due = bin->t0_ns + bin->nread * 1000000000ull /
			    bin->rate;
			if ((now = util_now_ns()) >= due)
				break;
			due -= now;
			if (due > 50000000)
				due = 50000000;		/* see a stop soon */
			ts.tv_sec = 0;
			ts.tv_nsec = (long)due;
			nanosleep(&ts, NULL);
		}
	}
	rc = sqlite3_step(bin->st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW) {
		free(bin->cause);
		bin->cause = NULL;
		return spool_fail(bin->db, "reading the bin", &bin->cause);
	}
	memset(row, 0, sizeof *row);
	n = sqlite3_column_bytes(bin->st, 0);
	row->family = n == 16 ? 6 : 4;
	if ((ip = sqlite3_column_blob(bin->st, 0)) != NULL && (n == 4 ||
	    n == 16))
		memcpy(row->sip, ip, (size_t)n);
	n = sqlite3_column_bytes(bin->st, 1);
	if ((ip = sqlite3_column_blob(bin->st, 1)) != NULL && (n == 4 ||
	    n == 16))
		memcpy(row->dip, ip, (size_t)n);
	row->sip_text = (const char *)sqlite3_column_text(bin->st, 2);
	row->dip_text = (const char *)sqlite3_column_text(bin->st, 3);
	row->dport = (uint16_t)sqlite3_column_int(bin->st, 4);
	row->proto = (uint8_t)sqlite3_column_int(bin->st, 5);
	row->vlan = (uint16_t)sqlite3_column_int(bin->st, 6);
	row->bytes_rcvd = (uint64_t)sqlite3_column_int64(bin->st, 7);
	row->bytes_sent = (uint64_t)sqlite3_column_int64(bin->st, 8);
	row->pkts_rcvd = (uint64_t)sqlite3_column_int64(bin->st, 9);
	row->pkts_sent = (uint64_t)sqlite3_column_int64(bin->st, 10);
	if (row->sip_text == NULL || row->dip_text == NULL) {
		free(bin->cause);
		bin->cause = util_strdup("reading the bin: an address without "
		    "its text");
		return -EIO;
	}
	bin->nread++;
	return 1;
}

int
spool_mark(struct spool *sp, const struct export_bin *bin, char **cause)
{
	sqlite3_stmt *st = NULL;
	struct spool_file *f;
	size_t i, j;
	int rc;

	rc = sqlite3_prepare_v2(sp->db, "INSERT OR REPLACE INTO sent (dest, "
	    "iface, ts, writes, rows, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1,
	    &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, sp->id);
		sqlite3_bind_text(st, 2, bin->iface, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, bin->ts);
		sqlite3_bind_int64(st, 4, bin->writes);
		sqlite3_bind_int64(st, 5, (int64_t)bin->nread);
		sqlite3_bind_int64(st, 6, (int64_t)time(NULL));
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return spool_fail(sp->db, "export.db", cause);
	for (i = 0; i < sp->nfiles; i++) {
		f = &sp->files[i];
		if (f->iface != bin->iface || bin->ts < f->day ||
		    bin->ts >= f->day + 86400)
			continue;
		for (j = 0; j < f->nbins; j++)
			if (f->bins[j].ts == bin->ts) {
				f->bins[j].sent_writes = bin->writes;
				f->bins[j].sent_rows = (int64_t)bin->nread;
			}
	}
	return 0;
}

/* -------------------------------------------------------- the file */

/* Create the schema, or check the version of the one there. */
static int
spool_schema(struct spool *sp, const char *path, char **cause)
{
	int64_t version;
	char *sql;
	int rc;

	if ((rc = spool_exec(sp, "BEGIN IMMEDIATE", cause)) != 0)
		return rc;
	version = spool_int(sp->db, "PRAGMA user_version");
	if (version == 0 && spool_int(sp->db, "SELECT count(*) FROM "
	    "sqlite_master") == 0) {
		sql = util_printf("%sPRAGMA user_version = %d; PRAGMA "
		    "application_id = %d;", export_schema_sql, SPOOL_VERSION,
		    SPOOL_APP_ID);
		rc = spool_exec(sp, sql, cause);
		free(sql);
	} else if (version != SPOOL_VERSION ||
	    spool_int(sp->db, "PRAGMA application_id") != SPOOL_APP_ID ||
	    spool_int(sp->db, "SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'sent'") != 1)
		rc = util_cause(cause, -EPROTO, "%s: not flowrec's export.db "
		    "version %d (user_version %lld): move it away", path,
		    SPOOL_VERSION, (long long)version);
	if (rc == 0)
		rc = spool_exec(sp, "COMMIT", cause);
	if (rc != 0)
		sqlite3_exec(sp->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* A destination new to the file: what is stored now is not for it. */
static int
spool_baseline(struct spool *sp, int64_t now, char **cause)
{
	struct qfiles q;
	sqlite3 *db;
	sqlite3_stmt *in = NULL, *st;
	char **names = NULL;
	size_t n = 0, i;
	int rc;

	if (qstore_ifaces(sp->db_dir, &names, &n, cause) != 0)
		return -EIO;
	qstore_files(sp->db_dir, names, n, 0, INT64_MAX, &q);
	rc = sqlite3_prepare_v2(sp->db, "INSERT OR IGNORE INTO sent (dest, "
	    "iface, ts, writes, rows, at) VALUES (?1, ?2, ?3, ?4, -1, ?5)", -1,
	    &in, NULL);
	for (i = 0; rc == SQLITE_OK && i < q.nfiles; i++) {
		if ((db = qstore_open_ro(q.files[i].path, 0, NULL)) == NULL)
			continue;	/* unreadable: nothing to skip */
		if (sqlite3_prepare_v2(db, "SELECT ts, writes FROM bins WHERE "
		    "ts + interval <= ?1", -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, now);
			while (rc == SQLITE_OK && sqlite3_step(st) ==
			    SQLITE_ROW) {
				sqlite3_reset(in);
				sqlite3_bind_int64(in, 1, sp->id);
				sqlite3_bind_text(in, 2,
				    q.ifaces[q.files[i].iface], -1,
				    SQLITE_STATIC);
				sqlite3_bind_int64(in, 3,
				    sqlite3_column_int64(st, 0));
				sqlite3_bind_int64(in, 4,
				    sqlite3_column_int64(st, 1));
				sqlite3_bind_int64(in, 5, now);
				if (sqlite3_step(in) != SQLITE_DONE)
					rc = SQLITE_ERROR;
			}
			sqlite3_finalize(st);
		}
		sqlite3_close(db);
	}
	if (rc != SQLITE_OK)
		rc = spool_fail(sp->db, "export.db", cause);
	sqlite3_finalize(in);
	qstore_files_free(&q);
	return rc;
}

static int
spool_register(struct spool *sp, int64_t now, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = spool_exec(sp, "BEGIN IMMEDIATE", cause)) != 0)
		return rc;
	rc = sqlite3_prepare_v2(sp->db, "SELECT id FROM destinations WHERE "
	    "name = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, sp->name, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			sp->id = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_OK && sp->id == 0) {
		rc = sqlite3_prepare_v2(sp->db, "INSERT INTO destinations "
		    "(name, added, backfill) VALUES (?1, ?2, ?3)", -1, &st,
		    NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(st, 1, sp->name, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, now);
			sqlite3_bind_int(st, 3, sp->backfill);
			rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK :
			    SQLITE_ERROR;
		}
		sqlite3_finalize(st);
		sp->id = sqlite3_last_insert_rowid(sp->db);
		if (rc == SQLITE_OK && !sp->backfill &&
		    spool_baseline(sp, now, cause) != 0) {
			sqlite3_exec(sp->db, "ROLLBACK", NULL, NULL, NULL);
			return -EIO;
		}
	}
	if (rc != SQLITE_OK) {
		rc = spool_fail(sp->db, "export.db", cause);
		sqlite3_exec(sp->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return spool_exec(sp, "COMMIT", cause);
}

int
spool_open(const char *db_dir, const char *name, int backfill,
    int resend_changed, int64_t now, struct spool **out, char **cause)
{
	struct spool *sp = util_calloc(1, sizeof *sp);
	char *path;
	int rc;

	*out = NULL;
	sp->db_dir = util_strdup(db_dir);
	sp->name = util_strdup(name);
	sp->backfill = backfill;
	sp->resend_changed = resend_changed;
	sp->lock_fd = -1;
	if ((rc = util_mkdir_p(db_dir)) != 0) {
		util_cause(cause, rc, "%s: %s", db_dir, strerror(-rc));
		spool_free(sp);
		return rc;
	}
	path = util_printf("%s/export.db", db_dir);
	/* never through a symbolic link; WAL only once the file is ours */
	if (sqlite3_open_v2(path, &sp->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
	    NULL) != SQLITE_OK) {
		rc = spool_fail(sp->db, path, cause);
		goto fail;
	}
	sqlite3_busy_timeout(sp->db, SPOOL_BUSY_MS);
	if ((rc = spool_schema(sp, path, cause)) != 0 ||
	    (rc = spool_exec(sp, "PRAGMA journal_mode = WAL; PRAGMA "
	    "synchronous = FULL", cause)) != 0 ||
	    (rc = spool_register(sp, now, cause)) != 0)
		goto fail;
	free(path);
	*out = sp;
	return 0;

fail:
	free(path);
	spool_free(sp);
	return rc;
}

int
spool_lock(struct spool *sp, char **cause)
{
	struct flock fl;
	char *path;
	int rc;

	if (sp->lock_fd < 0) {
		path = util_printf("%s/export.lock", sp->db_dir);
		sp->lock_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
		if (sp->lock_fd < 0) {
			rc = util_cause(cause, -errno, "%s: %s", path,
			    strerror(errno));
			free(path);
			return rc;
		}
		free(path);
	}
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = (off_t)sp->id;
	fl.l_len = 1;
	/* Open file description locks: two exporters in one process (a
	 * reload) exclude each other too. */
	if (fcntl(sp->lock_fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		return -EAGAIN;
	return util_cause(cause, -errno, "export.lock: %s", strerror(errno));
}

void
spool_free(struct spool *sp)
{
	size_t i;

	if (sp == NULL)
		return;
	for (i = 0; i < sp->nfiles; i++)
		spool_file_free(&sp->files[i]);
	free(sp->files);
	for (i = 0; i < sp->ndoms; i++)
		free(sp->doms[i].iface);
	free(sp->doms);
	if (sp->lock_fd >= 0)
		close(sp->lock_fd);
	sqlite3_close(sp->db);
	free(sp->db_dir);
	free(sp->name);
	free(sp);
}
