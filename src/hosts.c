/*
 * hosts.c - the hosts file's table, loading it, and turning a host
 * selector into the targets qfleet asks (see hosts.h, hosts.yaml(5)).
 *
 * The table below is the master copy of the file's keys, as conf.c is of
 * flowrecd.yaml's; conftab does the checking and the loading.  Addresses
 * are checked here once (hosts_check_addr()), for the file and for a name
 * given on the command line alike, so qfleet only ever sees a URL libcurl
 * takes as it is, or a UNIX socket path.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conftab.h"
#include "hosts.h"
#include "util.h"

#define HOSTS_MAX_FILE		(16 * 1024 * 1024)
#define HOSTS_MAX_LINE		4096

/* ------------------------------------------------- per-value checks */

static int
hosts_check_name(const char *v, char **why)
{
	const char *p;

	if (strcmp(v, "any") == 0)
		return util_cause(why, -EINVAL, "'any' selects every host and "
		    "cannot name one");
	for (p = v; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
		    *p == '_'))
			return util_cause(why, -EINVAL, "'%s': letters, digits, "
			    "'.', '-' and '_' only", v);
	return 0;
}

static int
hosts_check_token(const char *v, char **why)
{
	const char *p;

	for (p = v; *p != '\0'; p++)
		if (*p < 0x21 || *p > 0x7e)
			return util_cause(why, -EINVAL, "a token is printable "
			    "ASCII without spaces");
	return 0;
}

/* HOST[:PORT] with HOST a name, an IPv4 address or [IPv6]. */
static int
hosts_check_hostport(const char *addr, const char *v, int need_port,
    char **why)
{
	const char *p = v, *port;
	char *end;
	unsigned long n;

	if (*p == '[') {
		if ((p = strchr(v, ']')) == NULL || p == v + 1)
			return util_cause(why, -EINVAL, "'%s': bad [IPv6] "
			    "address", addr);
		for (port = v + 1; port < p; port++)
			if (!((*port >= '0' && *port <= '9') ||
			    (*port >= 'a' && *port <= 'f') ||
			    (*port >= 'A' && *port <= 'F') || *port == ':' ||
			    *port == '.'))
				return util_cause(why, -EINVAL, "'%s': bad "
				    "[IPv6] address", addr);
		p++;
	} else {
		for (; *p != '\0' && *p != ':'; p++)
			if (!((*p >= 'a' && *p <= 'z') ||
			    (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '.' ||
			    *p == '-' || *p == '_'))
				return util_cause(why, -EINVAL, "'%s': want "
				    "HOST:PORT, unix:PATH or https://HOST:PORT",
				    addr);
		if (p == v)
			return util_cause(why, -EINVAL, "'%s': no host", addr);
	}
	if (*p == '\0') {
		if (need_port)
			return util_cause(why, -EINVAL, "'%s': no port", addr);
		return 0;
	}
	if (*p != ':')
		return util_cause(why, -EINVAL, "'%s': want HOST:PORT", addr);
	port = p + 1;
	if (*port < '0' || *port > '9')
		return util_cause(why, -EINVAL, "'%s': bad port", addr);
	errno = 0;
	n = strtoul(port, &end, 10);
	if (errno != 0 || *end != '\0' || n == 0 || n > 65535)
		return util_cause(why, -EINVAL, "'%s': bad port (1 to 65535)",
		    addr);
	return 0;
}

int
hosts_check_addr(const char *v, char **why)
{
	const char *h;

	if (*v == '\0')
		return util_cause(why, -EINVAL, "empty address");
	if (strncmp(v, "unix:", 5) == 0) {
		if (v[5] != '/')
			return util_cause(why, -EINVAL, "'%s': want unix:/PATH "
			    "(absolute)", v);
		if (strlen(v + 5) >= 108)
			return util_cause(why, -EINVAL, "'%s': a socket path "
			    "is at most 107 bytes", v);
		return 0;
	}
	if (strncmp(v, "http://", 7) == 0)
		h = v + 7;
	else if (strncmp(v, "https://", 8) == 0)
		h = v + 8;
	else if (strstr(v, "://") != NULL)
		return util_cause(why, -EINVAL, "'%s': http:// or https:// "
		    "only", v);
	else
		return hosts_check_hostport(v, v, 0, why);
	{
		char *copy = util_strdup(h);
		size_t len = strlen(copy);
		int rc;

		if (len > 0 && copy[len - 1] == '/')	/* one: "https://h/" */
			copy[len - 1] = '\0';
		rc = hosts_check_hostport(v, copy, 0, why);
		free(copy);
		return rc;
	}
}

/* ---------------------------------------------------------- the table */

static const struct conftab_key hosts_entry_keys[] = {
	{ .name = "addr", .type = CONFTAB_STRING,
	  CONFTAB_FIELD(struct hosts_entry, addr), .min = 1, .max = 2048,
	  .check_str = hosts_check_addr,
	  .help = "HOST:PORT, unix:/PATH, http://HOST:PORT or "
	  "https://HOST:PORT" },
	{ .name = "token", .type = CONFTAB_STRING,
	  CONFTAB_FIELD(struct hosts_entry, token), .min = 1, .max = 4096,
	  .check_str = hosts_check_token,
	  .help = "the bearer token of its API; none: FLOWQ_TOKEN" },
	{ .name = "ca", .type = CONFTAB_PATH,
	  CONFTAB_FIELD(struct hosts_entry, ca), .min = 1, .max = 4096,
	  .help = "CA certificates for https; none: the system's" },
	{ .name = NULL }
};

static int
hosts_check_entry(struct conftab_ctx *ctx, const void *base)
{
	const struct hosts_entry *e = base;

	if (e->addr == NULL)
		return conftab_fail(ctx, "addr", "every host needs an addr");
	if (e->ca != NULL && strncmp(e->addr, "https://", 8) != 0)
		return conftab_fail(ctx, "ca", "a CA file is for https:// "
		    "addresses only");
	return 0;
}

static const struct conftab_section hosts_entry_section = {
	.keys = hosts_entry_keys,
	.size = sizeof(struct hosts_entry),
	.name_offset = offsetof(struct hosts_entry, name),
	.line_offset = offsetof(struct hosts_entry, line),
	.check = hosts_check_entry,
};

static const struct conftab_key hosts_keys[] = {
	{ .name = "hosts", .type = CONFTAB_MAP,
	  CONFTAB_FIELD(struct hosts, hosts),
	  .count_offset = offsetof(struct hosts, nhosts),
	  .min = 0, .max = HOSTS_MAX, .sub = &hosts_entry_section,
	  .check_name = hosts_check_name,
	  .help = "the hosts a fleet query may ask, by name" },
	{ .name = NULL }
};

static const struct conftab_section hosts_table = {
	.keys = hosts_keys,
	.size = sizeof(struct hosts),
};

/* --------------------------------------------------------- loading */

static int
hosts_read_file(const char *path, size_t max, char **buf, size_t *len,
    char **cause)
{
	FILE *f;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL)
		return util_cause(cause, -errno, "%s: %s", path,
		    strerror(errno));
	if ((*buf = malloc(max + 1)) == NULL) {
		fclose(f);
		return util_cause(cause, -ENOMEM, "%s: no memory", path);
	}
	n = fread(*buf, 1, max + 1, f);
	if (ferror(f)) {
		fclose(f);
		free(*buf);
		return util_cause(cause, -EIO, "%s: read error", path);
	}
	fclose(f);
	if (n > max) {
		free(*buf);
		return util_cause(cause, -EFBIG, "%s: larger than %zu bytes",
		    path, max);
	}
	(*buf)[n] = '\0';
	*len = n;
	return 0;
}

