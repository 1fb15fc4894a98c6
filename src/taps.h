/*
 * taps.h - packet relay (packeteur's capture side): GET /tap/{iface}
 * streams the packets of a recorded interface that match a tcpdump
 * filter, as pcapng, over the control API (tap.c).
 *
 * The daemon keeps one struct tapset; status.c hands it each GET /tap
 * request, after checking the interface is recorded.  Each tap has an
 * AF_PACKET socket of its own with the filter libpcap compiled (on a dead
 * handle: libpcap is used as a compiler and for nothing else), read on
 * the loop, and a bounded queue: a client that reads slowly loses packets
 * (counted), never holds up the loop or the recording.
 */
#ifndef FLOWREC_TAPS_H
#define FLOWREC_TAPS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <uv.h>

#include "api.h"
#include "conf.h"

/* The answer's header naming the tap (its "id" in GET /status's taps). */
#define TAP_ID_HEADER		"X-Flowrec-Tap"

#define TAP_HIST_BUCKETS	11	/* 2^6 .. 2^16 bytes, then +Inf */

/* Packets relayed by address family: [0] IPv4, [1] IPv6, [2] other. */
struct tap_family {
	uint64_t	 packets, bytes;
	uint64_t	 hist[TAP_HIST_BUCKETS + 1]; /* <= 2^(6+i); last +Inf */
};

/* All taps since the start, for the metrics. */
struct tap_totals {
	struct tap_family fam[3];
	uint64_t	 drops_queue;	/* the client was too slow */
	uint64_t	 drops_limit;	/* past tap_rate or tap_bytes */
	uint64_t	 drops_socket;	/* the kernel's: socket buffer full */
	uint64_t	 started, refused;
	uint64_t	 active;
};

/* One running tap, as GET /status and flowctl status show it. */
struct tap_info {
	uint64_t	 id;
	char		 iface[32];
	char		*filter;
	int64_t		 started_ns;
	uint64_t	 packets, bytes, drops_queue, drops_limit;
	uint64_t	 drops_socket;
	size_t		 queued_bytes;
};

struct tapset;

struct tapset	*tapset_new(uv_loop_t *);
/*
 * Start a tap on iface (recorded: the caller checked) for r, with cfg's
 * limits and r's query parameters filter, snaplen, count, seconds.
 * Answers r: 403 (api.tap off), 429 (max_taps), 404 (no such interface),
 * 400 (a bad parameter, or libpcap's message for a filter that does not
 * compile), 500 (the socket); or a 200 stream.
 */
void		 tap_start(struct tapset *, struct api_req *r,
		    const struct conf_api *cfg, const char *iface);
/* End every tap (the daemon stops): each stream ends cleanly. */
void		 tapset_stop(struct tapset *);
/* After the loop ended. */
void		 tapset_free(struct tapset *);

void		 tapset_totals(const struct tapset *, struct tap_totals *);
/*
 * The totals in Prometheus' text format (metrics.c calls it): packets and
 * a size histogram (2^6..2^16 bytes, packeteur's) by address family,
 * drops by reason, taps active, started and refused.
 */
void		 tap_metrics(FILE *, const struct tap_totals *);
/* The running taps; caller owns them, free with tap_info_free(). */
size_t		 tapset_list(const struct tapset *, struct tap_info **out);
void		 tap_info_free(struct tap_info *, size_t n);

#endif
