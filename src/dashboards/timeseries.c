/* Time Series dashboard routes (spec HTTP_API.md 6.4): the combined tag
 * listing, the batch series read for scalars, histograms and images, and
 * the image bytes behind an imageId. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/hash.h"
#include "dash.h"
#include "proto/event.h"

enum { P_SCALARS, P_HISTOGRAMS, P_IMAGES, P_COUNT };

/* Series reads per timeSeries call. Each one can cost a full series, so a
 * longer list (a 74 KB body, or a URL an <img> on any page can carry) would
 * amplify into hundreds of MB of work; the web UI asks one at a time. */
#define MAX_REQUESTS 100

static const struct {
	const char *name;
	int dc;
} kinds[P_COUNT] = {
    {"scalars", TB_DC_SCALAR},
    {"histograms", TB_DC_TENSOR},
    {"images", TB_DC_BLOB_SEQUENCE},
};

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One tag's description as seen from one run. */
typedef struct desc {
	const char *tag;
	const char *text;
	const char *run;
} desc;

static int cmp_desc(const void *a, const void *b)
{
	const desc *x = a, *y = b;
	int c = strcmp(x->tag, y->tag);
	if (!c)
		c = strcmp(x->text, y->text);
	if (!c)
		c = strcmp(x->run, y->run);
	return c;
}

/* tagDescriptions: one rendered description per tag, or a combined
 * document when runs disagree (spec HTTP_API.md 6.4.1). */
static void write_descriptions(tb_json *j, desc *ds, size_t n)
{
	if (n)
		qsort(ds, n, sizeof *ds, cmp_desc);
	tb_json_key(j, "tagDescriptions");
	tb_json_obj_begin(j);
	for (size_t i = 0; i < n;) {
		size_t end = i;
		int distinct = 0;
		for (; end < n && strcmp(ds[end].tag, ds[i].tag) == 0; end++)
			if (end == i || strcmp(ds[end].text, ds[end - 1].text) != 0)
				distinct++;
		tb_json_key(j, ds[i].tag);
		if (distinct == 1) {
			tb_dash_description(j, ds[i].text);
		} else {
			tb_buf md = TB_BUF_INIT;
			tb_buf_puts(&md, "# Multiple descriptions\n");
			for (size_t k = i; k < end;) {
				size_t g = k;
				while (g < end && strcmp(ds[g].text, ds[k].text) == 0)
					g++;
				tb_buf_puts(&md, g - k == 1 ? "## For run: " : "## For runs: ");
				/* runs of one description are already sorted by name */
				for (size_t m = k; m < g; m++) {
					tb_buf_puts(&md, ds[m].run);
					if (m + 1 < g)
						tb_buf_puts(&md, ", ");
				}
				tb_buf_putc(&md, '\n');
				tb_buf_puts(&md, ds[k].text);
				if (g < end)
					tb_buf_putc(&md, '\n');
				k = g;
			}
			tb_dash_description(j, md.ptr);
			tb_buf_free(&md);
		}
		i = end;
	}
	tb_json_obj_end(j);
}

