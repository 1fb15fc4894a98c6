/*
 * test_store.c - unit tests of the store: day files, the `flows` view,
 * counters, refusals, migrations, failures and retries, query plans.
 *
 * It reaches the store's internals through src/store_int.h: the tunables
 * (store__version, store__migrations to pose as a later schema version,
 * store__cache_max to shrink the caches, the bulk and btload thresholds)
 * and the open connection in struct store, for failure injection;
 * everything else goes through store.h.  The ids, sorts and address text
 * have a test of their own (test_store_ids.c).  Each test writes into its
 * own directory under a temporary root removed at the end.
 *
 * "test_store --make-db DIR" only writes a small day file pair under DIR
 * (interface eth0) for tests/integ/schema.sh, and exits.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "btload.h"
#include "qstore.h"
#include "store_int.h"
#include "tap.h"
#include "util.h"

#define T0	1742774400	/* 2025-03-24T00:00:00Z */
#define DAY	86400

static char *root;

/* ------------------------------------------------------------ helpers */

static char *
test_dir(const char *name)
{
	return util_printf("%s/%s", root, name);
}

static void
rm_tree(const char *path)
{
	char *cmd = util_printf("rm -rf '%s'", path);

	if (system(cmd) != 0)
		printf("# could not remove %s\n", path);
	free(cmd);
}

/* A row; addresses as text, IPv4 or IPv6 by form. */
static void
row_set(struct flowtab_row *r, const char *sip, const char *dip,
    uint16_t dport, uint8_t proto, uint16_t vlan, uint64_t br, uint64_t bs,
    uint64_t pr, uint64_t ps)
{
	memset(r, 0, sizeof *r);
	if (inet_pton(AF_INET, sip, r->key.sip) == 1) {
		r->key.family = 4;
		if (inet_pton(AF_INET, dip, r->key.dip) != 1)
			abort();
	} else {
		r->key.family = 6;
		if (inet_pton(AF_INET6, sip, r->key.sip) != 1 ||
		    inet_pton(AF_INET6, dip, r->key.dip) != 1)
			abort();
	}
	r->key.dport = dport;
	r->key.proto = proto;
	r->key.vlan = vlan;
	r->bytes_rcvd = br;
	r->bytes_sent = bs;
	r->pkts_rcvd = pr;
	r->pkts_sent = ps;
}

static void
bin_init(struct flowtab_bin *b, int64_t ts, struct flowtab_row *rows,
    size_t n)
{
	memset(b, 0, sizeof *b);
	b->ts = ts;
	b->interval = 300;
	b->rows = rows;
	b->nrows = n;
}

/* All rows of a query, columns joined by '|', each row ending in '\n'. */
static char *
db_str(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s = NULL;
	const unsigned char *v;
	char *out = NULL;
	size_t len;
	FILE *f;
	int i, rc;

	if ((f = open_memstream(&out, &len)) == NULL)
		abort();
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (i = 0; i < sqlite3_column_count(s); i++) {
			v = sqlite3_column_text(s, i);
			fprintf(f, "%s%s", i ? "|" : "",
			    v ? (const char *)v : "NULL");
		}
		fputc('\n', f);
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE)
		fprintf(f, "ERROR: %s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
	sqlite3_close(db);
	fclose(f);
	return out;
}

/* Run SQL on a file through a connection of its own; 0 or SQLite's code. */
static int
db_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	int rc;

	if ((rc = sqlite3_open(path, &db)) == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		printf("# %s: %s: %s\n", path, sql, sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc;
}

static int
file_exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static char *
file_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	*len = 0;
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n)
			*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

static int
file_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc;

	if (f == NULL)
		return -1;
	rc = fwrite(data, 1, len, f) == len ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

#define FLOWS_SQL "SELECT ts, sip, dip, dport, proto, vlan, bytes_rcvd," \
	" bytes_sent, pkts_rcvd, pkts_sent FROM flows" \
	" ORDER BY ts, sip, dip, dport, proto, vlan"

/* ------------------------------------------------------------ tests */

static void
test_day_path(void)
{
	char *p;

	p = store_day_path("/var/db/flowrec", "eth0", T0);
	is_str(p, "/var/db/flowrec/eth0/eth0-2025-03-24.db",
	    "day path at midnight UTC");
	free(p);
	p = store_day_path("/d", "wlan0", T0 + DAY - 1);
	is_str(p, "/d/wlan0/wlan0-2025-03-24.db", "last second of the day");
	free(p);
	p = store_day_path("/d", "wlan0", T0 + DAY);
	is_str(p, "/d/wlan0/wlan0-2025-03-25.db", "next day");
	free(p);
}

static void
test_basic(void)
{
	char *dir = test_dir("basic"), *path, *s, *cause = NULL;
	struct flowtab_row rows[6];
	struct flowtab_bin bin;
	struct store_write_result res;
	struct store *st;
	int rc;

	/* Given in no particular order, with non-canonical IPv6 input. */
	row_set(&rows[0], "192.0.2.10", "198.51.100.1", 443, 6, 0,
	    1000, 200, 10, 2);
	row_set(&rows[1], "2001:0db8:0000:0000:0000:0000:0000:0001",
	    "2001:db8:0:0:1:0:0:1", 53, 17, 7, 80, 0, 1, 0);
	row_set(&rows[2], "192.0.2.10", "198.51.100.1", 80, 6, 0,
	    5, 6, 7, 8);
	row_set(&rows[3], "2001:db8:0:1:1:1:1:1", "fe80::1", 0, 58, 4094,
	    0, 64, 0, 1);
	row_set(&rows[4], "::ffff:192.0.2.1", "::", 0, 0, 0,
	    1, 1, 1, 1);
	row_set(&rows[5], "10.0.0.1", "192.0.2.10", 22, 6, 100,
	    UINT64_C(5000000000), 3, 4000000, 3);
	bin_init(&bin, T0 + 300, rows, 6);

	st = store_new(dir, "eth0");
	ok(st != NULL, "store_new");
	rc = store_write_bin(st, &bin, &res, &cause);
	is_int(rc, 0, "write a bin into a new day file");
	if (rc != 0)
		printf("# %s\n", cause);
	is_int(res.rows_new, 6, "6 rows new");
	is_int(res.rows_updated, 0, "none updated");
	is_int(res.keys_new, 6, "6 keys new");
	is_int(res.addrs_new, 9, "9 addresses new");
	path = util_printf("%s/eth0/eth0-2025-03-24.db", dir);
	ok(file_exists(path), "file at <db>/<iface>/<iface>-YYYY-MM-DD.db");

	s = db_str(path, FLOWS_SQL);
	is_str(s,
	    "1742774700|10.0.0.1|192.0.2.10|22|6|100|5000000000|3|4000000|3\n"
	    "1742774700|192.0.2.10|198.51.100.1|80|6|0|5|6|7|8\n"
	    "1742774700|192.0.2.10|198.51.100.1|443|6|0|1000|200|10|2\n"
	    "1742774700|2001:db8:0:1:1:1:1:1|fe80::1|0|58|4094|0|64|0|1\n"
	    "1742774700|2001:db8::1|2001:db8::1:0:0:1|53|17|7|80|0|1|0\n"
	    "1742774700|::ffff:192.0.2.1|::|0|0|0|1|1|1|1\n",
	    "flows view: every row exactly, RFC 5952 text");
	free(s);
	s = db_str(path, "SELECT name FROM pragma_table_info('flows')");
	is_str(s, "ts\nsip\ndip\ndport\nproto\nvlan\nbytes_rcvd\nbytes_sent\n"
	    "pkts_rcvd\npkts_sent\n", "flows view columns");
	free(s);
	s = db_str(path, "SELECT typeof(ip), length(ip), text FROM addrs"
	    " WHERE text IN ('10.0.0.1', '2001:db8::1') ORDER BY id");
	is_str(s, "blob|4|10.0.0.1\nblob|16|2001:db8::1\n",
	    "addrs.ip: 4 bytes for IPv4, 16 for IPv6");
	free(s);

	/* Ids are handed out in address order, keys in key order. */
	s = db_str(path, "SELECT count(*) FROM (SELECT id, row_number() OVER"
	    " (ORDER BY ip) AS n FROM addrs) WHERE id != n");
	is_str(s, "0\n", "new addresses numbered in sorted address order");
	free(s);
	s = db_str(path, "SELECT count(*) FROM (SELECT id, row_number() OVER"
	    " (ORDER BY sip, dip, dport, proto, vlan) AS n FROM flow_keys)"
	    " WHERE id != n");
	is_str(s, "0\n", "new keys numbered in sorted key order");
	free(s);

	s = db_str(path, "PRAGMA application_id");
	is_str(s, "1718382455\n", "application_id is \"flow\"");
	free(s);
	s = db_str(path, "PRAGMA user_version");
	is_str(s, "2\n", "user_version 2");
	free(s);
	s = db_str(path, "PRAGMA journal_mode");
	is_str(s, "wal\n", "WAL mode");
	free(s);
	s = db_str(path, "SELECT name, value FROM meta WHERE name != 'created'"
	    " ORDER BY name");
	is_str(s, "created_by|flowrec " PACKAGE_VERSION "\nday|2025-03-24\n"
	    "iface|eth0\ninterval|300\n", "meta rows");
	free(s);
	s = db_str(path, "SELECT value GLOB '2[0-9][0-9][0-9]-[01][0-9]-[0-3]"
	    "[0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z' FROM meta"
	    " WHERE name = 'created'");
	is_str(s, "1\n", "meta created is an ISO 8601 UTC time");
	free(s);
	s = db_str(path, "SELECT count(*) > 0 FROM sqlite_stat1"
	    " WHERE tbl = 'flow_rows'");
	is_str(s, "1\n", "ANALYZE ran after the first write");
	free(s);

	/* A second bin: known keys and addresses are reused. */
	row_set(&rows[0], "192.0.2.10", "198.51.100.1", 443, 6, 0, 1, 1, 1, 1);
	row_set(&rows[1], "192.0.2.10", "198.51.100.2", 443, 6, 0, 2, 2, 2, 2);
	bin_init(&bin, T0 + 600, rows, 2);
	rc = store_write_bin(st, &bin, &res, &cause);
	is_int(rc, 0, "second bin");
	is_int(res.rows_new, 2, "2 rows new");
	is_int(res.keys_new, 1, "1 key new");
	is_int(res.addrs_new, 1, "1 address new");
	s = db_str(path, "SELECT (SELECT count(*) FROM addrs),"
	    " (SELECT count(*) FROM flow_keys), (SELECT count(*) FROM flow_rows)");
	is_str(s, "10|7|8\n", "dictionaries hold each address and key once");
	free(s);
	s = db_str(path, "SELECT ts, flows, flows_v4, flows_v6, writes FROM bins"
	    " ORDER BY ts");
	is_str(s, "1742774700|6|3|3|1\n1742775000|2|2|0|1\n", "bins rows");
	free(s);

	/* Reopened by a new store: the maps load from the file. */
	store_free(st);
	st = store_new(dir, "eth0");
	row_set(&rows[0], "2001:db8::1", "2001:db8::1:0:0:1", 53, 17, 7,
	    1, 1, 1, 1);
	row_set(&rows[1], "192.0.2.10", "198.51.100.2", 443, 6, 0, 2, 2, 2, 2);
	row_set(&rows[2], "192.0.2.10", "198.51.100.2", 444, 6, 0, 3, 3, 3, 3);
	bin_init(&bin, T0 + 900, rows, 3);
	rc = store_write_bin(st, &bin, &res, &cause);
	is_int(rc, 0, "write after reopening");
	is_int(res.keys_new, 1, "reopened: 1 key new (maps loaded)");
	is_int(res.addrs_new, 0, "reopened: no address new");
	ok(st->addrs.complete && st->keys.complete, "maps complete");
	s = db_str(path, "SELECT sip, dip, dport, bytes_rcvd FROM flows"
	    " WHERE ts = 1742775300 ORDER BY dport");
	is_str(s, "2001:db8::1|2001:db8::1:0:0:1|53|1\n"
	    "192.0.2.10|198.51.100.2|443|2\n192.0.2.10|198.51.100.2|444|3\n",
	    "rows of the reopened write");
	free(s);
	store_free(st);
	free(path);
	free(dir);
	free(cause);
}

