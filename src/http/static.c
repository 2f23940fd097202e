/* Core routes that need no data (spec HTTP_API.md 3.1, 3.2, 3.9-3.11): the
 * web app's index page, the embedded assets, and a few fixed redirects and
 * silent 404s.
 *
 * Assets are embedded gzip-compressed (assets.h). Clients that accept gzip
 * get those bytes untouched; others get them inflated per request, which is
 * rare (browsers all accept gzip) and cheap for files this size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "assets.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/log.h"
#include "http.h"

/* Append the inflated bytes of asset a to out. */
static int inflate_asset(tb_buf *out, const tb_asset *a)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return TB_ENOMEM;
	tb_buf_reserve(out, a->raw_len);
	z.next_in = (Bytef *)(uintptr_t)a->gz;
	z.avail_in = (uInt)a->gz_len;
	int rc = TB_OK;
	for (;;) {
		tb_buf_reserve(out, 16384);
		z.next_out = (Bytef *)out->ptr + out->len;
		z.avail_out = (uInt)(out->cap - out->len - 1);
		uInt before = z.avail_out;
		int zr = inflate(&z, Z_NO_FLUSH);
		out->len += before - z.avail_out;
		out->ptr[out->len] = '\0';
		if (zr == Z_STREAM_END)
			break;
		if (zr != Z_OK) {
			rc = TB_ECORRUPT;
			break;
		}
	}
	inflateEnd(&z);
	return rc;
}

int tb_http_asset(tb_buf *out, const char *path)
{
	const tb_asset *a = tb_asset_find(path);
	return a ? inflate_asset(out, a) : TB_ENOTFOUND;
}

/* Spec 3.1: the relative path from the script root back to the prefix. */
static const char *relative_root(const tb_req *req)
{
	const char *prefix = tb_req_path_prefix(req);
	if (!*prefix || strcmp(tb_req_script_root(req), prefix) == 0)
		return ".";
	return "../..";
}

static void serve_index(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)payload;
	const tb_asset *a = tb_asset_find("/index.html");
	if (!a) {
		tb_resp_error(resp, 404, "Not found");
		return;
	}
	tb_buf *b = tb_resp_body(resp);
	tb_buf_clear(b);
	tb_buf_printf(b, "<!doctype html><meta name=\"tb-relative-root\" content=\"%s/\">",
		      relative_root(req));
	if (inflate_asset(b, a) != TB_OK) {
		tb_log_error("http: embedded /index.html is corrupt");
		tb_resp_error(resp, 500, "Internal error");
		return;
	}
	tb_resp_type(resp, "text/html; charset=utf-8");
	tb_resp_no_gzip(resp);
}

static int is_javascript(const char *type)
{
	return strncmp(type, "text/javascript", 15) == 0 ||
	       strncmp(type, "application/javascript", 22) == 0;
}

static void serve_asset(tb_resp *resp, const tb_req *req, void *payload)
{
	const tb_asset *a = payload;
	if (tb_req_accepts_gzip(req)) {
		tb_resp_bytes(resp, a->content_type, a->gz, a->gz_len);
		tb_resp_header(resp, "Content-Encoding", "gzip");
	} else {
		tb_resp_type(resp, a->content_type);
		if (inflate_asset(tb_resp_body(resp), a) != TB_OK) {
			tb_log_error("http: embedded %s is corrupt", a->path);
			tb_resp_error(resp, 500, "Internal error");
			return;
		}
		tb_resp_no_gzip(resp);
	}
	/* Spec 2.5: hashed script URLs may be cached for a day. */
	const char *hash = tb_req_query(req, "_file_hash");
	if (is_javascript(a->content_type) && hash && *hash) {
		char date[64];
		time_t t = time(NULL) + 86400;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		tb_resp_header(resp, "Cache-Control", "private, max-age=86400");
		tb_resp_header(resp, "Expires", date);
	}
}

static void serve_notifications(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	(void)payload;
	tb_resp_redirect(resp, 302, "../notifications_note.json");
}

static void serve_legacy(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)payload;
	char *loc = tb_xasprintf("%s/", tb_req_script_root(req));
	tb_resp_redirect(resp, 302, loc);
	free(loc);
}

static void serve_not_found(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	(void)payload;
	tb_resp_error(resp, 404, "Not found");
}

void tb_http_register_static(tb_router *r, const tb_server_opts *opts)
{
	static const char *const legacy[] = {"/audio", "/events", "/graphs", "/histograms",
					     "/images"};
	(void)opts;
	for (size_t i = 0; i < tb_assets_count; i++) {
		const tb_asset *a = &tb_assets[i];
		if (a->path && strcmp(a->path, "/index.html") != 0)
			tb_router_add(r, a->path, serve_asset, (void *)(uintptr_t)a);
	}
	tb_router_add(r, "/", serve_index, NULL);
	tb_router_add(r, "/index.html", serve_index, NULL);
	tb_router_add(r, "/data/notifications", serve_notifications, NULL);
	for (size_t i = 0; i < sizeof legacy / sizeof legacy[0]; i++)
		tb_router_add(r, legacy[i], serve_legacy, NULL);
	tb_router_add(r, "/favicon.ico", serve_not_found, NULL);
	tb_router_add(r, "/___rPc_sWiTcH___", serve_not_found, NULL);
}
