/* The summary kinds of libtboard beyond scalars (include/tboard/writer.h;
 * spec FORMAT.md 10): histograms, images, audio, text, PR curves, hparams,
 * meshes, custom scalar layouts and graphs.
 *
 * Each call checks its arguments, builds the TensorProto and plugin
 * content in scratch buffers without the writer's lock, and queues one
 * event through tb_writer__emit_values, so a failed call queues nothing.
 * The layouts are those of TensorBoard's own summary functions: numeric
 * tensors in tensor_content, strings in string_val, metadata on every
 * value. Tuned for correctness over speed, except images, whose PNG
 * encoding dominates and is done once per image. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pb_encode.h"
#include "writer/media.h"
#include "writer/writer_int.h"

/* tensor.proto */
#define T_DTYPE 1
#define T_SHAPE 2
#define T_CONTENT 4
#define T_STRING_VAL 8
#define SHAPE_DIM 2
#define DIM_SIZE 1
#define DT_FLOAT 1
#define DT_DOUBLE 2
#define DT_INT32 3
#define DT_UINT8 4
#define DT_STRING 7

#define CHECK_W(w)                                                                                 \
	do {                                                                                       \
		if (!(w))                                                                          \
			return TB_EINVAL;                                                          \
	} while (0)

static int oom(tb_writer *w)
{
	return tb_writer__fail(w, TB_ENOMEM, "out of memory");
}

static int str_ok(const char *s)
{
	return s && tb_writer__utf8(s, strlen(s));
}

static void put_shape_field(tb_pb_buf *b, uint32_t field, const int64_t *dims, int rank)
{
	size_t m = tb_pb_begin(b, field);
	for (int i = 0; i < rank; i++) {
		size_t d = tb_pb_begin(b, SHAPE_DIM);
		if (dims[i] != 0)
			tb_pb_put_int64(b, DIM_SIZE, dims[i]);
		tb_pb_end(b, d);
	}
	tb_pb_end(b, m);
}

static void put_shape(tb_pb_buf *b, const int64_t *dims, int rank)
{
	put_shape_field(b, T_SHAPE, dims, rank);
}

/* A numeric tensor: dtype, shape, then len little-endian bytes. */
static void put_numeric(tb_pb_buf *b, int dtype, const int64_t *dims, int rank, const void *le,
			size_t len)
{
	tb_pb_put_uint64(b, T_DTYPE, (uint64_t)dtype);
	put_shape(b, dims, rank);
	if (len)
		tb_pb_put_bytes(b, T_CONTENT, le, len);
}

static void put_le_double(uint8_t *p, double v)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof bits);
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(bits >> (8 * i));
}

static void put_le_float(uint8_t *p, float v)
{
	uint32_t bits;
	memcpy(&bits, &v, sizeof bits);
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(bits >> (8 * i));
}

static void put_le_i32(uint8_t *p, int32_t v)
{
	uint32_t u = (uint32_t)v;
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(u >> (8 * i));
}

/* Queue one value with tensor t (a finished buffer) and plugin content. */
static int emit_one(tb_writer *w, const char *tag, const tb_pb_buf *t, const char *plugin,
		    const void *content, size_t content_len, int64_t step, double wall_time)
{
	tb_wvalue v = {tag, t->data, t->len, plugin, content, content_len};
	if (t->err)
		return oom(w);
	return tb_writer__emit_values(w, wall_time, step, &v, 1);
}

/* --- histograms --- */

static int emit_histogram(tb_writer *w, const char *tag, const double *rows, size_t k, int64_t step,
			  double wall_time)
{
	tb_pb_buf t;
	int64_t dims[2] = {(int64_t)k, 3};
	uint8_t *le;
	int rc;

	if (k > SIZE_MAX / 24)
		return tb_writer__fail(w, TB_EINVAL, "too many buckets");
	le = malloc(k * 24 + 1);
	if (!le)
		return oom(w);
	for (size_t i = 0; i < k * 3; i++)
		put_le_double(le + 8 * i, rows[i]);
	tb_pb_buf_init(&t);
	put_numeric(&t, DT_DOUBLE, dims, 2, le, k * 24);
	free(le);
	rc = emit_one(w, tag, &t, "histograms", NULL, 0, step, wall_time);
	tb_pb_buf_free(&t);
	return rc;
}

int tb_writer_add_histogram(tb_writer *w, const char *tag, const double *values, size_t n,
			    int buckets, int64_t step, double wall_time)
{
	size_t k = buckets <= 0 ? 30 : (size_t)buckets;
	double *rows, min, max, range;
	int rc;

	CHECK_W(w);
	if ((rc = tb_writer__check_tag(w, tag)) != TB_OK)
		return rc;
	if (!values && n > 0)
		return tb_writer__fail(w, TB_EINVAL, "values is NULL");
	if (k > ((size_t)1 << 24))
		return tb_writer__fail(w, TB_EINVAL, "too many buckets");
	rows = calloc(k * 3 + 1, sizeof *rows);
	if (!rows)
		return oom(w);
	if (n == 0)
		goto emit;
	min = max = values[0];
	for (size_t i = 0; i < n; i++) {
		double v = values[i];
		if (isnan(v) || isnan(min)) {
			min = max = isnan(min) ? min : v; /* NaN wins, as in NumPy */
			continue;
		}
		if (v < min)
			min = v;
		if (v > max)
			max = v;
	}
	range = max - min;
	if (range == 0) {
		for (size_t i = 0; i < k; i++) {
			rows[3 * i] = rows[3 * i + 1] = min;
			rows[3 * i + 2] = i + 1 == k ? (double)n : 0.0;
		}
	} else {
		double width = range / (double)k;
		for (size_t i = 0; i < k; i++) {
			/* NumPy's linspace: i * step + start, the last edge exactly max. */
			rows[3 * i] = (double)i * width + min;
			rows[3 * i + 1] = i + 1 == k ? max : (double)(i + 1) * width + min;
		}
		for (size_t i = 0; i < n; i++) {
			double q = floor((values[i] - min) / width);
			size_t b;
			if (!isfinite(q) || q < 0)
				continue; /* NaN, or infinities: no bucket */
			b = q >= (double)(k - 1) ? k - 1 : (size_t)q;
			rows[3 * b + 2] += 1.0;
		}
	}
emit:
	rc = emit_histogram(w, tag, rows, k, step, wall_time);
	free(rows);
	return rc;
}

