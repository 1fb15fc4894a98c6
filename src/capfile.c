/*
 * capfile.c - read pcap and pcapng capture files record by record (see
 * capfile.h).
 *
 * Called by the offline reader (flowrecd --read) and the capture-file fuzz
 * target.  The file is seen through one window of bytes: memory given to
 * capfile_open_mem() is used in place, and a file or pipe is read() into a
 * buffer that slides along it.  A record is a pointer into the window, so
 * a record costs no copy, no allocation and no system call (one read() per
 * 256 KiB); the only allocations after open are for pcapng interfaces and
 * for growing the buffer to a record larger than it.  capfile_open("-")
 * reads standard input (left open).
 *
 * Why not mmap: measured on a 10M-packet 768 MB pcap in the page cache,
 * walking an mmap()ed file took 0.6 s (page-table setup dominates, with or
 * without MAP_POPULATE) against 0.1 s for read() into a buffer that stays
 * in the L2 cache, and the mapping showed up as 750 MB of resident memory.
 *
 * Invariants: pos <= len; base[pos..len) are the bytes not consumed yet
 * and start at file offset base_off + pos; the bytes of the record
 * returned last stay where they are until the next capfile_next() (the
 * buffer only slides or grows inside capfile_next()).  Nothing past
 * base[len] is ever read.
 *
 * The file rules (versions refused, length checks, what makes a record bad
 * and what ends the file) follow ../shared/oracle/README.md and the FILES
 * section of flowtab.py's docstring; the error strings are its notes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capfile.h"
#include "util.h"

#define CAPFILE_MAX_CAPLEN	262144		/* libpcap's largest snaplen */
#define CAPFILE_MAX_BLOCK	(16 * 1024 * 1024)
#define CAPFILE_BUFSIZE		(256 * 1024)	/* read buffer to start with */
#define CAPFILE_NS		1000000000

#define CAPFILE_SHB		0x0a0d0d0a
#define CAPFILE_IDB		1
#define CAPFILE_PB		2		/* obsolete Packet Block */
#define CAPFILE_SPB		3
#define CAPFILE_EPB		6

#define CAPFILE_OPT_END		0
#define CAPFILE_OPT_EPB_FLAGS	2
#define CAPFILE_OPT_TSRESOL	9
#define CAPFILE_OPT_TSOFFSET	14

enum capfile_format {
	CAPFILE_PCAP,
	CAPFILE_PCAPNG
};

/* How the two length fields of a pcap record are stored. */
enum capfile_lens {
	CAPFILE_LENS_NORMAL,
	CAPFILE_LENS_SWAPPED,		/* versions before 2.3, and 543.0 */
	CAPFILE_LENS_EITHER		/* 2.3: swapped when caplen > len */
};

/* A pcapng interface: its link type and how to turn ticks into time. */
struct capfile_iface {
	int		 linktype;	/* -1: the IDB is too short to say */
	uint32_t	 snaplen;
	uint8_t		 binary;	/* if_tsresol: 2^-exp, else 10^-exp */
	uint8_t		 exp;
	uint8_t		 fast;		/* decimal exp <= 9, no offset */
	uint64_t	 mult;		/* fast: ns = ticks * mult ... */
	uint64_t	 fastmax;	/* ... when ticks <= fastmax */
	int64_t		 offset;	/* if_tsoffset, seconds */
};

struct capfile {
	const uint8_t	*base;		/* the window (see the invariants) */
	size_t		 pos;
	size_t		 len;
	uint64_t	 base_off;
	uint64_t	 size;		/* 0 when unknown (a pipe) */

	int		 fd;		/* read() input, else -1 (memory) */
	int		 own_fd;
	int		 eof;		/* read() said end or error */
	int		 read_errno;
	uint8_t		*buf;
	size_t		 bufsize;

	enum capfile_format format;
	int		 swap;		/* file byte order is not the host's */

