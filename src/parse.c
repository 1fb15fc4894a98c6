/*
 * parse.c - decode one captured frame (see parse.h).
 *
 * Walks the link layer (Ethernet with any number of VLAN tags, PPPoE
 * sessions and MPLS label stacks; Linux SLL/SLL2; BSD null/loop; raw IP)
 * to the IP header, then IPv4 (options skipped) or IPv6 (extension headers
 * walked) to the transport header, and reads ports and the TCP flags or
 * ICMP type that decide the client.  Every read is checked against the
 * captured length first: a frame that ends too early is malformed, never
 * read past.  Called on ring memory by the live path and on file records
 * by the offline reader, so it must stay pure and cheap.
 */
#include "config.h"

#include <string.h>

#include "parse.h"

#define ETH_IPV4	0x0800
#define ETH_IPV6	0x86dd
#define ETH_PPPOE	0x8864
#define ETH_MPLS_UC	0x8847
#define ETH_MPLS_MC	0x8848
#define PPP_IPV4	0x0021
#define PPP_IPV6	0x0057
#define SLL_OUTGOING	4

static const char *const reason_names[PARSE_REASON_COUNT] = {
	[PARSE_OK] = "ok",
	[PARSE_NOTIP_LINKTYPE] = "linktype",
	[PARSE_NOTIP_ETHERTYPE] = "ethertype",
	[PARSE_NOTIP_PPP] = "ppp_protocol",
	[PARSE_NOTIP_MPLS] = "mpls_payload",
	[PARSE_NOTIP_FAMILY] = "address_family",
	[PARSE_BAD_RECORD] = "bad_record",
	[PARSE_BAD_CAPLEN] = "caplen_gt_len",
	[PARSE_SHORT_LINK] = "short_link",
	[PARSE_BAD_VERSION] = "bad_ip_version",
	[PARSE_SHORT_IPV4] = "short_ipv4",
	[PARSE_BAD_IHL] = "bad_ihl",
	[PARSE_SHORT_IPV6] = "short_ipv6",
	[PARSE_SHORT_EXTHDR] = "short_ipv6_exthdr",
	[PARSE_SHORT_PORTS] = "short_ports",
	[PARSE_BAD_TIME] = "time_out_of_range",
};

const char *
parse_reason_name(enum parse_reason r)
{
	if ((unsigned)r >= PARSE_REASON_COUNT)
		return "unknown";
	return reason_names[r];
}

int
parse_linktype_known(int linktype)
{
	switch (linktype) {
	case PARSE_LINK_NULL:
	case PARSE_LINK_ETHERNET:
	case PARSE_LINK_RAW:
	case PARSE_LINK_RAW12:
	case PARSE_LINK_RAW14:
	case PARSE_LINK_LOOP:
	case PARSE_LINK_SLL:
	case PARSE_LINK_IPV4:
	case PARSE_LINK_IPV6:
	case PARSE_LINK_SLL2:
		return 1;
	}
	return 0;
}

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline int
is_vlan_tpid(uint16_t etype)
{
	return etype == 0x8100 || etype == 0x88a8 || etype == 0x9100 ||
	    etype == 0x9200;
}

/*
 * After an EtherType at offset *off: skip VLAN tags, PPPoE and MPLS and
 * leave *off at the IP header and *version at the IP version expected.
 */
