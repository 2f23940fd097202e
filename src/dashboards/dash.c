/* Helpers shared by the dashboards (see dash.h). */
#include "dash.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "markdown.h"
#include "store/pyrandom.h"

uint64_t tb_dash_limit(const tb_dash *d, const char *plugin, uint64_t dflt)
{
	uint64_t v;
	if (tb_store_override(d->store, plugin, &v))
		return v ? v : UINT64_MAX;
	return dflt;
}

uint64_t *tb_dash_sample(size_t *count, size_t n, uint64_t k)
{
	uint64_t *idx;
	if (n <= k) {
		idx = tb_xmalloc((n ? n : 1) * sizeof *idx);
		for (size_t i = 0; i < n; i++)
			idx[i] = i;
		*count = n;
		return idx;
	}
	idx = tb_xmalloc((size_t)(k ? k : 1) * sizeof *idx);
	tb_downsample_indices(idx, n, k);
	*count = (size_t)k;
	return idx;
}

tb_run *tb_dash_lock_run(tb_store *s, const char *name)
{
	tb_run *r = name ? tb_store_find_run(s, name) : NULL;
	if (r)
		tb_run_rdlock(r);
	return r;
}

tb_series *tb_dash_series(tb_run *run, const char *tag, const char *plugin, int dc)
{
	if (!tag)
		return NULL;
	tb_series *s = tb_run_find_series(run, tag, strlen(tag));
	if (!s || s->data_class != dc || strcmp(s->plugin, plugin) != 0)
		return NULL;
	return s;
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

static void base64url(tb_buf *out, const uint8_t *p, size_t n)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		char c[4] = {abc[v >> 18], abc[(v >> 12) & 63], abc[(v >> 6) & 63], abc[v & 63]};
		tb_buf_append(out, c, 4);
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		char c[2] = {abc[v >> 18], abc[(v >> 12) & 63]};
		tb_buf_append(out, c, 2);
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		char c[3] = {abc[v >> 18], abc[(v >> 12) & 63], abc[(v >> 6) & 63]};
		tb_buf_append(out, c, 3);
	}
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
	base64url(out, (const uint8_t *)j.ptr, j.len);
	tb_buf_free(&j);
}
