/*
 * conf.c - load and check flowrecd.yaml (see conf.h, flowrecd.yaml(5)).
 *
 * Three steps:
 *  1. A libyaml event pass (libcyaml's own parser) over the file records
 *     the line of every key ("interfaces.eth0.ring.block_size" -> 12),
 *     refuses duplicate keys, and rewrites the `interfaces` map (name ->
 *     settings) into the sequence of mappings with a `name` field that a
 *     libcyaml schema can describe.
 *  2. libcyaml loads the rewritten document against the schema below: it
 *     refuses unknown keys and values of the wrong type.  Its error
 *     backtrace is turned back into the key path, so the message names the
 *     key and, through the index of step 1, the line in the user's file.
 *  3. The key table (conf_keys[]: name, type, bounds, default, help) fills
 *     in defaults for absent keys and checks the bounds; a few cross-key
 *     rules follow (interval divides a day, block_size a power of two and
 *     a multiple of the page size, a frame fits in a block).
 * Every error is one message "FILE:LINE: key 'KEY': why".
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cyaml/cyaml.h>
#include <yaml.h>

#include "conf.h"
#include "util.h"

#define CONF_MAX_FILE	(1024 * 1024)
#define CONF_MAX_DEPTH	16

/* ------------------------------------------------- what libcyaml loads */

struct raw_ring {
	uint32_t	 block_size;
	uint32_t	 block_count;
	uint32_t	 retire_ms;
};

struct raw_iface {
	char		*name;
	bool		 enabled;
	bool		 promisc;
	uint32_t	 snaplen;
	uint32_t	 max_flows;
	struct raw_ring	*ring;
};

struct raw_log {
	char		*level;
	char		*target;
};

struct raw_conf {
	char		*db_path;
	uint32_t	 interval;
	uint32_t	 queue_rows;
	struct raw_log	*log;
	struct raw_iface *interfaces;
	unsigned	 interfaces_count;
};

static const cyaml_schema_field_t ring_fields[] = {
	CYAML_FIELD_UINT("block_size", CYAML_FLAG_OPTIONAL,
	    struct raw_ring, block_size),
	CYAML_FIELD_UINT("block_count", CYAML_FLAG_OPTIONAL,
	    struct raw_ring, block_count),
	CYAML_FIELD_UINT("retire_ms", CYAML_FLAG_OPTIONAL,
	    struct raw_ring, retire_ms),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t iface_fields[] = {
	CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER,
	    struct raw_iface, name, 0, 255),
	CYAML_FIELD_BOOL("enabled", CYAML_FLAG_OPTIONAL,
	    struct raw_iface, enabled),
	CYAML_FIELD_BOOL("promisc", CYAML_FLAG_OPTIONAL,
	    struct raw_iface, promisc),
	CYAML_FIELD_UINT("snaplen", CYAML_FLAG_OPTIONAL,
	    struct raw_iface, snaplen),
	CYAML_FIELD_UINT("max_flows", CYAML_FLAG_OPTIONAL,
	    struct raw_iface, max_flows),
	CYAML_FIELD_MAPPING_PTR("ring", CYAML_FLAG_POINTER |
	    CYAML_FLAG_OPTIONAL, struct raw_iface, ring, ring_fields),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t iface_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_iface, iface_fields),
};

static const cyaml_schema_field_t log_fields[] = {
	CYAML_FIELD_STRING_PTR("level", CYAML_FLAG_POINTER |
	    CYAML_FLAG_OPTIONAL, struct raw_log, level, 0, 32),
	CYAML_FIELD_STRING_PTR("target", CYAML_FLAG_POINTER |
	    CYAML_FLAG_OPTIONAL, struct raw_log, target, 0, 32),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t top_fields[] = {
	CYAML_FIELD_STRING_PTR("db_path", CYAML_FLAG_POINTER |
	    CYAML_FLAG_OPTIONAL, struct raw_conf, db_path, 0, 4096),
	CYAML_FIELD_UINT("interval", CYAML_FLAG_OPTIONAL,
	    struct raw_conf, interval),
	CYAML_FIELD_UINT("queue_rows", CYAML_FLAG_OPTIONAL,
	    struct raw_conf, queue_rows),
	CYAML_FIELD_MAPPING_PTR("log", CYAML_FLAG_POINTER |
	    CYAML_FLAG_OPTIONAL, struct raw_conf, log, log_fields),
	CYAML_FIELD_SEQUENCE("interfaces", CYAML_FLAG_POINTER |
	    CYAML_FLAG_OPTIONAL, struct raw_conf, interfaces, &iface_schema,
	    0, CYAML_UNLIMITED),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t top_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct raw_conf, top_fields),
};

/* ------------------------------------------------------ the key table */

enum conf_type { CT_UINT, CT_BOOL, CT_STRING, CT_CHOICE };
enum conf_scope { CS_TOP, CS_LOG, CS_IFACE, CS_RING };

