/* Tests for src/proto/event_encode.c: the worked records of spec FORMAT.md
 * 3.5, 3.6, 3.7 and 15, framed with src/record/rec_writer.c, and the
 * simple_value scalars of the shared PyTorch corpus re-encoded byte for byte. */
#include "../harness.h"

#include <dirent.h>
#include <stdlib.h>

#include "proto/event_encode.h"
#include "record/rec_writer.h"
#include "worked_records.h"

/* b's contents framed as a record are the n bytes at expect. */
static void check_framed(const tb_pb_buf *b, const char *expect, size_t n)
{
	uint8_t out[128];
	CHECK_INT(b->len + TB_REC_OVERHEAD, n);
	if (b->len + TB_REC_OVERHEAD == n && n <= sizeof out) {
		tb_rec_frame(out, b->data, b->len);
		CHECK(memcmp(out, expect, n) == 0);
	}
}

static void test_event_encode__file_version(void)
{
	static const char expect[] = "\x18\x00\x00\x00\x00\x00\x00\x00\xa3\x7f\x4b\x22"
				     "\x09\x00\x00\x00\x40\xfc\x54\xd9\x41"
				     "\x1a\x0d"
				     "brain.Event:2"
				     "\xec\xed\x8f\x9d";
	tb_pb_buf b = {0};
	CHECK_INT(tb_event_encode_file_version(&b, 1700000000.0, NULL), 0);
	check_framed(&b, expect, 40);

	tb_pb_buf_truncate(&b, 0);
	tb_event_encode_file_version(&b, 1700000000.0, "tboard");
	CHECK_INT(b.len, 24 + 10);
	CHECK(memcmp(b.data + 24, "\x52\x08\x0a\x06tboard", 10) == 0);
	tb_pb_buf_free(&b);
}

static void test_event_encode__legacy_scalar(void)
{
	static const char expect[] =
	    "\x1a\x00\x00\x00\x00\x00\x00\x00\x12\x9b\xd8\x2d" TB_WORKED_LEGACY_LOSS
	    "\xde\xd4\xdb\x41";
	tb_pb_buf b = {0};
	CHECK_INT(tb_event_encode_scalar(&b, 1700000001.5, 1, "loss", 4, 0.25f,
					 TB_EVENT_SIMPLE_VALUE | TB_EVENT_METADATA),
		  0);
	check_framed(&b, expect, 42);
	tb_pb_buf_free(&b);
}

static void test_event_encode__tf2_scalar(void)
{
	static const char expect[] =
	    "\x2e\x00\x00\x00\x00\x00\x00\x00\xc5\xcb\x57\xfa" TB_WORKED_TF2_LOSS
	    "\xb4\xce\x93\x39";
	tb_pb_buf b = {0};
	CHECK_INT(tb_event_encode_scalar(&b, 1700000001.5, 1, "loss", 4, 0.25f, TB_EVENT_METADATA),
		  0);
	check_framed(&b, expect, 62);

	/* Later values of the tag carry no metadata. */
	tb_pb_buf_truncate(&b, 0);
	tb_event_encode_scalar(&b, 1700000001.5, 1, "loss", 4, 0.25f, 0);
	CHECK_INT(b.len, 46 - 13);
	CHECK(memcmp(b.data + 11, "\x2a\x14\x0a\x12", 4) == 0);
	tb_pb_buf_free(&b);
}

static void test_event_encode__tf2_accuracy_from_upstream(void)
{
	static const char expect[] =
	    "\x32\x00\x00\x00\x00\x00\x00\x00\x24\x19\x56\xec" TB_WORKED_TF2_ACCURACY
	    "\xa5\x5b\x64\x33";
	tb_pb_buf b = {0};
	tb_event_encode_scalar(&b, 1599759606.859727, 77, "accuracy", 8, 0.99f, TB_EVENT_METADATA);
	check_framed(&b, expect, 66);
	tb_pb_buf_free(&b);
}

