/*
 * qstore.c - day file discovery and read-only opening (see qstore.h).
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "names.h"
#include "qstore.h"
#include "store.h"
#include "util.h"

static int
strv_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
strv_add(char ***v, size_t *n, const char *s)
{
	if ((*v = realloc(*v, (*n + 1) * sizeof **v)) == NULL)
		abort();
	(*v)[(*n)++] = util_strdup(s);
}

void
qstore_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* "<iface>-YYYY-MM-DD.db": the day's UTC midnight, or -1. */
static int64_t
file_day(const char *iface, const char *name)
{
	size_t		 il = strlen(iface);
	struct tm	 tm;
	int		 y, m, d;
	char		 tail[4];

	if (strncmp(name, iface, il) != 0 || name[il] != '-')
		return -1;
	if (strlen(name + il + 1) != 13 ||
	    sscanf(name + il + 1, "%4d-%2d-%2d%3s", &y, &m, &d, tail) != 4 ||
	    strcmp(tail, ".db") != 0)
		return -1;
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	return (int64_t)timegm(&tm);
}

static int
has_day_files(const char *dir, const char *iface)
{
	DIR		*dp;
	struct dirent	*de;
	int		 found = 0;

	if ((dp = opendir(dir)) == NULL)
		return 0;
	while (!found && (de = readdir(dp)) != NULL)
		found = file_day(iface, de->d_name) >= 0;
	closedir(dp);
	return found;
}

int
qstore_ifaces(const char *dbdir, char ***names, size_t *n, char **cause)
{
	DIR		*dp;
	struct dirent	*de;
	struct stat	 st;
	char		*path;

	*names = NULL;
	*n = 0;
	if ((dp = opendir(dbdir)) == NULL)
		return util_cause(cause, -1, "%s: %s", dbdir, strerror(errno));
	while ((de = readdir(dp)) != NULL) {
		/* not a name flowrecd would take: not an interface of ours */
		if (de->d_name[0] == '.' || names_check_iface(de->d_name,
		    NULL) != 0)
			continue;
		path = util_printf("%s/%s", dbdir, de->d_name);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
		    has_day_files(path, de->d_name))
			strv_add(names, n, de->d_name);
		free(path);
	}
	closedir(dp);
	if (*n > 1)
		qsort(*names, *n, sizeof **names, strv_cmp);
	return 0;
}

/*
 * A regex bounded in what it can cost: at most QSTORE_REGEX_MAX bytes and
 * no back-references (the one feature that makes a POSIX match
 * exponential); the names it runs on are at most 15 bytes.
 */
#define QSTORE_REGEX_MAX	256

static int
check_regex(const char *re, char **cause)
{
	const char	*p;

	if (strlen(re) > QSTORE_REGEX_MAX)
		return util_cause(cause, -1, "-i: a regular expression of at "
		    "most %d bytes", QSTORE_REGEX_MAX);
	for (p = re; *p != '\0'; p++) {
		if (*p != '\\')
			continue;
		if (p[1] >= '1' && p[1] <= '9')
			return util_cause(cause, -1, "-i: back-references "
			    "(\\%c) are not supported", p[1]);
		if (p[1] != '\0')
			p++;
	}
	return 0;
}

int
qstore_select(char **all, size_t nall, const char *spec, char ***out,
    size_t *nout, char **cause)
{
	char		*copy, *tok, *save = NULL, **incl = NULL, **excl = NULL;
	char		*esc, *why = NULL;
	size_t		 nincl = 0, nexcl = 0, i, j, len;
	int		 any = 0, only_excl = 1, rc = 0;
	regex_t		 re;

	*out = NULL;
	*nout = 0;
	copy = util_strdup(spec);
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		tok = util_trim(tok);
		len = strlen(tok);
		if (len == 0)
			continue;
		if (len >= 2 && tok[0] == '/' && tok[len - 1] == '/') {
			tok[len - 1] = '\0';
			if ((rc = check_regex(tok + 1, cause)) != 0)
				goto out;
			only_excl = 0;
			if (regcomp(&re, tok + 1, REG_EXTENDED | REG_NOSUB) !=
			    0) {
				esc = names_escape(tok + 1);
				rc = util_cause(cause, -1, "-i: bad regular "
				    "expression '%s'", esc);
				free(esc);
				goto out;
			}
			for (i = 0; i < nall; i++) {
				if (regexec(&re, all[i], 0, NULL, 0) == 0)
					strv_add(&incl, &nincl, all[i]);
			}
			regfree(&re);
			continue;
		}
		if (strcasecmp(tok, "any") == 0) {
			only_excl = 0;
			any = 1;
			continue;
		}
		if (names_check_iface(tok[0] == '!' ? tok + 1 : tok, &why) !=
		    0) {
			esc = names_escape(tok);
			rc = util_cause(cause, -1, "-i: invalid interface name "
			    "'%s': %s", esc, why);
			free(esc);
			free(why);
			goto out;
		}
		if (tok[0] == '!')
			strv_add(&excl, &nexcl, tok + 1);
		else {
			only_excl = 0;
			strv_add(&incl, &nincl, tok);
		}
	}
	if (any || (only_excl && nexcl > 0)) {
		for (i = 0; i < nall; i++)
			strv_add(&incl, &nincl, all[i]);
	}
	if (nincl > 1)
		qsort(incl, nincl, sizeof *incl, strv_cmp);
	for (i = 0; i < nincl; i++) {
		if (i > 0 && strcmp(incl[i], incl[i - 1]) == 0)
			continue;
		for (j = 0; j < nexcl; j++) {
			if (strcmp(incl[i], excl[j]) == 0)
				break;
		}
		if (j == nexcl)
			strv_add(out, nout, incl[i]);
	}
