/*
 * qsql.h - `flowq sql`: one read-only SQL statement over the flow rows of
 * many day files.
 *
 * flowq's sql subcommand calls qsql_run() with the day files of the
 * selected interfaces and a printer made by qout_sql_new().  The files are
 * attached read-only to an in-memory connection under one relation
 * `flows` (iface, ts, sip, dip, dport, proto, vlan, bytes_rcvd,
 * bytes_sent, pkts_rcvd, pkts_sent) limited to the time range; the
 * statement is refused unless it is one read-only statement, and it may
 * not attach, detach or set pragmas, and may call only the SQL functions
 * reading needs (qsql.c lists them).  w stops it (Ctrl-C, --timeout).
 */
#ifndef FLOWREC_QSQL_H
#define FLOWREC_QSQL_H

#include <stdint.h>

#include "qexec.h"
#include "qout.h"
#include "qstore.h"

/*
 * Run sql over the rows with lo <= ts <= hi of files and hand its columns
 * and rows to out.  Returns 0, or -1 with *cause ("sql: ..."), or
 * QSQL_INTERRUPTED when interrupted.
 */
#define QSQL_INTERRUPTED	(-2)
int	qsql_run(const struct qfiles *files, int64_t lo, int64_t hi,
	    const char *sql, const struct qwatch *w, struct qout_sql *out,
	    char **cause);

#endif
