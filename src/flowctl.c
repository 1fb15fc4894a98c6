/*
 * flowctl.c - the control API's command-line client (flowctl(1)).
 *
 *   flowctl [-s unix:PATH | -s HOST:PORT | -s https://HOST:PORT]
 *           [-t TOKEN | -t @FILE] [-e json] COMMAND [ARGS]
 *
 * One request per command (the table cmds[]: name, method, route, how
 * the answer is printed), sent with libcurl's easy interface over the
 * UNIX socket or TCP.  The server defaults to api.socket of the
 * configuration (conf_load_client()), the token to $FLOWCTL_TOKEN.  What
 * can go wrong is said plainly: flowrecd not running, the socket's
 * permission, 401, a timeout, the daemon's own JSON error.  Exit status 0,
 * 1 for any failure, 2 for bad usage.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "conf.h"
#include "hosts.h"
#include "tapcli.h"
#include "util.h"

#define FLOWCTL_TIMEOUT_S	60

struct flowctl {
	const char	*server;	/* as given, or the configuration's */
	char		*sock;		/* unix: a socket path, else NULL */
	char		*base;		/* http://... or https://... */
	char		*token;
	const char	*cafile;
	long		 timeout_s;
	int		 json;		/* -e json */
	int		 verbose;	/* status -v */
	int		 color;
	const char	*hosts_sel;	/* -q HOSTS (tap) */
	const char	*hosts_file;	/* --hosts-file F */
};

static void
fatal(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3),
    noreturn));

static void
fatal(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("flowctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/* ------------------------------------------------------------ transport */

struct buf {
	char		*p;
	size_t		 len;
};

static size_t
flowctl_write(char *data, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	b->p = util_realloc(b->p, b->len + size * n + 1, 1);
	memcpy(b->p + b->len, data, size * n);
	b->len += size * n;
	b->p[b->len] = '\0';
	return size * n;
}

/* The socket cannot be used: say why in an operator's words. */
static void
flowctl_check_socket(const char *path)
{
	struct sockaddr_un sun;
	int fd, err;

	if (strlen(path) >= sizeof sun.sun_path)
		fatal(1, "%s: socket path too long", path);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		fatal(1, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) {
		close(fd);
		return;
	}
	err = errno;
	close(fd);
	switch (err) {
	case ENOENT:
		fatal(1, "flowrecd is not running (no socket %s)", path);
	case ECONNREFUSED:
		fatal(1, "flowrecd is not running (nothing answers on %s)",
		    path);
	case EACCES:
	case EPERM:
		fatal(1, "%s: permission denied (the API is for root and the "
		    "group of the socket, flowrec by default)", path);
	default:
		fatal(1, "%s: %s", path, strerror(err));
	}
}

/*
 * method route [body]: the answer's status and body (caller frees).
 * Transport failures end the program with their reason.
 */
static long
flowctl_call(struct flowctl *fc, const char *method, const char *route,
    struct buf *out)
{
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE] = "", *url, *auth;
	CURL *c;
	CURLcode rc;
	long status = 0;

	if (fc->sock != NULL)
		flowctl_check_socket(fc->sock);
	memset(out, 0, sizeof *out);
	if ((c = curl_easy_init()) == NULL)
		fatal(1, "no memory for libcurl");
	url = util_printf("%s%s", fc->base, route);
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (fc->sock != NULL)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, fc->sock);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, flowctl_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, fc->timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "flowctl/" PACKAGE_VERSION);
	if (fc->cafile != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, fc->cafile);
	if (fc->token != NULL) {
		auth = util_printf("Authorization: Bearer %s", fc->token);
		hdrs = curl_slist_append(hdrs, auth);
		free(auth);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	free(url);
	switch (rc) {
	case CURLE_OK:
		break;
	case CURLE_OPERATION_TIMEDOUT:
		fatal(1, "%s: no answer within %ld s (-w to wait longer)",
		    fc->server, fc->timeout_s);
	case CURLE_COULDNT_CONNECT:
		fatal(1, "%s: cannot connect: is flowrecd running with "
		    "api.listen there? (%s)", fc->server, errbuf);
	case CURLE_COULDNT_RESOLVE_HOST:
		fatal(1, "%s: unknown host", fc->server);
	default:
		fatal(1, "%s: %s", fc->server, errbuf[0] ? errbuf :
		    curl_easy_strerror(rc));
	}
	if (status == 401)
		fatal(1, "%s: 401 unauthorized: %s", fc->server, fc->token ?
		    "the token was refused" : "a token is needed (-t TOKEN, "
		    "-t @FILE or FLOWCTL_TOKEN)");
	return status;
}

