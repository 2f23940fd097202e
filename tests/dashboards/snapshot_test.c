/* Static snapshots against real parts: a log directory libtboard writes
 * here, `tboard snapshot` run as a process, and a real server on loopback.
 * The table inside the HTML is decoded as the page decodes it (base64url,
 * inflate, JSON), and its scalar columns must equal, point for point, what
 * /data/tboard/scalars answers for the same budget; selection by run query
 * and tag pattern narrows it; bad arguments and bad route bodies fail
 * plainly. */
#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <tboard/writer.h>

#include "../api/http_client.h"
#include "../api/spawn.h"
#include "../api/testutil.h"
#include "../harness.h"
#include "common/buf.h"

extern char **environ;

#define N_LONG 3000 /* points of run a's loss: more than the budget, so bucketed */

static char logdir[256];
static const char *binary;
static int port;
static CURL *curl;

static double loss_value(int i)
{
	if (i == 1234)
		return NAN;
	return 1.0 / (1.0 + i) + 1e-9 * i; /* not exact as float32 */
}

static void write_logdir(const char *root)
{
	const char *runs[] = {"a", "b", "c"};
	for (int r = 0; r < 3; r++) {
		char dir[400];
		snprintf(dir, sizeof dir, "%s/%s", root, runs[r]);
		tb_writer *w = NULL;
		if (tb_writer_open(&w, dir, NULL) != TB_OK)
			abort();
		int n = r == 0 ? N_LONG : 50;
		for (int i = 0; i < n; i++)
			tb_writer_add_scalar_double(w, "loss", loss_value(i) + r, i * 10,
						    1700000000.0 + 0.37 * i);
		for (int i = 0; i < 50; i++)
			tb_writer_add_scalar(w, "acc", 0.5f + 0.01f * (float)i, i,
					     1700000000.0 + i);
		tb_writer_close(w);
	}
}

/* Run `tboard snapshot --logdir D --samples_per_plugin scalars=all ARGS`;
 * its exit status, or -1. */
