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

typedef struct todo {
	char *name;
	const tb_scan_run *sr;
} todo;

struct tb_export {
	const tb_export_opts *o;
	tb_export_progress p;
	tb_store *store;
	tb_scan_result *scans; /* one per source */
	todo *todo;	       /* the runs to read, in order */
	size_t n_todo;
	/* where reading stands: run `at`, its file `file` (open when reader) */
	size_t at, file;
	tb_run *cur; /* the run being read, in store */
	tb_fs_file *fh;
	tb_rec_reader *reader;
	tb_series *prev;
	uint64_t base; /* bytes_done before the open file */
	uint8_t *buf;
	size_t cap;
	const char *run; /* name of the run being read */
	size_t run_len;
	sstate *st;
	size_t n_st, st_alloc;
	tb_idxset by_series; /* series pointer -> index in st */
	size_t last;	     /* index of the last state looked up + 1 */
	char **tags;	     /* o->tag_names sorted, or NULL */
	int err;
};
typedef struct tb_export ex;

static int cmp_str(const void *a, const void *b);

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
	const char *tag = tb_series_tag(s);
	int dc = tb_series_data_class(s);
	int wanted =
	    (!x->o->tags || tb_regex_match(x->o->tags, tag, tb_series_tag_len(s))) &&
	    (!x->tags || bsearch(&tag, x->tags, x->o->n_tag_names, sizeof *x->tags, cmp_str));
	if (wanted && dc == TB_DC_SCALAR &&
	    (x->o->tables[TB_EXPORT_SCALARS] || x->o->tables[TB_EXPORT_SUMMARIES]))
		st->as = AS_SCALAR;
	else if (wanted && dc == TB_DC_TENSOR && strcmp(tb_series_plugin(s), "histograms") == 0 &&
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
	tb_table_str(t, 1, tb_series_tag(st->s), tb_series_tag_len(st->s));
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
		tb_table_str(t, 1, tb_series_tag(st->s), tb_series_tag_len(st->s));
		tb_table_i64(t, 2, step);
		tb_table_f64(t, 3, wall);
		for (int j = 0; j < 3; j++)
			tb_table_f64(t, (size_t)(4 + j), tb_tensor_double(h, (size_t)(3 * k + j)));
		keep_err(x, tb_table_end_row(t));
	}
}

