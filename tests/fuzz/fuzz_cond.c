/*
 * fuzz_cond.c - libFuzzer target for the condition language (cond.c).
 *
 * Built with -fsanitize=fuzzer as tests/fuzz/fuzz_cond (configure
 * --enable-fuzzing CC=clang) and with tests/fuzz/replay.c as
 * tests/fuzz/replay_cond, which `make check` runs over tests/corpus/cond
 * (tests/integ/flowq_fuzz_cond.sh).
 *
 * Input: the condition text.  Host names resolve (without DNS) to one
 * fixed IPv4 and one IPv6 address.  Besides not crashing, a condition that
 * parses must keep these promises, or the target aborts:
 *  - its WHERE text is made only of cond_sql_templates(), and has exactly
 *    one `?` per bound parameter;
 *  - the text prepares against the schema with that many parameters;
 *  - on a small dictionary of flow keys, SQL selects exactly the keys
 *    that cond_match() accepts (the translation means what it says);
 *  - the canonical form parses again to the same canonical form.
 * A condition that fails must say why, with a caret line.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cond.h"
#include "store.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_fail(const char *what, const char *text)
{
	fprintf(stderr, "fuzz_cond: broken promise: %s (condition '%s')\n",
	    what, text);
	abort();
}

static int
fuzz_resolve(const char *name, int timeout_ms, struct cond_addr **addrs,
    size_t *n, char **err)
{
	struct cond_addr *a;

	(void)name;
	(void)timeout_ms;
	(void)err;
	if ((a = calloc(2, sizeof *a)) == NULL)
		abort();
	a[0].alen = 4;
	memcpy(a[0].addr, "\xc0\x00\x02\x01", 4);
	a[1].alen = 16;
	memcpy(a[1].addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	*addrs = a;
	*n = 2;
	return 0;
}

/* A few flow keys over addresses of both families. */
static const struct {
	const char	*sip, *dip;
	uint16_t	 dport;
	uint8_t		 proto;
	uint16_t	 vlan;
} fuzz_keys[] = {
	{ "192.0.2.1", "10.0.0.1", 80, 6, 0 },
	{ "10.0.0.1", "192.0.2.1", 53, 17, 5 },
	{ "10.1.2.3", "10.200.0.9", 0, 1, 4095 },
	{ "172.16.5.4", "8.8.8.8", 443, 6, 1 },
	{ "2001:db8::1", "2001:db8::53", 53, 17, 0 },
	{ "fe80::1", "ff02::1", 0, 58, 7 },
	{ "::ffff:10.0.0.1", "::", 65535, 132, 100 },
	{ "0.0.0.0", "255.255.255.255", 22, 6, 0 },
};
#define FUZZ_NKEYS (sizeof fuzz_keys / sizeof fuzz_keys[0])

static sqlite3		*fuzz_db;
static struct cond_key	 fuzz_ckeys[FUZZ_NKEYS];

