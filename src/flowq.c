/*
 * flowq.c - goquery-compatible queries over flowrec's store.
 *
 *   flowq [flags] [QUERY]		top talkers, applications, raw rows
 *   flowq list [-v] [-i ...]		interfaces and their counters
 *   flowq sql [-i ...] "SELECT ..."	read-only SQL over every day file
 *
 * This file is the command line only: it parses the flags, finds the day
 * files (qstore.c) and runs a subcommand of cmd_table[]: a query (the
 * condition: cond.c, the times: qtime.c, the run: qexec.c), `list`
 * (qlist.c) or `sql` (qsql.c); every result is printed by qout.c.  Exit
 * status: 0 (also for no results), 1 for any error, 130 when interrupted.
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
#include "qapi.h"
#include "qexec.h"
#include "qlist.h"
#include "qout.h"
#include "qrdns.h"
#include "qsql.h"
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

/* ------------------------------------------------------------ query */

/* The flags as goProbe's query.Args, as goquery builds them. */
static struct qargs *
make_args(const struct opts *o, const char *query)
{
	struct qargs *a = qapi_args_new();

	a->query = util_strdup(query != NULL ? query : "talk_src");
	a->ifaces = util_strdup(o->ifaces != NULL ? o->ifaces : "any");
	if (o->condition != NULL)
		a->condition = util_strdup(o->condition);
	if (o->first != NULL)
		a->first = util_strdup(o->first);
	if (o->last != NULL)
		a->last = util_strdup(o->last);
	if (o->sort != NULL)
		a->sort_by = util_strdup(o->sort);
	if (o->format != NULL)
		a->format = util_strdup(o->format);
	if (o->resolution != NULL)
		a->time_resolution = util_strdup(o->resolution);
	a->sort_ascending = o->ascending;
	/* flowq's -n 0: every row */
	if (o->limit_set)
		a->num_results = o->limit > 0 ? (uint64_t)o->limit :
		    UINT64_MAX;
	a->in = o->in;
	a->out = o->out;
	a->sum = o->sum;
	a->dns_resolution.enabled = o->rdns;
	a->threads = o->threads;
	a->no_rollups = env_flag("FLOWQ_NO_ROLLUPS");
	a->print_sql = o->sql;
	a->caller = util_strdup("flowq");
	return a;
}

