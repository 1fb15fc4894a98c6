/*
 * qapi.c - goProbe's query arguments and result document (see qapi.h).
 *
 * The arguments are read from JSON through one table (args_fields[]),
 * checked in goProbe's order (Args.Prepare()), turned into a qquery and
 * run by qexec; the answer becomes a results.Result document with the
 * field names, order and omissions of goProbe's encoder.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include "names.h"
#include "qapi.h"
#include "qlist.h"
#include "qout.h"
#include "qtime.h"
#include "util.h"

#define COND_DNS_TIMEOUT_MS	5000

/* ------------------------------------------------------------ args */

struct qargs *
qapi_args_new(void)
{
	struct qargs *a = util_calloc(1, sizeof *a);

	a->num_results = QAPI_DEFAULT_NUM_RESULTS;
	a->max_mem_pct = QAPI_DEFAULT_MAX_MEM_PCT;
	a->dns_resolution.max_rows = QAPI_DEFAULT_DNS_ROWS;
	a->dns_resolution.timeout_ns = QAPI_DEFAULT_DNS_TIMEOUT_NS;
	return a;
}

void
qapi_args_free(struct qargs *a)
{
	if (a == NULL)
		return;
	free(a->query);
	free(a->ifaces);
	free(a->query_hosts);
	free(a->query_hosts_resolver_type);
	free(a->hostname);
	free(a->condition);
	free(a->first);
	free(a->last);
	free(a->time_resolution);
	free(a->format);
	free(a->sort_by);
	free(a->caller);
	free(a);
}

enum ftype { F_STR, F_BOOL, F_U64, F_I64, F_DNS };

/* The JSON fields of goProbe's Args (query.Args's json tags). */
static const struct {
	const char	*name;
	enum ftype	 type;
	size_t		 off;
} args_fields[] = {
	{ "query", F_STR, offsetof(struct qargs, query) },
	{ "ifaces", F_STR, offsetof(struct qargs, ifaces) },
	{ "query_hosts", F_STR, offsetof(struct qargs, query_hosts) },
	{ "query_hosts_resolver_type", F_STR,
	  offsetof(struct qargs, query_hosts_resolver_type) },
	{ "hostname", F_STR, offsetof(struct qargs, hostname) },
	{ "host_id", F_U64, offsetof(struct qargs, host_id) },
	{ "condition", F_STR, offsetof(struct qargs, condition) },
	{ "in", F_BOOL, offsetof(struct qargs, in) },
	{ "out", F_BOOL, offsetof(struct qargs, out) },
	{ "sum", F_BOOL, offsetof(struct qargs, sum) },
	{ "first", F_STR, offsetof(struct qargs, first) },
	{ "last", F_STR, offsetof(struct qargs, last) },
	{ "time_resolution", F_STR, offsetof(struct qargs, time_resolution) },
	{ "format", F_STR, offsetof(struct qargs, format) },
	{ "sort_by", F_STR, offsetof(struct qargs, sort_by) },
	{ "num_results", F_U64, offsetof(struct qargs, num_results) },
	{ "sort_ascending", F_BOOL, offsetof(struct qargs, sort_ascending) },
	{ "list", F_BOOL, offsetof(struct qargs, list) },
	{ "version", F_BOOL, offsetof(struct qargs, version) },
	{ "dns_resolution", F_DNS, offsetof(struct qargs, dns_resolution) },
	{ "max_mem_pct", F_I64, offsetof(struct qargs, max_mem_pct) },
	{ "low_mem", F_BOOL, offsetof(struct qargs, low_mem) },
	{ "keepalive", F_I64, offsetof(struct qargs, keepalive_ns) },
	{ "caller", F_STR, offsetof(struct qargs, caller) },
	{ "live", F_BOOL, offsetof(struct qargs, live) },
};

/* A JSON integer (or a float that is one) into *out; -1 otherwise. */
static int
json_int(const json_t *v, int64_t *out)
{
	double d;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		d = json_real_value(v);
		if (d >= -9.2e18 && d <= 9.2e18 && d == (double)(int64_t)d) {
			*out = (int64_t)d;
			return 0;
		}
	}
	return -1;
}