/* Loading the maps skips an addrs row the store would never write. */
static void
test_load_skips_foreign_address(void)
{
	char *dir = test_dir("foreign"), *path, *s, *cause = NULL;
	struct flowtab_row rows[2];
	struct flowtab_bin bin;
	struct store_write_result res;
	struct store *st = store_new(dir, "eth0");
	int rc;

	path = util_printf("%s/eth0/eth0-2025-03-24.db", dir);
	row_set(&rows[0], "10.0.0.1", "10.0.0.2", 80, 6, 0, 1, 2, 3, 4);
	bin_init(&bin, T0, rows, 1);
	rc = store_write_bin(st, &bin, NULL, &cause);
	is_int(rc, 0, "a first bin");
	store_free(st);
	db_exec(path, "INSERT INTO addrs (id, ip, text) VALUES"
	    " (7, x'0102030405', 'five bytes')");

	st = store_new(dir, "eth0");
	row_set(&rows[1], "10.0.0.1", "10.0.0.3", 80, 6, 0, 1, 2, 3, 4);
	bin_init(&bin, T0 + 300, rows, 2);
	rc = store_write_bin(st, &bin, &res, &cause);
	is_int(rc, 0, "reopened with a foreign address row");
	if (rc != 0)
		printf("# %s\n", cause);
	is_int(res.addrs_new, 1, "only the new address is new");
	store_free(st);
	s = db_str(path, "SELECT id, text FROM addrs ORDER BY id");
	is_str(s, "1|10.0.0.1\n2|10.0.0.2\n7|five bytes\n8|10.0.0.3\n",
	    "the next id follows the largest");
	free(s);
	free(path);
	free(dir);
	free(cause);
}

static void
test_twice(void)
{
	char *dir = test_dir("twice"), *path, *s, *cause = NULL;
	struct flowtab_row rows[3];
	struct flowtab_bin bin;
	struct store_write_result res;
	struct store *st = store_new(dir, "eth1");
	int rc;

	row_set(&rows[0], "10.1.1.1", "10.2.2.2", 80, 6, 0, 100, 10, 3, 1);
	row_set(&rows[1], "10.1.1.1", "10.2.2.3", 80, 6, 0, 200, 20, 4, 2);
	row_set(&rows[2], "fd00::1", "fd00::2", 123, 17, 0, 300, 30, 5, 3);
	bin_init(&bin, T0, rows, 3);
	bin.stats.packets = 20;
	bin.stats.ip = 18;
	bin.stats.early_writes = 1;
	rc = store_write_bin(st, &bin, &res, &cause);
	is_int(rc, 0, "first write of the bin");
	rc = store_write_bin(st, &bin, &res, &cause);
	is_int(rc, 0, "second write of the same bin");
	is_int(res.rows_new, 0, "no row new the second time");
	is_int(res.rows_updated, 3, "3 rows added to");
	is_int(res.keys_new, 0, "no key new");
	path = util_printf("%s/eth1/eth1-2025-03-24.db", dir);
	s = db_str(path, FLOWS_SQL);
	is_str(s, "1742774400|10.1.1.1|10.2.2.2|80|6|0|200|20|6|2\n"
	    "1742774400|10.1.1.1|10.2.2.3|80|6|0|400|40|8|4\n"
	    "1742774400|fd00::1|fd00::2|123|17|0|600|60|10|6\n",
	    "counters doubled, no duplicate rows");
	free(s);
	s = db_str(path, "SELECT writes, packets, ip, flows, flows_v4, flows_v6,"
	    " bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent, early_writes"
	    " FROM bins");
	is_str(s, "2|40|36|3|2|1|1200|120|24|12|2\n",
	    "bins: counters added, flows counted once");
	free(s);

	/* An early write: the rest of the bin, one key again. */
	row_set(&rows[0], "10.1.1.1", "10.2.2.2", 80, 6, 0, 1, 1, 1, 1);
	row_set(&rows[1], "10.9.9.9", "10.2.2.2", 80, 6, 0, 1, 1, 1, 1);
	bin_init(&bin, T0, rows, 2);
	rc = store_write_bin(st, &bin, &res, &cause);
	is_int(rc, 0, "third write of the bin");
	is_int(res.rows_new, 1, "1 new row");
	is_int(res.rows_updated, 1, "1 row added to");
	s = db_str(path, "SELECT writes, flows, flows_v4, bytes_rcvd FROM bins");
	is_str(s, "3|4|3|1202\n", "bins after a partial rewrite");
	free(s);
	s = db_str(path, "SELECT count(*), sum(bytes_rcvd) FROM flows");
	is_str(s, "4|1202\n", "rows agree with bins");
	free(s);
	store_free(st);
	free(path);
	free(dir);
	free(cause);
}

static void
test_day_split(void)
{
	char *dir = test_dir("split"), *p1, *p2, *s, *cause = NULL;
	struct flowtab_row rows[1];
	struct flowtab_bin bin;
	struct store *st = store_new(dir, "eth0");
	int rc;

	row_set(&rows[0], "10.0.0.1", "10.0.0.2", 80, 6, 0, 1, 2, 3, 4);
	bin_init(&bin, T0 + DAY - 300, rows, 1);
	rc = store_write_bin(st, &bin, NULL, &cause);
	is_int(rc, 0, "last bin of a day");
	row_set(&rows[0], "10.0.0.1", "10.0.0.3", 80, 6, 0, 5, 6, 7, 8);
	bin_init(&bin, T0 + DAY, rows, 1);
	rc = store_write_bin(st, &bin, NULL, &cause);
	is_int(rc, 0, "first bin of the next day");
	/* Back to the first day (a late early write) reopens it. */
	row_set(&rows[0], "10.0.0.1", "10.0.0.4", 80, 6, 0, 1, 1, 1, 1);
	bin_init(&bin, T0 + DAY - 600, rows, 1);
	rc = store_write_bin(st, &bin, NULL, &cause);
	is_int(rc, 0, "a bin of the first day again");
	store_free(st);

	p1 = util_printf("%s/eth0/eth0-2025-03-24.db", dir);
	p2 = util_printf("%s/eth0/eth0-2025-03-25.db", dir);
	s = db_str(p1, "SELECT ts, dip FROM flows ORDER BY ts");
	is_str(s, "1742860200|10.0.0.4\n1742860500|10.0.0.2\n",
	    "first day's file holds its bins only");
	free(s);
	s = db_str(p2, "SELECT ts, dip FROM flows ORDER BY ts");
	is_str(s, "1742860800|10.0.0.3\n", "second day's file");
	free(s);
	s = db_str(p2, "SELECT value FROM meta WHERE name = 'day'");
	is_str(s, "2025-03-25\n", "meta day of the second file");
	free(s);
	free(p1);
	free(p2);
	free(dir);
	free(cause);
}

static void
test_counters(void)
{
	char *dir = test_dir("counters"), *path, *s, *want, *cause = NULL;
	struct flowtab_row rows[1];
	struct flowtab_bin bin;
	struct store *st = store_new(dir, "eth0");
	int rc;

	row_set(&rows[0], "10.0.0.1", "10.0.0.2", 80, 6, 0, 1, 2, 3, 4);
	bin_init(&bin, T0 + 3600, rows, 1);
	bin.interval = 60;
	bin.stats.packets = 1000;
	bin.stats.ip = 990;
	bin.stats.non_ip = 6;
	bin.stats.malformed = 4;
	bin.stats.reasons[PARSE_NOTIP_ETHERTYPE] = 6;
	bin.stats.reasons[PARSE_SHORT_IPV4] = 3;
	bin.stats.reasons[PARSE_SHORT_PORTS] = 1;
	bin.stats.conn_overflow = 11;
	bin.stats.frag_evicted = 12;
	bin.stats.early_writes = 13;
	bin.stats.kernel_packets = 1014;
	bin.stats.kernel_drops = 15;
	bin.stats.kernel_freezes = 16;
	rc = store_write_bin(st, &bin, NULL, &cause);
	is_int(rc, 0, "write a bin with counters");
	rc = store_write_bin(st, &bin, NULL, &cause);
	is_int(rc, 0, "and again");
	/* A bin without rows still records its counters. */
	bin_init(&bin, T0 + 3660, NULL, 0);
	bin.interval = 60;
	bin.stats.packets = 5;
	bin.stats.non_ip = 5;
	bin.stats.reasons[PARSE_NOTIP_ETHERTYPE] = 5;
	rc = store_write_bin(st, &bin, NULL, &cause);
	is_int(rc, 0, "an empty bin");
	store_free(st);

	path = util_printf("%s/eth0/eth0-2025-03-24.db", dir);
	s = db_str(path, "SELECT ts, interval, writes, packets, ip, non_ip,"
	    " malformed, flows, flows_v4, flows_v6, bytes_rcvd, bytes_sent,"
	    " pkts_rcvd, pkts_sent, conn_overflow, frag_evicted, early_writes,"
	    " kernel_packets, kernel_drops, kernel_freezes FROM bins"
	    " ORDER BY ts");
	is_str(s, "1742778000|60|2|2000|1980|12|8|1|1|0|2|4|6|8|22|24|26|2028"
	    "|30|32\n1742778060|60|1|5|0|5|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n",
	    "bins: every counter, added over writes");
	free(s);
	s = db_str(path, "SELECT ts, reason, packets FROM bin_skips"
	    " ORDER BY ts, packets");
	want = util_printf("1742778000|%s|2\n1742778000|%s|6\n"
	    "1742778000|%s|12\n1742778060|%s|5\n",
	    parse_reason_name(PARSE_SHORT_PORTS),
	    parse_reason_name(PARSE_SHORT_IPV4),
	    parse_reason_name(PARSE_NOTIP_ETHERTYPE),
	    parse_reason_name(PARSE_NOTIP_ETHERTYPE));
	is_str(s, want, "bin_skips: one row per non-zero reason, added");
	free(want);
	free(s);
	free(path);
	free(dir);
	free(cause);
}

