/*
 * qmerge.c - merge many hosts' results.Result documents into one (see
 * qmerge.h): rows keyed by their labels and attributes in an index, the
 * summary summed, statuses per host, sorted and cut at the end.
 *
 * A row's key is its labels and attributes as compact JSON with sorted
 * keys, so two hosts' spelling of the same object (key order, whitespace)
 * is one key; the index is a jansson object from key to row number.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qmerge.h"
#include "util.h"

enum { QM_BR, QM_BS, QM_PR, QM_PS, QM_NCOUNTERS };
static const char *const qm_counter_names[QM_NCOUNTERS] = {
	"br", "bs", "pr", "ps"
};

struct qm_row {
	json_t		*labels;	/* with host */
	json_t		*attrs;
	uint64_t	 c[QM_NCOUNTERS];
	char		*key;
};

struct qmerge {
	struct qmerge_opts opts;
	struct qm_row	*rows;
	size_t		 nrows, cap;
	json_t		*index;		/* key -> row number */
	json_t		*statuses;	/* host -> {code, message} */
	json_t		*ifaces;	/* name -> null: a set */
	json_t		*query;		/* the first answer's; NULL: none */
	json_t		*first, *last;	/* summary.time_first/last, or NULL */
	json_t		*stats;		/* summed integers; NULL: none */
	uint64_t	 totals[QM_NCOUNTERS];
	int64_t		 hits_total;
	int		 data_available;
	size_t		 answered;
};

/* ------------------------------------------------------ small parts */

static int
qm_status_known(const char *code)
{
	return strcmp(code, "ok") == 0 || strcmp(code, "empty") == 0 ||
	    strcmp(code, "missing data") == 0 ||
	    strcmp(code, "missing_data") == 0 || strcmp(code, "error") == 0 ||
	    strcmp(code, "too many requests") == 0;
}

int
qmerge_time(const json_t *v, int64_t *ns)
{
	const char *s, *p;
	struct tm tm;
	int64_t frac = 0, scale = 1000000000, off = 0;
	int n, sign;

	if (json_is_integer(v)) {
		*ns = (int64_t)json_integer_value(v) * 1000000000;
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	memset(&tm, 0, sizeof tm);
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (sscanf(p + 1, "%2d:", &n) != 1 || strlen(p) != 6)
			return -1;
		off = sign * (n * 3600 + atoi(p + 4) * 60);
		p += 6;
	}
	if (*p != '\0')
		return -1;
	*ns = ((int64_t)timegm(&tm) - off) * 1000000000 + frac;
	return 0;
}

/* goProbe's netip.Addr order: invalid < IPv4 < IPv6, then the bytes. */
static int
qm_cmp_ip(const json_t *a, const json_t *b)
{
	unsigned char x[16], y[16];
	int fx = 0, fy = 0, c;
	const char *sa = json_string_value(a), *sb = json_string_value(b);

	if (sa != NULL)
		fx = inet_pton(AF_INET, sa, x) == 1 ? 4 :
		    inet_pton(AF_INET6, sa, x) == 1 ? 16 : 0;
	if (sb != NULL)
		fy = inet_pton(AF_INET, sb, y) == 1 ? 4 :
		    inet_pton(AF_INET6, sb, y) == 1 ? 16 : 0;
	if (fx != fy)
		return fx < fy ? -1 : 1;
	if (fx != 0 && (c = memcmp(x, y, fx)) != 0)
		return c < 0 ? -1 : 1;
	if (fx == 0 && sa != NULL && sb != NULL)
		return strcmp(sa, sb) < 0 ? -1 : strcmp(sa, sb) > 0;
	return 0;
}

static int
qm_cmp_int(const json_t *a, const json_t *b)
{
	json_int_t x = json_integer_value(a), y = json_integer_value(b);

	return x < y ? -1 : x > y;
}

static int
qm_cmp_str(const json_t *a, const json_t *b)
{
	const char *x = json_string_value(a), *y = json_string_value(b);
	int c = strcmp(x != NULL ? x : "", y != NULL ? y : "");

	return c < 0 ? -1 : c > 0;
}

static int
qm_cmp_ts(const json_t *a, const json_t *b)
{
	int64_t x = 0, y = 0;

	if (a != NULL)
		qmerge_time(a, &x);
	if (b != NULL)
		qmerge_time(b, &y);
	return x < y ? -1 : x > y;
}

