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
#include "store/store.h"

/* Event{wall_time, step, summary{value{tag, metadata{plugin_data{
 * plugin_name "scalars"}}, tensor{dtype, string_val "x" | float_val 1}}}} */
static void scalar_tensor_event(tb_pb_buf *b, const char *tag, int dtype)
{
	tb_pb_put_double(b, 1, 1.7e9);
	tb_pb_put_int64(b, 2, 3);
	size_t sum = tb_pb_begin(b, 5);
	size_t val = tb_pb_begin(b, 1);
	tb_pb_put_string(b, 1, tag);
	size_t md = tb_pb_begin(b, 9);
	size_t pd = tb_pb_begin(b, 1);
	tb_pb_put_string(b, 1, "scalars");
	tb_pb_end(b, pd);
	tb_pb_end(b, md);
	size_t t = tb_pb_begin(b, 8);
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
	CHECK(tb_run_find_series(run, "bad", 3) == NULL);
	CHECK_INT(warnings, 1);

	/* a good one under the same tag afterwards is stored */
	tb_pb_buf b;
	tb_pb_buf_init(&b);
	scalar_tensor_event(&b, "bad", 1); /* DT_FLOAT */
	CHECK_INT(add(st, run, &b), 1);
	tb_pb_buf_free(&b);
	tb_series *s = tb_run_find_series(run, "bad", 3);
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
	CHECK(tb_run_find_series(run, "", 0) != NULL);
	tb_pb_buf_free(&b);
	tb_store_free(st);
}

int main(void)
{
	TB_RUN(test_compat__bad_scalar_dtype);
	TB_RUN(test_compat__empty_tag);
	return tb_test_finish();
}
