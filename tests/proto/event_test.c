/* Tests for src/proto/: decoding the worked examples of spec FORMAT.md 3
 * and 15, tensor layouts of FORMAT.md 7.4, and malformed input. */
#include <math.h>
#include <stdlib.h>

#include "../harness.h"
#include "common/error.h"
#include "proto/event.h"
#include "proto/tensor.h"

#define S(lit) tb_slice_make(lit, sizeof(lit) - 1)

static void test_event__legacy_scalar(void)
{
	/* FORMAT.md 3.6 payload */
	static const uint8_t p[] = {0x09, 0,	0,    0x60, 0x40, 0xfc, 0x54, 0xd9, 0x41,
				    0x10, 0x01, 0x2a, 0x0d, 0x0a, 0x0b, 0x0a, 0x04, 'l',
				    'o',  's',	's',  0x15, 0,	  0,	0x80, 0x3e};
	tb_event ev;
	CHECK_INT(tb_event_decode(&ev, tb_slice_make(p, sizeof p)), 0);
	CHECK(ev.wall_time == 1700000001.5);
	CHECK_INT(ev.step, 1);
	CHECK_INT(ev.what, TB_EV_SUMMARY);
	tb_pb it = tb_pb_make(ev.data);
	tb_value v;
	CHECK_INT(tb_summary_next(&v, &it), 1);
	CHECK(tb_slice_eq_str(v.tag, "loss"));
	CHECK_INT(v.kind, TB_VAL_SIMPLE);
	CHECK(v.simple == 0.25f);
	CHECK_INT(tb_summary_next(&v, &it), 0);
}

static void test_event__tf2_scalar_real_record(void)
{
	/* FORMAT.md 15: tf.summary.scalar("accuracy", 0.99, step=77) */
	static const uint8_t p[] = {0x09, 0xc4, 0x05, 0xb7, 0x3d, 0x99, 0xd6, 0xd7, 0x41, 0x10,
				    0x4d, 0x2a, 0x25, 0x0a, 0x23, 0x0a, 0x08, 'a',  'c',  'c',
				    'u',  'r',	'a',  'c',  'y',  0x42, 0x0a, 0x08, 0x01, 0x12,
				    0x00, 0x22, 0x04, 0xa4, 0x70, 0x7d, 0x3f, 0x4a, 0x0b, 0x0a,
				    0x09, 0x0a, 0x07, 's',  'c',  'a',	'l',  'a',  'r',  's'};
	tb_event ev;
	CHECK_INT(tb_event_decode(&ev, tb_slice_make(p, sizeof p)), 0);
	CHECK_INT(ev.step, 77);
	CHECK(fabs(ev.wall_time - 1599759606.859727) < 1e-6);
	tb_pb it = tb_pb_make(ev.data);
	tb_value v;
	CHECK_INT(tb_summary_next(&v, &it), 1);
	CHECK_INT(v.kind, TB_VAL_TENSOR);
	CHECK(v.has_metadata);
	tb_metadata md;
	CHECK_INT(tb_metadata_decode(&md, v.metadata), 0);
	CHECK(tb_slice_eq_str(md.plugin_name, "scalars"));
	double x;
	CHECK_INT(tb_tensor_scalar(&x, v.data), 0);
	CHECK(x == (double)0.99f);
	tb_tensor *t;
	CHECK_INT(tb_tensor_decode(&t, v.data), 0);
	CHECK_INT(t->rank, 0);
	CHECK_INT(t->n, 1);
	CHECK(tb_tensor_double(t, 0) == (double)0.99f);
	free(t);
}

