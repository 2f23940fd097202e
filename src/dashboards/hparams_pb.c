/* Decoding the hparams plugin's stored content (spec FORMAT.md 10.8):
 * HParamsPluginData and the Experiment, SessionStartInfo, SessionEndInfo
 * and google.protobuf.Value messages inside it.
 *
 * The bytes come from event files and are untrusted: every read is
 * bounds-checked by the tb_pb cursor, nesting of Values is capped, fields
 * with an unexpected wire type are skipped as unknown ones, and for oneofs
 * and repeated scalar fields the last occurrence wins as in protobuf. */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "hparams.h"
#include "proto/pb_decode.h"

#define MAX_NESTING 64

static char *dup_slice(tb_slice s)
{
	return tb_xstrndup((const char *)s.ptr, s.len);
}

static void set_str(char **dst, tb_slice s)
{
	free(*dst);
	*dst = dup_slice(s);
}

static char *empty(void)
{
	return tb_xstrdup("");
}

void hp_value_free(hp_value *v)
{
	if (!v)
		return;
	free(v->str);
	for (size_t i = 0; i < v->n; i++) {
		if (v->keys)
			free(v->keys[i]);
		hp_value_free(&v->items[i]);
	}
	free(v->keys);
	free(v->items);
	memset(v, 0, sizeof *v);
}

void hp_value_copy(hp_value *out, const hp_value *v)
{
	*out = *v;
	out->str = v->str ? tb_xstrdup(v->str) : NULL;
	out->keys = NULL;
	out->items = NULL;
	if (!v->n)
		return;
	out->items = tb_xcalloc(v->n, sizeof *out->items);
	if (v->keys)
		out->keys = tb_xcalloc(v->n, sizeof *out->keys);
	for (size_t i = 0; i < v->n; i++) {
		if (v->keys)
			out->keys[i] = tb_xstrdup(v->keys[i]);
		hp_value_copy(&out->items[i], &v->items[i]);
	}
}

/* Append an item (and, for a struct, its key, which the item takes over).
 * Arrays grow by doubling: a session can hold hundreds of hparams. */
static hp_value *add_item(hp_value *v, char *key)
{
	if ((v->n & (v->n - 1)) == 0) { /* 0, 1, 2, 4, ...: full */
		size_t cap = v->n ? 2 * v->n : 1;
		v->items = tb_xrealloc(v->items, cap * sizeof *v->items);
		if (key || v->keys)
			v->keys = tb_xrealloc(v->keys, cap * sizeof *v->keys);
	}
	memset(&v->items[v->n], 0, sizeof *v->items);
	if (key)
		v->keys[v->n] = key;
	return &v->items[v->n++];
}

static int cmp_key_index(const void *a, const void *b, void *payload)
{
	char **keys = payload;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(keys[x], keys[y]);
	return c ? c : (x > y) - (x < y);
}

/* A later map entry replaces an earlier one with the same key, in the
 * earlier one's place (protobuf map semantics). One sort finds them, so a
 * session with many hparams costs n log n compares, not n^2. */
static void merge_duplicate_keys(hp_value *v)
{
	if (v->n < 2)
		return;
	size_t *order = tb_xcalloc(v->n, sizeof *order);
	char *drop = tb_xcalloc(v->n, 1);
	for (size_t i = 0; i < v->n; i++)
		order[i] = i;
	qsort_r(order, v->n, sizeof *order, cmp_key_index, v->keys);
	for (size_t i = 0; i + 1 < v->n; i++) {
		size_t first = order[i], last = first;
		while (i + 1 < v->n && strcmp(v->keys[order[i + 1]], v->keys[first]) == 0) {
			last = order[++i];
			drop[last] = 1;
		}
		if (last != first) { /* the last value, in the first one's place */
			hp_value_free(&v->items[first]);
			v->items[first] = v->items[last];
			memset(&v->items[last], 0, sizeof v->items[last]);
		}
	}
	size_t w = 0;
	for (size_t i = 0; i < v->n; i++) {
		if (drop[i]) { /* an earlier value of a repeated key (the last moved out) */
			free(v->keys[i]);
			hp_value_free(&v->items[i]);
			continue;
		}
		v->items[w] = v->items[i];
		v->keys[w++] = v->keys[i];
	}
	v->n = w;
	free(order);
	free(drop);
}

static int decode_value(hp_value *v, tb_slice s, int depth);

static int decode_list(hp_value *v, tb_slice s, int depth)
{
	tb_pb r = tb_pb_make(s);
	tb_pb_field f;
	int rc;
	while ((rc = tb_pb_next(&f, &r)) == 1)
		if (f.num == 1 && f.wire == TB_PB_LEN &&
		    decode_value(add_item(v, NULL), f.len, depth + 1))
			return TB_ECORRUPT;
	return rc;
}

