/*
 * test_www.c - the web view's files (www.c): what is read from the
 * directory and what is left out, the paths a request may name (and the
 * ones that try to climb out), content types, ETags and If-None-Match,
 * the limits, and the project's own www/ directory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "util.h"
#include "www.h"

static char tmp[PATH_MAX];

static void
put(const char *name, const char *text)
{
	char	 path[PATH_MAX + 256];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", tmp, name);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(99);
	}
	fputs(text, f);
	fclose(f);
}

static void
rm_rf(const char *dir)
{
	char	 cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

static enum www_result
look(const struct www *w, const char *path, const struct www_file **f,
    const char **loc)
{
	return www_lookup(w, path, strlen(path), f, loc);
}

static void
test_lookup(void)
{
	struct www		*w;
	const struct www_file	*f;
	const char		*loc;
	char			*cause = NULL;
	char			 path[PATH_MAX + 64];
	static const char *const outside[] = {
		"/ui/../secret.txt", "/ui/..", "/ui/.", "/ui/./index.html",
		"/ui//index.html", "/ui/sub/index.html", "/ui/.hidden.js",
		"/ui/%2e%2e/secret.txt", "/ui/..%2fsecret.txt",
		"/ui/index.htm", "/ui/notes.md", "/ui/sub.html",
		"/ui/fifo.txt", "/uix/index.html", "/index.html",
		"/ui/index.html/", "/UI/", "",
	};
	size_t			 i;

	put("index.html", "<!DOCTYPE html><title>x</title>");
	put("app.js", "'use strict';");
	put("app.css", "body {}");
	put("icon.svg", "<svg/>");
	put(".hidden.js", "no");
	put("notes.md", "not served");
	snprintf(path, sizeof path, "%s/sub.html", tmp);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/sub", tmp);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/fifo.txt", tmp);
	mkfifo(path, 0644);

	ok(www_load(tmp, &w, &cause) == 0, "a directory loads: %s",
	    cause ? cause : "");
	free(cause);
	if (w == NULL)
		return;
	is_int(www_count(w), 4, "index.html, app.js, app.css, icon.svg: "
	    "dot files, unknown types, directories and a FIFO left out");
	is_str(www_dir(w), tmp, "the directory is named");

	is_int(look(w, "/", &f, &loc), WWW_REDIRECT, "/ redirects");
	is_str(loc, "/ui/", "... to /ui/");
	is_int(look(w, "/ui", &f, &loc), WWW_REDIRECT, "/ui redirects");
	is_str(loc, "/ui/", "... to /ui/");
	is_int(look(w, "/ui/", &f, &loc), WWW_FOUND, "/ui/ is found");
	ok(f != NULL && strcmp(f->name, "index.html") == 0,
	    "/ui/ is index.html");
	is_str(f->ctype, "text/html; charset=utf-8", "html's type");
	is_int(f->len, strlen("<!DOCTYPE html><title>x</title>"),
	    "the whole file");
	is_int(look(w, "/ui/app.js", &f, &loc), WWW_FOUND, "app.js");
	is_str(f->ctype, "text/javascript; charset=utf-8", "JavaScript's type");
	ok(memcmp(f->body, "'use strict';", f->len) == 0, "app.js's bytes");
	is_int(look(w, "/ui/app.css", &f, &loc), WWW_FOUND, "app.css");
	is_str(f->ctype, "text/css; charset=utf-8", "CSS's type");
	is_int(look(w, "/ui/icon.svg", &f, &loc), WWW_FOUND, "icon.svg");
	is_str(f->ctype, "image/svg+xml", "SVG's type");
	for (i = 0; i < sizeof outside / sizeof outside[0]; i++) {
		f = (const struct www_file *)1;
		is_int(look(w, outside[i], &f, &loc), WWW_NOT_FOUND,
		    "'%s' is not found", outside[i]);
		ok(f == NULL && loc == NULL, "... and nothing is handed out");
	}
	ok(www_lookup(w, "/ui/app.js\0/x", 13, &f, &loc) == WWW_NOT_FOUND,
	    "a NUL inside the path is not found");

	/* the ETag: strong, quoted, changes with the bytes */
	look(w, "/ui/app.js", &f, &loc);
	ok(f->etag[0] == '"' && f->etag[strlen(f->etag) - 1] == '"' &&
	    strlen(f->etag) == 18, "the ETag is quoted: %s", f->etag);
	ok(www_etag_match(f, f->etag, strlen(f->etag)),
	    "If-None-Match with the ETag matches");
	snprintf(path, sizeof path, "\"x\", W/%s", f->etag);
	ok(www_etag_match(f, path, strlen(path)),
	    "a list with the weak form of the ETag matches");
	ok(www_etag_match(f, "*", 1), "* matches");
	ok(!www_etag_match(f, "\"0000000000000000\"", 18),
	    "another ETag does not match");
	ok(!www_etag_match(f, "", 0), "an empty header does not match");
	{
		const struct www_file *g;

		look(w, "/ui/app.css", &g, &loc);
		ok(strcmp(f->etag, g->etag) != 0,
		    "two files have two ETags");
	}
	www_free(w);

	is_int(www_lookup(NULL, "/", 1, &f, &loc), WWW_REDIRECT,
	    "nothing installed: / still redirects");
	is_int(www_lookup(NULL, "/ui/", 4, &f, &loc), WWW_NOT_FOUND,
	    "nothing installed: /ui/ is not found");
}

