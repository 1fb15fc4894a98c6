/*
 * qtab.h - a re-implementation of Go's text/tabwriter, so that flowq's
 * tables match goquery's character for character (the same column blocks,
 * padding and alignment).
 *
 * qout's printers write cells ending with '\t' and lines ending with '\n'
 * with qtab_printf(); qtab_flush() lays the table out, prints it and frees
 * the writer.  Nothing is printed before the flush (Go flushes at the
 * same points: the whole table).
 */
#ifndef FLOWREC_QTAB_H
#define FLOWREC_QTAB_H

#include <stdio.h>

struct qtab;

/* Go's tabwriter.NewWriter(w, minwidth, _, padding, ' ', AlignRight?). */
struct qtab	*qtab_new(int minwidth, int padding, int align_right);
void		 qtab_printf(struct qtab *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* Print the table to f, then free the writer. */
void		 qtab_flush(struct qtab *, FILE *f);

/* Free the writer without printing (NULL: nothing). */
void		 qtab_free(struct qtab *);

#endif
