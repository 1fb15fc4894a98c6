/*
 * conftab.h - configuration tables: one row per key (name, type, bounds,
 * default, help), the master copy from which a YAML file is checked,
 * loaded into C structs, given its defaults, compared and freed.
 *
 * A table is a tree of sections (tmux's options-table.c, with nesting):
 *
 *	static const struct conftab_key ring_keys[] = {
 *		{ .name = "retire_ms", .type = CONFTAB_UINT,
 *		  CONFTAB_FIELD(struct iface, retire_ms), .min = 1,
 *		  .max = 60000, .def = "100", .help = "..." },
 *		{ .name = NULL }
 *	};
 *
 * A row's value lives at .offset in the struct of its section; a SECTION
 * row names the keys of a nested mapping (at .offset, or flattened into
 * the same struct with offset 0), a MAP row a mapping from names (for
 * example interfaces) to entries of .sub's keys, stored as an array and a
 * count.  Defaults are written as they would be in the file ("1M",
 * "true") and go through the same parser as the file.
 *
 * conftab_load() checks the whole document against the table first, in
 * one libyaml pass that knows every key's line: unknown keys, keys given
 * twice, wrong types, numbers with trailing garbage, bounds, per-value
 * checks.  Only a document that passed, rewritten into a canonical form
 * (numbers in decimal, booleans as true/false, maps as sequences of
 * mappings with a name), goes to libcyaml, whose schema is built from the
 * same table; then absent keys get their defaults and each section's
 * cross-key check runs.  No message of another library is parsed: every
 * error is ours, "FILE:LINE: key 'a.b.c': why".
 */
#ifndef FLOWREC_CONFTAB_H
#define FLOWREC_CONFTAB_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum conftab_type {
	CONFTAB_UINT,		/* a whole number: uint32_t or uint64_t */
	CONFTAB_SIZE,		/* bytes: N, or N with K, M, G, T (x 1024^n) */
	CONFTAB_SECONDS,	/* a duration: N seconds, or N with s, m, h, d */
	CONFTAB_BOOL,		/* true/false, yes/no, on/off: int 1/0 */
	CONFTAB_ENUM,		/* one of .choices: int */
	CONFTAB_STRING,		/* text of .min to .max bytes: char * */
	CONFTAB_PATH,		/* a file or directory name: char * */
	CONFTAB_STRLIST,	/* a list of strings: char **, size_t count */
	CONFTAB_SECTION,	/* a mapping of .sub's keys */
	CONFTAB_MAP		/* name -> mapping of .sub's keys: T *, count */
};

/* Row flags. */
#define CONFTAB_INHERIT	0x1	/* in a MAP entry: absent, it takes the value
				   of the key of the same name beside the
				   MAP (a global default per entry) */
#define CONFTAB_SECRET	0x2	/* a password or token: never printed
				   (conftab_json() shows "********") */

struct conftab_choice {
	const char	*name;
	int		 value;
};

struct conftab_section;
struct conftab_ctx;

struct conftab_key {
	const char	*name;		/* NULL ends a section */
	enum conftab_type type;
	unsigned	 flags;		/* CONFTAB_INHERIT */
	size_t		 offset;	/* of the value in its section's struct */
	size_t		 size;		/* of that member (numbers: 4 or 8) */
	size_t		 count_offset;	/* STRLIST, MAP: of the size_t count */
	uint64_t	 min, max;	/* numbers: the value; STRING, PATH: its
					   bytes; STRLIST, MAP: entries (max 0:
					   no limit) */
	const char	*def;		/* the default as written in a file;
					   NULL: none (strings NULL, lists
					   empty) */
	const char	*help;		/* what it is, one line */
	const struct conftab_choice *choices;	/* ENUM: ended by a NULL
					   name; aliases share a value, the
					   first is the canonical name */
	const struct conftab_section *sub;	/* SECTION, MAP */
	/* Optional checks of one value; 0, or -EINVAL with *why set. */
	int		(*check_num)(uint64_t, char **why);
	int		(*check_str)(const char *, char **why); /* also each
					   STRLIST entry */
	int		(*check_name)(const char *, char **why); /* MAP names */
};

