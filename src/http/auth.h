/* Optional access token (--auth_token): a request must carry it as
 * "Authorization: Bearer TOKEN", as the cookie tboard_token_<port>=TOKEN,
 * or as ?token=TOKEN, which answers with a redirect to the same URL
 * without the token and sets the cookie (the link printed at start, as
 * Jupyter does). */
#ifndef TB_AUTH_H
#define TB_AUTH_H

#include <stddef.h>

/* 1 when the n bytes at a equal the NUL-terminated secret, in time that
 * depends only on the lengths, never on where the first difference is. */
int tb_auth_equal(const char *a, size_t n, const char *secret);

/* The value of cookie `name` in a Cookie header value (NULL allowed), as a
 * pointer into it with its length in *len, or NULL. */
const char *tb_auth_cookie(size_t *len, const char *header, const char *name);

#endif
