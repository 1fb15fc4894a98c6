/*
 * capfile.h - read pcap and pcapng capture files record by record.
 *
 * Called by the offline reader (flowrecd --read) and the capture-file fuzz
 * target.  Reads classic pcap (both byte orders, microsecond, nanosecond
 * and "modified" magic, versions 2.0-2.4 and 543.0) and pcapng (both byte
 * orders, several sections and interfaces with their own link types,
 * if_tsresol and if_tsoffset; Enhanced, Simple and obsolete Packet
 * blocks).  The file rules are those of ../shared/oracle/README.md.
 *
 * Never aborts on bad input: an unreadable record is returned as a bad
 * record (counted as malformed by the caller); a file that cannot be read
 * any further ends with CAPFILE_CORRUPT after the records before it.
 */
#ifndef FLOWREC_CAPFILE_H
#define FLOWREC_CAPFILE_H

#include <stddef.h>
#include <stdint.h>

struct capfile;

/* One record.  data is borrowed until the next capfile_next() call. */
struct capfile_record {
	const uint8_t	*data;
	uint32_t	 caplen;
	uint32_t	 wirelen;
	int		 linktype;	/* -1: the record names no valid interface */
	uint8_t		 bad;		/* unreadable record: count as malformed */
	uint8_t		 has_time;	/* 0: no timestamp (bad record) */
	uint8_t		 outbound;	/* pcapng epb_flags direction = outbound */
	uint8_t		 has_dir;	/* epb_flags say inbound or outbound */
	int64_t		 time_ns;	/* Unix time in nanoseconds (saturated) */
};

enum capfile_status {
	CAPFILE_RECORD = 1,		/* *rec holds the next record */
	CAPFILE_EOF = 0,		/* clean end of file */
	CAPFILE_CORRUPT = -1		/* truncated or bogus: stop reading */
};

/*
 * Open a capture file.  Returns NULL when it cannot be opened or is not a
 * pcap/pcapng file this reader reads, with *cause set ("not a pcap or
 * pcapng file", "unsupported pcap version 1.4"); caller frees *cause.
 * Caller owns the result; free with capfile_close().
 */
struct capfile	*capfile_open(const char *path, char **cause);

/* The same over memory (borrowed for the life of the reader). */
struct capfile	*capfile_open_mem(const uint8_t *buf, size_t len, char **cause);

void		 capfile_close(struct capfile *);

/* Read the next record; see enum capfile_status. */
enum capfile_status capfile_next(struct capfile *, struct capfile_record *rec);

/*
 * Read up to max records (at least one unless *status is CAPFILE_EOF or
 * CAPFILE_CORRUPT, then none): the same records capfile_next() gives, in
 * order, all of them valid until the next call.
 */
size_t		 capfile_next_batch(struct capfile *,
		    struct capfile_record *recs, size_t max,
		    enum capfile_status *status);

/* Why reading stopped after CAPFILE_CORRUPT ("file ends inside a record"). */
const char	*capfile_error(const struct capfile *);

/* Bytes consumed so far and the file size (0 if unknown), for progress. */
uint64_t	 capfile_offset(const struct capfile *);
uint64_t	 capfile_size(const struct capfile *);

#endif
