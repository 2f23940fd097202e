/* Tests for src/proto/textformat.c: decoding semantics, the printed layout
 * of spec HTTP_API.md 8.6, serialised sizes and tree editing. */
#include <math.h>
#include <stdlib.h>

#include "../harness.h"
#include "common/error.h"
#include "proto/pb_encode.h"
#include "graph.pb-c.h"
#include "proto/textformat.h"

static tb_slice sl(const tb_pb_buf *b)
{
	return tb_slice_make(b->data ? (const void *)b->data : "", b->len);
}

/* Print `in` as `type`; returns a malloc'd string, or NULL on error. */
static char *text(const tb_pbt_msg *type, tb_slice in)
{
	tb_buf out = TB_BUF_INIT;
	if (tb_textformat(&out, type, in)) {
		tb_buf_free(&out);
		return NULL;
	}
	return tb_buf_detach(&out);
}

#define CHECK_TEXT(type, b, want)                                                                  \
	do {                                                                                       \
		char *got__ = text(type, sl(b));                                                   \
		CHECK_STR(got__, want);                                                            \
		free(got__);                                                                       \
	} while (0)

/* An AttrValue field holding a message built by fn. */
static void attr_entry(tb_pb_buf *b, uint32_t field, const char *key, tb_pb_buf *value)
{
	size_t e = tb_pb_begin(b, field);
	tb_pb_put_string(b, 1, key);
	tb_pb_put_bytes(b, 2, value->data, value->len);
	tb_pb_end(b, e);
}

static void test_textformat__spec_example(void)
{
	tb_pb_buf dtype = {0}, value = {0}, g = {0};
	tb_pb_put_int64(&dtype, 6, 1);
	size_t t = tb_pb_begin(&value, 8);
	tb_pb_put_int64(&value, 1, 1);
	tb_pb_put_bytes(&value, 2, "", 0);
	float pi = 3.14159265f;
	tb_pb_put_packed_float(&value, 5, &pi, 1);
	tb_pb_end(&value, t);
	/* versions first on the wire: printing orders fields by number */
	size_t v = tb_pb_begin(&g, 4);
	tb_pb_put_int64(&g, 1, 27);
	tb_pb_end(&g, v);
	size_t n = tb_pb_begin(&g, 1);
	tb_pb_put_string(&g, 1, "k1");
	tb_pb_put_string(&g, 2, "Const");
	attr_entry(&g, 5, "value", &value); /* out of key order */
	attr_entry(&g, 5, "dtype", &dtype);
	tb_pb_end(&g, n);
	CHECK_TEXT(tb_pbt_schema(&tensorflow__graph_def__descriptor), &g,
		   "node {\n  name: \"k1\"\n  op: \"Const\"\n  attr {\n    key: \"dtype\"\n"
		   "    value {\n      type: DT_FLOAT\n    }\n  }\n  attr {\n    key: \"value\"\n"
		   "    value {\n      tensor {\n        dtype: DT_FLOAT\n        tensor_shape {\n"
		   "        }\n        float_val: 3.1415927\n      }\n    }\n  }\n}\n"
		   "versions {\n  producer: 27\n}\n");
	tb_pb_buf_free(&dtype);
	tb_pb_buf_free(&value);
	tb_pb_buf_free(&g);
}

static void test_textformat__escapes(void)
{
	tb_pb_buf b = {0};
	tb_pb_put_bytes(&b, 1, "a\n\r\t\"'\\\x01\x7f\xc3\xa9 z", 13);
	CHECK_TEXT(tb_pbt_schema(&tensorflow__node_def__descriptor), &b, "name: \"a\\n\\r\\t\\\"\\'\\\\\\001\\177\\303\\251 z\"\n");
	tb_pb_buf_free(&b);
}

/* b, one field of a message of type d, must print as "<name>: <want>";
 * frees b. */
static void check_field(tb_pb_buf *b, const ProtobufCMessageDescriptor *d, const char *name,
			const char *want)
{
	char expect[64];
	snprintf(expect, sizeof expect, "%s: %s\n", name, want);
	CHECK_TEXT(tb_pbt_schema(d), b, expect);
	tb_pb_buf_free(b);
}

static void check_float(float f, const char *want)
{
	tb_pb_buf b = {0};
	tb_pb_put_float(&b, 4, f);
	check_field(&b, &tensorflow__attr_value__descriptor, "f", want);
}

