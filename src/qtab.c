/*
 * qtab.c - Go's text/tabwriter, which goquery prints its tables through
 * (see qtab.h).
 *
 * A column block is a run of consecutive lines that have a cell in that
 * column (the text after a line's last tab is not a cell); its width is
 * the widest cell plus the padding; blocks are formatted column by
 * column, recursively, so that a line with fewer cells ends the blocks of
 * the columns it lacks.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qtab.h"

struct tw_line {
	char		**cells;	/* tab-terminated cells, then the rest */
	size_t		 ncells;
};

struct qtab {
	int		 minwidth, padding, align_right;
	struct tw_line	*lines;
	size_t		 nlines, lines_cap;
	char		*pending;	/* text after the last newline */
	size_t		 plen, pcap;
};

struct qtab *
qtab_new(int minwidth, int padding, int align_right)
{
	struct qtab *t;

	if ((t = calloc(1, sizeof *t)) == NULL)
		abort();
	t->minwidth = minwidth;
	t->padding = padding;
	t->align_right = align_right;
	t->pcap = 256;
	if ((t->pending = malloc(t->pcap)) == NULL)
		abort();
	t->pending[0] = '\0';
	return t;
}

static void
tw_add_line(struct qtab *t, const char *s, size_t len)
{
	struct tw_line	*l;
	const char	*p, *e = s + len;

	size_t		 n = 1;
	char		*c;

	if (t->nlines == t->lines_cap) {
		t->lines_cap = t->lines_cap ? t->lines_cap * 2 : 64;
		t->lines = realloc(t->lines, t->lines_cap * sizeof *t->lines);
		if (t->lines == NULL)
			abort();
	}
	l = &t->lines[t->nlines++];
	memset(l, 0, sizeof *l);
	for (p = s; p < e; p++)
		n += *p == '\t';
	if ((l->cells = malloc(n * sizeof *l->cells)) == NULL)
		abort();
	for (;;) {
		for (p = s; p < e && *p != '\t'; p++)
			;
		if ((c = malloc((size_t)(p - s) + 1)) == NULL)
			abort();
		memcpy(c, s, (size_t)(p - s));
		c[p - s] = '\0';
		l->cells[l->ncells++] = c;
		if (p == e)
			break;
		s = p + 1;
	}
}

void
qtab_printf(struct qtab *t, const char *fmt, ...)
{
	va_list	 ap;
	char	*nl, *p;
	size_t	 old = t->plen;
	int	 n;

	/* append to the pending text, then cut the lines it completes */
	va_start(ap, fmt);
	n = vsnprintf(t->pending + t->plen, t->pcap - t->plen, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	if ((size_t)n >= t->pcap - t->plen) {
		while ((size_t)n >= t->pcap - t->plen)
			t->pcap *= 2;
		if ((t->pending = realloc(t->pending, t->pcap)) == NULL)
			abort();
		va_start(ap, fmt);
		vsnprintf(t->pending + t->plen, t->pcap - t->plen, fmt, ap);
		va_end(ap);
	}
	t->plen += (size_t)n;
	if (memchr(t->pending + old, '\n', (size_t)n) == NULL)
		return;
	for (p = t->pending; (nl = memchr(p, '\n', t->plen - (size_t)(p -
	    t->pending))) != NULL; p = nl + 1)
		tw_add_line(t, p, (size_t)(nl - p));
	t->plen -= (size_t)(p - t->pending);
	memmove(t->pending, p, t->plen + 1);
}

/* Width in characters (UTF-8 continuation bytes do not count). */
static size_t
tw_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void
tw_pad(FILE *f, size_t n)
{
	while (n-- > 0)
		fputc(' ', f);
}

static void
tw_write_lines(struct qtab *t, size_t line0, size_t line1,
    const size_t *widths, size_t nw, FILE *f)
{
	struct tw_line	*l;
	size_t		 i, j, w;

	for (i = line0; i < line1; i++) {
		l = &t->lines[i];
		for (j = 0; j < l->ncells; j++) {
			w = tw_width(l->cells[j]);
			if (j >= nw) {
				fputs(l->cells[j], f);
				continue;
			}
			if (t->align_right) {
				tw_pad(f, widths[j] - w);
				fputs(l->cells[j], f);
			} else {
				fputs(l->cells[j], f);
				tw_pad(f, widths[j] - w);
			}
		}
		fputc('\n', f);
	}
}

static void
tw_format(struct qtab *t, size_t line0, size_t line1, size_t *widths,
    size_t nw, FILE *f)
{
	size_t	 this, width, w, column = nw;

	for (this = line0; this < line1; this++) {
		if (column + 1 >= t->lines[this].ncells)
			continue;
		tw_write_lines(t, line0, this, widths, nw, f);
		line0 = this;
		width = (size_t)t->minwidth;
		for (; this < line1; this++) {
			if (column + 1 >= t->lines[this].ncells)
				break;
			w = tw_width(t->lines[this].cells[column]) +
			    (size_t)t->padding;
			if (w > width)
				width = w;
		}
		widths[nw] = width;
		tw_format(t, line0, this, widths, nw + 1, f);
		line0 = this;
		if (this >= line1)
			break;
	}
	tw_write_lines(t, line0, line1, widths, nw, f);
}

void
qtab_flush(struct qtab *t, FILE *f)
{
	size_t	*widths, i, max = 1;

	for (i = 0; i < t->nlines; i++) {
		if (t->lines[i].ncells > max)
			max = t->lines[i].ncells;
	}
	if ((widths = calloc(max + 1, sizeof *widths)) == NULL)
		abort();
	tw_format(t, 0, t->nlines, widths, 0, f);
	if (*t->pending != '\0')
		fputs(t->pending, f);
	free(widths);
	qtab_free(t);
}

void
qtab_free(struct qtab *t)
{
	size_t i, j;

	if (t == NULL)
		return;
	for (i = 0; i < t->nlines; i++) {
		for (j = 0; j < t->lines[i].ncells; j++)
			free(t->lines[i].cells[j]);
		free(t->lines[i].cells);
	}
	free(t->lines);
	free(t->pending);
	free(t);
}
