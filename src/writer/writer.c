/* libtboard's event file writer (include/tboard/writer.h; spec FORMAT.md 14).
 *
 * Invariant: `pending` holds whole framed records that have not reached the
 * file yet, except after a failed write, when it starts with the unwritten
 * tail of a record whose head is already on disk; either way its bytes go
 * out in order and nothing is ever written twice. Events are encoded
 * straight into `pending` behind a reserved header, then framed in place,
 * so adding a scalar costs one encode, one CRC and no allocation once the
 * buffer has grown. Tuned for many small scalar events from one or a few
 * threads; a single mutex serialises everything. */
#include "tboard/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "proto/event_encode.h"
#include "proto/pb_encode.h"
#include "record/rec_writer.h"

#define WRITER_ID "tboard"
#define DEFAULT_FLUSH_SECS 120.0
#define DEFAULT_MAX_QUEUE 10
#define ERRMSG_SIZE 512
#define OPEN_ATTEMPTS 100

/* Tags that already carried SummaryMetadata in this file: an open-addressed
 * hash set of owned strings. */
typedef struct tag_set {
	char **slot;  /* cap entries, NULL = empty */
	size_t cap;   /* power of two, or 0 */
	size_t count;
} tag_set;

struct tb_writer {
	pthread_mutex_t mu;
	int fd;              /* mu */
	char *path;          /* immutable after open */
	int encoding;        /* immutable: TB_SCALAR_* */
	double flush_secs;   /* immutable */
	size_t max_queue;    /* immutable */
	tb_pb_buf pending;   /* mu: framed records not yet written */
	size_t queued;       /* mu: events added since the last full write */
	double last_write;   /* mu: monotonic seconds of the last write */
	tag_set tags;        /* mu */
	char errmsg[ERRMSG_SIZE]; /* mu */
};

static atomic_ulong file_counter;
static _Thread_local char open_errmsg[ERRMSG_SIZE];

static void set_msg(char *dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_msg(char *dst, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst, ERRMSG_SIZE, fmt, ap);
	va_end(ap);
}

static double now_realtime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* For the flush timer only, so a coarse clock will do: it is read on every
 * add and the coarse one costs a fraction of the precise one. */
static double now_monotonic(void)
{
	struct timespec ts;
#ifdef CLOCK_MONOTONIC_COARSE
	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0)
#endif
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* FNV-1a; tags are short, so this is cheap and spreads well enough. */
static uint64_t hash_tag(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* The slot holding tag, or the empty slot where it would go. cap > 0. */
static size_t tag_slot(const tag_set *t, const char *tag, size_t n)
{
	size_t i = (size_t)hash_tag(tag, n) & (t->cap - 1);
	while (t->slot[i] && !(strncmp(t->slot[i], tag, n) == 0 && t->slot[i][n] == '\0'))
		i = (i + 1) & (t->cap - 1);
	return i;
}

static int tag_seen(const tag_set *t, const char *tag, size_t n)
{
	return t->cap && t->slot[tag_slot(t, tag, n)] != NULL;
}

static int tag_add(tag_set *t, const char *tag, size_t n)
{
	char *copy;

	if ((t->count + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		tag_set grown = {calloc(cap, sizeof(char *)), cap, t->count};
		if (!grown.slot)
			return TB_ENOMEM;
		for (size_t i = 0; i < t->cap; i++)
			if (t->slot[i])
				grown.slot[tag_slot(&grown, t->slot[i], strlen(t->slot[i]))] = t->slot[i];
		free(t->slot);
		*t = grown;
	}
	copy = malloc(n + 1);
	if (!copy)
		return TB_ENOMEM;
	memcpy(copy, tag, n);
	copy[n] = '\0';
	t->slot[tag_slot(t, tag, n)] = copy;
	t->count++;
	return TB_OK;
}

static void tag_set_free(tag_set *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slot[i]);
	free(t->slot);
	t->slot = NULL;
	t->cap = t->count = 0;
}

/* Strict UTF-8 as protobuf requires for proto3 strings: no overlongs, no
 * surrogates, nothing above U+10FFFF. */
static int valid_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		size_t k;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			k = 1, cp = c & 0x1F, min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			k = 2, cp = c & 0x0F, min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			k = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (n - i <= k)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + j] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += k + 1;
	}
	return 1;
}

/* Write all of pending to the file. On failure keep what was not written
 * and return TB_EIO with a message. Called with mu held. */
static int write_pending(tb_writer *w)
{
	const uint8_t *p = w->pending.data;
	size_t left = w->pending.len;

	while (left > 0) {
		ssize_t n = write(w->fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			memmove(w->pending.data, p, left);
			tb_pb_buf_truncate(&w->pending, left);
			set_msg(w->errmsg, "write %s: %s", w->path, strerror(e));
			return TB_EIO;
		}
		p += n;
		left -= (size_t)n;
	}
	tb_pb_buf_truncate(&w->pending, 0);
	w->queued = 0;
	w->last_write = now_monotonic();
	return TB_OK;
}

