/* rql_bench: run queries over a generated table of runs.
 *
 *     rql_bench [runs=10000] [hparams=100] [points=1000] [reps=15]
 *
 * Builds a fixed-seed table of `runs` runs with `hparams` numeric
 * hyperparameters each (h0..h98, plus lr, a string opt, a bool bn) and one
 * val/acc series of `points` points per run held in memory, then prints
 * the median over `reps` repetitions of the CPU time (this thread's, so
 * waiting for a core on a busy machine does not count) of parsing and
 * evaluating each
 * query, beside queries 0 and 1 written by hand in C over plain arrays
 * of the same values (the floor an interpreter can approach), and the
 * ratio. The first line gives the table's build time. Then the same runs
 * in a store, each with a session_start_info summary holding its hparams
 * and a val/acc scalar series, as a server holds them: the median time to
 * build the query table from the store (decoding every session) and to
 * build it and answer query 1; then the same with the shared table the
 * HTTP routes use (checked against the store instead of rebuilt). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dashboards/runtable.h"
#include "lib/bench.h"
#include "proto/event.h"
#include "proto/pb_encode.h"
#include "query/rql.h"
#include "store/store_internal.h"

static size_t n_runs, n_hp, n_points;

/* CPU seconds of this thread: on a shared machine, time spent waiting for a
 * core is not the query's. */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
static int64_t *steps;
static double *values; /* n_runs x n_points */

/* The generated lr and opt, also kept as plain arrays for the hand-written
 * baseline. */
static double *lrs;
static int *adam;

static uint64_t rng = 0x9E3779B97F4A7C15u, rng_at_build;
static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static int get(tb_rql_series *out, size_t run, const char *tag, void *payload)
{
	(void)payload;
	if (strcmp(tag, "val/acc") != 0)
		return 0;
	*out = (tb_rql_series){steps, values + run * n_points, n_points, NULL};
	return 1;
}

static tb_rql_table *build(void)
{
	tb_rql_table *t = tb_rql_table_new();
	tb_rql_table_reserve(t, n_runs);
	char name[64];
	for (size_t r = 0; r < n_runs; r++) {
		snprintf(name, sizeof name, "sweep/cfg%zu/seed%zu", r / 5, r % 5);
		tb_rql_table_add_run(t, name);
		for (size_t h = 0; h + 3 < n_hp; h++) {
			snprintf(name, sizeof name, "h%zu", h);
			tb_rql_value v = {TB_RQL_NUM, floor(uniform() * 10), NULL};
			tb_rql_table_set(t, r, name, &v);
		}
		tb_rql_value lr = {TB_RQL_NUM, pow(10, -1 - 3 * uniform()), NULL};
		tb_rql_value opt = {TB_RQL_STR, 0, uniform() < 0.5 ? "adam" : "sgd"};
		tb_rql_value bn = {TB_RQL_BOOL, uniform() < 0.5, NULL};
		lrs[r] = lr.num;
		adam[r] = opt.str[0] == 'a';
		tb_rql_table_set(t, r, "lr", &lr);
		tb_rql_table_set(t, r, "opt", &opt);
		tb_rql_table_set(t, r, "bn", &bn);
	}
	tb_rql_table_series(t, get, NULL, NULL);
	return t;
}

/* Queries 0 and 1 written by hand over plain arrays: the floor. */
typedef struct hit {
	double key;
	size_t run;
} hit;

static int cmp_desc(const void *a, const void *b)
{
	const hit *x = a, *y = b;
	return (x->key < y->key) - (x->key > y->key);
}

static size_t by_hand(int which)
{
	hit *h = malloc(n_runs * sizeof *h);
	size_t n = 0;
	for (size_t r = 0; r < n_runs; r++) {
		if (which == 0) {
			if (lrs[r] < 0.01 && adam[r])
				h[n++] = (hit){lrs[r], r};
		} else {
			const double *v = values + r * n_points;
			double mx = -INFINITY;
			for (size_t i = 100; i <= 500 && i < n_points; i++)
				mx = v[i] > mx ? v[i] : mx;
			if (mx > 0.9 && lrs[r] > 0.001)
				h[n++] = (hit){v[n_points - 1], r};
		}
	}
	qsort(h, n, sizeof *h, cmp_desc);
	size_t first = n ? h[0].run : 0;
	free(h);
	return first + n;
}