struct conf_key {
	const char	*name;		/* within its scope */
	enum conf_scope	 scope;
	enum conf_type	 type;
	size_t		 offset;	/* in the raw struct of its scope */
	uint64_t	 min, max;	/* CT_UINT */
	uint64_t	 def;		/* CT_UINT, CT_BOOL */
	const char	*def_str;	/* CT_STRING, CT_CHOICE */
	const char	*choices;	/* CT_CHOICE: "a|b|c" */
	const char	*help;
};

#define K_UINT(n, sc, st, f, lo, hi, d, h) \
	{ n, sc, CT_UINT, offsetof(st, f), lo, hi, d, NULL, NULL, h }
#define K_BOOL(n, sc, st, f, d, h) \
	{ n, sc, CT_BOOL, offsetof(st, f), 0, 1, d, NULL, NULL, h }
#define K_STR(n, sc, st, f, d, h) \
	{ n, sc, CT_STRING, offsetof(st, f), 0, 0, 0, d, NULL, h }
#define K_CHOICE(n, sc, st, f, d, c, h) \
	{ n, sc, CT_CHOICE, offsetof(st, f), 0, 0, 0, d, c, h }

static const struct conf_key conf_keys[] = {
	K_STR("db_path", CS_TOP, struct raw_conf, db_path,
	    CONF_DEFAULT_DB_PATH, "directory of the per-interface stores"),
	K_UINT("interval", CS_TOP, struct raw_conf, interval, 1, 86400, 300,
	    "time bin length in seconds, a divisor of 86400"),
	K_UINT("queue_rows", CS_TOP, struct raw_conf, queue_rows, 1000,
	    1000000000, 4000000, "flow rows waiting for the store, per "
	    "interface, before the oldest bin is dropped"),
	K_CHOICE("level", CS_LOG, struct raw_log, level, "info",
	    "error|warn|warning|info|debug", "least severe message logged"),
	K_CHOICE("target", CS_LOG, struct raw_log, target, "stderr",
	    "stderr|syslog", "where log messages go"),
	K_BOOL("enabled", CS_IFACE, struct raw_iface, enabled, 1,
	    "record this interface"),
	K_BOOL("promisc", CS_IFACE, struct raw_iface, promisc, 0,
	    "put the interface in promiscuous mode"),
	K_UINT("snaplen", CS_IFACE, struct raw_iface, snaplen, 64, 65535, 192,
	    "bytes of each frame captured; the headers must fit"),
	K_UINT("max_flows", CS_IFACE, struct raw_iface, max_flows, 1024,
	    100000000, 1000000, "flow rows per bin before it is written "
	    "early"),
	K_UINT("block_size", CS_RING, struct raw_ring, block_size, 4096,
	    1u << 30, 1u << 20, "ring block size in bytes, a power of two "
	    "and a multiple of the page size"),
	K_UINT("block_count", CS_RING, struct raw_ring, block_count, 2, 65536,
	    64, "ring blocks"),
	K_UINT("retire_ms", CS_RING, struct raw_ring, retire_ms, 1, 60000,
	    100, "milliseconds before the kernel hands over a partly filled "
	    "block"),
	{ NULL, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL }
};

static const struct conf_key *
conf_key_bool(const char *name)
{
	const struct conf_key *k;

	for (k = conf_keys; k->name != NULL; k++)
		if (k->type == CT_BOOL && strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

/* ------------------------------------------- step 1: the libyaml pass */

struct conf_line {
	char		*path;
	unsigned	 line;
};

struct conf_frame {
	int		 mapping;	/* 1 mapping, 0 sequence */
	int		 want_key;	/* mapping: next scalar is a key */
	char		*path;		/* of this node */
	char		*key;		/* mapping: the current key */
	unsigned	 index;		/* sequence: entries so far */
	int		 is_ifaces;	/* the interfaces map being rewritten */
	char		**keys;		/* keys seen, for duplicates */
	size_t		 nkeys;
};

struct conf_pass {
	const char	*file;
	struct conf_line *lines;
	size_t		 nlines;
	char		**ifnames;	/* interfaces, in sequence order */
	size_t		 nifnames;
	unsigned	 ifaces_line;
	int		 root;		/* 0 empty, 1 mapping, 2 anything else */
	unsigned char	*out;		/* the rewritten document */
	size_t		 outlen, outcap;
	char		*cause;
};

static int
conf_write_cb(void *arg, unsigned char *buf, size_t size)
{
	struct conf_pass *p = arg;

	if (p->outlen + size > p->outcap) {
		p->outcap = (p->outlen + size) * 2;
		p->out = realloc(p->out, p->outcap);
		if (p->out == NULL)
			abort();
	}
	memcpy(p->out + p->outlen, buf, size);
	p->outlen += size;
	return 1;
}

static void
conf_add_line(struct conf_pass *p, const char *path, unsigned line)
{
	p->lines = realloc(p->lines, (p->nlines + 1) * sizeof *p->lines);
	if (p->lines == NULL)
		abort();
	p->lines[p->nlines].path = util_strdup(path);
	p->lines[p->nlines].line = line;
	p->nlines++;
}

/* The line of path, or of its nearest recorded parent; 0 if none. */
static unsigned
conf_line_of(const struct conf_pass *p, const char *path)
{
	char *copy = util_strdup(path), *dot;
	unsigned line = 0;
	size_t i;

	for (;;) {
		for (i = 0; i < p->nlines; i++)
			if (strcmp(p->lines[i].path, copy) == 0) {
				line = p->lines[i].line;
				break;
			}
		if (line != 0 || (dot = strrchr(copy, '.')) == NULL)
			break;
		*dot = '\0';
	}
	free(copy);
	return line;
}

static int
conf_has(const struct conf_pass *p, const char *path)
{
	size_t i;

	for (i = 0; i < p->nlines; i++)
		if (strcmp(p->lines[i].path, path) == 0)
			return 1;
	return 0;
}

static char *
conf_join(const char *a, const char *b)
{
	if (a == NULL || *a == '\0')
		return util_strdup(b);
	return util_printf("%s.%s", a, b);
}

static void
conf_emit_scalar(yaml_emitter_t *em, const char *s)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
	    (int)strlen(s), 1, 1, YAML_ANY_SCALAR_STYLE);
	yaml_emitter_emit(em, &ev);
}

