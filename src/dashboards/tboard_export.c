/* GET or POST /data/tboard/export: one export table (export/export.h) of
 * the runs and tags the page shows, streamed as the browser downloads it,
 * so the UI's "Export" gets every point in the same formats as `tboard
 * export`. Parameters (query string or form body, docs/HTTP_API.md):
 * format, table, run (repeated), tag (repeated), tags (a regex),
 * compression. The answer is made chunk by chunk on the server's I/O
 * thread: each chunk reads at most CHUNK_RECORDS records, so memory stays
 * one Parquet row group and a read buffer whatever the export's size. The
 * route reads event files through the export module, never the store. */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/regex.h"
#include "dash.h"
#include "export/export.h"
#include "http/http.h"

#define CHUNK_RECORDS 8192
#define MAX_NAMES 100000

typedef struct job {
	tb_export_opts o;
	char **runs, **tags; /* owned copies */
	tb_regex *re;
	tb_table *table;
	tb_export *x;
	tb_buf *out; /* the chunk being made */
	int finished;
} job;

static int to_chunk(void *payload, const void *p, size_t n)
{
	job *j = payload;
	tb_buf_append(j->out, p, n);
	return 0;
}

static int next_chunk(tb_buf *out, void *payload)
{
	job *j = payload;
	j->out = out;
	int rc = tb_export_step(j->x, CHUNK_RECORDS);
	if (rc == 0 && !j->finished) {
		j->finished = 1;
		rc = tb_table_finish(j->table);
	}
	return rc;
}

static void job_free(void *payload)
{
	job *j = payload;
	tb_export_free(j->x);
	tb_table_free(j->table);
	tb_regex_free(j->re);
	for (size_t i = 0; i < j->o.n_runs; i++)
		free(j->runs[i]);
	for (size_t i = 0; i < j->o.n_tag_names; i++)
		free(j->tags[i]);
	free(j->runs);
	free(j->tags);
	free(j);
}

/* The first value of a parameter, from the form body or the query. */
static const char *param(const tb_req *req, const char *name)
{
	const char *v = tb_req_form(req, name);
	return v ? v : tb_req_query(req, name);
}

/* Owned copies of every value of a parameter (form body, then query);
 * NULL with *n = 0 when there are none. */
static char **params(const tb_req *req, const char *name, size_t *n)
{
	const char **v = tb_xcalloc(MAX_NAMES, sizeof *v);
	size_t k = tb_req_form_all(req, name, v, MAX_NAMES);
	if (!k)
		k = tb_req_query_all(req, name, v, MAX_NAMES);
	if (k > MAX_NAMES)
		k = MAX_NAMES;
	char **out = NULL;
	if (k) {
		out = tb_xcalloc(k, sizeof *out);
		for (size_t i = 0; i < k; i++)
			out[i] = tb_xstrdup(v[i]);
	}
	free(v);
	*n = k;
	return out;
}

static const char *content_type(int format)
{
	return format == TB_TABLE_CSV	  ? "text/csv"
	       : format == TB_TABLE_JSONL ? "application/x-ndjson"
					  : "application/vnd.apache.parquet";
}

static void handle_export(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash *d = payload;
	const char *fmt = param(req, "format"), *table = param(req, "table");
	const char *tags = param(req, "tags"), *comp = param(req, "compression");
	int format = tb_table_format(fmt);
	int which = table ? tb_export_table_find(table) : TB_EXPORT_SCALARS;
	if (!format) {
		tb_resp_error(resp, 400, "Invalid argument: format must be csv, jsonl or parquet");
		return;
	}
	if (which < 0) {
		tb_resp_error(resp, 400,
			      "Invalid argument: table must be scalars, histograms, hparams or "
			      "summaries");
		return;
	}
	if (comp && strcmp(comp, "none") && strcmp(comp, "gzip")) {
		tb_resp_error(resp, 400, "Invalid argument: compression must be none or gzip");
		return;
	}
	job *j = tb_xcalloc(1, sizeof *j);
	char err[256];
	if (tags && *tags &&
	    tb_regex_new(&j->re, tags, strlen(tags), TB_REGEX_SEARCH, err, sizeof err, NULL)) {
		tb_resp_error(resp, 400, "Invalid argument: tags: %s", err);
		job_free(j);
		return;
	}
	j->o.sources = d->sources;
	j->o.n_sources = d->n_sources;
	j->runs = params(req, "run", &j->o.n_runs);
	j->o.runs = (const char *const *)j->runs;
	j->tags = params(req, "tag", &j->o.n_tag_names);
	j->o.tag_names = (const char *const *)j->tags;
	j->o.tags = j->re;
	j->table =
	    tb_export_table_new(which, format, comp && strcmp(comp, "gzip") == 0, to_chunk, j);
	j->o.tables[which] = j->table;
	j->x = tb_export_new(&j->o);
	tb_resp_type(resp, content_type(format));
	char *disp = tb_xasprintf("attachment; filename=\"tboard-%s.%s\"",
				  tb_export_table_name(which), tb_table_ext(format));
	tb_resp_header(resp, "Content-Disposition", disp);
	free(disp);
	tb_resp_stream(resp, next_chunk, j, job_free);
}

void tb_tboard_export_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/tboard/export", handle_export, d);
}