static int
parse_dns(json_t *v, struct qargs *a, char **cause)
{
	const char	*k;
	json_t		*e;
	int64_t		 n;

	if (json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return util_cause(cause, -1, "dns_resolution: expected an "
		    "object");
	json_object_foreach(v, k, e) {
		if (strcmp(k, "enabled") == 0) {
			if (!json_is_boolean(e))
				return util_cause(cause, -1, "dns_resolution."
				    "enabled: expected true or false");
			a->dns_resolution.enabled = json_is_true(e);
		} else if (strcmp(k, "timeout") == 0) {
			if (json_int(e, &n) != 0)
				return util_cause(cause, -1, "dns_resolution."
				    "timeout: expected nanoseconds");
			a->dns_resolution.timeout_ns = n;
		} else if (strcmp(k, "max_rows") == 0) {
			if (json_int(e, &n) != 0)
				return util_cause(cause, -1, "dns_resolution."
				    "max_rows: expected an integer");
			a->dns_resolution.max_rows = n;
		} else {
			char *esc = names_escape(k);

			util_cause(cause, -1, "dns_resolution.%s: unknown "
			    "field", esc);
			free(esc);
			return -1;
		}
	}
	return 0;
}

int
qapi_args_parse(const char *text, size_t len, struct qargs **out,
    char **cause)
{
	struct qargs *a = qapi_args_new();

	*out = NULL;
	if (qapi_args_parse_into(a, text, len, cause) != 0) {
		qapi_args_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

int
qapi_args_parse_into(struct qargs *a, const char *text, size_t len,
    char **cause)
{
	json_error_t	 jerr;
	json_t		*o, *v;
	const char	*k;
	char		*p, *esc;
	size_t		 i;
	int64_t		 n;
	int		 rc = 0;

	if ((o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL)
		return util_cause(cause, -1, "body: invalid JSON at line %d "
		    "column %d: %s", jerr.line, jerr.column, jerr.text);
	if (!json_is_object(o)) {
		json_decref(o);
		return util_cause(cause, -1, "body: expected a JSON object");
	}
	json_object_foreach(o, k, v) {
		for (i = 0; i < sizeof args_fields / sizeof args_fields[0];
		    i++) {
			if (strcmp(k, args_fields[i].name) == 0)
				break;
		}
		if (i == sizeof args_fields / sizeof args_fields[0]) {
			esc = names_escape(k);
			rc = util_cause(cause, -1, "%s: unknown field", esc);
			free(esc);
			break;
		}
		p = (char *)a + args_fields[i].off;
		switch (args_fields[i].type) {
		case F_STR:
			if (json_is_null(v))
				break;
			if (!json_is_string(v) || memchr(json_string_value(v),
			    '\0', json_string_length(v)) != NULL) {
				rc = util_cause(cause, -1, "%s: expected a "
				    "string", k);
				break;
			}
			free(*(char **)p);
			*(char **)p = util_strdup(json_string_value(v));
			break;
		case F_BOOL:
			if (!json_is_boolean(v)) {
				rc = util_cause(cause, -1, "%s: expected true "
				    "or false", k);
				break;
			}
			*(int *)p = json_is_true(v);
			break;
		case F_U64:
			if (json_int(v, &n) != 0 || n < 0) {
				rc = util_cause(cause, -1, "%s: expected a "
				    "non-negative integer", k);
				break;
			}
			*(uint64_t *)p = (uint64_t)n;
			break;
		case F_I64:
			if (json_int(v, &n) != 0) {
				rc = util_cause(cause, -1, "%s: expected an "
				    "integer", k);
				break;
			}
			*(int64_t *)p = n;
			break;
		case F_DNS:
			rc = parse_dns(v, a, cause);
			break;
		}
		if (rc != 0)
			break;
	}
	json_decref(o);
	if (rc != 0)
		return -1;
	/* goProbe's SetDefaults(): zero means the default */
	if (a->num_results == 0)
		a->num_results = QAPI_DEFAULT_NUM_RESULTS;
	if (a->max_mem_pct == 0)
		a->max_mem_pct = QAPI_DEFAULT_MAX_MEM_PCT;
	return 0;
}

/* ------------------------------------------------------------ prepare */

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
	{ "raw", QA_TIME | QA_IFACE | QA_SIP | QA_DIP | QA_DPORT | QA_PROTO },
};

/* goProbe's attribute names, in the order a query names them. */
static const struct {
	unsigned	 attr;
	const char	*name;
} attr_names[] = {
	{ QA_SIP, "sip" }, { QA_DIP, "dip" }, { QA_DPORT, "dport" },
	{ QA_PROTO, "proto" }, { QA_VLAN, "vlan" },
};

/*
 * The attributes of a query type, and goProbe's query.attributes list
 * ("sip,dip", in the order named, without time and iface) when names is
 * not NULL.  -1 with *cause for an unknown word or an empty query.
 */
static int
parse_query(const char *s, unsigned *attrs_out, char **names, char **cause)
{
	char		*copy, *tok, *save = NULL, *esc;
	unsigned	 attrs = 0, seen = 0, bit;
	size_t		 i, j, nlen = 0;
	char		 buf[64];

	*attrs_out = 0;
	if (names != NULL)
		*names = NULL;
	if (s == NULL || *s == '\0')
		return util_cause(cause, -1, "query: invalid query type: empty");
	copy = util_strdup(s);
	buf[0] = '\0';
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		tok = util_trim(tok);
		for (i = 0; i < sizeof query_words / sizeof query_words[0];
		    i++) {
			if (strcasecmp(tok, query_words[i].name) == 0)
				break;
		}
		if (i == sizeof query_words / sizeof query_words[0]) {
			esc = names_escape(tok);
			util_cause(cause, -1, "query: invalid query type: "
			    "unknown attribute '%s' (use sip, dip, dport, "
			    "proto, vlan, time, iface, talk_src, talk_dst, "
			    "talk_conv, apps_port, agg_talk_port or raw)", esc);
			free(esc);
			free(copy);
			return -1;
		}
		attrs |= query_words[i].attrs;
		for (j = 0; j < sizeof attr_names / sizeof attr_names[0];
		    j++) {
			bit = attr_names[j].attr;
			if (!(query_words[i].attrs & bit) || (seen & bit))
				continue;
			seen |= bit;
			nlen += (size_t)snprintf(buf + nlen, sizeof buf - nlen,
			    "%s%s", nlen > 0 ? "," : "", attr_names[j].name);
		}
	}
	free(copy);
	if (attrs == 0)
		return util_cause(cause, -1, "query: invalid query type: "
		    "empty");
	*attrs_out = attrs;
	if (names != NULL)
		*names = util_strdup(buf);
	return 0;
}

/*
 * A Go duration ("5m", "1h30m", "90s", "300ms"; flowrec also takes "1d"
 * and a plain number of seconds) in nanoseconds; -1 if invalid.
 */
int64_t
qapi_duration_ns(const char *s)
{
	static const struct {
		const char	*unit;
		double		 ns;
	} units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "ms", 1e6 },
		{ "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 }, { "d", 86400e9 },
	};
	double	 total = 0, v;
	char	*end;
	size_t	 i, ul;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (*end == '\0')
		return errno == 0 && v >= 0 && v <= 9e9 ? (int64_t)(v * 1e9) :
		    -1;
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return -1;
		errno = 0;
		v = strtod(s, &end);
		if (errno != 0 || end == s)
			return -1;
		s = end;
		for (i = 0; i < sizeof units / sizeof units[0]; i++) {
			ul = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, ul) == 0 &&
			    !(ul == 1 && s[0] == 'm' && s[1] == 's'))
				break;
		}
		if (i == sizeof units / sizeof units[0])
			return -1;
		s += strlen(units[i].unit);
		total += v * units[i].ns;
		if (total > 9.2e18)
			return -1;
	}
	return (int64_t)total;
}

