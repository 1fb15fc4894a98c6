/*
 * store_bench.c - measure store_write_bin() on synthetic bins, and write
 * bins without end for the kill -9 test.
 *
 *   store_bench bench DIR [ROWS [BINS]]
 *	the cases of doc/storage.md, into day files under DIR (default
 *	1000000 rows a bin, a day of 20 bins): a fresh file; a day of BINS
 *	bins whose keys mostly recur; then into that day (a) a bin of mostly
 *	recurring keys, (b) a bin of new keys, (c) like (a) after reopening;
 *	prints CPU, wall time, rows/s and bytes/row for each.
 *   store_bench write DIR IFACE ROWS FIRSTKEY BIN
 *	write one bin of ROWS rows, keys from FIRSTKEY on, as bin number BIN
 *	of the day into IFACE's file under DIR; prints its CPU time.
 *   store_bench fill DIR ROWS [BINS [FIRST [STEP]]]
 *	write BINS bins (0: without end) of ROWS rows from bin number FIRST,
 *	STEP seconds apart (default 300; 86400: each bin starts a day),
 *	printing "writing TS" before and "wrote TS" after each write (the
 *	kill -9 test reads them).
 *
 * Keys: key number j has a client c = j mod 400000 and a server
 * s = (j div 400000 + 7919 c) mod 50000, so distinct j give distinct
 * keys; family, port, protocol, VLAN and counters come from a hash of j.
 * Bin b of a day uses keys [b * ROWS / 20, b * ROWS / 20 + ROWS): 95 %
 * of them recur from the bin before.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "store.h"
#include "util.h"

#define NCLIENTS	400000u
#define NSERVERS	50000u
#define T0		1742774400	/* 2025-03-24T00:00:00Z */

/* New keys per bin in a day: a twentieth. */
#define SHIFT(rows)	((uint64_t)((rows) / 20 ? (rows) / 20 : 1))

