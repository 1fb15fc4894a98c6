/*
 * qtime.c - time arguments and durations for flowq (see qtime.h).
 *
 * The custom formats are read by a small scanner rather than a table of
 * strptime() patterns so that one- and two-digit fields, both separators
 * and the optional zone combine freely; which field is the year follows
 * goquery's order of layouts: "06-01-02" is year-month-day, a four-digit
 * field is the year wherever it is, dotted dates are day.month.year.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qtime.h"
#include "util.h"

/* Read up to max digits; returns the count read (0 if none). */
static int
scan_num(const char **p, int max, int *out)
{
	int n = 0, v = 0;

	while (n < max && isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*out = v;
	return n;
}

static void
skip_blanks(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* A zone: Z, UTC, GMT, +hh, +hhmm, +hh:mm.  Seconds east in *off. */
static int
scan_zone(const char **p, long *off)
{
	const char	*s = *p;
	int		 h, m = 0, sign;

	if (*s == 'Z' || *s == 'z') {
		*off = 0;
		*p = s + 1;
		return 0;
	}
	if (strncasecmp(s, "UTC", 3) == 0 || strncasecmp(s, "GMT", 3) == 0) {
		*off = 0;
		*p = s + 3;
		return 0;
	}
	if (*s != '+' && *s != '-')
		return -1;
	sign = *s++ == '-' ? -1 : 1;
	if (scan_num(&s, 2, &h) != 2)
		return -1;
	if (*s == ':')
		s++;
	if (isdigit((unsigned char)*s) && scan_num(&s, 2, &m) != 2)
		return -1;
	if (h > 23 || m > 59)
		return -1;
	*off = sign * (h * 3600L + m * 60L);
	*p = s;
	return 0;
}

/*
 * Turn broken-down fields into Unix seconds: in the zone *off when
 * has_zone, in local time otherwise.  Rejects fields out of range
 * (31 February).
 */
static int
make_time(int year, int mon, int day, int h, int mi, int sec, int has_zone,
    long off, int64_t *out)
{
	struct tm	 tm, chk;
	time_t		 t;

	if (mon < 1 || mon > 12 || day < 1 || day > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (has_zone) {
		t = timegm(&tm);
		gmtime_r(&t, &chk);
		if (chk.tm_mday != day || chk.tm_mon != mon - 1)
			return -1;
		*out = (int64_t)t - off;
		return 0;
	}
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return -1;
	localtime_r(&t, &chk);
	if (chk.tm_mday != day || chk.tm_mon != mon - 1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

static int
expand_year(int y, int digits)
{
	/* Go: two-digit years 69..99 are 19xx, 00..68 are 20xx */
	if (digits == 2)
		return y >= 69 ? 1900 + y : 2000 + y;
	return y;
}

/* "DATE H:M[:S] [ZONE]" in goquery's custom layouts, or RFC 3339. */
static int
parse_custom(const char *s, int64_t *out)
{
	const char	*p = s;
	int		 a, b, c, na, nb, nc, y, mo, d, h, mi, sec = 0;
	int		 has_zone = 0;
	long		 off = 0;
	char		 sep;

	if ((na = scan_num(&p, 4, &a)) == 0)
		return -1;
	sep = *p;
	if (sep != '-' && sep != '.')
		return -1;
	p++;
	if ((nb = scan_num(&p, 2, &b)) == 0 || *p++ != sep)
		return -1;
	if ((nc = scan_num(&p, 4, &c)) == 0)
		return -1;
	if (sep == '.') {
		/* 02.01.2006, 2.1.06 */
		if (na > 2 || (nc != 2 && nc != 4))
			return -1;
		d = a; mo = b; y = expand_year(c, nc);
	} else if (na == 4) {
		/* 2006-01-02 */
		if (nb != 2 || nc != 2)
			return -1;
		y = a; mo = b; d = c;
	} else if (na == 2 && nc == 4) {
		/* 02-01-2006 */
		if (nb != 2)
			return -1;
		d = a; mo = b; y = c;
	} else if (na == 2 && nb == 2 && nc == 2) {
		/* 06-01-02 */
		y = expand_year(a, 2); mo = b; d = c;
	} else
		return -1;

	if (sep == '-' && na == 4 && (*p == 'T' || *p == 't'))
		p++;		/* RFC 3339 */
	else if (*p == ' ' || *p == '\t')
		skip_blanks(&p);
	else
		return -1;
	if (scan_num(&p, 2, &h) == 0 || *p++ != ':' ||
	    scan_num(&p, 2, &mi) != 2)
		return -1;
	if (*p == ':') {
		p++;
		if (scan_num(&p, 2, &sec) != 2)
			return -1;
		if (*p == '.' || *p == ',') {
			/* fractions of a second are dropped */
			p++;
			if (!isdigit((unsigned char)*p))
				return -1;
			while (isdigit((unsigned char)*p))
				p++;
		}
	}
	skip_blanks(&p);
	if (*p != '\0') {
		if (scan_zone(&p, &off) != 0)
			return -1;
		has_zone = 1;
		skip_blanks(&p);
		if (*p != '\0')
			return -1;
	}
	return make_time(y, mo, d, h, mi, sec, has_zone, off, out);
}

/* Go's ANSIC, RubyDate, RFC822Z and RFC1123Z layouts. */
static int
parse_named(const char *s, int64_t *out)
{
	static const struct {
		const char	*fmt;
		int		 zone;
	} layouts[] = {
		{ "%a %b %d %H:%M:%S %Y", 0 },		/* ANSIC */
		{ "%a %b %d %H:%M:%S %z %Y", 1 },	/* RubyDate */
		{ "%d %b %y %H:%M %z", 1 },		/* RFC822Z */
		{ "%a, %d %b %Y %H:%M:%S %z", 1 },	/* RFC1123Z */
	};
	struct tm	 tm;
	const char	*end;
	size_t		 i;

	for (i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
		memset(&tm, 0, sizeof tm);
		end = strptime(s, layouts[i].fmt, &tm);
		if (end == NULL)
			continue;
		while (*end == ' ')
			end++;
		if (*end != '\0')
			continue;
		return make_time(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		    tm.tm_hour, tm.tm_min, tm.tm_sec, layouts[i].zone,
		    tm.tm_gmtoff, out);
	}
	return -1;
}

/* -15d:04h:05m, -1d12h30m, -24h, -90s */
static int
parse_relative(const char *s, int64_t now, int64_t *out)
{
	const char	*p = s + 1;
	int64_t		 back = 0, v;
	int		 any = 0;

	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = 0;
		while (isdigit((unsigned char)*p)) {
			v = v * 10 + (*p++ - '0');
			if (v > 100000000)
				return -1;
		}
		switch (*p++) {
		case 'd': back += v * 86400; break;
		case 'h': back += v * 3600; break;
		case 'm': back += v * 60; break;
		case 's': back += v; break;
		default: return -1;
		}
		any = 1;
		if (*p == ':' && p[1] != '\0')
			p++;
	}
	if (!any)
		return -1;
	*out = now - back;
	return 0;
}

int
qtime_parse(const char *arg, int64_t now, int64_t *out, char **cause)
{
	char		*s, *e;
	const char	*p;
	size_t		 len;
	int		 rc = -1;

	while (isspace((unsigned char)*arg))
		arg++;
	s = util_strdup(arg);
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';

	for (p = s; isdigit((unsigned char)*p); p++)
		;
	if (len > 0 && *p == '\0' && len <= 12) {
		*out = strtoll(s, &e, 10);
		rc = 0;
	} else if (s[0] == '-')
		rc = parse_relative(s, now, out);
	else if ((rc = parse_custom(s, out)) != 0)
		rc = parse_named(s, out);

	if (rc != 0)
		util_cause(cause, -1, "invalid time '%s': use a Unix time, RFC "
		    "3339, '2006-01-02 15:04[:05] [-0700]', '02.01.2006 "
		    "15:04' or a relative time such as -24h or -1d12h30m", arg);
	free(s);
	return rc;
}

int
qtime_range(const char *first, const char *last, int has_time, int64_t now,
    int64_t *first_out, int64_t *last_out, char **cause)
{
	char f[32], l[32];

	*last_out = now;
	if (last != NULL && qtime_parse(last, now, last_out, cause) != 0)
		return -1;
	*first_out = *last_out - (has_time ? 86400 : 30 * 86400);
	if (first != NULL && qtime_parse(first, now, first_out, cause) != 0)
		return -1;
	if (*first_out > *last_out) {
		qtime_format(*first_out, f, sizeof f);
		qtime_format(*last_out, l, sizeof l);
		return util_cause(cause, -1, "the first time (%s) is after the "
		    "last time (%s)", f, l);
	}
	return 0;
}

/* Go's time.Duration.String() for d >= 0 nanoseconds. */
static void
go_duration(int64_t d, char *buf, size_t len)
{
	int64_t	 h, m, s, frac;
	char	 fb[16];
	int	 i;

	if (d == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	if (d < 1000000000LL) {
		/* below a second: ns, µs or ms with a trimmed fraction */
		const char	*unit;
		int64_t		 div;

		if (d < 1000) {
			snprintf(buf, len, "%lldns", (long long)d);
			return;
		}
		if (d < 1000000) {
			unit = "\xc2\xb5s";
			div = 1000;
		} else {
			unit = "ms";
			div = 1000000;
		}
		frac = d % div;
		if (frac == 0)
			snprintf(buf, len, "%lld%s", (long long)(d / div), unit);
		else {
			snprintf(fb, sizeof fb, "%0*lld", div == 1000 ? 3 : 6,
			    (long long)frac);
			for (i = (int)strlen(fb); i > 0 && fb[i - 1] == '0'; i--)
				fb[i - 1] = '\0';
			snprintf(buf, len, "%lld.%s%s", (long long)(d / div), fb,
			    unit);
		}
		return;
	}
	h = d / 3600000000000LL;
	d -= h * 3600000000000LL;
	m = d / 60000000000LL;
	d -= m * 60000000000LL;
	s = d / 1000000000LL;
	frac = d % 1000000000LL;
	if (frac != 0) {
		snprintf(fb, sizeof fb, ".%09lld", (long long)frac);
		for (i = (int)strlen(fb); fb[i - 1] == '0'; i--)
			fb[i - 1] = '\0';
	} else
		fb[0] = '\0';
	if (h > 0)
		snprintf(buf, len, "%lldh%lldm%lld%ss", (long long)h,
		    (long long)m, (long long)s, fb);
	else if (m > 0)
		snprintf(buf, len, "%lldm%lld%ss", (long long)m, (long long)s,
		    fb);
	else
		snprintf(buf, len, "%lld%ss", (long long)s, fb);
}

void
qtime_duration(int64_t ns, char *buf, size_t len)
{
	const int64_t	 day = 86400000000000LL, ms = 1000000LL;
	int64_t		 days = ns / day;
	char		 rest[64];

	ns -= days * day;
	ns = (ns + ms / 2) / ms * ms;		/* Round(time.Millisecond) */
	go_duration(ns, rest, sizeof rest);
	if (days != 0)
		snprintf(buf, len, "%lldd%s", (long long)days, rest);
	else
		snprintf(buf, len, "%s", rest);
}

void
qtime_format(int64_t t, char *buf, size_t len)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	localtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}
