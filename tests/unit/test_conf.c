/*
 * test_conf.c - flowrecd.yaml and its table: good files load with their
 * defaults, each bad one gives exactly the message that names its line
 * and key (numbers parsed whole, YAML nulls refused, interface names
 * checked), the table engine's types (SIZE, durations, enums, string
 * lists, nested sections, per-entry maps inheriting global values) do
 * what conftab.h says, every row of the table is sound, and the man page
 * and the example file say what the table says.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"
#include "conftab.h"
#include "tap.h"

static char tmp_path[64];

static void
put(const char *text)
{
	FILE *f = fopen(tmp_path, "w");

	fputs(text, f);
	fclose(f);
}

/* Load text; returns the message (caller frees) or NULL when it loaded. */
static char *
load(const char *text, struct conf **out)
{
	struct conf *c = NULL;
	char *cause = NULL;

	put(text);
	if (conf_load(tmp_path, &c, &cause) != 0)
		return cause;
	if (out != NULL)
		*out = c;
	else
		conf_free(c);
	return NULL;
}

static void
bad(const char *text, const char *want)
{
	char *got = load(text, NULL), *full = util_printf("%s:%s", tmp_path, want);

	is_str(got, full, "bad: %s", want);
	free(got);
	free(full);
}

static void
test_good(void)
{
	struct conf *c = NULL;
	const struct conf_iface *i;
	char *e;

	e = load("# everything\n"
	    "db_path: /srv/flows\n"
	    "interval: 60\n"
	    "queue_rows: 5000\n"
	    "log:\n  level: debug\n  target: syslog\n"
	    "interfaces:\n"
	    "  eth0:\n"
	    "    promisc: true\n"
	    "    snaplen: 128\n"
	    "    max_flows: 65536\n"
	    "    ring:\n"
	    "      block_size: 4194304\n"
	    "      block_count: 16\n"
	    "      retire_ms: 20\n"
	    "  eth1:\n"
	    "  tun0: {enabled: false}\n", &c);
	ok(e == NULL, "full file loads (%s)", e ? e : "");
	if (c == NULL)
		return;
	is_str(c->db_path, "/srv/flows", "db_path");
	is_int(c->interval, 60, "interval");
	is_int(c->queue_rows, 5000, "queue_rows");
	is_int(c->log_level, LOG_LEVEL_DEBUG, "log.level");
	is_int(c->log_syslog, 1, "log.target");
	is_int(c->nifaces, 3, "three interfaces, in order");
	i = conf_find_iface(c, "eth0");
	ok(i != NULL && i->promisc && i->snaplen == 128 &&
	    i->max_flows == 65536 && i->block_size == 4194304 &&
	    i->block_count == 16 && i->retire_ms == 20 && i->enabled,
	    "eth0 settings");
	is_int(i ? i->line : 0, 9, "eth0 defined on line 9");
	i = conf_find_iface(c, "eth1");
	ok(i != NULL && !i->promisc && i->snaplen == 192 &&
	    i->max_flows == 1000000 && i->block_size == 1048576 &&
	    i->block_count == 64 && i->retire_ms == 100 && i->enabled,
	    "eth1 (no settings): defaults");
	i = conf_find_iface(c, "tun0");
	ok(i != NULL && !i->enabled, "tun0 disabled (flow style)");
	ok(conf_find_iface(c, "eth2") == NULL, "no eth2");
	ok(conf_iface_same(&c->ifaces[0], &c->ifaces[0]), "same as itself");
	ok(!conf_iface_same(&c->ifaces[0], &c->ifaces[1]), "eth0 != eth1");
	conf_free(c);

	c = NULL;
	e = load("", &c);
	ok(e == NULL && c != NULL && c->nifaces == 0 && c->interval == 300 &&
	    strcmp(c->db_path, "/var/lib/flowrec") == 0 &&
	    c->log_level == LOG_LEVEL_INFO && !c->log_syslog,
	    "empty file: defaults");
	conf_free(c);
	c = NULL;
	e = load("interval: 86400\nlog: {level: warning}\n", &c);
	ok(e == NULL && c && c->interval == 86400 &&
	    c->log_level == LOG_LEVEL_WARN, "interval of a day, 'warning'");
	conf_free(c);
}

/* retention inherited key by key; /regex/ names; autodetect. */
static void
test_live(void)
{
	struct conf *c = NULL;
	struct conf_iface *made;
	const struct conf_iface *i;
	char *e;

	e = load("retention: {keep_days: 30, max_bytes: 10G}\n"
	    "autodetect: {enabled: true, exclude: [lo, '/^veth/']}\n"
	    "interfaces:\n"
	    "  eth0: {retention: {max_bytes: 1M}}\n"
	    "  eth0.100:\n"
	    "  '/^ens[0-9]+$/': {snaplen: 128, retention: {keep_days: 7}}\n",
	    &c);
	ok(e == NULL && c != NULL, "retention, autodetect, a pattern (%s)",
	    e ? e : "");
	if (c == NULL)
		return;
	ok(c->retention.keep_days == 30 &&
	    c->retention.max_bytes == 10ull << 30, "global retention");
	i = conf_find_iface(c, "eth0");
	ok(i && i->retention.keep_days == 30 &&
	    i->retention.max_bytes == 1 << 20,
	    "eth0: its max_bytes, the global keep_days");
	i = conf_find_iface(c, "eth0.100");
	ok(i && i->retention.keep_days == 30 &&
	    i->retention.max_bytes == 10ull << 30, "eth0.100: the global ones");
	i = conf_find_iface(c, "/^ens[0-9]+$/");
	ok(i && conf_is_pattern(i->name) && i->snaplen == 128 &&
	    i->retention.keep_days == 7, "a /regex/ entry with its settings");
	ok(!conf_is_pattern("eth0") && !conf_is_pattern("/") &&
	    conf_is_pattern("//"), "conf_is_pattern");
	ok(c->autodetect.enabled && c->autodetect.nexclude == 2 &&
	    strcmp(c->autodetect.exclude[1], "/^veth/") == 0, "autodetect");
	made = conf_iface_new(c, "veth9");
	ok(made && strcmp(made->name, "veth9") == 0 && made->snaplen == 192 &&
	    made->enabled && made->retention.keep_days == 30 &&
	    made->retention.max_bytes == 10ull << 30,
	    "conf_iface_new: defaults and the global retention");
	conf_iface_free(made);
	conf_free(c);

	c = conf_new_default();
	ok(c->retention.keep_days == 0 && c->retention.max_bytes == 0 &&
	    !c->autodetect.enabled, "defaults: keep everything, no autodetect");
	conf_free(c);

	e = load("interfaces:\n  '/eth[/': {}\n", NULL);
	ok(e != NULL && strstr(e, ":2: key 'interfaces./eth[/': '/eth[/' is "
	    "not a regular expression: ") != NULL, "a bad pattern: %s",
	    e ? e : "loaded");
	free(e);
	bad("interfaces:\n  '//': {}\n", "2: key 'interfaces.//': an empty "
	    "pattern matches every interface: use autodetect");
	bad("autodetect: {exclude: ['a/b']}\n", "1: key 'autodetect.exclude': "
	    "entry 1: an interface name cannot contain '/'");
	bad("retention: {max_bytes: 5Q}\n", "1: key 'retention.max_bytes': "
	    "'5Q' is not a size (bytes, or a whole number with K, M, G or T)");
}

