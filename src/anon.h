/*
 * anon.h - address anonymisation (m-lab packet-headers' "netblock"): an
 * IPv4 address keeps its /24 and an IPv6 address its /64, the rest
 * zeroed, in everything flowrec writes for the interface.
 *
 * anon_packets() is the ingest path's rewrite hook (ingest.h): the
 * parsed packets, before the flow table, so the store and the exports
 * hold only netblocks.  anon_frame() rewrites a copy of a frame that is
 * about to be written (the archive, the header captures): the IP header's
 * addresses, and an IPv4 header's checksum made right again.  Pure.
 */
#ifndef FLOWREC_ANON_H
#define FLOWREC_ANON_H

#include <stddef.h>
#include <stdint.h>

#include "parse.h"

/* The rewrite hook: arg unused. */
void		 anon_packets(void *arg, struct parse_packet *pkts, size_t n);

/* A 16-byte address of family 4 or 6 to its netblock. */
void		 anon_addr(uint8_t *addr, int family);

/*
 * Rewrite the IP header at frame + l3 (caplen bytes in all) of family 4
 * or 6: its addresses as far as they were captured, and an IPv4 header's
 * checksum when all of the header was.
 */
void		 anon_frame(uint8_t *frame, uint32_t caplen, uint32_t l3,
		    int family);

#endif
