/*
 * test_names.c - interface names: what Linux takes is taken, what it
 * refuses or what would leave the store is refused with a reason, and
 * names_escape() never lets a control byte through.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "tap.h"

static void
good(const char *name, const char *what)
{
	char *why = NULL;

	ok(names_check_iface(name, &why) == 0 && why == NULL, "good: %s", what);
	free(why);
}

static void
bad(const char *name, const char *want, const char *what)
{
	char *why = NULL;
	int rc = names_check_iface(name, &why);

	is_int(rc, -EINVAL, "bad: %s", what);
	is_str(why, want, "bad: %s: the reason", what);
	free(why);
}

static void
test_check(void)
{
	char *why = NULL;

	good("eth0", "eth0");
	good("eth0.100", "a VLAN interface with a dot");
	good("a", "one byte");
	good("abcdefghijklmno", "15 bytes (IFNAMSIZ - 1)");
	good("br-lan_2@x", "punctuation Linux takes");
	good("w\xc3\xa9" "0", "UTF-8 (e acute)");
	good("catalog", "'catalog' alone is no store file");
	good("catalog.dbx", "only the store's own files are refused");

	bad("", "an interface name has 1 to 15 bytes", "empty");
	bad("abcdefghijklmnop", "an interface name has 1 to 15 bytes",
	    "16 bytes");
	bad(".", "'.' is not an interface name", "'.'");
	bad("..", "'..' is not an interface name", "'..'");
	bad("../../evil", "an interface name cannot contain '/'",
	    "a path out of the store");
	bad("a/b", "an interface name cannot contain '/'", "a slash");
	bad("eth0:1", "an interface name cannot contain ':'",
	    "an alias colon (the kernel refuses it)");
	bad("eth 0", "an interface name cannot contain white space", "space");
	bad("eth\t0", "an interface name cannot contain white space", "tab");
	bad("eth0\n", "an interface name cannot contain white space",
	    "newline");
	bad("eth\v0", "an interface name cannot contain white space",
	    "vertical tab");
	bad("\xc3\xa0", "an interface name cannot contain the byte 0xa0 "
	    "(Linux takes it for white space)",
	    "a UTF-8 letter holding byte 0xa0 (a-grave)");
	bad("\x1b[31mred", "an interface name cannot contain control or "
	    "invisible characters", "a terminal escape");
	bad("a\x7f", "an interface name cannot contain control or invisible "
	    "characters", "DEL");
	bad("a\xc2\x9b", "an interface name cannot contain control or "
	    "invisible characters", "a C1 control in UTF-8 (CSI)");
	bad("a\xe2\x80\xae", "an interface name cannot contain control or "
	    "invisible characters", "a right-to-left override");
	bad("a\x9b", "an interface name must be ASCII or UTF-8",
	    "a lone C1 byte");
	bad("a\xc3", "an interface name must be ASCII or UTF-8",
	    "a cut UTF-8 sequence");
	bad("a\xc0\xaf", "an interface name must be ASCII or UTF-8",
	    "an overlong '/'");
	bad("catalog.db", "'catalog.db' is a file of the store, not an "
	    "interface name", "the catalog");
	bad("catalog.db-wal", "'catalog.db-wal' is a file of the store, not "
	    "an interface name", "the catalog's WAL");
	bad("export.db", "'export.db' is a file of the store, not an "
	    "interface name", "the export's cursor");
	bad("export.lock", "'export.lock' is a file of the store, not an "
	    "interface name", "the export's locks");
	ok(names_check_iface("..", NULL) == -EINVAL, "no reason wanted");
	(void)why;
}

static void
escaped(const char *in, const char *want, const char *what)
{
	char *e = names_escape(in);

	is_str(e, want, "escape: %s", what);
	free(e);
}

static void
test_escape(void)
{
	escaped("eth0", "eth0", "plain");
	escaped("", "", "empty");
	escaped("\x1b[2J", "\\x1b[2J", "a terminal escape");
	escaped("a\nb\tc\r", "a\\x0ab\\x09c\\x0d", "newline, tab, CR");
	escaped("back\\slash", "back\\\\slash", "a backslash, doubled");
	escaped("w\xc3\xa9", "w\xc3\xa9", "valid UTF-8 as it is");
	escaped("\xc2\x9b", "\\xc2\\x9b", "a C1 control in UTF-8");
	escaped("\xe2\x80\xae", "\\xe2\\x80\\xae", "a direction override");
	escaped("\xff\xfe", "\\xff\\xfe", "invalid UTF-8");
	escaped("\x7f", "\\x7f", "DEL");
}

int
main(void)
{
	test_check();
	test_escape();
	return tap_done();
}