static int
conf_pass_fail(struct conf_pass *p, unsigned line, const char *key,
    const char *fmt, ...) UTIL_PRINTF(4, 5);

static int
conf_pass_fail(struct conf_pass *p, unsigned line, const char *key,
    const char *fmt, ...)
{
	va_list ap;
	char *why;

	va_start(ap, fmt);
	why = util_vprintf(fmt, ap);
	va_end(ap);
	free(p->cause);
	if (key != NULL)
		p->cause = util_printf("%s:%u: key '%s': %s", p->file, line,
		    key, why);
	else
		p->cause = util_printf("%s:%u: %s", p->file, line, why);
	free(why);
	return -EINVAL;
}

static void
conf_frame_free(struct conf_frame *f)
{
	size_t i;

	for (i = 0; i < f->nkeys; i++)
		free(f->keys[i]);
	free(f->keys);
	free(f->path);
	free(f->key);
	memset(f, 0, sizeof *f);
}

/* Is this scalar a YAML null (an interface listed with no settings)? */
static int
conf_is_null(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.quoted_implicit && !ev->data.scalar.plain_implicit)
		return 0;
	return *v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static const struct conf_key *conf_key_bool(const char *);

/* A value for a boolean key must be one libcyaml reads as one. */
static int
conf_bool_ok(const char *path, const char *v)
{
	static const char *words[] = { "true", "false", "yes", "no", "on",
	    "off", "enable", "disable", "1", "0" };
	const char *last = strrchr(path, '.');
	size_t i;

	if (conf_key_bool(last ? last + 1 : path) == NULL)
		return 1;
	if (strncmp(path, "interfaces.", 11) != 0)
		return 1;
	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcasecmp(v, words[i]) == 0)
			return 1;
	return 0;
}

static void
conf_advance(struct conf_frame *f)
{
	if (f->mapping)
		f->want_key = 1;
	else
		f->index++;
}

