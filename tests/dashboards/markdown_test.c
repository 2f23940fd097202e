/* Tests for the Markdown renderer and HTML sanitiser: the examples of spec
 * HTTP_API.md 12, hostile input, and upstream's text answers from the shared
 * corpora (tests/corpora). */
#include <glob.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "html_tags.h"
#include "common/buf.h"
#include "dashboards/markdown.h"

static char *md(const char *s)
{
	tb_buf b = TB_BUF_INIT;
	tb_markdown_to_html(&b, s, strlen(s));
	return tb_buf_detach(&b);
}

static char *md_n(const char *s, size_t n)
{
	tb_buf b = TB_BUF_INIT;
	tb_markdown_to_html(&b, s, n);
	return tb_buf_detach(&b);
}

static char *san(const char *s)
{
	tb_buf b = TB_BUF_INIT;
	tb_html_sanitize(&b, s, strlen(s));
	return tb_buf_detach(&b);
}

#define CHECK_MD(in, want)                                                                         \
	do {                                                                                       \
		char *got__ = md(in);                                                              \
		CHECK_STR(got__, want);                                                            \
		free(got__);                                                                       \
	} while (0)

#define CHECK_SAN(in, want)                                                                        \
	do {                                                                                       \
		char *got__ = san(in);                                                             \
		CHECK_STR(got__, want);                                                            \
		free(got__);                                                                       \
	} while (0)

/* Check the output's shape strictly: text holds no raw '<' or '>', every tag
 * is an allowed element written as <name attr="v"...> with only allowed
 * attributes, values hold no quote or angle bracket and no & other than
 * the entities the serialiser writes, and no URL has a dangerous scheme. */
static int looks_safe(const char *html)
{
	const char *p = html;
	while (*p) {
		if (*p == '>')
			return 0;
		if (*p != '<') {
			p++;
			continue;
		}
		p++;
		if (*p == '/')
			p++;
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789");
		if (!tb_test_html_tag_ok(p, n))
			return 0;
		p += n;
		while (*p == ' ') {
			p++;
			size_t an = strspn(p, "abcdefghijklmnopqrstuvwxyz");
			int url = (an == 4 && strncmp(p, "href", 4) == 0) ||
				  (an == 3 && strncmp(p, "src", 3) == 0);
			if (!url && !(an == 5 && strncmp(p, "title", 5) == 0) &&
			    !(an == 3 && strncmp(p, "alt", 3) == 0))
				return 0;
			p += an;
			if (p[0] != '=' || p[1] != '"')
				return 0;
			p += 2;
			const char *v = p;
			size_t vn = strcspn(p, "\"<>");
			if (p[vn] != '"')
				return 0;
			for (const char *q = v; q < v + vn; q++)
				if (*q == '&' && strncmp(q, "&amp;", 5) &&
				    strncmp(q, "&quot;", 6) && strncmp(q, "&lt;", 4) &&
				    strncmp(q, "&gt;", 4))
					return 0;
			if (url) {
				char sch[16] = {0};
				size_t k = 0;
				for (const char *q = v; q < v + vn && k < 15; q++)
					if ((unsigned char)*q > ' ')
						sch[k++] = (char)(*q | 0x20);
				if (strncmp(sch, "javascript:", 11) == 0 ||
				    strncmp(sch, "data:", 5) == 0 ||
				    strncmp(sch, "vbscript:", 9) == 0)
					return 0;
			}
			p += vn + 1;
		}
		if (*p != '>')
			return 0;
		p++;
	}
	return 1;
}

static void test_markdown__empty(void)
{
	CHECK_MD("", "");
	CHECK_MD("   \n\n  \n", "");
	CHECK_SAN("", "");
	tb_buf b = TB_BUF_INIT;
	tb_markdown_to_html(&b, NULL, 0);
	CHECK_INT(b.len, 0);
	tb_html_sanitize(&b, NULL, 0);
	CHECK_INT(b.len, 0);
	tb_buf_free(&b);
}

