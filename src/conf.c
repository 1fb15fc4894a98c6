/*
 * conf.c - flowrecd.yaml: the table of its keys, and loading it (see
 * conf.h, flowrecd.yaml(5)).
 *
 * The table below is the master copy of every key: name, type, bounds,
 * default, help, and where it lives (global, or per interface under
 * interfaces.NAME).  conftab.c checks a file against it line by line,
 * loads it with libcyaml through a schema built from it, and fills in the
 * defaults; the man page and examples/flowrecd.yaml are checked against
 * it by test_conf.  A new key is one row here, a member of struct conf or
 * struct conf_iface, a paragraph in flowrecd.yaml(5) and a line in the
 * example.
 */
#include "config.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "conftab.h"
#include "ipfix.h"
#include "names.h"
#include "util.h"

#define CONF_MAX_FILE	(1024 * 1024)
#define CONF_MAX_IFACES	4096

/* ------------------------------------------------- per-value checks */

static int
conf_check_interval(uint64_t v, char **why)
{
	if (86400 % v != 0)
		return util_cause(why, -EINVAL, "%llu does not divide a day "
		    "(86400 s)", (unsigned long long)v);
	return 0;
}

static int
conf_check_block_size(uint64_t v, char **why)
{
	long page = sysconf(_SC_PAGESIZE);

	if ((v & (v - 1)) != 0)
		return util_cause(why, -EINVAL, "%llu is not a power of two",
		    (unsigned long long)v);
	if (page > 0 && v % (uint64_t)page != 0)
		return util_cause(why, -EINVAL, "%llu is not a multiple of the "
		    "page size (%ld)", (unsigned long long)v, page);
	return 0;
}

#define CONF_PATTERN_MAX	255

int
conf_is_pattern(const char *name)
{
	size_t n = strlen(name);

	return n >= 2 && name[0] == '/' && name[n - 1] == '/';
}

/* "/regex/": POSIX extended, matched anywhere in the name (as goProbe). */
static int
conf_check_pattern(const char *s, char **why)
{
	regex_t re;
	char *text, msg[128];
	size_t n = strlen(s);
	int rc;

	if (n < 3)
		return util_cause(why, -EINVAL, "an empty pattern matches "
		    "every interface: use autodetect");
	if (n > CONF_PATTERN_MAX)
		return util_cause(why, -EINVAL, "a pattern is at most %d bytes",
		    CONF_PATTERN_MAX);
	text = util_strdup(s + 1);
	text[n - 2] = '\0';
	rc = regcomp(&re, text, REG_EXTENDED | REG_NOSUB);
	free(text);
	if (rc != 0) {
		regerror(rc, &re, msg, sizeof msg);
		return util_cause(why, -EINVAL, "'%s' is not a regular "
		    "expression: %s", s, msg);
	}
	regfree(&re);
	return 0;
}

/* An interface name, or a /regex/ standing for the names it matches. */
static int
conf_check_iface_name(const char *name, char **why)
{
	if (conf_is_pattern(name))
		return conf_check_pattern(name, why);
	return names_check_iface(name, why);
}

static int
conf_check_collector(const char *v, char **why)
{
	char *host = NULL, *port = NULL;
	int tcp, rc;

	rc = ipfix_parse_url(v, &tcp, &host, &port, why);
	free(host);
	free(port);
	return rc;
}

/* An interface filter entry: a name, or /regex/ (POSIX extended). */
static int
conf_check_iface_pattern(const char *v, char **why)
{
	size_t len = strlen(v);
	regex_t re;
	char *pat;
	int rc;

	if (len < 2 || v[0] != '/' || v[len - 1] != '/')
		return names_check_iface(v, why);
	pat = util_strdup(v + 1);
	pat[len - 2] = '\0';
	rc = regcomp(&re, pat, REG_EXTENDED | REG_NOSUB);
	free(pat);
	if (rc != 0)
		return util_cause(why, -EINVAL, "'%s' is not a regular "
		    "expression", v);
	regfree(&re);
	return 0;
}

static int
conf_check_http_url(const char *v, char **why)
{
	const char *h;

	if (strncmp(v, "http://", 7) == 0)
		h = v + 7;
	else if (strncmp(v, "https://", 8) == 0)
		h = v + 8;
	else
		return util_cause(why, -EINVAL, "'%s': want http://HOST:PORT/ "
		    "or https://HOST:PORT/", v);
	if (*h == '\0' || *h == '/' || *h == ':')
		return util_cause(why, -EINVAL, "'%s': no host", v);
	if (strchr(v, '?') != NULL || strchr(v, '#') != NULL)
		return util_cause(why, -EINVAL, "'%s': no query or fragment "
		    "(database, user and password are keys of their own)", v);
	return 0;
}

