/* An independent check of tb_fmt_double against the C library, shared by
 * json_test and the double fuzzer: the text reads back as v (sign of zero
 * included), its digits are the ones printf gives at that precision (the
 * closest decimal of that length), one digit fewer read back as something
 * else, and the layout is Python's repr ("1e-05", "0.0001", "1e+16",
 * "100.0"), rebuilt here from printf's %e form. Returns 1 when all hold. */
#ifndef TB_FMT_CHECK_H
#define TB_FMT_CHECK_H

#include <math.h>
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

static int fmt_check(double v)
{
	char got[64], sci[64], want[64];
	size_t len = tb_fmt_double(got, v);
	if (len != strlen(got))
		return 0;
	if (isnan(v))
		return strcmp(got, "nan") == 0;
	if (isinf(v))
		return strcmp(got, v > 0 ? "inf" : "-inf") == 0;
	double back = strtod(got, NULL);
	if (back != v || signbit(back) != signbit(v))
		return 0;
	int n = fmt_sig_digits(got);
	if (n == 0) /* zero: one digit */
		n = 1;
	if (n > 17)
		return 0;
	snprintf(sci, sizeof sci, "%.*e", n - 1, fabs(v));
	/* sci: D[.DDD]e[+-]XX */
	char d[24];
	int nd = 0;
	const char *p = sci;
	for (; *p != 'e'; p++)
		if (*p != '.')
			d[nd++] = *p;
	int x = atoi(p + 1);
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
	if (n > 1) {
		snprintf(sci, sizeof sci, "%.*e", n - 2, v);
		if (strtod(sci, NULL) == v)
			return 0;
	}
	return 1;
}

#endif