/* Every example and rule of spec 12.1. */
static void test_markdown__spec_blocks(void)
{
	CHECK_MD("# _Hello_, **world!**\n\nCheck out [my website](http://example.com)!",
		 "<h1><em>Hello</em>, <strong>world!</strong></h1>\n"
		 "<p>Check out <a href=\"http://example.com\">my website</a>!</p>");
	CHECK_MD("one\ntwo\n\nthree", "<p>one\ntwo</p>\n<p>three</p>");
	CHECK_MD("one  \ntwo", "<p>one<br>\ntwo</p>");
	CHECK_MD("# a\n## b\n### c\n#### d\n##### e\n###### f",
		 "<h1>a</h1>\n<h2>b</h2>\n<h3>c</h3>\n<h4>d</h4>\n<h5>e</h5>\n<h6>f</h6>");
	CHECK_MD("Title\n=====\n\nSub\n---", "<h1>Title</h1>\n<h2>Sub</h2>");
	CHECK_MD("*a* _b_ **c** __d__",
		 "<p><em>a</em> <em>b</em> <strong>c</strong> <strong>d</strong></p>");
	CHECK_MD("word_with_underscores", "<p>word_with_underscores</p>");
	CHECK_MD("`a < b && c`", "<p><code>a &lt; b &amp;&amp; c</code></p>");
	CHECK_MD("    x <y>\n    z", "<pre><code>x &lt;y&gt;\nz\n</code></pre>");
	CHECK_MD("```\ncode block\n```", "<pre><code>code block\n</code></pre>");
	CHECK_MD("~~~python\nif a < b:\n    pass\n~~~",
		 "<pre><code>if a &lt; b:\n    pass\n</code></pre>");
	CHECK_MD("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>");
	CHECK_MD("* a\n* b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>");
	CHECK_MD("+ a\n+ b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>");
	CHECK_MD("1. a\n2. b", "<ol>\n<li>a</li>\n<li>b</li>\n</ol>");
	CHECK_MD("3. a\n4. b", "<ol>\n<li>a</li>\n<li>b</li>\n</ol>");
	CHECK_MD("- a\n\n- b", "<ul>\n<li>\n<p>a</p>\n</li>\n<li>\n<p>b</p>\n</li>\n</ul>");
	CHECK_MD("> t", "<blockquote>\n<p>t</p>\n</blockquote>");
	CHECK_MD("---", "<hr>");
	CHECK_MD("***", "<hr>");
	CHECK_MD("___", "<hr>");
	CHECK_MD("a\n\n***\n\nb", "<p>a</p>\n<hr>\n<p>b</p>");
}

static void test_markdown__spec_inlines(void)
{
	CHECK_MD("[t](url)", "<p><a href=\"url\">t</a></p>");
	CHECK_MD("[t](url \"x\")", "<p><a href=\"url\" title=\"x\">t</a></p>");
	CHECK_MD("<http://x>", "<p><a href=\"http://x\">http://x</a></p>");
	CHECK_MD("![a](src)", "<p><img alt=\"a\" src=\"src\"></p>");
	CHECK_MD("![](src)", "<p><img alt=\"\" src=\"src\"></p>");
	CHECK_MD("![a *b*](src \"t\")", "<p><img alt=\"a b\" src=\"src\" title=\"t\"></p>");
	CHECK_MD("[q](http://x/?a=1&b=\"2\")",
		 "<p><a href=\"http://x/?a=1&amp;b=&quot;2&quot;\">q</a></p>");
	CHECK_MD("a & b < c > d \"e\" 'f'", "<p>a &amp; b &lt; c &gt; d \"e\" 'f'</p>");
	CHECK_MD("AT&amp;T", "<p>AT&amp;T</p>");
	/* No strikethrough and no bare-URL links, as upstream. */
	CHECK_MD("~~x~~ http://example.com", "<p>~~x~~ http://example.com</p>");
}

static void test_markdown__spec_table(void)
{
	CHECK_MD("| TensorBoard usage | Happiness |\n|---|---|\n| 0.0 | 0.0 |",
		 "<table>\n<thead>\n<tr>\n<th>TensorBoard usage</th>\n<th>Happiness</th>\n</tr>\n"
		 "</thead>\n<tbody>\n<tr>\n<td>0.0</td>\n<td>0.0</td>\n</tr>\n</tbody>\n</table>");
	/* Alignment is dropped; inline Markdown works in cells. */
	CHECK_MD("| a | b | c |\n|:--|:-:|--:|\n| *0* | `x` | [l](http://h/) |",
		 "<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n<th>c</th>\n</tr>\n</thead>\n"
		 "<tbody>\n<tr>\n<td><em>0</em></td>\n<td><code>x</code></td>\n"
		 "<td><a href=\"http://h/\">l</a></td>\n</tr>\n</tbody>\n</table>");
	CHECK_MD("| a |\n|---|", "<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n<tbody>"
				 "</tbody>\n</table>");
}

