/* HParams dashboard routes (spec HTTP_API.md 10): experiment,
 * session_groups, metric_evals and download_data (JSON, CSV, LaTeX).
 *
 * Each route takes one request message in protobuf JSON, from the raw body
 * of a POST or the `request` query parameter otherwise; a request that
 * does not parse, or data that cannot answer it, gets a 400 page. Every
 * answer is computed from the store under its read lock for the whole
 * request (the model lives in hparams_*.c). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "hparams.h"
#include "proto/event.h"

/* The request text, or NULL. A form-encoded POST carries no request. */
static char *request_text(const tb_req *req)
{
	if (strcmp(tb_req_method(req), "POST") != 0) {
		const char *q = tb_req_query(req, "request");
		return q ? tb_xstrdup(q) : NULL;
	}
	const char *ct = tb_req_header(req, "Content-Type");
	if (ct && (strncmp(ct, "application/x-www-form-urlencoded", 33) == 0 ||
		   strncmp(ct, "multipart/form-data", 19) == 0))
		return NULL;
	tb_slice b = tb_req_body(req);
	if (b.len && memchr(b.ptr, 0, b.len))
		return NULL; /* no JSON text holds a NUL byte */
	return tb_xstrndup(b.len ? (const char *)b.ptr : "", b.len);
}

static void bad_request(tb_resp *resp, tb_buf *err)
{
	tb_resp_html_error(resp, 400, err->len ? err->ptr : "Bad request");
}

static void handle_experiment(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash *d = payload;
	tb_buf err = TB_BUF_INIT;
	char *text = request_text(req);
	hp_exp_req q;
	hp_experiment e = {0};
	if (hp_parse_exp_req(&q, text, &err)) {
		bad_request(resp, &err);
		goto out;
	}
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	int rc = hp_experiment_build(&e, &rd, q.include_metrics, q.limit, &err);
	tb_reader_end(&rd);
	if (rc) {
		bad_request(resp, &err);
		goto out;
	}
	tb_json j; /* pretty-printed, as upstream's protobuf-JSON answer */
	tb_json_init_indent(&j, tb_resp_body(resp), 2);
	hp_write_experiment(&j, &e);
out:
	hp_experiment_free(&e);
	free(text);
	tb_buf_free(&err);
}

/* Parse a ListSessionGroupsRequest from text and run it into *g. Returns
 * 0, or nonzero with the 400 answer already sent. */
static int run_groups(hp_groups *g, tb_resp *resp, tb_dash *d, const char *text)
{
	tb_buf err = TB_BUF_INIT;
	hp_groups_req q;
	int rc = hp_parse_groups_req(&q, text, &err);
	if (!rc) {
		tb_reader rd;
		tb_reader_begin(&rd, d->store);
		rc = hp_groups_build(g, &rd, &q, &err);
		tb_reader_end(&rd);
	}
	if (rc)
		bad_request(resp, &err);
	hp_groups_req_free(&q);
	tb_buf_free(&err);
	return rc;
}

static void handle_session_groups(tb_resp *resp, const tb_req *req, void *payload)
{
	char *text = request_text(req);
	hp_groups g = {0};
	if (run_groups(&g, resp, payload, text) == 0) {
		tb_json j;
		tb_json_init_indent(&j, tb_resp_body(resp), 2);
		hp_write_groups(&j, &g);
	}
	hp_groups_free(&g);
	free(text);
}

static void handle_metric_evals(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash *d = payload;
	tb_buf err = TB_BUF_INIT;
	char *text = request_text(req);
	hp_evals_req q;
	if (hp_parse_evals_req(&q, text, &err)) {
		bad_request(resp, &err);
		goto out;
	}
	char *run = hp_metric_run(q.session, q.metric.group);
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	const tb_series *s =
	    tb_dash_series(tb_reader_find_run(&rd, run), q.metric.tag, "scalars", TB_DC_SCALAR);
	if (!s) {
		tb_buf_puts(&err, "Not found: No scalar data for run=");
		tb_dash_pyrepr(&err, run);
		tb_buf_puts(&err, ", tag=");
		tb_dash_pyrepr(&err, q.metric.tag);
		tb_resp_error(resp, 404, "%s", err.ptr);
	} else {
		size_t n;
		uint64_t *idx = tb_dash_sample(&n, tb_series_len(s), tb_dash_limit(d, "scalars"));
		tb_json j;
		tb_json_init(&j, tb_resp_body(resp));
		tb_json_arr_begin(&j);
		for (size_t i = 0; i < n; i++) {
			size_t p = tb_dash_pick(idx, i);
			tb_json_arr_begin(&j);
			tb_json_double(&j, tb_series_wall(s, p));
			tb_json_int(&j, tb_series_step(s, p));
			tb_json_double(&j, tb_series_value(s, p));
			tb_json_arr_end(&j);
		}
		tb_json_arr_end(&j);
		free(idx);
	}
	tb_reader_end(&rd);
	free(run);
out:
	hp_evals_req_free(&q);
	free(text);
	tb_buf_free(&err);
}

