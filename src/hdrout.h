/*
 * hdrout.h - the header captures of one interface (m-lab
 * packet-headers'): one pcap file (nanosecond times) per TCP connection,
 * holding the headers archive.c cut from its packets.
 *
 * A file is <dir>/YYYY/MM/DD/<iface>-YYYY-MM-DDTHH-MM-SS-<id>.pcap, by
 * the connection's start (UTC) and its flow id (16 hex digits, unique:
 * a random half per run, a counter half), written as <name>.tmp and
 * renamed when the connection's capture_duration is over in packet time,
 * when too many files are open (HDROUT_OPEN), or at the end.
 *
 * Used by one thread, archive.c's writer.
 */
#ifndef FLOWREC_HDROUT_H
#define FLOWREC_HDROUT_H

#include <stddef.h>
#include <stdint.h>

#define HDROUT_OPEN	512	/* files open at once, at most */

struct hdrout_config {
	const char	*dir;		/* <path>/<iface> */
	const char	*iface;
	int64_t		 duration_ns;	/* capture_duration */
	uint32_t	 snaplen;	/* the files' snaplen field */
};

struct hdrout_stats {
	uint64_t	 files;		/* closed and renamed */
	uint64_t	 packets;	/* written */
	uint64_t	 errors;	/* failed writes (packets lost) */
};

/* Caller owns the result; free with hdrout_free() (closes every file). */
struct hdrout	*hdrout_new(const struct hdrout_config *);
void		 hdrout_free(struct hdrout *);

/*
 * One packet's headers (caplen bytes, wirelen on the wire) for the
 * connection id that started at start_ns.  Returns 0 or -errno (lost).
 */
int		 hdrout_write(struct hdrout *, uint64_t id, int64_t start_ns,
		    int64_t time_ns, int linktype, const uint8_t *data,
		    uint32_t caplen, uint32_t wirelen);

/* Close the files of connections whose capture ended before now_ns. */
void		 hdrout_clock(struct hdrout *, int64_t now_ns);

/* Close every file (renamed). */
void		 hdrout_close_all(struct hdrout *);

void		 hdrout_get_stats(const struct hdrout *, struct hdrout_stats *);

#endif
