/* Custom Scalars dashboard routes (spec HTTP_API.md 6.5, FORMAT.md 10.9):
 * the merged chart layout of all runs, the scalar tags of one run that a
 * regular expression matches, and the download link of one series.
 *
 * Layouts are serialised tensorboard.Layout protos, decoded here into
 * owned trees (copies, so runs can be unlocked one after another) and
 * merged in sorted run order; charts are deduplicated through a hash table
 * so a hostile layout with many charts stays linear. Tag patterns are
 * Python-style regular expressions anchored at the start of the tag
 * (common/regex.h: PCRE2 with size and match limits, so no pattern can make
 * compiling or matching blow up). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/hash.h"
#include "common/regex.h"
#include "dash.h"
#include "proto/event.h"
#include "proto/pb_decode.h"

#define CONFIG_TAG "custom_scalars__config__"

/* ---- the Layout proto ------------------------------------------------- */

typedef struct str {
	char *p; /* owned, NUL-terminated */
	size_t n;
} str;

typedef struct series {
	str value, lower, upper;
} series;

enum { CONTENT_NONE, CONTENT_MULTILINE, CONTENT_MARGIN };

typedef struct chart {
	str title;
	int content; /* CONTENT_*: which member of the oneof is set */
	str *tags;   /* multiline: regular expressions (owned) */
	size_t n_tags;
	series *series; /* margin (owned) */
	size_t n_series;
	uint64_t hash; /* of everything above, for deduplication */
} chart;

typedef struct category {
	str title;
	chart *charts; /* owned */
	size_t n_charts;
	int closed;
} category;

typedef struct layout {
	int32_t version;
	category *cats; /* owned */
	size_t n_cats;
} layout;

static void str_set(str *s, tb_slice v)
{
	free(s->p);
	s->p = tb_xmalloc(v.len + 1);
	if (v.len)
		memcpy(s->p, v.ptr, v.len);
	s->p[v.len] = '\0';
	s->n = v.len;
}