static void check_double(double d, const char *want)
{
	tb_pb_buf b = {0};
	tb_pb_put_double(&b, 6, d);
	check_field(&b, &tensorflow__tensor_proto__descriptor, "double_val", want);
}

static void test_textformat__numbers(void)
{
	check_float(1.0f, "1.0");
	check_float(0.1f, "0.1");
	check_float(1e8f, "100000000.0");
	check_float(1e-5f, "1e-05");
	check_float(3.4028235e38f, "3.4028235e+38");
	check_float(0.0f, "0.0"); /* a oneof member is printed even when zero */
	check_float(-0.0f, "-0.0");
	check_float(INFINITY, "inf");
	check_float(-INFINITY, "-inf");
	check_float(NAN, "nan");
	check_double(0.1, "0.1");
	check_double(1.0 / 3, "0.3333333333333333");
	check_double(1e16, "1e+16");
	check_double(123456789012345.0, "123456789012345.0");
	check_double(0.0001, "0.0001");
	check_double(-INFINITY, "-inf");

	tb_pb_buf b = {0};
	tb_pb_put_int64(&b, 3, -1);	      /* int32 version_number, sign-extended */
	tb_pb_put_int64(&b, 1, 77);	      /* an enum value without a name */
	tb_pb_put_uint64(&b, 17, UINT64_MAX); /* unpacked uint64_val */
	CHECK_TEXT(tb_pbt_schema(&tensorflow__tensor_proto__descriptor), &b,
		   "dtype: 77\nversion_number: -1\nuint64_val: 18446744073709551615\n");
	tb_pb_buf_free(&b);
}

static void test_textformat__proto3_defaults_and_oneofs(void)
{
	tb_pb_buf b = {0};
	tb_pb_put_string(&b, 1, ""); /* name: default, omitted */
	tb_pb_put_string(&b, 3, ""); /* a repeated empty string is kept */
	CHECK_TEXT(tb_pbt_schema(&tensorflow__node_def__descriptor), &b, "input: \"\"\n");
	tb_pb_buf_truncate(&b, 0);
	tb_pb_put_bytes(&b, 2, "", 0); /* s: "" is a set oneof member */
	CHECK_TEXT(tb_pbt_schema(&tensorflow__attr_value__descriptor), &b, "s: \"\"\n");
	tb_pb_buf_truncate(&b, 0);
	tb_pb_put_bytes(&b, 2, "x", 1);
	tb_pb_put_int64(&b, 3, 5); /* i replaces s */
	CHECK_TEXT(tb_pbt_schema(&tensorflow__attr_value__descriptor), &b, "i: 5\n");
	tb_pb_buf_free(&b);
}

static void test_textformat__merge_semantics(void)
{
	/* singular messages merge, repeated fields append */
	tb_pb_buf b = {0}, g = {0};
	size_t v = tb_pb_begin(&g, 4);
	tb_pb_put_int64(&g, 1, 1);
	tb_pb_put_int64(&g, 3, 7);
	tb_pb_end(&g, v);
	v = tb_pb_begin(&g, 4);
	tb_pb_put_int64(&g, 2, 9);
	int64_t bad[2] = {8, 10};
	tb_pb_put_packed_int64(&g, 3, bad, 2); /* packed after unpacked */
	tb_pb_end(&g, v);
	CHECK_TEXT(tb_pbt_schema(&tensorflow__graph_def__descriptor), &g,
		   "versions {\n  producer: 1\n  min_consumer: 9\n  bad_consumers: 7\n"
		   "  bad_consumers: 8\n  bad_consumers: 10\n}\n");
	tb_pb_buf_truncate(&b, 0);
	tb_pb_put_string(&b, 1, "first");
	tb_pb_put_string(&b, 1, "second");
	CHECK_TEXT(tb_pbt_schema(&tensorflow__node_def__descriptor), &b, "name: \"second\"\n");
	tb_pb_buf_free(&b);
	tb_pb_buf_free(&g);
}

