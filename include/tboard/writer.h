/* libtboard: write TensorBoard event files from C.
 *
 * A tb_writer owns one event file in a log directory, named like the files
 * of TensorBoard's own writer (events.out.tfevents.<secs>.<host>.<pid>.<n>),
 * and appends TFRecord-framed Event protos that TensorBoard and tboard read.
 * Events are buffered in memory and written when max_queue events are
 * pending, when flush_secs have passed since the last write (checked when
 * an event is added), on tb_writer_flush and on tb_writer_close.
 *
 * The library never aborts or prints: failures come back as TB_E* codes
 * (tboard/error.h) with a message from tb_writer_errmsg. C99; usable from
 * C++. Link with `pkg-config --cflags --libs tboard`.
 *
 *     tb_writer *w;
 *     if (tb_writer_open(&w, "runs/exp1", NULL) == TB_OK) {
 *         for (int64_t step = 0; step < 100; step++)
 *             tb_writer_add_scalar(w, "loss", 1.0 / (step + 1), step, 0);
 *         tb_writer_close(w);
 *     }
 */
#ifndef TBOARD_WRITER_H
#define TBOARD_WRITER_H

#include <stdint.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tb_writer tb_writer;

/* How tb_writer_add_scalar stores a value. */
enum {
	/* Summary.Value.tensor: a rank-0 DT_FLOAT tensor, with SummaryMetadata
	 * naming the "scalars" plugin on the first value of each tag in a file.
	 * What TensorFlow 2 writes. The default. */
	TB_SCALAR_TENSOR = 0,
	/* Legacy Summary.Value.simple_value, what TF1 and PyTorch's
	 * SummaryWriter.add_scalar write by default. Smaller. */
	TB_SCALAR_SIMPLE_VALUE = 1
};

/* Writer options. A zeroed struct, or NULL, means all defaults. */
typedef struct tb_writer_opts {
	/* Appended to the file name, e.g. ".v2"; NULL or "" for none. Must not
	 * contain '/'. Copied by tb_writer_open. */
	const char *filename_suffix;
	/* Write pending events once this many seconds have passed since the
	 * last write; checked when an event is added. <= 0: 120. */
	double flush_secs;
	/* Write pending events once this many are queued. <= 0: 10. */
	int max_queue;
	/* TB_SCALAR_TENSOR (default) or TB_SCALAR_SIMPLE_VALUE. */
	int scalar_encoding;
} tb_writer_opts;

/* Fill *opts with the defaults: no suffix, flush_secs 120, max_queue 10,
 * TB_SCALAR_TENSOR. Thread-safe. */
void tb_writer_opts_init(tb_writer_opts *opts);

/* Create logdir (and its parents) if needed, create a new event file in it
 * and write its first record (file_version "brain.Event:2", source_metadata
 * writer "tboard"), which reaches the file before this returns. The file is
 * never overwritten: each writer in a process gets its own counter value.
 *
 * On success *out is a writer the caller frees with tb_writer_close. opts
 * (NULL for defaults) and logdir are not kept.
 * Returns TB_OK; TB_EINVAL if out or logdir is NULL, logdir is empty or an
 * option is invalid; TB_EIO if the directory or file cannot be created or
 * written; TB_ENOMEM. On failure *out is NULL and tb_writer_errmsg(NULL)
 * explains it.
 * Thread-safe: writers may be opened from several threads at once. */
int tb_writer_open(tb_writer **out, const char *logdir, const tb_writer_opts *opts);

/* Queue one scalar event: value for tag at step. value is stored as a
 * 32-bit float (NaN and infinities are kept; finite values beyond float's
 * range become infinities). wall_time is seconds since the Unix epoch;
 * <= 0, NaN or infinite means now. tag must be a non-empty UTF-8 string;
 * '/' separates groups in the UI. May write queued events (see top).
 * Returns TB_OK; TB_EINVAL if w or tag is NULL, or tag is empty or not
 * valid UTF-8 (nothing is queued); TB_ENOMEM (nothing is queued); TB_EIO if
 * writing queued events failed, in which case this event is still queued
 * and unwritten bytes are retried on the next write.
 * Thread-safe: calls on one writer are serialised by a mutex. */
int tb_writer_add_scalar(tb_writer *w, const char *tag, double value, int64_t step,
			 double wall_time);

/* Write all queued events to the file (write(2); no fsync).
 * Returns TB_OK; TB_EINVAL if w is NULL; TB_EIO on a write error, with the
 * unwritten bytes kept for the next attempt and a message in
 * tb_writer_errmsg(w). Thread-safe. */
int tb_writer_flush(tb_writer *w);

/* Write queued events, fsync and close the file, and free w. NULL does
 * nothing and returns TB_OK. w is freed even when an error is returned.
 * Returns TB_OK or TB_EIO (data may be lost). Not thread-safe with other
 * calls on w: no other thread may use w during or after this call. */
int tb_writer_close(tb_writer *w);

/* The path of w's event file: borrowed, valid until tb_writer_close(w).
 * NULL if w is NULL. Thread-safe. */
const char *tb_writer_path(const tb_writer *w);

/* A message describing the last failure on w, or "" if none. With w NULL,
 * the message of the calling thread's last failed tb_writer_open. Borrowed:
 * valid until the next call on w (or the thread's next tb_writer_open).
 * Read it from the thread that saw the error. Never NULL. */
const char *tb_writer_errmsg(const tb_writer *w);

#ifdef __cplusplus
}
#endif

#endif
