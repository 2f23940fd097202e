/* Tests of the hparams dashboard against a real tboard serving a small log
 * directory written here: three sessions without an experiment summary
 * (so the experiment is inferred), two of them in one group. Covers the
 * inferred experiment, filters, sorting, aggregation, paging, metric
 * evals and the three download formats, then hostile requests (malformed
 * JSON, wrong types, huge paging values, bad regexps, unknown columns)
 * that must get a 400 while the server keeps serving. */
#include <curl/curl.h>
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

/* ---- writing the log directory ------------------------------------------ */

static char logdir[256];
static FILE *out_file;

static void open_run(const char *run)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", logdir, run);
	out_file = tb_test_open_events(path);
}

static void close_run(void)
{
	fclose(out_file);
}

static void scalar(int64_t step, const char *tag, float v)
{
	tb_test_put_scalar(out_file, step, tag, v);
}

/* A summary value holding only hparams plugin metadata (as PyTorch writes). */
static void hparams_value(const char *tag, const tb_pb_buf *content)
{
	tb_test_put_value(out_file, 1700000000.0, 0, tag, "hparams", content->data, content->len,
			  NULL);
}

/* One map entry of SessionStartInfo.hparams: kind 2 number, 3 string, 4 bool. */
static void hp_entry(tb_pb_buf *b, const char *name, int kind, double num, const char *str)
{
	size_t entry = tb_pb_begin(b, 1);
	tb_pb_put_string(b, 1, name);
	size_t v = tb_pb_begin(b, 2);
	if (kind == 2)
		tb_pb_put_double(b, 2, num);
	else if (kind == 3)
		tb_pb_put_string(b, 3, str);
	else
		tb_pb_put_bool(b, 4, num != 0);
	tb_pb_end(b, v);
	tb_pb_end(b, entry);
}

static void session(const char *run, double lr, const char *opt, int bn, const char *extra,
		    const char *group, int status, float acc)
{
	open_run(run);
	tb_pb_buf c;
	tb_pb_buf_init(&c);
	size_t start = tb_pb_begin(&c, 3);
	hp_entry(&c, "lr", 2, lr, NULL);
	hp_entry(&c, "opt", 3, 0, opt);
	hp_entry(&c, "bn", 4, bn, NULL);
	if (extra) {
		hp_entry(&c, "extra", 3, 0, extra);
		hp_entry(&c, "mixed", 3, 0, "five");
	} else {
		hp_entry(&c, "mixed", 2, 5, NULL);
	}
	hp_entry(&c, "nan", 2, NAN, NULL);
	tb_pb_put_string(&c, 4, group);
	tb_pb_put_double(&c, 5, 1700000000.0);
	tb_pb_end(&c, start);
	hparams_value("_hparams_/session_start_info", &c);
	if (status) {
		tb_pb_buf_truncate(&c, 0);
		size_t end = tb_pb_begin(&c, 4);
		tb_pb_put_int64(&c, 1, status);
		tb_pb_put_double(&c, 2, 1700000100.0);
		tb_pb_end(&c, end);
		hparams_value("_hparams_/session_end_info", &c);
	}
	tb_pb_buf_free(&c);
	scalar(0, "acc", 0.0f);
	scalar(2, "acc", acc);
	close_run();
}

static void write_logdir(const char *dir)
{
	(void)dir; /* it is logdir, which open_run reads */
	session("s1", 0.1, "adam", 1, NULL, "g1", 1, 0.75f);
	open_run("s1/eval");
	scalar(3, "loss", 1.5f);
	close_run();
	session("s2", 0.01, "sgd", 0, NULL, "g1", 2, 0.25f);
	session("s3", 1.0, "adam", 1, "x", "", 0, 0.5f);
}

/* A run whose session start info claims plugin data version 1 and whose
 * experiment summary is not a protobuf at all. */
