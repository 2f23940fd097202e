/* tboard's own data routes (docs/HTTP_API.md): one scalar tag across many
 * runs as columns, limited to a step range, to the points after a step the
 * client already holds, or to a point budget answered in min/max buckets so
 * a spike survives at any zoom. Also marks which routes' answers the server
 * may cache and under which state token.
 *
 * Tuned for the web UI: a chart asks once for everything in view, then
 * only for what is new; a repeated question is answered from the server's
 * cache, keyed by the change counters of exactly the series it reads. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/alloc.h"
#include "common/hash.h"
#include "dash.h"
#include "proto/event.h"

#define MAX_BUCKETS 100000

__extension__ typedef unsigned __int128 u128;

typedef struct scalars_query {
	const char *tag;
	const char **runs; /* NULL: every run with the tag */
	size_t n_runs;
	int64_t *after;	   /* per asked run; with `all_after` when runs is NULL */
	int64_t all_after; /* INT64_MIN: none */
	int64_t start, end;
	uint64_t buckets;  /* 0: no budget */
	json_t *body;	   /* POST: owns the strings above */
	const char *error; /* why the query is refused; NULL when it is valid */
} scalars_query;

static int parse_i64(int64_t *out, const char *v)
{
	if (!v || !*v)
		return -1;
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || *end)
		return -1;
	*out = x;
	return 0;
}

static void query_release(scalars_query *q)
{
	free(q->runs);
	free(q->after);
	if (q->body)
		json_decref(q->body);
}

static int json_i64(int64_t *out, const json_t *v)
{
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	return -1;
}

/* Fill q from the POST body; returns 0 or -1 with the reason in *why. */
static int parse_body(scalars_query *q, const char **why, tb_slice body)
{
	q->body = json_loadb((const char *)body.ptr, body.len, 0, NULL);
	if (!json_is_object(q->body)) {
		*why = "the body must be a JSON object";
		return -1;
	}
	json_t *tag = json_object_get(q->body, "tag");
	if (!json_is_string(tag)) {
		*why = "tag must be a string";
		return -1;
	}
	q->tag = json_string_value(tag);
	json_t *runs = json_object_get(q->body, "runs");
	json_t *after = json_object_get(q->body, "after");
	if (runs && !json_is_array(runs)) {
		*why = "runs must be a list of strings";
		return -1;
	}
	if (after && !json_is_object(after) && json_i64(&q->all_after, after)) {
		*why = "after must be an integer or an object of integers";
		return -1;
	}
	if (runs) {
		q->n_runs = json_array_size(runs);
		q->runs = tb_xcalloc(q->n_runs ? q->n_runs : 1, sizeof *q->runs);
		q->after = tb_xcalloc(q->n_runs ? q->n_runs : 1, sizeof *q->after);
		for (size_t i = 0; i < q->n_runs; i++) {
			json_t *r = json_array_get(runs, i);
			if (!json_is_string(r)) {
				*why = "runs must be a list of strings";
				return -1;
			}
			q->runs[i] = json_string_value(r);
			q->after[i] = q->all_after;
			json_t *a =
			    json_is_object(after) ? json_object_get(after, q->runs[i]) : NULL;
			if (a && json_i64(&q->after[i], a)) {
				*why = "after must be an integer or an object of integers";
				return -1;
			}
		}
	}
	json_t *v;
	if ((v = json_object_get(q->body, "start")) && json_i64(&q->start, v)) {
		*why = "start must be an integer";
		return -1;
	}
	if ((v = json_object_get(q->body, "end")) && json_i64(&q->end, v)) {
		*why = "end must be an integer";
		return -1;
	}
	int64_t b = 0;
	if ((v = json_object_get(q->body, "buckets")) && (json_i64(&b, v) || b < 1)) {
		*why = "buckets must be a positive integer";
		return -1;
	}
	q->buckets = (uint64_t)b;
	return 0;
}

