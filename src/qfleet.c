/*
 * qfleet.c - the fan-out of a fleet query over libcurl's multi interface
 * (see qfleet.h).
 *
 * One easy handle per host in flight, from a queue of targets; the loop
 * waits in curl_multi_poll() at most QF_TICK_MS at a time so a Ctrl-C
 * (*cancel) and the overall deadline are seen within that, whatever
 * the hosts do.  A finished transfer is judged here (curl's result, the
 * HTTP status, JSON or not) and handed over at once, then freed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dlfcn.h>

#include <curl/curl.h>

#include "qapi.h"
#include "qfleet.h"
#include "qmerge.h"
#include "util.h"

#define QF_TICK_MS	50

struct qf_xfer {
	const struct hosts_target *t;
	CURL		*easy;
	struct curl_slist *hdr;
	char		*buf;
	size_t		 len, cap, max;
	int		 too_big;
	char		 errbuf[CURL_ERROR_SIZE];
};

/*
 * libcurl is opened by qfleet_init(), not linked: flowq loads it (and the
 * 30 libraries it needs: TLS, Kerberos, LDAP, ...) only for a fleet query.
 * Resolving those at every start was more than half of a busy-day
 * `flowq -c "sip = X"` (13 M of its 22 M instructions, issue 18).
 */
