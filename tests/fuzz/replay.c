/*
 * replay.c - run a fuzz target over saved inputs, without libFuzzer.
 *
 * Linked with one tests/fuzz/fuzz_*.c as tests/fuzz/replay_<target> so
 * that `make check` (tests/integ/fuzz_corpus.sh) replays every corpus file
 * with any compiler; under --enable-asan/--enable-ubsan it finds what the
 * fuzzer found.  Arguments are files, or directories whose files (not
 * starting with '.') are read in name order, recursively.  Each input is
 * copied to a buffer of exactly its size so an over-read is caught.
 *
 * Prints one line per input (so a crash names it) and a count.  Exit 0
 * when every input ran, 1 when an argument could not be read or nothing
 * was found (an empty corpus is a mistake, not a pass), 2 on usage.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	replay_quiet;
static size_t	replay_count;

static int	replay_path(const char *);

static int
replay_file(const char *path)
{
	FILE	*f;
	uint8_t	*buf, *exact;
	size_t	 len = 0, size = 65536, n;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(size)) == NULL)
		abort();
	while ((n = fread(buf + len, 1, size - len, f)) > 0) {
		len += n;
		if (len == size) {
			size *= 2;
			if ((buf = realloc(buf, size)) == NULL)
				abort();
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	/* Exactly len bytes, so ASan sees a read one past the end. */
	if ((exact = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	memcpy(exact, buf, len);
	free(buf);
	if (!replay_quiet) {
		printf("replay: %s (%zu bytes)\n", path, len);
		fflush(stdout);
	}
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	replay_count++;
	return 0;
}

static int
replay_dir(const char *path)
{
	struct dirent	**names;
	char		 *sub;
	int		  n, i, r = 0;

	if ((n = scandir(path, &names, NULL, alphasort)) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			if (asprintf(&sub, "%s/%s", path,
			    names[i]->d_name) < 0)
				abort();
			if (replay_path(sub) != 0)
				r = -1;
			free(sub);
		}
		free(names[i]);
	}
	free(names);
	return r;
}

static int
replay_path(const char *path)
{
	struct stat	sb;

	if (stat(path, &sb) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(sb.st_mode))
		return replay_dir(path);
	return replay_file(path);
}

int
main(int argc, char **argv)
{
	int	i = 1, r = 0;

	if (argc > 1 && strcmp(argv[1], "-q") == 0) {
		replay_quiet = 1;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: %s [-q] file|directory ...\n",
		    argv[0]);
		return 2;
	}
	for (; i < argc; i++) {
		if (replay_path(argv[i]) != 0)
			r = 1;
	}
	printf("replay: %zu inputs\n", replay_count);
	if (replay_count == 0) {
		fprintf(stderr, "replay: no inputs found\n");
		r = 1;
	}
	return r;
}
