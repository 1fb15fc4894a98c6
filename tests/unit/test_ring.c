/*
 * test_ring.c - the TPACKET_V3 block walker on blocks built the way the
 * kernel builds them, and on blocks whose every field lies.
 */
#include "config.h"

#include <linux/if_packet.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"
#include "tap.h"

#define BLOCK	4096
#define SLL_OFF	TPACKET_ALIGN(sizeof(struct tpacket3_hdr))
#define MACOFF	82		/* where the kernel puts an Ethernet frame */

struct blk {
	uint8_t		 mem[BLOCK] __attribute__((aligned(16)));
	size_t		 off;		/* next packet header */
	size_t		 last;		/* last packet header, 0 none */
	uint32_t	 n;
};

static void
blk_init(struct blk *b)
{
	struct tpacket_block_desc bd;

	memset(b, 0, sizeof *b);
	memset(&bd, 0, sizeof bd);
	bd.version = TPACKET_V3;
	bd.hdr.bh1.block_status = TP_STATUS_USER;
	bd.hdr.bh1.offset_to_first_pkt = TPACKET_ALIGN(sizeof bd);
	bd.hdr.bh1.seq_num = 7;
	memcpy(b->mem, &bd, sizeof bd);
	b->off = TPACKET_ALIGN(sizeof bd);
}

/* Append a packet of caplen bytes (filled with fill) like the kernel does. */
static struct tpacket3_hdr *
blk_add(struct blk *b, uint32_t caplen, uint32_t wirelen, uint8_t fill,
    uint32_t sec, uint32_t nsec, int vlan, int pkttype)
{
	struct tpacket_block_desc *bd = (void *)b->mem;
	struct tpacket3_hdr *h = (void *)(b->mem + b->off);
	struct sockaddr_ll *sll = (void *)(b->mem + b->off + SLL_OFF);

	memset(h, 0, sizeof *h);
	h->tp_sec = sec;
	h->tp_nsec = nsec;
	h->tp_snaplen = caplen;
	h->tp_len = wirelen;
	h->tp_mac = MACOFF;
	h->tp_status = TP_STATUS_USER;
	if (vlan >= 0) {
		h->tp_status |= TP_STATUS_VLAN_VALID;
		h->hv1.tp_vlan_tci = (uint32_t)vlan;
	}
	sll->sll_pkttype = (unsigned char)pkttype;
	memset(b->mem + b->off + MACOFF, fill, caplen);
	if (b->last != 0) {
		struct tpacket3_hdr *prev = (void *)(b->mem + b->last);
		prev->tp_next_offset = (uint32_t)(b->off - b->last);
	}
	b->last = b->off;
	b->off = TPACKET_ALIGN(b->off + MACOFF + caplen);
	bd->hdr.bh1.num_pkts = ++b->n;
	bd->hdr.bh1.blk_len = (uint32_t)b->off;
	return h;
}

static struct tpacket_block_desc *
blk_desc(struct blk *b)
{
	return (void *)b->mem;
}

/* Walk a whole block; returns packets seen, *bad and *corrupt counted. */
static int
walk_all(const void *mem, size_t len, int *bad, int *corrupt)
{
	struct ring_walk w;
	struct ring_pkt p;
	enum ring_status st;
	int n = 0;

	*bad = *corrupt = 0;
	st = ring_walk_init(&w, mem, len);
	if (st == RING_CORRUPT) {
		*corrupt = 1;
		return 0;
	}
	while (st == RING_PKT && (st = ring_walk_next(&w, &p)) == RING_PKT) {
		n++;
		if (p.bad)
			(*bad)++;
	}
	if (st == RING_CORRUPT)
		*corrupt = 1;
	return n;
}

