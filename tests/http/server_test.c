/* End-to-end tests of the HTTP layer: a real server on 127.0.0.1 (port 0)
 * with a few test handlers plus the core static routes, exercised by real
 * HTTP requests through libcurl (and a raw socket where curl is too
 * polite). */
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "../harness.h"
#include "common/buf.h"
#include "http/assets.h"
#include "http/http.h"
#include "../api/http_client.h"

/* --- a tiny client ------------------------------------------------------- */

typedef tb_http_reply reply;

static CURL *shared; /* one handle, so keep-alive can be observed */
static int port, port_prefixed;

static void reply_free(reply *r)
{
	tb_http_reply_free(r);
}

/* Value of header name in r (case-insensitive), in a static buffer, or NULL. */
static const char *hdr(const reply *r, const char *name)
{
	static char val[1024];
	const char *p = r->head.ptr;
	size_t n = strlen(name);
	while (p && *p) {
		const char *eol = strstr(p, "\r\n");
		if (!eol)
			break;
		if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;
			while (*v == ' ')
				v++;
			size_t vl = (size_t)(eol - v);
			if (vl >= sizeof val)
				vl = sizeof val - 1;
			memcpy(val, v, vl);
			val[vl] = '\0';
			return val;
		}
		p = eol + 2;
	}
	return NULL;
}

/* Send one request. extra: NULL-terminated header lines. */
static void req(reply *out, const char *method, int to_port, const char *path,
		const char *const *extra, const char *body, long body_len, curl_mime *mime)
{
	tb_http_req r = {.method = method,
			 .headers = extra,
			 .body = body,
			 .body_len = body_len,
			 .mime = mime,
			 .want_head = 1};
	tb_http_send(out, shared, to_port, path, &r);
}

static void get(reply *out, const char *path, const char *const *extra)
{
	req(out, "GET", port, path, extra, NULL, 0, NULL);
}

/* r is a 200 whose body holds each of the NULL-terminated lines of
 * want (the echo handler's report); frees r. */
static void check_echo(reply *r, const char *const *want)
{
	CHECK_INT(r->status, 200);
	for (size_t i = 0; want[i]; i++)
		if (!r->body.ptr || !strstr(r->body.ptr, want[i])) {
			fprintf(stderr, "the echo lacks \"%s\"\n", want[i]);
			CHECK(0);
		}
	reply_free(r);
}

/* The status of a GET of path. */
static long get_status(const char *path, const char *const *extra)
{
	reply r;
	get(&r, path, extra);
	long status = r.status;
	reply_free(&r);
	return status;
}

/* A GET and what its answer must have: the status, then when not NULL the
 * body ("=text": exactly text, "^text": starting with it, "~text": holding
 * it) and the Location header. */
typedef struct {
	const char *path;
	long status;
	const char *body, *location;
} expect_get;

static void check_gets(int to_port, const expect_get *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		reply r;
		req(&r, "GET", to_port, e[i].path, NULL, NULL, 0, NULL);
		CHECK_INT(r.status, e[i].status);
		const char *want = e[i].body ? e[i].body + 1 : NULL;
		if (want && e[i].body[0] == '=')
			CHECK_STR(r.body.ptr, want);
		else if (want && e[i].body[0] == '^')
			CHECK(!strncmp(r.body.ptr, want, strlen(want)));
		else if (want)
			CHECK(strstr(r.body.ptr, want));
		if (e[i].location)
			CHECK_STR(hdr(&r, "Location"), e[i].location);
		if (r.status != e[i].status)
			fprintf(stderr, "  for %s\n", e[i].path);
		reply_free(&r);
	}
}

#define INDEX_PAGE(root) "<!doctype html><meta name=\"tb-relative-root\" content=\"" root "\">"

static int gunzip(tb_buf *out, const tb_buf *in)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 31) != Z_OK)
		return -1;
	z.next_in = (Bytef *)in->ptr;
	z.avail_in = (uInt)in->len;
	int zr;
	do {
		tb_buf_reserve(out, 65536);
		z.next_out = (Bytef *)out->ptr + out->len;
		z.avail_out = (uInt)(out->cap - out->len - 1);
		uInt before = z.avail_out;
		zr = inflate(&z, Z_NO_FLUSH);
		out->len += before - z.avail_out;
		out->ptr[out->len] = '\0';
	} while (zr == Z_OK);
	inflateEnd(&z);
	return zr == Z_STREAM_END ? 0 : -1;
}

/* --- test handlers ------------------------------------------------------- */

static void put_all(tb_buf *b, const char *label, const char **v, size_t n)
{
	tb_buf_printf(b, "%s=", label);
	for (size_t i = 0; i < n && i < 8; i++)
		tb_buf_printf(b, "%s[%s]", i ? "," : "", v[i]);
	tb_buf_puts(b, "\n");
}

