/*
 * test_flowtab.c - unit tests of the flow table (src/flowtab.c): client
 * and server (SEMANTICS 4), received/sent (5), fragments (7), bins and
 * idle connections (1, 8, 9), early writes when full, and a randomized
 * comparison with a deliberately naive model of the same rules that
 * exercises purges and table reuse.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab.h"
#include "parse.h"
#include "tap.h"

#define S(x) ((int64_t)(x) * 1000000000LL)

static struct parse_packet
pkt(int family, const char *src, uint16_t sport, const char *dst,
    uint16_t dport, uint8_t proto)
{
	struct parse_packet p;

	memset(&p, 0, sizeof p);
	p.family = (uint8_t)family;
	inet_pton(family == 4 ? AF_INET : AF_INET6, src, p.src);
	inet_pton(family == 4 ? AF_INET : AF_INET6, dst, p.dst);
	p.sport = sport;
	p.dport = dport;
	p.proto = proto;
	p.nbytes = 100;
	return p;
}

static struct flowtab *
table(uint32_t interval, size_t max_flows)
{
	struct flowtab_config cfg = { .interval = interval,
	    .max_flows = max_flows };
	struct flowtab *ft = flowtab_new(&cfg);

	if (ft == NULL)
		abort();
	return ft;
}

/* Add at time t (seconds), rotating first like the offline reader does. */
static struct flowtab_bin *pending[64];
static int npending;

static void
add_at(struct flowtab *ft, const struct parse_packet *p, double t)
{
	int64_t ns = (int64_t)(t * 1e9), bin = flowtab_bin_of(ft, ns);
	struct flowtab_bin *b;

	if (flowtab_open_bin(ft) == INT64_MIN || bin > flowtab_open_bin(ft)) {
		b = flowtab_rotate(ft, bin);
		if (b != NULL && b->nrows == 0)
			flowtab_bin_release(ft, b);	/* an empty tail */
		else if (b != NULL)
			pending[npending++] = b;
	}
	if (flowtab_add(ft, p, ns) == FLOWTAB_FULL) {
		pending[npending++] = flowtab_rotate(ft, flowtab_open_bin(ft));
		if (flowtab_add(ft, p, ns) != 0)
			abort();
	}
}

static void
flush(struct flowtab *ft)
{
	pending[npending++] = flowtab_rotate(ft, flowtab_open_bin(ft));
}

static void
release_all(struct flowtab *ft)
{
	int i;

	for (i = 0; i < npending; i++)
		flowtab_bin_release(ft, pending[i]);
	npending = 0;
}

/* Find the row sip->dip:dport in a frozen bin. */
static const struct flowtab_row *
find(const struct flowtab_bin *b, int family, const char *sip, const char *dip,
    uint16_t dport, uint8_t proto)
{
	uint8_t s[16] = { 0 }, d[16] = { 0 };
	size_t i;

	inet_pton(family == 4 ? AF_INET : AF_INET6, sip, s);
	inet_pton(family == 4 ? AF_INET : AF_INET6, dip, d);
	for (i = 0; i < b->nrows; i++) {
		const struct flowtab_row *r = &b->rows[i];

		if (memcmp(r->key.sip, s, 16) == 0 &&
		    memcmp(r->key.dip, d, 16) == 0 && r->key.dport == dport &&
		    r->key.proto == proto)
			return r;
	}
	return NULL;
}

static void
test_tcp_handshake(void)
{
	struct flowtab *ft = table(300, 100);
	struct parse_packet syn = pkt(4, "10.0.0.1", 40000, "10.0.0.2", 5000, 6);
	struct parse_packet synack = pkt(4, "10.0.0.2", 5000, "10.0.0.1", 40000, 6);
	const struct flowtab_row *r;

	syn.has_hint = synack.has_hint = 1;
	synack.hint = 0x12;
	/* SYN-ACK seen first: its receiver is the client. */
	add_at(ft, &synack, 1000);
	syn.hint = 0x10;
	syn.sent = 1;
	add_at(ft, &syn, 1001);
	flush(ft);
	is_int(npending, 1, "one bin");
	is_int(pending[0]->nrows, 1, "one row for both directions");
	r = find(pending[0], 4, "10.0.0.1", "10.0.0.2", 5000, 6);
	ok(r != NULL, "SYN-ACK reversed: client 10.0.0.1, server port 5000");
	if (r) {
		is_int(r->pkts_rcvd, 1, "SYN-ACK counted received");
		is_int(r->pkts_sent, 1, "the sent packet counted sent");
		is_int(r->bytes_rcvd + r->bytes_sent, 200, "bytes");
	}
	is_int(pending[0]->ts, 900, "bin ts is floor(t / interval) * interval");
	is_int(pending[0]->stats.ip, 2, "ip packets counted");
	release_all(ft);
	flowtab_free(ft);
}

