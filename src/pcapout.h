/*
 * pcapout.h - the files of one interface's packet archive: pcap (with
 * nanosecond times), plain, gzip or zstd, one per period of packet time,
 * and their retention.
 *
 * A file is <dir>/YYYY/MM/DD/<iface>-YYYY-MM-DDTHH-MM-SS.pcap[.gz|.zst],
 * named by the start of its period (packet time, UTC), written as
 * <name>.tmp and renamed when it is closed, so that a reader never sees a
 * torn file.  A packet of a later period closes the open file; one of an
 * earlier period (a capture file out of order) goes into the open file; a
 * packet of another link type starts a new file (a name already taken
 * gets "-1", "-2", ... before its extension: nothing is overwritten).
 * After each file is closed, retention removes the interface's oldest
 * files beyond keep_days (UTC days of packet time, the latest day
 * included) and max_bytes.
 *
 * Used by one thread, archive.c's writer; it may block on the disk.  A
 * write that fails (disk full) loses the packet and the rest of that
 * file's: the .tmp is removed when it closes; the next period tries again.
 */
#ifndef FLOWREC_PCAPOUT_H
#define FLOWREC_PCAPOUT_H

#include <stddef.h>
#include <stdint.h>

struct pcapout_config {
	const char	*dir;		/* <path>/<iface> */
	const char	*iface;
	int		 compress;	/* enum conf_compress */
	uint32_t	 snaplen;	/* the files' snaplen field */
	int64_t		 rotate_ns;	/* period of a file */
	uint32_t	 keep_days;	/* 0: no bound */
	uint64_t	 max_bytes;	/* 0: no bound */
};

struct pcapout_stats {
	uint64_t	 files;		/* files closed and renamed */
	uint64_t	 packets;	/* packets in them */
	uint64_t	 bytes;		/* bytes of them on disk */
	uint64_t	 write_errors;	/* files given up on a failed write */
	uint64_t	 lost;		/* packets lost to failed writes */
	uint64_t	 removed;	/* files removed by retention */
	uint64_t	 disk_bytes;	/* the interface's files after the last
					   retention pass */
};

/* Caller owns the result; free with pcapout_free().  Config copied. */
struct pcapout	*pcapout_new(const struct pcapout_config *);

/*
 * Write one packet (caplen bytes of data, wirelen on the wire) stamped
 * time_ns, of pcap link type linktype.  Returns 0, or -errno when it was
 * lost (logged once per file).
 */
int		 pcapout_write(struct pcapout *, int64_t time_ns, int linktype,
		    const uint8_t *data, uint32_t caplen, uint32_t wirelen);

/* Close the open file when its period ended before now_ns. */
void		 pcapout_clock(struct pcapout *, int64_t now_ns);

/* Close the open file, if any (renamed, then retention). */
void		 pcapout_close(struct pcapout *);

void		 pcapout_get_stats(const struct pcapout *, struct pcapout_stats *);

/* Closes the open file first. */
void		 pcapout_free(struct pcapout *);

/* The extension of compress: ".pcap", ".pcap.gz" or ".pcap.zst". */
const char	*pcapout_ext(int compress);

#endif
