/*
 * offline.h - flowrecd --read: a capture file through parser and flow
 * table into the store, with the same bins and counters as live capture.
 *
 * Called by flowrecd's main().  Reading never stops at a bad packet or a
 * truncated file; only a file that is not a capture (or cannot be opened)
 * is refused before anything is written.
 */
#ifndef FLOWREC_OFFLINE_H
#define FLOWREC_OFFLINE_H

#include <stddef.h>
#include <stdint.h>

#include "archive.h"

struct offline_options {
	const char	*path;		/* the capture file */
	const char	*iface;		/* interface name for the store */
	const char	*db_dir;
	uint32_t	 interval;	/* 0: 300 s */
	size_t		 max_flows;	/* 0: flowtab's default */
	int		 progress;	/* show progress on stderr */
	const struct conf_archive *archive; /* NULL or no path: none */
	const struct conf_headers *headers; /* NULL or no path: none */
	int		 anonymize;	/* enum conf_anonymize */
	int		 resume;	/* write only bins from resume_from on */
	int64_t		 resume_from;	/* Unix seconds */
};

struct offline_summary {
	uint64_t	 packets;
	uint64_t	 ip;
	uint64_t	 non_ip;
	uint64_t	 malformed;
	/*
	 * Records whose capture says which way they went (pcapng epb_flags
	 * inbound or outbound, SLL/SLL2).  0 with ip > 0: the capture has no
	 * direction, every packet was counted as received (SEMANTICS.md 5).
	 */
	uint64_t	 directed;
	uint64_t	 flows;		/* flow table rows handed to the store */
	uint64_t	 rows;		/* rows new to the store */
	uint64_t	 rows_updated;	/* rows added to (bin written before) */
	uint64_t	 bins;		/* bin writes */
	uint64_t	 bins_skipped;	/* bin writes before resume_from */
	/*
	 * After a failure or an interruption: every bin of the file ending
	 * at or before this time is in the store, none after it
	 * (INT64_MIN: none of the file's bins; with resume, at least
	 * resume_from).
	 */
	int64_t		 done_until;
	int		 truncated;	/* the file ended early or was corrupt */
	char		*note;		/* why it was truncated; caller frees */
	char		*linktypes;	/* "104 (7 packets)" not decoded; caller frees */
	int		 archived;	/* an archive was written: */
	struct archive_stats archive;
};

#define OFFLINE_REFUSED		-2	/* not a capture file: exit 2 */
#define OFFLINE_STORE_FAILED	-1	/* the store failed: exit 1 */
#define OFFLINE_ARCHIVE_FAILED	-3	/* the archive could not start: exit 1 */
#define OFFLINE_INTERRUPTED	-4	/* SIGINT or SIGTERM: exit 1 */

/*
 * Bins are written in batches of about this many rows, each one
 * transaction ending at a bin's end (store_set_batch()); a failure or an
 * interruption leaves the batches before it in the store and says from
 * where to resume (done_until).
 */
#define OFFLINE_BATCH_ROWS	(1u << 20)

/*
 * Read o->path into the store.  Returns 0 (the summary is filled, even for
 * a truncated file), OFFLINE_REFUSED, OFFLINE_STORE_FAILED with *cause, or
 * OFFLINE_INTERRUPTED (SIGINT or SIGTERM came: reading stopped, the open
 * batch was rolled back).  After the last two, s->done_until says what is
 * in the store: running again with resume_from = done_until adds exactly
 * the rest.
 */
int	offline_run(const struct offline_options *o, struct offline_summary *s,
	    char **cause);

#endif
