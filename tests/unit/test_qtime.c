/*
 * test_qtime.c - flowq's time arguments (every format goquery accepts,
 * zones, local time, relative times, errors), the default range and
 * goquery's duration format.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qtime.h"
#include "tap.h"

#define NOW	1357800683LL	/* 2013-01-10 06:51:23 UTC, a Thursday */

static int64_t
parse(const char *s)
{
	int64_t	 t = -1;
	char	*cause = NULL;

	if (qtime_parse(s, NOW, &t, &cause) != 0) {
		free(cause);
		return -999;
	}
	return t;
}

#define is_time(s, want) is_int(parse(s), want, "time '%s'", s)

static void
set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static void
test_formats(void)
{
	set_tz("UTC0");
	is_time("1357800683", NOW);
	is_time(" 0 ", 0);
	/* RFC 3339 */
	is_time("2013-01-10T06:51:23Z", NOW);
	is_time("2013-01-10T07:51:23+01:00", NOW);
	is_time("2013-01-10T01:51:23-05:00", NOW);
	is_time("2013-01-10T06:51:23.999Z", NOW);
	/* goquery's custom layouts, with and without seconds and zone */
	is_time("2013-01-10 06:51:23", NOW);
	is_time("2013-01-10 06:51", NOW - 23);
	is_time("2013-01-10 07:51:23 +0100", NOW);
	is_time("2013-01-10 07:51 +01:00", NOW - 23);
	is_time("2013-01-10 06:51:23 UTC", NOW);
	is_time("2013-01-10 06:51:23Z", NOW);
	is_time("13-01-10 06:51:23", NOW);
	is_time("13-01-10 07:51 +0100", NOW - 23);
	is_time("10-01-2013 06:51:23", NOW);
	is_time("10-01-2013 06:51 -0000", NOW - 23);
	is_time("10.01.2013 06:51", NOW - 23);
	is_time("10.01.2013 06:51:23", NOW);
	is_time("10.01.13 06:51", NOW - 23);
	is_time("10.1.13 06:51:23 +0000", NOW);
	is_time("1.2.2013 00:00", 1359676800LL);
	is_time("01.2.13 00:00", 1359676800LL);
	is_time("1.02.2013 00:00 -0100", 1359676800LL + 3600);
	is_time("29.02.2012 12:00", 1330516800LL);
	/* Go's named layouts */
	is_time("Thu Jan 10 06:51:23 2013", NOW);
	is_time("Thu Jan 10 07:51:23 +0100 2013", NOW);
	is_time("10 Jan 13 07:51 +0100", NOW - 23);
	is_time("Thu, 10 Jan 2013 07:51:23 +0100", NOW);
	/* two-digit years as Go reads them */
	is_time("01.01.69 00:00", -31536000LL);
	is_time("01.01.68 00:00", 3092601600LL);

	/* local time: Zurich, winter and summer */
	set_tz("CET-1CEST,M3.5.0,M10.5.0/3");
	is_time("2013-01-10 07:51:23", NOW);
	is_time("10.01.2013 07:51:23", NOW);
	is_time("2013-07-01 02:00", 1372636800LL);
	is_time("2013-07-01 02:00 +0000", 1372644000LL);
	is_time("2013-01-10T06:51:23Z", NOW);
	set_tz("UTC0");
}

static void
test_relative(void)
{
	is_time("-24h", NOW - 86400);
	is_time("-7d", NOW - 7 * 86400);
	is_time("-1d12h30m", NOW - 86400 - 12 * 3600 - 30 * 60);
	is_time("-15d:04h:05m", NOW - 15 * 86400 - 4 * 3600 - 5 * 60);
	is_time("-15d:5m", NOW - 15 * 86400 - 5 * 60);
	is_time("-5m", NOW - 300);
	is_time("-4h:05m", NOW - 4 * 3600 - 300);
	is_time("-90s", NOW - 90);
	is_time("-0m", NOW);
}

