/* Decoding of the messages in event files: Event, Summary, Summary.Value,
 * SummaryMetadata, Summary.Image / Audio, HistogramProto, SessionLog,
 * TaggedRunMetadata (field numbers: spec FORMAT.md 5-6).
 *
 * Decoders return views into the input (zero-copy) and check every bound;
 * malformed input gives TB_ECORRUPT and never reads outside the input.
 * Unknown fields are skipped. All functions are pure and thread-safe. */
#ifndef TB_EVENT_H
#define TB_EVENT_H

#include <stdint.h>

#include "common/buf.h"
#include "pb_decode.h"

enum tb_event_what {
	TB_EV_NONE = 0,
	TB_EV_FILE_VERSION = 3,
	TB_EV_GRAPH_DEF = 4,
	TB_EV_SUMMARY = 5,
	TB_EV_LOG_MESSAGE = 6,
	TB_EV_SESSION_LOG = 7,
	TB_EV_TAGGED_RUN_METADATA = 8,
	TB_EV_META_GRAPH_DEF = 9,
};

typedef struct tb_event {
	double wall_time;
	int64_t step;
	int what;      /* tb_event_what: the oneof member last seen */
	tb_slice data; /* that member's bytes */
} tb_event;

/* Decode an Event. Returns 0 or TB_ECORRUPT. */
int tb_event_decode(tb_event *out, tb_slice in);

enum tb_value_kind {
	TB_VAL_NONE = 0, /* metadata only */
	TB_VAL_SIMPLE = 2,
	TB_VAL_IMAGE = 4,
	TB_VAL_HISTO = 5,
	TB_VAL_AUDIO = 6,
	TB_VAL_TENSOR = 8,
};

typedef struct tb_value {
	tb_slice tag;
	tb_slice node_name;
	tb_slice metadata; /* SummaryMetadata bytes, valid when has_metadata */
	int has_metadata;
	int kind;      /* tb_value_kind */
	float simple;  /* TB_VAL_SIMPLE */
	tb_slice data; /* the Image/Histogram/Audio/Tensor message */
} tb_value;

/* Iterate over Summary.value: start with it = tb_pb_make(event.data).
 * Returns 1 with *out filled, 0 at the end, or TB_ECORRUPT. */
int tb_summary_next(tb_value *out, tb_pb *it);

enum tb_data_class {
	TB_DC_UNKNOWN = 0,
	TB_DC_SCALAR = 1,
	TB_DC_TENSOR = 2,
	TB_DC_BLOB_SEQUENCE = 3,
};

typedef struct tb_metadata {
	tb_slice plugin_name;
	tb_slice content;
	tb_slice display_name;
	tb_slice description;
	int data_class;
} tb_metadata;

int tb_metadata_decode(tb_metadata *out, tb_slice in);

typedef struct tb_image_view {
	int64_t height, width, colorspace;
	tb_slice encoded;
} tb_image_view;

int tb_image_decode(tb_image_view *out, tb_slice in);

typedef struct tb_audio_view {
	float sample_rate;
	int64_t num_channels, length_frames;
	tb_slice encoded;
	tb_slice content_type;
} tb_audio_view;

int tb_audio_decode(tb_audio_view *out, tb_slice in);

/* A HistogramProto. limits and counts are owned arrays (free() them);
 * packed and unpacked encodings are both accepted. */
typedef struct tb_histo {
	double min, max, num, sum, sum_squares;
	double *limits;
	size_t n_limits;
	double *counts;
	size_t n_counts;
} tb_histo;

int tb_histo_decode(tb_histo *out, tb_slice in);
void tb_histo_release(tb_histo *h);

/* SessionLog.status (0 when absent). */
int tb_session_log_decode(int *status, tb_slice in);

int tb_tagged_run_metadata_decode(tb_slice *tag, tb_slice *run_metadata, tb_slice in);

#endif
