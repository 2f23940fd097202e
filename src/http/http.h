/* The HTTP layer as dashboards see it: requests, responses and the router.
 *
 * A dashboard registers exact paths (after --path_prefix and the optional
 * /experiment/<id> part have been stripped) with tb_router_add; the server
 * calls the handler on one of its pool threads with a parsed request and an
 * empty response. The handler fills the response and returns; the server
 * adds the common headers (spec HTTP_API.md 2: caching, nosniff, CSP on
 * HTML, Content-Length) and gzips textual bodies when the client accepts it.
 * Handlers must be thread-safe; requests and responses are not shared. */
#ifndef TB_HTTP_H
#define TB_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

typedef struct tb_req tb_req;
typedef struct tb_resp tb_resp;
typedef struct tb_router tb_router;

typedef void (*tb_handler_fn)(tb_resp *resp, const tb_req *req, void *payload);

/* --- router -------------------------------------------------------------- */

tb_router *tb_router_new(void);
/* Route `path` (e.g. "/data/runs", "/data/plugin/scalars/tags") to fn.
 * The path is copied. A later registration of the same path replaces it. */
void tb_router_add(tb_router *r, const char *path, tb_handler_fn fn, void *payload);
void tb_router_free(tb_router *r);

/* What a version function parsed from the request, handed on to the
 * route's handler (tb_req_parsed) so that a request is parsed once; the
 * server calls release(ptr) when the request is done. */
typedef struct tb_parsed {
	void *ptr;
	void (*release)(void *ptr);
} tb_parsed;
/* A token for the state a route's answer depends on: equal tokens mean
 * that equal requests get equal answers. Called on a pool thread before the
 * handler, with the route's request; must be cheap and thread-safe. It may
 * fill *parsed (empty on entry) with what it parsed. */
typedef uint64_t (*tb_version_fn)(const tb_req *req, void *payload, tb_parsed *parsed);
/* Let the server answer `path` (already added) with ETag / 304 and from its
 * answer cache, keyed by the request and fn's token (docs/HTTP_API.md).
 * Only 200 answers are cached. Unknown paths are ignored. */
void tb_router_set_version(tb_router *r, const char *path, tb_version_fn fn, void *payload);

/* --- request ------------------------------------------------------------- */

/* "GET", "POST", "HEAD", ... */
const char *tb_req_method(const tb_req *req);
/* The path being served, prefix and experiment part removed, e.g. "/data/runs". */
const char *tb_req_path(const tb_req *req);
/* The experiment id from /experiment/<id>/..., or "" when absent. */
const char *tb_req_experiment(const tb_req *req);
/* --path_prefix plus "/experiment/<id>" when present; "" at the root. */
const char *tb_req_script_root(const tb_req *req);
/* First value of a URL query parameter (URL-decoded, '+' is space), or NULL. */
const char *tb_req_query(const tb_req *req, const char *name);
/* All values of a query parameter in order; returns the count, stores at
 * most max pointers in out. */
size_t tb_req_query_all(const tb_req *req, const char *name, const char **out, size_t max);
/* First value of a POST form field, from an application/x-www-form-urlencoded
 * or multipart/form-data body, or NULL. */
const char *tb_req_form(const tb_req *req, const char *name);
size_t tb_req_form_all(const tb_req *req, const char *name, const char **out, size_t max);
/* A request header (case-insensitive name), or NULL. */
const char *tb_req_header(const tb_req *req, const char *name);
/* What the route's version function parsed (tb_parsed.ptr), or NULL when
 * it kept nothing or did not run (tb_router_call, a route without one). */
const void *tb_req_parsed(const tb_req *req);
/* The raw request body (empty for GET). */
tb_slice tb_req_body(const tb_req *req);
/* The server's --path_prefix ("" or e.g. "/tb"). */
const char *tb_req_path_prefix(const tb_req *req);
/* True when the client's Accept-Encoding allows gzip (spec 2.4 token rule).
 * A handler that sends pre-compressed bytes checks this and then sets
 * "Content-Encoding: gzip" itself. */
int tb_req_accepts_gzip(const tb_req *req);

/* Nonzero when the handler should stop working on req and return at once:
 * the client has closed its connection, the request's time limit has
 * passed, or resp's body has grown past the response limit. In the last two
 * cases resp becomes a plain-text 503 or 413; when the client has gone resp
 * is left as it is (nobody reads it). Costs one poll(2); call it between
 * units of work (a series, a run). Only from the handler serving req. */