static void handle_tags(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_dash *d = payload;
	tb_json j;
	tb_reader rd;
	tb_dash_object_begin(&j, &rd, resp, d);
	size_t n_runs = tb_reader_run_count(&rd);
	tb_reader_hold_all(&rd);
	for (int k = 0; k < P_COUNT; k++) {
		desc *ds = NULL;
		size_t n_ds = 0, ds_alloc = 0;
		tb_json_key(&j, kinds[k].name);
		tb_json_obj_begin(&j);
		if (k != P_IMAGES) {
			tb_json_key(&j, "runTagInfo");
			tb_json_obj_begin(&j);
		}
		for (size_t i = 0; i < n_runs; i++) {
			const tb_run *r = tb_reader_run_at(&rd, i);
			const char **tags = tb_xcalloc(tb_run_series_count(r) + 1, sizeof *tags);
			size_t n_tags = 0, s = 0;
			int listed = 0; /* a run whose histograms are all filtered shows [] */
			for (const tb_series *ser;
			     (ser = tb_run_next_series(r, &s, kinds[k].name, kinds[k].dc));) {
				if (k == P_HISTOGRAMS) {
					listed = 1;
					/* newer or undecodable data is left out of the
					 * listing (spec HTTP_API.md 6.4.1) */
					if (tb_dash_content_version(ser) != 0)
						continue;
				}
				tags[n_tags++] = tb_series_tag(ser);
				if (*tb_series_description(ser)) {
					ds = tb_xgrow(ds, &ds_alloc, n_ds + 1, sizeof *ds);
					ds[n_ds++] =
					    (desc){tb_series_tag(ser), tb_series_description(ser),
						   tb_run_name(r)};
				}
			}
			if ((n_tags || listed) && k != P_IMAGES) {
				qsort(tags, n_tags, sizeof *tags, cmp_cstr);
				tb_json_key(&j, tb_run_name(r));
				tb_json_arr_begin(&j);
				for (size_t t = 0; t < n_tags; t++)
					tb_json_str(&j, tags[t]);
				tb_json_arr_end(&j);
			}
			free(tags);
		}
		if (k != P_IMAGES)
			tb_json_obj_end(&j);
		write_descriptions(&j, ds, n_ds);
		if (k == P_IMAGES) {
			/* tag -> run -> maxSamplesPerStep, grouped by tag */
			tb_json_key(&j, "tagRunSampledInfo");
			tb_json_obj_begin(&j);
			const char **seen = NULL;
			size_t n_seen = 0, seen_alloc = 0;
			for (size_t i = 0; i < n_runs; i++) {
				const tb_run *r = tb_reader_run_at(&rd, i);
				size_t s = 0;
				for (const tb_series *ser;
				     (ser = tb_run_next_series(r, &s, "images",
							       TB_DC_BLOB_SEQUENCE));) {
					const char *tag = tb_series_tag(ser);
					int dup = 0;
					for (size_t m = 0; m < n_seen && !dup; m++)
						dup = strcmp(seen[m], tag) == 0;
					if (dup)
						continue;
					seen =
					    tb_xgrow(seen, &seen_alloc, n_seen + 1, sizeof *seen);
					seen[n_seen++] = tag;
					tb_json_key(&j, tag);
					tb_json_obj_begin(&j);
					for (size_t i2 = 0; i2 < n_runs; i2++) {
						const tb_run *r2 = tb_reader_run_at(&rd, i2);
						const tb_series *s2 = tb_dash_series(
						    r2, tag, "images", TB_DC_BLOB_SEQUENCE);
						if (!s2)
							continue;
						tb_json_key(&j, tb_run_name(r2));
						tb_json_obj_begin(&j);
						tb_json_key(&j, "maxSamplesPerStep");
						tb_json_int(&j,
							    (int64_t)tb_dash_blob_samples(s2, 2));
						tb_json_obj_end(&j);
					}
					tb_json_obj_end(&j);
				}
			}
			free(seen);
			tb_json_obj_end(&j);
		}
		tb_json_obj_end(&j);
		free(ds);
	}
	tb_dash_object_end(&j, &rd);
}

/* A tag of one run, for tboard's listing: the tag's index in the kind's
 * list of distinct tags, the run's index. */
typedef struct tag_run {
	size_t tag;
	size_t run;
	size_t samples;
} tag_run;

/* A distinct tag: its name, its place in the answer's (sorted) order. */
typedef struct tag_name {
	const char *name;
	size_t idx;
} tag_name;

static int cmp_tag_name(const void *a, const void *b)
{
	return strcmp(((const tag_name *)a)->name, ((const tag_name *)b)->name);
}

/* The index of tag among names[0..*n), added when new. */
static size_t tag_index(tb_idxset *seen, tag_name **names, size_t *n, size_t *alloc,
			const char *tag)
{
	uint64_t h = tb_hash_bytes(TB_HASH_SEED, tag, strlen(tag));
	size_t pos = 0, k;
	while ((k = tb_idxset_next(seen, h, &pos)))
		if (strcmp((*names)[k - 1].name, tag) == 0)
			return k - 1;
	*names = tb_xgrow(*names, alloc, *n + 1, sizeof **names);
	(*names)[*n] = (tag_name){tag, *n};
	if (tb_idxset_add(seen, h, *n))
		abort(); /* out of memory: the server stops (alloc.h) */
	return (*n)++;
}

/* One kind's tags of tboard's listing: "tags" maps each tag once to the
 * runs that have it, as half-open ranges [from, to) of run indices laid
 * flat; for images, "samples" gives each such run's maxSamplesPerStep in
 * the same order; "tagDescriptions" as upstream's listing has them. Tags
 * are found through a hash table and their runs grouped by a counting
 * sort: no sort of every (tag, run) pair, which cost more than upstream's
 * whole listing at 1000 runs. */
