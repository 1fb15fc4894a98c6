/*
 * qexec_group.c - the group table the rows of every file and job are
 * merged into, keyed by the selected attributes (see qexec_int.h), and
 * the query's order: sorting, the best rows of a limit, and the final
 * rows of a day or a run (qexec__finalize()).  Called by qexec_scan.c
 * (a job's touched keys) and qexec.c (live bins, the result).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "qexec_int.h"
#include "util.h"

/* ------------------------------------------------------------ groups */


static uint64_t
key_hash(const struct qkey *k)
{
	uint64_t	 w[sizeof *k / 8], h = 0x243f6a8885a308d3ULL;
	size_t		 i;

	memcpy(w, k, sizeof w);
	for (i = 0; i < sizeof w / sizeof w[0]; i++) {
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return h;
}

static void
gtab_grow(struct gtab *g)
{
	size_t		 i, j, mask;
	uint32_t	*s;

	g->nslots = g->nslots ? g->nslots * 2 : 1024;
	if ((s = calloc(g->nslots, sizeof *s)) == NULL)
		abort();
	mask = g->nslots - 1;
	for (i = 0; i < g->n; i++) {
		j = key_hash(&g->rows[i].k) & mask;
		while (s[j] != 0)
			j = (j + 1) & mask;
		s[j] = (uint32_t)(i + 1);
	}
	free(g->slots);
	g->slots = s;
}

void
qexec__gtab_add(struct gtab *g, const struct qkey *k, uint64_t br, uint64_t bs,
    uint64_t pr, uint64_t ps)
{
	struct qrow	*r;
	size_t		 j, mask;

	if ((g->n + 1) * 2 > g->nslots)
		gtab_grow(g);
	mask = g->nslots - 1;
	j = key_hash(k) & mask;
	while (g->slots[j] != 0) {
		r = &g->rows[g->slots[j] - 1];
		if (memcmp(&r->k, k, sizeof *k) == 0) {
			r->bytes_rcvd += br;
			r->bytes_sent += bs;
			r->pkts_rcvd += pr;
			r->pkts_sent += ps;
			return;
		}
		j = (j + 1) & mask;
	}
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 1024;
		if ((g->rows = realloc(g->rows, g->cap * sizeof *g->rows)) ==
		    NULL)
			abort();
	}
	r = &g->rows[g->n];
	r->k = *k;
	r->bytes_rcvd = br;
	r->bytes_sent = bs;
	r->pkts_rcvd = pr;
	r->pkts_sent = ps;
	g->slots[j] = (uint32_t)++g->n;
}

void
qexec__gtab_clear(struct gtab *g)
{
	free(g->rows);
	free(g->slots);
	memset(g, 0, sizeof *g);
}

/* ------------------------------------------------------------ order */

static int
cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int
key_compare(const struct qkey *a, const struct qkey *b)
{
	int c;

	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	if (a->iface != b->iface)
		return a->iface < b->iface ? -1 : 1;
	if (a->salen != b->salen)
		return a->salen < b->salen ? -1 : 1;
	if ((c = memcmp(a->sip, b->sip, sizeof a->sip)) != 0)
		return c;
	if (a->dalen != b->dalen)
		return a->dalen < b->dalen ? -1 : 1;
	if ((c = memcmp(a->dip, b->dip, sizeof a->dip)) != 0)
		return c;
	if (a->dport != b->dport)
		return a->dport < b->dport ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->vlan != b->vlan)
		return a->vlan < b->vlan ? -1 : 1;
	return 0;
}

