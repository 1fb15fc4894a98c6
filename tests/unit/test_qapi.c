/*
 * test_qapi.c - goProbe's query arguments and Result document: parsing
 * good and bad Args, validation as Args.Prepare(), a run over a store
 * written here, a cancelled and a timed out run, and the document
 * compared with what `flowq -e json` prints for the same store.
 */
#include "config.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qapi.h"
#include "store.h"
#include "util.h"

#include "tap.h"

#define T0	1742774400LL	/* 2025-03-24 00:00:00 UTC */

static char root[] = "/tmp/test_qapi.XXXXXX";

static void
row_set(struct flowtab_row *r, const char *sip, const char *dip,
    uint16_t dport, uint8_t proto, uint64_t br, uint64_t bs, uint64_t pr,
    uint64_t ps)
{
	memset(r, 0, sizeof *r);
	r->key.family = strchr(sip, ':') != NULL ? 6 : 4;
	if (inet_pton(r->key.family == 4 ? AF_INET : AF_INET6, sip,
	    r->key.sip) != 1 || inet_pton(r->key.family == 4 ? AF_INET :
	    AF_INET6, dip, r->key.dip) != 1)
		abort();
	r->key.dport = dport;
	r->key.proto = proto;
	r->bytes_rcvd = br;
	r->bytes_sent = bs;
	r->pkts_rcvd = pr;
	r->pkts_sent = ps;
}

static void
write_bin(const char *iface, int64_t ts, struct flowtab_row *rows, size_t n)
{
	struct flowtab_bin		 bin;
	struct store_write_result	 res;
	struct store			*st = store_new(root, iface);
	char				*cause = NULL;

	memset(&bin, 0, sizeof bin);
	bin.ts = ts;
	bin.interval = 300;
	bin.rows = rows;
	bin.nrows = n;
	if (store_write_bin(st, &bin, &res, &cause) != 0) {
		printf("Bail out! store_write_bin: %s\n", cause);
		exit(1);
	}
	store_free(st);
}

static void
make_store(void)
{
	struct flowtab_row r[3];

	row_set(&r[0], "10.0.0.1", "10.0.0.2", 443, 6, 1000, 200, 10, 2);
	row_set(&r[1], "10.0.0.3", "10.0.0.2", 53, 17, 80, 0, 1, 0);
	row_set(&r[2], "2001:db8::1", "2001:db8::2", 80, 6, 5, 6, 7, 8);
	write_bin("eth0", T0, r, 3);
	row_set(&r[0], "10.0.0.1", "10.0.0.2", 443, 6, 5000, 1, 1, 1);
	write_bin("eth0", T0 + 300, r, 1);
	row_set(&r[0], "192.0.2.1", "192.0.2.2", 22, 6, 300, 400, 3, 4);
	write_bin("eth1", T0, r, 1);
}

static struct qargs *
parse(const char *json, char **cause)
{
	struct qargs *a = NULL;

	free(*cause);
	*cause = NULL;
	if (qapi_args_parse(json, strlen(json), &a, cause) != 0)
		return NULL;
	return a;
}