static void test_event_encode__step_zero_and_negative(void)
{
	tb_pb_buf b = {0};
	tb_event_encode_scalar(&b, 1.0, 0, "t", 1, 1.0f, TB_EVENT_SIMPLE_VALUE);
	CHECK(b.data[9] == 0x2a); /* step 0 left out: summary follows wall_time */
	tb_pb_buf_truncate(&b, 0);
	tb_event_encode_scalar(&b, 1.0, -1, "t", 1, 1.0f, TB_EVENT_SIMPLE_VALUE);
	CHECK(memcmp(b.data + 9, "\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x2a", 12) == 0);
	tb_pb_buf_free(&b);
}

static int get_varint(const uint8_t *p, size_t n, size_t *i, uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64 && *i < n; shift += 7) {
		uint8_t c = p[(*i)++];
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*out = v;
			return 1;
		}
	}
	return 0;
}

/* If payload is Event{wall_time, step, summary{value{tag, simple_value}}}
 * and nothing else, re-encode it and return 1 if the bytes are identical,
 * -1 if they differ; 0 if it has another shape. */
static int reencode_legacy(const uint8_t *p, size_t n)
{
	size_t i = 9, tag_at;
	uint64_t step = 0, len, tag_len;
	double wall;
	float value;
	tb_pb_buf b = {0};
	int same;

	if (n < 9 || p[0] != 0x09)
		return 0;
	memcpy(&wall, p + 1, 8);
	if (i < n && p[i] == 0x10) {
		i++;
		if (!get_varint(p, n, &i, &step))
			return 0;
	}
	if (i + 2 > n || p[i++] != 0x2a || !get_varint(p, n, &i, &len) || len != n - i)
		return 0;
	if (i + 2 > n || p[i++] != 0x0a || !get_varint(p, n, &i, &len) || len != n - i)
		return 0;
	if (i + 2 > n || p[i++] != 0x0a || !get_varint(p, n, &i, &tag_len) || tag_len > n - i)
		return 0;
	tag_at = i;
	i += tag_len;
	if (n - i != 5 || p[i] != 0x15)
		return 0;
	memcpy(&value, p + i + 1, 4);
	tb_event_encode_scalar(&b, wall, (int64_t)step, (const char *)p + tag_at, tag_len, value,
			       TB_EVENT_SIMPLE_VALUE);
	same = b.err == 0 && b.len == n && memcmp(b.data, p, n) == 0;
	tb_pb_buf_free(&b);
	return same ? 1 : -1;
}

static void reencode_file(const char *path, int *same, int *differ)
{
	FILE *f = fopen(path, "rb");
	uint8_t head[12], *payload;

	if (!f)
		return;
	while (fread(head, 1, 12, f) == 12) {
		uint64_t len = 0;
		for (int k = 7; k >= 0; k--)
			len = len << 8 | head[k];
		if (len > (1u << 26) || !(payload = malloc(len + 4)))
			break;
		if (fread(payload, 1, len + 4, f) == len + 4) {
			int r = reencode_legacy(payload, len);
			*same += r > 0;
			*differ += r < 0;
		}
		free(payload);
	}
	fclose(f);
}

static void test_event_encode__matches_pytorch_corpus(void)
{
	const char *src = getenv("TB_SOURCE_DIR");
	char dir[4096], path[8192];
	int same = 0, differ = 0;
	DIR *d;
	struct dirent *e;

	if (!src) {
		printf("skip: TB_SOURCE_DIR not set\n");
		return;
	}
	snprintf(dir, sizeof dir, "%s/tests/corpora/torch/logdir/train", src);
	if (!(d = opendir(dir))) {
		printf("skip: no corpus at %s\n", dir);
		return;
	}
	while ((e = readdir(d))) {
		if (!strstr(e->d_name, "tfevents"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		reencode_file(path, &same, &differ);
	}
	closedir(d);
	printf("pytorch corpus: %d simple_value records re-encoded identically, %d differ\n", same,
	       differ);
	CHECK(same > 1000);
	CHECK_INT(differ, 0);
}

int main(void)
{
	TB_RUN(test_event_encode__file_version);
	TB_RUN(test_event_encode__legacy_scalar);
	TB_RUN(test_event_encode__tf2_scalar);
	TB_RUN(test_event_encode__tf2_accuracy_from_upstream);
	TB_RUN(test_event_encode__step_zero_and_negative);
	TB_RUN(test_event_encode__matches_pytorch_corpus);
	return tb_test_finish();
}