/* -i's words: only names, "any", "!name" and one "/regex/". */
static int
check_ifaces(const char *spec, char **cause)
{
	char	*copy, *tok, *save = NULL, *why = NULL, *esc;
	size_t	 len;
	int	 rc = 0;

	if (spec == NULL || *spec == '\0')
		return util_cause(cause, -1, "ifaces: empty interface name");
	copy = util_strdup(spec);
	for (tok = strtok_r(copy, ",", &save); tok != NULL && rc == 0;
	    tok = strtok_r(NULL, ",", &save)) {
		tok = util_trim(tok);
		len = strlen(tok);
		if (len >= 2 && tok[0] == '/' && tok[len - 1] == '/')
			continue;
		if (strcasecmp(tok, "any") == 0)
			continue;
		if (tok[0] == '!')
			tok++;
		if (names_check_iface(tok, &why) != 0) {
			esc = names_escape(tok);
			rc = util_cause(cause, -1, "ifaces: invalid interface "
			    "name '%s': %s", esc, why);
			free(esc);
			free(why);
		}
	}
	free(copy);
	return rc;
}

/* goProbe adds the iface label for several names, "any" or a regex. */
static int
ifaces_label(const char *spec)
{
	char	*copy = util_strdup(spec), *tok, *save = NULL;
	size_t	 n = 0, len;
	int	 label = 0;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		tok = util_trim(tok);
		len = strlen(tok);
		if (len == 0)
			continue;
		n++;
		if (strcasecmp(tok, "any") == 0 || tok[0] == '!' ||
		    (len >= 2 && tok[0] == '/' && tok[len - 1] == '/'))
			label = 1;
	}
	free(copy);
	return label || n > 1;
}

