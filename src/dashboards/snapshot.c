/* Static snapshots (snapshot.h): the web app with the answers it needs,
 * in one HTML file.
 *
 * The builder asks the router for what the UI of each included dashboard
 * asks (tag listings, then each series), exactly as the page would, and
 * records every answer with the request that produced it; the page's fetch
 * wrapper looks requests up in that table when there is no server. Tag
 * listings and the run list are narrowed to the selection. Scalars are the
 * one reshaped answer: the columns of /data/tboard/scalars are taken once
 * per tag with a point budget shared by all series, straight from the
 * function behind that route (tb_scalar_columns; no JSON text written and
 * parsed back), and stored as binary (steps and wall times delta-coded,
 * values as float32 when that is exact) because decimal text of
 * random-looking values is most of a snapshot.
 * Identical binary answers (an image under two routes) are stored once.
 *
 * The table is JSON, deflated (zlib) and base64url-encoded into a script
 * element that the page inflates with the browser's DecompressionStream.
 * Work and memory are proportional to the snapshot's size; the budget keeps
 * a 1000-run x 50-tag snapshot of scalars under 20 MB. */
#include "snapshot.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/regex.h"
#include "http/form.h"

/* The dashboards a snapshot carries, by plugin name. */
static const char *const included[] = {
    "timeseries", "scalars", "histograms", "distributions", "images", "text", "hparams",
};

/* Above this many (session, metric) pairs the HParams metric charts are
 * left out of a snapshot: each is a whole series. */
#define MAX_METRIC_EVALS 2000

typedef struct snap {
	tb_dash *d;
	const tb_router *r;
	const tb_snapshot_opts *o;
	json_t *entries; /* the answers, each with its request */
	json_t *scalars; /* tag -> columns of /data/tboard/scalars */
	json_t *runs;	 /* selected run name -> true */
	json_t *blobs;	 /* "hash:length" of a binary answer -> its entry index */
	tb_regex *tags;
	int stopped; /* the parent request was stopped */
} snap;

static int selected(const snap *s, const char *run)
{
	return json_object_get(s->runs, run) != NULL;
}

static int tag_ok(const snap *s, const char *tag)
{
	return !s->tags || tb_regex_match(s->tags, tag, strlen(tag));
}

static json_t *pairs_json(const char *const *p, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("[ss]", p[2 * i], p[2 * i + 1]));
	return a;
}

/* Whether the parent request must stop (its client left or its time is up). */
static int stopping(snap *s)
{
	if (!s->stopped && s->o->parent && tb_req_should_stop(s->o->parent, s->o->parent_resp))
		s->stopped = 1;
	return s->stopped;
}

/* The answer to one request, or NULL when it is not a 200 or the parent
 * request must stop. */
static tb_resp *ask(snap *s, const tb_call *c)
{
	if (stopping(s))
		return NULL;
	tb_resp *resp = tb_router_call(s->r, c);
	if (tb_resp_get_status(resp) != 200) {
		tb_resp_free(resp);
		return NULL;
	}
	return resp;
}

/* Record n bytes of answer (text, or binary stored once) for request c. */
static void keep_bytes(snap *s, const tb_call *c, const char *type, const void *p, size_t n,
		       int binary)
{
	json_t *e = json_object();
	json_object_set_new(e, "p", json_string(c->path + 1));
	if (c->method && strcmp(c->method, "GET"))
		json_object_set_new(e, "m", json_string(c->method));
	if (c->n_query)
		json_object_set_new(e, "q", pairs_json(c->query, c->n_query));
	if (c->n_form)
		json_object_set_new(e, "f", pairs_json(c->form, c->n_form));
	if (c->body.len)
		json_object_set_new(e, "j",
				    json_loadb((const char *)c->body.ptr, c->body.len, 0, NULL));
	json_object_set_new(e, "t", json_string(type));
	if (binary) {
		char key[48];
		snprintf(key, sizeof key, "%016llx:%zu",
			 (unsigned long long)tb_hash_bytes(TB_HASH_SEED, p, n), n);
		json_t *seen = json_object_get(s->blobs, key);
		if (seen) {
			json_object_set(e, "r", seen);
		} else {
			tb_buf b64 = TB_BUF_INIT;
			tb_buf_base64url(&b64, p, n);
			json_object_set_new(e, "x", json_stringn(b64.ptr ? b64.ptr : "", b64.len));
			tb_buf_free(&b64);
			json_object_set_new(s->blobs, key,
					    json_integer((json_int_t)json_array_size(s->entries)));
		}
	} else {
		json_t *text = json_stringn(p ? p : "", n);
		if (!text) { /* not UTF-8: the page could not read it either */
			json_decref(e);
			return;
		}
		json_object_set_new(e, "b", text);
	}
	json_array_append_new(s->entries, e);
}

