/*
 * conf.h - flowrecd's YAML configuration (flowrecd.yaml(5)).
 *
 * Called by daemon.c at start-up, on SIGHUP and for -t.  The file is read
 * with libcyaml against a schema; every key is described once in a table
 * (name, type, bounds, default, help) that drives the defaults, the range
 * checks and the error messages.  A bad file gives one message naming the
 * file, the line and the key, and no configuration.
 */
#ifndef FLOWREC_CONF_H
#define FLOWREC_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define CONF_DEFAULT_DB_PATH	"/var/lib/flowrec"

/* One interface to record. */
struct conf_iface {
	char		*name;
	int		 enabled;
	int		 promisc;
	uint32_t	 snaplen;	/* bytes of each frame kept */
	uint32_t	 block_size;	/* ring block, bytes */
	uint32_t	 block_count;
	uint32_t	 retire_ms;	/* block retire timeout */
	uint32_t	 max_flows;	/* rows per bin before an early write */
	unsigned	 line;		/* where it was defined, 0 built in */
};

struct conf {
	char		*path;		/* NULL: built from the command line */
	char		*db_path;
	uint32_t	 interval;	/* seconds, divides 86400 */
	uint32_t	 queue_rows;	/* rows waiting for the store, at most */
	enum util_log_level log_level;
	int		 log_syslog;
	struct conf_iface *ifaces;
	size_t		 nifaces;
};

/*
 * Load and check a configuration file.  Returns 0 with *out set (caller
 * owns it; free with conf_free()), or a negative code with *cause set to
 * "FILE:LINE: key 'KEY': why" (caller frees *cause).
 */
int		 conf_load(const char *path, struct conf **out, char **cause);

/* A configuration of built-in defaults with no interfaces. */
struct conf	*conf_new_default(void);

/* Add an interface with default settings; returns it. */
struct conf_iface *conf_add_iface(struct conf *, const char *name);

void		 conf_free(struct conf *);

/* 1 when two interface settings record the same way. */
int		 conf_iface_same(const struct conf_iface *,
		    const struct conf_iface *);

/* The interface named name, or NULL. */
const struct conf_iface *conf_find_iface(const struct conf *, const char *name);

#endif
