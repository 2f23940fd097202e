/* Hostile-input tests for the images and audio dashboards and the blob-key
 * fetch routes (individualImage, individualAudio, timeseries/imageData),
 * against the real server on the tb-native corpus (read in place under
 * $TB_SOURCE_DIR/tests/corpora). Every bad request must get a clear
 * 4xx with a plain-text reason, and the server must keep serving. */
#include <curl/curl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include "../api/spawn.h"
#include "../harness.h"
#include "common/buf.h"
#include "dashboards/dash.h"
#include "../api/http_client.h"

typedef tb_http_reply reply;

static CURL *curl;
static int port;
static int ask_gzip; /* send Accept-Encoding: gzip (bodies then may come compressed) */

/* GET path; the reply's body is NUL-terminated. */
static void get(reply *r, const char *path)
{
	const char *const headers[] = {
	    ask_gzip ? "Accept-Encoding: gzip" : "Accept-Encoding: identity", NULL};
	tb_http_req req = {.headers = headers};
	tb_http_send(r, curl, port, path, &req);
}

/* GET path and expect status with a text/plain body starting with prefix. */
static void expect_error(const char *path, long status, const char *prefix)
{
	reply r;
	get(&r, path);
	if (r.status != status || strcmp(r.ctype, "text/plain; charset=utf-8") != 0 ||
	    strncmp(r.body.ptr, prefix, strlen(prefix)) != 0) {
		fprintf(stderr, "%.200s: got %ld %s \"%.200s\", expected %ld \"%s...\"\n", path,
			r.status, r.ctype, r.body.ptr, status, prefix);
		CHECK(0);
	}
	tb_buf_free(&r.body);
}

/* path + '?' + name=key for a key made by tboard's own encoder. */
static char *key_path(const char *route, const char *name, const char *run, const char *tag,
		      int64_t step, uint64_t index, const char *extra)
{
	tb_buf b = TB_BUF_INIT;
	tb_buf_printf(&b, "%s?%s=", route, name);
	tb_dash_blob_key(&b, "", run, tag, strlen(tag), step, index);
	if (extra)
		tb_buf_puts(&b, extra);
	return tb_buf_detach(&b);
}

/* The blob key inside the "query" of entry i of a listing. */
static char *listed_key(const char *path, size_t i)
{
	reply r;
	get(&r, path);
	json_t *a = json_loads(r.body.ptr, 0, NULL);
	tb_buf_free(&r.body);
	const char *q = json_string_value(json_object_get(json_array_get(a, i), "query"));
	char *out = NULL;
	if (q && strncmp(q, "blob_key=", 9) == 0)
		out = strndup(q + 9, strcspn(q + 9, "&"));
	json_decref(a);
	return out;
}

static void test_media__valid_fetches(void)
{
	char *key =
	    listed_key("/data/plugin/images/images?run=train&tag=input%2Fimages&sample=1", 0);
	CHECK(key != NULL);
	if (!key)
		return;
	char path[1024];
	reply r;
	ask_gzip = 1;
	snprintf(path, sizeof path, "/data/plugin/images/individualImage?blob_key=%s&ts=1.5", key);
	get(&r, path);
	CHECK_INT(r.status, 200);
	CHECK_STR(r.ctype, "image/png");
	CHECK_STR(r.encoding, ""); /* never gzipped, although the client accepts it */
	CHECK(r.body.len > 8 && memcmp(r.body.ptr, "\x89PNG", 4) == 0);
	size_t png_len = r.body.len;
	tb_buf_free(&r.body);

	snprintf(path, sizeof path, "/data/plugin/timeseries/imageData?imageId=%s", key);
	get(&r, path);
	CHECK_INT(r.status, 200);
	CHECK_STR(r.ctype, "image/png");
	CHECK_INT(r.body.len, png_len);
	tb_buf_free(&r.body);
	free(key);

	ask_gzip = 0;
	key = listed_key("/data/plugin/audio/audio?run=train&tag=audio%2Ftones&sample=1", 2);
	CHECK(key != NULL);
	if (!key)
		return;
	ask_gzip = 1;
	snprintf(path, sizeof path,
		 "/data/plugin/audio/individualAudio?blob_key=%s&content_type=audio%%2Fwav", key);
	get(&r, path);
	CHECK_INT(r.status, 200);
	CHECK_STR(r.ctype, "audio/wav");
	CHECK_STR(r.encoding, "");
	CHECK(r.body.len > 12 && memcmp(r.body.ptr, "RIFF", 4) == 0);
	tb_buf_free(&r.body);
	/* the same clip as an opaque download */
	snprintf(path, sizeof path,
		 "/data/plugin/audio/"
		 "individualAudio?blob_key=%s&content_type=application%%2Foctet-stream",
		 key);
	get(&r, path);
	CHECK_INT(r.status, 200);
	CHECK_STR(r.ctype, "application/octet-stream");
	tb_buf_free(&r.body);
	ask_gzip = 0;
	free(key);
}