static int64_t
parse_resolution(const char *s, int64_t first, int64_t last, char **cause)
{
	int64_t	 span = last - first, ns;

	if (s == NULL || *s == '\0')
		return 0;
	if (strcasecmp(s, "auto") == 0) {
		/* about a few hundred rows per key at most */
		if (span <= 2 * 86400)
			return 0;
		if (span <= 14 * 86400)
			return 3600;
		return 86400;
	}
	ns = qapi_duration_ns(s);
	if (ns < 1000000000LL || ns % 1000000000LL != 0 ||
	    86400 % (ns / 1000000000LL) != 0)
		return util_cause(cause, -1, "time_resolution: invalid time "
		    "resolution '%s' (use 'auto' or a duration that divides a "
		    "day: 5m, 1h, 1d)", s);
	return ns / 1000000000LL;
}

/* Everything a run needs that the arguments say; -1 with *cause. */
static int
prepare(const struct qargs *a, int64_t now, struct qquery *q,
    struct cond **condp, char **attr_list, char **cause)
{
	struct cond_options copts = { cond_resolve_system,
	    COND_DNS_TIMEOUT_MS };
	struct cond	*c = NULL;
	char		*msg = NULL, *names = NULL, *e = NULL;
	unsigned	 attrs = 0;
	int64_t		 res;
	int		 bad = 0;

	/* goProbe collects every bad field: one line each */
#define BAD(call) do {							\
	if ((call) != 0) {						\
		char *m_ = util_printf("%s%s%s", msg ? msg : "",	\
		    msg ? "\n" : "", e ? e : "invalid");		\
		free(msg);						\
		free(e);						\
		msg = m_;						\
		bad = 1;						\
	}								\
	e = NULL;							\
} while (0)

	memset(q, 0, sizeof *q);
	BAD(parse_query(a->query, &attrs, &names, &e));
	if (a->format != NULL && strcmp(a->format, "txt") != 0 &&
	    strcmp(a->format, "json") != 0 && strcmp(a->format, "csv") != 0)
		BAD(util_cause(&e, -1, "format: unknown format (use txt, json "
		    "or csv)"));
	if (a->sort_by == NULL || strcmp(a->sort_by, "bytes") == 0)
		q->sort = QSORT_BYTES;
	else if (strcmp(a->sort_by, "packets") == 0)
		q->sort = QSORT_PACKETS;
	else if (strcmp(a->sort_by, "time") == 0)
		q->sort = QSORT_TIME;
	else
		BAD(util_cause(&e, -1, "sort_by: unknown sort order (use "
		    "bytes, packets or time)"));
	q->ascending = a->sort_ascending;
	BAD(check_ifaces(a->ifaces, &e));
	BAD(qtime_range(a->first, a->last, (attrs & QA_TIME) != 0, now,
	    &q->first, &q->last, &e));
	if (attrs & QA_TIME) {
		/* goProbe's prepTimeQueryArg: time order, ascending */
		q->sort = QSORT_TIME;
		q->ascending = 1;
		res = parse_resolution(a->time_resolution, q->first, q->last,
		    &e);
		if (res < 0)
			BAD(-1);
		else
			q->resolution = res;
	}
	if (a->sum)
		q->dir = QDIR_SUM;
	else if (a->in && !a->out)
		q->dir = QDIR_IN;
	else if (a->out && !a->in)
		q->dir = QDIR_OUT;
	else
		q->dir = QDIR_BOTH;
	if (a->dns_resolution.enabled) {
		if (a->dns_resolution.timeout_ns <= 0)
			BAD(util_cause(&e, -1, "dns_resolution.timeout: "
			    "invalid resolution timeout"));
		if (a->dns_resolution.max_rows <= 0)
			BAD(util_cause(&e, -1, "dns_resolution.max_rows: "
			    "invalid number of rows to resolve"));
	}
	if (a->condition != NULL && *a->condition != '\0') {
		/* its message starts "invalid condition" */
		if (cond_parse(a->condition, &copts, &c, &e) != 0)
			BAD(-1);
	}
	if (!(a->max_mem_pct > 0 && a->max_mem_pct <= 100))
		BAD(util_cause(&e, -1, "max_mem_pct: invalid max memory "
		    "percentage: must be in (0, 100]"));
	if (a->keepalive_ns < 0)
		BAD(util_cause(&e, -1, "keepalive: invalid keepalive "
		    "duration: must be >0"));
	if (a->num_results == 0)
		BAD(util_cause(&e, -1, "num_results: invalid number of result "
		    "rows: must be > 0"));
