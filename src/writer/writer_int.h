/* What the writer's modules share beyond the public API: one way to queue
 * an event of summary values, error reporting on the writer, and tag
 * checks. writer.c owns the writer; summaries.c, embedding.c and media.c
 * build payloads and hand them to tb_writer__emit_values. Every function
 * here that takes a tb_writer locks its mutex itself unless its name ends
 * in _locked. */
#ifndef TB_WRITER_INT_H
#define TB_WRITER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/pb_encode.h"
#include "tboard/writer.h"

/* One Summary.Value: tensor is a serialized TensorProto (NULL: none);
 * plugin names SummaryMetadata.plugin_data (NULL: no metadata); content is
 * the plugin's private bytes. All borrowed. */
typedef struct tb_wvalue {
	const char *tag;
	const uint8_t *tensor;
	size_t tensor_len;
	const char *plugin;
	const void *content;
	size_t content_len;
} tb_wvalue;

/* Queue Event{wall_time, step, summary{values}}, each value carrying its
 * metadata and the tag's description (tb_writer_set_description). Tags are
 * not checked here. wall_time <= 0 or not finite means now.
 * Returns TB_OK, TB_ENOMEM (nothing queued) or TB_EIO (queued; see
 * tb_writer_add_scalar). */
int tb_writer__emit_values(tb_writer *w, double wall_time, int64_t step, const tb_wvalue *v,
			   size_t n);

/* Queue an Event with one length-delimited field (e.g. 4, graph_def)
 * holding len bytes. Returns as tb_writer__emit_values. */
int tb_writer__emit_field(tb_writer *w, double wall_time, int64_t step, uint32_t field,
			  const void *bytes, size_t len);

/* Set w's message and return rc (for `return tb_writer__fail(...)`). */
int tb_writer__fail(tb_writer *w, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* TB_OK if tag is a non-empty UTF-8 string, else TB_EINVAL with a message
 * on w. */
int tb_writer__check_tag(tb_writer *w, const char *tag);

/* 1 if the n bytes at s are strict UTF-8. */
int tb_writer__utf8(const void *s, size_t n);

/* The log directory w was opened on (without a trailing '/'): borrowed,
 * immutable. */
const char *tb_writer__logdir(const tb_writer *w);

/* Open a writer for the run at path with w's options. Returns as
 * tb_writer_open; on failure w's message explains it. */
int tb_writer__open_like(tb_writer **out, tb_writer *w, const char *path);

/* The projector config text accumulated on w (an owned, NUL-terminated
 * string or NULL), for embedding.c; guarded by w's mutex, which the caller
 * takes with tb_writer__lock. */
char **tb_writer__projector_text_locked(tb_writer *w);
void tb_writer__lock(tb_writer *w);
void tb_writer__unlock(tb_writer *w);

/* Check an image description (summaries.c): TB_OK with the bytes of one
 * image in *size and its channel count in *channels, else TB_EINVAL with a
 * message on w. Does not look at pixels. */
int tb_writer__check_image(tb_writer *w, const tb_image *img, size_t *size, int *channels);

/* Convert image i of the batch b (checked; image_bytes apart) into
 * interleaved 8-bit pixels at out (height * width * c bytes). */
void tb_writer__image_hwc(uint8_t *out, const tb_image *b, int c, size_t i, size_t image_bytes);

/* Current wall-clock time, seconds since the epoch. */
double tb_writer__now(void);

#endif