static int
conf_pass_run(struct conf_pass *p, const unsigned char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_emitter_t em;
	yaml_event_t ev;
	struct conf_frame st[CONF_MAX_DEPTH];
	int depth = 0, done = 0, rc = 0, rewrite_close;
	unsigned line;
	struct conf_frame *top;
	char *path, *name;
	size_t i;

	memset(st, 0, sizeof st);
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, text, len);
	yaml_emitter_initialize(&em);
	yaml_emitter_set_output(&em, conf_write_cb, p);
	yaml_emitter_set_unicode(&em, 1);

	while (!done && rc == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = conf_pass_fail(p, (unsigned)
			    parser.problem_mark.line + 1, NULL,
			    "YAML syntax: %s", parser.problem ?
			    parser.problem : "error");
			break;
		}
		line = (unsigned)ev.start_mark.line + 1;
		top = depth > 0 ? &st[depth - 1] : NULL;

		/* Where this node sits: a key, a value, a sequence entry. */
		path = NULL;
		if (top != NULL && top->mapping && !top->want_key)
			path = conf_join(top->path, top->key);
		else if (top != NULL && !top->mapping)
			path = util_printf("%s.%u", top->path, top->index);

		if (top == NULL && (ev.type == YAML_SCALAR_EVENT ||
		    ev.type == YAML_SEQUENCE_START_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT)) {
			if (ev.type == YAML_MAPPING_START_EVENT)
				p->root = 1;
			else if (ev.type != YAML_SCALAR_EVENT ||
			    !conf_is_null(&ev)) {
				rc = conf_pass_fail(p, line, NULL, "expected a "
				    "mapping, got %s", ev.type ==
				    YAML_SCALAR_EVENT ? "a single value" :
				    "a list");
				free(path);
				yaml_event_delete(&ev);
				break;
			}
		}
		if (depth == 1 && top->mapping && !top->want_key &&
		    strcmp(top->key, "interfaces") == 0 &&
		    ev.type != YAML_MAPPING_START_EVENT) {
			if (ev.type == YAML_SCALAR_EVENT && conf_is_null(&ev)) {
				/* "interfaces:" alone: none. */
				yaml_event_t e2;

				yaml_sequence_start_event_initialize(&e2, NULL,
				    NULL, 1, YAML_FLOW_SEQUENCE_STYLE);
				yaml_emitter_emit(&em, &e2);
				yaml_sequence_end_event_initialize(&e2);
				yaml_emitter_emit(&em, &e2);
				yaml_event_delete(&ev);
				free(path);
				conf_advance(top);
				continue;
			}
			rc = conf_pass_fail(p, line, "interfaces", "expected a "
			    "mapping, got %s", ev.type == YAML_SCALAR_EVENT ?
			    "a single value" : "a list");
			free(path);
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_SCALAR_EVENT && top != NULL &&
		    top->mapping && !top->want_key && path != NULL &&
		    !conf_bool_ok(path, (const char *)ev.data.scalar.value)) {
			rc = conf_pass_fail(p, line, path, "'%s' is not true or "
			    "false", (const char *)ev.data.scalar.value);
			free(path);
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_SCALAR_EVENT && top != NULL &&
		    top->mapping && top->want_key) {
			name = (char *)ev.data.scalar.value;
			path = conf_join(top->path, name);
			if (depth == 3 && st[1].is_ifaces &&
			    strcmp(name, "name") == 0) {
				/* The map key is the name; "name" is ours. */
				rc = conf_pass_fail(p, line, path,
				    "unknown key");
				free(path);
				yaml_event_delete(&ev);
				break;
			}
			for (i = 0; i < top->nkeys; i++)
				if (strcmp(top->keys[i], name) == 0)
					break;
			if (i < top->nkeys) {
				rc = conf_pass_fail(p, line, path,
				    "given twice (first on line %u)",
				    conf_line_of(p, path));
				free(path);
				yaml_event_delete(&ev);
				break;
			}
			top->keys = realloc(top->keys, (top->nkeys + 1) *
			    sizeof *top->keys);
			top->keys[top->nkeys++] = util_strdup(name);
			conf_add_line(p, path, line);
			free(top->key);
			top->key = util_strdup(name);
			top->want_key = 0;
			free(path);
			if (top->is_ifaces) {
				/* "eth0:" becomes "- name: eth0" ... */
				p->ifnames = realloc(p->ifnames,
				    (p->nifnames + 1) * sizeof *p->ifnames);
				p->ifnames[p->nifnames++] = util_strdup(name);
				yaml_event_delete(&ev);
				continue;
			}
			yaml_emitter_emit(&em, &ev);
			continue;
		}

		/* A value: the interface settings of the rewritten map. */
		if (top != NULL && top->is_ifaces && !top->want_key &&
		    ev.type != YAML_MAPPING_END_EVENT) {
			top->want_key = 1;
			if (ev.type == YAML_MAPPING_START_EVENT) {
				yaml_emitter_emit(&em, &ev);
				conf_emit_scalar(&em, "name");
				conf_emit_scalar(&em, top->key);
				/* The settings are a mapping under path. */
				if (depth == CONF_MAX_DEPTH) {
					rc = conf_pass_fail(p, line, path,
					    "nested too deeply");
					free(path);
					break;
				}
				memset(&st[depth], 0, sizeof st[depth]);
				st[depth].mapping = 1;
				st[depth].want_key = 1;
				st[depth].path = path;
				depth++;
				continue;
			}
			if (ev.type == YAML_SCALAR_EVENT && conf_is_null(&ev)) {
				yaml_event_t e2;

				yaml_mapping_start_event_initialize(&e2, NULL,
				    NULL, 1, YAML_BLOCK_MAPPING_STYLE);
				yaml_emitter_emit(&em, &e2);
				conf_emit_scalar(&em, "name");
				conf_emit_scalar(&em, top->key);
				yaml_mapping_end_event_initialize(&e2);
				yaml_emitter_emit(&em, &e2);
				yaml_event_delete(&ev);
				free(path);
				continue;
			}
			rc = conf_pass_fail(p, line, path, "must be a mapping "
			    "of interface settings");
			free(path);
			yaml_event_delete(&ev);
			break;
		}

		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_SCALAR_EVENT:
		case YAML_ALIAS_EVENT:
			if (top != NULL)
				conf_advance(top);
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (depth == CONF_MAX_DEPTH) {
				rc = conf_pass_fail(p, line, path,
				    "nested too deeply");
				free(path);
				yaml_event_delete(&ev);
				continue;
			}
			/* The parent moves on past this node now. */
			if (top != NULL)
				conf_advance(top);
			memset(&st[depth], 0, sizeof st[depth]);
			st[depth].mapping = ev.type == YAML_MAPPING_START_EVENT;
			st[depth].want_key = 1;
			st[depth].path = path ? path : util_strdup("");
			path = NULL;
			if (depth == 1 && st[depth].mapping &&
			    strcmp(st[depth].path, "interfaces") == 0) {
				/* The map becomes a sequence. */
				yaml_event_t e2;

				st[depth].is_ifaces = 1;
				p->ifaces_line = line;
				yaml_sequence_start_event_initialize(&e2, NULL,
				    NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
				yaml_event_delete(&ev);
				yaml_emitter_emit(&em, &e2);
				depth++;
				continue;
			}
			depth++;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			rewrite_close = 0;
			if (depth > 0) {
				rewrite_close = st[depth - 1].is_ifaces;
				conf_frame_free(&st[--depth]);
			}
			if (rewrite_close) {
				yaml_event_t e2;

				yaml_sequence_end_event_initialize(&e2);
				yaml_event_delete(&ev);
				yaml_emitter_emit(&em, &e2);
				goto next;
			}
			break;
		default:
			break;
		}
		free(path);
		path = NULL;
		yaml_emitter_emit(&em, &ev);
	next:
		;
	}
	while (depth > 0)
		conf_frame_free(&st[--depth]);
	yaml_parser_delete(&parser);
	yaml_emitter_delete(&em);
	return rc;
}

