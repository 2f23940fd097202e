/* The public header compiles alone, first, as C99 (the build sets
 * -std=c99 -pedantic-errors for this file), and its constants hold. */
#include <tboard/writer.h>

#include "../harness.h"

static void test_header__defaults_and_codes(void)
{
	tb_writer_opts o;
	tb_writer_opts_init(&o);
	CHECK(o.filename_suffix == NULL);
	CHECK(o.flush_secs == 120.0);
	CHECK_INT(o.max_queue, 10);
	CHECK_INT(o.scalar_encoding, TB_SCALAR_TENSOR);
	CHECK_INT(TB_OK, 0);
	CHECK_INT(TB_ENOMEM, -1);
	CHECK_INT(TB_EIO, -2);
	CHECK_INT(TB_EINVAL, -6);
	CHECK_STR(tb_strerror(TB_EINVAL), "invalid argument");
}

int main(void)
{
	TB_RUN(test_header__defaults_and_codes);
	return tb_test_finish();
}
