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
 * Word operators (eq, -ne, and, or, not, ...) are recognised by position:
 * a word is an operator only where the grammar expects one, so a value or
 * host name that happens to be spelled "and" is still a value.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "cond.h"
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

struct buf {
	char	*s;
	size_t	 len, cap;
};

static void
buf_add(struct buf *b, const char *s)
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
canon_print(struct buf *b, const struct cond_node *n)
{
	if (n->type == COND_LEAF) {
		buf_add(b, attr_canon[n->attr]);
		buf_add(b, " ");
		buf_add(b, op_symbols[n->op]);
		buf_add(b, " ");
		buf_add(b, n->value);
		return;
	}
	size_t i;

	for (i = 0; i + 1 < n->nkids; i++) {
		buf_add(b, "(");
		canon_print(b, n->kids[i]);
		buf_add(b, n->type == COND_AND ? " & " : " | ");
	}
	canon_print(b, n->kids[n->nkids - 1]);
	for (i = 0; i + 1 < n->nkids; i++)
		buf_add(b, ")");
}

/* The error message: the condition quoted, a caret under pos. */
static char *
error_message(const char *text, const char *msg, size_t pos)
{
	struct buf	 b = { NULL, 0, 0 };
	size_t		 i, col = 0;
	char		 c[2] = { 0, 0 };

	buf_add(&b, "invalid condition: ");
	buf_add(&b, msg);
	buf_add(&b, "\n    ");
	for (i = 0; text[i] != '\0'; i++) {
		c[0] = isspace((unsigned char)text[i]) ? ' ' : text[i];
		buf_add(&b, c);
		/* count characters, not UTF-8 continuation bytes */
		if (i < pos && ((unsigned char)text[i] & 0xc0) != 0x80)
			col++;
	}
	buf_add(&b, "\n    ");
	for (i = 0; i < col; i++)
		buf_add(&b, " ");
	buf_add(&b, "^");
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
	struct buf	 b = { NULL, 0, 0 };
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
		buf_add(&b, "(");
	if (c->root != NULL)
		canon_print(&b, c->root);
	if (c->root != NULL && c->dir != COND_DIR_NONE)
		buf_add(&b, " & ");
	if (c->dir != COND_DIR_NONE) {
		buf_add(&b, "dir = ");
		buf_add(&b, dir_canon[c->dir]);
	}
	if (c->root != NULL && c->dir != COND_DIR_NONE)
		buf_add(&b, ")");
	c->canonical = b.s;
	*out = c;
	return 0;
}

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
	struct buf	 b;
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
	buf_add(&o->b, sql_templates[t]);
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
		buf_add(&out->b, o->b.s);
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

/* ------------------------------------------------------------ eval */

static int
cmp_num(enum cond_op op, uint32_t a, uint32_t b)
{
	switch (op) {
	case COND_EQ: return a == b;
	case COND_NE: return a != b;
	case COND_LT: return a < b;
	case COND_GT: return a > b;
	case COND_LE: return a <= b;
	case COND_GE: return a >= b;
	}
	return 0;
}

static int
in_net(const uint8_t *ip, int alen, const struct cond_node *n)
{
	int i, bits;

	if (alen != n->alen)
		return 0;
	for (i = 0; i < alen; i++) {
		bits = (int)n->prefix - i * 8;
		if (bits <= 0)
			break;
		if (bits >= 8) {
			if (ip[i] != n->addr[i])
				return 0;
		} else if ((ip[i] & (uint8_t)(0xff << (8 - bits))) !=
		    n->addr[i])
			return 0;
	}
	return 1;
}

static int
eval_node(const struct cond_node *n, const struct cond_key *k)
{
	const uint8_t	*ip;
	int		 m;

	size_t		 i;

	switch (n->type) {
	case COND_AND:
		for (i = 0; i < n->nkids; i++) {
			if (!eval_node(n->kids[i], k))
				return 0;
		}
		return 1;
	case COND_OR:
		for (i = 0; i < n->nkids; i++) {
			if (eval_node(n->kids[i], k))
				return 1;
		}
		return 0;
	case COND_LEAF:
		break;
	}
	switch (n->attr) {
	case COND_SIP:
	case COND_DIP:
	case COND_SNET:
	case COND_DNET:
		ip = (n->attr == COND_SIP || n->attr == COND_SNET) ?
		    k->sip : k->dip;
		m = in_net(ip, k->alen, n);
		return n->op == COND_EQ ? m : !m;
	case COND_DPORT:
		return cmp_num(n->op, k->dport, n->num);
	case COND_PROTO:
		return cmp_num(n->op, k->proto, n->num);
	case COND_VLAN:
		return cmp_num(n->op, k->vlan, n->num);
	}
	return 0;
}

