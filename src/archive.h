/*
 * archive.h - one interface's packet archive (gotm's): every IP packet
 * while its connection is under the cutoff (arconn.c), written whole (up
 * to snaplen) to pcap files rotated by packet time (pcapout.c).
 *
 * Fed by the ingest path's packet hook (ingest.h), the same for live
 * capture (capture.c) and --read (offline.c): archive_hook() decides on
 * the capture thread and copies the packet into a bounded queue; a thread
 * of the archive's own takes it from there to the disk, so capture never
 * waits for the disk.  Live, a full queue drops the packet for the
 * archive (counted; the flows are counted all the same); reading a file
 * (block = 1) waits for room instead, so that a re-read archives the
 * same packets.  A frame whose VLAN tag the kernel took off gets it back.
 * Frames the parser counts as not IP or malformed are never archived.
 *
 * At every rotation of packet time, and at the end, it logs gotm's line
 * "archive: if=NAME W=00 flows= removed= bytes= pkts= output= outpct=
 * recvd= dropped=" (the period's packets, bytes and output, the
 * connections tracked and removed, the totals received and dropped).
 */
#ifndef FLOWREC_ARCHIVE_H
#define FLOWREC_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "ingest.h"

struct archive;

struct archive_config {
	const struct conf_archive *conf; /* copied; no path: no archive */
	const struct conf_headers *headers; /* copied; NULL or no path: no
					   header captures */
	const char	*iface;
	int		 block;		/* 1: wait for room; 0: drop */
	int		 anonymize;	/* 1: addresses to their netblock
					   (anon.h) in what is written */
	size_t		 queue_bytes;	/* 0: ARCHIVE_QUEUE_BYTES */
	size_t		 max_conns;	/* 0: arconn's default */
};

#define ARCHIVE_QUEUE_BYTES	(32u << 20)

struct archive_stats {
	uint64_t	 frames;	/* every frame seen ("recvd") */
	uint64_t	 packets;	/* IP packets seen */
	uint64_t	 bytes;		/* their wire bytes */
	uint64_t	 archived;	/* packets under the cutoff ("output") */
	uint64_t	 archived_bytes; /* their wire bytes */
	uint64_t	 dropped;	/* under the cutoff, but the queue was
					   full */
	uint64_t	 conns;		/* connections tracked now */
	uint64_t	 conns_started;
	uint64_t	 conns_removed;	/* idle */
	uint64_t	 conns_evicted;	/* the table was full */
	uint64_t	 conns_cut;	/* reached a cutoff */
	uint64_t	 files;		/* archive files closed */
	uint64_t	 file_packets;	/* packets in them */
	uint64_t	 file_bytes;	/* bytes of them on disk */
	uint64_t	 write_errors;	/* files lost to failed writes */
	uint64_t	 write_lost;	/* packets in those */
	uint64_t	 files_removed;	/* by retention */
	uint64_t	 disk_bytes;	/* the files kept, after retention */
	uint64_t	 hdr_conns;	/* TCP connections begun (headers) */
	uint64_t	 hdr_packets;	/* header records queued */
	uint64_t	 hdr_dropped;	/* ... not queued: the queue was full */
	uint64_t	 hdr_files;	/* header files closed */
	uint64_t	 hdr_written;	/* header records written */
	uint64_t	 hdr_errors;	/* ... lost to failed writes */
};

/*
 * Start the archive of cfg->iface under cfg->conf->path (created), and
 * its header captures under cfg->headers->path: one TCP connection's
 * packets of its first capture_duration seconds, each cut at the end of
 * its TCP header and at max_header_size bytes, to a file of its own
 * (hdrout.h).
 * Returns 0 with *out set (caller owns it; free with archive_free()), or
 * -errno with *cause.
 */
int		 archive_new(const struct archive_config *, struct archive **out,
		    char **cause);

/* The ingest packet hook; arg is the archive.  Capture thread. */
void		 archive_hook(void *arg, const struct ingest_packet *);

/* ingest_hooks.prefetch: the connections archive_hook() will look up. */
void		 archive_prefetch(void *arg, const struct flowtab_conn *,
		    size_t n);

/*
 * After a batch of frames (a ring block, a batch of file records): wake
 * the archive's thread for what the batch queued.  Capture thread.
 */
void		 archive_kick(struct archive *);

/*
 * The wall clock of a live capture (its housekeeping timer): the open
 * file is closed once its period has ended, even when no packet came.
 */
void		 archive_clock(struct archive *, int64_t now_ns);

/* Capture thread. */
void		 archive_get_stats(struct archive *, struct archive_stats *);

/*
 * Write what waits, close the open file (renamed) and stop the thread;
 * logs the last line.  NULL is fine.
 */
void		 archive_free(struct archive *);

/* archive_free() that gives the last statistics first. */
void		 archive_free_stats(struct archive *, struct archive_stats *);

#endif
