/* Hostile-input tests of the numeric-tensor dashboards (histograms,
 * distributions, PR curves, mesh, and Time Series histograms) against a
 * real tboard serving a small log directory written here: missing and
 * garbage parameters, unknown runs and tags, out-of-range indices and odd
 * stored tensors each get a clear answer, and the server keeps serving. */
#include <curl/curl.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../api/spawn.h"
#include "../harness.h"
#include "common/buf.h"
#include "proto/pb_encode.h"
#include "../api/testutil.h"
#include "record/rec_writer.h"
#include "../api/http_client.h"

enum { DT_FLOAT = 1, DT_DOUBLE = 2, DT_INT32 = 3 };

/* ---- writing the log directory ------------------------------------------ */

static FILE *out_file;

/* One Event{wall_time, step, summary{value{tag, metadata, tensor}}}. */
static void tensor_event(int64_t step, const char *tag, const char *plugin, const void *content,
			 size_t content_len, int dtype, int rank, const int64_t *dims,
			 const void *data, size_t data_len)
{
	tb_test_tensor t = {dtype, rank, dims, data, data_len, NULL, NULL, 0};
	tb_test_put_value(out_file, 1700000000.0 + (double)step, step, tag, plugin, content,
			  content_len, &t);
}

/* MeshPluginData{name, content_type, json_config "{}", shape, components 14}. */
static size_t mesh_content(uint8_t *out, const char *name, int ct, const int64_t *shape)
{
	tb_pb_buf b;
	tb_pb_buf_init(&b);
	tb_pb_put_string(&b, 2, name);
	tb_pb_put_int64(&b, 3, ct);
	tb_pb_put_string(&b, 5, "{}");
	tb_pb_put_packed_int64(&b, 6, shape, 3);
	tb_pb_put_uint64(&b, 7, 14);
	size_t n = b.len;
	memcpy(out, b.data, n);
	tb_pb_buf_free(&b);
	return n;
}

static char logdir[256];

static void write_logdir(const char *root)
{
	char dir[300];
	snprintf(dir, sizeof dir, "%s/r", root);
	out_file = tb_test_open_events(dir);
	if (!out_file)
		abort();

	/* h/ok: 60 steps of [[0, 1, 1], [1, 2, 1]] (doubles). */
	const double two[6] = {0, 1, 1, 1, 2, 1};
	const int64_t d23[2] = {2, 3};
	for (int64_t s = 0; s < 60; s++)
		tensor_event(s, "h/ok", "histograms", NULL, 0, DT_DOUBLE, 2, d23, two, sizeof two);
	/* h/odd: a rank-1 float tensor where a [k, 3] one belongs. */
	const float odd[4] = {1.5f, 2.5f, 3.5f, 4.5f};
	const int64_t d4[1] = {4};
	tensor_event(0, "h/odd", "histograms", NULL, 0, DT_FLOAT, 1, d4, odd, sizeof odd);
	/* h/v1: plugin content version 1, newer than the server knows. */
	const uint8_t v1[2] = {0x08, 0x01};
	tensor_event(0, "h/v1", "histograms", v1, sizeof v1, DT_DOUBLE, 2, d23, two, sizeof two);

	/* pr/ok: [6, 3]; the last threshold has TP + FP == 0. */
	const float pr[18] = {10, 4, 0,	 /* TP */ 5,	1.9f,  0, /* FP */ 0, 3,    5, /* TN */
			      0,  6, 10, /* FN */ 0.5f, 0.75f, 1, /* P */ 1,  0.4f, 0 /* R */};
	const int64_t d63[2] = {6, 3};
	tensor_event(0, "pr/ok", "pr_curves", NULL, 0, DT_FLOAT, 2, d63, pr, sizeof pr);
	float prn[18];
	memcpy(prn, pr, sizeof prn);
	prn[1] = NAN;
	tensor_event(0, "pr/nan", "pr_curves", NULL, 0, DT_FLOAT, 2, d63, prn, sizeof prn);

	/* mesh m: batch of 2 meshes of 3 vertices, steps 0 and 1. */
	const int64_t d233[3] = {2, 3, 3};
	uint8_t content[128];
	for (int64_t s = 0; s < 2; s++) {
		float vert[18], col[18];
		int32_t face[18];
		for (int i = 0; i < 18; i++) {
			vert[i] = (float)(s * 100 + i) + 0.25f;
			face[i] = (int32_t)(s * 100 + i);
			col[i] = (float)(200 + i); /* colours written as floats, as PyTorch does */
		}
		size_t n = mesh_content(content, "m", 1, d233);
		tensor_event(s, "m_VERTEX", "mesh", content, n, DT_FLOAT, 3, d233, vert,
			     sizeof vert);
		n = mesh_content(content, "m", 2, d233);
		tensor_event(s, "m_FACE", "mesh", content, n, DT_INT32, 3, d233, face, sizeof face);
		n = mesh_content(content, "m", 3, d233);
		tensor_event(s, "m_COLOR", "mesh", content, n, DT_FLOAT, 3, d233, col, sizeof col);
	}
	fclose(out_file);
}