static void
test_port_rule_and_udp(void)
{
	struct flowtab *ft = table(60, 100);
	struct parse_packet a = pkt(4, "10.0.0.1", 53, "10.0.0.2", 40000, 17);
	struct parse_packet b = pkt(4, "10.0.0.1", 1000, "10.0.0.2", 2000, 17);
	struct parse_packet c = pkt(4, "10.0.0.3", 40000, "10.0.0.4", 50000, 17);
	struct parse_packet m = pkt(4, "10.0.0.5", 53, "239.1.1.1", 40000, 17);
	struct parse_packet bc = pkt(4, "10.0.0.6", 67, "255.255.255.255", 68, 17);
	struct parse_packet s = pkt(4, "10.0.0.7", 2000, "10.0.0.8", 80, 132);

	add_at(ft, &a, 10);
	add_at(ft, &b, 10);
	add_at(ft, &c, 10);
	add_at(ft, &m, 10);
	add_at(ft, &bc, 10);
	add_at(ft, &s, 10);
	flush(ft);
	ok(find(pending[0], 4, "10.0.0.2", "10.0.0.1", 53, 17) != NULL,
	    "ephemeral destination: reverse");
	ok(find(pending[0], 4, "10.0.0.2", "10.0.0.1", 1000, 17) != NULL,
	    "neither ephemeral: lower port is the server's");
	ok(find(pending[0], 4, "10.0.0.4", "10.0.0.3", 40000, 17) != NULL,
	    "both ephemeral: lower port is the server's");
	ok(find(pending[0], 4, "10.0.0.5", "239.1.1.1", 40000, 17) != NULL,
	    "UDP to multicast: keep");
	ok(find(pending[0], 4, "10.0.0.6", "255.255.255.255", 68, 17) != NULL,
	    "UDP to broadcast: keep");
	ok(find(pending[0], 4, "10.0.0.7", "10.0.0.8", 80, 132) != NULL,
	    "SCTP: port rule");
	release_all(ft);
	flowtab_free(ft);
}

static void
test_icmp(void)
{
	struct flowtab *ft = table(300, 100);
	struct parse_packet echo = pkt(4, "10.0.0.1", 0, "10.0.0.2", 0, 1);
	struct parse_packet reply = pkt(4, "10.0.0.3", 0, "10.0.0.4", 0, 1);
	struct parse_packet other = pkt(4, "10.0.0.5", 0, "10.0.0.6", 0, 1);
	struct parse_packet ns6 = pkt(6, "fe80::1", 0, "ff02::1:ff00:1", 0, 58);
	struct parse_packet r6 = pkt(6, "2001:db8::1", 0, "2001:db8::2", 0, 58);
	struct parse_packet gre = pkt(4, "10.0.0.9", 0, "10.0.0.8", 0, 47);

	echo.has_hint = reply.has_hint = ns6.has_hint = r6.has_hint = 1;
	echo.hint = 8;
	reply.hint = 0;
	ns6.hint = 129;			/* multicast destination wins */
	r6.hint = 129;
	add_at(ft, &echo, 1);
	add_at(ft, &reply, 1);
	add_at(ft, &other, 1);		/* no type captured: keep */
	add_at(ft, &ns6, 1);
	add_at(ft, &r6, 1);
	add_at(ft, &gre, 1);
	flush(ft);
	ok(find(pending[0], 4, "10.0.0.1", "10.0.0.2", 0, 1) != NULL,
	    "echo request: keep");
	ok(find(pending[0], 4, "10.0.0.4", "10.0.0.3", 0, 1) != NULL,
	    "echo reply: reverse");
	ok(find(pending[0], 4, "10.0.0.5", "10.0.0.6", 0, 1) != NULL,
	    "ICMP type not captured: keep");
	ok(find(pending[0], 6, "fe80::1", "ff02::1:ff00:1", 0, 58) != NULL,
	    "ICMPv6 to multicast: keep");
	ok(find(pending[0], 6, "2001:db8::2", "2001:db8::1", 0, 58) != NULL,
	    "ICMPv6 echo reply: reverse");
	ok(find(pending[0], 4, "10.0.0.9", "10.0.0.8", 0, 47) != NULL,
	    "other protocol: first packet's sender is the client");
	release_all(ft);
	flowtab_free(ft);
}