/* A ClickHouse database or table name, used unquoted in SQL. */
static int
conf_check_identifier(const char *v, char **why)
{
	const char *p;

	for (p = v; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    *p == '_' || (p != v && *p >= '0' && *p <= '9')))
			return util_cause(why, -EINVAL, "'%s': letters, digits "
			    "and '_', not starting with a digit", v);
	return 0;
}

/* api.socket: an absolute path, or "none". */
static int
conf_check_socket(const char *v, char **why)
{
	if (strcmp(v, "none") != 0 && v[0] != '/')
		return util_cause(why, -EINVAL, "'%s': an absolute path, or "
		    "none", v);
	return 0;
}

/* api.listen: HOST:PORT, [V6]:PORT, the port 1 to 65535. */
static int
conf_check_listen(const char *v, char **why)
{
	const char *colon = strrchr(v, ':');
	char *end;
	long port;

	if (colon == NULL || colon == v)
		return util_cause(why, -EINVAL, "'%s': want HOST:PORT", v);
	if (v[0] == '[' && colon[-1] != ']')
		return util_cause(why, -EINVAL, "'%s': want [ADDRESS]:PORT", v);
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 1 ||
	    port > 65535)
		return util_cause(why, -EINVAL, "'%s': the port is not 1 to "
		    "65535", v);
	return 0;
}

/* api.tokens: long enough to guess at no chance, no space or control. */
static int
conf_check_token(const char *v, char **why)
{
	size_t len = strlen(v), i;

	if (len < 16 || len > 256)
		return util_cause(why, -EINVAL, "a token of %zu characters; "
		    "want 16 to 256", len);
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 127)
			return util_cause(why, -EINVAL, "a token has a space "
			    "or a character that is not printable ASCII");
	return 0;
}

/* TLS needs both files; TCP needs tokens (no open API on a network). */
static int
conf_check_api(struct conftab_ctx *ctx, const void *base)
{
	const struct conf_api *a = base;

	if ((a->tls_cert == NULL) != (a->tls_key == NULL))
		return conftab_fail(ctx, a->tls_cert ? "tls_key" : "tls_cert",
		    "tls_cert and tls_key go together");
	if (a->listen != NULL && a->ntokens == 0)
		return conftab_fail(ctx, "tokens", "listen needs at least one "
		    "token: every TCP request must carry one");
	if (a->listen == NULL && a->tls_cert != NULL)
		return conftab_fail(ctx, "tls_cert", "TLS is for the TCP "
		    "listener: set listen too");
	return 0;
}

/* A frame must fit in a block, and the ring in 4 GiB. */
static int
conf_check_iface(struct conftab_ctx *ctx, const void *base)
{
	const struct conf_iface *i = base;
	uint32_t snaplen = conf_iface_snaplen(i);

	if ((uint64_t)i->block_size < (uint64_t)snaplen + 256)
		return conftab_fail(ctx, "ring.block_size", "%u cannot hold a "
		    "frame of snaplen %u", i->block_size, snaplen);
	if ((uint64_t)i->block_size * i->block_count > (1ull << 32))
		return conftab_fail(ctx, "ring.block_size", "the ring (%u x %u "
		    "bytes) is larger than 4 GiB", i->block_size,
		    i->block_count);
	return 0;
}

/* ------------------------------------------------------- the table */

static const struct conftab_choice conf_levels[] = {
	{ "error", LOG_LEVEL_ERROR },
	{ "warn", LOG_LEVEL_WARN },
	{ "warning", LOG_LEVEL_WARN },
	{ "info", LOG_LEVEL_INFO },
	{ "debug", LOG_LEVEL_DEBUG },
	{ NULL, 0 }
};

static const struct conftab_choice conf_targets[] = {
	{ "stderr", 0 },
	{ "syslog", 1 },
	{ NULL, 0 }
};

/* interfaces.NAME.ring: flattened into struct conf_iface. */
static const struct conftab_key conf_ring_keys[] = {
	{ .name = "block_size", .type = CONFTAB_UINT,
	  CONFTAB_FIELD(struct conf_iface, block_size),
	  .min = 4096, .max = 1u << 30, .def = "1048576",
	  .check_num = conf_check_block_size,
	  .help = "ring block size in bytes, a power of two and a multiple "
	  "of the page size" },
	{ .name = "block_count", .type = CONFTAB_UINT,
	  CONFTAB_FIELD(struct conf_iface, block_count),
	  .min = 2, .max = 65536, .def = "64",
	  .help = "ring blocks" },
	{ .name = "retire_ms", .type = CONFTAB_UINT,
	  CONFTAB_FIELD(struct conf_iface, retire_ms),
	  .min = 1, .max = 60000, .def = "100",
	  .help = "milliseconds before the kernel hands over a partly filled "
	  "block" },
	{ .name = NULL }
};

