/*
 * qout.c - flowq's printers (see qout.h).
 *
 * Text tables go through qtab (Go's tabwriter) with goquery's settings;
 * JSON through jansson; CSV is written directly.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>

#include "qmerge.h"
#include "qout.h"
#include "qtab.h"
#include "qtime.h"
#include "util.h"

/* ------------------------------------------------------------ units */

/* goquery's units: "481.00  ", "1.08 M"; "59.27 kB", "0.00  B". */
static void
qout_count(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { " ", "k", "M", "G", "T", "P",
	    "E", "Z", "Y" };
	double	 f = (double)v;
	int	 i = 0;

	while (v >= 1000) {
		v /= 1000;
		f /= 1000.0;
		i++;
	}
	snprintf(buf, len, "%.2f %s", f, units[i]);
}

static void
qout_size(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { " B", "kB", "MB", "GB", "TB",
	    "PB", "EB", "ZB", "YB" };
	double	 f = (double)v;
	int	 i = 0;

	while (v > 1024) {
		v /= 1024;
		f /= 1024.0;
		i++;
	}
	snprintf(buf, len, "%.2f %s", f, units[i]);
}

/*
 * goquery's CountSmall and SizeSmall (since goProbe #329): below 1000
 * (1025 bytes) a plain integer, padded to line up with "1.00 k" when
 * align is set.
 */
static void
count_small_pad(uint64_t v, int align, char *buf, size_t len)
{
	if (v >= 1000)
		qout_count(v, buf, len);
	else
		snprintf(buf, len, "%llu%s", (unsigned long long)v, align ?
		    "  " : "");
}

static void
count_small(uint64_t v, char *buf, size_t len)
{
	count_small_pad(v, 0, buf, len);
}

static void
size_small(uint64_t v, int align, char *buf, size_t len)
{
	if (v > 1024)
		qout_size(v, buf, len);
	else
		snprintf(buf, len, "%llu%s", (unsigned long long)v, align ?
		    "   " : "");
}

/* goquery's text percentages: "0" for zero, else two decimals. */
static void
pct_txt(double v, char *buf, size_t len)
{
	if (v == 0)
		snprintf(buf, len, "0");
	else
		snprintf(buf, len, "%.2f", v);
}

static double
percent(uint64_t v, uint64_t total)
{
	/* goquery divides by 2^64-1 when the total is zero */
	return (double)(100 * v) / (double)(total == 0 ? UINT64_MAX : total);
}

/* Address text of a key side ("" when not selected). */
static void
qout_addr(const uint8_t *ip, int len, char *buf, size_t size)
{
	if (len == 4)
		inet_ntop(AF_INET, ip, buf, (socklen_t)size);
	else if (len == 16)
		inet_ntop(AF_INET6, ip, buf, (socklen_t)size);
	else
		snprintf(buf, size, "%s", "");
}

/* ------------------------------------------------------------ columns */

enum col {
	C_TIME, C_IFACE, C_SIP, C_DIP, C_DPORT, C_PROTO, C_VLAN,
	C_IN_PKTS, C_IN_PKTS_PCT, C_IN_BYTES, C_IN_BYTES_PCT,
	C_OUT_PKTS, C_OUT_PKTS_PCT, C_OUT_BYTES, C_OUT_BYTES_PCT,
	C_SUM_PKTS, C_SUM_PKTS_PCT, C_SUM_BYTES, C_SUM_BYTES_PCT,
	C_BOTH_PKTS_RCVD, C_BOTH_PKTS_SENT, C_BOTH_PKTS_PCT,
	C_BOTH_BYTES_RCVD, C_BOTH_BYTES_SENT, C_BOTH_BYTES_PCT,
	C_HOST,			/* a fleet query's: after the time */
	C_COUNT
};

static const char *const header1[C_COUNT] = {
	[C_IN_PKTS] = "packets", [C_IN_BYTES] = "bytes",
	[C_OUT_PKTS] = "packets", [C_OUT_BYTES] = "bytes",
	[C_SUM_PKTS] = "packets", [C_SUM_BYTES] = "bytes",
	[C_BOTH_PKTS_RCVD] = "packets", [C_BOTH_PKTS_SENT] = "packets",
	[C_BOTH_BYTES_RCVD] = "bytes", [C_BOTH_BYTES_SENT] = "bytes",
};

static const char *const header2[C_COUNT] = {
	"time", "iface", "sip", "dip", "dport", "proto", "vlan",
	"in", "%", "in", "%",
	"out", "%", "out", "%",
	"in+out", "%", "in+out", "%",
	"in", "out", "%", "in", "out", "%",
	"host",
};

/* goquery's CSV header names. */
static const char *const header_csv[C_COUNT] = {
	"time", "iface", "sip", "dip", "dport", "proto", "vlan",
	"packets", "%", "data vol.", "%",
	"packets", "%", "data vol.", "%",
	"packets", "%", "data vol.", "%",
	"packets received", "packets sent", "%", "data vol. received",
	"data vol. sent", "%",
	"host",
};

