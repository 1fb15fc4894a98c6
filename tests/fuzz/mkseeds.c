/*
 * mkseeds.c - write the hand-made seed inputs of tests/corpus/parse and
 * tests/corpus/capfile (the fuzzers add what they find next to them).
 *
 * Not part of the build; run it by hand when a seed is added:
 *   gcc -I. -Isrc -Itests/unit -o /tmp/mkseeds tests/fuzz/mkseeds.c \
 *       tests/unit/pcapw.c && /tmp/mkseeds tests/corpus
 * (from a configured tree, for config.h).  Every seed is built here with
 * pcapw or byte by byte; none comes from a capture made elsewhere.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapw.h"

static const char *outdir;
static char path[1024];

static const char *
seed_path(const char *target, const char *name)
{
	snprintf(path, sizeof path, "%s/%s/seed-%s", outdir, target, name);
	return path;
}

/* parse seeds: selector byte, flags byte, frame. */
static void
parse_seed(const char *name, uint8_t selector, uint8_t flags,
    const uint8_t *frame, size_t len)
{
	FILE	*f = fopen(seed_path("parse", name), "wb");

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fputc(selector, f);
	fputc(flags, f);
	fwrite(frame, 1, len, f);
	fclose(f);
}

/* The selector index of each link type in fuzz_parse.c's table. */
enum { SEL_ETH, SEL_SLL, SEL_SLL2, SEL_NULL, SEL_LOOP, SEL_RAW, SEL_RAW12,
	SEL_RAW14, SEL_IPV4, SEL_IPV6, SEL_OTHER };

static size_t
frame(struct pcapw_pkt *p, uint8_t *buf, size_t len)
{
	size_t	n = pcapw_frame(p, buf, len);

	if (n == 0) {
		fprintf(stderr, "mkseeds: frame does not fit\n");
		exit(1);
	}
	return n;
}

