/* tboard's own data routes against a real server on a log directory that
 * libtboard writes here, some of it while the test reads:
 * /data/tboard/scalars (zoom, buckets that keep spikes, increments, many
 * runs, bad parameters), ETag / 304 on it and on an upstream route, and the
 * /data/tboard/events stream (a write is announced naming its run and tag;
 * 100 open streams cost the server no threads). */
#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <tboard/writer.h>

#include "../api/http_client.h"
#include "../api/spawn.h"
#include "../api/testutil.h"
#include "../harness.h"
#include "common/buf.h"

#define N_SPIKY 20000
#define N_MANY 300

static char logdir[256];
static int port;
static CURL *curl;
static tb_writer *grow; /* the run written while the test reads */

static double spiky_value(int64_t step)
{
	if (step == 7777)
		return 1000.0;
	if (step == 3333)
		return -1000.0;
	if (step == 5000)
		return NAN;
	return (double)(step % 100) / 100.0;
}

static tb_writer *open_run(const char *name)
{
	char dir[400];
	snprintf(dir, sizeof dir, "%s/%s", logdir, name);
	tb_writer_opts o;
	tb_writer_opts_init(&o);
	o.max_queue = 1000;
	tb_writer *w = NULL;
	if (tb_writer_open(&w, dir, &o) != TB_OK)
		abort();
	return w;
}

static void write_logdir(void)
{
	if (tb_test_tmpdir(logdir, sizeof logdir, "tb_tboard_data_") != 0)
		abort();
	tb_writer *w = open_run("spiky");
	for (int64_t s = 0; s < N_SPIKY; s++)
		tb_writer_add_scalar_double(w, "loss", spiky_value(s), s, 1700000000.0 + (double)s);
	tb_writer_close(w);
	for (int i = 0; i < N_MANY; i++) {
		char name[32];
		snprintf(name, sizeof name, "many/r%03d", i);
		w = open_run(name);
		for (int64_t s = 0; s < 5; s++) {
			tb_writer_add_scalar(w, "loss", (double)i + (double)s / 8, s, 0);
			if (i % 3 == 0) /* a tag of some runs: the listing's ranges */
				tb_writer_add_scalar(w, "odd", (double)s * 0.1, s, 0);
		}
		tb_writer_close(w);
	}
	grow = open_run("grow");
	for (int64_t s = 0; s < 100; s++)
		tb_writer_add_scalar_double(grow, "loss", (double)s * 0.5, s, 0);
	tb_writer_flush(grow);
}

/* ---- HTTP ----------------------------------------------------------------- */

typedef struct reply {
	long status;
	char etag[80];
	tb_buf body;
} reply;

/* GET path, or POST a JSON body; if_none_match may be NULL. */
static void fetch(reply *r, const char *path, const char *json_body, const char *if_none_match)
{
	memset(r, 0, sizeof *r);
	char inm[128];
	const char *headers[3] = {NULL, NULL, NULL};
	size_t k = 0;
	if (json_body)
		headers[k++] = "Content-Type: application/json";
	if (if_none_match) {
		snprintf(inm, sizeof inm, "If-None-Match: %s", if_none_match);
		headers[k++] = inm;
	}
	tb_http_req req = {
	    .body = json_body, .body_len = -1, .headers = headers, .timeout_s = 30, .want_head = 1};
	tb_http_reply h;
	tb_http_send(&h, curl, port, path, &req);
	r->status = h.status;
	const char *e = strcasestr(h.head.ptr, "\nETag: ");
	if (e) {
		e += 7;
		snprintf(r->etag, sizeof r->etag, "%.*s", (int)strcspn(e, "\r\n"), e);
	}
	r->body = h.body;
	memset(&h.body, 0, sizeof h.body);
	tb_http_reply_free(&h);
}

static json_t *get_json(const char *path, const char *json_body)
{
	reply r;
	fetch(&r, path, json_body, NULL);
	CHECK_INT(r.status, 200);
	json_t *v = r.body.ptr ? json_loads(r.body.ptr, 0, NULL) : NULL;
	CHECK(v != NULL);
	tb_buf_free(&r.body);
	return v;
}

static json_t *run_of(json_t *answer, const char *run)
{
	return json_object_get(json_object_get(answer, "runs"), run);
}