int tb_writer_add_histogram_raw(tb_writer *w, const char *tag, const double *edges,
				const double *counts, size_t k, int64_t step, double wall_time)
{
	double *rows;
	int rc;

	CHECK_W(w);
	if ((rc = tb_writer__check_tag(w, tag)) != TB_OK)
		return rc;
	if (k > 0 && (!edges || !counts))
		return tb_writer__fail(w, TB_EINVAL, "edges and counts must be given");
	if (k > ((size_t)1 << 24))
		return tb_writer__fail(w, TB_EINVAL, "too many buckets");
	rows = malloc((k * 3 + 1) * sizeof *rows);
	if (!rows)
		return oom(w);
	for (size_t i = 0; i < k; i++) {
		rows[3 * i] = edges[i];
		rows[3 * i + 1] = edges[i + 1];
		rows[3 * i + 2] = counts[i];
	}
	rc = emit_histogram(w, tag, rows, k, step, wall_time);
	free(rows);
	return rc;
}

/* --- images --- */

/* Check img and return the bytes of one image in *size and its channel
 * count in *channels. */
int tb_writer__check_image(tb_writer *w, const tb_image *img, size_t *size, int *channels)
{
	int c;
	uint64_t n;

	if (!img)
		return tb_writer__fail(w, TB_EINVAL, "image is NULL");
	c = img->channels;
	if (img->layout == TB_LAYOUT_HW && c == 0)
		c = 1;
	if (img->pixel_type != TB_PIXEL_U8 && img->pixel_type != TB_PIXEL_F32)
		return tb_writer__fail(w, TB_EINVAL, "unknown pixel type %d", img->pixel_type);
	if (img->layout != TB_LAYOUT_HWC && img->layout != TB_LAYOUT_CHW &&
	    img->layout != TB_LAYOUT_HW)
		return tb_writer__fail(w, TB_EINVAL, "unknown layout %d", img->layout);
	if ((img->layout == TB_LAYOUT_HW && c != 1) || (c != 1 && c != 3 && c != 4))
		return tb_writer__fail(w, TB_EINVAL, "images have 1, 3 or 4 channels, not %d",
				       img->channels);
	if (img->height <= 0 || img->width <= 0)
		return tb_writer__fail(w, TB_EINVAL, "image size %dx%d is empty", img->width,
				       img->height);
	n = (uint64_t)img->height * (uint64_t)img->width * (uint64_t)c;
	if (n >= ((uint64_t)1 << 31))
		return tb_writer__fail(w, TB_EINVAL, "image too large");
	*channels = c;
	*size = (size_t)n * (img->pixel_type == TB_PIXEL_F32 ? sizeof(float) : 1);
	return TB_OK;
}

static uint8_t float_to_u8(float f)
{
	if (!(f > 0.0f))
		return 0; /* also NaN */
	if (f >= 1.0f)
		return 255;
	return (uint8_t)(f * 255.0f + 0.5f);
}

/* Convert image i of batch to interleaved bytes in out (h * w * c). */
void tb_writer__image_hwc(uint8_t *out, const tb_image *b, int c, size_t i, size_t image_bytes)
{
	const uint8_t *base = (const uint8_t *)b->pixels + i * image_bytes;
	size_t hw = (size_t)b->height * (size_t)b->width, n = hw * (size_t)c;
	int f32 = b->pixel_type == TB_PIXEL_F32;

	for (size_t j = 0; j < n; j++) {
		/* j indexes the output (pixel p, channel ch); src the input. */
		size_t p = j / (size_t)c, ch = j % (size_t)c;
		size_t src = b->layout == TB_LAYOUT_CHW ? ch * hw + p : j;
		if (f32) {
			float f;
			memcpy(&f, base + src * sizeof f, sizeof f);
			out[j] = float_to_u8(f);
		} else {
			out[j] = base[src];
		}
	}
}

/* Append the PNG of image i of batch to pngs. scratch holds one image. */
static int png_of(tb_pb_buf *pngs, uint8_t *scratch, const tb_image *b, int c, size_t i,
		  size_t image_bytes)
{
	const uint8_t *px = scratch;
	if (b->pixel_type == TB_PIXEL_U8 && b->layout != TB_LAYOUT_CHW)
		px = (const uint8_t *)b->pixels + i * image_bytes;
	else
		tb_writer__image_hwc(scratch, b, c, i, image_bytes);
	return tb_png_encode(pngs, px, (uint32_t)b->width, (uint32_t)b->height, c);
}

int tb_writer_add_images(tb_writer *w, const char *tag, const tb_image *batch, size_t n,
			 int64_t step, double wall_time)
{
	tb_pb_buf pngs, t;
	size_t image_bytes = 0, *off = NULL;
	uint8_t *scratch = NULL;
	char wh[2][16];
	int c = 1, rc;
	int64_t dims[1];

	CHECK_W(w);
	if ((rc = tb_writer__check_tag(w, tag)) != TB_OK)
		return rc;
	if ((rc = tb_writer__check_image(w, batch, &image_bytes, &c)) != TB_OK)
		return rc;
	if (n > 0 && !batch->pixels)
		return tb_writer__fail(w, TB_EINVAL, "image pixels are NULL");
	if (n > ((size_t)1 << 20))
		return tb_writer__fail(w, TB_EINVAL, "too many images");
	tb_pb_buf_init(&pngs);
	tb_pb_buf_init(&t);
	off = malloc((n + 1) * sizeof *off);
	scratch = malloc((size_t)batch->height * (size_t)batch->width * (size_t)c);
	if (!off || !scratch) {
		rc = oom(w);
		goto out;
	}
	off[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if ((rc = png_of(&pngs, scratch, batch, c, i, image_bytes)) != TB_OK) {
			rc = rc == TB_ENOMEM ? oom(w)
					     : tb_writer__fail(w, rc, "image cannot be encoded");
			goto out;
		}
		off[i + 1] = pngs.len;
	}
	snprintf(wh[0], sizeof wh[0], "%d", batch->width);
	snprintf(wh[1], sizeof wh[1], "%d", batch->height);
	dims[0] = (int64_t)n + 2;
	tb_pb_put_uint64(&t, T_DTYPE, DT_STRING);
	put_shape(&t, dims, 1);
	tb_pb_put_string(&t, T_STRING_VAL, wh[0]);
	tb_pb_put_string(&t, T_STRING_VAL, wh[1]);
	for (size_t i = 0; i < n; i++)
		tb_pb_put_bytes(&t, T_STRING_VAL, pngs.data + off[i], off[i + 1] - off[i]);
	rc = emit_one(w, tag, &t, "images", NULL, 0, step, wall_time);
out:
	free(off);
	free(scratch);
	tb_pb_buf_free(&pngs);
	tb_pb_buf_free(&t);
	return rc;
}

