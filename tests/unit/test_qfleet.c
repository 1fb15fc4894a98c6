/*
 * test_qfleet.c - the fan-out (qfleet.c) against fake hosts
 * (qfleet_peer.py): answers, 401, garbage, 500, an empty or closed
 * reply, 100 MB, a refused port, TLS to a plain server, a UNIX socket,
 * slow and silent hosts against the host timeout, hosts in flight at
 * most max_inflight, the overall timeout, cancelling, the runtime id.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "qfleet.h"
#include "tap.h"

struct peer {
	pid_t		 pid;
	int		 in;		/* its stdin: closing it ends it */
	json_t		*ports;
};

static void
peer_start(struct peer *p, const char **modes)
{
	const char *top = getenv("top_srcdir");
	char *script, line[8192];
	const char *argv[32];
	int to[2], from[2], i;
	FILE *f;

	script = util_printf("%s/tests/unit/qfleet_peer.py", top != NULL ?
	    top : ".");
	if (pipe(to) != 0 || pipe(from) != 0)
		exit(99);
	argv[0] = "python3";
	argv[1] = script;
	for (i = 0; modes[i] != NULL; i++)
		argv[i + 2] = modes[i];
	argv[i + 2] = NULL;
	if ((p->pid = fork()) == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[1]);
		close(from[0]);
		execvp("python3", (char **)argv);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	p->in = to[1];
	f = fdopen(from[0], "r");
	if (f == NULL || fgets(line, sizeof line, f) == NULL) {
		printf("# the peer did not start\n");
		exit(99);
	}
	fclose(f);
	p->ports = json_loads(line, 0, NULL);
	free(script);
}

static void
peer_stop(struct peer *p)
{
	close(p->in);
	waitpid(p->pid, NULL, 0);
	json_decref(p->ports);
}

static int
peer_port(struct peer *p, const char *mode)
{
	return (int)json_integer_value(json_object_get(p->ports, mode));
}

/* GET /stats of the peer's ctl port, with curl(1)-free libcurl. */
static size_t
stats_write(char *d, size_t s, size_t n, void *arg)
{
	char **buf = arg;
	char *nb = util_printf("%s%.*s", *buf ? *buf : "", (int)(s * n), d);

	free(*buf);
	*buf = nb;
	return s * n;
}

static json_t *
peer_stats(struct peer *p)
{
	CURL *c = curl_easy_init();
	char *url, *buf = NULL;
	json_t *j;

	url = util_printf("http://127.0.0.1:%d/stats", peer_port(p, "ctl"));
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, stats_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &buf);
	curl_easy_perform(c);
	curl_easy_cleanup(c);
	free(url);
	j = json_loads(buf != NULL ? buf : "", 0, NULL);
	free(buf);
	return j;
}

/* ---------------------------------------------------------- outcomes */

#define MAXT	32

struct outcome {
	int		 calls;
	int		 order;		/* when it came, from 1 */
	char		*error;
	char		*hostname;	/* result's */
	char		*condition;
};

struct run {
	struct hosts_target t[MAXT];
	struct outcome	 out[MAXT];
	size_t		 n;
	int		 seq;
	size_t		 last_done, last_total, progress_calls;
};

static void
target(struct run *r, const char *name, const char *url, const char *sock,
    const char *token)
{
	struct hosts_target *t = &r->t[r->n++];

	memset(t, 0, sizeof *t);
	t->name = util_strdup(name);
	t->url = util_strdup(url);
	t->unix_path = sock != NULL ? util_strdup(sock) : NULL;
	t->token = token != NULL ? util_strdup(token) : NULL;
}

static void
target_port(struct run *r, struct peer *p, const char *mode,
    const char *token)
{
	char *url = util_printf("http://127.0.0.1:%d", peer_port(p, mode));

	target(r, mode, url, NULL, token);
	free(url);
}

static void
on_answer(void *arg, const struct hosts_target *t, const json_t *res,
    const char *error)
{
	struct run *r = arg;
	struct outcome *o = &r->out[t - r->t];

	o->calls++;
	o->order = ++r->seq;
	if (error != NULL)
		o->error = util_strdup(error);
	if (res != NULL) {
		o->hostname = util_strdup(json_string_value(json_object_get(res,
		    "hostname")) ?: "");
		o->condition = util_strdup(json_string_value(json_object_get(
		    json_object_get(res, "query"), "condition")) ?: "");
	}
}