static void
test_errors(void)
{
	static const char *const bad[] = {
		"", "yesterday", "-", "-5", "-5x", "-d", "-5m:", "--5m",
		"2013-01-10", "2013-13-01 00:00", "31.02.2013 10:00",
		"2013-01-10 25:00", "2013-01-10 10:60", "2013-01-10 10",
		"2013-01-10 10:00 +2500", "2013-01-10 10:00 nowhere",
		"2013/01/10 10:00", "123.45.2013 10:00", "10.01.201 10:00",
		"2013-1-10 10:00", "Thu Jan 10 06:51:23", "1e9",
		"9999999999999999999",
	};
	size_t	 i;
	int64_t	 t;
	char	*cause;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		ok(qtime_parse(bad[i], NOW, &t, &cause) == -1 &&
		    cause != NULL && strstr(cause, "invalid time") != NULL,
		    "bad time '%s' (%s)", bad[i], cause ? cause : "");
		free(cause);
	}
	cause = NULL;
	qtime_parse("nope", NOW, &t, &cause);
	ok(cause != NULL && strncmp(cause, "invalid time 'nope': use a Unix "
	    "time", 32) == 0, "message names the argument (%s)", cause);
	free(cause);
}

static void
test_range(void)
{
	int64_t	 f, l;
	char	*cause = NULL;

	ok(qtime_range(NULL, NULL, 0, NOW, &f, &l, &cause) == 0 && l == NOW &&
	    f == NOW - 30 * 86400, "default: the last 30 days");
	ok(qtime_range(NULL, NULL, 1, NOW, &f, &l, &cause) == 0 && l == NOW &&
	    f == NOW - 86400, "default with time: the last 24 hours");
	ok(qtime_range(NULL, "-2d", 1, NOW, &f, &l, &cause) == 0 &&
	    l == NOW - 2 * 86400 && f == l - 86400, "default first follows last");
	ok(qtime_range("-7d", "-1d", 0, NOW, &f, &l, &cause) == 0 &&
	    f == NOW - 7 * 86400 && l == NOW - 86400, "both given");
	ok(qtime_range("-1d", "-1d", 0, NOW, &f, &l, &cause) == 0,
	    "first == last is fine");
	ok(qtime_range("-1d", "-7d", 0, NOW, &f, &l, &cause) == -1 &&
	    cause != NULL, "first > last is an error");
	is_str(cause, "the first time (2013-01-09 06:51:23) is after the last "
	    "time (2013-01-03 06:51:23)", "first > last message");
	free(cause);
	cause = NULL;
	ok(qtime_range("x", NULL, 0, NOW, &f, &l, &cause) == -1 &&
	    cause != NULL, "bad first");
	free(cause);
	cause = NULL;
	ok(qtime_range(NULL, "y", 0, NOW, &f, &l, &cause) == -1 &&
	    cause != NULL, "bad last");
	free(cause);
}

#define is_dur(ns, want) do {						\
	char b_[64];							\
	qtime_duration(ns, b_, sizeof b_);				\
	is_str(b_, want, "duration %lld", (long long)(ns));		\
} while (0)

static void
test_duration(void)
{
	const int64_t ms = 1000000, s = 1000 * ms, m = 60 * s, h = 60 * m;
	char b[32];

	is_dur(0, "0s");
	is_dur(1 * ms, "1ms");
	is_dur(9 * ms + 400000, "9ms");
	is_dur(9 * ms + 500000, "10ms");
	is_dur(499999, "0s");
	is_dur(1 * s, "1s");
	is_dur(1 * s + 232 * ms, "1.232s");
	is_dur(1 * s + 200 * ms + 1, "1.2s");
	is_dur(1 * m + 3 * s, "1m3s");
	is_dur(1 * h + 3 * m + 3 * s, "1h3m3s");
	is_dur(1 * h, "1h0m0s");
	is_dur(25 * h + 3 * m + 3 * s, "1d1h3m3s");
	is_dur(30 * 24 * h, "30d0s");
	is_dur(8 * 24 * h + h + 50 * m, "8d1h50m0s");
	is_dur(24 * h - 1, "24h0m0s");	/* as Go rounds */

	set_tz("UTC0");
	qtime_format(NOW, b, sizeof b);
	is_str(b, "2013-01-10 06:51:23", "format UTC");
	set_tz("CET-1CEST,M3.5.0,M10.5.0/3");
	qtime_format(NOW, b, sizeof b);
	is_str(b, "2013-01-10 07:51:23", "format local");
	set_tz("UTC0");
}

int
main(void)
{
	test_formats();
	test_relative();
	test_errors();
	test_range();
	test_duration();
	return tap_done();
}
