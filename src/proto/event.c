/* Event-file message decoders (see event.h). tb_event_decode and
 * tb_summary_next run once per record and per value on the loader's hot
 * path; they only slice the input. */
#include "event.h"

#include <stdlib.h>

#include "common/alloc.h"
#include "common/error.h"

/* Read a length prefix at *pp and return the payload, or fail. */
static inline int take_len(tb_slice *out, const uint8_t **pp, const uint8_t *end)
{
	tb_pb r = {*pp, end};
	uint64_t n;
	if (tb_pb_varint(&n, &r) || n > (uint64_t)(end - r.p))
		return TB_ECORRUPT;
	*out = tb_slice_make(r.p, (size_t)n);
	*pp = r.p + n;
	return 0;
}

/* Every field an Event or a Summary.Value carries has a one-byte key, so
 * both decoders switch on that byte directly and fall back to the general
 * cursor only for keys they skip. */
static inline int skip_field(const uint8_t **pp, const uint8_t *end)
{
	tb_pb r = {*pp, end};
	tb_pb_field f;
	int rc = tb_pb_next(&f, &r);
	if (rc < 0)
		return rc;
	*pp = r.p;
	return 0;
}

int tb_event_decode(tb_event *out, tb_slice in)
{
	const uint8_t *p = in.ptr, *end = in.ptr + in.len;
	out->wall_time = 0;
	out->step = 0;
	out->what = TB_EV_NONE;
	out->data = tb_slice_make(NULL, 0);
	while (p < end) {
		uint8_t key = *p;
		if (key == 0x09) { /* 1: wall_time, double */
			if (end - p < 9)
				return TB_ECORRUPT;
			memcpy(&out->wall_time, p + 1, 8);
			p += 9;
		} else if (key == 0x10) { /* 2: step, varint */
			tb_pb r = {p + 1, end};
			uint64_t u;
			if (tb_pb_varint(&u, &r))
				return TB_ECORRUPT;
			out->step = (int64_t)u;
			p = r.p;
		} else if (key >= 0x1a && key <= 0x4a && (key & 7) == TB_PB_LEN) {
			/* 3..9: the oneof `what` */
			p++;
			if (take_len(&out->data, &p, end))
				return TB_ECORRUPT;
			out->what = key >> 3;
		} else if (skip_field(&p, end)) {
			return TB_ECORRUPT;
		}
	}
	return 0;
}

int tb_summary_next(tb_value *out, tb_pb *it)
{
	tb_slice value;
	for (;;) {
		if (it->p >= it->end)
			return 0;
		if (*it->p == 0x0a) { /* 1: value */
			it->p++;
			if (take_len(&value, &it->p, it->end))
				return TB_ECORRUPT;
			break;
		}
		if (skip_field(&it->p, it->end))
			return TB_ECORRUPT;
	}
	memset(out, 0, sizeof *out);
	const uint8_t *p = value.ptr, *end = value.ptr + value.len;
	while (p < end) {
		uint8_t key = *p;
		switch (key) {
		case 0x0a: /* 1: tag */
			p++;
			if (take_len(&out->tag, &p, end))
				return TB_ECORRUPT;
			break;
		case 0x15: /* 2: simple_value, float */
			if (end - p < 5)
				return TB_ECORRUPT;
			memcpy(&out->simple, p + 1, 4);
			out->kind = TB_VAL_SIMPLE;
			p += 5;
			break;
		case 0x22: /* 4: image */
		case 0x2a: /* 5: histo */
		case 0x32: /* 6: audio */
		case 0x42: /* 8: tensor */
			p++;
			if (take_len(&out->data, &p, end))
				return TB_ECORRUPT;
			out->kind = key >> 3;
			break;
		case 0x3a: /* 7: node_name */
			p++;
			if (take_len(&out->node_name, &p, end))
				return TB_ECORRUPT;
			break;
		case 0x4a: /* 9: metadata */
			p++;
			if (take_len(&out->metadata, &p, end))
				return TB_ECORRUPT;
			out->has_metadata = 1;
			break;
		default:
			if (skip_field(&p, end))
				return TB_ECORRUPT;
		}
	}
	return 1;
}

int tb_metadata_decode(tb_metadata *out, tb_slice in)
{
	memset(out, 0, sizeof *out);
	tb_pb r = tb_pb_make(in);
	tb_pb_field f;
	int rc;
	while ((rc = tb_pb_next(&f, &r)) == 1) {
		if (f.num == 1 && f.wire == TB_PB_LEN) {
			tb_pb pd = tb_pb_make(f.len);
			tb_pb_field g;
			int rc2;
			while ((rc2 = tb_pb_next(&g, &pd)) == 1) {
				if (g.num == 1 && g.wire == TB_PB_LEN)
					out->plugin_name = g.len;
				else if (g.num == 2 && g.wire == TB_PB_LEN)
					out->content = g.len;
			}
			if (rc2 < 0)
				return rc2;
		} else if (f.num == 2 && f.wire == TB_PB_LEN) {
			out->display_name = f.len;
		} else if (f.num == 3 && f.wire == TB_PB_LEN) {
			out->description = f.len;
		} else if (f.num == 4 && f.wire == TB_PB_VARINT) {
			out->data_class = (int)(uint32_t)f.u;
		}
	}
	return rc;
}

