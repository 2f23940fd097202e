/* Event -> store conversions on hand-built events that writers should not
 * produce: a "scalars" tensor that holds no number must not create an empty
 * tag, and must be reported once; an empty tag is stored without reading
 * through a NULL pointer (UBSan). */
#include <stdlib.h>

#include "../harness.h"
#include "common/log.h"
#include "ingest/compat.h"
#include "proto/event.h"
#include "proto/pb_encode.h"
#include "store/store_internal.h"

/* Event{wall_time, step, summary{value{tag, metadata{plugin_data{
 * plugin_name}}, tensor{...: opened; *sum, *val and the tensor's offset
 * are for tb_pb_end. */
static size_t begin_tensor_event(tb_pb_buf *b, size_t *sum, size_t *val, double wall, int64_t step,
				 const char *tag, const char *plugin)
{
	tb_pb_put_double(b, 1, wall);
	tb_pb_put_int64(b, 2, step);
	*sum = tb_pb_begin(b, 5);
	*val = tb_pb_begin(b, 1);
	tb_pb_put_string(b, 1, tag);
	size_t md = tb_pb_begin(b, 9);
	size_t pd = tb_pb_begin(b, 1);
	tb_pb_put_string(b, 1, plugin);
	tb_pb_end(b, pd);
	tb_pb_end(b, md);
	return tb_pb_begin(b, 8);
}

/* ... plugin_name "scalars"}}, tensor{dtype, string_val "x" | float_val 1}}}} */
static void scalar_tensor_event(tb_pb_buf *b, const char *tag, int dtype)
{
	size_t sum, val;
	size_t t = begin_tensor_event(b, &sum, &val, 1.7e9, 3, tag, "scalars");
	tb_pb_put_uint64(b, 1, (uint64_t)dtype);
	if (dtype == 7)
		tb_pb_put_string(b, 8, "x");
	else
		tb_pb_put_float(b, 5, 1.0f);
	tb_pb_end(b, t);
	tb_pb_end(b, val);
	tb_pb_end(b, sum);
}

static int warnings;

static void count_warnings(int level, const char *msg, void *payload)
{
	(void)payload;
	if (level == TB_LOG_WARN && strstr(msg, "not one number"))
		warnings++;
}

/* Store the event in b into run; returns the values stored. */
static int add(tb_store *st, tb_run *run, tb_pb_buf *b)
{
	tb_event ev;
	if (tb_event_decode(&ev, tb_slice_make(b->data, b->len)) != 0)
		return -100;
	tb_series *prev = NULL;
	tb_run_wrlock(run);
	int n = tb_compat_add_event(st, run, &ev, &prev);
	tb_run_unlock(run);
	return n;
}

static void test_compat__bad_scalar_dtype(void)
{
	tb_log_set_hook(count_warnings, NULL);
	tb_store *st = tb_store_new();
	tb_run *run = tb_store_add_run(st, "r");
	int dtypes[] = {7, 0, 99}; /* DT_STRING, DT_INVALID, unknown */
	for (int i = 0; i < 3; i++) {
		tb_pb_buf b;
		tb_pb_buf_init(&b);
		scalar_tensor_event(&b, "bad", dtypes[i]);
		CHECK(add(st, run, &b) <= 0);
		tb_pb_buf_free(&b);
	}
	CHECK_INT(run->n_series, 0);
	CHECK(tb_run_series_w(run, "bad", 3) == NULL);
	CHECK_INT(warnings, 1);

	/* a good one under the same tag afterwards is stored */
	tb_pb_buf b;
	tb_pb_buf_init(&b);
	scalar_tensor_event(&b, "bad", 1); /* DT_FLOAT */
	CHECK_INT(add(st, run, &b), 1);
	tb_pb_buf_free(&b);
	tb_series *s = tb_run_series_w(run, "bad", 3);
	CHECK(s && s->len == 1);
	tb_store_free(st);
	tb_log_set_hook(NULL, NULL);
}

static void test_compat__empty_tag(void)
{
	tb_store *st = tb_store_new();
	tb_run *run = tb_store_add_run(st, "r");
	tb_pb_buf b;
	tb_pb_buf_init(&b);
	scalar_tensor_event(&b, "", 1);
	CHECK_INT(add(st, run, &b), 1);
	CHECK_INT(add(st, run, &b), 1);
	CHECK(tb_run_series_w(run, "", 0) != NULL);
	tb_pb_buf_free(&b);
	tb_store_free(st);
}