/* The answer as JSON; a non-2xx answer ends with its error. */
static json_t *
flowctl_json(struct flowctl *fc, const char *method, const char *route)
{
	struct buf b;
	json_error_t je;
	json_t *j, *e;
	long status;

	status = flowctl_call(fc, method, route, &b);
	j = json_loadb(b.p ? b.p : "", b.len, 0, &je);
	if (j == NULL)
		fatal(1, "%s%s: HTTP %ld, not JSON: %.200s", fc->server, route,
		    status, b.p ? b.p : "");
	free(b.p);
	if (status < 200 || status > 299) {
		e = json_object_get(j, "error");
		fatal(1, "%s (HTTP %ld)", json_is_string(e) ?
		    json_string_value(e) : "the daemon refused", status);
	}
	return j;
}

static void
flowctl_print_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (s != NULL)
		printf("%s\n", s);
	free(s);
}

/* ------------------------------------------------------------- status */

static long long
jint(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *
jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "-";
}

/* "2025-03-24T10:00:00.123Z" as "10:00:00" today, else the date too. */
static void
flowctl_when(const char *iso, char *out, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;
	char today[16];

	if (strncmp(iso, "0001-", 5) == 0 || strlen(iso) < 19) {
		snprintf(out, len, "never");
		return;
	}
	gmtime_r(&now, &tm);
	strftime(today, sizeof today, "%Y-%m-%d", &tm);
	if (strncmp(iso, today, 10) == 0)
		snprintf(out, len, "%.8s", iso + 11);
	else
		snprintf(out, len, "%.10s %.8s", iso, iso + 11);
}

/* n with thousands grouped, in red when bad and on a terminal. */
static void
flowctl_num(const struct flowctl *fc, long long n, int width, int bad)
{
	char digits[32], grouped[48];
	int len, i, o = 0;

	len = snprintf(digits, sizeof digits, "%lld", n);
	for (i = 0; i < len; i++) {
		if (i > 0 && digits[i - 1] != '-' && (len - i) % 3 == 0)
			grouped[o++] = ',';
		grouped[o++] = digits[i];
	}
	grouped[o] = '\0';
	if (bad && n != 0 && fc->color)
		printf(" \033[1;31m%*s\033[0m", width, grouped);
	else
		printf(" %*s", width, grouped);
}

/* The running taps of /status (flowctl tap), one line each. */
static void
flowctl_taps(struct flowctl *fc, json_t *a)
{
	char	 when[32];
	size_t	 i;
	json_t	*e;

	if (json_array_size(a) == 0)
		return;
	printf("\n%-5s %-12s %-9s %10s %12s %9s %9s  %s\n", "TAP", "IFACE",
	    "SINCE", "PACKETS", "BYTES", "DROPPED", "LIMITED", "FILTER");
	json_array_foreach(a, i, e) {
		flowctl_when(jstr(e, "started_at"), when, sizeof when);
		printf("%-5lld %-12s %-9s", jint(e, "id"), jstr(e, "iface"),
		    when);
		flowctl_num(fc, jint(e, "packets"), 10, 0);
		flowctl_num(fc, jint(e, "bytes"), 12, 0);
		flowctl_num(fc, jint(e, "drops_queue") +
		    jint(e, "drops_socket"), 9, 1);
		flowctl_num(fc, jint(e, "drops_limit"), 9, 1);
		printf("  %s\n", jstr(e, "filter")[0] ? jstr(e, "filter") :
		    "(all)");
	}
}

