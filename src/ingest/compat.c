/* Event -> series points (see compat.h). Runs under the run's write lock
 * for every value of every event, so the scalar path avoids allocation:
 * one hash lookup, one decode of the number, one reservoir offer. */
#include "compat.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/log.h"
#include "proto/tensor.h"
#include "store/histpack.h"
#include "store/kinds.h"
#include "store/store_internal.h"

/* Data class of a plugin whose writer did not say (FORMAT.md 10.1). */
static char *dup_slice(tb_slice s)
{
	return tb_xstrndup((const char *)s.ptr, s.len);
}

/* Create the series for the first value of a tag (LOADING.md 8.3). */
static tb_series *create_series(tb_store *store, tb_run *run, tb_slice tag, const tb_value *v)
{
	tb_metadata md;
	memset(&md, 0, sizeof md);
	if (v->has_metadata && tb_metadata_decode(&md, v->metadata) < 0)
		memset(&md, 0, sizeof md);
	const char *plugin = NULL;
	int dc = TB_DC_UNKNOWN;
	tb_slice content = md.content;
	int legacy = 1;
	static const uint8_t image_content[] = {0x10, 0x01};		 /* converted_to_tensor */
	static const uint8_t audio_content[] = {0x10, 0x0b, 0x18, 0x01}; /* WAV, converted */
	if (md.data_class != TB_DC_UNKNOWN) {
		legacy = 0;
		dc = md.data_class;
	} else if (v->kind == TB_VAL_SIMPLE) {
		plugin = "scalars";
		dc = TB_DC_SCALAR;
		content = tb_slice_make(NULL, 0);
	} else if (v->kind == TB_VAL_IMAGE) {
		plugin = "images";
		dc = TB_DC_BLOB_SEQUENCE;
		content = tb_slice_make(image_content, sizeof image_content);
	} else if (v->kind == TB_VAL_AUDIO) {
		plugin = "audio";
		dc = TB_DC_BLOB_SEQUENCE;
		content = tb_slice_make(audio_content, sizeof audio_content);
	} else if (v->kind == TB_VAL_HISTO) {
		plugin = "histograms";
		dc = TB_DC_TENSOR;
		content = tb_slice_make(NULL, 0);
	} else {
		legacy = 0;
		dc = tb_kind_data_class(md.plugin_name);
	}
	char *plugin_buf = plugin ? NULL : dup_slice(md.plugin_name);
	char *display =
	    legacy && !md.display_name.len ? dup_slice(tag) : dup_slice(md.display_name);
	char *desc = dup_slice(md.description);
	const char *pname = plugin ? plugin : plugin_buf;
	uint64_t cap = tb_store_capacity(store, pname, dc);
	tb_series *s = tb_run_add_series(run, (const char *)tag.ptr, tag.len, pname, dc, display,
					 desc, content.ptr, content.len, cap);
	free(plugin_buf);
	free(display);
	free(desc);
	return s;
}

static tb_tensor *string_tensor(const tb_slice *parts, int64_t n)
{
	return tb_tensor_new(TB_DT_STRING, 1, &n, NULL, parts);
}

/* Legacy histogram -> [k, 3] rows (left, right, count), trimming empty
 * buckets at both ends as upstream's Python loader does (FORMAT.md 11.2).
 * With `packed`, a histogram that packs is returned there instead, packed
 * straight from the message (NULL returned). */