static void
test_idle_connection(void)
{
	struct flowtab *ft = table(10, 100);
	struct parse_packet syn = pkt(4, "10.0.0.1", 40000, "10.0.0.2", 80, 6);
	struct parse_packet back = pkt(4, "10.0.0.2", 80, "10.0.0.1", 40000, 6);
	struct parse_packet odd = pkt(4, "10.0.0.2", 40000, "10.0.0.1", 40001, 6);

	syn.has_hint = 1;
	syn.hint = 0x02;
	add_at(ft, &syn, 1);		/* bin 0 */
	add_at(ft, &back, 15);		/* bin 1: still active */
	add_at(ft, &back, 35);		/* bin 3: bin 2 was idle: forgotten */
	flush(ft);
	is_int(npending, 3, "three bins written");
	ok(find(pending[1], 4, "10.0.0.1", "10.0.0.2", 80, 6) != NULL,
	    "active connection keeps its client");
	ok(find(pending[2], 4, "10.0.0.1", "10.0.0.2", 80, 6) != NULL,
	    "forgotten connection decides again (port rule agrees)");
	release_all(ft);
	/* A connection whose orientation flips once forgotten. */
	add_at(ft, &odd, 100);		/* port rule: server port 40000 */
	odd.sport = 40001;
	odd.dport = 40000;
	memcpy(odd.src, back.dst, 16);
	memcpy(odd.dst, back.src, 16);
	add_at(ft, &odd, 111);		/* next bin: same connection */
	back.has_hint = 1;
	back.hint = 0x02;		/* a SYN from the old server */
	back.sport = 40000;
	back.dport = 40001;
	add_at(ft, &back, 131);		/* after an idle bin: decides again */
	flush(ft);
	ok(find(pending[0], 4, "10.0.0.1", "10.0.0.2", 40000, 6) != NULL,
	    "first packet decides (both ephemeral, lower port is server)");
	ok(find(pending[1], 4, "10.0.0.1", "10.0.0.2", 40000, 6) != NULL,
	    "the reply joins the same row in the next bin");
	ok(find(pending[2], 4, "10.0.0.2", "10.0.0.1", 40001, 6) != NULL,
	    "after an idle bin the connection's next packet decides anew");
	release_all(ft);
	flowtab_free(ft);
}

static void
test_fragments(void)
{
	struct flowtab *ft = table(300, 100);
	struct parse_packet first = pkt(4, "10.0.0.1", 1000, "10.0.0.2", 53, 17);
	struct parse_packet later = pkt(4, "10.0.0.1", 0, "10.0.0.2", 0, 17);
	struct parse_packet lone = pkt(4, "10.0.0.3", 0, "10.0.0.4", 0, 17);

	first.frag = PARSE_FRAG_FIRST;
	first.frag_id = 7;
	first.frag_proto = 17;
	later.frag = PARSE_FRAG_LATER;
	later.frag_id = 7;
	later.frag_proto = 17;
	lone.frag = PARSE_FRAG_LATER;
	lone.frag_id = 9;
	lone.frag_proto = 17;
	add_at(ft, &first, 10);
	add_at(ft, &later, 40);		/* exactly 30 s later: joins */
	add_at(ft, &later, 5);		/* stamped before it: joins */
	add_at(ft, &later, 40.5);	/* more than 30 s: does not */
	add_at(ft, &lone, 11);
	flush(ft);
	ok(find(pending[0], 4, "10.0.0.1", "10.0.0.2", 53, 17) != NULL,
	    "first fragment attributed by the port rule");
	if (find(pending[0], 4, "10.0.0.1", "10.0.0.2", 53, 17))
		is_int(find(pending[0], 4, "10.0.0.1", "10.0.0.2", 53,
		    17)->pkts_rcvd, 3, "two later fragments joined it");
	ok(find(pending[0], 4, "10.0.0.1", "10.0.0.2", 0, 17) != NULL,
	    "late fragment: (src, dst, 0), sender is client");
	ok(find(pending[0], 4, "10.0.0.3", "10.0.0.4", 0, 17) != NULL,
	    "unmatched fragment: dport 0, keep");
	release_all(ft);
	flowtab_free(ft);
}

