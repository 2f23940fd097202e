/* Hostile-input tests for the text and custom scalars dashboards against a
 * real server on a log directory written here: text summaries that try to
 * smuggle scripts, event handlers and javascript: links into the page or
 * to break out of their table cell, tensors of rank 3, NUL bytes, empty and
 * huge values; layouts merged over three runs plus one that does not
 * decode; tag patterns that are invalid, refused or catastrophic for a
 * backtracking matcher. Every request gets a clear answer quickly, no
 * script reaches the output, and the server keeps serving. */
#include <curl/curl.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../api/spawn.h"
#include "../harness.h"
#include "html_tags.h"
#include "common/buf.h"
#include "proto/pb_encode.h"
#include "record/rec_writer.h"
#include "../api/http_client.h"
#include "../api/testutil.h"

/* ---- writing a log directory ------------------------------------------- */

/* Event{wall_time, step, summary{value{tag, metadata{plugin}, tensor}}}
 * with a DT_STRING tensor of the given shape holding n strings. */
static void put_strings(FILE *e, int64_t step, const char *tag, const char *plugin, int rank,
			const int64_t *dims, const char *const *strs, const size_t *lens, size_t n)
{
	tb_test_tensor t = {7 /* DT_STRING */, rank, dims, NULL, 0, strs, lens, n};
	tb_test_put_value(e, 1700000000.0 + (double)step, step, tag, plugin, NULL, 0, &t);
}

static void put_text(FILE *e, int64_t step, const char *tag, const char *s)
{
	put_strings(e, step, tag, "text", 0, NULL, &s, NULL, 1);
}

static void put_layout(FILE *e, const tb_pb_buf *layout)
{
	const char *s = (const char *)layout->data;
	size_t len = layout->len;
	int64_t one = 1;
	put_strings(e, 0, "custom_scalars__config__", "custom_scalars", 1, &one, &s, &len, 1);
}

/* One chart of a custom scalars layout: a multiline chart of the tags
 * `value` matches, or with `upper` a margin chart of one series. */
typedef struct layout_chart {
	const char *category;
	int closed;
	const char *title;
	const char *value;
	const char *upper;
} layout_chart;

/* Layout{category{title, closed, chart{title, multiline|margin}...}...}
 * built from n charts, those of one category standing together. */
static void put_layout_of(FILE *e, const layout_chart *c, size_t n)
{
	tb_pb_buf l = {0};
	for (size_t i = 0; i < n; i++) {
		size_t cat = tb_pb_begin(&l, 2);
		tb_pb_put_string(&l, 1, c[i].category);
		if (c[i].closed)
			tb_pb_put_bool(&l, 3, 1);
		for (;; i++) {
			size_t chart = tb_pb_begin(&l, 2);
			tb_pb_put_string(&l, 1, c[i].title);
			size_t content = tb_pb_begin(&l, c[i].upper ? 3 : 2);
			size_t series = c[i].upper ? tb_pb_begin(&l, 1) : 0;
			tb_pb_put_string(&l, 1, c[i].value);
			if (c[i].upper) {
				tb_pb_put_string(&l, 3, c[i].upper);
				tb_pb_end(&l, series);
			}
			tb_pb_end(&l, content);
			tb_pb_end(&l, chart);
			if (i + 1 == n || strcmp(c[i + 1].category, c[i].category) != 0)
				break;
		}
		tb_pb_end(&l, cat);
	}
	put_layout(e, &l);
	tb_pb_buf_free(&l);
}

static char logdir[256];
static char huge_text[1 << 20];

/* The event file of a new run root/name. */
static FILE *open_run(const char *root, const char *name)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/%s", root, name);
	return tb_test_open_events(dir);
}