static void test_media__undecodable_keys(void)
{
	static const char *const routes[] = {"/data/plugin/images/individualImage?blob_key=",
					     "/data/plugin/timeseries/imageData?imageId="};
	tb_buf good = TB_BUF_INIT;
	tb_dash_blob_key(&good, "", "train", "input/images", 12, 0, 2);
	char truncated[256], padded[256];
	snprintf(truncated, sizeof truncated, "%.*s", (int)good.len - 3, good.ptr);
	snprintf(padded, sizeof padded, "%s==", good.ptr);
	const char *bad[] = {
	    "bm9fc3VjaF9ibG9i", /* base64 of "no_such_blob" */
	    "!!!!",
	    "%00%01%02",
	    "%FF%FE",
	    truncated,
	    padded,
	    "WyIiLCJ0cmFpbiJd",		      /* ["","train"] */
	    "WyIiLCJ0cmFpbiIsInQiLDEuNSwyXQ", /* ["","train","t",1.5,2] */
	    "e30",			      /* {} */
	    "W1tbW1tbW1tbW1tbW1tbW1tbW1tb",   /* [[[[... */
	};
	for (size_t r = 0; r < 2; r++) {
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			char path[512];
			snprintf(path, sizeof path, "%s%s", routes[r], bad[i]);
			/* "%00..." decodes to an empty C string: a missing imageId */
			expect_error(path, 400,
				     bad[i][0] == '%' && bad[i][2] == '0'
					 ? "Invalid argument: "
					 : "Invalid argument: failed to parse blob key");
		}
	}
	/* a key as long as a URL may be */
	tb_buf big = TB_BUF_INIT;
	tb_buf_puts(&big, routes[0]);
	for (int i = 0; i < 6000; i++)
		tb_buf_putc(&big, 'A');
	expect_error(big.ptr, 400, "Invalid argument: failed to parse blob key");
	tb_buf_free(&big);
	tb_buf_free(&good);

	/* huge, negative and fractional numbers inside a well-formed key */
	static const char *const json[] = {
	    "[\"\",\"train\",\"input/images\",99999999999999999999,2]",
	    "[\"\",\"train\",\"input/images\",0,-1]",
	    "[\"\",\"train\",\"input/images\",0,18446744073709551616]",
	    "[\"\",\"train\",\"input/images\",0,2e0]",
	    "[\"\",\"train\",\"input/images\",0,2,3]",
	    "[\"\",\"train\",\"input/images\",\"0\",2]",
	    "[\"\",\"train\",\"\\ud800\",0,2]",
	};
	for (size_t i = 0; i < sizeof json / sizeof json[0]; i++) {
		static const char abc[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		tb_buf p = TB_BUF_INIT;
		tb_buf_puts(&p, routes[i % 2]);
		const unsigned char *s = (const unsigned char *)json[i];
		size_t n = strlen(json[i]);
		for (size_t k = 0; k < n; k += 3) {
			uint32_t v = (uint32_t)s[k] << 16 |
				     (k + 1 < n ? (uint32_t)s[k + 1] << 8 : 0) |
				     (k + 2 < n ? s[k + 2] : 0);
			size_t chars = n - k >= 3 ? 4 : n - k + 1;
			for (size_t c = 0; c < chars; c++)
				tb_buf_putc(&p, abc[v >> (18 - 6 * c) & 63]);
		}
		expect_error(p.ptr, 400, "Invalid argument: failed to parse blob key");
		tb_buf_free(&p);
	}
}

