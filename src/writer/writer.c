/* libtboard's event file writer (include/tboard/writer.h; spec FORMAT.md 14).
 *
 * Invariant: `pending` holds whole framed records that have not reached the
 * file yet, except after a failed write, when it starts with the unwritten
 * tail of a record whose head is already on disk; either way its bytes go
 * out in order and nothing is ever written twice. Events are encoded
 * straight into `pending` behind a reserved header, then framed in place,
 * so adding a scalar costs one encode, one CRC and no allocation once the
 * buffer has grown. Tuned for many small scalar events from one or a few
 * threads; a single mutex serialises everything.
 *
 * The other summary kinds (summaries.c, embedding.c) come in through
 * tb_writer__emit_values, which frames any list of Summary.Values the same
 * way. The writer also owns the runs add_scalars creates (closed with it),
 * the tag descriptions that go into metadata, and the projector config
 * text. */
#include "tboard/version.h"
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
#include "writer/writer_int.h"
#include "common/chars.h"
#include "common/hash.h"

#define WRITER_ID "tboard"
#define DEFAULT_FLUSH_SECS 120.0
#define DEFAULT_MAX_QUEUE 10
#define ERRMSG_SIZE 512
#define OPEN_ATTEMPTS 100

/* Tags that already carried SummaryMetadata in this file. */
typedef struct tag_set {
	char **tags; /* owned copies, in order of first use */
	size_t n, alloc;
	tb_idxset index; /* tag hash -> tags[] */
} tag_set;

/* A run written by add_scalars, owned by its parent writer. */
typedef struct sub_run {
	char *name; /* "<main_tag>_<key>" */
	tb_writer *w;
} sub_run;

/* A description set by tb_writer_set_description. */
typedef struct tag_desc {
	char *tag, *text;
} tag_desc;

struct tb_writer {
	pthread_mutex_t mu;
	int fd;			  /* mu */
	char *path;		  /* immutable after open */
	int encoding;		  /* immutable: TB_SCALAR_* */
	double flush_secs;	  /* immutable */
	size_t max_queue;	  /* immutable */
	tb_pb_buf pending;	  /* mu: framed records not yet written */
	size_t queued;		  /* mu: events added since the last full write */
	double last_write;	  /* mu: monotonic seconds of the last write */
	tag_set tags;		  /* mu */
	char errmsg[ERRMSG_SIZE]; /* mu */
	char *logdir;		  /* immutable: without trailing '/' */
	char *suffix;		  /* immutable: filename_suffix, never NULL */
	sub_run *subs;		  /* mu: add_scalars runs, owned */
	size_t n_subs;		  /* mu */
	tag_desc *descs;	  /* mu: tag descriptions, owned */
	size_t n_descs;		  /* mu */
	char *projector;	  /* mu: projector_config.pbtxt so far, owned */
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
/* The slot holding tag, or the empty slot where it would go. cap > 0. */
static int tag_seen(const tag_set *t, const char *tag, size_t n)
{
	size_t pos = 0, k;
	uint64_t h = tb_hash_bytes(TB_HASH_SEED, tag, n);
	while ((k = tb_idxset_next(&t->index, h, &pos)))
		if (strncmp(t->tags[k - 1], tag, n) == 0 && t->tags[k - 1][n] == '\0')
			return 1;
	return 0;
}

static int tag_add(tag_set *t, const char *tag, size_t n)
{
	if (t->n == t->alloc) {
		size_t alloc = t->alloc ? t->alloc * 2 : 16;
		char **tags = realloc(t->tags, alloc * sizeof *tags);
		if (!tags)
			return TB_ENOMEM;
		t->tags = tags;
		t->alloc = alloc;
	}
	char *copy = malloc(n + 1);
	if (!copy)
		return TB_ENOMEM;
	memcpy(copy, tag, n);
	copy[n] = '\0';
	if (tb_idxset_add(&t->index, tb_hash_bytes(TB_HASH_SEED, tag, n), t->n) != 0) {
		free(copy);
		return TB_ENOMEM;
	}
	t->tags[t->n++] = copy;
	return TB_OK;
}

static void tag_set_free(tag_set *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->tags[i]);
	free(t->tags);
	tb_idxset_free(&t->index);
	memset(t, 0, sizeof *t);
}

