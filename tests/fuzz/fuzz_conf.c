/*
 * fuzz_conf.c - libFuzzer target for the YAML loader (conftab.c through
 * flowrecd.yaml's table in conf.c).
 *
 * Built with -fsanitize=fuzzer as tests/fuzz/fuzz_conf (configure
 * --enable-fuzzing CC=clang) and with tests/fuzz/replay.c as
 * tests/fuzz/replay_conf, which `make check` runs over tests/corpus/conf
 * (tests/integ/fuzz_conf.sh).
 *
 * Input: the file's text, loaded against flowrecd.yaml's table and against
 * a table of every other type (SIZE, durations, string lists, a nested
 * struct, a map whose entries inherit).  Besides not crashing or leaking,
 * the loader must keep these promises, or the target aborts:
 *  - refused: no result, and one message "fuzz.yaml:LINE: ..." with LINE
 *    within the text, holding no control character (names and values
 *    are escaped);
 *  - loaded: every number within its row's bounds, every string free of
 *    control characters and within its length, every interface name one
 *    names_check_iface() takes, interval a divisor of a day; the same text
 *    loads to the same values again (conftab_same()).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conftab.h"
#include "names.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_conf: broken promise: %s (%s)\n", what,
	    detail ? detail : "");
	abort();
}

/* A table of the types flowrecd.yaml does not use yet. */
struct f_lim {
	uint64_t	 body;
	uint32_t	 idle;
	char		**tokens;
	size_t		 ntokens;
};

struct f_entry {
	char		*name;
	unsigned	 line;
	uint64_t	 keep;
	struct f_lim	 lim;
	int		 on;
	char		*path;
};

struct f_root {
	uint64_t	 keep;
	struct f_lim	 lim;
	int		 mode;
	struct f_entry	*e;
	size_t		 ne;
};

static const struct conftab_choice f_modes[] = {
	{ "none", 0 }, { "gzip", 1 }, { "zstd", 2 }, { NULL, 0 }
};

static const struct conftab_key f_lim_keys[] = {
	{ .name = "body", .type = CONFTAB_SIZE,
	  CONFTAB_FIELD(struct f_lim, body), .min = 1, .max = UINT64_MAX,
	  .def = "1M", .help = "b" },
	{ .name = "idle", .type = CONFTAB_SECONDS,
	  CONFTAB_FIELD(struct f_lim, idle), .min = 1, .max = 7 * 86400,
	  .def = "60", .help = "i" },
	{ .name = "tokens", .type = CONFTAB_STRLIST,
	  CONFTAB_FIELD(struct f_lim, tokens),
	  .count_offset = offsetof(struct f_lim, ntokens), .max = 8,
	  .help = "t" },
	{ .name = NULL }
};

static const struct conftab_section f_lim = {
	.keys = f_lim_keys, .size = sizeof(struct f_lim),
};

static const struct conftab_key f_entry_keys[] = {
	{ .name = "keep", .type = CONFTAB_SIZE, .flags = CONFTAB_INHERIT,
	  CONFTAB_FIELD(struct f_entry, keep), .max = UINT64_MAX, .def = "0",
	  .help = "k" },
	{ .name = "lim", .type = CONFTAB_SECTION, .flags = CONFTAB_INHERIT,
	  CONFTAB_FIELD(struct f_entry, lim), .sub = &f_lim, .help = "l" },
	{ .name = "on", .type = CONFTAB_BOOL,
	  CONFTAB_FIELD(struct f_entry, on), .def = "yes", .help = "o" },
	{ .name = "path", .type = CONFTAB_PATH,
	  CONFTAB_FIELD(struct f_entry, path), .min = 1, .max = 64,
	  .help = "p" },
	{ .name = NULL }
};

static const struct conftab_section f_entry = {
	.keys = f_entry_keys, .size = sizeof(struct f_entry),
	.name_offset = offsetof(struct f_entry, name),
	.line_offset = offsetof(struct f_entry, line),
};

static const struct conftab_key f_root_keys[] = {
	{ .name = "keep", .type = CONFTAB_SIZE,
	  CONFTAB_FIELD(struct f_root, keep), .max = UINT64_MAX, .def = "0",
	  .help = "k" },
	{ .name = "lim", .type = CONFTAB_SECTION,
	  CONFTAB_FIELD(struct f_root, lim), .sub = &f_lim, .help = "l" },
	{ .name = "mode", .type = CONFTAB_ENUM,
	  CONFTAB_FIELD(struct f_root, mode), .choices = f_modes,
	  .def = "none", .help = "m" },
	{ .name = "e", .type = CONFTAB_MAP, CONFTAB_FIELD(struct f_root, e),
	  .count_offset = offsetof(struct f_root, ne), .max = 64,
	  .sub = &f_entry, .help = "e" },
	{ .name = NULL }
};

