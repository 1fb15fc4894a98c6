/*
 * cond.c - goquery's condition language (see cond.h).
 *
 * Three passes: the tokenizer cuts the text into words and punctuation,
 * remembering each token's byte offset; a recursive-descent parser builds
 * a raw tree (precedence ! > & > |, right-hanging chains as goquery
 * builds them); a lowering pass splits off the `dir` filter, checks and
 * converts every value, desugars host/net, resolves host names and pushes
 * negations down to the conditions.  Every error names the token it is
 * about, so the message can put a caret under it.
 *
 * The condition's SQL text is written by cond_sql.c, its evaluation on a
 * key by cond_eval.c, host names are resolved by cond_resolve.c.
 *
 * Word operators (eq, -ne, and, or, not, ...) are recognised by position:
 * a word is an operator only where the grammar expects one, so a value or
 * host name that happens to be spelled "and" is still a value.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cond.h"
#include "cond_int.h"
#include "util.h"

/* ------------------------------------------------------------ tokens */

enum tok_kind { T_WORD, T_LPAREN, T_RPAREN, T_NOT, T_AND, T_OR, T_CMP,
	T_END };

struct tok {
	enum tok_kind	 kind;
	enum cond_op	 op;		/* T_CMP */
	size_t		 pos, len;
};

static int
tok_delim(int c)
{
	return (c == '\0' || isspace(c) || strchr("()[]{}!=<>&|*+", c) != NULL);
}

/* Cut text into tokens, ending with T_END.  Caller frees. */
static struct tok *
tok_split(const char *text, size_t *ntok)
{
	struct tok	*t = NULL;
	size_t		 n = 0, cap = 0, i = 0, len = strlen(text);

	for (;;) {
		struct tok tk;

		while (i < len && isspace((unsigned char)text[i]))
			i++;
		memset(&tk, 0, sizeof tk);
		tk.pos = i;
		tk.len = 1;
		if (i >= len) {
			tk.kind = T_END;
			tk.len = 0;
		} else {
			switch (text[i]) {
			case '(': case '[': case '{':
				tk.kind = T_LPAREN;
				break;
			case ')': case ']': case '}':
				tk.kind = T_RPAREN;
				break;
			case '!':
				if (text[i + 1] == '=') {
					tk.kind = T_CMP;
					tk.op = COND_NE;
					tk.len = 2;
				} else
					tk.kind = T_NOT;
				break;
			case '=':
				tk.kind = T_CMP;
				tk.op = COND_EQ;
				while (tk.len < 3 && text[i + tk.len] == '=')
					tk.len++;
				break;
			case '<': case '>':
				tk.kind = T_CMP;
				if (text[i + 1] == '=') {
					tk.op = text[i] == '<' ? COND_LE : COND_GE;
					tk.len = 2;
				} else
					tk.op = text[i] == '<' ? COND_LT : COND_GT;
				break;
			case '&': case '*':
				tk.kind = T_AND;
				if (text[i] == '&' && text[i + 1] == '&')
					tk.len = 2;
				break;
			case '|': case '+':
				tk.kind = T_OR;
				if (text[i] == '|' && text[i + 1] == '|')
					tk.len = 2;
				break;
			default:
				tk.kind = T_WORD;
				tk.len = 0;
				while (!tok_delim((unsigned char)text[i + tk.len]))
					tk.len++;
				break;
			}
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			t = realloc(t, cap * sizeof *t);
			if (t == NULL)
				abort();
		}
		t[n++] = tk;
		if (tk.kind == T_END)
			break;
		i += tk.len;
	}
	*ntok = n;
	return t;
}

/* ------------------------------------------------------------ raw tree */

enum raw_attr { A_SIP, A_DIP, A_HOST, A_SNET, A_DNET, A_NET, A_DPORT,
	A_PROTO, A_VLAN, A_DIR };

enum raw_type { R_LEAF, R_AND, R_OR, R_NOT };

/* AND and OR: the operands of one chain; NOT: its operand in kids[0]. */
struct raw {
	enum raw_type	 type;
	struct raw	**kids;
	size_t		 nkids;
	enum raw_attr	 attr;
	enum cond_op	 op;
	size_t		 attr_pos, op_pos, val_pos, val_len;
};

static const struct {
	const char	*name;
	enum raw_attr	 attr;
} attr_names[] = {
	{ "sip", A_SIP }, { "src", A_SIP },
	{ "dip", A_DIP }, { "dst", A_DIP },
	{ "host", A_HOST },
	{ "snet", A_SNET }, { "dnet", A_DNET }, { "net", A_NET },
	{ "dport", A_DPORT }, { "port", A_DPORT },
	{ "proto", A_PROTO }, { "protocol", A_PROTO }, { "ipproto", A_PROTO },
	{ "vlan", A_VLAN },
	{ "dir", A_DIR }, { "direction", A_DIR },
};

