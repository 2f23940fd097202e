/* Protocol Buffers wire-format cursor (see pb_decode.h): the multi-byte
 * varint path, kept out of line (the one-byte case is inline), and the
 * reader of a message's last string fields. */
#include "pb_decode.h"

#include "common/error.h"

int tb_pb_varint_slow(uint64_t *out, tb_pb *r)
{
	const uint8_t *p = r->p;
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

int tb_pb_last_lens(tb_slice *out, uint32_t n, tb_slice in)
{
	tb_pb r = tb_pb_make(in);
	tb_pb_field f;
	int rc;
	while ((rc = tb_pb_next(&f, &r)) == 1)
		if (f.wire == TB_PB_LEN && f.num <= n)
			out[f.num - 1] = f.len;
	return rc;
}
