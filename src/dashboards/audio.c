/* Audio dashboard routes (spec HTTP_API.md 6.7): the tag listing with
 * sample counts, one series' steps for one clip index as blob-key
 * queries, and the clip bytes behind a key.
 *
 * Each stored point is a rank-1 string tensor of encoded clips (labels were
 * dropped at load time, FORMAT.md 10.5), so clip S of a step is blob index
 * S. The MIME type comes from the series' AudioPluginData encoding. */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "dash.h"
#include "proto/event.h"

#define ENCODING_WAV 11

static const char *mime_type(const tb_series *s)
{
	return tb_dash_content_varint(s, 2) == ENCODING_WAV ? "audio/wav"
							    : "application/octet-stream";
}

static void write_point(tb_json *j, tb_buf *query, const tb_series *s, size_t p)
{
	const char *type = mime_type(s);
	tb_json_key(j, "wall_time");
	tb_json_double(j, tb_series_wall(s, p));
	tb_json_key(j, "label");
	tb_json_str(j, "");
	tb_json_key(j, "step");
	tb_json_int(j, tb_series_step(s, p));
	tb_json_key(j, "contentType");
	tb_json_str(j, type);
	tb_buf_puts(query, strcmp(type, "audio/wav") == 0
			       ? "&content_type=audio%2Fwav"
			       : "&content_type=application%2Foctet-stream");
}

static const tb_dash_blob_list audio_list = {"audio", "audio", 0, write_point};

static void handle_tags(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_dash_blob_tags(resp, payload, &audio_list);
}

static void handle_audio(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash_blob_list_serve(resp, req, payload, &audio_list);
}

static void handle_individual(tb_resp *resp, const tb_req *req, void *payload)
{
	const char *key = tb_req_query(req, "blob_key");
	const char *type = tb_req_query(req, "content_type");
	if (!key) {
		tb_resp_error(resp, 400, "Invalid argument: Missing 'blob_key' field");
		return;
	}
	if (!type) {
		tb_resp_error(resp, 400, "Invalid argument: Missing 'content_type' field");
		return;
	}
	if (strcmp(type, "audio/wav") != 0 && strcmp(type, "application/octet-stream") != 0) {
		tb_buf msg = TB_BUF_INIT;
		tb_buf_puts(&msg, "Invalid argument: Illegal mime type ");
		tb_dash_pyrepr(&msg, type);
		tb_resp_error(resp, 400, "%s", msg.ptr);
		tb_buf_free(&msg);
		return;
	}
	tb_dash_blob_serve(resp, payload, key, "audio", type);
}

void tb_audio_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/plugin/audio/tags", handle_tags, d);
	tb_router_add(r, "/data/plugin/audio/audio", handle_audio, d);
	tb_router_add(r, "/data/plugin/audio/individualAudio", handle_individual, d);
}
