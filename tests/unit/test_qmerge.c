/*
 * test_qmerge.c - merging hosts' results.Result documents (qmerge.c):
 * goProbe-shaped answers, host labels, sums, totals and hit counts, the
 * orders goProbe sorts by, the cut to num_results while streaming (checked
 * against a merge of everything at once), statuses, and bad answers.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmerge.h"
#include "tap.h"

static json_t *
parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (j == NULL) {
		printf("# test JSON: %s at %d: %s\n", e.text, e.position, text);
		exit(99);
	}
	return j;
}

static int
add(struct qmerge *m, const char *host, const char *text)
{
	json_t *j = parse(text);
	char *cause = NULL;
	int rc = qmerge_add(m, host, j, &cause);

	json_decref(j);
	free(cause);
	return rc;
}

static struct qmerge *
merge_new(const char *args)
{
	struct qmerge_opts o;
	json_t *a = parse(args);

	if (qmerge_opts_from_args(a, &o, NULL) != 0)
		exit(99);
	json_decref(a);
	return qmerge_new(&o);
}

static const char *
row_s(const json_t *res, size_t i, const char *obj, const char *key)
{
	return json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(res, "rows"), i), obj), key));
}

static long long
row_i(const json_t *res, size_t i, const char *obj, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(res, "rows"), i), obj), key));
}

static const char *
path_s(const json_t *j, const char *a, const char *b, const char *c)
{
	j = json_object_get(j, a);
	if (b != NULL)
		j = json_object_get(j, b);
	if (c != NULL)
		j = json_object_get(j, c);
	return json_string_value(j);
}

static long long
path_i(const json_t *j, const char *a, const char *b, const char *c)
{
	j = json_object_get(j, a);
	if (b != NULL)
		j = json_object_get(j, b);
	if (c != NULL)
		j = json_object_get(j, c);
	return json_integer_value(j);
}

static const char host_a[] =
    "{\"hostname\":\"a\",\"status\":{\"code\":\"ok\"},"
    "\"hosts_statuses\":{\"a\":{\"code\":\"ok\"}},"
    "\"summary\":{\"interfaces\":[\"eth0\"],"
    "\"time_first\":\"2024-04-12T09:00:00+02:00\","
    "\"time_last\":\"2024-04-12T10:00:00+02:00\","
    "\"totals\":{\"br\":1000,\"bs\":500,\"pr\":10,\"ps\":5},"
    "\"timings\":{\"query_start\":\"2024-04-12T10:00:01Z\","
    "\"query_duration_ns\":5},"
    "\"hits\":{\"displayed\":2,\"total\":7},\"data_available\":true},"
    "\"query\":{\"attributes\":[\"sip\",\"dip\",\"dport\",\"proto\"],"
    "\"condition\":\"dport = 22\"},"
    "\"rows\":["
    "{\"labels\":{\"iface\":\"eth0\"},\"attributes\":{\"sip\":\"10.0.0.1\","
    "\"dip\":\"10.0.0.2\",\"proto\":6,\"dport\":22},"
    "\"counters\":{\"br\":600,\"bs\":100,\"pr\":6,\"ps\":1}},"
    "{\"labels\":{\"iface\":\"eth0\"},\"attributes\":{\"sip\":\"10.0.0.3\","
    "\"dip\":\"10.0.0.2\",\"proto\":6,\"dport\":22},"
    "\"counters\":{\"br\":100}}]}";

static const char host_b[] =
    "{\"status\":{\"code\":\"ok\"},"
    "\"summary\":{\"interfaces\":[\"eth1\",\"eth0\"],"
    "\"time_first\":\"2024-04-12T06:30:00Z\","
    "\"time_last\":\"2024-04-12T08:00:00Z\","
    "\"totals\":{\"br\":300,\"bs\":300,\"pr\":3,\"ps\":3},"
    "\"hits\":{\"displayed\":1,\"total\":3},\"data_available\":true},"
    "\"rows\":["
    "{\"labels\":{\"iface\":\"eth1\"},\"attributes\":{\"dport\":22,"
    "\"proto\":6,\"dip\":\"10.0.0.2\",\"sip\":\"10.0.0.1\"},"
    "\"counters\":{\"bs\":300,\"br\":300,\"ps\":3,\"pr\":3}}]}";

static void
test_basic(void)
{
	struct qmerge *m = merge_new("{}");
	json_t *r;

	is_int(add(m, "a", host_a), 0, "host a merged");
	is_int(add(m, "b", host_b), 0, "host b merged");
	is_int(add(m, "a", host_a), -EEXIST, "a second answer of a refused");
	qmerge_fail(m, "c", "connection refused");
	is_int(qmerge_hosts(m), 3, "three hosts");
	is_int(qmerge_answered(m), 2, "two answered");
	r = qmerge_result(m, 1712908800LL * 1000000000);
	is_str(path_s(r, "status", "code", NULL), "ok", "status ok");
	is_int(json_array_size(json_object_get(r, "rows")), 3, "three rows");
	is_str(row_s(r, 0, "labels", "host"), "a", "top row from a");
	is_int(row_i(r, 0, "counters", "br"), 600, "its br");
	is_str(row_s(r, 1, "labels", "host"), "b", "second from b (600 B)");
	is_str(row_s(r, 1, "labels", "iface"), "eth1", "b's iface label kept");
	is_int(row_i(r, 1, "counters", "ps"), 3, "b's ps");
	is_str(row_s(r, 2, "attributes", "sip"), "10.0.0.3", "third");
	ok(json_object_get(json_object_get(json_array_get(json_object_get(r,
	    "rows"), 2), "counters"), "bs") == NULL,
	    "zero counters left out, as goProbe writes them");
	is_int(path_i(r, "summary", "totals", "br"), 1300, "totals br summed");
	is_int(path_i(r, "summary", "totals", "ps"), 8, "totals ps summed");
	is_int(path_i(r, "summary", "hits", "total"), 10, "hits total summed");
	is_int(path_i(r, "summary", "hits", "displayed"), 3, "hits displayed");
	is_int(json_array_size(json_object_get(json_object_get(r, "summary"),
	    "interfaces")), 2, "interfaces: the union");
	is_str(json_string_value(json_array_get(json_object_get(
	    json_object_get(r, "summary"), "interfaces"), 0)), "eth0",
	    "interfaces sorted");
	is_str(path_s(r, "summary", "time_first", NULL), "2024-04-12T06:30:00Z",
	    "time_first: the earliest (zones compared)");
	is_str(path_s(r, "summary", "time_last", NULL),
	    "2024-04-12T10:00:00+02:00", "time_last: the latest");
	ok(json_is_true(json_object_get(json_object_get(r, "summary"),
	    "data_available")), "data available");
	is_str(path_s(r, "hosts_statuses", "a", "code"), "ok", "a ok");
	is_str(path_s(r, "hosts_statuses", "b", "code"), "ok", "b ok");
	is_str(path_s(r, "hosts_statuses", "c", "code"), "error", "c error");
	is_str(path_s(r, "hosts_statuses", "c", "message"),
	    "connection refused", "c's message");
	is_str(path_s(r, "query", "condition", NULL), "dport = 22",
	    "the query kept");
	is_str(path_s(r, "summary", "timings", "query_start"),
	    "2024-04-12T08:00:00.000000000Z", "query_start");
	json_decref(r);
	qmerge_free(m);
}

static void
test_sum(void)
{
	struct qmerge *m = merge_new("{\"num_results\":10}");
	json_t *r;

	/* The same row twice in one answer (and keys in another order). */
	is_int(add(m, "h", "{\"status\":{\"code\":\"ok\"},\"summary\":"
	    "{\"hits\":{\"total\":5},\"totals\":{\"br\":9}},\"rows\":["
	    "{\"labels\":{\"iface\":\"e\"},\"attributes\":{\"sip\":\"1.1.1.1\","
	    "\"dport\":53},\"counters\":{\"br\":4,\"pr\":1}},"
	    "{\"labels\":{\"iface\":\"e\"},\"attributes\":{\"dport\":53,"
	    "\"sip\":\"1.1.1.1\"},\"counters\":{\"br\":5,\"pr\":2}}]}"), 0,
	    "an answer with a row twice");
	r = qmerge_result(m, 0);
	is_int(json_array_size(json_object_get(r, "rows")), 1, "one row");
	is_int(row_i(r, 0, "counters", "br"), 9, "br summed");
	is_int(row_i(r, 0, "counters", "pr"), 3, "pr summed");
	is_int(path_i(r, "summary", "hits", "total"), 4,
	    "hits total less the row merged");
	json_decref(r);
	qmerge_free(m);
}

