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

#define AUDIO_LIMIT 10
#define ENCODING_WAV 11

/* Clips per step at most. */
static size_t max_clips(const tb_series *s)
{
	size_t m = 0;
	for (size_t i = 0; i < s->len; i++)
		if (s->tensors[i]->n > m)
			m = s->tensors[i]->n;
	return m;
}

static const char *mime_type(const tb_series *s)
{
	return tb_dash_content_varint(s, 2) == ENCODING_WAV ? "audio/wav"
							    : "application/octet-stream";
}

/* A newer format version than ours: listed as nothing. */
static int newer_version(const tb_series *s)
{
	return tb_dash_content_varint(s, 1) != 0;
}

static void write_samples(tb_json *j, const tb_series *s)
{
	tb_json_key(j, "samples");
	tb_json_int(j, (int64_t)max_clips(s));
}

static void handle_tags(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_dash_tags(resp, payload, "audio", TB_DC_BLOB_SEQUENCE, newer_version, write_samples);
}

static void handle_audio(tb_resp *resp, const tb_req *req, void *payload)
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
	const tb_series *s = r ? tb_dash_series(r, tag, "audio", TB_DC_BLOB_SEQUENCE) : NULL;
	if (!s) {
		tb_buf msg = TB_BUF_INIT;
		tb_buf_puts(&msg, "Not found: No audio data for run=");
		tb_dash_pyrepr(&msg, run);
		tb_buf_puts(&msg, ", tag=");
		tb_dash_pyrepr(&msg, tag);
		tb_resp_error(resp, 404, "%s", msg.ptr);
		tb_buf_free(&msg);
		goto out;
	}
	size_t n;
	uint64_t *idx = tb_dash_sample(&n, s->len, tb_dash_limit(d, "audio", AUDIO_LIMIT));
	tb_json j;
	tb_json_init(&j, tb_resp_body(resp));
	tb_json_arr_begin(&j);
	tb_buf key = TB_BUF_INIT;
	const char *type = mime_type(s);
	for (size_t i = 0; i < n; i++) {
		size_t p = (size_t)idx[i];
		/* the step needs clip `sample` (decision D11) */
		if (sample >= s->tensors[p]->n)
			continue;
		tb_json_obj_begin(&j);
		tb_json_key(&j, "wall_time");
		tb_json_double(&j, s->walls[p]);
		tb_json_key(&j, "label");
		tb_json_str(&j, "");
		tb_json_key(&j, "step");
		tb_json_int(&j, s->steps[p]);
		tb_json_key(&j, "contentType");
		tb_json_str(&j, type);
		tb_buf_clear(&key);
		tb_buf_puts(&key, "blob_key=");
		tb_dash_blob_key(&key, tb_req_experiment(req), r->name, s->tag, s->tag_len,
				 s->steps[p], sample);
		tb_buf_puts(&key, strcmp(type, "audio/wav") == 0
				      ? "&content_type=audio%2Fwav"
				      : "&content_type=application%2Foctet-stream");
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
