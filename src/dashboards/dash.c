/* Helpers shared by the dashboards (see dash.h). */
#include "dash.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "markdown.h"
#include "proto/event.h"
#include "proto/pb_decode.h"
#include "registry.h"
#include "store/pyrandom.h"

uint64_t tb_dash_limit(const tb_dash *d, const char *plugin)
{
	uint64_t v;
	if (tb_store_override(d->store, plugin, &v))
		return v ? v : UINT64_MAX;
	return tb_dashboard_samples(plugin);
}

uint64_t *tb_dash_sample(size_t *count, size_t n, uint64_t k)
{
	if (n <= k) {
		*count = n;
		return NULL;
	}
	uint64_t *idx = tb_xmalloc((size_t)(k ? k : 1) * sizeof *idx);
	tb_downsample_indices(idx, n, k);
	*count = (size_t)k;
	return idx;
}

const tb_series *tb_dash_series(const tb_run *run, const char *tag, const char *plugin, int dc)
{
	if (!tag || !run)
		return NULL;
	const tb_series *s = tb_run_find_series(run, tag, strlen(tag));
	if (!s || tb_series_data_class(s) != dc || strcmp(tb_series_plugin(s), plugin) != 0)
		return NULL;
	return s;
}

void tb_dash_object_begin(tb_json *j, tb_reader *rd, tb_resp *resp, tb_dash *d)
{
	tb_json_init(j, tb_resp_body(resp));
	tb_json_obj_begin(j);
	tb_reader_begin(rd, d->store);
}

void tb_dash_object_end(tb_json *j, tb_reader *rd)
{
	tb_reader_end(rd);
	tb_json_obj_end(j);
}

void tb_dash_runs_object(tb_resp *resp, tb_dash *d, tb_dash_run_fn fn, void *arg)
{
	tb_json j;
	tb_reader rd;
	tb_dash_object_begin(&j, &rd, resp, d);
	size_t pos = 0;
	for (const tb_run *r; (r = tb_reader_next_run(&rd, &pos));)
		fn(&j, r, arg);
	tb_dash_object_end(&j, &rd);
}

typedef struct series_walk {
	const char *plugin;
	int dc, array;
	tb_dash_series_fn fn;
	void *arg;
} series_walk;

static void series_run(tb_json *j, const tb_run *r, void *arg)
{
	const series_walk *w = arg;
	size_t k = 0;
	const tb_series *s = tb_run_next_series(r, &k, w->plugin, w->dc);
	if (!s)
		return;
	tb_json_key(j, tb_run_name(r));
	if (w->array)
		tb_json_arr_begin(j);
	else
		tb_json_obj_begin(j);
	for (; s; s = tb_run_next_series(r, &k, w->plugin, w->dc))
		w->fn(j, s, w->arg);
	if (w->array)
		tb_json_arr_end(j);
	else
		tb_json_obj_end(j);
}

void tb_dash_series_object(tb_resp *resp, tb_dash *d, const char *plugin, int dc, int array,
			   tb_dash_series_fn fn, void *arg)
{
	series_walk w = {plugin, dc, array, fn, arg};
	tb_dash_runs_object(resp, d, series_run, &w);
}

typedef struct tags_how {
	int (*skip)(const tb_series *s);
	const tb_dash_blob_list *blobs; /* non-NULL: a "samples" member */
} tags_how;

size_t tb_dash_blob_samples(const tb_series *s, size_t first)
{
	size_t m = 0;
	for (size_t i = 0; i < tb_series_len(s); i++) {
		size_t n = tb_series_tensor_n(s, i);
		if (n > first && n - first > m)
			m = n - first;
	}
	return m;
}

static void tag_entry(tb_json *j, const tb_series *s, void *arg)
{
	const tags_how *how = arg;
	if (how->skip && how->skip(s))
		return;
	tb_json_key_n(j, tb_series_tag(s), tb_series_tag_len(s));
	tb_json_obj_begin(j);
	tb_json_key(j, "displayName");
	tb_json_str(j, tb_series_display_name(s));
	tb_json_key(j, "description");
	tb_dash_description(j, tb_series_description(s));
	if (how->blobs) {
		tb_json_key(j, "samples");
		tb_json_int(j, (int64_t)tb_dash_blob_samples(s, how->blobs->first));
	}
	tb_json_obj_end(j);
}

