/* Markdown rendering: a stand-in that escapes the text into one paragraph,
 * so descriptions are safe to show until the full renderer lands. */
#include "markdown.h"

static void escape(tb_buf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '&': tb_buf_puts(out, "&amp;"); break;
		case '<': tb_buf_puts(out, "&lt;"); break;
		case '>': tb_buf_puts(out, "&gt;"); break;
		default: tb_buf_putc(out, s[i]);
		}
	}
}

void tb_markdown_to_html(tb_buf *out, const char *md, size_t len)
{
	if (!len)
		return;
	tb_buf_puts(out, "<p>");
	escape(out, md, len);
	tb_buf_puts(out, "</p>");
}

void tb_html_sanitize(tb_buf *out, const char *html, size_t len)
{
	escape(out, html, len);
}
