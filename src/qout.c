/*
 * qout.c - flowq's output formats (see qout.h).
 *
 * The tabwriter follows Go's algorithm: a column block is a run of
 * consecutive lines that have a cell in that column (the text after a
 * line's last tab is not a cell); its width is the widest cell plus the
 * padding; blocks are formatted column by column, recursively, so that a
 * line with fewer cells ends the blocks of the columns it lacks.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>

#include "qout.h"
#include "qtime.h"
#include "util.h"

/* ------------------------------------------------------------ tabwriter */

struct tw_line {
	char		**cells;	/* tab-terminated cells, then the rest */
	size_t		 ncells;
};

struct qout_tw {
	int		 minwidth, padding, align_right;
	struct tw_line	*lines;
	size_t		 nlines, lines_cap;
	char		*pending;	/* text after the last newline */
	size_t		 plen, pcap;
};

struct qout_tw *
qout_tw_new(int minwidth, int padding, int align_right)
{
	struct qout_tw *t;

	if ((t = calloc(1, sizeof *t)) == NULL)
		abort();
	t->minwidth = minwidth;
	t->padding = padding;
	t->align_right = align_right;
	t->pcap = 256;
	if ((t->pending = malloc(t->pcap)) == NULL)
		abort();
	t->pending[0] = '\0';
	return t;
}

static void
tw_add_line(struct qout_tw *t, const char *s, size_t len)
{
	struct tw_line	*l;
	const char	*p, *e = s + len;

	size_t		 n = 1;
	char		*c;

	if (t->nlines == t->lines_cap) {
		t->lines_cap = t->lines_cap ? t->lines_cap * 2 : 64;
		t->lines = realloc(t->lines, t->lines_cap * sizeof *t->lines);
		if (t->lines == NULL)
			abort();
	}
	l = &t->lines[t->nlines++];
	memset(l, 0, sizeof *l);
	for (p = s; p < e; p++)
		n += *p == '\t';
	if ((l->cells = malloc(n * sizeof *l->cells)) == NULL)
		abort();
	for (;;) {
		for (p = s; p < e && *p != '\t'; p++)
			;
		if ((c = malloc((size_t)(p - s) + 1)) == NULL)
			abort();
		memcpy(c, s, (size_t)(p - s));
		c[p - s] = '\0';
		l->cells[l->ncells++] = c;
		if (p == e)
			break;
		s = p + 1;
	}
}

