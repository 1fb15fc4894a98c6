/*
 * metrics.c - the Prometheus exposition of a snapshot (see metrics.h).
 *
 * The per-interface counters are one table (name, type, help, where the
 * value sits in struct capture_stats); the rest is written family by
 * family.  With iface_label off every per-interface figure is the sum
 * over the interfaces and carries no iface label (goProbe #367: one
 * series per interface is too many for some setups).
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"
#include "util.h"

struct metrics_row {
	const char	*name;
	const char	*type;
	const char	*help;
	size_t		 offset;	/* a uint64_t in struct capture_stats */
};

#define MR(field)	offsetof(struct capture_stats, field)

/* The per-interface counters read straight from capture_stats. */
static const struct metrics_row metrics_rows[] = {
	{ "flowrec_packets_received_total", "counter",
	  "Frames taken from the capture ring.", MR(frames) },
	{ "flowrec_packets_processed_total", "counter",
	  "IP packets counted into flows.", MR(ip) },
	{ "flowrec_kernel_packets_total", "counter",
	  "Packets the kernel saw for the socket (drops included).",
	  MR(kernel_packets) },
	{ "flowrec_kernel_drops_total", "counter",
	  "Packets the kernel dropped: the ring was full.", MR(kernel_drops) },
	{ "flowrec_kernel_freezes_total", "counter",
	  "Times the kernel froze the ring queue.", MR(kernel_freezes) },
	{ "flowrec_packets_lost_total", "counter",
	  "IP packets not counted: flow table full and no memory for another.",
	  MR(lost_no_memory) },
	{ "flowrec_ring_corrupt_blocks_total", "counter",
	  "Ring blocks whose contents were inconsistent.", MR(corrupt_blocks) },
	{ "flowrec_bins_written_total", "counter",
	  "Bins (or early-written parts of bins) stored.",
	  MR(writer.bins_written) },
	{ "flowrec_rows_written_total", "counter",
	  "Flow rows stored.", MR(writer.rows_written) },
	{ "flowrec_flow_bytes_written_total", "counter",
	  "Bytes of the flows stored, both directions.",
	  MR(writer.bytes_written) },
	{ "flowrec_write_failures_total", "counter",
	  "Failed write-outs (each is retried after a back-off).",
	  MR(writer.write_errors) },
	{ "flowrec_bins_dropped_total", "counter",
	  "Bins given up: too many rows waiting for the store, or shutdown.",
	  MR(writer.bins_dropped) },
	{ "flowrec_rows_dropped_total", "counter",
	  "Flow rows of the bins given up.", MR(writer.rows_dropped) },
	{ NULL, NULL, NULL, 0 }
};

/*
 * The packet archive's counters (issue 15, gotm's set): only for the
 * interfaces with an archive or header captures (metrics_iface.archive).
 * gotm's outpct is archived over seen, of the two _total pairs.
 */