/* The export destinations of /status, one line each (none: nothing). */
static void
flowctl_export(struct flowctl *fc, json_t *a)
{
	char	 when[32], oldest[32];
	size_t	 i;
	json_t	*e;

	if (json_array_size(a) == 0)
		return;
	printf("\n%-28s %-8s %-9s %10s %12s %8s %9s %9s\n", "EXPORT", "KIND",
	    "STATE", "BINS SENT", "ROWS SENT", "BACKLOG", "ERRORS",
	    "LAST OK");
	json_array_foreach(a, i, e) {
		flowctl_when(jstr(e, "last_success"), when, sizeof when);
		printf("%-28s %-8s %-9s", jstr(e, "name"), jstr(e, "kind"),
		    jstr(e, "state"));
		flowctl_num(fc, jint(e, "bins_sent"), 10, 0);
		flowctl_num(fc, jint(e, "rows_sent"), 12, 0);
		flowctl_num(fc, jint(e, "backlog_bins"), 8, 0);
		flowctl_num(fc, jint(e, "errors"), 9, 1);
		printf(" %9s\n", when);
		if (json_is_string(json_object_get(e, "backlog_oldest"))) {
			flowctl_when(jstr(e, "backlog_oldest"), oldest,
			    sizeof oldest);
			printf("%28s backlog of %lld rows since %s UTC\n", "",
			    jint(e, "backlog_rows"), oldest);
		}
		if (json_is_string(json_object_get(e, "last_error")))
			printf("%28s %slast error: %s%s\n", "", fc->color ?
			    "\033[1;31m" : "", jstr(e, "last_error"),
			    fc->color ? "\033[0m" : "");
	}
}

/*
 * The packet archives of /status's interfaces, a line each (none:
 * nothing): gotm's figures since the capture started.
 */
static void
flowctl_archive(struct flowctl *fc, json_t *st)
{
	const char	*name;
	json_t		*s, *a;
	int		 head = 0;

	json_object_foreach(st, name, s) {
		if ((a = json_object_get(s, "archive")) == NULL)
			continue;
		if (!head++)
			printf("\n%-16s %8s %8s %12s %12s %7s %6s %12s %9s\n",
			    "ARCHIVE", "CONNS", "CUT", "PACKETS", "ARCHIVED",
			    "OUTPCT", "FILES", "ON DISK", "DROPPED");
		printf("%-16s", name);
		flowctl_num(fc, jint(a, "connections"), 8, 0);
		flowctl_num(fc, jint(a, "connections_cut_total"), 8, 0);
		flowctl_num(fc, jint(a, "packets_total"), 12, 0);
		flowctl_num(fc, jint(a, "archived_packets_total"), 12, 0);
		printf(" %6.2f%%", json_number_value(json_object_get(a,
		    "outpct")));
		flowctl_num(fc, jint(a, "files_total"), 6, 0);
		flowctl_num(fc, jint(a, "disk_bytes"), 12, 0);
		flowctl_num(fc, jint(a, "dropped_total"), 9, 1);
		printf("\n");
		if (fc->verbose || jint(a, "write_errors_total") != 0)
			printf("%16s %s: bytes seen %lld, archived %lld; write "
			    "errors %lld (%lld packets lost); removed files "
			    "%lld\n", "", jstr(a, "path"),
			    jint(a, "bytes_total"),
			    jint(a, "archived_bytes_total"),
			    jint(a, "write_errors_total"),
			    jint(a, "write_lost_total"),
			    jint(a, "files_removed_total"));
	}
}