void
qout_tw_printf(struct qout_tw *t, const char *fmt, ...)
{
	va_list	 ap;
	char	*nl, *p;
	size_t	 old = t->plen;
	int	 n;

	/* append to the pending text, then cut the lines it completes */
	va_start(ap, fmt);
	n = vsnprintf(t->pending + t->plen, t->pcap - t->plen, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	if ((size_t)n >= t->pcap - t->plen) {
		while ((size_t)n >= t->pcap - t->plen)
			t->pcap *= 2;
		if ((t->pending = realloc(t->pending, t->pcap)) == NULL)
			abort();
		va_start(ap, fmt);
		vsnprintf(t->pending + t->plen, t->pcap - t->plen, fmt, ap);
		va_end(ap);
	}
	t->plen += (size_t)n;
	if (memchr(t->pending + old, '\n', (size_t)n) == NULL)
		return;
	for (p = t->pending; (nl = memchr(p, '\n', t->plen - (size_t)(p -
	    t->pending))) != NULL; p = nl + 1)
		tw_add_line(t, p, (size_t)(nl - p));
	t->plen -= (size_t)(p - t->pending);
	memmove(t->pending, p, t->plen + 1);
}

/* Width in characters (UTF-8 continuation bytes do not count). */
static size_t
tw_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void
tw_pad(FILE *f, size_t n)
{
	while (n-- > 0)
		fputc(' ', f);
}

static void
tw_write_lines(struct qout_tw *t, size_t line0, size_t line1,
    const size_t *widths, size_t nw, FILE *f)
{
	struct tw_line	*l;
	size_t		 i, j, w;

	for (i = line0; i < line1; i++) {
		l = &t->lines[i];
		for (j = 0; j < l->ncells; j++) {
			w = tw_width(l->cells[j]);
			if (j >= nw) {
				fputs(l->cells[j], f);
				continue;
			}
			if (t->align_right) {
				tw_pad(f, widths[j] - w);
				fputs(l->cells[j], f);
			} else {
				fputs(l->cells[j], f);
				tw_pad(f, widths[j] - w);
			}
		}
		fputc('\n', f);
	}
}

static void
tw_format(struct qout_tw *t, size_t line0, size_t line1, size_t *widths,
    size_t nw, FILE *f)
{
	size_t	 this, width, w, column = nw;

	for (this = line0; this < line1; this++) {
		if (column + 1 >= t->lines[this].ncells)
			continue;
		tw_write_lines(t, line0, this, widths, nw, f);
		line0 = this;
		width = (size_t)t->minwidth;
		for (; this < line1; this++) {
			if (column + 1 >= t->lines[this].ncells)
				break;
			w = tw_width(t->lines[this].cells[column]) +
			    (size_t)t->padding;
			if (w > width)
				width = w;
		}
		widths[nw] = width;
		tw_format(t, line0, this, widths, nw + 1, f);
		line0 = this;
		if (this >= line1)
			break;
	}
	tw_write_lines(t, line0, line1, widths, nw, f);
}

void
qout_tw_flush(struct qout_tw *t, FILE *f)
{
	size_t	*widths, i, j, max = 1;

	for (i = 0; i < t->nlines; i++) {
		if (t->lines[i].ncells > max)
			max = t->lines[i].ncells;
	}
	if ((widths = calloc(max + 1, sizeof *widths)) == NULL)
		abort();
	tw_format(t, 0, t->nlines, widths, 0, f);
	if (*t->pending != '\0')
		fputs(t->pending, f);
	free(widths);
	for (i = 0; i < t->nlines; i++) {
		for (j = 0; j < t->lines[i].ncells; j++)
			free(t->lines[i].cells[j]);
		free(t->lines[i].cells);
	}
	free(t->lines);
	free(t->pending);
	free(t);
}

/* ------------------------------------------------------------ units */

void
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

void
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

/* goquery's CountSmall: plain below 1000. */
static void
count_small(uint64_t v, char *buf, size_t len)
{
	char *p;

	if (v < 1000) {
		snprintf(buf, len, "%llu", (unsigned long long)v);
		return;
	}
	qout_count(v, buf, len);
	for (p = buf + strlen(buf); p > buf && p[-1] == ' '; p--)
		p[-1] = '\0';
}

static double
percent(uint64_t v, uint64_t total)
{
	/* goquery divides by 2^64-1 when the total is zero */
	return (double)(100 * v) / (double)(total == 0 ? UINT64_MAX : total);
}

void
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
};