/* Echo what the server parsed, one item per line. */
static void h_echo(tb_resp *resp, const tb_req *req, void *payload)
{
	const char *v[8];
	tb_buf *b = tb_resp_body(resp);
	tb_resp_type(resp, "text/plain");
	tb_buf_printf(b, "payload=%s\n", (const char *)payload);
	tb_buf_printf(b, "method=%s\npath=%s\nexp=%s\nroot=%s\n", tb_req_method(req),
		      tb_req_path(req), tb_req_experiment(req), tb_req_script_root(req));
	put_all(b, "q.a", v, tb_req_query_all(req, "a", v, 8));
	put_all(b, "q.b", v, tb_req_query_all(req, "b", v, 8));
	put_all(b, "f.a", v, tb_req_form_all(req, "a", v, 8));
	put_all(b, "f.b", v, tb_req_form_all(req, "b", v, 8));
	put_all(b, "f.c", v, tb_req_form_all(req, "c", v, 8));
	tb_buf_printf(b, "bodylen=%zu\n", tb_req_body(req).len);
}

static void h_json(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	(void)payload;
	tb_buf *b = tb_resp_body(resp);
	for (int i = 0; i < 2000; i++)
		tb_buf_printf(b, "%s[%d, 1.5]", i ? ", " : "[", i);
	tb_buf_puts(b, "]");
}

static void h_html(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	(void)payload;
	tb_resp_bytes(resp, "text/html", "<p>hi</p>", 9);
}

static void h_png(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	(void)payload;
	static const char png[] = "\x89PNG\r\n\x1a\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
	tb_resp_bytes(resp, "image/png", png, sizeof png - 1);
}

static void h_err(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	(void)payload;
	tb_buf_puts(tb_resp_body(resp), "partial");
	tb_resp_error(resp, 400, "Invalid argument: %s", "bad run");
}

static void h_post_only(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)payload;
	if (strcmp(tb_req_method(req), "POST") != 0) {
		tb_resp_html_error(resp, 405, "The method is not allowed <here>.");
		tb_resp_header(resp, "Allow", "POST");
	}
}

/* --- tests --------------------------------------------------------------- */

/* Starts a server of its own on rt and points get() at it; returns the
 * port get() used before, to restore once s is stopped. */
static int serve_router(tb_server **s, tb_router *rt, const tb_server_opts *o)
{
	CHECK_INT(tb_server_start(s, rt, o), 0);
	int saved = port;
	port = tb_server_port(*s);
	return saved;
}

static void test_server__routing(void)
{
	reply r;
	get(&r, "/echo?a=1", NULL);
	CHECK_STR(hdr(&r, "Content-Type"), "text/plain; charset=utf-8");
	check_echo(&r, (const char *const[]){"payload=P\n", "method=GET\npath=/echo\nexp=\nroot=\n",
					     NULL});

	static const expect_get e[] = {
	    {"/echo/", 200, "~path=/echo\n", NULL}, /* one trailing slash is dropped */
	    {"/echo//", 404, NULL, NULL},
	    {"/ech%6f", 200, NULL, NULL}, /* the path is percent-decoded */
	    /* a NUL in the path is refused, never cut short to a known route */
	    {"/echo%00x", 400, NULL, NULL},
	    {"/echo%00", 400, NULL, NULL},
	    {"/favicon.ico", 404, "=Not found", NULL},
	    {"/___rPc_sWiTcH___", 404, NULL, NULL},
	};
	check_gets(port, e, sizeof e / sizeof e[0]);

	get(&r, "/nope", NULL);
	CHECK_INT(r.status, 404);
	CHECK_STR(r.body.ptr, "Not found");
	CHECK_STR(hdr(&r, "Content-Type"), "text/plain; charset=utf-8");
	CHECK_STR(hdr(&r, "X-Content-Type-Options"), "nosniff");
	reply_free(&r);

	/* GET, HEAD and POST reach the handler; other methods get 405 */
	req(&r, "POST", port, "/echo", NULL, "a=1", 3, NULL);
	check_echo(&r, (const char *const[]){"method=POST\n", NULL});
	const char *methods[] = {"DELETE", "PUT", "PATCH", "OPTIONS"};
	for (size_t i = 0; i < 4; i++) {
		req(&r, methods[i], port, "/echo", NULL, NULL, 0, NULL);
		CHECK_INT(r.status, 405);
		CHECK_STR(hdr(&r, "Allow"), "GET, HEAD, POST");
		reply_free(&r);
	}
	req(&r, "DELETE", port, "/nope", NULL, NULL, 0, NULL);
	CHECK_INT(r.status, 404);
	reply_free(&r);
}

