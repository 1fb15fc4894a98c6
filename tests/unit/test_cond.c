/*
 * test_cond.c - the condition language: every operator spelling,
 * precedence, brackets, every attribute, the canonical form, errors with
 * their caret positions, host name resolution, and the SQL: made only of
 * the fixed templates, valid against the schema, using its indexes; and
 * conditions as large as the language allows (COND_MAX_TERMS comparisons,
 * brackets COND_MAX_DEPTH deep, wide and deep at once) run, inside the
 * most nested statement flowq wraps them in, selecting what cond_match()
 * selects.
 */
#include "config.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "store.h"
#include "tap.h"

static int resolver_calls;

/* A fake DNS: example.test has one IPv4 and one IPv6 address. */
static int
fake_resolve(const char *name, int timeout_ms, struct cond_addr **addrs,
    size_t *n, char **err)
{
	struct cond_addr *a;

	resolver_calls++;
	if (strcmp(name, "example.test") != 0) {
		*err = strdup("Name or service not known");
		return -1;
	}
	a = calloc(2, sizeof *a);
	a[0].alen = 4;
	a[0].addr[0] = 192; a[0].addr[2] = 2; a[0].addr[3] = 1;
	a[1].alen = 16;
	a[1].addr[0] = 0x20; a[1].addr[1] = 0x01; a[1].addr[2] = 0x0d;
	a[1].addr[3] = 0xb8; a[1].addr[15] = 1;
	*addrs = a;
	*n = 2;
	return 0;
}

static const struct cond_options fake_opts = { fake_resolve, 1000 };

/* The canonical form of text, or the error message; caller frees. */
static char *
canon(const char *text)
{
	struct cond	*c = NULL;
	char		*cause = NULL, *s;

	if (cond_parse(text, &fake_opts, &c, &cause) != 0)
		return cause;
	s = strdup(c == NULL ? "" : c->canonical);
	cond_free(c);
	return s;
}

#define is_canon(text, want) do {					\
	char *got_ = canon(text);					\
	is_str(got_, want, "canonical: %s", text);			\
	free(got_);							\
} while (0)

/* The caret column of an error, -1 if text parses. */
static int
caret(const char *text, char **msg)
{
	struct cond	*c = NULL;
	char		*cause = NULL, *nl, *hat;
	int		 col;

	if (cond_parse(text, &fake_opts, &c, &cause) == 0) {
		cond_free(c);
		return -1;
	}
	/* last line: four spaces of indent, then spaces up to the caret */
	nl = strrchr(cause, '\n');
	hat = strchr(nl, '^');
	col = (int)(hat - nl) - 1 - 4;
	if (msg != NULL) {
		*strchr(cause, '\n') = '\0';
		*msg = cause;
	} else
		free(cause);
	return col;
}

#define is_error(text, pos, want) do {					\
	char *m_ = NULL;						\
	is_int(caret(text, &m_), pos, "caret: %s", text);		\
	if ((pos) >= 0)							\
		ok(m_ != NULL && strstr(m_, want) != NULL,		\
		    "message for '%s' has '%s' (%s)", text, want,	\
		    m_ ? m_ : "");					\
	free(m_);							\
} while (0)

static void
test_operators(void)
{
	static const struct {
		const char	*spelling;
		const char	*canon;
	} ops[] = {
		{ "=", "=" }, { "==", "=" }, { "===", "=" }, { "eq", "=" },
		{ "-eq", "=" }, { "equals", "=" },
		{ "!=", "!=" }, { "neq", "!=" }, { "-neq", "!=" },
		{ "ne", "!=" }, { "-ne", "!=" },
		{ "<=", "<=" }, { "le", "<=" }, { "-le", "<=" },
		{ "leq", "<=" }, { "-leq", "<=" },
		{ ">=", ">=" }, { "ge", ">=" }, { "-ge", ">=" },
		{ "geq", ">=" }, { "-geq", ">=" },
		{ "<", "<" }, { "l", "<" }, { "-l", "<" }, { "lt", "<" },
		{ "-lt", "<" }, { "less", "<" },
		{ ">", ">" }, { "g", ">" }, { "-g", ">" }, { "gt", ">" },
		{ "-gt", ">" }, { "greater", ">" },
	};
	size_t	 i;
	char	 text[64], want[64], *u;

	for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		snprintf(text, sizeof text, "dport %s 80", ops[i].spelling);
		snprintf(want, sizeof want, "dport %s 80", ops[i].canon);
		is_canon(text, want);
		/* upper case spellings too */
		for (u = text; *u != '\0'; u++)
			*u = (char)toupper((unsigned char)*u);
		is_canon(text, want);
	}
	/* symbols need no blanks */
	is_canon("dport<=80", "dport <= 80");
	is_canon("dport!=80", "dport != 80");
	is_canon("dport===80", "dport = 80");
	is_canon("dport>80&proto=6", "(dport > 80 & proto = 6)");

	/* logical operators */
	is_canon("dport = 1 & dport = 2", "(dport = 1 & dport = 2)");
	is_canon("dport = 1 and dport = 2", "(dport = 1 & dport = 2)");
	is_canon("dport = 1 AND dport = 2", "(dport = 1 & dport = 2)");
	is_canon("dport = 1 && dport = 2", "(dport = 1 & dport = 2)");
	is_canon("dport = 1 * dport = 2", "(dport = 1 & dport = 2)");
	is_canon("dport = 1 | dport = 2", "(dport = 1 | dport = 2)");
	is_canon("dport = 1 or dport = 2", "(dport = 1 | dport = 2)");
	is_canon("dport = 1 Or dport = 2", "(dport = 1 | dport = 2)");
	is_canon("dport = 1 || dport = 2", "(dport = 1 | dport = 2)");
	is_canon("dport = 1 + dport = 2", "(dport = 1 | dport = 2)");
	is_canon("! dport = 1", "dport != 1");
	is_canon("!dport = 1", "dport != 1");
	is_canon("not dport = 1", "dport != 1");
	is_canon("NOT dport < 1", "dport >= 1");
	is_canon("not(dport > 1)", "dport <= 1");
	is_canon("not{dport <= 1}", "dport > 1");
	is_canon("![dport >= 1]", "dport < 1");
	is_canon("!!dport = 1", "dport = 1");
}

