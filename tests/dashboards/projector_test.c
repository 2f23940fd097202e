/* Projector routes against a real server on hostile log directories built
 * in a temporary folder: configs whose asset paths climb out with "..",
 * absolute paths and symlinks, a config that is itself a link out of the
 * log directory, garbage and ragged TSV, missing files, a FIFO, malformed
 * text format. Each must get a clear 4xx, nothing outside the log directory
 * may ever be served, and the server must keep serving. Also checks the
 * good paths (TSV and raw float32 tensors, metadata with num_rows,
 * bookmarks, sprites) and the plugin_entry.html page. */
#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../api/sha256sum.h"
#include "../api/spawn.h"
#include "../harness.h"
#include "common/buf.h"
#include "tboard/writer.h"
#include "../api/http_client.h"
#include "../api/testutil.h"

/* Bytes only the files outside the log directory hold. */
#define SECRET "SECRET-OUTSIDE-7f3a"

static char tmp[512];  /* the temporary folder */
static char root[600]; /* tmp/logdir */
static int port;

/* ---- building the log directory ---------------------------------------- */

static void put(const char *rel, const void *data, size_t n)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", tmp, rel);
	for (char *s = strchr(path + strlen(tmp) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	fwrite(data, 1, n, f);
	fclose(f);
}

static void puts_file(const char *rel, const char *text)
{
	put(rel, text, strlen(text));
}

static void link_to(const char *target, const char *rel)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", tmp, rel);
	CHECK_INT(symlink(target, path), 0);
}

/* A run: a folder with one event file. */
static void make_run(const char *name)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/%s", root, name);
	tb_writer *w;
	CHECK_INT(tb_writer_open(&w, dir, NULL), 0);
	tb_writer_add_scalar(w, "x", 1.0, 0, 0);
	tb_writer_close(w);
}