static const struct metrics_row metrics_archive_rows[] = {
	{ "flowrec_archive_connections", "gauge",
	  "Connections the archive tracks now.", MR(archive.conns) },
	{ "flowrec_archive_connections_total", "counter",
	  "Connections the archive began tracking.",
	  MR(archive.conns_started) },
	{ "flowrec_archive_connections_cut_total", "counter",
	  "Connections that reached a cutoff (later packets not archived).",
	  MR(archive.conns_cut) },
	{ "flowrec_archive_connections_removed_total", "counter",
	  "Connections forgotten: idle past idle_timeout.",
	  MR(archive.conns_removed) },
	{ "flowrec_archive_connections_evicted_total", "counter",
	  "Connections forgotten: the archive's table was full.",
	  MR(archive.conns_evicted) },
	{ "flowrec_archive_seen_packets_total", "counter",
	  "IP packets the archive saw.", MR(archive.packets) },
	{ "flowrec_archive_seen_bytes_total", "counter",
	  "Wire bytes of the IP packets the archive saw.", MR(archive.bytes) },
	{ "flowrec_archive_packets_total", "counter",
	  "Packets under the cutoff, to be archived (gotm's output).",
	  MR(archive.archived) },
	{ "flowrec_archive_bytes_total", "counter",
	  "Wire bytes of the packets under the cutoff.",
	  MR(archive.archived_bytes) },
	{ "flowrec_archive_dropped_packets_total", "counter",
	  "Packets under the cutoff not archived: the disk could not keep up "
	  "(the queue to the archive's thread was full).",
	  MR(archive.dropped) },
	{ "flowrec_archive_files_total", "counter",
	  "Archive files written and closed.", MR(archive.files) },
	{ "flowrec_archive_file_packets_total", "counter",
	  "Packets in the archive files closed.", MR(archive.file_packets) },
	{ "flowrec_archive_file_bytes_total", "counter",
	  "Bytes of the archive files closed, as on disk.",
	  MR(archive.file_bytes) },
	{ "flowrec_archive_write_errors_total", "counter",
	  "Archive files lost to failed writes.", MR(archive.write_errors) },
	{ "flowrec_archive_write_lost_packets_total", "counter",
	  "Packets in the archive files lost to failed writes.",
	  MR(archive.write_lost) },
	{ "flowrec_archive_files_removed_total", "counter",
	  "Archive files removed by the archive's retention.",
	  MR(archive.files_removed) },
	{ "flowrec_archive_disk_bytes", "gauge",
	  "Bytes of the archive files kept on disk.", MR(archive.disk_bytes) },
	{ "flowrec_headers_connections_total", "counter",
	  "TCP connections whose headers were captured.",
	  MR(archive.hdr_conns) },
	{ "flowrec_headers_packets_total", "counter",
	  "Header records queued for the header files.",
	  MR(archive.hdr_packets) },
	{ "flowrec_headers_dropped_packets_total", "counter",
	  "Header records not queued: the queue was full.",
	  MR(archive.hdr_dropped) },
	{ "flowrec_headers_files_total", "counter",
	  "Header files written and closed.", MR(archive.hdr_files) },
	{ "flowrec_headers_write_errors_total", "counter",
	  "Header records lost to failed writes.", MR(archive.hdr_errors) },
	{ NULL, NULL, NULL, 0 }
};

static void
metrics_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with \, " and newline escaped. */
static void
metrics_label(FILE *f, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*v, f);
	}
}

static void
metrics_u64(FILE *f, const char *name, const char *iface, const char *extra,
    uint64_t v)
{
	fputs(name, f);
	if (iface != NULL || extra != NULL) {
		fputc('{', f);
		if (iface != NULL) {
			fputs("iface=\"", f);
			metrics_label(f, iface);
			fputc('"', f);
		}
		if (extra != NULL)
			fprintf(f, "%s%s", iface != NULL ? "," : "", extra);
		fputc('}', f);
	}
	fprintf(f, " %llu\n", (unsigned long long)v);
}

static uint64_t
metrics_field(const struct metrics_iface *mi, size_t offset)
{
	return *(const uint64_t *)(const void *)((const char *)&mi->st +
	    offset);
}

/* One per-interface family: each interface (archive: those with an
   archive), or the sum. */
static void
metrics_per_iface(FILE *f, const struct metrics_snapshot *s,
    const struct metrics_row *r, int archive)
{
	uint64_t sum = 0;
	size_t i;

	metrics_head(f, r->name, r->type, r->help);
	for (i = 0; i < s->nifaces; i++) {
		if (!s->ifaces[i].recording || (archive &&
		    !s->ifaces[i].archive))
			continue;
		if (s->iface_label)
			metrics_u64(f, r->name, s->ifaces[i].name, NULL,
			    metrics_field(&s->ifaces[i], r->offset));
		else
			sum += metrics_field(&s->ifaces[i], r->offset);
	}
	if (!s->iface_label)
		metrics_u64(f, r->name, NULL, NULL, sum);
}

