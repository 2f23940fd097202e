/* An independent check of tb_fmt_double against the C library, shared by
 * json_test and the double fuzzer: the text reads back as v (sign of zero
 * included), its digits are the ones printf gives at that precision (the
 * closest decimal of that length), one digit fewer read back as something
 * else, and the layout is Python's repr ("1e-05", "0.0001", "1e+16",
 * "100.0"), rebuilt here from printf's %e form. Returns 1 when all hold.
 * fmt_check_float checks tb_fmt_float the same way, reading back with
 * strtof; fmt_check_point checks tb_fmt_point against tb_fmt_double and
 * tb_fmt_int. */
#ifndef TB_FMT_CHECK_H
#define TB_FMT_CHECK_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/json.h"

/* The significant digits in a formatted number's mantissa (0 for zero). */
static int fmt_sig_digits(const char *s)
{
	int n = 0, zeros = 0, seen = 0;
	for (const char *p = s; *p && *p != 'e'; p++) {
		if (*p < '0' || *p > '9' || (*p == '0' && !seen))
			continue;
		seen = 1;
		if (*p == '0') {
			zeros++;
		} else {
			n += zeros + 1;
			zeros = 0;
		}
	}
	return n;
}

/* printf's closest decimal of |v| with n significant digits, as the
 * integer of those digits; its exponent (of the first digit) in *x. */
static uint64_t fmt_closest(int *x, double v, int n)
{
	char sci[64];
	snprintf(sci, sizeof sci, "%.*e", n - 1, fabs(v));
	uint64_t m = 0;
	const char *p = sci;
	for (; *p != 'e'; p++)
		if (*p != '.')
			m = m * 10 + (uint64_t)(*p - '0');
	*x = atoi(p + 1);
	return m;
}

/* Whether the decimal m (n digits, the first at exponent x) reads back as
 * |v|, as a float with `single`. */
static int fmt_reads_back(uint64_t m, int n, int x, double v, int single)
{
	char s[64];
	snprintf(s, sizeof s, "%llue%d", (unsigned long long)m, x - n + 1);
	return single ? strtof(s, NULL) == (float)fabs(v) : strtod(s, NULL) == fabs(v);
}

static int fmt_check_as(double v, int single)
{
	char got[64], want[64];
	size_t len = single ? tb_fmt_float(got, (float)v) : tb_fmt_double(got, v);
	if (len != strlen(got))
		return 0;
	if (isnan(v))
		return strcmp(got, "nan") == 0;
	if (isinf(v))
		return strcmp(got, v > 0 ? "inf" : "-inf") == 0;
	double back = single ? strtof(got, NULL) : strtod(got, NULL);
	if (back != v || signbit(back) != signbit(v))
		return 0;
	int n = fmt_sig_digits(got);
	if (n == 0) /* zero: one digit */
		n = 1;
	if (n > (single ? 9 : 17))
		return 0;
	/* The digits: printf's closest decimal of n digits, or, where that one
	 * does not read back (next to a power of two, where the gap below v
	 * is half the gap above), the nearest of its two neighbours that does. */
	int x;
	uint64_t m = fmt_closest(&x, v, n);
	if (!fmt_reads_back(m, n, x, v, single)) {
		int up = fmt_reads_back(m + 1, n, x, v, single);
		int down = m > 0 && fmt_reads_back(m - 1, n, x, v, single);
		if (!up && !down)
			return 0;
		m = up ? m + 1 : m - 1;
	}
	char d[24];
	int nd = snprintf(d, sizeof d, "%llu", (unsigned long long)m);
	x += nd - n; /* a carry into a new digit */
	while (nd > 1 && d[nd - 1] == '0')
		nd--;
	char *o = want;
	if (signbit(v))
		*o++ = '-';
	if (x >= -4 && x < 16) {
		if (x < 0) {
			o += sprintf(o, "0.");
			for (int i = 0; i < -x - 1; i++)
				*o++ = '0';
			for (int i = 0; i < nd; i++)
				*o++ = d[i];
		} else {
			for (int i = 0; i <= x; i++)
				*o++ = i < nd ? d[i] : '0';
			*o++ = '.';
			if (nd > x + 1)
				for (int i = x + 1; i < nd; i++)
					*o++ = d[i];
			else
				*o++ = '0';
		}
		*o = '\0';
	} else {
		*o++ = d[0];
		if (nd > 1) {
			*o++ = '.';
			for (int i = 1; i < nd; i++)
				*o++ = d[i];
		}
		sprintf(o, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
	}
	if (strcmp(got, want) != 0)
		return 0;
	/* no decimal of one digit fewer reads back as v */
	if (n > 1) {
		uint64_t c = fmt_closest(&x, v, n - 1);
		if (fmt_reads_back(c, n - 1, x, v, single) ||
		    fmt_reads_back(c + 1, n - 1, x, v, single) ||
		    (c > 0 && fmt_reads_back(c - 1, n - 1, x, v, single)))
			return 0;
	}
	return 1;
}

static int fmt_check(double v)
{
	return fmt_check_as(v, 0);
}

static inline int fmt_check_float(float v)
{
	return fmt_check_as(v, 1);
}

/* tb_fmt_point (finite wall and value) is "[", tb_fmt_double of the wall,
 * ", ", tb_fmt_int of the step, ", ", tb_fmt_double of the value, "]". */
static inline int fmt_check_point(double wall, int64_t step, double value)
{
	if (!isfinite(wall) || !isfinite(value))
		return 1;
	char got[128], want[128];
	size_t n = 0;
	want[n++] = '[';
	n += tb_fmt_double(want + n, wall);
	memcpy(want + n, ", ", 2);
	n += 2;
	n += tb_fmt_int(want + n, step);
	memcpy(want + n, ", ", 2);
	n += 2;
	n += tb_fmt_double(want + n, value);
	want[n++] = ']';
	want[n] = '\0';
	size_t len = tb_fmt_point(got, wall, step, value);
	return len == n && strcmp(got, want) == 0;
}

#endif