static int parse_get(scalars_query *q, const char **why, const tb_req *req)
{
	q->tag = tb_req_query(req, "tag");
	if (!q->tag) {
		*why = "tag must be specified";
		return -1;
	}
	const char *v;
	if ((v = tb_req_query(req, "after")) && parse_i64(&q->all_after, v)) {
		*why = "after must be an integer";
		return -1;
	}
	if ((v = tb_req_query(req, "start")) && parse_i64(&q->start, v)) {
		*why = "start must be an integer";
		return -1;
	}
	if ((v = tb_req_query(req, "end")) && parse_i64(&q->end, v)) {
		*why = "end must be an integer";
		return -1;
	}
	int64_t b = 0;
	if ((v = tb_req_query(req, "buckets")) && (parse_i64(&b, v) || b < 1)) {
		*why = "buckets must be a positive integer";
		return -1;
	}
	q->buckets = (uint64_t)b;
	size_t n = tb_req_query_all(req, "run", NULL, 0);
	if (n) {
		q->n_runs = n;
		q->runs = tb_xcalloc(n, sizeof *q->runs);
		q->after = tb_xcalloc(n, sizeof *q->after);
		tb_req_query_all(req, "run", q->runs, n);
		for (size_t i = 0; i < n; i++)
			q->after[i] = q->all_after;
	}
	return 0;
}

/* Fill q from the request; q->error says whether it is valid. Release q
 * with query_release in either case. */
static void query_parse(scalars_query *q, const tb_req *req)
{
	const char *why = NULL;
	memset(q, 0, sizeof *q);
	q->all_after = INT64_MIN;
	q->start = INT64_MIN;
	q->end = INT64_MAX;
	int rc = strcmp(tb_req_method(req), "POST") == 0 ? parse_body(q, &why, tb_req_body(req))
							 : parse_get(q, &why, req);
	if (rc == 0 && q->buckets > MAX_BUCKETS) {
		why = "buckets must be at most 100000";
		rc = -1;
	}
	q->error = rc ? why : NULL;
}

static void query_free(void *q)
{
	query_release(q);
	free(q);
}

/* The retained points of s in the query's range, after `after`: [*lo, *hi). */
static void selection(size_t *lo, size_t *hi, const tb_series *s, const scalars_query *q,
		      int64_t after)
{
	int64_t from = q->start;
	if (after != INT64_MIN && after >= from)
		from = after == INT64_MAX ? INT64_MAX : after + 1;
	*lo = tb_series_lower_bound(s, from);
	*hi = q->end == INT64_MAX ? tb_series_len(s) : tb_series_lower_bound(s, q->end + 1);
	if (after == INT64_MAX || *hi < *lo)
		*hi = *lo;
}

static void write_steps(tb_json *j, const char *key, const int64_t *v, size_t n)
{
	tb_json_key(j, key);
	tb_json_int_array(j, v, n);
}

static void write_doubles(tb_json *j, const char *key, const double *v, size_t n)
{
	tb_json_key(j, key);
	tb_json_double_array(j, v, n);
}

/* Values as stored: scalars are float32 in event files, and their float
 * digits (at most 9) are the same number to a client that rounds to float
 * and a shorter parse than the double's 17. */
static void write_values(tb_json *j, const char *key, const double *v, size_t n)
{
	tb_json_key(j, key);
	tb_json_float_array(j, v, n);
}

/* The buffers behind one run's columns. */
typedef struct cols_buf {
	int64_t *steps;
	double *vals;
} cols_buf;