/* An event is framed in place: frame_begin reserves the record header in
 * pending, the caller appends the Event, frame_finish fills in header and
 * footer. Called with mu held. On TB_ENOMEM pending is as it was. */
static int frame_begin(tb_writer *w, size_t *start)
{
	static const uint8_t zeros[TB_REC_HEADER_SIZE];
	*start = w->pending.len;
	return tb_pb_put_raw(&w->pending, zeros, sizeof zeros);
}

static int frame_finish(tb_writer *w, size_t start)
{
	uint8_t *rec;
	size_t len;

	if (w->pending.err || tb_pb_buf_reserve(&w->pending, TB_REC_FOOTER_SIZE)) {
		tb_pb_buf_truncate(&w->pending, start);
		return TB_ENOMEM;
	}
	rec = w->pending.data + start;
	len = w->pending.len - start - TB_REC_HEADER_SIZE;
	tb_rec_header(rec, len);
	tb_rec_footer(rec + TB_REC_HEADER_SIZE + len, rec + TB_REC_HEADER_SIZE, len);
	w->pending.len += TB_REC_FOOTER_SIZE;
	return TB_OK;
}

/* mkdir -p. Returns TB_OK, or TB_EIO with a message in open_errmsg. */
static int make_dirs(const char *dir)
{
	size_t n = strlen(dir);
	char *p = malloc(n + 1);
	struct stat st;
	int rc = TB_OK;

	if (!p) {
		set_msg(open_errmsg, "out of memory");
		return TB_ENOMEM;
	}
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		if (p[i - 1] == '/')
			continue; /* "a//b" */
		p[i] = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			set_msg(open_errmsg, "create directory %s: %s", p, strerror(errno));
			rc = TB_EIO;
			goto out;
		}
		p[i] = i < n ? '/' : '\0';
	}
	if (stat(dir, &st) != 0) {
		set_msg(open_errmsg, "log directory %s: %s", dir, strerror(errno));
		rc = TB_EIO;
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		set_msg(open_errmsg, "log directory %s: %s", dir, strerror(ENOTDIR));
		rc = TB_EIO;
	}
out:
	free(p);
	return rc;
}

static void host_name(char *out, size_t size)
{
	if (gethostname(out, size) != 0 || out[0] == '\0')
		snprintf(out, size, "localhost");
	out[size - 1] = '\0';
	for (char *c = out; *c; c++)
		if (*c == '/')
			*c = '_';
}

/* Create the event file under a fresh name. Sets w->fd and w->path. */
static int create_file(tb_writer *w, const char *logdir, const char *suffix)
{
	char host[256];
	const char *sep = logdir[strlen(logdir) - 1] == '/' ? "" : "/";
	long secs = (long)time(NULL);

	host_name(host, sizeof host);
	for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
		unsigned long n = atomic_fetch_add(&file_counter, 1);
		int len = snprintf(NULL, 0, "%s%sevents.out.tfevents.%010ld.%s.%ld.%lu%s", logdir,
				   sep, secs, host, (long)getpid(), n, suffix);
		char *path;
		if (len < 0) {
			set_msg(open_errmsg, "cannot format the file name");
			return TB_EINVAL;
		}
		path = malloc((size_t)len + 1);
		if (!path) {
			set_msg(open_errmsg, "out of memory");
			return TB_ENOMEM;
		}
		snprintf(path, (size_t)len + 1, "%s%sevents.out.tfevents.%010ld.%s.%ld.%lu%s", logdir,
			 sep, secs, host, (long)getpid(), n, suffix);
		do {
			w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
		} while (w->fd < 0 && errno == EINTR);
		if (w->fd >= 0) {
			w->path = path;
			return TB_OK;
		}
		if (errno != EEXIST) {
			set_msg(open_errmsg, "create %s: %s", path, strerror(errno));
			free(path);
			return TB_EIO;
		}
		free(path); /* a file from an earlier process with our pid: next counter */
	}
	set_msg(open_errmsg, "no free event file name in %s", logdir);
	return TB_EIO;
}

void tb_writer_opts_init(tb_writer_opts *opts)
{
	opts->filename_suffix = NULL;
	opts->flush_secs = DEFAULT_FLUSH_SECS;
	opts->max_queue = DEFAULT_MAX_QUEUE;
	opts->scalar_encoding = TB_SCALAR_TENSOR;
}