/* Write the points s holds (the loader forgets them after). */
static void take(const tb_series *s, void *payload)
{
	ex *x = payload;
	sstate *st = state_of(x, s);
	tb_tensor_tmp tmp = {0};
	tb_points pt;
	tb_series_points(&pt, s);
	for (size_t i = 0; i < pt.len; i++) {
		if (st->as == AS_SCALAR)
			put_scalar(x, st, tb_points_step(&pt, i), tb_points_wall(&pt, i),
				   tb_points_value(&pt, i));
		else if (st->as == AS_HISTOGRAM)
			put_histogram(x, st, tb_points_step(&pt, i), tb_points_wall(&pt, i),
				      tb_series_tensor(s, i, &tmp));
	}
	tb_tensor_tmp_free(&tmp);
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

static void close_file(ex *x)
{
	x->p.bytes_done = x->base + tb_rec_reader_offset(x->reader);
	tb_rec_reader_detach(x->reader, &x->buf, &x->cap);
	tb_rec_reader_free(x->reader);
	tb_fs_close(x->fh);
	x->reader = NULL;
	x->fh = NULL;
	x->file++;
}

/* Open the current run's next file; 0, or TB_ENOTFOUND when it cannot be
 * opened (logged; the caller moves on). */
static int open_file(ex *x)
{
	const tb_scan_run *sr = x->todo[x->at].sr;
	char *path = tb_xasprintf("%s/%s", sr->dir, sr->files[x->file]);
	int rc = 0;
	if (tb_fs_open(&x->fh, path)) {
		tb_log_warn("%s: cannot open (%s); not exported", path, tb_fs_errmsg());
		x->file++;
		rc = TB_ENOTFOUND;
		goto out;
	}
	x->reader = tb_rec_reader_new(path);
	tb_rec_io io = {io_read, io_size, x->fh};
	tb_rec_reader_attach(x->reader, &io, x->buf, x->cap);
	x->buf = NULL;
	x->cap = 0;
	x->prev = NULL;
	x->base = x->p.bytes_done;
out:
	free(path);
	return rc;
}

/* Read up to budget records of the open file; closes it at its end. A
 * record cut short at the end ends the file: an export takes what is there. */
static void read_records(ex *x, size_t *budget)
{
	while (*budget && !x->err) {
		tb_slice rec;
		int rc = tb_rec_reader_next(&rec, x->reader);
		if (rc == TB_ECORRUPT) {
			tb_log_warn("%s: damaged record at byte %llu (%s); skipping to the next "
				    "intact record",
				    x->todo[x->at].sr->files[x->file],
				    (unsigned long long)tb_rec_reader_damage_offset(x->reader),
				    tb_rec_reader_damage_reason(x->reader));
			continue;
		}
		if (rc == TB_EIO)
			tb_log_warn("%s: read error; the rest of the file is not exported",
				    x->todo[x->at].sr->files[x->file]);
		if (rc) {
			close_file(x);
			return;
		}
		(*budget)--;
		tb_event ev;
		if (tb_event_decode(&ev, rec) == 0 && ev.what == TB_EV_SUMMARY) {
			tb_compat_add_and_take(x->store, x->cur, &ev, &x->prev, take, x);
		}
	}
	x->p.bytes_done = x->base + tb_rec_reader_offset(x->reader);
}

static void put_hparams(ex *x, const tb_run *run)
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
		tb_table_str(t, 1, tb_series_tag(st->s), tb_series_tag_len(st->s));
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

/* The run's tables after its last file, then forget the run. */
static void finish_run(ex *x)
{
	tb_reader rd;
	tb_reader_begin(&rd, x->store);
	if (!x->err && x->o->tables[TB_EXPORT_SUMMARIES])
		put_summaries(x);
	if (!x->err && x->o->tables[TB_EXPORT_HPARAMS])
		put_hparams(x, tb_reader_find_run(&rd, x->run));
	tb_reader_end(&rd);
	tb_store_remove_run(x->store, x->cur);
	x->cur = NULL;
	x->n_st = 0;
	x->last = 0;
	tb_idxset_free(&x->by_series);
	x->at++;
	x->p.runs_done++;
}

int tb_export_step(tb_export *x, size_t budget)
{
	while (budget && !x->err) {
		if (!x->cur) {
			if (x->at == x->n_todo)
				return 0;
			x->cur = tb_store_add_run(x->store, x->todo[x->at].name);
			x->run = x->todo[x->at].name;
			x->run_len = strlen(x->run);
			x->file = 0;
		}
		if (!x->reader) {
			if (x->file == x->todo[x->at].sr->n_files)
				finish_run(x);
			else
				open_file(x);
			continue;
		}
		read_records(x, &budget);
	}
	return x->err ? x->err : 1;
}

const tb_export_progress *tb_export_progress_of(const tb_export *x)
{
	return &x->p;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A sorted copy of names[0..n) for bsearch; NULL for NULL. */
static char **sorted(const char *const *names, size_t n)
{
	if (!names)
		return NULL;
	char **v = tb_xcalloc(n + 1, sizeof *v);
	memcpy(v, names, n * sizeof *v);
	qsort(v, n, sizeof *v, cmp_str);
	return v;
}

tb_export *tb_export_new(const tb_export_opts *o)
{
	ex *x = tb_xcalloc(1, sizeof *x);
	x->o = o;
	x->store = tb_store_new();
	char **want = sorted(o->runs, o->n_runs);
	x->tags = sorted(o->tag_names, o->n_tag_names);
	x->scans = tb_xcalloc(o->n_sources + 1, sizeof *x->scans);
	size_t alloc = 0;
	for (size_t s = 0; s < o->n_sources; s++) {
		tb_scan(&x->scans[s], o->sources[s].path);
		const char *prefix = o->sources[s].name;
		for (size_t i = 0; i < x->scans[s].n_runs; i++) {
			const tb_scan_run *sr = &x->scans[s].runs[i];
			char *name =
			    prefix ? tb_xasprintf("%s/%s", prefix, sr->name) : tb_xstrdup(sr->name);
			if (want && !bsearch(&name, want, o->n_runs, sizeof *want, cmp_str)) {
				free(name);
				continue;
			}
			x->todo = tb_xgrow(x->todo, &alloc, x->n_todo + 1, sizeof *x->todo);
			x->todo[x->n_todo++] = (todo){name, sr};
			for (size_t f = 0; f < sr->n_files; f++) {
				char *path = tb_xasprintf("%s/%s", sr->dir, sr->files[f]);
				tb_fs_stat st;
				if (tb_fs_stat_path(&st, path) == 0)
					x->p.bytes += st.size;
				free(path);
			}
		}
	}
	x->p.runs = x->n_todo;
	x->buf = tb_xmalloc(READ_BUF);
	x->cap = READ_BUF;
	free(want);
	return x;
}

void tb_export_free(tb_export *x)
{
	if (!x)
		return;
	if (x->reader)
		close_file(x);
	free(x->buf);
	for (size_t i = 0; i < x->n_todo; i++)
		free(x->todo[i].name);
	free(x->todo);
	for (size_t s = 0; s < x->o->n_sources; s++)
		tb_scan_result_release(&x->scans[s]);
	free(x->scans);
	free(x->st);
	free(x->tags);
	tb_idxset_free(&x->by_series);
	tb_store_free(x->store);
	free(x);
}

int tb_export_run(tb_export_progress *out, const tb_export_opts *o)
{
	tb_export *x = tb_export_new(o);
	int rc;
	do {
		rc = tb_export_step(x, PROGRESS_RECORDS);
		if (rc >= 0 && o->progress && o->progress(&x->p, o->payload))
			rc = TB_EINVAL;
	} while (rc > 0);
	if (out)
		*out = x->p;
	tb_export_free(x);
	return rc;
}
