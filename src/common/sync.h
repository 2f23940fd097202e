/* The two moves of a mutex-guarded object that its owner makes from outside
 * its threads: read a counter that the threads change under the mutex, and
 * raise a flag (stop, close) that they wait for on a condition variable.
 * Used by the HTTP worker pool, the request guard, the SSE hub, the answer
 * cache, the change notifier and the loader. */
#ifndef TB_SYNC_H
#define TB_SYNC_H

#include <pthread.h>
#include <stddef.h>

/* *v, read under mu. Thread-safe when every writer of *v holds mu. */
size_t tb_sync_read(pthread_mutex_t *mu, const size_t *v);

/* Set *flag to 1 under mu and wake every thread waiting on cv. */
void tb_sync_raise(pthread_mutex_t *mu, pthread_cond_t *cv, int *flag);

#endif