static void
on_progress(void *arg, size_t done, size_t total)
{
	struct run *r = arg;

	r->progress_calls++;
	r->last_done = done;
	r->last_total = total;
}

static void
run_free(struct run *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->out[i].error);
		free(r->out[i].hostname);
		free(r->out[i].condition);
	}
	/* targets were made one by one; hosts_targets_free() frees an array */
	for (i = 0; i < r->n; i++) {
		free(r->t[i].name);
		free(r->t[i].url);
		free(r->t[i].unix_path);
		free(r->t[i].token);
	}
}

static int
run(struct run *r, struct qfleet_opts *o)
{
	static const char body[] = "{\"query\":\"sip\",\"ifaces\":\"eth0\","
	    "\"condition\":\"dport = 22\",\"num_results\":10}";
	char *cause = NULL;
	int rc;

	o->on_answer = on_answer;
	o->on_progress = on_progress;
	o->arg = r;
	rc = qfleet_run(r->t, r->n, body, strlen(body), o, &cause);
	if (cause != NULL)
		printf("# qfleet_run: %s\n", cause);
	free(cause);
	return rc;
}

static struct outcome *
find(struct run *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->t[i].name, name) == 0)
			return &r->out[i];
	abort();
}

static void
expect_error(struct run *r, const char *name, const char *want)
{
	struct outcome *o = find(r, name);

	ok(o->calls == 1 && o->error != NULL && strstr(o->error, want) != NULL,
	    "%s: an error with '%s'", name, want);
	if (o->error == NULL || strstr(o->error, want) == NULL)
		printf("#   got \"%s\" (%d calls)\n", o->error ? o->error :
		    "(no error)", o->calls);
}

static int
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sin, sizeof sin);
	getsockname(fd, (struct sockaddr *)&sin, &len);
	port = ntohs(sin.sin_port);
	close(fd);		/* nothing listens there now */
	return port;
}

/* ------------------------------------------------------------- tests */

static void
test_faults(void)
{
	static const char *modes[] = { "ok:a", "ok:b", "garbage", "e500",
	    "close", "empty", "huge", "slow", "never", NULL, NULL };
	char sock[64], unixmode[80], *url;
	struct peer p;
	struct run r;
	struct qfleet_opts o;
	struct outcome *a;
	json_t *st, *id;
	size_t i;
	int rc, same;

	snprintf(sock, sizeof sock, "/tmp/test_qfleet.%d.sock", getpid());
	snprintf(unixmode, sizeof unixmode, "unix:%s", sock);
	modes[9] = unixmode;
	peer_start(&p, modes);
	memset(&r, 0, sizeof r);
	target_port(&r, &p, "ok:a", "good");
	target_port(&r, &p, "ok:b", "wrong");
	target_port(&r, &p, "garbage", "good");
	target_port(&r, &p, "e500", "good");
	target_port(&r, &p, "close", "good");
	target_port(&r, &p, "empty", "good");
	target_port(&r, &p, "huge", "good");
	target_port(&r, &p, "slow", "good");
	target_port(&r, &p, "never", "good");
	target(&r, "unix", "http://localhost", sock, "good");
	url = util_printf("http://127.0.0.1:%d", free_port());
	target(&r, "refused", url, NULL, "good");
	free(url);
	url = util_printf("https://127.0.0.1:%d", peer_port(&p, "ok:a"));
	target(&r, "tls", url, NULL, "good");
	free(url);
	target(&r, "noname", "http://no-such-host.invalid:8145", NULL, NULL);

	memset(&o, 0, sizeof o);
	o.host_timeout_ms = 1500;
	o.max_answer = 1 << 20;
	o.runtime_id = "rt-test-1";
	rc = run(&r, &o);
	is_int(rc, 0, "the run went to its end");
	for (i = 0, same = 1; i < r.n; i++)
		if (r.out[i].calls != 1)
			same = 0;
	ok(same, "every host's outcome exactly once");
	ok(r.last_done == r.n && r.last_total == r.n &&
	    r.progress_calls == r.n, "progress: one call per host, to %zu/%zu",
	    r.n, r.n);
	a = find(&r, "ok:a");
	ok(a->error == NULL && a->hostname != NULL &&
	    strcmp(a->hostname, "ok:a") == 0, "ok:a answered");
	ok(a->condition != NULL && strcmp(a->condition, "dport = 22") == 0,
	    "the host got the query's arguments");
	a = find(&r, "unix");
	ok(a->error == NULL && a->hostname != NULL, "over a UNIX socket");
	expect_error(&r, "ok:b", "HTTP 401 (token refused): unauthorized");
	expect_error(&r, "garbage", "not JSON");
	expect_error(&r, "garbage", "<html>hello");
	expect_error(&r, "e500", "HTTP 500: disk on fire");
	expect_error(&r, "close", "mpty reply");
	expect_error(&r, "empty", "an empty answer");
	expect_error(&r, "huge", "answer larger than 1048576 bytes");
	expect_error(&r, "slow", "no answer within 1.500 s");
	expect_error(&r, "never", "no answer within 1.500 s");
	expect_error(&r, "refused", "onnect");
	expect_error(&r, "tls", "SSL");
	expect_error(&r, "noname", "esolve");
	ok(find(&r, "ok:a")->order < find(&r, "slow")->order &&
	    find(&r, "unix")->order < find(&r, "never")->order,
	    "slow and silent hosts did not hold the others' answers");

	st = peer_stats(&p);
	same = json_array_size(json_object_get(st, "runtime_ids")) > 0;
	json_array_foreach(json_object_get(st, "runtime_ids"), i, id)
		if (strcmp(json_string_value(id), "rt-test-1") != 0)
			same = 0;
	ok(same, "every request carried the runtime id");
	json_decref(st);
	run_free(&r);
	peer_stop(&p);
	unlink(sock);
}

