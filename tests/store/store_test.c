/* Tests for src/store/store.c: reservoir sampling as upstream's Python
 * loader keeps points (LOADING.md 10.2 vectors), preemption on restart,
 * series lookup, run table, and the read API: what a tb_reader holds and
 * releases, series by plugin, the point view. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "proto/event.h"
#include "store/store_internal.h"

static tb_series *scalar_series(tb_run *run, const char *tag, uint64_t cap)
{
	return tb_run_add_series(run, tag, strlen(tag), "scalars", TB_DC_SCALAR, "", "", NULL, 0,
				 cap);
}

static void test_store__reservoir_matches_python(void)
{
	tb_store *st = tb_store_new();
	tb_run *run = tb_store_add_run(st, "train");
	tb_series *a = scalar_series(run, "a", 10);
	for (int i = 0; i < 100; i++)
		tb_series_add_scalar(a, i, i, i);
	const int64_t want_a[] = {3, 20, 24, 32, 37, 49, 52, 53, 67, 99};
	CHECK_INT(a->len, 10);
	for (int i = 0; i < 10; i++)
		CHECK_INT(tb_series_step(a, i), want_a[i]);
	tb_series *b = scalar_series(run, "b", 5);
	for (int i = 0; i < 1000; i++)
		tb_series_add_scalar(b, i, i, i * 2.0);
	const int64_t want_b[] = {304, 668, 784, 929, 999};
	CHECK_INT(b->len, 5);
	for (int i = 0; i < 5; i++) {
		CHECK_INT(tb_series_step(b, i), want_b[i]);
		CHECK(tb_series_value(b, i) == want_b[i] * 2.0);
	}
	tb_store_free(st);
}

static void test_store__restart_drops_recovered_steps(void)
{
	tb_store *st = tb_store_new();
	tb_run *run = tb_store_add_run(st, "r");
	tb_series *s = scalar_series(run, "loss", 0);
	for (int i = 0; i < 200; i++)
		tb_series_add_scalar(s, i, i, 1.0);
	for (int i = 120; i < 270; i++)
		tb_series_add_scalar(s, i, i, 2.0);
	CHECK_INT(s->len, 270);
	for (size_t i = 0; i < s->len; i++) {
		CHECK_INT(tb_series_step(s, i), (int64_t)i);
		CHECK(tb_series_value(s, i) == (i < 120 ? 1.0 : 2.0));
	}
	/* the same step twice keeps the later value */
	tb_series_add_scalar(s, 269, 0, 3.0);
	CHECK_INT(s->len, 270);
	CHECK(tb_series_value(s, 269) == 3.0);
	tb_store_free(st);
}

static void test_store__tensor_points_owned_and_preempted(void)
{
	tb_store *st = tb_store_new();
	tb_run *run = tb_store_add_run(st, "r");
	tb_series *s =
	    tb_run_add_series(run, "img", 3, "images", TB_DC_BLOB_SEQUENCE, "", "", "x", 1, 2);
	for (int i = 0; i < 20; i++) {
		tb_slice parts[1] = {tb_slice_make("abc", 3)};
		int64_t dims[1] = {1};
		tb_series_add_tensor(s, i % 7, i,
				     tb_tensor_new(TB_DT_STRING, 1, dims, NULL, parts));
	}
	CHECK(s->len <= 2);
	CHECK(tb_series_step(s, s->len - 1) == 19 % 7);
	tb_store_free(st); /* LeakSanitizer checks every tensor was freed */
}

static void test_store__series_lookup_many_tags(void)
{
	tb_store *st = tb_store_new();
	tb_run *run = tb_store_add_run(st, "r");
	char tag[32];
	for (int i = 0; i < 500; i++) {
		snprintf(tag, sizeof tag, "group%d/tag%d", i % 7, i);
		scalar_series(run, tag, 0);
	}
	for (int i = 0; i < 500; i++) {
		snprintf(tag, sizeof tag, "group%d/tag%d", i % 7, i);
		tb_series *s = tb_run_series_w(run, tag, strlen(tag));
		CHECK(s && strcmp(s->tag, tag) == 0);
	}
	CHECK(tb_run_series_w(run, "nope", 4) == NULL);
	CHECK(tb_store_add_run(st, "r") == run);
	CHECK(tb_store_find_run(st, "r") == run);
	tb_store_remove_run(st, run);
	CHECK(tb_store_find_run(st, "r") == NULL);
	tb_store_free(st);
}

