/*
 * test_parse.c - unit tests of the frame parser (src/parse.c): every link
 * layer, encapsulation, IP version, extension header and malformed case of
 * SEMANTICS.md sections 2, 3, 5 and 6.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "pcapw.h"
#include "tap.h"

static uint8_t frame[4096];

static enum parse_reason
run(int linktype, const uint8_t *d, size_t caplen, size_t wirelen,
    struct parse_packet *out)
{
	struct parse_input in = { 0 };

	in.data = d;
	in.caplen = (uint32_t)caplen;
	in.wirelen = (uint32_t)wirelen;
	in.linktype = (uint16_t)linktype;
	return parse_frame(&in, out);
}

static size_t
build(struct pcapw_pkt *p)
{
	size_t n = pcapw_frame(p, frame, sizeof frame);

	if (n == 0)
		abort();
	return n;
}

static void
test_ethernet_ipv4_tcp(void)
{
	struct pcapw_pkt p = { .linktype = 1, .family = 4, .src = "10.0.0.1",
	    .dst = "10.0.0.2", .proto = 6, .sport = 40000, .dport = 80,
	    .tcp_flags = 0x02, .payload = 10 };
	struct parse_packet out;
	size_t n = build(&p);

	is_int(run(1, frame, n, n + 4, &out), PARSE_OK, "eth/ipv4/tcp parses");
	is_int(out.family, 4, "family 4");
	is_int(out.proto, 6, "proto tcp");
	is_int(out.sport, 40000, "sport");
	is_int(out.dport, 80, "dport");
	ok(out.has_hint && out.hint == 0x02, "tcp flags hint");
	is_int(out.nbytes, 20 + 20 + 10, "bytes = IPv4 total length, not frame");
	ok(memcmp(out.src, "\x0a\x00\x00\x01", 4) == 0 &&
	    memcmp(out.src + 4, "\0\0\0\0\0\0\0\0\0\0\0\0", 12) == 0,
	    "IPv4 src in first 4 bytes, rest zero");
	is_int(out.vlan, 0, "untagged vlan 0");
	is_int(out.sent, 0, "received by default");
	is_int(out.frag, PARSE_FRAG_NONE, "not a fragment");

	/* TCP flags byte not captured: no hint, ports still read. */
	is_int(run(1, frame, 14 + 20 + 13, n, &out), PARSE_OK,
	    "tcp cut before flags parses");
	ok(!out.has_hint, "no hint when flags byte not captured");
	is_int(run(1, frame, 14 + 20 + 3, n, &out), PARSE_SHORT_PORTS,
	    "tcp without 4 port bytes is malformed");
	ok(PARSE_IS_MALFORMED(PARSE_SHORT_PORTS), "short ports is malformed");
	is_int(run(1, frame, n, n - 1, &out), PARSE_BAD_CAPLEN,
	    "caplen > wirelen is malformed");
}

static void
test_vlans(void)
{
	struct pcapw_pkt p = { .linktype = 1, .family = 4, .src = "10.0.0.1",
	    .dst = "10.0.0.2", .proto = 17, .sport = 5353, .dport = 53,
	    .nvlans = 2, .vlans = { 0x2064, 200 } };
	struct parse_packet out;
	struct parse_input in = { 0 };
	size_t n = build(&p);

	is_int(run(1, frame, n, n, &out), PARSE_OK, "QinQ parses");
	is_int(out.vlan, 100, "outermost VLAN ID, priority bits masked");
	is_int(run(1, frame, 14 + 2, n, &out), PARSE_SHORT_LINK,
	    "cut VLAN tag is malformed");
	/* 802.1ad and 0x9100 TPIDs. */
	frame[12] = 0x88; frame[13] = 0xa8;
	frame[16] = 0x91; frame[17] = 0x00;
	is_int(run(1, frame, n, n, &out), PARSE_OK, "802.1ad + 0x9100 parse");
	is_int(out.vlan, 100, "802.1ad outer ID");
	/* Kernel-stripped tag: tci gives the outermost ID. */
	in.data = frame;
	in.caplen = in.wirelen = (uint32_t)n;
	in.linktype = 1;
	in.has_vlan_tci = 1;
	in.vlan_tci = 0x3007;
	is_int(parse_frame(&in, &out), PARSE_OK, "stripped tag parses");
	is_int(out.vlan, 7, "vlan from tp_vlan_tci wins over inner tags");
}