static const struct {
	const char	*name;
	enum cond_op	 op;
} op_words[] = {
	{ "eq", COND_EQ }, { "-eq", COND_EQ }, { "equals", COND_EQ },
	{ "neq", COND_NE }, { "-neq", COND_NE }, { "ne", COND_NE },
	{ "-ne", COND_NE },
	{ "le", COND_LE }, { "-le", COND_LE }, { "leq", COND_LE },
	{ "-leq", COND_LE },
	{ "ge", COND_GE }, { "-ge", COND_GE }, { "geq", COND_GE },
	{ "-geq", COND_GE },
	{ "l", COND_LT }, { "-l", COND_LT }, { "lt", COND_LT },
	{ "-lt", COND_LT }, { "less", COND_LT },
	{ "g", COND_GT }, { "-g", COND_GT }, { "gt", COND_GT },
	{ "-gt", COND_GT }, { "greater", COND_GT },
};

static const char *const op_symbols[] = { "=", "!=", "<", ">", "<=", ">=" };

struct parser {
	const char	*text;
	struct tok	*t;
	size_t		 n, i;
	char		*err;		/* first error */
	size_t		 err_pos;
	struct raw	**nodes;	/* every node, for freeing */
	size_t		 nnodes, cnodes;
	size_t		 nleaves;	/* comparisons so far */
};