/* Record v (a JSON answer, possibly narrowed) for request c. */
static void keep_json(snap *s, const tb_call *c, const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (text)
		keep_bytes(s, c, "application/json", text, strlen(text), 0);
	free(text);
}

/* Ask, record the answer as it is, and return it parsed when it is JSON
 * (caller json_decref()s; NULL when absent or not JSON). */
static json_t *take(snap *s, const tb_call *c)
{
	tb_resp *resp = ask(s, c);
	if (!resp)
		return NULL;
	tb_buf *b = tb_resp_body(resp);
	const char *type = tb_resp_get_type(resp);
	int json = strncmp(type, "application/json", 16) == 0;
	int text = json || strncmp(type, "text/", 5) == 0;
	keep_bytes(s, c, type, b->ptr, b->len, !text);
	json_t *v = json ? json_loadb(b->ptr ? b->ptr : "", b->len, 0, NULL) : NULL;
	tb_resp_free(resp);
	return v;
}

/* Ask without recording; the parsed JSON answer or NULL. */
static json_t *peek(snap *s, const tb_call *c)
{
	tb_resp *resp = ask(s, c);
	if (!resp)
		return NULL;
	tb_buf *b = tb_resp_body(resp);
	json_t *v = json_loadb(b->ptr ? b->ptr : "", b->len, 0, NULL);
	tb_resp_free(resp);
	return v;
}

static json_t *take_get(snap *s, const char *path, const char *const *q, size_t nq)
{
	tb_call c = {.path = path, .query = q, .n_query = nq};
	return take(s, &c);
}

/* POST with a JSON body. */
static json_t *take_post(snap *s, const char *path, const json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	tb_call c = {.method = "POST", .path = path, .body = tb_slice_make(text, strlen(text))};
	json_t *v = take(s, &c);
	free(text);
	return v;
}

/* --- scalars as columns ------------------------------------------------------ */

/* One numeric array as {"e": encoding, "x": base64url of little-endian
 * values}: "d8" float64 differences from the previous value (exact for
 * steps and wall times, and small numbers compress), "f4" float32 where
 * every value survives the conversion, else "f8". Every NaN is stored as
 * the one NaN the page's answers carry. */
static json_t *column(const double *src, size_t n, int delta)
{
	double *v = tb_xmalloc((n ? n : 1) * sizeof *v);
	int f4 = !delta;
	for (size_t i = 0; i < n; i++) {
		v[i] = isnan(src[i]) ? NAN : src[i];
		if (f4 && !isnan(v[i]) && (double)(float)v[i] != v[i])
			f4 = 0;
	}
	tb_buf b64 = TB_BUF_INIT;
	const char *enc;
	if (f4) {
		float *f = tb_xmalloc((n ? n : 1) * sizeof *f);
		for (size_t i = 0; i < n; i++)
			f[i] = (float)v[i];
		tb_buf_base64url(&b64, f, n * sizeof *f);
		free(f);
		enc = "f4";
	} else {
		if (delta)
			for (size_t i = n; i-- > 1;)
				v[i] -= v[i - 1];
		tb_buf_base64url(&b64, v, n * sizeof *v);
		enc = delta ? "d8" : "f8";
	}
	json_t *col = json_pack("{s:s,s:s#}", "e", enc, "x", b64.ptr ? b64.ptr : "", b64.len);
	tb_buf_free(&b64);
	free(v);
	return col;
}