static void test_media__stale_keys(void)
{
	struct {
		const char *run, *tag;
		int64_t step;
		uint64_t index;
		const char *prefix;
	} cases[] = {
	    {"nope", "input/images", 0, 2, "Not found: no such run: 'nope'"},
	    {"train", "nope", 0, 2, "Not found: run 'train' has no such images tag: 'nope'"},
	    {"train", "audio/tones", 0, 0, "Not found: run 'train' has no such images tag"},
	    {"train", "epoch_loss", 0, 0, "Not found: run 'train' has no such images tag"},
	    {"train", "input/images", 999, 2,
	     "Not found: run 'train', tag 'input/images' has no step 999"},
	    {"train", "input/images", -1, 2,
	     "Not found: run 'train', tag 'input/images' has no step -1"},
	    {"train", "input/images", INT64_MIN, 2, "Not found:"},
	    {"train", "input/images", INT64_MAX, 2, "Not found:"},
	    {"train", "input/images", 0, 5,
	     "Not found: run 'train', tag 'input/images' has no blob 5 at step 0"},
	    {"train", "input/images", 0, UINT64_MAX, "Not found:"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *p = key_path(i % 2 ? "/data/plugin/timeseries/imageData"
					 : "/data/plugin/images/individualImage",
				   i % 2 ? "imageId" : "blob_key", cases[i].run, cases[i].tag,
				   cases[i].step, cases[i].index, NULL);
		expect_error(p, 404, cases[i].prefix);
		free(p);
	}
	/* an image key on the audio route and the other way round */
	char *p = key_path("/data/plugin/audio/individualAudio", "blob_key", "train",
			   "input/images", 0, 2, "&content_type=audio%2Fwav");
	expect_error(p, 404, "Not found: run 'train' has no such audio tag: 'input/images'");
	free(p);
	p = key_path("/data/plugin/images/individualImage", "blob_key", "train", "audio/tones", 0,
		     0, NULL);
	expect_error(p, 404, "Not found:");
	free(p);
	/* a run name with a NUL byte cannot match */
	tb_buf b = TB_BUF_INIT;
	tb_buf_puts(&b, "/data/plugin/images/individualImage?blob_key=");
	tb_buf_puts(&b, "WyIiLCJ0cmFpblx1MDAwMCIsImlucHV0L2ltYWdlcyIsMCwyXQ"); /* "train\u0000" */
	expect_error(b.ptr, 404, "Not found: no such run");
	tb_buf_free(&b);
}

static void test_media__missing_parameters(void)
{
	expect_error("/data/plugin/images/individualImage", 400,
		     "Invalid run, tag, index, or sample");
	expect_error("/data/plugin/images/individualImage?ts=1", 400,
		     "Invalid run, tag, index, or sample");
	expect_error("/data/plugin/images/individualImage?blob_key=", 400,
		     "Invalid argument: failed to parse blob key: empty key");
	expect_error("/data/plugin/timeseries/imageData", 400,
		     "Invalid argument: Missing 'imageId'");
	expect_error("/data/plugin/timeseries/imageData?imageId=", 400,
		     "Invalid argument: Missing 'imageId'");
	expect_error("/data/plugin/audio/individualAudio", 400,
		     "Invalid argument: Missing 'blob_key'");
	char *p = key_path("/data/plugin/audio/individualAudio", "blob_key", "train", "audio/tones",
			   0, 0, NULL);
	expect_error(p, 400, "Invalid argument: Missing 'content_type'");
	free(p);
	p = key_path("/data/plugin/audio/individualAudio", "blob_key", "train", "audio/tones", 0, 0,
		     "&content_type=audio%2Fmp3");
	expect_error(p, 400, "Invalid argument: Illegal mime type 'audio/mp3'");
	free(p);
	p = key_path("/data/plugin/audio/individualAudio", "blob_key", "train", "audio/tones", 0, 0,
		     "&content_type=text%2Fhtml");
	expect_error(p, 400, "Invalid argument: Illegal mime type 'text/html'");
	free(p);

	expect_error("/data/plugin/images/images", 404,
		     "Not found: No image data for run=None, tag=None");
	expect_error("/data/plugin/images/images?run=train", 404,
		     "Not found: No image data for run='train', tag=None");
	expect_error("/data/plugin/images/images?run=nope&tag=input%2Fimages", 404,
		     "Not found: No image data for run='nope', tag='input/images'");
	expect_error("/data/plugin/images/images?run=train&tag=audio%2Ftones", 404,
		     "Not found: No image data for run='train', tag='audio/tones'");
	expect_error("/data/plugin/audio/audio?tag=audio%2Ftones", 404,
		     "Not found: No audio data for run=None, tag='audio/tones'");
	expect_error("/data/plugin/audio/audio?run=train&tag=input%2Fimages", 404,
		     "Not found: No audio data for run='train', tag='input/images'");
}

static void test_media__bad_samples(void)
{
	static const char *const bad[] = {
	    "-1", "abc", "1.5", "", "99999999999999999999", "9223372036854775808", "0x1", "%201"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char p[256];
		snprintf(p, sizeof p,
			 "/data/plugin/images/images?run=train&tag=input%%2Fimages&sample=%s",
			 bad[i]);
		expect_error(p, 400, "Invalid argument: sample must be a non-negative integer");
		snprintf(p, sizeof p,
			 "/data/plugin/audio/audio?run=train&tag=audio%%2Ftones&sample=%s", bad[i]);
		expect_error(p, 400, "Invalid argument: sample must be a non-negative integer");
	}
	/* A sample beyond every step is a valid question with no answer. */
	static const char *const none[] = {
	    "/data/plugin/images/images?run=train&tag=input%2Fimages&sample=3",
	    "/data/plugin/images/images?run=train&tag=input%2Fimages&sample=9223372036854775807",
	    "/data/plugin/audio/audio?run=train&tag=audio%2Ftones&sample=2",
	    "/data/plugin/audio/audio?run=train&tag=audio%2Ftones&sample=9223372036854775807",
	};
	for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
		reply r;
		get(&r, none[i]);
		CHECK_INT(r.status, 200);
		CHECK_STR(r.body.ptr, "[]");
		tb_buf_free(&r.body);
	}
	/* The last sample of each step is listed; no step is skipped. */
	reply r;
	get(&r, "/data/plugin/audio/audio?run=train&tag=audio%2Ftones&sample=1");
	json_t *a = json_loads(r.body.ptr, 0, NULL);
	CHECK_INT(json_array_size(a), 3);
	CHECK_STR(json_string_value(json_object_get(json_array_get(a, 0), "contentType")),
		  "audio/wav");
	CHECK_STR(json_string_value(json_object_get(json_array_get(a, 0), "label")), "");
	json_decref(a);
	tb_buf_free(&r.body);
}

