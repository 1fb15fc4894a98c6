/*
 * status.c - the daemon's answers to the control API (see status.h).
 *
 * GET /status is goProbe's StatusResponse (status_code, started_at,
 * last_writeout, statuses: per interface its CaptureStats: received,
 * processed, dropped since the last write-out, the same as *_total since
 * its capture started) with what flowrec adds beside: the skip reasons,
 * the flows of the open bin, the last write-out's time, duration and rows,
 * the writer's queue and failures, the reload, retention and export.
 * POST /config/_reload answers goProbe's ConfigUpdateResponse (enabled,
 * updated, disabled: [{name, success, note}]).  POST /flush writes every
 * open bin and answers once they are stored.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "daemon.h"
#include "export.h"
#include "metrics.h"
#include "qapi.h"
#include "qfleet.h"
#include "status.h"
#include "taps.h"
#include "util.h"

void
status_time(int64_t ns, char *buf, size_t len)
{
	struct tm tm;
	time_t t;

	if (ns <= 0) {
		snprintf(buf, len, "0001-01-01T00:00:00Z");
		return;
	}
	t = (time_t)(ns / 1000000000);
	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ns % 1000000000 / 1000000));
}

static json_t *
status_jtime(int64_t ns)
{
	char buf[40];

	status_time(ns, buf, sizeof buf);
	return json_string(buf);
}

/* Reasons with a count, by their stored names. */
static json_t *
status_reasons(const uint64_t *reasons)
{
	json_t *o = json_object();
	size_t r;

	for (r = 1; r < PARSE_REASON_COUNT; r++)
		if (reasons[r] != 0)
			json_object_set_new(o, parse_reason_name(
			    (enum parse_reason)r), json_integer(
			    (json_int_t)reasons[r]));
	return o;
}

/*
 * The packet archive's counters since its capture started (gotm's set:
 * connections tracked and cut off, packets and bytes seen and archived,
 * outpct, files, bytes on disk, drops).
 */
static json_t *
status_archive(const struct daemon_iface_info *in)
{
	const struct archive_stats *a = &in->st.archive;

	return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:I,"
	    "s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "path", in->cfg->archive.path,
	    "connections", (json_int_t)a->conns,
	    "connections_total", (json_int_t)a->conns_started,
	    "connections_cut_total", (json_int_t)a->conns_cut,
	    "connections_removed_total", (json_int_t)a->conns_removed,
	    "connections_evicted_total", (json_int_t)a->conns_evicted,
	    "packets_total", (json_int_t)a->packets,
	    "bytes_total", (json_int_t)a->bytes,
	    "archived_packets_total", (json_int_t)a->archived,
	    "archived_bytes_total", (json_int_t)a->archived_bytes,
	    "outpct", a->packets ? 100.0 * (double)a->archived /
	    (double)a->packets : 0.0,
	    "dropped_total", (json_int_t)a->dropped,
	    "files_total", (json_int_t)a->files,
	    "file_packets_total", (json_int_t)a->file_packets,
	    "file_bytes_total", (json_int_t)a->file_bytes,
	    "write_errors_total", (json_int_t)a->write_errors,
	    "write_lost_total", (json_int_t)a->write_lost,
	    "files_removed_total", (json_int_t)a->files_removed,
	    "disk_bytes", (json_int_t)a->disk_bytes);
}