/* ---- HTTP ----------------------------------------------------------------- */

static int port;
static CURL *curl;

typedef tb_http_reply reply;

/* GET path (or POST form when form is not NULL) into a static reply. */
static reply *fetch(const char *path, const char *form)
{
	static reply r;
	tb_http_reply_free(&r);
	tb_http_req req = {.body = form, .body_len = -1, .timeout_s = 30};
	tb_http_send(&r, curl, port, path, &req);
	return &r;
}

static json_t *fetch_json(const char *path, long want_status)
{
	reply *r = fetch(path, NULL);
	CHECK_INT(r->status, want_status);
	CHECK_STR(r->ctype, "application/json");
	json_t *j = json_loadb(r->body.ptr, r->body.len, JSON_DECODE_ANY, NULL);
	CHECK(j != NULL);
	return j;
}

/* Expect a 4xx text/plain error whose body is exactly `text` (or starts
 * with it when prefix is set). */
static void expect_error(const char *path, long status, const char *text, int prefix)
{
	reply *r = fetch(path, NULL);
	CHECK_INT(r->status, status);
	CHECK_STR(r->ctype, "text/plain; charset=utf-8");
	if (prefix)
		CHECK(strncmp(r->body.ptr, text, strlen(text)) == 0);
	else
		CHECK_STR(r->body.ptr, text);
	if (r->status != status)
		fprintf(stderr, "  for %s: %s\n", path, r->body.ptr);
}

static int near(double a, double b)
{
	return fabs(a - b) <= 1e-12 * fmax(1.0, fabs(b));
}

/* ---- tests ---------------------------------------------------------------- */

static void test_numeric__histograms_tags_filter_versions(void)
{
	json_t *j = fetch_json("/data/plugin/histograms/tags", 200);
	json_t *r = json_object_get(j, "r");
	CHECK(json_object_get(r, "h/ok") != NULL);
	CHECK(json_object_get(r, "h/odd") != NULL);
	CHECK(json_object_get(r, "h/v1") == NULL);
	CHECK_STR(json_string_value(json_object_get(json_object_get(r, "h/ok"), "description")),
		  "");
	json_decref(j);
	j = fetch_json("/data/plugin/distributions/tags", 200);
	CHECK_INT(json_object_size(json_object_get(j, "r")), 2);
	json_decref(j);
	j = fetch_json("/data/plugin/timeseries/tags", 200);
	json_t *tags =
	    json_object_get(json_object_get(json_object_get(j, "histograms"), "runTagInfo"), "r");
	CHECK_INT(json_array_size(tags), 2);
	CHECK_STR(json_string_value(json_array_get(tags, 0)), "h/odd");
	CHECK_STR(json_string_value(json_array_get(tags, 1)), "h/ok");
	json_decref(j);
}

