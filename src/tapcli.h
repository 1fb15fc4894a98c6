/*
 * tapcli.h - `flowctl tap`: packeteur's collector side (tapcli.c).  Asks
 * one or many flowrecd hosts for GET /tap/{iface} at once and writes
 * their pcapng streams as one pcap (or pcapng) stream, merged in time
 * order within a small window, a packet at a time, flushed.
 */
#ifndef FLOWREC_TAPCLI_H
#define FLOWREC_TAPCLI_H

#include <stddef.h>
#include <stdint.h>

#include "hosts.h"

struct tapcli_opts {
	const char	*iface;
	const char	*filter;	/* tcpdump's syntax; "" all */
	uint64_t	 count;		/* packets in all; 0: no limit */
	uint32_t	 seconds;	/* 0: no limit */
	uint32_t	 snaplen;	/* 0: the daemon's (65535) */
	const char	*out;		/* -w FILE; NULL or "-": stdout */
	int		 pcapng;	/* one interface per host:iface */
	int		 quiet;		/* no summary on stderr */
};

/*
 * Run the tap on the n hosts t until count, seconds, every stream's end
 * or SIGINT/SIGTERM.  Each host's errors go to stderr with its name.
 * Returns the exit status: 0 when every host streamed, 1 otherwise.
 */
int	 tapcli_run(const struct tapcli_opts *, const struct hosts_target *t,
	    size_t n);

#endif