/* .offset and .size of a struct member. */
#define CONFTAB_FIELD(type, member) \
	.offset = offsetof(type, member), \
	.size = sizeof(((type *)0)->member)

struct conftab_section {
	const struct conftab_key *keys;
	size_t		 size;		/* of its struct: the root, MAP entries */
	size_t		 name_offset;	/* MAP entries: char *name */
	size_t		 line_offset;	/* MAP entries: unsigned line defined */
	/*
	 * Cross-key rules, run on each instance once every key has its
	 * value: 0, or conftab_fail()'s code.
	 */
	int		(*check)(struct conftab_ctx *, const void *base);
};

/*
 * Check, load and complete the YAML text (len bytes) against root; file
 * names it in messages.  An empty document or a null one is a
 * configuration of defaults.  Returns 0 with *out set (caller owns it;
 * free with conftab_free()), or -EINVAL with *cause set to "FILE:LINE:
 * key 'KEY': why" or "FILE:LINE: why" (caller frees).
 */
int	 conftab_load(const struct conftab_section *root, const char *file,
	    const char *text, size_t len, void **out, char **cause);

/*
 * For a section's check: refuse the instance being checked, blaming key
 * (relative to it, "ring.block_size"), at the key's line, or the
 * instance's when the key was not given.  Returns -EINVAL.
 */
int	 conftab_fail(struct conftab_ctx *, const char *key, const char *fmt,
	    ...) UTIL_PRINTF(3, 4);

/* Every key of sec its default, in base (zeroed, sec->size bytes). */
void	 conftab_defaults(const struct conftab_section *sec, void *base);

/*
 * Append an entry called name (the caller checked it) to the MAP row map
 * of the instance of sec at base: every key its default or, for
 * CONFTAB_INHERIT rows, the value beside the map, as if the file had
 * listed it with no settings.  Returns the entry, borrowed until the next
 * append to that map or conftab_free().
 */
void	*conftab_append(const struct conftab_section *sec, void *base,
	    const char *map, const char *name);

/*
 * A lone entry of the MAP row map, filled as conftab_append() fills one
 * (defaults, CONFTAB_INHERIT rows from base) but not added to the map: an
 * entry made up at run time (an interface found by autodetection).
 * Caller owns the result; free with conftab_entry_free().
 */
void	*conftab_entry_new(const struct conftab_section *sec, const void *base,
	    const char *map, const char *name);
void	 conftab_entry_free(const struct conftab_section *sec, const char *map,
	    void *entry);

/* Free a root conftab_load() returned and all it holds; NULL is fine. */
void	 conftab_free(const struct conftab_section *root, void *base);

/* 1 when every key of sec (and a MAP entry's name) has the same value. */
int	 conftab_same(const struct conftab_section *sec, const void *a,
	    const void *b);

/*
 * Every row of the tree, parents first, with its dotted path ("log.level",
 * "interfaces.*.ring.block_size": a MAP entry is "*").
 */
typedef void	 conftab_walk_cb(const char *path, const struct conftab_key *,
		    void *arg);
void	 conftab_walk(const struct conftab_section *root, conftab_walk_cb *,
	    void *arg);

/* The row at path (as conftab_walk() names it), or NULL. */
const struct conftab_key *conftab_find(const struct conftab_section *root,
	    const char *path);

/*
 * The instance of sec at base as a JSON object (conftab_json.c): every
 * row by name, maps keyed by entry name, CONFTAB_SECRET rows hidden.
 * Caller owns the result; json_decref() it.
 */
typedef struct json_t json_t;
json_t	*conftab_json(const struct conftab_section *sec, const void *base);

/*
 * The value parsers the loader uses, for tests and for command-line
 * values: the whole text or nothing.  0 with *out set, or -EINVAL with
 * *why set (caller frees).
 */
int	 conftab_parse_uint(const char *text, uint64_t *out, char **why);
int	 conftab_parse_size(const char *text, uint64_t *out, char **why);
int	 conftab_parse_seconds(const char *text, uint64_t *out, char **why);
int	 conftab_parse_bool(const char *text, int *out, char **why);
int	 conftab_parse_enum(const struct conftab_key *, const char *text,
	    int *out, char **why);

#endif
