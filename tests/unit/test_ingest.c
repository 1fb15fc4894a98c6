/*
 * test_ingest.c - unit tests of the one ingest path (src/ingest.c): the
 * clock (bins by frame time, time going back, frames without a time, a
 * stamp at or after 2100), the counters by reason, early writes when the
 * table is full, the same bins whatever the batch boundaries of the source
 * (a ring block or a file batch), the connection table kept roomy between
 * batches, and the hooks the packet features use: the rewrite before the
 * flow table and the per-frame callback with verdict, parsed packet and
 * connection (both directions one connection, a later fragment its first
 * fragment's), in the order the frames came.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab.h"
#include "ingest.h"
#include "parse.h"
#include "pcapw.h"
#include "tap.h"

#define S(x)	((int64_t)(x) * FLOWTAB_NS_PER_S)
#define T0	S(1700000100)		/* a bin start at 300 s */
#define MAXF	512

/* Frames made for a test, kept so that the hook can check the bytes. */
static uint8_t frames[MAXF][256];
static size_t frame_len[MAXF];
static size_t nframes;

/* An Ethernet frame; returns its index. */
static size_t
mkframe(int family, const char *src, uint16_t sport, const char *dst,
    uint16_t dport, uint8_t proto, uint8_t flags)
{
	struct pcapw_pkt p = { .linktype = 1, .family = family, .src = src,
	    .dst = dst, .proto = proto, .sport = sport, .dport = dport,
	    .tcp_flags = flags, .payload = 20 };
	size_t n;

	if (nframes == MAXF)
		abort();
	n = pcapw_frame(&p, frames[nframes], sizeof frames[0]);
	if (n == 0)
		abort();
	frame_len[nframes] = n;
	return nframes++;
}

static size_t
mkfrag(const char *src, const char *dst, uint16_t id, uint16_t off, int mf)
{
	struct pcapw_pkt p = { .linktype = 1, .family = 4, .src = src,
	    .dst = dst, .proto = 17, .sport = 5000, .dport = 53,
	    .payload = 40, .ip_id = id, .frag_offset = off,
	    .more_frags = mf };
	size_t n;

	n = pcapw_frame(&p, frames[nframes], sizeof frames[0]);
	if (n == 0)
		abort();
	frame_len[nframes] = n;
	return nframes++;
}

static size_t
mkarp(void)
{
	memset(frames[nframes], 0, 60);
	frames[nframes][12] = 0x08;
	frames[nframes][13] = 0x06;
	frame_len[nframes] = 60;
	return nframes++;
}

/* What bin_out saw. */
struct got_bin {
	int64_t		 ts;
	size_t		 nrows;
	uint64_t	 pkts;
	struct flowtab_stats stats;
	struct flowtab_row rows[64];
};

struct sink {
	struct flowtab	*ft;
	struct got_bin	 bins[64];
	size_t		 nbins;
};

static void
sink_bin(void *arg, struct flowtab_bin *b)
{
	struct sink *k = arg;
	struct got_bin *g = &k->bins[k->nbins < 63 ? k->nbins++ : 63];
	size_t i;

	memset(g, 0, sizeof *g);
	g->ts = b->ts;
	g->nrows = b->nrows;
	g->stats = b->stats;
	for (i = 0; i < b->nrows; i++) {
		g->pkts += b->rows[i].pkts_rcvd + b->rows[i].pkts_sent;
		if (i < 64)
			g->rows[i] = b->rows[i];
	}
	flowtab_bin_release(k->ft, b);
}

static struct ingest *
setup(struct sink *k, size_t max_flows)
{
	struct flowtab_config fc = { .interval = 300, .max_flows = max_flows };
	struct ingest_config ic = { 0 };
	struct ingest *ing;

	memset(k, 0, sizeof *k);
	k->ft = flowtab_new(&fc);
	ic.ft = k->ft;
	ic.bin_out = sink_bin;
	ic.arg = k;
	if (k->ft == NULL)
		abort();
	ing = ingest_new(&ic);
	return ing;
}