static void
test_good_block(void)
{
	struct blk b;
	struct ring_walk w;
	struct ring_pkt p;
	int i;

	blk_init(&b);
	blk_add(&b, 60, 60, 0xaa, 1700000000, 123456789, -1, PACKET_HOST);
	blk_add(&b, 96, 1514, 0xbb, 1700000001, 5, 0x2064, PACKET_OUTGOING);
	blk_add(&b, 0, 0, 0, 1700000002, 0, -1, PACKET_OTHERHOST);

	is_int(ring_walk_init(&w, b.mem, BLOCK), RING_PKT, "good: init");
	is_int(w.num_pkts, 3, "good: num_pkts");
	is_int(w.seq, 7, "good: seq_num");

	is_int(ring_walk_next(&w, &p), RING_PKT, "good: packet 1");
	is_int(p.caplen, 60, "p1 caplen");
	is_int(p.wirelen, 60, "p1 wirelen");
	is_int(p.ts_ns, 1700000000123456789LL, "p1 ts");
	is_int(p.outgoing, 0, "p1 received");
	is_int(p.has_vlan_tci, 0, "p1 no vlan");
	is_int(p.bad, 0, "p1 not bad");
	ok(p.data == b.mem + TPACKET_ALIGN(sizeof(struct tpacket_block_desc)) +
	    MACOFF, "p1 data in place (zero copy)");
	for (i = 0; i < 60 && p.data[i] == 0xaa; i++)
		;
	is_int(i, 60, "p1 data bytes");

	is_int(ring_walk_next(&w, &p), RING_PKT, "good: packet 2");
	is_int(p.caplen, 96, "p2 caplen (snaplen)");
	is_int(p.wirelen, 1514, "p2 wirelen");
	is_int(p.outgoing, 1, "p2 outgoing = sent");
	is_int(p.has_vlan_tci, 1, "p2 vlan valid");
	is_int(p.vlan_tci, 0x2064, "p2 vlan tci");
	is_int(p.data[0], 0xbb, "p2 data");

	is_int(ring_walk_next(&w, &p), RING_PKT, "good: packet 3 (empty)");
	is_int(p.caplen, 0, "p3 caplen 0");
	is_int(p.bad, 0, "p3 empty is not bad");
	is_int(ring_walk_next(&w, &p), RING_END, "good: end");
	is_int(ring_walk_next(&w, &p), RING_END, "good: end stays end");
}

static void
test_empty_and_short(void)
{
	struct blk b;
	struct ring_walk w;
	int bad, corrupt;

	blk_init(&b);
	is_int(ring_walk_init(&w, b.mem, BLOCK), RING_END, "empty block");
	is_int(ring_walk_init(&w, b.mem, ring_block_hdr_len() - 1),
	    RING_CORRUPT, "block shorter than its descriptor");
	is_int(ring_walk_init(&w, NULL, 0), RING_CORRUPT, "NULL block");

	blk_add(&b, 60, 60, 1, 1, 0, -1, 0);
	is_int(walk_all(b.mem, BLOCK, &bad, &corrupt), 1, "one packet");
	/* The block is cut right inside the packet's frame. */
	is_int(walk_all(b.mem, b.off - 8, &bad, &corrupt), 1,
	    "cut inside frame: still one record");
	is_int(bad, 1, "cut inside frame: the record is bad");
	is_int(walk_all(b.mem, ring_block_hdr_len() + 20, &bad, &corrupt), 0,
	    "cut inside the packet header: nothing");
	is_int(corrupt, 1, "cut inside the packet header: corrupt");
}