int
cond_match(const struct cond *c, const struct cond_key *k)
{
	if (c == NULL || c->root == NULL)
		return 1;
	return eval_node(c->root, k);
}

int
cond_dir_match(enum cond_dir dir, uint64_t pkts_rcvd, uint64_t pkts_sent)
{
	switch (dir) {
	case COND_DIR_NONE:
		return 1;
	case COND_DIR_IN:
		return pkts_rcvd > 0 && pkts_sent == 0;
	case COND_DIR_OUT:
		return pkts_sent > 0 && pkts_rcvd == 0;
	case COND_DIR_UNI:
		return (pkts_rcvd > 0) != (pkts_sent > 0);
	case COND_DIR_BI:
		return pkts_rcvd > 0 && pkts_sent > 0;
	}
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

/* ------------------------------------------------------------ resolver */

struct lookup {
	pthread_mutex_t	 lock;
	pthread_cond_t	 done_cv;
	int		 done, abandoned, rc;
	char		*name;
	struct cond_addr *addrs;
	size_t		 n;
};

static void
lookup_free(struct lookup *l)
{
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->done_cv);
	free(l->name);
	free(l->addrs);
	free(l);
}

static void *
lookup_run(void *arg)
{
	struct lookup	*l = arg;
	struct addrinfo	 hints, *res = NULL, *ai;
	struct cond_addr *a = NULL;
	size_t		 n = 0, i, pass;
	int		 rc, abandoned;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(l->name, NULL, &hints, &res);
	/* IPv4 first, then IPv6, without duplicates */
	for (pass = 0; rc == 0 && pass < 2; pass++) {
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			struct cond_addr ca;

			memset(&ca, 0, sizeof ca);
			if (pass == 0 && ai->ai_family == AF_INET) {
				memcpy(ca.addr, &((struct sockaddr_in *)
				    ai->ai_addr)->sin_addr, 4);
				ca.alen = 4;
			} else if (pass == 1 && ai->ai_family == AF_INET6) {
				memcpy(ca.addr, &((struct sockaddr_in6 *)
				    ai->ai_addr)->sin6_addr, 16);
				ca.alen = 16;
			} else
				continue;
			for (i = 0; i < n; i++) {
				if (memcmp(&a[i], &ca, sizeof ca) == 0)
					break;
			}
			if (i < n)
				continue;
			if ((a = realloc(a, (n + 1) * sizeof *a)) == NULL)
				abort();
			a[n++] = ca;
		}
	}
	if (res != NULL)
		freeaddrinfo(res);

	pthread_mutex_lock(&l->lock);
	l->rc = rc;
	l->addrs = a;
	l->n = n;
	l->done = 1;
	abandoned = l->abandoned;
	pthread_cond_signal(&l->done_cv);
	pthread_mutex_unlock(&l->lock);
	if (abandoned)
		lookup_free(l);
	return NULL;
}

int
cond_resolve_system(const char *name, int timeout_ms, struct cond_addr **addrs,
    size_t *naddrs, char **err)
{
	struct lookup	*l;
	struct timespec	 ts;
	pthread_attr_t	 attr;
	pthread_t	 th;
	int		 rc = 0, timedout = 0;

	if ((l = calloc(1, sizeof *l)) == NULL)
		abort();
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->done_cv, NULL);
	l->name = util_strdup(name);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, lookup_run, l) != 0) {
		pthread_attr_destroy(&attr);
		lookup_free(l);
		*err = util_strdup("cannot start the resolver");
		return -1;
	}
	pthread_attr_destroy(&attr);

	util_deadline(&ts, (unsigned)timeout_ms);
	pthread_mutex_lock(&l->lock);
	while (!l->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&l->done_cv, &l->lock, &ts);
	if (!l->done) {
		/* the thread frees the lookup when it finishes */
		l->abandoned = 1;
		timedout = 1;
	}
	pthread_mutex_unlock(&l->lock);
	if (timedout) {
		*err = util_printf("timed out after %d ms", timeout_ms);
		return -1;
	}
	if (l->rc != 0) {
		*err = util_strdup(gai_strerror(l->rc));
		lookup_free(l);
		return -1;
	}
	*addrs = l->addrs;
	*naddrs = l->n;
	l->addrs = NULL;
	lookup_free(l);
	return 0;
}
