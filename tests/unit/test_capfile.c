/*
 * test_capfile.c - unit tests of the capture-file reader (src/capfile.c).
 *
 * Every capture is made here with pcapw (or byte by byte for the odd
 * ones) in a temporary directory, then read three ways: capfile_open() on
 * the file, capfile_open_mem() on its bytes, and capfile_open() on a pipe
 * fed by a child process (no size, short reads); the three must agree.
 * The rules checked are those of ../shared/oracle/README.md and the FILES
 * section of flowtab.py.  When ../shared/pcaps/dev exists, its captures
 * are read too and compared with the packet counts and notes of its
 * EXPECTED_COUNTS.tsv.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capfile.h"
#include "pcapw.h"
#include "tap.h"

#define T0	1700000000123456789LL	/* 2023-11-14, with all nine digits */
#define SHB_TYPE	0x0a0d0d0a

/* What one read of a file gave. */
struct rrec {
	uint32_t	 caplen;
	uint32_t	 wirelen;
	int		 linktype;
	int		 bad;
	int		 has_time;
	int		 outbound;
	int64_t		 time_ns;
	uint32_t	 hash;		/* of the caplen data bytes */
	uint64_t	 offset;	/* capfile_offset() after it */
};

struct result {
	int		 opened;
	char		 cause[128];
	size_t		 n;
	size_t		 alloc;
	struct rrec	*recs;
	int		 end;		/* enum capfile_status */
	char		 error[128];
	int		 sticky;	/* CORRUPT again when asked again */
	uint64_t	 offset;
	uint64_t	 size;
};

enum mode { MODE_FILE, MODE_MEM, MODE_PIPE, MODE_BATCH };
static const char *mode_names[] = { "file", "memory", "pipe",
    "the file in batches" };

static char tmpdir[64];
static char pathbuf[8][256];
static int pathnext;

/* A path in the temporary directory (eight live at a time). */
static const char *
tpath(const char *name)
{
	char	*p = pathbuf[pathnext++ % 8];

	snprintf(p, sizeof pathbuf[0], "%s/%s", tmpdir, name);
	return p;
}