static void test_server__experiment(void)
{
	static const expect_get e[] = {
	    {"/experiment/abc/echo", 200, "~path=/echo\nexp=abc\nroot=/experiment/abc\n", NULL},
	    {"/experiment/defaultExperimentId/echo/", 200, "~exp=defaultExperimentId\n", NULL},
	    {"/experiment", 404, NULL, NULL},
	    {"/experimental/echo", 404, NULL, NULL},
	    {"/experiment/abc/", 200, "^" INDEX_PAGE("./"), NULL}, /* the index page */
	};
	check_gets(port, e, sizeof e / sizeof e[0]);

	reply r;
	get(&r, "/experiment/abc", NULL);
	CHECK_INT(r.status, 301);
	CHECK_STR(hdr(&r, "Location"), "/experiment/abc/");
	CHECK_INT(r.body.len, 0);
	CHECK(!hdr(&r, "X-Content-Type-Options"));
	reply_free(&r);

	get(&r, "/experiment/a%0d%0aSet-Cookie:x", NULL); /* no header injection */
	CHECK_INT(r.status, 301);
	CHECK_STR(hdr(&r, "Location"), "/experiment/a%0D%0ASet-Cookie:x/");
	CHECK(!hdr(&r, "Set-Cookie"));
	reply_free(&r);
}

static void test_server__prefix(void)
{
	static const expect_get e[] = {
	    {"/echo", 404, "=Not found", NULL},
	    {"/tbx/echo", 404, NULL, NULL},
	    {"/tb/echo", 200, "~path=/echo\nexp=\nroot=/tb\n", NULL},
	    {"/tb", 301, NULL, "/tb/"},
	    {"/tb/experiment/e1/echo", 200, "~path=/echo\nexp=e1\nroot=/tb/experiment/e1\n", NULL},
	    {"/tb/experiment/e1", 301, NULL, "/tb/experiment/e1/"},
	    /* relative root of the index page (spec 3.1) */
	    {"/tb/", 200, "^" INDEX_PAGE("./"), NULL},
	    {"/tb/experiment/abc/", 200, "^" INDEX_PAGE("../../"), NULL},
	    {"/tb/experiment/abc/images", 302, NULL, "/tb/experiment/abc/"},
	};
	check_gets(port_prefixed, e, sizeof e / sizeof e[0]);
}

static void test_server__feature_flags(void)
{
	reply r;
	const char *ok[] = {"X-TensorBoard-Feature-Flags: {}", NULL};
	CHECK_INT(get_status("/echo", ok), 200);

	const char *empty[] = {"X-TensorBoard-Feature-Flags;", NULL}; /* empty value */
	CHECK_INT(get_status("/echo", empty), 200);

	const char *bad[] = {"X-TensorBoard-Feature-Flags: {nope", NULL};
	get(&r, "/echo", bad);
	CHECK_INT(r.status, 400);
	CHECK_STR(r.body.ptr,
		  "Invalid argument: X-TensorBoard-Feature-Flags cannot be JSON decoded.");
	CHECK_STR(hdr(&r, "Content-Type"), "text/plain; charset=utf-8");
	reply_free(&r);

	const char *list[] = {"X-TensorBoard-Feature-Flags: [1]", NULL};
	get(&r, "/echo", list);
	CHECK_INT(r.status, 400);
	CHECK_STR(r.body.ptr,
		  "Invalid argument: X-TensorBoard-Feature-Flags cannot be decoded to a dict.");
	reply_free(&r);

	/* flags are checked before routing */
	CHECK_INT(get_status("/nope", list), 400);

	CHECK_INT(get_status("/echo?tensorBoardFeatureFlags=%7B%22a%22%3A1%7D", NULL), 200);

	get(&r, "/echo?tensorBoardFeatureFlags=x", NULL);
	CHECK_INT(r.status, 400);
	CHECK_STR(r.body.ptr, "Invalid argument: tensorBoardFeatureFlags cannot be JSON decoded.");
	reply_free(&r);

	get(&r, "/echo?tensorBoardFeatureFlags=3", NULL);
	CHECK_INT(r.status, 400);
	CHECK_STR(r.body.ptr,
		  "Invalid argument: tensorBoardFeatureFlags cannot be decoded to a dict.");
	reply_free(&r);

	/* the header is checked first */
	get(&r, "/echo?tensorBoardFeatureFlags=3", bad);
	CHECK_STR(r.body.ptr,
		  "Invalid argument: X-TensorBoard-Feature-Flags cannot be JSON decoded.");
	reply_free(&r);
}

static void test_server__query(void)
{
	reply r;
	get(&r, "/echo?a=1&b=x+y%2Bz&a=%C3%A9&&a&b=%zz", NULL);
	check_echo(&r,
		   (const char *const[]){"q.a=[1],[\xc3\xa9],[]\n", "q.b=[x y+z],[%zz]\n", NULL});
}

