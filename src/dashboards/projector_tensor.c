/* The projector's TSV tensors (FORMAT.md 12.3): rows of tab-separated
 * values, each read as Python's float() reads it. The text comes from the
 * log directory, so it is untrusted: fuzz/tsv_fuzzer.c runs this parser. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/alloc.h"
#include "common/error.h"
#include "projector_files.h"

/* Python's float() on one TSV field: surrounding whitespace, optional sign,
 * decimal digits with single underscores between them, optional fraction
 * and exponent, or inf/infinity/nan. Stored as float32 after rounding to
 * double first, as numpy does. */
static int parse_py_float(float *out, const char *s, size_t n)
{
	static const char ws[] = " \t\n\v\f\r\x1c\x1d\x1e\x1f";
	while (n && strchr(ws, s[0]))
		s++, n--;
	while (n && strchr(ws, s[n - 1]))
		n--;
	char buf[128];
	size_t k = 0, i = 0;
	if (n == 0 || n >= sizeof buf)
		return -1;
	if (s[i] == '+' || s[i] == '-')
		buf[k++] = s[i++];
	const char *word = s + i;
	size_t wn = n - i;
	static const char *const words[] = {"inf", "infinity", "nan"};
	for (int w = 0; w < 3; w++)
		if (wn == strlen(words[w]) && strncasecmp(word, words[w], wn) == 0) {
			double v = w == 2 ? NAN : INFINITY;
			*out = (float)(k && buf[0] == '-' ? -v : v);
			return 0;
		}
		/* digits: runs of [0-9] joined by single underscores; returns count */
#define DIGITS(cnt)                                                                                \
	do {                                                                                       \
		cnt = 0;                                                                           \
		while (i < n && s[i] >= '0' && s[i] <= '9') {                                      \
			buf[k++] = s[i++], cnt++;                                                  \
			if (i + 1 < n && s[i] == '_' && s[i + 1] >= '0' && s[i + 1] <= '9')        \
				i++;                                                               \
		}                                                                                  \
	} while (0)
	size_t int_digits, frac_digits = 0, exp_digits;
	DIGITS(int_digits);
	if (i < n && s[i] == '.') {
		buf[k++] = s[i++];
		DIGITS(frac_digits);
	}
	if (int_digits + frac_digits == 0)
		return -1;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		buf[k++] = s[i++];
		if (i < n && (s[i] == '+' || s[i] == '-'))
			buf[k++] = s[i++];
		DIGITS(exp_digits);
		if (!exp_digits)
			return -1;
	}
#undef DIGITS
	if (i != n)
		return -1;
	buf[k] = '\0';
	*out = (float)strtod(buf, NULL);
	return 0;
}

int tb_proj_next_line(const char **line, size_t *len, int *had_end, const char **p, const char *end)
{
	if (*p >= end)
		return 0;
	const char *s = *p, *q = s;
	while (q < end && *q != '\n' && *q != '\r')
		q++;
	*line = s;
	*len = (size_t)(q - s);
	*had_end = q < end;
	if (q < end && *q == '\r' && q + 1 < end && q[1] == '\n')
		q++;
	*p = q < end ? q + 1 : q;
	return 1;
}

int tb_proj_parse_tsv(float **out, size_t *rows, size_t *cols, const char *text, size_t n,
		      const char *shown, char **msg)
{
	size_t cap = 0, len = 0, r = 0, c = 0;
	float *v = NULL;
	const char *p = text, *end = text + n, *line;
	size_t ll;
	int had_end;
	size_t lineno = 0;
	while (tb_proj_next_line(&line, &ll, &had_end, &p, end)) {
		lineno++;
		if (ll == 0)
			continue;
		size_t fields = 0;
		const char *f = line, *le = line + ll;
		for (;;) {
			const char *tab = memchr(f, '\t', (size_t)(le - f));
			const char *fe = tab ? tab : le;
			v = tb_xgrow(v, &cap, len + 1, sizeof *v);
			if (parse_py_float(&v[len], f, (size_t)(fe - f)) != 0) {
				*msg =
				    tb_xasprintf("Tensor file \"%s\": line %zu: value %zu is not "
						 "a number",
						 shown, lineno, fields + 1);
				free(v);
				return TB_ECORRUPT;
			}
			len++;
			fields++;
			if (!tab)
				break;
			f = tab + 1;
		}
		if (r == 0) {
			c = fields;
		} else if (fields != c) {
			*msg = tb_xasprintf("Tensor file \"%s\": line %zu has %zu values, the "
					    "rows before it %zu",
					    shown, lineno, fields, c);
			free(v);
			return TB_ECORRUPT;
		}
		r++;
	}
	if (r == 0) {
		*msg = tb_xasprintf("Tensor file \"%s\" holds no rows", shown);
		free(v);
		return TB_ECORRUPT;
	}
	*out = v;
	*rows = r;
	*cols = c;
	return 0;
}