static const struct conftab_section conf_ring = {
	.keys = conf_ring_keys,
	.size = sizeof(struct conf_iface),
};

/* retention, globally and as interfaces.NAME.retention. */
static const struct conftab_key conf_retention_keys[] = {
	{ .name = "keep_days", .type = CONFTAB_UINT,
	  CONFTAB_FIELD(struct conf_retention, keep_days),
	  .min = 0, .max = 36500, .def = "0",
	  .help = "day files kept: the last N UTC days, today included; 0 "
	  "keeps all" },
	{ .name = "max_bytes", .type = CONFTAB_SIZE,
	  CONFTAB_FIELD(struct conf_retention, max_bytes),
	  .min = 0, .max = 1ull << 60, .def = "0",
	  .help = "bytes of an interface's day files, in all; 0 is no bound" },
	{ .name = NULL }
};

static const struct conftab_section conf_retention = {
	.keys = conf_retention_keys,
	.size = sizeof(struct conf_retention),
};

/* interfaces.NAME.archive */
static const struct conftab_choice conf_compressions[] = {
	{ "none", CONF_COMPRESS_NONE },
	{ "gzip", CONF_COMPRESS_GZIP },
	{ "zstd", CONF_COMPRESS_ZSTD },
	{ NULL, 0 }
};

static const struct conftab_choice conf_anonymizations[] = {
	{ "none", CONF_ANON_NONE },
	{ "netblock", CONF_ANON_NETBLOCK },
	{ NULL, 0 }
};

static const struct conftab_key conf_archive_keys[] = {
	{ .name = "path", .type = CONFTAB_PATH,
	  CONFTAB_FIELD(struct conf_archive, path), .min = 1, .max = 3800,
	  .help = "directory of the packet archive; none: no archive" },
	{ .name = "cutoff_bytes", .type = CONFTAB_SIZE,
	  CONFTAB_FIELD(struct conf_archive, cutoff_bytes),
	  .min = 0, .max = 1ull << 60, .def = "65536",
	  .help = "wire bytes of a connection archived, at most; 0: no "
	  "bound" },
	{ .name = "cutoff_packets", .type = CONFTAB_UINT,
	  CONFTAB_FIELD(struct conf_archive, cutoff_packets),
	  .min = 0, .max = 1ull << 60, .def = "0",
	  .help = "packets of a connection archived, at most; 0: no bound" },
	{ .name = "idle_timeout", .type = CONFTAB_SECONDS,
	  CONFTAB_FIELD(struct conf_archive, idle_timeout),
	  .min = 1, .max = 86400, .def = "60",
	  .help = "seconds without a packet after which a connection starts "
	  "afresh" },
	{ .name = "rotate", .type = CONFTAB_SECONDS,
	  CONFTAB_FIELD(struct conf_archive, rotate),
	  .min = 1, .max = 86400, .def = "60",
	  .check_num = conf_check_interval,
	  .help = "seconds of packet time one file covers, a divisor of a "
	  "day" },
	{ .name = "compress", .type = CONFTAB_ENUM,
	  CONFTAB_FIELD(struct conf_archive, compress),
	  .choices = conf_compressions, .def = "none",
	  .help = "none, gzip (.pcap.gz) or zstd (.pcap.zst)" },
	{ .name = "snaplen", .type = CONFTAB_UINT,
	  CONFTAB_FIELD(struct conf_archive, snaplen),
	  .min = 64, .max = 65535, .def = "65535",
	  .help = "bytes of each archived packet written" },
	{ .name = "keep_days", .type = CONFTAB_UINT,
	  CONFTAB_FIELD(struct conf_archive, keep_days),
	  .min = 0, .max = 36500, .def = "0",
	  .help = "archive files of the last N UTC days, today included; 0 "
	  "keeps all" },
	{ .name = "max_bytes", .type = CONFTAB_SIZE,
	  CONFTAB_FIELD(struct conf_archive, max_bytes),
	  .min = 0, .max = 1ull << 60, .def = "0",
	  .help = "bytes of the interface's archive files, in all; 0 is no "
	  "bound" },
	{ .name = NULL }
};