static json_t *
status_iface(const struct daemon_iface_info *in)
{
	const struct capture_stats *st = &in->st;
	const struct writer_stats *w = &st->writer;
	json_t *o;

	o = json_pack("{s:s}", "state", in->state);
	if (!in->has_capture)
		return o;
	json_object_set_new(o, "started_at", status_jtime(st->started_ns));
	json_object_set_new(o, "received", json_integer(
	    (json_int_t)in->bin.packets));
	json_object_set_new(o, "received_total", json_integer(
	    (json_int_t)st->frames));
	json_object_set_new(o, "processed", json_integer(
	    (json_int_t)in->bin.ip));
	json_object_set_new(o, "processed_total", json_integer(
	    (json_int_t)st->ip));
	json_object_set_new(o, "dropped", json_integer(
	    (json_int_t)in->bin.kernel_drops));
	json_object_set_new(o, "dropped_total", json_integer(
	    (json_int_t)st->kernel_drops));
	json_object_set_new(o, "kernel_packets", json_integer(
	    (json_int_t)in->bin.kernel_packets));
	json_object_set_new(o, "kernel_packets_total", json_integer(
	    (json_int_t)st->kernel_packets));
	json_object_set_new(o, "kernel_freezes_total", json_integer(
	    (json_int_t)st->kernel_freezes));
	json_object_set_new(o, "skipped", status_reasons(in->bin.reasons));
	json_object_set_new(o, "skipped_total", status_reasons(st->reasons));
	json_object_set_new(o, "lost_no_memory_total", json_integer(
	    (json_int_t)st->lost_no_memory));
	json_object_set_new(o, "active_flows", json_integer(
	    (json_int_t)in->flows));
	json_object_set_new(o, "max_flows", json_integer(
	    (json_int_t)in->max_flows));
	json_object_set_new(o, "last_writeout", status_jtime(
	    w->last_write_ns));
	json_object_set_new(o, "last_writeout_duration_s", json_real(
	    (double)w->last_duration_ns / 1e9));
	json_object_set_new(o, "last_writeout_rows", json_integer(
	    (json_int_t)w->last_rows));
	json_object_set_new(o, "bins_written_total", json_integer(
	    (json_int_t)w->bins_written));
	json_object_set_new(o, "rows_written_total", json_integer(
	    (json_int_t)w->rows_written));
	json_object_set_new(o, "write_errors_total", json_integer(
	    (json_int_t)w->write_errors));
	json_object_set_new(o, "bins_dropped_total", json_integer(
	    (json_int_t)w->bins_dropped));
	json_object_set_new(o, "rows_dropped_total", json_integer(
	    (json_int_t)w->rows_dropped));
	json_object_set_new(o, "queued_bins", json_integer(
	    (json_int_t)w->queued_bins));
	json_object_set_new(o, "queued_rows", json_integer(
	    (json_int_t)w->queued_rows));
	if (in->cfg->archive.path != NULL)
		json_object_set_new(o, "archive", status_archive(in));
	if (in->cfg->headers.path != NULL)
		json_object_set_new(o, "headers", json_pack("{s:s,s:I,s:I,s:I,"
		    "s:I,s:I,s:I}", "path", in->cfg->headers.path,
		    "connections_total", (json_int_t)st->archive.hdr_conns,
		    "packets_total", (json_int_t)st->archive.hdr_packets,
		    "dropped_total", (json_int_t)st->archive.hdr_dropped,
		    "files_total", (json_int_t)st->archive.hdr_files,
		    "written_total", (json_int_t)st->archive.hdr_written,
		    "write_errors_total", (json_int_t)st->archive.hdr_errors));
	return o;
}

/* Is name in the comma-separated list (NULL: everything is)? */
static int
status_listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	if (list == NULL)
		return 1;
	for (p = list; *p != '\0'; p += *p == ',') {
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

/* The running taps (tap.c). */
static json_t *
status_taps(struct daemon *d)
{
	struct tap_info *v;
	size_t n, i;
	json_t *a = json_array();

	n = tapset_list(daemon_taps(d), &v);
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:o,s:I,s:I,"
		    "s:I,s:I,s:I,s:I}", "id", (json_int_t)v[i].id, "iface",
		    v[i].iface, "filter", v[i].filter, "started_at",
		    status_jtime(v[i].started_ns), "packets",
		    (json_int_t)v[i].packets, "bytes", (json_int_t)v[i].bytes,
		    "drops_queue", (json_int_t)v[i].drops_queue, "drops_limit",
		    (json_int_t)v[i].drops_limit, "drops_socket",
		    (json_int_t)v[i].drops_socket, "queued_bytes",
		    (json_int_t)v[i].queued_bytes));
	tap_info_free(v, n);
	return a;
}

