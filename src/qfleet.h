/*
 * qfleet.h - ask many flowrecd hosts the same query at once: POST
 * /_query with the query's arguments to each, over libcurl's multi
 * interface on a loop of its own, at most max_inflight hosts at a time.
 *
 * Each host has host_timeout to answer (connect, TLS and the whole
 * answer), the whole run at most timeout; a host that is slow, refuses,
 * answers 401, garbage or too much ends as that host's error with a
 * message, never holding the others: the run is over when the last host
 * answered, failed or timed out.  Each answer is handed to on_answer as
 * it arrives (the caller merges it and lets it go, so memory stays at
 * max_inflight answers of at most max_answer bytes).
 *
 * Called by flowq -q (in its main thread) and by the daemon's /_query
 * with query_hosts (in a worker thread: qfleet_run() blocks).  Every
 * request carries the caller's runtime id in QFLEET_RUNTIME_HEADER, so a
 * daemon refuses a fan-out that comes back to it (goProbe's recursion
 * detector).
 */
#ifndef FLOWREC_QFLEET_H
#define FLOWREC_QFLEET_H

#include <stddef.h>

#include <jansson.h>

#include "hosts.h"
#include "util.h"

/* goProbe's name (its pkg/api/server), so either side sees the other */
#define QFLEET_RUNTIME_HEADER	"X-Goprobe-Runtime-Id"
#define QFLEET_MAX_INFLIGHT	64
#define QFLEET_HOST_TIMEOUT_MS	10000
#define QFLEET_MAX_ANSWER	(64 * 1024 * 1024)

/*
 * A host's outcome: result set (borrowed for the call) when it answered
 * a JSON document with HTTP 200, else error set ("connection refused",
 * "HTTP 401: ...", "no answer within 10 s").
 */
typedef void	 qfleet_answer_cb(void *arg, const struct hosts_target *,
		    const json_t *result, const char *error);
/* Hosts done so far out of all; called after each one. */
typedef void	 qfleet_progress_cb(void *arg, size_t done, size_t total);

struct qfleet_opts {
	size_t		 max_inflight;	/* 0: QFLEET_MAX_INFLIGHT */
	int		 host_timeout_ms; /* 0: QFLEET_HOST_TIMEOUT_MS */
	int		 timeout_ms;	/* the whole run; 0: none */
	size_t		 max_answer;	/* bytes of one answer; 0: default */
	const char	*runtime_id;	/* NULL: not sent */
	volatile int	*cancel;	/* set (by a signal): stop within
					   0.1 s; NULL: none */
	qfleet_answer_cb *on_answer;
	qfleet_progress_cb *on_progress; /* NULL: none */
	void		*arg;
};

/*
 * POST body (len bytes, JSON) to /_query of each of the n targets.
 * on_answer is called once for every target, in the calling thread:
 * those not asked or not done when the run is cancelled or its timeout
 * passes get the error saying so.  Returns 0 when the run went to its
 * end, -ECANCELED when *cancel stopped it, -ETIMEDOUT when timeout did,
 * or -EIO when libcurl failed (*cause set; the hosts not done get
 * "libcurl failed").
 */
int	 qfleet_run(const struct hosts_target *, size_t n, const char *body,
	    size_t len, const struct qfleet_opts *, char **cause);

/*
 * A whole fleet query, the one path of flowq -q and of the daemon's
 * query_hosts: the hosts selector names (hosts_select(), env_token for
 * FLOWQ_TOKEN), args (goProbe's query.Args JSON, borrowed) sent to each
 * without its query_hosts, the answers merged as they come (qmerge).
 * o's on_answer and arg are not used (on_progress is).  Returns 0 with
 * *out the merged results.Result (caller frees with json_decref()) even
 * when no host answered (its hosts_statuses say why); -EINVAL with
 * *cause for a bad selector or arguments; -ECANCELED when *o->cancel was
 * set (no *out).
 */
int	 qfleet_query(const struct hosts *, const char *selector,
	    const char *env_token, const json_t *args,
	    const struct qfleet_opts *o, json_t **out, char **cause);

/* Hosts in a result's hosts_statuses whose status is ok or empty. */
size_t	 qfleet_answered(const json_t *result);

/*
 * The daemon's POST /_query with query_hosts (goProbe's global-query
 * server), run in a worker thread: body is the request's query.Args,
 * peer_runtime_id the request's QFLEET_RUNTIME_HEADER (NULL: none), the
 * hosts from hosts_file (NULL: the default), o->runtime_id the daemon's
 * own.  A request that comes from a fan-out (it carries a runtime id)
 * may not ask for another: 400, no loops.  query_hosts may only name
 * hosts of the file (or "any"): no "@FILE", no address.  Returns the
 * HTTP status: 200 with *out the merged results.Result, else 400 (bad
 * JSON or a loop), 422 (arguments goProbe's Prepare() refuses, a bad
 * selector, a host not in the file), 500 (the hosts file), 503
 * (cancelled) with *cause set.
 */
int	 qfleet_request(const char *body, size_t len,
	    const char *peer_runtime_id, const char *hosts_file,
	    const struct qfleet_opts *o, json_t **out, char **cause);

/* Once per process, before any thread starts: libcurl's global init. */
int	 qfleet_init(char **cause);

/* A new runtime id (random hex). Caller owns the result; free(). */
char	*qfleet_runtime_id(void);

#endif