static void write_logdir(const char *root)
{
	FILE *e;

	/* run a: text and scalars */
	e = open_run(root, "a");
	static const char *const hostile[] = {
	    "<script>alert(1)</script>",
	    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
	    "[click](javascript:alert(1))",
	    "<a href=\"javascript:alert(1)\" onclick=\"alert(2)\">y</a>",
	    "<a href=\" JaVaScRiPt:alert(1)\">z</a>",
	    "<img src=x onerror=alert(1)>",
	    "<svg onload=alert(1)><iframe src=\"http://evil.example/\"></iframe>",
	    "<p style=\"x\" onmouseover=\"alert(1)\">hover</p>",
	    "<scr<script>ipt>alert(1)</scr</script>ipt>",
	    "<!--<script>alert(1)</script>-->",
	    "<a href=\"data:text/html,<script>alert(1)</script>\">d</a>",
	    "`<script>alert(1)</script>` and ```\n<script>alert(1)</script>\n```",
	    "<math><mi xlink:href=\"javascript:alert(1)\">m</mi></math>",
	    "<object data=\"javascript:alert(1)\"></object><embed src=\"javascript:alert(1)\">",
	};
	size_t n_hostile = sizeof hostile / sizeof hostile[0];
	for (size_t i = 0; i < n_hostile; i++)
		put_text(e, (int64_t)i, "hostile/scalar", hostile[i]);
	put_strings(e, 0, "hostile/vector", "text", 1, (int64_t[]){(int64_t)n_hostile}, hostile,
		    NULL, n_hostile);
	static const char *const breakout[] = {
	    "</td></tr></tbody></table><script>alert(1)</script>",
	    "<td>fake cell</td>",
	    "</table>after",
	    "<table><tr><td>nested",
	};
	put_strings(e, 0, "breakout", "text", 2, (int64_t[]){2, 2}, breakout, NULL, 4);
	static const char *const cube[] = {"c000", "c001", "c010", "c011",
					   "c100", "c101", "c110", "c111"};
	put_strings(e, 0, "cube", "text", 3, (int64_t[]){2, 2, 2}, cube, NULL, 8);
	put_strings(e, 0, "empty", "text", 1, (int64_t[]){0}, NULL, NULL, 0);
	put_strings(e, 0, "nocols", "text", 2, (int64_t[]){1000000000, 0}, NULL, NULL, 0);
	const char *nul = "a\0b\0c";
	size_t nul_len = 5;
	put_strings(e, 0, "nul", "text", 0, NULL, &nul, &nul_len, 1);
	put_text(e, 0, "md", "fry *loves* garnet");
	memset(huge_text, 'x', sizeof huge_text - 1);
	for (size_t i = 0; i + 9 < sizeof huge_text; i += 4096)
		memcpy(huge_text + i, "<script>", 8);
	put_text(e, 0, "huge", huge_text);
	for (int64_t s = 0; s < 150; s++)
		put_text(e, s, "many", "step");
	static const char *const scalars[] = {"loss", "loss/extra", "acc", "layer_1/w"};
	for (size_t i = 0; i < 4; i++)
		for (int64_t s = 0; s < 3; s++)
			tb_test_put_scalar(e, s, scalars[i], (float)s);
	char longtag[200];
	memset(longtag, 'a', sizeof longtag - 1);
	longtag[sizeof longtag - 1] = '\0';
	tb_test_put_scalar(e, 0, longtag, 1.0f);

	/* Layouts: run a introduces "Shared"; run b a new category "Late" and
	 * a chart for "Shared"; run c adds charts to both. Each run repeats one
	 * chart of the one before. */
	static const layout_chart layout_a[] = {{"Shared", 0, "losses", "loss.*", NULL}};
	static const layout_chart layout_b[] = {
	    {"Shared", 0, "losses", "loss.*", NULL},
	    {"Shared", 0, "acc", "acc", NULL},
	    {"Late", 1, "first", "a", NULL},
	};
	static const layout_chart layout_c[] = {
	    {"Late", 0, "first", "a", NULL},
	    {"Late", 0, "second", "b", NULL},
	    {"Shared", 0, "band", "loss", "acc"},
	};
	put_layout_of(e, layout_a, 1);
	fclose(e);
	e = open_run(root, "b");
	put_layout_of(e, layout_b, 3);
	fclose(e);
	e = open_run(root, "c");
	put_layout_of(e, layout_c, 3);
	fclose(e);

	/* run d: a layout that does not decode (a length past the end). */
	e = open_run(root, "d");
	tb_pb_buf bad = {0};
	tb_pb_put_raw(&bad, "\x12\x7f\x0a", 3);
	put_layout(e, &bad);
	tb_pb_buf_free(&bad);
	fclose(e);
}