/* Event{step, summary{value{tag "h", metadata{plugin "histograms"},
 * tensor{DT_DOUBLE, shape [2, 3], tensor_content}}}}; a damaged one has
 * content of the wrong length. */
static void histo_event(tb_pb_buf *b, int64_t step, int damaged)
{
	double rows[6] = {0, 1, (double)step, 1, 2, (double)(step * 3)};
	size_t sum, val;
	size_t t = begin_tensor_event(b, &sum, &val, 1.7e9 + (double)step, step, "h", "histograms");
	tb_pb_put_uint64(b, 1, 2); /* DT_DOUBLE */
	size_t shape = tb_pb_begin(b, 2);
	for (int d = 0; d < 2; d++) {
		size_t dim = tb_pb_begin(b, 2);
		tb_pb_put_int64(b, 1, d ? 3 : 2);
		tb_pb_end(b, dim);
	}
	tb_pb_end(b, shape);
	tb_pb_put_bytes(b, 4, rows, damaged ? 40 : sizeof rows);
	tb_pb_end(b, t);
	tb_pb_end(b, val);
	tb_pb_end(b, sum);
}

/* Deferred decoding keeps exactly what decoding every value keeps: the
 * same reservoir draws, the same points, the same tensors, every one
 * packed (the newest of a batch too, once a later batch kept it); a
 * damaged value still kept at the end of its batch is removed. */
static void deferred_same_points(int batch)
{
	enum { N = 300 };
	tb_store *st = tb_store_new();
	tb_store_set_capacity(st, "histograms", 20);
	tb_run *now = tb_store_add_run(st, "now"), *later = tb_store_add_run(st, "later");
	tb_pb_buf *b = calloc(N + 1, sizeof *b);
	tb_event *ev = calloc(N + 1, sizeof *ev);
	for (int i = 0; i <= N; i++) {
		tb_pb_buf_init(&b[i]);
		histo_event(&b[i], i, i == N);
		CHECK_INT(tb_event_decode(&ev[i], tb_slice_make(b[i].data, b[i].len)), 0);
	}
	tb_series *p1 = NULL, *p2 = NULL;
	tb_compat_defer d;
	memset(&d, 0, sizeof d);
	size_t removed = 0;
	tb_run_wrlock(now);
	tb_run_wrlock(later);
	for (int i = 0; i < N; i++) {
		tb_compat_add_event(st, now, &ev[i], &p1);
		CHECK_INT(tb_compat_add_event_deferred(st, later, &ev[i], &p2, &d), 1);
		if (i % batch == batch - 1)
			removed += tb_compat_settle(&d, 1);
	}
	removed += tb_compat_settle(&d, 0);
	CHECK_INT(removed, 0);
	tb_series *s1 = tb_run_series_w(now, "h", 1), *s2 = tb_run_series_w(later, "h", 1);
	CHECK(s1 && s2 && s1->len == 20 && s2->len == 20);
	tb_tensor_tmp tmp1 = {0}, tmp2 = {0};
	for (size_t i = 0; s1 && s2 && i < s1->len; i++) {
		CHECK(tb_series_step(s1, i) == tb_series_step(s2, i));
		const tb_tensor *t1 = tb_series_tensor(s1, i, &tmp1);
		const tb_tensor *t2 = tb_series_tensor(s2, i, &tmp2);
		CHECK(t2 == &tmp2.t); /* packed, the newest of each batch too */
		CHECK(t2->dtype == TB_DT_DOUBLE && t2->n == 6);
		CHECK(memcmp(t1->data, t2->data, 48) == 0);
	}
	tb_tensor_tmp_free(&tmp1);
	tb_tensor_tmp_free(&tmp2);
	/* the damaged last one was kept (the newest always is), then removed */
	CHECK_INT(tb_compat_add_event_deferred(st, later, &ev[N], &p2, &d), 1);
	CHECK_INT(tb_compat_settle(&d, 0), 1);
	CHECK(s2 && s2->len == 19 && tb_series_step(s2, 18) < N);
	tb_run_unlock(later);
	tb_run_unlock(now);
	tb_compat_defer_free(&d);
	for (int i = 0; i <= N; i++)
		tb_pb_buf_free(&b[i]);
	free(b);
	free(ev);
	tb_store_free(st);
}

static void test_compat__deferred_same_points(void)
{
	deferred_same_points(37);
	deferred_same_points(1); /* each point the newest of its batch */
}

int main(void)
{
	TB_RUN(test_compat__bad_scalar_dtype);
	TB_RUN(test_compat__empty_tag);
	TB_RUN(test_compat__deferred_same_points);
	return tb_test_finish();
}