static void test_server__post_urlencoded(void)
{
	reply r;
	const char *ct[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
	const char body[] = "a=1&a=2+3&b=%C3%A9&c";
	req(&r, "POST", port, "/echo?a=q", ct, body, (long)strlen(body), NULL);
	check_echo(&r, (const char *const[]){"method=POST\n", "q.a=[q]\n", "f.a=[1],[2 3]\n",
					     "f.b=[\xc3\xa9]\n", "f.c=[]\n", "bodylen=20\n", NULL});

	/* other body types are not form data, but the body is there */
	const char *js[] = {"Content-Type: application/json", NULL};
	req(&r, "POST", port, "/echo", js, "{\"a\": 1}", 8, NULL);
	check_echo(&r, (const char *const[]){"f.a=\n", "bodylen=8\n", NULL});
}

static void test_server__post_multipart(void)
{
	reply r;
	curl_mime *m = curl_mime_init(shared);
	curl_mimepart *p = curl_mime_addpart(m);
	curl_mime_name(p, "a");
	curl_mime_data(p, "[{\"plugin\": \"scalars\", \"tag\": \"loss\"}]", CURL_ZERO_TERMINATED);
	p = curl_mime_addpart(m);
	curl_mime_name(p, "a");
	curl_mime_data(p, "line1\r\nline2", CURL_ZERO_TERMINATED);
	p = curl_mime_addpart(m);
	curl_mime_name(p, "b");
	curl_mime_data(p, "", CURL_ZERO_TERMINATED);
	p = curl_mime_addpart(m);
	curl_mime_name(p, "c");
	curl_mime_filename(p, "upload.txt"); /* a file: not a form field */
	curl_mime_data(p, "file body", CURL_ZERO_TERMINATED);
	req(&r, "POST", port, "/echo", NULL, NULL, 0, m);
	check_echo(&r,
		   (const char *const[]){
		       "f.a=[[{\"plugin\": \"scalars\", \"tag\": \"loss\"}]],[line1\r\nline2]\n",
		       "f.b=[]\n", "f.c=\n", NULL});
	curl_mime_free(m);

	const char *bad[] = {"Content-Type: multipart/form-data; boundary=XYZ", NULL};
	req(&r, "POST", port, "/echo", bad, "garbage", 7, NULL);
	CHECK_INT(r.status, 400);
	reply_free(&r);

	const char *hand[] = {"Content-Type: multipart/form-data; boundary=\"XYZ\"", NULL};
	const char body[] = "preamble\r\n--XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\n"
			    "Content-Type: text/plain\r\n\r\nv1\r\n--XYZ\r\n"
			    "content-disposition: form-data; name=a\r\n\r\nv2\r\n--XYZ--\r\n";
	req(&r, "POST", port, "/echo", hand, body, (long)strlen(body), NULL);
	check_echo(&r, (const char *const[]){"f.a=[v1],[v2]\n", NULL});
}

static void test_server__gzip(void)
{
	static const struct {
		const char *ae;
		int gz;
	} cases[] = {
	    {"Accept-Encoding: gzip", 1},
	    {"Accept-Encoding: gzip;q=1.0", 0},
	    {"Accept-Encoding: gzip;q=0", 0},
	    {"Accept-Encoding: deflate,gzip", 1},
	    {"Accept-Encoding: gzip, deflate, br", 1},
	    {"Accept-Encoding: x-gzip", 1},
	    {"Accept-Encoding: *", 1},
	    {"Accept-Encoding: deflate, br", 0},
	    {"Accept-Encoding: GZIP", 0},
	    {"Accept-Encoding: gzipx", 0},
	    {"Accept-Encoding: identity", 0},
	};
	reply plain;
	get(&plain, "/json", NULL);
	CHECK_INT(plain.status, 200);
	CHECK_STR(hdr(&plain, "Content-Type"), "application/json");
	CHECK(!hdr(&plain, "Content-Encoding"));
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		reply r;
		const char *h[] = {cases[i].ae, NULL};
		get(&r, "/json", h);
		CHECK_INT(r.status, 200);
		const char *ce = hdr(&r, "Content-Encoding");
		if (cases[i].gz) {
			CHECK_STR(ce, "gzip");
			tb_buf raw = TB_BUF_INIT;
			CHECK_INT(gunzip(&raw, &r.body), 0);
			CHECK(raw.len == plain.body.len &&
			      !memcmp(raw.ptr, plain.body.ptr, raw.len));
			CHECK(r.body.len < plain.body.len);
			/* gzip header: mtime 0, OS 255 */
			CHECK(r.body.len > 10 && !memcmp(r.body.ptr + 4, "\0\0\0\0", 4) &&
			      (unsigned char)r.body.ptr[9] == 255);
			char cl[32];
			snprintf(cl, sizeof cl, "%zu", r.body.len);
			CHECK_STR(hdr(&r, "Content-Length"), cl);
			tb_buf_free(&raw);
		} else {
			if (ce)
				fprintf(stderr, "case %s: got Content-Encoding %s\n", cases[i].ae,
					ce);
			CHECK(!ce);
			CHECK_STR(r.body.ptr, plain.body.ptr);
		}
		CHECK(!hdr(&r, "Vary"));
		reply_free(&r);
	}
	reply_free(&plain);

	/* binary types are never compressed */
	reply r;
	const char *h[] = {"Accept-Encoding: gzip", NULL};
	get(&r, "/png", h);
	CHECK_INT(r.status, 200);
	CHECK_STR(hdr(&r, "Content-Type"), "image/png");
	CHECK(!hdr(&r, "Content-Encoding"));
	CHECK(r.body.len > 8 && !memcmp(r.body.ptr, "\x89PNG", 4));
	reply_free(&r);

	/* errors are text and are compressed too */
	get(&r, "/nope", h);
	CHECK_STR(hdr(&r, "Content-Encoding"), "gzip");
	reply_free(&r);
}