static void
test_precedence(void)
{
	/* ! before & before | */
	is_canon("! dport = 8080 | dport = 443 & proto = TCP",
	    "(dport != 8080 | (dport = 443 & proto = tcp))");
	is_canon("dport = 1 | dport = 2 & dport = 3",
	    "(dport = 1 | (dport = 2 & dport = 3))");
	is_canon("dport = 1 & dport = 2 | dport = 3",
	    "((dport = 1 & dport = 2) | dport = 3)");
	/* brackets of every kind */
	is_canon("(dport = 1 | dport = 2) & dport = 3",
	    "((dport = 1 | dport = 2) & dport = 3)");
	is_canon("[dport = 1 | dport = 2] & dport = 3",
	    "((dport = 1 | dport = 2) & dport = 3)");
	is_canon("{dport = 1 | dport = 2} & dport = 3",
	    "((dport = 1 | dport = 2) & dport = 3)");
	is_canon("((((dport = 1))))", "dport = 1");
	/* negation of a group: De Morgan, goquery's example */
	is_canon("! (( dport = 8080 | dport = 443 ) & proto = TCP )",
	    "((dport != 8080 & dport != 443) | proto != tcp)");
	is_canon("(! dport = 8080) | (! (dport = 443 & proto = TCP))",
	    "(dport != 8080 | (dport != 443 | proto != tcp))");
	/* chains hang to the right */
	is_canon("dip = 10.236.2.18 & sip = 211.154.236.12 & dport = 22 & "
	    "proto = tcp", "(dip = 10.236.2.18 & (sip = 211.154.236.12 & "
	    "(dport = 22 & proto = tcp)))");
	is_canon("dport = 1 | dport = 2 | dport = 3",
	    "(dport = 1 | (dport = 2 | dport = 3))");
	/* the syntaxes of goquery's help, mixed */
	is_canon("( proto = TCP & snet != 192.168.0.0/16 ) & ( dport <= 1024 "
	    "| dport >= 443 )", "((proto = tcp & snet != 192.168.0.0/16) & "
	    "(dport <= 1024 | dport >= 443))");
	is_canon("( proto eq  TCP and snet neq 1.2.0.0/16 ) and ( dport   le "
	    "1024 or dport   ge 443 )", "((proto = tcp & snet != 1.2.0.0/16) "
	    "& (dport <= 1024 | dport >= 443))");
	is_canon("[ proto  =  TCP   * snet  != 1.2.0.0/16 ] * [ dport  <= "
	    "1024  + dport   >= 443 ]", "((proto = tcp & snet != 1.2.0.0/16) "
	    "& (dport <= 1024 | dport >= 443))");
	is_canon("{ proto -eq TCP  && snet -ne 1.2.0.0/16 } * { dport -leq "
	    "1024 || dport -geq 443 }", "((proto = tcp & snet != 1.2.0.0/16) "
	    "& (dport <= 1024 | dport >= 443))");
	/* whitespace of every kind, and none */
	is_canon("\tdport\n=\r80 ", "dport = 80");
	is_canon("", "");
	is_canon("   ", "");
}