static void test_media__still_serving(void)
{
	reply r;
	get(&r, "/data/plugin/images/tags");
	CHECK_INT(r.status, 200);
	json_t *t = json_loads(r.body.ptr, 0, NULL);
	json_t *info = json_object_get(json_object_get(t, "train"), "input/images");
	CHECK_INT(json_integer_value(json_object_get(info, "samples")), 3);
	json_decref(t);
	tb_buf_free(&r.body);
	get(&r, "/data/plugin/audio/tags");
	CHECK_INT(r.status, 200);
	t = json_loads(r.body.ptr, 0, NULL);
	info = json_object_get(json_object_get(t, "train"), "audio/tones");
	CHECK_INT(json_integer_value(json_object_get(info, "samples")), 2);
	json_decref(t);
	tb_buf_free(&r.body);
}

int main(void)
{
	const char *src = getenv("TB_SOURCE_DIR"), *binary = getenv("TB_BINARY");
	if (!src || !binary) {
		fprintf(stderr, "TB_SOURCE_DIR and TB_BINARY must be set (CTest sets them)\n");
		return 1;
	}
	char dir[PATH_MAX], logdir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/tests/corpora/tb-native/logdir", src);
	if (!realpath(dir, logdir)) {
		fprintf(stderr, "no corpus at %s\n", dir);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	tb_spawn *srv = tb_spawn_serve(binary, logdir, tb_spawn_loaded, &port);
	if (!srv)
		return 1;

	TB_RUN(test_media__valid_fetches);
	TB_RUN(test_media__undecodable_keys);
	TB_RUN(test_media__stale_keys);
	TB_RUN(test_media__missing_parameters);
	TB_RUN(test_media__bad_samples);
	TB_RUN(test_media__still_serving);

	CHECK(tb_spawn_alive(srv));
	CHECK(tb_spawn_stop_clean(srv));
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	return tb_test_finish();
}