/* The same runs in a store: session_start_info content (HParamsPluginData
 * field 3, SessionStartInfo.hparams map entries) and the val/acc points. */
static tb_store *build_store(void)
{
	tb_store *s = tb_store_new();
	tb_pb_buf c;
	tb_pb_buf_init(&c);
	char name[64];
	rng = rng_at_build; /* the same values as build() */
	for (size_t r = 0; r < n_runs; r++) {
		snprintf(name, sizeof name, "sweep/cfg%zu/seed%zu", r / 5, r % 5);
		tb_run *run = tb_store_add_run(s, name);
		tb_pb_buf_truncate(&c, 0);
		size_t start = tb_pb_begin(&c, 3);
		for (size_t h = 0; h + 3 < n_hp; h++) {
			snprintf(name, sizeof name, "h%zu", h);
			size_t e = tb_pb_begin(&c, 1);
			tb_pb_put_string(&c, 1, name);
			size_t v = tb_pb_begin(&c, 2);
			tb_pb_put_double(&c, 2, floor(uniform() * 10));
			tb_pb_end(&c, v);
			tb_pb_end(&c, e);
		}
		double lr = pow(10, -1 - 3 * uniform());
		const char *opt = uniform() < 0.5 ? "adam" : "sgd";
		int bn = uniform() < 0.5;
		const char *keys[] = {"lr", "opt", "bn"};
		for (int k = 0; k < 3; k++) {
			size_t e = tb_pb_begin(&c, 1);
			tb_pb_put_string(&c, 1, keys[k]);
			size_t v = tb_pb_begin(&c, 2);
			if (k == 0)
				tb_pb_put_double(&c, 2, lr);
			else if (k == 1)
				tb_pb_put_string(&c, 3, opt);
			else
				tb_pb_put_bool(&c, 4, bn);
			tb_pb_end(&c, v);
			tb_pb_end(&c, e);
		}
		tb_pb_end(&c, start);
		static const char sst[] = "_hparams_/session_start_info";
		tb_run_wrlock(run);
		tb_run_add_series(run, sst, sizeof sst - 1, "hparams", TB_DC_TENSOR, "", "", c.data,
				  c.len, 1);
		tb_series *acc = tb_run_add_series(run, "val/acc", 7, "scalars", TB_DC_SCALAR, "",
						   "", NULL, 0, 0);
		for (size_t i = 0; i < n_points; i++)
			tb_series_add_scalar(acc, steps[i], 0, values[r * n_points + i]);
		tb_run_unlock(run);
	}
	tb_pb_buf_free(&c);
	return s;
}

/* Parse and evaluate query over t; the number of matches. */
static size_t answer(const char *query, tb_rql_table *t)
{
	tb_rql *q;
	tb_rql_error e;
	tb_rql_result *r;
	if (tb_rql_parse(&q, query, strlen(query), &e) || tb_rql_eval(&r, q, t, &e)) {
		fprintf(stderr, "query: col %zu: %s\n", e.col, e.msg);
		exit(1);
	}
	size_t total = tb_rql_result_total(r);
	tb_rql_result_free(r);
	tb_rql_free(q);
	return total;
}

/* reps times: take a table of s (a new one, or the shared one) into tb[k],
 * and that plus answering query into tq[k], through reader rd. */
static size_t time_store(tb_reader *s, const char *query, int reps, int shared, double *tb,
			 double *tq)
{
	size_t total = 0;
	for (int k = 0; k < reps; k++) {
		double a = cpu_now();
		tb_runtable *rt = shared ? tb_runtable_get(s) : tb_runtable_new(s);
		tb[k] = cpu_now() - a;
		total = answer(query, tb_runtable_table(rt));
		if (shared)
			tb_runtable_put(rt);
		else
			tb_runtable_free(rt);
		tq[k] = cpu_now() - a;
	}
	return total;
}

