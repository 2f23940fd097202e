/* PNG and WAV encoders for the image and audio summaries (media.h).
 *
 * PNG: signature, IHDR, one IDAT holding the deflate stream of all
 * filtered rows, IEND. Each row gets the filter (none, sub, up, average or
 * Paeth) whose output has the smallest sum of absolute values, the usual
 * heuristic; rows are filtered into one scratch line and streamed through
 * deflate into a buffer of deflateBound's size. Tuned for the small images
 * of summaries (thumbnails, samples): level 6 with zlib's Z_FILTERED
 * strategy, meant for filtered rows (smaller than the default strategy at
 * the same speed). */
#include "writer/media.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* Append a chunk of type with n data bytes. */
static void put_chunk(tb_pb_buf *b, const char *type, const uint8_t *data, size_t n)
{
	uint8_t head[8], crc_be[4];
	uLong crc;

	be32(head, (uint32_t)n);
	memcpy(head + 4, type, 4);
	tb_pb_put_raw(b, head, 8);
	tb_pb_put_raw(b, data, n);
	crc = crc32(0L, (const Bytef *)type, 4);
	if (n) /* crc32 with a NULL buffer would return the initial value */
		crc = crc32(crc, data, (uInt)n);
	be32(crc_be, (uint32_t)crc);
	tb_pb_put_raw(b, crc_be, 4);
}

static uint8_t paeth(uint8_t a, uint8_t b, uint8_t c)
{
	int p = (int)a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
	if (pa <= pb && pa <= pc)
		return a;
	return pb <= pc ? b : c;
}

/* Filter row (with prev the row above, or NULL) into out[0..1+n): the
 * filter byte, then the filtered bytes. bpp = bytes per pixel. */
static void filter_row(uint8_t *out, uint8_t *tmp, const uint8_t *row, const uint8_t *prev,
		       size_t n, size_t bpp)
{
	unsigned long best_sum = ~0ul;

	for (int f = 0; f < 5; f++) {
		unsigned long sum = 0;
		if (f == 2 && !prev)
			continue; /* up == none on the first row */
		for (size_t i = 0; i < n; i++) {
			uint8_t a = i >= bpp ? row[i - bpp] : 0, b = prev ? prev[i] : 0;
			uint8_t c = prev && i >= bpp ? prev[i - bpp] : 0, v;
			switch (f) {
			case 0:
				v = row[i];
				break;
			case 1:
				v = (uint8_t)(row[i] - a);
				break;
			case 2:
				v = (uint8_t)(row[i] - b);
				break;
			case 3:
				v = (uint8_t)(row[i] - ((a + b) >> 1));
				break;
			default:
				v = (uint8_t)(row[i] - paeth(a, b, c));
				break;
			}
			tmp[1 + i] = v;
			sum += v < 128 ? v : 256u - v;
		}
		if (sum < best_sum) {
			best_sum = sum;
			tmp[0] = (uint8_t)f;
			memcpy(out, tmp, n + 1);
		}
	}
}

int tb_png_encode(tb_pb_buf *out, const uint8_t *pixels, uint32_t width, uint32_t height,
		  int channels)
{
	static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
	static const uint8_t color_type[5] = {0, 0, 4, 2, 6};
	size_t start = out->len, row_len, idat_cap;
	uint8_t ihdr[13], *line = NULL, *tmp = NULL, *idat = NULL;
	z_stream z;
	int rc = TB_ENOMEM, z_ok = 0;

	if (channels < 1 || channels > 4 || width == 0 || height == 0 ||
	    (uint64_t)width * height * (uint64_t)channels >= ((uint64_t)1 << 31))
		return TB_EINVAL;
	row_len = (size_t)width * (size_t)channels;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 6, Z_DEFLATED, 15, 8, Z_FILTERED) != Z_OK)
		return TB_ENOMEM;
	z_ok = 1;
	idat_cap = deflateBound(&z, (uLong)((row_len + 1) * height));
	line = malloc(row_len + 1);
	tmp = malloc(row_len + 1);
	idat = malloc(idat_cap);
	if (!line || !tmp || !idat)
		goto out;
	z.next_out = idat;
	z.avail_out = (uInt)idat_cap;
	for (uint32_t y = 0; y < height; y++) {
		const uint8_t *row = pixels + (size_t)y * row_len;
		filter_row(line, tmp, row, y ? row - row_len : NULL, row_len, (size_t)channels);
		z.next_in = line;
		z.avail_in = (uInt)(row_len + 1);
		if (deflate(&z, y + 1 == height ? Z_FINISH : Z_NO_FLUSH) == Z_STREAM_ERROR)
			goto out;
	}
	if (z.avail_in != 0)
		goto out; /* deflateBound guarantees room; never expected */

	be32(ihdr, width);
	be32(ihdr + 4, height);
	ihdr[8] = 8;
	ihdr[9] = color_type[channels];
	ihdr[10] = ihdr[11] = ihdr[12] = 0;
	tb_pb_put_raw(out, sig, sizeof sig);
	put_chunk(out, "IHDR", ihdr, sizeof ihdr);
	put_chunk(out, "IDAT", idat, idat_cap - z.avail_out);
	put_chunk(out, "IEND", NULL, 0);
	rc = out->err;
out:
	if (z_ok)
		deflateEnd(&z);
	free(line);
	free(tmp);
	free(idat);
	if (rc != 0)
		tb_pb_buf_truncate(out, start);
	return rc;
}

int tb_wav_encode(tb_pb_buf *out, const float *samples, size_t frames, int channels,
		  uint32_t sample_rate)
{
	uint8_t h[44];
	uint64_t data_len = (uint64_t)frames * (uint64_t)(channels > 0 ? channels : 1) * 2;
	size_t start = out->len, n;
	uint8_t *p;

	if (channels < 1 || channels > 65535 || sample_rate == 0 || sample_rate > INT32_MAX ||
	    (frames && data_len / frames / 2 != (uint64_t)channels) || data_len > UINT32_MAX - 36)
		return TB_EINVAL;
	memcpy(h, "RIFF", 4);
	le32(h + 4, (uint32_t)(36 + data_len));
	memcpy(h + 8, "WAVEfmt ", 8);
	le32(h + 16, 16);
	le16(h + 20, 1); /* PCM */
	le16(h + 22, (uint16_t)channels);
	le32(h + 24, sample_rate);
	le32(h + 28, sample_rate * (uint32_t)channels * 2);
	le16(h + 32, (uint16_t)(channels * 2));
	le16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	le32(h + 40, (uint32_t)data_len);
	if (tb_pb_put_raw(out, h, sizeof h) || tb_pb_buf_reserve(out, (size_t)data_len)) {
		tb_pb_buf_truncate(out, start);
		return TB_ENOMEM;
	}
	p = out->data + out->len;
	n = (size_t)frames * (size_t)channels;
	for (size_t i = 0; i < n; i++) {
		float f = samples[i];
		double v;
		long s;
		if (isnan(f))
			f = 0.0f;
		v = f < -1.0f ? -1.0 : f > 1.0f ? 1.0 : (double)f;
		s = lround(v * 32768.0);
		if (s > 32767)
			s = 32767;
		le16(p + 2 * i, (uint16_t)(int16_t)s);
	}
	out->len += (size_t)data_len;
	return 0;
}
