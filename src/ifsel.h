/*
 * ifsel.h - which interfaces a configuration records: the names it lists,
 * the existing interfaces its /regex/ entries match, and, with autodetect,
 * every other existing interface autodetect.exclude does not name.
 *
 * daemon.c makes one per loaded configuration and asks it, with the list
 * of interfaces that exist now, each time the interfaces or the
 * configuration change.  Pure: no I/O; the patterns are compiled once.
 *
 * Precedence (goProbe's IfaceMatcher, made deterministic): a listed name
 * wins over every pattern; the first pattern in file order wins over later
 * ones; autodetect takes what no entry matched.  An entry with enabled:
 * false selects its interfaces to record nothing, so a disabled pattern
 * also keeps autodetect away from what it matches.
 */
#ifndef FLOWREC_IFSEL_H
#define FLOWREC_IFSEL_H

#include <stddef.h>

#include "conf.h"

enum ifsel_how {
	IFSEL_NAME,		/* listed by name */
	IFSEL_PATTERN,		/* matched by a /regex/ entry */
	IFSEL_AUTO		/* autodetect */
};

/* One interface to record. */
struct ifsel_want {
	const char	*name;		/* the interface */
	const struct conf_iface *cfg;	/* its settings; cfg->name is the
					   entry's (a pattern, or "*") */
	enum ifsel_how	 how;
};

struct ifsel;

/*
 * The selection of conf (which must outlive it).  Returns 0 with *out set
 * (caller owns it; free with ifsel_free()), or -EINVAL with *cause when a
 * pattern does not compile (conf_load() has checked them).
 */
int	 ifsel_new(const struct conf *, struct ifsel **out, char **cause);
void	 ifsel_free(struct ifsel *);

/*
 * The interfaces to record: every enabled listed name, existing or not,
 * and every name in links[0..nlinks) (the interfaces that exist) that an
 * enabled pattern or autodetect selects.  Returns the count with *out set
 * (caller frees the array with free(); the names and settings in it are
 * borrowed from links and the selection).
 */
size_t	 ifsel_select(const struct ifsel *, char *const *links, size_t nlinks,
	    struct ifsel_want **out);

#endif
