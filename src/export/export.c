/* Bulk export (see export.h). Each run is read into a private store whose
 * series are emptied after every event: the loader's conversions
 * (tb_compat_add_event) turn the event into points, those points are
 * written to their tables, and the series forgets them, so the store holds
 * series headers and at most one event's points. Per series a small state
 * remembers what it exports as (scalar, histogram, nothing) and the running
 * summary of a scalar series. Tuned for the 10M-point log directory of
 * bench/export_bench.sh: one hash probe per point is the main cost beyond
 * decoding. */
#include "export.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/log.h"
#include "dashboards/hparams.h"
#include "fs/fs.h"
#include "ingest/compat.h"
#include "ingest/scan.h"
#include "proto/event.h"
#include "record/rec_reader.h"
#include "store/store.h"

#define PROGRESS_RECORDS 65536
#define READ_BUF (256u << 10)

static const tb_table_col scalar_cols[] = {
    {"run", TB_COL_STRING, 0},	     {"tag", TB_COL_STRING, 0},	  {"step", TB_COL_INT64, 0},
    {"wall_time", TB_COL_DOUBLE, 0}, {"value", TB_COL_DOUBLE, 0},
};
static const tb_table_col histo_cols[] = {
    {"run", TB_COL_STRING, 0},	       {"tag", TB_COL_STRING, 0},
    {"step", TB_COL_INT64, 0},	       {"wall_time", TB_COL_DOUBLE, 0},
    {"bucket_left", TB_COL_DOUBLE, 0}, {"bucket_right", TB_COL_DOUBLE, 0},
    {"count", TB_COL_DOUBLE, 0},
};
static const tb_table_col hparam_cols[] = {
    {"run", TB_COL_STRING, 0},
    {"name", TB_COL_STRING, 0},
    {"number", TB_COL_DOUBLE, 1},
    {"text", TB_COL_STRING, 1},
};
static const tb_table_col summary_cols[] = {
    {"run", TB_COL_STRING, 0},	    {"tag", TB_COL_STRING, 0},
    {"points", TB_COL_INT64, 0},    {"first_step", TB_COL_INT64, 0},
    {"last_step", TB_COL_INT64, 0}, {"last_wall_time", TB_COL_DOUBLE, 0},
    {"min", TB_COL_DOUBLE, 0},	    {"max", TB_COL_DOUBLE, 0},
    {"mean", TB_COL_DOUBLE, 0},	    {"last", TB_COL_DOUBLE, 0},
};

static const struct {
	const char *name;
	const tb_table_col *cols;
	size_t n;
} tables[TB_EXPORT_TABLES] = {
    {"scalars", scalar_cols, sizeof scalar_cols / sizeof *scalar_cols},
    {"histograms", histo_cols, sizeof histo_cols / sizeof *histo_cols},
    {"hparams", hparam_cols, sizeof hparam_cols / sizeof *hparam_cols},
    {"summaries", summary_cols, sizeof summary_cols / sizeof *summary_cols},
};

const char *tb_export_table_name(int which)
{
	return which >= 0 && which < TB_EXPORT_TABLES ? tables[which].name : NULL;
}

int tb_export_table_find(const char *name)
{
	for (int i = 0; name && i < TB_EXPORT_TABLES; i++)
		if (strcmp(tables[i].name, name) == 0)
			return i;
	return -1;
}

tb_table *tb_export_table_new(int which, int format, int gzip, tb_table_out_fn out, void *payload)
{
	return tb_table_new(format, tables[which].cols, tables[which].n, gzip, out, payload);
}

enum { AS_NOTHING = 0, AS_SCALAR, AS_HISTOGRAM };

/* What one series exports as, and the running summary of a scalar one. */
typedef struct sstate {
	const tb_series *s;
	int as; /* AS_* */
	uint64_t points;
	int64_t first_step, last_step;
	double last_wall, min, max, sum, last;
} sstate;

typedef struct ex {
	const tb_export_opts *o;
	tb_export_progress p;
	tb_store *store;
	const char *run; /* name of the run being read */
	size_t run_len;
	sstate *st;
	size_t n_st, st_alloc;
	tb_idxset by_series; /* series pointer -> index in st */
	size_t last;	     /* index of the last state looked up + 1 */
	int err;
} ex;

