/*
 * test_hosts.c - the hosts file (hosts.c): loading, its errors with file,
 * line and key, and the selectors of `flowq -q`: names, addresses, "any",
 * "@FILE", tokens from the file and from FLOWQ_TOKEN.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hosts.h"
#include "tap.h"

static char dir[] = "/tmp/test_hosts.XXXXXX";

static char *
write_file(const char *name, const char *text)
{
	char *path = util_printf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(99);
	}
	fputs(text, f);
	fclose(f);
	return path;
}

/* Load text; return the error message (caller frees) or NULL. */
static char *
load_err(const char *text)
{
	char *path = write_file("bad.yaml", text), *cause = NULL;
	struct hosts *h = NULL;
	int rc;

	rc = hosts_load(path, &h, &cause);
	free(path);
	if (rc == 0) {
		hosts_free(h);
		return NULL;
	}
	if (h != NULL)
		return util_strdup("output set on failure");
	return cause != NULL ? cause : util_strdup("no cause");
}

static void
expect_err(const char *text, const char *want, const char *what)
{
	char *c = load_err(text);

	ok(c != NULL && strstr(c, want) != NULL, "refused: %s", what);
	if (c == NULL || strstr(c, want) == NULL)
		printf("#   got \"%s\", want \"%s\"\n", c ? c : "(accepted)",
		    want);
	free(c);
}

static void
test_load(void)
{
	char *path, *cause = NULL;
	struct hosts *h = NULL;
	const struct hosts_entry *e;
	int rc;

	path = write_file("hosts.yaml",
	    "# the fleet\n"
	    "hosts:\n"
	    "  web1: {addr: \"10.0.0.1:8145\", token: s3cret}\n"
	    "  local:\n"
	    "    addr: unix:/run/flowrec/flowrecd.sock\n"
	    "  edge:\n"
	    "    addr: https://edge.example:8145/\n"
	    "    token: t\n"
	    "    ca: /etc/ssl/ca.pem\n"
	    "  v6: {addr: \"[fd00::1]:9000\"}\n");
	rc = hosts_load(path, &h, &cause);
	is_int(rc, 0, "a hosts file loads");
	if (rc != 0) {
		printf("# %s\n", cause);
		free(cause);
		free(path);
		return;
	}
	is_int(h->nhosts, 4, "four hosts");
	is_str(h->path, path, "its path kept");
	e = hosts_find(h, "web1");
	ok(e != NULL, "web1 found");
	if (e != NULL) {
		is_str(e->addr, "10.0.0.1:8145", "web1 addr");
		is_str(e->token, "s3cret", "web1 token");
		ok(e->ca == NULL, "web1 no ca");
		is_int(e->line, 3, "web1 defined on line 3");
	}
	e = hosts_find(h, "local");
	ok(e != NULL && e->token == NULL, "local has no token");
	e = hosts_find(h, "edge");
	ok(e != NULL && e->ca != NULL && strcmp(e->ca, "/etc/ssl/ca.pem") == 0,
	    "edge ca");
	ok(hosts_find(h, "nosuch") == NULL, "an unknown name is not found");
	hosts_free(h);
	free(path);

	path = write_file("empty.yaml", "");
	rc = hosts_load(path, &h, &cause);
	ok(rc == 0 && h->nhosts == 0, "an empty file is no host");
	if (rc == 0)
		hosts_free(h);
	free(path);

	path = util_printf("%s/absent.yaml", dir);
	h = NULL;
	rc = hosts_load(path, &h, &cause);
	ok(rc == -ENOENT && h == NULL && cause != NULL &&
	    strstr(cause, "absent.yaml") != NULL,
	    "an absent file named by the user is an error naming it");
	free(cause);
	free(path);
}