/* ---- download_data ---------------------------------------------------------- */

/* One table cell: a value, or missing (v NULL). */
typedef struct cell {
	const hp_value *v;
	hp_value num; /* storage for metric values */
} cell;

static const hp_value EMPTY_STRING = {.kind = HP_STRING, .str = ""};

static void csv_field(tb_buf *b, const char *s, int alone)
{
	if (strpbrk(s, ",\"\r\n") || (alone && !*s)) {
		tb_buf_putc(b, '"');
		for (; *s; s++) {
			if (*s == '"')
				tb_buf_putc(b, '"');
			tb_buf_putc(b, *s);
		}
		tb_buf_putc(b, '"');
	} else {
		tb_buf_puts(b, s);
	}
}

/* A cell as Python's str() would print it (CSV); missing is "". */
static void cell_text(tb_buf *b, const hp_value *v)
{
	char num[40];
	if (!v)
		return;
	if (v->kind == HP_NUMBER)
		tb_buf_append(b, num, tb_fmt_double(num, v->num));
	else if (v->kind == HP_STRING)
		tb_buf_puts(b, v->str);
	else if (v->kind == HP_BOOL)
		tb_buf_puts(b, v->b ? "True" : "False");
	else if (v->kind == HP_NULL)
		tb_buf_puts(b, "None");
	else {
		tb_buf tmp = TB_BUF_INIT;
		tb_json j;
		tb_json_init(&j, &tmp);
		hp_write_value(&j, v);
		tb_buf_append(b, tmp.ptr, tmp.len);
		tb_buf_free(&tmp);
	}
}

static void latex_escape(tb_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '_' || *s == '%')
			tb_buf_putc(b, '\\');
		tb_buf_putc(b, *s);
	}
}

static void latex_cell(tb_buf *b, const hp_value *v)
{
	if (!v) {
		tb_buf_puts(b, "-");
	} else if (v->kind == HP_BOOL) {
		tb_buf_printf(b, "$%d$", v->b);
	} else if (v->kind == HP_NUMBER) {
		double x = v->num;
		if (isnan(x)) {
			tb_buf_puts(b, "$\\mathrm{NaN}$");
		} else if (isinf(x)) {
			tb_buf_puts(b, x > 0 ? "$+\\infty$" : "$-\\infty$");
		} else {
			char t[64];
			snprintf(t, sizeof t, "%.3g", x);
			char *e = strchr(t, 'e');
			if (e) {
				*e = 0;
				tb_buf_printf(b, "$%s\\cdot 10^{%d}$", t, atoi(e + 1));
			} else {
				tb_buf_printf(b, "$%s$", t);
			}
		}
	} else {
		tb_buf tmp = TB_BUF_INIT;
		cell_text(&tmp, v);
		tb_buf_putc(&tmp, 0);
		latex_escape(b, tmp.ptr);
		tb_buf_free(&tmp);
	}
}

static int truthy(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_TRUE:
		return 1;
	case JSON_INTEGER:
	case JSON_REAL:
		return json_number_value(v) != 0;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	default:
		return 0;
	}
}

/* The cells of one group's row, one per experiment column. */
static void row_cells(cell *cells, const hp_group *gr, const hp_experiment *e)
{
	size_t c = 0;
	for (size_t h = 0; h < e->n_hparams; h++, c++) {
		cells[c].v = &EMPTY_STRING;
		for (size_t i = 0; i < gr->hparams.n; i++)
			if (strcmp(gr->hparams.keys[i], e->hparams[h].name) == 0)
				cells[c].v = &gr->hparams.items[i];
	}
	for (size_t m = 0; m < e->n_metrics; m++, c++) {
		cells[c].v = NULL;
		const hp_metric_name *want = &e->metrics[m].name;
		for (size_t i = 0; i < gr->n_mv; i++)
			if (strcmp(gr->mv[i].name->group, want->group) == 0 &&
			    strcmp(gr->mv[i].name->tag, want->tag) == 0) {
				memset(&cells[c].num, 0, sizeof cells[c].num);
				cells[c].num.kind = HP_NUMBER;
				cells[c].num.num = gr->mv[i].value;
				cells[c].v = &cells[c].num;
				break;
			}
	}
}

enum { FMT_JSON, FMT_CSV, FMT_LATEX };