/* Write one bin into a file that is not ours: refused, file untouched. */
static void
refuse(const char *dir, const char *what, const char *want_cause)
{
	char *path, *before, *after, *cause = NULL;
	size_t nbefore, nafter;
	struct flowtab_row rows[1];
	struct flowtab_bin bin;
	struct store *st = store_new(dir, "eth0");
	int rc;

	path = util_printf("%s/eth0/eth0-2025-03-24.db", dir);
	before = file_read(path, &nbefore);
	row_set(&rows[0], "10.0.0.1", "10.0.0.2", 80, 6, 0, 1, 2, 3, 4);
	bin_init(&bin, T0, rows, 1);
	rc = store_write_bin(st, &bin, NULL, &cause);
	ok(rc < 0, "%s: refused", what);
	ok(cause != NULL && strncmp(cause, path, strlen(path)) == 0 &&
	    strstr(cause, want_cause) != NULL, "%s: cause names the file "
	    "and says \"%s\"", what, want_cause);
	printf("# cause: %s\n", cause ? cause : "(null)");
	/* Refused again, not half-opened. */
	rc = store_write_bin(st, &bin, NULL, &cause);
	ok(rc < 0, "%s: refused again", what);
	store_free(st);
	after = file_read(path, &nafter);
	ok(before != NULL && after != NULL && nbefore == nafter &&
	    memcmp(before, after, nafter) == 0, "%s: file unchanged", what);
	free(before);
	free(after);
	free(path);
	free(cause);
}

static void
test_refuse(void)
{
	static const char text[] = "just some text, not a database\n";
	char *dir, *sub, *path, *garbage;
	size_t i;

	dir = test_dir("refuse-text");
	sub = util_printf("%s/eth0", dir);
	util_mkdir_p(sub);
	path = util_printf("%s/eth0-2025-03-24.db", sub);
	file_write(path, text, sizeof text - 1);
	refuse(dir, "a text file", "not a database");
	free(path);
	free(sub);
	free(dir);

	/* Larger than a page, and starting like nothing SQLite knows. */
	dir = test_dir("refuse-garbage");
	sub = util_printf("%s/eth0", dir);
	util_mkdir_p(sub);
	path = util_printf("%s/eth0-2025-03-24.db", sub);
	garbage = malloc(10000);
	for (i = 0; i < 10000; i++)
		garbage[i] = (char)(i * 7 + 3);
	file_write(path, garbage, 10000);
	refuse(dir, "a binary file", "not a database");
	free(garbage);
	free(path);
	free(sub);
	free(dir);

	dir = test_dir("refuse-other-app");
	sub = util_printf("%s/eth0", dir);
	util_mkdir_p(sub);
	path = util_printf("%s/eth0-2025-03-24.db", sub);
	db_exec(path, "PRAGMA application_id = 1234; CREATE TABLE t (x);"
	    " INSERT INTO t VALUES (1)");
	refuse(dir, "another application's database", "not a flowrec database");
	free(path);
	free(sub);
	free(dir);

	dir = test_dir("refuse-no-app");
	sub = util_printf("%s/eth0", dir);
	util_mkdir_p(sub);
	path = util_printf("%s/eth0-2025-03-24.db", sub);
	db_exec(path, "CREATE TABLE flow_rows (x)");
	refuse(dir, "an SQLite file with tables but no application_id",
	    "not a flowrec database");
	free(path);
	free(sub);
	free(dir);
}

/* Write one small bin through st; 0 or the code, the cause in *cause. */
static int
write_small(struct store *st, int64_t ts, const char *dip, char **cause)
{
	struct flowtab_row rows[1];
	struct flowtab_bin bin;

	row_set(&rows[0], "10.0.0.1", dip, 80, 6, 0, 1, 2, 3, 4);
	bin_init(&bin, ts, rows, 1);
	return store_write_bin(st, &bin, NULL, cause);
}

/*
 * What the store must not do: write through a symbolic link it did not
 * make (the day file, a new day's .new, the interface's directory, the
 * lock), let a second writer into an interface, or blame the disk when a
 * day runs out of ids.
 */
static void
test_guards(void)
{
	char *dir, *sub, *path, *outside, *cause = NULL, *want, *s;
	struct store *st, *st2;
	struct stat sb;
	int rc;

	/* A dangling symbolic link in the day file's place. */
	dir = test_dir("guard-link");
	sub = util_printf("%s/eth0", dir);
	util_mkdir_p(sub);
	path = util_printf("%s/eth0-2025-03-24.db", sub);
	outside = test_dir("guard-outside.db");
	ok(symlink(outside, path) == 0, "a day file that is a dangling link");
	st = store_new(dir, "eth0");
	rc = write_small(st, T0, "10.0.0.2", &cause);
	is_int(rc, -ELOOP, "a symbolic link day file: refused");
	ok(cause != NULL && strstr(cause, path) != NULL &&
	    strstr(cause, "a symbolic link") != NULL, "... saying so: %s",
	    cause ? cause : "");
	ok(lstat(outside, &sb) != 0 && errno == ENOENT,
	    "... and nothing made where it points");
	/* A link to a real flowrec file elsewhere: not followed either. */
	store_free(st);
	s = test_dir("guard-real");
	st = store_new(s, "eth0");
	free(s);
	ok(write_small(st, T0, "10.0.0.2", &cause) == 0, "a real day file");
	store_free(st);
	s = test_dir("guard-real/eth0/eth0-2025-03-24.db");
	unlink(path);
	ok(symlink(s, path) == 0, "a link to it in another store");
	st = store_new(dir, "eth0");
	is_int(write_small(st, T0, "10.0.0.3", &cause), -ELOOP,
	    "a link to a flowrec file: refused too");
	free(s);
	s = db_str(path, "SELECT count(*) FROM flow_rows");
	is_str(s, "1\n", "... which keeps its one row");
	free(s);
	store_free(st);
	unlink(path);

	/* A planted .new link: replaced, never written through. */
	s = util_printf("%s.new", path);
	ok(symlink(outside, s) == 0, "a .new that is a link");
	free(s);
	store__new_day_rows = 1;
	st = store_new(dir, "eth0");
	rc = write_small(st, T0, "10.0.0.4", &cause);
	store_free(st);
	store__new_day_rows = STORE_BULK_KEYS;
	ok(rc == 0 && lstat(outside, &sb) != 0 && lstat(path, &sb) == 0 &&
	    S_ISREG(sb.st_mode), "a new day over a .new link: the day"
	    " written in place, nothing where the link pointed");
	free(path);
	free(sub);
	free(dir);

	/* The interface's directory, and the lock, as links. */
	dir = test_dir("guard-dirlink");
	util_mkdir_p(dir);
	sub = util_printf("%s/eth0", dir);
	s = test_dir("guard-elsewhere");
	util_mkdir_p(s);
	ok(symlink(s, sub) == 0, "an interface directory that is a link");
	st = store_new(dir, "eth0");
	is_int(write_small(st, T0, "10.0.0.2", &cause), -ENOTDIR,
	    "an interface directory link: refused");
	ok(cause != NULL && strstr(cause, "symbolic link") != NULL,
	    "... saying so: %s", cause ? cause : "");
	store_free(st);
	unlink(sub);
	util_mkdir_p(sub);
	path = util_printf("%s/%s", sub, STORE_LOCK_NAME);
	ok(symlink(outside, path) == 0, "a lock file that is a link");
	st = store_new(dir, "eth0");
	is_int(write_small(st, T0, "10.0.0.2", &cause), -ELOOP,
	    "a lock link: refused");
	ok(lstat(outside, &sb) != 0, "... and nothing made where it points");
	store_free(st);
	unlink(path);
	free(path);
	free(s);
	free(sub);
	free(dir);

	/* One writer per interface: the second is refused, then let in. */
	dir = test_dir("guard-lock");
	st = store_new(dir, "eth0");
	st2 = store_new(dir, "eth0");
	ok(write_small(st, T0, "10.0.0.2", &cause) == 0, "a first writer");
	rc = write_small(st2, T0 + 300, "10.0.0.3", &cause);
	is_int(rc, -EBUSY, "a second writer of the interface: refused");
	want = util_printf("another writer records this interface (pid %ld)",
	    (long)getpid());
	ok(cause != NULL && strstr(cause, want) != NULL, "... naming the"
	    " writer: %s", cause ? cause : "");
	free(want);
	ok(write_small(st, T0 + 600, "10.0.0.4", &cause) == 0,
	    "the first writes on");
	store_free(st);
	ok(write_small(st2, T0 + 300, "10.0.0.3", &cause) == 0,
	    "the second, once the first is done");
	store_free(st2);
	path = util_printf("%s/eth0/eth0-2025-03-24.db", dir);
	s = db_str(path, "SELECT group_concat(ts - 1742774400) FROM"
	    " (SELECT ts FROM bins ORDER BY ts)");
	is_str(s, "0,300,600\n", "each bin once");
	free(s);
	free(path);
	free(dir);

	/* Out of ids: says so, and the day is untouched. */
	dir = test_dir("guard-ids");
	st = store_new(dir, "eth0");
	ok(write_small(st, T0, "10.0.0.2", &cause) == 0, "a first bin");
	st->next_addr = STORE_MAX_ID;
	rc = write_small(st, T0 + 300, "10.0.0.9", &cause);
	is_int(rc, -EOVERFLOW, "no address id left: -EOVERFLOW");
	ok(cause != NULL && strstr(cause, "no address ids left") != NULL &&
	    strstr(cause, "disk") == NULL, "... saying so: %s",
	    cause ? cause : "");
	ok(write_small(st, T0 + 300, "10.0.0.9", &cause) == 0,
	    "the ids reloaded from the file, the retry writes");
	st->next_key = STORE_MAX_ID;
	rc = write_small(st, T0 + 600, "10.0.0.9", &cause);
	ok(rc == 0, "a known key needs no new id");
	st->next_key = STORE_MAX_ID;
	rc = write_small(st, T0 + 900, "10.0.0.1", &cause);
	ok(rc == -EOVERFLOW && cause != NULL &&
	    strstr(cause, "no flow key ids left") != NULL,
	    "no flow key id left: says so: %s", cause ? cause : "");
	store_free(st);
	free(dir);
	free(outside);
	free(cause);
}

static void
test_newer(void)
{
	char *dir = test_dir("newer"), *path, *s, *cause = NULL;
	struct flowtab_row rows[1];
	struct flowtab_bin bin;
	struct store *st = store_new(dir, "eth0");
	int rc;

	row_set(&rows[0], "10.0.0.1", "10.0.0.2", 80, 6, 0, 1, 2, 3, 4);
	bin_init(&bin, T0, rows, 1);
	rc = store_write_bin(st, &bin, NULL, &cause);
	is_int(rc, 0, "write a version 2 file");
	store_free(st);
	path = util_printf("%s/eth0/eth0-2025-03-24.db", dir);
	db_exec(path, "PRAGMA user_version = 3");
	refuse(dir, "a newer schema version", "schema version 3 is newer");
	s = db_str(path, "PRAGMA user_version");
	is_str(s, "3\n", "newer file keeps its version");
	free(s);
	free(path);
	free(dir);
	free(cause);
}