/* ------------------------------------------- step 2: libcyaml's errors */

struct conf_cylog {
	char		*first;		/* the problem */
	char		*frames[CONF_MAX_DEPTH];	/* backtrace, innermost first */
	size_t		 nframes;
	int		 in_backtrace;
};

static void
conf_cyaml_log(cyaml_log_t level, void *ctx, const char *fmt, va_list ap)
{
	struct conf_cylog *l = ctx;
	char *msg, *s, *e;

	if (level < CYAML_LOG_ERROR)
		return;
	msg = util_vprintf(fmt, ap);
	if ((e = strchr(msg, '\n')) != NULL)
		*e = '\0';
	s = msg;
	while (*s == ' ')
		s++;
	if (strncmp(s, "Load: ", 6) == 0)
		s += 6;
	if (strcmp(s, "Backtrace:") == 0)
		l->in_backtrace = 1;
	else if (l->in_backtrace) {
		if (l->nframes < CONF_MAX_DEPTH)
			l->frames[l->nframes++] = util_strdup(s);
	} else if (l->first == NULL)
		l->first = util_strdup(s);
	free(msg);
}

/* "in mapping field 'x' (line..." -> x; "in sequence entry '2'" -> #2 */
static char *
conf_cylog_path(const struct conf_cylog *l, const struct conf_pass *p)
{
	char *path = util_strdup(""), *next, *q, *part;
	const char *f;
	size_t i, len;
	unsigned long n;

	for (i = l->nframes; i-- > 0; ) {
		f = l->frames[i];
		part = NULL;
		if (strncmp(f, "in mapping field '", 18) == 0) {
			f += 18;
			len = strcspn(f, "'");
			part = util_printf("%.*s", (int)len, f);
		} else if (strncmp(f, "in sequence entry '", 19) == 0) {
			n = strtoul(f + 19, &q, 10);
			if (strcmp(path, "interfaces") == 0 && n >= 1 &&
			    n <= p->nifnames)
				part = util_strdup(p->ifnames[n - 1]);
			else
				part = util_printf("%lu", n);
		}
		if (part == NULL)
			continue;
		next = conf_join(path, part);
		free(part);
		free(path);
		path = next;
	}
	/* An unknown key is named by the problem itself. */
	if (l->first != NULL && strncmp(l->first, "Unexpected key: ", 16) == 0) {
		next = conf_join(path, l->first + 16);
		free(path);
		path = next;
	}
	return path;
}

/* libcyaml's problem in words a user of flowrecd.yaml reads. */
static char *
conf_cylog_why(const struct conf_cylog *l)
{
	const char *f = l->first ? l->first : "invalid document";
	const char *v;
	static const struct { const char *event, *what; } events[] = {
		{ "SEQUENCE_START", "a list" },
		{ "MAPPING_START", "a mapping" },
		{ "SCALAR", "a single value" },
		{ "ALIAS", "an alias" },
	};
	size_t i;

	if (strncmp(f, "Unexpected key: ", 16) == 0)
		return util_strdup("unknown key");
	if (strncmp(f, "Invalid ", 8) == 0 && (v = strstr(f, " value: ")) !=
	    NULL) {
		if (strncmp(f + 8, "BOOL", 4) == 0)
			return util_printf("%s is not true or false", v + 8);
		if (strncmp(f + 8, "UINT", 4) == 0 ||
		    strncmp(f + 8, "uint", 4) == 0)
			return util_printf("%s is not a whole number >= 0",
			    v + 8);
		return util_printf("invalid value %s", v + 8);
	}
	if (strncmp(f, "Expecting ", 10) == 0 && (v = strstr(f,
	    "got event: ")) != NULL) {
		for (i = 0; i < sizeof events / sizeof events[0]; i++)
			if (strcmp(v + 11, events[i].event) == 0)
				return util_printf("expected %s, got %s",
				    strncmp(f + 10, "MAPPING", 7) == 0 ?
				    "a mapping" : "a single value",
				    events[i].what);
	}
	if (strncmp(f, "Missing required mapping field: ", 32) == 0)
		return util_printf("missing key '%s'", f + 32);
	if (strstr(f, "length < ") != NULL)
		return util_strdup("must not be empty");
	if (strstr(f, "length > ") != NULL)
		return util_strdup("too long");
	return util_strdup(f);
}