/* goquery's CSV summary rows, for the counter columns. */
static const char *const summary_csv[C_COUNT] = {
	[C_IN_PKTS] = "Overall packets",
	[C_IN_BYTES] = "Overall data volume (bytes)",
	[C_OUT_PKTS] = "Overall packets",
	[C_OUT_BYTES] = "Overall data volume (bytes)",
	[C_SUM_PKTS] = "Overall packets",
	[C_SUM_BYTES] = "Overall data volume (bytes)",
	[C_BOTH_PKTS_RCVD] = "Received packets",
	[C_BOTH_PKTS_SENT] = "Sent packets",
	[C_BOTH_BYTES_RCVD] = "Received data volume (bytes)",
	[C_BOTH_BYTES_SENT] = "Sent data volume (bytes)",
};

/*
 * The columns, as goquery lays them out: time, iface, then the attributes
 * in the order the query names them (info->attr_order, "dport,sip"), then
 * the counters of the direction.
 */
static size_t
columns(const struct qout_info *info, enum col *cols)
{
	const struct qquery	*q = info->q;
	const char		*p = info->attr_order, *e;
	size_t			 n = 0, len;
	unsigned		 done = 0;
	int			 a;

	if (q->attrs & QA_TIME)
		cols[n++] = C_TIME;
	if (info->hosts != NULL)
		cols[n++] = C_HOST;	/* goquery: host > iface */
	if (q->attrs & QA_IFACE)
		cols[n++] = C_IFACE;
	while (p != NULL && *p != '\0') {
		e = strchr(p, ',');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		for (a = C_SIP; a <= C_VLAN; a++) {
			if (strlen(header2[a]) == len &&
			    strncmp(header2[a], p, len) == 0 &&
			    (q->attrs & (1u << a)) && !(done & (1u << a))) {
				cols[n++] = (enum col)a;
				done |= 1u << a;
			}
		}
		p = e != NULL ? e + 1 : NULL;
	}
	for (a = C_SIP; a <= C_VLAN; a++) {
		if ((q->attrs & (1u << a)) && !(done & (1u << a)))
			cols[n++] = (enum col)a;
	}
	switch (q->dir) {
	case QDIR_IN:
		cols[n++] = C_IN_PKTS; cols[n++] = C_IN_PKTS_PCT;
		cols[n++] = C_IN_BYTES; cols[n++] = C_IN_BYTES_PCT;
		break;
	case QDIR_OUT:
		cols[n++] = C_OUT_PKTS; cols[n++] = C_OUT_PKTS_PCT;
		cols[n++] = C_OUT_BYTES; cols[n++] = C_OUT_BYTES_PCT;
		break;
	case QDIR_SUM:
		cols[n++] = C_SUM_PKTS; cols[n++] = C_SUM_PKTS_PCT;
		cols[n++] = C_SUM_BYTES; cols[n++] = C_SUM_BYTES_PCT;
		break;
	case QDIR_BOTH:
		cols[n++] = C_BOTH_PKTS_RCVD; cols[n++] = C_BOTH_PKTS_SENT;
		cols[n++] = C_BOTH_PKTS_PCT; cols[n++] = C_BOTH_BYTES_RCVD;
		cols[n++] = C_BOTH_BYTES_SENT; cols[n++] = C_BOTH_BYTES_PCT;
		break;
	}
	return n;
}

static int
is_total(enum col c)
{
	switch (c) {
	case C_IN_PKTS: case C_IN_BYTES: case C_OUT_PKTS: case C_OUT_BYTES:
	case C_SUM_PKTS: case C_SUM_BYTES: case C_BOTH_PKTS_RCVD:
	case C_BOTH_PKTS_SENT: case C_BOTH_BYTES_RCVD: case C_BOTH_BYTES_SENT:
		return 1;
	default:
		return 0;
	}
}

/*
 * The text of column c for row r (NULL: the totals), as goquery's text
 * formatter (csv 0) or its CSV formatter (csv 1) prints it.
 */
