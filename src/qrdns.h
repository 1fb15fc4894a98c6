/*
 * qrdns.h - reverse DNS for flowq -r: the host names of the sip and dip
 * of a result's first rows, looked up in parallel within a time limit.
 */
#ifndef FLOWREC_QRDNS_H
#define FLOWREC_QRDNS_H

#include <stddef.h>

#include "qexec.h"

/*
 * Reverse-resolve the addresses of the first n rows of res (those of the
 * attributes q selects) within timeout_ms; returns 2 * n names (sip, dip;
 * NULL where unresolved or not selected).  Caller frees with
 * qrdns_free(names, n).
 */
char	**qrdns_resolve(const struct qquery *q, const struct qresult *res,
	    size_t n, int timeout_ms);
void	  qrdns_free(char **names, size_t n);

#endif
