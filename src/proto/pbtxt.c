/* Protocol-buffer text format parser (see pbtxt.h for the accepted syntax).
 *
 * One pass, recursive descent over a hand-written tokenizer; the tree is
 * built as it goes and freed whole on the first error. Every loop advances
 * the cursor or fails, and recursion is bounded by TB_PBTXT_MAX_DEPTH, so
 * hostile input costs time linear in its length. Tuned for small files
 * (projector configs are a few hundred bytes). */
#include "proto/pbtxt.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/chars.h"

typedef struct parser {
	const char *p, *end;
	int line;
	int failed;
	char *err;
	size_t errlen;
} parser;

static void fail(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(parser *ps, const char *fmt, ...)
{
	if (ps->failed)
		return;
	ps->failed = 1;
	if (!ps->err || ps->errlen == 0)
		return;
	int n = snprintf(ps->err, ps->errlen, "line %d: ", ps->line);
	if (n < 0 || (size_t)n >= ps->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static void skip_space(parser *ps)
{
	while (ps->p < ps->end) {
		char c = *ps->p;
		if (c == '\n') {
			ps->line++;
			ps->p++;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') {
			ps->p++;
		} else if (c == '#') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		} else {
			break;
		}
	}
}

/* The next significant character, or -1 at the end of input. */
static int peek(parser *ps)
{
	skip_space(ps);
	return ps->p < ps->end ? (unsigned char)*ps->p : -1;
}

static int is_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_ident_char(int c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* A printable description of the character at the cursor, for errors. */
static const char *describe(parser *ps, char *buf, size_t n)
{
	if (ps->p >= ps->end)
		return "end of input";
	unsigned char c = (unsigned char)*ps->p;
	if (c >= 0x21 && c < 0x7f)
		snprintf(buf, n, "'%c'", c);
	else
		snprintf(buf, n, "byte 0x%02x", c);
	return buf;
}

static void fail_expected(parser *ps, const char *what)
{
	char b[16];
	fail(ps, "expected %s, found %s", what, describe(ps, b, sizeof b));
}

static char *read_ident(parser *ps)
{
	const char *s = ps->p;
	while (ps->p < ps->end && is_ident_char((unsigned char)*ps->p))
		ps->p++;
	return tb_xstrndup(s, (size_t)(ps->p - s));
}

/* One escape sequence after the backslash (cursor on the character after
 * it), decoded into b. */
static void read_escape(parser *ps, tb_buf *b)
{
	if (ps->p >= ps->end) {
		fail(ps, "string literal not terminated");
		return;
	}
	char c = *ps->p++;
	switch (c) {
	case 'a':
		tb_buf_putc(b, '\a');
		return;
	case 'b':
		tb_buf_putc(b, '\b');
		return;
	case 'f':
		tb_buf_putc(b, '\f');
		return;
	case 'n':
		tb_buf_putc(b, '\n');
		return;
	case 'r':
		tb_buf_putc(b, '\r');
		return;
	case 't':
		tb_buf_putc(b, '\t');
		return;
	case 'v':
		tb_buf_putc(b, '\v');
		return;
	case '\\':
	case '\'':
	case '"':
	case '?':
		tb_buf_putc(b, c);
		return;
	default:
		break;
	}
	if (c >= '0' && c <= '7') {
		unsigned v = (unsigned)(c - '0');
		for (int i = 0; i < 2 && ps->p < ps->end && *ps->p >= '0' && *ps->p <= '7'; i++)
			v = v * 8 + (unsigned)(*ps->p++ - '0');
		if (v > 0xff) {
			fail(ps, "octal escape out of range");
			return;
		}
		tb_buf_putc(b, (char)v);
		return;
	}
	if (c == 'x' || c == 'X') {
		int digits = 0;
		unsigned v = 0;
		while (digits < 2 && ps->p < ps->end && tb_hex_digit((unsigned char)*ps->p) >= 0) {
			v = v * 16 + (unsigned)tb_hex_digit((unsigned char)*ps->p++);
			digits++;
		}
		if (!digits) {
			fail(ps, "\\x escape without hex digits");
			return;
		}
		tb_buf_putc(b, (char)v);
		return;
	}
	if (c == 'u' || c == 'U') {
		int want = c == 'u' ? 4 : 8;
		uint32_t cp = 0;
		for (int i = 0; i < want; i++) {
			int h = ps->p < ps->end ? tb_hex_digit((unsigned char)*ps->p) : -1;
			if (h < 0) {
				fail(ps, "\\%c escape needs %d hex digits", c, want);
				return;
			}
			cp = cp * 16 + (uint32_t)h;
			ps->p++;
		}
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			fail(ps, "\\%c escape is not a Unicode scalar value", c);
			return;
		}
		char u[4];
		tb_buf_append(b, u, tb_utf8_encode(u, cp));
		return;
	}
	if ((unsigned char)c >= 0x21 && (unsigned char)c < 0x7f)
		fail(ps, "unknown escape sequence '\\%c'", c);
	else
		fail(ps, "unknown escape sequence");
}

/* One or more adjacent quoted literals, concatenated into b. */
static void read_strings(parser *ps, tb_buf *b)
{
	int c;
	while ((c = peek(ps)) == '"' || c == '\'') {
		char q = *ps->p++;
		for (;;) {
			if (ps->p >= ps->end || *ps->p == '\n') {
				fail(ps, "string literal not terminated");
				return;
			}
			char ch = *ps->p++;
			if (ch == q)
				break;
			if (ch == '\\') {
				read_escape(ps, b);
				if (ps->failed)
					return;
			} else {
				tb_buf_putc(b, ch);
			}
		}
	}
}

/* A bare scalar: optional '-', then an identifier or a number token. */
static char *read_scalar(parser *ps)
{
	tb_buf b = TB_BUF_INIT;
	if (peek(ps) == '-') {
		tb_buf_putc(&b, '-');
		ps->p++;
	}
	int c = peek(ps);
	if (is_ident_start(c)) {
		char *id = read_ident(ps);
		tb_buf_puts(&b, id);
		free(id);
	} else if ((c >= '0' && c <= '9') ||
		   (c == '.' && ps->p + 1 < ps->end && ps->p[1] >= '0' && ps->p[1] <= '9')) {
		const char *s = ps->p;
		int hex = ps->end - s > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
		while (ps->p < ps->end) {
			char ch = *ps->p;
			char prev = ps->p > s ? ps->p[-1] : 0;
			if (is_ident_char((unsigned char)ch) || ch == '.' ||
			    ((ch == '+' || ch == '-') && !hex && (prev == 'e' || prev == 'E')))
				ps->p++;
			else
				break;
		}
		tb_buf_append(&b, s, (size_t)(ps->p - s));
	} else {
		fail_expected(ps, "a value");
		tb_buf_free(&b);
		return NULL;
	}
	return tb_buf_detach(&b);
}

static void free_fields(tb_pbtxt_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].value);
		free_fields(f[i].fields, f[i].n_fields);
	}
	free(f);
}