static void
test_early_write(void)
{
	struct flowtab *ft = table(300, 4);
	struct parse_packet p = pkt(4, "10.0.0.1", 40000, "10.0.0.2", 1, 17);
	size_t total = 0, packets = 0, i, j;
	int n;

	for (n = 1; n <= 10; n++) {
		p.dport = (uint16_t)n;
		add_at(ft, &p, 1);
	}
	p.dport = 1;
	add_at(ft, &p, 2);
	flush(ft);
	ok(npending == 3, "10 flows in tables of 4: three parts");
	for (i = 0; i < (size_t)npending; i++) {
		total += pending[i]->nrows;
		for (j = 0; j < pending[i]->nrows; j++)
			packets += pending[i]->rows[j].pkts_rcvd;
		ok(pending[i]->ts == 0, "every part is the same bin");
	}
	is_int(total, 11, "10 flows, one of them again in the last part");
	is_int(packets, 11, "no packet lost");
	is_int(pending[0]->stats.early_writes, 1, "early write counted");
	is_int(pending[2]->stats.early_writes, 0, "final write is not early");
	release_all(ft);
	flowtab_free(ft);
}

/* ------------------------------------------------------ the naive model */

struct model_conn {
	uint8_t a[4], b[4];
	uint16_t pa, pb;
	uint8_t proto;
	int client_is_a;
	int64_t last_bin;
};

struct model_row {
	uint8_t s[4], d[4];
	uint16_t dport;
	uint8_t proto;
	uint64_t c[4];
};

static struct model_conn mconns[20000];
static int nmconns;
static struct model_row mrows[20000];
static int nmrows;

static int
model_port_keeps(uint16_t sp, uint16_t dp)
{
	int se = sp >= 32768 || sp == 0, de = dp >= 32768 || dp == 0;

	return se != de ? se : dp <= sp;
}

static void
model_add(const struct parse_packet *p, int64_t bin)
{
	int i, sender_is_a, keep, client_is_a = 0;
	struct model_conn *c = NULL;
	uint8_t a[4], b[4], *cl, *sv;
	uint16_t pa, pb, dport;
	int cmp = memcmp(p->src, p->dst, 4);

	if (cmp < 0 || (cmp == 0 && p->sport <= p->dport)) {
		memcpy(a, p->src, 4); memcpy(b, p->dst, 4);
		pa = p->sport; pb = p->dport; sender_is_a = 1;
	} else {
		memcpy(a, p->dst, 4); memcpy(b, p->src, 4);
		pa = p->dport; pb = p->sport; sender_is_a = 0;
	}
	keep = p->proto == 6 && p->has_hint && (p->hint & 2) ?
	    !(p->hint & 0x10) : model_port_keeps(p->sport, p->dport);
	for (i = 0; i < nmconns; i++)
		if (!memcmp(mconns[i].a, a, 4) && !memcmp(mconns[i].b, b, 4) &&
		    mconns[i].pa == pa && mconns[i].pb == pb &&
		    mconns[i].proto == p->proto)
			c = &mconns[i];
	if (c != NULL && c->last_bin >= bin - 1)
		client_is_a = c->client_is_a;
	else {
		client_is_a = keep ? sender_is_a : !sender_is_a;
		if (c == NULL)
			c = &mconns[nmconns++];
		memcpy(c->a, a, 4); memcpy(c->b, b, 4);
		c->pa = pa; c->pb = pb; c->proto = p->proto;
		c->client_is_a = client_is_a;
	}
	c->last_bin = bin;
	cl = client_is_a ? a : b;
	sv = client_is_a ? b : a;
	dport = client_is_a ? pb : pa;
	for (i = 0; i < nmrows; i++)
		if (!memcmp(mrows[i].s, cl, 4) && !memcmp(mrows[i].d, sv, 4) &&
		    mrows[i].dport == dport && mrows[i].proto == p->proto)
			break;
	if (i == nmrows) {
		memset(&mrows[i], 0, sizeof mrows[i]);
		memcpy(mrows[i].s, cl, 4); memcpy(mrows[i].d, sv, 4);
		mrows[i].dport = dport; mrows[i].proto = p->proto;
		nmrows++;
	}
	mrows[i].c[p->sent ? 1 : 0] += p->nbytes;
	mrows[i].c[p->sent ? 3 : 2]++;
}

