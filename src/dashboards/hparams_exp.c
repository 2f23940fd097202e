/* The hparams experiment (spec HTTP_API.md 10.3): the stored experiment
 * summary when a run has one, else one inferred from the sessions' hparam
 * values and the scalar tags under the session runs, else an empty one;
 * and its protobuf-JSON form.
 *
 * Built afresh for every request from the store (a few runs carry hparams
 * data, so this is cheap) through the caller's reader, one run at a
 * time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "hparams.h"
#include "proto/event.h"

static const char *const TYPE_NAMES[] = {"DATA_TYPE_UNSET", "DATA_TYPE_STRING", "DATA_TYPE_BOOL",
					 "DATA_TYPE_FLOAT64"};
static const char *const DATASET_NAMES[] = {"DATASET_UNKNOWN", "DATASET_TRAINING",
					    "DATASET_VALIDATION"};

/* An enum by name, or its number when it has no name (protobuf JSON). */
static void write_enum(tb_json *j, const char *const *names, int n, int v)
{
	if (v >= 0 && v < n)
		tb_json_str(j, names[v]);
	else
		tb_json_int(j, v);
}

void hp_write_value(tb_json *j, const hp_value *v)
{
	switch (v->kind) {
	case HP_NUMBER:
		tb_json_double(j, v->num);
		break;
	case HP_STRING:
		tb_json_str(j, v->str);
		break;
	case HP_BOOL:
		tb_json_bool(j, v->b);
		break;
	case HP_STRUCT:
		tb_json_obj_begin(j);
		for (size_t i = 0; i < v->n; i++) {
			tb_json_key(j, v->keys[i]);
			hp_write_value(j, &v->items[i]);
		}
		tb_json_obj_end(j);
		break;
	case HP_LIST:
		tb_json_arr_begin(j);
		for (size_t i = 0; i < v->n; i++)
			hp_write_value(j, &v->items[i]);
		tb_json_arr_end(j);
		break;
	default:
		tb_json_null(j);
	}
}

void hp_write_metric_name(tb_json *j, const hp_metric_name *m)
{
	tb_json_obj_begin(j);
	tb_json_key_str(j, "group", m->group);
	tb_json_key_str(j, "tag", m->tag);
	tb_json_obj_end(j);
}

void hp_write_experiment(tb_json *j, const hp_experiment *e)
{
	tb_json_obj_begin(j);
	tb_json_key_str(j, "name", e->name);
	tb_json_key_str(j, "description", e->description);
	tb_json_key_str(j, "user", e->user);
	tb_json_key(j, "timeCreatedSecs");
	tb_json_double(j, e->time_created);
	tb_json_key(j, "hparamInfos");
	tb_json_arr_begin(j);
	for (size_t i = 0; i < e->n_hparams; i++) {
		const hp_hparam_info *h = &e->hparams[i];
		tb_json_obj_begin(j);
		tb_json_key_str(j, "name", h->name);
		tb_json_key(j, "type");
		write_enum(j, TYPE_NAMES, 4, h->type);
		if (h->domain == HP_DOMAIN_DISCRETE) {
			tb_json_key(j, "domainDiscrete");
			hp_write_value(j, &h->discrete);
		} else if (h->domain == HP_DOMAIN_INTERVAL) {
			tb_json_key(j, "domainInterval");
			tb_json_obj_begin(j);
			tb_json_key(j, "minValue");
			tb_json_double(j, h->min);
			tb_json_key(j, "maxValue");
			tb_json_double(j, h->max);
			tb_json_obj_end(j);
		}
		tb_json_key_str(j, "displayName", h->display_name);
		tb_json_key_str(j, "description", h->description);
		tb_json_key(j, "differs");
		tb_json_bool(j, h->differs);
		tb_json_obj_end(j);
	}
	tb_json_arr_end(j);
	tb_json_key(j, "metricInfos");
	tb_json_arr_begin(j);
	for (size_t i = 0; i < e->n_metrics; i++) {
		const hp_metric_info *m = &e->metrics[i];
		tb_json_obj_begin(j);
		tb_json_key(j, "name");
		hp_write_metric_name(j, &m->name);
		tb_json_key_str(j, "displayName", m->display_name);
		tb_json_key_str(j, "description", m->description);
		tb_json_key(j, "datasetType");
		write_enum(j, DATASET_NAMES, 3, m->dataset_type);
		tb_json_obj_end(j);
	}
	tb_json_arr_end(j);
	tb_json_obj_end(j);
}