static void
test_attributes(void)
{
	struct cond *c = NULL;

	is_canon("sip = 10.0.0.1", "sip = 10.0.0.1");
	is_canon("src = 10.0.0.1", "sip = 10.0.0.1");
	is_canon("dip != 10.0.0.1", "dip != 10.0.0.1");
	is_canon("dst = 2001:DB8::1", "dip = 2001:db8::1");
	is_canon("host = 192.168.1.34",
	    "(sip = 192.168.1.34 | dip = 192.168.1.34)");
	is_canon("host != 192.168.1.34",
	    "(sip != 192.168.1.34 & dip != 192.168.1.34)");
	is_canon("!host = 192.168.1.34",
	    "(sip != 192.168.1.34 & dip != 192.168.1.34)");
	is_canon("snet = 10.0.0.0/8", "snet = 10.0.0.0/8");
	is_canon("dnet != fe80::/10", "dnet != fe80::/10");
	is_canon("net = 192.168.1.0/24",
	    "(snet = 192.168.1.0/24 | dnet = 192.168.1.0/24)");
	is_canon("net != 192.168.1.0/24",
	    "(snet != 192.168.1.0/24 & dnet != 192.168.1.0/24)");
	is_canon("dport = 443", "dport = 443");
	is_canon("port >= 1024", "dport >= 1024");
	is_canon("proto = UDP", "proto = udp");
	is_canon("protocol = 17", "proto = 17");
	is_canon("ipproto != icmp", "proto != icmp");
	is_canon("proto = ipv6-icmp", "proto = ipv6-icmp");
	is_canon("vlan = 4095", "vlan = 4095");
	is_canon("vlan < 10", "vlan < 10");
	is_canon("dport = 0", "dport = 0");
	is_canon("dport = 65535", "dport = 65535");

	/* values are converted */
	ok(cond_parse("proto = tcp", NULL, &c, NULL) == 0 && c != NULL &&
	    c->root->num == 6, "proto tcp is 6");
	cond_free(c);
	ok(cond_parse("snet = 10.1.2.3/12", NULL, &c, NULL) == 0 &&
	    c->root->alen == 4 && c->root->prefix == 12 &&
	    c->root->addr[0] == 10 && c->root->addr[1] == 0 &&
	    c->root->addr[2] == 0, "snet host bits cleared");
	cond_free(c);

	/* direction filters */
	ok(cond_parse("dir = in", NULL, &c, NULL) == 0 && c->root == NULL &&
	    c->dir == COND_DIR_IN, "dir = in alone");
	is_str(c->canonical, "dir = in", "dir canonical");
	cond_free(c);
	ok(cond_parse("direction = outbound & dport = 80", NULL, &c, NULL) ==
	    0 && c->dir == COND_DIR_OUT && c->root != NULL, "direction sugar");
	is_str(c->canonical, "(dport = 80 & dir = out)", "dir in a chain");
	cond_free(c);
	ok(cond_parse("sip = 1.2.3.4 & dport = 80 & dir = uni", NULL, &c,
	    NULL) == 0 && c->dir == COND_DIR_UNI, "dir at the end of a chain");
	is_str(c->canonical, "((sip = 1.2.3.4 & dport = 80) & dir = uni)",
	    "dir at the end, canonical");
	cond_free(c);
	ok(cond_parse("(dport = 22 & sip = 1.2.3.4) & DIR = BI", NULL, &c,
	    NULL) == 0 && c->dir == COND_DIR_BI, "goquery's dir example");
	cond_free(c);
	ok(cond_dir_match(COND_DIR_IN, 5, 0) && !cond_dir_match(COND_DIR_IN,
	    5, 1) && cond_dir_match(COND_DIR_OUT, 0, 1) &&
	    !cond_dir_match(COND_DIR_OUT, 0, 0) && cond_dir_match(COND_DIR_UNI,
	    0, 3) && !cond_dir_match(COND_DIR_UNI, 2, 3) &&
	    cond_dir_match(COND_DIR_BI, 2, 3) && !cond_dir_match(COND_DIR_BI,
	    2, 0) && cond_dir_match(COND_DIR_NONE, 0, 0), "dir semantics");

	/* words that are operators elsewhere are values here */
	resolver_calls = 0;
	is_error("sip = and", 6, "cannot resolve host name 'and'");
	is_int(resolver_calls, 1, "resolver asked about 'and'");

	ok(strcmp(cond_proto_name(6, (char[16]){0}, 16), "TCP") == 0 &&
	    strcmp(cond_proto_name(58, (char[16]){0}, 16), "IPv6-ICMP") == 0 &&
	    strcmp(cond_proto_name(17, (char[16]){0}, 16), "UDP") == 0,
	    "protocol labels");
	ok(cond_proto_number("udp") == 17 && cond_proto_number("TCP") == 6 &&
	    cond_proto_number("IPSEC-ESP") == 50 &&
	    cond_proto_number("nosuch") == -1, "protocol names");
}

static void
test_resolve(void)
{
	struct cond_addr	*a = NULL;
	size_t			 n = 0, i;
	char			*err = NULL;
	int			 v4 = 0;

	resolver_calls = 0;
	is_canon("sip = example.test",
	    "(sip = 192.0.2.1 | sip = 2001:db8::1)");
	is_canon("dst != EXAMPLE.test",
	    "(dip != 192.0.2.1 & dip != 2001:db8::1)");
	is_canon("host = example.test & dport = 80",
	    "(((sip = 192.0.2.1 | sip = 2001:db8::1) | (dip = 192.0.2.1 | "
	    "dip = 2001:db8::1)) & dport = 80)");
	is_int(resolver_calls, 3, "one lookup per parse and name");
	is_error("dport = 1 | sip = nowhere.test", 18,
	    "cannot resolve host name 'nowhere.test': Name or service not "
	    "known");
	is_error("dip = 1.2.3.4.5", 6, "'1.2.3.4.5' is neither an IP "
	    "address nor a host name");

	/* the system resolver knows localhost (from /etc/hosts) */
	if (cond_resolve_system("localhost", 1000, &a, &n, &err) == 0) {
		for (i = 0; i < n; i++) {
			if (a[i].alen == 4 && a[i].addr[0] == 127)
				v4 = 1;
		}
		ok(v4 && a[0].alen == 4, "localhost: IPv4 first, 127.x");
		free(a);
	} else {
		ok(1, "# SKIP no system resolver for localhost (%s)", err);
		free(err);
	}
	err = NULL;
	ok(cond_resolve_system("no-such-host.invalid", 2000, &a, &n, &err) !=
	    0 && err != NULL, "unknown host is an error (%s)",
	    err != NULL ? err : "no message");
	free(err);
}