static enum parse_reason
parse_ethertype(const uint8_t *d, uint32_t len, uint16_t etype, uint32_t *off,
    int *version, struct parse_packet *out, int vlan_known)
{
	uint32_t o = *off;

	while (is_vlan_tpid(etype)) {
		if (o + 4 > len)
			return PARSE_SHORT_LINK;
		if (!vlan_known) {
			out->vlan = get16(d + o) & 0x0fff;
			vlan_known = 1;
		}
		etype = get16(d + o + 2);
		o += 4;
	}
	if (etype == ETH_PPPOE) {
		uint16_t ppp;

		/*
		 * The 6-byte PPPoE header, then the PPP protocol: two bytes,
		 * or one when its first byte is odd (RFC 1661 6.5, the
		 * compressed field every receiver must accept).
		 */
		if (o + 7 > len)
			return PARSE_SHORT_LINK;
		if (d[o + 6] & 0x01) {
			ppp = d[o + 6];
			o += 7;
		} else {
			if (o + 8 > len)
				return PARSE_SHORT_LINK;
			ppp = get16(d + o + 6);
			o += 8;
		}
		if (ppp == PPP_IPV4)
			etype = ETH_IPV4;
		else if (ppp == PPP_IPV6)
			etype = ETH_IPV6;
		else
			return PARSE_NOTIP_PPP;
	} else if (etype == ETH_MPLS_UC || etype == ETH_MPLS_MC) {
		for (;;) {
			if (o + 4 > len)
				return PARSE_SHORT_LINK;
			o += 4;
			if (d[o - 2] & 0x01)	/* bottom of stack */
				break;
		}
		if (o + 1 > len)
			return PARSE_SHORT_LINK;
		*version = d[o] >> 4;
		if (*version != 4 && *version != 6)
			return PARSE_NOTIP_MPLS;
		*off = o;
		return PARSE_OK;
	}
	if (etype == ETH_IPV4)
		*version = 4;
	else if (etype == ETH_IPV6)
		*version = 6;
	else
		return PARSE_NOTIP_ETHERTYPE;
	*off = o;
	return PARSE_OK;
}

/* Find the IP header: *off and *version, plus vlan and direction. */
static enum parse_reason
parse_link(const struct parse_input *in, uint32_t *off, int *version,
    struct parse_packet *out)
{
	const uint8_t *d = in->data;
	uint32_t len = in->caplen, af;
	uint16_t etype;

	switch (in->linktype) {
	case PARSE_LINK_ETHERNET:
		if (len < 14)
			return PARSE_SHORT_LINK;
		*off = 14;
		if (in->has_vlan_tci)
			out->vlan = in->vlan_tci & 0x0fff;
		return parse_ethertype(d, len, get16(d + 12), off, version,
		    out, in->has_vlan_tci);
	case PARSE_LINK_SLL:
		if (len < 16)
			return PARSE_SHORT_LINK;
		if (get16(d) == SLL_OUTGOING)
			out->sent = 1;
		*off = 16;
		etype = get16(d + 14);
		return parse_ethertype(d, len, etype, off, version, out, 0);
	case PARSE_LINK_SLL2:
		if (len < 20)
			return PARSE_SHORT_LINK;
		if (d[10] == SLL_OUTGOING)
			out->sent = 1;
		*off = 20;
		return parse_ethertype(d, len, get16(d), off, version, out, 0);
	case PARSE_LINK_NULL:
	case PARSE_LINK_LOOP:
		if (len < 4)
			return PARSE_SHORT_LINK;
		if (in->linktype == PARSE_LINK_LOOP)
			af = get32(d);
		else {
			af = (uint32_t)d[3] << 24 | (uint32_t)d[2] << 16 |
			    (uint32_t)d[1] << 8 | d[0];
			if (af & 0xffff0000)
				af = get32(d);
		}
		if (af == 2)
			*version = 4;
		else if (af == 24 || af == 28 || af == 30)
			*version = 6;
		else
			return PARSE_NOTIP_FAMILY;
		*off = 4;
		return PARSE_OK;
	case PARSE_LINK_RAW:
	case PARSE_LINK_RAW12:
	case PARSE_LINK_RAW14:
	case PARSE_LINK_IPV4:
	case PARSE_LINK_IPV6:
		if (len < 1)
			return PARSE_SHORT_LINK;
		*version = d[0] >> 4;
		if (*version != 4 && *version != 6)
			return PARSE_BAD_VERSION;
		if ((in->linktype == PARSE_LINK_IPV4 && *version != 4) ||
		    (in->linktype == PARSE_LINK_IPV6 && *version != 6))
			return PARSE_BAD_VERSION;
		*off = 0;
		return PARSE_OK;
	}
	return PARSE_NOTIP_LINKTYPE;
}

