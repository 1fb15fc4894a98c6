/*
 * conftab_pass.c - step 1 of conftab_load(): the file's YAML events
 * checked against the table as they come, and re-emitted in canonical
 * form for libcyaml (see conftab.c, conftab.h).
 *
 * It stops at the first error, so a message never follows from an earlier
 * one; a file that is not YAML says so first, wherever the error is.
 * Every key and entry name is recorded with its line in the index.  The
 * canonical document has numbers in decimal, booleans true/false, strings
 * double-quoted, no anchors or tags, and a MAP as a sequence of mappings
 * carrying their name as ".name".  The value parsers (numbers whole, with
 * their units; booleans; enums) are here too, the file's and the
 * defaults' one reading.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "conftab.h"
#include "conftab_int.h"
#include "names.h"
#include "util.h"

#define CT_STRING_MAX	4096	/* bytes of a STRING or PATH when .max is 0 */

enum ct_kind { CT_SECTION, CT_MAP, CT_LIST };

/* A mapping or sequence the pass is inside. */
struct ct_frame {
	enum ct_kind	 kind;
	const struct conftab_key *row;	/* whose value this is; NULL root */
	const struct conftab_section *sec; /* SECTION: its keys; MAP: entries' */
	char		*path;
	const struct conftab_key *cur;	/* SECTION: the key read */
	char		*name;		/* MAP: the entry name read */
	char		*curpath;	/* path of the key or name read */
	int		 awaiting;	/* its value comes next */
	uint64_t	 count;		/* MAP, LIST: entries so far */
};

struct ct_pass {
	struct conftab_ctx *ctx;
	yaml_emitter_t	 em;
	int		 em_failed;
	unsigned char	*out;
	size_t		 outlen, outcap;
	struct ct_frame	*st;
	size_t		 depth, stcap;
	int		 docs, root_seen;
};

static int
ct_fail(struct ct_pass *c, unsigned line, const char *path,
    const char *fmt, ...) UTIL_PRINTF(4, 5);

static int
ct_fail(struct ct_pass *c, unsigned line, const char *path,
    const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = conftab__failv(c->ctx, line, path, fmt, ap);
	va_end(ap);
	return rc;
}

/* ------------------------------------------------------ the values */

static int
ct_refuse(char **why, const char *fmt, const char *text)
{
	char *q = names_escape(text);

	util_cause(why, -EINVAL, fmt, q);
	free(q);
	return -EINVAL;
}

/*
 * A whole number, optionally followed by one unit letter of units (the
 * matching multiplier in mult), and nothing else: no sign, no spaces, no
 * leading zeros (YAML 1.1 reads 0300 as octal), no exponent, no
 * underscores.
 */
static int
ct_parse_scaled(const char *text, const char *units, const uint64_t *mult,
    const char *what, uint64_t *out, char **why)
{
	const char *s = text, *u;
	uint64_t v = 0, m = 1;

	if (!isdigit((unsigned char)*s))
		return ct_refuse(why, what, text);
	if (s[0] == '0' && isdigit((unsigned char)s[1]))
		return ct_refuse(why, "'%s': a number cannot start with 0 "
		    "(YAML 1.1 would read it as octal)", text);
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return ct_refuse(why, "'%s' is too large", text);
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (*s != '\0') {
		if (units == NULL || s[1] != '\0' ||
		    (u = strchr(units, *s)) == NULL)
			return ct_refuse(why, what, text);
		m = mult[u - units];
		if (v > UINT64_MAX / m)
			return ct_refuse(why, "'%s' is too large", text);
	}
	*out = v * m;
	return 0;
}

int
conftab_parse_uint(const char *text, uint64_t *out, char **why)
{
	return ct_parse_scaled(text, NULL, NULL,
	    "'%s' is not a whole number >= 0", out, why);
}

int
conftab_parse_size(const char *text, uint64_t *out, char **why)
{
	static const uint64_t mult[] = { 1ull << 10, 1ull << 10, 1ull << 20,
	    1ull << 20, 1ull << 30, 1ull << 30, 1ull << 40, 1ull << 40 };

	return ct_parse_scaled(text, "KkMmGgTt", mult, "'%s' is not a size "
	    "(bytes, or a whole number with K, M, G or T)", out, why);
}

