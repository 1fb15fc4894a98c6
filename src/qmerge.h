/*
 * qmerge.h - one results.Result out of many hosts' results.Result
 * documents (goProbe's JSON: status, hosts_statuses, summary, query,
 * rows of labels / attributes / counters br bs pr ps), as goProbe's
 * global-query merges them.
 *
 * Every row gets the host label of the host that answered (labels.host),
 * rows with equal labels and attributes are one row with their counters
 * summed, the summary's totals are summed and its hit count corrected by
 * the rows merged, interfaces are the union; the rows are sorted as the
 * query asked (bytes or packets, in, out or both, descending unless
 * ascending; ties by attributes then labels) and cut to num_results.
 *
 * It streams: each answer is merged as it arrives and may be freed right
 * after; whenever more than twice num_results rows are held, the tail is
 * dropped.  That is exact because a host's rows carry its own label and
 * each host is merged once (qmerge_add() refuses a second answer), so a
 * dropped row can never be summed with a later one.  Memory is num_results
 * rows and the answer being merged, whatever the number of hosts.
 *
 * Called by qfleet's users: flowq -q and the daemon's /_query with
 * query_hosts.  Knows nothing of HTTP.
 */
#ifndef FLOWREC_QMERGE_H
#define FLOWREC_QMERGE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util.h"

enum qmerge_sort { QMERGE_SORT_BYTES, QMERGE_SORT_PACKETS, QMERGE_SORT_TIME };
enum qmerge_dir { QMERGE_DIR_BOTH, QMERGE_DIR_IN, QMERGE_DIR_OUT };

struct qmerge_opts {
	enum qmerge_sort sort;
	enum qmerge_dir	 dir;
	int		 ascending;
	uint64_t	 limit;		/* rows kept; 0: no limit */
};

struct qmerge;

/*
 * The order and limit a query's arguments (goProbe's query.Args JSON:
 * sort_by, in, out, sum, sort_ascending, num_results) ask for; absent
 * keys take goProbe's defaults (bytes, both, descending, 1000).  0, or
 * -EINVAL with *cause set.
 */
int	 qmerge_opts_from_args(const json_t *args, struct qmerge_opts *,
	    char **cause);

/* Caller owns the result; free with qmerge_free(). */
struct qmerge *qmerge_new(const struct qmerge_opts *);
void	 qmerge_free(struct qmerge *);

/*
 * Merge host's answer (borrowed; the caller may free it on return).  An
 * answer that is not a results.Result (no rows array, a row without
 * counters, a negative counter ...) is merged not at all and recorded as
 * host's error, as is an answer whose status is "error".  Returns 0, or
 * -EEXIST when host was merged already, or -EINVAL (a bad answer, now the
 * host's error) with *cause set.
 */
int	 qmerge_add(struct qmerge *, const char *host, const json_t *result,
	    char **cause);

/* Record that host gave no answer: status error with message. */
void	 qmerge_fail(struct qmerge *, const char *host, const char *message);

/* Hosts merged or failed so far, and those with status ok or empty. */
size_t	 qmerge_hosts(const struct qmerge *);
size_t	 qmerge_answered(const struct qmerge *);

/*
 * The merged results.Result: rows sorted and cut, hosts_statuses of
 * every host, summary.timings from query_start_ns (Unix ns) to now.
 * Caller owns the result; free with json_decref().  The merge may go on
 * after it (a partial result).
 */
json_t	*qmerge_result(struct qmerge *, int64_t query_start_ns);

/*
 * A time as goProbe writes it (RFC 3339, any zone) or a Unix time in
 * seconds, into Unix ns.  0, or -1 when v is neither.
 */
int	 qmerge_time(const json_t *v, int64_t *ns);

#endif