char *hp_metric_run(const char *session, const char *group)
{
	/* os.path.normpath(os.path.join(session, group)) */
	size_t sl = strlen(session), gl = strlen(group);
	char *joined = tb_xmalloc(sl + gl + 2);
	if (group[0] == '/' || !session[0])
		memcpy(joined, group, gl + 1);
	else
		snprintf(joined, sl + gl + 2, "%s/%s", session, group);
	int absolute = joined[0] == '/';
	char *out = tb_xmalloc(strlen(joined) + 2);
	size_t len = 0;
	char *save = NULL;
	for (char *c = strtok_r(joined, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			/* pop a component that is not itself ".." */
			size_t start = len;
			while (start > 0 && out[start - 1] != '/')
				start--;
			if (len > 0 && strcmp(out + start, "..") != 0) {
				len = start > 0 ? start - 1 : 0;
				out[len] = 0;
				continue;
			}
			if (absolute)
				continue;
		}
		if (len)
			out[len++] = '/';
		strcpy(out + len, c);
		len += strlen(c);
	}
	out[len] = 0;
	if (absolute) {
		memmove(out + 1, out, len + 1);
		out[0] = '/';
	} else if (!len) {
		strcpy(out, ".");
	}
	free(joined);
	return out;
}

/* ---- inference ----------------------------------------------------------- */

typedef struct collected {
	char *name;	    /* borrowed from a start info */
	const hp_value **v; /* values in session order (borrowed) */
	size_t n;
} collected;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int value_type(const hp_value *v)
{
	return v->kind == HP_NUMBER   ? HP_TYPE_FLOAT64
	       : v->kind == HP_STRING ? HP_TYPE_STRING
	       : v->kind == HP_BOOL   ? HP_TYPE_BOOL
				      : HP_TYPE_UNSET;
}

/* Fill h from the observed values of one hparam; returns 0 when none has
 * a type (the hparam is then left out). */
static int infer_info(hp_hparam_info *h, const collected *c)
{
	int type = HP_TYPE_UNSET;
	for (size_t i = 0; i < c->n && type != HP_TYPE_STRING; i++) {
		int t = value_type(c->v[i]);
		if (!t)
			continue;
		type = type == HP_TYPE_UNSET || type == t ? t : HP_TYPE_STRING;
	}
	if (type == HP_TYPE_UNSET)
		return 0;
	h->name = tb_xstrdup(c->name);
	h->display_name = tb_xstrdup("");
	h->description = tb_xstrdup("");
	h->type = type;
	if (type == HP_TYPE_STRING) {
		char **forms = tb_xcalloc(c->n + 1, sizeof *forms);
		size_t nf = 0;
		for (size_t i = 0; i < c->n; i++) {
			const hp_value *v = c->v[i];
			char num[40];
			if (v->kind == HP_STRING)
				forms[nf++] = tb_xstrdup(v->str);
			else if (v->kind == HP_BOOL)
				forms[nf++] = tb_xstrdup(v->b ? "true" : "false");
			else if (v->kind == HP_NUMBER && isfinite(v->num)) {
				tb_fmt_double(num, v->num);
				forms[nf++] = tb_xstrdup(num);
			}
		}
		if (nf > 1)
			qsort(forms, nf, sizeof *forms, cmp_str);
		h->domain = HP_DOMAIN_DISCRETE;
		h->discrete.kind = HP_LIST;
		for (size_t i = 0; i < nf; i++) {
			const hp_value *last =
			    h->discrete.n ? &h->discrete.items[h->discrete.n - 1] : NULL;
			if (last && strcmp(forms[i], last->str) == 0) {
				free(forms[i]);
				continue;
			}
			h->discrete.items =
			    tb_xrealloc(h->discrete.items, (h->discrete.n + 1) * sizeof(hp_value));
			hp_value *x = &h->discrete.items[h->discrete.n++];
			memset(x, 0, sizeof *x);
			x->kind = HP_STRING;
			x->str = forms[i];
		}
		free(forms);
		h->differs = h->discrete.n > 1;
	} else if (type == HP_TYPE_BOOL) {
		int seen[2] = {0, 0};
		for (size_t i = 0; i < c->n; i++)
			if (c->v[i]->kind == HP_BOOL)
				seen[c->v[i]->b] = 1;
		h->domain = HP_DOMAIN_DISCRETE;
		h->discrete.kind = HP_LIST;
		h->discrete.items = tb_xcalloc(2, sizeof(hp_value));
		for (int b = 0; b < 2; b++)
			if (seen[b]) {
				hp_value *x = &h->discrete.items[h->discrete.n++];
				x->kind = HP_BOOL;
				x->b = b;
			}
		h->differs = seen[0] && seen[1];
	} else {
		int first = 1;
		for (size_t i = 0; i < c->n; i++) {
			if (c->v[i]->kind != HP_NUMBER)
				continue;
			double x = c->v[i]->num;
			if (first || x < h->min)
				h->min = x;
			if (first || x > h->max)
				h->max = x;
			if (!first && x != c->v[0]->num)
				h->differs = 1;
			first = 0;
		}
		h->domain = HP_DOMAIN_INTERVAL;
	}
	return 1;
}