static void
test_parse(void)
{
	struct qargs	*a;
	char		*cause = NULL;

	a = parse("{\"query\":\"sip,dip\",\"ifaces\":\"eth0\",\"condition\":"
	    "\"dport=443\",\"in\":true,\"first\":\"-1d\",\"sort_by\":"
	    "\"packets\",\"num_results\":5,\"sort_ascending\":true,"
	    "\"dns_resolution\":{\"enabled\":true,\"timeout\":2000000000,"
	    "\"max_rows\":3},\"query_hosts\":\"a,b\",\"hostname\":\"x\","
	    "\"keepalive\":1000,\"caller\":\"test\",\"format\":\"json\"}",
	    &cause);
	ok(a != NULL, "full Args parse");
	if (a != NULL) {
		is_str(a->query, "sip,dip", "query");
		is_str(a->ifaces, "eth0", "ifaces");
		is_str(a->condition, "dport=443", "condition");
		is_int(a->in, 1, "in");
		is_int(a->out, 0, "out");
		is_str(a->sort_by, "packets", "sort_by");
		is_int(a->num_results, 5, "num_results");
		is_int(a->sort_ascending, 1, "sort_ascending");
		is_int(a->dns_resolution.enabled, 1, "dns enabled");
		is_int(a->dns_resolution.timeout_ns, 2000000000, "dns timeout");
		is_int(a->dns_resolution.max_rows, 3, "dns max_rows");
		is_str(a->query_hosts, "a,b", "query_hosts kept");
		is_int(a->keepalive_ns, 1000, "keepalive");
		is_int(qapi_args_validate(a, &cause), 0, "valid");
	}
	qapi_args_free(a);

	a = parse("{\"query\":\"talk_src\",\"ifaces\":\"any\"}", &cause);
	ok(a != NULL, "minimal Args");
	if (a != NULL) {
		is_int(a->num_results, QAPI_DEFAULT_NUM_RESULTS,
		    "num_results default");
		is_int(a->max_mem_pct, QAPI_DEFAULT_MAX_MEM_PCT,
		    "max_mem_pct default");
		is_int(a->dns_resolution.max_rows, QAPI_DEFAULT_DNS_ROWS,
		    "dns max_rows default");
	}
	qapi_args_free(a);

	a = parse("[1]", &cause);
	ok(a == NULL && cause != NULL && strncmp(cause, "body:", 5) == 0,
	    "not an object: body");
	a = parse("{\"query\":", &cause);
	ok(a == NULL && cause != NULL && strncmp(cause, "body:", 5) == 0,
	    "truncated JSON: body");
	a = parse("{\"query\":5}", &cause);
	ok(a == NULL && cause != NULL && strncmp(cause, "query:", 6) == 0,
	    "query a number: names query");
	a = parse("{\"num_results\":-1}", &cause);
	ok(a == NULL && cause != NULL && strncmp(cause, "num_results:",
	    12) == 0, "negative num_results");
	a = parse("{\"in\":\"yes\"}", &cause);
	ok(a == NULL && cause != NULL && strncmp(cause, "in:", 3) == 0,
	    "in a string");
	a = parse("{\"bogus\":1}", &cause);
	ok(a == NULL && cause != NULL && strstr(cause, "bogus: unknown") !=
	    NULL, "unknown field named");
	a = parse("{\"dns_resolution\":{\"enabled\":1}}", &cause);
	ok(a == NULL && cause != NULL && strncmp(cause,
	    "dns_resolution.enabled:", 23) == 0, "dns enabled a number");
	a = parse("{\"query\":\"a\",\"query\":\"b\"}", &cause);
	ok(a == NULL && cause != NULL, "duplicate key refused");
	free(cause);
}

/* Validation failures name their field. */
static void
bad(const char *json, const char *field)
{
	struct qargs	*a;
	char		*cause = NULL;

	a = parse(json, &cause);
	if (a == NULL) {
		ok(0, "%s parses: %s", json, cause);
		free(cause);
		return;
	}
	ok(qapi_args_validate(a, &cause) != 0 && cause != NULL &&
	    strstr(cause, field) != NULL, "%s: refused naming '%s'", json,
	    field);
	if (cause != NULL && strstr(cause, field) == NULL)
		printf("#   cause: %s\n", cause);
	free(cause);
	qapi_args_free(a);
}