static void
test_inflight(void)
{
	static const char *modes[] = { "delay:1", "delay:2", "delay:3",
	    "delay:4", "delay:5", "delay:6", "delay:7", "delay:8", NULL };
	struct peer p;
	struct run r;
	struct qfleet_opts o;
	json_t *st;
	size_t i;
	int all = 1;

	peer_start(&p, modes);
	memset(&r, 0, sizeof r);
	for (i = 0; modes[i] != NULL; i++)
		target_port(&r, &p, modes[i], "good");
	memset(&o, 0, sizeof o);
	o.max_inflight = 3;
	is_int(run(&r, &o), 0, "8 hosts, 3 at a time");
	for (i = 0; i < r.n; i++)
		if (r.out[i].calls != 1 || r.out[i].error != NULL)
			all = 0;
	ok(all, "all 8 answered");
	st = peer_stats(&p);
	is_int(json_integer_value(json_object_get(st, "count")), 8,
	    "8 requests");
	ok(json_integer_value(json_object_get(st, "max")) <= 3,
	    "at most 3 at once (saw %lld)",
	    (long long)json_integer_value(json_object_get(st, "max")));
	ok(json_integer_value(json_object_get(st, "max")) >= 2,
	    "more than one at once (saw %lld)",
	    (long long)json_integer_value(json_object_get(st, "max")));
	json_decref(st);
	run_free(&r);
	peer_stop(&p);
}

static void
test_timeout(void)
{
	static const char *modes[] = { "never", "ok", NULL };
	struct peer p;
	struct run r;
	struct qfleet_opts o;

	peer_start(&p, modes);
	memset(&r, 0, sizeof r);
	target_port(&r, &p, "ok", "good");
	{
		char *url = util_printf("http://127.0.0.1:%d",
		    peer_port(&p, "never"));

		target(&r, "n1", url, NULL, "good");
		target(&r, "n2", url, NULL, "good");
		target(&r, "n3", url, NULL, "good");
		free(url);
	}
	memset(&o, 0, sizeof o);
	o.max_inflight = 2;	/* n3 waits behind the silent n1, n2 */
	o.timeout_ms = 800;
	is_int(run(&r, &o), -ETIMEDOUT, "the overall timeout ends the run");
	ok(find(&r, "ok")->error == NULL, "the live host answered before");
	expect_error(&r, "n1", "no answer before the query's timeout");
	expect_error(&r, "n2", "no answer before the query's timeout");
	expect_error(&r, "n3", "no answer before the query's timeout");
	run_free(&r);
	peer_stop(&p);
}

static volatile int cancelled;
static struct timespec cancel_at;

static void *
cancel_later(void *arg)
{
	(void)arg;
	usleep(300000);
	clock_gettime(CLOCK_MONOTONIC, &cancel_at);
	cancelled = 1;
	return NULL;
}

