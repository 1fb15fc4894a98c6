/*
 * flowq.c - goquery-compatible queries over flowrec's store.
 *
 *   flowq [flags] [QUERY]		top talkers, applications, raw rows
 *   flowq list [-v] [IFACES...]		interfaces and their counters
 *   flowq sql [-i ...] "SELECT ..."	read-only SQL over every day file
 *   flowq examples | help | version
 *
 * This file is the command line only: it parses goquery's flags (and
 * flowq's older names), and runs a subcommand of cmd_table[]: a query
 * (the flags become goProbe's query.Args, run by qapi.c), `list`
 * (qlist.c) or `sql` (qsql.c); results are printed by qout.c, or as
 * qapi's JSON document.  Exit status: 0 (also for no results, and when
 * some unreadable day files were skipped), 1 for any error, 130 when
 * interrupted.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
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
#include "hosts.h"
#include "qapi.h"
#include "qfleet.h"
#include "qexec.h"
#include "qlist.h"
#include "qout.h"
#include "qpcap.h"
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
	const char	*stored;	/* --stored-query */
	double		 timeout;	/* seconds; 0: none */
	const char	*hosts;		/* -q: a fleet query of these hosts */
	const char	*hosts_file;	/* --hosts-file */
	double		 host_timeout;	/* --host-timeout; 0: the default */
	int		 ascending, in, out, sum, rdns, sql, verbose, threads;
	int		 stats, low_mem;
	long long	 limit, dns_rows, max_mem;
	int		 limit_set, dns_rows_set, max_mem_set;
	int64_t		 dns_timeout;	/* ns; -1: the default */
	int64_t		 keepalive;	/* ns */
	int		 pcap;		/* --pcap: the archive files */
	const char	*config;	/* --config: flowrecd.yaml */
	struct conf	*conf;		/* loaded for --pcap */
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

static volatile int fleet_cancel;

static void
on_sigint(int sig)
{
	(void)sig;
	qexec_interrupt();
	fleet_cancel = 1;
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

	if (query != NULL)
		a->query = util_strdup(query);
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
	if (o->dns_rows_set)
		a->dns_resolution.max_rows = o->dns_rows;
	if (o->dns_timeout >= 0)
		a->dns_resolution.timeout_ns = o->dns_timeout;
	if (o->max_mem_set)
		a->max_mem_pct = o->max_mem;
	a->low_mem = o->low_mem;
	a->keepalive_ns = o->keepalive;
	a->threads = o->threads;
	a->no_rollups = env_flag("FLOWQ_NO_ROLLUPS");
	a->print_sql = o->sql;
	a->caller = util_strdup("flowq");
	return a;
}

/* goquery's --stored-query: the JSON Args over the flags. */
static void
stored_query(const char *path, struct qargs *a)
{
	FILE	*f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char	*buf = NULL, *cause = NULL;
	size_t	 len = 0, n;

	if (f == NULL)
		fatal(1, "failed to open query args from %s: %s", path,
		    strerror(errno));
	for (;;) {
		buf = util_realloc(buf, len + 65536, 1);
		n = fread(buf + len, 1, 65536, f);
		len += n;
		if (n == 0)
			break;
		if (len > (16 << 20))
			fatal(1, "%s: query args larger than 16 MB", path);
	}
	if (ferror(f))
		fatal(1, "%s: %s", path, strerror(errno));
	if (f != stdin)
		fclose(f);
	if (qapi_args_parse_into(a, buf, len, &cause) != 0)
		fatal(1, "failed to unmarshal JSON query args: %s", cause);
	free(buf);
}

/* Hosts done so far, on a terminal only (stderr). */
static void
fleet_progress(void *arg, size_t done, size_t total)
{
	(void)arg;
	fprintf(stderr, "\rflowq: %zu/%zu hosts done", done, total);
	fflush(stderr);
}

/*
 * -q: the query on every host selected, merged (qfleet_query()), printed
 * by qout_print_doc() (json: the merged document as it is).  Exit status
 * 0 when at least one host answered.
 */
