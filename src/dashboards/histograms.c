/* Histograms dashboard routes (spec HTTP_API.md 7.1, 7.2): the tag listing
 * and one series of stored histograms.
 *
 * A stored histogram is a [k, 3] tensor of [left, right, count] rows
 * (FORMAT.md 10.3). The read route serves each point's tensor as the nested
 * list it is, so a writer's odd shape comes back unchanged rather than
 * failing; integers stay integers and floats are widened to double. */
#include <stdlib.h>
#include <string.h>

#include "dash.h"
#include "registry.h"
#include "proto/event.h"

static void handle_tags(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_dash_tags(resp, payload, "histograms", TB_DC_TENSOR, tb_dash_content_version);
}

static int is_float_dtype(int dtype)
{
	return dtype == TB_DT_FLOAT || dtype == TB_DT_DOUBLE || dtype == TB_DT_HALF ||
	       dtype == TB_DT_BFLOAT16 || dtype == TB_DT_COMPLEX64 || dtype == TB_DT_COMPLEX128;
}

/* Element i of an integer tensor, exactly (int64 and uint64 included). */
static void write_int_elem(tb_json *j, const tb_tensor *t, size_t i)
{
	const uint8_t *p = t->data + i * t->elem_size;
	int64_t v;
	switch (t->elem_size) {
	case 1:
		v = t->dtype == TB_DT_INT8 || t->dtype == TB_DT_QINT8 ? (int8_t)p[0] : p[0];
		break;
	case 2: {
		uint16_t u;
		memcpy(&u, p, 2);
		v = t->dtype == TB_DT_INT16 || t->dtype == TB_DT_QINT16 ? (int16_t)u : u;
		break;
	}
	case 4: {
		uint32_t u;
		memcpy(&u, p, 4);
		v = t->dtype == TB_DT_UINT32 ? (int64_t)u : (int32_t)u;
		break;
	}
	default: {
		uint64_t u;
		memcpy(&u, p, 8);
		if (t->dtype == TB_DT_UINT64 && u > (uint64_t)INT64_MAX) {
			tb_json_double(j, (double)u);
			return;
		}
		v = (int64_t)u;
	}
	}
	tb_json_int(j, v);
}

/* Dimension `dim` of t from element *at onwards, as nested JSON arrays. */
static void write_dim(tb_json *j, const tb_tensor *t, int dim, size_t *at)
{
	if (dim == t->rank) {
		size_t i = (*at)++;
		if (t->dtype == TB_DT_BOOL)
			tb_json_bool(j, tb_tensor_double(t, i) != 0);
		else if (is_float_dtype(t->dtype))
			tb_json_double(j, tb_tensor_double(t, i));
		else
			write_int_elem(j, t, i);
		return;
	}
	tb_json_arr_begin(j);
	for (int64_t k = 0; k < t->dims[dim]; k++)
		write_dim(j, t, dim + 1, at);
	tb_json_arr_end(j);
}

/* A stored tensor as Python's tolist() would give it. Tensors that are not
 * numbers (possible only from a hostile writer) are written as []. */
static void write_tensor(tb_json *j, const tb_tensor *t)
{
	if (!tb_dtype_is_numeric(t->dtype) || t->elem_size == 0) {
		tb_json_arr_begin(j);
		tb_json_arr_end(j);
		return;
	}
	size_t at = 0;
	write_dim(j, t, 0, &at);
}

static void handle_histograms(tb_resp *resp, const tb_req *req, void *payload)
{
	/* Fixed, as upstream's route asks for it whatever --samples_per_plugin
	 * says (spec HTTP_API.md 5.3). */
	tb_dash_histogram_serve(resp, req, payload, tb_dashboard_samples("histograms"),
				write_tensor);
}

void tb_histograms_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/plugin/histograms/tags", handle_tags, d);
	tb_router_add(r, "/data/plugin/histograms/histograms", handle_histograms, d);
}