static json_t *
status_daemon_parts(struct daemon *d)
{
	const struct daemon_reload_status *rs = daemon_reload_status(d);
	struct retention_stats ret;
	struct export_status *es;
	size_t n, i;
	json_t *o = json_object(), *a;

	json_object_set_new(o, "reload", json_pack("{s:o,s:o,s:s?,s:s?,"
	    "s:I,s:I}", "last_ok", rs->last_ok < 0 ? json_null() :
	    json_boolean(rs->last_ok), "last_time", rs->last_ns ?
	    status_jtime(rs->last_ns) : json_null(), "last_trigger",
	    rs->last_trigger, "last_error", rs->last_message, "ok_total",
	    (json_int_t)rs->ok_total, "failed_total",
	    (json_int_t)rs->failed_total));
	daemon_retention_stats(d, &ret);
	json_object_set_new(o, "retention", json_pack("{s:I,s:I,s:I,s:I,s:I,"
	    "s:o}", "passes", (json_int_t)ret.passes, "days_removed",
	    (json_int_t)ret.days_removed, "files_removed",
	    (json_int_t)ret.files_removed, "bytes_removed",
	    (json_int_t)ret.bytes_removed, "errors", (json_int_t)ret.errors,
	    "last_pass", ret.last_pass_ns ? status_jtime(ret.last_pass_ns) :
	    json_null()));
	n = daemon_export_status(d, &es);
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,"
		    "s:I,s:I,s:o,s:o,s:s?}", "name", es[i].name, "kind",
		    es[i].kind, "state", es[i].state, "bins_sent", (json_int_t)
		    es[i].bins_sent, "rows_sent", (json_int_t)es[i].rows_sent,
		    "errors", (json_int_t)es[i].errors, "backlog_bins",
		    (json_int_t)es[i].backlog_bins, "backlog_rows",
		    (json_int_t)es[i].backlog_rows, "backlog_oldest",
		    es[i].backlog_oldest > 0 ? status_jtime(
		    es[i].backlog_oldest * 1000000000LL) : json_null(),
		    "last_success", es[i].last_success > 0 ? status_jtime(
		    es[i].last_success) : json_null(), "last_error",
		    es[i].last_error));
	if (n > 0)
		export_status_free(es, n);
	json_object_set_new(o, "export", a);
	json_object_set_new(o, "taps", status_taps(d));
	return o;
}

static void
status_get(struct daemon *d, struct api_req *r)
{
	struct daemon_iface_info *v;
	const char *one = api_req_param(r), *list = api_req_query(r, "ifaces");
	size_t n, i;
	int64_t last = 0;
	json_t *o, *st;

	n = daemon_ifaces(d, &v);
	st = json_object();
	for (i = 0; i < n; i++) {
		if (v[i].has_capture && v[i].st.writer.last_write_ns > last)
			last = v[i].st.writer.last_write_ns;
		if (one != NULL ? strcmp(one, v[i].name) != 0 :
		    !status_listed(list, v[i].name))
			continue;
		json_object_set_new(st, v[i].name, status_iface(&v[i]));
	}
	daemon_ifaces_free(v, n);
	if (one != NULL && json_object_size(st) == 0) {
		json_decref(st);
		api_reply_error(r, 404, "%s: not recorded (see GET /status "
		    "for the interfaces)", one);
		return;
	}
	o = status_daemon_parts(d);
	json_object_set_new(o, "started_at", status_jtime(
	    daemon_started_ns(d)));
	json_object_set_new(o, "last_writeout", status_jtime(last));
	json_object_set_new(o, "statuses", st);
	api_reply_json(r, 200, o);
}

