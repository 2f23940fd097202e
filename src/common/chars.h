/* Characters in byte strings: UTF-8 decoding, validation and encoding, and
 * hex digits. One implementation for every parser and printer of the tree
 * (proto text format, JSON, HTML sanitizer, blob keys, form decoding, the
 * writer's argument checks).
 *
 * UTF-8 is RFC 3629's: no overlong forms, no surrogates, nothing above
 * U+10FFFF. An invalid sequence decodes as its maximal valid prefix (at least
 * one byte), the unit WHATWG's decoder and Python's "replace" handler turn
 * into one U+FFFD. Pure functions without allocation, so libtboard links
 * them too. */
#ifndef TB_CHARS_H
#define TB_CHARS_H

#include <stddef.h>
#include <stdint.h>

/* Not a code point: what tb_utf8_decode reports for an invalid sequence. */
#define TB_UTF8_INVALID 0xFFFFFFFFu

/* Decode the character at p (n >= 1 bytes available). Returns the number of
 * bytes it takes and sets *cp; for an invalid or truncated sequence sets
 * *cp to TB_UTF8_INVALID and returns the length of its maximal valid prefix
 * (at least 1), the bytes to skip. */
size_t tb_utf8_decode(uint32_t *cp, const void *p, size_t n);

/* Nonzero when the n bytes at s are valid UTF-8. */
int tb_utf8_valid(const void *s, size_t n);

/* Write code point cp (at most U+10FFFF) as UTF-8 to out; returns its
 * length, 1 to 4. */
size_t tb_utf8_encode(char out[4], uint32_t cp);

/* The value of hex digit c (either case), or -1. */
int tb_hex_digit(int c);

#endif