/* goProbe's Row.Less: attributes, then labels. */
static int
qm_cmp_rows(const struct qm_row *a, const struct qm_row *b)
{
	int c;

	if ((c = qm_cmp_ip(json_object_get(a->attrs, "sip"),
	    json_object_get(b->attrs, "sip"))) != 0 ||
	    (c = qm_cmp_ip(json_object_get(a->attrs, "dip"),
	    json_object_get(b->attrs, "dip"))) != 0 ||
	    (c = qm_cmp_int(json_object_get(a->attrs, "proto"),
	    json_object_get(b->attrs, "proto"))) != 0 ||
	    (c = qm_cmp_int(json_object_get(a->attrs, "dport"),
	    json_object_get(b->attrs, "dport"))) != 0 ||
	    (c = qm_cmp_ts(json_object_get(a->labels, "timestamp"),
	    json_object_get(b->labels, "timestamp"))) != 0 ||
	    (c = qm_cmp_str(json_object_get(a->labels, "host"),
	    json_object_get(b->labels, "host"))) != 0 ||
	    (c = qm_cmp_str(json_object_get(a->labels, "iface"),
	    json_object_get(b->labels, "iface"))) != 0)
		return c;
	c = strcmp(a->key, b->key);	/* any other attribute: stable */
	return c < 0 ? -1 : c > 0;
}

static uint64_t
qm_metric(const struct qmerge_opts *o, const struct qm_row *r)
{
	int b = o->sort == QMERGE_SORT_PACKETS ? QM_PR : QM_BR;

	switch (o->dir) {
	case QMERGE_DIR_IN:
		return r->c[b];
	case QMERGE_DIR_OUT:
		return r->c[b + 1];
	default:
		return r->c[b] + r->c[b + 1];
	}
}

static int
qm_sort_cmp(const void *pa, const void *pb, void *arg)
{
	const struct qmerge_opts *o = arg;
	const struct qm_row *a = pa, *b = pb;
	uint64_t x, y;
	int c;

	if (o->sort == QMERGE_SORT_TIME) {
		c = qm_cmp_ts(json_object_get(a->labels, "timestamp"),
		    json_object_get(b->labels, "timestamp"));
		if (c == 0)
			c = qm_cmp_rows(a, b);
		return o->ascending ? c : -c;
	}
	x = qm_metric(o, a);
	y = qm_metric(o, b);
	if (x == y)
		c = qm_cmp_rows(a, b);
	else
		c = x < y ? -1 : 1;
	return o->ascending ? c : -c;
}

/* ------------------------------------------------------------ opts */

int
qmerge_opts_from_args(const json_t *args, struct qmerge_opts *o,
    char **cause)
{
	const json_t *v;
	const char *s;
	int in, out;

	memset(o, 0, sizeof *o);
	o->limit = 1000;
	if (!json_is_object(args))
		return util_cause(cause, -EINVAL, "query arguments: not an "
		    "object");
	if ((v = json_object_get(args, "sort_by")) != NULL) {
		if ((s = json_string_value(v)) == NULL)
			return util_cause(cause, -EINVAL, "sort_by: not a "
			    "string");
		if (strcmp(s, "bytes") == 0)
			o->sort = QMERGE_SORT_BYTES;
		else if (strcmp(s, "packets") == 0)
			o->sort = QMERGE_SORT_PACKETS;
		else if (strcmp(s, "time") == 0)
			o->sort = QMERGE_SORT_TIME;
		else
			return util_cause(cause, -EINVAL, "sort_by: '%s': want "
			    "bytes, packets or time", s);
	}
	in = json_is_true(json_object_get(args, "in"));
	out = json_is_true(json_object_get(args, "out"));
	o->dir = in && !out ? QMERGE_DIR_IN : out && !in ? QMERGE_DIR_OUT :
	    QMERGE_DIR_BOTH;
	o->ascending = json_is_true(json_object_get(args, "sort_ascending"));
	if ((v = json_object_get(args, "num_results")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return util_cause(cause, -EINVAL, "num_results: not a "
			    "whole number");
		o->limit = (uint64_t)json_integer_value(v);
	}
	return 0;
}

/* ------------------------------------------------------- the merge */

struct qmerge *
qmerge_new(const struct qmerge_opts *o)
{
	struct qmerge *m = util_calloc(1, sizeof *m);

	m->opts = *o;
	m->index = json_object();
	m->statuses = json_object();
	m->ifaces = json_object();
	return m;
}

static void
qm_row_free(struct qm_row *r)
{
	json_decref(r->labels);
	json_decref(r->attrs);
	free(r->key);
}

void
qmerge_free(struct qmerge *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nrows; i++)
		qm_row_free(&m->rows[i]);
	free(m->rows);
	json_decref(m->index);
	json_decref(m->statuses);
	json_decref(m->ifaces);
	json_decref(m->query);
	json_decref(m->first);
	json_decref(m->last);
	json_decref(m->stats);
	free(m);
}