/* Points [lo, hi) of s in at most nb buckets of equal step width, into c. */
static void bucket_columns(tb_scalar_cols *c, cols_buf *cb, const tb_series *s, size_t lo,
			   size_t hi, uint64_t nb)
{
	cb->steps = tb_xmalloc(2 * nb * sizeof *cb->steps);
	cb->vals = tb_xmalloc(5 * nb * sizeof *cb->vals);
	int64_t *first_step = cb->steps, *last_step = cb->steps + nb;
	double *first = cb->vals, *last = cb->vals + nb, *mn = cb->vals + 2 * nb,
	       *mx = cb->vals + 3 * nb, *wall = cb->vals + 4 * nb;
	tb_points pt;
	tb_series_points(&pt, s);
	/* steps are strictly increasing, so the span fits in an unsigned */
	int64_t step_lo = tb_points_step(&pt, lo);
	u128 span = (u128)((uint64_t)tb_points_step(&pt, hi - 1) - (uint64_t)step_lo) + 1;
	size_t k = 0;
	uint64_t cur = UINT64_MAX;
	for (size_t i = lo; i < hi; i++) {
		int64_t step = tb_points_step(&pt, i);
		u128 off = (u128)((uint64_t)step - (uint64_t)step_lo);
		uint64_t b = (uint64_t)(off * nb / span);
		double v = tb_points_value(&pt, i);
		if (b != cur) {
			cur = b;
			first_step[k] = step;
			first[k] = v;
			mn[k] = mx[k] = v;
			k++;
		} else if (v == v) {
			/* NaN never wins a comparison; a NaN start gives way to a number */
			if (!(mn[k - 1] <= v))
				mn[k - 1] = v;
			if (!(mx[k - 1] >= v))
				mx[k - 1] = v;
		}
		last_step[k - 1] = step;
		last[k - 1] = v;
		wall[k - 1] = tb_points_wall(&pt, i);
	}
	c->bucketed = 1;
	c->k = k;
	c->step = first_step;
	c->step_last = last_step;
	c->first = first;
	c->last = last;
	c->min = mn;
	c->max = mx;
	c->wall = wall;
}

/* The columns of s's points that the query selects after `after`, into
 * c; free cb's buffers once c is used. */
static void run_columns(tb_scalar_cols *c, cols_buf *cb, const tb_run *r, const tb_series *s,
			const scalars_query *q, int64_t after)
{
	size_t lo, hi;
	selection(&lo, &hi, s, q, after);
	size_t n = hi - lo;
	memset(c, 0, sizeof *c);
	c->run = tb_run_name(r);
	c->gen = tb_series_changes(s);
	c->n = n;
	if (q->buckets && n > q->buckets) {
		bucket_columns(c, cb, s, lo, hi, q->buckets);
		return;
	}
	cb->steps = tb_xmalloc((n ? n : 1) * sizeof *cb->steps);
	cb->vals = tb_xmalloc(2 * (n ? n : 1) * sizeof *cb->vals);
	tb_points pt;
	tb_series_points(&pt, s);
	for (size_t i = 0; i < n; i++) {
		cb->steps[i] = tb_points_step(&pt, lo + i);
		cb->vals[i] = tb_points_wall(&pt, lo + i);
		cb->vals[n + i] = tb_points_value(&pt, lo + i);
	}
	c->k = n;
	c->step = cb->steps;
	c->wall = cb->vals;
	c->value = cb->vals + n;
}

/* One run's part of the answer. */
static void write_run(const tb_scalar_cols *c, void *payload)
{
	tb_json *j = payload;
	tb_json_key(j, c->run);
	tb_json_obj_begin(j);
	tb_json_key(j, "gen");
	tb_json_int(j, (int64_t)c->gen);
	tb_json_key(j, "n");
	tb_json_int(j, (int64_t)c->n);
	if (c->bucketed) {
		tb_json_key(j, "bucketed");
		tb_json_bool(j, 1);
		write_steps(j, "step", c->step, c->k);
		write_steps(j, "step_last", c->step_last, c->k);
		write_values(j, "first", c->first, c->k);
		write_values(j, "last", c->last, c->k);
		write_values(j, "min", c->min, c->k);
		write_values(j, "max", c->max, c->k);
		write_doubles(j, "wall", c->wall, c->k);
	} else {
		write_steps(j, "step", c->step, c->k);
		write_doubles(j, "wall", c->wall, c->k);
		write_values(j, "value", c->value, c->k);
	}
	tb_json_obj_end(j);
}