void tb_dash_tags(tb_resp *resp, tb_dash *d, const char *plugin, int dc,
		  int (*skip)(const tb_series *s))
{
	tags_how how = {skip, NULL};
	tb_dash_series_object(resp, d, plugin, dc, 0, tag_entry, &how);
}

static int blob_newer(const tb_series *s)
{
	return tb_dash_content_varint(s, 1) != 0;
}

void tb_dash_blob_tags(tb_resp *resp, tb_dash *d, const tb_dash_blob_list *how)
{
	tags_how th = {blob_newer, how};
	tb_dash_series_object(resp, d, how->plugin, TB_DC_BLOB_SEQUENCE, 0, tag_entry, &th);
}

void tb_dash_histogram_serve(tb_resp *resp, const tb_req *req, tb_dash *d, uint64_t limit,
			     void (*write)(tb_json *j, const tb_tensor *t))
{
	const char *run = tb_req_query(req, "run"), *tag = tb_req_query(req, "tag");
	if (!run || !tag) {
		tb_resp_error(resp, 400, "Invalid argument: Both run and tag must be specified");
		return;
	}
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	const tb_series *s =
	    tb_dash_series(tb_reader_find_run(&rd, run), tag, "histograms", TB_DC_TENSOR);
	if (!s) {
		tb_dash_error_repr(resp, 404, "Not found: No histogram tag ", tag, " for run ",
				   run);
	} else {
		size_t n;
		uint64_t *idx = tb_dash_sample(&n, tb_series_len(s), limit);
		tb_json j;
		tb_json_init(&j, tb_resp_body(resp));
		tb_json_arr_begin(&j);
		tb_tensor_tmp tmp = {0};
		for (size_t i = 0; i < n; i++) {
			size_t p = tb_dash_pick(idx, i);
			tb_json_arr_begin(&j);
			tb_json_double(&j, tb_series_wall(s, p));
			tb_json_int(&j, tb_series_step(s, p));
			write(&j, tb_series_tensor(s, p, &tmp));
			tb_json_arr_end(&j);
		}
		tb_json_arr_end(&j);
		tb_tensor_tmp_free(&tmp);
		free(idx);
	}
	tb_reader_end(&rd);
}

int tb_dash_content_version(const tb_series *s)
{
	tb_pb pb = tb_pb_make(tb_series_content(s));
	tb_pb_field f;
	int rc, version = 0;
	while ((rc = tb_pb_next(&f, &pb)) == 1)
		if (f.num == 1 && f.wire == TB_PB_VARINT)
			version = (int)(int32_t)f.u;
	return rc < 0 ? -1 : version;
}

uint64_t tb_dash_content_varint(const tb_series *s, uint32_t num)
{
	tb_pb r = tb_pb_make(tb_series_content(s));
	tb_pb_field f;
	uint64_t v = 0;
	while (tb_pb_next(&f, &r) == 1)
		if (f.num == num && f.wire == TB_PB_VARINT)
			v = f.u;
	return v;
}

int tb_dash_parse_sample(uint64_t *out, const char *v)
{
	*out = 0;
	if (!v)
		return 0;
	if (!*v)
		return -1;
	uint64_t n = 0;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9' || n > ((uint64_t)INT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	*out = n;
	return 0;
}

void tb_dash_pyrepr(tb_buf *b, const char *s)
{
	if (!s) {
		tb_buf_puts(b, "None");
		return;
	}
	char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
	tb_buf_putc(b, q);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\' || *p == (unsigned char)q) {
			tb_buf_putc(b, '\\');
			tb_buf_putc(b, (char)*p);
		} else if (*p == '\n') {
			tb_buf_puts(b, "\\n");
		} else if (*p == '\r') {
			tb_buf_puts(b, "\\r");
		} else if (*p == '\t') {
			tb_buf_puts(b, "\\t");
		} else if (*p < 0x20 || *p == 0x7f) {
			tb_buf_printf(b, "\\x%02x", *p);
		} else {
			tb_buf_putc(b, (char)*p);
		}
	}
	tb_buf_putc(b, q);
}