	size_t		 recsize;	/* pcap: 16, or 24 for "modified" */
	uint32_t	 fracmult;	/* pcap: ns per fraction unit */
	int		 linktype;	/* pcap */
	enum capfile_lens lens;		/* pcap */

	struct capfile_iface *ifs;	/* pcapng: the current section's */
	size_t		 nifs;
	size_t		 ifalloc;
	int64_t		 last_time;	/* pcapng: for Simple Packet Blocks */

	int		 corrupt;
	char		 error[96];
};

static const uint8_t capfile_ng_magic[4] = { 0x0a, 0x0d, 0x0d, 0x0a };

static inline int
capfile_host_big(void)
{
	return __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
}

static inline uint16_t
capfile_u16(const struct capfile *cf, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof v);
	return cf->swap ? __builtin_bswap16(v) : v;
}

static inline uint32_t
capfile_u32(const struct capfile *cf, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof v);
	return cf->swap ? __builtin_bswap32(v) : v;
}

static inline uint64_t
capfile_u64(const struct capfile *cf, const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof v);
	return cf->swap ? __builtin_bswap64(v) : v;
}

/*
 * read() input: make n bytes from pos available, sliding the unread bytes
 * to the front of the buffer and growing it if needed.  Returns 1 if they
 * are there, 0 at the end of the input or on a read error (read_errno).
 */
static int
capfile_fill(struct capfile *cf, size_t n)
{
	size_t	 avail, size;
	ssize_t	 r;
	uint8_t	*nbuf;

	if (cf->fd == -1 || cf->eof)
		return 0;
	avail = cf->len - cf->pos;
	if (cf->pos != 0) {
		memmove(cf->buf, cf->buf + cf->pos, avail);
		cf->base_off += cf->pos;
		cf->pos = 0;
		cf->len = avail;
	}
	if (n > cf->bufsize) {
		size = cf->bufsize * 2;
		if (size < n)
			size = n;
		if ((nbuf = realloc(cf->buf, size)) == NULL) {
			cf->read_errno = ENOMEM;
			cf->eof = 1;
			return 0;
		}
		cf->buf = nbuf;
		cf->bufsize = size;
		cf->base = nbuf;
	}
	while (cf->len < n) {
		r = read(cf->fd, cf->buf + cf->len, cf->bufsize - cf->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r < 0)
				cf->read_errno = errno;
			cf->eof = 1;
			return 0;
		}
		cf->len += (size_t)r;
	}
	return 1;
}

/* 1 when n bytes from pos are in the window. */
static inline int
capfile_have(struct capfile *cf, size_t n)
{
	if (__builtin_expect(cf->len - cf->pos >= n, 1))
		return 1;
	return capfile_fill(cf, n);
}

/* 1 when the input ended cleanly at pos (no byte left, no read error). */
static int
capfile_at_end(struct capfile *cf)
{
	return cf->len == cf->pos && cf->read_errno == 0;
}

/* Stop reading: remember why.  A read error wins over the format's view. */
static enum capfile_status
capfile_corrupt(struct capfile *cf, const char *fmt, ...)
{
	va_list ap;

	cf->corrupt = 1;
	if (cf->read_errno != 0)
		snprintf(cf->error, sizeof cf->error, "%s",
		    strerror(cf->read_errno));
	else {
		va_start(ap, fmt);
		vsnprintf(cf->error, sizeof cf->error, fmt, ap);
		va_end(ap);
	}
	return CAPFILE_CORRUPT;
}

/*
 * floor(r * 10^9 / 2^exp) for r < 2^exp (so the result is < 10^9), in
 * 64-bit pieces: r * 10^9 needs up to 94 bits.
 */
static uint32_t
capfile_binary_frac(uint64_t r, unsigned exp)
{
	uint64_t a, b, hi, lo;

	if (exp == 0)
		return 0;
	a = (r >> 32) * CAPFILE_NS;		/* < 2^62 */
	b = (r & 0xffffffff) * CAPFILE_NS;	/* < 2^62 */
	hi = a >> 32;
	lo = a << 32;
	lo += b;
	if (lo < b)
		hi++;
	if (exp >= 64)		/* exp <= 127: if_tsresol has 7 bits */
		return (uint32_t)(hi >> (exp - 64));
	return (uint32_t)((lo >> exp) | (hi << (64 - exp)));
}