static void
parser_fail(struct parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
parser_fail(struct parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (p->err != NULL)
		return;
	va_start(ap, fmt);
	p->err = util_vprintf(fmt, ap);
	va_end(ap);
	p->err_pos = pos;
}

static struct raw *
parser_node(struct parser *p, enum raw_type type)
{
	struct raw *r;

	if ((r = calloc(1, sizeof *r)) == NULL)
		abort();
	r->type = type;
	if (p->nnodes == p->cnodes) {
		p->cnodes = p->cnodes ? p->cnodes * 2 : 16;
		p->nodes = realloc(p->nodes, p->cnodes * sizeof *p->nodes);
		if (p->nodes == NULL)
			abort();
	}
	p->nodes[p->nnodes++] = r;
	return r;
}

static int
word_is(const struct parser *p, const struct tok *t, const char *w)
{
	return (t->kind == T_WORD && t->len == strlen(w) &&
	    strncasecmp(p->text + t->pos, w, t->len) == 0);
}

static struct tok *
parser_peek(struct parser *p)
{
	return &p->t[p->i];
}

/* The quoted token for messages; caller frees. */
static char *
parser_quote(const struct parser *p, const struct tok *t)
{
	return util_printf("%.*s", (int)t->len, p->text + t->pos);
}

static int
parser_is_and(struct parser *p)
{
	struct tok *t = parser_peek(p);

	return (t->kind == T_AND || word_is(p, t, "and"));
}

static int
parser_is_or(struct parser *p)
{
	struct tok *t = parser_peek(p);

	return (t->kind == T_OR || word_is(p, t, "or"));
}

static int
parser_is_not(struct parser *p)
{
	struct tok *t = parser_peek(p);

	return (t->kind == T_NOT || word_is(p, t, "not"));
}

static struct raw *parser_disjunction(struct parser *, int);

static struct raw *
parser_condition(struct parser *p)
{
	struct tok	*t = parser_peek(p);
	struct raw	*r;
	size_t		 k;
	char		*q;

	if (t->kind != T_WORD) {
		if (t->kind == T_END)
			parser_fail(p, t->pos, "expected an attribute, got the "
			    "end of the condition");
		else {
			q = parser_quote(p, t);
			parser_fail(p, t->pos, "expected an attribute, got "
			    "'%s'", q);
			free(q);
		}
		return NULL;
	}
	if (++p->nleaves > COND_MAX_TERMS) {
		parser_fail(p, t->pos, "condition too long: more than %d "
		    "comparisons", COND_MAX_TERMS);
		return NULL;
	}
	r = parser_node(p, R_LEAF);
	for (k = 0; k < sizeof attr_names / sizeof attr_names[0]; k++) {
		if (word_is(p, t, attr_names[k].name))
			break;
	}
	if (k == sizeof attr_names / sizeof attr_names[0]) {
		q = parser_quote(p, t);
		parser_fail(p, t->pos, "unknown attribute '%s' (use sip, dip, "
		    "host, snet, dnet, net, dport, proto, vlan or dir)", q);
		free(q);
		return NULL;
	}
	r->attr = attr_names[k].attr;
	r->attr_pos = t->pos;
	p->i++;

	t = parser_peek(p);
	r->op_pos = t->pos;
	if (t->kind == T_CMP)
		r->op = t->op;
	else {
		for (k = 0; k < sizeof op_words / sizeof op_words[0]; k++) {
			if (word_is(p, t, op_words[k].name))
				break;
		}
		if (k == sizeof op_words / sizeof op_words[0]) {
			if (t->kind == T_END)
				parser_fail(p, t->pos, "expected a comparison "
				    "operator, got the end of the condition");
			else {
				q = parser_quote(p, t);
				parser_fail(p, t->pos, "expected a comparison "
				    "operator, got '%s'", q);
				free(q);
			}
			return NULL;
		}
		r->op = op_words[k].op;
	}
	p->i++;

	t = parser_peek(p);
	if (t->kind != T_WORD) {
		if (t->kind == T_END)
			parser_fail(p, t->pos, "expected a value, got the end "
			    "of the condition");
		else {
			q = parser_quote(p, t);
			parser_fail(p, t->pos, "expected a value, got '%s'", q);
			free(q);
		}
		return NULL;
	}
	r->val_pos = t->pos;
	r->val_len = t->len;
	p->i++;
	return r;
}

/* primitive -> '(' disjunction ')' | condition */
static struct raw *
parser_primitive(struct parser *p, int depth)
{
	struct tok	*t = parser_peek(p);
	struct raw	*r;

	if (t->kind != T_LPAREN)
		return parser_condition(p);
	if (depth > COND_MAX_DEPTH) {
		parser_fail(p, t->pos, "brackets nested too deeply (at most %d)",
		    COND_MAX_DEPTH);
		return NULL;
	}
	p->i++;
	r = parser_disjunction(p, depth + 1);
	if (r == NULL)
		return NULL;
	t = parser_peek(p);
	if (t->kind != T_RPAREN) {
		if (t->kind == T_END)
			parser_fail(p, t->pos, "expected ')', got the end of "
			    "the condition");
		else {
			char *q = parser_quote(p, t);
			parser_fail(p, t->pos, "expected ')', got '%s'", q);
			free(q);
		}
		return NULL;
	}
	p->i++;
	return r;
}

/* negation -> '!' negation | primitive */
static struct raw *
parser_negation(struct parser *p, int depth)
{
	struct raw *r, *c;

	if (!parser_is_not(p))
		return parser_primitive(p, depth);
	if (depth > COND_MAX_DEPTH) {
		parser_fail(p, parser_peek(p)->pos, "too many negations and "
		    "brackets (at most %d deep)", COND_MAX_DEPTH);
		return NULL;
	}
	p->i++;
	if ((c = parser_negation(p, depth + 1)) == NULL)
		return NULL;
	r = parser_node(p, R_NOT);
	if ((r->kids = malloc(sizeof *r->kids)) == NULL)
		abort();
	r->kids[0] = c;
	r->nkids = 1;
	return r;
}

/*
 * One node for a chain (it takes list), or its one operand.  A chain is
 * a list, not a right-hanging tree, so that nothing recurses along it.
 */
static struct raw *
parser_chain(struct parser *p, enum raw_type type, struct raw **list,
    size_t n)
{
	struct raw *r;

	if (n == 1) {
		r = list[0];
		free(list);
		return r;
	}
	r = parser_node(p, type);
	r->kids = list;
	r->nkids = n;
	return r;
}

static struct raw *
parser_list(struct parser *p, int depth, int is_or)
{
	struct raw	**list = NULL, *r;
	size_t		 n = 0, cap = 0;

	for (;;) {
		/* a disjunction is a list of conjunctions */
		r = is_or ? parser_list(p, depth, 0) : parser_negation(p, depth);
		if (r == NULL) {
			free(list);
			return NULL;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 4;
			if ((list = realloc(list, cap * sizeof *list)) == NULL)
				abort();
		}
		list[n++] = r;
		if (is_or ? !parser_is_or(p) : !parser_is_and(p))
			break;
		p->i++;
	}
	return parser_chain(p, is_or ? R_OR : R_AND, list, n);
}

/* disjunction -> conjunction ('|' conjunction)* */
static struct raw *
parser_disjunction(struct parser *p, int depth)
{
	return parser_list(p, depth, 1);
}

/* ------------------------------------------------------------ lowering */

struct lower {
	struct parser	*p;
	const struct cond_options *opts;
	struct cond	*c;
	struct resolved {
		char		*name;
		struct cond_addr *addrs;
		size_t		 n;
	}		*cache;
	size_t		 ncache;
	size_t		 nleaves;	/* comparisons made so far */
};

static struct cond_node *
node_new(enum cond_type type)
{
	struct cond_node *n;

	if ((n = calloc(1, sizeof *n)) == NULL)
		abort();
	n->type = type;
	return n;
}

/* Recursion is as deep as the nesting (bounded), never a chain's length. */
static void
node_free(struct cond_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->value);
	free(n);
}

