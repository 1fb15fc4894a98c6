/*
 * mkpcap.c - write the project's own test captures, each with the flow
 * rows and counts it must produce, worked out by hand from SEMANTICS.md.
 *
 * Usage: mkpcap DIR   writes DIR/<name>.<ext> and DIR/<name>.expected
 * (CSV rows as the oracle prints them, then a "# packets=.. ip=.. ..."
 * line and a "# exit=N" line).  tests/integ/read_own.sh reads them with
 * flowrecd --read and compares; so make check needs nothing from ../shared.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcapw.h"

#define T0	1699999800LL		/* a bin start for 300 and 60 s */
#define NS	1000000000LL

static const char *dir;
static FILE *expect;

static char *
path_of(const char *name, const char *ext)
{
	static char buf[4096];

	snprintf(buf, sizeof buf, "%s/%s.%s", dir, name, ext);
	return buf;
}

static void
expect_open(const char *name)
{
	expect = fopen(path_of(name, "expected"), "w");
	if (expect == NULL) {
		perror(name);
		exit(1);
	}
	fputs("ts,sip,dip,dport,proto,vlan,bytes_rcvd,bytes_sent,pkts_rcvd,"
	    "pkts_sent\n", expect);
}

static void
expect_close(const char *counts, int exit_status)
{
	fprintf(expect, "# %s\n# exit=%d\n", counts, exit_status);
	fclose(expect);
}

static void
put(struct pcapw *w, struct pcapw_pkt *p, double t)
{
	uint8_t buf[2048];
	size_t n = pcapw_frame(p, buf, sizeof buf);

	pcapw_write(w, (int64_t)(t * NS), buf, (uint32_t)n, (uint32_t)n);
}

static void
put_ng(struct pcapw *w, int ifid, struct pcapw_pkt *p, double t, int out)
{
	uint8_t buf[2048];
	size_t n = pcapw_frame(p, buf, sizeof buf);

	pcapw_write_ng(w, ifid, (int64_t)(t * NS), buf, (uint32_t)n,
	    (uint32_t)n, out ? 2 : 1);
}

/* A TCP connection in a little-endian microsecond pcap. */
static void
scenario_tcp(void)
{
	struct pcapw *w = pcapw_open_pcap(path_of("tcp", "pcap"), 1, 0, 0);
	struct pcapw_pkt c = { .linktype = 1, .family = 4, .src = "10.1.0.1",
	    .dst = "10.1.0.2", .proto = 6, .sport = 40000, .dport = 8080 };
	struct pcapw_pkt s = c;

	s.src = c.dst;
	s.dst = c.src;
	s.sport = 8080;
	s.dport = 40000;
	c.tcp_flags = 0x02;			/* 40 bytes */
	put(w, &c, T0 + 1);
	s.tcp_flags = 0x12;			/* 40 */
	put(w, &s, T0 + 1.001);
	c.tcp_flags = 0x10;			/* 40 */
	put(w, &c, T0 + 1.002);
	c.tcp_flags = 0x18;
	c.payload = 100;			/* 140 */
	put(w, &c, T0 + 1.003);
	s.tcp_flags = 0x18;
	s.payload = 1000;			/* 1040 */
	put(w, &s, T0 + 1.004);
	pcapw_close(w);
	expect_open("tcp");
	fprintf(expect, "%lld,10.1.0.1,10.1.0.2,8080,6,0,1300,0,5,0\n", T0);
	expect_close("packets=5 ip=5 non_ip=0 malformed=0 flows=1", 0);
}

/*
 * pcapng, big endian, two interfaces (Ethernet and raw IP) with
 * different clocks, EPB direction flags: sent and received split.
 */