/* Steps as a "d8" column. */
static json_t *step_column(const int64_t *steps, size_t n)
{
	double *v = tb_xmalloc((n ? n : 1) * sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = (double)steps[i];
	json_t *col = column(v, n, 1);
	free(v);
	return col;
}

/* One run's scalars as columns, keyed as /data/tboard/scalars answers
 * them, into the runs object `arg`. The buckets' first values are left
 * out: the page does not draw them. */
static void run_columns(const tb_scalar_cols *c, void *arg)
{
	json_t *out = json_pack("{s:I,s:I}", "gen", (json_int_t)c->gen, "n", (json_int_t)c->n);
	if (c->bucketed) {
		json_object_set_new(out, "bucketed", json_true());
		json_object_set_new(out, "step", step_column(c->step, c->k));
		json_object_set_new(out, "step_last", step_column(c->step_last, c->k));
		json_object_set_new(out, "last", column(c->last, c->k, 0));
		json_object_set_new(out, "min", column(c->min, c->k, 0));
		json_object_set_new(out, "max", column(c->max, c->k, 0));
		json_object_set_new(out, "wall", column(c->wall, c->k, 1));
	} else {
		json_object_set_new(out, "step", step_column(c->step, c->k));
		json_object_set_new(out, "wall", column(c->wall, c->k, 1));
		json_object_set_new(out, "value", column(c->value, c->k, 0));
	}
	json_object_set_new((json_t *)arg, c->run, out);
}

/* Every scalar tag (tag -> its selected runs) asked once, with a point
 * budget shared by all series. */
static void add_scalars(snap *s, json_t *tag_runs)
{
	size_t series = 0;
	const char *tag;
	json_t *runs;
	json_object_foreach(tag_runs, tag, runs) series += json_array_size(runs);
	if (!series)
		return;
	size_t buckets = TB_SNAPSHOT_POINTS / series;
	if (buckets < TB_SNAPSHOT_MIN_BUCKETS)
		buckets = TB_SNAPSHOT_MIN_BUCKETS;
	if (buckets > TB_SNAPSHOT_MAX_BUCKETS)
		buckets = TB_SNAPSHOT_MAX_BUCKETS;
	const char **names = NULL;
	json_object_foreach(tag_runs, tag, runs)
	{
		if (stopping(s))
			break;
		size_t n = json_array_size(runs);
		names = tb_xrealloc(names, (n ? n : 1) * sizeof *names);
		for (size_t i = 0; i < n; i++)
			names[i] = json_string_value(json_array_get(runs, i));
		json_t *cols = json_object();
		uint64_t gen = tb_scalar_columns(s->d, tag, names, n, buckets, run_columns, cols);
		json_object_set_new(
		    s->scalars, tag,
		    json_pack("{s:I,s:o}", "generation", (json_int_t)gen, "runs", cols));
	}
	free(names);
}

/* --- tag listings ---------------------------------------------------------- */

/* An array of tag names narrowed to the tag pattern, in place. */
static void narrow_tag_array(snap *s, json_t *tags)
{
	for (size_t i = json_array_size(tags); i-- > 0;) {
		const char *t = json_string_value(json_array_get(tags, i));
		if (!t || !tag_ok(s, t))
			json_array_remove(tags, i);
	}
}

/* {run: {tag: info}} or {run: [tags]} (text) narrowed to the selection,
 * in place. */
static void narrow_run_tags(snap *s, json_t *listing)
{
	const char *run, *tag;
	json_t *tags, *info;
	void *tmp, *tmp2;
	json_object_foreach_safe(listing, tmp, run, tags)
	{
		if (!selected(s, run) || !(json_is_object(tags) || json_is_array(tags))) {
			json_object_del(listing, run);
			continue;
		}
		narrow_tag_array(s, tags);
		json_object_foreach_safe(tags, tmp2, tag, info) if (!tag_ok(s, tag))
		    json_object_del(tags, tag);
	}
}

/* The Time Series listing's {runTagInfo: {run: [tags]}} part, in place. */
static void narrow_run_tag_info(snap *s, json_t *part)
{
	json_t *info = json_object_get(part, "runTagInfo");
	const char *run;
	json_t *tags;
	void *tmp;
	json_object_foreach_safe(info, tmp, run, tags)
	{
		if (!selected(s, run) || !json_is_array(tags)) {
			json_object_del(info, run);
			continue;
		}
		narrow_tag_array(s, tags);
	}
}

/* Add run to tag's list in map (tag -> [runs]). */
static void map_add(json_t *map, const char *tag, const char *run)
{
	json_t *runs = json_object_get(map, tag);
	if (!runs) {
		runs = json_array();
		json_object_set_new(map, tag, runs);
	}
	json_array_append_new(runs, json_string(run));
}

/* GET /data/plugin/<plugin>/tags narrowed, then `route?run=&tag=` for each
 * pair (histograms, distributions, text). Returns the narrowed listing. */
static json_t *add_run_tag_listing(snap *s, const char *plugin)
{
	char path[96];
	snprintf(path, sizeof path, "/data/plugin/%s/tags", plugin);
	tb_call c = {.path = path};
	json_t *listing = peek(s, &c);
	if (!json_is_object(listing)) {
		json_decref(listing);
		return NULL;
	}
	narrow_run_tags(s, listing);
	keep_json(s, &c, listing);
	return listing;
}

static void add_series(snap *s, const char *plugin, const char *route)
{
	json_t *listing = add_run_tag_listing(s, plugin);
	char path[96];
	snprintf(path, sizeof path, "/data/plugin/%s/%s", plugin, route);
	const char *run, *tag;
	json_t *tags, *info;
	size_t i;
	json_object_foreach(listing, run, tags)
	{
		json_object_foreach(tags, tag, info)
		{
			const char *q[] = {"run", run, "tag", tag};
			json_decref(take_get(s, path, q, 2));
		}
		json_array_foreach(tags, i, info)
		{
			const char *q[] = {"run", run, "tag", json_string_value(info)};
			json_decref(take_get(s, path, q, 2));
		}
	}
	json_decref(listing);
}

/* Each image an images answer points to, under the route the page asks. */
static void add_image_items(snap *s, const json_t *answer)
{
	size_t i;
	json_t *e;
	json_array_foreach(answer, i, e)
	{
		const char *qs = json_string_value(json_object_get(e, "query"));
		if (!qs)
			continue;
		tb_form f = TB_FORM_INIT;
		tb_form_parse_urlencoded(&f, qs, strlen(qs));
		const char **q = tb_xmalloc((2 * f.n + 1) * sizeof *q);
		for (size_t k = 0; k < f.n; k++) {
			q[2 * k] = f.v[k].name;
			q[2 * k + 1] = f.v[k].value;
		}
		json_decref(take_get(s, "/data/plugin/images/individualImage", q, f.n));
		free(q);
		tb_form_free(&f);
	}
}

static void add_images(snap *s)
{
	json_t *listing = add_run_tag_listing(s, "images");
	const char *run, *tag;
	json_t *tags, *info;
	json_object_foreach(listing, run, tags) json_object_foreach(tags, tag, info)
	{
		json_int_t samples = json_integer_value(json_object_get(info, "samples"));
		for (json_int_t k = 0; k < samples && k < 64; k++) {
			char sample[24];
			snprintf(sample, sizeof sample, "%lld", (long long)k);
			const char *q[] = {"run", run, "tag", tag, "sample", sample};
			json_t *answer = take_get(s, "/data/plugin/images/images", q, 3);
			add_image_items(s, answer);
			json_decref(answer);
		}
	}
	json_decref(listing);
}

/* One Time Series request ({plugin, tag, run[, sample]}) as the page posts
 * it: a form field `requests` holding a one-element array. */
static json_t *take_time_series(snap *s, json_t *request)
{
	json_t *arr = json_pack("[o]", request);
	char *text = json_dumps(arr, JSON_COMPACT);
	const char *form[] = {"requests", text};
	tb_call c = {.method = "POST",
		     .path = "/data/plugin/timeseries/timeSeries",
		     .form = form,
		     .n_form = 1};
	json_t *v = take(s, &c);
	free(text);
	json_decref(arr);
	return v;
}

static void add_time_series(snap *s, json_t *scalar_tags)
{
	tb_call c = {.path = "/data/plugin/timeseries/tags"};
	json_t *listing = peek(s, &c);
	if (!json_is_object(listing)) {
		json_decref(listing);
		return;
	}
	narrow_run_tag_info(s, json_object_get(listing, "scalars"));
	narrow_run_tag_info(s, json_object_get(listing, "histograms"));
	json_t *sampled = json_object_get(json_object_get(listing, "images"), "tagRunSampledInfo");
	const char *tag, *run;
	json_t *runs, *info, *tags;
	void *tmp, *tmp2;
	json_object_foreach_safe(sampled, tmp, tag, runs)
	{
		if (!tag_ok(s, tag)) {
			json_object_del(sampled, tag);
			continue;
		}
		json_object_foreach_safe(runs, tmp2, run, info) if (!selected(s, run))
		    json_object_del(runs, run);
	}
	keep_json(s, &c, listing);

	json_object_foreach(json_object_get(json_object_get(listing, "scalars"), "runTagInfo"), run,
			    tags)
	{
		size_t i;
		json_t *t;
		json_array_foreach(tags, i, t) map_add(scalar_tags, json_string_value(t), run);
	}
	json_object_foreach(json_object_get(json_object_get(listing, "histograms"), "runTagInfo"),
			    run, tags)
	{
		size_t i;
		json_t *t;
		json_array_foreach(tags, i, t)
		{
			json_decref(
			    take_time_series(s, json_pack("{s:s,s:O,s:s}", "plugin", "histograms",
							  "tag", t, "run", run)));
		}
	}
	json_object_foreach(sampled, tag, runs) json_object_foreach(runs, run, info)
	{
		json_int_t samples = json_integer_value(json_object_get(info, "maxSamplesPerStep"));
		for (json_int_t k = 0; k < samples && k < 64; k++) {
			json_t *answer =
			    take_time_series(s, json_pack("{s:s,s:s,s:s,s:I}", "plugin", "images",
							  "tag", tag, "run", run, "sample", k));
			size_t i;
			json_t *p;
			json_array_foreach(
			    json_object_get(
				json_object_get(json_array_get(answer, 0), "runToSeries"), run),
			    i, p)
			{
				const char *id = json_string_value(json_object_get(p, "imageId"));
				const char *q[] = {"imageId", id};
				if (id)
					json_decref(
					    take_get(s, "/data/plugin/timeseries/imageData", q, 1));
			}
			json_decref(answer);
		}
	}
	json_decref(listing);
}

/* The Scalars dashboard's listing; its tags join the scalar tags. */
static void add_scalar_listing(snap *s, json_t *scalar_tags)
{
	json_t *listing = add_run_tag_listing(s, "scalars");
	if (!json_object_size(scalar_tags)) {
		const char *run, *tag;
		json_t *tags, *info;
		json_object_foreach(listing, run, tags) json_object_foreach(tags, tag, info)
		    map_add(scalar_tags, tag, run);
	}
	json_decref(listing);
}

/* Sessions of unselected runs leave the answer; groups left empty too. */
static void narrow_session_groups(snap *s, json_t *answer)
{
	json_t *groups = json_object_get(answer, "sessionGroups");
	for (size_t g = json_array_size(groups); g-- > 0;) {
		json_t *sessions = json_object_get(json_array_get(groups, g), "sessions");
		for (size_t i = json_array_size(sessions); i-- > 0;) {
			const char *name =
			    json_string_value(json_object_get(json_array_get(sessions, i), "name"));
			if (!name || !selected(s, name))
				json_array_remove(sessions, i);
		}
		if (!json_array_size(sessions))
			json_array_remove(groups, g);
	}
	if (json_object_get(answer, "totalSize"))
		json_object_set_new(answer, "totalSize",
				    json_integer((json_int_t)json_array_size(groups)));
}

static json_t *metric_name(const json_t *info)
{
	const json_t *n = json_object_get(info, "name");
	const char *g = json_string_value(json_object_get(n, "group"));
	const char *t = json_string_value(json_object_get(n, "tag"));
	return json_pack("{s:s,s:s}", "group", g ? g : "", "tag", t ? t : "");
}

/* The HParams dashboard's three requests, with the bodies the page sends. */
static void add_hparams(snap *s)
{
	json_t *body = json_pack("{s:s,s:b}", "experimentName", "", "includeMetrics", 1);
	json_t *exp = take_post(s, "/data/plugin/hparams/experiment", body);
	json_decref(body);
	json_t *hinfos = json_object_get(exp, "hparamInfos"),
	       *minfos = json_object_get(exp, "metricInfos");
	if (!json_array_size(hinfos) && !json_array_size(minfos)) {
		json_decref(exp);
		return;
	}
	json_t *cols = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(hinfos, i, v)
	{
		const char *name = json_string_value(json_object_get(v, "name"));
		json_array_append_new(
		    cols, json_pack("{s:s,s:b}", "hparam", name ? name : "", "includeInResult", 1));
	}
	json_array_foreach(minfos, i, v) json_array_append_new(
	    cols, json_pack("{s:o,s:b}", "metric", metric_name(v), "includeInResult", 1));
	body = json_pack("{s:s,s:[ssss],s:o,s:i,s:i,s:b}", "experimentName", "", "allowedStatuses",
			 "STATUS_FAILURE", "STATUS_RUNNING", "STATUS_SUCCESS", "STATUS_UNKNOWN",
			 "colParams", cols, "startIndex", 0, "sliceSize", 1000000, "includeMetrics",
			 1);
	char *text = json_dumps(body, JSON_COMPACT);
	tb_call c = {.method = "POST",
		     .path = "/data/plugin/hparams/session_groups",
		     .body = tb_slice_make(text, strlen(text))};
	json_t *groups = peek(s, &c);
	if (groups) {
		narrow_session_groups(s, groups);
		keep_json(s, &c, groups);
	}
	free(text);
	json_decref(body);

	size_t sessions = 0, g;
	json_t *grp, *sess;
	json_array_foreach(json_object_get(groups, "sessionGroups"), g, grp) sessions +=
	    json_array_size(json_object_get(grp, "sessions"));
	if (sessions * json_array_size(minfos) <= MAX_METRIC_EVALS) {
		json_array_foreach(json_object_get(groups, "sessionGroups"), g, grp)
		    json_array_foreach(json_object_get(grp, "sessions"), i, sess)
		{
			size_t k;
			json_array_foreach(minfos, k, v)
			{
				body = json_pack("{s:s,s:O,s:o}", "experimentName", "",
						 "sessionName", json_object_get(sess, "name"),
						 "metricName", metric_name(v));
				json_decref(
				    take_post(s, "/data/plugin/hparams/metric_evals", body));
				json_decref(body);
			}
		}
	}
	json_decref(groups);
	json_decref(exp);
}

/* --- runs, listing, page ----------------------------------------------------- */

/* Fill s->runs; returns 0 or TB_EINVAL with *errmsg. */
static int select_runs(snap *s, char **errmsg, const json_t *all)
{
	const tb_snapshot_opts *o = s->o;
	size_t i;
	json_t *v;
	if (o->run_query && *o->run_query) {
		const char *form[] = {"q", o->run_query};
		tb_call c = {
		    .method = "POST", .path = "/data/tboard/runs/query", .form = form, .n_form = 1};
		tb_resp *resp = tb_router_call(s->r, &c);
		tb_buf *b = tb_resp_body(resp);
		json_t *ans = json_loadb(b->ptr ? b->ptr : "", b->len, 0, NULL);
		int rc = 0;
		if (tb_resp_get_status(resp) != 200) {
			const char *why = json_string_value(json_object_get(ans, "error"));
			*errmsg = tb_xasprintf("run query: %s", why	 ? why
								: b->ptr ? b->ptr
									 : "failed");
			rc = TB_EINVAL;
		}
		json_array_foreach(json_object_get(ans, "runs"), i, v)
		{
			const char *run = json_string_value(json_object_get(v, "run"));
			if (run)
				json_object_set_new(s->runs, run, json_true());
		}
		json_decref(ans);
		tb_resp_free(resp);
		return rc;
	}
	json_array_foreach(all, i, v)
	{
		const char *run = json_string_value(v);
		int want = !o->n_runs;
		for (size_t k = 0; !want && run && k < o->n_runs; k++)
			want = !strcmp(o->runs[k], run);
		if (want && run)
			json_object_set_new(s->runs, run, json_true());
	}
	return 0;
}

static int is_included(const char *key)
{
	for (size_t i = 0; i < sizeof included / sizeof *included; i++)
		if (!strcmp(included[i], key))
			return 1;
	return 0;
}

/* Append s to out with every "</" written "<\/" so no text in it can end
 * the script element it sits in (JSON strings and JS read both alike). */
static void put_script_text(tb_buf *out, const char *p, size_t n)
{
	for (const char *end = p + n; p < end;) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		if (!lt || lt + 1 >= end) {
			tb_buf_append(out, p, (size_t)(end - p));
			break;
		}
		tb_buf_append(out, p, (size_t)(lt - p) + 1);
		if (lt[1] == '/')
			tb_buf_putc(out, '\\');
		p = lt + 1;
	}
}