/* Add n to the array *v of *len nodes. */
static void
kids_push(struct cond_node ***v, size_t *len, struct cond_node *n)
{
	if ((*v = realloc(*v, (*len + 1) * sizeof **v)) == NULL)
		abort();
	(*v)[(*len)++] = n;
}

/* A chain of type over kids (the node takes the array), or its one kid. */
static struct cond_node *
node_chain(enum cond_type type, struct cond_node **kids, size_t n)
{
	struct cond_node *c;

	if (n == 1) {
		c = kids[0];
		free(kids);
		return c;
	}
	c = node_new(type);
	c->kids = kids;
	c->nkids = n;
	return c;
}

/* The chain (l op r), for the pairs host and net make. */
static struct cond_node *
node_pair(enum cond_type type, struct cond_node *l, struct cond_node *r)
{
	struct cond_node **kids = NULL;
	size_t n = 0;

	kids_push(&kids, &n, l);
	kids_push(&kids, &n, r);
	return node_chain(type, kids, n);
}

static enum cond_op
op_negate(enum cond_op op)
{
	switch (op) {
	case COND_EQ: return COND_NE;
	case COND_NE: return COND_EQ;
	case COND_LT: return COND_GE;
	case COND_GT: return COND_LE;
	case COND_LE: return COND_GT;
	case COND_GE: return COND_LT;
	}
	return op;
}

/* The value of a raw leaf, lower-cased; caller frees. */
static char *
lower_value(struct lower *lw, const struct raw *r)
{
	char	*s = util_printf("%.*s", (int)r->val_len,
	    lw->p->text + r->val_pos);
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		s[i] = tolower((unsigned char)s[i]);
	return s;
}