/* Spec 12.2 and its examples. */
static void test_markdown__spec_sanitizer(void)
{
	const char *petition =
	    "We should bring back the <blink>blink tag</blink>; <a name=\"bookmark\" "
	    "href=\"http://please-dont.com\">sign the petition!</a>";
	const char *want = "We should bring back the &lt;blink&gt;blink tag&lt;/blink&gt;; <a "
			   "href=\"http://please-dont.com\">sign the petition!</a>";
	CHECK_SAN(petition, want);
	char *p = md(petition);
	CHECK(strncmp(p, "<p>", 3) == 0 && strncmp(p + 3, want, strlen(want)) == 0 &&
	      strcmp(p + 3 + strlen(want), "</p>") == 0);
	free(p);
	CHECK_MD("<&#description>", "<p>&lt;&amp;#description&gt;</p>");
	CHECK_SAN("<blink>x</blink>", "&lt;blink&gt;x&lt;/blink&gt;");
	CHECK_SAN("<script>alert('x')</script>", "&lt;script&gt;alert('x')&lt;/script&gt;");
	CHECK_SAN("<a href=\"javascript:void0\">x</a>", "<a>x</a>");
	CHECK_SAN("a<!-- c -->b", "ab");
	CHECK_SAN("<br/><hr /><img src='a.png' alt=x>", "<br><hr><img src=\"a.png\" alt=\"x\">");
	CHECK_SAN("<p class=x id=y>t</p>", "<p>t</p>");
	CHECK_SAN("<A HREF=\"/x\" TITLE='t'>u</A>", "<a href=\"/x\" title=\"t\">u</a>");
	CHECK_SAN("<em>x", "<em>x</em>");
	CHECK_SAN("&copy; &#169; &#xA9; & &foo &;", "&copy; &#169; &#xA9; &amp; &amp;foo &amp;;");
	CHECK_SAN("\"quotes\" 'stay'", "\"quotes\" 'stay'");
	CHECK_SAN("<ul><li>a<li>b</ul>", "<ul><li>a</li><li>b</li></ul>");
	CHECK_SAN("<p>a<p>b", "<p>a</p><p>b</p>");
	CHECK_SAN(
	    "<table><thead><tr><th>h</th></tr></thead><tbody><tr><td>d</td></tr></tbody></table>",
	    "<table><thead><tr><th>h</th></tr></thead><tbody><tr><td>d</td></tr></tbody></table>");
	CHECK_SAN("<h1>a<h2>b</h2>", "<h1>a</h1><h2>b</h2>");
	CHECK_SAN("<pre><code>x</code></pre><blockquote>q</blockquote>",
		  "<pre><code>x</code></pre><blockquote>q</blockquote>");
	CHECK_SAN("<ol><li><strong>s</strong></li></ol>", "<ol><li><strong>s</strong></li></ol>");
	CHECK_SAN("<a href=\"mailto:a@b\">m</a><a href=\"HTTPS://x\">h</a><a href=\"#f\">f</a>"
		  "<a href=\"/p:q\">r</a><a href=\"?a:b\">s</a>",
		  "<a href=\"mailto:a@b\">m</a><a href=\"HTTPS://x\">h</a><a href=\"#f\">f</a>"
		  "<a href=\"/p:q\">r</a><a href=\"?a:b\">s</a>");
	/* Entities in attributes are decoded once and written back escaped. */
	CHECK_SAN("<a href=\"?a=1&amp;b=2\" title='x&quot;y'>q</a>",
		  "<a href=\"?a=1&amp;b=2\" title=\"x&quot;y\">q</a>");
	CHECK_SAN("<img alt=\"a<b>\" src=x>", "<img alt=\"a&lt;b&gt;\" src=\"x\">");
}

