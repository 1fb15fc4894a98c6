/*
 * writer.h - write frozen bins of one interface to its store, off the loop.
 *
 * Called by capture.c on the loop thread.  Bins wait in a FIFO; one at a
 * time goes to store_write_bin() on a libuv worker thread (one interface
 * means one store, one DB file at a time).  A failed write is logged and
 * counted, the bin is kept at the head and retried after a back-off; when
 * the rows waiting exceed the configured bound the oldest waiting bins are
 * dropped and counted.  Every bin goes back to its flow table with
 * flowtab_bin_release() on the loop thread, written or not.
 */
#ifndef FLOWREC_WRITER_H
#define FLOWREC_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "flowtab.h"

/* Upper bounds (seconds) of the write-out duration histogram's buckets. */
#define WRITER_HIST_BOUNDS	{ 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, \
				  0.5, 1, 2.5, 5, 10, 30 }
#define WRITER_HIST_N		12

struct writer_stats {
	uint64_t	 bins_written;
	uint64_t	 rows_written;
	uint64_t	 bytes_written;	/* the flows' bytes, both ways */
	uint64_t	 write_errors;	/* failed store_write_bin() calls */
	uint64_t	 bins_dropped;	/* given up: queue bound or shutdown */
	uint64_t	 rows_dropped;
	size_t		 queued_bins;	/* waiting, the one being written included */
	size_t		 queued_rows;
	/* The last successful write-out, and all of them. */
	int64_t		 last_write_ns;	/* Unix ns it ended; 0: none yet */
	uint64_t	 last_duration_ns;
	uint64_t	 last_rows;
	uint64_t	 duration_ns_sum;
	uint64_t	 hist[WRITER_HIST_N]; /* writes of at most bound i,
					   not cumulative; bins_written
					   counts them all */
};

struct writer_config {
	size_t		 max_rows;	/* rows waiting before the oldest is dropped */
	uint32_t	 retry_min_ms;	/* first back-off after an error */
	uint32_t	 retry_max_ms;
};

struct writer;

/*
 * A writer for iface's bins under db_dir; bins are released to ft, which
 * must outlive the writer.  Caller owns the result; it frees itself after
 * writer_close() has called back.
 */
struct writer	*writer_new(uv_loop_t *, const char *db_dir, const char *iface,
		    struct flowtab *ft, const struct writer_config *);

/* Queue a frozen bin (the writer owns it until it releases it to ft). */
void		 writer_push(struct writer *, struct flowtab_bin *);

/*
 * After each committed write, on the loop thread: bins of iface starting
 * before horizon will not be written again by this writer (horizon is the
 * oldest bin still queued or open; an early write leaves its bin open).
 * The export (export.h) sends a bin only then.  One hook for the process;
 * NULL removes it.
 */
typedef void	 writer_commit_hook(void *arg, const char *iface,
		    int64_t horizon);
void		 writer_set_commit_hook(writer_commit_hook *, void *arg);

/*
 * Write everything queued, then free the writer and call done(arg).  A
 * failing write is retried until deadline_ms have passed, then its bin and
 * all after it are dropped (logged and counted).
 */
void		 writer_close(struct writer *, uint32_t deadline_ms,
		    void (*done)(void *, const struct writer_stats *), void *arg);

/*
 * Call done(arg, written) once every bin queued now has left the queue:
 * written is 1 when all of them were stored, 0 when one was dropped or the
 * writer closed first.  At once (on this stack) when the queue is empty.
 * At most WRITER_WAITERS waits at a time: -EBUSY past it.
 */
#define WRITER_WAITERS	64
int		 writer_when_written(struct writer *,
		    void (*done)(void *, int written), void *arg);

/* The counters so far, the queue as it is now. */
void		 writer_get_stats(const struct writer *, struct writer_stats *);

#endif