static void
test_pppoe_mpls(void)
{
	static const uint8_t eth_pppoe[] = {
		2,0,0,0,0,2, 2,0,0,0,0,1, 0x88,0x64,
		0x11,0x00, 0x00,0x01, 0x00,0x1e, 0x00,0x21 };
	static const uint8_t eth_mpls[] = {
		2,0,0,0,0,2, 2,0,0,0,0,1, 0x88,0x47,
		0x00,0x01,0x00,0x40, 0x00,0x02,0x01,0x40 };
	struct pcapw_pkt p = { .linktype = 101, .family = 4, .src = "192.0.2.1",
	    .dst = "192.0.2.2", .proto = 17, .sport = 1234, .dport = 53 };
	struct parse_packet out;
	uint8_t ip[256], buf[512];
	size_t n = pcapw_frame(&p, ip, sizeof ip);

	memcpy(buf, eth_pppoe, sizeof eth_pppoe);
	memcpy(buf + sizeof eth_pppoe, ip, n);
	is_int(run(1, buf, sizeof eth_pppoe + n, sizeof eth_pppoe + n, &out),
	    PARSE_OK, "PPPoE session IPv4 parses");
	is_int(out.dport, 53, "PPPoE inner dport");
	buf[sizeof eth_pppoe - 1] = 0x23;	/* PPP protocol 0x0023 */
	is_int(run(1, buf, sizeof eth_pppoe + n, sizeof eth_pppoe + n, &out),
	    PARSE_NOTIP_PPP, "PPPoE with other PPP protocol is not IP");
	ok(!PARSE_IS_MALFORMED(PARSE_NOTIP_PPP), "not-IP is not malformed");
	is_int(run(1, buf, 14 + 5, 100, &out), PARSE_SHORT_LINK,
	    "cut PPPoE header is malformed");

	/*
	 * PPP's compressed protocol field (RFC 1661 6.5): one byte when it
	 * is odd (pppoe_compressed_protocol_is_ip).
	 */
	memcpy(buf, eth_pppoe, sizeof eth_pppoe - 2);
	buf[sizeof eth_pppoe - 2] = 0x21;
	memcpy(buf + sizeof eth_pppoe - 1, ip, n);
	is_int(run(1, buf, sizeof eth_pppoe - 1 + n, sizeof eth_pppoe - 1 + n,
	    &out), PARSE_OK, "PPPoE, compressed protocol 0x21: IPv4");
	ok(out.dport == 53 && out.nbytes == n, "... its ports and bytes");
	is_int(run(1, buf, 14 + 7, 100, &out), PARSE_SHORT_IPV4,
	    "... cut after the protocol: the IPv4 header is short");
	is_int(run(1, buf, 14 + 6, 100, &out), PARSE_SHORT_LINK,
	    "... cut before it: the PPPoE header is short");
	buf[sizeof eth_pppoe - 2] = 0x57;
	is_int(run(1, buf, sizeof eth_pppoe - 1 + n, sizeof eth_pppoe - 1 + n,
	    &out), PARSE_BAD_VERSION, "compressed 0x57 is IPv6 (an IPv4 "
	    "header there is a bad version)");
	buf[sizeof eth_pppoe - 2] = 0x23;
	is_int(run(1, buf, sizeof eth_pppoe - 1 + n, sizeof eth_pppoe - 1 + n,
	    &out), PARSE_NOTIP_PPP, "compressed 0x23 is not IP");
	buf[sizeof eth_pppoe - 2] = 0x00;	/* even: two bytes, 0x0045 */
	is_int(run(1, buf, sizeof eth_pppoe - 1 + n, sizeof eth_pppoe - 1 + n,
	    &out), PARSE_NOTIP_PPP, "an even first byte: two-byte protocol");
	is_int(run(1, buf, 14 + 7, 100, &out), PARSE_SHORT_LINK,
	    "... of which one byte was captured: short");
	{
		struct pcapw_pkt p6 = { .linktype = 101, .family = 6,
		    .src = "2001:db8::1", .dst = "2001:db8::2", .proto = 6,
		    .sport = 40000, .dport = 443, .tcp_flags = 0x02 };
		struct parse_input in = { 0 };
		struct parse_layout lo;
		uint8_t ip6[256];
		size_t n6 = pcapw_frame(&p6, ip6, sizeof ip6);

		buf[sizeof eth_pppoe - 2] = 0x57;
		memcpy(buf + sizeof eth_pppoe - 1, ip6, n6);
		in.data = buf;
		in.caplen = in.wirelen = (uint32_t)(sizeof eth_pppoe - 1 + n6);
		in.linktype = 1;
		is_int(parse_frame_layout(&in, &out, &lo), PARSE_OK,
		    "PPPoE, compressed protocol 0x57: IPv6");
		ok(out.family == 6 && out.dport == 443 && lo.l3 == 21,
		    "... its IPv6 header right after the one byte (%u)",
		    lo.l3);
	}

	memcpy(buf, eth_mpls, sizeof eth_mpls);
	memcpy(buf + sizeof eth_mpls, ip, n);
	is_int(run(1, buf, sizeof eth_mpls + n, sizeof eth_mpls + n, &out),
	    PARSE_OK, "two-label MPLS stack to IPv4 parses");
	is_int(out.nbytes, n, "MPLS bytes = IP length");
	buf[sizeof eth_mpls] = 0x00;	/* pseudowire control word */
	is_int(run(1, buf, sizeof eth_mpls + n, sizeof eth_mpls + n, &out),
	    PARSE_NOTIP_MPLS, "MPLS pseudowire is not IP");
	is_int(run(1, buf, 14 + 6, 100, &out), PARSE_SHORT_LINK,
	    "cut MPLS stack is malformed");
	is_int(run(1, buf, sizeof eth_mpls, 100, &out), PARSE_SHORT_LINK,
	    "MPLS without payload is malformed");
}

