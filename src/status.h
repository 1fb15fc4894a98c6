/*
 * status.h - what the control API's routes do in the daemon (status.c):
 * /status, /config, /config/_reload, /flush and /metrics over daemon.h's
 * getters, in goProbe's JSON shapes where it has one.
 *
 * Everything runs on the loop thread but the metrics' rendering (and the
 * bytes on disk it counts), which goes to a worker with a snapshot.
 */
#ifndef FLOWREC_STATUS_H
#define FLOWREC_STATUS_H

#include "api.h"

struct daemon;

/* Fill be with the daemon's handlers (arg = d). */
void	 status_backend(struct daemon *d, struct api_backend *be);

/* Unix ns as RFC 3339 UTC with milliseconds ("2025-03-24T10:00:00.000Z"),
   or "0001-01-01T00:00:00Z" (Go's zero time) for 0.  buf >= 32 bytes. */
void	 status_time(int64_t ns, char *buf, size_t len);

#endif
