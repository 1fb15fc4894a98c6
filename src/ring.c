/*
 * ring.c - walk the packets of one TPACKET_V3 block (see ring.h).
 *
 * Layout the kernel writes (linux/if_packet.h): a struct tpacket_block_desc
 * at the start of the block, then num_pkts packets chained by
 * tp_next_offset, the first at offset_to_first_pkt.  Each packet is a
 * struct tpacket3_hdr, a struct sockaddr_ll at TPACKET_ALIGN(sizeof hdr),
 * and tp_snaplen bytes of frame at tp_mac from the packet header.
 *
 * Headers are copied out with memcpy() so a misaligned offset in hostile
 * input is harmless; every offset is checked against the usable length
 * before it is used, and each step moves forward by at least one packet
 * header, so a walk ends after at most len / 68 packets whatever num_pkts
 * says.
 */
#include "config.h"

#include <linux/if_packet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ring.h"

/* Where the sockaddr_ll sits and the least room one packet takes. */
#define RING_SLL_OFF	TPACKET_ALIGN(sizeof(struct tpacket3_hdr))
#define RING_PKT_MIN	(RING_SLL_OFF + sizeof(struct sockaddr_ll))

size_t
ring_block_hdr_len(void)
{
	return sizeof(struct tpacket_block_desc);
}

enum ring_status
ring_walk_init(struct ring_walk *w, const void *mem, size_t len)
{
	struct tpacket_block_desc bd;
	uint32_t first, blk_len;

	memset(w, 0, sizeof *w);
	if (mem == NULL || len < sizeof bd)
		return RING_CORRUPT;
	memcpy(&bd, mem, sizeof bd);
	w->block = mem;
	w->num_pkts = bd.hdr.bh1.num_pkts;
	w->seq = bd.hdr.bh1.seq_num;
	if (w->num_pkts == 0)
		return RING_END;

	/* blk_len is what the kernel filled; never trust it past len. */
	blk_len = bd.hdr.bh1.blk_len;
	if (blk_len < sizeof bd)
		return RING_CORRUPT;
	w->len = blk_len < len ? blk_len : len;

	first = bd.hdr.bh1.offset_to_first_pkt;
	if (first < sizeof bd || first > w->len ||
	    w->len - first < RING_PKT_MIN)
		return RING_CORRUPT;
	w->off = first;
	w->left = w->num_pkts;
	return RING_PKT;
}

enum ring_status
ring_walk_next(struct ring_walk *w, struct ring_pkt *pkt)
{
	struct tpacket3_hdr h;
	const uint8_t *p;
	size_t room;
	uint8_t pkttype;

	if (w->left == 0)
		return RING_END;
	if (w->off > w->len || w->len - w->off < RING_PKT_MIN) {
		w->left = 0;
		return RING_CORRUPT;
	}
	p = w->block + w->off;
	room = w->len - w->off;
	memcpy(&h, p, sizeof h);
	memcpy(&pkttype, p + RING_SLL_OFF +
	    offsetof(struct sockaddr_ll, sll_pkttype), 1);

	pkt->ts_ns = (int64_t)h.tp_sec * 1000000000 + h.tp_nsec;
	pkt->wirelen = h.tp_len;
	pkt->caplen = h.tp_snaplen;
	pkt->outgoing = pkttype == PACKET_OUTGOING;
	pkt->vlan_tci = (uint16_t)h.hv1.tp_vlan_tci;
	pkt->has_vlan_tci = (h.tp_status & TP_STATUS_VLAN_VALID) != 0 ||
	    pkt->vlan_tci != 0;
	if (h.tp_mac < RING_PKT_MIN || h.tp_mac > room ||
	    h.tp_snaplen > room - h.tp_mac) {
		pkt->bad = 1;
		pkt->data = NULL;
		pkt->caplen = 0;
	} else {
		pkt->bad = 0;
		pkt->data = p + h.tp_mac;
	}

	w->left--;
	if (w->left != 0) {
		/* Each step must move forward by a whole packet header. */
		if (h.tp_next_offset < RING_PKT_MIN ||
		    h.tp_next_offset > room) {
			/* This packet is good; the next call reports. */
			w->left = 1;
			w->off = SIZE_MAX;
		} else
			w->off += h.tp_next_offset;
	}
	return RING_PKT;
}
