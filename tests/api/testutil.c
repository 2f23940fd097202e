/* See testutil.h. */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "proto/event_encode.h"
#include "record/rec_writer.h"

double tb_test_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *tb_test_corpus(char *out, size_t n, const char *rel)
{
	const char *src = getenv("TB_SOURCE_DIR");
	snprintf(out, n, "%s/tests/corpora/%s", src ? src : ".", rel);
	return out;
}

int tb_test_tmpdir(char *out, size_t n, const char *prefix)
{
	const char *base = getenv("TMPDIR");
	int len = snprintf(out, n, "%s/%sXXXXXX", base && *base ? base : "/tmp", prefix);
	if (len < 0 || (size_t)len >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdtemp(out) ? 0 : -1;
}

static int remove_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

int tb_test_rmtree(const char *path)
{
	return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

int tb_test_put_record(FILE *f, const void *payload, size_t len)
{
	unsigned char *rec = malloc(len + TB_REC_OVERHEAD);
	if (!rec)
		return -1;
	size_t n = tb_rec_frame(rec, payload, len);
	int rc = fwrite(rec, 1, n, f) == n ? 0 : -1;
	free(rec);
	return rc;
}

FILE *tb_test_open_events(const char *dir)
{
	char path[4096];
	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/events.out.tfevents.1700000000.test", dir);
	FILE *f = fopen(path, "wb");
	if (!f)
		return NULL;
	tb_pb_buf b = {0};
	tb_event_encode_file_version(&b, 1700000000.0, NULL);
	tb_test_emit(f, &b);
	tb_pb_buf_free(&b);
	return f;
}

void tb_test_emit(FILE *f, tb_pb_buf *b)
{
	tb_test_put_record(f, b->data, b->len);
	tb_pb_buf_truncate(b, 0);
}

void tb_test_put_scalar(FILE *f, int64_t step, const char *tag, float v)
{
	tb_pb_buf b = {0};
	tb_event_encode_scalar(&b, 1700000000.0 + (double)step, step, tag, strlen(tag), v,
			       TB_EVENT_SIMPLE_VALUE);
	tb_test_emit(f, &b);
	tb_pb_buf_free(&b);
}

void tb_test_put_tensor(tb_pb_buf *b, const tb_test_tensor *t)
{
	tb_pb_put_int64(b, 1, t->dtype);
	size_t shape = tb_pb_begin(b, 2);
	for (int i = 0; i < t->rank; i++) {
		size_t dim = tb_pb_begin(b, 2);
		if (t->dims[i])
			tb_pb_put_int64(b, 1, t->dims[i]);
		tb_pb_end(b, dim);
	}
	tb_pb_end(b, shape);
	if (t->data)
		tb_pb_put_bytes(b, 4, t->data, t->len);
	for (size_t i = 0; i < t->n; i++)
		tb_pb_put_bytes(b, 8, t->strs[i], t->lens ? t->lens[i] : strlen(t->strs[i]));
}

void tb_test_put_value(FILE *f, double wall, int64_t step, const char *tag, const char *plugin,
		       const void *content, size_t content_len, const tb_test_tensor *t)
{
	tb_pb_buf b = {0};
	tb_pb_put_double(&b, 1, wall);
	tb_pb_put_int64(&b, 2, step);
	size_t summary = tb_pb_begin(&b, 5);
	size_t value = tb_pb_begin(&b, 1);
	tb_pb_put_string(&b, 1, tag);
	if (t) {
		size_t tensor = tb_pb_begin(&b, 8);
		tb_test_put_tensor(&b, t);
		tb_pb_end(&b, tensor);
	}
	size_t meta = tb_pb_begin(&b, 9);
	size_t pd = tb_pb_begin(&b, 1);
	tb_pb_put_string(&b, 1, plugin);
	if (content_len)
		tb_pb_put_bytes(&b, 2, content, content_len);
	tb_pb_end(&b, pd);
	tb_pb_end(&b, meta);
	tb_pb_end(&b, value);
	tb_pb_end(&b, summary);
	tb_test_emit(f, &b);
	tb_pb_buf_free(&b);
}

int tb_test_count_fds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 2;
}
