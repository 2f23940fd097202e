/* Session groups (spec HTTP_API.md 10.4): every run with a session start
 * info is a session; sessions with the same group name form a group whose
 * metric values aggregate its sessions'. Groups are then filtered by the
 * request's columns, sorted (name first, then each ordered column from the
 * last to the first, stably) and sliced as a Python list would be.
 *
 * Values compare as upstream's Python does: numbers and booleans
 * numerically, strings by code point; a regexp filter searches anywhere
 * in the string (POSIX extended syntax). Where upstream fails with an
 * unhandled exception (a filter that does not fit the value, a column
 * holding numbers and strings) this answers TB_EINVAL instead. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/regex.h"
#include "hparams.h"
#include "proto/event.h"

static const char *const STATUS_NAMES[] = {"STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE",
					   "STATUS_RUNNING"};

/* The last stored point of each experiment metric for session `name`. */
static void session_metrics(hp_session *ss, tb_reader *rd, const hp_experiment *e)
{
	ss->mv = tb_xcalloc(e->n_metrics + 1, sizeof *ss->mv);
	for (size_t i = 0; i < e->n_metrics; i++) {
		const hp_metric_name *m = &e->metrics[i].name;
		char *run = hp_metric_run(ss->name, m->group);
		const tb_series *ser =
		    tb_dash_series(tb_reader_find_run(rd, run), m->tag, "scalars", TB_DC_SCALAR);
		free(run);
		if (ser && tb_series_len(ser)) {
			size_t p = tb_series_len(ser) - 1;
			ss->mv[ss->n_mv++] =
			    (hp_mval){m, tb_series_value(ser, p), tb_series_step(ser, p),
				      tb_series_wall(ser, p)};
		}
	}
}

static int same_metric(const hp_metric_name *a, const hp_metric_name *b)
{
	return strcmp(a->group, b->group) == 0 && strcmp(a->tag, b->tag) == 0;
}