static void write_bad_run(void)
{
	open_run("bad");
	tb_pb_buf c;
	tb_pb_buf_init(&c);
	tb_pb_put_int64(&c, 1, 1);
	size_t start = tb_pb_begin(&c, 3);
	hp_entry(&c, "lr", 2, 0.5, NULL);
	tb_pb_end(&c, start);
	hparams_value("_hparams_/session_start_info", &c);
	tb_pb_buf_truncate(&c, 0);
	tb_pb_put_raw(&c, "\xff\xff\xff", 3);
	hparams_value("_hparams_/experiment", &c);
	tb_pb_buf_free(&c);
	scalar(1, "acc", 0.5f);
	close_run();
}

/* ---- HTTP ----------------------------------------------------------------- */

static int port;
static CURL *curl;

typedef tb_http_reply reply;

/* GET path, or POST body (n bytes, Content-Type ctype) when body is set. */
static reply *request(const char *path, const char *body, size_t n, const char *ctype)
{
	static reply r;
	tb_http_reply_free(&r);
	char line[200];
	snprintf(line, sizeof line, "Content-Type: %s", ctype ? ctype : "");
	const char *const headers[] = {line, NULL};
	tb_http_req req = {
	    .headers = body ? headers : NULL, .body = body, .body_len = (long)n, .timeout_s = 30};
	tb_http_send(&r, curl, port, path, &req);
	return &r;
}

static reply *post(const char *route, const char *json)
{
	char path[200];
	snprintf(path, sizeof path, "/data/plugin/hparams/%s", route);
	return request(path, json, strlen(json), "application/json");
}

/* POST json to route, expect 200 JSON and return it parsed. */
static json_t *post_json(const char *route, const char *json)
{
	reply *r = post(route, json);
	CHECK_INT(r->status, 200);
	CHECK_STR(r->ctype, "application/json");
	json_t *j = json_loadb(r->body.ptr, r->body.len, 0, NULL);
	CHECK(j != NULL);
	if (r->status != 200)
		fprintf(stderr, "  for %s %s: %s\n", route, json, r->body.ptr);
	return j;
}

static void expect_400(const char *route, const char *json)
{
	reply *r = post(route, json);
	CHECK_INT(r->status, 400);
	if (r->status != 400)
		fprintf(stderr, "  for %s %s: %.200s\n", route, json, r->body.ptr);
}

static const char *str_at(json_t *j, const char *path)
{
	json_t *v = json_object_get(j, path);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

#define ALL_STATUSES                                                                               \
	"\"allowedStatuses\": [\"STATUS_UNKNOWN\", \"STATUS_SUCCESS\", \"STATUS_FAILURE\", 3]"

/* The names of the answer's session groups, joined by ','. */
static void group_names(char *out, size_t n, json_t *ans)
{
	out[0] = 0;
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(ans, "sessionGroups"), i, g)
	{
		if (i)
			strncat(out, ",", n - strlen(out) - 1);
		strncat(out, str_at(g, "name") ? str_at(g, "name") : "?", n - strlen(out) - 1);
	}
}