int tb_writer_add_image(tb_writer *w, const char *tag, const tb_image *img, int64_t step,
			double wall_time)
{
	CHECK_W(w);
	if (img && !img->pixels)
		return tb_writer__fail(w, TB_EINVAL, "image pixels are NULL");
	return tb_writer_add_images(w, tag, img, 1, step, wall_time);
}

/* --- audio --- */

int tb_writer_add_audios(tb_writer *w, const char *tag, const tb_audio_clip *clips, size_t k,
			 int channels, double sample_rate, int64_t step, double wall_time)
{
	static const uint8_t content[] = {0x10, 11}; /* encoding: WAV */
	tb_pb_buf wavs, t;
	size_t *off = NULL;
	int64_t dims[2] = {(int64_t)k, 2};
	int rc;

	CHECK_W(w);
	if ((rc = tb_writer__check_tag(w, tag)) != TB_OK)
		return rc;
	if (k > 0 && !clips)
		return tb_writer__fail(w, TB_EINVAL, "clips is NULL");
	if (channels != 1 && channels != 2)
		return tb_writer__fail(w, TB_EINVAL, "audio has 1 or 2 channels, not %d", channels);
	if (!(sample_rate >= 0.5 && sample_rate < 2147483647.5))
		return tb_writer__fail(w, TB_EINVAL, "sample rate out of range");
	for (size_t i = 0; i < k; i++) {
		if (!clips[i].samples && clips[i].frames > 0)
			return tb_writer__fail(w, TB_EINVAL, "clip %zu has no samples", i);
		if (clips[i].label && !str_ok(clips[i].label))
			return tb_writer__fail(w, TB_EINVAL, "label %zu is not UTF-8", i);
	}
	if (k > ((size_t)1 << 20))
		return tb_writer__fail(w, TB_EINVAL, "too many clips");
	tb_pb_buf_init(&wavs);
	tb_pb_buf_init(&t);
	off = malloc((k + 1) * sizeof *off);
	if (!off) {
		rc = oom(w);
		goto out;
	}
	off[0] = 0;
	for (size_t i = 0; i < k; i++) {
		rc = tb_wav_encode(&wavs, clips[i].samples, clips[i].frames, channels,
				   (uint32_t)lround(sample_rate));
		if (rc != TB_OK) {
			rc = rc == TB_ENOMEM ? oom(w)
					     : tb_writer__fail(w, rc, "clip %zu too long", i);
			goto out;
		}
		off[i + 1] = wavs.len;
	}
	tb_pb_put_uint64(&t, T_DTYPE, DT_STRING);
	put_shape(&t, dims, 2);
	for (size_t i = 0; i < k; i++) {
		tb_pb_put_bytes(&t, T_STRING_VAL, wavs.data + off[i], off[i + 1] - off[i]);
		tb_pb_put_string(&t, T_STRING_VAL, clips[i].label ? clips[i].label : "");
	}
	rc = emit_one(w, tag, &t, "audio", content, sizeof content, step, wall_time);
out:
	free(off);
	tb_pb_buf_free(&wavs);
	tb_pb_buf_free(&t);
	return rc;
}

int tb_writer_add_audio(tb_writer *w, const char *tag, const float *samples, size_t frames,
			int channels, double sample_rate, const char *label, int64_t step,
			double wall_time)
{
	tb_audio_clip c = {samples, frames, label};
	return tb_writer_add_audios(w, tag, &c, 1, channels, sample_rate, step, wall_time);
}

/* --- text --- */

static int emit_strings(tb_writer *w, const char *tag, const char *const *s, size_t n,
			const int64_t *dims, int rank, const char *plugin, int64_t step,
			double wall_time)
{
	tb_pb_buf t;
	int rc;

	tb_pb_buf_init(&t);
	tb_pb_put_uint64(&t, T_DTYPE, DT_STRING);
	put_shape(&t, dims, rank);
	for (size_t i = 0; i < n; i++)
		tb_pb_put_string(&t, T_STRING_VAL, s[i]);
	rc = emit_one(w, tag, &t, plugin, NULL, 0, step, wall_time);
	tb_pb_buf_free(&t);
	return rc;
}

int tb_writer_add_text(tb_writer *w, const char *tag, const char *text, int64_t step,
		       double wall_time)
{
	int rc;

	CHECK_W(w);
	if ((rc = tb_writer__check_tag(w, tag)) != TB_OK)
		return rc;
	if (!str_ok(text))
		return tb_writer__fail(w, TB_EINVAL, "text must be a UTF-8 string");
	return emit_strings(w, tag, &text, 1, NULL, 0, "text", step, wall_time);
}