static void
test_other_links(void)
{
	struct pcapw_pkt p = { .family = 6, .src = "2001:db8::1",
	    .dst = "2001:db8::2", .proto = 17, .sport = 50000, .dport = 443,
	    .sll_pkttype = 4 };
	struct parse_packet out;
	size_t n;

	p.linktype = 113;
	n = build(&p);
	is_int(run(113, frame, n, n, &out), PARSE_OK, "SLL IPv6 parses");
	is_int(out.sent, 1, "SLL packet type 4 is sent");
	is_int(out.family, 6, "family 6");
	is_int(run(113, frame, 15, 100, &out), PARSE_SHORT_LINK,
	    "short SLL");
	p.linktype = 276;
	p.sll_pkttype = 0;
	n = build(&p);
	is_int(run(276, frame, n, n, &out), PARSE_OK, "SLL2 IPv6 parses");
	is_int(out.sent, 0, "SLL2 packet type 0 is received");
	is_int(run(276, frame, 19, 100, &out), PARSE_SHORT_LINK, "short SLL2");

	p.linktype = 0;
	n = build(&p);
	is_int(run(0, frame, n, n, &out), PARSE_OK, "BSD null AF 30 parses");
	frame[0] = 0; frame[3] = 24;		/* big-endian AF 24 */
	is_int(run(0, frame, n, n, &out), PARSE_OK, "null AF in big endian");
	is_int(run(108, frame, n, n, &out), PARSE_OK, "OpenBSD loop AF 24");
	frame[3] = 7;
	is_int(run(108, frame, n, n, &out), PARSE_NOTIP_FAMILY,
	    "unknown address family is not IP");
	is_int(run(0, frame, 3, 100, &out), PARSE_SHORT_LINK, "short null");
	frame[3] = 2;				/* AF_INET, but IPv6 inside */
	is_int(run(108, frame, n, n, &out), PARSE_BAD_VERSION,
	    "version nibble must match the link layer");

	p.linktype = 101;
	n = build(&p);
	is_int(run(101, frame, n, n, &out), PARSE_OK, "raw IPv6 parses");
	is_int(run(229, frame, n, n, &out), PARSE_OK, "linktype 229 IPv6");
	is_int(run(228, frame, n, n, &out), PARSE_BAD_VERSION,
	    "linktype 228 with IPv6 inside is malformed");
	is_int(run(101, frame, 0, 0, &out), PARSE_SHORT_LINK, "empty raw");
	is_int(run(147, frame, n, n, &out), PARSE_NOTIP_LINKTYPE,
	    "unknown link type is not IP");
	ok(parse_linktype_known(276) && !parse_linktype_known(147),
	    "parse_linktype_known");
	frame[0] = 0x50;
	is_int(run(101, frame, n, n, &out), PARSE_BAD_VERSION,
	    "raw version 5 is malformed");
}

