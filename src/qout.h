/*
 * qout.h - every printer of flowq: a query's result, `flowq list` and
 * `flowq sql`, each as goquery's text table (through qtab, Go's
 * tabwriter), JSON or CSV.
 *
 * Nothing here runs a query: flowq hands over what qexec, qlist and qsql
 * computed.  One printer per kind of result and format; no other module
 * prints results.
 */
#ifndef FLOWREC_QOUT_H
#define FLOWREC_QOUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "qexec.h"
#include "qlist.h"

enum qout_format { QOUT_TXT, QOUT_JSON, QOUT_CSV };

/* "txt", "json", "csv" into *out; -1 for anything else. */
int	qout_format_parse(const char *name, enum qout_format *out);

/* ------------------------------------------------------------ queries */

/* What the footer and the JSON summary need besides the rows. */
struct qout_info {
	const struct qquery *q;
	const struct qfiles *files;
	const char	*condition;	/* canonical form, or NULL */
	char		**names;	/* reverse DNS, per row: sip, dip */
	uint64_t	 rdns_ns;	/* time reverse DNS took; 0: not run */
	int		 rdns_timeout_ms;
	const char	*attr_order;	/* "dport,sip": the query's order */
	size_t		 nskipped;	/* unreadable day files */
	int		 stats;		/* --query.stats: the DB footer */
	uint64_t	 bytes_loaded;
	/* A fleet query (qout_print_doc() sets them): */
	const char *const *hosts;	/* per row, its host; NULL: no column */
	const char	*hosts_summary;	/* "34 hosts: 25 ok / 0 empty / 9
					   error" for the footer; or NULL */
	const char	*status_line;	/* without rows: instead of goquery's
					   "Status ..." of this host */
};

/* A result as text or CSV (JSON is qapi_result()'s document). */
void	qout_print(FILE *, enum qout_format, const struct qout_info *,
	    const struct qresult *);

/*
 * A fleet query's merged results.Result document (qmerge) as txt or csv,
 * through the printers above: the host column after the time, the hosts
 * that did not answer above a txt table (on stderr for csv), the
 * "Interface / Hosts" footer.  q gives the columns, the direction and the
 * order; condition is the canonical one (or NULL).  JSON is the document
 * itself: the caller prints it.
 */
void	qout_print_doc(FILE *, enum qout_format, const struct qquery *q,
	    const char *condition, const json_t *doc);

/* ------------------------------------------------------------ list */

/* `flowq list`: the interfaces with data (verbose: every counter). */
void	qout_list_print(FILE *, enum qout_format, int verbose,
	    const struct qlist *);

/*
 * The document `flowq list -e json` prints ({"interfaces": [...]} and
 * the skipped files), also POST /_query's answer to "list": true.
 * Caller owns the result; free with json_decref().
 */
json_t	*qout_list_json(const struct qlist *);

/* ------------------------------------------------------------ sql */

/* A value of a `flowq sql` row. */
enum qout_cell_type { QOUT_CELL_NULL, QOUT_CELL_INT, QOUT_CELL_REAL,
	QOUT_CELL_TEXT, QOUT_CELL_BLOB };

struct qout_cell {
	enum qout_cell_type type;
	int64_t		 i;
	double		 r;
	const void	*p;		/* TEXT, BLOB; borrowed for the call */
	size_t		 len;
};

/*
 * The rows of `flowq sql` as they come: qout_sql_columns() once, then
 * qout_sql_row() per row, then qout_sql_end() after the last (it prints
 * what is left).  Free with qout_sql_free(), ended or not.
 */
struct qout_sql;
struct qout_sql	*qout_sql_new(FILE *, enum qout_format);
void	qout_sql_columns(struct qout_sql *, int n, const char *const *names);
void	qout_sql_row(struct qout_sql *, const struct qout_cell *, int n);
void	qout_sql_end(struct qout_sql *, uint64_t nrows);
void	qout_sql_free(struct qout_sql *);

#endif