static void
test_migrate(void)
{
	/* Steps past this build's version: V+1 and V+2. */
	static const char *const fake[] = {
		[STORE_SCHEMA_VERSION + 1] = "CREATE TABLE next_note (x);"
		    " INSERT INTO next_note VALUES (42);",
		[STORE_SCHEMA_VERSION + 2] = "ALTER TABLE next_note ADD COLUMN y"
		    " DEFAULT 'three';",
	};
	static const char *const broken[] = {
		[STORE_SCHEMA_VERSION + 1] = "CREATE TABLE next_note (x);"
		    " SELECT no_such_function();",
	};
	char *dir = test_dir("migrate"), *path, *s, *cause = NULL, *want;
	struct flowtab_row rows[1];
	struct flowtab_bin bin;
	struct store *st = store_new(dir, "eth0");
	int rc, v = STORE_SCHEMA_VERSION;

	path = util_printf("%s/eth0/eth0-2025-03-24.db", dir);
	row_set(&rows[0], "10.0.0.1", "10.0.0.2", 80, 6, 0, 1, 2, 3, 4);
	bin_init(&bin, T0, rows, 1);
	rc = store_write_bin(st, &bin, NULL, &cause);
	is_int(rc, 0, "write a file of this version");
	store_close_day(st);

	/* This build poses as version V+2 with a broken step to V+1. */
	store__version = v + 2;
	store__migrations = broken;
	store__migrations_count = v + 2;
	bin.ts = T0 + 300;
	rc = store_write_bin(st, &bin, NULL, &cause);
	want = util_printf("no migration from schema version %d to %d", v + 1,
	    v + 2);
	ok(rc < 0 && cause != NULL && strstr(cause, want) != NULL,
	    "a missing migration is refused");
	free(want);
	printf("# cause: %s\n", cause ? cause : "(null)");
	store__version = v + 1;
	rc = store_write_bin(st, &bin, NULL, &cause);
	want = util_printf("migrating to schema version %d", v + 1);
	ok(rc < 0 && cause != NULL && strstr(cause, want) != NULL &&
	    strstr(cause, "no_such_function") != NULL,
	    "a failing migration is refused with its cause");
	free(want);
	printf("# cause: %s\n", cause ? cause : "(null)");
	s = db_str(path, "SELECT count(*) FROM sqlite_master"
	    " WHERE name = 'next_note'");
	is_str(s, "0\n", "a failed migration leaves nothing behind");
	free(s);
	s = db_str(path, "PRAGMA user_version");
	is_str(s, "2\n", "... and the version as it was");
	free(s);

	/* Now a good path through V+1 to V+2. */
	store__version = v + 2;
	store__migrations = fake;
	store__migrations_count = v + 3;
	rc = store_write_bin(st, &bin, NULL, &cause);
	is_int(rc, 0, "a file is migrated two versions up and written");
	store_close_day(st);
	s = db_str(path, "PRAGMA user_version");
	is_str(s, "4\n", "user_version 4 after migration");
	free(s);
	s = db_str(path, "SELECT x, y FROM next_note");
	is_str(s, "42|three\n", "both migration steps ran, in order");
	free(s);
	s = db_str(path, "SELECT ts, sip FROM flows ORDER BY ts");
	is_str(s, "1742774400|10.0.0.1\n1742774700|10.0.0.1\n",
	    "rows before and after the migration");
	free(s);
	/* A file already at the version is not migrated again. */
	bin.ts = T0 + 600;
	rc = store_write_bin(st, &bin, NULL, &cause);
	is_int(rc, 0, "reopen at the current version");
	store_close_day(st);
	s = db_str(path, "SELECT count(*) FROM next_note");
	is_str(s, "1\n", "no migration step ran twice");
	free(s);

	store__version = STORE_SCHEMA_VERSION;
	store__migrations = NULL;
	store__migrations_count = 0;
	/* The real build refuses what it just made. */
	store_free(st);		/* one writer per interface */
	refuse(dir, "the migrated file to this build", "is newer");
	free(path);
	free(dir);
	free(cause);
}

/* The real migration: a version 1 file gains the rollup tables. */
static void
test_migrate_v1(void)
{
	char *dir = test_dir("migrate-v1"), *path, *s, *cause = NULL;
	struct flowtab_row rows[1];
	struct flowtab_bin bin;
	struct store *st = store_new(dir, "eth0");
	int rc;

	path = util_printf("%s/eth0/eth0-2025-03-24.db", dir);
	row_set(&rows[0], "10.0.0.1", "10.0.0.2", 80, 6, 0, 1, 2, 3, 4);
	bin_init(&bin, T0, rows, 1);
	rc = store_write_bin(st, &bin, NULL, &cause);
	is_int(rc, 0, "write a file");
	store_close_day(st);
	/* Make it what version 1 wrote. */
	db_exec(path, "DROP TABLE flow_rows_1h; DROP TABLE flow_rows_1d;"
	    " DROP TABLE rollups; PRAGMA user_version = 1");
	bin.ts = T0 + 3600;
	rc = store_write_bin(st, &bin, NULL, &cause);
	is_int(rc, 0, "a version 1 file is migrated and written");
	/* Keep the day's rollup however small its gain (2 rows into 1). */
	setenv("FLOWREC_ROLLUP_MIN_RATIO", "1", 1);
	store_free(st);
	unsetenv("FLOWREC_ROLLUP_MIN_RATIO");
	s = db_str(path, "PRAGMA user_version");
	is_str(s, "2\n", "user_version 2 after migration");
	free(s);
	s = db_str(path, "SELECT span, ts, rows FROM rollups ORDER BY span, ts");
	is_str(s, "86400|1742774400|1\n", "its day rolled up once the store is"
	    " done with it (not its hours: one bin each)");
	free(s);
	s = db_str(path, "SELECT ts, key, bytes_rcvd, bytes_sent, pkts_rcvd,"
	    " pkts_sent FROM flow_rows_1d");
	is_str(s, "1742774400|1|2|4|6|8\n", "the day's sums");
	free(s);
	free(path);
	free(dir);
	free(cause);
}

/* Fill n rows with distinct keys spread over a few hundred addresses. */
static void
rows_fill(struct flowtab_row *rows, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1, a, b;
	size_t i;

	for (i = 0; i < n; i++) {
		struct flowtab_row *r = &rows[i];

		memset(r, 0, sizeof *r);
		x = x * 1103515245u + 12345u;
		a = (x >> 8) % 300;
		b = (uint32_t)i;
		if (i % 5 == 0) {
			r->key.family = 6;
			r->key.sip[0] = 0x20;
			r->key.sip[1] = 0x01;
			r->key.sip[15] = (uint8_t)a;
			r->key.sip[14] = (uint8_t)(a >> 8);
			r->key.dip[0] = 0xfd;
			r->key.dip[15] = (uint8_t)(b % 97);
		} else {
			r->key.family = 4;
			r->key.sip[0] = 10;
			r->key.sip[2] = (uint8_t)(a >> 8);
			r->key.sip[3] = (uint8_t)a;
			r->key.dip[0] = 192;
			r->key.dip[1] = 168;
			r->key.dip[3] = (uint8_t)(b % 61);
		}
		r->key.dport = (uint16_t)(i / 61 + 1);	/* keys distinct */
		r->key.proto = i % 50 == 0 ? 1 : (i & 1) ? 6 : 17;
		r->key.vlan = (uint16_t)(i % 3);
		r->bytes_rcvd = x % 100000;
		r->bytes_sent = (x >> 3) % 1000;
		r->pkts_rcvd = x % 100;
		r->pkts_sent = (x >> 5) % 7;
	}
}

/* Every address, key and row of a day file, with its id. */
#define DUMP_CONTENT_SQL						\
	"SELECT 'a', id, hex(ip), text FROM addrs UNION ALL"		\
	" SELECT 'k', id, sip || ',' || dip, dport || ',' || proto || ','" \
	" || vlan FROM flow_keys UNION ALL SELECT 'r', ts, key,"	\
	" bytes_rcvd || ',' || bytes_sent || ',' || pkts_rcvd || ',' ||" \
	" pkts_sent FROM flow_rows"

/* The same bins with the caches complete, and with tiny per-bin caches. */
static void
test_cache_fallback(void)
{
	const char *dump = DUMP_CONTENT_SQL " ORDER BY 1, 2, 3";
	char *dirs[2], *paths[2], *dumps[2], *cause = NULL;
	struct flowtab_row *rows = calloc(3000, sizeof *rows);
	struct flowtab_bin bin;
	struct store *st;
	int pass, b, rc, fails = 0, partial = 1;

	for (pass = 0; pass < 2; pass++) {
		store__cache_max = pass ? 50 : STORE_CACHE_MAX;
		dirs[pass] = test_dir(pass ? "cache-small" : "cache-big");
		st = store_new(dirs[pass], "eth0");
		for (b = 0; b < 6; b++) {
			/* Overlapping bins; bin 3 is written twice. */
			rows_fill(rows, 3000, (uint32_t)b / 2);
			bin_init(&bin, T0 + 300 * (b == 4 ? 3 : b), rows +
			    (size_t)b * 200, 2000);
			if (b == 5) {	/* reopen: loads or not */
				store_free(st);
				st = store_new(dirs[pass], "eth0");
			}
			rc = store_write_bin(st, &bin, NULL, &cause);
			if (rc != 0) {
				fails++;
				printf("# %s\n", cause);
			}
			if (pass == 1 && (st->addrs.complete ||
			    st->keys.complete))
				partial = 0;
		}
		store_free(st);
		paths[pass] = util_printf("%s/eth0/eth0-2025-03-24.db",
		    dirs[pass]);
		dumps[pass] = db_str(paths[pass], dump);
	}
	store__cache_max = STORE_CACHE_MAX;
	is_int(fails, 0, "all writes succeed with either cache");
	ok(partial, "small caches are per-bin");
	ok(strlen(dumps[0]) > 100000 && strcmp(dumps[0], dumps[1]) == 0,
	    "same ids, keys and rows with SQL lookups as with full maps");
	for (pass = 0; pass < 2; pass++) {
		free(dirs[pass]);
		free(paths[pass]);
		free(dumps[pass]);
	}
	free(rows);
	free(cause);
}

/* EXPLAIN QUERY PLAN of a query on the view, one step a line. */
static char *
plan_of(const char *path, const char *where)
{
	char *sql, *s;

	sql = util_printf("EXPLAIN QUERY PLAN SELECT * FROM flows WHERE %s",
	    where);
	s = db_str(path, sql);
	free(sql);
	return s;
}