/* One map entry {string key = 1; Value value = 2;} into the struct v. */
static int decode_entry(hp_value *v, tb_slice s, int depth)
{
	/* key, value; absent: empty, never NULL */
	tb_slice kv[2] = {tb_slice_make("", 0), tb_slice_make("", 0)};
	int rc = tb_pb_last_lens(kv, 2, s);
	if (rc)
		return rc;
	return decode_value(add_item(v, dup_slice(kv[0])), kv[1], depth + 1);
}

static int decode_struct(hp_value *v, tb_slice s, int depth)
{
	tb_pb r = tb_pb_make(s);
	tb_pb_field f;
	int rc;
	while ((rc = tb_pb_next(&f, &r)) == 1)
		if (f.num == 1 && f.wire == TB_PB_LEN && decode_entry(v, f.len, depth))
			return TB_ECORRUPT;
	merge_duplicate_keys(v);
	return rc;
}

static int decode_value(hp_value *v, tb_slice s, int depth)
{
	if (depth > MAX_NESTING)
		return TB_ECORRUPT;
	tb_pb r = tb_pb_make(s);
	tb_pb_field f;
	int rc;
	while ((rc = tb_pb_next(&f, &r)) == 1) {
		int want = f.num == 2			? TB_PB_I64
			   : (f.num == 1 || f.num == 4) ? TB_PB_VARINT
							: TB_PB_LEN;
		if (f.num < 1 || f.num > 6 || f.wire != want)
			continue;
		hp_value_free(v); /* oneof kind: the last member set wins */
		switch (f.num) {
		case 1:
			v->kind = HP_NULL;
			break;
		case 2:
			v->kind = HP_NUMBER;
			v->num = tb_pb_double(&f);
			break;
		case 3:
			v->kind = HP_STRING;
			v->str = dup_slice(f.len);
			break;
		case 4:
			v->kind = HP_BOOL;
			v->b = f.u != 0;
			break;
		case 5:
			v->kind = HP_STRUCT;
			if (decode_struct(v, f.len, depth))
				return TB_ECORRUPT;
			break;
		case 6:
			v->kind = HP_LIST;
			if (decode_list(v, f.len, depth))
				return TB_ECORRUPT;
			break;
		}
	}
	return rc;
}

static int decode_metric_name(hp_metric_name *m, tb_slice s)
{
	tb_slice v[2] = {{0}};
	int rc = tb_pb_last_lens(v, 2, s);
	if (v[0].ptr)
		set_str(&m->group, v[0]);
	if (v[1].ptr)
		set_str(&m->tag, v[1]);
	return rc;
}

static int decode_hparam_info(hp_hparam_info *h, tb_slice s)
{
	tb_pb r = tb_pb_make(s);
	tb_pb_field f;
	int rc;
	while ((rc = tb_pb_next(&f, &r)) == 1) {
		if (f.num <= 3 && f.wire == TB_PB_LEN) {
			set_str(f.num == 1   ? &h->name
				: f.num == 2 ? &h->display_name
					     : &h->description,
				f.len);
		} else if (f.num == 4 && f.wire == TB_PB_VARINT) {
			h->type = (int)(int32_t)f.u;
		} else if (f.num == 5 && f.wire == TB_PB_LEN) {
			hp_value_free(&h->discrete);
			h->discrete.kind = HP_LIST;
			h->domain = HP_DOMAIN_DISCRETE;
			if (decode_list(&h->discrete, f.len, 0))
				return TB_ECORRUPT;
		} else if (f.num == 6 && f.wire == TB_PB_LEN) {
			hp_value_free(&h->discrete);
			h->domain = HP_DOMAIN_INTERVAL;
			h->min = h->max = 0;
			tb_pb ir = tb_pb_make(f.len);
			tb_pb_field g;
			int irc;
			while ((irc = tb_pb_next(&g, &ir)) == 1)
				if (g.wire == TB_PB_I64 && (g.num == 1 || g.num == 2))
					*(g.num == 1 ? &h->min : &h->max) = tb_pb_double(&g);
			if (irc)
				return TB_ECORRUPT;
		} else if (f.num == 7 && f.wire == TB_PB_VARINT) {
			h->differs = f.u != 0;
		}
	}
	return rc;
}

static int decode_metric_info(hp_metric_info *m, tb_slice s)
{
	tb_pb r = tb_pb_make(s);
	tb_pb_field f;
	int rc;
	while ((rc = tb_pb_next(&f, &r)) == 1) {
		if (f.num == 1 && f.wire == TB_PB_LEN) {
			if (decode_metric_name(&m->name, f.len))
				return TB_ECORRUPT;
		} else if ((f.num == 3 || f.num == 4) && f.wire == TB_PB_LEN) {
			set_str(f.num == 3 ? &m->display_name : &m->description, f.len);
		} else if (f.num == 5 && f.wire == TB_PB_VARINT) {
			m->dataset_type = (int)(int32_t)f.u;
		}
	}
	return rc;
}

