/*
 * livesend.c - send test frames on an interface for the live tests.
 *
 * usage: livesend IFACE < SPEC
 * Each line of SPEC sends frames built with pcapw_frame() through an
 * AF_PACKET socket (the destination MAC is foreign, so the receiving IP
 * stack ignores them and only packet taps see them):
 *   COUNT FAMILY PROTO SRC DST SPORT DPORT [key=value ...]
 *     flags=N     TCP flags          icmp=N    ICMP type
 *     payload=N   bytes after L4     vlans=A,B 802.1Q tags in the frame
 *     tpid=0xN    TPID of the first tag (default 0x8100)
 *     id=N off=N mf=1 v6frag=1       fragments
 *     encap=pppoe|mpls               PPPoE session or a 2-label MPLS stack
 *     sports=N    cycle the source port over N values
 *     dports=N    cycle the destination port over N values (many flows)
 *   arp COUNT                        non-IP frames (the filter drops them)
 * Prints "sent=N" at the end; exits 1 on any error.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pcapw.h"

static const uint8_t mac_hdr[12] = {
	0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01
};

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static int
send_frame(int fd, const uint8_t *f, size_t len)
{
	while (send(fd, f, len, 0) < 0) {
		if (errno == ENOBUFS || errno == EAGAIN) {
			usleep(100);
			continue;
		}
		perror("livesend: send");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_ll sll;
	struct pcapw_pkt p;
	char line[1024], src[64], dst[64], *tok, *save, *v;
	uint8_t frame[4096], ip[4096];
	unsigned long count, sent = 0, i, sports, dports;
	unsigned fam, proto, sport, dport, tpid;
	size_t len, iplen;
	int fd, ifindex, n, lineno = 0;
	char encap[16];

	if (argc != 2) {
		fprintf(stderr, "usage: livesend IFACE < SPEC\n");
		return 1;
	}
	if ((ifindex = (int)if_nametoindex(argv[1])) == 0) {
		fprintf(stderr, "livesend: %s: no such interface\n", argv[1]);
		return 1;
	}
	if ((fd = socket(AF_PACKET, SOCK_RAW, 0)) < 0) {
		perror("livesend: socket");
		return 1;
	}
	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifindex;
	sll.sll_protocol = 0;
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0) {
		perror("livesend: bind");
		return 1;
	}
	while (fgets(line, sizeof line, stdin) != NULL) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "arp %lu", &count) == 1) {
			memcpy(frame, mac_hdr, 12);
			put16(frame + 12, ETH_P_ARP);
			memset(frame + 14, 0, 46);
			for (i = 0; i < count; i++)
				if (send_frame(fd, frame, 60) != 0)
					return 1;
			sent += count;
			continue;
		}
		if (sscanf(line, "%lu %u %u %63s %63s %u %u%n", &count, &fam,
		    &proto, src, dst, &sport, &dport, &n) != 7) {
			fprintf(stderr, "livesend: line %d: bad spec\n", lineno);
			return 1;
		}
		memset(&p, 0, sizeof p);
		p.linktype = 1;
		p.family = (int)fam;
		p.proto = (uint8_t)proto;
		p.src = src;
		p.dst = dst;
		p.sport = (uint16_t)sport;
		p.dport = (uint16_t)dport;
		tpid = 0x8100;
		sports = 1;
		dports = 1;
		encap[0] = '\0';
		for (tok = strtok_r(line + n, " \t\n", &save); tok != NULL;
		    tok = strtok_r(NULL, " \t\n", &save)) {
			if ((v = strchr(tok, '=')) == NULL)
				goto bad;
			*v++ = '\0';
			if (strcmp(tok, "flags") == 0)
				p.tcp_flags = (uint8_t)strtoul(v, NULL, 0);
			else if (strcmp(tok, "icmp") == 0)
				p.icmp_type = (uint8_t)strtoul(v, NULL, 0);
			else if (strcmp(tok, "payload") == 0)
				p.payload = (uint16_t)strtoul(v, NULL, 0);
			else if (strcmp(tok, "id") == 0)
				p.ip_id = (uint16_t)strtoul(v, NULL, 0);
			else if (strcmp(tok, "off") == 0)
				p.frag_offset = (uint16_t)strtoul(v, NULL, 0);
			else if (strcmp(tok, "mf") == 0)
				p.more_frags = atoi(v);
			else if (strcmp(tok, "v6frag") == 0)
				p.v6_frag_hdr = atoi(v);
			else if (strcmp(tok, "tpid") == 0)
				tpid = (unsigned)strtoul(v, NULL, 0);
			else if (strcmp(tok, "dports") == 0)
				dports = strtoul(v, NULL, 0);
			else if (strcmp(tok, "sports") == 0)
				sports = strtoul(v, NULL, 0);
			else if (strcmp(tok, "encap") == 0)
				snprintf(encap, sizeof encap, "%s", v);
			else if (strcmp(tok, "vlans") == 0) {
				char *s2, *t2;

				for (t2 = strtok_r(v, ",", &s2); t2 != NULL &&
				    p.nvlans < 4; t2 = strtok_r(NULL, ",", &s2))
					p.vlans[p.nvlans++] =
					    (uint16_t)strtoul(t2, NULL, 0);
			} else
				goto bad;
		}
		if (sports == 0)
			sports = 1;
		if (dports == 0)
			dports = 1;
		for (i = 0; i < count; i++) {
			p.sport = (uint16_t)(sport + i % sports);
			p.dport = (uint16_t)(dport + i % dports);
			if (encap[0] != '\0') {
				p.linktype = 101;
				iplen = pcapw_frame(&p, ip, sizeof ip);
				memcpy(frame, mac_hdr, 12);
				if (strcmp(encap, "pppoe") == 0) {
					put16(frame + 12, ETH_P_PPP_SES);
					frame[14] = 0x11;
					frame[15] = 0;
					put16(frame + 16, 0x1234);
					put16(frame + 18, (unsigned)iplen + 2);
					put16(frame + 20, fam == 4 ? 0x21 : 0x57);
					len = 22;
				} else if (strcmp(encap, "mpls") == 0) {
					put16(frame + 12, ETH_P_MPLS_UC);
					/* label 16, then label 17 bottom. */
					put16(frame + 14, 0x0001);
					put16(frame + 16, 0x00ff);
					put16(frame + 18, 0x0001);
					put16(frame + 20, 0x11ff);
					len = 22;
				} else
					goto bad;
				memcpy(frame + len, ip, iplen);
				len += iplen;
			} else {
				len = pcapw_frame(&p, frame, sizeof frame);
				if (p.nvlans > 0)
					put16(frame + 12, tpid);
			}
			if (len == 0)
				goto bad;
			/* Ethernet minimum: pad (not counted as IP bytes). */
			if (len < 60) {
				memset(frame + len, 0, 60 - len);
				len = 60;
			}
			if (send_frame(fd, frame, len) != 0)
				return 1;
		}
		sent += count;
	}
	printf("sent=%lu\n", sent);
	return 0;
bad:
	fprintf(stderr, "livesend: line %d: bad spec\n", lineno);
	return 1;
}