static struct {
	CURLcode	(*global_init)(long);
	CURL		*(*easy_init)(void);
	CURLcode	(*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode	(*easy_getinfo)(CURL *, CURLINFO, ...);
	void		(*easy_cleanup)(CURL *);
	const char	*(*easy_strerror)(CURLcode);
	CURLM		*(*multi_init)(void);
	CURLMcode	(*multi_add_handle)(CURLM *, CURL *);
	CURLMcode	(*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode	(*multi_perform)(CURLM *, int *);
	CURLMcode	(*multi_poll)(CURLM *, struct curl_waitfd *,
			    unsigned int, int, int *);
	CURLMsg		*(*multi_info_read)(CURLM *, int *);
	CURLMcode	(*multi_cleanup)(CURLM *);
	const char	*(*multi_strerror)(CURLMcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void		(*slist_free_all)(struct curl_slist *);
} qf_curl;

static int
qf_curl_load(char **cause)
{
	static const char *const names[] = { "libcurl.so.4", "libcurl.so" };
	void *h = NULL;
	size_t i;

	if (qf_curl.multi_init != NULL)
		return 0;
	for (i = 0; i < sizeof names / sizeof *names && h == NULL; i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		return util_cause(cause, -ENOENT, "libcurl: %s", dlerror());
#define QF_SYM(field, name) do {					\
	*(void **)&qf_curl.field = dlsym(h, name);			\
	if (qf_curl.field == NULL)					\
		goto missing;						\
} while (0)
	QF_SYM(global_init, "curl_global_init");
	QF_SYM(easy_init, "curl_easy_init");
	QF_SYM(easy_setopt, "curl_easy_setopt");
	QF_SYM(easy_getinfo, "curl_easy_getinfo");
	QF_SYM(easy_cleanup, "curl_easy_cleanup");
	QF_SYM(easy_strerror, "curl_easy_strerror");
	QF_SYM(multi_add_handle, "curl_multi_add_handle");
	QF_SYM(multi_remove_handle, "curl_multi_remove_handle");
	QF_SYM(multi_perform, "curl_multi_perform");
	QF_SYM(multi_poll, "curl_multi_poll");
	QF_SYM(multi_info_read, "curl_multi_info_read");
	QF_SYM(multi_cleanup, "curl_multi_cleanup");
	QF_SYM(multi_strerror, "curl_multi_strerror");
	QF_SYM(slist_append, "curl_slist_append");
	QF_SYM(slist_free_all, "curl_slist_free_all");
	QF_SYM(multi_init, "curl_multi_init");	/* last: the "loaded" mark */
#undef QF_SYM
	return 0;
missing:
	memset(&qf_curl, 0, sizeof qf_curl);
	return util_cause(cause, -ENOENT, "libcurl: %s", dlerror());
}

/* The calls below go through the table; without qfleet_init() the two
   constructors fail (NULL) and nothing else is reached. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init	qf_curl.global_init
#define curl_easy_init()	(qf_curl.easy_init != NULL ? \
				    qf_curl.easy_init() : NULL)
#define curl_easy_setopt	qf_curl.easy_setopt
#define curl_easy_getinfo	qf_curl.easy_getinfo
#define curl_easy_cleanup	qf_curl.easy_cleanup
#define curl_easy_strerror	qf_curl.easy_strerror
#define curl_multi_init()	(qf_curl.multi_init != NULL ? \
				    qf_curl.multi_init() : NULL)
#define curl_multi_add_handle	qf_curl.multi_add_handle
#define curl_multi_remove_handle qf_curl.multi_remove_handle
#define curl_multi_perform	qf_curl.multi_perform
#define curl_multi_poll		qf_curl.multi_poll
#define curl_multi_info_read	qf_curl.multi_info_read
#define curl_multi_cleanup	qf_curl.multi_cleanup
#define curl_multi_strerror	qf_curl.multi_strerror
#define curl_slist_append	qf_curl.slist_append
#define curl_slist_free_all	qf_curl.slist_free_all

int
qfleet_init(char **cause)
{
	CURLcode rc;

	if (qf_curl_load(cause) != 0)
		return -ENOENT;
	if ((rc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK)
		return util_cause(cause, -EIO, "libcurl: %s",
		    curl_easy_strerror(rc));
	return 0;
}

char *
qfleet_runtime_id(void)
{
	unsigned char b[16];
	char *s = util_malloc(sizeof b * 2 + 1);
	struct timespec ts;
	size_t i;
	int fd, got = 0;

	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) >= 0) {
		got = read(fd, b, sizeof b) == (ssize_t)sizeof b;
		close(fd);
	}
	if (!got) {	/* no /dev/urandom: time and pid, unique enough */
		clock_gettime(CLOCK_REALTIME, &ts);
		for (i = 0; i < sizeof b; i++)
			b[i] = (unsigned char)((ts.tv_nsec >> (i % 4 * 8)) ^
			    (getpid() >> (i % 2 * 8)) ^ (ts.tv_sec >> i));
	}
	for (i = 0; i < sizeof b; i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	return s;
}

static int64_t
qf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t
qf_write(char *p, size_t size, size_t n, void *arg)
{
	struct qf_xfer *x = arg;
	size_t len = size * n, cap;
	char *nb;

	if (x->len + len > x->max) {
		x->too_big = 1;
		return 0;		/* curl stops: CURLE_WRITE_ERROR */
	}
	if (x->len + len + 1 > x->cap) {
		cap = x->cap == 0 ? 16384 : x->cap;
		while (cap < x->len + len + 1)
			cap *= 2;
		if (cap > x->max + 1)
			cap = x->max + 1;
		if ((nb = realloc(x->buf, cap)) == NULL) {
			x->too_big = 1;	/* data-sized: an error, not abort */
			return 0;
		}
		x->buf = nb;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, p, len);
	x->len += len;
	x->buf[x->len] = '\0';
	return len;
}

static void
qf_xfer_free(struct qf_xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->hdr);
	free(x->buf);
	free(x);
}

static struct qf_xfer *
qf_xfer_new(const struct hosts_target *t, const char *body, size_t len,
    const struct qfleet_opts *o)
{
	struct qf_xfer *x = util_calloc(1, sizeof *x);
	char *s, *url;

	x->t = t;
	x->max = o->max_answer != 0 ? o->max_answer : QFLEET_MAX_ANSWER;
	if ((x->easy = curl_easy_init()) == NULL) {
		free(x);
		return NULL;
	}
	x->hdr = curl_slist_append(NULL, "Content-Type: application/json");
	x->hdr = curl_slist_append(x->hdr, "Accept: application/json");
	x->hdr = curl_slist_append(x->hdr, "Expect:");
	if (t->token != NULL) {
		s = util_printf("Authorization: Bearer %s", t->token);
		x->hdr = curl_slist_append(x->hdr, s);
		free(s);
	}
	if (o->runtime_id != NULL) {
		s = util_printf("%s: %s", QFLEET_RUNTIME_HEADER, o->runtime_id);
		x->hdr = curl_slist_append(x->hdr, s);
		free(s);
	}
	url = util_printf("%s/_query", t->url);
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	free(url);
	if (t->unix_path != NULL)
		curl_easy_setopt(x->easy, CURLOPT_UNIX_SOCKET_PATH,
		    t->unix_path);
	if (t->ca != NULL)
		curl_easy_setopt(x->easy, CURLOPT_CAINFO, t->ca);
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdr);
	curl_easy_setopt(x->easy, CURLOPT_POST, 1L);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)len);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, qf_write);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS,
	    (long)(o->host_timeout_ms > 0 ? o->host_timeout_ms :
	    QFLEET_HOST_TIMEOUT_MS));
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	return x;
}

/* A short, printable excerpt of what a host said. */
static char *
qf_excerpt(const char *p, size_t len)
{
	char *s;
	size_t i, n = len < 120 ? len : 120;

	s = util_malloc(n + 4);
	for (i = 0; i < n; i++)
		s[i] = p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?';
	strcpy(s + n, len > n ? "..." : "");
	return s;
}