#undef BAD
	if (bad) {
		cond_free(c);
		free(names);
		util_cause(cause, -1, "%s", msg);
		free(msg);
		return -1;
	}
	if (a->ifaces != NULL && ifaces_label(a->ifaces))
		attrs |= QA_IFACE;
	q->attrs = attrs;
	q->cond = c;
	/* flowq's -n 0 (every row) comes as a huge number */
	q->limit = a->num_results >= SIZE_MAX / 8 ? 0 :
	    (size_t)a->num_results;
	q->threads = a->threads;
	q->no_rollups = a->no_rollups;
	q->print_sql = a->print_sql;
	*condp = c;
	if (attr_list != NULL)
		*attr_list = names;
	else
		free(names);
	return 0;
}

int
qapi_args_validate(const struct qargs *a, char **cause)
{
	struct qquery	 q;
	struct cond	*c = NULL;

	if (prepare(a, (int64_t)time(NULL), &q, &c, NULL, cause) != 0)
		return -1;
	cond_free(c);
	return 0;
}

/* ------------------------------------------------------------ run */

/* The names of spec missing from the store: "unknown interface". */
static int
check_known(const char *spec, char **all, size_t nall, char **cause)
{
	char	*copy, *tok, *save = NULL, *list, *t, *esc;
	size_t	 i, len;
	int	 rc = 0;

	copy = util_strdup(spec);
	for (tok = strtok_r(copy, ",", &save); tok != NULL && rc == 0;
	    tok = strtok_r(NULL, ",", &save)) {
		tok = util_trim(tok);
		len = strlen(tok);
		if (len == 0 || tok[0] == '!' || strcasecmp(tok, "any") == 0 ||
		    (len >= 2 && tok[0] == '/' && tok[len - 1] == '/'))
			continue;
		for (i = 0; i < nall; i++) {
			if (strcmp(all[i], tok) == 0)
				break;
		}
		if (i < nall)
			continue;
		list = util_strdup("");
		for (i = 0; i < nall; i++) {
			esc = names_escape(all[i]);
			t = util_printf("%s%s%s", list, i ? ", " : "", esc);
			free(esc);
			free(list);
			list = t;
		}
		esc = names_escape(tok);
		rc = util_cause(cause, -1, "ifaces: unknown interface '%s' "
		    "(%s%s)", esc, nall ? "known: " : "the store has no "
		    "interfaces", list);
		free(esc);
		free(list);
	}
	free(copy);
	return rc;
}

/*
 * The open bins of the selected interfaces as qexec's live input (see
 * struct qapi_live); sel is sorted as qfiles.ifaces will be.
 */
static void
live_prepare(const struct qargs *a, struct qapi_query *x, char **sel,
    size_t nsel)
{
	const struct qapi_live *l;
	size_t i, j, n = 0;

	x->live = util_calloc(a->nlive_bins + 1, sizeof *x->live);
	for (i = 0; i < a->nlive_bins; i++) {
		l = &a->live_bins[i];
		for (j = 0; j < nsel; j++)
			if (strcmp(sel[j], l->iface) == 0)
				break;
		/* bins that overlap [first, last], as the store's */
		if (j == nsel || l->interval == 0 || l->ts > x->q.last ||
		    l->ts <= x->q.first - (int64_t)l->interval)
			continue;
		x->live[n].iface = (uint32_t)j;
		x->live[n].ts = l->ts;
		x->live[n].interval = l->interval;
		x->live[n].rows = l->rows;
		x->live[n].nrows = l->nrows;
		n++;
	}
	x->q.live = x->live;
	x->q.nlive = n;
}

