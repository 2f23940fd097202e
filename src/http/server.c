/* The HTTP server: libmicrohttpd glue and the request pipeline of spec
 * HTTP_API.md 1 (prefix, /experiment/<id>, empty-path redirect, feature
 * flags, trailing slash, exact routing) and the response rules of 2
 * (charset, caching and security headers, gzip).
 *
 * libmicrohttpd runs a pool of polling threads; each request is handled to
 * completion on the thread that read it, so handlers may block on the store.
 * The raw request target is captured in the URI log callback so that the
 * query string is parsed by our own rules (repeated names, '+' as space).
 * Bodies are buffered whole, up to TB_HTTP_MAX_BODY. */
#include <microhttpd.h>
#include <netdb.h>
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
#include "common/error.h"
#include "common/log.h"
#include "http.h"
#include "message.h"
#include "router.h"
#include "sse.h"

struct tb_server {
	struct MHD_Daemon *d;
	tb_router *router; /* borrowed, read-only while serving */
	char *prefix;	   /* normalised: "" or "/x" without trailing '/' */
	int port;
	tb_cache *cache;    /* NULL when --answer_cache_mb is 0 */
	tb_sse_hub *events; /* borrowed; its streams end when the server stops */
};

/* How one request of a versioned route is named (docs/HTTP_API.md):
 * method, target, gzip or not, body; plus the state token. */
typedef struct answer_key {
	tb_buf key;
	uint64_t hash, token;
	char etag[40];
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
	if (MHD_add_response_header(m, name, value) != MHD_YES)
		tb_log_debug("http: header %s dropped", name);
}

static enum MHD_Result send_resp(struct MHD_Connection *conn, tb_resp *r, const tb_req *q,
				 tb_cache *cache, const answer_key *ak)
{
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
	} else {
		char *bytes = tb_buf_detach(&r->body);
		m = MHD_create_response_from_buffer(len, bytes, MHD_RESPMEM_MUST_FREE);
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
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r->status, m);
	if (keep && cache)
		tb_cache_put(cache, ak->hash, ak->key.ptr, ak->key.len, ak->token, 200, m, len);
	else
		MHD_destroy_response(m);
	free(type);
	return ret;
}