/* The message of an error answer: {"error":..}, {"message":..} or text. */
static char *
qf_http_error(long code, const char *buf, size_t len)
{
	json_t *j = buf != NULL ? json_loadb(buf, len, 0, NULL) : NULL;
	const char *m = NULL;
	char *ex, *s;

	if (json_is_object(j)) {
		m = json_string_value(json_object_get(j, "error"));
		if (m == NULL)
			m = json_string_value(json_object_get(j, "message"));
		if (m == NULL)
			m = json_string_value(json_object_get(json_object_get(
			    j, "status"), "message"));
		if (m == NULL)
			m = json_string_value(json_object_get(j, "detail"));
	}
	if (m != NULL)
		ex = qf_excerpt(m, strlen(m));
	else
		ex = qf_excerpt(buf != NULL ? buf : "", len);
	s = util_printf("HTTP %ld%s%s%s", code, code == 401 ?
	    " (token refused)" : "", *ex != '\0' ? ": " : "", ex);
	free(ex);
	json_decref(j);
	return s;
}

static void
qf_done(struct qf_xfer *x, CURLcode rc, const struct qfleet_opts *o)
{
	json_error_t je;
	json_t *j = NULL;
	char *err = NULL;
	long code = 0;
	int tmo = o->host_timeout_ms > 0 ? o->host_timeout_ms :
	    QFLEET_HOST_TIMEOUT_MS;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_WRITE_ERROR && x->too_big)
		err = util_printf("answer larger than %zu bytes", x->max);
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		err = util_printf("no answer within %d.%03d s (host timeout)",
		    tmo / 1000, tmo % 1000);
	else if (rc != CURLE_OK)
		err = util_strdup(x->errbuf[0] != '\0' ? x->errbuf :
		    curl_easy_strerror(rc));
	else if (code != 200)
		err = qf_http_error(code, x->buf, x->len);
	else if (x->len == 0)
		err = util_strdup("an empty answer");
	else if ((j = json_loadb(x->buf, x->len, 0, &je)) == NULL) {
		char *ex = qf_excerpt(x->buf, x->len);

		err = util_printf("not JSON (%s at byte %d): %s", je.text,
		    je.position, ex);
		free(ex);
	}
	/* The answer's text goes before the merge: only its tree is held. */
	free(x->buf);
	x->buf = NULL;
	x->len = x->cap = 0;
	o->on_answer(o->arg, x->t, j, err);
	json_decref(j);
	free(err);
}

int
qfleet_run(const struct hosts_target *t, size_t n, const char *body,
    size_t len, const struct qfleet_opts *o, char **cause)
{
	struct qf_xfer **live;
	size_t next = 0, done = 0, inflight = 0, i, max;
	int64_t deadline;
	CURLM *multi;
	CURLMsg *msg;
	CURLMcode mc;
	struct qf_xfer *x;
	int running, left, ret = 0, wait;
	const char *why;

	if ((multi = curl_multi_init()) == NULL)
		return util_cause(cause, -EIO, "libcurl: no multi handle");
	max = o->max_inflight != 0 ? o->max_inflight : QFLEET_MAX_INFLIGHT;
	live = util_calloc(max, sizeof *live);
	deadline = o->timeout_ms > 0 ? qf_now_ms() + o->timeout_ms : 0;
	for (;;) {
		while (next < n && inflight < max) {
			if ((x = qf_xfer_new(&t[next], body, len, o)) == NULL ||
			    curl_multi_add_handle(multi, x->easy) != CURLM_OK) {
				qf_xfer_free(x);
				o->on_answer(o->arg, &t[next], NULL,
				    "libcurl: could not start a transfer");
				next++;
				done++;
				continue;
			}
			for (i = 0; live[i] != NULL; i++)
				;
			live[i] = x;
			next++;
			inflight++;
		}
		if (inflight == 0)
			break;
		if ((mc = curl_multi_perform(multi, &running)) != CURLM_OK) {
			ret = util_cause(cause, -EIO, "libcurl: %s",
			    curl_multi_strerror(mc));
			break;
		}
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&x);
			curl_multi_remove_handle(multi, x->easy);
			qf_done(x, msg->data.result, o);
			for (i = 0; i < max; i++)
				if (live[i] == x)
					live[i] = NULL;
			qf_xfer_free(x);
			inflight--;
			done++;
			if (o->on_progress != NULL)
				o->on_progress(o->arg, done, n);
		}
		if (inflight == 0 && next == n)
			break;
		if (o->cancel != NULL && *o->cancel) {
			ret = -ECANCELED;
			break;
		}
		if (deadline != 0 && qf_now_ms() >= deadline) {
			ret = -ETIMEDOUT;
			break;
		}
		wait = QF_TICK_MS;
		if (deadline != 0 && deadline - qf_now_ms() < wait)
			wait = (int)(deadline - qf_now_ms()) + 1;
		if (running > 0 || inflight > 0)
			curl_multi_poll(multi, NULL, 0, wait, NULL);
	}
	/* Whatever is left: stopped in flight, or never asked. */
	why = ret == -ECANCELED ? "cancelled" : ret == -ETIMEDOUT ?
	    "no answer before the query's timeout" : "libcurl failed";
	for (i = 0; i < max; i++) {
		if ((x = live[i]) == NULL)
			continue;
		curl_multi_remove_handle(multi, x->easy);
		o->on_answer(o->arg, x->t, NULL, why);
		qf_xfer_free(x);
	}
	for (; next < n; next++)
		o->on_answer(o->arg, &t[next], NULL, why);
	free(live);
	curl_multi_cleanup(multi);
	return ret;
}