static void
teardown(struct ingest *ing, struct sink *k)
{
	ingest_free(ing);
	flowtab_free(k->ft);
}

static void
feed(struct ingest *ing, size_t i, int64_t t)
{
	struct ingest_frame f = { 0 };

	f.in.data = frames[i];
	f.in.caplen = f.in.wirelen = (uint32_t)frame_len[i];
	f.in.linktype = PARSE_LINK_ETHERNET;
	f.time_ns = t;
	f.has_time = 1;
	ingest_add(ing, &f);
}

static void
feed_bad(struct ingest *ing, int has_time, int64_t t)
{
	struct ingest_frame f = { 0 };

	f.bad = 1;
	f.has_time = (uint8_t)has_time;
	f.time_ns = t;
	ingest_add(ing, &f);
}

static void
test_clock_and_counters(void)
{
	static struct sink k;
	struct ingest *ing = setup(&k, 1000);
	struct ingest_stats st;
	size_t tcp, arp, cut;

	nframes = 0;
	tcp = mkframe(4, "10.0.0.1", 40000, "10.0.0.2", 80, 6, 0x02);
	arp = mkarp();
	cut = mkframe(4, "10.0.0.1", 40000, "10.0.0.2", 80, 6, 0x10);
	frame_len[cut] = 14 + 10;		/* IPv4 header cut */

	feed_bad(ing, 0, 0);			/* before any time */
	feed(ing, tcp, T0 + S(1));
	feed(ing, arp, T0 + S(2));
	feed(ing, cut, T0 + S(3));
	feed(ing, tcp, T0 - S(1000));		/* time goes back: open bin */
	is_int(k.nbins, 0, "nothing written within the first bin");
	feed(ing, tcp, T0 + S(300));		/* the next bin */
	is_int(k.nbins, 1, "a frame of the next bin writes the first");
	is_int(k.bins[0].ts, T0 / FLOWTAB_NS_PER_S, "bin start");
	is_int(k.bins[0].stats.packets, 5, "5 frames in the first bin");
	is_int(k.bins[0].stats.ip, 2, "2 IP (one stamped earlier)");
	is_int(k.bins[0].stats.non_ip, 1, "1 not IP");
	is_int(k.bins[0].stats.malformed, 2, "2 malformed");
	is_int(k.bins[0].stats.reasons[PARSE_BAD_RECORD], 1,
	    "bad_record counted");
	is_int(k.bins[0].stats.reasons[PARSE_NOTIP_ETHERTYPE], 1,
	    "ethertype counted");
	is_int(k.bins[0].stats.reasons[PARSE_SHORT_IPV4], 1,
	    "short_ipv4 counted");
	is_int(k.bins[0].pkts, 2, "the rows hold the 2 IP packets");

	/* A stamp at or after 2100 is malformed and moves no bin. */
	feed(ing, tcp, INGEST_TIME_LIMIT_NS);
	feed(ing, tcp, INT64_MAX);
	feed_bad(ing, 1, INGEST_TIME_LIMIT_NS + 1);
	feed(ing, tcp, T0 + S(301));
	is_int(k.nbins, 1, "times past 2100 rotate nothing");
	ingest_flush(ing);
	ingest_get_stats(ing, &st);
	is_int(st.packets, 10, "totals: packets");
	is_int(st.malformed, 5, "totals: malformed");
	is_int(st.ip, 4, "totals: ip");
	feed(ing, tcp, INGEST_TIME_LIMIT_NS - 1);	/* the last good time */
	is_int(k.nbins, 2, "the last nanosecond before 2100 is a time");
	is_int(k.bins[1].stats.reasons[PARSE_BAD_TIME], 3,
	    "time_out_of_range counted by reason");
	is_int(k.bins[1].stats.malformed, 3, "... as malformed");
	is_str(parse_reason_name(PARSE_BAD_TIME), "time_out_of_range",
	    "its stable name");
	ingest_finish(ing);
	is_int(k.nbins, 3, "finish writes the open bin");
	is_int(k.bins[2].ts, (INGEST_TIME_LIMIT_NS - 1) / FLOWTAB_NS_PER_S /
	    300 * 300, "... of 2099-12-31 23:55");
	ingest_get_stats(ing, &st);
	is_int(st.packets, 11, "totals after the end");
	is_int(st.ip, 5, "ip after the end");
	teardown(ing, &k);
}