static void test_markdown__hostile(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
	    {"<SCRIPT SRC=http://x/x.js></SCRIPT>",
	     "&lt;SCRIPT SRC=http://x/x.js&gt;&lt;/SCRIPT&gt;"},
	    {"<img src=x onerror=alert(1)>", "<img src=\"x\">"},
	    {"<img src=\"x\" onerror=\"alert('1')\" alt='a'>", "<img src=\"x\" alt=\"a\">"},
	    {"<a href=\"javascript:alert(1)\">x</a>", "<a>x</a>"},
	    {"<a href=\"JaVaScRiPt:alert(1)\">x</a>", "<a>x</a>"},
	    {"<a href=\" javascript:alert(1)\">x</a>", "<a>x</a>"},
	    {"<a href=\"java\tscript:alert(1)\">x</a>", "<a>x</a>"},
	    {"<a href=\"java\nscript:alert(1)\">x</a>", "<a>x</a>"},
	    {"<a href=\"&#1;javascript:alert(1)\">x</a>", "<a>x</a>"},
	    {"<a "
	     "href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</"
	     "a>",
	     "<a>x</a>"},
	    {"<a href=\"&#x6A;avascript&#x3A;alert(1)\">x</a>", "<a>x</a>"},
	    {"<a href=\"&#0000106avascript:alert(1)\">x</a>", "<a>x</a>"},
	    {"<a href=\"javascript&colon;alert(1)\">x</a>", "<a>x</a>"},
	    {"<a href=\"jav&Tab;ascript:alert(1)\">x</a>", "<a>x</a>"},
	    {"<a href=\"jav&#x09;ascript:alert(1)\">x</a>", "<a>x</a>"},
	    {"<a href=\"java\xe2\x80\x8bscript:alert(1)\">x</a>", "<a>x</a>"},
	    {"<a href=javascript:alert(1)>x</a>", "<a>x</a>"},
	    {"<a href='vbscript:x'>x</a>", "<a>x</a>"},
	    {"<img src=\"data:image/png;base64,AAAA\" alt=\"a\">", "<img alt=\"a\">"},
	    {"<a href=\"DATA:text/html,<script>\">x</a>", "<a>x</a>"},
	    {"<a href=\"localhost:8000\">x</a>", "<a>x</a>"},
	    {"<iframe src=\"http://x\"></iframe>",
	     "&lt;iframe src=\"http://x\"&gt;&lt;/iframe&gt;"},
	    {"<style>body{color:red}</style>", "&lt;style&gt;body{color:red}&lt;/style&gt;"},
	    {"<p style=\"color:red\" onclick=\"x()\">t</p>", "<p>t</p>"},
	    {"<svg onload=alert(1)>", "&lt;svg onload=alert(1)&gt;"},
	    {"<a title='\"><script>x</script>' href=\"/\">t</a>",
	     "<a title=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\" href=\"/\">t</a>"},
	    {"<a href=\"/\" title=\"a\" title=\"b\" href=\"javascript:x\">t</a>",
	     "<a href=\"/\" title=\"a\">t</a>"},
	    {"<a href=\"/\"", "&lt;a href=\"/\""},
	    {"<img src=x", "&lt;img src=x"},
	    {"<a href='x>y", "&lt;a href='x&gt;y"},
	    {"<<script>>", "&lt;&lt;script&gt;&gt;"},
	    {"</script>x", "&lt;/script&gt;x"},
	    {"</em>x</>y</ x>", "xy"},
	    {"a<!-- <script>alert(1)</script> -->b", "ab"},
	    {"a<!-- unterminated <script>", "a"},
	    {"a<!--->b<!-->c", "abc"},
	    {"a<!DOCTYPE html>b<?php x ?>c<![CDATA[<script>]]>d", "abc]]&gt;d"},
	    {"<em><strong>x</em></strong>", "<em><strong>x</strong></em>"},
	    {"<br></br></img></hr>", "<br>"},
	    {"<math><mi xlink:href=\"javascript:x\">",
	     "&lt;math&gt;&lt;mi xlink:href=\"javascript:x\"&gt;"},
	    {"<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
	     "&lt;noscript&gt;<p></p>"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = san(cases[i].in);
		CHECK_STR(got, cases[i].want);
		CHECK(looks_safe(got));
		free(got);
		got = md(cases[i].in);
		if (!looks_safe(got))
			fprintf(stderr, "unsafe markdown output for case %zu: %s\n", i, got);
		CHECK(looks_safe(got));
		free(got);
	}
	/* Through Markdown: the same rules apply to Markdown's own URLs. */
	CHECK_MD("[x](javascript:alert(1)) ![i](data:image/png;base64,AA) [y](JAVASCRIPT:x \"t\")",
		 "<p><a>x</a> <img alt=\"i\"> <a title=\"t\">y</a></p>");
	CHECK_MD("[x](java&#x73;cript:alert(1))", "<p><a>x</a></p>");
	CHECK_MD("<javascript:alert(1)>", "<p><a>javascript:alert(1)</a></p>");
	CHECK_MD("*a <img src=x onerror=alert(1)> b*", "<p><em>a <img src=\"x\"> b</em></p>");
	CHECK_MD("<div onclick=\"x\">\nhi\n</div>", "&lt;div onclick=\"x\"&gt;\nhi\n&lt;/div&gt;");
	CHECK_MD("`<script>` and <b>bold</b>",
		 "<p><code>&lt;script&gt;</code> and &lt;b&gt;bold&lt;/b&gt;</p>");
	CHECK_MD("a <em>open", "<p>a <em>open</em></p>");
	CHECK_MD("x <!-- note --> y", "<p>x  y</p>");
}