int
conftab_parse_seconds(const char *text, uint64_t *out, char **why)
{
	static const uint64_t mult[] = { 1, 60, 3600, 86400 };

	return ct_parse_scaled(text, "smhd", mult, "'%s' is not a duration "
	    "(seconds, or a whole number with s, m, h or d)", out, why);
}

int
conftab_parse_bool(const char *text, int *out, char **why)
{
	/* The words libcyaml took before this pass checked them. */
	static const char *const words[] = { "true", "false", "yes", "no",
	    "on", "off", "enable", "disable", "1", "0" };
	size_t i;

	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcasecmp(text, words[i]) == 0) {
			*out = (i % 2) == 0;
			return 0;
		}
	return ct_refuse(why, "'%s' is not true or false", text);
}

/* "a|b|c" of a row's choices; caller frees. */
static char *
ct_choices(const struct conftab_key *k)
{
	const struct conftab_choice *ch;
	char *s = util_strdup(""), *n;

	for (ch = k->choices; ch->name != NULL; ch++) {
		n = util_printf("%s%s%s", s, *s ? "|" : "", ch->name);
		free(s);
		s = n;
	}
	return s;
}

int
conftab_parse_enum(const struct conftab_key *k, const char *text, int *out,
    char **why)
{
	const struct conftab_choice *ch;
	char *all, *q;

	for (ch = k->choices; ch->name != NULL; ch++)
		if (strcmp(ch->name, text) == 0) {
			*out = ch->value;
			return 0;
		}
	all = ct_choices(k);
	q = names_escape(text);
	util_cause(why, -EINVAL, "'%s' is not one of %s", q, all);
	free(q);
	free(all);
	return -EINVAL;
}

int
conftab__parse_number(const struct conftab_key *k, const char *text, uint64_t *v,
    char **why)
{
	switch (k->type) {
	case CONFTAB_SIZE:
		return conftab_parse_size(text, v, why);
	case CONFTAB_SECONDS:
		return conftab_parse_seconds(text, v, why);
	default:
		return conftab_parse_uint(text, v, why);
	}
}

/* -------------------------------------------------------- the pass */

static int
ct_emit_cb(void *arg, unsigned char *buf, size_t size)
{
	struct ct_pass *c = arg;

	if (c->outlen + size > c->outcap) {
		c->outcap = (c->outlen + size) * 2;
		c->out = util_realloc(c->out, c->outcap, 1);
	}
	memcpy(c->out + c->outlen, buf, size);
	c->outlen += size;
	return 1;
}

/* The emitter takes ev, even when it fails. */
static void
ct_emit(struct ct_pass *c, yaml_event_t *ev)
{
	if (!yaml_emitter_emit(&c->em, ev))
		c->em_failed = 1;
}

static void
ct_emit_scalar(struct ct_pass *c, const char *s, int quoted)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
	    (int)strlen(s), !quoted, 1, quoted ?
	    YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_PLAIN_SCALAR_STYLE);
	ct_emit(c, &ev);
}

static void
ct_emit_start(struct ct_pass *c, int mapping)
{
	yaml_event_t ev;

	if (mapping)
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_MAPPING_STYLE);
	else
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_SEQUENCE_STYLE);
	ct_emit(c, &ev);
}

static void
ct_emit_end(struct ct_pass *c, int mapping)
{
	yaml_event_t ev;

	if (mapping)
		yaml_mapping_end_event_initialize(&ev);
	else
		yaml_sequence_end_event_initialize(&ev);
	ct_emit(c, &ev);
}

static void
ct_emit_empty(struct ct_pass *c, int mapping)
{
	yaml_event_t ev;

	if (mapping)
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_FLOW_MAPPING_STYLE);
	else
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_FLOW_SEQUENCE_STYLE);
	ct_emit(c, &ev);
	ct_emit_end(c, mapping);
}

static const char *
ct_what(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return "a single value";
	case YAML_SEQUENCE_START_EVENT:
		return "a list";
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	default:
		return "something else";
	}
}