static void
test_bad(void)
{
	char *e;
	struct conf *c = NULL;

	e = NULL;
	ok(conf_load("/nonexistent/flowrecd.yaml", &c, &e) != 0 && e != NULL &&
	    strcmp(e, "/nonexistent/flowrecd.yaml: No such file or directory")
	    == 0, "missing file: %s", e ? e : "");
	free(e);

	bad("interval: 7\n",
	    "1: key 'interval': 7 does not divide a day (86400 s)");
	bad("interval: 0\n", "1: key 'interval': 0 is out of range 1..86400 "
	    "(time bin length in seconds, a divisor of 86400)");
	bad("\n\ninterval: 172800\n", "3: key 'interval': 172800 is out of "
	    "range 1..86400 (time bin length in seconds, a divisor of 86400)");
	bad("interval: -5\n",
	    "1: key 'interval': '-5' is not a whole number >= 0");
	bad("interval: five\n",
	    "1: key 'interval': 'five' is not a whole number >= 0");
	bad("interval: [1, 2]\n",
	    "1: key 'interval': expected a single value, got a list");
	bad("db_path: ''\n", "1: key 'db_path': must not be empty (directory "
	    "of the per-interface stores)");
	bad("db_path: /a\ninterval: 60\ndb_path: /b\n",
	    "3: key 'db_path': given twice (first on line 1)");
	bad("colour: blue\n", "1: key 'colour': unknown key (known here: "
	    "db_path, interval, queue_rows, log, interfaces, retention, autodetect, export, api)");
	bad("log:\n  level: loud\n",
	    "2: key 'log.level': 'loud' is not one of error|warn|warning|info|debug");
	bad("log:\n  target: file\n",
	    "2: key 'log.target': 'file' is not one of stderr|syslog");
	bad("log: yes\n", "1: key 'log': expected a mapping, got a single "
	    "value");
	bad("interfaces: [eth0]\n", "1: key 'interfaces': expected a mapping, "
	    "got a list");
	bad("interfaces:\n  eth0: 1\n",
	    "2: key 'interfaces.eth0': expected a mapping of settings (or "
	    "nothing, for the defaults), got a single value");
	bad("interfaces:\n  eth0: [a]\n",
	    "2: key 'interfaces.eth0': expected a mapping of settings (or "
	    "nothing, for the defaults), got a list");
	bad("interfaces:\n  eth0:\n  eth0:\n",
	    "3: key 'interfaces.eth0': given twice (first on line 2)");
	bad("interfaces:\n  eth0:\n    speed: 10\n",
	    "3: key 'interfaces.eth0.speed': unknown key (known here: "
	    "enabled, promisc, snaplen, max_flows, ring, retention, archive, headers, anonymize)");
	bad("interfaces:\n  eth0:\n    archive:\n      compress: lzma\n",
	    "4: key 'interfaces.eth0.archive.compress': 'lzma' is not one of "
	    "none|gzip|zstd");
	bad("interfaces:\n  eth0:\n    archive:\n      rotate: 7\n",
	    "4: key 'interfaces.eth0.archive.rotate': 7 does not divide a day "
	    "(86400 s)");
	bad("interfaces:\n  eth0:\n    archive: {path: /a, snaplen: 65535}\n"
	    "    ring: {block_size: 65536}\n",
	    "4: key 'interfaces.eth0.ring.block_size': 65536 cannot hold a "
	    "frame of snaplen 65535");
	bad("interfaces:\n  eth0:\n  eth1:\n    promisc: maybe\n",
	    "4: key 'interfaces.eth1.promisc': 'maybe' is not true or false");
	bad("interfaces:\n  eth0:\n    snaplen: 20\n",
	    "3: key 'interfaces.eth0.snaplen': 20 is out of range 64..65535 "
	    "(bytes of each frame captured; the headers must fit)");
	bad("interfaces:\n  eth0:\n    max_flows: 10\n",
	    "3: key 'interfaces.eth0.max_flows': 10 is out of range "
	    "1024..100000000 (flow rows per bin before it is written early)");
	bad("interfaces:\n  eth0:\n    ring:\n      block_size: 5000\n",
	    "4: key 'interfaces.eth0.ring.block_size': 5000 is not a power of "
	    "two");
	bad("interfaces:\n  eth0:\n    ring:\n      block_size: 2048\n",
	    "4: key 'interfaces.eth0.ring.block_size': 2048 is out of range "
	    "4096..1073741824 (ring block size in bytes, a power of two and a "
	    "multiple of the page size)");
	bad("interfaces:\n  eth0:\n    snaplen: 65535\n    ring: "
	    "{block_size: 4096}\n",
	    "4: key 'interfaces.eth0.ring.block_size': 4096 cannot hold a "
	    "frame of snaplen 65535");
	bad("interfaces:\n  eth0:\n    ring:\n      block_size: 1073741824\n"
	    "      block_count: 8\n",
	    "4: key 'interfaces.eth0.ring.block_size': the ring (1073741824 x "
	    "8 bytes) is larger than 4 GiB");
	bad("interfaces:\n  eth0:\n    ring:\n      block_count: 1\n",
	    "4: key 'interfaces.eth0.ring.block_count': 1 is out of range "
	    "2..65536 (ring blocks)");
	bad("interfaces:\n  eth0:\n    ring:\n      retire_ms: 0\n",
	    "4: key 'interfaces.eth0.ring.retire_ms': 0 is out of range "
	    "1..60000 (milliseconds before the kernel hands over a partly "
	    "filled block)");
	bad("interfaces:\n  eth0:\n    ring:\n      colour: 1\n",
	    "4: key 'interfaces.eth0.ring.colour': unknown key (known here: "
	    "block_size, block_count, retire_ms)");
	bad("interfaces:\n  averyveryverylongname:\n", "2: key "
	    "'interfaces.averyveryverylongname': an interface name has 1 to "
	    "15 bytes");
	bad("interfaces:\n  'eth/0':\n",
	    "2: key 'interfaces.eth/0': an interface name cannot contain '/'");
	bad("interfaces:\n  eth0:\n    name: eth1\n",
	    "3: key 'interfaces.eth0.name': unknown key (known here: "
	    "enabled, promisc, snaplen, max_flows, ring, retention, archive, headers, anonymize)");
	bad("interfaces:\n  eth0:\n    .name: eth1\n",
	    "3: key 'interfaces.eth0..name': unknown key (known here: "
	    "enabled, promisc, snaplen, max_flows, ring, retention, archive, headers, anonymize)");
	bad("a: b: c\n",
	    "1: YAML syntax: mapping values are not allowed in this context");
	bad("interfaces:\n  eth0: {snaplen: 100\n",
	    "3: YAML syntax: did not find expected ',' or '}'");
	bad("- 1\n- 2\n", "1: expected a mapping, got a list");
}