static int
run_query(const struct opts *o, const char *arg, char **all, size_t nall)
{
	struct qargs		*a;
	struct qapi_query	*x;
	struct qout_info	 info;
	enum qout_format	 fmt;
	json_t			*doc;
	char			*cause = NULL, *text;
	double			 t = 0;
	uint64_t		 rstart;

	(void)all;
	(void)nall;
	if (o->verbose)
		fatal(1, "-v is an option of flowq list");
	if (o->timeout != NULL && (t = parse_seconds(o->timeout)) <= 0)
		fatal(1, "--timeout '%s': use seconds such as 30 or 1m",
		    o->timeout);
	if (qout_format_parse(o->format, &fmt) != 0)
		fatal(1, "-e '%s': use txt, json or csv", o->format);
	a = make_args(o, arg);
	if (qapi_exec(a, o->dbdir, NULL, t, &x, &cause) != 0) {
		if (qexec_interrupted())
			fatal(130, "interrupted");
		fatal(1, "%s", cause);
	}

	if (fmt == QOUT_JSON) {
		doc = qapi_result(x, NULL);
		text = qapi_dumps(doc);
		fputs(text, stdout);
		free(text);
		json_decref(doc);
	} else {
		memset(&info, 0, sizeof info);
		info.q = &x->q;
		info.files = &x->files;
		info.condition = x->cond != NULL ? x->cond->canonical : NULL;
		if (a->dns_resolution.enabled && fmt == QOUT_TXT &&
		    (x->q.attrs & (QA_SIP | QA_DIP))) {
			rstart = util_now_ns();
			info.names = qrdns_resolve(&x->q, &x->res, RDNS_ROWS,
			    RDNS_TIMEOUT_MS);
			info.rdns_ns = util_now_ns() - rstart;
			if (info.rdns_ns == 0)
				info.rdns_ns = 1;
			info.rdns_timeout_ms = RDNS_TIMEOUT_MS;
		}
		qout_print(stdout, fmt, &info, &x->res);
		qrdns_free(info.names, x->res.nrows < RDNS_ROWS ?
		    x->res.nrows : RDNS_ROWS);
	}
	qapi_query_free(x);
	qapi_args_free(a);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ------------------------------------------------------------ list */

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
run_list(const struct opts *o, const char *arg, char **all, size_t nall)
{
	struct qfiles		 files;
	struct qlist		 l;
	enum qout_format	 fmt;
	char			*cause = NULL;
	int64_t			 first, last;

	if (arg != NULL)
		fatal(1, "list: unexpected argument '%s'", arg);
	if (qout_format_parse(o->format, &fmt) != 0)
		fatal(1, "-e '%s': use txt, json or csv", o->format);
	select_files(o, all, nall, &first, &last, &files);
	if (qlist_run(&files, first, last, o->dbdir,
	    !env_flag("FLOWQ_NO_CATALOG"), &l, &cause) != 0)
		fatal(qexec_interrupted() ? 130 : 1, "%s", cause);
	if (l.nskipped > 0)
		fatal(1, "%s", l.skipped[0].reason);
	qout_list_print(stdout, fmt, o->verbose, &l);
	qlist_free(&l);
	qstore_files_free(&files);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ------------------------------------------------------------ sql */

static int
run_sql(const struct opts *o, const char *text, char **all, size_t nall)
{
	struct qfiles		 files;
	struct qout_sql		*out;
	enum qout_format	 fmt;
	char			*cause = NULL;
	int64_t			 first, last;
	int			 rc;

	if (text == NULL)
		fatal(1, "sql: give a SELECT statement");
	if (qout_format_parse(o->format, &fmt) != 0)
		fatal(1, "-e '%s': use txt, json or csv", o->format);
	select_files(o, all, nall, &first, &last, &files);
	out = qout_sql_new(stdout, fmt);
	rc = qsql_run(&files, first, last, text, out, &cause);
	qout_sql_free(out);
	if (rc != 0)
		fatal(rc == QSQL_INTERRUPTED ? 130 : 1, "%s", cause);
	qstore_files_free(&files);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ------------------------------------------------------------ main */

/*
 * The subcommands (tmux's cmd_entry): a first argument naming one runs
 * it, anything else is a query.  run() gets the one argument that may
 * follow (NULL if none).
 */
static const struct cmd_entry {
	const char	*name;
	const char	*usage;
	int		(*run)(const struct opts *, const char *arg, char **all,
			    size_t nall);
} cmd_table[] = {
	{ "list", "[-v] [-i IFACES] [-f FIRST] [-l LAST] [-e FMT] [-d DIR]",
	    run_list },
	{ "sql", "[-i IFACES] [-f FIRST] [-l LAST] [-e FMT] [-d DIR] SELECT...",
	    run_sql },
};

static const struct cmd_entry cmd_query = { NULL, NULL, run_query };

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
"usage: flowq [-i IFACES] [-c COND] [-f FIRST] [-l LAST] [-s bytes|packets|time]\n"
"             [-a] [-n N] [--in] [--out] [--sum] [-e txt|json|csv] [-d DIR]\n"
"             [-r] [--resolution 5m|1h|1d|auto] [--timeout S] [--sql] [QUERY]\n");
	for (i = 0; i < sizeof cmd_table / sizeof cmd_table[0]; i++)
		fprintf(f, "       flowq %s %s\n", cmd_table[i].name,
		    cmd_table[i].usage);
	fprintf(f,
"QUERY is a comma list of sip (src), dip (dst), dport (port), proto, vlan,\n"
"time, iface and the shortcuts talk_src, talk_dst, talk_conv, apps_port,\n"
"agg_talk_port, raw (default talk_src).  See flowq(1).\n");
}

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
	const struct cmd_entry	*cmd = &cmd_query;
	struct opts		 o;
	struct conf		*conf;
	struct sigaction	 sa;
	char			**all, *cause = NULL, *end, *dbdir = NULL;
	const char		*arg = NULL;
	size_t			 nall, i;
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
	for (i = 0; optind < argc && i < sizeof cmd_table /
	    sizeof cmd_table[0]; i++) {
		if (strcmp(argv[optind], cmd_table[i].name) == 0) {
			cmd = &cmd_table[i];
			optind++;
			break;
		}
	}
	if (optind < argc)
		arg = argv[optind++];
	if (optind < argc)
		fatal(1, "unexpected argument '%s' (quote the query or SQL)",
		    argv[optind]);
	if (o.verbose && cmd->run != run_list)
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
	rc = cmd->run(&o, arg, all, nall);
	qstore_strv_free(all, nall);
	free(dbdir);
	return rc;
}