int
hosts_load(const char *path, struct hosts **out, char **cause)
{
	struct hosts *h;
	char *text;
	size_t len;
	void *data;
	int rc;

	*out = NULL;
	rc = hosts_read_file(path != NULL ? path : HOSTS_DEFAULT_PATH,
	    HOSTS_MAX_FILE, &text, &len, cause);
	if (rc == -ENOENT && path == NULL) {
		if (cause != NULL) {
			free(*cause);
			*cause = NULL;
		}
		*out = util_calloc(1, sizeof **out);
		return 0;
	}
	if (rc != 0)
		return rc;
	rc = conftab_load(&hosts_table, path != NULL ? path :
	    HOSTS_DEFAULT_PATH, text, len, &data, cause);
	free(text);
	if (rc != 0)
		return rc;
	h = data;
	h->path = util_strdup(path != NULL ? path : HOSTS_DEFAULT_PATH);
	*out = h;
	return 0;
}

void
hosts_free(struct hosts *h)
{
	if (h == NULL)
		return;
	free(h->path);
	conftab_free(&hosts_table, h);
}

const struct hosts_entry *
hosts_find(const struct hosts *h, const char *name)
{
	size_t i;

	for (i = 0; h != NULL && i < h->nhosts; i++)
		if (strcmp(h->hosts[i].name, name) == 0)
			return &h->hosts[i];
	return NULL;
}

/* ------------------------------------------------------- selecting */

struct hosts_sel {
	struct hosts_target *t;
	size_t		 n, cap;
};

static void
hosts_target_fill(struct hosts_target *t, const char *name, const char *addr,
    const char *token, const char *ca)
{
	memset(t, 0, sizeof *t);
	t->name = util_strdup(name);
	if (strncmp(addr, "unix:", 5) == 0) {
		t->unix_path = util_strdup(addr + 5);
		t->url = util_strdup("http://localhost");
	} else if (strncmp(addr, "http://", 7) == 0 ||
	    strncmp(addr, "https://", 8) == 0) {
		t->url = util_strdup(addr);
		if (t->url[strlen(t->url) - 1] == '/')
			t->url[strlen(t->url) - 1] = '\0';
	} else if (strchr(addr[0] == '[' ? strchr(addr, ']') : addr, ':') ==
	    NULL)
		t->url = util_printf("http://%s:%d", addr, HOSTS_DEFAULT_PORT);
	else
		t->url = util_printf("http://%s", addr);
	t->token = token != NULL ? util_strdup(token) : NULL;
	t->ca = ca != NULL ? util_strdup(ca) : NULL;
}