/*
 * A large first bin of a day is laid out by btload (store__write_new_day):
 * the same file content as inserting it, bin by bin after it (recurring
 * and new keys, a bin written twice, a reopened store), a file SQLite
 * checks whole, plans on every index, no ".new" left behind; a stale
 * ".new" of a crash is replaced; a failure leaves no day file, and the
 * write after it succeeds.
 */
static void
test_new_day(void)
{
	static const char half[] = "half a file from a writer killed midway\n";
	const char *dump = DUMP_CONTENT_SQL " UNION ALL SELECT 'b', ts, flows,"
	    " packets || ',' || bytes_rcvd || ',' || pkts_sent || ',' ||"
	    " writes FROM bins ORDER BY 1, 2, 3";
	struct flowtab_row *rows = calloc(30000, sizeof *rows);
	struct store_write_result res;
	struct flowtab_bin bin;
	struct store *st;
	struct stat sb;
	char *dirs[3], *paths[3], *dumps[3], *s, *tmp, *cause = NULL;
	int pass, b, rc, fails = 0, new_days[3] = { 0, 0, 0 };
	int first[3] = { 0, 0, 0 };
	size_t i;

	/* Pass 2: the first bin written as the store's last (no maps kept),
	   and more bins after it all the same: they reload the maps. */
	for (pass = 0; pass < 3; pass++) {
		store__new_day_rows = pass ? 1 : (size_t)-1;
		dirs[pass] = test_dir(pass == 2 ? "new-day-last" : pass ?
		    "new-day" : "new-day-sql");
		st = store_new(dirs[pass], "eth0");
		for (b = 0; b < 4; b++) {
			rows_fill(rows, 30000, 11);
			/* Counters of every integer size SQLite has. */
			for (i = 0; i < 30000; i += 7)
				rows[i].bytes_rcvd = (uint64_t)i << (i % 56);
			if (b == 3) {	/* reopened */
				store_free(st);
				st = store_new(dirs[pass], "eth0");
			}
			/* Bin 2 writes into bin 0 again. */
			bin_init(&bin, T0 + 300 * (b == 2 ? 0 : b), rows +
			    (size_t)b * 3000, b == 2 ? 1000 : 20000);
			store_set_last(st, pass == 2 && b == 0);
			rc = store_write_bin(st, &bin, &res, &cause);
			if (rc != 0) {
				fails++;
				printf("# %s\n", cause);
			}
			new_days[pass] += res.new_day;
			if (b == 0)
				first[pass] = res.new_day;
		}
		store_free(st);
		paths[pass] = util_printf("%s/eth0/eth0-2025-03-24.db",
		    dirs[pass]);
		dumps[pass] = db_str(paths[pass], dump);
	}
	store__new_day_rows = STORE_BULK_KEYS;
	is_int(fails, 0, "new day: all writes succeed, with btload or not");
	ok(first[1] == 1 && new_days[1] == 1 && new_days[0] == 0,
	    "new day: only the first bin of the day is laid out");
	ok(strlen(dumps[0]) > 500000 && strcmp(dumps[0], dumps[1]) == 0,
	    "new day: the same addresses, keys, rows and bins as inserted");
	ok(first[2] == 1 && new_days[2] == 1 &&
	    strcmp(dumps[0], dumps[2]) == 0,
	    "new day as the last write: the same, and writes after it too");
	free(dumps[2]);
	free(dirs[2]);
	free(paths[2]);
	s = db_str(paths[1], "PRAGMA integrity_check");
	is_str(s, "ok\n", "new day: integrity_check");
	free(s);
	s = db_str(paths[1], "SELECT name FROM sqlite_master ORDER BY 1");
	free(dumps[0]);
	dumps[0] = db_str(paths[0], "SELECT name FROM sqlite_master"
	    " ORDER BY 1");
	is_str(s, dumps[0], "new day: the same schema objects");
	free(s);
	s = plan_of(paths[1], "dip = '192.168.0.7'");
	ok(strstr(s, "flow_keys_dip") != NULL, "new day: dip= uses its index");
	free(s);
	s = plan_of(paths[1], "proto = 6 AND dport = 80");
	ok(strstr(s, "flow_keys_proto_dport") != NULL,
	    "new day: dport= uses its index");
	free(s);
	s = plan_of(paths[1], "sip = '10.0.1.7'");
	ok(strstr(s, "sqlite_autoindex_addrs_2") != NULL &&
	    strstr(s, "sqlite_autoindex_flow_keys_1") != NULL,
	    "new day: sip= uses the text and key indexes");
	free(s);
	tmp = util_printf("%s.new", paths[1]);
	ok(stat(tmp, &sb) != 0 && errno == ENOENT, "new day: no .new left");
	free(tmp);

	/* A crash left a ".new" (and its WAL): replaced. */
	for (pass = 0; pass < 2; pass++) {
		free(dirs[pass]);
		free(paths[pass]);
	}
	dirs[0] = test_dir("new-day-stale");
	paths[0] = util_printf("%s/eth0/eth0-2025-03-24.db", dirs[0]);
	s = util_printf("%s/eth0", dirs[0]);
	util_mkdir_p(s);
	free(s);
	tmp = util_printf("%s.new", paths[0]);
	file_write(tmp, half, strlen(half));
	s = util_printf("%s.new-wal", paths[0]);
	file_write(s, half, strlen(half));
	store__new_day_rows = 1;
	st = store_new(dirs[0], "eth0");
	rows_fill(rows, 30000, 12);
	bin_init(&bin, T0, rows, 5000);
	rc = store_write_bin(st, &bin, &res, &cause);
	ok(rc == 0 && res.new_day == 1, "new day: over a stale .new");
	store_free(st);
	ok(!file_exists(tmp) && !file_exists(s),
	    "new day: the stale .new and its WAL are gone");
	free(s);
	s = db_str(paths[0], "SELECT (SELECT integrity_check FROM"
	    " pragma_integrity_check), count(*) FROM flows");
	is_str(s, "ok|5000\n", "new day: over a stale .new: the bin whole");
	free(s);
	free(tmp);
	free(dirs[0]);
	free(paths[0]);

	/* Opening a day file with SQL removes a stale .new of that day. */
	dirs[0] = test_dir("new-day-stale-sql");
	paths[0] = util_printf("%s/eth0/eth0-2025-03-24.db", dirs[0]);
	s = util_printf("%s/eth0", dirs[0]);
	util_mkdir_p(s);
	free(s);
	tmp = util_printf("%s.new", paths[0]);
	file_write(tmp, half, strlen(half));
	store__new_day_rows = (size_t)-1;
	st = store_new(dirs[0], "eth0");
	bin_init(&bin, T0, rows, 100);
	rc = store_write_bin(st, &bin, &res, &cause);
	store_free(st);
	ok(rc == 0 && res.new_day == 0 && !file_exists(tmp),
	    "new day: a write with SQL removes the day's stale .new");
	store__new_day_rows = 1;
	bin_init(&bin, T0, rows, 5000);
	free(tmp);
	free(dirs[0]);
	free(paths[0]);

	/*
	 * A failure (the .new cannot be made: a directory is in the way)
	 * leaves nothing, and the bin is written with SQL.
	 */
	dirs[0] = test_dir("new-day-fail");
	paths[0] = util_printf("%s/eth0/eth0-2025-03-24.db", dirs[0]);
	tmp = util_printf("%s.new/x", paths[0]);
	util_mkdir_p(tmp);
	st = store_new(dirs[0], "eth0");
	rc = store_write_bin(st, &bin, &res, &cause);
	ok(rc == 0 && res.new_day == 0 && res.rows_new == 5000,
	    "new day: a failure of btload's way falls back to SQL");
	store_free(st);
	s = db_str(paths[0], "SELECT (SELECT integrity_check FROM"
	    " pragma_integrity_check), count(*) FROM flows");
	is_str(s, "ok|5000\n", "new day: after a failure: the bin whole");
	free(s);
	rmdir(tmp);
	tmp[strlen(tmp) - 2] = '\0';
	rmdir(tmp);
	store__new_day_rows = STORE_BULK_KEYS;
	free(tmp);
	free(dirs[0]);
	free(paths[0]);
	free(dumps[0]);
	free(dumps[1]);
	free(rows);
	free(cause);
}

/* s with the first from replaced by to; NULL when from is not in s. */
static char *
str_replace1(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);

	if (at == NULL)
		return NULL;
	return util_printf("%.*s%s%s", (int)(at - s), s, to,
	    at + strlen(from));
}

/*
 * btload's fault hook: fails call number fault_at of fault_op (0: none,
 * only counted), and on the first call looks at the file being built
 * (probe_path): rollback-journal mode in its header, no auto-vacuum,
 * nothing beside it.
 */
static const char *fault_op;
static int fault_at, fault_calls, probe_ok;
static char *probe_path;

static int
btload_hook(const char *op)
{
	static const char *const beside[] = { "-wal", "-shm", "-journal" };
	unsigned char h[100];
	char *p;
	size_t i, len;

	if (probe_path != NULL && probe_ok < 0) {
		p = file_read(probe_path, &len);
		probe_ok = p != NULL && len >= sizeof h;
		if (probe_ok) {
			memcpy(h, p, sizeof h);
			/* 1, 1: legacy (rollback journal), not 2, 2 (WAL). */
			probe_ok = h[18] == 1 && h[19] == 1 && h[52] == 0 &&
			    h[53] == 0 && h[54] == 0 && h[55] == 0;
		}
		free(p);
		for (i = 0; i < sizeof beside / sizeof beside[0]; i++) {
			p = util_printf("%s%s", probe_path, beside[i]);
			if (file_exists(p))
				probe_ok = 0;
			free(p);
		}
	}
	if (fault_op == NULL || strcmp(op, fault_op) != 0)
		return 0;
	return ++fault_calls == fault_at ? EIO : 0;
}

#define FENCE_FLOWS_SQL "SELECT ts, sip, dip, dport, proto, vlan," \
	" bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent FROM flows" \
	" ORDER BY ts, sip, dip, CAST(dport AS INTEGER), proto, vlan"

/*
 * Write one 5000-row first bin of a day into a new directory name, with
 * btload allowed; the flows, or an error text.  *new_day says whether
 * btload laid it out.
 */
static char *
fence_write(const char *name, struct flowtab_row *rows, int *new_day)
{
	struct store_write_result res;
	struct flowtab_bin bin;
	struct store *st;
	char *dir = test_dir(name), *path, *s, *check, *cause = NULL;
	int rc, left;

	st = store_new(dir, "eth0");
	bin_init(&bin, T0, rows, 5000);
	rc = store_write_bin(st, &bin, &res, &cause);
	store_free(st);
	*new_day = res.new_day;
	path = util_printf("%s/eth0/eth0-2025-03-24.db", dir);
	check = db_str(path, "PRAGMA integrity_check");
	s = util_printf("%s.new", path);
	left = file_exists(s);
	free(s);
	if (rc != 0 || res.rows_new != 5000 || strcmp(check, "ok\n") != 0 ||
	    left)
		s = util_printf("rc %d (%s), %zu rows, %s, .new %s", rc,
		    cause ? cause : "", res.rows_new, check,
		    left ? "left" : "gone");
	else
		s = db_str(path, FENCE_FLOWS_SQL);
	free(check);
	free(path);
	free(dir);
	free(cause);
	return s;
}

