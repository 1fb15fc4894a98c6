/*
 * ipfix.h - IPFIX (RFC 7011) messages of flowrec's rows, and collector
 * addresses.
 *
 * Pure encoding: no I/O, no allocation, no clock.  export_ipfix.c builds
 * each message in a buffer of its own (as large as the path MTU allows
 * over UDP) and sends it; test_ipfix checks the bytes.
 *
 * Two templates, one per address family, with exactly these information
 * elements (IANA numbers, RFC 7012), in this order:
 *
 *	flowStartMilliseconds (152)	8	the bin's start
 *	flowEndMilliseconds (153)	8	the bin's end
 *	sourceIPv4Address (8)		4	the row's sip (client)
 *	  or sourceIPv6Address (27)	16
 *	destinationIPv4Address (12)	4	the row's dip (server)
 *	  or destinationIPv6Address (28) 16
 *	destinationTransportPort (11)	2	dport
 *	protocolIdentifier (4)		1	proto
 *	vlanId (58)			2	vlan
 *	postVlanId (59)			2	vlan again
 *	flowDirection (61)		1	0 ingress (received),
 *							1 egress (sent)
 *	octetDeltaCount (1)		8	bytes in that direction
 *	packetDeltaCount (2)		8	packets in that direction
 *
 * (48 bytes a record for IPv4, 72 for IPv6.)  A row becomes up to two
 * records, one per direction with traffic.  flowStart/EndSeconds (150,
 * 151) are not used: nfdump 1.7.1 ignores them; nor are RFC 5103's
 * reverse elements: pmacct 1.7.7 drops them.
 */
#ifndef FLOWREC_IPFIX_H
#define FLOWREC_IPFIX_H

#include <stddef.h>
#include <stdint.h>

#define IPFIX_VERSION		10
#define IPFIX_HEADER_LEN	16
#define IPFIX_SET_HEADER_LEN	4
#define IPFIX_TEMPLATE_SET_ID	2
#define IPFIX_TEMPLATE_V4	256
#define IPFIX_TEMPLATE_V6	257
#define IPFIX_RECORD_V4		48
#define IPFIX_RECORD_V6		72
#define IPFIX_MESSAGE_MAX	65535
/* A message that holds the header, both templates and one IPv6 record. */
#define IPFIX_MESSAGE_MIN	(IPFIX_HEADER_LEN + ipfix_templates_len() + \
				 IPFIX_SET_HEADER_LEN + IPFIX_RECORD_V6)

#define IPFIX_INGRESS		0	/* flowDirection: received */
#define IPFIX_EGRESS		1	/* flowDirection: sent */

/* One data record. */
struct ipfix_record {
	uint8_t		 sip[16];	/* IPv4 in the first 4 bytes */
	uint8_t		 dip[16];
	uint8_t		 family;	/* 4 or 6 */
	uint8_t		 proto;
	uint8_t		 direction;	/* IPFIX_INGRESS or IPFIX_EGRESS */
	uint16_t	 dport;
	uint16_t	 vlan;
	uint64_t	 octets;
	uint64_t	 packets;
	uint64_t	 start_ms;	/* Unix milliseconds */
	uint64_t	 end_ms;
};

/* A message being built in the caller's buffer. */
struct ipfix_msg {
	uint8_t		*buf;
	size_t		 cap;		/* at most IPFIX_MESSAGE_MAX */
	size_t		 len;
	size_t		 set_start;	/* the open data set's offset; 0 */
	uint16_t	 set_id;
	uint32_t	 records;	/* data records so far */
};

/* Start a message in buf (cap bytes, at least IPFIX_MESSAGE_MIN). */
void	 ipfix_msg_begin(struct ipfix_msg *, uint8_t *buf, size_t cap);

/* Add the template set (both templates).  0, or -ENOSPC. */
int	 ipfix_msg_add_templates(struct ipfix_msg *);

/* Add a data record.  0, or -ENOSPC: the message is full (unchanged). */
int	 ipfix_msg_add_record(struct ipfix_msg *, const struct ipfix_record *);

/*
 * Close the message: its header with the export time (Unix seconds), the
 * sequence number (the domain's data records sent before this message)
 * and the observation domain.  Returns the message's length.
 */
size_t	 ipfix_msg_end(struct ipfix_msg *, uint32_t export_time, uint32_t seq,
	    uint32_t domain);

/* The template set's length in bytes. */
size_t	 ipfix_templates_len(void);

/*
 * A collector's address, "udp://HOST:PORT" or "tcp://HOST:PORT" (HOST a
 * name, an IPv4 address or an IPv6 address in brackets; PORT 1-65535,
 * 4739 when left out).  Returns 0 with *tcp, *host and *port set (caller
 * frees host and port), or -EINVAL with *why set.
 */
int	 ipfix_parse_url(const char *url, int *tcp, char **host, char **port,
	    char **why);

#endif