static void
flowctl_status(struct flowctl *fc, int argc, char **argv)
{
	json_t *j, *st, *s, *r, *v;
	const char *name, *k;
	char *route, *list = NULL, when[32];
	size_t n = 0;
	int i;

	for (i = 0; i < argc; i++) {
		char *l = util_printf("%s%s%s", list ? list : "", list ? "," :
		    "", argv[i]);

		free(list);
		list = l;
	}
	route = util_printf("/status%s%s", list ? "?ifaces=" : "",
	    list ? list : "");
	free(list);
	j = flowctl_json(fc, "GET", route);
	free(route);
	if (fc->json) {
		flowctl_print_json(j);
		json_decref(j);
		return;
	}
	st = json_object_get(j, "statuses");
	flowctl_when(jstr(j, "started_at"), when, sizeof when);
	printf("flowrecd: started %s UTC", when);
	flowctl_when(jstr(j, "last_writeout"), when, sizeof when);
	printf(", last write-out %s\n", when);
	r = json_object_get(j, "reload");
	if (json_is_false(json_object_get(r, "last_ok")))
		printf("%slast reload refused: %s%s\n", fc->color ?
		    "\033[1;31m" : "", jstr(r, "last_error"), fc->color ?
		    "\033[0m" : "");
	printf("\n%-16s %-9s %12s %12s %9s %9s %10s %9s\n", "IFACE", "STATE",
	    "RECEIVED", "PROCESSED", "DROPPED", "SKIPPED", "FLOWS",
	    "WRITTEN");
	json_object_foreach(st, name, s) {
		long long skipped = 0;

		json_object_foreach(json_object_get(s, fc->verbose ?
		    "skipped_total" : "skipped"), k, v)
			skipped += json_integer_value(v);
		(void)k;
		flowctl_when(jstr(s, "last_writeout"), when, sizeof when);
		printf("%-16s %-9s", name, jstr(s, "state"));
		if (json_object_get(s, "received") == NULL) {
			printf("\n");
			n++;
			continue;
		}
		if (fc->verbose) {
			flowctl_num(fc, jint(s, "received_total"), 12, 0);
			flowctl_num(fc, jint(s, "processed_total"), 12, 0);
			flowctl_num(fc, jint(s, "dropped_total"), 9, 1);
		} else {
			flowctl_num(fc, jint(s, "received"), 12, 0);
			flowctl_num(fc, jint(s, "processed"), 12, 0);
			flowctl_num(fc, jint(s, "dropped"), 9, 1);
		}
		flowctl_num(fc, skipped, 9, 0);
		flowctl_num(fc, jint(s, "active_flows"), 10, 0);
		printf(" %9s\n", when);
		if (fc->verbose) {
			printf("%16s rows written %lld, bins %lld, write errors",
			    "", jint(s, "rows_written_total"),
			    jint(s, "bins_written_total"));
			flowctl_num(fc, jint(s, "write_errors_total"), 0, 1);
			printf(", dropped bins");
			flowctl_num(fc, jint(s, "bins_dropped_total"), 0, 1);
			printf(", queued rows %lld\n", jint(s, "queued_rows"));
			printf("%16s last write-out %.3f s, %lld rows; kernel "
			    "freezes %lld\n", "", json_number_value(
			    json_object_get(s, "last_writeout_duration_s")),
			    jint(s, "last_writeout_rows"),
			    jint(s, "kernel_freezes_total"));
			json_object_foreach(json_object_get(s,
			    "skipped_total"), k, v)
				printf("%16s skipped %s: %lld\n", "", k,
				    (long long)json_integer_value(v));
		}
		n++;
	}
	if (n == 0)
		printf("(no interface)\n");
	flowctl_archive(fc, st);
	flowctl_export(fc, json_object_get(j, "export"));
	flowctl_taps(fc, json_object_get(j, "taps"));
	printf("\n%s\n", fc->verbose ? "Totals since each capture started" :
	    "Counts since the last write-out (-v: totals)");
	json_decref(j);
}

/* ------------------------------------------------------------ others */

static void
flowctl_config(struct flowctl *fc, int argc, char **argv)
{
	char *route, *esc = NULL;
	json_t *j;
	CURL *c;

	if (argc > 1)
		fatal(2, "config: one interface at most");
	if (argc == 1) {
		if ((c = curl_easy_init()) == NULL)
			fatal(1, "no memory for libcurl");
		esc = curl_easy_escape(c, argv[0], 0);
		curl_easy_cleanup(c);
	}
	route = util_printf("/config%s%s", esc ? "/" : "", esc ? esc : "");
	curl_free(esc);
	j = flowctl_json(fc, "GET", route);
	free(route);
	json_object_del(j, "status_code");
	if (!fc->json && argc == 0)
		flowctl_print_json(json_object_get(j, "config"));
	else if (!fc->json)
		flowctl_print_json(json_object_get(json_object_get(j,
		    "ifaces"), argv[0]));
	else
		flowctl_print_json(j);
	json_decref(j);
}