/*
 * btload's fence.  The schema guard sees what column names cannot (DESC,
 * COLLATE, a partial or expression index, a column's type, a generated
 * column, a trigger): with any of them the bin goes to SQL, whole; with
 * the embedded schema btload lays it out.  The ".new" is built in
 * rollback-journal mode without auto-vacuum, the day file ends in WAL
 * mode.  A failing write or fsync of btload falls back to SQL.
 */
static void
test_new_day_fence(void)
{
	static const struct {
		const char	*what, *from, *to;
	} variant[] = {
		{ "dip DESC", "flow_keys (dip);", "flow_keys (dip DESC);" },
		{ "a partial index", "flow_keys (dip);",
		    "flow_keys (dip) WHERE dip > 1;" },
		{ "an expression index", "flow_keys (dip);",
		    "flow_keys (dip + 0);" },
		{ "COLLATE NOCASE", "\ttext\tTEXT NOT NULL UNIQUE",
		    "\ttext\tTEXT COLLATE NOCASE NOT NULL UNIQUE" },
		{ "(ts DESC, key)", "\tPRIMARY KEY (ts, key)",
		    "\tPRIMARY KEY (ts DESC, key)" },
		{ "a TEXT dport", "\tdport\tINTEGER NOT NULL,",
		    "\tdport\tTEXT NOT NULL," },
		{ "a generated column", "\ttext\tTEXT NOT NULL UNIQUE\n",
		    "\ttext\tTEXT NOT NULL UNIQUE,\n\tv4 AS (length(ip) = 4)\n" },
		{ "a trigger", "CREATE INDEX flow_keys_dip",
		    "CREATE TRIGGER keys_seen AFTER INSERT ON flow_keys BEGIN"
		    " SELECT 1; END; CREATE INDEX flow_keys_dip" },
	};
	struct flowtab_row *rows = calloc(5000, sizeof *rows);
	char *want, *got, *schema, *name, *path;
	int new_day, total, at, bad;
	size_t i;

	rows_fill(rows, 5000, 21);
	store__new_day_rows = (size_t)-1;
	want = fence_write("fence-sql", rows, &new_day);
	ok(strncmp(want, "rc ", 3) != 0 && !new_day,
	    "fence: the bin written with SQL");
	store__new_day_rows = 1;
	got = fence_write("fence-btload", rows, &new_day);
	ok(new_day, "fence: the embedded schema is the one btload lays out");
	is_str(got, want, "fence: btload's flows are SQL's");
	free(got);

	for (i = 0; i < sizeof variant / sizeof variant[0]; i++) {
		schema = str_replace1(store_schema_sql, variant[i].from,
		    variant[i].to);
		ok(schema != NULL, "fence: %s: in the schema", variant[i].what);
		if (schema == NULL)
			continue;
		store__schema = schema;
		name = util_printf("fence-%zu", i);
		got = fence_write(name, rows, &new_day);
		ok(!new_day, "fence: %s: not for btload", variant[i].what);
		is_str(got, want, "fence: %s: the bin whole, with SQL",
		    variant[i].what);
		store__schema = NULL;
		free(schema);
		free(name);
		free(got);
	}

	/* How the .new is built, seen from btload's first write. */
	path = test_dir("fence-mode/eth0/eth0-2025-03-24.db.new");
	probe_path = path;
	probe_ok = -1;
	btload_fault = btload_hook;
	got = fence_write("fence-mode", rows, &new_day);
	ok(new_day && probe_ok == 1, "fence: the .new in rollback-journal mode,"
	    " no auto-vacuum, nothing beside it (%d)", probe_ok);
	probe_path = NULL;
	free(got);
	path[strlen(path) - 4] = '\0';
	got = db_str(path, "SELECT journal_mode, auto_vacuum FROM"
	    " pragma_journal_mode, pragma_auto_vacuum");
	is_str(got, "wal|0\n", "fence: the day file in WAL mode");
	free(got);
	free(path);

	/* btload's writes and fsync failing, one at a time. */
	fault_op = "write";
	fault_at = 0;
	fault_calls = 0;
	got = fence_write("fence-count", rows, &new_day);
	total = fault_calls;
	ok(new_day && total >= 9, "fence: btload writes %d times", total);
	free(got);
	for (bad = 0, at = 1; at <= total; at++) {
		fault_at = at;
		fault_calls = 0;
		name = util_printf("fence-write-%d", at);
		got = fence_write(name, rows, &new_day);
		if (new_day || strcmp(got, want) != 0) {
			printf("# write %d: new_day %d: %.200s\n", at, new_day,
			    got);
			bad++;
		}
		free(name);
		free(got);
	}
	is_int(bad, 0, "fence: any of btload's writes failing: the bin whole,"
	    " with SQL");
	fault_op = "fsync";
	fault_at = 1;
	fault_calls = 0;
	got = fence_write("fence-fsync", rows, &new_day);
	ok(!new_day && fault_calls == 1, "fence: btload's fsync failing: not"
	    " laid out");
	is_str(got, want, "fence: btload's fsync failing: the bin whole, with"
	    " SQL");
	free(got);
	fault_op = NULL;
	btload_fault = NULL;
	store__new_day_rows = STORE_BULK_KEYS;
	free(want);
	free(rows);
}

/*
 * New keys into a file without keys go in with flow_keys' secondary
 * indexes dropped and built again (store__bulk_keys): the same file as
 * one key at a time, the same indexes and plans, and a bulk write that
 * fails leaves the indexes as they were.
 */
