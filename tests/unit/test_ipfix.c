/*
 * test_ipfix.c - IPFIX messages (ipfix.c): decoded here by a reader that
 * knows only RFC 7011 (it learns the records' layout from the template
 * set in the message), and collector addresses.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipfix.h"
#include "tap.h"

static unsigned
get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t
getn(const uint8_t *p, unsigned len)
{
	uint64_t v = 0;

	while (len-- > 0)
		v = v << 8 | *p++;
	return v;
}

/* What the reader learnt: templates and decoded records. */
struct tmpl {
	unsigned	 id, n;
	unsigned	 ie[32], len[32];
};

struct dec {
	struct tmpl	 t[4];
	unsigned	 nt;
	struct ipfix_record r[2048];
	unsigned	 nr;
	unsigned	 sets;
	int		 bad;		/* a structural error */
	uint32_t	 seq, domain, export_time;
};

static struct tmpl *
find_tmpl(struct dec *d, unsigned id)
{
	unsigned i;

	for (i = 0; i < d->nt; i++)
		if (d->t[i].id == id)
			return &d->t[i];
	return NULL;
}

/* Decode one message into d (templates kept from earlier messages). */
static void
decode(struct dec *d, const uint8_t *m, size_t len)
{
	size_t off = IPFIX_HEADER_LEN, end, rlen;
	unsigned id, slen, i, k;
	struct tmpl *t;
	struct ipfix_record *r;
	const uint8_t *p;

	if (len < IPFIX_HEADER_LEN || get16(m) != 10 || get16(m + 2) != len) {
		d->bad = 1;
		return;
	}
	d->export_time = get32(m + 4);
	d->seq = get32(m + 8);
	d->domain = get32(m + 12);
	while (off < len) {
		if (off + 4 > len) {
			d->bad = 1;
			return;
		}
		id = get16(m + off);
		slen = get16(m + off + 2);
		if (slen < 4 || off + slen > len) {
			d->bad = 1;
			return;
		}
		d->sets++;
		end = off + slen;
		off += 4;
		if (id == 2) {
			while (off + 4 <= end) {
				t = &d->t[d->nt++];
				t->id = get16(m + off);
				t->n = get16(m + off + 2);
				off += 4;
				for (i = 0; i < t->n; i++, off += 4) {
					t->ie[i] = get16(m + off);
					t->len[i] = get16(m + off + 2);
				}
			}
		} else if ((t = find_tmpl(d, id)) != NULL) {
			for (rlen = 0, i = 0; i < t->n; i++)
				rlen += t->len[i];
			while (off + rlen <= end) {
				r = &d->r[d->nr++];
				memset(r, 0, sizeof *r);
				for (p = m + off, i = 0; i < t->n; p += t->len[i],
				    i++) {
					k = t->len[i];
					switch (t->ie[i]) {
					case 8: case 27:
						memcpy(r->sip, p, k);
						r->family = k == 16 ? 6 : 4;
						break;
					case 12: case 28:
						memcpy(r->dip, p, k);
						break;
					case 11: r->dport = (uint16_t)getn(p, k); break;
					case 4: r->proto = (uint8_t)getn(p, k); break;
					case 58: r->vlan = (uint16_t)getn(p, k); break;
					case 59:
						if (getn(p, k) != r->vlan)
							d->bad = 1;
						break;
					case 61: r->direction = (uint8_t)getn(p, k); break;
					case 1: r->octets = getn(p, k); break;
					case 2: r->packets = getn(p, k); break;
					case 152: r->start_ms = getn(p, k); break;
					case 153: r->end_ms = getn(p, k); break;
					default: d->bad = 1;
					}
				}
				off += rlen;
			}
		} else
			d->bad = 1;
		if (off != end)
			d->bad = 1;	/* padding is allowed, we never add it */
		off = end;
	}
}

