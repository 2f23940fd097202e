/* JSON writer (see json.h), byte-compatible with Python's json.dumps as
 * upstream TensorBoard calls it: ", " / ": " separators, ensure_ascii
 * escaping, float repr, NaN/Infinity replaced by strings.
 *
 * Tuned for responses of many thousands of numbers: strings are copied in
 * runs of safe bytes, integers are formatted by hand, and doubles get their
 * shortest round-trip digits in one pass of integer arithmetic (Dragonbox,
 * common/numfmt.c) instead of trial printf/strtod round trips. */
#include "json.h"
#include "common/chars.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <string.h>

void tb_json_init(tb_json *j, tb_buf *out)
{
	memset(j, 0, sizeof *j);
	j->out = out;
}

void tb_json_init_indent(tb_json *j, tb_buf *out, int indent)
{
	tb_json_init(j, out);
	j->indent = (unsigned char)(indent < 1 ? 1 : indent > 8 ? 8 : indent);
}

static void newline(tb_json *j, int depth)
{
	static const char spaces[] = "                                ";
	tb_buf_putc(j->out, '\n');
	for (size_t n = (size_t)depth * j->indent; n;) {
		size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
		tb_buf_append(j->out, spaces, k);
		n -= k;
	}
}

/* Put the separator that precedes a new item at the current level. */
static void before_item(tb_json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->count[j->depth])
		tb_buf_append(j->out, ", ", j->indent ? 1 : 2);
	else
		j->count[j->depth] = 1;
	if (j->indent && j->depth > 0)
		newline(j, j->depth);
}

static void nest_open(tb_json *j, char c)
{
	before_item(j);
	tb_buf_putc(j->out, c);
	assert(j->depth + 1 < TB_JSON_MAX_DEPTH);
	if (j->depth + 1 < TB_JSON_MAX_DEPTH)
		j->depth++;
	j->count[j->depth] = 0;
}

static void nest_close(tb_json *j, char c)
{
	if (j->indent && j->count[j->depth] && j->depth > 0)
		newline(j, j->depth - 1);
	tb_buf_putc(j->out, c);
	if (j->depth > 0)
		j->depth--;
}

void tb_json_obj_begin(tb_json *j)
{
	nest_open(j, '{');
}
void tb_json_obj_end(tb_json *j)
{
	nest_close(j, '}');
}
void tb_json_arr_begin(tb_json *j)
{
	nest_open(j, '[');
}
void tb_json_arr_end(tb_json *j)
{
	nest_close(j, ']');
}

static const char hexdig[] = "0123456789abcdef";

static void put_u16(tb_buf *b, unsigned cp)
{
	char e[6] = {'\\',
		     'u',
		     hexdig[(cp >> 12) & 15],
		     hexdig[(cp >> 8) & 15],
		     hexdig[(cp >> 4) & 15],
		     hexdig[cp & 15]};
	tb_buf_append(b, e, 6);
}

static void put_string(tb_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	/* Usually nothing needs escaping: reserve once for the common case. */
	tb_buf_reserve(b, n + 2);
	tb_buf_putc(b, '"');
	while (i < n) {
		size_t start = i;
		while (i < n && p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
			i++;
		if (i > start)
			tb_buf_append(b, p + start, i - start);
		if (i >= n)
			break;
		unsigned c = p[i];
		switch (c) {
		case '"':
			tb_buf_append(b, "\\\"", 2);
			i++;
			continue;
		case '\\':
			tb_buf_append(b, "\\\\", 2);
			i++;
			continue;
		case '\n':
			tb_buf_append(b, "\\n", 2);
			i++;
			continue;
		case '\r':
			tb_buf_append(b, "\\r", 2);
			i++;
			continue;
		case '\t':
			tb_buf_append(b, "\\t", 2);
			i++;
			continue;
		case '\b':
			tb_buf_append(b, "\\b", 2);
			i++;
			continue;
		case '\f':
			tb_buf_append(b, "\\f", 2);
			i++;
			continue;
		default:
			break;
		}
		uint32_t cp;
		i += tb_utf8_decode(&cp, p + i, n - i);
		if (cp == TB_UTF8_INVALID)
			cp = 0xFFFD;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			put_u16(b, 0xd800 | (cp >> 10));
			put_u16(b, 0xdc00 | (cp & 0x3ff));
		} else {
			put_u16(b, cp);
		}
	}
	tb_buf_putc(b, '"');
}

void tb_json_key_n(tb_json *j, const char *key, size_t n)
{
	before_item(j);
	put_string(j->out, key, n);
	tb_buf_append(j->out, ": ", 2);
	j->after_key = 1;
}

