/*
 * names.c - interface names checked and printed (see names.h).
 *
 * One rule for every entry point, so flowrecd -i, --read --iface, the
 * config file and flowq -i cannot disagree about what a name is.  The
 * kernel's rule comes first because a name it refuses cannot be captured
 * from; the additions keep a name harmless as a path component and on a
 * terminal.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "util.h"

/* Files the store keeps in db_path beside the interface directories. */
static const char *const names_reserved[] = {
	"catalog.db", "catalog.db-wal", "catalog.db-shm", "catalog.db-journal",
	"export.db", "export.db-wal", "export.db-shm", "export.db-journal",
	"export.lock",
};

/*
 * The UTF-8 sequence at s (of at most len bytes): its length, with *cp
 * set, or 0 when it is not one (overlong, a surrogate, past U+10FFFF,
 * cut short).
 */
static size_t
names_utf8(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n, i;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/*
 * Code points shown as they are: not controls (C0, DEL, C1), and not the
 * invisible ones that change how the text around them reads (line and
 * paragraph separators, zero-width characters, direction overrides, BOM).
 */
static int
names_printable(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return 0;
	if ((cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff)
		return 0;
	return 1;
}

static int
names_refuse(char **why, const char *fmt, ...) UTIL_PRINTF(2, 3);

static int
names_refuse(char **why, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL) {
		free(*why);
		va_start(ap, fmt);
		*why = util_vprintf(fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int
names_check_iface(const char *name, char **why)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t len = strlen(name), i, n;
	uint32_t cp;

	if (len == 0 || len > NAMES_IFACE_MAX)
		return names_refuse(why, "an interface name has 1 to %d bytes",
		    NAMES_IFACE_MAX);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return names_refuse(why, "'%s' is not an interface name", name);
	/* The kernel's refusals, byte by byte as it looks. */
	for (i = 0; i < len; i++) {
		if (s[i] == '/' || s[i] == ':')
			return names_refuse(why, "an interface name cannot "
			    "contain '%c'", s[i]);
		if (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))
			return names_refuse(why, "an interface name cannot "
			    "contain white space");
		if (s[i] == 0xa0)
			return names_refuse(why, "an interface name cannot "
			    "contain the byte 0xa0 (Linux takes it for white "
			    "space)");
	}
	/* Ours: what prints as it is. */
	for (i = 0; i < len; i += n) {
		if ((n = names_utf8(s + i, len - i, &cp)) == 0)
			return names_refuse(why, "an interface name must be "
			    "ASCII or UTF-8");
		if (!names_printable(cp))
			return names_refuse(why, "an interface name cannot "
			    "contain control or invisible characters");
	}
	for (i = 0; i < sizeof names_reserved / sizeof names_reserved[0]; i++)
		if (strcmp(name, names_reserved[i]) == 0)
			return names_refuse(why, "'%s' is a file of the store, "
			    "not an interface name", name);
	return 0;
}

char *
names_escape(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len = strlen(str), i, j, n, o = 0;
	uint32_t cp;
	char *out;

	/* At most 4 bytes out for each byte in. */
	if ((out = malloc(len * 4 + 1)) == NULL)
		abort();
	for (i = 0; i < len; i += n) {
		n = names_utf8(s + i, len - i, &cp);
		if (n != 0 && names_printable(cp) && cp != '\\') {
			memcpy(out + o, s + i, n);
			o += n;
			continue;
		}
		if (n != 0 && cp == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
			continue;
		}
		/* Each byte of what is not shown as it is. */
		if (n == 0)
			n = 1;
		for (j = 0; j < n; j++) {
			static const char hex[] = "0123456789abcdef";

			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[s[i + j] >> 4];
			out[o++] = hex[s[i + j] & 0x0f];
		}
	}
	out[o] = '\0';
	return out;
}