static void
test_errors(void)
{
	char		*m = NULL;
	struct cond	*c = NULL;

	is_error("sip 10.0.0.1", 4, "expected a comparison operator, got "
	    "'10.0.0.1'");
	is_error("sip =", 5, "expected a value, got the end of the condition");
	is_error("sip = )", 6, "expected a value, got ')'");
	is_error("foo = 1", 0, "unknown attribute 'foo'");
	is_error("= 1", 0, "expected an attribute, got '='");
	is_error("", -1, "");
	is_error("(sip = 1.2.3.4", 14, "expected ')', got the end");
	is_error("(sip = 1.2.3.4 sip", 15, "expected ')', got 'sip'");
	is_error("sip = 1.2.3.4 )", 14, "unexpected ')' after a complete "
	    "condition");
	is_error("sip = 1.2.3.4 dport = 1", 14, "unexpected 'dport'");
	is_error("dport = 80 &", 12, "expected an attribute, got the end");
	is_error("dport = 80 & & dport = 1", 13, "expected an attribute, got "
	    "'&'");
	is_error("dport = 70000", 8, "'70000' is not a port");
	is_error("dport = -1", 8, "'-1' is not a port");
	is_error("dport = 8o", 8, "'8o' is not a port");
	is_error("vlan = 4096", 7, "'4096' is not a VLAN ID");
	is_error("proto = nosuchproto", 8, "'nosuchproto' is not an IP "
	    "protocol");
	is_error("proto = 256", 8, "'256' is not an IP protocol");
	is_error("sip < 1.2.3.4", 4, "comparator '<' is not allowed for "
	    "attribute sip");
	is_error("host ge 1.2.3.4", 5, "comparator '>=' is not allowed for "
	    "attribute host");
	is_error("snet = 10.0.0.0", 7, "not a network in CIDR notation");
	is_error("snet = 10.0.0.0/33", 7, "the netmask must be 0 to 32");
	is_error("dnet = ::/129", 7, "the netmask must be 0 to 128");
	is_error("net = x/8", 6, "bad address");
	is_error("dport = 1 | dir = in", 12, "misplaced direction filter");
	is_error("!dir = in", 1, "misplaced direction filter");
	is_error("(dir = in)", -1, "");
	is_error("dir = in & dir = out", 11, "multiple direction filters");
	is_error("dir != in", 4, "only supports '='");
	is_error("dir = sideways", 6, "unsupported direction filter "
	    "'sideways'");
	/* the caret counts characters, not bytes */
	is_error("dport = 1 & \xc3\xa9t\xc3\xa9 = 2", 12,
	    "unknown attribute");
	is_error("dport = 1 & x = 2 \xc3\xa9", 12, "unknown attribute");
	is_error("\xc3\xa9 = 1", 0, "unknown attribute");
	is_error("dport = \xc3\xa9\xc3\xa9 & sip = 1", 8, "not a port");
	is_error("dport = 1 & sip = \xc3\xa9", 18, "neither");

	/* the whole message, as flowq prints it */
	ok(cond_parse("dport = 80 & sip < 1.2.3.4", NULL, &c, &m) == -1,
	    "whole message: fails");
	is_str(m, "invalid condition: comparator '<' is not allowed for "
	    "attribute sip (only = and !=)\n"
	    "    dport = 80 & sip < 1.2.3.4\n"
	    "                     ^", "whole message");
	free(m);
	m = NULL;
	ok(cond_parse("dport\t= 80 &\n", NULL, &c, &m) == -1 && c == NULL,
	    "blanks in the quote: fails");
	is_str(m, "invalid condition: expected an attribute, got the end of "
	    "the condition\n    dport = 80 & \n                 ^",
	    "blanks are shown as spaces");
	free(m);
	m = NULL;
	ok(cond_parse("sip = example.test", NULL, &c, &m) == -1,
	    "no resolver: host names fail");
	ok(m != NULL && strstr(m, "'example.test' is not an IP address") !=
	    NULL, "no resolver: message (%s)", m);
	free(m);
}

/* 1 if sql is a sequence of the fixed templates, nothing else. */
static int
only_templates(const char *sql)
{
	const char *const	*t;
	size_t			 n, i, best, len;

	t = cond_sql_templates(&n);
	while (*sql != '\0') {
		best = 0;
		for (i = 0; i < n; i++) {
			len = strlen(t[i]);
			if (len > best && strncmp(sql, t[i], len) == 0)
				best = len;
		}
		if (best == 0)
			return 0;
		sql += best;
	}
	return 1;
}