static void
status_config(struct daemon *d, struct api_req *r)
{
	const struct conf *c = daemon_conf(d);
	const struct conf_iface *ci = NULL;
	struct daemon_iface_info *v;
	const char *one = api_req_param(r);
	json_t *o, *cj;
	size_t n, i;

	if (one == NULL) {
		cj = conf_json(c);
		o = json_pack("{s:O,s:o}", "ifaces", json_object_get(cj,
		    "interfaces"), "config", cj);
		api_reply_json(r, 200, o);
		return;
	}
	/* The settings it records with (a pattern's, autodetect's), or the
	   file's entry of that name. */
	n = daemon_ifaces(d, &v);
	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, one) == 0)
			ci = v[i].cfg;
	if (ci == NULL)
		ci = conf_find_iface(c, one);
	if (ci == NULL) {
		daemon_ifaces_free(v, n);
		api_reply_error(r, 404, "%s: no such interface in the "
		    "configuration", one);
		return;
	}
	o = json_object();
	json_object_set_new(o, "ifaces", json_object());
	json_object_set_new(json_object_get(o, "ifaces"), one,
	    conf_iface_json(ci));
	daemon_ifaces_free(v, n);
	api_reply_json(r, 200, o);
}

static void
status_reload(struct daemon *d, struct api_req *r)
{
	static const char *kinds[] = { "enabled", "updated", "disabled" };
	struct daemon_changes ch;
	char *cause = NULL;
	json_t *o;
	size_t i;
	int rc;

	rc = daemon_reload(d, "API", &ch, &cause);
	if (rc != 0) {
		api_reply_error(r, rc == -EINVAL ? 422 : rc == -ENOENT ? 409 :
		    503, "%s", cause ? cause : "reload refused");
		free(cause);
		return;
	}
	o = json_pack("{s:[],s:[],s:[]}", "enabled", "updated", "disabled");
	for (i = 0; i < ch.n; i++)
		json_array_append_new(json_object_get(o,
		    kinds[ch.v[i].kind]), json_pack("{s:s,s:b,s:s?}", "name",
		    ch.v[i].name, "success", ch.v[i].success, "note",
		    ch.v[i].note));
	daemon_changes_free(&ch);
	api_reply_json(r, 200, o);
}

/* ------------------------------------------------------------ flush */

struct status_flush {
	struct api_req	*r;
	json_t		*res;		/* {"iface": true|false} */
	size_t		 waiting;
	int		 failed;
};

struct status_flush_one {
	struct status_flush *f;
	char		*name;
};

static void
status_flush_reply(struct status_flush *f)
{
	api_reply_json(f->r, f->failed ? 500 : 200, json_pack("{s:o}",
	    "flushed", f->res));
	free(f);
}

static void
status_flush_done(void *arg, int written)
{
	struct status_flush_one *one = arg;
	struct status_flush *f = one->f;

	json_object_set_new(f->res, one->name, json_boolean(written));
	f->failed |= !written;
	free(one->name);
	free(one);
	if (--f->waiting == 0)
		status_flush_reply(f);
}

static void
status_flush(struct daemon *d, struct api_req *r)
{
	struct status_flush *f = util_calloc(1, sizeof *f);
	struct status_flush_one *one;
	struct daemon_iface_info *v;
	size_t n, i;
	int rc;

	if (!daemon_running(d)) {
		free(f);
		api_reply_error(r, 503, "flowrecd is stopping");
		return;
	}
	f->r = r;
	f->res = json_object();
	f->waiting = 1;		/* until every interface was asked */
	n = daemon_ifaces(d, &v);
	for (i = 0; i < n; i++) {
		if (!v[i].has_capture)
			continue;
		one = util_calloc(1, sizeof *one);
		one->f = f;
		one->name = util_strdup(v[i].name);
		f->waiting++;
		if ((rc = daemon_flush_iface(d, v[i].name, status_flush_done,
		    one)) != 0) {
			log_warn("API: flush of %s: %s", v[i].name,
			    strerror(-rc));
			status_flush_done(one, 0);
		}
	}
	daemon_ifaces_free(v, n);
	if (--f->waiting == 0)
		status_flush_reply(f);
}