static tb_tensor *convert_histo(tb_slice data, tb_histpack **packed)
{
	tb_histo h;
	if (tb_histo_decode(&h, data))
		return NULL;
	size_t n = h.n_counts, s = 0, e = 0;
	int any = 0;
	for (size_t i = 0; i < n; i++) {
		if (h.counts[i] > 0) {
			if (!any)
				s = i;
			e = i;
			any = 1;
		}
	}
	tb_tensor *t = NULL;
	int64_t dims[2] = {0, 3};
	if (!any) {
		t = tb_tensor_new(TB_DT_DOUBLE, 2, dims, NULL, NULL);
	} else if (h.n_limits >= e) {
		size_t k = e - s + 1;
		/* row i is (edges[i], edges[i + 1], counts[s + i]) */
		double *edges = tb_xmalloc((k + 1) * sizeof *edges);
		edges[0] = h.min;
		if (k > 1)
			memcpy(edges + 1, h.limits + s, (k - 1) * sizeof *edges);
		edges[k] = h.max;
		if (packed)
			*packed = tb_histpack_joined(edges, h.counts + s, k);
		if (!packed || !*packed) {
			double *rows = tb_xmalloc(k * 3 * sizeof *rows);
			for (size_t i = 0; i < k; i++) {
				rows[3 * i] = edges[i];
				rows[3 * i + 1] = edges[i + 1];
				rows[3 * i + 2] = h.counts[s + i];
			}
			dims[0] = (int64_t)k;
			t = tb_tensor_new(TB_DT_DOUBLE, 2, dims, rows, NULL);
			free(rows);
		}
		free(edges);
	}
	tb_histo_release(&h);
	return t;
}

/* Reshape a decoded blob-sequence tensor to rank 1 per plugin rules
 * (FORMAT.md 10.5, 10.11), or reject it. Takes ownership of t. */
static tb_tensor *fix_blob_sequence(const tb_series *s, tb_tensor *t)
{
	if (t->dtype != TB_DT_STRING) {
		free(t);
		return NULL;
	}
	if (t->rank == 1)
		return t;
	if (t->rank == 0 && (strcmp(s->plugin, "graph_run_metadata") == 0 ||
			     strcmp(s->plugin, "graph_run_metadata_graph") == 0 ||
			     strcmp(s->plugin, "graph_keras_model") == 0)) {
		t->rank = 1;
		t->dims[0] = 1;
		return t;
	}
	if (t->rank >= 2 && strcmp(s->plugin, "audio") == 0 && t->dims[0] > 0) {
		/* keep the first column: the clips; labels are dropped */
		int64_t k = t->dims[0];
		size_t stride = t->n / (size_t)k;
		tb_slice *parts = tb_xmalloc((size_t)k * sizeof *parts);
		for (int64_t i = 0; i < k; i++)
			parts[i] = tb_tensor_str(t, (size_t)i * stride);
		tb_tensor *c = string_tensor(parts, k);
		free(parts);
		free(t);
		return c;
	}
	free(t);
	return NULL;
}

/* 0 when v is a tensor for a scalar series that holds no usable number
 * (a string or complex dtype, not one element, damaged): the first point of
 * a tag must not create a series that would stay empty. */
static int first_point_ok(const tb_value *v)
{
	if (v->kind != TB_VAL_TENSOR)
		return 1;
	tb_metadata md;
	memset(&md, 0, sizeof md);
	if (v->has_metadata && tb_metadata_decode(&md, v->metadata) < 0)
		return 1;
	int dc =
	    md.data_class != TB_DC_UNKNOWN ? md.data_class : tb_kind_data_class(md.plugin_name);
	double x;
	return dc != TB_DC_SCALAR || tb_tensor_scalar(&x, v->data) == 0;
}

/* Say once per process that unusable scalars are being skipped. */
static void warn_bad_scalar(const tb_run *run, tb_slice tag)
{
	static atomic_int warned;
	if (atomic_exchange(&warned, 1))
		return;
	tb_log_warn("run %s, tag %.*s: a scalar value that is not one number (string or complex "
		    "dtype, or damaged) is skipped; further ones are skipped silently",
		    run->name, (int)(tag.len > 200 ? 200 : tag.len), (const char *)tag.ptr);
}

