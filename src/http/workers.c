/* Worker pool for request handlers (see workers.h).
 *
 * One mutex guards both queues and the stop flag; jobs are singly linked
 * nodes allocated at submit. The pool is small (a few threads per core) and
 * jobs are whole requests, so the lock is never hot. */
#include "workers.h"

#include <pthread.h>
#include <stdlib.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/log.h"
#include "common/sync.h"

typedef struct job {
	struct job *next;
	tb_work_fn fn;
	void *payload;
} job;

typedef struct queue {
	job *head, *tail;
} queue;

struct tb_workers {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	queue q[2];	   /* mu: [0] urgent, [1] the rest */
	size_t queued;	   /* mu: jobs in both queues */
	size_t max_queued; /* fixed */
	int stopping;	   /* mu */
	pthread_t *threads;
	int n_threads;
};

static job *pop(tb_workers *w)
{
	for (int i = 0; i < 2; i++) {
		job *j = w->q[i].head;
		if (!j)
			continue;
		w->q[i].head = j->next;
		if (!w->q[i].head)
			w->q[i].tail = NULL;
		w->queued--;
		return j;
	}
	return NULL;
}

static void *run(void *arg)
{
	tb_workers *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		job *j = pop(w);
		if (!j) {
			if (w->stopping)
				break;
			pthread_cond_wait(&w->cv, &w->mu);
			continue;
		}
		int cancelled = w->stopping;
		pthread_mutex_unlock(&w->mu);
		j->fn(cancelled, j->payload);
		free(j);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int tb_workers_new(tb_workers **out, int threads, size_t max_queued)
{
	*out = NULL;
	tb_workers *w = tb_xcalloc(1, sizeof *w);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->max_queued = max_queued;
	if (threads < 1)
		threads = 1;
	w->threads = tb_xcalloc((size_t)threads, sizeof *w->threads);
	for (; w->n_threads < threads; w->n_threads++) {
		if (pthread_create(&w->threads[w->n_threads], NULL, run, w) != 0) {
			tb_log_error("http: cannot start worker thread");
			tb_workers_free(w);
			return TB_EIO;
		}
	}
	*out = w;
	return TB_OK;
}

int tb_workers_submit(tb_workers *w, int urgent, tb_work_fn fn, void *payload)
{
	int rc = TB_OK;
	pthread_mutex_lock(&w->mu);
	if (w->stopping || w->queued >= w->max_queued) {
		rc = TB_EINVAL;
		goto out;
	}
	job *j = tb_xmalloc(sizeof *j);
	*j = (job){NULL, fn, payload};
	queue *q = &w->q[urgent ? 0 : 1];
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	w->queued++;
	pthread_cond_signal(&w->cv);
out:
	pthread_mutex_unlock(&w->mu);
	return rc;
}

size_t tb_workers_queued(tb_workers *w)
{
	return tb_sync_read(&w->mu, &w->queued);
}

void tb_workers_free(tb_workers *w)
{
	if (!w)
		return;
	tb_sync_raise(&w->mu, &w->cv, &w->stopping);
	for (int i = 0; i < w->n_threads; i++)
		pthread_join(w->threads[i], NULL);
	free(w->threads);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
