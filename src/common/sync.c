/* Reading a guarded counter and raising a guarded flag (sync.h). */
#include "common/sync.h"

size_t tb_sync_read(pthread_mutex_t *mu, const size_t *v)
{
	pthread_mutex_lock(mu);
	size_t n = *v;
	pthread_mutex_unlock(mu);
	return n;
}

void tb_sync_raise(pthread_mutex_t *mu, pthread_cond_t *cv, int *flag)
{
	pthread_mutex_lock(mu);
	*flag = 1;
	pthread_cond_broadcast(cv);
	pthread_mutex_unlock(mu);
}