static void
parse_seeds(void)
{
	struct pcapw_pkt	 p;
	uint8_t			 b[2048], c[2048];
	size_t			 n;

	memset(&p, 0, sizeof p);
	p.linktype = 1;
	p.family = 4;
	p.src = "192.0.2.1";
	p.dst = "198.51.100.7";
	p.proto = 6;
	p.sport = 40000;
	p.dport = 443;
	p.tcp_flags = 0x02;
	p.payload = 8;
	n = frame(&p, b, sizeof b);
	parse_seed("eth-tcp-syn", SEL_ETH, 0, b, n);
	parse_seed("eth-tcp-syn-snapped", 0xd0 | SEL_ETH, 0, b, n);
	parse_seed("eth-tcp-caplen-gt-len", 0xc0 | SEL_ETH, 0, b, n);
	parse_seed("eth-tcp-stripped-vlan", SEL_ETH, 0x02 | (5 << 2), b, n);
	parse_seed("eth-tcp-cut-ports", SEL_ETH, 0, b, 14 + 20 + 2);

	p.nvlans = 2;
	p.vlans[0] = 100;
	p.vlans[1] = 200;
	p.proto = 17;
	p.sport = 5353;
	p.dport = 5353;
	p.dst = "224.0.0.251";
	n = frame(&p, b, sizeof b);
	parse_seed("eth-qinq-udp-multicast", SEL_ETH, 1, b, n);

	p.nvlans = 0;
	p.family = 6;
	p.src = "2001:db8::1";
	p.dst = "2001:db8::2";
	p.proto = 58;
	p.icmp_type = 128;
	n = frame(&p, b, sizeof b);
	parse_seed("eth-icmp6-echo", SEL_ETH, 0, b, n);

	p.proto = 17;
	p.v6_frag_hdr = 1;
	p.more_frags = 1;
	p.ip_id = 77;
	n = frame(&p, b, sizeof b);
	parse_seed("eth-ipv6-first-fragment", SEL_ETH, 0, b, n);
	p.frag_offset = 100;
	p.more_frags = 0;
	n = frame(&p, b, sizeof b);
	parse_seed("eth-ipv6-later-fragment", SEL_ETH, 0, b, n);

	memset(&p, 0, sizeof p);
	p.family = 4;
	p.src = "10.0.0.1";
	p.dst = "10.0.0.2";
	p.proto = 1;
	p.icmp_type = 8;
	p.frag_offset = 3;
	p.ip_id = 9;
	p.linktype = 101;
	n = frame(&p, b, sizeof b);
	parse_seed("raw-ipv4-later-fragment", SEL_RAW, 0, b, n);
	parse_seed("raw12-ipv4-later-fragment", SEL_RAW12, 0, b, n);
	parse_seed("ipv4-linktype-icmp", SEL_IPV4, 0, b, n);
	parse_seed("ipv6-linktype-with-ipv4", SEL_IPV6, 0, b, n);
	parse_seed("other-linktype", SEL_OTHER, 0, b, n);
	p.frag_offset = 0;
	p.proto = 132;
	p.sport = 2905;
	p.dport = 2905;
	n = frame(&p, b, sizeof b);
	parse_seed("raw14-sctp", SEL_RAW14, 0, b, n);

	/* IPv4 with options (IHL 6) after a BSD null or loop header. */
	memset(c, 0, 4);
	c[0] = 2;				/* null: AF_INET, LE */
	memcpy(c + 4, b, 20);
	c[4] = 0x46;
	c[4 + 2] = (uint8_t)((n + 4) >> 8);
	c[4 + 3] = (uint8_t)(n + 4);
	memset(c + 24, 0x01, 4);		/* four NOP options */
	memcpy(c + 28, b + 20, n - 20);
	parse_seed("null-ipv4-options", SEL_NULL, 0, c, n + 8);
	c[0] = 0;
	c[3] = 2;				/* loop: big-endian AF */
	parse_seed("loop-ipv4-options", SEL_LOOP, 0, c, n + 8);

	memset(&p, 0, sizeof p);
	p.family = 6;
	p.src = "fe80::1";
	p.dst = "ff02::1";
	p.proto = 6;
	p.sport = 179;
	p.dport = 50000;
	p.tcp_flags = 0x12;
	p.linktype = 113;
	p.sll_pkttype = 4;
	n = frame(&p, b, sizeof b);
	parse_seed("sll-outgoing-tcp6", SEL_SLL, 0, b, n);
	p.linktype = 276;
	n = frame(&p, b, sizeof b);
	parse_seed("sll2-outgoing-tcp6", SEL_SLL2, 0, b, n);

	/* IPv6 with hop-by-hop, routing and AH headers before UDP. */
	memset(&p, 0, sizeof p);
	p.linktype = 101;
	p.family = 6;
	p.src = "2001:db8::a";
	p.dst = "2001:db8::b";
	p.proto = 17;
	p.sport = 53;
	p.dport = 33333;
	n = frame(&p, b, sizeof b);
	memcpy(c, b, 40);
	c[6] = 0;				/* hop-by-hop */
	memset(c + 40, 0, 8);
	c[40] = 43;
	memset(c + 48, 0, 8);			/* routing, 8 bytes */
	c[48] = 51;
	memset(c + 56, 0, 12);			/* AH, (1 + 2) * 4 bytes */
	c[56] = 17;
	c[57] = 1;
	memcpy(c + 68, b + 40, n - 40);
	c[4] = (uint8_t)((n - 40 + 28) >> 8);
	c[5] = (uint8_t)(n - 40 + 28);
	parse_seed("raw-ipv6-ext-headers", SEL_RAW, 0, c, n + 28);

	/* Ethernet, PPPoE session, PPP IPv4. */
	memset(&p, 0, sizeof p);
	p.linktype = 101;
	p.family = 4;
	p.src = "100.64.0.1";
	p.dst = "100.64.0.2";
	p.proto = 17;
	p.sport = 1234;
	p.dport = 53;
	n = frame(&p, b, sizeof b);
	memset(c, 0, 22);
	memcpy(c, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x88\x64"
	    "\x11\x00\x00\x01", 18);
	c[18] = (uint8_t)((n + 2) >> 8);
	c[19] = (uint8_t)(n + 2);
	c[20] = 0x00;
	c[21] = 0x21;
	memcpy(c + 22, b, n);
	parse_seed("eth-pppoe-ipv4", SEL_ETH, 0, c, n + 22);
	/* The same with PPP's compressed one-byte protocol (RFC 1661 6.5). */
	c[18] = (uint8_t)((n + 1) >> 8);
	c[19] = (uint8_t)(n + 1);
	c[20] = 0x21;
	memcpy(c + 21, b, n);
	parse_seed("eth-pppoe-ipv4-compressed", SEL_ETH, 0, c, n + 21);
	c[20] = 0x57;				/* IPv6 with an IPv4 header */
	parse_seed("eth-pppoe-compressed-ipv6-bad-version", SEL_ETH, 0, c,
	    n + 21);
	c[20] = 0x21;
	parse_seed("eth-pppoe-compressed-cut", SEL_ETH, 0, c, 21);
	/* Restore the two-byte PPPoE frame for the MPLS seed below. */
	c[18] = (uint8_t)((n + 2) >> 8);
	c[19] = (uint8_t)(n + 2);
	c[20] = 0x00;
	c[21] = 0x21;
	memcpy(c + 22, b, n);
	/* Ethernet, MPLS two labels, IPv4. */
	memcpy(c, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x88\x47"
	    "\x00\x01\x00\x40\x00\x02\x01\x40", 22);
	parse_seed("eth-mpls-ipv4", SEL_ETH, 0, c, n + 22);
	/* ARP: not IP. */
	memcpy(c + 12, "\x08\x06", 2);
	parse_seed("eth-arp", SEL_ETH, 0, c, 42);
	parse_seed("empty", SEL_ETH, 0, c, 0);
}

