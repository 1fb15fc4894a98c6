/*
 * names.h - interface names: checked once at every entry point, printed
 * escaped.
 *
 * An interface name becomes a directory and a file name in the store
 * (<db_path>/<iface>/<iface>-YYYY-MM-DD.db), so a name that Linux would
 * refuse, or that walks out of the store, must never get that far.  Every
 * place a name comes in (flowrecd -i and --iface, the interfaces of
 * flowrecd.yaml, flowq -i) calls names_check_iface(); anything printing a
 * name or a path the user gave that may not have passed it (an error
 * message about a refused name, a directory listing) prints
 * names_escape() of it.
 */
#ifndef FLOWREC_NAMES_H
#define FLOWREC_NAMES_H

#include <stddef.h>

/* Linux's IFNAMSIZ less the terminating NUL. */
#define NAMES_IFACE_MAX	15

/*
 * Is name usable as an interface name?  The kernel's rules
 * (net/core/dev.c dev_valid_name()): 1 to 15 bytes, not "." or "..", no
 * '/', ':' or white space (the kernel's isspace(), which includes byte
 * 0xa0).  Ours on top: no control characters, bytes above 0x7f only as
 * UTF-8 of a printable character (so a name prints safely), and not a
 * file the store keeps beside the interface directories (catalog.db and
 * its -wal, -shm, -journal).
 * Returns 0, or -EINVAL with *why set to a sentence without the name
 * ("an interface name cannot contain '/'"; caller frees) when why is not
 * NULL.
 */
int	 names_check_iface(const char *name, char **why);

/*
 * s with every byte a terminal or a log could take for a control
 * (bytes below 0x20, 0x7f, C1 controls, invalid UTF-8) written as \xHH,
 * a backslash as \\, and the rest (printable ASCII, valid UTF-8) as is.
 * Caller owns the result; free with free().  Never NULL (util.h rule).
 */
char	*names_escape(const char *s);

#endif
