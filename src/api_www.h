/*
 * api_www.h - the web view's routes of the control API (api.c's table:
 * GET /, /ui, /ui/ and /ui/{file}): answered at once from the files
 * www.c holds in memory, without a token (they carry no data; every
 * number comes from POST /_query, which needs one on TCP), with an ETag,
 * Cache-Control: no-cache and the page's security headers.
 */
#ifndef FLOWREC_API_WWW_H
#define FLOWREC_API_WWW_H

struct www;
struct st_h2o_req_t;

/*
 * Answer req from w: 302 to /ui/ for / and /ui, 200 (or 304 for its
 * If-None-Match) for a file, else a JSON 404; w NULL (nothing installed)
 * answers /ui/... with a 404 saying why.  Returns the status sent.
 */
int	api_www_send(struct st_h2o_req_t *req, const struct www *w,
	    const char *why);

#endif