static void
test_ipv4_details(void)
{
	struct pcapw_pkt p = { .linktype = 101, .family = 4, .src = "10.1.1.1",
	    .dst = "10.2.2.2", .proto = 17, .sport = 1000, .dport = 2000,
	    .payload = 8 };
	struct parse_packet out;
	uint8_t opt[128];
	size_t n = build(&p);

	/* IPv4 options: IHL 6, ports read after them. */
	memcpy(opt, frame, 20);
	opt[0] = 0x46;
	memset(opt + 20, 1, 4);
	memcpy(opt + 24, frame + 20, n - 20);
	opt[3] += 4;
	is_int(run(101, opt, n + 4, n + 4, &out), PARSE_OK, "IPv4 options");
	is_int(out.sport, 1000, "ports after options");
	is_int(out.nbytes, n + 4, "bytes with options");
	opt[0] = 0x44;
	is_int(run(101, opt, n + 4, n + 4, &out), PARSE_BAD_IHL, "IHL 4");
	opt[0] = 0x4f;
	is_int(run(101, opt, 40, 100, &out), PARSE_SHORT_IPV4,
	    "options not captured");
	is_int(run(101, frame, 19, 100, &out), PARSE_SHORT_IPV4,
	    "short IPv4 header");
	/* Total length 0 (TSO): wire length minus link header. */
	frame[2] = frame[3] = 0;
	is_int(run(101, frame, n, 9000, &out), PARSE_OK, "length 0 parses");
	is_int(out.nbytes, 9000, "length 0: wire length counts");
}

static void
test_fragments(void)
{
	struct pcapw_pkt p = { .linktype = 1, .family = 4, .src = "10.1.1.1",
	    .dst = "10.2.2.2", .proto = 17, .sport = 1000, .dport = 2000,
	    .payload = 100, .ip_id = 0x1234, .more_frags = 1 };
	struct parse_packet out;
	size_t n = build(&p);

	is_int(run(1, frame, n, n, &out), PARSE_OK, "first fragment parses");
	is_int(out.frag, PARSE_FRAG_FIRST, "offset 0 + MF: first fragment");
	is_int(out.frag_id, 0x1234, "IPv4 ID");
	is_int(out.dport, 2000, "first fragment has ports");
	p.frag_offset = 13;
	p.more_frags = 0;
	n = build(&p);
	is_int(run(1, frame, n, n, &out), PARSE_OK, "later fragment parses");
	is_int(out.frag, PARSE_FRAG_LATER, "offset > 0: later fragment");
	is_int(out.dport, 0, "later fragment: no ports");
	is_int(run(1, frame, 14 + 20, n, &out), PARSE_OK,
	    "later fragment needs no transport bytes");

	p.family = 6;
	p.src = "2001:db8::1";
	p.dst = "2001:db8::2";
	p.v6_frag_hdr = 1;
	p.frag_offset = 0;
	p.more_frags = 1;
	p.ip_id = 0xbeef;
	n = build(&p);
	is_int(run(1, frame, n, n, &out), PARSE_OK, "IPv6 first fragment");
	is_int(out.frag, PARSE_FRAG_FIRST, "IPv6 fragment header M=1");
	is_int(out.proto, 17, "proto after the fragment header");
	is_int(out.frag_proto, 17, "fragment match proto is its next header");
	is_int(out.frag_id, 0xbeef, "IPv6 identification");
	p.frag_offset = 100;
	p.more_frags = 0;
	n = build(&p);
	is_int(run(1, frame, n, n, &out), PARSE_OK, "IPv6 later fragment");
	is_int(out.frag, PARSE_FRAG_LATER, "IPv6 offset > 0");
	is_int(out.proto, 17, "later IPv6 fragment proto");
	is_int(run(1, frame, 14 + 40 + 7, n, &out), PARSE_SHORT_EXTHDR,
	    "cut fragment header");
	p.frag_offset = 0;
	p.more_frags = 0;
	n = build(&p);
	is_int(run(1, frame, n, n, &out), PARSE_OK, "atomic fragment");
	is_int(out.frag, PARSE_FRAG_NONE, "offset 0, M=0: not a fragment");
}

