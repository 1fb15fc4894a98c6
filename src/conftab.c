/*
 * conftab.c - check, load, complete, compare and free a YAML
 * configuration described by a conftab table (see conftab.h).
 *
 * Called by conf.c (flowrecd.yaml) and the tests.  Four steps, each
 * driven by the table alone:
 *  1. The pass (conftab_pass.c): libyaml's events, checked against the
 *     table as they come, with their lines; every key path met is
 *     recorded with its line (the index: presence and lines for the later
 *     steps), and the checked document is re-emitted in canonical form.
 *  2. libcyaml loads the canonical text with a schema built here from the
 *     same table, straight into the caller's structs.  It meets only what
 *     passed step 1, so it has nothing to refuse; should it fail anyway
 *     (out of memory) its code is reported, its log never read.
 *  3. Absent keys get their default (the row's text through the file's
 *     parser) or, for CONFTAB_INHERIT rows in a MAP entry, the value
 *     beside the MAP.
 *  4. Each section's cross-key check, on every instance.
 * Internally, key paths join their parts with CONFTAB__SEP; messages show
 * the parts joined with dots.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cyaml/cyaml.h>

#include "conftab.h"
#include "conftab_int.h"
#include "names.h"
#include "util.h"

/* -------------------------------------------------------- the index */

static uint64_t
ct_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h;
}

unsigned
conftab__index_get(const struct conftab__index *ix, const char *path)
{
	size_t i;

	if (ix == NULL || ix->cap == 0)
		return 0;
	for (i = ct_hash(path) & (ix->cap - 1); ix->slot[i].path != NULL;
	    i = (i + 1) & (ix->cap - 1))
		if (strcmp(ix->slot[i].path, path) == 0)
			return ix->slot[i].line;
	return 0;
}

void
conftab__index_put(struct conftab__index *ix, const char *path, unsigned line)
{
	struct conftab__line *old = ix->slot;
	size_t oldcap = ix->cap, i, j;

	if ((ix->n + 1) * 2 > ix->cap) {
		ix->cap = ix->cap ? ix->cap * 2 : 64;
		ix->slot = util_calloc(ix->cap, sizeof *ix->slot);
		for (j = 0; j < oldcap; j++) {
			if (old[j].path == NULL)
				continue;
			for (i = ct_hash(old[j].path) & (ix->cap - 1);
			    ix->slot[i].path != NULL; i = (i + 1) & (ix->cap - 1))
				;
			ix->slot[i] = old[j];
		}
		free(old);
	}
	for (i = ct_hash(path) & (ix->cap - 1); ix->slot[i].path != NULL;
	    i = (i + 1) & (ix->cap - 1))
		;
	ix->slot[i].path = util_strdup(path);
	ix->slot[i].line = line;
	ix->n++;
}

static void
ct_index_free(struct conftab__index *ix)
{
	size_t i;

	for (i = 0; i < ix->cap; i++)
		free(ix->slot[i].path);
	free(ix->slot);
	memset(ix, 0, sizeof *ix);
}

/* ------------------------------------------------------ the context */

char *
conftab__join(const char *a, const char *b)
{
	if (a == NULL || *a == '\0')
		return util_strdup(b);
	return util_printf("%s%c%s", a, CONFTAB__SEP, b);
}

/* An internal path as a message shows it: dots, escaped. */
static char *
ct_display(const char *path)
{
	char *dots = util_strdup(path), *p, *e;

	for (p = dots; *p != '\0'; p++)
		if (*p == CONFTAB__SEP)
			*p = '.';
	e = names_escape(dots);
	free(dots);
	return e;
}

int
conftab__failv(struct conftab_ctx *c, unsigned line, const char *path,
    const char *fmt, va_list ap)
{
	char *why = util_vprintf(fmt, ap), *key;

	free(c->cause);
	if (line == 0)
		line = 1;
	if (path != NULL && *path != '\0') {
		key = ct_display(path);
		c->cause = util_printf("%s:%u: key '%s': %s", c->file, line,
		    key, why);
		free(key);
	} else
		c->cause = util_printf("%s:%u: %s", c->file, line, why);
	free(why);
	return -EINVAL;
}