static const struct conftab_section f_root = {
	.keys = f_root_keys, .size = sizeof(struct f_root),
};

static int
fuzz_clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Every value of a loaded instance of sec within what its row allows. */
static void
fuzz_values(const struct conftab_section *sec, const uint8_t *base,
    int ifaces)
{
	const struct conftab_key *k;
	const uint8_t *e;
	const char *s;
	char *const *list;
	uint64_t v;
	size_t n, i;

	for (k = sec->keys; k->name != NULL; k++) {
		switch (k->type) {
		case CONFTAB_UINT:
		case CONFTAB_SIZE:
		case CONFTAB_SECONDS:
			v = k->size == 4 ? *(const uint32_t *)(base +
			    k->offset) : *(const uint64_t *)(base + k->offset);
			if (v < k->min || v > k->max)
				fuzz_fail("a number out of bounds", k->name);
			break;
		case CONFTAB_STRING:
		case CONFTAB_PATH:
			s = *(char *const *)(base + k->offset);
			if (s != NULL && (!fuzz_clean(s) || strlen(s) < k->min ||
			    (k->max && strlen(s) > k->max)))
				fuzz_fail("a string not as its row says",
				    k->name);
			break;
		case CONFTAB_STRLIST:
			list = *(char **const *)(base + k->offset);
			n = *(const size_t *)(base + k->count_offset);
			if (k->max && n > k->max)
				fuzz_fail("a list too long", k->name);
			for (i = 0; i < n; i++)
				if (!fuzz_clean(list[i]) || *list[i] == '\0')
					fuzz_fail("a list entry", k->name);
			break;
		case CONFTAB_SECTION:
			fuzz_values(k->sub, base + k->offset, 0);
			break;
		case CONFTAB_MAP:
			e = *(const uint8_t *const *)(base + k->offset);
			n = *(const size_t *)(base + k->count_offset);
			if (k->max && n > k->max)
				fuzz_fail("a map too large", k->name);
			for (i = 0; i < n; i++, e += k->sub->size) {
				s = *(char *const *)(e + k->sub->name_offset);
				if (s == NULL || !fuzz_clean(s) || *s == '\0' ||
				    (ifaces && names_check_iface(s, NULL) != 0))
					fuzz_fail("an entry name", s);
				fuzz_values(k->sub, e, 0);
			}
			break;
		default:
			break;
		}
	}
}

static void
fuzz_refused(const char *text, size_t len, const char *cause)
{
	unsigned long line;
	size_t lines = 1, i;
	char *end;

	if (cause == NULL || strncmp(cause, "fuzz.yaml:", 10) != 0)
		fuzz_fail("a refusal without its message", cause);
	line = strtoul(cause + 10, &end, 10);
	/* At least as many as libyaml counts: \n, \r, NEL, LS, PS. */
	for (i = 0; i < len; i++)
		lines += text[i] == '\n' || text[i] == '\r' ||
		    (unsigned char)text[i] == 0x85 ||
		    (unsigned char)text[i] == 0xa8 ||
		    (unsigned char)text[i] == 0xa9;
	if (end == cause + 10 || *end != ':' || line == 0 || line > lines + 1)
		fuzz_fail("a message without a line in the text", cause);
	if (!fuzz_clean(cause))
		fuzz_fail("a control character in a message", cause);
}

static void
fuzz_table(const struct conftab_section *root, const char *text, size_t len)
{
	void *a = NULL, *b = NULL;
	char *cause = NULL, *cause2 = NULL;
	int rc;

	rc = conftab_load(root, "fuzz.yaml", text, len, &a, &cause);
	if (rc != 0) {
		if (a != NULL)
			fuzz_fail("a result with a refusal", NULL);
		fuzz_refused(text, len, cause);
		free(cause);
		return;
	}
	if (a == NULL || cause != NULL)
		fuzz_fail("loaded without a result, or with a message", cause);
	fuzz_values(root, a, root == &conf_table);
	if (root == &conf_table && 86400 % ((struct conf *)a)->interval != 0)
		fuzz_fail("an interval that does not divide a day", NULL);
	if (conftab_load(root, "fuzz.yaml", text, len, &b, &cause2) != 0 ||
	    !conftab_same(root, a, b))
		fuzz_fail("the same text loads differently", cause2);
	conftab_free(root, a);
	conftab_free(root, b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A config file is small; larger inputs only slow the search. */
	if (size > 65536)
		return 0;
	fuzz_table(&conf_table, (const char *)data, size);
	fuzz_table(&f_root, (const char *)data, size);
	return 0;
}