/* Run a session_groups request with these extra members; check the names. */
static void expect_groups(const char *members, const char *want, int total)
{
	char body[2048], got[512];
	snprintf(body, sizeof body, "{" ALL_STATUSES ", \"sliceSize\": 100%s%s}",
		 *members ? ", " : "", members);
	json_t *ans = post_json("session_groups", body);
	group_names(got, sizeof got, ans);
	CHECK_STR(got, want);
	CHECK_INT(json_integer_value(json_object_get(ans, "totalSize")), total);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "  for %s\n", body);
	json_decref(ans);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_hparams__inferred_experiment(void)
{
	json_t *e = post_json("experiment", "{\"experimentName\": \"\"}");
	json_t *hp = json_object_get(e, "hparamInfos");
	CHECK_INT(json_array_size(hp), 6);
	/* differing hparams first, each part by name; "nan" is a number (and,
	 * NaN being unequal to itself, differs); "mixed" holds numbers and
	 * strings, so it is a string */
	static const char *const names[] = {"bn", "lr", "mixed", "nan", "opt", "extra"};
	static const char *const types[] = {"DATA_TYPE_BOOL",	"DATA_TYPE_FLOAT64",
					    "DATA_TYPE_STRING", "DATA_TYPE_FLOAT64",
					    "DATA_TYPE_STRING", "DATA_TYPE_STRING"};
	for (size_t i = 0; i < 6 && i < json_array_size(hp); i++) {
		json_t *h = json_array_get(hp, i);
		CHECK_STR(str_at(h, "name"), names[i]);
		CHECK_STR(str_at(h, "type"), types[i]);
		CHECK(json_is_true(json_object_get(h, "differs")) == (i < 5));
	}
	json_t *mixed = json_object_get(json_array_get(hp, 2), "domainDiscrete");
	CHECK_INT(json_array_size(mixed), 2);
	CHECK_STR(json_string_value(json_array_get(mixed, 0)), "5.0");
	CHECK_STR(json_string_value(json_array_get(mixed, 1)), "five");
	json_t *nan = json_object_get(json_array_get(hp, 3), "domainInterval");
	CHECK_STR(json_string_value(json_object_get(nan, "minValue")), "NaN");
	json_t *lr = json_array_get(hp, 1), *opt = json_array_get(hp, 4);
	json_t *iv = json_object_get(lr, "domainInterval");
	CHECK(json_real_value(json_object_get(iv, "minValue")) == 0.01);
	CHECK(json_real_value(json_object_get(iv, "maxValue")) == 1.0);
	json_t *dd = json_object_get(opt, "domainDiscrete");
	CHECK_INT(json_array_size(dd), 2);
	CHECK_STR(json_string_value(json_array_get(dd, 0)), "adam");
	CHECK_STR(json_string_value(json_array_get(dd, 1)), "sgd");
	json_t *bn = json_object_get(json_array_get(hp, 0), "domainDiscrete");
	CHECK(json_is_false(json_array_get(bn, 0)) && json_is_true(json_array_get(bn, 1)));
	/* metrics: every scalar under a session, by tag then group */
	json_t *m = json_object_get(e, "metricInfos");
	CHECK_INT(json_array_size(m), 2);
	json_t *m0 = json_object_get(json_array_get(m, 0), "name");
	json_t *m1 = json_object_get(json_array_get(m, 1), "name");
	CHECK_STR(str_at(m0, "tag"), "acc");
	CHECK_STR(str_at(m0, "group"), "");
	CHECK_STR(str_at(m1, "tag"), "loss");
	CHECK_STR(str_at(m1, "group"), "eval");
	CHECK_STR(str_at(e, "name"), "");
	json_decref(e);

	/* limit and include_metrics=false; snake_case names are accepted too */
	e = post_json("experiment", "{\"hparams_limit\": 2, \"include_metrics\": false}");
	CHECK_INT(json_array_size(json_object_get(e, "hparamInfos")), 2);
	CHECK_INT(json_array_size(json_object_get(e, "metricInfos")), 0);
	json_decref(e);

	/* the GET form with the request in a query parameter */
	reply *r = request("/data/plugin/hparams/experiment?request=%7B%22hparamsLimit%22%3A1%7D",
			   NULL, 0, NULL);
	CHECK_INT(r->status, 200);
	e = json_loads(r->body.ptr, 0, NULL);
	CHECK_INT(json_array_size(json_object_get(e, "hparamInfos")), 1);
	json_decref(e);
}