/* ------------------------------------------- step 3: the key table */

static void *
conf_scope_base(enum conf_scope sc, struct raw_conf *rc, struct raw_iface *ri)
{
	switch (sc) {
	case CS_TOP:
		return rc;
	case CS_LOG:
		return rc->log;
	case CS_IFACE:
		return ri;
	case CS_RING:
		return ri->ring;
	}
	return NULL;
}

static char *
conf_key_path(const struct conf_key *k, const char *ifname)
{
	switch (k->scope) {
	case CS_TOP:
		return util_strdup(k->name);
	case CS_LOG:
		return util_printf("log.%s", k->name);
	case CS_IFACE:
		return util_printf("interfaces.%s.%s", ifname, k->name);
	case CS_RING:
		return util_printf("interfaces.%s.ring.%s", ifname, k->name);
	}
	return NULL;
}

static int
conf_choice_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *c = choices, *bar;

	for (;;) {
		bar = strchr(c, '|');
		if ((bar ? (size_t)(bar - c) : strlen(c)) == n &&
		    strncmp(c, v, n) == 0)
			return 1;
		if (bar == NULL)
			return 0;
		c = bar + 1;
	}
}

/* Defaults for absent keys, bounds for present ones (one scope). */
static int
conf_check_scope(struct conf_pass *p, enum conf_scope sc, struct raw_conf *rc,
    struct raw_iface *ri)
{
	const struct conf_key *k;
	uint8_t *base = conf_scope_base(sc, rc, ri);
	char *path, **sp;
	uint32_t *up;
	bool *bp;
	int rc2 = 0;

	for (k = conf_keys; k->name != NULL && rc2 == 0; k++) {
		if (k->scope != sc)
			continue;
		path = conf_key_path(k, ri ? ri->name : NULL);
		if (base == NULL || !conf_has(p, path)) {
			/* Absent: the default (the raw struct is zeroed). */
			if (base != NULL) {
				switch (k->type) {
				case CT_UINT:
					*(uint32_t *)(base + k->offset) =
					    (uint32_t)k->def;
					break;
				case CT_BOOL:
					*(bool *)(base + k->offset) = k->def;
					break;
				default:
					sp = (char **)(base + k->offset);
					free(*sp);
					*sp = util_strdup(k->def_str);
				}
			}
			free(path);
			continue;
		}
		switch (k->type) {
		case CT_UINT:
			up = (uint32_t *)(base + k->offset);
			if (*up < k->min || *up > k->max)
				rc2 = conf_pass_fail(p, conf_line_of(p, path),
				    path, "%u is out of range %llu..%llu (%s)",
				    *up, (unsigned long long)k->min,
				    (unsigned long long)k->max, k->help);
			break;
		case CT_BOOL:
			bp = (bool *)(base + k->offset);
			(void)bp;
			break;
		case CT_STRING:
			sp = (char **)(base + k->offset);
			if (*sp == NULL || **sp == '\0')
				rc2 = conf_pass_fail(p, conf_line_of(p, path),
				    path, "must not be empty (%s)", k->help);
			break;
		case CT_CHOICE:
			sp = (char **)(base + k->offset);
			if (*sp == NULL || !conf_choice_ok(k->choices, *sp))
				rc2 = conf_pass_fail(p, conf_line_of(p, path),
				    path, "'%s' is not one of %s", *sp ? *sp :
				    "", k->choices);
			break;
		}
		free(path);
	}
	return rc2;
}

static int
conf_check_iface_name(struct conf_pass *p, const char *name)
{
	char *path = util_printf("interfaces.%s", name);
	size_t i, n = strlen(name);
	int rc = 0;

	if (n == 0 || n > 15)
		rc = conf_pass_fail(p, conf_line_of(p, path), path,
		    "an interface name has 1 to 15 characters");
	else if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		rc = conf_pass_fail(p, conf_line_of(p, path), path,
		    "not an interface name");
	for (i = 0; rc == 0 && i < n; i++)
		if (name[i] == '/' || name[i] == ':' || name[i] <= ' ' ||
		    name[i] == 0x7f)
			rc = conf_pass_fail(p, conf_line_of(p, path), path,
			    "an interface name cannot contain '%c'",
			    name[i] <= ' ' ? ' ' : name[i]);
	free(path);
	return rc;
}

