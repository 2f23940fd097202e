/* Helpers shared by the writer tests: opening a writer in the test's
 * folder, reading event files record by record, a minimal protobuf field walker, a PNG
 * decoder (zlib inflate plus the five row filters) to check pixels, and a
 * file size limit to play a full disk. */
#ifndef TB_WUTIL_H
#define TB_WUTIL_H

#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include "../api/testutil.h"
#include "common/crc32c.h"
#include "tboard/writer.h"

/* The single event file in dir ("" if none); static storage. */
static inline const char *wu_event_file(const char *dir)
{
	static char path[4096];
	DIR *d = opendir(dir);
	struct dirent *e;
	path[0] = '\0';
	if (!d)
		return path;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, "events.out.tfevents.", 20) == 0)
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
	closedir(d);
	return path;
}

static inline uint8_t *wu_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;
	*len = 0;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static inline uint32_t wu_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Walk the records of a file image: calls fn for each payload whose CRCs
 * hold; returns the number of bad records, and the bytes after the last
 * whole record in *trail. */
typedef void (*wu_rec_fn)(const uint8_t *p, size_t n, void *payload);
static inline int wu_records(const uint8_t *all, size_t size, wu_rec_fn fn, void *payload,
			     size_t *trail)
{
	size_t off = 0;
	int bad = 0;
	while (size - off >= 12) {
		uint64_t len = (uint64_t)wu_le32(all + off) | (uint64_t)wu_le32(all + off + 4)
								  << 32;
		if (tb_crc32c_mask(tb_crc32c(all + off, 8)) != wu_le32(all + off + 8)) {
			bad++;
			break;
		}
		if (size - off - 12 < len + 4)
			break;
		if (tb_crc32c_mask(tb_crc32c(all + off + 12, len)) != wu_le32(all + off + 12 + len))
			bad++;
		else if (fn)
			fn(all + off + 12, (size_t)len, payload);
		off += 16 + (size_t)len;
	}
	if (trail)
		*trail = size - off;
	return bad;
}

/* Protobuf field walking. */
typedef struct wu_field {
	uint32_t num;
	int wt;
	uint64_t v;	  /* varint, fixed64, fixed32 */
	const uint8_t *p; /* length-delimited */
	size_t n;
} wu_field;

static inline int wu_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t r = 0;
	for (int s = 0; s < 64 && *p < end; s += 7) {
		uint8_t c = *(*p)++;
		r |= (uint64_t)(c & 0x7F) << s;
		if (c < 0x80) {
			*out = r;
			return 1;
		}
	}
	return 0;
}

/* Next field of [*p, end): 1, or 0 at the end or on bad input. */
static inline int wu_next(const uint8_t **p, const uint8_t *end, wu_field *f)
{
	uint64_t key;
	if (*p >= end || !wu_varint(p, end, &key))
		return 0;
	f->num = (uint32_t)(key >> 3);
	f->wt = (int)(key & 7);
	f->p = NULL;
	f->n = 0;
	switch (f->wt) {
	case 0:
		return wu_varint(p, end, &f->v);
	case 1:
		if (end - *p < 8)
			return 0;
		memcpy(&f->v, *p, 8);
		*p += 8;
		return 1;
	case 5: {
		uint32_t v;
		if (end - *p < 4)
			return 0;
		memcpy(&v, *p, 4);
		f->v = v;
		*p += 4;
		return 1;
	}
	case 2:
		if (!wu_varint(p, end, &f->v) || f->v > (uint64_t)(end - *p))
			return 0;
		f->p = *p;
		f->n = (size_t)f->v;
		*p += f->n;
		return 1;
	}
	return 0;
}

/* The first field num of a message, or 0. */
static inline int wu_find(const uint8_t *p, size_t n, uint32_t num, wu_field *out)
{
	const uint8_t *end = p + n;
	wu_field f;
	while (wu_next(&p, end, &f))
		if (f.num == num) {
			*out = f;
			return 1;
		}
	return 0;
}

static inline int wu_paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

