/* The graphs routes against a real server and hostile input (spec
 * HTTP_API.md 8): a hand-made log directory holds good graphs, garbage
 * GraphDef and RunMetadata bytes, a graph nested past the parser's depth
 * limit, function graphs that cannot be merged and a Keras model. Every bad
 * request gets a clear 4xx and the server keeps serving. */
#include <curl/curl.h>
#include <limits.h>
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
#include "record/rec_writer.h"
#include "../api/http_client.h"
#include "../api/testutil.h"

/* --- writing the log directory ------------------------------------------- */

static FILE *open_events(const char *logdir, const char *run)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", logdir, run);
	return tb_test_open_events(path);
}

/* An Event whose field `field` holds `bytes` (graph_def = 4). */
static void put_event_bytes(FILE *f, int64_t step, uint32_t field, const tb_pb_buf *bytes)
{
	tb_pb_buf e = {0};
	tb_pb_put_double(&e, 1, 1700000001.0);
	tb_pb_put_int64(&e, 2, step);
	tb_pb_put_bytes(&e, field, bytes->data, bytes->len);
	tb_test_emit(f, &e);
	tb_pb_buf_free(&e);
}

static void put_tagged_run_metadata(FILE *f, const char *tag, const tb_pb_buf *rm)
{
	tb_pb_buf e = {0};
	tb_pb_put_double(&e, 1, 1700000001.0);
	tb_pb_put_int64(&e, 2, 1);
	size_t t = tb_pb_begin(&e, 8);
	tb_pb_put_string(&e, 1, tag);
	tb_pb_put_bytes(&e, 2, rm->data, rm->len);
	tb_pb_end(&e, t);
	tb_test_emit(f, &e);
	tb_pb_buf_free(&e);
}

/* A summary value: rank-0 string tensor `blob` with plugin `plugin`, content "1". */
static void put_blob_summary(FILE *f, const char *tag, const char *plugin, const void *blob,
			     size_t len)
{
	tb_test_tensor t = {7 /* DT_STRING */, 0, NULL, NULL, 0, (const char *[]){blob}, &len, 1};
	tb_test_put_value(f, 1700000002.0, 3, tag, plugin, "1", 1, &t);
}

/* A node with a small attr "T" and a 200-byte attr "blob". */
static void put_node(tb_pb_buf *b, const char *name, const char *op, const char *input)
{
	size_t n = tb_pb_begin(b, 1);
	tb_pb_put_string(b, 1, name);
	tb_pb_put_string(b, 2, op);
	if (input)
		tb_pb_put_string(b, 3, input);
	size_t e = tb_pb_begin(b, 5);
	tb_pb_put_string(b, 1, "T");
	size_t v = tb_pb_begin(b, 2);
	tb_pb_put_int64(b, 6, 1);
	tb_pb_end(b, v);
	tb_pb_end(b, e);
	e = tb_pb_begin(b, 5);
	tb_pb_put_string(b, 1, "blob");
	v = tb_pb_begin(b, 2);
	char big[200];
	memset(big, 'x', sizeof big);
	tb_pb_put_bytes(b, 2, big, sizeof big);
	tb_pb_end(b, v);
	tb_pb_end(b, e);
	if (strcmp(op, "PartitionedCall") == 0) {
		e = tb_pb_begin(b, 5);
		tb_pb_put_string(b, 1, "f");
		v = tb_pb_begin(b, 2);
		size_t fn = tb_pb_begin(b, 10);
		tb_pb_put_string(b, 1, "fn");
		tb_pb_end(b, fn);
		tb_pb_end(b, v);
		tb_pb_end(b, e);
	}
	tb_pb_end(b, n);
}

static void put_versions(tb_pb_buf *b, int producer)
{
	size_t v = tb_pb_begin(b, 4);
	tb_pb_put_int64(b, 1, producer);
	tb_pb_end(b, v);
}

