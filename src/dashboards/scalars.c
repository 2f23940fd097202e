/* Scalars dashboard routes (spec HTTP_API.md 6.1-6.3): tags, one series as
 * JSON or CSV, and one tag across many runs. The series answer and its
 * points are shared with custom_scalars (dash.h). */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "dash.h"
#include "proto/event.h"

static void handle_tags(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_dash_tags(resp, payload, "scalars", TB_DC_SCALAR, NULL);
}

/* Bytes a typical [wall, step, value] point takes in the answer, with its
 * separator: room reserved for the whole answer at once, so that the buffer
 * does not grow (and copy) ten times on the way to a 1000-point answer. */
#define POINT_BYTES 48

void tb_dash_scalar_points(tb_json *j, const tb_dash *d, const tb_series *s)
{
	size_t n;
	tb_points pt;
	tb_series_points(&pt, s);
	uint64_t *idx = tb_dash_sample(&n, pt.len, tb_dash_limit(d, "scalars"));
	tb_buf_reserve(j->out, n * POINT_BYTES + 2);
	tb_json_arr_begin(j);
	for (size_t i = 0; i < n; i++) {
		size_t p = tb_dash_pick(idx, i);
		tb_json_point(j, tb_points_wall(&pt, p), tb_points_step(&pt, p),
			      tb_points_value(&pt, p));
	}
	tb_json_arr_end(j);
	free(idx);
}

static void write_csv(tb_buf *b, const tb_dash *d, const tb_series *s)
{
	size_t n;
	tb_points pt;
	tb_series_points(&pt, s);
	uint64_t *idx = tb_dash_sample(&n, pt.len, tb_dash_limit(d, "scalars"));
	tb_buf_puts(b, "Wall time,Step,Value\r\n");
	char line[96];
	for (size_t i = 0; i < n; i++) {
		size_t p = tb_dash_pick(idx, i);
		size_t k = tb_fmt_double(line, tb_points_wall(&pt, p));
		line[k++] = ',';
		k += tb_fmt_int(line + k, tb_points_step(&pt, p));
		line[k++] = ',';
		k += tb_fmt_double(line + k, tb_points_value(&pt, p));
		memcpy(line + k, "\r\n", 2);
		tb_buf_append(b, line, k + 2);
	}
	free(idx);
}

void tb_dash_scalars_serve(tb_resp *resp, const tb_req *req, tb_dash *d)
{
	const char *run = tb_req_query(req, "run"), *tag = tb_req_query(req, "tag");
	if (!run || !tag) {
		tb_dash_error_repr(
		    resp, 400, "Invalid argument: Both run and tag must be specified: tag=", tag,
		    ", run=", run);
		return;
	}
	const char *format = tb_req_query(req, "format");
	int csv = format && strcmp(format, "csv") == 0;
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	const tb_run *r = tb_reader_find_run(&rd, run);
	const tb_series *s = r ? tb_dash_series(r, tag, "scalars", TB_DC_SCALAR) : NULL;
	if (!s) {
		tb_dash_error_repr(resp, 404, "Not found: No scalar data for run=", run,
				   ", tag=", tag);
	} else if (csv) {
		tb_resp_type(resp, "text/csv; charset=utf-8");
		write_csv(tb_resp_body(resp), d, s);
	} else {
		tb_json j;
		tb_json_init(&j, tb_resp_body(resp));
		tb_dash_scalar_points(&j, d, s);
	}
	tb_reader_end(&rd);
}

static void handle_scalars(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash_scalars_serve(resp, req, payload);
}

/* Run names per scalars_multirun call: every name costs a run lookup. */
#define MAX_RUNS 10000

/* A requested run that exists, and where it was first asked for. */
typedef struct pick {
	const tb_run *run;
	size_t at;
} pick;

static int cmp_pick_run(const void *a, const void *b)
{
	const pick *x = a, *y = b;
	if (x->run != y->run)
		return (uintptr_t)x->run < (uintptr_t)y->run ? -1 : 1;
	return (x->at > y->at) - (x->at < y->at);
}

static int cmp_pick_at(const void *a, const void *b)
{
	const pick *x = a, *y = b;
	return (x->at > y->at) - (x->at < y->at);
}

static void handle_multirun(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash *d = payload;
	if (strcmp(tb_req_method(req), "POST") != 0) {
		tb_resp_html_error(resp, 405, "The method is not allowed for the requested URL.");
		tb_resp_header(resp, "Allow", "POST");
		return;
	}
	const char *tags[2];
	if (tb_req_form_all(req, "tag", tags, 2) != 1) {
		tb_resp_error(resp, 400, "Invalid argument: tag must be specified exactly once");
		return;
	}
	size_t n_runs = tb_req_form_all(req, "runs", NULL, 0);
	if (n_runs > MAX_RUNS) {
		tb_resp_error(resp, 400, "Invalid argument: at most %d runs per call, got %zu",
			      MAX_RUNS, n_runs);
		return;
	}
	const char **runs = tb_xcalloc(n_runs ? n_runs : 1, sizeof *runs);
	pick *picks = tb_xcalloc(n_runs ? n_runs : 1, sizeof *picks);
	tb_req_form_all(req, "runs", runs, n_runs);
	tb_json j;
	tb_json_init(&j, tb_resp_body(resp));
	tb_json_obj_begin(&j);
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	/* each run once, in the order first asked for, without comparing
	 * every name with every other */
	size_t n = 0, kept = 0;
	for (size_t i = 0; i < n_runs; i++) {
		const tb_run *r = tb_reader_find_run(&rd, runs[i]);
		tb_reader_release(&rd);
		if (r)
			picks[n++] = (pick){r, i};
	}
	if (n)
		qsort(picks, n, sizeof *picks, cmp_pick_run);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || picks[i].run != picks[i - 1].run)
			picks[kept++] = picks[i];
	if (kept)
		qsort(picks, kept, sizeof *picks, cmp_pick_at);
	int stop = 0;
	for (size_t i = 0; i < kept && !(stop = tb_req_should_stop(req, resp)); i++) {
		const tb_run *r = tb_reader_hold(&rd, picks[i].run);
		const tb_series *s = tb_dash_series(r, tags[0], "scalars", TB_DC_SCALAR);
		if (s) {
			tb_json_key(&j, tb_run_name(r));
			tb_dash_scalar_points(&j, d, s);
		}
		tb_reader_release(&rd);
	}
	tb_reader_end(&rd);
	if (!stop)
		tb_json_obj_end(&j);
	free(picks);
	free(runs);
}

void tb_scalars_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/plugin/scalars/tags", handle_tags, d);
	tb_router_add(r, "/data/plugin/scalars/scalars", handle_scalars, d);
	tb_router_add(r, "/data/plugin/scalars/scalars_multirun", handle_multirun, d);
}