static uint64_t hash_ptr(const void *p)
{
	uintptr_t v = (uintptr_t)p;
	return tb_hash_bytes(TB_HASH_SEED, &v, sizeof v);
}

static sstate *state_of(ex *x, const tb_series *s)
{
	if (x->last && x->st[x->last - 1].s == s)
		return &x->st[x->last - 1];
	uint64_t h = hash_ptr(s);
	size_t pos = 0, idx1;
	while ((idx1 = tb_idxset_next(&x->by_series, h, &pos)) != 0)
		if (x->st[idx1 - 1].s == s) {
			x->last = idx1;
			return &x->st[idx1 - 1];
		}
	x->st = tb_xgrow(x->st, &x->st_alloc, x->n_st + 1, sizeof *x->st);
	sstate *st = &x->st[x->n_st];
	memset(st, 0, sizeof *st);
	st->s = s;
	int wanted = !x->o->tags || tb_regex_match(x->o->tags, s->tag, s->tag_len);
	if (wanted && s->data_class == TB_DC_SCALAR &&
	    (x->o->tables[TB_EXPORT_SCALARS] || x->o->tables[TB_EXPORT_SUMMARIES]))
		st->as = AS_SCALAR;
	else if (wanted && s->data_class == TB_DC_TENSOR && strcmp(s->plugin, "histograms") == 0 &&
		 x->o->tables[TB_EXPORT_HISTOGRAMS])
		st->as = AS_HISTOGRAM;
	if (tb_idxset_add(&x->by_series, h, x->n_st))
		tb_xmalloc((size_t)-1); /* out of memory: abort as tb_x* do */
	x->last = ++x->n_st;
	return st;
}

static void keep_err(ex *x, int rc)
{
	if (rc && !x->err)
		x->err = rc;
}

static void put_scalar(ex *x, sstate *st, int64_t step, double wall, double v)
{
	if (st->points == 0) {
		st->first_step = step;
		st->min = st->max = v;
	}
	st->points++;
	st->last_step = step;
	st->last_wall = wall;
	st->last = v;
	st->min = fmin(st->min, v);
	st->max = fmax(st->max, v);
	st->sum += v;
	x->p.points++;
	tb_table *t = x->o->tables[TB_EXPORT_SCALARS];
	if (!t)
		return;
	tb_table_str(t, 0, x->run, x->run_len);
	tb_table_str(t, 1, st->s->tag, st->s->tag_len);
	tb_table_i64(t, 2, step);
	tb_table_f64(t, 3, wall);
	tb_table_f64(t, 4, v);
	keep_err(x, tb_table_end_row(t));
}

/* A histogram point: a [k, 3] tensor of (left, right, count) rows. */
static void put_histogram(ex *x, sstate *st, int64_t step, double wall, const tb_tensor *h)
{
	if (h->rank != 2 || h->dims[1] != 3 || h->dtype == TB_DT_STRING)
		return;
	tb_table *t = x->o->tables[TB_EXPORT_HISTOGRAMS];
	x->p.points++;
	for (int64_t k = 0; k < h->dims[0]; k++) {
		tb_table_str(t, 0, x->run, x->run_len);
		tb_table_str(t, 1, st->s->tag, st->s->tag_len);
		tb_table_i64(t, 2, step);
		tb_table_f64(t, 3, wall);
		for (int j = 0; j < 3; j++)
			tb_table_f64(t, (size_t)(4 + j), tb_tensor_double(h, (size_t)(3 * k + j)));
		keep_err(x, tb_table_end_row(t));
	}
}

/* Write the points s holds and forget them. */
static void take(ex *x, tb_series *s)
{
	sstate *st = state_of(x, s);
	for (size_t i = 0; i < s->len; i++) {
		if (st->as == AS_SCALAR)
			put_scalar(x, st, s->steps[i], s->walls[i], s->values[i]);
		else if (st->as == AS_HISTOGRAM)
			put_histogram(x, st, s->steps[i], s->walls[i], s->tensors[i]);
	}
	tb_series_clear(s);
}

/* After an event stored `stored` points: they are in the series stored
 * into last when it holds them all (one value per event, the usual
 * case), else in whichever series hold points (every other one is empty). */
