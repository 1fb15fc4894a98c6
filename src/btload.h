/*
 * btload.h - lay out whole SQLite b-trees of a new file at once.
 *
 * The store (src/store_newday.c) uses it for the first bin of a day: SQLite
 * creates the file and its empty tables, the file is closed, btload
 * appends the pages of each large tree from its sorted entries and puts
 * the tree's top page into the root page SQLite allocated, and the file is
 * then opened with SQLite again.  See btload.c for what it relies on.
 */
#ifndef FLOWREC_BTLOAD_H
#define FLOWREC_BTLOAD_H

#include <stddef.h>
#include <stdint.h>

/* One column value of a record. */
enum btload_type { BTLOAD_NULL, BTLOAD_INT, BTLOAD_BLOB, BTLOAD_TEXT };

struct btload_val {
	enum btload_type type;
	int64_t		 i;		/* BTLOAD_INT */
	const void	*p;		/* BTLOAD_BLOB, BTLOAD_TEXT: n bytes */
	size_t		 n;
};

/* The encoded records of one tree, in the tree's order. */
struct btload_recs {
	uint8_t		*buf;
	size_t		 len, cap;
	size_t		*off;		/* n + 1 offsets into buf */
	int64_t		*rowid;		/* a table's rowids, ascending */
	size_t		 n, alloc;
};

/* Append one record (rowid ignored for an index); 0 or -ENOMEM. */
int	 btload_recs_add(struct btload_recs *, int64_t rowid,
	    const struct btload_val *, int nval);
void	 btload_recs_reset(struct btload_recs *);
void	 btload_recs_free(struct btload_recs *);

/* A file being loaded: closed to SQLite meanwhile. */
struct btload {
	int		 fd;
	char		*path;
	uint32_t	 page_size;
	uint32_t	 usable;	/* page_size minus reserved bytes */
	uint32_t	 npages;	/* pages in the file, ours included */
	uint8_t		*chunk;		/* new pages not written yet */
	uint32_t	 chunk_first, chunk_n;
	uint8_t		*rootbuf;	/* a tree's top page, for its root */

	/* One level of the tree being built: a slot per page (group). */
	size_t		 cap;
	size_t		*end;		/* a group's end in the level's items */
	uint32_t	*item;		/* the level's entries (NULL: 0..n-1) */
	uint32_t	*up;		/* entries that go up a level */
	uint32_t	*page;		/* the level's pages */
	uint32_t	*child;		/* the level below's pages */
	int64_t		*key;		/* a table page's largest rowid */
};

/*
 * Open a file SQLite created and closed.  Fails (-ENOTSUP, *cause saying
 * why) unless it is a plain file this module can extend: no -wal or
 * -journal beside it, schema format 4, UTF-8, no reserved bytes, no
 * auto-vacuum, no free pages, its header's size equal to its length.
 */
int	 btload_open(struct btload *, const char *path, char **cause);

/*
 * Write one tree whose root page (empty, as CREATE made it) is root:
 * table 1 for a rowid table (recs by ascending rowid), 0 for an index or
 * a WITHOUT ROWID table (recs in the index's order, all distinct).
 * Nothing checks the order: the caller sorts.
 */
int	 btload_tree(struct btload *, uint32_t root, int table,
	    const struct btload_recs *, char **cause);

/* Write the header (new size and change counter), fsync and close. */
int	 btload_close(struct btload *, char **cause);

/*
 * SQLite's lock-byte offset (1 GiB): the page holding it is skipped.  A
 * test that moves it with SQLITE_TESTCTRL_PENDING_BYTE sets this too.
 */
extern uint64_t btload_pending_byte;

/*
 * Fault injection for the tests: when set, called before each pwrite()
 * and fsync() of the file with "write" or "fsync"; a non-zero return is
 * the errno that call then fails with.
 */
extern int (*btload_fault)(const char *op);

/* Close without finishing (after a failure): the file is garbage. */
void	 btload_abort(struct btload *);

#endif