/* ---------------------------------------------------------- metrics */

struct status_metrics {
	uv_work_t	 work;
	struct api_req	*r;
	struct metrics_snapshot *s;
	char		*text;
	size_t		 len;
};

static void
status_metrics_work(uv_work_t *w)
{
	struct status_metrics *m = w->data;

	m->text = metrics_render(m->s, &m->len);
}

static void
status_metrics_done(uv_work_t *w, int status)
{
	struct status_metrics *m = w->data;

	(void)status;
	if (m->text == NULL)
		api_reply_error(m->r, 500, "out of memory for the metrics");
	else
		api_reply_text(m->r, 200, "text/plain; version=0.0.4; "
		    "charset=utf-8", m->text, m->len);
	metrics_snapshot_free(m->s);
	free(m);
}

/* Everything the metrics show, copied (the worker reads it alone). */
static struct metrics_snapshot *
status_snapshot(struct daemon *d)
{
	struct metrics_snapshot *s = util_calloc(1, sizeof *s);
	const struct daemon_reload_status *rs = daemon_reload_status(d);
	const struct retention_iface_stats *rp;
	const struct conf *c = daemon_conf(d);
	struct daemon_iface_info *v;
	struct export_status *es;
	size_t n, nr, i, j;

	s->db_path = util_strdup(c->db_path);
	s->iface_label = c->api.metrics_iface_label;
	s->started_ns = daemon_started_ns(d);
	n = daemon_ifaces(d, &v);
	rp = daemon_retention_iface_stats(d, &nr);
	s->ifaces = util_calloc(n + nr + 1, sizeof *s->ifaces);
	for (i = 0; i < n; i++) {
		s->ifaces[i].name = util_strdup(v[i].name);
		s->ifaces[i].recording = v[i].has_capture;
		s->ifaces[i].archive = v[i].cfg->archive.path != NULL ||
		    v[i].cfg->headers.path != NULL;
		s->ifaces[i].st = v[i].st;
		s->ifaces[i].flows = v[i].flows;
		s->ifaces[i].max_flows = v[i].max_flows;
	}
	s->nifaces = n;
	daemon_ifaces_free(v, n);
	for (j = 0; j < nr; j++) {
		for (i = 0; i < s->nifaces; i++)
			if (strcmp(s->ifaces[i].name, rp[j].name) == 0)
				break;
		if (i == s->nifaces)
			s->ifaces[s->nifaces++].name = util_strdup(rp[j].name);
		s->ifaces[i].ret = rp[j];
		s->ifaces[i].ret.name = NULL;
	}
	daemon_retention_stats(d, &s->ret);
	s->reload_last_ok = rs->last_ok;
	s->reload_last_ns = rs->last_ns;
	s->reload_ok = rs->ok_total;
	s->reload_failed = rs->failed_total;
	n = daemon_export_status(d, &es);
	s->exp = util_calloc(n + 1, sizeof *s->exp);
	for (i = 0; i < n; i++) {
		s->exp[i].name = util_strdup(es[i].name);
		s->exp[i].kind = util_strdup(es[i].kind);
		s->exp[i].bins_sent = es[i].bins_sent;
		s->exp[i].rows_sent = es[i].rows_sent;
		s->exp[i].bytes_sent = es[i].bytes_sent;
		s->exp[i].errors = es[i].errors;
		s->exp[i].backlog_bins = es[i].backlog_bins;
		s->exp[i].backlog_rows = es[i].backlog_rows;
		s->exp[i].last_success_ns = es[i].last_success;
	}
	s->nexp = n;
	if (n > 0)
		export_status_free(es, n);
	return s;
}