/* RunMetadata with two function graphs of the given producers. */
static void run_metadata_two_graphs(tb_pb_buf *rm, int p1, int p2)
{
	for (int i = 0; i < 2; i++) {
		size_t fg = tb_pb_begin(rm, 4);
		size_t g = tb_pb_begin(rm, 2);
		put_node(rm, "call", "PartitionedCall", "x");
		size_t lib = tb_pb_begin(rm, 2);
		size_t fn = tb_pb_begin(rm, 1);
		size_t sig = tb_pb_begin(rm, 1);
		tb_pb_put_string(rm, 1, "fn");
		tb_pb_end(rm, sig);
		tb_pb_end(rm, fn);
		tb_pb_end(rm, lib);
		put_versions(rm, i == 0 ? p1 : p2);
		tb_pb_end(rm, g);
		tb_pb_end(rm, fg);
	}
}

static const char keras_json[] =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"seq\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"name\": \"in\", \"dtype\": \"float32\"}},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d1\", \"dtype\": {\"module\": "
    "\"keras\", \"config\": {\"name\": \"float32\"}}}},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d2\", \"dtype\": \"mystery\"}}]}}";

static void write_logdir(const char *logdir)
{
	/* good: a run graph, profile data, op graphs and a Keras model */
	FILE *f = open_events(logdir, "good");
	tb_pb_buf g = {0};
	put_node(&g, "a", "Placeholder", NULL);
	put_node(&g, "b", "Identity", "a");
	put_versions(&g, 27);
	put_event_bytes(f, 0, 4, &g);
	tb_pb_buf rm = {0};
	size_t ss = tb_pb_begin(&rm, 1);
	size_t ds = tb_pb_begin(&rm, 1);
	tb_pb_put_string(&rm, 1, "/device:CPU:0");
	tb_pb_end(&rm, ds);
	tb_pb_end(&rm, ss);
	put_tagged_run_metadata(f, "step1", &rm);
	tb_pb_buf_truncate(&rm, 0);
	run_metadata_two_graphs(&rm, 27, 27);
	put_blob_summary(f, "merged", "graph_run_metadata", rm.data, rm.len);
	tb_pb_buf_truncate(&rm, 0);
	run_metadata_two_graphs(&rm, 27, 28);
	put_blob_summary(f, "unmergeable", "graph_run_metadata_graph", rm.data, rm.len);
	put_blob_summary(f, "keras", "graph_keras_model", keras_json, sizeof keras_json - 1);
	put_blob_summary(f, "keras_bad", "graph_keras_model", "{\"config\": [", 12);
	fclose(f);
	tb_pb_buf_free(&g);
	tb_pb_buf_free(&rm);

	/* garbage: bytes that are no GraphDef and no RunMetadata */
	f = open_events(logdir, "garbage");
	tb_pb_buf junk = {0};
	tb_pb_put_raw(&junk, "\x0a\xff\xff\xff\xff\x0f\x01\x02garbage", 15);
	put_event_bytes(f, 0, 4, &junk);
	put_tagged_run_metadata(f, "step1", &junk);
	put_blob_summary(f, "op", "graph_run_metadata", junk.data, junk.len);
	fclose(f);
	tb_pb_buf_free(&junk);

	/* deep: a node whose experimental_type nests 5000 levels deep */
	f = open_events(logdir, "deep");
	tb_pb_buf d = {0};
	size_t *marks = malloc(5002 * sizeof *marks);
	marks[0] = tb_pb_begin(&d, 1);
	marks[1] = tb_pb_begin(&d, 7);
	for (int i = 0; i < 5000; i++)
		marks[i + 2] = tb_pb_begin(&d, 2);
	for (int i = 5002; i-- > 0;)
		tb_pb_end(&d, marks[i]);
	free(marks);
	put_event_bytes(f, 0, 4, &d);
	fclose(f);
	tb_pb_buf_free(&d);
}

/* --- HTTP ------------------------------------------------------------------ */

typedef tb_http_reply reply;

static CURL *curl;
static int port;

static void get(reply *r, const char *path)
{
	tb_http_send(r, curl, port, path, NULL);
}

/* Expect a plain-text error with this status and exact body. */
static void expect_error(const char *path, long status, const char *body)
{
	reply r;
	get(&r, path);
	if (r.status != status || strcmp(r.ctype, "text/plain; charset=utf-8") != 0 ||
	    strcmp(r.body.ptr, body) != 0) {
		fprintf(stderr, "%s: got %ld [%s] \"%s\", want %ld \"%s\"\n", path, r.status,
			r.ctype, r.body.ptr, status, body);
		CHECK(0);
	}
	tb_buf_free(&r.body);
}