size_t
qmerge_hosts(const struct qmerge *m)
{
	return json_object_size(m->statuses);
}

size_t
qmerge_answered(const struct qmerge *m)
{
	return m->answered;
}

static void
qm_set_status(struct qmerge *m, const char *host, const char *code,
    const char *message)
{
	json_t *st = json_pack("{s:s}", "code", code);

	if (message != NULL && *message != '\0')
		json_object_set_new(st, "message", json_string(message));
	json_object_set_new(m->statuses, host, st);
}

void
qmerge_fail(struct qmerge *m, const char *host, const char *message)
{
	qm_set_status(m, host, "error", message);
}

/* Counters object -> c[]; -1 when one is not a whole number >= 0. */
static int
qm_counters(const json_t *o, uint64_t c[QM_NCOUNTERS])
{
	const json_t *v;
	int i;

	memset(c, 0, QM_NCOUNTERS * sizeof *c);
	if (o == NULL || json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return -1;
	for (i = 0; i < QM_NCOUNTERS; i++) {
		if ((v = json_object_get(o, qm_counter_names[i])) == NULL)
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return -1;
		c[i] = (uint64_t)json_integer_value(v);
	}
	return 0;
}

/* The whole answer checked before any of it is merged. */
static int
qm_check(const json_t *res, const char **code, const char **message,
    char **why)
{
	const json_t *st, *rows, *row, *sum, *v;
	uint64_t c[QM_NCOUNTERS];
	size_t i;

	*code = "ok";
	*message = NULL;
	if (!json_is_object(res))
		return util_cause(why, -EINVAL, "not a JSON object");
	if ((st = json_object_get(res, "status")) != NULL) {
		if (!json_is_object(st) ||
		    !json_is_string(json_object_get(st, "code")))
			return util_cause(why, -EINVAL, "status: no code");
		*code = json_string_value(json_object_get(st, "code"));
		if (!qm_status_known(*code))
			return util_cause(why, -EINVAL, "status: unknown code "
			    "'%.40s'", *code);
		*message = json_string_value(json_object_get(st, "message"));
	} else if (json_object_get(res, "rows") == NULL)
		return util_cause(why, -EINVAL, "neither status nor rows");
	rows = json_object_get(res, "rows");
	if (rows != NULL && !json_is_null(rows) && !json_is_array(rows))
		return util_cause(why, -EINVAL, "rows: not an array");
	json_array_foreach(rows, i, row) {
		if (!json_is_object(row) ||
		    !json_is_object(json_object_get(row, "attributes")))
			return util_cause(why, -EINVAL, "row %zu: no attributes",
			    i + 1);
		v = json_object_get(row, "labels");
		if (v != NULL && !json_is_null(v) && !json_is_object(v))
			return util_cause(why, -EINVAL, "row %zu: labels: not "
			    "an object", i + 1);
		if (qm_counters(json_object_get(row, "counters"), c) != 0)
			return util_cause(why, -EINVAL, "row %zu: counters: "
			    "not whole numbers", i + 1);
	}
	if ((sum = json_object_get(res, "summary")) != NULL) {
		if (!json_is_object(sum))
			return util_cause(why, -EINVAL, "summary: not an "
			    "object");
		if (qm_counters(json_object_get(sum, "totals"), c) != 0)
			return util_cause(why, -EINVAL, "summary.totals: not "
			    "whole numbers");
		v = json_object_get(json_object_get(sum, "hits"), "total");
		if (v != NULL && (!json_is_integer(v) ||
		    json_integer_value(v) < 0))
			return util_cause(why, -EINVAL, "summary.hits.total: "
			    "not a whole number");
		v = json_object_get(sum, "interfaces");
		if (v != NULL && !json_is_null(v) && !json_is_array(v))
			return util_cause(why, -EINVAL, "summary.interfaces: "
			    "not an array");
	}
	return 0;
}

/* Sort and keep the first limit rows (limit 0: all). */
static void
qm_cut(struct qmerge *m, uint64_t limit)
{
	size_t i;

	if (m->nrows > 1)
		qsort_r(m->rows, m->nrows, sizeof *m->rows, qm_sort_cmp,
		    &m->opts);
	if (limit == 0 || m->nrows <= limit)
		return;
	for (i = limit; i < m->nrows; i++)
		qm_row_free(&m->rows[i]);
	m->nrows = limit;
	json_object_clear(m->index);
	for (i = 0; i < m->nrows; i++)
		json_object_set_new(m->index, m->rows[i].key,
		    json_integer((json_int_t)i));
}

/* Returns 1 when the row was summed into one already held. */
static int
qm_merge_row(struct qmerge *m, const char *host, const json_t *row)
{
	const json_t *l = json_object_get(row, "labels");
	json_t *labels, *attrs, *at;
	struct qm_row *r;
	uint64_t c[QM_NCOUNTERS];
	char *ls, *as, *key;
	int i;

	labels = json_is_object(l) ? json_deep_copy(l) : json_object();
	json_object_set_new(labels, "host", json_string(host));
	attrs = json_deep_copy(json_object_get(row, "attributes"));
	qm_counters(json_object_get(row, "counters"), c);
	ls = json_dumps(labels, JSON_COMPACT | JSON_SORT_KEYS);
	as = json_dumps(attrs, JSON_COMPACT | JSON_SORT_KEYS);
	if (ls == NULL || as == NULL)
		abort();	/* jansson's allocation; see util.h */
	key = util_printf("%s%s", ls, as);
	free(ls);
	free(as);
	if ((at = json_object_get(m->index, key)) != NULL) {
		r = &m->rows[json_integer_value(at)];
		for (i = 0; i < QM_NCOUNTERS; i++)
			r->c[i] += c[i];
		json_decref(labels);
		json_decref(attrs);
		free(key);
		return 1;
	}
	if (m->nrows == m->cap) {
		m->cap = m->cap == 0 ? 256 : m->cap * 2;
		m->rows = util_realloc(m->rows, m->cap, sizeof *m->rows);
	}
	r = &m->rows[m->nrows];
	r->labels = labels;
	r->attrs = attrs;
	memcpy(r->c, c, sizeof c);
	r->key = key;
	json_object_set_new(m->index, key, json_integer((json_int_t)m->nrows));
	m->nrows++;
	return 0;
}

static void
qm_merge_summary(struct qmerge *m, const json_t *sum, size_t nrows,
    size_t merged)
{
	const json_t *v, *x;
	const char *k;
	uint64_t c[QM_NCOUNTERS];
	int64_t a, b;
	size_t i;
	int j;

	qm_counters(json_object_get(sum, "totals"), c);
	for (j = 0; j < QM_NCOUNTERS; j++)
		m->totals[j] += c[j];
	v = json_object_get(json_object_get(sum, "hits"), "total");
	m->hits_total += (v != NULL ? json_integer_value(v) :
	    (json_int_t)nrows) - (int64_t)merged;
	if (json_is_true(json_object_get(sum, "data_available")))
		m->data_available = 1;
	json_array_foreach(json_object_get(sum, "interfaces"), i, v)
		if (json_is_string(v))
			json_object_set_new(m->ifaces, json_string_value(v),
			    json_null());
	if ((v = json_object_get(sum, "time_first")) != NULL &&
	    qmerge_time(v, &a) == 0 && (m->first == NULL ||
	    (qmerge_time(m->first, &b) == 0 && a < b))) {
		json_decref(m->first);
		m->first = json_deep_copy(v);
	}
	if ((v = json_object_get(sum, "time_last")) != NULL &&
	    qmerge_time(v, &a) == 0 && (m->last == NULL ||
	    (qmerge_time(m->last, &b) == 0 && a > b))) {
		json_decref(m->last);
		m->last = json_deep_copy(v);
	}
	if (json_is_object(v = json_object_get(sum, "stats"))) {
		if (m->stats == NULL)
			m->stats = json_object();
		json_object_foreach((json_t *)v, k, x) {
			if (!json_is_integer(x))
				continue;
			a = json_integer_value(json_object_get(m->stats, k));
			json_object_set_new(m->stats, k, json_integer(a +
			    json_integer_value(x)));
		}
	}
}

int
qmerge_add(struct qmerge *m, const char *host, const json_t *res,
    char **cause)
{
	const char *code, *message;
	const json_t *rows, *row;
	char *why = NULL;
	size_t i, merged = 0;
	int rc;

	if (json_object_get(m->statuses, host) != NULL)
		return util_cause(cause, -EEXIST, "%s: answered twice", host);
	if ((rc = qm_check(res, &code, &message, &why)) != 0) {
		util_cause(cause, rc, "%s: a bad answer: %s", host, why);
		qm_set_status(m, host, "error", why);
		free(why);
		return rc;
	}
	if (strcmp(code, "error") == 0 ||
	    strcmp(code, "too many requests") == 0) {
		qm_set_status(m, host, "error", message != NULL ? message :
		    code);
		return 0;
	}
	if (strcmp(code, "missing_data") == 0)
		code = "missing data";	/* goProbe's spelling */
	rows = json_object_get(res, "rows");
	json_array_foreach(rows, i, row)
		merged += qm_merge_row(m, host, row);
	if (json_object_get(res, "summary") != NULL)
		qm_merge_summary(m, json_object_get(res, "summary"),
		    json_array_size(rows), merged);
	else
		m->hits_total += (int64_t)(json_array_size(rows) - merged);
	if (m->query == NULL && json_is_object(json_object_get(res, "query")))
		m->query = json_deep_copy(json_object_get(res, "query"));
	qm_set_status(m, host, code, message);
	m->answered++;
	if (m->opts.limit != 0 && m->nrows > 2 * m->opts.limit)
		qm_cut(m, m->opts.limit);
	return 0;
}

/* ---------------------------------------------------------- output */

/* Counters as goProbe writes them: zeros left out. */
static json_t *
qm_counters_json(const uint64_t c[QM_NCOUNTERS])
{
	json_t *o = json_object();
	int i;

	for (i = 0; i < QM_NCOUNTERS; i++)
		if (c[i] != 0)
			json_object_set_new(o, qm_counter_names[i],
			    json_integer((json_int_t)c[i]));
	return o;
}

static json_t *
qm_rfc3339(int64_t ns)
{
	char buf[64];
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long long)(ns % 1000000000));
	return json_string(buf);
}

