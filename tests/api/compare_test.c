/* Tests for the API test's own comparison logic (tests/api/jsondiff.c) and
 * its SHA-256 (tests/api/sha256sum.c): a comparison that passes everything
 * would make the API test worthless. */
#include "../harness.h"
#include "jsondiff.h"
#include "sha256sum.h"

#include <stdlib.h>

static json_t *parse(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &err);
	if (!j)
		fprintf(stderr, "bad test JSON %s: %s\n", text, err.text);
	return j;
}

/* 1 if the two JSON texts compare equal; *out gets the details. */
static int same(tb_jsondiff *out, const char *expected, const char *got)
{
	json_t *e = parse(expected), *g = parse(got);
	tb_jsondiff_init(out);
	int eq = e && g && tb_jsondiff_compare(out, e, g);
	json_decref(e);
	json_decref(g);
	return eq;
}

static void test_compare__identical(void)
{
	tb_jsondiff d;
	CHECK(same(&d, "{\"a\": [1, 2.5, \"x\", true, null], \"b\": {\"c\": []}}",
		   "{\"a\": [1, 2.5, \"x\", true, null], \"b\": {\"c\": []}}"));
	CHECK_INT(d.diffs, 0);
}

static void test_compare__key_order_ignored(void)
{
	tb_jsondiff d;
	CHECK(same(&d, "{\"a\": 1, \"b\": {\"x\": 1, \"y\": 2}}",
		   "{\"b\": {\"y\": 2, \"x\": 1}, \"a\": 1}"));
}

static void test_compare__missing_and_extra_keys(void)
{
	tb_jsondiff d;
	CHECK(!same(&d, "{\"a\": 1, \"b\": 2}", "{\"a\": 1}"));
	CHECK_STR(d.where, "$.b");
	CHECK(!same(&d, "{\"a\": 1}", "{\"a\": 1, \"zz\": 2}"));
	CHECK_STR(d.where, "$.zz");
}

static void test_compare__float_tolerance(void)
{
	tb_jsondiff d;
	CHECK(same(&d, "[0.7461960315704346]", "[0.74619603157]"));
	CHECK(same(&d, "[1730000000.1]", "[1730000000.1000001]"));
	CHECK(!same(&d, "[0.7461960315704346]", "[0.7462]"));
	CHECK_STR(d.where, "$[0]");
	CHECK(!same(&d, "[1.0]", "[1.00001]"));
	CHECK(!same(&d, "[0.0]", "[1e-300]"));
}

static void test_compare__int_exact(void)
{
	tb_jsondiff d;
	CHECK(!same(&d, "[[1.5, 7, 0.25]]", "[[1.5, 8, 0.25]]"));
	CHECK_STR(d.where, "$[0][1]");
	/* 2^53 + 1 is not a double: it must not be compared as one. */
	CHECK(!same(&d, "[1.5, 9007199254740993, 1.0]", "[1.5, 9007199254740992, 1.0]"));
	CHECK_STR(d.where, "$[1]");
	CHECK(same(&d, "[4611686018427387904]", "[4611686018427387904]"));
	CHECK(!same(&d, "[4611686018427387904]", "[4611686018427387905]"));
}

static void test_compare__int_vs_real(void)
{
	tb_jsondiff d;
	/* A step written as a float is wrong; a float written without ".0" is not. */
	CHECK(!same(&d, "[5]", "[5.0]"));
	CHECK(same(&d, "[5.0]", "[5]"));
	CHECK(!same(&d, "[5.0]", "[6]"));
}

static void test_compare__nan_string_vs_number(void)
{
	tb_jsondiff d;
	CHECK(!same(&d, "[1.5, 3, \"NaN\"]", "[1.5, 3, 0.0]"));
	CHECK_STR(d.where, "$[2]");
	CHECK(!same(&d, "[\"Infinity\"]", "[\"-Infinity\"]"));
	CHECK(same(&d, "[\"NaN\", \"Infinity\", \"-Infinity\"]",
		   "[\"NaN\", \"Infinity\", \"-Infinity\"]"));
}

static void test_compare__array_length(void)
{
	tb_jsondiff d;
	CHECK(!same(&d, "{\"r\": [1, 2, 3]}", "{\"r\": [1, 2]}"));
	CHECK_STR(d.where, "$.r");
	CHECK_INT(d.diffs, 1);
}

static void test_compare__blob_keys_opaque(void)
{
	tb_jsondiff d;
	CHECK(same(&d, "[{\"step\": 1, \"imageId\": \"WyIiLCJ0cmFpbiJd\"}]",
		   "[{\"step\": 1, \"imageId\": \"abc_-DEF\"}]"));
	CHECK(!same(&d, "[{\"imageId\": \"WyIiLCJ0cmFpbiJd\"}]", "[{\"imageId\": \"\"}]"));
	CHECK(!same(&d, "[{\"blob_key\": \"WyIiXQ\"}]", "[{\"blob_key\": \"not a key\"}]"));
	CHECK(!same(&d, "[{\"blob_key\": \"WyIiXQ\"}]", "[{}]"));
	CHECK(same(&d, "{\"query\": \"blob_key=WyIiXQ&content_type=audio%2Fwav\"}",
		   "{\"query\": \"content_type=audio%2Fwav&blob_key=b3RoZXI\"}"));
	CHECK(!same(&d, "{\"query\": \"blob_key=WyIiXQ&content_type=audio%2Fwav\"}",
		    "{\"query\": \"blob_key=WyIiXQ&content_type=audio%2Fx-wav\"}"));
	CHECK(!same(&d, "{\"query\": \"blob_key=WyIiXQ\"}", "{\"query\": \"blob_key=\"}"));
	CHECK(tb_jsondiff_blob_key_ok("WyIiLCJ0cmFpbiIsImlucHV0X2ltYWdlIiwwLDJd"));
	CHECK(tb_jsondiff_blob_key_ok("WyIiXQ=="));
	CHECK(!tb_jsondiff_blob_key_ok("=="));
	CHECK(!tb_jsondiff_blob_key_ok("a+b/"));
}