static void
fuzz_setup(void)
{
	sqlite3_stmt	*st;
	size_t		 i, s;
	int		 len, id[2];
	uint8_t		 ip[16];
	const char	*text;

	if (sqlite3_open(":memory:", &fuzz_db) != SQLITE_OK ||
	    sqlite3_exec(fuzz_db, store_schema_sql, NULL, NULL, NULL) !=
	    SQLITE_OK)
		abort();
	for (i = 0; i < FUZZ_NKEYS; i++) {
		for (s = 0; s < 2; s++) {
			text = s == 0 ? fuzz_keys[i].sip : fuzz_keys[i].dip;
			len = strchr(text, ':') != NULL ? 16 : 4;
			if (inet_pton(len == 4 ? AF_INET : AF_INET6, text, ip) !=
			    1)
				abort();
			sqlite3_prepare_v2(fuzz_db, "INSERT OR IGNORE INTO addrs "
			    "(ip, text) VALUES (?, ?)", -1, &st, NULL);
			sqlite3_bind_blob(st, 1, ip, len, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
			sqlite3_step(st);
			sqlite3_finalize(st);
			sqlite3_prepare_v2(fuzz_db, "SELECT id FROM addrs WHERE "
			    "ip = ?", -1, &st, NULL);
			sqlite3_bind_blob(st, 1, ip, len, SQLITE_TRANSIENT);
			if (sqlite3_step(st) != SQLITE_ROW)
				abort();
			id[s] = sqlite3_column_int(st, 0);
			sqlite3_finalize(st);
			fuzz_ckeys[i].alen = (uint8_t)len;
			memcpy(s == 0 ? fuzz_ckeys[i].sip : fuzz_ckeys[i].dip,
			    ip, (size_t)len);
		}
		fuzz_ckeys[i].dport = fuzz_keys[i].dport;
		fuzz_ckeys[i].proto = fuzz_keys[i].proto;
		fuzz_ckeys[i].vlan = fuzz_keys[i].vlan;
		sqlite3_prepare_v2(fuzz_db, "INSERT INTO flow_keys (id, sip, dip, "
		    "dport, proto, vlan) VALUES (?, ?, ?, ?, ?, ?)", -1, &st,
		    NULL);
		sqlite3_bind_int(st, 1, (int)i + 1);
		sqlite3_bind_int(st, 2, id[0]);
		sqlite3_bind_int(st, 3, id[1]);
		sqlite3_bind_int(st, 4, fuzz_keys[i].dport);
		sqlite3_bind_int(st, 5, fuzz_keys[i].proto);
		sqlite3_bind_int(st, 6, fuzz_keys[i].vlan);
		if (sqlite3_step(st) != SQLITE_DONE)
			abort();
		sqlite3_finalize(st);
	}
}

/* 1 if sql is a sequence of the fixed templates. */
static int
fuzz_only_templates(const char *sql)
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

static void
fuzz_check_sql(const struct cond *c, const char *text)
{
	struct cond_sql	 s;
	sqlite3_stmt	*st;
	char		*sql;
	const char	*p;
	size_t		 i, marks = 0;
	int		 rc, selected[FUZZ_NKEYS + 1];

	cond_sql(c, &s);
	if (!fuzz_only_templates(s.where))
		fuzz_fail("SQL not made of the templates", text);
	for (p = s.where; *p != '\0'; p++)
		marks += *p == '?';
	if (marks != s.nparams)
		fuzz_fail("parameter count differs from the placeholders", text);
	sql = sqlite3_mprintf("SELECT k.id FROM flow_keys AS k WHERE %s",
	    s.where);
	rc = sqlite3_prepare_v2(fuzz_db, sql, -1, &st, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		fuzz_fail("SQL does not prepare", text);
	if ((size_t)sqlite3_bind_parameter_count(st) != s.nparams)
		fuzz_fail("SQLite counts other parameters", text);
	for (i = 0; i < s.nparams; i++) {
		if (s.params[i].blob)
			sqlite3_bind_blob(st, (int)i + 1, s.params[i].b,
			    (int)s.params[i].len, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(st, (int)i + 1, s.params[i].i);
	}
	memset(selected, 0, sizeof selected);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int id = sqlite3_column_int(st, 0);

		if (id < 1 || id > (int)FUZZ_NKEYS)
			fuzz_fail("SQL selected an unknown key", text);
		selected[id] = 1;
	}
	if (rc != SQLITE_DONE)
		fuzz_fail("SQL failed to run", text);
	sqlite3_finalize(st);
	for (i = 0; i < FUZZ_NKEYS; i++) {
		if (selected[i + 1] != cond_match(c, &fuzz_ckeys[i]))
			fuzz_fail("SQL and cond_match() disagree", text);
	}
	cond_sql_clear(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cond_options opts = { fuzz_resolve, 100 };
	struct cond	*c = NULL, *again = NULL;
	char		*text, *cause = NULL;

	if (fuzz_db == NULL)
		fuzz_setup();
	if (size > 4096)
		return 0;
	if ((text = malloc(size + 1)) == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (cond_parse(text, &opts, &c, &cause) != 0) {
		if (cause == NULL || strstr(cause, "invalid condition: ") !=
		    cause || strchr(cause, '^') == NULL)
			fuzz_fail("an error without its message", text);
		free(cause);
		free(text);
		return 0;
	}
	if (c != NULL) {
		fuzz_check_sql(c, text);
		if (cond_parse(c->canonical, &opts, &again, &cause) != 0 ||
		    again == NULL || strcmp(again->canonical, c->canonical) != 0)
			fuzz_fail("the canonical form does not parse to itself",
			    text);
		cond_free(again);
	}
	cond_free(c);
	free(text);
	return 0;
}
