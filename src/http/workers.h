/* A fixed pool of threads that runs request handlers off the I/O threads.
 *
 * Two queues: urgent jobs (cheap listings) are always taken before the
 * others, so a short request never waits behind a queue of expensive ones.
 * The queue is bounded; a full queue refuses new work instead of growing,
 * and the server answers such a request with 429. */
#ifndef TB_WORKERS_H
#define TB_WORKERS_H

#include <stddef.h>

typedef struct tb_workers tb_workers;

/* A job. `cancelled` is 1 when the pool is shutting down before the job
 * ran: the job must then finish at once (answer 503, release). */
typedef void (*tb_work_fn)(int cancelled, void *payload);

/* Start `threads` threads (at least 1) with room for max_queued waiting
 * jobs. Returns 0 or TB_EIO when a thread cannot start. */
int tb_workers_new(tb_workers **out, int threads, size_t max_queued);
/* Queue fn(0, payload). Returns 0, or TB_EINVAL when the queue is full or
 * the pool is stopping (fn is then not called). Thread-safe. */
int tb_workers_submit(tb_workers *w, int urgent, tb_work_fn fn, void *payload);
/* Jobs waiting to run (a snapshot). Thread-safe. */
size_t tb_workers_queued(tb_workers *w);
/* Stop: jobs still queued run with cancelled = 1, running ones finish,
 * threads are joined. NULL is a no-op. */
void tb_workers_free(tb_workers *w);

#endif