/*
 * (sec + offset) * 10^9 + frac, with 0 <= frac < 10^9: the floor of the
 * exact time in nanoseconds, saturated to the int64_t range.
 */
static int64_t
capfile_combine(uint64_t sec, int64_t offset, uint32_t frac)
{
	uint64_t	m;
	int64_t		s, ns;

	if (offset >= 0) {
		if (sec > (uint64_t)INT64_MAX - (uint64_t)offset)
			return INT64_MAX;
		s = (int64_t)(sec + (uint64_t)offset);
	} else {
		m = (uint64_t)(-(offset + 1)) + 1;	/* |offset| */
		if (sec >= m) {
			if (sec - m > (uint64_t)INT64_MAX)
				return INT64_MAX;
			s = (int64_t)(sec - m);
		} else
			s = -(int64_t)(m - sec - 1) - 1;  /* m - sec <= 2^63 */
	}
	if (s >= 0) {
		if (__builtin_mul_overflow(s, (int64_t)CAPFILE_NS, &ns) ||
		    __builtin_add_overflow(ns, (int64_t)frac, &ns))
			return INT64_MAX;
	} else {
		/* (s + 1) * 10^9 - (10^9 - frac) stays exact near INT64_MIN. */
		if (__builtin_mul_overflow(s + 1, (int64_t)CAPFILE_NS, &ns) ||
		    __builtin_sub_overflow(ns, (int64_t)CAPFILE_NS - frac, &ns))
			return INT64_MIN;
	}
	return ns;
}

/* 10^e for e <= 19. */
static uint64_t
capfile_pow10(unsigned e)
{
	uint64_t v = 1;

	while (e-- > 0)
		v *= 10;
	return v;
}

/* Time of a pcapng timestamp on interface ifc, in nanoseconds. */
static int64_t
capfile_ng_time(const struct capfile_iface *ifc, uint64_t ticks)
{
	uint64_t	sec, r, div;
	uint32_t	frac;
	unsigned	e = ifc->exp;

	if (__builtin_expect(ifc->fast, 1)) {
		if (ticks > ifc->fastmax)
			return INT64_MAX;
		return (int64_t)(ticks * ifc->mult);
	}
	if (ifc->binary) {
		sec = e < 64 ? ticks >> e : 0;
		r = e < 64 ? ticks & (((uint64_t)1 << e) - 1) : ticks;
		frac = capfile_binary_frac(r, e);
	} else if (e <= 19) {
		div = capfile_pow10(e);
		sec = ticks / div;
		r = ticks % div;
		if (e <= 9)
			frac = (uint32_t)(r * capfile_pow10(9 - e));
		else
			frac = (uint32_t)(r / capfile_pow10(e - 9));
	} else {
		/* 10^e > 2^64 > ticks: less than a second. */
		sec = 0;
		frac = e - 9 <= 19 ? (uint32_t)(ticks / capfile_pow10(e - 9)) : 0;
	}
	return capfile_combine(sec, ifc->offset, frac);
}

/* Set up the clock of an interface from its if_tsresol and if_tsoffset. */
static void
capfile_ng_clock(struct capfile_iface *ifc, uint8_t tsresol, int64_t offset)
{
	ifc->binary = (tsresol & 0x80) != 0;
	ifc->exp = tsresol & 0x7f;
	ifc->offset = offset;
	ifc->fast = !ifc->binary && ifc->exp <= 9 && offset == 0;
	if (ifc->fast) {
		ifc->mult = capfile_pow10(9 - ifc->exp);
		ifc->fastmax = (uint64_t)INT64_MAX / ifc->mult;
	}
}