static void
test_ipv6_ext(void)
{
	uint8_t pkt[256];
	struct parse_packet out;
	size_t n;

	/* IPv6 + hop-by-hop (8) + routing (16) + AH (12+4=16) + dest (8) + TCP */
	memset(pkt, 0, sizeof pkt);
	pkt[0] = 0x60;
	pkt[6] = 0;			/* hop-by-hop */
	pkt[8] = 0x20; pkt[9] = 0x01; pkt[23] = 1;
	pkt[24] = 0x20; pkt[25] = 0x01; pkt[39] = 2;
	n = 40;
	pkt[n] = 43; pkt[n + 1] = 0; n += 8;
	pkt[n] = 51; pkt[n + 1] = 1; n += 16;
	pkt[n] = 60; pkt[n + 1] = 2; n += 16;	/* AH: (2+2)*4 = 16 */
	pkt[n] = 6; pkt[n + 1] = 0; n += 8;
	pkt[n] = 0x04; pkt[n + 1] = 0xd2; pkt[n + 2] = 0; pkt[n + 3] = 22;
	pkt[n + 13] = 0x12;
	n += 20;
	pkt[4] = 0; pkt[5] = (uint8_t)(n - 40);
	is_int(run(101, pkt, n, n, &out), PARSE_OK, "IPv6 ext header chain");
	is_int(out.proto, 6, "proto after HBH/routing/AH/dest");
	is_int(out.dport, 22, "ports after extension headers");
	is_int(out.sport, 1234, "sport after extension headers");
	ok(out.has_hint && out.hint == 0x12, "SYN+ACK hint");
	is_int(out.nbytes, n, "IPv6 bytes = 40 + payload length");
	is_int(run(101, pkt, 39, 200, &out), PARSE_SHORT_IPV6,
	    "short IPv6 header");
	is_int(run(101, pkt, 41 + 40, 200, &out), PARSE_SHORT_EXTHDR,
	    "extension header past the capture");
	is_int(run(101, pkt, 40 + 8 + 8 + 16 + 16 + 2, 200, &out),
	    PARSE_SHORT_PORTS, "TCP ports cut after ext headers");
	/* No next header (59): a protocol without ports. */
	pkt[6] = 59;
	is_int(run(101, pkt, 40, 40, &out), PARSE_OK, "next header 59");
	is_int(out.proto, 59, "proto 59");
	/* Payload length 0 (jumbogram): wire minus link header. */
	pkt[4] = pkt[5] = 0;
	is_int(run(101, pkt, 40, 70000, &out), PARSE_OK, "payload length 0");
	is_int(out.nbytes, 70000, "jumbogram bytes from the wire length");
}

