/* Private helpers shared by the Markdown renderer and the HTML sanitiser
 * (the public entry points are in markdown.h). */
#ifndef TB_SANITIZE_H
#define TB_SANITIZE_H

#include <stddef.h>

#include "common/buf.h"

/* Append `len` bytes to out as valid UTF-8: every byte that does not start
 * a well-formed sequence becomes U+FFFD, NUL becomes U+FFFD, and CR LF and
 * lone CR become LF. */
void tb_sanitize_utf8(tb_buf *out, const char *s, size_t len);

/* Append s to out with &, <, > written as entities and, when `quotes` is
 * set, " as &quot; (for attribute values). */
void tb_sanitize_escape(tb_buf *out, const char *s, size_t len, int quotes);

/* True when a URL attribute value (already entity-decoded) is relative or
 * uses the http, https or mailto scheme. */
int tb_sanitize_url_ok(const char *url, size_t len);

#endif