static int
qm_cmp_strp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *
qmerge_result(struct qmerge *m, int64_t query_start_ns)
{
	json_t *o, *sum, *rows, *ifaces, *row;
	struct timespec now;
	const char **names, *k;
	json_t *v;
	size_t i, n;
	int64_t now_ns;

	qm_cut(m, m->opts.limit);
	clock_gettime(CLOCK_REALTIME, &now);
	now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;

	o = json_object();
	if (m->nrows > 0)
		json_object_set_new(o, "status", json_pack("{s:s}", "code",
		    "ok"));
	else if (m->answered == 0)
		json_object_set_new(o, "status", json_pack("{s:s,s:s}", "code",
		    "error", "message", qmerge_hosts(m) == 0 ? "no host asked" :
		    "no host answered"));
	else if (m->data_available)
		json_object_set_new(o, "status", json_pack("{s:s,s:s}", "code",
		    "empty", "message", "query returned no results"));
	else
		json_object_set_new(o, "status", json_pack("{s:s,s:s}", "code",
		    "missing data", "message", "no data available for the "
		    "specified interface(s) / time range"));
	json_object_set_new(o, "hosts_statuses", json_deep_copy(m->statuses));

	n = json_object_size(m->ifaces);
	names = util_calloc(n + 1, sizeof *names);
	i = 0;
	json_object_foreach(m->ifaces, k, v)
		names[i++] = k;
	if (n > 1)
		qsort(names, n, sizeof *names, qm_cmp_strp);
	ifaces = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(ifaces, json_string(names[i]));
	free(names);

	sum = json_object();
	json_object_set_new(sum, "interfaces", ifaces);
	if (m->first != NULL)
		json_object_set(sum, "time_first", m->first);
	if (m->last != NULL)
		json_object_set(sum, "time_last", m->last);
	json_object_set_new(sum, "totals", qm_counters_json(m->totals));
	json_object_set_new(sum, "timings", json_pack("{s:o,s:I}",
	    "query_start", qm_rfc3339(query_start_ns), "query_duration_ns",
	    (json_int_t)(now_ns - query_start_ns)));
	json_object_set_new(sum, "hits", json_pack("{s:I,s:I}", "displayed",
	    (json_int_t)m->nrows, "total", (json_int_t)(m->hits_total > 0 ?
	    m->hits_total : 0)));
	json_object_set_new(sum, "data_available",
	    json_boolean(m->data_available));
	if (m->stats != NULL)
		json_object_set_new(sum, "stats", json_deep_copy(m->stats));
	json_object_set_new(o, "summary", sum);
	json_object_set_new(o, "query", m->query != NULL ?
	    json_deep_copy(m->query) : json_pack("{s:[]}", "attributes"));

	rows = json_array();
	for (i = 0; i < m->nrows; i++) {
		row = json_object();
		json_object_set(row, "labels", m->rows[i].labels);
		json_object_set(row, "attributes", m->rows[i].attrs);
		json_object_set_new(row, "counters",
		    qm_counters_json(m->rows[i].c));
		json_array_append_new(rows, row);
	}
	json_object_set_new(o, "rows", rows);
	return o;
}
