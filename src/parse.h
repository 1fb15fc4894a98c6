/*
 * parse.h - decode one captured frame into the fields a flow needs.
 *
 * The parser is pure: no allocation, no I/O, no globals.  The capture-file
 * reader and the live ring walker call parse_frame() on memory they own (the
 * ring block stays borrowed for the duration of the call only).  It
 * implements sections 2, 3, 5 and 6 of SEMANTICS.md; the flow table does
 * the rest.
 */
#ifndef FLOWREC_PARSE_H
#define FLOWREC_PARSE_H

#include <stdint.h>

/* Link types we decode (pcap LINKTYPE_* numbers). */
#define PARSE_LINK_NULL		0
#define PARSE_LINK_ETHERNET	1
#define PARSE_LINK_RAW		101
#define PARSE_LINK_RAW12	12
#define PARSE_LINK_RAW14	14
#define PARSE_LINK_LOOP		108
#define PARSE_LINK_SLL		113
#define PARSE_LINK_IPV4		228
#define PARSE_LINK_IPV6		229
#define PARSE_LINK_SLL2		276

/*
 * Why a frame was not counted as a flow.  PARSE_OK is an IP packet; the
 * reasons below PARSE_MALFORMED_FIRST are "not IP", the others "malformed".
 * parse_reason_name() gives the stable name stored in the DB.  This is the
 * one list of skip reasons: the ingest path's own (a record's time) is
 * here too.
 */
enum parse_reason {
	PARSE_OK = 0,
	PARSE_NOTIP_LINKTYPE,		/* a link type we do not decode */
	PARSE_NOTIP_ETHERTYPE,		/* ARP, LLDP, PPPoE discovery, ... */
	PARSE_NOTIP_PPP,		/* PPPoE session carrying non-IP */
	PARSE_NOTIP_MPLS,		/* MPLS payload that is not IP */
	PARSE_NOTIP_FAMILY,		/* BSD null/loop address family */
	PARSE_MALFORMED_FIRST,
	PARSE_BAD_RECORD = PARSE_MALFORMED_FIRST, /* file record unreadable */
	PARSE_BAD_CAPLEN,		/* captured length > original length */
	PARSE_SHORT_LINK,		/* link header (or VLAN/PPPoE/MPLS) cut */
	PARSE_BAD_VERSION,		/* IP version does not match link layer */
	PARSE_SHORT_IPV4,		/* IPv4 header not fully captured */
	PARSE_BAD_IHL,			/* IPv4 IHL < 5 */
	PARSE_SHORT_IPV6,		/* IPv6 header not fully captured */
	PARSE_SHORT_EXTHDR,		/* IPv6 extension header cut */
	PARSE_SHORT_PORTS,		/* transport ports not captured */
	PARSE_BAD_TIME,			/* stamped at or after 2100 (SEMANTICS
					   8): found by ingest.c, not here */
	PARSE_REASON_COUNT
};

#define PARSE_IS_MALFORMED(r)	((r) >= PARSE_MALFORMED_FIRST)

/* Fragment state of a packet (SEMANTICS 7). */
enum parse_frag {
	PARSE_FRAG_NONE = 0,
	PARSE_FRAG_FIRST,		/* offset 0, more fragments follow */
	PARSE_FRAG_LATER		/* offset > 0: no transport header */
};

/* What the caller knows about a frame besides its bytes. */
struct parse_input {
	const uint8_t	*data;
	uint32_t	 caplen;	/* bytes at data */
	uint32_t	 wirelen;	/* original length on the wire */
	uint16_t	 linktype;	/* PARSE_LINK_* */
	uint8_t		 outgoing;	/* sent: kernel/pcapng says outbound */
	uint8_t		 has_vlan_tci;	/* the kernel stripped the outer tag */
	uint16_t	 vlan_tci;	/* ... and this was it */
};

/*
 * One decoded IP packet.  Addresses are 16 bytes; an IPv4 address fills
 * the first 4 and the rest are zero, so keys compare with memcmp.
 */
struct parse_packet {
	uint8_t		 src[16];
	uint8_t		 dst[16];
	uint8_t		 family;	/* 4 or 6 */
	uint8_t		 proto;		/* transport protocol number */
	uint8_t		 frag;		/* enum parse_frag */
	uint8_t		 frag_proto;	/* proto for fragment matching */
	uint16_t	 sport;
	uint16_t	 dport;
	uint16_t	 vlan;		/* outermost VLAN ID, 0 untagged */
	uint8_t		 sent;		/* 1 sent, 0 received */
	uint8_t		 has_hint;	/* hint was captured */
	uint8_t		 hint;		/* TCP flags or ICMP type */
	uint32_t	 frag_id;	/* IPv4 ID / IPv6 identification */
	uint32_t	 nbytes;	/* SEMANTICS 6 */
};

/*
 * Decode the frame in *in into *out.  Returns PARSE_OK for an IP packet,
 * otherwise the reason it was skipped (out is then undefined).
 */
enum parse_reason parse_frame(const struct parse_input *in,
		    struct parse_packet *out);

/*
 * parse_frame() without its shortcut for plain Ethernet/IP/TCP-UDP: the
 * general walk alone.  Same results; tests compare the two.
 */
enum parse_reason parse_frame_walk(const struct parse_input *in,
		    struct parse_packet *out);

/*
 * Where the headers of a decoded packet lie in its frame, for the packet
 * users that cut or rewrite frames (header capture, anonymisation): the
 * parsed packet itself carries no offsets, so that the flow path does not
 * pay for them.
 */
struct parse_layout {
	uint32_t	 l3;		/* the IP header */
	uint32_t	 l4;		/* the transport header (may equal
					   caplen: nothing of it captured);
					   0 for a later fragment */
};

/*
 * parse_frame_walk() that also says where the headers are (*lo is set
 * when PARSE_OK is returned).  Same results as parse_frame().
 */
enum parse_reason parse_frame_layout(const struct parse_input *in,
		    struct parse_packet *out, struct parse_layout *lo);

/* Stable lower-case name of a reason ("short_ipv4"); never NULL. */
const char	*parse_reason_name(enum parse_reason);

/* 1 when parse_frame() decodes this link type. */
int		 parse_linktype_known(int linktype);

#endif
