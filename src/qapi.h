/*
 * qapi.h - a query as goProbe defines it: its arguments (query.Args) and
 * its answer (results.Result), the one implementation behind `flowq` and
 * flowrecd's `POST /_query`.
 *
 * flowq turns its flags into a struct qargs as goquery does; the daemon
 * parses the request body with qapi_args_parse().  qapi_args_validate()
 * checks the arguments as goProbe's Args.Prepare() (the /_query/validate
 * answer); qapi_run() runs them over a store and returns the Result
 * document field for field as goProbe writes it (see flowq(1) JSON
 * OUTPUT).  Several queries may run at once, on any threads: each has its
 * own cancel flag and timeout.
 */
#ifndef FLOWREC_QAPI_H
#define FLOWREC_QAPI_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cond.h"
#include "qexec.h"
#include "qstore.h"

/* goProbe's defaults (pkg/query/defaults.go). */
#define QAPI_DEFAULT_NUM_RESULTS	1000
#define QAPI_DEFAULT_MAX_MEM_PCT	60
#define QAPI_DEFAULT_DNS_ROWS		25
#define QAPI_DEFAULT_DNS_TIMEOUT_NS	1000000000LL

/*
 * goProbe's query.Args.  Strings are NULL when absent; the JSON names are
 * in the comments.  The last block is flowq's own and never comes from
 * JSON.
 */
struct qargs {
	char		*query;		/* query: "talk_src", "sip,dip,time" */
	char		*ifaces;	/* ifaces: "eth0,eth1", "any", "/re/" */
	char		*query_hosts;	/* query_hosts: fleet, ignored here */
	char		*query_hosts_resolver_type; /* ignored here */
	char		*hostname;	/* hostname: ignored here */
	uint64_t	 host_id;	/* host_id: ignored here */
	char		*condition;	/* condition */
	int		 in, out, sum;	/* in, out, sum */
	char		*first, *last;	/* first, last: goquery's formats */
	char		*time_resolution; /* time_resolution: 5m, 1h, auto */
	char		*format;	/* format: txt, json, csv */
	char		*sort_by;	/* sort_by: bytes, packets, time */
	uint64_t	 num_results;	/* num_results; 0: the default */
	int		 sort_ascending; /* sort_ascending */
	int		 list, version;	/* list, version: do-and-exit */
	struct {
		int	 enabled;	/* dns_resolution.enabled */
		int64_t	 timeout_ns;	/* dns_resolution.timeout */
		int64_t	 max_rows;	/* dns_resolution.max_rows */
	}		 dns_resolution;
	int64_t		 max_mem_pct;	/* max_mem_pct; 0: the default */
	int		 low_mem;	/* low_mem */
	int64_t		 keepalive_ns;	/* keepalive */
	char		*caller;	/* caller */
	int		 live;		/* live: merge the daemon's open bins */

	/* flowq's own */
	int		 threads;	/* 0: one per core */
	int		 no_rollups;	/* read flow_rows only */
	int		 print_sql;	/* statements on stderr */

	/* the daemon's: its open bins for live (borrowed), by interface */
	const struct qapi_live *live_bins;
	size_t		 nlive_bins;
};

/*
 * One interface's open bin, copied on the daemon's loop thread; merged
 * into a query whose live is set (qexec.h, struct qlive), beside what the
 * store holds (the bins written before, and the parts of the open bin
 * written early by POST /flush or a full table).  A bin written while
 * the query ran may be in both or in neither: the daemon runs such a
 * query again (status.c).
 */
struct qapi_live {
	char		*iface;
	int64_t		 ts;		/* the open bin's start (Unix s) */
	uint32_t	 interval;
	struct flowtab_row *rows;
	size_t		 nrows;
};

/* An empty struct qargs with goProbe's defaults (Args.SetDefaults()). */
struct qargs	*qapi_args_new(void);
void		 qapi_args_free(struct qargs *);