static int
parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* An IP literal; returns its length (4 or 16) or 0. */
static int
parse_ip(const char *s, uint8_t *addr)
{
	if (inet_pton(AF_INET, s, addr) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return 16;
	return 0;
}

static int
looks_like_hostname(const char *s)
{
	int alpha = 0;

	if (*s == '\0' || *s == '.' || *s == '-')
		return 0;
	for (; *s != '\0'; s++) {
		if (isalpha((unsigned char)*s))
			alpha = 1;
		else if (!isdigit((unsigned char)*s) && *s != '-' &&
		    *s != '.' && *s != '_')
			return 0;
	}
	return alpha;
}

static struct cond_node *
leaf_addr(enum cond_attr attr, enum cond_op op, const char *value,
    const uint8_t *addr, int alen)
{
	struct cond_node *n = node_new(COND_LEAF);

	n->attr = attr;
	n->op = op;
	n->value = util_strdup(value);
	memcpy(n->addr, addr, (size_t)alen);
	n->alen = (uint8_t)alen;
	n->prefix = (uint8_t)(alen * 8);
	return n;
}

/* Addresses of a host name, resolved once per parse. */
static int
lower_resolve(struct lower *lw, const struct raw *r, const char *name,
    struct cond_addr **addrs, size_t *n)
{
	struct resolved	*rs;
	char		*err = NULL;
	size_t		 i;

	for (i = 0; i < lw->ncache; i++) {
		if (strcmp(lw->cache[i].name, name) == 0) {
			*addrs = lw->cache[i].addrs;
			*n = lw->cache[i].n;
			return 0;
		}
	}
	if (lw->opts == NULL || lw->opts->resolve == NULL) {
		parser_fail(lw->p, r->val_pos, "'%s' is not an IP address "
		    "(host names are not resolved here)", name);
		return -1;
	}
	rs = realloc(lw->cache, (lw->ncache + 1) * sizeof *lw->cache);
	if (rs == NULL)
		abort();
	lw->cache = rs;
	rs = &lw->cache[lw->ncache];
	memset(rs, 0, sizeof *rs);
	if (lw->opts->resolve(name, lw->opts->timeout_ms, &rs->addrs, &rs->n,
	    &err) != 0 || rs->n == 0) {
		parser_fail(lw->p, r->val_pos, "cannot resolve host name "
		    "'%s': %s", name, err != NULL ? err : "no address");
		free(err);
		free(rs->addrs);
		return -1;
	}
	rs->name = util_strdup(name);
	lw->ncache++;
	*addrs = rs->addrs;
	*n = rs->n;
	return 0;
}

/* sip/dip = value: an address, or every address of a host name. */
static struct cond_node *
lower_host(struct lower *lw, const struct raw *r, enum cond_attr attr,
    enum cond_op op, const char *value)
{
	struct cond_addr	*addrs;
	struct cond_node	**kids = NULL;
	uint8_t			 addr[16];
	char			 text[INET6_ADDRSTRLEN];
	size_t			 naddrs, nkids = 0, i;
	int			 alen;

	if ((alen = parse_ip(value, addr)) != 0)
		return leaf_addr(attr, op, value, addr, alen);
	if (!looks_like_hostname(value)) {
		parser_fail(lw->p, r->val_pos, "'%s' is neither an IP address "
		    "nor a host name", value);
		return NULL;
	}
	if (lower_resolve(lw, r, value, &addrs, &naddrs) != 0)
		return NULL;
	/* a = any of the addresses; != none of them */
	for (i = 0; i < naddrs; i++) {
		inet_ntop(addrs[i].alen == 4 ? AF_INET : AF_INET6,
		    addrs[i].addr, text, sizeof text);
		kids_push(&kids, &nkids, leaf_addr(attr, op, text,
		    addrs[i].addr, addrs[i].alen));
	}
	return node_chain(op == COND_EQ ? COND_OR : COND_AND, kids, nkids);
}

static struct cond_node *
lower_net(struct lower *lw, const struct raw *r, enum cond_attr attr,
    enum cond_op op, const char *value)
{
	struct cond_node	*n;
	uint8_t			 addr[16];
	char			*ip, *slash;
	uint32_t		 prefix;
	int			 alen, i;

	if ((slash = strchr(value, '/')) == NULL) {
		parser_fail(lw->p, r->val_pos, "'%s' is not a network in CIDR "
		    "notation (such as 192.168.1.0/24)", value);
		return NULL;
	}
	ip = util_printf("%.*s", (int)(slash - value), value);
	alen = parse_ip(ip, addr);
	free(ip);
	if (alen == 0) {
		parser_fail(lw->p, r->val_pos, "'%s' is not a network in CIDR "
		    "notation: bad address", value);
		return NULL;
	}
	if (parse_uint(slash + 1, (uint32_t)alen * 8, &prefix) != 0) {
		parser_fail(lw->p, r->val_pos, "'%s': the netmask must be 0 "
		    "to %d", value, alen * 8);
		return NULL;
	}
	for (i = 0; i < alen; i++) {
		int bits = (int)prefix - i * 8;

		if (bits <= 0)
			addr[i] = 0;
		else if (bits < 8)
			addr[i] &= (uint8_t)(0xff << (8 - bits));
	}
	n = leaf_addr(attr, op, value, addr, alen);
	n->prefix = (uint8_t)prefix;
	return n;
}

static struct cond_node *
lower_number(struct lower *lw, const struct raw *r, enum cond_attr attr,
    enum cond_op op, const char *value)
{
	struct cond_node	*n;
	uint32_t		 v;
	int			 proto;

	switch (attr) {
	case COND_DPORT:
		if (parse_uint(value, 65535, &v) != 0) {
			parser_fail(lw->p, r->val_pos, "'%s' is not a port "
			    "(0 to 65535)", value);
			return NULL;
		}
		break;
	case COND_VLAN:
		if (parse_uint(value, 4095, &v) != 0) {
			parser_fail(lw->p, r->val_pos, "'%s' is not a VLAN ID "
			    "(0 to 4095)", value);
			return NULL;
		}
		break;
	default:
		if (parse_uint(value, 255, &v) != 0) {
			if ((proto = cond_proto_number(value)) < 0) {
				parser_fail(lw->p, r->val_pos, "'%s' is not an "
				    "IP protocol (a name from /etc/protocols "
				    "or 0 to 255)", value);
				return NULL;
			}
			v = (uint32_t)proto;
		}
		break;
	}
	n = node_new(COND_LEAF);
	n->attr = attr;
	n->op = op;
	n->value = util_strdup(value);
	n->num = v;
	return n;
}

/* Give the leaves under n the text offset pos and count them into *count. */
static size_t
leaf_mark(struct cond_node *n, size_t pos, size_t *count)
{
	size_t i;

	if (n->type == COND_LEAF) {
		n->pos = pos;
		return ++*count;
	}
	for (i = 0; i < n->nkids; i++)
		leaf_mark(n->kids[i], pos, count);
	return *count;
}

static struct cond_node *
lower_leaf(struct lower *lw, const struct raw *r, int negate)
{
	struct cond_node	*n = NULL, *a, *b;
	enum cond_op		 op = negate ? op_negate(r->op) : r->op;
	char			*value;
	static const char *const names[] = { "sip", "dip", "host", "snet",
	    "dnet", "net", "dport", "proto", "vlan", "dir" };

	switch (r->attr) {
	case A_SIP: case A_DIP: case A_HOST: case A_SNET: case A_DNET:
	case A_NET:
		if (r->op != COND_EQ && r->op != COND_NE) {
			parser_fail(lw->p, r->op_pos, "comparator '%s' is not "
			    "allowed for attribute %s (only = and !=)",
			    op_symbols[r->op], names[r->attr]);
			return NULL;
		}
		break;
	case A_DIR:
		parser_fail(lw->p, r->attr_pos, "misplaced direction filter "
		    "(dir may only appear at the top level or in a "
		    "top-level AND)");
		return NULL;
	default:
		break;
	}
	value = lower_value(lw, r);
	switch (r->attr) {
	case A_SIP:
		n = lower_host(lw, r, COND_SIP, op, value);
		break;
	case A_DIP:
		n = lower_host(lw, r, COND_DIP, op, value);
		break;
	case A_HOST:
		/* host = x: sip = x | dip = x; host != x: both differ */
		if ((a = lower_host(lw, r, COND_SIP, op, value)) == NULL)
			break;
		if ((b = lower_host(lw, r, COND_DIP, op, value)) == NULL) {
			node_free(a);
			break;
		}
		n = node_pair(op == COND_EQ ? COND_OR : COND_AND, a, b);
		break;
	case A_SNET:
		n = lower_net(lw, r, COND_SNET, op, value);
		break;
	case A_DNET:
		n = lower_net(lw, r, COND_DNET, op, value);
		break;
	case A_NET:
		if ((a = lower_net(lw, r, COND_SNET, op, value)) == NULL)
			break;
		if ((b = lower_net(lw, r, COND_DNET, op, value)) == NULL) {
			node_free(a);
			break;
		}
		n = node_pair(op == COND_EQ ? COND_OR : COND_AND, a, b);
		break;
	case A_DPORT:
		n = lower_number(lw, r, COND_DPORT, op, value);
		break;
	case A_PROTO:
		n = lower_number(lw, r, COND_PROTO, op, value);
		break;
	case A_VLAN:
		n = lower_number(lw, r, COND_VLAN, op, value);
		break;
	case A_DIR:
		break;
	}
	free(value);
	/* host, net and host names make several comparisons of one */
	if (n != NULL && leaf_mark(n, r->attr_pos, &lw->nleaves) >
	    COND_MAX_TERMS) {
		parser_fail(lw->p, r->attr_pos, "condition too long: more than"
		    " %d comparisons (host, net and host names count each "
		    "address and side)", COND_MAX_TERMS);
		node_free(n);
		n = NULL;
	}
	return n;
}

/* Lower r, with negate pushed down (negation normal form). */
static struct cond_node *
lower_tree(struct lower *lw, const struct raw *r, int negate)
{
	struct cond_node	**kids = NULL, *n;
	enum cond_type		 type;
	size_t			 nkids = 0, i;

	switch (r->type) {
	case R_LEAF:
		return lower_leaf(lw, r, negate);
	case R_NOT:
		return lower_tree(lw, r->kids[0], !negate);
	case R_AND:
	case R_OR:
		type = (r->type == R_AND) != negate ? COND_AND : COND_OR;
		for (i = 0; i < r->nkids; i++) {
			if ((n = lower_tree(lw, r->kids[i], negate)) == NULL) {
				while (nkids > 0)
					node_free(kids[--nkids]);
				free(kids);
				return NULL;
			}
			kids_push(&kids, &nkids, n);
		}
		return node_chain(type, kids, nkids);
	}
	return NULL;
}

static const struct {
	const char	*name;
	enum cond_dir	 dir;
} dir_names[] = {
	{ "in", COND_DIR_IN }, { "inbound", COND_DIR_IN },
	{ "out", COND_DIR_OUT }, { "outbound", COND_DIR_OUT },
	{ "uni", COND_DIR_UNI }, { "unidirectional", COND_DIR_UNI },
	{ "bi", COND_DIR_BI }, { "bidirectional", COND_DIR_BI },
};

/*
 * Take the dir conditions out of the top-level AND chain into lw->c->dir;
 * returns the chain without them (NULL if nothing is left).
 */
static struct raw *
lower_split_dir(struct lower *lw, struct raw *r)
{
	char		*value;
	size_t		 k;

	size_t		 i, n;

	if (r == NULL || lw->p->err != NULL)
		return r;
	if (r->type == R_AND) {
		for (i = n = 0; i < r->nkids; i++) {
			if ((r->kids[n] = lower_split_dir(lw, r->kids[i])) !=
			    NULL)
				n++;
		}
		r->nkids = n;
		if (n == 0)
			return NULL;
		return n == 1 ? r->kids[0] : r;
	}
	if (r->type != R_LEAF || r->attr != A_DIR)
		return r;
	if (r->op != COND_EQ) {
		parser_fail(lw->p, r->op_pos, "the direction filter only "
		    "supports '='");
		return r;
	}
	if (lw->c->dir != COND_DIR_NONE) {
		parser_fail(lw->p, r->attr_pos, "multiple direction filters");
		return r;
	}
	value = lower_value(lw, r);
	for (k = 0; k < sizeof dir_names / sizeof dir_names[0]; k++) {
		if (strcmp(value, dir_names[k].name) == 0)
			break;
	}
	if (k == sizeof dir_names / sizeof dir_names[0]) {
		parser_fail(lw->p, r->val_pos, "unsupported direction filter "
		    "'%s' (use in, out, uni or bi)", value);
		free(value);
		return r;
	}
	free(value);
	lw->c->dir = dir_names[k].dir;
	return NULL;
}

/* ------------------------------------------------------------ output */

void
cond__buf_add(struct cond_buf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		if ((b->s = realloc(b->s, b->cap)) == NULL)
			abort();
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

static const char *const attr_canon[] = { "sip", "dip", "snet", "dnet",
	"dport", "proto", "vlan" };

static void
canon_print(struct cond_buf *b, const struct cond_node *n)
{
	if (n->type == COND_LEAF) {
		cond__buf_add(b, attr_canon[n->attr]);
		cond__buf_add(b, " ");
		cond__buf_add(b, op_symbols[n->op]);
		cond__buf_add(b, " ");
		cond__buf_add(b, n->value);
		return;
	}
	size_t i;

	for (i = 0; i + 1 < n->nkids; i++) {
		cond__buf_add(b, "(");
		canon_print(b, n->kids[i]);
		cond__buf_add(b, n->type == COND_AND ? " & " : " | ");
	}
	canon_print(b, n->kids[n->nkids - 1]);
	for (i = 0; i + 1 < n->nkids; i++)
		cond__buf_add(b, ")");
}

/* The error message: the condition quoted, a caret under pos. */
static char *
error_message(const char *text, const char *msg, size_t pos)
{
	struct cond_buf	 b = { NULL, 0, 0 };
	size_t		 i, col = 0;
	char		 c[2] = { 0, 0 };

	cond__buf_add(&b, "invalid condition: ");
	cond__buf_add(&b, msg);
	cond__buf_add(&b, "\n    ");
	for (i = 0; text[i] != '\0'; i++) {
		c[0] = isspace((unsigned char)text[i]) ? ' ' : text[i];
		cond__buf_add(&b, c);
		/* count characters, not UTF-8 continuation bytes */
		if (i < pos && ((unsigned char)text[i] & 0xc0) != 0x80)
			col++;
	}
	cond__buf_add(&b, "\n    ");
	for (i = 0; i < col; i++)
		cond__buf_add(&b, " ");
	cond__buf_add(&b, "^");
	return b.s;
}

void
cond_free(struct cond *c)
{
	if (c == NULL)
		return;
	node_free(c->root);
	free(c->canonical);
	free(c);
}

static const char *const dir_canon[] = { "", "in", "out", "uni", "bi" };

int
cond_parse(const char *text, const struct cond_options *opts,
    struct cond **out, char **cause)
{
	struct parser	 p;
	struct lower	 lw;
	struct raw	*r;
	struct cond	*c;
	struct cond_buf	 b = { NULL, 0, 0 };
	size_t		 i;

	*out = NULL;
	memset(&p, 0, sizeof p);
	p.text = text;
	p.t = tok_split(text, &p.n);
	if (p.t[0].kind == T_END) {
		free(p.t);
		return 0;
	}
	if ((c = calloc(1, sizeof *c)) == NULL)
		abort();

	r = parser_disjunction(&p, 0);
	if (p.err == NULL && p.t[p.i].kind != T_END) {
		char *q = parser_quote(&p, &p.t[p.i]);
		parser_fail(&p, p.t[p.i].pos, "unexpected '%s' after a "
		    "complete condition", q);
		free(q);
	}

	memset(&lw, 0, sizeof lw);
	lw.p = &p;
	lw.opts = opts;
	lw.c = c;
	if (p.err == NULL)
		r = lower_split_dir(&lw, r);
	if (p.err == NULL && r != NULL)
		c->root = lower_tree(&lw, r, 0);

	for (i = 0; i < lw.ncache; i++) {
		free(lw.cache[i].name);
		free(lw.cache[i].addrs);
	}
	free(lw.cache);
	for (i = 0; i < p.nnodes; i++) {
		free(p.nodes[i]->kids);
		free(p.nodes[i]);
	}
	free(p.nodes);
	free(p.t);

	if (p.err != NULL) {
		if (cause != NULL) {
			free(*cause);
			*cause = error_message(text, p.err, p.err_pos);
		}
		free(p.err);
		cond_free(c);
		return -1;
	}

	if (c->root != NULL && c->dir != COND_DIR_NONE)
		cond__buf_add(&b, "(");
	if (c->root != NULL)
		canon_print(&b, c->root);
	if (c->root != NULL && c->dir != COND_DIR_NONE)
		cond__buf_add(&b, " & ");
	if (c->dir != COND_DIR_NONE) {
		cond__buf_add(&b, "dir = ");
		cond__buf_add(&b, dir_canon[c->dir]);
	}
	if (c->root != NULL && c->dir != COND_DIR_NONE)
		cond__buf_add(&b, ")");
	c->canonical = b.s;
	*out = c;
	return 0;
}

/* ------------------------------------------------------------ protocols */

/*
 * The common protocols with the names /etc/protocols gives them, so that
 * output does not depend on the machine's copy; others are looked up.
 */
static const struct {
	int		 num;
	const char	*name;		/* lower case keyword */
	const char	*label;		/* as goquery prints it */
} protos[] = {
	{ 0, "hopopt", "HOPOPT" }, { 0, "ip", "HOPOPT" },
	{ 1, "icmp", "ICMP" }, { 2, "igmp", "IGMP" },
	{ 4, "ipencap", "IP-ENCAP" }, { 6, "tcp", "TCP" },
	{ 8, "egp", "EGP" }, { 17, "udp", "UDP" }, { 27, "rdp", "RDP" },
	{ 33, "dccp", "DCCP" }, { 41, "ipv6", "IPv6" },
	{ 43, "ipv6-route", "IPv6-Route" }, { 44, "ipv6-frag", "IPv6-Frag" },
	{ 46, "rsvp", "RSVP" }, { 47, "gre", "GRE" },
	{ 50, "esp", "IPSEC-ESP" }, { 50, "ipsec-esp", "IPSEC-ESP" },
	{ 51, "ah", "IPSEC-AH" }, { 51, "ipsec-ah", "IPSEC-AH" },
	{ 58, "ipv6-icmp", "IPv6-ICMP" }, { 58, "icmpv6", "IPv6-ICMP" },
	{ 58, "icmp6", "IPv6-ICMP" },
	{ 59, "ipv6-nonxt", "IPv6-NoNxt" }, { 60, "ipv6-opts", "IPv6-Opts" },
	{ 88, "eigrp", "EIGRP" }, { 89, "ospf", "OSPFIGP" },
	{ 89, "ospfigp", "OSPFIGP" }, { 103, "pim", "PIM" },
	{ 112, "vrrp", "VRRP" }, { 115, "l2tp", "L2TP" },
	{ 132, "sctp", "SCTP" }, { 136, "udplite", "UDPLite" },
	{ 137, "mpls-in-ip", "MPLS-in-IP" },
};

static pthread_mutex_t proto_lock = PTHREAD_MUTEX_INITIALIZER;

const char *
cond_proto_name(int proto, char *buf, size_t len)
{
	struct protoent	*pe;
	size_t		 i;

	for (i = 0; i < sizeof protos / sizeof protos[0]; i++) {
		if (protos[i].num == proto)
			return protos[i].label;
	}
	pthread_mutex_lock(&proto_lock);
	pe = getprotobynumber(proto);
	if (pe != NULL && pe->p_aliases != NULL && pe->p_aliases[0] != NULL)
		snprintf(buf, len, "%s", pe->p_aliases[0]);
	else if (pe != NULL)
		snprintf(buf, len, "%s", pe->p_name);
	else
		snprintf(buf, len, "%d", proto);
	pthread_mutex_unlock(&proto_lock);
	return buf;
}

int
cond_proto_number(const char *name)
{
	struct protoent	*pe;
	size_t		 i;
	int		 num = -1;
	char		**a;

	for (i = 0; i < sizeof protos / sizeof protos[0]; i++) {
		if (strcasecmp(protos[i].name, name) == 0 ||
		    strcasecmp(protos[i].label, name) == 0)
			return protos[i].num;
	}
	pthread_mutex_lock(&proto_lock);
	setprotoent(0);
	while ((pe = getprotoent()) != NULL) {
		if (strcasecmp(pe->p_name, name) == 0)
			num = pe->p_proto;
		for (a = pe->p_aliases; num < 0 && a != NULL && *a != NULL;
		    a++) {
			if (strcasecmp(*a, name) == 0)
				num = pe->p_proto;
		}
		if (num >= 0)
			break;
	}
	endprotoent();
	pthread_mutex_unlock(&proto_lock);
	return num;
}
