/*
 * test_export.c - the export's spool (export_spool.c) on day files the
 * store wrote: which bins are pending for a destination (new, with and
 * without backfill, written again, removed by retention, not final yet),
 * the rows read back, export.db's cursor across reopening, observation
 * domains, the one-process-per-destination lock, pacing and stopping; and
 * the IPFIX driver over UDP: datagrams within the MTU, templates with each
 * bin, a refused port is a failure, not a bin sent.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export_int.h"
#include "store.h"
#include "tap.h"
#include "util.h"

#define T0	1700000100LL	/* a bin start; its day: 2023-11-14 */

static char dir[64];

static void
mkrow(struct flowtab_row *r, unsigned i)
{
	memset(r, 0, sizeof *r);
	r->key.family = i % 4 == 3 ? 6 : 4;
	if (r->key.family == 4) {
		inet_pton(AF_INET, "10.0.0.0", r->key.sip);
		inet_pton(AF_INET, "192.0.2.1", r->key.dip);
		r->key.sip[2] = (uint8_t)(i >> 8);
		r->key.sip[3] = (uint8_t)i;
	} else {
		inet_pton(AF_INET6, "2001:db8::", r->key.sip);
		inet_pton(AF_INET6, "2001:db8::ffff", r->key.dip);
		r->key.sip[14] = (uint8_t)(i >> 8);
		r->key.sip[15] = (uint8_t)i;
	}
	r->key.dport = 443;
	r->key.proto = 6;
	r->key.vlan = (uint16_t)(i % 3 == 0 ? 100 : 0);
	r->bytes_rcvd = 1000 + i;
	r->pkts_rcvd = 1 + i % 5;
	r->bytes_sent = i % 2 ? 500 : 0;
	r->pkts_sent = i % 2 ? 2 : 0;
}

/* Write bin ts of iface with n rows (rows added to a bin written before). */
static void
put_bin(const char *iface, int64_t ts, unsigned n)
{
	struct flowtab_row *rows = calloc(n + 1, sizeof *rows);
	struct flowtab_bin bin;
	struct store *st = store_new(dir, iface);
	char *cause = NULL;
	unsigned i;

	for (i = 0; i < n; i++)
		mkrow(&rows[i], i);
	memset(&bin, 0, sizeof bin);
	bin.ts = ts;
	bin.interval = 300;
	bin.rows = rows;
	bin.nrows = n;
	if (store_write_bin(st, &bin, NULL, &cause) != 0) {
		printf("# store: %s\n", cause);
		exit(1);
	}
	store_free(st);
	free(rows);
}

static int
all_ready(void *arg, const char *iface, int64_t ts, uint32_t interval)
{
	(void)arg;
	(void)iface;
	(void)interval;
	return ts < INT64_MAX;
}

/* Final: before the horizon *arg. */
static int
before(void *arg, const char *iface, int64_t ts, uint32_t interval)
{
	(void)iface;
	(void)interval;
	return ts < *(int64_t *)arg;
}

static struct spool *
open_dest(const char *name, int backfill, int resend, int64_t now)
{
	struct spool *sp = NULL;
	char *cause = NULL;

	if (spool_open(dir, name, backfill, resend, now, &sp, &cause) != 0) {
		printf("# spool_open: %s\n", cause);
		free(cause);
		return NULL;
	}
	return sp;
}

static int
next(struct spool *sp, struct spool_pick *p, struct spool_backlog *bl)
{
	char *cause = NULL;

	if (spool_scan(sp, NULL, NULL, &cause) != 0) {
		printf("# scan: %s\n", cause);
		free(cause);
	}
	return spool_next(sp, all_ready, NULL, p, bl);
}

/* Read the picked bin through and record it as sent; its row count. */
static long
send_pick(struct spool *sp, const struct spool_pick *p)
{
	struct export_bin bin;
	struct export_row row;
	char *cause = NULL;
	long n = 0;

	if (spool_bin_open(sp, p, &bin, &cause) != 0) {
		printf("# bin_open: %s\n", cause);
		free(cause);
		return -1;
	}
	while (export_bin_next(&bin, &row) == 1)
		n++;
	if (spool_mark(sp, &bin, &cause) != 0) {
		printf("# mark: %s\n", cause);
		free(cause);
		n = -1;
	}
	spool_bin_close(&bin);
	return n;
}