static void store_figures(const char *query, int reps)
{
	tb_store *s = build_store();
	double *tb = malloc((size_t)reps * sizeof *tb), *tq = malloc((size_t)reps * sizeof *tq);
	tb_reader rd;
	tb_reader_begin(&rd, s);
	size_t total = time_store(&rd, query, reps, 0, tb, tq);
	printf("store: query table from %zu runs' session_start_info in %.1f ms; table + query 1 "
	       "(%zu matches) in %.1f ms\n",
	       n_runs, bench_median(tb, reps) * 1e3, total, bench_median(tq, reps) * 1e3);
	/* The shared table, as the HTTP routes take it: built once, then
	 * checked against the store (a pointer, a name and a memcmp per run). */
	tb_runtable_put(tb_runtable_get(&rd));
	time_store(&rd, query, reps, 1, tb, tq);
	printf("store: shared table checked in %.2f ms; checked table + query 1 in %.1f ms\n",
	       bench_median(tb, reps) * 1e3, bench_median(tq, reps) * 1e3);
	tb_reader_end(&rd);
	free(tb);
	free(tq);
	tb_store_free(s);
}

int main(int argc, char **argv)
{
	n_runs = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
	n_hp = argc > 2 ? strtoul(argv[2], NULL, 10) : 100;
	n_points = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000;
	int reps = argc > 4 ? atoi(argv[4]) : 15;
	if (n_hp < 3 || n_points < 2 || reps < 1 || reps > 1000) {
		fprintf(stderr, "usage: rql_bench [runs] [hparams>=3] [points>=2] [reps]\n");
		return 2;
	}
	steps = malloc(n_points * sizeof *steps);
	lrs = malloc(n_runs * sizeof *lrs);
	adam = malloc(n_runs * sizeof *adam);
	values = malloc(n_runs * n_points * sizeof *values);
	for (size_t i = 0; i < n_points; i++)
		steps[i] = (int64_t)i;
	for (size_t r = 0; r < n_runs; r++) {
		double rate = 0.002 + 0.01 * uniform();
		for (size_t i = 0; i < n_points; i++)
			values[r * n_points + i] =
			    1 - exp(-rate * (double)i) * 0.9 + 0.02 * uniform();
	}
	rng_at_build = rng;
	double t0 = cpu_now();
	tb_rql_table *t = build();
	printf("table: %zu runs x %zu hparams, %zu points per run; built in %.1f ms\n", n_runs,
	       n_hp, n_points, (cpu_now() - t0) * 1e3);

	static const char *const queries[] = {
	    "hp.lr < 0.01 and hp.opt = 'adam' sort by hp.lr desc limit 10",
	    "max(val/acc, 100:500) > 0.9 and hp.lr > 0.001 sort by last(val/acc) desc limit 10",
	    "(hp.h7 in [1, 2, 3] or not hp.h98 < 3) and run ~ 'seed[0-2]$' and hp.bn "
	    "sort by hp.h3, hp.opt desc, run limit 100",
	};
	for (int qi = 0; qi < 3; qi++) {
		double *tq = malloc((size_t)reps * sizeof *tq),
		       *th = malloc((size_t)reps * sizeof *th);
		size_t total = 0, sink = 0;
		for (int k = 0; k < reps; k++) {
			double a = cpu_now();
			total = answer(queries[qi], t);
			tq[k] = cpu_now() - a;
			a = cpu_now();
			if (qi < 2)
				sink += by_hand(qi);
			th[k] = cpu_now() - a;
		}
		double mq = bench_median(tq, reps) * 1e3, mh = bench_median(th, reps) * 1e3;
		if (qi < 2)
			printf("query %d: %zu matches; rql %.2f ms, by hand %.2f ms, ratio %.2f  "
			       "[%s]\n",
			       qi, total, mq, mh, mq / mh, queries[qi]);
		else
			printf("query %d: %zu matches; rql %.2f ms  [%s]\n", qi, total, mq,
			       queries[qi]);
		(void)sink;
		free(tq);
		free(th);
	}
	tb_rql_table_free(t);
	store_figures(queries[1], reps < 5 ? reps : 5);
	free(steps);
	free(values);
	free(lrs);
	free(adam);
	return 0;
}