static void
status_metrics(struct daemon *d, struct api_req *r, uv_loop_t *loop)
{
	struct status_metrics *m = util_calloc(1, sizeof *m);

	m->r = r;
	m->s = status_snapshot(d);
	daemon_api_counts(d, &m->s->api);
	tapset_totals(daemon_taps(d), &m->s->taps);
	m->work.data = m;
	if (uv_queue_work(loop, &m->work, status_metrics_work,
	    status_metrics_done) != 0) {
		metrics_snapshot_free(m->s);
		free(m);
		api_reply_error(r, 503, "cannot queue the work");
	}
}

/* ------------------------------------------------------------ /_query */

/*
 * POST /_query and /_query/validate: goProbe's query.Args in, its
 * results.Result out (qapi.c, the same document `flowq -e json` prints).
 * The body is copied and everything else happens on a worker thread:
 * parsing, checking, reading the day files, encoding.  The query runs
 * with the API's own timeout, so a request answered 504 by the API stops
 * soon after; its late answer is dropped by api.c.  With "live": true the
 * open bins are copied here first (daemon_live_bins()), on the loop
 * thread that owns the flow tables, and merged by the worker.
 */
struct status_query {
	uv_work_t	 work;
	struct api_req	*r;
	int		 validate_only;
	char		*body;
	size_t		 len;
	char		*db_path;
	double		 timeout;
	char		*hosts_file;	/* api.hosts_file, or NULL */
	char		*peer_rid;	/* QFLEET_RUNTIME_HEADER, or NULL */
	const char	*rid;		/* the daemon's runtime id */
	struct daemon	*d;
	struct qapi_live *live;		/* live: the open bins, copied */
	size_t		 nlive;
	uint64_t	 gen;		/* daemon_write_gen() at the copy */
	size_t		 queued;	/* ... and the bins queued then */
	int		 tries;
	volatile int	*stop;		/* daemon_stopping() */
	int		 status;	/* the answer's HTTP status */
	char		*text;		/* the document, or NULL */
	char		*error;		/* or this error */
};

/* The daemon's runtime id, made once (first on the loop thread). */
static const char *
status_runtime_id(void)
{
	static char id[64];
	char *s;

	if (id[0] == '\0') {
		s = qfleet_runtime_id();
		snprintf(id, sizeof id, "%s", s);
		free(s);
	}
	return id;
}

/*
 * query_hosts set: the daemon as goProbe's global-query server, the
 * fan-out of flowq -q (qfleet_request()) with the hosts of api.hosts_file,
 * in this worker thread.  The fleet has the API's timeout less a margin,
 * so hosts that do not answer in time are in the answer's hosts_statuses
 * rather than the whole request ending 504.
 */
static void
status_query_fleet(struct status_query *q)
{
	struct qfleet_opts o;
	json_t *doc = NULL;
	char *cause = NULL;
	int ms = (int)(q->timeout * 1000);

	memset(&o, 0, sizeof o);
	o.timeout_ms = ms > 1000 ? ms - 500 : ms / 2;
	o.host_timeout_ms = o.timeout_ms < QFLEET_HOST_TIMEOUT_MS ?
	    o.timeout_ms : QFLEET_HOST_TIMEOUT_MS;
	o.runtime_id = q->rid;
	o.cancel = q->stop;	/* SIGTERM: the daemon does not wait */
	q->status = qfleet_request(q->body, q->len, q->peer_rid,
	    q->hosts_file, &o, &doc, &cause);
	if (q->status != 200) {
		q->error = cause != NULL ? cause : util_strdup("fleet query "
		    "failed");
		json_decref(doc);
		return;
	}
	q->text = qapi_dumps(doc);
	json_decref(doc);
}

/*
 * "list": true: the interfaces' totals, as `flowq list -e json`; with
 * query_hosts those of every host ({"interfaces": [{"host", ...}],
 * "hosts_statuses"}).
 */