static void
test_pending(void)
{
	struct spool *a, *b;
	struct spool_pick p;
	struct spool_backlog bl;
	int64_t horizon;
	int rc;

	put_bin("eth0", T0, 10);
	put_bin("eth0", T0 + 300, 20);
	put_bin("eth1", T0, 5);

	/* Added now, without backfill: the three stored bins are not its. */
	a = open_dest("ipfix udp://a:1", 0, 0, T0 + 3600);
	ok(a != NULL && next(a, &p, &bl) == 0 && bl.bins == 0,
	    "a new destination without backfill: nothing pending");
	put_bin("eth0", T0 + 600, 7);
	ok(next(a, &p, &bl) == 1 && p.ts == T0 + 600 && p.rows == 7 &&
	    strcmp(p.iface, "eth0") == 0 && bl.bins == 1,
	    "a bin written after it was added is pending");
	is_int(send_pick(a, &p), 7, "its 7 rows read back and marked");
	ok(next(a, &p, &bl) == 0 && bl.bins == 0, "then nothing is pending");

	/* With backfill: everything, oldest first, eth0 before eth1. */
	b = open_dest("clickhouse http://b/ default.flows", 1, 1, T0 + 3600);
	rc = b != NULL && next(b, &p, &bl) == 1;
	ok(rc && bl.bins == 4 && bl.rows == 42 && bl.oldest == T0,
	    "backfill: 4 bins, 42 rows pending (%llu, %llu)",
	    (unsigned long long)bl.bins, (unsigned long long)bl.rows);
	ok(p.ts == T0 && strcmp(p.iface, "eth0") == 0 && send_pick(b, &p) == 10,
	    "oldest first: eth0's first bin");
	ok(next(b, &p, &bl) == 1 && p.ts == T0 && strcmp(p.iface, "eth1") == 0 &&
	    send_pick(b, &p) == 5, "then eth1's bin of the same time");
	horizon = T0 + 300;
	spool_scan(b, NULL, NULL, NULL);
	rc = spool_next(b, before, &horizon, &p, &bl);
	ok(rc == 0 && bl.waiting == 2, "bins not final yet wait (%llu)",
	    (unsigned long long)bl.waiting);
	spool_free(b);

	/* Reopened: the cursor is in export.db. */
	b = open_dest("clickhouse http://b/ default.flows", 1, 1, T0 + 7200);
	ok(b != NULL && next(b, &p, &bl) == 1 && bl.bins == 2 && p.ts == T0 + 300,
	    "reopened, it goes on with the third bin");
	while (next(b, &p, &bl) == 1)
		send_pick(b, &p);

	/* A bin written again: ClickHouse resends it, IPFIX counts it. */
	put_bin("eth0", T0 + 600, 9);
	ok(next(b, &p, &bl) == 1 && p.ts == T0 + 600 && p.rows == 9,
	    "written again: pending for ClickHouse (its rows are replaced)");
	is_int(send_pick(b, &p), 9, "sent again, whole");
	ok(next(a, &p, &bl) == 0 && bl.changed == 1,
	    "written again: counted as changed for IPFIX, not resent");

	/* Retention removes a day file: its pending bins are expired. */
	put_bin("eth2", T0, 3);
	ok(next(b, &p, &bl) == 1 && strcmp(p.iface, "eth2") == 0,
	    "a new interface's bin is pending");
	{
		char *path = store_day_path(dir, "eth2", T0), *wal;

		wal = util_printf("%s-wal", path);
		unlink(path);
		unlink(wal);
		free(path);
		free(wal);
	}
	ok(next(b, &p, &bl) == 0 && bl.expired == 1,
	    "its day file removed: nothing pending, 1 bin expired");
	spool_free(a);
	spool_free(b);
}