static uint64_t
bench_hash(uint64_t x)
{
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 32;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static void
bench_addr(uint8_t *ip, int family, int server, uint32_t n)
{
	memset(ip, 0, 16);
	if (family == 4) {
		ip[0] = server ? 192 : 10;
		ip[1] = server ? 168 : (uint8_t)(n >> 16);
		ip[2] = (uint8_t)(n >> 8);
		ip[3] = (uint8_t)n;
	} else {
		ip[0] = server ? 0xfd : 0x20;
		ip[1] = server ? 0x00 : 0x01;
		ip[2] = 0x0d;
		ip[3] = 0xb8;
		ip[13] = (uint8_t)(n >> 16);
		ip[14] = (uint8_t)(n >> 8);
		ip[15] = (uint8_t)n;
	}
}

static void
bench_row(struct flowtab_row *r, uint64_t j)
{
	uint64_t h = bench_hash(j + 1);
	uint32_t c = (uint32_t)(j % NCLIENTS);
	uint32_t s = (uint32_t)((j / NCLIENTS + 7919ull * c) % NSERVERS);
	unsigned p = (unsigned)(h >> 8) % 100, size;

	memset(r, 0, sizeof *r);
	r->key.family = h % 10 == 0 ? 6 : 4;
	bench_addr(r->key.sip, r->key.family, 0, c);
	bench_addr(r->key.dip, r->key.family, 1, s);
	if (p < 40) {
		r->key.dport = 443;
		r->key.proto = 6;
	} else if (p < 55) {
		r->key.dport = 80;
		r->key.proto = 6;
	} else if (p < 65) {
		r->key.dport = 53;
		r->key.proto = 17;
	} else if (p < 68) {
		r->key.dport = 0;
		r->key.proto = 1;
	} else {
		r->key.dport = (uint16_t)(1024 + (h >> 16) % 64512);
		r->key.proto = (h >> 40) & 1 ? 6 : 17;
	}
	r->key.vlan = (h >> 48) % 10 == 0 ? 10 : 0;
	r->pkts_rcvd = 1 + (h >> 20) % 20;
	r->pkts_sent = (h >> 28) % 15;
	size = 60 + (unsigned)((h >> 36) % 1440);
	r->bytes_rcvd = r->pkts_rcvd * size;
	r->bytes_sent = r->pkts_sent * 80;
}

/* A bin of rows for keys [first, first + n), in a shuffled order. */
static void
bench_bin(struct flowtab_bin *bin, struct flowtab_row *rows, size_t n,
    uint64_t first, int64_t ts)
{
	size_t i, k;
	struct flowtab_row t;

	for (i = 0; i < n; i++)
		bench_row(&rows[i], first + i);
	for (i = n; i > 1; i--) {
		k = (size_t)(bench_hash(first ^ (i * 0x9e37)) % i);
		t = rows[i - 1];
		rows[i - 1] = rows[k];
		rows[k] = t;
	}
	memset(bin, 0, sizeof *bin);
	bin->ts = ts;
	bin->interval = 300;
	bin->rows = rows;
	bin->nrows = n;
	bin->stats.packets = n * 10;
	bin->stats.ip = n * 10;
}

static double
bench_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static long long
bench_file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* Print bytes/row of a closed day file, and dbstat's bytes per b-tree. */
static void
bench_size(const char *path, const char *label)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long long rows = 0, size = bench_file_size(path);

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return;
	if (sqlite3_prepare_v2(db, "SELECT sum(flows) FROM bins", -1, &s,
	    NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		rows = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	printf("%-28s file %lld B, %lld rows: %.1f B/row\n", label, size, rows,
	    rows ? (double)size / (double)rows : 0.0);
	if (sqlite3_prepare_v2(db, "SELECT name, sum(pgsize), sum(ncell),"
	    " 100.0 * sum(pgsize - unused) / sum(pgsize) FROM dbstat"
	    " GROUP BY name ORDER BY 2 DESC", -1, &s, NULL) == SQLITE_OK) {
		while (sqlite3_step(s) == SQLITE_ROW)
			printf("    %-30s %12lld B %6.1f B/row  %5.1f %% full\n",
			    (const char *)sqlite3_column_text(s, 0),
			    sqlite3_column_int64(s, 1),
			    rows ? (double)sqlite3_column_int64(s, 1) /
			    (double)rows : 0.0, sqlite3_column_double(s, 3));
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static int
bench_write(struct store *st, struct flowtab_bin *bin, const char *label)
{
	struct store_write_result res;
	char *cause = NULL;
	double cpu = bench_cpu();
	uint64_t t = util_now_ns();
	double wall;
	int rc;

	rc = store_write_bin(st, bin, &res, &cause);
	cpu = bench_cpu() - cpu;
	wall = (double)(util_now_ns() - t) / 1e9;
	if (rc != 0) {
		fprintf(stderr, "store_bench: %s\n", cause);
		free(cause);
		return -1;
	}
	printf("%-28s %8zu rows: cpu %.2f s, wall %.2f s, %.0f rows/s (cpu);"
	    " new %zu rows, %zu keys, %zu addrs\n", label, bin->nrows, cpu,
	    wall, (double)bin->nrows / cpu, res.rows_new, res.keys_new,
	    res.addrs_new);
	fflush(stdout);
	return 0;
}

static int
bench_run(const char *dir, size_t rows, int bins)
{
	struct flowtab_row *r = calloc(rows, sizeof *r);
	struct flowtab_bin bin;
	struct store *st;
	char label[64], *fresh, *day;
	double cpu;
	int b;

	if (r == NULL)
		return 1;
	/* A fresh file: all keys and addresses new. */
	st = store_new(dir, "fresh0");
	bench_bin(&bin, r, rows, 0, T0);
	if (bench_write(st, &bin, "fresh file") != 0)
		return 1;
	cpu = bench_cpu();
	store_free(st);
	printf("%-28s cpu %.2f s\n", "close (ANALYZE)", bench_cpu() - cpu);
	fresh = store_day_path(dir, "fresh0", T0);
	bench_size(fresh, "fresh file");

	/* A day of bins whose keys mostly recur. */
	st = store_new(dir, "day0");
	for (b = 0; b < bins; b++) {
		bench_bin(&bin, r, rows, (uint64_t)b * SHIFT(rows), T0 + 300 * b);
		snprintf(label, sizeof label, "day bin %d", b + 1);
		if (bench_write(st, &bin, label) != 0)
			return 1;
	}
	bench_bin(&bin, r, rows, (uint64_t)bins * SHIFT(rows), T0 + 300 * bins);
	if (bench_write(st, &bin, "(a) recurring keys") != 0)
		return 1;
	bench_bin(&bin, r, rows, 100000000, T0 + 300 * (bins + 1));
	if (bench_write(st, &bin, "(b) new keys") != 0)
		return 1;
	cpu = bench_cpu();
	store_free(st);
	printf("%-28s cpu %.2f s\n", "close (ANALYZE)", bench_cpu() - cpu);
	st = store_new(dir, "day0");
	bench_bin(&bin, r, rows, (uint64_t)(bins + 1) * SHIFT(rows),
	    T0 + 300 * (bins + 2));
	if (bench_write(st, &bin, "(c) recurring, reopened") != 0)
		return 1;
	cpu = bench_cpu();
	store_free(st);
	printf("%-28s cpu %.2f s\n", "close (ANALYZE)", bench_cpu() - cpu);
	day = store_day_path(dir, "day0", T0);
	bench_size(day, "day file");
	free(fresh);
	free(day);
	free(r);
	return 0;
}

static int
bench_fill(const char *dir, size_t rows, long bins, long first, long step)
{
	struct flowtab_row *r = calloc(rows ? rows : 1, sizeof *r);
	struct flowtab_bin bin;
	struct store *st = store_new(dir, "fill0");
	char *cause = NULL;
	long b;

	if (r == NULL)
		return 1;
	for (b = first; bins == 0 || b < first + bins; b++) {
		bench_bin(&bin, r, rows, (uint64_t)b * SHIFT(rows), T0 + step * b);
		printf("writing %lld\n", (long long)bin.ts);
		fflush(stdout);
		if (store_write_bin(st, &bin, NULL, &cause) != 0) {
			fprintf(stderr, "store_bench: %s\n", cause);
			return 1;
		}
		printf("wrote %lld\n", (long long)bin.ts);
		fflush(stdout);
	}
	store_free(st);
	free(r);
	return 0;
}

int
main(int argc, char **argv)
{
	/* FLOWREC_DEBUG=1: the store's timings of each phase. */
	if (getenv("FLOWREC_DEBUG") != NULL)
		util_log_open("store_bench", LOG_LEVEL_DEBUG, 0);
	if (argc >= 3 && strcmp(argv[1], "bench") == 0)
		return bench_run(argv[2], argc > 3 ? strtoul(argv[3], NULL,
		    10) : 1000000, argc > 4 ? atoi(argv[4]) : 20);
	if (argc == 7 && strcmp(argv[1], "write") == 0) {
		size_t rows = strtoul(argv[4], NULL, 10);
		struct flowtab_row *r = calloc(rows, sizeof *r);
		struct flowtab_bin bin;
		struct store *st = store_new(argv[2], argv[3]);
		int rc;

		bench_bin(&bin, r, rows, strtoull(argv[5], NULL, 10),
		    T0 + 300 * atol(argv[6]));
		rc = bench_write(st, &bin, "one bin");
		store_free(st);
		free(r);
		return rc != 0;
	}
	if (argc >= 4 && strcmp(argv[1], "fill") == 0)
		return bench_fill(argv[2], strtoul(argv[3], NULL, 10),
		    argc > 4 ? atol(argv[4]) : 0, argc > 5 ? atol(argv[5]) : 0,
		    argc > 6 ? atol(argv[6]) : 300);
	fprintf(stderr, "usage: store_bench bench DIR [ROWS [BINS]]\n"
	    "       store_bench fill DIR ROWS [BINS [FIRST [STEP]]]\n");
	return 2;
}
