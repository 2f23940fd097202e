/* Tests for src/store/pyrandom.c against CPython's outputs (spec LOADING.md
 * 10.2 and 12.1 test vectors). */
#include "../harness.h"
#include "store/pyrandom.h"

static void test_pyrandom__first_output(void)
{
	tb_pyrandom r;
	tb_pyrandom_seed0(&r);
	CHECK_INT(tb_pyrandom_u32(&r), 3626764237u);
}

static void test_pyrandom__randint_sequence(void)
{
	tb_pyrandom r;
	tb_pyrandom_seed0(&r);
	const int want[] = {6, 6, 0, 4, 8, 15, 12, 9, 15, 11};
	for (int n = 10; n < 20; n++)
		CHECK_INT(tb_pyrandom_below(&r, (uint64_t)n + 1), want[n - 10]);
}

static void test_pyrandom__downsample_vectors(void)
{
	uint64_t out[10];
	tb_downsample_indices(out, 20, 5);
	const uint64_t a[] = {1, 8, 12, 13, 19};
	for (int i = 0; i < 5; i++)
		CHECK_INT(out[i], a[i]);
	tb_downsample_indices(out, 1000, 10);
	const uint64_t b[] = {41, 265, 394, 430, 523, 776, 864, 911, 988, 999};
	for (int i = 0; i < 10; i++)
		CHECK_INT(out[i], b[i]);
}

int main(void)
{
	TB_RUN(test_pyrandom__first_output);
	TB_RUN(test_pyrandom__randint_sequence);
	TB_RUN(test_pyrandom__downsample_vectors);
	return tb_test_finish();
}
