/*
 * api_www.c - the web view's routes of the control API (see api_www.h).
 *
 * The page is loaded over the same listeners as the API, so its own
 * requests are same-origin: no CORS header is ever sent, and the
 * Content-Security-Policy keeps the page to its own files and /_query
 * (no inline script, no other origin, no framing).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <h2o.h>
#include <jansson.h>

#include "api_www.h"
#include "util.h"
#include "www.h"

#define API_WWW_CSP	"default-src 'self'; img-src 'self' data:; " \
	"style-src 'self'; script-src 'self'; connect-src 'self'; " \
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

static void
api_www_header(h2o_req_t *req, const char *name, const char *value)
{
	h2o_add_header_by_str(&req->pool, &req->res.headers, name,
	    strlen(name), 0, NULL, value, strlen(value));
}

static void
api_www_common(h2o_req_t *req)
{
	api_www_header(req, "x-content-type-options", "nosniff");
	api_www_header(req, "content-security-policy", API_WWW_CSP);
	api_www_header(req, "referrer-policy", "no-referrer");
	api_www_header(req, "x-frame-options", "DENY");
}

static int
api_www_not_found(h2o_req_t *req, const char *msg)
{
	json_t	*j;
	char	*text;

	j = json_pack("{s:i,s:s}", "status_code", 404, "error", msg);
	text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	req->res.status = 404;
	req->res.reason = "Not Found";
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
	    NULL, H2O_STRLIT("application/json"));
	if (text == NULL)
		text = util_strdup("{\"status_code\":404,\"error\":\"no such "
		    "file\"}");
	req->res.content_length = strlen(text);
	h2o_send_inline(req, text, strlen(text));
	free(text);
	return 404;
}

int
api_www_send(h2o_req_t *req, const struct www *w, const char *why)
{
	const struct www_file	*f;
	const char		*loc;
	char			 msg[512];
	h2o_iovec_t		 etag;
	ssize_t			 i;

	switch (www_lookup(w, req->path_normalized.base,
	    req->path_normalized.len, &f, &loc)) {
	case WWW_REDIRECT:
		req->res.status = 302;
		req->res.reason = "Found";
		h2o_add_header(&req->pool, &req->res.headers,
		    H2O_TOKEN_LOCATION, NULL, loc, strlen(loc));
		h2o_add_header(&req->pool, &req->res.headers,
		    H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("text/plain"));
		api_www_common(req);
		req->res.content_length = 0;
		h2o_send_inline(req, "", 0);
		return 302;
	case WWW_NOT_FOUND:
		if (w == NULL)
			snprintf(msg, sizeof msg, "the web view is not "
			    "installed: %s", why != NULL ? why : "no www_dir");
		else
			snprintf(msg, sizeof msg, "no such file in %s",
			    www_dir(w));
		return api_www_not_found(req, msg);
	case WWW_FOUND:
		break;
	}
	/* copied: a reload may free f before the headers go out */
	etag = h2o_strdup(&req->pool, f->etag, SIZE_MAX);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ETAG, NULL,
	    etag.base, etag.len);
	h2o_add_header(&req->pool, &req->res.headers,
	    H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-cache"));
	api_www_common(req);
	i = h2o_find_header(&req->headers, H2O_TOKEN_IF_NONE_MATCH, -1);
	if (i != -1 && www_etag_match(f, req->headers.entries[i].value.base,
	    req->headers.entries[i].value.len)) {
		req->res.status = 304;
		req->res.reason = "Not Modified";
		req->res.content_length = 0;
		h2o_send_inline(req, "", 0);
		return 304;
	}
	req->res.status = 200;
	req->res.reason = "OK";
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
	    NULL, f->ctype, strlen(f->ctype));
	req->res.content_length = f->len;
	h2o_send_inline(req, f->body, f->len);
	return 200;
}