static void test_tensor__layouts(void)
{
	tb_tensor *t;
	double x;
	/* DT_DOUBLE in double_val (PyTorch new_style double precision) */
	CHECK_INT(tb_tensor_scalar(&x, S("\x08\x02\x31\x00\x00\x00\x00\x00\x00\xf8\x3f")), 0);
	CHECK(x == 1.5);
	/* DT_INT64 rank 0 */
	CHECK_INT(tb_tensor_scalar(&x, S("\x08\x09\x50\x07")), 0);
	CHECK(x == 7.0);
	/* float_val packed, shape [2,3] */
	static const uint8_t packed[] = {0x08, 0x01, 0x12, 0x08, 0x12, 0x02, 0x08, 0x02, 0x12, 0x02,
					 0x08, 0x03, 0x2a, 0x18, 0,    0,    0x80, 0x3f, 0,    0,
					 0,    0x40, 0,	   0,	 0x40, 0x40, 0,	   0,	 0x80, 0x40,
					 0,    0,    0xa0, 0x40, 0,    0,    0xc0, 0x40};
	CHECK_INT(tb_tensor_decode(&t, tb_slice_make(packed, sizeof packed)), 0);
	CHECK_INT(t->rank, 2);
	CHECK_INT(t->dims[0], 2);
	CHECK_INT(t->dims[1], 3);
	CHECK(tb_tensor_double(t, 5) == 6.0);
	free(t);
	/* one value broadcast over [4] (version 0 rule), unpacked */
	CHECK_INT(tb_tensor_decode(&t, S("\x08\x01\x12\x04\x12\x02\x08\x04\x2d\x00\x00\x00\x40")),
		  0);
	CHECK_INT(t->n, 4);
	CHECK(tb_tensor_double(t, 3) == 2.0);
	free(t);
	/* strings [2] */
	CHECK_INT(tb_tensor_decode(&t, S("\x08\x07\x12\x04\x12\x02\x08\x02\x42\x02hi\x42\x03you")),
		  0);
	CHECK_INT(t->n, 2);
	CHECK(tb_slice_eq_str(tb_tensor_str(t, 1), "you"));
	free(t);
	/* int_val narrowed to DT_UINT8 */
	CHECK_INT(tb_tensor_decode(&t, S("\x08\x04\x12\x04\x12\x02\x08\x02\x3a\x03\xff\x01\x05")),
		  0);
	CHECK(tb_tensor_double(t, 0) == 255.0 && tb_tensor_double(t, 1) == 5.0);
	free(t);
	/* half */
	CHECK_INT(tb_tensor_scalar(&x, S("\x08\x13\x6a\x03\x80\xf0\x01")), 0);
	CHECK(x == 32768.0);
}

static void test_tensor__malformed(void)
{
	tb_tensor *t;
	double x;
	/* count does not match the shape */
	CHECK_INT(
	    tb_tensor_decode(&t, S("\x08\x01\x12\x04\x12\x02\x08\x03\x2a\x08\0\0\0\0\0\0\0\0")),
	    TB_ECORRUPT);
	/* tensor_content of the wrong size */
	CHECK_INT(tb_tensor_decode(&t, S("\x08\x01\x22\x03\0\0\0")), TB_ECORRUPT);
	/* no values at all for a rank-0 number */
	CHECK_INT(tb_tensor_scalar(&x, S("\x08\x01")), TB_ECORRUPT);
	/* a string is not a scalar */
	CHECK_INT(tb_tensor_scalar(&x, S("\x08\x07\x42\x01x")), TB_ECORRUPT);
	/* broadcast to a billion elements is refused */
	CHECK_INT(tb_tensor_decode(&t, S("\x08\x02\x12\x06\x12\x04\x08\x80\x94\xeb\xdc\x03"
					 "\x31\0\0\0\0\0\0\0\0")),
		  TB_ECORRUPT);
	/* negative dimension, truncated varint, length past the end */
	CHECK_INT(tb_tensor_decode(&t, S("\x08\x01\x12\x0b\x12\x09\x08\xff\xff\xff\xff\xff\xff\xff"
					 "\xff\x01")),
		  TB_ECORRUPT);
	tb_event ev;
	CHECK_INT(tb_event_decode(&ev, S("\x10\xff")), TB_ECORRUPT);
	CHECK_INT(tb_event_decode(&ev, S("\x2a\x05\x0a")), TB_ECORRUPT);
	CHECK_INT(tb_event_decode(&ev, S("\x0b")), TB_ECORRUPT); /* a group */
}

static void test_histo__packed_and_unpacked(void)
{
	/* min=1 (field 1), bucket_limit packed [2,3], bucket unpacked 4, 5 */
	static const uint8_t p[] = {
	    0x09, 0, 0, 0,    0,    0,	  0,	0xf0, 0x3f, 0x32, 0x10, 0,    0,    0,	  0,
	    0,	  0, 0, 0x40, 0,    0,	  0,	0,    0,    0,	  0x08, 0x40, 0x39, 0,	  0,
	    0,	  0, 0, 0,    0x10, 0x40, 0x39, 0,    0,    0,	  0,	0,    0,    0x14, 0x40};
	tb_histo h;
	CHECK_INT(tb_histo_decode(&h, tb_slice_make(p, sizeof p)), 0);
	CHECK(h.min == 1.0);
	CHECK_INT(h.n_limits, 2);
	CHECK_INT(h.n_counts, 2);
	CHECK(h.limits[1] == 3.0 && h.counts[1] == 5.0);
	tb_histo_release(&h);
}

int main(void)
{
	TB_RUN(test_event__legacy_scalar);
	TB_RUN(test_event__tf2_scalar_real_record);
	TB_RUN(test_tensor__layouts);
	TB_RUN(test_tensor__malformed);
	TB_RUN(test_histo__packed_and_unpacked);
	return tb_test_finish();
}
