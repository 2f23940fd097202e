/* Text dashboard routes (spec HTTP_API.md 9, FORMAT.md 10.6): the text tags
 * of each run, and one tag's values rendered to sanitised HTML.
 *
 * A value is a string tensor of any rank. Rank 0 is one Markdown block;
 * rank 1 and 2 become a table of cells laid out as upstream does; higher
 * ranks show the 2-D slice at index 0 of every leading axis after a
 * warning. Every byte that comes from the event file passes through the
 * sanitiser (markdown.h) before it reaches the answer, cell by cell; only
 * the fixed table skeleton and warnings are written here, and stray
 * table-structure tags in a cell are dropped, so no cell can end its <td>
 * or row early. Values are small (at most 100 per request by default), so
 * each request renders from scratch. */
#include <stdlib.h>
#include <string.h>

#include "dash.h"
#include "markdown.h"
#include "proto/event.h"
#include "proto/pb_decode.h"

#define TEXT_MAX_EMPTY_ROWS 10000

/* TextPluginData.version (field 1); data newer than version 0 is not
 * listed (spec HTTP_API.md 5.1). Content that does not parse counts as 0,
 * as an empty message would. */
static int version_ok(const tb_series *s)
{
	tb_pb r = tb_pb_make(tb_series_content(s));
	tb_pb_field f;
	uint64_t version = 0;
	int rc;
	while ((rc = tb_pb_next(&f, &r)) == 1)
		if (f.num == 1 && f.wire == TB_PB_VARINT)
			version = f.u;
	return rc < 0 || version == 0;
}

static void text_tag(tb_json *j, const tb_series *s, void *arg)
{
	(void)arg;
	if (version_ok(s))
		tb_json_str_n(j, tb_series_tag(s), tb_series_tag_len(s));
}

static void handle_tags(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_dash_series_object(resp, payload, "text", TB_DC_TENSOR, 1, text_tag, NULL);
}

/* Element i of t as text: a string element's bytes without NUL characters
 * (their count is added to *nuls), or a number written in decimal for the
 * odd non-string tensor. */
static void cell_text(tb_buf *out, size_t *nuls, const tb_tensor *t, size_t i)
{
	tb_buf_clear(out);
	if (t->dtype != TB_DT_STRING) {
		double v = tb_tensor_double(t, i);
		int integral = t->dtype != TB_DT_FLOAT && t->dtype != TB_DT_DOUBLE &&
			       t->dtype != TB_DT_HALF && t->dtype != TB_DT_BFLOAT16 &&
			       t->dtype != TB_DT_COMPLEX64 && t->dtype != TB_DT_COMPLEX128;
		if (integral) {
			tb_buf_printf(out, "%.0f", v);
		} else {
			char num[40];
			tb_buf_append(out, num, tb_fmt_double(num, v));
		}
		return;
	}
	tb_slice s = tb_tensor_str(t, i);
	const char *p = (const char *)s.ptr, *end = p + s.len;
	while (p < end) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		size_t run = z ? (size_t)(z - p) : (size_t)(end - p);
		tb_buf_append(out, p, run);
		p += run;
		if (z) {
			++*nuls;
			p++;
		}
	}
}

/* Append sanitised cell HTML without the table-structure tags that stand
 * outside any table of the cell's own: a bare <td> or </tr> would end our
 * cell or row in the browser. An HTML parser ignores such tags outside a
 * table, so dropping them keeps what the cell shows. The sanitiser writes
 * these tags without attributes, so exact matches suffice. */
static void put_cell_html(tb_buf *out, const char *h, size_t len)
{
	static const char *const stray[] = {"<td>",    "</td>",	   "<tr>",    "</tr>",
					    "<th>",    "</th>",	   "<tbody>", "</tbody>",
					    "<thead>", "</thead>", "</table>"};
	int depth = 0;
	size_t from = 0;
	for (size_t i = 0; i < len; i++) {
		if (h[i] != '<')
			continue;
		if (len - i >= 7 && memcmp(h + i, "<table>", 7) == 0) {
			depth++;
			continue;
		}
		if (depth && len - i >= 8 && memcmp(h + i, "</table>", 8) == 0) {
			depth--;
			continue;
		}
		if (depth)
			continue;
		for (size_t k = 0; k < sizeof stray / sizeof stray[0]; k++) {
			size_t n = strlen(stray[k]);
			if (len - i >= n && memcmp(h + i, stray[k], n) == 0) {
				tb_buf_append(out, h + from, i - from);
				from = i + n;
				i += n - 1;
				break;
			}
		}
	}
	tb_buf_append(out, h + from, len - from);
}

/* One cell's HTML: Markdown rendered and sanitised, or (markdown off) the
 * text sanitised as it stands. */