/* Item 9 of issue 11: every number whole, every null refused clearly. */
static void
test_strict(void)
{
	struct conf *c = NULL;
	char *e;

	bad("interval: 3e2\n",
	    "1: key 'interval': '3e2' is not a whole number >= 0");
	bad("interval: 300abc\n",
	    "1: key 'interval': '300abc' is not a whole number >= 0");
	bad("interval: 7_0\n",
	    "1: key 'interval': '7_0' is not a whole number >= 0");
	bad("interval: 300.0\n",
	    "1: key 'interval': '300.0' is not a whole number >= 0");
	bad("interval: 0x12c\n",
	    "1: key 'interval': '0x12c' is not a whole number >= 0");
	bad("interval: +300\n",
	    "1: key 'interval': '+300' is not a whole number >= 0");
	bad("interval: ' 300'\n",
	    "1: key 'interval': ' 300' is not a whole number >= 0");
	bad("interval: '300 '\n",
	    "1: key 'interval': '300 ' is not a whole number >= 0");
	bad("interval: 0300\n", "1: key 'interval': '0300': a number cannot "
	    "start with 0 (YAML 1.1 would read it as octal)");
	bad("interval: 18446744073709551616\n", "1: key 'interval': "
	    "'18446744073709551616' is too large");
	bad("interval: 18446744073709551615\n", "1: key 'interval': "
	    "18446744073709551615 is out of range 1..86400 (time bin length "
	    "in seconds, a divisor of 86400)");
	bad("interval: 4294967596\n", "1: key 'interval': 4294967596 is out "
	    "of range 1..86400 (time bin length in seconds, a divisor of "
	    "86400)");
	bad("interval: 5m\n",
	    "1: key 'interval': '5m' is not a whole number >= 0");
	bad("queue_rows: 1e6\n",
	    "1: key 'queue_rows': '1e6' is not a whole number >= 0");
	bad("interfaces:\n  eth0:\n    snaplen: 192 # bytes\n    max_flows: "
	    "1_000_000\n", "4: key 'interfaces.eth0.max_flows': '1_000_000' "
	    "is not a whole number >= 0");
	bad("interval:\n", "1: key 'interval': no value; leave the key out "
	    "for the default 300");
	bad("interval: ~\n", "1: key 'interval': no value ('~' is YAML's "
	    "null); leave the key out for the default 300");
	bad("db_path: ~\n", "1: key 'db_path': no value ('~' is YAML's "
	    "null); leave the key out for the default /var/lib/flowrec");
	bad("db_path: null\n", "1: key 'db_path': no value ('null' is YAML's "
	    "null); leave the key out for the default /var/lib/flowrec");
	bad("db_path:\n", "1: key 'db_path': no value; leave the key out for "
	    "the default /var/lib/flowrec");
	bad("db_path: '~'\n", "1: key 'db_path': '~': '~' is not expanded "
	    "here; write the path out in full");
	bad("db_path: ~/flows\n", "1: key 'db_path': '~/flows': '~' is not "
	    "expanded here; write the path out in full");
	bad("db_path: \"/a\\0b\"\n", "1: key 'db_path': contains a NUL byte");
	bad("log: {level: ~}\n", "1: key 'log.level': no value ('~' is "
	    "YAML's null); leave the key out for the default info");
	bad("interfaces:\n  eth0: {promisc: ~}\n", "2: key "
	    "'interfaces.eth0.promisc': no value ('~' is YAML's null); leave "
	    "the key out for the default false");
	bad("interfaces:\n  eth0: {promisc: maybe}\n", "2: key "
	    "'interfaces.eth0.promisc': 'maybe' is not true or false");

	/* Quoted numbers are numbers; a quoted ~ is a string. */
	e = load("interval: '60'\nqueue_rows: \"1000\"\n", &c);
	ok(e == NULL && c && c->interval == 60 && c->queue_rows == 1000,
	    "quoted numbers load");
	conf_free(c);
	c = NULL;
	e = load("interfaces: ~\nlog: ~\n", &c);
	ok(e == NULL && c && c->nifaces == 0 && c->log_level ==
	    LOG_LEVEL_INFO, "null sections: their defaults (%s)", e ? e : "");
	conf_free(c);
	c = NULL;
	e = load("~\n", &c);
	ok(e == NULL && c && c->interval == 300, "a null document: defaults");
	conf_free(c);
	c = NULL;
	e = load("# nothing but a comment\n", &c);
	ok(e == NULL && c && c->interval == 300, "comments only: defaults");
	conf_free(c);
	c = NULL;
	e = load("interfaces:\n  eth0:\n    enabled: NO\n    promisc: On\n",
	    &c);
	ok(e == NULL && c && c->nifaces == 1 && !c->ifaces[0].enabled &&
	    c->ifaces[0].promisc, "booleans in any case");
	conf_free(c);

	bad("a: &x 1\nb: *x\n", "1: key 'a': unknown key (known here: "
	    "db_path, interval, queue_rows, log, interfaces, retention, autodetect, export, api)");
	bad("interval: &x 60\nqueue_rows: *x\n", "2: key 'queue_rows': "
	    "aliases (*name) are not supported");
	bad("interval: 60\n---\ninterval: 60\n",
	    "2: more than one YAML document (a second '---')");
	bad("? [a, b]\n: 1\n", "1: expected a key, got a list");
	bad("interval: [60\n", "2: YAML syntax: did not find expected ',' "
	    "or ']'");
	bad("interval: 60\ninterval: 7\n", "2: key 'interval': given twice "
	    "(first on line 1)");
	bad("interval: 7\ninterval: 60\n", "1: key 'interval': 7 does not "
	    "divide a day (86400 s)");
}

/* Item 6 of issue 11: interface names checked by names_check_iface(). */
static void
test_names(void)
{
	struct conf *c = NULL;
	char *e;

	bad("interfaces:\n  ../../evil:\n", "2: key 'interfaces.../../evil': "
	    "an interface name cannot contain '/'");
	bad("interfaces:\n  ..:\n",
	    "2: key 'interfaces...': '..' is not an interface name");
	bad("interfaces:\n  eth0:\n  'eth0:1':\n",
	    "3: key 'interfaces.eth0:1': an interface name cannot contain ':'");
	bad("interfaces:\n  'eth 0':\n",
	    "2: key 'interfaces.eth 0': an interface name cannot contain "
	    "white space");
	bad("interfaces:\n  catalog.db:\n", "2: key 'interfaces.catalog.db': "
	    "'catalog.db' is a file of the store, not an interface name");
	bad("interfaces:\n  \"\\e[31mred\":\n", "2: key "
	    "'interfaces.\\x1b[31mred': a name cannot contain control "
	    "characters");
	bad("interfaces:\n  \"a\\u202eb\":\n", "2: key "
	    "'interfaces.a\\xe2\\x80\\xaeb': an interface name cannot contain "
	    "control or invisible characters");
	bad("interfaces:\n  '':\n",
	    "2: key 'interfaces.': a name cannot be empty");
	bad("interfaces:\n  ~:\n", "2: key 'interfaces.~': '~' is YAML's "
	    "null, not a name (quote it to mean the name)");
	bad("interfaces:\n  null: {}\n", "2: key 'interfaces.null': 'null' "
	    "is YAML's null, not a name (quote it to mean the name)");
	e = load("interfaces:\n  eth0.100:\n    promisc: true\n  eth0:\n  "
	    "ring: {snaplen: 128}\n", &c);
	ok(e == NULL && c && c->nifaces == 3, "names with dots (%s)",
	    e ? e : "");
	if (c != NULL && c->nifaces == 3) {
		ok(c->ifaces[0].promisc && !c->ifaces[1].promisc,
		    "eth0.100 is not eth0");
		ok(c->ifaces[1].block_size == 1048576 &&
		    c->ifaces[2].snaplen == 128, "an interface called 'ring' "
		    "is not eth0's ring section");
		is_int(c->ifaces[2].line, 5, "its line");
	}
	conf_free(c);
	free(e);
}
/* ------------------------------------------- the engine's own types */

/*
 * A table of the shapes the coming keys need (api.tokens, retention's
 * SIZE, archive's enum and durations, /regex/ interface names, global
 * values per interface).
 */
struct t_limits {
	uint64_t	 body;		/* SIZE */
	uint32_t	 idle;		/* SECONDS */
	char		**tokens;	/* STRLIST */
	size_t		 ntokens;
};

struct t_entry {
	char		*name;
	unsigned	 line;
	uint64_t	 keep;		/* inherits */
	struct t_limits	 lim;		/* inherits, a whole section */
	int		 mode;		/* its own default */
	char		**exclude;
	size_t		 nexclude;
};