static const hp_mval *find_mval(const hp_mval *mv, size_t n, const hp_metric_name *m)
{
	for (size_t i = 0; i < n; i++)
		if (same_metric(mv[i].name, m))
			return &mv[i];
	return NULL;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void aggregate_avg(hp_group *g)
{
	size_t cap = 0;
	for (size_t i = 0; i < g->n_sessions; i++)
		cap += g->sessions[i]->n_mv;
	g->mv = tb_xcalloc(cap + 1, sizeof *g->mv);
	int64_t *count = tb_xcalloc(cap + 1, sizeof *count);
	for (size_t i = 0; i < g->n_sessions; i++)
		for (size_t k = 0; k < g->sessions[i]->n_mv; k++) {
			const hp_mval *v = &g->sessions[i]->mv[k];
			size_t a = 0;
			while (a < g->n_mv && !same_metric(g->mv[a].name, v->name))
				a++;
			if (a == g->n_mv)
				g->mv[g->n_mv++] = (hp_mval){v->name, 0, 0, 0};
			g->mv[a].value += v->value;
			g->mv[a].step += v->step;
			g->mv[a].wall += v->wall;
			count[a]++;
		}
	for (size_t a = 0; a < g->n_mv; a++) {
		g->mv[a].value /= (double)count[a];
		g->mv[a].wall /= (double)count[a];
		g->mv[a].step = floor_div(g->mv[a].step, count[a]);
	}
	free(count);
}

/* MIN, MAX, MEDIAN: copy the metric values of the session chosen by its
 * value of metric m (first of equals; median = lower middle). */
static void aggregate_pick(hp_group *g, int type, const hp_metric_name *m)
{
	size_t n = 0, *idx = tb_xcalloc(g->n_sessions + 1, sizeof *idx);
	double *val = tb_xcalloc(g->n_sessions + 1, sizeof *val);
	for (size_t i = 0; i < g->n_sessions; i++) {
		const hp_mval *v = find_mval(g->sessions[i]->mv, g->sessions[i]->n_mv, m);
		if (!v)
			continue;
		/* insertion keeps equal values in session order (a stable sort) */
		size_t k = n;
		while (k > 0 && val[k - 1] > v->value) {
			val[k] = val[k - 1];
			idx[k] = idx[k - 1];
			k--;
		}
		val[k] = v->value;
		idx[k] = i;
		n++;
	}
	if (n) {
		size_t pick;
		if (type == HP_AGG_MEDIAN) {
			pick = idx[(n - 1) / 2];
		} else {
			/* the first session holding the extreme value */
			double want = type == HP_AGG_MIN ? val[0] : val[n - 1];
			pick = SIZE_MAX;
			for (size_t k = 0; k < n; k++)
				if (val[k] == want && idx[k] < pick)
					pick = idx[k];
		}
		const hp_session *ss = g->sessions[pick];
		g->mv = tb_xcalloc(ss->n_mv + 1, sizeof *g->mv);
		memcpy(g->mv, ss->mv, ss->n_mv * sizeof *g->mv);
		g->n_mv = ss->n_mv;
	}
	free(idx);
	free(val);
}

/* ---- columns ---------------------------------------------------------------- */

/* A column's value in a group, or NULL when missing. Numbers are boxed in
 * *tmp for metrics. */
static const hp_value *extract(hp_value *tmp, const hp_group *g, const hp_col *c)
{
	if (c->has_metric) {
		const hp_mval *v = find_mval(g->mv, g->n_mv, &c->metric);
		if (!v)
			return NULL;
		memset(tmp, 0, sizeof *tmp);
		tmp->kind = HP_NUMBER;
		tmp->num = v->value;
		return tmp;
	}
	for (size_t i = 0; i < g->hparams.n; i++)
		if (strcmp(g->hparams.keys[i], c->hparam) == 0) {
			const hp_value *v = &g->hparams.items[i];
			return v->kind == HP_NUMBER || v->kind == HP_STRING || v->kind == HP_BOOL
				   ? v
				   : NULL;
		}
	return NULL;
}

static int numeric(const hp_value *v)
{
	return v->kind == HP_NUMBER || v->kind == HP_BOOL;
}

static double as_number(const hp_value *v)
{
	return v->kind == HP_BOOL ? (double)v->b : v->num;
}

/* Whether group g passes column c's filter: 1, 0, or TB_EINVAL. */
static int passes(const hp_group *g, const hp_col *c, const tb_regex *re, tb_buf *err)
{
	hp_value tmp;
	const hp_value *v = extract(&tmp, g, c);
	if (!v)
		return !c->exclude_missing;
	switch (c->filter) {
	case HP_FILTER_REGEXP:
		if (v->kind != HP_STRING) {
			tb_buf_puts(err,
				    "Cannot use a regexp filter for a value that is not a string");
			return TB_EINVAL;
		}
		return tb_regex_match(re, v->str, strlen(v->str));
	case HP_FILTER_INTERVAL:
		if (!numeric(v)) {
			tb_buf_puts(
			    err, "Cannot use an interval filter for a value that is not a number");
			return TB_EINVAL;
		}
		return c->min <= as_number(v) && as_number(v) <= c->max;
	case HP_FILTER_DISCRETE:
		for (size_t i = 0; i < c->discrete.n; i++) {
			const hp_value *x = &c->discrete.items[i];
			if (numeric(x) && numeric(v) && as_number(x) == as_number(v))
				return 1;
			if (x->kind == HP_STRING && v->kind == HP_STRING &&
			    strcmp(x->str, v->str) == 0)
				return 1;
		}
		return 0;
	default:
		return 1;
	}
}

/* ---- stable sort ------------------------------------------------------------ */

typedef struct sort_key {
	const hp_col *col; /* NULL: by group name */
	int error;
} sort_key;

static int compare(sort_key *k, const hp_group *a, const hp_group *b)
{
	if (!k->col)
		return strcmp(a->name, b->name);
	hp_value ta, tb;
	const hp_value *x = extract(&ta, a, k->col), *y = extract(&tb, b, k->col);
	int missing_last =
	    k->col->order == HP_ORDER_ASC ? !k->col->missing_first : k->col->missing_first;
	int c;
	if (!x || !y) {
		c = !x && !y ? 0 : !x ? (missing_last ? 1 : -1) : (missing_last ? -1 : 1);
	} else if (numeric(x) && numeric(y)) {
		double p = as_number(x), q = as_number(y);
		c = p < q ? -1 : p > q ? 1 : 0;
	} else if (x->kind == HP_STRING && y->kind == HP_STRING) {
		c = strcmp(x->str, y->str);
	} else {
		k->error = 1;
		return 0;
	}
	return k->col->order == HP_ORDER_DESC ? -c : c;
}

static void merge_sort(hp_group **v, hp_group **tmp, size_t n, sort_key *k)
{
	if (n < 2)
		return;
	size_t h = n / 2;
	merge_sort(v, tmp, h, k);
	merge_sort(v + h, tmp, n - h, k);
	size_t i = 0, j = h, o = 0;
	while (i < h && j < n)
		tmp[o++] = compare(k, v[j], v[i]) < 0 ? v[j++] : v[i++];
	while (i < h)
		tmp[o++] = v[i++];
	while (j < n)
		tmp[o++] = v[j++];
	memcpy(v, tmp, n * sizeof *v);
}

static int cmp_session(const void *a, const void *b)
{
	return strcmp((*(hp_session *const *)a)->name, (*(hp_session *const *)b)->name);
}

/* ---- building --------------------------------------------------------------- */

static int status_allowed(const hp_groups_req *q, int status)
{
	for (size_t i = 0; i < q->n_statuses; i++)
		if (q->statuses[i] == status)
			return 1;
	return 0;
}

/* Read every session of the store into g->sessions. */
static int read_sessions(hp_groups *g, tb_reader *rd, const hp_groups_req *q, tb_buf *err)
{
	size_t nr = tb_reader_run_count(rd), pos = 0;
	g->starts = tb_xcalloc(nr + 1, sizeof *g->starts);
	g->sessions = tb_xcalloc(nr + 1, sizeof *g->sessions);
	for (size_t i = 0; i < nr; i++) {
		const tb_run *r = tb_reader_next_run(rd, &pos);
		hp_start_info *st = &g->starts[g->n_sessions];
		hp_end_info end = {0};
		int got = hp_read_start(st, r, err);
		int got_end = got > 0 ? hp_read_end(&end, r, err) : 0;
		if (got < 0 || got_end < 0) {
			g->n_sessions++; /* so that hp_groups_free frees st */
			return TB_ECORRUPT;
		}
		if (!got) {
			hp_start_info_free(st);
			continue;
		}
		hp_session *ss = &g->sessions[g->n_sessions++];
		ss->name = tb_run_name(r);
		ss->start = st;
		ss->end_time = end.end_time;
		ss->status = end.status;
		if (q->include_metrics)
			session_metrics(ss, rd, &g->exp);
	}
	return 0;
}

/* Group the allowed sessions; returns the groups in creation order. */
static hp_group **make_groups(size_t *n_out, hp_groups *g, const hp_groups_req *q)
{
	hp_group **groups = tb_xcalloc(g->n_sessions + 1, sizeof *groups);
	size_t n = 0;
	for (size_t i = 0; i < g->n_sessions; i++) {
		hp_session *ss = &g->sessions[i];
		if (!status_allowed(q, ss->status))
			continue;
		const char *name = ss->start->group_name[0] ? ss->start->group_name : ss->name;
		size_t k = 0;
		while (k < n && strcmp(groups[k]->name, name) != 0)
			k++;
		if (k == n) {
			hp_group *gr = tb_xcalloc(1, sizeof *gr);
			gr->name = name;
			gr->monitor_url = ss->start->monitor_url;
			gr->sessions = tb_xcalloc(g->n_sessions + 1, sizeof *gr->sessions);
			gr->hparams.kind = HP_STRUCT;
			const hp_value *hp = &ss->start->hparams;
			gr->hparams.keys = tb_xcalloc(hp->n + 1, sizeof(char *));
			gr->hparams.items = tb_xcalloc(hp->n + 1, sizeof(hp_value));
			for (size_t h = 0; h < hp->n; h++) {
				if (hp->items[h].kind == HP_NUMBER && !isfinite(hp->items[h].num))
					continue;
				gr->hparams.keys[gr->hparams.n] = tb_xstrdup(hp->keys[h]);
				hp_value_copy(&gr->hparams.items[gr->hparams.n++], &hp->items[h]);
			}
			groups[n++] = gr;
		}
		groups[k]->sessions[groups[k]->n_sessions++] = ss;
	}
	*n_out = n;
	return groups;
}

static void group_free(hp_group *gr)
{
	if (!gr)
		return;
	hp_value_free(&gr->hparams);
	free(gr->mv);
	free(gr->sessions);
	free(gr);
}

/* Keep only the hparams named by columns meant for the result (step 6). */
static void reduce_hparams(hp_group *gr, const hp_groups_req *q)
{
	size_t w = 0;
	for (size_t i = 0; i < gr->hparams.n; i++) {
		int keep = 0;
		for (size_t c = 0; c < q->n_cols && !keep; c++)
			keep = q->cols[c].hparam &&
			       strcmp(q->cols[c].hparam, gr->hparams.keys[i]) == 0 &&
			       q->cols[c].include_in_result != 0;
		if (keep) {
			gr->hparams.keys[w] = gr->hparams.keys[i];
			gr->hparams.items[w++] = gr->hparams.items[i];
		} else {
			free(gr->hparams.keys[i]);
			hp_value_free(&gr->hparams.items[i]);
		}
	}
	gr->hparams.n = w;
}

/* Python's slice [start:start+len] of n items. */
static void py_slice(size_t *first, size_t *count, int64_t start, int64_t len, size_t n)
{
	int64_t lo = start, hi = start + len, sn = (int64_t)n;
	if (lo < 0)
		lo = lo + sn < 0 ? 0 : lo + sn;
	if (hi < 0)
		hi = hi + sn < 0 ? 0 : hi + sn;
	lo = lo > sn ? sn : lo;
	hi = hi > sn ? sn : hi;
	*first = (size_t)lo;
	*count = hi > lo ? (size_t)(hi - lo) : 0;
}

int hp_groups_build(hp_groups *out, tb_reader *rd, const hp_groups_req *q, tb_buf *err)
{
	memset(out, 0, sizeof *out);
	size_t nc = q->n_cols;
	tb_regex **re = tb_xcalloc(nc + 1, sizeof *re);
	int rc = 0, reduce = 0;
	for (size_t c = 0; c < nc && !rc; c++) {
		const hp_col *col = &q->cols[c];
		reduce |= col->include_in_result >= 0;
		if (!col->has_metric && (!col->hparam || !col->hparam[0])) {
			tb_buf_puts(
			    err, "Got ColParams with both \"metric\" and \"hparam\" fields unset");
			rc = TB_EINVAL;
		} else if (col->filter == HP_FILTER_REGEXP) {
			char msg[200];
			size_t off;
			int e = tb_regex_new(&re[c], col->regexp, strlen(col->regexp),
					     TB_REGEX_SEARCH, msg, sizeof msg, &off);
			if (e == TB_ENOMEM) {
				tb_buf_puts(err, "Invalid filter regexp: out of memory");
				rc = TB_EINVAL;
			} else if (e) {
				tb_buf_printf(err, "Invalid filter regexp: %s at position %zu", msg,
					      off);
				rc = TB_EINVAL;
			}
		}
	}
	if (!rc && (q->agg_type < HP_AGG_UNSET || q->agg_type > HP_AGG_MAX)) {
		tb_buf_puts(err, "Unknown aggregation_type");
		rc = TB_EINVAL;
	}
	if (!rc)
		rc = hp_experiment_build(&out->exp, rd, q->include_metrics, 0, err);
	if (!rc)
		rc = read_sessions(out, rd, q, err);

	size_t n = 0;
	hp_group **groups = rc ? NULL : make_groups(&n, out, q);
	for (size_t i = 0; i < n; i++) {
		hp_group *gr = groups[i];
		if (gr->n_sessions > 1)
			qsort(gr->sessions, gr->n_sessions, sizeof *gr->sessions, cmp_session);
		if (q->agg_type == HP_AGG_AVG || q->agg_type == HP_AGG_UNSET)
			aggregate_avg(gr);
		else
			aggregate_pick(gr, q->agg_type, &q->agg_metric);
	}
	/* filter */
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		int ok = rc ? 0 : 1;
		for (size_t c = 0; c < nc && ok == 1; c++)
			if (q->cols[c].filter || q->cols[c].exclude_missing)
				ok = passes(groups[i], &q->cols[c], re[c], err);
		if (ok < 0)
			rc = TB_EINVAL;
		if (ok == 1 && !rc)
			groups[kept++] = groups[i];
		else
			group_free(groups[i]);
	}
	if (rc) {
		for (size_t i = 0; i < kept; i++)
			group_free(groups[i]);
		kept = 0;
	}
	n = kept;
	/* sort */
	hp_group **tmp = tb_xcalloc(n + 1, sizeof *tmp);
	sort_key key = {NULL, 0};
	merge_sort(groups, tmp, n, &key);
	for (size_t c = nc; c-- > 0 && !key.error && n;) {
		if (q->cols[c].order == HP_ORDER_UNSPECIFIED)
			continue;
		key.col = &q->cols[c];
		merge_sort(groups, tmp, n, &key);
	}
	free(tmp);
	if (key.error) {
		tb_buf_puts(err, "Cannot sort a column holding values of different types");
		rc = TB_EINVAL;
	}
	for (size_t i = 0; i < n && reduce; i++)
		reduce_hparams(groups[i], q);
	out->groups = groups;
	out->n_groups = n;
	py_slice(&out->first, &out->count, q->start, q->slice, n);
	for (size_t c = 0; c < nc; c++)
		tb_regex_free(re[c]);
	free(re);
	return rc;
}

