/* Comparing many runs (docs/HTTP_API.md, "Run queries and groups"):
 * /data/tboard/runs/query selects runs with the run query language, and
 * /data/tboard/groups folds a scalar tag of the selected runs into one
 * curve per group (center and band per aligned step).
 *
 * Alignment: a group's steps are the union of its members' retained steps;
 * at each step a member contributes its latest value at or before that
 * step (last observation carried forward), only within its own first..last
 * step, so a run that stopped early neither drags the mean nor is
 * extrapolated. When members log at the same steps (seeds of one config)
 * this is exact, no resampling. Groups whose union has more steps than
 * `points` keep an evenly spaced subset of them, last step included.
 * Everything is computed per request under the store read lock. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "dash.h"
#include "common/regex.h"
#include "runtable.h"

#define DEFAULT_POINTS 1000
/* Each aligned step visits every member, so a group costs members x
 * points: this bounds what one request can ask. */
#define MAX_POINTS 10000

/* A parameter from the query string, or from a POST form. */
static const char *param(const tb_req *req, const char *name)
{
	const char *v = NULL;
	if (strcmp(tb_req_method(req), "POST") == 0)
		v = tb_req_form(req, name);
	return v ? v : tb_req_query(req, name);
}

static void json_error(tb_resp *resp, const char *name, const char *msg, size_t col)
{
	tb_buf *b = tb_resp_body(resp);
	tb_buf_clear(b);
	tb_resp_status(resp, 400);
	tb_resp_type(resp, "application/json");
	tb_json j;
	tb_json_init(&j, b);
	tb_json_obj_begin(&j);
	tb_json_key(&j, "error");
	tb_json_str(&j, msg);
	tb_json_key(&j, "param");
	tb_json_str(&j, name);
	if (col) {
		tb_json_key(&j, "column");
		tb_json_int(&j, (int64_t)col);
	}
	tb_json_obj_end(&j);
}

static void write_value(tb_json *j, tb_rql_value v)
{
	switch (v.type) {
	case TB_RQL_NUM:
		tb_json_double(j, v.num);
		break;
	case TB_RQL_STR:
		tb_json_str(j, v.str);
		break;
	case TB_RQL_BOOL:
		tb_json_bool(j, v.num != 0);
		break;
	default:
		tb_json_null(j);
	}
}

/* Parse and run the `q` parameter over the store's runs: 0 with *table,
 * *query and *result set (the caller keeps rd open and frees them), or -1
 * with the 400 answer sent. */
static int select_runs(tb_runtable **rt, tb_rql **q, tb_rql_result **res, tb_resp *resp,
		       const tb_req *req, tb_reader *rd)
{
	const char *text = param(req, "q");
	tb_rql_error e;
	*rt = NULL;
	*res = NULL;
	if (tb_rql_parse(q, text ? text : "", text ? strlen(text) : 0, &e)) {
		json_error(resp, "q", e.msg, e.col);
		return -1;
	}
	*rt = tb_runtable_get(rd);
	if (tb_rql_eval(res, *q, tb_runtable_table(*rt), &e)) {
		json_error(resp, "q", e.msg, e.col);
		return -1;
	}
	return 0;
}

static void handle_query(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash *d = payload;
	tb_runtable *rt;
	tb_rql *q = NULL;
	tb_rql_result *r;
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	if (select_runs(&rt, &q, &r, resp, req, &rd))
		goto out;
	tb_rql_table *t = tb_runtable_table(rt);
	tb_json j;
	tb_json_init(&j, tb_resp_body(resp));
	tb_json_obj_begin(&j);
	tb_json_key(&j, "columns");
	tb_json_arr_begin(&j);
	for (size_t c = 0; c < tb_rql_columns(q); c++)
		tb_json_str(&j, tb_rql_column_name(q, c));
	tb_json_arr_end(&j);
	tb_json_key(&j, "runs");
	tb_json_arr_begin(&j);
	for (size_t i = 0; i < tb_rql_result_rows(r); i++) {
		tb_json_obj_begin(&j);
		tb_json_key(&j, "run");
		tb_json_str(&j, tb_rql_table_run_name(t, tb_rql_result_run(r, i)));
		tb_json_key(&j, "values");
		tb_json_arr_begin(&j);
		for (size_t c = 0; c < tb_rql_columns(q); c++)
			write_value(&j, tb_rql_result_value(r, i, c));
		tb_json_arr_end(&j);
		tb_json_obj_end(&j);
	}
	tb_json_arr_end(&j);
	tb_json_key(&j, "total");
	tb_json_int(&j, (int64_t)tb_rql_result_total(r));
	tb_json_obj_end(&j);
out:
	tb_rql_result_free(r);
	tb_runtable_put(rt);
	tb_reader_end(&rd);
	tb_rql_free(q);
}

/* --- groups -------------------------------------------------------------- */