/* Compare two rows in the query's order (ties broken by the key). */
static int
qexec_compare(const struct qquery *q, const struct qrow *a,
    const struct qrow *b)
{
	uint64_t	 va = 0, vb = 0, wa = 0, wb = 0;
	int		 c = 0;

	switch (q->sort) {
	case QSORT_TIME:
		c = a->k.ts < b->k.ts ? -1 : a->k.ts > b->k.ts;
		if (!q->ascending)
			c = -c;
		break;
	case QSORT_BYTES:
	case QSORT_PACKETS:
		/* the sort counter, then the other one as a tie-break */
		switch (q->dir) {
		case QDIR_IN:
			va = a->bytes_rcvd; vb = b->bytes_rcvd;
			wa = a->pkts_rcvd; wb = b->pkts_rcvd;
			break;
		case QDIR_OUT:
			va = a->bytes_sent; vb = b->bytes_sent;
			wa = a->pkts_sent; wb = b->pkts_sent;
			break;
		default:
			va = a->bytes_rcvd + a->bytes_sent;
			vb = b->bytes_rcvd + b->bytes_sent;
			wa = a->pkts_rcvd + a->pkts_sent;
			wb = b->pkts_rcvd + b->pkts_sent;
			break;
		}
		if (q->sort == QSORT_PACKETS) {
			uint64_t t;

			t = va; va = wa; wa = t;
			t = vb; vb = wb; wb = t;
		}
		if ((c = cmp_u64(va, vb)) == 0)
			c = cmp_u64(wa, wb);
		if (!q->ascending)
			c = -c;
		break;
	}
	if (c != 0)
		return c;
	return key_compare(&a->k, &b->k);
}

/* qsort_r: several queries may sort at once (the daemon's workers). */
static int
sort_cmp(const void *a, const void *b, void *q)
{
	return qexec_compare(q, a, b);
}

void
qexec__sort_rows(const struct qquery *q, struct qrow *rows, size_t n)
{
	if (n < 2)
		return;
	qsort_r(rows, n, sizeof *rows, sort_cmp, (void *)q);
}

static void
heap_down(const struct qquery *q, struct qrow *h, size_t n, size_t i)
{
	struct qrow	 t;
	size_t		 c;

	for (; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && qexec_compare(q, &h[c + 1], &h[c]) > 0)
			c++;
		if (qexec_compare(q, &h[c], &h[i]) <= 0)
			break;
		t = h[i];
		h[i] = h[c];
		h[c] = t;
	}
}

/*
 * Move the first keep rows of the query's order to rows[0..keep), in no
 * particular order: a heap of the best so far, its worst on top, which
 * most rows fail to beat (a top 10 of 400k groups costs one comparison a
 * row, not a sort).  The order is total, so these are exactly the rows a
 * full sort would put first.
 */
void
qexec__select_best(const struct qquery *q, struct qrow *rows, size_t n,
    size_t keep)
{
	size_t	i;

	if (keep == 0 || keep >= n)
		return;
	for (i = keep / 2; i-- > 0;)
		heap_down(q, rows, keep, i);
	for (i = keep; i < n; i++) {
		if (qexec_compare(q, &rows[i], &rows[0]) < 0) {
			rows[0] = rows[i];
			heap_down(q, rows, keep, 0);
		}
	}
}


/* Move the groups that pass the dir filter into the final rows. */
void
qexec__finalize(const struct qquery *q, struct gtab *g, struct final *fin,
    struct qresult *res)
{
	enum cond_dir	 dir = q->cond != NULL ? q->cond->dir : COND_DIR_NONE;
	struct qrow	*r;
	size_t		 i, keep;

	for (i = 0; i < g->n; i++) {
		r = &g->rows[i];
		if (!cond_dir_match(dir, r->pkts_rcvd, r->pkts_sent))
			continue;
		res->hits++;
		res->bytes_rcvd += r->bytes_rcvd;
		res->bytes_sent += r->bytes_sent;
		res->pkts_rcvd += r->pkts_rcvd;
		res->pkts_sent += r->pkts_sent;
		if (fin->n == fin->cap) {
			fin->cap = fin->cap ? fin->cap * 2 : 1024;
			fin->rows = realloc(fin->rows, fin->cap *
			    sizeof *fin->rows);
			if (fin->rows == NULL)
				abort();
		}
		fin->rows[fin->n++] = *r;
	}
	qexec__gtab_clear(g);
	/* with a limit, only the best rows need to be kept */
	keep = q->limit > 0 ? q->limit : 0;
	if (keep > 0 && fin->n > 4 * keep && fin->n > 65536) {
		qexec__select_best(q, fin->rows, fin->n, keep);
		fin->n = keep;
	}
}
