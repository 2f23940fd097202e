/* Byte strings: tb_slice is a borrowed view, tb_buf an owned growable buffer.
 *
 * tb_buf always keeps a NUL after its contents (not counted in len), so a
 * buffer of text can be passed to C string functions directly. Appends are
 * amortised O(1). Allocation failure aborts (server use; see alloc.h). */
#ifndef TB_BUF_H
#define TB_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tb_slice {
	const uint8_t *ptr;
	size_t len;
} tb_slice;

typedef struct tb_buf {
	char *ptr; /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
} tb_buf;

#define TB_BUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

static inline tb_slice tb_slice_make(const void *p, size_t n)
{
	tb_slice s = {(const uint8_t *)p, n};
	return s;
}

/* True when s holds exactly the bytes of the C string z. */
int tb_slice_eq_str(tb_slice s, const char *z);

void tb_buf_reserve(tb_buf *b, size_t extra);
void tb_buf_append(tb_buf *b, const void *p, size_t n);
void tb_buf_puts(tb_buf *b, const char *s);
void tb_buf_putc(tb_buf *b, char c);
void tb_buf_printf(tb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tb_buf_vprintf(tb_buf *b, const char *fmt, va_list ap);
void tb_buf_clear(tb_buf *b); /* length 0, keeps the memory */
/* Hand the bytes to the caller (free() them); b becomes empty. Never NULL. */
char *tb_buf_detach(tb_buf *b);
/* Append n bytes as URL-safe base64 (RFC 4648 section 5) without padding. */
void tb_buf_base64url(tb_buf *out, const void *p, size_t n);
/* Append the bytes of n characters of unpadded base64url to out. Strict:
 * only the URL-safe alphabet, no '=' padding, no length that leaves a lone
 * sextet, and zero bits after the last byte (so each byte string has
 * exactly one spelling). Returns 0, or TB_EINVAL with the reason appended
 * to err. */
int tb_buf_unbase64url(tb_buf *out, tb_buf *err, const char *s, size_t n);
void tb_buf_free(tb_buf *b);

#endif
