/* Event streams (see http.h and sse.h).
 *
 * Each stream keeps the bytes queued for it; its content callback hands them
 * to libmicrohttpd and, when none are left, suspends the connection (the
 * only places the library allows that). tb_sse_hub_send appends to every
 * stream and resumes the suspended ones. So 100 idle streams cost 100
 * sockets and buffers, no threads. The hub lock guards every stream's
 * fields; libmicrohttpd's own locks are only ever taken inside it (suspend,
 * resume), never the other way round.
 *
 * Tuned for a few browser tabs per server and a handful of small events a
 * second. */
#include "sse.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/sync.h"
#include "fs/netlib.h"
#include "message.h"

/* A stream whose client stopped reading is ended once this much waits. */
#define MAX_PENDING ((size_t)1 << 20)

typedef struct stream {
	struct stream *prev, *next;
	tb_sse_hub *hub;
	struct MHD_Connection *conn;
	tb_buf pending; /* bytes not yet handed over, from `sent` on */
	size_t sent;
	int suspended; /* we suspended conn and have not resumed it */
	int closing;   /* end the stream once pending is out */
} stream;

struct tb_sse_hub {
	pthread_mutex_t lock;
	stream *head; /* guarded by lock */
	size_t count;
	int closed;
};

tb_sse_hub *tb_sse_hub_new(void)
{
	tb_sse_hub *h = tb_xcalloc(1, sizeof *h);
	pthread_mutex_init(&h->lock, NULL);
	return h;
}

void tb_sse_hub_free(tb_sse_hub *h)
{
	if (!h)
		return;
	/* the server is gone, so libmicrohttpd freed every stream */
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static void wake(stream *st)
{
	if (st->suspended) {
		st->suspended = 0;
		tb_mhd.resume_connection(st->conn);
	}
}

void tb_sse_hub_send(tb_sse_hub *h, const char *p, size_t n)
{
	pthread_mutex_lock(&h->lock);
	for (stream *st = h->head; st; st = st->next) {
		if (st->closing)
			continue;
		if (st->pending.len - st->sent + n > MAX_PENDING) {
			st->closing = 1; /* what is queued goes out, then the end */
		} else {
			tb_buf_append(&st->pending, p, n);
		}
		wake(st);
	}
	pthread_mutex_unlock(&h->lock);
}

size_t tb_sse_hub_streams(tb_sse_hub *h)
{
	return tb_sync_read(&h->lock, &h->count);
}

void tb_sse_hub_close(tb_sse_hub *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->closed = 1;
	for (stream *st = h->head; st; st = st->next) {
		st->closing = 1;
		wake(st);
	}
	pthread_mutex_unlock(&h->lock);
}

static ssize_t on_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	stream *st = cls;
	ssize_t ret;
	pthread_mutex_lock(&st->hub->lock);
	size_t avail = st->pending.len - st->sent;
	if (avail) {
		size_t n = avail < max ? avail : max;
		memcpy(buf, st->pending.ptr + st->sent, n);
		st->sent += n;
		if (st->sent == st->pending.len) {
			tb_buf_clear(&st->pending);
			st->sent = 0;
		}
		ret = (ssize_t)n;
	} else if (st->closing) {
		ret = MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		tb_mhd.suspend_connection(st->conn);
		st->suspended = 1;
		ret = 0;
	}
	pthread_mutex_unlock(&st->hub->lock);
	return ret;
}

static void on_free(void *cls)
{
	stream *st = cls;
	tb_sse_hub *h = st->hub;
	pthread_mutex_lock(&h->lock);
	if (st->prev)
		st->prev->next = st->next;
	else
		h->head = st->next;
	if (st->next)
		st->next->prev = st->prev;
	h->count--;
	pthread_mutex_unlock(&h->lock);
	tb_buf_free(&st->pending);
	free(st);
}

struct MHD_Response *tb_sse_open(tb_sse_hub *h, struct MHD_Connection *conn, const char *first,
				 size_t n)
{
	stream *st = tb_xcalloc(1, sizeof *st);
	st->hub = h;
	st->conn = conn;
	tb_buf_append(&st->pending, first, n);
	struct MHD_Response *m =
	    tb_mhd.create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, on_read, st, on_free);
	if (!m) {
		tb_buf_free(&st->pending);
		free(st);
		return NULL;
	}
	pthread_mutex_lock(&h->lock);
	if (h->closed) {
		st->closing = 1; /* sends `first`, then ends */
	}
	st->next = h->head;
	if (h->head)
		h->head->prev = st;
	h->head = st;
	h->count++;
	pthread_mutex_unlock(&h->lock);
	return m;
}

/* --- streamed answers (tb_resp_stream) ------------------------------------ */

typedef struct chunked {
	tb_stream_fn fn;
	void *payload;
	void (*free_fn)(void *);
	tb_buf part; /* made by fn, not yet sent from off */
	size_t off;
	int done;
} chunked;

static ssize_t on_chunk(void *cls, uint64_t pos, char *buf, size_t max)
{
	chunked *c = cls;
	(void)pos;
	while (c->off == c->part.len && !c->done) {
		tb_buf_clear(&c->part);
		c->off = 0;
		int rc = c->fn(&c->part, c->payload);
		if (rc < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		c->done = rc == 0;
	}
	if (c->off == c->part.len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	size_t n = c->part.len - c->off < max ? c->part.len - c->off : max;
	memcpy(buf, c->part.ptr + c->off, n);
	c->off += n;
	return (ssize_t)n;
}

static void on_chunked_free(void *cls)
{
	chunked *c = cls;
	if (c->free_fn)
		c->free_fn(c->payload);
	tb_buf_free(&c->part);
	free(c);
}

struct MHD_Response *tb_stream_open(tb_resp *r)
{
	chunked *c = tb_xcalloc(1, sizeof *c);
	*c = (chunked){r->stream, r->stream_payload, r->stream_free, TB_BUF_INIT, 0, 0};
	struct MHD_Response *m = tb_mhd.create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
								      on_chunk, c, on_chunked_free);
	if (!m) {
		free(c);
		return NULL;
	}
	r->stream = NULL; /* the response owns it now */
	return m;
}
