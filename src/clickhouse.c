/*
 * clickhouse.c - the ClickHouse destination: bins inserted over the
 * server's HTTP interface with libcurl (see export_int.h).
 *
 * One bin is one request: INSERT INTO db.table (columns) FORMAT
 * TabSeparated, its body streamed from the day file as curl asks for it
 * (chunked), so a million-row bin never sits in memory as text.  The
 * server answers 200 only when it has stored every row, and then the bin
 * counts as sent; anything else (a refused connection, a 500, a stall
 * longer than the timeout) leaves it pending.  Before the first insert on
 * a connection the table is created if missing, from sql/clickhouse.sql.
 *
 * Why TabSeparated and column names: the table may be the one
 * sql/clickhouse.sql makes (for Debian 12's 18.16: String addresses,
 * DateTime) or one a user made on a newer server (IPv6, LowCardinality,
 * a TTL); text parses into either, and ts goes as Unix seconds, which
 * every version reads whatever the server's time zone.
 *
 * The response body is kept (the first 1 KiB) only to show it in the
 * error; nothing is decided from its text.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <pthread.h>

#include "export_int.h"
#include "util.h"

#define CH_CONNECT_S	10
#define CH_LINE_MAX	400	/* a row's text: 2 x 45 + 8 numbers + tabs */
#define CH_ANSWER_MAX	1024

extern const char clickhouse_table_sql[];

static const char ch_columns[] = "host, iface, ts, sip, dip, dport, proto, "
    "vlan, bytes_rcvd, bytes_sent, pkts_rcvd, pkts_sent, writes";

struct ch {
	CURL		*curl;
	char		*url;		/* as configured */
	char		*table;		/* db.table */
	char		*insert_url;
	char		*ddl_url;
	char		*ddl;
	char		*prefix_host;	/* "host\t" escaped */
	char		*user, *password;
	uint32_t	 timeout;
	int		 table_ok;	/* checked on this connection */
	char		 errbuf[CURL_ERROR_SIZE];
	char		 answer[CH_ANSWER_MAX + 1];
	size_t		 answer_len;
	/* The body being sent. */
	struct export_bin *bin;
	const char	*body;		/* a fixed body (the DDL) */
	size_t		 body_off, body_len;
	char		 line[CH_LINE_MAX];
	size_t		 line_off, line_len;
	char		*prefix;	/* "host\tiface\tts\t" of the bin */
	size_t		 prefix_len;
	int		 eof;
	int		 read_err;
};

static pthread_once_t ch_once = PTHREAD_ONCE_INIT;

static void
ch_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* s with TabSeparated's escapes (\t, \n, \\) and a tab after it. */
static char *
ch_tsv_field(const char *s)
{
	char *out = util_malloc(strlen(s) * 2 + 2), *p = out;

	for (; *s != '\0'; s++) {
		if (*s == '\t' || *s == '\n' || *s == '\\') {
			*p++ = '\\';
			*p++ = *s == '\t' ? 't' : *s == '\n' ? 'n' : '\\';
		} else
			*p++ = *s;
	}
	*p++ = '\t';
	*p = '\0';
	return out;
}

static char *
ch_put_u64(char *p, uint64_t v, char end)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*p++ = tmp[--n];
	*p++ = end;
	return p;
}

static char *
ch_put_str(char *p, const char *s, char end)
{
	size_t n = strlen(s);

	/* addresses are inet_ntop text: nothing to escape, at most 45 */
	if (n > 45)
		n = 45;
	memcpy(p, s, n);
	p += n;
	*p++ = end;
	return p;
}

/* The next row's line into ch->line; 1, 0 at the end, <0 error. */
static int
ch_next_line(struct ch *c)
{
	struct export_row r;
	char *p;
	int rc;

	if ((rc = export_bin_next(c->bin, &r)) != 1)
		return rc;
	p = c->line;
	memcpy(p, c->prefix, c->prefix_len);
	p += c->prefix_len;
	p = ch_put_str(p, r.sip_text, '\t');
	p = ch_put_str(p, r.dip_text, '\t');
	p = ch_put_u64(p, r.dport, '\t');
	p = ch_put_u64(p, r.proto, '\t');
	p = ch_put_u64(p, r.vlan, '\t');
	p = ch_put_u64(p, r.bytes_rcvd, '\t');
	p = ch_put_u64(p, r.bytes_sent, '\t');
	p = ch_put_u64(p, r.pkts_rcvd, '\t');
	p = ch_put_u64(p, r.pkts_sent, '\t');
	p = ch_put_u64(p, (uint64_t)c->bin->writes, '\n');
	c->line_off = 0;
	c->line_len = (size_t)(p - c->line);
	c->bin->records++;
	return 1;
}