static sqlite3 *db;

/* Prepare the WHERE fragment against the schema; returns the plan. */
static char *
plan(const struct cond_sql *s, int *nparams)
{
	sqlite3_stmt	*st;
	char		*sql, *p = strdup("");
	int		 rc;

	sql = sqlite3_mprintf("EXPLAIN QUERY PLAN SELECT k.id FROM flow_keys "
	    "AS k WHERE %s", s->where);
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK) {
		printf("# prepare: %s\n", sqlite3_errmsg(db));
		*nparams = -1;
		return p;
	}
	*nparams = sqlite3_bind_parameter_count(st);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char *q;

		if (asprintf(&q, "%s%s;", p,
		    (const char *)sqlite3_column_text(st, 3)) < 0)
			abort();
		free(p);
		p = q;
	}
	sqlite3_finalize(st);
	return p;
}

static void
test_sql(void)
{
	static const char *const conds[] = {
		"sip = 10.0.0.1", "sip != 10.0.0.1", "dip = ::1",
		"dip != ::1", "snet = 10.0.0.0/8", "snet != 10.0.0.0/8",
		"dnet = 2001:db8::/32", "dnet != 2001:db8::/32",
		"dport < 1024", "proto >= 6", "vlan != 3",
		"(dport = 80 | dport = 443) & proto = tcp",
		"host = example.test", "net != 10.0.0.0/8",
		"! (sip = 1.2.3.4 | dport <= 5) & vlan > 1 & dir = in",
	};
	struct cond	*c;
	struct cond_sql	 s;
	size_t		 i;
	char		*p;
	int		 np;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_exec(db, store_schema_sql, NULL, NULL, NULL) != SQLITE_OK) {
		ok(0, "schema: %s", sqlite3_errmsg(db));
		return;
	}
	for (i = 0; i < sizeof conds / sizeof conds[0]; i++) {
		c = NULL;
		if (!ok(cond_parse(conds[i], &fake_opts, &c, NULL) == 0,
		    "sql: parse %s", conds[i]))
			continue;
		cond_sql(c, &s);
		ok(only_templates(s.where), "sql: templates only: %s", s.where);
		p = plan(&s, &np);
		is_int(np, (int)s.nparams, "sql: parameters: %s", conds[i]);
		cond_sql_clear(&s);
		cond_free(c);
		free(p);
	}

	/* exact texts and parameters */
	cond_parse("sip = 10.0.0.1", NULL, &c, NULL);
	cond_sql(c, &s);
	is_str(s.where, "k.sip IN (SELECT id FROM addrs WHERE ip = ?)",
	    "sql: sip =");
	ok(s.nparams == 1 && s.params[0].blob && s.params[0].len == 4 &&
	    memcmp(s.params[0].b, "\x0a\0\0\x01", 4) == 0, "sql: sip param");
	p = plan(&s, &np);
	ok(strstr(p, "INDEX sqlite_autoindex_flow_keys_1 (sip=?)") != NULL && strstr(p, "SEARCH addrs USING COVERING "
	    "INDEX sqlite_autoindex_addrs_1 (ip=?)") != NULL,
	    "sql: sip = uses the indexes (%s)", p);
	free(p);
	cond_sql_clear(&s);
	cond_free(c);

	cond_parse("dnet = 10.1.2.3/12", NULL, &c, NULL);
	cond_sql(c, &s);
	is_str(s.where, "k.dip IN (SELECT id FROM addrs WHERE ip BETWEEN ? "
	    "AND ? AND length(ip) = ?)", "sql: dnet =");
	ok(s.nparams == 3 && s.params[0].len == 4 && memcmp(s.params[0].b,
	    "\x0a\x00\x00\x00", 4) == 0 && s.params[1].len == 4 &&
	    memcmp(s.params[1].b, "\x0a\x0f\xff\xff", 4) == 0 &&
	    !s.params[2].blob && s.params[2].i == 4, "sql: dnet bounds");
	p = plan(&s, &np);
	ok(strstr(p, "INDEX flow_keys_dip (dip=?)") != NULL &&
	    strstr(p, "SEARCH addrs USING COVERING INDEX "
	    "sqlite_autoindex_addrs_1 (ip>? AND ip<?)") != NULL,
	    "sql: dnet uses the indexes (%s)", p);
	free(p);
	cond_sql_clear(&s);
	cond_free(c);

	cond_parse("snet = 2001:db8::/33", NULL, &c, NULL);
	cond_sql(c, &s);
	ok(s.nparams == 3 && s.params[0].len == 16 && s.params[1].len == 16 &&
	    s.params[1].b[4] == 0x7f && s.params[1].b[5] == 0xff &&
	    s.params[1].b[3] == 0xb8 && s.params[0].b[4] == 0 &&
	    s.params[2].i == 16, "sql: IPv6 network bounds");
	cond_sql_clear(&s);
	cond_free(c);

	cond_parse("(dport = 80 | dport = 443) & proto = tcp", NULL, &c, NULL);
	cond_sql(c, &s);
	is_str(s.where, "(k.dport IN (?, ?) AND k.proto = ?)",
	    "sql: structure");
	ok(s.nparams == 3 && s.params[0].i == 80 && s.params[1].i == 443 &&
	    s.params[2].i == 6, "sql: values in order");
	p = plan(&s, &np);
	ok(strstr(p, "flow_keys_proto_dport") != NULL, "sql: proto index (%s)",
	    p);
	free(p);
	cond_sql_clear(&s);
	cond_free(c);

	cond_sql(NULL, &s);
	is_str(s.where, "1", "sql: no condition");
	cond_sql_clear(&s);
}

