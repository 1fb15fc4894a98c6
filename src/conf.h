/*
 * conf.h - flowrecd's YAML configuration (flowrecd.yaml(5)).
 *
 * Called by daemon.c at start-up, on SIGHUP and for -t, by flowrecd.c for
 * the defaults of its options, and by flowq (and flowctl) for db_path
 * through conf_load_client().  Every key is one row of the table in
 * conf.c (name, type, bounds, default, help; see conftab.h), which drives
 * the checks, the loading, the defaults and the comparison on reload.  A
 * bad file gives one message naming the file, the line and the key, and
 * no configuration.
 */
#ifndef FLOWREC_CONF_H
#define FLOWREC_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Where flowq and flowctl look when not told. */
#define CONF_DEFAULT_PATH	"/etc/flowrec/flowrecd.yaml"

/*
 * retention: how long and how much of the store is kept (retention.c).
 * Globally, and per interface inheriting the global keys; 0 is no bound.
 */
struct conf_retention {
	uint32_t	 keep_days;	/* day files of the last N UTC days */
	uint64_t	 max_bytes;	/* an interface's day files, in all */
};

/*
 * interfaces.NAME.archive: the flow-cutoff packet archive (archive.c).
 * On when path is set.
 */
enum conf_compress {
	CONF_COMPRESS_NONE,
	CONF_COMPRESS_GZIP,
	CONF_COMPRESS_ZSTD
};

struct conf_archive {
	char		*path;		/* NULL: no archive */
	uint64_t	 cutoff_bytes;	/* per connection; 0: no bound */
	uint64_t	 cutoff_packets; /* per connection; 0: no bound */
	uint32_t	 idle_timeout;	/* seconds before a connection restarts */
	uint32_t	 rotate;	/* seconds a file covers */
	int		 compress;	/* enum conf_compress */
	uint32_t	 snaplen;	/* bytes of a packet written */
	uint32_t	 keep_days;	/* files of the last N UTC days; 0: all */
	uint64_t	 max_bytes;	/* the interface's files; 0: no bound */
};

/*
 * interfaces.NAME.headers: per-connection header captures (m-lab
 * packet-headers'; archive.c, hdrout.c).  On when path is set.
 */
struct conf_headers {
	char		*path;		/* NULL: none */
	uint32_t	 capture_duration; /* seconds of a connection kept */
	uint32_t	 flow_timeout;	/* idle seconds that end a connection */
	uint32_t	 max_header_size; /* bytes of a packet kept, at most */
};

/* interfaces.NAME.anonymize */
enum conf_anonymize {
	CONF_ANON_NONE,
	CONF_ANON_NETBLOCK	/* IPv4 /24, IPv6 /64 (anon.c) */
};

/* autodetect: record every interface that exists (goProbe's). */
struct conf_autodetect {
	int		 enabled;
	char		**exclude;	/* names and /regex/ patterns */
	size_t		 nexclude;
};

/*
 * One interface to record (a row of the interfaces map).  Its name is an
 * interface name, or a /regex/ pattern (conf_is_pattern()) giving the
 * settings of every interface it matches.
 */
struct conf_iface {
	char		*name;
	int		 enabled;
	int		 promisc;
	uint32_t	 snaplen;	/* bytes of each frame kept */
	uint32_t	 block_size;	/* ring block, bytes */
	uint32_t	 block_count;
	uint32_t	 retire_ms;	/* block retire timeout */
	uint32_t	 max_flows;	/* rows per bin before an early write */
	struct conf_retention retention;	/* inherits the global keys */
	struct conf_archive archive;
	struct conf_headers headers;
	int		 anonymize;	/* enum conf_anonymize */
	unsigned	 line;		/* where it was defined, 0 built in */
};

/* export.ipfix: IPFIX collectors (export.c, export_ipfix.c). */
struct conf_export_ipfix {
	char		**collectors;	/* udp://HOST:PORT, tcp://HOST:PORT */
	size_t		 ncollectors;
	char		**ifaces;	/* names or /regex/; none: all */
	size_t		 nifaces;
	int		 backfill;	/* 1: bins from before it was added too */
	uint32_t	 mtu;		/* path MTU to UDP collectors */
	uint32_t	 template_refresh; /* seconds between UDP re-sends */
	uint32_t	 rate;		/* rows per second at most; 0: no limit */
	uint32_t	 retry_max;	/* seconds between retries, at most */
};

