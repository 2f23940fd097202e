/* Requests and responses as handlers see them (see http.h, message.h).
 *
 * A response collects status, type, headers and body in memory; server.c
 * turns it into the wire response once the handler returns. Responses are
 * small enough to buffer whole (the largest are a few MiB of JSON). */
#include "message.h"

#include <microhttpd.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/alloc.h"
#include "common/log.h"
#include "fs/netlib.h"
#include "guard.h"

void tb_req_init(tb_req *q)
{
	memset(q, 0, sizeof *q);
	q->prefix = "";
	q->fd = -1;
}

void tb_req_release(tb_req *q)
{
	free(q->uri);
	free(q->path);
	free(q->experiment);
	free(q->script_root);
	tb_form_free(&q->query);
	tb_form_free(&q->form);
	tb_buf_free(&q->body);
	if (q->resp) {
		tb_resp_release(q->resp);
		free(q->resp);
	}
	if (q->parsed.release)
		q->parsed.release(q->parsed.ptr);
}

const void *tb_req_parsed(const tb_req *req)
{
	return req->parsed.ptr;
}

const char *tb_req_method(const tb_req *req)
{
	return req->method ? req->method : "GET";
}
const char *tb_req_path(const tb_req *req)
{
	return req->path ? req->path : "";
}
const char *tb_req_experiment(const tb_req *req)
{
	return req->experiment ? req->experiment : "";
}
const char *tb_req_script_root(const tb_req *req)
{
	return req->script_root ? req->script_root : "";
}
const char *tb_req_path_prefix(const tb_req *req)
{
	return req->prefix;
}

const char *tb_req_query(const tb_req *req, const char *name)
{
	return tb_form_get(&req->query, name);
}

size_t tb_req_query_all(const tb_req *req, const char *name, const char **out, size_t max)
{
	return tb_form_get_all(&req->query, name, out, max);
}

const char *tb_req_form(const tb_req *req, const char *name)
{
	return tb_form_get(&req->form, name);
}

size_t tb_req_form_all(const tb_req *req, const char *name, const char **out, size_t max)
{
	return tb_form_get_all(&req->form, name, out, max);
}