int tb_writer_add_text_table(tb_writer *w, const char *tag, const char *const *cells, size_t rows,
			     size_t cols, int64_t step, double wall_time)
{
	size_t n = cols ? rows * cols : rows;
	int64_t dims[2] = {(int64_t)rows, (int64_t)cols};
	int rc;

	CHECK_W(w);
	if ((rc = tb_writer__check_tag(w, tag)) != TB_OK)
		return rc;
	if (cols && rows > SIZE_MAX / cols)
		return tb_writer__fail(w, TB_EINVAL, "table too large");
	if (n > 0 && !cells)
		return tb_writer__fail(w, TB_EINVAL, "cells is NULL");
	for (size_t i = 0; i < n; i++)
		if (!str_ok(cells[i]))
			return tb_writer__fail(w, TB_EINVAL, "cell %zu is not a UTF-8 string", i);
	return emit_strings(w, tag, cells, n, dims, cols ? 2 : 1, "text", step, wall_time);
}

/* --- PR curves --- */

static int emit_pr(tb_writer *w, const char *tag, const double *const rows[6], size_t n,
		   int64_t step, double wall_time)
{
	tb_pb_buf t;
	uint8_t content[8];
	size_t clen = 0;
	int64_t dims[2] = {6, (int64_t)n};
	uint8_t *le = malloc(24 * n);
	int rc;

	if (!le)
		return oom(w);
	for (int r = 0; r < 6; r++)
		for (size_t j = 0; j < n; j++)
			put_le_float(le + 4 * ((size_t)r * n + j), (float)rows[r][j]);
	tb_pb_buf_init(&t);
	put_numeric(&t, DT_FLOAT, dims, 2, le, 24 * n);
	free(le);
	content[clen++] = 0x10; /* num_thresholds */
	for (uint64_t v = n;; v >>= 7) {
		content[clen++] = (uint8_t)(v & 0x7F) | (v >= 0x80 ? 0x80 : 0);
		if (v < 0x80)
			break;
	}
	rc = emit_one(w, tag, &t, "pr_curves", content, clen, step, wall_time);
	tb_pb_buf_free(&t);
	return rc;
}

static double safe_div(double a, double b)
{
	return a / (b > 1e-7 ? b : 1e-7);
}

int tb_writer_add_pr_curve_raw(tb_writer *w, const char *tag, const double *tp, const double *fp,
			       const double *tn, const double *fn, const double *precision,
			       const double *recall, size_t n, int64_t step, double wall_time)
{
	double *pr = NULL;
	const double *rows[6];
	int rc;

	CHECK_W(w);
	if ((rc = tb_writer__check_tag(w, tag)) != TB_OK)
		return rc;
	if (!tp || !fp || !tn || !fn)
		return tb_writer__fail(w, TB_EINVAL, "tp, fp, tn and fn must be given");
	if (n < 2 || n > 10000)
		return tb_writer__fail(w, TB_EINVAL, "a PR curve has 2..10000 thresholds");
	if (!precision || !recall) {
		pr = malloc(2 * n * sizeof *pr);
		if (!pr)
			return oom(w);
		for (size_t j = 0; j < n; j++) {
			pr[j] = safe_div(tp[j], tp[j] + fp[j]);
			pr[n + j] = safe_div(tp[j], tp[j] + fn[j]);
		}
	}
	rows[0] = tp;
	rows[1] = fp;
	rows[2] = tn;
	rows[3] = fn;
	rows[4] = precision ? precision : pr;
	rows[5] = recall ? recall : pr + n;
	rc = emit_pr(w, tag, rows, n, step, wall_time);
	free(pr);
	return rc;
}

int tb_writer_add_pr_curve(tb_writer *w, const char *tag, const uint8_t *labels,
			   const double *predictions, const double *weights, size_t n,
			   int num_thresholds, int64_t step, double wall_time)
{
	size_t m = num_thresholds <= 0 ? 127 : (size_t)num_thresholds;
	double *a;
	int rc;

	CHECK_W(w);
	if ((rc = tb_writer__check_tag(w, tag)) != TB_OK)
		return rc;
	if (n > 0 && (!labels || !predictions))
		return tb_writer__fail(w, TB_EINVAL, "labels and predictions must be given");
	if (m < 2 || m > 10000)
		return tb_writer__fail(w, TB_EINVAL, "a PR curve has 2..10000 thresholds");
	a = calloc(6 * m, sizeof *a);
	if (!a)
		return oom(w);
	double *tp = a, *fp = a + m, *tn = a + 2 * m, *fn = a + 3 * m;
	for (size_t i = 0; i < n; i++) {
		double p = predictions[i], wt = weights ? weights[i] : 1.0;
		size_t b;
		if (isnan(p))
			continue;
		p = p < 0 ? 0 : p > 1 ? 1 : p;
		b = (size_t)floor(p * (double)(m - 1));
		if (labels[i])
			tp[b] += wt;
		else
			fp[b] += wt;
	}
	for (size_t j = m - 1; j-- > 0;) { /* reverse cumulative sums */
		tp[j] += tp[j + 1];
		fp[j] += fp[j + 1];
	}
	for (size_t j = 0; j < m; j++) {
		tn[j] = fp[0] - fp[j];
		fn[j] = tp[0] - tp[j];
	}
	rc = tb_writer_add_pr_curve_raw(w, tag, tp, fp, tn, fn, NULL, NULL, m, step, wall_time);
	free(a);
	return rc;
}

/* --- hparams (plugin content only; the tensor is the null tensor) --- */

static const uint8_t null_tensor[] = {0x08, 0x01, 0x12, 0x02, 0x12, 0x00};

static int check_hparam(tb_writer *w, const tb_hparam *h, int named)
{
	if (named && (!h->name || !h->name[0] || !str_ok(h->name)))
		return tb_writer__fail(w, TB_EINVAL, "hparam names must be non-empty UTF-8");
	if (h->type == TB_HPARAM_STRING && !str_ok(h->string))
		return tb_writer__fail(w, TB_EINVAL, "hparam %s: string must be UTF-8",
				       h->name ? h->name : "");
	if (h->type != TB_HPARAM_NUMBER && h->type != TB_HPARAM_STRING && h->type != TB_HPARAM_BOOL)
		return tb_writer__fail(w, TB_EINVAL, "hparam %s: unknown type %d",
				       h->name ? h->name : "", h->type);
	return TB_OK;
}

static int opt_str_ok(const char *s)
{
	return !s || str_ok(s);
}

