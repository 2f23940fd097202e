/* Connection guard (see guard.h).
 *
 * A doubly linked list of open connections under one mutex. The watchdog
 * wakes four times a second and walks the list; with a few thousand
 * connections that is microseconds. tb_guard_closed runs before
 * libmicrohttpd closes the socket and takes the same mutex, so the watchdog
 * never shuts down a descriptor number that has been reused. A connection
 * with unread bytes waiting is left alone: libmicrohttpd has not got to it
 * yet, and a slow client's bytes are read as soon as they arrive. */
#include "guard.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/log.h"
#include "common/sync.h"

struct tb_guard_conn {
	tb_guard_conn *prev, *next;
	int fd;
	int busy;	 /* a request is being read or served */
	int shut;	 /* the watchdog shut it down already */
	double deadline; /* monotonic seconds, when !busy */
};

struct tb_guard {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	tb_guard_conn *head; /* mu */
	int stopping;	     /* mu */
	size_t timeouts;     /* mu */
	double timeout;	     /* seconds, fixed */
	pthread_t thread;
};

static void *watch(void *arg)
{
	tb_guard *g = arg;
	pthread_mutex_lock(&g->mu);
	while (!g->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		int rc = pthread_cond_timedwait(&g->cv, &g->mu, &ts);
		if (rc != 0 && rc != ETIMEDOUT)
			continue;
		double now = tb_now();
		for (tb_guard_conn *c = g->head; c; c = c->next) {
			if (c->busy || c->shut || now < c->deadline)
				continue;
			/* bytes the server has not read yet: the server, not
			 * the client, is behind (a thread busy with a long
			 * answer); look again on the next tick */
			int unread = 0;
			if (ioctl(c->fd, FIONREAD, &unread) == 0 && unread > 0)
				continue;
			/* EOF for libmicrohttpd's next read; it closes the socket */
			shutdown(c->fd, SHUT_RDWR);
			c->shut = 1;
			g->timeouts++;
		}
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

int tb_guard_new(tb_guard **out, double header_timeout)
{
	*out = NULL;
	tb_guard *g = tb_xcalloc(1, sizeof *g);
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->timeout = header_timeout;
	if (pthread_create(&g->thread, NULL, watch, g) != 0) {
		tb_log_error("http: cannot start the connection watchdog");
		pthread_cond_destroy(&g->cv);
		pthread_mutex_destroy(&g->mu);
		free(g);
		return TB_EIO;
	}
	*out = g;
	return TB_OK;
}

tb_guard_conn *tb_guard_opened(tb_guard *g, int fd)
{
	tb_guard_conn *c = tb_xcalloc(1, sizeof *c);
	c->fd = fd;
	pthread_mutex_lock(&g->mu);
	c->deadline = tb_now() + g->timeout;
	c->next = g->head;
	if (g->head)
		g->head->prev = c;
	g->head = c;
	pthread_mutex_unlock(&g->mu);
	return c;
}

void tb_guard_closed(tb_guard *g, tb_guard_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&g->mu);
	free(c);
}

void tb_guard_busy(tb_guard *g, tb_guard_conn *c, int busy)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->mu);
	c->busy = busy;
	if (!busy)
		c->deadline = tb_now() + g->timeout;
	pthread_mutex_unlock(&g->mu);
}

unsigned long tb_guard_timeouts(tb_guard *g)
{
	return tb_sync_read(&g->mu, &g->timeouts);
}

void tb_guard_free(tb_guard *g)
{
	if (!g)
		return;
	tb_sync_raise(&g->mu, &g->cv, &g->stopping);
	pthread_join(g->thread, NULL);
	while (g->head) {
		tb_guard_conn *c = g->head;
		g->head = c->next;
		free(c);
	}
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}