/* The page: index.html with its stylesheet and script inlined and the
 * deflated table before the script. */
static int write_page(tb_buf *out, const json_t *doc, const char *title)
{
	tb_buf index = TB_BUF_INIT, js = TB_BUF_INIT, css = TB_BUF_INIT, b64 = TB_BUF_INIT;
	unsigned char *z = NULL;
	char *text = json_dumps(doc, JSON_COMPACT);
	int rc = TB_ENOMEM;
	if (!text)
		goto out;
	rc = tb_http_asset(&index, "/index.html");
	if (!rc)
		rc = tb_http_asset(&js, "/app.js");
	if (!rc)
		rc = tb_http_asset(&css, "/app.css");
	if (rc)
		goto out;
	size_t n = strlen(text);
	uLongf zn = compressBound(n);
	z = tb_xmalloc(zn);
	if (compress2(z, &zn, (const Bytef *)text, n, 9) != Z_OK) {
		rc = TB_EIO;
		goto out;
	}
	tb_buf_base64url(&b64, z, zn);

	const char *link = strstr(index.ptr, "<link rel=\"stylesheet\" href=\"app.css\">");
	const char *script = strstr(index.ptr, "<script src=\"app.js\"></script>");
	const char *ttl = strstr(index.ptr, "<title>tboard</title>");
	if (!link || !script || !ttl || !(ttl < link && link < script)) {
		rc = TB_ECORRUPT;
		goto out;
	}
	tb_buf_append(out, index.ptr, (size_t)(ttl - index.ptr));
	tb_buf_puts(out, "<title>");
	for (const char *t = title; *t; t++) {
		if (*t == '<')
			tb_buf_puts(out, "&lt;");
		else if (*t == '&')
			tb_buf_puts(out, "&amp;");
		else
			tb_buf_putc(out, *t);
	}
	tb_buf_puts(out, "</title>");
	const char *after_title = ttl + strlen("<title>tboard</title>");
	tb_buf_append(out, after_title, (size_t)(link - after_title));
	tb_buf_puts(out, "<style>");
	put_script_text(out, css.ptr, css.len);
	tb_buf_puts(out, "</style>");
	const char *after_link = link + strlen("<link rel=\"stylesheet\" href=\"app.css\">");
	tb_buf_append(out, after_link, (size_t)(script - after_link));
	tb_buf_puts(out, "<script type=\"application/x-tboard-snapshot\" id=\"tb-snapshot\">");
	tb_buf_append(out, b64.ptr, b64.len);
	tb_buf_puts(out, "</script>\n<script>");
	put_script_text(out, js.ptr, js.len);
	tb_buf_puts(out, "</script>");
	tb_buf_puts(out, script + strlen("<script src=\"app.js\"></script>"));
	rc = 0;
out:
	free(text);
	free(z);
	tb_buf_free(&index);
	tb_buf_free(&js);
	tb_buf_free(&css);
	tb_buf_free(&b64);
	return rc;
}