struct t_root {
	uint64_t	 keep;
	struct t_limits	 lim;
	char		*listen;
	int		 mode;
	struct t_entry	*e;
	size_t		 ne;
};

static int
t_check_token(const char *s, char **why)
{
	if (strlen(s) < 4)
		return util_cause(why, -EINVAL, "a token has 4 bytes or more");
	return 0;
}

static const struct conftab_choice t_modes[] = {
	{ "none", 0 }, { "netblock", 1 }, { NULL, 0 }
};

static const struct conftab_key t_limit_keys[] = {
	{ .name = "body", .type = CONFTAB_SIZE,
	  CONFTAB_FIELD(struct t_limits, body), .min = 1024,
	  .max = 1ull << 40, .def = "1M", .help = "largest body" },
	{ .name = "idle", .type = CONFTAB_SECONDS,
	  CONFTAB_FIELD(struct t_limits, idle), .min = 1, .max = 86400,
	  .def = "5m", .help = "idle timeout" },
	{ .name = "tokens", .type = CONFTAB_STRLIST,
	  CONFTAB_FIELD(struct t_limits, tokens),
	  .count_offset = offsetof(struct t_limits, ntokens), .max = 4,
	  .check_str = t_check_token, .help = "bearer tokens" },
	{ .name = NULL }
};

static const struct conftab_section t_limits = {
	.keys = t_limit_keys, .size = sizeof(struct t_limits),
};

static const struct conftab_key t_entry_keys[] = {
	{ .name = "keep", .type = CONFTAB_SIZE, .flags = CONFTAB_INHERIT,
	  CONFTAB_FIELD(struct t_entry, keep), .max = UINT64_MAX,
	  .def = "1G", .help = "bytes kept" },
	{ .name = "api", .type = CONFTAB_SECTION, .flags = CONFTAB_INHERIT,
	  CONFTAB_FIELD(struct t_entry, lim), .sub = &t_limits,
	  .help = "limits" },
	{ .name = "mode", .type = CONFTAB_ENUM,
	  CONFTAB_FIELD(struct t_entry, mode), .choices = t_modes,
	  .def = "none", .help = "anonymisation" },
	{ .name = "exclude", .type = CONFTAB_STRLIST,
	  CONFTAB_FIELD(struct t_entry, exclude),
	  .count_offset = offsetof(struct t_entry, nexclude),
	  .help = "names left out" },
	{ .name = NULL }
};

static const struct conftab_section t_entry = {
	.keys = t_entry_keys, .size = sizeof(struct t_entry),
	.name_offset = offsetof(struct t_entry, name),
	.line_offset = offsetof(struct t_entry, line),
};

static const struct conftab_key t_root_keys[] = {
	{ .name = "keep", .type = CONFTAB_SIZE,
	  CONFTAB_FIELD(struct t_root, keep), .max = UINT64_MAX,
	  .def = "1G", .help = "bytes kept" },
	{ .name = "api", .type = CONFTAB_SECTION,
	  CONFTAB_FIELD(struct t_root, lim), .sub = &t_limits,
	  .help = "limits" },
	{ .name = "listen", .type = CONFTAB_STRING,
	  CONFTAB_FIELD(struct t_root, listen), .min = 1, .max = 64,
	  .help = "host:port" },
	{ .name = "mode", .type = CONFTAB_ENUM,
	  CONFTAB_FIELD(struct t_root, mode), .choices = t_modes,
	  .def = "none", .help = "anonymisation" },
	{ .name = "ifaces", .type = CONFTAB_MAP,
	  CONFTAB_FIELD(struct t_root, e),
	  .count_offset = offsetof(struct t_root, ne), .max = 3,
	  .sub = &t_entry, .help = "interfaces" },
	{ .name = NULL }
};

static const struct conftab_section t_root = {
	.keys = t_root_keys, .size = sizeof(struct t_root),
};

/* Load text against t_root: NULL and *out set, or the message. */
static char *
t_load(const char *text, struct t_root **out)
{
	void *data = NULL;
	char *cause = NULL;

	*out = NULL;
	if (conftab_load(&t_root, "t.yaml", text, strlen(text), &data,
	    &cause) != 0)
		return cause;
	*out = data;
	return NULL;
}

static void
t_bad(const char *text, const char *want)
{
	struct t_root *r;
	char *got = t_load(text, &r), *full = util_printf("t.yaml:%s", want);

	is_str(got, full, "types, bad: %s", want);
	conftab_free(&t_root, r);
	free(got);
	free(full);
}