static void
mkrec(struct ipfix_record *r, int family, unsigned n)
{
	memset(r, 0, sizeof *r);
	r->family = (uint8_t)family;
	if (family == 4) {
		inet_pton(AF_INET, "10.1.2.3", r->sip);
		inet_pton(AF_INET, "192.0.2.200", r->dip);
		r->sip[3] = (uint8_t)n;
	} else {
		inet_pton(AF_INET6, "2001:db8::1", r->sip);
		inet_pton(AF_INET6, "2001:db8:ffff::abcd", r->dip);
		r->sip[15] = (uint8_t)n;
	}
	r->dport = (uint16_t)(443 + n);
	r->proto = n % 2 ? 17 : 6;
	r->vlan = (uint16_t)(n % 4095);
	r->direction = n % 2 ? IPFIX_EGRESS : IPFIX_INGRESS;
	r->octets = 0x100000000ull + n * 1500;
	r->packets = n + 1;
	r->start_ms = 1700000100000ull;
	r->end_ms = 1700000400000ull;
}

static int
same_rec(const struct ipfix_record *a, const struct ipfix_record *b)
{
	size_t alen = a->family == 6 ? 16 : 4;

	return a->family == b->family && memcmp(a->sip, b->sip, alen) == 0 &&
	    memcmp(a->dip, b->dip, alen) == 0 && a->dport == b->dport &&
	    a->proto == b->proto && a->vlan == b->vlan &&
	    a->direction == b->direction && a->octets == b->octets &&
	    a->packets == b->packets && a->start_ms == b->start_ms &&
	    a->end_ms == b->end_ms;
}

static void
test_templates(void)
{
	static const unsigned want4[] = { 152, 153, 8, 12, 11, 4, 58, 59,
	    61, 1, 2 };
	static const unsigned want6[] = { 152, 153, 27, 28, 11, 4, 58, 59,
	    61, 1, 2 };
	uint8_t buf[2048];
	struct ipfix_msg m;
	struct dec d;
	size_t len, i, sum4 = 0, sum6 = 0;

	memset(&d, 0, sizeof d);
	ipfix_msg_begin(&m, buf, sizeof buf);
	ok(ipfix_msg_add_templates(&m) == 0, "templates fit");
	len = ipfix_msg_end(&m, 1700000500, 7, 42);
	is_int(len, IPFIX_HEADER_LEN + ipfix_templates_len(), "length");
	decode(&d, buf, len);
	ok(!d.bad, "decodes");
	is_int(d.nt, 2, "two templates");
	is_int(d.seq, 7, "sequence number");
	is_int(d.domain, 42, "observation domain");
	is_int(d.export_time, 1700000500, "export time");
	is_int(d.t[0].id, 256, "IPv4 template id");
	is_int(d.t[1].id, 257, "IPv6 template id");
	is_int(d.t[0].n, 11, "IPv4 field count");
	is_int(d.t[1].n, 11, "IPv6 field count");
	for (i = 0; i < 11; i++) {
		ok(d.t[0].ie[i] == want4[i] && d.t[1].ie[i] == want6[i],
		    "field %zu is IE %u / %u", i, want4[i], want6[i]);
		sum4 += d.t[0].len[i];
		sum6 += d.t[1].len[i];
	}
	is_int(sum4, IPFIX_RECORD_V4, "IPv4 record length");
	is_int(sum6, IPFIX_RECORD_V6, "IPv6 record length");
	for (i = 0; i < 11; i++)
		if (d.t[0].ie[i] == 150 || d.t[0].ie[i] == 151 ||
		    d.t[0].ie[i] >= 32768)
			break;
	is_int(i, 11, "no IE 150/151, no enterprise or reverse elements");
}

static void
test_records(void)
{
	static uint8_t buf[IPFIX_MESSAGE_MAX];
	struct ipfix_record r[64];
	struct ipfix_msg m;
	struct dec d;
	size_t len, i;
	int all = 1;

	memset(&d, 0, sizeof d);
	/* v4, v4, v6, v4, v6, v6...: a new set at each change of family */
	for (i = 0; i < 64; i++)
		mkrec(&r[i], (i % 5 == 2 || i % 7 == 3) ? 6 : 4, (unsigned)i);
	ipfix_msg_begin(&m, buf, sizeof buf);
	ipfix_msg_add_templates(&m);
	for (i = 0; i < 64; i++)
		ok(ipfix_msg_add_record(&m, &r[i]) == 0, "record %zu", i);
	is_int(m.records, 64, "64 records counted");
	len = ipfix_msg_end(&m, 1, 100, 3);
	decode(&d, buf, len);
	ok(!d.bad, "a message of mixed families decodes");
	is_int(d.nr, 64, "64 records decoded");
	for (i = 0; i < 64 && i < d.nr; i++)
		all &= same_rec(&r[i], &d.r[i]);
	ok(all, "every record reads back as written, in order");
	ok(d.r[0].octets == 0x100000000ull, "a 64-bit octet count");
}