static void test_textformat__maps(void)
{
	tb_pb_buf one = {0}, two = {0}, b = {0};
	tb_pb_put_int64(&one, 3, 1);
	tb_pb_put_int64(&two, 3, 2);
	attr_entry(&b, 5, "b", &one);
	attr_entry(&b, 5, "a", &one);
	attr_entry(&b, 5, "b", &two); /* a repeated key: the last one wins */
	CHECK_TEXT(tb_pbt_schema(&tensorflow__node_def__descriptor), &b,
		   "attr {\n  key: \"a\"\n  value {\n    i: 1\n  }\n}\n"
		   "attr {\n  key: \"b\"\n  value {\n    i: 2\n  }\n}\n");
	/* uint32 keys sort numerically */
	tb_pb_buf s = {0};
	size_t d = tb_pb_begin(&s, 1);
	size_t dev = tb_pb_begin(&s, 1);
	tb_pb_put_string(&s, 1, "/cpu:0");
	size_t e = tb_pb_begin(&s, 3);
	tb_pb_put_uint64(&s, 1, 10);
	tb_pb_put_string(&s, 2, "ten");
	tb_pb_end(&s, e);
	e = tb_pb_begin(&s, 3);
	tb_pb_put_uint64(&s, 1, 9);
	tb_pb_put_string(&s, 2, "nine");
	tb_pb_end(&s, e);
	tb_pb_end(&s, dev);
	tb_pb_end(&s, d);
	CHECK_TEXT(tb_pbt_schema(&tensorflow__run_metadata__descriptor), &s,
		   "step_stats {\n  dev_stats {\n    device: \"/cpu:0\"\n"
		   "    thread_names {\n      key: 9\n      value: \"nine\"\n    }\n"
		   "    thread_names {\n      key: 10\n      value: \"ten\"\n    }\n  }\n}\n");
	tb_pb_buf_free(&one);
	tb_pb_buf_free(&two);
	tb_pb_buf_free(&b);
	tb_pb_buf_free(&s);
}

static void test_textformat__unknown_fields(void)
{
	tb_pb_buf b = {0};
	tb_pb_put_string(&b, 1, "n");
	tb_pb_put_uint64(&b, 99, 5);	  /* unknown number */
	tb_pb_put_uint64(&b, 2, 5);	  /* op is a string: wrong wire type */
	tb_pb_put_string(&b, 12345, "x"); /* unknown LEN */
	CHECK_TEXT(tb_pbt_schema(&tensorflow__node_def__descriptor), &b, "name: \"n\"\n");
	tb_pbt_arena *a = tb_pbt_arena_new();
	tb_pbm *m;
	CHECK_INT(tb_pbm_parse(&m, a, tb_pbt_schema(&tensorflow__node_def__descriptor), sl(&b)), 0);
	CHECK_INT(tb_pbm_size(m), b.len); /* unknown fields count in the size */
	tb_pbt_arena_free(a);
	tb_pb_buf_free(&b);
}

static void test_textformat__size_is_canonical(void)
{
	tb_pb_buf b = {0};
	size_t l = tb_pb_begin(&b, 1);
	size_t sh = tb_pb_begin(&b, 7);
	for (int i = 0; i < 3; i++) {
		size_t dm = tb_pb_begin(&b, 2);
		tb_pb_put_int64(&b, 1, i == 0 ? -1 : 300);
		tb_pb_end(&b, dm);
	}
	tb_pb_end(&b, sh);
	int64_t is[3] = {1, -2, 1 << 20};
	tb_pb_put_packed_int64(&b, 3, is, 3);
	tb_pb_put_bytes(&b, 2, "abc", 3);
	tb_pb_end(&b, l);
	tb_pbt_arena *a = tb_pbt_arena_new();
	tb_pbm *m;
	CHECK_INT(tb_pbm_parse(&m, a, tb_pbt_schema(&tensorflow__attr_value__descriptor), sl(&b)), 0);
	CHECK_INT(tb_pbm_size(m), b.len);
	/* unpacked input is measured packed */
	tb_pb_buf u = {0};
	size_t l2 = tb_pb_begin(&u, 1);
	tb_pb_put_int64(&u, 3, 1);
	tb_pb_put_int64(&u, 3, 2);
	tb_pb_end(&u, l2);
	CHECK_INT(tb_pbm_parse(&m, a, tb_pbt_schema(&tensorflow__attr_value__descriptor), sl(&u)), 0);
	CHECK_INT(tb_pbm_size(m), 6); /* 0a 04 1a 02 01 02 */
	tb_pbt_arena_free(a);
	tb_pb_buf_free(&b);
	tb_pb_buf_free(&u);
}