static const struct conftab_section conf_archive = {
	.keys = conf_archive_keys,
	.size = sizeof(struct conf_archive),
};

/* interfaces.NAME.headers */
static const struct conftab_key conf_headers_keys[] = {
	{ .name = "path", .type = CONFTAB_PATH,
	  CONFTAB_FIELD(struct conf_headers, path), .min = 1, .max = 3800,
	  .help = "directory of the header captures; none: none" },
	{ .name = "capture_duration", .type = CONFTAB_SECONDS,
	  CONFTAB_FIELD(struct conf_headers, capture_duration),
	  .min = 1, .max = 86400, .def = "30",
	  .help = "seconds from a connection's start whose packets are kept" },
	{ .name = "flow_timeout", .type = CONFTAB_SECONDS,
	  CONFTAB_FIELD(struct conf_headers, flow_timeout),
	  .min = 1, .max = 86400, .def = "30",
	  .help = "seconds without a packet that end a connection" },
	{ .name = "max_header_size", .type = CONFTAB_UINT,
	  CONFTAB_FIELD(struct conf_headers, max_header_size),
	  .min = 40, .max = 65535, .def = "256",
	  .help = "bytes of a packet kept, at most" },
	{ .name = NULL }
};

static const struct conftab_section conf_headers = {
	.keys = conf_headers_keys,
	.size = sizeof(struct conf_headers),
};

/* autodetect */
static const struct conftab_key conf_autodetect_keys[] = {
	{ .name = "enabled", .type = CONFTAB_BOOL,
	  CONFTAB_FIELD(struct conf_autodetect, enabled), .def = "false",
	  .help = "record every interface that exists or comes up" },
	{ .name = "exclude", .type = CONFTAB_STRLIST,
	  CONFTAB_FIELD(struct conf_autodetect, exclude),
	  .count_offset = offsetof(struct conf_autodetect, nexclude),
	  .max = 1024, .check_str = conf_check_iface_name,
	  .help = "interfaces autodetect leaves out: names and /regex/" },
	{ .name = NULL }
};

static const struct conftab_section conf_autodetect = {
	.keys = conf_autodetect_keys,
	.size = sizeof(struct conf_autodetect),
};

/* interfaces.NAME */
static const struct conftab_key conf_iface_keys[] = {
	{ .name = "enabled", .type = CONFTAB_BOOL,
	  CONFTAB_FIELD(struct conf_iface, enabled), .def = "true",
	  .help = "record this interface" },
	{ .name = "promisc", .type = CONFTAB_BOOL,
	  CONFTAB_FIELD(struct conf_iface, promisc), .def = "false",
	  .help = "put the interface in promiscuous mode" },
	{ .name = "snaplen", .type = CONFTAB_UINT,
	  CONFTAB_FIELD(struct conf_iface, snaplen),
	  .min = 64, .max = 65535, .def = "192",
	  .help = "bytes of each frame captured; the headers must fit" },
	{ .name = "max_flows", .type = CONFTAB_UINT,
	  CONFTAB_FIELD(struct conf_iface, max_flows),
	  .min = 1024, .max = 100000000, .def = "1000000",
	  .help = "flow rows per bin before it is written early" },
	{ .name = "ring", .type = CONFTAB_SECTION, .offset = 0,
	  .sub = &conf_ring,
	  .help = "the TPACKET_V3 receive ring" },
	{ .name = "retention", .type = CONFTAB_SECTION,
	  .flags = CONFTAB_INHERIT,
	  CONFTAB_FIELD(struct conf_iface, retention), .sub = &conf_retention,
	  .help = "this interface's retention; absent keys are the global "
	  "ones" },
	{ .name = "archive", .type = CONFTAB_SECTION,
	  CONFTAB_FIELD(struct conf_iface, archive), .sub = &conf_archive,
	  .help = "a packet archive cut off per connection (gotm's)" },
	{ .name = "headers", .type = CONFTAB_SECTION,
	  CONFTAB_FIELD(struct conf_iface, headers), .sub = &conf_headers,
	  .help = "TCP header captures per connection (packet-headers')" },
	{ .name = "anonymize", .type = CONFTAB_ENUM,
	  CONFTAB_FIELD(struct conf_iface, anonymize),
	  .choices = conf_anonymizations, .def = "none",
	  .help = "none, or netblock: addresses to their /24 or /64 in all "
	  "that is written" },
	{ .name = NULL }
};

static const struct conftab_section conf_iface_section = {
	.keys = conf_iface_keys,
	.size = sizeof(struct conf_iface),
	.name_offset = offsetof(struct conf_iface, name),
	.line_offset = offsetof(struct conf_iface, line),
	.check = conf_check_iface,
};