/* Options of a pcapng block: the next one at *pos, or 0 at their end. */
static int
capfile_ng_option(const struct capfile *cf, const uint8_t *opts, size_t n,
    size_t *pos, uint16_t *code, const uint8_t **value, uint16_t *vlen)
{
	size_t	p = *pos;

	if (p + 4 > n)
		return 0;
	*code = capfile_u16(cf, opts + p);
	*vlen = capfile_u16(cf, opts + p + 2);
	if (*code == CAPFILE_OPT_END || p + 4 + *vlen > n)
		return 0;	/* an option past the block ends the options */
	*value = opts + p + 4;
	*pos = p + 4 + (((size_t)*vlen + 3) & ~(size_t)3);
	return 1;
}

/* Interface Description Block: one more interface in this section. */
static int
capfile_ng_interface(struct capfile *cf, const uint8_t *body, size_t n)
{
	struct capfile_iface	*ifc, *nifs;
	const uint8_t		*value;
	size_t			 pos = 0, count;
	uint16_t		 code, vlen;
	uint8_t			 tsresol = 6;
	int64_t			 offset = 0;

	if (cf->nifs == cf->ifalloc) {
		count = cf->ifalloc ? cf->ifalloc * 2 : 8;
		nifs = reallocarray(cf->ifs, count, sizeof *cf->ifs);
		if (nifs == NULL)
			return -1;
		cf->ifs = nifs;
		cf->ifalloc = count;
	}
	ifc = &cf->ifs[cf->nifs++];
	memset(ifc, 0, sizeof *ifc);
	if (n < 8) {
		ifc->linktype = -1;
		capfile_ng_clock(ifc, tsresol, offset);
		return 0;
	}
	ifc->linktype = capfile_u16(cf, body);
	ifc->snaplen = capfile_u32(cf, body + 4);
	while (capfile_ng_option(cf, body + 8, n - 8, &pos, &code, &value,
	    &vlen)) {
		if (code == CAPFILE_OPT_TSRESOL && vlen == 1)
			tsresol = value[0];
		else if (code == CAPFILE_OPT_TSOFFSET && vlen == 8)
			offset = (int64_t)capfile_u64(cf, value);
	}
	capfile_ng_clock(ifc, tsresol, offset);
	return 0;
}

/* A record that cannot be read: counted as malformed, no time. */
static enum capfile_status
capfile_bad(struct capfile_record *rec, const uint8_t *where)
{
	rec->data = where;
	rec->caplen = 0;
	rec->wirelen = 0;
	rec->linktype = -1;
	rec->bad = 1;
	rec->has_time = 0;
	rec->outbound = 0;
	rec->has_dir = 0;
	rec->time_ns = 0;
	return CAPFILE_RECORD;
}

/* Fill a pcapng record of interface ifc; an IDB too short makes it bad. */
static enum capfile_status
capfile_ng_record(struct capfile_record *rec, const struct capfile_iface *ifc,
    const uint8_t *data, uint32_t caplen, uint32_t wirelen, int64_t time)
{
	rec->data = data;
	rec->caplen = caplen;
	rec->wirelen = wirelen;
	rec->linktype = ifc->linktype;
	rec->bad = ifc->linktype < 0;
	rec->has_time = 1;
	rec->outbound = 0;
	rec->has_dir = 0;
	rec->time_ns = time;
	return CAPFILE_RECORD;
}