static void
test_rows_domains_lock(void)
{
	struct spool *a, *b;
	struct spool_pick p;
	struct spool_backlog bl;
	struct export_bin bin;
	struct export_row row;
	char *cause = NULL;
	uint32_t d0, d1;
	int rc, n = 0, good = 1;

	a = open_dest("ipfix tcp://c:1", 1, 0, T0 + 3600);
	b = open_dest("ipfix tcp://c:1", 1, 0, T0 + 3600);
	ok(a && b && spool_lock(a, NULL) == 0, "the first process locks it");
	is_int(spool_lock(b, NULL), -EAGAIN, "a second one cannot");
	spool_free(a);
	ok(spool_lock(b, NULL) == 0, "until the first lets go");

	next(b, &p, &bl);
	rc = spool_bin_open(b, &p, &bin, &cause);
	ok(rc == 0 && bin.rows == 10 && bin.writes == 1 && bin.interval == 300,
	    "a bin opened: 10 rows, 1 write");
	d0 = bin.domain;
	while (rc == 0 && export_bin_next(&bin, &row) == 1) {
		struct flowtab_row want;
		char text[64];
		unsigned i = row.family == 6 ? (unsigned)row.sip[14] << 8 |
		    row.sip[15] : (unsigned)row.sip[2] << 8 | row.sip[3];

		/* rows come in key order: find the row by its client */
		mkrow(&want, i);
		inet_ntop(want.key.family == 6 ? AF_INET6 : AF_INET,
		    want.key.sip, text, sizeof text);
		/* rows come in key order, the key ids in insertion order */
		good &= row.family == want.key.family &&
		    strcmp(row.sip_text, text) == 0 &&
		    memcmp(row.sip, want.key.sip, 16) == 0 &&
		    row.dport == 443 && row.proto == 6 &&
		    row.vlan == want.key.vlan &&
		    row.bytes_rcvd == want.bytes_rcvd &&
		    row.pkts_sent == want.pkts_sent;
		n++;
	}
	ok(good && n == 10, "rows read back as written (%d)", n);
	spool_bin_close(&bin);
	spool_mark(b, &bin, NULL);
	next(b, &p, &bl);
	while (strcmp(p.iface, "eth1") != 0 && next(b, &p, &bl) == 1) {
		spool_bin_open(b, &p, &bin, NULL);
		spool_mark(b, &bin, NULL);
		spool_bin_close(&bin);
	}
	spool_bin_open(b, &p, &bin, NULL);
	d1 = bin.domain;
	spool_bin_close(&bin);
	ok(d0 == 1 && d1 == 2, "observation domains: eth0 1, eth1 2 (%u, %u)",
	    d0, d1);

	/* Stopping abandons the bin. */
	{
		atomic_int stop;

		atomic_init(&stop, 1);
		next(b, &p, &bl);
		spool_bin_open(b, &p, &bin, NULL);
		bin.cancel = &stop;
		ok(export_bin_next(&bin, &row) == -ECANCELED,
		    "a stop abandons the bin");
		spool_bin_close(&bin);
	}
	spool_free(b);
}

/* The IPFIX driver over UDP: MTU, templates per bin, a refused port. */
/* 300 rows at 1000 a second take at least a quarter of a second. */
static void
test_pacing(void)
{
	struct spool *sp;
	struct spool_pick p;
	struct spool_backlog bl;
	struct export_bin bin;
	struct export_row row;
	uint64_t t;
	int n = 0;

	put_bin("pace0", T0 + 86400, 300);
	sp = open_dest("ipfix udp://pace", 1, 0, T0 + 86400 * 2);
	spool_scan(sp, NULL, NULL, NULL);
	while (spool_next(sp, all_ready, NULL, &p, &bl) == 1 &&
	    strcmp(p.iface, "pace0") != 0) {
		spool_bin_open(sp, &p, &bin, NULL);
		spool_mark(sp, &bin, NULL);
		spool_bin_close(&bin);
	}
	spool_bin_open(sp, &p, &bin, NULL);
	bin.rate = 1000;
	t = util_now_ns();
	while (export_bin_next(&bin, &row) == 1)
		n++;
	t = util_now_ns() - t;
	ok(n == 300 && t >= 250000000, "rate 1000: 300 rows in %.3f s (the "
	    "256th is due at 0.256 s)", (double)t / 1e9);
	spool_bin_close(&bin);
	spool_free(sp);
}