static void write_kind(tb_json *j, tb_reader *rd, int k)
{
	size_t n_runs = tb_reader_run_count(rd);
	tag_run *tr = NULL;
	tag_name *names = NULL;
	desc *ds = NULL;
	size_t n_tr = 0, tr_alloc = 0, n_names = 0, names_alloc = 0, n_ds = 0, ds_alloc = 0;
	tb_idxset seen = TB_IDXSET_INIT;
	for (size_t i = 0; i < n_runs; i++) {
		const tb_run *r = tb_reader_run_at(rd, i);
		size_t s = 0;
		for (const tb_series *ser;
		     (ser = tb_run_next_series(r, &s, kinds[k].name, kinds[k].dc));) {
			if (k == P_HISTOGRAMS && tb_dash_content_version(ser) != 0)
				continue;
			tr = tb_xgrow(tr, &tr_alloc, n_tr + 1, sizeof *tr);
			tr[n_tr++] = (tag_run){
			    tag_index(&seen, &names, &n_names, &names_alloc, tb_series_tag(ser)), i,
			    k == P_IMAGES ? tb_dash_blob_samples(ser, 2) : 0};
			if (*tb_series_description(ser)) {
				ds = tb_xgrow(ds, &ds_alloc, n_ds + 1, sizeof *ds);
				ds[n_ds++] = (desc){tb_series_tag(ser), tb_series_description(ser),
						    tb_run_name(r)};
			}
		}
	}
	tb_idxset_free(&seen);
	/* each tag's pairs together, runs ascending as visited */
	size_t *start = tb_xcalloc(n_names + 1, sizeof *start);
	for (size_t m = 0; m < n_tr; m++)
		start[tr[m].tag + 1]++;
	for (size_t t = 0; t < n_names; t++)
		start[t + 1] += start[t];
	tag_run *by = tb_xmalloc((n_tr ? n_tr : 1) * sizeof *by);
	size_t *fill = tb_xmalloc((n_names ? n_names : 1) * sizeof *fill);
	memcpy(fill, start, n_names * sizeof *fill);
	for (size_t m = 0; m < n_tr; m++)
		by[fill[tr[m].tag]++] = tr[m];
	if (n_names)
		qsort(names, n_names, sizeof *names, cmp_tag_name);
	tb_json_key(j, kinds[k].name);
	tb_json_obj_begin(j);
	for (int pass = 0; pass < (k == P_IMAGES ? 2 : 1); pass++) {
		tb_json_key(j, pass ? "samples" : "tags");
		tb_json_obj_begin(j);
		for (size_t t = 0; t < n_names; t++) {
			const tag_run *p = by + start[names[t].idx],
				      *end = by + start[names[t].idx + 1];
			tb_json_key(j, names[t].name);
			tb_json_arr_begin(j);
			for (const tag_run *q = p; q < end; q++) {
				if (pass) {
					tb_json_int(j, (int64_t)q->samples);
				} else if (q == p || q->run != q[-1].run + 1) {
					const tag_run *last = q;
					while (last + 1 < end && last[1].run == last->run + 1)
						last++;
					tb_json_int(j, (int64_t)q->run);
					tb_json_int(j, (int64_t)last->run + 1);
				}
			}
			tb_json_arr_end(j);
		}
		tb_json_obj_end(j);
	}
	write_descriptions(j, ds, n_ds);
	tb_json_obj_end(j);
	free(tr);
	free(by);
	free(start);
	free(fill);
	free(names);
	free(ds);
}

/* GET /data/tboard/tags: the Time Series listing with each tag once
 * (docs/HTTP_API.md): "runs" names the runs, and every kind's tags refer to
 * them by index. */
static void handle_tboard_tags(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_dash *d = payload;
	tb_json j;
	tb_reader rd;
	tb_dash_object_begin(&j, &rd, resp, d);
	tb_reader_hold_all(&rd);
	size_t n_runs = tb_reader_run_count(&rd);
	tb_json_key(&j, "runs");
	tb_json_arr_begin(&j);
	for (size_t i = 0; i < n_runs; i++)
		tb_json_str(&j, tb_run_name(tb_reader_run_at(&rd, i)));
	tb_json_arr_end(&j);
	for (int k = 0; k < P_COUNT; k++)
		write_kind(&j, &rd, k);
	tb_dash_object_end(&j, &rd);
}

