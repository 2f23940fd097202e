/* libtboard against TensorBoard's own writers: for every kind the
 * tb-native corpus holds, the test decodes the corpus value, feeds the same
 * inputs to libtboard with the same step and wall time, and compares the
 * records. Summary.Value bytes must be identical (histograms, text, audio,
 * PR curves, meshes, custom scalar layouts, hparams); where bytes cannot
 * match, fields are compared decoded: scalars (TensorBoard uses float_val,
 * libtboard tensor_content, both decode to the same float), images (zlib
 * streams differ; width, height, metadata and decoded pixels must match)
 * and graphs (libtboard writes no `versions`; every node must match). */
#include "../harness.h"

#include <math.h>

#include "proto/tensor.h"
#include "tboard/writer.h"
#include "wutil.h"

typedef struct cev {
	double wall;
	int64_t step;
	tb_slice summary, graph, value, tag, tensor, meta;
} cev;

typedef struct evlist {
	cev ev[4096];
	size_t n;
	uint8_t *file;
} evlist;

static void on_record(const uint8_t *p, size_t n, void *payload)
{
	evlist *l = payload;
	const uint8_t *end = p + n;
	wu_field f;
	cev e;

	memset(&e, 0, sizeof e);
	while (wu_next(&p, end, &f)) {
		if (f.num == 1 && f.wt == 1)
			memcpy(&e.wall, &f.v, 8);
		else if (f.num == 2)
			e.step = (int64_t)f.v;
		else if (f.num == 5)
			e.summary = (tb_slice){f.p, f.n};
		else if (f.num == 4)
			e.graph = (tb_slice){f.p, f.n};
	}
	if (!e.summary.ptr && !e.graph.ptr)
		return;
	if (e.summary.ptr && wu_find(e.summary.ptr, e.summary.len, 1, &f)) {
		const uint8_t *q = f.p, *qend = f.p + f.n;
		e.value = (tb_slice){f.p, f.n};
		while (wu_next(&q, qend, &f)) {
			if (f.num == 1)
				e.tag = (tb_slice){f.p, f.n};
			else if (f.num == 8)
				e.tensor = (tb_slice){f.p, f.n};
			else if (f.num == 9)
				e.meta = (tb_slice){f.p, f.n};
		}
	}
	if (l->n < 4096)
		l->ev[l->n++] = e;
}

static void load_events(evlist *l, const char *dir)
{
	size_t len;
	memset(l, 0, sizeof *l);
	l->file = wu_slurp(wu_event_file(dir), &len);
	CHECK(l->file != NULL);
	if (l->file)
		CHECK_INT(wu_records(l->file, len, on_record, l, NULL), 0);
}