static void
status_query_list(struct status_query *q, const struct qargs *a)
{
	json_t *doc;
	char *cause = NULL;

	if (q->validate_only) {
		q->status = 204;
		return;
	}
	/* every host's list, each interface with its host */
	if (a->query_hosts != NULL && *a->query_hosts != '\0') {
		status_query_fleet(q);
		return;
	}
	if ((doc = qapi_list(a, q->db_path, &cause)) == NULL) {
		q->status = 422;
		q->error = cause != NULL ? cause : util_strdup("list failed");
		return;
	}
	q->text = qapi_dumps(doc);
	json_decref(doc);
	q->status = 200;
}

static void
status_query_work(uv_work_t *w)
{
	struct status_query *q = w->data;
	struct qargs	*a = NULL;
	json_t		*doc;
	char		*cause = NULL;

	if (qapi_args_parse(q->body, q->len, &a, &cause) != 0) {
		q->status = 400;
		q->error = cause;
		return;
	}
	/* goquery's list (flowq list -e json), not a query of rows */
	if (a->list) {
		status_query_list(q, a);
		qapi_args_free(a);
		return;
	}
	if (qapi_args_validate(a, &cause) != 0) {
		q->status = 422;
		q->error = cause;
		qapi_args_free(a);
		return;
	}
	if (q->validate_only) {
		q->status = 204;
		qapi_args_free(a);
		return;
	}
	if (a->query_hosts != NULL && *a->query_hosts != '\0') {
		qapi_args_free(a);
		status_query_fleet(q);
		return;
	}
	a->live_bins = q->live;
	a->nlive_bins = q->nlive;
	doc = qapi_run(a, q->db_path, NULL, q->stop, q->timeout, &cause);
	qapi_args_free(a);
	if (doc == NULL) {
		/* Our own causes: a name the store lacks is the client's. */
		if (cause == NULL)
			cause = util_strdup("query failed");
		if (strncmp(cause, "ifaces:", 7) == 0)
			q->status = 422;
		else if (strstr(cause, "timed out") != NULL)
			q->status = 504;
		else if (*q->stop)	/* flowrecd is stopping */
			q->status = 503;
		else
			q->status = 500;
		q->error = cause;
		return;
	}
	q->text = qapi_dumps(doc);
	json_decref(doc);
	q->status = 200;
}

/* Copy the open bins (loop thread), with the writers' figures then. */
static void
status_query_snap(struct status_query *q)
{
	q->gen = daemon_write_gen(q->d, &q->queued);
	q->nlive = daemon_live_bins(q->d, &q->live);
}

static void
status_query_done(uv_work_t *w, int st)
{
	struct status_query *q = w->data;
	size_t queued;

	/*
	 * A live answer counts the open bins copied and the store as read;
	 * a bin written while the query ran, or waiting for the store, may
	 * be in both or in neither: copy and run again (3 times at most).
	 */
	if (st == 0 && q->nlive > 0 && q->status == 200 && q->tries < 3 &&
	    (daemon_write_gen(q->d, &queued) != q->gen || queued > 0 ||
	    q->queued > 0) && daemon_running(q->d)) {
		free(q->text);
		q->text = NULL;
		q->tries++;
		daemon_live_bins_free(q->live, q->nlive);
		status_query_snap(q);
		if (uv_queue_work(daemon_loop(q->d), &q->work,
		    status_query_work, status_query_done) == 0)
			return;
		q->status = 503;
		q->error = util_strdup("cannot queue the work");
	}
	if (q->error != NULL)
		api_reply_error(q->r, q->status, "%s", q->error);
	else if (q->text != NULL)
		api_reply_text(q->r, q->status, "application/json", q->text,
		    strlen(q->text));
	else
		api_reply_text(q->r, q->status, "application/json",
		    util_strdup(""), 0);
	free(q->error);
	free(q->body);
	free(q->db_path);
	free(q->hosts_file);
	free(q->peer_rid);
	daemon_live_bins_free(q->live, q->nlive);
	free(q);
}

