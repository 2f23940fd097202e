/* Tests for the answer cache: entries answer only their own key and token,
 * memory stays under the bound, and the least recently used entry leaves
 * first. Responses are real libmicrohttpd responses (no daemon needed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "common/buf.h"
#include "common/hash.h"
#include "fs/netlib.h"
#include "http/cache.h"

static char body[10000];

static void put(tb_cache *c, const char *key, uint64_t token, size_t len)
{
	const char *why;
	if (tb_netlib_mhd_open(&why)) {
		fprintf(stderr, "%s\n", why);
		abort();
	}
	struct MHD_Response *m =
	    tb_mhd.create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
	tb_cache_put(c, tb_hash_bytes(TB_HASH_SEED, key, strlen(key)), key, strlen(key), token, 200,
		     m, len);
}

static int has(tb_cache *c, const char *key, uint64_t token)
{
	return tb_cache_has(c, tb_hash_bytes(TB_HASH_SEED, key, strlen(key)), key, strlen(key),
			    token);
}

static void test_cache__key_and_token(void)
{
	tb_cache *c = tb_cache_new(1 << 20);
	put(c, "GET /a", 1, 100);
	CHECK(has(c, "GET /a", 1));
	CHECK(!has(c, "GET /a", 2)); /* another state of the store */
	CHECK(!has(c, "GET /b", 1));
	put(c, "GET /a", 2, 100); /* replaces the older answer */
	CHECK(has(c, "GET /a", 2));
	CHECK(!has(c, "GET /a", 1));
	CHECK(tb_cache_bytes(c) < 1000);
	tb_cache_free(c);
}

static void test_cache__bounded_lru(void)
{
	size_t bound = 100000;
	tb_cache *c = tb_cache_new(bound);
	char key[32];
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof key, "GET /k%d", i);
		put(c, key, 7, 9000);
		CHECK(tb_cache_bytes(c) <= bound);
	}
	/* about ten fit; the newest are kept, the oldest are gone */
	CHECK(has(c, "GET /k99", 7));
	CHECK(has(c, "GET /k95", 7));
	CHECK(!has(c, "GET /k0", 7));
	CHECK(!has(c, "GET /k80", 7));
	/* an answer larger than a quarter of the bound is not kept */
	put(c, "GET /huge", 7, 30000);
	CHECK(!has(c, "GET /huge", 7));
	CHECK(has(c, "GET /k99", 7));
	tb_cache_free(c);
}

int main(void)
{
	TB_RUN(test_cache__key_and_token);
	TB_RUN(test_cache__bounded_lru);
	return tb_test_finish();
}