int
qapi_exec(const struct qargs *a, const char *db_path, volatile int *cancel,
    double timeout, struct qapi_query **out, char **cause)
{
	struct qapi_query	*x;
	struct timespec		 ts;
	struct stat		 sb;
	char			**all = NULL, **sel = NULL;
	size_t			 nall = 0, nsel = 0, i;

	*out = NULL;
	x = util_calloc(1, sizeof *x);
	clock_gettime(CLOCK_REALTIME, &ts);
	x->query_start_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	if (prepare(a, (int64_t)ts.tv_sec, &x->q, &x->cond, &x->attributes,
	    cause) != 0)
		goto fail;
	x->q.timeout = timeout;
	x->q.cancel = cancel;
	if (qstore_ifaces(db_path, &all, &nall, cause) != 0)
		goto fail;
	if (check_known(a->ifaces, all, nall, cause) != 0 ||
	    qstore_select(all, nall, a->ifaces, &sel, &nsel, cause) != 0) {
		qstore_strv_free(all, nall);
		goto fail;
	}
	qstore_strv_free(all, nall);
	if (nsel > 1)
		x->q.attrs |= QA_IFACE;
	if (a->live)
		live_prepare(a, x, sel, nsel);
	qstore_files(db_path, sel, nsel, x->q.first, x->q.last, &x->files);
	for (i = 0; i < x->files.nfiles; i++) {
		if (stat(x->files.files[i].path, &sb) == 0)
			x->bytes_loaded += (uint64_t)sb.st_size;
	}
	if (qexec_run(&x->q, &x->files, &x->res, cause) != 0)
		goto fail;
	/* answered when at least one file could be read */
	if (x->res.nskipped > 0 && x->res.nskipped == x->files.nfiles) {
		util_cause(cause, -1, "no day file in range could be read: %s",
		    x->res.skipped[0].reason);
		goto fail;
	}
	*out = x;
	return 0;
fail:
	qapi_query_free(x);
	return -1;
}

json_t *
qapi_list(const struct qargs *a, const char *db_path, char **cause)
{
	struct qfiles	 files;
	struct qlist	 l;
	char		**all, **sel;
	size_t		 nall, nsel;
	int64_t		 first = 0, last = INT64_MAX / 2;
	json_t		*doc;

	/* flowq list's range: everything unless first or last is given */
	if (a->first != NULL || a->last != NULL) {
		if (qtime_range(a->first, a->last, 0, (int64_t)time(NULL),
		    &first, &last, cause) != 0)
			return NULL;
		if (a->first == NULL)
			first = 0;
	}
	if (qstore_ifaces(db_path, &all, &nall, cause) != 0)
		return NULL;
	if (qstore_select(all, nall, a->ifaces != NULL ? a->ifaces : "any",
	    &sel, &nsel, cause) != 0) {
		qstore_strv_free(all, nall);
		return NULL;
	}
	qstore_strv_free(all, nall);
	qstore_files(db_path, sel, nsel, first, last, &files);
	if (qlist_run(&files, first, last, db_path, 1, &l, cause) != 0) {
		qstore_files_free(&files);
		return NULL;
	}
	doc = qout_list_json(&l);
	qlist_free(&l);
	qstore_files_free(&files);
	return doc;
}

void
qapi_query_free(struct qapi_query *x)
{
	if (x == NULL)
		return;
	qexec_free(&x->res);
	qstore_files_free(&x->files);
	free(x->live);
	cond_free(x->cond);
	free(x->attributes);
	free(x);
}

/* ------------------------------------------------------------ result */

void
qapi_rfc3339(int64_t sec, long nsec, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 t = (time_t)sec;
	char		 frac[32] = "", zone[32];
	long		 off;
	int		 n;

	localtime_r(&t, &tm);
	if (nsec > 0) {
		snprintf(frac, sizeof frac, ".%09ld", nsec % 1000000000L);
		for (n = (int)strlen(frac); frac[n - 1] == '0'; n--)
			frac[n - 1] = '\0';
	}
	off = tm.tm_gmtoff;
	if (off == 0)
		snprintf(zone, sizeof zone, "Z");
	else
		snprintf(zone, sizeof zone, "%c%02ld:%02ld", off < 0 ? '-' :
		    '+', labs(off) / 3600, labs(off) % 3600 / 60);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%s%s",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, frac, zone);
}

static json_t *
rfc3339(int64_t sec, long nsec)
{
	char buf[64];

	qapi_rfc3339(sec, nsec, buf, sizeof buf);
	return json_string(buf);
}

/* types.Counters: br, bs, pr, ps, each left out when zero. */
static json_t *
counters(uint64_t br, uint64_t bs, uint64_t pr, uint64_t ps)
{
	json_t *o = json_object();

	if (br)
		json_object_set_new(o, "br", json_integer((json_int_t)br));
	if (bs)
		json_object_set_new(o, "bs", json_integer((json_int_t)bs));
	if (pr)
		json_object_set_new(o, "pr", json_integer((json_int_t)pr));
	if (ps)
		json_object_set_new(o, "ps", json_integer((json_int_t)ps));
	return o;
}

