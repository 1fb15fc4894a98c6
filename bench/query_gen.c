/*
 * query_gen.c - write synthetic flowrec day files for bench/query.sh.
 *
 *   query_gen [-r] DBDIR IFACE DAY BINS_PER_DAY FLOWS_PER_BIN POPULATION [SEED]
 *   query_gen -u FILE...
 *   query_gen -t N COMMAND [ARG...]
 *
 * writes DBDIR/IFACE/IFACE-DAY.db (DAY as YYYY-MM-DD) straight through
 * SQLite with the embedded schema (sql/schema.sql), as flowrecd's store
 * would after a day of capture, then ANALYZE and WAL mode: a schema
 * version 1 file.  With -r, or for each FILE of an existing store with -u,
 * it makes the file a version 2 one: the rollups flow_rows_1h and
 * flow_rows_1d summed from the file's own flow_rows (read back, so they are
 * exact), every hour and the day marked complete in `rollups`,
 * user_version 2; and once the file is closed (its WAL folded), its row in
 * DBDIR/catalog.db, the bins' sums and the files' stat() values.
 *
 * -t is the benchmark's stopwatch: it runs COMMAND N times (output to
 * /dev/null) and prints the median wall time in milliseconds, without
 * the cost of a date(1) process per reading.
 *
 * The traffic model: a population of POPULATION flow keys recurs all day,
 * as on a real link where the same clients talk to the same services.
 * Clients (20,000; one in ten IPv6) and servers (2,000) are drawn with a
 * skew (u^2, u^3), so a few hosts are busy and most are quiet; services
 * follow a typical mix (443/tcp 40 %, 80/tcp 15 %, 53/udp 15 %, 22/tcp,
 * 123/udp, ICMP, the rest random ports).  A fifth of the keys are "hot"
 * and active in nine bins of ten; the rest form a long tail, each active
 * in a bin with the probability that brings a bin to FLOWS_PER_BIN rows
 * on average.  Packets per row are heavy-tailed (Pareto-like), bytes are
 * 64 to 1500 per packet, one row in ten is one-directional.  Everything
 * derives from SEED, so a store is reproducible.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "catalog.h"
#include "store.h"

#define NCLIENTS	20000
#define NSERVERS	2000

static uint64_t rng_state;

static uint64_t
rng(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static double
rng_unit(void)
{
	return (double)(rng() >> 11) / 9007199254740992.0;
}

struct key {
	uint32_t	 client, server;
	uint16_t	 dport;
	uint8_t		 proto;
	uint8_t		 hot;
};

static void
die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "query_gen: %s: %s\n", what,
	    db != NULL ? sqlite3_errmsg(db) : strerror(errno));
	exit(1);
}

static void
exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(db, sql);
}

/* Address of a client (id 1..) or server (id NCLIENTS+1..). */
static int
addr_of(uint32_t id, uint8_t *ip, char *text, size_t len)
{
	int v6 = id <= NCLIENTS ? (id % 10 == 0) : 0;
	uint32_t n;

	memset(ip, 0, 16);
	if (id > NCLIENTS) {
		/* servers: 10.0.0.0/16, and their IPv6 twins */
		n = id - NCLIENTS;
		if (n > NSERVERS) {
			n -= NSERVERS;
			v6 = 1;
		}
		if (v6) {
			memcpy(ip, "\x20\x01\x0d\xb8\xff\xff", 6);
			ip[14] = (uint8_t)(n >> 8);
			ip[15] = (uint8_t)n;
		} else {
			ip[0] = 10;
			ip[2] = (uint8_t)(n >> 8);
			ip[3] = (uint8_t)n;
		}
	} else if (v6) {
		memcpy(ip, "\x20\x01\x0d\xb8\x00\x01", 6);
		ip[14] = (uint8_t)(id >> 8);
		ip[15] = (uint8_t)id;
	} else {
		ip[0] = 10;
		ip[1] = (uint8_t)(128 + (id >> 16));
		ip[2] = (uint8_t)(id >> 8);
		ip[3] = (uint8_t)id;
	}
	inet_ntop(v6 ? AF_INET6 : AF_INET, ip, text, (socklen_t)len);
	return v6 ? 16 : 4;
}

/* ------------------------------------------------------------ version 2 */