/* A number of the answer: a JSON number or "NaN" / "Infinity". */
static double num(json_t *v)
{
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		return strcmp(s, "NaN") == 0	    ? NAN
		       : strcmp(s, "Infinity") == 0 ? INFINITY
						    : -INFINITY;
	}
	return json_number_value(v);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_tboard_data__zoom_returns_every_point(void)
{
	json_t *a = get_json("/data/tboard/scalars?tag=loss&run=spiky&start=4000&end=4100", NULL);
	json_t *r = run_of(a, "spiky");
	CHECK_INT(json_integer_value(json_object_get(r, "n")), 101);
	CHECK(json_object_get(r, "bucketed") == NULL);
	json_t *steps = json_object_get(r, "step"), *vals = json_object_get(r, "value");
	CHECK_INT(json_array_size(steps), 101);
	int bad = 0;
	for (size_t i = 0; i < json_array_size(steps); i++) {
		int64_t s = json_integer_value(json_array_get(steps, i));
		bad += s != 4000 + (int64_t)i || num(json_array_get(vals, i)) != spiky_value(s);
	}
	CHECK_INT(bad, 0);
	json_decref(a);
	/* the whole series: every point of 20,000 is retained and served */
	a = get_json("/data/tboard/scalars?tag=loss&run=spiky", NULL);
	CHECK_INT(json_array_size(json_object_get(run_of(a, "spiky"), "step")), N_SPIKY);
	json_decref(a);
}

static void test_tboard_data__buckets_keep_spikes(void)
{
	json_t *a = get_json("/data/tboard/scalars?tag=loss&run=spiky&buckets=50", NULL);
	json_t *r = run_of(a, "spiky");
	CHECK(json_is_true(json_object_get(r, "bucketed")));
	CHECK_INT(json_integer_value(json_object_get(r, "n")), N_SPIKY);
	json_t *steps = json_object_get(r, "step"), *last = json_object_get(r, "step_last");
	json_t *mn = json_object_get(r, "min"), *mx = json_object_get(r, "max");
	size_t nb = json_array_size(steps);
	CHECK(nb > 0 && nb <= 50);
	CHECK_INT(json_array_size(mx), nb);
	int found_hi = 0, found_lo = 0, nan_seen = 0;
	for (size_t i = 0; i < nb; i++) {
		int64_t s0 = json_integer_value(json_array_get(steps, i));
		int64_t s1 = json_integer_value(json_array_get(last, i));
		double lo = num(json_array_get(mn, i)), hi = num(json_array_get(mx, i));
		nan_seen += isnan(lo) || isnan(hi);
		if (s0 <= 7777 && 7777 <= s1)
			found_hi = hi == 1000.0;
		if (s0 <= 3333 && 3333 <= s1)
			found_lo = lo == -1000.0;
	}
	CHECK(found_hi);
	CHECK(found_lo);
	CHECK_INT(nan_seen, 0); /* NaN never hides the bucket's numbers */
	CHECK_INT(json_integer_value(json_array_get(steps, 0)), 0);
	CHECK_INT(json_integer_value(json_array_get(last, nb - 1)), N_SPIKY - 1);
	json_decref(a);
	/* zooming into the spike's bucket with the same budget gives points */
	a = get_json("/data/tboard/scalars?tag=loss&run=spiky&buckets=50&start=7770&end=7790",
		     NULL);
	r = run_of(a, "spiky");
	CHECK(json_object_get(r, "bucketed") == NULL);
	CHECK_INT(json_array_size(json_object_get(r, "value")), 21);
	CHECK(num(json_array_get(json_object_get(r, "value"), 7)) == 1000.0);
	json_decref(a);
}

/* Wait until run grow's series has `want` points in the selection of path. */
static json_t *wait_for_n(const char *path, json_int_t want)
{
	double t0 = tb_test_now();
	for (;;) {
		json_t *a = get_json(path, NULL);
		json_t *r = run_of(a, "grow");
		if (r && json_integer_value(json_object_get(r, "n")) == want)
			return a;
		json_decref(a);
		if (tb_test_now() - t0 > 20)
			return NULL;
		usleep(20000);
	}
}

