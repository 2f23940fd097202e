/* Tables of runs and the run query evaluator.
 *
 * A table keeps hyperparameters by column: one array of values per
 * hparam name, indexed by run, so a query resolves each name once and
 * then reads one slot per run. Writers that set a run's hparams in the
 * same order for every run (the usual case) find each column on the first
 * guess. Evaluation fills a lazy cell matrix (run x query column): a
 * metric summary reads its series through the table's callback only when
 * a condition, a sort key or an output row first needs it, and at most
 * once. Tuned for 10,000 runs x 100 hparams. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "http/json.h"
#include "rql_int.h"
#include "store/store.h"

typedef struct hcol {
	char *name;
	tb_rql_value *v; /* by run; zeroed = missing; strings owned */
	size_t len;	 /* slots allocated */
} hcol;

struct tb_rql_table {
	char **names, **folders; /* owned */
	size_t n_runs, runs_cap;
	hcol *cols;
	size_t n_cols, cols_cap;
	size_t hint; /* where the next tb_rql_table_set looks first */
	tb_rql_series_fn get;
	tb_rql_done_fn done;
	void *payload;
};

tb_rql_table *tb_rql_table_new(void)
{
	return tb_xcalloc(1, sizeof(tb_rql_table));
}

void tb_rql_table_free(tb_rql_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_runs; i++) {
		free(t->names[i]);
		free(t->folders[i]);
	}
	for (size_t c = 0; c < t->n_cols; c++) {
		for (size_t i = 0; i < t->cols[c].len; i++)
			if (t->cols[c].v[i].type == TB_RQL_STR)
				free((char *)t->cols[c].v[i].str);
		free(t->cols[c].v);
		free(t->cols[c].name);
	}
	free(t->cols);
	free(t->names);
	free(t->folders);
	free(t);
}

void tb_rql_table_reserve(tb_rql_table *t, size_t n)
{
	size_t cap = t->runs_cap;
	t->names = tb_xgrow(t->names, &cap, n, sizeof *t->names);
	t->folders = tb_xgrow(t->folders, &t->runs_cap, n, sizeof *t->folders);
}

size_t tb_rql_table_add_run(tb_rql_table *t, const char *name)
{
	size_t cap = t->runs_cap;
	t->names = tb_xgrow(t->names, &cap, t->n_runs + 1, sizeof *t->names);
	t->folders = tb_xgrow(t->folders, &t->runs_cap, t->n_runs + 1, sizeof *t->folders);
	const char *slash = strrchr(name, '/');
	t->names[t->n_runs] = tb_xstrdup(name);
	t->folders[t->n_runs] = slash ? tb_xstrndup(name, (size_t)(slash - name)) : tb_xstrdup(".");
	return t->n_runs++;
}

static long find_col(const tb_rql_table *t, const char *name)
{
	for (size_t c = 0; c < t->n_cols; c++)
		if (strcmp(t->cols[c].name, name) == 0)
			return (long)c;
	return -1;
}

void tb_rql_table_set(tb_rql_table *t, size_t run, const char *name, const tb_rql_value *v)
{
	size_t c = t->hint;
	if (c >= t->n_cols || strcmp(t->cols[c].name, name) != 0) {
		long f = find_col(t, name);
		if (f < 0) {
			t->cols = tb_xgrow(t->cols, &t->cols_cap, t->n_cols + 1, sizeof *t->cols);
			t->cols[t->n_cols] = (hcol){tb_xstrdup(name), NULL, 0};
			f = (long)t->n_cols++;
		}
		c = (size_t)f;
	}
	t->hint = c + 1;
	hcol *h = &t->cols[c];
	if (run >= h->len) {
		/* Room for every run the table has room for: one allocation per
		 * column when the caller reserved (zeroed pages, no memset). */
		size_t len = h->len, want = t->runs_cap > run ? t->runs_cap : run + 1;
		if (!h->v) {
			h->v = tb_xcalloc(want, sizeof *h->v);
			h->len = want;
		} else {
			h->v = tb_xgrow(h->v, &h->len, want, sizeof *h->v);
			memset(h->v + len, 0, (h->len - len) * sizeof *h->v);
		}
	}
	if (h->v[run].type == TB_RQL_STR)
		free((char *)h->v[run].str);
	h->v[run] = *v;
	if (v->type == TB_RQL_STR)
		h->v[run].str = tb_xstrdup(v->str);
}

void tb_rql_table_series(tb_rql_table *t, tb_rql_series_fn get, tb_rql_done_fn done, void *payload)
{
	t->get = get;
	t->done = done;
	t->payload = payload;
}