static size_t
ch_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct ch *c = arg;
	size_t cap = size * nitems, n = 0, k;
	int rc;

	if (c->body != NULL) {
		k = c->body_len - c->body_off;
		k = k < cap ? k : cap;
		memcpy(buf, c->body + c->body_off, k);
		c->body_off += k;
		return k;
	}
	while (n < cap) {
		if (c->line_off < c->line_len) {
			k = c->line_len - c->line_off;
			k = k < cap - n ? k : cap - n;
			memcpy(buf + n, c->line + c->line_off, k);
			c->line_off += k;
			n += k;
			continue;
		}
		if (c->eof)
			break;
		if ((rc = ch_next_line(c)) == 0)
			c->eof = 1;
		else if (rc < 0) {
			c->read_err = rc;
			return CURL_READFUNC_ABORT;
		}
	}
	c->bin->bytes += n;
	return n;
}

static size_t
ch_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct ch *c = arg;
	size_t n = size * nmemb, k = CH_ANSWER_MAX - c->answer_len;

	k = n < k ? n : k;
	memcpy(c->answer + c->answer_len, ptr, k);
	c->answer_len += k;
	c->answer[c->answer_len] = '\0';
	return n;
}

static int
ch_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	struct ch *c = arg;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return c->bin != NULL && export_bin_cancelled(c->bin);
}

/* The answer's first line, for an error message. */
static const char *
ch_answer(struct ch *c)
{
	char *nl;

	if ((nl = strchr(c->answer, '\n')) != NULL)
		*nl = '\0';
	return c->answer_len > 0 ? c->answer : "(no text)";
}

/* One POST of url; 0 on 200, -errno with *cause otherwise. */
static int
ch_post(struct ch *c, const char *url, char **cause)
{
	struct curl_slist *hdr = NULL;
	CURLcode cc;
	long code = 0;

	c->answer_len = 0;
	c->answer[0] = '\0';
	c->errbuf[0] = '\0';
	c->read_err = 0;
	hdr = curl_slist_append(hdr, "Expect:");
	hdr = curl_slist_append(hdr, "Content-Type: text/plain");
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    c->body != NULL ? (curl_off_t)c->body_len : (curl_off_t)-1);
	curl_easy_setopt(c->curl, CURLOPT_READFUNCTION, ch_read);
	curl_easy_setopt(c->curl, CURLOPT_READDATA, c);
	cc = curl_easy_perform(c->curl);
	curl_slist_free_all(hdr);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	if (c->bin != NULL)
		c->bin->messages++;
	if (c->read_err != 0) {
		if (c->read_err == -ECANCELED)
			return util_cause(cause, -ECANCELED, "%s: stopped",
			    c->url);
		return util_cause(cause, c->read_err, "%s: %s", c->url,
		    c->bin->cause ? c->bin->cause : "reading the bin");
	}
	if (cc != CURLE_OK)
		return util_cause(cause, cc == CURLE_ABORTED_BY_CALLBACK ?
		    -ECANCELED : -EIO, "%s: %s", c->url,
		    c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200)
		return util_cause(cause, -EIO, "%s: HTTP %ld: %s", c->url,
		    code, ch_answer(c));
	return 0;
}

static int
ch_ensure_table(struct ch *c, char **cause)
{
	int rc;

	c->bin = NULL;
	c->body = c->ddl;
	c->body_off = 0;
	c->body_len = strlen(c->ddl);
	rc = ch_post(c, c->ddl_url, cause);
	c->body = NULL;
	if (rc == 0)
		c->table_ok = 1;
	return rc;
}

static int
ch_send(void *arg, struct export_bin *bin, char **cause)
{
	struct ch *c = arg;
	char *iface, *p;
	int rc;

	if (!c->table_ok && (rc = ch_ensure_table(c, cause)) != 0)
		return rc;
	iface = ch_tsv_field(bin->iface);
	free(c->prefix);
	c->prefix = util_printf("%s%s%lld\t", c->prefix_host, iface,
	    (long long)bin->ts);
	free(iface);
	c->prefix_len = strlen(c->prefix);
	if (c->prefix_len > CH_LINE_MAX / 2) {
		p = c->prefix;
		c->prefix = NULL;
		free(p);
		return util_cause(cause, -ENAMETOOLONG, "%s: host and "
		    "interface names too long", c->url);
	}
	c->bin = bin;
	c->line_off = c->line_len = 0;
	c->eof = 0;
	rc = ch_post(c, c->insert_url, cause);
	c->bin = NULL;
	return rc;
}