static void test_tboard_data__after_returns_exactly_the_new_points(void)
{
	json_t *a = wait_for_n("/data/tboard/scalars?tag=loss&run=grow", 100);
	CHECK(a != NULL);
	json_decref(a);
	/* nothing after the last step yet */
	a = get_json("/data/tboard/scalars?tag=loss&run=grow&after=99", NULL);
	CHECK_INT(json_integer_value(json_object_get(run_of(a, "grow"), "n")), 0);
	json_decref(a);
	/* the file grows while we read */
	for (int64_t s = 100; s < 150; s++) {
		tb_writer_add_scalar_double(grow, "loss", (double)s * 0.5, s, 0);
		if (s % 10 == 0)
			tb_writer_flush(grow);
	}
	tb_writer_flush(grow);
	a = wait_for_n("/data/tboard/scalars?tag=loss&run=grow&after=99", 50);
	CHECK(a != NULL);
	json_t *r = run_of(a, "grow");
	json_t *steps = json_object_get(r, "step"), *vals = json_object_get(r, "value");
	CHECK_INT(json_array_size(steps), 50);
	int bad = 0;
	for (size_t i = 0; i < json_array_size(steps); i++) {
		int64_t s = json_integer_value(json_array_get(steps, i));
		bad += s != 100 + (int64_t)i || num(json_array_get(vals, i)) != (double)s * 0.5;
	}
	CHECK_INT(bad, 0);
	json_decref(a);
	/* per-run increments in a POST body */
	a = get_json("/data/tboard/scalars", "{\"tag\": \"loss\", \"runs\": [\"grow\", \"spiky\"], "
					     "\"after\": {\"grow\": 140, \"spiky\": 19990}}");
	CHECK_INT(json_integer_value(json_object_get(run_of(a, "grow"), "n")), 9);
	CHECK_INT(json_integer_value(json_object_get(run_of(a, "spiky"), "n")), 9);
	json_decref(a);
}

static void test_tboard_data__many_runs_in_one_request(void)
{
	tb_buf body = TB_BUF_INIT;
	tb_buf_puts(&body, "{\"tag\": \"loss\", \"runs\": [");
	for (int i = 0; i < N_MANY; i++)
		tb_buf_printf(&body, "%s\"many/r%03d\"", i ? ", " : "", i);
	tb_buf_puts(&body, ", \"no such run\", \"many/r007\"]}"); /* and a repeat */
	json_t *a = get_json("/data/tboard/scalars", body.ptr);
	CHECK_INT(json_object_size(json_object_get(a, "runs")), N_MANY);
	json_t *r = run_of(a, "many/r123");
	CHECK_INT(json_array_size(json_object_get(r, "step")), 5);
	CHECK(num(json_array_get(json_object_get(r, "value"), 4)) == 123.5);
	json_decref(a);
	tb_buf_free(&body);
	/* no run named: every run with the tag, in store order */
	a = get_json("/data/tboard/scalars?tag=loss", NULL);
	CHECK_INT(json_object_size(json_object_get(a, "runs")), N_MANY + 2);
	json_decref(a);
}

static void test_tboard_data__bad_requests(void)
{
	static const char *const bad[] = {
	    "/data/tboard/scalars",
	    "/data/tboard/scalars?tag=loss&after=x",
	    "/data/tboard/scalars?tag=loss&start=1.5",
	    "/data/tboard/scalars?tag=loss&buckets=0",
	    "/data/tboard/scalars?tag=loss&buckets=1000001",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		reply r;
		fetch(&r, bad[i], NULL, NULL);
		CHECK_INT(r.status, 400);
		tb_buf_free(&r.body);
	}
	static const char *const bad_body[] = {"[]", "{\"runs\": []}",
					       "{\"tag\": \"loss\", \"runs\": 3}",
					       "{\"tag\": \"loss\", \"after\": \"x\"}", "not json"};
	for (size_t i = 0; i < sizeof bad_body / sizeof bad_body[0]; i++) {
		reply r;
		fetch(&r, "/data/tboard/scalars", bad_body[i], NULL);
		CHECK_INT(r.status, 400);
		tb_buf_free(&r.body);
	}
}

/* Same bytes and ETag again; 304 on a matching If-None-Match; a new ETag
 * once a point is appended. */