/* An IP frame before any time opens the bin of time 0 (as --read did). */
static void
test_no_time(void)
{
	static struct sink k;
	struct ingest *ing = setup(&k, 1000);
	struct ingest_frame f = { 0 };
	size_t tcp;

	nframes = 0;
	tcp = mkframe(4, "10.0.0.1", 40000, "10.0.0.2", 80, 6, 0x02);
	f.in.data = frames[tcp];
	f.in.caplen = f.in.wirelen = (uint32_t)frame_len[tcp];
	f.in.linktype = PARSE_LINK_ETHERNET;
	ingest_add(ing, &f);
	feed(ing, tcp, T0);
	is_int(k.nbins, 1, "a timed frame after it writes bin 0");
	is_int(k.bins[0].ts, 0, "bin 0");
	is_int(k.bins[0].pkts, 1, "with the untimed packet");
	teardown(ing, &k);
}

/* Table full: early writes of the same bin, nothing lost. */
static void
test_early_writes(void)
{
	static struct sink k;
	struct ingest *ing = setup(&k, 3);
	struct ingest_stats st;
	char dst[32];
	size_t i, f[10], rows = 0, pkts = 0;

	nframes = 0;
	for (i = 0; i < 10; i++) {
		snprintf(dst, sizeof dst, "10.0.1.%zu", i + 1);
		f[i] = mkframe(4, "10.0.0.1", 40000, dst, 53, 17, 0);
	}
	for (i = 0; i < 10; i++)
		feed(ing, f[i], T0 + S(i));
	ingest_flush(ing);
	ingest_finish(ing);
	for (i = 0; i < k.nbins; i++) {
		rows += k.bins[i].nrows;
		pkts += k.bins[i].pkts;
	}
	is_int(k.nbins, 4, "10 flows, 3 a bin: 4 writes");
	is_int(rows, 10, "every flow written");
	is_int(pkts, 10, "every packet counted");
	is_int(k.bins[0].ts, k.bins[3].ts, "all of the same bin");
	is_int(k.bins[0].stats.early_writes, 1, "early writes counted");
	ingest_get_stats(ing, &st);
	is_int(st.ip, 10, "totals: 10 ip");
	is_int(st.lost, 0, "none lost");
	teardown(ing, &k);
}

/* The counters of every write of bin ts, summed as the store sums them. */
static void
sum_stats(const struct sink *k, int64_t ts, struct flowtab_stats *sum)
{
	const uint64_t *from;
	uint64_t *to = (uint64_t *)sum;
	size_t i, j;

	memset(sum, 0, sizeof *sum);
	for (i = 0; i < k->nbins; i++) {
		if (k->bins[i].ts != ts)
			continue;
		from = (const uint64_t *)&k->bins[i].stats;
		for (j = 0; j < sizeof *sum / sizeof *to; j++)
			to[j] += from[j];
	}
}

/*
 * The same frames give the same bins whatever the sources' batches: one
 * flush per frame (small ring blocks) or none but the batch's own.
 */
