/* Export tables (src/export/table.c): CSV quoting and number spelling,
 * JSON Lines escapes and non-finite numbers, nulls, an empty table, and
 * the Parquet file's frame. Parquet contents are checked by independent
 * readers in export_test.mjs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "common/buf.h"
#include "export/table.h"

static const tb_table_col cols[] = {
    {"name", TB_COL_STRING, 0},
    {"step", TB_COL_INT64, 0},
    {"value", TB_COL_DOUBLE, 1},
};

static int to_buf(void *payload, const void *p, size_t n)
{
	tb_buf_append(payload, p, n);
	return 0;
}

static void row(tb_table *t, const char *name, int64_t step, int has, double v)
{
	tb_table_str(t, 0, name, strlen(name));
	tb_table_i64(t, 1, step);
	if (has)
		tb_table_f64(t, 2, v);
	CHECK_INT(tb_table_end_row(t), 0);
}

static char *write_rows(int format)
{
	tb_buf out = TB_BUF_INIT;
	tb_table *t = tb_table_new(format, cols, 3, 0, to_buf, &out);
	row(t, "plain", 1, 1, 0.1);
	row(t, "a,b", -2, 1, 1e-05);
	row(t, "say \"hi\"\nthere", 3, 1, NAN);
	row(t, " lead", 4, 1, -INFINITY);
	row(t, "none", 5, 0, 0);
	CHECK_INT(tb_table_finish(t), 0);
	CHECK_INT(tb_table_rows(t), 5);
	tb_table_free(t);
	return out.ptr ? tb_buf_detach(&out) : calloc(1, 1);
}

static void test_table__csv_quotes_and_numbers(void)
{
	char *s = write_rows(TB_TABLE_CSV);
	CHECK_STR(s, "name,step,value\r\n"
		     "plain,1,0.1\r\n"
		     "\"a,b\",-2,1e-05\r\n"
		     "\"say \"\"hi\"\"\nthere\",3,nan\r\n"
		     "\" lead\",4,-inf\r\n"
		     "none,5,\r\n");
	free(s);
}

static void test_table__jsonl_escapes_and_nulls(void)
{
	char *s = write_rows(TB_TABLE_JSONL);
	CHECK_STR(s, "{\"name\":\"plain\",\"step\":1,\"value\":0.1}\n"
		     "{\"name\":\"a,b\",\"step\":-2,\"value\":1e-05}\n"
		     "{\"name\":\"say \\\"hi\\\"\\nthere\",\"step\":3,\"value\":NaN}\n"
		     "{\"name\":\" lead\",\"step\":4,\"value\":-Infinity}\n"
		     "{\"name\":\"none\",\"step\":5,\"value\":null}\n");
	free(s);
}

static void test_table__empty_csv_keeps_its_header(void)
{
	tb_buf out = TB_BUF_INIT;
	tb_table *t = tb_table_new(TB_TABLE_CSV, cols, 3, 0, to_buf, &out);
	CHECK_INT(tb_table_finish(t), 0);
	tb_table_free(t);
	CHECK_STR(out.ptr, "name,step,value\r\n");
	tb_buf_free(&out);
}

/* "PAR1", pages, footer, its 4-byte length, "PAR1"; with no rows too. */
static void check_frame(const tb_buf *b)
{
	CHECK(b->len > 12);
	CHECK(memcmp(b->ptr, "PAR1", 4) == 0);
	CHECK(memcmp(b->ptr + b->len - 4, "PAR1", 4) == 0);
	const unsigned char *l = (const unsigned char *)b->ptr + b->len - 8;
	size_t footer = l[0] | l[1] << 8 | l[2] << 16 | (size_t)l[3] << 24;
	CHECK(footer > 0 && footer + 12 <= b->len);
}

static void test_table__parquet_frame(void)
{
	for (int rows = 0; rows <= 1; rows++) {
		tb_buf out = TB_BUF_INIT;
		tb_table *t = tb_table_new(TB_TABLE_PARQUET, cols, 3, rows, to_buf, &out);
		if (rows)
			row(t, "x", 1, 1, 2.5);
		CHECK_INT(tb_table_finish(t), 0);
		tb_table_free(t);
		check_frame(&out);
		tb_buf_free(&out);
	}
}

static int failing(void *payload, const void *p, size_t n)
{
	(void)payload;
	(void)p;
	(void)n;
	return -2; /* TB_EIO */
}

static void test_table__output_error_is_returned(void)
{
	tb_table *t = tb_table_new(TB_TABLE_PARQUET, cols, 3, 0, failing, NULL);
	row(t, "x", 1, 1, 2.5);
	CHECK_INT(tb_table_finish(t), -2);
	tb_table_free(t);
	CHECK_INT(tb_table_format("parquet"), TB_TABLE_PARQUET);
	CHECK_INT(tb_table_format("xlsx"), 0);
}

int main(void)
{
	TB_RUN(test_table__csv_quotes_and_numbers);
	TB_RUN(test_table__jsonl_escapes_and_nulls);
	TB_RUN(test_table__empty_csv_keeps_its_header);
	TB_RUN(test_table__parquet_frame);
	TB_RUN(test_table__output_error_is_returned);
	return tb_test_finish();
}