static void test_server__head(void)
{
	reply g, h;
	get(&g, "/json", NULL);
	req(&h, "HEAD", port, "/json", NULL, NULL, 0, NULL);
	CHECK_INT(h.status, 200);
	CHECK_INT(h.body.len, 0);
	char cl[32];
	snprintf(cl, sizeof cl, "%zu", g.body.len);
	CHECK_STR(hdr(&h, "Content-Length"), cl);
	CHECK_STR(hdr(&h, "Content-Type"), "application/json");
	reply_free(&g);
	reply_free(&h);
}

static void test_server__headers(void)
{
	reply r;
	get(&r, "/json", NULL);
	CHECK_STR(hdr(&r, "Expires"), "0");
	CHECK_STR(hdr(&r, "Cache-Control"), "no-cache, must-revalidate");
	CHECK_STR(hdr(&r, "X-Content-Type-Options"), "nosniff");
	CHECK(!hdr(&r, "Content-Security-Policy"));
	reply_free(&r);

	get(&r, "/html", NULL);
	CHECK_STR(hdr(&r, "Content-Type"), "text/html; charset=utf-8");
	CHECK_STR(hdr(&r, "Content-Security-Policy"),
		  "default-src 'self';font-src 'self' data:;frame-src 'self' "
		  "https://ui.perfetto.dev;img-src 'self' data: blob:;object-src 'none';"
		  "style-src 'self' https://www.gstatic.com data: 'unsafe-inline';"
		  "connect-src 'self';script-src 'self' 'unsafe-eval'");
	reply_free(&r);

	get(&r, "/err", NULL);
	CHECK_INT(r.status, 400);
	CHECK_STR(r.body.ptr, "Invalid argument: bad run");
	CHECK_STR(hdr(&r, "Content-Type"), "text/plain; charset=utf-8");
	reply_free(&r);

	get(&r, "/post_only", NULL);
	CHECK_INT(r.status, 405);
	CHECK_STR(hdr(&r, "Allow"), "POST");
	CHECK_STR(hdr(&r, "Content-Type"), "text/html; charset=utf-8");
	CHECK(!hdr(&r, "Content-Security-Policy"));
	CHECK(strstr(r.body.ptr, "<title>405 Method Not Allowed</title>"));
	CHECK(strstr(r.body.ptr, "not allowed &lt;here&gt;."));
	reply_free(&r);
	req(&r, "POST", port, "/post_only", NULL, "", 0, NULL);
	CHECK_INT(r.status, 200);
	reply_free(&r);
}

static void test_server__keep_alive(void)
{
	reply r;
	get(&r, "/json", NULL);
	reply_free(&r);
	get(&r, "/json", NULL);
	CHECK_INT(r.status, 200);
	CHECK_INT(r.connects, 0); /* reused the connection */
	reply_free(&r);
}

/* Send raw bytes and return the status code of the reply (0 if none). */
static int raw_status(const char *request)
{
	int fd = tb_http_raw_open(port, request);
	if (fd < 0)
		return 0;
	char buf[256] = {0};
	ssize_t got = read(fd, buf, sizeof buf - 1);
	close(fd);
	int status = 0;
	if (got > 12)
		sscanf(buf, "HTTP/1.%*d %d", &status);
	return status;
}

typedef struct feed {
	size_t left;
} feed;