/* Walk IPv4 at off; *l4 is 0 for a later fragment. */
static enum parse_reason
parse_ipv4(const uint8_t *d, uint32_t len, uint32_t off, uint32_t *l4,
    uint32_t *iplen, struct parse_packet *out)
{
	uint32_t ihl;
	uint16_t frag;

	if (off + 20 > len)
		return PARSE_SHORT_IPV4;
	ihl = (uint32_t)(d[off] & 0x0f) * 4;
	if (ihl < 20)
		return PARSE_BAD_IHL;
	if (off + ihl > len)
		return PARSE_SHORT_IPV4;
	*iplen = get16(d + off + 2);
	out->family = 4;
	out->proto = d[off + 9];
	memcpy(out->src, d + off + 12, 4);
	memcpy(out->dst, d + off + 16, 4);
	frag = get16(d + off + 6);
	if (frag & 0x3fff) {
		out->frag_id = get16(d + off + 4);
		out->frag_proto = out->proto;
		if (frag & 0x1fff) {
			out->frag = PARSE_FRAG_LATER;
			*l4 = 0;
			return PARSE_OK;
		}
		out->frag = PARSE_FRAG_FIRST;
	}
	*l4 = off + ihl;
	return PARSE_OK;
}

/* Walk IPv6 and its extension headers at off; *l4 is 0 for a later fragment. */
static enum parse_reason
parse_ipv6(const uint8_t *d, uint32_t len, uint32_t off, uint32_t *l4,
    uint32_t *iplen, struct parse_packet *out)
{
	uint32_t o;
	uint16_t payload;
	uint8_t nh, nxt;

	if (off + 40 > len)
		return PARSE_SHORT_IPV6;
	payload = get16(d + off + 4);
	*iplen = payload ? 40u + payload : 0;
	nh = d[off + 6];
	out->family = 6;
	memcpy(out->src, d + off + 8, 16);
	memcpy(out->dst, d + off + 24, 16);
	o = off + 40;
	for (;;) {
		switch (nh) {
		case 0: case 43: case 60:	/* hop-by-hop, routing, dest */
			if (o + 2 > len)
				return PARSE_SHORT_EXTHDR;
			nxt = d[o];
			o += ((uint32_t)d[o + 1] + 1) * 8;
			break;
		case 51:			/* AH, in 4-byte units */
			if (o + 2 > len)
				return PARSE_SHORT_EXTHDR;
			nxt = d[o];
			o += ((uint32_t)d[o + 1] + 2) * 4;
			break;
		case 44: {			/* fragment */
			uint16_t offmf;

			if (o + 8 > len)
				return PARSE_SHORT_EXTHDR;
			nxt = d[o];
			offmf = get16(d + o + 2);
			if (offmf >> 3) {
				out->proto = nxt;
				out->frag = PARSE_FRAG_LATER;
				out->frag_proto = nxt;
				out->frag_id = get32(d + o + 4);
				*l4 = 0;
				return PARSE_OK;
			}
			if (offmf & 1) {
				out->frag = PARSE_FRAG_FIRST;
				out->frag_proto = nxt;
				out->frag_id = get32(d + o + 4);
			}
			o += 8;
			break;
		}
		default:
			out->proto = nh;
			*l4 = o;
			return PARSE_OK;
		}
		if (o > len)
			return PARSE_SHORT_EXTHDR;
		nh = nxt;
	}
}

/*
 * Most of any link's traffic: untagged Ethernet, then IPv4 without options
 * or fragmentation, or IPv6 without extension headers, then TCP or UDP
 * captured past the TCP flags.  Straight-line code for it; 0 sends
 * anything else down parse_frame_walk(), which gives the same answer for
 * these frames too (test_parse compares them).
 */