/* ---- a tiny client ------------------------------------------------------ */

typedef tb_http_reply reply;

static CURL *curl;
static int port;

/* GET path (already URL-encoded); the reply's body is NUL-terminated. */
static void get(reply *r, const char *path)
{
	tb_http_send(r, curl, port, path, NULL);
}

/* GET path and parse the JSON answer (NULL with a failed check if the
 * answer is not 200 application/json). */
static json_t *get_json(const char *path)
{
	reply r;
	get(&r, path);
	json_t *j = NULL;
	if (r.status != 200 || strcmp(r.ctype, "application/json") != 0) {
		fprintf(stderr, "%.200s: got %ld %s \"%.200s\"\n", path, r.status, r.ctype,
			r.body.ptr);
		CHECK(0);
	} else {
		j = json_loads(r.body.ptr, JSON_DECODE_ANY, NULL);
		CHECK(j != NULL);
	}
	tb_buf_free(&r.body);
	return j;
}

static char *enc(const char *s)
{
	char *e = curl_easy_escape(curl, s, 0);
	char *out = strdup(e);
	curl_free(e);
	return out;
}

/* ---- the safety check ---------------------------------------------------- */

/* 1 if html is safe to insert into a page: every tag is one of the
 * allowed elements, attributes are only href/title on <a> and src/title/
 * alt on <img>, URLs carry no script scheme, and nothing looks like a
 * script element. Comments are allowed only as the leading NUL warning.
 * Prints the reason otherwise. */
static int html_safe(const char *html)
{
	const char *p = html;
	if (strncmp(p, "<!-- WARNING: discarded ", 24) == 0)
		p = strstr(p, "-->\n") + 4;
	for (const char *q = html; *q; q++)
		if (strncasecmp(q, "<script", 7) == 0) {
			fprintf(stderr, "unsafe: raw <script in \"%.120s\"\n", q);
			return 0;
		}
	while ((p = strchr(p, '<'))) {
		p++;
		if (*p == '/')
			p++;
		size_t n = 0;
		while (isalnum((unsigned char)p[n]))
			n++;
		if (!tb_test_html_tag_ok(p, n)) {
			fprintf(stderr, "unsafe: tag \"%.20s\"\n", p - 1);
			return 0;
		}
		int a = n == 1 && *p == 'a', img = n == 3 && strncmp(p, "img", 3) == 0;
		const char *q = p + n;
		while (*q && *q != '>') {
			while (*q == ' ')
				q++;
			if (*q == '>' || !*q)
				break;
			size_t an = 0;
			while (q[an] && q[an] != '=' && q[an] != ' ' && q[an] != '>')
				an++;
			int allowed = (a && ((an == 4 && !strncmp(q, "href", 4)) ||
					     (an == 5 && !strncmp(q, "title", 5)))) ||
				      (img && ((an == 3 && !strncmp(q, "src", 3)) ||
					       (an == 3 && !strncmp(q, "alt", 3)) ||
					       (an == 5 && !strncmp(q, "title", 5))));
			if (!allowed) {
				fprintf(stderr, "unsafe: attribute \"%.*s\"\n", (int)an, q);
				return 0;
			}
			q += an;
			if (*q == '=' && q[1] == '"') {
				const char *v = q + 2, *end = strchr(v, '"');
				if (!end)
					return 0;
				while (*v == ' ' || *v == '\t')
					v++;
				size_t k = 0;
				while (v + k < end && isalpha((unsigned char)v[k]))
					k++;
				if (v + k < end && v[k] == ':' &&
				    !((k == 4 && !strncasecmp(v, "http", 4)) ||
				      (k == 5 && !strncasecmp(v, "https", 5)) ||
				      (k == 6 && !strncasecmp(v, "mailto", 6)))) {
					fprintf(stderr, "unsafe: URL \"%.*s\"\n", (int)(end - v),
						v);
					return 0;
				}
				q = end + 1;
			}
		}
	}
	return 1;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Count the rows and cells of the outermost table of html, which must
 * start with it and end with its closing tag, nested tables (a cell's own
 * content) being balanced inside. Returns 0 if the tables do not nest. */
static int outer_table(const char *html, size_t *rows, size_t *cells)
{
	int depth = 0;
	*rows = *cells = 0;
	for (const char *p = html; *p; p++) {
		if (strncmp(p, "<table>", 7) == 0) {
			depth++;
		} else if (strncmp(p, "</table>", 8) == 0) {
			if (--depth < 0)
				return 0;
			if (depth == 0)
				return p[8] == '\0';
		} else if (depth == 1 && strncmp(p, "<tr>", 4) == 0) {
			++*rows;
		} else if (depth == 1 && strncmp(p, "<td>", 4) == 0) {
			++*cells;
		}
	}
	return 0;
}

/* The "text" of entry i of /data/plugin/text/text?run=a&tag=TAG[&extra]. */
static char *text_of(const char *tag, const char *extra, size_t i, size_t *n_entries)
{
	char path[1024];
	char *etag = enc(tag);
	snprintf(path, sizeof path, "/data/plugin/text/text?run=a&tag=%s%s", etag,
		 extra ? extra : "");
	free(etag);
	json_t *j = get_json(path);
	const char *t = json_string_value(json_object_get(json_array_get(j, i), "text"));
	char *out = t ? strdup(t) : NULL;
	if (n_entries)
		*n_entries = json_array_size(j);
	json_decref(j);
	return out;
}

/* ---- text ------------------------------------------------------------------ */

static void test_text__tags(void)
{
	json_t *j = get_json("/data/plugin/text/tags");
	json_t *a = json_object_get(j, "a");
	CHECK(json_is_array(a));
	const char *want[] = {"hostile/scalar",
			      "hostile/vector",
			      "breakout",
			      "cube",
			      "empty",
			      "nul",
			      "md",
			      "huge",
			      "many"};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		int found = 0;
		for (size_t k = 0; k < json_array_size(a); k++)
			found |= strcmp(json_string_value(json_array_get(a, k)), want[i]) == 0;
		if (!found)
			fprintf(stderr, "text/tags lacks %s\n", want[i]);
		CHECK(found);
	}
	CHECK(json_object_get(j, "b") == NULL); /* no text in run b */
	json_decref(j);
}