/* ------------------------------------------------ the whole query */

struct qf_query {
	struct qmerge	*m;
	const struct qfleet_opts *user;
};

static void
qf_query_answer(void *arg, const struct hosts_target *t, const json_t *res,
    const char *error)
{
	struct qf_query *q = arg;

	if (error != NULL)
		qmerge_fail(q->m, t->name, error);
	else
		qmerge_add(q->m, t->name, res, NULL);	/* bad: its error */
}

static void
qf_query_progress(void *arg, size_t done, size_t total)
{
	struct qf_query *q = arg;

	q->user->on_progress(q->user->arg, done, total);
}

/*
 * goquery's list over a fleet: every host's {"interfaces": [...]} (flowq
 * list -e json) with a "host" in each interface, in host order, and each
 * host's status in hosts_statuses as a query's.
 */
struct qf_list {
	json_t		*ifaces;	/* [{host, iface, ...}] */
	json_t		*statuses;	/* host -> {code, message} */
};

static void
qf_list_answer(void *arg, const struct hosts_target *t, const json_t *res,
    const char *error)
{
	struct qf_list *l = arg;
	json_t *v, *i, *c;
	size_t k;

	v = res != NULL ? json_object_get(res, "interfaces") : NULL;
	if (error == NULL && !json_is_array(v))
		error = "not a list answer (no interfaces array)";
	if (error != NULL) {
		json_object_set_new(l->statuses, t->name, json_pack("{s:s,s:s}",
		    "code", "error", "message", error));
		return;
	}
	json_array_foreach(v, k, i) {
		if (!json_is_object(i))
			continue;
		c = json_deep_copy(i);
		json_object_set_new(c, "host", json_string(t->name));
		json_array_append_new(l->ifaces, c);
	}
	json_object_set_new(l->statuses, t->name, json_pack("{s:s}", "code",
	    json_array_size(v) > 0 ? "ok" : "empty"));
}

static int
qf_list_query(const struct hosts_target *t, size_t n, const char *body,
    const struct qfleet_opts *o, json_t **out, char **cause)
{
	struct qfleet_opts ro;
	struct qf_list l;
	int rc;

	l.ifaces = json_array();
	l.statuses = json_object();
	ro = *o;
	ro.on_answer = qf_list_answer;
	ro.on_progress = NULL;
	ro.arg = &l;
	rc = qfleet_run(t, n, body, strlen(body), &ro, cause);
	if (rc == -ECANCELED || rc == -EIO) {
		json_decref(l.ifaces);
		json_decref(l.statuses);
		return rc == -ECANCELED ? util_cause(cause, rc, "interrupted") :
		    rc;
	}
	*out = json_pack("{s:o,s:o}", "interfaces", l.ifaces,
	    "hosts_statuses", l.statuses);
	return 0;
}