int tb_writer_open(tb_writer **out, const char *logdir, const tb_writer_opts *opts)
{
	tb_writer_opts o;
	tb_writer *w = NULL;
	int rc, mutex_ok = 0;
	size_t start;

	open_errmsg[0] = '\0';
	if (out)
		*out = NULL;
	if (!out || !logdir || !logdir[0]) {
		set_msg(open_errmsg, "out and logdir must be given");
		rc = TB_EINVAL;
		goto out;
	}
	tb_writer_opts_init(&o);
	if (opts)
		o = *opts;
	if (!o.filename_suffix)
		o.filename_suffix = "";
	if (strchr(o.filename_suffix, '/')) {
		set_msg(open_errmsg, "filename_suffix must not contain '/'");
		rc = TB_EINVAL;
		goto out;
	}
	if (o.scalar_encoding != TB_SCALAR_TENSOR && o.scalar_encoding != TB_SCALAR_SIMPLE_VALUE) {
		set_msg(open_errmsg, "unknown scalar_encoding %d", o.scalar_encoding);
		rc = TB_EINVAL;
		goto out;
	}
	w = calloc(1, sizeof *w);
	if (!w) {
		set_msg(open_errmsg, "out of memory");
		rc = TB_ENOMEM;
		goto out;
	}
	w->fd = -1;
	w->encoding = o.scalar_encoding;
	w->flush_secs = o.flush_secs > 0 && !isnan(o.flush_secs) ? o.flush_secs : DEFAULT_FLUSH_SECS;
	w->max_queue = o.max_queue > 0 ? (size_t)o.max_queue : DEFAULT_MAX_QUEUE;
	tb_pb_buf_init(&w->pending);
	if (pthread_mutex_init(&w->mu, NULL) != 0) {
		set_msg(open_errmsg, "cannot create a mutex");
		rc = TB_ENOMEM;
		goto out;
	}
	mutex_ok = 1;
	if ((rc = make_dirs(logdir)) < 0 || (rc = create_file(w, logdir, o.filename_suffix)) < 0)
		goto out;

	frame_begin(w, &start);
	tb_event_encode_file_version(&w->pending, now_realtime(), WRITER_ID);
	if ((rc = frame_finish(w, start)) < 0) {
		set_msg(open_errmsg, "out of memory");
		goto out;
	}
	if ((rc = write_pending(w)) < 0) {
		memcpy(open_errmsg, w->errmsg, ERRMSG_SIZE);
		goto out;
	}
	*out = w;
	w = NULL;
out:
	if (w) {
		if (w->fd >= 0) {
			close(w->fd);
			unlink(w->path); /* it holds no complete record */
		}
		if (mutex_ok)
			pthread_mutex_destroy(&w->mu);
		tb_pb_buf_free(&w->pending);
		free(w->path);
		free(w);
	}
	return rc;
}

/* Round to float without undefined behaviour for finite doubles beyond
 * float's range (C11 6.3.1.5). */
static float to_float(double v)
{
	if (isfinite(v) && fabs(v) > FLT_MAX)
		return v > 0 ? INFINITY : -INFINITY;
	return (float)v;
}

int tb_writer_add_scalar(tb_writer *w, const char *tag, double value, int64_t step,
			 double wall_time)
{
	size_t tag_len, start;
	unsigned flags = 0;
	int rc = TB_OK;

	if (!w)
		return TB_EINVAL;
	pthread_mutex_lock(&w->mu);
	if (!tag || !tag[0]) {
		set_msg(w->errmsg, "tag must be a non-empty string");
		rc = TB_EINVAL;
		goto out;
	}
	tag_len = strlen(tag);
	if (!valid_utf8((const uint8_t *)tag, tag_len)) {
		set_msg(w->errmsg, "tag is not valid UTF-8");
		rc = TB_EINVAL;
		goto out;
	}
	if (!(wall_time > 0) || !isfinite(wall_time))
		wall_time = now_realtime();
	if (w->encoding == TB_SCALAR_SIMPLE_VALUE)
		flags |= TB_EVENT_SIMPLE_VALUE;
	else if (!tag_seen(&w->tags, tag, tag_len))
		flags |= TB_EVENT_METADATA;

	frame_begin(w, &start);
	tb_event_encode_scalar(&w->pending, wall_time, step, tag, tag_len, to_float(value), flags);
	if ((rc = frame_finish(w, start)) < 0) {
		set_msg(w->errmsg, "out of memory");
		goto out;
	}
	/* If remembering the tag fails, its metadata is simply repeated on the
	 * next value, which readers accept. */
	if (flags & TB_EVENT_METADATA)
		(void)tag_add(&w->tags, tag, tag_len);
	w->queued++;
	if (w->queued >= w->max_queue || now_monotonic() - w->last_write >= w->flush_secs)
		rc = write_pending(w);
out:
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int tb_writer_flush(tb_writer *w)
{
	int rc;

	if (!w)
		return TB_EINVAL;
	pthread_mutex_lock(&w->mu);
	rc = write_pending(w);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int tb_writer_close(tb_writer *w)
{
	int rc;

	if (!w)
		return TB_OK;
	pthread_mutex_lock(&w->mu);
	rc = write_pending(w);
	if (fsync(w->fd) != 0 && errno != EINVAL && errno != EROFS && rc == TB_OK)
		rc = TB_EIO;
	if (close(w->fd) != 0 && errno != EINTR && rc == TB_OK)
		rc = TB_EIO;
	pthread_mutex_unlock(&w->mu);
	pthread_mutex_destroy(&w->mu);
	tb_pb_buf_free(&w->pending);
	tag_set_free(&w->tags);
	free(w->path);
	free(w);
	return rc;
}

const char *tb_writer_path(const tb_writer *w)
{
	return w ? w->path : NULL;
}

const char *tb_writer_errmsg(const tb_writer *w)
{
	return w ? w->errmsg : open_errmsg;
}