static size_t on_read(char *p, size_t sz, size_t n, void *ud)
{
	feed *f = ud;
	size_t k = sz * n < f->left ? sz * n : f->left;
	memset(p, 'a', k);
	f->left -= k;
	return k;
}

static void test_server__body_cap(void)
{
	CHECK_INT(
	    raw_status("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n"),
	    413);
	CHECK_INT(raw_status("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"), 200);

	/* a chunked body that grows past the cap */
	CURL *c = curl_easy_init();
	static const char *const chunked[] = {"Transfer-Encoding: chunked", NULL};
	feed f = {TB_HTTP_MAX_BODY + 1024};
	tb_http_req big = {.headers = chunked, .read = on_read, .read_data = &f};
	reply r;
	CHECK_INT(tb_http_send(&r, c, port, "/echo", &big), CURLE_OK);
	CHECK_INT(r.status, 413);
	reply_free(&r);

	/* a chunked body under the cap is accepted */
	feed small = {100000};
	tb_http_req ok = {.headers = chunked, .read = on_read, .read_data = &small};
	CHECK_INT(tb_http_send(&r, c, port, "/echo", &ok), CURLE_OK);
	check_echo(&r, (const char *const[]){"bodylen=100000\n", NULL});
	curl_easy_cleanup(c);

	/* junk requests get an answer, not a crash */
	int st = raw_status("\x01\x02 garbage\r\n\r\n");
	CHECK(st == 0 || (st >= 400 && st < 500));
}

static const tb_asset *find_js(void)
{
	for (size_t i = 0; i < tb_assets_count; i++)
		if (tb_assets[i].path && strstr(tb_assets[i].path, ".js"))
			return &tb_assets[i];
	return NULL;
}

static void test_server__static(void)
{
	reply r;
	const char *gz[] = {"Accept-Encoding: gzip", NULL};
	get(&r, "/", gz);
	CHECK_INT(r.status, 200);
	CHECK_STR(hdr(&r, "Content-Type"), "text/html; charset=utf-8");
	CHECK(hdr(&r, "Content-Encoding") == NULL);
	CHECK(hdr(&r, "Content-Security-Policy") != NULL);
	CHECK_STR(hdr(&r, "Cache-Control"), "no-cache, must-revalidate");
	const char pre[] = INDEX_PAGE("./");
	CHECK(!strncmp(r.body.ptr, pre, sizeof pre - 1));
	const tb_asset *ix = tb_asset_find("/index.html");
	CHECK(ix && r.body.len == sizeof pre - 1 + ix->raw_len);
	reply_free(&r);

	get(&r, "/index.html", NULL);
	CHECK_INT(r.status, 200);
	CHECK(!strncmp(r.body.ptr, pre, sizeof pre - 1));
	reply_free(&r);

	const tb_asset *js = find_js();
	CHECK(js != NULL);
	if (js) {
		get(&r, js->path, gz);
		CHECK_INT(r.status, 200);
		CHECK_STR(hdr(&r, "Content-Encoding"), "gzip");
		CHECK_STR(hdr(&r, "Content-Type"), js->content_type);
		CHECK(r.body.len == js->gz_len && !memcmp(r.body.ptr, js->gz, js->gz_len));
		CHECK_STR(hdr(&r, "Cache-Control"), "no-cache, must-revalidate");
		reply_free(&r);

		get(&r, js->path, NULL);
		CHECK_INT(r.status, 200);
		CHECK(!hdr(&r, "Content-Encoding"));
		CHECK_INT(r.body.len, js->raw_len);
		reply_free(&r);

		char url[512];
		snprintf(url, sizeof url, "%s?_file_hash=1a2b3c4d", js->path);
		get(&r, url, NULL);
		CHECK_STR(hdr(&r, "Cache-Control"), "private, max-age=86400");
		const char *ex = hdr(&r, "Expires");
		CHECK(ex && strstr(ex, " GMT"));
		reply_free(&r);

		snprintf(url, sizeof url, "%s?_file_hash=", js->path);
		get(&r, url, NULL);
		CHECK_STR(hdr(&r, "Cache-Control"), "no-cache, must-revalidate");
		CHECK_STR(hdr(&r, "Expires"), "0");
		reply_free(&r);
	}

	get(&r, "/data/notifications", NULL);
	CHECK_INT(r.status, 302);
	CHECK_STR(hdr(&r, "Location"), "../notifications_note.json");
	reply_free(&r);

	const char *legacy[] = {"/audio", "/events", "/graphs", "/histograms", "/images"};
	for (size_t i = 0; i < 5; i++) {
		get(&r, legacy[i], NULL);
		CHECK_INT(r.status, 302);
		CHECK_STR(hdr(&r, "Location"), "/");
		CHECK_STR(hdr(&r, "Content-Type"), "text/html; charset=utf-8");
		reply_free(&r);
	}
}

