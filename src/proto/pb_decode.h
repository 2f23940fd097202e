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
#include "pb_wire.h"
#include "common/error.h"

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

/* The general varint path, out of line; callers use tb_pb_varint. */
int tb_pb_varint_slow(uint64_t *out, tb_pb *r);

/* Read a varint. Returns 0 or TB_ECORRUPT (truncated or over 10 bytes).
 * Inline because the loader decodes several per event, and most are one
 * byte long. */
#define TB_PB_INLINE static inline __attribute__((always_inline))

TB_PB_INLINE int tb_pb_varint(uint64_t *out, tb_pb *r)
{
	const uint8_t *p = r->p;
	if (p < r->end && !(*p & 0x80)) {
		/* one byte, the usual case, also near the end of a message */
		*out = *p;
		r->p = p + 1;
		return 0;
	}
	if (r->end - p >= 10) {
		/* enough bytes left for any varint: no bounds check per byte */
		uint64_t v = *p & 0x7F;
		for (int shift = 7; *p++ & 0x80; shift += 7) {
			if (shift >= 70)
				return TB_ECORRUPT;
			v |= (uint64_t)(*p & 0x7F) << shift;
		}
		*out = v;
		r->p = p;
		return 0;
	}
	return tb_pb_varint_slow(out, r);
}

/* Read the next field. Returns 1 with *f filled, 0 at the end of the message,
 * or TB_ECORRUPT. */
TB_PB_INLINE int tb_pb_next(tb_pb_field *f, tb_pb *r)
{
	if (r->p >= r->end)
		return 0;
	uint64_t key;
	if (tb_pb_varint(&key, r) || key >> 3 == 0 || key >> 3 > 0x1FFFFFFF)
		return TB_ECORRUPT;
	f->num = (uint32_t)(key >> 3);
	f->wire = (int)(key & 7);
	switch (f->wire) {
	case TB_PB_VARINT:
		return tb_pb_varint(&f->u, r) ? TB_ECORRUPT : 1;
	case TB_PB_I64:
		if (r->end - r->p < 8)
			return TB_ECORRUPT;
		memcpy(&f->u, r->p, 8); /* little-endian hosts only, as the whole reader */
		r->p += 8;
		return 1;
	case TB_PB_I32: {
		if (r->end - r->p < 4)
			return TB_ECORRUPT;
		uint32_t v;
		memcpy(&v, r->p, 4);
		f->u = v;
		r->p += 4;
		return 1;
	}
	case TB_PB_LEN: {
		uint64_t n;
		if (tb_pb_varint(&n, r) || n > (uint64_t)(r->end - r->p))
			return TB_ECORRUPT;
		f->len = tb_slice_make(r->p, (size_t)n);
		r->p += n;
		return 1;
	}
	}
	return TB_ECORRUPT;
}

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

/* Set out[k - 1] to the payload of the last length-delimited field number
 * k (1 <= k <= n) of message `in`; the other entries keep what they held,
 * and fields of other numbers or wire types are skipped, so a field that
 * occurs is told by a non-NULL ptr. Returns 0, or TB_ECORRUPT when in does
 * not decode (the fields before the fault are set). */
int tb_pb_last_lens(tb_slice *out, uint32_t n, tb_slice in);

#endif
