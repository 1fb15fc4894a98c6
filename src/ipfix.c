/*
 * ipfix.c - IPFIX message encoding and collector addresses (see ipfix.h).
 *
 * The two templates are one table, ipfix_fields[]: the template set is
 * written from it and the records are laid out in its order, so that a
 * field cannot be added to one and forgotten in the other (test_ipfix
 * decodes records through the templates it finds in the message).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipfix.h"
#include "util.h"

enum ipfix_value {
	V_START, V_END, V_SIP, V_DIP, V_DPORT, V_PROTO, V_VLAN, V_POSTVLAN,
	V_DIRECTION, V_OCTETS, V_PACKETS
};

/* Each field: its element id for IPv4 and IPv6, its length in each. */
static const struct ipfix_field {
	uint16_t	 ie4, ie6;
	uint16_t	 len4, len6;
	enum ipfix_value value;
} ipfix_fields[] = {
	{ 152, 152, 8, 8, V_START },		/* flowStartMilliseconds */
	{ 153, 153, 8, 8, V_END },		/* flowEndMilliseconds */
	{ 8, 27, 4, 16, V_SIP },		/* source{IPv4,IPv6}Address */
	{ 12, 28, 4, 16, V_DIP },		/* destination{IPv4,IPv6}Addr. */
	{ 11, 11, 2, 2, V_DPORT },		/* destinationTransportPort */
	{ 4, 4, 1, 1, V_PROTO },		/* protocolIdentifier */
	{ 58, 58, 2, 2, V_VLAN },		/* vlanId */
	{ 59, 59, 2, 2, V_POSTVLAN },		/* postVlanId */
	{ 61, 61, 1, 1, V_DIRECTION },		/* flowDirection */
	{ 1, 1, 8, 8, V_OCTETS },		/* octetDeltaCount */
	{ 2, 2, 8, 8, V_PACKETS },		/* packetDeltaCount */
};
#define NFIELDS	(sizeof ipfix_fields / sizeof ipfix_fields[0])

static uint8_t *
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static uint8_t *
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	return put32(p + 4, (uint32_t)v);
}

size_t
ipfix_templates_len(void)
{
	/* set header, then per template its header and the fields */
	return IPFIX_SET_HEADER_LEN + 2 * (4 + 4 * NFIELDS);
}

void
ipfix_msg_begin(struct ipfix_msg *m, uint8_t *buf, size_t cap)
{
	memset(m, 0, sizeof *m);
	m->buf = buf;
	m->cap = cap > IPFIX_MESSAGE_MAX ? IPFIX_MESSAGE_MAX : cap;
	m->len = IPFIX_HEADER_LEN;
}

static void
ipfix_close_set(struct ipfix_msg *m)
{
	if (m->set_start == 0)
		return;
	put16(m->buf + m->set_start + 2, (uint16_t)(m->len - m->set_start));
	m->set_start = 0;
	m->set_id = 0;
}

int
ipfix_msg_add_templates(struct ipfix_msg *m)
{
	uint8_t *p;
	size_t i, v6, len = ipfix_templates_len();

	if (m->len + len > m->cap)
		return -ENOSPC;
	ipfix_close_set(m);
	p = m->buf + m->len;
	p = put16(p, IPFIX_TEMPLATE_SET_ID);
	p = put16(p, (uint16_t)len);
	for (v6 = 0; v6 < 2; v6++) {
		p = put16(p, v6 ? IPFIX_TEMPLATE_V6 : IPFIX_TEMPLATE_V4);
		p = put16(p, (uint16_t)NFIELDS);
		for (i = 0; i < NFIELDS; i++) {
			p = put16(p, v6 ? ipfix_fields[i].ie6 :
			    ipfix_fields[i].ie4);
			p = put16(p, v6 ? ipfix_fields[i].len6 :
			    ipfix_fields[i].len4);
		}
	}
	m->len += len;
	return 0;
}