size_t tb_rql_table_runs(const tb_rql_table *t)
{
	return t->n_runs;
}

const char *tb_rql_table_run_name(const tb_rql_table *t, size_t run)
{
	return t->names[run];
}

const char *tb_rql_table_folder(const tb_rql_table *t, size_t run)
{
	return t->folders[run];
}

static tb_rql_value col_value(const tb_rql_table *t, long c, size_t run)
{
	tb_rql_value none = {0};
	if (c < 0 || run >= t->cols[c].len)
		return none;
	return t->cols[c].v[run];
}

tb_rql_value tb_rql_table_get(const tb_rql_table *t, size_t run, const char *name)
{
	return col_value(t, find_col(t, name), run);
}

const char *tb_rql_format(char *buf, tb_rql_value v)
{
	switch (v.type) {
	case TB_RQL_NUM:
		tb_fmt_double(buf, v.num);
		return buf;
	case TB_RQL_STR:
		return v.str;
	case TB_RQL_BOOL:
		return v.num ? "true" : "false";
	default:
		return "";
	}
}

/* --- evaluation ---------------------------------------------------------- */

typedef struct eval {
	const tb_rql *q;
	tb_rql_table *t;
	long *hp; /* per query column: the table column of an hparam, or -1 */
	tb_rql_value *cells;
	unsigned char *have;
	size_t *by_name; /* run indices by name, built when a column reads a sub-run */
	tb_rql_error *err;
} eval;

static int64_t step_at(const tb_rql_series *s, size_t i)
{
	return s->packed ? tb_series_step(s->packed, i) : s->steps[i];
}

static double value_at(const tb_rql_series *s, size_t i)
{
	return s->packed ? tb_series_value(s->packed, i) : s->values[i];
}

/* First index of s whose step is >= st (after_eq = 1) or > st. */
static size_t bound(const tb_rql_series *s, int64_t st, int after_eq)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t m = step_at(s, mid);
		if (after_eq ? m < st : m <= st)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static tb_rql_value summarize(const rq_col *c, const tb_rql_series *s)
{
	tb_rql_value v = {TB_RQL_NUM, 0, NULL}, none = {0};
	if (c->fn == RQ_AT) {
		/* The point at the step, or the last one before it while the run
		 * reaches the step at all. */
		if (!s->n || step_at(s, s->n - 1) < c->lo)
			return none;
		size_t i = bound(s, c->lo, 0);
		if (i == 0)
			return none;
		v.num = value_at(s, i - 1);
		return v;
	}
	size_t i0 = c->has_lo ? bound(s, c->lo, 1) : 0;
	size_t i1 = c->has_hi ? bound(s, c->hi, 0) : s->n;
	if (c->fn == RQ_COUNT) {
		v.num = i1 > i0 ? (double)(i1 - i0) : 0;
		return v;
	}
	if (i1 <= i0)
		return none;
	if (c->fn == RQ_LAST || c->fn == RQ_FIRST) {
		v.num = value_at(s, c->fn == RQ_LAST ? i1 - 1 : i0);
		return v;
	}
	/* a packed series' range is unpacked once, then read as an array */
	size_t m = i1 - i0;
	double *unpacked = NULL;
	const double *x = s->values ? s->values + i0 : NULL;
	if (s->packed) {
		unpacked = tb_xmalloc(m * sizeof *unpacked);
		tb_series_copy(s->packed, i0, i1, NULL, unpacked);
		x = unpacked;
	}
	/* max, min and mean leave NaN points out (a NaN compares false, so
	 * max and min skip it without a test; one loop each vectorises). */
	size_t n = 0;
	double acc;
	if (c->fn == RQ_MAX) {
		acc = -INFINITY;
		for (size_t i = 0; i < m; i++) {
			acc = x[i] > acc ? x[i] : acc;
			n += x[i] == x[i];
		}
	} else if (c->fn == RQ_MIN) {
		acc = INFINITY;
		for (size_t i = 0; i < m; i++) {
			acc = x[i] < acc ? x[i] : acc;
			n += x[i] == x[i];
		}
	} else {
		acc = 0;
		for (size_t i = 0; i < m; i++) {
			int ok = x[i] == x[i];
			acc += ok ? x[i] : 0;
			n += (size_t)ok;
		}
		acc /= (double)(n ? n : 1);
	}
	free(unpacked);
	if (!n)
		return none;
	v.num = acc;
	return v;
}

static int name_cmp(const void *pa, const void *pb, void *payload)
{
	char *const *names = payload;
	return strcmp(names[*(const size_t *)pa], names[*(const size_t *)pb]);
}