static void test_text__missing_and_unknown(void)
{
	const char *paths[] = {
	    "/data/plugin/text/text",
	    "/data/plugin/text/text?run=a",
	    "/data/plugin/text/text?tag=md",
	    "/data/plugin/text/text?run=nope&tag=md",
	    "/data/plugin/text/text?run=a&tag=nope",
	    "/data/plugin/text/text?run=a&tag=loss", /* a scalar tag */
	    "/data/plugin/text/text?run=&tag=",
	    "/data/plugin/text/text?run=%ff%fe&tag=%00",
	    "/data/plugin/text/text?run=a&tag=md&run=b&markdown",
	};
	for (size_t i = 0; i + 1 < sizeof paths / sizeof paths[0]; i++) {
		json_t *j = get_json(paths[i]);
		CHECK(json_is_array(j) && json_array_size(j) == 0);
		json_decref(j);
	}
	/* first occurrence wins; a bare "markdown" is not "false" */
	json_t *j = get_json(paths[sizeof paths / sizeof paths[0] - 1]);
	CHECK_INT(json_array_size(j), 1);
	json_decref(j);
}

static void test_text__no_script_reaches_the_output(void)
{
	for (int md = 0; md < 2; md++) {
		const char *extra = md ? NULL : "&markdown=false";
		size_t n = 0;
		for (size_t i = 0;; i++) {
			char *t = text_of("hostile/scalar", extra, i, &n);
			if (!t)
				break;
			if (!html_safe(t)) {
				fprintf(stderr,
					"  in hostile/scalar[%zu] markdown=%d: \"%.200s\"\n", i, md,
					t);
				CHECK(0);
			}
			free(t);
		}
		CHECK_INT(n, 14);
		char *t = text_of("hostile/vector", extra, 0, NULL);
		CHECK(t && html_safe(t));
		/* one row per element, each a single cell of our own */
		CHECK_INT(count(t, "<tr>\n<td>"), 14);
		free(t);
	}
}