static uint32_t
hash(const uint8_t *p, size_t n)
{
	uint32_t	h = 2166136261u;

	while (n-- > 0)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/* n bytes of a pattern that depends on seed. */
static uint8_t *
pattern(uint8_t *buf, size_t n, unsigned seed)
{
	size_t	i;

	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
	return buf;
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE		*f = fopen(path, "rb");
	uint8_t		*buf;
	long		 n;

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
spit(const char *path, const uint8_t *buf, size_t len)
{
	FILE	*f = fopen(path, "wb");

	if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static long
file_size(const char *path)
{
	struct stat	sb;

	return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* Copy the first len bytes of src to dst. */
static void
cut(const char *src, const char *dst, size_t len)
{
	size_t		 n;
	uint8_t		*buf = slurp(src, &n);

	spit(dst, buf, len < n ? len : n);
	free(buf);
}

/* dst = a followed by b. */
static void
concat(const char *dst, const char *a, const char *b)
{
	size_t		 na, nb;
	uint8_t		*ba = slurp(a, &na), *bb = slurp(b, &nb), *all;

	all = malloc(na + nb + 1);
	memcpy(all, ba, na);
	memcpy(all + na, bb, nb);
	spit(dst, all, na + nb);
	free(all);
	free(ba);
	free(bb);
}

static void
result_free(struct result *res)
{
	free(res->recs);
	memset(res, 0, sizeof *res);
}

/* Append what rec says (its bytes hashed) to res. */
static void
result_add(struct result *res, const struct capfile_record *rec,
    uint64_t offset)
{
	struct rrec	*r;

	if (res->n == res->alloc) {
		res->alloc = res->alloc ? res->alloc * 2 : 16;
		res->recs = realloc(res->recs, res->alloc * sizeof *res->recs);
		if (res->recs == NULL)
			abort();
	}
	r = &res->recs[res->n++];
	r->caplen = rec->caplen;
	r->wirelen = rec->wirelen;
	r->linktype = rec->linktype;
	r->bad = rec->bad;
	r->has_time = rec->has_time;
	r->outbound = rec->outbound;
	r->time_ns = rec->time_ns;
	r->hash = hash(rec->data, rec->caplen);
	r->offset = offset;
}

static void
read_records(struct capfile *cf, struct result *res)
{
	struct capfile_record	 rec;
	enum capfile_status	 st;

	res->opened = 1;
	res->size = capfile_size(cf);
	while ((st = capfile_next(cf, &rec)) == CAPFILE_RECORD)
		result_add(res, &rec, capfile_offset(cf));
	res->end = st;
	res->offset = capfile_offset(cf);
	snprintf(res->error, sizeof res->error, "%s", capfile_error(cf));
	res->sticky = capfile_next(cf, &rec) == st;
}

/*
 * As read_records(), with capfile_next_batch() in batches of 1 to 7: every
 * record of a batch is hashed only once the whole batch is there, so a
 * record whose bytes moved would show.  Offsets are known per batch only.
 */
static void
read_records_batch(struct capfile *cf, struct result *res)
{
	struct capfile_record	 recs[7], rec;
	enum capfile_status	 st;
	size_t			 got, i, want = 1;

	res->opened = 1;
	res->size = capfile_size(cf);
	while ((got = capfile_next_batch(cf, recs, want, &st)) > 0) {
		if (got > want || st != CAPFILE_RECORD)
			abort();
		want = want % 7 + 1;
		for (i = 0; i < got; i++)
			result_add(res, &recs[i],
			    i + 1 == got ? capfile_offset(cf) : 0);
	}
	res->end = st;
	res->offset = capfile_offset(cf);
	snprintf(res->error, sizeof res->error, "%s", capfile_error(cf));
	res->sticky = capfile_next(cf, &rec) == st;
}

/* Read a whole file one way into res. */
static void
read_mode(const char *path, enum mode mode, struct result *res)
{
	struct capfile	*cf = NULL;
	char		*cause = NULL, fdpath[64];
	uint8_t		*buf = NULL, chunk[65536];
	size_t		 len;
	ssize_t		 n;
	int		 fds[2], in;
	pid_t		 pid = -1;

	memset(res, 0, sizeof *res);
	switch (mode) {
	case MODE_FILE:
	case MODE_BATCH:
		cf = capfile_open(path, &cause);
		break;
	case MODE_MEM:
		buf = slurp(path, &len);
		cf = capfile_open_mem(buf, len, &cause);
		break;
	case MODE_PIPE:
		if (pipe(fds) != 0 || (pid = fork()) == -1) {
			perror("pipe/fork");
			exit(1);
		}
		if (pid == 0) {
			close(fds[0]);
			if ((in = open(path, O_RDONLY)) == -1)
				_exit(1);
			while ((n = read(in, chunk, sizeof chunk)) > 0) {
				if (write(fds[1], chunk, (size_t)n) != n)
					_exit(1);
			}
			_exit(0);
		}
		close(fds[1]);
		snprintf(fdpath, sizeof fdpath, "/dev/fd/%d", fds[0]);
		cf = capfile_open(fdpath, &cause);
		break;
	}
	if (cf != NULL) {
		if (mode == MODE_BATCH)
			read_records_batch(cf, res);
		else
			read_records(cf, res);
		capfile_close(cf);
	} else
		snprintf(res->cause, sizeof res->cause, "%s",
		    cause ? cause : "(no cause)");
	free(cause);
	free(buf);
	if (mode == MODE_PIPE) {
		close(fds[0]);
		waitpid(pid, NULL, 0);
	}
}

static int
same_result(const struct result *a, const struct result *b, int pipe,
    int batch)
{
	const struct rrec	*x, *y;
	size_t			 i;

	if (a->opened != b->opened || strcmp(a->cause, b->cause) != 0 ||
	    a->n != b->n || a->end != b->end ||
	    strcmp(a->error, b->error) != 0 || a->sticky != b->sticky ||
	    a->offset != b->offset)
		return 0;
	for (i = 0; i < a->n; i++) {
		x = &a->recs[i];
		y = &b->recs[i];
		if (x->caplen != y->caplen || x->wirelen != y->wirelen ||
		    x->linktype != y->linktype || x->bad != y->bad ||
		    x->has_time != y->has_time ||
		    x->outbound != y->outbound || x->time_ns != y->time_ns ||
		    x->hash != y->hash ||
		    (x->offset != y->offset && !(batch && y->offset == 0)))
			return 0;
	}
	/* A pipe has no size; a file and memory know it. */
	return pipe ? b->size == 0 : a->size == b->size;
}

/*
 * Read the file at path into res, and check that reading it from memory
 * and from a pipe gives the same.
 */
static void
read_all(const char *path, struct result *res)
{
	struct result	other;
	enum mode	mode;

	read_mode(path, MODE_FILE, res);
	for (mode = MODE_MEM; mode <= MODE_BATCH; mode++) {
		read_mode(path, mode, &other);
		ok(same_result(res, &other, mode == MODE_PIPE,
		    mode == MODE_BATCH),
		    "%s: read from %s as from the file", strrchr(path, '/') + 1,
		    mode_names[mode]);
		result_free(&other);
	}
}

/* The file is refused with this cause, every way it is read. */
static void
check_refused(const char *path, const char *cause, const char *what)
{
	struct result	res;

	read_all(path, &res);
	ok(!res.opened, "%s: refused", what);
	is_str(res.cause, cause, "%s: cause", what);
	result_free(&res);
}

/* n records, then status end with error (NULL for EOF). */
static void
check_end(const struct result *res, size_t n, int end, const char *error,
    const char *what)
{
	is_int(res->n, n, "%s: %zu records", what, n);
	is_int(res->end, end, "%s: ends %s", what,
	    end == CAPFILE_EOF ? "cleanly" : "corrupt");
	if (error != NULL)
		is_str(res->error, error, "%s: error", what);
	ok(res->sticky, "%s: the end status stays", what);
}

static void
check_rec(const struct rrec *r, int linktype, int64_t time_ns,
    uint32_t caplen, uint32_t wirelen, uint32_t h, int outbound,
    const char *what)
{
	ok(!r->bad && r->has_time, "%s: good record with time", what);
	is_int(r->linktype, linktype, "%s: link type", what);
	is_int(r->time_ns, time_ns, "%s: time", what);
	is_int(r->caplen, caplen, "%s: caplen", what);
	is_int(r->wirelen, wirelen, "%s: wirelen", what);
	ok(r->hash == h, "%s: data", what);
	is_int(r->outbound, outbound, "%s: direction", what);
}

static void
check_bad(const struct rrec *r, const char *what)
{
	ok(r->bad && !r->has_time && r->linktype == -1 && r->caplen == 0,
	    "%s: bad record without time", what);
}

/* ------------------------------------------------------------ pcap */

static void
test_pcap_basic(void)
{
	struct pcapw	*w;
	struct result	 res;
	uint8_t		 a[1514], b[60];
	const char	*path;
	char		 what[64];
	int		 big, nsec;
	int64_t		 t1;

	pattern(a, sizeof a, 1);
	pattern(b, sizeof b, 2);
	for (big = 0; big <= 1; big++) {
		for (nsec = 0; nsec <= 1; nsec++) {
			snprintf(what, sizeof what, "pcap %s %s",
			    big ? "big-endian" : "little-endian",
			    nsec ? "ns" : "us");
			path = tpath("basic.pcap");
			w = pcapw_open_pcap(path, 1, nsec, big);
			pcapw_write(w, T0, a, sizeof a, sizeof a);
			pcapw_write(w, T0 + 1000999, b, 40, 60);
			pcapw_write(w, 0, b, 0, 0);
			pcapw_close(w);
			read_all(path, &res);
			ok(res.opened, "%s: opened", what);
			check_end(&res, 3, CAPFILE_EOF, NULL, what);
			if (res.n == 3) {
				t1 = nsec ? T0 : T0 / 1000 * 1000;
				check_rec(&res.recs[0], 1, t1, sizeof a,
				    sizeof a, hash(a, sizeof a), 0, what);
				t1 = nsec ? T0 + 1000999 :
				    (T0 + 1000999) / 1000 * 1000;
				check_rec(&res.recs[1], 1, t1, 40, 60,
				    hash(b, 40), 0, what);
				check_rec(&res.recs[2], 1, 0, 0, 0, hash(b, 0),
				    0, what);
			}
			is_int(res.offset, file_size(path),
			    "%s: offset at the end is the size", what);
			is_int(res.size, file_size(path), "%s: size", what);
			if (res.n == 3)
				is_int(res.recs[0].offset, 24 + 16 + 1514,
				    "%s: offset after the first record", what);
			result_free(&res);
		}
	}
}

/* A fraction field of a million or more is simply added (as libpcap). */
static void
test_pcap_fraction(void)
{
	struct pcapw	*w;
	struct result	 res;
	uint8_t		 a[20];
	const char	*path = tpath("frac.pcap");

	pattern(a, sizeof a, 3);
	w = pcapw_open_pcap_ex(path, 0xa1b2c3d4, 2, 4, 101, 0);
	pcapw_write_pcap_rec(w, 10, 2500000, 20, 20, a, 20);
	pcapw_write_pcap_rec(w, 0xffffffff, 0xffffffff, 20, 20, a, 20);
	pcapw_close(w);
	read_all(path, &res);
	check_end(&res, 2, CAPFILE_EOF, NULL, "pcap fraction");
	if (res.n == 2) {
		is_int(res.recs[0].time_ns, 12500000000LL,
		    "us fraction over a second carries");
		is_int(res.recs[1].time_ns,
		    4294967295LL * 1000000000 + 4294967295LL * 1000,
		    "largest us stamp");
		is_int(res.recs[0].linktype, 101, "raw IP link type");
	}
	result_free(&res);
}

static void
test_pcap_modified(void)
{
	struct pcapw	*w;
	struct result	 res;
	uint8_t		 a[100];
	const char	*path = tpath("modified.pcap");
	const char	*cpath = tpath("modified-cut.pcap");
	char		 what[64];
	int		 big;

	pattern(a, sizeof a, 4);
	for (big = 0; big <= 1; big++) {
		snprintf(what, sizeof what, "modified pcap %s",
		    big ? "big-endian" : "little-endian");
		w = pcapw_open_pcap_ex(path, 0xa1b2cd34, 2, 4, 113, big);
		pcapw_write_pcap_rec(w, 1700000000, 123456, 100, 120, a, 100);
		pcapw_write_pcap_rec(w, 1700000001, 5, 30, 30, a + 1, 30);
		pcapw_close(w);
		read_all(path, &res);
		check_end(&res, 2, CAPFILE_EOF, NULL, what);
		if (res.n == 2) {
			check_rec(&res.recs[0], 113,
			    1700000000123456000LL, 100, 120, hash(a, 100), 0,
			    what);
			check_rec(&res.recs[1], 113, 1700000001000005000LL,
			    30, 30, hash(a + 1, 30), 0, what);
			is_int(res.recs[0].offset, 24 + 24 + 100,
			    "%s: 24-byte record headers", what);
		}
		result_free(&res);
		/* Cut inside the second 24-byte record header. */
		cut(path, cpath, 24 + 24 + 100 + 20);
		read_all(cpath, &res);
		check_end(&res, 1, CAPFILE_CORRUPT,
		    "file ends inside a record header", what);
		result_free(&res);
	}
}

/* Write one record of version major.minor with the given length fields. */
static void
version_file(const char *path, uint16_t major, uint16_t minor, int big,
    uint32_t capfield, uint32_t lenfield, uint32_t datalen)
{
	struct pcapw	*w;
	uint8_t		 a[400];

	pattern(a, sizeof a, 5);
	w = pcapw_open_pcap_ex(path, 0xa1b2c3d4, major, minor, 1, big);
	pcapw_write_pcap_rec(w, 1, 0, capfield, lenfield, a, datalen);
	pcapw_write_pcap_rec(w, 2, 0, capfield, lenfield, a, datalen);
	pcapw_close(w);
}

static void
test_pcap_versions(void)
{
	static const struct {
		uint16_t	 major, minor;
		uint32_t	 capfield, lenfield;
		uint32_t	 caplen, wirelen;	/* as read */
	} t[] = {
		{ 2, 4, 100, 60, 100, 60 },	/* caplen > len stays */
		{ 2, 4, 60, 100, 60, 100 },
		{ 2, 3, 100, 60, 60, 100 },	/* 2.3: swapped when > */
		{ 2, 3, 60, 100, 60, 100 },
		{ 2, 2, 100, 60, 60, 100 },	/* older: always swapped */
		{ 2, 2, 60, 100, 100, 60 },
		{ 2, 0, 100, 60, 60, 100 },
		{ 543, 0, 60, 100, 100, 60 },	/* DG/UX: swapped */
	};
	static const struct {
		uint16_t	 major, minor;
		const char	*cause;
	} refused[] = {
		{ 1, 4, "unsupported pcap version 1.4" },
		{ 2, 5, "unsupported pcap version 2.5" },
		{ 3, 0, "unsupported pcap version 3.0" },
		{ 543, 1, "unsupported pcap version 543.1" },
		{ 0, 0, "unsupported pcap version 0.0" },
	};
	struct result	 res;
	uint8_t		 a[400];
	const char	*path = tpath("version.pcap");
	char		 what[64];
	size_t		 i;
	int		 big;

	pattern(a, sizeof a, 5);
	for (big = 0; big <= 1; big++) {
		for (i = 0; i < sizeof t / sizeof t[0]; i++) {
			snprintf(what, sizeof what, "pcap %u.%u %s fields %u/%u",
			    t[i].major, t[i].minor, big ? "BE" : "LE",
			    t[i].capfield, t[i].lenfield);
			version_file(path, t[i].major, t[i].minor, big,
			    t[i].capfield, t[i].lenfield, t[i].caplen);
			read_all(path, &res);
			check_end(&res, 2, CAPFILE_EOF, NULL, what);
			if (res.n == 2)
				check_rec(&res.recs[1], 1, 2000000000,
				    t[i].caplen, t[i].wirelen,
				    hash(a, t[i].caplen), 0, what);
			result_free(&res);
		}
		for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
			snprintf(what, sizeof what, "pcap %u.%u %s",
			    refused[i].major, refused[i].minor,
			    big ? "BE" : "LE");
			version_file(path, refused[i].major, refused[i].minor,
			    big, 10, 10, 10);
			check_refused(path, refused[i].cause, what);
		}
	}
	/* The caplen limit applies after the swap. */
	version_file(path, 2, 2, 0, 60, 300000, 0);
	read_all(path, &res);
	check_end(&res, 0, CAPFILE_CORRUPT, "record with impossible caplen 300000",
	    "pcap 2.2 swapped length over the limit");
	result_free(&res);
}

static void
test_pcap_linktype(void)
{
	static const struct {
		uint32_t	 field;
		int		 linktype;	/* -1: refused */
	} t[] = {
		{ 1, 1 },
		{ 0x00010001, -1 },
		{ 0x02000001, -1 },
		{ 0x03ff0000, -1 },
		{ 0xf4000065, 101 },	/* FCS bits: kept out */
		{ 0x0000ffff, 65535 },
		{ 276, 276 },
	};
	struct pcapw	*w;
	struct result	 res;
	uint8_t		 a[10];
	const char	*path = tpath("linktype.pcap");
	char		 what[64];
	size_t		 i;

	pattern(a, sizeof a, 6);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		snprintf(what, sizeof what, "pcap link-type field 0x%08x",
		    t[i].field);
		w = pcapw_open_pcap_ex(path, 0xa1b2c3d4, 2, 4, t[i].field, 1);
		pcapw_write_pcap_rec(w, 1, 0, 10, 10, a, 10);
		pcapw_close(w);
		if (t[i].linktype < 0) {
			check_refused(path,
			    "pcap link-type field has reserved bits set", what);
			continue;
		}
		read_all(path, &res);
		check_end(&res, 1, CAPFILE_EOF, NULL, what);
		if (res.n == 1)
			is_int(res.recs[0].linktype, t[i].linktype,
			    "%s: link type", what);
		result_free(&res);
	}
}

static void
test_pcap_caplen_limit(void)
{
	struct pcapw	*w;
	struct result	 res;
	uint8_t		*big = malloc(262144);
	const char	*path = tpath("limit.pcap");

	pattern(big, 262144, 7);
	w = pcapw_open_pcap_ex(path, 0xa1b2c3d4, 2, 4, 1, 0);
	pcapw_write_pcap_rec(w, 1, 0, 262144, 262144, big, 262144);
	pcapw_write_pcap_rec(w, 2, 0, 262145, 262145, big, 262144);
	pcapw_write_pcap_rec(w, 3, 0, 60, 60, big, 60);
	pcapw_close(w);
	read_all(path, &res);
	check_end(&res, 1, CAPFILE_CORRUPT,
	    "record with impossible caplen 262145", "pcap caplen limit");
	if (res.n == 1)
		check_rec(&res.recs[0], 1, 1000000000, 262144, 262144,
		    hash(big, 262144), 0, "pcap caplen 262144");
	result_free(&res);
	free(big);
}

static void
test_pcap_truncated(void)
{
	static const struct {
		long		 at;		/* < 0: from the end */
		size_t		 n;
		int		 end;
		const char	*error;
		const char	*what;
	} t[] = {
		{ -10, 2, CAPFILE_CORRUPT, "file ends inside a record",
		    "cut inside a record" },
		{ -60, 2, CAPFILE_CORRUPT, "file ends inside a record",
		    "cut right after a record header" },
		{ -66, 2, CAPFILE_CORRUPT, "file ends inside a record header",
		    "cut inside a record header" },
		{ -76, 2, CAPFILE_EOF, NULL, "cut between records" },
		{ 24 + 16 + 1, 0, CAPFILE_CORRUPT,
		    "file ends inside a record", "cut in the first record" },
		{ 25, 0, CAPFILE_CORRUPT, "file ends inside a record header",
		    "one byte of a record header" },
		{ 24, 0, CAPFILE_EOF, NULL, "file header only" },
	};
	struct pcapw	*w;
	struct result	 res;
	uint8_t		 a[60];
	const char	*path = tpath("trunc.pcap");
	const char	*cpath = tpath("trunc-cut.pcap");
	char		 what[64];
	long		 size;
	size_t		 i;

	pattern(a, sizeof a, 8);
	w = pcapw_open_pcap(path, 1, 0, 0);
	pcapw_write(w, T0, a, 60, 60);
	pcapw_write(w, T0, a, 60, 60);
	pcapw_write(w, T0, a, 60, 60);
	pcapw_close(w);
	size = file_size(path);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		snprintf(what, sizeof what, "pcap %s", t[i].what);
		cut(path, cpath, (size_t)(t[i].at < 0 ? size + t[i].at :
		    t[i].at));
		read_all(cpath, &res);
		ok(res.opened, "%s: opened", what);
		check_end(&res, t[i].n, t[i].end, t[i].error, what);
		result_free(&res);
	}
	cut(path, cpath, 20);
	check_refused(cpath, "file ends inside the pcap file header",
	    "pcap cut in the file header");
	cut(path, cpath, 4);
	check_refused(cpath, "file ends inside the pcap file header",
	    "pcap magic only");
}

static void
test_not_capture(void)
{
	struct capfile	*cf;
	char		*cause = NULL;
	const char	*path = tpath("text.txt");

	spit(path, (const uint8_t *)"hello, world\n", 13);
	check_refused(path, "not a pcap or pcapng file", "a text file");
	spit(path, (const uint8_t *)"", 0);
	check_refused(path, "not a pcap or pcapng file", "an empty file");
	spit(path, (const uint8_t *)"\xd4\xc3\xb2", 3);
	check_refused(path, "not a pcap or pcapng file", "three bytes of magic");
	spit(path, (const uint8_t *)"\x0a\x0d\x0d", 3);
	check_refused(path, "not a pcap or pcapng file",
	    "three bytes of pcapng magic");
	spit(path, (const uint8_t *)"\xd4\xc3\xb2\xa2xxxxxxxxxxxxxxxxxxxxxxxx",
	    28);
	check_refused(path, "not a pcap or pcapng file", "a near-miss magic");

	cf = capfile_open(tpath("does-not-exist"), &cause);
	ok(cf == NULL, "missing file refused");
	is_str(cause, strerror(ENOENT), "missing file: cause");
	free(cause);
	cause = NULL;
	cf = capfile_open(tmpdir, &cause);
	ok(cf == NULL, "directory refused");
	is_str(cause, strerror(EISDIR), "directory: cause");
	free(cause);
	cause = NULL;
	cf = capfile_open_mem(NULL, 0, &cause);
	ok(cf == NULL, "empty memory refused");
	is_str(cause, "not a pcap or pcapng file", "empty memory: cause");
	free(cause);
}

/* ---------------------------------------------------------- pcapng */

/* A block body built byte by byte in a chosen byte order. */
struct bb {
	uint8_t		 b[8192];
	size_t		 n;
	int		 big;
};

static void
bb_u16(struct bb *bb, uint16_t v)
{
	bb->b[bb->n++] = bb->big ? v >> 8 : v & 0xff;
	bb->b[bb->n++] = bb->big ? v & 0xff : v >> 8;
}

static void
bb_u32(struct bb *bb, uint32_t v)
{
	if (bb->big) {
		bb_u16(bb, v >> 16);
		bb_u16(bb, v & 0xffff);
	} else {
		bb_u16(bb, v & 0xffff);
		bb_u16(bb, v >> 16);
	}
}

static void
bb_u64(struct bb *bb, uint64_t v)
{
	if (bb->big) {
		bb_u32(bb, v >> 32);
		bb_u32(bb, (uint32_t)v);
	} else {
		bb_u32(bb, (uint32_t)v);
		bb_u32(bb, v >> 32);
	}
}

static void
bb_bytes(struct bb *bb, const void *p, size_t n)
{
	if (n > 0)
		memcpy(bb->b + bb->n, p, n);
	bb->n += n;
	while (bb->n % 4 != 0)
		bb->b[bb->n++] = 0;
}

/* An option: code, length, value padded. */
static void
bb_opt(struct bb *bb, uint16_t code, const void *value, uint16_t len)
{
	bb_u16(bb, code);
	bb_u16(bb, len);
	bb_bytes(bb, value, len);
}

/* The fixed part of an EPB body: interface, time, lengths, data. */
static void
bb_epb(struct bb *bb, uint32_t ifid, uint64_t ticks, const uint8_t *data,
    uint32_t caplen, uint32_t wirelen)
{
	bb_u32(bb, ifid);
	bb_u32(bb, ticks >> 32);
	bb_u32(bb, (uint32_t)ticks);
	bb_u32(bb, caplen);
	bb_u32(bb, wirelen);
	bb_bytes(bb, data, caplen);
}

static void
test_pcapng_basic(void)
{
	struct pcapw	*w;
	struct result	 res;
	uint8_t		 a[1514], b[60], c[44];
	const char	*path = tpath("basic.pcapng");
	char		 what[64];
	int		 big, i1, i2;

	pattern(a, sizeof a, 10);
	pattern(b, sizeof b, 11);
	pattern(c, sizeof c, 12);
	for (big = 0; big <= 1; big++) {
		snprintf(what, sizeof what, "pcapng %s",
		    big ? "big-endian" : "little-endian");
		w = pcapw_open_pcapng(path, 1, 6, big);
		i1 = pcapw_add_interface(w, 101, 9);
		i2 = pcapw_add_interface(w, 113, 3);
		pcapw_write_ng(w, 0, T0, a, sizeof a, sizeof a, 2);
		pcapw_write_ng(w, i1, T0 + 1, b, 40, 60, 1);
		pcapw_write_ng(w, i2, T0 + 2, c, 44, 44, 3);
		pcapw_write_ng(w, 0, T0 + 3, c, 44, 44, 0);
		pcapw_write_ng(w, i1, T0 + 4, c, 44, 44, 0x12);
		pcapw_close(w);
		read_all(path, &res);
		ok(res.opened, "%s: opened", what);
		check_end(&res, 5, CAPFILE_EOF, NULL, what);
		if (res.n == 5) {
			check_rec(&res.recs[0], 1, T0 / 1000 * 1000, sizeof a,
			    sizeof a, hash(a, sizeof a), 1, what);
			check_rec(&res.recs[1], 101, T0 + 1, 40, 60,
			    hash(b, 40), 0, what);
			check_rec(&res.recs[2], 113, T0 / 1000000 * 1000000,
			    44, 44, hash(c, 44), 0, what);
			check_rec(&res.recs[3], 1, T0 / 1000 * 1000, 44, 44,
			    hash(c, 44), 0, what);
			check_rec(&res.recs[4], 101, T0 + 4, 44, 44,
			    hash(c, 44), 1, what);
		}
		is_int(res.offset, file_size(path), "%s: offset at the end",
		    what);
		result_free(&res);
	}
}

static void
test_pcapng_clock(void)
{
	static const struct {
		int		 tsresol;	/* -1: no option */
		int		 has_offset;
		int64_t		 offset;
		uint64_t	 ticks;
		int64_t		 ns;
	} t[] = {
		{ -1, 0, 0, 1700000000123456ULL, 1700000000123456000LL },
		{ 6, 1, -1700000000, 1700000000123456ULL, 123456000 },
		{ 0, 1, 100, 1700000000, 1700000100000000000LL },
		{ 0x81, 0, 0, 3, 1500000000 },
		{ 0x9e, 0, 0, 3, 2 },
		{ 0x9e, 1, -1, 1, -1000000000 },
		{ 12, 0, 0, 1999, 1 },
		{ 10, 0, 0, 123456789012ULL, 12345678901LL },
		{ 20, 0, 0, UINT64_MAX, 184467440 },
		{ 127, 0, 0, UINT64_MAX, 0 },
		{ 0xc0, 0, 0, 1ULL << 63, 500000000 },
		{ 0xc0, 0, 0, (1ULL << 63) + 1, 500000000 },
		{ 0xa2, 0, 0, (1ULL << 34) - 1, 999999999 },
		{ 0xa8, 0, 0, 1090653257958ULL, 991943359 },	/* a carry */
		{ 0, 1, 1, 1ULL << 63, INT64_MAX },
		{ 0, 1, -1, UINT64_MAX, INT64_MAX },
		{ 0xff, 0, 0, UINT64_MAX, 0 },
		{ 0xa0, 0, 0, UINT64_MAX, 4294967295999999999LL },
		{ 0x8a, 1, 7, 12345, 19055664062LL },
		{ 0x80, 0, 0, 5, 5000000000LL },
		{ 9, 0, 0, UINT64_MAX, INT64_MAX },
		{ 0, 1, INT64_MIN, UINT64_MAX, INT64_MAX },
		{ 3, 1, INT64_MIN, 0, INT64_MIN },
		{ 0x9e, 1, -9223372037LL, 1ULL << 29, -9223372036500000000LL },
		{ 0, 1, -9223372036LL, 0, -9223372036000000000LL },
		{ 9, 1, 1, UINT64_MAX >> 1, INT64_MAX },
		{ 9, 1, -1, UINT64_MAX, INT64_MAX },
	};
	struct pcapw	*w;
	struct result	 res;
	uint8_t		 a[20];
	const char	*path = tpath("clock.pcapng");
	char		 what[96];
	size_t		 i;
	int		 big;

	pattern(a, sizeof a, 13);
	for (big = 0; big <= 1; big++) {
		w = pcapw_open_raw(path, big);
		pcapw_section(w, 1, 0);
		for (i = 0; i < sizeof t / sizeof t[0]; i++)
			pcapw_add_interface_ex(w, 228, 0, t[i].tsresol,
			    t[i].has_offset, t[i].offset);
		for (i = 0; i < sizeof t / sizeof t[0]; i++)
			pcapw_write_pkt_ticks(w, 6, (uint32_t)i, t[i].ticks,
			    a, 20, 20, 0);
		/* The obsolete Packet Block uses the same clock. */
		pcapw_write_pkt_ticks(w, 2, 3, 3, a, 20, 20, 0);
		pcapw_close(w);
		read_all(path, &res);
		check_end(&res, i + 1, CAPFILE_EOF, NULL, "pcapng clocks");
		for (i = 0; i < sizeof t / sizeof t[0] && i < res.n; i++) {
			snprintf(what, sizeof what,
			    "%s tsresol 0x%02x offset %lld ticks %llu",
			    big ? "BE" : "LE", t[i].tsresol & 0xff,
			    (long long)t[i].offset,
			    (unsigned long long)t[i].ticks);
			is_int(res.recs[i].time_ns, t[i].ns, "%s", what);
		}
		if (res.n == i + 1)
			check_rec(&res.recs[i], 228, 1500000000, 20, 20,
			    hash(a, 20), 0, "obsolete Packet Block");
		result_free(&res);
	}
}

/* Options: the end marker, options past the block, odd lengths, repeats. */
static void
test_pcapng_options(void)
{
	struct pcapw	*w;
	struct bb	 bb;
	struct result	 res;
	uint8_t		 a[30], v[8];
	const char	*path = tpath("options.pcapng");
	uint32_t	 flags;
	int		 big;
	size_t		 i;
	int64_t		 off;

	pattern(a, sizeof a, 14);
	for (big = 0; big <= 1; big++) {
		w = pcapw_open_raw(path, big);
		pcapw_section(w, 1, 2);
		/* 0: tsresol 9, end of options, tsresol 3 (ignored). */
		memset(&bb, 0, sizeof bb);
		bb.big = big;
		bb_u16(&bb, 1);
		bb_u16(&bb, 0);
		bb_u32(&bb, 0);
		bb_opt(&bb, 9, "\x09", 1);
		bb_opt(&bb, 0, NULL, 0);
		bb_opt(&bb, 9, "\x03", 1);
		pcapw_block(w, 1, bb.b, bb.n);
		/* 1: an option running past the block hides the rest. */
		memset(&bb, 0, sizeof bb);
		bb.big = big;
		bb_u16(&bb, 1);
		bb_u16(&bb, 0);
		bb_u32(&bb, 0);
		bb_u16(&bb, 2);
		bb_u16(&bb, 200);
		bb_opt(&bb, 9, "\x09", 1);
		pcapw_block(w, 1, bb.b, bb.n);
		/* 2: tsresol of length 2 and tsoffset of length 4: ignored;
		 * then tsresol 3 twice and 0: the last one wins; offset 5. */
		memset(&bb, 0, sizeof bb);
		bb.big = big;
		bb_u16(&bb, 1);
		bb_u16(&bb, 0);
		bb_u32(&bb, 0);
		bb_opt(&bb, 9, "\x09\x09", 2);
		bb_opt(&bb, 14, "\x01\x00\x00\x00", 4);
		bb_opt(&bb, 9, "\x00", 1);
		bb_opt(&bb, 9, "\x03", 1);
		off = 5;
		for (i = 0; i < 8; i++)
			v[big ? 7 - i : i] = (uint8_t)(off >> (8 * i));
		bb_opt(&bb, 14, v, 8);
		pcapw_block(w, 1, bb.b, bb.n);

		/* EPBs: time 1000 ticks on each interface. */
		for (i = 0; i < 3; i++)
			pcapw_write_pkt_ticks(w, 6, (uint32_t)i, 1000, a, 30,
			    30, 0);
		/* epb_flags after a comment: outbound. */
		memset(&bb, 0, sizeof bb);
		bb.big = big;
		bb_epb(&bb, 0, 0, a, 30, 30);
		bb_opt(&bb, 1, "hello", 5);
		flags = 2;
		bb_opt(&bb, 0xbad, "xyzw", 4);
		memset(v, 0, sizeof v);
		for (i = 0; i < 4; i++)
			v[big ? 3 - i : i] = (uint8_t)(flags >> (8 * i));
		bb_opt(&bb, 2, v, 4);
		pcapw_block(w, 6, bb.b, bb.n);
		/* epb_flags of length 8 is not one; a later good one is. */
		memset(&bb, 0, sizeof bb);
		bb.big = big;
		bb_epb(&bb, 0, 0, a, 30, 30);
		bb_opt(&bb, 2, "\x02\x02\x02\x02\x02\x02\x02\x02", 8);
		bb_opt(&bb, 2, v, 4);
		pcapw_block(w, 6, bb.b, bb.n);
		/* The first good epb_flags decides (inbound here). */
		memset(&bb, 0, sizeof bb);
		bb.big = big;
		bb_epb(&bb, 0, 0, a, 30, 30);
		bb_opt(&bb, 2, "\x01\x00\x00\x01", 4);
		bb_opt(&bb, 2, v, 4);
		pcapw_block(w, 6, bb.b, bb.n);
		/* An option past the block ends them: flags unseen. */
		memset(&bb, 0, sizeof bb);
		bb.big = big;
		bb_epb(&bb, 0, 0, a, 30, 30);
		bb_u16(&bb, 1);
		bb_u16(&bb, 100);
		bb_opt(&bb, 2, v, 4);
		pcapw_block(w, 6, bb.b, bb.n);
		/* After the end of options: unseen. */
		memset(&bb, 0, sizeof bb);
		bb.big = big;
		bb_epb(&bb, 0, 0, a, 30, 30);
		bb_opt(&bb, 0, NULL, 0);
		bb_opt(&bb, 2, v, 4);
		pcapw_block(w, 6, bb.b, bb.n);
		/* An odd caplen: options start after the padding. */
		memset(&bb, 0, sizeof bb);
		bb.big = big;
		bb_epb(&bb, 0, 0, a, 29, 30);
		bb_opt(&bb, 2, v, 4);
		pcapw_block(w, 6, bb.b, bb.n);
		pcapw_close(w);

		read_all(path, &res);
		check_end(&res, 9, CAPFILE_EOF, NULL, "pcapng options");
		if (res.n == 9) {
			is_int(res.recs[0].time_ns, 1000, "%s: tsresol before "
			    "the end of options counts, after does not",
			    big ? "BE" : "LE");
			is_int(res.recs[1].time_ns, 1000000, "%s: an option "
			    "past the block hides the rest", big ? "BE" : "LE");
			is_int(res.recs[2].time_ns, 6000000000LL, "%s: odd "
			    "lengths ignored, last tsresol wins, offset 5 s",
			    big ? "BE" : "LE");
			is_int(res.recs[3].outbound, 1,
			    "epb_flags after other options");
			is_int(res.recs[4].outbound, 1,
			    "epb_flags of the wrong length skipped");
			is_int(res.recs[5].outbound, 0,
			    "the first epb_flags decides");
			is_int(res.recs[6].outbound, 0,
			    "an option past the block ends the options");
			is_int(res.recs[7].outbound, 0,
			    "nothing after the end of options");
			is_int(res.recs[8].outbound, 1,
			    "options after padded data");
			is_int(res.recs[8].caplen, 29, "odd caplen");
			ok(res.recs[8].hash == hash(a, 29), "odd caplen data");
		}
		result_free(&res);
	}
}

static void
test_pcapng_simple(void)
{
	struct pcapw	*w;
	struct result	 res;
	uint8_t		 a[300];
	const char	*path = tpath("simple.pcapng"), *p2, *p3;
	int		 big;

	pattern(a, sizeof a, 15);
	for (big = 0; big <= 1; big++) {
		w = pcapw_open_raw(path, big);
		pcapw_section(w, 1, 0);
		pcapw_add_interface_ex(w, 1, 100, 9, 0, 0);
		pcapw_write_spb(w, a, 60, 60);			/* 0 */
		pcapw_write_pkt_ticks(w, 6, 0, 5000, a, 60, 60, 0);
		pcapw_write_spb(w, a, 100, 200);		/* 2 */
		pcapw_write_pkt_ticks(w, 6, 7, 9000, a, 60, 60, 0); /* bad */
		pcapw_write_spb(w, a, 40, 80);			/* 4: bad */
		pcapw_write_spb(w, a, 30, 30);			/* 5 */
		pcapw_block(w, 3, NULL, 0);			/* 6: bad */
		pcapw_write_pkt_ticks(w, 2, 0, 7000, a, 60, 60, 2);
		pcapw_write_spb(w, a, 10, 10);			/* 8 */
		pcapw_close(w);

		/* Interface with snaplen 0; a section without interfaces. */
		p2 = tpath("simple2.pcapng");
		w = pcapw_open_raw(p2, !big);
		pcapw_section(w, 1, 0);
		pcapw_add_interface_ex(w, 101, 0, 6, 0, 0);
		pcapw_write_spb(w, a, 300, 300);		/* 9 */
		pcapw_section(w, 1, 0);
		pcapw_write_spb(w, a, 30, 30);			/* 10: bad */
		pcapw_close(w);
		p3 = tpath("simple3.pcapng");
		concat(p3, path, p2);

		read_all(p3, &res);
		check_end(&res, 11, CAPFILE_EOF, NULL, "Simple Packet Blocks");
		if (res.n == 11) {
			check_rec(&res.recs[0], 1, 0, 60, 60, hash(a, 60), 0,
			    "SPB before any packet block: time 0");
			check_rec(&res.recs[2], 1, 5000, 100, 200,
			    hash(a, 100), 0, "SPB: previous time, snaplen");
			check_bad(&res.recs[3], "EPB on an unknown interface");
			check_bad(&res.recs[4], "SPB shorter than its caplen");
			check_rec(&res.recs[5], 1, 5000, 30, 30, hash(a, 30),
			    0, "SPB after bad records: last good time");
			check_bad(&res.recs[6], "SPB without a body");
			check_rec(&res.recs[7], 1, 7000, 60, 60, hash(a, 60),
			    0, "obsolete Packet Block: flags not used");
			check_rec(&res.recs[8], 1, 7000, 10, 10, hash(a, 10),
			    0, "SPB after an obsolete Packet Block");
			check_rec(&res.recs[9], 101, 7000, 300, 300,
			    hash(a, 300), 0,
			    "SPB: snaplen 0, time across sections");
			check_bad(&res.recs[10], "SPB in a section without "
			    "interfaces");
		}
		result_free(&res);
	}
}

static void
test_pcapng_bad_records(void)
{
	struct pcapw	*w;
	struct bb	 bb;
	struct result	 res;
	uint8_t		 a[60], zero[16];
	const char	*path = tpath("bad.pcapng");
	int		 big;

	pattern(a, sizeof a, 16);
	memset(zero, 0, sizeof zero);
	for (big = 0; big <= 1; big++) {
		w = pcapw_open_raw(path, big);
		pcapw_section(w, 1, 0);
		pcapw_add_interface_ex(w, 1, 0, 9, 0, 0);
		pcapw_block(w, 1, zero, 4);		/* IDB too short */
		pcapw_block(w, 6, zero, 16);		/* 0: EPB too short */
		pcapw_block(w, 2, zero, 16);		/* 1: PB too short */
		pcapw_write_pkt_ticks(w, 6, 2, 10, a, 60, 60, 0); /* 2 */
		memset(&bb, 0, sizeof bb);		/* 3: caplen past */
		bb.big = big;
		bb_epb(&bb, 0, 10, a, 60, 60);
		bb.b[big ? 15 : 12] = 61;
		pcapw_block(w, 6, bb.b, bb.n);
		pcapw_write_pkt_ticks(w, 6, 0, 20, a, 60, 40, 0); /* 4 */
		pcapw_write_pkt_ticks(w, 6, 1, 30, a, 60, 60, 0); /* 5 */
		pcapw_write_pkt_ticks(w, 2, 1, 40, a, 60, 60, 0); /* 6 */
		pcapw_write_spb(w, a, 60, 60);		/* 7: if 0 */
		memset(&bb, 0, sizeof bb);		/* 8: caplen == rest */
		bb.big = big;
		bb_epb(&bb, 0, 50, a, 60, 60);
		pcapw_block(w, 6, bb.b, bb.n);
		pcapw_close(w);
		read_all(path, &res);
		check_end(&res, 9, CAPFILE_EOF, NULL, "bad pcapng records");
		if (res.n == 9) {
			check_bad(&res.recs[0], "EPB shorter than 20 bytes");
			check_bad(&res.recs[1], "PB shorter than 20 bytes");
			check_bad(&res.recs[2], "EPB on interface 2 of 2");
			check_bad(&res.recs[3], "EPB caplen past the block");
			check_rec(&res.recs[4], 1, 20, 60, 40, hash(a, 60), 0,
			    "caplen > wirelen is returned as it is");
			ok(res.recs[5].bad && res.recs[5].has_time &&
			    res.recs[5].linktype == -1 &&
			    res.recs[5].time_ns == 30000,
			    "EPB on an interface too short to read: "
			    "bad, with time");
			ok(res.recs[6].bad && res.recs[6].has_time &&
			    res.recs[6].time_ns == 40000,
			    "PB on an interface too short to read");
			check_rec(&res.recs[7], 1, 40000, 60, 60, hash(a, 60),
			    0, "SPB takes the time of a bad-interface PB");
			check_rec(&res.recs[8], 1, 50, 60, 60, hash(a, 60), 0,
			    "EPB whose data fills the block");
		}
		result_free(&res);
	}
}

/* A good file, then bytes that end it; n records, then error. */
static void
corrupt_case(const uint8_t *tail, size_t len, int big, size_t n,
    const char *error, const char *what)
{
	struct pcapw	*w;
	struct result	 res;
	uint8_t		 a[60];
	const char	*path = tpath("corrupt.pcapng");

	pattern(a, sizeof a, 17);
	w = pcapw_open_pcapng(path, 1, 6, big);
	pcapw_block(w, 4, "name", 4);			/* skipped */
	pcapw_block(w, 5, a, 20);			/* skipped */
	pcapw_block(w, 0x40000bad, a, 7);		/* skipped */
	pcapw_write_ng(w, 0, T0, a, 60, 60, 0);
	pcapw_bytes(w, tail, len);
	pcapw_close(w);
	read_all(path, &res);
	ok(res.opened, "%s: opened", what);
	check_end(&res, n, error ? CAPFILE_CORRUPT : CAPFILE_EOF, error, what);
	result_free(&res);
}

static void
test_pcapng_corrupt(void)
{
	struct bb	 bb;
	uint8_t		*huge;
	char		 what[64];
	int		 big;
	size_t		 blen;

	for (big = 0; big <= 1; big++) {
		corrupt_case(NULL, 0, big, 1, NULL,
		    "unknown blocks skipped");
#define BLOCK(type, len) do {						\
	memset(&bb, 0, sizeof bb);					\
	bb.big = big;							\
	bb_u32(&bb, type);						\
	bb_u32(&bb, len);						\
} while (0)
		BLOCK(6, 8);
		bb_u32(&bb, 8);
		corrupt_case(bb.b, bb.n, big, 1, "block with impossible "
		    "length 8", "block length 8");
		BLOCK(6, 30);
		bb_bytes(&bb, "0123456789012345678901", 22);
		corrupt_case(bb.b, bb.n, big, 1, "block with impossible "
		    "length 30", "block length not a multiple of 4");
		BLOCK(6, 16 * 1024 * 1024 + 4);
		corrupt_case(bb.b, bb.n, big, 1, "block with impossible "
		    "length 16777220", "block length over 16 MiB");
		BLOCK(6, 32);
		bb_bytes(&bb, "01234567890123456789", 20);
		bb_u32(&bb, 36);
		corrupt_case(bb.b, bb.n, big, 1, "block length in header and "
		    "trailer differ", "trailer differs");
		BLOCK(6, 64);
		bb_bytes(&bb, "01234567890123456789", 20);
		corrupt_case(bb.b, bb.n, big, 1, "file ends inside a block",
		    "cut inside a block");
		corrupt_case((const uint8_t *)"\x06\x00", 2, big, 1,
		    "file ends inside a block header", "two bytes of a block");
		BLOCK(6, 64);
		corrupt_case(bb.b, 6, big, 1,
		    "file ends inside a block header", "six bytes of a block");
		BLOCK(SHB_TYPE, 28);
		corrupt_case(bb.b, bb.n, big, 1,
		    "file ends inside a section header",
		    "cut after a section's length");
		BLOCK(SHB_TYPE, 28);
		bb_bytes(&bb, "\x1a\x2b\x3c\x4e", 4);
		corrupt_case(bb.b, bb.n, big, 1, "bad byte-order magic in "
		    "section header", "a section with a bad byte-order magic");
		BLOCK(SHB_TYPE, 24);
		bb_u32(&bb, 0x1a2b3c4d);
		bb_u16(&bb, 1);
		bb_u16(&bb, 0);
		bb_u64(&bb, UINT64_MAX);
		bb_u32(&bb, 24);
		corrupt_case(bb.b, bb.n, big, 1, "block with impossible "
		    "length 24", "a section header of 24 bytes");
		BLOCK(SHB_TYPE, 28);
		bb_u32(&bb, 0x1a2b3c4d);
		bb_u16(&bb, 1);
		bb_u16(&bb, 1);
		bb_u64(&bb, UINT64_MAX);
		bb_u32(&bb, 28);
		corrupt_case(bb.b, bb.n, big, 1, "unsupported pcapng version "
		    "1.1", "a later section of version 1.1 is corrupt");
		BLOCK(SHB_TYPE, 28);
		bb_u32(&bb, 0x1a2b3c4d);
		bb_u16(&bb, 1);
		bb_u16(&bb, 2);
		bb_u64(&bb, UINT64_MAX);
		bb_u32(&bb, 28);
		corrupt_case(bb.b, bb.n, big, 1, NULL,
		    "a later section of version 1.2");
	}
	/* A block of exactly 16 MiB is read (and skipped). */
	for (big = 0; big <= 1; big++) {
		blen = 16 * 1024 * 1024;
		huge = calloc(1, blen);
		memset(&bb, 0, sizeof bb);
		bb.big = big;
		bb_u32(&bb, 0x0bad);
		bb_u32(&bb, (uint32_t)blen);
		memcpy(huge, bb.b, 8);
		memcpy(huge + blen - 4, bb.b + 4, 4);
		snprintf(what, sizeof what, "a 16 MiB block (%s)",
		    big ? "BE" : "LE");
		corrupt_case(huge, blen, big, 1, NULL, what);
		free(huge);
	}
#undef BLOCK
}