static void test_store__capacities(void)
{
	tb_store *st = tb_store_new();
	CHECK_INT(tb_store_capacity(st, "scalars", TB_DC_SCALAR), 1000);
	CHECK_INT(tb_store_capacity(st, "histograms", TB_DC_TENSOR), 500);
	CHECK_INT(tb_store_capacity(st, "images", TB_DC_BLOB_SEQUENCE), 10);
	CHECK_INT(tb_store_capacity(st, "text", TB_DC_TENSOR), 100);
	CHECK_INT(tb_store_capacity(st, "graphs", TB_DC_BLOB_SEQUENCE), 10);
	tb_store_set_capacity(st, "scalars", 0);
	CHECK_INT(tb_store_capacity(st, "scalars", TB_DC_SCALAR), 0);
	tb_store_free(st);
}

static int same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof a) == 0;
}

/* A wall time and a value that are a function of the step, irregular
 * enough to need every width. */
static double wall_of(int64_t step)
{
	uint64_t h = (uint64_t)step * 0x9e3779b97f4a7c15ull;
	if (step % 97 == 5)
		return -1.5 * (double)step;
	return 1.7e9 + 0.25 * (double)step + (double)(h >> 44) * 1e-6;
}

static double value_of(int64_t step)
{
	if (step % 13 == 7)
		return 0.1 * (double)step; /* not a float */
	if (step % 31 == 3)
		return step % 2 ? -0.0 : NAN;
	return (double)(float)((double)step / 7.0);
}

static void test_store__packed_points_read_back_exactly(void)
{
	tb_store *st = tb_store_new();
	tb_run *run = tb_store_add_run(st, "train");
	/* steady steps, wall times and float values: the narrowest columns */
	tb_series *a = scalar_series(run, "steady", 1000);
	for (int64_t i = 0; i < 200; i++)
		tb_series_add_scalar(a, i, 1.7e9 + 0.25 * (double)i + 1e-4, (float)i / 3.0f);
	CHECK(a->pk.step_w == 1 && a->pk.wall_w == 1 && a->pk.value_w == 4);
	for (size_t i = 0; i < a->len; i++) {
		CHECK_INT(tb_series_step(a, i), (int64_t)i);
		CHECK(same_bits(tb_series_wall(a, i), 1.7e9 + 0.25 * (double)i + 1e-4));
		CHECK(same_bits(tb_series_value(a, i), (float)i / 3.0f));
	}
	/* everything kept, with restarts and steps up to the int64 limit */
	tb_series *b = scalar_series(run, "wide", 0);
	int64_t steps[] = {5, 6, 7, 300, 70000, 3, 4, 1LL << 40, INT64_MAX - 1, INT64_MAX};
	int64_t model[16];
	size_t n = 0;
	for (size_t k = 0; k < sizeof steps / sizeof *steps; k++) {
		while (n && model[n - 1] >= steps[k])
			n--;
		model[n++] = steps[k];
		tb_series_add_scalar(b, steps[k], wall_of(steps[k]), value_of(steps[k]));
	}
	CHECK_INT(b->len, n);
	for (size_t i = 0; i < b->len && i < n; i++) {
		CHECK_INT(tb_series_step(b, i), model[i]);
		CHECK(same_bits(tb_series_wall(b, i), wall_of(model[i])));
		CHECK(same_bits(tb_series_value(b, i), value_of(model[i])));
	}
	/* a reservoir moving points both ways while the columns widen */
	tb_series *c = scalar_series(run, "reservoir", 50);
	for (int64_t i = 0; i < 3000; i++)
		tb_series_add_scalar(c, i * (i < 1500 ? 1 : 1000), wall_of(i), value_of(i));
	CHECK_INT(c->len, 50);
	for (size_t i = 0; i < c->len; i++) {
		int64_t s = tb_series_step(c, i), at = s < 1500 ? s : s / 1000;
		CHECK(i == 0 || s > tb_series_step(c, i - 1));
		CHECK(same_bits(tb_series_wall(c, i), wall_of(at)));
		CHECK(same_bits(tb_series_value(c, i), value_of(at)));
	}
	tb_store_free(st);
}

/* Whether a writer could take run r's lock now (nobody holds it). */
static int run_free_now(tb_run *r)
{
	if (pthread_rwlock_trywrlock(&r->lock) != 0)
		return 0;
	pthread_rwlock_unlock(&r->lock);
	return 1;
}