/* A plain ~, null or nothing: YAML's null. */
static int
ct_is_null(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->type != YAML_SCALAR_EVENT ||
	    ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return *v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static void
ct_push(struct ct_pass *c, enum ct_kind kind,
    const struct conftab_key *row, const struct conftab_section *sec,
    const char *path)
{
	struct ct_frame *f;

	if (c->depth == c->stcap) {
		c->stcap = c->stcap ? c->stcap * 2 : 8;
		c->st = util_realloc(c->st, c->stcap, sizeof *c->st);
	}
	f = &c->st[c->depth++];
	memset(f, 0, sizeof *f);
	f->kind = kind;
	f->row = row;
	f->sec = sec;
	f->path = util_strdup(path);
}

static void
ct_frame_clear(struct ct_frame *f)
{
	free(f->path);
	free(f->name);
	free(f->curpath);
	f->path = f->name = f->curpath = NULL;
}

static void
ct_pop(struct ct_pass *c)
{
	ct_frame_clear(&c->st[--c->depth]);
}

/* A text from the file: no NUL inside (libyaml allows "\0"). */
static int
ct_has_nul(const yaml_event_t *ev)
{
	return strlen((const char *)ev->data.scalar.value) !=
	    ev->data.scalar.length;
}

/* A string value: length, '~', the row's check.  0 or -EINVAL, *why. */
static int
ct_check_string(const struct conftab_key *k, const char *v, size_t max,
    char **why)
{
	const unsigned char *s;
	size_t len = strlen(v);

	if (len < k->min || (k->type == CONFTAB_STRLIST && len == 0))
		return util_cause(why, -EINVAL, len == 0 ? "must not be empty "
		    "(%s)" : "is too short (%s)", k->help);
	if (len > max)
		return util_cause(why, -EINVAL, "longer than %zu bytes", max);
	/* Values are logged and shown: none may steer a terminal. */
	for (s = (const unsigned char *)v; *s != '\0'; s++)
		if (*s < 0x20 || *s == 0x7f)
			return ct_refuse(why, "'%s' contains a control "
			    "character", v);
	if (k->type == CONFTAB_PATH && v[0] == '~')
		return ct_refuse(why, "'%s': '~' is not expanded here; write "
		    "the path out in full", v);
	if (k->check_str != NULL)
		return k->check_str(v, why);
	return 0;
}

/* The scalar value of a key of a scalar type, checked and re-emitted. */
static int
ct_scalar(struct ct_pass *c, const struct conftab_key *k,
    const char *path, unsigned line, const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	char *why = NULL, num[24];
	uint64_t n;
	int b, rc;

	if (ct_has_nul(ev))
		return ct_fail(c, line, path, "contains a NUL byte");
	if (ct_is_null(ev)) {
		if (k->def == NULL)
			return ct_fail(c, line, path, "no value%s%s%s", *v ?
			    " ('" : "", v, *v ? "' is YAML's null)" : "");
		return ct_fail(c, line, path, "no value%s%s%s; leave the key "
		    "out for the default %s", *v ? " ('" : "", v, *v ?
		    "' is YAML's null)" : "", k->def);
	}
	switch (k->type) {
	case CONFTAB_UINT:
	case CONFTAB_SIZE:
	case CONFTAB_SECONDS:
		if ((rc = conftab__parse_number(k, v, &n, &why)) != 0)
			break;
		if (n < k->min || n > k->max) {
			rc = ct_fail(c, line, path, "%s is out of range "
			    "%" PRIu64 "..%" PRIu64 " (%s)", v, k->min, k->max,
			    k->help);
			free(why);
			return rc;
		}
		if (k->check_num != NULL && (rc = k->check_num(n, &why)) != 0)
			break;
		snprintf(num, sizeof num, "%" PRIu64, n);
		ct_emit_scalar(c, num, 0);
		return 0;
	case CONFTAB_BOOL:
		if ((rc = conftab_parse_bool(v, &b, &why)) != 0)
			break;
		ct_emit_scalar(c, b ? "true" : "false", 0);
		return 0;
	case CONFTAB_ENUM:
		if ((rc = conftab_parse_enum(k, v, &b, &why)) != 0)
			break;
		ct_emit_scalar(c, v, 1);
		return 0;
	case CONFTAB_STRING:
	case CONFTAB_PATH:
		if ((rc = ct_check_string(k, v, k->max ? k->max :
		    CT_STRING_MAX, &why)) != 0)
			break;
		ct_emit_scalar(c, v, 1);
		return 0;
	default:
		abort();
	}
	rc = ct_fail(c, line, path, "%s", why ? why : "invalid value");
	free(why);
	return rc;
}

/* The value of key k (read in the SECTION frame f) begins with ev. */
static int
ct_value(struct ct_pass *c, struct ct_frame *f, const yaml_event_t *ev,
    unsigned line)
{
	const struct conftab_key *k = f->cur;
	char *path = f->curpath;
	int mapping = ev->type == YAML_MAPPING_START_EVENT, rc;

	f->awaiting = 0;
	f->curpath = NULL;
	rc = 0;
	switch (k->type) {
	case CONFTAB_SECTION:
	case CONFTAB_MAP:
		if (ct_is_null(ev))
			ct_emit_empty(c, k->type == CONFTAB_SECTION);
		else if (!mapping)
			rc = ct_fail(c, line, path, "expected a mapping, got %s",
			    ct_what(ev));
		else {
			ct_emit_start(c, k->type == CONFTAB_SECTION);
			ct_push(c, k->type == CONFTAB_SECTION ? CT_SECTION :
			    CT_MAP, k, k->sub, path);
		}
		break;
	case CONFTAB_STRLIST:
		if (ct_is_null(ev))
			ct_emit_empty(c, 0);
		else if (ev->type != YAML_SEQUENCE_START_EVENT)
			rc = ct_fail(c, line, path, "expected a list, got %s",
			    ct_what(ev));
		else {
			ct_emit_start(c, 0);
			ct_push(c, CT_LIST, k, NULL, path);
		}
		break;
	default:
		if (ev->type != YAML_SCALAR_EVENT)
			rc = ct_fail(c, line, path, "expected a single value, "
			    "got %s", ct_what(ev));
		else
			rc = ct_scalar(c, k, path, line, ev);
	}
	free(path);
	return rc;
}

/* "a, b, c": the keys a section knows, for "unknown key". */
static char *
ct_known(const struct conftab_section *sec)
{
	const struct conftab_key *k;
	char *s = util_strdup(""), *n;

	for (k = sec->keys; k->name != NULL; k++) {
		n = util_printf("%s%s%s", s, *s ? ", " : "", k->name);
		free(s);
		s = n;
	}
	return s;
}

/* A key of a SECTION frame. */
static int
ct_key(struct ct_pass *c, struct ct_frame *f, const yaml_event_t *ev,
    unsigned line)
{
	const char *name = (const char *)ev->data.scalar.value;
	const struct conftab_key *k;
	char *path, *known;
	unsigned first;
	int rc;

	if (ct_has_nul(ev))
		return ct_fail(c, line, f->path, "a key contains a NUL byte");
	if ((k = conftab__row(f->sec, name)) == NULL) {
		/* Not a row: it may hold any byte, so it is never indexed. */
		path = conftab__join(f->path, name);
		known = ct_known(f->sec);
		rc = ct_fail(c, line, path, "unknown key (known here: %s)",
		    known);
		free(known);
		free(path);
		return rc;
	}
	path = conftab__join(f->path, name);
	if ((first = conftab__index_get(&c->ctx->index, path)) != 0) {
		rc = ct_fail(c, line, path, "given twice (first on line %u)",
		    first);
		free(path);
		return rc;
	}
	conftab__index_put(&c->ctx->index, path, line);
	ct_emit_scalar(c, name, 0);
	f->cur = k;
	f->curpath = path;
	f->awaiting = 1;
	return 0;
}

/* An entry name of a MAP frame. */
static int
ct_name(struct ct_pass *c, struct ct_frame *f, const yaml_event_t *ev,
    unsigned line)
{
	const char *name = (const char *)ev->data.scalar.value;
	const unsigned char *s;
	char *path, *why = NULL;
	unsigned first;
	int rc = 0;

	if (ct_has_nul(ev))
		return ct_fail(c, line, f->path, "a name contains a NUL byte");
	path = conftab__join(f->path, name);
	/* Before the name joins any path: no byte below 0x20 (CONFTAB__SEP). */
	for (s = (const unsigned char *)name; *s != '\0'; s++)
		if (*s < 0x20 || *s == 0x7f)
			break;
	if (*name != '\0' && ct_is_null(ev))
		rc = ct_fail(c, line, path, "'%s' is YAML's null, not a name "
		    "(quote it to mean the name)", name);
	else if (*name == '\0')
		rc = ct_fail(c, line, path, "a name cannot be empty");
	else if (*s != '\0')
		rc = ct_fail(c, line, path, "a name cannot contain control "
		    "characters");
	else if (f->row->check_name != NULL &&
	    (rc = f->row->check_name(name, &why)) != 0)
		rc = ct_fail(c, line, path, "%s", why ? why : "invalid name");
	else if ((first = conftab__index_get(&c->ctx->index, path)) != 0)
		rc = ct_fail(c, line, path, "given twice (first on line %u)",
		    first);
	else if (f->row->max != 0 && f->count >= f->row->max)
		rc = ct_fail(c, line, f->path, "more than %" PRIu64
		    " entries", f->row->max);
	free(why);
	if (rc != 0) {
		free(path);
		return rc;
	}
	conftab__index_put(&c->ctx->index, path, line);
	f->count++;
	free(f->name);
	f->name = util_strdup(name);
	f->curpath = path;
	f->awaiting = 1;
	return 0;
}

/* The value of the entry name f->name: its settings. */
static int
ct_entry(struct ct_pass *c, struct ct_frame *f, const yaml_event_t *ev,
    unsigned line)
{
	char *path = f->curpath;
	int rc = 0;

	f->awaiting = 0;
	f->curpath = NULL;
	if (ev->type == YAML_MAPPING_START_EVENT || ct_is_null(ev)) {
		ct_emit_start(c, 1);
		ct_emit_scalar(c, CONFTAB__NAME_KEY, 0);
		ct_emit_scalar(c, f->name, 1);
		if (ct_is_null(ev))
			ct_emit_end(c, 1);
		else
			ct_push(c, CT_SECTION, NULL, f->row->sub, path);
	} else
		rc = ct_fail(c, line, path, "expected a mapping of settings "
		    "(or nothing, for the defaults), got %s", ct_what(ev));
	free(path);
	return rc;
}

/* An entry of a LIST frame. */
static int
ct_item(struct ct_pass *c, struct ct_frame *f, const yaml_event_t *ev,
    unsigned line)
{
	const struct conftab_key *k = f->row;
	char *why = NULL;
	int rc;

	if (ev->type != YAML_SCALAR_EVENT)
		return ct_fail(c, line, f->path, "expected a list of single "
		    "values, got %s in it", ct_what(ev));
	if (ct_has_nul(ev))
		return ct_fail(c, line, f->path, "contains a NUL byte");
	if (ct_is_null(ev))
		return ct_fail(c, line, f->path, "entry %" PRIu64 " has no "
		    "value", f->count + 1);
	if (k->max != 0 && f->count >= k->max)
		return ct_fail(c, line, f->path, "more than %" PRIu64
		    " entries", k->max);
	if (ct_check_string(k, (const char *)ev->data.scalar.value,
	    CT_STRING_MAX, &why) != 0) {
		rc = ct_fail(c, line, f->path, "entry %" PRIu64 ": %s",
		    f->count + 1, why);
		free(why);
		return rc;
	}
	ct_emit_scalar(c, (const char *)ev->data.scalar.value, 1);
	f->count++;
	return 0;
}

/* One node event (not an alias) below the document. */
static int
ct_node(struct ct_pass *c, const struct conftab_section *root,
    const yaml_event_t *ev, unsigned line)
{
	struct ct_frame *f;
	int end = ev->type == YAML_MAPPING_END_EVENT ||
	    ev->type == YAML_SEQUENCE_END_EVENT;

	if (c->depth == 0) {
		c->root_seen = 1;
		if (ev->type == YAML_MAPPING_START_EVENT) {
			ct_emit_start(c, 1);
			ct_push(c, CT_SECTION, NULL, root, "");
			return 0;
		}
		if (ct_is_null(ev)) {
			ct_emit_empty(c, 1);
			return 0;
		}
		return ct_fail(c, line, NULL, "expected a mapping, got %s",
		    ct_what(ev));
	}
	f = &c->st[c->depth - 1];
	switch (f->kind) {
	case CT_SECTION:
		if (f->awaiting)
			return ct_value(c, f, ev, line);
		if (end) {
			ct_emit_end(c, 1);
			ct_pop(c);
			return 0;
		}
		if (ev->type != YAML_SCALAR_EVENT)
			return ct_fail(c, line, f->path, "expected a key, got %s",
			    ct_what(ev));
		return ct_key(c, f, ev, line);
	case CT_MAP:
		if (f->awaiting)
			return ct_entry(c, f, ev, line);
		if (end) {
			ct_emit_end(c, 0);
			ct_pop(c);
			return 0;
		}
		if (ev->type != YAML_SCALAR_EVENT)
			return ct_fail(c, line, f->path, "expected a name, got "
			    "%s", ct_what(ev));
		return ct_name(c, f, ev, line);
	case CT_LIST:
		if (end) {
			if (f->count < f->row->min)
				return ct_fail(c, line, f->path, "needs at "
				    "least %" PRIu64 " entries", f->row->min);
			ct_emit_end(c, 0);
			ct_pop(c);
			return 0;
		}
		return ct_item(c, f, ev, line);
	}
	return 0;
}

static int
ct_event(struct ct_pass *c, const struct conftab_section *root,
    const yaml_event_t *ev, unsigned line, int *done)
{
	yaml_event_t out;

	switch (ev->type) {
	case YAML_STREAM_START_EVENT:
		yaml_stream_start_event_initialize(&out, YAML_UTF8_ENCODING);
		ct_emit(c, &out);
		return 0;
	case YAML_STREAM_END_EVENT:
		yaml_stream_end_event_initialize(&out);
		ct_emit(c, &out);
		*done = 1;
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (c->docs++ > 0)
			return ct_fail(c, line, NULL, "more than one YAML "
			    "document (a second '---')");
		yaml_document_start_event_initialize(&out, NULL, NULL, NULL, 1);
		ct_emit(c, &out);
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		yaml_document_end_event_initialize(&out, 1);
		ct_emit(c, &out);
		return 0;
	case YAML_ALIAS_EVENT:
		return ct_fail(c, line, c->depth > 0 ?
		    c->st[c->depth - 1].curpath : NULL, "aliases (*name) are "
		    "not supported");
	case YAML_NO_EVENT:
		return 0;
	default:
		return ct_node(c, root, ev, line);
	}
}

int
conftab__pass(struct conftab_ctx *ctx, const struct conftab_section *root,
    const char *text, size_t len, unsigned char **out, size_t *outlen,
    int *root_seen)
{
	struct ct_pass pass, *c = &pass;
	yaml_parser_t parser;
	yaml_event_t ev;
	int done = 0, rc = 0;

	memset(c, 0, sizeof *c);
	c->ctx = ctx;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);
	yaml_emitter_initialize(&c->em);
	yaml_emitter_set_output(&c->em, ct_emit_cb, c);
	yaml_emitter_set_unicode(&c->em, 1);
	yaml_emitter_set_width(&c->em, -1);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = ct_fail(c, (unsigned)parser.problem_mark.line + 1,
			    NULL, "YAML syntax: %s", parser.problem ?
			    parser.problem : "error");
			done = 1;
			break;
		}
		rc = ct_event(c, root, &ev, (unsigned)ev.start_mark.line + 1,
		    &done);
		yaml_event_delete(&ev);
	}
	/* A file that is not YAML says so first, wherever the error is. */
	while (rc != 0 && !done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = ct_fail(c, (unsigned)parser.problem_mark.line + 1,
			    NULL, "YAML syntax: %s", parser.problem ?
			    parser.problem : "error");
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT ||
		    ev.type == YAML_NO_EVENT;
		yaml_event_delete(&ev);
	}
	if (rc == 0 && !yaml_emitter_flush(&c->em))
		c->em_failed = 1;
	if (rc == 0 && c->em_failed)
		rc = ct_fail(c, 1, NULL, "cannot write the checked document "
		    "out again (out of memory?)");
	while (c->depth > 0)
		ct_pop(c);
	yaml_parser_delete(&parser);
	yaml_emitter_delete(&c->em);
	free(c->st);
	if (rc != 0) {
		free(c->out);
		return rc;
	}
	*out = c->out;
	*outlen = c->outlen;
	*root_seen = c->root_seen;
	return 0;
}

