/* Images dashboard routes (spec HTTP_API.md 6.6): the tag listing with
 * sample counts, one series' steps for one sample index as blob-key
 * queries, and the image bytes behind a key.
 *
 * Each stored point is a rank-1 string tensor [width, height, img_0, ...]
 * (FORMAT.md 10.4), so sample S of a step is blob index S + 2. */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "dash.h"
#include "proto/event.h"

#define IMAGES_LIMIT 10

/* Images per step at most: the blob count minus width and height. */
static size_t max_images(const tb_series *s)
{
	size_t m = 0;
	for (size_t i = 0; i < s->len; i++) {
		size_t n = s->tensors[i]->n;
		if (n > 2 && n - 2 > m)
			m = n - 2;
	}
	return m;
}

/* A newer format version than ours: listed as nothing. */
static int newer_version(const tb_series *s)
{
	return tb_dash_content_varint(s, 1) != 0;
}

static void write_samples(tb_json *j, const tb_series *s)
{
	tb_json_key(j, "samples");
	tb_json_int(j, (int64_t)max_images(s));
}

static void handle_tags(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_dash_tags(resp, payload, "images", TB_DC_BLOB_SEQUENCE, newer_version, write_samples);
}

static void handle_images(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash *d = payload;
	const char *run = tb_req_query(req, "run"), *tag = tb_req_query(req, "tag");
	uint64_t sample;
	if (tb_dash_parse_sample(&sample, tb_req_query(req, "sample"))) {
		tb_resp_error(resp, 400, "Invalid argument: sample must be a non-negative integer");
		return;
	}
	tb_store_rdlock(d->store);
	tb_run *r = tb_dash_lock_run(d->store, run);
	const tb_series *s = r ? tb_dash_series(r, tag, "images", TB_DC_BLOB_SEQUENCE) : NULL;
	if (!s) {
		tb_buf msg = TB_BUF_INIT;
		tb_buf_puts(&msg, "Not found: No image data for run=");
		tb_dash_pyrepr(&msg, run);
		tb_buf_puts(&msg, ", tag=");
		tb_dash_pyrepr(&msg, tag);
		tb_resp_error(resp, 404, "%s", msg.ptr);
		tb_buf_free(&msg);
		goto out;
	}
	size_t n;
	uint64_t *idx = tb_dash_sample(&n, s->len, tb_dash_limit(d, "images", IMAGES_LIMIT));
	tb_json j;
	tb_json_init(&j, tb_resp_body(resp));
	tb_json_arr_begin(&j);
	tb_buf key = TB_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		size_t p = (size_t)idx[i];
		/* the step needs image `sample`, i.e. more than sample + 2 blobs */
		if (s->tensors[p]->n < 3 || sample > s->tensors[p]->n - 3)
			continue;
		tb_json_obj_begin(&j);
		tb_json_key(&j, "wall_time");
		tb_json_double(&j, s->walls[p]);
		tb_json_key(&j, "step");
		tb_json_int(&j, s->steps[p]);
		tb_buf_clear(&key);
		tb_buf_puts(&key, "blob_key=");
		tb_dash_blob_key(&key, tb_req_experiment(req), r->name, s->tag, s->tag_len,
				 s->steps[p], sample + 2);
		tb_json_key(&j, "query");
		tb_json_str_n(&j, key.ptr, key.len);
		tb_json_obj_end(&j);
	}
	tb_buf_free(&key);
	tb_json_arr_end(&j);
	free(idx);
out:
	if (r)
		tb_run_unlock(r);
	tb_store_unlock(d->store);
}

static void handle_individual(tb_resp *resp, const tb_req *req, void *payload)
{
	const char *key = tb_req_query(req, "blob_key");
	if (!key) {
		tb_resp_error(resp, 400, "Invalid run, tag, index, or sample");
		return;
	}
	tb_dash_blob_serve(resp, payload, key, "images", NULL);
}

void tb_images_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/plugin/images/tags", handle_tags, d);
	tb_router_add(r, "/data/plugin/images/images", handle_images, d);
	tb_router_add(r, "/data/plugin/images/individualImage", handle_individual, d);
}