static void
test_bulk_keys(void)
{
	const char *dump = DUMP_CONTENT_SQL " UNION ALL SELECT 'i', name,"
	    " sql, '' FROM sqlite_master WHERE type = 'index' ORDER BY 1, 2, 3";
	const char *plan = "EXPLAIN QUERY PLAN SELECT * FROM flows"
	    " WHERE dip = '10.1.2.3'";
	char *dirs[2], *paths[2], *dumps[2], *s, *cause = NULL;
	struct flowtab_row *rows = calloc(3000, sizeof *rows);
	struct flowtab_bin bin;
	struct store *st;
	int pass, b, rc, fails = 0;

	store__new_day_rows = (size_t)-1;	/* that path is tested below */
	for (pass = 0; pass < 2; pass++) {
		store__bulk_keys = pass ? 1 : (size_t)-1;
		dirs[pass] = test_dir(pass ? "bulk" : "no-bulk");
		st = store_new(dirs[pass], "eth0");
		for (b = 0; b < 3; b++) {
			rows_fill(rows, 3000, 5);
			bin_init(&bin, T0 + 300 * b, rows + (size_t)b * 500,
			    2000);
			if ((rc = store_write_bin(st, &bin, NULL, &cause)) != 0) {
				fails++;
				printf("# %s\n", cause);
			}
		}
		store_free(st);
		paths[pass] = util_printf("%s/eth0/eth0-2025-03-24.db",
		    dirs[pass]);
		dumps[pass] = db_str(paths[pass], dump);
	}
	is_int(fails, 0, "all writes succeed, in bulk or not");
	ok(strstr(dumps[1], "flow_keys_dip") != NULL &&
	    strstr(dumps[1], "flow_keys_proto_dport") != NULL &&
	    strcmp(dumps[0], dumps[1]) == 0,
	    "bulk: the same ids, keys, rows and index definitions");
	s = db_str(paths[1], "PRAGMA integrity_check");
	is_str(s, "ok\n", "bulk: integrity_check");
	free(s);
	s = db_str(paths[1], plan);
	ok(strstr(s, "flow_keys_dip") != NULL, "bulk: dip= uses its index");
	free(s);

	/* A bulk write that fails puts the indexes back (rollback). */
	free(dirs[0]);
	dirs[0] = test_dir("bulk-fail");
	st = store_new(dirs[0], "eth0");
	free(paths[0]);
	paths[0] = util_printf("%s/eth0/eth0-2025-03-24.db", dirs[0]);
	bin_init(&bin, T0, rows, 0);	/* the file, without keys */
	rc = store_write_bin(st, &bin, NULL, &cause);
	is_int(rc, 0, "bulk: an empty bin makes the file");
	db_exec(paths[0], "CREATE TRIGGER fail_bins BEFORE UPDATE ON bins"
	    " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
	db_exec(paths[0], "CREATE TRIGGER fail_bins2 BEFORE INSERT ON bins"
	    " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
	rows_fill(rows, 3000, 6);
	bin_init(&bin, T0 + 300, rows, 3000);
	store__bulk_keys = 1;
	rc = store_write_bin(st, &bin, NULL, &cause);
	ok(rc != 0 && cause != NULL && strstr(cause, "injected failure"),
	    "bulk: a failure after the keys fails the write");
	store_free(st);
	free(dumps[0]);
	dumps[0] = db_str(paths[0], "SELECT count(*) FROM flow_keys UNION ALL"
	    " SELECT name FROM sqlite_master WHERE type = 'index'"
	    " AND tbl_name = 'flow_keys' ORDER BY 1");
	is_str(dumps[0], "0\nflow_keys_dip\nflow_keys_proto_dport\n"
	    "sqlite_autoindex_flow_keys_1\n",
	    "bulk: after the failure no key, every index");
	store__bulk_keys = STORE_BULK_KEYS;
	store__new_day_rows = STORE_BULK_KEYS;
	for (pass = 0; pass < 2; pass++) {
		free(dirs[pass]);
		free(paths[pass]);
		free(dumps[pass]);
	}
	free(rows);
	free(cause);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A random bin read back exactly through the view. */
static void
test_many_rows(void)
{
	char *dir = test_dir("many"), *path, *got, *want, *line, *t;
	char **lines, sip[INET6_ADDRSTRLEN], dip[INET6_ADDRSTRLEN];
	size_t n = 20000, i, len;
	struct flowtab_row *rows = calloc(n, sizeof *rows);
	struct flowtab_bin bin;
	struct store *st = store_new(dir, "eth0");
	char *cause = NULL;
	int rc;

	rows_fill(rows, n, 7);
	bin_init(&bin, T0, rows, n);
	rc = store_write_bin(st, &bin, NULL, &cause);
	is_int(rc, 0, "write 20000 rows");
	store_free(st);

	lines = calloc(n, sizeof *lines);
	for (i = 0; i < n; i++) {
		int af = rows[i].key.family == 4 ? AF_INET : AF_INET6;

		inet_ntop(af, rows[i].key.sip, sip, sizeof sip);
		inet_ntop(af, rows[i].key.dip, dip, sizeof dip);
		lines[i] = util_printf("%s|%s|%u|%u|%u|%llu|%llu|%llu|%llu\n",
		    sip, dip, rows[i].key.dport, rows[i].key.proto,
		    rows[i].key.vlan, (unsigned long long)rows[i].bytes_rcvd,
		    (unsigned long long)rows[i].bytes_sent,
		    (unsigned long long)rows[i].pkts_rcvd,
		    (unsigned long long)rows[i].pkts_sent);
	}
	qsort(lines, n, sizeof *lines, cmp_str);
	len = 0;
	for (i = 0; i < n; i++)
		len += strlen(lines[i]);
	want = malloc(len + 1);
	t = want;
	for (i = 0; i < n; i++) {
		line = lines[i];
		t = stpcpy(t, line);
		free(line);
	}
	free(lines);
	path = util_printf("%s/eth0/eth0-2025-03-24.db", dir);
	got = db_str(path, "SELECT s FROM (SELECT sip || '|' || dip || '|' ||"
	    " dport || '|' || proto || '|' || vlan || '|' || bytes_rcvd ||"
	    " '|' || bytes_sent || '|' || pkts_rcvd || '|' || pkts_sent AS s"
	    " FROM flows) ORDER BY s");
	ok(strcmp(got, want) == 0, "20000 rows read back exactly");
	free(got);
	free(want);
	free(path);
	free(rows);
	free(dir);
	free(cause);
}

/* The file's bytes, for "unchanged". */
static uint64_t
file_sum(const char *path)
{
	size_t len, i;
	char *buf = file_read(path, &len);
	uint64_t h = 1469598103934665603ull ^ len;

	for (i = 0; buf != NULL && i < len; i++)
		h = (h ^ (uint8_t)buf[i]) * 1099511628211ull;
	free(buf);
	return h;
}

/*
 * Issue 11 item 1: a past day read as immutable while a writer adds bins
 * to it (a restart, --read of an older capture).  The writer's commits go
 * to the WAL; while the reader holds the directory's lock, no checkpoint
 * changes the file, and the reader's statement, begun before and finished
 * after, sums exactly the state it began on.  Once the reader is gone the
 * WAL is folded in as ever.
 */
static void
test_torn_read(void)
{
	char *dir = test_dir("torn"), *path, *wal, *cause = NULL, *want, *got;
	size_t n = 3000, k, rows = 0;
	struct flowtab_row *r = calloc(n, sizeof *r);
	struct flowtab_bin bin;
	struct store *st = store_new(dir, "eth0");
	struct stat sb;
	sqlite3 *db;
	sqlite3_stmt *s = NULL;
	uint64_t before;
	int64_t sum = 0;
	int rc = 0;

	/* even bins first, the odd ones between them later */
	for (k = 0; k < 20 && rc == 0; k += 2) {
		rows_fill(r, n, (uint32_t)k + 1);
		bin_init(&bin, T0 + (int64_t)k * 300, r, n);
		rc = store_write_bin(st, &bin, NULL, &cause);
	}
	is_int(rc, 0, "torn: ten bins of a past day written");
	store_free(st);
	path = util_printf("%s/eth0/eth0-2025-03-24.db", dir);
	wal = util_printf("%s-wal", path);
	want = db_str(path, "SELECT count(*), total(pkts_rcvd) FROM flow_rows");

	db = qstore_open_day(path, T0, &cause);
	ok(db != NULL, "torn: the reader opens the day");
	if (db != NULL)
		rc = sqlite3_prepare_v2(db, "SELECT pkts_rcvd FROM flow_rows",
		    -1, &s, NULL);
	while (db != NULL && rows < n && sqlite3_step(s) == SQLITE_ROW) {
		sum += sqlite3_column_int64(s, 0);
		rows++;
	}
	ok(rows == n, "torn: the reader is a bin into the day");
	before = file_sum(path);

	st = store_new(dir, "eth0");
	for (k = 1; k < 20 && rc == 0; k += 2) {
		rows_fill(r, n, (uint32_t)k + 1);
		bin_init(&bin, T0 + (int64_t)k * 300, r, n);
		rc = store_write_bin(st, &bin, NULL, &cause);
	}
	is_int(rc, 0, "torn: the writer adds ten bins between them");
	if (stat(wal, &sb) != 0)
		sb.st_size = 0;
	ok(sb.st_size > 1000 * 4096, "torn: more than a checkpoint's worth "
	    "in the WAL (%lld bytes)", (long long)sb.st_size);
	ok(file_sum(path) == before, "torn: the file is unchanged while an "
	    "immutable reader reads it");

	while (db != NULL && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		sum += sqlite3_column_int64(s, 0);
		rows++;
	}
	is_int(rc, SQLITE_DONE, "torn: the reader reads to the end (%s)",
	    db != NULL ? sqlite3_errmsg(db) : "no db");
	got = util_printf("%zu|%lld.0\n", rows, (long long)sum);
	is_str(got, want, "torn: the reader saw the day as it began");
	free(got);
	sqlite3_finalize(s);
	sqlite3_close(db);

	/* the reader gone, the next commit folds the WAL in */
	rows_fill(r, n, 99);
	bin_init(&bin, T0 + 20 * 300, r, n);
	is_int(store_write_bin(st, &bin, NULL, &cause), 0, "torn: one more bin");
	ok(file_sum(path) != before, "torn: checkpointed once the reader is "
	    "gone");
	store_free(st);
	ok(stat(wal, &sb) != 0, "torn: the WAL "
	    "folded in and removed at close");
	got = db_str(path, "SELECT count(*) FROM flow_rows");
	is_str(got, "63000\n", "torn: every bin in the file");
	free(got);
	free(want);
	free(wal);
	free(path);
	free(r);
	free(dir);
	free(cause);
}

/*
 * A VFS that forwards to the default one but fails every write with
 * SQLITE_FULL while fault_full is set: a disk filling up at COMMIT.
 */
static sqlite3_vfs *fault_real;
static sqlite3_vfs fault_vfs;
static int fault_full;

struct fault_file {
	sqlite3_file	 base;
	sqlite3_file	*real;
};

#define FAULT_REAL(f)	(((struct fault_file *)(f))->real)

static int
fault_close(sqlite3_file *f)
{
	return FAULT_REAL(f)->pMethods->xClose(FAULT_REAL(f));
}

static int
fault_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	return FAULT_REAL(f)->pMethods->xRead(FAULT_REAL(f), buf, n, off);
}

static int
fault_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	if (fault_full)
		return SQLITE_FULL;
	return FAULT_REAL(f)->pMethods->xWrite(FAULT_REAL(f), buf, n, off);
}

static int
fault_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return FAULT_REAL(f)->pMethods->xTruncate(FAULT_REAL(f), size);
}

static int
fault_sync(sqlite3_file *f, int flags)
{
	return FAULT_REAL(f)->pMethods->xSync(FAULT_REAL(f), flags);
}

static int
fault_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return FAULT_REAL(f)->pMethods->xFileSize(FAULT_REAL(f), size);
}

static int
fault_lock(sqlite3_file *f, int level)
{
	return FAULT_REAL(f)->pMethods->xLock(FAULT_REAL(f), level);
}

static int
fault_unlock(sqlite3_file *f, int level)
{
	return FAULT_REAL(f)->pMethods->xUnlock(FAULT_REAL(f), level);
}

static int
fault_reserved(sqlite3_file *f, int *out)
{
	return FAULT_REAL(f)->pMethods->xCheckReservedLock(FAULT_REAL(f), out);
}

static int
fault_control(sqlite3_file *f, int op, void *arg)
{
	return FAULT_REAL(f)->pMethods->xFileControl(FAULT_REAL(f), op, arg);
}

static int
fault_sector(sqlite3_file *f)
{
	return FAULT_REAL(f)->pMethods->xSectorSize(FAULT_REAL(f));
}

static int
fault_device(sqlite3_file *f)
{
	return FAULT_REAL(f)->pMethods->xDeviceCharacteristics(FAULT_REAL(f));
}

static int
fault_shm_map(sqlite3_file *f, int pg, int size, int extend,
    void volatile **pp)
{
	return FAULT_REAL(f)->pMethods->xShmMap(FAULT_REAL(f), pg, size,
	    extend, pp);
}

static int
fault_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return FAULT_REAL(f)->pMethods->xShmLock(FAULT_REAL(f), off, n, flags);
}

static void
fault_shm_barrier(sqlite3_file *f)
{
	FAULT_REAL(f)->pMethods->xShmBarrier(FAULT_REAL(f));
}

static int
fault_shm_unmap(sqlite3_file *f, int del)
{
	return FAULT_REAL(f)->pMethods->xShmUnmap(FAULT_REAL(f), del);
}

static const sqlite3_io_methods fault_methods = {
	2, fault_close, fault_read, fault_write, fault_truncate, fault_sync,
	fault_size, fault_lock, fault_unlock, fault_reserved, fault_control,
	fault_sector, fault_device, fault_shm_map, fault_shm_lock,
	fault_shm_barrier, fault_shm_unmap, NULL, NULL
};

static int
fault_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
    int *out)
{
	struct fault_file *ff = (struct fault_file *)f;
	int rc;

	ff->real = (sqlite3_file *)(ff + 1);
	rc = fault_real->xOpen(fault_real, name, ff->real, flags, out);
	ff->base.pMethods = rc == SQLITE_OK && ff->real->pMethods != NULL ?
	    &fault_methods : NULL;
	return rc;
}

static void
fault_install(void)
{
	fault_real = sqlite3_vfs_find(NULL);
	fault_vfs = *fault_real;
	fault_vfs.zName = "fault";
	fault_vfs.szOsFile = (int)sizeof(struct fault_file) +
	    fault_real->szOsFile;
	fault_vfs.xOpen = fault_open;
	sqlite3_vfs_register(&fault_vfs, 1);
}

/* Write bin b expecting failure, then succeed on a retry after fix(). */
static void
fail_and_retry(const char *what, const char *dir, struct store *st,
    struct flowtab_bin *b, const char *want_cause, void (*fix)(void *),
    void *arg)
{
	char *path, *s, *before, *want, *cause = NULL;
	struct store_write_result res;
	int rc;

	path = util_printf("%s/eth0/eth0-2025-03-24.db", dir);
	before = db_str(path, "SELECT (SELECT count(*) FROM flow_rows),"
	    " (SELECT count(*) FROM flow_keys), (SELECT count(*) FROM addrs),"
	    " (SELECT group_concat(ts || ':' || writes) FROM bins)");
	rc = store_write_bin(st, b, &res, &cause);
	ok(rc < 0, "%s: the write fails", what);
	want = util_printf("%s: %s", path, want_cause);
	is_str(cause, want, "%s: cause", what);
	free(want);
	s = db_str(path, "SELECT (SELECT count(*) FROM flow_rows),"
	    " (SELECT count(*) FROM flow_keys), (SELECT count(*) FROM addrs),"
	    " (SELECT group_concat(ts || ':' || writes) FROM bins)");
	is_str(s, before, "%s: nothing of the bin was written", what);
	free(s);
	fix(arg);
	rc = store_write_bin(st, b, &res, &cause);
	is_int(rc, 0, "%s: a retry succeeds", what);
	if (rc != 0)
		printf("# %s\n", cause);
	is_int(res.rows_new, b->nrows, "%s: every row new on the retry", what);
	s = db_str(path, "PRAGMA integrity_check");
	is_str(s, "ok\n", "%s: integrity_check", what);
	free(s);
	free(before);
	free(path);
	free(cause);
}