/* Where the headers are, for the packet features (parse_frame_layout()). */
static void
test_layout(void)
{
	struct pcapw_pkt p = { .linktype = 1, .family = 4, .src = "10.0.0.1",
	    .dst = "10.0.0.2", .proto = 6, .sport = 40000, .dport = 80,
	    .tcp_flags = 0x02, .payload = 10 };
	struct parse_input in = { 0 };
	struct parse_packet a, b;
	struct parse_layout lo;
	size_t n;

	n = build(&p);
	in.data = frame;
	in.caplen = in.wirelen = (uint32_t)n;
	in.linktype = 1;
	is_int(parse_frame_layout(&in, &a, &lo), PARSE_OK, "layout: parses");
	ok(lo.l3 == 14 && lo.l4 == 34, "Ethernet/IPv4/TCP: IP at 14, TCP at "
	    "34 (%u, %u)", lo.l3, lo.l4);
	parse_frame(&in, &b);
	ok(memcmp(&a, &b, sizeof a) == 0, "the same packet as parse_frame()");
	p.nvlans = 2;
	p.family = 6;
	p.src = "2001:db8::1";
	p.dst = "2001:db8::2";
	p.v6_frag_hdr = 1;
	p.more_frags = 1;
	in.caplen = in.wirelen = (uint32_t)build(&p);
	parse_frame_layout(&in, &a, &lo);
	ok(lo.l3 == 22 && lo.l4 == 22 + 40 + 8, "two tags, IPv6, fragment "
	    "header: IP at 22, TCP at 70 (%u, %u)", lo.l3, lo.l4);
	p.frag_offset = 10;
	p.more_frags = 0;
	in.caplen = in.wirelen = (uint32_t)build(&p);
	parse_frame_layout(&in, &a, &lo);
	ok(a.frag == PARSE_FRAG_LATER && lo.l3 == 22 && lo.l4 == 0,
	    "a later fragment: no transport header (%u)", lo.l4);
}

static void
test_icmp(void)
{
	struct pcapw_pkt p = { .linktype = 101, .family = 4, .src = "10.1.1.1",
	    .dst = "10.2.2.2", .proto = 1, .icmp_type = 8 };
	struct parse_packet out;
	size_t n = build(&p);

	is_int(run(101, frame, n, n, &out), PARSE_OK, "ICMP echo");
	ok(out.has_hint && out.hint == 8, "ICMP type is the hint");
	is_int(out.dport, 0, "ICMP has no ports");
	is_int(run(101, frame, 20, n, &out), PARSE_OK,
	    "ICMP without its header still parses");
	ok(!out.has_hint, "no ICMP type captured: no hint");
	p.family = 6;
	p.src = "fe80::1";
	p.dst = "ff02::1";
	p.proto = 58;
	p.icmp_type = 135;
	n = build(&p);
	is_int(run(101, frame, n, n, &out), PARSE_OK, "ICMPv6");
	ok(out.has_hint && out.hint == 135, "ICMPv6 type hint");
}

static void
test_not_ip(void)
{
	uint8_t arp[60] = { 0xff,0xff,0xff,0xff,0xff,0xff, 2,0,0,0,0,1,
	    0x08, 0x06 };
	struct parse_packet out;

	is_int(run(1, arp, 60, 60, &out), PARSE_NOTIP_ETHERTYPE, "ARP not IP");
	is_int(run(1, arp, 13, 60, &out), PARSE_SHORT_LINK, "13-byte frame");
	arp[12] = 0x08; arp[13] = 0x00;
	is_int(run(1, arp, 14, 60, &out), PARSE_SHORT_IPV4,
	    "Ethernet IPv4 with no IP byte");
	arp[14] = 0x60;
	is_int(run(1, arp, 60, 60, &out), PARSE_BAD_VERSION,
	    "EtherType IPv4 carrying version 6");
	is_str(parse_reason_name(PARSE_SHORT_PORTS), "short_ports",
	    "reason names are stable");
	is_str(parse_reason_name((enum parse_reason)999), "unknown",
	    "unknown reason has a name");
}

/* Every prefix of a valid frame parses or is refused, never read past. */
static void
test_every_prefix(void)
{
	struct pcapw_pkt p = { .linktype = 1, .family = 6, .src = "2001:db8::1",
	    .dst = "2001:db8::2", .proto = 6, .sport = 1, .dport = 2,
	    .nvlans = 1, .vlans = { 5 }, .v6_frag_hdr = 1, .more_frags = 1 };
	struct parse_packet out;
	size_t n = build(&p), i;
	int bad = 0;
	uint8_t *copy;

	for (i = 0; i <= n; i++) {
		copy = malloc(i ? i : 1);
		memcpy(copy, frame, i);
		if (run(1, copy, i, n, &out) == PARSE_OK && i < n - 20 + 4)
			bad++;
		free(copy);
	}
	is_int(bad, 0, "no prefix shorter than the ports parses as OK");
}

