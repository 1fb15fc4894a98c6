/*
 * capture.h - record one interface: AF_PACKET TPACKET_V3 ring -> flow table
 * -> writer, on the daemon's libuv loop.
 *
 * Created and stopped by daemon.c.  Per interface: a packet socket with a
 * kernel filter that passes only IPv4/IPv6 (bpf.c: Ethernet with any VLAN
 * tags, PPPoE session, MPLS; raw IP; loopback), an mmap'ed RX ring driven
 * by a uv_poll whose frames go through ingest.c into a flow table rotated
 * by packet time (and by the wall clock when the interface is silent), and
 * a writer that stores frozen bins on worker threads.  A missing or
 * vanished interface is logged and retried by timer.  Nothing here logs
 * per packet; ring memory is only read between TP_STATUS_USER and the
 * hand-back of its block.
 */
#ifndef FLOWREC_CAPTURE_H
#define FLOWREC_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "archive.h"
#include "conf.h"
#include "parse.h"
#include "writer.h"

/* Monotonic totals of one interface since its capture started. */
struct capture_stats {
	uint64_t	 kernel_packets;	/* tp_packets (drops included) */
	uint64_t	 kernel_drops;
	uint64_t	 kernel_freezes;
	uint64_t	 frames;		/* walked in the ring */
	uint64_t	 ip;			/* counted into flows */
	uint64_t	 corrupt_blocks;	/* ring blocks that lied */
	uint64_t	 lost_no_memory;	/* table full, no spare table */
	uint64_t	 opens;			/* successful (re)opens */
	uint64_t	 non_ip;		/* frames skipped: not IP */
	uint64_t	 malformed;		/* ... malformed */
	uint64_t	 reasons[PARSE_REASON_COUNT]; /* skipped, by reason */
	int64_t		 started_ns;		/* Unix ns of capture_new() */
	struct writer_stats writer;
	struct archive_stats archive;	/* zero without an archive */
};

struct capture;

/*
 * Start recording ifc (settings copied).  db_path, interval and queue_rows
 * come from conf.  The interface need not exist yet.  Returns NULL when
 * memory for the flow table or the store is missing (logged).
 */
struct capture	*capture_new(uv_loop_t *, const struct conf *,
		    const struct conf_iface *ifc);

/*
 * Stop: stop the kernel from adding packets, walk what is in the ring,
 * write the open bin and everything queued (a failing store is given
 * write_deadline_ms), close every handle, free the capture and call
 * done(arg, name, stats).  name and stats are valid during the call.
 */
void		 capture_stop(struct capture *, uint32_t write_deadline_ms,
		    void (*done)(void *, const char *,
		    const struct capture_stats *), void *arg);

/* The totals so far (the writer's queue as it is now). */
void		 capture_get_stats(struct capture *, struct capture_stats *);

/*
 * What the open bin has counted so far (since the last write-out): its
 * counters, the flows in it and how many it may hold before an early
 * write.
 */
void		 capture_get_bin(struct capture *, struct flowtab_stats *,
		    size_t *flows, size_t *max_flows);

/*
 * A copy of the open bin's rows, for a "live" query (on the loop thread:
 * a memcpy of 64 bytes a flow, ~10 ms for 200k flows); *ts is the bin's
 * start (Unix s) and *interval its length.  Returns their number; caller
 * frees *out with free() (NULL when none).
 */
size_t		 capture_live_rows(struct capture *, struct flowtab_row **out,
		    int64_t *ts, uint32_t *interval);

/*
 * Write the open bin now (POST /flush): walk what the kernel has handed
 * over, write what the open bin holds as an early write (the bin stays
 * open), and call done(arg, written) once it and every bin queued before
 * it have left the writer's queue: written 1 when all were stored.
 * Returns 0, or -EBUSY (too many flushes waiting) or -ESHUTDOWN (the
 * capture is stopping) without calling done.
 */
int		 capture_flush(struct capture *,
		    void (*done)(void *, int written), void *arg);

/*
 * 1 while the packet socket is open; 0 while the interface is missing or
 * after it went away and its ring was walked (daemon.c stops it then).
 */
int		 capture_is_open(const struct capture *);

/*
 * Is name's link type one capture decodes (Ethernet, loopback, raw IP)?
 * 1 yes, 0 no (it would never open: daemon.c leaves such interfaces to
 * autodetect and patterns out), -errno when it cannot be told (gone).
 */
int		 capture_link_supported(const char *name);

#endif
