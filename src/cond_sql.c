/*
 * cond_sql.c - a parsed condition as the WHERE text of a flow_keys query
 * (see cond.h: cond_sql(), cond_sql_templates()).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "cond_int.h"

/* ------------------------------------------------------------ SQL */

/*
 * The WHERE text is flat where it can be, so that any condition the
 * parser accepts prepares (SQLite's parser stack is 100 deep and a
 * bracket nested right costs three of it; an expression tree is at most
 * 1000 deep; a statement binds at most 32766 values):
 *   - a chain of one operator is one list, whatever the brackets said;
 *   - in a list of |, the = comparisons of one attribute are one IN list,
 *     and in a list of &, the != comparisons are one NOT IN list;
 *   - a list longer than SQL_WIDTH is grouped in brackets of at most
 *     SQL_WIDTH, which bounds the tree's depth to the groups' levels
 *     (3 for COND_MAX_TERMS) times SQL_WIDTH;
 *   - lists nested more than SQL_CUT levels are written as common table
 *     expressions that name the keys they match, each flat again:
 *     k.id IN (WITH c1(id) AS (SELECT id FROM flow_keys AS k WHERE ...),
 *     ... SELECT id FROM flow_keys AS k WHERE ... k.id IN c1 ...).
 * So the text nests at most SQL_CUT lists deep, each in at most three
 * levels of groups, in any condition of COND_MAX_TERMS comparisons, each
 * binding at most three values.  Conditions of up to SQL_CUT levels (all
 * but contrived ones) read as they always did, without expressions.
 */
#define SQL_WIDTH	32
#define SQL_CUT		3

enum {
	S_TRUE, S_OPEN, S_CLOSE, S_AND, S_OR,
	S_SIP_EQ, S_SIP_NE, S_DIP_EQ, S_DIP_NE,
	S_SNET_EQ, S_SNET_NE, S_DNET_EQ, S_DNET_NE,
	S_DPORT,			/* + op: 6 templates */
	S_PROTO = S_DPORT + 6,
	S_VLAN = S_PROTO + 6,
	/* IN lists: = of an attribute, then != (NOT IN); closed by ")" */
	S_SIP_IN = S_VLAN + 6,
	S_SIP_NOT_IN, S_DIP_IN, S_DIP_NOT_IN, S_DPORT_IN, S_DPORT_NOT_IN,
	S_PROTO_IN, S_PROTO_NOT_IN, S_VLAN_IN, S_VLAN_NOT_IN,
	S_PARAM, S_COMMA,
	/* common table expressions */
	S_WITH, S_CTE_NAME, S_CTE_AS, S_CTE_MAIN, S_IN_CTE,
	S_DIGIT,			/* + 0..9 */
	S_COUNT = S_DIGIT + 10
};