enum { BY_FOLDER, BY_HP, BY_REGEX };
/* AGG_ and BAND_ in the order of parse_grouping's lists of names */
enum { AGG_MEAN, AGG_MEDIAN };
enum { BAND_STD, BAND_MINMAX, BAND_CI95 };

typedef struct grouping {
	int by, agg, band;
	char **hp; /* BY_HP: hparam names (owned) */
	size_t n_hp;
	tb_regex *re; /* BY_REGEX */
	uint64_t points;  /* aligned steps kept per group, 1..MAX_POINTS */
} grouping;

typedef struct member {
	char *group; /* owned */
	size_t row;  /* table row */
} member;

typedef struct curve {
	int64_t *steps;
	double *values;
	size_t n;
} curve;

static void grouping_free(grouping *g)
{
	for (size_t i = 0; i < g->n_hp; i++)
		free(g->hp[i]);
	free(g->hp);
	tb_regex_free(g->re);
}

/* The index in names (NULL-ended) of v into *out; an absent v (NULL) is
 * the first. Returns 0, or -1 when v is none of them. */
static int choice(int *out, const char *v, const char *const *names)
{
	for (int i = 0; names[i]; i++) {
		if (!v || strcmp(v, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

/* Read by, agg, band and points. Returns 0, or -1 with the 400 sent. */
static int parse_grouping(grouping *g, tb_resp *resp, const tb_req *req)
{
	const char *by = param(req, "by"), *agg = param(req, "agg"), *band = param(req, "band");
	const char *points = param(req, "points");
	if (!by || strcmp(by, "folder") == 0) {
		g->by = BY_FOLDER;
	} else if (strncmp(by, "hp:", 3) == 0) {
		g->by = BY_HP;
		size_t cap = 0;
		for (const char *s = by + 3; *s;) {
			size_t len = strcspn(s, ",");
			if (len) {
				g->hp = tb_xgrow(g->hp, &cap, g->n_hp + 1, sizeof *g->hp);
				g->hp[g->n_hp++] = tb_xstrndup(s, len);
			}
			s += len + (s[len] == ',');
		}
		if (!g->n_hp) {
			json_error(resp, "by", "hp: needs hyperparameter names, e.g. hp:lr,bs", 0);
			return -1;
		}
	} else if (strncmp(by, "regex:", 6) == 0) {
		g->by = BY_REGEX;
		char msg[200], full[260];
		size_t off;
		if (tb_regex_new(&g->re, by + 6, strlen(by + 6), TB_REGEX_SEARCH, msg, sizeof msg,
				 &off)) {
			snprintf(full, sizeof full, "bad regular expression at offset %zu: %s", off,
				 msg);
			json_error(resp, "by", full, 0);
			return -1;
		}
	} else {
		json_error(resp, "by", "by must be folder, hp:NAME,... or regex:PATTERN", 0);
		return -1;
	}
	static const char *const aggs[] = {"mean", "median", NULL};
	static const char *const bands[] = {"std", "minmax", "ci95", NULL};
	if (choice(&g->agg, agg, aggs)) {
		json_error(resp, "agg", "agg must be mean or median", 0);
		return -1;
	}
	if (choice(&g->band, band, bands)) {
		json_error(resp, "band", "band must be std, minmax or ci95", 0);
		return -1;
	}
	g->points = DEFAULT_POINTS;
	if (points &&
	    (tb_dash_parse_sample(&g->points, points) || g->points < 1 || g->points > MAX_POINTS)) {
		json_error(resp, "points", "points must be a count from 1 to 10000", 0);
		return -1;
	}
	return 0;
}

/* The group of table row `row`, or NULL when a regex does not match. */
static char *group_name(const grouping *g, tb_rql_table *t, size_t row)
{
	tb_buf b = TB_BUF_INIT;
	if (g->by == BY_FOLDER) {
		tb_buf_puts(&b, tb_rql_table_folder(t, row));
	} else if (g->by == BY_HP) {
		for (size_t i = 0; i < g->n_hp; i++) {
			char num[40];
			tb_rql_value v = tb_rql_table_get(t, row, g->hp[i]);
			tb_buf_printf(&b, "%s%s=%s", i ? ", " : "", g->hp[i],
				      v.type == TB_RQL_MISSING ? "(missing)"
							       : tb_rql_format(num, v));
		}
	} else {
		const char *name = tb_rql_table_run_name(t, row);
		size_t groups = tb_regex_groups(g->re), max = groups + 1;
		size_t *ov = tb_xcalloc(2 * max, sizeof *ov);
		if (tb_regex_exec(g->re, name, strlen(name), ov, max) == 1) {
			if (!groups)
				tb_buf_append(&b, name + ov[0], ov[1] - ov[0]);
			for (size_t k = 1; k <= groups; k++) {
				if (k > 1)
					tb_buf_putc(&b, '/');
				if (ov[2 * k] != SIZE_MAX)
					tb_buf_append(&b, name + ov[2 * k],
						      ov[2 * k + 1] - ov[2 * k]);
			}
			tb_buf_puts(&b, "");
		}
		free(ov);
		if (!b.ptr)
			return NULL;
	}
	if (!b.ptr)
		tb_buf_puts(&b, "");
	return tb_buf_detach(&b);
}

static int cmp_member(const void *a, const void *b, void *payload)
{
	const member *x = a, *y = b;
	int c = strcmp(x->group, y->group);
	if (c)
		return c;
	tb_rql_table *t = payload;
	return strcmp(tb_rql_table_run_name(t, x->row), tb_rql_table_run_name(t, y->row));
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Two-sided 95% Student t quantile with df degrees of freedom: the table
 * for df <= 30, then the first Cornish-Fisher term (error < 0.003). */
static double t95(size_t df)
{
	static const double t[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
				   2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
				   2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
				   2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
	const double z = 1.959964;
	if (df >= 1 && df <= 30)
		return t[df - 1];
	return z + (z * z * z + z) / (4.0 * (double)df);
}

/* FNV-1a: a group's colour key depends on its name only. */
static uint32_t color_key(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The aligned steps of a group: its members' steps, merged, thinned to
 * `points` evenly spaced ones (last kept) when there are more. */
static int64_t *grid(size_t *n_out, const curve *c, size_t n, uint64_t points)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += c[i].n;
	int64_t *g = tb_xcalloc(total + 1, sizeof *g);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(g + k, c[i].steps, c[i].n * sizeof *g);
		k += c[i].n;
	}
	qsort(g, total, sizeof *g, cmp_i64);
	size_t u = 0;
	for (size_t i = 0; i < total; i++)
		if (u == 0 || g[u - 1] != g[i])
			g[u++] = g[i];
	if (u > points) {
		size_t w = 0;
		for (uint64_t p = 0; p < points; p++) {
			size_t at = points == 1 ? u - 1 : (size_t)((p * (u - 1)) / (points - 1));
			if (w == 0 || g[w - 1] != g[at])
				g[w++] = g[at];
		}
		u = w;
	}
	*n_out = u;
	return g;
}

/* Write one group's curve: steps, center, lo, hi, n (steps where no
 * member has a number are left out). */
static void write_curve(tb_json *j, const grouping *gr, const curve *c, size_t n)
{
	size_t ns;
	int64_t *steps = grid(&ns, c, n, gr->points);
	size_t *at = tb_xcalloc(n + 1, sizeof *at);
	double *xs = tb_xcalloc(n + 1, sizeof *xs);
	double *out = tb_xcalloc(4 * ns + 1, sizeof *out); /* center, lo, hi, n */
	size_t kept = 0;
	for (size_t s = 0; s < ns; s++) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++) {
			const curve *ci = &c[i];
			if (!ci->n || steps[s] < ci->steps[0] || steps[s] > ci->steps[ci->n - 1])
				continue;
			while (at[i] + 1 < ci->n && ci->steps[at[i] + 1] <= steps[s])
				at[i]++;
			if (!isnan(ci->values[at[i]]))
				xs[m++] = ci->values[at[i]];
		}
		if (!m)
			continue;
		double sum = 0, lo = xs[0], hi = xs[0];
		for (size_t i = 0; i < m; i++) {
			sum += xs[i];
			lo = xs[i] < lo ? xs[i] : lo;
			hi = xs[i] > hi ? xs[i] : hi;
		}
		double mean = sum / (double)m, ss = 0;
		for (size_t i = 0; i < m; i++)
			ss += (xs[i] - mean) * (xs[i] - mean);
		double sd = m > 1 ? sqrt(ss / (double)(m - 1)) : 0;
		double center = mean;
		if (gr->agg == AGG_MEDIAN) {
			qsort(xs, m, sizeof *xs, cmp_double);
			center = m % 2 ? xs[m / 2] : (xs[m / 2 - 1] + xs[m / 2]) / 2;
		}
		if (gr->band == BAND_STD) {
			lo = center - sd;
			hi = center + sd;
		} else if (gr->band == BAND_CI95) {
			double h = m > 1 ? t95(m - 1) * sd / sqrt((double)m) : 0;
			lo = center - h;
			hi = center + h;
		}
		steps[kept] = steps[s];
		double *o = out + 4 * kept++;
		o[0] = center, o[1] = lo, o[2] = hi, o[3] = (double)m;
	}
	static const char *const names[] = {"center", "lo", "hi", "n"};
	tb_json_key(j, "steps");
	tb_json_arr_begin(j);
	for (size_t s = 0; s < kept; s++)
		tb_json_int(j, steps[s]);
	tb_json_arr_end(j);
	for (int k = 0; k < 4; k++) {
		tb_json_key(j, names[k]);
		tb_json_arr_begin(j);
		for (size_t s = 0; s < kept; s++) {
			if (k == 3)
				tb_json_int(j, (int64_t)out[4 * s + 3]);
			else
				tb_json_double(j, out[4 * s + k]);
		}
		tb_json_arr_end(j);
	}
	free(steps);
	free(at);
	free(xs);
	free(out);
}

/* Copy run `row`'s series `tag` into *c; 0 when it has none. */
static int read_curve(curve *c, tb_runtable *rt, size_t row, const char *tag)
{
	tb_rql_series s;
	if (!tb_runtable_series(&s, row, tag, rt))
		return 0;
	c->n = s.n;
	c->steps = tb_xcalloc(s.n + 1, sizeof *c->steps);
	c->values = tb_xcalloc(s.n + 1, sizeof *c->values);
	if (s.packed) {
		tb_series_copy(s.packed, 0, s.n, c->steps, c->values);
	} else {
		memcpy(c->steps, s.steps, s.n * sizeof *c->steps);
		memcpy(c->values, s.values, s.n * sizeof *c->values);
	}
	tb_runtable_done(row, rt);
	return 1;
}

/* One group: members[0..n) share a name. Members without the tag are left
 * out, and a group left with none is not written. */
static void write_group(tb_json *j, const grouping *gr, tb_runtable *rt, const member *mem,
			size_t n, const char *tag)
{
	tb_rql_table *t = tb_runtable_table(rt);
	curve *c = tb_xcalloc(n + 1, sizeof *c);
	size_t *rows = tb_xcalloc(n + 1, sizeof *rows), k = 0;
	for (size_t i = 0; i < n; i++)
		if (read_curve(&c[k], rt, mem[i].row, tag))
			rows[k++] = mem[i].row;
	if (k) {
		tb_json_obj_begin(j);
		tb_json_key(j, "name");
		tb_json_str(j, mem[0].group);
		tb_json_key(j, "key");
		tb_json_int(j, color_key(mem[0].group));
		tb_json_key(j, "members");
		tb_json_arr_begin(j);
		for (size_t i = 0; i < k; i++)
			tb_json_str(j, tb_rql_table_run_name(t, rows[i]));
		tb_json_arr_end(j);
		write_curve(j, gr, c, k);
		tb_json_obj_end(j);
	}
	for (size_t i = 0; i < k; i++) {
		free(c[i].steps);
		free(c[i].values);
	}
	free(c);
	free(rows);
}

static void handle_groups(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash *d = payload;
	const char *tag = param(req, "tag");
	grouping gr = {0};
	tb_runtable *rt = NULL;
	tb_rql *q = NULL;
	tb_rql_result *r = NULL;
	member *mem = NULL;
	size_t n = 0;
	if (!tag || !*tag) {
		json_error(resp, "tag", "tag is required", 0);
		goto out;
	}
	if (parse_grouping(&gr, resp, req))
		goto out;
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	if (select_runs(&rt, &q, &r, resp, req, &rd))
		goto unlock;
	tb_rql_table *t = tb_runtable_table(rt);
	size_t rows = tb_rql_result_rows(r);
	mem = tb_xcalloc(rows + 1, sizeof *mem);
	tb_json j;
	tb_json_init(&j, tb_resp_body(resp));
	tb_json_obj_begin(&j);
	tb_json_key(&j, "tag");
	tb_json_str(&j, tag);
	tb_json_key(&j, "unmatched");
	tb_json_arr_begin(&j);
	for (size_t i = 0; i < rows; i++) {
		size_t row = tb_rql_result_run(r, i);
		char *g = group_name(&gr, t, row);
		if (!g) {
			tb_json_str(&j, tb_rql_table_run_name(t, row));
			continue;
		}
		mem[n++] = (member){g, row};
	}
	tb_json_arr_end(&j);
	qsort_r(mem, n, sizeof *mem, cmp_member, t);
	tb_json_key(&j, "groups");
	tb_json_arr_begin(&j);
	for (size_t i = 0; i < n;) {
		size_t e = i + 1;
		while (e < n && strcmp(mem[e].group, mem[i].group) == 0)
			e++;
		write_group(&j, &gr, rt, mem + i, e - i, tag);
		i = e;
	}
	tb_json_arr_end(&j);
	tb_json_obj_end(&j);
unlock:
	tb_rql_result_free(r);
	tb_runtable_put(rt);
	tb_reader_end(&rd);
out:
	for (size_t i = 0; i < n; i++)
		free(mem[i].group);
	free(mem);
	tb_rql_free(q);
	grouping_free(&gr);
}

void tb_compare_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/tboard/runs/query", handle_query, d);
	tb_router_add(r, "/data/tboard/groups", handle_groups, d);
}
