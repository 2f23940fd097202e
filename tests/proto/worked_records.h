/* The event payloads (without their record framing) of the worked
 * examples of spec FORMAT.md 3.6 and 3.7 and of the TF2 record of its
 * test vectors (section 15), which upstream TensorFlow wrote. The encoder's
 * and the writer's byte-exact tests compare against the same bytes. */
#ifndef TB_WORKED_RECORDS_H
#define TB_WORKED_RECORDS_H

/* Event{wall_time 1700000001.5, step 1, summary{value{tag "loss",
 * simple_value 0.25}}} (3.6). */
#define TB_WORKED_LEGACY_LOSS                                                                      \
	"\x09\x00\x00\x60\x40\xfc\x54\xd9\x41"                                                     \
	"\x10\x01"                                                                                 \
	"\x2a\x0d\x0a\x0b"                                                                         \
	"\x0a\x04"                                                                                 \
	"loss"                                                                                     \
	"\x15\x00\x00\x80\x3e"

/* The same value as a rank-0 DT_FLOAT tensor with plugin "scalars" (3.7). */
#define TB_WORKED_TF2_LOSS                                                                         \
	"\x09\x00\x00\x60\x40\xfc\x54\xd9\x41\x10\x01"                                             \
	"\x2a\x21\x0a\x1f"                                                                         \
	"\x0a\x04"                                                                                 \
	"loss"                                                                                     \
	"\x42\x0a\x08\x01\x12\x00\x22\x04\x00\x00\x80\x3e"                                         \
	"\x4a\x0b\x0a\x09\x0a\x07"                                                                 \
	"scalars"

/* tag "accuracy", value 0.99, step 77, wall 1599759606.859727 (15). */
#define TB_WORKED_TF2_ACCURACY                                                                     \
	"\x09\xc4\x05\xb7\x3d\x99\xd6\xd7\x41"                                                     \
	"\x10\x4d"                                                                                 \
	"\x2a\x25\x0a\x23"                                                                         \
	"\x0a\x08"                                                                                 \
	"accuracy"                                                                                 \
	"\x42\x0a\x08\x01\x12\x00\x22\x04\xa4\x70\x7d\x3f"                                         \
	"\x4a\x0b\x0a\x09\x0a\x07"                                                                 \
	"scalars"

#endif