typedef struct field_list {
	tb_pbtxt_field *v;
	size_t n, cap;
} field_list;

static tb_pbtxt_field *push(field_list *l, const char *name, int line)
{
	l->v = tb_xgrow(l->v, &l->cap, l->n + 1, sizeof *l->v);
	tb_pbtxt_field *f = &l->v[l->n++];
	memset(f, 0, sizeof *f);
	f->name = tb_xstrdup(name);
	f->line = line;
	return f;
}

static void parse_message(parser *ps, field_list *out, int close, int depth);

/* A nested message value: cursor on '{' or '<'. */
static void parse_message_value(parser *ps, tb_pbtxt_field *f, int depth)
{
	char open = *ps->p++;
	if (depth >= TB_PBTXT_MAX_DEPTH) {
		fail(ps, "messages nested deeper than %d levels", TB_PBTXT_MAX_DEPTH);
		return;
	}
	field_list sub = {NULL, 0, 0};
	parse_message(ps, &sub, open == '{' ? '}' : '>', depth + 1);
	f->kind = TB_PBTXT_MESSAGE;
	f->fields = sub.v;
	f->n_fields = sub.n;
	if (!ps->failed)
		ps->p++; /* the closing bracket */
}

/* A single value after the field name (and colon): message, string(s) or
 * scalar, stored in f. */