static void
test_load_errors(void)
{
	expect_err("hosts:\n  a: {addr: \"10.0.0.1:8145\", tokn: x}\n",
	    "bad.yaml:2: key 'hosts.a.tokn'", "an unknown key, with its line");
	expect_err("hosts:\n  a: {addr: \"10.0.0.1:8145\"}\n"
	    "  b:\n    addr: \"10.0.0.1:99999\"\n",
	    "bad.yaml:4: key 'hosts.b.addr': '10.0.0.1:99999': bad port",
	    "a port out of range");
	expect_err("hosts:\n  a: {addr: \"ftp://x:1\"}\n",
	    "bad.yaml:2: key 'hosts.a.addr'", "another scheme");
	expect_err("hosts:\n  a: {addr: \"unix:relative\"}\n",
	    "want unix:/PATH", "a relative socket path");
	expect_err("hosts:\n  a: {addr: \"my host:80\"}\n",
	    "key 'hosts.a.addr'", "a space in a host");
	expect_err("hosts:\n  a: {token: x}\n",
	    "bad.yaml:2: key 'hosts.a.addr': every host needs an addr",
	    "a host without an address");
	expect_err("hosts:\n  a: {addr: \"h:1\", token: \"two words\"}\n",
	    "key 'hosts.a.token': a token is printable ASCII",
	    "a token with a space (an HTTP header)");
	expect_err("hosts:\n  a: {addr: \"h:1\", ca: /x.pem}\n",
	    "key 'hosts.a.ca': a CA file is for https://", "ca on http");
	expect_err("hosts:\n  any: {addr: \"h:1\"}\n",
	    "'any' selects every host", "a host called any");
	expect_err("hosts:\n  \"a,b\": {addr: \"h:1\"}\n",
	    "letters, digits", "a comma in a name");
	expect_err("hosts:\n  a: {addr: \"h:1\"}\n  a: {addr: \"h:2\"}\n",
	    "bad.yaml:3", "a name given twice");
	expect_err("hosts: [a, b]\n", "bad.yaml:1", "hosts not a mapping");
	expect_err("hosts:\n  a: {addr: \"h:1\"\n", "bad.yaml",
	    "broken YAML");
}

static struct hosts *
load_fleet(void)
{
	char *path, *cause = NULL;
	struct hosts *h = NULL;

	path = write_file("fleet.yaml",
	    "hosts:\n"
	    "  b: {addr: \"10.0.0.2:8145\", token: tb}\n"
	    "  a: {addr: \"10.0.0.1:8145\"}\n"
	    "  s: {addr: \"unix:/run/f.sock\"}\n"
	    "  t: {addr: \"https://t.example:443/\", ca: /ca.pem}\n");
	if (hosts_load(path, &h, &cause) != 0) {
		printf("# %s\n", cause);
		exit(99);
	}
	free(path);
	return h;
}

