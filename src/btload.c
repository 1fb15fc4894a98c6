/*
 * btload.c - lay out whole SQLite b-trees of a new file at once.
 *
 * Called by the store (src/store_newday.c) for the first bin of a day,
 * when all of a tree's entries are known and sorted: instead of a million
 * inserts, each walking the tree from its root, the pages are filled in
 * order and written once.  The format is SQLite's (fileformat2.html), limited to what
 * a new file needs: every record fits in its cell (no overflow pages), no
 * free pages, no auto-vacuum pointer maps, no reserved bytes, UTF-8, and
 * nothing of the file in a WAL or a rollback journal beside it (btload
 * writes the file itself, behind SQLite's back).  btload_open() refuses
 * any file that is not like that, btload_tree() a record that would need
 * overflow pages, and the store then writes the bin with SQL.
 *
 * A tree is built bottom up, one level at a time.  A rowid table is a B+
 * tree: leaves hold the records, an interior cell holds a child and the
 * largest rowid under it.  An index (and a WITHOUT ROWID table) is a
 * B-tree: an entry sits either in a leaf or, as the divider of two
 * children, in an interior page.  So each page of a level but the last
 * gives up the entry that follows it to the level above.  Every page gets
 * at least one cell, as SQLite's own balancing keeps them.  The top page is
 * copied into the root page that CREATE allocated (sqlite_master points at
 * it); the other pages are appended to the file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btload.h"
#include "util.h"

/* SQLite's PENDING_BYTE: the page holding it is never used. */
uint64_t btload_pending_byte = 0x40000000;

int (*btload_fault)(const char *op);

/* New pages are written this many at a time. */
#define BTLOAD_CHUNK_PAGES	256

/* Page types (the first byte of a b-tree page). */
#define PAGE_INDEX_INTERIOR	2
#define PAGE_TABLE_INTERIOR	5
#define PAGE_INDEX_LEAF		10
#define PAGE_TABLE_LEAF		13

/* ------------------------------------------------------------ encoding */

static inline void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline size_t
varint_len(uint64_t v)
{
	size_t n = 1;

	if (v > 0x00ffffffffffffffULL)
		return 9;
	while (v > 0x7f) {
		v >>= 7;
		n++;
	}
	return n;
}

/* SQLite's varint: 7 bits a byte, high bit set on all but the last. */
static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n, i;

	if (v <= 0x7f) {
		p[0] = (uint8_t)v;
		return 1;
	}
	if (v > 0x00ffffffffffffffULL) {	/* 8 x 7 bits, then 8 */
		p[8] = (uint8_t)v;
		v >>= 8;
		for (i = 8; i-- > 0; v >>= 7)
			p[i] = (uint8_t)((v & 0x7f) | 0x80);
		return 9;
	}
	n = varint_len(v);
	for (i = n; i-- > 0; v >>= 7)
		p[i] = (uint8_t)((v & 0x7f) | (i == n - 1 ? 0 : 0x80));
	return n;
}

/* The serial type of an integer and its body's length. */
static inline uint32_t
int_type(int64_t v, size_t *len)
{
	uint64_t u = v < 0 ? ~(uint64_t)v : (uint64_t)v;

	if (v == 0 || v == 1) {		/* schema format 4 */
		*len = 0;
		return v == 0 ? 8 : 9;
	}
	if (u <= 0x7f)
		return *len = 1, 1;
	if (u <= 0x7fff)
		return *len = 2, 2;
	if (u <= 0x7fffff)
		return *len = 3, 3;
	if (u <= 0x7fffffff)
		return *len = 4, 4;
	if (u <= 0x7fffffffffffULL)
		return *len = 6, 5;
	return *len = 8, 6;
}