static void
metrics_skipped(FILE *f, const struct metrics_snapshot *s)
{
	uint64_t sum[PARSE_REASON_COUNT];
	char extra[96];
	size_t i, r;

	memset(sum, 0, sizeof sum);
	metrics_head(f, "flowrec_packets_skipped_total", "counter",
	    "Frames not counted into flows, by reason.");
	for (i = 0; i < s->nifaces; i++) {
		if (!s->ifaces[i].recording)
			continue;
		for (r = 1; r < PARSE_REASON_COUNT; r++) {
			if (!s->iface_label) {
				sum[r] += s->ifaces[i].st.reasons[r];
				continue;
			}
			snprintf(extra, sizeof extra, "reason=\"%s\"",
			    parse_reason_name((enum parse_reason)r));
			metrics_u64(f, "flowrec_packets_skipped_total",
			    s->ifaces[i].name, extra,
			    s->ifaces[i].st.reasons[r]);
		}
	}
	if (!s->iface_label)
		for (r = 1; r < PARSE_REASON_COUNT; r++) {
			snprintf(extra, sizeof extra, "reason=\"%s\"",
			    parse_reason_name((enum parse_reason)r));
			metrics_u64(f, "flowrec_packets_skipped_total", NULL,
			    extra, sum[r]);
		}
}

static void
metrics_gauges(FILE *f, const struct metrics_snapshot *s)
{
	uint64_t flows = 0, maxf = 0, q = 0, disk = 0;
	size_t i;
	const struct metrics_iface *mi;

	metrics_head(f, "flowrec_active_flows", "gauge",
	    "Flows in the open bin.");
	for (i = 0; i < s->nifaces; i++) {
		mi = &s->ifaces[i];
		if (!mi->recording)
			continue;
		flows += mi->flows;
		maxf += mi->max_flows;
		if (s->iface_label)
			metrics_u64(f, "flowrec_active_flows", mi->name, NULL,
			    mi->flows);
	}
	if (!s->iface_label)
		metrics_u64(f, "flowrec_active_flows", NULL, NULL, flows);

	metrics_head(f, "flowrec_flow_table_fill_ratio", "gauge",
	    "Flows in the open bin over the rows it may hold before an early "
	    "write.");
	for (i = 0; i < s->nifaces; i++) {
		mi = &s->ifaces[i];
		if (mi->recording && s->iface_label)
			fprintf(f, "flowrec_flow_table_fill_ratio{iface=\"%s\"} "
			    "%.6f\n", mi->name, mi->max_flows ?
			    (double)mi->flows / (double)mi->max_flows : 0.0);
	}
	if (!s->iface_label)
		fprintf(f, "flowrec_flow_table_fill_ratio %.6f\n", maxf ?
		    (double)flows / (double)maxf : 0.0);

	metrics_head(f, "flowrec_write_queue_rows", "gauge",
	    "Flow rows waiting for the store.");
	for (i = 0; i < s->nifaces; i++) {
		mi = &s->ifaces[i];
		if (!mi->recording)
			continue;
		q += mi->st.writer.queued_rows;
		if (s->iface_label)
			metrics_u64(f, "flowrec_write_queue_rows", mi->name,
			    NULL, mi->st.writer.queued_rows);
	}
	if (!s->iface_label)
		metrics_u64(f, "flowrec_write_queue_rows", NULL, NULL, q);

	metrics_head(f, "flowrec_last_writeout_timestamp_seconds", "gauge",
	    "When the last write-out ended (Unix time); 0: none yet.");
	for (i = 0; i < s->nifaces && s->iface_label; i++) {
		mi = &s->ifaces[i];
		if (mi->recording)
			fprintf(f, "flowrec_last_writeout_timestamp_seconds"
			    "{iface=\"%s\"} %.3f\n", mi->name,
			    (double)mi->st.writer.last_write_ns / 1e9);
	}
	if (!s->iface_label) {
		int64_t last = 0;

		for (i = 0; i < s->nifaces; i++)
			if (s->ifaces[i].st.writer.last_write_ns > last)
				last = s->ifaces[i].st.writer.last_write_ns;
		fprintf(f, "flowrec_last_writeout_timestamp_seconds %.3f\n",
		    (double)last / 1e9);
	}

	metrics_head(f, "flowrec_disk_bytes", "gauge",
	    "Bytes of the interface's day files (with -wal and -shm).");
	for (i = 0; i < s->nifaces; i++) {
		disk += s->ifaces[i].disk_bytes;
		if (s->iface_label)
			metrics_u64(f, "flowrec_disk_bytes", s->ifaces[i].name,
			    NULL, s->ifaces[i].disk_bytes);
	}
	if (!s->iface_label)
		metrics_u64(f, "flowrec_disk_bytes", NULL, NULL, disk);
}

