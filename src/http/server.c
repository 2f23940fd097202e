/* The HTTP server: libmicrohttpd glue and the request pipeline of spec
 * HTTP_API.md 1 (prefix, /experiment/<id>, empty-path redirect, feature
 * flags, trailing slash, exact routing) and the response rules of 2
 * (charset, caching and security headers, gzip), with limits so that no
 * client can stall or starve the others.
 *
 * libmicrohttpd runs a pool of epoll threads that do the I/O and run the
 * cheap routes (core data, static assets) inline. Handlers under
 * /data/plugin/ and /data/tboard/scalars can be expensive: their
 * connection is suspended and the
 * handler runs on the worker pool (workers.c), tag listings before series
 * reads; the connection is resumed to send the answer. The guard
 * (guard.c) closes connections slow to send a header; libmicrohttpd caps
 * connections in total and per client address.
 * libmicrohttpd is opened at the first start (fs/netlib.h) and called
 * through its table, tb_mhd.
 * The raw request target is captured in the URI log callback so that the
 * query string is parsed by our own rules (repeated names, '+' as space).
 * Bodies are buffered whole, up to the body limit.
 *
 * Routes with a version function (tb_router_set_version) get an ETag named
 * after the request and the state token; a matching If-None-Match gets 304
 * and a repeated request is answered from the cache (cache.h). Event
 * streams (sse.h) park their connections with suspend/resume, and are ended
 * before the daemon stops. */
#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "cache.h"
#include "common/alloc.h"
#include "common/hash.h"
#include "common/error.h"
#include "common/log.h"
#include "fs/netlib.h"
#include "auth.h"
#include "guard.h"
#include "http.h"
#include "message.h"
#include "router.h"
#include "sse.h"
#include "workers.h"

/* A heavy route's request that took at most INLINE_US the last time it was
 * answered is answered on the I/O thread that read it: handing it to a
 * worker and back costs two thread wake-ups, more than such an answer. */
#define COST_SLOTS 4096
#define INLINE_US 500

/* Each connection's memory for the request line, headers and the answer's
 * head. libmicrohttpd zeroes all of it after every request, so it is a
 * cost per request: 256 KiB took a sixth of a /data/runs request's CPU.
 * 64 KiB still holds a request head of nearly 64 KiB (bodies are read in
 * pieces and do not count); a longer one gets 414 or 431. */
#define CONN_MEMORY (64 * 1024)

struct tb_server {
	struct MHD_Daemon *d;
	tb_router *router; /* borrowed, read-only while serving */
	char *prefix;	   /* normalised: "" or "/x" without trailing '/' */
	int port;
	tb_workers *workers;
	tb_guard *guard;
	char *token;		/* NULL = no access control */
	char *cookie;		/* "tboard_token_<port>" */
	double request_timeout; /* seconds */
	size_t max_body, max_response;
	atomic_ulong abandoned; /* requests whose client left mid-work */
	tb_cache *cache;	/* NULL when --answer_cache_mb is 0 */
	tb_sse_hub *events;	/* borrowed; its streams end when the server stops */
	/* How long a versioned request took the last time it was answered,
	 * by its answer key's hash: the upper 48 bits of the hash, the
	 * microseconds in the lower 16 (saturating). */
	_Atomic uint64_t cost[COST_SLOTS];
};

/* How one request of a versioned route is named (docs/HTTP_API.md):
 * method, target, gzip or not, body; plus the state token. Owned by the
 * request (tb_req.answer), freed when it completes. */
typedef struct answer_key {
	tb_buf key;
	uint64_t hash, token;
	char etag[40];
	_Atomic uint64_t *cost; /* its slot in tb_server.cost */
} answer_key;

static const char CSP[] =
    "default-src 'self';font-src 'self' data:;frame-src 'self' https://ui.perfetto.dev;"
    "img-src 'self' data: blob:;object-src 'none';"
    "style-src 'self' https://www.gstatic.com data: 'unsafe-inline';connect-src 'self';"
    "script-src 'self' 'unsafe-eval'";

/* --- response finishing -------------------------------------------------- */

/* Length of the media type in a Content-Type value, without parameters and
 * trailing blanks. */