/* The handle's options (again after a reset). */
static void
ch_setup(struct ch *c)
{
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, ch_write);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, ch_progress);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, (long)CH_CONNECT_S);
	/* a stall, not a slow paced bin, is what times out */
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_TIME, (long)c->timeout);
	curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c->curl, CURLOPT_UPLOAD_BUFFERSIZE, 1L << 20);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (c->user != NULL)
		curl_easy_setopt(c->curl, CURLOPT_USERNAME, c->user);
	if (c->password != NULL)
		curl_easy_setopt(c->curl, CURLOPT_PASSWORD, c->password);
}

static void
ch_reset(void *arg)
{
	struct ch *c = arg;
	CURL *fresh;

	/* A new connection next time: curl would keep this one. */
	if ((fresh = curl_easy_init()) != NULL) {
		curl_easy_cleanup(c->curl);
		c->curl = fresh;
		ch_setup(c);
	}
	c->table_ok = 0;
}

static void
ch_free(void *arg)
{
	struct ch *c = arg;

	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	free(c->url);
	free(c->table);
	free(c->insert_url);
	free(c->ddl_url);
	free(c->ddl);
	free(c->prefix_host);
	free(c->prefix);
	free(c->user);
	free(c->password);
	free(c);
}

const struct export_driver clickhouse_driver = {
	.kind = "clickhouse",
	.send = ch_send,
	.reset = ch_reset,
	.free = ch_free,
};

/* url, then '?' or '&', then the parameters. */
static char *
ch_url(CURL *curl, const char *url, const char *database, const char *query)
{
	char *db = curl_easy_escape(curl, database, 0);
	char *q = query ? curl_easy_escape(curl, query, 0) : NULL;
	char *out;

	out = util_printf("%s%sdatabase=%s%s%s", url,
	    strchr(url, '?') ? "&" : "?", db ? db : "", q ? "&query=" : "",
	    q ? q : "");
	curl_free(db);
	curl_free(q);
	return out;
}

/* sql/clickhouse.sql with the table's name in place of `flows`. */
static char *
ch_ddl(const char *table)
{
	static const char anchor[] = "IF NOT EXISTS flows (";
	const char *at = strstr(clickhouse_table_sql, anchor);

	if (at == NULL)
		abort();	/* sql/clickhouse.sql lost its anchor */
	return util_printf("%.*sIF NOT EXISTS %s (%s",
	    (int)(at - clickhouse_table_sql), clickhouse_table_sql, table,
	    at + sizeof anchor - 1);
}

int
clickhouse_new(const struct conf_export_clickhouse *cfg, void **out,
    char **cause)
{
	struct ch *c;
	char host[256], *query;

	pthread_once(&ch_once, ch_global_init);
	c = util_calloc(1, sizeof *c);
	if ((c->curl = curl_easy_init()) == NULL) {
		free(c);
		return util_cause(cause, -ENOMEM, "libcurl: cannot start");
	}
	c->url = util_strdup(cfg->url);
	c->table = util_printf("%s.%s", cfg->database, cfg->table);
	query = util_printf("INSERT INTO %s (%s) FORMAT TabSeparated",
	    c->table, ch_columns);
	c->insert_url = ch_url(c->curl, cfg->url, cfg->database, query);
	free(query);
	c->ddl_url = ch_url(c->curl, cfg->url, cfg->database, NULL);
	c->ddl = ch_ddl(c->table);
	if (cfg->host != NULL)
		c->prefix_host = ch_tsv_field(cfg->host);
	else {
		if (gethostname(host, sizeof host) != 0)
			strcpy(host, "localhost");
		host[sizeof host - 1] = '\0';
		c->prefix_host = ch_tsv_field(host);
	}
	c->timeout = cfg->timeout;
	if (cfg->user != NULL)
		c->user = util_strdup(cfg->user);
	if (cfg->password != NULL)
		c->password = util_strdup(cfg->password);
	ch_setup(c);
	*out = c;
	return 0;
}
