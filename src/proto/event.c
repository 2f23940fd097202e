/* Event-file message decoders (see event.h). tb_event_decode and
 * tb_summary_next run once per record and per value on the loader's hot
 * path; they only slice the input. */
#include "event.h"

#include <stdlib.h>

#include "common/alloc.h"
#include "common/error.h"

int tb_event_decode(tb_event *out, tb_slice in)
{
	tb_pb r = tb_pb_make(in);
	tb_pb_field f;
	int rc;
	out->wall_time = 0;
	out->step = 0;
	out->what = TB_EV_NONE;
	out->data = tb_slice_make(NULL, 0);
	while ((rc = tb_pb_next(&f, &r)) == 1) {
		if (f.num == 1 && f.wire == TB_PB_I64)
			out->wall_time = tb_pb_double(&f);
		else if (f.num == 2 && f.wire == TB_PB_VARINT)
			out->step = (int64_t)f.u;
		else if (f.num >= 3 && f.num <= 9 && f.wire == TB_PB_LEN) {
			out->what = (int)f.num;
			out->data = f.len;
		}
	}
	return rc;
}

int tb_summary_next(tb_value *out, tb_pb *it)
{
	tb_pb_field f;
	int rc;
	while ((rc = tb_pb_next(&f, it)) == 1) {
		if (f.num == 1 && f.wire == TB_PB_LEN)
			break;
	}
	if (rc != 1)
		return rc;
	memset(out, 0, sizeof *out);
	tb_pb v = tb_pb_make(f.len);
	while ((rc = tb_pb_next(&f, &v)) == 1) {
		switch (f.num) {
		case 1:
			if (f.wire == TB_PB_LEN)
				out->tag = f.len;
			break;
		case 2:
			if (f.wire == TB_PB_I32) {
				out->kind = TB_VAL_SIMPLE;
				out->simple = tb_pb_float(&f);
			}
			break;
		case 4:
		case 5:
		case 6:
		case 8:
			if (f.wire == TB_PB_LEN) {
				out->kind = (int)f.num;
				out->data = f.len;
			}
			break;
		case 7:
			if (f.wire == TB_PB_LEN)
				out->node_name = f.len;
			break;
		case 9:
			if (f.wire == TB_PB_LEN) {
				out->metadata = f.len;
				out->has_metadata = 1;
			}
			break;
		}
	}
	return rc < 0 ? rc : 1;
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
			double *dst[] = {&out->min, &out->max, &out->num, &out->sum, &out->sum_squares};
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