static void check_etag(const char *path, int64_t step)
{
	reply a, b, c;
	fetch(&a, path, NULL, NULL);
	fetch(&b, path, NULL, NULL);
	CHECK_INT(a.status, 200);
	CHECK(a.etag[0] == '"');
	CHECK_STR(a.etag, b.etag);
	CHECK(a.body.len == b.body.len && memcmp(a.body.ptr, b.body.ptr, a.body.len) == 0);
	fetch(&c, path, NULL, a.etag);
	CHECK_INT(c.status, 304);
	CHECK_INT(c.body.len, 0);
	tb_buf_free(&b.body);
	tb_buf_free(&c.body);
	tb_writer_add_scalar_double(grow, "loss", 1.0, step, 0);
	tb_writer_flush(grow);
	double t0 = tb_test_now();
	int changed = 0;
	while (!changed && tb_test_now() - t0 < 20) {
		fetch(&c, path, NULL, a.etag);
		changed = c.status == 200;
		if (changed) {
			CHECK(strcmp(c.etag, a.etag) != 0);
			char want[32];
			snprintf(want, sizeof want, "%lld", (long long)step);
			CHECK(strstr(c.body.ptr, want) != NULL);
		} else {
			CHECK_INT(c.status, 304);
			usleep(20000);
		}
		tb_buf_free(&c.body);
	}
	CHECK(changed);
	tb_buf_free(&a.body);
}

static void test_tboard_data__etag_and_304(void)
{
	check_etag("/data/tboard/scalars?tag=loss&run=grow", 1000);
	check_etag("/data/plugin/scalars/scalars?tag=loss&run=grow", 1001);
	/* a point in another run leaves this answer's ETag alone */
	reply a, b;
	fetch(&a, "/data/tboard/scalars?tag=loss&run=spiky", NULL, NULL);
	tb_writer_add_scalar_double(grow, "loss", 2.0, 1002, 0);
	tb_writer_flush(grow);
	json_decref(wait_for_n("/data/tboard/scalars?tag=loss&run=grow&start=1002", 1));
	fetch(&b, "/data/tboard/scalars?tag=loss&run=spiky", NULL, a.etag);
	CHECK_INT(b.status, 304);
	tb_buf_free(&a.body);
	tb_buf_free(&b.body);
}

/* Scalars stored as float32 come with the float's shortest digits (0.1,
 * not 0.10000000149011612), and read back as the same float. */
static void test_tboard_data__float_values(void)
{
	reply r;
	fetch(&r, "/data/tboard/scalars?tag=odd&run=many/r003", NULL, NULL);
	CHECK_INT(r.status, 200);
	CHECK(r.body.ptr && strstr(r.body.ptr, "\"value\": [0.0, 0.1, 0.2, 0.3, 0.4]"));
	json_t *a = r.body.ptr ? json_loads(r.body.ptr, 0, NULL) : NULL;
	json_t *vals = json_object_get(run_of(a, "many/r003"), "value");
	CHECK_INT(json_array_size(vals), 5);
	for (size_t i = 0; i < json_array_size(vals); i++)
		CHECK((float)num(json_array_get(vals, i)) == (float)((double)i * 0.1));
	json_decref(a);
	tb_buf_free(&r.body);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* names[0..n) sorted and comma-joined into out; frees names. */
static void join_sorted(tb_buf *out, const char **names, size_t n)
{
	qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++)
		tb_buf_printf(out, "%s%s", i ? "," : "", names[i]);
	free(names);
}

/* The runs of `tag` in upstream's Time Series listing (run -> tags), as a
 * sorted, comma-joined list. */
static void upstream_runs(tb_buf *out, json_t *info, const char *tag)
{
	const char *run;
	json_t *tags;
	const char **names = calloc(json_object_size(info) + 1, sizeof *names);
	size_t n = 0;
	json_object_foreach(info, run, tags)
	{
		size_t i;
		json_t *t;
		json_array_foreach(tags, i, t)
		{
			if (strcmp(json_string_value(t), tag) == 0)
				names[n++] = run;
		}
	}
	join_sorted(out, names, n);
}

/* The same from tboard's listing: the tag's ranges of run indices. */
static void own_runs(tb_buf *out, json_t *listing, const char *kind, const char *tag)
{
	json_t *runs = json_object_get(listing, "runs");
	json_t *ranges =
	    json_object_get(json_object_get(json_object_get(listing, kind), "tags"), tag);
	size_t n = 0;
	for (size_t r = 0; r + 1 < json_array_size(ranges); r += 2)
		n += (size_t)(json_integer_value(json_array_get(ranges, r + 1)) -
			      json_integer_value(json_array_get(ranges, r)));
	const char **names = calloc(n + 1, sizeof *names);
	n = 0;
	for (size_t r = 0; r + 1 < json_array_size(ranges); r += 2)
		for (json_int_t i = json_integer_value(json_array_get(ranges, r));
		     i < json_integer_value(json_array_get(ranges, r + 1)); i++)
			names[n++] = json_string_value(json_array_get(runs, (size_t)i));
	join_sorted(out, names, n);
}