int tb_image_decode(tb_image_view *out, tb_slice in)
{
	memset(out, 0, sizeof *out);
	tb_pb r = tb_pb_make(in);
	tb_pb_field f;
	int rc;
	while ((rc = tb_pb_next(&f, &r)) == 1) {
		if (f.wire == TB_PB_VARINT && f.num == 1)
			out->height = (int32_t)f.u;
		else if (f.wire == TB_PB_VARINT && f.num == 2)
			out->width = (int32_t)f.u;
		else if (f.wire == TB_PB_VARINT && f.num == 3)
			out->colorspace = (int32_t)f.u;
		else if (f.wire == TB_PB_LEN && f.num == 4)
			out->encoded = f.len;
	}
	return rc;
}

int tb_audio_decode(tb_audio_view *out, tb_slice in)
{
	memset(out, 0, sizeof *out);
	tb_pb r = tb_pb_make(in);
	tb_pb_field f;
	int rc;
	while ((rc = tb_pb_next(&f, &r)) == 1) {
		if (f.wire == TB_PB_I32 && f.num == 1)
			out->sample_rate = tb_pb_float(&f);
		else if (f.wire == TB_PB_VARINT && f.num == 2)
			out->num_channels = (int64_t)f.u;
		else if (f.wire == TB_PB_VARINT && f.num == 3)
			out->length_frames = (int64_t)f.u;
		else if (f.wire == TB_PB_LEN && f.num == 4)
			out->encoded = f.len;
		else if (f.wire == TB_PB_LEN && f.num == 5)
			out->content_type = f.len;
	}
	return rc;
}

/* Append one repeated double field occurrence, packed or not. */
static int add_doubles(double **arr, size_t *n, size_t *cap, const tb_pb_field *f)
{
	if (f->wire == TB_PB_I64) {
		*arr = tb_xgrow(*arr, cap, *n + 1, sizeof(double));
		(*arr)[(*n)++] = tb_pb_double(f);
		return 0;
	}
	if (f->wire != TB_PB_LEN || f->len.len % 8)
		return TB_ECORRUPT;
	size_t k = f->len.len / 8;
	if (!k) /* an empty packed field: nothing to add, maybe no array yet */
		return 0;
	*arr = tb_xgrow(*arr, cap, *n + k, sizeof(double));
	memcpy(*arr + *n, f->len.ptr, k * 8);
	*n += k;
	return 0;
}

int tb_histo_decode(tb_histo *out, tb_slice in)
{
	memset(out, 0, sizeof *out);
	size_t cap_l = 0, cap_c = 0;
	tb_pb r = tb_pb_make(in);
	tb_pb_field f;
	int rc;
	while ((rc = tb_pb_next(&f, &r)) == 1) {
		if (f.num >= 1 && f.num <= 5 && f.wire == TB_PB_I64) {
			double d = tb_pb_double(&f);
			double *dst[] = {&out->min, &out->max, &out->num, &out->sum,
					 &out->sum_squares};
			*dst[f.num - 1] = d;
		} else if (f.num == 6) {
			rc = add_doubles(&out->limits, &out->n_limits, &cap_l, &f);
		} else if (f.num == 7) {
			rc = add_doubles(&out->counts, &out->n_counts, &cap_c, &f);
		}
		if (rc < 0)
			break;
	}
	if (rc < 0)
		tb_histo_release(out);
	return rc < 0 ? rc : 0;
}

void tb_histo_release(tb_histo *h)
{
	free(h->limits);
	free(h->counts);
	h->limits = h->counts = NULL;
	h->n_limits = h->n_counts = 0;
}

int tb_session_log_decode(int *status, tb_slice in)
{
	*status = 0;
	tb_pb r = tb_pb_make(in);
	tb_pb_field f;
	int rc;
	while ((rc = tb_pb_next(&f, &r)) == 1)
		if (f.num == 1 && f.wire == TB_PB_VARINT)
			*status = (int)(uint32_t)f.u;
	return rc;
}

int tb_tagged_run_metadata_decode(tb_slice *tag, tb_slice *run_metadata, tb_slice in)
{
	*tag = *run_metadata = tb_slice_make(NULL, 0);
	tb_pb r = tb_pb_make(in);
	tb_pb_field f;
	int rc;
	while ((rc = tb_pb_next(&f, &r)) == 1) {
		if (f.num == 1 && f.wire == TB_PB_LEN)
			*tag = f.len;
		else if (f.num == 2 && f.wire == TB_PB_LEN)
			*run_metadata = f.len;
	}
	return rc;
}
