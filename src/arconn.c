/*
 * arconn.c - the archive's connections and their cutoff (see arconn.h).
 *
 * Entries live in one array allocated at the start, chained from a
 * power-of-two bucket array (indices, NONE ends a chain) and kept on a
 * list in the order of their last packet (least recent first), so that
 * the idle ones are found at the list's head and the one to evict when
 * the table is full too.  A packet older than its connection's last one
 * (capture files can hold those) moves it to the tail all the same; the
 * idle rule is checked again on every lookup, so the list order only
 * decides when memory is given back, never what is archived.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "arconn.h"

#define NONE	UINT32_MAX

struct arconn_entry {
	struct arconn_key key;
	uint64_t	 hash;
	uint64_t	 bytes;		/* kept so far */
	uint64_t	 pkts;
	uint64_t	 id;
	int64_t		 start_ns;
	int64_t		 last_ns;
	uint32_t	 next;		/* bucket chain */
	uint32_t	 prev_lru;
	uint32_t	 next_lru;
	uint8_t		 cut;
};

struct arconn {
	struct arconn_config cfg;
	struct arconn_entry *e;
	uint32_t	*bucket;
	uint64_t	 mask;
	uint32_t	 free;		/* free entries, through next */
	uint32_t	 head, tail;	/* the lru list */
	uint64_t	 next_id;
	struct arconn_stats st;
};

struct arconn *
arconn_new(const struct arconn_config *cfg)
{
	struct arconn *t;
	size_t n = cfg->max_conns ? cfg->max_conns : ARCONN_DEFAULT_CONNS;
	size_t nb = 1, i;

	if (n >= NONE)
		n = NONE - 1;
	while (nb < n * 2)
		nb <<= 1;
	if ((t = calloc(1, sizeof *t)) == NULL)
		return NULL;
	t->cfg = *cfg;
	t->cfg.max_conns = n;
	t->e = malloc(n * sizeof *t->e);
	t->bucket = malloc(nb * sizeof *t->bucket);
	if (t->e == NULL || t->bucket == NULL) {
		arconn_free(t);
		return NULL;
	}
	memset(t->bucket, 0xff, nb * sizeof *t->bucket);
	t->mask = nb - 1;
	for (i = 0; i < n; i++)
		t->e[i].next = i + 1 < n ? (uint32_t)(i + 1) : NONE;
	t->free = 0;
	t->head = t->tail = NONE;
	t->next_id = 1;
	return t;
}

void
arconn_free(struct arconn *t)
{
	if (t == NULL)
		return;
	free(t->e);
	free(t->bucket);
	free(t);
}

static void
key_order(struct arconn_key *k, const uint8_t *s, uint16_t sp,
    const uint8_t *d, uint16_t dp)
{
	int c = memcmp(s, d, 16);

	if (c < 0 || (c == 0 && sp <= dp)) {
		memcpy(k->a, s, 16);
		memcpy(k->b, d, 16);
		k->port_a = sp;
		k->port_b = dp;
	} else {
		memcpy(k->a, d, 16);
		memcpy(k->b, s, 16);
		k->port_a = dp;
		k->port_b = sp;
	}
}

void
arconn_key_conn(struct arconn_key *k, const struct flowtab_conn *c)
{
	memset(k, 0, sizeof *k);
	key_order(k, c->a, c->port_a, c->b, c->port_b);
	k->vlan = c->vlan;
	k->proto = c->proto;
	k->family = c->family;
}

void
arconn_key_packet(struct arconn_key *k, const struct parse_packet *p)
{
	memset(k, 0, sizeof *k);
	if (p->frag == PARSE_FRAG_LATER)
		key_order(k, p->src, 0, p->dst, 0);
	else
		key_order(k, p->src, p->sport, p->dst, p->dport);
	k->vlan = p->vlan;
	k->proto = p->proto;
	k->family = p->family;
}

