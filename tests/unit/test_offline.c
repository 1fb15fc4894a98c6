/*
 * test_offline.c - unit tests of flowrecd --read's driver (src/offline.c):
 * summary counts, refusal before anything is written, a truncated file,
 * early writes when the table is full (nothing lost), a capture that
 * spans two UTC days (two day files), time going backwards, and stamps at
 * or after 2100 (malformed, no bin moved).
 */
#include "config.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "offline.h"
#include "pcapw.h"
#include "tap.h"

#define NS	1000000000LL
#define DAY	86400LL
#define T0	(19700LL * DAY)		/* midnight UTC, 2023-12-09 */

static char tmpdir[] = "/tmp/test_offline.XXXXXX";

static char *
path(const char *name)
{
	static char buf[2][512];
	static int i;

	i ^= 1;
	snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
	return buf[i];
}

static void
udp(struct pcapw *w, int64_t t_ns, uint16_t dport, int bytes)
{
	struct pcapw_pkt p = { .linktype = 1, .family = 4, .src = "10.0.0.1",
	    .dst = "10.0.0.2", .proto = 17, .sport = 40000, .dport = dport,
	    .payload = (uint16_t)bytes };
	uint8_t buf[2048];
	size_t n = pcapw_frame(&p, buf, sizeof buf);

	pcapw_write(w, t_ns, buf, (uint32_t)n, (uint32_t)n);
}

static long long
query_int(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(h);
	return v;
}

static int
run(const char *cap, const char *db, size_t max_flows,
    struct offline_summary *s, char **cause)
{
	struct offline_options o = { 0 };

	o.path = cap;
	o.iface = "t0";
	o.db_dir = db;
	o.max_flows = max_flows;
	return offline_run(&o, s, cause);
}

static void
test_refused(void)
{
	struct offline_summary s;
	char *cause = NULL;
	struct stat sb;
	FILE *f = fopen(path("junk.bin"), "w");

	fputs("GIF89a not a capture", f);
	fclose(f);
	is_int(run(path("junk.bin"), path("db-refused"), 0, &s, &cause),
	    OFFLINE_REFUSED, "not a capture: refused");
	ok(cause != NULL && strstr(cause, "not a pcap") != NULL,
	    "the cause says why: %s", cause ? cause : "(none)");
	ok(stat(path("db-refused"), &sb) != 0, "nothing written");
	free(cause);
	cause = NULL;
	is_int(run(path("missing.pcap"), path("db-refused"), 0, &s, &cause),
	    OFFLINE_REFUSED, "missing file: refused");
	free(cause);
}

static void
test_days_and_early_writes(void)
{
	struct pcapw *w = pcapw_open_pcap(path("days.pcap"), 1, 1, 0);
	struct offline_summary s;
	char *cause = NULL, db1[512], db2[512];
	int i;

	/* 10 flows just before midnight, 10 after: two days, two files. */
	for (i = 0; i < 10; i++)
		udp(w, (T0 + DAY - 10) * NS + i, (uint16_t)(1000 + i), 10);
	for (i = 0; i < 10; i++)
		udp(w, (T0 + DAY + 5) * NS + i, (uint16_t)(1000 + i), 10);
	/* Time goes backwards: counted in the open bin (the second day). */
	udp(w, (T0 + 100) * NS, 999, 10);
	pcapw_close(w);
	is_int(run(path("days.pcap"), path("db-days"), 3, &s, &cause), 0,
	    "read a two-day capture with a 3-flow table");
	is_int(s.packets, 21, "packets");
	is_int(s.ip, 21, "ip");
	is_int(s.rows, 21, "rows new to the store");
	snprintf(db1, sizeof db1, "%s/t0/t0-2023-12-09.db", path("db-days"));
	snprintf(db2, sizeof db2, "%s/t0/t0-2023-12-10.db", path("db-days"));
	is_int(query_int(db1, "SELECT count(*) FROM flows"), 10,
	    "ten rows in the first day file");
	is_int(query_int(db2, "SELECT count(*) FROM flows"), 11,
	    "eleven in the second (the late packet joined the open bin)");
	is_int(query_int(db2, "SELECT count(*) FROM flows WHERE dport = 999 "
	    "AND ts = 1702166400"), 1, "late packet in the open bin");
	is_int(query_int(db1, "SELECT sum(pkts_rcvd) FROM bins"), 10,
	    "bin packet sums");
	is_int(query_int(db1, "SELECT early_writes FROM bins"), 3,
	    "early writes counted when the table was full");
	is_int(query_int(db1, "SELECT writes FROM bins"), 4,
	    "four writes of the first bin");
	free(cause);
}

