/* The run query language: select, sort and cut runs by what they are
 * (hyperparameters, name, folder) and how they did (summaries of their
 * scalar series), e.g.
 *
 *     hp.lr < 0.01 and max(val/acc, 100:500) > 0.9 sort by last(val/acc) desc limit 10
 *
 * A query is parsed once into a tree (rql_parse.c) and evaluated over a
 * table of runs (rql.c): hyperparameter columns held in the table, and
 * scalar series read through a callback, summarised lazily once per (run,
 * column) for the columns the query names. The grammar and every rule
 * (missing values, sorting, regex limits) are in docs/HTTP_API.md, "Run
 * queries". Tuned for 10,000 runs x 100 hyperparameters per evaluation.
 *
 * Parsed queries are immutable and may be evaluated from many threads at
 * once; a table and a result belong to one thread. */
#ifndef TB_RQL_H
#define TB_RQL_H

#include <stddef.h>
#include <stdint.h>

/* Value types. MISSING is what a run lacks (no such hparam, no such
 * series, an empty step range). */
enum { TB_RQL_MISSING = 0, TB_RQL_NUM, TB_RQL_STR, TB_RQL_BOOL };

typedef struct tb_rql_value {
	int type;	 /* TB_RQL_* */
	double num;	 /* TB_RQL_NUM; TB_RQL_BOOL: 0 or 1 */
	const char *str; /* TB_RQL_STR: NUL-terminated, borrowed */
} tb_rql_value;

/* Longest query text accepted, in bytes. */
#define TB_RQL_MAX_TEXT 65536

/* Where a query went wrong: a 1-based column (in characters of the query
 * text) and a message without the column. */
typedef struct tb_rql_error {
	size_t col;
	char msg[200];
} tb_rql_error;

/* --- tables of runs ------------------------------------------------------ */

struct tb_series;

/* A view of one run's scalar series: steps strictly increasing, n points,
 * as arrays, or (steps and values NULL) the points of a store series, read
 * in place. */
typedef struct tb_rql_series {
	const int64_t *steps;
	const double *values;
	size_t n;
	const struct tb_series *packed;
} tb_rql_series;

/* Find the scalar series `tag` of run `run`: return 1 with *out set (a
 * view valid until done(run) is called), or 0 when the run has none (done
 * is not called then). */
typedef int (*tb_rql_series_fn)(tb_rql_series *out, size_t run, const char *tag, void *payload);
typedef void (*tb_rql_done_fn)(size_t run, void *payload);

/* Owns its run names, folders, hparam names and string values. */
typedef struct tb_rql_table tb_rql_table;

tb_rql_table *tb_rql_table_new(void);
/* NULL is a no-op. */
void tb_rql_table_free(tb_rql_table *t);
/* Make room for n runs in all (optional; saves regrowing each column). */
void tb_rql_table_reserve(tb_rql_table *t, size_t n);
/* Append a run (name copied); returns its index. Its folder is the name up
 * to the last '/', or "." when there is none. */
size_t tb_rql_table_add_run(tb_rql_table *t, const char *name);
/* Set hyperparameter `name` of run `run` (strings copied). Setting a
 * name twice keeps the last value. */
void tb_rql_table_set(tb_rql_table *t, size_t run, const char *name, const tb_rql_value *v);
/* Where scalar series come from; without one every metric is missing. */
void tb_rql_table_series(tb_rql_table *t, tb_rql_series_fn get, tb_rql_done_fn done, void *payload);
size_t tb_rql_table_runs(const tb_rql_table *t);
const char *tb_rql_table_run_name(const tb_rql_table *t, size_t run);
/* The folder of run `run` (see tb_rql_table_add_run). */
const char *tb_rql_table_folder(const tb_rql_table *t, size_t run);
/* The value of hparam `name` of run `run` (MISSING when unset). */
tb_rql_value tb_rql_table_get(const tb_rql_table *t, size_t run, const char *name);

/* --- queries ------------------------------------------------------------- */

typedef struct tb_rql tb_rql;

/* Parse n bytes of query text. Returns 0 with *out set (free with
 * tb_rql_free), or TB_EINVAL with *err set and *out NULL. Empty text is the
 * query that keeps every run. */
int tb_rql_parse(tb_rql **out, const char *text, size_t n, tb_rql_error *err);
/* NULL is a no-op. */
void tb_rql_free(tb_rql *q);

/* The columns the query names, in order of first appearance, each once:
 * "hp.lr", "last(val/acc)", "max(val/acc, 100:500)", "folder", ... (the
 * run name is never a column; every row carries it). Borrowed from q. */
size_t tb_rql_columns(const tb_rql *q);
const char *tb_rql_column_name(const tb_rql *q, size_t i);

/* --- results ------------------------------------------------------------- */

typedef struct tb_rql_result tb_rql_result;

/* Evaluate q over every run of t: keep the runs the condition holds for,
 * sort them (by the sort keys, then by run name), apply the limit.
 * Returns 0 with *out set (free with tb_rql_result_free; it borrows
 * strings from t, so free it first), or TB_EINVAL with *err set when a
 * regular expression exceeds its match limits on some run. */
int tb_rql_eval(tb_rql_result **out, const tb_rql *q, tb_rql_table *t, tb_rql_error *err);
void tb_rql_result_free(tb_rql_result *r);
/* Number of runs that matched, before the limit. */
size_t tb_rql_result_total(const tb_rql_result *r);
/* Rows kept (after the limit), their run indices in t, and their values of
 * column col (see tb_rql_columns). */
size_t tb_rql_result_rows(const tb_rql_result *r);
size_t tb_rql_result_run(const tb_rql_result *r, size_t row);
tb_rql_value tb_rql_result_value(const tb_rql_result *r, size_t row, size_t col);

/* v as text: numbers as Python's repr ("0.1", "1e-05", "nan") written
 * into buf (at least 40 bytes), true / false, "" for missing; a string is
 * returned as it is (v.str). */
const char *tb_rql_format(char *buf, tb_rql_value v);

#endif
