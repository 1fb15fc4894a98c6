/*
 * www.c - the web view's static files (see www.h): read at start-up (and
 * when the API is reconfigured) from one directory into a sorted table;
 * a request only compares names against that table.
 *
 * The API answers from its loop thread, where nothing may touch the disk,
 * so the files live in memory; they are a few tens of kilobytes.  Each
 * gets a strong ETag (FNV-1a of its bytes) so that a browser revalidates
 * with If-None-Match and gets a 304 instead of the body.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "www.h"

struct www {
	char		*dir;
	struct www_file	*files;		/* sorted by name */
	size_t		 n;
};

/* The extensions served and their types; anything else is left out. */
static const struct {
	const char	*ext;
	const char	*ctype;
} www_types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "ico", "image/x-icon" },
	{ "json", "application/json" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "woff2", "font/woff2" },
};

const char *
www_ctype(const char *name)
{
	const char	*dot;
	size_t		 i;

	if (name[0] == '.' || (dot = strrchr(name, '.')) == NULL)
		return NULL;
	for (i = 0; i < sizeof www_types / sizeof www_types[0]; i++) {
		if (strcmp(dot + 1, www_types[i].ext) == 0)
			return www_types[i].ctype;
	}
	return NULL;
}

static void
www_etag(struct www_file *f)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	size_t		 i;

	for (i = 0; i < f->len; i++) {
		h ^= (unsigned char)f->body[i];
		h *= 0x100000001b3ULL;
	}
	snprintf(f->etag, sizeof f->etag, "\"%016llx\"", (unsigned long long)h);
}

/* Read one file of at most max bytes into f. */
static int
www_read(int dfd, const char *dir, const char *name, size_t max,
    struct www_file *f, char **cause)
{
	struct stat	 st;
	ssize_t		 got;
	size_t		 off = 0;
	int		 fd, err;

	if ((fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return util_cause(cause, -errno, "%s/%s: %s", dir, name,
		    strerror(errno));
	if (fstat(fd, &st) < 0) {
		err = -errno;
		close(fd);
		return util_cause(cause, err, "%s/%s: %s", dir, name,
		    strerror(-err));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return 1;			/* not a file: left out */
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return util_cause(cause, -EFBIG, "%s/%s: larger than %zu bytes",
		    dir, name, max);
	}
	f->len = (size_t)st.st_size;
	if ((f->body = malloc(f->len + 1)) == NULL) {
		close(fd);
		return util_cause(cause, -ENOMEM, "%s/%s: out of memory", dir,
		    name);
	}
	while (off < f->len) {
		got = read(fd, f->body + off, f->len - off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			err = got < 0 ? -errno : -EIO;
			close(fd);
			free(f->body);
			f->body = NULL;
			return util_cause(cause, err, "%s/%s: %s", dir, name,
			    got < 0 ? strerror(-err) : "shorter than its size");
		}
		off += (size_t)got;
	}
	close(fd);
	f->body[f->len] = '\0';
	f->name = util_strdup(name);
	f->ctype = www_ctype(name);
	www_etag(f);
	return 0;
}

static int
www_cmp(const void *a, const void *b)
{
	return strcmp(((const struct www_file *)a)->name,
	    ((const struct www_file *)b)->name);
}

int
www_load(const char *dir, struct www **out, char **cause)
{
	struct www	*w;
	struct dirent	*de;
	DIR		*d;
	size_t		 total = 0, max;
	int		 dfd, rc;
	struct www_file	 key = { .name = (char *)"index.html" };

	*out = NULL;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return util_cause(cause, -errno, "%s: %s", dir,
		    strerror(errno));
	if ((d = fdopendir(dfd)) == NULL) {
		rc = -errno;
		close(dfd);
		return util_cause(cause, rc, "%s: %s", dir, strerror(-rc));
	}
	w = util_calloc(1, sizeof *w);
	w->dir = util_strdup(dir);
	w->files = util_calloc(WWW_MAX_FILES, sizeof *w->files);
	rc = 0;
	while ((de = readdir(d)) != NULL) {
		if (www_ctype(de->d_name) == NULL)
			continue;
		if (w->n == WWW_MAX_FILES) {
			rc = util_cause(cause, -EFBIG, "%s: more than %d files",
			    dir, WWW_MAX_FILES);
			break;
		}
		max = WWW_MAX_BYTES - total;
		if (max > WWW_MAX_FILE_BYTES)
			max = WWW_MAX_FILE_BYTES;
		rc = www_read(dirfd(d), dir, de->d_name, max, &w->files[w->n],
		    cause);
		if (rc < 0)
			break;
		if (rc == 0)
			total += w->files[w->n++].len;
		rc = 0;
	}
	closedir(d);
	if (rc == 0) {
		if (w->n > 1)
			qsort(w->files, w->n, sizeof *w->files, www_cmp);
		if (bsearch(&key, w->files, w->n, sizeof *w->files,
		    www_cmp) == NULL)
			rc = util_cause(cause, -ENOENT, "%s: no index.html",
			    dir);
	}
	if (rc < 0) {
		www_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

void
www_free(struct www *w)
{
	size_t	 i;

	if (w == NULL)
		return;
	for (i = 0; i < w->n; i++) {
		free(w->files[i].name);
		free(w->files[i].body);
	}
	free(w->files);
	free(w->dir);
	free(w);
}

const char *
www_dir(const struct www *w)
{
	return w->dir;
}

size_t
www_count(const struct www *w)
{
	return w->n;
}

#define WWW_PREFIX	"/ui/"

enum www_result
www_lookup(const struct www *w, const char *path, size_t len,
    const struct www_file **file, const char **location)
{
	struct www_file	 key;
	const struct www_file *f;
	char		 name[256];
	size_t		 plen = strlen(WWW_PREFIX);

	*file = NULL;
	*location = NULL;
	if ((len == 1 && path[0] == '/') ||
	    (len == plen - 1 && memcmp(path, WWW_PREFIX, plen - 1) == 0)) {
		*location = WWW_PREFIX;
		return WWW_REDIRECT;
	}
	if (w == NULL || len < plen || memcmp(path, WWW_PREFIX, plen) != 0)
		return WWW_NOT_FOUND;
	path += plen;
	len -= plen;
	if (len == 0) {
		path = "index.html";
		len = strlen(path);
	}
	/* one name of the table: no '/', no NUL, no dot file */
	if (len >= sizeof name || memchr(path, '/', len) != NULL ||
	    memchr(path, '\0', len) != NULL || path[0] == '.')
		return WWW_NOT_FOUND;
	memcpy(name, path, len);
	name[len] = '\0';
	key.name = name;
	f = bsearch(&key, w->files, w->n, sizeof *w->files, www_cmp);
	if (f == NULL)
		return WWW_NOT_FOUND;
	*file = f;
	return WWW_FOUND;
}

int
www_etag_match(const struct www_file *f, const char *inm, size_t len)
{
	size_t	 n = strlen(f->etag), i = 0, j;

	while (i < len) {
		while (i < len && (inm[i] == ' ' || inm[i] == '\t' ||
		    inm[i] == ','))
			i++;
		j = i;
		while (j < len && inm[j] != ',')
			j++;
		while (j > i && (inm[j - 1] == ' ' || inm[j - 1] == '\t'))
			j--;
		if (j - i == 1 && inm[i] == '*')
			return 1;
		/* a weak validator matches too (RFC 9110 13.1.2) */
		if (j - i >= 2 && inm[i] == 'W' && inm[i + 1] == '/')
			i += 2;
		if (j - i == n && memcmp(inm + i, f->etag, n) == 0)
			return 1;
		i = j;
	}
	return 0;
}