static void
cell(const struct qout_info *info, const struct qresult *res,
    const struct qrow *r, size_t idx, enum col c, int csv, char *buf,
    size_t len)
{
	const struct qrow	*t = NULL;
	struct qrow		 tot;
	char			 pb[32];
	uint64_t		 v = 0;
	double			 pct = 0;

	if (r == NULL) {
		memset(&tot, 0, sizeof tot);
		tot.bytes_rcvd = res->bytes_rcvd;
		tot.bytes_sent = res->bytes_sent;
		tot.pkts_rcvd = res->pkts_rcvd;
		tot.pkts_sent = res->pkts_sent;
		r = &tot;
	} else
		t = r;
	switch (c) {
	case C_TIME:
		if (csv)
			snprintf(buf, len, "%lld", (long long)r->k.ts);
		else
			qtime_format(r->k.ts, buf, len);
		return;
	case C_IFACE:
		snprintf(buf, len, "%s", info->files->ifaces[r->k.iface]);
		return;
	case C_HOST:
		snprintf(buf, len, "%s", t != NULL && info->hosts[idx] != NULL ?
		    info->hosts[idx] : "");
		return;
	case C_SIP:
	case C_DIP:
		if (t != NULL && info->names != NULL &&
		    info->names[idx * 2 + (c == C_DIP)] != NULL) {
			snprintf(buf, len, "%s",
			    info->names[idx * 2 + (c == C_DIP)]);
			return;
		}
		if (c == C_SIP)
			qout_addr(r->k.sip, r->k.salen, buf, len);
		else
			qout_addr(r->k.dip, r->k.dalen, buf, len);
		return;
	case C_DPORT:
		snprintf(buf, len, "%u", r->k.dport);
		return;
	case C_PROTO:
		snprintf(buf, len, "%s", cond_proto_name(r->k.proto, pb,
		    sizeof pb));
		return;
	case C_VLAN:
		snprintf(buf, len, "%u", r->k.vlan);
		return;
	case C_IN_PKTS: case C_BOTH_PKTS_RCVD:
		v = r->pkts_rcvd;
		break;
	case C_OUT_PKTS: case C_BOTH_PKTS_SENT:
		v = r->pkts_sent;
		break;
	case C_SUM_PKTS:
		v = r->pkts_rcvd + r->pkts_sent;
		break;
	case C_IN_BYTES: case C_BOTH_BYTES_RCVD:
		v = r->bytes_rcvd;
		break;
	case C_OUT_BYTES: case C_BOTH_BYTES_SENT:
		v = r->bytes_sent;
		break;
	case C_SUM_BYTES:
		v = r->bytes_rcvd + r->bytes_sent;
		break;
	case C_IN_PKTS_PCT:
		pct = percent(r->pkts_rcvd, res->pkts_rcvd);
		break;
	case C_OUT_PKTS_PCT:
		pct = percent(r->pkts_sent, res->pkts_sent);
		break;
	case C_SUM_PKTS_PCT: case C_BOTH_PKTS_PCT:
		pct = percent(r->pkts_rcvd + r->pkts_sent, res->pkts_rcvd +
		    res->pkts_sent);
		break;
	case C_IN_BYTES_PCT:
		pct = percent(r->bytes_rcvd, res->bytes_rcvd);
		break;
	case C_OUT_BYTES_PCT:
		pct = percent(r->bytes_sent, res->bytes_sent);
		break;
	case C_SUM_BYTES_PCT: case C_BOTH_BYTES_PCT:
		pct = percent(r->bytes_rcvd + r->bytes_sent, res->bytes_rcvd +
		    res->bytes_sent);
		break;
	case C_COUNT:
		buf[0] = '\0';
		return;
	}
	switch (c) {
	case C_IN_PKTS: case C_BOTH_PKTS_RCVD: case C_OUT_PKTS:
	case C_BOTH_PKTS_SENT: case C_SUM_PKTS:
		if (csv)
			snprintf(buf, len, "%llu", (unsigned long long)v);
		else
			count_small_pad(v, 1, buf, len);
		return;
	case C_IN_BYTES: case C_BOTH_BYTES_RCVD: case C_OUT_BYTES:
	case C_BOTH_BYTES_SENT: case C_SUM_BYTES:
		if (csv)
			snprintf(buf, len, "%llu", (unsigned long long)v);
		else
			size_small(v, 1, buf, len);
		return;
	default:
		if (csv)
			snprintf(buf, len, "%.2f", pct);
		else
			pct_txt(pct, buf, len);
		return;
	}
}

static const char *
describe(const struct qquery *q)
{
	if (q->sort == QSORT_TIME)
		return "first packet time";
	switch (q->dir) {
	case QDIR_IN:
		return q->sort == QSORT_PACKETS ?
		    "accumulated packets (received only)" :
		    "accumulated data volume (received only)";
	case QDIR_OUT:
		return q->sort == QSORT_PACKETS ?
		    "accumulated packets (sent only)" :
		    "accumulated data volume (sent only)";
	default:
		return q->sort == QSORT_PACKETS ?
		    "accumulated packets (sent and received)" :
		    "accumulated data volume (sent and received)";
	}
}

/* The queried interfaces joined by ',' (goProbe's summary.interfaces). */
static void
ifaces_joined(const struct qout_info *info, char *buf, size_t len)
{
	size_t	i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < info->files->nifaces; i++) {
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0,
		    "%s%s", i > 0 ? "," : "", info->files->ifaces[i]);
		if (off >= len)
			off = len - 1;
	}
}

static const char status_empty[] = "query returned no results";
static const char status_missing[] = "no data available for the specified "
    "interface(s) / time range (maybe flowrecd was not running)";

/* goquery's line for a result that is not "ok" (txt and csv). */
static void
print_status(FILE *f, const struct qout_info *info, const struct qresult *res)
{
	if (res->nrows > 0)
		return;
	if (info->status_line != NULL) {
		fprintf(f, "%s\n", info->status_line);
		return;
	}
	fprintf(f, "Status \"%s\": %s\n", res->data ? "empty" :
	    "missing data", res->data ? status_empty : status_missing);
}