static int
run_fleet(const struct opts *o, struct qargs *a)
{
	struct qfleet_opts	 fo;
	struct qquery		 q;
	struct cond		*cond = NULL;
	struct hosts		*h;
	enum qout_format	 fmt;
	json_t			*args, *doc;
	char			*cause = NULL, *text, *rid;
	int			 rc, progress;

	if (qout_format_parse(a->format, &fmt) != 0)
		fatal(1, "-e '%s': use txt, json or csv", a->format);
	if (a->dns_resolution.enabled)
		fatal(1, "-r is not for fleet queries (-q)");
	if (qapi_prepare(a, &q, &cond, &cause) != 0)
		fatal(1, "%s", cause);
	if (hosts_load(o->hosts_file, &h, &cause) != 0)
		fatal(1, "%s", cause);
	if (qfleet_init(&cause) != 0)
		fatal(1, "%s", cause);
	args = qapi_args_json(a);

	memset(&fo, 0, sizeof fo);
	fo.host_timeout_ms = o->host_timeout > 0 ? (int)(o->host_timeout *
	    1000) : QFLEET_HOST_TIMEOUT_MS;
	fo.timeout_ms = (int)(o->timeout * 1000);
	fo.cancel = &fleet_cancel;
	fo.runtime_id = rid = qfleet_runtime_id();
	progress = isatty(STDERR_FILENO);
	if (progress)
		fo.on_progress = fleet_progress;
	rc = qfleet_query(h, o->hosts, getenv("FLOWQ_TOKEN"), args, &fo, &doc,
	    &cause);
	if (progress)
		fputs("\r\033[K", stderr);
	json_decref(args);
	hosts_free(h);
	free(rid);
	if (rc != 0)
		fatal(rc == -ECANCELED ? 130 : 1, "%s", cause);

	if (fmt == QOUT_JSON) {
		text = qapi_dumps(doc);
		fputs(text, stdout);
		free(text);
	} else
		qout_print_doc(stdout, fmt, &q, cond != NULL ?
		    cond->canonical : NULL, doc);
	rc = qfleet_answered(doc) > 0 ? 0 : 1;
	if (rc != 0) {
		fflush(stdout);
		fprintf(stderr, "flowq: no host answered (%zu asked)\n",
		    json_object_size(json_object_get(doc, "hosts_statuses")));
	}
	json_decref(doc);
	cond_free(cond);
	qapi_args_free(a);
	return fflush(stdout) == 0 ? rc : 1;
}

/*
 * --pcap: the archive files holding the query's rows (qpcap.c), a path
 * a line.  The rows are taken by bin and interface, every one of them.
 */
