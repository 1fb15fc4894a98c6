/*
 * store_ids.c - the store's id maps, radix sorts and address text.
 *
 * The store gives every address and flow key of a day a dense id, handed
 * out in sorted order so that every b-tree of the day file receives its
 * new entries in key order.  This file holds the plain-C half of that:
 * the open-addressing maps from an address or key to its id (the lookup
 * itself is inline in store_int.h, for the per-row loops), the sorts that
 * put new entries and rows in index order, the settling of PENDING
 * references once the new entries have ids, and the text of an address.
 * No SQLite, no I/O: tests/unit/test_store_ids.c links it alone.
 *
 * Called by store.c (loading the maps), store_sql.c and store_newday.c
 * (a bin's ids), on the one thread that owns the store, except that
 * store_newday.c's helper threads call store__addr_text() and the inline
 * key map lookups on data no other thread touches meanwhile.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* ------------------------------------------------------------ maps */

void
store__addr_map_clear(struct store_addr_map *m)
{
	if (m->count != 0)
		memset(m->slot, 0, (m->mask + 1) * sizeof *m->slot);
	m->count = 0;
}

void
store__addr_map_free(struct store_addr_map *m)
{
	free(m->slot);
	memset(m, 0, sizeof *m);
}

int
store__addr_map_reserve(struct store_addr_map *m, size_t more)
{
	struct store_addr_slot *old = m->slot, *s, *d;
	size_t oldn = m->slot ? m->mask + 1 : 0, n, i;

	n = oldn ? oldn : 1024;
	while ((m->count + more) * 10 > n * 7)
		n *= 2;
	if (n == oldn)
		return 0;
	if ((s = calloc(n, sizeof *s)) == NULL)
		return -ENOMEM;
	m->slot = s;
	m->mask = n - 1;
	for (i = 0; i < oldn; i++) {
		if (old[i].id == 0)
			continue;
		d = store__addr_map_find(m, old[i].ip, old[i].family);
		*d = old[i];
	}
	free(old);
	return 0;
}

void
store__key_map_clear(struct store_key_map *m)
{
	if (m->count != 0)
		memset(m->slot, 0, (m->mask + 1) * sizeof *m->slot);
	m->count = 0;
}

void
store__key_map_free(struct store_key_map *m)
{
	free(m->slot);
	memset(m, 0, sizeof *m);
}

int
store__key_map_reserve(struct store_key_map *m, size_t more)
{
	struct store_key_slot *old = m->slot, *s, *d;
	size_t oldn = m->slot ? m->mask + 1 : 0, n, i;

	n = oldn ? oldn : 1024;
	while ((m->count + more) * 10 > n * 7)
		n *= 2;
	if (n == oldn)
		return 0;
	if ((s = calloc(n, sizeof *s)) == NULL)
		return -ENOMEM;
	m->slot = s;
	m->mask = n - 1;
	for (i = 0; i < oldn; i++) {
		if (old[i].id == 0)
			continue;
		d = store__key_map_find(m, store__key_hi(old[i].sip,
		    old[i].dip), store__key_lo(old[i].dport, old[i].proto,
		    old[i].vlan));
		*d = old[i];
	}
	free(old);
	return 0;
}

/*
 * The new addresses got ids new_id[n]: the map learns them, and rows
 * that referred to the nth new one (PENDING|n) get its id.
 */
void
store__resolve_addrs(struct store *st, size_t nrows, size_t nnew)
{
	struct store_new_addr *na;
	struct store_addr_slot *s;
	size_t i;
	uint32_t id;

	st->next_addr += (uint32_t)nnew;
	for (i = 0; i < nnew; i++) {
		na = &st->new_addr[i];
		s = store__addr_map_find(&st->addrs, na->ip, na->family);
		s->id = st->new_id[na->n];
	}
	for (i = 0; i < nrows; i++) {
		if ((id = st->row_sip[i]) & STORE_PENDING)
			st->row_sip[i] = st->new_id[id & ~STORE_PENDING];
		if ((id = st->row_dip[i]) & STORE_PENDING)
			st->row_dip[i] = st->new_id[id & ~STORE_PENDING];
	}
}