static void
addr(const uint8_t *ip, int len, char *buf, size_t size)
{
	if (len == 4)
		inet_ntop(AF_INET, ip, buf, (socklen_t)size);
	else if (len == 16)
		inet_ntop(AF_INET6, ip, buf, (socklen_t)size);
	else
		snprintf(buf, size, "%s", "");
}

static json_t *
status(const char *code, const char *message)
{
	json_t *o = json_pack("{s:s}", "code", code);

	if (message != NULL)
		json_object_set_new(o, "message", json_string(message));
	return o;
}

json_t *
qapi_result(const struct qapi_query *x, const char *hostname)
{
	const struct qquery	*q = &x->q;
	const struct qresult	*res = &x->res;
	const struct qrow	*r;
	json_t			*o, *st, *hs, *sum, *ifs, *qo, *attrs, *rows;
	json_t			*labels, *av, *tim;
	char			 host[256], b[64], *list, *tok, *save = NULL;
	const char		*code, *msg = NULL;
	size_t			 i;

	if (hostname == NULL) {
		if (gethostname(host, sizeof host) != 0)
			host[0] = '\0';
		host[sizeof host - 1] = '\0';
		hostname = host;
	}
	if (res->nrows > 0)
		code = "ok";
	else if (res->data) {
		code = "empty";
		msg = "query returned no results";
	} else {
		code = "missing data";
		msg = "no data available for the specified interface(s) / "
		    "time range (maybe flowrecd was not running)";
	}

	o = json_object();
	if (*hostname != '\0')
		json_object_set_new(o, "hostname", json_string(hostname));
	st = status(code, msg);
	hs = json_object();
	json_object_set_new(hs, hostname, json_deep_copy(st));
	json_object_set_new(o, "status", st);
	json_object_set_new(o, "hosts_statuses", hs);

	ifs = json_array();
	for (i = 0; i < x->files.nifaces; i++)
		json_array_append_new(ifs, json_string(x->files.ifaces[i]));
	sum = json_object();
	json_object_set_new(sum, "interfaces", ifs);
	json_object_set_new(sum, "time_first", res->data ?
	    rfc3339(res->span_first, 0) : rfc3339(q->first, 0));
	json_object_set_new(sum, "time_last", res->data ?
	    rfc3339(res->span_last, 0) : rfc3339(q->last, 0));
	json_object_set_new(sum, "totals", counters(res->bytes_rcvd,
	    res->bytes_sent, res->pkts_rcvd, res->pkts_sent));
	tim = json_object();
	json_object_set_new(tim, "query_start", rfc3339(x->query_start_ns /
	    1000000000LL, (long)(x->query_start_ns % 1000000000LL)));
	json_object_set_new(tim, "query_duration_ns",
	    json_integer((json_int_t)res->duration_ns));
	json_object_set_new(sum, "timings", tim);
	json_object_set_new(sum, "hits", json_pack("{s:I,s:I}", "displayed",
	    (json_int_t)res->nrows, "total", (json_int_t)res->hits));
	json_object_set_new(sum, "data_available", json_boolean(res->data));
	json_object_set_new(sum, "stats", json_pack("{s:I,s:I,s:I,s:I,s:I,"
	    "s:I}", "bytes_loaded", (json_int_t)x->bytes_loaded,
	    "bytes_decompressed", (json_int_t)x->bytes_loaded,
	    "blocks_processed", (json_int_t)x->files.nfiles,
	    "blocks_corrupted", (json_int_t)res->nskipped,
	    "directories_processed", (json_int_t)x->files.nifaces,
	    "workloads", (json_int_t)1));
	json_object_set_new(o, "summary", sum);

	attrs = json_array();
	list = util_strdup(x->attributes != NULL ? x->attributes : "");
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save))
		json_array_append_new(attrs, json_string(tok));
	free(list);
	qo = json_object();
	json_object_set_new(qo, "attributes", attrs);
	if (x->cond != NULL && x->cond->canonical != NULL &&
	    *x->cond->canonical != '\0')
		json_object_set_new(qo, "condition",
		    json_string(x->cond->canonical));
	json_object_set_new(o, "query", qo);

	rows = json_array();
	for (i = 0; i < res->nrows; i++) {
		r = &res->rows[i];
		labels = json_object();
		if (q->attrs & QA_TIME)
			json_object_set_new(labels, "timestamp",
			    rfc3339(r->k.ts, 0));
		if (r->k.iface < x->files.nifaces)
			json_object_set_new(labels, "iface", json_string(
			    x->files.ifaces[r->k.iface]));
		if (*hostname != '\0')
			json_object_set_new(labels, "host",
			    json_string(hostname));
		av = json_object();
		if (q->attrs & QA_SIP) {
			addr(r->k.sip, r->k.salen, b, sizeof b);
			json_object_set_new(av, "sip", json_string(b));
		}
		if (q->attrs & QA_DIP) {
			addr(r->k.dip, r->k.dalen, b, sizeof b);
			json_object_set_new(av, "dip", json_string(b));
		}
		if ((q->attrs & QA_PROTO) && r->k.proto != 0)
			json_object_set_new(av, "proto",
			    json_integer(r->k.proto));
		if ((q->attrs & QA_DPORT) && r->k.dport != 0)
			json_object_set_new(av, "dport",
			    json_integer(r->k.dport));
		if ((q->attrs & QA_VLAN) && r->k.vlan != 0)
			json_object_set_new(av, "vlan",
			    json_integer(r->k.vlan));
		json_array_append_new(rows, json_pack("{s:o,s:o,s:o}",
		    "labels", labels, "attributes", av, "counters",
		    counters(r->bytes_rcvd, r->bytes_sent, r->pkts_rcvd,
		    r->pkts_sent)));
	}
	json_object_set_new(o, "rows", rows);
	return o;
}