static void test_hparams__groups_and_aggregation(void)
{
	json_t *ans = post_json("session_groups", "{" ALL_STATUSES ", \"sliceSize\": 10}");
	char names[256];
	group_names(names, sizeof names, ans);
	CHECK_STR(names, "g1,s3");
	json_t *g1 = json_array_get(json_object_get(ans, "sessionGroups"), 0);
	json_t *sessions = json_object_get(g1, "sessions");
	CHECK_INT(json_array_size(sessions), 2);
	CHECK_STR(str_at(json_array_get(sessions, 0), "name"), "s1");
	CHECK_STR(str_at(json_array_get(sessions, 0), "status"), "STATUS_SUCCESS");
	CHECK_STR(str_at(json_array_get(sessions, 1), "status"), "STATUS_FAILURE");
	/* average of 0.75 and 0.25 for acc; loss only in s1 (run s1/eval) */
	json_t *mv = json_object_get(g1, "metricValues");
	CHECK_INT(json_array_size(mv), 2);
	CHECK(json_real_value(json_object_get(json_array_get(mv, 0), "value")) == 0.5);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(mv, 0), "trainingStep")), 2);
	CHECK(json_real_value(json_object_get(json_array_get(mv, 1), "value")) == 1.5);
	/* non-finite hparams are left out of the group */
	CHECK(json_object_get(json_object_get(g1, "hparams"), "nan") == NULL);
	CHECK(json_object_get(json_object_get(g1, "hparams"), "lr") != NULL);
	json_t *s3 = json_array_get(json_object_get(ans, "sessionGroups"), 1);
	CHECK_STR(str_at(json_array_get(json_object_get(s3, "sessions"), 0), "status"),
		  "STATUS_UNKNOWN");
	json_decref(ans);

	static const struct {
		const char *type;
		double acc;
	} aggs[] = {
	    {"AGGREGATION_MIN", 0.25}, {"AGGREGATION_MAX", 0.75}, {"AGGREGATION_MEDIAN", 0.25}};
	for (size_t i = 0; i < 3; i++) {
		char body[512];
		snprintf(body, sizeof body,
			 "{" ALL_STATUSES ", \"sliceSize\": 10, \"aggregationType\": \"%s\", "
			 "\"aggregationMetric\": {\"tag\": \"acc\"}}",
			 aggs[i].type);
		ans = post_json("session_groups", body);
		g1 = json_array_get(json_object_get(ans, "sessionGroups"), 0);
		mv = json_object_get(json_array_get(json_object_get(g1, "metricValues"), 0),
				     "value");
		CHECK(json_real_value(mv) == aggs[i].acc);
		json_decref(ans);
	}
	/* no session has the aggregation metric: empty metric values */
	ans = post_json("session_groups",
			"{" ALL_STATUSES ", \"sliceSize\": 10, \"aggregationType\": "
			"\"AGGREGATION_MAX\", \"aggregationMetric\": {\"tag\": \"none\"}}");
	g1 = json_array_get(json_object_get(ans, "sessionGroups"), 0);
	CHECK_INT(json_array_size(json_object_get(g1, "metricValues")), 0);
	json_decref(ans);
}