/* /data/tboard/tags lists each tag once with the runs upstream's listing
 * gives it (ranges where the runs are consecutive); a query string changes
 * nothing; ETag and 304; a new tag shows with a new ETag. */
static void test_tboard_data__tags_listing(void)
{
	json_t *own = get_json("/data/tboard/tags", NULL);
	json_t *up = get_json("/data/plugin/timeseries/tags", NULL);
	json_t *info = json_object_get(json_object_get(up, "scalars"), "runTagInfo");
	json_t *tags = json_object_get(json_object_get(own, "scalars"), "tags");
	CHECK_INT(json_array_size(json_object_get(own, "runs")), N_MANY + 2);
	CHECK(json_object_get(tags, "loss") && json_object_get(tags, "odd"));
	CHECK(json_array_size(json_object_get(tags, "loss")) < 10);
	const char *tag;
	json_t *ranges;
	json_object_foreach(tags, tag, ranges)
	{
		tb_buf a = TB_BUF_INIT, b = TB_BUF_INIT;
		upstream_runs(&a, info, tag);
		own_runs(&b, own, "scalars", tag);
		CHECK(a.len > 0);
		CHECK_STR(a.ptr ? a.ptr : "", b.ptr ? b.ptr : "");
		tb_buf_free(&a);
		tb_buf_free(&b);
	}
	CHECK(json_object_size(json_object_get(own, "histograms")) > 0);
	json_decref(up);
	json_decref(own);

	reply a, b, c;
	fetch(&a, "/data/tboard/tags", NULL, NULL);
	fetch(&b, "/data/tboard/tags?x=%zz&&=&tag=%01%ff", NULL, NULL);
	CHECK_INT(b.status, 200);
	CHECK(a.body.len == b.body.len && memcmp(a.body.ptr, b.body.ptr, a.body.len) == 0);
	CHECK(a.etag[0] == '"');
	fetch(&c, "/data/tboard/tags", NULL, a.etag);
	CHECK_INT(c.status, 304);
	tb_buf_free(&b.body);
	tb_buf_free(&c.body);
	tb_writer_add_scalar_double(grow, "late", 1.0, 0, 0);
	tb_writer_flush(grow);
	double t0 = tb_test_now();
	int changed = 0;
	while (!changed && tb_test_now() - t0 < 20) {
		fetch(&c, "/data/tboard/tags", NULL, a.etag);
		changed = c.status == 200 && strstr(c.body.ptr, "\"late\"") != NULL;
		tb_buf_free(&c.body);
		if (!changed)
			usleep(20000);
	}
	CHECK(changed);
	tb_buf_free(&a.body);
}

/* ---- events --------------------------------------------------------------- */

static int open_stream(void)
{
	return tb_http_raw_open(port, "GET /data/tboard/events HTTP/1.1\r\nHost: x\r\n\r\n");
}

/* Read from fd into b until b holds all of the needles or timeout_s passes. */
static int read_until(tb_buf *b, int fd, const char *const *needles, double timeout_s)
{
	double t0 = tb_test_now();
	for (;;) {
		int all = 1;
		for (const char *const *n = needles; *n && all; n++)
			all = b->ptr && strstr(b->ptr, *n) != NULL;
		if (all)
			return 1;
		double left = timeout_s - (tb_test_now() - t0);
		if (left <= 0)
			return 0;
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		char chunk[4096];
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n <= 0)
			return 0;
		tb_buf_append(b, chunk, (size_t)n);
	}
}

static long server_threads(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	long n = -1;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "Threads:", 8) == 0)
			n = atol(line + 8);
	if (f)
		fclose(f);
	return n;
}

static pid_t server_pid;