/* A Section Header Block in the given byte order and version. */
static void
shb_bytes(struct bb *bb, int big, uint16_t major, uint16_t minor,
    uint32_t len, uint32_t trailer)
{
	memset(bb, 0, sizeof *bb);
	bb->big = big;
	bb_u32(bb, 0x0a0d0d0a);
	bb_u32(bb, len);
	bb_u32(bb, 0x1a2b3c4d);
	bb_u16(bb, major);
	bb_u16(bb, minor);
	bb_u64(bb, UINT64_MAX);
	while (bb->n < len - 4)
		bb_u32(bb, 0);
	bb_u32(bb, trailer);
}

static void
test_pcapng_refused(void)
{
	struct bb	 bb;
	struct result	 res;
	const char	*path = tpath("refused.pcapng");
	char		 what[64];
	int		 big;

	for (big = 0; big <= 1; big++) {
		snprintf(what, sizeof what, "pcapng 1.1 (%s)",
		    big ? "BE" : "LE");
		shb_bytes(&bb, big, 1, 1, 28, 28);
		spit(path, bb.b, bb.n);
		check_refused(path, "unsupported pcapng version 1.1", what);
		snprintf(what, sizeof what, "pcapng 2.0 (%s)",
		    big ? "BE" : "LE");
		shb_bytes(&bb, big, 2, 0, 28, 28);
		spit(path, bb.b, bb.n);
		check_refused(path, "unsupported pcapng version 2.0", what);
		snprintf(what, sizeof what, "pcapng 0.2 (%s)",
		    big ? "BE" : "LE");
		shb_bytes(&bb, big, 0, 2, 28, 28);
		spit(path, bb.b, bb.n);
		check_refused(path, "unsupported pcapng version 0.2", what);
		snprintf(what, sizeof what, "pcapng first trailer (%s)",
		    big ? "BE" : "LE");
		shb_bytes(&bb, big, 1, 0, 32, 28);
		spit(path, bb.b, bb.n);
		check_refused(path, "block length in header and trailer differ",
		    what);
		snprintf(what, sizeof what, "pcapng first SHB short (%s)",
		    big ? "BE" : "LE");
		shb_bytes(&bb, big, 1, 0, 24, 24);
		spit(path, bb.b, bb.n);
		check_refused(path, "block with impossible length 24", what);
		snprintf(what, sizeof what, "pcapng first SHB cut (%s)",
		    big ? "BE" : "LE");
		shb_bytes(&bb, big, 1, 0, 28, 28);
		spit(path, bb.b, 20);
		check_refused(path, "file ends inside a block", what);
		spit(path, bb.b, 10);
		check_refused(path, "file ends inside a section header",
		    "pcapng cut in the byte-order magic");
		spit(path, bb.b, 4);
		check_refused(path, "file ends inside a block header",
		    "pcapng magic only");
		shb_bytes(&bb, big, 1, 0, 28, 28);
		bb.b[8] ^= 0xff;
		spit(path, bb.b, bb.n);
		check_refused(path, "bad byte-order magic in section header",
		    "pcapng first byte-order magic bad");
		/* Versions 1.0 and 1.2, with nothing after them. */
		shb_bytes(&bb, big, 1, 2, 28, 28);
		spit(path, bb.b, bb.n);
		read_all(path, &res);
		ok(res.opened, "pcapng 1.2 section only: opened");
		check_end(&res, 0, CAPFILE_EOF, NULL, "pcapng 1.2 section only");
		result_free(&res);
		shb_bytes(&bb, big, 1, 0, 40, 40);
		spit(path, bb.b, bb.n);
		read_all(path, &res);
		ok(res.opened, "pcapng 1.0 with options: opened");
		check_end(&res, 0, CAPFILE_EOF, NULL, "pcapng 1.0 with options");
		result_free(&res);
	}
}

