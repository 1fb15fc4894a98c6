/*
 * hosts.h - the fleet's hosts file (hosts.yaml(5), default
 * /etc/flowrec/hosts.yaml) and the host selectors of `flowq -q` and of a
 * query's query_hosts: "a,b,c", "any" (every host of the file) and
 * "@FILE" (one host a line).
 *
 *	hosts:
 *	  web1: {addr: "10.0.0.1:8145", token: "secret"}
 *	  local: {addr: "unix:/run/flowrec/flowrecd.sock"}
 *	  edge: {addr: "https://edge.example:8145", token: "t", ca: /etc/ca.pem}
 *
 * The file is one conftab table (hosts.c): checked line by line, loaded
 * with libcyaml, errors as "FILE:LINE: key 'hosts.web1.addr': why".
 * Called by flowq (-q) and by the daemon's /_query with query_hosts; the
 * result of a selection goes to qfleet.
 */
#ifndef FLOWREC_HOSTS_H
#define FLOWREC_HOSTS_H

#include <stddef.h>

#include "util.h"

#define HOSTS_DEFAULT_PATH	"/etc/flowrec/hosts.yaml"
#define HOSTS_DEFAULT_PORT	8145
#define HOSTS_MAX		100000	/* hosts in a file or a selection */

/* One host of the file (a row of the hosts map). */
struct hosts_entry {
	char		*name;
	char		*addr;		/* HOST:PORT, unix:PATH, http(s)://.. */
	char		*token;		/* NULL: FLOWQ_TOKEN, or none */
	char		*ca;		/* CA file for https; NULL: system's */
	unsigned	 line;
};

struct hosts {
	struct hosts_entry *hosts;
	size_t		 nhosts;
	char		*path;		/* NULL: no file (none at the default) */
};

/* A host to ask: where and how, made by hosts_select(). */
struct hosts_target {
	char		*name;		/* the host label of its rows */
	char		*url;		/* http(s)://HOST:PORT (no path) */
	char		*unix_path;	/* a UNIX socket; NULL: TCP */
	char		*token;		/* NULL: no Authorization header */
	char		*ca;
};

/*
 * Load the hosts file at path; NULL is the default path, which may be
 * absent (then an empty list).  Returns 0 with *out set (caller owns it;
 * free with hosts_free()), or a negative errno with *cause set
 * ("FILE:LINE: key 'hosts.NAME.addr': why").
 */
int	 hosts_load(const char *path, struct hosts **out, char **cause);
void	 hosts_free(struct hosts *);

/* The entry called name, or NULL. */
const struct hosts_entry *hosts_find(const struct hosts *, const char *name);

/*
 * Check an address as the file and the command line accept it: 0, or
 * -EINVAL with *why set.
 */
int	 hosts_check_addr(const char *addr, char **why);

/*
 * The hosts a selector names, in the order given, each once: "a,b" (a
 * name of the file, or else an address itself), "any" (every host of the
 * file, in name order) or "@FILE" (one name or address a line; blank
 * lines and lines starting with '#' skipped).  A host without a token of
 * its own takes env_token (FLOWQ_TOKEN; NULL: none).  Returns 0 with
 * *out and *n set (caller owns them; free with hosts_targets_free()), or
 * -EINVAL/-errno with *cause set.
 */
int	 hosts_select(const struct hosts *, const char *selector,
	    const char *env_token, struct hosts_target **out, size_t *n,
	    char **cause);
void	 hosts_targets_free(struct hosts_target *, size_t n);

#endif