static void test_textformat__corrupt(void)
{
	tb_pb_buf b = {0};
	tb_pb_put_string(&b, 1, "abc");
	CHECK(text(tb_pbt_schema(&tensorflow__node_def__descriptor), tb_slice_make(b.data, b.len - 1)) == NULL);
	tb_pb_buf_truncate(&b, 0);
	tb_pb_put_bytes(&b, 1, "\xff\xfe", 2); /* a proto3 string must be UTF-8 */
	CHECK(text(tb_pbt_schema(&tensorflow__node_def__descriptor), sl(&b)) == NULL);
	tb_pb_buf_truncate(&b, 0);
	tb_pb_put_bytes(&b, 2, "\xff\xfe", 2); /* bytes need not be */
	CHECK_TEXT(tb_pbt_schema(&tensorflow__attr_value__descriptor), &b, "s: \"\\377\\376\"\n");
	CHECK(text(tb_pbt_schema(&tensorflow__graph_def__descriptor), tb_slice_make("\x0b\x00", 2)) == NULL); /* group */
	CHECK(text(tb_pbt_schema(&tensorflow__graph_def__descriptor), tb_slice_make("\x0a\x05\x0a", 3)) == NULL);
	tb_pb_buf_free(&b);
}

/* FullTypeDef.args nests to any depth: depth d of FullTypeDef inside NodeDef. */
static void nested(tb_pb_buf *b, int d)
{
	size_t t = tb_pb_begin(b, 7);
	size_t marks[256];
	for (int i = 0; i < d; i++)
		marks[i] = tb_pb_begin(b, 2);
	tb_pb_put_int64(b, 1, 1000);
	for (int i = d; i-- > 0;)
		tb_pb_end(b, marks[i]);
	tb_pb_end(b, t);
}

static void test_textformat__depth_limit(void)
{
	tb_pb_buf b = {0};
	nested(&b, 90);
	char *s = text(tb_pbt_schema(&tensorflow__node_def__descriptor), sl(&b));
	CHECK(s != NULL && strstr(s, "type_id: TFT_TENSOR") != NULL);
	free(s);
	tb_pb_buf_truncate(&b, 0);
	nested(&b, 200);
	CHECK(text(tb_pbt_schema(&tensorflow__node_def__descriptor), sl(&b)) == NULL);
	tb_pb_buf_free(&b);
}

static void test_textformat__editing(void)
{
	tb_pbt_arena *a = tb_pbt_arena_new();
	tb_pbm *n = tb_pbm_new(a, tb_pbt_schema(&tensorflow__node_def__descriptor));
	tb_pbm_set_str(a, n, 1, tb_slice_make("x", 1));
	tb_pbm *v = tb_pbm_map_value(a, n, 5, tb_slice_make("s", 1));
	tb_pbm_set_str(a, v, 2, tb_slice_make("hi", 2));
	v = tb_pbm_map_value(a, n, 5, tb_slice_make("big", 3));
	tb_pbm_add_str(a, tb_pbm_mutable(a, v, 1), 2, tb_slice_make("k", 1));
	tb_pbm *c = tb_pbm_copy(a, n);
	tb_pbm_map_delete(n, 5, tb_slice_make("s", 1));
	tb_buf out = TB_BUF_INIT;
	tb_pbm_print(&out, n);
	CHECK_STR(out.ptr, "name: \"x\"\nattr {\n  key: \"big\"\n  value {\n    list {\n"
			   "      s: \"k\"\n    }\n  }\n}\n");
	tb_buf_clear(&out);
	tb_pbm_print(&out, c); /* the copy is independent */
	CHECK(strstr(out.ptr, "s: \"hi\"") != NULL);
	tb_slice *keys;
	CHECK_INT(tb_pbm_map_keys(&keys, a, c, 5), 2);
	CHECK(tb_slice_eq_str(keys[0], "big") && tb_slice_eq_str(keys[1], "s"));
	tb_buf_free(&out);
	tb_pbt_arena_free(a);
}

int main(void)
{
	TB_RUN(test_textformat__spec_example);
	TB_RUN(test_textformat__escapes);
	TB_RUN(test_textformat__numbers);
	TB_RUN(test_textformat__proto3_defaults_and_oneofs);
	TB_RUN(test_textformat__merge_semantics);
	TB_RUN(test_textformat__maps);
	TB_RUN(test_textformat__unknown_fields);
	TB_RUN(test_textformat__size_is_canonical);
	TB_RUN(test_textformat__corrupt);
	TB_RUN(test_textformat__depth_limit);
	TB_RUN(test_textformat__editing);
	return tb_test_finish();
}