/* google.protobuf.Value of h. */
static void put_value(tb_pb_buf *b, uint32_t field, const tb_hparam *h)
{
	size_t m = tb_pb_begin(b, field);
	if (h->type == TB_HPARAM_NUMBER)
		tb_pb_put_double(b, 2, h->number);
	else if (h->type == TB_HPARAM_STRING)
		tb_pb_put_string(b, 3, h->string);
	else
		tb_pb_put_bool(b, 4, h->boolean != 0);
	tb_pb_end(b, m);
}

static void put_opt_string(tb_pb_buf *b, uint32_t field, const char *s)
{
	if (s && s[0])
		tb_pb_put_string(b, field, s);
}

static int emit_hparams(tb_writer *w, const char *tag, const tb_pb_buf *content, double wall_time)
{
	tb_wvalue v = {tag,	  null_tensor,	 sizeof null_tensor,
		       "hparams", content->data, content->len};
	if (content->err)
		return oom(w);
	return tb_writer__emit_values(w, wall_time, 0, &v, 1);
}

/* Experiment content from infos; hparam_names (n) are used instead when
 * infos is NULL, with the types of values. */
static void put_experiment(tb_pb_buf *c, const tb_hparam_info *infos, const tb_hparam *values,
			   size_t n, const tb_metric_info *metrics, size_t n_metrics,
			   double time_created)
{
	size_t exp = tb_pb_begin(c, 2);
	static const int data_type[3] = {3, 1, 2}; /* FLOAT64, STRING, BOOL */
	if (time_created > 0 && isfinite(time_created))
		tb_pb_put_double(c, 3, time_created);
	for (size_t i = 0; i < n; i++) {
		size_t hi = tb_pb_begin(c, 4);
		if (infos) {
			const tb_hparam_info *h = &infos[i];
			tb_pb_put_string(c, 1, h->name);
			put_opt_string(c, 2, h->display_name);
			put_opt_string(c, 3, h->description);
			tb_pb_put_uint64(c, 4, (uint64_t)data_type[h->type]);
			if (h->domain == TB_DOMAIN_DISCRETE) {
				size_t list = tb_pb_begin(c, 5);
				for (size_t j = 0; j < h->n_values; j++)
					put_value(c, 1, &h->values[j]);
				tb_pb_end(c, list);
			} else if (h->domain == TB_DOMAIN_INTERVAL) {
				size_t iv = tb_pb_begin(c, 6);
				if (h->min != 0)
					tb_pb_put_double(c, 1, h->min);
				if (h->max != 0)
					tb_pb_put_double(c, 2, h->max);
				tb_pb_end(c, iv);
			}
		} else {
			tb_pb_put_string(c, 1, values[i].name);
			tb_pb_put_uint64(c, 4, (uint64_t)data_type[values[i].type]);
		}
		tb_pb_end(c, hi);
	}
	for (size_t i = 0; i < n_metrics; i++) {
		size_t mi = tb_pb_begin(c, 5), name = tb_pb_begin(c, 1);
		put_opt_string(c, 1, metrics[i].group);
		tb_pb_put_string(c, 2, metrics[i].tag);
		tb_pb_end(c, name);
		put_opt_string(c, 3, metrics[i].display_name);
		put_opt_string(c, 4, metrics[i].description);
		if (metrics[i].dataset_type)
			tb_pb_put_uint64(c, 5, (uint64_t)metrics[i].dataset_type);
		tb_pb_end(c, mi);
	}
	tb_pb_end(c, exp);
}

static int check_metrics(tb_writer *w, const tb_metric_info *metrics, size_t n)
{
	if (n && !metrics)
		return tb_writer__fail(w, TB_EINVAL, "metrics is NULL");
	for (size_t i = 0; i < n; i++) {
		const tb_metric_info *m = &metrics[i];
		if (!m->tag || !m->tag[0] || !str_ok(m->tag) || !opt_str_ok(m->group) ||
		    !opt_str_ok(m->display_name) || !opt_str_ok(m->description))
			return tb_writer__fail(w, TB_EINVAL, "metric %zu: bad tag or string", i);
		if (m->dataset_type < 0 || m->dataset_type > 2)
			return tb_writer__fail(w, TB_EINVAL, "metric %zu: unknown dataset", i);
	}
	return TB_OK;
}

int tb_writer_add_hparams_config(tb_writer *w, const tb_hparam_info *hparams, size_t n_hparams,
				 const tb_metric_info *metrics, size_t n_metrics,
				 double time_created)
{
	tb_pb_buf c;
	int rc;

	CHECK_W(w);
	if (n_hparams && !hparams)
		return tb_writer__fail(w, TB_EINVAL, "hparams is NULL");
	for (size_t i = 0; i < n_hparams; i++) {
		const tb_hparam_info *h = &hparams[i];
		tb_hparam probe = {h->name, h->type, 0, "", 0};
		if ((rc = check_hparam(w, &probe, 1)) != TB_OK)
			return rc;
		if (!opt_str_ok(h->display_name) || !opt_str_ok(h->description))
			return tb_writer__fail(w, TB_EINVAL, "hparam %s: bad string", h->name);
		if (h->domain < TB_DOMAIN_NONE || h->domain > TB_DOMAIN_DISCRETE ||
		    (h->domain == TB_DOMAIN_DISCRETE && h->n_values && !h->values))
			return tb_writer__fail(w, TB_EINVAL, "hparam %s: bad domain", h->name);
		for (size_t j = 0; h->domain == TB_DOMAIN_DISCRETE && j < h->n_values; j++)
			if ((rc = check_hparam(w, &h->values[j], 0)) != TB_OK)
				return rc;
	}
	if ((rc = check_metrics(w, metrics, n_metrics)) != TB_OK)
		return rc;
	tb_pb_buf_init(&c);
	put_experiment(&c, hparams, NULL, n_hparams, metrics, n_metrics, time_created);
	rc = emit_hparams(w, "_hparams_/experiment", &c, time_created);
	tb_pb_buf_free(&c);
	return rc;
}

