/*
 * metrics.h - GET /metrics: the Prometheus text exposition format
 * (version 0.0.4) of a snapshot of the daemon's counters (metrics.c).
 *
 * status.c takes the snapshot on the loop thread (plain copies, nothing
 * borrowed) and renders it on a worker thread, where the bytes on disk
 * per interface are counted too (a directory walk: disk, not the loop's).
 * Every family has HELP and TYPE; counters end in _total; units are
 * seconds and bytes: `promtool check metrics` finds nothing to say.
 */
#ifndef FLOWREC_METRICS_H
#define FLOWREC_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "capture.h"
#include "retention.h"
#include "taps.h"

struct metrics_iface {
	char		*name;
	int		 recording;	/* a capture exists (0: only retention
					   or disk figures) */
	int		 archive;	/* a packet archive or header
					   captures: st.archive counts */
	struct capture_stats st;
	size_t		 flows, max_flows;
	struct retention_iface_stats ret;	/* ret.name unused */
	uint64_t	 disk_bytes;	/* filled by metrics_render() */
};

struct metrics_export {
	char		*name;
	char		*kind;
	uint64_t	 bins_sent, rows_sent, bytes_sent, errors;
	uint64_t	 backlog_bins, backlog_rows;
	int64_t		 last_success_ns;
};

struct metrics_snapshot {
	char		*db_path;
	int		 iface_label;	/* 0: per-interface figures summed */
	struct metrics_iface *ifaces;
	size_t		 nifaces;
	struct retention_stats ret;
	int		 reload_last_ok;	/* 1, 0, -1 none */
	int64_t		 reload_last_ns;
	uint64_t	 reload_ok, reload_failed;
	struct metrics_export *exp;
	size_t		 nexp;
	struct api_counts api;
	int64_t		 started_ns;
	struct tap_totals taps;		/* flowctl tap's relay */
};

/*
 * The exposition text of s (disk_bytes filled in on the way); any thread.
 * Caller owns the result; free with free().  *len is its length.
 */
char	*metrics_render(struct metrics_snapshot *s, size_t *len);

/* The bytes of the regular files in dir (no recursion); 0 when none. */
uint64_t metrics_dir_bytes(const char *dir);

void	 metrics_snapshot_free(struct metrics_snapshot *);

#endif