/* One name of a selector; what = where it came from, for messages. */
static int
hosts_sel_add(struct hosts_sel *s, const struct hosts *h, const char *name,
    const char *env_token, const char *what, char **cause)
{
	const struct hosts_entry *e;
	char *why = NULL;
	size_t i;
	int rc;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->t[i].name, name) == 0)
			return 0;
	if (s->n == HOSTS_MAX)
		return util_cause(cause, -E2BIG, "%s: more than %d hosts", what,
		    HOSTS_MAX);
	if ((e = hosts_find(h, name)) == NULL) {
		if ((rc = hosts_check_addr(name, &why)) != 0) {
			util_cause(cause, rc, "%s: host '%s' is not in %s and "
			    "not an address: %s", what, name, h != NULL &&
			    h->path != NULL ? h->path : "the hosts file", why);
			free(why);
			return rc;
		}
	}
	if (s->n == s->cap) {
		s->cap = s->cap == 0 ? 16 : s->cap * 2;
		s->t = util_realloc(s->t, s->cap, sizeof *s->t);
	}
	if (e != NULL)
		hosts_target_fill(&s->t[s->n++], name, e->addr,
		    e->token != NULL ? e->token : env_token, e->ca);
	else
		hosts_target_fill(&s->t[s->n++], name, name, env_token, NULL);
	return 0;
}

static char *
hosts_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static int
hosts_cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct hosts_target *)a)->name,
	    ((const struct hosts_target *)b)->name);
}

static int
hosts_select_file(struct hosts_sel *s, const struct hosts *h,
    const char *path, const char *env_token, char **cause)
{
	char *text, *line, *next, *name, *what;
	size_t len, lineno = 0;
	int rc;

	if ((rc = hosts_read_file(path, HOSTS_MAX_FILE, &text, &len,
	    cause)) != 0)
		return rc;
	if (memchr(text, '\0', len) != NULL) {
		free(text);
		return util_cause(cause, -EINVAL, "%s: not a text file", path);
	}
	for (line = text; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		name = hosts_trim(line);
		if (*name == '\0' || *name == '#')
			continue;
		what = util_printf("%s:%zu", path, lineno);
		rc = hosts_sel_add(s, h, name, env_token, what, cause);
		free(what);
		if (rc != 0)
			break;
	}
	free(text);
	if (rc == 0 && s->n == 0)
		rc = util_cause(cause, -EINVAL, "%s: no host", path);
	return rc;
}

int
hosts_select(const struct hosts *h, const char *selector,
    const char *env_token, struct hosts_target **out, size_t *n, char **cause)
{
	struct hosts_sel s = { NULL, 0, 0 };
	char *copy, *p, *name;
	size_t i;
	int rc = 0;
	char *why = NULL;

	*out = NULL;
	*n = 0;
	if (env_token != NULL && *env_token == '\0')
		env_token = NULL;
	if (env_token != NULL && hosts_check_token(env_token, &why) != 0) {
		util_cause(cause, -EINVAL, "FLOWQ_TOKEN: %s", why);
		free(why);
		return -EINVAL;
	}
	if (selector[0] == '@') {
		if (selector[1] == '\0')
			return util_cause(cause, -EINVAL, "-q @FILE: no file");
		rc = hosts_select_file(&s, h, selector + 1, env_token, cause);
	} else if (strcmp(selector, "any") == 0) {
		if (h == NULL || h->nhosts == 0)
			return util_cause(cause, -EINVAL, "'any': %s lists no "
			    "host", h != NULL && h->path != NULL ? h->path :
			    HOSTS_DEFAULT_PATH " (absent)");
		for (i = 0; rc == 0 && i < h->nhosts; i++)
			rc = hosts_sel_add(&s, h, h->hosts[i].name, env_token,
			    "any", cause);
		if (rc == 0 && s.n > 1)
			qsort(s.t, s.n, sizeof *s.t, hosts_cmp_name);
	} else {
		copy = util_strdup(selector);
		for (p = copy; rc == 0 && p != NULL; ) {
			name = p;
			if ((p = strchr(p, ',')) != NULL)
				*p++ = '\0';
			name = hosts_trim(name);
			if (*name == '\0')
				rc = util_cause(cause, -EINVAL, "'%s': an empty "
				    "host name", selector);
			else
				rc = hosts_sel_add(&s, h, name, env_token,
				    "-q", cause);
		}
		free(copy);
	}
	if (rc != 0) {
		hosts_targets_free(s.t, s.n);
		return rc;
	}
	*out = s.t;
	*n = s.n;
	return 0;
}

void
hosts_targets_free(struct hosts_target *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(t[i].name);
		free(t[i].url);
		free(t[i].unix_path);
		free(t[i].token);
		free(t[i].ca);
	}
	free(t);
}
