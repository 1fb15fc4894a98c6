/*
 * test_bpf.c - unit tests of the capture filter (src/bpf.c), run the
 * kernel's way: each program is attached (SO_ATTACH_FILTER) to one end of
 * an AF_UNIX datagram socket pair, whose messages the kernel runs through
 * the same classic-BPF machinery as a packet socket's frames (its verdict
 * drops a message or trims it to the length returned).  Each frame below
 * is sent as one message; the test checks that it arrives (whole up to
 * the snap length) or not, and that this agrees with the parser: a frame
 * passes exactly when parse_frame() counts it as IP, except for stacks
 * deeper than the filter walks, which it passes for the parser to decide.
 *
 * Link types: Ethernet (Linux loopback is Ethernet too) and raw IP.
 * Frames: IPv4, IPv6, 802.1Q, 802.1ad (QinQ 0x88a8), 0x9100, 0x9200,
 * stacks of 1 to 10 tags, PPPoE sessions (the PPP protocol in two bytes
 * or compressed to one), MPLS stacks of 1 to 10 labels,
 * VLAN + PPPoE / MPLS, and the non-IP frames the filter must reject.
 */
#include "config.h"

#include <errno.h>
#include <linux/filter.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bpf.h"
#include "parse.h"
#include "pcapw.h"
#include "tap.h"

enum { REJECT, ACCEPT, DEEP };	/* DEEP: passed, the parser decides */

/* A frame being built. */
struct fb {
	uint8_t		 b[2048];
	size_t		 n;
};

static void
put(struct fb *f, const void *p, size_t len)
{
	if (f->n + len > sizeof f->b)
		abort();
	memcpy(f->b + f->n, p, len);
	f->n += len;
}

static void
put16(struct fb *f, unsigned v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(f, x, 2);
}

static void
put8(struct fb *f, unsigned v)
{
	uint8_t x = (uint8_t)v;

	put(f, &x, 1);
}

static void
mac(struct fb *f)
{
	static const uint8_t m[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };

	f->n = 0;
	put(f, m, sizeof m);
}

/* An IP packet (raw): UDP over IPv4 or TCP over IPv6. */
static size_t
ip_packet(int family, uint8_t *buf, size_t len)
{
	struct pcapw_pkt p = { .linktype = 101, .family = family,
	    .src = family == 4 ? "192.0.2.1" : "2001:db8::1",
	    .dst = family == 4 ? "192.0.2.2" : "2001:db8::2",
	    .proto = family == 4 ? 17 : 6, .sport = 40000, .dport = 53,
	    .tcp_flags = 0x02, .payload = 100 };
	size_t n = pcapw_frame(&p, buf, len);

	if (n == 0)
		abort();
	return n;
}

static void
ip(struct fb *f, int family)
{
	uint8_t buf[512];

	put(f, buf, ip_packet(family, buf, sizeof buf));
}

/* An MPLS stack of n labels, the last with the bottom-of-stack bit. */
static void
mpls(struct fb *f, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		put16(f, 0x0001);
		put16(f, (i == n - 1 ? 0x0140 : 0x0040));
	}
}

/* A PPPoE session header for a payload of plen bytes (protocol included). */
static void
pppoe(struct fb *f, size_t plen)
{
	put16(f, 0x1100);		/* version 1, type 1, code 0 */
	put16(f, 0x0001);		/* session */
	put16(f, (unsigned)plen);
}

struct run {
	int		 fd[2];
	int		 linktype;
	uint32_t	 snaplen;
	size_t		 frames, bad;
};

