/*
 * flowq.c - goquery-compatible queries over flowrec's store.
 *
 *   flowq [flags] [QUERY]		top talkers, applications, raw rows
 *   flowq list [-v] [-i ...]		interfaces and their counters
 *   flowq sql [-i ...] "SELECT ..."	read-only SQL over every day file
 *
 * This file is the command line: it parses the flags, the attribute list
 * and the condition (cond.c), the times (qtime.c), finds the day files
 * (qstore.c), runs the query (qexec.c) and prints it (qout.c).  `list`
 * reads only the per-bin counters, from the store's catalog.db where its
 * rows are still valid; `sql` attaches the day files read-only under one
 * `flows` relation.  Exit status: 0 (also for no results), 1
 * for any error, 130 when interrupted.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "cond.h"
#include "conf.h"
#include "qexec.h"
#include "qout.h"
#include "qstore.h"
#include "qtime.h"
#include "util.h"

#define RDNS_ROWS	25
#define RDNS_TIMEOUT_MS	1000

struct opts {
	const char	*ifaces;
	const char	*condition;
	const char	*first, *last;
	const char	*sort;
	const char	*format;
	const char	*dbdir;
	const char	*resolution;
	const char	*timeout;
	int		 ascending, in, out, sum, rdns, sql, verbose, threads;
	long long	 limit;
	int		 limit_set;
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: flowq [-i IFACES] [-c COND] [-f FIRST] [-l LAST] [-s bytes|packets|time]\n"
"             [-a] [-n N] [--in] [--out] [--sum] [-e txt|json|csv] [-d DIR]\n"
"             [-r] [--resolution 5m|1h|1d|auto] [--timeout S] [--sql] [QUERY]\n"
"       flowq list [-v] [-i IFACES] [-f FIRST] [-l LAST] [-e FMT] [-d DIR]\n"
"       flowq sql [-i IFACES] [-f FIRST] [-l LAST] [-e FMT] [-d DIR] SELECT...\n"
"QUERY is a comma list of sip (src), dip (dst), dport (port), proto, vlan,\n"
"time, iface and the shortcuts talk_src, talk_dst, talk_conv, apps_port,\n"
"agg_talk_port, raw (default talk_src).  See flowq(1).\n");
}

static void
fatal(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3),
    noreturn));

static void
fatal(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("flowq: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/*
 * SQLite's page cache in memory faulted in at once: a seek reads a few
 * hundred pages, and the first touch of each fresh heap page costs more
 * than reading it (a page fault; expensive on VMs).  Beyond these slots
 * SQLite allocates as usual.
 */
static void
page_cache(void)
{
	size_t	 n = 256, sz;
	int	 hdr = 0;
	void	*buf;

	if (sqlite3_config(SQLITE_CONFIG_PCACHE_HDRSZ, &hdr) != SQLITE_OK ||
	    hdr < 0)
		return;
	sz = (4096 + (size_t)hdr + 7) & ~(size_t)7;
	buf = mmap(NULL, n * sz, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf != MAP_FAILED && sqlite3_config(SQLITE_CONFIG_PAGECACHE, buf,
	    (int)sz, (int)n) != SQLITE_OK)
		munmap(buf, n * sz);
}

static void
on_sigint(int sig)
{
	(void)sig;
	qexec_interrupt();
}

/* ------------------------------------------------------------ arguments */

/* A switch from the environment: set, not empty and not "0". */
static int
env_flag(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

static const struct {
	const char	*name;
	unsigned	 attrs;
} query_words[] = {
	{ "sip", QA_SIP }, { "src", QA_SIP },
	{ "dip", QA_DIP }, { "dst", QA_DIP },
	{ "dport", QA_DPORT }, { "port", QA_DPORT },
	{ "proto", QA_PROTO }, { "protocol", QA_PROTO },
	{ "ipproto", QA_PROTO },
	{ "vlan", QA_VLAN }, { "time", QA_TIME }, { "iface", QA_IFACE },
	{ "talk_src", QA_SIP }, { "talk_dst", QA_DIP },
	{ "talk_conv", QA_SIP | QA_DIP },
	{ "apps_port", QA_DPORT | QA_PROTO },
	{ "agg_talk_port", QA_SIP | QA_DIP | QA_DPORT | QA_PROTO },
	{ "raw", QA_TIME | QA_IFACE | QA_SIP | QA_DIP | QA_DPORT | QA_PROTO |
	    QA_VLAN },
};

static unsigned
parse_query(const char *s)
{
	char		*copy = util_strdup(s), *tok, *save = NULL;
	unsigned	 attrs = 0;
	size_t		 i;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		tok = util_trim(tok);
		for (i = 0; i < sizeof query_words / sizeof query_words[0];
		    i++) {
			if (strcasecmp(tok, query_words[i].name) == 0)
				break;
		}
		if (i == sizeof query_words / sizeof query_words[0])
			fatal(1, "unknown attribute '%s' in query '%s' (use "
			    "sip, dip, dport, proto, vlan, time, iface, "
			    "talk_src, talk_dst, talk_conv, apps_port, "
			    "agg_talk_port or raw)", tok, s);
		attrs |= query_words[i].attrs;
	}
	free(copy);
	if (attrs == 0)
		fatal(1, "empty query '%s'", s);
	return attrs;
}