static void config(const char *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void config(const char *run, const char *fmt, ...)
{
	tb_buf b = TB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	tb_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	char rel[512];
	snprintf(rel, sizeof rel, "logdir/%s/projector_config.pbtxt", run);
	put(rel, b.ptr, b.len);
	tb_buf_free(&b);
}

static const float RAW[6] = {1.5f, -2.0f, 0.25f, 3.0f, 1e-3f, -0.0f};
static const unsigned char PNG[] = "\x89PNG\r\n\x1a\nnot really an image";

static void build(void)
{
	puts_file("outside/secret.tsv", SECRET "\t1\n");
	puts_file("outside/secret.txt", SECRET "\n");
	puts_file("outside/projector_config.pbtxt",
		  "embeddings { tensor_path: \"secret.tsv\" metadata_path: \"secret.txt\" }\n");

	make_run("good");
	config("good", "# the happy path\n"
		       "embeddings {\n"
		       "  tensor_name: \"words:0\"\n"
		       "  tensor_path: \"data/tensors.tsv\"\n"
		       "  metadata_path: \"data/meta.tsv\"\n"
		       "  bookmarks_path: \"data/bookmarks.json\"\n"
		       "  sprite { image_path: 'data/sprite.png' single_image_dim: [4, 4] }\n"
		       "}\n"
		       "embeddings { tensor_name: \"raw\" tensor_path: \"raw.bin\" tensor_shape: 3 "
		       "tensor_shape: 2 }\n"
		       "embeddings < tensor_path: \"data/tensors.tsv\" ; unknown_field: 7 >\n");
	puts_file("logdir/good/data/tensors.tsv", "1\t2.5\r\n-3e2\t 1_000 \n\ninf\tnan\n");
	puts_file("logdir/good/data/meta.tsv", "label\tidx\na\t0\r\nb\t1\nc\t2\n");
	puts_file("logdir/good/data/bookmarks.json", "[{\"label\": \"x\"}]");
	put("logdir/good/data/sprite.png", PNG, sizeof PNG - 1);
	unsigned char raw[sizeof RAW];
	for (size_t i = 0; i < 6; i++) {
		uint32_t u;
		memcpy(&u, &RAW[i], 4);
		for (int k = 0; k < 4; k++)
			raw[4 * i + k] = (unsigned char)(u >> (8 * k));
	}
	raw[0] = 0xff; /* not UTF-8 whatever the float: forces the binary reader */
	put("logdir/good/raw.bin", raw, sizeof raw);

	make_run("dotdot");
	config("dotdot", "embeddings { tensor_name: \"t\" tensor_path: \"../../outside/secret.tsv\""
			 " metadata_path: \"x/../../../outside/secret.txt\""
			 " bookmarks_path: \"../../outside/secret.txt\""
			 " sprite { image_path: \"../../outside/secret.txt\" } }\n");

	make_run("absolute");
	config("absolute",
	       "embeddings { tensor_name: \"t\" tensor_path: \"%s/outside/secret.tsv\""
	       " metadata_path: \"%s/outside/secret.txt\" }\n",
	       tmp, tmp);

	make_run("links");
	config("links", "embeddings { tensor_name: \"t\" tensor_path: \"t.tsv\""
			" metadata_path: \"sub/m.tsv\" sprite { image_path: \"s.png\" } }\n");
	char target[1024];
	snprintf(target, sizeof target, "%s/outside/secret.tsv", tmp);
	link_to(target, "logdir/links/t.tsv");
	snprintf(target, sizeof target, "%s/outside", tmp);
	link_to(target, "logdir/links/sub");
	link_to("../../outside/secret.txt", "logdir/links/s.png");

	/* the config itself is a link to a config outside the log directory */
	make_run("config_link");
	snprintf(target, sizeof target, "%s/outside/projector_config.pbtxt", tmp);
	link_to(target, "logdir/config_link/projector_config.pbtxt");

	make_run("garbage");
	config("garbage", "embeddings { tensor_name: \"words\" tensor_path: \"w.tsv\" }\n"
			  "embeddings { tensor_name: \"ragged\" tensor_path: \"r.tsv\" }\n"
			  "embeddings { tensor_name: \"empty\" tensor_path: \"e.tsv\" }\n"
			  "embeddings { tensor_name: \"rawbad\" tensor_path: \"b.bin\""
			  " tensor_shape: [5, 5] }\n"
			  "embeddings { tensor_name: \"raw1d\" tensor_path: \"b.bin\""
			  " tensor_shape: 2 }\n"
			  "embeddings { tensor_name: \"hex\" tensor_path: \"h.tsv\" }\n");
	puts_file("logdir/garbage/w.tsv", "1\t2\nfoo\tbar\n");
	puts_file("logdir/garbage/r.tsv", "1\t2\n3\n");
	puts_file("logdir/garbage/e.tsv", "\n\n");
	put("logdir/garbage/b.bin", "\xff\xfe\x00\x00\x01\x02\x03\x04", 8);
	puts_file("logdir/garbage/h.tsv", "0x1p3\tnan(1)\n");

	make_run("missing");
	config("missing", "embeddings { tensor_name: \"t\" tensor_path: \"nope.tsv\""
			  " metadata_path: \"nope.tsv\" bookmarks_path: \"dir\""
			  " sprite { image_path: \"dir\" } }\n");
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/missing/dir", root);
	mkdir(dir, 0755);

	make_run("fifo");
	config("fifo",
	       "embeddings { tensor_name: \"t\" tensor_path: \"p\" metadata_path: \"p\" }\n");
	snprintf(dir, sizeof dir, "%s/fifo/p", root);
	CHECK_INT(mkfifo(dir, 0644), 0);

	make_run("malformed");
	config("malformed", "embeddings {\n  tensor_path: \"a.tsv\"\n  tensor_shape: -1\n}\n");

	make_run("unterminated");
	config("unterminated", "embeddings {\n  tensor_path: \"a.tsv\"\n");

	make_run("checkpoint_only");
	config("checkpoint_only", "model_checkpoint_path: \"model.ckpt\"\n");

	/* assets in the plugin directory win over the run folder's config */
	make_run("assets");
	config("assets", "embeddings { tensor_name: \"first\" tensor_path: \"a.tsv\" }\n");
	puts_file("logdir/assets/a.tsv", "1\n");
	puts_file("logdir/assets/plugins/org_tensorflow_tensorboard_projector/"
		  "projector_config.pbtxt",
		  "embeddings { tensor_name: \"second\" tensor_path: \"b.tsv\" }\n");
	puts_file("logdir/assets/plugins/org_tensorflow_tensorboard_projector/b.tsv", "1\t2\n");
}

/* ---- requests ----------------------------------------------------------- */

typedef tb_http_reply reply;

static void get(reply *r, const char *path)
{
	CURL *c = curl_easy_init();
	tb_http_req req = {.timeout_s = 30, .want_head = 1};
	CHECK_INT(tb_http_send(r, c, port, path, &req), CURLE_OK);
	curl_easy_cleanup(c);
	/* nothing from outside the log directory, ever */
	if (strstr(r->body.ptr, SECRET)) {
		fprintf(stderr, "GET %s served bytes from outside the log directory\n", path);
		CHECK(0);
	}
}

static void reply_free(reply *r)
{
	tb_buf_free(&r->body);
	tb_buf_free(&r->head);
}

/* GET path and expect a 400 text/plain answer containing `want`. */
static void expect_400(const char *path, const char *want)
{
	reply r;
	get(&r, path);
	if (r.status != 400 || !strstr(r.body.ptr, want))
		fprintf(stderr, "GET %s: %ld \"%s\", expected 400 with \"%s\"\n", path, r.status,
			r.body.ptr, want);
	CHECK_INT(r.status, 400);
	CHECK_STR(r.ctype, "text/plain; charset=utf-8");
	CHECK(strstr(r.body.ptr, want) != NULL);
	reply_free(&r);
}

static void expect_200(reply *r, const char *path, const char *type)
{
	get(r, path);
	if (r->status != 200)
		fprintf(stderr, "GET %s: %ld \"%s\"\n", path, r->status, r->body.ptr);
	CHECK_INT(r->status, 200);
	CHECK_STR(r->ctype, type);
}

static void alive(void)
{
	reply r;
	expect_200(&r, "/data/plugin/projector/runs", "application/json");
	reply_free(&r);
}

/* ---- tests ----------------------------------------------------------------- */

static void test_projector__runs_lists_usable_configs_only(void)
{
	reply r;
	expect_200(&r, "/data/plugin/projector/runs", "application/json");
	const char *want[] = {"\"good\"",    "\"dotdot\"",  "\"absolute\"", "\"links\"",
			      "\"garbage\"", "\"missing\"", "\"fifo\"",	    "\"assets\""};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		CHECK(strstr(r.body.ptr, want[i]) != NULL);
	const char *
	    not [] = {"config_link", "malformed", "unterminated", "checkpoint_only", "\".\""};
	for (size_t i = 0; i < sizeof not / sizeof not [0]; i++)
		CHECK(strstr(r.body.ptr, not [i]) == NULL);
	reply_free(&r);

	expect_200(&r, "/data/plugins_listing", "application/json");
	CHECK(strstr(r.body.ptr, "\"projector\": {\"disable_reload\": true, \"enabled\": true") !=
	      NULL);
	reply_free(&r);
}

static void test_projector__info_normalises_and_omits_defaults(void)
{
	reply r;
	expect_200(&r, "/data/plugin/projector/info?run=good", "application/json");
	static const char want[] = "{\n"
				   "  \"embeddings\": [\n"
				   "    {\n"
				   "      \"tensorName\": \"words\",\n"
				   "      \"metadataPath\": \"data/meta.tsv\",\n"
				   "      \"bookmarksPath\": \"data/bookmarks.json\",\n"
				   "      \"tensorShape\": [\n"
				   "        3,\n"
				   "        2\n"
				   "      ],\n"
				   "      \"sprite\": {\n"
				   "        \"imagePath\": \"data/sprite.png\",\n"
				   "        \"singleImageDim\": [\n"
				   "          4,\n"
				   "          4\n"
				   "        ]\n"
				   "      },\n"
				   "      \"tensorPath\": \"data/tensors.tsv\"\n"
				   "    },\n"
				   "    {\n"
				   "      \"tensorName\": \"raw\",\n"
				   "      \"tensorShape\": [\n"
				   "        3,\n"
				   "        2\n"
				   "      ],\n"
				   "      \"tensorPath\": \"raw.bin\"\n"
				   "    },\n"
				   "    {\n"
				   "      \"tensorShape\": [\n"
				   "        3,\n"
				   "        2\n"
				   "      ],\n"
				   "      \"tensorPath\": \"data/tensors.tsv\"\n"
				   "    }\n"
				   "  ]\n"
				   "}";
	CHECK_STR(r.body.ptr, want);
	reply_free(&r);

	/* the plugin-assets config replaces the run folder's */
	expect_200(&r, "/data/plugin/projector/info?run=assets", "application/json");
	CHECK(strstr(r.body.ptr, "\"second\"") && !strstr(r.body.ptr, "\"first\""));
	reply_free(&r);
}

static void check_floats(const reply *r, const float *want, size_t n)
{
	CHECK_INT(r->body.len, 4 * n);
	for (size_t i = 0; i < n && r->body.len == 4 * n; i++) {
		const unsigned char *q = (const unsigned char *)r->body.ptr + 4 * i;
		uint32_t u = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
			     (uint32_t)q[3] << 24,
			 w;
		memcpy(&w, &want[i], 4);
		if (u != w)
			fprintf(stderr, "float %zu: %08x, expected %08x\n", i, u, w);
		CHECK(u == w);
	}
}

static void test_projector__tensors(void)
{
	reply r;
	/* names without a colon match as if ":0" were appended */
	expect_200(&r, "/data/plugin/projector/tensor?run=good&name=words%3A0",
		   "application/octet-stream");
	float nan_bits;
	uint32_t qnan = 0x7fc00000;
	memcpy(&nan_bits, &qnan, 4);
	const float tsv[6] = {1.0f, 2.5f, -300.0f, 1000.0f, __builtin_inff(), nan_bits};
	check_floats(&r, tsv, 6);
	reply_free(&r);

	expect_200(&r, "/data/plugin/projector/tensor?run=good&name=words&num_rows=2",
		   "application/octet-stream");
	check_floats(&r, tsv, 4);
	reply_free(&r);

	/* huge num_rows: everything */
	expect_200(&r,
		   "/data/plugin/projector/tensor?run=good&name=words&num_rows="
		   "99999999999999999999999999999",
		   "application/octet-stream");
	check_floats(&r, tsv, 6);
	reply_free(&r);

	expect_200(&r, "/data/plugin/projector/tensor?run=good&name=raw",
		   "application/octet-stream");
	float raw[6];
	memcpy(raw, RAW, sizeof raw);
	uint32_t u0;
	memcpy(&u0, &raw[0], 4);
	u0 = (u0 & 0xffffff00u) | 0xff;
	memcpy(&raw[0], &u0, 4);
	check_floats(&r, raw, 6);
	reply_free(&r);

	expect_200(&r, "/data/plugin/projector/tensor?run=assets&name=second",
		   "application/octet-stream");
	CHECK_INT(r.body.len, 8);
	reply_free(&r);
}

static void test_projector__metadata_bookmarks_sprite(void)
{
	reply r;
	expect_200(&r, "/data/plugin/projector/metadata?run=good&name=words",
		   "text/plain; charset=utf-8");
	CHECK_STR(r.body.ptr, "label\tidx\na\t0\nb\t1\nc\t2\n");
	reply_free(&r);

	expect_200(&r, "/data/plugin/projector/metadata?run=good&name=words&num_rows=2",
		   "text/plain; charset=utf-8");
	CHECK_STR(r.body.ptr, "label\tidx\na\t0\nb\t1\n");
	reply_free(&r);

	expect_200(&r, "/data/plugin/projector/bookmarks?run=good&name=words", "application/json");
	CHECK_STR(r.body.ptr, "[{\"label\": \"x\"}]");
	reply_free(&r);

	expect_200(&r, "/data/plugin/projector/sprite_image?run=good&name=words", "image/png");
	CHECK_INT(r.body.len, sizeof PNG - 1);
	CHECK(r.body.len == sizeof PNG - 1 && memcmp(r.body.ptr, PNG, r.body.len) == 0);
	reply_free(&r);
}

static void test_projector__paths_out_of_the_config_directory_are_refused(void)
{
	static const char *const routes[] = {"tensor", "metadata", "bookmarks", "sprite_image"};
	for (size_t i = 0; i < 4; i++) {
		char path[256];
		snprintf(path, sizeof path, "/data/plugin/projector/%s?run=dotdot&name=t",
			 routes[i]);
		expect_400(path, "resolves outside the config directory");
		expect_400(path, "Asset path \"");
	}
	expect_400("/data/plugin/projector/tensor?run=absolute&name=t",
		   "resolves outside the config directory");
	expect_400("/data/plugin/projector/metadata?run=absolute&name=t",
		   "resolves outside the config directory");
	/* a file link, a directory link, a relative link */
	expect_400("/data/plugin/projector/tensor?run=links&name=t",
		   "Asset path \"t.tsv\" resolves outside the config directory");
	expect_400("/data/plugin/projector/metadata?run=links&name=t",
		   "Asset path \"sub/m.tsv\" resolves outside the config directory");
	expect_400("/data/plugin/projector/sprite_image?run=links&name=t",
		   "Asset path \"s.png\" resolves outside the config directory");
	/* a config that is a link out of the log directory is never read */
	expect_400("/data/plugin/projector/info?run=config_link",
		   "resolves outside the log directory");
	expect_400("/data/plugin/projector/tensor?run=config_link&name=secret.tsv",
		   "resolves outside the log directory");
	alive();
}

static void test_projector__garbage_tensors(void)
{
	expect_400("/data/plugin/projector/tensor?run=garbage&name=words",
		   "line 2: value 1 is not a number");
	expect_400("/data/plugin/projector/tensor?run=garbage&name=ragged", "line 2 has 1 values");
	expect_400("/data/plugin/projector/tensor?run=garbage&name=empty", "holds no rows");
	expect_400("/data/plugin/projector/tensor?run=garbage&name=rawbad",
		   "not the 5 x 5 float32 values");
	expect_400("/data/plugin/projector/tensor?run=garbage&name=raw1d",
		   "tensor_shape must have 2 dimensions");
	expect_400("/data/plugin/projector/tensor?run=garbage&name=hex", "is not a number");
	/* the info route still answers, without the shapes it cannot know */
	reply r;
	expect_200(&r, "/data/plugin/projector/info?run=garbage", "application/json");
	CHECK(strstr(r.body.ptr, "\"tensorName\": \"words\"") != NULL);
	reply_free(&r);
	alive();
}

static void test_projector__missing_files_and_special_files(void)
{
	expect_400("/data/plugin/projector/tensor?run=missing&name=t", "does not exist");
	expect_400("/data/plugin/projector/metadata?run=missing&name=t",
		   "not found, or is not a file");
	expect_400("/data/plugin/projector/bookmarks?run=missing&name=t",
		   "not found, or is not a file");
	expect_400("/data/plugin/projector/sprite_image?run=missing&name=t",
		   "does not exist or is directory");
	/* a FIFO is not read (reading it would block) */
	expect_400("/data/plugin/projector/tensor?run=fifo&name=t", "is not a file");
	expect_400("/data/plugin/projector/metadata?run=fifo&name=t",
		   "not found, or is not a file");
	alive();
}

static void test_projector__malformed_configs(void)
{
	expect_400("/data/plugin/projector/info?run=malformed", "Malformed projector config \"");
	expect_400("/data/plugin/projector/info?run=malformed", "line 3: field \"tensor_shape\"");
	expect_400("/data/plugin/projector/tensor?run=unterminated&name=a.tsv", "expected '}'");
	expect_400("/data/plugin/projector/info?run=checkpoint_only",
		   "Unknown run: \"checkpoint_only\"");
	alive();
}

static void test_projector__parameters(void)
{
	expect_400("/data/plugin/projector/info", "query parameter \"run\" is required");
	expect_400("/data/plugin/projector/tensor?name=x", "query parameter \"run\" is required");
	expect_400("/data/plugin/projector/tensor?run=good",
		   "query parameter \"name\" is required");
	expect_400("/data/plugin/projector/metadata?run=good",
		   "query parameter \"name\" is required");
	expect_400("/data/plugin/projector/bookmarks?run=&name=x",
		   "query parameter \"run\" is required");
	expect_400("/data/plugin/projector/sprite_image?run=&name=x",
		   "query parameter \"run\" is required");
	const char *bad_rows[] = {"0", "-3", "abc", "1.5", "1e3", "_1", "0x10"};
	for (size_t i = 0; i < sizeof bad_rows / sizeof bad_rows[0]; i++) {
		char path[200];
		snprintf(path, sizeof path,
			 "/data/plugin/projector/tensor?run=good&name=words&num_rows=%s",
			 bad_rows[i]);
		expect_400(path, "query parameter num_rows must be integer > 0");
		snprintf(path, sizeof path,
			 "/data/plugin/projector/metadata?run=good&name=words&num_rows=%s",
			 bad_rows[i]);
		expect_400(path, "query parameter num_rows must be integer > 0");
	}
	/* Python's int() accepts these */
	reply r;
	expect_200(&r, "/data/plugin/projector/tensor?run=good&name=words&num_rows=%201_0%20",
		   "application/octet-stream");
	CHECK_INT(r.body.len, 24);
	reply_free(&r);
	expect_200(&r, "/data/plugin/projector/tensor?run=good&name=words&num_rows=",
		   "application/octet-stream");
	CHECK_INT(r.body.len, 24);
	reply_free(&r);

	expect_400("/data/plugin/projector/info?run=nope", "Unknown run: \"nope\"");
	expect_400("/data/plugin/projector/tensor?run=..&name=x", "Unknown run: \"..\"");
	expect_400("/data/plugin/projector/tensor?run=good&name=nope",
		   "Tensor \"nope\" not found in checkpoint dir \"\"");
	expect_400("/data/plugin/projector/metadata?run=good&name=raw",
		   "No metadata file found for tensor \"raw\" in the config file \"");
	expect_400("/data/plugin/projector/bookmarks?run=good&name=raw",
		   "No bookmarks file found for tensor \"raw\"");
	expect_400("/data/plugin/projector/sprite_image?run=good&name=raw",
		   "No sprite image file found for tensor \"raw\"");
	alive();
}

static void test_projector__plugin_entry_page(void)
{
	reply r;
	expect_200(&r, "/data/plugin_entry.html?name=projector", "text/html; charset=utf-8");
	CHECK_STR(r.body.ptr,
		  "\n<!DOCTYPE html>\n<head><base href=\"plugin/projector/\" /></head>\n"
		  "<body><script type=\"module\">import(\"./index.js\").then((m) => "
		  "void m.render());</script></body>\n");
	/* the CSP allows exactly the inline script, by its digest */
	const char *s = strstr(r.body.ptr, "<script type=\"module\">");
	const char *e = strstr(r.body.ptr, "</script>");
	CHECK(s && e);
	if (s && e) {
		s += strlen("<script type=\"module\">");
		unsigned char d[32];
		tb_sha256 h;
		tb_sha256_init(&h);
		tb_sha256_update(&h, s, (size_t)(e - s));
		tb_sha256_final(d, &h);
		static const char b64[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		char enc[64] = "'sha256-";
		size_t n = strlen(enc);
		for (int i = 0; i < 33; i += 3) {
			uint32_t v = (uint32_t)d[i] << 16 |
				     (i + 1 < 32 ? (uint32_t)d[i + 1] << 8 : 0) |
				     (i + 2 < 32 ? d[i + 2] : 0);
			enc[n++] = b64[v >> 18 & 63];
			enc[n++] = b64[v >> 12 & 63];
			enc[n++] = i + 1 < 32 ? b64[v >> 6 & 63] : '=';
			enc[n++] = i + 2 < 32 ? b64[v & 63] : '=';
		}
		enc[n++] = '\'';
		enc[n] = '\0';
		CHECK_STR(enc, "'sha256-PVZp/wXI2V6hq7T2aNiDNM+vJWIOWwNwyhE53i+6lSQ='");
		CHECK(strstr(r.head.ptr, "Content-Security-Policy: default-src 'self';") != NULL);
		CHECK(strstr(r.head.ptr,
			     "script-src 'self' 'unsafe-eval' 'sha256-PVZp/wXI2V6hq7T2aN"
			     "iDNM+vJWIOWwNwyhE53i+6lSQ='\r\n") != NULL);
	}
	reply_free(&r);

	get(&r, "/data/plugin_entry.html");
	CHECK_INT(r.status, 404);
	CHECK_STR(r.body.ptr, "Not found");
	reply_free(&r);
	get(&r, "/data/plugin_entry.html?name=nope");
	CHECK_INT(r.status, 404);
	CHECK_STR(r.body.ptr, "Not found: nope");
	reply_free(&r);
	get(&r, "/data/plugin_entry.html?name=scalars");
	CHECK_INT(r.status, 400);
	CHECK_STR(r.body.ptr, "Plugin is not module loadable");
	reply_free(&r);

	expect_200(&r, "/data/plugin/projector/index.js", "application/javascript; charset=utf-8");
	CHECK(strstr(r.body.ptr, "export function render()") != NULL);
	reply_free(&r);
}

/* ---- main ------------------------------------------------------------------- */

int main(void)
{
	const char *bin = tb_spawn_binary();
	if (!bin)
		return 1;
	if (tb_test_tmpdir(tmp, sizeof tmp, "tb_projector_") != 0) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(root, sizeof root, "%s/logdir", tmp);
	build();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* finish loading before serving, so every run is known to the first request */
	tb_spawn *sp = tb_spawn_serve(bin, root, tb_spawn_loaded, &port);
	if (!sp) {
		tb_test_rmtree(tmp);
		return 1;
	}

	TB_RUN(test_projector__runs_lists_usable_configs_only);
	TB_RUN(test_projector__info_normalises_and_omits_defaults);
	TB_RUN(test_projector__tensors);
	TB_RUN(test_projector__metadata_bookmarks_sprite);
	TB_RUN(test_projector__paths_out_of_the_config_directory_are_refused);
	TB_RUN(test_projector__garbage_tensors);
	TB_RUN(test_projector__missing_files_and_special_files);
	TB_RUN(test_projector__malformed_configs);
	TB_RUN(test_projector__parameters);
	TB_RUN(test_projector__plugin_entry_page);

	CHECK(tb_spawn_alive(sp));
	int status = tb_spawn_stop(sp);
	/* SIGTERM ends the server cleanly; a sanitizer report would make it fail */
	CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
	      (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM));
	curl_global_cleanup();
	tb_test_rmtree(tmp);
	return tb_test_finish();
}
