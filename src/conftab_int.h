/*
 * conftab_int.h - what conftab.c (the tree: load, defaults, checks,
 * compare, free) and conftab_pass.c (the file: its events checked and
 * re-emitted, its values parsed) share.  Internal: conftab__ names, not
 * for other modules (libuv's rule for internals).
 */
#ifndef FLOWREC_CONFTAB_INT_H
#define FLOWREC_CONFTAB_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "conftab.h"
#include "util.h"

/*
 * Joins the parts of an internal key path: a byte no key or name may hold
 * (the pass refuses control characters in names before they join a
 * path), so an interface "eth0.100" is never a key of "eth0".
 */
#define CONFTAB__SEP	'\x1f'

/* A MAP entry's name, as the canonical document gives it to libcyaml
   (no row can be called this: row names are [a-z0-9_]). */
#define CONFTAB__NAME_KEY	".name"

/* Every key path given, with its line: presence and lines. */
struct conftab__line {
	char		*path;		/* NULL: a free slot */
	unsigned	 line;
};

struct conftab__index {
	struct conftab__line *slot;
	size_t		 cap, n;	/* cap a power of two, or 0 */
};

/* The line path was given on, 0 when it was not (ix may be NULL). */
unsigned conftab__index_get(const struct conftab__index *ix, const char *path);
void	 conftab__index_put(struct conftab__index *ix, const char *path,
	    unsigned line);

/* A load in progress (conftab_fail() reports against it). */
struct conftab_ctx {
	const char	*file;
	struct conftab__index index;
	char		*cause;		/* the message of the first error */
	/* While a section's check runs: the instance and its line. */
	const char	*ipath;
	unsigned	 iline;
};

/* "a" SEP "b", or b when a is empty.  Caller frees. */
char	*conftab__join(const char *a, const char *b);

/*
 * Record the error "FILE:LINE: key 'PATH': why" (or without the key when
 * path is NULL or empty) as c->cause; returns -EINVAL.
 */
int	 conftab__failv(struct conftab_ctx *c, unsigned line, const char *path,
	    const char *fmt, va_list ap);

/* The row of sec named name, or NULL. */
const struct conftab_key *conftab__row(const struct conftab_section *sec,
	    const char *name);

/* A number row's value from text, by the row's type; 0 or -EINVAL. */
int	 conftab__parse_number(const struct conftab_key *k, const char *text,
	    uint64_t *v, char **why);

/*
 * Step 1: check text against root, recording every key's line in
 * c->index, and write the canonical document to *out (*outlen bytes;
 * caller frees).  *root_seen is 0 for a stream without a document.
 * 0, or -EINVAL with c->cause set.
 */
int	 conftab__pass(struct conftab_ctx *c, const struct conftab_section *root,
	    const char *text, size_t len, unsigned char **out, size_t *outlen,
	    int *root_seen);

#endif
