/* Protocol Buffers wire-format decoding (spec FORMAT.md 2), zero-copy.
 *
 * A tb_pb cursor walks the fields of one message; length-delimited payloads
 * are returned as views into the input. Every read is bounds-checked: input
 * comes from disk and is untrusted. Groups (wire types 3 and 4) are treated
 * as corruption; no writer of event files produces them. */
#ifndef TB_PB_DECODE_H
#define TB_PB_DECODE_H

#include <stdint.h>
#include <string.h>

#include "common/buf.h"

enum { TB_PB_VARINT = 0, TB_PB_I64 = 1, TB_PB_LEN = 2, TB_PB_I32 = 5 };

typedef struct tb_pb {
	const uint8_t *p, *end;
} tb_pb;

typedef struct tb_pb_field {
	uint32_t num;
	int wire;
	uint64_t u;   /* VARINT, I64 and I32 payloads (raw bits) */
	tb_slice len; /* LEN payload */
} tb_pb_field;

static inline tb_pb tb_pb_make(tb_slice s)
{
	tb_pb r = {s.ptr, s.ptr + s.len};
	return r;
}

/* Read a varint. Returns 0 or TB_ECORRUPT (truncated or over 10 bytes). */
int tb_pb_varint(uint64_t *out, tb_pb *r);

/* Read the next field. Returns 1 with *f filled, 0 at the end of the message,
 * or TB_ECORRUPT. */
int tb_pb_next(tb_pb_field *f, tb_pb *r);

static inline double tb_pb_double(const tb_pb_field *f)
{
	double d;
	memcpy(&d, &f->u, 8);
	return d;
}

static inline float tb_pb_float(const tb_pb_field *f)
{
	uint32_t b = (uint32_t)f->u;
	float x;
	memcpy(&x, &b, 4);
	return x;
}

#endif