static void test_hparams__filters_sorting_paging(void)
{
	expect_groups("", "g1,s3", 2);
	/* statuses: empty means none passes */
	char got[256];
	json_t *ans = post_json("session_groups", "{\"sliceSize\": 10}");
	group_names(got, sizeof got, ans);
	CHECK_STR(got, "");
	CHECK_INT(json_integer_value(json_object_get(ans, "totalSize")), 0);
	json_decref(ans);
	ans = post_json("session_groups",
			"{\"allowedStatuses\": [\"STATUS_UNKNOWN\"], \"sliceSize\": 10}");
	group_names(got, sizeof got, ans);
	CHECK_STR(got, "s3");
	json_decref(ans);

	expect_groups("\"colParams\": [{\"metric\": {\"tag\": \"acc\"}, \"filterInterval\": "
		      "{\"minValue\": 0.5, \"maxValue\": \"Infinity\"}}]",
		      "g1,s3", 2);
	expect_groups("\"colParams\": [{\"metric\": {\"tag\": \"acc\"}, \"filterInterval\": "
		      "{\"minValue\": 0.51, \"maxValue\": 1}}]",
		      "", 0);
	expect_groups("\"colParams\": [{\"metric\": {\"group\": \"eval\", \"tag\": \"loss\"}, "
		      "\"excludeMissingValues\": true}]",
		      "g1", 1);
	expect_groups("\"colParams\": [{\"hparam\": \"extra\", \"filterRegexp\": \"^x$\"}]",
		      "g1,s3", 2);
	expect_groups("\"colParams\": [{\"hparam\": \"extra\", \"filterRegexp\": \"x\", "
		      "\"excludeMissingValues\": true}]",
		      "s3", 1);
	expect_groups("\"colParams\": [{\"hparam\": \"lr\", \"filterDiscrete\": [1, 0.5]}]", "s3",
		      1);
	expect_groups("\"colParams\": [{\"hparam\": \"bn\", \"filterDiscrete\": [true, false]}]",
		      "g1,s3", 2);
	expect_groups("\"colParams\": [{\"hparam\": \"lr\", \"filterDiscrete\": [true]}]", "s3", 1);
	expect_groups(
	    "\"colParams\": [{\"hparam\": \"opt\", \"filterDiscrete\": [\"adam\", \"sgd\"]}]",
	    "g1,s3", 2);
	/* unknown columns have no values: missing everywhere */
	expect_groups("\"colParams\": [{\"hparam\": \"nope\", \"order\": \"ORDER_DESC\"}]", "g1,s3",
		      2);
	expect_groups("\"colParams\": [{\"metric\": {\"tag\": \"nope\"}, \"excludeMissingValues\": "
		      "true}]",
		      "", 0);

	/* sorting, missing values first or last in both directions */
	expect_groups("\"colParams\": [{\"hparam\": \"extra\", \"order\": \"ORDER_ASC\"}]", "s3,g1",
		      2);
	expect_groups("\"colParams\": [{\"hparam\": \"extra\", \"order\": \"ORDER_ASC\", "
		      "\"missingValuesFirst\": true}]",
		      "g1,s3", 2);
	expect_groups("\"colParams\": [{\"hparam\": \"extra\", \"order\": 2}]", "s3,g1", 2);
	expect_groups(
	    "\"colParams\": [{\"metric\": {\"tag\": \"acc\"}, \"order\": \"ORDER_DESC\"}]", "g1,s3",
	    2);
	expect_groups("\"colParams\": [{\"metric\": {\"tag\": \"acc\"}, \"order\": \"ORDER_ASC\"}]",
		      "g1,s3", 2);
	expect_groups("\"aggregationType\": \"AGGREGATION_MAX\", \"aggregationMetric\": {\"tag\": "
		      "\"acc\"}, \"colParams\": [{\"metric\": {\"tag\": \"acc\"}, \"order\": "
		      "\"ORDER_DESC\"}]",
		      "g1,s3", 2);
	expect_groups("\"aggregationType\": \"AGGREGATION_MIN\", \"aggregationMetric\": {\"tag\": "
		      "\"acc\"}, \"colParams\": [{\"metric\": {\"tag\": \"acc\"}, \"order\": "
		      "\"ORDER_DESC\"}]",
		      "s3,g1", 2);

	/* paging as Python slices; totalSize counts every group */
	expect_groups("\"startIndex\": 1", "s3", 2);
	expect_groups("\"startIndex\": -1", "s3", 2);
	expect_groups("\"startIndex\": 2147483647", "", 2);
	ans = post_json("session_groups", "{" ALL_STATUSES ", \"startIndex\": 2147483647, "
					  "\"sliceSize\": 2147483647}");
	CHECK_INT(json_array_size(json_object_get(ans, "sessionGroups")), 0);
	json_decref(ans);
	ans = post_json("session_groups", "{" ALL_STATUSES ", \"sliceSize\": \"1\"}");
	group_names(got, sizeof got, ans);
	CHECK_STR(got, "g1");
	json_decref(ans);

	/* includeInResult keeps only the hparams asked for */
	ans = post_json("session_groups", "{" ALL_STATUSES ", \"sliceSize\": 10, \"colParams\": "
					  "[{\"hparam\": \"lr\", \"includeInResult\": true}, "
					  "{\"hparam\": \"opt\", \"includeInResult\": false}]}");
	json_t *hp =
	    json_object_get(json_array_get(json_object_get(ans, "sessionGroups"), 0), "hparams");
	CHECK_INT(json_object_size(hp), 1);
	CHECK(json_object_get(hp, "lr") != NULL);
	json_decref(ans);
}