void hp_groups_free(hp_groups *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n_groups; i++)
		group_free(g->groups[i]);
	free(g->groups);
	for (size_t i = 0; i < g->n_sessions; i++) {
		hp_start_info_free(&g->starts[i]);
		free(g->sessions[i].mv);
	}
	free(g->starts);
	free(g->sessions);
	hp_experiment_free(&g->exp);
	memset(g, 0, sizeof *g);
}

/* ---- writing ------------------------------------------------------------------ */

static void write_mvals(tb_json *j, const hp_mval *mv, size_t n)
{
	tb_json_arr_begin(j);
	for (size_t i = 0; i < n; i++) {
		tb_json_obj_begin(j);
		tb_json_key(j, "name");
		hp_write_metric_name(j, mv[i].name);
		tb_json_key(j, "value");
		tb_json_double(j, mv[i].value);
		tb_json_key(j, "trainingStep");
		tb_json_int(j, mv[i].step);
		tb_json_key(j, "wallTimeSecs");
		tb_json_double(j, mv[i].wall);
		tb_json_obj_end(j);
	}
	tb_json_arr_end(j);
}

static void write_session(tb_json *j, const hp_session *ss)
{
	tb_json_obj_begin(j);
	tb_json_key(j, "name");
	tb_json_str(j, ss->name);
	tb_json_key(j, "startTimeSecs");
	tb_json_double(j, ss->start->start_time);
	tb_json_key(j, "endTimeSecs");
	tb_json_double(j, ss->end_time);
	tb_json_key(j, "status");
	if (ss->status >= 0 && ss->status < 4)
		tb_json_str(j, STATUS_NAMES[ss->status]);
	else
		tb_json_int(j, ss->status);
	tb_json_key(j, "modelUri");
	tb_json_str(j, ss->start->model_uri);
	tb_json_key(j, "metricValues");
	write_mvals(j, ss->mv, ss->n_mv);
	tb_json_key(j, "monitorUrl");
	tb_json_str(j, ss->start->monitor_url);
	tb_json_obj_end(j);
}

void hp_write_groups(tb_json *j, const hp_groups *g)
{
	tb_json_obj_begin(j);
	tb_json_key(j, "sessionGroups");
	tb_json_arr_begin(j);
	for (size_t i = g->first; i < g->first + g->count; i++) {
		const hp_group *gr = g->groups[i];
		tb_json_obj_begin(j);
		tb_json_key(j, "name");
		tb_json_str(j, gr->name);
		tb_json_key(j, "hparams");
		hp_write_value(j, &gr->hparams);
		tb_json_key(j, "metricValues");
		write_mvals(j, gr->mv, gr->n_mv);
		tb_json_key(j, "sessions");
		tb_json_arr_begin(j);
		for (size_t k = 0; k < gr->n_sessions; k++)
			write_session(j, gr->sessions[k]);
		tb_json_arr_end(j);
		tb_json_key(j, "monitorUrl");
		tb_json_str(j, gr->monitor_url);
		tb_json_obj_end(j);
	}
	tb_json_arr_end(j);
	tb_json_key(j, "totalSize");
	tb_json_int(j, (int64_t)g->n_groups);
	tb_json_obj_end(j);
}
