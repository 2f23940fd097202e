/* decode_bench: the loader's hot path, decoding a scalar Event down to its
 * tag and value, with tboard's zero-copy decoder and with protobuf-c's
 * generated decoder, on the same records in the same run.
 *
 *     decode_bench [events=2000000]
 *
 * The records are legacy simple_value scalars and TF2 tensor scalars with
 * plugin metadata, built with libtboard's encoder (20 tags, fixed seed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_event.pb-c.h"
#include "proto/event.h"
#include "proto/event_encode.h"
#include "proto/tensor.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct rec {
	uint8_t *p;
	size_t n;
} rec;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? (size_t)atol(argv[1]) : 2000000;
	rec *recs = calloc(n, sizeof *recs);
	char tag[32];
	for (size_t i = 0; i < n; i++) {
		snprintf(tag, sizeof tag, "g%zu/scalar_%02zu", i % 4, i % 20);
		tb_pb_buf b;
		tb_pb_buf_init(&b);
		int tensor = (i / 20) % 2; /* half legacy, half TF2 form */
		unsigned flags = tensor ? TB_EVENT_METADATA : TB_EVENT_SIMPLE_VALUE;
		if (tb_event_encode_scalar(&b, 1700000000.0 + (double)i * 0.25, (int64_t)(i / 20),
					   tag, strlen(tag), (float)((double)i * 0.001), flags))
			return 1;
		recs[i].p = b.data;
		recs[i].n = b.len;
	}
	double ours[5], theirs[5], sum1 = 0, sum2 = 0;
	for (int round = 0; round < 5; round++) {
		double t0 = now();
		for (size_t i = 0; i < n; i++) {
			tb_event ev;
			if (tb_event_decode(&ev, tb_slice_make(recs[i].p, recs[i].n)))
				return 1;
			tb_pb it = tb_pb_make(ev.data);
			tb_value v;
			while (tb_summary_next(&v, &it) == 1) {
				double x = v.simple;
				if (v.kind == TB_VAL_TENSOR)
					tb_tensor_scalar(&x, v.data);
				sum1 += x + (double)v.tag.len;
			}
		}
		ours[round] = now() - t0;
		t0 = now();
		for (size_t i = 0; i < n; i++) {
			Tbbench__Event *ev = tbbench__event__unpack(NULL, recs[i].n, recs[i].p);
			if (!ev)
				return 1;
			if (ev->what_case == TBBENCH__EVENT__WHAT_SUMMARY)
				for (size_t k = 0; k < ev->summary->n_value; k++) {
					Tbbench__Value *v = ev->summary->value[k];
					double x = v->simple_value;
					if (v->value_case == TBBENCH__VALUE__VALUE_TENSOR) {
						Tbbench__TensorProto *t = v->tensor;
						if (t->n_float_val)
							x = t->float_val[0];
						else if (t->tensor_content.len == 4) {
							float f;
							memcpy(&f, t->tensor_content.data, 4);
							x = f;
						}
					}
					sum2 += x + (double)strlen(v->tag);
				}
			tbbench__event__free_unpacked(ev, NULL);
		}
		theirs[round] = now() - t0;
	}
	qsort(ours, 5, sizeof(double), cmp_double);
	qsort(theirs, 5, sizeof(double), cmp_double);
	printf("decode %zu scalar events (median of 5): tboard %.1f ns/event, protobuf-c %.1f "
	       "ns/event, protobuf-c/tboard = %.2fx%s\n",
	       n, ours[2] / (double)n * 1e9, theirs[2] / (double)n * 1e9, theirs[2] / ours[2],
	       sum1 == sum2 ? "" : " (results differ!)");
	for (size_t i = 0; i < n; i++)
		free(recs[i].p);
	free(recs);
	return sum1 == sum2 ? 0 : 1;
}