static int decode_experiment(hp_experiment *e, tb_slice s)
{
	tb_pb r = tb_pb_make(s);
	tb_pb_field f;
	int rc;
	while ((rc = tb_pb_next(&f, &r)) == 1) {
		if ((f.num == 1 || f.num == 2 || f.num == 6) && f.wire == TB_PB_LEN) {
			set_str(f.num == 1   ? &e->description
				: f.num == 2 ? &e->user
					     : &e->name,
				f.len);
		} else if (f.num == 3 && f.wire == TB_PB_I64) {
			e->time_created = tb_pb_double(&f);
		} else if (f.num == 4 && f.wire == TB_PB_LEN) {
			e->hparams =
			    tb_xrealloc(e->hparams, (e->n_hparams + 1) * sizeof *e->hparams);
			hp_hparam_info *h = &e->hparams[e->n_hparams++];
			memset(h, 0, sizeof *h);
			h->name = empty();
			h->display_name = empty();
			h->description = empty();
			if (decode_hparam_info(h, f.len))
				return TB_ECORRUPT;
		} else if (f.num == 5 && f.wire == TB_PB_LEN) {
			e->metrics =
			    tb_xrealloc(e->metrics, (e->n_metrics + 1) * sizeof *e->metrics);
			hp_metric_info *m = &e->metrics[e->n_metrics++];
			memset(m, 0, sizeof *m);
			m->name.group = empty();
			m->name.tag = empty();
			m->display_name = empty();
			m->description = empty();
			if (decode_metric_info(m, f.len))
				return TB_ECORRUPT;
		}
	}
	return rc;
}

static int decode_start(hp_start_info *si, tb_slice s)
{
	tb_pb r = tb_pb_make(s);
	tb_pb_field f;
	int rc;
	while ((rc = tb_pb_next(&f, &r)) == 1) {
		if (f.num == 1 && f.wire == TB_PB_LEN) {
			if (decode_entry(&si->hparams, f.len, 0))
				return TB_ECORRUPT;
		} else if (f.num >= 2 && f.num <= 4 && f.wire == TB_PB_LEN) {
			set_str(f.num == 2   ? &si->model_uri
				: f.num == 3 ? &si->monitor_url
					     : &si->group_name,
				f.len);
		} else if (f.num == 5 && f.wire == TB_PB_I64) {
			si->start_time = tb_pb_double(&f);
		}
	}
	merge_duplicate_keys(&si->hparams);
	return rc;
}

static int decode_end(hp_end_info *ei, tb_slice s)
{
	tb_pb r = tb_pb_make(s);
	tb_pb_field f;
	int rc;
	while ((rc = tb_pb_next(&f, &r)) == 1) {
		if (f.num == 1 && f.wire == TB_PB_VARINT)
			ei->status = (int)(int32_t)f.u;
		else if (f.num == 2 && f.wire == TB_PB_I64)
			ei->end_time = tb_pb_double(&f);
	}
	return rc;
}

int hp_decode(void *out, int which, const uint8_t *p, size_t n)
{
	tb_pb r = tb_pb_make(tb_slice_make(p ? p : (const uint8_t *)"", p ? n : 0));
	tb_pb_field f;
	int rc, member = 0;
	uint64_t version = 0;
	tb_slice data = {0};
	while ((rc = tb_pb_next(&f, &r)) == 1) {
		if (f.num == 1 && f.wire == TB_PB_VARINT)
			version = f.u;
		else if (f.num >= 2 && f.num <= 4 && f.wire == TB_PB_LEN) {
			member = (int)f.num;
			data = f.len;
		}
	}
	if (which == HP_DATA_EXPERIMENT) {
		hp_experiment *e = out;
		e->name = empty();
		e->description = empty();
		e->user = empty();
	} else if (which == HP_DATA_START) {
		hp_start_info *si = out;
		si->hparams.kind = HP_STRUCT;
		si->model_uri = empty();
		si->monitor_url = empty();
		si->group_name = empty();
	}
	if (rc || version != 0 || member != which)
		return TB_ECORRUPT;
	switch (which) {
	case HP_DATA_EXPERIMENT:
		return decode_experiment(out, data) ? TB_ECORRUPT : 0;
	case HP_DATA_START:
		return decode_start(out, data) ? TB_ECORRUPT : 0;
	default:
		return decode_end(out, data) ? TB_ECORRUPT : 0;
	}
}

void hp_experiment_free(hp_experiment *e)
{
	if (!e)
		return;
	free(e->name);
	free(e->description);
	free(e->user);
	for (size_t i = 0; i < e->n_hparams; i++) {
		hp_hparam_info *h = &e->hparams[i];
		free(h->name);
		free(h->display_name);
		free(h->description);
		hp_value_free(&h->discrete);
	}
	free(e->hparams);
	for (size_t i = 0; i < e->n_metrics; i++) {
		hp_metric_info *m = &e->metrics[i];
		free(m->name.group);
		free(m->name.tag);
		free(m->display_name);
		free(m->description);
	}
	free(e->metrics);
	memset(e, 0, sizeof *e);
}

void hp_start_info_free(hp_start_info *s)
{
	if (!s)
		return;
	hp_value_free(&s->hparams);
	free(s->model_uri);
	free(s->monitor_url);
	free(s->group_name);
	memset(s, 0, sizeof *s);
}