/* ---------------------------------------- against a merge of it all */

struct ref_row {
	int		 host;
	unsigned	 sip, dport;
	unsigned long long c[4];
};

static unsigned rnd_state = 12345;

static unsigned
rnd(unsigned n)
{
	rnd_state = rnd_state * 1103515245 + 12345;
	return (rnd_state >> 8) % n;
}

static const char *ref_sort;	/* "bytes" or "packets" */
static int ref_dir, ref_asc;	/* 0 both, 1 in, 2 out */

static unsigned long long
ref_metric(const struct ref_row *r)
{
	int b = strcmp(ref_sort, "packets") == 0 ? 2 : 0;

	return ref_dir == 1 ? r->c[b] : ref_dir == 2 ? r->c[b + 1] :
	    r->c[b] + r->c[b + 1];
}

static int
ref_cmp(const void *pa, const void *pb)
{
	const struct ref_row *a = pa, *b = pb;
	unsigned long long x = ref_metric(a), y = ref_metric(b);
	int c;

	if (x != y)
		c = x < y ? -1 : 1;
	else if (a->sip != b->sip)
		c = a->sip < b->sip ? -1 : 1;
	else if (a->dport != b->dport)
		c = a->dport < b->dport ? -1 : 1;
	else
		c = a->host < b->host ? -1 : a->host > b->host;
	return ref_asc ? c : -c;
}

