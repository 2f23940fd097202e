/* Small things many tests need: a monotonic clock, a temporary folder and
 * removing it again, one TFRecord appended to an event file, and the
 * pieces of hand-built events (a new event file, a summary value, its
 * plugin metadata and tensor). */
#ifndef TB_TESTUTIL_H
#define TB_TESTUTIL_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "proto/pb_encode.h"

/* Seconds on the monotonic clock. */
double tb_test_now(void);

/* The path of rel under the repository's tests/corpora/ (the repository
 * is $TB_SOURCE_DIR, which CTest sets, else ".") in out (n bytes).
 * Returns out. */
char *tb_test_corpus(char *out, size_t n, const char *rel);

/* Make a new empty folder $TMPDIR/<prefix>XXXXXX (TMPDIR defaults to /tmp)
 * and write its path to out (n bytes). Returns 0, or -1 with errno set. */
int tb_test_tmpdir(char *out, size_t n, const char *prefix);

/* Remove path and everything under it, not following symbolic links.
 * Returns 0, or -1 when something could not be removed. */
int tb_test_rmtree(const char *path);

/* Append the len bytes of payload to f as one TFRecord (length, CRCs).
 * Returns 0, or -1 when writing failed. */
int tb_test_put_record(FILE *f, const void *payload, size_t len);

/* Make folder dir (mode 0755; one that exists is fine) and create
 * dir/events.out.tfevents.1700000000.test, its first record written:
 * Event{wall_time 1700000000, file_version "brain.Event:2"}. Returns the
 * file (fclose it), or NULL. */
FILE *tb_test_open_events(const char *dir);

/* tb_test_put_record of b's bytes to f, then b emptied for the next event. */
void tb_test_emit(FILE *f, tb_pb_buf *b);

/* Event{wall_time 1700000000 + step, step, summary{value{tag,
 * simple_value v}}}, as a legacy scalar, appended to f. */
void tb_test_put_scalar(FILE *f, int64_t step, const char *tag, float v);

/* A Summary.Value's tensor: dtype and shape (a size 0 is left out, as
 * proto3 does), then its values as tensor_content (data, len bytes; data
 * NULL: none) or as n string_val entries (strs; lens NULL: each string
 * up to its NUL). */
typedef struct tb_test_tensor {
	int dtype;
	int rank;
	const int64_t *dims;
	const void *data;
	size_t len;
	const char *const *strs;
	const size_t *lens;
	size_t n;
} tb_test_tensor;

/* Append t's TensorProto fields (the message's body, unframed) to b. */
void tb_test_put_tensor(tb_pb_buf *b, const tb_test_tensor *t);

/* Append Event{wall_time, step, summary{value{tag, metadata{plugin_data{
 * plugin, content}}, tensor}}} to f: content_len 0 leaves the content
 * out, t NULL the tensor. */
void tb_test_put_value(FILE *f, double wall, int64_t step, const char *tag, const char *plugin,
		       const void *content, size_t content_len, const tb_test_tensor *t);

/* How many file descriptors process pid has open (from /proc), or -1. */
int tb_test_count_fds(pid_t pid);
#endif
