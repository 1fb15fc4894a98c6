/*
 * qout.h - print flowq results: goquery's text table, JSON, CSV.
 *
 * The text table is laid out by a re-implementation of Go's
 * text/tabwriter (the same column blocks, padding and alignment), which is
 * what goquery prints through, so that the output matches goquery's
 * character for character.  JSON is one object (see flowq(1) for its
 * schema); CSV is a header row and raw integers.
 */
#ifndef FLOWREC_QOUT_H
#define FLOWREC_QOUT_H

#include <stdint.h>
#include <stdio.h>

#include "qexec.h"

enum qout_format { QOUT_TXT, QOUT_JSON, QOUT_CSV };

/* What the footer and the JSON summary need besides the rows. */
struct qout_info {
	const struct qquery *q;
	const struct qfiles *files;
	const char	*condition;	/* canonical form, or NULL */
	char		**names;	/* reverse DNS, per row: sip, dip */
	uint64_t	 rdns_ns;	/* time reverse DNS took; 0: not run */
	int		 rdns_timeout_ms;
};

void	qout_print(FILE *, enum qout_format, const struct qout_info *,
	    const struct qresult *);

/* goquery's units: "481.00  ", "1.08 M"; "59.27 kB", "0.00  B". */
void	qout_count(uint64_t v, char *buf, size_t len);
void	qout_size(uint64_t v, char *buf, size_t len);

/* A Go text/tabwriter: cells end with '\t', lines with '\n'. */
struct qout_tw;
struct qout_tw *qout_tw_new(int minwidth, int padding, int align_right);
void	qout_tw_printf(struct qout_tw *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	qout_tw_flush(struct qout_tw *, FILE *);	/* and free */

/* Address text of a key side ("" when not selected). */
void	qout_addr(const uint8_t *ip, int len, char *buf, size_t size);

/*
 * Reverse-resolve the addresses of the first n rows within timeout_ms;
 * returns 2 * n names (sip, dip; NULL where unresolved).  Caller frees
 * with qout_rdns_free().
 */
char	**qout_rdns(const struct qquery *, const struct qresult *, size_t n,
	    int timeout_ms);
void	 qout_rdns_free(char **, size_t n);

#endif