/* Compare the model's rows with the table's parts of one bin. */
static int
model_matches(struct flowtab_bin **bins, int nbins)
{
	uint64_t sum[4];
	int i, j, k, found, rows = 0;

	for (i = 0; i < nbins; i++)
		rows += (int)bins[i]->nrows;
	if (rows != nmrows)
		return 0;
	for (i = 0; i < nmrows; i++) {
		memset(sum, 0, sizeof sum);
		found = 0;
		for (j = 0; j < nbins; j++)
			for (k = 0; k < (int)bins[j]->nrows; k++) {
				const struct flowtab_row *r = &bins[j]->rows[k];

				if (memcmp(r->key.sip, mrows[i].s, 4) ||
				    memcmp(r->key.dip, mrows[i].d, 4) ||
				    r->key.dport != mrows[i].dport ||
				    r->key.proto != mrows[i].proto)
					continue;
				found++;
				sum[0] += r->bytes_rcvd; sum[1] += r->bytes_sent;
				sum[2] += r->pkts_rcvd; sum[3] += r->pkts_sent;
			}
		if (found != 1 || memcmp(sum, mrows[i].c, sizeof sum) != 0)
			return 0;
	}
	return 1;
}

static void
test_against_model(void)
{
	struct flowtab_config cfg = { .interval = 10, .max_flows = 3000,
	    .max_conns = 2200 };
	struct flowtab *ft = flowtab_new(&cfg);
	struct parse_packet p;
	struct flowtab_bin *b;
	int64_t bin, t;
	int i, bad = 0, bins = 0;
	unsigned seed = 12345;

	for (bin = 0; bin < 40; bin++) {
		nmrows = 0;
		b = flowtab_rotate(ft, bin);
		if (b != NULL)
			flowtab_bin_release(ft, b);
		for (i = 0; i < 3000; i++) {
			seed = seed * 1103515245 + 12345;
			t = bin * 10;
			memset(&p, 0, sizeof p);
			p.family = 4;
			p.src[0] = 10; p.src[3] = (uint8_t)((seed >> 8) % 7);
			p.dst[0] = 10; p.dst[3] = (uint8_t)((seed >> 12) % 7);
			p.proto = (seed >> 16) & 1 ? 6 : 17;
			p.sport = (uint16_t)((seed >> 4) % 5 * 16000 + 80);
			p.dport = (uint16_t)((seed >> 20) % 5 * 16000 + 80);
			p.has_hint = p.proto == 6 && (seed >> 24) % 4 == 0;
			p.hint = (seed >> 26) & 1 ? 0x12 : 0x02;
			p.sent = (seed >> 28) & 1;
			p.nbytes = 40 + (seed >> 3) % 1000;
			/* Every fifth bin is idle for half the hosts. */
			if (bin % 5 == 2 && p.src[3] < 4)
				continue;
			model_add(&p, bin);
			if (flowtab_add(ft, &p, t * 1000000000LL) != 0)
				bad++;
		}
		b = flowtab_rotate(ft, bin);	/* freeze this bin */
		if (!model_matches(&b, 1) || b->stats.conn_overflow != 0)
			bad++;
		flowtab_bin_release(ft, b);
		bins++;
	}
	is_int(bad, 0, "40 bins of random traffic match the naive model");
	is_int(bins, 40, "all bins compared");
	flowtab_free(ft);
}

/* Packet i of n distinct connections (10.x.y.z -> 192.0.0.1). */
static void
conn_packet(struct parse_packet *p, size_t i)
{
	memset(p, 0, sizeof *p);
	p->family = 4;
	p->src[0] = 10;
	p->src[1] = (uint8_t)(i >> 16);
	p->src[2] = (uint8_t)(i >> 8);
	p->src[3] = (uint8_t)i;
	p->dst[0] = 192;
	p->dst[3] = 1;
	p->proto = 6;
	p->sport = 40000;
	p->dport = 50000;
	p->has_hint = 1;
	p->hint = 0x02;
	p->nbytes = 100;
}

