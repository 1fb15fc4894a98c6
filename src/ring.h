/*
 * ring.h - walk the packets of one TPACKET_V3 ring block.
 *
 * Called by capture.c on a block the kernel has handed to user space
 * (TP_STATUS_USER), and by the ring fuzz target on arbitrary bytes.  The
 * walker is pure: no allocation, no I/O, no globals.  It treats every field
 * of the block as hostile (num_pkts, offset_to_first_pkt, blk_len,
 * tp_next_offset, tp_mac, tp_snaplen) and never reads outside the block
 * memory it is given.  Packet data is borrowed until the block is handed
 * back to the kernel.
 */
#ifndef FLOWREC_RING_H
#define FLOWREC_RING_H

#include <stddef.h>
#include <stdint.h>

/* One packet of a block. */
struct ring_pkt {
	const uint8_t	*data;		/* link-layer header, caplen bytes */
	uint32_t	 caplen;	/* tp_snaplen */
	uint32_t	 wirelen;	/* tp_len */
	int64_t		 ts_ns;		/* kernel timestamp, Unix nanoseconds */
	uint16_t	 vlan_tci;	/* the tag the kernel stripped ... */
	uint8_t		 has_vlan_tci;	/* ... when this is 1 */
	uint8_t		 outgoing;	/* sll_pkttype == PACKET_OUTGOING */
	uint8_t		 bad;		/* header chain fine, data out of block */
};

/* Iterator state; fill with ring_walk_init(). */
struct ring_walk {
	const uint8_t	*block;
	size_t		 len;		/* usable bytes: min(len, blk_len) */
	size_t		 off;		/* next packet header */
	uint32_t	 left;		/* packets still announced by num_pkts */
	uint32_t	 num_pkts;
	uint64_t	 seq;		/* the block's seq_num */
};

enum ring_status {
	RING_PKT = 1,			/* *pkt holds the next packet */
	RING_END = 0,			/* all num_pkts packets walked */
	RING_CORRUPT = -1		/* the chain leaves the block: stop */
};

/* Smallest block the walker accepts (the block descriptor). */
size_t		 ring_block_hdr_len(void);

/*
 * Start walking the block at mem (len bytes, the ring's block size).
 * Returns RING_PKT when there are packets to walk, RING_END for an empty
 * block, RING_CORRUPT when the block header is unusable (nothing to walk).
 */
enum ring_status ring_walk_init(struct ring_walk *, const void *mem, size_t len);

/*
 * The next packet.  A packet whose header is valid but whose data lies
 * outside the block comes back with bad set (count it, skip it).
 */
enum ring_status ring_walk_next(struct ring_walk *, struct ring_pkt *pkt);

#endif