void tb_json_key(tb_json *j, const char *key)
{
	tb_json_key_n(j, key, strlen(key));
}

void tb_json_str_n(tb_json *j, const char *s, size_t n)
{
	before_item(j);
	put_string(j->out, s, n);
}

void tb_json_str(tb_json *j, const char *s)
{
	tb_json_str_n(j, s, strlen(s));
}


/* Room for a separator and one number, then a pointer to write it at: the
 * hot path of number arrays writes straight into the buffer. Ends with
 * number_done. */
static char *number_begin(tb_json *j)
{
	if (j->indent) { /* the separator may need more room: not the hot path */
		before_item(j);
		tb_buf_reserve(j->out, 48);
		return j->out->ptr + j->out->len;
	}
	if (j->out->cap - j->out->len < 49)
		tb_buf_reserve(j->out, 48);
	char *o = j->out->ptr + j->out->len;
	if (j->after_key) {
		j->after_key = 0;
	} else if (j->count[j->depth]) {
		*o++ = ',';
		*o++ = ' ';
	} else {
		j->count[j->depth] = 1;
	}
	return o;
}

static void number_done(tb_json *j, char *end)
{
	*end = '\0';
	j->out->len = (size_t)(end - j->out->ptr);
}

void tb_json_int(tb_json *j, int64_t v)
{
	char *o = number_begin(j);
	number_done(j, o + tb_fmt_int(o, v));
}

/* A double as a JSON value at o (room for 32 bytes); returns the end. */
static char *put_double(char *o, double v)
{
	if (isnan(v)) {
		memcpy(o, "\"NaN\"", 5);
		return o + 5;
	}
	if (isinf(v)) {
		if (v > 0) {
			memcpy(o, "\"Infinity\"", 10);
			return o + 10;
		}
		memcpy(o, "\"-Infinity\"", 11);
		return o + 11;
	}
	return o + tb_fmt_double(o, v);
}

void tb_json_double(tb_json *j, double v)
{
	char *o = number_begin(j);
	number_done(j, put_double(o, v));
}

void tb_json_point(tb_json *j, double wall, int64_t step, double value)
{
	if (!j->indent && isfinite(wall) && isfinite(value)) {
		/* the separator, then tb_fmt_point's 96 bytes */
		if (j->out->cap - j->out->len < 98)
			tb_buf_reserve(j->out, 98);
		char *o = number_begin(j);
		number_done(j, o + tb_fmt_point(o, wall, step, value));
		return;
	}
	/* indented, or a NaN or infinity spelled as a string */
	tb_json_arr_begin(j);
	tb_json_double(j, wall);
	tb_json_int(j, step);
	tb_json_double(j, value);
	tb_json_arr_end(j);
}

void tb_json_int_array(tb_json *j, const int64_t *v, size_t n)
{
	tb_json_arr_begin(j);
	for (size_t i = 0; i < n; i++)
		tb_json_int(j, v[i]);
	tb_json_arr_end(j);
}

void tb_json_key_str(tb_json *j, const char *key, const char *s)
{
	tb_json_key(j, key);
	tb_json_str(j, s);
}

void tb_json_str_array(tb_json *j, const char *const *v, size_t n)
{
	tb_json_arr_begin(j);
	for (size_t i = 0; i < n; i++)
		tb_json_str(j, v[i]);
	tb_json_arr_end(j);
}

void tb_json_double_array(tb_json *j, const double *v, size_t n)
{
	tb_json_arr_begin(j);
	for (size_t i = 0; i < n; i++)
		tb_json_double(j, v[i]);
	tb_json_arr_end(j);
}

void tb_json_float_array(tb_json *j, const double *v, size_t n)
{
	tb_json_arr_begin(j);
	for (size_t i = 0; i < n; i++) {
		double x = v[i];
		/* the range test first: a double beyond FLT_MAX has no float */
		if (fabs(x) <= FLT_MAX && (double)(float)x == x) {
			char *o = number_begin(j);
			number_done(j, o + tb_fmt_float(o, (float)x));
		} else {
			tb_json_double(j, x);
		}
	}
	tb_json_arr_end(j);
}

void tb_json_bool(tb_json *j, int v)
{
	before_item(j);
	if (v)
		tb_buf_append(j->out, "true", 4);
	else
		tb_buf_append(j->out, "false", 5);
}

void tb_json_null(tb_json *j)
{
	before_item(j);
	tb_buf_append(j->out, "null", 4);
}