static void
test_property(const char *sort, int dir, int asc, int limit, int nhosts)
{
	struct ref_row *all, *mine;
	size_t nall = 0, i, k, per;
	struct qmerge *m;
	json_t *res, *rows, *row, *r;
	char host[16], sip[32], *args;
	int h, good = 1;
	unsigned long long total_br = 0;

	ref_sort = sort;
	ref_dir = dir;
	ref_asc = asc;
	all = calloc((size_t)nhosts * 40, sizeof *all);
	mine = calloc(40, sizeof *mine);
	args = util_printf("{\"sort_by\":\"%s\",\"in\":%s,\"out\":%s,"
	    "\"sort_ascending\":%s,\"num_results\":%d}", sort,
	    dir == 1 ? "true" : "false", dir == 2 ? "true" : "false",
	    asc ? "true" : "false", limit);
	m = merge_new(args);
	free(args);
	for (h = 0; h < nhosts; h++) {
		/* each host: up to 40 distinct rows, cut to limit there */
		per = rnd(40);
		for (i = 0; i < per; i++) {
			mine[i].host = h;
			mine[i].sip = i * 7 % 40 + 1;	/* distinct per host */
			mine[i].dport = rnd(3) == 0 ? 22 : 443;
			for (k = 0; k < 4; k++)
				mine[i].c[k] = rnd(3) == 0 ? 0 : rnd(1000);
			total_br += mine[i].c[0];
		}
		qsort(mine, per, sizeof *mine, ref_cmp);
		res = json_pack("{s:{s:s},s:{s:{s:I},s:{s:I},s:b},s:[]}",
		    "status", "code", per ? "ok" : "empty", "summary",
		    "totals", "br", (json_int_t)0, "hits", "total",
		    (json_int_t)per, "data_available", 1, "rows");
		rows = json_object_get(res, "rows");
		for (i = 0; i < per && i < (size_t)limit; i++) {
			snprintf(sip, sizeof sip, "10.0.%u.%u", mine[i].sip / 256,
			    mine[i].sip % 256);
			row = json_pack("{s:{s:s},s:{s:s,s:i},s:{}}", "labels",
			    "iface", "eth0", "attributes", "sip", sip, "dport",
			    (int)mine[i].dport, "counters");
			for (k = 0; k < 4; k++)
				if (mine[i].c[k] != 0)
					json_object_set_new(json_object_get(row,
					    "counters"), (const char *[]){ "br",
					    "bs", "pr", "ps" }[k],
					    json_integer((json_int_t)
					    mine[i].c[k]));
			json_array_append_new(rows, row);
		}
		for (i = 0; i < per; i++)
			all[nall++] = mine[i];
		snprintf(host, sizeof host, "h%02d", h);
		if (qmerge_add(m, host, res, NULL) != 0)
			good = 0;
		json_decref(res);
	}
	qsort(all, nall, sizeof *all, ref_cmp);
	r = qmerge_result(m, 0);
	rows = json_object_get(r, "rows");
	if (json_array_size(rows) != (nall < (size_t)limit ? nall :
	    (size_t)limit))
		good = 0;
	json_array_foreach(rows, i, row) {
		snprintf(host, sizeof host, "h%02d", all[i].host);
		snprintf(sip, sizeof sip, "10.0.%u.%u", all[i].sip / 256,
		    all[i].sip % 256);
		if (strcmp(row_s(r, i, "labels", "host"), host) != 0 ||
		    strcmp(row_s(r, i, "attributes", "sip"), sip) != 0 ||
		    (unsigned long long)row_i(r, i, "counters", "br") !=
		    all[i].c[0] ||
		    (unsigned long long)row_i(r, i, "counters", "ps") !=
		    all[i].c[3]) {
			printf("#   row %zu: got %s %s br %lld, want %s %s br "
			    "%llu\n", i, row_s(r, i, "labels", "host"),
			    row_s(r, i, "attributes", "sip"),
			    row_i(r, i, "counters", "br"), host, sip,
			    all[i].c[0]);
			good = 0;
			break;
		}
	}
	if (path_i(r, "summary", "hits", "total") != (long long)nall)
		good = 0;
	ok(good, "%d hosts, %s %s %s, top %d: the streamed merge equals "
	    "the merge of every row (%zu rows)", nhosts, sort,
	    dir == 0 ? "both" : dir == 1 ? "in" : "out",
	    asc ? "ascending" : "descending", limit, nall);
	(void)total_br;
	json_decref(r);
	qmerge_free(m);
	free(all);
	free(mine);
}