static void put_session_start(tb_pb_buf *c, const tb_hparam *h, size_t n, const char *group,
			      double start)
{
	size_t ssi = tb_pb_begin(c, 3);
	for (size_t i = 0; i < n; i++) {
		size_t e = tb_pb_begin(c, 1);
		tb_pb_put_string(c, 1, h[i].name);
		put_value(c, 2, &h[i]);
		tb_pb_end(c, e);
	}
	put_opt_string(c, 4, group);
	if (start > 0 && isfinite(start))
		tb_pb_put_double(c, 5, start);
	tb_pb_end(c, ssi);
}

static int check_hparams(tb_writer *w, const tb_hparam *h, size_t n)
{
	int rc;
	if (n && !h)
		return tb_writer__fail(w, TB_EINVAL, "hparams is NULL");
	for (size_t i = 0; i < n; i++)
		if ((rc = check_hparam(w, &h[i], 1)) != TB_OK)
			return rc;
	return TB_OK;
}

int tb_writer_add_hparams_session_start(tb_writer *w, const tb_hparam *hparams, size_t n,
					const char *group_name, double start_time)
{
	tb_pb_buf c;
	int rc;

	CHECK_W(w);
	if ((rc = check_hparams(w, hparams, n)) != TB_OK)
		return rc;
	if (!opt_str_ok(group_name))
		return tb_writer__fail(w, TB_EINVAL, "group_name is not UTF-8");
	if (!(start_time > 0) || !isfinite(start_time))
		start_time = tb_writer__now();
	tb_pb_buf_init(&c);
	put_session_start(&c, hparams, n, group_name, start_time);
	rc = emit_hparams(w, "_hparams_/session_start_info", &c, start_time);
	tb_pb_buf_free(&c);
	return rc;
}

static void put_session_end(tb_pb_buf *c, int status, double end)
{
	size_t sei = tb_pb_begin(c, 4);
	if (status)
		tb_pb_put_uint64(c, 1, (uint64_t)status);
	if (end > 0 && isfinite(end))
		tb_pb_put_double(c, 2, end);
	tb_pb_end(c, sei);
}

int tb_writer_add_hparams_session_end(tb_writer *w, int status, double end_time)
{
	tb_pb_buf c;
	int rc;

	CHECK_W(w);
	if (status < TB_STATUS_UNKNOWN || status > TB_STATUS_RUNNING)
		return tb_writer__fail(w, TB_EINVAL, "unknown session status %d", status);
	if (!(end_time > 0) || !isfinite(end_time))
		end_time = tb_writer__now();
	tb_pb_buf_init(&c);
	put_session_end(&c, status, end_time);
	rc = emit_hparams(w, "_hparams_/session_end_info", &c, end_time);
	tb_pb_buf_free(&c);
	return rc;
}

int tb_writer_add_hparams(tb_writer *w, const tb_hparam *hparams, size_t n_hparams,
			  const char *const *metric_tags, const double *metric_values,
			  size_t n_metrics, const char *run_name, double wall_time)
{
	char name[64], *path = NULL;
	tb_metric_info *mi = NULL;
	tb_writer *run = NULL;
	tb_pb_buf c;
	int rc;

	CHECK_W(w);
	if ((rc = check_hparams(w, hparams, n_hparams)) != TB_OK)
		return rc;
	if (n_metrics && (!metric_tags || !metric_values))
		return tb_writer__fail(w, TB_EINVAL, "metric tags and values must be given");
	for (size_t i = 0; i < n_metrics; i++)
		if (!metric_tags[i] || !metric_tags[i][0] || !str_ok(metric_tags[i]))
			return tb_writer__fail(w, TB_EINVAL, "metric %zu: bad tag", i);
	if (!(wall_time > 0) || !isfinite(wall_time))
		wall_time = tb_writer__now();
	if (!run_name) {
		snprintf(name, sizeof name, "%.7f", wall_time);
		run_name = name;
	}
	if (!run_name[0] || !str_ok(run_name) || run_name[0] == '/' || strstr(run_name, "..") ||
	    strstr(run_name, "//"))
		return tb_writer__fail(w, TB_EINVAL, "run_name must be a relative path");
	tb_pb_buf_init(&c);
	mi = calloc(n_metrics + 1, sizeof *mi);
	path = malloc(strlen(tb_writer__logdir(w)) + strlen(run_name) + 2);
	if (!mi || !path) {
		rc = oom(w);
		goto out;
	}
	sprintf(path, "%s/%s", tb_writer__logdir(w), run_name);
	if ((rc = tb_writer__open_like(&run, w, path)) != TB_OK)
		goto out;
	for (size_t i = 0; i < n_metrics; i++)
		mi[i].tag = metric_tags[i];
	put_experiment(&c, NULL, hparams, n_hparams, mi, n_metrics, 0);
	rc = emit_hparams(run, "_hparams_/experiment", &c, wall_time);
	tb_pb_buf_truncate(&c, 0);
	if (rc == TB_OK) {
		put_session_start(&c, hparams, n_hparams, NULL, 0);
		rc = emit_hparams(run, "_hparams_/session_start_info", &c, wall_time);
		tb_pb_buf_truncate(&c, 0);
	}
	if (rc == TB_OK) {
		put_session_end(&c, TB_STATUS_SUCCESS, 0);
		rc = emit_hparams(run, "_hparams_/session_end_info", &c, wall_time);
	}
	for (size_t i = 0; rc == TB_OK && i < n_metrics; i++)
		rc = tb_writer_add_scalar(run, metric_tags[i], metric_values[i], 0, wall_time);
	if (rc != TB_OK)
		tb_writer__fail(w, rc, "%s", tb_writer_errmsg(run));
	{
		int r = tb_writer_close(run);
		if (r != TB_OK && rc == TB_OK)
			rc = tb_writer__fail(w, r, "closing the hparams run failed");
	}
out:
	free(mi);
	free(path);
	tb_pb_buf_free(&c);
	return rc;
}

/* --- mesh --- */