/*
 * Parse a JSON object of goProbe's Args.  Returns 0 (*out: caller frees
 * with qapi_args_free()), or -1 with *cause naming the field ("num_results:
 * expected a positive integer"): a bad request, HTTP 400.  Unknown fields
 * are an error.
 */
int	qapi_args_parse(const char *json, size_t len, struct qargs **out,
	    char **cause);

/* The same over the fields of a (goquery's --stored-query over flags). */
int	qapi_args_parse_into(struct qargs *a, const char *json, size_t len,
	    char **cause);

/* A Go duration ("1h30m", "300ms"; also "1d", "30") in ns; -1 if bad. */
int64_t	qapi_duration_ns(const char *s);

/*
 * Check the arguments as goProbe's Args.Prepare() does (query type,
 * format, sort_by, ifaces, times, time resolution, DNS, condition,
 * max_mem_pct, keepalive, num_results, live).  Returns 0, or -1 with
 * *cause "FIELD: message" (one line per bad field): HTTP 422.
 */
int	qapi_args_validate(const struct qargs *, char **cause);

/*
 * Run the query over the store at db_path: a results.Result document
 * (status, hosts_statuses, summary, query, rows), hostname NULL meaning
 * this host's.  cancel (may be NULL) stops the query when it becomes
 * non-zero; timeout in seconds (0: none).  A day file that cannot be read
 * is left out and counted (summary.stats.blocks_corrupted).  Returns NULL
 * with *cause on an error (invalid arguments, an unknown interface, an
 * unreadable store, no readable file at all, cancelled: "interrupted",
 * timed out: "the query timed out").
 */
json_t	*qapi_run(const struct qargs *, const char *db_path,
	    const char *hostname, volatile int *cancel, double timeout,
	    char **cause);

/*
 * doc as goProbe's encoder writes it: compact, <, > and & as \u003c ...,
 * a newline at the end.  Caller frees.
 */
char	*qapi_dumps(const json_t *doc);

/* ------------------------------------------------------------ flowq */

/*
 * A query prepared and run: what qapi_run() makes its document from, and
 * what flowq prints as text or CSV.
 */
struct qapi_query {
	struct qquery	 q;
	struct cond	*cond;
	struct qfiles	 files;
	struct qresult	 res;
	char		*attributes;	/* "sip,dip": goProbe's query.attributes */
	int64_t		 query_start_ns; /* wall clock, for timings */
	uint64_t	 bytes_loaded;	/* sizes of the day files read */
	struct qlive	*live;		/* q.live: the open bins merged */
};

/*
 * goProbe's "list": true (goquery list): the interfaces of a's ifaces
 * (default any) with their totals over a's first/last (default: all
 * time), the document `flowq list -e json` prints.  NULL with *cause
 * (a bad time, a bad interface pattern).  Caller owns the result; free
 * with json_decref().
 */
json_t	*qapi_list(const struct qargs *a, const char *db_path, char **cause);

/* Validate, select the interfaces and files, run.  -1 with *cause. */
int	qapi_exec(const struct qargs *, const char *db_path,
	    volatile int *cancel, double timeout, struct qapi_query **out,
	    char **cause);

/* The Result document of a run query. */
json_t	*qapi_result(const struct qapi_query *, const char *hostname);

void	qapi_query_free(struct qapi_query *);

/*
 * The arguments as goProbe's query.Args JSON (what a fleet query sends
 * each host; absent and zero fields left out, flowq's own never sent).
 * Caller owns the result; free with json_decref().
 */
json_t	*qapi_args_json(const struct qargs *);

/*
 * Check the arguments and make the query they describe without running
 * it (a fleet query prints its merged rows with q).  0 with *condp set
 * (caller frees with cond_free()), or -1 with *cause.
 */
int	qapi_prepare(const struct qargs *, struct qquery *q,
	    struct cond **condp, char **cause);

/* Time t as Go marshals a time.Time (RFC 3339, local zone); buf >= 40. */
void	qapi_rfc3339(int64_t sec, long nsec, char *buf, size_t len);

#endif