void
store__resolve_keys(struct store *st, size_t nrows, size_t nnew)
{
	struct store_new_key *nk;
	struct store_key_slot *s;
	size_t i;
	uint32_t id;

	st->next_key += (uint32_t)nnew;
	for (i = 0; i < nnew; i++) {
		nk = &st->new_key[i];
		s = store__key_map_find(&st->keys, nk->hi, nk->lo);
		s->id = st->new_id[nk->n];
	}
	for (i = 0; i < nrows; i++) {
		id = (uint32_t)(st->row_order[i] >> 32);
		if (id & STORE_PENDING)
			st->row_order[i] = (uint64_t)st->new_id[id &
			    ~STORE_PENDING] << 32 | i;
	}
}

/* ------------------------------------------------------------ sorting */

/* 11-bit digits: 2048 counters stay in L1, 3 passes cover a 32-bit id. */
uint64_t *
store__sort_rows(uint64_t *v, uint64_t *tmp, size_t n, uint32_t maxid)
{
	uint32_t count[2048];
	uint64_t *src = v, *dst = tmp, *t;
	unsigned shift;
	size_t i, sum, c;

	for (shift = 32; shift < 64 && (maxid >> (shift - 32)) != 0;
	    shift += 11) {
		memset(count, 0, sizeof count);
		for (i = 0; i < n; i++)
			count[(src[i] >> shift) & 2047]++;
		for (sum = 0, i = 0; i < 2048; i++) {
			c = count[i];
			count[i] = (uint32_t)sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[count[(src[i] >> shift) & 2047]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	return src;
}

/* Bytes 8 * i to 8 * i + 7 of an address as a big-endian number. */
static inline uint64_t
store_addr_word(const struct store_new_addr *a, int i)
{
	uint64_t w = 0;
	int k;

	if (a->family == 4)	/* the 4 bytes of the BLOB, then nothing */
		return i == 0 ? (uint64_t)a->ip[0] << 56 |
		    (uint64_t)a->ip[1] << 48 | (uint64_t)a->ip[2] << 40 |
		    (uint64_t)a->ip[3] << 32 : 0;
	for (k = 0; k < 8; k++)
		w = w << 8 | a->ip[8 * i + k];
	return w;
}

/*
 * addrs.ip's order is a BLOB's: bytes, then length.  An IPv4 address is
 * its 4 bytes followed by zeros here, so the order is that of (bytes 0-7,
 * bytes 8-15, IPv4 before IPv6): an LSD radix sort of the family, then
 * of the two words 11 bits a pass, skipping the digits in which all keys
 * agree (most of an IPv4 set's).  qsort() took 12 % of a 200k-flow
 * capture's --read.
 */
void
store__sort_addrs(struct store_new_addr *v, size_t n,
    struct store_new_addr *tmp)
{
	struct store_new_addr *src = v, *dst = tmp, *t;
	uint64_t or_[2] = { 0, 0 }, and_[2] = { ~0ULL, ~0ULL }, w;
	uint32_t count[2048];
	unsigned digit, shift, word, fam = 0;
	size_t i, sum, c;

	if (n < 2)
		return;
	for (i = 0; i < n; i++) {
		fam |= v[i].family == 4 ? 1 : 2;
		for (word = 0; word < 2; word++) {
			w = store_addr_word(&v[i], (int)word);
			or_[word] |= w;
			and_[word] &= w;
		}
	}
	/* The family first (stable: the later passes keep its order). */
	if (fam == 3) {
		for (c = 0, i = 0; i < n; i++)
			c += src[i].family == 4;
		sum = 0;
		for (i = 0; i < n; i++) {
			if (src[i].family == 4)
				dst[sum++] = src[i];
			else
				dst[c++] = src[i];
		}
		t = src;
		src = dst;
		dst = t;
	}
	/* Digits of bytes 8-15, then of bytes 0-7, at bits 0, 11, ..., 55. */
	for (digit = 0; digit < 12; digit++) {
		word = digit < 6 ? 1 : 0;
		shift = digit % 6 * 11;
		if ((((or_[word] ^ and_[word]) >> shift) & 2047) == 0)
			continue;
		memset(count, 0, sizeof count);
		for (i = 0; i < n; i++)
			count[(store_addr_word(&src[i], (int)word) >> shift) &
			    2047]++;
		for (sum = 0, i = 0; i < 2048; i++) {
			c = count[i];
			count[i] = (uint32_t)sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[count[(store_addr_word(&src[i], (int)word) >>
			    shift) & 2047]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof *v);
}

/*
 * An LSD radix sort, 11 bits a pass, skipping the digits in which all
 * keys agree (unused high bits, a VLAN that is always 0).  A million keys
 * take a fifth of qsort()'s time.
 */
void
store__sort_keys(struct store_new_key *v, size_t n,
    struct store_new_key *tmp)
{
	struct store_new_key *src = v, *dst, *t;
	uint64_t or_[2] = { 0, 0 }, and_[2] = { ~0ULL, ~0ULL }, w;
	uint32_t count[2048];
	unsigned digit, shift, half;
	size_t i, sum, c;

	if (n < 2)
		return;
	for (i = 0; i < n; i++) {
		or_[0] |= v[i].lo;
		and_[0] &= v[i].lo;
		or_[1] |= v[i].hi;
		and_[1] &= v[i].hi;
	}
	dst = tmp;
	/* Digits of each half at bits 0, 11, ..., 55 (the last one 9 bits). */
	for (digit = 0; digit < 12; digit++) {
		half = digit / 6;
		shift = digit % 6 * 11;
		if ((((or_[half] ^ and_[half]) >> shift) & 2047) == 0)
			continue;
		memset(count, 0, sizeof count);
		for (i = 0; i < n; i++) {
			w = half ? src[i].hi : src[i].lo;
			count[(w >> shift) & 2047]++;
		}
		for (sum = 0, i = 0; i < 2048; i++) {
			c = count[i];
			count[i] = (uint32_t)sum;
			sum += c;
		}
		for (i = 0; i < n; i++) {
			w = half ? src[i].hi : src[i].lo;
			dst[count[(w >> shift) & 2047]++] = src[i];
		}
		t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof *v);
}

/* ------------------------------------------------------------ text */

static char *
store_put_dec(char *p, unsigned v)
{
	if (v >= 100)
		*p++ = (char)('0' + v / 100);
	if (v >= 10)
		*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

static char *
store_put_v4(char *p, const uint8_t *ip)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (i != 0)
			*p++ = '.';
		p = store_put_dec(p, ip[i]);
	}
	return p;
}

/*
 * glibc's inet_ntop() cost 5 % of a new file's write (about 1900
 * instructions an address, through sprintf); this writes the same text
 * (the unit test compares them): RFC 5952 for IPv6, lower-case hex
 * without leading zeros, the longest run of two or more zero groups (the
 * first of equals) as "::", and a dotted quad for the last 32 bits of
 * ::ffff:0:0/96 and of ::/96 when the seventh group is not zero.
 */
size_t
store__addr_text(const uint8_t *ip, uint8_t family, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	unsigned w[8], v;
	int i, best = -1, bestlen = 0, run = -1, len = 0, started;
	char *p = buf;

	if (family == 4) {
		p = store_put_v4(p, ip);
		*p = '\0';
		return (size_t)(p - buf);
	}
	for (i = 0; i < 8; i++)
		w[i] = (unsigned)ip[2 * i] << 8 | ip[2 * i + 1];
	for (i = 0; i <= 8; i++) {
		if (i < 8 && w[i] == 0) {
			if (run < 0)
				run = i;
			len = i - run + 1;
			continue;
		}
		if (run >= 0 && len > bestlen) {
			best = run;
			bestlen = len;
		}
		run = -1;
	}
	if (bestlen < 2)
		best = -1;
	for (i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + bestlen) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i != 0)
			*p++ = ':';
		/* An embedded IPv4 address ends it. */
		if (i == 6 && best == 0 && (bestlen == 6 ||
		    (bestlen == 5 && w[5] == 0xffff))) {
			p = store_put_v4(p, ip + 12);
			break;
		}
		v = w[i];
		started = 0;
		for (int sh = 12; sh >= 0; sh -= 4) {
			unsigned d = v >> sh & 15;

			if (d != 0 || started || sh == 0) {
				*p++ = hex[d];
				started = 1;
			}
		}
	}
	if (best >= 0 && best + bestlen == 8)
		*p++ = ':';
	*p = '\0';
	return (size_t)(p - buf);
}