/* A scalar series of n triples; point i has step i*stride and value i. */
static char *series(int n, int stride, int last_step)
{
	size_t cap = (size_t)n * 48 + 16, len = 0;
	char *s = malloc(cap);
	len += (size_t)snprintf(s + len, cap - len, "[");
	for (int i = 0; i < n; i++) {
		int step = i == n - 1 && last_step >= 0 ? last_step : i * stride;
		len += (size_t)snprintf(s + len, cap - len, "%s[%d.5, %d, %d.0]", i ? ", " : "",
					1000 + step, step, i);
	}
	snprintf(s + len, cap - len, "]");
	return s;
}

static void test_compare__downsampled_series(void)
{
	tb_jsondiff d;
	char *a = series(1000, 1, 5000), *b = series(1000, 2, 5000), *c = series(1000, 2, 4999);
	char *small_a = series(999, 1, -1), *small_b = series(999, 2, -1);
	char *short_b = series(998, 2, 5000);
	/* Exactly at the cap: same points are fine, other points too if the
	 * count and the last point agree. */
	CHECK(same(&d, a, a));
	CHECK_INT(d.series_exact, 1);
	CHECK_INT(d.series_sampled, 0);
	CHECK(same(&d, a, b));
	CHECK_INT(d.series_exact, 0);
	CHECK_INT(d.series_sampled, 1);
	CHECK(!same(&d, a, c));
	CHECK(strncmp(d.where, "$[999]", 6) == 0);
	CHECK(!same(&d, a, short_b));
	/* Below the cap every point counts. */
	CHECK(!same(&d, small_a, small_b));
	CHECK_INT(d.series_sampled, 0);
	free(a);
	free(b);
	free(c);
	free(small_a);
	free(small_b);
	free(short_b);
}

static void test_compare__series_cap_kinds(void)
{
	json_t *j = parse("[{\"wallTime\": 1.5, \"step\": 0, \"value\": 1.0}]");
	CHECK_INT(tb_jsondiff_series_cap(j), 1000);
	json_decref(j);
	j = parse("[{\"wallTime\": 1.5, \"step\": 0, \"bins\": []}]");
	CHECK_INT(tb_jsondiff_series_cap(j), 51);
	json_decref(j);
	j = parse("[[1.5, 0, \"NaN\"], [1.5, 1, 2.0]]");
	CHECK_INT(tb_jsondiff_series_cap(j), 1000);
	json_decref(j);
	j = parse("[[1.5, 0.5, 1.0]]");
	CHECK_INT(tb_jsondiff_series_cap(j), 0);
	json_decref(j);
	j = parse("[\"train\", \"eval\"]");
	CHECK_INT(tb_jsondiff_series_cap(j), 0);
	json_decref(j);
}

static void test_compare__logdir_placeholder(void)
{
	json_t *j =
	    parse("{\"logdir\": \"<LOGDIR>\", \"p\": \"x(logdir='<LOGDIR>')\", \"<LOGDIR>\": 1}");
	tb_jsondiff_subst(j, "<LOGDIR>", "/tmp/a b");
	CHECK_STR(json_string_value(json_object_get(j, "logdir")), "/tmp/a b");
	CHECK_STR(json_string_value(json_object_get(j, "p")), "x(logdir='/tmp/a b')");
	CHECK(json_object_get(j, "<LOGDIR>") != NULL);
	json_decref(j);
}

static void test_sha256__vectors(void)
{
	char hex[65];
	tb_sha256_hex(hex, "", 0);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	tb_sha256_hex(hex, "abc", 3);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	tb_sha256_hex(hex, two, strlen(two));
	CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	char *million = malloc(1000000);
	memset(million, 'a', 1000000);
	tb_sha256_hex(hex, million, 1000000);
	CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* Incremental updates in odd pieces give the same digest. */
	tb_sha256 s;
	unsigned char d1[32];
	tb_sha256_init(&s);
	for (size_t off = 0, n = 1; off < 1000000; off += n, n = n * 3 % 1021 + 1)
		tb_sha256_update(&s, million + off, off + n > 1000000 ? 1000000 - off : n);
	tb_sha256_final(d1, &s);
	CHECK_INT(d1[0], 0xcd);
	CHECK_INT(d1[31], 0xd0);
	free(million);
}

int main(void)
{
	TB_RUN(test_compare__identical);
	TB_RUN(test_compare__key_order_ignored);
	TB_RUN(test_compare__missing_and_extra_keys);
	TB_RUN(test_compare__float_tolerance);
	TB_RUN(test_compare__int_exact);
	TB_RUN(test_compare__int_vs_real);
	TB_RUN(test_compare__nan_string_vs_number);
	TB_RUN(test_compare__array_length);
	TB_RUN(test_compare__blob_keys_opaque);
	TB_RUN(test_compare__downsampled_series);
	TB_RUN(test_compare__series_cap_kinds);
	TB_RUN(test_compare__logdir_placeholder);
	TB_RUN(test_sha256__vectors);
	return tb_test_finish();
}