/* Expect 200 text/x-protobuf whose body contains every NULL-terminated needle. */
static void expect_text(const char *path, const char *const *needles)
{
	reply r;
	get(&r, path);
	CHECK_INT(r.status, 200);
	CHECK_STR(r.ctype, "text/x-protobuf; charset=utf-8");
	for (; *needles; needles++) {
		if (!strstr(r.body.ptr, *needles)) {
			fprintf(stderr, "%s: no \"%s\" in:\n%s\n", path, *needles, r.body.ptr);
			CHECK(0);
		}
	}
	tb_buf_free(&r.body);
}

static void test_graphs__info(void)
{
	reply r;
	get(&r, "/data/plugin/graphs/info");
	CHECK_INT(r.status, 200);
	CHECK(
	    strstr(r.body.ptr,
		   "\"good\": {\"run\": \"good\", \"tags\": {\"unmergeable\": {\"tag\": "
		   "\"unmergeable\", \"conceptual_graph\": false, \"op_graph\": true, \"profile\": "
		   "false}, \"merged\": {\"tag\": \"merged\", \"conceptual_graph\": false, "
		   "\"op_graph\": true, \"profile\": true}, \"keras\": {\"tag\": \"keras\", "
		   "\"conceptual_graph\": true, \"op_graph\": false, \"profile\": false}, "
		   "\"keras_bad\": {\"tag\": \"keras_bad\", \"conceptual_graph\": true, "
		   "\"op_graph\": false, \"profile\": false}, \"step1\": {\"tag\": \"step1\", "
		   "\"conceptual_graph\": false, \"op_graph\": false, \"profile\": true}}, "
		   "\"run_graph\": true}") != NULL);
	CHECK(
	    strstr(r.body.ptr, "\"deep\": {\"run\": \"deep\", \"tags\": {}, \"run_graph\": true}"));
	tb_buf_free(&r.body);
}

static void test_graphs__valid_graphs(void)
{
	expect_text("/data/plugin/graphs/graph?run=good",
		    (const char *[]){"node {\n  name: \"a\"\n  op: \"Placeholder\"\n",
				     "  input: \"a\"\n", "versions {\n  producer: 27\n}\n", NULL});
	expect_text("/data/plugin/graphs/graph?run=good&limit_attr_size=100&large_attrs_key=_big",
		    (const char *[]){"attr {\n    key: \"T\"\n",
				     "attr {\n    key: \"_big\"\n    value {\n      list {\n"
				     "        s: \"blob\"\n",
				     NULL});
	expect_text("/data/plugin/graphs/graph?run=good&tag=merged",
		    (const char *[]){"name: \"graph_1/call\"", "input: \"graph_2/x\"",
				     "func {\n        name: \"graph_2_fn\"",
				     "signature {\n      name: \"graph_1_fn\"", NULL});
	expect_text("/data/plugin/graphs/graph?run=good&tag=keras&conceptual=true",
		    (const char *[]){"node {\n  name: \"seq/in\"\n  attr {\n    key: \"dtype\"\n"
				     "    value {\n      type: DT_FLOAT\n",
				     "name: \"seq/d1\"\n  input: \"seq/in\"\n",
				     "name: \"seq/d2\"\n  input: \"seq/d1\"\n  attr {\n    key: "
				     "\"keras_class\"\n",
				     NULL});
	expect_text(
	    "/data/plugin/graphs/run_metadata?run=good&tag=step1",
	    (const char *[]){"step_stats {\n  dev_stats {\n    device: \"/device:CPU:0\"\n", NULL});
	/* a limit beyond 64 bits filters nothing */
	expect_text("/data/plugin/graphs/graph?run=good&limit_attr_size=99999999999999999999999"
		    "&large_attrs_key=k",
		    (const char *[]){"key: \"blob\"", NULL});
}