out:
	qstore_strv_free(incl, nincl);
	qstore_strv_free(excl, nexcl);
	free(copy);
	return rc;
}

static int
file_cmp(const void *a, const void *b)
{
	const struct qfile *x = a, *y = b;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return x->iface < y->iface ? -1 : x->iface > y->iface;
}

void
qstore_files(const char *dbdir, char **ifaces, size_t nifaces, int64_t first,
    int64_t last, struct qfiles *out)
{
	DIR		*dp;
	struct dirent	*de;
	struct qfile	*f;
	char		*dir;
	int64_t		 day;
	size_t		 i;

	memset(out, 0, sizeof *out);
	out->ifaces = ifaces;
	out->nifaces = nifaces;
	for (i = 0; i < nifaces; i++) {
		dir = util_printf("%s/%s", dbdir, ifaces[i]);
		if ((dp = opendir(dir)) == NULL) {
			free(dir);
			continue;
		}
		while ((de = readdir(dp)) != NULL) {
			day = file_day(ifaces[i], de->d_name);
			/* bins of a day start in [day, day + 86400) */
			if (day < 0 || day > last || day + 86400 <= first - 86400)
				continue;
			f = realloc(out->files, (out->nfiles + 1) *
			    sizeof *out->files);
			if (f == NULL)
				abort();
			out->files = f;
			f = &out->files[out->nfiles++];
			f->iface = i;
			f->day = day;
			f->path = util_printf("%s/%s", dir, de->d_name);
		}
		closedir(dp);
		free(dir);
	}
	if (out->nfiles > 1)
		qsort(out->files, out->nfiles, sizeof *out->files, file_cmp);
}

void
qstore_files_free(struct qfiles *q)
{
	size_t i;

	for (i = 0; i < q->nfiles; i++)
		free(q->files[i].path);
	free(q->files);
	qstore_strv_free(q->ifaces, q->nifaces);
	memset(q, 0, sizeof *q);
}

/* A URI for path with the given query string; caller frees. */
static char *
file_uri(const char *path, const char *query)
{
	static const char hex[] = "0123456789abcdef";
	char		*u, *p;
	const char	*s;

	u = malloc(strlen(path) * 3 + strlen(query) + 16);
	if (u == NULL)
		abort();
	p = u + sprintf(u, "file:");
	for (s = path; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || strchr("/-_.~", c) != NULL)
			*p++ = (char)c;
		else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	sprintf(p, "?%s", query);
	return u;
}

/*
 * A day that ended over an hour ago is finished: flowrecd only writes the
 * open bin.  Its file can be opened as immutable (no locks, no -shm to
 * create beside it: several times faster to open) unless a crash left
 * committed transactions in its -wal.  A writer may still open the day
 * again (a restart, --read of an older capture): it then checkpoints the
 * day only while it holds the directory's flock() exclusively (store.c),
 * and an immutable reader holds it shared, so the file stays as one commit
 * left it for as long as the read lasts.
 */
static int
day_finished(int64_t day)
{
	return day >= 0 && day + 86400 + QSTORE_FINISHED_AFTER <=
	    (int64_t)time(NULL);
}

static int
wal_empty(const char *path)
{
	struct stat	 st;
	char		*wal;
	int		 rc;

	wal = util_printf("%s-wal", path);
	rc = stat(wal, &st) != 0 || st.st_size == 0;
	free(wal);
	return rc;
}