static void test_tboard_data__events_name_run_and_tag(void)
{
	int fd = open_stream();
	CHECK(fd >= 0);
	tb_buf got = TB_BUF_INIT;
	const char *hello[] = {"text/event-stream", "event: hello", "\"generation\": ", NULL};
	CHECK(read_until(&got, fd, hello, 10));
	tb_buf_clear(&got);
	double t0 = tb_test_now();
	tb_writer_add_scalar(grow, "sse/new_tag", 1.0, 5, 0);
	tb_writer_flush(grow);
	const char *changed[] = {"event: changed", "\"grow\": [", "\"sse/new_tag\"", NULL};
	int ok = read_until(&got, fd, changed, 10);
	double dt = tb_test_now() - t0;
	CHECK(ok);
	printf("changed event %.0f ms after the flush\n", dt * 1000);
	/* within a second of the write, with slack for a loaded machine */
	CHECK(dt < 3.0);

	/* 100 open streams hold no server threads */
	long before = server_threads(server_pid);
	int fds[100];
	for (int i = 0; i < 100; i++)
		fds[i] = open_stream();
	for (int i = 0; i < 100; i++) {
		tb_buf b = TB_BUF_INIT;
		const char *h[] = {"event: hello", NULL};
		CHECK(fds[i] >= 0 && read_until(&b, fds[i], h, 10));
		tb_buf_free(&b);
	}
	long during = server_threads(server_pid);
	printf("server threads: %ld before, %ld with 100 more streams open\n", before, during);
	CHECK(before > 0 && during == before);
	/* and each of them hears the next change */
	tb_writer_add_scalar(grow, "sse/new_tag", 2.0, 6, 0);
	tb_writer_flush(grow);
	int heard = 0;
	for (int i = 0; i < 100; i++) {
		tb_buf b = TB_BUF_INIT;
		const char *c[] = {"event: changed", "\"sse/new_tag\"", NULL};
		heard += read_until(&b, fds[i], c, 10);
		tb_buf_free(&b);
		close(fds[i]);
	}
	CHECK_INT(heard, 100);
	/* the server still serves, and the first stream stays open */
	reply r;
	fetch(&r, "/data/tboard/generation", NULL, NULL);
	CHECK_INT(r.status, 200);
	tb_buf_free(&r.body);
	close(fd);
	tb_buf_free(&got);
}

int main(void)
{
	const char *binary = tb_spawn_binary();
	if (!binary)
		return 2;
	write_logdir();
	const char *const extra[] = {"--reload_interval", "1", "--samples_per_plugin",
				     "scalars=all", NULL};
	tb_spawn *srv = tb_spawn_serve(binary, logdir, extra, &port);
	if (!srv) {
		tb_writer_close(grow);
		tb_test_rmtree(logdir);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	/* wait for the first load: every run of the directory is served */
	double t0 = tb_test_now();
	for (;;) {
		json_t *a = get_json("/data/tboard/scalars?tag=loss&end=0", NULL);
		size_t n = json_object_size(json_object_get(a, "runs"));
		json_decref(a);
		json_t *s = get_json("/data/tboard/scalars?tag=loss&run=spiky&start=19999", NULL);
		json_int_t last = json_integer_value(json_object_get(run_of(s, "spiky"), "n"));
		json_decref(s);
		if ((n == N_MANY + 2 && last == 1) || tb_test_now() - t0 > 60)
			break;
		usleep(50000);
	}

	TB_RUN(test_tboard_data__zoom_returns_every_point);
	TB_RUN(test_tboard_data__buckets_keep_spikes);
	TB_RUN(test_tboard_data__after_returns_exactly_the_new_points);
	TB_RUN(test_tboard_data__many_runs_in_one_request);
	TB_RUN(test_tboard_data__bad_requests);
	TB_RUN(test_tboard_data__etag_and_304);
	TB_RUN(test_tboard_data__float_values);
	TB_RUN(test_tboard_data__tags_listing);
	server_pid = tb_spawn_pid(srv);
	TB_RUN(test_tboard_data__events_name_run_and_tag);

	curl_easy_cleanup(curl);
	curl_global_cleanup();
	tb_writer_close(grow);
	/* a stream open at shutdown is ended by the server: the chunked body's
	 * last chunk arrives, then the connection closes */
	int open_fd = open_stream();
	tb_buf got = TB_BUF_INIT;
	const char *hello[] = {"event: hello", NULL};
	CHECK(open_fd >= 0 && read_until(&got, open_fd, hello, 10));
	CHECK(tb_spawn_stop_clean(srv));
	const char *end[] = {"\r\n0\r\n\r\n", NULL};
	CHECK(read_until(&got, open_fd, end, 10));
	close(open_fd);
	tb_buf_free(&got);
	tb_test_rmtree(logdir);
	return tb_test_finish();
}
