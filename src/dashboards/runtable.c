/* The run-query table of the store (see runtable.h). Built per request:
 * one pass over the runs decodes each session_start_info once, a sorted
 * name index pairs PyTorch-style hparams children with their parents in
 * O(n log n), and scalar series are only looked up when a query asks. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "hparams.h"
#include "proto/event.h"
#include "runtable.h"

/* What a table was built from, per store run in store order: the run, its
 * name and its session_start_info content. The same three for every run
 * give the same table, so a cached one can be reused. */
typedef struct source {
	const tb_run *run;
	char *name;	  /* owned copy */
	uint8_t *content; /* owned copy, NULL when the run has no session */
	size_t len;
} source;

struct tb_runtable {
	tb_rql_table *table;
	const tb_run **runs;  /* by table row */
	const tb_run **child; /* by table row: the hparams child, or NULL */
	source *src;
	size_t n_src;
	const tb_store *store;
	int refs; /* guarded by cache_lock */
};

/* The one cached table (see tb_runtable_get), guarded by cache_lock. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static tb_runtable *cached;

/* The reader of the request using a table on this thread, which holds the
 * run tb_runtable_series hands out: a cached table is read by several
 * requests at once. */
static __thread tb_reader *reading;

/* The series holding run r's session_start_info, as hp_read_start finds
 * it, or NULL. Caller holds r's lock. */
static const tb_series *session_series(const tb_run *r)
{
	static const char tag[] = "_hparams_/session_start_info";
	const tb_series *s = tb_run_find_series(r, tag, sizeof tag - 1);
	return s && strcmp(tb_series_plugin(s), "hparams") == 0 &&
		       tb_series_data_class(s) != TB_DC_SCALAR
		   ? s
		   : NULL;
}

static int cmp_name(const void *a, const void *b, void *payload)
{
	const tb_run **runs = payload;
	return strcmp(tb_run_name(runs[*(const size_t *)a]), tb_run_name(runs[*(const size_t *)b]));
}

/* Index (into runs) of the run named name, or -1; order sorts runs by name. */
static long find(const tb_run **runs, const size_t *order, size_t n, const char *name)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(tb_run_name(runs[order[mid]]), name);
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

tb_runtable *tb_runtable_new(tb_reader *rd)
{
	reading = rd;
	size_t n = tb_reader_run_count(rd), pos = 0;
	const tb_run **runs = tb_xcalloc(n + 1, sizeof *runs);
	hp_start_info *start = tb_xcalloc(n + 1, sizeof *start);
	char *own = tb_xcalloc(n + 1, 1);
	long *child = tb_xcalloc(n + 1, sizeof *child);
	size_t *kids = tb_xcalloc(n + 1, sizeof *kids);
	size_t *order = tb_xcalloc(n + 1, sizeof *order);
	tb_buf err = TB_BUF_INIT;
	source *src = tb_xcalloc(n + 1, sizeof *src);
	for (size_t i = 0; i < n; i++) {
		runs[i] = tb_reader_next_run(rd, &pos);
		order[i] = i;
		own[i] = hp_read_start(&start[i], runs[i], &err) > 0;
		const tb_series *ss = session_series(runs[i]);
		src[i] = (source){runs[i], tb_xstrdup(tb_run_name(runs[i])), NULL, 0};
		tb_slice c = ss ? tb_series_content(ss) : tb_slice_make(NULL, 0);
		if (c.len) {
			src[i].content = tb_xmalloc(c.len);
			memcpy(src[i].content, c.ptr, c.len);
			src[i].len = c.len;
		}
		tb_buf_clear(&err);
	}
	tb_reader_release(rd);
	qsort_r(order, n, sizeof *order, cmp_name, runs);
	for (size_t i = 0; i < n; i++) {
		if (!own[i] || strcmp(tb_run_name(runs[i]), ".") == 0)
			continue;
		const char *name = tb_run_name(runs[i]), *slash = strrchr(name, '/');
		char *parent = slash ? tb_xstrndup(name, (size_t)(slash - name)) : tb_xstrdup(".");
		long p = find(runs, order, n, parent);
		free(parent);
		if (p >= 0 && !own[p]) {
			kids[p]++;
			child[p] = (long)i;
		}
	}
	tb_runtable *rt = tb_xcalloc(1, sizeof *rt);
	rt->src = src;
	rt->n_src = n;
	rt->store = rd->store;
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
		size_t row = tb_rql_table_add_run(rt->table, tb_run_name(runs[i]));
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
	for (size_t i = 0; i < rt->n_src; i++) {
		free(rt->src[i].name);
		free(rt->src[i].content);
	}
	free(rt->src);
	free(rt->runs);
	free(rt->child);
	free(rt);
}

tb_rql_table *tb_runtable_table(tb_runtable *rt)
{
	return rt->table;
}

static int series_of(tb_rql_series *out, const tb_run *r, const char *tag)
{
	const tb_series *s =
	    tb_dash_series(tb_reader_hold(reading, r), tag, "scalars", TB_DC_SCALAR);
	if (!s) {
		tb_reader_release(reading);
		return 0;
	}
	*out = (tb_rql_series){NULL, NULL, tb_series_len(s), s};
	return 1;
}

int tb_runtable_series(tb_rql_series *out, size_t row, const char *tag, void *payload)
{
	tb_runtable *rt = payload;
	const tb_run *r = rt->runs[row];
	if (!series_of(out, r, tag)) {
		r = rt->child[row];
		if (!r || !series_of(out, r, tag))
			return 0;
	}
	return 1;
}

void tb_runtable_done(size_t row, void *payload)
{
	(void)row;
	(void)payload;
	tb_reader_release(reading);
}

/* Whether rt was built from exactly the runs and sessions rd's store holds
 * now. */
static int still_valid(const tb_runtable *rt, tb_reader *rd)
{
	if (rt->store != rd->store || rt->n_src != tb_reader_run_count(rd))
		return 0;
	size_t pos = 0;
	int same = 1;
	for (size_t i = 0; i < rt->n_src && same; i++) {
		const source *src = &rt->src[i];
		const tb_run *r = tb_reader_next_run(rd, &pos);
		if (r != src->run || strcmp(tb_run_name(r), src->name) != 0) {
			same = 0;
			break;
		}
		const tb_series *ss = session_series(r);
		tb_slice c = ss ? tb_series_content(ss) : tb_slice_make(NULL, 0);
		same = c.len == src->len && (!c.len || memcmp(c.ptr, src->content, c.len) == 0);
	}
	tb_reader_release(rd);
	return same;
}

tb_runtable *tb_runtable_get(tb_reader *rd)
{
	reading = rd;
	pthread_mutex_lock(&cache_lock);
	tb_runtable *rt = cached;
	if (rt)
		rt->refs++;
	pthread_mutex_unlock(&cache_lock);
	if (rt && still_valid(rt, rd))
		return rt;
	tb_runtable_put(rt);
	rt = tb_runtable_new(rd);
	rt->refs = 2; /* the caller's and the cache's */
	pthread_mutex_lock(&cache_lock);
	tb_runtable *old = cached;
	cached = rt;
	int drop = old && --old->refs == 0;
	pthread_mutex_unlock(&cache_lock);
	if (drop)
		tb_runtable_free(old);
	return rt;
}

void tb_runtable_put(tb_runtable *rt)
{
	if (!rt)
		return;
	pthread_mutex_lock(&cache_lock);
	int drop = --rt->refs == 0;
	pthread_mutex_unlock(&cache_lock);
	if (drop)
		tb_runtable_free(rt);
}