static void test_markdown__utf8_and_nul(void)
{
	/* Valid UTF-8 passes unchanged. */
	CHECK_MD("h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x93\x88",
		 "<p>h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x93\x88</p>");
	/* Invalid sequences: one U+FFFD per maximal invalid prefix. */
	CHECK_MD("a\xff"
		 "b\xc3"
		 "c\xe2\x9c"
		 "d\xed\xa0\x80"
		 "e\xc0\xaf"
		 "f",
		 "<p>a\xef\xbf\xbd"
		 "b\xef\xbf\xbd"
		 "c\xef\xbf\xbd"
		 "d\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
		 "e\xef\xbf\xbd\xef\xbf\xbd"
		 "f</p>");
	CHECK_SAN("\xf4\x90\x80\x80<em>\x80</em>",
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd<em>\xef\xbf\xbd</em>");
	/* A sequence cut by the end of input. */
	CHECK_SAN("x\xf0\x9f\x93", "x\xef\xbf\xbd");
	/* NUL bytes become U+FFFD and never end the string early. */
	char *got = md_n("a\0b", 3);
	CHECK_STR(got, "<p>a\xef\xbf\xbd"
		       "b</p>");
	free(got);
	tb_buf b = TB_BUF_INIT;
	tb_html_sanitize(&b, "<em>\0</em>\0", 11);
	CHECK_STR(b.ptr, "<em>\xef\xbf\xbd</em>\xef\xbf\xbd");
	tb_buf_free(&b);
	/* CR LF and CR are line ends. */
	CHECK_MD("a\r\nb\rc", "<p>a\nb\nc</p>");
}

static char *repeat(const char *unit, size_t n, const char *tail)
{
	size_t u = strlen(unit), t = strlen(tail);
	char *s = malloc(u * n + t + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * u, unit, u);
	memcpy(s + u * n, tail, t + 1);
	return s;
}

static void test_markdown__deep_nesting(void)
{
	static const char *const units[] = {
	    ">",     "<em>",	   "<ul><li>",	   "- ",   "[",	  "*",
	    "</em>", "<a href=x>", "<blockquote>", "<!--", "<p>", "<table><td>"};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		char *in = repeat(units[i], 20000, "x");
		char *a = md(in), *b = san(in);
		CHECK(looks_safe(a));
		CHECK(looks_safe(b));
		CHECK(strlen(a) < 64 * strlen(in) + 64);
		free(a);
		free(b);
		free(in);
	}
	/* Nesting is kept up to a bound and closed properly. */
	char *in = repeat("<em>", 2000, "x");
	char *got = san(in);
	size_t opens = 0, closes = 0;
	for (const char *p = got; (p = strstr(p, "<em>")); p++)
		opens++;
	for (const char *p = got; (p = strstr(p, "</em>")); p++)
		closes++;
	CHECK(opens >= 100 && opens == closes);
	free(got);
	free(in);
}

/* The renderer's output is a fixed point of the sanitiser, so a caller may
 * sanitise again (the text plugin sanitises a table of rendered cells). */
static void test_markdown__sanitize_idempotent(void)
{
	static const char *const inputs[] = {
	    "# _Hello_, **world!**\n\nCheck out [my website](http://example.com)!",
	    "| a | b |\n|---|---|\n| 1 | <b>2</b> |\n\n```\nx < y\n```",
	    "<&#description> &copy; &amp; \"q\" 'a'",
	    "- a\n\n- b\n\n> q\n\n---\n\n![i](x \"t\") a  \nb",
	    "We should bring back the <blink>blink tag</blink>; <a name=\"bookmark\" "
	    "href=\"http://please-dont.com\">sign the petition!</a>",
	};
	for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
		char *a = md(inputs[i]);
		char *b = san(a);
		CHECK_STR(b, a);
		free(a);
		free(b);
	}
}

