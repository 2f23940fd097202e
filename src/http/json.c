/* JSON writer (see json.h), byte-compatible with Python's json.dumps as
 * upstream TensorBoard calls it: ", " / ": " separators, ensure_ascii
 * escaping, float repr, NaN/Infinity replaced by strings.
 *
 * Tuned for responses of many thousands of numbers: strings are copied in
 * runs of safe bytes, integers are formatted by hand, and doubles need at
 * most three snprintf/strtod round trips (see fmt_digits). */
#include "json.h"
#include "common/chars.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tb_json_init(tb_json *j, tb_buf *out)
{
	memset(j, 0, sizeof *j);
	j->out = out;
}

/* Put the separator that precedes a new item at the current level. */
static void before_item(tb_json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->count[j->depth])
		tb_buf_append(j->out, ", ", 2);
	else
		j->count[j->depth] = 1;
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

void tb_json_int(tb_json *j, int64_t v)
{
	char tmp[24];
	size_t k = sizeof tmp;
	/* Work in unsigned so INT64_MIN negates without overflow. */
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		tmp[--k] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[--k] = '-';
	before_item(j);
	tb_buf_append(j->out, tmp + k, sizeof tmp - k);
}

void tb_json_double(tb_json *j, double v)
{
	before_item(j);
	if (isnan(v)) {
		tb_buf_append(j->out, "\"NaN\"", 5);
	} else if (isinf(v)) {
		if (v > 0)
			tb_buf_append(j->out, "\"Infinity\"", 10);
		else
			tb_buf_append(j->out, "\"-Infinity\"", 11);
	} else {
		char tmp[40];
		size_t n = tb_fmt_double(tmp, v);
		tb_buf_append(j->out, tmp, n);
	}
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

/* Try "%.{prec}e" for v > 0: on a round trip, store the significant digits
 * without trailing zeros in digits, the decimal exponent in *exp10, and
 * return the digit count; else return 0. */
static int try_prec(char *digits, int *exp10, double v, int prec)
{
	char tmp[40];
	snprintf(tmp, sizeof tmp, "%.*e", prec, v);
	if (strtod(tmp, NULL) != v)
		return 0;
	int n = 0;
	const char *p = tmp;
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[n++] = *p;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	*exp10 = *p == 'e' ? atoi(p + 1) : 0;
	return n;
}

/* Shortest round-trip digits of v > 0. For normal doubles a k <= 15 digit
 * string that reads back as v is also the 15-digit rounding of v (DBL_DIG),
 * so 15, 16, 17 digits in turn are enough. Subnormals have fewer bits of
 * precision, so they search upwards from one digit. */
static int fmt_digits(char *digits, int *exp10, double v)
{
	int n;
	if (v < DBL_MIN) {
		for (int prec = 0; prec < 17; prec++)
			if ((n = try_prec(digits, exp10, v, prec)))
				return n;
	}
	if ((n = try_prec(digits, exp10, v, 14)) || (n = try_prec(digits, exp10, v, 15)))
		return n;
	n = try_prec(digits, exp10, v, 16);
	assert(n > 0);
	return n;
}

size_t tb_fmt_double(char *buf, double v)
{
	char *o = buf;
	if (isnan(v)) {
		memcpy(buf, "nan", 4);
		return 3;
	}
	if (isinf(v)) {
		if (v > 0) {
			memcpy(buf, "inf", 4);
			return 3;
		}
		memcpy(buf, "-inf", 5);
		return 4;
	}
	if (signbit(v)) {
		*o++ = '-';
		v = -v;
	}
	char d[24];
	int e = 0, n;
	if (v == 0) {
		d[0] = '0';
		n = 1;
	} else {
		n = fmt_digits(d, &e, v);
	}
	if (e >= -4 && e < 16) {
		if (e < 0) {
			*o++ = '0';
			*o++ = '.';
			for (int i = 0; i < -e - 1; i++)
				*o++ = '0';
			memcpy(o, d, (size_t)n);
			o += n;
		} else {
			/* e + 1 integer digits, padded with zeros past the digits. */
			for (int i = 0; i <= e; i++)
				*o++ = i < n ? d[i] : '0';
			*o++ = '.';
			if (n > e + 1) {
				memcpy(o, d + e + 1, (size_t)(n - e - 1));
				o += n - e - 1;
			} else {
				*o++ = '0';
			}
		}
	} else {
		*o++ = d[0];
		if (n > 1) {
			*o++ = '.';
			memcpy(o, d + 1, (size_t)(n - 1));
			o += n - 1;
		}
		*o++ = 'e';
		*o++ = e < 0 ? '-' : '+';
		int a = e < 0 ? -e : e;
		if (a >= 100)
			*o++ = (char)('0' + a / 100);
		*o++ = (char)('0' + a / 10 % 10);
		*o++ = (char)('0' + a % 10);
	}
	*o = '\0';
	return (size_t)(o - buf);
}