static size_t
columns(const struct qquery *q, enum col *cols)
{
	size_t	n = 0;
	int	a;

	for (a = 0; a < 7; a++) {
		if (q->attrs & (1u << a))
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

/* The text of column c for row r (NULL: the totals). */
static void
cell(const struct qout_info *info, const struct qresult *res,
    const struct qrow *r, size_t idx, enum col c, char *buf, size_t len)
{
	const struct qrow	*t = NULL;
	struct qrow		 tot;
	char			 pb[32];

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
		qtime_format(r->k.ts, buf, len);
		return;
	case C_IFACE:
		snprintf(buf, len, "%s", info->files->ifaces[r->k.iface]);
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
		qout_count(r->pkts_rcvd, buf, len);
		return;
	case C_OUT_PKTS: case C_BOTH_PKTS_SENT:
		qout_count(r->pkts_sent, buf, len);
		return;
	case C_SUM_PKTS:
		qout_count(r->pkts_rcvd + r->pkts_sent, buf, len);
		return;
	case C_IN_BYTES: case C_BOTH_BYTES_RCVD:
		qout_size(r->bytes_rcvd, buf, len);
		return;
	case C_OUT_BYTES: case C_BOTH_BYTES_SENT:
		qout_size(r->bytes_sent, buf, len);
		return;
	case C_SUM_BYTES:
		qout_size(r->bytes_rcvd + r->bytes_sent, buf, len);
		return;
	case C_IN_PKTS_PCT:
		snprintf(buf, len, "%.2f", percent(r->pkts_rcvd,
		    res->pkts_rcvd));
		return;
	case C_OUT_PKTS_PCT:
		snprintf(buf, len, "%.2f", percent(r->pkts_sent,
		    res->pkts_sent));
		return;
	case C_SUM_PKTS_PCT: case C_BOTH_PKTS_PCT:
		snprintf(buf, len, "%.2f", percent(r->pkts_rcvd + r->pkts_sent,
		    res->pkts_rcvd + res->pkts_sent));
		return;
	case C_IN_BYTES_PCT:
		snprintf(buf, len, "%.2f", percent(r->bytes_rcvd,
		    res->bytes_rcvd));
		return;
	case C_OUT_BYTES_PCT:
		snprintf(buf, len, "%.2f", percent(r->bytes_sent,
		    res->bytes_sent));
		return;
	case C_SUM_BYTES_PCT: case C_BOTH_BYTES_PCT:
		snprintf(buf, len, "%.2f", percent(r->bytes_rcvd +
		    r->bytes_sent, res->bytes_rcvd + res->bytes_sent));
		return;
	case C_COUNT:
		break;
	}
	buf[0] = '\0';
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

static size_t
ifaces_with_data(const struct qout_info *info, const struct qresult *res,
    char *buf, size_t len)
{
	size_t	i, n = 0, off = 0;

	buf[0] = '\0';
	for (i = 0; i < info->files->nifaces; i++) {
		if (res->iface_data == NULL || !res->iface_data[i])
			continue;
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0,
		    "%s%s", n > 0 ? "," : "", info->files->ifaces[i]);
		if (off >= len)
			off = len - 1;
		n++;
	}
	return n;
}

static const char status_empty[] = "query returned no results";
static const char status_missing[] = "no data available for the specified "
    "interface(s) / time range (maybe flowrecd was not running)";

static void
print_txt(FILE *f, const struct qout_info *info, const struct qresult *res)
{
	const struct qquery	*q = info->q;
	struct qout_tw		*tw, *fw;
	enum col		 cols[C_COUNT];
	size_t			 ncols, i, j, nif;
	char			 b[1024], a[64], d[64], ifs[4096];

	if (res->nrows == 0) {
		fprintf(f, "Status \"%s\": %s\n", res->data ? "empty" :
		    "missing data", res->data ? status_empty : status_missing);
		return;
	}
	ncols = columns(q, cols);
	tw = qout_tw_new(0, 2, 1);
	for (j = 0; j < ncols; j++)
		qout_tw_printf(tw, "%s\t", header1[cols[j]] ?
		    header1[cols[j]] : "");
	qout_tw_printf(tw, "\n");
	for (j = 0; j < ncols; j++)
		qout_tw_printf(tw, "%s\t", header2[cols[j]]);
	qout_tw_printf(tw, "\n");
	for (i = 0; i < res->nrows; i++) {
		for (j = 0; j < ncols; j++) {
			cell(info, res, &res->rows[i], i, cols[j], b, sizeof b);
			qout_tw_printf(tw, "%s\t", b);
		}
		qout_tw_printf(tw, "\n");
	}
	for (j = 0; j < ncols; j++)
		qout_tw_printf(tw, "%s\t", is_total(cols[j]) &&
		    res->nrows < res->hits ? "..." : "");
	qout_tw_printf(tw, "\n");
	for (j = 0; j < ncols; j++) {
		if (is_total(cols[j]))
			cell(info, res, NULL, 0, cols[j], b, sizeof b);
		else
			b[0] = '\0';
		qout_tw_printf(tw, "%s\t", b);
	}
	qout_tw_printf(tw, "\n");
	if (q->dir == QDIR_BOTH) {
		for (j = 1; j < ncols; j++)
			qout_tw_printf(tw, "\t");
		qout_tw_printf(tw, "\n");
		qout_tw_printf(tw, "Totals:\t");
		for (j = 1; j < ncols; j++) {
			b[0] = '\0';
			if (cols[j] == C_BOTH_PKTS_SENT)
				qout_count(res->pkts_rcvd + res->pkts_sent, b,
				    sizeof b);
			if (cols[j] == C_BOTH_BYTES_SENT)
				qout_size(res->bytes_rcvd + res->bytes_sent, b,
				    sizeof b);
			qout_tw_printf(tw, "%s\t", b);
		}
		qout_tw_printf(tw, "\n");
	}
	fputc('\n', f);
	qout_tw_flush(tw, f);
	fputc('\n', f);

	fw = qout_tw_new(0, 1, 0);
	qtime_format(res->span_first, a, sizeof a);
	qtime_format(res->span_last, d, sizeof d);
	/* Round(time.Minute) */
	qtime_duration(((res->span_last - res->span_first) + 30) / 60 * 60 *
	    1000000000LL, b, sizeof b);
	qout_tw_printf(fw, "Timespan\t: [%s, %s] (%s)\n", a, d, b);
	nif = ifaces_with_data(info, res, ifs, sizeof ifs);
	if (q->attrs & QA_IFACE)
		snprintf(ifs, sizeof ifs, "%zu queried", nif);
	qout_tw_printf(fw, "%s\t: %s\n", nif > 1 ? "Interfaces" : "Interface",
	    ifs);
	qout_tw_printf(fw, "Sorted by\t: %s\n", describe(q));
	if (info->rdns_ns > 0) {
		qtime_duration((int64_t)info->rdns_ns, a, sizeof a);
		qtime_duration((int64_t)info->rdns_timeout_ms * 1000000LL, d,
		    sizeof d);
		qout_tw_printf(fw, "Reverse DNS stats\t: RDNS took %s, timeout "
		    "was %s\n", a, d);
	}
	if (info->condition != NULL && *info->condition != '\0')
		qout_tw_printf(fw, "Conditions\t: %s\n", info->condition);
	count_small(res->nrows, a, sizeof a);
	count_small(res->hits, d, sizeof d);
	qtime_duration((int64_t)res->duration_ns, b, sizeof b);
	qout_tw_printf(fw, "Query stats\t: displayed top %s hits out of %s in "
	    "%s\n", a, d, b);
	qout_tw_flush(fw, f);
	fputc('\n', f);
}

static const char *const attr_names[] = { "time", "iface", "sip", "dip",
	"dport", "proto", "vlan" };

static void
print_csv(FILE *f, const struct qout_info *info, const struct qresult *res)
{
	const struct qquery	*q = info->q;
	const struct qrow	*r;
	size_t			 i;
	int			 a, n = 0;
	char			 b[64];

	for (a = 0; a < 7; a++) {
		if (q->attrs & (1u << a))
			fprintf(f, "%s%s", n++ ? "," : "", attr_names[a]);
	}
	switch (q->dir) {
	case QDIR_BOTH:
		fprintf(f, "%spackets_rcvd,packets_sent,bytes_rcvd,bytes_sent\n",
		    n ? "," : "");
		break;
	case QDIR_SUM:
		fprintf(f, "%spackets,bytes\n", n ? "," : "");
		break;
	case QDIR_IN:
		fprintf(f, "%spackets_rcvd,bytes_rcvd\n", n ? "," : "");
		break;
	case QDIR_OUT:
		fprintf(f, "%spackets_sent,bytes_sent\n", n ? "," : "");
		break;
	}
	for (i = 0; i < res->nrows; i++) {
		r = &res->rows[i];
		n = 0;
		for (a = 0; a < 7; a++) {
			if (!(q->attrs & (1u << a)))
				continue;
			fputs(n++ ? "," : "", f);
			switch (1u << a) {
			case QA_TIME:
				fprintf(f, "%lld", (long long)r->k.ts);
				break;
			case QA_IFACE:
				/* interface names have no commas or quotes */
				fputs(info->files->ifaces[r->k.iface], f);
				break;
			case QA_SIP:
				qout_addr(r->k.sip, r->k.salen, b, sizeof b);
				fputs(b, f);
				break;
			case QA_DIP:
				qout_addr(r->k.dip, r->k.dalen, b, sizeof b);
				fputs(b, f);
				break;
			case QA_DPORT:
				fprintf(f, "%u", r->k.dport);
				break;
			case QA_PROTO:
				fprintf(f, "%u", r->k.proto);
				break;
			case QA_VLAN:
				fprintf(f, "%u", r->k.vlan);
				break;
			}
		}
		fputs(n ? "," : "", f);
		switch (q->dir) {
		case QDIR_BOTH:
			fprintf(f, "%llu,%llu,%llu,%llu\n",
			    (unsigned long long)r->pkts_rcvd,
			    (unsigned long long)r->pkts_sent,
			    (unsigned long long)r->bytes_rcvd,
			    (unsigned long long)r->bytes_sent);
			break;
		case QDIR_SUM:
			fprintf(f, "%llu,%llu\n",
			    (unsigned long long)(r->pkts_rcvd + r->pkts_sent),
			    (unsigned long long)(r->bytes_rcvd +
			    r->bytes_sent));
			break;
		case QDIR_IN:
			fprintf(f, "%llu,%llu\n",
			    (unsigned long long)r->pkts_rcvd,
			    (unsigned long long)r->bytes_rcvd);
			break;
		case QDIR_OUT:
			fprintf(f, "%llu,%llu\n",
			    (unsigned long long)r->pkts_sent,
			    (unsigned long long)r->bytes_sent);
			break;
		}
	}
}

static json_t *
json_counters(uint64_t br, uint64_t bs, uint64_t pr, uint64_t ps)
{
	return json_pack("{s:I,s:I,s:I,s:I}", "bytes_rcvd", (json_int_t)br,
	    "bytes_sent", (json_int_t)bs, "packets_rcvd", (json_int_t)pr,
	    "packets_sent", (json_int_t)ps);
}

static void
print_json(FILE *f, const struct qout_info *info, const struct qresult *res)
{
	static const char *const dirs[] = { "both", "sum", "in", "out" };
	static const char *const sorts[] = { "bytes", "packets", "time" };
	const struct qquery	*q = info->q;
	const struct qrow	*r;
	json_t			*o, *query, *attrs, *summary, *ifaces, *rows;
	json_t			*row, *labels, *av;
	size_t			 i;
	int			 a;
	char			 b[64];

	o = json_object();
	if (res->nrows > 0)
		json_object_set_new(o, "status", json_pack("{s:s}", "code",
		    "ok"));
	else
		json_object_set_new(o, "status", json_pack("{s:s,s:s}", "code",
		    res->data ? "empty" : "missing data", "message",
		    res->data ? status_empty : status_missing));

	attrs = json_array();
	for (a = 0; a < 7; a++) {
		if (q->attrs & (1u << a))
			json_array_append_new(attrs, json_string(
			    attr_names[a]));
	}
	query = json_pack("{s:o,s:s?,s:s,s:s,s:b,s:I,s:I,s:I,s:I}",
	    "attributes", attrs, "condition", info->condition,
	    "direction", dirs[q->dir], "sort_by", sorts[q->sort],
	    "ascending", q->ascending, "limit", (json_int_t)q->limit,
	    "first", (json_int_t)q->first, "last", (json_int_t)q->last,
	    "resolution", (json_int_t)q->resolution);
	json_object_set_new(o, "query", query);

	ifaces = json_array();
	for (i = 0; i < info->files->nifaces; i++) {
		if (res->iface_data != NULL && res->iface_data[i])
			json_array_append_new(ifaces, json_string(
			    info->files->ifaces[i]));
	}
	summary = json_pack("{s:o,s:I,s:I,s:o,s:{s:I,s:I},s:f}",
	    "interfaces", ifaces,
	    "time_first", (json_int_t)(res->data ? res->span_first : 0),
	    "time_last", (json_int_t)(res->data ? res->span_last : 0),
	    "totals", json_counters(res->bytes_rcvd, res->bytes_sent,
	    res->pkts_rcvd, res->pkts_sent),
	    "hits", "displayed", (json_int_t)res->nrows, "total",
	    (json_int_t)res->hits,
	    "duration_ms", (double)res->duration_ns / 1e6);
	json_object_set_new(o, "summary", summary);

	rows = json_array();
	for (i = 0; i < res->nrows; i++) {
		r = &res->rows[i];
		labels = json_object();
		if (q->attrs & QA_TIME)
			json_object_set_new(labels, "time",
			    json_integer(r->k.ts));
		if (q->attrs & QA_IFACE)
			json_object_set_new(labels, "iface", json_string(
			    info->files->ifaces[r->k.iface]));
		av = json_object();
		if (q->attrs & QA_SIP) {
			qout_addr(r->k.sip, r->k.salen, b, sizeof b);
			json_object_set_new(av, "sip", json_string(b));
		}
		if (q->attrs & QA_DIP) {
			qout_addr(r->k.dip, r->k.dalen, b, sizeof b);
			json_object_set_new(av, "dip", json_string(b));
		}
		if (q->attrs & QA_DPORT)
			json_object_set_new(av, "dport",
			    json_integer(r->k.dport));
		if (q->attrs & QA_PROTO)
			json_object_set_new(av, "proto",
			    json_integer(r->k.proto));
		if (q->attrs & QA_VLAN)
			json_object_set_new(av, "vlan",
			    json_integer(r->k.vlan));
		row = json_pack("{s:o,s:o,s:o}", "labels", labels,
		    "attributes", av, "counters", json_counters(r->bytes_rcvd,
		    r->bytes_sent, r->pkts_rcvd, r->pkts_sent));
		json_array_append_new(rows, row);
	}
	json_object_set_new(o, "rows", rows);
	json_dumpf(o, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(o);
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
		print_json(f, info, res);
		break;
	}
}

/* ------------------------------------------------------------ rdns */

struct rdns {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cv;
	size_t		 pending;
	int		 refs;		/* the caller and each thread */
	size_t		 n;
	struct rdns_q {
		uint8_t	 ip[16];
		int	 len;
		char	*name;
		struct rdns *r;
	}		*q;
};

static void
rdns_unref(struct rdns *r)
{
	size_t	i;
	int	last;

	pthread_mutex_lock(&r->lock);
	last = --r->refs == 0;
	pthread_mutex_unlock(&r->lock);
	if (!last)
		return;
	for (i = 0; i < r->n; i++)
		free(r->q[i].name);
	free(r->q);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cv);
	free(r);
}

