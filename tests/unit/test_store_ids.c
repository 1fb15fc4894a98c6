/*
 * test_store_ids.c - unit tests of the store's ids, alone (src/store_ids.c).
 *
 * The binary links libflowrec.a without SQLite: if store_ids.c came to
 * need SQLite (or any other module), it would not link.  Checked here:
 * the address text against glibc's inet_ntop(); the radix sorts against
 * qsort() (keys, and row handles, which must also keep the order of equal
 * ids); the address order against the BLOB order SQLite uses for
 * addrs.ip; both maps (every entry found after growing, no false hit,
 * load at most 0.7, clear); and the settling of PENDING references once
 * new addresses and keys have their ids.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "tap.h"

static uint64_t rng = 0x243f6a8885a308d3ULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* store__addr_text() writes what inet_ntop() writes, for every shape. */
static void
test_addr_text(void)
{
	static const unsigned words[] = { 0, 1, 0xffff, 0xabc };
	char want[INET6_ADDRSTRLEN], got[INET6_ADDRSTRLEN];
	uint8_t ip[16];
	unsigned pat, i, w;
	uint32_t x = 12345;
	int bad = 0, n = 0;
	size_t len;

	/* Every pattern of zero, one-digit and four-digit groups ... */
	for (pat = 0; pat < 65536; pat++) {
		for (i = 0; i < 8; i++) {
			w = words[pat >> (2 * i) & 3];
			ip[2 * i] = (uint8_t)(w >> 8);
			ip[2 * i + 1] = (uint8_t)w;
		}
		inet_ntop(AF_INET6, ip, want, sizeof want);
		len = store__addr_text(ip, 6, got);
		if (strcmp(got, want) != 0 || len != strlen(want)) {
			if (bad++ < 5)
				printf("# %s != %s\n", got, want);
		}
		n++;
	}
	/* ... then random ones, with zero bytes and IPv4 too. */
	for (i = 0; i < 200000; i++) {
		for (w = 0; w < 16; w++) {
			x = x * 1103515245u + 12345u;
			ip[w] = (x >> 16) % 3 == 0 ? 0 : (uint8_t)(x >> 20);
		}
		if (i % 7 == 0)
			memset(ip, 0, 10 + (i / 7) % 3 * 2);
		inet_ntop(AF_INET6, ip, want, sizeof want);
		store__addr_text(ip, 6, got);
		bad += strcmp(got, want) != 0;
		inet_ntop(AF_INET, ip, want, sizeof want);
		store__addr_text(ip, 4, got);
		bad += strcmp(got, want) != 0;
		n += 2;
	}
	is_int(bad, 0, "address text is inet_ntop's for %d addresses", n);
}