static int
run_pcap(const struct opts *o, struct qargs *a)
{
	struct qapi_query	*x;
	struct qquery		 qq;
	struct cond		*cond = NULL;
	char			*cause = NULL, *q, **paths, *missing;
	size_t			 i, n;
	int			 dir;

	/*
	 * A bin holds the query's rows when any flow of it matches: time and
	 * interface are enough (a row per bin, not per key and bin), unless
	 * the condition's direction filter judges the rows as grouped.
	 */
	if (qapi_prepare(a, &qq, &cond, &cause) != 0)
		fatal(1, "%s", cause);
	dir = cond != NULL && cond->dir != COND_DIR_NONE;
	cond_free(cond);
	if (dir)
		q = util_printf("%s,time,iface", a->query != NULL ? a->query :
		    "talk_src");
	else
		q = util_strdup("time,iface");
	free(a->query);
	a->query = q;
	a->num_results = UINT64_MAX;
	if (qapi_exec(a, o->dbdir, NULL, o->timeout, &x, &cause) != 0) {
		if (qexec_interrupted())
			fatal(130, "interrupted");
		fatal(1, "%s", cause);
	}
	n = qpcap_files(o->conf, x, (int64_t)o->conf->interval, &paths,
	    &missing);
	if (missing != NULL)
		fprintf(stderr, "flowq: no packet archive configured for %s "
		    "(%s)\n", missing, o->config ? o->config :
		    CONF_DEFAULT_PATH);
	for (i = 0; i < n; i++)
		printf("%s\n", paths[i]);
	qstore_strv_free(paths, n);
	free(missing);
	qapi_query_free(x);
	qapi_args_free(a);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
run_query(const struct opts *o, int argc, char **argv)
{
	struct qargs		*a;
	struct qapi_query	*x;
	struct qout_info	 info;
	enum qout_format	 fmt;
	json_t			*doc;
	char			*cause = NULL, *text;
	double			 t = o->timeout;
	uint64_t		 rstart;
	size_t			 i, rows;
	int			 timeout_ms;

	if (argc > 1)
		fatal(1, "unexpected argument '%s' (quote the query)",
		    argv[1]);
	/* without a query type, flowq asks for the top talkers */
	a = make_args(o, argc > 0 ? argv[0] : o->stored != NULL ? NULL :
	    "talk_src");
	if (o->stored != NULL)
		stored_query(o->stored, a);
	if (o->hosts != NULL)
		return run_fleet(o, a);
	if (a->live)
		fatal(1, "cannot run live query in local DB mode");
	if (qout_format_parse(a->format, &fmt) != 0)
		fatal(1, "-e '%s': use txt, json or csv", a->format);
	if (o->pcap)
		return run_pcap(o, a);
	if (qapi_exec(a, o->dbdir, NULL, t, &x, &cause) != 0) {
		if (qexec_interrupted())
			fatal(130, "interrupted");
		fatal(1, "%s", cause);
	}
	for (i = 0; i < x->res.nskipped; i++)
		fprintf(stderr, "flowq: skipped an unreadable day file: %s\n",
		    x->res.skipped[i].reason);

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
		info.attr_order = x->attributes;
		info.nskipped = x->res.nskipped;
		info.stats = o->stats;
		info.bytes_loaded = x->bytes_loaded;
		rows = a->dns_resolution.max_rows > 0 ?
		    (size_t)a->dns_resolution.max_rows : 0;
		if (rows > x->res.nrows)
			rows = x->res.nrows;
		if (a->dns_resolution.enabled && fmt == QOUT_TXT &&
		    (x->q.attrs & (QA_SIP | QA_DIP)) && rows > 0) {
			timeout_ms = (int)(a->dns_resolution.timeout_ns /
			    1000000);
			rstart = util_now_ns();
			info.names = qrdns_resolve(&x->q, &x->res, rows,
			    timeout_ms > 0 ? timeout_ms : 1);
			info.rdns_ns = util_now_ns() - rstart;
		}
		qout_print(stdout, fmt, &info, &x->res);
		qrdns_free(info.names, rows);
	}
	qapi_query_free(x);
	qapi_args_free(a);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ------------------------------------------------------------ list */

/*
 * The day files of list and sql: the interfaces of -i (or spec) and,
 * with -f/-l, the time range (else all of it).
 */
static void
select_files(const struct opts *o, const char *spec, int64_t *first,
    int64_t *last, struct qfiles *files)
{
	char	**all, **sel, *cause = NULL;
	size_t	 nall, nsel;

	*first = 0;
	*last = INT64_MAX / 2;
	if (o->first != NULL || o->last != NULL) {
		if (qtime_range(o->first, o->last, 0, (int64_t)time(NULL),
		    first, last, &cause) != 0)
			fatal(1, "%s", cause);
		if (o->first == NULL)
			*first = 0;
	}
	if (qstore_ifaces(o->dbdir, &all, &nall, &cause) != 0)
		fatal(1, "%s", cause);
	if (qstore_select(all, nall, spec, &sel, &nsel, &cause) != 0)
		fatal(1, "%s", cause);
	qstore_strv_free(all, nall);
	qstore_files(o->dbdir, sel, nsel, *first, *last, files);
}

static int
run_list(const struct opts *o, int argc, char **argv)
{
	struct qfiles		 files;
	struct qlist		 l;
	enum qout_format	 fmt;
	char			*cause = NULL, *spec = NULL, *t;
	int64_t			 first, last;
	size_t			 i;
	int			 n;

	if (qout_format_parse(o->format, &fmt) != 0)
		fatal(1, "-e '%s': use txt, json or csv", o->format);
	/* goquery's `list [IFACES]`: names given as arguments */
	for (n = 0; n < argc; n++) {
		t = util_printf("%s%s%s", spec != NULL ? spec : "",
		    spec != NULL ? "," : "", argv[n]);
		free(spec);
		spec = t;
	}
	if (spec != NULL && o->ifaces != NULL)
		fatal(1, "list: give the interfaces as arguments or with -i, "
		    "not both");
	select_files(o, spec != NULL ? spec : o->ifaces != NULL ? o->ifaces :
	    "any", &first, &last, &files);
	free(spec);
	if (qlist_run(&files, first, last, o->dbdir,
	    !env_flag("FLOWQ_NO_CATALOG"), &l, &cause) != 0)
		fatal(qexec_interrupted() ? 130 : 1, "%s", cause);
	for (i = 0; i < l.nskipped; i++)
		fprintf(stderr, "flowq: skipped an unreadable day file: %s\n",
		    l.skipped[i].reason);
	qout_list_print(stdout, fmt, o->verbose, &l);
	qlist_free(&l);
	qstore_files_free(&files);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ------------------------------------------------------------ sql */

static int
run_sql(const struct opts *o, int argc, char **argv)
{
	struct qfiles		 files;
	struct qout_sql		*out;
	struct qwatch		 w;
	enum qout_format	 fmt;
	char			*cause = NULL;
	int64_t			 first, last;
	int			 rc;

	if (argc == 0)
		fatal(1, "sql: give a SELECT statement");
	if (argc > 1)
		fatal(1, "unexpected argument '%s' (quote the SQL)", argv[1]);
	if (qout_format_parse(o->format, &fmt) != 0)
		fatal(1, "-e '%s': use txt, json or csv", o->format);
	select_files(o, o->ifaces != NULL ? o->ifaces : "any", &first, &last,
	    &files);
	qwatch_init(&w, NULL, o->timeout);
	out = qout_sql_new(stdout, fmt);
	rc = qsql_run(&files, first, last, argv[0], &w, out, &cause);
	qout_sql_free(out);
	if (rc != 0)
		fatal(rc == QSQL_INTERRUPTED ? 130 : 1, "%s", cause);
	qstore_files_free(&files);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ------------------------------------------------------------ help */

static const char examples[] =
"\n"
"EXAMPLES\n"
"\n"
"  * Show the top 5 (-n) IP pairs (talk_conv) over the default data presentation period\n"
"    (30 days) on a specific interface (-i):\n"
"\n"
"      flowq -i eth0 -n 5 talk_conv\n"
"\n"
"    equivalently you could also write\n"
"\n"
"      flowq -i eth0 -n 5 sip,dip\n"
"\n"
"  * Show the top 10 (-n) dport-protocol pairs over collected data from two days ago (-f, -l)\n"
"    ordered by the number of packets (-s packets) in ascending order (-a):\n"
"\n"
"      flowq -i eth0 -n 10 -s packets -a -f \"-2d\" -l \"-1d\" apps_port\n"
"\n"
"  * Get the total traffic volume over eth0 and eth1 in the last 24 hours (-f)\n"
"    between source network 192.0.2.0/24 (-c snet) and destination network\n"
"    198.51.100.0/25 (-c dnet):\n"
"\n"
"      flowq -i eth0,eth1 -f \"-1d\" -c \"snet=192.0.2.0/24 AND dnet=198.51.100.0/25\" \\\n"
"        talk_conv\n"
"\n"
"  * Get the top 10 (-n) source-ip/destination-ip pairs from all time (-f \"-9999d\") whose\n"
"    source or destination was in 172.27.0.0/16:\n"
"\n"
"      flowq -i eth0 -f \"-9999d\" -c \"snet = 172.27.0.0/16 | dnet = 172.27.0.0/16\" -n 10 \\\n"
"        \"sip,dip\"\n"
"\n"
"  * Traffic per hour of one host, in time order, as CSV:\n"
"\n"
"      flowq -i eth0 -f -1d -c \"host = 192.0.2.7\" --query.time-resolution 1h -e csv time\n"
"\n"
"  * Anything SQL can say, over every day file:\n"
"\n"
"      flowq sql -f -7d \"SELECT iface, proto, sum(bytes_rcvd) FROM flows GROUP BY 1, 2\"\n";

static const char long_help[] =
"flowq queries the flows recorded by flowrecd, as goProbe's goquery does.\n"
"\n"
"usage: flowq [flags] QUERY\n"
"       flowq [flags] --stored-query FILE|-\n"
"       flowq --pcap [--config FILE] [query flags] QUERY\n"
"       flowq list [-v] [IFACES...]\n"
"       flowq sql [-i IFACES] [-f FIRST] [-l LAST] [-e FMT] SELECT...\n"
"       flowq examples | help | version\n"
"\n"
"QUERY is a comma list of attributes to group by: sip (src), dip (dst),\n"
"dport (port), proto (protocol, ipproto), vlan, time, iface, or the\n"
"shortcuts talk_src (sip), talk_dst (dip), talk_conv (sip,dip),\n"
"apps_port (dport,proto), agg_talk_port (sip,dip,dport,proto) and raw\n"
"(time,iface,sip,dip,dport,proto).  A query with time is in time order.\n"
"\n"
"Flags (goquery's names; flowq's older names in brackets):\n"
"  -i, --ifaces IFACES            interfaces: eth0,eth1; any; !eth0; /regex/\n"
"                                 (default: any)\n"
"  -c, --condition COND           filter, e.g. \"dport = 443 & snet = 10.0.0.0/8\"\n"
"  -f, --first TIME               start of the range (default: 30 days ago,\n"
"                                 1 day for time and raw queries)\n"
"  -l, --last TIME                end of the range (default: now)\n"
"                                 TIME: Unix time, RFC 3339, \"2006-01-02 15:04\",\n"
"                                 -24h, -7d, -1d12h30m, ...\n"
"  -s, --sort.by bytes|packets|time  sort order (default bytes) [--sort-by]\n"
"  -a, --sort.ascending           ascending order [--ascending]\n"
"  -n, --results.limit N          rows to print (default 1000; 0: all) [--limit]\n"
"  -e, --results.format txt|json|csv  output format [--format]\n"
"  -d, --db.path DIR              the store (default: db_path of\n"
"                                 /etc/flowrec/flowrecd.yaml) [--db-path]\n"
"      --in, --out, --sum         received only, sent only, both summed\n"
"  -r, --dns-resolution.enabled   reverse DNS of the first rows' addresses\n"
"                                 [--resolve]\n"
"      --dns-resolution.max-rows N   rows to resolve (default 25)\n"
"      --dns-resolution.timeout D    DNS timeout (default 1s)\n"
"      --query.time-resolution D  time buckets: 5m, 1h, 1d, auto\n"
"                                 [--resolution]\n"
"      --query.timeout D          abort the query after D [--timeout]\n"
"      --query.stats              print the store's statistics in the footer\n"
"      --stored-query FILE|-      run goProbe's JSON query arguments\n"
"  -q, --query.hosts-resolution HOSTS   a fleet query: the hosts of the\n"
"                                 hosts file (or addresses) a,b,c; any; @FILE\n"
"                                 [--query-hosts]; see hosts.yaml(5)\n"
"      --hosts-file FILE          default /etc/flowrec/hosts.yaml\n"
"      --host-timeout D           each host's time to answer (default 10s)\n"
"      --pcap                     print the packet archive files holding the\n"
"                                 rows, a path a line (for tcpdump -r)\n"
"      --config FILE              flowrecd.yaml: the archives and the store\n"
"  -k, --query.keepalive D        accepted (queries print nothing meanwhile)\n"
"      --memory.max-pct N, --memory.low-mode   accepted, checked\n"
"      --sql                      print the SQL statements on stderr\n"
"      --threads N                reader threads (default: one per core, <= 8)\n"
"  -v, --version                  print the version (with list: more columns)\n"
"  -h, --help                     this help\n"
"\n"
"See flowq(1) for conditions, output formats and the differences from goquery.\n";

static void
usage(FILE *f)
{
	fprintf(f,
"usage: flowq [-ar] [-i IFACES] [-c COND] [-f FIRST] [-l LAST] [-n N]\n"
"             [-s bytes|packets|time] [-e txt|json|csv] [-d DIR] [--in]\n"
"             [--out] [--sum] [--query.time-resolution D] [--query.timeout D]\n"
"             [--stored-query FILE|-] [--sql] QUERY\n"
"       flowq -q HOSTS|any|@FILE [--hosts-file FILE] [--host-timeout D]\n"
"             [query flags] QUERY\n"
"       flowq list [-v] [IFACES...]\n"
"       flowq sql [-i IFACES] [-f FIRST] [-l LAST] [-e FMT] SELECT...\n"
"       flowq examples | help | version\n");
}

static int
run_examples(const struct opts *o, int argc, char **argv)
{
	(void)o;
	(void)argc;
	(void)argv;
	puts(examples);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
run_help(const struct opts *o, int argc, char **argv)
{
	(void)o;
	(void)argc;
	(void)argv;
	fputs(long_help, stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
run_version(const struct opts *o, int argc, char **argv)
{
	(void)o;
	(void)argc;
	(void)argv;
	printf("flowq %s (flowrec)\n", PACKAGE_VERSION);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ------------------------------------------------------------ main */

/*
 * The subcommands (tmux's cmd_entry): a first argument naming one runs
 * it, anything else is a query.  run() gets the arguments that follow;
 * store: it reads the store (the configuration names it).
 */
static const struct cmd_entry {
	const char	*name;
	int		 store;
	int		(*run)(const struct opts *, int argc, char **argv);
} cmd_table[] = {
	{ "list", 1, run_list },
	{ "sql", 1, run_sql },
	{ "examples", 0, run_examples },
	{ "help", 0, run_help },
	{ "version", 0, run_version },
};

static const struct cmd_entry cmd_query = { NULL, 1, run_query };

/* A goquery duration ("30s", "1m", "1h30m"; flowq also takes "30") in s. */
static double
duration_arg(const char *flag, const char *s)
{
	double v = parse_seconds(s);

	if (v < 0) {
		int64_t ns = qapi_duration_ns(s);

		if (ns < 0)
			fatal(1, "%s '%s': use a duration such as 30s, 1m or "
			    "1h30m", flag, s);
		v = (double)ns / 1e9;
	}
	return v;
}

static long long
number_arg(const char *flag, const char *s, long long min, long long max)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < min || v > max)
		fatal(1, "%s '%s': use a number from %lld to %lld", flag, s,
		    min, max);
	return v;
}

enum { OPT_IN = 256, OPT_OUT, OPT_SUM, OPT_RES, OPT_TIMEOUT, OPT_SQL,
	OPT_THREADS, OPT_DNS_ROWS, OPT_DNS_TIMEOUT, OPT_STATS, OPT_STORED,
	OPT_MEM_PCT, OPT_LOW_MEM, OPT_IGNORED, OPT_HOSTS_FILE,
	OPT_HOST_TIMEOUT, OPT_PCAP, OPT_CONFIG };

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		/* goquery's names */
		{ "ifaces", required_argument, NULL, 'i' },
		{ "condition", required_argument, NULL, 'c' },
		{ "first", required_argument, NULL, 'f' },
		{ "last", required_argument, NULL, 'l' },
		{ "sort.by", required_argument, NULL, 's' },
		{ "sort.ascending", no_argument, NULL, 'a' },
		{ "results.limit", required_argument, NULL, 'n' },
		{ "results.format", required_argument, NULL, 'e' },
		{ "db.path", required_argument, NULL, 'd' },
		{ "dns-resolution.enabled", no_argument, NULL, 'r' },
		{ "dns-resolution.max-rows", required_argument, NULL,
		  OPT_DNS_ROWS },
		{ "dns-resolution.timeout", required_argument, NULL,
		  OPT_DNS_TIMEOUT },
		{ "query.time-resolution", required_argument, NULL, OPT_RES },
		{ "query.timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "query.stats", no_argument, NULL, OPT_STATS },
		{ "query.keepalive", required_argument, NULL, 'k' },
		{ "stored-query", required_argument, NULL, OPT_STORED },
		{ "query.hosts-resolution", required_argument, NULL, 'q' },
		{ "memory.max-pct", required_argument, NULL, OPT_MEM_PCT },
		{ "memory.low-mode", no_argument, NULL, OPT_LOW_MEM },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "in", no_argument, NULL, OPT_IN },
		{ "out", no_argument, NULL, OPT_OUT },
		{ "sum", no_argument, NULL, OPT_SUM },
		/* flowq's own names, kept */
		{ "sort-by", required_argument, NULL, 's' },
		{ "ascending", no_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'e' },
		{ "db-path", required_argument, NULL, 'd' },
		{ "resolve", no_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "detailed", no_argument, NULL, 'v' },
		{ "resolution", required_argument, NULL, OPT_RES },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "sql", no_argument, NULL, OPT_SQL },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "query-hosts", required_argument, NULL, 'q' },
		{ "hosts-file", required_argument, NULL, OPT_HOSTS_FILE },
		{ "pcap", no_argument, NULL, OPT_PCAP },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "host-timeout", required_argument, NULL, OPT_HOST_TIMEOUT },
		{ NULL, 0, NULL, 0 }
	};
	const struct cmd_entry	*cmd = &cmd_query;
	struct opts		 o;
	struct conf		*conf;
	struct sigaction	 sa;
	char			*cause = NULL, *dbdir = NULL;
	size_t			 i;
	int			 ch, rc, version = 0;

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
	o.dns_timeout = -1;
	while ((ch = getopt_long(argc, argv, "i:c:f:l:s:an:e:d:rvhk:q:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'i': o.ifaces = optarg; break;
		case 'c': o.condition = optarg; break;
		case 'f': o.first = optarg; break;
		case 'l': o.last = optarg; break;
		case 's': o.sort = optarg; break;
		case 'a': o.ascending = 1; break;
		case 'n':
			o.limit = number_arg("-n", optarg, 0, LLONG_MAX);
			o.limit_set = 1;
			break;
		case 'e': o.format = optarg; break;
		case 'd': o.dbdir = optarg; break;
		case 'r': o.rdns = 1; break;
		case 'v': version = 1; break;
		case 'h': run_help(&o, 0, NULL); return 0;
		case 'k':
			o.keepalive = (int64_t)(duration_arg(
			    "--query.keepalive", optarg) * 1e9);
			break;
		case OPT_IN: o.in = 1; break;
		case OPT_OUT: o.out = 1; break;
		case OPT_SUM: o.sum = 1; break;
		case OPT_RES: o.resolution = optarg; break;
		case OPT_TIMEOUT:
			if ((o.timeout = duration_arg("--query.timeout",
			    optarg)) <= 0)
				fatal(1, "--query.timeout '%s': use a "
				    "duration such as 30s or 1m", optarg);
			break;
		case OPT_SQL: o.sql = 1; break;
		case OPT_THREADS:
			o.threads = (int)number_arg("--threads", optarg, 0,
			    256);
			break;
		case OPT_DNS_ROWS:
			o.dns_rows = number_arg("--dns-resolution.max-rows",
			    optarg, 1, 1000000);
			o.dns_rows_set = 1;
			break;
		case OPT_DNS_TIMEOUT:
			o.dns_timeout = (int64_t)(duration_arg(
			    "--dns-resolution.timeout", optarg) * 1e9);
			break;
		case OPT_STATS: o.stats = 1; break;
		case OPT_STORED: o.stored = optarg; break;
		case OPT_MEM_PCT:
			o.max_mem = number_arg("--memory.max-pct", optarg, 1,
			    100);
			o.max_mem_set = 1;
			break;
		case OPT_LOW_MEM: o.low_mem = 1; break;
		case 'q': o.hosts = optarg; break;
		case OPT_HOSTS_FILE: o.hosts_file = optarg; break;
		case OPT_PCAP: o.pcap = 1; break;
		case OPT_CONFIG: o.config = optarg; break;
		case OPT_HOST_TIMEOUT:
			if ((o.host_timeout = duration_arg("--host-timeout",
			    optarg)) <= 0 || o.host_timeout > 86400)
				fatal(1, "--host-timeout '%s': use a duration "
				    "such as 10s or 1m", optarg);
			break;
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
	/* -v: goquery's --version; after list, its --detailed */
	if (version) {
		if (cmd->run == run_list)
			o.verbose = 1;
		else
			return run_version(&o, 0, NULL);
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (o.hosts == NULL && (o.hosts_file != NULL || o.host_timeout > 0))
		fatal(1, "--hosts-file and --host-timeout go with -q");
	if (o.hosts != NULL) {
		/* a fleet query asks the hosts' stores, not ours */
		if (cmd->run != run_query)
			fatal(1, "-q is for queries, not for %s", argv[optind - 1]);
		if (o.dbdir != NULL)
			fatal(1, "-q asks the hosts' stores: -d is not for "
			    "fleet queries");
	}
	if (o.pcap && (cmd->run != run_query || o.hosts != NULL))
		fatal(1, "--pcap lists this host's archive files for a query");
	if (cmd->store && (o.dbdir == NULL || o.pcap) && o.hosts == NULL) {
		if (conf_load_client(o.config, &conf, &cause) != 0)
			fatal(1, "%s (or give the store with -d)", cause);
		if (o.dbdir == NULL)
			o.dbdir = dbdir = util_strdup(conf->db_path);
		if (o.pcap)
			o.conf = conf;
		else
			conf_free(conf);
	}
	rc = cmd->run(&o, argc - optind, argv + optind);
	conf_free(o.conf);
	free(dbdir);
	return rc;
}