/* Free w and what it owns; its file is closed and its mutex destroyed. */
static void writer_free(tb_writer *w)
{
	tb_pb_buf_free(&w->pending);
	tag_set_free(&w->tags);
	free(w->path);
	free(w->logdir);
	free(w->suffix);
	free(w);
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
		snprintf(path, (size_t)len + 1, "%s%sevents.out.tfevents.%010ld.%s.%ld.%lu%s",
			 logdir, sep, secs, host, (long)getpid(), n, suffix);
		do {
			w->fd =
			    open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
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
	w->flush_secs =
	    o.flush_secs > 0 && !isnan(o.flush_secs) ? o.flush_secs : DEFAULT_FLUSH_SECS;
	w->max_queue = o.max_queue > 0 ? (size_t)o.max_queue : DEFAULT_MAX_QUEUE;
	tb_pb_buf_init(&w->pending);
	if (pthread_mutex_init(&w->mu, NULL) != 0) {
		set_msg(open_errmsg, "cannot create a mutex");
		rc = TB_ENOMEM;
		goto out;
	}
	mutex_ok = 1;
	w->logdir = strdup(logdir);
	w->suffix = strdup(o.filename_suffix);
	if (!w->logdir || !w->suffix) {
		set_msg(open_errmsg, "out of memory");
		rc = TB_ENOMEM;
		goto out;
	}
	for (size_t n = strlen(w->logdir); n > 1 && w->logdir[n - 1] == '/'; n--)
		w->logdir[n - 1] = '\0';
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
		writer_free(w);
	}
	return rc;
}

/* The description of tag, or NULL. Called with mu held. */
static const char *find_desc(const tb_writer *w, const char *tag)
{
	for (size_t i = 0; i < w->n_descs; i++)
		if (strcmp(w->descs[i].tag, tag) == 0)
			return w->descs[i].text;
	return NULL;
}

#define TB_DT_FLOAT_CODE 1
#define TB_DT_DOUBLE_CODE 2