static void
test_select(void)
{
	struct hosts *h = load_fleet();
	struct hosts_target *t;
	char *cause = NULL, *path;
	size_t n;
	int rc;

	rc = hosts_select(h, "b, a,b,10.9.9.9:1,[::1]:8145,bare", "envtok", &t,
	    &n, &cause);
	is_int(rc, 0, "names and addresses select");
	if (rc == 0) {
		is_int(n, 5, "duplicates once");
		is_str(t[0].name, "b", "order kept: b");
		is_str(t[0].url, "http://10.0.0.2:8145", "b url");
		is_str(t[0].token, "tb", "b's own token");
		is_str(t[1].name, "a", "then a");
		is_str(t[1].token, "envtok", "a takes FLOWQ_TOKEN");
		is_str(t[2].url, "http://10.9.9.9:1", "an address as a name");
		is_str(t[2].token, "envtok", "an address takes FLOWQ_TOKEN");
		is_str(t[3].url, "http://[::1]:8145", "an IPv6 address");
		is_str(t[4].url, "http://bare:8145", "a bare host, port 8145");
		ok(t[0].unix_path == NULL, "TCP: no socket");
		hosts_targets_free(t, n);
	}
	rc = hosts_select(h, "s,t", NULL, &t, &n, &cause);
	is_int(rc, 0, "socket and https");
	if (rc == 0) {
		is_str(t[0].unix_path, "/run/f.sock", "unix socket path");
		is_str(t[0].url, "http://localhost", "over a socket: localhost");
		ok(t[0].token == NULL, "no token, no FLOWQ_TOKEN: none");
		is_str(t[1].url, "https://t.example:443", "https, no slash");
		is_str(t[1].ca, "/ca.pem", "its CA file");
		hosts_targets_free(t, n);
	}
	rc = hosts_select(h, "any", "", &t, &n, &cause);
	is_int(rc, 0, "any");
	if (rc == 0) {
		is_int(n, 4, "any: every host");
		is_str(t[0].name, "a", "any: in name order");
		is_str(t[3].name, "t", "any: last");
		ok(t[0].token == NULL, "an empty FLOWQ_TOKEN is none");
		hosts_targets_free(t, n);
	}

	path = write_file("list", "# the web tier\n\n  a  \nb\r\n"
	    "10.1.1.1:80\n# end\n");
	{
		char *sel = util_printf("@%s", path);

		rc = hosts_select(h, sel, NULL, &t, &n, &cause);
		is_int(rc, 0, "@FILE");
		if (rc == 0) {
			is_int(n, 3, "@FILE: three hosts, comments skipped");
			is_str(t[0].name, "a", "@FILE: trimmed");
			is_str(t[1].name, "b", "@FILE: CRLF");
			is_str(t[2].url, "http://10.1.1.1:80", "@FILE: address");
			hosts_targets_free(t, n);
		}
		free(sel);
	}
	free(path);

	path = write_file("badlist", "a\nno/such\n");
	{
		char *sel = util_printf("@%s", path);

		rc = hosts_select(h, sel, NULL, &t, &n, &cause);
		ok(rc != 0 && t == NULL && cause != NULL &&
		    strstr(cause, "badlist:2: host 'no/such'") != NULL,
		    "@FILE: a bad line named with its number");
		if (cause != NULL)
			printf("# %s\n", cause);
		free(cause);
		cause = NULL;
		free(sel);
	}
	free(path);

	rc = hosts_select(h, "@/nonexistent/x", NULL, &t, &n, &cause);
	ok(rc == -ENOENT && cause != NULL && strstr(cause, "/nonexistent/x"),
	    "@FILE absent: named");
	free(cause);
	cause = NULL;
	rc = hosts_select(h, "a,,b", NULL, &t, &n, &cause);
	ok(rc == -EINVAL && cause != NULL && strstr(cause, "empty host"),
	    "an empty name refused");
	free(cause);
	cause = NULL;
	rc = hosts_select(h, "a,x y", NULL, &t, &n, &cause);
	ok(rc == -EINVAL && cause != NULL && strstr(cause, "host 'x y' is "
	    "not in") != NULL, "a name neither in the file nor an address");
	free(cause);
	cause = NULL;
	rc = hosts_select(h, "a", "bad token", &t, &n, &cause);
	ok(rc == -EINVAL && cause != NULL && strstr(cause, "FLOWQ_TOKEN"),
	    "a FLOWQ_TOKEN with a space refused");
	free(cause);
	cause = NULL;
	hosts_free(h);

	h = util_calloc(1, sizeof *h);
	rc = hosts_select(h, "any", NULL, &t, &n, &cause);
	ok(rc == -EINVAL && cause != NULL && strstr(cause, "no host"),
	    "any without a hosts file");
	free(cause);
	hosts_free(h);
}

static void
test_addr(void)
{
	static const char *good[] = { "h:1", "h", "10.0.0.1:65535",
	    "[::1]:1", "unix:/x", "http://h:80", "https://h", "h-1.b_c:8" };
	static const char *bad[] = { "", "h:0", "h:65536", "h:", ":80",
	    "[::1", "[]:1", "unix:", "ws://h", "http://", "https://:80",
	    "h:80x", "h:-1", "http://h:80/path" };
	size_t i;
	char *why;

	for (i = 0; i < sizeof good / sizeof *good; i++) {
		why = NULL;
		ok(hosts_check_addr(good[i], &why) == 0, "address '%s'",
		    good[i]);
		free(why);
	}
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		why = NULL;
		ok(hosts_check_addr(bad[i], &why) == -EINVAL && why != NULL,
		    "not an address: '%s'", bad[i]);
		free(why);
	}
}

int
main(void)
{
	char *cmd;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	test_load();
	test_load_errors();
	test_select();
	test_addr();
	cmd = util_printf("rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	free(cmd);
	return tap_done();
}