/* log: flattened into struct conf. */
static const struct conftab_key conf_log_keys[] = {
	{ .name = "level", .type = CONFTAB_ENUM,
	  CONFTAB_FIELD(struct conf, log_level), .choices = conf_levels,
	  .def = "info", .help = "least severe message logged" },
	{ .name = "target", .type = CONFTAB_ENUM,
	  CONFTAB_FIELD(struct conf, log_syslog), .choices = conf_targets,
	  .def = "stderr", .help = "where log messages go" },
	{ .name = NULL }
};

static const struct conftab_section conf_log = {
	.keys = conf_log_keys,
	.size = sizeof(struct conf),
};

/* export.ipfix */
static const struct conftab_key conf_ipfix_keys[] = {
	{ .name = "collectors", .type = CONFTAB_STRLIST,
	  CONFTAB_FIELD(struct conf_export_ipfix, collectors),
	  .count_offset = offsetof(struct conf_export_ipfix, ncollectors),
	  .max = 64, .check_str = conf_check_collector,
	  .help = "IPFIX collectors, udp://HOST:PORT or tcp://HOST:PORT" },
	{ .name = "interfaces", .type = CONFTAB_STRLIST,
	  CONFTAB_FIELD(struct conf_export_ipfix, ifaces),
	  .count_offset = offsetof(struct conf_export_ipfix, nifaces),
	  .max = 1024, .check_str = conf_check_iface_pattern,
	  .help = "only these interfaces (names or /regex/); none: all" },
	{ .name = "backfill", .type = CONFTAB_BOOL,
	  CONFTAB_FIELD(struct conf_export_ipfix, backfill), .def = "false",
	  .help = "also send the bins stored before the collector was added" },
	{ .name = "mtu", .type = CONFTAB_UINT,
	  CONFTAB_FIELD(struct conf_export_ipfix, mtu),
	  .min = 576, .max = 65535, .def = "1500",
	  .help = "path MTU to UDP collectors: each message fits in one "
	  "datagram of it" },
	{ .name = "template_refresh", .type = CONFTAB_SECONDS,
	  CONFTAB_FIELD(struct conf_export_ipfix, template_refresh),
	  .min = 1, .max = 86400, .def = "600",
	  .help = "seconds between re-sends of the templates over UDP" },
	{ .name = "rate", .type = CONFTAB_UINT,
	  CONFTAB_FIELD(struct conf_export_ipfix, rate),
	  .min = 0, .max = 100000000, .def = "100000",
	  .help = "rows per second at most, per collector; 0: no limit" },
	{ .name = "retry_max", .type = CONFTAB_SECONDS,
	  CONFTAB_FIELD(struct conf_export_ipfix, retry_max),
	  .min = 1, .max = 3600, .def = "60",
	  .help = "longest wait between attempts at a failing collector" },
	{ .name = NULL }
};

static const struct conftab_section conf_ipfix = {
	.keys = conf_ipfix_keys,
	.size = sizeof(struct conf_export_ipfix),
};

