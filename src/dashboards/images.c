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

/* Images per step at most: the blob count minus width and height. */
static size_t max_images(const tb_series *s)
{
	size_t m = 0;
	for (size_t i = 0; i < tb_series_len(s); i++) {
		size_t n = tb_series_tensor_n(s, i);
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

static void write_point(tb_json *j, tb_buf *query, const tb_series *s, size_t p)
{
	(void)query;
	tb_json_key(j, "wall_time");
	tb_json_double(j, tb_series_wall(s, p));
	tb_json_key(j, "step");
	tb_json_int(j, tb_series_step(s, p));
}

static void handle_images(tb_resp *resp, const tb_req *req, void *payload)
{
	static const tb_dash_blob_list how = {"images", "image", 2, write_point};
	tb_dash_blob_list_serve(resp, req, payload, &how);
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