/*
 * Does the body ask for live flows?  Checked on the loop thread, where
 * the open bins can be copied; a body that does not parse is the
 * worker's to refuse.
 */
static int
status_query_live(const char *body, size_t len)
{
	json_t *j;
	int live;

	if (memmem(body, len, "\"live\"", 6) == NULL)
		return 0;
	if ((j = json_loadb(body, len, 0, NULL)) == NULL)
		return 0;
	/* a fleet query's hosts answer live for themselves */
	live = json_is_true(json_object_get(j, "live")) &&
	    json_string_length(json_object_get(j, "query_hosts")) == 0;
	json_decref(j);
	return live;
}

static void
status_query(struct daemon *d, struct api_req *r, int validate_only)
{
	struct status_query *q;
	const char	*body;
	size_t		 len;

	body = api_req_body(r, &len);
	if (len == 0) {
		api_reply_error(r, 400, "the request has no body (a query.Args "
		    "JSON document)");
		return;
	}
	q = util_calloc(1, sizeof *q);
	q->r = r;
	q->validate_only = validate_only;
	q->body = util_malloc(len + 1);
	memcpy(q->body, body, len);
	q->body[len] = '\0';
	q->len = len;
	q->db_path = util_strdup(daemon_conf(d)->db_path);
	q->timeout = daemon_conf(d)->api.timeout;
	if (daemon_conf(d)->api.hosts_file != NULL)
		q->hosts_file = util_strdup(daemon_conf(d)->api.hosts_file);
	q->peer_rid = api_req_header(r, QFLEET_RUNTIME_HEADER);
	q->rid = status_runtime_id();
	q->d = d;
	if (!validate_only && status_query_live(body, len))
		status_query_snap(q);
	q->stop = daemon_stopping(d);
	q->work.data = q;
	if (uv_queue_work(daemon_loop(d), &q->work, status_query_work,
	    status_query_done) != 0) {
		daemon_live_bins_free(q->live, q->nlive);
		free(q->body);
		free(q->db_path);
		free(q->hosts_file);
		free(q->peer_rid);
		free(q);
		api_reply_error(r, 503, "cannot queue the work");
	}
}

/* ------------------------------------------------------------ /tap */

/* GET /tap/{iface}: only an interface being recorded. */
static void
status_tap(struct daemon *d, struct api_req *r)
{
	struct daemon_iface_info *v;
	const char *iface = api_req_param(r);
	size_t n, i;
	int found = 0;

	n = daemon_ifaces(d, &v);
	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, iface) == 0 && v[i].has_capture)
			found = 1;
	daemon_ifaces_free(v, n);
	if (!found) {
		api_reply_error(r, 404, "%s: not recorded (see GET /status "
		    "for the interfaces)", iface);
		return;
	}
	tap_start(daemon_taps(d), r, &daemon_conf(d)->api, iface);
}

/* ------------------------------------------------------------ routes */

static void
status_handle(void *arg, enum api_op op, struct api_req *r)
{
	struct daemon *d = arg;

	switch (op) {
	case API_STATUS:
		status_get(d, r);
		break;
	case API_CONFIG:
		status_config(d, r);
		break;
	case API_RELOAD:
		status_reload(d, r);
		break;
	case API_FLUSH:
		status_flush(d, r);
		break;
	case API_METRICS:
		status_metrics(d, r, daemon_loop(d));
		break;
	case API_QUERY:
		status_query(d, r, 0);
		break;
	case API_VALIDATE:
		status_query(d, r, 1);
		break;
	case API_TAP:
		status_tap(d, r);
		break;
	default:
		api_reply_error(r, 501, "%s: not implemented yet",
		    api_op_path(op));
		break;
	}
}

static int
status_ready(void *arg)
{
	return daemon_running(arg);
}

void
status_backend(struct daemon *d, struct api_backend *be)
{
	memset(be, 0, sizeof *be);
	be->handle = status_handle;
	be->ready = status_ready;
	be->arg = d;
}
