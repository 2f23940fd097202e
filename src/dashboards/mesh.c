/* Mesh dashboard routes (spec HTTP_API.md 7.7): the listing of meshes, the
 * metadata of one mesh's stored tensors, and one component's data as a
 * binary little-endian array.
 *
 * One user-facing mesh NAME is stored as up to three tensor series
 * ("instance tags", usually NAME_VERTEX, NAME_FACE, NAME_COLOR), each
 * carrying MeshPluginData (FORMAT.md 10.10). Grouping is by the metadata's
 * name, never by the tag text, and instance tags are taken in the run's
 * series order, which is the order they were first written. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "dash.h"
#include "proto/event.h"
#include "proto/pb_decode.h"

#define MESH_MAX_SHAPE 32

enum { CT_UNDEFINED = 0, CT_VERTEX = 1, CT_FACE = 2, CT_COLOR = 3 };

typedef struct mesh_meta {
	int version;
	tb_slice name;
	int content_type;
	tb_slice config; /* json_config, raw */
	int64_t shape[MESH_MAX_SHAPE];
	int n_shape;
	uint32_t components;
} mesh_meta;

static void add_shape(mesh_meta *m, uint64_t v)
{
	if (m->n_shape < MESH_MAX_SHAPE)
		m->shape[m->n_shape++] = (int32_t)v;
}

/* Decode MeshPluginData. Returns 0, or -1 when the content does not decode. */
static int parse_meta(mesh_meta *m, const tb_series *s)
{
	memset(m, 0, sizeof *m);
	tb_pb pb = tb_pb_make(tb_series_content(s));
	tb_pb_field f;
	int rc;
	/* the last varint and string of each field number; 6 repeats */
	uint64_t u[8] = {0};
	tb_slice len[8] = {{0}};
	while ((rc = tb_pb_next(&f, &pb)) == 1) {
		if (f.num == 6 && f.wire == TB_PB_VARINT) {
			add_shape(m, f.u);
		} else if (f.num == 6 && f.wire == TB_PB_LEN) {
			tb_pb in = tb_pb_make(f.len);
			uint64_t v;
			while (in.p < in.end) {
				if (tb_pb_varint(&v, &in))
					return -1;
				add_shape(m, v);
			}
		} else if (f.num < 8 && f.wire == TB_PB_VARINT) {
			u[f.num] = f.u;
		} else if (f.num < 8 && f.wire == TB_PB_LEN) {
			len[f.num] = f.len;
		}
	}
	m->version = (int)(int32_t)u[1];
	m->name = len[2];
	m->content_type = (int)(int32_t)u[3];
	m->config = len[5];
	m->components = (uint32_t)u[7];
	if (rc < 0)
		return -1;
	/* Data written before the field existed holds all three components. */
	if (m->components == 0)
		m->components = (1u << CT_VERTEX) | (1u << CT_FACE) | (1u << CT_COLOR);
	return 0;
}

static int name_is(const mesh_meta *m, const char *name)
{
	size_t n = strlen(name);
	return m->name.len == n && memcmp(m->name.ptr, name, n) == 0;
}

/* One run's /tags entry: {name: {samples}} of its mesh instance tags. */
static void mesh_run(tb_json *j, const tb_run *r, void *arg)
{
	(void)arg;
	/* name -> samples, in first-seen order; the last instance tag of
	 * a name decides its samples, as upstream's dict update does. */
	mesh_meta *metas = tb_xcalloc(tb_run_series_count(r) + 1, sizeof *metas);
	size_t n = 0, k = 0;
	int any = 0;
	for (const tb_series *s; (s = tb_run_next_series(r, &k, "mesh", TB_DC_TENSOR));) {
		any = 1;
		mesh_meta m;
		/* A shape without a batch size says nothing about samples. */
		if (parse_meta(&m, s) || m.version != 0 || m.n_shape == 0)
			continue;
		size_t at = 0;
		while (at < n && !(metas[at].name.len == m.name.len &&
				   memcmp(metas[at].name.ptr, m.name.ptr, m.name.len) == 0))
			at++;
		metas[at] = m;
		if (at == n)
			n++;
	}
	if (any) {
		tb_json_key(j, tb_run_name(r));
		tb_json_obj_begin(j);
		for (size_t k = 0; k < n; k++) {
			tb_json_key_n(j, (const char *)metas[k].name.ptr, metas[k].name.len);
			tb_json_obj_begin(j);
			tb_json_key(j, "samples");
			tb_json_int(j, metas[k].shape[0]);
			tb_json_obj_end(j);
		}
		tb_json_obj_end(j);
	}
	free(metas);
}