static int
conf_check_rules(struct conf_pass *p, struct raw_conf *rc)
{
	struct raw_iface *ri;
	char *path;
	long page = sysconf(_SC_PAGESIZE);
	unsigned i;
	int err = 0;
	uint64_t bs;

	if (86400 % rc->interval != 0) {
		return conf_pass_fail(p, conf_line_of(p, "interval"),
		    "interval", "%u does not divide a day (86400 s)",
		    rc->interval);
	}
	for (i = 0; i < rc->interfaces_count && err == 0; i++) {
		ri = &rc->interfaces[i];
		bs = ri->ring->block_size;
		path = util_printf("interfaces.%s.ring.block_size", ri->name);
		if ((bs & (bs - 1)) != 0)
			err = conf_pass_fail(p, conf_line_of(p, path), path,
			    "%llu is not a power of two",
			    (unsigned long long)bs);
		else if (page > 0 && bs % (uint64_t)page != 0)
			err = conf_pass_fail(p, conf_line_of(p, path), path,
			    "%llu is not a multiple of the page size (%ld)",
			    (unsigned long long)bs, page);
		else if (bs < (uint64_t)ri->snaplen + 256)
			err = conf_pass_fail(p, conf_line_of(p, path), path,
			    "%llu cannot hold a frame of snaplen %u",
			    (unsigned long long)bs, ri->snaplen);
		else if (bs * ri->ring->block_count > (1ull << 32))
			err = conf_pass_fail(p, conf_line_of(p, path), path,
			    "the ring (%llu x %u bytes) is larger than 4 GiB",
			    (unsigned long long)bs, ri->ring->block_count);
		free(path);
	}
	return err;
}

/* --------------------------------------------------------------- API */

static void
conf_pass_free(struct conf_pass *p)
{
	size_t i;

	for (i = 0; i < p->nlines; i++)
		free(p->lines[i].path);
	free(p->lines);
	for (i = 0; i < p->nifnames; i++)
		free(p->ifnames[i]);
	free(p->ifnames);
	free(p->out);
}

struct conf *
conf_new_default(void)
{
	struct conf *c = calloc(1, sizeof *c);
	const struct conf_key *k;

	if (c == NULL)
		abort();
	for (k = conf_keys; k->name != NULL; k++) {
		if (strcmp(k->name, "interval") == 0)
			c->interval = (uint32_t)k->def;
		else if (strcmp(k->name, "queue_rows") == 0)
			c->queue_rows = (uint32_t)k->def;
	}
	c->db_path = util_strdup(CONF_DEFAULT_DB_PATH);
	c->log_level = LOG_LEVEL_INFO;
	return c;
}

struct conf_iface *
conf_add_iface(struct conf *c, const char *name)
{
	struct conf_iface *ifc;
	const struct conf_key *k;

	c->ifaces = realloc(c->ifaces, (c->nifaces + 1) * sizeof *c->ifaces);
	if (c->ifaces == NULL)
		abort();
	ifc = &c->ifaces[c->nifaces++];
	memset(ifc, 0, sizeof *ifc);
	ifc->name = util_strdup(name);
	for (k = conf_keys; k->name != NULL; k++) {
		if (k->scope != CS_IFACE && k->scope != CS_RING)
			continue;
		if (strcmp(k->name, "enabled") == 0)
			ifc->enabled = (int)k->def;
		else if (strcmp(k->name, "promisc") == 0)
			ifc->promisc = (int)k->def;
		else if (strcmp(k->name, "snaplen") == 0)
			ifc->snaplen = (uint32_t)k->def;
		else if (strcmp(k->name, "max_flows") == 0)
			ifc->max_flows = (uint32_t)k->def;
		else if (strcmp(k->name, "block_size") == 0)
			ifc->block_size = (uint32_t)k->def;
		else if (strcmp(k->name, "block_count") == 0)
			ifc->block_count = (uint32_t)k->def;
		else if (strcmp(k->name, "retire_ms") == 0)
			ifc->retire_ms = (uint32_t)k->def;
	}
	return ifc;
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nifaces; i++)
		free(c->ifaces[i].name);
	free(c->ifaces);
	free(c->db_path);
	free(c->path);
	free(c);
}

int
conf_iface_same(const struct conf_iface *a, const struct conf_iface *b)
{
	return strcmp(a->name, b->name) == 0 && a->enabled == b->enabled &&
	    a->promisc == b->promisc && a->snaplen == b->snaplen &&
	    a->block_size == b->block_size &&
	    a->block_count == b->block_count &&
	    a->retire_ms == b->retire_ms && a->max_flows == b->max_flows;
}

const struct conf_iface *
conf_find_iface(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nifaces; i++)
		if (strcmp(c->ifaces[i].name, name) == 0)
			return &c->ifaces[i];
	return NULL;
}