/* Sections in both byte orders, each with its own interfaces. */
static void
test_pcapng_sections(void)
{
	struct pcapw	*w;
	struct result	 res;
	struct bb	 bb;
	uint8_t		 a[60];
	const char	*p1 = tpath("sec1.pcapng"), *p2 = tpath("sec2.pcapng");
	const char	*p3 = tpath("sec3.pcapng");
	int		 i1;

	pattern(a, sizeof a, 18);
	w = pcapw_open_pcapng(p1, 1, 6, 0);
	i1 = pcapw_add_interface(w, 101, 9);
	pcapw_write_ng(w, i1, T0, a, 60, 60, 0);
	pcapw_write_ng(w, 0, T0, a, 60, 60, 2);
	pcapw_close(w);
	w = pcapw_open_raw(p2, 1);
	pcapw_section(w, 1, 2);
	pcapw_add_interface_ex(w, 113, 0, 9, 0, 0);
	pcapw_write_pkt_ticks(w, 6, 1, 5, a, 60, 60, 0);	/* gone */
	pcapw_write_pkt_ticks(w, 6, 0, 6, a, 60, 60, 2);
	pcapw_close(w);
	concat(p3, p1, p2);
	read_all(p3, &res);
	check_end(&res, 4, CAPFILE_EOF, NULL, "sections LE then BE");
	if (res.n == 4) {
		check_rec(&res.recs[0], 101, T0, 60, 60, hash(a, 60), 0,
		    "section 1 interface 1");
		check_rec(&res.recs[1], 1, T0 / 1000 * 1000, 60, 60,
		    hash(a, 60), 1, "section 1 interface 0");
		check_bad(&res.recs[2], "section 2 forgets section 1's "
		    "interfaces");
		check_rec(&res.recs[3], 113, 6, 60, 60, hash(a, 60), 1,
		    "section 2 big-endian interface 0");
	}
	result_free(&res);
	/* ... then a section of version 1.1: corrupt, not refused. */
	shb_bytes(&bb, 0, 1, 1, 28, 28);
	spit(p1, bb.b, bb.n);
	concat(p2, p3, p1);
	read_all(p2, &res);
	ok(res.opened, "a bad third section: opened");
	check_end(&res, 4, CAPFILE_CORRUPT, "unsupported pcapng version 1.1",
	    "a bad third section");
	result_free(&res);
}