static void test_text__cells_cannot_break_the_table(void)
{
	for (int md = 0; md < 2; md++) {
		char *t = text_of("breakout", md ? NULL : "&markdown=false", 0, NULL);
		CHECK(t && html_safe(t));
		if (!t)
			continue;
		CHECK(strncmp(t, "<table>\n<tbody>\n<tr>\n<td>", 24) == 0);
		size_t rows, cells;
		CHECK(outer_table(t, &rows, &cells));
		CHECK_INT(rows, 2);
		CHECK_INT(cells, 4);
		if (getenv("TEXTCS_VERBOSE"))
			fprintf(stderr, "breakout markdown=%d: %s\n", md, t);
		size_t n = strlen(t), tail = strlen("</td>\n</tr>\n</tbody>\n</table>");
		CHECK(n > tail && strcmp(t + n - tail, "</td>\n</tr>\n</tbody>\n</table>") == 0);
		free(t);
	}
}

static void test_text__shapes(void)
{
	char *t = text_of("cube", NULL, 0, NULL);
	CHECK(t != NULL);
	if (t) {
		const char *warn =
		    "<p><strong>Warning:</strong> This text summary contained data of "
		    "dimensionality 3, but only   2d tables are supported. Showing a "
		    "2d slice of the data instead.</p><table>\n<tbody>\n";
		CHECK(strncmp(t, warn, strlen(warn)) == 0);
		CHECK_INT(count(t, "<tr>"), 2);
		CHECK_INT(count(t, "<td>"), 4);
		CHECK(strstr(t, "c000") && strstr(t, "c001") && strstr(t, "c010") &&
		      strstr(t, "c011"));
		CHECK(!strstr(t, "c100"));
		CHECK(html_safe(t));
	}
	free(t);
	t = text_of("empty", NULL, 0, NULL);
	CHECK_STR(t, "<table>\n<tbody>\n</tbody>\n</table>");
	free(t);
	/* a billion rows of no cells: capped, answered quickly */
	reply r;
	get(&r, "/data/plugin/text/text?run=a&tag=nocols");
	CHECK_INT(r.status, 200);
	CHECK(r.body.len < 1000000);
	CHECK(r.secs < 10);
	tb_buf_free(&r.body);
}

static void test_text__nul_bytes(void)
{
	char *t = text_of("nul", NULL, 0, NULL);
	const char *warn =
	    "<!-- WARNING: discarded 2 null bytes in markdown string after UTF-8 decoding -->\n";
	CHECK(t && strncmp(t, warn, strlen(warn)) == 0);
	CHECK(t && strstr(t, "abc"));
	free(t);
	t = text_of("nul", "&markdown=false", 0, NULL);
	CHECK_STR(t, "abc");
	free(t);
}

static void test_text__markdown_flag(void)
{
	char *t = text_of("md", "&markdown=false", 0, NULL);
	CHECK_STR(t, "fry *loves* garnet");
	free(t);
	/* anything but exactly "false" keeps Markdown on */
	const char *on[] = {NULL, "&markdown=False", "&markdown=0", "&markdown=true", "&markdown="};
	for (size_t i = 0; i < sizeof on / sizeof on[0]; i++) {
		t = text_of("md", on[i], 0, NULL);
		CHECK(t && strncmp(t, "<p>fry ", 7) == 0);
		free(t);
	}
}

static void test_text__huge_and_many(void)
{
	size_t n;
	char *t = text_of("huge", NULL, 0, &n);
	CHECK_INT(n, 1);
	CHECK(t && strlen(t) > sizeof huge_text - 1 && html_safe(t));
	free(t);
	t = text_of("huge", "&markdown=false", 0, NULL);
	CHECK(t && strlen(t) > sizeof huge_text - 1 && html_safe(t));
	free(t);
	/* 150 steps, 100 served by default, always the last */
	json_t *j = get_json("/data/plugin/text/text?run=a&tag=many");
	CHECK_INT(json_array_size(j), 100);
	json_t *last = json_array_get(j, json_array_size(j) - 1);
	CHECK_INT(json_integer_value(json_object_get(last, "step")), 149);
	CHECK(json_is_real(json_object_get(last, "wall_time")));
	CHECK_STR(json_string_value(json_object_get(last, "text")), "<p>step</p>");
	json_decref(j);
}