/* Enhanced (6) or obsolete (2) Packet Block. */
static enum capfile_status
capfile_ng_packet(struct capfile *cf, uint32_t type, const uint8_t *body,
    size_t n, struct capfile_record *rec)
{
	const struct capfile_iface	*ifc;
	const uint8_t			*value;
	uint32_t			 ifid, caplen, wirelen;
	uint64_t			 ticks;
	size_t				 pos, optat;
	uint16_t			 code, vlen;

	if (n < 20)
		return capfile_bad(rec, body);
	if (type == CAPFILE_EPB)
		ifid = capfile_u32(cf, body);
	else
		ifid = capfile_u16(cf, body);
	ticks = (uint64_t)capfile_u32(cf, body + 4) << 32 |
	    capfile_u32(cf, body + 8);
	caplen = capfile_u32(cf, body + 12);
	wirelen = capfile_u32(cf, body + 16);
	if (ifid >= cf->nifs || caplen > n - 20)
		return capfile_bad(rec, body);
	ifc = &cf->ifs[ifid];
	cf->last_time = capfile_ng_time(ifc, ticks);
	capfile_ng_record(rec, ifc, body + 20, caplen, wirelen, cf->last_time);
	if (type == CAPFILE_EPB) {
		optat = 20 + (((size_t)caplen + 3) & ~(size_t)3);
		if (optat >= n)
			return CAPFILE_RECORD;
		pos = 0;
		while (capfile_ng_option(cf, body + optat, n - optat, &pos,
		    &code, &value, &vlen)) {
			if (code == CAPFILE_OPT_EPB_FLAGS && vlen == 4) {
				rec->outbound =
				    (capfile_u32(cf, value) & 3) == 2;
				/* 0: "information not available" */
				rec->has_dir =
				    (capfile_u32(cf, value) & 3) != 0;
				break;
			}
		}
	}
	return CAPFILE_RECORD;
}

/* Simple Packet Block: interface 0, the previous packet block's time. */
static enum capfile_status
capfile_ng_simple(struct capfile *cf, const uint8_t *body, size_t n,
    struct capfile_record *rec)
{
	const struct capfile_iface	*ifc;
	uint32_t			 caplen, wirelen;

	if (n < 4 || cf->nifs == 0)
		return capfile_bad(rec, body);
	ifc = &cf->ifs[0];
	wirelen = capfile_u32(cf, body);
	caplen = wirelen;
	if (ifc->snaplen != 0 && ifc->snaplen < caplen)
		caplen = ifc->snaplen;
	if (caplen > n - 4)
		return capfile_bad(rec, body);
	return capfile_ng_record(rec, ifc, body + 4, caplen, wirelen,
	    cf->last_time);
}

/*
 * Read the pcapng block at pos into type and body (without the type and
 * length fields; a Section Header Block's body starts with its byte-order
 * magic, which sets the byte order).  Returns 1, 0 at a clean end of file,
 * or -1 when the file cannot be read further (the error is set).
 */
static int
capfile_ng_block(struct capfile *cf, uint32_t *type, const uint8_t **body,
    size_t *n)
{
	const uint8_t	*p;
	uint32_t	 blen, min = 12;

	if (!capfile_have(cf, 8)) {
		if (capfile_at_end(cf))
			return 0;
		capfile_corrupt(cf, "file ends inside a block header");
		return -1;
	}
	p = cf->base + cf->pos;
	if (memcmp(p, capfile_ng_magic, 4) == 0) {
		if (!capfile_have(cf, 12)) {
			capfile_corrupt(cf, "file ends inside a section header");
			return -1;
		}
		p = cf->base + cf->pos;
		if (memcmp(p + 8, "\x4d\x3c\x2b\x1a", 4) == 0)
			cf->swap = capfile_host_big();
		else if (memcmp(p + 8, "\x1a\x2b\x3c\x4d", 4) == 0)
			cf->swap = !capfile_host_big();
		else {
			capfile_corrupt(cf,
			    "bad byte-order magic in section header");
			return -1;
		}
		min = 28;
	}
	*type = capfile_u32(cf, p);
	blen = capfile_u32(cf, p + 4);
	if (blen < min || blen % 4 != 0 || blen > CAPFILE_MAX_BLOCK) {
		capfile_corrupt(cf, "block with impossible length %u", blen);
		return -1;
	}
	if (!capfile_have(cf, blen)) {
		capfile_corrupt(cf, "file ends inside a block");
		return -1;
	}
	p = cf->base + cf->pos;
	if (capfile_u32(cf, p + blen - 4) != blen) {
		capfile_corrupt(cf, "block length in header and trailer differ");
		return -1;
	}
	*body = p + 8;
	*n = blen - 12;
	cf->pos += blen;
	return 1;
}