static void drain(ex *x, tb_run *run, tb_series *prev, int stored)
{
	if (stored <= 0)
		return;
	if (prev && prev->len == (size_t)stored) {
		take(x, prev);
		return;
	}
	for (size_t i = 0; i < run->n_series; i++)
		if (run->series[i]->len)
			take(x, run->series[i]);
}

static int64_t io_read(void *payload, void *buf, size_t n, uint64_t off)
{
	return tb_fs_read(payload, buf, n, off);
}

static int64_t io_size(void *payload)
{
	tb_fs_stat st;
	return tb_fs_fstat(&st, payload) ? -1 : (int64_t)st.size;
}

static int report(ex *x)
{
	if (x->o->progress && x->o->progress(&x->p, x->o->payload))
		keep_err(x, TB_EINVAL);
	return x->err;
}

static void read_file(ex *x, tb_run *run, const char *path, uint8_t **buf, size_t *cap)
{
	tb_fs_file *fh;
	if (tb_fs_open(&fh, path)) {
		tb_log_warn("%s: cannot open (%s); not exported", path, tb_fs_errmsg());
		return;
	}
	tb_rec_reader *r = tb_rec_reader_new(path);
	tb_rec_io io = {io_read, io_size, fh};
	tb_rec_reader_attach(r, &io, *buf, *cap);
	tb_series *prev = NULL;
	uint64_t base = x->p.bytes_done, n = 0;
	tb_run_wrlock(run);
	for (;;) {
		tb_slice rec;
		int rc = tb_rec_reader_next(&rec, r);
		if (rc == TB_ECORRUPT) {
			tb_log_warn("%s: damaged record at byte %llu (%s); skipping to the next "
				    "intact record",
				    path, (unsigned long long)tb_rec_reader_damage_offset(r),
				    tb_rec_reader_damage_reason(r));
			continue;
		}
		if (rc == TB_EIO)
			tb_log_warn("%s: read error; the rest of the file is not exported", path);
		if (rc)
			break;
		tb_event ev;
		if (tb_event_decode(&ev, rec) == 0 && ev.what == TB_EV_SUMMARY) {
			int stored = tb_compat_add_event(x->store, run, &ev, &prev);
			drain(x, run, prev, stored);
		}
		if (x->err)
			break;
		if (++n % PROGRESS_RECORDS == 0) {
			x->p.bytes_done = base + tb_rec_reader_offset(r);
			if (report(x))
				break;
		}
	}
	tb_run_unlock(run);
	x->p.bytes_done = base + tb_rec_reader_offset(r);
	tb_rec_reader_detach(r, buf, cap);
	tb_rec_reader_free(r);
	tb_fs_close(fh);
}

static void put_hparams(ex *x, tb_run *run)
{
	tb_table *t = x->o->tables[TB_EXPORT_HPARAMS];
	hp_start_info start;
	memset(&start, 0, sizeof start);
	tb_buf err = TB_BUF_INIT;
	if (hp_read_start(&start, run, &err) < 0)
		tb_log_warn("%s", err.ptr);
	const hp_value *hp = &start.hparams;
	for (size_t k = 0; hp->kind == HP_STRUCT && k < hp->n && !x->err; k++) {
		const hp_value *v = &hp->items[k];
		if (v->kind != HP_NUMBER && v->kind != HP_STRING && v->kind != HP_BOOL)
			continue;
		tb_table_str(t, 0, x->run, x->run_len);
		tb_table_str(t, 1, hp->keys[k], strlen(hp->keys[k]));
		if (v->kind == HP_NUMBER)
			tb_table_f64(t, 2, v->num);
		if (v->kind == HP_BOOL) {
			tb_table_f64(t, 2, v->b ? 1 : 0);
			tb_table_str(t, 3, v->b ? "true" : "false", v->b ? 4 : 5);
		}
		if (v->kind == HP_STRING)
			tb_table_str(t, 3, v->str, strlen(v->str));
		keep_err(x, tb_table_end_row(t));
	}
	hp_start_info_free(&start);
	tb_buf_free(&err);
}