static void render_cell(tb_buf *out, const tb_buf *text, int markdown)
{
	const char *p = text->ptr ? text->ptr : "";
	tb_buf html = TB_BUF_INIT;
	if (markdown)
		tb_markdown_to_html(&html, p, text->len);
	else
		tb_html_sanitize(&html, p, text->len);
	put_cell_html(out, html.ptr ? html.ptr : "", html.len);
	tb_buf_free(&html);
}

/* The HTML of one stored value (spec HTTP_API.md 9.2). */
static void render_value(tb_buf *out, const tb_tensor *t, int markdown)
{
	tb_buf text = TB_BUF_INIT, body = TB_BUF_INIT;
	size_t nuls = 0;
	if (t->rank == 0) {
		if (t->n)
			cell_text(&text, &nuls, t, 0);
		const char *p = text.ptr ? text.ptr : "";
		if (markdown)
			tb_markdown_to_html(&body, p, text.len);
		else
			tb_html_sanitize(&body, p, text.len);
	} else {
		size_t rows = (size_t)t->dims[t->rank - 1], cols = 1;
		if (t->rank >= 2) {
			rows = (size_t)t->dims[t->rank - 2];
			cols = (size_t)t->dims[t->rank - 1];
		}
		/* Index 0 of every leading axis is the first rows * cols elements
		 * in row-major order; with an empty leading axis there is no slice.
		 * A shape like [huge, 0] holds no cells: its empty rows are capped. */
		if (cols && rows > t->n / cols)
			rows = 0;
		if (!cols && rows > TEXT_MAX_EMPTY_ROWS)
			rows = TEXT_MAX_EMPTY_ROWS;
		if (t->rank > 2)
			tb_buf_printf(out,
				      "<p><strong>Warning:</strong> This text summary contained "
				      "data of dimensionality %d, but only   2d tables are "
				      "supported. Showing a 2d slice of the data instead.</p>",
				      t->rank);
		tb_buf_puts(&body, "<table>\n<tbody>\n");
		for (size_t r = 0; r < rows; r++) {
			tb_buf_puts(&body, "<tr>\n");
			for (size_t c = 0; c < cols; c++) {
				cell_text(&text, &nuls, t, r * cols + c);
				tb_buf_puts(&body, "<td>");
				render_cell(&body, &text, markdown);
				tb_buf_puts(&body, "</td>\n");
			}
			tb_buf_puts(&body, "</tr>\n");
		}
		tb_buf_puts(&body, "</tbody>\n</table>");
	}
	if (markdown && nuls)
		tb_buf_printf(out,
			      "<!-- WARNING: discarded %zu null bytes in markdown string after "
			      "UTF-8 decoding -->\n",
			      nuls);
	if (body.len)
		tb_buf_append(out, body.ptr, body.len);
	tb_buf_free(&text);
	tb_buf_free(&body);
}

static void handle_text(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash *d = payload;
	const char *run = tb_req_query(req, "run"), *tag = tb_req_query(req, "tag");
	const char *md = tb_req_query(req, "markdown");
	int markdown = !(md && strcmp(md, "false") == 0);
	tb_json j;
	tb_json_init(&j, tb_resp_body(resp));
	tb_json_arr_begin(&j);
	/* Unknown or missing run and tag: an empty list (decision D19). */
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	const tb_run *r = tb_reader_find_run(&rd, run);
	const tb_series *s = tb_dash_series(r, tag, "text", TB_DC_TENSOR);
	if (s) {
		size_t n;
		uint64_t *idx = tb_dash_sample(&n, tb_series_len(s), tb_dash_limit(d, "text"));
		tb_buf html = TB_BUF_INIT;
		tb_tensor_tmp tmp = {0};
		for (size_t i = 0; i < n; i++) {
			size_t p = tb_dash_pick(idx, i);
			tb_buf_clear(&html);
			render_value(&html, tb_series_tensor(s, p, &tmp), markdown);
			tb_json_obj_begin(&j);
			tb_json_key(&j, "wall_time");
			tb_json_double(&j, tb_series_wall(s, p));
			tb_json_key(&j, "step");
			tb_json_int(&j, tb_series_step(s, p));
			tb_json_key(&j, "text");
			tb_json_str_n(&j, html.ptr ? html.ptr : "", html.len);
			tb_json_obj_end(&j);
		}
		tb_buf_free(&html);
		tb_tensor_tmp_free(&tmp);
		free(idx);
	}
	tb_reader_end(&rd);
	tb_json_arr_end(&j);
}

void tb_text_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/plugin/text/tags", handle_tags, d);
	tb_router_add(r, "/data/plugin/text/text", handle_text, d);
}