static void
test_validate(void)
{
	bad("{\"query\":\"talk_sideways\",\"ifaces\":\"eth0\"}", "query:");
	bad("{\"ifaces\":\"eth0\"}", "query:");
	bad("{\"query\":\"sip\"}", "ifaces:");
	bad("{\"query\":\"sip\",\"ifaces\":\"..\"}", "ifaces:");
	bad("{\"query\":\"sip\",\"ifaces\":\"a/b\"}", "ifaces:");
	bad("{\"query\":\"sip\",\"ifaces\":\"eth0\",\"format\":\"xml\"}",
	    "format:");
	bad("{\"query\":\"sip\",\"ifaces\":\"eth0\",\"sort_by\":\"x\"}",
	    "sort_by:");
	bad("{\"query\":\"sip\",\"ifaces\":\"eth0\",\"first\":\"yesterday\"}",
	    "invalid time");
	bad("{\"query\":\"sip,time\",\"ifaces\":\"eth0\",\"time_resolution\":"
	    "\"7m\"}", "time_resolution:");
	bad("{\"query\":\"sip\",\"ifaces\":\"eth0\",\"condition\":\"dport <\"}",
	    "invalid condition");
	bad("{\"query\":\"sip\",\"ifaces\":\"eth0\",\"max_mem_pct\":101}",
	    "max_mem_pct:");
	bad("{\"query\":\"sip\",\"ifaces\":\"eth0\",\"keepalive\":-1}",
	    "keepalive:");
	bad("{\"query\":\"sip\",\"ifaces\":\"eth0\",\"dns_resolution\":"
	    "{\"enabled\":true,\"timeout\":0}}", "dns_resolution.timeout:");
	/* several bad fields: each on a line */
	bad("{\"query\":\"x\",\"ifaces\":\"eth0\",\"sort_by\":\"y\"}",
	    "\nsort_by:");
}

static json_t *
run(const char *json, volatile int *cancel, double timeout, char **cause)
{
	struct qargs	*a;
	json_t		*doc;

	if ((a = parse(json, cause)) == NULL)
		return NULL;
	doc = qapi_run(a, root, "testhost", cancel, timeout, cause);
	qapi_args_free(a);
	return doc;
}