static int
run_open(struct run *r, int linktype, uint32_t snaplen)
{
	struct sock_filter prog[BPF_CAPTURE_MAX];
	struct sock_fprog fp;
	size_t n;

	memset(r, 0, sizeof *r);
	r->linktype = linktype;
	r->snaplen = snaplen;
	n = bpf_build_capture(linktype, snaplen, prog);
	ok(n > 0 && n <= BPF_CAPTURE_MAX, "link type %d: %zu instructions",
	    linktype, n);
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, r->fd) != 0)
		return -1;
	fp.len = (unsigned short)n;
	fp.filter = prog;
	if (setsockopt(r->fd[1], SOL_SOCKET, SO_ATTACH_FILTER, &fp,
	    sizeof fp) != 0) {
		ok(0, "the kernel takes the program: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Send f; the kernel's verdict must be want, and the parser must agree. */
static void
check(struct run *r, const char *name, const struct fb *f, int want)
{
	struct parse_input in = { 0 };
	struct parse_packet pkt;
	uint8_t got[4096];
	ssize_t len;
	size_t expect_len = f->n < r->snaplen ? f->n : r->snaplen;
	int passed, parsed_ip;

	r->frames++;
	if (send(r->fd[0], f->b, f->n, 0) != (ssize_t)f->n) {
		ok(0, "%s: send: %s", name, strerror(errno));
		return;
	}
	len = recv(r->fd[1], got, sizeof got, MSG_DONTWAIT);
	passed = len >= 0;
	in.data = f->b;
	in.caplen = in.wirelen = (uint32_t)f->n;
	in.linktype = (uint16_t)r->linktype;
	parsed_ip = parse_frame(&in, &pkt) == PARSE_OK;
	if (passed != (want != REJECT)) {
		ok(0, "link %d snaplen %u: %s: %s, want %s", r->linktype,
		    r->snaplen, name, passed ? "passed" : "rejected",
		    want != REJECT ? "passed" : "rejected");
		r->bad++;
		return;
	}
	if (passed && ((size_t)len != expect_len ||
	    memcmp(got, f->b, expect_len) != 0)) {
		ok(0, "link %d: %s: %zd bytes kept, want %zu", r->linktype,
		    name, len, expect_len);
		r->bad++;
		return;
	}
	if (want != DEEP && parsed_ip != (want == ACCEPT)) {
		ok(0, "link %d: %s: the parser says %s", r->linktype, name,
		    parsed_ip ? "IP" : "not IP");
		r->bad++;
	}
}

static void
run_close(struct run *r, const char *what)
{
	ok(r->bad == 0, "%s: %zu frames, every verdict the expected one and "
	    "the parser's", what, r->frames);
	close(r->fd[0]);
	close(r->fd[1]);
}

static const uint16_t tpids[] = { 0x8100, 0x88a8, 0x9100, 0x9200 };

static void
test_ethernet(uint32_t snaplen)
{
	struct run r;
	struct fb f;
	uint8_t buf[512];
	size_t n;
	int fam, i, k, t;
	char name[96];

	if (run_open(&r, PARSE_LINK_ETHERNET, snaplen) != 0)
		return;
	for (fam = 4; fam <= 6; fam += 2) {
		mac(&f);
		put16(&f, fam == 4 ? 0x0800 : 0x86dd);
		ip(&f, fam);
		snprintf(name, sizeof name, "IPv%d", fam);
		check(&r, name, &f, ACCEPT);

		/* Tags of every TPID, 1 to 8 of them: walked. */
		for (t = 0; t < 4; t++) {
			for (k = 1; k <= BPF_CAPTURE_TAGS; k++) {
				mac(&f);
				for (i = 0; i < k; i++) {
					put16(&f, tpids[(t + i) % 4]);
					put16(&f, (unsigned)(100 + i));
				}
				put16(&f, fam == 4 ? 0x0800 : 0x86dd);
				ip(&f, fam);
				snprintf(name, sizeof name, "IPv%d under %d "
				    "tags from 0x%04x", fam, k, tpids[t]);
				check(&r, name, &f, ACCEPT);
			}
		}
		/* QinQ as on the wire: 802.1ad outside, 802.1Q inside. */
		mac(&f);
		put16(&f, 0x88a8);
		put16(&f, 300);
		put16(&f, 0x8100);
		put16(&f, 400);
		put16(&f, fam == 4 ? 0x0800 : 0x86dd);
		ip(&f, fam);
		check(&r, "QinQ 0x88a8 + 0x8100", &f, ACCEPT);
		/* Deeper than the filter walks: passed, the parser counts. */
		for (k = BPF_CAPTURE_TAGS + 1; k <= BPF_CAPTURE_TAGS + 2;
		    k++) {
			mac(&f);
			for (i = 0; i < k; i++) {
				put16(&f, 0x8100);
				put16(&f, 7);
			}
			put16(&f, fam == 4 ? 0x0800 : 0x86dd);
			ip(&f, fam);
			check(&r, "IP under too many tags", &f, DEEP);
			mac(&f);
			for (i = 0; i < k; i++) {
				put16(&f, 0x8100);
				put16(&f, 7);
			}
			put16(&f, 0x0806);
			put(&f, buf, 28);
			check(&r, "ARP under too many tags", &f, DEEP);
		}

		/*
		 * PPPoE session, plain and under a tag, the PPP protocol in
		 * two bytes or compressed to one (RFC 1661 6.5).
		 */
		for (i = 0; i < 4; i++) {
			mac(&f);
			if (i & 1) {
				put16(&f, 0x8100);
				put16(&f, 5);
			}
			put16(&f, 0x8864);
			n = ip_packet(fam, buf, sizeof buf);
			pppoe(&f, n + (i & 2 ? 1 : 2));
			if (i & 2)
				put8(&f, fam == 4 ? 0x21 : 0x57);
			else
				put16(&f, fam == 4 ? 0x0021 : 0x0057);
			put(&f, buf, n);
			snprintf(name, sizeof name, "%sPPPoE, PPP IPv%d, "
			    "protocol in %d byte(s)", i & 1 ? "VLAN, " : "",
			    fam, i & 2 ? 1 : 2);
			check(&r, name, &f, ACCEPT);
		}

		/* MPLS stacks of 1 to 8 labels (walked), then deeper. */
		for (k = 1; k <= BPF_CAPTURE_LABELS + 2; k++) {
			for (i = 0; i < 2; i++) {
				mac(&f);
				if (i) {
					put16(&f, 0x88a8);
					put16(&f, 9);
				}
				put16(&f, k % 2 ? 0x8847 : 0x8848);
				mpls(&f, k);
				ip(&f, fam);
				snprintf(name, sizeof name, "%sMPLS %d labels, "
				    "IPv%d", i ? "VLAN, " : "", k, fam);
				check(&r, name, &f, k <= BPF_CAPTURE_LABELS ?
				    ACCEPT : DEEP);
			}
		}
	}

	/* Not IP. */
	mac(&f);
	put16(&f, 0x0806);
	put(&f, buf, 28);
	check(&r, "ARP", &f, REJECT);
	mac(&f);
	put16(&f, 0x8100);
	put16(&f, 5);
	put16(&f, 0x0806);
	put(&f, buf, 28);
	check(&r, "ARP under a tag", &f, REJECT);
	mac(&f);
	put16(&f, 0x88cc);
	put(&f, buf, 40);
	check(&r, "LLDP", &f, REJECT);
	mac(&f);
	put16(&f, 0x8863);
	pppoe(&f, 10);
	put(&f, buf, 10);
	check(&r, "PPPoE discovery", &f, REJECT);
	mac(&f);
	put16(&f, 0x8864);
	pppoe(&f, 30);
	put16(&f, 0xc021);			/* LCP */
	memset(buf, 1, 28);
	put(&f, buf, 28);
	check(&r, "PPPoE session, LCP", &f, REJECT);
	mac(&f);
	put16(&f, 0x8864);
	pppoe(&f, 30);
	put16(&f, 0x0023);			/* not IP, first byte even */
	put(&f, buf, 28);
	check(&r, "PPPoE session, PPP 0x0023", &f, REJECT);
	mac(&f);
	put16(&f, 0x8864);
	pppoe(&f, 30);
	put8(&f, 0x23);				/* compressed, not IP */
	put(&f, buf, 29);
	check(&r, "PPPoE session, compressed PPP 0x23", &f, REJECT);
	mac(&f);
	put16(&f, 0x8864);
	pppoe(&f, 30);
	put8(&f, 0xc1);				/* compressed, not IP */
	put(&f, buf, 29);
	check(&r, "PPPoE session, compressed PPP 0xc1", &f, REJECT);
	mac(&f);
	put16(&f, 0x8864);
	pppoe(&f, 30);
	put16(&f, 0x2100);			/* odd: one byte, 0x21 */
	n = ip_packet(4, buf, sizeof buf);
	put(&f, buf + 1, n - 1);
	check(&r, "PPPoE session, 0x21 then a byte that is no IP header",
	    &f, DEEP);
	mac(&f);
	put16(&f, 0x8847);
	mpls(&f, 2);
	put16(&f, 0x0000);			/* pseudowire control word */
	put(&f, buf, 60);
	check(&r, "MPLS pseudowire", &f, REJECT);
	mac(&f);
	put16(&f, 0x8100);
	put16(&f, 5);
	put16(&f, 0x8137);			/* IPX */
	put(&f, buf, 30);
	check(&r, "IPX under a tag", &f, REJECT);
	run_close(&r, "Ethernet");
}

static void
test_raw(uint32_t snaplen)
{
	struct run r;
	struct fb f;
	uint8_t buf[512];
	size_t n;

	if (run_open(&r, PARSE_LINK_RAW, snaplen) != 0)
		return;
	f.n = 0;
	ip(&f, 4);
	check(&r, "raw IPv4", &f, ACCEPT);
	f.n = 0;
	ip(&f, 6);
	check(&r, "raw IPv6", &f, ACCEPT);
	n = ip_packet(4, buf, sizeof buf);
	buf[0] = 0x55;				/* version 5 */
	f.n = 0;
	put(&f, buf, n);
	check(&r, "raw, version 5", &f, REJECT);
	buf[0] = 0x05;				/* version 0 */
	f.n = 0;
	put(&f, buf, n);
	check(&r, "raw, version 0", &f, REJECT);
	run_close(&r, "raw IP");
}

static void
test_build(void)
{
	struct sock_filter prog[BPF_CAPTURE_MAX];

	is_int(bpf_build_capture(PARSE_LINK_SLL, 192, prog), 0,
	    "a link type live capture does not use: no program");
	is_int(bpf_build_capture(PARSE_LINK_ETHERNET, 65535, prog) ==
	    bpf_build_capture(PARSE_LINK_ETHERNET, 64, prog), 1,
	    "the program's length does not depend on the snap length");
	is_int(prog[bpf_build_capture(PARSE_LINK_RAW, 77, prog) - 2].k, 77,
	    "a passed frame keeps snaplen bytes");
}

int
main(void)
{
	test_build();
	test_ethernet(65535);
	test_ethernet(64);
	test_raw(65535);
	test_raw(30);
	return tap_done();
}