static int
recs_grow(struct btload_recs *r, size_t bytes)
{
	size_t n;
	void *p;

	if (r->len + bytes > r->cap) {
		for (n = r->cap ? r->cap : 65536; n < r->len + bytes; n *= 2)
			;
		if ((p = realloc(r->buf, n)) == NULL)
			return -ENOMEM;
		r->buf = p;
		r->cap = n;
	}
	if (r->n + 1 >= r->alloc) {
		n = r->alloc ? 2 * r->alloc : 4096;
		if ((p = realloc(r->off, (n + 1) * sizeof *r->off)) == NULL)
			return -ENOMEM;
		r->off = p;
		if ((p = realloc(r->rowid, n * sizeof *r->rowid)) == NULL)
			return -ENOMEM;
		r->rowid = p;
		r->alloc = n;
	}
	return 0;
}

int
btload_recs_add(struct btload_recs *r, int64_t rowid,
    const struct btload_val *v, int nval)
{
	uint32_t type[16];
	size_t len[16], hdr = 1, body = 0, k;
	uint8_t *p;
	int i, j;

	if (nval < 0 || nval > 16)
		return -EINVAL;
	for (i = 0; i < nval; i++) {
		switch (v[i].type) {
		case BTLOAD_NULL:
			type[i] = 0;
			len[i] = 0;
			break;
		case BTLOAD_INT:
			type[i] = int_type(v[i].i, &len[i]);
			break;
		case BTLOAD_BLOB:
		case BTLOAD_TEXT:
			if (v[i].n > 0x7fffffff)
				return -EINVAL;
			type[i] = (uint32_t)(2 * v[i].n) +
			    (v[i].type == BTLOAD_BLOB ? 12 : 13);
			len[i] = v[i].n;
			break;
		default:
			return -EINVAL;
		}
		hdr += varint_len(type[i]);
		body += len[i];
	}
	/* hdr counts its own size byte: at most 1 + 16 * 5 < 128. */
	if (recs_grow(r, hdr + body) != 0)
		return -ENOMEM;
	if (r->n == 0)
		r->off[0] = r->len;
	p = r->buf + r->len;
	p += put_varint(p, hdr);
	for (i = 0; i < nval; i++)
		p += put_varint(p, type[i]);
	for (i = 0; i < nval; i++) {
		if (v[i].type == BTLOAD_INT) {
			for (k = len[i], j = 0; k-- > 0; j++)
				p[k] = (uint8_t)((uint64_t)v[i].i >> (8 * j));
		} else if (len[i] != 0)
			memcpy(p, v[i].p, len[i]);
		p += len[i];
	}
	r->len += hdr + body;
	r->rowid[r->n] = rowid;
	r->off[++r->n] = r->len;
	return 0;
}

void
btload_recs_reset(struct btload_recs *r)
{
	r->len = 0;
	r->n = 0;
}