/* ---- custom scalars ---------------------------------------------------------- */

static const char *chart_title(json_t *cat, size_t i)
{
	return json_string_value(
	    json_object_get(json_array_get(json_object_get(cat, "chart"), i), "title"));
}

static void test_custom_scalars__layout_merge(void)
{
	json_t *j = get_json("/data/plugin/custom_scalars/layout");
	CHECK_INT(json_integer_value(json_object_get(j, "version")), 0);
	json_t *cats = json_object_get(j, "category");
	CHECK_INT(json_array_size(cats), 2);
	json_t *shared = json_array_get(cats, 0), *late = json_array_get(cats, 1);
	CHECK_STR(json_string_value(json_object_get(shared, "title")), "Shared");
	CHECK(json_is_false(json_object_get(shared, "closed")));
	CHECK_INT(json_array_size(json_object_get(shared, "chart")), 3);
	CHECK_STR(chart_title(shared, 0), "losses");
	CHECK_STR(chart_title(shared, 1), "acc");
	CHECK_STR(chart_title(shared, 2), "band");
	json_t *band = json_array_get(json_object_get(shared, "chart"), 2);
	json_t *s0 = json_array_get(json_object_get(json_object_get(band, "margin"), "series"), 0);
	CHECK_STR(json_string_value(json_object_get(s0, "value")), "loss");
	CHECK_STR(json_string_value(json_object_get(s0, "lower")), ""); /* default printed */
	CHECK_STR(json_string_value(json_object_get(s0, "upper")), "acc");
	CHECK(json_object_get(band, "multiline") == NULL);
	/* "Late" came with run b; run c's chart for it is kept (decision D8) */
	CHECK_STR(json_string_value(json_object_get(late, "title")), "Late");
	CHECK(json_is_true(json_object_get(late, "closed")));
	CHECK_INT(json_array_size(json_object_get(late, "chart")), 2);
	CHECK_STR(chart_title(late, 0), "first");
	CHECK_STR(chart_title(late, 1), "second");
	json_decref(j);

	/* pretty-printed as protobuf's JSON printer does */
	reply r;
	get(&r, "/data/plugin/custom_scalars/layout");
	const char *head = "{\n  \"category\": [\n    {\n      \"title\": \"Shared\",\n";
	CHECK(strncmp(r.body.ptr, head, strlen(head)) == 0);
	CHECK(r.body.len > 2 && strcmp(r.body.ptr + r.body.len - 2, "\n}") == 0);
	tb_buf_free(&r.body);
}

/* GET custom_scalars/scalars with this (raw) pattern; returns the answer
 * and checks it was quick. */
static json_t *cs_scalars(const char *run, const char *pattern)
{
	tb_buf path = TB_BUF_INIT;
	tb_buf_puts(&path, "/data/plugin/custom_scalars/scalars?");
	if (run)
		tb_buf_printf(&path, "run=%s&", run);
	if (pattern) {
		char *e = enc(pattern);
		tb_buf_printf(&path, "tag=%s", e);
		free(e);
	}
	reply r;
	get(&r, path.ptr);
	json_t *j = NULL;
	if (r.status != 200 || strcmp(r.ctype, "application/json") != 0) {
		fprintf(stderr, "%.100s: %ld %s\n", path.ptr, r.status, r.ctype);
		CHECK(0);
	} else {
		j = json_loads(r.body.ptr, 0, NULL);
	}
	if (r.secs > 5) {
		fprintf(stderr, "pattern %.60s took %.1f s\n", pattern ? pattern : "(none)",
			r.secs);
		CHECK(0);
	}
	tb_buf_free(&r.body);
	tb_buf_free(&path);
	return j;
}

static int regex_valid(json_t *j)
{
	return json_is_true(json_object_get(j, "regex_valid"));
}