/* The rollup tables and the catalog, as schema version 2 defines them. */
static const char rollup_sql[] =
    "CREATE TABLE IF NOT EXISTS flow_rows_1h (ts INTEGER NOT NULL, "
    "key INTEGER NOT NULL, bytes_rcvd INTEGER NOT NULL, "
    "bytes_sent INTEGER NOT NULL, pkts_rcvd INTEGER NOT NULL, "
    "pkts_sent INTEGER NOT NULL, PRIMARY KEY (ts, key)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS flow_rows_1d (ts INTEGER NOT NULL, "
    "key INTEGER NOT NULL, bytes_rcvd INTEGER NOT NULL, "
    "bytes_sent INTEGER NOT NULL, pkts_rcvd INTEGER NOT NULL, "
    "pkts_sent INTEGER NOT NULL, PRIMARY KEY (ts, key)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS rollups (span INTEGER NOT NULL, "
    "ts INTEGER NOT NULL, rows INTEGER NOT NULL, "
    "PRIMARY KEY (span, ts)) WITHOUT ROWID;"
    "DELETE FROM flow_rows_1h; DELETE FROM flow_rows_1d; DELETE FROM rollups";

struct racc {
	uint64_t	 br, bs, pr, ps;
};

static int
id_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Write the touched sums of acc at ts into ins, in key order; clear them. */
static int64_t
rollup_flush(sqlite3 *db, sqlite3_stmt *ins, int64_t ts, struct racc *acc,
    uint32_t *touched, size_t *ntouched)
{
	size_t	 i;
	int64_t	 n = (int64_t)*ntouched;

	if (*ntouched > 1)
		qsort(touched, *ntouched, sizeof *touched, id_cmp);
	for (i = 0; i < *ntouched; i++) {
		struct racc *a = &acc[touched[i]];

		sqlite3_bind_int64(ins, 1, ts);
		sqlite3_bind_int64(ins, 2, touched[i]);
		sqlite3_bind_int64(ins, 3, (int64_t)a->br);
		sqlite3_bind_int64(ins, 4, (int64_t)a->bs);
		sqlite3_bind_int64(ins, 5, (int64_t)a->pr);
		sqlite3_bind_int64(ins, 6, (int64_t)a->ps);
		if (sqlite3_step(ins) != SQLITE_DONE)
			die(db, "insert rollup row");
		sqlite3_reset(ins);
		memset(a, 0, sizeof *a);
	}
	*ntouched = 0;
	return n;
}

static void
rollup_mark(sqlite3 *db, int64_t span, int64_t ts, int64_t rows)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "INSERT INTO rollups VALUES (?, ?, ?)", -1,
	    &st, NULL) != SQLITE_OK)
		die(db, "rollups");
	sqlite3_bind_int64(st, 1, span);
	sqlite3_bind_int64(st, 2, ts);
	sqlite3_bind_int64(st, 3, rows);
	if (sqlite3_step(st) != SQLITE_DONE)
		die(db, "insert rollup");
	sqlite3_finalize(st);
}

/*
 * Sum flow_rows of the day starting at day into flow_rows_1h (per hour)
 * and flow_rows_1d, mark every hour and the day complete, and set
 * user_version 2; one transaction.  The rows are read back from the file,
 * in (ts, key) order, so the sums are those of what was written.
 */
