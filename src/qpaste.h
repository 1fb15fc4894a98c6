/*
 * qpaste.h - flowq --sql: what a query reads from one day file, as one
 * plain statement that the sqlite3 shell runs on that file as it is.
 */
#ifndef FLOWREC_QPASTE_H
#define FLOWREC_QPASTE_H

#include <stdint.h>
#include <stdio.h>

#include "qexec.h"

/*
 * Print on f, for the day file at path (interface iface), the statement
 * giving the query's rows of that file, rows with lo < ts <= hi: the
 * condition's values written in, no application function, only the
 * file's tables.  For a query of one file its output equals flowq's rows
 * and order; over several files each statement gives that file's part.
 */
void	qpaste_print(FILE *f, const struct qquery *q, const char *path,
	    const char *iface, int64_t lo, int64_t hi);

#endif