uint64_t
arconn_hash(const struct arconn_key *k)
{
	uint64_t w[sizeof *k / 8], h = 0x9e3779b97f4a7c15ull;
	size_t i;

	memcpy(w, k, sizeof w);
	for (i = 0; i < sizeof w / sizeof w[0]; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h ^ (h >> 29);
}

static void
lru_unlink(struct arconn *t, uint32_t i)
{
	struct arconn_entry *e = &t->e[i];

	if (e->prev_lru != NONE)
		t->e[e->prev_lru].next_lru = e->next_lru;
	else
		t->head = e->next_lru;
	if (e->next_lru != NONE)
		t->e[e->next_lru].prev_lru = e->prev_lru;
	else
		t->tail = e->prev_lru;
}

static void
lru_append(struct arconn *t, uint32_t i)
{
	struct arconn_entry *e = &t->e[i];

	e->prev_lru = t->tail;
	e->next_lru = NONE;
	if (t->tail != NONE)
		t->e[t->tail].next_lru = i;
	else
		t->head = i;
	t->tail = i;
}

/* Take entry i out of the table and give it back to the free list. */
static void
entry_remove(struct arconn *t, uint32_t i)
{
	uint32_t *pp = &t->bucket[t->e[i].hash & t->mask];

	while (*pp != i)
		pp = &t->e[*pp].next;
	*pp = t->e[i].next;
	lru_unlink(t, i);
	t->e[i].next = t->free;
	t->free = i;
	t->st.active--;
}

void
arconn_expire(struct arconn *t, int64_t now_ns)
{
	while (t->head != NONE &&
	    now_ns - t->e[t->head].last_ns > t->cfg.idle_ns) {
		entry_remove(t, t->head);
		t->st.removed++;
	}
}

static void
entry_start(struct arconn *t, struct arconn_entry *e, int64_t time_ns)
{
	e->bytes = 0;
	e->pkts = 0;
	e->cut = 0;
	e->id = t->next_id++;
	e->start_ns = time_ns;
	t->st.started++;
}

void
arconn_prefetch(const struct arconn *t, uint64_t h, int stage)
{
	const uint32_t *b = &t->bucket[h & t->mask];
	const struct arconn_entry *e;
	uint32_t i;

	if (stage == 0) {
		__builtin_prefetch(b, 0, 3);
		return;
	}
	if ((i = *b) == NONE)
		return;
	e = &t->e[i];
	__builtin_prefetch(e, 1, 3);
	__builtin_prefetch((const char *)(e + 1) - 1, 1, 3);
}

void
arconn_admit(struct arconn *t, const struct arconn_key *k, int64_t time_ns,
    uint32_t wirelen, struct arconn_verdict *v)
{
	arconn_admit_hashed(t, k, arconn_hash(k), time_ns, wirelen, v);
}

void
arconn_admit_hashed(struct arconn *t, const struct arconn_key *k, uint64_t h,
    int64_t time_ns, uint32_t wirelen, struct arconn_verdict *v)
{
	struct arconn_entry *e;
	uint32_t i;

	arconn_expire(t, time_ns);
	v->fresh = 0;
	for (i = t->bucket[h & t->mask]; i != NONE; i = t->e[i].next)
		if (t->e[i].hash == h &&
		    memcmp(&t->e[i].key, k, sizeof *k) == 0)
			break;
	if (i == NONE) {
		if (t->free == NONE) {
			entry_remove(t, t->head);
			t->st.evicted++;
		}
		i = t->free;
		e = &t->e[i];
		t->free = e->next;
		e->key = *k;
		e->hash = h;
		e->next = t->bucket[h & t->mask];
		t->bucket[h & t->mask] = i;
		lru_append(t, i);
		t->st.active++;
		entry_start(t, e, time_ns);
		v->fresh = 1;
	} else {
		e = &t->e[i];
		if (time_ns - e->last_ns > t->cfg.idle_ns) {
			/* Idle too long (out of the list's order): afresh. */
			t->st.removed++;
			entry_start(t, e, time_ns);
			v->fresh = 1;
		}
		lru_unlink(t, i);
		lru_append(t, i);
	}
	if (v->fresh || time_ns > e->last_ns)
		e->last_ns = time_ns;
	v->id = e->id;
	v->start_ns = e->start_ns;
	v->keep = (t->cfg.cutoff_bytes == 0 ||
	    e->bytes < t->cfg.cutoff_bytes) &&
	    (t->cfg.cutoff_packets == 0 || e->pkts < t->cfg.cutoff_packets);
	if (v->keep) {
		e->bytes += wirelen;
		e->pkts++;
	} else if (!e->cut) {
		e->cut = 1;
		t->st.cut++;
	}
}

void
arconn_get_stats(const struct arconn *t, struct arconn_stats *st)
{
	*st = t->st;
}