int tb_req_should_stop(const tb_req *req, tb_resp *resp);

/* Default limits (tb_server_opts overrides them): request bodies larger
 * than TB_HTTP_MAX_BODY are refused with 413, and so are responses whose
 * body grows past TB_HTTP_MAX_RESPONSE before compression. */
#define TB_HTTP_MAX_BODY ((size_t)4 << 20)
#define TB_HTTP_MAX_RESPONSE ((size_t)64 << 20)

/* --- response ------------------------------------------------------------ */

/* Set status and the exact Content-Type header value. Default: 200 and
 * "application/json". */
void tb_resp_status(tb_resp *r, int status);
void tb_resp_type(tb_resp *r, const char *content_type);
/* Add a header; one already set with the same name (case-insensitive) is
 * replaced. A handler that sets Cache-Control, Expires,
 * Content-Security-Policy or Content-Encoding overrides the server's
 * default for that header (Content-Encoding also turns off gzip). Values
 * holding CR or LF are dropped. */
void tb_resp_header(tb_resp *r, const char *name, const char *value);
/* The body; handlers append to it. */
tb_buf *tb_resp_body(tb_resp *r);
/* Replace the body with a copy of n bytes and set the type. */
void tb_resp_bytes(tb_resp *r, const char *content_type, const void *p, size_t n);
/* A plain-text error: status, "text/plain; charset=utf-8", body from fmt
 * (e.g. "Invalid argument: ..."); replaces anything written so far. */