static const char *const sql_templates[S_COUNT] = {
	[S_TRUE] = "1",
	[S_OPEN] = "(",
	[S_CLOSE] = ")",
	[S_AND] = " AND ",
	[S_OR] = " OR ",
	[S_SIP_EQ] = "k.sip IN (SELECT id FROM addrs WHERE ip = ?)",
	[S_SIP_NE] = "k.sip NOT IN (SELECT id FROM addrs WHERE ip = ?)",
	[S_DIP_EQ] = "k.dip IN (SELECT id FROM addrs WHERE ip = ?)",
	[S_DIP_NE] = "k.dip NOT IN (SELECT id FROM addrs WHERE ip = ?)",
	[S_SNET_EQ] = "k.sip IN (SELECT id FROM addrs WHERE ip BETWEEN ? "
	    "AND ? AND length(ip) = ?)",
	[S_SNET_NE] = "k.sip NOT IN (SELECT id FROM addrs WHERE ip BETWEEN ? "
	    "AND ? AND length(ip) = ?)",
	[S_DNET_EQ] = "k.dip IN (SELECT id FROM addrs WHERE ip BETWEEN ? "
	    "AND ? AND length(ip) = ?)",
	[S_DNET_NE] = "k.dip NOT IN (SELECT id FROM addrs WHERE ip BETWEEN ? "
	    "AND ? AND length(ip) = ?)",
	[S_DPORT + COND_EQ] = "k.dport = ?",
	[S_DPORT + COND_NE] = "k.dport != ?",
	[S_DPORT + COND_LT] = "k.dport < ?",
	[S_DPORT + COND_GT] = "k.dport > ?",
	[S_DPORT + COND_LE] = "k.dport <= ?",
	[S_DPORT + COND_GE] = "k.dport >= ?",
	[S_PROTO + COND_EQ] = "k.proto = ?",
	[S_PROTO + COND_NE] = "k.proto != ?",
	[S_PROTO + COND_LT] = "k.proto < ?",
	[S_PROTO + COND_GT] = "k.proto > ?",
	[S_PROTO + COND_LE] = "k.proto <= ?",
	[S_PROTO + COND_GE] = "k.proto >= ?",
	[S_VLAN + COND_EQ] = "k.vlan = ?",
	[S_VLAN + COND_NE] = "k.vlan != ?",
	[S_VLAN + COND_LT] = "k.vlan < ?",
	[S_VLAN + COND_GT] = "k.vlan > ?",
	[S_VLAN + COND_LE] = "k.vlan <= ?",
	[S_VLAN + COND_GE] = "k.vlan >= ?",
	[S_SIP_IN] = "k.sip IN (SELECT id FROM addrs WHERE ip IN (",
	[S_SIP_NOT_IN] = "k.sip NOT IN (SELECT id FROM addrs WHERE ip IN (",
	[S_DIP_IN] = "k.dip IN (SELECT id FROM addrs WHERE ip IN (",
	[S_DIP_NOT_IN] = "k.dip NOT IN (SELECT id FROM addrs WHERE ip IN (",
	[S_DPORT_IN] = "k.dport IN (",
	[S_DPORT_NOT_IN] = "k.dport NOT IN (",
	[S_PROTO_IN] = "k.proto IN (",
	[S_PROTO_NOT_IN] = "k.proto NOT IN (",
	[S_VLAN_IN] = "k.vlan IN (",
	[S_VLAN_NOT_IN] = "k.vlan NOT IN (",
	[S_PARAM] = "?",
	[S_COMMA] = ", ",
	[S_WITH] = "k.id IN (WITH ",
	[S_CTE_NAME] = "c",
	[S_CTE_AS] = "(id) AS (SELECT id FROM flow_keys AS k WHERE ",
	[S_CTE_MAIN] = " SELECT id FROM flow_keys AS k WHERE ",
	[S_IN_CTE] = "k.id IN c",
	[S_DIGIT] = "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
};

const char *const *
cond_sql_templates(size_t *n)
{
	*n = S_COUNT;
	return sql_templates;
}

/* A text being made and the values it binds, in the order of its ?s. */
struct sql_body {
	struct cond_buf	 b;
	struct cond_param *params;
	size_t		 nparams, cparams;
};

/* The common table expressions made so far, each before its users. */
struct sql_gen {
	struct sql_body	*ctes;
	size_t		 nctes;
};

/* An operand of a list: a node, or the leaves of an IN list. */
struct sql_item {
	const struct cond_node	*n;		/* NULL: an IN list */
	int			 in;		/* its first template */
	const struct cond_node	**leaves;
	size_t			 nleaves;
};

static struct cond_param *
sql_param(struct sql_body *o)
{
	struct cond_param *p;

	if (o->nparams == o->cparams) {
		o->cparams = o->cparams ? o->cparams * 2 : 8;
		o->params = realloc(o->params, o->cparams * sizeof *o->params);
		if (o->params == NULL)
			abort();
	}
	p = &o->params[o->nparams++];
	memset(p, 0, sizeof *p);
	return p;
}

static void
sql_add(struct sql_body *o, int t)
{
	cond__buf_add(&o->b, sql_templates[t]);
}

/* A number, digit by digit (every byte of the text is a template's). */
static void
sql_number(struct sql_body *o, size_t n)
{
	if (n >= 10)
		sql_number(o, n / 10);
	sql_add(o, S_DIGIT + (int)(n % 10));
}

/* The value a leaf binds for an address (SIP, DIP) or a number. */
static void
sql_value(struct sql_body *o, const struct cond_node *n)
{
	struct cond_param *p = sql_param(o);

	if (n->attr == COND_SIP || n->attr == COND_DIP) {
		p->blob = 1;
		memcpy(p->b, n->addr, n->alen);
		p->len = n->alen;
	} else
		p->i = n->num;
}