static void
test_cancel(void)
{
	static const char *modes[] = { "never", NULL };
	struct peer p;
	struct run r;
	struct qfleet_opts o;
	struct timespec end;
	pthread_t th;
	char *url;

	peer_start(&p, modes);
	memset(&r, 0, sizeof r);
	url = util_printf("http://127.0.0.1:%d", peer_port(&p, "never"));
	target(&r, "n1", url, NULL, "good");
	target(&r, "n2", url, NULL, "good");
	target(&r, "n3", url, NULL, "good");
	free(url);
	memset(&o, 0, sizeof o);
	o.max_inflight = 2;
	o.cancel = &cancelled;
	pthread_create(&th, NULL, cancel_later, NULL);
	is_int(run(&r, &o), -ECANCELED, "cancel ends the run");
	clock_gettime(CLOCK_MONOTONIC, &end);
	pthread_join(th, NULL);
	printf("# stopped %.3f s after cancel\n", (double)(end.tv_sec -
	    cancel_at.tv_sec) + (end.tv_nsec - cancel_at.tv_nsec) / 1e9);
	expect_error(&r, "n1", "cancelled");
	expect_error(&r, "n3", "cancelled");
	run_free(&r);
	peer_stop(&p);
}

static void
test_query(void)
{
	static const char *modes[] = { "ok:a", "ok:c", "never", NULL };
	struct peer p;
	struct qfleet_opts o;
	struct hosts *h;
	json_t *args, *doc = NULL, *rows;
	char *path, *text, *cause = NULL;
	FILE *f;
	int rc;

	peer_start(&p, modes);
	path = util_printf("/tmp/test_qfleet.%d.yaml", getpid());
	text = util_printf("hosts:\n"
	    "  a: {addr: \"127.0.0.1:%d\", token: good}\n"
	    "  b: {addr: \"127.0.0.1:%d\", token: bad}\n"
	    "  c: {addr: \"127.0.0.1:%d\"}\n"
	    "  n: {addr: \"127.0.0.1:%d\", token: good}\n",
	    peer_port(&p, "ok:a"), peer_port(&p, "ok:a"),
	    peer_port(&p, "ok:c"), peer_port(&p, "never"));
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	free(text);
	if (hosts_load(path, &h, &cause) != 0) {
		printf("# %s\n", cause);
		exit(99);
	}
	args = json_loads("{\"query\":\"sip\",\"ifaces\":\"eth0\","
	    "\"num_results\":5,\"query_hosts\":\"a,b\"}", 0, NULL);
	memset(&o, 0, sizeof o);
	o.host_timeout_ms = 1000;
	rc = qfleet_query(h, "any", "good", args, &o, &doc, &cause);
	is_int(rc, 0, "qfleet_query: any");
	if (rc == 0) {
		rows = json_object_get(doc, "rows");
		is_int(json_array_size(rows), 2, "two hosts' rows");
		is_int(qfleet_answered(doc), 2, "two answered");
		is_str(json_string_value(json_object_get(json_object_get(
		    json_object_get(doc, "hosts_statuses"), "b"), "code")),
		    "error", "b: the wrong token, an error");
		is_str(json_string_value(json_object_get(json_object_get(
		    json_object_get(doc, "hosts_statuses"), "c"), "code")),
		    "ok", "c: no token of its own, FLOWQ_TOKEN's");
		ok(strstr(json_string_value(json_object_get(json_object_get(
		    json_object_get(doc, "hosts_statuses"), "n"), "message")),
		    "no answer within") != NULL, "n: the host timeout");
		ok(json_is_false(json_object_get(json_object_get(doc, "query"),
		    "got_query_hosts")), "hosts are not sent query_hosts");
		is_int(json_integer_value(json_object_get(json_object_get(
		    json_object_get(doc, "summary"), "totals"), "br")), 20,
		    "totals summed");
	}
	json_decref(doc);
	rc = qfleet_query(h, "a,,b", NULL, args, &o, &doc, &cause);
	ok(rc == -EINVAL && doc == NULL && cause != NULL, "a bad selector");
	free(cause);
	cause = NULL;
	json_decref(args);
	args = json_loads("{\"sort_by\":\"nonsense\"}", 0, NULL);
	rc = qfleet_query(h, "a", NULL, args, &o, &doc, &cause);
	ok(rc == -EINVAL && doc == NULL && cause != NULL, "bad arguments");
	free(cause);
	json_decref(args);
	hosts_free(h);
	unlink(path);
	free(path);
	peer_stop(&p);
}