/* The asked runs, found in one pass over the store: slot i is the run named
 * runs[i], or NULL when there is none or an earlier slot has it already.
 * A name table over the store makes a request for N of R runs cost
 * O(N + R) instead of O(N x R). Slots hold run index + 1 (0: none);
 * free() it. */
static size_t *find_runs(tb_reader *rd, const char *const *runs, size_t n)
{
	size_t nr = tb_reader_run_count(rd);
	tb_idxset names = TB_IDXSET_INIT;
	for (size_t i = 0; i < nr; i++) {
		const char *name = tb_reader_run_name(rd, i);
		if (tb_idxset_add(&names, tb_hash_bytes(TB_HASH_SEED, name, strlen(name)), i))
			abort(); /* out of memory: the server stops (alloc.h) */
	}
	unsigned char *taken = tb_xcalloc(nr ? nr : 1, 1);
	size_t *out = tb_xcalloc(n ? n : 1, sizeof *out);
	for (size_t i = 0; i < n; i++) {
		uint64_t h = tb_hash_bytes(TB_HASH_SEED, runs[i], strlen(runs[i]));
		size_t pos = 0, k;
		while ((k = tb_idxset_next(&names, h, &pos))) {
			if (strcmp(tb_reader_run_name(rd, k - 1), runs[i]) == 0) {
				if (!taken[k - 1])
					out[i] = k;
				taken[k - 1] = 1;
				break;
			}
		}
	}
	tb_idxset_free(&names);
	free(taken);
	return out;
}

/* Call fn on every (run, series) the query reads, holding one run at a
 * time. */
static void each_series(tb_reader *rd, const scalars_query *q,
			void (*fn)(const tb_run *r, const tb_series *s, int64_t after,
				   void *payload),
			void *payload)
{
	size_t n = q->runs ? q->n_runs : tb_reader_run_count(rd);
	size_t *asked = q->runs ? find_runs(rd, q->runs, n) : NULL;
	for (size_t i = 0; i < n; i++) {
		if (asked && !asked[i])
			continue;
		const tb_run *r = tb_reader_run_at(rd, asked ? asked[i] - 1 : i);
		const tb_series *s = tb_dash_series(r, q->tag, "scalars", TB_DC_SCALAR);
		if (s)
			fn(r, s, q->runs ? q->after[i] : q->all_after, payload);
		tb_reader_release(rd);
	}
	free(asked);
}

typedef struct cols_ctx {
	const scalars_query *q;
	tb_scalar_cols_fn fn;
	void *arg;
} cols_ctx;

static void cols_one(const tb_run *r, const tb_series *s, int64_t after, void *payload)
{
	cols_ctx *x = payload;
	tb_scalar_cols c;
	cols_buf cb;
	run_columns(&c, &cb, r, s, x->q, after);
	x->fn(&c, x->arg);
	free(cb.steps);
	free(cb.vals);
}

uint64_t tb_scalar_columns(tb_dash *d, const char *tag, const char *const *runs, size_t n,
			   uint64_t buckets, tb_scalar_cols_fn fn, void *arg)
{
	scalars_query q = {.tag = tag,
			   .runs = (const char **)runs,
			   .n_runs = n,
			   .after = tb_xmalloc((n ? n : 1) * sizeof *q.after),
			   .all_after = INT64_MIN,
			   .start = INT64_MIN,
			   .end = INT64_MAX,
			   .buckets = buckets};
	for (size_t i = 0; i < n; i++)
		q.after[i] = INT64_MIN;
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	uint64_t gen = tb_store_generation(d->store);
	each_series(&rd, &q, cols_one, &(cols_ctx){&q, fn, arg});
	tb_reader_end(&rd);
	free(q.after);
	return gen;
}