void
btload_recs_free(struct btload_recs *r)
{
	free(r->buf);
	free(r->off);
	free(r->rowid);
	memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------ file */

int
btload_open(struct btload *b, const char *path, char **cause)
{
	static const char *const beside[] = { "-wal", "-journal" };
	const char *why = "not an SQLite file";
	uint8_t h[100];
	struct stat sb;
	ssize_t got;
	size_t i;
	char *p;

	memset(b, 0, sizeof *b);
	b->fd = -1;
	/*
	 * Pages SQLite has not put into the file yet (a WAL), or a hot
	 * journal that would roll the file back, make its own pages not the
	 * truth: btload would build on the wrong file, or be undone.
	 */
	for (i = 0; i < sizeof beside / sizeof beside[0]; i++) {
		p = util_printf("%s%s", path, beside[i]);
		if (lstat(p, &sb) == 0 || errno != ENOENT) {
			free(p);
			return util_cause(cause, -ENOTSUP, "%s: a %s file beside"
			    " it: btload only extends a file with nothing in a"
			    " journal", path, beside[i]);
		}
		free(p);
	}
	b->fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (b->fd < 0)
		return util_cause(cause, -errno, "%s: %s", path,
		    strerror(errno));
	b->path = util_strdup(path);
	got = pread(b->fd, h, sizeof h, 0);
	if (got != (ssize_t)sizeof h || fstat(b->fd, &sb) != 0 ||
	    memcmp(h, "SQLite format 3", 16) != 0)
		goto unsupported;
	b->page_size = (uint32_t)h[16] << 8 | h[17];
	if (b->page_size == 1)
		b->page_size = 65536;
	why = "page size";
	if (b->page_size < 512 || (b->page_size & (b->page_size - 1)) != 0)
		goto unsupported;
	/* Reserved bytes belong to a VFS (checksums, encryption) btload is not. */
	why = "reserved bytes at the end of each page";
	if (h[20] != 0)
		goto unsupported;
	b->usable = b->page_size;
	why = "schema format not 4";
	if (get32(h + 44) != 4)
		goto unsupported;
	why = "text encoding not UTF-8";
	if (get32(h + 56) != 1)
		goto unsupported;
	why = "auto-vacuum";
	if (get32(h + 52) != 0)
		goto unsupported;
	why = "free pages";
	if (get32(h + 36) != 0)
		goto unsupported;
	/* A size in the header that SQLite will believe, and the file's. */
	why = "page count in the header not valid";
	if (get32(h + 24) != get32(h + 92) ||
	    sb.st_size % b->page_size != 0 ||
	    (uint64_t)sb.st_size / b->page_size != get32(h + 28))
		goto unsupported;
	b->npages = get32(h + 28);
	b->chunk = malloc((size_t)BTLOAD_CHUNK_PAGES * b->page_size);
	b->rootbuf = malloc(b->page_size);
	if (b->chunk == NULL || b->rootbuf == NULL) {
		btload_abort(b);
		return util_cause(cause, -ENOMEM, "%s: out of memory", path);
	}
	return 0;

unsupported:
	btload_abort(b);
	return util_cause(cause, -ENOTSUP, "%s: not a new SQLite file btload"
	    " can extend (%s)", path, why);
}

static int
write_all(struct btload *b, const uint8_t *p, size_t n, off_t at,
    char **cause)
{
	ssize_t w;

	while (n > 0) {
		if (btload_fault != NULL && (errno = btload_fault("write")) != 0)
			w = -1;
		else
			w = pwrite(b->fd, p, n, at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return util_cause(cause, w < 0 ? -errno : -EIO,
			    "%s: write: %s", b->path,
			    strerror(w < 0 ? errno : EIO));
		p += w;
		n -= (size_t)w;
		at += w;
	}
	return 0;
}

static int
flush_chunk(struct btload *b, char **cause)
{
	int rc;

	if (b->chunk_n == 0)
		return 0;
	rc = write_all(b, b->chunk, (size_t)b->chunk_n * b->page_size,
	    (off_t)(b->chunk_first - 1) * b->page_size, cause);
	b->chunk_n = 0;
	return rc;
}

/* ------------------------------------------------------------ pages */

/* A page being filled: cells go down from the end, pointers up. */
struct page {
	uint8_t		*p;
	uint32_t	 pgno;
	uint32_t	 hdr;		/* header size: 8 leaf, 12 interior */
	uint32_t	 content;	/* start of the cell content area */
	uint32_t	 ncell;
};

/*
 * Start the next page: the root (written at once by page_end()) or a new
 * page at the end of the file, buffered in the chunk.
 */
static int
page_begin(struct btload *b, struct page *pg, int type, uint32_t root,
    char **cause)
{
	int rc;

	if (root != 0) {
		pg->p = b->rootbuf;
		pg->pgno = root;
	} else {
		if (b->chunk_n == BTLOAD_CHUNK_PAGES &&
		    (rc = flush_chunk(b, cause)) != 0)
			return rc;
		if (b->npages == UINT32_MAX - 1)
			return util_cause(cause, -EFBIG, "%s: too many pages",
			    b->path);
		if (b->chunk_n == 0)
			b->chunk_first = b->npages + 1;
		/*
		 * The page holding SQLite's lock bytes is never a b-tree's:
		 * it stays zero, counted in the file's size but unused.
		 */
		if (b->npages + 1 == btload_pending_byte / b->page_size + 1) {
			memset(b->chunk + (size_t)b->chunk_n++ * b->page_size, 0,
			    b->page_size);
			b->npages++;
			if (b->chunk_n == BTLOAD_CHUNK_PAGES &&
			    (rc = flush_chunk(b, cause)) != 0)
				return rc;
			if (b->chunk_n == 0)
				b->chunk_first = b->npages + 1;
		}
		pg->p = b->chunk + (size_t)b->chunk_n++ * b->page_size;
		pg->pgno = ++b->npages;
	}
	memset(pg->p, 0, b->page_size);
	pg->p[0] = (uint8_t)type;
	pg->hdr = type == PAGE_TABLE_LEAF || type == PAGE_INDEX_LEAF ? 8 : 12;
	pg->content = b->usable;
	pg->ncell = 0;
	return 0;
}

/* Room for a cell of n bytes (the caller made sure it fits). */
static inline uint8_t *
page_cell(struct page *pg, size_t n)
{
	pg->content -= (uint32_t)n;
	put16(pg->p + pg->hdr + 2 * pg->ncell++, pg->content);
	return pg->p + pg->content;
}

static int
page_end(struct btload *b, struct page *pg, uint32_t right, int root,
    char **cause)
{
	put16(pg->p + 3, pg->ncell);
	put16(pg->p + 5, pg->content == 65536 ? 0 : pg->content);
	if (pg->hdr == 12)
		put32(pg->p + 8, right);
	if (!root)
		return 0;
	return write_all(b, pg->p, b->page_size,
	    (off_t)(pg->pgno - 1) * b->page_size, cause);
}

/* ------------------------------------------------------------ trees */

#define REC(r, i)	((r)->buf + (r)->off[i])
#define RECLEN(r, i)	((r)->off[(i) + 1] - (r)->off[i])

/* Room for n groups a level (the arrays are kept from tree to tree). */
static int
level_reserve(struct btload *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 1024;
	void *p;

	if (n <= b->cap)
		return 0;
	while (cap < n)
		cap *= 2;
#define GROW(f) do {							\
	if ((p = realloc(b->f, cap * sizeof *b->f)) == NULL)		\
		return -ENOMEM;						\
	b->f = p;							\
} while (0)
	GROW(end);
	GROW(item);
	GROW(up);
	GROW(page);
	GROW(child);
	GROW(key);
#undef GROW
	b->cap = cap;
	return 0;
}

/* A cell takes at least 4 bytes (SQLite's minimum, a free block's). */
static inline size_t
index_cell(const struct btload_recs *r, uint32_t i, int leaf)
{
	size_t n = RECLEN(r, i), c = (leaf ? 0 : 4) + varint_len(n) + n;

	return c < 4 ? 4 : c;
}

/* Entry k of the level: its record (the leaves take them all in order). */
#define ITEM(b, leaf, k)	((leaf) ? (uint32_t)(k) : (b)->item[k])

/*
 * Group the m entries of one index level into pages: group j is entries
 * [start_j, end[j]) and the entry end[j] after it (all groups but the
 * last) goes up.  Returns the number of groups, 0 when an entry cannot be
 * placed, or -1 out of memory.
 */
static ssize_t
plan_index_level(struct btload *b, const struct btload_recs *r, size_t m,
    int leaf)
{
	size_t i = 0, s, used, g = 0, c;

	for (;;) {
		if (level_reserve(b, g + 2) != 0)
			return -1;
		s = i;
		used = leaf ? 8 : 12;
		while (i < m && used + 2 + (c = index_cell(r,
		    ITEM(b, leaf, i), leaf)) <= b->usable) {
			used += 2 + c;
			i++;
		}
		if (i == s)
			return 0;
		b->end[g++] = i;
		if (i == m)
			return (ssize_t)g;
		if (++i == m) {
			/*
			 * The entry that went up was the last: no page would
			 * follow it.  The page before gives up its own last
			 * entry instead, and the last entry gets a page.
			 */
			if (b->end[g - 1] - s < 2)
				return 0;
			b->end[g - 1]--;
			b->end[g++] = m;
			return (ssize_t)g;
		}
	}
}

static int
write_index(struct btload *b, uint32_t root, const struct btload_recs *r, char **cause)
{
	size_t m = r->n, g, ng, k, s, len;
	ssize_t planned;
	struct page pg;
	uint32_t it;
	uint8_t *c;
	int leaf = 1, rc;

	for (;;) {
		if ((planned = plan_index_level(b, r, m, leaf)) <= 0)
			return planned < 0 ? util_cause(cause, -ENOMEM,
			    "%s: out of memory", b->path) : util_cause(cause,
			    -ENOTSUP, "%s: an index entry too large for a page",
			    b->path);
		ng = (size_t)planned;
		for (g = 0, s = 0; g < ng; s = b->end[g++] + 1) {
			rc = page_begin(b, &pg, leaf ? PAGE_INDEX_LEAF :
			    PAGE_INDEX_INTERIOR, ng == 1 ? root : 0,
			    cause);
			if (rc != 0)
				return rc;
			for (k = s; k < b->end[g]; k++) {
				it = ITEM(b, leaf, k);
				len = RECLEN(r, it);
				c = page_cell(&pg, index_cell(r, it, leaf));
				if (!leaf) {
					put32(c, b->child[k]);
					c += 4;
				}
				c += put_varint(c, len);
				memcpy(c, REC(r, it), len);
			}
			rc = page_end(b, &pg, leaf ? 0 : b->child[b->end[g]],
			    ng == 1, cause);
			if (rc != 0)
				return rc;
			b->page[g] = pg.pgno;
			if (g + 1 < ng)
				b->up[g] = ITEM(b, leaf, b->end[g]);
		}
		if (ng == 1)
			return 0;
		/* The next level: the entries that went up, over these pages. */
		memcpy(b->item, b->up, (ng - 1) * sizeof *b->item);
		memcpy(b->child, b->page, ng * sizeof *b->child);
		m = ng - 1;
		leaf = 0;
	}
}

static int
write_table(struct btload *b, uint32_t root, const struct btload_recs *r, char **cause)
{
	size_t n = r->n, i, s, used, cell, g, ng, len;
	struct page pg;
	uint8_t *c;
	int rc;

	/* Leaves: as many records as fit, in rowid order. */
	for (ng = 0, i = 0; i < n; ng++) {
		if (level_reserve(b, ng + 1) != 0)
			return util_cause(cause, -ENOMEM, "%s: out of memory",
			    b->path);
		for (s = i, used = 8; i < n; i++) {
			len = RECLEN(r, i);
			cell = varint_len(len) +
			    varint_len((uint64_t)r->rowid[i]) + len;
			if (used + 2 + cell > b->usable)
				break;
			used += 2 + cell;
		}
		if (i == s)
			return util_cause(cause, -ENOTSUP, "%s: a row too large"
			    " for a page", b->path);
		b->end[ng] = i;
	}
	for (g = 0, s = 0; g < ng; s = b->end[g++]) {
		if ((rc = page_begin(b, &pg, PAGE_TABLE_LEAF, ng == 1 ? root : 0,
		    cause)) != 0)
			return rc;
		for (i = s; i < b->end[g]; i++) {
			len = RECLEN(r, i);
			c = page_cell(&pg, varint_len(len) +
			    varint_len((uint64_t)r->rowid[i]) + len);
			c += put_varint(c, len);
			c += put_varint(c, (uint64_t)r->rowid[i]);
			memcpy(c, REC(r, i), len);
		}
		if ((rc = page_end(b, &pg, 0, ng == 1, cause)) != 0)
			return rc;
		b->child[g] = pg.pgno;
		b->key[g] = r->rowid[b->end[g] - 1];
	}

	/* Interior levels: a cell (child, its largest rowid) per child but
	 * the last, which is the right-most pointer. */
	for (n = ng; n > 1; n = ng) {
		for (ng = 0, s = 0; s < n; s = b->end[ng++]) {
			for (i = s + 1, used = 12; i < n; i++) {
				cell = 4 + varint_len((uint64_t)b->key[i - 1]);
				if (used + 2 + cell > b->usable)
					break;
				used += 2 + cell;
			}
			b->end[ng] = i;
		}
		/* A last page of one child would have no cell: take one. */
		if (ng > 1 && b->end[ng - 1] - b->end[ng - 2] == 1) {
			if (b->end[ng - 2] - (ng > 2 ? b->end[ng - 3] : 0) < 3)
				return util_cause(cause, -ENOTSUP, "%s: page"
				    " size too small", b->path);
			b->end[ng - 2]--;
		}
		for (g = 0, s = 0; g < ng; s = b->end[g++]) {
			rc = page_begin(b, &pg, PAGE_TABLE_INTERIOR,
			    ng == 1 ? root : 0, cause);
			if (rc != 0)
				return rc;
			for (i = s; i + 1 < b->end[g]; i++) {
				c = page_cell(&pg, 4 +
				    varint_len((uint64_t)b->key[i]));
				put32(c, b->child[i]);
				put_varint(c + 4, (uint64_t)b->key[i]);
			}
			if ((rc = page_end(b, &pg, b->child[b->end[g] - 1],
			    ng == 1, cause)) != 0)
				return rc;
			b->page[g] = pg.pgno;
			b->key[g] = b->key[b->end[g] - 1];
		}
		memcpy(b->child, b->page, ng * sizeof *b->child);
	}
	return 0;
}

int
btload_tree(struct btload *b, uint32_t root, int table,
    const struct btload_recs *r, char **cause)
{
	size_t i, max;

	if (r->n == 0)
		return 0;	/* the empty root CREATE made is right */
	if (root < 2 || root > b->npages)
		return util_cause(cause, -EINVAL, "%s: bad root page %u",
		    b->path, root);
	/* The largest record kept whole in a cell (no overflow pages). */
	max = table ? b->usable - 35 : (b->usable - 12) * 64 / 255 - 23;
	for (i = 0; i < r->n; i++) {
		if (RECLEN(r, i) > max)
			return util_cause(cause, -ENOTSUP, "%s: a record of"
			    " %zu bytes needs overflow pages", b->path,
			    (size_t)RECLEN(r, i));
	}
	return table ? write_table(b, root, r, cause) :
	    write_index(b, root, r, cause);
}

int
btload_close(struct btload *b, char **cause)
{
	uint8_t h[100];
	uint32_t counter;
	int rc;

	if ((rc = flush_chunk(b, cause)) != 0)
		goto out;
	if (pread(b->fd, h, sizeof h, 0) != (ssize_t)sizeof h) {
		rc = util_cause(cause, -EIO, "%s: cannot read the header",
		    b->path);
		goto out;
	}
	/* The size is valid only with "version-valid-for" = change counter. */
	counter = get32(h + 24) + 1;
	put32(h + 24, counter);
	put32(h + 92, counter);
	put32(h + 28, b->npages);
	if ((rc = write_all(b, h, sizeof h, 0, cause)) != 0)
		goto out;
	if (btload_fault != NULL && (errno = btload_fault("fsync")) != 0)
		rc = util_cause(cause, -errno, "%s: fsync: %s", b->path,
		    strerror(errno));
	else if (fsync(b->fd) != 0)
		rc = util_cause(cause, -errno, "%s: fsync: %s", b->path,
		    strerror(errno));
out:
	btload_abort(b);
	return rc;
}

void
btload_abort(struct btload *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	free(b->chunk);
	b->chunk = NULL;
	free(b->rootbuf);
	b->rootbuf = NULL;
	free(b->path);
	b->path = NULL;
	free(b->end);
	free(b->item);
	free(b->up);
	free(b->page);
	free(b->child);
	free(b->key);
	b->end = NULL;
	b->item = b->up = b->page = b->child = NULL;
	b->key = NULL;
	b->cap = 0;
}