int
qfleet_query(const struct hosts *h, const char *selector,
    const char *env_token, const json_t *args, const struct qfleet_opts *o,
    json_t **out, char **cause)
{
	struct hosts_target *t;
	struct qmerge_opts mo;
	struct qfleet_opts ro;
	struct qf_query q;
	struct timespec ts;
	json_t *a;
	char *body;
	size_t n;
	int64_t start_ns;
	int rc, list;

	*out = NULL;
	list = json_is_true(json_object_get(args, "list"));
	if (!list && (rc = qmerge_opts_from_args(args, &mo, cause)) != 0)
		return rc;
	if ((rc = hosts_select(h, selector, env_token, &t, &n, cause)) != 0)
		return rc;
	clock_gettime(CLOCK_REALTIME, &ts);
	start_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	a = json_deep_copy(args);
	json_object_del(a, "query_hosts");
	json_object_del(a, "query_hosts_resolver_type");
	if ((body = json_dumps(a, JSON_COMPACT)) == NULL)
		abort();	/* jansson's allocation; see util.h */
	json_decref(a);
	if (list) {
		rc = qf_list_query(t, n, body, o, out, cause);
		free(body);
		hosts_targets_free(t, n);
		return rc;
	}

	q.m = qmerge_new(&mo);
	q.user = o;
	ro = *o;
	ro.on_answer = qf_query_answer;
	ro.on_progress = o->on_progress != NULL ? qf_query_progress : NULL;
	ro.arg = &q;
	rc = qfleet_run(t, n, body, strlen(body), &ro, cause);
	free(body);
	hosts_targets_free(t, n);
	if (rc == -ECANCELED) {
		qmerge_free(q.m);
		return util_cause(cause, rc, "interrupted");
	}
	if (rc == -EIO) {
		qmerge_free(q.m);
		return rc;
	}
	*out = qmerge_result(q.m, start_ns);
	qmerge_free(q.m);
	return 0;
}

size_t
qfleet_answered(const json_t *res)
{
	const char *k, *code;
	json_t *v;
	size_t n = 0;

	json_object_foreach((json_t *)json_object_get(res, "hosts_statuses"),
	    k, v) {
		code = json_string_value(json_object_get(v, "code"));
		if (code != NULL && (strcmp(code, "ok") == 0 ||
		    strcmp(code, "empty") == 0 ||
		    strcmp(code, "missing data") == 0))
			n++;
	}
	return n;
}

/* ---------------------------------------------- the daemon's side */

/*
 * A request names hosts of the daemon's file only: "any" or names.  Not
 * "@FILE" (a file of the daemon's, read for a stranger) nor an address
 * (the daemon made to POST wherever it is told).  0, or -EINVAL with
 * *cause.
 */
static int
qf_file_hosts_only(const struct hosts *h, const char *sel, char **cause)
{
	const char *p, *end;
	char *name;
	int found;

	if (strcmp(sel, "any") == 0)
		return 0;
	if (*sel == '@')
		return util_cause(cause, -EINVAL, "query_hosts: '%s': a "
		    "file of hosts is flowq's, the daemon takes names of its "
		    "hosts file", sel);
	for (p = sel; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		name = util_printf("%.*s", (int)(end - p), p);
		found = hosts_find(h, util_trim(name)) != NULL ||
		    *util_trim(name) == '\0';	/* hosts_select() says why */
		if (!found) {
			util_cause(cause, -EINVAL, "query_hosts: '%s' is not "
			    "in the hosts file (%s)", util_trim(name),
			    h->path != NULL ? h->path : "none");
			free(name);
			return -EINVAL;
		}
		free(name);
	}
	return 0;
}

int
qfleet_request(const char *body, size_t len, const char *peer_runtime_id,
    const char *hosts_file, const struct qfleet_opts *o, json_t **out,
    char **cause)
{
	struct qargs *a;
	struct hosts *h;
	json_t *args;
	int rc;

	*out = NULL;
	if (qapi_args_parse(body, len, &a, cause) != 0)
		return 400;
	if (a->query_hosts == NULL || *a->query_hosts == '\0') {
		qapi_args_free(a);
		util_cause(cause, 400, "query_hosts: no hosts");
		return 400;
	}
	if (peer_runtime_id != NULL) {
		qapi_args_free(a);
		util_cause(cause, 400, "query_hosts in a request from a fleet "
		    "query (%s %s): refused, it would loop", QFLEET_RUNTIME_HEADER,
		    peer_runtime_id);
		return 400;
	}
	/* goquery's list is no query of rows: nothing to validate */
	if (!a->list && qapi_args_validate(a, cause) != 0) {
		qapi_args_free(a);
		return 422;
	}
	if (hosts_load(hosts_file, &h, cause) != 0) {
		qapi_args_free(a);
		return 500;
	}
	if (qf_file_hosts_only(h, a->query_hosts, cause) != 0) {
		hosts_free(h);
		qapi_args_free(a);
		return 422;
	}
	args = qapi_args_json(a);
	rc = qfleet_query(h, a->query_hosts, NULL, args, o, out, cause);
	json_decref(args);
	hosts_free(h);
	qapi_args_free(a);
	if (rc == -ECANCELED)
		return 503;
	if (rc == -EIO)
		return 500;
	return rc == 0 ? 200 : 422;
}
