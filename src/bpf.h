/*
 * bpf.h - the kernel filter of a live capture: classic BPF that passes
 * the frames the parser can count as IP and rejects the rest in the
 * kernel, before they cost a ring slot.
 *
 * Called by capture.c when it opens a packet socket, and by test_bpf,
 * which runs every program the kernel's way on frames of every kind.  It
 * follows SEMANTICS.md section 2: Ethernet with any 802.1Q / 802.1ad /
 * 0x9100 / 0x9200 tags, then IPv4, IPv6, a PPPoE session carrying PPP
 * IPv4 or IPv6 (the protocol field in two bytes, or compressed to one),
 * or an MPLS label stack over IPv4 or IPv6; raw IP (tun, PPP) by the
 * version nibble.  Stacks deeper than the filter walks are passed for the
 * parser to decide and count.
 */
#ifndef FLOWREC_BPF_H
#define FLOWREC_BPF_H

#include <stddef.h>
#include <stdint.h>

/* Room bpf_build_capture() needs in prog. */
#define BPF_CAPTURE_MAX	256

/* VLAN tags and MPLS labels the filter walks before it lets a frame by. */
#define BPF_CAPTURE_TAGS	8
#define BPF_CAPTURE_LABELS	8

struct sock_filter;

/*
 * The filter for a link type (PARSE_LINK_ETHERNET, which Linux loopback
 * is too, or PARSE_LINK_RAW) keeping snaplen bytes of a frame it passes.
 * Writes prog and returns the number of instructions, or 0 when the link
 * type is neither or the program does not assemble.
 */
size_t		 bpf_build_capture(int linktype, uint32_t snaplen,
		    struct sock_filter *prog);

#endif