static void test_numeric__histograms_bad_params(void)
{
	const char *msg = "Invalid argument: Both run and tag must be specified";
	expect_error("/data/plugin/histograms/histograms", 400, msg, 0);
	expect_error("/data/plugin/histograms/histograms?run=r", 400, msg, 0);
	expect_error("/data/plugin/histograms/histograms?tag=h/ok", 400, msg, 0);
	expect_error("/data/plugin/histograms/histograms?run=nope&tag=h%2Fok", 404,
		     "Not found: No histogram tag 'h/ok' for run 'nope'", 0);
	expect_error("/data/plugin/histograms/histograms?run=r&tag=it%27s", 404,
		     "Not found: No histogram tag \"it's\" for run 'r'", 0);
	/* a series of another plugin is not a histogram */
	expect_error("/data/plugin/histograms/histograms?run=r&tag=pr%2Fok", 404,
		     "Not found: No histogram tag", 1);
	expect_error("/data/plugin/histograms/histograms?run=%00%ff%0a&tag=%ff%fe", 404,
		     "Not found: No histogram tag", 1);
}

static void test_numeric__histograms_serve(void)
{
	json_t *j = fetch_json("/data/plugin/histograms/histograms?run=r&tag=h%2Fok", 200);
	/* 51 whatever --samples_per_plugin says (the server runs with
	 * histograms=100, which keeps all 60) */
	CHECK_INT(json_array_size(j), 51);
	json_t *last = json_array_get(j, json_array_size(j) - 1);
	CHECK_INT(json_integer_value(json_array_get(last, 1)), 59);
	CHECK(near(json_real_value(json_array_get(last, 0)), 1700000059.0));
	json_t *b = json_array_get(json_array_get(last, 2), 1);
	CHECK_INT(json_array_size(b), 3);
	CHECK(json_is_real(json_array_get(b, 2)) && json_real_value(json_array_get(b, 2)) == 1.0);
	json_decref(j);
	/* an odd shape comes back as the tensor it is */
	j = fetch_json("/data/plugin/histograms/histograms?run=r&tag=h%2Fodd", 200);
	json_t *v = json_array_get(json_array_get(j, 0), 2);
	CHECK_INT(json_array_size(v), 4);
	CHECK(near(json_real_value(json_array_get(v, 3)), 4.5));
	json_decref(j);
}

static void test_numeric__distributions(void)
{
	expect_error("/data/plugin/distributions/distributions?run=r", 400,
		     "Invalid argument: Both run and tag must be specified", 0);
	expect_error("/data/plugin/distributions/distributions?run=r&tag=zzz", 404,
		     "Not found: No histogram tag 'zzz' for run 'r'", 0);
	json_t *j = fetch_json("/data/plugin/distributions/distributions?run=r&tag=h%2Fok", 200);
	CHECK_INT(json_array_size(j), 60);
	/* buckets [0,1) x1 and [1,2] x1: linear within each half, 2 at the top */
	static const double want[9][2] = {{0, 0.0},	  {668, 0.1336},  {1587, 0.3174},
					  {3085, 0.617},  {5000, 1.0},	  {6915, 1.383},
					  {8413, 1.6826}, {9332, 1.8664}, {10000, 2.0}};
	json_t *pts = json_array_get(json_array_get(j, 0), 2);
	CHECK_INT(json_array_size(pts), 9);
	for (size_t i = 0; i < 9; i++) {
		json_t *p = json_array_get(pts, i);
		CHECK(json_is_integer(json_array_get(p, 0)));
		CHECK_INT(json_integer_value(json_array_get(p, 0)), (long long)want[i][0]);
		CHECK(near(json_real_value(json_array_get(p, 1)), want[i][1]));
	}
	json_decref(j);
	/* no [k, 3] buckets: every value 0.0, no crash */
	j = fetch_json("/data/plugin/distributions/distributions?run=r&tag=h%2Fodd", 200);
	pts = json_array_get(json_array_get(j, 0), 2);
	CHECK_INT(json_array_size(pts), 9);
	CHECK(json_real_value(json_array_get(json_array_get(pts, 8), 1)) == 0.0);
	json_decref(j);
}