/* A full message refuses the record and stays well-formed. */
static void
test_full(void)
{
	uint8_t buf[1472];
	struct ipfix_record r;
	struct ipfix_msg m;
	struct dec d;
	size_t len, before;
	unsigned n = 0;
	int rc;

	memset(&d, 0, sizeof d);
	ipfix_msg_begin(&m, buf, sizeof buf);
	ipfix_msg_add_templates(&m);
	for (;;) {
		mkrec(&r, n % 3 ? 4 : 6, n);
		before = m.len;
		if ((rc = ipfix_msg_add_record(&m, &r)) != 0)
			break;
		n++;
	}
	is_int(rc, -ENOSPC, "ENOSPC when full");
	is_int(m.len, before, "the refused record left nothing");
	len = ipfix_msg_end(&m, 1, 0, 1);
	ok(len <= sizeof buf, "within the buffer (%zu <= %zu)", len,
	    sizeof buf);
	ok(sizeof buf - len < IPFIX_RECORD_V6 + IPFIX_SET_HEADER_LEN,
	    "nearly full (%zu bytes left)", sizeof buf - len);
	decode(&d, buf, len);
	ok(!d.bad && d.nr == n, "decodes: %u records", d.nr);
	/* a message without templates decodes with the earlier ones */
	ipfix_msg_begin(&m, buf, sizeof buf);
	mkrec(&r, 6, 1);
	ipfix_msg_add_record(&m, &r);
	len = ipfix_msg_end(&m, 1, n, 1);
	is_int(len, IPFIX_HEADER_LEN + IPFIX_SET_HEADER_LEN + IPFIX_RECORD_V6,
	    "one IPv6 record: 92 bytes");
	decode(&d, buf, len);
	ok(!d.bad && d.nr == n + 1 && same_rec(&r, &d.r[n]),
	    "a later message uses the templates sent before");
	is_int(IPFIX_MESSAGE_MIN <= 576 - 28, 1,
	    "the smallest MTU allowed (576) holds templates and a record");
}

static void
test_url(void)
{
	static const struct { const char *url; int ok, tcp;
	    const char *host, *port; } cases[] = {
		{ "udp://127.0.0.1:4739", 1, 0, "127.0.0.1", "4739" },
		{ "tcp://collector.example:9995", 1, 1, "collector.example",
		    "9995" },
		{ "udp://[::1]:2055", 1, 0, "::1", "2055" },
		{ "tcp://[2001:db8::1]", 1, 1, "2001:db8::1", "4739" },
		{ "udp://host", 1, 0, "host", "4739" },
		{ "udp://::1:4739", 0, 0, NULL, NULL },
		{ "http://h:1", 0, 0, NULL, NULL },
		{ "udp://h:0", 0, 0, NULL, NULL },
		{ "udp://h:65536", 0, 0, NULL, NULL },
		{ "udp://h:12x", 0, 0, NULL, NULL },
		{ "udp://h:", 0, 0, NULL, NULL },
		{ "udp://:4739", 0, 0, NULL, NULL },
		{ "udp://[]:1", 0, 0, NULL, NULL },
		{ "udp://[::1]x", 0, 0, NULL, NULL },
		{ "udp://h/x:1", 0, 0, NULL, NULL },
		{ "udp://u@h:1", 0, 0, NULL, NULL },
	};
	char *host, *port, *why;
	size_t i;
	int tcp, rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		host = port = why = NULL;
		tcp = -1;
		rc = ipfix_parse_url(cases[i].url, &tcp, &host, &port, &why);
		if (cases[i].ok)
			ok(rc == 0 && tcp == cases[i].tcp &&
			    strcmp(host, cases[i].host) == 0 &&
			    strcmp(port, cases[i].port) == 0, "'%s' -> %s %s",
			    cases[i].url, host ? host : "?", port ? port : "?");
		else
			ok(rc == -EINVAL && why != NULL && host == NULL,
			    "'%s' refused: %s", cases[i].url, why ? why : "?");
		free(host);
		free(port);
		free(why);
	}
}

int
main(void)
{
	test_templates();
	test_records();
	test_full();
	test_url();
	return tap_done();
}