static void
test_truncated(void)
{
	struct pcapw *w = pcapw_open_pcap(path("cut.pcap"), 1, 0, 0);
	struct offline_summary s;
	char *cause = NULL;

	udp(w, T0 * NS, 53, 10);
	udp(w, T0 * NS, 54, 10);
	pcapw_close(w);
	if (truncate(path("cut.pcap"), 24 + 16 + 52 + 20) != 0)
		abort();
	is_int(run(path("cut.pcap"), path("db-cut"), 0, &s, &cause), 0,
	    "a truncated file is read");
	is_int(s.packets, 2, "the cut record counts as one packet");
	is_int(s.malformed, 1, "... that is malformed");
	ok(s.truncated && s.note != NULL, "a note says why: %s",
	    s.note ? s.note : "(none)");
	is_int(s.rows, 1, "the whole record was recorded");
	free(s.note);
	free(s.linktypes);
	free(cause);
}

static long long
count_files(const char *dir)
{
	char cmd[600];
	FILE *f;
	long long n = -1;

	snprintf(cmd, sizeof cmd, "ls %s/*.db | wc -l", dir);
	if ((f = popen(cmd, "r")) != NULL) {
		if (fscanf(f, "%lld", &n) != 1)
			n = -1;
		pclose(f);
	}
	return n;
}

/*
 * A record stamped at or after 2100-01-01 (SEMANTICS 8) is malformed,
 * counted as time_out_of_range and moves no bin: the records after it stay
 * in their own bin and day (they went to 2100, or past 2262 with a
 * saturated stamp and a signed overflow, before).
 */
static void
test_time_after_2100(void)
{
	struct pcapw *w = pcapw_open_pcapng(path("2100.pcapng"), 1, 9, 0);
	struct pcapw_pkt p = { .linktype = 1, .family = 4, .src = "10.0.0.1",
	    .dst = "10.0.0.2", .proto = 17, .sport = 40000, .dport = 53,
	    .payload = 10 };
	struct offline_summary s;
	char *cause = NULL, db[600], dir[512];
	uint8_t buf[256];
	size_t n = pcapw_frame(&p, buf, sizeof buf);

	pcapw_write_ng(w, 0, T0 * NS, buf, (uint32_t)n, (uint32_t)n, 0);
	pcapw_write_ng(w, 0, 4102444800LL * NS, buf, (uint32_t)n,
	    (uint32_t)n, 0);
	/* 2^64 - 1 ns: past 2262, saturated by the reader. */
	pcapw_write_pkt_ticks(w, 6, 0, UINT64_MAX, buf, (uint32_t)n,
	    (uint32_t)n, 0);
	pcapw_write_ng(w, 0, (T0 + 1) * NS, buf, (uint32_t)n, (uint32_t)n, 0);
	pcapw_write_ng(w, 0, 4102444799LL * NS, buf, (uint32_t)n,
	    (uint32_t)n, 0);
	pcapw_close(w);
	is_int(run(path("2100.pcapng"), path("db-2100"), 0, &s, &cause), 0,
	    "a capture with stamps past 2100 is read");
	is_int(s.packets, 5, "5 packets");
	is_int(s.malformed, 2, "2 malformed: at 2100-01-01 and past 2262");
	is_int(s.ip, 3, "3 IP");
	snprintf(dir, sizeof dir, "%s/t0", path("db-2100"));
	snprintf(db, sizeof db, "%s/t0-2023-12-09.db", dir);
	is_int(query_int(db, "SELECT sum(pkts_rcvd) FROM flows WHERE ts = "
	    "1702080000"), 2, "the records around them share their bin");
	is_int(query_int(db, "SELECT packets FROM bin_skips WHERE reason = "
	    "'time_out_of_range'"), 2, "counted as time_out_of_range");
	is_int(query_int(db, "SELECT malformed FROM bins"), 2,
	    "in the bin that was open");
	is_int(count_files(dir), 2, "two day files: 2023-12-09 and "
	    "2099-12-31 (its last second is a time)");
	free(cause);
	free(s.note);
	free(s.linktypes);
}

int
main(void)
{
	char cmd[600];

	if (mkdtemp(tmpdir) == NULL)
		return 99;
	test_refused();
	test_days_and_early_writes();
	test_truncated();
	test_time_after_2100();
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return 99;
	return tap_done();
}
