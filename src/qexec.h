/*
 * qexec.h - run a goquery-style query over flowrec's day files.
 *
 * flowq calls qexec_run() with the parsed query and the day files of the
 * selected interfaces.  For each file the key condition becomes the set
 * of matching flow key ids (through the dictionary tables' indexes); the
 * rows of the range are then either sought key by key (few keys) or
 * scanned in ts order by several threads (many keys), and summed per key
 * id in C.  Only then are key ids mapped to the selected attributes and
 * merged across files, interfaces and days.  In files of schema version
 * 2, whole days and hours of the range that the file lists as rolled up
 * are read from flow_rows_1d / flow_rows_1h instead of their bins, unless
 * the query needs finer time (see qexec.c); the answer is the same.
 *
 * Memory: one counter slot per flow key of the largest day file (per
 * job; reused file after file); across files, one group per distinct
 * result row.  Queries with `time` are
 * finalised day by day (a time bucket never spans days), keeping only
 * the best rows when a limit is set.  SIGINT (qexec_interrupt()), the
 * query's cancel flag and its timeout stop SQLite within a few thousand
 * VM steps.
 */
#ifndef FLOWREC_QEXEC_H
#define FLOWREC_QEXEC_H

#include <stddef.h>
#include <stdint.h>

#include "cond.h"
#include "qstore.h"

/* Attributes (result columns); the bit order is the column order. */
#define QA_TIME		0x01
#define QA_IFACE	0x02
#define QA_SIP		0x04
#define QA_DIP		0x08
#define QA_DPORT	0x10
#define QA_PROTO	0x20
#define QA_VLAN		0x40

enum qdir { QDIR_BOTH, QDIR_SUM, QDIR_IN, QDIR_OUT };

struct flowtab_row;

/*
 * Flows not in the files: one interface's open bin in the daemon, copied
 * on its loop thread (goProbe's "live": true), in the query's range.
 * qexec_run() counts them into the groups after the files, under the same
 * condition, before the rows are sorted and cut.
 */
struct qlive {
	uint32_t	 iface;		/* index into qfiles.ifaces */
	int64_t		 ts;		/* the bin's start (Unix s) */
	uint32_t	 interval;	/* its length (s) */
	const struct flowtab_row *rows;	/* borrowed */
	size_t		 nrows;
};
enum qsort { QSORT_BYTES, QSORT_PACKETS, QSORT_TIME };

struct qquery {
	unsigned	 attrs;		/* QA_* */
	const struct cond *cond;	/* NULL: every flow */
	int64_t		 first, last;	/* bins that overlap [first, last] */
	int64_t		 resolution;	/* time buckets (s); 0: the bins */
	enum qdir	 dir;
	enum qsort	 sort;
	int		 ascending;
	size_t		 limit;		/* 0: every row */
	int		 threads;	/* 0: one per core */
	int		 no_rollups;	/* read flow_rows only */
	int		 print_sql;	/* show statements on stderr */
	double		 timeout;	/* seconds; 0: none */
	volatile int	*cancel;	/* non-zero stops the query; NULL */
	const struct qlive *live;	/* NULL: the files only */
	size_t		 nlive;
};

/* A result row; key fields not in the query's attributes are zero. */
struct qkey {
	int64_t		 ts;		/* bucket start */
	uint32_t	 iface;		/* index into qfiles.ifaces */
	uint16_t	 dport;
	uint16_t	 vlan;
	uint8_t		 proto;
	uint8_t		 salen, dalen;	/* 4, 16 (0: not selected) */
	uint8_t		 pad;
	uint8_t		 sip[16];
	uint8_t		 dip[16];
};

struct qrow {
	struct qkey	 k;
	uint64_t	 bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent;
};

struct qresult {
	struct qrow	*rows;		/* sorted, at most limit */
	size_t		 nrows;
	uint64_t	 hits;		/* rows before the limit */
	uint64_t	 bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent;
	int		 data;		/* any bin in range at all */
	int64_t		 span_first, span_last;	/* covered by the bins */
	int		*iface_data;	/* per interface: had bins in range */
	/*
	 * The packets of those bins, whatever the condition: none sent but
	 * some received means the data has no direction (flowrecd --read of
	 * a capture without it, a mirror port).
	 */
	uint64_t	 bins_pkts_rcvd, bins_pkts_sent;
	uint64_t	 duration_ns;
	struct qskip {
		size_t	 file;		/* index into qfiles.files */
		char	*reason;	/* names the file */
	}		*skipped;	/* files that could not be read */
	size_t		 nskipped;
};

/*
 * Run q over files.  A file that cannot be read (damaged, truncated,
 * foreign) is left out, listed in res->skipped with the reason, and the
 * others are read again so that nothing of it counts.  Returns 0 (caller
 * frees *res with qexec_free()), or -1 with *cause (an interrupt, a
 * timeout).
 */
int	qexec_run(const struct qquery *q, const struct qfiles *files,
	    struct qresult *res, char **cause);
void	qexec_free(struct qresult *);

/* Ask every running query to stop (async-signal-safe): flowq's SIGINT. */
void	qexec_interrupt(void);

/* 1 once qexec_interrupt() was called. */
int	qexec_interrupted(void);

/*
 * What stops one query: qexec_interrupt(), its own cancel flag (set from
 * any thread; the daemon runs several queries at once) or its deadline.
 */
struct qwatch {
	volatile int	*cancel;	/* NULL: none */
	uint64_t	 deadline;	/* monotonic ns; 0: none */
};

#define QWATCH_INTERRUPTED	1
#define QWATCH_TIMEOUT		2

void	qwatch_init(struct qwatch *, volatile int *cancel, double timeout);
/* 0, QWATCH_INTERRUPTED or QWATCH_TIMEOUT (w NULL: the interrupt only). */
int	qwatch_stopped(const struct qwatch *w);
/* "interrupted" or "the query timed out". */
const char *qwatch_why(const struct qwatch *w);

/* Stop SQLite on db when w says so (w NULL: the interrupt only). */
void	qexec_watch(void *db, const struct qwatch *w);

#endif