static uint8_t pkt[2048];
static size_t pktlen;

static void
make_packet(int linktype, int family, uint8_t proto)
{
	struct pcapw_pkt	p;

	memset(&p, 0, sizeof p);
	p.linktype = linktype;
	p.family = family;
	p.src = family == 4 ? "192.0.2.10" : "2001:db8::10";
	p.dst = family == 4 ? "192.0.2.20" : "2001:db8::20";
	p.proto = proto;
	p.sport = 44321;
	p.dport = 80;
	p.tcp_flags = 0x10;
	p.payload = 20;
	pktlen = frame(&p, pkt, sizeof pkt);
}

#define T0	1700000000123456789LL

static void
capfile_seeds(void)
{
	struct pcapw	*w;
	int		 i1, i2, big;
	char		 name[64];

	for (big = 0; big <= 1; big++) {
		snprintf(name, sizeof name, "pcap-us-%s", big ? "be" : "le");
		make_packet(1, 4, 6);
		w = pcapw_open_pcap(seed_path("capfile", name), 1, 0, big);
		pcapw_write(w, T0, pkt, (uint32_t)pktlen, (uint32_t)pktlen);
		pcapw_write(w, T0 + 1000, pkt, 30, (uint32_t)pktlen);
		pcapw_close(w);

		snprintf(name, sizeof name, "pcap-ns-%s", big ? "be" : "le");
		make_packet(113, 6, 17);
		w = pcapw_open_pcap(seed_path("capfile", name), 113, 1, big);
		pcapw_write(w, T0, pkt, (uint32_t)pktlen, (uint32_t)pktlen);
		pcapw_close(w);

		snprintf(name, sizeof name, "pcap-modified-%s",
		    big ? "be" : "le");
		make_packet(101, 4, 17);
		w = pcapw_open_pcap_ex(seed_path("capfile", name), 0xa1b2cd34,
		    2, 4, 101, big);
		pcapw_write_pcap_rec(w, 1700000000, 5, (uint32_t)pktlen,
		    (uint32_t)pktlen, pkt, pktlen);
		pcapw_close(w);

		snprintf(name, sizeof name, "pcapng-%s", big ? "be" : "le");
		w = pcapw_open_pcapng(seed_path("capfile", name), 1, 6, big);
		i1 = pcapw_add_interface(w, 276, 9);
		i2 = pcapw_add_interface_ex(w, 0, 128, 0x8a, 1, -3600);
		make_packet(1, 4, 6);
		pcapw_write_ng(w, 0, T0, pkt, (uint32_t)pktlen,
		    (uint32_t)pktlen, 2);
		make_packet(276, 6, 58);
		pcapw_write_ng(w, i1, T0, pkt, (uint32_t)pktlen,
		    (uint32_t)pktlen, 1);
		make_packet(0, 4, 17);
		pcapw_write_pkt_ticks(w, 6, (uint32_t)i2, 123456789, pkt,
		    (uint32_t)pktlen, (uint32_t)pktlen + 10, 0);
		pcapw_write_spb(w, pkt, (uint32_t)pktlen, (uint32_t)pktlen);
		pcapw_write_pkt_ticks(w, 2, 0, 99, pkt, (uint32_t)pktlen,
		    (uint32_t)pktlen, 0);
		pcapw_block(w, 5, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
		pcapw_section(w, 1, 2);
		pcapw_add_interface_ex(w, 101, 0, -1, 0, 0);
		make_packet(101, 4, 1);
		pcapw_write_pkt_ticks(w, 6, 0, 1, pkt, (uint32_t)pktlen,
		    (uint32_t)pktlen, 2);
		pcapw_close(w);
	}
	/* Older versions store the lengths swapped. */
	make_packet(1, 4, 17);
	w = pcapw_open_pcap_ex(seed_path("capfile", "pcap-2.2-swapped"),
	    0xa1b2c3d4, 2, 2, 1, 0);
	pcapw_write_pcap_rec(w, 1, 2, (uint32_t)pktlen + 4, (uint32_t)pktlen,
	    pkt, pktlen);
	pcapw_close(w);
	w = pcapw_open_pcap_ex(seed_path("capfile", "pcap-2.3"),
	    0xa1b2c3d4, 2, 3, 0xf4000001, 1);
	pcapw_write_pcap_rec(w, 1, 2, (uint32_t)pktlen + 4, (uint32_t)pktlen,
	    pkt, pktlen);
	pcapw_write_pcap_rec(w, 1, 2, (uint32_t)pktlen, (uint32_t)pktlen + 4,
	    pkt, pktlen);
	pcapw_close(w);
	/* Refused and corrupt files. */
	w = pcapw_open_pcap_ex(seed_path("capfile", "pcap-version-1.4"),
	    0xa1b2c3d4, 1, 4, 1, 0);
	pcapw_close(w);
	w = pcapw_open_pcap_ex(seed_path("capfile", "pcap-reserved-bits"),
	    0xa1b2c3d4, 2, 4, 0x00010001, 0);
	pcapw_close(w);
	w = pcapw_open_pcap_ex(seed_path("capfile", "pcap-cut-record"),
	    0xa1b2c3d4, 2, 4, 1, 0);
	pcapw_write_pcap_rec(w, 1, 2, (uint32_t)pktlen, (uint32_t)pktlen,
	    pkt, pktlen / 2);
	pcapw_close(w);
	w = pcapw_open_raw(seed_path("capfile", "pcapng-version-1.1"), 0);
	pcapw_section(w, 1, 1);
	pcapw_close(w);
	w = pcapw_open_pcapng(seed_path("capfile", "pcapng-bad-trailer"), 1, 6,
	    0);
	pcapw_write_ng(w, 0, T0, pkt, (uint32_t)pktlen, (uint32_t)pktlen, 0);
	pcapw_u32(w, 6);
	pcapw_u32(w, 32);
	pcapw_bytes(w, pkt, 20);
	pcapw_u32(w, 36);
	pcapw_close(w);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds corpus-dir\n");
		return 2;
	}
	outdir = argv[1];
	parse_seeds();
	capfile_seeds();
	return 0;
}