static int cmp_metric(const void *a, const void *b)
{
	const hp_metric_info *x = a, *y = b;
	int c = strcmp(x->name.tag, y->name.tag);
	return c ? c : strcmp(x->name.group, y->name.group);
}

/* The longest session name that is R or a '/'-ancestor of R, or NULL. */
static const char *owning_session(const char **sessions, size_t n, const char *r)
{
	const char *best = NULL;
	size_t bl = 0, rl = strlen(r);
	for (size_t i = 0; i < n; i++) {
		size_t sl = strlen(sessions[i]);
		if (sl > rl || strncmp(sessions[i], r, sl) != 0 || (sl < rl && r[sl] != '/'))
			continue;
		if (!best || sl > bl) {
			best = sessions[i];
			bl = sl;
		}
	}
	return best;
}

static void infer_metrics(hp_experiment *e, tb_reader *rd, const char **sessions, size_t n_sessions)
{
	size_t pos = 0;
	for (const tb_run *r; (r = tb_reader_next_run(rd, &pos));) {
		const char *name = tb_run_name(r);
		const char *owner = owning_session(sessions, n_sessions, name);
		if (!owner)
			continue;
		const char *group = name[strlen(owner)] ? name + strlen(owner) + 1 : "";
		size_t k = 0;
		for (const tb_series *ser;
		     (ser = tb_run_next_series(r, &k, "scalars", TB_DC_SCALAR));) {
			e->metrics =
			    tb_xrealloc(e->metrics, (e->n_metrics + 1) * sizeof *e->metrics);
			hp_metric_info *m = &e->metrics[e->n_metrics++];
			memset(m, 0, sizeof *m);
			m->name.group = tb_xstrdup(group);
			m->name.tag = tb_xstrndup(tb_series_tag(ser), tb_series_tag_len(ser));
			m->display_name = tb_xstrdup("");
			m->description = tb_xstrdup("");
		}
	}
	tb_reader_release(rd);
	if (e->n_metrics > 1)
		qsort(e->metrics, e->n_metrics, sizeof *e->metrics, cmp_metric);
	size_t w = 0;
	for (size_t i = 0; i < e->n_metrics; i++) {
		if (w > 0 && cmp_metric(&e->metrics[w - 1], &e->metrics[i]) == 0) {
			free(e->metrics[i].name.group);
			free(e->metrics[i].name.tag);
			free(e->metrics[i].display_name);
			free(e->metrics[i].description);
			continue;
		}
		e->metrics[w++] = e->metrics[i];
	}
	e->n_metrics = w;
}

/* Decode the hparams content of `tag` in run r (held by the caller's
 * reader). Returns 1 decoded, 0 no such series, or TB_ECORRUPT with err
 * set. */
static int read_content(void *out, const tb_run *r, const char *tag, int which, tb_buf *err)
{
	const tb_series *ser = tb_run_find_series(r, tag, strlen(tag));
	if (!ser || strcmp(tb_series_plugin(ser), "hparams") != 0 ||
	    tb_series_data_class(ser) == TB_DC_SCALAR)
		return 0;
	tb_slice c = tb_series_content(ser);
	if (hp_decode(out, which, c.ptr, c.len) == 0)
		return 1;
	tb_buf_printf(err, "Invalid hparams plugin data in run '%s', tag '%s'", tb_run_name(r),
		      tag);
	return TB_ECORRUPT;
}

int hp_read_start(hp_start_info *out, const tb_run *r, tb_buf *err)
{
	return read_content(out, r, "_hparams_/session_start_info", HP_DATA_START, err);
}