static void
test_errors(void)
{
	struct www	*w = (struct www *)1;
	char		*cause = NULL;
	char		 path[PATH_MAX + 64];
	int		 fd;

	ok(www_load("/nonexistent/flowrec-www", &w, &cause) == -ENOENT,
	    "a missing directory: -ENOENT");
	ok(w == NULL && cause != NULL &&
	    strstr(cause, "/nonexistent/flowrec-www") != NULL,
	    "... naming it: %s", cause ? cause : "(null)");
	free(cause);
	cause = NULL;

	snprintf(path, sizeof path, "%s/index.html", tmp);
	unlink(path);
	ok(www_load(tmp, &w, &cause) == -ENOENT && w == NULL,
	    "no index.html: refused");
	ok(cause != NULL && strstr(cause, "no index.html") != NULL,
	    "... saying so: %s", cause ? cause : "(null)");
	free(cause);
	cause = NULL;

	put("index.html", "x");
	snprintf(path, sizeof path, "%s/big.js", tmp);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ok(fd >= 0 && ftruncate(fd, WWW_MAX_FILE_BYTES + 1) == 0,
	    "a file one byte over the limit");
	if (fd >= 0)
		close(fd);
	ok(www_load(tmp, &w, &cause) == -EFBIG && w == NULL,
	    "a file over the limit: -EFBIG");
	ok(cause != NULL && strstr(cause, "big.js") != NULL,
	    "... naming it: %s", cause ? cause : "(null)");
	free(cause);
	cause = NULL;
	fd = open(path, O_WRONLY | O_TRUNC);
	ok(fd >= 0 && ftruncate(fd, WWW_MAX_FILE_BYTES) == 0,
	    "a file at the limit");
	if (fd >= 0)
		close(fd);
	ok(www_load(tmp, &w, &cause) == 0, "a file at the limit loads");
	www_free(w);
	free(cause);
	unlink(path);

	is_str(www_ctype("a.html"), "text/html; charset=utf-8", "ctype html");
	ok(www_ctype("a.php") == NULL, "ctype: .php is not served");
	ok(www_ctype("html") == NULL, "ctype: no extension");
	ok(www_ctype(".css") == NULL, "ctype: a dot file");
}

/* The project's own page: the three files, each found. */
static void
test_project(void)
{
	struct www		*w;
	const struct www_file	*f;
	const char		*loc, *src = getenv("top_srcdir");
	char			 dir[PATH_MAX], *cause = NULL;

	snprintf(dir, sizeof dir, "%s/www", src ? src : ".");
	ok(www_load(dir, &w, &cause) == 0, "www/ loads: %s",
	    cause ? cause : "");
	free(cause);
	if (w == NULL)
		return;
	ok(look(w, "/ui/", &f, &loc) == WWW_FOUND &&
	    strstr(f->body, "app.js") != NULL, "index.html loads app.js");
	ok(look(w, "/ui/app.js", &f, &loc) == WWW_FOUND &&
	    strstr(f->body, "_query") != NULL, "app.js asks /_query");
	ok(look(w, "/ui/app.css", &f, &loc) == WWW_FOUND, "app.css");
	www_free(w);
}

int
main(void)
{
	snprintf(tmp, sizeof tmp, "%s/flowrec-www.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	test_lookup();
	test_errors();
	test_project();
	rm_rf(tmp);
	return tap_done();
}