static void
flowctl_reload(struct flowctl *fc, int argc, char **argv)
{
	static const char *kinds[] = { "enabled", "updated", "disabled" };
	json_t *j, *c;
	size_t i, k, n = 0;

	(void)argv;
	if (argc > 0)
		fatal(2, "reload takes no argument");
	j = flowctl_json(fc, "POST", "/config/_reload");
	if (fc->json) {
		flowctl_print_json(j);
		json_decref(j);
		return;
	}
	for (k = 0; k < 3; k++)
		json_array_foreach(json_object_get(j, kinds[k]), i, c) {
			printf("%s: %s%s%s%s\n", jstr(c, "name"), kinds[k],
			    json_is_false(json_object_get(c, "success")) ?
			    " (failed)" : "", json_is_string(json_object_get(c,
			    "note")) ? ": " : "", json_is_string(
			    json_object_get(c, "note")) ? jstr(c, "note") : "");
			n++;
		}
	if (n == 0)
		printf("configuration re-read: no interface changed\n");
	json_decref(j);
}

static void
flowctl_flush(struct flowctl *fc, int argc, char **argv)
{
	const char *name;
	json_t *j, *v;
	int bad = 0;

	(void)argv;
	if (argc > 0)
		fatal(2, "flush takes no argument");
	j = flowctl_json(fc, "POST", "/flush");
	if (fc->json)
		flowctl_print_json(j);
	else
		json_object_foreach(json_object_get(j, "flushed"), name, v) {
			printf("%s: %s\n", name, json_is_true(v) ? "written" :
			    "NOT written (see the daemon's log)");
			bad |= !json_is_true(v);
		}
	json_decref(j);
	if (bad)
		exit(1);
}

static void
flowctl_version(struct flowctl *fc, int argc, char **argv)
{
	json_t *j;

	(void)argv;
	if (argc > 0)
		fatal(2, "version takes no argument");
	j = flowctl_json(fc, "GET", "/-/info");
	if (fc->json) {
		json_object_set_new(j, "flowctl", json_string(
		    PACKAGE_VERSION));
		flowctl_print_json(j);
	} else
		printf("flowctl %s\n%s %s\n", PACKAGE_VERSION, jstr(j, "name"),
		    jstr(j, "version"));
	json_decref(j);
}

/*
 * tap IFACE [FILTER...] [-c COUNT] [-G SECONDS] [--snaplen N] [-w FILE]
 * [--pcapng]: the packets as one pcap stream (tapcli.c), from -s's host
 * or every host -q names.
 */
static void
flowctl_tap(struct flowctl *fc, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 'G' },
		{ "snaplen", required_argument, NULL, 'S' },
		{ "write", required_argument, NULL, 'w' },
		{ "pcapng", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'Q' },
		{ NULL, 0, NULL, 0 }
	};
	struct tapcli_opts o;
	struct hosts_target one, *t = &one;
	struct hosts *h = NULL;
	size_t n = 1, len = 0;
	char *filter = NULL, *cause = NULL, *end;
	unsigned long long v;
	int ch, i, rc;

	memset(&o, 0, sizeof o);
	optind = 0;
	while ((ch = getopt_long(argc, argv, "c:G:w:", longopts, NULL)) != -1) {
		if (ch == 'n' || ch == 'Q') {
			*(ch == 'n' ? &o.pcapng : &o.quiet) = 1;
			continue;
		}
		if (ch == 'w') {
			o.out = optarg;
			continue;
		}
		if (ch != 'c' && ch != 'G' && ch != 'S')
			fatal(2, "usage: flowctl tap IFACE [FILTER...] [-c COUNT] "
			    "[-G SECONDS] [--snaplen N] [-w FILE] [--pcapng]");
		errno = 0;
		v = strtoull(optarg, &end, 10);
		if (*end != '\0' || errno != 0 || optarg[0] == '-' ||
		    (ch == 'c' && v > 1000000000) ||
		    (ch == 'G' && (v < 1 || v > 86400 * 366)) ||
		    (ch == 'S' && (v < 16 || v > 65535)))
			fatal(2, "-%s %s: out of range", ch == 'c' ? "c" :
			    ch == 'G' ? "G" : "-snaplen", optarg);
		if (ch == 'c')
			o.count = v;
		else if (ch == 'G')
			o.seconds = (uint32_t)v;
		else
			o.snaplen = (uint32_t)v;
	}
	if (optind >= argc)
		fatal(2, "usage: flowctl tap IFACE [FILTER...]");
	o.iface = argv[optind++];
	/* The filter's words, as tcpdump takes them. */
	filter = util_strdup("");
	for (i = optind; i < argc; i++) {
		len = strlen(filter);
		filter = util_realloc(filter, len + strlen(argv[i]) + 2, 1);
		sprintf(filter + len, "%s%s", len ? " " : "", argv[i]);
	}
	o.filter = filter;
	if (fc->hosts_sel != NULL) {
		if (hosts_load(fc->hosts_file, &h, &cause) != 0 ||
		    hosts_select(h, fc->hosts_sel, fc->token != NULL ?
		    fc->token : getenv("FLOWQ_TOKEN"), &t, &n, &cause) != 0)
			fatal(1, "%s", cause);
	} else {
		if (fc->sock != NULL)
			flowctl_check_socket(fc->sock);
		memset(&one, 0, sizeof one);
		one.name = (char *)fc->server;
		one.url = fc->base;
		one.unix_path = fc->sock;
		one.token = fc->token;
		one.ca = (char *)fc->cafile;
	}
	rc = tapcli_run(&o, t, n);
	if (t != &one)
		hosts_targets_free(t, n);
	hosts_free(h);
	free(filter);
	if (rc != 0)
		exit(rc);
}