/*
 * parse_frame()'s shortcut must agree with the general walk: frames of
 * every shape near its conditions (IPv4 and IPv6, TCP/UDP/ICMP/other
 * protocols and extension headers, IPv4 options, fragments, zero lengths,
 * tagged, other links, cut short, caplen over wirelen, random bytes in
 * the headers), output compared byte for byte.
 */
static void
test_shortcut_agrees(void)
{
	static const uint8_t protos[] = { 6, 17, 1, 47, 132, 0, 44, 58 };
	struct parse_packet fast, walk;
	struct parse_input in = { 0 };
	enum parse_reason rf, rw;
	uint8_t f[128];
	size_t i, j, n, differ = 0, v4 = 0, v6 = 0;
	unsigned seed = 12345;
	int six;

	for (i = 0; i < 400000; i++) {
		for (j = 0; j < sizeof f; j++)
			f[j] = (uint8_t)(rand_r(&seed) >> 4);
		/* Mostly plausible Ethernet/IP, then break one thing. */
		six = rand_r(&seed) % 2;
		f[12] = six ? 0x86 : 0x08;
		f[13] = six ? 0xdd : 0x00;
		f[14] = six ? (uint8_t)(0x60 | (f[14] & 0x0f)) : 0x45;
		f[20] &= 0x40;
		f[21] = 0;
		f[six ? 20 : 23] = protos[rand_r(&seed) % sizeof protos];
		switch (rand_r(&seed) % 10) {
		case 0: f[14] = (uint8_t)rand_r(&seed); break;
		case 1: f[20] = (uint8_t)rand_r(&seed); break;
		case 2: f[21] = (uint8_t)rand_r(&seed); break;
		case 3: f[12] = (uint8_t)rand_r(&seed); break;
		case 4: f[13] = (uint8_t)rand_r(&seed); break;
		case 5: f[16] = f[17] = f[18] = f[19] = 0; break;
		case 6:		/* PPPoE, protocol in one byte or two */
			f[12] = 0x88;
			f[13] = 0x64;
			break;
		}
		n = (size_t)(rand_r(&seed) % 3 == 0 ? rand_r(&seed) % 80 :
		    40 + rand_r(&seed) % 88);
		in.data = f;
		in.caplen = (uint32_t)n;
		in.wirelen = (uint32_t)(rand_r(&seed) % 8 == 0 ? n - 1 :
		    n + rand_r(&seed) % 100);
		in.linktype = rand_r(&seed) % 16 == 0 ? PARSE_LINK_SLL :
		    PARSE_LINK_ETHERNET;
		in.outgoing = (uint8_t)(rand_r(&seed) % 2);
		in.has_vlan_tci = rand_r(&seed) % 16 == 0;
		in.vlan_tci = (uint16_t)rand_r(&seed);
		memset(&fast, 0xaa, sizeof fast);
		memset(&walk, 0x55, sizeof walk);
		rf = parse_frame(&in, &fast);
		rw = parse_frame_walk(&in, &walk);
		if (rf != rw || (rw == PARSE_OK &&
		    memcmp(&fast, &walk, sizeof fast) != 0))
			differ++;
		if (rw == PARSE_OK && in.linktype == PARSE_LINK_ETHERNET &&
		    !in.has_vlan_tci && walk.frag == PARSE_FRAG_NONE &&
		    (walk.proto == 6 || walk.proto == 17))
			(*(walk.family == 4 ? &v4 : &v6))++;
	}
	is_int(differ, 0, "shortcut and general walk agree on 400000 frames");
	ok(v4 > 10000 && v6 > 10000, "many were plain TCP/UDP (%zu IPv4, "
	    "%zu IPv6)", v4, v6);
}

int
main(void)
{
	test_ethernet_ipv4_tcp();
	test_vlans();
	test_pppoe_mpls();
	test_other_links();
	test_ipv4_details();
	test_fragments();
	test_ipv6_ext();
	test_layout();
	test_icmp();
	test_not_ip();
	test_every_prefix();
	test_shortcut_agrees();
	return tap_done();
}