static void
test_run(void)
{
	json_t		*doc, *rows, *r0;
	volatile int	 cancel = 1;
	char		*cause = NULL, *text;

	doc = run("{\"query\":\"sip\",\"ifaces\":\"eth0\",\"first\":"
	    "\"1742774400\",\"last\":\"1742860800\"}", NULL, 0, &cause);
	ok(doc != NULL, "run sip on eth0");
	if (doc == NULL) {
		printf("# %s\n", cause);
		return;
	}
	is_str(json_string_value(json_object_get(doc, "hostname")), "testhost",
	    "hostname");
	is_str(json_string_value(json_object_get(json_object_get(doc,
	    "status"), "code")), "ok", "status ok");
	ok(json_object_get(json_object_get(doc, "hosts_statuses"),
	    "testhost") != NULL, "hosts_statuses has the host");
	rows = json_object_get(doc, "rows");
	is_int(json_array_size(rows), 3, "three sources");
	r0 = json_array_get(rows, 0);
	is_str(json_string_value(json_object_get(json_object_get(r0,
	    "attributes"), "sip")), "10.0.0.1", "top talker first");
	is_int(json_integer_value(json_object_get(json_object_get(r0,
	    "counters"), "br")), 6000, "br summed over two bins");
	is_str(json_string_value(json_object_get(json_object_get(r0,
	    "labels"), "iface")), "eth0", "labels.iface");
	is_str(json_string_value(json_object_get(json_object_get(json_object_get(
	    doc, "summary"), "timings"), "query_start")) != NULL ? "set" :
	    "unset", "set", "timings.query_start");
	is_str(json_string_value(json_object_get(json_object_get(doc,
	    "summary"), "time_first")), "2025-03-24T00:00:00Z",
	    "time_first RFC 3339");
	text = qapi_dumps(doc);
	ok(strstr(text, "\"totals\":{\"br\":6085,\"bs\":207,\"pr\":19,"
	    "\"ps\":11}") != NULL, "totals br bs pr ps");
	ok(strstr(text, "\"hits\":{\"displayed\":3,\"total\":3}") != NULL,
	    "hits");
	ok(strstr(text, "\"data_available\":true") != NULL, "data_available");
	free(text);
	json_decref(doc);

	/* time: ascending time order, -n keeps the first bins */
	doc = run("{\"query\":\"time\",\"ifaces\":\"eth0\",\"first\":"
	    "\"1742774400\",\"last\":\"1742860800\",\"num_results\":1}", NULL,
	    0, &cause);
	rows = json_object_get(doc, "rows");
	is_int(json_array_size(rows), 1, "time -n 1: one row");
	is_str(json_string_value(json_object_get(json_object_get(
	    json_array_get(rows, 0), "labels"), "timestamp")),
	    "2025-03-24T00:00:00Z", "time -n 1: the first bin, not the "
	    "busiest");
	json_decref(doc);

	/* escaping as Go's encoder */
	doc = run("{\"query\":\"dport\",\"ifaces\":\"eth0\",\"first\":\"0\","
	    "\"condition\":\"dport < 100 & proto = tcp\"}", NULL, 0, &cause);
	text = doc != NULL ? qapi_dumps(doc) : util_strdup("");
	ok(strstr(text, "\\u003c") != NULL && strchr(text, '<') == NULL,
	    "< written as \\u003c");
	free(text);
	json_decref(doc);

	doc = run("{\"query\":\"sip\",\"ifaces\":\"eth0\",\"first\":\"0\","
	    "\"condition\":\"dport = 1\"}", NULL, 0, &cause);
	is_str(json_string_value(json_object_get(json_object_get(doc,
	    "status"), "code")), "empty", "no match: empty");
	json_decref(doc);
	doc = run("{\"query\":\"sip\",\"ifaces\":\"eth0\",\"first\":"
	    "\"2020-01-01T00:00:00Z\",\"last\":\"2020-01-02T00:00:00Z\"}",
	    NULL, 0, &cause);
	is_str(json_string_value(json_object_get(json_object_get(doc,
	    "status"), "code")), "missing data", "no data: missing data");
	json_decref(doc);

	doc = run("{\"query\":\"sip\",\"ifaces\":\"fpt\"}", NULL, 0, &cause);
	ok(doc == NULL && cause != NULL && strstr(cause, "unknown interface "
	    "'fpt'") != NULL && strstr(cause, "eth0, eth1") != NULL,
	    "unknown interface named with the known ones");

	doc = run("{\"query\":\"sip\",\"ifaces\":\"any\",\"first\":\"0\"}",
	    &cancel, 0, &cause);
	ok(doc == NULL && cause != NULL && strcmp(cause, "interrupted") == 0,
	    "a cancelled query stops: interrupted");
	doc = run("{\"query\":\"sip\",\"ifaces\":\"any\",\"first\":\"0\"}",
	    NULL, 1e-9, &cause);
	ok(doc == NULL && cause != NULL && strcmp(cause, "the query timed "
	    "out") == 0, "a query past its timeout stops");
	cancel = 0;
	doc = run("{\"query\":\"sip\",\"ifaces\":\"any\",\"first\":\"0\"}",
	    &cancel, 0, &cause);
	ok(doc != NULL, "the flag of another query does not stop this one");
	json_decref(doc);
	free(cause);
}

/* ---- several queries at once, as the daemon's workers run them */

static const char *const conc_args[] = {
	"{\"query\":\"sip,dip\",\"ifaces\":\"any\",\"first\":\"0\"}",
	"{\"query\":\"dport\",\"ifaces\":\"any\",\"first\":\"0\","
	    "\"sort_by\":\"packets\",\"sort_ascending\":true}",
	"{\"query\":\"time,sip\",\"ifaces\":\"eth0\",\"first\":\"0\"}",
	"{\"query\":\"proto\",\"ifaces\":\"eth1\",\"first\":\"0\","
	    "\"in\":true}",
};

/* A run's rows and totals (what does not depend on when it ran). */
static char *
run_rows(const char *args)
{
	char	*cause = NULL, *out;
	json_t	*doc = run(args, NULL, 0, &cause), *part;

	free(cause);
	if (doc == NULL)
		return util_strdup("(failed)");
	part = json_pack("{s:O,s:O}", "rows", json_object_get(doc, "rows"),
	    "totals", json_object_get(json_object_get(doc, "summary"),
	    "totals"));
	out = json_dumps(part, JSON_COMPACT);
	json_decref(part);
	json_decref(doc);
	return out;
}