/* "30", "30s", "5m", "1h", "1d" in seconds; -1 if invalid. */
static double
parse_seconds(const char *s)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || v < 0)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		return v;
	if (strcmp(end, "ms") == 0)
		return v / 1000;
	if (strcmp(end, "m") == 0)
		return v * 60;
	if (strcmp(end, "h") == 0)
		return v * 3600;
	if (strcmp(end, "d") == 0)
		return v * 86400;
	return -1;
}

static int64_t
parse_resolution(const char *s, int64_t first, int64_t last)
{
	double	 v;
	int64_t	 span = last - first;

	if (s == NULL)
		return 0;
	if (strcasecmp(s, "auto") == 0) {
		/* about a few hundred rows per key at most */
		if (span <= 2 * 86400)
			return 0;
		if (span <= 14 * 86400)
			return 3600;
		return 86400;
	}
	v = parse_seconds(s);
	if (v < 1 || v != (double)(int64_t)v || 86400 % (int64_t)v != 0)
		fatal(1, "--resolution '%s': use 5m, 1h, 1d, auto or a number "
		    "of seconds that divides a day", s);
	return (int64_t)v;
}

/* ------------------------------------------------------------ query */

static int
run_query(const struct opts *o, unsigned attrs, char **all, size_t nall)
{
	struct qquery	 q;
	struct qfiles	 files;
	struct qresult	 res;
	struct cond	*c = NULL;
	struct cond_options copts = { cond_resolve_system, 5000 };
	struct qout_info info;
	enum qout_format fmt;
	char		**sel, *cause = NULL;
	size_t		 nsel;
	double		 t;
	uint64_t	 rstart;

	memset(&q, 0, sizeof q);
	if (o->condition != NULL && cond_parse(o->condition, &copts, &c,
	    &cause) != 0)
		fatal(1, "%s", cause);
	if (qtime_range(o->first, o->last, (attrs & QA_TIME) != 0,
	    (int64_t)time(NULL), &q.first, &q.last, &cause) != 0)
		fatal(1, "%s", cause);
	if (qstore_select(all, nall, o->ifaces != NULL ? o->ifaces : "any",
	    &sel, &nsel, &cause) != 0)
		fatal(1, "%s", cause);
	if (nsel > 1)
		attrs |= QA_IFACE;
	q.attrs = attrs;
	q.cond = c;
	q.resolution = parse_resolution(o->resolution, q.first, q.last);
	if (o->sum)
		q.dir = QDIR_SUM;
	else if (o->in && !o->out)
		q.dir = QDIR_IN;
	else if (o->out && !o->in)
		q.dir = QDIR_OUT;
	else
		q.dir = QDIR_BOTH;
	if (o->sort == NULL || strcmp(o->sort, "bytes") == 0)
		q.sort = QSORT_BYTES;
	else if (strcmp(o->sort, "packets") == 0)
		q.sort = QSORT_PACKETS;
	else if (strcmp(o->sort, "time") == 0)
		q.sort = QSORT_TIME;
	else
		fatal(1, "-s '%s': sort by bytes, packets or time", o->sort);
	q.ascending = o->ascending;
	q.limit = o->limit_set ? (size_t)o->limit : 1000;
	q.threads = o->threads;
	q.no_rollups = env_flag("FLOWQ_NO_ROLLUPS");
	q.print_sql = o->sql;
	if (o->timeout != NULL) {
		if ((t = parse_seconds(o->timeout)) <= 0)
			fatal(1, "--timeout '%s': use seconds such as 30 or 1m",
			    o->timeout);
		q.timeout = t;
	}
	if (o->format == NULL || strcmp(o->format, "txt") == 0)
		fmt = QOUT_TXT;
	else if (strcmp(o->format, "json") == 0)
		fmt = QOUT_JSON;
	else if (strcmp(o->format, "csv") == 0)
		fmt = QOUT_CSV;
	else
		fatal(1, "-e '%s': use txt, json or csv", o->format);

	qstore_files(o->dbdir, sel, nsel, q.first, q.last, &files);
	if (qexec_run(&q, &files, &res, &cause) != 0) {
		if (qexec_interrupted())
			fatal(130, "interrupted");
		fatal(1, "%s", cause);
	}

	memset(&info, 0, sizeof info);
	info.q = &q;
	info.files = &files;
	info.condition = c != NULL ? c->canonical : NULL;
	if (o->rdns && fmt == QOUT_TXT && (attrs & (QA_SIP | QA_DIP))) {
		rstart = util_now_ns();
		info.names = qout_rdns(&q, &res, RDNS_ROWS, RDNS_TIMEOUT_MS);
		info.rdns_ns = util_now_ns() - rstart;
		if (info.rdns_ns == 0)
			info.rdns_ns = 1;
		info.rdns_timeout_ms = RDNS_TIMEOUT_MS;
	}
	qout_print(stdout, fmt, &info, &res);
	qout_rdns_free(info.names, res.nrows < RDNS_ROWS ? res.nrows :
	    RDNS_ROWS);
	qexec_free(&res);
	qstore_files_free(&files);
	cond_free(c);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ------------------------------------------------------------ list */

struct list_row {
	size_t		 iface;
	int		 data;
	int64_t		 first, last;
	uint64_t	 v[9];	/* pr ps br bs flows v4 v6 drops packets */
};

/* A catalog row that stands for "no bin in range". */
static const struct qcat_day list_nothing;

struct list_work {
	const struct qfiles *files;
	const struct qcat_day **cat;	/* per file: its valid catalog row */
	uint8_t		*end;		/* per file: read the last bin's end */
	struct list_row	*per_file;
	int64_t		 lo, hi;
	size_t		 next;
	pthread_mutex_t	 lock;
	char		*err;
};

/* A file's row from its catalog row (wholly inside the range). */
static void
list_from_catalog(struct list_row *r, const struct qcat_day *d)
{
	r->data = d->bins > 0;
	if (!r->data)
		return;
	r->first = d->first;
	r->last = d->last;	/* the start of the last bin: see list_plan() */
	r->v[0] = (uint64_t)d->pkts_rcvd;
	r->v[1] = (uint64_t)d->pkts_sent;
	r->v[2] = (uint64_t)d->bytes_rcvd;
	r->v[3] = (uint64_t)d->bytes_sent;
	r->v[4] = (uint64_t)d->flows;
	r->v[5] = (uint64_t)d->flows_v4;
	r->v[6] = (uint64_t)d->flows_v6;
	r->v[7] = (uint64_t)d->kernel_drops;
	r->v[8] = (uint64_t)d->packets;
}

/*
 * Which files the catalog answers: those with a valid row whose bins lie
 * all inside [lo, hi] or all outside it.  The catalog knows the start of
 * a day's last bin, not its end, which `list` prints: so each interface's
 * latest file with data is opened to read that bin's interval.  Bins never
 * overlap (one interval, dividing the day, aligned), so no earlier bin can
 * end later.
 */
static void
list_plan(struct list_work *w, const struct qcatalog *cat)
{
	const struct qfiles	*files = w->files;
	const struct qcat_day	*d, **latest;
	size_t			 i;

	if ((w->cat = calloc(files->nfiles + 1, sizeof *w->cat)) == NULL ||
	    (w->end = calloc(files->nfiles + 1, 1)) == NULL ||
	    (latest = calloc(files->nifaces + 1, sizeof *latest)) == NULL)
		abort();
	for (i = 0; cat != NULL && i < files->nfiles; i++) {
		d = qstore_catalog_find(cat,
		    files->ifaces[files->files[i].iface], &files->files[i]);
		if (d == NULL)
			continue;
		if (d->bins > 0 && (d->last < w->lo || d->first > w->hi)) {
			w->cat[i] = &list_nothing;
			continue;
		}
		if (d->bins > 0 && (d->first < w->lo || d->last > w->hi))
			continue;
		w->cat[i] = d;
		if (d->bins > 0 && (latest[files->files[i].iface] == NULL ||
		    d->last > latest[files->files[i].iface]->last))
			latest[files->files[i].iface] = d;
	}
	for (i = 0; i < files->nfiles; i++) {
		if (w->cat[i] != NULL &&
		    w->cat[i] == latest[files->files[i].iface])
			w->end[i] = 1;
	}
	free(latest);
}

static void *
list_run(void *arg)
{
	struct list_work	*w = arg;
	struct list_row		*r;
	sqlite3			*db;
	sqlite3_stmt		*st;
	char			*cause = NULL;
	size_t			 i;
	int			 k;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		i = w->next++;
		pthread_mutex_unlock(&w->lock);
		if (i >= w->files->nfiles || qexec_interrupted())
			return NULL;
		r = &w->per_file[i];
		r->iface = w->files->files[i].iface;
		if (w->cat[i] != NULL && !w->end[i]) {
			list_from_catalog(r, w->cat[i]);
			continue;
		}
		if ((db = qstore_open_day(w->files->files[i].path,
		    w->files->files[i].day, &cause)) == NULL) {
			pthread_mutex_lock(&w->lock);
			if (w->err == NULL)
				w->err = cause;
			else
				free(cause);
			pthread_mutex_unlock(&w->lock);
			cause = NULL;
			continue;
		}
		qexec_watch(db, 0);
		/* the catalog's sums, and the end of the last bin */
		if (w->cat[i] != NULL) {
			if (sqlite3_prepare_v2(db, "SELECT interval FROM bins "
			    "WHERE ts = ?", -1, &st, NULL) == SQLITE_OK) {
				sqlite3_bind_int64(st, 1, w->cat[i]->last);
				if (sqlite3_step(st) == SQLITE_ROW) {
					list_from_catalog(r, w->cat[i]);
					r->last += sqlite3_column_int64(st, 0);
				}
			}
			sqlite3_finalize(st);
			if (r->data) {
				sqlite3_close(db);
				continue;
			}
		}
		if (sqlite3_prepare_v2(db, "SELECT count(*), min(ts), "
		    "max(ts + interval), total(pkts_rcvd), total(pkts_sent), "
		    "total(bytes_rcvd), total(bytes_sent), total(flows), "
		    "total(flows_v4), total(flows_v6), total(kernel_drops), "
		    "total(packets) FROM bins WHERE ts >= ? AND ts <= ?", -1,
		    &st, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, w->lo);
			sqlite3_bind_int64(st, 2, w->hi);
			if (sqlite3_step(st) == SQLITE_ROW &&
			    sqlite3_column_int64(st, 0) > 0) {
				r->data = 1;
				r->first = sqlite3_column_int64(st, 1);
				r->last = sqlite3_column_int64(st, 2);
				for (k = 0; k < 9; k++)
					r->v[k] = (uint64_t)
					    sqlite3_column_int64(st, 3 + k);
			}
		}
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
}

/*
 * The day files of list and sql: the interfaces of -i and, with -f/-l,
 * the time range (else all of it).
 */
static void
select_files(const struct opts *o, char **all, size_t nall, int64_t *first,
    int64_t *last, struct qfiles *files)
{
	char	**sel, *cause = NULL;
	size_t	 nsel;

	*first = 0;
	*last = INT64_MAX / 2;
	if (o->first != NULL || o->last != NULL) {
		if (qtime_range(o->first, o->last, 0, (int64_t)time(NULL),
		    first, last, &cause) != 0)
			fatal(1, "%s", cause);
		if (o->first == NULL)
			*first = 0;
	}
	if (qstore_select(all, nall, o->ifaces != NULL ? o->ifaces : "any",
	    &sel, &nsel, &cause) != 0)
		fatal(1, "%s", cause);
	qstore_files(o->dbdir, sel, nsel, *first, *last, files);
}

static int
run_list(const struct opts *o, char **all, size_t nall)
{
	struct qfiles		 files;
	struct list_work	 w;
	struct qcatalog		*cat = NULL;
	struct list_row		*rows, tot;
	struct qout_tw		*tw;
	pthread_t		 th[4];
	char			 a[64], b[64];
	size_t			 i, k, nth = 2;
	int64_t			 first, last;
	json_t			*jo, *ja, *jr;
	int			 nrows = 0;

	select_files(o, all, nall, &first, &last, &files);

	memset(&w, 0, sizeof w);
	w.files = &files;
	w.lo = first;
	w.hi = last;
	if (!env_flag("FLOWQ_NO_CATALOG"))
		cat = qstore_catalog_open(o->dbdir);
	list_plan(&w, cat);
	pthread_mutex_init(&w.lock, NULL);
	if ((w.per_file = calloc(files.nfiles + 1, sizeof *w.per_file)) ==
	    NULL)
		abort();
	for (i = 0; i < nth; i++) {
		if (pthread_create(&th[i], NULL, list_run, &w) != 0)
			fatal(1, "cannot start a thread");
	}
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	if (qexec_interrupted())
		fatal(130, "interrupted");
	if (w.err != NULL)
		fatal(1, "%s", w.err);

	/* per interface */
	if ((rows = calloc(files.nifaces + 1, sizeof *rows)) == NULL)
		abort();
	memset(&tot, 0, sizeof tot);
	for (i = 0; i < files.nfiles; i++) {
		struct list_row *f = &w.per_file[i], *r = &rows[f->iface];

		if (!f->data)
			continue;
		if (!r->data || f->first < r->first)
			r->first = f->first;
		if (!r->data || f->last > r->last)
			r->last = f->last;
		r->data = 1;
		for (k = 0; k < 9; k++)
			r->v[k] += f->v[k];
	}
	for (i = 0; i < files.nifaces; i++) {
		if (!rows[i].data)
			continue;
		nrows++;
		for (k = 0; k < 9; k++)
			tot.v[k] += rows[i].v[k];
	}

	if (o->format != NULL && strcmp(o->format, "json") == 0) {
		ja = json_array();
		for (i = 0; i < files.nifaces; i++) {
			struct list_row *r = &rows[i];

			if (!r->data)
				continue;
			jr = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
			    "s:I,s:I,s:I,s:I}", "iface", files.ifaces[i],
			    "first", (json_int_t)r->first,
			    "last", (json_int_t)r->last,
			    "packets", (json_int_t)(r->v[0] + r->v[1]),
			    "bytes", (json_int_t)(r->v[2] + r->v[3]),
			    "flows", (json_int_t)r->v[4],
			    "packets_rcvd", (json_int_t)r->v[0],
			    "packets_sent", (json_int_t)r->v[1],
			    "bytes_rcvd", (json_int_t)r->v[2],
			    "bytes_sent", (json_int_t)r->v[3],
			    "flows_v4", (json_int_t)r->v[5],
			    "flows_v6", (json_int_t)r->v[6],
			    "kernel_drops", (json_int_t)r->v[7]);
			json_array_append_new(ja, jr);
		}
		jo = json_pack("{s:o}", "interfaces", ja);
		json_dumpf(jo, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(jo);
	} else if (o->format != NULL && strcmp(o->format, "csv") == 0) {
		printf("iface,first,last,packets,bytes,flows%s\n", o->verbose ?
		    ",packets_rcvd,packets_sent,bytes_rcvd,bytes_sent,"
		    "flows_v4,flows_v6,kernel_drops" : "");
		for (i = 0; i < files.nifaces; i++) {
			struct list_row *r = &rows[i];

			if (!r->data)
				continue;
			printf("%s,%lld,%lld,%llu,%llu,%llu", files.ifaces[i],
			    (long long)r->first, (long long)r->last,
			    (unsigned long long)(r->v[0] + r->v[1]),
			    (unsigned long long)(r->v[2] + r->v[3]),
			    (unsigned long long)r->v[4]);
			if (o->verbose)
				printf(",%llu,%llu,%llu,%llu,%llu,%llu,%llu",
				    (unsigned long long)r->v[0],
				    (unsigned long long)r->v[1],
				    (unsigned long long)r->v[2],
				    (unsigned long long)r->v[3],
				    (unsigned long long)r->v[5],
				    (unsigned long long)r->v[6],
				    (unsigned long long)r->v[7]);
			printf("\n");
		}
	} else if (o->format == NULL || strcmp(o->format, "txt") == 0) {
		if (nrows == 0) {
			printf("Status \"missing data\": no data available for "
			    "the specified interface(s) / time range (maybe "
			    "flowrecd was not running)\n");
			goto out;
		}
		tw = qout_tw_new(0, 2, 1);
		qout_tw_printf(tw, "\tpackets\tbytes\tflows\t%s\t\t\n",
		    o->verbose ? "packets\tpackets\tbytes\tbytes\tflows\t"
		    "flows\tkernel\t" : "");
		qout_tw_printf(tw, "iface\t\t\t\t%sfirst\tlast\t\n",
		    o->verbose ? "in\tout\tin\tout\tIPv4\tIPv6\tdrops\t" : "");
		for (i = 0; i <= files.nifaces; i++) {
			struct list_row	*r = i < files.nifaces ? &rows[i] :
			    &tot;
			char		 p[32], by[32], fl[32];

			if (i < files.nifaces && !r->data)
				continue;
			if (i == files.nifaces)
				qout_tw_printf(tw, "\t\t\t\t%s\t\t\n",
				    o->verbose ? "\t\t\t\t\t\t\t" : "");
			qout_count(r->v[0] + r->v[1], p, sizeof p);
			qout_size(r->v[2] + r->v[3], by, sizeof by);
			qout_count(r->v[4], fl, sizeof fl);
			qout_tw_printf(tw, "%s\t%s\t%s\t%s\t",
			    i < files.nifaces ? files.ifaces[i] : "", p, by,
			    fl);
			if (o->verbose) {
				char x[7][32];

				qout_count(r->v[0], x[0], sizeof x[0]);
				qout_count(r->v[1], x[1], sizeof x[1]);
				qout_size(r->v[2], x[2], sizeof x[2]);
				qout_size(r->v[3], x[3], sizeof x[3]);
				qout_count(r->v[5], x[4], sizeof x[4]);
				qout_count(r->v[6], x[5], sizeof x[5]);
				qout_count(r->v[7], x[6], sizeof x[6]);
				for (k = 0; k < 7; k++)
					qout_tw_printf(tw, "%s\t", x[k]);
			}
			if (i < files.nifaces) {
				qtime_format(r->first, a, sizeof a);
				qtime_format(r->last, b, sizeof b);
			} else
				a[0] = b[0] = '\0';
			qout_tw_printf(tw, "%s\t%s\t\n", a, b);
		}
		fputc('\n', stdout);
		qout_tw_flush(tw, stdout);
		fputc('\n', stdout);
		tw = qout_tw_new(0, 1, 0);
		qout_tw_printf(tw, "Interfaces\t: %d listed\n", nrows);
		qout_tw_flush(tw, stdout);
		fputc('\n', stdout);
	} else
		fatal(1, "-e '%s': use txt, json or csv", o->format);
out:
	free(rows);
	free(w.per_file);
	free(w.cat);
	free(w.end);
	qstore_catalog_free(cat);
	pthread_mutex_destroy(&w.lock);
	qstore_files_free(&files);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ------------------------------------------------------------ sql */

static int
sql_authorize(void *arg, int action, const char *a, const char *b,
    const char *c, const char *d)
{
	(void)arg; (void)a; (void)b; (void)c; (void)d;
	switch (action) {
	case SQLITE_ATTACH:
	case SQLITE_DETACH:
	case SQLITE_PRAGMA:
		return SQLITE_DENY;
	default:
		return SQLITE_OK;
	}
}

static void
sql_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fatal(1, "sql: %s", err);
}

/* Attach a day file read-only as f<n> (immutable if it must be). */
static void
sql_attach(sqlite3 *db, const char *path, size_t n)
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
		fatal(1, "%s: %s", path, sqlite3_errmsg(db));
}

