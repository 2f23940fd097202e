/* Tests for src/common/crc32c.c against the vectors of spec FORMAT.md 15. */
#include <stdlib.h>

#include "../harness.h"
#include "common/crc32c.h"

static void test_crc32c__check_value(void)
{
	CHECK_INT(tb_crc32c("123456789", 9), 0xE3069283u);
	CHECK_INT(tb_crc32c_sw(0, "123456789", 9), 0xE3069283u);
}

static void test_crc32c__zeros(void)
{
	unsigned char z[32] = {0};
	CHECK_INT(tb_crc32c(z, 32), 0x8A9136AAu);
}

static void test_crc32c__masked_vectors(void)
{
	const char s[] = "\x1a\x11"
			 "CRC test, one two";
	CHECK_INT(tb_crc32c_mask(tb_crc32c(s, sizeof s - 1)), 0x5794D08Au);
	unsigned char len24[8] = {0x18};
	CHECK_INT(tb_crc32c_mask(tb_crc32c(len24, 8)), 0x224B7FA3u);
	unsigned char len26[8] = {26}, len46[8] = {46}, len50[8] = {50};
	CHECK_INT(tb_crc32c_mask(tb_crc32c(len26, 8)), 0x2DD89B12u);
	CHECK_INT(tb_crc32c_mask(tb_crc32c(len46, 8)), 0xFA57CBC5u);
	CHECK_INT(tb_crc32c_mask(tb_crc32c(len50, 8)), 0xEC561924u);
	CHECK_INT(tb_crc32c_unmask(tb_crc32c_mask(0x12345678u)), 0x12345678u);
}

static void test_crc32c__hw_matches_sw_all_lengths(void)
{
	unsigned char data[300];
	for (int i = 0; i < 300; i++)
		data[i] = (unsigned char)(i * 131 + 7);
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n + off <= 300; n += 7)
			CHECK_INT(tb_crc32c(data + off, n), tb_crc32c_sw(0, data + off, n));
	uint32_t c = tb_crc32c(data, 100);
	CHECK_INT(tb_crc32c_extend(c, data + 100, 200), tb_crc32c(data, 300));
}

/* The three-lane path (records of 384 bytes or more) against the table
 * version, on random lengths, alignments and starting CRCs. */
static void test_crc32c__lanes_match_table(void)
{
	enum { MAX = 3 * 4096 * 2 + 3 * 128 * 3 + 64 };
	unsigned char *data = malloc(MAX + 8);
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (size_t i = 0; i < MAX + 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		data[i] = (unsigned char)x;
	}
	static const size_t edges[] = {
	    383, 384, 385, 767, 768, 3 * 4096 - 1, 3 * 4096, 3 * 4096 + 384, MAX};
	for (size_t k = 0; k < sizeof edges / sizeof *edges; k++)
		for (size_t off = 0; off < 8; off++)
			CHECK_INT(tb_crc32c(data + off, edges[k]),
				  tb_crc32c_sw(0, data + off, edges[k]));
	for (int i = 0; i < 2000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size_t off = x % 8, n = (x >> 8) % (MAX + 1);
		uint32_t seed = (uint32_t)(x >> 32);
		CHECK_INT(tb_crc32c_extend(seed, data + off, n), tb_crc32c_sw(seed, data + off, n));
	}
	free(data);
}

int main(void)
{
	TB_RUN(test_crc32c__check_value);
	TB_RUN(test_crc32c__zeros);
	TB_RUN(test_crc32c__masked_vectors);
	TB_RUN(test_crc32c__hw_matches_sw_all_lengths);
	TB_RUN(test_crc32c__lanes_match_table);
	return tb_test_finish();
}