int tb_writer_add_mesh(tb_writer *w, const char *tag, const float *vertices, size_t n_vertices,
		       const int32_t *faces, size_t n_faces, const uint8_t *colors, size_t batch,
		       const char *config_json, int64_t step, double wall_time)
{
	static const char *suffix[4] = {"", "_VERTEX", "_FACE", "_COLOR"};
	tb_pb_buf t[4], c[4];
	char *tags[4] = {NULL, NULL, NULL, NULL};
	tb_wvalue v[3];
	size_t nv = 0, tag_len;
	unsigned components = 1u << 1;
	uint8_t *le = NULL;
	int rc;

	CHECK_W(w);
	if ((rc = tb_writer__check_tag(w, tag)) != TB_OK)
		return rc;
	if (!vertices || n_vertices == 0 || batch == 0)
		return tb_writer__fail(w, TB_EINVAL, "a mesh needs vertices");
	if (n_vertices > ((size_t)1 << 26) || n_faces > ((size_t)1 << 26) || batch > 4096 ||
	    batch * n_vertices > ((size_t)1 << 26) || batch * n_faces > ((size_t)1 << 26))
		return tb_writer__fail(w, TB_EINVAL, "mesh too large");
	if (faces && n_faces == 0)
		faces = NULL;
	for (size_t i = 0; faces && i < batch * n_faces * 3; i++)
		if (faces[i] < 0 || (size_t)faces[i] >= n_vertices)
			return tb_writer__fail(w, TB_EINVAL, "face index %d out of range",
					       faces[i]);
	if (!config_json)
		config_json = "{}";
	if (!str_ok(config_json))
		return tb_writer__fail(w, TB_EINVAL, "config_json is not UTF-8");
	if (faces)
		components |= 1u << 2;
	if (colors)
		components |= 1u << 3;
	tag_len = strlen(tag);
	for (int i = 0; i < 4; i++) {
		tb_pb_buf_init(&t[i]);
		tb_pb_buf_init(&c[i]);
	}
	le = malloc(batch * (n_vertices > n_faces ? n_vertices : n_faces) * 12 + 1);
	if (!le) {
		rc = oom(w);
		goto out;
	}
	for (int kind = 1; kind <= 3; kind++) {
		size_t count = kind == 2 ? n_faces : n_vertices, nbytes;
		int64_t dims[3] = {(int64_t)batch, (int64_t)count, 3};
		int dtype = kind == 1 ? DT_FLOAT : kind == 2 ? DT_INT32 : DT_UINT8;
		size_t shape;
		if ((kind == 2 && !faces) || (kind == 3 && !colors))
			continue;
		for (size_t i = 0; i < batch * count * 3; i++) {
			if (kind == 1)
				put_le_float(le + 4 * i, vertices[i]);
			else if (kind == 2)
				put_le_i32(le + 4 * i, faces[i]);
			else
				le[i] = colors[i];
		}
		nbytes = batch * count * 3 * (kind == 3 ? 1 : 4);
		put_numeric(&t[kind], dtype, dims, 3, le, nbytes);
		tb_pb_put_string(&c[kind], 2, tag);
		tb_pb_put_uint64(&c[kind], 3, (uint64_t)kind);
		tb_pb_put_string(&c[kind], 5, config_json);
		shape = tb_pb_begin(&c[kind], 6);
		for (int d = 0; d < 3; d++)
			tb_pb_put_varint(&c[kind], (uint64_t)dims[d]);
		tb_pb_end(&c[kind], shape);
		tb_pb_put_uint64(&c[kind], 7, components);
		tags[kind] = malloc(tag_len + 8);
		if (!tags[kind] || t[kind].err || c[kind].err) {
			rc = oom(w);
			goto out;
		}
		memcpy(tags[kind], tag, tag_len);
		strcpy(tags[kind] + tag_len, suffix[kind]);
		v[nv].tag = tags[kind];
		v[nv].tensor = t[kind].data;
		v[nv].tensor_len = t[kind].len;
		v[nv].plugin = "mesh";
		v[nv].content = c[kind].data;
		v[nv].content_len = c[kind].len;
		nv++;
	}
	rc = tb_writer__emit_values(w, wall_time, step, v, nv);
out:
	free(le);
	for (int i = 0; i < 4; i++) {
		tb_pb_buf_free(&t[i]);
		tb_pb_buf_free(&c[i]);
		free(tags[i]);
	}
	return rc;
}

/* --- custom scalars --- */

int tb_writer_add_custom_scalars(tb_writer *w, const tb_category *categories, size_t n,
				 double wall_time)
{
	tb_pb_buf layout, t;
	const char *s;
	int rc;

	CHECK_W(w);
	if (n && !categories)
		return tb_writer__fail(w, TB_EINVAL, "categories is NULL");
	for (size_t i = 0; i < n; i++) {
		const tb_category *cat = &categories[i];
		if (!str_ok(cat->title) || (cat->n_charts && !cat->charts))
			return tb_writer__fail(w, TB_EINVAL, "category %zu: bad title or charts",
					       i);
		for (size_t j = 0; j < cat->n_charts; j++) {
			const tb_chart *ch = &cat->charts[j];
			if (!str_ok(ch->title) || (ch->n_tags && !ch->tags) ||
			    (ch->margin && ch->n_tags))
				return tb_writer__fail(w, TB_EINVAL, "chart %zu.%zu is bad", i, j);
			for (size_t k = 0; k < ch->n_tags; k++)
				if (!str_ok(ch->tags[k]))
					return tb_writer__fail(w, TB_EINVAL,
							       "chart %zu.%zu: bad tag", i, j);
			for (size_t k = 0; ch->margin && k < ch->n_margin; k++)
				if (!str_ok(ch->margin[k].value) || !str_ok(ch->margin[k].lower) ||
				    !str_ok(ch->margin[k].upper))
					return tb_writer__fail(w, TB_EINVAL,
							       "chart %zu.%zu: bad series", i, j);
		}
	}
	tb_pb_buf_init(&layout);
	tb_pb_buf_init(&t);
	for (size_t i = 0; i < n; i++) {
		const tb_category *cat = &categories[i];
		size_t cm = tb_pb_begin(&layout, 2);
		put_opt_string(&layout, 1, cat->title);
		for (size_t j = 0; j < cat->n_charts; j++) {
			const tb_chart *ch = &cat->charts[j];
			size_t chm = tb_pb_begin(&layout, 2), content;
			put_opt_string(&layout, 1, ch->title);
			if (ch->margin) {
				content = tb_pb_begin(&layout, 3);
				for (size_t k = 0; k < ch->n_margin; k++) {
					size_t sm = tb_pb_begin(&layout, 1);
					put_opt_string(&layout, 1, ch->margin[k].value);
					put_opt_string(&layout, 2, ch->margin[k].lower);
					put_opt_string(&layout, 3, ch->margin[k].upper);
					tb_pb_end(&layout, sm);
				}
			} else {
				content = tb_pb_begin(&layout, 2);
				for (size_t k = 0; k < ch->n_tags; k++)
					tb_pb_put_string(&layout, 1, ch->tags[k]);
			}
			tb_pb_end(&layout, content);
			tb_pb_end(&layout, chm);
		}
		if (cat->closed)
			tb_pb_put_bool(&layout, 3, 1);
		tb_pb_end(&layout, cm);
	}
	tb_pb_put_uint64(&t, T_DTYPE, DT_STRING);
	put_shape(&t, NULL, 0);
	tb_pb_put_bytes(&t, T_STRING_VAL,
			layout.data ? (const void *)layout.data : (const void *)"", layout.len);
	s = "custom_scalars__config__";
	rc = layout.err ? oom(w) : emit_one(w, s, &t, "custom_scalars", NULL, 0, 0, wall_time);
	tb_pb_buf_free(&layout);
	tb_pb_buf_free(&t);
	return rc;
}

