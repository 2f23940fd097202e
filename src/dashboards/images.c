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

static void write_point(tb_json *j, tb_buf *query, const tb_series *s, size_t p)
{
	(void)query;
	tb_json_key(j, "wall_time");
	tb_json_double(j, tb_series_wall(s, p));
	tb_json_key(j, "step");
	tb_json_int(j, tb_series_step(s, p));
}

static const tb_dash_blob_list images_list = {"images", "image", 2, write_point};

static void handle_tags(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_dash_blob_tags(resp, payload, &images_list);
}

static void handle_images(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash_blob_list_serve(resp, req, payload, &images_list);
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