static void test_numeric__pr_curves_bad_params(void)
{
	expect_error("/data/plugin/pr_curves/pr_curves?tag=pr%2Fok", 400,
		     "No runs provided when fetching PR curve data", 0);
	expect_error("/data/plugin/pr_curves/pr_curves?run=r", 400,
		     "No tag provided when fetching PR curve data", 0);
	expect_error("/data/plugin/pr_curves/pr_curves?run=r&tag=", 400,
		     "No tag provided when fetching PR curve data", 0);
	expect_error("/data/plugin/pr_curves/pr_curves?run=r&run=ghost&tag=pr%2Fok", 400,
		     "No PR curves could be found for run 'ghost' and tag 'pr/ok'", 0);
	expect_error("/data/plugin/pr_curves/pr_curves?run=r&tag=h%2Fok", 400,
		     "No PR curves could be found for run 'r' and tag 'h/ok'", 0);
	expect_error("/data/plugin/pr_curves/pr_curves?run=r&tag=pr%2Fnan", 400,
		     "cannot convert float NaN to integer", 0);
}

static void test_numeric__pr_curves_serve(void)
{
	json_t *j = fetch_json("/data/plugin/pr_curves/pr_curves?run=r&run=r&tag=pr%2Fok", 200);
	CHECK_INT(json_object_size(j), 1);
	json_t *e = json_array_get(json_object_get(j, "r"), 0);
	json_t *tp = json_object_get(e, "true_positives"),
	       *fp = json_object_get(e, "false_positives");
	json_t *th = json_object_get(e, "thresholds"), *pr = json_object_get(e, "precision");
	/* the third threshold has TP + FP == 0 and is trimmed */
	CHECK_INT(json_array_size(tp), 2);
	CHECK_INT(json_array_size(th), 2);
	CHECK_INT(json_array_size(pr), 2);
	CHECK_INT(json_array_size(json_object_get(e, "recall")), 2);
	CHECK_INT(json_array_size(json_object_get(e, "false_negatives")), 2);
	CHECK(json_is_integer(json_array_get(tp, 0)));
	CHECK_INT(json_integer_value(json_array_get(tp, 0)), 10);
	CHECK_INT(json_integer_value(json_array_get(fp, 1)), 1); /* 1.9 truncated */
	CHECK(json_real_value(json_array_get(th, 0)) == 0.0);
	CHECK(json_real_value(json_array_get(th, 1)) == 0.5);
	CHECK(near(json_real_value(json_array_get(pr, 1)), 0.75));
	CHECK_INT(json_integer_value(json_object_get(e, "step")), 0);
	json_decref(j);
	j = fetch_json("/data/plugin/pr_curves/tags", 200);
	CHECK_INT(json_object_size(json_object_get(j, "r")), 2);
	json_decref(j);
}