static int
conf_read_file(const char *path, unsigned char **buf, size_t *len,
    char **cause)
{
	FILE *f;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL)
		return util_cause(cause, -errno, "%s: %s", path,
		    strerror(errno));
	*buf = malloc(CONF_MAX_FILE + 1);
	if (*buf == NULL)
		abort();
	n = fread(*buf, 1, CONF_MAX_FILE + 1, f);
	if (ferror(f)) {
		fclose(f);
		free(*buf);
		return util_cause(cause, -EIO, "%s: read error", path);
	}
	fclose(f);
	if (n > CONF_MAX_FILE) {
		free(*buf);
		return util_cause(cause, -EFBIG, "%s: larger than %d bytes",
		    path, CONF_MAX_FILE);
	}
	*len = n;
	return 0;
}

int
conf_load(const char *path, struct conf **out, char **cause)
{
	cyaml_config_t cy;
	struct conf_pass p;
	struct conf_cylog log;
	struct raw_conf *raw = NULL;
	struct raw_iface *ri;
	struct conf *c = NULL;
	struct conf_iface *ifc;
	unsigned char *text = NULL;
	size_t len = 0, i;
	cyaml_err_t err;
	char *kp, *why;
	enum util_log_level level;
	int rc;

	*out = NULL;
	memset(&cy, 0, sizeof cy);
	if ((rc = conf_read_file(path, &text, &len, cause)) != 0)
		return rc;
	memset(&p, 0, sizeof p);
	p.file = path;
	rc = conf_pass_run(&p, text, len);
	free(text);
	if (rc != 0)
		goto fail;
	if (p.root == 0) {
		/* An empty file is a configuration of defaults. */
		c = conf_new_default();
		c->path = util_strdup(path);
		goto done;
	}

	memset(&log, 0, sizeof log);
	cy.log_fn = conf_cyaml_log;
	cy.log_ctx = &log;
	cy.mem_fn = cyaml_mem;
	cy.log_level = CYAML_LOG_ERROR;
	cy.flags = CYAML_CFG_DEFAULT;
	err = cyaml_load_data(p.out, p.outlen, &cy, &top_schema,
	    (cyaml_data_t **)&raw, NULL);
	if (err != CYAML_OK) {
		kp = conf_cylog_path(&log, &p);
		why = conf_cylog_why(&log);
		if (*kp != '\0')
			rc = conf_pass_fail(&p, conf_line_of(&p, kp), kp, "%s",
			    why);
		else
			rc = conf_pass_fail(&p, 1, NULL, "%s", why);
		free(kp);
		free(why);
		free(log.first);
		for (i = 0; i < log.nframes; i++)
			free(log.frames[i]);
		raw = NULL;
		goto fail;
	}
	free(log.first);
	for (i = 0; i < log.nframes; i++)
		free(log.frames[i]);

	/* Absent mappings are filled in so every key has its default. */
	if (raw->log == NULL && (raw->log = calloc(1, sizeof *raw->log)) ==
	    NULL)
		abort();
	rc = conf_check_scope(&p, CS_TOP, raw, NULL);
	if (rc == 0)
		rc = conf_check_scope(&p, CS_LOG, raw, NULL);
	for (i = 0; rc == 0 && i < raw->interfaces_count; i++) {
		ri = &raw->interfaces[i];
		if ((rc = conf_check_iface_name(&p, ri->name)) != 0)
			break;
		if (ri->ring == NULL &&
		    (ri->ring = calloc(1, sizeof *ri->ring)) == NULL)
			abort();
		rc = conf_check_scope(&p, CS_IFACE, raw, ri);
		if (rc == 0)
			rc = conf_check_scope(&p, CS_RING, raw, ri);
	}
	if (rc == 0)
		rc = conf_check_rules(&p, raw);
	if (rc != 0)
		goto fail;

	c = calloc(1, sizeof *c);
	if (c == NULL)
		abort();
	c->path = util_strdup(path);
	c->db_path = util_strdup(raw->db_path);
	c->interval = raw->interval;
	c->queue_rows = raw->queue_rows;
	util_log_level_parse(raw->log->level, &level);
	c->log_level = level;
	c->log_syslog = strcmp(raw->log->target, "syslog") == 0;
	for (i = 0; i < raw->interfaces_count; i++) {
		ri = &raw->interfaces[i];
		ifc = conf_add_iface(c, ri->name);
		ifc->enabled = ri->enabled;
		ifc->promisc = ri->promisc;
		ifc->snaplen = ri->snaplen;
		ifc->max_flows = ri->max_flows;
		ifc->block_size = ri->ring->block_size;
		ifc->block_count = ri->ring->block_count;
		ifc->retire_ms = ri->ring->retire_ms;
		kp = util_printf("interfaces.%s", ri->name);
		ifc->line = conf_line_of(&p, kp);
		free(kp);
	}
done:
	if (raw != NULL)
		cyaml_free(&cy, &top_schema, raw, 0);
	conf_pass_free(&p);
	*out = c;
	return 0;

fail:
	if (raw != NULL)
		cyaml_free(&cy, &top_schema, raw, 0);
	if (cause != NULL) {
		free(*cause);
		*cause = p.cause;
	} else
		free(p.cause);
	conf_pass_free(&p);
	return rc != 0 ? rc : -EINVAL;
}