static void
test_order(void)
{
	struct qmerge *m = merge_new("{\"num_results\":5}");
	json_t *r;

	/* equal bytes: attributes decide, IPv4 before IPv6, descending */
	add(m, "x", "{\"rows\":["
	    "{\"attributes\":{\"sip\":\"::1\"},\"counters\":{\"br\":5}},"
	    "{\"attributes\":{\"sip\":\"9.0.0.1\"},\"counters\":{\"br\":5}},"
	    "{\"attributes\":{\"sip\":\"10.0.0.1\"},\"counters\":{\"bs\":5}},"
	    "{\"attributes\":{\"sip\":\"2.0.0.1\"},\"counters\":{\"br\":6}}]}");
	r = qmerge_result(m, 0);
	is_str(row_s(r, 0, "attributes", "sip"), "2.0.0.1", "most bytes first");
	is_str(row_s(r, 1, "attributes", "sip"), "::1",
	    "ties descending: IPv6 above IPv4");
	is_str(row_s(r, 2, "attributes", "sip"), "10.0.0.1",
	    "then 10.0.0.1 above 9.0.0.1 (as numbers)");
	is_str(row_s(r, 3, "attributes", "sip"), "9.0.0.1", "last");
	is_str(path_s(r, "status", "code", NULL), "ok",
	    "an answer without status or summary is ok");
	json_decref(r);
	qmerge_free(m);

	m = merge_new("{\"sort_by\":\"time\",\"sort_ascending\":true}");
	add(m, "x", "{\"rows\":["
	    "{\"labels\":{\"timestamp\":\"2024-01-01T01:00:00Z\"},"
	    "\"attributes\":{\"dport\":1},\"counters\":{\"br\":9}},"
	    "{\"labels\":{\"timestamp\":\"2024-01-01T01:30:00+01:00\"},"
	    "\"attributes\":{\"dport\":1},\"counters\":{\"br\":1}}]}");
	r = qmerge_result(m, 0);
	is_str(row_s(r, 0, "labels", "timestamp"), "2024-01-01T01:30:00+01:00",
	    "sorted by time: 00:30Z before 01:00Z");
	json_decref(r);
	qmerge_free(m);
}