/* export.clickhouse */
static const struct conftab_key conf_clickhouse_keys[] = {
	{ .name = "url", .type = CONFTAB_STRING,
	  CONFTAB_FIELD(struct conf_export_clickhouse, url),
	  .min = 8, .max = 2048, .check_str = conf_check_http_url,
	  .help = "the server's HTTP interface, http://HOST:8123/" },
	{ .name = "database", .type = CONFTAB_STRING,
	  CONFTAB_FIELD(struct conf_export_clickhouse, database),
	  .min = 1, .max = 128, .def = "default",
	  .check_str = conf_check_identifier,
	  .help = "the database of the table" },
	{ .name = "table", .type = CONFTAB_STRING,
	  CONFTAB_FIELD(struct conf_export_clickhouse, table),
	  .min = 1, .max = 128, .def = "flows",
	  .check_str = conf_check_identifier,
	  .help = "the table, created if missing (sql/clickhouse.sql)" },
	{ .name = "user", .type = CONFTAB_STRING,
	  CONFTAB_FIELD(struct conf_export_clickhouse, user),
	  .min = 1, .max = 128, .def = "default",
	  .help = "the user to log in as" },
	{ .name = "password", .type = CONFTAB_STRING,
	  CONFTAB_FIELD(struct conf_export_clickhouse, password),
	  .min = 0, .max = 1024, .flags = CONFTAB_SECRET,
	  .help = "the user's password; none: no password" },
	{ .name = "host", .type = CONFTAB_STRING,
	  CONFTAB_FIELD(struct conf_export_clickhouse, host),
	  .min = 1, .max = 255,
	  .help = "the host column's value; none: this machine's host name" },
	{ .name = "interfaces", .type = CONFTAB_STRLIST,
	  CONFTAB_FIELD(struct conf_export_clickhouse, ifaces),
	  .count_offset = offsetof(struct conf_export_clickhouse, nifaces),
	  .max = 1024, .check_str = conf_check_iface_pattern,
	  .help = "only these interfaces (names or /regex/); none: all" },
	{ .name = "backfill", .type = CONFTAB_BOOL,
	  CONFTAB_FIELD(struct conf_export_clickhouse, backfill),
	  .def = "false",
	  .help = "also send the bins stored before the server was added" },
	{ .name = "timeout", .type = CONFTAB_SECONDS,
	  CONFTAB_FIELD(struct conf_export_clickhouse, timeout),
	  .min = 1, .max = 3600, .def = "60",
	  .help = "seconds a request may go without progress" },
	{ .name = "rate", .type = CONFTAB_UINT,
	  CONFTAB_FIELD(struct conf_export_clickhouse, rate),
	  .min = 0, .max = 100000000, .def = "100000",
	  .help = "rows per second at most; 0: no limit" },
	{ .name = "retry_max", .type = CONFTAB_SECONDS,
	  CONFTAB_FIELD(struct conf_export_clickhouse, retry_max),
	  .min = 1, .max = 3600, .def = "60",
	  .help = "longest wait between attempts at a failing server" },
	{ .name = NULL }
};

static const struct conftab_section conf_clickhouse = {
	.keys = conf_clickhouse_keys,
	.size = sizeof(struct conf_export_clickhouse),
};

/* export */
static const struct conftab_key conf_export_keys[] = {
	{ .name = "ipfix", .type = CONFTAB_SECTION,
	  .offset = offsetof(struct conf_export, ipfix), .sub = &conf_ipfix,
	  .help = "IPFIX (RFC 7011) collectors" },
	{ .name = "clickhouse", .type = CONFTAB_SECTION,
	  .offset = offsetof(struct conf_export, clickhouse),
	  .sub = &conf_clickhouse,
	  .help = "a ClickHouse server" },
	{ .name = NULL }
};

static const struct conftab_section conf_export = {
	.keys = conf_export_keys,
	.size = sizeof(struct conf_export),
};