static void *hammer(void *arg)
{
	int *fails = arg;
	CURL *c = curl_easy_init();
	for (int i = 0; i < 50; i++) {
		reply r;
		if (tb_http_send(&r, c, port, "/json", NULL) != CURLE_OK)
			(*fails)++;
		if (r.status != 200 || r.body.len < 1000)
			(*fails)++;
		reply_free(&r);
	}
	curl_easy_cleanup(c);
	return NULL;
}

static void test_server__concurrent(void)
{
	pthread_t t[8];
	int fails[8] = {0};
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, hammer, &fails[i]);
	int total = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		total += fails[i];
	}
	CHECK_INT(total, 0);
}

static void test_server__bad_options(void)
{
	tb_router *rt = tb_router_new();
	tb_server *s = (tb_server *)1;
	tb_server_opts o = {.path_prefix = "tb"};
	CHECK_INT(tb_server_start(&s, rt, &o), -6);
	CHECK(s == NULL);
	tb_server_opts o2 = {.port = 70000};
	CHECK_INT(tb_server_start(&s, rt, &o2), -6);
	/* a port in use */
	tb_server_opts o3 = {.port = port, .threads = 1};
	CHECK_INT(tb_server_start(&s, rt, &o3), -2);
	tb_server_free(NULL);
	tb_router_free(rt);
}

static void test_server__router_replace(void)
{
	tb_router *rt = tb_router_new();
	char name[32];
	for (int i = 0; i < 500; i++) {
		snprintf(name, sizeof name, "/r/%d", i);
		tb_router_add(rt, name, h_json, NULL);
	}
	tb_router_add(rt, "/r/7", h_html, NULL);
	tb_server_opts o = {.threads = 2};
	tb_server *s = NULL;
	int saved = serve_router(&s, rt, &o);
	reply r;
	get(&r, "/r/7", NULL);
	CHECK_STR(r.body.ptr, "<p>hi</p>");
	reply_free(&r);
	CHECK_INT(get_status("/r/499", NULL), 200);
	CHECK_INT(get_status("/r/500", NULL), 404);
	port = saved;
	tb_server_free(s);
	tb_router_free(rt);
}

/* A versioned route whose version function parses the query once and
 * hands the result to the handler. */
static int parses, handled;

static void parsed_free(void *p)
{
	free(p);
}

static uint64_t v_parse(const tb_req *req, void *payload, tb_parsed *parsed)
{
	(void)payload;
	__atomic_add_fetch(&parses, 1, __ATOMIC_RELAXED);
	const char *a = tb_req_query(req, "a");
	parsed->ptr = strdup(a ? a : "-");
	parsed->release = parsed_free;
	return 7;
}

static void h_parsed(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)payload;
	__atomic_add_fetch(&handled, 1, __ATOMIC_RELAXED);
	const char *a = tb_req_parsed(req);
	tb_resp_type(resp, "text/plain");
	tb_buf_printf(tb_resp_body(resp), "a=%s", a ? a : "(not parsed)");
}

static void test_server__version_hands_parse_to_handler(void)
{
	tb_router *rt = tb_router_new();
	tb_router_add(rt, "/v", h_parsed, NULL);
	tb_router_set_version(rt, "/v", v_parse, NULL);
	tb_server_opts o = {.threads = 2, .cache_bytes = 1 << 20};
	tb_server *s = NULL;
	int saved = serve_router(&s, rt, &o);
	reply r;
	get(&r, "/v?a=xy", NULL);
	CHECK_INT(r.status, 200);
	CHECK_STR(r.body.ptr, "a=xy");
	CHECK_INT(parses, 1);
	CHECK_INT(handled, 1);
	reply_free(&r);
	get(&r, "/v?a=xy", NULL); /* from the cache: parsed for the token only */
	CHECK_STR(r.body.ptr, "a=xy");
	CHECK_INT(parses, 2);
	CHECK_INT(handled, 1);
	reply_free(&r);
	port = saved;
	tb_server_free(s);
	/* in-process calls run no version function: the handler parses */
	tb_call c = {.path = "/v"};
	tb_resp *resp = tb_router_call(rt, &c);
	CHECK_INT(tb_resp_get_status(resp), 200);
	tb_resp_free(resp);
	CHECK_INT(parses, 2);
	tb_router_free(rt);
}

/* A heavy route (under /data/plugin/) that says which thread answered:
 * libmicrohttpd names its I/O threads "MHD-...". With ?sleep_ms= it takes
 * that long. */
static int thread_sleep_ms; /* for requests without ?sleep_ms= */

