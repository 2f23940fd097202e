/* Tests for src/record/rec_writer.c against spec FORMAT.md 3.5 and 15. */
#include "../harness.h"
#include "common/crc32c.h"
#include "record/rec_writer.h"

static void test_rec_writer__header_vectors(void)
{
	uint8_t h[TB_REC_HEADER_SIZE];
	tb_rec_header(h, 24);
	CHECK(memcmp(h, "\x18\0\0\0\0\0\0\0\xa3\x7f\x4b\x22", 12) == 0);
	tb_rec_header(h, 26);
	CHECK(memcmp(h + 8, "\x12\x9b\xd8\x2d", 4) == 0);
	tb_rec_header(h, 46);
	CHECK(memcmp(h + 8, "\xc5\xcb\x57\xfa", 4) == 0);
	tb_rec_header(h, 50);
	CHECK(memcmp(h + 8, "\x24\x19\x56\xec", 4) == 0);
}

static void test_rec_writer__footer_vector(void)
{
	const char s[] = "\x1a\x11"
			 "CRC test, one two";
	uint8_t f[TB_REC_FOOTER_SIZE];
	tb_rec_footer(f, s, sizeof s - 1);
	CHECK(memcmp(f, "\x8a\xd0\x94\x57", 4) == 0); /* masked 0x5794D08A */
}

static void test_rec_writer__file_version_record(void)
{
	static const char payload[] = "\x09\x00\x00\x00\x40\xfc\x54\xd9\x41"
				      "\x1a\x0d"
				      "brain.Event:2";
	static const char expect[] = "\x18\x00\x00\x00\x00\x00\x00\x00\xa3\x7f\x4b\x22"
				     "\x09\x00\x00\x00\x40\xfc\x54\xd9\x41"
				     "\x1a\x0d"
				     "brain.Event:2"
				     "\xec\xed\x8f\x9d";
	uint8_t out[64];
	CHECK_INT(sizeof payload - 1, 24);
	CHECK_INT(tb_rec_frame(out, payload, 24), 40);
	CHECK(memcmp(out, expect, 40) == 0);
	/* In place: the payload already sits behind the header. */
	memset(out, 0, sizeof out);
	memcpy(out + TB_REC_HEADER_SIZE, payload, 24);
	CHECK_INT(tb_rec_frame(out, out + TB_REC_HEADER_SIZE, 24), 40);
	CHECK(memcmp(out, expect, 40) == 0);
}

static void test_rec_writer__empty_payload(void)
{
	uint8_t out[16];
	CHECK_INT(tb_rec_frame(out, "", 0), 16);
	CHECK(memcmp(out, "\0\0\0\0\0\0\0\0", 8) == 0);
	uint32_t foot = (uint32_t)out[12] | (uint32_t)out[13] << 8 | (uint32_t)out[14] << 16 |
			(uint32_t)out[15] << 24;
	CHECK_INT(foot, tb_crc32c_mask(0));
}

int main(void)
{
	TB_RUN(test_rec_writer__header_vectors);
	TB_RUN(test_rec_writer__footer_vector);
	TB_RUN(test_rec_writer__file_version_record);
	TB_RUN(test_rec_writer__empty_payload);
	return tb_test_finish();
}
