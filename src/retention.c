/*
 * retention.c - the store's retention (see retention.h).
 *
 * A pass lists each interface directory once, groups the day files and
 * their companions by day, asks retention_plan() how many of the oldest
 * days go, and removes them: the .db first, then -wal, -shm and -journal
 * (companions left without their .db, by a crash between two unlinks, are
 * days of their own and go the same way, so an old -wal can never meet a
 * new file of its name), then their catalog rows.  Unlinking a large file
 * takes time on some file systems, so passes run on a worker thread; the
 * loop thread only copies settings in and counters out.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "names.h"
#include "retention.h"
#include "store_int.h"	/* STORE_LOCK_NAME, the store's lock file */
#include "util.h"

#define DAY_LEN		10	/* YYYY-MM-DD */

/* The files of one day, by suffix after "<iface>-YYYY-MM-DD". */
static const char *const retention_suffixes[] = {
	".db", ".db-wal", ".db-shm", ".db-journal"
};
#define NSUFFIXES	(sizeof retention_suffixes / sizeof retention_suffixes[0])

/* ------------------------------------------------------------ the plan */

/* The UTC day n days before today ("2025-03-24" - 6 = "2025-03-18"). */
static void
retention_day_back(const char *today, uint32_t n, char *out, size_t len)
{
	struct tm tm;
	int64_t t;

	memset(&tm, 0, sizeof tm);
	if (sscanf(today, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday) != 3) {
		snprintf(out, len, "0000-00-00");
		return;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = (int64_t)timegm(&tm) - (int64_t)n * 86400;
	util_utc_day(t, out, len);
}

size_t
retention_plan(const struct retention_day *days, size_t n,
    const struct conf_retention *pol, const char *today, int protect_newest,
    const char **why)
{
	char first_kept[16];
	size_t k = 0, limit, i;
	uint64_t total = 0;
	const char *reason = NULL;

	/* Never today or later, never a protected newest day. */
	for (limit = 0; limit < n && strcmp(days[limit].day, today) < 0;
	    limit++)
		;
	if (protect_newest && n > 0 && limit == n)
		limit = n - 1;

	if (pol->keep_days != 0) {
		retention_day_back(today, pol->keep_days - 1, first_kept,
		    sizeof first_kept);
		while (k < limit && strcmp(days[k].day, first_kept) < 0)
			k++;
		if (k > 0)
			reason = "older than keep_days";
	}
	if (pol->max_bytes != 0) {
		for (i = k; i < n; i++)
			total += days[i].bytes;
		while (k < limit && total > pol->max_bytes) {
			total -= days[k++].bytes;
			reason = "over max_bytes";
		}
	}
	if (why != NULL)
		*why = reason;
	return k;
}

/* ----------------------------------------------------------- one sweep */

struct sweep_dir {
	struct retention_day *days;
	size_t		 n, cap;
};

static int
day_cmp(const void *a, const void *b)
{
	return strcmp(((const struct retention_day *)a)->day,
	    ((const struct retention_day *)b)->day);
}

/* "YYYY-MM-DD", digits and dashes where they belong. */
static int
retention_is_day(const char *s)
{
	int i;

	for (i = 0; i < DAY_LEN; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Add the file name (in iface's directory) to its day; others ignored. */
static void
sweep_add(struct sweep_dir *sd, const char *iface, const char *name,
    uint64_t bytes)
{
	size_t il = strlen(iface), i, s;
	struct retention_day *d;
	const char *day;

	if (strncmp(name, iface, il) != 0 || name[il] != '-')
		return;
	day = name + il + 1;
	if (strlen(day) < DAY_LEN || !retention_is_day(day))
		return;
	for (s = 0; s < NSUFFIXES; s++)
		if (strcmp(day + DAY_LEN, retention_suffixes[s]) == 0)
			break;
	if (s == NSUFFIXES)
		return;
	for (i = 0; i < sd->n; i++)
		if (strncmp(sd->days[i].day, day, DAY_LEN) == 0)
			break;
	if (i == sd->n) {
		if (sd->n == sd->cap) {
			sd->cap = sd->cap ? sd->cap * 2 : 64;
			sd->days = util_realloc(sd->days, sd->cap,
			    sizeof *sd->days);
		}
		d = &sd->days[sd->n++];
		memset(d, 0, sizeof *d);
		memcpy(d->day, day, DAY_LEN);
	}
	sd->days[i].bytes += bytes;
	if (s == 0)
		sd->days[i].has_db = 1;
}

static struct retention_iface_stats *
per_iface(struct retention_iface_stats **per, size_t *nper, const char *name)
{
	size_t i;

	for (i = 0; i < *nper; i++)
		if (strcmp((*per)[i].name, name) == 0)
			return &(*per)[i];
	*per = util_realloc(*per, *nper + 1, sizeof **per);
	memset(&(*per)[*nper], 0, sizeof **per);
	(*per)[*nper].name = util_strdup(name);
	return &(*per)[(*nper)++];
}

/* Remove the files of one day; 0 when every file present went. */
static int
sweep_remove_day(const char *dir, const char *iface,
    const struct retention_day *d, const char *why,
    struct retention_stats *st, struct retention_iface_stats *ps)
{
	char *path;
	size_t s;
	int failed = 0;

	for (s = 0; s < NSUFFIXES; s++) {
		path = util_printf("%s/%s-%s%s", dir, iface, d->day,
		    retention_suffixes[s]);
		if (unlink(path) == 0) {
			st->files_removed++;
			ps->files_removed++;
		} else if (errno != ENOENT) {
			log_error("retention: %s: cannot remove: %s", path,
			    strerror(errno));
			st->errors++;
			ps->errors++;
			failed = 1;
		}
		free(path);
	}
	if (failed)
		return -1;
	st->days_removed++;
	ps->days_removed++;
	st->bytes_removed += d->bytes;
	ps->bytes_removed += d->bytes;
	log_info("retention: %s: removed %s%s (%llu bytes): %s", iface, d->day,
	    d->has_db ? "" : " (leftover -wal/-shm)",
	    (unsigned long long)d->bytes, why ? why : "left behind");
	return 0;
}

/* One interface directory. */
static void
sweep_iface(const char *db_dir, const char *iface,
    const struct conf_retention *pol, int recording, const char *today,
    struct retention_stats *st, struct retention_iface_stats **per,
    size_t *nper)
{
	struct sweep_dir sd;
	struct retention_iface_stats *ps;
	struct dirent *de;
	struct stat sb;
	const char *why = NULL;
	char *dir, *path, **gone;
	size_t k, i, ngone = 0;
	DIR *dp;
	char *cause = NULL;
	int fd;

	dir = util_printf("%s/%s", db_dir, iface);
	if ((dp = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	memset(&sd, 0, sizeof sd);
	while ((de = readdir(dp)) != NULL) {
		path = util_printf("%s/%s", dir, de->d_name);
		if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode))
			sweep_add(&sd, iface, de->d_name,
			    (uint64_t)sb.st_size);
		free(path);
	}
	closedir(dp);
	if (sd.n > 1)
		qsort(sd.days, sd.n, sizeof *sd.days, day_cmp);

	/* Companions without their .db are removed whatever the bounds. */
	k = retention_plan(sd.days, sd.n, pol, today, recording, &why);
	gone = util_calloc(sd.n + 1, sizeof *gone);
	ps = NULL;
	for (i = 0; i < sd.n; i++) {
		if (i >= k && (sd.days[i].has_db ||
		    strcmp(sd.days[i].day, today) >= 0))
			continue;
		if (ps == NULL)
			ps = per_iface(per, nper, iface);
		if (sweep_remove_day(dir, iface, &sd.days[i], i < k ? why :
		    NULL, st, ps) == 0 && sd.days[i].has_db)
			gone[ngone++] = sd.days[i].day;
	}
	if (ngone > 0 && catalog_remove_days(db_dir, iface,
	    (const char *const *)gone, ngone, &cause) != 0) {
		log_warn("retention: %s: catalog: %s (flowq reads the files "
		    "instead)", iface, cause);
		free(cause);
	}
	/*
	 * A directory of an interface no longer recorded goes when no day is
	 * left, with the store's lock file, unlinked while held so that no
	 * writer can be using it.
	 */
	if (!recording && ngone > 0 && k == sd.n) {
		path = util_printf("%s/%s", dir, STORE_LOCK_NAME);
		if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
			if (flock(fd, LOCK_EX | LOCK_NB) == 0)
				unlink(path);
			close(fd);
		}
		free(path);
		if (rmdir(dir) == 0)
			log_info("retention: %s: removed its empty directory",
			    iface);
	}
	free(gone);
	free(sd.days);
	free(dir);
}

int
retention_sweep(const char *db_dir, const struct retention_iface *ifaces,
    size_t n, const struct conf_retention *global, int64_t now,
    struct retention_stats *st, struct retention_iface_stats **per,
    size_t *nper, char **cause)
{
	char today[16], *path;
	struct dirent *de;
	struct stat sb;
	size_t i;
	DIR *dp;

	util_utc_day(now, today, sizeof today);
	if ((dp = opendir(db_dir)) == NULL)
		return util_cause(cause, -errno, "%s: %s", db_dir,
		    strerror(errno));
	for (i = 0; i < n; i++) {
		if (ifaces[i].busy) {
			log_info("retention: %s: bins are waiting for the "
			    "store; trying again later", ifaces[i].name);
			st->deferred++;
			continue;
		}
		if (ifaces[i].policy.keep_days == 0 &&
		    ifaces[i].policy.max_bytes == 0)
			continue;
		sweep_iface(db_dir, ifaces[i].name, &ifaces[i].policy,
		    ifaces[i].recording, today, st, per, nper);
	}
	/* Directories of interfaces the daemon does not know: global. */
	while ((global->keep_days != 0 || global->max_bytes != 0) &&
	    (de = readdir(dp)) != NULL) {
		if (names_check_iface(de->d_name, NULL) != 0)
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(ifaces[i].name, de->d_name) == 0)
				break;
		if (i < n)
			continue;
		path = util_printf("%s/%s", db_dir, de->d_name);
		if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
			sweep_iface(db_dir, de->d_name, global, 0, today, st,
			    per, nper);
		free(path);
	}
	closedir(dp);
	st->passes++;
	return 0;
}

void
retention_stats_free(struct retention_iface_stats *per, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(per[i].name);
	free(per);
}

/* ------------------------------------------------ passes on the worker */

/* The settings of one pass, owned by it. */
struct retention_pass {
	struct retention *r;
	char		*db_dir;
	struct retention_iface *ifaces;
	size_t		 n;
	struct conf_retention global;
	/* Results, added to the totals on the loop thread. */
	struct retention_stats st;
	struct retention_iface_stats *per;
	size_t		 nper;
};

struct retention {
	uv_loop_t	*loop;
	uv_work_t	 work;
	struct retention_pass *running;
	struct retention_pass *next;	/* the newest request meanwhile */
	int		 stopped;
	struct retention_stats st;
	struct retention_iface_stats *per;
	size_t		 nper;
};

static void
retention_pass_free(struct retention_pass *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++)
		free((char *)p->ifaces[i].name);
	free(p->ifaces);
	free(p->db_dir);
	retention_stats_free(p->per, p->nper);
	free(p);
}

static void
retention_work(uv_work_t *w)
{
	struct retention_pass *p = w->data;
	char *cause = NULL;
	uint64_t t0 = util_now_ns();
	int configured = p->global.keep_days != 0 || p->global.max_bytes != 0;
	size_t i;

	if (retention_sweep(p->db_dir, p->ifaces, p->n, &p->global,
	    (int64_t)time(NULL), &p->st, &p->per, &p->nper, &cause) != 0) {
		log_error("retention: %s", cause);
		free(cause);
		p->st.errors++;
		return;
	}
	for (i = 0; i < p->n && !configured; i++)
		configured = p->ifaces[i].policy.keep_days != 0 ||
		    p->ifaces[i].policy.max_bytes != 0;
	/* Without retention configured, a pass is not worth a line. */
	util_log(configured || p->st.files_removed != 0 ? LOG_LEVEL_INFO :
	    LOG_LEVEL_DEBUG, "retention: pass done: %llu days removed (%llu "
	    "files, %llu bytes) in %.3f s",
	    (unsigned long long)p->st.days_removed,
	    (unsigned long long)p->st.files_removed,
	    (unsigned long long)p->st.bytes_removed,
	    (double)(util_now_ns() - t0) / 1e9);
}

static void	retention_start(struct retention *);

static void
retention_after(uv_work_t *w, int status)
{
	struct retention_pass *p = w->data;
	struct retention *r = p->r;
	struct retention_iface_stats *ps;
	struct timespec ts;
	size_t i, j;

	(void)status;	/* a pass is never cancelled */
	r->st.passes += p->st.passes;
	r->st.days_removed += p->st.days_removed;
	r->st.files_removed += p->st.files_removed;
	r->st.bytes_removed += p->st.bytes_removed;
	r->st.errors += p->st.errors;
	r->st.deferred += p->st.deferred;
	clock_gettime(CLOCK_REALTIME, &ts);
	r->st.last_pass_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	for (i = 0; i < p->nper; i++) {
		for (j = 0; j < r->nper; j++)
			if (strcmp(r->per[j].name, p->per[i].name) == 0)
				break;
		if (j == r->nper) {
			r->per = util_realloc(r->per, r->nper + 1,
			    sizeof *r->per);
			memset(&r->per[j], 0, sizeof *r->per);
			r->per[j].name = util_strdup(p->per[i].name);
			r->nper++;
		}
		ps = &r->per[j];
		ps->days_removed += p->per[i].days_removed;
		ps->files_removed += p->per[i].files_removed;
		ps->bytes_removed += p->per[i].bytes_removed;
		ps->errors += p->per[i].errors;
	}
	retention_pass_free(p);
	r->running = NULL;
	retention_start(r);
}

static void
retention_start(struct retention *r)
{
	if (r->running != NULL || r->next == NULL || r->stopped)
		return;
	r->running = r->next;
	r->next = NULL;
	r->work.data = r->running;
	if (uv_queue_work(r->loop, &r->work, retention_work,
	    retention_after) != 0) {
		retention_pass_free(r->running);
		r->running = NULL;
	}
}

struct retention *
retention_new(uv_loop_t *loop)
{
	struct retention *r = util_calloc(1, sizeof *r);

	r->loop = loop;
	return r;
}

void
retention_run(struct retention *r, const char *db_dir,
    const struct retention_iface *ifaces, size_t n,
    const struct conf_retention *global)
{
	struct retention_pass *p;
	size_t i;

	if (r->stopped)
		return;
	p = util_calloc(1, sizeof *p);
	p->r = r;
	p->db_dir = util_strdup(db_dir);
	p->ifaces = util_calloc(n + 1, sizeof *p->ifaces);
	for (i = 0; i < n; i++) {
		p->ifaces[i] = ifaces[i];
		p->ifaces[i].name = util_strdup(ifaces[i].name);
	}
	p->n = n;
	p->global = *global;
	retention_pass_free(r->next);
	r->next = p;
	retention_start(r);
}

void
retention_stop(struct retention *r)
{
	r->stopped = 1;
	retention_pass_free(r->next);
	r->next = NULL;
}

void
retention_get_stats(const struct retention *r, struct retention_stats *st)
{
	*st = r->st;
	st->running = r->running != NULL;
}

const struct retention_iface_stats *
retention_get_iface_stats(const struct retention *r, size_t *n)
{
	*n = r->nper;
	return r->per;
}

void
retention_free(struct retention *r)
{
	if (r == NULL)
		return;
	retention_pass_free(r->next);
	retention_stats_free(r->per, r->nper);
	free(r);
}