/* api */
static const struct conftab_key conf_api_keys[] = {
	{ .name = "socket", .type = CONFTAB_PATH,
	  CONFTAB_FIELD(struct conf_api, socket), .min = 1, .max = 107,
	  .def = "/run/flowrec/flowrecd.sock", .check_str = conf_check_socket,
	  .help = "the UNIX socket of the API (mode 0660); \"none\": no "
	  "socket" },
	{ .name = "socket_group", .type = CONFTAB_STRING,
	  CONFTAB_FIELD(struct conf_api, socket_group), .min = 1, .max = 64,
	  .def = "flowrec",
	  .help = "the socket's group, if it exists; its members may use the "
	  "API" },
	{ .name = "listen", .type = CONFTAB_STRING,
	  CONFTAB_FIELD(struct conf_api, listen), .min = 3, .max = 300,
	  .check_str = conf_check_listen,
	  .help = "also serve on TCP HOST:PORT, each request with a bearer "
	  "token; none: no TCP" },
	{ .name = "tokens", .type = CONFTAB_STRLIST, .flags = CONFTAB_SECRET,
	  CONFTAB_FIELD(struct conf_api, tokens),
	  .count_offset = offsetof(struct conf_api, ntokens),
	  .max = 64, .check_str = conf_check_token,
	  .help = "bearer tokens accepted on TCP (16 to 256 printable "
	  "characters)" },
	{ .name = "tls_cert", .type = CONFTAB_PATH,
	  CONFTAB_FIELD(struct conf_api, tls_cert), .min = 1, .max = 4096,
	  .help = "PEM certificate (chain): TLS on the TCP listener" },
	{ .name = "tls_key", .type = CONFTAB_PATH,
	  CONFTAB_FIELD(struct conf_api, tls_key), .min = 1, .max = 4096,
	  .help = "PEM private key of tls_cert" },
	{ .name = "max_connections", .type = CONFTAB_UINT,
	  CONFTAB_FIELD(struct conf_api, max_connections),
	  .min = 1, .max = 100000, .def = "64",
	  .help = "open connections at most; more are closed at once" },
	{ .name = "max_queries", .type = CONFTAB_UINT,
	  CONFTAB_FIELD(struct conf_api, max_queries),
	  .min = 1, .max = 1024, .def = "4",
	  .help = "queries running at once; more are answered 429" },
	{ .name = "max_body", .type = CONFTAB_SIZE,
	  CONFTAB_FIELD(struct conf_api, max_body),
	  .min = 1024, .max = 1ull << 30, .def = "1M",
	  .help = "request body bytes at most; larger ones are answered 413 "
	  "unread" },
	{ .name = "timeout", .type = CONFTAB_SECONDS,
	  CONFTAB_FIELD(struct conf_api, timeout),
	  .min = 1, .max = 3600, .def = "30",
	  .help = "seconds to read a request, and to answer it" },
	{ .name = "metrics_iface_label", .type = CONFTAB_BOOL,
	  CONFTAB_FIELD(struct conf_api, metrics_iface_label), .def = "true",
	  .help = "per-interface metrics carry an iface label; false sums "
	  "them" },
	/* unset: FLOWREC_WWW_DIR, where make install put them (api.c) */
	{ .name = "www_dir", .type = CONFTAB_PATH,
	  CONFTAB_FIELD(struct conf_api, www_dir), .min = 1, .max = 4096,
	  .help = "the web view's files, served at /ui/ without a token "
	  "(default: where they were installed); \"none\": no web view" },
	/* unset: HOSTS_DEFAULT_PATH, which may be absent (hosts.c) */
	{ .name = "hosts_file", .type = CONFTAB_PATH,
	  CONFTAB_FIELD(struct conf_api, hosts_file), .min = 1, .max = 4096,
	  .help = "the hosts a POST /_query with query_hosts may ask "
	  "(hosts.yaml; default: /etc/flowrec/hosts.yaml)" },
	{ .name = "tap", .type = CONFTAB_BOOL,
	  CONFTAB_FIELD(struct conf_api, tap), .def = "false",
	  .help = "allow GET /tap/{iface} (flowctl tap): packets of a "
	  "recorded interface, filtered, streamed as pcapng" },
	{ .name = "max_taps", .type = CONFTAB_UINT,
	  CONFTAB_FIELD(struct conf_api, max_taps),
	  .min = 1, .max = 64, .def = "4",
	  .help = "taps running at once; more are answered 429" },
	{ .name = "tap_rate", .type = CONFTAB_UINT,
	  CONFTAB_FIELD(struct conf_api, tap_rate),
	  .min = 1, .max = 10000000, .def = "20000",
	  .help = "packets per second a tap relays at most; more are dropped "
	  "and counted" },
	{ .name = "tap_bytes", .type = CONFTAB_SIZE,
	  CONFTAB_FIELD(struct conf_api, tap_bytes),
	  .min = 1024, .max = 1ull << 34, .def = "16M",
	  .help = "bytes per second a tap relays at most; more are dropped "
	  "and counted" },
	{ .name = NULL }
};

static const struct conftab_section conf_api = {
	.keys = conf_api_keys,
	.size = sizeof(struct conf_api),
	.check = conf_check_api,
};

static const struct conftab_key conf_keys[] = {
	{ .name = "db_path", .type = CONFTAB_PATH,
	  CONFTAB_FIELD(struct conf, db_path), .min = 1, .max = 4096,
	  .def = "/var/lib/flowrec",
	  .help = "directory of the per-interface stores" },
	{ .name = "interval", .type = CONFTAB_UINT,
	  CONFTAB_FIELD(struct conf, interval),
	  .min = 1, .max = 86400, .def = "300",
	  .check_num = conf_check_interval,
	  .help = "time bin length in seconds, a divisor of 86400" },
	{ .name = "queue_rows", .type = CONFTAB_UINT,
	  CONFTAB_FIELD(struct conf, queue_rows),
	  .min = 1000, .max = 1000000000, .def = "4000000",
	  .help = "flow rows waiting for the store, per interface, before "
	  "the oldest bin is dropped" },
	{ .name = "log", .type = CONFTAB_SECTION, .offset = 0,
	  .sub = &conf_log, .help = "logging" },
	{ .name = "interfaces", .type = CONFTAB_MAP,
	  CONFTAB_FIELD(struct conf, ifaces),
	  .count_offset = offsetof(struct conf, nifaces),
	  .max = CONF_MAX_IFACES, .sub = &conf_iface_section,
	  .check_name = conf_check_iface_name,
	  .help = "the interfaces to record, by name or /regex/" },
	{ .name = "retention", .type = CONFTAB_SECTION,
	  CONFTAB_FIELD(struct conf, retention), .sub = &conf_retention,
	  .help = "old day files removed at start and at each day's end" },
	{ .name = "autodetect", .type = CONFTAB_SECTION,
	  CONFTAB_FIELD(struct conf, autodetect), .sub = &conf_autodetect,
	  .help = "record the interfaces the file does not name" },
	{ .name = "export", .type = CONFTAB_SECTION,
	  .offset = offsetof(struct conf, export), .sub = &conf_export,
	  .help = "where every stored bin is sent as well" },
	{ .name = "api", .type = CONFTAB_SECTION,
	  .offset = offsetof(struct conf, api), .sub = &conf_api,
	  .help = "the control API and the metrics" },
	{ .name = NULL }
};