static size_t media_len(const char *t)
{
	size_t n = strcspn(t, ";");
	while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	return n;
}

static int media_is(const char *t, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(t, want, n) == 0;
}

/* Spec 2.1: the media types upstream treats as text. */
static int is_textual(const char *t)
{
	static const char *const text[] = {
	    "application/javascript",
	    "application/json",
	    "application/json+protobuf",
	    "image/svg+xml",
	    "text/css",
	    "text/csv",
	    "text/html",
	    "text/javascript",
	    "text/plain",
	    "text/tab-separated-values",
	    "text/x-protobuf",
	};
	size_t n = media_len(t);
	for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
		if (media_is(t, n, text[i]))
			return 1;
	return 0;
}

static int is_json(const char *t)
{
	size_t n = media_len(t);
	return media_is(t, n, "application/json") || media_is(t, n, "application/json+protobuf");
}

/* gzip as upstream's helper does: level 3, mtime 0, OS byte 255, so the
 * output matches byte for byte. */
static int gzip_buf(tb_buf *out, const void *p, size_t n)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 3, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return TB_ENOMEM;
	gz_header h;
	memset(&h, 0, sizeof h);
	h.os = 255;
	deflateSetHeader(&z, &h);
	size_t bound = deflateBound(&z, n) + 32;
	tb_buf_reserve(out, bound);
	z.next_in = (Bytef *)(uintptr_t)p;
	z.next_out = (Bytef *)out->ptr + out->len;
	int rc = TB_OK;
	/* zlib counts in uInt; feed huge bodies in pieces. */
	size_t left_in = n, left_out = bound;
	for (;;) {
		uInt in_now = left_in > (1u << 30) ? (1u << 30) : (uInt)left_in;
		uInt out_now = left_out > (1u << 30) ? (1u << 30) : (uInt)left_out;
		z.avail_in = in_now;
		z.avail_out = out_now;
		int zr = deflate(&z, in_now == left_in ? Z_FINISH : Z_NO_FLUSH);
		left_in -= in_now - z.avail_in;
		left_out -= out_now - z.avail_out;
		if (zr == Z_STREAM_END)
			break;
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			rc = TB_EIO;
			break;
		}
		if (left_out == 0) {
			rc = TB_EIO;
			break;
		}
	}
	out->len += bound - left_out;
	out->ptr[out->len] = '\0';
	deflateEnd(&z);
	return rc;
}

static void add_header(struct MHD_Response *m, const char *name, const char *value)
{
	if (tb_mhd.add_response_header(m, name, value) != MHD_YES)
		tb_log_debug("http: header %s dropped", name);
}