static tb_series *lookup(tb_store *store, tb_run *run, tb_slice tag, const tb_value *v,
			 tb_series **prev)
{
	tb_series *s = *prev ? (*prev)->next_hint : NULL;
	if (!s || s->tag_len != tag.len || memcmp(s->tag, tag.ptr, tag.len) != 0) {
		s = tb_run_series_w(run, (const char *)tag.ptr, tag.len);
		if (!s && !first_point_ok(v)) {
			warn_bad_scalar(run, tag);
			return NULL;
		}
		if (!s)
			s = create_series(store, run, tag, v);
		if (*prev)
			(*prev)->next_hint = s;
	}
	*prev = s;
	return s;
}

/* A value's tensor; with `packed`, a histogram that packs comes back
 * there instead (NULL returned), packed straight from the message: a
 * legacy one from its edges and counts, a tensor one from the bytes of
 * its tensor_content, never copied into a tensor first. */
static tb_tensor *decode_tensor(int kind, tb_slice data, tb_histpack **packed)
{
	tb_tensor *t = NULL, view;
	if (kind == TB_VAL_HISTO)
		t = convert_histo(data, packed);
	else if (packed && tb_tensor_view(&view, data) == 0 && (*packed = tb_histpack_new(&view)))
		t = NULL;
	else if (tb_tensor_decode(&t, data))
		t = NULL;
	return t;
}

/* Store a placeholder for v's tensor in s and note it in d. */
static void defer_value(tb_compat_defer *d, tb_series *s, const tb_value *v, int64_t step,
			double wall)
{
	d->vals = tb_xgrow(d->vals, &d->vals_alloc, d->n_vals + 1, sizeof *d->vals);
	d->vals[d->n_vals] = (struct tb_deferred_value){v->data, v->kind};
	/* never a pointer, and never seen outside this commit */
	tb_series_add_tensor(s, step, wall, (tb_tensor *)(uintptr_t)(d->n_vals++ << 1 | 1));
	uint64_t h = (uint64_t)(uintptr_t)s * 0x9e3779b97f4a7c15ull; /* Fibonacci hashing */
	struct tb_deferred_memo *m = &d->memo[h >> (64 - TB_COMPAT_MEMO_BITS)];
	if (m->s == s) {
		d->v[m->k].added++;
		return;
	}
	size_t pos = 0, k;
	while ((k = tb_idxset_next(&d->index, h, &pos)))
		if (d->v[k - 1].s == s) {
			d->v[k - 1].added++;
			*m = (struct tb_deferred_memo){s, k - 1};
			return;
		}
	if (tb_idxset_add(&d->index, h, d->n))
		abort(); /* out of memory: the loader stops (alloc.h) */
	d->v = tb_xgrow(d->v, &d->alloc, d->n + 1, sizeof *d->v);
	*m = (struct tb_deferred_memo){s, d->n};
	d->v[d->n++] = (struct tb_deferred){s, 1};
}

/* Pack the newest points the last settle left unpacked, where this batch
 * kept them: such a point is then its series' last slot that is not a
 * placeholder (the batch only appended placeholders after it). */
static void pack_kept(tb_compat_defer *d)
{
	for (size_t j = 0; j < d->n_unpacked; j++) {
		tb_series *s = d->unpacked[j].s;
		size_t i = s->len;
		while (i > 0 && TB_TENSOR_IS_DEFERRED(tb_series_slot(s, i - 1)))
			i--;
		/* (a slot equal to a freed one's word is another tensor of
		 * s: packing it is as right, only not needed) */
		if (i > 0 && tb_series_slot(s, i - 1) == d->unpacked[j].slot)
			tb_series_pack(s, i - 1);
	}
	d->n_unpacked = 0;
}

