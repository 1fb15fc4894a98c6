/*
 * qtime.h - the times flowq reads and prints, as goquery does.
 *
 * qtime_parse() reads a -f/-l argument: a Unix time; RFC 3339; goquery's
 * custom formats ("2006-01-02 15:04[:05]", "02.01.2006 15:04", "06-01-02
 * 15:04", ... with an optional numeric zone, local time otherwise); the
 * Go layouts ANSIC, RubyDate, RFC822Z and RFC1123Z; or a time relative to
 * now ("-24h", "-7d", "-1d12h30m", "-15d:04h:05m").  qtime_range() applies
 * the defaults.  qtime_duration() prints a duration the way goquery's
 * footer does (Go's time.Duration with a day prefix).
 *
 * Pure functions apart from the local time zone; flowq and the tests call
 * them.
 */
#ifndef FLOWREC_QTIME_H
#define FLOWREC_QTIME_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse s into Unix seconds; relative times count back from now.
 * Returns 0, or -1 with *cause set ("invalid time 'x': ...").
 */
int	qtime_parse(const char *s, int64_t now, int64_t *out, char **cause);

/*
 * The query range [*first, *last]: first/last may be NULL for the
 * defaults (last: now; first: 30 days before last, or 24 hours when
 * has_time).  Returns -1 with *cause when an argument is invalid or
 * first > last.
 */
int	qtime_range(const char *first, const char *last, int has_time,
	    int64_t now, int64_t *first_out, int64_t *last_out, char **cause);

/* goquery's duration: "9ms", "1.232s", "1m3s", "30d0s" (ns >= 0). */
void	qtime_duration(int64_t ns, char *buf, size_t len);

/* Local time as "2006-01-02 15:04:05"; buf >= 20 bytes. */
void	qtime_format(int64_t t, char *buf, size_t len);

#endif