static void
scenario_pcapng(void)
{
	struct pcapw *w = pcapw_open_pcapng(path_of("dirs", "pcapng"), 1, 6, 1);
	int raw = pcapw_add_interface(w, 101, 9);
	struct pcapw_pkt q = { .linktype = 1, .family = 6, .src = "2001:db8::10",
	    .dst = "2001:db8::53", .proto = 17, .sport = 33333, .dport = 53,
	    .payload = 30 };
	struct pcapw_pkt a = q;

	a.src = q.dst;
	a.dst = q.src;
	a.sport = 53;
	a.dport = 33333;
	a.payload = 100;
	put_ng(w, 0, &q, T0 + 10, 1);		/* 40+8+30 = 78 sent */
	put_ng(w, 0, &a, T0 + 10.01, 0);	/* 148 received */
	q.linktype = a.linktype = 101;
	q.family = a.family = 4;
	q.src = a.dst = "192.0.2.1";
	q.dst = a.src = "192.0.2.53";
	put_ng(w, raw, &q, T0 + 20, 1);		/* 20+8+30 = 58 sent */
	put_ng(w, raw, &a, T0 + 20.5, 0);	/* 128 received */
	put_ng(w, raw, &a, T0 + 320, 0);	/* next bin, still active */
	pcapw_close(w);
	expect_open("dirs");
	fprintf(expect, "%lld,192.0.2.1,192.0.2.53,53,17,0,128,58,1,1\n", T0);
	fprintf(expect, "%lld,2001:db8::10,2001:db8::53,53,17,0,148,78,1,1\n",
	    T0);
	fprintf(expect, "%lld,192.0.2.1,192.0.2.53,53,17,0,128,0,1,0\n",
	    T0 + 300);
	expect_close("packets=5 ip=5 non_ip=0 malformed=0 flows=3", 0);
}

/*
 * Nanosecond big-endian pcap, Linux SLL: bins of 60 s (read with
 * --interval 60), an idle bin that makes a connection decide again.
 */
static void
scenario_bins(void)
{
	struct pcapw *w = pcapw_open_pcap(path_of("bins", "pcap"), 113, 1, 1);
	struct pcapw_pkt a = { .linktype = 113, .family = 4, .src = "10.9.0.1",
	    .dst = "10.9.0.2", .proto = 6, .sport = 50000, .dport = 50001,
	    .sll_pkttype = 4, .tcp_flags = 0x10 };

	/* Both ports ephemeral: the lower one (50000) is the server's. */
	put(w, &a, T0 + 0.5);		/* sent */
	a.sll_pkttype = 0;
	a.src = "10.9.0.2";
	a.dst = "10.9.0.1";
	a.sport = 50001;
	a.dport = 50000;
	put(w, &a, T0 + 61);		/* bin 1: same connection, received */
	a.src = "10.9.0.1";		/* bin 2 idle: forgotten; a SYN from */
	a.dst = "10.9.0.2";		/* 10.9.0.1 makes it the client */
	a.sport = 50000;
	a.dport = 50001;
	a.tcp_flags = 0x02;
	put(w, &a, T0 + 180);
	pcapw_close(w);
	expect_open("bins");
	fprintf(expect, "%lld,10.9.0.2,10.9.0.1,50000,6,0,0,40,0,1\n", T0);
	fprintf(expect, "%lld,10.9.0.2,10.9.0.1,50000,6,0,40,0,1,0\n", T0 + 60);
	fprintf(expect, "%lld,10.9.0.1,10.9.0.2,50001,6,0,40,0,1,0\n", T0 + 180);
	expect_close("packets=3 ip=3 non_ip=0 malformed=0 flows=3", 0);
}