/* Order of flow_keys' UNIQUE index: sip, dip, dport, proto, vlan. */
static int
cmp_key(const void *a, const void *b)
{
	const struct store_new_key *x = a, *y = b;

	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

/* The radix sort of new keys gives qsort()'s order. */
static void
test_sort_keys(void)
{
	size_t n = 50000, i, bad = 0;
	struct store_new_key *a = calloc(n, sizeof *a), *b, *tmp;
	unsigned seed = 7;

	for (i = 0; i < n; i++) {
		/* Few distinct values in some fields, every bit in others. */
		a[i].hi = (uint64_t)(rand_r(&seed) % 300) << 32 |
		    (uint64_t)rand_r(&seed) << 1 | (i & 1);
		if (i % 7 == 0)
			a[i].hi |= 1ULL << 63;
		a[i].lo = (uint64_t)(rand_r(&seed) % 65536) << 32 |
		    (uint64_t)(i % 3 ? 6 : 17) << 16 | (i % 5 == 0 ? 7 : 0);
		if (i % 11 == 0)
			a[i].lo |= 0xffULL << 56;
		a[i].n = (uint32_t)i;
	}
	b = malloc(n * sizeof *b);
	memcpy(b, a, n * sizeof *b);
	qsort(a, n, sizeof *a, cmp_key);
	tmp = malloc(n * sizeof *tmp);
	store__sort_keys(b, n, tmp);
	for (i = 0; i < n; i++)
		if (a[i].hi != b[i].hi || a[i].lo != b[i].lo)
			bad++;
	is_int(bad, 0, "radix sort of 50000 keys = qsort");

	/* All keys equal in every digit: no pass at all, nothing moves. */
	for (i = 0; i < 100; i++) {
		b[i].hi = 5;
		b[i].lo = 9;
		b[i].n = (uint32_t)i;
	}
	store__sort_keys(b, 100, tmp);
	for (bad = 0, i = 0; i < 100; i++)
		bad += b[i].n != i;
	is_int(bad, 0, "equal keys keep their order");
	store__sort_keys(b, 1, tmp);
	store__sort_keys(b, 0, tmp);
	ok(b[0].n == 0, "one key and no key: nothing to do");
	free(tmp);
	free(a);
	free(b);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Row handles (id << 32 | index) sorted by id only: with the indexes
 * ascending on input, a stable sort gives exactly the order of the whole
 * 64-bit values, which qsort() makes.  Ids of one, two and three digits.
 */
static void
test_sort_rows(void)
{
	static const uint32_t maxids[] = { 0, 1, 2047, 2048, 100000,
	    (1u << 22) - 1, 1u << 22, STORE_MAX_ID };
	size_t n = 30000, i, k, bad;
	uint64_t *v = malloc(n * sizeof *v), *tmp = malloc(n * sizeof *tmp);
	uint64_t *want = malloc(n * sizeof *want), *got;
	uint32_t id, maxid;

	for (k = 0; k < sizeof maxids / sizeof maxids[0]; k++) {
		maxid = maxids[k];
		for (i = 0; i < n; i++) {
			id = maxid == 0 ? 0 : (uint32_t)(next() %
			    ((uint64_t)maxid + 1));
			if (i == n / 2)
				id = maxid;
			v[i] = (uint64_t)id << 32 | i;
		}
		memcpy(want, v, n * sizeof *v);
		qsort(want, n, sizeof *want, cmp_u64);
		got = store__sort_rows(v, tmp, n, maxid);
		ok(got == v || got == tmp, "maxid %u: the result is v or tmp",
		    maxid);
		for (bad = 0, i = 0; i < n; i++)
			bad += got[i] != want[i];
		is_int(bad, 0, "maxid %u: sorted by id, stably", maxid);
	}
	free(v);
	free(tmp);
	free(want);
}

/* SQLite's BLOB order: memcmp over the shorter length, then the length. */
static int
blob_cmp(const struct store_new_addr *x, const struct store_new_addr *y)
{
	size_t lx = x->family == 4 ? 4 : 16, ly = y->family == 4 ? 4 : 16;
	size_t i;

	for (i = 0; i < lx && i < ly; i++)
		if (x->ip[i] != y->ip[i])
			return x->ip[i] < y->ip[i] ? -1 : 1;
	return lx < ly ? -1 : lx > ly;
}

static void
test_sort_addrs(void)
{
	size_t n = 20000, i, bad = 0;
	struct store_new_addr *a = calloc(n, sizeof *a);
	struct store_new_addr *tmp = calloc(n, sizeof *tmp);

	for (i = 0; i < n; i++) {
		a[i].family = i % 3 ? 4 : 6;
		/* Few distinct first bytes, so that prefixes tie often. */
		a[i].ip[0] = (uint8_t)(next() % 4);
		a[i].ip[1] = (uint8_t)(next() % 3);
		a[i].ip[2] = (uint8_t)next();
		a[i].ip[3] = (uint8_t)(next() % 2);
		if (a[i].family == 6)
			for (size_t k = 4; k < 16; k++)
				a[i].ip[k] = (uint8_t)(next() % 3 ? 0 : next());
		a[i].n = (uint32_t)i;
	}
	/* An IPv4 address and the IPv6 one beginning with its bytes. */
	memset(a[0].ip, 0, 16);
	memcpy(a[0].ip, "\x01\x02\x03\x04", 4);
	a[0].family = 4;
	memset(a[1].ip, 0, 16);
	memcpy(a[1].ip, "\x01\x02\x03\x04", 4);
	a[1].family = 6;
	store__sort_addrs(a, n, tmp);
	for (i = 1; i < n; i++)
		bad += blob_cmp(&a[i - 1], &a[i]) > 0;
	is_int(bad, 0, "addresses in addrs.ip's BLOB order");
	for (bad = 1, i = 1; i < n; i++)
		if (a[i - 1].family == 4 && a[i].family == 6 &&
		    memcmp(a[i - 1].ip, "\x01\x02\x03\x04", 4) == 0 &&
		    memcmp(a[i].ip, a[i - 1].ip, 16) == 0)
			bad = 0;
	ok(!bad, "1.2.3.4 sorts just before 102:304::, the longer blob");
	/* IPv4 only, and one address: the sort's shortcuts. */
	for (i = 0; i < n; i++) {
		memset(a[i].ip, 0, 16);
		a[i].family = 4;
		a[i].ip[0] = 198;
		a[i].ip[1] = (uint8_t)(18 + next() % 2);
		a[i].ip[2] = (uint8_t)next();
		a[i].ip[3] = (uint8_t)next();
	}
	store__sort_addrs(a, n, tmp);
	for (bad = 0, i = 1; i < n; i++)
		bad += blob_cmp(&a[i - 1], &a[i]) > 0;
	is_int(bad, 0, "IPv4 addresses in order");
	store__sort_addrs(a, 1, tmp);
	ok(a[0].family == 4, "one address stays");
	free(tmp);
	free(a);
}

/* Insert as the store does: grow before looking, then fill the slot. */
static struct store_addr_slot *
addr_put(struct store_addr_map *m, const uint8_t *ip, uint8_t family,
    uint32_t id)
{
	struct store_addr_slot *s;

	if ((m->count + 1) * 10 > (m->mask + 1) * 7 &&
	    store__addr_map_reserve(m, 1) != 0)
		return NULL;
	s = store__addr_map_find(m, ip, family);
	if (s->id == 0) {
		memcpy(s->ip, ip, 16);
		s->family = family;
		s->id = id;
		m->count++;
	}
	return s;
}

static void
make_addr(uint8_t *ip, uint8_t *family, size_t i)
{
	memset(ip, 0, 16);
	*family = i % 4 ? 4 : 6;
	ip[0] = (uint8_t)(i >> 24);
	ip[1] = (uint8_t)(i >> 16);
	ip[2] = (uint8_t)(i >> 8);
	ip[3] = (uint8_t)i;
	if (*family == 6)
		ip[15] = 0x42;
}

static void
test_addr_map(void)
{
	struct store_addr_map m;
	struct store_addr_slot *s;
	uint8_t ip[16], fam;
	size_t n = 100000, i, bad = 0, load = 0;

	memset(&m, 0, sizeof m);
	for (i = 0; i < n; i++) {
		make_addr(ip, &fam, i * 2654435761u);
		if (addr_put(&m, ip, fam, (uint32_t)i + 1) == NULL)
			bad++;
		load += m.count * 10 > (m.mask + 1) * 7;
	}
	is_int(bad, 0, "%zu addresses in", n);
	is_int(m.count, n, "counted once each");
	is_int(load, 0, "load never over 0.7 (%zu slots)", m.mask + 1);
	for (bad = 0, i = 0; i < n; i++) {
		make_addr(ip, &fam, i * 2654435761u);
		s = store__addr_map_find(&m, ip, fam);
		bad += s->id != (uint32_t)i + 1;
	}
	is_int(bad, 0, "each found with its id after growing");
	for (bad = 0, i = n; i < n + 1000; i++) {
		make_addr(ip, &fam, i * 2654435761u);
		bad += store__addr_map_find(&m, ip, fam)->id != 0;
	}
	is_int(bad, 0, "no false hit");
	/* The same 4 bytes as IPv4 and as IPv6 are two addresses. */
	memset(ip, 0, 16);
	memcpy(ip, "\x0a\x00\x00\x01", 4);
	addr_put(&m, ip, 4, 7777777);
	ok(store__addr_map_find(&m, ip, 6)->id == 0,
	    "the family is part of the address");
	ok(store__addr_map_reserve(&m, 4 * n) == 0 && m.mask + 1 >= 5 * n &&
	    store__addr_map_find(&m, ip, 4)->id == 7777777,
	    "a reserve for many more keeps what is there");
	store__addr_map_clear(&m);
	make_addr(ip, &fam, 0);
	ok(m.count == 0 && store__addr_map_find(&m, ip, fam)->id == 0,
	    "cleared");
	store__addr_map_free(&m);
	ok(m.slot == NULL && m.mask == 0, "freed");
}

static void
test_key_map(void)
{
	struct store_key_map m;
	struct store_key_slot *s;
	uint64_t hi, lo;
	size_t n = 100000, i, bad = 0;

	memset(&m, 0, sizeof m);
	for (i = 0; i < n; i++) {
		hi = store__key_hi((uint32_t)(i % 977 + 1), (uint32_t)(i / 977 +
		    1));
		lo = store__key_lo((uint16_t)(i % 3 ? 443 : 53),
		    (uint8_t)(i % 3 ? 6 : 17), (uint16_t)(i % 5));
		if ((m.count + 1) * 10 > (m.mask + 1) * 7 &&
		    store__key_map_reserve(&m, 1) != 0)
			bad++;
		s = store__key_map_find(&m, hi, lo);
		if (s->id == 0) {
			store__key_slot_set(s, hi, lo, (uint32_t)i + 1);
			m.count++;
		}
	}
	is_int(bad, 0, "%zu keys in", n);
	is_int(m.count, n, "counted once each");
	for (bad = 0, i = 0; i < n; i++) {
		hi = store__key_hi((uint32_t)(i % 977 + 1), (uint32_t)(i / 977 +
		    1));
		lo = store__key_lo((uint16_t)(i % 3 ? 443 : 53),
		    (uint8_t)(i % 3 ? 6 : 17), (uint16_t)(i % 5));
		s = store__key_map_find(&m, hi, lo);
		bad += s->id != (uint32_t)i + 1 || s->sip != (uint32_t)(hi >>
		    32) || s->dip != (uint32_t)hi || s->vlan != i % 5;
	}
	is_int(bad, 0, "each found with its id and fields");
	hi = store__key_hi(1, 1);
	ok(store__key_map_find(&m, hi, store__key_lo(443, 17, 0))->id == 0 &&
	    store__key_map_find(&m, hi, store__key_lo(443, 6, 9))->id == 0,
	    "another protocol or VLAN is another key");
	store__key_map_clear(&m);
	ok(m.count == 0 && store__key_map_find(&m, hi,
	    store__key_lo(443, 6, 1))->id == 0, "cleared");
	store__key_map_free(&m);
}

/*
 * Three rows, two known addresses and three new ones (PENDING 0..2),
 * sorted so that new_addr holds them in another order than seen: the ids
 * from next_addr on go to the rows and the map by n, not by position.
 */
static void
test_resolve(void)
{
	struct store st;
	uint32_t sip[3], dip[3], id[3];
	uint64_t order[3];
	struct store_new_addr na[3];
	struct store_new_key nk[2];
	uint8_t ip[16];
	int i;

	memset(&st, 0, sizeof st);
	st.next_addr = 10;
	st.row_sip = sip;
	st.row_dip = dip;
	st.new_addr = na;
	st.new_id = id;
	store__addr_map_reserve(&st.addrs, 8);
	memset(na, 0, sizeof na);
	/* Seen in the order c (n 0), a (n 1), b (n 2); sorted a, b, c. */
	for (i = 0; i < 3; i++) {
		na[i].family = 4;
		na[i].ip[0] = (uint8_t)('a' + i);
		na[i].n = (uint32_t)(i + 1) % 3;
		addr_put(&st.addrs, na[i].ip, 4, STORE_PENDING | na[i].n);
		id[na[i].n] = st.next_addr + (uint32_t)i;
	}
	sip[0] = STORE_PENDING | 0;	dip[0] = 3;
	sip[1] = STORE_PENDING | 1;	dip[1] = STORE_PENDING | 2;
	sip[2] = 4;			dip[2] = STORE_PENDING | 0;
	store__resolve_addrs(&st, 3, 3);
	ok(st.next_addr == 13, "next_addr moves past the new ones");
	ok(sip[0] == 12 && dip[0] == 3 && sip[1] == 10 && dip[1] == 11 &&
	    sip[2] == 4 && dip[2] == 12, "rows get the ids: %u %u %u %u %u %u",
	    sip[0], dip[0], sip[1], dip[1], sip[2], dip[2]);
	memset(ip, 0, sizeof ip);
	ip[0] = 'c';
	ok(store__addr_map_find(&st.addrs, ip, 4)->id == 12,
	    "the map has c's id");
	store__addr_map_free(&st.addrs);

	/* Keys: rows 0 and 2 new (PENDING 1 and 0), row 1 known (id 5). */
	st.next_key = 6;
	st.row_order = order;
	st.new_key = nk;
	store__key_map_reserve(&st.keys, 4);
	nk[0] = (struct store_new_key){ .hi = 1, .lo = 1, .n = 1 };
	nk[1] = (struct store_new_key){ .hi = 2, .lo = 1, .n = 0 };
	for (i = 0; i < 2; i++) {
		store__key_slot_set(store__key_map_find(&st.keys, nk[i].hi,
		    nk[i].lo), nk[i].hi, nk[i].lo, STORE_PENDING | nk[i].n);
		id[nk[i].n] = st.next_key + (uint32_t)i;
	}
	order[0] = (uint64_t)(STORE_PENDING | 0) << 32 | 0;
	order[1] = (uint64_t)5 << 32 | 1;
	order[2] = (uint64_t)(STORE_PENDING | 1) << 32 | 2;
	store__resolve_keys(&st, 3, 2);
	ok(st.next_key == 8 && order[0] == ((uint64_t)7 << 32 | 0) &&
	    order[1] == ((uint64_t)5 << 32 | 1) &&
	    order[2] == ((uint64_t)6 << 32 | 2), "row handles get key ids");
	ok(store__key_map_find(&st.keys, 2, 1)->id == 7 &&
	    store__key_map_find(&st.keys, 1, 1)->id == 6,
	    "the key map has the ids");
	store__key_map_free(&st.keys);
}

int
main(void)
{
	test_addr_text();
	test_sort_keys();
	test_sort_rows();
	test_sort_addrs();
	test_addr_map();
	test_key_map();
	test_resolve();
	return tap_done();
}