int tb_snapshot_build(tb_buf *out, char **errmsg, tb_dash *d, const tb_snapshot_opts *o)
{
	snap s = {.d = d,
		  .r = d->router,
		  .o = o,
		  .entries = json_array(),
		  .scalars = json_object(),
		  .runs = json_object(),
		  .blobs = json_object()};
	json_t *all = NULL, *listing = NULL, *scalar_tags = json_object(), *env = NULL;
	int rc = 0;
	*errmsg = NULL;
	if (o->tags && *o->tags) {
		char err[256];
		if (tb_regex_new(&s.tags, o->tags, strlen(o->tags), TB_REGEX_SEARCH, err,
				 sizeof err, NULL)) {
			*errmsg = tb_xasprintf("tag pattern: %s", err);
			rc = TB_EINVAL;
			goto out;
		}
	}
	tb_call runs_call = {.path = "/data/runs"};
	all = peek(&s, &runs_call);
	if ((rc = select_runs(&s, errmsg, all)))
		goto out;
	if (!json_object_size(s.runs)) {
		*errmsg = tb_xstrdup("no run selected");
		rc = TB_ENOTFOUND;
		goto out;
	}
	json_t *kept = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(all, i, v) if (selected(&s, json_string_value(v)))
	    json_array_append(kept, v);
	keep_json(&s, &runs_call, kept);
	json_decref(kept);

	env = take_get(&s, "/data/environment", NULL, 0);
	json_decref(take_get(&s, "/data/tboard/generation", NULL, 0));
	json_t *status =
	    json_pack("{s:[],s:I}", "logdirs", "runs", (json_int_t)json_object_size(s.runs));
	keep_json(&s, &(tb_call){.path = "/data/tboard/status"}, status);
	json_decref(status);

	tb_call listing_call = {.path = "/data/plugins_listing"};
	listing = peek(&s, &listing_call);
	const char *key;
	json_t *entry;
	void *tmp;
	json_object_foreach_safe(listing, tmp, key,
				 entry) if (!is_included(key) ||
					    !json_is_true(json_object_get(entry, "enabled")))
	    json_object_del(listing, key);
	keep_json(&s, &listing_call, listing);

	if (json_object_get(listing, "timeseries"))
		add_time_series(&s, scalar_tags);
	if (json_object_get(listing, "scalars"))
		add_scalar_listing(&s, scalar_tags);
	add_scalars(&s, scalar_tags);
	if (json_object_get(listing, "histograms"))
		add_series(&s, "histograms", "histograms");
	if (json_object_get(listing, "distributions"))
		add_series(&s, "distributions", "distributions");
	if (json_object_get(listing, "images"))
		add_images(&s);
	if (json_object_get(listing, "text"))
		add_series(&s, "text", "text");
	if (json_object_get(listing, "hparams"))
		add_hparams(&s);
	if (s.stopped) {
		rc = TB_EIO;
		goto out;
	}

	json_t *doc =
	    json_pack("{s:i,s:O,s:O}", "version", 1, "entries", s.entries, "scalars", s.scalars);
	const char *title = json_string_value(json_object_get(env, "window_title"));
	rc = write_page(out, doc, title && *title ? title : "tboard snapshot");
	json_decref(doc);
	if (rc)
		*errmsg = tb_xstrdup("the embedded web app is missing or damaged");
out:
	json_decref(all);
	json_decref(listing);
	json_decref(scalar_tags);
	json_decref(env);
	json_decref(s.entries);
	json_decref(s.scalars);
	json_decref(s.runs);
	json_decref(s.blobs);
	tb_regex_free(s.tags);
	return rc;
}