static void
sql_leaf(struct sql_body *o, const struct cond_node *n)
{
	struct cond_param	*p;
	int			 t, i;

	switch (n->attr) {
	case COND_SIP:
	case COND_DIP:
		t = n->attr == COND_SIP ? S_SIP_EQ : S_DIP_EQ;
		sql_add(o, t + (n->op == COND_NE));
		sql_value(o, n);
		break;
	case COND_SNET:
	case COND_DNET:
		t = n->attr == COND_SNET ? S_SNET_EQ : S_DNET_EQ;
		sql_add(o, t + (n->op == COND_NE));
		p = sql_param(o);
		p->blob = 1;
		memcpy(p->b, n->addr, n->alen);
		p->len = n->alen;
		p = sql_param(o);
		p->blob = 1;
		memcpy(p->b, n->addr, n->alen);
		p->len = n->alen;
		for (i = 0; i < n->alen; i++) {
			int bits = (int)n->prefix - i * 8;

			if (bits <= 0)
				p->b[i] = 0xff;
			else if (bits < 8)
				p->b[i] |= (uint8_t)(0xff >> bits);
		}
		p = sql_param(o);
		p->i = n->alen;
		break;
	case COND_DPORT:
	case COND_PROTO:
	case COND_VLAN:
		t = n->attr == COND_DPORT ? S_DPORT :
		    n->attr == COND_PROTO ? S_PROTO : S_VLAN;
		sql_add(o, t + (int)n->op);
		sql_value(o, n);
		break;
	}
}

/*
 * The IN list a leaf may join in a list of type (its first template), or
 * -1: = in a list of |, != in a list of &, of an attribute with values.
 */
static int
sql_in_list(const struct cond_node *n, enum cond_type type)
{
	static const int in[] = {
		[COND_SIP] = S_SIP_IN, [COND_DIP] = S_DIP_IN,
		[COND_SNET] = -1, [COND_DNET] = -1,
		[COND_DPORT] = S_DPORT_IN, [COND_PROTO] = S_PROTO_IN,
		[COND_VLAN] = S_VLAN_IN,
	};

	if (n->type != COND_LEAF || in[n->attr] < 0)
		return -1;
	if (type == COND_OR && n->op == COND_EQ)
		return in[n->attr];
	if (type == COND_AND && n->op == COND_NE)
		return in[n->attr] + 1;
	return -1;
}

/* The operands of n with the lists of the same operator under it. */
static void
sql_flatten(const struct cond_node *n, const struct cond_node ***v,
    size_t *len, size_t *cap)
{
	size_t i;

	for (i = 0; i < n->nkids; i++) {
		if (n->kids[i]->type == n->type) {
			sql_flatten(n->kids[i], v, len, cap);
			continue;
		}
		if (*len == *cap) {
			*cap = *cap ? *cap * 2 : 8;
			if ((*v = realloc(*v, *cap * sizeof **v)) == NULL)
				abort();
		}
		(*v)[(*len)++] = n->kids[i];
	}
}

static void	sql_list(struct sql_gen *, struct sql_body *,
		    const struct cond_node *, int);

static void
sql_item(struct sql_gen *g, struct sql_body *o, const struct sql_item *it,
    int level)
{
	size_t i;

	if (it->n != NULL) {
		if (it->n->type == COND_LEAF)
			sql_leaf(o, it->n);
		else
			sql_list(g, o, it->n, level + 1);
		return;
	}
	if (it->nleaves == 1) {
		sql_leaf(o, it->leaves[0]);
		return;
	}
	sql_add(o, it->in);
	for (i = 0; i < it->nleaves; i++) {
		if (i > 0)
			sql_add(o, S_COMMA);
		sql_add(o, S_PARAM);
		sql_value(o, it->leaves[i]);
	}
	sql_add(o, S_CLOSE);
	if (it->leaves[0]->attr == COND_SIP || it->leaves[0]->attr == COND_DIP)
		sql_add(o, S_CLOSE);
}