static void
metrics_hist_one(FILE *f, const char *iface, const uint64_t *hist,
    uint64_t count, uint64_t sum_ns)
{
	static const double bounds[WRITER_HIST_N] = WRITER_HIST_BOUNDS;
	uint64_t cum = 0;
	char extra[64];
	size_t i;

	for (i = 0; i < WRITER_HIST_N; i++) {
		cum += hist[i];
		snprintf(extra, sizeof extra, "le=\"%g\"", bounds[i]);
		metrics_u64(f, "flowrec_writeout_duration_seconds_bucket", iface,
		    extra, cum);
	}
	metrics_u64(f, "flowrec_writeout_duration_seconds_bucket", iface,
	    "le=\"+Inf\"", count);
	if (iface != NULL)
		fprintf(f, "flowrec_writeout_duration_seconds_sum{iface=\"%s\"} "
		    "%.9f\n", iface, (double)sum_ns / 1e9);
	else
		fprintf(f, "flowrec_writeout_duration_seconds_sum %.9f\n",
		    (double)sum_ns / 1e9);
	metrics_u64(f, "flowrec_writeout_duration_seconds_count", iface, NULL,
	    count);
}

static void
metrics_hist(FILE *f, const struct metrics_snapshot *s)
{
	uint64_t hist[WRITER_HIST_N], count = 0, sum = 0;
	const struct writer_stats *w;
	size_t i, b;

	memset(hist, 0, sizeof hist);
	metrics_head(f, "flowrec_writeout_duration_seconds", "histogram",
	    "Time one write-out of a bin took.");
	for (i = 0; i < s->nifaces; i++) {
		if (!s->ifaces[i].recording)
			continue;
		w = &s->ifaces[i].st.writer;
		if (s->iface_label) {
			metrics_hist_one(f, s->ifaces[i].name, w->hist,
			    w->bins_written, w->duration_ns_sum);
			continue;
		}
		for (b = 0; b < WRITER_HIST_N; b++)
			hist[b] += w->hist[b];
		count += w->bins_written;
		sum += w->duration_ns_sum;
	}
	if (!s->iface_label)
		metrics_hist_one(f, NULL, hist, count, sum);
}

static void
metrics_retention(FILE *f, const struct metrics_snapshot *s)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} rows[] = {
		{ "flowrec_retention_removed_day_files_total",
		  "Day files retention removed.",
		  offsetof(struct retention_iface_stats, days_removed) },
		{ "flowrec_retention_removed_files_total",
		  "Files retention removed (day files and their companions).",
		  offsetof(struct retention_iface_stats, files_removed) },
		{ "flowrec_retention_removed_bytes_total",
		  "Bytes retention freed.",
		  offsetof(struct retention_iface_stats, bytes_removed) },
		{ "flowrec_retention_errors_total",
		  "Files retention could not remove.",
		  offsetof(struct retention_iface_stats, errors) },
	};
	uint64_t v, sum;
	size_t r, i;

	for (r = 0; r < sizeof rows / sizeof rows[0]; r++) {
		metrics_head(f, rows[r].name, "counter", rows[r].help);
		sum = 0;
		for (i = 0; i < s->nifaces; i++) {
			v = *(const uint64_t *)(const void *)((const char *)
			    &s->ifaces[i].ret + rows[r].off);
			sum += v;
			if (s->iface_label)
				metrics_u64(f, rows[r].name, s->ifaces[i].name,
				    NULL, v);
		}
		if (!s->iface_label)
			metrics_u64(f, rows[r].name, NULL, NULL, sum);
	}
	metrics_head(f, "flowrec_retention_passes_total", "counter",
	    "Retention passes run.");
	metrics_u64(f, "flowrec_retention_passes_total", NULL, NULL,
	    s->ret.passes);
}