static void
print_txt(FILE *f, const struct qout_info *info, const struct qresult *res)
{
	const struct qquery	*q = info->q;
	struct qtab		*tw, *fw;
	enum col		 cols[C_COUNT];
	size_t			 ncols, i, j;
	int64_t			 first, last;
	char			 b[1024], a[64], d[64], ifs[4096];

	print_status(f, info, res);
	ncols = columns(info, cols);
	tw = qtab_new(0, 2, 1);
	if (res->hits > 0) {
		for (j = 0; j < ncols; j++)
			qtab_printf(tw, "%s\t", header1[cols[j]] ?
			    header1[cols[j]] : "");
		qtab_printf(tw, "\n");
		for (j = 0; j < ncols; j++)
			qtab_printf(tw, "%s\t", header2[cols[j]]);
		qtab_printf(tw, "\n");
	}
	for (i = 0; i < res->nrows; i++) {
		for (j = 0; j < ncols; j++) {
			cell(info, res, &res->rows[i], i, cols[j], 0, b,
			    sizeof b);
			qtab_printf(tw, "%s\t", b);
		}
		qtab_printf(tw, "\n");
	}
	if (res->nrows > 0) {
		for (j = 0; j < ncols; j++)
			qtab_printf(tw, "%s\t", is_total(cols[j]) &&
			    res->nrows < res->hits ? "..." : "");
		qtab_printf(tw, "\n");
		for (j = 0; j < ncols; j++) {
			if (is_total(cols[j]))
				cell(info, res, NULL, 0, cols[j], 0, b,
				    sizeof b);
			else
				b[0] = '\0';
			qtab_printf(tw, "%s\t", b);
		}
		qtab_printf(tw, "\n");
	}
	if (res->nrows > 0 && q->dir == QDIR_BOTH) {
		for (j = 1; j < ncols; j++)
			qtab_printf(tw, "\t");
		qtab_printf(tw, "\n");
		qtab_printf(tw, "Totals:\t");
		for (j = 1; j < ncols; j++) {
			b[0] = '\0';
			if (cols[j] == C_BOTH_PKTS_SENT)
				count_small_pad(res->pkts_rcvd +
				    res->pkts_sent, 1, b, sizeof b);
			if (cols[j] == C_BOTH_BYTES_SENT)
				size_small(res->bytes_rcvd + res->bytes_sent,
				    1, b, sizeof b);
			qtab_printf(tw, "%s\t", b);
		}
		qtab_printf(tw, "\n");
	}
	fputc('\n', f);
	qtab_flush(tw, f);
	if (res->nrows > 0)
		fputc('\n', f);

	fw = qtab_new(0, 1, 0);
	/* without data, goquery shows the range queried */
	first = res->data ? res->span_first : q->first;
	last = res->data ? res->span_last : q->last;
	qtime_format(first, a, sizeof a);
	qtime_format(last, d, sizeof d);
	/* Round(time.Minute) */
	qtime_duration((last - first + 30) / 60 * 60 * 1000000000LL, b,
	    sizeof b);
	qtab_printf(fw, "Timespan\t: [%s, %s] (%s)\n", a, d, b);
	if (q->attrs & QA_IFACE)
		snprintf(ifs, sizeof ifs, "%zu queried", info->files->nifaces);
	else
		ifaces_joined(info, ifs, sizeof ifs);
	if (info->hosts_summary != NULL)	/* goProbe's distributed footer */
		qtab_printf(fw, "Interface%s / Hosts\t: %s on %s\n",
		    info->files->nifaces > 1 ? "s" : "", ifs,
		    info->hosts_summary);
	else
		qtab_printf(fw, "Interface\t: %s\n", ifs);
	qtab_printf(fw, "Sorted by\t: %s\n", describe(q));
	if (res->data && res->bins_pkts_rcvd > 0 && res->bins_pkts_sent == 0)
		qtab_printf(fw, "Direction\t: none sent, all received (a "
		    "capture file without direction, or a mirror port)\n");
	if (info->condition != NULL && *info->condition != '\0')
		qtab_printf(fw, "Conditions\t: %s\n", info->condition);
	count_small(res->nrows, a, sizeof a);
	count_small(res->hits, d, sizeof d);
	qtime_duration((int64_t)res->duration_ns, b, sizeof b);
	qtab_printf(fw, "Query stats\t: displayed top %s hits out of %s in "
	    "%s\n", a, d, b);
	if (info->stats) {
		size_small(info->bytes_loaded, 0, a, sizeof a);
		qtab_printf(fw, "Bytes loaded\t: %s\n", a);
		qtab_printf(fw, "Bytes decompressed\t: %s\n", a);
		qout_count(info->files->nfiles, a, sizeof a);
		qtab_printf(fw, "Blocks processed\t: %s\n", a);
		count_small(info->nskipped, a, sizeof a);
		qtab_printf(fw, "Blocks corrupted\t: %s\n", a);
		count_small(info->files->nifaces, a, sizeof a);
		qtab_printf(fw, "Directories processed\t: %s\n", a);
		qtab_printf(fw, "Workloads\t: 1\n");
	} else if (info->nskipped > 0)
		qtab_printf(fw, "Skipped files\t: %zu (unreadable, named on "
		    "stderr)\n", info->nskipped);
	qtab_flush(fw, f);
	fputc('\n', f);
}

/* A field as Go's encoding/csv writes it: quoted when it must be. */
static void
csv_cell(FILE *f, const char *s, int first)
{
	const char *p;

	if (!first)
		fputc(',', f);
	if (*s != '\0' && (strpbrk(s, ",\"\r\n") != NULL ||
	    s[0] == ' ' || s[0] == '\t' || s[0] == '\v' || s[0] == '\f')) {
		fputc('"', f);
		for (p = s; *p != '\0'; p++) {
			if (*p == '"')
				fputc('"', f);
			fputc(*p, f);
		}
		fputc('"', f);
	} else
		fputs(s, f);
}

