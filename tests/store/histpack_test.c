/* Tests for src/store/histpack.c: every histogram reads back bit for bit,
 * whichever packing applies, and a series hands stored histograms back
 * unchanged through tb_series_tensor. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../api/testutil.h"
#include "../harness.h"
#include "proto/event.h"
#include "proto/pb_encode.h"
#include "common/error.h"
#include "store/histpack.h"
#include "store/store_internal.h"

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A [k, 3] histogram of dtype; `how` picks its kind of edges and counts. */
static tb_tensor *histogram(int dtype, size_t k, unsigned how)
{
	double *v = malloc(3 * k * sizeof *v);
	double edge = (double)(int64_t)(next() % 2000) / 7 - 100;
	for (size_t i = 0; i < k; i++) {
		double w = how & 1 ? 0.25 : 0.1 + (double)(next() % 100) / 3;
		v[3 * i] = edge;
		v[3 * i + 1] = edge + w;
		edge = how & 2 ? edge + w + 1 : edge + w; /* 2: not joined */
		switch (how >> 2) {
		case 0:
			v[3 * i + 2] = (double)(next() % 200);
			break;
		case 1:
			v[3 * i + 2] = (double)(next() % 70000);
			break;
		case 2:
			v[3 * i + 2] = (double)(next() % 5000000000ull);
			break;
		case 3:
			v[3 * i + 2] = (double)(next() % 100) / 8;
			break;
		default:
			v[3 * i + 2] = i == k / 2 ? (how & 1 ? -0.0 : NAN) : 3;
		}
	}
	if (how & 1)
		v[0] = -INFINITY; /* still a float */
	int64_t dims[2] = {(int64_t)k, 3};
	tb_tensor *t;
	if (dtype == TB_DT_FLOAT) {
		float *f = malloc(3 * k * sizeof *f);
		for (size_t i = 0; i < 3 * k; i++)
			f[i] = (float)v[i];
		t = tb_tensor_new(dtype, 2, dims, f, NULL);
		free(f);
	} else {
		t = tb_tensor_new(dtype, 2, dims, v, NULL);
	}
	free(v);
	return t;
}

static int same(const tb_tensor *a, const tb_tensor *b)
{
	return a->dtype == b->dtype && a->rank == b->rank && a->dims[0] == b->dims[0] &&
	       a->dims[1] == b->dims[1] && a->n == b->n && a->elem_size == b->elem_size &&
	       a->data_len == b->data_len && memcmp(a->data, b->data, a->data_len) == 0;
}

static void test_histpack__reads_back_exactly(void)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	int packed = 0;
	for (int dtype = TB_DT_FLOAT; dtype <= TB_DT_DOUBLE; dtype++)
		for (unsigned how = 0; how < 20; how++)
			for (size_t k = 1; k < 70; k += 17) {
				tb_tensor *t = histogram(dtype, k, how);
				tb_histpack *p = tb_histpack_new(t);
				if (p) {
					packed++;
					tb_tensor u;
					tb_histpack_unpack(&u, &buf, &cap, p);
					CHECK(same(t, &u));
					CHECK_INT(tb_histpack_n(p), t->n);
				}
				free(p);
				free(t);
			}
	CHECK(packed > 100);
	free(buf);
}

static void test_histpack__packs_smaller(void)
{
	/* joined double edges, counts below 256: 31 edges + 30 bytes */
	tb_tensor *t = histogram(TB_DT_DOUBLE, 30, 0);
	tb_histpack *p = tb_histpack_new(t);
	CHECK(p != NULL);
	free(p);
	free(t);
	/* not a histogram: other shapes and dtypes stay as they are */
	int64_t dims[2] = {4, 2};
	double v[8] = {0};
	t = tb_tensor_new(TB_DT_DOUBLE, 2, dims, v, NULL);
	CHECK(tb_histpack_new(t) == NULL);
	free(t);
	int32_t iv[6] = {0};
	int64_t d3[2] = {2, 3};
	t = tb_tensor_new(TB_DT_INT32, 2, d3, iv, NULL);
	CHECK(tb_histpack_new(t) == NULL);
	free(t);
	int64_t d0[2] = {0, 3};
	t = tb_tensor_new(TB_DT_DOUBLE, 2, d0, NULL, NULL);
	CHECK(tb_histpack_new(t) == NULL);
	free(t);
}