/* Echo a request value with our JSON writer. */
static void write_jansson(tb_json *j, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *x;
		tb_json_obj_begin(j);
		json_object_foreach((json_t *)v, k, x)
		{
			tb_json_key(j, k);
			write_jansson(j, x);
		}
		tb_json_obj_end(j);
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *x;
		tb_json_arr_begin(j);
		json_array_foreach(v, i, x) write_jansson(j, x);
		tb_json_arr_end(j);
		break;
	}
	case JSON_STRING:
		tb_json_str_n(j, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		tb_json_int(j, json_integer_value(v));
		break;
	case JSON_REAL:
		tb_json_double(j, json_real_value(v));
		break;
	case JSON_TRUE:
		tb_json_bool(j, 1);
		break;
	case JSON_FALSE:
		tb_json_bool(j, 0);
		break;
	default:
		tb_json_null(j);
	}
}

static void write_datum_series(tb_json *j, const tb_dash *d, const tb_req *req, int kind,
			       const tb_run *r, const tb_series *s, int64_t sample)
{
	size_t n;
	/* As many points as the dashboard of the same name serves. */
	tb_points pt;
	tb_series_points(&pt, s);
	uint64_t *idx = tb_dash_sample(&n, pt.len, tb_dash_limit(d, kinds[kind].name));
	tb_tensor_tmp tmp = {0};
	tb_json_arr_begin(j);
	for (size_t i = 0; i < n; i++) {
		size_t p = tb_dash_pick(idx, i);
		if (kind == P_IMAGES && (tb_series_tensor_n(s, p) < 2 ||
					 (uint64_t)sample >= tb_series_tensor_n(s, p) - 2))
			continue;
		tb_json_obj_begin(j);
		tb_json_key(j, "wallTime");
		tb_json_double(j, tb_points_wall(&pt, p));
		tb_json_key(j, "step");
		tb_json_int(j, tb_points_step(&pt, p));
		if (kind == P_SCALARS) {
			tb_json_key(j, "value");
			tb_json_double(j, tb_points_value(&pt, p));
		} else if (kind == P_HISTOGRAMS) {
			const tb_tensor *t = tb_series_tensor(s, p, &tmp);
			tb_json_key(j, "bins");
			tb_json_arr_begin(j);
			if (t->rank == 2 && t->dims[1] == 3 && t->elem_size) {
				for (int64_t b = 0; b < t->dims[0]; b++) {
					tb_json_obj_begin(j);
					tb_json_key(j, "min");
					tb_json_double(j, tb_tensor_double(t, (size_t)b * 3));
					tb_json_key(j, "max");
					tb_json_double(j, tb_tensor_double(t, (size_t)b * 3 + 1));
					tb_json_key(j, "count");
					tb_json_double(j, tb_tensor_double(t, (size_t)b * 3 + 2));
					tb_json_obj_end(j);
				}
			}
			tb_json_arr_end(j);
		} else {
			tb_buf key = TB_BUF_INIT;
			tb_dash_blob_key(&key, tb_req_experiment(req), tb_run_name(r),
					 tb_series_tag(s), tb_series_tag_len(s),
					 tb_points_step(&pt, p), (uint64_t)sample + 2);
			tb_json_key(j, "imageId");
			tb_json_str_n(j, key.ptr, key.len);
			tb_buf_free(&key);
		}
		tb_json_obj_end(j);
	}
	tb_json_arr_end(j);
	tb_tensor_tmp_free(&tmp);
	free(idx);
}

/* Nonzero when an images series has at least one point with that sample. */
static int has_sample(const tb_series *s, int64_t sample)
{
	for (size_t i = 0; i < tb_series_len(s); i++) {
		size_t n = tb_series_tensor_n(s, i);
		if (n >= 2 && (uint64_t)sample < n - 2)
			return 1;
	}
	return 0;
}

/* Write one request's answer; returns 1 when the request must stop (resp
 * then holds the error, or the client has gone), leaving j unfinished. */