static void test_graphs__missing_and_unknown(void)
{
	expect_error("/data/plugin/graphs/graph", 400, "query parameter \"run\" is required");
	expect_error("/data/plugin/graphs/graph?tag=x", 400, "query parameter \"run\" is required");
	expect_error("/data/plugin/graphs/graph?run=nope", 404, "Not found");
	expect_error("/data/plugin/graphs/graph?run=good&tag=nope", 404, "Not found");
	expect_error("/data/plugin/graphs/graph?run=good&tag=step1", 404, "Not found");
	expect_error("/data/plugin/graphs/graph?run=good&conceptual=true", 404, "Not found");
	expect_error("/data/plugin/graphs/graph?run=good&tag=merged&conceptual=true", 404,
		     "Not found");
	expect_error("/data/plugin/graphs/run_metadata", 400,
		     "query parameter \"tag\" is required");
	expect_error("/data/plugin/graphs/run_metadata?run=good", 400,
		     "query parameter \"tag\" is required");
	expect_error("/data/plugin/graphs/run_metadata?tag=step1", 400,
		     "query parameter \"run\" is required");
	expect_error("/data/plugin/graphs/run_metadata?run=good&tag=keras", 404, "Not found");
	expect_error("/data/plugin/graphs/run_metadata?run=nope&tag=step1", 404, "Not found");
}

static void test_graphs__bad_limits(void)
{
	const char *ints[] = {"abc", "", "1.5", "1e3", "0x10", "_1", "1__0", NULL};
	for (const char **s = ints; *s; s++) {
		char path[256];
		snprintf(path, sizeof path, "/data/plugin/graphs/graph?run=good&limit_attr_size=%s",
			 *s);
		expect_error(path, 400, "query parameter `limit_attr_size` must be an integer");
	}
	expect_error("/data/plugin/graphs/graph?run=good&limit_attr_size=0&large_attrs_key=k", 400,
		     "limit_attr_size must be > 0");
	expect_error("/data/plugin/graphs/graph?run=good&limit_attr_size=-5&large_attrs_key=k", 400,
		     "limit_attr_size must be > 0");
	expect_error("/data/plugin/graphs/graph?run=good&limit_attr_size=10", 400,
		     "large_attrs_key must be given with limit_attr_size");
	/* the graph is looked up first, as upstream does */
	expect_error("/data/plugin/graphs/graph?run=nope&limit_attr_size=0", 404, "Not found");
	/* Python's int() accepts blanks, a sign and digit separators */
	expect_text("/data/plugin/graphs/graph?run=good&limit_attr_size=+1_0%20&large_attrs_key=k",
		    (const char *[]){"key: \"k\"", NULL});
}

static void test_graphs__corrupt_data(void)
{
	expect_error("/data/plugin/graphs/graph?run=garbage", 400,
		     "the stored graph is not a valid GraphDef");
	expect_error("/data/plugin/graphs/graph?run=deep", 400,
		     "the stored graph is not a valid GraphDef");
	expect_error("/data/plugin/graphs/graph?run=garbage&tag=op", 400,
		     "the stored run metadata is not a valid RunMetadata");
	expect_error("/data/plugin/graphs/run_metadata?run=garbage&tag=step1", 400,
		     "the stored run metadata is not a valid RunMetadata");
	expect_error("/data/plugin/graphs/graph?run=good&tag=unmergeable", 400,
		     "Cannot combine GraphDefs of different versions.");
	expect_error("/data/plugin/graphs/graph?run=good&tag=keras_bad&conceptual=true", 400,
		     "the stored Keras model is not a JSON object");
}

static void test_graphs__still_serving(void)
{
	reply r;
	get(&r, "/data/plugin/graphs/info");
	CHECK_INT(r.status, 200);
	CHECK(strstr(r.body.ptr, "\"garbage\"") != NULL);
	tb_buf_free(&r.body);
}

int main(void)
{
	const char *binary = tb_spawn_binary();
	if (!binary)
		return 1;
	char logdir[256];
	tb_spawn *srv = tb_spawn_serve_new(binary, logdir, sizeof logdir, "tb_graphs_test.",
					   write_logdir, tb_spawn_loaded, &port);
	if (!srv)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();

	TB_RUN(test_graphs__info);
	TB_RUN(test_graphs__valid_graphs);
	TB_RUN(test_graphs__missing_and_unknown);
	TB_RUN(test_graphs__bad_limits);
	TB_RUN(test_graphs__corrupt_data);
	TB_RUN(test_graphs__still_serving);

	CHECK(tb_spawn_alive(srv));
	CHECK(tb_spawn_stop_clean(srv));
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	tb_test_rmtree(logdir);
	return tb_test_finish();
}