/*
 * Files larger than the pipe buffer: records across the buffer's edges,
 * a record larger than the buffer, the 16 MiB block.
 */
static void
test_stream(void)
{
	struct pcapw	*w;
	struct result	 res;
	uint8_t		*a;
	const char	*path = tpath("stream.pcap");
	uint32_t	 len, i, n = 4000;
	int		 good = 1;

	a = malloc(16 * 1024 * 1024);
	pattern(a, 16 * 1024 * 1024, 19);
	w = pcapw_open_pcap(path, 1, 1, 0);
	for (i = 0; i < n; i++) {
		len = (i * 7919) % 3001;
		pcapw_write(w, T0 + i, a + i, len, len + 4);
	}
	pcapw_write(w, T0 + i, a, 262144, 262144);
	pcapw_close(w);
	read_all(path, &res);
	check_end(&res, n + 1, CAPFILE_EOF, NULL, "big pcap");
	for (i = 0; i < n && i < res.n; i++) {
		len = (i * 7919) % 3001;
		if (res.recs[i].caplen != len ||
		    res.recs[i].hash != hash(a + i, len) ||
		    res.recs[i].time_ns != T0 + i)
			good = 0;
	}
	ok(good, "big pcap: every record right");
	result_free(&res);

	path = tpath("stream.pcapng");
	w = pcapw_open_pcapng(path, 1, 9, 1);
	for (i = 0; i < n; i++) {
		len = (i * 7919) % 3001;
		pcapw_write_ng(w, 0, T0 + i, a + i, len, len, i % 3);
	}
	pcapw_write_ng(w, 0, T0, a, 10 * 1024 * 1024, 10 * 1024 * 1024, 2);
	pcapw_write_ng(w, 0, T0, a, 60, 60, 2);
	pcapw_close(w);
	read_all(path, &res);
	check_end(&res, n + 2, CAPFILE_EOF, NULL, "big pcapng");
	good = 1;
	for (i = 0; i < n && i < res.n; i++) {
		len = (i * 7919) % 3001;
		if (res.recs[i].caplen != len ||
		    res.recs[i].hash != hash(a + i, len) ||
		    res.recs[i].outbound != (i % 3 == 2))
			good = 0;
	}
	ok(good, "big pcapng: every record right");
	if (res.n == n + 2) {
		is_int(res.recs[n].caplen, 10 * 1024 * 1024,
		    "a 10 MiB packet");
		ok(res.recs[n].hash == hash(a, 10 * 1024 * 1024),
		    "a 10 MiB packet: data");
	}
	result_free(&res);
	free(a);
}