static void handle_scalars(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash *d = payload;
	const char *m = tb_req_method(req);
	if (strcmp(m, "GET") != 0 && strcmp(m, "POST") != 0 && strcmp(m, "HEAD") != 0) {
		tb_resp_html_error(resp, 405, "The method is not allowed for the requested URL.");
		tb_resp_header(resp, "Allow", "GET, POST");
		return;
	}
	/* parsed once, by scalars_token, when the server asked for the token */
	scalars_query own;
	const scalars_query *q = tb_req_parsed(req);
	if (!q) {
		query_parse(&own, req);
		q = &own;
	}
	if (q->error) {
		tb_resp_error(resp, 400, "Invalid argument: %s", q->error);
		goto out;
	}
	tb_json j;
	tb_json_init(&j, tb_resp_body(resp));
	tb_json_obj_begin(&j);
	tb_json_key(&j, "tag");
	tb_json_str(&j, q->tag);
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	tb_json_key(&j, "generation");
	tb_json_int(&j, (int64_t)tb_store_generation(d->store));
	tb_json_key(&j, "runs");
	tb_json_obj_begin(&j);
	each_series(&rd, q, cols_one, &(cols_ctx){q, write_run, &j});
	tb_json_obj_end(&j);
	tb_reader_end(&rd);
	tb_json_obj_end(&j);
out:
	if (q == &own)
		query_release(&own);
}

/* --- cache tokens -------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 33);
}

static void token_one(const tb_run *r, const tb_series *s, int64_t after, void *payload)
{
	(void)after;
	uint64_t *h = payload;
	*h = mix(mix(*h, tb_run_uid(r)), tb_series_changes(s));
}

/* The answer of /data/tboard/scalars depends only on the series it reads
 * (which runs have the tag, and each one's points). */
static uint64_t scalars_token(const tb_req *req, void *payload, tb_parsed *parsed)
{
	tb_dash *d = payload;
	scalars_query *q = tb_xmalloc(sizeof *q);
	query_parse(q, req);
	parsed->ptr = q; /* the handler answers from it */
	parsed->release = query_free;
	uint64_t h = 0x51ed270b27d6c4a3ull;
	if (!q->error) {
		tb_reader rd;
		tb_reader_begin(&rd, d->store);
		each_series(&rd, q, token_one, &h);
		tb_reader_end(&rd);
	}
	return h;
}

/* Upstream's routes that read nothing but the store: any change to the
 * store may change their answers. */
static uint64_t store_token(const tb_req *req, void *payload, tb_parsed *parsed)
{
	(void)req;
	(void)parsed;
	tb_dash *d = payload;
	return tb_store_generation(d->store);
}

static const char *const store_routes[] = {
    "/data/runs",
    "/data/plugin/scalars/tags",
    "/data/plugin/scalars/scalars",
    "/data/plugin/scalars/scalars_multirun",
    "/data/plugin/histograms/tags",
    "/data/plugin/histograms/histograms",
    "/data/plugin/distributions/tags",
    "/data/plugin/distributions/distributions",
    "/data/plugin/images/tags",
    "/data/plugin/images/images",
    "/data/plugin/audio/tags",
    "/data/plugin/audio/audio",
    "/data/plugin/text/tags",
    "/data/plugin/text/text",
    "/data/plugin/pr_curves/tags",
    "/data/plugin/pr_curves/pr_curves",
    "/data/plugin/timeseries/tags",
    "/data/plugin/timeseries/timeSeries",
    "/data/tboard/tags",
};

void tb_tboard_data_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/tboard/scalars", handle_scalars, d);
	tb_router_set_version(r, "/data/tboard/scalars", scalars_token, d);
	for (size_t i = 0; i < sizeof store_routes / sizeof store_routes[0]; i++)
		tb_router_set_version(r, store_routes[i], store_token, d);
}