static void test_numeric__mesh_listing(void)
{
	json_t *j = fetch_json("/data/plugin/mesh/tags", 200);
	CHECK_INT(json_object_size(json_object_get(j, "r")), 1);
	json_t *m = json_object_get(json_object_get(j, "r"), "m");
	CHECK_INT(json_integer_value(json_object_get(m, "samples")), 2);
	json_decref(j);
	const char *empty[] = {"/data/plugin/mesh/meshes", "/data/plugin/mesh/meshes?run=r",
			       "/data/plugin/mesh/meshes?tag=m",
			       "/data/plugin/mesh/meshes?run=x&tag=m",
			       "/data/plugin/mesh/meshes?run=r&tag=m_VERTEX"};
	for (size_t i = 0; i < sizeof empty / sizeof *empty; i++) {
		j = fetch_json(empty[i], 200);
		CHECK(json_is_array(j) && json_array_size(j) == 0);
		json_decref(j);
	}
	j = fetch_json("/data/plugin/mesh/meshes?run=r&tag=m&sample=junk", 200);
	CHECK_INT(json_array_size(j), 6);
	static const int ct[6] = {1, 2, 3, 1, 2, 3}, step[6] = {0, 0, 0, 1, 1, 1};
	for (size_t i = 0; i < 6; i++) {
		json_t *e = json_array_get(j, i);
		CHECK_INT(json_integer_value(json_object_get(e, "content_type")), ct[i]);
		CHECK_INT(json_integer_value(json_object_get(e, "step")), step[i]);
		CHECK_INT(json_integer_value(json_object_get(e, "components")), 14);
		CHECK_STR(json_string_value(json_object_get(e, "config")), "{}");
		CHECK_INT(json_array_size(json_object_get(e, "data_shape")), 3);
	}
	json_decref(j);
}

static void test_numeric__mesh_data_bad_params(void)
{
	/* the query after run=r&tag=m, the error it gets, whether that is only
	 * the start of the message */
	static const struct {
		const char *q, *msg;
		int prefix;
	} bad[] = {
	    {"", "Bad content_type", 0},
	    {"&content_type=vertex", "Bad content_type", 0},
	    {"&content_type=UNDEFINED", "Invalid argument: ", 1},
	    {"&content_type=VERTEX&sample=abc", "Invalid argument: ", 1},
	    {"&content_type=VERTEX&sample=2", "Invalid argument: ", 1},
	    {"&content_type=VERTEX&sample=-3", "Invalid argument: ", 1},
	    {"&content_type=VERTEX&sample=99999999999999999999999", "Invalid argument: ", 1},
	    {"&content_type=VERTEX&step=one", "Invalid argument: ", 1},
	    {"&content_type=VERTEX&step=0x1", "Invalid argument: ", 1},
	};
	char path[256];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(path, sizeof path, "/data/plugin/mesh/data?run=r&tag=m%s", bad[i].q);
		expect_error(path, 400, bad[i].msg, bad[i].prefix);
	}
	/* a huge sample with nothing to index is no error: nothing matches */
	reply *r = fetch("/data/plugin/mesh/data?run=ghost&tag=m&content_type=FACE&sample=7", NULL);
	CHECK_INT(r->status, 200);
	CHECK_STR(r->ctype, "arraybuffer");
	CHECK_INT(r->body.len, 0);
}

static void test_numeric__mesh_data(void)
{
	/* VERTEX, sample 1, step 1: float32 LE of 100 + 9..17 + 0.25 */
	reply *r =
	    fetch("/data/plugin/mesh/data?run=r&tag=m&content_type=VERTEX&sample=1&step=1.0", NULL);
	CHECK_INT(r->status, 200);
	CHECK_STR(r->ctype, "arraybuffer");
	CHECK_INT(r->body.len, 9 * 4);
	if (r->body.len == 36) {
		float f[9];
		memcpy(f, r->body.ptr, sizeof f);
		CHECK(f[0] == 109.25f && f[8] == 117.25f);
	}
	/* FACE, default sample and step: int32 0..8 */
	r = fetch("/data/plugin/mesh/data?run=r&tag=m&content_type=FACE", NULL);
	CHECK_INT(r->body.len, 9 * 4);
	if (r->body.len == 36) {
		int32_t v[9];
		memcpy(v, r->body.ptr, sizeof v);
		CHECK(v[0] == 0 && v[8] == 8);
	}
	/* COLOR from floats, negative sample from the end: uint8 209..217 */
	r = fetch("/data/plugin/mesh/data?run=r&tag=m&content_type=COLOR&sample=-1", NULL);
	CHECK_INT(r->body.len, 9);
	if (r->body.len == 9)
		CHECK((uint8_t)r->body.ptr[0] == 209 && (uint8_t)r->body.ptr[8] == 217);
	/* a step that matches nothing */
	r = fetch("/data/plugin/mesh/data?run=r&tag=m&content_type=COLOR&step=0.5", NULL);
	CHECK_INT(r->status, 200);
	CHECK_INT(r->body.len, 0);
}