static void
metrics_reload(FILE *f, const struct metrics_snapshot *s)
{
	metrics_head(f, "flowrec_config_reloads_total", "counter",
	    "Configuration reloads, by result.");
	metrics_u64(f, "flowrec_config_reloads_total", NULL, "result=\"ok\"",
	    s->reload_ok);
	metrics_u64(f, "flowrec_config_reloads_total", NULL,
	    "result=\"failed\"", s->reload_failed);
	metrics_head(f, "flowrec_config_last_reload_successful", "gauge",
	    "1 when the last reload applied the file (or none was tried), 0 "
	    "when the file was refused and the old configuration kept.");
	metrics_u64(f, "flowrec_config_last_reload_successful", NULL, NULL,
	    s->reload_last_ok != 0);
	metrics_head(f, "flowrec_config_last_reload_timestamp_seconds", "gauge",
	    "When the last reload was tried (Unix time); 0: never.");
	fprintf(f, "flowrec_config_last_reload_timestamp_seconds %.3f\n",
	    (double)s->reload_last_ns / 1e9);
}

static void
metrics_export(FILE *f, const struct metrics_snapshot *s)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} rows[] = {
		{ "flowrec_export_bins_sent_total", "counter",
		  "Bins the destination acknowledged.",
		  offsetof(struct metrics_export, bins_sent) },
		{ "flowrec_export_rows_sent_total", "counter",
		  "Flow rows sent.", offsetof(struct metrics_export, rows_sent) },
		{ "flowrec_export_sent_bytes_total", "counter",
		  "Bytes sent.", offsetof(struct metrics_export, bytes_sent) },
		{ "flowrec_export_errors_total", "counter",
		  "Failed attempts.", offsetof(struct metrics_export, errors) },
		{ "flowrec_export_backlog_bins", "gauge",
		  "Final bins not sent yet.",
		  offsetof(struct metrics_export, backlog_bins) },
		{ "flowrec_export_backlog_rows", "gauge",
		  "Flow rows of those bins.",
		  offsetof(struct metrics_export, backlog_rows) },
	};
	char extra[600];
	size_t r, i;
	FILE *lf;

	if (s->nexp == 0)
		return;
	for (r = 0; r < sizeof rows / sizeof rows[0]; r++) {
		metrics_head(f, rows[r].name, rows[r].type, rows[r].help);
		for (i = 0; i < s->nexp; i++) {
			lf = fmemopen(extra, sizeof extra, "w");
			if (lf == NULL)
				continue;
			fprintf(lf, "destination=\"");
			metrics_label(lf, s->exp[i].name);
			fprintf(lf, "\",kind=\"%s\"", s->exp[i].kind);
			fputc('\0', lf);
			fclose(lf);
			extra[sizeof extra - 1] = '\0';
			metrics_u64(f, rows[r].name, NULL, extra,
			    *(const uint64_t *)(const void *)((const char *)
			    &s->exp[i] + rows[r].off));
		}
	}
}

static void
metrics_api(FILE *f, const struct metrics_snapshot *s)
{
	static const char *codes[] = { NULL, "1xx", "2xx", "3xx", "4xx",
	    "5xx" };
	char extra[128];
	size_t op, c;

	metrics_head(f, "flowrec_api_requests_total", "counter",
	    "API requests answered, by route and status class.");
	for (op = 0; op <= API_ROUTE_MAX; op++)
		for (c = 1; c <= 5; c++) {
			if (s->api.requests[op][c] == 0)
				continue;
			snprintf(extra, sizeof extra, "route=\"%s\",code=\"%s\"",
			    op == API_ROUTE_MAX || api_route_name(op) == NULL ?
			    "other" : api_route_name(op), codes[c]);
			metrics_u64(f, "flowrec_api_requests_total", NULL,
			    extra, s->api.requests[op][c]);
		}
	metrics_head(f, "flowrec_api_connections_total", "counter",
	    "API connections accepted.");
	metrics_u64(f, "flowrec_api_connections_total", NULL, NULL,
	    s->api.connections);
	metrics_head(f, "flowrec_api_connections_refused_total", "counter",
	    "API connections refused: api.max_connections were open.");
	metrics_u64(f, "flowrec_api_connections_refused_total", NULL, NULL,
	    s->api.refused_connections);
	metrics_head(f, "flowrec_api_unauthorized_total", "counter",
	    "TCP requests without a valid bearer token.");
	metrics_u64(f, "flowrec_api_unauthorized_total", NULL, NULL,
	    s->api.unauthorized);
	metrics_head(f, "flowrec_api_open_connections", "gauge",
	    "API connections open now.");
	metrics_u64(f, "flowrec_api_open_connections", NULL, NULL,
	    s->api.open_connections);
}

