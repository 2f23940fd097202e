/* Protocol Buffers wire encoding (spec FORMAT.md 2).
 *
 * Every append goes through reserve(), which grows the buffer by doubling
 * and records TB_ENOMEM instead of aborting. Fixed-width values are written
 * byte by byte in little-endian order so the output does not depend on the
 * host's byte order. */
#include "proto/pb_encode.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CAP 256
#define MAX_FIELD ((1u << 29) - 1)

void tb_pb_buf_init(tb_pb_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->err = 0;
}

void tb_pb_buf_free(tb_pb_buf *b)
{
	if (!b)
		return;
	free(b->data);
	tb_pb_buf_init(b);
}

void tb_pb_buf_truncate(tb_pb_buf *b, size_t len)
{
	assert(len <= b->len);
	b->len = len;
	b->err = 0;
}

int tb_pb_buf_grow(tb_pb_buf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (b->err)
		return b->err;
	if (extra <= b->cap - b->len)
		return 0;
	if (extra > SIZE_MAX - b->len)
		goto fail;
	need = b->len + extra;
	cap = b->cap ? b->cap : MIN_CAP;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	p = realloc(b->data, cap);
	if (!p)
		goto fail;
	b->data = p;
	b->cap = cap;
	return 0;
fail:
	b->err = TB_ENOMEM;
	return b->err;
}

size_t tb_pb_varint_size(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Write v's varint at p, which has room for 10 bytes; returns the size. */
static size_t varint_at(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

int tb_pb_put_raw(tb_pb_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return b->err;
	if (tb_pb_buf_reserve(b, n))
		return b->err;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int tb_pb_put_varint(tb_pb_buf *b, uint64_t v)
{
	if (tb_pb_buf_reserve(b, 10))
		return b->err;
	b->len += varint_at(b->data + b->len, v);
	return 0;
}

int tb_pb_put_key(tb_pb_buf *b, uint32_t field, int wire_type)
{
	assert(field >= 1 && field <= MAX_FIELD);
	return tb_pb_put_varint(b, ((uint64_t)field << 3) | (uint64_t)wire_type);
}

int tb_pb_put_uint64(tb_pb_buf *b, uint32_t field, uint64_t v)
{
	tb_pb_put_key(b, field, TB_PB_VARINT);
	return tb_pb_put_varint(b, v);
}

int tb_pb_put_int64(tb_pb_buf *b, uint32_t field, int64_t v)
{
	/* Negative values become their 64-bit two's complement: 10 bytes. */
	return tb_pb_put_uint64(b, field, (uint64_t)v);
}

int tb_pb_put_bool(tb_pb_buf *b, uint32_t field, int v)
{
	return tb_pb_put_uint64(b, field, v ? 1 : 0);
}

/* The float (width 4) or double (width 8) at v, as its bits in
 * little-endian order at p. */
static void le_at(uint8_t *p, const void *v, size_t width)
{
	uint64_t bits;
	if (width == 8) {
		memcpy(&bits, v, 8);
	} else {
		uint32_t b32;
		memcpy(&b32, v, 4);
		bits = b32;
	}
	for (size_t i = 0; i < width; i++)
		p[i] = (uint8_t)(bits >> (8 * i));
}

/* Inlined, so that each caller's width is a constant. */
static inline __attribute__((always_inline)) int put_fixed(tb_pb_buf *b, uint32_t field, int wire,
							   const void *v, size_t width)
{
	if (tb_pb_put_key(b, field, wire) || tb_pb_buf_reserve(b, width))
		return b->err;
	le_at(b->data + b->len, v, width);
	b->len += width;
	return 0;
}

int tb_pb_put_double(tb_pb_buf *b, uint32_t field, double v)
{
	return put_fixed(b, field, TB_PB_I64, &v, 8);
}

int tb_pb_put_float(tb_pb_buf *b, uint32_t field, float v)
{
	return put_fixed(b, field, TB_PB_I32, &v, 4);
}

int tb_pb_put_bytes(tb_pb_buf *b, uint32_t field, const void *p, size_t n)
{
	tb_pb_put_key(b, field, TB_PB_LEN);
	tb_pb_put_varint(b, n);
	return tb_pb_put_raw(b, p, n);
}

int tb_pb_put_string(tb_pb_buf *b, uint32_t field, const char *s)
{
	return tb_pb_put_bytes(b, field, s, strlen(s));
}

/* n floats (width 4) or doubles (width 8) from v as one packed field. */
static int put_packed_fixed(tb_pb_buf *b, uint32_t field, const void *v, size_t n, size_t width)
{
	const uint8_t *src = v;
	if (n == 0)
		return b->err;
	if (n > SIZE_MAX / width) {
		b->err = TB_ENOMEM;
		return b->err;
	}
	tb_pb_put_key(b, field, TB_PB_LEN);
	tb_pb_put_varint(b, n * width);
	if (tb_pb_buf_reserve(b, n * width))
		return b->err;
	for (size_t i = 0; i < n; i++) {
		le_at(b->data + b->len, src + i * width, width);
		b->len += width;
	}
	return 0;
}

int tb_pb_put_packed_double(tb_pb_buf *b, uint32_t field, const double *v, size_t n)
{
	return put_packed_fixed(b, field, v, n, 8);
}

int tb_pb_put_packed_float(tb_pb_buf *b, uint32_t field, const float *v, size_t n)
{
	return put_packed_fixed(b, field, v, n, 4);
}

int tb_pb_put_packed_int64(tb_pb_buf *b, uint32_t field, const int64_t *v, size_t n)
{
	size_t body = 0;

	if (n == 0)
		return b->err;
	for (size_t i = 0; i < n; i++)
		body += tb_pb_varint_size((uint64_t)v[i]);
	tb_pb_put_key(b, field, TB_PB_LEN);
	tb_pb_put_varint(b, body);
	if (tb_pb_buf_reserve(b, body))
		return b->err;
	for (size_t i = 0; i < n; i++)
		b->len += varint_at(b->data + b->len, (uint64_t)v[i]);
	return 0;
}

size_t tb_pb_begin(tb_pb_buf *b, uint32_t field)
{
	size_t mark;

	tb_pb_put_key(b, field, TB_PB_LEN);
	mark = b->len;
	/* One byte covers bodies under 128 bytes; tb_pb_end widens it. */
	if (tb_pb_buf_reserve(b, 1) == 0)
		b->data[b->len++] = 0;
	return mark;
}

int tb_pb_end(tb_pb_buf *b, size_t mark)
{
	size_t body, width;

	if (b->err)
		return b->err;
	assert(mark < b->len);
	body = b->len - mark - 1;
	width = tb_pb_varint_size(body);
	if (width > 1) {
		if (tb_pb_buf_reserve(b, width - 1))
			return b->err;
		memmove(b->data + mark + width, b->data + mark + 1, body);
		b->len += width - 1;
	}
	varint_at(b->data + mark, body);
	return 0;
}