/* export.clickhouse: a ClickHouse server (export.c, clickhouse.c). */
struct conf_export_clickhouse {
	char		*url;		/* http(s)://HOST:PORT/; NULL: none */
	char		*database;
	char		*table;
	char		*user;
	char		*password;	/* NULL: none */
	char		*host;		/* the host column; NULL: gethostname() */
	char		**ifaces;
	size_t		 nifaces;
	int		 backfill;
	uint32_t	 timeout;	/* seconds without progress */
	uint32_t	 rate;
	uint32_t	 retry_max;
};

struct conf_export {
	struct conf_export_ipfix ipfix;
	struct conf_export_clickhouse clickhouse;
};

/* api: the control API (api.c) and its metrics (metrics.c). */
struct conf_api {
	char		*socket;	/* UNIX socket path; NULL: none */
	char		*socket_group;	/* its group (mode 0660); NULL: ours */
	char		*listen;	/* TCP HOST:PORT; NULL: none */
	char		**tokens;	/* bearer tokens TCP requests need */
	size_t		 ntokens;
	char		*tls_cert;	/* PEM files; both or neither */
	char		*tls_key;
	uint32_t	 max_connections;
	uint32_t	 max_queries;	/* running at once; 429 past it */
	uint64_t	 max_body;	/* bytes; 413 past it, not read */
	uint32_t	 timeout;	/* seconds a request may take */
	int		 metrics_iface_label;
	char		*www_dir;	/* the web view's files; "none" */
	char		*hosts_file;	/* query_hosts' hosts; NULL: default */
	int		 tap;		/* GET /tap/{iface} allowed */
	uint32_t	 max_taps;	/* taps at once; 429 past it */
	uint32_t	 tap_rate;	/* packets/s per tap; more dropped */
	uint64_t	 tap_bytes;	/* bytes/s per tap; more dropped */
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
	struct conf_retention retention;
	struct conf_autodetect autodetect;
	struct conf_export export;
	struct conf_api	 api;
};

struct conftab_section;

/* The table: the master copy of every key (tests and docs walk it). */
extern const struct conftab_section conf_table;

/*
 * Load and check a configuration file.  Returns 0 with *out set (caller
 * owns it; free with conf_free()), or a negative code with *cause set to
 * "FILE:LINE: key 'KEY': why" (caller frees).
 */
int		 conf_load(const char *path, struct conf **out, char **cause);

/*
 * The configuration a tool reading the store uses (flowq now, flowctl
 * later, for db_path and the API's address): path, or CONF_DEFAULT_PATH
 * when path is NULL.  The default file missing gives the built-in
 * defaults; any other failure (an unreadable or bad file, a path given
 * that does not exist) is an error, as conf_load()'s.
 */
int		 conf_load_client(const char *path, struct conf **out,
		    char **cause);

/* A configuration of built-in defaults with no interfaces. */
struct conf	*conf_new_default(void);

/*
 * Add an interface with default settings; returns it (borrowed, until
 * the next conf_add_iface() or conf_free()).  The caller has checked the
 * name with names_check_iface().
 */
struct conf_iface *conf_add_iface(struct conf *, const char *name);

void		 conf_free(struct conf *);

/* 1 when two interface settings record the same way. */
int		 conf_iface_same(const struct conf_iface *,
		    const struct conf_iface *);

/*
 * The bytes of a frame live capture keeps: snaplen, or the archive's
 * when an archive wants more.
 */
uint32_t	 conf_iface_snaplen(const struct conf_iface *);

/* The interface named name, or NULL. */
const struct conf_iface *conf_find_iface(const struct conf *, const char *name);

/* 1 when name is a "/regex/" interface pattern, not a name. */
int		 conf_is_pattern(const char *name);

/*
 * The settings of an interface called name that the file does not list
 * (autodetect): every key its default, the inheriting ones (retention)
 * the global value of c.  Caller owns the result; free with
 * conf_iface_free().
 */
struct conf_iface *conf_iface_new(const struct conf *c, const char *name);
void		 conf_iface_free(struct conf_iface *);
/* 1 when two export sections send the same way (a reload keeps it). */
int		 conf_export_same(const struct conf_export *,
		    const struct conf_export *);

/* 1 when two api sections serve alike (a reload keeps the server). */
int		 conf_api_same(const struct conf_api *, const struct conf_api *);

/*
 * The configuration, or one interface's settings, as JSON (GET /config),
 * passwords and tokens hidden.  Caller owns the result; json_decref() it.
 */
typedef struct json_t json_t;
json_t		*conf_json(const struct conf *);
json_t		*conf_iface_json(const struct conf_iface *);

/* The default of the key at path ("db_path"), as written in a file. */
const char	*conf_default(const char *path);

#endif
