/*
 * ifsel.c - the interfaces a configuration selects (see ifsel.h).
 *
 * Patterns are POSIX extended regular expressions matched anywhere in the
 * name (goProbe's Go regexps with MatchString), compiled once per
 * configuration; an interface list of a few thousand names against a few
 * patterns is a few thousand regexec() calls per change, on the loop
 * thread, which is nothing next to a netlink event's rate.
 */
#include "config.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "ifsel.h"
#include "names.h"
#include "util.h"

struct ifsel_pat {
	regex_t		 re;
	const struct conf_iface *cfg;	/* NULL: an exclude pattern */
};

struct ifsel {
	const struct conf *conf;
	struct ifsel_pat *pats;		/* interface entries, in file order */
	size_t		 npats;
	struct ifsel_pat *excl;		/* autodetect.exclude patterns */
	size_t		 nexcl;
	struct conf_iface *autocfg;	/* autodetect's settings, or NULL */
};

static int
ifsel_compile(regex_t *re, const char *pattern, char **cause)
{
	size_t n = strlen(pattern);
	char *text = util_strdup(pattern + 1);
	int rc;

	text[n - 2] = '\0';
	rc = regcomp(re, text, REG_EXTENDED | REG_NOSUB);
	free(text);
	if (rc != 0) {
		regfree(re);
		return util_cause(cause, -EINVAL, "'%s' is not a regular "
		    "expression", pattern);
	}
	return 0;
}

int
ifsel_new(const struct conf *conf, struct ifsel **out, char **cause)
{
	struct ifsel *s = util_calloc(1, sizeof *s);
	size_t i;
	int rc;

	s->conf = conf;
	s->pats = util_calloc(conf->nifaces + 1, sizeof *s->pats);
	for (i = 0; i < conf->nifaces; i++) {
		if (!conf_is_pattern(conf->ifaces[i].name))
			continue;
		if ((rc = ifsel_compile(&s->pats[s->npats].re,
		    conf->ifaces[i].name, cause)) != 0)
			goto fail;
		s->pats[s->npats++].cfg = &conf->ifaces[i];
	}
	s->excl = util_calloc(conf->autodetect.nexclude + 1, sizeof *s->excl);
	for (i = 0; i < conf->autodetect.nexclude; i++) {
		if (!conf_is_pattern(conf->autodetect.exclude[i]))
			continue;
		if ((rc = ifsel_compile(&s->excl[s->nexcl].re,
		    conf->autodetect.exclude[i], cause)) != 0)
			goto fail;
		s->nexcl++;
	}
	if (conf->autodetect.enabled)
		s->autocfg = conf_iface_new(conf, "*");
	*out = s;
	return 0;
fail:
	ifsel_free(s);
	*out = NULL;
	return rc;
}

void
ifsel_free(struct ifsel *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->npats; i++)
		regfree(&s->pats[i].re);
	for (i = 0; i < s->nexcl; i++)
		regfree(&s->excl[i].re);
	free(s->pats);
	free(s->excl);
	conf_iface_free(s->autocfg);
	free(s);
}

static int
ifsel_excluded(const struct ifsel *s, const char *name)
{
	const struct conf_autodetect *a = &s->conf->autodetect;
	size_t i;

	for (i = 0; i < a->nexclude; i++)
		if (!conf_is_pattern(a->exclude[i]) &&
		    strcmp(a->exclude[i], name) == 0)
			return 1;
	for (i = 0; i < s->nexcl; i++)
		if (regexec(&s->excl[i].re, name, 0, NULL, 0) == 0)
			return 1;
	return 0;
}

size_t
ifsel_select(const struct ifsel *s, char *const *links, size_t nlinks,
    struct ifsel_want **out)
{
	const struct conf *c = s->conf;
	const struct conf_iface *cfg;
	struct ifsel_want *w;
	size_t i, j, n = 0;

	w = util_calloc(c->nifaces + nlinks + 1, sizeof *w);
	for (i = 0; i < c->nifaces; i++) {
		if (conf_is_pattern(c->ifaces[i].name) ||
		    !c->ifaces[i].enabled)
			continue;
		w[n].name = c->ifaces[i].name;
		w[n].cfg = &c->ifaces[i];
		w[n++].how = IFSEL_NAME;
	}
	for (i = 0; i < nlinks; i++) {
		/* A name the store could not hold is never recorded. */
		if (names_check_iface(links[i], NULL) != 0 ||
		    conf_find_iface(c, links[i]) != NULL)
			continue;
		for (j = 0; j < s->npats; j++)
			if (regexec(&s->pats[j].re, links[i], 0, NULL, 0) == 0)
				break;
		if (j < s->npats) {
			cfg = s->pats[j].cfg;
			if (!cfg->enabled)
				continue;
			w[n].how = IFSEL_PATTERN;
		} else if (s->autocfg != NULL &&
		    !ifsel_excluded(s, links[i])) {
			cfg = s->autocfg;
			w[n].how = IFSEL_AUTO;
		} else
			continue;
		w[n].name = links[i];
		w[n++].cfg = cfg;
	}
	*out = w;
	return n;
}
