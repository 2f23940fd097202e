/* Protocol Buffers wire-format cursor (see pb_decode.h). The loader calls
 * tb_pb_next for every field of every event, so the common one-byte varint
 * case is handled before the general loop. */
#include "pb_decode.h"

#include "common/error.h"

int tb_pb_varint(uint64_t *out, tb_pb *r)
{
	const uint8_t *p = r->p;
	if (p < r->end && !(*p & 0x80)) {
		*out = *p;
		r->p = p + 1;
		return 0;
	}
	uint64_t v = 0;
	for (int shift = 0; shift < 70; shift += 7) {
		if (p >= r->end)
			return TB_ECORRUPT;
		uint8_t b = *p++;
		v |= (uint64_t)(b & 0x7F) << shift;
		if (!(b & 0x80)) {
			*out = v;
			r->p = p;
			return 0;
		}
	}
	return TB_ECORRUPT;
}

int tb_pb_next(tb_pb_field *f, tb_pb *r)
{
	if (r->p >= r->end)
		return 0;
	uint64_t key;
	if (tb_pb_varint(&key, r))
		return TB_ECORRUPT;
	if (key >> 3 == 0 || key >> 3 > 0x1FFFFFFF)
		return TB_ECORRUPT;
	f->num = (uint32_t)(key >> 3);
	f->wire = (int)(key & 7);
	switch (f->wire) {
	case TB_PB_VARINT:
		return tb_pb_varint(&f->u, r) ? TB_ECORRUPT : 1;
	case TB_PB_I64:
		if (r->end - r->p < 8)
			return TB_ECORRUPT;
		memcpy(&f->u, r->p, 8);
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
