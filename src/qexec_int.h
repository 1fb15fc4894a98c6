/*
 * qexec_int.h - qexec's internals, shared by its four parts (libuv's rule:
 * qexec_ in qexec.h is the API, qexec__ here is not; nothing outside
 * src/qexec*.c includes this file).
 *
 *   qexec.c        the API: qexec_run() over the files, one after the
 *                  other, the daemon's open bins, the final rows; SIGINT
 *                  and the query's watch (cancel flag, timeout);
 *   qexec_plan.c   one day file: its bins, rollups and matching keys, the
 *                  units its ts range is cut into, and the jobs (threads)
 *                  the units are shared out to (qexec__run_file());
 *   qexec_scan.c   one job: the statements that read its units, the rows
 *                  summed per key slot, the dictionary, the touched keys
 *                  handed to the groups; the arena of id-indexed arrays;
 *   qexec_group.c  the group table the partial sums of every file and job
 *                  are merged into, the query's order, the best rows.
 */
#ifndef FLOWREC_QEXEC_INT_H
#define FLOWREC_QEXEC_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "cond.h"
#include "qexec.h"

/* Ids index arrays (and uint32_t lists of them): the store's limit. */
#define QEXEC_MAX_ID	0x7ffffffe

/* ------------------------------------------------------------ groups */

struct gtab {
	struct qrow	*rows;
	size_t		 n, cap;
	uint32_t	*slots;		/* row index + 1; 0: empty */
	size_t		 nslots;	/* power of two */
};

/* ------------------------------------------------------------ files */

struct kinfo {
	int64_t		 sip, dip;
	uint16_t	 dport, vlan;
	uint8_t		 proto;
	uint8_t		 loaded;
};

struct ainfo {
	uint8_t		 ip[16];
	uint8_t		 len;
};

struct kacc {
	uint64_t	 br, bs, pr, ps;
};

/*
 * The arrays indexed by key or address id, reused by every file of a run
 * (allocating and freeing megabytes per file costs more than a seek):
 * each file leaves them zero again, clearing only what it touched.
 */
struct arena {
	size_t		  keys, addrs;	/* slots */
	size_t		  njobs;
	struct kacc	**acc;		/* per job */
	uint32_t	**touched;	/* per job */
	struct kinfo	 *kinfo;
	struct ainfo	 *ainfo;
	uint8_t		 *bitmap;
};

struct job;

/* Where a unit's rows are read from. */
enum src { SRC_ROWS, SRC_HOUR, SRC_DAY, SRC_N };

/* A unit of each src spans this long (s; 0: a bin of flow_rows). */
extern const int64_t qexec__src_span[SRC_N];

/*
 * A piece [a, b] of the ts range that one table answers: bins of
 * flow_rows (a bin with the gap before it), or one complete rollup.  The
 * units of a file are sorted and partition [lo + 1, hi].
 */
struct unit {
	int64_t		 a, b;
	int64_t		 rows;		/* estimate */
	size_t		 nbins;		/* bins of flow_rows inside */
	enum src	 src;
};

/* What all threads of one file share. */
struct fctx {
	const struct qquery *q;
	const struct qwatch *w;		/* what stops the query */
	const struct qfile *f;
	sqlite3		*db;		/* main thread's connection */
	int64_t		 lo, hi;	/* rows with lo < ts <= hi */
	int64_t		 maxkey, maxaddr;
	int64_t		 bytes;		/* the file's size */
	uint8_t		*bitmap;	/* matching keys; NULL: all */
	struct kinfo	*kinfo;		/* by slot, loaded on demand */
	struct ainfo	*ainfo;		/* by address id */
	int		 bulk;		/* the whole dictionary is loaded */
	uint32_t	*loaded;	/* slots loaded one by one */
	size_t		 nloaded, loaded_cap;
	int		 key_index;	/* flow_rows has an index on key */
	int64_t		 version;	/* PRAGMA user_version */
	sqlite3_stmt	*keyst;		/* one key's attributes */
	struct unit	*units;
	size_t		 nunits;
	uint32_t	*ids;		/* seeks: the matching key ids, sorted */
	size_t		 nids;
	struct arena	*ar;
	struct gtab	*g;
	pthread_mutex_t	 lock;		/* g and the dictionary */
	char		*err;
};