static void
print_csv(FILE *f, const struct qout_info *info, const struct qresult *res)
{
	enum col	 cols[C_COUNT];
	size_t		 ncols, i, j;
	char		 b[4096];

	print_status(f, info, res);
	ncols = columns(info, cols);
	for (j = 0; j < ncols; j++)
		csv_cell(f, header_csv[cols[j]], j == 0);
	fputc('\n', f);
	for (i = 0; i < res->nrows; i++) {
		for (j = 0; j < ncols; j++) {
			cell(info, res, &res->rows[i], i, cols[j], 1, b,
			    sizeof b);
			csv_cell(f, b, j == 0);
		}
		fputc('\n', f);
	}
	for (j = 0; j < ncols; j++) {
		if (summary_csv[cols[j]] == NULL)
			continue;
		csv_cell(f, summary_csv[cols[j]], 1);
		cell(info, res, NULL, 0, cols[j], 1, b, sizeof b);
		csv_cell(f, b, 0);
		fputc('\n', f);
	}
	csv_cell(f, "Sorting and flow direction", 1);
	csv_cell(f, describe(info->q), 0);
	fputc('\n', f);
	csv_cell(f, "Interface", 1);
	ifaces_joined(info, b, sizeof b);
	csv_cell(f, b, 0);
	fputc('\n', f);
}

void
qout_print(FILE *f, enum qout_format fmt, const struct qout_info *info,
    const struct qresult *res)
{
	switch (fmt) {
	case QOUT_TXT:
		print_txt(f, info, res);
		break;
	case QOUT_CSV:
		print_csv(f, info, res);
		break;
	case QOUT_JSON:
		/* qapi_result(): goProbe's Result document */
		abort();
	}
}

/* ------------------------------------------------------------ fleet */

struct doc_hs {
	const char	*host, *code, *message;
};

static int
doc_hs_cmp(const void *a, const void *b)
{
	return strcmp(((const struct doc_hs *)a)->host,
	    ((const struct doc_hs *)b)->host);
}

