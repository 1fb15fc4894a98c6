/*
 * www.h - the web view's static files: the directory api.www_dir (by
 * default the configure-time $(pkgdatadir)/www, /usr/share/flowrec/www)
 * read once into memory, and the paths GET /ui/... and GET / resolved
 * against it for the API (api.c).  The files carry no data: app.js asks
 * POST /_query for everything, with the token.
 *
 * Only regular files directly in the directory with a known extension are
 * served, by exact name: no path reaches the file system at request time,
 * so no request can climb out of the directory.
 */
#ifndef FLOWREC_WWW_H
#define FLOWREC_WWW_H

#include <stddef.h>

#define WWW_MAX_FILES		256
#define WWW_MAX_FILE_BYTES	(4u << 20)	/* one file */
#define WWW_MAX_BYTES		(16u << 20)	/* all of them */

struct www_file {
	char		*name;		/* "app.js" */
	char		*body;
	size_t		 len;
	const char	*ctype;		/* "text/javascript; charset=utf-8" */
	char		 etag[24];	/* "\"0123456789abcdef\"" */
};

struct www;

/*
 * Read the files of dir.  Returns 0 with *out set (caller frees it with
 * www_free()), or a negative errno with *cause naming the directory or
 * file: a missing or unreadable directory, no index.html, a file or the
 * whole over its limit (-EFBIG).
 */
int	 www_load(const char *dir, struct www **out, char **cause);
void	 www_free(struct www *);

/* The directory it was read from. */
const char *www_dir(const struct www *);
size_t	 www_count(const struct www *);

enum www_result {
	WWW_FOUND,		/* *file: answer it (200, or 304) */
	WWW_REDIRECT,		/* *location: answer 302 to it */
	WWW_NOT_FOUND		/* 404 */
};

/*
 * Resolve a request path (without the query string): "/" and "/ui" are
 * redirected to "/ui/", "/ui/" is index.html, "/ui/NAME" the file NAME.
 * Borrowed until www_free().  w may be NULL (nothing installed): then
 * only the redirects resolve.
 */
enum www_result www_lookup(const struct www *w, const char *path,
	    size_t len, const struct www_file **file, const char **location);

/* 1 when an If-None-Match value (a list, or "*") names the file's ETag. */
int	 www_etag_match(const struct www_file *, const char *inm, size_t len);

/* The content type of a file name, NULL when it is not served. */
const char *www_ctype(const char *name);

#endif