static void
test_types(void)
{
	struct t_root *r = NULL, *r2 = NULL;
	const struct t_entry *a, *b, *x;
	char *e, *why = NULL;
	uint64_t v;
	static const char *text =
	    "keep: 10G\n"
	    "api:\n"
	    "  body: 2M\n"
	    "  idle: 90s\n"
	    "  tokens: [abcd, \"efgh\"]\n"
	    "listen: \"127.0.0.1:8080\"\n"
	    "ifaces:\n"
	    "  a:\n"
	    "  b:\n"
	    "    keep: 512K\n"
	    "    api: {idle: 1h}\n"
	    "    exclude:\n"
	    "      - x\n"
	    "      - 'y z'\n"
	    "  /eth[0-9]+/:\n"
	    "    mode: netblock\n"
	    "    api: {tokens: []}\n";

	/* The parsers alone. */
	ok(conftab_parse_size("0", &v, NULL) == 0 && v == 0, "size 0");
	ok(conftab_parse_size("4096", &v, NULL) == 0 && v == 4096, "size 4096");
	ok(conftab_parse_size("64K", &v, NULL) == 0 && v == 65536, "size 64K");
	ok(conftab_parse_size("3m", &v, NULL) == 0 && v == 3 << 20, "size 3m");
	ok(conftab_parse_size("10G", &v, NULL) == 0 && v == 10ull << 30,
	    "size 10G");
	ok(conftab_parse_size("2T", &v, NULL) == 0 && v == 2ull << 40,
	    "size 2T");
	ok(conftab_parse_size("16777215T", &v, NULL) == 0 &&
	    v == 16777215ull << 40, "the largest T");
	is_int(conftab_parse_size("16777216T", &v, &why), -EINVAL,
	    "2^64 bytes in T");
	is_str(why, "'16777216T' is too large", "  is too large");
	is_int(conftab_parse_size("1.5G", &v, &why), -EINVAL, "size 1.5G");
	is_str(why, "'1.5G' is not a size (bytes, or a whole number with K, "
	    "M, G or T)", "  its reason");
	ok(conftab_parse_size("10GB", &v, NULL) == -EINVAL, "size 10GB");
	ok(conftab_parse_size("10 G", &v, NULL) == -EINVAL, "size '10 G'");
	ok(conftab_parse_size("G", &v, NULL) == -EINVAL, "size G");
	ok(conftab_parse_size("10P", &v, NULL) == -EINVAL, "size 10P");
	ok(conftab_parse_size("", &v, NULL) == -EINVAL, "size ''");
	ok(conftab_parse_seconds("90", &v, NULL) == 0 && v == 90, "90");
	ok(conftab_parse_seconds("90s", &v, NULL) == 0 && v == 90, "90s");
	ok(conftab_parse_seconds("5m", &v, NULL) == 0 && v == 300, "5m");
	ok(conftab_parse_seconds("2h", &v, NULL) == 0 && v == 7200, "2h");
	ok(conftab_parse_seconds("30d", &v, NULL) == 0 && v == 2592000, "30d");
	is_int(conftab_parse_seconds("1w", &v, &why), -EINVAL, "1w");
	is_str(why, "'1w' is not a duration (seconds, or a whole number with "
	    "s, m, h or d)", "  its reason");
	ok(conftab_parse_seconds("1h30m", &v, NULL) == -EINVAL, "1h30m");
	ok(conftab_parse_uint("18446744073709551615", &v, NULL) == 0 &&
	    v == UINT64_MAX, "UINT64_MAX");
	free(why);

	e = t_load(text, &r);
	ok(e == NULL && r != NULL, "the types load (%s)", e ? e : "");
	free(e);
	if (r == NULL)
		return;
	is_int(r->keep, 10ull << 30, "keep: 10G");
	is_int(r->lim.body, 2 << 20, "api.body: 2M");
	is_int(r->lim.idle, 90, "api.idle: 90s");
	ok(r->lim.ntokens == 2 && strcmp(r->lim.tokens[0], "abcd") == 0 &&
	    strcmp(r->lim.tokens[1], "efgh") == 0, "api.tokens");
	is_str(r->listen, "127.0.0.1:8080", "listen");
	is_int(r->mode, 0, "mode: its default");
	is_int(r->ne, 3, "three entries, /regex/ names included");
	if (r->ne == 3) {
		a = &r->e[0];
		b = &r->e[1];
		x = &r->e[2];
		is_str(a->name, "a", "entry a");
		is_int(a->line, 8, "a's line");
		is_int(a->keep, 10ull << 30, "a inherits keep");
		ok(a->lim.body == 2 << 20 && a->lim.idle == 90 &&
		    a->lim.ntokens == 2 && strcmp(a->lim.tokens[1], "efgh") ==
		    0 && a->lim.tokens != r->lim.tokens, "a inherits api, "
		    "copied");
		is_int(a->mode, 0, "a: mode is not inherited");
		is_int(a->nexclude, 0, "a: no exclude");
		is_int(b->keep, 512 << 10, "b's own keep");
		ok(b->lim.idle == 3600 && b->lim.body == 2 << 20 &&
		    b->lim.ntokens == 2, "b: its idle, the rest of api "
		    "inherited key by key");
		ok(b->nexclude == 2 && strcmp(b->exclude[1], "y z") == 0,
		    "b: exclude list");
		is_str(x->name, "/eth[0-9]+/", "a /regex/ name");
		ok(x->mode == 1 && x->lim.ntokens == 0 && x->lim.tokens ==
		    NULL, "x: an empty list given is not inherited");
	}
	e = t_load(text, &r2);
	ok(e == NULL && conftab_same(&t_root, r, r2), "same text, same");
	free(e);
	if (r2 != NULL && r2->ne == 3) {
		r2->e[1].lim.idle = 60;
		ok(!conftab_same(&t_root, r, r2), "one value in an entry's "
		    "section differs");
		ok(!conftab_same(&t_entry, &r->e[1], &r2->e[1]) &&
		    conftab_same(&t_entry, &r->e[0], &r2->e[0]), "entries "
		    "compared alone");
	}
	conftab_free(&t_root, r2);
	if (r->ne == 3) {
		x = conftab_append(&t_root, r, "ifaces", "late");
		ok(r->ne == 4 && x == &r->e[3] && strcmp(x->name, "late") ==
		    0 && x->keep == 10ull << 30 && x->lim.idle == 90 &&
		    x->lim.ntokens == 2 && x->mode == 0 && x->line == 0,
		    "conftab_append(): an entry as if listed bare, inheriting");
	}
	conftab_free(&t_root, r);

	e = t_load("", &r);
	ok(e == NULL && r && r->keep == 1ull << 30 && r->lim.body == 1 << 20 &&
	    r->lim.idle == 300 && r->lim.ntokens == 0 && r->listen == NULL &&
	    r->ne == 0, "an empty file: the defaults, as written");
	conftab_free(&t_root, r);
	free(e);

	t_bad("keep: 10X\n", "1: key 'keep': '10X' is not a size (bytes, or "
	    "a whole number with K, M, G or T)");
	t_bad("keep: 10GB\n", "1: key 'keep': '10GB' is not a size (bytes, "
	    "or a whole number with K, M, G or T)");
	t_bad("keep: -1\n", "1: key 'keep': '-1' is not a size (bytes, or a "
	    "whole number with K, M, G or T)");
	t_bad("api:\n  body: 1\n", "2: key 'api.body': 1 is out of range "
	    "1024..1099511627776 (largest body)");
	t_bad("api:\n  body: 2T\n", "2: key 'api.body': 2T is out of range "
	    "1024..1099511627776 (largest body)");
	t_bad("api: {idle: 2d}\n", "1: key 'api.idle': 2d is out of range "
	    "1..86400 (idle timeout)");
	t_bad("api: {idle: 5w}\n", "1: key 'api.idle': '5w' is not a duration "
	    "(seconds, or a whole number with s, m, h or d)");
	t_bad("api: {tokens: abcd}\n", "1: key 'api.tokens': expected a list, "
	    "got a single value");
	t_bad("api: {tokens: [abcd, [x]]}\n", "1: key 'api.tokens': expected "
	    "a list of single values, got a list in it");
	t_bad("api:\n  tokens:\n    - abcd\n    - abc\n", "4: key "
	    "'api.tokens': entry 2: a token has 4 bytes or more");
	t_bad("api:\n  tokens:\n    - abcd\n    -\n", "4: key 'api.tokens': "
	    "entry 2 has no value");
	t_bad("api: {tokens: [aaaa, bbbb, cccc, dddd, eeee]}\n", "1: key "
	    "'api.tokens': more than 4 entries");
	t_bad("api: {tokens: [aaaa, '']}\n", "1: key 'api.tokens': entry 2: "
	    "must not be empty (bearer tokens)");
	t_bad("api: {colour: 1}\n", "1: key 'api.colour': unknown key (known "
	    "here: body, idle, tokens)");
	t_bad("mode: NETBLOCK\n", "1: key 'mode': 'NETBLOCK' is not one of "
	    "none|netblock");
	t_bad("listen: ''\n", "1: key 'listen': must not be empty (host:port)");
	t_bad("listen: \"\\e]0;x\"\n", "1: key 'listen': '\\x1b]0;x' "
	    "contains a control character");
	t_bad("api: {tokens: [\"abc\\td\"]}\n", "1: key 'api.tokens': "
	    "entry 1: 'abc\\x09d' contains a control character");
	t_bad("ifaces:\n  a:\n  b:\n  c:\n  d:\n",
	    "5: key 'ifaces': more than 3 entries");
	t_bad("ifaces:\n  a: {keep: ~}\n", "2: key 'ifaces.a.keep': no value "
	    "('~' is YAML's null); leave the key out for the default 1G");
	t_bad("ifaces:\n  a: {api: {tokens: [x]}}\n", "2: key "
	    "'ifaces.a.api.tokens': entry 1: a token has 4 bytes or more");
}
/* ------------------------------------------------ the table itself */

struct t_walk {
	const struct conftab_section *root;
	int		 bad;
};