static void
test_statuses(void)
{
	struct qmerge *m;
	json_t *r;
	char *cause = NULL;
	json_t *j;

	m = merge_new("{}");
	add(m, "e1", "{\"status\":{\"code\":\"empty\",\"message\":\"query "
	    "returned no results\"},\"summary\":{\"data_available\":true},"
	    "\"rows\":null}");
	add(m, "md", "{\"status\":{\"code\":\"missing data\"},\"rows\":[]}");
	add(m, "err", "{\"status\":{\"code\":\"error\",\"message\":\"disk on "
	    "fire\"},\"rows\":[{\"attributes\":{},\"counters\":{\"br\":1}}]}");
	r = qmerge_result(m, 0);
	is_str(path_s(r, "status", "code", NULL), "empty",
	    "no rows but data: empty");
	is_str(path_s(r, "hosts_statuses", "e1", "code"), "empty", "e1 empty");
	is_str(path_s(r, "hosts_statuses", "md", "code"), "missing data",
	    "md missing data (goProbe's spelling)");
	is_str(path_s(r, "hosts_statuses", "err", "message"), "disk on fire",
	    "a host's own error message");
	is_int(json_array_size(json_object_get(r, "rows")), 0,
	    "an error answer's rows are not merged");
	is_int(qmerge_answered(m), 2, "empty and missing_data answered");
	json_decref(r);
	qmerge_free(m);

	m = merge_new("{}");
	qmerge_fail(m, "x", "timed out after 10 s");
	r = qmerge_result(m, 0);
	is_str(path_s(r, "status", "code", NULL), "error",
	    "nobody answered: error");
	is_str(path_s(r, "status", "message", NULL), "no host answered",
	    "its message");
	json_decref(r);
	qmerge_free(m);

	m = merge_new("{}");
	add(m, "md", "{\"status\":{\"code\":\"missing_data\"}}");
	r = qmerge_result(m, 0);
	is_str(path_s(r, "status", "code", NULL), "missing data",
	    "no data anywhere: missing data");
	is_str(path_s(r, "hosts_statuses", "md", "code"), "missing data",
	    "missing_data read as goProbe's missing data");
	json_decref(r);
	qmerge_free(m);

	/* bad answers: the host's error, nothing of them merged */
	static const struct { const char *json, *want; } bad[] = {
		{ "[1,2]", "not a JSON object" },
		{ "{\"status\":{\"code\":\"fine\"}}", "unknown code" },
		{ "{\"status\":{}}", "status: no code" },
		{ "{\"hello\":1}", "neither status nor rows" },
		{ "{\"rows\":{}}", "rows: not an array" },
		{ "{\"rows\":[{\"attributes\":{\"dport\":1},\"counters\":"
		  "{\"br\":1}},{\"counters\":{}}]}", "row 2: no attributes" },
		{ "{\"rows\":[{\"attributes\":{},\"counters\":{\"br\":-1}}]}",
		  "row 1: counters" },
		{ "{\"rows\":[{\"attributes\":{},\"counters\":{\"br\":1.5}}]}",
		  "row 1: counters" },
		{ "{\"rows\":[{\"attributes\":{},\"labels\":[]}]}",
		  "row 1: labels" },
		{ "{\"rows\":[],\"summary\":{\"totals\":{\"pr\":\"x\"}}}",
		  "summary.totals" },
		{ "{\"rows\":[],\"summary\":{\"hits\":{\"total\":-4}}}",
		  "summary.hits.total" },
		{ "{\"rows\":[],\"summary\":[]}", "summary: not an object" },
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		m = merge_new("{}");
		j = parse(bad[i].json);
		cause = NULL;
		ok(qmerge_add(m, "bad", j, &cause) == -EINVAL && cause != NULL &&
		    strstr(cause, bad[i].want) != NULL,
		    "bad answer refused: %s", bad[i].want);
		json_decref(j);
		free(cause);
		r = qmerge_result(m, 0);
		ok(json_array_size(json_object_get(r, "rows")) == 0 &&
		    strcmp(path_s(r, "hosts_statuses", "bad", "code"),
		    "error") == 0 && strstr(path_s(r, "hosts_statuses", "bad",
		    "message"), bad[i].want) != NULL,
		    "... as the host's error, nothing merged");
		json_decref(r);
		qmerge_free(m);
	}
}