/* The master table of the subcommands. */
static const struct flowctl_cmd {
	const char	*name;
	const char	*usage;
	void		(*run)(struct flowctl *, int, char **);
	int		 own_flags;	/* parses its own options */
} cmds[] = {
	{ "status", "status [-v] [IFACE ...]", flowctl_status, 0 },
	{ "config", "config [IFACE]", flowctl_config, 0 },
	{ "reload", "reload", flowctl_reload, 0 },
	{ "flush", "flush", flowctl_flush, 0 },
	{ "version", "version", flowctl_version, 0 },
	{ "tap", "tap IFACE [FILTER...] [-c COUNT] [-G SECONDS] [--snaplen N] "
	  "[-w FILE] [--pcapng]", flowctl_tap, 1 },
	{ NULL, NULL, NULL, 0 }
};

static void __attribute__((noreturn))
usage(int status)
{
	const struct flowctl_cmd *c;

	fprintf(status ? stderr : stdout, "usage: flowctl [-s unix:PATH | -s "
	    "HOST:PORT | -s https://HOST:PORT] [-t TOKEN | -t @FILE]\n"
	    "               [-c CONFIG] [-e json] [-w SECONDS] [--ca FILE] "
	    "[-q HOSTS [--hosts-file FILE]]\n               COMMAND\n"
	    "commands:\n");
	for (c = cmds; c->name != NULL; c++)
		fprintf(status ? stderr : stdout, "  flowctl %s\n", c->usage);
	exit(status);
}

/* -t @FILE: the first line of FILE. */
static char *
flowctl_token(const char *arg)
{
	char line[1024];
	FILE *f;

	if (arg[0] != '@')
		return util_strdup(arg);
	if ((f = fopen(arg + 1, "r")) == NULL)
		fatal(1, "%s: %s", arg + 1, strerror(errno));
	if (fgets(line, sizeof line, f) == NULL)
		line[0] = '\0';
	fclose(f);
	if (util_trim(line)[0] == '\0')
		fatal(1, "%s: no token in it", arg + 1);
	return util_strdup(util_trim(line));
}