static void
t_row_sound(const char *path, const struct conftab_key *k, void *arg)
{
	struct t_walk *w = arg;
	const struct conftab_key *twin;
	const char *p, *star;
	char *why = NULL, *beside;
	uint64_t v, fits;
	int b, n = 0;

	for (p = k->name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '_'))
			n++;
	if (*k->name == '\0' || n != 0 || k->help == NULL) {
		ok(0, "%s: a name of [a-z0-9_] and a help text", path);
		w->bad++;
	}
	switch (k->type) {
	case CONFTAB_UINT:
	case CONFTAB_SIZE:
	case CONFTAB_SECONDS:
		fits = k->size == 4 ? UINT32_MAX : k->size == 8 ? UINT64_MAX :
		    0;
		if (fits == 0 || k->min > k->max || k->max > fits ||
		    k->def == NULL) {
			ok(0, "%s: size 4 or 8, min <= max <= what fits, a "
			    "default", path);
			w->bad++;
			break;
		}
		if ((k->type == CONFTAB_SIZE ? conftab_parse_size(k->def, &v,
		    &why) : k->type == CONFTAB_SECONDS ?
		    conftab_parse_seconds(k->def, &v, &why) :
		    conftab_parse_uint(k->def, &v, &why)) != 0 || v < k->min ||
		    v > k->max || (k->check_num && k->check_num(v, &why))) {
			ok(0, "%s: default '%s' parses, in range, checked (%s)",
			    path, k->def, why ? why : "");
			w->bad++;
		}
		break;
	case CONFTAB_BOOL:
	case CONFTAB_ENUM:
		if (k->size != sizeof(int) || k->def == NULL ||
		    (k->type == CONFTAB_BOOL ? conftab_parse_bool(k->def, &b,
		    &why) : conftab_parse_enum(k, k->def, &b, &why)) != 0) {
			ok(0, "%s: an int with a default that parses (%s)",
			    path, why ? why : "");
			w->bad++;
		}
		break;
	case CONFTAB_STRING:
	case CONFTAB_PATH:
		if (k->size != sizeof(char *) || (k->def != NULL &&
		    (strlen(k->def) < k->min || (k->max != 0 &&
		    strlen(k->def) > k->max)))) {
			ok(0, "%s: a char * and a default of its length", path);
			w->bad++;
		}
		break;
	case CONFTAB_STRLIST:
		if (k->size != sizeof(char **) || k->def != NULL) {
			ok(0, "%s: a char ** without a default", path);
			w->bad++;
		}
		break;
	case CONFTAB_SECTION:
	case CONFTAB_MAP:
		if (k->sub == NULL || (k->type == CONFTAB_MAP &&
		    (k->sub->size == 0 || k->size != sizeof(void *)))) {
			ok(0, "%s: a section, a sized entry", path);
			w->bad++;
		}
		break;
	}
	/* An inheriting key has a twin of its type beside its map. */
	if (k->flags & CONFTAB_INHERIT) {
		star = strstr(path, ".*.");
		for (p = star; p != NULL && p > path && p[-1] != '.'; p--)
			;
		beside = star == NULL ? NULL : util_printf("%.*s%s",
		    (int)(p - path), path, star + 3);
		twin = beside ? conftab_find(w->root, beside) : NULL;
		if (twin == NULL || twin->type != k->type || twin->sub !=
		    k->sub || strchr(star + 3, '.') != NULL) {
			ok(0, "%s: inherits from %s", path, beside ? beside :
			    "nothing");
			w->bad++;
		}
		free(beside);
	}
	free(why);
}

static void
test_table(void)
{
	struct t_walk w = { &conf_table, 0 };
	struct conf *c;

	conftab_walk(&conf_table, t_row_sound, &w);
	ok(w.bad == 0, "every row of flowrecd.yaml's table is sound");
	w.root = &t_root;
	w.bad = 0;
	conftab_walk(&t_root, t_row_sound, &w);
	ok(w.bad == 0, "every row of the types' table is sound");

	ok(conftab_find(&conf_table, "interfaces.*.ring.block_size") != NULL &&
	    conftab_find(&conf_table, "log.level") != NULL &&
	    conftab_find(&conf_table, "interfaces.eth0.snaplen") == NULL &&
	    conftab_find(&conf_table, "interfaces.*") == NULL &&
	    conftab_find(&conf_table, "nothing") == NULL, "conftab_find()");
	is_str(conf_default("db_path"), "/var/lib/flowrec", "conf_default()");
	is_str(conf_default("interfaces.*.max_flows"), "1000000",
	    "conf_default() per interface");

	c = conf_new_default();
	ok(c->interval == 300 && c->queue_rows == 4000000 &&
	    strcmp(c->db_path, "/var/lib/flowrec") == 0 &&
	    c->log_level == LOG_LEVEL_INFO && !c->log_syslog && c->nifaces == 0,
	    "conf_new_default(): the table's defaults");
	conf_add_iface(c, "eth9");
	ok(c->nifaces == 1 && c->ifaces[0].enabled && !c->ifaces[0].promisc &&
	    c->ifaces[0].snaplen == 192 && c->ifaces[0].max_flows == 1000000 &&
	    c->ifaces[0].block_size == 1048576 &&
	    c->ifaces[0].block_count == 64 && c->ifaces[0].retire_ms == 100 &&
	    c->ifaces[0].line == 0, "conf_add_iface(): the table's defaults");
	conf_free(c);
}

/* ----------------------------------- the docs say what the table says */

