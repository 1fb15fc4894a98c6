/*
 * test_conf.c - flowrecd.yaml: good files load with their defaults, and
 * each bad one gives exactly the message that names its line and key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"

static char path[64];

static void
put(const char *text)
{
	FILE *f = fopen(path, "w");

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
	if (conf_load(path, &c, &cause) != 0)
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
	char *got = load(text, NULL), *full = util_printf("%s:%s", path, want);

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
	    strcmp(c->db_path, CONF_DEFAULT_DB_PATH) == 0 &&
	    c->log_level == LOG_LEVEL_INFO && !c->log_syslog,
	    "empty file: defaults");
	conf_free(c);
	c = NULL;
	e = load("interval: 86400\nlog: {level: warning}\n", &c);
	ok(e == NULL && c && c->interval == 86400 &&
	    c->log_level == LOG_LEVEL_WARN, "interval of a day, 'warning'");
	conf_free(c);
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
	bad("colour: blue\n", "1: key 'colour': unknown key");
	bad("log:\n  level: loud\n",
	    "2: key 'log.level': 'loud' is not one of error|warn|warning|info|debug");
	bad("log:\n  target: file\n",
	    "2: key 'log.target': 'file' is not one of stderr|syslog");
	bad("log: yes\n", "1: key 'log': expected a mapping, got a single "
	    "value");
	bad("interfaces: [eth0]\n", "1: key 'interfaces': expected a mapping, "
	    "got a list");
	bad("interfaces:\n  eth0: 1\n",
	    "2: key 'interfaces.eth0': must be a mapping of interface settings");
	bad("interfaces:\n  eth0: [a]\n",
	    "2: key 'interfaces.eth0': must be a mapping of interface settings");
	bad("interfaces:\n  eth0:\n  eth0:\n",
	    "3: key 'interfaces.eth0': given twice (first on line 2)");
	bad("interfaces:\n  eth0:\n    speed: 10\n",
	    "3: key 'interfaces.eth0.speed': unknown key");
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
	    "4: key 'interfaces.eth0.ring.colour': unknown key");
	bad("interfaces:\n  averyveryverylongname:\n", "2: key "
	    "'interfaces.averyveryverylongname': an interface name has 1 to "
	    "15 characters");
	bad("interfaces:\n  'eth/0':\n",
	    "2: key 'interfaces.eth/0': an interface name cannot contain '/'");
	bad("interfaces:\n  eth0:\n    name: eth1\n",
	    "3: key 'interfaces.eth0.name': unknown key");
	bad("a: b: c\n",
	    "1: YAML syntax: mapping values are not allowed in this context");
	bad("interfaces:\n  eth0: {snaplen: 100\n",
	    "3: YAML syntax: did not find expected ',' or '}'");
	bad("- 1\n- 2\n", "1: expected a mapping, got a list");
}

int
main(void)
{
	int fd;

	snprintf(path, sizeof path, "/tmp/test_conf.XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		return 1;
	close(fd);
	test_good();
	test_bad();
	unlink(path);
	return tap_done();
}