int hp_read_end(hp_end_info *out, const tb_run *r, tb_buf *err)
{
	return read_content(out, r, "_hparams_/session_end_info", HP_DATA_END, err);
}

static int infer(hp_experiment *e, tb_reader *rd, int include_metrics, tb_buf *err)
{
	size_t nr = tb_reader_run_count(rd), n_sessions = 0, n_col = 0, pos = 0;
	hp_start_info *starts = tb_xcalloc(nr + 1, sizeof *starts);
	const char **sessions = tb_xcalloc(nr + 1, sizeof *sessions);
	collected *col = NULL;
	int rc = 0;
	for (size_t i = 0; i < nr && rc == 0; i++) {
		const tb_run *r = tb_reader_next_run(rd, &pos);
		int got = hp_read_start(&starts[n_sessions], r, err);
		if (got < 0) {
			hp_start_info_free(&starts[n_sessions]);
			rc = got;
		} else if (got) {
			sessions[n_sessions++] = tb_run_name(r);
		} else {
			hp_start_info_free(&starts[n_sessions]);
		}
	}
	for (size_t i = 0; i < n_sessions && rc == 0; i++) {
		const hp_value *hp = &starts[i].hparams;
		for (size_t k = 0; k < hp->n; k++) {
			size_t c = 0;
			while (c < n_col && strcmp(col[c].name, hp->keys[k]) != 0)
				c++;
			if (c == n_col) {
				col = tb_xrealloc(col, (n_col + 1) * sizeof *col);
				col[n_col++] = (collected){hp->keys[k], NULL, 0};
			}
			col[c].v = tb_xrealloc(col[c].v, (col[c].n + 1) * sizeof *col[c].v);
			col[c].v[col[c].n++] = &hp->items[k];
		}
	}
	if (rc == 0) {
		e->hparams = tb_xcalloc(n_col + 1, sizeof *e->hparams);
		for (size_t c = 0; c < n_col; c++)
			e->n_hparams += (size_t)infer_info(&e->hparams[e->n_hparams], &col[c]);
		if (include_metrics && e->n_hparams)
			infer_metrics(e, rd, sessions, n_sessions);
	}
	for (size_t c = 0; c < n_col; c++)
		free(col[c].v);
	free(col);
	for (size_t i = 0; i < n_sessions; i++)
		hp_start_info_free(&starts[i]);
	free(starts);
	free(sessions);
	return rc;
}

static int cmp_hparam(const void *a, const void *b)
{
	const hp_hparam_info *x = a, *y = b;
	if (x->differs != y->differs)
		return x->differs ? -1 : 1;
	return strcmp(x->name, y->name);
}

int hp_experiment_build(hp_experiment *out, tb_reader *rd, int include_metrics, int64_t limit,
			tb_buf *err)
{
	memset(out, 0, sizeof *out);
	int found = 0;
	size_t pos = 0;
	for (const tb_run *r; !found && (r = tb_reader_next_run(rd, &pos));) {
		found = read_content(out, r, "_hparams_/experiment", HP_DATA_EXPERIMENT, err);
		if (found < 0) {
			tb_reader_release(rd);
			hp_experiment_free(out);
			return found;
		}
	}
	if (found) {
		if (!include_metrics) {
			hp_experiment tmp = {0};
			tmp.metrics = out->metrics;
			tmp.n_metrics = out->n_metrics;
			out->metrics = NULL;
			out->n_metrics = 0;
			hp_experiment_free(&tmp);
		}
	} else {
		hp_experiment_free(out);
		out->name = tb_xstrdup("");
		out->description = tb_xstrdup("");
		out->user = tb_xstrdup("");
		int rc = infer(out, rd, include_metrics, err);
		if (rc) {
			hp_experiment_free(out);
			return rc;
		}
	}
	if (out->n_hparams > 1)
		qsort(out->hparams, out->n_hparams, sizeof *out->hparams, cmp_hparam);
	if (limit > 0 && (uint64_t)limit < out->n_hparams) {
		hp_experiment tmp = {0};
		tmp.hparams = out->hparams + limit;
		tmp.n_hparams = out->n_hparams - (size_t)limit;
		for (size_t i = 0; i < tmp.n_hparams; i++) {
			free(tmp.hparams[i].name);
			free(tmp.hparams[i].display_name);
			free(tmp.hparams[i].description);
			hp_value_free(&tmp.hparams[i].discrete);
		}
		out->n_hparams = (size_t)limit;
	}
	return 0;
}