static void test_custom_scalars__regex_match(void)
{
	json_t *j = cs_scalars("a", "loss");
	CHECK(regex_valid(j));
	json_t *t = json_object_get(j, "tag_to_events");
	CHECK_INT(json_object_size(t), 2); /* a prefix match: loss and loss/extra */
	json_t *pts = json_object_get(t, "loss");
	CHECK_INT(json_array_size(pts), 3);
	CHECK_INT(json_integer_value(json_array_get(json_array_get(pts, 2), 1)), 2);
	json_decref(j);

	j = cs_scalars("a", "^loss$");
	CHECK(regex_valid(j) && json_object_size(json_object_get(j, "tag_to_events")) == 1);
	json_decref(j);
	j = cs_scalars("a", "oss"); /* must match at the start */
	CHECK(regex_valid(j) && json_object_size(json_object_get(j, "tag_to_events")) == 0);
	json_decref(j);
	j = cs_scalars("a", "loss|acc");
	CHECK_INT(json_object_size(json_object_get(j, "tag_to_events")), 3);
	json_decref(j);
	j = cs_scalars("a", "layer_\\d/");
	CHECK(json_object_get(json_object_get(j, "tag_to_events"), "layer_1/w") != NULL);
	json_decref(j);
	j = cs_scalars("a", "(?:lo|ac)");
	CHECK(regex_valid(j));
	CHECK_INT(json_object_size(json_object_get(j, "tag_to_events")), 3);
	json_decref(j);
	/* a brace that is no quantifier is a literal, as in Python */
	j = cs_scalars("a", "lo{x}");
	CHECK(regex_valid(j) && json_object_size(json_object_get(j, "tag_to_events")) == 0);
	json_decref(j);
	j = cs_scalars("a", "l{1}o{0,3}s{2}");
	CHECK_INT(json_object_size(json_object_get(j, "tag_to_events")), 2);
	json_decref(j);
	j = cs_scalars("a", "md"); /* a text tag, not a scalar */
	CHECK(regex_valid(j) && json_object_size(json_object_get(j, "tag_to_events")) == 0);
	json_decref(j);
	/* unknown or missing run: valid, nothing */
	const char *runs[] = {"nope", NULL, "", "%00"};
	for (size_t i = 0; i < 4; i++) {
		j = cs_scalars(runs[i], "loss");
		CHECK(regex_valid(j) && json_object_size(json_object_get(j, "tag_to_events")) == 0);
		json_decref(j);
	}
}

static void test_custom_scalars__bad_patterns(void)
{
	char *long_pat = malloc(4001);
	memset(long_pat, 'a', 4000);
	long_pat[4000] = '\0';
	const char *bad[] = {
	    NULL,
	    "",
	    "(",
	    ")",
	    "a)",
	    "[",
	    "[a-",
	    "*a",
	    "\\",
	    "a{99999}",
	    "((a{100}){100}){100}",
	    "(((((((((((a{9}){9}){9}){9}){9})))))))",
	    long_pat,
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *j = cs_scalars("a", bad[i]);
		if (!j || regex_valid(j) || json_object_size(json_object_get(j, "tag_to_events"))) {
			fprintf(stderr, "pattern #%zu \"%.40s\" was accepted\n", i,
				bad[i] ? bad[i] : "(none)");
			CHECK(0);
		}
		json_decref(j);
	}
	free(long_pat);
}

/* Python syntax that POSIX regular expressions lack is valid and means what
 * it means upstream: a named group, a lookahead, a back-reference. */
static void test_custom_scalars__python_syntax(void)
{
	const char *ok[] = {"(?P<x>aa)", "(?=aa)", "(a)\\1"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		json_t *j = cs_scalars("a", ok[i]);
		CHECK(regex_valid(j));
		/* only the tag of 'a's starts with "aa" */
		CHECK_INT(json_object_size(json_object_get(j, "tag_to_events")), 1);
		json_decref(j);
	}
	json_t *j = cs_scalars("a", "(?P<x>l)(?P=x)");
	CHECK(regex_valid(j) && json_object_size(json_object_get(j, "tag_to_events")) == 0);
	json_decref(j);
}