/* Packing from edges and counts equals packing the tensor they make. */
static void test_histpack__joined_matches_tensor(void)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	for (unsigned how = 0; how < 20; how++) {
		if (how & 2)
			continue; /* not joined */
		for (size_t k = 1; k < 70; k += 17) {
			tb_tensor *t = histogram(TB_DT_DOUBLE, k, how);
			double *edges = malloc((k + 1) * sizeof *edges),
			       *counts = malloc(k * sizeof *counts);
			for (size_t i = 0; i < k; i++) {
				memcpy(&edges[i], t->data + 24 * i, 8);
				memcpy(&counts[i], t->data + 24 * i + 16, 8);
			}
			memcpy(&edges[k], t->data + 24 * (k - 1) + 8, 8);
			tb_histpack *a = tb_histpack_new(t),
				    *b = tb_histpack_joined(edges, counts, k);
			CHECK((a == NULL) == (b == NULL));
			if (b) {
				tb_tensor u;
				tb_histpack_unpack(&u, &buf, &cap, b);
				CHECK(same(t, &u));
			}
			free(a);
			free(b);
			free(edges);
			free(counts);
			free(t);
		}
	}
	free(buf);
}

static void test_histpack__series_returns_what_was_offered(void)
{
	tb_store *st = tb_store_new();
	tb_run *run = tb_store_add_run(st, "train");
	tb_series *s =
	    tb_run_add_series(run, "h", 1, "histograms", TB_DC_TENSOR, "", "", NULL, 0, 5);
	tb_tensor *kept[40];
	for (int i = 0; i < 40; i++) {
		kept[i] =
		    histogram(i % 2 ? TB_DT_FLOAT : TB_DT_DOUBLE, 1 + (size_t)i, (unsigned)i % 20);
		tb_tensor *copy =
		    tb_tensor_new(kept[i]->dtype, 2, kept[i]->dims, kept[i]->data, NULL);
		tb_series_add_tensor(s, i, i, copy);
	}
	CHECK_INT(s->len, 5);
	tb_tensor_tmp tmp = {0};
	for (size_t i = 0; i < s->len; i++) {
		int64_t step = tb_series_step(s, i);
		CHECK(same(tb_series_tensor(s, i, &tmp), kept[step]));
		CHECK_INT(tb_series_tensor_n(s, i), kept[step]->n);
	}
	tb_tensor_tmp_free(&tmp);
	for (int i = 0; i < 40; i++)
		free(kept[i]);
	tb_store_free(st);
}

/* t as a TensorProto: dtype, shape, and its values in tensor_content
 * (field 4) or, with typed, in double_val/float_val (fields 6 and 5). */
static void tensor_proto(tb_pb_buf *out, const tb_tensor *t, int typed)
{
	tb_test_tensor tt = {t->dtype, t->rank, t->dims, typed ? NULL : t->data, t->data_len,
			     NULL, NULL, 0};
	tb_test_put_tensor(out, &tt);
	if (typed)
		tb_pb_put_bytes(out, t->dtype == TB_DT_DOUBLE ? 6 : 5, t->data, t->data_len);
}

static void test_histpack__packs_a_view_of_the_message(void)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	for (unsigned how = 0; how < 20; how++) {
		for (size_t k = 1; k < 70; k += 17) {
			tb_tensor *t = histogram(how % 3 ? TB_DT_DOUBLE : TB_DT_FLOAT, k, how);
			tb_pb_buf pb = {0};
			tensor_proto(&pb, t, 0);
			tb_tensor v;
			CHECK_INT(tb_tensor_view(&v, tb_slice_make(pb.data, pb.len)), 0);
			CHECK(same(t, &v));
			tb_histpack *a = tb_histpack_new(t), *b = tb_histpack_new(&v);
			CHECK((a == NULL) == (b == NULL));
			if (a && b) {
				tb_tensor ua, ub;
				tb_histpack_unpack(&ua, &buf, &cap, a);
				CHECK(same(t, &ua));
				uint8_t *buf2 = NULL;
				size_t cap2 = 0;
				tb_histpack_unpack(&ub, &buf2, &cap2, b);
				CHECK(same(&ua, &ub));
				free(buf2);
			}
			free(a);
			free(b);
			tb_pb_buf_free(&pb);
			/* values in the typed field are decoded, never viewed */
			tensor_proto(&pb, t, 1);
			CHECK_INT(tb_tensor_view(&v, tb_slice_make(pb.data, pb.len)), TB_EINVAL);
			tb_pb_buf_free(&pb);
			free(t);
		}
	}
	free(buf);
}

int main(void)
{
	TB_RUN(test_histpack__reads_back_exactly);
	TB_RUN(test_histpack__packs_smaller);
	TB_RUN(test_histpack__joined_matches_tensor);
	TB_RUN(test_histpack__series_returns_what_was_offered);
	TB_RUN(test_histpack__packs_a_view_of_the_message);
	return tb_test_finish();
}
