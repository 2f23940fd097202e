/* Parsers for what a request carries besides its path: URL query strings,
 * application/x-www-form-urlencoded bodies and multipart/form-data bodies,
 * all into one list of (name, value) fields.
 *
 * Input is untrusted: the parsers accept any bytes, never read past n, and
 * keep every field in the order it appeared (repeated names included).
 * A tb_form is owned by one request; not thread-safe. */
#ifndef TB_FORM_H
#define TB_FORM_H

#include <stddef.h>

typedef struct tb_form_field {
	char *name;  /* NUL-terminated, decoded */
	char *value; /* NUL-terminated, decoded; may hold NULs inside */
	size_t value_len;
} tb_form_field;

/* Owns its fields and their strings. */
typedef struct tb_form {
	tb_form_field *v;
	size_t n, cap;
} tb_form;

#define TB_FORM_INIT                                                                               \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/* Percent-decode n bytes of s into out (room for n + 1 bytes; out may be s).
 * "%XX" with two hex digits becomes one byte; any other '%' stays as is.
 * With plus_is_space, '+' becomes ' '. Returns the decoded length; out is
 * NUL-terminated. */
size_t tb_url_decode(char *out, const char *s, size_t n, int plus_is_space);

/* Append the fields of a query string or urlencoded body ("a=1&b=x+y&c").
 * Pairs are split on '&'; empty pairs are skipped; a pair without '=' is a
 * field with an empty value. Never fails. */
void tb_form_parse_urlencoded(tb_form *f, const char *s, size_t n);

/* Append the fields of a multipart/form-data body. content_type is the
 * request's Content-Type header, which names the boundary. Parts carrying a
 * filename (file uploads) are skipped, as upstream's form parser files them
 * separately. Returns 0, or TB_EINVAL when there is no usable boundary or the
 * body is malformed (fields parsed before the error are kept). */
int tb_form_parse_multipart(tb_form *f, const char *content_type, const void *body, size_t n);

/* Append one field, copying name and value (NUL-terminated, taken as is). */
void tb_form_add(tb_form *f, const char *name, const char *value);

/* First value of name, or NULL. */
const char *tb_form_get(const tb_form *f, const char *name);
/* All values of name in order; returns the count, stores at most max. */
size_t tb_form_get_all(const tb_form *f, const char *name, const char **out, size_t max);

void tb_form_free(tb_form *f);

#endif