static void
test_match(void)
{
	struct cond_key	 k;
	struct cond	*c;

	memset(&k, 0, sizeof k);
	k.alen = 4;
	memcpy(k.sip, "\x0a\x0f\x01\x02", 4);
	memcpy(k.dip, "\xc0\xa8\x01\x01", 4);
	k.dport = 443;
	k.proto = 6;
	cond_parse("snet = 10.0.0.0/12 & dport >= 443 & proto = tcp", NULL,
	    &c, NULL);
	ok(cond_match(c, &k), "match: snet /12");
	cond_free(c);
	cond_parse("snet = 10.16.0.0/12", NULL, &c, NULL);
	ok(!cond_match(c, &k), "match: outside /12");
	cond_free(c);
	cond_parse("snet != 10.16.0.0/12 & dip = 192.168.1.1", NULL, &c, NULL);
	ok(cond_match(c, &k), "match: != net and dip");
	cond_free(c);
	cond_parse("dnet = ::/0", NULL, &c, NULL);
	ok(!cond_match(c, &k), "match: an IPv4 key is in no IPv6 network");
	cond_free(c);
	cond_parse("! (dport < 443 | vlan > 0)", NULL, &c, NULL);
	ok(cond_match(c, &k), "match: negated group");
	cond_free(c);
}

/* ------------------------------------------------------------ size */

/* Keys to select from: every combination of a few values of each field. */
#define NKEYS	(8 * 4 * 3 * 6)
static struct cond_key keys[NKEYS];

static void
size_setup(void)
{
	static const uint16_t ports[] = { 0, 1, 22, 80, 443, 1024, 8080,
	    65535 };
	static const uint8_t protos[] = { 1, 6, 17, 132 };
	static const uint16_t vlans[] = { 0, 7, 4095 };
	sqlite3_stmt	*st;
	size_t		 i = 0, a, b, c, d;
	int		 id;

	sqlite3_exec(db, "DELETE FROM flow_keys; DELETE FROM addrs", NULL,
	    NULL, NULL);
	for (a = 0; a < 8; a++)
	for (b = 0; b < 4; b++)
	for (c = 0; c < 3; c++)
	for (d = 0; d < 6; d++, i++) {
		memset(&keys[i], 0, sizeof keys[i]);
		keys[i].alen = d < 4 ? 4 : 16;
		if (d < 4) {
			memcpy(keys[i].sip, "\x0a\x00\x00\x00", 4);
			keys[i].sip[3] = (uint8_t)d;
			memcpy(keys[i].dip, "\xc0\x00\x02\x00", 4);
			keys[i].dip[3] = (uint8_t)(a + d);
		} else {
			memcpy(keys[i].sip, "\x20\x01\x0d\xb8", 4);
			keys[i].sip[15] = (uint8_t)d;
			memcpy(keys[i].dip, "\x20\x01\x0d\xb8", 4);
			keys[i].dip[15] = (uint8_t)(a + 100);
		}
		keys[i].dport = ports[a];
		keys[i].proto = protos[b];
		keys[i].vlan = vlans[c];
		for (id = 0; id < 2; id++) {
			sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO addrs "
			    "(ip, text) VALUES (?1, hex(?1))", -1, &st, NULL);
			sqlite3_bind_blob(st, 1, id ? keys[i].dip : keys[i].sip,
			    keys[i].alen, SQLITE_STATIC);
			sqlite3_step(st);
			sqlite3_finalize(st);
		}
		sqlite3_prepare_v2(db, "INSERT INTO flow_keys (id, sip, dip, "
		    "dport, proto, vlan) VALUES (?1, (SELECT id FROM addrs "
		    "WHERE ip = ?2), (SELECT id FROM addrs WHERE ip = ?3), ?4, "
		    "?5, ?6)", -1, &st, NULL);
		sqlite3_bind_int(st, 1, (int)i + 1);
		sqlite3_bind_blob(st, 2, keys[i].sip, keys[i].alen,
		    SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, keys[i].dip, keys[i].alen,
		    SQLITE_STATIC);
		sqlite3_bind_int(st, 4, keys[i].dport);
		sqlite3_bind_int(st, 5, keys[i].proto);
		sqlite3_bind_int(st, 6, keys[i].vlan);
		if (sqlite3_step(st) != SQLITE_DONE)
			printf("# insert: %s\n", sqlite3_errmsg(db));
		sqlite3_finalize(st);
	}
}