static uint64_t
doc_u64(const json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

/* The index of iface in files, added when new. */
static uint32_t
doc_iface(struct qfiles *files, const char *iface)
{
	size_t i;

	for (i = 0; i < files->nifaces; i++)
		if (strcmp(files->ifaces[i], iface) == 0)
			return (uint32_t)i;
	files->ifaces = util_realloc(files->ifaces, files->nifaces + 1,
	    sizeof *files->ifaces);
	files->ifaces[files->nifaces] = util_strdup(iface);
	return (uint32_t)files->nifaces++;
}

static void
doc_addr(const json_t *v, uint8_t *ip, uint8_t *len)
{
	const char *s = json_string_value(v);

	*len = 0;
	if (s == NULL)
		return;
	if (inet_pton(AF_INET, s, ip) == 1)
		*len = 4;
	else if (inet_pton(AF_INET6, s, ip) == 1)
		*len = 16;
}

void
qout_print_doc(FILE *f, enum qout_format fmt, const struct qquery *q,
    const char *condition, const json_t *doc)
{
	const json_t *sum = json_object_get(doc, "summary"), *rows, *row;
	const json_t *l, *a, *c, *v;
	struct qout_info info;
	struct qresult res;
	struct qfiles files;
	struct doc_hs *hs;
	struct qrow *r;
	const char **hosts, *k, *iface;
	char *summary, *status, *order;
	size_t i, n, nhs, ok = 0, empty = 0, error = 0;
	int64_t ns;

	memset(&files, 0, sizeof files);
	memset(&res, 0, sizeof res);
	json_array_foreach(json_object_get(sum, "interfaces"), i, v)
		if (json_is_string(v))
			doc_iface(&files, json_string_value(v));
	rows = json_object_get(doc, "rows");
	n = json_array_size(rows);
	res.rows = util_calloc(n + 1, sizeof *res.rows);
	hosts = util_calloc(n + 1, sizeof *hosts);
	json_array_foreach(rows, i, row) {
		r = &res.rows[i];
		l = json_object_get(row, "labels");
		a = json_object_get(row, "attributes");
		c = json_object_get(row, "counters");
		if (qmerge_time(json_object_get(l, "timestamp"), &ns) == 0)
			r->k.ts = ns / 1000000000;
		iface = json_string_value(json_object_get(l, "iface"));
		r->k.iface = doc_iface(&files, iface != NULL ? iface : "");
		hosts[i] = json_string_value(json_object_get(l, "host"));
		doc_addr(json_object_get(a, "sip"), r->k.sip, &r->k.salen);
		doc_addr(json_object_get(a, "dip"), r->k.dip, &r->k.dalen);
		r->k.dport = (uint16_t)doc_u64(a, "dport");
		r->k.proto = (uint8_t)doc_u64(a, "proto");
		r->k.vlan = (uint16_t)doc_u64(a, "vlan");
		r->bytes_rcvd = doc_u64(c, "br");
		r->bytes_sent = doc_u64(c, "bs");
		r->pkts_rcvd = doc_u64(c, "pr");
		r->pkts_sent = doc_u64(c, "ps");
	}
	res.nrows = n;
	res.hits = doc_u64(json_object_get(sum, "hits"), "total");
	v = json_object_get(sum, "totals");
	res.bytes_rcvd = doc_u64(v, "br");
	res.bytes_sent = doc_u64(v, "bs");
	res.pkts_rcvd = doc_u64(v, "pr");
	res.pkts_sent = doc_u64(v, "ps");
	res.data = json_is_true(json_object_get(sum, "data_available"));
	if (qmerge_time(json_object_get(sum, "time_first"), &ns) == 0)
		res.span_first = ns / 1000000000;
	if (qmerge_time(json_object_get(sum, "time_last"), &ns) == 0)
		res.span_last = ns / 1000000000;
	res.iface_data = util_calloc(files.nifaces + 1, sizeof *res.iface_data);
	for (i = 0; i < files.nifaces; i++)
		res.iface_data[i] = 1;
	res.duration_ns = doc_u64(json_object_get(sum, "timings"),
	    "query_duration_ns");

	/* The hosts: errors first (goquery's GetErrorStatuses()), counts. */
	v = json_object_get(doc, "hosts_statuses");
	hs = util_calloc(json_object_size(v) + 1, sizeof *hs);
	nhs = 0;
	json_object_foreach((json_t *)v, k, l) {
		hs[nhs].host = k;
		hs[nhs].code = json_string_value(json_object_get(l, "code"));
		hs[nhs].message = json_string_value(json_object_get(l,
		    "message"));
		if (hs[nhs].code == NULL)
			hs[nhs].code = "error";
		if (strcmp(hs[nhs].code, "ok") == 0)
			ok++;
		else if (strcmp(hs[nhs].code, "empty") == 0)
			empty++;
		else if (strcmp(hs[nhs].code, "error") == 0)
			error++;
		nhs++;
	}
	if (nhs > 1)
		qsort(hs, nhs, sizeof *hs, doc_hs_cmp);
	for (i = 0; i < nhs; i++)
		if (strcmp(hs[i].code, "ok") != 0)
			fprintf(fmt == QOUT_TXT ? f : stderr, "Host %s returned "
			    "with error \"%s\": %s\n", hs[i].host, hs[i].code,
			    hs[i].message != NULL ? hs[i].message : "");
	summary = util_printf("%zu hosts: %zu ok / %zu empty / %zu error", nhs,
	    ok, empty, error);

	memset(&info, 0, sizeof info);
	info.q = q;
	info.files = &files;
	info.condition = condition;
	info.hosts = hosts;
	info.hosts_summary = summary;
	v = json_object_get(doc, "status");
	status = util_printf("Status \"%s\": %s",
	    json_string_value(json_object_get(v, "code")) ?: "error",
	    json_string_value(json_object_get(v, "message")) ?: "");
	info.status_line = status;
	order = util_strdup("");
	json_array_foreach(json_object_get(json_object_get(doc, "query"),
	    "attributes"), i, v) {
		if (!json_is_string(v))
			continue;
		k = order;
		order = util_printf("%s%s%s", k, *k != '\0' ? "," : "",
		    json_string_value(v));
		free((char *)k);
	}
	info.attr_order = order;
	if (fmt != QOUT_JSON)
		qout_print(f, fmt, &info, &res);

	free(order);
	free(status);
	free(summary);
	free(hs);
	free(hosts);
	free(res.rows);
	free(res.iface_data);
	for (i = 0; i < files.nifaces; i++)
		free(files.ifaces[i]);
	free(files.ifaces);
}

int
qout_format_parse(const char *name, enum qout_format *out)
{
	if (name == NULL || strcmp(name, "txt") == 0)
		*out = QOUT_TXT;
	else if (strcmp(name, "json") == 0)
		*out = QOUT_JSON;
	else if (strcmp(name, "csv") == 0)
		*out = QOUT_CSV;
	else
		return -1;
	return 0;
}

/* ------------------------------------------------------------ list */

json_t *
qout_list_json(const struct qlist *l)
{
	const struct qlist_row	*r;
	const struct catalog_day *s;
	json_t			*ja, *jo;
	size_t			 i;

	ja = json_array();
	for (i = 0; i < l->files->nifaces; i++) {
		r = &l->rows[i];
		s = &r->sum;
		if (!r->data)
			continue;
		json_array_append_new(ja, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,"
		    "s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "iface", l->files->ifaces[i],
		    "first", (json_int_t)r->first,
		    "last", (json_int_t)r->last,
		    "packets", (json_int_t)(s->pkts_rcvd + s->pkts_sent),
		    "bytes", (json_int_t)(s->bytes_rcvd + s->bytes_sent),
		    "flows", (json_int_t)s->flows,
		    "packets_rcvd", (json_int_t)s->pkts_rcvd,
		    "packets_sent", (json_int_t)s->pkts_sent,
		    "bytes_rcvd", (json_int_t)s->bytes_rcvd,
		    "bytes_sent", (json_int_t)s->bytes_sent,
		    "flows_v4", (json_int_t)s->flows_v4,
		    "flows_v6", (json_int_t)s->flows_v6,
		    "kernel_drops", (json_int_t)s->kernel_drops));
	}
	jo = json_pack("{s:o}", "interfaces", ja);
	if (l->nskipped > 0) {
		ja = json_array();
		for (i = 0; i < l->nskipped; i++)
			json_array_append_new(ja, json_pack("{s:s,s:s}",
			    "path", l->skipped[i].path, "reason",
			    l->skipped[i].reason));
		json_object_set_new(jo, "skipped", ja);
	}
	return jo;
}