/* Section Header Block: version 1.0 or 1.2 only; a new set of interfaces. */
static int
capfile_ng_section(struct capfile *cf, const uint8_t *body)
{
	uint16_t	major, minor;

	major = capfile_u16(cf, body + 4);
	minor = capfile_u16(cf, body + 6);
	if (major != 1 || (minor != 0 && minor != 2)) {
		capfile_corrupt(cf, "unsupported pcapng version %u.%u", major,
		    minor);
		return -1;
	}
	cf->nifs = 0;
	return 0;
}

static enum capfile_status
capfile_ng_next(struct capfile *cf, struct capfile_record *rec)
{
	const uint8_t	*body;
	uint32_t	 type;
	size_t		 n;
	int		 r;

	for (;;) {
		if ((r = capfile_ng_block(cf, &type, &body, &n)) <= 0)
			return r == 0 ? CAPFILE_EOF : CAPFILE_CORRUPT;
		switch (type) {
		case CAPFILE_EPB:
		case CAPFILE_PB:
			return capfile_ng_packet(cf, type, body, n, rec);
		case CAPFILE_SPB:
			return capfile_ng_simple(cf, body, n, rec);
		case CAPFILE_SHB:
			if (capfile_ng_section(cf, body) != 0)
				return CAPFILE_CORRUPT;
			break;
		case CAPFILE_IDB:
			if (capfile_ng_interface(cf, body, n) != 0)
				return capfile_corrupt(cf, "%s",
				    strerror(ENOMEM));
			break;
		}
	}
}

/* A good pcap record (pcap has no direction). */
static inline void
capfile_pcap_record(struct capfile_record *rec, const uint8_t *data,
    uint32_t caplen, uint32_t wirelen, int linktype, int64_t time_ns)
{
	rec->data = data;
	rec->caplen = caplen;
	rec->wirelen = wirelen;
	rec->linktype = linktype;
	rec->bad = 0;
	rec->has_time = 1;
	rec->outbound = 0;
	rec->has_dir = 0;
	rec->time_ns = time_ns;
}

static enum capfile_status
capfile_pcap_next(struct capfile *cf, struct capfile_record *rec)
{
	const uint8_t	*p;
	uint32_t	 sec, frac, caplen, wirelen;
	size_t		 rs = cf->recsize;

	if (!capfile_have(cf, rs)) {
		if (capfile_at_end(cf))
			return CAPFILE_EOF;
		return capfile_corrupt(cf, "file ends inside a record header");
	}
	p = cf->base + cf->pos;
	sec = capfile_u32(cf, p);
	frac = capfile_u32(cf, p + 4);
	caplen = capfile_u32(cf, p + 8);
	wirelen = capfile_u32(cf, p + 12);
	if (cf->lens != CAPFILE_LENS_NORMAL &&
	    (cf->lens == CAPFILE_LENS_SWAPPED || caplen > wirelen)) {
		caplen = wirelen;
		wirelen = capfile_u32(cf, p + 8);
	}
	if (caplen > CAPFILE_MAX_CAPLEN)
		return capfile_corrupt(cf, "record with impossible caplen %u",
		    caplen);
	if (!capfile_have(cf, rs + caplen))
		return capfile_corrupt(cf, "file ends inside a record");
	p = cf->base + cf->pos;
	capfile_pcap_record(rec, p + rs, caplen, wirelen, cf->linktype,
	    (int64_t)sec * CAPFILE_NS + (int64_t)frac * cf->fracmult);
	cf->pos += rs + caplen;
	return CAPFILE_RECORD;
}

enum capfile_status
capfile_next(struct capfile *cf, struct capfile_record *rec)
{
	if (cf->corrupt)
		return CAPFILE_CORRUPT;
	if (cf->format == CAPFILE_PCAP)
		return capfile_pcap_next(cf, rec);
	return capfile_ng_next(cf, rec);
}