static void
fix_trigger(void *arg)
{
	db_exec(arg, "DROP TRIGGER fail_bins");
}

static void
fix_max_pages(void *arg)
{
	struct store *st = arg;

	/* The store reopened the file after the failure: nothing to undo. */
	ok(st->db == NULL, "the failed store closed its day file");
}

static void
fix_fault(void *arg)
{
	fault_full = 0;
}

static void
fix_lock(void *arg)
{
	sqlite3 *other = arg;

	sqlite3_exec(other, "COMMIT", NULL, NULL, NULL);
}

static void
fix_mode(void *arg)
{
	chmod(arg, 0644);
}

static void
test_failures(void)
{
	char *dir = test_dir("fail"), *path, *s, *cause = NULL;
	struct flowtab_row *rows = calloc(3000, sizeof *rows);
	struct flowtab_bin bin;
	struct store *st = store_new(dir, "eth0");
	sqlite3 *other;
	int rc;

	path = util_printf("%s/eth0/eth0-2025-03-24.db", dir);
	rows_fill(rows, 3000, 1);
	bin_init(&bin, T0, rows, 1000);
	rc = store_write_bin(st, &bin, NULL, &cause);
	is_int(rc, 0, "a first bin");

	/* A failure in the last step (bins) must undo the rows before it. */
	db_exec(path, "CREATE TRIGGER fail_bins BEFORE INSERT ON bins BEGIN"
	    " SELECT RAISE(ABORT, 'injected failure'); END");
	bin_init(&bin, T0 + 300, rows + 500, 1000);
	fail_and_retry("failure in the bins step", dir, st, &bin,
	    "injected failure", fix_trigger, path);

	/* The file may not grow: SQLITE_FULL in the middle of the inserts. */
	sqlite3_exec(st->db, "PRAGMA max_page_count = 1", NULL, NULL, NULL);
	bin_init(&bin, T0 + 600, rows + 1000, 2000);
	fail_and_retry("file full", dir, st, &bin,
	    "database or disk is full", fix_max_pages, st);

	/* The disk fills up when COMMIT writes the WAL. */
	fault_full = 1;
	row_set(&rows[0], "203.0.113.1", "203.0.113.2", 1, 6, 0, 1, 1, 1, 1);
	bin_init(&bin, T0 + 900, rows, 1);
	fail_and_retry("disk full at COMMIT", dir, st, &bin,
	    "database or disk is full", fix_fault, NULL);
	fault_full = 0;

	/* Another writer holds the lock past the busy timeout. */
	sqlite3_open(path, &other);
	sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	sqlite3_busy_timeout(st->db, 50);
	row_set(&rows[0], "203.0.113.1", "203.0.113.3", 1, 6, 0, 1, 1, 1, 1);
	bin_init(&bin, T0 + 1200, rows, 1);
	fail_and_retry("database locked", dir, st, &bin,
	    "database is locked", fix_lock, other);

	/* A reader in the middle of a transaction does not stop the writer. */
	sqlite3_exec(other, "BEGIN; SELECT count(*) FROM flows", NULL, NULL,
	    NULL);
	row_set(&rows[0], "203.0.113.1", "203.0.113.4", 1, 6, 0, 1, 1, 1, 1);
	bin_init(&bin, T0 + 1500, rows, 1);
	rc = store_write_bin(st, &bin, NULL, &cause);
	is_int(rc, 0, "a write while a reader holds a snapshot");
	sqlite3_exec(other, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(other);

	/* A read-only file (root may write anyway). */
	if (geteuid() != 0) {
		store_close_day(st);
		chmod(path, 0444);
		row_set(&rows[0], "203.0.113.1", "203.0.113.5", 1, 6, 0,
		    1, 1, 1, 1);
		bin_init(&bin, T0 + 1800, rows, 1);
		fail_and_retry("read-only file", dir, st, &bin,
		    "file is read-only", fix_mode, path);
	} else
		ok(1, "# SKIP read-only file: running as root");

	store_free(st);
	s = db_str(path, "SELECT ts, writes, flows FROM bins ORDER BY ts");
	is_str(s, geteuid() != 0 ? "1742774400|1|1000\n1742774700|1|1000\n"
	    "1742775000|1|2000\n1742775300|1|1\n1742775600|1|1\n"
	    "1742775900|1|1\n1742776200|1|1\n" :
	    "1742774400|1|1000\n1742774700|1|1000\n"
	    "1742775000|1|2000\n1742775300|1|1\n1742775600|1|1\n"
	    "1742775900|1|1\n", "each bin written exactly once");
	free(s);
	s = db_str(path, "SELECT count(*), count(DISTINCT ts || ',' || key)"
	    " FROM flow_rows");
	is_str(s, geteuid() != 0 ? "4004|4004\n" : "4003|4003\n",
	    "no row lost or doubled");
	free(s);
	free(rows);
	free(path);
	free(dir);
	free(cause);
}


static void
test_plans(void)
{
	static const struct {
		const char *where;
		const char *want;	/* in the plan */
		int	 first_only;
	} q[] = {
		{ "sip = '10.0.1.7'", "(text=?)", 0 },
		{ "dip = '192.168.0.7'", "(text=?)", 0 },
		{ "dport = 443", "dport=?", 0 },
		/*
		 * Without sqlite_stat4 the planner takes any proto for a
		 * third of the keys: over many bins, scanning is then cheaper
		 * than a skip-scan per key, and that is what it does.
		 */
		{ "proto = 1", "(proto=?)", 1 },
		{ "proto = 1 AND dport = 0", "(proto=? AND dport=?)", 0 },
		{ "ts BETWEEN 1742774400 AND 1742775000", "(ts>? AND ts<?)", 0 },
		{ "vlan = 2 AND dport = 53", "dport=?", 0 },
		{ "sip = '10.0.1.7' AND ts BETWEEN 1742774400 AND 1742775000",
		    "(text=?)", 0 },
	};
	char *dir = test_dir("plans"), *path, *s, *cause = NULL;
	struct flowtab_row *rows = calloc(20000, sizeof *rows);
	struct flowtab_bin bin;
	struct store *st = store_new(dir, "eth0");
	size_t i;
	int b, rc = 0;

	path = util_printf("%s/eth0/eth0-2025-03-24.db", dir);
	/* First the fresh file, after its first write. */
	for (b = 0; b < 12; b++) {
		rows_fill(rows, 20000, (uint32_t)b);
		bin_init(&bin, T0 + 300 * b, rows, b == 0 ? 1000 : 20000);
		rc |= store_write_bin(st, &bin, NULL, &cause);
		if (b != 0 && b != 11)
			continue;
		for (i = 0; i < sizeof q / sizeof q[0]; i++) {
			if (b != 0 && q[i].first_only)
				continue;
			s = plan_of(path, q[i].where);
			ok(strstr(s, q[i].want) != NULL &&
			    strstr(s, "SCAN") == NULL, "%s bins: WHERE %s: "
			    "indexes only", b ? "12" : "1", q[i].where);
			printf("# %s", s);
			free(s);
		}
	}
	is_int(rc, 0, "writes for the plans");
	store_free(st);
	s = plan_of(path, "dport = 443");
	ok(strstr(s, "ANY(ts)") != NULL, "rows of a key found by skip-scan");
	free(s);
	free(rows);
	free(path);
	free(dir);
	free(cause);
}

/* A small day-file pair for tests/integ/schema.sh. */
static int
make_db(const char *dir)
{
	struct flowtab_row rows[4];
	struct flowtab_bin bin;
	struct store *st = store_new(dir, "eth0");
	char *cause = NULL;
	int rc;

	row_set(&rows[0], "192.0.2.1", "198.51.100.7", 443, 6, 0,
	    1500, 300, 3, 2);
	row_set(&rows[1], "2001:db8::1", "2001:db8::53", 53, 17, 10,
	    80, 160, 1, 1);
	row_set(&rows[2], "192.0.2.1", "198.51.100.8", 0, 1, 0, 84, 84, 1, 1);
	row_set(&rows[3], "192.0.2.2", "198.51.100.7", 443, 6, 0,
	    60, 0, 1, 0);
	bin_init(&bin, T0 + DAY - 300, rows, 4);
	bin.stats.packets = 12;
	bin.stats.ip = 11;
	bin.stats.non_ip = 1;
	bin.stats.reasons[PARSE_NOTIP_ETHERTYPE] = 1;
	bin.stats.kernel_packets = 14;
	bin.stats.kernel_drops = 2;
	rc = store_write_bin(st, &bin, NULL, &cause);
	if (rc == 0) {
		bin_init(&bin, T0 + DAY, rows, 3);
		bin.stats.packets = 11;
		bin.stats.ip = 11;
		rc = store_write_bin(st, &bin, NULL, &cause);
	}
	store_free(st);
	if (rc != 0) {
		fprintf(stderr, "test_store: %s\n", cause);
		free(cause);
		return 1;
	}
	return 0;
}

static const struct {
	const char	*name;
	void		(*fn)(void);
} tests[] = {
	{ "day_path", test_day_path },
	{ "basic", test_basic },
	{ "load_skips_foreign_address", test_load_skips_foreign_address },
	{ "twice", test_twice },
	{ "day_split", test_day_split },
	{ "counters", test_counters },
	{ "refuse", test_refuse },
	{ "guards", test_guards },
	{ "newer", test_newer },
	{ "migrate", test_migrate },
	{ "migrate_v1", test_migrate_v1 },
	{ "cache_fallback", test_cache_fallback },
	{ "many_rows", test_many_rows },
	{ "bulk_keys", test_bulk_keys },
	{ "new_day", test_new_day },
	{ "new_day_fence", test_new_day_fence },
	{ "failures", test_failures },
	{ "plans", test_plans },
	{ "torn_read", test_torn_read },
};

int
main(int argc, char **argv)
{
	char tmpl[] = "/tmp/test_store.XXXXXX";
	const char *tmp = getenv("TMPDIR");
	uint64_t t;
	size_t i;

	if (argc == 3 && strcmp(argv[1], "--make-db") == 0)
		return make_db(argv[2]);
	if (tmp != NULL && *tmp != '\0')
		root = util_printf("%s/test_store.XXXXXX", tmp);
	else
		root = util_strdup(tmpl);
	if (mkdtemp(root) == NULL) {
		perror(root);
		return 1;
	}
	fault_install();

	for (i = 0; i < sizeof tests / sizeof tests[0]; i++) {
		t = util_now_ns();
		tests[i].fn();
		printf("# %s: %.2f s\n", tests[i].name,
		    (double)(util_now_ns() - t) / 1e9);
	}

	if (getenv("TEST_STORE_KEEP") == NULL)
		rm_tree(root);
	else
		printf("# kept %s\n", root);
	free(root);
	return tap_done();
}