void tb_resp_error(tb_resp *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Never gzip this response (binary payloads are never gzipped anyway). */
void tb_resp_no_gzip(tb_resp *r);
/* A redirect (e.g. 302) to `location` with a small HTML body and none of the
 * common headers, as upstream's framework sends them (spec 3.9, 3.10).
 * Bytes outside printable ASCII in location are percent-encoded. */
void tb_resp_redirect(tb_resp *r, int status, const char *location);
/* A framework-style HTML error page (spec 1.6 item 3): status, "text/html;
 * charset=utf-8", the status text as title, `description` HTML-escaped, and
 * none of the security headers. E.g. 405 for a GET to a POST-only route
 * (add the Allow header with tb_resp_header afterwards). */
void tb_resp_html_error(tb_resp *r, int status, const char *description);

/* --- event streams (Server-Sent Events) ------------------------------------ */

/* A set of open text/event-stream responses that receive the same events.
 * Thread-safe. Free it after the server that served its streams. */
typedef struct tb_sse_hub tb_sse_hub;
tb_sse_hub *tb_sse_hub_new(void);
void tb_sse_hub_free(tb_sse_hub *h);
/* Queue n bytes (whole events, e.g. "event: x\ndata: {...}\n\n") on every
 * open stream and wake the idle ones. */
void tb_sse_hub_send(tb_sse_hub *h, const char *p, size_t n);
/* The number of open streams. */
size_t tb_sse_hub_streams(tb_sse_hub *h);
/* End every stream once its queued bytes are out; later streams end after
 * their first bytes. The server calls it when it stops. NULL is a no-op. */
void tb_sse_hub_close(tb_sse_hub *h);
/* Answer with an open event stream on hub that starts with the n bytes at
 * first ("text/event-stream", never gzipped, never cached). */
void tb_resp_sse(tb_resp *r, tb_sse_hub *h, const char *first, size_t n);

/* --- answering in-process ------------------------------------------------ */

/* One request made without a connection (tb_router_call): no headers, no
 * time limit, no response limit. Query and form fields come as name/value
 * pairs: 2 * n strings, name first. */
typedef struct tb_call {
	const char *method; /* NULL: "GET" */
	const char *path;   /* exact route, e.g. "/data/runs" */
	const char *const *query;
	size_t n_query;
	const char *const *form;
	size_t n_form;
	tb_slice body; /* e.g. a JSON document for a POST route */
} tb_call;

/* Run the handler routed at c->path on this thread, as the server would for
 * a request without headers at the root path (no prefix, no experiment),
 * and return its response, owned by the caller (tb_resp_free). A path with
 * no route answers 404. Safe from many threads once registration is done;
 * a handler may itself call this. */
tb_resp *tb_router_call(const tb_router *r, const tb_call *c);
/* What a response holds: its status and Content-Type. */
int tb_resp_get_status(const tb_resp *r);
const char *tb_resp_get_type(const tb_resp *r);
void tb_resp_free(tb_resp *r);

/* Append the bytes of the embedded web asset at `path` (e.g. "/app.js") to
 * out. Returns 0, TB_ENOTFOUND when there is none, or TB_ECORRUPT. */
int tb_http_asset(tb_buf *out, const char *path);
/* --- streamed answers ------------------------------------------------------ */

/* Append the next part of a streamed answer to out. Returns 1 while more
 * follows, 0 after the last part, or a negative TB_E* code to cut the
 * answer short (the client sees a broken transfer, not a complete file).
 * Called on a server I/O thread, one call per chunk the client reads:
 * keep each call's work bounded (about a few hundred KiB of output). */
typedef int (*tb_stream_fn)(tb_buf *out, void *payload);
/* Answer 200 with a body made by fn as the client reads it (chunked
 * transfer encoding; never gzipped by the server, never cached). free_fn
 * (may be NULL) gets payload once, when the answer ends, the client
 * leaves, or the response is dropped unsent. Set the type and headers as
 * usual. */
void tb_resp_stream(tb_resp *r, tb_stream_fn fn, void *payload, void (*free_fn)(void *));

/* --- server -------------------------------------------------------------- */

typedef struct tb_server tb_server;

typedef struct tb_server_opts {
	const char *host;	 /* address to bind; "127.0.0.1" by default */
	int port;		 /* 0 = any free port */
	const char *path_prefix; /* "" or "/tb" (normalised: no trailing '/') */
	const char *window_title;
	int threads; /* I/O threads; 0 = number of cores (at least 2) */
	int workers; /* threads for /data/plugin/ handlers; 0 = number of cores (at least 2) */
	int max_connections;	/* open connections in total; 0 = 4096 */
	int max_per_client;	/* open connections per client address; 0 = 256 */
	double header_timeout;	/* seconds to send a request header; 0 = 10 */
	double idle_timeout;	/* seconds a connection may stay silent mid-request; 0 = 30 */
	double request_timeout; /* seconds of work per request; 0 = 30 */
	size_t max_body;	/* request body bytes; 0 = TB_HTTP_MAX_BODY */
	size_t max_response;	/* response body bytes; 0 = TB_HTTP_MAX_RESPONSE */
	size_t max_queued;	/* requests waiting for a worker; 0 = 256, more get 429 */
	/* When set, every request must carry this token: "Authorization:
	 * Bearer TOKEN", the cookie tboard_token_<port>, or ?token=TOKEN (which
	 * redirects to the URL without it and sets the cookie). */
	const char *auth_token;
	size_t cache_bytes; /* answer cache bound; 0 = no cache (ETag/304 stay) */
	tb_sse_hub *events; /* closed when the server stops; may be NULL */
} tb_server_opts;

/* Bind and start serving `router` (borrowed; must outlive the server).
 * Returns 0, TB_EIO when the address cannot be bound (message logged), or
 * TB_EINVAL for bad options. */
int tb_server_start(tb_server **out, tb_router *router, const tb_server_opts *opts);
/* The port actually bound (useful with port 0). */
int tb_server_port(const tb_server *s);
/* Counters since start: connections closed for a late request header, and
 * requests whose work stopped early because their client left. */
unsigned long tb_server_header_timeouts(const tb_server *s);
unsigned long tb_server_abandoned(const tb_server *s);
/* Requests waiting for a worker right now. */
size_t tb_server_queued(const tb_server *s);
/* Stop accepting, finish in-flight requests, free. NULL is a no-op. */
void tb_server_free(tb_server *s);

/* Register the core routes that need no data (spec 3.1, 3.2, 3.9-3.11):
 * "/" and "/index.html" (the app with its relative-root preamble), every
 * embedded asset at its path, "/data/notifications", the legacy dashboard
 * redirects and the two silent 404s. opts may be NULL; the routes read what
 * they need (prefix, experiment) from each request. Call before
 * tb_server_start, and before any route meant to replace one of these. */
void tb_http_register_static(tb_router *r, const tb_server_opts *opts);

#endif