/* VLAN-tagged UDP in IPv4 fragments, plus an unmatched later fragment. */
static void
scenario_frags(void)
{
	struct pcapw *w = pcapw_open_pcap(path_of("frags", "pcap"), 1, 0, 0);
	struct pcapw_pkt f = { .linktype = 1, .family = 4, .src = "172.16.0.1",
	    .dst = "172.16.0.2", .proto = 17, .sport = 40000, .dport = 4789,
	    .nvlans = 1, .vlans = { 42 }, .ip_id = 77, .more_frags = 1,
	    .payload = 1472 };

	put(w, &f, T0 + 5);			/* 20+8+1472 = 1500 */
	f.frag_offset = 185;
	f.more_frags = 0;
	f.payload = 500;
	put(w, &f, T0 + 5.001);			/* 520: joins */
	f.ip_id = 78;
	put(w, &f, T0 + 6);			/* 520: no first fragment */
	pcapw_close(w);
	expect_open("frags");
	fprintf(expect, "%lld,172.16.0.1,172.16.0.2,0,17,42,520,0,1,0\n", T0);
	fprintf(expect, "%lld,172.16.0.1,172.16.0.2,4789,17,42,2020,0,2,0\n",
	    T0);
	expect_close("packets=3 ip=3 non_ip=0 malformed=0 flows=2", 0);
}

/* Non-IP and malformed frames are counted and skipped. */
static void
scenario_junk(void)
{
	struct pcapw *w = pcapw_open_pcap(path_of("junk", "pcap"), 1, 0, 0);
	static const uint8_t arp[42] = { 0xff,0xff,0xff,0xff,0xff,0xff,
	    2,0,0,0,0,1, 0x08,0x06 };
	struct pcapw_pkt p = { .linktype = 1, .family = 4, .src = "10.0.0.1",
	    .dst = "10.0.0.2", .proto = 1, .icmp_type = 8 };
	uint8_t buf[256];
	size_t n = pcapw_frame(&p, buf, sizeof buf);

	pcapw_write(w, T0 * NS, arp, sizeof arp, sizeof arp);
	pcapw_write(w, T0 * NS, buf, 14 + 10, (uint32_t)n);	/* cut IPv4 */
	pcapw_write(w, T0 * NS, buf, (uint32_t)n, (uint32_t)n);
	pcapw_close(w);
	expect_open("junk");
	fprintf(expect, "%lld,10.0.0.1,10.0.0.2,0,1,0,28,0,1,0\n", T0);
	expect_close("packets=3 ip=1 non_ip=1 malformed=1 flows=1", 0);
}

/* A file cut inside its last record: what came before is recorded. */
static void
scenario_truncated(void)
{
	struct pcapw *w = pcapw_open_pcap(path_of("truncated", "pcap"), 1, 0, 0);
	struct pcapw_pkt p = { .linktype = 1, .family = 4, .src = "10.0.0.1",
	    .dst = "10.0.0.2", .proto = 17, .sport = 9999, .dport = 53 };
	uint8_t buf[256];
	size_t n = pcapw_frame(&p, buf, sizeof buf);

	pcapw_write(w, T0 * NS, buf, (uint32_t)n, (uint32_t)n);
	pcapw_write(w, T0 * NS, buf, (uint32_t)n, (uint32_t)n);
	pcapw_close(w);
	if (truncate(path_of("truncated", "pcap"), 24 + 2 * 16 + (long)n + 5))
		perror("truncate");
	expect_open("truncated");
	fprintf(expect, "%lld,10.0.0.1,10.0.0.2,53,17,0,28,0,1,0\n", T0);
	expect_close("packets=2 ip=1 non_ip=0 malformed=1 flows=1", 0);
}

/* Not a capture at all: refused with exit 2, nothing written. */
static void
scenario_notcap(void)
{
	FILE *f = fopen(path_of("notcap", "pcap"), "w");

	fputs("this is not a capture file\n", f);
	fclose(f);
	expect_open("notcap");
	expect_close("packets=0 ip=0 non_ip=0 malformed=0 flows=0", 2);
}

/*
 * A day and a half of traffic (no expected rows: tests/integ/rollup.sh
 * checks the store's rollups against its own rows): a few hundred flows
 * every few minutes from 18:00 one day to 06:00 two days later, with a
 * quiet hour in between.
 */