static void
test_batch_boundaries(void)
{
	static struct sink k1, k2;
	struct ingest *a, *b;
	char src[32], dst[32];
	unsigned seed = 7;
	size_t i, j, n = 0, idx[MAXF];
	int64_t t[MAXF], now = T0;
	struct flowtab_stats s1, s2;
	size_t nts = 0;
	int same = 1;

	nframes = 0;
	for (i = 0; i < 400; i++) {
		snprintf(src, sizeof src, "10.0.%u.%u", rand_r(&seed) % 3,
		    rand_r(&seed) % 5);
		snprintf(dst, sizeof dst, "10.1.0.%u", rand_r(&seed) % 4);
		switch (rand_r(&seed) % 8) {
		case 0:
			idx[n] = mkarp();
			break;
		case 1:
			idx[n] = mkframe(4, src, 53, dst, 40000, 17, 0);
			frame_len[idx[n]] = 20;		/* cut */
			break;
		default:
			idx[n] = mkframe(4, src, (uint16_t)(40000 +
			    rand_r(&seed) % 3), dst, 80, 6, rand_r(&seed) % 2 ?
			    0x02 : 0x10);
		}
		now += S(rand_r(&seed) % 7);
		t[n++] = now - (rand_r(&seed) % 10 == 0 ? S(400) : 0);
	}
	a = setup(&k1, 16);
	b = setup(&k2, 16);
	for (i = 0; i < n; i++) {
		feed(a, idx[i], t[i]);
		feed(b, idx[i], t[i]);
		ingest_flush(b);
	}
	ingest_finish(a);
	ingest_finish(b);
	/*
	 * Rows write by write; counters bin by bin (a frame's counters go to
	 * the part of the bin open when it came, its row to the part open
	 * when its batch is counted: the store sums a bin's parts).
	 */
	if (k1.nbins != k2.nbins)
		same = 0;
	for (i = 0; same && i < k1.nbins; i++) {
		if (k1.bins[i].ts != k2.bins[i].ts ||
		    k1.bins[i].nrows != k2.bins[i].nrows)
			same = 0;
		for (j = 0; same && j < k1.bins[i].nrows && j < 64; j++)
			if (memcmp(&k1.bins[i].rows[j], &k2.bins[i].rows[j],
			    sizeof k1.bins[i].rows[j]) != 0)
				same = 0;
		if (same && (i + 1 == k1.nbins ||
		    k1.bins[i + 1].ts != k1.bins[i].ts)) {
			sum_stats(&k1, k1.bins[i].ts, &s1);
			sum_stats(&k2, k1.bins[i].ts, &s2);
			if (memcmp(&s1, &s2, sizeof s1) != 0)
				same = 0;
			nts++;
		}
	}
	ok(same && nts >= 4 && k1.nbins > nts, "%zu frames: the same %zu "
	    "writes of %zu bins with a flush after every frame", n, k1.nbins,
	    nts);
	teardown(a, &k1);
	teardown(b, &k2);
}

/* Many new connections through ingest: the table grows between batches. */
static void
test_conn_room(void)
{
	static struct sink k;
	struct ingest *ing = setup(&k, 400000);
	struct ingest_frame f = { 0 };
	struct ingest_stats st;
	uint8_t fr[128];
	size_t n, i;
	struct pcapw_pkt p = { .linktype = 1, .family = 4, .src = "10.0.0.1",
	    .dst = "10.9.0.1", .proto = 17, .sport = 1, .dport = 53 };

	n = pcapw_frame(&p, fr, sizeof fr);
	f.in.data = fr;
	f.in.caplen = f.in.wirelen = (uint32_t)n;
	f.in.linktype = PARSE_LINK_ETHERNET;
	f.has_time = 1;
	f.time_ns = T0;
	for (i = 0; i < 200000; i++) {
		/* Source address 10.x.y.z and port: a new connection each. */
		fr[27] = (uint8_t)(i >> 16);
		fr[28] = (uint8_t)(i >> 8);
		fr[29] = (uint8_t)i;
		fr[34] = (uint8_t)(i >> 8);
		fr[35] = (uint8_t)i;
		ingest_add(ing, &f);
	}
	ingest_flush(ing);
	is_int(flowtab_conn_count(k.ft), 200000,
	    "200000 connections remembered (the table grew off the packets)");
	is_int(flowtab_stats(k.ft)->conn_overflow, 0, "none overflowed");
	ingest_get_stats(ing, &st);
	is_int(st.ip, 200000, "all counted");
	ingest_finish(ing);
	teardown(ing, &k);
}

/* ------------------------------------------------------------ hooks */

struct seen {
	size_t		 frame;		/* index into frames[], by data */
	enum parse_reason verdict;
	int64_t		 time_ns;
	int		 has_pkt, has_conn;
	struct parse_packet pkt;
	struct flowtab_conn conn;
	int		 bytes_ok;
};

