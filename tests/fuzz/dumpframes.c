/*
 * dumpframes.c - turn the records of capture files into fuzz_parse inputs
 * (selector byte, flags byte, frame), as seeds for the parse fuzzer.
 *
 * Used by tests/fuzz/run.sh on ../shared/pcaps/dev: the output goes to a
 * scratch directory only, never into tests/corpus (those frames are not
 * ours to commit).  At most 16 distinct frames per file; file names are
 * <capture>-<n>.
 *
 * usage: dumpframes OUTDIR CAPTURE...
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capfile.h"

#define DUMP_MAX	16

/* The same table as fuzz_parse.c; the last entry is "any other". */
static const int dump_linktypes[] = { 1, 113, 276, 0, 108, 101, 12, 14,
	228, 229 };
#define DUMP_OTHER	10

static int
dump_selector(const struct capfile_record *rec)
{
	int	i, sel = DUMP_OTHER;

	for (i = 0; i < DUMP_OTHER; i++) {
		if (dump_linktypes[i] == rec->linktype)
			sel = i;
	}
	if (rec->caplen > rec->wirelen)
		sel |= 12 << 4;
	else if (rec->caplen < rec->wirelen)
		sel |= 13 << 4;
	return sel;
}

int
main(int argc, char **argv)
{
	struct capfile		*cf;
	struct capfile_record	 rec;
	uint32_t		 seen[DUMP_MAX], h;
	char			*cause, path[4096];
	const char		*base;
	FILE			*f;
	int			 i, n, j, dup;
	uint32_t		 k;

	if (argc < 3) {
		fprintf(stderr, "usage: dumpframes OUTDIR CAPTURE...\n");
		return 2;
	}
	for (i = 2; i < argc; i++) {
		cause = NULL;
		if ((cf = capfile_open(argv[i], &cause)) == NULL) {
			free(cause);
			continue;
		}
		base = strrchr(argv[i], '/');
		base = base != NULL ? base + 1 : argv[i];
		n = 0;
		while (n < DUMP_MAX && capfile_next(cf, &rec) == CAPFILE_RECORD) {
			if (rec.bad)
				continue;
			h = 2166136261u;
			for (k = 0; k < rec.caplen; k++)
				h = (h ^ rec.data[k]) * 16777619u;
			for (dup = j = 0; j < n; j++)
				dup |= seen[j] == h;
			if (dup)
				continue;
			seen[n++] = h;
			snprintf(path, sizeof path, "%s/%s-%d", argv[1], base, n);
			if ((f = fopen(path, "wb")) == NULL) {
				perror(path);
				return 1;
			}
			fputc(dump_selector(&rec), f);
			fputc(rec.outbound ? 1 : 0, f);
			fwrite(rec.data, 1, rec.caplen, f);
			fclose(f);
		}
		capfile_close(cf);
	}
	return 0;
}