static void
test_ipfix_udp(void)
{
	struct conf_export_ipfix cfg;
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	struct spool *sp;
	struct spool_pick p;
	struct spool_backlog bl;
	struct export_bin bin;
	uint8_t buf[70000];
	char url[64], *cause = NULL;
	void *ix = NULL;
	int fd, rc, msgs = 0, big = 0, tmpl = 0, first_tmpl = 0;
	ssize_t n;

	for (n = 0; n < 60; n++)
		put_bin("eth3", T0 + 300 * n, 40);	/* 40 rows, ~60 records */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sa, sizeof sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	snprintf(url, sizeof url, "udp://127.0.0.1:%u", ntohs(sa.sin_port));
	memset(&cfg, 0, sizeof cfg);
	cfg.mtu = 576;
	cfg.template_refresh = 600;
	ok(export_ipfix_new(url, &cfg, &ix, &cause) == 0, "a UDP collector");
	sp = open_dest("ipfix udp://unit", 1, 0, T0 + 86400);
	spool_scan(sp, NULL, NULL, NULL);
	while (spool_next(sp, all_ready, NULL, &p, &bl) == 1 &&
	    strcmp(p.iface, "eth3") != 0) {
		spool_bin_open(sp, &p, &bin, NULL);
		spool_mark(sp, &bin, NULL);
		spool_bin_close(&bin);
	}
	rc = 0;
	for (n = 0; n < 2; n++) {
		spool_bin_open(sp, &p, &bin, NULL);
		rc |= export_ipfix_driver.send(ix, &bin, &cause);
		spool_mark(sp, &bin, NULL);
		spool_bin_close(&bin);
		spool_next(sp, all_ready, NULL, &p, &bl);
	}
	ok(rc == 0, "two bins sent");
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };

		if (poll(&pf, 1, 100) <= 0)
			break;
		n = recv(fd, buf, sizeof buf, 0);
		msgs++;
		big |= n > 576 - 28;
		/* a template set right after the header */
		if (n > 20 && buf[16] == 0 && buf[17] == 2) {
			tmpl++;
			first_tmpl |= msgs == 1;
		}
	}
	ok(msgs >= 4 && !big, "%d datagrams, none over the MTU's 548 bytes",
	    msgs);
	ok(tmpl == 2 && first_tmpl, "templates in the first message of each "
	    "bin (%d)", tmpl);

	/* Nobody listening: the bin fails, and is not marked. */
	close(fd);
	export_ipfix_driver.reset(ix);
	spool_bin_open(sp, &p, &bin, NULL);
	free(cause);
	cause = NULL;
	rc = export_ipfix_driver.send(ix, &bin, &cause);
	ok(rc != 0 && cause != NULL && strstr(cause, "refused") != NULL,
	    "a refused port fails the bin: %s", cause ? cause : "(none)");
	spool_bin_close(&bin);
	free(cause);
	export_ipfix_driver.free(ix);
	spool_free(sp);
}

/*
 * Issue 11 item 7: export.db and export.lock are never followed through a
 * symbolic link, and a foreign file at export.db is left as it was (not
 * switched to WAL).
 */
static void
test_foreign(void)
{
	char *sub = util_printf("%s/foreign", dir), *db, *lock, *target;
	char *cmd, *cause = NULL;
	struct spool *sp = NULL;
	struct stat sb;
	int rc;

	db = util_printf("%s/export.db", sub);
	lock = util_printf("%s/export.lock", sub);
	target = util_printf("%s/outside", dir);
	cmd = util_printf("mkdir -p '%s' && ln -s '%s' '%s'", sub, target, db);
	rc = system(cmd);
	free(cmd);
	rc = rc == 0 ? spool_open(sub, "x", 0, 0, 0, &sp, &cause) : -1;
	ok(rc != 0 && lstat(target, &sb) != 0, "export.db a dangling link: "
	    "refused, nothing made outside (%s)", cause ? cause : "");
	free(cause);
	cause = NULL;
	spool_free(sp);
	sp = NULL;

	unlink(db);
	cmd = util_printf("sqlite3 '%s' 'PRAGMA application_id = 7; CREATE "
	    "TABLE t (x)' && ln -s '%s' '%s'", db, target, lock);
	rc = system(cmd);
	free(cmd);
	rc = rc == 0 ? spool_open(sub, "x", 0, 0, 0, &sp, &cause) : -1;
	ok(rc != 0 && cause != NULL && strstr(cause, "not flowrec's") != NULL,
	    "a foreign export.db: refused (%s)", cause ? cause : "");
	cmd = util_printf("test \"$(sqlite3 '%s' 'PRAGMA journal_mode')\" = "
	    "delete", db);
	ok(system(cmd) == 0, "a foreign export.db: still not WAL");
	free(cmd);
	free(cause);
	cause = NULL;
	spool_free(sp);
	sp = NULL;

	unlink(db);
	rc = spool_open(sub, "x", 0, 0, 0, &sp, &cause);
	ok(rc == 0, "export.db made anew");
	ok(rc == 0 && spool_lock(sp, &cause) != 0 && lstat(target, &sb) != 0,
	    "export.lock a dangling link: refused, nothing made outside");
	free(cause);
	spool_free(sp);
	free(target);
	free(lock);
	free(db);
	free(sub);
}

int
main(void)
{
	char *cmd;

	snprintf(dir, sizeof dir, "/tmp/test_export.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	test_pending();
	test_rows_domains_lock();
	test_pacing();
	test_ipfix_udp();
	test_foreign();
	cmd = util_printf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	free(cmd);
	return tap_done();
}