static void
test_request(void)
{
	static const char *modes[] = { "ok:a", NULL };
	struct peer p;
	struct qfleet_opts o;
	json_t *doc = NULL, *st, *id;
	char *path, *text, *cause = NULL, *absent;
	FILE *f;
	size_t i;
	int code, same;

	peer_start(&p, modes);
	path = util_printf("/tmp/test_qfleet.%d.req.yaml", getpid());
	absent = util_printf("/tmp/test_qfleet.%d.absent.yaml", getpid());
	text = util_printf("hosts:\n  a: {addr: \"127.0.0.1:%d\", token: "
	    "good}\n", peer_port(&p, "ok:a"));
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	free(text);
	memset(&o, 0, sizeof o);
	o.runtime_id = "daemon-rt";

#define REQ(body, peer, file) qfleet_request(body, strlen(body), peer, file, \
	    &o, &doc, &cause)
	code = REQ("{\"query\":\"sip\",\"ifaces\":\"eth0\","
	    "\"query_hosts\":\"a\"}", NULL, path);
	is_int(code, 200, "a global query: 200");
	ok(doc != NULL && json_array_size(json_object_get(doc, "rows")) == 1,
	    "with the host's row");
	ok(json_is_false(json_object_get(json_object_get(doc, "query"),
	    "got_query_hosts")), "the host was not asked to fan out");
	json_decref(doc);
	doc = NULL;
	st = peer_stats(&p);
	same = json_array_size(json_object_get(st, "runtime_ids")) == 1;
	json_array_foreach(json_object_get(st, "runtime_ids"), i, id)
		if (strcmp(json_string_value(id), "daemon-rt") != 0)
			same = 0;
	ok(same, "the daemon's runtime id sent");
	json_decref(st);

	code = REQ("{\"query\":\"sip\",\"query_hosts\":\"a\"}",
	    "other-rt", path);
	ok(code == 400 && doc == NULL && cause != NULL &&
	    strstr(cause, "loop") != NULL, "from a fan-out: 400, a loop");
	free(cause);
	cause = NULL;
	code = REQ("{\"query\":\"sip\"}", NULL, path);
	ok(code == 400 && cause != NULL, "no query_hosts: 400");
	free(cause);
	cause = NULL;
	code = REQ("{\"query\":", NULL, path);
	ok(code == 400 && cause != NULL, "broken JSON: 400");
	free(cause);
	cause = NULL;
	code = REQ("{\"query\":\"nonsense\",\"ifaces\":\"eth0\","
	    "\"query_hosts\":\"a\"}", NULL, path);
	ok(code == 422 && cause != NULL, "a bad query: 422 (%s)",
	    cause ? cause : "");
	free(cause);
	cause = NULL;
	code = REQ("{\"query\":\"sip\",\"ifaces\":\"eth0\","
	    "\"query_hosts\":\"a\"}", NULL, absent);
	ok(code == 500 && cause != NULL && strstr(cause, absent) != NULL,
	    "no hosts file: 500 naming it");
	free(cause);
	cause = NULL;
	code = REQ("{\"query\":\"sip\",\"ifaces\":\"eth0\","
	    "\"query_hosts\":\"a,,\"}", NULL, path);
	ok(code == 422 && cause != NULL, "a bad selector: 422");
	free(cause);
	cause = NULL;
	code = REQ("{\"query\":\"sip\",\"ifaces\":\"eth0\","
	    "\"query_hosts\":\"@/etc/passwd\"}", NULL, path);
	ok(code == 422 && cause != NULL && strstr(cause, "@/etc/passwd"),
	    "query_hosts @FILE: 422 (%s)", cause ? cause : "");
	free(cause);
	cause = NULL;
	code = REQ("{\"query\":\"sip\",\"ifaces\":\"eth0\","
	    "\"query_hosts\":\"a,127.0.0.1:9\"}", NULL, path);
	ok(code == 422 && cause != NULL &&
	    strstr(cause, "not in the hosts file") != NULL,
	    "query_hosts with an address: 422 (%s)", cause ? cause : "");
	free(cause);
#undef REQ
	unlink(path);
	free(path);
	free(absent);
	peer_stop(&p);
}

int
main(void)
{
	if (system("python3 -c '' 2>/dev/null") != 0) {
		printf("1..0 # SKIP python3 is not installed\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	if (qfleet_init(NULL) != 0)
		return 99;
	test_faults();
	test_inflight();
	test_timeout();
	test_cancel();
	test_query();
	test_request();
	curl_global_cleanup();
	return tap_done();
}