/*
 * Records of a native-order pcap file, as many as are whole in the window
 * (so that none moves before the caller is done with all of them); the
 * rest, and every other format, one at a time through capfile_next().
 */
size_t
capfile_next_batch(struct capfile *cf, struct capfile_record *recs,
    size_t max, enum capfile_status *status)
{
	const uint8_t	*p, *base = cf->base;
	uint32_t	 sec, frac, caplen, wirelen;
	size_t		 n = 0, rs = cf->recsize, pos = cf->pos, len = cf->len;
	int64_t		 fracmult = cf->fracmult;
	int		 linktype = cf->linktype;

	*status = CAPFILE_RECORD;
	if (cf->format == CAPFILE_PCAP && !cf->swap && !cf->corrupt &&
	    cf->lens == CAPFILE_LENS_NORMAL) {
		for (; n < max && len - pos >= rs; n++) {
			p = base + pos;
			memcpy(&sec, p, 4);
			memcpy(&frac, p + 4, 4);
			memcpy(&caplen, p + 8, 4);
			memcpy(&wirelen, p + 12, 4);
			if (caplen > CAPFILE_MAX_CAPLEN ||
			    len - pos - rs < caplen)
				break;
			capfile_pcap_record(&recs[n], p + rs, caplen, wirelen,
			    linktype, (int64_t)sec * CAPFILE_NS +
			    (int64_t)frac * fracmult);
			pos += rs + caplen;
		}
		cf->pos = pos;
		if (n > 0)
			return n;
	}
	if ((*status = capfile_next(cf, &recs[0])) != CAPFILE_RECORD)
		return 0;
	return 1;
}

/* The pcap file header: byte order, clock, version and link type. */
static int
capfile_start_pcap(struct capfile *cf, const uint8_t *magic, char **cause)
{
	const uint8_t	*p;
	uint16_t	 major, minor;
	uint32_t	 linktype;

	cf->format = CAPFILE_PCAP;
	cf->swap = (magic[0] == 0xa1) != capfile_host_big();
	cf->recsize = 16;
	cf->fracmult = 1000;
	if (memcmp(magic, "\xa1\xb2\x3c\x4d", 4) == 0 ||
	    memcmp(magic, "\x4d\x3c\xb2\xa1", 4) == 0)
		cf->fracmult = 1;
	else if (memcmp(magic, "\xa1\xb2\xcd\x34", 4) == 0 ||
	    memcmp(magic, "\x34\xcd\xb2\xa1", 4) == 0)
		cf->recsize = 24;	/* "modified" pcap */
	if (!capfile_have(cf, 24)) {
		if (cf->read_errno != 0)
			return util_cause(cause, -1, "%s",
			    strerror(cf->read_errno));
		return util_cause(cause, -1,
		    "file ends inside the pcap file header");
	}
	p = cf->base + cf->pos;
	major = capfile_u16(cf, p + 4);
	minor = capfile_u16(cf, p + 6);
	if (!((major == 2 && minor <= 4) || (major == 543 && minor == 0)))
		return util_cause(cause, -1, "unsupported pcap version %u.%u",
		    major, minor);
	if (minor < 3 || major == 543)
		cf->lens = CAPFILE_LENS_SWAPPED;
	else if (minor == 3)
		cf->lens = CAPFILE_LENS_EITHER;
	else
		cf->lens = CAPFILE_LENS_NORMAL;
	linktype = capfile_u32(cf, p + 20);
	if (linktype & 0x03ff0000)
		return util_cause(cause, -1,
		    "pcap link-type field has reserved bits set");
	cf->linktype = linktype & 0xffff;	/* the upper bits are FCS */
	cf->pos += 24;
	return 0;
}