/* --- graphs --- */

/* Length of the node name an input refers to: without '^' and ":k". */
static const char *input_node(const char *in, size_t *len)
{
	const char *colon;
	if (in[0] == '^')
		in++;
	colon = strchr(in, ':');
	*len = colon ? (size_t)(colon - in) : strlen(in);
	return in;
}

static int node_index(const tb_graph_node *nodes, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(nodes[i].name, name, len) == 0 && nodes[i].name[len] == '\0')
			return (int)i;
	return -1;
}

int tb_writer_add_graph(tb_writer *w, const tb_graph_node *nodes, size_t n, double wall_time)
{
	tb_pb_buf g;
	int rc;

	CHECK_W(w);
	if (n && !nodes)
		return tb_writer__fail(w, TB_EINVAL, "nodes is NULL");
	if (n > 1000000)
		return tb_writer__fail(w, TB_EINVAL, "graph too large");
	for (size_t i = 0; i < n; i++) {
		const tb_graph_node *nd = &nodes[i];
		if (!nd->name || !nd->name[0] || !str_ok(nd->name) || !str_ok(nd->op) ||
		    !opt_str_ok(nd->device) || (nd->n_inputs && !nd->inputs) ||
		    (nd->n_attrs && !nd->attrs))
			return tb_writer__fail(w, TB_EINVAL, "node %zu: bad name, op or arrays", i);
		if (node_index(nodes, i, nd->name, strlen(nd->name)) >= 0)
			return tb_writer__fail(w, TB_EINVAL, "node %s appears twice", nd->name);
		for (size_t j = 0; j < nd->n_inputs; j++) {
			size_t len;
			const char *in;
			if (!nd->inputs[j])
				return tb_writer__fail(w, TB_EINVAL, "node %s: NULL input",
						       nd->name);
			in = input_node(nd->inputs[j], &len);
			if (node_index(nodes, n, in, len) < 0)
				return tb_writer__fail(w, TB_EINVAL,
						       "node %s: input %s names no node", nd->name,
						       nd->inputs[j]);
		}
		for (size_t j = 0; j < nd->n_attrs; j++) {
			const tb_graph_attr *a = &nd->attrs[j];
			if (!a->key || !a->key[0] || !str_ok(a->key) || a->kind < TB_ATTR_STRING ||
			    a->kind > TB_ATTR_SHAPE || (a->kind == TB_ATTR_STRING && !a->s) ||
			    (a->kind == TB_ATTR_SHAPE && a->n_dims && !a->dims))
				return tb_writer__fail(w, TB_EINVAL, "node %s: bad attr %zu",
						       nd->name, j);
		}
	}
	tb_pb_buf_init(&g);
	for (size_t i = 0; i < n; i++) {
		const tb_graph_node *nd = &nodes[i];
		size_t nm = tb_pb_begin(&g, 1);
		tb_pb_put_string(&g, 1, nd->name);
		put_opt_string(&g, 2, nd->op);
		for (size_t j = 0; j < nd->n_inputs; j++)
			tb_pb_put_string(&g, 3, nd->inputs[j]);
		put_opt_string(&g, 4, nd->device);
		for (size_t j = 0; j < nd->n_attrs; j++) {
			const tb_graph_attr *a = &nd->attrs[j];
			size_t e = tb_pb_begin(&g, 5), av;
			tb_pb_put_string(&g, 1, a->key);
			av = tb_pb_begin(&g, 2);
			switch (a->kind) {
			case TB_ATTR_STRING:
				tb_pb_put_string(&g, 2, a->s);
				break;
			case TB_ATTR_INT:
				tb_pb_put_int64(&g, 3, a->i);
				break;
			case TB_ATTR_FLOAT:
				tb_pb_put_float(&g, 4, a->f);
				break;
			case TB_ATTR_BOOL:
				tb_pb_put_bool(&g, 5, a->i != 0);
				break;
			case TB_ATTR_TYPE:
				tb_pb_put_int64(&g, 6, a->i);
				break;
			default:
				put_shape_field(&g, 7, a->dims, (int)a->n_dims);
				break;
			}
			tb_pb_end(&g, av);
			tb_pb_end(&g, e);
		}
		tb_pb_end(&g, nm);
	}
	if (g.err)
		rc = oom(w);
	else
		rc = tb_writer__emit_field(w, wall_time, 0, 4, g.data ? (const void *)g.data : "",
					   g.len);
	tb_pb_buf_free(&g);
	return rc;
}
