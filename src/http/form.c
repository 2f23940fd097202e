/* Query-string, urlencoded and multipart/form-data parsing (see form.h).
 *
 * Both encodings matter: scripts post urlencoded bodies, while the stock web
 * UI posts a browser FormData object, i.e. multipart/form-data (spec
 * HTTP_API.md 0). Bodies are at most the server's body cap, so the parsers
 * work on the whole buffer with memmem rather than streaming. */
#include "form.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/chars.h"

size_t tb_url_decode(char *out, const char *s, size_t n, int plus_is_space)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int hi, lo;
		if (c == '%' && i + 2 < n && (hi = tb_hex_digit((unsigned char)s[i + 1])) >= 0 &&
		    (lo = tb_hex_digit((unsigned char)s[i + 2])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			out[o++] = ' ';
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return o;
}

static void add_field(tb_form *f, const char *name, size_t name_len, const char *value,
		      size_t value_len, int decode)
{
	f->v = tb_xgrow(f->v, &f->cap, f->n + 1, sizeof *f->v);
	tb_form_field *fd = &f->v[f->n++];
	fd->name = tb_xmalloc(name_len + 1);
	fd->value = tb_xmalloc(value_len + 1);
	if (decode) {
		tb_url_decode(fd->name, name, name_len, 1);
		fd->value_len = tb_url_decode(fd->value, value, value_len, 1);
	} else {
		memcpy(fd->name, name, name_len);
		fd->name[name_len] = '\0';
		memcpy(fd->value, value, value_len);
		fd->value[value_len] = '\0';
		fd->value_len = value_len;
	}
}

void tb_form_parse_urlencoded(tb_form *f, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		const char *amp = memchr(s + i, '&', n - i);
		size_t end = amp ? (size_t)(amp - s) : n;
		if (end > i) {
			const char *eq = memchr(s + i, '=', end - i);
			if (eq) {
				size_t k = (size_t)(eq - s);
				add_field(f, s + i, k - i, eq + 1, end - k - 1, 1);
			} else {
				add_field(f, s + i, end - i, "", 0, 1);
			}
		}
		i = end + 1;
	}
}

/* Find parameter `want` in a header value of the form
 * "type; a=b; c=\"d\"" starting at p (n bytes). Stores its unquoted value in
 * out (capacity cap) and returns its length, or -1 when absent. */
static long header_param(char *out, size_t cap, const char *p, size_t n, const char *want)
{
	size_t i = 0, wl = strlen(want);
	/* skip the leading media type / disposition type */
	while (i < n && p[i] != ';')
		i++;
	while (i < n) {
		i++; /* the ';' */
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		size_t k = i;
		while (i < n && p[i] != '=' && p[i] != ';')
			i++;
		size_t klen = i;
		while (klen > k && (p[klen - 1] == ' ' || p[klen - 1] == '\t'))
			klen--;
		int match = klen - k == wl && strncasecmp(p + k, want, wl) == 0;
		size_t o = 0;
		if (i < n && p[i] == '=') {
			i++;
			while (i < n && (p[i] == ' ' || p[i] == '\t'))
				i++;
			if (i < n && p[i] == '"') {
				i++;
				while (i < n && p[i] != '"') {
					if (p[i] == '\\' && i + 1 < n)
						i++;
					if (o + 1 < cap)
						out[o++] = p[i];
					i++;
				}
				if (i < n)
					i++; /* closing quote */
				while (i < n && p[i] != ';')
					i++;
			} else {
				while (i < n && p[i] != ';') {
					if (o + 1 < cap)
						out[o++] = p[i];
					i++;
				}
				while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
					o--;
			}
		}
		if (match) {
			if (cap)
				out[o] = '\0';
			return (long)o;
		}
	}
	return -1;
}

/* Parse one part's header block (lines separated by CRLF). Stores the field
 * name; returns 1 for a plain field, 0 for a file or a part without a
 * name. */
static int part_headers(char *name, size_t cap, const char *h, size_t n)
{
	static const char cd[] = "content-disposition:";
	size_t i = 0;
	int found = 0;
	while (i < n) {
		const char *eol = memmem(h + i, n - i, "\r\n", 2);
		size_t end = eol ? (size_t)(eol - h) : n;
		if (end - i >= sizeof cd - 1 && strncasecmp(h + i, cd, sizeof cd - 1) == 0) {
			const char *v = h + i + sizeof cd - 1;
			size_t vn = end - i - (sizeof cd - 1);
			char dummy[2];
			if (header_param(name, cap, v, vn, "name") >= 0 &&
			    header_param(dummy, sizeof dummy, v, vn, "filename") < 0 &&
			    header_param(dummy, sizeof dummy, v, vn, "filename*") < 0)
				found = 1;
			else
				found = 0;
		}
		i = end + 2;
	}
	return found;
}

#define MAX_BOUNDARY 256
#define MAX_NAME 1024

int tb_form_parse_multipart(tb_form *f, const char *content_type, const void *body, size_t n)
{
	char delim[MAX_BOUNDARY + 4] = "\r\n--";
	if (!content_type)
		return TB_EINVAL;
	long bl =
	    header_param(delim + 4, MAX_BOUNDARY, content_type, strlen(content_type), "boundary");
	if (bl <= 0 || bl >= MAX_BOUNDARY - 1)
		return TB_EINVAL;
	size_t dl = 4 + (size_t)bl;
	const char *b = body;
	size_t i;
	/* The first delimiter may open the body (without the CRLF) or follow a
	 * preamble. */
	if (n >= dl - 2 && memcmp(b, delim + 2, dl - 2) == 0) {
		i = dl - 2;
	} else {
		const char *p = memmem(b, n, delim, dl);
		if (!p)
			return TB_EINVAL;
		i = (size_t)(p - b) + dl;
	}
	char *name = tb_xmalloc(MAX_NAME);
	int rc = TB_EINVAL;
	for (;;) {
		/* just past a delimiter: "--" closes, else transport padding + CRLF */
		if (n - i >= 2 && b[i] == '-' && b[i + 1] == '-') {
			rc = 0;
			break;
		}
		while (i < n && (b[i] == ' ' || b[i] == '\t'))
			i++;
		if (n - i < 2 || b[i] != '\r' || b[i + 1] != '\n')
			break;
		i += 2;
		size_t hstart = i, hlen;
		if (n - i >= 2 && b[i] == '\r' && b[i + 1] == '\n') {
			hlen = 0; /* no headers at all */
			i += 2;
		} else {
			const char *he = memmem(b + i, n - i, "\r\n\r\n", 4);
			if (!he)
				break;
			hlen = (size_t)(he - b) - i;
			i += hlen + 4;
		}
		const char *next = memmem(b + i, n - i, delim, dl);
		if (!next)
			break;
		size_t vlen = (size_t)(next - b) - i;
		if (part_headers(name, MAX_NAME, b + hstart, hlen))
			add_field(f, name, strlen(name), b + i, vlen, 0);
		i += vlen + dl;
	}
	free(name);
	return rc;
}

void tb_form_add(tb_form *f, const char *name, const char *value)
{
	add_field(f, name, strlen(name), value, strlen(value), 0);
}

const char *tb_form_get(const tb_form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].name, name) == 0)
			return f->v[i].value;
	return NULL;
}

size_t tb_form_get_all(const tb_form *f, const char *name, const char **out, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->v[i].name, name) == 0) {
			if (k < max)
				out[k] = f->v[i].value;
			k++;
		}
	}
	return k;
}

void tb_form_free(tb_form *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
	}
	free(f->v);
	f->v = NULL;
	f->n = f->cap = 0;
}
