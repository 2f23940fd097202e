/* Fuzz target: Markdown rendering and HTML sanitising of arbitrary bytes.
 * Beyond memory safety it checks the sanitiser's contract on every output:
 * no raw '>' in text, only allowed tags and attributes, no dangerous URL
 * scheme, and the sanitiser leaves its own output unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dashboards/markdown.h"

static const char *const allowed_tags[] = {
    "ul",  "ol",    "li",    "p",     "pre", "code", "blockquote", "h1", "h2",
    "h3",  "h4",    "h5",    "h6",    "hr",  "br",   "strong",	   "em", "a",
    "img", "table", "thead", "tbody", "td",  "tr",   "th",	   NULL};

static int is_allowed(const char *p, size_t n)
{
	for (int i = 0; allowed_tags[i]; i++)
		if (strlen(allowed_tags[i]) == n && memcmp(p, allowed_tags[i], n) == 0)
			return 1;
	return 0;
}

static void check_shape(const char *s)
{
	while (*s) {
		if (*s == '>')
			abort();
		if (*s++ != '<')
			continue;
		if (*s == '/')
			s++;
		size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789");
		if (!is_allowed(s, n))
			abort();
		s += n;
		while (*s == ' ') {
			s++;
			size_t an = strspn(s, "abcdefghijklmnopqrstuvwxyz");
			int url =
			    (an == 4 && !memcmp(s, "href", 4)) || (an == 3 && !memcmp(s, "src", 3));
			if (!url && !(an == 5 && !memcmp(s, "title", 5)) &&
			    !(an == 3 && !memcmp(s, "alt", 3)))
				abort();
			s += an;
			if (s[0] != '=' || s[1] != '"')
				abort();
			s += 2;
			size_t vn = strcspn(s, "\"<>");
			if (s[vn] != '"')
				abort();
			if (url) {
				/* The scheme as a browser sees it: controls and
				 * whitespace dropped; no entities but &amp; and
				 * friends can appear, and those hold no letters
				 * of a scheme. */
				char sch[12] = {0};
				size_t k = 0;
				for (size_t i = 0; i < vn && k < sizeof sch - 1; i++)
					if ((unsigned char)s[i] > ' ' && s[i] != 0x7f)
						sch[k++] = (char)(s[i] | 0x20);
				if (!strncmp(sch, "javascript:", 11) || !strncmp(sch, "data:", 5) ||
				    !strncmp(sch, "vbscript:", 9))
					abort();
			}
			s += vn + 1;
		}
		if (*s++ != '>')
			abort();
	}
}

static void check_fixed_point(const tb_buf *b)
{
	tb_buf again = TB_BUF_INIT;
	tb_html_sanitize(&again, b->ptr, b->len);
	if (again.len != b->len || (b->len && memcmp(again.ptr, b->ptr, b->len) != 0))
		abort();
	tb_buf_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tb_buf b = TB_BUF_INIT;
	tb_markdown_to_html(&b, (const char *)data, size);
	if (b.len) {
		if (strlen(b.ptr) != b.len)
			abort();
		check_shape(b.ptr);
	}
	tb_buf_free(&b);

	tb_html_sanitize(&b, (const char *)data, size);
	if (b.len) {
		if (strlen(b.ptr) != b.len)
			abort();
		check_shape(b.ptr);
		check_fixed_point(&b);
	}
	tb_buf_free(&b);
	return 0;
}