/* Where to: unix:PATH, /PATH, HOST:PORT, http(s)://HOST:PORT. */
static void
flowctl_server(struct flowctl *fc, const char *s)
{
	fc->server = s;
	if (strncmp(s, "unix:", 5) == 0 || s[0] == '/') {
		fc->sock = util_strdup(s[0] == '/' ? s : s + 5);
		fc->base = util_strdup("http://flowrecd");
	} else if (strncmp(s, "http://", 7) == 0 ||
	    strncmp(s, "https://", 8) == 0)
		fc->base = util_strdup(s);
	else if (strchr(s, ':') != NULL)
		fc->base = util_printf("http://%s", s);
	else
		fatal(2, "-s %s: want unix:PATH, HOST:PORT or "
		    "https://HOST:PORT", s);
	/* No trailing slash: routes begin with one. */
	while (strlen(fc->base) > 0 && fc->base[strlen(fc->base) - 1] == '/')
		fc->base[strlen(fc->base) - 1] = '\0';
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "token", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'c' },
		{ "encoding", required_argument, NULL, 'e' },
		{ "wait", required_argument, NULL, 'w' },
		{ "ca", required_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "hosts", required_argument, NULL, 'q' },
		{ "hosts-file", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 }
	};
	struct flowctl fc;
	const struct flowctl_cmd *cmd;
	const char *server = NULL, *config = NULL, *env;
	struct conf *conf = NULL;
	char *cause = NULL, *end, *owned = NULL;
	int ch;

	memset(&fc, 0, sizeof fc);
	fc.timeout_s = FLOWCTL_TIMEOUT_S;
	/* "+": options after the command are the command's. */
	while ((ch = getopt_long(argc, argv, "+s:t:c:e:w:q:vhV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			server = optarg;
			break;
		case 't':
			free(fc.token);
			fc.token = flowctl_token(optarg);
			break;
		case 'c':
			config = optarg;
			break;
		case 'e':
			if (strcmp(optarg, "json") != 0 &&
			    strcmp(optarg, "txt") != 0)
				fatal(2, "-e %s: json or txt", optarg);
			fc.json = strcmp(optarg, "json") == 0;
			break;
		case 'w':
			fc.timeout_s = strtol(optarg, &end, 10);
			if (*end != '\0' || fc.timeout_s < 1 ||
			    fc.timeout_s > 86400)
				fatal(2, "-w %s: seconds, 1 to 86400", optarg);
			break;
		case 'C':
			fc.cafile = optarg;
			break;
		case 'q':
			fc.hosts_sel = optarg;
			break;
		case 'H':
			fc.hosts_file = optarg;
			break;
		case 'v':
			fc.verbose = 1;
			break;
		case 'V':
			printf("flowctl %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(2);
	for (cmd = cmds; cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, argv[0]) == 0)
			break;
	if (cmd->name == NULL)
		fatal(2, "unknown command '%s' (try flowctl -h)", argv[0]);
	/* The command's own flags: -v, -e json. */
	optind = 0;		/* glibc: start afresh */
	while (!cmd->own_flags && (ch = getopt(argc, argv, "ve:")) != -1) {
		if (ch == 'v')
			fc.verbose = 1;
		else if (ch == 'e' && strcmp(optarg, "json") == 0)
			fc.json = 1;
		else if (ch == 'e' && strcmp(optarg, "txt") == 0)
			fc.json = 0;
		else
			fatal(2, "usage: flowctl %s", cmd->usage);
	}
	if (server == NULL)
		server = getenv("FLOWCTL_SERVER");
	if (server == NULL) {
		if (conf_load_client(config, &conf, &cause) != 0)
			fatal(1, "%s", cause);
		if (conf->api.socket != NULL &&
		    strcmp(conf->api.socket, "none") != 0)
			server = owned = util_printf("unix:%s",
			    conf->api.socket);
		else if (conf->api.listen != NULL)
			server = conf->api.listen;
		else
			fatal(1, "%s: the API listens nowhere (api.socket: none, "
			    "no api.listen)", conf->path ? conf->path :
			    CONF_DEFAULT_PATH);
	}
	if (fc.token == NULL && (env = getenv("FLOWCTL_TOKEN")) != NULL &&
	    *env != '\0')
		fc.token = flowctl_token(env);
	fc.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL &&
	    (env = getenv("TERM")) != NULL && strcmp(env, "dumb") != 0;
	flowctl_server(&fc, server);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (cmd->own_flags)
		cmd->run(&fc, argc, argv);
	else
		cmd->run(&fc, argc - optind, argv + optind);
	curl_global_cleanup();
	free(fc.token);
	free(fc.sock);
	free(fc.base);
	free(owned);
	conf_free(conf);
	return 0;
}
