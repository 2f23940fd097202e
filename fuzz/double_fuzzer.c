/* Fuzz target for the shortest round-trip double formatter of the JSON
 * writer (tb_fmt_double), its float form (tb_fmt_float) and its points
 * (tb_fmt_point). The input is read four ways: as doubles (8 bytes each),
 * as [wall, step, value] points (24 bytes from every 8th), as floats (4
 * bytes each, through both), and as decimal text through strtod; every
 * value must pass the independent check of tests/http/fmt_check.h (reads
 * back, closest digits of the shortest length, Python's repr layout), and
 * every point must be its three numbers as tb_fmt_double and tb_fmt_int
 * write them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/http/fmt_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i + 8 <= size; i += 8) {
		double v;
		memcpy(&v, data + i, 8);
		if (!fmt_check(v))
			abort();
	}
	for (size_t i = 0; i + 24 <= size; i += 8) { /* overlapping points */
		double w, v;
		int64_t step;
		memcpy(&w, data + i, 8);
		memcpy(&step, data + i + 8, 8);
		memcpy(&v, data + i + 16, 8);
		if (!fmt_check_point(w, step, v) || !fmt_check_point(v, step, w))
			abort();
	}
	for (size_t i = 0; i + 4 <= size; i += 4) {
		float f;
		memcpy(&f, data + i, 4);
		if (!fmt_check(f) || !fmt_check_float(f))
			abort();
	}
	char text[64];
	size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
	memcpy(text, data, n);
	text[n] = '\0';
	if (!fmt_check(strtod(text, NULL)))
		abort();
	return 0;
}