struct recorder {
	struct seen	 seen[MAXF];
	size_t		 n;
	size_t		 rewrites;
};

static void
hook_packet(void *arg, const struct ingest_packet *ip)
{
	struct recorder *r = arg;
	struct seen *s = &r->seen[r->n < MAXF ? r->n++ : MAXF - 1];
	size_t i;

	memset(s, 0, sizeof *s);
	s->frame = (size_t)-1;
	for (i = 0; i < nframes; i++)
		if (ip->frame->data == frames[i])
			s->frame = i;
	s->verdict = ip->verdict;
	s->time_ns = ip->time_ns;
	s->bytes_ok = s->frame != (size_t)-1 &&
	    ip->frame->caplen == frame_len[s->frame] &&
	    ip->frame->linktype == PARSE_LINK_ETHERNET;
	if (ip->pkt != NULL) {
		s->has_pkt = 1;
		s->pkt = *ip->pkt;
	}
	if (ip->conn != NULL) {
		s->has_conn = 1;
		s->conn = *ip->conn;
	}
}

/* Anonymise to the /24: the host byte zeroed. */
static void
hook_rewrite(void *arg, struct parse_packet *pkts, size_t n)
{
	struct recorder *r = arg;
	size_t i;

	r->rewrites += n;
	for (i = 0; i < n; i++) {
		pkts[i].src[3] = 0;
		pkts[i].dst[3] = 0;
	}
}

static int
same_conn(const struct flowtab_conn *x, const struct flowtab_conn *y)
{
	return memcmp(x->a, y->a, 16) == 0 && memcmp(x->b, y->b, 16) == 0 &&
	    x->port_a == y->port_a && x->port_b == y->port_b &&
	    x->proto == y->proto && x->vlan == y->vlan &&
	    x->family == y->family && x->hash == y->hash;
}