int
ipfix_msg_add_record(struct ipfix_msg *m, const struct ipfix_record *r)
{
	uint16_t set_id = r->family == 6 ? IPFIX_TEMPLATE_V6 :
	    IPFIX_TEMPLATE_V4;
	size_t need = r->family == 6 ? IPFIX_RECORD_V6 : IPFIX_RECORD_V4;
	size_t i, alen = r->family == 6 ? 16 : 4;
	uint8_t *p;

	if (m->set_id != set_id)
		need += IPFIX_SET_HEADER_LEN;
	if (m->len + need > m->cap)
		return -ENOSPC;
	if (m->set_id != set_id) {
		ipfix_close_set(m);
		m->set_start = m->len;
		m->set_id = set_id;
		put16(m->buf + m->len, set_id);
		m->len += IPFIX_SET_HEADER_LEN;
	}
	p = m->buf + m->len;
	for (i = 0; i < NFIELDS; i++)
		switch (ipfix_fields[i].value) {
		case V_START:
			p = put64(p, r->start_ms);
			break;
		case V_END:
			p = put64(p, r->end_ms);
			break;
		case V_SIP:
			memcpy(p, r->sip, alen);
			p += alen;
			break;
		case V_DIP:
			memcpy(p, r->dip, alen);
			p += alen;
			break;
		case V_DPORT:
			p = put16(p, r->dport);
			break;
		case V_PROTO:
			*p++ = r->proto;
			break;
		case V_VLAN:
		case V_POSTVLAN:
			p = put16(p, r->vlan);
			break;
		case V_DIRECTION:
			*p++ = r->direction;
			break;
		case V_OCTETS:
			p = put64(p, r->octets);
			break;
		case V_PACKETS:
			p = put64(p, r->packets);
			break;
		}
	m->len = (size_t)(p - m->buf);
	m->records++;
	return 0;
}

size_t
ipfix_msg_end(struct ipfix_msg *m, uint32_t export_time, uint32_t seq,
    uint32_t domain)
{
	uint8_t *p = m->buf;

	ipfix_close_set(m);
	p = put16(p, IPFIX_VERSION);
	p = put16(p, (uint16_t)m->len);
	p = put32(p, export_time);
	p = put32(p, seq);
	put32(p, domain);
	return m->len;
}

/* --------------------------------------------------------- addresses */

int
ipfix_parse_url(const char *url, int *tcp, char **host, char **port,
    char **why)
{
	const char *h, *end, *colon;
	char *p;
	unsigned long n;
	size_t hlen;

	if (strncmp(url, "udp://", 6) == 0)
		*tcp = 0;
	else if (strncmp(url, "tcp://", 6) == 0)
		*tcp = 1;
	else
		return util_cause(why, -EINVAL, "'%s': want udp://HOST:PORT "
		    "or tcp://HOST:PORT", url);
	h = url + 6;
	if (*h == '[') {
		if ((end = strchr(h, ']')) == NULL || end == h + 1)
			return util_cause(why, -EINVAL, "'%s': an IPv6 address "
			    "goes in brackets: [::1]:4739", url);
		h++;
		hlen = (size_t)(end - h);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return util_cause(why, -EINVAL, "'%s': want ':PORT' "
			    "after ']'", url);
	} else {
		colon = strchr(h, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			return util_cause(why, -EINVAL, "'%s': an IPv6 address "
			    "goes in brackets: [::1]:4739", url);
		hlen = colon ? (size_t)(colon - h) : strlen(h);
	}
	if (hlen == 0)
		return util_cause(why, -EINVAL, "'%s': no host", url);
	if (memchr(h, '/', hlen) != NULL || memchr(h, '@', hlen) != NULL)
		return util_cause(why, -EINVAL, "'%s': a host has no '/' or "
		    "'@'", url);
	if (colon != NULL) {
		errno = 0;
		n = strtoul(colon + 1, &p, 10);
		if (colon[1] < '0' || colon[1] > '9' || *p != '\0' ||
		    errno != 0 || n == 0 || n > 65535)
			return util_cause(why, -EINVAL, "'%s': the port must "
			    "be a number from 1 to 65535", url);
	}
	*host = util_malloc(hlen + 1);
	memcpy(*host, h, hlen);
	(*host)[hlen] = '\0';
	*port = util_strdup(colon ? colon + 1 : "4739");
	return 0;
}