static int
long_capture(const char *path, int shift)
{
	struct pcapw *w = pcapw_open_pcap(path, 1, 0, 0);
	struct pcapw_pkt p = { .linktype = 1, .family = 4, .proto = 17,
	    .sport = 40000, .dport = 53, .payload = 20 };
	char src[32], dst[32];
	int64_t t, start = T0 - T0 % 86400 + 18 * 3600;
	unsigned x = 1;
	int i;

	for (t = start + shift; t < start + 36 * 3600; t += 170) {
		if (t >= start + 10 * 3600 && t < start + 11 * 3600)
			continue;
		for (i = 0; i < 40; i++) {
			x = x * 1103515245u + 12345u;
			snprintf(src, sizeof src, "10.1.%u.%u", (x >> 8) % 4,
			    (x >> 12) % 50);
			snprintf(dst, sizeof dst, "10.2.0.%u", (x >> 20) % 8);
			p.src = src;
			p.dst = dst;
			p.dport = (uint16_t)(53 + (x >> 24) % 3);
			put(w, &p, (double)t + i * 0.001);
		}
	}
	pcapw_close(w);
	return 0;
}

/*
 * Two bins of 3000 flows each, the second sharing 2000 keys with the
 * first: read with a small --max-flows, every bin is written in parts,
 * later parts holding both keys the day has seen and keys new to it.
 */
static int
wide_capture(const char *path)
{
	struct pcapw *w = pcapw_open_pcap(path, 1, 0, 0);
	struct pcapw_pkt p = { .linktype = 1, .family = 4, .proto = 17,
	    .sport = 40000, .payload = 10, .src = "10.3.0.1" };
	char dst[32];
	int bin, i;

	for (bin = 0; bin < 2; bin++) {
		for (i = bin * 1000; i < bin * 1000 + 3000; i++) {
			snprintf(dst, sizeof dst, "10.4.%d.%d", i / 250, i % 250);
			p.dst = dst;
			p.dport = (uint16_t)(1000 + i % 7);
			put(w, &p, (double)(T0 + bin * 300) + i * 0.01);
		}
	}
	pcapw_close(w);
	return 0;
}

/*
 * Bins first..first+n-1 (300 s) of 2023-11-15, each of 4000 one-packet
 * flows from a source of its own (every key new to the day) and a payload
 * length of its own: tests/integ/torn_read.sh writes a day with the
 * first bins, then adds the others while flowq reads it.
 */
static int
day_capture(const char *path, int first, int n)
{
	struct pcapw *w = pcapw_open_pcap(path, 1, 0, 0);
	struct pcapw_pkt p = { .linktype = 1, .family = 4, .proto = 17,
	    .sport = 40000 };
	char src[32], dst[32];
	int64_t day = 1700006400;	/* 2023-11-15T00:00:00Z */
	int bin, i;

	for (bin = first; bin < first + n; bin++) {
		snprintf(src, sizeof src, "10.5.%d.%d", bin / 250, bin % 250);
		p.src = src;
		p.payload = (uint16_t)(10 + bin % 97);
		for (i = 0; i < 4000; i++) {
			snprintf(dst, sizeof dst, "10.6.%d.%d", i / 250,
			    i % 250);
			p.dst = dst;
			p.dport = (uint16_t)(1000 + i % 5);
			put(w, &p, (double)(day + bin * 300) + i * 0.05);
		}
	}
	pcapw_close(w);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "--day") == 0)
		return day_capture(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 3 && strcmp(argv[1], "--wide") == 0)
		return wide_capture(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--long") == 0)
		return long_capture(argv[2], 0);
	if (argc == 3 && strcmp(argv[1], "--long-shifted") == 0)
		return long_capture(argv[2], 37);
	if (argc != 2) {
		fprintf(stderr, "usage: mkpcap DIR | --long FILE | "
		    "--long-shifted FILE | --wide FILE | --day FILE FIRST N\n");
		return 2;
	}
	dir = argv[1];
	scenario_tcp();
	scenario_pcapng();
	scenario_bins();
	scenario_frags();
	scenario_junk();
	scenario_truncated();
	scenario_notcap();
	return 0;
}
