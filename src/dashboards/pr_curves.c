/* PR curves dashboard routes (spec HTTP_API.md 7.5, 7.6): the tag listing
 * and the curves of one tag for several runs.
 *
 * A stored point is a [6, n] tensor (FORMAT.md 10.7): rows TP, FP, TN, FN,
 * precision, recall over n evenly spaced thresholds. Served entries drop
 * the trailing thresholds where TP + FP is zero and give counts as
 * integers, as upstream does. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "dash.h"
#include "proto/event.h"

enum { ROW_TP, ROW_FP, ROW_TN, ROW_FN, ROW_PRECISION, ROW_RECALL, N_ROWS };

static void handle_tags(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_dash_tags(resp, payload, "pr_curves", TB_DC_TENSOR, tb_dash_content_version);
}

/* Counts become integers by truncation toward zero, as Python's int()
 * does. Returns 0, or -1 for a value int() refuses (NaN, infinities),
 * with the reason in *why. */
static int to_count(int64_t *out, double v, const char **why)
{
	if (isnan(v)) {
		*why = "cannot convert float NaN to integer";
		return -1;
	}
	if (isinf(v)) {
		*why = "cannot convert float infinity to integer";
		return -1;
	}
	/* Beyond int64 only a hostile writer goes; clamp rather than overflow. */
	if (v >= 9223372036854775807.0)
		*out = INT64_MAX;
	else if (v <= -9223372036854775808.0)
		*out = INT64_MIN;
	else
		*out = (int64_t)v;
	return 0;
}

/* Check that every count of a [6, n] tensor converts; a shape other than
 * [6, n] is accepted here and served as an entry with empty arrays. */
static int check_counts(const tb_tensor *t, const char **why)
{
	if (t->rank != 2 || t->dims[0] != N_ROWS || !tb_dtype_is_numeric(t->dtype))
		return 0;
	size_t n = (size_t)t->dims[1];
	int64_t v;
	for (size_t i = 0; i < 4 * n; i++)
		if (to_count(&v, tb_tensor_double(t, i), why))
			return -1;
	return 0;
}

static void write_entry(tb_json *j, const tb_series *s, size_t p, tb_tensor_tmp *tmp)
{
	const tb_tensor *t = tb_series_tensor(s, p, tmp);
	size_t n = 0;
	if (t->rank == 2 && t->dims[0] == N_ROWS && tb_dtype_is_numeric(t->dtype))
		n = (size_t)t->dims[1];
	/* m: one past the last threshold with TP + FP > 0, at least 1. */
	size_t m = n ? 1 : 0;
	const char *why;
	for (size_t i = n; i-- > 1;) {
		int64_t tp = 0, fp = 0;
		to_count(&tp, tb_tensor_double(t, ROW_TP * n + i), &why);
		to_count(&fp, tb_tensor_double(t, ROW_FP * n + i), &why);
		if ((int64_t)((uint64_t)tp + (uint64_t)fp) != 0) {
			m = i + 1;
			break;
		}
	}
	tb_json_obj_begin(j);
	tb_json_key(j, "wall_time");
	tb_json_double(j, tb_series_wall(s, p));
	tb_json_key(j, "step");
	tb_json_int(j, tb_series_step(s, p));
	static const char *const names[N_ROWS] = {"true_positives", "false_positives",
						  "true_negatives", "false_negatives",
						  "precision",	    "recall"};
	static const int order[N_ROWS] = {ROW_PRECISION, ROW_RECALL, ROW_TP,
					  ROW_FP,	 ROW_TN,     ROW_FN};
	for (int o = 0; o < N_ROWS; o++) {
		int row = order[o];
		tb_json_key(j, names[row]);
		tb_json_arr_begin(j);
		for (size_t i = 0; i < m; i++) {
			double v = tb_tensor_double(t, (size_t)row * n + i);
			if (row >= ROW_PRECISION) {
				tb_json_double(j, v);
			} else {
				int64_t c = 0;
				to_count(&c, v, &why);
				tb_json_int(j, c);
			}
		}
		tb_json_arr_end(j);
	}
	/* NumPy's linspace(0, 1, n): i * (1 / (n - 1)), the last exactly 1. */
	tb_json_key(j, "thresholds");
	tb_json_arr_begin(j);
	double step = n > 1 ? 1.0 / (double)(n - 1) : 0.0;
	for (size_t i = 0; i < m; i++)
		tb_json_double(j, n > 1 && i == n - 1 ? 1.0 : (double)i * step);
	tb_json_arr_end(j);
	tb_json_obj_end(j);
}

