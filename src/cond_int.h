/*
 * cond_int.h - what the condition modules (cond.c, cond_sql.c) share and
 * nobody else uses: a growing string.
 */
#ifndef FLOWREC_COND_INT_H
#define FLOWREC_COND_INT_H
#include <stddef.h>

struct cond_buf {
	char	*s;
	size_t	 len, cap;
};

/* Append s (aborts when out of memory, util.h's rule). */
void	cond__buf_add(struct cond_buf *, const char *s);

#endif