static void test_numeric__timeseries_histograms(void)
{
	reply *r =
	    fetch("/data/plugin/timeseries/timeSeries",
		  "requests=%5B%7B%22plugin%22%3A%22histograms%22%2C%22tag%22%3A%22h%2Fok%22%2C"
		  "%22run%22%3A%22r%22%7D%2C%7B%22plugin%22%3A%22histograms%22%2C%22tag%22%3A"
		  "%22h%2Fok%22%7D%5D");
	CHECK_INT(r->status, 200);
	json_t *j = json_loadb(r->body.ptr, r->body.len, 0, NULL);
	CHECK(json_array_size(j) == 2);
	json_t *series = json_object_get(json_object_get(json_array_get(j, 0), "runToSeries"), "r");
	/* Time Series follows --samples_per_plugin histograms=100: all 60 */
	CHECK_INT(json_array_size(series), 60);
	json_t *bins = json_object_get(json_array_get(series, 0), "bins");
	CHECK_INT(json_array_size(bins), 2);
	CHECK(json_real_value(json_object_get(json_array_get(bins, 1), "max")) == 2.0);
	CHECK_STR(json_string_value(json_object_get(json_array_get(j, 1), "error")), "Missing run");
	json_decref(j);
}

static void test_numeric__huge_and_repeated_params(void)
{
	size_t n = 20000;
	char *path = malloc(n + 128);
	int k = snprintf(path, n + 128, "/data/plugin/histograms/histograms?run=r&tag=");
	memset(path + k, 'x', n);
	path[k + n] = '\0';
	reply *r = fetch(path, NULL);
	CHECK(r->status == 404 || r->status == 414 || r->status == 431);
	free(path);
	/* many repeated runs */
	tb_buf b = TB_BUF_INIT;
	tb_buf_puts(&b, "/data/plugin/pr_curves/pr_curves?tag=pr%2Fok");
	for (int i = 0; i < 500; i++)
		tb_buf_puts(&b, "&run=r");
	r = fetch(b.ptr, NULL);
	CHECK_INT(r->status, 200);
	tb_buf_free(&b);
}

int main(void)
{
	const char *binary = tb_spawn_binary();
	if (!binary)
		return 2;
	const char *const extra[] = {TB_SPAWN_LOADED_FLAGS, "--samples_per_plugin",
				     "histograms=100", NULL};
	tb_spawn *srv = tb_spawn_serve_new(binary, logdir, sizeof logdir, "tb_numeric_",
					   write_logdir, extra, &port);
	if (!srv)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();

	TB_RUN(test_numeric__histograms_tags_filter_versions);
	TB_RUN(test_numeric__histograms_bad_params);
	TB_RUN(test_numeric__histograms_serve);
	TB_RUN(test_numeric__distributions);
	TB_RUN(test_numeric__pr_curves_bad_params);
	TB_RUN(test_numeric__pr_curves_serve);
	TB_RUN(test_numeric__mesh_listing);
	TB_RUN(test_numeric__mesh_data_bad_params);
	TB_RUN(test_numeric__mesh_data);
	TB_RUN(test_numeric__timeseries_histograms);
	TB_RUN(test_numeric__huge_and_repeated_params);

	/* After all of that the server still answers. */
	CHECK(tb_spawn_alive(srv));
	reply *r = fetch("/data/plugin/histograms/tags", NULL);
	CHECK_INT(r->status, 200);
	tb_buf_free(&r->body);

	curl_easy_cleanup(curl);
	curl_global_cleanup();
	CHECK(tb_spawn_stop_clean(srv));
	tb_test_rmtree(logdir);
	return tb_test_finish();
}