static int run_snapshot(const char *const *args)
{
	const char *argv[16] = {
	    binary, "snapshot", "--logdir", logdir, "--samples_per_plugin", "scalars=all"};
	int n = 6;
	for (; args && *args && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	pid_t pid;
	if (posix_spawn(&pid, binary, NULL, NULL, (char *const *)argv, environ) != 0)
		return -1;
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* base64url without padding, as the page's decoder reads it. */
static void unbase64url(tb_buf *out, const char *s, size_t n)
{
	tb_buf err = TB_BUF_INIT;
	CHECK_INT(tb_buf_unbase64url(out, &err, s, n), 0);
	tb_buf_free(&err);
}

/* The table of a snapshot page (NULL when it cannot be read). */
static json_t *table_of(const char *html, size_t n)
{
	const char *open = "id=\"tb-snapshot\">";
	const char *p = strstr(html, open);
	if (!p)
		return NULL;
	p += strlen(open);
	const char *end = strstr(p, "</script>");
	if (!end || (size_t)(end - html) > n)
		return NULL;
	tb_buf z = TB_BUF_INIT, text = TB_BUF_INIT;
	unbase64url(&z, p, (size_t)(end - p));
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	json_t *doc = NULL;
	if (inflateInit(&zs) != Z_OK)
		goto out;
	zs.next_in = (Bytef *)z.ptr;
	zs.avail_in = (uInt)z.len;
	int zr;
	do {
		tb_buf_reserve(&text, 1 << 20);
		zs.next_out = (Bytef *)text.ptr + text.len;
		zs.avail_out = (uInt)(text.cap - text.len - 1);
		uInt before = zs.avail_out;
		zr = inflate(&zs, Z_NO_FLUSH);
		text.len += before - zs.avail_out;
	} while (zr == Z_OK);
	inflateEnd(&zs);
	if (zr == Z_STREAM_END)
		doc = json_loadb(text.ptr, text.len, 0, NULL);
out:
	tb_buf_free(&z);
	tb_buf_free(&text);
	return doc;
}

static json_t *read_table(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	tb_buf b = TB_BUF_INIT;
	char chunk[65536];
	size_t k;
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
		tb_buf_append(&b, chunk, k);
	fclose(f);
	json_t *t = b.ptr ? table_of(b.ptr, b.len) : NULL;
	tb_buf_free(&b);
	return t;
}

/* A stored column decoded as the page does. */
static double *column(size_t *n, const json_t *col)
{
	const char *e = json_string_value(json_object_get(col, "e"));
	const char *x = json_string_value(json_object_get(col, "x"));
	*n = 0;
	if (!e || !x)
		return NULL;
	tb_buf raw = TB_BUF_INIT;
	unbase64url(&raw, x, strlen(x));
	size_t w = strcmp(e, "f4") ? 8 : 4;
	*n = raw.len / w;
	double *v = malloc((*n + 1) * sizeof *v);
	for (size_t i = 0; i < *n; i++) {
		if (w == 4) {
			float f;
			memcpy(&f, raw.ptr + 4 * i, 4);
			v[i] = f;
		} else {
			memcpy(&v[i], raw.ptr + 8 * i, 8);
		}
		if (!strcmp(e, "d8") && i > 0)
			v[i] += v[i - 1];
	}
	tb_buf_free(&raw);
	return v;
}

static double number(const json_t *v)
{
	if (json_is_number(v))
		return json_number_value(v);
	const char *s = json_string_value(v);
	return s && !strcmp(s, "Infinity")    ? INFINITY
	       : s && !strcmp(s, "-Infinity") ? -INFINITY
					      : NAN;
}

/* Whether stored column `name` of a run equals the server's array. */
static int same_column(const json_t *stored, const json_t *served, const char *name)
{
	size_t n;
	double *v = column(&n, json_object_get(stored, name));
	const json_t *want = json_object_get(served, name);
	int ok = v && n == json_array_size(want);
	for (size_t i = 0; ok && i < n; i++) {
		double w = number(json_array_get(want, i));
		ok = v[i] == w || (isnan(v[i]) && isnan(w));
	}
	if (!ok)
		fprintf(stderr, "column %s: %zu stored, %zu served\n", name, n,
			json_array_size(want));
	free(v);
	return ok;
}

static json_t *entry(const json_t *table, const char *path)
{
	size_t i;
	json_t *e;
	json_array_foreach(
	    json_object_get(table, "entries"), i,
	    e) if (!strcmp(json_string_value(json_object_get(e, "p")), path)) return e;
	return NULL;
}

static void test_snapshot__columns_equal_the_route(void)
{
	char out[400];
	snprintf(out, sizeof out, "%s/all.html", logdir);
	const char *args[] = {"-o", out, NULL};
	CHECK_INT(run_snapshot(args), 0);
	json_t *t = read_table(out);
	CHECK(t != NULL);
	json_t *loss = json_object_get(json_object_get(t, "scalars"), "loss");
	CHECK_INT(json_object_size(json_object_get(loss, "runs")), 3);
	/* six series: the budget is the largest, 1000 buckets */
	tb_http_reply r;
	tb_http_req q = {.body = "{\"tag\": \"loss\", \"buckets\": 1000}", .body_len = -1};
	CHECK_INT(tb_http_send(&r, curl, port, "/data/tboard/scalars", &q), CURLE_OK);
	json_t *served = json_loads(r.body.ptr ? r.body.ptr : "", 0, NULL);
	tb_http_reply_free(&r);
	CHECK_INT(json_object_size(json_object_get(served, "runs")), 3);
	const char *run;
	json_t *want;
	json_object_foreach(json_object_get(served, "runs"), run, want)
	{
		json_t *got = json_object_get(json_object_get(loss, "runs"), run);
		CHECK(got != NULL);
		CHECK_INT(json_integer_value(json_object_get(got, "n")),
			  json_integer_value(json_object_get(want, "n")));
		int bucketed = json_is_true(json_object_get(want, "bucketed"));
		CHECK_INT(json_is_true(json_object_get(got, "bucketed")), bucketed);
		CHECK_INT(bucketed, !strcmp(run, "a"));
		const char *cols[] = {"step", "wall", "value", "step_last", "last", "min", "max"};
		for (size_t k = 0; k < 7; k++)
			if (json_object_get(want, cols[k]))
				CHECK(same_column(got, want, cols[k]));
		/* doubles that float32 cannot hold stay doubles */
		const char *vcol = bucketed ? "last" : "value";
		CHECK_STR(json_string_value(json_object_get(json_object_get(got, vcol), "e")),
			  "f8");
	}
	json_decref(served);
	json_t *acc =
	    json_object_get(json_object_get(json_object_get(t, "scalars"), "acc"), "runs");
	CHECK_STR(json_string_value(
		      json_object_get(json_object_get(json_object_get(acc, "b"), "value"), "e")),
		  "f4");
	/* the page's own answers are there, under the paths it asks */
	CHECK(entry(t, "data/runs") && entry(t, "data/plugins_listing") &&
	      entry(t, "data/plugin/timeseries/tags") && entry(t, "data/plugin/scalars/tags"));
	json_decref(t);
}

static void test_snapshot__selects_runs_and_tags(void)
{
	char out[400];
	snprintf(out, sizeof out, "%s/some.html", logdir);
	const char *args[] = {"--runs", "run != 'c'", "--tags", "^loss$", "-o", out, NULL};
	CHECK_INT(run_snapshot(args), 0);
	json_t *t = read_table(out);
	CHECK(t != NULL);
	CHECK_STR(json_string_value(json_object_get(entry(t, "data/runs"), "b")), "[\"a\",\"b\"]");
	json_t *sc = json_object_get(t, "scalars");
	CHECK_INT(json_object_size(sc), 1);
	json_t *runs = json_object_get(json_object_get(sc, "loss"), "runs");
	CHECK(json_object_get(runs, "a") && json_object_get(runs, "b") &&
	      !json_object_get(runs, "c"));
	json_t *listing = json_loads(
	    json_string_value(json_object_get(entry(t, "data/plugin/scalars/tags"), "b")), 0, NULL);
	CHECK_INT(json_object_size(listing), 2);
	CHECK(json_object_get(json_object_get(listing, "a"), "loss") &&
	      !json_object_get(json_object_get(listing, "a"), "acc"));
	json_decref(listing);
	json_decref(t);
}

static void test_snapshot__bad_arguments(void)
{
	char out[400];
	snprintf(out, sizeof out, "%s/bad.html", logdir);
	const char *bad_tags[] = {"--tags", "(", "-o", out, NULL};
	CHECK_INT(run_snapshot(bad_tags), 2);
	const char *bad_query[] = {"--runs", "last(loss) >", "-o", out, NULL};
	CHECK_INT(run_snapshot(bad_query), 2);
	const char *none[] = {"--runs", "run == 'zzz'", "-o", out, NULL};
	CHECK_INT(run_snapshot(none), 2);
	const char *no_output[] = {NULL};
	CHECK_INT(run_snapshot(no_output), 2);
	CHECK(access(out, F_OK) != 0);
}

static void test_snapshot__route(void)
{
	tb_http_reply r;
	tb_http_req q = {
	    .body = "{\"runs\": [\"b\"], \"tags\": \"acc\"}", .body_len = -1, .want_head = 1};
	CHECK_INT(tb_http_send(&r, curl, port, "/data/tboard/snapshot", &q), CURLE_OK);
	CHECK_INT(r.status, 200);
	CHECK(!strncmp(r.ctype, "text/html", 9));
	CHECK(r.head.ptr && strstr(r.head.ptr, "attachment; filename=\"tboard-snapshot.html\""));
	json_t *t = r.body.ptr ? table_of(r.body.ptr, r.body.len) : NULL;
	CHECK(t != NULL);
	CHECK_STR(json_string_value(json_object_get(entry(t, "data/runs"), "b")), "[\"b\"]");
	json_t *sc = json_object_get(t, "scalars");
	CHECK(json_object_size(sc) == 1 && json_object_get(sc, "acc"));
	json_decref(t);
	tb_http_reply_free(&r);

	const char *bodies[] = {"nope", "{\"runs\": []}", "{\"runs\": \"a\"}", "{\"tags\": \"(\"}"};
	for (size_t i = 0; i < 4; i++) {
		tb_http_req b = {.body = bodies[i], .body_len = -1};
		CHECK_INT(tb_http_send(&r, curl, port, "/data/tboard/snapshot", &b), CURLE_OK);
		if (r.status != 400)
			fprintf(stderr, "body %s: %ld %.200s\n", bodies[i], r.status, r.body.ptr);
		CHECK_INT(r.status, 400);
		tb_http_reply_free(&r);
	}
	CHECK_INT(tb_http_send(&r, curl, port, "/data/tboard/snapshot", NULL), CURLE_OK);
	CHECK_INT(r.status, 405);
	tb_http_reply_free(&r);
}

int main(void)
{
	binary = tb_spawn_binary();
	if (!binary)
		return 2;
	const char *const extra[] = {TB_SPAWN_LOADED_FLAGS, "--samples_per_plugin", "scalars=all",
				     NULL};
	tb_spawn *srv = tb_spawn_serve_new(binary, logdir, sizeof logdir, "tb_snapshot_",
					   write_logdir, extra, &port);
	if (!srv)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();

	TB_RUN(test_snapshot__columns_equal_the_route);
	TB_RUN(test_snapshot__selects_runs_and_tags);
	TB_RUN(test_snapshot__bad_arguments);
	TB_RUN(test_snapshot__route);

	curl_easy_cleanup(curl);
	curl_global_cleanup();
	CHECK(tb_spawn_stop_clean(srv));
	tb_test_rmtree(logdir);
	return tb_test_finish();
}
