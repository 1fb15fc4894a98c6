/*
 * test_ifsel.c - which interfaces a configuration selects: listed names
 * (existing or not), /regex/ entries over the interfaces that exist, the
 * first pattern winning, a name winning over patterns, a disabled entry
 * keeping what it matches from autodetect, autodetect.exclude by name
 * and by pattern, names the store could not hold.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ifsel.h"
#include "tap.h"
#include "util.h"

static struct conf *
load(const char *text)
{
	char path[] = "/tmp/test_ifsel.XXXXXX";
	struct conf *c = NULL;
	char *cause = NULL;
	int fd = mkstemp(path);
	FILE *f;

	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		perror("mkstemp");
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	if (conf_load(path, &c, &cause) != 0) {
		printf("# %s\n", cause);
		free(cause);
	}
	unlink(path);
	return c;
}

static const struct ifsel_want *
find(const struct ifsel_want *w, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(w[i].name, name) == 0)
			return &w[i];
	return NULL;
}

int
main(void)
{
	static char *links[] = { "lo", "eth0", "eth1", "ens3", "ens4",
	    "veth12ab", "wg0", "docker0", "eth0.100", "bad\x01name" };
	const size_t nlinks = sizeof links / sizeof links[0];
	const struct ifsel_want *w;
	struct ifsel_want *want;
	struct ifsel *sel;
	struct conf *c;
	char *cause = NULL;
	size_t n;

	c = load("interfaces:\n"
	    "  eth0: {snaplen: 100}\n"
	    "  missing0:\n"
	    "  off0: {enabled: false}\n"
	    "  '/^ens[0-9]+$/': {snaplen: 200}\n"
	    "  '/^ens/': {snaplen: 300}\n"
	    "  '/^eth/': {snaplen: 400}\n"
	    "  '/^docker/': {enabled: false}\n"
	    "autodetect: {enabled: true, exclude: [lo, '/^veth/']}\n");
	ok(c != NULL, "configuration loads");
	if (c == NULL)
		return tap_done();
	ok(ifsel_new(c, &sel, &cause) == 0, "ifsel_new");
	n = ifsel_select(sel, links, nlinks, &want);
	w = find(want, n, "eth0");
	ok(w && w->how == IFSEL_NAME && w->cfg->snaplen == 100,
	    "eth0: its name wins over /^eth/");
	w = find(want, n, "missing0");
	ok(w && w->how == IFSEL_NAME, "missing0: listed, recorded once it "
	    "exists");
	ok(find(want, n, "off0") == NULL, "off0: disabled");
	w = find(want, n, "ens3");
	ok(w && w->how == IFSEL_PATTERN && w->cfg->snaplen == 200 &&
	    strcmp(w->cfg->name, "/^ens[0-9]+$/") == 0,
	    "ens3: the first matching pattern");
	w = find(want, n, "eth1");
	ok(w && w->how == IFSEL_PATTERN && w->cfg->snaplen == 400,
	    "eth1: /^eth/");
	w = find(want, n, "eth0.100");
	ok(w && w->how == IFSEL_PATTERN && w->cfg->snaplen == 400,
	    "eth0.100: a dotted name, /^eth/");
	ok(find(want, n, "docker0") == NULL, "docker0: a disabled pattern "
	    "keeps it from autodetect");
	ok(find(want, n, "lo") == NULL, "lo: excluded by name");
	ok(find(want, n, "veth12ab") == NULL, "veth12ab: excluded by pattern");
	w = find(want, n, "wg0");
	ok(w && w->how == IFSEL_AUTO && w->cfg->snaplen == 192 &&
	    w->cfg->enabled, "wg0: autodetect, default settings");
	ok(find(want, n, "bad\x01name") == NULL, "a name the store cannot "
	    "hold is never selected");
	is_int(n, 7, "seven in all: eth0, missing0, ens3, ens4, eth1, eth0.100, wg0");
	free(want);
	n = ifsel_select(sel, NULL, 0, &want);
	ok(n == 2 && find(want, n, "eth0") && find(want, n, "missing0"),
	    "no interface exists: the listed names only");
	free(want);
	ifsel_free(sel);
	conf_free(c);

	c = load("interfaces:\n  '/^ens/':\n");
	ok(c != NULL && ifsel_new(c, &sel, NULL) == 0, "patterns only");
	n = ifsel_select(sel, links, nlinks, &want);
	ok(n == 2 && find(want, n, "ens3") && find(want, n, "ens4"),
	    "without autodetect, only what the pattern matches");
	free(want);
	ifsel_free(sel);
	conf_free(c);
	return tap_done();
}