/* A read error is the cause of a refusal (here: an unconnected socket). */
static void
test_read_error(void)
{
	struct capfile	*cf;
	char		*cause = NULL;
	int		 saved, s;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1) {
		printf("# SKIP read error: no socket: %s\n", strerror(errno));
		return;
	}
	saved = dup(STDIN_FILENO);
	dup2(s, STDIN_FILENO);
	close(s);
	cf = capfile_open("-", &cause);
	ok(cf == NULL, "a read error refuses the file");
	is_str(cause, strerror(ENOTCONN), "read error: cause");
	capfile_close(cf);
	free(cause);
	dup2(saved, STDIN_FILENO);
	close(saved);
}

/* Reading from standard input with "-". */
static void
test_stdin(void)
{
	struct pcapw	*w;
	struct capfile	*cf;
	struct capfile_record rec;
	char		*cause = NULL;
	uint8_t		 a[60];
	const char	*path = tpath("stdin.pcap");
	int		 saved, fd, n = 0;

	pattern(a, sizeof a, 20);
	w = pcapw_open_pcap(path, 1, 0, 1);
	pcapw_write(w, T0, a, 60, 60);
	pcapw_write(w, T0, a, 60, 60);
	pcapw_close(w);
	saved = dup(STDIN_FILENO);
	fd = open(path, O_RDONLY);
	dup2(fd, STDIN_FILENO);
	close(fd);
	cf = capfile_open("-", &cause);
	ok(cf != NULL, "\"-\" reads standard input");
	if (cf != NULL) {
		while (capfile_next(cf, &rec) == CAPFILE_RECORD)
			n++;
		capfile_close(cf);
	}
	is_int(n, 2, "standard input: records");
	ok(fcntl(STDIN_FILENO, F_GETFD) != -1,
	    "standard input is left open");
	dup2(saved, STDIN_FILENO);
	close(saved);
	free(cause);
}