static char	*conc_want[4];
static int	 conc_bad;
static pthread_mutex_t conc_lock = PTHREAD_MUTEX_INITIALIZER;

static void *
conc_worker(void *arg)
{
	size_t	 k = (size_t)(uintptr_t)arg, i;
	char	*got;

	for (i = 0; i < 20; i++) {
		got = run_rows(conc_args[(k + i) % 4]);
		if (strcmp(got, conc_want[(k + i) % 4]) != 0) {
			pthread_mutex_lock(&conc_lock);
			conc_bad++;
			pthread_mutex_unlock(&conc_lock);
		}
		free(got);
	}
	return NULL;
}

static void
test_concurrent(void)
{
	pthread_t	 th[4];
	size_t		 i;

	for (i = 0; i < 4; i++)
		conc_want[i] = run_rows(conc_args[i]);
	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, conc_worker, (void *)(uintptr_t)i);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	is_int(conc_bad, 0, "4 threads x 20 queries of 4 kinds at once: each "
	    "answer as when run alone");
	for (i = 0; i < 4; i++)
		free(conc_want[i]);
}

/* Overwrite with c what follows each tag up to one of the bytes in end. */
static void
blank(char *s, const char *tag, const char *end, char c)
{
	size_t n = strlen(tag);

	while ((s = strstr(s, tag)) != NULL) {
		s += n;
		n = strcspn(s, end);
		memset(s, c, n);
		s += n;
		n = strlen(tag);
	}
}

/* The document is what flowq -e json prints (flowq beside this test). */
static void
test_flowq(void)
{
	struct qargs	*a;
	json_t		*doc;
	FILE		*p;
	char		*cmd, *cause = NULL, *want, buf[65536];
	size_t		 n;
	const char	*flowq = getenv("FLOWQ");

	if (flowq == NULL)
		flowq = "./flowq";
	if (access(flowq, X_OK) != 0) {
		printf("ok %d # SKIP no flowq at %s\n", ++tap_count, flowq);
		return;
	}
	cmd = util_printf("TZ=UTC %s -d %s -i eth0,eth1 -f 1742774400 -l "
	    "1742860800 -e json talk_conv", flowq, root);
	p = popen(cmd, "r");
	n = p != NULL ? fread(buf, 1, sizeof buf - 1, p) : 0;
	buf[n] = '\0';
	if (p != NULL)
		pclose(p);
	free(cmd);
	a = parse("{\"query\":\"talk_conv\",\"ifaces\":\"eth0,eth1\",\"first\":"
	    "\"1742774400\",\"last\":\"1742860800\"}", &cause);
	doc = qapi_run(a, root, NULL, NULL, 0, &cause);
	ok(doc != NULL, "qapi_run talk_conv");
	want = doc != NULL ? qapi_dumps(doc) : util_strdup("");
	/* the run's own start and duration differ */
	blank(buf, "\"query_start\":\"", "\"", 'x');
	blank(want, "\"query_start\":\"", "\"", 'x');
	blank(buf, "\"query_duration_ns\":", ",}", '0');
	blank(want, "\"query_duration_ns\":", ",}", '0');
	/* lengths of the durations may differ: compare up to them */
	ok(strstr(want, "\"timings\"") != NULL && strstr(buf, "\"hits\"") !=
	    NULL && strncmp(buf, want, (size_t)(strstr(want, "\"timings\"") -
	    want)) == 0 && strcmp(strstr(buf, "\"hits\""), strstr(want,
	    "\"hits\"")) == 0, "flowq -e json prints qapi's document");
	free(want);
	json_decref(doc);
	qapi_args_free(a);
	free(cause);
}

/*
 * live: an open bin's rows (as the daemon copies them) are merged into
 * the store's answer: a key in both is one row, the condition and the
 * range apply, an interface not asked for is left out.
 */