/* Spec 9.2 and 6.4.1 examples. */
static void test_markdown__plugin_examples(void)
{
	CHECK_MD("fry *loves* garnet", "<p>fry <em>loves</em> garnet</p>");
	CHECK_SAN("fry *loves* garnet", "fry *loves* garnet");
	CHECK_MD(
	    "# Multiple descriptions\n## For runs: run3, run4\ntagA is cold\n## For run: "
	    "run2\ntagA is hot",
	    "<h1>Multiple descriptions</h1>\n<h2>For runs: run3, run4</h2>\n<p>tagA is cold</p>\n"
	    "<h2>For run: run2</h2>\n<p>tagA is hot</p>");
	CHECK_MD("**Warning:** This text summary contained data of dimensionality 3, but only \\\n"
		 "  2d tables are supported.",
		 "<p><strong>Warning:</strong> This text summary contained data of dimensionality "
		 "3, but "
		 "only <br>\n2d tables are supported.</p>");
	/* Descriptions in the corpora (sources read from their event files). */
	CHECK_MD("Loss per **epoch**.", "<p>Loss per <strong>epoch</strong>.</p>");
	CHECK_MD("Cross-entropy on the **training** set.",
		 "<p>Cross-entropy on the <strong>training</strong> set.</p>");
	CHECK_MD("three RGB samples", "<p>three RGB samples</p>");
}

/* ---- upstream's answers from tests/corpora ---- */

static const char *corpora_dir(char *buf, size_t n)
{
	const char *src = getenv("TB_SOURCE_DIR");
	if (!src)
		return NULL;
	snprintf(buf, n, "%s/tests/corpora", src);
	FILE *f = fopen(buf, "r");
	if (!f)
		return NULL;
	fclose(f);
	return buf;
}

/* Undo the escaping of plain (markdown=false) text: &lt; &gt; &amp;. */
static char *unescape(const char *s, size_t n)
{
	char *o = malloc(n + 1), *w = o;
	for (size_t i = 0; i < n;) {
		if (strncmp(s + i, "&lt;", 4) == 0) {
			*w++ = '<';
			i += 4;
		} else if (strncmp(s + i, "&gt;", 4) == 0) {
			*w++ = '>';
			i += 4;
		} else if (strncmp(s + i, "&amp;", 5) == 0) {
			*w++ = '&';
			i += 5;
		} else
			*w++ = s[i++];
	}
	*w = 0;
	return o;
}

/* The text plugin's table (spec 9.2): rows of cells, each rendered with
 * Markdown or taken raw, then sanitised once. */
static char *text_table(const char *const *cells, size_t rows, size_t cols, int markdown)
{
	tb_buf t = TB_BUF_INIT, out = TB_BUF_INIT;
	tb_buf_puts(&t, "<table>\n<tbody>\n");
	for (size_t r = 0; r < rows; r++) {
		tb_buf_puts(&t, "<tr>\n");
		for (size_t c = 0; c < cols; c++) {
			tb_buf_puts(&t, "<td>");
			const char *cell = cells[r * cols + c];
			if (markdown)
				tb_markdown_to_html(&t, cell, strlen(cell));
			else
				tb_buf_puts(&t, cell);
			tb_buf_puts(&t, "</td>\n");
		}
		tb_buf_puts(&t, "</tr>\n");
	}
	tb_buf_puts(&t, "</tbody>\n</table>");
	tb_html_sanitize(&out, t.ptr, t.len);
	tb_buf_free(&t);
	return tb_buf_detach(&out);
}

static int matched, compared;

/* A markdown=false answer holds the source text (escaped): re-render it both
 * ways and compare with both answers. */