/*
 * Counting never grows the connection table (packet_path_never_allocates):
 * without flowtab_grow_conns() a table of its first size (65536 slots,
 * 49152 connections at most) counts the rest without a connection; with it
 * between batches, every connection is remembered.
 */
static void
test_no_growth_while_counting(void)
{
	struct flowtab_config cfg = { .interval = 300, .max_flows = 400000 };
	struct flowtab *ft = flowtab_new(&cfg);
	struct parse_packet p;
	size_t i, n = 60000, bad = 0;
	struct flowtab_bin *b;

	flowtab_rotate(ft, 0);
	for (i = 0; i < n; i++) {
		conn_packet(&p, i);
		if (flowtab_add(ft, &p, 1000000000LL) != 0)
			bad++;
	}
	is_int(bad, 0, "every packet counted");
	is_int(flowtab_conn_count(ft), 49152,
	    "no growth while counting: 49152 connections remembered");
	is_int(flowtab_stats(ft)->conn_overflow, n - 49152,
	    "the rest counted without one (conn_overflow)");
	b = flowtab_rotate(ft, 1);
	flowtab_bin_release(ft, b);
	flowtab_free(ft);

	ft = flowtab_new(&cfg);
	flowtab_rotate(ft, 0);
	for (i = 0; i < n; i++) {
		if (i % FLOWTAB_GROW_AHEAD == 0 && flowtab_grow_conns(ft) != 0)
			bad++;
		conn_packet(&p, i);
		if (flowtab_add(ft, &p, 1000000000LL) != 0)
			bad++;
	}
	is_int(bad, 0, "grown and counted");
	is_int(flowtab_conn_count(ft), n, "grown between batches: %zu "
	    "connections remembered", n);
	is_int(flowtab_stats(ft)->conn_overflow, 0, "none overflowed");
	flowtab_free(ft);
}

/* The connection table grows from its first size: nothing is forgotten. */
static void
test_growth(void)
{
	struct flowtab_config cfg = { .interval = 300, .max_flows = 400000 };
	struct flowtab *ft = flowtab_new(&cfg);
	struct parse_packet p;
	struct flowtab_bin *b;
	size_t i, n = 150000, bad = 0, counted = 0;
	int pass;

	b = flowtab_rotate(ft, 0);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			memset(&p, 0, sizeof p);
			p.family = 4;
			p.src[0] = 10;
			p.src[1] = (uint8_t)(i >> 16);
			p.src[2] = (uint8_t)(i >> 8);
			p.src[3] = (uint8_t)i;
			p.dst[0] = 192;
			p.dst[3] = 1;
			p.proto = 6;
			/* Both ephemeral: the first packet's direction wins
			 * only while the connection is remembered. */
			p.sport = 40000;
			p.dport = 50000;
			p.has_hint = 1;
			p.hint = pass == 0 ? 0x02 : 0x10;
			p.nbytes = 100;
			if (pass == 1) {	/* the reply: 192.0.0.1 -> 10.x */
				uint8_t t[16];

				memcpy(t, p.src, 16);
				memcpy(p.src, p.dst, 16);
				memcpy(p.dst, t, 16);
				p.sport = 50000;
				p.dport = 40000;
			}
			if (i % 64 == 0 && flowtab_grow_conns(ft) != 0)
				bad++;
			if (flowtab_add(ft, &p, 1000000000LL) != 0)
				bad++;
		}
	}
	is_int(flowtab_conn_count(ft), n, "150000 connections remembered");
	b = flowtab_rotate(ft, 0);
	/* The last bin: the packets' tables go, the bin stays whole. */
	flowtab_close(ft);
	is_int(flowtab_conn_count(ft), 0, "closed: no connection left");
	is_int(b->nrows, n, "one row per connection after growing twice");
	for (i = 0; i < b->nrows; i++) {
		if (b->rows[i].key.sip[0] == 10 && b->rows[i].pkts_rcvd == 2 &&
		    b->rows[i].key.dport == 50000)
			counted++;
	}
	is_int(counted, n, "every reply joined its SYN's row (client kept)");
	is_int(bad, 0, "no add failed");
	flowtab_bin_release(ft, b);
	flowtab_free(ft);
}

int
main(void)
{
	test_tcp_handshake();
	test_port_rule_and_udp();
	test_icmp();
	test_idle_connection();
	test_fragments();
	test_early_write();
	test_against_model();
	test_no_growth_while_counting();
	test_growth();
	return tap_done();
}