/* --- the route ----------------------------------------------------------------- */

static void handle_snapshot(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash *d = payload;
	if (strcmp(tb_req_method(req), "POST")) {
		tb_resp_html_error(resp, 405, "The method is not allowed for the requested URL.");
		tb_resp_header(resp, "Allow", "POST");
		return;
	}
	tb_slice body = tb_req_body(req);
	json_t *j =
	    body.len ? json_loadb((const char *)body.ptr, body.len, 0, NULL) : json_object();
	json_t *runs = json_object_get(j, "runs"), *tags = json_object_get(j, "tags");
	if (!json_is_object(j) || (runs && !json_is_array(runs)) ||
	    (tags && !json_is_string(tags))) {
		json_decref(j);
		tb_resp_error(resp, 400,
			      "Invalid argument: the body must be {\"runs\": [names], \"tags\": "
			      "\"regex\"}");
		return;
	}
	size_t n = json_array_size(runs);
	const char **names = tb_xmalloc((n ? n : 1) * sizeof *names);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (json_is_string(json_array_get(runs, i)))
			names[k++] = json_string_value(json_array_get(runs, i));
	tb_snapshot_opts o = {.runs = names,
			      .n_runs = k,
			      .tags = json_string_value(tags),
			      .parent = req,
			      .parent_resp = resp};
	tb_buf html = TB_BUF_INIT;
	char *err = NULL;
	int rc = runs && !k ? TB_ENOTFOUND : tb_snapshot_build(&html, &err, d, &o);
	if (rc == TB_EINVAL || rc == TB_ENOTFOUND) {
		tb_resp_error(resp, 400, "Invalid argument: %s", err ? err : "no run selected");
	} else if (rc == 0) {
		tb_resp_bytes(resp, "text/html; charset=utf-8", html.ptr, html.len);
		tb_resp_header(resp, "Content-Disposition",
			       "attachment; filename=\"tboard-snapshot.html\"");
	} else if (rc != TB_EIO) {
		tb_resp_error(resp, 500, "%s", err ? err : "snapshot failed");
	}
	free(err);
	tb_buf_free(&html);
	free(names);
	json_decref(j);
}

void tb_snapshot_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/tboard/snapshot", handle_snapshot, d);
}