size_t tb_compat_settle(tb_compat_defer *d, int more)
{
	pack_kept(d);
	size_t removed = 0;
	for (size_t k = 0; k < d->n; k++) {
		tb_series *s = d->v[k].s;
		/* a batch's points are its series' newest: its placeholders
		 * still kept are among the last `added` slots */
		size_t lo = s->len > d->v[k].added ? s->len - d->v[k].added : 0;
		for (size_t i = s->len; i-- > lo;) {
			if (!TB_TENSOR_IS_DEFERRED(s->tensors[i]))
				continue;
			const struct tb_deferred_value *p = &d->vals[(uintptr_t)s->tensors[i] >> 1];
			tb_histpack *packed = NULL;
			int newest = more && i + 1 == s->len;
			tb_tensor *t = decode_tensor(p->kind, p->data, newest ? NULL : &packed);
			if (newest && t) {
				tb_series_set_tensor_unpacked(s, i, t);
				d->unpacked = tb_xgrow(d->unpacked, &d->unpacked_alloc,
						       d->n_unpacked + 1, sizeof *d->unpacked);
				d->unpacked[d->n_unpacked++] =
				    (struct tb_deferred_unpacked){s, (uintptr_t)t};
			} else if (packed) {
				tb_series_set_histpack(s, i, packed);
			} else if (t) {
				tb_series_set_tensor(s, i, t);
			} else {
				tb_series_remove(s, i);
				removed++;
			}
		}
	}
	d->n = 0;
	d->n_vals = 0;
	tb_idxset_free(&d->index);
	memset(d->memo, 0, sizeof d->memo);
	return removed;
}

void tb_compat_defer_free(tb_compat_defer *d)
{
	free(d->v);
	free(d->vals);
	free(d->unpacked);
	tb_idxset_free(&d->index);
	memset(d, 0, sizeof *d);
}

static int add_value(tb_store *store, tb_run *run, const tb_value *v, int64_t step, double wall,
		     tb_series **prev, tb_compat_defer *d)
{
	tb_slice tag = v->tag;
	if (!tag.len && v->kind == TB_VAL_TENSOR && v->node_name.len)
		tag = v->node_name;
	if (!tag.ptr) /* an empty tag: never hand NULL to memcmp */
		tag = tb_slice_make("", 0);
	tb_series *s = lookup(store, run, tag, v, prev);
	if (!s)
		return 0;
	switch (s->data_class) {
	case TB_DC_SCALAR: {
		double x;
		if (v->kind == TB_VAL_SIMPLE) {
			x = v->simple;
		} else if (v->kind != TB_VAL_TENSOR || tb_tensor_scalar(&x, v->data)) {
			warn_bad_scalar(run, tag);
			return 0;
		}
		tb_series_add_scalar(s, step, wall, x);
		return 1;
	}
	case TB_DC_TENSOR: {
		tb_tensor *t = NULL;
		if ((v->kind == TB_VAL_HISTO || v->kind == TB_VAL_TENSOR) && d) {
			defer_value(d, s, v, step, wall);
			return 1;
		} else if (v->kind == TB_VAL_HISTO || v->kind == TB_VAL_TENSOR) {
			t = decode_tensor(v->kind, v->data, NULL);
		} else if (v->kind == TB_VAL_NONE) {
			int64_t zero = 0; /* the null tensor: DT_FLOAT, shape [0] */
			t = tb_tensor_new(TB_DT_FLOAT, 1, &zero, NULL, NULL);
		}
		if (!t)
			return 0;
		tb_series_add_tensor(s, step, wall, t);
		return 1;
	}
	case TB_DC_BLOB_SEQUENCE: {
		tb_tensor *t = NULL;
		if (v->kind == TB_VAL_IMAGE) {
			tb_image_view im;
			if (tb_image_decode(&im, v->data))
				return 0;
			char w[24], h[24];
			int wl = snprintf(w, sizeof w, "%lld", (long long)im.width);
			int hl = snprintf(h, sizeof h, "%lld", (long long)im.height);
			tb_slice parts[3] = {tb_slice_make(w, (size_t)wl),
					     tb_slice_make(h, (size_t)hl), im.encoded};
			t = string_tensor(parts, 3);
		} else if (v->kind == TB_VAL_AUDIO) {
			tb_audio_view au;
			if (tb_audio_decode(&au, v->data))
				return 0;
			t = string_tensor(&au.encoded, 1);
		} else if (v->kind == TB_VAL_TENSOR) {
			if (tb_tensor_decode(&t, v->data))
				return 0;
			t = fix_blob_sequence(s, t);
		}
		if (!t)
			return 0;
		tb_series_add_tensor(s, step, wall, t);
		return 1;
	}
	}
	return 0; /* unknown data class: not stored (LOADING.md 8.3) */
}