static void
list_json(FILE *f, const struct qlist *l)
{
	json_t *jo = qout_list_json(l);

	json_dumpf(jo, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(jo);
}

static void
list_csv(FILE *f, int verbose, const struct qlist *l)
{
	const struct qlist_row	*r;
	const struct catalog_day *s;
	size_t			 i;

	fprintf(f, "iface,first,last,packets,bytes,flows%s\n", verbose ?
	    ",packets_rcvd,packets_sent,bytes_rcvd,bytes_sent,"
	    "flows_v4,flows_v6,kernel_drops" : "");
	for (i = 0; i < l->files->nifaces; i++) {
		r = &l->rows[i];
		s = &r->sum;
		if (!r->data)
			continue;
		fprintf(f, "%s,%lld,%lld,%lld,%lld,%lld", l->files->ifaces[i],
		    (long long)r->first, (long long)r->last,
		    (long long)(s->pkts_rcvd + s->pkts_sent),
		    (long long)(s->bytes_rcvd + s->bytes_sent),
		    (long long)s->flows);
		if (verbose)
			fprintf(f, ",%lld,%lld,%lld,%lld,%lld,%lld,%lld",
			    (long long)s->pkts_rcvd, (long long)s->pkts_sent,
			    (long long)s->bytes_rcvd, (long long)s->bytes_sent,
			    (long long)s->flows_v4, (long long)s->flows_v6,
			    (long long)s->kernel_drops);
		fputc('\n', f);
	}
}

static void
list_txt(FILE *f, int verbose, const struct qlist *l)
{
	const struct qlist_row	*r;
	const struct catalog_day *s;
	struct qtab		*tw;
	char			 a[64], b[64], p[32], by[32], fl[32], x[7][32];
	size_t			 i, k;

	if (l->nrows == 0) {
		fprintf(f, "Status \"missing data\": %s\n", status_missing);
		if (l->nskipped > 0)
			fprintf(f, "Skipped files : %zu (unreadable, named on "
			    "stderr)\n", l->nskipped);
		return;
	}
	tw = qtab_new(0, 2, 1);
	qtab_printf(tw, "\tpackets\tbytes\tflows\t%s\t\t\n", verbose ?
	    "packets\tpackets\tbytes\tbytes\tflows\tflows\tkernel\t" : "");
	qtab_printf(tw, "iface\t\t\t\t%sfirst\tlast\t\n", verbose ?
	    "in\tout\tin\tout\tIPv4\tIPv6\tdrops\t" : "");
	for (i = 0; i <= l->files->nifaces; i++) {
		r = i < l->files->nifaces ? &l->rows[i] : &l->total;
		s = &r->sum;
		if (i < l->files->nifaces && !r->data)
			continue;
		if (i == l->files->nifaces)
			qtab_printf(tw, "\t\t\t\t%s\t\t\n", verbose ?
			    "\t\t\t\t\t\t\t" : "");
		qout_count((uint64_t)(s->pkts_rcvd + s->pkts_sent), p,
		    sizeof p);
		qout_size((uint64_t)(s->bytes_rcvd + s->bytes_sent), by,
		    sizeof by);
		qout_count((uint64_t)s->flows, fl, sizeof fl);
		qtab_printf(tw, "%s\t%s\t%s\t%s\t", i < l->files->nifaces ?
		    l->files->ifaces[i] : "", p, by, fl);
		if (verbose) {
			qout_count((uint64_t)s->pkts_rcvd, x[0], sizeof x[0]);
			qout_count((uint64_t)s->pkts_sent, x[1], sizeof x[1]);
			qout_size((uint64_t)s->bytes_rcvd, x[2], sizeof x[2]);
			qout_size((uint64_t)s->bytes_sent, x[3], sizeof x[3]);
			qout_count((uint64_t)s->flows_v4, x[4], sizeof x[4]);
			qout_count((uint64_t)s->flows_v6, x[5], sizeof x[5]);
			qout_count((uint64_t)s->kernel_drops, x[6],
			    sizeof x[6]);
			for (k = 0; k < 7; k++)
				qtab_printf(tw, "%s\t", x[k]);
		}
		if (i < l->files->nifaces) {
			qtime_format(r->first, a, sizeof a);
			qtime_format(r->last, b, sizeof b);
		} else
			a[0] = b[0] = '\0';
		qtab_printf(tw, "%s\t%s\t\n", a, b);
	}
	fputc('\n', f);
	qtab_flush(tw, f);
	fputc('\n', f);
	tw = qtab_new(0, 1, 0);
	qtab_printf(tw, "Interfaces\t: %zu listed\n", l->nrows);
	if (l->nskipped > 0)
		qtab_printf(tw, "Skipped files\t: %zu (unreadable, named on "
		    "stderr)\n", l->nskipped);
	qtab_flush(tw, f);
	fputc('\n', f);
}

void
qout_list_print(FILE *f, enum qout_format fmt, int verbose,
    const struct qlist *l)
{
	switch (fmt) {
	case QOUT_JSON:
		list_json(f, l);
		break;
	case QOUT_CSV:
		list_csv(f, verbose, l);
		break;
	case QOUT_TXT:
		list_txt(f, verbose, l);
		break;
	}
}

/* ------------------------------------------------------------ sql */

/*
 * Every format streams: CSV and JSON a row at a time, text in blocks of
 * SQL_TXT_BLOCK rows, each block laid out on its own (a tabwriter needs
 * all of its rows), so memory stays bounded whatever the row count.
 */
#define SQL_TXT_BLOCK	1000

struct qout_sql {
	FILE		*f;
	enum qout_format fmt;
	struct qtab	*tw;		/* txt: the current block */
	size_t		 inblock;
	int		 ncols;
	uint64_t	 nrows;
	int		 started;	/* json: "[" printed */
};

struct qout_sql *
qout_sql_new(FILE *f, enum qout_format fmt)
{
	struct qout_sql *p;

	if ((p = calloc(1, sizeof *p)) == NULL)
		abort();
	p->f = f;
	p->fmt = fmt;
	return p;
}

static void
csv_field(FILE *f, const char *s)
{
	const char *p;

	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

void
qout_sql_columns(struct qout_sql *p, int n, const char *const *names)
{
	json_t	*jcols;
	int	 i;

	switch (p->fmt) {
	case QOUT_TXT:
		p->tw = qtab_new(0, 2, 0);
		for (i = 0; i < n; i++)
			qtab_printf(p->tw, "%s\t", names[i]);
		qtab_printf(p->tw, "\n");
		break;
	case QOUT_CSV:
		for (i = 0; i < n; i++) {
			if (i > 0)
				fputc(',', p->f);
			csv_field(p->f, names[i]);
		}
		fputc('\n', p->f);
		break;
	case QOUT_JSON:
		jcols = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(jcols, json_string(names[i]));
		fputs("{\"columns\": ", p->f);
		json_dumpf(jcols, p->f, JSON_COMPACT);
		fputs(", \"rows\": [", p->f);
		json_decref(jcols);
		p->started = 1;
		break;
	}
	p->ncols = n;
}

/* A cell as text: NULL as null_text, blobs as x'..', reals %.17g. */
static char *
cell_text(const struct qout_cell *c, const char *null_text)
{
	const uint8_t	*b = c->p;
	char		*v, *q;
	size_t		 k;

	switch (c->type) {
	case QOUT_CELL_NULL:
		return util_strdup(null_text);
	case QOUT_CELL_INT:
		return util_printf("%lld", (long long)c->i);
	case QOUT_CELL_REAL:
		return util_printf("%.17g", c->r);
	case QOUT_CELL_BLOB:
		if ((v = malloc(c->len * 2 + 4)) == NULL)
			abort();
		q = v + sprintf(v, "x'");
		for (k = 0; k < c->len; k++)
			q += sprintf(q, "%02x", b[k]);
		sprintf(q, "'");
		return v;
	case QOUT_CELL_TEXT:
		break;
	}
	if ((v = malloc(c->len + 1)) == NULL)
		abort();
	memcpy(v, c->p, c->len);
	v[c->len] = '\0';
	return v;
}

void
qout_sql_row(struct qout_sql *p, const struct qout_cell *cells, int n)
{
	json_t	*jrow = NULL;
	char	*v, *q;
	int	 i;

	if (p->fmt == QOUT_JSON)
		jrow = json_array();
	for (i = 0; i < n; i++) {
		v = cell_text(&cells[i], p->fmt == QOUT_TXT ? "NULL" : "");
		switch (p->fmt) {
		case QOUT_TXT:
			for (q = v; *q != '\0'; q++) {
				if (*q == '\t' || *q == '\n')
					*q = ' ';
			}
			qtab_printf(p->tw, "%s\t", v);
			break;
		case QOUT_CSV:
			if (i > 0)
				fputc(',', p->f);
			csv_field(p->f, v);
			break;
		case QOUT_JSON:
			if (cells[i].type == QOUT_CELL_NULL)
				json_array_append_new(jrow, json_null());
			else if (cells[i].type == QOUT_CELL_INT)
				json_array_append_new(jrow,
				    json_integer(cells[i].i));
			else if (cells[i].type == QOUT_CELL_REAL)
				json_array_append_new(jrow,
				    json_real(cells[i].r));
			else
				json_array_append_new(jrow, json_string(v));
			break;
		}
		free(v);
	}
	if (p->fmt == QOUT_TXT) {
		qtab_printf(p->tw, "\n");
		if (++p->inblock == SQL_TXT_BLOCK) {
			qtab_flush(p->tw, p->f);
			p->tw = qtab_new(0, 2, 0);
			p->inblock = 0;
		}
	} else if (p->fmt == QOUT_CSV)
		fputc('\n', p->f);
	else {
		fputs(p->nrows > 0 ? ",\n" : "\n", p->f);
		json_dumpf(jrow, p->f, JSON_COMPACT);
		json_decref(jrow);
	}
	p->nrows++;
}

void
qout_sql_end(struct qout_sql *p, uint64_t nrows)
{
	if (p->tw != NULL) {
		qtab_flush(p->tw, p->f);
		p->tw = NULL;
		fprintf(p->f, "(%llu row%s)\n", (unsigned long long)nrows,
		    nrows == 1 ? "" : "s");
	} else if (p->started) {
		fputs(p->nrows > 0 ? "\n]}\n" : "]}\n", p->f);
		p->started = 0;
	}
}

void
qout_sql_free(struct qout_sql *p)
{
	if (p == NULL)
		return;
	qtab_free(p->tw);
	free(p);
}
