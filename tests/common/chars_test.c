/* UTF-8 decoding, validation and encoding, and hex digits (common/chars). */
#include <string.h>

#include "../harness.h"
#include "common/chars.h"

#define VALID(lit) tb_utf8_valid(lit, sizeof lit - 1)

static void test_chars__valid(void)
{
	CHECK(VALID(""));
	CHECK(VALID("plain ascii"));
	CHECK(VALID("\xC3\xA9"));	  /* U+00E9 */
	CHECK(VALID("\xE2\x82\xAC"));	  /* U+20AC */
	CHECK(VALID("\xF0\x9F\x98\x80")); /* U+1F600 */
	CHECK(VALID("\xF4\x8F\xBF\xBF")); /* U+10FFFF */
	CHECK(VALID("a\0b"));		  /* NUL is a character */
}

static void test_chars__invalid(void)
{
	CHECK(!VALID("\x80"));		   /* lone continuation */
	CHECK(!VALID("\xC0\xAF"));	   /* overlong '/' */
	CHECK(!VALID("\xC1\xBF"));	   /* overlong */
	CHECK(!VALID("\xE0\x80\xAF"));	   /* overlong */
	CHECK(!VALID("\xED\xA0\x80"));	   /* surrogate U+D800 */
	CHECK(!VALID("\xF0\x8F\xBF\xBF")); /* overlong */
	CHECK(!VALID("\xF4\x90\x80\x80")); /* above U+10FFFF */
	CHECK(!VALID("\xF5\x80\x80\x80"));
	CHECK(!VALID("\xFF"));
	CHECK(!VALID("\xE2\x82")); /* truncated */
	CHECK(!VALID("ok\xC3"));
}

/* An invalid sequence is skipped by its maximal valid prefix, so each bad
 * unit becomes one replacement character. */
static void test_chars__decode_lengths(void)
{
	uint32_t cp;
	CHECK_INT(tb_utf8_decode(&cp, "\xE2\x82\xAC", 3), 3);
	CHECK_INT(cp, 0x20AC);
	CHECK_INT(tb_utf8_decode(&cp, "\xE2\x82", 2), 2);
	CHECK(cp == TB_UTF8_INVALID);
	CHECK_INT(tb_utf8_decode(&cp, "\xE2\x82x", 3), 2);
	CHECK(cp == TB_UTF8_INVALID);
	CHECK_INT(tb_utf8_decode(&cp, "\xED\xA0\x80", 3), 1);
	CHECK(cp == TB_UTF8_INVALID);
	CHECK_INT(tb_utf8_decode(&cp, "\xF0\x9F\x98", 3), 3);
	CHECK(cp == TB_UTF8_INVALID);
	CHECK_INT(tb_utf8_decode(&cp, "\x80\x80", 2), 1);
	CHECK(cp == TB_UTF8_INVALID);
	CHECK_INT(tb_utf8_decode(&cp, "A", 1), 1);
	CHECK_INT(cp, 'A');
}

static void test_chars__encode_roundtrip(void)
{
	static const uint32_t cps[] = {0, 0x7F, 0x80, 0x7FF, 0x800, 0xFFFF, 0x10000, 0x10FFFF};
	for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
		char u[4];
		size_t n = tb_utf8_encode(u, cps[i]);
		uint32_t cp;
		CHECK_INT(tb_utf8_decode(&cp, u, n), n);
		CHECK_INT(cp, cps[i]);
		CHECK(tb_utf8_valid(u, n));
	}
	char u[4];
	CHECK_INT(tb_utf8_encode(u, 0x20AC), 3);
	CHECK(memcmp(u, "\xE2\x82\xAC", 3) == 0);
}

static void test_chars__hex(void)
{
	CHECK_INT(tb_hex_digit('0'), 0);
	CHECK_INT(tb_hex_digit('9'), 9);
	CHECK_INT(tb_hex_digit('a'), 10);
	CHECK_INT(tb_hex_digit('F'), 15);
	CHECK_INT(tb_hex_digit('g'), -1);
	CHECK_INT(tb_hex_digit('G'), -1);
	CHECK_INT(tb_hex_digit(' '), -1);
	CHECK_INT(tb_hex_digit(0x80), -1);
}

int main(void)
{
	TB_RUN(test_chars__valid);
	TB_RUN(test_chars__invalid);
	TB_RUN(test_chars__decode_lengths);
	TB_RUN(test_chars__encode_roundtrip);
	TB_RUN(test_chars__hex);
	return tb_test_finish();
}
