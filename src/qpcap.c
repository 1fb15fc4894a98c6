/*
 * qpcap.c - the archive files of a query's rows (see qpcap.h).
 *
 * The rows' bins are gathered per interface, sorted and merged into
 * spans first, so that each day directory is read once per span however
 * many rows fall in it; a day directory that does not exist holds no
 * file.  Names that are not an archive file's (a .tmp, anything else) are
 * passed over.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qpcap.h"
#include "qstore.h"
#include "util.h"

struct qpcap_span {
	uint32_t	 iface;
	int64_t		 lo, hi;	/* [lo, hi) in s */
};

struct qpcap_list {
	char		**v;
	size_t		 n, cap;
};

static int
qpcap_span_cmp(const void *a, const void *b)
{
	const struct qpcap_span *x = a, *y = b;

	if (x->iface != y->iface)
		return x->iface < y->iface ? -1 : 1;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int
qpcap_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The start (Unix s) of the archive file called name of iface, or -1 when
 * name is not one: <iface>-YYYY-MM-DDTHH-MM-SS[-N].pcap[.gz|.zst].
 */
static int64_t
qpcap_name_start(const char *name, const char *iface)
{
	size_t li = strlen(iface);
	const char *p, *ext;
	struct tm tm;
	char *end;

	if (strncmp(name, iface, li) != 0 || name[li] != '-')
		return -1;
	p = name + li + 1;
	memset(&tm, 0, sizeof tm);
	end = strptime(p, "%Y-%m-%dT%H-%M-%S", &tm);
	if (end == NULL || end - p != 19)
		return -1;
	ext = end;
	if (*ext == '-') {
		ext++;
		if (*ext < '0' || *ext > '9')
			return -1;
		while (*ext >= '0' && *ext <= '9')
			ext++;
	}
	if (strcmp(ext, ".pcap") != 0 && strcmp(ext, ".pcap.gz") != 0 &&
	    strcmp(ext, ".pcap.zst") != 0)
		return -1;
	return (int64_t)timegm(&tm);
}

/* Add the files of dir whose period [start, start + rotate) meets sp. */
static void
qpcap_dir(const char *dir, const char *iface, int64_t rotate,
    const struct qpcap_span *sp, struct qpcap_list *l)
{
	struct dirent *e;
	int64_t start;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		start = qpcap_name_start(e->d_name, iface);
		if (start < 0 || start >= sp->hi || start + rotate <= sp->lo)
			continue;
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 16;
			l->v = util_realloc(l->v, l->cap, sizeof *l->v);
		}
		l->v[l->n++] = util_printf("%s/%s", dir, e->d_name);
	}
	closedir(d);
}

static const struct conf_iface *
qpcap_iface(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nifaces; i++)
		if (strcmp(c->ifaces[i].name, name) == 0)
			return &c->ifaces[i];
	return NULL;
}

size_t
qpcap_files(const struct conf *c, const struct qapi_query *x, int64_t bin_s,
    char ***out, char **missing)
{
	const struct conf_iface *ci;
	struct qpcap_list l = { NULL, 0, 0 };
	struct qpcap_span *sp, *m;
	const struct qrow *r;
	const char *name;
	struct tm tm;
	time_t t;
	char day[16], *dir, *miss = NULL, *tmp;
	int64_t len, rotate, d, lo;
	size_t i, j, n = 0, k;

	*out = NULL;
	*missing = NULL;
	len = x->q.resolution > 0 ? x->q.resolution : bin_s > 0 ? bin_s : 300;
	sp = util_calloc(x->res.nrows + 1, sizeof *sp);
	for (i = 0; i < x->res.nrows; i++) {
		r = &x->res.rows[i];
		sp[i].iface = (x->q.attrs & QA_IFACE) ? r->k.iface : 0;
		sp[i].lo = (x->q.attrs & QA_TIME) ? r->k.ts : x->res.span_first;
		sp[i].hi = (x->q.attrs & QA_TIME) ? r->k.ts + len :
		    x->res.span_last;
	}
	if (x->res.nrows > 1)
		qsort(sp, x->res.nrows, sizeof *sp, qpcap_span_cmp);
	/* merge the spans of an interface that meet */
	for (i = 0; i < x->res.nrows; i++) {
		if (n > 0 && sp[n - 1].iface == sp[i].iface &&
		    sp[i].lo <= sp[n - 1].hi) {
			if (sp[i].hi > sp[n - 1].hi)
				sp[n - 1].hi = sp[i].hi;
			continue;
		}
		sp[n++] = sp[i];
	}
	for (i = 0; i < n; i++) {
		m = &sp[i];
		if (m->iface >= x->files.nifaces)
			continue;
		name = x->files.ifaces[m->iface];
		ci = qpcap_iface(c, name);
		if (ci == NULL || ci->archive.path == NULL) {
			if (i == 0 || sp[i - 1].iface != m->iface) {
				tmp = util_printf("%s%s%s", miss ? miss : "",
				    miss ? "," : "", name);
				free(miss);
				miss = tmp;
			}
			continue;
		}
		rotate = ci->archive.rotate > 0 ? ci->archive.rotate : 60;
		/* a file begun the day before may reach into lo's day */
		lo = m->lo - rotate;
		for (d = lo - ((lo % 86400) + 86400) % 86400; d < m->hi;
		    d += 86400) {
			t = (time_t)d;
			gmtime_r(&t, &tm);
			strftime(day, sizeof day, "%Y/%m/%d", &tm);
			dir = util_printf("%s/%s/%s", ci->archive.path, name,
			    day);
			qpcap_dir(dir, name, rotate, m, &l);
			free(dir);
		}
	}
	free(sp);
	if (l.n > 1)
		qsort(l.v, l.n, sizeof *l.v, qpcap_str_cmp);
	for (i = j = 0; i < l.n; i++) {
		if (j > 0 && strcmp(l.v[j - 1], l.v[i]) == 0) {
			free(l.v[i]);
			continue;
		}
		l.v[j++] = l.v[i];
	}
	k = j;
	*out = l.v;
	*missing = miss;
	return k;
}
