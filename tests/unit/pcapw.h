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

/*
 * Lower-level writing for the capture-file reader's tests: odd headers,
 * raw bytes, every pcapng packet block, options and several sections.
 * Multi-byte values go out in the writer's byte order.
 */

/* A file with nothing in it yet; write its header with the calls below. */
struct pcapw *pcapw_open_raw(const char *path, int big);
void	pcapw_bytes(struct pcapw *, const void *data, size_t len);
void	pcapw_u16(struct pcapw *, uint16_t);
void	pcapw_u32(struct pcapw *, uint32_t);
void	pcapw_u64(struct pcapw *, uint64_t);

/*
 * pcap with any magic (0xa1b2c3d4 us, 0xa1b23c4d ns, 0xa1b2cd34 modified),
 * version and raw link-type field.  Records of a modified pcap get 8 more
 * header bytes (zero) from pcapw_write_pcap_rec().
 */
struct pcapw *pcapw_open_pcap_ex(const char *path, uint32_t magic,
	    uint16_t major, uint16_t minor, uint32_t linkfield, int big);
/* One pcap record with its header fields as stored, then len bytes. */
void	pcapw_write_pcap_rec(struct pcapw *, uint32_t sec, uint32_t frac,
	    uint32_t caplen_field, uint32_t len_field, const uint8_t *data,
	    size_t len);

/* pcapng: a Section Header Block (version major.minor); no interfaces. */
void	pcapw_section(struct pcapw *, uint16_t major, uint16_t minor);
/*
 * pcapng interface with a snaplen, an if_tsresol option holding the byte
 * tsresol (none when tsresol < 0) and an if_tsoffset of tsoffset seconds
 * when has_offset.  Returns its id.  pcapw_write_ng() converts times for
 * decimal resolutions only; use pcapw_write_pkt_ticks() for the others.
 */
int	pcapw_add_interface_ex(struct pcapw *, int linktype, uint32_t snaplen,
	    int tsresol, int has_offset, int64_t tsoffset);
/*
 * Enhanced (type 6) or obsolete (type 2) Packet Block with the timestamp
 * in the interface's ticks; flags != 0 adds an option with code 2 (EPB:
 * epb_flags; the obsolete block's own flags, which a reader ignores).
 */
void	pcapw_write_pkt_ticks(struct pcapw *, int type, uint32_t ifid,
	    uint64_t ticks, const uint8_t *data, uint32_t caplen,
	    uint32_t wirelen, uint32_t flags);
/* Simple Packet Block: the wirelen field, then caplen bytes (padded). */
void	pcapw_write_spb(struct pcapw *, const uint8_t *data, uint32_t caplen,
	    uint32_t wirelen);
/* Any block: type, then body padded to 4 bytes, both lengths right. */
void	pcapw_block(struct pcapw *, uint32_t type, const void *body,
	    size_t len);
/* Bytes written so far. */
long	pcapw_tell(struct pcapw *);

#endif