/* The table index of run "<name of run>/<sub>", or -1 when there is none.
 * The first call sorts the runs by name (once per evaluation). */
static long sub_run(eval *e, size_t run, const char *sub)
{
	const tb_rql_table *t = e->t;
	if (!e->by_name) {
		e->by_name = tb_xcalloc(t->n_runs + 1, sizeof *e->by_name);
		for (size_t i = 0; i < t->n_runs; i++)
			e->by_name[i] = i;
		qsort_r(e->by_name, t->n_runs, sizeof *e->by_name, name_cmp, t->names);
	}
	const char *name = t->names[run];
	size_t nl = strlen(name);
	size_t lo = 0, hi = t->n_runs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *m = t->names[e->by_name[mid]];
		/* compare m with name + "/" + sub without building it */
		int c = strncmp(m, name, nl);
		if (!c)
			c = (unsigned char)m[nl] - (unsigned char)'/';
		if (!c)
			c = strcmp(m + nl + 1, sub);
		if (!c)
			return (long)e->by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static tb_rql_value cell(eval *e, size_t run, int col)
{
	if (col == RQ_RUN)
		return (tb_rql_value){TB_RQL_STR, 0, e->t->names[run]};
	size_t k = run * e->q->n_cols + (size_t)col;
	if (e->have[k])
		return e->cells[k];
	const rq_col *c = &e->q->cols[col];
	tb_rql_value v = {0};
	if (c->kind == RQ_COL_FOLDER) {
		v = (tb_rql_value){TB_RQL_STR, 0, e->t->folders[run]};
	} else if (c->kind == RQ_COL_HP) {
		v = col_value(e->t, e->hp[col], run);
	} else {
		tb_rql_series s;
		long from = c->sub ? sub_run(e, run, c->sub) : (long)run;
		if (from >= 0 && e->t->get && e->t->get(&s, (size_t)from, c->key, e->t->payload)) {
			v = summarize(c, &s);
			if (e->t->done)
				e->t->done((size_t)from, e->t->payload);
		} else if (c->fn == RQ_COUNT) {
			v = (tb_rql_value){TB_RQL_NUM, 0, NULL};
		}
	}
	e->cells[k] = v;
	e->have[k] = 1;
	return v;
}

static tb_rql_value operand(eval *e, size_t run, const rq_operand *o)
{
	return o->col == RQ_LITERAL ? o->lit : cell(e, run, o->col);
}

static int equal(tb_rql_value a, tb_rql_value b)
{
	if (a.type != b.type)
		return 0;
	if (a.type == TB_RQL_STR)
		return strcmp(a.str, b.str) == 0;
	return a.num == b.num;
}

static int compare(tb_rql_value a, int op, tb_rql_value b)
{
	if (a.type == TB_RQL_MISSING || b.type == TB_RQL_MISSING)
		return 0;
	if (a.type != b.type)
		return op == RQ_NE;
	if (a.type == TB_RQL_STR) {
		int c = strcmp(a.str, b.str);
		switch (op) {
		case RQ_EQ:
			return c == 0;
		case RQ_NE:
			return c != 0;
		case RQ_LT:
			return c < 0;
		case RQ_LE:
			return c <= 0;
		case RQ_GT:
			return c > 0;
		default:
			return c >= 0;
		}
	}
	switch (op) {
	case RQ_EQ:
		return a.num == b.num;
	case RQ_NE:
		return a.num != b.num;
	case RQ_LT:
		return a.num < b.num;
	case RQ_LE:
		return a.num <= b.num;
	case RQ_GT:
		return a.num > b.num;
	default:
		return a.num >= b.num;
	}
}

/* 1 when node n holds for run, 0 when not, or TB_EINVAL (err set). */
static int holds(eval *e, const rq_node *n, size_t run)
{
	int a;
	tb_rql_value v;
	switch (n->kind) {
	case RQ_TRUE:
		return 1;
	case RQ_OR:
	case RQ_AND:
		a = holds(e, n->a, run);
		if (a < 0 || a == (n->kind == RQ_OR))
			return a;
		return holds(e, n->b, run);
	case RQ_NOT:
		a = holds(e, n->a, run);
		return a < 0 ? a : !a;
	case RQ_CMP:
		return compare(operand(e, run, &n->l), n->op, operand(e, run, &n->r));
	case RQ_IN:
		v = operand(e, run, &n->l);
		if (v.type == TB_RQL_MISSING)
			return 0;
		for (size_t i = 0; i < n->n_set; i++)
			if (equal(v, n->set[i].lit))
				return !n->op;
		return n->op;
	case RQ_MATCH: {
		v = operand(e, run, &n->l);
		if (v.type == TB_RQL_MISSING)
			return 0;
		char buf[40];
		const char *s = tb_rql_format(buf, v);
		int m = tb_regex_exec(n->re, s, strlen(s), NULL, 0);
		if (m < 0) {
			e->err->col = n->col;
			snprintf(e->err->msg, sizeof e->err->msg,
				 "the regular expression reached its match limit on run '%.80s'",
				 e->t->names[run]);
			return TB_EINVAL;
		}
		return n->op ? !m : m;
	}
	default: /* RQ_TRUTH */
		v = operand(e, run, &n->l);
		return (v.type == TB_RQL_BOOL || v.type == TB_RQL_NUM) && v.num != 0 &&
		       !isnan(v.num);
	}
}

static int missing(tb_rql_value v)
{
	return v.type == TB_RQL_MISSING || (v.type == TB_RQL_NUM && isnan(v.num));
}

static int sort_cmp(const void *pa, const void *pb, void *payload)
{
	eval *e = payload;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	for (size_t k = 0; k < e->q->n_sort; k++) {
		const rq_sort *s = &e->q->sort[k];
		tb_rql_value va = cell(e, a, s->col), vb = cell(e, b, s->col);
		int ma = missing(va), mb = missing(vb);
		if (ma || mb) {
			if (ma != mb)
				return ma ? 1 : -1; /* missing last, either direction */
			continue;
		}
		int c;
		if (va.type != vb.type)
			c = va.type < vb.type ? -1 : 1;
		else if (va.type == TB_RQL_STR)
			c = strcmp(va.str, vb.str);
		else
			c = va.num < vb.num ? -1 : va.num > vb.num;
		if (c)
			return s->desc ? -c : c;
	}
	int c = strcmp(e->t->names[a], e->t->names[b]);
	return c ? c : (a > b) - (a < b);
}

struct tb_rql_result {
	size_t total, n_rows, n_cols;
	size_t *rows;
	tb_rql_value *cells; /* n_rows x n_cols */
};

int tb_rql_eval(tb_rql_result **out, const tb_rql *q, tb_rql_table *t, tb_rql_error *err)
{
	*out = NULL;
	memset(err, 0, sizeof *err);
	size_t nr = t->n_runs, nc = q->n_cols;
	eval e = {.q = q, .t = t, .err = err};
	e.hp = tb_xcalloc(nc + 1, sizeof *e.hp);
	for (size_t c = 0; c < nc; c++)
		e.hp[c] = q->cols[c].kind == RQ_COL_HP ? find_col(t, q->cols[c].key) : -1;
	e.cells = tb_xcalloc(nr * nc + 1, sizeof *e.cells);
	e.have = tb_xcalloc(nr * nc + 1, 1);
	size_t *match = tb_xcalloc(nr + 1, sizeof *match), n = 0;
	int rc = 0;
	for (size_t i = 0; i < nr; i++) {
		int h = holds(&e, q->where, i);
		if (h < 0) {
			rc = h;
			goto out;
		}
		if (h)
			match[n++] = i;
	}
	qsort_r(match, n, sizeof *match, sort_cmp, &e);
	tb_rql_result *r = tb_xcalloc(1, sizeof *r);
	r->total = n;
	r->n_rows = q->has_limit && q->limit < n ? (size_t)q->limit : n;
	r->n_cols = nc;
	r->rows = match;
	match = NULL;
	r->cells = tb_xcalloc(r->n_rows * nc + 1, sizeof *r->cells);
	for (size_t i = 0; i < r->n_rows; i++)
		for (size_t c = 0; c < nc; c++)
			r->cells[i * nc + c] = cell(&e, r->rows[i], (int)c);
	*out = r;
out:
	free(match);
	free(e.hp);
	free(e.cells);
	free(e.have);
	free(e.by_name);
	return rc;
}

void tb_rql_result_free(tb_rql_result *r)
{
	if (!r)
		return;
	free(r->rows);
	free(r->cells);
	free(r);
}

size_t tb_rql_result_total(const tb_rql_result *r)
{
	return r->total;
}

size_t tb_rql_result_rows(const tb_rql_result *r)
{
	return r->n_rows;
}

size_t tb_rql_result_run(const tb_rql_result *r, size_t row)
{
	return r->rows[row];
}

tb_rql_value tb_rql_result_value(const tb_rql_result *r, size_t row, size_t col)
{
	return r->cells[row * r->n_cols + col];
}
