/* Protocol Buffers wire encoding into a growable byte buffer (spec FORMAT.md 2).
 *
 * Only what the event writer needs: keys, varints (negative int64 as the
 * 10-byte two's complement), fixed 32/64-bit floats, length-delimited bytes,
 * nested messages and packed repeated scalars. No zigzag, no groups.
 *
 * The buffer never aborts: a failed allocation sets a sticky error, later
 * appends do nothing, and every call returns that error, so a caller may
 * encode a whole message and check once at the end. Nested messages reserve
 * one length byte and move their body only when it reaches 128 bytes, which
 * keeps the common case (small events) copy-free. Not thread-safe; one
 * buffer belongs to one thread at a time. */
#ifndef TB_PB_ENCODE_H
#define TB_PB_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "pb_wire.h"

/* A growable byte buffer. Zero-initialise it (or call tb_pb_buf_init). */
typedef struct tb_pb_buf {
	uint8_t *data; /* owned; NULL until the first append */
	size_t len;    /* bytes in use */
	size_t cap;    /* bytes allocated */
	int err;       /* 0, or TB_ENOMEM after a failed allocation (sticky) */
} tb_pb_buf;

/* Make b empty with no storage. */
void tb_pb_buf_init(tb_pb_buf *b);
/* Release b's storage and leave it as tb_pb_buf_init does. NULL is ignored. */
void tb_pb_buf_free(tb_pb_buf *b);
/* Cut b back to len bytes (len <= b->len) and clear a sticky error, so a
 * half-encoded message can be rolled back. Keeps the storage. */
void tb_pb_buf_truncate(tb_pb_buf *b, size_t len);
/* Grow b to hold extra more bytes; use tb_pb_buf_reserve. */
int tb_pb_buf_grow(tb_pb_buf *b, size_t extra);

/* Make room for extra more bytes. Returns 0 or TB_ENOMEM. Inline because
 * every append calls it and it almost never needs to grow. */
static inline int tb_pb_buf_reserve(tb_pb_buf *b, size_t extra)
{
	if (b->err == 0 && extra <= b->cap - b->len)
		return 0;
	return tb_pb_buf_grow(b, extra);
}

/* Number of bytes of the varint encoding of v (1..10). */
size_t tb_pb_varint_size(uint64_t v);

/* The appenders below return b->err after the call: 0 or TB_ENOMEM. */

/* Append n raw bytes. */
int tb_pb_put_raw(tb_pb_buf *b, const void *p, size_t n);
/* Append a bare varint. */
int tb_pb_put_varint(tb_pb_buf *b, uint64_t v);
/* Append a field key; field must be in 1..2^29-1. */
int tb_pb_put_key(tb_pb_buf *b, uint32_t field, int wire_type);

/* Keyed scalar fields. They always write, even a default value: leaving
 * defaults out (proto3) is the caller's choice. int64 also serves int32 and
 * enum fields, since both sign-extend to 64 bits on the wire. */
int tb_pb_put_uint64(tb_pb_buf *b, uint32_t field, uint64_t v);
int tb_pb_put_int64(tb_pb_buf *b, uint32_t field, int64_t v);
int tb_pb_put_bool(tb_pb_buf *b, uint32_t field, int v);
int tb_pb_put_double(tb_pb_buf *b, uint32_t field, double v);
int tb_pb_put_float(tb_pb_buf *b, uint32_t field, float v);

/* A length-delimited field holding n bytes at p (string, bytes). */
int tb_pb_put_bytes(tb_pb_buf *b, uint32_t field, const void *p, size_t n);
/* The same for a NUL-terminated string. */
int tb_pb_put_string(tb_pb_buf *b, uint32_t field, const char *s);

/* Packed repeated fields. An empty list writes nothing (spec 2.3). */
int tb_pb_put_packed_double(tb_pb_buf *b, uint32_t field, const double *v, size_t n);
int tb_pb_put_packed_float(tb_pb_buf *b, uint32_t field, const float *v, size_t n);
int tb_pb_put_packed_int64(tb_pb_buf *b, uint32_t field, const int64_t *v, size_t n);

/* Open a nested message (or any length-delimited field built piecewise):
 * writes the key and reserves the length. Returns a mark for tb_pb_end.
 * Calls nest; each begin needs its end, innermost first. */
size_t tb_pb_begin(tb_pb_buf *b, uint32_t field);
/* Close the field opened at mark, writing its final length. Returns 0 or
 * TB_ENOMEM. */
int tb_pb_end(tb_pb_buf *b, size_t mark);

#endif