static void *
rdns_run(void *arg)
{
	struct rdns_q		*e = arg;
	struct rdns		*r = e->r;
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	char			 host[NI_MAXHOST];

	memset(&ss, 0, sizeof ss);
	if (e->len == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, e->ip, 4);
		sl = sizeof *s4;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, e->ip, 16);
		sl = sizeof *s6;
	}
	if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, NULL, 0,
	    NI_NAMEREQD) == 0) {
		pthread_mutex_lock(&r->lock);
		e->name = util_strdup(host);
		pthread_mutex_unlock(&r->lock);
	}
	pthread_mutex_lock(&r->lock);
	r->pending--;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->lock);
	rdns_unref(r);
	return NULL;
}

char **
qout_rdns(const struct qquery *q, const struct qresult *res, size_t n,
    int timeout_ms)
{
	struct rdns	*r;
	struct timespec	 ts;
	pthread_attr_t	 attr;
	pthread_t	 th;
	char		**names;
	size_t		 i, j, side;
	const uint8_t	*ip;
	int		 len;

	if (n > res->nrows)
		n = res->nrows;
	if ((names = calloc(2 * n + 1, sizeof *names)) == NULL)
		abort();
	if ((r = calloc(1, sizeof *r)) == NULL)
		abort();
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->refs = 1;
	if ((r->q = calloc(2 * n + 1, sizeof *r->q)) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		for (side = 0; side < 2; side++) {
			ip = side ? res->rows[i].k.dip : res->rows[i].k.sip;
			len = side ? res->rows[i].k.dalen : res->rows[i].k.salen;
			if (len == 0 || (side == 0 && !(q->attrs & QA_SIP)) ||
			    (side == 1 && !(q->attrs & QA_DIP)))
				continue;
			for (j = 0; j < r->n; j++) {
				if (r->q[j].len == len &&
				    memcmp(r->q[j].ip, ip, 16) == 0)
					break;
			}
			if (j < r->n)
				continue;
			memcpy(r->q[r->n].ip, ip, 16);
			r->q[r->n].len = len;
			r->q[r->n].r = r;
			r->n++;
		}
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (i = 0; i < r->n; i++) {
		pthread_mutex_lock(&r->lock);
		r->refs++;
		r->pending++;
		pthread_mutex_unlock(&r->lock);
		if (pthread_create(&th, &attr, rdns_run, &r->q[i]) != 0) {
			pthread_mutex_lock(&r->lock);
			r->refs--;
			r->pending--;
			pthread_mutex_unlock(&r->lock);
		}
	}
	pthread_attr_destroy(&attr);

	util_deadline(&ts, (unsigned)timeout_ms);
	pthread_mutex_lock(&r->lock);
	while (r->pending > 0 &&
	    pthread_cond_timedwait(&r->cv, &r->lock, &ts) == 0)
		;
	/* what resolved in time is used; late answers are dropped */
	for (i = 0; i < n; i++) {
		for (side = 0; side < 2; side++) {
			ip = side ? res->rows[i].k.dip : res->rows[i].k.sip;
			len = side ? res->rows[i].k.dalen : res->rows[i].k.salen;
			for (j = 0; j < r->n; j++) {
				if (r->q[j].len == len &&
				    memcmp(r->q[j].ip, ip, 16) == 0)
					break;
			}
			if (j < r->n && r->q[j].name != NULL)
				names[i * 2 + side] =
				    util_strdup(r->q[j].name);
		}
	}
	pthread_mutex_unlock(&r->lock);
	rdns_unref(r);
	return names;
}

void
qout_rdns_free(char **names, size_t n)
{
	size_t i;

	if (names == NULL)
		return;
	for (i = 0; i < 2 * n; i++)
		free(names[i]);
	free(names);
}