/*
 * Does text parse, and does its SQL run inside the most nested statement
 * qexec.c makes (a rollup seek: a CTE around it, three joins), selecting
 * exactly the keys cond_match() selects?
 */
static int
size_runs(const char *text, const char *what)
{
	struct cond	*c = NULL;
	struct cond_sql	 s;
	sqlite3_stmt	*st;
	char		*sql, *cause = NULL;
	size_t		 i, n = 0, want = 0;
	int		 rc, good = 1;
	static int	 sel[NKEYS + 1];

	if (cond_parse(text, &fake_opts, &c, &cause) != 0) {
		printf("# %s: %.200s\n", what, cause);
		free(cause);
		return 0;
	}
	cond_sql(c, &s);
	if (!only_templates(s.where)) {
		printf("# %s: not made of the templates\n", what);
		good = 0;
	}
	sql = sqlite3_mprintf("WITH m(id) AS MATERIALIZED (SELECT k.id FROM "
	    "flow_keys AS k WHERE %s) SELECT m.id FROM rollups AS b CROSS "
	    "JOIN m CROSS JOIN flow_rows_1h AS r WHERE b.span = 3600 AND "
	    "b.ts > ? AND b.ts <= ? AND b.rows >= 0 AND r.ts = b.ts AND "
	    "r.key = m.id UNION ALL SELECT id FROM m", s.where);
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK) {
		printf("# %s: %s\n", what, sqlite3_errmsg(db));
		cond_sql_clear(&s);
		cond_free(c);
		return 0;
	}
	for (i = 0; i < s.nparams; i++) {
		if (s.params[i].blob)
			sqlite3_bind_blob(st, (int)i + 1, s.params[i].b,
			    (int)s.params[i].len, SQLITE_STATIC);
		else
			sqlite3_bind_int64(st, (int)i + 1, s.params[i].i);
	}
	sqlite3_bind_int64(st, (int)s.nparams + 1, 0);
	sqlite3_bind_int64(st, (int)s.nparams + 2, 1);
	memset(sel, 0, sizeof sel);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int id = sqlite3_column_int(st, 0);

		if (id >= 1 && id <= NKEYS)
			sel[id] = 1;
		n++;
	}
	if (rc != SQLITE_DONE) {
		printf("# %s: step: %s\n", what, sqlite3_errmsg(db));
		good = 0;
	}
	sqlite3_finalize(st);
	for (i = 0; i < NKEYS; i++) {
		want += (size_t)cond_match(c, &keys[i]);
		if (sel[i + 1] != cond_match(c, &keys[i])) {
			printf("# %s: key %zu: SQL %d, cond_match %d\n", what,
			    i + 1, sel[i + 1], cond_match(c, &keys[i]));
			good = 0;
			break;
		}
	}
	if (good)
		printf("# %s: %zu of %d keys, %zu values, %zu bytes of SQL\n",
		    what, want, NKEYS, s.nparams, strlen(s.where));
	cond_sql_clear(&s);
	cond_free(c);
	return good && n == want;
}

/* A growing text. */
struct text {
	char	*s;
	size_t	 len, cap;
};