static char *
t_slurp(const char *rel)
{
	const char *top = getenv("top_srcdir");
	char *path = util_printf("%s/%s", top ? top : ".", rel), *buf;
	FILE *f = fopen(path, "r");
	size_t n = 0, cap = 65536;

	free(path);
	if (f == NULL)
		return NULL;
	buf = util_malloc(cap);
	while ((n += fread(buf + n, 1, cap - 1 - n, f)) == cap - 1)
		buf = util_realloc(buf, cap *= 2, 1);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/*
 * The text of the mdoc list item that starts with head (".It Ic name"),
 * up to the next .It or .El, each line's leading macro dropped, joined
 * with spaces.  NULL when there is none.
 */
static char *
t_item(const char *man, const char *head)
{
	const char *p = man, *e;
	char *out, *o;
	size_t hl = strlen(head);

	for (;;) {
		if ((p = strstr(p, head)) == NULL)
			return NULL;
		if ((p == man || p[-1] == '\n') && (p[hl] == ' ' ||
		    p[hl] == '\n'))
			break;
		p += hl;
	}
	p += hl;
	o = out = util_malloc(strlen(p) + 1);
	while (*p != '\0') {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		if (p[0] == '.' && (strncmp(p, ".It", 3) == 0 ||
		    strncmp(p, ".El", 3) == 0) && p != man)
			break;
		if (p[0] == '.') {
			/* ".Pa /var/lib/flowrec ." -> "/var/lib/flowrec ." */
			while (p < e && *p != ' ')
				p++;
			if (p < e)
				p++;
		}
		memcpy(o, p, (size_t)(e - p));
		o += e - p;
		*o++ = ' ';
		p = *e ? e + 1 : e;
	}
	*o = '\0';
	return out;
}

/* Does text say "Default X" (any case) with X ending at a word end? */
static int
t_says(const char *text, const char *word, const char *value)
{
	char *want = util_printf("%s %s", word, value);
	const char *p = text, *after;
	size_t n = strlen(want);
	int found = 0;

	while (!found && (p = strcasestr(p, want)) != NULL) {
		after = p + n;
		found = !((*after >= 'a' && *after <= 'z') || (*after >= 'A' &&
		    *after <= 'Z') || (*after >= '0' && *after <= '9'));
		p++;
	}
	free(want);
	return found;
}

struct t_doc {
	char		*man, *example;
	int		 bad, rows;
};

static void
t_row_documented(const char *path, const struct conftab_key *k, void *arg)
{
	struct t_doc *d = arg;
	const struct conftab_choice *ch, *prev;
	char *head = util_printf(".It Ic %s", k->name), *item, *range, *line;
	int shown;

	d->rows++;
	item = t_item(d->man, head);
	if (item == NULL) {
		ok(0, "flowrecd.yaml.5 documents %s (%s)", path, head);
		d->bad++;
		goto example;
	}
	/*
	 * Keys of one name in two sections (interfaces.*.enabled,
	 * autodetect.enabled) have an item each: the one saying the
	 * row's default is this row's.
	 */
	if (k->def != NULL && !t_says(item, "Default", k->def)) {
		const char *at = d->man, *hit;
		char *other;

		while ((hit = strstr(at + 1, head)) != NULL) {
			at = hit;
			if (hit[-1] != '\n' || (other = t_item(hit, head)) ==
			    NULL)
				continue;
			if (t_says(other, "Default", k->def)) {
				free(item);
				item = other;
				break;
			}
			free(other);
		}
	}
	if (k->def != NULL && !t_says(item, "Default", k->def)) {
		ok(0, "flowrecd.yaml.5: %s says 'Default %s'", path, k->def);
		d->bad++;
	}
	if (k->type == CONFTAB_UINT || k->type == CONFTAB_SIZE ||
	    k->type == CONFTAB_SECONDS) {
		range = util_printf("%llu to %llu", (unsigned long long)k->min,
		    (unsigned long long)k->max);
		if (strstr(item, range) == NULL) {
			ok(0, "flowrecd.yaml.5: %s says '%s'", path, range);
			d->bad++;
		}
		free(range);
	}
	if (k->type == CONFTAB_ENUM)
		for (ch = k->choices; ch->name != NULL; ch++) {
			/* Aliases (a value named before) need not be. */
			for (prev = k->choices, shown = 0; prev < ch; prev++)
				shown |= prev->value == ch->value;
			if (!shown && strstr(item, ch->name) == NULL) {
				ok(0, "flowrecd.yaml.5: %s names %s", path,
				    ch->name);
				d->bad++;
			}
		}
	free(item);
example:
	/* Every key in the example, as "name:" at the start of a line. */
	line = util_printf("\n%s:", k->name);
	if (strstr(d->example, line) == NULL) {
		free(line);
		line = util_printf(" %s:", k->name);
		if (strstr(d->example, line) == NULL) {
			ok(0, "examples/flowrecd.yaml has %s", path);
			d->bad++;
		}
	}
	free(line);
	free(head);
}

/* The .It Ic keys of the man page's key lists are keys of the table. */
static void
t_man_keys_known(const char *man, int *bad)
{
	const char *p = man;
	char name[64];
	const struct conftab_key *k;
	size_t n;

	while ((p = strstr(p, "\n.It Ic ")) != NULL) {
		p += 8;
		n = strcspn(p, " \n");
		if (n >= sizeof name)
			n = sizeof name - 1;
		memcpy(name, p, n);
		name[n] = '\0';
		k = conftab_find(&conf_table, name);
		if (k == NULL) {
			static const char *const in[] = { "log.%s",
			    "interfaces.*.%s", "interfaces.*.ring.%s",
			    "interfaces.*.archive.%s",
			    "interfaces.*.headers.%s",
			    "retention.%s", "autodetect.%s", "export.%s",
			    "export.ipfix.%s", "export.clickhouse.%s",
			    "api.%s" };
			size_t j;
			char *a;

			for (j = 0; k == NULL && j < sizeof in / sizeof in[0];
			    j++) {
				a = util_printf(in[j], name);
				k = conftab_find(&conf_table, a);
				free(a);
			}
		}
		if (k == NULL) {
			ok(0, "flowrecd.yaml.5 documents '%s', not a key", name);
			(*bad)++;
		}
	}
}

/* api: the listener keys checked together; secrets never printed. */
static void
test_api(void)
{
	struct conf *c = NULL, *d;
	char *e, *text;
	json_t *j;

	e = load("api:\n"
	    "  socket: /run/x/api.sock\n"
	    "  listen: \"[::1]:8145\"\n"
	    "  tokens: [\"0123456789abcdef\", \"another-token-of-length\"]\n"
	    "  max_body: 2M\n"
	    "  timeout: 1m\n"
	    "  metrics_iface_label: false\n"
	    "export:\n  clickhouse:\n    url: http://ch:8123/\n"
	    "    password: pa55word\n", &c);
	ok(e == NULL && c != NULL, "an api section loads%s%s", e ? ": " : "",
	    e ? e : "");
	free(e);
	if (c != NULL) {
		ok(strcmp(c->api.listen, "[::1]:8145") == 0 &&
		    c->api.ntokens == 2 && c->api.max_body == 2 << 20 &&
		    c->api.timeout == 60 && !c->api.metrics_iface_label &&
		    c->api.max_queries == 4 && c->api.max_connections == 64 &&
		    strcmp(c->api.socket_group, "flowrec") == 0,
		    "api: as written, the rest its defaults");
		j = conf_json(c);
		text = json_dumps(j, JSON_COMPACT);
		ok(text != NULL && strstr(text, "0123456789abcdef") == NULL &&
		    strstr(text, "pa55word") == NULL &&
		    strstr(text, "\"tokens\":[\"********\",\"********\"]") !=
		    NULL && strstr(text, "\"password\":\"********\"") != NULL,
		    "conf_json() hides the tokens and the password");
		ok(text != NULL && strstr(text, "\"listen\":\"[::1]:8145\"") !=
		    NULL && strstr(text, "\"max_body\":2097152") != NULL &&
		    strstr(text, "\"metrics_iface_label\":false") != NULL &&
		    strstr(text, "\"level\":\"info\"") != NULL,
		    "conf_json(): strings, sizes, booleans, enums by name");
		free(text);
		json_decref(j);
	}
	d = conf_new_default();
	ok(strcmp(d->api.socket, "/run/flowrec/flowrecd.sock") == 0 &&
	    d->api.listen == NULL && d->api.ntokens == 0,
	    "by default: the socket, no TCP");
	ok(c != NULL && !conf_api_same(&c->api, &d->api) &&
	    conf_api_same(&d->api, &d->api), "conf_api_same() tells a change");
	conf_free(c);
	conf_free(d);

	bad("api:\n  listen: 127.0.0.1:8145\n",
	    "1: key 'api.tokens': listen needs at least one token: every TCP "
	    "request must carry one");
	bad("api:\n  listen: 127.0.0.1:8145\n  tokens: [short]\n",
	    "3: key 'api.tokens': entry 1: a token of 5 characters; want 16 to "
	    "256");
	bad("api:\n  listen: 127.0.0.1:99999\n  tokens: [0123456789abcdef]\n",
	    "2: key 'api.listen': '127.0.0.1:99999': the port is not 1 to 65535");
	bad("api:\n  listen: localhost\n  tokens: [0123456789abcdef]\n",
	    "2: key 'api.listen': 'localhost': want HOST:PORT");
	bad("api:\n  socket: run/api.sock\n",
	    "2: key 'api.socket': 'run/api.sock': an absolute path, or none");
	bad("api:\n  tls_cert: /etc/c.pem\n",
	    "1: key 'api.tls_key': tls_cert and tls_key go together");
	bad("api:\n  tls_cert: /etc/c.pem\n  tls_key: /etc/k.pem\n",
	    "2: key 'api.tls_cert': TLS is for the TCP listener: set listen "
	    "too");
}

/* export: the collectors' and the server's settings, checked as read. */
static void
test_export(void)
{
	struct conf *c = NULL, *d = NULL;
	char *e;

	e = load("export:\n"
	    "  ipfix:\n"
	    "    collectors: [\"udp://127.0.0.1:4739\", \"tcp://[::1]:4739\", "
	    "\"udp://collector.example\"]\n"
	    "    interfaces: [eth0, \"/^vlan[0-9]+$/\"]\n"
	    "    backfill: true\n"
	    "    mtu: 9000\n"
	    "    template_refresh: 5m\n"
	    "    rate: 0\n"
	    "  clickhouse:\n"
	    "    url: http://ch.example:8123/\n"
	    "    database: netflow\n"
	    "    table: flows_v1\n"
	    "    user: writer\n"
	    "    password: ''\n"
	    "    host: rec-1\n"
	    "    timeout: 2m\n"
	    "    retry_max: 10s\n", &c);
	ok(e == NULL && c != NULL, "an export section loads%s%s",
	    e ? ": " : "", e ? e : "");
	free(e);
	if (c != NULL) {
		ok(c->export.ipfix.ncollectors == 3 &&
		    strcmp(c->export.ipfix.collectors[1], "tcp://[::1]:4739")
		    == 0 && c->export.ipfix.nifaces == 2 &&
		    c->export.ipfix.backfill && c->export.ipfix.mtu == 9000 &&
		    c->export.ipfix.template_refresh == 300 &&
		    c->export.ipfix.rate == 0 &&
		    c->export.ipfix.retry_max == 60, "ipfix: as written, "
		    "retry_max its default");
		ok(strcmp(c->export.clickhouse.url, "http://ch.example:8123/")
		    == 0 && strcmp(c->export.clickhouse.database, "netflow") ==
		    0 && strcmp(c->export.clickhouse.password, "") == 0 &&
		    c->export.clickhouse.timeout == 120 &&
		    c->export.clickhouse.retry_max == 10 &&
		    c->export.clickhouse.rate == 100000 &&
		    !c->export.clickhouse.backfill, "clickhouse: as written, "
		    "rate and backfill their defaults");
	}
	d = conf_new_default();
	ok(d->export.ipfix.ncollectors == 0 && d->export.clickhouse.url ==
	    NULL && strcmp(d->export.clickhouse.table, "flows") == 0,
	    "no export by default");
	ok(c != NULL && !conf_export_same(&c->export, &d->export) &&
	    conf_export_same(&d->export, &d->export),
	    "conf_export_same() tells a change");
	conf_free(c);
	conf_free(d);

	bad("export:\n  ipfix:\n    collectors: [\"http://x:1\"]\n",
	    "3: key 'export.ipfix.collectors': entry 1: 'http://x:1': want "
	    "udp://HOST:PORT or tcp://HOST:PORT");
	bad("export:\n  ipfix:\n    collectors: [\"udp://::1:4739\"]\n",
	    "3: key 'export.ipfix.collectors': entry 1: 'udp://::1:4739': an IPv6 "
	    "address goes in brackets: [::1]:4739");
	bad("export:\n  ipfix:\n    collectors: [\"tcp://h:70000\"]\n",
	    "3: key 'export.ipfix.collectors': entry 1: 'tcp://h:70000': the port must "
	    "be a number from 1 to 65535");
	bad("export:\n  ipfix:\n    interfaces: [\"/a(/\"]\n",
	    "3: key 'export.ipfix.interfaces': entry 1: '/a(/' is not a regular "
	    "expression");
	bad("export:\n  ipfix:\n    mtu: 500\n",
	    "3: key 'export.ipfix.mtu': 500 is out of range 576..65535 (path "
	    "MTU to UDP collectors: each message fits in one datagram of it)");
	bad("export:\n  clickhouse:\n    url: ftp://h/\n",
	    "3: key 'export.clickhouse.url': 'ftp://h/': want "
	    "http://HOST:PORT/ or https://HOST:PORT/");
	bad("export:\n  clickhouse:\n    url: http://h/?user=x\n",
	    "3: key 'export.clickhouse.url': 'http://h/?user=x': no query or "
	    "fragment (database, user and password are keys of their own)");
	bad("export:\n  clickhouse:\n    table: \"flows; DROP\"\n",
	    "3: key 'export.clickhouse.table': 'flows; DROP': letters, digits "
	    "and '_', not starting with a digit");
	bad("export:\n  clickhouse:\n    database: 1st\n",
	    "3: key 'export.clickhouse.database': '1st': letters, digits and "
	    "'_', not starting with a digit");
	bad("export:\n  sflow: {}\n", "2: key 'export.sflow': unknown key "
	    "(known here: ipfix, clickhouse)");
}

static void
test_docs(void)
{
	struct t_doc d;
	struct conf *c = NULL, *want;
	char *e, *man8, *item, *path;
	const char *top = getenv("top_srcdir");
	static const struct { const char *head, *key; } opts[] = {
		{ ".It Fl -db Ar dir", "db_path" },
		{ ".It Fl -interval Ar seconds", "interval" },
		{ ".It Fl -max-flows Ar n", "interfaces.*.max_flows" },
	};
	size_t i;

	memset(&d, 0, sizeof d);
	d.man = t_slurp("man/flowrecd.yaml.5");
	d.example = t_slurp("examples/flowrecd.yaml");
	man8 = t_slurp("man/flowrecd.8");
	ok(d.man && d.example && man8, "the man pages and the example are "
	    "there (top_srcdir=%s)", top ? top : ".");
	if (d.man == NULL || d.example == NULL || man8 == NULL)
		return;
	conftab_walk(&conf_table, t_row_documented, &d);
	t_man_keys_known(d.man, &d.bad);
	ok(d.bad == 0 && d.rows > 10, "flowrecd.yaml.5 and the example "
	    "document every one of the %d keys with its default and bounds",
	    d.rows);

	for (i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		item = t_item(man8, opts[i].head);
		ok(item != NULL && t_says(item, "Default",
		    conf_default(opts[i].key)), "flowrecd.8: %s: default %s",
		    opts[i].head, conf_default(opts[i].key));
		free(item);
	}

	/* flowq(1) names the db_path it falls back to. */
	free(man8);
	man8 = t_slurp("man/flowq.1");
	item = man8 ? t_item(man8,
	    ".It Fl d Ar dir , Fl \\-db.path Ar dir Bq Fl \\-db-path") :
	    NULL;
	ok(item != NULL && strstr(item, conf_default("db_path")) != NULL,
	    "flowq.1: -d falls back to %s", conf_default("db_path"));
	free(item);

	/* The example loads, and every value it shows is the default. */
	path = util_printf("%s/examples/flowrecd.yaml", top ? top : ".");
	e = NULL;
	i = (size_t)conf_load(path, &c, &e);
	ok(i == 0, "examples/flowrecd.yaml loads (%s)", e ? e : "");
	want = conf_new_default();
	conf_add_iface(want, "eth0");
	conf_add_iface(want, "eth1");
	if (c != NULL) {
		c->ifaces[0].line = c->ifaces[1].line = 0;
		ok(conftab_same(&conf_table, c, want), "examples/flowrecd.yaml "
		    "shows the defaults (eth0 every key, eth1 none)");
	}
	conf_free(want);
	conf_free(c);
	free(e);
	free(path);
	free(d.man);
	free(d.example);
	free(man8);
}
int
main(void)
{
	int fd;

	snprintf(tmp_path, sizeof tmp_path, "/tmp/test_conf.XXXXXX");
	if ((fd = mkstemp(tmp_path)) < 0)
		return 1;
	close(fd);
	test_good();
	test_live();
	test_bad();
	test_strict();
	test_names();
	test_types();
	test_table();
	test_export();
	test_api();
	test_docs();
	unlink(tmp_path);
	return tap_done();
}
