/*
 * pcapw.c - test frame builder and pcap/pcapng writer (see pcapw.h).
 * Test code only: errors abort the test with a message.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapw.h"

struct pcapw {
	FILE	*f;
	int	 ng;
	int	 big;
	int	 nsec;
	int	 modified;	/* pcap records have 24-byte headers */
	int	 tsexp[16];
	int	 nifs;
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static void
addr(int family, const char *text, uint8_t *out)
{
	if (inet_pton(family == 4 ? AF_INET : AF_INET6, text, out) != 1) {
		fprintf(stderr, "pcapw: bad address %s\n", text);
		abort();
	}
}

size_t
pcapw_frame(const struct pcapw_pkt *p, uint8_t *buf, size_t len)
{
	uint8_t tmp[4096];
	size_t off = 0, ip, l4len, iplen, hdr;
	uint16_t etype = p->family == 4 ? 0x0800 : 0x86dd;
	int i;

	memset(tmp, 0, sizeof tmp);
	switch (p->linktype) {
	case 1:
		memcpy(tmp, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
		off = 12;
		for (i = 0; i < p->nvlans; i++) {
			put16(tmp + off, 0x8100);
			put16(tmp + off + 2, p->vlans[i]);
			off += 4;
		}
		put16(tmp + off, etype);
		off += 2;
		break;
	case 113:
		put16(tmp, p->sll_pkttype);
		put16(tmp + 2, 1);
		put16(tmp + 4, 6);
		put16(tmp + 14, etype);
		off = 16;
		break;
	case 276:
		put16(tmp, etype);
		put32(tmp + 4, 2);
		put16(tmp + 8, 1);
		tmp[10] = p->sll_pkttype;
		tmp[11] = 6;
		off = 20;
		break;
	case 0:
		tmp[0] = p->family == 4 ? 2 : 30;	/* little-endian AF */
		off = 4;
		break;
	default:
		off = 0;
		break;
	}
	ip = off;
	switch (p->proto) {
	case 6:
		l4len = 20;
		break;
	case 17: case 136:
		l4len = 8;
		break;
	case 1: case 58:
		l4len = 8;
		break;
	case 132: case 33:
		l4len = 12;
		break;
	default:
		l4len = 0;
	}
	if (p->frag_offset != 0)
		l4len = 0;	/* a later fragment has no transport header */
	hdr = p->family == 4 ? 20 : 40 + (p->v6_frag_hdr ? 8 : 0);
	iplen = hdr + l4len + p->payload;
	if (ip + iplen > sizeof tmp || ip + iplen > len)
		return 0;
	if (p->family == 4) {
		tmp[ip] = 0x45;
		put16(tmp + ip + 2, (uint16_t)iplen);
		put16(tmp + ip + 4, p->ip_id);
		put16(tmp + ip + 6, (uint16_t)((p->more_frags ? 0x2000 : 0) |
		    p->frag_offset));
		tmp[ip + 8] = 64;
		tmp[ip + 9] = p->proto;
		addr(4, p->src, tmp + ip + 12);
		addr(4, p->dst, tmp + ip + 16);
	} else {
		tmp[ip] = 0x60;
		put16(tmp + ip + 4, (uint16_t)(iplen - 40));
		tmp[ip + 6] = p->v6_frag_hdr ? 44 : p->proto;
		tmp[ip + 7] = 64;
		addr(6, p->src, tmp + ip + 8);
		addr(6, p->dst, tmp + ip + 24);
		if (p->v6_frag_hdr) {
			tmp[ip + 40] = p->proto;
			put16(tmp + ip + 42, (uint16_t)((p->frag_offset << 3) |
			    (p->more_frags ? 1 : 0)));
			put32(tmp + ip + 44, p->ip_id);
		}
	}
	if (l4len > 0) {
		uint8_t *l4 = tmp + ip + hdr;

		if (p->proto == 1 || p->proto == 58)
			l4[0] = p->icmp_type;
		else {
			put16(l4, p->sport);
			put16(l4 + 2, p->dport);
			if (p->proto == 6) {
				l4[12] = 0x50;
				l4[13] = p->tcp_flags;
			}
		}
	}
	memcpy(buf, tmp, ip + iplen);
	return ip + iplen;
}

static void
w16(struct pcapw *w, uint16_t v)
{
	uint8_t b[2];

	if (w->big) {
		b[0] = v >> 8;
		b[1] = v & 0xff;
	} else {
		b[0] = v & 0xff;
		b[1] = v >> 8;
	}
	fwrite(b, 1, 2, w->f);
}

static void
w32(struct pcapw *w, uint32_t v)
{
	if (w->big) {
		w16(w, v >> 16);
		w16(w, v & 0xffff);
	} else {
		w16(w, v & 0xffff);
		w16(w, v >> 16);
	}
}

static struct pcapw *
wopen(const char *path, int big)
{
	struct pcapw *w = calloc(1, sizeof *w);

	w->f = fopen(path, "wb");
	if (w->f == NULL) {
		perror(path);
		abort();
	}
	w->big = big;
	return w;
}

struct pcapw *
pcapw_open_pcap(const char *path, int linktype, int nsec, int big)
{
	struct pcapw *w = wopen(path, big);

	w->nsec = nsec;
	w32(w, nsec ? 0xa1b23c4d : 0xa1b2c3d4);
	w16(w, 2);
	w16(w, 4);
	w32(w, 0);
	w32(w, 0);
	w32(w, 262144);
	w32(w, (uint32_t)linktype);
	return w;
}

struct pcapw *
pcapw_open_pcapng(const char *path, int linktype, int tsexp, int big)
{
	struct pcapw *w = wopen(path, big);

	w->ng = 1;
	w32(w, 0x0a0d0d0a);
	w32(w, 28);
	w32(w, 0x1a2b3c4d);
	w16(w, 1);
	w16(w, 0);
	w32(w, 0xffffffff);
	w32(w, 0xffffffff);
	w32(w, 28);
	pcapw_add_interface(w, linktype, tsexp);
	return w;
}

int
pcapw_add_interface(struct pcapw *w, int linktype, int tsexp)
{
	/* IDB with an if_tsresol option (and end of options). */
	w32(w, 1);
	w32(w, 32);
	w16(w, (uint16_t)linktype);
	w16(w, 0);
	w32(w, 0);
	w16(w, 9);
	w16(w, 1);
	fputc(tsexp, w->f);
	fputc(0, w->f);
	fputc(0, w->f);
	fputc(0, w->f);
	w32(w, 0);
	w32(w, 32);
	w->tsexp[w->nifs] = tsexp;
	return w->nifs++;
}

void
pcapw_write(struct pcapw *w, int64_t time_ns, const uint8_t *data,
    uint32_t caplen, uint32_t wirelen)
{
	if (w->ng) {
		pcapw_write_ng(w, 0, time_ns, data, caplen, wirelen, 0);
		return;
	}
	w32(w, (uint32_t)(time_ns / 1000000000));
	w32(w, (uint32_t)(w->nsec ? time_ns % 1000000000 :
	    time_ns % 1000000000 / 1000));
	w32(w, caplen);
	w32(w, wirelen);
	fwrite(data, 1, caplen, w->f);
}

void
pcapw_write_ng(struct pcapw *w, int ifid, int64_t time_ns, const uint8_t *data,
    uint32_t caplen, uint32_t wirelen, uint32_t flags)
{
	uint32_t padded = (caplen + 3) & ~3u;
	uint32_t blen = 32 + padded + (flags ? 12 : 0);
	uint64_t ticks = (uint64_t)time_ns;
	int e;

	for (e = 9; e > w->tsexp[ifid]; e--)
		ticks /= 10;
	for (e = 9; e < w->tsexp[ifid]; e++)
		ticks *= 10;
	w32(w, 6);
	w32(w, blen);
	w32(w, (uint32_t)ifid);
	w32(w, (uint32_t)(ticks >> 32));
	w32(w, (uint32_t)ticks);
	w32(w, caplen);
	w32(w, wirelen);
	fwrite(data, 1, caplen, w->f);
	for (; caplen < padded; caplen++)
		fputc(0, w->f);
	if (flags) {
		w16(w, 2);
		w16(w, 4);
		w32(w, flags);
		w32(w, 0);
	}
	w32(w, blen);
}

void
pcapw_close(struct pcapw *w)
{
	fclose(w->f);
	free(w);
}

/* Lower-level writing for the capture-file reader's tests (see pcapw.h). */

struct pcapw *
pcapw_open_raw(const char *path, int big)
{
	return wopen(path, big);
}

void
pcapw_bytes(struct pcapw *w, const void *data, size_t len)
{
	if (len > 0)
		fwrite(data, 1, len, w->f);
}

void
pcapw_u16(struct pcapw *w, uint16_t v)
{
	w16(w, v);
}

void
pcapw_u32(struct pcapw *w, uint32_t v)
{
	w32(w, v);
}

void
pcapw_u64(struct pcapw *w, uint64_t v)
{
	if (w->big) {
		w32(w, (uint32_t)(v >> 32));
		w32(w, (uint32_t)v);
	} else {
		w32(w, (uint32_t)v);
		w32(w, (uint32_t)(v >> 32));
	}
}

struct pcapw *
pcapw_open_pcap_ex(const char *path, uint32_t magic, uint16_t major,
    uint16_t minor, uint32_t linkfield, int big)
{
	struct pcapw *w = wopen(path, big);

	w->nsec = magic == 0xa1b23c4d;
	w->modified = magic == 0xa1b2cd34;
	w32(w, magic);
	w16(w, major);
	w16(w, minor);
	w32(w, 0);
	w32(w, 0);
	w32(w, 262144);
	w32(w, linkfield);
	return w;
}

void
pcapw_write_pcap_rec(struct pcapw *w, uint32_t sec, uint32_t frac,
    uint32_t caplen_field, uint32_t len_field, const uint8_t *data, size_t len)
{
	w32(w, sec);
	w32(w, frac);
	w32(w, caplen_field);
	w32(w, len_field);
	if (w->modified) {
		w32(w, 0);
		w32(w, 0);
	}
	pcapw_bytes(w, data, len);
}

void
pcapw_section(struct pcapw *w, uint16_t major, uint16_t minor)
{
	w->ng = 1;
	w->nifs = 0;
	w32(w, 0x0a0d0d0a);
	w32(w, 28);
	w32(w, 0x1a2b3c4d);
	w16(w, major);
	w16(w, minor);
	w32(w, 0xffffffff);
	w32(w, 0xffffffff);
	w32(w, 28);
}

int
pcapw_add_interface_ex(struct pcapw *w, int linktype, uint32_t snaplen,
    int tsresol, int has_offset, int64_t tsoffset)
{
	uint32_t blen = 24 + (tsresol >= 0 ? 8 : 0) + (has_offset ? 12 : 0);
	int id = w->nifs++;

	w32(w, 1);
	w32(w, blen);
	w16(w, (uint16_t)linktype);
	w16(w, 0);
	w32(w, snaplen);
	if (tsresol >= 0) {
		w16(w, 9);
		w16(w, 1);
		fputc(tsresol, w->f);
		fputc(0, w->f);
		fputc(0, w->f);
		fputc(0, w->f);
	}
	if (has_offset) {
		w16(w, 14);
		w16(w, 8);
		pcapw_u64(w, (uint64_t)tsoffset);
	}
	w32(w, 0);
	w32(w, blen);
	if (id < 16)
		w->tsexp[id] = tsresol >= 0 && tsresol < 0x80 ? tsresol : 6;
	return id;
}

void
pcapw_write_pkt_ticks(struct pcapw *w, int type, uint32_t ifid, uint64_t ticks,
    const uint8_t *data, uint32_t caplen, uint32_t wirelen, uint32_t flags)
{
	uint32_t padded = (caplen + 3) & ~3u;
	uint32_t blen = 32 + padded + (flags ? 12 : 0);
	uint32_t i;

	w32(w, (uint32_t)type);
	w32(w, blen);
	if (type == 2) {
		w16(w, (uint16_t)ifid);
		w16(w, 0);
	} else
		w32(w, ifid);
	w32(w, (uint32_t)(ticks >> 32));
	w32(w, (uint32_t)ticks);
	w32(w, caplen);
	w32(w, wirelen);
	pcapw_bytes(w, data, caplen);
	for (i = caplen; i < padded; i++)
		fputc(0, w->f);
	if (flags) {
		w16(w, 2);
		w16(w, 4);
		w32(w, flags);
		w32(w, 0);
	}
	w32(w, blen);
}

void
pcapw_write_spb(struct pcapw *w, const uint8_t *data, uint32_t caplen,
    uint32_t wirelen)
{
	uint32_t padded = (caplen + 3) & ~3u;
	uint32_t blen = 16 + padded;
	uint32_t i;

	w32(w, 3);
	w32(w, blen);
	w32(w, wirelen);
	pcapw_bytes(w, data, caplen);
	for (i = caplen; i < padded; i++)
		fputc(0, w->f);
	w32(w, blen);
}

void
pcapw_block(struct pcapw *w, uint32_t type, const void *body, size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3, i;
	uint32_t blen = (uint32_t)(12 + padded);

	w32(w, type);
	w32(w, blen);
	pcapw_bytes(w, body, len);
	for (i = len; i < padded; i++)
		fputc(0, w->f);
	w32(w, blen);
}

long
pcapw_tell(struct pcapw *w)
{
	return ftell(w->f);
}
