/* FNV-1a and the index set (common/hash). */
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "common/hash.h"

static void test_hash__fnv1a(void)
{
	/* FNV-1a 64 reference values */
	CHECK(tb_hash_bytes(TB_HASH_SEED, "", 0) == 0xcbf29ce484222325ULL);
	CHECK(tb_hash_bytes(TB_HASH_SEED, "a", 1) == 0xaf63dc4c8601ec8cULL);
	CHECK(tb_hash_bytes(TB_HASH_SEED, "foobar", 6) == 0x85944171f73967e8ULL);
	/* continuing equals hashing the concatenation */
	CHECK(tb_hash_bytes(tb_hash_bytes(TB_HASH_SEED, "foo", 3), "bar", 3) ==
	      tb_hash_bytes(TB_HASH_SEED, "foobar", 6));
}

static void test_hash__idxset_grows_and_finds(void)
{
	tb_idxset s = TB_IDXSET_INIT;
	size_t pos = 0;
	CHECK_INT(tb_idxset_next(&s, 1, &pos), 0); /* empty */
	for (size_t i = 0; i < 1000; i++)
		CHECK_INT(tb_idxset_add(&s, (uint64_t)(i % 100) * 0x9E3779B97F4A7C15ULL, i), 0);
	CHECK_INT(s.count, 1000);
	/* hash of 7 was added for 7, 107, ..., 907 */
	size_t seen = 0, k;
	pos = 0;
	while ((k = tb_idxset_next(&s, 7 * 0x9E3779B97F4A7C15ULL, &pos))) {
		CHECK_INT((k - 1) % 100, 7);
		seen++;
	}
	CHECK_INT(seen, 10);
	pos = 0;
	CHECK_INT(tb_idxset_next(&s, 12345, &pos), 0);
	tb_idxset_free(&s);
	CHECK(s.slot == NULL && s.count == 0);
	tb_idxset_free(&s);
}

/* Every hash colliding in the low bits still finds each entry. */
static void test_hash__idxset_collisions(void)
{
	tb_idxset s = TB_IDXSET_INIT;
	for (size_t i = 0; i < 64; i++)
		CHECK_INT(tb_idxset_add(&s, (uint64_t)i << 40, i), 0);
	for (size_t i = 0; i < 64; i++) {
		size_t pos = 0;
		CHECK_INT(tb_idxset_next(&s, (uint64_t)i << 40, &pos), i + 1);
		CHECK_INT(tb_idxset_next(&s, (uint64_t)i << 40, &pos), 0);
	}
	tb_idxset_free(&s);
}

int main(void)
{
	TB_RUN(test_hash__fnv1a);
	TB_RUN(test_hash__idxset_grows_and_finds);
	TB_RUN(test_hash__idxset_collisions);
	return tb_test_finish();
}