static void
test_hostile_fields(void)
{
	struct blk b;
	struct tpacket3_hdr *h1, *h2;
	int bad, corrupt, n;

	/* num_pkts far larger than the chain: stops at the last packet. */
	blk_init(&b);
	blk_add(&b, 60, 60, 1, 1, 0, -1, 0);
	blk_add(&b, 60, 60, 2, 1, 0, -1, 0);
	blk_desc(&b)->hdr.bh1.num_pkts = 0xffffffff;
	n = walk_all(b.mem, BLOCK, &bad, &corrupt);
	is_int(n, 2, "num_pkts huge: two real packets");
	is_int(corrupt, 1, "num_pkts huge: corrupt chain reported");

	/* offset_to_first_pkt out of the block, or inside the descriptor. */
	blk_desc(&b)->hdr.bh1.num_pkts = 2;
	blk_desc(&b)->hdr.bh1.offset_to_first_pkt = BLOCK + 100;
	walk_all(b.mem, BLOCK, &bad, &corrupt);
	is_int(corrupt, 1, "offset_to_first_pkt past the block");
	blk_desc(&b)->hdr.bh1.offset_to_first_pkt = 4;
	walk_all(b.mem, BLOCK, &bad, &corrupt);
	is_int(corrupt, 1, "offset_to_first_pkt inside the descriptor");
	blk_desc(&b)->hdr.bh1.offset_to_first_pkt = 0xfffffff0u;
	walk_all(b.mem, BLOCK, &bad, &corrupt);
	is_int(corrupt, 1, "offset_to_first_pkt near 2^32");

	/* blk_len: zero, tiny, larger than the block (clamped). */
	blk_init(&b);
	h1 = blk_add(&b, 60, 60, 1, 1, 0, -1, 0);
	blk_desc(&b)->hdr.bh1.blk_len = 0;
	walk_all(b.mem, BLOCK, &bad, &corrupt);
	is_int(corrupt, 1, "blk_len 0 with packets");
	blk_desc(&b)->hdr.bh1.blk_len = 0xffffffff;
	n = walk_all(b.mem, BLOCK, &bad, &corrupt);
	ok(n == 1 && bad == 0 && corrupt == 0, "blk_len huge: clamped to block");
	blk_desc(&b)->hdr.bh1.blk_len = (uint32_t)b.off - 10;
	n = walk_all(b.mem, BLOCK, &bad, &corrupt);
	ok(n == 1 && bad == 1, "blk_len ends inside the frame: bad record");

	/* tp_mac / tp_snaplen out of bounds, in the header, overflowing. */
	blk_desc(&b)->hdr.bh1.blk_len = (uint32_t)b.off;
	h1->tp_mac = 10;
	n = walk_all(b.mem, BLOCK, &bad, &corrupt);
	ok(n == 1 && bad == 1, "tp_mac inside the packet header: bad");
	h1->tp_mac = 0xffff;
	n = walk_all(b.mem, BLOCK, &bad, &corrupt);
	ok(n == 1 && bad == 1, "tp_mac past the block: bad");
	h1->tp_mac = MACOFF;
	h1->tp_snaplen = 0xffffffff;
	n = walk_all(b.mem, BLOCK, &bad, &corrupt);
	ok(n == 1 && bad == 1, "tp_snaplen 2^32-1: bad");
	h1->tp_snaplen = BLOCK;
	n = walk_all(b.mem, BLOCK, &bad, &corrupt);
	ok(n == 1 && bad == 1, "tp_snaplen past the block: bad");

	/* tp_next_offset: 0, pointing back, too small to advance, too far. */
	blk_init(&b);
	h1 = blk_add(&b, 60, 60, 1, 1, 0, -1, 0);
	h2 = blk_add(&b, 60, 60, 2, 1, 0, -1, 0);
	blk_add(&b, 60, 60, 3, 1, 0, -1, 0);
	is_int(walk_all(b.mem, BLOCK, &bad, &corrupt), 3, "chain of three");
	h1->tp_next_offset = 0;
	n = walk_all(b.mem, BLOCK, &bad, &corrupt);
	ok(n == 1 && corrupt, "tp_next_offset 0 mid-chain: stop");
	h1->tp_next_offset = 16;
	n = walk_all(b.mem, BLOCK, &bad, &corrupt);
	ok(n == 1 && corrupt, "tp_next_offset smaller than a header: stop");
	h1->tp_next_offset = 0xfffffff0u;
	n = walk_all(b.mem, BLOCK, &bad, &corrupt);
	ok(n == 1 && corrupt, "tp_next_offset wraps: stop");
	h1->tp_next_offset = (uint32_t)((uint8_t *)h2 - (uint8_t *)h1);
	h2->tp_next_offset = (uint32_t)(BLOCK - ((uint8_t *)h2 - b.mem) - 8);
	n = walk_all(b.mem, BLOCK, &bad, &corrupt);
	ok(n == 2 && corrupt, "tp_next_offset to the block's last bytes: stop");
}

static void
test_misaligned(void)
{
	static uint8_t copy[BLOCK + 3];
	struct blk b;
	int bad, corrupt, n;

	/* Offsets that are not multiples of 16 (hostile, not kernel). */
	blk_init(&b);
	blk_add(&b, 61, 61, 9, 1, 0, 5, PACKET_OUTGOING);
	blk_add(&b, 33, 33, 8, 1, 0, -1, 0);
	memcpy(copy + 3, b.mem, BLOCK);
	n = walk_all(copy + 3, BLOCK, &bad, &corrupt);
	ok(n == 2 && bad == 0 && corrupt == 0, "walk a block at an odd address");
}

static void
test_bounded(void)
{
	static uint8_t mem[BLOCK];
	struct ring_walk w;
	struct ring_pkt p;
	struct tpacket_block_desc bd;
	long steps = 0;

	/* A block of zeros with num_pkts set: every step must stop soon. */
	memset(&bd, 0, sizeof bd);
	bd.hdr.bh1.num_pkts = 1000000;
	bd.hdr.bh1.blk_len = BLOCK;
	bd.hdr.bh1.offset_to_first_pkt = sizeof bd;
	memcpy(mem, &bd, sizeof bd);
	if (ring_walk_init(&w, mem, BLOCK) == RING_PKT)
		while (ring_walk_next(&w, &p) == RING_PKT && steps < 2000000)
			steps++;
	ok(steps <= BLOCK / 68, "zeroed chain ends within len/68 steps (%ld)",
	    steps);
}

int
main(void)
{
	test_good_block();
	test_empty_and_short();
	test_hostile_fields();
	test_misaligned();
	test_bounded();
	return tap_done();
}