static void test_hparams__metric_evals(void)
{
	json_t *ans = post_json("metric_evals", "{\"sessionName\": \"s1\", \"metricName\": "
						"{\"group\": \"eval\", \"tag\": \"loss\"}}");
	CHECK_INT(json_array_size(ans), 1);
	json_t *p = json_array_get(ans, 0);
	CHECK(json_real_value(json_array_get(p, 0)) == 1700000003.0);
	CHECK_INT(json_integer_value(json_array_get(p, 1)), 3);
	CHECK(json_real_value(json_array_get(p, 2)) == 1.5);
	json_decref(ans);
	ans = post_json("metric_evals",
			"{\"sessionName\": \"s2\", \"metricName\": {\"tag\": \"acc\"}}");
	CHECK_INT(json_array_size(ans), 2);
	json_decref(ans);

	reply *r =
	    post("metric_evals", "{\"sessionName\": \"s1\", \"metricName\": {\"tag\": \"nope\"}}");
	CHECK_INT(r->status, 404);
	CHECK_STR(r->body.ptr, "Not found: No scalar data for run='s1', tag='nope'");
	r = post("metric_evals",
		 "{\"sessionName\": \"s1/../s2\", \"metricName\": {\"tag\": \"acc\"}}");
	CHECK_INT(r->status, 200);
	r = post("metric_evals", "{}");
	CHECK_INT(r->status, 404);
	expect_400("metric_evals", "{\"sessionName\": 1}");
	expect_400("metric_evals", "{\"metricName\": \"acc\"}");
}

static const char *const DL_REQUEST =
    "%7B%22allowedStatuses%22%3A%5B0%2C1%2C2%2C3%5D%2C%22sliceSize%22%3A10%7D";

static reply *download(const char *format, const char *vis)
{
	char path[1024];
	snprintf(path, sizeof path,
		 "/data/plugin/hparams/download_data?format=%s&columnsVisibility=%s&request=%s",
		 format, vis, DL_REQUEST);
	return request(path, NULL, 0, NULL);
}

static void test_hparams__download(void)
{
	/* columns: bn, lr, mixed, nan, opt, extra, acc, loss */
	const char *all = "%5Btrue%2Ctrue%2Ctrue%2Ctrue%2Ctrue%2Ctrue%2Ctrue%2Ctrue%5D";
	reply *r = download("csv", all);
	CHECK_INT(r->status, 200);
	CHECK_STR(r->ctype, "text/csv; charset=utf-8");
	/* g1's hparams come from whichever of its sessions was read first */
	const char *head = "bn,lr,mixed,nan,opt,extra,acc,loss\r\n";
	CHECK(strncmp(r->body.ptr, head, strlen(head)) == 0);
	CHECK(strstr(r->body.ptr, ",0.5,1.5\r\n") != NULL);
	CHECK(strstr(r->body.ptr, "\r\nTrue,1.0,five,,adam,x,0.5,\r\n") != NULL);

	r = download("json", "%5Bfalse%2Ctrue%5D");
	CHECK_INT(r->status, 200);
	json_t *j = json_loads(r->body.ptr, 0, NULL);
	json_t *h = json_object_get(j, "header");
	CHECK_INT(json_array_size(h), 1);
	CHECK_STR(json_string_value(json_array_get(h, 0)), "lr");
	json_t *rows = json_object_get(j, "rows");
	CHECK_INT(json_array_size(rows), 2);
	CHECK(json_real_value(json_array_get(json_array_get(rows, 1), 0)) == 1.0);
	json_decref(j);

	r = download("latex", all);
	CHECK_INT(r->status, 200);
	CHECK_STR(r->ctype, "application/x-latex");
	head = "\\begin{table}[tbp]\n\\begin{tabular}{llllllll}\n"
	       "bn & lr & mixed & nan & opt & extra & acc & loss \\\\ \\hline\n";
	CHECK(strncmp(r->body.ptr, head, strlen(head)) == 0);
	CHECK(strstr(r->body.ptr, "$1$ & $1$ & five &  & adam & x & $0.5$ & - \\\\\n") != NULL);
	CHECK(strstr(r->body.ptr, "\\hline\n\\end{tabular}\n\\end{table}\n") != NULL);

	r = download("xml", all);
	CHECK_INT(r->status, 400);
	r = request("/data/plugin/hparams/download_data?format=csv&request=%7B%7D", NULL, 0, NULL);
	CHECK_INT(r->status, 400);
	r = download("csv", "%7B%7D");
	CHECK_INT(r->status, 400);
	r = download("csv", "%5B");
	CHECK_INT(r->status, 400);
}

