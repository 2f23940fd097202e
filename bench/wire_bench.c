/* wire_bench: what a scalar series costs on the wire and to encode.
 *
 *     wire_bench [repeats=5]
 *
 * For a 1,000-point and a 50,000-point series (a noisy decaying loss stored
 * as float32, as add_scalar stores it; wall times as time.time() gives them,
 * microsecond fractions; steps 0..n-1), prints:
 *
 * 1. bytes of the columnar JSON answer of /data/tboard/scalars and of two
 *    binary forms (int64 step + float64 wall + float64 value = 24 B/point;
 *    the same with float32 values = 20 B/point), raw and gzipped at level 3
 *    (what the server sends) and 6;
 * 2. ns per double for the JSON writer's shortest round-trip formatting
 *    (Dragonbox digits, src/common/numfmt.c) against the printf/strtod search it
 *    replaced (kept here as the baseline), same values, same run, median of
 *    `repeats`;
 * 3. ns per point for the [wall, step, value] points of upstream's scalars
 *    answer (tb_json_point, wall times and values in turn, as the server
 *    writes them), median of `repeats` passes over the big series. Other
 *    trees' figure comes from this file built against them. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "http/json.h"
#include "lib/bench.h"

static uint64_t rng = 7;

static double uniform(void)
{
	uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

typedef struct series {
	size_t n;
	int64_t *step;
	double *wall, *value;
} series;

static void make(series *s, size_t n)
{
	s->n = n;
	s->step = malloc(n * sizeof *s->step);
	s->wall = malloc(n * sizeof *s->wall);
	s->value = malloc(n * sizeof *s->value);
	double t = 1700000000.0;
	for (size_t i = 0; i < n; i++) {
		s->step[i] = (int64_t)i;
		t += 0.2 + 0.1 * uniform();
		s->wall[i] = floor(t * 1e6) / 1e6;
		s->value[i] = (double)(float)(2.0 * exp(-(double)i / (double)n * 3) +
					      0.05 * uniform());
	}
}

static void json_form(tb_buf *b, const series *s)
{
	tb_json j;
	tb_json_init(&j, b);
	tb_json_obj_begin(&j);
	tb_json_key(&j, "tag");
	tb_json_str(&j, "loss");
	tb_json_key(&j, "generation");
	tb_json_int(&j, 1234);
	tb_json_key(&j, "runs");
	tb_json_obj_begin(&j);
	tb_json_key(&j, "run_00");
	tb_json_obj_begin(&j);
	tb_json_key(&j, "gen");
	tb_json_int(&j, (int64_t)s->n);
	tb_json_key(&j, "n");
	tb_json_int(&j, (int64_t)s->n);
	tb_json_key(&j, "step");
	tb_json_arr_begin(&j);
	for (size_t i = 0; i < s->n; i++)
		tb_json_int(&j, s->step[i]);
	tb_json_arr_end(&j);
	tb_json_key(&j, "wall");
	tb_json_arr_begin(&j);
	for (size_t i = 0; i < s->n; i++)
		tb_json_double(&j, s->wall[i]);
	tb_json_arr_end(&j);
	tb_json_key(&j, "value");
	tb_json_arr_begin(&j);
	for (size_t i = 0; i < s->n; i++)
		tb_json_double(&j, s->value[i]);
	tb_json_arr_end(&j);
	tb_json_obj_end(&j);
	tb_json_obj_end(&j);
	tb_json_obj_end(&j);
}

static void binary_form(tb_buf *b, const series *s, int f32)
{
	tb_buf_append(b, s->step, s->n * sizeof *s->step);
	tb_buf_append(b, s->wall, s->n * sizeof *s->wall);
	for (size_t i = 0; i < s->n; i++) {
		if (f32) {
			float v = (float)s->value[i];
			tb_buf_append(b, &v, sizeof v);
		} else {
			tb_buf_append(b, &s->value[i], sizeof s->value[i]);
		}
	}
}

static size_t gz_size(const tb_buf *b, int level)
{
	uLongf n = compressBound(b->len);
	Bytef *out = malloc(n);
	if (compress2(out, &n, (const Bytef *)b->ptr, b->len, level) != Z_OK)
		n = 0;
	free(out);
	return n + 18 - 6; /* gzip header and trailer instead of zlib's */
}

