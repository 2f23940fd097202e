/* Encoding of the Event messages the writer produces (spec FORMAT.md 4.3,
 * 5.1, 6.2, 7.1, 10.2): the file_version event and scalar summaries.
 *
 * Fields are written in increasing field-number order and proto3 defaults
 * are left out, so output is byte-identical to the examples of FORMAT.md 3.5
 * to 3.7 and 15. Each function appends one serialized Event (no framing) to
 * a tb_pb_buf. Thread-safe as long as each thread uses its own buffer. */
#ifndef TB_EVENT_ENCODE_H
#define TB_EVENT_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/pb_encode.h"

/* Flags for tb_event_encode_scalar. */
enum {
	/* Legacy Summary.Value.simple_value instead of a rank-0 DT_FLOAT tensor. */
	TB_EVENT_SIMPLE_VALUE = 1 << 0,
	/* Attach SummaryMetadata{plugin_data{plugin_name "scalars"}}; meant for
	 * the first value of each tag in a file. Ignored with SIMPLE_VALUE. */
	TB_EVENT_METADATA = 1 << 1,
};

/* Append Event{wall_time, file_version "brain.Event:2", source_metadata
 * {writer}} to b; writer NULL leaves source_metadata out. Returns 0 or
 * TB_ENOMEM (b's sticky error; roll back with tb_pb_buf_truncate). */
int tb_event_encode_file_version(tb_pb_buf *b, double wall_time, const char *writer);

/* Append Event{wall_time, step, summary{value{tag, value}}} to b, the tag
 * being tag_len bytes at tag (the caller checks it is valid UTF-8). The
 * value is stored as a 32-bit float, whatever flags say. Returns 0 or
 * TB_ENOMEM as above. */
int tb_event_encode_scalar(tb_pb_buf *b, double wall_time, int64_t step, const char *tag,
			   size_t tag_len, float value, unsigned flags);

#endif