/* Items lo..hi of a list, in groups of at most SQL_WIDTH. */
static void
sql_items(struct sql_gen *g, struct sql_body *o, const struct sql_item *it,
    size_t lo, size_t hi, enum cond_type type, int level)
{
	size_t step = 1, i;

	if (hi - lo == 1) {
		sql_item(g, o, &it[lo], level);
		return;
	}
	while (step * SQL_WIDTH < hi - lo)
		step *= SQL_WIDTH;
	sql_add(o, S_OPEN);
	for (i = lo; i < hi; i += step) {
		if (i > lo)
			sql_add(o, type == COND_AND ? S_AND : S_OR);
		sql_items(g, o, it, i, i + step < hi ? i + step : hi, type,
		    level);
	}
	sql_add(o, S_CLOSE);
}

/* n (a leaf or a list) at level lists deep in the text being made. */
static void
sql_list(struct sql_gen *g, struct sql_body *o, const struct cond_node *n,
    int level)
{
	struct sql_body		 cte;
	struct sql_item		*it = NULL;
	const struct cond_node	**kids = NULL;
	size_t			 nkids = 0, ckids = 0, nit = 0, i, j;
	int			 in;

	if (n->type == COND_LEAF) {
		sql_leaf(o, n);
		return;
	}
	if (level == SQL_CUT) {
		memset(&cte, 0, sizeof cte);
		sql_list(g, &cte, n, 0);
		g->ctes = realloc(g->ctes, (g->nctes + 1) * sizeof *g->ctes);
		if (g->ctes == NULL)
			abort();
		g->ctes[g->nctes++] = cte;
		sql_add(o, S_IN_CTE);
		sql_number(o, g->nctes);
		return;
	}
	sql_flatten(n, &kids, &nkids, &ckids);
	if ((it = calloc(nkids, sizeof *it)) == NULL)
		abort();
	for (i = 0; i < nkids; i++) {
		/* an IN list stands where its first comparison stood */
		if ((in = sql_in_list(kids[i], n->type)) >= 0) {
			for (j = 0; j < nit; j++) {
				if (it[j].n == NULL && it[j].in == in)
					break;
			}
			if (j < nit) {
				it[j].leaves[it[j].nleaves++] = kids[i];
				continue;
			}
			it[nit].in = in;
			if ((it[nit].leaves = calloc(nkids,
			    sizeof *it[nit].leaves)) == NULL)
				abort();
			it[nit].leaves[it[nit].nleaves++] = kids[i];
			nit++;
			continue;
		}
		it[nit++].n = kids[i];
	}
	sql_items(g, o, it, 0, nit, n->type, level);
	for (i = 0; i < nit; i++)
		free(it[i].leaves);
	free(it);
	free(kids);
}

/* Append o's text and values to out. */
static void
sql_join(struct sql_body *out, struct sql_body *o)
{
	size_t i;

	if (o->b.s != NULL)
		cond__buf_add(&out->b, o->b.s);
	for (i = 0; i < o->nparams; i++)
		*sql_param(out) = o->params[i];
	free(o->b.s);
	free(o->params);
}

void
cond_sql(const struct cond *c, struct cond_sql *out)
{
	struct sql_gen	 g;
	struct sql_body	 root, all;
	size_t		 i;

	memset(out, 0, sizeof *out);
	memset(&g, 0, sizeof g);
	memset(&root, 0, sizeof root);
	memset(&all, 0, sizeof all);
	if (c == NULL || c->root == NULL) {
		sql_add(&all, S_TRUE);
		out->where = all.b.s;
		return;
	}
	sql_list(&g, &root, c->root, 0);
	if (g.nctes > 0) {
		sql_add(&all, S_WITH);
		for (i = 0; i < g.nctes; i++) {
			if (i > 0)
				sql_add(&all, S_COMMA);
			sql_add(&all, S_CTE_NAME);
			sql_number(&all, i + 1);
			sql_add(&all, S_CTE_AS);
			sql_join(&all, &g.ctes[i]);
			sql_add(&all, S_CLOSE);
		}
		sql_add(&all, S_CTE_MAIN);
	}
	sql_join(&all, &root);
	if (g.nctes > 0)
		sql_add(&all, S_CLOSE);
	free(g.ctes);
	out->where = all.b.s;
	out->params = all.params;
	out->nparams = all.nparams;
}

void
cond_sql_clear(struct cond_sql *s)
{
	free(s->where);
	free(s->params);
	memset(s, 0, sizeof *s);
}