static int answer_one(tb_json *j, tb_dash *d, tb_reader *rd, const tb_req *req, tb_resp *resp,
		      json_t *rq)
{
	json_t *plugin = json_object_get(rq, "plugin"), *tag = json_object_get(rq, "tag");
	json_t *run = json_object_get(rq, "run"), *sample = json_object_get(rq, "sample");
	tb_json_obj_begin(j);
	tb_json_key(j, "plugin");
	if (plugin)
		write_jansson(j, plugin);
	else
		tb_json_null(j);
	tb_json_key(j, "tag");
	if (tag)
		write_jansson(j, tag);
	else
		tb_json_null(j);
	if (json_is_string(run)) {
		tb_json_key(j, "run");
		write_jansson(j, run);
	}
	if (json_is_integer(sample)) {
		tb_json_key(j, "sample");
		write_jansson(j, sample);
	}
	int kind = -1;
	for (int k = 0; k < P_COUNT && json_is_string(plugin); k++)
		if (strcmp(json_string_value(plugin), kinds[k].name) == 0)
			kind = k;
	const char *error = NULL;
	if (!json_is_string(tag))
		error = "Missing tag";
	else if (kind < 0)
		error = "Invalid plugin";
	else if (kind != P_SCALARS && !json_is_string(run))
		error = "Missing run";
	else if (kind == P_IMAGES && !json_is_integer(sample))
		error = "Missing sample";
	if (error) {
		tb_json_key(j, "error");
		tb_json_str(j, error);
		tb_json_obj_end(j);
		return 0;
	}
	int64_t smp = kind == P_IMAGES ? json_integer_value(sample) : 0;
	const char *tag_s = json_string_value(tag);
	const char *only =
	    json_is_string(run) && json_string_length(run) ? json_string_value(run) : NULL;
	tb_json_key(j, "runToSeries");
	tb_json_obj_begin(j);
	for (size_t i = 0; i < tb_reader_run_count(rd); i++) {
		if (only && strcmp(tb_reader_run_name(rd, i), only) != 0)
			continue;
		if (tb_req_should_stop(req, resp))
			return 1;
		const tb_run *r = tb_reader_run_at(rd, i);
		const tb_series *s = tb_dash_series(r, tag_s, kinds[kind].name, kinds[kind].dc);
		if (s && (kind != P_IMAGES || (smp >= 0 && has_sample(s, smp)))) {
			tb_json_key(j, tb_run_name(r));
			write_datum_series(j, d, req, kind, r, s, smp);
		}
		tb_reader_release(rd);
	}
	tb_json_obj_end(j);
	tb_json_obj_end(j);
	return 0;
}

static void handle_time_series(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash *d = payload;
	const char *text = strcmp(tb_req_method(req), "POST") == 0 ? tb_req_form(req, "requests")
								   : tb_req_query(req, "requests");
	if (!text || !*text) {
		tb_resp_error(resp, 400, "Invalid argument: Missing 'requests' field");
		return;
	}
	json_t *all = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	int ok = json_is_array(all);
	size_t i;
	json_t *rq;
	json_array_foreach(all, i, rq) ok = ok && json_is_object(rq);
	if (!ok) {
		json_decref(all);
		tb_resp_error(resp, 400, "Invalid argument: Unable to parse 'requests' as JSON");
		return;
	}
	if (json_array_size(all) > MAX_REQUESTS) {
		tb_resp_error(resp, 400, "Invalid argument: at most %d requests per call, got %zu",
			      MAX_REQUESTS, json_array_size(all));
		json_decref(all);
		return;
	}
	tb_json j;
	tb_json_init(&j, tb_resp_body(resp));
	tb_json_arr_begin(&j);
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	int stop = 0;
	json_array_foreach(all, i, rq)
	{
		if ((stop = tb_req_should_stop(req, resp) || answer_one(&j, d, &rd, req, resp, rq)))
			break;
	}
	tb_reader_end(&rd);
	if (!stop)
		tb_json_arr_end(&j);
	json_decref(all);
}

/* One image by its imageId (spec HTTP_API.md 6.4.3); a missing imageId
 * gets the plain-text 400 too (decision D12). */
static void handle_image_data(tb_resp *resp, const tb_req *req, void *payload)
{
	const char *key = tb_req_query(req, "imageId");
	if (!key || !*key) {
		tb_resp_error(resp, 400, "Invalid argument: Missing 'imageId' field");
		return;
	}
	tb_dash_blob_serve(resp, payload, key, "images", NULL);
}

void tb_timeseries_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/plugin/timeseries/tags", handle_tags, d);
	tb_router_add(r, "/data/plugin/timeseries/timeSeries", handle_time_series, d);
	tb_router_add(r, "/data/plugin/timeseries/imageData", handle_image_data, d);
	tb_router_add(r, "/data/tboard/tags", handle_tboard_tags, d);
}