void tb_dash_error_repr(tb_resp *resp, int status, const char *head, const char *a, const char *mid,
			const char *b)
{
	tb_buf msg = TB_BUF_INIT;
	tb_buf_puts(&msg, head);
	tb_dash_pyrepr(&msg, a);
	tb_buf_puts(&msg, mid);
	tb_dash_pyrepr(&msg, b);
	tb_resp_error(resp, status, "%s", msg.ptr);
	tb_buf_free(&msg);
}

void tb_dash_description(tb_json *j, const char *markdown)
{
	if (!markdown || !*markdown) {
		tb_json_str(j, "");
		return;
	}
	tb_buf html = TB_BUF_INIT;
	tb_markdown_to_html(&html, markdown, strlen(markdown));
	tb_json_str_n(j, html.ptr ? html.ptr : "", html.len);
	tb_buf_free(&html);
}

/* A JSON string without the writer's spacing rules, for compact keys. */
static void compact_str(tb_buf *b, const char *s, size_t n)
{
	tb_buf tmp = TB_BUF_INIT;
	tb_json j;
	tb_json_init(&j, &tmp);
	tb_json_str_n(&j, s, n);
	tb_buf_append(b, tmp.ptr, tmp.len);
	tb_buf_free(&tmp);
}

void tb_dash_blob_key(tb_buf *out, const char *eid, const char *run, const char *tag,
		      size_t tag_len, int64_t step, uint64_t index)
{
	tb_buf j = TB_BUF_INIT;
	tb_buf_putc(&j, '[');
	compact_str(&j, eid, strlen(eid));
	tb_buf_putc(&j, ',');
	compact_str(&j, run, strlen(run));
	tb_buf_putc(&j, ',');
	compact_str(&j, tag, tag_len);
	tb_buf_printf(&j, ",%lld,%llu]", (long long)step, (unsigned long long)index);
	tb_buf_base64url(out, j.ptr, j.len);
	tb_buf_free(&j);
}

void tb_dash_blob_list_serve(tb_resp *resp, const tb_req *req, tb_dash *d,
			     const tb_dash_blob_list *how)
{
	const char *run = tb_req_query(req, "run"), *tag = tb_req_query(req, "tag");
	uint64_t sample;
	if (tb_dash_parse_sample(&sample, tb_req_query(req, "sample"))) {
		tb_resp_error(resp, 400, "Invalid argument: sample must be a non-negative integer");
		return;
	}
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	const tb_run *r = tb_reader_find_run(&rd, run);
	const tb_series *s = tb_dash_series(r, tag, how->plugin, TB_DC_BLOB_SEQUENCE);
	if (!s) {
		tb_buf head = TB_BUF_INIT;
		tb_buf_printf(&head, "Not found: No %s data for run=", how->noun);
		tb_dash_error_repr(resp, 404, head.ptr, run, ", tag=", tag);
		tb_buf_free(&head);
		goto out;
	}
	/* sample fits an int64, so the sum cannot wrap */
	uint64_t index = how->first + sample;
	size_t n;
	uint64_t *idx = tb_dash_sample(&n, tb_series_len(s), tb_dash_limit(d, how->plugin));
	tb_json j;
	tb_json_init(&j, tb_resp_body(resp));
	tb_json_arr_begin(&j);
	tb_buf query = TB_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		size_t p = tb_dash_pick(idx, i);
		if (index >= tb_series_tensor_n(s, p))
			continue;
		tb_json_obj_begin(&j);
		tb_buf_clear(&query);
		tb_buf_puts(&query, "blob_key=");
		tb_dash_blob_key(&query, tb_req_experiment(req), tb_run_name(r), tb_series_tag(s),
				 tb_series_tag_len(s), tb_series_step(s, p), index);
		how->point(&j, &query, s, p);
		tb_json_key(&j, "query");
		tb_json_str_n(&j, query.ptr, query.len);
		tb_json_obj_end(&j);
	}
	tb_buf_free(&query);
	tb_json_arr_end(&j);
	free(idx);
out:
	tb_reader_end(&rd);
}