const char *tb_req_header(const tb_req *req, const char *name)
{
	if (!req->conn)
		return NULL;
	return tb_mhd.lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

tb_slice tb_req_body(const tb_req *req)
{
	return tb_slice_make(req->body.ptr ? req->body.ptr : "", req->body.len);
}

static int is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

int tb_accept_encoding_gzip(const char *v)
{
	if (!v)
		return 0;
	/* Tokens are maximal runs between commas and whitespace; a parameter
	 * glued on ("gzip;q=1.0") makes the token not match. */
	const char *p = v;
	while (*p) {
		while (*p && is_sep(*p))
			p++;
		const char *t = p;
		while (*p && !is_sep(*p))
			p++;
		size_t n = (size_t)(p - t);
		if ((n == 4 && memcmp(t, "gzip", 4) == 0) ||
		    (n == 6 && memcmp(t, "x-gzip", 6) == 0) || (n == 1 && *t == '*'))
			return 1;
	}
	return 0;
}

/* 1 when the peer has closed or reset the connection. A request pipelined
 * behind this one is readable data, not a hang-up. */
static int client_gone(int fd)
{
	if (fd < 0)
		return 0;
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

int tb_req_should_stop(const tb_req *req, tb_resp *resp)
{
	if (req->gone)
		return 1;
	if (client_gone(req->fd)) {
		/* the one field a handler's request changes: tells the server
		 * to log the abandoned work */
		((tb_req *)req)->gone = 1;
		return 1;
	}
	if (req->max_response && resp->body.len > req->max_response) {
		tb_resp_error(resp, 413,
			      "Response too large: more than %zu bytes; ask for fewer series",
			      req->max_response);
		return 1;
	}
	if (req->deadline > 0 && tb_now() > req->deadline) {
		tb_resp_error(resp, 503, "Request took too long and was stopped");
		return 1;
	}
	return 0;
}

int tb_req_accepts_gzip(const tb_req *req)
{
	return tb_accept_encoding_gzip(tb_req_header(req, "Accept-Encoding"));
}

void tb_resp_init(tb_resp *r)
{
	memset(r, 0, sizeof *r);
	r->status = 200;
}

void tb_resp_release(tb_resp *r)
{
	free(r->type);
	for (size_t i = 0; i < r->nhdr; i++) {
		free(r->hdr[i].name);
		free(r->hdr[i].value);
	}
	free(r->hdr);
	tb_buf_free(&r->body);
	if (r->stream && r->stream_free)
		r->stream_free(r->stream_payload);
}

void tb_resp_status(tb_resp *r, int status)
{
	r->status = status;
}

void tb_resp_type(tb_resp *r, const char *content_type)
{
	free(r->type);
	r->type = tb_xstrdup(content_type);
}

int tb_resp_get_status(const tb_resp *r)
{
	return r->status;
}

const char *tb_resp_get_type(const tb_resp *r)
{
	return r->type ? r->type : "application/json";
}

void tb_resp_free(tb_resp *r)
{
	if (!r)
		return;
	tb_resp_release(r);
	free(r);
}

const char *tb_resp_get_header(const tb_resp *r, const char *name)
{
	for (size_t i = 0; i < r->nhdr; i++)
		if (strcasecmp(r->hdr[i].name, name) == 0)
			return r->hdr[i].value;
	return NULL;
}

void tb_resp_header(tb_resp *r, const char *name, const char *value)
{
	if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
		return;
	for (size_t i = 0; i < r->nhdr; i++) {
		if (strcasecmp(r->hdr[i].name, name) == 0) {
			free(r->hdr[i].value);
			r->hdr[i].value = tb_xstrdup(value);
			return;
		}
	}
	r->hdr = tb_xgrow(r->hdr, &r->hdr_cap, r->nhdr + 1, sizeof *r->hdr);
	r->hdr[r->nhdr].name = tb_xstrdup(name);
	r->hdr[r->nhdr].value = tb_xstrdup(value);
	r->nhdr++;
}

tb_buf *tb_resp_body(tb_resp *r)
{
	return &r->body;
}

void tb_resp_bytes(tb_resp *r, const char *content_type, const void *p, size_t n)
{
	tb_buf_clear(&r->body);
	tb_buf_append(&r->body, p, n);
	tb_resp_type(r, content_type);
}

void tb_resp_error(tb_resp *r, int status, const char *fmt, ...)
{
	va_list ap;
	r->status = status;
	tb_resp_type(r, "text/plain; charset=utf-8");
	tb_buf_clear(&r->body);
	va_start(ap, fmt);
	tb_buf_vprintf(&r->body, fmt, ap);
	va_end(ap);
}

void tb_resp_no_gzip(tb_resp *r)
{
	r->no_gzip = 1;
}

void tb_resp_sse(tb_resp *r, tb_sse_hub *h, const char *first, size_t n)
{
	tb_resp_bytes(r, "text/event-stream", first, n);
	tb_resp_header(r, "Cache-Control", "no-cache");
	r->no_gzip = 1;
	r->sse = h;
}

void tb_resp_stream(tb_resp *r, tb_stream_fn fn, void *payload, void (*free_fn)(void *))
{
	r->no_gzip = 1;
	r->stream = fn;
	r->stream_payload = payload;
	r->stream_free = free_fn;
}

/* Percent-encode what may not appear raw in a header or URL. */
static void put_url(tb_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '<' || *p == '>') {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			tb_buf_append(b, e, 3);
		} else {
			tb_buf_putc(b, (char)*p);
		}
	}
}

static void put_html(tb_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			tb_buf_puts(b, "&amp;");
			break;
		case '<':
			tb_buf_puts(b, "&lt;");
			break;
		case '>':
			tb_buf_puts(b, "&gt;");
			break;
		case '"':
			tb_buf_puts(b, "&quot;");
			break;
		case '\'':
			tb_buf_puts(b, "&#39;");
			break;
		default:
			tb_buf_putc(b, *s);
		}
	}
}

void tb_resp_redirect(tb_resp *r, int status, const char *location)
{
	tb_buf loc = TB_BUF_INIT;
	put_url(&loc, location);
	tb_buf_puts(&loc, "");
	r->status = status;
	r->raw = 1;
	tb_resp_type(r, "text/html; charset=utf-8");
	tb_resp_header(r, "Location", loc.ptr);
	tb_buf_clear(&r->body);
	tb_buf_puts(&r->body, "<!doctype html>\n<html lang=en>\n<title>Redirecting</title>\n"
			      "<h1>Redirecting</h1>\n<p>This page has moved to <a href=\"");
	put_html(&r->body, loc.ptr);
	tb_buf_puts(&r->body, "\">");
	put_html(&r->body, loc.ptr);
	tb_buf_puts(&r->body, "</a>.\n");
	tb_buf_free(&loc);
}

static const char *status_text(int status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 413:
		return "Request Entity Too Large";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	default:
		return "Error";
	}
}

void tb_resp_html_error(tb_resp *r, int status, const char *description)
{
	const char *t = status_text(status);
	r->status = status;
	r->raw = 1;
	tb_resp_type(r, "text/html; charset=utf-8");
	tb_buf_clear(&r->body);
	tb_buf_printf(&r->body,
		      "<!doctype html>\n<html lang=en>\n<title>%d %s</title>\n<h1>%s</h1>\n<p>",
		      status, t, t);
	put_html(&r->body, description);
	tb_buf_puts(&r->body, "</p>\n");
}