static void
rollup_write(sqlite3 *db, int64_t day)
{
	sqlite3_stmt	*st, *ins_h, *ins_d;
	struct racc	*hacc, *dacc;
	uint32_t	*htouch, *dtouch;
	size_t		 nh = 0, nd = 0;
	int64_t		 maxkey, hour = INT64_MIN, ts, key, h, rows[24];
	uint64_t	 v[4];
	int		 i, rc;

	exec(db, "BEGIN");
	exec(db, rollup_sql);
	if (sqlite3_prepare_v2(db, "SELECT max(id) FROM flow_keys", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		die(db, "max key");
	maxkey = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (maxkey < 0 || maxkey > 0x7fffffff)
		die(db, "implausible key ids");
	if ((hacc = calloc((size_t)maxkey + 1, sizeof *hacc)) == NULL ||
	    (dacc = calloc((size_t)maxkey + 1, sizeof *dacc)) == NULL ||
	    (htouch = calloc((size_t)maxkey + 1, sizeof *htouch)) == NULL ||
	    (dtouch = calloc((size_t)maxkey + 1, sizeof *dtouch)) == NULL)
		die(NULL, "memory");
	if (sqlite3_prepare_v2(db, "INSERT INTO flow_rows_1h VALUES (?, ?, ?, "
	    "?, ?, ?)", -1, &ins_h, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO flow_rows_1d VALUES (?, ?, ?, "
	    "?, ?, ?)", -1, &ins_d, NULL) != SQLITE_OK)
		die(db, "rollup insert");
	if (sqlite3_prepare_v2(db, "SELECT ts, key, bytes_rcvd, bytes_sent, "
	    "pkts_rcvd, pkts_sent FROM flow_rows WHERE ts >= ? AND ts < ? "
	    "ORDER BY ts, key", -1, &st, NULL) != SQLITE_OK)
		die(db, "flow_rows");
	sqlite3_bind_int64(st, 1, day);
	sqlite3_bind_int64(st, 2, day + 86400);
	memset(rows, 0, sizeof rows);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ts = sqlite3_column_int64(st, 0);
		key = sqlite3_column_int64(st, 1);
		if (key < 0 || key > maxkey)
			die(NULL, "a row with a key not in flow_keys");
		for (i = 0; i < 4; i++)
			v[i] = (uint64_t)sqlite3_column_int64(st, 2 + i);
		h = ts - ts % 3600;
		if (h != hour) {
			if (hour != INT64_MIN)
				rows[(hour - day) / 3600] = rollup_flush(db,
				    ins_h, hour, hacc, htouch, &nh);
			hour = h;
		}
		if ((hacc[key].br | hacc[key].bs | hacc[key].pr |
		    hacc[key].ps) == 0)
			htouch[nh++] = (uint32_t)key;
		if ((dacc[key].br | dacc[key].bs | dacc[key].pr |
		    dacc[key].ps) == 0)
			dtouch[nd++] = (uint32_t)key;
		hacc[key].br += v[0]; dacc[key].br += v[0];
		hacc[key].bs += v[1]; dacc[key].bs += v[1];
		hacc[key].pr += v[2]; dacc[key].pr += v[2];
		hacc[key].ps += v[3]; dacc[key].ps += v[3];
	}
	if (rc != SQLITE_DONE)
		die(db, "reading flow_rows");
	sqlite3_finalize(st);
	if (hour != INT64_MIN)
		rows[(hour - day) / 3600] = rollup_flush(db, ins_h, hour, hacc,
		    htouch, &nh);
	for (i = 0; i < 24; i++)
		rollup_mark(db, 3600, day + i * 3600, rows[i]);
	rollup_mark(db, 86400, day, rollup_flush(db, ins_d, day, dacc, dtouch,
	    &nd));
	sqlite3_finalize(ins_h);
	sqlite3_finalize(ins_d);
	exec(db, "PRAGMA user_version = 2");
	exec(db, "COMMIT");
	free(hacc);
	free(dacc);
	free(htouch);
	free(dtouch);
}

/*
 * Record the closed day file path (DBDIR/IFACE/IFACE-DAY.db) in
 * DBDIR/catalog.db with the totals d, as the store does.
 */
static void
catalog_write(const char *path, const struct catalog_day *d)
{
	char	*copy, *dir, *iface, *name, *cause = NULL, day[11];

	/* DBDIR/IFACE/IFACE-YYYY-MM-DD.db */
	if ((copy = strdup(path)) == NULL ||
	    (name = strrchr(copy, '/')) == NULL)
		die(NULL, "catalog: not DBDIR/IFACE/FILE");
	*name++ = '\0';
	if ((iface = strrchr(copy, '/')) != NULL) {
		*iface++ = '\0';
		dir = copy;
	} else {
		iface = copy;
		dir = ".";
	}
	if (strlen(name) < 14 || strcmp(name + strlen(name) - 3, ".db") != 0)
		die(NULL, "catalog: not a day file name");
	memcpy(day, name + strlen(name) - 13, 10);
	day[10] = '\0';
	if (catalog_update(dir, iface, day, path, d, &cause) != 0) {
		fprintf(stderr, "query_gen: %s\n", cause);
		exit(1);
	}
	free(copy);
}

/* The bins' sums of an open day file, or die. */
static void
catalog_sums(sqlite3 *db, struct catalog_day *d)
{
	if (catalog_day_read(db, d) != SQLITE_OK)
		die(db, "bins sums");
}

/* UTC midnight of the day in a day file's name, or die. */
static int64_t
name_day(const char *path)
{
	struct tm	 tm;
	size_t		 len = strlen(path);

	memset(&tm, 0, sizeof tm);
	if (len < 13 || strptime(path + len - 13, "%Y-%m-%d.db", &tm) == NULL) {
		fprintf(stderr, "query_gen: %s: not a day file\n", path);
		exit(1);
	}
	return (int64_t)timegm(&tm);
}

/* -u: make existing version 1 day files version 2 ones. */
static int
upgrade(int argc, char **argv)
{
	sqlite3		*db;
	struct catalog_day sums;
	int		 i;

	for (i = 0; i < argc; i++) {
		if (sqlite3_open_v2(argv[i], &db, SQLITE_OPEN_READWRITE, NULL) !=
		    SQLITE_OK)
			die(db, argv[i]);
		exec(db, "PRAGMA cache_size = -262144");
		rollup_write(db, name_day(argv[i]));
		catalog_sums(db, &sums);
		/* the last connection folds the WAL into the file */
		if (sqlite3_close(db) != SQLITE_OK)
			die(db, "close");
		catalog_write(argv[i], &sums);
	}
	return 0;
}

static int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* -t: the median wall time of n runs of argv, in ms; -1 when one failed. */
static int
timeit(int n, char **argv)
{
	struct timespec	 a, b;
	double		*t;
	pid_t		 pid;
	int		 i, status, fd, failed = 0;

	if (n < 1 || (t = calloc((size_t)n, sizeof *t)) == NULL)
		return 2;
	for (i = 0; i < n; i++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		if ((pid = fork()) == 0) {
			if ((fd = open("/dev/null", O_WRONLY)) >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
			execvp(argv[0], argv);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
		clock_gettime(CLOCK_MONOTONIC, &b);
		t[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 +
		    (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	}
	qsort(t, (size_t)n, sizeof *t, dbl_cmp);
	printf("%.1f\n", failed ? -1 : t[n / 2]);
	free(t);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct { uint16_t port; uint8_t proto; int pct; } svc[] = {
		{ 443, 6, 40 }, { 80, 6, 15 }, { 53, 17, 15 }, { 22, 6, 3 },
		{ 123, 17, 2 }, { 0, 1, 3 }, { 0, 0, 22 },
	};
	sqlite3		*db;
	sqlite3_stmt	*st;
	struct key	*keys;
	uint8_t		 ip[16], *used;
	char		 text[64], *path, *dir;
	struct tm	 tm;
	int64_t		 day, ts;
	uint64_t	*seen, h, nseen;
	uint64_t	 pr, ps, br, bs, tot[4], rows, v4, v6;
	double		 p_hot, p_tail, u;
	long		 bins, per_bin, pop, i, b, k, s, c, len, nhot;
	unsigned	 seed = 1;
	int		 v2 = 0;
	struct catalog_day sums;

	if (argc > 2 && strcmp(argv[1], "-u") == 0)
		return upgrade(argc - 2, argv + 2);
	if (argc > 3 && strcmp(argv[1], "-t") == 0)
		return timeit(atoi(argv[2]), argv + 3);
	if (argc > 1 && strcmp(argv[1], "-r") == 0) {
		v2 = 1;
		argc--;
		argv++;
	}
	if (argc < 7) {
		fprintf(stderr, "usage: query_gen [-r] DBDIR IFACE DAY BINS FLOWS "
		    "POPULATION [SEED]\n       query_gen -u FILE...\n");
		return 2;
	}
	bins = atol(argv[4]);
	per_bin = atol(argv[5]);
	pop = atol(argv[6]);
	if (argc > 7)
		seed = (unsigned)atol(argv[7]);
	if (bins < 1 || bins > 86400 || 86400 % bins != 0 || per_bin < 1 ||
	    pop < per_bin) {
		fprintf(stderr, "query_gen: bad sizes\n");
		return 2;
	}
	memset(&tm, 0, sizeof tm);
	if (strptime(argv[3], "%Y-%m-%d", &tm) == NULL) {
		fprintf(stderr, "query_gen: bad day %s\n", argv[3]);
		return 2;
	}
	day = (int64_t)timegm(&tm);
	rng_state = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)seed * 0x100000001b3ULL);

	/* the key population, without duplicates */
	if ((keys = calloc((size_t)pop, sizeof *keys)) == NULL ||
	    (seen = calloc((size_t)pop * 4, sizeof *seen)) == NULL)
		die(NULL, "memory");
	nhot = pop / 5;
	for (k = 0; k < pop; k++) {
		for (;;) {
			u = rng_unit();
			keys[k].client = 1 + (uint32_t)(u * u * NCLIENTS);
			u = rng_unit();
			keys[k].server = (uint32_t)(u * u * u * NSERVERS);
			c = (long)(rng() % 100);
			for (s = 0; c >= svc[s].pct; s++)
				c -= svc[s].pct;
			keys[k].proto = svc[s].proto ? svc[s].proto :
			    (rng() % 4 ? 6 : 17);
			keys[k].dport = svc[s].proto ? svc[s].port :
			    (uint16_t)(1024 + rng() % 30000);
			h = ((uint64_t)keys[k].client << 40) ^
			    ((uint64_t)keys[k].server << 24) ^
			    ((uint64_t)keys[k].dport << 8) ^ keys[k].proto;
			h = h * 0x9e3779b97f4a7c15ULL + 1;
			for (i = (long)(h % ((uint64_t)pop * 4)); seen[i] != 0 &&
			    seen[i] != h; i = (i + 1) % (pop * 4))
				;
			if (seen[i] == h)
				continue;
			seen[i] = h;
			break;
		}
		keys[k].hot = k < nhot;
	}
	free(seen);
	nseen = 0;
	p_hot = 0.9;
	p_tail = ((double)per_bin - p_hot * (double)nhot) / (double)(pop - nhot);
	if (p_tail < 0) {
		p_hot = (double)per_bin / (double)nhot;
		p_tail = 0;
	}

	if (asprintf(&dir, "%s/%s", argv[1], argv[2]) < 0)
		die(NULL, "memory");
	mkdir(argv[1], 0755);
	mkdir(dir, 0755);
	len = (long)strlen(dir) + (long)strlen(argv[2]) + 32;
	if ((path = malloc((size_t)len)) == NULL)
		die(NULL, "memory");
	snprintf(path, (size_t)len, "%s/%s-%s.db", dir, argv[2], argv[3]);
	remove(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die(db, path);
	exec(db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
	    "PRAGMA cache_size = -262144");
	exec(db, store_schema_sql);
	exec(db, "BEGIN");

	/* addresses the keys use, ids as addr_of() numbers */
	if ((used = calloc(NCLIENTS + 2 * NSERVERS + 1, 1)) == NULL)
		die(NULL, "memory");
	for (k = 0; k < pop; k++) {
		used[keys[k].client] = 1;
		used[NCLIENTS + 1 + keys[k].server +
		    (keys[k].client % 10 == 0 ? NSERVERS : 0)] = 1;
	}
	if (sqlite3_prepare_v2(db, "INSERT INTO addrs (id, ip, text) VALUES "
	    "(?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		die(db, "addrs");
	for (i = 1; i <= NCLIENTS + 2 * NSERVERS; i++) {
		int alen;

		if (!used[i])
			continue;
		alen = addr_of((uint32_t)i, ip, text, sizeof text);

		sqlite3_bind_int64(st, 1, i);
		sqlite3_bind_blob(st, 2, ip, alen, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			die(db, "insert addr");
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	free(used);

	/* flow keys: id k+1; an IPv6 client talks to an IPv6 server */
	if (sqlite3_prepare_v2(db, "INSERT INTO flow_keys (id, sip, dip, "
	    "dport, proto, vlan) VALUES (?, ?, ?, ?, ?, 0)", -1, &st, NULL) !=
	    SQLITE_OK)
		die(db, "flow_keys");
	for (k = 0; k < pop; k++) {
		uint32_t srv = NCLIENTS + 1 + keys[k].server +
		    (keys[k].client % 10 == 0 ? NSERVERS : 0);

		sqlite3_bind_int64(st, 1, k + 1);
		sqlite3_bind_int64(st, 2, keys[k].client);
		sqlite3_bind_int64(st, 3, srv);
		sqlite3_bind_int(st, 4, keys[k].dport);
		sqlite3_bind_int(st, 5, keys[k].proto);
		if (sqlite3_step(st) != SQLITE_DONE)
			die(db, "insert key");
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);

	/* rows, bin by bin, keys in id order (appended to the b-tree) */
	if (sqlite3_prepare_v2(db, "INSERT INTO flow_rows VALUES (?, ?, ?, ?, "
	    "?, ?)", -1, &st, NULL) != SQLITE_OK)
		die(db, "flow_rows");
	for (b = 0; b < bins; b++) {
		sqlite3_stmt *bst;

		ts = day + b * (86400 / bins);
		memset(tot, 0, sizeof tot);
		rows = v4 = v6 = 0;
		for (k = 0; k < pop; k++) {
			if (rng_unit() >= (keys[k].hot ? p_hot : p_tail))
				continue;
			u = rng_unit();
			pr = 1 + (uint64_t)(2.0 / pow(1.0 - u * 0.999, 1.2));
			ps = 1 + (uint64_t)((double)pr * (0.3 + rng_unit()));
			if (rng() % 10 == 0) {
				if (rng() % 2)
					pr = 0;
				else
					ps = 0;
			}
			br = pr * (64 + rng() % 1437);
			bs = ps * (64 + rng() % 1437);
			sqlite3_bind_int64(st, 1, ts);
			sqlite3_bind_int64(st, 2, k + 1);
			sqlite3_bind_int64(st, 3, (int64_t)br);
			sqlite3_bind_int64(st, 4, (int64_t)bs);
			sqlite3_bind_int64(st, 5, (int64_t)pr);
			sqlite3_bind_int64(st, 6, (int64_t)ps);
			if (sqlite3_step(st) != SQLITE_DONE)
				die(db, "insert row");
			sqlite3_reset(st);
			tot[0] += br; tot[1] += bs; tot[2] += pr; tot[3] += ps;
			rows++;
			if (keys[k].client % 10 == 0)
				v6++;
			else
				v4++;
		}
		nseen += rows;
		if (sqlite3_prepare_v2(db, "INSERT INTO bins (ts, interval, "
		    "writes, packets, ip, flows, flows_v4, flows_v6, bytes_rcvd, "
		    "bytes_sent, pkts_rcvd, pkts_sent, kernel_packets) VALUES "
		    "(?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &bst, NULL) !=
		    SQLITE_OK)
			die(db, "bins");
		sqlite3_bind_int64(bst, 1, ts);
		sqlite3_bind_int64(bst, 2, 86400 / bins);
		sqlite3_bind_int64(bst, 3, (int64_t)(tot[2] + tot[3]));
		sqlite3_bind_int64(bst, 4, (int64_t)(tot[2] + tot[3]));
		sqlite3_bind_int64(bst, 5, (int64_t)rows);
		sqlite3_bind_int64(bst, 6, (int64_t)v4);
		sqlite3_bind_int64(bst, 7, (int64_t)v6);
		sqlite3_bind_int64(bst, 8, (int64_t)tot[0]);
		sqlite3_bind_int64(bst, 9, (int64_t)tot[1]);
		sqlite3_bind_int64(bst, 10, (int64_t)tot[2]);
		sqlite3_bind_int64(bst, 11, (int64_t)tot[3]);
		sqlite3_bind_int64(bst, 12, (int64_t)(tot[2] + tot[3]));
		if (sqlite3_step(bst) != SQLITE_DONE)
			die(db, "insert bin");
		sqlite3_finalize(bst);
	}
	sqlite3_finalize(st);
	exec(db, "INSERT INTO meta VALUES ('generator', 'bench/query_gen')");
	exec(db, "COMMIT");
	exec(db, "PRAGMA user_version = 1; PRAGMA application_id = 1718382455");
	if (v2)
		rollup_write(db, day);
	exec(db, "ANALYZE");
	exec(db, "PRAGMA journal_mode = WAL");
	catalog_sums(db, &sums);
	/* the last connection folds the WAL into the file */
	if (sqlite3_close(db) != SQLITE_OK)
		die(db, "close");
	if (v2)
		catalog_write(path, &sums);
	printf("%s: %ld bins, %llu rows, %ld keys\n", path, bins,
	    (unsigned long long)nseen, pop);
	free(keys);
	free(path);
	free(dir);
	return 0;
}