static inline uint32_t wu_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Decode an 8-bit non-interlaced PNG into interleaved pixels (malloc'd).
 * Returns NULL on anything else. Checks every chunk CRC. */
static inline uint8_t *wu_png_decode(const uint8_t *png, size_t len, int *w, int *h, int *channels)
{
	static const int ch_of[7] = {1, 0, 3, 0, 2, 0, 4};
	uint8_t *idat = NULL, *raw = NULL, *out = NULL;
	size_t idat_len = 0, off = 8;
	int ct = -1;
	uLongf raw_len;

	if (len < 8 || memcmp(png, "\x89PNG\r\n\x1a\n", 8) != 0)
		return NULL;
	*w = *h = 0;
	while (off + 12 <= len) {
		uint32_t n = wu_be32(png + off);
		const uint8_t *type = png + off + 4, *data = png + off + 8;
		if (n > len - off - 12)
			goto fail;
		if ((uint32_t)crc32(crc32(0, type, 4), data, n) != wu_be32(data + n))
			goto fail;
		if (memcmp(type, "IHDR", 4) == 0) {
			*w = (int)wu_be32(data);
			*h = (int)wu_be32(data + 4);
			if (data[8] != 8 || data[12] != 0 || data[9] > 6)
				goto fail;
			ct = data[9];
		} else if (memcmp(type, "IDAT", 4) == 0) {
			idat = realloc(idat, idat_len + n + 1);
			memcpy(idat + idat_len, data, n);
			idat_len += n;
		}
		off += 12 + n;
	}
	if (ct < 0 || !ch_of[ct] || *w <= 0 || *h <= 0)
		goto fail;
	*channels = ch_of[ct];
	{
		size_t stride = (size_t)*w * (size_t)*channels, bpp = (size_t)*channels;
		raw_len = (uLongf)((stride + 1) * (size_t)*h);
		raw = malloc(raw_len);
		if (uncompress(raw, &raw_len, idat, idat_len) != Z_OK ||
		    raw_len != (stride + 1) * (size_t)*h)
			goto fail;
		out = malloc(stride * (size_t)*h);
		for (int y = 0; y < *h; y++) {
			const uint8_t *in = raw + (size_t)y * (stride + 1);
			uint8_t *row = out + (size_t)y * stride;
			const uint8_t *up = y ? row - stride : NULL;
			for (size_t i = 0; i < stride; i++) {
				int a = i >= bpp ? row[i - bpp] : 0, b = up ? up[i] : 0;
				int c = up && i >= bpp ? up[i - bpp] : 0, v = in[1 + i];
				switch (in[0]) {
				case 0:
					break;
				case 1:
					v += a;
					break;
				case 2:
					v += b;
					break;
				case 3:
					v += (a + b) / 2;
					break;
				case 4:
					v += wu_paeth(a, b, c);
					break;
				default:
					free(out);
					out = NULL;
					goto fail;
				}
				row[i] = (uint8_t)v;
			}
		}
	}
fail:
	free(idat);
	free(raw);
	return out;
}

/* A writer on base/name with max_queue (<= 0: the default) and scalar
 * encoding enc, its event file's path copied to path (n bytes). Returns
 * the writer, or NULL (path "") when it could not be opened. */
static inline tb_writer *wu_open(char *path, size_t n, const char *base, const char *name,
				 int max_queue, int enc)
{
	char dir[4200];
	tb_writer_opts o;
	tb_writer *w = NULL;

	snprintf(dir, sizeof dir, "%s/%s", base, name);
	tb_writer_opts_init(&o);
	if (max_queue > 0)
		o.max_queue = max_queue;
	o.scalar_encoding = enc;
	path[0] = '\0';
	if (tb_writer_open(&w, dir, &o) == TB_OK)
		snprintf(path, n, "%s", tb_writer_path(w));
	return w;
}

/* Let files this process writes grow to max bytes only, a write past it
 * failing (EFBIG) instead of raising SIGXFSZ. The limit before goes to
 * *old: setrlimit(RLIMIT_FSIZE, old) restores it. Returns setrlimit's
 * answer (0, or -1 when the limit cannot be set). */
static inline int wu_limit_file_size(struct rlimit *old, rlim_t max)
{
	struct rlimit small;
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, old);
	small = *old;
	small.rlim_cur = max;
	return setrlimit(RLIMIT_FSIZE, &small);
}

#endif