static void
text_add(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
text_add(struct text *t, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (t->len + (size_t)n + 1 > t->cap) {
		t->cap = (t->len + (size_t)n + 1) * 2;
		if ((t->s = realloc(t->s, t->cap)) == NULL)
			abort();
	}
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

/*
 * Comparison i of several kinds: of values the keys rarely have, every
 * 29th one a value they do; = (eq) or != (to be selective in a list of
 * | or of &).
 */
static void
text_term(struct text *t, size_t i, int eq)
{
	static const char *const ports[] = { "0", "1", "22", "80", "443",
	    "1024", "8080", "65535" };
	const char	*op = eq ? "=" : "!=";
	int		 hit = i % 29 == 0;

	switch (i % 6) {
	case 0:
		if (hit)
			text_add(t, "dport %s %s", op, ports[(i / 29) % 8]);
		else
			text_add(t, "dport %s %zu", op, 2000 + i % 60000);
		break;
	case 1:
		text_add(t, "sip %s 10.%d.%zu.%zu", op, hit ? 0 : 1,
		    (i / 256) % 256, hit ? (i / 29) % 4 : i % 256);
		break;
	case 2:
		text_add(t, "proto %s %zu", op, hit ? 17 : 50 + i % 40);
		break;
	case 3:
		text_add(t, "dnet %s 192.0.%d.%zu/31", op, hit ? 2 : 3, i % 250);
		break;
	case 4:
		text_add(t, "vlan %s %zu", op, hit ? 7 : 100 + i % 3000);
		break;
	default:
		text_add(t, "%s %s 2001:db8::%zx", hit ? "dip" : "sip", op,
		    hit ? 100 + (i / 29) % 9 : 0x1000 + i);
		break;
	}
}

static void
test_size(void)
{
	struct text	 t = { NULL, 0, 0 };
	char		*m = NULL;
	size_t		 i, j, depth;

	size_setup();

	/* the issue's: 32 ports */
	for (i = 0; i < 32; i++)
		text_add(&t, "%sdport = %zu", i ? " | " : "", i);
	ok(size_runs(t.s, "32 ports"), "size: a chain of 32 ports runs");
	t.len = 0;

	/* COND_MAX_TERMS of every kind, in one chain of each operator */
	for (j = 0; j < 2; j++) {
		t.len = 0;
		for (i = 0; i < COND_MAX_TERMS; i++) {
			if (i > 0)
				text_add(&t, j ? " & " : " | ");
			text_term(&t, i, !j);
		}
		ok(size_runs(t.s, j ? "and chain" : "or chain"),
		    "size: %d comparisons in one %s chain run", COND_MAX_TERMS,
		    j ? "&" : "|");
	}

	/* a chain of pairs: one wide list of nested lists */
	t.len = 0;
	for (i = 0; i < COND_MAX_TERMS / 2; i++)
		text_add(&t, "%s(dport = %zu & proto = %s)", i ? " | " : "",
		    i % 70000 % 65536, i % 2 ? "udp" : "tcp");
	ok(size_runs(t.s, "pairs"), "size: %d pairs in a chain run",
	    COND_MAX_TERMS / 2);

	/* brackets as deep as they go, alternating, on either side */
	for (j = 0; j < 2; j++) {
		t.len = 0;
		depth = COND_MAX_DEPTH;
		for (i = 0; i < depth; i++) {
			if (j)
				text_add(&t, "(");
			else {
				text_term(&t, i * 29, i % 2);
				text_add(&t, " %s (", i % 2 ? "|" : "&");
			}
		}
		text_term(&t, depth, 1);
		for (i = 0; i < depth; i++) {
			if (j) {
				text_add(&t, " %s ", i % 2 ? "|" : "&");
				text_term(&t, i * 29, i % 2);
			}
			text_add(&t, ")");
		}
		ok(size_runs(t.s, j ? "deep left" : "deep right"),
		    "size: brackets %zu deep, alternating, nested %s, run",
		    depth, j ? "left" : "right");
	}

	/* deep and wide at once: each of 40 levels a list of 240 */
	t.len = 0;
	for (i = 0; i < 40; i++) {
		text_add(&t, "(");
		for (j = 0; j < 240; j++) {
			text_term(&t, i * 240 + j, i % 2);
			text_add(&t, " %s ", i % 2 ? "|" : "&");
		}
	}
	text_add(&t, "dport = 80");
	for (i = 0; i < 40; i++)
		text_add(&t, ")");
	ok(size_runs(t.s, "deep and wide"), "size: 40 levels of 240 run");

	/* negations down to the leaves, the host name twice per side */
	t.len = 0;
	for (i = 0; i < 90; i++)
		text_add(&t, "!(host = example.test | ");
	text_add(&t, "net = 10.0.0.0/30");
	for (i = 0; i < 90; i++)
		text_add(&t, ")");
	ok(size_runs(t.s, "negations"), "size: 90 negated host names run");

	/* one past the limit: the caret is at the first comparison beyond */
	t.len = 0;
	for (i = 0; i <= COND_MAX_TERMS; i++)
		text_add(&t, "%sdport = 1", i ? " | " : "");
	is_int(caret(t.s, &m), (int)(COND_MAX_TERMS * 12), "size: caret at "
	    "the comparison past %d", COND_MAX_TERMS);
	ok(m != NULL && strstr(m, "condition too long: more than 10000 "
	    "comparisons") != NULL, "size: message (%s)", m ? m : "");
	free(m);
	m = NULL;
	/* ... also when host expands past it */
	t.len = 0;
	for (i = 0; i < COND_MAX_TERMS / 4; i++)
		text_add(&t, "%sdport = 1", i ? " | " : "");
	for (i = 0; i < COND_MAX_TERMS / 4; i++)
		text_add(&t, " | host = example.test");
	ok(caret(t.s, &m) > 0 && m != NULL && strstr(m, "condition too "
	    "long") != NULL, "size: host names count each address (%s)",
	    m ? m : "");
	free(m);
	m = NULL;
	/* brackets one deeper than allowed */
	t.len = 0;
	for (i = 0; i <= COND_MAX_DEPTH + 1; i++)
		text_add(&t, "(");
	text_add(&t, "dport = 1");
	for (i = 0; i <= COND_MAX_DEPTH + 1; i++)
		text_add(&t, ")");
	ok(caret(t.s, &m) == COND_MAX_DEPTH + 1 && m != NULL && strstr(m,
	    "nested too deeply") != NULL, "size: brackets too deep (%s)",
	    m ? m : "");
	free(m);
	free(t.s);
	ok(sqlite3_limit(db, SQLITE_LIMIT_VARIABLE_NUMBER, -1) >=
	    3 * COND_MAX_TERMS + 2, "size: SQLite binds 3 values a comparison");
}

int
main(void)
{
	test_operators();
	test_precedence();
	test_attributes();
	test_resolve();
	test_errors();
	test_sql();
	test_match();
	test_size();
	sqlite3_close(db);
	return tap_done();
}