/* pcapng: the first Section Header Block must be readable, or we refuse. */
static int
capfile_start_pcapng(struct capfile *cf, char **cause)
{
	const uint8_t	*body;
	uint32_t	 type;
	size_t		 n;

	cf->format = CAPFILE_PCAPNG;
	if (capfile_ng_block(cf, &type, &body, &n) <= 0 ||
	    capfile_ng_section(cf, body) != 0)
		return util_cause(cause, -1, "%s", cf->error);
	return 0;
}

/* Recognise the file and read its header; cf->base is set. */
static int
capfile_start(struct capfile *cf, char **cause)
{
	static const uint8_t	 magics[6][4] = {
		{ 0xd4, 0xc3, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0xc3, 0xd4 },
		{ 0x4d, 0x3c, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0x3c, 0x4d },
		{ 0x34, 0xcd, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0xcd, 0x34 }
	};
	uint8_t			 magic[4];
	size_t			 i;

	if (!capfile_have(cf, 4)) {
		if (cf->read_errno != 0)
			return util_cause(cause, -1, "%s",
			    strerror(cf->read_errno));
		return util_cause(cause, -1, "not a pcap or pcapng file");
	}
	memcpy(magic, cf->base + cf->pos, 4);
	for (i = 0; i < 6; i++) {
		if (memcmp(magic, magics[i], 4) == 0)
			return capfile_start_pcap(cf, magic, cause);
	}
	if (memcmp(magic, capfile_ng_magic, 4) == 0)
		return capfile_start_pcapng(cf, cause);
	return util_cause(cause, -1, "not a pcap or pcapng file");
}

static struct capfile *
capfile_new(void)
{
	struct capfile	*cf;

	if ((cf = calloc(1, sizeof *cf)) == NULL)
		return NULL;
	cf->fd = -1;
	return cf;
}

struct capfile *
capfile_open_mem(const uint8_t *buf, size_t len, char **cause)
{
	struct capfile	*cf;

	if ((cf = capfile_new()) == NULL) {
		util_cause(cause, -1, "%s", strerror(ENOMEM));
		return NULL;
	}
	cf->base = buf;
	cf->len = len;
	cf->size = len;
	if (capfile_start(cf, cause) != 0) {
		capfile_close(cf);
		return NULL;
	}
	return cf;
}

struct capfile *
capfile_open(const char *path, char **cause)
{
	struct capfile	*cf;
	struct stat	 sb;

	if ((cf = capfile_new()) == NULL) {
		util_cause(cause, -1, "%s", strerror(ENOMEM));
		return NULL;
	}
	if (strcmp(path, "-") == 0)
		cf->fd = STDIN_FILENO;
	else if ((cf->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		util_cause(cause, -1, "%s", strerror(errno));
		goto fail;
	} else
		cf->own_fd = 1;
	if (fstat(cf->fd, &sb) != 0) {
		util_cause(cause, -1, "%s", strerror(errno));
		goto fail;
	}
	if (S_ISDIR(sb.st_mode)) {
		util_cause(cause, -1, "%s", strerror(EISDIR));
		goto fail;
	}
	if (S_ISREG(sb.st_mode)) {
		cf->size = (uint64_t)sb.st_size;
		(void)posix_fadvise(cf->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	}
	cf->bufsize = CAPFILE_BUFSIZE;
	if ((cf->buf = malloc(cf->bufsize)) == NULL) {
		util_cause(cause, -1, "%s", strerror(ENOMEM));
		goto fail;
	}
	cf->base = cf->buf;
	if (capfile_start(cf, cause) != 0)
		goto fail;
	return cf;

fail:
	capfile_close(cf);
	return NULL;
}

void
capfile_close(struct capfile *cf)
{
	if (cf == NULL)
		return;
	if (cf->own_fd)
		close(cf->fd);
	free(cf->buf);
	free(cf->ifs);
	free(cf);
}

const char *
capfile_error(const struct capfile *cf)
{
	return cf->corrupt ? cf->error : "no error";
}

uint64_t
capfile_offset(const struct capfile *cf)
{
	return cf->base_off + cf->pos;
}

uint64_t
capfile_size(const struct capfile *cf)
{
	return cf->size;
}
