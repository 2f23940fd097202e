/* Event encoding for the writer (spec FORMAT.md 5.1, 6.2, 7.1, 10.2).
 *
 * Field numbers come from event.proto, summary.proto and tensor.proto.
 * The tensor form mirrors what TensorFlow 2 writes for a scalar: DT_FLOAT,
 * an explicit empty shape and the 4 value bytes in tensor_content. Tuned
 * for many tiny events: no allocation beyond the caller's buffer. */
#include "proto/event_encode.h"

#include <string.h>

/* event.proto Event */
#define EVENT_WALL_TIME 1
#define EVENT_STEP 2
#define EVENT_FILE_VERSION 3
#define EVENT_SUMMARY 5
#define EVENT_SOURCE_METADATA 10
#define SOURCE_METADATA_WRITER 1
/* summary.proto */
#define SUMMARY_VALUE 1
#define VALUE_TAG 1
#define VALUE_SIMPLE_VALUE 2
#define VALUE_TENSOR 8
#define VALUE_METADATA 9
#define METADATA_PLUGIN_DATA 1
#define PLUGIN_DATA_NAME 1
/* tensor.proto */
#define TENSOR_DTYPE 1
#define TENSOR_SHAPE 2
#define TENSOR_CONTENT 4
#define DT_FLOAT 1

static void put_wall_time(tb_pb_buf *b, double wall_time)
{
	/* proto3 leaves +0.0 out; every other value, -0.0 included, is kept. */
	uint64_t bits;
	memcpy(&bits, &wall_time, sizeof bits);
	if (bits != 0)
		tb_pb_put_double(b, EVENT_WALL_TIME, wall_time);
}

int tb_event_encode_file_version(tb_pb_buf *b, double wall_time, const char *writer)
{
	put_wall_time(b, wall_time);
	tb_pb_put_string(b, EVENT_FILE_VERSION, "brain.Event:2");
	if (writer) {
		size_t m = tb_pb_begin(b, EVENT_SOURCE_METADATA);
		tb_pb_put_string(b, SOURCE_METADATA_WRITER, writer);
		tb_pb_end(b, m);
	}
	return b->err;
}

int tb_event_encode_scalar(tb_pb_buf *b, double wall_time, int64_t step, const char *tag,
			   size_t tag_len, float value, unsigned flags)
{
	size_t summary, val;

	put_wall_time(b, wall_time);
	if (step != 0)
		tb_pb_put_int64(b, EVENT_STEP, step);
	summary = tb_pb_begin(b, EVENT_SUMMARY);
	val = tb_pb_begin(b, SUMMARY_VALUE);
	tb_pb_put_bytes(b, VALUE_TAG, tag, tag_len);
	if (flags & TB_EVENT_SIMPLE_VALUE) {
		tb_pb_put_float(b, VALUE_SIMPLE_VALUE, value);
	} else {
		uint8_t le[4];
		uint32_t bits;
		size_t tensor, meta, plugin;

		memcpy(&bits, &value, sizeof bits);
		for (int i = 0; i < 4; i++)
			le[i] = (uint8_t)(bits >> (8 * i));
		tensor = tb_pb_begin(b, VALUE_TENSOR);
		tb_pb_put_uint64(b, TENSOR_DTYPE, DT_FLOAT);
		tb_pb_end(b, tb_pb_begin(b, TENSOR_SHAPE)); /* rank 0: set but empty */
		tb_pb_put_bytes(b, TENSOR_CONTENT, le, sizeof le);
		tb_pb_end(b, tensor);
		if (flags & TB_EVENT_METADATA) {
			meta = tb_pb_begin(b, VALUE_METADATA);
			plugin = tb_pb_begin(b, METADATA_PLUGIN_DATA);
			tb_pb_put_string(b, PLUGIN_DATA_NAME, "scalars");
			tb_pb_end(b, plugin);
			tb_pb_end(b, meta);
		}
	}
	tb_pb_end(b, val);
	tb_pb_end(b, summary);
	return b->err;
}