static void parse_value(parser *ps, tb_pbtxt_field *f, int depth)
{
	int c = peek(ps);
	if (c == '{' || c == '<') {
		parse_message_value(ps, f, depth);
	} else if (c == '"' || c == '\'') {
		tb_buf b = TB_BUF_INIT;
		read_strings(ps, &b);
		f->kind = TB_PBTXT_STRING;
		f->value_len = b.len;
		f->value = tb_buf_detach(&b);
	} else {
		f->kind = TB_PBTXT_SCALAR;
		f->value = read_scalar(ps);
		if (f->value)
			f->value_len = strlen(f->value);
	}
}

static void parse_field(parser *ps, field_list *out, int depth)
{
	char b[16];
	if (!is_ident_start(peek(ps))) {
		if (peek(ps) == '[')
			fail(ps, "extension and Any field names are not supported");
		else
			fail(ps, "expected a field name, found %s", describe(ps, b, sizeof b));
		return;
	}
	int line = ps->line;
	char *name = read_ident(ps);
	int colon = 0;
	if (peek(ps) == ':') {
		colon = 1;
		ps->p++;
	}
	int c = peek(ps);
	if (c == '[') {
		ps->p++;
		if (peek(ps) == ']') {
			ps->p++;
		} else {
			for (;;) {
				int ic = peek(ps);
				if (!colon && ic != '{' && ic != '<') {
					fail(ps, "expected ':' after field name \"%s\"", name);
					break;
				}
				parse_value(ps, push(out, name, line), depth);
				if (ps->failed)
					break;
				if (peek(ps) == ',') {
					ps->p++;
					continue;
				}
				if (peek(ps) == ']') {
					ps->p++;
					break;
				}
				fail_expected(ps, "',' or ']' in a list");
				break;
			}
		}
	} else if (c == '{' || c == '<' || colon) {
		parse_value(ps, push(out, name, line), depth);
	} else {
		fail(ps, "expected ':' after field name \"%s\", found %s", name,
		     describe(ps, b, sizeof b));
	}
	free(name);
}

/* Fields until `close` ('}' or '>'; -1 for the end of input). Leaves the
 * cursor on the closing bracket. */
static void parse_message(parser *ps, field_list *out, int close, int depth)
{
	for (;;) {
		int c = peek(ps);
		if (c == close)
			return;
		if (c == -1) {
			char want[32];
			snprintf(want, sizeof want, "'%c'", close);
			fail_expected(ps, want);
			return;
		}
		parse_field(ps, out, depth);
		if (ps->failed)
			return;
		c = peek(ps);
		if (c == ',' || c == ';')
			ps->p++;
	}
}

int tb_pbtxt_parse(tb_pbtxt_field **out, const char *text, size_t len, char *err, size_t errlen)
{
	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	parser ps = {text, text + len, 1, 0, err, errlen};
	field_list top = {NULL, 0, 0};
	parse_message(&ps, &top, -1, 0);
	if (ps.failed) {
		free_fields(top.v, top.n);
		return TB_ECORRUPT;
	}
	tb_pbtxt_field *root = tb_xcalloc(1, sizeof *root);
	root->name = tb_xstrdup("");
	root->kind = TB_PBTXT_MESSAGE;
	root->fields = top.v;
	root->n_fields = top.n;
	root->line = 1;
	*out = root;
	return 0;
}

void tb_pbtxt_free(tb_pbtxt_field *root)
{
	if (root)
		free_fields(root, 1);
}