/* A bare response with no body and no headers beyond `location` (spec 1.3). */
static enum MHD_Result send_moved(struct MHD_Connection *conn, const char *location)
{
	tb_resp r;
	tb_resp_init(&r);
	tb_resp_redirect(&r, MHD_HTTP_MOVED_PERMANENTLY, location);
	struct MHD_Response *m = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret = MHD_NO;
	if (m) {
		add_header(m, MHD_HTTP_HEADER_LOCATION, tb_resp_get_header(&r, "Location"));
		ret = MHD_queue_response(conn, MHD_HTTP_MOVED_PERMANENTLY, m);
		MHD_destroy_response(m);
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

/* 304 Not Modified for a client that holds the current answer. */
static enum MHD_Result send_not_modified(struct MHD_Connection *conn, const char *etag)
{
	struct MHD_Response *m = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (!m)
		return MHD_NO;
	add_header(m, MHD_HTTP_HEADER_ETAG, etag);
	add_header(m, MHD_HTTP_HEADER_EXPIRES, "0");
	add_header(m, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache, must-revalidate");
	add_header(m, "X-Content-Type-Options", "nosniff");
	enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_NOT_MODIFIED, m);
	MHD_destroy_response(m);
	return ret;
}

/* Name a request of a versioned route; returns 1 when it was answered
 * (304, or from the cache) with the result in *ret. */
static int answer_early(tb_server *s, enum MHD_Result *ret, answer_key *ak, tb_req *q,
			struct MHD_Connection *conn, tb_version_fn version, void *vpayload)
{
	ak->token = version(q, vpayload);
	tb_buf_puts(&ak->key, q->method);
	tb_buf_putc(&ak->key, '\0');
	tb_buf_puts(&ak->key, q->uri);
	tb_buf_putc(&ak->key, '\0');
	tb_buf_putc(&ak->key, tb_req_accepts_gzip(q) ? 'z' : '-');
	tb_buf_append(&ak->key, q->body.ptr ? q->body.ptr : "", q->body.len);
	ak->hash = tb_hash64(ak->key.ptr, ak->key.len);
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

static enum MHD_Result serve(tb_server *s, tb_req *q, struct MHD_Connection *conn)
{
	tb_resp r;
	tb_resp_init(&r);
	enum MHD_Result ret;
	answer_key ak = {TB_BUF_INIT, 0, 0, ""};
	int versioned = 0;
	const char *uri = q->uri ? q->uri : "";
	size_t raw_path_len = strcspn(uri, "?#");
	const char *qs = uri[raw_path_len] == '?' ? uri + raw_path_len + 1 : NULL;

	char *path = tb_xmalloc(raw_path_len + 1);
	size_t n = tb_url_decode(path, uri, raw_path_len, 0);
	const char *p = path;
	size_t plen = strlen(s->prefix);

	/* 1.1: the prefix must be the whole path or be followed by '/'. */
	if (plen &&
	    !(n >= plen && memcmp(p, s->prefix, plen) == 0 && (n == plen || p[plen] == '/'))) {
		tb_resp_error(&r, 404, "Not found");
		goto send;
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
		ret = send_moved(conn, loc);
		free(loc);
		goto out;
	}

	if (qs)
		tb_form_parse_urlencoded(&q->query, qs, strcspn(qs, "#"));

	/* 1.4: header first, then the query parameter. */
	const char *why = NULL;
	if (!flags_ok(&why, tb_req_header(q, "X-TensorBoard-Feature-Flags"))) {
		tb_resp_error(&r, 400, "Invalid argument: X-TensorBoard-Feature-Flags %s", why);
		goto send;
	}
	if (!flags_ok(&why, tb_req_query(q, "tensorBoardFeatureFlags"))) {
		tb_resp_error(&r, 400, "Invalid argument: tensorBoardFeatureFlags %s", why);
		goto send;
	}

	/* 1.5: one trailing slash is dropped, then exact match. */
	if (n > 1 && p[n - 1] == '/')
		n--;
	q->path = tb_xstrndup(p, n);
	q->path_len = n;
	void *payload = NULL;
	tb_handler_fn fn = tb_router_find(s->router, q->path, n, &payload);
	if (!fn || strlen(q->path) != n) {
		tb_resp_error(&r, 404, "Not found");
		goto send;
	}
	void *vpayload = NULL;
	tb_version_fn version = tb_router_version(s->router, q->path, n, &vpayload);
	if (version) {
		versioned = 1;
		if (answer_early(s, &ret, &ak, q, conn, version, vpayload))
			goto out;
	}
	parse_body(&r, q);
	if (r.status != 200)
		goto send;
	fn(&r, q, payload);

send:
	ret = send_resp(conn, &r, q, s->cache, versioned ? &ak : NULL);
out:
	free(path);
	tb_buf_free(&ak.key);
	tb_resp_release(&r);
	return ret;
}

static enum MHD_Result send_too_large(struct MHD_Connection *conn, tb_req *q)
{
	tb_resp r;
	tb_resp_init(&r);
	tb_resp_error(&r, 413, "Request body too large");
	enum MHD_Result ret = send_resp(conn, &r, q, NULL, NULL);
	tb_resp_release(&r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	tb_server *s = cls;
	tb_req *q = *req_cls;
	(void)version;
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
		const char *cl = tb_req_header(q, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > TB_HTTP_MAX_BODY) {
			q->too_large = 1;
			return send_too_large(conn, q);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (!q->too_large && q->body.len + *upload_size > TB_HTTP_MAX_BODY) {
			q->too_large = 1;
			tb_buf_free(&q->body);
		}
		if (!q->too_large)
			tb_buf_append(&q->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (q->too_large)
		return send_too_large(conn, q);
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
	(void)cls;
	(void)conn;
	(void)code;
	tb_req *q = *req_cls;
	if (q) {
		tb_req_release(q);
		free(q);
		*req_cls = NULL;
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

int tb_server_start(tb_server **out, tb_router *router, const tb_server_opts *opts)
{
	*out = NULL;
	const char *host = opts && opts->host && *opts->host ? opts->host : "127.0.0.1";
	int port = opts ? opts->port : 0;
	const char *prefix = opts && opts->path_prefix ? opts->path_prefix : "";
	int threads = opts ? opts->threads : 0;
	if (port < 0 || port > 65535 || !router)
		return TB_EINVAL;
	size_t plen = strlen(prefix);
	while (plen > 0 && prefix[plen - 1] == '/')
		plen--;
	if (plen > 0 && prefix[0] != '/') {
		tb_log_error("--path_prefix must start with slash: %s", prefix);
		return TB_EINVAL;
	}
	if (threads <= 0) {
		long nc = sysconf(_SC_NPROCESSORS_ONLN);
		threads = nc > 0 ? (int)nc : 1;
	}
	if (threads > 256)
		threads = 256;

	struct addrinfo hints, *ai = NULL;
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

	tb_server *s = tb_xcalloc(1, sizeof *s);
	s->router = router;
	s->prefix = tb_xstrndup(prefix, plen);
	if (opts && opts->cache_bytes)
		s->cache = tb_cache_new(opts->cache_bytes);
	s->events = opts ? opts->events : NULL;
	/* suspend/resume: an idle event stream parks its connection */
	unsigned flags =
	    MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	struct MHD_OptionItem pool[] = {
	    {threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, (intptr_t)threads, NULL},
	    {MHD_OPTION_END, 0, NULL},
	};
	s->d = MHD_start_daemon(
	    flags, (uint16_t)port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, (void *)s, MHD_OPTION_NOTIFY_COMPLETED,
	    on_completed, (void *)s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, (void *)s,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)256 * 1024, MHD_OPTION_ARRAY, pool, MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!s->d) {
		tb_log_error("cannot listen on %s:%d (address in use or not available)", host,
			     port);
		tb_cache_free(s->cache);
		free(s->prefix);
		free(s);
		return TB_EIO;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : port;
	*out = s;
	return TB_OK;
}

int tb_server_port(const tb_server *s)
{
	return s->port;
}

void tb_server_free(tb_server *s)
{
	if (!s)
		return;
	/* libmicrohttpd must not stop with suspended connections */
	tb_sse_hub_close(s->events);
	MHD_stop_daemon(s->d);
	tb_cache_free(s->cache);
	free(s->prefix);
	free(s);
}