/* One thread's share: units [u0, u1), a counter slot per key id. */
struct job {
	struct fctx	*fc;
	size_t		 u0, u1;
	int		 seek;
	struct kacc	*acc;
	uint32_t	*touched;
	size_t		 ntouched;
	int64_t		 bucket;
	uint64_t	 rows;
	int		 own_conn;
	pthread_t	 th;
	int		 started;
};

struct binfo {
	int64_t		 ts;
	int64_t		 flows;
};

/* A complete rollup the query may use. */
struct rinfo {
	int64_t		 ts, rows;
	enum src	 src;
};

struct final {
	struct qrow	*rows;
	size_t		 n, cap;
};

/*
 * Counters and dictionary entries are indexed by slot: the key id, or for
 * a seek, the key's rank among the matching keys (ids), so that a few
 * keys scattered over a big dictionary use a few pages, not one page
 * each (a first touch of a page costs more than the seek).  -1: no slot.
 */
static inline int64_t
qexec__key_slot(const struct fctx *fc, int64_t key)
{
	size_t lo = 0, hi = fc->nids, mid;

	if (fc->ids == NULL)
		return key >= 0 && key <= fc->maxkey ? key : -1;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (fc->ids[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < fc->nids && fc->ids[lo] == key ? (int64_t)lo : -1;
}

/* qexec_group.c */
/* Add the counters to k's group (made when new); aborts without memory. */
void	qexec__gtab_add(struct gtab *g, const struct qkey *k, uint64_t br,
	    uint64_t bs, uint64_t pr, uint64_t ps);
/* Empty the table. */
void	qexec__gtab_clear(struct gtab *g);
/* Sort n rows in the query's order. */
void	qexec__sort_rows(const struct qquery *q, struct qrow *rows, size_t n);
/* Move the keep best rows (query order) to the front, unsorted. */
void	qexec__select_best(const struct qquery *q, struct qrow *rows, size_t n,
	    size_t keep);
/* Move the groups that pass the dir filter into the final rows. */
void	qexec__finalize(const struct qquery *q, struct gtab *g,
	    struct final *fin, struct qresult *res);

/* qexec_scan.c */
/* Room in a for the ids and jobs: 0, or -1 with a emptied (no memory). */
int	qexec__arena_fit(struct arena *a, int64_t maxkey, int64_t maxaddr,
	    size_t njobs);
void	qexec__arena_free(struct arena *a);
/* Record the file's first error (takes fc->lock). */
void	qexec__fctx_error(struct fctx *fc, const char *what, sqlite3 *db);
/* --sql's output on stderr, one writer at a time. */
extern pthread_mutex_t qexec__show_lock;
/* --sql: a statement (once) and its parameters, on stderr. */
void	qexec__show_sql(const struct qquery *q, const char *sql,
	    const struct cond_sql *cs, int64_t lo, int64_t hi);
/* Bind the condition's parameters from first on: an SQLite result code. */
int	qexec__bind_cond(sqlite3_stmt *st, int first, const struct cond_sql *cs);
/* Hand the touched keys of j to the group table, then clear them. */
void	qexec__job_flush(struct job *j);
/* A job's thread (or the caller, for one job): read units [u0, u1). */
void	*qexec__job_run(void *arg);

/* qexec_plan.c */
/* Run the query over one day file into g: 0, or -1 with *cause set. */
int	qexec__run_file(const struct qquery *q, const struct qwatch *w,
	    const struct qfile *f, const char *ifname, struct gtab *g,
	    struct arena *ar, struct qresult *res, int nthreads, char **cause);

#endif
