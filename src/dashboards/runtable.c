/* The run-query table of the store (see runtable.h). Built per request:
 * one pass over the runs decodes each session_start_info once, a sorted
 * name index pairs PyTorch-style hparams children with their parents in
 * O(n log n), and scalar series are only looked up when a query asks. */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "hparams.h"
#include "proto/event.h"
#include "runtable.h"

struct tb_runtable {
	tb_rql_table *table;
	tb_run **runs;	 /* by table row */
	tb_run **child;	 /* by table row: the hparams child, or NULL */
	tb_run *locked;	 /* the run tb_runtable_series left locked */
};

static int cmp_name(const void *a, const void *b, void *payload)
{
	tb_run **runs = payload;
	return strcmp(runs[*(const size_t *)a]->name, runs[*(const size_t *)b]->name);
}

/* Index (into runs) of the run named name, or -1; order sorts runs by name. */
static long find(tb_run **runs, const size_t *order, size_t n, const char *name)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(runs[order[mid]]->name, name);
		if (c == 0)
			return (long)order[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static void set_hparams(tb_rql_table *t, size_t row, const hp_value *hp)
{
	for (size_t k = 0; k < hp->n; k++) {
		const hp_value *v = &hp->items[k];
		tb_rql_value x = {0};
		if (v->kind == HP_NUMBER)
			x = (tb_rql_value){TB_RQL_NUM, v->num, NULL};
		else if (v->kind == HP_STRING)
			x = (tb_rql_value){TB_RQL_STR, 0, v->str};
		else if (v->kind == HP_BOOL)
			x = (tb_rql_value){TB_RQL_BOOL, v->b != 0, NULL};
		else
			continue;
		tb_rql_table_set(t, row, hp->keys[k], &x);
	}
}

tb_runtable *tb_runtable_new(tb_store *s)
{
	size_t n = tb_store_run_count(s);
	tb_run **runs = tb_xcalloc(n + 1, sizeof *runs);
	hp_start_info *start = tb_xcalloc(n + 1, sizeof *start);
	char *own = tb_xcalloc(n + 1, 1);
	long *child = tb_xcalloc(n + 1, sizeof *child);
	size_t *kids = tb_xcalloc(n + 1, sizeof *kids);
	size_t *order = tb_xcalloc(n + 1, sizeof *order);
	tb_buf err = TB_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		runs[i] = tb_store_run_at(s, i);
		order[i] = i;
		tb_run_rdlock(runs[i]);
		own[i] = hp_read_start(&start[i], runs[i], &err) > 0;
		tb_run_unlock(runs[i]);
		tb_buf_clear(&err);
	}
	qsort_r(order, n, sizeof *order, cmp_name, runs);
	for (size_t i = 0; i < n; i++) {
		if (!own[i] || strcmp(runs[i]->name, ".") == 0)
			continue;
		const char *name = runs[i]->name, *slash = strrchr(name, '/');
		char *parent = slash ? tb_xstrndup(name, (size_t)(slash - name)) : tb_xstrdup(".");
		long p = find(runs, order, n, parent);
		free(parent);
		if (p >= 0 && !own[p]) {
			kids[p]++;
			child[p] = (long)i;
		}
	}
	tb_runtable *rt = tb_xcalloc(1, sizeof *rt);
	rt->table = tb_rql_table_new();
	tb_rql_table_reserve(rt->table, n);
	rt->runs = tb_xcalloc(n + 1, sizeof *rt->runs);
	rt->child = tb_xcalloc(n + 1, sizeof *rt->child);
	char *donor = tb_xcalloc(n + 1, 1);
	for (size_t i = 0; i < n; i++)
		if (kids[i] == 1)
			donor[child[i]] = 1;
	for (size_t i = 0; i < n; i++) {
		if (donor[i])
			continue;
		size_t row = tb_rql_table_add_run(rt->table, runs[i]->name);
		rt->runs[row] = runs[i];
		if (own[i]) {
			set_hparams(rt->table, row, &start[i].hparams);
		} else if (kids[i] == 1) {
			rt->child[row] = runs[child[i]];
			set_hparams(rt->table, row, &start[child[i]].hparams);
		}
	}
	tb_rql_table_series(rt->table, tb_runtable_series, tb_runtable_done, rt);
	for (size_t i = 0; i < n; i++)
		hp_start_info_free(&start[i]);
	free(start);
	free(own);
	free(child);
	free(kids);
	free(order);
	free(donor);
	free(runs);
	tb_buf_free(&err);
	return rt;
}

void tb_runtable_free(tb_runtable *rt)
{
	if (!rt)
		return;
	tb_rql_table_free(rt->table);
	free(rt->runs);
	free(rt->child);
	free(rt);
}

tb_rql_table *tb_runtable_table(tb_runtable *rt)
{
	return rt->table;
}

static int series_of(tb_rql_series *out, tb_run *r, const char *tag)
{
	tb_run_rdlock(r);
	const tb_series *s = tb_dash_series(r, tag, "scalars", TB_DC_SCALAR);
	if (!s) {
		tb_run_unlock(r);
		return 0;
	}
	*out = (tb_rql_series){s->steps, s->values, s->len};
	return 1;
}

int tb_runtable_series(tb_rql_series *out, size_t row, const char *tag, void *payload)
{
	tb_runtable *rt = payload;
	tb_run *r = rt->runs[row];
	if (!series_of(out, r, tag)) {
		r = rt->child[row];
		if (!r || !series_of(out, r, tag))
			return 0;
	}
	rt->locked = r;
	return 1;
}

void tb_runtable_done(size_t row, void *payload)
{
	tb_runtable *rt = payload;
	(void)row;
	if (rt->locked)
		tb_run_unlock(rt->locked);
	rt->locked = NULL;
}