/* The process, under the names every exporter uses. */
static void
metrics_process(FILE *f, const struct metrics_snapshot *s)
{
	struct rusage ru;
	struct rlimit rl;
	unsigned long long pages = 0, rss = 0;
	uint64_t fds = 0;
	struct dirent *de;
	FILE *sf;
	DIR *d;

	if ((sf = fopen("/proc/self/statm", "r")) != NULL) {
		if (fscanf(sf, "%llu %llu", &pages, &rss) != 2)
			rss = 0;
		fclose(sf);
	}
	metrics_head(f, "process_resident_memory_bytes", "gauge",
	    "Resident memory size in bytes.");
	metrics_u64(f, "process_resident_memory_bytes", NULL, NULL,
	    (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE));
	metrics_head(f, "process_virtual_memory_bytes", "gauge",
	    "Virtual memory size in bytes.");
	metrics_u64(f, "process_virtual_memory_bytes", NULL, NULL,
	    (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE));
	getrusage(RUSAGE_SELF, &ru);
	metrics_head(f, "process_cpu_seconds_total", "counter",
	    "User and system CPU time spent in seconds.");
	fprintf(f, "process_cpu_seconds_total %.6f\n",
	    (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	if ((d = opendir("/proc/self/fd")) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				fds++;
		closedir(d);
		fds--;		/* the walk's own */
	}
	metrics_head(f, "process_open_fds", "gauge",
	    "Number of open file descriptors.");
	metrics_u64(f, "process_open_fds", NULL, NULL, fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		metrics_head(f, "process_max_fds", "gauge",
		    "Maximum number of open file descriptors.");
		metrics_u64(f, "process_max_fds", NULL, NULL,
		    (uint64_t)rl.rlim_cur);
	}
	metrics_head(f, "process_start_time_seconds", "gauge",
	    "Start time of the process since unix epoch in seconds.");
	fprintf(f, "process_start_time_seconds %.3f\n",
	    (double)s->started_ns / 1e9);
	metrics_head(f, "flowrec_build_info", "gauge",
	    "Always 1; the version in a label.");
	fprintf(f, "flowrec_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
}

uint64_t
metrics_dir_bytes(const char *dir)
{
	struct dirent *de;
	struct stat sb;
	uint64_t sum = 0;
	DIR *d;
	int fd;

	if ((d = opendir(dir)) == NULL)
		return 0;
	fd = dirfd(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' &&
		    fstatat(fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(sb.st_mode))
			sum += (uint64_t)sb.st_size;
	closedir(d);
	return sum;
}

char *
metrics_render(struct metrics_snapshot *s, size_t *len)
{
	const struct metrics_row *r;
	char *buf = NULL, *dir;
	size_t i;
	FILE *f;

	for (i = 0; i < s->nifaces; i++) {
		dir = util_printf("%s/%s", s->db_path, s->ifaces[i].name);
		s->ifaces[i].disk_bytes = metrics_dir_bytes(dir);
		free(dir);
	}
	f = open_memstream(&buf, len);
	if (f == NULL)
		return NULL;
	for (r = metrics_rows; r->name != NULL; r++)
		metrics_per_iface(f, s, r, 0);
	for (i = 0; i < s->nifaces; i++)
		if (s->ifaces[i].recording && s->ifaces[i].archive)
			break;
	for (r = metrics_archive_rows; i < s->nifaces && r->name != NULL;
	    r++)
		metrics_per_iface(f, s, r, 1);
	metrics_skipped(f, s);
	metrics_gauges(f, s);
	metrics_hist(f, s);
	metrics_retention(f, s);
	metrics_reload(f, s);
	metrics_export(f, s);
	metrics_api(f, s);
	tap_metrics(f, &s->taps);
	metrics_process(f, s);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

void
metrics_snapshot_free(struct metrics_snapshot *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nifaces; i++)
		free(s->ifaces[i].name);
	free(s->ifaces);
	for (i = 0; i < s->nexp; i++) {
		free(s->exp[i].name);
		free(s->exp[i].kind);
	}
	free(s->exp);
	free(s->db_path);
	free(s);
}