const struct conftab_section conf_table = {
	.keys = conf_keys,
	.size = sizeof(struct conf),
};

/* --------------------------------------------------------------- API */

struct conf *
conf_new_default(void)
{
	struct conf *c = util_calloc(1, sizeof *c);

	conftab_defaults(&conf_table, c);
	return c;
}

struct conf_iface *
conf_add_iface(struct conf *c, const char *name)
{
	return conftab_append(&conf_table, c, "interfaces", name);
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	conftab_free(&conf_table, c);
}

uint32_t
conf_iface_snaplen(const struct conf_iface *i)
{
	uint32_t n = i->snaplen;

	if (i->archive.path != NULL && i->archive.snaplen > n)
		n = i->archive.snaplen;
	if (i->headers.path != NULL && i->headers.max_header_size > n)
		n = i->headers.max_header_size;
	return n;
}

int
conf_iface_same(const struct conf_iface *a, const struct conf_iface *b)
{
	return strcmp(a->name, b->name) == 0 &&
	    conftab_same(&conf_iface_section, a, b);
}

struct conf_iface *
conf_iface_new(const struct conf *c, const char *name)
{
	return conftab_entry_new(&conf_table, c, "interfaces", name);
}

void
conf_iface_free(struct conf_iface *i)
{
	conftab_entry_free(&conf_table, "interfaces", i);
}

json_t *
conf_json(const struct conf *c)
{
	return conftab_json(&conf_table, c);
}

json_t *
conf_iface_json(const struct conf_iface *i)
{
	return conftab_json(&conf_iface_section, i);
}

int
conf_api_same(const struct conf_api *a, const struct conf_api *b)
{
	return conftab_same(&conf_api, a, b);
}

int
conf_export_same(const struct conf_export *a, const struct conf_export *b)
{
	return conftab_same(&conf_export, a, b);
}

const struct conf_iface *
conf_find_iface(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nifaces; i++)
		if (strcmp(c->ifaces[i].name, name) == 0)
			return &c->ifaces[i];
	return NULL;
}

const char *
conf_default(const char *path)
{
	const struct conftab_key *k = conftab_find(&conf_table, path);

	if (k == NULL || k->def == NULL)
		abort();	/* a caller asking for a key that is not one */
	return k->def;
}

static int
conf_read_file(const char *path, char **buf, size_t *len, char **cause)
{
	FILE *f;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL)
		return util_cause(cause, -errno, "%s: %s", path,
		    strerror(errno));
	*buf = util_malloc(CONF_MAX_FILE + 1);
	n = fread(*buf, 1, CONF_MAX_FILE + 1, f);
	if (ferror(f)) {
		fclose(f);
		free(*buf);
		return util_cause(cause, -EIO, "%s: read error", path);
	}
	fclose(f);
	if (n > CONF_MAX_FILE) {
		free(*buf);
		return util_cause(cause, -EFBIG, "%s: larger than %d bytes",
		    path, CONF_MAX_FILE);
	}
	*len = n;
	return 0;
}

int
conf_load(const char *path, struct conf **out, char **cause)
{
	struct conf *c;
	char *text = NULL;
	size_t len = 0;
	void *data;
	int rc;

	*out = NULL;
	if ((rc = conf_read_file(path, &text, &len, cause)) != 0)
		return rc;
	rc = conftab_load(&conf_table, path, text, len, &data, cause);
	free(text);
	if (rc != 0)
		return rc;
	c = data;
	c->path = util_strdup(path);
	*out = c;
	return 0;
}

int
conf_load_client(const char *path, struct conf **out, char **cause)
{
	int rc;

	rc = conf_load(path != NULL ? path : CONF_DEFAULT_PATH, out, cause);
	if (rc == -ENOENT && path == NULL) {
		if (cause != NULL) {
			free(*cause);
			*cause = NULL;
		}
		*out = conf_new_default();
		return 0;
	}
	return rc;
}