static enum MHD_Result send_resp(struct MHD_Connection *conn, tb_resp *r, const tb_req *q,
				 tb_cache *cache)
{
	const answer_key *ak = q->answer;
	if (q->max_response && r->body.len > q->max_response)
		tb_resp_error(r, 413,
			      "Response too large: more than %zu bytes; ask for fewer series",
			      q->max_response);
	char *type = NULL;
	if (!r->raw && r->type) {
		/* Spec 2.1: textual types get a charset, except the JSON ones. */
		if (is_textual(r->type) && !is_json(r->type) && !strcasestr(r->type, "charset"))
			type = tb_xasprintf("%s; charset=utf-8", r->type);
	}
	const char *ctype = type ? type : r->type ? r->type : "application/json";
	int gz = 0;
	if (!r->raw && !r->no_gzip && is_textual(ctype) &&
	    !tb_resp_get_header(r, "Content-Encoding") && tb_req_accepts_gzip(q)) {
		tb_buf z = TB_BUF_INIT;
		if (gzip_buf(&z, r->body.ptr ? r->body.ptr : "", r->body.len) == TB_OK) {
			tb_buf_free(&r->body);
			r->body = z;
			gz = 1;
		} else {
			tb_buf_free(&z);
		}
	}
	size_t len = r->body.len;
	struct MHD_Response *m;
	if (r->sse && r->status == 200) {
		m = tb_sse_open(r->sse, conn, r->body.ptr ? r->body.ptr : "", len);
		ak = NULL; /* a stream is never cached */
	} else if (r->stream && r->status == 200) {
		m = tb_stream_open(r);
		ak = NULL;
	} else {
		char *bytes = tb_buf_detach(&r->body);
		m = tb_mhd.create_response_from_buffer(len, bytes, MHD_RESPMEM_MUST_FREE);
		if (!m)
			free(bytes);
	}
	if (!m) {
		free(type);
		return MHD_NO;
	}
	add_header(m, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	for (size_t i = 0; i < r->nhdr; i++)
		add_header(m, r->hdr[i].name, r->hdr[i].value);
	if (!r->raw) {
		if (gz)
			add_header(m, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
		if (!tb_resp_get_header(r, "Expires"))
			add_header(m, MHD_HTTP_HEADER_EXPIRES, "0");
		if (!tb_resp_get_header(r, "Cache-Control"))
			add_header(m, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache, must-revalidate");
		if (!tb_resp_get_header(r, "X-Content-Type-Options"))
			add_header(m, "X-Content-Type-Options", "nosniff");
		if (media_is(ctype, media_len(ctype), "text/html") &&
		    !tb_resp_get_header(r, "Content-Security-Policy"))
			add_header(m, "Content-Security-Policy", CSP);
	}
	int keep = ak && r->status == 200;
	if (keep)
		add_header(m, MHD_HTTP_HEADER_ETAG, ak->etag);
	enum MHD_Result ret = tb_mhd.queue_response(conn, (unsigned)r->status, m);
	if (keep && cache)
		tb_cache_put(cache, ak->hash, ak->key.ptr, ak->key.len, ak->token, 200, m, len);
	else
		tb_mhd.destroy_response(m);
	free(type);
	return ret;
}

/* A bare response with no body and no headers beyond `location` (spec 1.3). */
static enum MHD_Result send_moved(struct MHD_Connection *conn, const char *location)
{
	tb_resp r;
	tb_resp_init(&r);
	tb_resp_redirect(&r, MHD_HTTP_MOVED_PERMANENTLY, location);
	struct MHD_Response *m =
	    tb_mhd.create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret = MHD_NO;
	if (m) {
		add_header(m, MHD_HTTP_HEADER_LOCATION, tb_resp_get_header(&r, "Location"));
		ret = tb_mhd.queue_response(conn, MHD_HTTP_MOVED_PERMANENTLY, m);
		tb_mhd.destroy_response(m);
	}
	tb_resp_release(&r);
	return ret;
}

/* --- request pipeline ---------------------------------------------------- */

/* Spec 1.4: validate a feature-flags value; 0 when fine, else stores the
 * reason text in *why. */
static int flags_ok(const char **why, const char *v)
{
	if (!v || !*v)
		return 1;
	json_error_t err;
	json_t *j = json_loads(v, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (!j) {
		*why = "cannot be JSON decoded.";
		return 0;
	}
	int ok = json_is_object(j);
	json_decref(j);
	if (!ok)
		*why = "cannot be decoded to a dict.";
	return ok;
}

static void parse_body(tb_resp *r, tb_req *q)
{
	const char *ct = tb_req_header(q, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!ct || !q->body.len)
		return;
	size_t n = media_len(ct);
	if (media_is(ct, n, "application/x-www-form-urlencoded")) {
		tb_form_parse_urlencoded(&q->form, q->body.ptr, q->body.len);
	} else if (media_is(ct, n, "multipart/form-data")) {
		if (tb_form_parse_multipart(&q->form, ct, q->body.ptr, q->body.len) != 0)
			tb_resp_error(r, 400,
				      "Invalid argument: malformed multipart/form-data body");
	}
}

/* Handlers that may take long run on the worker pool: every plugin route
 * and tboard's store-wide ones; listings (a path ending in /tags) first. */
static int is_heavy(const char *path, size_t n, int *urgent)
{
	static const char plugin[] = "/data/plugin/";
	static const char *const tboard[] = {"/data/tboard/scalars", "/data/tboard/snapshot",
					     "/data/tboard/tags"};
	int heavy = n >= sizeof plugin - 1 && memcmp(path, plugin, sizeof plugin - 1) == 0;
	for (size_t i = 0; !heavy && i < sizeof tboard / sizeof tboard[0]; i++)
		heavy = strlen(tboard[i]) == n && memcmp(path, tboard[i], n) == 0;
	*urgent = heavy && n >= 5 && memcmp(path + n - 5, "/tags", 5) == 0;
	return heavy;
}

/* The ?token= link: answer with a redirect to the same URL without the
 * token and set the cookie, so the token leaves the address bar. */
static void token_redirect(tb_server *s, tb_resp *r, const char *uri)
{
	size_t path_len = strcspn(uri, "?#");
	tb_buf loc = TB_BUF_INIT;
	tb_buf_append(&loc, uri, path_len);
	const char *p = uri[path_len] == '?' ? uri + path_len + 1 : "";
	size_t qlen = strcspn(p, "#");
	char sep = '?';
	while (qlen > 0) {
		size_t item = strcspn(p, "&");
		if (item > qlen)
			item = qlen;
		if (item && !(item >= 6 && memcmp(p, "token=", 6) == 0)) {
			tb_buf_putc(&loc, sep);
			tb_buf_append(&loc, p, item);
			sep = '&';
		}
		p += item;
		qlen -= item;
		if (qlen > 0) {
			p++;
			qlen--;
		}
	}
	tb_buf_puts(&loc, "");
	tb_resp_redirect(r, 302, loc.ptr);
	char *cookie =
	    tb_xasprintf("%s=%s; Path=%s/; HttpOnly; SameSite=Lax", s->cookie, s->token, s->prefix);
	tb_resp_header(r, "Set-Cookie", cookie);
	free(cookie);
	tb_buf_free(&loc);
}

/* 1 when q may proceed; otherwise r holds the 401 or the redirect. */
static int authorized(tb_server *s, tb_req *q, tb_resp *r)
{
	if (!s->token)
		return 1;
	const char *h = tb_req_header(q, MHD_HTTP_HEADER_AUTHORIZATION);
	if (h && strncasecmp(h, "Bearer ", 7) == 0 && tb_auth_equal(h + 7, strlen(h + 7), s->token))
		return 1;
	size_t n = 0;
	const char *c = tb_auth_cookie(&n, tb_req_header(q, MHD_HTTP_HEADER_COOKIE), s->cookie);
	if (c && tb_auth_equal(c, n, s->token))
		return 1;
	const char *t = tb_req_query(q, "token");
	if (t && tb_auth_equal(t, strlen(t), s->token)) {
		token_redirect(s, r, q->uri);
		return 0;
	}
	tb_resp_error(r, 401,
		      "Unauthorized: this tboard needs its access token (open the link it "
		      "printed at start, or send Authorization: Bearer TOKEN)");
	tb_resp_header(r, "WWW-Authenticate", "Bearer");
	return 0;
}

static int method_known(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "POST") == 0;
}

/* Run the pipeline up to the handler. Returns 1 with q->fn and q->payload
 * set when a handler should run; 0 when r already holds the answer; -1
 * after queueing the empty-path redirect itself (*ret set). */
static int prepare(tb_server *s, tb_req *q, tb_resp *r, struct MHD_Connection *conn,
		   enum MHD_Result *ret)
{
	int rc = 0;
	const char *uri = q->uri ? q->uri : "";
	size_t raw_path_len = strcspn(uri, "?#");
	const char *qs = uri[raw_path_len] == '?' ? uri + raw_path_len + 1 : NULL;

	char *path = tb_xmalloc(raw_path_len + 1);
	size_t n = tb_url_decode(path, uri, raw_path_len, 0);
	const char *p = path;
	size_t plen = strlen(s->prefix);

	if (memchr(path, '\0', n)) {
		tb_resp_error(r, 400, "Invalid argument: NUL byte in the path");
		goto out;
	}
	if (qs)
		tb_form_parse_urlencoded(&q->query, qs, strcspn(qs, "#"));
	if (!authorized(s, q, r))
		goto out;

	/* 1.1: the prefix must be the whole path or be followed by '/'. */
	if (plen &&
	    !(n >= plen && memcmp(p, s->prefix, plen) == 0 && (n == plen || p[plen] == '/'))) {
		tb_resp_error(r, 404, "Not found");
		goto out;
	}
	p += plen;
	n -= plen;

	/* 1.2: /experiment/<id> joins the script root. */
	tb_buf root = TB_BUF_INIT;
	tb_buf_append(&root, s->prefix, plen);
	if (n >= 12 && memcmp(p, "/experiment/", 12) == 0) {
		const char *id = p + 12;
		size_t idn = 0;
		while (12 + idn < n && id[idn] != '/')
			idn++;
		q->experiment = tb_xstrndup(id, idn);
		tb_buf_append(&root, p, 12 + idn);
		p += 12 + idn;
		n -= 12 + idn;
	} else {
		q->experiment = tb_xstrdup("");
	}
	tb_buf_puts(&root, "");
	q->script_root = tb_buf_detach(&root);

	/* 1.3 */
	if (n == 0) {
		char *loc = tb_xasprintf("%s/", q->script_root);
		*ret = send_moved(conn, loc);
		free(loc);
		rc = -1;
		goto out;
	}

	/* 1.4: header first, then the query parameter. */
	const char *why = NULL;
	if (!flags_ok(&why, tb_req_header(q, "X-TensorBoard-Feature-Flags"))) {
		tb_resp_error(r, 400, "Invalid argument: X-TensorBoard-Feature-Flags %s", why);
		goto out;
	}
	if (!flags_ok(&why, tb_req_query(q, "tensorBoardFeatureFlags"))) {
		tb_resp_error(r, 400, "Invalid argument: tensorBoardFeatureFlags %s", why);
		goto out;
	}

	/* 1.5: one trailing slash is dropped, then exact match. */
	if (n > 1 && p[n - 1] == '/')
		n--;
	q->path = tb_xstrndup(p, n);
	q->path_len = n;
	q->fn = tb_router_find(s->router, q->path, n, &q->payload);
	if (!q->fn) {
		tb_resp_error(r, 404, "Not found");
		goto out;
	}
	if (!method_known(q->method)) {
		tb_resp_html_error(r, 405, "The method is not allowed for the requested URL.");
		tb_resp_header(r, "Allow", "GET, HEAD, POST");
		goto out;
	}
	parse_body(r, q);
	if (r->status == 200)
		rc = 1;
out:
	free(path);
	return rc;
}

/* 304 Not Modified for a client that holds the current answer. */
static enum MHD_Result send_not_modified(struct MHD_Connection *conn, const char *etag)
{
	struct MHD_Response *m =
	    tb_mhd.create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (!m)
		return MHD_NO;
	add_header(m, MHD_HTTP_HEADER_ETAG, etag);
	add_header(m, MHD_HTTP_HEADER_EXPIRES, "0");
	add_header(m, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache, must-revalidate");
	add_header(m, "X-Content-Type-Options", "nosniff");
	enum MHD_Result ret = tb_mhd.queue_response(conn, MHD_HTTP_NOT_MODIFIED, m);
	tb_mhd.destroy_response(m);
	return ret;
}

/* Name a request of a versioned route (q->answer); returns 1 when it was
 * answered (304, or from the cache) with the result in *ret. */
static int answer_early(tb_server *s, enum MHD_Result *ret, tb_req *q, struct MHD_Connection *conn,
			tb_version_fn version, void *vpayload)
{
	answer_key *ak = tb_xcalloc(1, sizeof *ak);
	q->answer = ak;
	ak->token = version(q, vpayload, &q->parsed);
	tb_buf_puts(&ak->key, q->method);
	tb_buf_putc(&ak->key, '\0');
	tb_buf_puts(&ak->key, q->uri);
	tb_buf_putc(&ak->key, '\0');
	tb_buf_putc(&ak->key, tb_req_accepts_gzip(q) ? 'z' : '-');
	tb_buf_append(&ak->key, q->body.ptr ? q->body.ptr : "", q->body.len);
	ak->hash = tb_hash_bytes(TB_HASH_SEED, ak->key.ptr, ak->key.len);
	ak->cost = &s->cost[(ak->hash >> 16) % COST_SLOTS];
	snprintf(ak->etag, sizeof ak->etag, "\"%016llx-%016llx\"", (unsigned long long)ak->hash,
		 (unsigned long long)ak->token);
	const char *inm = tb_req_header(q, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm && strstr(inm, ak->etag)) {
		*ret = send_not_modified(conn, ak->etag);
		return 1;
	}
	return s->cache &&
	       tb_cache_serve(s->cache, ret, conn, ak->hash, ak->key.ptr, ak->key.len, ak->token);
}

static void answer_free(tb_req *q)
{
	answer_key *ak = q->answer;
	if (ak) {
		tb_buf_free(&ak->key);
		free(ak);
		q->answer = NULL;
	}
}

/* Remember how long the handler of a versioned request took. A cheap
 * request has to measure slow twice in a row to leave the I/O thread: a
 * handler that waited for a core once on a busy machine is not slow. */
static void cost_note(const tb_req *q, double secs)
{
	const answer_key *ak = q->answer;
	if (!ak)
		return;
	uint64_t key = ak->hash & ~(uint64_t)0xffff;
	double us = secs * 1e6;
	uint64_t v = us >= 65535 ? 65535 : us > 0 ? (uint64_t)us : 0;
	uint64_t was = atomic_load_explicit(ak->cost, memory_order_relaxed);
	if (v > INLINE_US && was && (was & ~(uint64_t)0xffff) == key && (was & 0xffff) < INLINE_US)
		v = INLINE_US; /* one strike: still cheap, slow if it happens again */
	atomic_store_explicit(ak->cost, key | v, memory_order_relaxed);
}

/* Whether this versioned request was cheap the last time it was answered. */
static int cost_cheap(const tb_req *q)
{
	const answer_key *ak = q->answer;
	if (!ak)
		return 0;
	uint64_t v = atomic_load_explicit(ak->cost, memory_order_relaxed);
	return v && (v & ~(uint64_t)0xffff) == (ak->hash & ~(uint64_t)0xffff) &&
	       (v & 0xffff) <= INLINE_US;
}

/* A worker runs one suspended request's handler, then hands the
 * connection back to libmicrohttpd, which calls on_request again. */
static void run_job(int cancelled, void *payload)
{
	tb_req *q = payload;
	double started = tb_now();
	if (cancelled) {
		tb_resp_error(q->resp, 503, "Server is shutting down");
	} else if (!tb_req_should_stop(q, q->resp)) {
		q->fn(q->resp, q, q->payload);
		cost_note(q, tb_now() - started);
	}
	if (q->gone)
		tb_log_info("http: client left; stopped %s %s after %.3f s", q->method, q->path,
			    tb_now() - started);
	tb_mhd.resume_connection(q->conn);
}

static enum MHD_Result serve(tb_server *s, tb_req *q, struct MHD_Connection *conn)
{
	tb_resp r;
	tb_resp_init(&r);
	enum MHD_Result ret = MHD_YES;
	int rc = prepare(s, q, &r, conn, &ret);
	if (rc < 0)
		goto out;
	void *vpayload = NULL;
	tb_version_fn version =
	    rc > 0 ? tb_router_version(s->router, q->path, q->path_len, &vpayload) : NULL;
	if (version && answer_early(s, &ret, q, conn, version, vpayload))
		goto out;
	int urgent = 0;
	if (rc > 0 && is_heavy(q->path, q->path_len, &urgent) && !cost_cheap(q)) {
		q->resp = tb_xmalloc(sizeof *q->resp);
		*q->resp = r;
		tb_mhd.suspend_connection(conn);
		if (tb_workers_submit(s->workers, urgent, run_job, q) != TB_OK) {
			tb_resp_error(q->resp, 429, "Too many requests in progress; retry shortly");
			tb_resp_header(q->resp, "Retry-After", "1");
			tb_mhd.resume_connection(conn);
		}
		return MHD_YES;
	}
	if (rc > 0) {
		double started = tb_now();
		q->fn(&r, q, q->payload);
		cost_note(q, tb_now() - started);
	}
	ret = send_resp(conn, &r, q, s->cache);
out:
	tb_resp_release(&r);
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, tb_req *q, int status,
				  const char *msg)
{
	tb_resp r;
	tb_resp_init(&r);
	tb_resp_error(&r, status, "%s", msg);
	enum MHD_Result ret = send_resp(conn, &r, q, NULL);
	tb_resp_release(&r);
	return ret;
}

static tb_guard_conn *guard_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    tb_mhd.get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	tb_server *s = cls;
	tb_req *q = *req_cls;
	if (!q) { /* the URI log callback always runs first; be safe anyway */
		q = tb_xmalloc(sizeof *q);
		tb_req_init(q);
		q->uri = tb_xstrdup(url);
		*req_cls = q;
	}
	if (!q->started) {
		q->started = 1;
		q->conn = conn;
		q->method = method;
		q->prefix = s->prefix;
		q->deadline = tb_now() + s->request_timeout;
		q->max_response = s->max_response;
		const union MHD_ConnectionInfo *ci =
		    tb_mhd.get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		q->fd = ci ? ci->connect_fd : -1;
		tb_guard_busy(s->guard, guard_of(conn), 1);
		if (strcmp(version, MHD_HTTP_VERSION_1_1) == 0 &&
		    !tb_req_header(q, MHD_HTTP_HEADER_HOST))
			return send_error(conn, q, 400,
					  "Bad request: HTTP/1.1 needs a Host header");
		const char *cl = tb_req_header(q, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > s->max_body) {
			q->too_large = 1;
			return send_error(conn, q, 413, "Request body too large");
		}
		return MHD_YES;
	}
	if (*upload_size) {
		/* a body dripped in slowly holds the connection: it shares the
		 * request's time limit */
		if (tb_now() > q->deadline) {
			tb_log_info("http: request body too slow; closing the connection");
			return MHD_NO;
		}
		if (!q->too_large && q->body.len + *upload_size > s->max_body) {
			q->too_large = 1;
			tb_buf_free(&q->body);
		}
		if (!q->too_large)
			tb_buf_append(&q->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (q->too_large)
		return send_error(conn, q, 413, "Request body too large");
	if (q->resp) /* back from a worker */
		return send_resp(conn, q->resp, q, s->cache);
	return serve(s, q, conn);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	tb_req *q = tb_xmalloc(sizeof *q);
	tb_req_init(q);
	q->uri = tb_xstrdup(uri ? uri : "");
	return q;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode code)
{
	tb_server *s = cls;
	(void)code;
	tb_guard_busy(s->guard, guard_of(conn), 0);
	tb_req *q = *req_cls;
	if (q) {
		if (q->gone)
			atomic_fetch_add(&s->abandoned, 1);
		answer_free(q);
		tb_req_release(q);
		free(q);
		*req_cls = NULL;
	}
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	tb_server *s = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    tb_mhd.get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = ci ? tb_guard_opened(s->guard, ci->connect_fd) : NULL;
	} else {
		tb_guard_closed(s->guard, *socket_context);
		*socket_context = NULL;
	}
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	tb_log_debug("http: %s", msg);
}

/* --- lifecycle ----------------------------------------------------------- */

static int cores(void)
{
	long nc = sysconf(_SC_NPROCESSORS_ONLN);
	return nc > 2 ? (nc > 256 ? 256 : (int)nc) : 2;
}

#define OPT_OR(field, dflt) (opts && opts->field > 0 ? opts->field : (dflt))

int tb_server_start(tb_server **out, tb_router *router, const tb_server_opts *opts)
{
	*out = NULL;
	int rc = TB_OK;
	struct addrinfo *ai = NULL;
	tb_server *s = NULL;
	const char *host = opts && opts->host && *opts->host ? opts->host : "127.0.0.1";
	int port = opts ? opts->port : 0;
	const char *prefix = opts && opts->path_prefix ? opts->path_prefix : "";
	int threads = OPT_OR(threads, cores());
	if (threads > 256)
		threads = 256;
	if (port < 0 || port > 65535 || !router)
		return TB_EINVAL;
	size_t plen = strlen(prefix);
	while (plen > 0 && prefix[plen - 1] == '/')
		plen--;
	if (plen > 0 && prefix[0] != '/') {
		tb_log_error("--path_prefix must start with slash: %s", prefix);
		return TB_EINVAL;
	}
	const char *why;
	if (tb_netlib_mhd_open(&why)) {
		tb_log_error("cannot serve: %s", why);
		return TB_ENOTFOUND;
	}

	struct addrinfo hints;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	char portstr[8];
	snprintf(portstr, sizeof portstr, "%d", port);
	int gai = getaddrinfo(host, portstr, &hints, &ai);
	if (gai != 0 || !ai) {
		tb_log_error("cannot resolve host %s: %s", host, gai_strerror(gai));
		return TB_EIO;
	}

	s = tb_xcalloc(1, sizeof *s);
	s->router = router;
	s->prefix = tb_xstrndup(prefix, plen);
	s->request_timeout = OPT_OR(request_timeout, 30.0);
	s->max_body = OPT_OR(max_body, TB_HTTP_MAX_BODY);
	s->max_response = OPT_OR(max_response, TB_HTTP_MAX_RESPONSE);
	atomic_init(&s->abandoned, 0);
	if (opts && opts->auth_token && *opts->auth_token)
		s->token = tb_xstrdup(opts->auth_token);
	if (opts && opts->cache_bytes)
		s->cache = tb_cache_new(opts->cache_bytes);
	s->events = opts ? opts->events : NULL;
	if ((rc = tb_guard_new(&s->guard, OPT_OR(header_timeout, 10.0))) != TB_OK ||
	    (rc = tb_workers_new(&s->workers, OPT_OR(workers, cores()),
				 OPT_OR(max_queued, (size_t)256))) != TB_OK)
		goto out;

	/* epoll lifts select()'s 1024-descriptor ceiling; suspend/resume lets
	 * the workers answer while the I/O threads go on polling. */
	unsigned flags =
	    MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	struct MHD_OptionItem pool[] = {
	    {threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, (intptr_t)threads, NULL},
	    {MHD_OPTION_END, 0, NULL},
	};
	unsigned idle = (unsigned)OPT_OR(idle_timeout, 30.0);
	s->d = tb_mhd.start_daemon(
	    flags, (uint16_t)port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, (void *)s, MHD_OPTION_NOTIFY_COMPLETED,
	    on_completed, (void *)s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, (void *)s,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, (void *)s, MHD_OPTION_CONNECTION_TIMEOUT,
	    idle ? idle : 1u, MHD_OPTION_CONNECTION_LIMIT, (unsigned)OPT_OR(max_connections, 4096),
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)OPT_OR(max_per_client, 256),
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)CONN_MEMORY, MHD_OPTION_ARRAY, pool, MHD_OPTION_END);
	if (!s->d) {
		tb_log_error("cannot listen on %s:%d (address in use or not available)", host,
			     port);
		rc = TB_EIO;
		goto out;
	}
	const union MHD_DaemonInfo *info = tb_mhd.get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : port;
	s->cookie = tb_xasprintf("tboard_token_%d", s->port);
	*out = s;
	s = NULL;
out:
	freeaddrinfo(ai);
	tb_server_free(s);
	return rc;
}

int tb_server_port(const tb_server *s)
{
	return s->port;
}

unsigned long tb_server_header_timeouts(const tb_server *s)
{
	return tb_guard_timeouts(s->guard);
}

unsigned long tb_server_abandoned(const tb_server *s)
{
	return atomic_load(&((tb_server *)s)->abandoned);
}

size_t tb_server_queued(const tb_server *s)
{
	return tb_workers_queued(s->workers);
}

void tb_server_free(tb_server *s)
{
	if (!s)
		return;
	/* the workers resume every suspended connection before the daemon
	 * stops; the daemon reports every close to the guard before it goes */
	tb_workers_free(s->workers);
	/* libmicrohttpd must not stop with suspended connections */
	tb_sse_hub_close(s->events);
	if (s->d)
		tb_mhd.stop_daemon(s->d);
	tb_cache_free(s->cache);
	tb_guard_free(s->guard);
	free(s->token);
	free(s->cookie);
	free(s->prefix);
	free(s);
}