static void
test_packet_hook(void)
{
	static struct recorder r;
	struct ingest_hooks h = { 0 };
	static struct sink k;
	struct ingest *ing = setup(&k, 1000);
	size_t syn, synack, ack, arp, first, later, stray, order[8], i;
	int64_t t[8];
	int in_order = 1, bytes = 1;
	const struct flowtab_conn *c;
	struct in_addr a;

	memset(&r, 0, sizeof r);
	nframes = 0;
	syn = mkframe(4, "192.0.2.7", 40000, "198.51.100.9", 443, 6, 0x02);
	synack = mkframe(4, "198.51.100.9", 443, "192.0.2.7", 40000, 6, 0x12);
	arp = mkarp();
	ack = mkframe(4, "192.0.2.7", 40000, "198.51.100.9", 443, 6, 0x10);
	first = mkfrag("192.0.2.20", "192.0.2.30", 99, 0, 1);
	later = mkfrag("192.0.2.20", "192.0.2.30", 99, 3, 0);
	stray = mkfrag("192.0.2.21", "192.0.2.30", 98, 3, 0);
	h.packet = hook_packet;
	h.arg = &r;
	ingest_set_hooks(ing, &h);
	order[0] = syn; order[1] = synack; order[2] = arp; order[3] = ack;
	order[4] = first; order[5] = later; order[6] = stray;
	for (i = 0; i < 7; i++) {
		t[i] = T0 + S(i);
		feed(ing, order[i], t[i]);
	}
	feed_bad(ing, 1, T0 + S(7));
	ingest_flush(ing);
	is_int(r.n, 8, "the hook saw every frame");
	for (i = 0; i < 7; i++) {
		if (r.seen[i].frame != order[i] || r.seen[i].time_ns != t[i])
			in_order = 0;
		if (!r.seen[i].bytes_ok)
			bytes = 0;
	}
	ok(in_order, "in the order they came, with their times");
	ok(bytes, "with their frames as given");
	is_int(r.seen[2].verdict, PARSE_NOTIP_ETHERTYPE, "ARP: its verdict");
	ok(!r.seen[2].has_pkt && !r.seen[2].has_conn, "... no packet");
	is_int(r.seen[7].verdict, PARSE_BAD_RECORD, "a bad record: its "
	    "verdict");
	ok(r.seen[0].verdict == PARSE_OK && r.seen[0].has_pkt &&
	    r.seen[0].has_conn && r.seen[0].pkt.dport == 443,
	    "the SYN: verdict, parsed packet and connection");
	ok(same_conn(&r.seen[0].conn, &r.seen[1].conn) &&
	    same_conn(&r.seen[0].conn, &r.seen[3].conn),
	    "SYN, SYN-ACK, ACK: one connection");
	ok(r.seen[0].conn.sender_is_a != r.seen[1].conn.sender_is_a &&
	    r.seen[0].conn.sender_is_a == r.seen[3].conn.sender_is_a,
	    "sender_is_a follows the direction");
	c = &r.seen[0].conn;
	inet_pton(AF_INET, "192.0.2.7", &a);
	ok(c->client_is_a == (memcmp(c->a, &a, 4) == 0) &&
	    c->client_is_a == r.seen[1].conn.client_is_a,
	    "the client is 192.0.2.7 for every packet");
	ok(c->proto == 6 && c->family == 4 &&
	    (c->sender_is_a ? c->port_a : c->port_b) == 40000 &&
	    (c->sender_is_a ? c->port_b : c->port_a) == 443,
	    "ports and protocol of the connection");
	ok(same_conn(&r.seen[4].conn, &r.seen[5].conn) &&
	    r.seen[4].conn.port_a + r.seen[4].conn.port_b == 5000 + 53,
	    "a later fragment: its first fragment's connection");
	ok(r.seen[6].has_conn && r.seen[6].conn.port_a == 0 &&
	    r.seen[6].conn.port_b == 0 && r.seen[6].conn.proto == 17,
	    "an unmatched later fragment: (src, 0, dst, 0)");
	ingest_set_hooks(ing, NULL);		/* cleared */
	feed(ing, syn, T0 + S(8));
	ingest_flush(ing);
	is_int(r.n, 8, "... and no longer called");
	ingest_finish(ing);
	teardown(ing, &k);
}

static void
test_rewrite_hook(void)
{
	static struct recorder r;
	struct ingest_hooks h = { 0 };
	static struct sink k;
	struct ingest *ing = setup(&k, 1000);
	size_t a, b, i, host_bits = 0;

	memset(&r, 0, sizeof r);
	nframes = 0;
	a = mkframe(4, "192.0.2.7", 40000, "198.51.100.9", 443, 6, 0x02);
	b = mkframe(4, "192.0.2.8", 40000, "198.51.100.9", 443, 6, 0x02);
	h.rewrite = hook_rewrite;
	h.packet = hook_packet;
	h.arg = &r;
	ingest_set_hooks(ing, &h);
	feed(ing, a, T0);
	feed(ing, b, T0 + S(1));
	ingest_finish(ing);
	is_int(r.rewrites, 2, "the rewrite saw both packets");
	is_int(k.nbins, 1, "one bin");
	is_int(k.bins[0].nrows, 1, "the two hosts of one /24: one row");
	for (i = 0; i < k.bins[0].nrows; i++)
		host_bits += k.bins[0].rows[i].key.sip[3] |
		    k.bins[0].rows[i].key.dip[3];
	is_int(host_bits, 0, "the rows hold no host bits");
	ok(r.n == 2 && r.seen[0].pkt.src[3] == 0 &&
	    r.seen[0].conn.a[3] == 0 && r.seen[0].conn.b[3] == 0,
	    "the packet hook sees the rewritten packet and connection");
	ok(r.seen[0].bytes_ok && frames[a][29] == 7,
	    "the frame itself is not the rewrite's to change");
	teardown(ing, &k);
}

int
main(void)
{
	test_clock_and_counters();
	test_no_time();
	test_early_writes();
	test_batch_boundaries();
	test_conn_room();
	test_packet_hook();
	test_rewrite_hook();
	return tap_done();
}