/* The formatter the JSON writer used before: printf at 15, 16, 17
 * significant digits until strtod reads the value back. */
static size_t old_fmt(char *out, double v)
{
	for (int prec = v < DBL_MIN ? 0 : 14; prec < 17; prec++) {
		snprintf(out, 40, "%.*e", prec, v);
		if (strtod(out, NULL) == v)
			return strlen(out);
	}
	return (size_t)snprintf(out, 40, "%.16e", v);
}

static void sizes(const series *s)
{
	tb_buf j = TB_BUF_INIT, b24 = TB_BUF_INIT, b20 = TB_BUF_INIT;
	json_form(&j, s);
	binary_form(&b24, s, 0);
	binary_form(&b20, s, 1);
	printf("| %zu points | columnar JSON | %zu | %zu | %zu |\n", s->n, j.len, gz_size(&j, 3),
	       gz_size(&j, 6));
	printf("| %zu points | binary, f64 values (24 B/point) | %zu | %zu | %zu |\n", s->n,
	       b24.len, gz_size(&b24, 3), gz_size(&b24, 6));
	printf("| %zu points | binary, f32 values (20 B/point) | %zu | %zu | %zu |\n", s->n,
	       b20.len, gz_size(&b20, 3), gz_size(&b20, 6));
	tb_buf_free(&j);
	tb_buf_free(&b24);
	tb_buf_free(&b20);
}

int main(int argc, char **argv)
{
	int repeats = argc > 1 ? atoi(argv[1]) : 5;
	if (repeats < 1)
		repeats = 1;
	series small, big;
	make(&small, 1000);
	make(&big, 50000);
	printf("| series | form | bytes | gzip -3 | gzip -6 |\n| --- | --- | --- | --- | --- |\n");
	sizes(&small);
	sizes(&big);

	/* formatting: walls and values of the big series */
	size_t n = big.n * 2;
	double *v = malloc(n * sizeof *v);
	memcpy(v, big.wall, big.n * sizeof *v);
	memcpy(v + big.n, big.value, big.n * sizeof *v);
	double *t_new = malloc((size_t)repeats * sizeof *t_new);
	double *t_old = malloc((size_t)repeats * sizeof *t_old);
	char buf[64];
	size_t sink = 0;
	for (int r = 0; r < repeats; r++) {
		double t0 = bench_now();
		for (size_t i = 0; i < n; i++)
			sink += tb_fmt_double(buf, v[i]);
		double t1 = bench_now();
		for (size_t i = 0; i < n; i++)
			sink += old_fmt(buf, v[i]);
		double t2 = bench_now();
		t_new[r] = (t1 - t0) / (double)n * 1e9;
		t_old[r] = (t2 - t1) / (double)n * 1e9;
	}
	double a = bench_median(t_new, repeats), b = bench_median(t_old, repeats);
	printf("\nshortest round-trip formatting, %zu doubles, median of %d (sink %zu):\n", n,
	       repeats, sink % 10);
	printf("| formatter | ns/double | ratio |\n| --- | --- | --- |\n");
	printf("| Dragonbox digits, Python layout (src/common/numfmt.c) | %.1f | 1 |\n", a);
	printf("| printf/strtod search (before) | %.1f | %.1fx slower |\n", b, b / a);

	/* points, as the scalars route writes them */
	tb_buf out = TB_BUF_INIT;
	for (int r = 0; r < repeats; r++) {
		out.len = 0;
		tb_json j;
		tb_json_init(&j, &out);
		double t0 = bench_now();
		tb_json_arr_begin(&j);
		for (size_t i = 0; i < big.n; i++)
			tb_json_point(&j, big.wall[i], big.step[i], big.value[i]);
		tb_json_arr_end(&j);
		t_new[r] = (bench_now() - t0) / (double)big.n * 1e9;
	}
	printf("\nscalars answer points [wall, step, value], %zu points, median of %d (%zu B):\n",
	       big.n, repeats, out.len);
	printf("| writer | ns/point |\n| --- | --- |\n");
	printf("| tb_json_point | %.1f |\n", bench_median(t_new, repeats));
	tb_buf_free(&out);
	free(v);
	free(t_new);
	free(t_old);
	return 0;
}