/* A whole-event payload (graph, run metadata) stored as a one-blob point. */
static int add_blob_event(tb_store *store, tb_run *run, const char *tag, size_t tag_len,
			  const char *plugin, tb_slice blob, int64_t step, double wall)
{
	tb_series *s = tb_run_series_w(run, tag, tag_len);
	if (!s)
		s = tb_run_add_series(run, tag, tag_len, plugin, TB_DC_BLOB_SEQUENCE, "", "", NULL,
				      0, tb_store_capacity(store, plugin, TB_DC_BLOB_SEQUENCE));
	if (s->data_class != TB_DC_BLOB_SEQUENCE)
		return 0;
	tb_series_add_tensor(s, step, wall, string_tensor(&blob, 1));
	return 1;
}

static int add_event(tb_store *store, tb_run *run, const tb_event *ev, tb_series **prev,
		     tb_compat_defer *d)
{
	if (!run->has_start) {
		run->has_start = 1;
		run->start_time = ev->wall_time;
	}
	switch (ev->what) {
	case TB_EV_SUMMARY: {
		tb_pb it = tb_pb_make(ev->data);
		tb_value v;
		int rc, stored = 0;
		while ((rc = tb_summary_next(&v, &it)) == 1)
			stored += add_value(store, run, &v, ev->step, ev->wall_time, prev, d);
		return rc < 0 ? rc : stored;
	}
	case TB_EV_GRAPH_DEF:
		return add_blob_event(store, run, "__run_graph__", 13, "graphs", ev->data, ev->step,
				      ev->wall_time);
	case TB_EV_TAGGED_RUN_METADATA: {
		tb_slice tag, rm;
		if (tb_tagged_run_metadata_decode(&tag, &rm, ev->data))
			return TB_ECORRUPT;
		return add_blob_event(store, run, (const char *)tag.ptr, tag.len,
				      "graph_tagged_run_metadata", rm, ev->step, ev->wall_time);
	}
	}
	return 0;
}

int tb_compat_add_event(tb_store *store, tb_run *run, const tb_event *ev, tb_series **prev)
{
	return add_event(store, run, ev, prev, NULL);
}

int tb_compat_add_event_deferred(tb_store *store, tb_run *run, const tb_event *ev, tb_series **prev,
				 tb_compat_defer *d)
{
	return add_event(store, run, ev, prev, d);
}

/* Hand s's points to take and forget them. */
static void take_points(tb_series *s, void (*take)(const tb_series *s, void *payload),
			void *payload)
{
	take(s, payload);
	tb_series_clear(s);
}

int tb_compat_add_and_take(tb_store *store, tb_run *run, const tb_event *ev, tb_series **prev,
			   void (*take)(const tb_series *s, void *payload), void *payload)
{
	tb_run_wrlock(run);
	int stored = tb_compat_add_event(store, run, ev, prev);
	/* the points are in the series stored into last when it holds them
	 * all (one value per event, the usual case), else in whichever series
	 * hold points (every other one is empty) */
	if (stored > 0 && *prev && (*prev)->len == (size_t)stored) {
		take_points(*prev, take, payload);
	} else if (stored > 0) {
		for (size_t i = 0; i < run->n_series; i++)
			if (run->series[i]->len)
				take_points(run->series[i], take, payload);
	}
	tb_run_unlock(run);
	return stored;
}