static void test_hparams__hostile(void)
{
	static const char *const bad[] = {
	    "",
	    "{",
	    "[]",
	    "null",
	    "\"text\"",
	    "{\"experimentName\": 5}",
	    "{\"allowedStatuses\": \"STATUS_SUCCESS\"}",
	    "{\"allowedStatuses\": [\"STATUS_BOGUS\"]}",
	    "{\"allowedStatuses\": [17]}",
	    "{\"sliceSize\": \"abc\"}",
	    "{\"sliceSize\": 1.5}",
	    "{\"sliceSize\": 2147483648}",
	    "{\"startIndex\": -2147483649}",
	    "{\"startIndex\": 1e300}",
	    "{\"sliceSize\": 99999999999999999999999}",
	    "{\"noSuchField\": 1}",
	    "{\"sliceSize\": 1, \"slice_size\": 2}",
	    "{\"sliceSize\": 1, \"sliceSize\": 2}",
	    "{\"aggregationType\": \"AGGREGATION_SUM\"}",
	    "{\"includeMetrics\": \"yes\"}",
	    "{\"colParams\": {}}",
	    "{\"colParams\": [5]}",
	    "{\"colParams\": [{}]}",
	    "{\"colParams\": [{\"hparam\": \"\"}]}",
	    "{\"colParams\": [{\"hparam\": 5}]}",
	    "{\"colParams\": [{\"hparam\": \"lr\", \"metric\": {\"tag\": \"acc\"}}]}",
	    "{\"colParams\": [{\"hparam\": \"lr\", \"order\": \"UP\"}]}",
	    "{\"colParams\": [{\"hparam\": \"lr\", \"filterRegexp\": \"x\", \"filterDiscrete\": "
	    "[]}]}",
	    "{\"colParams\": [{\"hparam\": \"lr\", \"filterInterval\": {\"min\": 1}}]}",
	    "{\"colParams\": [{\"hparam\": \"lr\", \"filterInterval\": {\"minValue\": \"low\"}}]}",
	    "{\"colParams\": [{\"hparam\": \"lr\", \"filterDiscrete\": 1}]}",
	    "{\"colParams\": [{\"metric\": {\"tag\": 1}}]}",
	    "{\"colParams\": [{\"metric\": {\"name\": \"acc\"}}]}",
	    /* runs only when there are groups to test */
	    "{" ALL_STATUSES ", \"colParams\": [{\"hparam\": \"opt\", \"filterRegexp\": \"(\"}]}",
	    "{" ALL_STATUSES ", \"colParams\": [{\"hparam\": \"lr\", \"filterRegexp\": \"1\"}]}",
	    "{" ALL_STATUSES ", \"colParams\": [{\"hparam\": \"opt\", \"filterInterval\": "
	    "{\"minValue\": 0, \"maxValue\": 1}}]}",
	    "{" ALL_STATUSES ", \"colParams\": [{\"hparam\": \"mixed\", \"order\": 1}]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		expect_400("session_groups", bad[i]);

	/* a string and a missing value sort fine (a number against a string
	 * does not: above) */
	reply *r =
	    post("session_groups", "{" ALL_STATUSES ", \"colParams\": [{\"hparam\": \"extra\", "
				   "\"order\": \"ORDER_ASC\"}, {\"hparam\": \"x\"}]}");
	CHECK_INT(r->status, 200);

	/* Values nested deeper than any hparam needs */
	tb_buf deep = TB_BUF_INIT;
	tb_buf_puts(&deep, "{\"colParams\": [{\"hparam\": \"lr\", \"filterDiscrete\": ");
	for (int i = 0; i < 100; i++)
		tb_buf_putc(&deep, '[');
	for (int i = 0; i < 100; i++)
		tb_buf_putc(&deep, ']');
	tb_buf_puts(&deep, "}]}");
	tb_buf_putc(&deep, 0);
	expect_400("session_groups", deep.ptr);
	tb_buf_free(&deep);

	expect_400("experiment", "{\"hparamsLimit\": \"many\"}");
	expect_400("experiment", "{\"hparamsLimit\": 1e10}");
	expect_400("experiment", "{\"include_metrics\": 1}");
	expect_400("experiment", "{\"experimentName\": \"a\\u0000b\"}");
	expect_400("experiment", "{} trailing");

	/* a NUL byte inside the body, a form-encoded POST, a GET without request */
	r = request("/data/plugin/hparams/experiment", "{}\0{}", 5, "application/json");
	CHECK_INT(r->status, 400);
	r = request("/data/plugin/hparams/experiment", "request=%7B%7D", 14,
		    "application/x-www-form-urlencoded");
	CHECK_INT(r->status, 400);
	r = request("/data/plugin/hparams/session_groups", NULL, 0, NULL);
	CHECK_INT(r->status, 400);
	r = request("/data/plugin/hparams/session_groups?request=%7Bbad", NULL, 0, NULL);
	CHECK_INT(r->status, 400);

	/* a large body of many columns */
	tb_buf big = TB_BUF_INIT;
	tb_buf_puts(&big, "{" ALL_STATUSES ", \"sliceSize\": 5, \"colParams\": [");
	for (int i = 0; i < 20000; i++)
		tb_buf_printf(&big, "%s{\"hparam\": \"h%d\", \"order\": 1}", i ? ", " : "", i);
	tb_buf_puts(&big, "]}");
	tb_buf_putc(&big, 0);
	r = post("session_groups", big.ptr);
	CHECK_INT(r->status, 200);
	tb_buf_free(&big);
}

/* Served after write_bad_run: stored data that does not parse answers 400
 * on the routes that need it, and the others keep working. */
static void test_hparams__bad_stored_data(void)
{
	expect_400("experiment", "{}");
	expect_400("session_groups", "{" ALL_STATUSES ", \"sliceSize\": 10}");
	reply *r = request("/data/plugin/hparams/download_data?format=csv&columnsVisibility=%5B%5D&"
			   "request=%7B%7D",
			   NULL, 0, NULL);
	CHECK_INT(r->status, 400);
	json_t *ans =
	    post_json("metric_evals", "{\"sessionName\": \"bad\", \"metricName\": {\"tag\": "
				      "\"acc\"}}");
	CHECK_INT(json_array_size(ans), 1);
	json_decref(ans);
}

static tb_spawn *srv;

/* Stop the server after checking it still answers; it must exit cleanly
 * (sanitizer builds exit non-zero on leaks). */
static void test_hparams__still_serving_then_clean_exit(void)
{
	CHECK(tb_spawn_alive(srv));
	reply *r =
	    post("metric_evals", "{\"sessionName\": \"s1\", \"metricName\": {\"tag\": \"acc\"}}");
	CHECK_INT(r->status, 200);
	tb_buf_free(&r->body);
	CHECK(tb_spawn_stop_clean(srv));
	srv = NULL;
}

int main(void)
{
	const char *binary = tb_spawn_binary();
	if (!binary)
		return 2;
	srv = tb_spawn_serve_new(binary, logdir, sizeof logdir, "tb_hparams_test_", write_logdir,
				 tb_spawn_loaded, &port);
	if (!srv)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	TB_RUN(test_hparams__inferred_experiment);
	TB_RUN(test_hparams__groups_and_aggregation);
	TB_RUN(test_hparams__filters_sorting_paging);
	TB_RUN(test_hparams__metric_evals);
	TB_RUN(test_hparams__download);
	TB_RUN(test_hparams__hostile);
	TB_RUN(test_hparams__still_serving_then_clean_exit);

	write_bad_run();
	srv = tb_spawn_serve(binary, logdir, tb_spawn_loaded, &port);
	if (srv) {
		TB_RUN(test_hparams__bad_stored_data);
		TB_RUN(test_hparams__still_serving_then_clean_exit);
	} else {
		tb__tests_failed++;
	}

	curl_easy_cleanup(curl);
	curl_global_cleanup();
	tb_test_rmtree(logdir);
	return tb_test_finish();
}
