/*
 * fuzz_parse.c - libFuzzer target for the frame parser (parse_frame()).
 *
 * Built two ways: with -fsanitize=fuzzer as tests/fuzz/fuzz_parse
 * (configure --enable-fuzzing CC=clang), and with tests/fuzz/replay.c as
 * tests/fuzz/replay_parse, which `make check` runs over tests/corpus/parse.
 *
 * Input: byte 0 picks the link type (low 4 bits, among those parse_frame()
 * decodes plus one it does not) and how the wire length relates to the
 * captured length (high 4 bits); byte 1 holds the "outgoing" flag (bit 0),
 * the "kernel stripped the VLAN tag" flag (bit 1) and the seed of that tag
 * (bits 2-7); the rest is the frame, ending where the input ends so that a
 * read past caplen is caught by ASan.  Besides not crashing, a decoded
 * packet must keep the promises of parse.h, and parse_frame() (with its
 * shortcut) must give what parse_frame_walk() gives; a broken one aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint16_t fuzz_linktypes[] = {
	PARSE_LINK_ETHERNET, PARSE_LINK_SLL, PARSE_LINK_SLL2, PARSE_LINK_NULL,
	PARSE_LINK_LOOP, PARSE_LINK_RAW, PARSE_LINK_RAW12, PARSE_LINK_RAW14,
	PARSE_LINK_IPV4, PARSE_LINK_IPV6,
	147					/* a user link type */
};
#define FUZZ_NLINKTYPES	(sizeof fuzz_linktypes / sizeof fuzz_linktypes[0])

static void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz_parse: broken promise: %s\n", what);
	abort();
}

/* What parse.h promises about a decoded packet. */
static void
fuzz_check_packet(const struct parse_input *in, const struct parse_packet *p)
{
	static const uint8_t zero[12];

	if (p->family != 4 && p->family != 6)
		fuzz_fail("family is 4 or 6");
	if (p->family == 4 && (memcmp(p->src + 4, zero, 12) != 0 ||
	    memcmp(p->dst + 4, zero, 12) != 0))
		fuzz_fail("IPv4 addresses are zero after 4 bytes");
	if (p->frag > PARSE_FRAG_LATER)
		fuzz_fail("frag is a parse_frag");
	if (p->frag == PARSE_FRAG_LATER && (p->sport != 0 || p->dport != 0))
		fuzz_fail("a later fragment has no ports");
	if (p->vlan > 0x0fff)
		fuzz_fail("vlan is a 12-bit VLAN ID");
	if (p->sent > 1 || p->has_hint > 1)
		fuzz_fail("flags are 0 or 1");
	if (in->outgoing && !p->sent)
		fuzz_fail("outgoing input is sent");
	if (p->has_hint && p->proto != 6 && p->proto != 1 && p->proto != 58)
		fuzz_fail("a hint only for TCP, ICMP, ICMPv6");
	/* An IP length field is at most 65535 (IPv6: + 40). */
	if (p->nbytes > in->wirelen && p->nbytes > 65535 + 40)
		fuzz_fail("nbytes is a length field or within wirelen");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parse_input	 in;
	struct parse_packet	 pkt, walk;
	enum parse_reason	 r;
	uint32_t		 caplen;

	if (size < 2)
		return 0;
	caplen = (uint32_t)(size - 2);
	memset(&in, 0, sizeof in);
	in.data = data + 2;
	in.caplen = caplen;
	in.linktype = fuzz_linktypes[(data[0] & 0x0f) % FUZZ_NLINKTYPES];
	switch (data[0] >> 4) {
	case 12:
		in.wirelen = caplen > 0 ? caplen - 1 : 0;	/* malformed */
		break;
	case 13:
		in.wirelen = caplen + 1500;			/* snapped */
		break;
	case 14:
		in.wirelen = 0;
		break;
	case 15:
		in.wirelen = UINT32_MAX;
		break;
	default:
		in.wirelen = caplen;
		break;
	}
	in.outgoing = data[1] & 1;
	in.has_vlan_tci = (data[1] >> 1) & 1;
	in.vlan_tci = (uint16_t)((data[1] >> 2) * 1031);
	r = parse_frame(&in, &pkt);
	if ((unsigned)r >= PARSE_REASON_COUNT)
		fuzz_fail("reason in range");
	if (parse_reason_name(r) == NULL)
		fuzz_fail("every reason has a name");
	if (in.caplen > in.wirelen && r != PARSE_BAD_CAPLEN)
		fuzz_fail("caplen > wirelen is bad_caplen");
	if (r == PARSE_OK)
		fuzz_check_packet(&in, &pkt);
	memset(&walk, 0x5a, sizeof walk);
	if (parse_frame_walk(&in, &walk) != r || (r == PARSE_OK &&
	    memcmp(&walk, &pkt, sizeof pkt) != 0))
		fuzz_fail("the shortcut gives what the general walk gives");
	if (!parse_linktype_known(in.linktype) &&
	    in.caplen <= in.wirelen && r != PARSE_NOTIP_LINKTYPE)
		fuzz_fail("an unknown link type is not IP");
	return 0;
}