static const char sql_columns[] = "ts, sip, dip, dport, proto, vlan, "
    "bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent";

/* Build temp.flows over files: a view, or a table past ATTACH's limit. */
static void
sql_prepare_flows(sqlite3 *db, const struct qfiles *files, int64_t lo,
    int64_t hi)
{
	sqlite3_stmt	*st;
	char		*view = NULL, *part, *sql;
	size_t		 i, j, batch;
	int		 maxatt = sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, -1);

	sql_exec(db, "CREATE TABLE ifaces (idx INTEGER PRIMARY KEY, name "
	    "TEXT NOT NULL)");
	if (sqlite3_prepare_v2(db, "INSERT INTO ifaces VALUES (?, ?)", -1,
	    &st, NULL) != SQLITE_OK)
		fatal(1, "sql: %s", sqlite3_errmsg(db));
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
		    "NULL, NULL WHERE 0", sql_columns);
		sql_exec(db, sql);
		free(sql);
		return;
	}
	if (files->nfiles <= (size_t)maxatt) {
		for (i = 0; i < files->nfiles; i++) {
			sql_attach(db, files->files[i].path, i);
			/* only our own numbers go into the text */
			part = util_printf("%s%sSELECT i.name, f.ts, f.sip, "
			    "f.dip, f.dport, f.proto, f.vlan, f.bytes_rcvd, "
			    "f.bytes_sent, f.pkts_rcvd, f.pkts_sent FROM "
			    "f%zu.flows AS f, main.ifaces AS i WHERE i.idx = "
			    "%zu AND f.ts >= %lld AND f.ts <= %lld",
			    view != NULL ? view : "", view != NULL ?
			    " UNION ALL " : "", i, files->files[i].iface,
			    (long long)lo, (long long)hi);
			free(view);
			view = part;
		}
		sql = util_printf("CREATE TEMP VIEW flows (iface, %s) AS %s",
		    sql_columns, view);
		sql_exec(db, sql);
		free(sql);
		free(view);
		return;
	}
	/* more files than ATTACH allows: copy the rows in range */
	sql = util_printf("CREATE TEMP TABLE flows (iface, %s)", sql_columns);
	sql_exec(db, sql);
	free(sql);
	batch = (size_t)maxatt;
	for (i = 0; i < files->nfiles; i += batch) {
		for (j = i; j < files->nfiles && j < i + batch; j++)
			sql_attach(db, files->files[j].path, j - i);
		for (j = i; j < files->nfiles && j < i + batch; j++) {
			sql = util_printf("INSERT INTO temp.flows SELECT "
			    "i.name, f.* FROM f%zu.flows AS f, main.ifaces AS "
			    "i WHERE i.idx = ? AND f.ts >= ? AND f.ts <= ?",
			    j - i);
			if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) !=
			    SQLITE_OK)
				fatal(1, "sql: %s", sqlite3_errmsg(db));
			free(sql);
			sqlite3_bind_int64(st, 1,
			    (int64_t)files->files[j].iface);
			sqlite3_bind_int64(st, 2, lo);
			sqlite3_bind_int64(st, 3, hi);
			if (sqlite3_step(st) != SQLITE_DONE)
				fatal(1, "%s: %s", files->files[j].path,
				    sqlite3_errmsg(db));
			sqlite3_finalize(st);
		}
		for (j = i; j < files->nfiles && j < i + batch; j++) {
			sql = util_printf("DETACH f%zu", j - i);
			sql_exec(db, sql);
			free(sql);
		}
	}
}

