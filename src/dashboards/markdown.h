/* Markdown to safe HTML, as upstream TensorBoard renders descriptions and
 * text summaries (spec HTTP_API.md 12): cmark-gfm with tables, then a
 * sanitiser that keeps a small allow-list of elements and attributes,
 * escapes every other tag as text and drops unsafe URLs.
 *
 * Thread-safe; no global state beyond cmark-gfm's extension registry,
 * which is initialised once. */
#ifndef TB_MARKDOWN_H
#define TB_MARKDOWN_H

#include <stddef.h>

#include "common/buf.h"

/* Append the sanitised HTML for `len` bytes of Markdown to out. Invalid
 * UTF-8 becomes U+FFFD. An empty input appends nothing. */
void tb_markdown_to_html(tb_buf *out, const char *md, size_t len);

/* Append `len` bytes of HTML to out, sanitised (no Markdown step). */
void tb_html_sanitize(tb_buf *out, const char *html, size_t len);

#endif
