/*
 * pcapw.h - build test frames and write them as pcap or pcapng files.
 *
 * Used by the unit tests and tests/mkpcap so that the project makes its
 * own captures (no test depends on ../shared).  Frames are built into a
 * caller buffer by pcapw_frame(); files are written in either byte order,
 * pcap with micro- or nanosecond stamps, pcapng with EPB direction flags.
 */
#ifndef FLOWREC_PCAPW_H
#define FLOWREC_PCAPW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What pcapw_frame() builds. */
struct pcapw_pkt {
	int		 linktype;	/* 1 Ethernet, 101 raw, 113 SLL, 276 SLL2, 0 null */
	int		 family;	/* 4 or 6 */
	const char	*src, *dst;	/* addresses as text */
	uint8_t		 proto;		/* 6, 17, 1, 58, ... */
	uint16_t	 sport, dport;
	uint8_t		 tcp_flags;	/* TCP only */
	uint8_t		 icmp_type;	/* ICMP/ICMPv6 only */
	uint16_t	 payload;	/* payload bytes after the L4 header */
	int		 nvlans;	/* VLAN tags (802.1Q) before the EtherType */
	uint16_t	 vlans[4];
	uint8_t		 sll_pkttype;	/* SLL/SLL2: 4 = outgoing */
	uint16_t	 ip_id;		/* IPv4 ID / IPv6 fragment identification */
	uint16_t	 frag_offset;	/* in 8-byte units */
	int		 more_frags;
	int		 v6_frag_hdr;	/* IPv6: add a Fragment header */
};

/* Build the frame; returns its length (<= len) or 0 if it does not fit. */
size_t	pcapw_frame(const struct pcapw_pkt *, uint8_t *buf, size_t len);

struct pcapw;

/* pcap: nanosecond stamps when nsec, big-endian when big. */
struct pcapw *pcapw_open_pcap(const char *path, int linktype, int nsec, int big);
/* pcapng with one interface of linktype; tsresol = 10^-tsexp. */
struct pcapw *pcapw_open_pcapng(const char *path, int linktype, int tsexp, int big);
/* pcapng: add another interface; returns its id. */
int	pcapw_add_interface(struct pcapw *, int linktype, int tsexp);
/* Write a record; in pcapng on interface ifid with EPB flags (2 = outbound). */
void	pcapw_write(struct pcapw *, int64_t time_ns, const uint8_t *data,
	    uint32_t caplen, uint32_t wirelen);
void	pcapw_write_ng(struct pcapw *, int ifid, int64_t time_ns,
	    const uint8_t *data, uint32_t caplen, uint32_t wirelen, uint32_t flags);
void	pcapw_close(struct pcapw *);

#endif
