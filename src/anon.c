/*
 * anon.c - netblock anonymisation (see anon.h).
 *
 * The IPv4 header checksum is computed anew over the rewritten header
 * (RFC 1071) rather than adjusted, so a header whose checksum was wrong
 * on the wire comes out right; transport checksums, which cover the
 * addresses through the pseudo-header, are left as they were.
 */
#include "config.h"

#include <string.h>

#include "anon.h"

void
anon_addr(uint8_t *a, int family)
{
	if (family == 4)
		a[3] = 0;
	else
		memset(a + 8, 0, 8);
}

void
anon_packets(void *arg, struct parse_packet *pkts, size_t n)
{
	size_t i;

	(void)arg;
	for (i = 0; i < n; i++) {
		anon_addr(pkts[i].src, pkts[i].family);
		anon_addr(pkts[i].dst, pkts[i].family);
	}
}

static void
zero_range(uint8_t *frame, uint32_t caplen, uint32_t from, uint32_t to)
{
	for (; from < to && from < caplen; from++)
		frame[from] = 0;
}

void
anon_frame(uint8_t *frame, uint32_t caplen, uint32_t l3, int family)
{
	uint32_t sum = 0, hl, i;
	uint8_t *ip = frame + l3;

	if (l3 >= caplen)
		return;
	if (family == 6) {
		zero_range(frame, caplen, l3 + 16, l3 + 24);	/* source */
		zero_range(frame, caplen, l3 + 32, l3 + 40);	/* dest */
		return;
	}
	zero_range(frame, caplen, l3 + 15, l3 + 16);
	zero_range(frame, caplen, l3 + 19, l3 + 20);
	hl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (hl < 20 || l3 + hl > caplen)
		return;
	ip[10] = ip[11] = 0;
	for (i = 0; i < hl; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	ip[10] = (uint8_t)(sum >> 8);
	ip[11] = (uint8_t)sum;
}