static int slice_eq(tb_slice a, tb_slice b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static int tag_is(const cev *e, const char *t)
{
	return e->tag.len == strlen(t) && memcmp(e->tag.ptr, t, e->tag.len) == 0;
}

static int tag_starts(const cev *e, const char *t)
{
	return e->tag.len >= strlen(t) && memcmp(e->tag.ptr, t, strlen(t)) == 0;
}

static char *cstr(tb_slice s)
{
	char *c = malloc(s.len + 1);
	memcpy(c, s.ptr, s.len);
	c[s.len] = '\0';
	return c;
}

static tb_tensor *decode(tb_slice s)
{
	tb_tensor *t = NULL;
	CHECK_INT(tb_tensor_decode(&t, s), 0);
	return t;
}

/* The description in a SummaryMetadata, or NULL (malloc'd). */
static char *description(tb_slice meta)
{
	wu_field f;
	return wu_find(meta.ptr, meta.len, 3, &f) ? cstr((tb_slice){f.p, f.n}) : NULL;
}

/* The plugin content in a SummaryMetadata. */
static tb_slice content(tb_slice meta)
{
	wu_field f;
	if (wu_find(meta.ptr, meta.len, 1, &f) && wu_find(f.p, f.n, 2, &f))
		return (tb_slice){f.p, f.n};
	return (tb_slice){NULL, 0};
}

/* EXACT_VALUE_ANY_WALL: the hparams calls take the experiment's creation
 * time or the session's start time as the event's wall time, while
 * TensorBoard stamps the event separately. */
enum {
	EXACT_VALUE,
	EXACT_SUMMARY,
	DECODED_SCALAR,
	DECODED_IMAGE,
	GRAPH_NODES,
	EXACT_VALUE_ANY_WALL
};

/* Scalar tags whose metadata has been seen in libtboard's output: it puts
 * metadata on the first value of a tag only (FORMAT.md 14.5). */
static char seen[64][128];
static size_t n_seen;

static int metadata_ok(const cev *want, const cev *got)
{
	size_t i;
	for (i = 0; i < n_seen; i++)
		if (want->tag.len == strlen(seen[i]) &&
		    memcmp(seen[i], want->tag.ptr, want->tag.len) == 0)
			break;
	if (i < n_seen)
		return got->meta.len == 0 || slice_eq(want->meta, got->meta);
	if (n_seen < 64 && want->tag.len < 128) {
		memcpy(seen[n_seen], want->tag.ptr, want->tag.len);
		seen[n_seen++][want->tag.len] = '\0';
	}
	return slice_eq(want->meta, got->meta);
}

static int mode[4096];
static size_t n_mode;

static void compare(const cev *want, const cev *got, int how, const char *what)
{
	int ok = 1;
	ok &= want->step == got->step && (how == EXACT_VALUE_ANY_WALL || want->wall == got->wall);
	switch (how) {
	case EXACT_VALUE:
	case EXACT_VALUE_ANY_WALL:
		ok &= slice_eq(want->value, got->value);
		break;
	case EXACT_SUMMARY:
		ok &= slice_eq(want->summary, got->summary);
		break;
	case DECODED_SCALAR: {
		tb_tensor *a = decode(want->tensor), *b = decode(got->tensor);
		ok &= a && b && a->dtype == b->dtype && a->rank == 0 && b->rank == 0 &&
		      memcmp(a->data, b->data, 4) == 0;
		ok &= slice_eq(want->tag, got->tag) && metadata_ok(want, got);
		free(a);
		free(b);
		break;
	}
	case DECODED_IMAGE: {
		tb_tensor *a = decode(want->tensor), *b = decode(got->tensor);
		ok &= slice_eq(want->tag, got->tag) && slice_eq(want->meta, got->meta);
		ok &= a && b && a->n == b->n && a->rank == 1 && b->rank == 1;
		for (size_t i = 0; ok && i < a->n; i++) {
			tb_slice x = tb_tensor_str(a, i), y = tb_tensor_str(b, i);
			if (i < 2) {
				ok &= slice_eq(x, y);
			} else {
				int w1, h1, c1, w2, h2, c2;
				uint8_t *p1 = wu_png_decode(x.ptr, x.len, &w1, &h1, &c1);
				uint8_t *p2 = wu_png_decode(y.ptr, y.len, &w2, &h2, &c2);
				ok &= p1 && p2 && w1 == w2 && h1 == h2 && c1 == c2 &&
				      memcmp(p1, p2, (size_t)w1 * h1 * c1) == 0;
				free(p1);
				free(p2);
			}
		}
		free(a);
		free(b);
		break;
	}
	case GRAPH_NODES: {
		/* every node (field 1) identical, in order */
		const uint8_t *p = want->graph.ptr, *pe = p + want->graph.len;
		const uint8_t *q = got->graph.ptr, *qe = q + got->graph.len;
		wu_field f, g;
		int nodes = 0;
		while (wu_next(&p, pe, &f)) {
			if (f.num != 1)
				continue;
			ok &= wu_next(&q, qe, &g) && g.num == 1 && f.n == g.n &&
			      memcmp(f.p, g.p, f.n) == 0;
			nodes++;
		}
		ok &= nodes > 0 && !wu_next(&q, qe, &g);
		break;
	}
	}
	if (!ok) {
		fprintf(stderr, "mismatch: %s, tag %.*s, step %lld, mode %d\n  want ", what,
			(int)want->tag.len, (const char *)want->tag.ptr, (long long)want->step,
			how);
		for (size_t i = 0; i < want->value.len && i < 80; i++)
			fprintf(stderr, "%02x", want->value.ptr[i]);
		fprintf(stderr, "\n  got  ");
		for (size_t i = 0; i < got->value.len && i < 80; i++)
			fprintf(stderr, "%02x", got->value.ptr[i]);
		fprintf(stderr, "\n");
	}
	CHECK(ok);
}

/* --- feeding corpus values to libtboard --- */

static void feed_scalar(tb_writer *w, const cev *e, const char *tag)
{
	tb_tensor *t = decode(e->tensor);
	char *d = description(e->meta);
	if (d)
		CHECK_INT(tb_writer_set_description(w, tag, d), TB_OK);
	if (t)
		CHECK_INT(tb_writer_add_scalar(w, tag, tb_tensor_double(t, 0), e->step, e->wall),
			  TB_OK);
	free(d);
	free(t);
}

static void feed_histogram(tb_writer *w, const cev *e, const char *tag)
{
	tb_tensor *t = decode(e->tensor);
	size_t k;
	int constant = 1;

	if (!t)
		return;
	k = (size_t)t->dims[0];
	for (size_t i = 0; i < k; i++)
		constant &= tb_tensor_double(t, 3 * i) == tb_tensor_double(t, 3 * i + 1) &&
			    (i + 1 == k || tb_tensor_double(t, 3 * i + 2) == 0);
	if (strcmp(tag, "bad/with_nan") == 0) {
		double v[3] = {1, NAN, 2};
		CHECK_INT(tb_writer_add_histogram(w, tag, v, 3, (int)k, e->step, e->wall), TB_OK);
	} else if (strcmp(tag, "bad/with_inf") == 0) {
		double v[3] = {1, 2, INFINITY};
		CHECK_INT(tb_writer_add_histogram(w, tag, v, 3, (int)k, e->step, e->wall), TB_OK);
	} else if (strcmp(tag, "bad/empty") == 0) {
		CHECK_INT(tb_writer_add_histogram(w, tag, NULL, 0, (int)k, e->step, e->wall),
			  TB_OK);
	} else if (constant && k > 0) {
		size_t n = (size_t)tb_tensor_double(t, 3 * k - 1);
		double *v = malloc(n * sizeof *v);
		for (size_t i = 0; i < n; i++)
			v[i] = tb_tensor_double(t, 0);
		CHECK_INT(tb_writer_add_histogram(w, tag, v, n, (int)k, e->step, e->wall), TB_OK);
		free(v);
	} else {
		double *edges = malloc((k + 1) * sizeof *edges),
		       *counts = malloc(k * sizeof *counts);
		for (size_t i = 0; i < k; i++) {
			edges[i] = tb_tensor_double(t, 3 * i);
			edges[i + 1] = tb_tensor_double(t, 3 * i + 1);
			counts[i] = tb_tensor_double(t, 3 * i + 2);
		}
		CHECK_INT(tb_writer_add_histogram_raw(w, tag, edges, counts, k, e->step, e->wall),
			  TB_OK);
		free(edges);
		free(counts);
	}
	free(t);
}

static void feed_text(tb_writer *w, const cev *e, const char *tag)
{
	tb_tensor *t = decode(e->tensor);
	char **cells;
	if (!t)
		return;
	cells = calloc(t->n + 1, sizeof *cells);
	for (size_t i = 0; i < t->n; i++)
		cells[i] = cstr(tb_tensor_str(t, i));
	if (t->rank == 0)
		CHECK_INT(tb_writer_add_text(w, tag, cells[0], e->step, e->wall), TB_OK);
	else
		CHECK_INT(tb_writer_add_text_table(
			      w, tag, (const char *const *)cells, (size_t)t->dims[0],
			      t->rank == 2 ? (size_t)t->dims[1] : 0, e->step, e->wall),
			  TB_OK);
	for (size_t i = 0; i < t->n; i++)
		free(cells[i]);
	free(cells);
	free(t);
}

static void feed_images(tb_writer *w, const cev *e, const char *tag)
{
	tb_tensor *t = decode(e->tensor);
	char *d = description(e->meta);
	uint8_t *batch = NULL;
	int iw = 0, ih = 0, ic = 0;

	if (d)
		CHECK_INT(tb_writer_set_description(w, tag, d), TB_OK);
	for (size_t i = 2; t && i < t->n; i++) {
		tb_slice png = tb_tensor_str(t, i);
		uint8_t *px = wu_png_decode(png.ptr, png.len, &iw, &ih, &ic);
		size_t one = (size_t)iw * ih * ic;
		CHECK(px != NULL);
		if (!px)
			break;
		batch = realloc(batch, one * (i - 1));
		memcpy(batch + one * (i - 2), px, one);
		free(px);
	}
	if (t) {
		tb_image img = {batch, TB_PIXEL_U8, TB_LAYOUT_HWC, ih, iw, ic};
		CHECK_INT(tb_writer_add_images(w, tag, &img, t->n - 2, e->step, e->wall), TB_OK);
	}
	free(batch);
	free(d);
	free(t);
}

static void feed_audio(tb_writer *w, const cev *e, const char *tag)
{
	tb_tensor *t = decode(e->tensor);
	size_t k;
	tb_audio_clip *clips;
	int channels = 1;
	uint32_t rate = 0;

	if (!t)
		return;
	k = (size_t)t->dims[0];
	clips = calloc(k + 1, sizeof *clips);
	for (size_t i = 0; i < k; i++) {
		tb_slice wav = tb_tensor_str(t, 2 * i);
		size_t n = (wav.len - 44) / 2;
		float *s = malloc((n + 1) * sizeof *s);
		channels = wav.ptr[22];
		rate = wu_le32(wav.ptr + 24);
		for (size_t j = 0; j < n; j++) {
			int16_t v;
			memcpy(&v, wav.ptr + 44 + 2 * j, 2);
			s[j] = (float)v / 32768.0f;
		}
		clips[i].samples = s;
		clips[i].frames = n / (size_t)channels;
		clips[i].label = cstr(tb_tensor_str(t, 2 * i + 1));
	}
	CHECK_INT(tb_writer_add_audios(w, tag, clips, k, channels, rate, e->step, e->wall), TB_OK);
	for (size_t i = 0; i < k; i++) {
		free((void *)clips[i].samples);
		free((void *)clips[i].label);
	}
	free(clips);
	free(t);
}

static void feed_pr(tb_writer *w, const cev *e, const char *tag)
{
	tb_tensor *t = decode(e->tensor);
	size_t n;
	double *r;
	if (!t)
		return;
	n = (size_t)t->dims[1];
	r = malloc(6 * n * sizeof *r);
	for (size_t i = 0; i < 6 * n; i++)
		r[i] = tb_tensor_double(t, i);
	CHECK_INT(tb_writer_add_pr_curve_raw(w, tag, r, r + n, r + 2 * n, r + 3 * n, r + 4 * n,
					     r + 5 * n, n, e->step, e->wall),
		  TB_OK);
	free(r);
	free(t);
}

static void feed_mesh(tb_writer *w, const cev *e)
{
	const uint8_t *p = e->summary.ptr, *end = p + e->summary.len;
	float *v = NULL;
	int32_t *f = NULL;
	uint8_t *c = NULL;
	size_t nv = 0, nf = 0, batch = 1;
	char *name = NULL, *json = NULL;
	wu_field val;

	while (wu_next(&p, end, &val)) {
		const uint8_t *q = val.p, *qe = val.p + val.n;
		wu_field x, cf;
		tb_tensor *t = NULL;
		tb_slice meta = {NULL, 0};
		while (wu_next(&q, qe, &x)) {
			if (x.num == 8)
				t = decode((tb_slice){x.p, x.n});
			if (x.num == 9)
				meta = (tb_slice){x.p, x.n};
		}
		tb_slice ct = content(meta);
		int kind = 0;
		if (wu_find(ct.ptr, ct.len, 3, &cf))
			kind = (int)cf.v;
		if (!name && wu_find(ct.ptr, ct.len, 2, &cf))
			name = cstr((tb_slice){cf.p, cf.n});
		if (!json && wu_find(ct.ptr, ct.len, 5, &cf))
			json = cstr((tb_slice){cf.p, cf.n});
		if (t) {
			batch = (size_t)t->dims[0];
			if (kind == 1) {
				nv = (size_t)t->dims[1];
				v = malloc(t->data_len);
				memcpy(v, t->data, t->data_len);
			} else if (kind == 2) {
				nf = (size_t)t->dims[1];
				f = malloc(t->data_len);
				memcpy(f, t->data, t->data_len);
			} else if (kind == 3) {
				c = malloc(t->data_len);
				memcpy(c, t->data, t->data_len);
			}
		}
		free(t);
	}
	CHECK(name && v);
	if (name && v)
		CHECK_INT(
		    tb_writer_add_mesh(w, name, v, nv, f, nf, c, batch, json, e->step, e->wall),
		    TB_OK);
	free(v);
	free(f);
	free(c);
	free(name);
	free(json);
}

/* Decoded Layout, enough to call tb_writer_add_custom_scalars. */
static void feed_layout(tb_writer *w, const cev *e)
{
	tb_tensor *t = decode(e->tensor);
	tb_category cats[16];
	tb_chart charts[16][16];
	const char *tags[16][16][16];
	tb_margin_series ms[16][16][16];
	char *strs[1024];
	size_t ns = 0, nc = 0;
	tb_slice lay;
	const uint8_t *p, *end;
	wu_field f;

	if (!t)
		return;
	memset(cats, 0, sizeof cats);
	memset(charts, 0, sizeof charts);
	lay = tb_tensor_str(t, 0);
	p = lay.ptr;
	end = p + lay.len;
#define KEEP(fld) (strs[ns++] = cstr((tb_slice){(fld).p, (fld).n}))
	while (wu_next(&p, end, &f)) {
		const uint8_t *q = f.p, *qe = f.p + f.n;
		wu_field g;
		tb_category *cat = &cats[nc];
		if (f.num != 2)
			continue;
		cat->charts = charts[nc];
		cat->title = "";
		while (wu_next(&q, qe, &g)) {
			if (g.num == 1)
				cat->title = KEEP(g);
			else if (g.num == 3)
				cat->closed = (int)g.v;
			else if (g.num == 2) {
				tb_chart *ch = &charts[nc][cat->n_charts];
				const uint8_t *r = g.p, *re = g.p + g.n;
				wu_field h;
				ch->title = "";
				while (wu_next(&r, re, &h)) {
					const uint8_t *s = h.p, *se = h.p + h.n;
					wu_field m;
					if (h.num == 1)
						ch->title = KEEP(h);
					else if (h.num == 2) {
						ch->tags = tags[nc][cat->n_charts];
						while (wu_next(&s, se, &m))
							tags[nc][cat->n_charts][ch->n_tags++] =
							    KEEP(m);
					} else if (h.num == 3) {
						ch->margin = ms[nc][cat->n_charts];
						while (wu_next(&s, se, &m)) {
							tb_margin_series *x =
							    &ms[nc][cat->n_charts][ch->n_margin++];
							const uint8_t *u = m.p, *ue = m.p + m.n;
							wu_field o;
							x->value = x->lower = x->upper = "";
							while (wu_next(&u, ue, &o)) {
								if (o.num == 1)
									x->value = KEEP(o);
								if (o.num == 2)
									x->lower = KEEP(o);
								if (o.num == 3)
									x->upper = KEEP(o);
							}
						}
					}
				}
				cat->n_charts++;
			}
		}
		nc++;
	}
#undef KEEP
	CHECK_INT(tb_writer_add_custom_scalars(w, cats, nc, e->wall), TB_OK);
	for (size_t i = 0; i < ns; i++)
		free(strs[i]);
	free(t);
}

static void feed_graph(tb_writer *w, const cev *e)
{
	tb_graph_node nodes[64];
	const char *inputs[64][8];
	tb_graph_attr attrs[64][8];
	char *strs[1024];
	size_t n = 0, ns = 0;
	const uint8_t *p = e->graph.ptr, *end = p + e->graph.len;
	wu_field f;

	memset(nodes, 0, sizeof nodes);
	memset(attrs, 0, sizeof attrs);
#define KEEP(fld) (strs[ns++] = cstr((tb_slice){(fld).p, (fld).n}))
	while (wu_next(&p, end, &f)) {
		const uint8_t *q = f.p, *qe = f.p + f.n;
		tb_graph_node *nd = &nodes[n];
		wu_field g;
		if (f.num != 1)
			continue;
		nd->inputs = inputs[n];
		nd->attrs = attrs[n];
		while (wu_next(&q, qe, &g)) {
			if (g.num == 1)
				nd->name = KEEP(g);
			else if (g.num == 2)
				nd->op = KEEP(g);
			else if (g.num == 3)
				inputs[n][nd->n_inputs++] = KEEP(g);
			else if (g.num == 4)
				nd->device = KEEP(g);
			else if (g.num == 5) {
				tb_graph_attr *a = &attrs[n][nd->n_attrs++];
				wu_field k = {0}, v = {0}, x = {0};
				CHECK(wu_find(g.p, g.n, 1, &k) && wu_find(g.p, g.n, 2, &v));
				a->key = KEEP(k);
				CHECK(wu_find(v.p, v.n, 6, &x)); /* the corpus uses types only */
				a->kind = TB_ATTR_TYPE;
				a->i = (int64_t)x.v;
			}
		}
		n++;
	}
#undef KEEP
	CHECK_INT(tb_writer_add_graph(w, nodes, n, e->wall), TB_OK);
	for (size_t i = 0; i < ns; i++)
		free(strs[i]);
}

static char tmp[] = "/tmp/tb_corpus_writerXXXXXX";
static evlist want, got;

static const char *corpus_dir(const char *run)
{
	static char path[4096];
	char rel[512];
	snprintf(rel, sizeof rel, "tb-native/logdir/%s", run);
	return tb_test_corpus(path, sizeof path, rel);
}

static void check_pairs(const char *what)
{
	size_t j = 0;
	CHECK_INT(got.n, n_mode);
	for (size_t i = 0; i < want.n && j < got.n; i++) {
		if (mode[i] < 0)
			continue;
		compare(&want.ev[i], &got.ev[j++], mode[i], what);
	}
}

static void test_corpus__train_run(void)
{
	char dir[4096];
	tb_writer *w;
	size_t scalars = 0;

	load_events(&want, corpus_dir("train"));
	CHECK(want.n > 1700);
	snprintf(dir, sizeof dir, "%s/train", tmp);
	CHECK_INT(tb_writer_open(&w, dir, NULL), TB_OK);
	n_mode = 0;
	for (size_t i = 0; i < want.n; i++) {
		const cev *e = &want.ev[i];
		char *tag = e->tag.ptr ? cstr(e->tag) : NULL;
		mode[i] = -1;
		if (e->graph.ptr) {
			feed_graph(w, e);
			mode[i] = GRAPH_NODES;
		} else if (!tag) {
		} else if (tag_starts(e, "mesh/")) {
			feed_mesh(w, e);
			mode[i] = EXACT_SUMMARY;
		} else if (tag_is(e, "custom_scalars__config__")) {
			feed_layout(w, e);
			mode[i] = EXACT_VALUE;
		} else if (tag_starts(e, "text/")) {
			feed_text(w, e, tag);
			mode[i] = EXACT_VALUE;
		} else if (tag_starts(e, "input/")) {
			feed_images(w, e, tag);
			mode[i] = DECODED_IMAGE;
		} else if (tag_starts(e, "audio/")) {
			feed_audio(w, e, tag);
			mode[i] = EXACT_VALUE;
		} else if (tag_starts(e, "pr/")) {
			feed_pr(w, e, tag);
			mode[i] = EXACT_VALUE;
		} else if (tag_starts(e, "dense/") || tag_starts(e, "bad/")) {
			feed_histogram(w, e, tag);
			mode[i] = EXACT_VALUE;
		} else if (scalars < 300) {
			feed_scalar(w, e, tag);
			mode[i] = DECODED_SCALAR;
			scalars++;
		}
		if (mode[i] >= 0)
			n_mode++;
		free(tag);
	}
	CHECK_INT(tb_writer_close(w), TB_OK);
	load_events(&got, dir);
	check_pairs("train");
	free(want.file);
	free(got.file);
}

/* Experiment and session summaries rebuilt from their decoded content. */
static void feed_hparams(tb_writer *w, const cev *e)
{
	tb_slice c = content(e->meta);
	wu_field f, g;
	tb_hparam values[16][16], hp[16];
	tb_hparam_info hi[16];
	tb_metric_info mi[16];
	char *strs[512];
	size_t ns = 0, nh = 0, nm = 0;
	double when = 0;
	const uint8_t *p, *end;

	memset(values, 0, sizeof values);
	memset(hi, 0, sizeof hi);
	memset(mi, 0, sizeof mi);
	memset(hp, 0, sizeof hp);
#define KEEP(fld) (strs[ns++] = cstr((tb_slice){(fld).p, (fld).n}))
	if (wu_find(c.ptr, c.len, 2, &f)) { /* experiment */
		p = f.p;
		end = f.p + f.n;
		while (wu_next(&p, end, &g)) {
			const uint8_t *q = g.p, *qe = g.p + g.n;
			wu_field h;
			if (g.num == 3)
				memcpy(&when, &g.v, 8);
			else if (g.num == 4) {
				tb_hparam_info *x = &hi[nh];
				x->values = values[nh];
				while (wu_next(&q, qe, &h)) {
					if (h.num == 1)
						x->name = KEEP(h);
					else if (h.num == 2)
						x->display_name = KEEP(h);
					else if (h.num == 3)
						x->description = KEEP(h);
					else if (h.num == 4)
						x->type = h.v == 1   ? TB_HPARAM_STRING
							  : h.v == 2 ? TB_HPARAM_BOOL
								     : TB_HPARAM_NUMBER;
					else if (h.num == 6) {
						wu_field m;
						x->domain = TB_DOMAIN_INTERVAL;
						if (wu_find(h.p, h.n, 1, &m))
							memcpy(&x->min, &m.v, 8);
						if (wu_find(h.p, h.n, 2, &m))
							memcpy(&x->max, &m.v, 8);
					} else if (h.num == 5) {
						const uint8_t *r = h.p, *re = h.p + h.n;
						wu_field m = {0}, v = {0};
						x->domain = TB_DOMAIN_DISCRETE;
						while (wu_next(&r, re, &m)) {
							tb_hparam *d = &values[nh][x->n_values++];
							if (wu_find(m.p, m.n, 2, &v)) {
								d->type = TB_HPARAM_NUMBER;
								memcpy(&d->number, &v.v, 8);
							} else if (wu_find(m.p, m.n, 3, &v)) {
								d->type = TB_HPARAM_STRING;
								d->string = KEEP(v);
							} else if (wu_find(m.p, m.n, 4, &v)) {
								d->type = TB_HPARAM_BOOL;
								d->boolean = (int)v.v;
							}
						}
					}
				}
				nh++;
			} else if (g.num == 5) {
				tb_metric_info *x = &mi[nm++];
				while (wu_next(&q, qe, &h)) {
					if (h.num == 1) {
						wu_field m;
						if (wu_find(h.p, h.n, 1, &m))
							x->group = KEEP(m);
						if (wu_find(h.p, h.n, 2, &m))
							x->tag = KEEP(m);
					} else if (h.num == 3)
						x->display_name = KEEP(h);
					else if (h.num == 4)
						x->description = KEEP(h);
					else if (h.num == 5)
						x->dataset_type = (int)h.v;
				}
			}
		}
		CHECK_INT(tb_writer_add_hparams_config(w, hi, nh, mi, nm, when), TB_OK);
	} else if (wu_find(c.ptr, c.len, 3, &f)) { /* session_start_info */
		const char *group = NULL;
		p = f.p;
		end = f.p + f.n;
		while (wu_next(&p, end, &g)) {
			wu_field k = {0}, v = {0}, x = {0};
			if (g.num == 1) {
				tb_hparam *h = &hp[nh++];
				CHECK(wu_find(g.p, g.n, 1, &k) && wu_find(g.p, g.n, 2, &v));
				h->name = KEEP(k);
				if (wu_find(v.p, v.n, 2, &x)) {
					h->type = TB_HPARAM_NUMBER;
					memcpy(&h->number, &x.v, 8);
				} else if (wu_find(v.p, v.n, 3, &x)) {
					h->type = TB_HPARAM_STRING;
					h->string = KEEP(x);
				} else if (wu_find(v.p, v.n, 4, &x)) {
					h->type = TB_HPARAM_BOOL;
					h->boolean = (int)x.v;
				}
			} else if (g.num == 4) {
				group = KEEP(g);
			} else if (g.num == 5) {
				memcpy(&when, &g.v, 8);
			}
		}
		CHECK_INT(tb_writer_add_hparams_session_start(w, hp, nh, group, when), TB_OK);
	}
#undef KEEP
	for (size_t i = 0; i < ns; i++)
		free(strs[i]);
}

static void run_hparams(const char *run)
{
	char dir[4096];
	tb_writer *w;
	load_events(&want, corpus_dir(run));
	snprintf(dir, sizeof dir, "%s/%s", tmp, run);
	CHECK_INT(tb_writer_open(&w, dir, NULL), TB_OK);
	n_mode = 0;
	for (size_t i = 0; i < want.n; i++) {
		const cev *e = &want.ev[i];
		mode[i] = -1;
		if (tag_starts(e, "_hparams_/")) {
			/* TensorBoard gives these values the event's wall time too */
			feed_hparams(w, e);
			mode[i] = EXACT_VALUE_ANY_WALL;
			n_mode++;
		}
	}
	CHECK_INT(tb_writer_close(w), TB_OK);
	load_events(&got, dir);
	check_pairs(run);
	free(want.file);
	free(got.file);
}

static void test_corpus__hparams(void)
{
	run_hparams("hparam_tuning");
	run_hparams("hparam_tuning/trial-0");
	run_hparams("hparam_tuning/trial-3");
}

int main(void)
{
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	TB_RUN(test_corpus__train_run);
	TB_RUN(test_corpus__hparams);
	tb_test_rmtree(tmp);
	return tb_test_finish();
}