static void check_pair(const char *plain_path)
{
	char md_path[4096];
	size_t n = strlen(plain_path), suffix = strlen("__markdown=false.json");
	snprintf(md_path, sizeof md_path, "%.*s.json", (int)(n - suffix), plain_path);
	json_error_t err;
	json_t *plain = json_load_file(plain_path, 0, &err),
	       *mdj = json_load_file(md_path, 0, &err);
	CHECK(plain && mdj && json_array_size(plain) == json_array_size(mdj));
	for (size_t i = 0; plain && mdj && i < json_array_size(plain); i++) {
		const char *p =
		    json_string_value(json_object_get(json_array_get(plain, i), "text"));
		const char *want =
		    json_string_value(json_object_get(json_array_get(mdj, i), "text"));
		CHECK(p && want);
		if (!p || !want)
			continue;
		char *got_md, *got_plain;
		const char *head = "<table>\n<tbody>\n<tr>\n<td>";
		if (strncmp(p, head, strlen(head)) == 0) {
			/* A rank-1 tensor: one cell per row. */
			const char *cells[64];
			size_t rows = 0;
			for (const char *q = p; rows < 64 && (q = strstr(q, "<td>")); rows++) {
				q += 4;
				const char *e = strstr(q, "</td>\n");
				cells[rows] = unescape(q, (size_t)(e - q));
				q = e;
			}
			got_md = text_table(cells, rows, 1, 1);
			got_plain = text_table(cells, rows, 1, 0);
			for (size_t r = 0; r < rows; r++)
				free((char *)cells[r]);
		} else {
			char *src = unescape(p, strlen(p));
			got_md = md(src);
			got_plain = san(src);
			free(src);
		}
		CHECK_STR(got_md, want);
		CHECK_STR(got_plain, p);
		compared++;
		matched += strcmp(got_md, want) == 0 && strcmp(got_plain, p) == 0;
		free(got_md);
		free(got_plain);
	}
	json_decref(plain);
	json_decref(mdj);
}

/* Answers without a markdown=false twin: sources from the event files. */
static void check_table_answer(const char *dir, const char *file, const char *const *cells,
			       size_t rows, size_t cols, const char *fmt_step)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);
	CHECK(j != NULL);
	for (size_t i = 0; j && i < json_array_size(j); i++) {
		json_t *e = json_array_get(j, i);
		const char *want = json_string_value(json_object_get(e, "text"));
		char cell[256];
		const char *one[1] = {cell};
		char *got;
		if (fmt_step) {
			snprintf(cell, sizeof cell, fmt_step,
				 (int)json_integer_value(json_object_get(e, "step")));
			got = text_table(one, 1, 1, 1);
		} else {
			got = text_table(cells, rows, cols, 1);
		}
		CHECK_STR(got, want);
		compared++;
		matched += want && strcmp(got, want) == 0;
		free(got);
	}
	json_decref(j);
}

static void test_markdown__corpora(void)
{
	char dir[4096];
	CHECK(corpora_dir(dir, sizeof dir) != NULL);
	if (!corpora_dir(dir, sizeof dir))
		return;
	char pat[4200];
	snprintf(pat, sizeof pat, "%s/*/expected/text__text__*__markdown=false.json", dir);
	glob_t g;
	if (glob(pat, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			check_pair(g.gl_pathv[i]);
		globfree(&g);
	}
	static const char *const vec[] = {"alpha", "beta **bold**", "gamma"};
	check_table_answer(dir, "tb-native/expected/text__text__run=train__tag=text%2Fvector.json",
			   vec, 3, 1, NULL);
	static const char *const mat[] = {"r0c0", "r0c1", "r1c0", "r1c1"};
	check_table_answer(dir, "tb-native/expected/text__text__run=train__tag=text%2Fmatrix.json",
			   mat, 2, 2, NULL);
	check_table_answer(
	    dir,
	    "tensorboardx/expected/text__text__run=run_a__tag=text%2Fplain%2Ftext_summary.json",
	    NULL, 0, 0, "line %d with unicode: \xe2\x88\x82x/\xe2\x88\x82t \xe2\x89\x88 0");
	check_table_answer(
	    dir, "torch/expected/text__text__run=train__tag=notes%2Fplain%2Ftext_summary.json",
	    NULL, 0, 0, "step %d: h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93");
	printf("corpora: %d of %d text answers match\n", matched, compared);
	CHECK(compared >= 19);
}

int main(void)
{
	TB_RUN(test_markdown__empty);
	TB_RUN(test_markdown__spec_blocks);
	TB_RUN(test_markdown__spec_inlines);
	TB_RUN(test_markdown__spec_table);
	TB_RUN(test_markdown__spec_sanitizer);
	TB_RUN(test_markdown__hostile);
	TB_RUN(test_markdown__utf8_and_nul);
	TB_RUN(test_markdown__deep_nesting);
	TB_RUN(test_markdown__sanitize_idempotent);
	TB_RUN(test_markdown__plugin_examples);
	TB_RUN(test_markdown__corpora);
	return tb_test_finish();
}
