/* TFRecord framing (spec FORMAT.md 3.1-3.3).
 *
 * Both CRCs are masked as LevelDB does, so that a CRC of data that itself
 * holds CRCs stays well distributed. Integers are stored little-endian
 * regardless of the host. */
#include "record/rec_writer.h"

#include <string.h>

#include "common/crc32c.h"

static void le32_at(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void tb_rec_header(uint8_t *out, uint64_t len)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(len >> (8 * i));
	le32_at(out + 8, tb_crc32c_mask(tb_crc32c(out, 8)));
}

void tb_rec_footer(uint8_t *out, const void *payload, size_t len)
{
	le32_at(out, tb_crc32c_mask(tb_crc32c(payload, len)));
}

size_t tb_rec_frame(uint8_t *out, const void *payload, size_t len)
{
	uint8_t *body = out + TB_REC_HEADER_SIZE;

	if (body != (const uint8_t *)payload)
		memmove(body, payload, len);
	tb_rec_header(out, len);
	tb_rec_footer(body + len, body, len);
	return len + TB_REC_OVERHEAD;
}