static void test_custom_scalars__catastrophic_patterns(void)
{
	/* Exponential for a backtracking matcher against the 199-'a' tag. */
	const char *slow[] = {"(a*)*b",	    "(a|aa)*b", "(a+)+$x",	 "(.*a){20}b",
			      "((a|a)*)*z", "(a|a?)+b", "([a-z]+)*[0-9]"};
	for (size_t i = 0; i < sizeof slow / sizeof slow[0]; i++) {
		json_t *j = cs_scalars("a", slow[i]);
		CHECK(j != NULL);
		CHECK(json_object_size(json_object_get(j, "tag_to_events")) == 0);
		json_decref(j);
	}
	json_t *j = cs_scalars("a", "(a+)+");
	CHECK(regex_valid(j) && json_object_size(json_object_get(j, "tag_to_events")) == 2);
	json_decref(j);
}

static void test_custom_scalars__download(void)
{
	reply r;
	get(&r, "/data/plugin/custom_scalars/download_data?run=a");
	CHECK_INT(r.status, 400);
	CHECK_STR(r.ctype, "text/plain; charset=utf-8");
	CHECK_STR(r.body.ptr,
		  "Invalid argument: Both run and tag must be specified: tag=None, run='a'");
	tb_buf_free(&r.body);
	get(&r, "/data/plugin/custom_scalars/download_data");
	CHECK_INT(r.status, 400);
	tb_buf_free(&r.body);
	get(&r, "/data/plugin/custom_scalars/download_data?run=a&tag=nope");
	CHECK_INT(r.status, 404);
	CHECK_STR(r.body.ptr, "Not found: No scalar data for run='a', tag='nope'");
	tb_buf_free(&r.body);
	get(&r, "/data/plugin/custom_scalars/download_data?run=a&tag=md"); /* text, not scalar */
	CHECK_INT(r.status, 404);
	tb_buf_free(&r.body);
	get(&r, "/data/plugin/custom_scalars/download_data?run=a&tag=loss&format=csv");
	CHECK_INT(r.status, 200);
	CHECK_STR(r.ctype, "text/csv; charset=utf-8");
	CHECK(strncmp(r.body.ptr, "Wall time,Step,Value\r\n1700000000.0,0,0.0\r\n", 42) == 0);
	CHECK_INT(count(r.body.ptr, "\r\n"), 4);
	tb_buf_free(&r.body);
	json_t *j = get_json("/data/plugin/custom_scalars/download_data?run=a&tag=loss&format=xml");
	CHECK_INT(json_array_size(j), 3);
	json_decref(j);
}

int main(void)
{
	const char *binary = tb_spawn_binary();
	if (!binary)
		return 2;
	tb_spawn *srv = tb_spawn_serve_new(binary, logdir, sizeof logdir, "textcs_test_",
					   write_logdir, tb_spawn_loaded, &port);
	if (!srv)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();

	TB_RUN(test_text__tags);
	TB_RUN(test_text__missing_and_unknown);
	TB_RUN(test_text__no_script_reaches_the_output);
	TB_RUN(test_text__cells_cannot_break_the_table);
	TB_RUN(test_text__shapes);
	TB_RUN(test_text__nul_bytes);
	TB_RUN(test_text__markdown_flag);
	TB_RUN(test_text__huge_and_many);
	TB_RUN(test_custom_scalars__layout_merge);
	TB_RUN(test_custom_scalars__regex_match);
	TB_RUN(test_custom_scalars__bad_patterns);
	TB_RUN(test_custom_scalars__python_syntax);
	TB_RUN(test_custom_scalars__catastrophic_patterns);
	TB_RUN(test_custom_scalars__download);

	/* still serving after all of the above */
	CHECK(tb_spawn_alive(srv));
	reply r;
	get(&r, "/data/runs");
	CHECK_INT(r.status, 200);
	tb_buf_free(&r.body);
	CHECK(tb_spawn_stop_clean(srv)); /* clean, no leaks */

	curl_easy_cleanup(curl);
	curl_global_cleanup();
	tb_test_rmtree(logdir);
	return tb_test_finish();
}