/* The file's directory flock()ed shared (see above); its fd, or -1. */
static int
read_lock(const char *path)
{
	char	*dir = util_strdup(path), *slash;
	int	 fd;

	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else
		slash[slash == dir] = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd >= 0 && flock(fd, LOCK_SH) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The lock goes with the connection: a function's destructor frees it. */
static void
lock_noop(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	sqlite3_result_null(ctx);
}

static void
lock_release(void *arg)
{
	close((int)(intptr_t)arg);
}

static void
lock_attach(sqlite3 *db, int fd)
{
	if (fd < 0)
		return;
	if (sqlite3_create_function_v2(db, "flowrec_read_lock", 0,
	    SQLITE_UTF8, (void *)(intptr_t)fd, lock_noop, NULL, NULL,
	    lock_release) != SQLITE_OK)
		close(fd);	/* SQLite calls the destructor on failure */
}

/*
 * A file of the store that is a regular file (a symbolic link there is
 * not flowrec's: the store never makes one), or -1 with *cause.
 */
static int
plain_file(const char *path, char **cause)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return util_cause(cause, -1, "%s: %s", path, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return util_cause(cause, -1, "%s: a symbolic link; not a "
		    "file flowrec made", path);
	if (!S_ISREG(st.st_mode))
		return util_cause(cause, -1, "%s: not a file", path);
	return 0;
}

static sqlite3 *
open_ro(const char *path, int immutable, int fd, char **cause)
{
	static const char *const modes[] = { "mode=ro", "mode=ro&immutable=1" };
	sqlite3		*db = NULL;
	char		*uri;
	size_t		 i;
	int		 rc = SQLITE_ERROR;

	if (plain_file(path, cause) != 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (i = immutable != 0; i < sizeof modes / sizeof modes[0]; i++) {
		/* immutable only under the lock (a fallback takes it here) */
		if (i == 1 && fd < 0)
			fd = read_lock(path);
		uri = file_uri(path, modes[i]);
		rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY |
		    SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX |
		    SQLITE_OPEN_NOFOLLOW, NULL);
		free(uri);
		/* a WAL file needs its -shm: probe with a first read */
		if (rc == SQLITE_OK && i == 0)
			rc = sqlite3_exec(db, "SELECT 1 FROM sqlite_master "
			    "LIMIT 1", NULL, NULL, NULL);
		if (rc == SQLITE_OK) {
			if (i == 1) {
				lock_attach(db, fd);
				fd = -1;
			}
			sqlite3_busy_timeout(db, 2000);
			sqlite3_exec(db, "PRAGMA cache_size = -65536", NULL,
			    NULL, NULL);
			return db;
		}
		if (i + 1 == sizeof modes / sizeof modes[0])
			util_cause(cause, -1, "%s: %s", path,
			    db != NULL ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		db = NULL;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* 1 when the file says it is flowrec's day file of a readable version. */
static int
day_markers(sqlite3 *db, const char *path, char **cause)
{
	sqlite3_stmt	*st;
	int64_t		 app = -1, version = -1;
	int		 rc;

	rc = sqlite3_prepare_v2(db, "SELECT (SELECT application_id FROM "
	    "pragma_application_id), (SELECT user_version FROM "
	    "pragma_user_version)", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		app = sqlite3_column_int64(st, 0);
		version = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return util_cause(cause, 0, "%s: %s", path,
		    sqlite3_errmsg(db));
	if (app != STORE_APPLICATION_ID)
		return util_cause(cause, 0, "%s: not a flowrec day file "
		    "(application_id %#llx, not %#x)", path,
		    (unsigned long long)(uint32_t)app, STORE_APPLICATION_ID);
	if (version < 1 || version > STORE_SCHEMA_VERSION)
		return util_cause(cause, 0, "%s: schema version %lld, not one "
		    "this flowq reads (1 to %d)", path, (long long)version,
		    STORE_SCHEMA_VERSION);
	return 1;
}

sqlite3 *
qstore_open_day(const char *path, int64_t day, char **cause)
{
	sqlite3	*db;
	int	 fd = -1;

	/* the lock first: a -wal seen empty under it stays out of the file */
	if (day_finished(day) && (fd = read_lock(path)) >= 0 &&
	    !wal_empty(path)) {
		close(fd);
		fd = -1;
	}
	if ((db = open_ro(path, fd >= 0, fd, cause)) == NULL)
		return NULL;
	if (!day_markers(db, path, cause)) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

sqlite3 *
qstore_open_ro(const char *path, int immutable, char **cause)
{
	return open_ro(path, immutable, immutable ? read_lock(path) : -1,
	    cause);
}