int
conftab_fail(struct conftab_ctx *c, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *rel = util_strdup(key), *p, *path;
	unsigned line;
	int rc;

	for (p = rel; *p != '\0'; p++)
		if (*p == '.')
			*p = CONFTAB__SEP;
	path = conftab__join(c->ipath, rel);
	if ((line = conftab__index_get(&c->index, path)) == 0)
		line = c->iline;
	va_start(ap, fmt);
	rc = conftab__failv(c, line, path, fmt, ap);
	va_end(ap);
	free(path);
	free(rel);
	return rc;
}

static int
ct_fail(struct conftab_ctx *c, unsigned line, const char *path,
    const char *fmt, ...) UTIL_PRINTF(4, 5);

static int
ct_fail(struct conftab_ctx *c, unsigned line, const char *path,
    const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = conftab__failv(c, line, path, fmt, ap);
	va_end(ap);
	return rc;
}

const struct conftab_key *
conftab__row(const struct conftab_section *sec, const char *name)
{
	const struct conftab_key *k;

	for (k = sec->keys; k->name != NULL; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

static void
ct_write_number(const struct conftab_key *k, void *p, uint64_t v)
{
	if (k->size == sizeof(uint32_t))
		*(uint32_t *)p = (uint32_t)v;
	else if (k->size == sizeof(uint64_t))
		*(uint64_t *)p = v;
	else
		abort();	/* a table error; test_conf checks every row */
}

static uint64_t
ct_read_number(const struct conftab_key *k, const void *p)
{
	return k->size == sizeof(uint32_t) ? *(const uint32_t *)p :
	    *(const uint64_t *)p;
}


/* ------------------------------------------ step 2: libcyaml's schema */

/* Everything a schema is built of, freed together. */
struct ct_arena {
	void		**p;
	size_t		  n;
};

static void *
ct_alloc(struct ct_arena *a, size_t n, size_t size)
{
	a->p = util_realloc(a->p, a->n + 1, sizeof *a->p);
	return a->p[a->n++] = util_calloc(n, size);
}

static void
ct_arena_free(struct ct_arena *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->p[i]);
	free(a->p);
}

static void
ct_schema_string(cyaml_schema_value_t *v, enum cyaml_flag flags)
{
	v->type = CYAML_STRING;
	v->flags = flags | CYAML_FLAG_POINTER;
	v->data_size = sizeof(char);
	v->string.min = 0;
	v->string.max = CYAML_UNLIMITED;
}

static const cyaml_schema_field_t *
ct_schema_fields(struct ct_arena *a, const struct conftab_section *sec,
    int entry)
{
	const struct conftab_key *k;
	const struct conftab_choice *ch;
	cyaml_schema_field_t *fields, *f;
	cyaml_schema_value_t *ev;
	cyaml_strval_t *sv;
	size_t n = 0, i;

	for (k = sec->keys; k->name != NULL; k++)
		n++;
	fields = ct_alloc(a, n + 2, sizeof *fields);
	f = fields;
	if (entry) {
		f->key = CONFTAB__NAME_KEY;
		f->data_offset = (uint32_t)sec->name_offset;
		ct_schema_string(&f->value, CYAML_FLAG_DEFAULT);
		f++;
	}
	for (k = sec->keys; k->name != NULL; k++, f++) {
		f->key = k->name;
		f->data_offset = (uint32_t)k->offset;
		f->value.flags = CYAML_FLAG_OPTIONAL;
		switch (k->type) {
		case CONFTAB_UINT:
		case CONFTAB_SIZE:
		case CONFTAB_SECONDS:
			f->value.type = CYAML_UINT;
			f->value.data_size = (uint32_t)k->size;
			break;
		case CONFTAB_BOOL:
			f->value.type = CYAML_BOOL;
			f->value.data_size = sizeof(int);
			break;
		case CONFTAB_ENUM:
			for (n = 0; k->choices[n].name != NULL; n++)
				;
			sv = ct_alloc(a, n, sizeof *sv);
			for (i = 0, ch = k->choices; i < n; i++, ch++) {
				sv[i].str = ch->name;
				sv[i].val = ch->value;
			}
			f->value.type = CYAML_ENUM;
			f->value.flags |= CYAML_FLAG_STRICT;
			f->value.data_size = sizeof(int);
			f->value.enumeration.strings = sv;
			f->value.enumeration.count = (uint32_t)n;
			break;
		case CONFTAB_STRING:
		case CONFTAB_PATH:
			ct_schema_string(&f->value, CYAML_FLAG_OPTIONAL);
			break;
		case CONFTAB_STRLIST:
		case CONFTAB_MAP:
			ev = ct_alloc(a, 1, sizeof *ev);
			if (k->type == CONFTAB_STRLIST)
				ct_schema_string(ev, CYAML_FLAG_DEFAULT);
			else {
				ev->type = CYAML_MAPPING;
				ev->flags = CYAML_FLAG_DEFAULT;
				ev->data_size = (uint32_t)k->sub->size;
				ev->mapping.fields = ct_schema_fields(a, k->sub,
				    1);
			}
			f->value.type = CYAML_SEQUENCE;
			f->value.flags |= CYAML_FLAG_POINTER;
			f->value.data_size = k->type == CONFTAB_STRLIST ?
			    sizeof(char *) : (uint32_t)k->sub->size;
			f->value.sequence.entry = ev;
			f->value.sequence.min = 0;
			f->value.sequence.max = CYAML_UNLIMITED;
			f->count_offset = (uint32_t)k->count_offset;
			f->count_size = sizeof(size_t);
			break;
		case CONFTAB_SECTION:
			/* Inline; offset 0 with the keys' own offsets
			   flattens it into the enclosing struct. */
			f->value.type = CYAML_MAPPING;
			f->value.data_size = k->size ? (uint32_t)k->size : 1;
			f->value.mapping.fields = ct_schema_fields(a, k->sub, 0);
			break;
		}
	}
	return fields;
}

static int
ct_load_cyaml(struct conftab_ctx *c, const struct conftab_section *root,
    const unsigned char *text, size_t len, void **out)
{
	struct ct_arena a = { NULL, 0 };
	cyaml_schema_value_t top;
	cyaml_config_t cy;
	cyaml_err_t err;
	void *data = NULL;

	memset(&top, 0, sizeof top);
	top.type = CYAML_MAPPING;
	top.flags = CYAML_FLAG_POINTER;
	top.data_size = (uint32_t)root->size;
	top.mapping.fields = ct_schema_fields(&a, root, 0);
	memset(&cy, 0, sizeof cy);
	cy.log_fn = NULL;		/* nothing of it is ever read */
	cy.log_level = CYAML_LOG_ERROR;
	cy.mem_fn = cyaml_mem;		/* realloc()/free(): conftab_free() */
	cy.flags = CYAML_CFG_NO_ALIAS;
	err = cyaml_load_data(text, len, &cy, &top,
	    (cyaml_data_t **)&data, NULL);
	ct_arena_free(&a);
	if (err != CYAML_OK)
		return ct_fail(c, 1, NULL, "cannot load the checked document: "
		    "%s", cyaml_strerror(err));
	*out = data;
	return 0;
}

/* ----------------------------------- step 3: defaults and inheritance */

static void
ct_default(const struct conftab_key *k, uint8_t *base)
{
	void *p = base + k->offset;
	uint64_t n;
	int b;

	if (k->def == NULL)
		return;
	switch (k->type) {
	case CONFTAB_UINT:
	case CONFTAB_SIZE:
	case CONFTAB_SECONDS:
		if (conftab__parse_number(k, k->def, &n, NULL) != 0)
			abort();	/* test_conf parses every default */
		ct_write_number(k, p, n);
		break;
	case CONFTAB_BOOL:
		if (conftab_parse_bool(k->def, &b, NULL) != 0)
			abort();
		*(int *)p = b;
		break;
	case CONFTAB_ENUM:
		if (conftab_parse_enum(k, k->def, &b, NULL) != 0)
			abort();
		*(int *)p = b;
		break;
	case CONFTAB_STRING:
	case CONFTAB_PATH:
		free(*(char **)p);
		*(char **)p = util_strdup(k->def);
		break;
	default:
		break;
	}
}

/* The value of k in base becomes a copy of fk's in fbase (same type). */
static void
ct_copy(const struct conftab_key *k, uint8_t *base,
    const struct conftab_key *fk, const uint8_t *fbase)
{
	void *p = base + k->offset;
	const void *fp = fbase + fk->offset;
	char **list, *const *from;
	size_t n, i;

	switch (k->type) {
	case CONFTAB_UINT:
	case CONFTAB_SIZE:
	case CONFTAB_SECONDS:
		ct_write_number(k, p, ct_read_number(fk, fp));
		break;
	case CONFTAB_BOOL:
	case CONFTAB_ENUM:
		*(int *)p = *(const int *)fp;
		break;
	case CONFTAB_STRING:
	case CONFTAB_PATH:
		free(*(char **)p);
		*(char **)p = *(char *const *)fp ?
		    util_strdup(*(char *const *)fp) : NULL;
		break;
	case CONFTAB_STRLIST:
		n = *(const size_t *)(fbase + fk->count_offset);
		from = *(char **const *)fp;
		list = n ? util_calloc(n, sizeof *list) : NULL;
		for (i = 0; i < n; i++)
			list[i] = util_strdup(from[i]);
		*(char ***)p = list;
		*(size_t *)(base + k->count_offset) = n;
		break;
	default:
		abort();
	}
}

/*
 * Absent keys of the instance of sec at base (path) get their value: the
 * fallback's (fsec at fbase) for every key when all, or for INHERIT rows,
 * else the default.  c NULL: nothing was given.
 */
static void
ct_fill(struct conftab_ctx *c, const struct conftab_section *sec,
    uint8_t *base, const char *path, const struct conftab_section *fsec,
    const uint8_t *fbase, int all)
{
	const struct conftab_key *k, *fk;
	uint8_t *entries, *e;
	size_t n, i;
	char *kpath, *epath;
	int pass;

	/* MAPs last: their entries may inherit what is beside them. */
	for (pass = 0; pass < 2; pass++) {
		for (k = sec->keys; k->name != NULL; k++) {
			if ((k->type == CONFTAB_MAP) != pass)
				continue;
			fk = NULL;
			if (fsec != NULL && (all || (k->flags &
			    CONFTAB_INHERIT)) && (fk = conftab__row(fsec,
			    k->name)) == NULL)
				abort();	/* test_conf checks the pairs */
			kpath = conftab__join(path, k->name);
			switch (k->type) {
			case CONFTAB_SECTION:
				ct_fill(c, k->sub, base + k->offset, kpath,
				    fk ? fk->sub : NULL, fk ? fbase + fk->offset :
				    NULL, fk != NULL);
				break;
			case CONFTAB_MAP:
				entries = *(uint8_t **)(base + k->offset);
				n = *(size_t *)(base + k->count_offset);
				for (i = 0; i < n; i++) {
					e = entries + i * k->sub->size;
					epath = conftab__join(kpath, *(char **)(e +
					    k->sub->name_offset));
					*(unsigned *)(e + k->sub->line_offset) =
					    c ? conftab__index_get(&c->index, epath) : 0;
					ct_fill(c, k->sub, e, epath, sec, base, 0);
					free(epath);
				}
				break;
			default:
				if (c != NULL && conftab__index_get(&c->index, kpath))
					break;
				if (fk != NULL)
					ct_copy(k, base, fk, fbase);
				else
					ct_default(k, base);
			}
			free(kpath);
		}
	}
}

void
conftab_defaults(const struct conftab_section *sec, void *base)
{
	ct_fill(NULL, sec, base, "", NULL, NULL, 0);
}

void *
conftab_append(const struct conftab_section *sec, void *vbase,
    const char *map, const char *name)
{
	const struct conftab_key *k = conftab__row(sec, map);
	uint8_t *base = vbase, *entries, *e;
	size_t *n;

	if (k == NULL || k->type != CONFTAB_MAP)
		abort();	/* a caller naming a map that is not one */
	n = (size_t *)(base + k->count_offset);
	entries = util_realloc(*(uint8_t **)(base + k->offset), *n + 1,
	    k->sub->size);
	*(uint8_t **)(base + k->offset) = entries;
	e = entries + (*n)++ * k->sub->size;
	memset(e, 0, k->sub->size);
	*(char **)(e + k->sub->name_offset) = util_strdup(name);
	ct_fill(NULL, k->sub, e, "", sec, base, 0);
	return e;
}

void *
conftab_entry_new(const struct conftab_section *sec, const void *vbase,
    const char *map, const char *name)
{
	const struct conftab_key *k = conftab__row(sec, map);
	uint8_t *e;

	if (k == NULL || k->type != CONFTAB_MAP)
		abort();	/* a caller naming a map that is not one */
	e = util_calloc(1, k->sub->size);
	*(char **)(e + k->sub->name_offset) = util_strdup(name);
	ct_fill(NULL, k->sub, e, "", sec, vbase, 0);
	return e;
}

/* --------------------------------------------- step 4: cross-key rules */

static int
ct_check(struct conftab_ctx *c, const struct conftab_section *sec,
    const uint8_t *base, const char *path, unsigned line)
{
	const struct conftab_key *k;
	const uint8_t *entries, *e;
	size_t n, i;
	char *kpath, *epath;
	unsigned kline;
	int rc = 0;

	c->ipath = path;
	c->iline = line;
	if (sec->check != NULL && (rc = sec->check(c, base)) != 0)
		return rc;
	for (k = sec->keys; k->name != NULL && rc == 0; k++) {
		if (k->type != CONFTAB_SECTION && k->type != CONFTAB_MAP)
			continue;
		kpath = conftab__join(path, k->name);
		if ((kline = conftab__index_get(&c->index, kpath)) == 0)
			kline = line;
		if (k->type == CONFTAB_SECTION)
			rc = ct_check(c, k->sub, base + k->offset, kpath, kline);
		else {
			entries = *(uint8_t *const *)(base + k->offset);
			n = *(const size_t *)(base + k->count_offset);
			for (i = 0; i < n && rc == 0; i++) {
				e = entries + i * k->sub->size;
				epath = conftab__join(kpath, *(char *const *)(e +
				    k->sub->name_offset));
				rc = ct_check(c, k->sub, e, epath,
				    *(const unsigned *)(e +
				    k->sub->line_offset));
				free(epath);
			}
		}
		free(kpath);
	}
	return rc;
}

/* --------------------------------------------------------------- API */

int
conftab_load(const struct conftab_section *root, const char *file,
    const char *text, size_t len, void **out, char **cause)
{
	struct conftab_ctx c;
	unsigned char *canon = NULL;
	size_t canonlen = 0;
	void *data = NULL;
	int rc, root_seen = 0;

	*out = NULL;
	memset(&c, 0, sizeof c);
	c.file = file;
	rc = conftab__pass(&c, root, text, len, &canon, &canonlen, &root_seen);
	if (rc == 0) {
		if (root_seen)
			rc = ct_load_cyaml(&c, root, canon, canonlen, &data);
		else
			data = util_calloc(1, root->size);
	}
	if (rc == 0) {
		ct_fill(&c, root, data, "", NULL, NULL, 0);
		rc = ct_check(&c, root, data, "", 1);
	}
	free(canon);
	ct_index_free(&c.index);
	if (rc != 0) {
		if (data != NULL)
			conftab_free(root, data);
		if (cause != NULL) {
			free(*cause);
			*cause = c.cause;
		} else
			free(c.cause);
		return rc;
	}
	free(c.cause);
	*out = data;
	return 0;
}

/* Free what a section's struct holds (not the struct itself). */
static void
ct_clear(const struct conftab_section *sec, void *vbase)
{
	const struct conftab_key *k;
	uint8_t *base = vbase, *entries;
	char **list;
	size_t n, i;

	for (k = sec->keys; k->name != NULL; k++) {
		switch (k->type) {
		case CONFTAB_STRING:
		case CONFTAB_PATH:
			free(*(char **)(base + k->offset));
			*(char **)(base + k->offset) = NULL;
			break;
		case CONFTAB_STRLIST:
			list = *(char ***)(base + k->offset);
			n = *(size_t *)(base + k->count_offset);
			for (i = 0; i < n; i++)
				free(list[i]);
			free(list);
			*(char ***)(base + k->offset) = NULL;
			*(size_t *)(base + k->count_offset) = 0;
			break;
		case CONFTAB_SECTION:
			ct_clear(k->sub, base + k->offset);
			break;
		case CONFTAB_MAP:
			entries = *(uint8_t **)(base + k->offset);
			n = *(size_t *)(base + k->count_offset);
			for (i = 0; i < n; i++) {
				ct_clear(k->sub, entries + i *
				    k->sub->size);
				free(*(char **)(entries + i * k->sub->size +
				    k->sub->name_offset));
			}
			free(entries);
			*(uint8_t **)(base + k->offset) = NULL;
			*(size_t *)(base + k->count_offset) = 0;
			break;
		default:
			break;
		}
	}
}

void
conftab_free(const struct conftab_section *root, void *base)
{
	if (base == NULL)
		return;
	ct_clear(root, base);
	free(base);
}

void
conftab_entry_free(const struct conftab_section *sec, const char *map,
    void *entry)
{
	const struct conftab_key *k = conftab__row(sec, map);

	if (entry == NULL)
		return;
	if (k == NULL || k->type != CONFTAB_MAP)
		abort();
	ct_clear(k->sub, entry);
	free(*(char **)((uint8_t *)entry + k->sub->name_offset));
	free(entry);
}

static int
ct_same_str(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

int
conftab_same(const struct conftab_section *sec, const void *va,
    const void *vb)
{
	const struct conftab_key *k;
	const uint8_t *a = va, *b = vb, *ea, *eb;
	char *const *la, *const *lb;
	size_t n, i;

	for (k = sec->keys; k->name != NULL; k++) {
		switch (k->type) {
		case CONFTAB_UINT:
		case CONFTAB_SIZE:
		case CONFTAB_SECONDS:
			if (ct_read_number(k, a + k->offset) !=
			    ct_read_number(k, b + k->offset))
				return 0;
			break;
		case CONFTAB_BOOL:
		case CONFTAB_ENUM:
			if (*(const int *)(a + k->offset) !=
			    *(const int *)(b + k->offset))
				return 0;
			break;
		case CONFTAB_STRING:
		case CONFTAB_PATH:
			if (!ct_same_str(*(char *const *)(a + k->offset),
			    *(char *const *)(b + k->offset)))
				return 0;
			break;
		case CONFTAB_STRLIST:
			n = *(const size_t *)(a + k->count_offset);
			if (n != *(const size_t *)(b + k->count_offset))
				return 0;
			la = *(char **const *)(a + k->offset);
			lb = *(char **const *)(b + k->offset);
			for (i = 0; i < n; i++)
				if (strcmp(la[i], lb[i]) != 0)
					return 0;
			break;
		case CONFTAB_SECTION:
			if (!conftab_same(k->sub, a + k->offset, b + k->offset))
				return 0;
			break;
		case CONFTAB_MAP:
			n = *(const size_t *)(a + k->count_offset);
			if (n != *(const size_t *)(b + k->count_offset))
				return 0;
			ea = *(uint8_t *const *)(a + k->offset);
			eb = *(uint8_t *const *)(b + k->offset);
			for (i = 0; i < n; i++, ea += k->sub->size,
			    eb += k->sub->size)
				if (!ct_same_str(*(char *const *)(ea +
				    k->sub->name_offset), *(char *const *)(eb +
				    k->sub->name_offset)) ||
				    !conftab_same(k->sub, ea, eb))
					return 0;
			break;
		}
	}
	return 1;
}

static void
ct_walk(const struct conftab_section *sec, const char *path,
    conftab_walk_cb *cb, void *arg)
{
	const struct conftab_key *k;
	char *kpath, *sub;

	for (k = sec->keys; k->name != NULL; k++) {
		kpath = *path ? util_printf("%s.%s", path, k->name) :
		    util_strdup(k->name);
		cb(kpath, k, arg);
		if (k->type == CONFTAB_SECTION)
			ct_walk(k->sub, kpath, cb, arg);
		else if (k->type == CONFTAB_MAP) {
			sub = util_printf("%s.*", kpath);
			ct_walk(k->sub, sub, cb, arg);
			free(sub);
		}
		free(kpath);
	}
}

void
conftab_walk(const struct conftab_section *root, conftab_walk_cb *cb,
    void *arg)
{
	ct_walk(root, "", cb, arg);
}

const struct conftab_key *
conftab_find(const struct conftab_section *root, const char *path)
{
	const struct conftab_section *sec = root;
	const struct conftab_key *k = NULL;
	char *copy = util_strdup(path), *part, *save = NULL;
	int want_star = 0;

	for (part = strtok_r(copy, ".", &save); part != NULL;
	    part = strtok_r(NULL, ".", &save)) {
		if (want_star) {
			if (strcmp(part, "*") != 0)
				break;
			want_star = 0;
			k = NULL;	/* an entry is not a key */
			continue;
		}
		if (sec == NULL || (k = conftab__row(sec, part)) == NULL)
			break;
		sec = k->sub;
		want_star = k->type == CONFTAB_MAP;
	}
	free(copy);
	return part == NULL ? k : NULL;
}