static void put_summaries(ex *x)
{
	tb_table *t = x->o->tables[TB_EXPORT_SUMMARIES];
	for (size_t i = 0; i < x->n_st && !x->err; i++) {
		const sstate *st = &x->st[i];
		if (st->as != AS_SCALAR || !st->points)
			continue;
		tb_table_str(t, 0, x->run, x->run_len);
		tb_table_str(t, 1, st->s->tag, st->s->tag_len);
		tb_table_i64(t, 2, (int64_t)st->points);
		tb_table_i64(t, 3, st->first_step);
		tb_table_i64(t, 4, st->last_step);
		tb_table_f64(t, 5, st->last_wall);
		tb_table_f64(t, 6, st->min);
		tb_table_f64(t, 7, st->max);
		tb_table_f64(t, 8, st->sum / (double)st->points);
		tb_table_f64(t, 9, st->last);
		keep_err(x, tb_table_end_row(t));
	}
}

static void export_one(ex *x, const char *name, const tb_scan_run *sr, uint8_t **buf, size_t *cap)
{
	tb_run *run = tb_store_add_run(x->store, name);
	x->run = name;
	x->run_len = strlen(name);
	for (size_t f = 0; f < sr->n_files && !x->err; f++) {
		char *path = tb_xasprintf("%s/%s", sr->dir, sr->files[f]);
		read_file(x, run, path, buf, cap);
		free(path);
		report(x);
	}
	tb_run_rdlock(run);
	if (!x->err && x->o->tables[TB_EXPORT_SUMMARIES])
		put_summaries(x);
	if (!x->err && x->o->tables[TB_EXPORT_HPARAMS])
		put_hparams(x, run);
	tb_run_unlock(run);
	tb_store_remove_run(x->store, run);
	x->n_st = 0;
	x->last = 0;
	tb_idxset_free(&x->by_series);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The run names to export, sorted, for bsearch; NULL for every run. */
static char **wanted_runs(const tb_export_opts *o)
{
	if (!o->runs)
		return NULL;
	char **v = tb_xcalloc(o->n_runs + 1, sizeof *v);
	memcpy(v, o->runs, o->n_runs * sizeof *v);
	qsort(v, o->n_runs, sizeof *v, cmp_str);
	return v;
}

typedef struct todo {
	char *name;
	const tb_scan_run *sr;
} todo;

int tb_export_run(tb_export_progress *out, const tb_export_opts *o)
{
	ex x = {.o = o, .store = tb_store_new()};
	tb_idxset empty = TB_IDXSET_INIT;
	x.by_series = empty;
	char **want = wanted_runs(o);
	tb_scan_result *res = tb_xcalloc(o->n_sources + 1, sizeof *res);
	todo *runs = NULL;
	size_t n = 0, alloc = 0;
	for (size_t s = 0; s < o->n_sources; s++) {
		tb_scan(&res[s], o->sources[s].path);
		const char *prefix = o->sources[s].name;
		for (size_t i = 0; i < res[s].n_runs; i++) {
			const tb_scan_run *sr = &res[s].runs[i];
			char *name =
			    prefix ? tb_xasprintf("%s/%s", prefix, sr->name) : tb_xstrdup(sr->name);
			if (want && !bsearch(&name, want, o->n_runs, sizeof *want, cmp_str)) {
				free(name);
				continue;
			}
			runs = tb_xgrow(runs, &alloc, n + 1, sizeof *runs);
			runs[n++] = (todo){name, sr};
			for (size_t f = 0; f < sr->n_files; f++) {
				char *path = tb_xasprintf("%s/%s", sr->dir, sr->files[f]);
				tb_fs_stat st;
				if (tb_fs_stat_path(&st, path) == 0)
					x.p.bytes += st.size;
				free(path);
			}
		}
	}
	x.p.runs = n;
	uint8_t *buf = tb_xmalloc(READ_BUF);
	size_t cap = READ_BUF;
	report(&x);
	for (size_t i = 0; i < n && !x.err; i++) {
		export_one(&x, runs[i].name, runs[i].sr, &buf, &cap);
		x.p.runs_done++;
		report(&x);
	}
	free(buf);
	for (size_t i = 0; i < n; i++)
		free(runs[i].name);
	free(runs);
	for (size_t s = 0; s < o->n_sources; s++)
		tb_scan_result_release(&res[s]);
	free(res);
	free(want);
	free(x.st);
	tb_idxset_free(&x.by_series);
	tb_store_free(x.store);
	if (out)
		*out = x.p;
	return x.err;
}