static void write_table(tb_resp *resp, int fmt, const hp_groups *g, const int *visible)
{
	const hp_experiment *e = &g->exp;
	size_t ncol = e->n_hparams + e->n_metrics, nvis = 0;
	const char **header = tb_xcalloc(ncol + 1, sizeof *header);
	for (size_t c = 0; c < ncol; c++) {
		if (c < e->n_hparams) {
			const hp_hparam_info *h = &e->hparams[c];
			header[c] = h->display_name[0] ? h->display_name : h->name;
		} else {
			const hp_metric_info *m = &e->metrics[c - e->n_hparams];
			header[c] = m->display_name[0] ? m->display_name : m->name.tag;
		}
		nvis += (size_t)visible[c];
	}
	cell *cells = tb_xcalloc(ncol + 1, sizeof *cells);
	tb_buf *b = tb_resp_body(resp);
	tb_json j;
	if (fmt == FMT_JSON) {
		tb_json_init(&j, b);
		tb_json_obj_begin(&j);
		tb_json_key(&j, "header");
		tb_json_arr_begin(&j);
		for (size_t c = 0; c < ncol; c++)
			if (visible[c])
				tb_json_str(&j, header[c]);
		tb_json_arr_end(&j);
		tb_json_key(&j, "rows");
		tb_json_arr_begin(&j);
	} else if (fmt == FMT_CSV) {
		tb_resp_type(resp, "text/csv; charset=utf-8");
		for (size_t c = 0, k = 0; c < ncol; c++)
			if (visible[c]) {
				if (k++)
					tb_buf_putc(b, ',');
				csv_field(b, header[c], nvis == 1);
			}
		tb_buf_puts(b, "\r\n");
	} else {
		tb_resp_type(resp, "application/x-latex");
		tb_resp_no_gzip(resp);
		tb_buf_puts(b, "\\begin{table}[tbp]\n\\begin{tabular}{");
		for (size_t c = 0; c < nvis; c++)
			tb_buf_putc(b, 'l');
		tb_buf_puts(b, "}\n");
		for (size_t c = 0, k = 0; c < ncol; c++)
			if (visible[c]) {
				if (k++)
					tb_buf_puts(b, " & ");
				latex_escape(b, header[c]);
			}
		tb_buf_puts(b, " \\\\ \\hline\n");
	}
	for (size_t i = g->first; i < g->first + g->count; i++) {
		row_cells(cells, g->groups[i], e);
		if (fmt == FMT_JSON)
			tb_json_arr_begin(&j);
		for (size_t c = 0, k = 0; c < ncol; c++) {
			if (!visible[c])
				continue;
			const hp_value *v = cells[c].v;
			if (fmt == FMT_JSON) {
				if (v)
					hp_write_value(&j, v);
				else
					tb_json_null(&j);
			} else if (fmt == FMT_CSV) {
				tb_buf t = TB_BUF_INIT;
				cell_text(&t, v);
				tb_buf_putc(&t, 0);
				if (k)
					tb_buf_putc(b, ',');
				csv_field(b, t.ptr, nvis == 1);
				tb_buf_free(&t);
			} else {
				if (k)
					tb_buf_puts(b, " & ");
				latex_cell(b, v);
			}
			k++;
		}
		if (fmt == FMT_JSON)
			tb_json_arr_end(&j);
		else
			tb_buf_puts(b, fmt == FMT_CSV ? "\r\n" : " \\\\\n");
	}
	if (fmt == FMT_JSON) {
		tb_json_arr_end(&j);
		tb_json_obj_end(&j);
	} else if (fmt == FMT_LATEX) {
		tb_buf_puts(b, "\\hline\n\\end{tabular}\n\\end{table}\n");
	}
	free(cells);
	free(header);
}

static void handle_download(tb_resp *resp, const tb_req *req, void *payload)
{
	const char *format = tb_req_query(req, "format");
	const char *vis_text = tb_req_query(req, "columnsVisibility");
	json_t *vis = vis_text ? json_loads(vis_text, JSON_DECODE_ANY, NULL) : NULL;
	char *text = request_text(req);
	hp_groups g = {0};
	int fmt = -1;
	if (format && strcmp(format, "json") == 0)
		fmt = FMT_JSON;
	else if (format && strcmp(format, "csv") == 0)
		fmt = FMT_CSV;
	else if (format && strcmp(format, "latex") == 0)
		fmt = FMT_LATEX;
	if (!json_is_array(vis)) {
		tb_resp_html_error(resp, 400,
				   "Expected columnsVisibility: a JSON array of booleans");
		goto out;
	}
	if (run_groups(&g, resp, payload, text) != 0)
		goto out;
	if (fmt < 0) {
		tb_buf msg = TB_BUF_INIT;
		tb_buf_printf(&msg, "Invalid reponses format: %s", format ? format : "None");
		tb_resp_html_error(resp, 400, msg.ptr);
		tb_buf_free(&msg);
		goto out;
	}
	size_t ncol = g.exp.n_hparams + g.exp.n_metrics;
	int *visible = tb_xcalloc(ncol + 1, sizeof *visible);
	for (size_t c = 0; c < ncol && c < json_array_size(vis); c++)
		visible[c] = truthy(json_array_get(vis, c));
	write_table(resp, fmt, &g, visible);
	free(visible);
out:
	hp_groups_free(&g);
	json_decref(vis);
	free(text);
}

void tb_hparams_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/plugin/hparams/experiment", handle_experiment, d);
	tb_router_add(r, "/data/plugin/hparams/session_groups", handle_session_groups, d);
	tb_router_add(r, "/data/plugin/hparams/metric_evals", handle_metric_evals, d);
	tb_router_add(r, "/data/plugin/hparams/download_data", handle_download, d);
}