static void
test_opts(void)
{
	struct qmerge_opts o;
	json_t *a;
	char *cause = NULL;

	a = parse("{}");
	is_int(qmerge_opts_from_args(a, &o, NULL), 0, "no keys: defaults");
	ok(o.sort == QMERGE_SORT_BYTES && o.dir == QMERGE_DIR_BOTH &&
	    !o.ascending && o.limit == 1000, "bytes, both, descending, 1000");
	json_decref(a);
	a = parse("{\"sort_by\":\"packets\",\"out\":true,\"num_results\":3,"
	    "\"sort_ascending\":true}");
	qmerge_opts_from_args(a, &o, NULL);
	ok(o.sort == QMERGE_SORT_PACKETS && o.dir == QMERGE_DIR_OUT &&
	    o.ascending && o.limit == 3, "packets, out, ascending, 3");
	json_decref(a);
	a = parse("{\"in\":true,\"out\":true}");
	qmerge_opts_from_args(a, &o, NULL);
	ok(o.dir == QMERGE_DIR_BOTH, "in and out: both");
	json_decref(a);
	a = parse("{\"sort_by\":\"flows\"}");
	ok(qmerge_opts_from_args(a, &o, &cause) == -EINVAL && cause != NULL &&
	    strstr(cause, "'flows'") != NULL, "an unknown sort_by refused");
	free(cause);
	json_decref(a);
	a = parse("{\"num_results\":\"ten\"}");
	ok(qmerge_opts_from_args(a, &o, NULL) == -EINVAL,
	    "num_results not a number refused");
	json_decref(a);
}

int
main(void)
{
	static const char *sorts[] = { "bytes", "packets" };
	int s, d, a;

	test_basic();
	test_sum();
	test_order();
	test_statuses();
	test_opts();
	for (s = 0; s < 2; s++)
		for (d = 0; d < 3; d++)
			for (a = 0; a < 2; a++)
				test_property(sorts[s], d, a, 7, 30);
	test_property("bytes", 0, 0, 1, 50);
	test_property("bytes", 0, 0, 1000, 20);
	test_property("packets", 2, 0, 3, 200);
	return tap_done();
}
