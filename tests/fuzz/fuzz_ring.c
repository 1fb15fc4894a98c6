/*
 * fuzz_ring.c - libFuzzer target for the TPACKET_V3 block walker.
 *
 * The input is one ring block as the kernel would hand it over (with
 * hostile num_pkts, offsets and lengths).  It is copied into a buffer of
 * exactly its size so that any read past the block is caught by ASan, and
 * every packet the walker yields is read in full and parsed the way
 * capture.c does.  Also built into tests/fuzz/replay_ring, which replays
 * tests/corpus/ring/ in make check.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "ring.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ring_walk w;
	struct ring_pkt p;
	struct parse_input in;
	struct parse_packet out;
	uint8_t *blk;
	volatile unsigned sum = 0;
	uint32_t i;

	blk = malloc(size ? size : 1);
	if (blk == NULL)
		return 0;
	memcpy(blk, data, size);
	if (ring_walk_init(&w, blk, size) == RING_PKT) {
		while (ring_walk_next(&w, &p) == RING_PKT) {
			if (p.bad)
				continue;
			for (i = 0; i < p.caplen; i++)
				sum += p.data[i];
			memset(&in, 0, sizeof in);
			in.data = p.data;
			in.caplen = p.caplen;
			in.wirelen = p.wirelen;
			in.linktype = (p.ts_ns & 1) ? PARSE_LINK_RAW :
			    PARSE_LINK_ETHERNET;
			in.outgoing = p.outgoing;
			in.has_vlan_tci = p.has_vlan_tci;
			in.vlan_tci = p.vlan_tci;
			(void)parse_frame(&in, &out);
		}
	}
	free(blk);
	return 0;
}
