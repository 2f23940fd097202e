/* fmt_float_check: every positive finite float through tb_fmt_float, read
 * back with strtof. Prints how many did not read back exactly and how many
 * took more than 9 significant digits (both must be 0); exits 1 if any.
 *
 *     fmt_float_check            (about 4 minutes on one core)
 *
 * A check too long for the test suite, which tries 1.5 M random floats and
 * the edge cases (tests/http/json_test.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/numfmt.h"

/* Significant digits of a spelling: the digits from its first nonzero one
 * to its last, before any exponent ("0.000123" 3, "1.5e+20" 2, "16777216.0"
 * 8). */
static int sig_digits(const char *s)
{
	size_t end = strcspn(s, "e"), first = strcspn(s, "123456789");
	if (first >= end)
		return 1; /* zero */
	size_t last = end;
	while (s[last - 1] < '1' || s[last - 1] > '9')
		last--;
	int n = 0;
	for (size_t i = first; i < last; i++)
		n += s[i] != '.';
	return n;
}

int main(void)
{
	uint64_t n = 0, wrong = 0, long_ = 0;
	char buf[48];
	for (uint32_t b = 1; b < 0x7f800000u; b++, n++) {
		float f;
		memcpy(&f, &b, sizeof f);
		buf[tb_fmt_float(buf, f)] = '\0';
		if (strtof(buf, NULL) != f && wrong++ < 5)
			printf("not read back: 0x%08x %s\n", (unsigned)b, buf);
		if (sig_digits(buf) > 9 && long_++ < 5)
			printf("over 9 digits: 0x%08x %s\n", (unsigned)b, buf);
	}
	printf("floats %llu, not read back %llu, over 9 digits %llu\n", (unsigned long long)n,
	       (unsigned long long)wrong, (unsigned long long)long_);
	return wrong || long_;
}