static int add_scalar_tensor(tb_writer *w, const char *tag, int dtype, double value, int64_t step,
			     double wall_time);

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
	if (!tb_utf8_valid(tag, tag_len)) {
		set_msg(w->errmsg, "tag is not valid UTF-8");
		rc = TB_EINVAL;
		goto out;
	}
	if (!(wall_time > 0) || !isfinite(wall_time))
		wall_time = now_realtime();
	if (w->n_descs && find_desc(w, tag)) {
		pthread_mutex_unlock(&w->mu);
		return add_scalar_tensor(w, tag, TB_DT_FLOAT_CODE, value, step, wall_time);
	}
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
	for (size_t i = 0; i < w->n_subs; i++) {
		int r = tb_writer_flush(w->subs[i].w);
		if (r != TB_OK && rc == TB_OK) {
			memcpy(w->errmsg, w->subs[i].w->errmsg, ERRMSG_SIZE);
			rc = r;
		}
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int tb_writer_close(tb_writer *w)
{
	int rc = TB_OK;

	if (!w)
		return TB_OK;
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < w->n_subs; i++) {
		int r = tb_writer_close(w->subs[i].w);
		if (r != TB_OK && rc == TB_OK)
			rc = r;
		free(w->subs[i].name);
	}
	free(w->subs);
	for (size_t i = 0; i < w->n_descs; i++) {
		free(w->descs[i].tag);
		free(w->descs[i].text);
	}
	free(w->descs);
	free(w->projector);
	{
		int r = write_pending(w);
		if (rc == TB_OK)
			rc = r;
	}
	if (fsync(w->fd) != 0 && errno != EINVAL && errno != EROFS && rc == TB_OK)
		rc = TB_EIO;
	if (close(w->fd) != 0 && errno != EINTR && rc == TB_OK)
		rc = TB_EIO;
	pthread_mutex_unlock(&w->mu);
	pthread_mutex_destroy(&w->mu);
	writer_free(w);
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

/* --- generic values, shared with summaries.c and embedding.c --- */

/* Event fields and the Summary.Value / SummaryMetadata fields used here. */
#define F_WALL_TIME 1
#define F_STEP 2
#define F_SUMMARY 5
#define F_SUMMARY_VALUE 1
#define F_VALUE_TAG 1
#define F_VALUE_TENSOR 8
#define F_VALUE_METADATA 9
#define F_META_PLUGIN_DATA 1
#define F_META_DESCRIPTION 3
#define F_PLUGIN_NAME 1
#define F_PLUGIN_CONTENT 2

static void put_event_head(tb_pb_buf *b, double wall_time, int64_t step)
{
	tb_pb_put_double(b, F_WALL_TIME, wall_time);
	if (step != 0)
		tb_pb_put_int64(b, F_STEP, step);
}

/* Queue the event built by put_body. Called with mu held. */
static int queue_framed(tb_writer *w, size_t start)
{
	int rc = frame_finish(w, start);
	if (rc < 0) {
		set_msg(w->errmsg, "out of memory");
		return rc;
	}
	w->queued++;
	if (w->queued >= w->max_queue || now_monotonic() - w->last_write >= w->flush_secs)
		return write_pending(w);
	return TB_OK;
}

/* Lock w and start an event at wall_time (now, unless a positive finite
 * time) and step in pending; returns where its frame starts. */
static size_t event_begin(tb_writer *w, double wall_time, int64_t step)
{
	size_t start;
	if (!(wall_time > 0) || !isfinite(wall_time))
		wall_time = now_realtime();
	pthread_mutex_lock(&w->mu);
	frame_begin(w, &start);
	put_event_head(&w->pending, wall_time, step);
	return start;
}

/* Queue the event begun at start and unlock w. */
static int event_end(tb_writer *w, size_t start)
{
	int rc = queue_framed(w, start);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int tb_writer__emit_values(tb_writer *w, double wall_time, int64_t step, const tb_wvalue *v,
			   size_t n)
{
	size_t start = event_begin(w, wall_time, step);
	size_t summary = tb_pb_begin(&w->pending, F_SUMMARY);
	for (size_t i = 0; i < n; i++) {
		size_t val = tb_pb_begin(&w->pending, F_SUMMARY_VALUE);
		const char *desc = w->n_descs ? find_desc(w, v[i].tag) : NULL;
		tb_pb_put_string(&w->pending, F_VALUE_TAG, v[i].tag);
		if (v[i].tensor)
			tb_pb_put_bytes(&w->pending, F_VALUE_TENSOR, v[i].tensor, v[i].tensor_len);
		if (v[i].plugin) {
			size_t meta = tb_pb_begin(&w->pending, F_VALUE_METADATA);
			size_t plugin = tb_pb_begin(&w->pending, F_META_PLUGIN_DATA);
			tb_pb_put_string(&w->pending, F_PLUGIN_NAME, v[i].plugin);
			if (v[i].content_len)
				tb_pb_put_bytes(&w->pending, F_PLUGIN_CONTENT, v[i].content,
						v[i].content_len);
			tb_pb_end(&w->pending, plugin);
			if (desc)
				tb_pb_put_string(&w->pending, F_META_DESCRIPTION, desc);
			tb_pb_end(&w->pending, meta);
		}
		tb_pb_end(&w->pending, val);
	}
	tb_pb_end(&w->pending, summary);
	return event_end(w, start);
}

int tb_writer__emit_field(tb_writer *w, double wall_time, int64_t step, uint32_t field,
			  const void *bytes, size_t len)
{
	size_t start = event_begin(w, wall_time, step);
	tb_pb_put_bytes(&w->pending, field, bytes, len);
	return event_end(w, start);
}

int tb_writer__fail(tb_writer *w, int rc, const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&w->mu);
	va_start(ap, fmt);
	vsnprintf(w->errmsg, ERRMSG_SIZE, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int tb_writer__check_tag(tb_writer *w, const char *tag)
{
	if (!tag || !tag[0])
		return tb_writer__fail(w, TB_EINVAL, "tag must be a non-empty string");
	if (!tb_utf8_valid(tag, strlen(tag)))
		return tb_writer__fail(w, TB_EINVAL, "tag is not valid UTF-8");
	return TB_OK;
}

int tb_writer__utf8(const void *s, size_t n)
{
	return tb_utf8_valid(s, n);
}

const char *tb_writer__logdir(const tb_writer *w)
{
	return w->logdir;
}

void tb_writer__lock(tb_writer *w)
{
	pthread_mutex_lock(&w->mu);
}

void tb_writer__unlock(tb_writer *w)
{
	pthread_mutex_unlock(&w->mu);
}

char **tb_writer__projector_text_locked(tb_writer *w)
{
	return &w->projector;
}

double tb_writer__now(void)
{
	return now_realtime();
}

/* The options w was opened with, for the runs it creates. */
static void child_opts(tb_writer_opts *o, const tb_writer *w)
{
	tb_writer_opts_init(o);
	o->filename_suffix = w->suffix;
	o->flush_secs = w->flush_secs;
	o->max_queue = w->max_queue > INT32_MAX ? INT32_MAX : (int)w->max_queue;
	o->scalar_encoding = w->encoding;
}

int tb_writer__open_like(tb_writer **out, tb_writer *w, const char *path)
{
	tb_writer_opts o;
	int rc;

	child_opts(&o, w);
	rc = tb_writer_open(out, path, &o);
	if (rc != TB_OK)
		tb_writer__fail(w, rc, "%s", tb_writer_errmsg(NULL));
	return rc;
}

/* A rank-0 DT_FLOAT (tensor_content, as the fast path writes it) or
 * DT_DOUBLE (double_val, as PyTorch writes it) scalar with metadata. */
static int add_scalar_tensor(tb_writer *w, const char *tag, int dtype, double value, int64_t step,
			     double wall_time)
{
	uint8_t tensor[16];
	size_t len = 0;
	tb_wvalue v = {tag, tensor, 0, "scalars", NULL, 0};

	tensor[len++] = 0x08; /* dtype */
	tensor[len++] = (uint8_t)dtype;
	tensor[len++] = 0x12; /* tensor_shape {} */
	tensor[len++] = 0x00;
	if (dtype == TB_DT_DOUBLE_CODE) {
		uint64_t bits;
		memcpy(&bits, &value, sizeof bits);
		tensor[len++] = 0x32; /* double_val, packed */
		tensor[len++] = 8;
		for (int i = 0; i < 8; i++)
			tensor[len++] = (uint8_t)(bits >> (8 * i));
	} else {
		float f = to_float(value);
		uint32_t bits;
		memcpy(&bits, &f, sizeof bits);
		tensor[len++] = 0x22; /* tensor_content */
		tensor[len++] = 4;
		for (int i = 0; i < 4; i++)
			tensor[len++] = (uint8_t)(bits >> (8 * i));
	}
	v.tensor_len = len;
	return tb_writer__emit_values(w, wall_time, step, &v, 1);
}

int tb_writer_add_scalar_double(tb_writer *w, const char *tag, double value, int64_t step,
				double wall_time)
{
	int rc;
	if (!w)
		return TB_EINVAL;
	if ((rc = tb_writer__check_tag(w, tag)) != TB_OK)
		return rc;
	return add_scalar_tensor(w, tag, TB_DT_DOUBLE_CODE, value, step, wall_time);
}

/* The add_scalars run called name, created on first use. Called with mu
 * held. */
static int sub_run_get(tb_writer **out, tb_writer *w, const char *name)
{
	sub_run *grown;
	char *path, *copy;
	tb_writer *child;
	tb_writer_opts o;
	int rc;

	for (size_t i = 0; i < w->n_subs; i++)
		if (strcmp(w->subs[i].name, name) == 0) {
			*out = w->subs[i].w;
			return TB_OK;
		}
	path = malloc(strlen(w->logdir) + strlen(name) + 2);
	copy = strdup(name);
	grown = realloc(w->subs, (w->n_subs + 1) * sizeof *grown);
	if (grown)
		w->subs = grown;
	if (!path || !copy || !grown) {
		free(path);
		free(copy);
		set_msg(w->errmsg, "out of memory");
		return TB_ENOMEM;
	}
	sprintf(path, "%s/%s", w->logdir, name);
	child_opts(&o, w);
	rc = tb_writer_open(&child, path, &o);
	free(path);
	if (rc != TB_OK) {
		set_msg(w->errmsg, "%s", tb_writer_errmsg(NULL));
		free(copy);
		return rc;
	}
	w->subs[w->n_subs].name = copy;
	w->subs[w->n_subs].w = child;
	w->n_subs++;
	*out = child;
	return TB_OK;
}

int tb_writer_add_scalars(tb_writer *w, const char *main_tag, const char *const *keys,
			  const double *values, size_t n, int64_t step, double wall_time)
{
	int rc;
	size_t tag_len;

	if (!w)
		return TB_EINVAL;
	if ((rc = tb_writer__check_tag(w, main_tag)) != TB_OK)
		return rc;
	if (!keys || !values || n == 0)
		return tb_writer__fail(w, TB_EINVAL,
				       "keys and values must hold at least one scalar");
	for (size_t i = 0; i < n; i++)
		if (!keys[i] || !keys[i][0] || strchr(keys[i], '/') ||
		    !tb_utf8_valid(keys[i], strlen(keys[i])) || strcmp(keys[i], ".") == 0 ||
		    strcmp(keys[i], "..") == 0)
			return tb_writer__fail(
			    w, TB_EINVAL, "key %zu must be a non-empty UTF-8 name without '/'", i);
	if (!(wall_time > 0) || !isfinite(wall_time))
		wall_time = now_realtime();
	tag_len = strlen(main_tag);
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < n && rc == TB_OK; i++) {
		size_t klen = strlen(keys[i]);
		char *name = malloc(tag_len + klen + 2);
		tb_writer *child = NULL;
		if (!name) {
			set_msg(w->errmsg, "out of memory");
			rc = TB_ENOMEM;
			break;
		}
		memcpy(name, main_tag, tag_len);
		for (size_t j = 0; j < tag_len; j++)
			if (name[j] == '/')
				name[j] = '_';
		name[tag_len] = '_';
		memcpy(name + tag_len + 1, keys[i], klen + 1);
		rc = sub_run_get(&child, w, name);
		free(name);
		if (rc == TB_OK && (rc = tb_writer_add_scalar(child, main_tag, values[i], step,
							      wall_time)) != TB_OK)
			memcpy(w->errmsg, child->errmsg, ERRMSG_SIZE);
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int tb_writer_set_description(tb_writer *w, const char *tag, const char *markdown)
{
	int rc;
	size_t i;

	if (!w)
		return TB_EINVAL;
	if ((rc = tb_writer__check_tag(w, tag)) != TB_OK)
		return rc;
	if (markdown && !tb_utf8_valid(markdown, strlen(markdown)))
		return tb_writer__fail(w, TB_EINVAL, "description is not valid UTF-8");
	pthread_mutex_lock(&w->mu);
	for (i = 0; i < w->n_descs; i++)
		if (strcmp(w->descs[i].tag, tag) == 0)
			break;
	if (!markdown || !markdown[0]) {
		if (i < w->n_descs) {
			free(w->descs[i].tag);
			free(w->descs[i].text);
			w->descs[i] = w->descs[--w->n_descs];
		}
	} else {
		char *text = strdup(markdown);
		char *copy = i < w->n_descs ? NULL : strdup(tag);
		tag_desc *grown =
		    i < w->n_descs ? w->descs : realloc(w->descs, (w->n_descs + 1) * sizeof *grown);
		if (grown)
			w->descs = grown;
		if (!text || !grown || (i == w->n_descs && !copy)) {
			free(text);
			free(copy);
			set_msg(w->errmsg, "out of memory");
			rc = TB_ENOMEM;
		} else if (i < w->n_descs) {
			free(w->descs[i].text);
			w->descs[i].text = text;
		} else {
			w->descs[i].tag = copy;
			w->descs[i].text = text;
			w->n_descs++;
		}
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

const char *tb_version(void)
{
	return TB_VERSION_STRING;
}