static int str_eq(const str *a, const str *b)
{
	return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

static void chart_clear_content(chart *c)
{
	for (size_t i = 0; i < c->n_tags; i++)
		free(c->tags[i].p);
	for (size_t i = 0; i < c->n_series; i++) {
		free(c->series[i].value.p);
		free(c->series[i].lower.p);
		free(c->series[i].upper.p);
	}
	free(c->tags);
	free(c->series);
	c->tags = NULL;
	c->series = NULL;
	c->n_tags = c->n_series = 0;
	c->content = CONTENT_NONE;
}

static void chart_free(chart *c)
{
	chart_clear_content(c);
	free(c->title.p);
}

static void category_free(category *c)
{
	for (size_t i = 0; i < c->n_charts; i++)
		chart_free(&c->charts[i]);
	free(c->charts);
	free(c->title.p);
}

static void layout_free(layout *l)
{
	for (size_t i = 0; i < l->n_cats; i++)
		category_free(&l->cats[i]);
	free(l->cats);
	memset(l, 0, sizeof *l);
}

/* Grow an array by one zeroed element and return it. */
static void *push(void *arr, size_t *n, size_t size)
{
	char *p = tb_xrealloc(arr, (*n + 1) * size);
	memset(p + *n * size, 0, size);
	++*n;
	return p;
}

/* Decoders follow protobuf's merge rules: a singular field seen twice
 * keeps the last value, repeated fields append, a sub-message seen twice
 * merges, and setting one member of a oneof clears the other. Fields with
 * an unexpected wire type are skipped like unknown ones. Each returns 0 or
 * TB_ECORRUPT. */

static int decode_series(series *s, tb_slice in)
{
	tb_slice v[3] = {{0}};
	str *dst[3] = {&s->value, &s->lower, &s->upper};
	int rc = tb_pb_last_lens(v, 3, in);
	for (int i = 0; i < 3; i++)
		if (v[i].ptr)
			str_set(dst[i], v[i]);
	return rc;
}

static int decode_chart(chart *c, tb_slice in)
{
	tb_pb r = tb_pb_make(in);
	tb_pb_field f;
	int rc;
	while ((rc = tb_pb_next(&f, &r)) == 1) {
		if (f.wire != TB_PB_LEN)
			continue;
		if (f.num == 1) {
			str_set(&c->title, f.len);
		} else if (f.num == 2 || f.num == 3) {
			int kind = f.num == 2 ? CONTENT_MULTILINE : CONTENT_MARGIN;
			if (c->content != kind)
				chart_clear_content(c);
			c->content = kind;
			tb_pb sub = tb_pb_make(f.len);
			tb_pb_field g;
			while ((rc = tb_pb_next(&g, &sub)) == 1) {
				if (g.num != 1 || g.wire != TB_PB_LEN)
					continue;
				if (kind == CONTENT_MULTILINE) {
					c->tags = push(c->tags, &c->n_tags, sizeof *c->tags);
					str_set(&c->tags[c->n_tags - 1], g.len);
				} else {
					c->series =
					    push(c->series, &c->n_series, sizeof *c->series);
					if (decode_series(&c->series[c->n_series - 1], g.len))
						return TB_ECORRUPT;
				}
			}
			if (rc < 0)
				return rc;
		}
	}
	return rc;
}

static int decode_category(category *c, tb_slice in)
{
	tb_pb r = tb_pb_make(in);
	tb_pb_field f;
	int rc;
	while ((rc = tb_pb_next(&f, &r)) == 1) {
		if (f.num == 1 && f.wire == TB_PB_LEN) {
			str_set(&c->title, f.len);
		} else if (f.num == 2 && f.wire == TB_PB_LEN) {
			c->charts = push(c->charts, &c->n_charts, sizeof *c->charts);
			if (decode_chart(&c->charts[c->n_charts - 1], f.len))
				return TB_ECORRUPT;
		} else if (f.num == 3 && f.wire == TB_PB_VARINT) {
			c->closed = f.u != 0;
		}
	}
	return rc;
}

/* Decode a serialised Layout into *out (owned; free with layout_free, also
 * after a failure). */
static int decode_layout(layout *out, tb_slice in)
{
	tb_pb r = tb_pb_make(in);
	tb_pb_field f;
	int rc;
	memset(out, 0, sizeof *out);
	while ((rc = tb_pb_next(&f, &r)) == 1) {
		if (f.num == 1 && f.wire == TB_PB_VARINT) {
			out->version = (int32_t)(uint32_t)f.u;
		} else if (f.num == 2 && f.wire == TB_PB_LEN) {
			out->cats = push(out->cats, &out->n_cats, sizeof *out->cats);
			if (decode_category(&out->cats[out->n_cats - 1], f.len))
				return TB_ECORRUPT;
		}
	}
	return rc < 0 ? rc : 0;
}

/* ---- merging (spec HTTP_API.md 6.5.1, decision D8) --------------------- */

/* Hash one string of a chart, its length too, so ("ab","c") and ("a","bc")
 * differ. */
static uint64_t fnv(uint64_t h, const str *s)
{
	h = tb_hash_bytes(h, s->p, s->n);
	return tb_hash_bytes(h, &s->n, sizeof s->n);
}

static void chart_hash(chart *c)
{
	uint64_t h = fnv(TB_HASH_SEED ^ (uint64_t)c->content, &c->title);
	for (size_t i = 0; i < c->n_tags; i++)
		h = fnv(h, &c->tags[i]);
	for (size_t i = 0; i < c->n_series; i++)
		h = fnv(fnv(fnv(h, &c->series[i].value), &c->series[i].lower), &c->series[i].upper);
	c->hash = h;
}

static int chart_eq(const chart *a, const chart *b)
{
	if (a->hash != b->hash || a->content != b->content || !str_eq(&a->title, &b->title) ||
	    a->n_tags != b->n_tags || a->n_series != b->n_series)
		return 0;
	for (size_t i = 0; i < a->n_tags; i++)
		if (!str_eq(&a->tags[i], &b->tags[i]))
			return 0;
	for (size_t i = 0; i < a->n_series; i++)
		if (!str_eq(&a->series[i].value, &b->series[i].value) ||
		    !str_eq(&a->series[i].lower, &b->series[i].lower) ||
		    !str_eq(&a->series[i].upper, &b->series[i].upper))
			return 0;
	return 1;
}

static void index_add(tb_idxset *s, uint64_t h, size_t idx)
{
	if (tb_idxset_add(s, h, idx) != 0)
		abort(); /* out of memory: the server stops (alloc.h) */
}

/* Move the charts of src that `into` did not hold before this call onto
 * the end of `into`; the rest are freed. src is left empty. */
static void merge_charts(category *into, category *src)
{
	size_t n0 = into->n_charts;
	tb_idxset set = TB_IDXSET_INIT;
	for (size_t i = 0; i < n0; i++)
		index_add(&set, into->charts[i].hash, i);
	into->charts = tb_xrealloc(into->charts, (n0 + src->n_charts + 1) * sizeof *into->charts);
	for (size_t k = 0; k < src->n_charts; k++) {
		chart *c = &src->charts[k];
		int dup = 0;
		size_t pos = 0, i;
		while (!dup && (i = tb_idxset_next(&set, c->hash, &pos)))
			dup = chart_eq(&into->charts[i - 1], c);
		if (dup)
			chart_free(c);
		else
			into->charts[into->n_charts++] = *c;
	}
	tb_idxset_free(&set);
	free(src->charts);
	src->charts = NULL;
	src->n_charts = 0;
}

typedef struct merger {
	layout out;
	int have;	  /* a first layout was taken */
	tb_idxset titles; /* title hash -> categories of m->out */
} merger;

static uint64_t title_hash(const str *t)
{
	return fnv(TB_HASH_SEED, t);
}

static void titles_rebuild(merger *m)
{
	tb_idxset_free(&m->titles);
	for (size_t i = 0; i < m->out.n_cats; i++)
		index_add(&m->titles, title_hash(&m->out.cats[i].title), i);
}

/* Index of the last category of m->out with this title, or SIZE_MAX. */
static size_t titles_find(const merger *m, const str *t)
{
	size_t best = SIZE_MAX;
	uint64_t h = title_hash(t);
	size_t pos = 0, k;
	while ((k = tb_idxset_next(&m->titles, h, &pos))) {
		size_t c = k - 1;
		if (str_eq(&m->out.cats[c].title, t) && (best == SIZE_MAX || c > best))
			best = c;
	}
	return best;
}

/* Merge l into m, taking ownership of its contents. */
static void merge_layout(merger *m, layout *l)
{
	for (size_t i = 0; i < l->n_cats; i++)
		for (size_t k = 0; k < l->cats[i].n_charts; k++)
			chart_hash(&l->cats[i].charts[k]);
	if (!m->have) {
		m->out = *l;
		m->have = 1;
		titles_rebuild(m);
		memset(l, 0, sizeof *l);
		return;
	}
	for (size_t i = 0; i < l->n_cats; i++) {
		category *c = &l->cats[i];
		size_t at = titles_find(m, &c->title);
		if (at != SIZE_MAX) {
			merge_charts(&m->out.cats[at], c);
			category_free(c);
			continue;
		}
		m->out.cats = push(m->out.cats, &m->out.n_cats, sizeof *m->out.cats);
		m->out.cats[m->out.n_cats - 1] = *c;
		index_add(&m->titles, title_hash(&c->title), m->out.n_cats - 1);
	}
	free(l->cats);
	memset(l, 0, sizeof *l);
}

/* ---- protobuf-JSON output (spec HTTP_API.md 2.3) ----------------------- */

/* Written by an indenting tb_json (two spaces, as protobuf's JSON printer
 * lays it out), defaults included, and in each message first the fields
 * that hold non-default values in field order, then the defaulted ones. */
static void pj_str(tb_json *w, const str *s)
{
	tb_json_str_n(w, s->p ? s->p : "", s->n);
}

/* String member `key` when pass (below) is the one that writes it. */
static void pj_str_member(tb_json *w, int pass, const char *key, const str *s)
{
	if ((s->n == 0) == pass) {
		tb_json_key(w, key);
		pj_str(w, s);
	}
}

static void pj_str_list(tb_json *w, const str *v, size_t n)
{
	tb_json_arr_begin(w);
	for (size_t i = 0; i < n; i++)
		pj_str(w, &v[i]);
	tb_json_arr_end(w);
}

/* pass 0 writes the non-default members, pass 1 the default ones. */
#define FOR_PASSES for (int pass = 0; pass < 2; pass++)

static void write_series(tb_json *w, const series *s)
{
	tb_json_obj_begin(w);
	FOR_PASSES
	{
		pj_str_member(w, pass, "value", &s->value);
		pj_str_member(w, pass, "lower", &s->lower);
		pj_str_member(w, pass, "upper", &s->upper);
	}
	tb_json_obj_end(w);
}

static void write_chart(tb_json *w, const chart *c)
{
	tb_json_obj_begin(w);
	FOR_PASSES
	{
		pj_str_member(w, pass, "title", &c->title);
		/* A oneof member is printed only when set, with its own
		 * defaults inside. */
		if (pass == 0 && c->content == CONTENT_MULTILINE) {
			tb_json_key(w, "multiline");
			tb_json_obj_begin(w);
			tb_json_key(w, "tag");
			pj_str_list(w, c->tags, c->n_tags);
			tb_json_obj_end(w);
		} else if (pass == 0 && c->content == CONTENT_MARGIN) {
			tb_json_key(w, "margin");
			tb_json_obj_begin(w);
			tb_json_key(w, "series");
			tb_json_arr_begin(w);
			for (size_t i = 0; i < c->n_series; i++) {
				write_series(w, &c->series[i]);
			}
			tb_json_arr_end(w);
			tb_json_obj_end(w);
		}
	}
	tb_json_obj_end(w);
}

static void write_category(tb_json *w, const category *c)
{
	tb_json_obj_begin(w);
	FOR_PASSES
	{
		pj_str_member(w, pass, "title", &c->title);
		if ((c->n_charts == 0) == pass) {
			tb_json_key(w, "chart");
			tb_json_arr_begin(w);
			for (size_t i = 0; i < c->n_charts; i++) {
				write_chart(w, &c->charts[i]);
			}
			tb_json_arr_end(w);
		}
		if ((!c->closed) == pass) {
			tb_json_key(w, "closed");
			tb_json_bool(w, c->closed);
		}
	}
	tb_json_obj_end(w);
}

static void write_layout(tb_buf *b, const layout *l)
{
	tb_json w;
	tb_json_init_indent(&w, b, 2);
	tb_json_obj_begin(&w);
	FOR_PASSES
	{
		if ((l->version == 0) == pass) {
			tb_json_key(&w, "version");
			tb_json_int(&w, l->version);
		}
		if ((l->n_cats == 0) == pass) {
			tb_json_key(&w, "category");
			tb_json_arr_begin(&w);
			for (size_t i = 0; i < l->n_cats; i++) {
				write_category(&w, &l->cats[i]);
			}
			tb_json_arr_end(&w);
		}
	}
	tb_json_obj_end(&w);
}

/* ---- routes -------------------------------------------------------------- */

static int cmp_run_name(const void *a, const void *b)
{
	return strcmp(tb_run_name(*(const tb_run *const *)a),
		      tb_run_name(*(const tb_run *const *)b));
}

static void handle_layout(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_dash *d = payload;
	merger m;
	memset(&m, 0, sizeof m);
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	size_t n = tb_reader_run_count(&rd), pos = 0;
	const tb_run **runs = tb_xmalloc((n ? n : 1) * sizeof *runs);
	for (size_t i = 0; i < n; i++)
		runs[i] = tb_reader_next_run(&rd, &pos);
	tb_reader_release(&rd);
	qsort(runs, n, sizeof *runs, cmp_run_name);
	for (size_t i = 0; i < n; i++) {
		const tb_run *r = tb_reader_hold(&rd, runs[i]);
		const tb_series *s = tb_dash_series(r, CONFIG_TAG, "custom_scalars", TB_DC_TENSOR);
		/* The most recent value; a run whose layout does not decode is
		 * left out (upstream fails the whole request). */
		tb_tensor_tmp tmp = {0};
		size_t len = s ? tb_series_len(s) : 0;
		const tb_tensor *t = len ? tb_series_tensor(s, len - 1, &tmp) : NULL;
		layout l;
		int ok = 0;
		if (t && t->dtype == TB_DT_STRING && t->n == 1)
			ok = decode_layout(&l, tb_tensor_str(t, 0)) == 0;
		else
			memset(&l, 0, sizeof l);
		tb_tensor_tmp_free(&tmp);
		tb_reader_release(&rd);
		if (ok)
			merge_layout(&m, &l);
		layout_free(&l);
	}
	tb_reader_end(&rd);
	free(runs);
	if (m.have)
		write_layout(tb_resp_body(resp), &m.out);
	else
		tb_buf_puts(tb_resp_body(resp), "{}");
	layout_free(&m.out);
	tb_idxset_free(&m.titles);
}

static void handle_scalars(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash *d = payload;
	const char *run = tb_req_query(req, "run"), *tag = tb_req_query(req, "tag");
	tb_json j;
	tb_json_init(&j, tb_resp_body(resp));
	tb_json_obj_begin(&j);
	tb_regex *re = NULL;
	/* An empty pattern is refused, as an unusable filter. */
	if (!tag || !tag[0] ||
	    tb_regex_new(&re, tag, strlen(tag), TB_REGEX_ANCHORED, NULL, 0, NULL) != 0) {
		tb_json_key(&j, "regex_valid");
		tb_json_bool(&j, 0);
		tb_json_key(&j, "tag_to_events");
		tb_json_obj_begin(&j);
		tb_json_obj_end(&j);
		tb_json_obj_end(&j);
		return;
	}
	tb_json_key(&j, "regex_valid");
	tb_json_bool(&j, 1);
	tb_json_key(&j, "tag_to_events");
	tb_json_obj_begin(&j);
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	const tb_run *r = tb_reader_find_run(&rd, run);
	size_t k = 0;
	for (const tb_series *s; r && (s = tb_run_next_series(r, &k, "scalars", TB_DC_SCALAR));) {
		if (!tb_regex_match(re, tb_series_tag(s), tb_series_tag_len(s)))
			continue;
		tb_json_key_n(&j, tb_series_tag(s), tb_series_tag_len(s));
		tb_dash_scalar_points(&j, d, s);
	}
	tb_reader_end(&rd);
	tb_regex_free(re);
	tb_json_obj_end(&j);
	tb_json_obj_end(&j);
}

/* The same answers as scalars/scalars (decision D9). */
static void handle_download(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash_scalars_serve(resp, req, payload);
}

void tb_custom_scalars_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/plugin/custom_scalars/layout", handle_layout, d);
	tb_router_add(r, "/data/plugin/custom_scalars/scalars", handle_scalars, d);
	tb_router_add(r, "/data/plugin/custom_scalars/download_data", handle_download, d);
}
