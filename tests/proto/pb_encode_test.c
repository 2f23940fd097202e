/* Tests for src/proto/pb_encode.c: wire bytes of spec FORMAT.md 2 and 15. */
#include "../harness.h"
#include "proto/pb_encode.h"

static int bytes_eq(const tb_pb_buf *b, const char *hex_bytes, size_t n)
{
	return b->err == 0 && b->len == n && memcmp(b->data, hex_bytes, n) == 0;
}

static void test_pb_encode__varints(void)
{
	tb_pb_buf b;
	tb_pb_buf_init(&b);
	tb_pb_put_varint(&b, 0);
	tb_pb_put_varint(&b, 1);
	tb_pb_put_varint(&b, 127);
	tb_pb_put_varint(&b, 128);
	tb_pb_put_varint(&b, 300);
	CHECK(bytes_eq(&b, "\x00\x01\x7f\x80\x01\xac\x02", 7));
	CHECK_INT(tb_pb_varint_size(0), 1);
	CHECK_INT(tb_pb_varint_size(127), 1);
	CHECK_INT(tb_pb_varint_size(128), 2);
	CHECK_INT(tb_pb_varint_size(UINT64_MAX), 10);
	tb_pb_buf_free(&b);
}

static void test_pb_encode__negative_int64_is_ten_bytes(void)
{
	tb_pb_buf b = {0};
	CHECK_INT(tb_pb_put_int64(&b, 2, -1), 0);
	CHECK(bytes_eq(&b, "\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11));
	tb_pb_buf_truncate(&b, 0);
	tb_pb_put_int64(&b, 2, INT64_MIN);
	CHECK(bytes_eq(&b, "\x10\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11));
	tb_pb_buf_free(&b);
}

static void test_pb_encode__fixed_and_bytes(void)
{
	tb_pb_buf b = {0};
	tb_pb_put_double(&b, 1, 1700000000.0);
	tb_pb_put_string(&b, 3, "brain.Event:2");
	tb_pb_put_float(&b, 2, 0.25f);
	tb_pb_put_bool(&b, 4, 7);
	CHECK(bytes_eq(&b,
		       "\x09\x00\x00\x00\x40\xfc\x54\xd9\x41"
		       "\x1a\x0d"
		       "brain.Event:2"
		       "\x15\x00\x00\x80\x3e"
		       "\x20\x01",
		       9 + 15 + 5 + 2));
	tb_pb_buf_free(&b);
}

static void test_pb_encode__null_tensor_nested(void)
{
	/* TensorProto{dtype DT_FLOAT, tensor_shape{dim{}}}: spec 15. */
	tb_pb_buf b = {0};
	size_t shape, dim;
	tb_pb_put_uint64(&b, 1, 1);
	shape = tb_pb_begin(&b, 2);
	dim = tb_pb_begin(&b, 2);
	tb_pb_end(&b, dim);
	CHECK_INT(tb_pb_end(&b, shape), 0);
	CHECK(bytes_eq(&b, "\x08\x01\x12\x02\x12\x00", 6));
	tb_pb_buf_free(&b);
}

static void test_pb_encode__long_nested_body_widens_length(void)
{
	tb_pb_buf b = {0};
	char body[300];
	size_t outer, inner;
	memset(body, 'x', sizeof body);
	outer = tb_pb_begin(&b, 5);
	inner = tb_pb_begin(&b, 1);
	tb_pb_put_raw(&b, body, sizeof body);
	tb_pb_end(&b, inner);
	CHECK_INT(tb_pb_end(&b, outer), 0);
	/* inner: 0a ac 02 + 300 bytes = 303; outer: 2a af 02 + 303. */
	CHECK_INT(b.len, 3 + 3 + 300);
	CHECK(memcmp(b.data, "\x2a\xaf\x02\x0a\xac\x02xxxx", 10) == 0);
	CHECK(b.data[b.len - 1] == 'x');
	tb_pb_buf_free(&b);
}

static void test_pb_encode__packed(void)
{
	tb_pb_buf b = {0};
	double d[2] = {1.0, -2.0};
	float f[1] = {0.25f};
	int64_t i[3] = {1, 300, -1};
	tb_pb_put_packed_double(&b, 6, d, 2);
	tb_pb_put_packed_float(&b, 5, f, 1);
	tb_pb_put_packed_int64(&b, 10, i, 3);
	tb_pb_put_packed_double(&b, 7, d, 0); /* empty: nothing */
	CHECK(bytes_eq(&b,
		       "\x32\x10\x00\x00\x00\x00\x00\x00\xf0\x3f\x00\x00\x00\x00\x00\x00\x00\xc0"
		       "\x2a\x04\x00\x00\x80\x3e"
		       "\x52\x0d\x01\xac\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
		       18 + 6 + 15));
	tb_pb_buf_free(&b);
}

static void test_pb_encode__sticky_error_and_truncate(void)
{
	tb_pb_buf b = {0};
	tb_pb_put_raw(&b, "ab", 2);
	b.err = TB_ENOMEM; /* as after a failed realloc */
	CHECK_INT(tb_pb_put_raw(&b, "cd", 2), TB_ENOMEM);
	CHECK_INT(tb_pb_end(&b, tb_pb_begin(&b, 1)), TB_ENOMEM);
	CHECK_INT(b.len, 2);
	tb_pb_buf_truncate(&b, 1);
	CHECK_INT(b.err, 0);
	CHECK_INT(tb_pb_put_raw(&b, "z", 1), 0);
	CHECK(bytes_eq(&b, "az", 2));
	CHECK_INT(tb_pb_buf_reserve(&b, SIZE_MAX), TB_ENOMEM);
	tb_pb_buf_free(&b);
	tb_pb_buf_free(NULL);
}

int main(void)
{
	TB_RUN(test_pb_encode__varints);
	TB_RUN(test_pb_encode__negative_int64_is_ten_bytes);
	TB_RUN(test_pb_encode__fixed_and_bytes);
	TB_RUN(test_pb_encode__null_tensor_nested);
	TB_RUN(test_pb_encode__long_nested_body_widens_length);
	TB_RUN(test_pb_encode__packed);
	TB_RUN(test_pb_encode__sticky_error_and_truncate);
	return tb_test_finish();
}