char *
qapi_dumps(const json_t *doc)
{
	char	*raw, *out, *p;
	size_t	 n = 0;
	const unsigned char *s;

	raw = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (raw == NULL)
		abort();
	for (s = (const unsigned char *)raw; *s != '\0'; s++)
		n += (*s == '<' || *s == '>' || *s == '&') ? 6 : 1;
	out = util_malloc(n + 2);
	/* Go's encoder escapes <, > and & (HTML safety), U+2028 and U+2029 */
	for (p = out, s = (const unsigned char *)raw; *s != '\0'; s++) {
		if (*s == '<' || *s == '>' || *s == '&')
			p += sprintf(p, "\\u%04x", *s);
		else if (s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 ||
		    s[2] == 0xa9)) {
			p += sprintf(p, "\\u%04x", s[2] == 0xa8 ? 0x2028 :
			    0x2029);
			s += 2;
		} else
			*p++ = (char)*s;
	}
	*p++ = '\n';
	*p = '\0';
	free(raw);
	return out;
}

json_t *
qapi_run(const struct qargs *a, const char *db_path, const char *hostname,
    volatile int *cancel, double timeout, char **cause)
{
	struct qapi_query	*x;
	json_t			*doc;

	if (qapi_exec(a, db_path, cancel, timeout, &x, cause) != 0)
		return NULL;
	doc = qapi_result(x, hostname);
	qapi_query_free(x);
	return doc;
}

/* ------------------------------------------------------------ fleet */

json_t *
qapi_args_json(const struct qargs *a)
{
	json_t		*o = json_object();
	const char	*p;
	size_t		 i;
	uint64_t	 u;

	for (i = 0; i < sizeof args_fields / sizeof args_fields[0]; i++) {
		p = (const char *)a + args_fields[i].off;
		switch (args_fields[i].type) {
		case F_STR:
			if (*(char *const *)p != NULL)
				json_object_set_new(o, args_fields[i].name,
				    json_string(*(char *const *)p));
			break;
		case F_BOOL:
			if (*(const int *)p)
				json_object_set_new(o, args_fields[i].name,
				    json_true());
			break;
		case F_U64:
			/* flowq's -n 0 (every row) is the largest JSON has */
			if ((u = *(const uint64_t *)p) != 0)
				json_object_set_new(o, args_fields[i].name,
				    json_integer(u > INT64_MAX ? INT64_MAX :
				    (json_int_t)u));
			break;
		case F_I64:
			if (*(const int64_t *)p != 0)
				json_object_set_new(o, args_fields[i].name,
				    json_integer(*(const int64_t *)p));
			break;
		case F_DNS:
			if (a->dns_resolution.enabled)
				json_object_set_new(o, args_fields[i].name,
				    json_pack("{s:b,s:I,s:I}", "enabled", 1,
				    "timeout", (json_int_t)
				    a->dns_resolution.timeout_ns, "max_rows",
				    (json_int_t)a->dns_resolution.max_rows));
			break;
		}
	}
	return o;
}

int
qapi_prepare(const struct qargs *a, struct qquery *q, struct cond **condp,
    char **cause)
{
	return prepare(a, (int64_t)time(NULL), q, condp, NULL, cause);
}