/* ------------------------------------------------- shared captures */

/* The next tab-separated field of *line, or NULL. */
static char *
field(char **line)
{
	char	*f = *line, *tab;

	if (f == NULL)
		return NULL;
	if ((tab = strchr(f, '\t')) != NULL) {
		*tab = '\0';
		*line = tab + 1;
	} else
		*line = NULL;
	return f;
}

/* The note of a file that is not about link types, or "". */
static void
file_note(const char *notes, char *out, size_t len)
{
	const char	*p = notes, *end;

	out[0] = '\0';
	while (*p != '\0') {
		end = strstr(p, "; ");
		if (end == NULL)
			end = p + strlen(p);
		if (strncmp(p, "link types not decoded", 22) != 0 &&
		    end > p) {
			snprintf(out, len, "%.*s", (int)(end - p), p);
			return;
		}
		p = *end != '\0' ? end + 2 : end;
	}
}

static void
test_dev_captures(void)
{
	struct result	 res;
	const char	*top = getenv("top_srcdir");
	char		 dir[512], path[8192], line[4096], note[512];
	char		*l, *name, *packets, *malformed, *status, *notes;
	FILE		*f;
	size_t		 i, bad, files = 0, refused = 0, read_ok = 0;
	int		 good;

	snprintf(dir, sizeof dir, "%s/../shared/pcaps/dev",
	    top != NULL ? top : ".");
	snprintf(path, sizeof path, "%s/EXPECTED_COUNTS.tsv", dir);
	if ((f = fopen(path, "r")) == NULL) {
		printf("# SKIP shared captures: no %s\n", path);
		return;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		l = line;
		name = field(&l);
		packets = field(&l);
		field(&l);
		field(&l);
		malformed = field(&l);
		field(&l);
		status = field(&l);
		notes = field(&l);
		if (name == NULL || status == NULL ||
		    strcmp(name, "file") == 0)
			continue;
		if (notes == NULL)
			notes = "";
		files++;
		snprintf(path, sizeof path, "%s/%s", dir, name);
		read_all(path, &res);
		if (strcmp(status, "2") == 0) {
			refused++;
			ok(!res.opened && strcmp(res.cause, notes) == 0,
			    "%s: refused: %s", name, notes);
			if (res.opened || strcmp(res.cause, notes) != 0)
				printf("#   got \"%s\"\n", res.cause);
			result_free(&res);
			continue;
		}
		file_note(notes, note, sizeof note);
		for (bad = i = 0; i < res.n; i++)
			bad += res.recs[i].bad;
		good = res.opened &&
		    res.n + (res.end == CAPFILE_CORRUPT) ==
		    strtoull(packets, NULL, 10) &&
		    bad <= strtoull(malformed, NULL, 10) &&
		    (res.end == CAPFILE_CORRUPT ?
		    strcmp(res.error, note) == 0 : note[0] == '\0');
		ok(good, "%s: %zu records%s%s", name, res.n,
		    res.end == CAPFILE_CORRUPT ? ", then " : "",
		    res.end == CAPFILE_CORRUPT ? res.error : "");
		if (!good)
			printf("#   opened %d, want packets %s malformed >= "
			    "%zu, note \"%s\", got error \"%s\" (%s)\n",
			    res.opened, packets, bad, note, res.error,
			    res.cause);
		read_ok += good;
		result_free(&res);
	}
	fclose(f);
	ok(files >= 100, "read %zu shared captures", files);
	is_int(read_ok, files - refused,
	    "every shared capture not refused reads as expected");
	is_int(refused, 4, "four shared captures refused (libpcap_*)");
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_capfile.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_pcap_basic();
	test_pcap_fraction();
	test_pcap_modified();
	test_pcap_versions();
	test_pcap_linktype();
	test_pcap_caplen_limit();
	test_pcap_truncated();
	test_not_capture();
	test_pcapng_basic();
	test_pcapng_clock();
	test_pcapng_options();
	test_pcapng_simple();
	test_pcapng_bad_records();
	test_pcapng_corrupt();
	test_pcapng_refused();
	test_pcapng_sections();
	test_stream();
	test_stdin();
	test_read_error();
	test_dev_captures();
	if (system(NULL)) {
		char	cmd[128];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpdir);
	}
	return tap_done();
}