static void handle_tags(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_dash_runs_object(resp, payload, mesh_run, NULL);
}

/* One stored tensor of an instance tag. */
typedef struct item {
	const tb_series *s;
	size_t point;
	size_t seq; /* position before sorting, for a stable sort */
	mesh_meta meta;
} item;

static int cmp_item(const void *a, const void *b)
{
	const item *x = a, *y = b;
	int64_t sx = tb_series_step(x->s, x->point), sy = tb_series_step(y->s, y->point);
	if (sx != sy)
		return sx < sy ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The downsampled points of every instance tag of `tag` in run r, in
 * instance-tag order. Caller holds r through a reader and frees the
 * array. */
static item *collect(size_t *count, const tb_dash *d, const tb_run *r, const char *tag)
{
	item *items = NULL;
	size_t n = 0, alloc = 0;
	uint64_t limit = tb_dash_limit(d, "mesh");
	size_t k = 0;
	for (const tb_series *s;
	     r && tag && (s = tb_run_next_series(r, &k, "mesh", TB_DC_TENSOR));) {
		mesh_meta m;
		if (parse_meta(&m, s) || !name_is(&m, tag))
			continue;
		size_t np;
		uint64_t *idx = tb_dash_sample(&np, tb_series_len(s), limit);
		for (size_t i = 0; i < np; i++) {
			items = tb_xgrow(items, &alloc, n + 1, sizeof *items);
			items[n] = (item){s, tb_dash_pick(idx, i), n, m};
			n++;
		}
		free(idx);
	}
	*count = n;
	return items;
}

static void handle_meshes(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash *d = payload;
	const char *run = tb_req_query(req, "run"), *tag = tb_req_query(req, "tag");
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	const tb_run *r = tb_reader_find_run(&rd, run);
	size_t n;
	item *items = collect(&n, d, r, tag);
	if (n)
		qsort(items, n, sizeof *items, cmp_item);
	tb_json j;
	tb_json_init(&j, tb_resp_body(resp));
	tb_json_arr_begin(&j);
	for (size_t i = 0; i < n; i++) {
		const item *it = &items[i];
		tb_json_obj_begin(&j);
		tb_json_key(&j, "wall_time");
		tb_json_double(&j, tb_series_wall(it->s, it->point));
		tb_json_key(&j, "step");
		tb_json_int(&j, tb_series_step(it->s, it->point));
		tb_json_key(&j, "content_type");
		tb_json_int(&j, it->meta.content_type);
		tb_json_key(&j, "components");
		tb_json_int(&j, it->meta.components);
		tb_json_key(&j, "config");
		tb_json_str_n(&j, (const char *)it->meta.config.ptr, it->meta.config.len);
		tb_json_key(&j, "data_shape");
		tb_json_arr_begin(&j);
		for (int k = 0; k < it->meta.n_shape; k++)
			tb_json_int(&j, it->meta.shape[k]);
		tb_json_arr_end(&j);
		tb_json_obj_end(&j);
	}
	tb_json_arr_end(&j);
	free(items);
	tb_reader_end(&rd);
}

/* p past any spaces and tabs. */
static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Python's float() of a query value, near enough: a decimal number (or
 * inf/nan) with optional surrounding spaces. Returns 0 or -1. */
static int parse_float(double *out, const char *s)
{
	const char *p = skip_blank(s);
	for (const char *q = p; *q; q++)
		if (*q == 'x' || *q == 'X' || *q == '(')
			return -1; /* strtod's hex and nan(...) forms */
	char *end;
	double v = strtod(p, &end);
	if (end == p || *skip_blank(end))
		return -1;
	*out = v;
	return 0;
}

/* Python's int() of a query value: optional sign, decimal digits, optional
 * surrounding spaces. Returns 0 or -1 (also when it does not fit). */