static void
test_live(void)
{
	struct flowtab_row rows[3];
	struct qapi_live live[2];
	struct qargs	*a;
	json_t		*doc, *rows_j, *r0;
	char		*cause = NULL, *text;

	memset(rows, 0, sizeof rows);
	memset(live, 0, sizeof live);
	row_set(&rows[0], "10.0.0.1", "10.0.0.2", 80, 6, 1000, 10, 3, 1);
	row_set(&rows[1], "10.9.9.9", "10.0.0.2", 53, 17, 70, 0, 1, 0);
	row_set(&rows[2], "10.7.7.7", "10.0.0.2", 80, 6, 99, 0, 9, 0);
	live[0].iface = util_strdup("eth0");
	live[0].ts = T0 + 600;
	live[0].interval = 300;
	live[0].rows = rows;
	live[0].nrows = 2;
	live[1].iface = util_strdup("nosuch9");
	live[1].ts = T0 + 600;
	live[1].interval = 300;
	live[1].rows = &rows[2];
	live[1].nrows = 1;

	a = parse("{\"query\":\"sip\",\"ifaces\":\"eth0\",\"first\":"
	    "\"1742774400\",\"last\":\"1742860800\",\"live\":true}", &cause);
	ok(a != NULL && qapi_args_validate(a, &cause) == 0, "live validates");
	if (a == NULL)
		return;
	a->live_bins = live;
	a->nlive_bins = 2;
	doc = qapi_run(a, root, NULL, NULL, 0, &cause);
	ok(doc != NULL, "live run");
	rows_j = json_object_get(doc, "rows");
	is_int(json_array_size(rows_j), 4, "live: a source of its own added");
	r0 = json_array_get(rows_j, 0);
	is_str(json_string_value(json_object_get(json_object_get(r0,
	    "attributes"), "sip")), "10.0.0.1", "live: top talker");
	is_int(json_integer_value(json_object_get(json_object_get(r0,
	    "counters"), "br")), 7000, "live: 6000 stored + 1000 open, one row");
	text = qapi_dumps(doc);
	ok(strstr(text, "10.7.7.7") == NULL, "live: an interface not asked "
	    "for left out");
	free(text);
	json_decref(doc);

	/* the condition applies to the open rows too */
	free(a->condition);
	a->condition = util_strdup("dport = 53");
	doc = qapi_run(a, root, NULL, NULL, 0, &cause);
	text = doc != NULL ? qapi_dumps(doc) : util_strdup("");
	ok(strstr(text, "10.9.9.9") != NULL && strstr(text, "10.0.0.1") ==
	    NULL, "live: the condition applies");
	free(text);
	json_decref(doc);

	/* an open bin outside the range is not counted */
	free(a->condition);
	a->condition = NULL;
	free(a->last);
	a->last = util_strdup("1742774700");
	doc = qapi_run(a, root, NULL, NULL, 0, &cause);
	text = doc != NULL ? qapi_dumps(doc) : util_strdup("");
	ok(strstr(text, "10.9.9.9") == NULL, "live: an open bin after last "
	    "left out");
	free(text);
	json_decref(doc);

	/* without live the open rows are not seen */
	a->live = 0;
	free(a->last);
	a->last = util_strdup("1742860800");
	doc = qapi_run(a, root, NULL, NULL, 0, &cause);
	text = doc != NULL ? qapi_dumps(doc) : util_strdup("");
	ok(strstr(text, "10.9.9.9") == NULL, "without live: not merged");
	free(text);
	json_decref(doc);
	qapi_args_free(a);
	free(live[0].iface);
	free(live[1].iface);
}

int
main(void)
{
	char *cmd;

	setenv("TZ", "UTC", 1);
	if (mkdtemp(root) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	make_store();
	test_parse();
	test_validate();
	test_run();
	test_live();
	test_concurrent();
	test_flowq();
	cmd = util_printf("rm -rf '%s'", root);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", root);
	free(cmd);
	return tap_done();
}
