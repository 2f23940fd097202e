/* Growable byte buffer (see buf.h). */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

int tb_slice_eq_str(tb_slice s, const char *z)
{
	size_t n = strlen(z);
	return n == s.len && (n == 0 || memcmp(s.ptr, z, n) == 0);
}

void tb_buf_reserve(tb_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->ptr = tb_xrealloc(b->ptr, cap);
	b->cap = cap;
}

void tb_buf_append(tb_buf *b, const void *p, size_t n)
{
	tb_buf_reserve(b, n);
	if (n)
		memcpy(b->ptr + b->len, p, n);
	b->len += n;
	b->ptr[b->len] = 0;
}

void tb_buf_puts(tb_buf *b, const char *s)
{
	tb_buf_append(b, s, strlen(s));
}

void tb_buf_putc(tb_buf *b, char c)
{
	tb_buf_reserve(b, 1);
	b->ptr[b->len++] = c;
	b->ptr[b->len] = 0;
}

void tb_buf_vprintf(tb_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	char small[256];
	int n = vsnprintf(small, sizeof small, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		tb_buf_append(b, small, (size_t)n);
		return;
	}
	tb_buf_reserve(b, (size_t)n);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void tb_buf_printf(tb_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tb_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void tb_buf_clear(tb_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = 0;
}

char *tb_buf_detach(tb_buf *b)
{
	if (!b->ptr)
		tb_buf_reserve(b, 0);
	b->ptr[b->len] = 0;
	char *p = b->ptr;
	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}

void tb_buf_free(tb_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

void tb_buf_base64url(tb_buf *out, const void *data, size_t n)
{
	const uint8_t *p = data;
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		char c[4] = {abc[v >> 18], abc[(v >> 12) & 63], abc[(v >> 6) & 63], abc[v & 63]};
		tb_buf_append(out, c, 4);
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		char c[2] = {abc[v >> 18], abc[(v >> 12) & 63]};
		tb_buf_append(out, c, 2);
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		char c[3] = {abc[v >> 18], abc[(v >> 12) & 63], abc[(v >> 6) & 63]};
		tb_buf_append(out, c, 3);
	}
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int tb_buf_unbase64url(tb_buf *out, tb_buf *err, const char *s, size_t n)
{
	if (n % 4 == 1) {
		tb_buf_puts(err, "bad base64 length");
		return TB_EINVAL;
	}
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value((unsigned char)s[i]);
		if (v < 0) {
			if (s[i] == '=')
				tb_buf_puts(err, "base64 padding is not allowed");
			else
				tb_buf_printf(err, "invalid base64 byte 0x%02x at offset %zu",
					      (unsigned char)s[i], i);
			return TB_EINVAL;
		}
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			tb_buf_putc(out, (char)(acc >> bits & 0xff));
		}
	}
	if (acc & ((1u << bits) - 1)) {
		tb_buf_puts(err, "non-canonical base64 trailing bits");
		return TB_EINVAL;
	}
	return 0;
}