static void test_store__reader_holds_and_releases(void)
{
	tb_store *st = tb_store_new();
	tb_run *a = tb_store_add_run(st, "a"), *b = tb_store_add_run(st, "b");
	tb_series *loss = scalar_series(a, "loss", 0);
	tb_run_add_series(a, "img", 3, "images", TB_DC_BLOB_SEQUENCE, "", "", NULL, 0, 0);
	scalar_series(a, "acc", 0);
	for (int i = 0; i < 50; i++)
		tb_series_add_scalar(loss, 3 * i, 1000.5 + i, 0.25 * i);

	tb_reader rd;
	tb_reader_begin(&rd, st);
	CHECK_INT(tb_reader_run_count(&rd), 2);
	CHECK_STR(tb_reader_run_name(&rd, 1), "b");
	CHECK(run_free_now(b)); /* a name is read without the run's lock */
	/* a run handed out twice is held once; release frees it */
	CHECK(tb_reader_find_run(&rd, "a") == a);
	CHECK(tb_reader_run_at(&rd, 0) == a);
	CHECK(!run_free_now(a));
	tb_reader_release(&rd);
	CHECK(run_free_now(a));
	CHECK(tb_reader_find_run(&rd, "nope") == NULL);
	CHECK(tb_reader_find_run(&rd, NULL) == NULL);
	/* walking holds one run at a time */
	size_t pos = 0;
	CHECK(tb_reader_next_run(&rd, &pos) == a);
	CHECK(tb_reader_next_run(&rd, &pos) == b);
	CHECK(run_free_now(a) && !run_free_now(b));
	CHECK(tb_reader_next_run(&rd, &pos) == NULL);
	CHECK(run_free_now(b));
	/* a run handed out before is held again */
	CHECK(tb_reader_hold(&rd, a) == a && !run_free_now(a));
	tb_reader_hold_all(&rd);
	CHECK(!run_free_now(a) && !run_free_now(b));
	CHECK(tb_reader_run_at(&rd, 1) == b);

	/* series of one plugin and data class, in creation order */
	size_t k = 0;
	const tb_series *s = tb_run_next_series(a, &k, "scalars", TB_DC_SCALAR);
	CHECK(s == loss);
	CHECK_STR(tb_series_tag(tb_run_next_series(a, &k, "scalars", TB_DC_SCALAR)), "acc");
	CHECK(tb_run_next_series(a, &k, "scalars", TB_DC_SCALAR) == NULL);
	k = 0;
	CHECK_STR(tb_series_tag(tb_run_next_series(a, &k, "images", -1)), "img");
	k = 0;
	CHECK(tb_run_next_series(a, &k, NULL, -1) == loss);
	CHECK(tb_run_find_series(a, "img", 3) == tb_run_series_at(a, 1));
	CHECK_INT(tb_run_series_count(a), 3);
	CHECK_INT(tb_series_data_class(tb_run_series_at(a, 1)), TB_DC_BLOB_SEQUENCE);

	/* the point view reads what the single-point readers read */
	tb_points pt;
	tb_series_points(&pt, s);
	CHECK_INT(pt.len, tb_series_len(s));
	for (size_t i = 0; i < pt.len; i++) {
		CHECK_INT(tb_points_step(&pt, i), tb_series_step(s, i));
		CHECK(tb_points_wall(&pt, i) == tb_series_wall(s, i));
		CHECK(tb_points_value(&pt, i) == tb_series_value(s, i));
	}
	CHECK_INT(tb_series_lower_bound(s, 31), 11);
	CHECK_INT(tb_series_data_class(s), TB_DC_SCALAR);
	CHECK_INT(tb_series_changes(s), 50);
	tb_reader_end(&rd);
	CHECK(run_free_now(a) && run_free_now(b));
	tb_store_free(st);
}

int main(void)
{
	TB_RUN(test_store__reservoir_matches_python);
	TB_RUN(test_store__restart_drops_recovered_steps);
	TB_RUN(test_store__tensor_points_owned_and_preempted);
	TB_RUN(test_store__series_lookup_many_tags);
	TB_RUN(test_store__capacities);
	TB_RUN(test_store__packed_points_read_back_exactly);
	TB_RUN(test_store__reader_holds_and_releases);
	return tb_test_finish();
}