static void handle_pr_curves(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash *d = payload;
	size_t n_runs = tb_req_query_all(req, "run", NULL, 0);
	const char *tag = tb_req_query(req, "tag");
	if (n_runs == 0) {
		tb_resp_error(resp, 400, "No runs provided when fetching PR curve data");
		return;
	}
	if (!tag || !*tag) {
		tb_resp_error(resp, 400, "No tag provided when fetching PR curve data");
		return;
	}
	const char **runs = tb_xcalloc(n_runs, sizeof *runs);
	tb_req_query_all(req, "run", runs, n_runs);
	tb_reader rd;
	tb_reader_begin(&rd, d->store);

	/* Every run must have the tag before anything is written, and every
	 * count must be a number int() accepts; otherwise the request fails. */
	tb_buf msg = TB_BUF_INIT;
	for (size_t i = 0; i < n_runs && !msg.len; i++) {
		const tb_series *s = tb_dash_series(tb_reader_find_run(&rd, runs[i]), tag,
						    "pr_curves", TB_DC_TENSOR);
		if (!s) {
			tb_buf_puts(&msg, "No PR curves could be found for run ");
			tb_dash_pyrepr(&msg, runs[i]);
			tb_buf_puts(&msg, " and tag ");
			tb_dash_pyrepr(&msg, tag);
		} else {
			size_t n;
			uint64_t *idx =
			    tb_dash_sample(&n, tb_series_len(s), tb_dash_limit(d, "pr_curves"));
			const char *why = NULL;
			tb_tensor_tmp tmp = {0};
			for (size_t k = 0; k < n && !why; k++)
				if (check_counts(tb_series_tensor(s, tb_dash_pick(idx, k), &tmp), &why))
					tb_buf_puts(&msg, why);
			tb_tensor_tmp_free(&tmp);
			free(idx);
		}
		tb_reader_release(&rd);
	}
	if (msg.len) {
		tb_resp_error(resp, 400, "%s", msg.ptr);
	} else {
		tb_json j;
		tb_json_init(&j, tb_resp_body(resp));
		tb_json_obj_begin(&j);
		for (size_t i = 0; i < n_runs; i++) {
			int dup = 0;
			for (size_t k = 0; k < i && !dup; k++)
				dup = strcmp(runs[k], runs[i]) == 0;
			if (dup)
				continue;
			const tb_run *r = tb_reader_find_run(&rd, runs[i]);
			const tb_series *s = tb_dash_series(r, tag, "pr_curves", TB_DC_TENSOR);
			if (s) {
				size_t n;
				uint64_t *idx = tb_dash_sample(&n, tb_series_len(s),
							       tb_dash_limit(d, "pr_curves"));
				tb_json_key(&j, tb_run_name(r));
				tb_json_arr_begin(&j);
				tb_tensor_tmp tmp = {0};
				for (size_t k = 0; k < n; k++)
					write_entry(&j, s, tb_dash_pick(idx, k), &tmp);
				tb_tensor_tmp_free(&tmp);
				tb_json_arr_end(&j);
				free(idx);
			}
			tb_reader_release(&rd);
		}
		tb_json_obj_end(&j);
	}
	tb_buf_free(&msg);
	tb_reader_end(&rd);
	free(runs);
}

void tb_pr_curves_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/plugin/pr_curves/tags", handle_tags, d);
	tb_router_add(r, "/data/plugin/pr_curves/pr_curves", handle_pr_curves, d);
}