static void h_thread(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)payload;
	const char *ms = tb_req_query(req, "sleep_ms");
	int sleep_ms = ms ? atoi(ms) : __atomic_load_n(&thread_sleep_ms, __ATOMIC_RELAXED);
	if (sleep_ms)
		usleep((useconds_t)sleep_ms * 1000);
	char name[32] = "";
	pthread_getname_np(pthread_self(), name, sizeof name);
	tb_resp_type(resp, "text/plain");
	tb_buf_puts(tb_resp_body(resp), strncmp(name, "MHD", 3) == 0 ? "io" : "worker");
}

static uint64_t v_const(const tb_req *req, void *payload, tb_parsed *parsed)
{
	(void)req;
	(void)payload;
	(void)parsed;
	return 1;
}

/* Without the answer cache, a heavy versioned request goes to the worker
 * pool the first time; once it is known to be cheap it is answered on the
 * I/O thread until it is slow twice in a row, and one that took long
 * stays on the workers. */
static void test_server__cheap_requests_inline(void)
{
	tb_router *rt = tb_router_new();
	tb_router_add(rt, "/data/plugin/t/thread", h_thread, NULL);
	tb_router_set_version(rt, "/data/plugin/t/thread", v_const, NULL);
	tb_server_opts o = {.threads = 2};
	tb_server *s = NULL;
	int saved = serve_router(&s, rt, &o);
	reply r;
	get(&r, "/data/plugin/t/thread?a=1", NULL);
	CHECK_INT(r.status, 200);
	CHECK_STR(r.body.ptr, "worker");
	reply_free(&r);
	/* a preempted handler may measure long once on a busy machine */
	int inline_seen = 0;
	for (int i = 0; i < 10 && !inline_seen; i++) {
		get(&r, "/data/plugin/t/thread?a=1", NULL);
		CHECK_INT(r.status, 200);
		inline_seen = strcmp(r.body.ptr, "io") == 0;
		reply_free(&r);
	}
	CHECK(inline_seen);
	/* the same request turns slow: once is forgiven, twice is not */
	__atomic_store_n(&thread_sleep_ms, 20, __ATOMIC_RELAXED);
	const char *want[] = {"io", "io", "worker"};
	for (int i = 0; i < 3; i++) {
		get(&r, "/data/plugin/t/thread?a=1", NULL);
		CHECK_STR(r.body.ptr, want[i]);
		reply_free(&r);
	}
	__atomic_store_n(&thread_sleep_ms, 0, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++) {
		get(&r, "/data/plugin/t/thread?sleep_ms=20", NULL);
		CHECK_STR(r.body.ptr, "worker");
		reply_free(&r);
	}
	port = saved;
	tb_server_free(s);
	tb_router_free(rt);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
	shared = curl_easy_init();
	tb_router *rt = tb_router_new();
	tb_http_register_static(rt, NULL);
	tb_router_add(rt, "/echo", h_echo, "P");
	tb_router_add(rt, "/json", h_json, NULL);
	tb_router_add(rt, "/html", h_html, NULL);
	tb_router_add(rt, "/png", h_png, NULL);
	tb_router_add(rt, "/err", h_err, NULL);
	tb_router_add(rt, "/post_only", h_post_only, NULL);
	tb_server *s = NULL, *sp = NULL;
	tb_server_opts o = {.host = "127.0.0.1", .port = 0};
	tb_server_opts op = {.port = 0, .path_prefix = "/tb//", .threads = 3};
	if (tb_server_start(&s, rt, &o) != 0 || tb_server_start(&sp, rt, &op) != 0) {
		fprintf(stderr, "cannot start servers\n");
		return 1;
	}
	port = tb_server_port(s);
	port_prefixed = tb_server_port(sp);
	CHECK(port > 0 && port_prefixed > 0 && port != port_prefixed);

	TB_RUN(test_server__routing);
	TB_RUN(test_server__experiment);
	TB_RUN(test_server__prefix);
	TB_RUN(test_server__feature_flags);
	TB_RUN(test_server__query);
	TB_RUN(test_server__post_urlencoded);
	TB_RUN(test_server__post_multipart);
	TB_RUN(test_server__gzip);
	TB_RUN(test_server__head);
	TB_RUN(test_server__headers);
	TB_RUN(test_server__keep_alive);
	TB_RUN(test_server__body_cap);
	TB_RUN(test_server__static);
	TB_RUN(test_server__concurrent);
	TB_RUN(test_server__bad_options);
	TB_RUN(test_server__router_replace);
	TB_RUN(test_server__version_hands_parse_to_handler);
	TB_RUN(test_server__cheap_requests_inline);

	tb_server_free(s);
	tb_server_free(sp);
	tb_router_free(rt);
	curl_easy_cleanup(shared);
	curl_global_cleanup();
	return tb_test_finish();
}