static int parse_int(int64_t *out, const char *s)
{
	const char *p = skip_blank(s);
	if (!*p)
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(p, &end, 10);
	if (end == p || errno || !(end[-1] >= '0' && end[-1] <= '9') || *skip_blank(end))
		return -1;
	*out = v;
	return 0;
}

/* A double as an integer of the target type's width: truncated toward
 * zero, then wrapped; NaN gives 0. */
static int64_t trunc_int(double v)
{
	if (isnan(v))
		return 0;
	if (v >= 9223372036854775807.0)
		return INT64_MAX;
	if (v <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)v;
}

/* Append element i of t converted for content type ct, little-endian. */
static void put_elem(tb_buf *b, const tb_tensor *t, size_t i, int ct)
{
	double v = tb_tensor_double(t, i);
	if (ct == CT_VERTEX) {
		float f = (float)v;
		uint32_t u;
		memcpy(&u, &f, 4);
		uint8_t le[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16),
				 (uint8_t)(u >> 24)};
		tb_buf_append(b, le, 4);
	} else if (ct == CT_FACE) {
		uint32_t u = (uint32_t)(uint64_t)trunc_int(v);
		uint8_t le[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16),
				 (uint8_t)(u >> 24)};
		tb_buf_append(b, le, 4);
	} else {
		uint8_t c = (uint8_t)(uint64_t)trunc_int(v);
		tb_buf_append(b, &c, 1);
	}
}

static void handle_data(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash *d = payload;
	const char *run = tb_req_query(req, "run"), *tag = tb_req_query(req, "tag");
	const char *step_s = tb_req_query(req, "step"), *ct_s = tb_req_query(req, "content_type");
	const char *sample_s = tb_req_query(req, "sample");
	double step = 0.0;
	if (step_s && parse_float(&step, step_s)) {
		tb_resp_error(resp, 400, "Invalid argument: step must be a number");
		return;
	}
	int ct = -1;
	static const char *const ct_names[] = {"UNDEFINED", "VERTEX", "FACE", "COLOR"};
	for (int k = 0; ct_s && k < 4; k++)
		if (strcmp(ct_s, ct_names[k]) == 0)
			ct = k;
	if (ct < 0) {
		tb_resp_error(resp, 400, "Bad content_type");
		return;
	}
	if (ct == CT_UNDEFINED) {
		tb_resp_error(resp, 400, "Invalid argument: content_type UNDEFINED has no data");
		return;
	}
	int64_t sample = 0;
	if (sample_s && parse_int(&sample, sample_s)) {
		tb_resp_error(resp, 400, "Invalid argument: sample must be an integer");
		return;
	}

	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	const tb_run *r = tb_reader_find_run(&rd, run);
	size_t n;
	item *items = collect(&n, d, r, tag);
	tb_buf body = TB_BUF_INIT;
	tb_tensor_tmp tmp = {0};
	int bad = 0;
	for (size_t i = 0; i < n && !bad; i++) {
		const item *it = &items[i];
		if ((double)tb_series_step(it->s, it->point) != step || it->meta.content_type != ct)
			continue;
		/* Batch element `sample` (negative counts from the end, as in
		 * Python); a scalar has no batch to index. */
		const tb_tensor *t = tb_series_tensor(it->s, it->point, &tmp);
		int64_t b = t->rank > 0 ? t->dims[0] : 0;
		int64_t at = sample < 0 ? sample + b : sample;
		if (!tb_dtype_is_numeric(t->dtype) || t->rank == 0 || at < 0 || at >= b) {
			bad = 1;
			break;
		}
		size_t inner = (size_t)(t->n / (size_t)b);
		for (size_t e = 0; e < inner; e++)
			put_elem(&body, t, (size_t)at * inner + e, ct);
	}
	free(items);
	tb_tensor_tmp_free(&tmp);
	tb_reader_end(&rd);
	if (bad)
		tb_resp_error(resp, 400, "Invalid argument: sample %lld is out of range",
			      (long long)sample);
	else
		tb_resp_bytes(resp, "arraybuffer", body.ptr ? body.ptr : "", body.len);
	tb_buf_free(&body);
}

void tb_mesh_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/plugin/mesh/tags", handle_tags, d);
	tb_router_add(r, "/data/plugin/mesh/meshes", handle_meshes, d);
	tb_router_add(r, "/data/plugin/mesh/data", handle_data, d);
}