static void
csv_field(const char *s)
{
	const char *p;

	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			putchar('"');
		putchar(*p);
	}
	putchar('"');
}

static int
run_sql(const struct opts *o, const char *text, char **all, size_t nall)
{
	struct qfiles	 files;
	sqlite3		*db;
	sqlite3_stmt	*st;
	struct qout_tw	*tw = NULL;
	json_t		*jo = NULL, *jrows = NULL, *jrow, *jcols;
	const char	*tail, *fmt = o->format != NULL ? o->format : "txt";
	char		*v, *p;
	int64_t		 first, last;
	int		 rc, ncol, i, nrows = 0;

	if (strcmp(fmt, "txt") != 0 && strcmp(fmt, "csv") != 0 &&
	    strcmp(fmt, "json") != 0)
		fatal(1, "-e '%s': use txt, json or csv", fmt);
	select_files(o, all, nall, &first, &last, &files);

	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL) != SQLITE_OK)
		fatal(1, "sql: cannot open a connection");
	qexec_watch(db, 0);
	sql_prepare_flows(db, &files, first, last);
	sqlite3_set_authorizer(db, sql_authorize, NULL);

	rc = sqlite3_prepare_v2(db, text, -1, &st, &tail);
	if (rc != SQLITE_OK)
		fatal(1, "sql: %s", sqlite3_errmsg(db));
	if (st == NULL)
		fatal(1, "sql: empty statement");
	while (isspace((unsigned char)*tail) || *tail == ';')
		tail++;
	if (*tail != '\0')
		fatal(1, "sql: one statement only (left over: '%.40s')", tail);
	if (!sqlite3_stmt_readonly(st))
		fatal(1, "sql: only read-only statements are allowed");

	ncol = sqlite3_column_count(st);
	if (strcmp(fmt, "txt") == 0) {
		tw = qout_tw_new(0, 2, 0);
		for (i = 0; i < ncol; i++)
			qout_tw_printf(tw, "%s\t", sqlite3_column_name(st, i));
		qout_tw_printf(tw, "\n");
	} else if (strcmp(fmt, "csv") == 0) {
		for (i = 0; i < ncol; i++) {
			if (i > 0)
				putchar(',');
			csv_field(sqlite3_column_name(st, i));
		}
		putchar('\n');
	} else {
		jcols = json_array();
		for (i = 0; i < ncol; i++)
			json_array_append_new(jcols, json_string(
			    sqlite3_column_name(st, i)));
		jrows = json_array();
		jo = json_pack("{s:o,s:o}", "columns", jcols, "rows", jrows);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		nrows++;
		jrow = jrows != NULL ? json_array() : NULL;
		for (i = 0; i < ncol; i++) {
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL:
				v = util_strdup(tw != NULL ? "NULL" : "");
				if (jrow != NULL)
					json_array_append_new(jrow,
					    json_null());
				break;
			case SQLITE_INTEGER:
				v = util_printf("%lld", (long long)
				    sqlite3_column_int64(st, i));
				if (jrow != NULL)
					json_array_append_new(jrow,
					    json_integer(sqlite3_column_int64(
					    st, i)));
				break;
			case SQLITE_FLOAT:
				v = util_printf("%.17g",
				    sqlite3_column_double(st, i));
				if (jrow != NULL)
					json_array_append_new(jrow, json_real(
					    sqlite3_column_double(st, i)));
				break;
			case SQLITE_BLOB:
				v = util_printf("x'%s'", "");
				free(v);
				v = malloc((size_t)sqlite3_column_bytes(st, i) *
				    2 + 4);
				if (v == NULL)
					abort();
				p = v + sprintf(v, "x'");
				{
					const uint8_t *bl =
					    sqlite3_column_blob(st, i);
					int n = sqlite3_column_bytes(st, i);
					int k;

					for (k = 0; k < n; k++)
						p += sprintf(p, "%02x", bl[k]);
				}
				sprintf(p, "'");
				if (jrow != NULL)
					json_array_append_new(jrow,
					    json_string(v));
				break;
			default:
				v = util_strdup((const char *)
				    sqlite3_column_text(st, i));
				if (jrow != NULL)
					json_array_append_new(jrow,
					    json_string(v));
				break;
			}
			if (tw != NULL) {
				for (p = v; *p != '\0'; p++) {
					if (*p == '\t' || *p == '\n')
						*p = ' ';
				}
				qout_tw_printf(tw, "%s\t", v);
			} else if (jrow == NULL) {
				if (i > 0)
					putchar(',');
				csv_field(v);
			}
			free(v);
		}
		if (tw != NULL)
			qout_tw_printf(tw, "\n");
		else if (jrow != NULL)
			json_array_append_new(jrows, jrow);
		else
			putchar('\n');
	}
	if (rc != SQLITE_DONE) {
		if (qexec_interrupted())
			fatal(130, "interrupted");
		fatal(1, "sql: %s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	if (tw != NULL) {
		qout_tw_flush(tw, stdout);
		printf("(%d row%s)\n", nrows, nrows == 1 ? "" : "s");
	} else if (jo != NULL) {
		json_dumpf(jo, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(jo);
	}
	sqlite3_close(db);
	qstore_files_free(&files);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ------------------------------------------------------------ main */

enum { OPT_IN = 256, OPT_OUT, OPT_SUM, OPT_RES, OPT_TIMEOUT, OPT_SQL,
	OPT_THREADS };

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ifaces", required_argument, NULL, 'i' },
		{ "condition", required_argument, NULL, 'c' },
		{ "first", required_argument, NULL, 'f' },
		{ "last", required_argument, NULL, 'l' },
		{ "sort-by", required_argument, NULL, 's' },
		{ "ascending", no_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'e' },
		{ "db-path", required_argument, NULL, 'd' },
		{ "resolve", no_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "in", no_argument, NULL, OPT_IN },
		{ "out", no_argument, NULL, OPT_OUT },
		{ "sum", no_argument, NULL, OPT_SUM },
		{ "resolution", required_argument, NULL, OPT_RES },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "sql", no_argument, NULL, OPT_SQL },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ NULL, 0, NULL, 0 }
	};
	struct opts		 o;
	struct conf		*conf;
	struct sigaction	 sa;
	char			**all, *cause = NULL, *end, *dbdir = NULL;
	const char		*mode = NULL, *query = NULL;
	size_t			 nall;
	int			 ch, rc;

	/* no global malloc statistics: threads would contend for them */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	page_cache();
	/*
	 * Each day file's connection frees its page cache when it closes;
	 * keep that memory for the next file instead of handing it back to
	 * the kernel and faulting it in again (brk is slow on VMs).
	 */
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
	memset(&o, 0, sizeof o);
	while ((ch = getopt_long(argc, argv, "i:c:f:l:s:an:e:d:rvh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'i': o.ifaces = optarg; break;
		case 'c': o.condition = optarg; break;
		case 'f': o.first = optarg; break;
		case 'l': o.last = optarg; break;
		case 's': o.sort = optarg; break;
		case 'a': o.ascending = 1; break;
		case 'n':
			errno = 0;
			o.limit = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    o.limit < 0)
				fatal(1, "-n '%s': use a number (0: all)",
				    optarg);
			o.limit_set = 1;
			break;
		case 'e': o.format = optarg; break;
		case 'd': o.dbdir = optarg; break;
		case 'r': o.rdns = 1; break;
		case 'v': o.verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case OPT_IN: o.in = 1; break;
		case OPT_OUT: o.out = 1; break;
		case OPT_SUM: o.sum = 1; break;
		case OPT_RES: o.resolution = optarg; break;
		case OPT_TIMEOUT: o.timeout = optarg; break;
		case OPT_SQL: o.sql = 1; break;
		case OPT_THREADS: o.threads = atoi(optarg); break;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc && (strcmp(argv[optind], "list") == 0 ||
	    strcmp(argv[optind], "sql") == 0))
		mode = argv[optind++];
	if (optind < argc)
		query = argv[optind++];
	if (optind < argc)
		fatal(1, "unexpected argument '%s' (quote the query or SQL)",
		    argv[optind]);
	if (mode != NULL && strcmp(mode, "sql") == 0 && query == NULL)
		fatal(1, "sql: give a SELECT statement");
	if (mode != NULL && strcmp(mode, "list") == 0 && query != NULL)
		fatal(1, "list: unexpected argument '%s'", query);
	if (o.verbose && (mode == NULL || strcmp(mode, "list") != 0))
		fatal(1, "-v is an option of flowq list");

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (o.dbdir == NULL) {
		if (conf_load_client(NULL, &conf, &cause) != 0)
			fatal(1, "%s (or give the store with -d)", cause);
		o.dbdir = dbdir = util_strdup(conf->db_path);
		conf_free(conf);
	}
	if (qstore_ifaces(o.dbdir, &all, &nall, &cause) != 0)
		fatal(1, "%s", cause);

	if (mode == NULL)
		rc = run_query(&o, parse_query(query != NULL ? query :
		    "talk_src"), all, nall);
	else if (strcmp(mode, "list") == 0)
		rc = run_list(&o, all, nall);
	else
		rc = run_sql(&o, query, all, nall);
	qstore_strv_free(all, nall);
	free(dbdir);
	return rc;
}