static inline int
parse_fast(const struct parse_input *in, struct parse_packet *out)
{
	const uint8_t *d = in->data;
	uint32_t iplen;
	uint8_t proto;

	if (in->linktype != PARSE_LINK_ETHERNET || in->caplen < 14 + 20 + 14 ||
	    in->has_vlan_tci)
		return 0;
	if (d[12] == 0x08 && d[13] == 0x00) {
		if (d[14] != 0x45 || (get16(d + 20) & 0x3fff) != 0)
			return 0;
		proto = d[23];
		if (proto != 6 && proto != 17)
			return 0;
		memset(out, 0, sizeof *out);
		out->family = 4;
		memcpy(out->src, d + 26, 4);
		memcpy(out->dst, d + 30, 4);
		iplen = get16(d + 16);
		d += 34;
	} else if (d[12] == 0x86 && d[13] == 0xdd) {
		proto = d[20];
		if ((d[14] >> 4) != 6 || (proto != 6 && proto != 17) ||
		    in->caplen < 14 + 40 + (proto == 6 ? 14 : 4))
			return 0;
		memset(out, 0, sizeof *out);
		out->family = 6;
		memcpy(out->src, d + 22, 16);
		memcpy(out->dst, d + 38, 16);
		iplen = get16(d + 18);
		if (iplen != 0)
			iplen += 40;
		d += 54;
	} else
		return 0;
	out->proto = proto;
	out->sport = get16(d);
	out->dport = get16(d + 2);
	if (proto == 6) {
		out->has_hint = 1;
		out->hint = d[13];
	}
	out->sent = in->outgoing ? 1 : 0;
	out->nbytes = iplen ? iplen : in->wirelen - 14;
	return 1;
}

enum parse_reason
parse_frame(const struct parse_input *in, struct parse_packet *out)
{
	if (in->caplen <= in->wirelen && parse_fast(in, out))
		return PARSE_OK;
	return parse_frame_walk(in, out);
}

/*
 * The general walk; lo, when not NULL, gets where the headers are.  Inlined
 * into both callers, so parse_frame_walk() pays nothing for lo.
 */
static inline __attribute__((always_inline)) enum parse_reason
parse_walk(const struct parse_input *in, struct parse_packet *out,
    struct parse_layout *lo)
{
	const uint8_t *d = in->data;
	uint32_t len = in->caplen, off = 0, l4 = 0, iplen = 0;
	int version = 0;
	enum parse_reason r;

	if (in->caplen > in->wirelen)
		return PARSE_BAD_CAPLEN;
	memset(out, 0, sizeof *out);
	out->sent = in->outgoing ? 1 : 0;
	/* The common case first: untagged Ethernet straight to IP. */
	if (in->linktype == PARSE_LINK_ETHERNET && len >= 14 &&
	    !in->has_vlan_tci && (get16(d + 12) == ETH_IPV4 ||
	    get16(d + 12) == ETH_IPV6)) {
		off = 14;
		version = get16(d + 12) == ETH_IPV4 ? 4 : 6;
	} else if ((r = parse_link(in, &off, &version, out)) != PARSE_OK)
		return r;
	if (off + 1 > len)
		return version == 4 ? PARSE_SHORT_IPV4 : PARSE_SHORT_IPV6;
	if ((d[off] >> 4) != version)
		return PARSE_BAD_VERSION;
	if (version == 4)
		r = parse_ipv4(d, len, off, &l4, &iplen, out);
	else
		r = parse_ipv6(d, len, off, &l4, &iplen, out);
	if (r != PARSE_OK)
		return r;
	if (l4 != 0) {
		switch (out->proto) {
		case 6:
			if (l4 + 4 > len)
				return PARSE_SHORT_PORTS;
			out->sport = get16(d + l4);
			out->dport = get16(d + l4 + 2);
			if (l4 + 13 < len) {
				out->has_hint = 1;
				out->hint = d[l4 + 13];
			}
			break;
		case 17: case 33: case 132: case 136:
			if (l4 + 4 > len)
				return PARSE_SHORT_PORTS;
			out->sport = get16(d + l4);
			out->dport = get16(d + l4 + 2);
			break;
		case 1: case 58:
			if (l4 < len) {
				out->has_hint = 1;
				out->hint = d[l4];
			}
			break;
		}
	}
	out->nbytes = iplen ? iplen : in->wirelen - off;
	if (lo != NULL) {
		lo->l3 = off;
		lo->l4 = l4;
	}
	return PARSE_OK;
}

enum parse_reason
parse_frame_walk(const struct parse_input *in, struct parse_packet *out)
{
	return parse_walk(in, out, NULL);
}

enum parse_reason
parse_frame_layout(const struct parse_input *in, struct parse_packet *out,
    struct parse_layout *lo)
{
	return parse_walk(in, out, lo);
}
